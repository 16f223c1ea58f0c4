"""Invariants every run must satisfy, checked on the tiny world's variants and on composed
scenarios (short horizon, two replications; lift_2023 over the full horizon, one replication).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import tiny_world as tw
from conftest import SHORT, run_scenario, run_tiny, tiny_variants
from simulator import simulate
from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.experiment.parameter_draws import for_replication
from simulator.model.records import ORDER_STATES

TOL_T = 1e-6  # tonnes
TOL_DAY = 1e-9

TINY = list(tiny_variants())
COMPOSED = {
    "curbs_2019": ("curbs_2019", SHORT, 3),
    "domestic_substitution": ("domestic_substitution", SHORT, 3),
    "lift_2023_full": ("lift_2023", ("run.end_date=2024-12-31",), 1),  # as test_scenarios
    # the second episode, with its US clause (licences denied by destination)
    "gallium_2024_us": ("gallium_2024_us", ("world=china_gallium",), 2),
}
# full horizon, several replications: run with `pytest -m slow`
SLOW = {
    "curbs_2019_full_4reps": ("curbs_2019", ("run.end_date=2024-12-31",), 4),
    "lift_2023_full_4reps": ("lift_2023", ("run.end_date=2024-12-31",), 4),
    "baseline_full_4reps": ("baseline", ("run.end_date=2024-12-31",), 4),
}
COMPOSED.update(SLOW)
RUNS = TINY + [n for n in COMPOSED if n not in SLOW] + [
    pytest.param(n, marks=pytest.mark.slow) for n in SLOW]


def _get(name):
    """(params, tables) of a named run."""
    if name in COMPOSED:
        scenario, overrides, reps = COMPOSED[name]
        res = run_scenario(scenario, overrides, reps)
    else:
        res = run_tiny(name)
    return res.params, res.tables


@pytest.fixture(params=RUNS, scope="module")
def run(request):
    return _get(request.param)


ITEM = ["replication", "fab", "material", "grade"]


# --- orders -----------------------------------------------------------------------------------
def test_mass_balance_of_orders(run):
    """ordered == delivered + in transit + awaiting licence + in production + lapsed + denied."""
    _, t = run
    ship = t["shipments"]
    assert set(ship["state"]) <= set(ORDER_STATES)
    assert (ship["quantity_t"] > 0).all()
    ordered = ship.groupby(ITEM)["quantity_t"].sum()
    by_state = ship.pivot_table(index=ITEM, columns="state", values="quantity_t", aggfunc="sum",
                                fill_value=0.0).reindex(columns=list(ORDER_STATES), fill_value=0.0)
    assert (by_state >= 0).all().all()
    np.testing.assert_allclose(by_state.sum(axis=1).reindex(ordered.index).to_numpy(),
                               ordered.to_numpy(), rtol=1e-12, atol=TOL_T)
    # every fab x item that has demand in the daily table ordered something
    daily_keys = set(map(tuple, t["daily"][ITEM].drop_duplicates().to_numpy()))
    assert daily_keys <= set(ordered.index)


def test_order_fields_match_their_state(run):
    _, t = run
    s = t["shipments"]
    st = s["state"]
    exported, arrived, ended = s["exported_day"].notna(), s["arrived_day"].notna(), s["ended_day"].notna()
    assert (arrived == (st == "delivered")).all()
    assert (exported == st.isin(["in_transit", "delivered"])).all()
    assert (ended == st.isin(["lapsed", "denied", "cancelled"])).all()
    d = s[arrived]
    assert (d["ordered_day"] <= d["exported_day"] + TOL_DAY).all()
    assert (d["exported_day"] <= d["arrived_day"] + TOL_DAY).all()
    np.testing.assert_allclose(d["lead_days"], d["arrived_day"] - d["ordered_day"])
    horizon = t["daily"]["day"].max() + 1
    assert (s["arrived_day"].dropna() < horizon).all()
    assert (s["exported_day"].dropna() < horizon).all()
    e = s[ended]
    assert (e["ended_day"] >= e["ordered_day"]).all() and (e["ended_day"] < horizon).all()


def test_order_durations_respect_lead_times_and_lanes(run):
    p, t = run
    s = t["shipments"]
    s = s[(s["licence_id"] != "pre-start") & s["exported_day"].notna()]
    lead = s["supplier"].map({k: v.production_lead_days for k, v in p.suppliers.items()})
    # production takes q / capacity > 0 days on top of the lead time, unless an urgent order was
    # served from the supplier's finished goods (then it leaves no earlier than it was ordered)
    made = ~s["urgent"]
    assert (s.loc[made, "exported_day"] - s.loc[made, "ordered_day"] >= lead[made] - TOL_DAY).all()
    assert (s["exported_day"] >= s["ordered_day"] - TOL_DAY).all()
    d = s[s["arrived_day"].notna()]
    for (origin, material, grade), g in d.groupby(["origin", "material", "grade"]):
        mode = "road" if origin == p.world.home_country else p.materials[material].grades[grade].mode
        (lane,) = [l for l in p.lanes.values() if l.origin == origin and l.mode == mode]
        transit = g["arrived_day"] - g["exported_day"]
        assert (transit >= lane.transit_days_min + lane.customs_days - TOL_DAY).all(), (origin, mode)
        assert (transit <= lane.transit_days_max + lane.customs_days + TOL_DAY).all(), (origin, mode)


# --- stock ------------------------------------------------------------------------------------
def test_stock_balance(run):
    """inventory at the end of day k == initial + deliveries up to day k - consumption to day k.

    Deliveries happen between the daily steps; a delivery at exactly an integer time k may be
    processed before or after the step of day k, so it is allowed on either side."""
    p, t = run
    daily, ship = t["daily"], t["shipments"]
    arrived = ship[ship["arrived_day"].notna()]
    arr_groups = dict(list(arrived.groupby(ITEM)))
    checked = 0
    for key, dd in daily.groupby(ITEM):
        dd = dd.sort_values("day")
        days = dd["day"].to_numpy()
        assert (days == np.arange(len(days))).all()
        _, _, m, _ = key
        cover = p.fab.initial_cover_days or p.materials[m].initial_cover_days
        initial = dd["demand_t"].iloc[0] * cover
        a = arr_groups.get(key)
        times = np.sort(a["arrived_day"].to_numpy()) if a is not None else np.array([])
        qty = a.sort_values("arrived_day")["quantity_t"].to_numpy() if a is not None else np.array([])
        csum = np.concatenate([[0.0], np.cumsum(qty)])
        lo = csum[np.searchsorted(times, days, side="left")]  # arrivals strictly before day k
        hi = csum[np.searchsorted(times, days, side="right")]  # arrivals up to and at day k
        consumed = np.cumsum(dd["consumption_t"].to_numpy())
        inv = dd["inventory_t"].to_numpy()
        tol = TOL_T + 1e-9 * (initial + csum[-1]) + 1e-9 * np.arange(len(days))
        assert (inv >= initial + lo - consumed - tol).all(), key
        assert (inv <= initial + hi - consumed + tol).all(), key
        checked += 1
    assert checked > 0


def test_inventory_and_consumption_are_consistent(run):
    p, t = run
    d = t["daily"]
    assert (d["inventory_t"] >= 0).all()
    assert (d["consumption_t"] >= 0).all() and (d["shortfall_t"] >= 0).all()
    need = d["demand_t"] * np.where(d["rationing"] == 1, 1.0 - p.fab.ration_saving, 1.0)
    np.testing.assert_allclose(d["consumption_t"] + d["shortfall_t"], need, rtol=1e-12, atol=1e-12)
    # a shortfall only when the stock is gone
    assert (d.loc[d["shortfall_t"] > 1e-9, "inventory_t"] == 0).all()
    np.testing.assert_allclose(d["cover_days"], d["inventory_t"] / d["demand_t"])
    assert d["production_pct"].between(0, 100).all()
    # the fab's output is capped by its worst input that day
    worst = d.groupby(["replication", "fab", "day"])["production_pct"].transform("min")
    np.testing.assert_allclose(d["fab_production_pct"], worst)


# --- licences ---------------------------------------------------------------------------------
def _licensed_exports(p, t):
    s = t["shipments"]
    jp = s[(s["origin"] == p.world.licensing_country) & (s["licence_id"] != "pre-start")
           & s["exported_day"].notna()]
    lic = t["licences"]
    m = jp.merge(lic, on=["replication", "licence_id"], how="left", suffixes=("", "_lic"),
                 validate="many_to_one")
    return m


def test_licensed_exports_only_under_a_valid_licence(run):
    p, t = run
    m = _licensed_exports(p, t)
    assert m["regime"].notna().all(), "exported with no licence record"
    assert (m["outcome"] == "approved").all()
    assert (m["supplier"] == m["supplier_lic"]).all()
    assert (m["material"] == m["material_lic"]).all()
    scoped = m["scope"] != "exporter"
    assert (m.loc[scoped, "fab"] == m.loc[scoped, "fab_lic"]).all()
    contract = m["scope"] == "contract"
    assert (m.loc[contract, "grade"] == m.loc[contract, "grade_lic"]).all()
    assert (m["exported_day"] >= m["decided_day"] - TOL_DAY).all()
    assert (m["exported_day"] >= m["valid_from_day"] - TOL_DAY).all()
    assert (m["exported_day"] < m["valid_until_day"]).all()
    revoked = m["revoked_day"].notna()
    assert (m.loc[revoked, "exported_day"] <= m.loc[revoked, "revoked_day"] + TOL_DAY).all()


def test_only_the_licensing_countrys_orders_carry_licences(run):
    p, t = run
    s = t["shipments"]
    other = s[s["origin"] != p.world.licensing_country]
    assert set(other["licence_id"]) <= {"", "pre-start"}
    jp = s[(s["origin"] == p.world.licensing_country) & s["exported_day"].notna()]
    assert (jp["licence_id"] != "").all()
    lic = t["licences"]
    assert {p.suppliers[x].origin for x in lic["supplier"]} == {p.world.licensing_country}
    assert (s["origin"] == s["supplier"].map(lambda x: p.suppliers[x].origin)).all()


def test_licence_usage_matches_exports(run):
    """used_t == what left the gate under the licence; a contract never ships more than its
    quantity, which is the sum of the orders it covers."""
    _, t = run
    s, lic = t["shipments"], t["licences"]
    exported = s[s["exported_day"].notna() & (s["licence_id"] != "pre-start")]
    used = exported.groupby(["replication", "licence_id"])["quantity_t"].sum()
    got = lic.set_index(["replication", "licence_id"])["used_t"]
    expected = used.reindex(got.index, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=TOL_T)
    c = lic[lic["scope"] == "contract"]
    assert (c["used_t"] <= c["quantity_t"] + TOL_T).all()
    qty = s.set_index(["replication", "order_id"])["quantity_t"]
    for row in c.itertuples():
        ids = row.order_ids.split(";")
        assert row.quantity_t == pytest.approx(qty.loc[[(row.replication, i) for i in ids]].sum(),
                                               rel=1e-9, abs=TOL_T)
    # contract licences cover the quantity of one link
    assert (c["fab"] != "").all() and (c["grade"] != "").all()
    assert lic.loc[lic["scope"] != "contract", "quantity_t"].isna().all()


def test_licence_decisions_and_lapses_are_consistent(run):
    p, t = run
    lic = t["licences"]
    assert set(lic["outcome"]) <= {"pending", "approved", "denied", "withdrawn"}
    run_lic = lic[~lic["pre_start"]]
    decided = run_lic[run_lic["outcome"] != "pending"]
    assert decided["decided_day"].notna().all()
    assert (run_lic.loc[run_lic["outcome"] == "pending", "decided_day"].isna()).all()
    # a decision takes at least the document preparation and the minimum review clock, unless
    # the application was withdrawn by a regime change
    conf = decided["regime"].map(p.licensing.regime)
    prep = (decided["documents"] * conf.map(lambda c: c.document_prep_days_per_doc)
            + conf.map(lambda c: c.review_days_min))
    full = decided["outcome"] != "withdrawn"
    assert (decided.loc[full, "review_days"] >= prep[full] - TOL_DAY).all()
    approved = lic[lic["outcome"] == "approved"]
    validity = approved["regime"].map(lambda r: p.licensing.regime(r).validity_days)
    np.testing.assert_allclose(approved["valid_until_day"] - approved["valid_from_day"], validity,
                               rtol=1e-9)
    assert lic.loc[lic["outcome"] != "approved", "used_t"].eq(0).all()
    # lapsed quantity: contract quantity left unshipped when the licence expired
    assert (lic["lapsed_t"] >= -TOL_T).all()
    assert (lic.loc[lic["scope"] != "contract", "lapsed_t"] == 0).all()
    s = t["shipments"]
    # only a contract licence lapses: an exporter or pair licence that runs out is renewed
    lapsed_scope = s[s["state"] == "lapsed"].merge(lic, on=["replication", "licence_id"])["scope"]
    assert (lapsed_scope == "contract").all(), lapsed_scope.value_counts().to_dict()
    contract_ids = lic.loc[lic["scope"] == "contract", ["replication", "licence_id"]]
    lapsed = s[s["state"] == "lapsed"].merge(contract_ids, on=["replication", "licence_id"])
    lapsed_orders = lapsed.groupby(["replication", "licence_id"])["quantity_t"].sum()
    lapsed_lic = lic.set_index(["replication", "licence_id"])["lapsed_t"]
    for key, q in lapsed_orders.items():
        # lots of the contract still in production at the end of the run may lapse later
        assert q <= lapsed_lic.loc[key] + TOL_T, key
    # every order ended as lapsed is logged, with its licence
    ev = t["events"]
    assert (ev["event"] == "order_lapsed").sum() == (s["state"] == "lapsed").sum()
    assert (ev["event"] == "order_denied").sum() == (s["state"] == "denied").sum()


def test_revocations_only_on_regime_changes(run):
    _, t = run
    lic, ev = t["licences"], t["events"]
    changes = ev[ev["event"] == "regime_changed"]
    revoked = lic[lic["revoked_day"].notna()]
    for r in revoked.itertuples():
        same = changes[(changes["replication"] == r.replication) & (changes["day"] == r.revoked_day)
                       & changes["material"].str.split(",").map(lambda ms: r.material in ms)]
        assert len(same) == 1, r.licence_id
        assert r.scope != "contract"  # nothing is stricter than individual licensing


# --- tables -----------------------------------------------------------------------------------
def test_imports_monthly_adds_up_to_arrivals(run):
    """Imports = foreign arrivals + crude the processors import (t_per_t x each lot they made) +
    other goods under the line (a steady flow), replication by replication with the parameters
    that replication drew (parameter uncertainty)."""
    p, t = run
    imp, s = t["imports_monthly"], t["shipments"]
    keys = ["material", "origin"]
    cal = Calendar(p.run.start_date, p.run.end_date)
    for r, got_r in imp.groupby("replication"):
        pr = for_replication(p, r)
        got = got_r.groupby(keys)["quantity_t"].sum()
        sr = s[s["replication"] == r]
        arrived = sr[(sr["origin"] != p.world.home_country) & sr["arrived_day"].notna()]
        want = arrived.groupby(keys)["quantity_t"].sum()
        # crude: lots made within their lead time of the horizon have no export day (nothing at
        # the horizon happens), so lots still in production bound it from above
        crude = sr[sr["supplier"].map(lambda k: bool(pr.suppliers[k].feedstock.origin))].copy()
        crude["origin"] = crude["supplier"].map(lambda k: pr.suppliers[k].feedstock.origin)
        crude["quantity_t"] *= crude["supplier"].map(lambda k: pr.suppliers[k].feedstock.t_per_t)
        made = crude[crude["exported_day"].notna()].groupby(keys)["quantity_t"].sum()
        maybe = crude[crude["state"] == "in_production"].groupby(keys)["quantity_t"].sum()
        other = pd.Series({(m, o): mat.other_goods_t_per_month(o) / DAYS_PER_MONTH * cal.horizon_days
                           for m, mat in pr.materials.items() for o in mat.other_goods_share},
                          dtype=float)
        on = lambda x: x.reindex(got.index, fill_value=0.0) if len(x) else 0.0 * got
        low = on(want) + on(made) + on(other)
        high = low + on(maybe)
        assert (got >= low - TOL_T * (1 + low.abs() * 1e-9)).all(), (got - low)
        assert (got <= high + TOL_T * (1 + high.abs() * 1e-9)).all(), (high - got)
        if not len(crude) and not len(other):  # then values add up exactly too
            v = got_r.groupby(keys)["value_usd"].sum()
            np.testing.assert_allclose(v.to_numpy(), arrived.groupby(keys)["value_usd"].sum()
                                       .reindex(v.index, fill_value=0.0).to_numpy(), rtol=1e-9)
    assert p.world.home_country not in set(imp["origin"])
    n_months = (cal.end.year - cal.start.year) * 12 + cal.end.month - cal.start.month + 1
    for r, g in imp.groupby("replication"):
        assert len(g) == n_months * g[["material", "origin"]].drop_duplicates().shape[0]


def test_daily_table_is_complete(run):
    p, t = run
    d = t["daily"]
    horizon = Calendar(p.run.start_date, p.run.end_date).horizon_days
    counts = d.groupby(ITEM)["day"].nunique()
    assert (counts == horizon).all()
    assert set(d["replication"]) == set(range(p.run.replications))


# --- targeted ---------------------------------------------------------------------------------
# regression: _expire once compared used_t >= quantity_t exactly, and rounding made
# fully shipped contracts look lapsed
def test_fully_shipped_contract_does_not_lapse():
    # individual licensing from 2019-02-20: the first contract's lots (the one waiting at the
    # gate joins last, ships first) are all exported long before the licence expires
    p = tw.with_regime_from(tw.tiny_params(), "2019-02-20", "individual")
    t = simulate(p, workers=1).tables
    lic, ev, s = t["licences"], t["events"], t["shipments"]
    first = lic[lic["regime"] == "individual"].sort_values("applied_day").iloc[0]
    orders = s[s["order_id"].isin(first["order_ids"].split(";"))]
    assert orders["exported_day"].notna().all()  # all shipped
    assert (orders["exported_day"] < first["valid_until_day"]).all()
    assert first["valid_until_day"] < 365  # expired within the run
    assert first["used_t"] == pytest.approx(first["quantity_t"], rel=1e-12)
    expired = ev[(ev["event"] == "licence_expired") & (ev["licence_id"] == first["licence_id"])]
    assert expired.empty, f"spurious expiry with {expired['quantity_t'].tolist()} t unused"
    assert first["lapsed_t"] == 0.0


def test_bulk_lots_do_not_lapse_while_the_exporter_holds_a_valid_bulk_licence():
    """Regression: the gate used to check only the licence a lot obtained before production, so
    under bulk a lot reaching the gate after that licence expired lapsed although the exporter
    already held the approved renewal (the baseline lost a few hundred tonnes a run this way)."""
    # bulk licences valid 200 days, renewed 30 days ahead (9-day routine review); lots take
    # 3.5 + 40 days from licence to gate, longer than the renewal lead
    p = tw.with_licensing(tw.tiny_params(), bulk={"validity_days": 200.0, "renewal_lead_days": 30.0})
    p = dataclasses.replace(p, suppliers={"jp_hf": dataclasses.replace(p.suppliers["jp_hf"],
                                                                      production_lead_days=40.0)})
    t = simulate(p, workers=1).tables
    s, lic = t["shipments"], t["licences"]
    assert (lic["regime"] == "bulk").all() and lic["revoked_day"].isna().all()
    renewals = lic[lic["renewal"] & (lic["outcome"] == "approved")]
    assert len(renewals) >= 1  # the exporter renewed on time ...
    lapsed = s[s["state"] == "lapsed"]
    covered = [((lic["valid_from_day"] <= day) & (day < lic["valid_until_day"])).any()
               for day in lapsed["ended_day"]]
    # ... so no lot should lapse at a moment the exporter holds a valid bulk licence
    assert not any(covered), (
        f"{sum(covered)} lots ({lapsed['quantity_t'][covered].sum():.1f} t) lapsed at days "
        f"{lapsed['ended_day'][covered].round(1).tolist()} while a bulk licence was valid")
