"""The run directory on disk (DESIGN.md "Output contract"): writing the simulation tables, the
params and the run info, and reading them back as the analysis expects them.

Simulation tables are Parquet datasets: `tables/<name>/rep-000000.parquet`, one file per
replication (or, for a big run that keeps only the small tables, `rep-000000-000024.parquet`, one
per batch: `replications_per_part`), written by whichever process ran it (so a run streams to disk
instead of holding every replication in memory, and the files are the same whoever wrote them). One call reads a
table whole: `pd.read_parquet(run / "tables" / "daily")`, polars
`pl.read_parquet(f"{run}/tables/daily/*.parquet")`, DuckDB `FROM 'run/tables/daily/*.parquet'`.
Parquet keeps dates as dates and repeated text dictionary-encoded; floats are stored in single
precision (7 significant digits; the CSV store kept 6), byte-stream-split and zstd-compressed,
which halves the bytes of the random-looking quantities and times that make up most of a run.
Every KPI is computed from the tables as stored (`config.dictionary.as_stored`), so a run's KPIs and those
`rebuild` recomputes from disk are the same numbers. `export_csv` writes `tables/<name>.csv` for spreadsheets; a run directory with
only CSV tables (exported, or written by hand in tests) still reads. Small derived tables
(policy events, KPI summaries) stay CSV.

A run is complete when, and only when, its `run_info.json` says `"status": "complete"`: that
version of the file is written last, atomically, with a digest of every table and KPI file, by
`mark_complete`. Every reader of runs (the sweep's skip and summary, the comparison,
`read_sweep_table`, rebuild) asks `run_complete`; a directory killed at any moment, even one
holding a `metrics.json`, never reads as complete. `FAILED.txt` is written when a run starts
("did not finish") and replaced, atomically, by the reason if it fails, so a kill or a full disk
still leaves a record that says so.

The order in which a run is written is the pipeline's (`simulator.app.pipeline`); this module
only knows files and their formats.
"""
from __future__ import annotations

import dataclasses

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.config.version import __version__
from simulator.store.schemas import check, read_dtypes
from simulator.config.params import Params, from_dict, to_dict
from simulator.config.dictionary import DICTIONARY, SIMULATION_TABLES, dtypes, text_columns
from simulator.store.parts import replications_per_part, write_part
from simulator.store.run_info import RunInfo

FLOAT_FORMAT = "%.6g"  # stable, compact text: same seed -> byte-identical files

# run.keep_tables: which simulation tables a run keeps on disk (KPIs are always kept)
KEEP_TABLES = {
    "all": SIMULATION_TABLES,
    # the per-day and per-lot tables are ~97 % of the bytes; the rest still feeds the backtest,
    # the licensing figure and the monthly imports
    "summary": tuple(t for t in SIMULATION_TABLES if t not in ("daily", "shipments")),
    "none": (),
}


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
        "world": dataclasses.asdict(p.world),  # who licenses and who buys: the outputs' names
    }


def metrics_document(info: RunInfo, summary: pd.DataFrame) -> dict:
    kpis: Dict[str, dict] = {}
    for row in summary.itertuples(index=False):
        kpis.setdefault(row.kpi, {}).setdefault(row.fab, {})[row.item] = {
            "mean": _num(row.mean), "ci95_low": _num(row.ci95_low), "ci95_high": _num(row.ci95_high),
            "n": int(row.n)}
    return {**{k: getattr(info, k) for k in ("scenario", "seed", "replications", "version",
                                             "config_hash", "shock_date", "start_date", "end_date")},
            "kpis": kpis}


def _num(x):
    return None if pd.isna(x) else round(float(x), 6)


def write_run_files(params: Params, directory: Path, config_hash: str,
                    overrides: Sequence[str] = ()) -> None:
    """params.json, run_info.json and the policy events: what a run is, before any replication."""
    out = directory / "tables"
    out.mkdir(parents=True, exist_ok=True)
    policy_events_table(params).to_csv(out / "policy_events.csv", index=False)
    (directory / "params.json").write_text(json.dumps(to_dict(params), indent=1))
    write_json(directory / RUN_INFO, {**run_info(params, config_hash, overrides), "status": RUNNING})


