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
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar

import pandas as pd

from simulator.config.params import Params
from simulator.config.dictionary import SIMULATION_TABLES
from simulator.experiment.parameter_draws import for_replication
from simulator.experiment.kpi_inputs import KpiInputs
from simulator.experiment.tables import tables_and_inputs
from simulator.config.validation import validate
from simulator.model.collector import collector_paused
from simulator.model.world import run_world


T = TypeVar("T")


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
    return recorded_replication(params, replication, SIMULATION_TABLES)[0]


def recorded_replication(params: Params, replication: int,
                         names: Sequence[str]) -> Tuple[Dict[str, pd.DataFrame], KpiInputs]:
    """Replication `replication` of `params`: its tables `names` and its KPI inputs."""
    params = for_replication(params, replication)  # its draw of the calibrated parameters
    # paused from the world's first object to the last read of its records: a collection set
    # off in between would walk every record (4 % of a replication, issue 18)
    with collector_paused():
        records = run_world(params, replication)
        return tables_and_inputs(params, records, replication, names)


def _worker_count(params: Params, replications: int, workers: Optional[int]) -> int:
    n = params.run.workers if workers is None else workers
    if n <= 0:
        n = os.cpu_count() or 1
    return max(1, min(n, replications))


def with_run(params: Params, replications: Optional[int] = None,
             seed: Optional[int] = None) -> Params:
    """`params` with its replication count and root seed replaced (where given), validated."""
    run = params.run
    run = dataclasses.replace(run, replications=replications if replications is not None else run.replications,
                              seed=seed if seed is not None else run.seed)
    params = dataclasses.replace(params, run=run)
    validate(params)
    return params


def map_replications(params: Params, fn: Callable[[Params, int], T],
                     workers: Optional[int] = None, start: int = 0,
                     stop: Optional[int] = None) -> Iterator[T]:
    """`fn(params, r)` for every replication r of `params.run.replications`, on `workers`
    processes (default `params.run.workers`; 0 = one per core), yielded in replication order as
    they complete. `fn` must be picklable (a module-level function or a partial of one); what it
    returns is all that travels back, so a caller that writes tables inside `fn` holds only what
    it returns. `start`, `stop`: only those replications (a batch; each is the same whatever the
    batches)."""
    reps = range(start, params.run.replications if stop is None else stop)
    yield from _map(params, fn, list(reps), workers)


def batches(start: int, stop: int, size: int) -> List[range]:
    """Replications `start`..`stop - 1` as consecutive ranges of `size` (the last may be shorter),
    counted from `start`: the same ranges whatever the worker count."""
    return [range(first, min(stop, first + size)) for first in range(start, stop, max(1, size))]


def map_batches(params: Params, fn: Callable[[Params, range], T], size: int,
                workers: Optional[int] = None, start: int = 0,
                stop: Optional[int] = None) -> Iterator[T]:
    """`fn(params, reps)` for each of `batches(start, stop, size)` (default: every replication),
    as `map_replications` does for one replication: one task per batch, results in order."""
    stop = params.run.replications if stop is None else stop
    yield from _map(params, fn, batches(start, stop, size), workers)


def _map(params: Params, fn: Callable[[Params, Any], T], items: List[Any],
         workers: Optional[int]) -> Iterator[T]:
    n = _worker_count(params, len(items), workers)
    if params.run.executor == "dask":
        yield from _on_dask(params, fn, items, n)
        return
    if n == 1:
        for item in items:
            yield fn(params, item)
        return
    with ProcessPoolExecutor(max_workers=n) as pool:
        yield from pool.map(fn, [params] * len(items), items)


def _on_dask(params: Params, fn: Callable[[Params, Any], T], items: List[Any], n: int) -> Iterator[T]:
    """The replications as Dask tasks: on the cluster at `run.dask_address`, or on a local
    cluster of `n` single-threaded worker processes. Each replication is self-contained and
    seeded by its index, so results equal the local process pool's; they are gathered in
    replication order. Tables a task writes go where `fn` puts them: on a real cluster, a
    filesystem every worker shares."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError('run.executor=dask needs Dask: pip install -e ".[cluster]"') from None
    address = params.run.dask_address
    cluster = None if address else LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                dashboard_address=None)
    try:
        with Client(address or cluster) as client:
            futures = client.map(fn, [params] * len(items), items, pure=False)
            for future in futures:
                yield future.result()
                future.release()
    finally:
        if cluster is not None:
            cluster.close()


def simulate(params: Params, replications: Optional[int] = None, seed: Optional[int] = None,
             workers: Optional[int] = None) -> Results:
    """Run `replications` replications (default `params.run.replications`) with root `seed`
    (default `params.run.seed`) on `workers` processes (default `params.run.workers`; 0 = one per
    core). Returns every table with all replications stacked, in memory: for big experiments, the
    run pipeline (`simulator.app.pipeline.execute`) streams each replication to disk instead."""
    params = with_run(params, replications, seed)
    parts = list(map_replications(params, run_replication, workers))
    tables = {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in SIMULATION_TABLES}
    return Results(params=params, tables=tables)
