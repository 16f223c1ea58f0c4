"""Sweep figures follow the sweep's shape: lines with bands for one parameter, heatmaps for two,
small multiples beyond; failed jobs are not drawn and a sweep where nothing varies draws nothing."""
from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simulator.present.figures import style
from simulator.present.figures import sweep as SW

KPI = "lost_production_pct[all|all]"


def _table(**params) -> pd.DataFrame:
    rows = []
    for values in itertools.product(*params.values()):
        row = {"job": "-".join(map(str, values)), "status": "complete", "reason": "",
               "scenario": "curbs_2019", **dict(zip(params, values))}
        mean = float(sum(values))
        row.update({KPI: mean, f"{KPI}_low": mean - 1, f"{KPI}_high": mean + 1})
        rows.append(row)
    rows.append({**rows[0], "job": "bad", "status": "failed", KPI: np.nan})
    return pd.DataFrame(rows)


@pytest.fixture
def captured(monkeypatch):
    seen = {}

    def save(fig, out_dir, name):
        axes = [a for a in fig.get_axes() if a.get_label() != "<colorbar>"]
        seen[name] = {"images": sum(len(a.get_images()) for a in axes),
                      "lines": [len(a.get_lines()) for a in axes if a.get_lines()],
                      "panels": len([a for a in axes if a.get_images() or a.get_lines()])}
        plt.close(fig)
        return [out_dir / f"{name}.png"]
    monkeypatch.setattr(style, "save_figure", save)
    return seen


def test_one_parameter_gives_lines_with_bands(captured, tmp_path):
    SW.plot_sweep(_table(**{"fab.initial_cover_days": [30, 45, 60]}), tmp_path)
    fig = captured["sweep"]
    assert fig["images"] == 0 and fig["lines"] == [1]


def test_two_numeric_parameters_give_a_heatmap(captured, tmp_path):
    SW.plot_sweep(_table(**{"fab.initial_cover_days": [30, 60], "fab.risk_cover_days": [0, 220]}),
                  tmp_path)
    assert captured["sweep"]["images"] == 1


def test_three_parameters_give_small_multiples(captured, tmp_path):
    SW.plot_sweep(_table(**{"a": [1, 2], "b": [1, 2, 3], "c": [5, 6]}), tmp_path)
    fig = captured["sweep"]
    assert fig["images"] == 0 and fig["panels"] == 2  # one per value of c
    assert fig["lines"] == [3, 3]  # a line per value of b


def test_nothing_varies_nothing_drawn(captured, tmp_path):
    assert SW.plot_sweep(_table(**{"a": [1]}), tmp_path) == []
    assert SW.swept(_table(**{"a": [1, 2]})) == ["a"]
