"""Unit tests of the small pieces, each alone: share arithmetic, random streams, the calendar, a
shipping lane, a supplier's shared line and the licensing authority on hand-built environments."""
from __future__ import annotations


import numpy as np
import pytest
import simpy

import tiny_world as tw
from simulator.config.calendar import Calendar
from simulator.config.params import LaneConf
from simulator.model.licensing import LicensingAuthority
from simulator.model.records import DailySeries, Order, Recorder
from simulator.model.shipping import Lane, UniformBlock, find_lane
from simulator.model.sourcing import adjust_shares, cap_shares, target_shares
from simulator.model.streams import stream


# --- sourcing arithmetic --------------------------------------------------------------------------
def test_cap_shares_by_hand():
    # 0.6 capped at 0.3: the 0.3 excess goes to the uncapped pro rata (0.3 and 0.1 -> +0.225, +0.075)
    out = cap_shares(np.array([0.6, 0.3, 0.1]), np.array([0.3, 1.0, 1.0]))
    assert out == pytest.approx([0.3, 0.525, 0.175])
    assert sum(out) == pytest.approx(1.0)


def test_cap_shares_cascades_and_can_leave_demand_unmet():
    # the second source, topped up, hits its own cap and passes the rest on
    out = cap_shares(np.array([0.5, 0.4, 0.1]), np.array([0.2, 0.45, 1.0]))
    assert out == pytest.approx([0.2, 0.45, 0.35])
    # every source capped: shares sum to what can be supplied
    out = cap_shares(np.array([0.5, 0.5]), np.array([0.3, 0.2]))
    assert out == pytest.approx([0.3, 0.2])


def test_target_shares_ces_by_hand():
    # equal supply, cost 1.2 vs 1 and elasticity 2: weights 1.2^-2 = 0.6944 and 1
    out = target_shares(np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([1.2, 1.0]), 2.0,
                        np.array([1.0, 1.0]))
    w = 1.2 ** -2
    assert out == pytest.approx([w / (1 + w), 1 / (1 + w)])
    # an unqualified source (usage 0) gets nothing; nothing at all -> zeros, not NaN
    assert target_shares(np.array([1.0, 1.0]), np.array([0.0, 1.0]), np.ones(2), 2.0,
                         np.ones(2)) == pytest.approx([0.0, 1.0])
    assert target_shares(np.zeros(2), np.ones(2), np.ones(2), 2.0, np.ones(2)) == [0, 0]


def test_adjust_shares_moves_a_fraction_of_the_gap():
    out = adjust_shares(np.array([0.8, 0.2]), np.array([0.4, 0.6]), 0.25)
    assert out == pytest.approx([0.7, 0.3])
    assert adjust_shares(np.array([0.8, 0.2]), np.array([0.4, 0.6]), 5.0) == pytest.approx([0.4, 0.6])


# --- random streams ---------------------------------------------------------------------------------
def test_streams_are_keyed_by_replication_and_actor_name():
    a = stream(7, 0, "supplier/jsr").random(5)
    assert stream(7, 0, "supplier/jsr").random(5) == pytest.approx(a)  # same key, same draws
    assert not np.allclose(stream(7, 1, "supplier/jsr").random(5), a)  # another replication
    assert not np.allclose(stream(7, 0, "supplier/tok").random(5), a)  # another actor
    assert not np.allclose(stream(8, 0, "supplier/jsr").random(5), a)  # another root seed


# --- calendar ---------------------------------------------------------------------------------------
def test_calendar_days_and_dates():
    cal = Calendar("2019-01-01", "2019-12-31")
    assert cal.horizon_days == 365  # both ends inclusive
    assert cal.day("2019-07-04") == 184 and cal.iso(184) == "2019-07-04"
    assert cal.iso(184.9) == "2019-07-04"  # a time during the day is that day
    assert cal.contains("2019-12-31") and not cal.contains("2020-01-01")
    assert cal.dates([0, 31.5]).astype(str).tolist() == ["2019-01-01", "2019-02-01"]


# --- a shipping lane --------------------------------------------------------------------------------
def test_lane_transit_is_triangular_plus_customs():
    lane = Lane("JP_sea", LaneConf(origin="JP", mode="sea", transit_days_min=2, transit_days_mode=3,
                                   transit_days_max=7, customs_days=2))
    assert lane.mean_days == pytest.approx(4 + 2)
    block = UniformBlock(np.random.default_rng(2), size=64)  # several blocks: refills join up
    draws = np.array([lane.sample_days(block) for _ in range(2000)])
    assert draws.min() >= 4 and draws.max() <= 9
    assert draws.mean() == pytest.approx(6.0, abs=0.1)
    # bit for bit what numpy's triangular draws from the same stream, with the customs days
    rng = np.random.default_rng(2)
    assert draws.tolist() == [float(rng.triangular(2, 3, 7)) + 2 for _ in range(2000)]
    kr = Lane("KR_road", LaneConf(origin="KR", mode="road", transit_days_min=1, transit_days_mode=1,
                                  transit_days_max=1))
    assert find_lane({"a": lane, "b": kr}, "KR", "road") is kr  # a home supplier asks for road


