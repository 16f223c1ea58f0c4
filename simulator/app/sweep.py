"""The end of a sweep: its summary (every job, complete or not) and the comparison of the
complete runs. Used by the Hydra callback and by `python -m simulator sweep SWEEP_DIR`."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)


def finish_sweep(sweep_dir: Path, reference: Optional[str] = None) -> int:
    """Write summary.parquet/.csv and comparison/ into `sweep_dir`; return the number of jobs
    that did not complete (each named in the log with its reason)."""
    from simulator.present.comparison import build
    from simulator.present.figures.sweep import plot_sweep
    from simulator.present.sweep import COMPLETE, write_summary
    from simulator.store.run_dir import read_info

    table = write_summary(sweep_dir)
    complete = [Path(sweep_dir) / j for j in table.loc[table["status"] == COMPLETE, "job"]] \
        if len(table) else []
    info = read_info(complete[0]) if complete else None
    for path in plot_sweep(table, Path(sweep_dir) / "figures", info):
        log.info("sweep figure -> %s", path)
    done = int((table["status"] == COMPLETE).sum()) if len(table) else 0
    log.info("sweep summary: %d of %d jobs complete -> %s", done, len(table),
             Path(sweep_dir) / "summary.csv")
    for row in table[table["status"] != COMPLETE].itertuples():
        log.error("job %s %s: %s", row.job, row.status, row.reason)
    if done:
        log.info("comparison of the complete runs -> %s", build(Path(sweep_dir), reference))
    return len(table) - done
