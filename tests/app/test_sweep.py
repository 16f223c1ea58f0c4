"""Sweeps as a new user runs them (run.py -m in a subprocess): one failing job is listed and the
others complete; the summary has a row per job with its overrides, status and headline KPIs; a
re-run of the same sweep skips the jobs that completed and runs only the rest; job folders are
named by their overrides."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulator.config.hydra import job_dir

ROOT = Path(__file__).resolve().parents[2]
BASE = ["scenario=baseline", "run.replications=1", "run.end_date=2019-12-31",
        "run.keep_tables=summary"]  # the fewer figures, the quicker the test


def _sweep(sweep_dir: Path, values: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "-m", *BASE, f"fab.initial_cover_days={values}",
                           f"hydra.sweep.dir={sweep_dir}", "hydra/job_logging=disabled"],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "sw"
    done = _sweep(out, "30,-5,60")
    return out, done


def test_a_failing_job_is_listed_and_the_others_complete(sweep):
    out, done = sweep
    assert done.returncode == 1, done.stderr[-2000:]  # the sweep says it had a failure ...
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 3  # ... after every job ran
    by_cover = table.set_index("fab.initial_cover_days")
    assert by_cover.loc[-5, "status"] == "failed"
    assert "fab.initial_cover_days" in by_cover.loc[-5, "reason"] and "-5" in by_cover.loc[-5, "reason"]
    assert (by_cover.loc[[30, 60], "status"] == "complete").all()
    assert by_cover.loc[[30, 60], "lost_production_pct[all|all]"].notna().all()
    assert by_cover.loc[-5, "lost_production_pct[all|all]"] != by_cover.loc[-5, "lost_production_pct[all|all]"]
    parquet = pd.read_parquet(out / "summary.parquet")
    assert parquet["job"].tolist() == table["job"].tolist()
    assert parquet["status"].tolist() == table["status"].tolist()
    assert (out / "comparison" / "comparison.csv").is_file()


def test_job_folders_are_named_by_their_overrides(sweep):
    out, _ = sweep
    names = sorted(p.name for p in out.iterdir() if (p / ".hydra").is_dir())
    assert len(names) == 3 and all(n.startswith("baseline,") for n in names)
    assert any("initial_cover_days=30" in n for n in names)
    assert len(set(names)) == 3 and all(len(n) <= 70 for n in names)


def test_job_dir_names_never_collide_and_are_filesystem_safe():
    a = job_dir("fab.seed=1,scenario=x")
    b = job_dir("run.seed=1,scenario=x")
    assert a != b  # the same short key from two sections
    assert job_dir("a=b/c") != job_dir("a=b-c")  # sanitised names keep a hash of the original
    assert all(c not in job_dir("k=a/b\\c:d*e?") for c in "/\\:*?")
    long = job_dir(",".join(f"key{i}=value{i}" for i in range(40)))
    assert len(long) <= 70


@pytest.mark.slow  # ~10-20 s: kept out of the default suite's 5-minute budget
def test_a_rerun_sweep_runs_only_what_did_not_complete(sweep):
    from simulator.store.run_dir import RUNNING, mark_status, run_complete
    out, _ = sweep
    complete = sorted(p for p in out.iterdir() if run_complete(p))
    kept, killed = complete
    stamp = (kept / "metrics.json").stat().st_mtime_ns
    # as if killed after writing its metrics but before the run was marked complete
    mark_status(killed, RUNNING)
    (killed / "FAILED.txt").write_text("run failed: did not finish (killed)\n")
    assert (killed / "metrics.json").is_file() and not run_complete(killed)
    again = _sweep(out, "30,-5,60")
    assert again.returncode == 1  # the bad job fails again, and is listed again
    assert (kept / "metrics.json").stat().st_mtime_ns == stamp  # skipped, not re-run
    assert run_complete(killed) and not (killed / "FAILED.txt").exists()  # finished this time
    table = pd.read_csv(out / "summary.csv")
    assert sorted(table["status"]) == ["complete", "complete", "failed"]


def test_a_sweeps_table_reads_as_one_dataset(sweep):
    from simulator.store.run_dir import read_sweep_table
    out, _ = sweep
    imports = read_sweep_table(out, "imports_monthly")
    table = pd.read_csv(out / "summary.csv")
    assert set(imports["job"]) == set(table.loc[table["status"] == "complete", "job"])
    assert list(imports.columns[:2]) == ["job", "replication"]
