"""Drawing several figures at once on a multi-core machine.

Saving dominates the time a figure takes (layout, rasterising, PDF font subsetting), and the
figures are independent, so `draw_all` draws them in forked worker processes that inherit the
tables already read by the parent (nothing is pickled but the figure names and the returned
paths). Where fork is unavailable, with `workers=1`, or if the pool breaks, it draws them one
after the other in this process.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Dict, List, Optional

import matplotlib.pyplot as plt

from .style import STYLE

_JOBS: Dict[str, Callable[[], List[Path]]] = {}


def _call(name: str) -> List[Path]:
    with plt.rc_context(STYLE):
        return _JOBS[name]()


def n_workers(workers: Optional[int] = None) -> int:
    if workers is None:
        env = os.environ.get("SIMULATOR_FIGURE_WORKERS", "").strip()
        workers = int(env) if env.isdigit() and int(env) > 0 else min(2, os.cpu_count() or 1)
    if "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, int(workers))


def draw_all(jobs: Dict[str, Callable[[], List[Path]]],
             workers: Optional[int] = None) -> Dict[str, List[Path]]:
    """Run each job (name -> function drawing one figure and returning its paths); jobs are
    handed out in the order given, so list the slowest first."""
    workers = min(n_workers(workers), len(jobs))
    _JOBS.clear()
    _JOBS.update(jobs)
    try:
        if workers > 1:
            try:
                with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
                    futures = {name: pool.submit(_call, name) for name in jobs}
                    return {name: f.result() for name, f in futures.items()}
            except (BrokenProcessPool, OSError):
                pass  # e.g. no permission to fork, or a worker killed: draw here instead
        return {name: _call(name) for name in jobs}
    finally:
        _JOBS.clear()
