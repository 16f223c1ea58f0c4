"""Replications of one scenario: seeded, optionally parallel, concatenated in replication order.

`simulate(params)` is the package's Python API; it needs no Hydra. Replication r of every scenario
draws from the same per-actor streams (see streams.py), and running in parallel gives byte-identical
tables to running sequentially, because each replication is self-contained and results are joined
in replication order.
"""
from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Dict, Optional

import pandas as pd

from simulator.config.params import Params
from simulator.config.dictionary import SIMULATION_TABLES
from simulator.experiment.tables import build_tables
from simulator.config.validation import validate
from simulator.model.world import World


@dataclass
class Results:
    """The tables of a run (see README, "Output tables") and the params that produced them."""
    params: Params
    tables: Dict[str, pd.DataFrame]

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def run_replication(params: Params, replication: int) -> Dict[str, pd.DataFrame]:
    world = World(params, replication)
    return build_tables(params, world.run(), replication)


def _worker_count(params: Params, replications: int, workers: Optional[int]) -> int:
    n = params.run.workers if workers is None else workers
    if n <= 0:
        n = os.cpu_count() or 1
    return max(1, min(n, replications))


def simulate(params: Params, replications: Optional[int] = None, seed: Optional[int] = None,
             workers: Optional[int] = None) -> Results:
    """Run `replications` replications (default `params.run.replications`) with root `seed`
    (default `params.run.seed`) on `workers` processes (default `params.run.workers`; 0 = one per
    core). Returns every table with all replications stacked."""
    run = params.run
    run = dataclasses.replace(run, replications=replications if replications is not None else run.replications,
                              seed=seed if seed is not None else run.seed)
    params = dataclasses.replace(params, run=run)
    validate(params)
    reps = list(range(run.replications))
    n = _worker_count(params, len(reps), workers)
    if n == 1:
        parts = [run_replication(params, r) for r in reps]
    else:
        with ProcessPoolExecutor(max_workers=n) as pool:
            parts = list(pool.map(run_replication, [params] * len(reps), reps))
    tables = {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in SIMULATION_TABLES}
    return Results(params=params, tables=tables)
