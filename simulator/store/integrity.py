"""Is a run directory what it claims to be? Checked before a command reads or rewrites one.

Every command that reads a run directory (rebuild, export, backtest, compare, the sweep summary)
calls `check_run` first: a directory that is not one, a run_info.json or params.json that is not
valid JSON (truncated), a complete run whose files no longer match their recorded digests (a
table deleted or changed), a Parquet part that cannot be read, or a replications.csv that is cut
short is named — which file, what is wrong — as one `DamagedRun` line, before anything is
computed or written. Nothing here repairs a run or marks one complete.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pyarrow.parquet as pq

from simulator.config.params import Params, from_dict
from simulator.store.run_dir import COMPLETE, RUN_INFO, changed_files, run_complete, saved_tables


class DamagedRun(ValueError):
    """A run directory that cannot be used as it is: the message names the file and the fault."""


def _json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DamagedRun(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DamagedRun(f"{path}: not valid JSON (truncated or overwritten?): "
                         f"{' '.join(str(exc).split())[:120]}") from None
    if not isinstance(doc, dict):
        raise DamagedRun(f"{path}: not a JSON object")
    return doc


def read_run_info(directory: Path) -> dict:
    directory = Path(directory)
    if not directory.exists():
        raise DamagedRun(f"{directory}: no such directory")
    if not directory.is_dir():
        raise DamagedRun(f"{directory}: is a file, not a run directory")
    if not (directory / RUN_INFO).exists():
        raise DamagedRun(f"{directory}: not a run directory (no {RUN_INFO})")
    return _json(directory / RUN_INFO)


def read_run_params(directory: Path) -> Params:
    doc = _json(Path(directory) / "params.json")
    try:
        return from_dict(Params, doc)
    except (TypeError, ValueError, KeyError) as exc:
        raise DamagedRun(f"{Path(directory) / 'params.json'}: not the parameters of a run "
                         f"({type(exc).__name__}: {exc})") from None


def _check_parts(directory: Path, name: str) -> None:
    for part in sorted((directory / "tables" / name).glob("*.parquet")):
        try:
            pq.read_metadata(part)
        except Exception as exc:  # pyarrow raises several types for a cut or foreign file
            raise DamagedRun(f"{part}: not a readable Parquet file (truncated?): "
                             f"{type(exc).__name__}") from None


def check_run(directory: Path, tables: Iterable[str] = (), complete: bool = True,
              params: bool = True, replications: bool = False) -> dict:
    """Check `directory` before a command uses it; return its run_info. `complete`: it must be a
    complete run whose files still match their digests; `tables`: those must be saved and
    readable; `params`: params.json must be readable; `replications`: replications.csv too."""
    directory = Path(directory)
    info = read_run_info(directory)
    if complete and info.get("status") != COMPLETE:
        raise DamagedRun(f"{directory}: not a complete run (status: {info.get('status', 'none')}"
                         f"; a killed or failed run, or one being rebuilt)")
    if complete:
        changed = changed_files(directory)
        if changed:
            missing = [f for f in changed if not (directory / f).exists()]
            what = "missing" if missing else "changed since the run"
            shown = (missing or changed)[:3]
            raise DamagedRun(f"{directory}: damaged: {', '.join(shown)}"
                             f"{' and more' if len(missing or changed) > 3 else ''} {what} "
                             f"(run_info.json records its digests)")
    if params:
        read_run_params(directory)
    saved = saved_tables(directory)
    for name in tables:
        if name not in saved:
            raise DamagedRun(f"{directory}: has no {name} table (tables/{name}/; "
                             f"run.keep_tables may have dropped it)")
        _check_parts(directory, name)
    if replications:
        check_replications(directory)
    return info


def check_replications(directory: Path) -> None:
    """replications.csv: present, and every row as long as its header (not cut short)."""
    path = Path(directory) / "replications.csv"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DamagedRun(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DamagedRun(f"{path}: unreadable ({type(exc).__name__})") from None
    if len(lines) < 2:
        raise DamagedRun(f"{path}: no replication rows")
    width = lines[0].count(",")
    for i, line in enumerate(lines[1:], start=2):
        if line.count(",") != width:
            raise DamagedRun(f"{path} line {i}: {line.count(',') + 1} fields where the header has "
                             f"{width + 1} (cut short?)")


def check_sweep(sweep_dir: Path) -> None:
    """A sweep directory: a directory of job folders, not a run directory or a file; every job
    that says it is complete must be (check_run)."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.exists():
        raise DamagedRun(f"{sweep_dir}: no such directory")
    if not sweep_dir.is_dir():
        raise DamagedRun(f"{sweep_dir}: is a file, not a sweep directory")
    if (sweep_dir / RUN_INFO).exists():
        raise DamagedRun(f"{sweep_dir}: is a run directory, not a sweep (its jobs' parent)")
    jobs = [d for d in sorted(sweep_dir.iterdir()) if d.is_dir() and (d / RUN_INFO).exists()]
    if not jobs:
        raise DamagedRun(f"{sweep_dir}: no job folder with a run_info.json (not a sweep directory)")
    for job in jobs:
        if run_complete(job):
            check_run(job, replications=True)

