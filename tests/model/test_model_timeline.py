"""Exact timelines of the tiny, deterministic world (tests/tiny_world.py) under each regime.

Every expected day below is computed by hand from the tiny world's parameters: a lot of q tonnes
occupies its supplier's line q / capacity days (first come, first served), then waits the
production lead time, is checked at the gate against its licence, and arrives transit + customs
days after export. Licence decisions come documents x prep + review days after the application.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from simulator.config.calendar import DAYS_PER_MONTH
from simulator.model.world import World

X = tw.day_of(tw.SHOCK_DATE)  # day of the regime change: 59
HORIZON = tw.day_of(tw.END_DATE) + 1  # 365
LANE_DAYS = tw.TRANSIT_DAYS + tw.CUSTOMS_DAYS
EXACT = dict(rel=1e-12, abs=1e-9)


def _placed(ship: pd.DataFrame, supplier: str = "jp_hf") -> pd.DataFrame:
    s = ship[(ship["supplier"] == supplier) & (ship["licence_id"] != "pre-start")
             & (ship["ordered_day"] >= 0)]
    return s.sort_values(["ordered_day", "order_id"]).reset_index(drop=True)


def _fifo_expected(orders: pd.DataFrame, capacity: float, lead: float, ready=None):
    """Export and arrival days of `orders` (in line-request order) on one FIFO line; `ready`
    gives each order's time of joining the line queue (default: its ordered_day)."""
    free = -math.inf
    exported, arrived = [], []
    for i, o in enumerate(orders.itertuples()):
        start = max(free, o.ordered_day if ready is None else ready[i])
        free = start + o.quantity_t / capacity
        exported.append(free + lead)
        arrived.append(free + lead + LANE_DAYS)
    return np.array(exported), np.array(arrived)


def test_tiny_world_numbers():
    """The hand computations below rest on these, derived by the model from the tiny world's
    inputs: daily use = 300 t/month over DAYS_PER_MONTH, the line twice as fast as use
    (headroom 1.0), and a bulk licence that never expires within the horizon."""
    world = World(tw.tiny_params(), 0)
    stock = world.fabs["fab1"].stocks[("hf", "liquid")]
    supplier = world.suppliers["jp_hf"]
    assert stock.daily_use_t == pytest.approx(300.0 / (365.25 / 12))
    assert tw.DAILY_USE_T == pytest.approx(stock.daily_use_t)
    assert supplier.capacity_t_per_day("liquid", 0) == pytest.approx(2 * stock.daily_use_t)
    assert tw.CAPACITY_T_PER_DAY == pytest.approx(supplier.capacity_t_per_day("liquid", 0))
    (lic,) = world.rec.licences
    assert lic.regime == "bulk" and lic.valid_until > tw.day_of(tw.END_DATE) + 1e6


# --- bulk throughout ------------------------------------------------------------------------
def test_bulk_first_order_by_hand(tiny_run):
    ship = tiny_run("tiny_bulk").tables["shipments"]
    first = _placed(ship).iloc[0]
    d = tw.DAILY_USE_T
    # day-0 review: stock 60 d + pipeline 9 d (nominal lead 5 + 3 + 1) against a target of
    # (60 + 9 + 7) d: exactly one review period of use, one lot
    assert first["ordered_day"] == 0
    assert first["quantity_t"] == pytest.approx(7 * d, **EXACT)
    production = first["quantity_t"] / tw.CAPACITY_T_PER_DAY  # 3.5 days
    assert production == pytest.approx(3.5, **EXACT)
    assert first["exported_day"] == pytest.approx(0 + 3.5 + tw.PRODUCTION_LEAD_DAYS, **EXACT)  # 8.5
    assert first["arrived_day"] == pytest.approx(8.5 + tw.TRANSIT_DAYS + tw.CUSTOMS_DAYS, **EXACT)
    assert first["arrived_day"] == pytest.approx(12.5, **EXACT)
    assert first["lead_days"] == pytest.approx(12.5, **EXACT)
    assert first["state"] == "delivered"


