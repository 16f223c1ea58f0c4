"""Writes one run directory so that nothing half-written looks done, and rebuilds its derived
outputs: the order of the whole pipeline (simulation tables -> KPIs -> figures -> backtest ->
report) lives here, above every layer it calls.

Everything is written into `<run_dir>/.partial/` and moved into place only when the whole run has
succeeded (`metrics.json` last). If anything fails, the partial directory is renamed `.failed/`
next to a `FAILED.txt` that says why, and no `metrics.json` appears.

KPIs, figures and reports are computed from the tables as saved (read back from disk), so that
`python -m simulator rebuild <run_dir>` rebuilds exactly the same numbers from a run directory.
"""
from __future__ import annotations

import shutil
import traceback
from pathlib import Path
from typing import Dict, Sequence

import pandas as pd

from simulator.analysis.backtest import backtest, default_files, load_observed
from simulator.analysis.metrics import replication_kpis, summarise, wide
from simulator.config.params import Params
from simulator.experiment import Results
from simulator.store.run_dir import (load_tables, read_info, read_params, read_table,
                                     write_summary, write_tables)


def write_kpis(params: Params, tables: Dict[str, pd.DataFrame], directory: Path,
               info: dict) -> pd.DataFrame:
    long = replication_kpis(params, tables)
    summary = summarise(long)
    write_summary(directory, wide(long), summary, info)
    return summary


def derive_outputs(directory: Path) -> None:
    """KPIs, figures, backtest and report from the saved tables, params.json and run_info.json."""
    from simulator.present.figures import make_figures
    from simulator.present.report import write_report

    params, info = read_params(directory), read_info(directory)
    write_kpis(params, load_tables(directory), directory, info)
    make_figures(directory)
    run_backtest(directory)
    write_report(directory)


def run_backtest(run_dir: Path, files: Sequence[Path] = ()) -> pd.DataFrame:
    """Backtest `run_dir` against `files` (default: the shipped data/observed/*.csv); write
    backtest.csv and figures/backtest.png|pdf; return the table."""
    from simulator.present.figures.backtest import plot_backtest
    from simulator.present.figures.style import _save

    run_dir = Path(run_dir)
    observations = [o for f in (files or default_files()) for o in load_observed(Path(f))]
    table = backtest(read_table(run_dir, "imports_monthly", dtype={"month": str}), observations)
    table.to_csv(run_dir / "backtest.csv", index=False, float_format="%.6g")
    if not table.empty:
        (run_dir / "figures").mkdir(exist_ok=True)
        _save(plot_backtest(table, read_info(run_dir, missing_ok=True)), run_dir / "figures",
              "backtest")
    return table


def write_run(results: Results, run_dir: Path, config_hash: str,
              overrides: Sequence[str] = ()) -> Path:
    """Write every output of `results` into `run_dir`; return it. Raises after recording failure."""
    run_dir = Path(run_dir)
    partial = run_dir / ".partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        write_tables(results.tables, results.params, partial, config_hash, overrides)
        derive_outputs(partial)
    except BaseException as exc:
        failed = run_dir / ".failed"
        if failed.exists():
            shutil.rmtree(failed)
        partial.rename(failed)
        (run_dir / "FAILED.txt").write_text(
            f"run failed: {type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        raise
    # metrics.json moves last: its presence marks a complete run
    for child in sorted(partial.iterdir(), key=lambda c: (c.name == "metrics.json", c.name)):
        target = run_dir / child.name
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        child.rename(target)
    partial.rmdir()
    return run_dir
