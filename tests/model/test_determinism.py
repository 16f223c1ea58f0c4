"""Determinism and common random numbers.

- the same params and seed give identical tables; another seed gives different ones;
- processes (workers=2) give the same tables as one process;
- replication r does not depend on how many replications run, nor on the worker count;
- streams are per (replication, actor name): scenarios that share the world up to their first
  event are identical up to that day, and actors added by a scenario (dormant domestic
  suppliers) leave every other actor's draws unchanged.
"""
from __future__ import annotations

import copy
import dataclasses

import pytest
from pandas.testing import assert_frame_equal

import tiny_world as tw
from conftest import ANNOUNCE_DAY, SHORT, compose, run_scenario
from simulator import simulate
from simulator.experiment import run_replication
from simulator.config.dictionary import SIMULATION_TABLES as TABLES

# a shorter horizon still: the curbs' last event is photoresist special bulk on 2019-12-20
SHORTER = ("run.end_date=2019-12-31", "metrics.windows.post2.end=2019-12-31")


def assert_tables_equal(a, b):
    assert set(a) == set(b) == set(TABLES)
    for name in TABLES:
        assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def _rep(tables, r):
    return {k: v[v["replication"] == r].reset_index(drop=True) for k, v in tables.items()}


def test_same_seed_same_tables_tiny():
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    assert_tables_equal(simulate(p, workers=1).tables, simulate(p, workers=1).tables)


def test_same_seed_same_tables_composed():
    p = compose("curbs_2019", SHORTER)
    a = simulate(p, replications=2, workers=1).tables
    b = simulate(p, replications=2, workers=1).tables
    assert_tables_equal(a, b)
    assert len(a["shipments"]) > 1000 and len(a["licences"]) > 10


def test_different_seed_different_tables():
    p = compose("curbs_2019", SHORTER)
    a = simulate(p, replications=1, seed=1, workers=1).tables
    b = simulate(p, replications=1, seed=2, workers=1).tables
    # lane transit draws differ ...
    assert not a["shipments"]["arrived_day"].equals(b["shipments"]["arrived_day"])
    # ... and so do licence review clocks and initial bulk issue days
    assert not a["licences"]["decided_day"].equals(b["licences"]["decided_day"])
    assert not a["daily"]["inventory_t"].equals(b["daily"]["inventory_t"])
    # the seed argument is the same as run.seed
    c = simulate(dataclasses.replace(p, run=dataclasses.replace(p.run, seed=2)),
                 replications=1, workers=1).tables
    assert_tables_equal(b, c)


def test_replications_differ_from_each_other():
    t = run_scenario("curbs_2019", SHORT, 3).tables
    s0, s1 = _rep(t, 0)["shipments"], _rep(t, 1)["shipments"]
    assert not s0["arrived_day"].head(500).reset_index(drop=True).equals(
        s1["arrived_day"].head(500).reset_index(drop=True))


def test_parallel_equals_sequential():
    p = compose("domestic_substitution", SHORTER)
    seq = simulate(p, replications=3, workers=1).tables
    par = simulate(p, replications=3, workers=2).tables
    assert_tables_equal(seq, par)
    assert sorted(par["daily"]["replication"].unique()) == [0, 1, 2]


def test_replication_does_not_depend_on_how_many_run():
    p = compose("curbs_2019", SHORTER)
    two = simulate(p, replications=2, workers=1).tables
    three = simulate(p, replications=3, workers=2).tables
    for r in (0, 1):
        assert_tables_equal(_rep(two, r), _rep(three, r))
    # and is what run_replication gives on its own
    alone = run_replication(dataclasses.replace(p, run=dataclasses.replace(p.run, replications=2)), 1)
    assert_tables_equal({k: v.reset_index(drop=True) for k, v in alone.items()}, _rep(two, 1))


def test_simulate_does_not_mutate_params():
    p = compose("curbs_2019", SHORTER)
    before = copy.deepcopy(p)
    simulate(p, replications=1, seed=7, workers=1)
    assert p == before


# --- common random numbers across scenarios ---------------------------------------------------
def _before(tables, day):
    """Rows that describe what happened strictly before `day`."""
    s = tables["shipments"]
    lic = tables["licences"]
    return {
        "daily": tables["daily"][tables["daily"]["day"] < day].reset_index(drop=True),
        "events": tables["events"][tables["events"]["day"] < day].reset_index(drop=True),
        # orders whose whole life (to arrival) ended before the scenarios diverged
        "shipments": s[s["arrived_day"] < day].sort_values(["replication", "order_id"])
        .reset_index(drop=True),
        # licences decided before; their use and revocation go on after the divergence
        "licences": lic[lic["decided_day"] < day].sort_values(["replication", "licence_id"])
        .drop(columns=["revoked_day", "revoked_date", "used_t", "lapsed_t"]).reset_index(drop=True),
    }


@pytest.mark.parametrize("a,b", [("baseline", "curbs_2019"), ("curbs_2019", "domestic_substitution")])
def test_scenarios_share_random_numbers_until_they_diverge(a, b):
    """The same replication of two scenarios is identical before the first event (2019-07-01),
    including the domestic suppliers' world where extra (dormant) actors exist."""
    ta, tb = run_scenario(a, SHORT, 3).tables, run_scenario(b, SHORT, 3).tables
    pa, pb = _before(ta, ANNOUNCE_DAY), _before(tb, ANNOUNCE_DAY)
    for name in pa:
        assert len(pa[name]) > 0, name
        assert_frame_equal(pa[name], pb[name], check_exact=True, obj=name)


def test_added_supplier_leaves_other_actors_streams_alone():
    """A third-country supplier added to the tiny world does not change the authority's draws
    (the initial bulk licence's issue day) in the same replication."""
    p = tw.tiny_params()
    q = tw.with_cn_supplier(p)
    la = simulate(p, workers=1).tables["licences"]
    lb = simulate(q, workers=1).tables["licences"]
    assert la["applied_day"].iloc[0] == lb["applied_day"].iloc[0]
    # while another seed moves it
    lc = simulate(p, seed=p.run.seed + 1, workers=1).tables["licences"]
    assert la["applied_day"].iloc[0] != lc["applied_day"].iloc[0]
