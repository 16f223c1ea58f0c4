"""Every metric against a case small enough to compute by hand.

Tables are written by hand (not simulated), so each expected value follows from the definition in
the README's "Metrics" section and nothing else. The world's params come from tests/tiny_world.py:
one fab `fab1`, one item `hf.liquid`, Japan the only origin, shock 2019-03-01 (day 59).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import tiny_world as tw
from simulator.analysis.intervals import summarise
from simulator.analysis.metrics import replication_kpis
from simulator.config.params import FabConf, WindowConf
from simulator.config.dictionary import SIMULATION_TABLES, columns
from simulator.config.calendar import DAYS_PER_MONTH

SHOCK = tw.day_of(tw.SHOCK_DATE)  # 59
HORIZON = tw.day_of(tw.END_DATE) + 1  # 365
D = 10.0  # planned daily use in the hand-made tables


def _daily(cover_days: float, fab="fab1", deliveries_from=None, dependent=1.0, rep=0):
    """A fab that holds `cover_days` of stock at the shock and gets nothing from then on (or, from
    day `deliveries_from`, exactly its daily use). Output falls with the unmet share of need."""
    rows = []
    stock = cover_days * D
    for day in range(HORIZON):
        arriving = D if (deliveries_from is not None and day >= deliveries_from) else 0.0
        if day < SHOCK:
            use, short, stock_end = D, 0.0, cover_days * D
        else:
            stock += arriving
            use = min(D, stock)
            short = D - use
            stock -= use
            stock_end = stock
        pct = 100.0 * (1 - dependent * short / D)
        rows.append((rep, day, fab, "hf", "liquid", D, use, short, stock_end, stock_end / D, 0, pct, pct,
                     0.0))
    return pd.DataFrame(rows, columns=[c for c in columns("daily") if c != "date"])


def _shipments(fab="fab1", from_day=None, rep=0):
    """Deliveries of exactly D per day from `from_day` on (arrival at the start of the day)."""
    days = list(range(from_day, HORIZON)) if from_day is not None else []
    return pd.DataFrame({"replication": rep, "order_id": [f"O{i}" for i in range(len(days))],
                         "fab": fab, "supplier": "jp_hf", "origin": "JP", "material": "hf",
                         "grade": "liquid", "quantity_t": D, "value_usd": 0.0,
                         "arrived_day": [float(d) for d in days], "state": "delivered"})


def _kpis(p, **tables) -> pd.Series:
    """Every KPI of the hand-made tables (those not given are empty), by (kpi, fab, item, rep):
    through the same code path as a run's worker (its KPI inputs, here from tables)."""
    given = {name: tables.get(name, pd.DataFrame(columns=columns(name))) for name in SIMULATION_TABLES}
    long = replication_kpis(p, given)
    return long.set_index(["kpi", "fab", "item", "replication"])["value"]


def _one(table: pd.Series, kpi: str, fab="fab1", item="hf.liquid", rep=0) -> float:
    return float(table[(kpi, fab, item, rep)])


def test_thirty_days_of_cover_and_no_supply():
    p = tw.tiny_params()
    t = _kpis(p, daily=_daily(30.0), shipments=_shipments())
    short_days = HORIZON - (SHOCK + 30)  # stock lasts days 59..88, short from day 89 on
    post_days = HORIZON - SHOCK
    assert _one(t, "tts_days") == 30
    assert _one(t, "tts_buffer_days") == pytest.approx(30.0)  # Japan is the only source
    assert _one(t, "stockout_days") == short_days
    assert _one(t, "lost_production_pct") == pytest.approx(100.0 * short_days / post_days)
    assert _one(t, "fill_rate_pct") == pytest.approx(100.0 * 30 / post_days)
    assert math.isnan(_one(t, "ttr_days"))  # supply never comes back
    assert _one(t, "tts_before_ttr") == 1.0
    assert math.isnan(_one(t, "ttr_minus_tts_days"))


