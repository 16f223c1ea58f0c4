"""Every scenario file composes and runs; its events happen on their dates; bad configurations
are refused with a ConfigError that names the offending key."""
from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import tiny_world as tw
from conftest import SHORT, compose, run_scenario
from simulator import ConfigError, simulate
from simulator.config.calendar import Calendar
from simulator.model.risk import news_to_risk
from simulator.config.hydra import DEFAULT_WORLD, compose_params, scenario_names, scenario_world
from simulator.config.params import EventConf
from simulator.config.validation import validate

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/<group>/this file
FULL = ("run.end_date=2024-12-31",)


def _horizon(scenario):
    """Short horizon unless a scenario event needs the full one (lift_2023: up to 2023-07-21);
    another world's scenario runs in its world, on that world's horizon."""
    world = scenario_world(scenario)
    if world != DEFAULT_WORLD:
        return (f"world={world}",)
    return FULL if scenario == "lift_2023" else SHORT


def _tables(scenario):
    """Replication 0 of the cached run (three replications on the short horizon, shared with the
    invariant and effect tests; one on the full horizon)."""
    reps = 1 if scenario == "lift_2023" or scenario_world(scenario) != DEFAULT_WORLD else 3
    t = run_scenario(scenario, _horizon(scenario), reps).tables
    return {k: v[v["replication"] == 0] for k, v in t.items()}


def test_the_shipped_scenarios_exist():
    assert {"baseline", "curbs_2019", "domestic_substitution", "lift_2023"} <= set(scenario_names())


