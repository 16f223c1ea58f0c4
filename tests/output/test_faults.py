"""Faults that lose nothing: a run killed at any moment, a full disk, a failure that cannot even be
recorded. A run is complete only when its run_info.json says so (written last, with digests);
FAILED.txt exists from the start of a run and says why it ended, or that it did not finish."""
from __future__ import annotations

import dataclasses
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from simulator.app import pipeline
from simulator.app.pipeline import execute
from simulator.present.comparison import complete_runs
from simulator.present.sweep import INCOMPLETE, job_status
from simulator.store import run_dir as store
from simulator.store.run_dir import (RUNNING, changed_files, mark_status, read_table, run_complete,
                                     write_text_atomically)
from simulator.store.schemas import TableError, check

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/<group>/this file


def _params(replications: int = 3):
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    return dataclasses.replace(p, scenario_name="tiny_curbs", run=dataclasses.replace(
        p.run, replications=replications, workers=1))


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "run"
    execute(_params(5), out, "hash-1", workers=1)
    return out


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_complete_run_is_marked_last_with_digests_of_what_it_wrote(complete):
    info = json.loads((complete / "run_info.json").read_text())
    assert info["status"] == "complete" and run_complete(complete, "hash-1")
    assert not run_complete(complete, "another-hash")
    assert "tables/daily/rep-000004.parquet" in info["digests"] and "metrics.json" in info["digests"]
    assert changed_files(complete) == [] and not (complete / "FAILED.txt").exists()


def test_a_changed_table_no_longer_matches_its_digest(complete, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(complete), str(copy)], check=True)
    part = copy / "tables" / "shipments" / "rep-000000.parquet"
    part.write_bytes(part.read_bytes()[:-10])
    assert changed_files(copy) == ["tables/shipments/rep-000000.parquet"]


def test_metrics_alone_never_make_a_run_complete(complete, tmp_path):
    """A run killed after writing metrics.json but before its completion mark (the moment issue
    10 found `.partial/` holding one) is not read as complete by any tool."""
    copy = tmp_path / "sweep" / "job"
    copy.parent.mkdir()
    subprocess.run(["cp", "-r", str(complete), str(copy)], check=True)
    mark_status(copy, RUNNING)
    assert (copy / "metrics.json").is_file() and not run_complete(copy)
    assert complete_runs(copy.parent) == []
    assert job_status(copy)[0] == INCOMPLETE
    out = subprocess.run([sys.executable, "-m", "simulator", "rebuild", str(copy)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 2 and "not a complete run" in out.stderr and "Traceback" not in out.stderr


def test_a_run_killed_mid_way_leaves_a_record_and_nothing_complete(tmp_path):
    target = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "run.py", "scenario=baseline", "run.start_date=2019-06-01",
         "run.end_date=2019-12-31", "run.replications=40", "run.workers=1",
         f"hydra.run.dir={target}", "hydra/job_logging=disabled"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        part = target / ".partial" / "tables" / "daily" / "rep-000001.parquet"
        while not part.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert part.exists(), "the run never got to its second replication"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not run_complete(target)
    first = (target / "FAILED.txt").read_text().splitlines()[0]
    assert first.startswith("run failed: did not finish")
    status, reason = job_status(target)
    assert status == INCOMPLETE and "did not finish" in reason
    assert complete_runs(tmp_path) == []


def test_a_full_disk_is_recorded_as_the_reason(tmp_path, monkeypatch):
    """The disk fills while the second replication is written (a simulated ENOSPC)."""
    real = store.pq.write_table
    calls = []

    def fill_up(table, path, **kw):
        calls.append(path)
        if "rep-000001" in str(path):
            _no_space()
        return real(table, path, **kw)

    monkeypatch.setattr(store.pq, "write_table", fill_up)
    target = tmp_path / "full"
    with pytest.raises(OSError):
        execute(_params(3), target, "hash-1", workers=1)
    text = (target / "FAILED.txt").read_text()
    assert text.startswith("run failed: OSError: [Errno 28] No space left on device")
    assert "Traceback" in text  # the details below the one-line reason
    assert not run_complete(target) and (target / ".failed").is_dir()
    assert not (target / ".partial").exists() and not (target / "metrics.json").exists()


def test_a_failure_that_cannot_be_recorded_is_reported_and_the_first_record_stays(
        tmp_path, monkeypatch, capsys):
    def boom(partial):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(pipeline, "write_failure", _no_space)
    target = tmp_path / "run"
    with pytest.raises(RuntimeError):
        pipeline._write_atomically(target, boom)
    err = capsys.readouterr().err
    assert "could not record the failure in" in err and "No space left on device" in err
    assert (target / "FAILED.txt").read_text().startswith("run failed: did not finish")
    assert not run_complete(target)


def test_an_atomic_write_that_fails_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "FAILED.txt"
    path.write_text("run failed: did not finish\n")
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(OSError):
        write_text_atomically(path, "run failed: the reason\n" * 1000)
    assert path.read_text() == "run failed: did not finish\n"
    assert [p.name for p in tmp_path.iterdir()] == ["FAILED.txt"]  # no temporary file left


def test_a_success_after_a_failure_clears_the_failure(tmp_path):
    target = tmp_path / "retry"
    with pytest.raises(OSError):
        pipeline._write_atomically(target, _no_space)
    assert (target / ".failed").is_dir() and "No space" in (target / "FAILED.txt").read_text()
    pipeline._write_atomically(target, lambda partial: store.write_run_files(_params(1), partial,
                                                                             "hash-1"))
    assert run_complete(target, "hash-1") and not (target / "FAILED.txt").exists()
    assert not (target / ".failed").exists()


def test_an_infinite_value_is_refused_by_the_table_schema(complete):
    table = read_table(complete, "imports_monthly")
    table.loc[table.index[0], "value_usd"] = np.inf
    with pytest.raises(TableError, match="value_usd.*finite|finite.*value_usd"):
        check("imports_monthly", table)


def test_no_interval_of_a_five_replication_run_leaves_its_quantitys_range(complete):
    """Issue 10's "done when": shares within 0-1, percentages within 0-100, nothing below 0,
    times to survive and recover never past the end of the run; each row names its interval."""
    from simulator.analysis.intervals import followup_days
    info = json.loads((complete / "run_info.json").read_text())
    end = followup_days(info["start_date"], info["end_date"], info["shock_date"])
    k = pd.read_csv(complete / "tables" / "kpi_summary.csv")
    assert info["replications"] == 5 and k["interval"].notna().all()
    assert set(k["interval"]) >= {"Wilson", "Kaplan-Meier (log-log)", "t, within 0-100", "t, at least 0"}
    for col in ("mean", "ci95_low", "ci95_high"):
        assert (k[col].dropna() >= 0).all(), col
    share = k[k["interval"] == "Wilson"]
    assert (share[["mean", "ci95_low", "ci95_high"]].max(axis=1) <= 1).all()
    pct = k[k["interval"] == "t, within 0-100"]
    assert (pct[["mean", "ci95_low", "ci95_high"]].max(axis=1) <= 100).all()
    km = k[k["interval"].str.startswith("Kaplan-Meier")]
    assert (km[["mean", "ci95_low", "ci95_high"]].max(axis=1).dropna() <= end).all()
    assert km["censored"].between(0, 1).all()
    ordered = k.dropna(subset=["ci95_low", "ci95_high", "mean"])
    assert (ordered["ci95_low"] <= ordered["mean"] + 1e-9).all()
    assert (ordered["mean"] <= ordered["ci95_high"] + 1e-9).all()
