"""Suppliers: Japanese exporters, third-country exporters and Korean domestic producers.

A supplier makes one material, in one or more grades, on one production line per grade. Its
capacity for Korea is its pre-shock flow times (1 + headroom) plus any dated capacity ramp (new
plants, linear between the ramp's dates). Each grade has one line, shared among buyers pro rata
to their normal purchases (their share of national demand), as makers allocate a scarce line, but
without idling: a buyer with nothing queued leaves its part to the others (self-clocked fair
queueing, Golestani 1994). A lot of q tonnes takes q / capacity days on the line, then the order
waits the production lead time. So under the curbs a maker whose other buyers wait on licences
can serve the one buyer it may ship to at full speed.

Japanese suppliers export under the licensing authority: an order is produced only once a licence
covers it (makers do not produce Korea-bound lots they may not ship), and the licence is checked
again at the gate: if a contract licence expired meanwhile the order lapses; an exporter or pair
licence that ran out is renewed, and one a regime change revoked is applied for again.
Third-country and domestic suppliers are outside Japanese licensing.

A supplier may keep finished goods for Korea (`finished_stock_days` of its pre-shock flow, set
aside for each buyer pro rata to its normal purchases, as capacity is). Routine orders are made to
order; an urgent order (one a buyer pulls forward on a jump in perceived risk) that its buyer's
stock covers leaves the gate as soon as its licence allows, and the line makes the quantity back
into stock. Stock held is what lets exporters ship
ahead of an announced tightening: what leaves the gate before the effective date needs no new
licence (the 2019 rush).

A supplier whose `programme` is set is dormant until a timeline event starts that programme.
"""
from __future__ import annotations

import heapq
import math
from typing import Dict, Generator, Optional

import numpy as np
import simpy

from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.model.licensing import LicensingAuthority
from simulator.config.params import JAPAN, MaterialConf, SupplierConf
from simulator.model.records import (DELIVERED, DENIED, IN_PRODUCTION, IN_TRANSIT, LAPSED, Order, Recorder)
from simulator.model.shipping import Lane, find_lane

STOCK_TOLERANCE_T = 1e-9


class CapacityRamp:
    """Piecewise-linear added capacity (t/month) over calendar days; flat outside its dates."""

    def __init__(self, ramp: Dict[str, float], cal: Calendar):
        points = sorted((cal.day(d), float(v)) for d, v in ramp.items())
        self.days = np.array([p[0] for p in points], dtype=float)
        self.values = np.array([p[1] for p in points], dtype=float)

    def at(self, day: float) -> float:
        if self.days.size == 0 or day < self.days[0]:
            return 0.0
        return float(np.interp(day, self.days, self.values))


class FairLine:
    """One grade's production line shared by buyers by weight, work-conserving: lots are served
    in order of their finish tags, tag = max(line's virtual time, buyer's last tag) + q / weight,
    the virtual time being the tag of the lot in service (self-clocked fair queueing)."""

    def __init__(self, env: simpy.Environment, supplier: "Supplier", grade: str):
        self.env = env
        self.supplier = supplier
        self.grade = grade
        self._queue: list = []  # heap of (tag, sequence, quantity, done event)
        self._last_tag: Dict[str, float] = {}
        self._virtual = 0.0
        self._serving = False
        self._sequence = 0

    def make(self, buyer: str, weight: float, quantity_t: float) -> simpy.Event:
        tag = max(self._virtual, self._last_tag.get(buyer, 0.0)) + quantity_t / weight
        self._last_tag[buyer] = tag
        done = self.env.event()
        self._sequence += 1
        heapq.heappush(self._queue, (tag, self._sequence, quantity_t, done))
        if not self._serving:
            self._serving = True
            self.env.process(self._serve())
        return done

    def _serve(self) -> Generator:
        env, s = self.env, self.supplier
        while self._queue:
            tag, _, quantity_t, done = heapq.heappop(self._queue)
            self._virtual = tag
            while s.capacity_t_per_day(self.grade, env.now) <= 0:
                yield env.timeout(1.0)  # dormant or ramped to zero: wait for capacity
            yield env.timeout(quantity_t / s.capacity_t_per_day(self.grade, env.now))
            done.succeed()
        self._serving = False


