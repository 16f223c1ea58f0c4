"""A third world from YAML alone (issue 19): tests/worlds/zz_pewter holds a made-up world, its
config groups and a scenario, written as an analyst would, with no line of code. Copied into
configs/ and scenarios/ for the test, it composes, runs (two replications, in a fresh process that
registers it), obeys the run invariants, and its exports need licences once individual licensing
is in force. The second episode shipped with the project (world=china_gallium) runs through
run.py with every output."""
from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import test_invariants as inv  # the invariants every run must satisfy

ROOT = Path(__file__).resolve().parents[2]
WORLD = Path(__file__).resolve().parents[1] / "worlds" / "zz_pewter"
RUN = r"""
import pickle, sys
from simulator import simulate
from simulator.config.hydra import compose_params
p = compose_params("zz_pewter_curbs", ["world=zz_pewter", "run.replications=2"])
res = simulate(p, workers=1)
with open(sys.argv[1], "wb") as f:
    pickle.dump((p, res.tables), f)
"""


@pytest.fixture(scope="module")
def pewter(tmp_path_factory):
    copied = [ROOT / p.relative_to(WORLD) for p in WORLD.rglob("*.yaml")]
    clash = [str(p) for p in copied if p.exists()]
    assert not clash, f"would overwrite {clash}"
    try:
        for src in WORLD.rglob("*.yaml"):
            dst = ROOT / src.relative_to(WORLD)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        out = tmp_path_factory.mktemp("pewter") / "run.pickle"
        proc = subprocess.run([sys.executable, "-c", RUN, str(out)], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
    finally:
        for p in copied:
            p.unlink(missing_ok=True)
        shutil.rmtree(ROOT / "scenarios" / "zz_pewter", ignore_errors=True)
    with open(out, "rb") as f:
        return pickle.load(f)


INVARIANTS = [inv.test_mass_balance_of_orders, inv.test_order_fields_match_their_state,
              inv.test_order_durations_respect_lead_times_and_lanes, inv.test_stock_balance,
              inv.test_inventory_and_consumption_are_consistent,
              inv.test_licensed_exports_only_under_a_valid_licence,
              inv.test_only_the_licensing_countrys_orders_carry_licences,
              inv.test_licence_usage_matches_exports, inv.test_imports_monthly_adds_up_to_arrivals,
              inv.test_daily_table_is_complete]


@pytest.mark.parametrize("invariant", INVARIANTS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_the_third_world_obeys_the_invariants(pewter, invariant):
    invariant(pewter)


def test_the_third_world_is_its_own(pewter):
    """Its names reach the tables, individual licences appear only after the effective date,
    and the home maker it qualifies delivers by road."""
    p, t = pewter
    assert p.world.name == "zz_pewter" and set(p.fabs) == {"workshop_a", "workshop_b"}
    lic = t["licences"]
    individual = lic[lic["regime"] == "individual"]
    assert len(individual) > 0 and (individual["applied_day"] >= 181).all()  # 2020-07-01
    s = t["shipments"]
    assert set(s["origin"]) <= {"XL", "OT", "HM"}
    home = s[(s["origin"] == "HM") & s["arrived_day"].notna()]
    assert len(home) > 0 and set(t["imports_monthly"]["origin"]) == {"XL", "OT"}


def test_the_gallium_world_runs_from_the_command_line_with_every_output(tmp_path):
    out = subprocess.run([sys.executable, "run.py", "world=china_gallium", "scenario=gallium_2023",
                          "run.replications=2", f"hydra.run.dir={tmp_path / 'run'}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    run = tmp_path / "run"
    for name in ("metrics.json", "replications.csv", "backtest.csv", "report.md", "report.html",
                 "figures/monthly_imports.png", "figures/backtest.png", "tables/daily"):
        assert (run / name).exists(), name
    assert "China" in (run / "report.md").read_text()
    text = (run / "report.md").read_text()
    assert "China's share" in text and "Japan's share" not in text


def test_a_scenario_of_another_world_is_refused_in_one_line():
    out = subprocess.run([sys.executable, "run.py", "scenario=gallium_2023"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: scenario=gallium_2023 is a scenario of world china_gallium, not of japan_korea: "
        "add world=china_gallium (world japan_korea's scenarios: baseline, curbs_2019, "
        "domestic_substitution, lift_2023)"]


def test_the_us_clause_denies_us_buyers_and_no_one_else():
    """gallium_2024_us: from 2024-12-03 (special_bulk here: individual licensing with
    denied_countries [US]) every decided file of the US buyer is denied, the others' approved
    (files pending when the clause was suspended are withdrawn and filed again)."""
    from conftest import run_scenario
    from simulator.config.calendar import Calendar
    res = run_scenario("gallium_2024_us", ("world=china_gallium",), 2)
    p, lic = res.params, res.tables["licences"]
    clause = Calendar(p.run.start_date, p.run.end_date).day("2024-12-03")
    after = lic[(lic["regime"] == "special_bulk") & lic["outcome"].isin(["approved", "denied"])]
    assert (after["applied_day"] >= clause).all() and len(after) > 0
    us = after["fab"] == "united_states"
    assert us.any() and (after.loc[us, "outcome"] == "denied").all()
    assert (after.loc[~us, "outcome"] == "approved").all()
    before = lic[(lic["regime"] == "individual") & (lic["fab"] == "united_states")]
    assert (before["outcome"] == "approved").any()  # the same buyer was licensed before
