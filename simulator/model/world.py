"""Wires one replication of the world together: the only place that knows every actor.

National demand for a material grade is derived from the pre-shock import levels (the sum over
origins of Korea's monthly imports times each supplier's grade mix); each fab's daily use is its
`demand_share` of that, divided by the days in a month, times the fab's output index on the day
where it follows one (config/demand.py); otherwise its output plan is flat.

A single daily clock applies the policy events due that day and then steps every fab, so that
same-day ordering is fixed (events first) rather than left to the event queue.
"""
from __future__ import annotations

from typing import Dict, Generator

import simpy

from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.demand import national_demand_t_per_month, output_index
from simulator.model.engine import run_until, timeout
from simulator.model.collector import collector_paused
from simulator.model.fab import Fab
from simulator.model.licensing import LicensingAuthority
from simulator.config.params import Params
from simulator.model.records import Recorder
from simulator.model.risk import PerceivedRisk
from simulator.model.shipping import Lane
from simulator.model.streams import stream
from simulator.model.suppliers import Supplier, settle_orders
from simulator.model.timeline import Timeline


class World:
    def __init__(self, p: Params, replication: int):
        with collector_paused():  # the warm-start pipeline alone makes thousands of orders
            self._build(p, replication)

    def _build(self, p: Params, replication: int) -> None:
        self.p = p
        self.replication = replication
        self.cal = Calendar(p.run.start_date, p.run.end_date)
        self.env = env = simpy.Environment()
        self.rec = rec = Recorder()
        seed = p.run.seed

        self.authority = LicensingAuthority(env, p.licensing, list(p.materials),
                                            stream(seed, replication, "licensing_authority"), rec,
                                            {f: c.country for f, c in p.fabs.items()})
        lanes = {k: Lane(k, c) for k, c in p.lanes.items()}
        self.suppliers = {
            s_id: Supplier(env, s_id, c, p.materials[c.material], lanes, self.authority,
                           stream(seed, replication, f"supplier/{s_id}"), rec, self.cal, p.world)
            for s_id, c in p.suppliers.items()
        }
        if p.licensing.initial_regime == "bulk":
            for s in self.suppliers.values():
                if s.licensed and s.active(0):
                    self.authority.grant_initial_bulk(s.id, s.material)

        self.risk = PerceivedRisk(p.risk, list(p.materials))
        demand = national_demand_t_per_month(p)
        self.fabs: Dict[str, Fab] = {}
        for f_id, fc in p.fabs.items():
            level = output_index(p, f_id)
            fab = Fab(env, f_id, fc, p.fab, p.sourcing, self.authority, self.risk, rec,
                      lambda actor: stream(seed, replication, actor),
                      None if level is None else level.tolist())
            for (m, g) in p.items():
                share = fc.demand_share.get(m, {}).get(g, 0.0)
                if share <= 0 or demand[(m, g)] <= 0:
                    continue
                cover = p.fab.initial_cover_days or p.materials[m].initial_cover_days
                sources = [s for s in self.suppliers.values() if s.material == m and g in s.grades]
                fab.add_material(m, g, demand[(m, g)] * share / DAYS_PER_MONTH,
                                 demand[(m, g)] / DAYS_PER_MONTH, cover, sources)
            self.fabs[f_id] = fab

        self.timeline = Timeline(p.timeline, list(p.materials), self.cal, self.authority,
                                 self.risk, list(self.suppliers.values()), list(self.fabs.values()),
                                 rec)

    def _clock(self) -> Generator[simpy.Event, None, None]:
        fabs = list(self.fabs.values())
        risk_days = {m: self.rec.risk.setdefault(m, []) for m in self.p.materials}
        for day in range(self.cal.horizon_days):
            self.timeline.apply_due(day)
            for m, levels in risk_days.items():  # what every buyer reads today
                levels.append(self.risk.level(m, day))
            for fab in fabs:
                fab.step(day)
            yield timeout(self.env, 1)

    def run(self) -> Recorder:
        """Run to the horizon; returns the run's records, handed over (Recorder.hand_over: the
        world's own recorder is left empty)."""
        with collector_paused():  # see collector.py; from the first object the run makes on
            self.env.process(self._clock())
            run_until(self.env, self.cal.horizon_days)
            settle_orders(self.rec.orders, self.cal.horizon_days)
        return self.rec.hand_over()


def run_world(p: Params, replication: int) -> Recorder:
    """Build and run replication `replication` of `p` with the collector paused throughout: had
    the pause ended between building and running, the first object the run made would set off a
    collection walking all ~30,000 the build had made (3 % of a replication: issue 18)."""
    with collector_paused():
        return World(p, replication).run()
