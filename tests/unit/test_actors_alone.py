"""The fab and the timeline, each alone on a hand-built environment (no World wiring)."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

import tiny_world as tw
from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.params import EventConf, RiskConf
from simulator.model.fab import Fab
from simulator.model.licensing import LicensingAuthority
from simulator.model.records import Recorder
from simulator.model.risk import PerceivedRisk
from simulator.model.shipping import Lane
from simulator.model.suppliers import Supplier
from simulator.model.timeline import Timeline


def _fab_alone(dormant: bool):
    """One fab and one Chinese supplier (outside licensing) built by hand. A dormant supplier
    (its programme never starts) delivers nothing after the warm-start pipeline."""
    p = tw.with_cn_supplier(tw.tiny_params(), cn_t_per_month=300.0)
    del p.suppliers["jp_hf"]
    p.materials["hf"].pre_shock_imports_t_per_month.pop("JP")
    conf = p.suppliers["cn_hf"]
    if dormant:
        conf.programme = "never"
    env, rec = simpy.Environment(), Recorder()
    cal = Calendar(p.run.start_date, p.run.end_date)
    auth = LicensingAuthority(env, p.licensing, ["hf"], np.random.default_rng(0), rec)
    lanes = {k: Lane(k, c) for k, c in p.lanes.items()}
    supplier = Supplier(env, "cn_hf", conf, p.materials["hf"], lanes, auth,
                        np.random.default_rng(1), rec, cal, p.world)
    risk = PerceivedRisk(RiskConf(), ["hf"])
    fab = Fab(env, "fab1", p.fabs["fab1"], p.fab, p.sourcing, auth, risk, rec,
              lambda actor: np.random.default_rng(2))
    daily = 300.0 / DAYS_PER_MONTH
    fab.add_material("hf", "liquid", daily, daily, 30.6, [supplier])

    def clock():
        for day in range(120):
            fab.step(day)
            yield env.timeout(1)

    env.process(clock())
    env.run(until=120)
    return fab, rec, daily


def _rows(series):
    """The fab's days for its one grade, as rows."""
    from types import SimpleNamespace
    cols = series.columns()
    return [SimpleNamespace(day=day, demand_t=d, consumption_t=c, shortfall_t=s,
                            inventory_t=i, rationing=r, production_pct=p)
            for day, (d, c, s, i, r, p) in enumerate(zip(cols["demand_t"], cols["consumption_t"],
                                                         cols["shortfall_t"], cols["inventory_t"],
                                                         cols["rationing"], cols["production_pct"]))]


def test_a_fab_without_supply_rations_then_runs_out_on_the_day_its_stock_says():
    fab, rec, daily = _fab_alone(dormant=True)
    (series,) = rec.daily
    rows = _rows(series)
    assert len(rows) == 120
    # a dormant supplier has no share, so there is no warm-start pipeline: 30.6 days of stock.
    # Cover at the start of day k is 30.6 - k: below the 14-day trigger from day 17 (13.6 days
    # left), after which a quarter is saved: 13.6 / 0.75 = 18.1 days, so day 35 is short
    assert next(r.day for r in rows if r.rationing) == 17
    assert all(r.consumption_t == pytest.approx(daily) for r in rows if r.day < 17)
    assert all(r.consumption_t == pytest.approx(0.75 * daily) for r in rows if 17 <= r.day < 35)
    assert next(r.day for r in rows if r.shortfall_t > 1e-9) == 35
    # output falls with the unmet share of the (rationed) need; the fab depends fully on HF
    assert rows[35].production_pct == pytest.approx(
        100.0 * (1.0 - rows[35].shortfall_t / (0.75 * daily)))
    assert rows[36].production_pct == pytest.approx(0.0)
    assert all(r.consumption_t <= r.demand_t + 1e-12 for r in rows)
    assert [e.event for e in rec.events if e.actor == "fab1"][:2] == ["rationing_started",
                                                                       "stockout_started"]


def test_a_fab_with_a_working_supplier_never_runs_short():
    fab, rec, daily = _fab_alone(dormant=False)
    (series,) = rec.daily
    shortfall = series.columns()["shortfall_t"]
    assert len(shortfall) == 120
    assert not any(s > 1e-9 for s in shortfall)
    assert not any(series.rationing)
    assert len(rec.orders) > 10  # it reordered weekly


class _Authority:
    def __init__(self):
        self.regime = {"hf": "bulk"}
        self.calls = []

    def regime_of(self, m):
        return self.regime[m]

    def set_regime(self, m, regime, detail=""):
        self.calls.append(("set", m, regime))
        self.regime[m] = regime


class _Supplier:
    def __init__(self, programme):
        self.programme, self.started = programme, []

    def start_programme(self, name):
        self.started.append(name)
        return name == self.programme


class _Fab:
    def __init__(self):
        self.started = []

    def supplier_started(self, s):
        self.started.append(s.programme)


def test_the_timeline_alone_applies_events_in_date_order_and_tells_the_actors():
    cal = Calendar("2019-01-01", "2019-12-31")
    events = {
        "later": EventConf(date="2019-03-01", kind="set_regime", regime="individual"),
        "rumour": EventConf(date="2019-02-01", kind="signal", risk=0.3),
        "prog": EventConf(date="2019-04-01", kind="programme", programme="subst"),
        "lift": EventConf(date="2019-05-01", kind="set_regime", regime="bulk"),
    }
    auth, rec = _Authority(), Recorder()
    risk = PerceivedRisk(RiskConf(floor=0.036, half_life_days=1e9, on_tightening=0.4,
                                  lift_factor=0.5), ["hf"])
    s_in, s_out, fab = _Supplier("subst"), _Supplier("other"), _Fab()
    tl = Timeline(events, ["hf"], cal, auth, risk, [s_in, s_out], [fab], rec)
    tl.apply_due(cal.day("2019-02-01"))
    assert risk.level("hf", 31) == pytest.approx(0.3) and auth.calls == []
    tl.apply_due(cal.day("2019-03-15"))  # catches up: the regime change of 03-01
    assert auth.calls == [("set", "hf", "individual")]
    assert risk.level("hf", 75) == pytest.approx(0.4)  # a tightening raises risk
    tl.apply_due(cal.day("2019-04-01"))
    assert s_in.started == ["subst"] and s_out.started == ["subst"]  # each decides for itself
    assert fab.started == ["subst"]  # told only of the supplier that started
    tl.apply_due(cal.day("2019-05-01"))
    assert auth.calls[-1] == ("set", "hf", "bulk")
    assert risk.level("hf", 120) == pytest.approx(0.036 + (0.4 - 0.036) * 0.5)
    assert [e.event for e in rec.events] == ["risk_signal", "programme_started"]
