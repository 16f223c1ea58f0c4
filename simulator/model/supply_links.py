"""A fab's side of its supply, per material grade: the link to each source (share, contract,
qualification, open orders, learnt lead time) and the stock those links fill. The decisions that
move them are the fab's (fab.py); these hold state and answer small questions about it."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Dict, List, Optional

from simulator.model.production import Account
from simulator.model.records import AWAITING_LICENCE, DailySeries, Order
from simulator.model.suppliers import Supplier

if TYPE_CHECKING:  # the fab imports this module; the annotation alone needs the class
    from simulator.model.fab import Fab


class SourceLink:
    """The fab's relationship with one supplier for one grade. The supplier's side of it (its
    book with the fab) is `account`; an order carries its link through the supplier, so both
    ends reach their state without a lookup."""

    def __init__(self, fab: Fab, supplier: Supplier, grade: str, share: float, lead_days: float,
                 account: Account):
        self.fab = fab
        self.supplier = supplier
        self.account = account
        self.grade = grade
        self.stock: MaterialStock = None  # type: ignore[assignment]  # set once the stock exists
        self.row = -1  # its row of the recorder's links, once registered (its orders carry it)
        self.share = share
        self.lead_ewma_days = lead_days
        self.open: Dict[str, Order] = {}
        self.open_t = 0.0  # their quantity, kept as a running total rather than summed per review
        self.awaiting: Dict[str, Order] = {}  # open orders waiting for a licence, oldest first
        self.contract_share = share  # contracted share and the day its contract ends
        self.contract_until = -math.inf
        self.qualified_day: Optional[float] = None if supplier.conf.qualification.required else -math.inf
        self.trial_day: Optional[float] = None  # passed the emergency trial (less critical steps)
        self.wanted_t = math.inf  # order-up-to level at the last review (stock share + open orders)
        # read at every review: held here rather than on the (interpreted) config dataclass
        q = supplier.conf.qualification
        self._emergency_share = q.emergency_share
        self._full_use_ramp_days = q.full_use_ramp_days

    def usage(self, day: float) -> float:
        """How far the fab can use this source: the emergency share (less critical steps) once
        its trial has passed, the rest ramping in after full qualification."""
        emergency = self._emergency_share
        if self.qualified_day is None:
            return emergency if self.trial_day is not None else 0.0
        ramp = self._full_use_ramp_days
        if ramp <= 0 or day - self.qualified_day >= ramp:
            return 1.0
        full = max(0.0, (day - self.qualified_day) / ramp)
        return emergency + (1.0 - emergency) * full

    def expected_lead_days(self, day: float, licence_wait_days: float = 0.0) -> float:
        oldest = next(iter(self.open.values()), None)
        age = day - oldest.ordered_day if oldest is not None else 0.0
        # the learnt lead is physical (making and shipping); the licence wait is what the regime
        # in force implies, so a lift ends it at once instead of being unlearnt lot by lot
        return max(self.lead_ewma_days + licence_wait_days, age)

    def awaiting_licence(self) -> bool:
        return bool(self.awaiting)

    def opened(self, order: Order) -> None:
        self.open[order.id] = order
        self.open_t += order.quantity_t
        if order.state == AWAITING_LICENCE and self.supplier.licensed:
            self.awaiting[order.id] = order

    def released(self, order: Order) -> None:
        """The supplier holds a licence for `order`: it no longer waits."""
        self.awaiting.pop(order.id, None)

    def closed(self, order: Order) -> None:
        del self.open[order.id]
        self.awaiting.pop(order.id, None)
        # an empty link holds exactly nothing (no rounding residue of the running total)
        self.open_t = self.open_t - order.quantity_t if self.open else 0.0


class MaterialStock:
    """The fab's stock and sources of one material grade."""

    def __init__(self, material: str, grade: str, daily_use_t: float, national_t_per_day: float,
                 cover_days: float, dependent_share: float, links: List[SourceLink],
                 level: float = 1.0):
        self.material = material
        self.grade = grade
        # use and national demand at the level the demand shares are sized on; `follow` moves
        # today's with the fab's output plan
        self.base_use_t = daily_use_t
        self.base_national_t_per_day = national_t_per_day
        self.daily_use_t = daily_use_t * level
        self.national_t_per_day = national_t_per_day * level
        self.base_cover_days = cover_days
        self.on_hand_t = self.daily_use_t * cover_days
        self.dependent_share = dependent_share
        self.links = links
        self.rationing = False
        self.held_share = 0.0  # share of supply whose orders wait on a licence (last review)
        self.cover_target_days = cover_days  # stock target of the last review, in days of use
        self.held_until_day = 0.0  # when the buyer expects those licences at the latest
        self.stockout = False
        self.days: DailySeries = None  # type: ignore[assignment]  # set by the fab that holds it

    def follow(self, level: float) -> None:
        """Today's planned use at output level `level` (1: the sized level). National demand is
        taken to move with the buyer's own plan: what it can expect of a supplier's capacity."""
        self.daily_use_t = self.base_use_t * level
        self.national_t_per_day = self.base_national_t_per_day * level