def test_a_yaml_file_dropped_in_is_a_new_scenario(tmp_path):
    """An analyst's rumour that never becomes law, as a YAML file alone: it composes from another
    working directory and runs, perceived risk rises, and no individual licence is applied for."""
    name = "zz_test_rumour"
    path = ROOT / "scenarios" / f"{name}.yaml"
    path.write_text("# @package _global_\n"
                    "timeline:\n"
                    "  rumour: {date: '2019-07-01', kind: signal, risk: 0.3, label: A rumour}\n")
    code = ("from simulator.config.hydra import compose_params, scenario_names\n"
            "from simulator import simulate\n"
            f"assert '{name}' in scenario_names()\n"
            f"p = compose_params('{name}', ['run.end_date=2019-12-31'])\n"
            "t = simulate(p, replications=1, workers=1).tables\n"
            "d = t['daily']\n"
            "print(d.loc[d['day'] < 546, 'perceived_risk'].max(), d['perceived_risk'].max(),\n"
            "      int((t['licences']['regime'] != 'bulk').sum()))\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             text=True)
    finally:
        path.unlink()
    assert out.returncode == 0, out.stderr[-2000:]
    before, peak, case_reviewed = out.stdout.split()
    assert float(before) == 0.0 and float(peak) == pytest.approx(0.3)
    assert int(case_reviewed) == 0


@pytest.mark.parametrize("scenario", scenario_names())
def test_scenario_composes_and_runs(scenario):
    p = compose(scenario, _horizon(scenario))
    assert p.scenario_name == scenario
    t = _tables(scenario)
    cal = Calendar(p.run.start_date, p.run.end_date)
    assert len(t["daily"]) > 0 and len(t["shipments"]) > 0 and len(t["licences"]) > 0
    assert t["daily"]["day"].max() == cal.horizon_days - 1
    assert (t["daily"]["inventory_t"] >= 0).all()
    # every timeline event is applied on its date
    ev = t["events"]
    kinds = {"announce_regime": "regime_announced", "whitelist": None, "programme": "programme_started",
             "note": "note", "set_regime": "regime_changed", "signal": "risk_signal"}
    risk = t["daily"].groupby("day")["perceived_risk"].max()
    for e_id, e in p.timeline.items():
        day = cal.day(e.date)
        if e.kind == "news":  # not logged: perceived risk is at least Kim's level from that day
            if day < cal.horizon_days:
                level = news_to_risk(e.articles, p.risk.news_alpha0, p.risk.news_alpha1)
                assert risk.loc[day] >= level - 1e-12, (e_id, day)
            continue
        name = kinds[e.kind] or f"whitelist_{e.status}"
        rows = ev[(ev["event"] == name) & (ev["day"] == day)]
        assert len(rows) >= 1, (e_id, name, day)
        if e.kind == "set_regime":
            # every set_regime of these scenarios changes the regime of each of its materials
            for m in (e.materials or list(p.materials)):
                assert len(rows[rows["material"] == m]) == 1, (e_id, m)
    if not p.timeline:
        assert ev[ev["actor"] == "timeline"].empty


def test_baseline_keeps_bulk_licensing():
    t = _tables("baseline")
    assert set(t["licences"]["regime"]) == {"bulk"}
    assert t["licences"]["revoked_day"].isna().all()
    assert (t["daily"]["shortfall_t"] == 0).all()


def test_curbs_switch_all_three_materials_and_photoresist_to_special_bulk():
    p = compose("curbs_2019", SHORT)
    cal = Calendar(p.run.start_date, p.run.end_date)
    t = _tables("curbs_2019")
    lic, ev = t["licences"], t["events"]
    shock, special = cal.day("2019-07-04"), cal.day("2019-12-20")
    ind = lic[lic["regime"] == "individual"]
    assert set(ind["material"]) == {"hf", "photoresist", "fpi"}
    assert (ind["applied_day"] >= shock).all() and (ind["scope"] == "contract").all()
    sb = lic[lic["regime"] == "special_bulk"]
    assert len(sb) > 0 and set(sb["material"]) == {"photoresist"}
    assert (sb["applied_day"] >= special).all() and (sb["scope"] == "pair").all()
    changes = ev[ev["event"] == "regime_changed"]
    assert sorted(zip(changes["day"], changes["material"])) == [
        (shock, "fpi"), (shock, "hf"), (shock, "photoresist"), (special, "photoresist")]
    # bulk licences that were valid at the shock are revoked on its day
    bulk = lic[lic["regime"] == "bulk"]
    live = bulk[(bulk["valid_from_day"] <= shock) & (bulk["valid_until_day"] > shock)
                & (bulk["outcome"] == "approved")]
    assert len(live) > 0 and (live["revoked_day"] == shock).all()


def test_domestic_substitution_activates_programme_suppliers():
    p = compose("domestic_substitution", SHORT)
    cal = Calendar(p.run.start_date, p.run.end_date)
    t = _tables("domestic_substitution")
    ev = t["events"]
    programme = {s for s, c in p.suppliers.items() if c.programme == "domestic_substitution"}
    act = ev[ev["event"] == "supplier_activated"]
    assert set(act["supplier"]) == programme
    assert (act["day"] == cal.day("2019-07-04")).all()
    qualified = ev[ev["event"] == "supplier_qualified"]
    assert len(qualified) > 0
    assert (qualified["day"] > cal.day("2019-07-04")).all()


def test_lift_2023_returns_to_bulk():
    p = compose("lift_2023", FULL)
    cal = Calendar(p.run.start_date, p.run.end_date)
    t = _tables("lift_2023")
    lic, ev, ship = t["licences"], t["events"], t["shipments"]
    lift = cal.day("2023-03-23")
    changes = ev[(ev["event"] == "regime_changed") & (ev["day"] == lift)]
    assert set(changes["material"]) == {"hf", "photoresist", "fpi"}
    after = lic[(lic["applied_day"] >= lift)]
    assert len(after) > 0 and set(after["regime"]) == {"bulk"}
    approved = after[after["outcome"] == "approved"]
    assert len(approved) > 0
    # routine review: document preparation + a clipped lognormal clock within 3..14 days
    assert approved["review_days"].max() <= 4 * 0.5 + 14 + 1e-9
    # Japanese exports resume under the new bulk licences
    jp = ship[(ship["origin"] == "JP") & ship["licence_id"].isin(approved["licence_id"])]
    assert jp["exported_day"].notna().sum() > 0
    # the lift does not revoke anything
    assert (lic["revoked_day"].dropna() < lift).all()


# --- configuration errors -----------------------------------------------------------------------
def test_unknown_scenario_is_refused():
    with pytest.raises(ConfigError, match="no_such_scenario"):
        compose_params("no_such_scenario")


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="initial_cover_dayz"):
        compose_params("curbs_2019", ["fab.initial_cover_dayz=3"])


