"""Sensitivity analysis: the design is SALib's Saltelli layout drawn from scipy.stats.qmc, SALib
recovers the indices of a function known by hand, and the command runs end to end and refuses a
bad config in one line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.sensitivity import problem, saltelli_design, sobol_indices
from simulator.app.sensitivity import with_value
from simulator.config.validation import ConfigError

import tiny_world as tw

ROOT = Path(__file__).resolve().parents[2]


def test_the_design_is_a_b_and_each_column_of_b_in_a():
    prob = problem({"x": [0, 10], "y": [-1, 1], "z": [5, 6]})
    d = saltelli_design(prob, 8, seed=1)
    assert d.shape == (8 * (3 + 2), 3)
    lows, highs = np.array(prob["bounds"]).T
    assert (d >= lows).all() and (d <= highs).all()
    for i in range(8):
        block = d[i * 5:(i + 1) * 5]
        a, b = block[0], block[-1]
        for k in range(3):  # row k + 1 is A with column k from B
            expected = a.copy()
            expected[k] = b[k]
            assert block[k + 1] == pytest.approx(expected)


def test_salib_recovers_the_indices_of_a_linear_function():
    """y = 4 x1 + 2 x2 (x3 inert), x uniform on [0, 1]: variances 16/12 and 4/12, so S1 = ST =
    0.8 and 0.2 for x1 and x2, and 0 for x3."""
    prob = problem({"x1": [0, 1], "x2": [0, 1], "x3": [0, 1]})
    x = saltelli_design(prob, 1024, seed=3)
    y = pd.DataFrame({"y": 4 * x[:, 0] + 2 * x[:, 1]})
    idx = sobol_indices(prob, y, seed=3).set_index("parameter")
    assert idx.loc["x1", "S1"] == pytest.approx(0.8, abs=0.05)
    assert idx.loc["x2", "ST"] == pytest.approx(0.2, abs=0.05)
    assert abs(idx.loc["x3", "ST"]) < 0.02
    assert (idx.loc[["x1", "x2"], "S1_conf"] > 0).all()  # intervals, from SALib's bootstrap


def test_with_value_sets_a_nested_field_and_refuses_an_unknown_one():
    p = tw.tiny_params()
    q = with_value(p, ["fab", "review_period_days"], 13.7)
    assert q.fab.review_period_days == 14 and p.fab.review_period_days != 14  # int stays int
    with pytest.raises(ConfigError, match="nonsense"):
        with_value(p, ["fab", "nonsense"], 1.0)


def test_the_command_runs_end_to_end(tmp_path):
    done = subprocess.run([sys.executable, "-m", "simulator", "sensitivity", "default",
                           "--samples", "2", "--replications", "1", "--workers", "2",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (out,) = (tmp_path / "default").iterdir()
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices.columns) == {"output", "parameter", "S1", "S1_conf", "ST", "ST_conf"}
    assert len(indices) == 4 * 3  # four parameters x three outputs
    assert (out / "tornado.png").is_file() and (out / "report.md").is_file()
    assert len(pd.read_csv(out / "design.csv")) == 2 * (4 + 2)


def test_a_bad_sensitivity_config_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "simulator", "sensitivity", "nonexistent",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "nonexistent" in done.stderr


# --- policy search ------------------------------------------------------------------------------
def test_the_search_brackets_a_threshold_with_common_random_numbers(tmp_path):
    """A short world and a coarse tolerance: the answer meets the goal, the value below it in the
    bracket does not, and more cover never meets the goal less often (common random numbers)."""
    spec = tmp_path / "quick.yaml"
    spec.write_text("scenario: curbs_2019\noverrides: [run.end_date=2020-06-30]\n"
                    "parameter: fab.initial_cover_days\nlow: 5\nhigh: 150\ntolerance: 40\n"
                    "goal_share: 0.75\nreplications: 4\n")
    done = subprocess.run([sys.executable, "-m", "simulator", "search", str(spec), "--workers", "2",
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    (out,) = (tmp_path / "out" / "quick").iterdir()
    ev = pd.read_csv(out / "evaluations.csv").sort_values("fab.initial_cover_days")
    assert (ev["wilson95_low"] <= ev["share_without_loss"]).all()
    assert (ev["share_without_loss"] <= ev["wilson95_high"]).all() and (ev["wilson95_high"] <= 1).all()
    assert ev["share_without_loss"].is_monotonic_increasing
    result = (out / "result.md").read_text()
    assert "evaluations" in result and "fab.initial_cover_days" in result
    met = ev[ev["meets_goal"]]
    if len(met) and not ev["meets_goal"].all():
        answer = met["fab.initial_cover_days"].min()
        below = ev[ev["fab.initial_cover_days"] < answer]
        assert not below["meets_goal"].any()
        assert below["fab.initial_cover_days"].max() >= answer - 40  # within the tolerance
