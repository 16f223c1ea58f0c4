"""Drawing several figures at once on a multi-core machine.

Saving dominates the time a figure takes (layout, rasterising, PDF font subsetting), and the
figures are independent, so `draw_all` draws them in this process and in `workers - 1` forked
processes that inherit the tables already read (nothing is pickled but figure names and the
returned paths). Each drawer takes the next figure from a shared counter, slowest first. This
process drawing too, rather than waiting on a pool, keeps one copy fewer of a big run's tables
in memory (issue 18). A figure a child did not finish (it failed, or the child died) is drawn
again here, so its error is raised here, with its traceback; where fork is unavailable or with
`workers=1`, every figure is drawn here, one after the other.
"""
from __future__ import annotations

import multiprocessing as mp
import os
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
        names = list(jobs)
        done: Dict[str, List[Path]] = {}
        children = _start_children(names, workers - 1) if workers > 1 else None
        if children is not None:
            counter, results, procs = children
            done.update(_take(names, counter, results=None))
            for proc in procs:
                proc.join()
            while not results.empty():
                name, paths = results.get()
                done[name] = paths
        for name in names:  # what no child finished (or all of it, drawing here alone)
            if name not in done:
                done[name] = _call(name)
        return {name: done[name] for name in names}
    finally:
        _JOBS.clear()


def _start_children(names: List[str], n: int):
    """`n` forked drawers sharing a counter of the next figure; None if they cannot start."""
    ctx = mp.get_context("fork")
    counter, results = ctx.Value("i", 0), ctx.SimpleQueue()
    procs = [ctx.Process(target=_child, args=(names, counter, results), daemon=True)
             for _ in range(n)]
    try:
        for proc in procs:
            proc.start()
    except OSError:  # e.g. no permission to fork: draw here instead
        return None
    return counter, results, procs


def _child(names: List[str], counter, results) -> None:
    # SimpleQueue writes straight to its pipe (nothing buffered for os._exit to lose); the
    # parent reads it after the children end, which a few figure paths never fill
    try:
        _take(names, counter, results)
    finally:
        os._exit(0)  # no teardown: the parent owns the run's files and handlers


def _take(names: List[str], counter, results) -> Dict[str, List[Path]]:
    """Draw the next unclaimed figure until none is left; a child reports each one it finished
    (`results`), the parent keeps them. A child's failed figure is left to the parent."""
    out: Dict[str, List[Path]] = {}
    while True:
        with counter.get_lock():
            i = counter.value
            counter.value += 1
        if i >= len(names):
            return out
        if results is None:
            out[names[i]] = _call(names[i])
            continue
        try:
            results.put((names[i], _call(names[i])))
        except Exception:  # noqa: BLE001 - the parent draws it again and raises it there
            pass