def test_bulk_every_order_follows_the_fifo_line(tiny_run):
    t = tiny_run("tiny_bulk").tables
    ship, lic = t["shipments"], t["licences"]
    orders = _placed(ship)
    assert len(orders) > 40  # a weekly order (sometimes two lots) all year
    (bulk_id,) = lic["licence_id"]  # the initial bulk licence, never renewed (validity 1e9 days)
    assert (orders["licence_id"] == bulk_id).all()
    exported, arrived = _fifo_expected(orders, tw.CAPACITY_T_PER_DAY, tw.PRODUCTION_LEAD_DAYS)
    done = exported < HORIZON - 1e-9
    assert orders.loc[done, "exported_day"].to_numpy() == pytest.approx(exported[done], **EXACT)
    assert orders.loc[~done, "exported_day"].isna().all()
    landed = arrived < HORIZON - 1e-9
    assert orders.loc[landed, "arrived_day"].to_numpy() == pytest.approx(arrived[landed], **EXACT)
    assert (orders.loc[landed, "state"] == "delivered").all()
    assert (orders.loc[done & ~landed, "state"] == "in_transit").all()
    # orders are placed on review days only, and only JP exists: nothing waits for a licence
    assert (orders["ordered_day"] % tw.REVIEW_PERIOD_DAYS == 0).all()
    assert not (ship["state"] == "awaiting_licence").any()
    assert lic["revoked_day"].isna().all()


def test_warm_start_pipeline_arrives_within_one_nominal_lead_time(tiny_run):
    ship = tiny_run("tiny_bulk").tables["shipments"]
    pre = ship[ship["licence_id"] == "pre-start"]
    lead = tw.PRODUCTION_LEAD_DAYS + LANE_DAYS  # 9 days: two orders (ceil(9 / 7)) of 4.5 d each
    assert len(pre) == 2
    assert pre["quantity_t"].to_numpy() == pytest.approx([4.5 * tw.DAILY_USE_T] * 2, **EXACT)
    assert sorted(pre["arrived_day"]) == pytest.approx([0.25 * lead, 0.75 * lead], **EXACT)
    assert (pre["ordered_day"] < 0).all()
    assert pre["lead_days"].to_numpy() == pytest.approx([lead] * 2, **EXACT)


# --- individual licensing from day X --------------------------------------------------------
INDIVIDUAL_DECISION_DAYS = tw.INDIVIDUAL_DOCS * tw.INDIVIDUAL_PREP_DAYS + tw.INDIVIDUAL_REVIEW_DAYS


