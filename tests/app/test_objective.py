"""The policy-search objective a run returns to a Hydra sweeper, and the Optuna sweep that
minimises it (slow, with the search extra)."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import tiny_world as tw
from simulator.app.objective import FAILED, PENALTY, objective

ROOT = Path(__file__).resolve().parents[2]
LOSS = "lost_production_pct[all|all]"


def _run_dir(tmp_path: Path, losses) -> Path:
    d = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    d.mkdir()
    pd.DataFrame({"replication": range(len(losses)), LOSS: losses}).to_csv(d / "replications.csv",
                                                                          index=False)
    return d


def _params(goal=0.75, cover=42.0):
    p = tw.tiny_params()
    return dataclasses.replace(
        p, fab=dataclasses.replace(p.fab, initial_cover_days=cover),
        run=dataclasses.replace(p.run, objective="smallest_meeting_goal",
                                objective_parameter="fab.initial_cover_days", objective_goal=goal))


def test_the_objective_is_the_value_when_the_goal_is_met(tmp_path):
    assert objective(_params(), _run_dir(tmp_path, [0, 0, 0, 0.3])) == pytest.approx(42.0)


def test_a_shortfall_costs_more_than_any_value(tmp_path):
    got = objective(_params(goal=0.75), _run_dir(tmp_path, [0, 0, 0.2, 0.3]))  # 0.5 < 0.75
    assert got == pytest.approx(42.0 + PENALTY * 0.25)
    assert objective(_params(), None) == FAILED
    none = dataclasses.replace(_params(), run=dataclasses.replace(_params().run, objective=""))
    assert objective(none, _run_dir(tmp_path, [0])) is None  # no objective: a plain run


@pytest.mark.slow
@pytest.mark.extras  # run once in CI with the extras installed (.ci/run)
def test_an_optuna_policy_search_sweep_finds_the_best_run(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper",
                        reason='the search extra: pip install -e ".[search]"')
    out = tmp_path / "policy"
    done = subprocess.run(
        [sys.executable, "run.py", "-m", "hydra/sweeper=policy_search", "hydra.sweeper.n_trials=4",
         "run.objective=smallest_meeting_goal", "run.end_date=2019-12-31",
         "metrics.windows.post2.end=2019-12-31", "run.replications=4", "run.keep_tables=none",
         f"hydra.sweep.dir={out}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    best = yaml.safe_load((out / "optimization_results.yaml").read_text())
    table = pd.read_parquet(out / "summary.parquet")  # exact values (the CSV keeps 6 digits)
    assert len(table) == 4 and (table["status"] == "complete").all()
    # the sweeper's best is the best of the jobs' objectives, recomputed from their files
    values = []
    for job, cover in zip(table["job"], table["fab.initial_cover_days"]):
        reps = pd.read_csv(out / job / "replications.csv")
        share = (reps[LOSS] <= 0).mean()
        values.append(cover + PENALTY * max(0.0, 0.95 - share))
    assert best["best_value"] == pytest.approx(min(values))
