"""What happens in a run, as records. Actors only append here; tables are built after the run.

`Order` and `Licence` are the two things whose life spans many events; they are mutable while
the run goes on and become one row each of `shipments` and `licences`. Everything else that
happens is one row of `events`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import numpy as np

NaN = math.nan

# order states, in the order an order passes through them
AWAITING_LICENCE = "awaiting_licence"
IN_PRODUCTION = "in_production"
IN_TRANSIT = "in_transit"
DELIVERED = "delivered"
LAPSED = "lapsed"  # its licence expired before the goods could be exported
DENIED = "denied"  # its licence application was denied
CANCELLED = "cancelled"  # licensed after its buyer had switched away: the buyer no longer wanted it
ORDER_STATES = (AWAITING_LICENCE, IN_PRODUCTION, IN_TRANSIT, DELIVERED, LAPSED, DENIED, CANCELLED)


@dataclass(eq=False, slots=True, init=False)
class Order:
    """One contract: a quantity of one grade from one supplier to one fab, shipped as one lot."""
    id: str
    fab: str
    supplier: str
    origin: str
    material: str
    grade: str
    quantity_t: float
    value_usd: float
    ordered_day: float
    state: str = AWAITING_LICENCE
    licence_id: str = ""
    exported_day: float = NaN
    arrived_day: float = NaN
    ended_day: float = NaN  # day it lapsed or was denied
    released_day: float = NaN  # its licence was obtained (or, outside licensing, it was ordered)
    urgent: bool = False  # pulled forward on a jump in perceived risk: served from stock if held
    # its supply link's row in the recorder's `links` (fab, supplier, origin, material, grade and
    # the fab's daily series of the grade): known when it is ordered, so the KPIs need not look
    # up each lot's series by its names (-1: none)
    link: int = -1

    def __init__(self, id: str, fab: str, supplier: str, origin: str, material: str, grade: str,
                 quantity_t: float, value_usd: float, ordered_day: float,
                 state: str = AWAITING_LICENCE) -> None:
        # written out, not generated: mypyc compiles this one, while a dataclass's generated
        # __init__ runs as interpreted code (3 % of a compiled replication: issue 18)
        self.id = id
        self.fab = fab
        self.supplier = supplier
        self.origin = origin
        self.material = material
        self.grade = grade
        self.quantity_t = quantity_t
        self.value_usd = value_usd
        self.ordered_day = ordered_day
        self.state = state
        self.licence_id = ""
        self.exported_day = NaN
        self.arrived_day = NaN
        self.ended_day = NaN
        self.released_day = NaN
        self.urgent = False
        self.link = -1


@dataclass(eq=False, slots=True)
class Licence:
    """One licence application and, if approved, the licence it became."""
    id: str
    regime: str
    scope: str
    supplier: str
    fab: str  # "" for an exporter-wide (bulk) licence
    material: str
    grade: str  # "" unless the licence is for one contract
    order_ids: List[str]  # contract licences: the orders the contract covers
    documents: int
    applied_day: float
    quantity_t: float = NaN  # contract licences only: the contract quantity
    submitted_day: float = NaN
    decided_day: float = NaN
    outcome: str = "pending"  # pending | approved | denied | withdrawn
    rerequests: int = 0
    valid_from: float = NaN
    valid_until: float = NaN
    revoked_day: float = NaN
    used_t: float = 0.0
    renewal: bool = False
    precedent: bool = False  # the pair already held an approval under case review
    first_file: bool = False  # one of the exporter's test cases, filed before its first approval
    # Any, not simpy types: the model compiled with mypyc (simulator/app/accel.py) checks native
    # attribute types at run time, and these are SimPy's objects
    done: Any = field(default=None, repr=False)  # simpy.Event fired on decision
    process: Any = field(default=None, repr=False)  # the review process

    @property
    def order_list(self) -> str:
        return ";".join(self.order_ids)


class SupplyLinkRow(NamedTuple):
    """A fab's link to one supplier for one grade, as its orders' records refer to it."""
    fab: str
    supplier: str
    origin: str
    material: str
    grade: str
    series: int  # the row of the recorder's `daily` the fab keeps this grade's days in


class EventRow(NamedTuple):
    """One row of `events`: something that happened to an actor on a day."""
    day: float
    actor: str
    event: str
    material: str = ""
    grade: str = ""
    origin: str = ""
    supplier: str = ""
    fab: str = ""
    licence_id: str = ""
    order_id: str = ""
    quantity_t: float = NaN
    detail: str = ""


class DailySeries:
    """A fab's days for one material grade. The fab appends what it did each day (cheaper than a
    row object, and a third of what a day's row holds): the stock left, whether it rationed, and
    on a day it fell short, what it used (on any other day it used what it needed). The rest of
    the row follows from these and the grade's terms, and `daily_grids` computes it as arrays
    after the run with the very operations the fab's day would have used, so the values are the
    same to the bit: planned use (the sized use times the fab's output level that day), need
    (less `ration_saving` while rationing), use (the need, or the use recorded on a short day),
    shortfall (need less use) and output (100 less the dependent share of the shortfall, in % of
    need)."""

    __slots__ = ("fab", "material", "grade", "base_use_t", "level", "ration_saving",
                 "dependent_share", "row", "short_day", "short_use_t", "inventory_t", "rationing")

    def __init__(self, fab: str, material: str, grade: str, base_use_t: float,
                 level: Optional[List[float]] = None, ration_saving: float = 0.0,
                 dependent_share: float = 1.0, row: int = -1):
        self.fab, self.material, self.grade = fab, material, grade
        self.row = row  # its place in the recorder's `daily`
        self.base_use_t = base_use_t  # use at the sized output level
        self.level = level  # the fab's output level each day (None: flat at 1)
        self.ration_saving = ration_saving
        self.dependent_share = dependent_share
        # the days it used less than it needed, and what it used on them: most days it uses its
        # need, and making and reading back a boxed float a day per series cost ~1.5 ms of a
        # replication (issue 18)
        self.short_day: List[int] = []
        self.short_use_t: List[float] = []
        self.inventory_t: List[float] = []
        self.rationing: List[bool] = []

    def record(self, consumption_t: float, inventory_t: float, rationing: bool,
               short: bool) -> None:
        """The day's use, stock left and rationing; `short`: it used less than it needed (only
        then is its use kept: otherwise it is the need)."""
        if short:
            self.short_day.append(len(self.inventory_t))
            self.short_use_t.append(consumption_t)
        self.inventory_t.append(inventory_t)
        self.rationing.append(rationing)

    def columns(self) -> Dict[str, np.ndarray]:
        """The days as columns: demand_t, consumption_t, shortfall_t, inventory_t, rationing,
        production_pct (`daily_grids` of this series alone)."""
        return {name: grid[0] for name, grid in daily_grids([self]).items()}


def daily_grids(series: List[DailySeries]) -> Dict[str, np.ndarray]:
    """The days of `series` (of one run: as many days each) as (series, days) arrays, named as
    `DailySeries.columns` names them. All series at once: each fab's output level is read once
    for all its grades, and the elementwise arithmetic is the same per element as one series'
    alone (reading the ~10^5 recorded numbers is most of the cost: issue 18)."""
    n = len(series[0].inventory_t) if series else 0
    levels: Dict[int, np.ndarray] = {}  # a fab's level list, shared by its grades -> its days
    flat = np.ones(n)
    level = np.empty((len(series), n))
    for i, s in enumerate(series):
        if s.level:
            key = id(s.level)
            if key not in levels:
                levels[key] = np.fromiter(s.level[:n], dtype=float, count=n)
            level[i] = levels[key]
        else:
            level[i] = flat

    def per_series(attr: str) -> np.ndarray:  # a column of each series' constant
        return np.array([getattr(s, attr) for s in series], dtype=float)[:, None]

    demand = per_series("base_use_t") * level
    rationing = rationing_grid(series, n)
    need = np.where(rationing, demand * (1.0 - per_series("ration_saving")), demand)
    use = need.copy()  # what it needed, but on its short days what it used
    for i, s in enumerate(series):
        if s.short_day:
            use[i, np.array(s.short_day, dtype=np.int64)] = np.array(s.short_use_t, dtype=float)
    short = need - use
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(need > 0, 100.0 * (1.0 - per_series("dependent_share") * short / need), 100.0)
    return {"demand_t": demand, "consumption_t": use, "shortfall_t": short,
            "inventory_t": np.array([np.fromiter(s.inventory_t, dtype=float, count=n)
                                     for s in series]).reshape(len(series), n),
            "rationing": rationing, "production_pct": pct}


def rationing_grid(series: List[DailySeries], days: int) -> np.ndarray:
    """Whether each of `series` rationed on each of its `days` days, (series, days) booleans. A
    Python bool is the byte 0 or 1: read as bytes, three times faster than numpy's conversion
    of the lists."""
    return np.frombuffer(b"".join(bytes(s.rationing) for s in series),
                         dtype=bool).reshape(len(series), days)


class Recorder:
    """Collects one replication's records."""

    def __init__(self) -> None:
        self.events: List[EventRow] = []
        self.orders: List[Order] = []
        self.licences: List[Licence] = []
        self.daily: List[DailySeries] = []  # in the order fabs and their grades were set up
        self.risk: Dict[str, List[float]] = {}  # material -> perceived risk each day
        # crude imported by processors: (day, material, origin, tonnes, US$), one row per lot made
        self.feedstock: List[tuple] = []
        self.links: List[SupplyLinkRow] = []  # every fab's link to a supplier for a grade
        self._next = {"O": 0, "L": 0}

    def hand_over(self) -> "Recorder":
        """A recorder with this one's records; this one is left empty. The run's actors hold this
        recorder in reference cycles (SimPy's pending events keep the last day's processes alive)
        that only the cyclic collector breaks, and a collection walks every object it can reach:
        handed over, the ~10^5 records die by reference counting with their last reader instead
        (a collection of them was 15 ms of a 240 ms replication: issue 18)."""
        out = Recorder()
        out.events, self.events = self.events, []
        out.orders, self.orders = self.orders, []
        out.licences, self.licences = self.licences, []
        out.daily, self.daily = self.daily, []
        out.risk, self.risk = self.risk, {}
        out.feedstock, self.feedstock = self.feedstock, []
        out.links, self.links = self.links, []
        out._next = dict(self._next)
        return out

    def daily_grids(self) -> Dict[str, np.ndarray]:
        """The fabs' daily series as (series, days) arrays: `daily_grids`."""
        return daily_grids(self.daily)

    def arrivals(self) -> Tuple[List[float], List[float], List[float], List[int]]:
        """The orders that arrived (an arrival day, not NaN), in order, as the columns day,
        quantity_t, value_usd and link (its row of `links`: whose, from where, what): one pass
        over the orders inside the compiled model, which reads an order's fields from its struct
        (read from outside, one attribute at a time, the ~20k orders of a replication cost 4 ms:
        issue 18)."""
        day: List[float] = []
        quantity_t: List[float] = []
        value_usd: List[float] = []
        link: List[int] = []
        for o in self.orders:
            arrived = o.arrived_day
            if arrived == arrived:  # not NaN
                day.append(arrived)
                quantity_t.append(o.quantity_t)
                value_usd.append(o.value_usd)
                link.append(o.link)
        return day, quantity_t, value_usd, link

    def supply_link(self, fab: str, supplier: str, origin: str, material: str, grade: str,
                    series: int) -> int:
        """Register a fab's link to a supplier for a grade (`series`: the row of the fab's
        daily series of it); its row in `links`, which each of its orders carries."""
        self.links.append(SupplyLinkRow(fab, supplier, origin, material, grade, series))
        return len(self.links) - 1

    def daily_series(self, fab: str, material: str, grade: str, base_use_t: float,
                     level: Optional[List[float]], ration_saving: float,
                     dependent_share: float) -> DailySeries:
        series = DailySeries(fab, material, grade, base_use_t, level, ration_saving,
                             dependent_share, len(self.daily))
        self.daily.append(series)
        return series

    def feedstock_import(self, day: float, material: str, origin: str, quantity_t: float,
                         value_usd: float) -> None:
        self.feedstock.append((day, material, origin, quantity_t, value_usd))

    def new_id(self, prefix: str) -> str:
        n = self._next[prefix] + 1
        self._next[prefix] = n
        return prefix + str(n).zfill(6)  # f"{n:06d}", at a third of the cost of a format spec

    def event(self, day: int | float, actor: str, event: str, *, material: str = "", grade: str = "",
              origin: str = "", supplier: str = "", fab: str = "", licence_id: str = "",
              order_id: str = "", quantity_t: float = NaN, detail: str = "") -> None:
        self.events.append(EventRow(day, actor, event, material, grade, origin, supplier, fab,
                                    licence_id, order_id, quantity_t, detail))


EVENT_COLUMNS = list(EventRow._fields)