def test_individual_revokes_bulk_and_first_contract_is_decided_on_time(tiny_run):
    t = tiny_run("tiny_individual").tables
    lic, ship, ev = t["licences"], t["shipments"], t["events"]
    bulk = lic[lic["regime"] == "bulk"]
    assert len(bulk) == 1 and bulk["revoked_day"].iloc[0] == X
    contracts = lic[lic["regime"] == "individual"].sort_values("applied_day")
    first = contracts.iloc[0]
    # the fab's first review on or after X (day 63) files the first contract: the lot made
    # before X reaches the gate only on day 56 + 3.5 + 5 = 64.5
    first_review = math.ceil(X / tw.REVIEW_PERIOD_DAYS) * tw.REVIEW_PERIOD_DAYS
    assert first["applied_day"] == first_review == 63
    assert first["scope"] == "contract" and first["fab"] == "fab1" and first["grade"] == "liquid"
    assert first["decided_day"] == pytest.approx(63 + 9 * 1.0 + 40.0, **EXACT)  # 112
    assert first["decided_day"] - first["applied_day"] == pytest.approx(INDIVIDUAL_DECISION_DAYS)
    assert first["outcome"] == "approved"
    assert first["valid_until_day"] == pytest.approx(first["decided_day"] + 182.0)
    # every decision (no queue: one application in flight at a time) takes exactly as long
    decided = contracts[contracts["outcome"] != "pending"]
    assert (decided["decided_day"] - decided["applied_day"]).to_numpy() == pytest.approx(
        [INDIVIDUAL_DECISION_DAYS] * len(decided))
    # one application in flight: the next contract is filed only after the previous decision
    assert (contracts["applied_day"].to_numpy()[1:] >= contracts["decided_day"].to_numpy()[:-1]).all()
    # the regime change and revocation are logged on day X
    changed = ev[ev["event"] == "regime_changed"]
    assert changed["day"].tolist() == [X]
    assert ev[ev["event"] == "licence_revoked"]["day"].tolist() == [X]

    # the orders the first contract covers: exported once it is decided, then transit + customs
    covered = ship[ship["licence_id"] == first["licence_id"]].sort_values(["ordered_day", "order_id"])
    assert set(covered["order_id"]) == set(first["order_ids"].split(";"))
    assert (covered["exported_day"] >= first["decided_day"] - 1e-9).all()
    assert covered["arrived_day"].to_numpy() == pytest.approx(
        covered["exported_day"].to_numpy() + LANE_DAYS, **EXACT)
    assert first["used_t"] == pytest.approx(covered["quantity_t"].sum(), rel=1e-12)
    assert first["quantity_t"] == pytest.approx(covered["quantity_t"].sum(), rel=1e-12)

    # the lot made before X waited at the gate and leaves the moment the licence is granted
    gate = covered[covered["ordered_day"] < X]
    assert len(gate) == 1
    assert gate["exported_day"].iloc[0] == pytest.approx(first["decided_day"], **EXACT)
    # the contract's lots are made after the decision, back to back on the line
    lots = covered[covered["ordered_day"] >= X]
    assert lots["ordered_day"].nunique() == 1 and len(lots) > 1
    exp, _ = _fifo_expected(lots, tw.CAPACITY_T_PER_DAY, tw.PRODUCTION_LEAD_DAYS,
                            ready=[first["decided_day"]] * len(lots))
    assert np.sort(lots["exported_day"].to_numpy()) == pytest.approx(np.sort(exp), **EXACT)


def test_individual_nothing_leaves_japan_between_the_change_and_the_first_licence(tiny_run):
    t = tiny_run("tiny_individual").tables
    ship, lic = t["shipments"], t["licences"]
    first_decision = lic.loc[lic["regime"] == "individual", "decided_day"].min()
    exported = ship["exported_day"]
    assert not ((exported >= X) & (exported < first_decision - 1e-9)).any()
    # lead times jump: the contract's orders waited for the review
    before = _placed(ship)
    before = before[before["arrived_day"] < X]
    after = _placed(ship)
    after = after[(after["ordered_day"] >= X) & after["arrived_day"].notna()]
    assert after["lead_days"].min() >= INDIVIDUAL_DECISION_DAYS
    assert before["lead_days"].max() < 20


