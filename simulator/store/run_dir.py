"""The run directory on disk (DESIGN.md "Output contract"): writing the simulation tables, the
params and the run info, and reading them back as the analysis expects them.

The order in which a run is written, and how a failure is recorded, is the pipeline's
(`simulator.app.pipeline`); this module only knows files and their formats.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional, Sequence

import pandas as pd

from simulator.config.version import __version__
from simulator.store.schemas import check, read_dtypes
from simulator.config.params import Params, from_dict, to_dict
from simulator.config.dictionary import SIMULATION_TABLES, dtypes, text_columns

FLOAT_FORMAT = "%.6g"  # stable, compact text: same seed -> byte-identical files


def policy_events_table(p: Params) -> pd.DataFrame:
    rows = [{"event_id": e_id, "date": e.date, "kind": e.kind, "label": e.label or e_id,
             "materials": ";".join(e.materials), "regime": e.regime,
             "effective_date": e.effective_date} for e_id, e in p.timeline.items()]
    cols = ["event_id", "date", "kind", "label", "materials", "regime", "effective_date"]
    return pd.DataFrame(rows, columns=cols).sort_values("date", kind="stable")


def run_info(p: Params, config_hash: str, overrides: Sequence[str]) -> dict:
    return {
        "scenario": p.scenario_name, "seed": p.run.seed, "replications": p.run.replications,
        "start_date": p.run.start_date, "end_date": p.run.end_date,
        "shock_date": p.metrics.shock_date, "version": __version__, "config_hash": config_hash,
        "overrides": list(overrides),
        "windows": {k: {"start": w.start, "end": w.end} for k, w in p.metrics.windows.items()},
        "observed_licence_lags_days": {k: list(v) for k, v in p.metrics.observed_licence_lags_days.items()},
        # the statutory review window of individual licences, as this run had it
        "statutory_review_days": p.licensing.individual.review_days_max,
        "origin_names": dict(p.origins),
        "materials": {m: {"name": mat.name, "short_name": mat.short_name or mat.name,
                          "unit_value_usd_per_t": mat.unit_value_usd_per_t,
                          "grades": list(mat.grades)} for m, mat in p.materials.items()},
        "fabs": {f: fab.name for f, fab in p.fabs.items()},
        "fab_output_units": {f: fab.output_unit for f, fab in p.fabs.items()},
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


def write_tables(tables: Dict[str, pd.DataFrame], params: Params, directory: Path,
                 config_hash: str, overrides: Sequence[str] = ()) -> None:
    """The simulation tables (name -> DataFrame), the policy events, params.json, run_info.json."""
    out = directory / "tables"
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        check(name, df)
        df.to_csv(out / f"{name}.csv", index=False, float_format=FLOAT_FORMAT)
    policy_events_table(params).to_csv(out / "policy_events.csv", index=False)
    (directory / "params.json").write_text(json.dumps(to_dict(params), indent=1))
    (directory / "run_info.json").write_text(
        json.dumps(run_info(params, config_hash, overrides), indent=2))


def load_tables(directory: Path) -> Dict[str, pd.DataFrame]:
    """The simulation tables of a run directory, typed as the data dictionary says (text columns
    as text with "" for empty: a column that happens to be all empty would otherwise read as NaN
    floats) and validated against it."""
    out = {}
    for name in SIMULATION_TABLES:
        path = directory / "tables" / f"{name}.csv"
        text = text_columns(name)
        df = pd.read_csv(path, dtype=read_dtypes(name), low_memory=False)
        df[text] = df[text].fillna("")
        out[name] = check(name, df.astype(dtypes(name)))
    return out


def read_params(directory: Path) -> Params:
    return from_dict(Params, json.loads((Path(directory) / "params.json").read_text()))


def read_info(directory: Path, missing_ok: bool = False) -> Optional[dict]:
    """run_info.json; None if it is missing and `missing_ok` (a bare table directory)."""
    path = Path(directory) / "run_info.json"
    if missing_ok and not path.exists():
        return None
    return json.loads(path.read_text())


def read_table(directory: Path, name: str, **kw) -> pd.DataFrame:
    """Any table under tables/ as it is saved (simulation, policy events, KPI summary)."""
    return pd.read_csv(Path(directory) / "tables" / f"{name}.csv", **kw)


def read_params_document(directory: Path) -> dict:
    """params.json as plain data (for reports that quote parameter values)."""
    return json.loads((Path(directory) / "params.json").read_text())


def read_replications(directory: Path) -> pd.DataFrame:
    """replications.csv: one row per replication, one column per KPI."""
    return pd.read_csv(Path(directory) / "replications.csv").set_index("replication")


def read_backtest(directory: Path) -> Optional[pd.DataFrame]:
    """backtest.csv, or None if the run has none."""
    path = Path(directory) / "backtest.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype={"period": str, "inside": str}, keep_default_na=False)


def write_summary(directory: Path, wide_kpis: pd.DataFrame, summary: pd.DataFrame,
                  info: dict) -> None:
    """replications.csv, tables/kpi_summary.csv and metrics.json (written last by the caller's
    order: its presence marks a complete run)."""
    wide_kpis.to_csv(directory / "replications.csv", index=False, float_format=FLOAT_FORMAT)
    summary.to_csv(directory / "tables" / "kpi_summary.csv", index=False, float_format=FLOAT_FORMAT)
    (directory / "metrics.json").write_text(json.dumps(metrics_document(info, summary), indent=2))
