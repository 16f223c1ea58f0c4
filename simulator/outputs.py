"""Writes one run directory (DESIGN.md "Output contract") so that nothing half-written looks done.

Everything is written into `<run_dir>/.partial/` and moved into place only when the whole run —
tables, KPIs, figures, report — has succeeded. If anything fails, the partial directory is renamed
`.failed/` next to a `FAILED.txt` that says why, and no `metrics.json` appears.
"""
from __future__ import annotations

import json
import shutil
import traceback
from pathlib import Path
from typing import Dict

import pandas as pd

from . import __version__
from .experiment import Results
from .metrics import replication_kpis, summarise, wide

FLOAT_FORMAT = "%.6g"  # stable, compact text: same seed -> byte-identical files


def policy_events_table(results: Results) -> pd.DataFrame:
    p = results.params
    rows = [{"event_id": e_id, "date": e.date, "kind": e.kind, "label": e.label or e_id,
             "materials": ";".join(e.materials), "regime": e.regime,
             "effective_date": e.effective_date} for e_id, e in p.timeline.items()]
    cols = ["event_id", "date", "kind", "label", "materials", "regime", "effective_date"]
    return pd.DataFrame(rows, columns=cols).sort_values("date", kind="stable")


def run_info(results: Results, config_hash: str) -> dict:
    p = results.params
    return {
        "scenario": p.scenario_name, "seed": p.run.seed, "replications": p.run.replications,
        "start_date": p.run.start_date, "end_date": p.run.end_date,
        "shock_date": p.metrics.shock_date, "version": __version__, "config_hash": config_hash,
        "windows": {k: {"start": w.start, "end": w.end} for k, w in p.metrics.windows.items()},
        "observed_licence_lags_days": {k: list(v) for k, v in p.metrics.observed_licence_lags_days.items()},
        "materials": {m: {"name": mat.name, "unit_value_usd_per_t": mat.unit_value_usd_per_t,
                          "grades": list(mat.grades)} for m, mat in p.materials.items()},
        "fabs": {f: fab.name for f, fab in p.fabs.items()},
    }


def metrics_document(info: dict, summary: pd.DataFrame) -> dict:
    kpis: Dict[str, dict] = {}
    for row in summary.itertuples(index=False):
        kpis.setdefault(row.kpi, {}).setdefault(row.fab, {})[row.item] = {
            "mean": _num(row.mean), "ci95_low": _num(row.ci95_low), "ci95_high": _num(row.ci95_high),
            "n": int(row.n)}
    return {**{k: info[k] for k in ("scenario", "seed", "replications", "version", "config_hash",
                                    "shock_date", "start_date", "end_date")},
            "kpis": kpis}


def _num(x):
    return None if pd.isna(x) else round(float(x), 6)


def write_tables(results: Results, directory: Path, config_hash: str) -> None:
    tables = directory / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, df in results.tables.items():
        df.to_csv(tables / f"{name}.csv", index=False, float_format=FLOAT_FORMAT)
    policy_events_table(results).to_csv(tables / "policy_events.csv", index=False)
    (directory / "run_info.json").write_text(json.dumps(run_info(results, config_hash), indent=2))


def write_kpis(results: Results, directory: Path, info: dict) -> pd.DataFrame:
    long = replication_kpis(results.params, results.tables)
    wide(long).to_csv(directory / "replications.csv", index=False, float_format=FLOAT_FORMAT)
    summary = summarise(long)
    summary.to_csv(directory / "tables" / "kpi_summary.csv", index=False, float_format=FLOAT_FORMAT)
    (directory / "metrics.json").write_text(json.dumps(metrics_document(info, summary), indent=2))
    return summary


def write_run(results: Results, run_dir: Path, config_hash: str) -> Path:
    """Write every output of `results` into `run_dir`; return it. Raises after recording failure."""
    from .figures import make_figures
    from .report import write_report

    run_dir = Path(run_dir)
    partial = run_dir / ".partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        write_tables(results, partial, config_hash)
        info = json.loads((partial / "run_info.json").read_text())
        write_kpis(results, partial, info)
        make_figures(partial)
        write_report(partial)
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