# --- special bulk ---------------------------------------------------------------------------
def test_special_bulk_one_pair_licence_covers_many_orders(tiny_run):
    t = tiny_run("tiny_special_bulk").tables
    lic, ship = t["licences"], t["shipments"]
    pair = lic[lic["regime"] == "special_bulk"]
    assert len(pair) == 1  # valid 1095 days: no second licence within the year
    pair = pair.iloc[0]
    assert pair["scope"] == "pair" and pair["fab"] == "fab1" and pair["grade"] == ""
    assert pair["applied_day"] == 63
    decision = tw.SPECIAL_DOCS * tw.SPECIAL_PREP_DAYS + tw.SPECIAL_REVIEW_DAYS  # 27 days
    assert pair["decided_day"] == pytest.approx(63 + decision, **EXACT)  # 90
    covered = ship[ship["licence_id"] == pair["licence_id"]]
    # orders placed on many different reviews all ship under the one licence
    assert covered["ordered_day"].nunique() >= 10
    assert covered["ordered_day"].max() > pair["decided_day"] + 60
    exported = covered["exported_day"].dropna()
    assert (exported >= pair["decided_day"] - 1e-9).all()
    assert (exported < pair["valid_until_day"]).all()
    assert covered["arrived_day"].dropna().to_numpy() == pytest.approx(
        covered.loc[covered["arrived_day"].notna(), "exported_day"].to_numpy() + LANE_DAYS, **EXACT)
    assert pair["used_t"] == pytest.approx(covered.loc[covered["exported_day"].notna(),
                                                       "quantity_t"].sum(), rel=1e-12)
    # after the decision the weekly rhythm resumes: orders on review days, regularly (a review
    # whose position is still above target while the first contract ships orders nothing)
    later = sorted(covered.loc[covered["ordered_day"] > pair["decided_day"], "ordered_day"].unique())
    assert len(later) >= 10
    assert all(d % tw.REVIEW_PERIOD_DAYS == 0 for d in later)
    gaps = np.diff(later)
    assert gaps.max() <= 4 * tw.REVIEW_PERIOD_DAYS
    assert (gaps == tw.REVIEW_PERIOD_DAYS).mean() >= 0.8


# --- denial -----------------------------------------------------------------------------------
def test_denied_applications_stop_japanese_exports(tiny_run):
    t = tiny_run("tiny_denied").tables
    ship, lic, daily, ev = t["shipments"], t["licences"], t["daily"], t["events"]
    assert not (ship["exported_day"] >= X).any()  # nothing leaves Japan after the change
    after = ship[ship["ordered_day"] >= X]
    assert len(after) > 0
    assert set(after["state"]) <= {"denied", "awaiting_licence"}
    assert (after["state"] == "denied").sum() > 0
    # the lot in production at X reaches the gate, finds its bulk licence revoked, is denied
    inflight = ship[(ship["ordered_day"] < X) & ship["exported_day"].isna()]
    assert len(inflight) >= 1 and (inflight["state"] == "denied").all()
    denied = ship[ship["state"] == "denied"]
    assert (denied["ended_day"] >= X).all() and denied["arrived_day"].isna().all()
    contracts = lic[lic["regime"] == "individual"]
    decided = contracts[contracts["outcome"] != "pending"]
    assert len(decided) >= 2 and (decided["outcome"] == "denied").all()
    assert (contracts["outcome"] != "approved").all()
    assert (decided["valid_from_day"].isna()).all()
    # every denial is decided on the deterministic clock
    assert (decided["decided_day"] - decided["applied_day"]).to_numpy() == pytest.approx(
        [INDIVIDUAL_DECISION_DAYS] * len(decided))
    assert len(ev[ev["event"] == "order_denied"]) == (ship["state"] == "denied").sum()
    # Japan is the only source: the fab runs out
    assert (daily["shortfall_t"] > 0).any()
    assert (ev["event"] == "stockout_started").any()


# --- lapse --------------------------------------------------------------------------------------
def test_contract_lots_made_after_expiry_lapse(tiny_run):
    t = tiny_run("tiny_lapsing").tables
    ship, lic, ev = t["shipments"], t["licences"], t["events"]
    contracts = lic[(lic["regime"] == "individual") & (lic["outcome"] == "approved")]
    first = contracts.sort_values("applied_day").iloc[0]
    assert first["valid_until_day"] == pytest.approx(first["decided_day"] + 20.0)
    covered = ship[ship["order_id"].isin(first["order_ids"].split(";"))]
    # lots leave the gate while the licence is valid; those made later lapse at the gate
    exported = covered[covered["exported_day"].notna()]
    lapsed = covered[covered["state"] == "lapsed"]
    assert len(exported) > 0 and len(lapsed) > 0
    assert (exported["exported_day"] < first["valid_until_day"]).all()
    assert (lapsed["ended_day"] >= first["valid_until_day"]).all()
    # every lot of the contract is exported or lapsed by the end of the year
    assert len(exported) + len(lapsed) == len(covered)
    assert first["used_t"] == pytest.approx(exported["quantity_t"].sum(), rel=1e-12)
    assert first["lapsed_t"] == pytest.approx(lapsed["quantity_t"].sum(), rel=1e-9)
    expired = ev[(ev["event"] == "licence_expired") & (ev["licence_id"] == first["licence_id"])]
    assert len(expired) == 1
    assert expired["day"].iloc[0] == pytest.approx(first["valid_until_day"])
    assert expired["quantity_t"].iloc[0] == pytest.approx(lapsed["quantity_t"].sum(), rel=1e-9)
    assert len(ev[ev["event"] == "order_lapsed"]) == (ship["state"] == "lapsed").sum()