# --- completion and failure records ------------------------------------------------------------
RUN_INFO = "run_info.json"
FAILED_TXT = "FAILED.txt"
RUNNING, COMPLETE, REBUILDING = "running", "complete", "rebuilding"
REBUILD_FAILED = "rebuild failed"  # a rebuild stopped after changing files: not complete
NOT_FINISHED = "did not finish"  # the first words of the FAILED.txt a run writes when it starts


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path` and rename it over `path`: a reader sees
    the old file or the new one, never a part (a full disk leaves the old one whole)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, document: dict) -> None:
    write_text_atomically(path, json.dumps(document, indent=2) + "\n")


def failure_text(reason: str, details: str = "") -> str:
    """FAILED.txt: the first line says why, in one line (the sweep summary quotes it)."""
    return f"run failed: {' '.join(str(reason).split())}\n" + (f"\n{details}" if details else "")


def begin_failure_record(run_dir: Path) -> None:
    """The FAILED.txt a run writes before anything else: if the run is killed, or cannot even
    record why it failed, this is what remains."""
    write_failure(run_dir, f"{NOT_FINISHED} (started {time.strftime('%Y-%m-%d %H:%M:%S')}, "
                           f"process {os.getpid()}): killed, or still running")


def write_failure(run_dir: Path, reason: str, details: str = "") -> None:
    """Replace FAILED.txt by the reason (atomically; raises OSError if it cannot be written)."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    write_text_atomically(Path(run_dir) / FAILED_TXT, failure_text(reason, details))


def digests(directory: Path) -> Dict[str, str]:
    """sha256 of every file a run's results are read from (tables/, replications.csv,
    metrics.json), by path relative to the run directory."""
    directory = Path(directory)
    files = [p for p in sorted((directory / "tables").rglob("*")) if p.is_file()]
    files += [directory / n for n in ("replications.csv", "metrics.json") if (directory / n).is_file()]
    out = {}
    for path in files:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        out[path.relative_to(directory).as_posix()] = h.hexdigest()
    return out


def mark_complete(directory: Path) -> None:
    """The last write of a run: run_info.json with status complete and the digests."""
    info = read_info_document(directory)
    info.update(status=COMPLETE, digests=digests(directory))
    write_json(Path(directory) / RUN_INFO, info)


def mark_status(directory: Path, status: str) -> None:
    """Take the completion mark off a run whose files are about to change (rebuild)."""
    info = read_info_document(directory)
    info["status"] = status
    info.pop("digests", None)
    write_json(Path(directory) / RUN_INFO, info)


def changed_files(directory: Path) -> List[str]:
    """Files of a complete run that differ from, or are missing against, its recorded digests."""
    recorded = (read_info_document(directory, missing_ok=True) or {}).get("digests", {})
    now = digests(directory)
    return sorted(name for name, digest in recorded.items() if now.get(name) != digest)


def write_tables(tables: Dict[str, pd.DataFrame], params: Params, directory: Path,
                 config_hash: str, overrides: Sequence[str] = ()) -> None:
    """Whole simulation tables (all replications stacked), split into parts as a run of as many
    replications writes them, with the run files: for tables built in memory (`simulate`)."""
    write_run_files(params, directory, config_hash, overrides)
    reps = sorted(set().union(*(set(df["replication"].unique()) for df in tables.values())))
    if not reps:
        return
    size = replications_per_part(len(reps), list(tables))
    for first in range(0, len(reps), size):
        batch = range(int(reps[first]), int(reps[min(len(reps), first + size) - 1]) + 1)
        write_part(directory, batch, {name: df[df["replication"].isin(batch)].reset_index(drop=True)
                                      for name, df in tables.items()})


def saved_tables(directory: Path) -> List[str]:
    """The simulation tables a run directory holds (as Parquet or as CSV)."""
    base = Path(directory) / "tables"
    return [t for t in SIMULATION_TABLES
            if any((base / t).glob("*.parquet")) or (base / f"{t}.csv").is_file()]


def read_table(directory: Path, name: str, columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """A simulation table, typed as the data dictionary says and in replication order: the
    Parquet dataset if there is one, else `tables/<name>.csv`. `columns` reads only those."""
    base = Path(directory) / "tables"
    parts = sorted((base / name).glob("*.parquet"))
    wanted = list(columns) if columns is not None else [c.name for c in DICTIONARY[name]]
    types = {k: v for k, v in dtypes(name).items() if k in wanted}
    if parts:
        table = pa.concat_tables([pq.read_table(p, columns=wanted) for p in parts])
        df = table.to_pandas(date_as_object=False)
        del table
        # Arrow's allocator keeps what a read of many parts used; a big run's figures fork after
        # reading, so hand it back first (issue 18: the 1,000-replication run's peak memory)
        pa.default_memory_pool().release_unused()
    else:
        path = base / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{directory} has no table {name} (tables/{name}/ or "
                                    f"tables/{name}.csv)")
        dates = [c for c, t in types.items() if t.startswith("datetime")]
        df = pd.read_csv(path, usecols=wanted, low_memory=False, float_precision="round_trip",
                         dtype={k: v for k, v in read_dtypes(name).items()
                                if k in wanted and k not in dates})
        for c in dates:
            df[c] = pd.to_datetime(df[c], format="ISO8601")
    text = [c for c in text_columns(name) if c in wanted]
    df[text] = df[text].fillna("")
    df = df[wanted].astype(types)
    return check(name, df) if columns is None else df


def read_sweep_table(sweep_dir: Path, name: str,
                     columns: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """One simulation table of every complete job of a sweep, stacked, with a leading `job`
    column (the job's folder): a sweep read as one dataset."""
    jobs = sorted(d for d in Path(sweep_dir).iterdir()
                  if d.is_dir() and run_complete(d) and name in saved_tables(d))
    if not jobs:
        raise FileNotFoundError(f"{sweep_dir} has no complete job with a {name} table")
    parts = [read_table(d, name, columns).assign(job=d.name) for d in jobs]
    out = pd.concat(parts, ignore_index=True)
    return out[["job"] + [c for c in out.columns if c != "job"]]


def load_tables(directory: Path, names: Iterable[str] = SIMULATION_TABLES) -> Dict[str, pd.DataFrame]:
    """The simulation tables of a run directory, typed and validated against the dictionary."""
    return {name: read_table(directory, name) for name in names}


def export_csv(directory: Path) -> List[Path]:
    """tables/<name>.csv for every simulation table saved as Parquet (dates as YYYY-MM-DD,
    missing values empty, floats at full precision)."""
    out = []
    for name in saved_tables(directory):
        if not any((Path(directory) / "tables" / name).glob("*.parquet")):
            continue
        path = Path(directory) / "tables" / f"{name}.csv"
        df = read_table(directory, name)
        for c, t in dtypes(name).items():
            if t.startswith("datetime"):
                df[c] = df[c].dt.strftime("%Y-%m-%d").fillna("")
        df.to_csv(path, index=False)
        out.append(path)
    return out


def run_complete(directory: Path, config_hash: Optional[str] = None) -> bool:
    """A run directory whose run finished: its run_info.json, written last, says complete; and
    for `config_hash` if given (the same composed config: a re-run sweep skips it)."""
    path = Path(directory) / RUN_INFO
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("status") != COMPLETE:
        return False
    return config_hash is None or info.get("config_hash") == config_hash


def read_params(directory: Path) -> Params:
    return from_dict(Params, json.loads((Path(directory) / "params.json").read_text()))


def read_info_document(directory: Path, missing_ok: bool = False) -> Optional[dict]:
    """run_info.json as written (to rewrite it); None if missing and `missing_ok`."""
    path = Path(directory) / "run_info.json"
    if missing_ok and not path.exists():
        return None
    return json.loads(path.read_text())


def read_info(directory: Path, missing_ok: bool = False) -> Optional[RunInfo]:
    """run_info.json, typed (store/run_info.py); None if missing and `missing_ok` (a bare table
    directory)."""
    doc = read_info_document(directory, missing_ok)
    return None if doc is None else RunInfo.from_document(doc)


def read_csv_table(directory: Path, name: str, **kw) -> pd.DataFrame:
    """A small derived table saved as tables/<name>.csv (policy events, KPI summary)."""
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
                  info: RunInfo) -> None:
    """replications.csv, tables/kpi_summary.csv and metrics.json (a run is complete only when
    `mark_complete` has run)."""
    wide_kpis.to_csv(directory / "replications.csv", index=False, float_format=FLOAT_FORMAT)
    summary.to_csv(directory / "tables" / "kpi_summary.csv", index=False, float_format=FLOAT_FORMAT)
    (directory / "metrics.json").write_text(json.dumps(metrics_document(info, summary), indent=2))