def test_lost_output_units_and_partial_dependence():
    fab = FabConf(name="Fab One", kind="memory", demand_share={"hf": {"liquid": 1.0}},
                  dependent_output_share={"hf": 0.5}, output_unit="wafers",
                  planned_output_per_month=30_000.0)
    p = tw.tiny_params(fabs={"fab1": fab})
    t = _kpis(p, daily=_daily(30.0, dependent=0.5), shipments=_shipments())
    short_days = HORIZON - (SHOCK + 30)
    # half the output depends on HF: each short day loses half a day's planned output
    assert _one(t, "lost_output_units") == pytest.approx(0.5 * short_days * 30_000.0 / DAYS_PER_MONTH)
    assert _one(t, "lost_production_pct") == pytest.approx(50.0 * short_days / (HORIZON - SHOCK))


def test_time_to_recover_counts_from_the_shock_to_a_sustained_window():
    p = tw.tiny_params()
    # 30 days of cover, deliveries of full daily use resume 40 days after the shock
    resume = SHOCK + 40
    t = _kpis(p, daily=_daily(30.0, deliveries_from=resume), shipments=_shipments(from_day=resume))
    # windows [t, t+30) hold (resume - t) missing days; >= 95 % of 30 days needs at most 1.5 missing
    # days: the first such t after the shortfall began is resume - 1
    assert _one(t, "ttr_days") == 39
    assert _one(t, "tts_days") == 30
    assert _one(t, "ttr_minus_tts_days") == 9
    assert _one(t, "tts_before_ttr") == 1.0
    assert _one(t, "stockout_days") == 10  # short on days 89..98, stock from deliveries after


def test_no_disruption_means_zero_ttr_no_tts():
    p = tw.tiny_params()
    t = _kpis(p, daily=_daily(30.0, deliveries_from=SHOCK), shipments=_shipments(from_day=0))
    assert _one(t, "ttr_days") == 0
    assert math.isnan(_one(t, "tts_days"))
    assert _one(t, "tts_before_ttr") == 0.0
    assert _one(t, "stockout_days") == 0
    assert _one(t, "fill_rate_pct") == pytest.approx(100.0)


def test_fleet_aggregates_take_earliest_shortfall_and_any_fab_short():
    p = tw.tiny_params()
    daily = pd.concat([_daily(30.0, fab="fab1"), _daily(50.0, fab="fab2")], ignore_index=True)
    fleet = _kpis(p, daily=daily, shipments=_shipments()).xs(0, level="replication")
    assert fleet[("tts_days", "all", "hf.liquid")] == 30  # the earlier fab
    assert fleet[("stockout_days", "all", "hf.liquid")] == HORIZON - (SHOCK + 30)  # any fab short
    lost1 = 100.0 * (HORIZON - SHOCK - 30) / (HORIZON - SHOCK)
    lost2 = 100.0 * (HORIZON - SHOCK - 50) / (HORIZON - SHOCK)
    assert fleet[("lost_production_pct", "all", "hf.liquid")] == pytest.approx((lost1 + lost2) / 2)
    assert math.isnan(fleet[("ttr_days", "all", "hf.liquid")])  # no fab recovered


def test_fab_level_resilience_loss_is_the_area_lost():
    p = tw.tiny_params()
    k = _kpis(p, daily=_daily(30.0)).xs(0, level="replication")
    short_days = HORIZON - (SHOCK + 30)
    assert k[("resilience_loss_pct_days", "fab1", "all")] == pytest.approx(100.0 * short_days)
    assert k[("stockout_days", "fab1", "all")] == short_days
    assert k[("lost_production_pct", "all", "all")] == pytest.approx(100.0 * short_days / (HORIZON - SHOCK))