# --- third-country and domestic sources -------------------------------------------------------
def test_third_country_supplier_ignores_japanese_licensing(tiny_run):
    t = tiny_run("tiny_mixed").tables
    ship = t["shipments"]
    cn = _placed(ship, "cn_hf")
    assert len(cn) > 20
    assert (cn["licence_id"] == "").all()
    assert (cn["origin"] == "CN").all()
    cn_capacity = 300.0 * 1.5 / DAYS_PER_MONTH
    exported, _ = _fifo_expected(cn, cn_capacity, 7.0)
    horizon = t["daily"]["day"].max() + 1
    done = exported < horizon - 1e-9
    assert cn.loc[done, "exported_day"].to_numpy() == pytest.approx(exported[done], **EXACT)
    arrived = cn["arrived_day"].dropna()
    assert arrived.to_numpy() == pytest.approx(
        cn.loc[arrived.index, "exported_day"].to_numpy() + 4.0 + 2.0, **EXACT)
    # CN keeps shipping through the individual-licensing months
    assert ((cn["exported_day"] > X) & (cn["exported_day"] < X + 60)).any()


def test_domestic_supplier_waits_for_its_programme(tiny_run):
    t = tiny_run("tiny_mixed").tables
    ship, ev = t["shipments"], t["events"]
    start = tw.day_of("2019-04-01")
    act = ev[ev["event"] == "supplier_activated"]
    assert act["supplier"].tolist() == ["kr_hf"] and act["day"].tolist() == [start]
    assert ev.loc[ev["event"] == "programme_started", "day"].tolist() == [start]
    kr = ship[ship["supplier"] == "kr_hf"]
    assert len(kr) > 0
    assert kr["ordered_day"].min() >= start
    assert (kr["licence_id"] == "").all()
    delivered = kr[kr["arrived_day"].notna()]
    assert len(delivered) > 0
    assert delivered["arrived_day"].to_numpy() == pytest.approx(
        delivered["exported_day"].to_numpy() + 1.0, **EXACT)  # KR road: 1 day, no customs


def test_lift_back_to_bulk_restores_routine_licence(tiny_run):
    t = tiny_run("tiny_mixed").tables
    lic, ship = t["licences"], t["shipments"]
    lift = tw.day_of("2019-10-01")
    bulk = lic[(lic["regime"] == "bulk") & (lic["applied_day"] >= lift)]
    assert len(bulk) == 1
    b = bulk.iloc[0]
    assert b["scope"] == "exporter" and b["outcome"] == "approved"
    assert b["decided_day"] - b["applied_day"] == pytest.approx(
        tw.BULK_DOCS * tw.BULK_PREP_DAYS + tw.BULK_REVIEW_DAYS)
    jp_after = ship[(ship["supplier"] == "jp_hf") & (ship["exported_day"] >= b["decided_day"])]
    assert len(jp_after) > 0
    # special bulk is looser than individual: the pair licence survives into the lift (not revoked)
    pair = lic[lic["regime"] == "special_bulk"]
    assert pair["revoked_day"].isna().all()
