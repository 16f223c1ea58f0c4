"""Issue 16's mechanisms, each alone in the tiny world: what can leave ahead of a tightening (held
goods and the lane that takes them), emergency trials of a substitute, the crude a processor
imports, and a buyer that no longer wants what a late licence allows (approval is not demand)."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.config.params import EventConf, FeedstockConf, QualificationConf, RiskConf

FLOOR = 0.036
SIGNAL_DATE = "2019-02-25"  # four days before the tiny world's effective date (2019-03-01)
LEAD_TIME_DAYS = 4  # signal -> effective date


def _rush(finished_stock_days: float, dispatch_factor: float = 1e9):
    """A leak four days before individual licensing; the maker holds `finished_stock_days` of
    the flow and its lane takes `dispatch_factor` x the normal daily flow."""
    p = copy.deepcopy(tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual"))
    p.suppliers["jp_hf"].finished_stock_days = finished_stock_days
    p.suppliers["jp_hf"].dispatch_factor = dispatch_factor
    p = tw.with_fab_policy(p, risk_cover_days=200.0)
    p = dataclasses.replace(p, risk=RiskConf(prior=0.0, floor=FLOOR, half_life_days=90.0,
                                             on_tightening=0.0, lift_factor=0.5))
    p = tw.with_events(p, leak=EventConf(date=SIGNAL_DATE, kind="signal", risk=0.4, label="leak"))
    return simulate(p, workers=1).tables["shipments"]


def _urgent_before_shock(s: pd.DataFrame) -> float:
    shock = tw.day_of(tw.SHOCK_DATE)
    return float(s.loc[s["urgent"] & (s["exported_day"] < shock), "quantity_t"].sum())


def test_a_maker_without_finished_goods_cannot_rush():
    s = _rush(finished_stock_days=0.0)
    # urgent orders are placed on the signal, but made to order they reach the gate after the
    # effective date (line + PRODUCTION_LEAD_DAYS > four days) and wait for a contract licence
    assert s["urgent"].sum() == 0 or _urgent_before_shock(s) == 0.0
    shock = tw.day_of(tw.SHOCK_DATE)
    exported_early = s[(s["exported_day"] >= tw.day_of(SIGNAL_DATE)) & (s["exported_day"] < shock)]
    # nothing beyond the routine flow leaves in those four days: at most the line's capacity
    assert exported_early["quantity_t"].sum() <= LEAD_TIME_DAYS * tw.CAPACITY_T_PER_DAY + 1e-6


def test_the_lane_bounds_what_held_goods_can_ship_ahead_of_the_effective_date():
    free = _urgent_before_shock(_rush(finished_stock_days=30.0))
    tanks = _urgent_before_shock(_rush(finished_stock_days=30.0, dispatch_factor=3.0))
    # without a bound the whole held stock (30 days of flow, less than the fab wants) leaves on
    # the signal day
    assert free == pytest.approx(30.0 * tw.DAILY_USE_T, rel=1e-6)
    # with the lane at 3 x the normal flow, only the lots fully loaded before the effective
    # date leave under the old licence: at most four days of the lane, 12 days of flow
    assert 0.0 < tanks <= LEAD_TIME_DAYS * 3.0 * tw.DAILY_USE_T + 1e-6
    assert tanks < free / 2


# --- emergency trials and the buyer after a late licence ---------------------------------------
START = tw.SHOCK_DATE
TRIAL_DAYS = 14.0
QUALIFY_DAYS = 120.0


def _substitute_world(with_substitute: bool, emergency_share: float = 0.5):
    """Japan alone before the shock; individual licensing from it (a 40-day review, Japan made
    dearer by a cost multiplier); a Korean producer with ample capacity starts on the shock day,
    is trialled for less critical steps in TRIAL_DAYS and fully qualified in QUALIFY_DAYS."""
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    p = dataclasses.replace(p, sourcing=dataclasses.replace(
        p.sourcing, elasticity={"hf": 4.0}, cost_multiplier={"individual": {"hf": 1.5}},
        contract_term_days=365.0))
    p = tw.with_fab_policy(p, switching_adjustment_days=30.0)
    if with_substitute:
        q = QualificationConf(required=True, mean_days=QUALIFY_DAYS, cv=0.0, success_prob=1.0,
                              full_use_ramp_days=0.0, emergency_share=emergency_share,
                              emergency_days=TRIAL_DAYS)
        p = tw.with_kr_supplier(p, start_date=START, ramp={tw.START_DATE: 600.0}, qualification=q)
    return simulate(p, workers=1).tables


def test_an_emergency_trial_opens_less_critical_steps_before_full_qualification():
    t = _substitute_world(True)
    ev = t["events"]
    start = tw.day_of(START)
    trial = ev[ev["event"] == "supplier_trial_passed"]
    full = ev[ev["event"] == "supplier_qualified"]
    assert trial["day"].tolist() == [start + TRIAL_DAYS]
    assert full["day"].tolist() == [start + QUALIFY_DAYS]
    kr = t["shipments"].query("origin == 'KR'")
    first = kr["ordered_day"].min()
    assert start + TRIAL_DAYS <= first < start + QUALIFY_DAYS
    # with no emergency share the first domestic order waits for full qualification
    none = _substitute_world(True, emergency_share=0.0)["shipments"].query("origin == 'KR'")
    assert none["ordered_day"].min() >= start + QUALIFY_DAYS


def test_a_qualified_substitute_keeps_japan_down_after_licences_resume():
    alone, switched = _substitute_world(False), _substitute_world(True)
    lic = switched["licences"]
    first_approval = lic.loc[(lic["regime"] == "individual") & (lic["outcome"] == "approved"),
                             "decided_day"].min()
    assert np.isfinite(first_approval)

    def japan_after(t):
        s = t["shipments"]
        s = s[(s["origin"] == "JP") & (s["arrived_day"] >= first_approval + 30)]
        days = tw.day_of(tw.END_DATE) - (first_approval + 30)
        return s["quantity_t"].sum() / days / tw.DAILY_USE_T  # share of daily use

    # without a substitute Japan supplies the fab again once licences flow; with one, Japan
    # keeps at most a small part of it, though its licences are approved all the same
    assert japan_after(alone) > 0.8
    assert japan_after(switched) < 0.3
    # what the late licences would have allowed and the buyer no longer wanted is cancelled,
    # with an event each, never delivered
    s = switched["shipments"]
    cancelled = s[s["state"] == "cancelled"]
    assert len(cancelled) >= 1 and cancelled["arrived_day"].isna().all()
    assert (cancelled["origin"] == "JP").all()
    ev = switched["events"]
    assert (ev["event"] == "order_cancelled").sum() == len(cancelled)


# --- crude imported by processors -----------------------------------------------------------------
def test_a_processor_imports_its_crude_in_the_customs_line_of_what_it_makes():
    p = tw.with_cn_supplier(tw.tiny_params(), cn_t_per_month=100.0, headroom=0.2)
    p = tw.with_kr_supplier(p, start_date="2019-02-01", ramp={tw.START_DATE: 300.0})
    p = copy.deepcopy(p)
    p.suppliers["kr_hf"].feedstock = FeedstockConf(origin="CN", t_per_t=0.5)
    t = simulate(p, workers=1).tables
    imports, s = t["imports_monthly"], t["shipments"]
    month = lambda days: pd.Series(pd.to_datetime(tw.START_DATE) + pd.to_timedelta(np.floor(days), "D")
                                   ).dt.strftime("%Y-%m").to_numpy()
    cn = s[(s["origin"] == "CN") & s["arrived_day"].notna()]
    cn_arrivals = cn.groupby(month(cn["arrived_day"]))["quantity_t"].sum()
    kr = s[(s["origin"] == "KR") & s["exported_day"].notna()]
    made = kr["exported_day"] - p.suppliers["kr_hf"].production_lead_days  # off the line
    crude = 0.5 * kr.groupby(month(made))["quantity_t"].sum()
    got = imports[imports["origin"] == "CN"].set_index("month")["quantity_t"]
    want = cn_arrivals.add(crude, fill_value=0.0).reindex(got.index, fill_value=0.0)
    assert crude.sum() > 0
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-9)
    # the domestic lots themselves are never imports
    assert set(imports["origin"]) == {"JP", "CN"}


# --- other goods under the same customs line ----------------------------------------------------
def test_other_goods_under_the_line_arrive_whatever_the_curbs():
    """A quarter of Japan's pre-shock line is other goods: demand and the maker's flow are the
    rest, and once every licence is denied the line from Japan is exactly the other goods."""
    p = copy.deepcopy(tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual"))
    p = tw.with_licensing(p, individual={"denial_prob": 1.0})
    p.materials["hf"].other_goods_share = {"JP": 0.25}
    t = simulate(p, workers=1).tables
    d = t["daily"]
    assert d["demand_t"].iloc[0] == pytest.approx(0.75 * tw.DAILY_USE_T)
    imp = t["imports_monthly"].set_index("month")["quantity_t"]
    s = t["shipments"]
    late = [m for m in imp.index if m >= "2019-07"]  # long after the last pre-shock lot landed
    assert s.loc[s["arrived_day"] >= tw.day_of("2019-07-01"), "quantity_t"].sum() == 0.0
    days = {m: pd.Period(m, freq="M").days_in_month for m in late}
    want = pd.Series({m: 0.25 * tw.DAILY_USE_T * days[m] for m in late})
    np.testing.assert_allclose(imp[late].to_numpy(), want.to_numpy(), rtol=1e-9)
