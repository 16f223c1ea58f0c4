"""Suppliers: exporters of the licensing country, of third countries, and the buyers' own.

A supplier makes one material, in one or more grades, on one production line per grade. Its
capacity for Korea is its pre-shock flow times (1 + headroom) plus any dated capacity ramp (new
plants, linear between the ramp's dates). Each grade has one line, shared among buyers pro rata
to their normal purchases (their share of national demand), as makers allocate a scarce line, but
without idling: a buyer with nothing queued leaves its part to the others (self-clocked fair
queueing, Golestani 1994). A lot of q tonnes takes q / capacity days on the line, then the order
waits the production lead time. So under the curbs a maker whose other buyers wait on licences
can serve the one buyer it may ship to at full speed.

The licensing country's suppliers (`world.licensing_country`) export under the licensing authority:
a maker makes an order only once a licence covers it, and the licence is checked again at the gate:
if a contract licence expired, the order lapses; an exporter or pair licence that ran out is
renewed, one a regime change revoked applied for again. Others are outside licensing.

A supplier may keep finished goods for its buyers (`finished_stock_days` of its pre-shock flow, set
aside for each buyer pro rata to its normal purchases, as capacity is). Routine orders are made to
order; an urgent order (one a buyer pulls forward on a jump in perceived risk) that its buyer's
stock covers leaves the gate as soon as its licence allows and its lane can take it, and the line
makes the quantity back into stock. Stock held is what lets exporters ship ahead of an announced
tightening: what leaves the gate before the effective date needs no new licence (the 2019 rush).
How fast held goods can leave is bounded per supplier (`dispatch_factor` x its normal daily flow):
a hazardous liquid moves in a dedicated fleet of ISO tanks on scheduled sailings sized to the
normal flow, a resist in air freight that scales with the booking, so three days between an
announcement and its effective date let much more resist than HF out ahead of it.

A processor that purifies imported crude (`feedstock`, e.g. Korean HF makers on Chinese crude
HF) imports `t_per_t` tonnes of crude from its feedstock origin for each tonne it makes; the
import is recorded, in the customs line of its material, on the day the lot is made (processors
hold a working stock of crude, so imports track output).
A supplier whose `programme` is set is dormant until a timeline event starts that programme.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Dict, Generator, Optional, Tuple

import numpy as np
import simpy

from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.model.engine import call_later
from simulator.model.licensing import LicensingAuthority
from simulator.config.params import MaterialConf, SupplierConf, WorldConf
from simulator.config.world import lane_mode
from simulator.model.records import (CANCELLED, DELIVERED, DENIED, IN_PRODUCTION, IN_TRANSIT, LAPSED,
                                     Licence, Order, Recorder)
from simulator.model.production import Account, CapacityRamp, FairLine
from simulator.model.shipping import Lane, UniformBlock, find_lane

if TYPE_CHECKING:  # a buyer's link imports this module; the annotation alone needs the class
    from simulator.model.supply_links import SourceLink

# an order on its way through a supplier, with its buyer's link and the licence that covers it
# (None outside licensing): typed, so the compiled model reaches their attributes directly
Shipment = Tuple[Order, "SourceLink", Optional[Licence]]

STOCK_TOLERANCE_T = 1e-9
NO_DISPATCH_LIMIT = 1e9  # a dispatch_factor this large means the lane takes any call-off at once


class Supplier:
    def __init__(self, env: simpy.Environment, s_id: str, conf: SupplierConf, material: MaterialConf,
                 lanes: Dict[str, Lane], authority: LicensingAuthority, rng: np.random.Generator,
                 recorder: Recorder, cal: Calendar, world: WorldConf):
        self.env = env
        self.id = s_id
        self.conf = conf
        self.material = conf.material
        self.origin = conf.origin
        self.unit_value_usd_per_t = material.unit_value_usd_per_t
        self.licensed = conf.origin == world.licensing_country  # the timeline's regimes apply
        self.home = conf.origin == world.home_country  # the buyers' country: home bias
        self.authority = authority
        self._draws = UniformBlock(rng)  # its stream serves transit times alone: drawn ahead
        self.rec = recorder
        pre_shock = material.modelled_t_per_month(conf.origin) * conf.share_of_origin
        self.pre_shock_t_per_month = pre_shock
        self.ramp = CapacityRamp(conf.capacity_ramp, cal)
        self._headroom_t_per_month = pre_shock * (1.0 + conf.capacity_headroom)
        self._flat_capacity = self._headroom_t_per_month / DAYS_PER_MONTH
        self.grades = {g: share for g, share in conf.grade_mix.items() if share > 0}
        modes = {g: lane_mode(world, conf.origin, material.grades[g].mode) for g in self.grades}
        self.lanes = {g: find_lane(lanes, conf.origin, mode) for g, mode in modes.items()}
        self.active_from: Optional[float] = None if conf.programme else -math.inf
        # finished goods for the buyers per grade, set aside per buyer in its account
        self._stock_days_of_flow = {g: conf.finished_stock_days * pre_shock * mix / DAYS_PER_MONTH
                                    for g, mix in self.grades.items()}
        # call-offs of held goods leave no faster than the lane takes them: t/day per grade
        unbounded = conf.dispatch_factor >= NO_DISPATCH_LIMIT
        self._dispatch_t_per_day = {g: math.inf if unbounded
                                    else conf.dispatch_factor * pre_shock * mix / DAYS_PER_MONTH
                                    for g, mix in self.grades.items()}
        self._dispatch_free: Dict[str, float] = {}  # grade -> when the lane is free for the next lot
        self._lines = {g: FairLine(env, self, g) for g in self.grades}
        # read on every lot, so held as the compiled model reads fastest: the config's numbers
        # as attributes (the config's dataclasses are interpreted), and the lot's continuations
        # bound once (a compiled method read as a value is a generic lookup and a new bound
        # method each time)
        self._lead_days = conf.production_lead_days
        feedstock = conf.feedstock  # crude a processor imports per tonne it makes (none: 0)
        self._feedstock_t_per_t = feedstock.t_per_t if feedstock.origin else 0.0
        self._feedstock_origin = feedstock.origin
        self._on_made: Callable[[Shipment], None] = self._made
        self._on_restocked: Callable[[Tuple[Account, float]], None] = self._restocked
        self._on_gate: Callable[[Shipment], None] = self._gate
        self._on_arrival: Callable[[Shipment], None] = self._arrived

    def register_buyer(self, grade: str, fab_share: float) -> Account:
        """Open a buyer's account for `grade`: its part of the line and of the finished goods
        (`fab_share`, its share of national demand)."""
        return Account(fab_share, self._stock_days_of_flow.get(grade, 0.0) * fab_share,
                       self._lines[grade], self.lanes[grade])

    def start_programme(self, name: str) -> bool:
        """Timeline event: if this supplier belongs to programme `name` and is dormant, it starts
        now (an exporter under bulk licensing gets its licence). Returns whether it started."""
        now = self.env._now
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
        if self.active_from is None or day < self.active_from:
            return 0.0
        mix = self.grades.get(grade, 0.0)
        if not self.ramp.days:  # the usual case: a flat line, computed once
            return self._flat_capacity * mix
        return (self._headroom_t_per_month + self.ramp.at(day)) * mix / DAYS_PER_MONTH

    def accepts_t(self, account: Account, capacity_t_per_day: float, fab_share: float,
                  max_backlog_days: float) -> float:
        """How much more it takes on from the buyer of `account`: under allocation a supplier
        commits at most `max_backlog_days` of its capacity ahead (`capacity_t_per_day` today, as
        the buyer's review has it), shared among buyers pro rata to their normal purchases
        (`fab_share` of national demand), less what it has accepted from the buyer and not yet
        made. Without the pro-rata split, whichever fab ordered first would take it all."""
        limit = max_backlog_days * capacity_t_per_day * fab_share
        return max(0.0, limit - account.backlog_t)

    def nominal_lead_days(self, grade: str) -> float:
        """Order-to-arrival time with an idle line and no licence wait (used to seed expectations):
        made to order."""
        return self.conf.production_lead_days + self.lanes[grade].mean_days

    # --- fulfilment --------------------------------------------------------------------------
    # An order moves through callbacks rather than a SimPy process of its own: the line's timeout,
    # then (outside Japanese licensing) one timeout for the production lead time and transit
    # together, or (under it) one to the gate, where the licence is checked, and one for transit.
    # Only an order that must wait for a licence runs as a process.

    def place(self, order: Order, link: SourceLink) -> None:
        """Take `order` from the buyer of `link`: book it into the backlog at once (buyers
        reviewing the same day see it), then obtain its licence (if Japanese) and put it on the
        line."""
        link.account.backlog_t += order.quantity_t
        if not self.licensed:
            self._release(order, link, None)
            return
        lic = self.authority.held_now(order)
        if lic is None:
            self.env.process(self._await_licence(order, link))
        else:
            self._release(order, link, lic)

    def _await_licence(self, order: Order, link: SourceLink) -> Generator:
        lic = yield from self.authority.obtain(order)
        if lic is None:
            self._end(order, link, DENIED, "licence denied")
            return
        if self._unwanted(order, link, lic):
            return
        self._release(order, link, lic)

    def _unwanted(self, order: Order, link: SourceLink, lic: Licence) -> bool:
        """Approval is not demand: a buyer that switched away while the licence was pending calls
        off only what it still wants; the rest ends here, cancelled."""
        if link.fab.still_wants(order, link):
            return False
        self._end(order, link, CANCELLED, f"licence {lic.id} came after the buyer switched")
        return True

    def _release(self, order: Order, link: SourceLink, lic: Optional[Licence]) -> None:
        """The order may be made: from the buyer's finished goods if it is urgent and they cover
        it, else on the line."""
        if lic is not None:
            order.licence_id = lic.id
            link.released(order)
        order.released_day = self.env._now
        order.state = IN_PRODUCTION
        account = link.account
        if order.urgent and account.stock_t >= order.quantity_t - STOCK_TOLERANCE_T:
            # served from finished goods; the line makes the quantity back into stock
            account.stock_t -= order.quantity_t
            account.backlog_t -= order.quantity_t
            account.line.make(order.fab, account.allocation, order.quantity_t, self._on_restocked,
                              (account, order.quantity_t))
            self._dispatch((order, link, lic))
        else:
            account.line.make(order.fab, account.allocation, order.quantity_t, self._on_made,
                              (order, link, lic))

    def _dispatch(self, value: Shipment) -> None:
        """Held goods called off: the lot leaves the gate once the lane has taken it (lots queue
        for the lane at `dispatch_factor` x the normal daily flow)."""
        order = value[0]
        now = self.env._now
        rate = self._dispatch_t_per_day[order.grade]
        start = max(now, self._dispatch_free.get(order.grade, now))
        leave = start + order.quantity_t / rate if 0 < rate < math.inf else start
        self._dispatch_free[order.grade] = leave
        if leave > now:
            call_later(self.env, leave - now, value, self._on_gate)
        else:
            self._gate(value)

    def _restocked(self, value: Tuple[Account, float]) -> None:
        # made back on the line as a standard product; the production lead time is what a new
        # order waits (scheduling, quality release), not the flow of a running line
        account, quantity_t = value
        account.stock_t += quantity_t
        self._import_feedstock(quantity_t)

    def _import_feedstock(self, quantity_t: float) -> None:
        if self._feedstock_t_per_t > 0:
            crude = quantity_t * self._feedstock_t_per_t
            self.rec.feedstock_import(self.env._now, self.material, self._feedstock_origin, crude,
                                      crude * self.unit_value_usd_per_t)

    def _made(self, value: Shipment) -> None:
        order, link, lic = value
        link.account.backlog_t -= order.quantity_t
        self._import_feedstock(order.quantity_t)
        lead = self._lead_days
        if lic is None:  # nothing to check at the gate: to the gate and across in one timeout
            order.exported_day = self.env._now + lead
            transit = link.account.lane.sample_days(self._draws)
            call_later(self.env, lead + transit, value, self._on_arrival)
        else:
            call_later(self.env, lead, value, self._on_gate)

    def _gate(self, value: Shipment) -> None:
        """A licensed order at the gate: export if its licence still permits, else lapse (an
        expired contract) or apply again (revoked, or an exporter / pair licence run out)."""
        order, link, lic = value
        if lic is not None and not self.authority.permits(lic, self.env._now):
            if lic.scope == "contract" and self.authority.expired(lic, self.env._now):
                self._end(order, link, LAPSED, f"licence {lic.id} expired before export")
                return
            self.env.process(self._relicense(order, link, lic))
            return
        self._export(order, link, lic)

    def _relicense(self, order: Order, link: SourceLink, lic) -> Generator:
        while not self.authority.permits(lic, self.env._now):
            if lic.scope == "contract" and self.authority.expired(lic, self.env._now):
                self._end(order, link, LAPSED, f"licence {lic.id} expired before export")
                return
            # revoked by a regime change, or an exporter / pair licence that ran out while the
            # lot was made: the renewal (or the new regime's licence) covers it
            lic = yield from self.authority.obtain(order)
            if lic is None:
                self._end(order, link, DENIED, "licence denied")
                return
            if self._unwanted(order, link, lic):
                return
            order.licence_id = lic.id
        self._export(order, link, lic)

    def _export(self, order: Order, link: SourceLink, lic: Optional[Licence]) -> None:
        if lic is not None:
            lic.used_t += order.quantity_t
        order.state = IN_TRANSIT
        order.exported_day = self.env._now
        transit = link.account.lane.sample_days(self._draws)
        call_later(self.env, transit, (order, link, lic), self._on_arrival)

    def _arrived(self, value: Shipment) -> None:
        order, link, _ = value
        order.state = DELIVERED
        order.arrived_day = self.env._now
        link.fab.receive(order, link)

    def ship_in_transit(self, order: Order, link: SourceLink, arrive_in_days: float) -> None:
        """An order already on its way when the run starts (the warm-start pipeline)."""
        order.released_day = order.ordered_day
        call_later(self.env, arrive_in_days, (order, link, None), self._on_arrival)

    def _end(self, order: Order, link: SourceLink, state: str, detail: str) -> None:
        if order.state != IN_PRODUCTION:  # never made: it leaves the backlog unmade
            link.account.backlog_t -= order.quantity_t
        order.state = state
        order.ended_day = self.env._now
        self.rec.event(self.env._now, self.id, f"order_{state}", material=order.material,
                       grade=order.grade, origin=self.origin, supplier=self.id, fab=order.fab,
                       licence_id=order.licence_id, order_id=order.id,
                       quantity_t=order.quantity_t, detail=detail)
        link.closed(order)


def settle_orders(orders, horizon_days: float) -> None:
    """At the end of the run: an order made outside licensing is scheduled from the line to the fab
    in one step, so its state says in production until it arrives; one that had left the gate
    before the horizon is in transit, one that had not has no export day (events at the horizon
    do not happen)."""
    for order in orders:
        if order.state == IN_PRODUCTION and not math.isnan(order.exported_day):
            if order.exported_day < horizon_days:
                order.state = IN_TRANSIT
            else:
                order.exported_day = math.nan
