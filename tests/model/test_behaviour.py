"""The behaviour that makes the history replay (issue 6), each mechanism alone in a tiny world:
perceived risk and its memory, the rush before an effective date, contracted (sticky) shares, and
regime changes that never open a supply hole."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.config.params import EventConf, RiskConf
from simulator.model.risk import PerceivedRisk, news_to_risk
from simulator.model.world import World

FLOOR = 0.036


# --- perceived risk ---------------------------------------------------------------------------
def _risk(**changes) -> PerceivedRisk:
    conf = RiskConf(prior=0.0, floor=FLOOR, half_life_days=30.0, on_tightening=0.3, lift_factor=0.5)
    return PerceivedRisk(dataclasses.replace(conf, **changes), ["hf"])


def test_risk_is_the_prior_before_any_signal():
    r = _risk()
    assert r.level("hf", 0) == 0.0 and r.level("hf", 1000) == 0.0


def test_risk_decays_without_news_to_its_floor_by_the_half_life():
    r = _risk()
    r.signal(["hf"], 0.4, day=10)
    assert r.level("hf", 10) == pytest.approx(0.4)
    assert r.level("hf", 40) == pytest.approx(FLOOR + (0.4 - FLOOR) / 2)
    assert r.level("hf", 70) == pytest.approx(FLOOR + (0.4 - FLOOR) / 4)
    assert r.level("hf", 10_000) == pytest.approx(FLOOR, abs=1e-12)
    assert r.level("hf", 10_000) >= FLOOR  # the dispute is never forgotten below the floor


def test_a_lower_signal_does_not_lower_risk_and_news_maps_through_kims_probit():
    r = _risk()
    r.signal(["hf"], 0.4, day=0)
    r.signal(["hf"], 0.1, day=0)
    assert r.level("hf", 0) == pytest.approx(0.4)
    assert not r.raised_on("hf", 1)
    r.news(["hf"], 1617, day=5)  # FACTS.md: 1617 articles -> pi 0.445 (Kim's table)
    assert r.level("hf", 5) == pytest.approx(0.445, abs=0.003)  # the table rounds alpha0, alpha1
    assert r.raised_on("hf", 5)
    assert news_to_risk(0, -1.804, 0.226) == pytest.approx(FLOOR, abs=0.001)  # Kim's floor


def test_a_lift_halves_the_gap_to_the_floor_and_never_goes_below_it():
    r = _risk()
    r.regime_tightened(["hf"], day=0)
    assert r.level("hf", 0) == pytest.approx(0.3)
    r.regime_loosened(["hf"], day=0)
    assert r.level("hf", 0) == pytest.approx(FLOOR + (0.3 - FLOOR) * 0.5)
    for _ in range(20):
        r.regime_loosened(["hf"], day=0)
    assert r.level("hf", 0) >= FLOOR
    assert r.level("hf", 0) == pytest.approx(FLOOR, abs=1e-6)


# --- the rush before the effective date -------------------------------------------------------
SIGNAL_DATE = "2019-02-25"  # four days before the tiny world's effective date (2019-03-01)


def _rush_world(signal: bool):
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    p = copy.deepcopy(p)
    p.suppliers["jp_hf"].finished_stock_days = 30.0
    p = tw.with_fab_policy(p, risk_cover_days=200.0)
    p = dataclasses.replace(p, risk=RiskConf(prior=0.0, floor=FLOOR, half_life_days=90.0,
                                             on_tightening=0.0, lift_factor=0.5))
    if signal:
        p = tw.with_events(p, leak=EventConf(date=SIGNAL_DATE, kind="signal", risk=0.4,
                                             label="leak"))
    return simulate(p, workers=1).tables


def test_a_signal_before_the_effective_date_brings_the_rush_and_nothing_else():
    quiet, leak = _rush_world(False), _rush_world(True)
    day = tw.day_of(SIGNAL_DATE)
    shock = tw.day_of(tw.SHOCK_DATE)
    sq, sl = quiet["shipments"], leak["shipments"]
    # nothing differs before the signal
    before = lambda s: s[s["ordered_day"] < day].drop(columns=["arrived_day", "arrived_date",
                                                               "lead_days", "exported_day",
                                                               "exported_date", "state",
                                                               "licence_id"]).reset_index(drop=True)
    assert before(sq).equals(before(sl))
    # the rush: urgent orders on the signal day, served from the maker's finished goods and
    # exported that day, before the effective date, under the bulk licence
    rush = sl[sl["urgent"]]
    assert len(rush) >= 1 and (rush["ordered_day"] == day).all()
    early = rush[rush["exported_day"] < shock]
    assert len(early) >= 1 and (early["exported_day"] == day).all()  # from stock, at once
    bulk_ids = set(leak["licences"].query("regime == 'bulk'")["licence_id"])
    assert set(early["licence_id"]) <= bulk_ids
    # lots the stock could not cover are made to order and, exported after the effective
    # date, need an individual licence like any other
    late = rush[rush["exported_day"] >= shock]
    assert not set(late["licence_id"]) & bulk_ids
    assert not sq["urgent"].any()
    # the rush lands (air or sea, a few days) and the fab holds more just after the effective
    # date; no individual licence is applied for before it
    cover = lambda t: t["daily"].set_index("day").loc[shock + 2, "cover_days"]
    assert cover(leak) > cover(quiet) + 5.0
    lic = leak["licences"]
    assert (lic.loc[lic["regime"] == "individual", "applied_day"] >= shock).all()


# --- sticky switching -------------------------------------------------------------------------
TERM = 150.0
LIFT = "2019-07-01"


def _switch_world(term: float):
    """Japan and China supply; individual licensing from the shock makes Japan dearer (cost
    multiplier 1.5), so the fab switches towards China; the lift makes Japan cheap again."""
    p = tw.with_cn_supplier(tw.tiny_params(), cn_t_per_month=300.0, headroom=2.0)
    p = tw.with_events(p, to_individual=tw.set_regime_event(tw.SHOCK_DATE, "individual"),
                       lift=tw.set_regime_event(LIFT, "bulk"))
    p = tw.with_run(p, end_date="2020-06-30")
    p = dataclasses.replace(p, sourcing=dataclasses.replace(
        p.sourcing, elasticity={"hf": 3.0}, cost_multiplier={"individual": {"hf": 1.5}},
        contract_term_days=term))
    p = tw.with_fab_policy(p, switching_adjustment_days=60.0)
    world = World(p, 0)
    fab = world.fabs["fab1"]
    stock = fab.stocks[("hf", "liquid")]
    cn = next(l for l in stock.links if l.supplier.id == "cn_hf")
    shares = {}
    review = fab._review

    def recording(s, day, urgent=False):
        review(s, day, urgent)
        shares[day] = cn.share

    fab._review = recording
    world.run()
    return shares


def test_a_switched_source_keeps_its_share_after_a_lift_for_its_contract_term():
    shares = _switch_world(TERM)
    lift = tw.day_of(LIFT)
    days = sorted(shares)
    before = [shares[d] for d in days if d < lift]
    assert before[-1] > before[0] + 0.1  # the fab switched towards China under the curbs
    peak_day = max((d for d in days if d < lift), key=lambda d: (shares[d], d))
    peak = shares[peak_day]
    held = [shares[d] for d in days if lift <= d < peak_day + TERM]
    assert held and min(held) >= peak - 1e-9
    # after the term the share follows the target down again
    later = [shares[d] for d in days if d >= peak_day + TERM + 60]
    assert later and later[-1] < peak - 0.05
    # without contracts, the share falls right after the lift
    free = _switch_world(0.0)
    assert free[days[days.index(next(d for d in days if d >= lift)) + 4]] < peak - 0.02


# --- regime changes without holes --------------------------------------------------------------
@pytest.mark.parametrize("curb", ["individual", "special_bulk"])
def test_a_lift_never_opens_a_supply_hole(curb):
    """Licences granted under the curbs stay valid after the lift; orders they cover ship while
    the exporter applies for its bulk licence, so Japanese arrivals never stop at a lift."""
    lift = "2019-07-01"
    p = tw.with_events(tw.tiny_params(), curb=tw.set_regime_event(tw.SHOCK_DATE, curb),
                       lift=tw.set_regime_event(lift, "bulk"))
    p = tw.with_run(p, end_date="2019-12-31")
    t = simulate(p, workers=1).tables
    s = t["shipments"]
    arrived = s[s["arrived_day"].notna()]
    day = tw.day_of(lift)
    weekly = np.histogram(arrived["arrived_day"], bins=np.arange(day, day + 84, 7),
                          weights=arrived["quantity_t"])[0]
    assert (weekly > 0).all(), weekly
    # what the curbs' licences covered goes on shipping after the lift
    curb_ids = set(t["licences"].query("regime == @curb and outcome == 'approved'")["licence_id"])
    after = s[(s["exported_day"] >= day) & s["licence_id"].isin(curb_ids)]
    assert len(after) >= 1
    # the exporter applies for its bulk licence at the lift and gets it after a routine review
    lic = t["licences"]
    bulk = lic[(lic["regime"] == "bulk") & (lic["applied_day"] >= day)]
    assert len(bulk) == 1 and bulk["applied_day"].iloc[0] < day + tw.REVIEW_PERIOD_DAYS
    conf = p.licensing.bulk
    assert bulk["review_days"].iloc[0] <= (conf.documents["hf"] * conf.document_prep_days_per_doc
                                           + conf.review_days_max)
    assert not (s.loc[s["ordered_day"] >= day, "state"] == "awaiting_licence").any()