def test_trade_windows_by_hand():
    p = tw.tiny_params()
    p = dataclasses.replace(p, metrics=dataclasses.replace(p.metrics, windows={
        "pre": WindowConf(start="2019-01-01", end="2019-02-28"),
        "post1": WindowConf(start="2019-03-01", end="2019-04-30")}))
    months = [f"2019-{m:02d}" for m in range(1, 13)]
    jp = {"2019-01": 100.0, "2019-02": 100.0, "2019-03": 60.0, "2019-04": 40.0}
    cn = {"2019-03": 50.0, "2019-04": 50.0}
    imports = pd.DataFrame([(0, m, "hf", o, q.get(m, 0.0), 0.0) for m in months
                            for o, q in (("JP", jp), ("CN", cn))],
                           columns=["replication", "month", "material", "origin", "quantity_t", "value_usd"])
    # deliveries: the same imports plus 100 t from a Korean producer in March
    arr = [(m, o, q) for o, table in (("JP", jp), ("CN", cn)) for m, q in table.items()] + [("2019-03", "KR", 100.0)]
    day = {m: float(tw.day_of(f"{m}-15")) for m in months}
    ship = pd.DataFrame({"replication": 0, "fab": "fab1", "material": "hf", "grade": "liquid",
                         "origin": [a[1] for a in arr], "quantity_t": [a[2] for a in arr],
                         "value_usd": 0.0, "arrived_day": [day[a[0]] for a in arr]})
    k = _kpis(p, imports_monthly=imports, shipments=ship).xs(("all", 0), level=["fab", "replication"])
    assert k[("imports_jp_rel_post1", "hf")] == pytest.approx(50.0 / 100.0)  # (60+40)/2 vs 100
    assert k[("japan_share_pct_pre", "hf")] == pytest.approx(100.0)
    assert k[("japan_share_pct_post1", "hf")] == pytest.approx(100.0 * 100 / 200)
    assert k[("domestic_share_pct_post1", "hf")] == pytest.approx(100.0 * 100 / 300)
    assert k[("domestic_share_pct_pre", "hf")] == 0.0


def test_licensing_counts_and_review_quantiles():
    p = tw.tiny_params()
    review = [10.0, 20.0, 30.0, 40.0, 100.0]
    lic = pd.DataFrame({
        "replication": 0, "licence_id": [f"L{i}" for i in range(7)],
        "regime": ["individual"] * 5 + ["individual", "bulk"],
        "material": "hf", "grade": ["liquid"] * 6 + [""],
        "pre_start": [False] * 6 + [True],
        "outcome": ["approved"] * 5 + ["denied", "approved"],
        "review_days": review + [50.0, 0.0], "documents": [9] * 6 + [4],
        "rerequests": [0, 1, 0, 2, 0, 0, 0], "lapsed_t": [0, 0, 5.0, 0, 0, 0, 0]})
    ev = pd.DataFrame({"replication": [0], "event": ["licence_expired"], "material": ["hf"],
                       "grade": ["liquid"]})
    k = _kpis(p, licences=lic, events=ev).xs(("all", 0), level=["fab", "replication"])
    assert k[("applications", "hf.liquid")] == 6  # the pre-start licence is not an application
    assert k[("approvals", "hf.liquid")] == 5
    assert k[("denials", "hf.liquid")] == 1
    assert k[("rerequests", "hf.liquid")] == 3
    assert k[("documents_filed", "hf.liquid")] == 6 * 9 + 3
    assert k[("expiries", "hf.liquid")] == 1
    assert k[("lapsed_t", "hf.liquid")] == 5.0
    assert k[("review_days_mean", "hf.liquid")] == pytest.approx(np.mean(review))
    assert k[("review_days_p50", "hf.liquid")] == pytest.approx(30.0)
    assert k[("review_days_p90", "hf.liquid")] == pytest.approx(np.quantile(review, 0.9))


def test_summary_is_mean_and_t_interval_clipped_at_zero():
    values = [1.0, 2.0, 6.0]
    long = pd.DataFrame({"replication": [0, 1, 2], "kpi": "x", "fab": "all", "item": "all",
                         "value": values})
    s = summarise(long).iloc[0]
    half = stats.t.ppf(0.975, 2) * np.std(values, ddof=1) / math.sqrt(3)
    assert s["mean"] == pytest.approx(3.0)
    assert s["ci95_high"] == pytest.approx(3.0 + half)
    assert s["ci95_low"] == 0.0  # 3 - half < 0: clipped, every KPI is non-negative
    assert s["n"] == 3
    with_missing = long.assign(value=[1.0, np.nan, 3.0])
    assert summarise(with_missing).iloc[0]["n"] == 2


def test_a_share_of_replications_has_a_wilson_interval_inside_0_and_1():
    """3 of 5 replications ran short first: 0.60 with the Wilson interval, never past 1 (a
    t-interval gave 0.60 (0.00 to 1.28))."""
    long = pd.DataFrame({"replication": range(5), "kpi": "tts_before_ttr", "fab": "all",
                         "item": "all", "value": [1.0, 1.0, 1.0, 0.0, 0.0]})
    s = summarise(long).iloc[0]
    ci = stats.binomtest(3, 5).proportion_ci(0.95, method="wilson")
    assert s["mean"] == pytest.approx(0.6) and s["interval"] == "Wilson"
    assert (s["ci95_low"], s["ci95_high"]) == pytest.approx((ci.low, ci.high))
    assert 0.0 <= s["ci95_low"] < 0.6 < s["ci95_high"] <= 1.0
    every = summarise(long.assign(value=1.0)).iloc[0]
    assert every["ci95_high"] == pytest.approx(1.0) and every["ci95_low"] < 1.0