# --- a fab's recorded days --------------------------------------------------------------------------
def test_a_days_columns_are_what_the_fab_computed_each_day_bit_for_bit():
    """DailySeries keeps stock, rationing and, on a short day only, use; planned use, use on the
    other days, shortfall and output are derived after the run. They must equal, to the bit, what the fab's day computed: d = sized use x
    level, need = d x (1 - saving) while rationing, short = need - use, output = 100 x (1 -
    dependent share x short / need), 100 when nothing was needed."""
    rng = np.random.default_rng(7)
    level = [float(x) for x in rng.uniform(0.5, 1.5, 400)] + [0.0] * 10
    base, saving, dep = 3.7, 0.35, 0.6
    series = DailySeries("f", "hf", "liquid", base, level, saving, dep)
    expected = []
    for day in range(len(level)):
        d = base * level[day]
        rationing = bool(rng.random() < 0.3)
        on_hand = float(rng.uniform(0.0, 2.0 * d + 1e-3))
        need = d * (1.0 - saving) if rationing else d
        use = need if need <= on_hand else on_hand
        short = need - use
        pct = 100.0 * (1.0 - dep * short / need) if need > 0 else 100.0
        series.record(use, on_hand - use, rationing, use < need)
        expected.append((d, use, short, on_hand - use, rationing, pct))
    cols = series.columns()
    names = ["demand_t", "consumption_t", "shortfall_t", "inventory_t", "rationing", "production_pct"]
    for i, name in enumerate(names):
        assert cols[name].tolist() == [e[i] for e in expected], name
    assert (cols["shortfall_t"] > 0).any() and (cols["production_pct"] == 100.0).any()
    flat = DailySeries("f", "hf", "liquid", base)  # no output index: flat at the sized use
    flat.record(1.0, 2.0, False, False)
    assert flat.columns()["demand_t"].tolist() == [base]



def test_the_days_of_many_series_are_those_of_each_alone():
    """`daily_grids` reads all of a run's series at once, sharing a fab's level between its
    grades: each row must be that series' own days, a flat series and short days included."""
    from simulator.model.records import daily_grids

    rng = np.random.default_rng(3)
    shared = [float(x) for x in rng.uniform(0.5, 1.5, 50)]
    series = [DailySeries("a", "hf", "gas", 2.0, shared, 0.25, 0.5),
              DailySeries("a", "pr", "euv", 0.3, shared, 0.1, 1.0),
              DailySeries("b", "hf", "gas", 1.1, None, 0.25, 0.8)]
    for s in series:
        for day in range(50):
            rationing = bool(rng.random() < 0.2)
            need = s.base_use_t * (s.level[day] if s.level else 1.0)
            need = need * (1.0 - s.ration_saving) if rationing else need
            use = need * float(rng.choice([1.0, 0.5]))
            s.record(use, float(rng.uniform(0, 5)), rationing, use < need)
    together = daily_grids(series)
    for i, s in enumerate(series):
        for name, alone in s.columns().items():
            assert together[name][i].tolist() == alone.tolist(), (i, name)
    assert (together["shortfall_t"] > 0).any() and (together["shortfall_t"] == 0).any()

# --- a supplier's shared line ------------------------------------------------------------------------
def test_a_line_is_shared_by_weight_and_idles_for_no_one():
    """Buyer A (weight 0.75) and B (0.25) each queue two lots of 10 t at time 0 on a 10 t/day line:
    fair queueing tags A 13.3, 26.7 and B 40, 80, so A's lots finish at 1 and 2, B's at 3 and 4;
    a lone buyer later gets the whole line."""
    from simulator.model.production import FairLine

    env = simpy.Environment()

    class OneSupplier:
        def capacity_t_per_day(self, grade, day):
            return 10.0

    line = FairLine(env, OneSupplier(), "liquid")
    done = {}
    for buyer, weight in (("A", 0.75), ("B", 0.25)):
        for k in range(2):
            line.make(buyer, weight, 10.0, lambda key: done.__setitem__(key, env.now), (buyer, k))
    env.run()
    assert done == {("A", 0): 1.0, ("A", 1): 2.0, ("B", 0): 3.0, ("B", 1): 4.0}
    line.make("B", 0.25, 10.0, lambda key: done.__setitem__(key, env.now), ("B", 2))
    env.run()
    assert done[("B", 2)] == pytest.approx(5.0)  # one day: nobody else queued, B gets the full line


# --- the licensing authority alone ---------------------------------------------------------------
def _authority(first_files: int = 1):
    # review clock 40 days (no spread) within a 10..90 window, so a precedent's half clock shows
    p = tw.with_licensing(tw.tiny_params(), individual={"first_files_in_flight": first_files,
                                                         "precedent_clock_factor": 0.5,
                                                         "review_days_min": 10.0,
                                                         "review_days_max": 90.0})
    env = simpy.Environment()
    rec = Recorder()
    auth = LicensingAuthority(env, p.licensing, ["hf"], np.random.default_rng(0), rec)
    auth.set_regime("hf", "individual")
    return env, auth, rec


