"""Writes one run directory so that nothing half-written looks done, and rebuilds its derived
outputs: the order of the whole pipeline (simulation tables -> KPIs -> figures -> backtest ->
report) lives here, above every layer it calls.

A run first writes `FAILED.txt` saying it did not finish (so a kill leaves a record), then
everything into `<run_dir>/.partial/`, moved into place only when the whole run has succeeded;
its last write is `run_info.json` marked complete, with the digests of its tables
(`store.run_dir.mark_complete`). If anything fails, the partial directory is renamed `.failed/`
and FAILED.txt is replaced by the reason; if even that cannot be written (a full disk), the
failure to record it is reported too, and the first FAILED.txt remains.

A run streams: each replication is simulated, its tables validated and written to disk (those
`run.keep_tables` keeps; one part per replication, or per batch of replications for a big run
that keeps only the small tables: `store.parts.replications_per_part`) and its KPIs computed in
the worker process that ran it; only the KPIs travel back. Parquet keeps every float exact, so
the KPIs equal what `python -m simulator rebuild <run_dir>` recomputes from the saved tables; a
run that kept no tables rebuilds its summary, figures and report from `replications.csv`.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import pandas as pd

from simulator.analysis.backtest import (backtest, band_holds, check_materials, default_files, world_files,
                                         load_observed)
from simulator.analysis.intervals import followup_days, summarise, t_half_width
from simulator.config.kpis import parse_kpi_column
from simulator.analysis.metrics import (kpi_rows, long_from_wide, long_table, replication_kpis,
                                       sort_long, wide)
from simulator.config.dictionary import SIMULATION_TABLES
from simulator.config.params import Params
from simulator.experiment import (Results, collector_paused, map_batches, recorded_replication,
                                  with_run)
from simulator.experiment.kpi_inputs import TABLE_COLUMNS
from simulator.experiment.parameter_draws import draws_table
from simulator.model import COMPILED as MODEL_COMPILED  # the accelerated build, if current
from simulator.store.integrity import check_run
from simulator.store.parts import replications_per_part, stacked, write_part
from simulator.store.run_info import as_run_info
from simulator.store.run_dir import (FAILED_TXT, KEEP_TABLES, REBUILD_FAILED, REBUILDING, RUN_INFO,
                                     begin_failure_record, changed_files,
                                     mark_complete, mark_status, write_text_atomically,
                                     read_info, read_params, read_replications, read_table,
                                     saved_tables, write_failure,
                                     write_run_files, write_summary, write_tables)

log = logging.getLogger(__name__)


def write_kpis(params: Params, tables: Dict[str, pd.DataFrame], directory: Path,
               info) -> pd.DataFrame:
    return _write_kpis(replication_kpis(params, tables), directory, info)


def _write_kpis(long: pd.DataFrame, directory: Path, info) -> pd.DataFrame:
    info = as_run_info(info)
    summary = summarise(long, followup_days(info.start_date, info.end_date, info.shock_date))
    write_summary(directory, wide(long), summary, info)
    return summary


def derive_outputs(directory: Path, kpis: Optional[pd.DataFrame] = None) -> None:
    """KPIs, figures, backtest and report from the saved tables, params.json and run_info.json.
    `kpis` (long, every replication) are the ones the run's workers computed; without them they
    are recomputed from the tables, or, if the run kept too few, read from replications.csv."""
    from simulator.present.figures import make_figures
    from simulator.present.report import write_report

    from simulator.present.figures.style import figure_formats

    params, info = read_params(directory), read_info(directory)
    kept = saved_tables(directory)
    if kpis is None:
        if set(kept) == set(SIMULATION_TABLES):
            kpis = replication_kpis(params, {name: read_table(directory, name, TABLE_COLUMNS[name])
                                             for name in SIMULATION_TABLES})
        else:
            kpis = long_from_wide(read_replications(directory).reset_index())
    _write_kpis(kpis, directory, info)
    with figure_formats(params.run.figure_formats):
        extra = {}
        if "imports_monthly" in kept:  # its table now, its figure in the same pool as the rest
            table = run_backtest(directory, draw=False)
            extra["backtest"] = functools.partial(_draw_backtest, table, info, directory / "figures")
        make_figures(directory, extra=extra)
    write_report(directory)


def _draw_backtest(table: pd.DataFrame, info, fig_dir: Path) -> list:
    from simulator.present.figures.backtest import plot_backtest
    from simulator.present.figures.style import save_figure

    if table.empty or not (table["inside"] != "").any():
        return []
    fig_dir.mkdir(parents=True, exist_ok=True)
    return save_figure(plot_backtest(table, info), fig_dir, "backtest")


def rebuild(directory: Path) -> None:
    """Recompute the derived outputs of a complete, undamaged run in place (check_run first:
    a damaged run is named and left as it is). Its completion mark comes off while it works and
    goes back when every output is rewritten; if the rebuild fails, the run's own record comes
    back as it was, and the run stays complete only if its files still match their digests."""
    directory = Path(directory)
    check_run(directory, tables=saved_tables(directory), replications=True)
    before = (directory / RUN_INFO).read_text()
    mark_status(directory, REBUILDING)
    try:
        derive_outputs(directory)
    except BaseException:
        write_text_atomically(directory / RUN_INFO, before)
        if changed_files(directory):
            mark_status(directory, REBUILD_FAILED)
        raise
    mark_complete(directory)


def replicate(params: Params, replications: range, directory: Path,
              keep: Sequence[str]) -> pd.DataFrame:
    """Replications `replications` (consecutive: one part of the store), in whichever process
    runs them: simulate each, write their kept tables as one part, return their KPIs (long; the
    same as those of their stored tables). The tables wait in memory for the part to be written
    only when they are small (`replications_per_part`)."""
    kept: Dict[str, list] = {name: [] for name in keep}
    rows: list = []
    for r in replications:
        tables, inputs = recorded_replication(params, r, keep)
        with collector_paused():
            for name, df in tables.items():  # stored as float32: Arrow rounds as `as_stored`
                kept[name].append(df)
            rows += kpi_rows(params, inputs)  # from the records: tables not kept are never built
    with collector_paused():
        write_part(directory, replications, {name: stacked(dfs) for name, dfs in kept.items()})
        return long_table(rows)


def execute(params: Params, run_dir: Path, config_hash: str, overrides: Sequence[str] = (),
            workers: Optional[int] = None) -> Path:
    """Run every replication of `params` and write the run directory (the main job)."""
    params = with_run(params)
    n = params.run.replications
    log.info("%s: %d replications, seed %d, keep_tables=%s, model %s%s", params.scenario_name, n,
             params.run.seed, params.run.keep_tables,
             "compiled (mypyc)" if MODEL_COMPILED else "pure Python",
             f"; overrides: {' '.join(overrides)}" if overrides else "")

    def write(partial: Path) -> None:
        write_run_files(params, partial, config_hash, overrides)
        keep = KEEP_TABLES[params.run.keep_tables]
        fn = functools.partial(replicate, directory=partial, keep=keep)
        if params.run.stop_half_width > 0:
            parts, ran = _until_precise(params, fn, keep, workers)
        else:
            size = replications_per_part(n, keep)
            parts = list(_progress(_warming(map_batches(params, fn, size, workers)), n,
                                   "replications", per_item=size))
            ran = n
        long = pd.concat(parts, ignore_index=True)
        if ran < n:  # stopped early: the run is what it ran, and its files say so
            write_run_files(dataclasses.replace(params, run=dataclasses.replace(
                params.run, replications=ran)), partial, config_hash, overrides)
        if params.calibration.parameters:  # what each replication ran with
            draws_table(params, list(range(ran))).to_csv(
                partial / "parameter_draws.csv", index=False, float_format="%.6g")
        started = time.perf_counter()
        derive_outputs(partial, sort_long(long))
        log.info("KPIs, figures, backtest and report in %.1f s", time.perf_counter() - started)
        if params.run.macro_table:  # the input-output bridge, asked for: its section joins the report
            from simulator.app.macro import after_run
            from simulator.present.report import write_report
            after_run(partial, params.run.macro_table, params.run.macro_year)
            write_report(partial)
            log.info("economy-wide effects (input-output bridge) -> macro/ in the run directory")

    out = _write_atomically(Path(run_dir), write)
    log.info("written: %s", out)
    return out


def _until_precise(params: Params, fn, keep: Sequence[str],
                   workers: Optional[int]) -> Tuple[list, int]:
    """Replications in batches of `run.stop_batch` until the 95 % half-width of `run.stop_kpi`'s
    mean is at most `run.stop_half_width`, or `run.replications` have run: the KPIs of each
    part, and how many replications ran. Replication r is the same whatever the batches, so a
    run that stops at n equals a run of n replications."""
    run = params.run
    kpi, fab, item = parse_kpi_column(run.stop_kpi)
    parts: list = []
    width = float("inf")
    for start in range(0, run.replications, run.stop_batch):
        stop = min(run.replications, start + run.stop_batch)
        parts += list(map_batches(params, fn, replications_per_part(stop - start, keep), workers,
                                  start, stop))
        long = pd.concat(parts, ignore_index=True)
        values = long.loc[(long["kpi"] == kpi) & (long["fab"] == fab) & (long["item"] == item), "value"]
        if values.empty:
            raise ValueError(f"run.stop_kpi {run.stop_kpi} is not a KPI of this run")
        width = t_half_width(values)
        log.info("%d replications: %s = %.4g, 95 %% half-width %.3g (target %g)", stop,
                 run.stop_kpi, values.mean(), width, run.stop_half_width)
        if width <= run.stop_half_width:
            log.info("precise enough after %d replications: stopped", stop)
            return parts, stop
    log.warning("%s half-width still %.3g > %g after the maximum, %d replications", run.stop_kpi,
                width, run.stop_half_width, run.replications)
    return parts, run.replications


# What only the outputs need (KPI intervals, figures, report): ~0.7 s of imports
OUTPUT_MODULES = ("scipy.stats", "simulator.present.figures", "simulator.present.report",
                  "simulator.present.figures.backtest")


def _warming(items):
    """Yield `items` (replication results); once the first has come, the workers have forked, and
    a thread imports OUTPUT_MODULES while this process would only wait: the outputs start without
    ~0.7 s of imports (measured: benchmarks/benchmark.py --users). Joined before anything else
    forks (the figures' pool), so no process is forked while it holds an import lock."""
    thread = None
    try:
        for item in items:
            if thread is None:
                thread = threading.Thread(target=_import_all, args=(OUTPUT_MODULES,), daemon=True,
                                          name="warm-imports")
                thread.start()
            yield item
    finally:
        if thread is not None:
            thread.join()


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - only a head start: the outputs import it again and say why
            log.debug("warm import of %s failed", name, exc_info=True)


def _progress(items, total: int, what: str, per_item: int = 1):
    """A progress bar (tqdm) when stderr is a terminal; otherwise a log line at every tenth of
    the way (and each item's timing at debug level), so logs stay readable. Each item is
    `per_item` of the `total` (a batch of replications; the last may be fewer)."""
    started = last = time.perf_counter()
    if sys.stderr.isatty():
        from tqdm import tqdm
        with tqdm(total=total, desc=what, unit=what.rstrip("s")[:12], leave=False) as bar:
            for item in items:
                bar.update(min(per_item, total - bar.n))
                yield item
        log.info("%d %s in %.1f s", total, what, time.perf_counter() - started)
        return
    step = max(1, total // 10)
    done = 0
    for item in items:
        now = time.perf_counter()
        before, done = done, min(total, done + per_item)
        log.debug("%s %d/%d: %.2f s", what, done, total, now - last)
        last = now
        if done // step > before // step or done == total:
            log.info("%s: %d/%d done, %.1f s", what, done, total, now - started)
        yield item


def run_backtest(run_dir: Path, files: Sequence[Path] = (), out: Optional[Path] = None,
                 draw: bool = True) -> pd.DataFrame:
    """Backtest `run_dir` against `files` (default: its world's observed files,
    `world.observed_dir`: data/observed/*.csv for the default world); write
    backtest.csv and backtest.png|pdf into `out` (default: the run's own backtest.csv and
    figures/, which only the run's own pipeline writes); return the table. Every file is read and
    checked (format, and each observation's material against the run's) before anything is
    written."""
    run_dir = Path(run_dir)
    # a directory holding only the tables (no params.json) is compared point by point
    params = read_params(run_dir) if (run_dir / "params.json").is_file() else None
    shipped = world_files(params.world.observed_dir) if params else default_files()
    observations = [o for f in (files or shipped) for o in load_observed(Path(f))]
    if params is not None and files:  # the shipped files may speak of materials a world lacks
        check_materials(observations, params.materials)
    table = backtest(read_table(run_dir, "imports_monthly"), observations,
                     params.metrics.observation_tolerance if params else None)
    table["band_holds"] = band_holds(params) if params else "scenario noise only"
    csv_path, fig_dir = (run_dir / "backtest.csv", run_dir / "figures") if out is None \
        else (Path(out) / "backtest.csv", Path(out))
    fig_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.6g")
    if draw:
        _draw_backtest(table, read_info(run_dir, missing_ok=True), fig_dir)
    return table


def write_run(results: Results, run_dir: Path, config_hash: str,
              overrides: Sequence[str] = ()) -> Path:
    """Write every output of `results` (tables in memory, from `simulate`) into `run_dir`."""
    def write(partial: Path) -> None:
        write_tables(results.tables, results.params, partial, config_hash, overrides)
        derive_outputs(partial)

    return _write_atomically(Path(run_dir), write)


def record_failure(run_dir: Path, reason: str, details: str = "") -> bool:
    """Replace FAILED.txt by `reason` (one line; the sweep summary quotes it) and `details`.
    If FAILED.txt cannot be written, say so on stderr and in the log, and return False: the
    FAILED.txt written when the run began ("did not finish") is then what remains."""
    try:
        write_failure(Path(run_dir), reason, details)
        return True
    except OSError as exc:
        message = (f"could not record the failure in {Path(run_dir) / FAILED_TXT}: "
                   f"{type(exc).__name__}: {exc}")
        log.error(message)
        print(f"error: {message}", file=sys.stderr)
        return False


def _write_atomically(run_dir: Path, write: Callable[[Path], None]) -> Path:
    """`write(partial)` into `run_dir/.partial/`, moved into place only if it all succeeded and
    marked complete last; else `.failed/` and FAILED.txt. Returns `run_dir`; raises after
    recording a failure."""
    run_dir = Path(run_dir)
    begin_failure_record(run_dir)  # before anything that can fail; if this fails, nothing ran
    partial = run_dir / ".partial"
    try:
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        write(partial)
    except BaseException as exc:
        failed = run_dir / ".failed"
        try:
            if failed.exists():
                shutil.rmtree(failed)
            if partial.exists():
                partial.rename(failed)
        finally:
            record_failure(run_dir, f"{type(exc).__name__}: {exc}", traceback.format_exc())
        raise
    # run_info.json (status running) moves first: an earlier complete run here stops reading
    # as complete before any of its files is replaced
    for child in sorted(partial.iterdir(), key=lambda c: (c.name != RUN_INFO, c.name)):
        target = run_dir / child.name
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        child.rename(target)
    partial.rmdir()
    # a run that succeeds where an earlier attempt failed leaves no trace of the failure; the
    # completion mark comes after, so no moment shows both "failed" and "complete"
    for stale in (run_dir / FAILED_TXT, run_dir / ".failed"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    mark_complete(run_dir)
    return run_dir
