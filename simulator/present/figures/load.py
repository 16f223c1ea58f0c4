"""Reading a run directory once: run_info.json and the tables the figures draw from."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd

from simulator.store.run_dir import read_csv_table, read_info, read_table, saved_tables

from .data_policy import event_marks

DAILY_COLUMNS = ["replication", "date", "fab", "material", "grade", "cover_days",
                 "fab_production_pct", "perceived_risk"]
KPI_COLUMNS = ["kpi", "fab", "item", "mean", "ci95_low", "ci95_high", "n", "censored"]
# what the licence and imports figures read: a big run's licences table is ~500 rows per
# replication with long text columns (order lists) no figure draws
LICENCE_COLUMNS = ["replication", "licence_id", "material", "grade", "regime", "renewal",
                   "review_days", "pre_start", "outcome", "applied_date", "decided_date"]
IMPORT_COLUMNS = ["replication", "month", "material", "origin", "quantity_t"]


@dataclass
class RunTables:
    info: dict
    daily: pd.DataFrame
    licences: pd.DataFrame = field(default_factory=pd.DataFrame)
    imports: pd.DataFrame = field(default_factory=pd.DataFrame)
    policy: pd.DataFrame = field(default_factory=pd.DataFrame)
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def marks(self) -> pd.DataFrame:
        return event_marks(self.policy)


def _read(run_dir: Path, name: str, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A simulation table, or an empty one if the run did not keep it (run.keep_tables)."""
    if name not in saved_tables(run_dir):
        return pd.DataFrame()
    return read_table(run_dir, name, columns)


def read_daily(run_dir: Path, columns: Sequence[str] = DAILY_COLUMNS) -> pd.DataFrame:
    """Only the columns the figures use, with repeated strings as categories: the daily table
    (~600k rows for 20 replications) is the bulk of the reading time."""
    df = _read(Path(run_dir), "daily", list(columns))
    for c in ("fab", "material", "grade"):
        if c in df:
            df[c] = df[c].astype("category")
    return df


def read_kpis(run_dir: Path) -> pd.DataFrame:
    """kpi_summary.csv as text keys and numeric values; an empty table if the file is missing."""
    path = Path(run_dir) / "tables" / "kpi_summary.csv"
    if not path.exists():
        return pd.DataFrame(columns=KPI_COLUMNS)
    return read_csv_table(run_dir, "kpi_summary", dtype={"kpi": str, "fab": str, "item": str},
                          keep_default_na=False, na_values={c: [""] for c in KPI_COLUMNS[3:]})


def read_run(run_dir: Path, daily_columns: Sequence[str] = DAILY_COLUMNS,
             licences: bool = True) -> RunTables:
    run_dir = Path(run_dir)
    return RunTables(
        info=read_info(run_dir),
        daily=read_daily(run_dir, daily_columns),
        licences=_read(run_dir, "licences", LICENCE_COLUMNS) if licences else pd.DataFrame(),
        imports=_read(run_dir, "imports_monthly", IMPORT_COLUMNS),
        policy=read_csv_table(run_dir, "policy_events", dtype=str, keep_default_na=False),
        kpis=read_kpis(run_dir),
    )