class Supplier:
    def __init__(self, env: simpy.Environment, s_id: str, conf: SupplierConf, material: MaterialConf,
                 lanes: Dict[str, Lane], authority: LicensingAuthority, rng: np.random.Generator,
                 recorder: Recorder, cal: Calendar):
        self.env = env
        self.id = s_id
        self.conf = conf
        self.material = conf.material
        self.origin = conf.origin
        self.unit_value_usd_per_t = material.unit_value_usd_per_t
        self.licensed = conf.origin == JAPAN
        self.authority = authority
        self.rng = rng
        self.rec = recorder
        pre_shock = material.pre_shock_imports_t_per_month.get(conf.origin, 0.0) * conf.share_of_origin
        self.pre_shock_t_per_month = pre_shock
        self.ramp = CapacityRamp(conf.capacity_ramp, cal)
        self.grades = {g: share for g, share in conf.grade_mix.items() if share > 0}
        self.lanes = {g: find_lane(lanes, conf.origin, material.grades[g].mode) for g in self.grades}
        self.active_from: Optional[float] = None if conf.programme else -math.inf
        self.backlog_t: Dict[tuple, float] = {}  # (grade, fab) -> accepted, not yet made
        # finished goods for Korea per grade, set aside per buyer: (grade, fab) -> tonnes
        self._stock_days_of_flow = {g: conf.finished_stock_days * pre_shock * mix / DAYS_PER_MONTH
                                    for g, mix in self.grades.items()}
        self.stock_t: Dict[tuple, float] = {}
        self._allocation: Dict[tuple, float] = {}  # (grade, fab) -> share of the line
        self._lines = {g: FairLine(env, self, g) for g in self.grades}

    def stock_for(self, grade: str, fab: str) -> float:
        """Finished goods set aside for `fab` that could leave at once."""
        return self.stock_t.get((grade, fab), 0.0)

    def register_buyer(self, fab: str, grade: str, fab_share: float) -> None:
        """Allocate `fab` its part of the line and of the finished goods (its share of national
        demand)."""
        self._allocation[(grade, fab)] = fab_share
        self.stock_t[(grade, fab)] = self._stock_days_of_flow.get(grade, 0.0) * fab_share

    def start_programme(self, name: str) -> bool:
        """Timeline event: if this supplier belongs to programme `name` and is dormant, it starts
        now (an exporter under bulk licensing gets its licence). Returns whether it started."""
        now = self.env.now
        if self.conf.programme != name or self.active(now):
            return False
        self.active_from = now
        self.rec.event(now, self.id, "supplier_activated", material=self.material, origin=self.origin,
                       supplier=self.id, detail=f"programme {name}")
        if self.licensed and self.authority.regime_of(self.material) == "bulk":
            self.authority.grant_initial_bulk(self.id, self.material)
        return True

    # --- what buyers see ---------------------------------------------------------------------
    def active(self, day: float) -> bool:
        return self.active_from is not None and day >= self.active_from

    def nominal_t_per_month(self, grade: str, day: float) -> float:
        """Supply a buyer can count on in normal times: pre-shock flow plus ramped new capacity."""
        if not self.active(day):
            return 0.0
        return (self.pre_shock_t_per_month + self.ramp.at(day)) * self.grades.get(grade, 0.0)

    def capacity_t_per_day(self, grade: str, day: float) -> float:
        if not self.active(day):
            return 0.0
        monthly = self.pre_shock_t_per_month * (1.0 + self.conf.capacity_headroom) + self.ramp.at(day)
        return monthly * self.grades.get(grade, 0.0) / DAYS_PER_MONTH

    def accepts_t(self, grade: str, fab: str, fab_share: float, day: float,
                  max_backlog_days: float) -> float:
        """How much more it takes on from `fab`: under allocation a supplier commits at most
        `max_backlog_days` of its capacity ahead, shared among buyers pro rata to their normal
        purchases (`fab_share` of national demand), less what it has accepted from `fab` and not
        yet made. Without the pro-rata split, whichever fab ordered first would take it all."""
        limit = max_backlog_days * self.capacity_t_per_day(grade, day) * fab_share
        return max(0.0, limit - self.backlog_t.get((grade, fab), 0.0))

    def _book(self, order: Order, sign: float) -> None:
        key = (order.grade, order.fab)
        self.backlog_t[key] = self.backlog_t.get(key, 0.0) + sign * order.quantity_t

    def nominal_lead_days(self, grade: str) -> float:
        """Order-to-arrival time with an idle line and no licence wait (used to seed expectations):
        made to order."""
        return self.conf.production_lead_days + self.lanes[grade].mean_days

    # --- fulfilment --------------------------------------------------------------------------
    def accept(self, order: Order) -> None:
        """Book an order into the backlog the moment it is placed (before its process starts), so
        that buyers reviewing the same day see it."""
        self._book(order, +1.0)

    def fulfil(self, order: Order, fab) -> Generator:
        """Process: licence (if Japanese), production, export, transit, delivery to `fab`."""
        env = self.env
        lic = None
        if self.licensed:
            lic = yield from self.authority.obtain(order)
            if lic is None:
                return self._end(order, fab, DENIED, "licence denied")
            order.licence_id = lic.id
        order.released_day = env.now
        order.state = IN_PRODUCTION
        held = (order.grade, order.fab)
        if order.urgent and self.stock_t.get(held, 0.0) >= order.quantity_t - STOCK_TOLERANCE_T:
            # served from finished goods; the line makes the quantity back into stock
            self.stock_t[held] -= order.quantity_t
            self._book(order, -1.0)
            env.process(self._restock(held, order.quantity_t))
        else:
            yield from self._make(held, order.quantity_t)
            self._book(order, -1.0)
            yield env.timeout(self.conf.production_lead_days)
        if self.licensed:
            while not self.authority.permits(lic, env.now):
                if lic.scope == "contract" and self.authority.expired(lic, env.now):
                    return self._end(order, fab, LAPSED, f"licence {lic.id} expired before export")
                # revoked by a regime change, or an exporter / pair licence that ran out while the
                # lot was made: the renewal (or the new regime's licence) covers it
                lic = yield from self.authority.obtain(order)
                if lic is None:
                    return self._end(order, fab, DENIED, "licence denied")
                order.licence_id = lic.id
            lic.used_t += order.quantity_t
        order.state = IN_TRANSIT
        order.exported_day = env.now
        yield env.timeout(self.lanes[order.grade].sample_days(self.rng))
        order.state = DELIVERED
        order.arrived_day = env.now
        fab.receive(order)

    def _make(self, held: tuple, quantity_t: float) -> Generator:
        """Make `quantity_t` of grade held[0] for buyer held[1] on the grade's shared line."""
        yield self._lines[held[0]].make(held[1], self._allocation[held], quantity_t)

    def _restock(self, held: tuple, quantity_t: float) -> Generator:
        # made back on the line as a standard product; the production lead time is what a new
        # order waits (scheduling, quality release), not the flow of a running line
        yield from self._make(held, quantity_t)
        self.stock_t[held] += quantity_t

    def ship_in_transit(self, order: Order, fab, arrive_in_days: float) -> Generator:
        """Process for an order already on its way when the run starts (the warm-start pipeline)."""
        order.released_day = order.ordered_day
        yield self.env.timeout(arrive_in_days)
        order.state = DELIVERED
        order.arrived_day = self.env.now
        fab.receive(order)

    def _end(self, order: Order, fab, state: str, detail: str) -> None:
        if order.state != IN_PRODUCTION:  # never made: it leaves the backlog unmade
            self._book(order, -1.0)
        order.state = state
        order.ended_day = self.env.now
        self.rec.event(self.env.now, self.id, f"order_{state}", material=order.material,
                       grade=order.grade, origin=self.origin, supplier=self.id, fab=order.fab,
                       licence_id=order.licence_id, order_id=order.id,
                       quantity_t=order.quantity_t, detail=detail)
        fab.order_failed(order)
