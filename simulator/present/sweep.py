"""A sweep as one result: `summary.parquet` and `summary.csv` in the sweep directory.

    python -m simulator sweep SWEEP_DIR        (run.py -m writes it at the end of every sweep)

One row per job folder, whatever became of the job: `job` (its folder), `status` (complete,
failed, or incomplete: killed or still running), `reason` (a failed job's one-line reason, from
its FAILED.txt), `scenario`, one column per overridden parameter (numbers as numbers), then every
headline KPI of the comparison as `kpi[fab|item]` (mean) with `..._low` and `..._high` (its 95 %
interval). Failed jobs are listed, never dropped: a sweep is read from this table, not from the
folders that happen to be complete.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import pandas as pd
import yaml

from simulator.present.comparison import headlines
from simulator.store.run_dir import NOT_FINISHED, read_csv_table, read_info, run_complete
from simulator.config.kpis import kpi_column

COMPLETE, FAILED, INCOMPLETE = "complete", "failed", "incomplete"
FIXED = ["job", "status", "reason", "scenario"]


def job_dirs(sweep_dir: Path) -> List[Path]:
    """The sweep's job folders: every sub-directory Hydra started a job in."""
    return sorted(d for d in Path(sweep_dir).iterdir()
                  if d.is_dir() and ((d / ".hydra").is_dir() or (d / "run_info.json").exists()
                                     or (d / "FAILED.txt").exists()))


def job_overrides(job: Path) -> Dict[str, str]:
    """The job's command-line overrides (Hydra's .hydra/overrides.yaml), key -> value text."""
    path = job / ".hydra" / "overrides.yaml"
    items = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not items and (job / "run_info.json").is_file():
        items = read_info(job).overrides
    out = {}
    for item in items or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith("hydra"):
            out[key] = value
    return out


def job_status(job: Path) -> tuple:
    if run_complete(job):
        return COMPLETE, ""
    failed = job / "FAILED.txt"
    if failed.is_file():
        first = (failed.read_text(errors="replace").splitlines() or [""])[0]
        reason = first.removeprefix("run failed: ").strip()
        if reason.startswith(NOT_FINISHED):  # written when the job began, never replaced
            return INCOMPLETE, reason
        return FAILED, reason or "failed (no reason written)"
    return INCOMPLETE, "no complete run and no FAILED.txt: killed, or still running"


def summary_table(sweep_dir: Path) -> pd.DataFrame:
    rows, kpis, info = [], {}, None
    for job in job_dirs(sweep_dir):
        status, reason = job_status(job)
        over = job_overrides(job)
        row = {"job": job.name, "status": status, "reason": reason,
               "scenario": over.pop("scenario", ""), **over}
        if status == COMPLETE:
            info = read_info(job)
            row["scenario"] = info.scenario
            kpis[job.name] = read_csv_table(job, "kpi_summary", dtype={"kpi": str, "fab": str,
                                                                       "item": str},
                                            keep_default_na=False, na_values=[""])
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=FIXED)
    if kpis:
        every = pd.concat(kpis.values(), ignore_index=True)
        for kpi, fab, item, _, _ in headlines(every, info):
            col = kpi_column(kpi, fab, item)
            for suffix, stat in (("", "mean"), ("_low", "ci95_low"), ("_high", "ci95_high")):
                table[col + suffix] = [_value(kpis.get(j), kpi, fab, item, stat) for j in table["job"]]
    params = [c for c in table.columns if c not in FIXED and "[" not in c]
    for c in params:  # a swept number reads back as a number (plots, sorting)
        numeric = pd.to_numeric(table[c], errors="coerce")
        if numeric.notna().sum() == table[c].replace("", pd.NA).notna().sum():
            table[c] = numeric
    ordered = FIXED + sorted(params) + [c for c in table.columns if "[" in c]
    return table[ordered].sort_values("job", kind="stable").reset_index(drop=True)


def _value(summary, kpi, fab, item, stat) -> float:
    if summary is None:
        return float("nan")
    hit = summary[(summary["kpi"] == kpi) & (summary["fab"] == fab) & (summary["item"] == item)]
    return float(hit[stat].iloc[0]) if len(hit) else float("nan")


def write_summary(sweep_dir: Path) -> pd.DataFrame:
    """summary.parquet and summary.csv in `sweep_dir`; returns the table."""
    table = summary_table(sweep_dir)
    for c in table.columns:  # Parquet wants one type per column: text stays text
        if table[c].dtype == object:
            table[c] = table[c].fillna("").astype(str)
    table.to_parquet(Path(sweep_dir) / "summary.parquet", index=False)
    table.to_csv(Path(sweep_dir) / "summary.csv", index=False, float_format="%.6g")
    return table
