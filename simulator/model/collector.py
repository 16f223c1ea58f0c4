"""Pausing CPython's cyclic garbage collector around work that makes many long-lived objects.

A replication keeps ~10^5 records alive until its tables are built. The collector's passes, set
off by allocations, would walk all of them again and again (13 % of a replication, 31 % with
four times the fabs: issue 8; while the warm-start pipeline and the settling of orders ran with
it on, 4 % of one: issue 18). The model's objects are freed by reference counting; the few
cycles SimPy's processes leave are collected at the first pass after the pause."""
from __future__ import annotations

import gc


class CollectorPaused:
    """Context manager: no cyclic collection inside; the collector is left as it was found, so
    pauses nest."""

    def __init__(self) -> None:
        self._was = False

    def __enter__(self) -> None:
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:  # None: exceptions propagate
        if self._was:
            gc.enable()


def collector_paused() -> CollectorPaused:
    return CollectorPaused()
