"""A fab's planned output that follows a dated index (fab.output_indices, fabs.*.output_index):
the index itself, a tiny world whose fab doubles its output over the year, and the KPIs that
measure lost output against the moving plan."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.analysis.metrics import replication_kpis
from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.demand import index_levels, output_index
from simulator.config.dictionary import SIMULATION_TABLES, columns
from simulator.config.params import OutputIndexConf

DOUBLING = OutputIndexConf(description="doubles over the tiny world's year",
                           points={tw.START_DATE: 50.0, tw.END_DATE: 100.0},
                           base_from=tw.START_DATE, base_to=tw.START_DATE)


def _following(p, index: OutputIndexConf = DOUBLING, **fab_changes):
    p = copy.deepcopy(p)
    p.fab.output_indices = {"growth": index}
    p.fabs["fab1"] = dataclasses.replace(p.fabs["fab1"], output_index="growth", **fab_changes)
    return p


def test_index_is_one_over_its_base_linear_between_points_and_flat_outside():
    conf = OutputIndexConf(points={"2019-07-01": 100.0, "2020-07-01": 200.0},
                           base_from="2019-07-01", base_to="2019-07-01")
    cal = Calendar("2019-01-01", "2021-12-31")
    days = np.array([cal.day(d) for d in ("2019-01-01", "2019-07-01", "2020-01-01",
                                          "2020-07-01", "2021-12-31")], dtype=float)
    level = index_levels(conf, cal, days)
    half = cal.day("2020-01-01") - cal.day("2019-07-01")  # 184 of the 366 days between the points
    assert level == pytest.approx([1.0, 1.0, 1.0 + half / 366, 2.0, 2.0])
    # a base period of several days: its mean is 1
    wide = dataclasses.replace(conf, base_from="2019-07-01", base_to="2020-07-01")
    base = np.arange(cal.day("2019-07-01"), cal.day("2020-07-01") + 1, dtype=float)
    assert index_levels(wide, cal, base).mean() == pytest.approx(1.0)


def test_a_fab_without_an_index_plans_flat_output():
    assert output_index(tw.tiny_params(), "fab1") is None


def test_a_growing_fab_uses_and_orders_in_step_with_its_plan():
    p = tw.tiny_params()
    p.suppliers["jp_hf"].capacity_headroom = 3.0  # room for twice the use, and the stock that goes with it
    p = _following(p)
    level = output_index(p, "fab1")
    assert level[0] == 1.0 and level[-1] == pytest.approx(2.0)
    t = simulate(p, replications=1, workers=1).tables
    daily = t["daily"].sort_values("day")
    planned = tw.DAILY_USE_T * level
    np.testing.assert_allclose(daily["demand_t"].to_numpy(), planned, rtol=1e-6)
    assert (daily["shortfall_t"] <= 1e-9).all()  # the supplier keeps up: the fab uses what it plans
    np.testing.assert_allclose(daily["consumption_t"].to_numpy(), planned, rtol=1e-6)
    # its orders follow: planned use is 1.67 times as high in the last quarter as in the first
    # (the first also brings in the stock that a growing use needs); a flat plan gives about 1
    ship = t["shipments"]
    arrived = ship[ship["arrived_day"].notna()]
    first = arrived.loc[arrived["arrived_day"].between(0, 90), "quantity_t"].sum()
    last = arrived.loc[arrived["arrived_day"].between(270, 360), "quantity_t"].sum()
    assert level[270:361].sum() / level[0:91].sum() == pytest.approx(1.67, abs=0.01)
    assert last / first > 1.4


def test_a_flat_index_changes_nothing():
    """An index that names one level is the flat plan: same tables, to the byte."""
    flat = OutputIndexConf(points={"2019-06-01": 7.0}, base_from=tw.START_DATE, base_to=tw.END_DATE)
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    plain = simulate(p, replications=1, workers=1).tables
    indexed = simulate(_following(p, flat), replications=1, workers=1).tables
    for name in ("daily", "shipments", "licences"):
        pd.testing.assert_frame_equal(plain[name], indexed[name])


def test_lost_output_is_measured_against_the_moving_plan():
    """Half of every day's output lost after the shock: the units lost are half the planned
    output summed over those days, where the plan doubles over the year."""
    shock, horizon = tw.day_of(tw.SHOCK_DATE), tw.day_of(tw.END_DATE) + 1
    p = _following(tw.tiny_params(), output_unit="wafers", planned_output_per_month=30_000.0)
    level = output_index(p, "fab1")
    d = tw.DAILY_USE_T * level
    daily = pd.DataFrame({
        "replication": 0, "day": np.arange(horizon), "fab": "fab1", "material": "hf",
        "grade": "liquid", "demand_t": d, "consumption_t": d / 2, "shortfall_t": d / 2,
        "inventory_t": 0.0, "cover_days": 0.0, "rationing": 0, "production_pct": 50.0,
        "fab_production_pct": 50.0, "perceived_risk": 0.0})
    daily.loc[daily["day"] < shock, ["consumption_t", "shortfall_t", "production_pct",
                                     "fab_production_pct"]] = [0.0, 0.0, 100.0, 100.0]
    daily.loc[daily["day"] < shock, "consumption_t"] = d[:shock]
    given = {name: pd.DataFrame(columns=columns(name)) for name in SIMULATION_TABLES}
    given["daily"] = daily[[c for c in columns("daily") if c != "date"]]
    kpis = replication_kpis(p, given).set_index(["kpi", "fab", "item"])["value"]
    expected = 0.5 * 30_000.0 / DAYS_PER_MONTH * level[shock:].sum()
    assert kpis[("lost_output_units", "fab1", "hf.liquid")] == pytest.approx(expected)
    assert kpis[("lost_output_units", "fab1", "all")] == pytest.approx(expected)
    # the flat plan would count fewer: the index weighs the later, larger days more
    assert expected > 0.5 * 30_000.0 / DAYS_PER_MONTH * (horizon - shock) * 1.2
