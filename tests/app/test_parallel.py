"""Parallel and distributed execution give the results of a sequential run: a local Dask cluster
for the replications of one run, Hydra's joblib launcher and submitit's local launcher for the
jobs of a sweep. Slow (they start clusters and processes): python -m pytest -m slow tests/app."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tiny_world as tw
from simulator import simulate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _tiny(**run):
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    return dataclasses.replace(p, run=dataclasses.replace(p.run, replications=4, seed=3, **run))


@pytest.mark.extras  # run once in CI with the extras installed (.ci/run)
def test_a_local_dask_cluster_gives_the_process_pools_tables():
    pytest.importorskip("distributed", reason='the cluster extra: pip install -e ".[cluster]"')
    pool = simulate(_tiny(), workers=2).tables
    dask = simulate(_tiny(executor="dask"), workers=2).tables
    for name in pool:
        pd.testing.assert_frame_equal(pool[name], dask[name], check_exact=True, obj=name)


def _sweep(tmp_path: Path, launcher: str) -> pd.DataFrame:
    out = tmp_path / launcher
    done = subprocess.run(
        [sys.executable, "run.py", "-m", f"hydra/launcher={launcher}", "scenario=baseline,curbs_2019",
         "run.replications=2", "run.end_date=2019-12-31", "metrics.windows.post2.end=2019-12-31",
         "fab.initial_cover_days=30,45,60", f"hydra.sweep.dir={out}"],
        cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "comparison" / "paired_differences.csv").is_file()
    assert (out / "comparison" / "compare_production.png").is_file()
    return pd.read_csv(out / "summary.csv")


def test_a_2x3_sweep_with_the_joblib_launcher_summarises_and_pairs(tmp_path):
    table = _sweep(tmp_path, "parallel")
    assert len(table) == 6 and (table["status"] == "complete").all()
    assert sorted(set(table["fab.initial_cover_days"])) == [30, 45, 60]
    assert set(table["scenario"]) == {"baseline", "curbs_2019"}


@pytest.mark.extras  # run once in CI with the extras installed (.ci/run)
def test_the_submitit_local_launcher_runs_the_same_sweep(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                        reason='the cluster extra: pip install -e ".[cluster]"')
    table = _sweep(tmp_path, "submitit_local")
    assert len(table) == 6 and (table["status"] == "complete").all()