def test_a_percentage_interval_stays_within_0_and_100():
    long = pd.DataFrame({"replication": range(3), "kpi": "fill_rate_pct", "fab": "all",
                         "item": "all", "value": [100.0, 100.0, 90.0]})
    s = summarise(long).iloc[0]
    assert s["ci95_high"] == 100.0 and s["interval"] == "t, within 0-100"
    assert s["ci95_low"] < s["mean"] < 100.0


def _tts(values):
    return pd.DataFrame({"replication": range(len(values)), "kpi": "tts_days", "fab": "all",
                         "item": "hf.liquid", "value": values})


def test_time_to_survive_is_a_kaplan_meier_median_censored_at_the_run_end():
    """10 runs: shortfalls on days 10..60 in six, none before the run's end (day 100) in four.
    Survival falls by 1/10 at each event, to one half at day 50: the median; the mean of the six
    observed (35) would be biased low, and a t-interval could pass the end of the run."""
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0] + [np.nan] * 4
    s = summarise(_tts(values), followup_days=100.0).iloc[0]
    assert s["statistic"] == "median" and s["interval"].startswith("Kaplan-Meier")
    assert s["mean"] == 50.0 and s["n"] == 10 and s["censored"] == pytest.approx(0.4)
    assert 10.0 <= s["ci95_low"] <= 50.0
    assert np.isnan(s["ci95_high"]) or 50.0 <= s["ci95_high"] <= 100.0


def test_a_median_not_reached_in_the_run_is_missing_not_invented():
    s = summarise(_tts([10.0, 20.0] + [np.nan] * 8), followup_days=100.0).iloc[0]
    assert np.isnan(s["mean"]) and np.isnan(s["ci95_high"]) and s["censored"] == pytest.approx(0.8)
    none = summarise(_tts([np.nan] * 5), followup_days=100.0).iloc[0]
    assert np.isnan(none["mean"]) and none["censored"] == 1.0 and none["n"] == 5


def test_without_censoring_the_median_is_the_sample_median_and_the_interval_brackets_it():
    rng = np.random.default_rng(3)
    values = np.sort(rng.uniform(0, 90, size=41))
    s = summarise(_tts(values), followup_days=100.0).iloc[0]
    assert s["mean"] == pytest.approx(np.median(values)) and s["censored"] == 0.0
    assert s["ci95_low"] <= s["mean"] <= s["ci95_high"] <= 100.0


def test_the_long_table_is_built_in_the_order_sort_long_gives():
    """The KPIs' long table is sorted as rows (issue 18: a fraction of a frame sorted by pandas);
    its order must be sort_long's, ties kept in the order the rows came, capitals before small
    letters and `all` among the names as pandas places them."""
    from simulator.analysis.metrics import COLUMNS, long_table, sort_long

    rows = [(0, "fab_b", "hf.liquid", "stockout_days", 1.0),
            (0, "all", "hf.liquid", "stockout_days", 2.0),
            (0, "Fab_A", "hf.liquid", "stockout_days", 3.0),
            (0, "fab_b", "all", "lost_production_pct", math.nan),
            (0, "fab_b", "fpi.film", "stockout_days", 4.0),
            (0, "fab_b", "hf.liquid", "stockout_days", 5.0),  # a tie: after the first
            (0, "all", "all", "lost_production_pct", 0.5),
            (0, "fab_b", "hf.gas", "japan_share_pct_pre", 42.8)]
    expected = sort_long(pd.DataFrame(rows, columns=COLUMNS).astype(
        {"replication": np.int64, "value": float}))
    pd.testing.assert_frame_equal(long_table(rows), expected, check_exact=True)
    empty = sort_long(pd.DataFrame([], columns=COLUMNS).astype(
        {"replication": np.int64, "value": float}))
    pd.testing.assert_frame_equal(long_table([]), empty, check_index_type=False)