@pytest.mark.parametrize("override,key", [
    ("suppliers.jsr.production_lead_days=-1", "suppliers.jsr.production_lead_days"),
    ("lanes.JP_sea.customs_days=-2", "lanes.JP_sea.customs_days"),
    ("licensing.individual.review_days_median=-3", "licensing.individual.review_days_median"),
    ("suppliers.stella_chemifa.share_of_origin=1.5", "suppliers.stella_chemifa.share_of_origin"),
    ("fabs.sk_hynix.demand_share.hf.liquid=1.5", "fabs.sk_hynix.demand_share.hf.liquid"),
    ("licensing.individual.denial_prob=1.2", "licensing.individual.denial_prob"),
    ("suppliers.jsr.material=unobtainium", "suppliers.jsr.material"),
    ("timeline.photoresist_special_bulk.materials=[unobtainium]",
     "timeline.photoresist_special_bulk.materials"),
    ("run.end_date=2019-06-30", "timeline.curbs_announced.date"),
    ("fab.initial_cover_days=abc", "fab.initial_cover_days"),
    ("fab.review_period_days=0", "fab.review_period_days"),
    ("run.keep_tables=some", "run.keep_tables"),
])
def test_bad_override_is_refused_naming_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        compose_params("curbs_2019", [override])
    assert key in str(err.value)
    assert "\n" not in str(err.value)  # one line


def test_lift_2023_needs_the_full_horizon():
    with pytest.raises(ConfigError, match="outside the run horizon"):
        compose_params("lift_2023", list(SHORT))


def _replace_supplier(p, **changes):
    p = copy.deepcopy(p)
    p.suppliers["jp_hf"] = dataclasses.replace(p.suppliers["jp_hf"], **changes)
    return p


@pytest.mark.parametrize("make,key", [
    (lambda p: _replace_supplier(p, production_lead_days=-1.0), "suppliers.jp_hf.production_lead_days"),
    (lambda p: _replace_supplier(p, share_of_origin=1.2), "suppliers.jp_hf.share_of_origin"),
    (lambda p: _replace_supplier(p, material="unobtainium"), "suppliers.jp_hf.material"),
    (lambda p: dataclasses.replace(p, fabs={"fab1": dataclasses.replace(
        p.fabs["fab1"], demand_share={"hf": {"liquid": 1.0}, "unobtainium": {"x": 0.5}})}),
     "fabs.fab1.demand_share"),
    (lambda p: tw.with_regime_from(p, "2020-03-01", "individual"), "timeline.to_individual.date"),
    (lambda p: tw.with_events(p, bad=EventConf(date="2019-05-01", kind="set_regime", regime="strict")),
     "timeline.bad.regime"),
    (lambda p: tw.with_events(p, bad=EventConf(date="2019-05-01", kind="note", materials=["unobtainium"])),
     "timeline.bad.materials"),
    (lambda p: tw.with_licensing(p, individual={"review_days_min": 50.0}), "licensing.individual"),
    (lambda p: tw.with_licensing(p, bulk={"validity_days": 0.0}), "licensing.bulk.validity_days"),
    (lambda p: tw.with_fab_policy(p, max_lot_days=0.0), "fab.max_lot_days"),
    (lambda p: dataclasses.replace(p, metrics=dataclasses.replace(p.metrics, shock_date="2021-01-01")),
     "metrics.shock_date"),
    (lambda p: tw.with_run(p, replications=0), "run.replications"),
])
def test_invalid_params_are_refused_naming_the_key(make, key):
    p = make(tw.tiny_params())
    with pytest.raises(ConfigError) as err:
        validate(p)
    assert key in str(err.value)
    # simulate validates too, before running anything
    with pytest.raises(ConfigError):
        simulate(p, workers=1)


def test_tiny_world_is_valid_and_lane_order_checked():
    validate(tw.tiny_params())
    validate(tw.with_kr_supplier(tw.with_cn_supplier(tw.tiny_params()), start_date="2019-04-01"))
    p = copy.deepcopy(tw.tiny_params())
    p.lanes["JP_sea"] = dataclasses.replace(p.lanes["JP_sea"], transit_days_mode=10.0)
    with pytest.raises(ConfigError, match="lanes.JP_sea"):
        validate(p)
