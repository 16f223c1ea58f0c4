"""Independent random streams, one per (replication, actor), all spawned from the run's root seed.

A stream is keyed by the actor's *name*, not by its position in a list, so that adding an actor
(say, a domestic supplier in one scenario) leaves every other actor's draws untouched: the same
replication of two scenarios uses common random numbers, and paired differences are sharper.
No global random state is used anywhere in the package.
"""
from __future__ import annotations

import zlib

import numpy as np


def actor_key(actor: str) -> int:
    return zlib.crc32(actor.encode("utf-8"))


def stream(root_seed: int, replication: int, actor: str) -> np.random.Generator:
    """The generator of `actor` in `replication`: SeedSequence(root).spawn-style child keyed by name."""
    seq = np.random.SeedSequence(entropy=root_seed, spawn_key=(replication, actor_key(actor)))
    return np.random.default_rng(seq)
