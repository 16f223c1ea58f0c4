"""A supplier's production: its capacity ramp, its lines (one per grade, shared fairly among
buyers) and its book with each buyer.

The book (`Account`) is what the supplier keeps per buyer and grade: the buyer's share of the line
and of the finished goods, what it has accepted and not yet made, the goods it holds for the
buyer, and the line and lane the buyer's lots use. The buyer's link (supply_links.py) holds its
account, so an order reaches its book, line and lane through attributes rather than lookups by
(grade, fab) key (dictionary lookups were a tenth of a compiled replication: issue 18).
"""
from __future__ import annotations

import bisect
import heapq
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple

import simpy

from simulator.config.calendar import Calendar
from simulator.model.engine import call_later
from simulator.model.shipping import Lane

if TYPE_CHECKING:  # the supplier owns its lines; the annotation alone needs the class
    from simulator.model.suppliers import Supplier


class CapacityRamp:
    """Piecewise-linear added capacity (t/month) over calendar days; flat outside its dates.
    Evaluated on plain floats (bisect), as np.interp on a scalar costs more than the lookup."""

    def __init__(self, ramp: Dict[str, float], cal: Calendar):
        points = sorted((float(cal.day(d)), float(v)) for d, v in ramp.items())
        self.days = [p[0] for p in points]
        self.values = [p[1] for p in points]

    def at(self, day: float) -> float:
        days = self.days
        if not days or day < days[0]:
            return 0.0
        if day >= days[-1]:
            return self.values[-1]
        i = bisect.bisect_right(days, day)  # days[i - 1] <= day < days[i]
        d0, d1, v0, v1 = days[i - 1], days[i], self.values[i - 1], self.values[i]
        return v0 + (v1 - v0) * (day - d0) / (d1 - d0)


# a lot on a line: (finish tag, sequence, tonnes, what runs when it is made, its argument);
# typed as a tuple, so the compiled model unpacks it without an iterator
Lot = Tuple[Any, Any, Any, Any, Any]


class FairLine:
    """One grade's production line shared by buyers by weight, work-conserving: lots are served
    in order of their finish tags, tag = max(line's virtual time, buyer's last tag) + q / weight,
    the virtual time being the tag of the lot in service (self-clocked fair queueing).

    The line is driven by callbacks, not a SimPy process: one timeout per lot, at whose end the
    next lot starts and the finished lot's continuation `then(value)` runs."""

    def __init__(self, env: simpy.Environment, supplier: "Supplier", grade: str):
        self.env = env
        self.supplier = supplier
        self.grade = grade
        self._queue: list = []  # heap of (tag, sequence, quantity, then, value)
        self._last_tag: Dict[str, float] = {}
        self._virtual = 0.0
        self._serving = False
        self._sequence = 0
        # bound once: a compiled method read as a value is a generic lookup and a new bound
        # method on every lot
        self._on_start: Callable[[Lot], None] = self._start
        self._on_finished: Callable[[Lot], None] = self._finished

    def make(self, buyer: str, weight: float, quantity_t: float, then: Callable, value) -> None:
        """Queue `quantity_t` for `buyer`; `then(value)` runs when it is made."""
        tag = max(self._virtual, self._last_tag.get(buyer, 0.0)) + quantity_t / weight
        self._last_tag[buyer] = tag
        self._sequence += 1
        heapq.heappush(self._queue, (tag, self._sequence, quantity_t, then, value))
        if not self._serving:
            self._serving = True
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._serving = False
            return
        lot = heapq.heappop(self._queue)
        self._virtual = lot[0]
        self._start(lot)

    def _start(self, lot: Lot) -> None:
        env = self.env
        capacity = self.supplier.capacity_t_per_day(self.grade, env._now)
        if capacity <= 0:  # dormant or ramped to zero: try again tomorrow
            call_later(env, 1.0, lot, self._on_start)
            return
        call_later(env, lot[2] / capacity, lot, self._on_finished)

    def _finished(self, lot: Lot) -> None:
        _, _, _, then, value = lot
        self._next()  # the line moves on to its next lot before the buyer hears of this one
        then(value)


class Account:
    """A supplier's book with one buyer for one grade (the buyer's link holds it)."""

    def __init__(self, allocation: float, stock_t: float, line: FairLine, lane: Lane):
        self.allocation = allocation  # the buyer's share of the line (its share of national demand)
        self.backlog_t = 0.0  # accepted from the buyer, not yet made
        self.stock_t = stock_t  # finished goods set aside for the buyer
        self.line = line
        self.lane = lane