def _order(rec, fab="fab1", supplier="jp_hf"):
    o = Order(id=rec.new_id("O"), fab=fab, supplier=supplier, origin="JP", material="hf",
              grade="liquid", quantity_t=10.0, value_usd=1.0, ordered_day=0.0)
    return o


def test_a_contract_licence_is_decided_after_documents_and_review():
    env, auth, rec = _authority()
    got = {}

    def buyer(order):
        lic = yield from auth.obtain(order)
        got[order.id] = (env.now, lic.regime, lic.valid_until)

    o = _order(rec)
    env.process(buyer(o))
    env.run()
    decision = tw.INDIVIDUAL_DOCS * tw.INDIVIDUAL_PREP_DAYS + tw.INDIVIDUAL_REVIEW_DAYS
    assert got[o.id] == (pytest.approx(decision), "individual", pytest.approx(decision + 182.0))


def test_a_consignee_files_one_test_case_then_the_rest_with_a_precedent():
    env, auth, rec = _authority(first_files=1)
    got = {}

    def buyer(order):
        yield from auth.obtain(order)
        got[order.supplier] = env.now

    env.process(buyer(_order(rec, supplier="jp_a")))
    env.process(buyer(_order(rec, supplier="jp_b")))
    env.run()
    full = tw.INDIVIDUAL_DOCS * tw.INDIVIDUAL_PREP_DAYS + tw.INDIVIDUAL_REVIEW_DAYS  # 49
    assert got["jp_a"] == pytest.approx(full)
    # jp_b waited for the test case, then a full review (no pair precedent with jp_b)
    assert got["jp_b"] == pytest.approx(2 * full)
    first = [l for l in rec.licences if l.supplier == "jp_a"][0]
    second = [l for l in rec.licences if l.supplier == "jp_b"][0]
    assert first.first_file and not second.first_file and second.applied_day == pytest.approx(full)
    assert not first.precedent and not second.precedent
    # a new contract of the approved pair jp_a -> fab1 is a precedent: half the review clock
    start = env.now
    env.process(buyer(_order(rec, supplier="jp_a")))
    env.run()
    repeat = [l for l in rec.licences if l.supplier == "jp_a"][-1]
    assert repeat.precedent
    assert got["jp_a"] - start == pytest.approx(tw.INDIVIDUAL_DOCS * tw.INDIVIDUAL_PREP_DAYS
                                                + 0.5 * tw.INDIVIDUAL_REVIEW_DAYS)


# --- a run's records and the collector ----------------------------------------------------------
def test_a_runs_records_are_handed_over_free_of_the_worlds_reference_cycles():
    """The world's actors stay in reference cycles after a run (SimPy's pending events); the
    records the run returns must not be reachable from them, or only a collection that walks
    every record could free them."""
    import gc
    import sys

    from simulator.model.world import World, run_world

    world = World(tw.tiny_params(), 0)
    rec = world.run()
    assert rec.orders and rec.daily and not world.rec.orders  # handed over; the world's is empty
    for name in ("orders", "events", "licences", "daily", "risk", "feedstock"):
        # two references: the recorder's and this call's argument; none from an actor (counted
        # outside the assert, whose rewriting by pytest holds values of its own)
        held = sys.getrefcount(getattr(rec, name))
        assert held == 2, name
    assert gc.isenabled()
    gc.disable()
    try:
        assert run_world(tw.tiny_params(), 0).orders and not gc.isenabled()  # a pause nests
    finally:
        gc.enable()
    assert run_world(tw.tiny_params(), 0).orders and gc.isenabled()  # and is lifted after


def test_months_of_days_read_from_the_table_equal_the_date_conversion():
    """Calendar.months (a lookup table of the run's days) gives each day's month since the
    start's month as converting the dates does: fractional days by their floor, days outside
    the run and missing days by conversion."""
    import numpy as np

    from simulator.config.calendar import Calendar

    cal = Calendar("2019-02-15", "2021-03-01")
    first = np.datetime64(cal.start, "M")

    def converted(days):
        return (cal.dates(days).astype("datetime64[M]") - first).astype(np.int64)

    days = np.random.default_rng(3).uniform(0, cal.horizon_days, 5000)
    days[:4] = [0.0, 13.99, 14.0, cal.horizon_days - 0.01]  # the first month ends on day 13
    assert cal.months(days)[:4].tolist() == [0, 0, 1, 25]
    np.testing.assert_array_equal(cal.months(days), converted(days))
    beyond = np.array([-46.0, -0.5, 3.0, cal.horizon_days + 40.0])  # 31 Dec 2018, 14 Feb 2019
    np.testing.assert_array_equal(cal.months(beyond), converted(beyond))
    assert cal.months(beyond).tolist()[:2] == [-2, 0]
    missing = np.array([2.0, np.nan])
    np.testing.assert_array_equal(cal.months(missing), converted(missing))
