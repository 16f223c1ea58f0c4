"""A Korean fab: consumes each material grade, holds stock, reorders, rations, loses output.

Per material grade the fab
- consumes its planned daily use: national pre-shock demand x its share, times its output index
  that day where it follows one (a dated series such as wafer area; flat otherwise);
- rations when cover falls below a trigger, or when the stock it holds would not outlast the
  wait for the licences its orders are held on (stock over the use those orders should cover,
  against the statutory review window still ahead): inputs are cut by `ration_saving` in steps
  that can take it ("halved material inputs in some steps to slow the drawdown", BusinessKorea)
  with no loss of output;
- loses output when stock runs out: the fraction of the day's need it could not meet, times the
  share of its output that depends on the material;
- reviews every `review_period_days` with an order-up-to policy per source: source j gets
  share_j x daily use x (target cover + expected lead time_j + review period) minus
  (share_j x stock + orders open with j), with shares from sourcing.py. Keeping a position per
  source means a source that cannot deliver does not soak up the others' orders, and a Japanese
  source held back by a pending licence gets the whole gap it accumulated once it may take
  orders again. The expected lead time of a source is a
  smoothed average of observed physical lead times (licence, or order, to arrival) plus, for a
  Japanese source that needs a new case-reviewed licence, document preparation and the full
  statutory review window (what a buyer knows to plan for on day one), and never less than the age
  of the oldest order still open with it (a buyer sees a stuck licence before anything arrives);
- stockpiles as perceived risk rises (risk.py): its target cover is the material's normal cover
  plus `risk_cover_days` x perceived risk x the share of its supply that comes from Japan; a jump
  in perceived risk (a leak, an announcement) makes it review that material at once, so orders
  are pulled forward before a tightening takes effect; a stockpile is drawn down over months
  (`destock_days`), not at once when risk falls, as firms did after the 2023 lift;
- weighs Japanese supply at its effective cost: the regime's non-tariff cost multiplier (Kim 2024)
  divided by 1 - perceived risk (if a shipment is refused with probability p, a delivered unit
  costs 1 / (1 - p) attempts), in the CES split of sourcing.py;
- keeps what it switched to: a share it raised is contracted for `sourcing.contract_term_days` and
  does not fall below its highest level within that term (contract terms; capacity built during
  the curbs keeps running), so a lift does not hand back the old shares at once;
- orders from a supplier only what it accepts: suppliers commit at most
  `sourcing.max_backlog_days` of capacity ahead, pro rata to buyers' normal purchases (allocation
  rather than an endless queue; without it, a buyer at a capacity-capped source would chase its
  own growing lead time);
- places each order as call-off lots (one shipment each) of at most `max_lot_days` of its use;
- keeps at most one contract per Japanese supplier waiting for a licence under a non-bulk regime
  (nobody files duplicate contracts behind a stuck one);
- qualifies new (domestic) suppliers when their programme starts: a gamma-distributed time scaled
  by the fab's own speed, a chance of failure (then it tries again), then a linear ramp to full use.

At the start of the run the fab holds its initial cover and the pipeline a steady state would
have (orders in transit covering each source's nominal lead time), so the run starts in balance.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, Generator, List, Optional

import numpy as np
import simpy

from simulator.model.engine import call_later, timeout
from simulator.model.licensing import LicensingAuthority
from simulator.config.params import FabConf, FabPolicyConf, SourcingConf
from simulator.model.records import AWAITING_LICENCE, IN_TRANSIT, Order, Recorder
from simulator.model.risk import PerceivedRisk
from simulator.model.sourcing import adjust_shares, cap_shares, target_shares
from simulator.model.suppliers import Supplier
from simulator.model.supply_links import MaterialStock, SourceLink

MAX_RISK = 0.99  # effective cost 1 / (1 - risk) stays finite
OVERDUE_WAIT_SHARE = 0.5  # an overdue licence: half the wait again (the re-request clock restart)


class Fab:
    def __init__(self, env: simpy.Environment, f_id: str, conf: FabConf, policy: FabPolicyConf,
                 sourcing: SourcingConf, authority: LicensingAuthority, risk: PerceivedRisk,
                 recorder: Recorder, streams: Callable[[str], np.random.Generator],
                 output_level: Optional[List[float]] = None):
        self.env = env
        self.id = f_id
        self.conf = conf
        self.policy = policy
        self.sourcing = sourcing
        self.authority = authority
        self.risk = risk
        self.rec = recorder
        self.streams = streams  # actor name -> its random stream in this replication
        self.output_level = output_level  # planned output per day relative to the sized level
        self.stocks: Dict[tuple, MaterialStock] = {}
        self._links: Dict[tuple, SourceLink] = {}  # (supplier, grade) -> link

    # --- set-up ------------------------------------------------------------------------------
    def add_material(self, material: str, grade: str, daily_use_t: float, national_t_per_day: float,
                     cover_days: float, suppliers: List[Supplier]) -> None:
        nominal = np.array([s.nominal_t_per_month(grade, 0.0) for s in suppliers])
        shares = nominal / nominal.sum() if nominal.sum() > 0 else nominal
        fab_share = daily_use_t / national_t_per_day  # of the line and of the finished goods
        links = [SourceLink(self, s, grade, float(sh), s.nominal_lead_days(grade),
                            s.register_buyer(grade, fab_share))
                 for s, sh in zip(suppliers, shares)]
        stock = MaterialStock(material, grade, daily_use_t, national_t_per_day, cover_days,
                              self.conf.dependent_output_share.get(material, 1.0), links,
                              self.output_level[0] if self.output_level else 1.0)
        stock.days = self.rec.daily_series(self.id, material, grade, stock.base_use_t,
                                           self.output_level or None, self.policy.ration_saving,
                                           stock.dependent_share)
        self.stocks[(material, grade)] = stock
        for link in links:
            link.stock = stock
            supplier = link.supplier
            link.row = self.rec.supply_link(self.id, supplier.id, supplier.origin,
                                            supplier.material, grade, stock.days.row)
            self._links[(link.supplier.id, grade)] = link
            self._warm_start_pipeline(stock, link)

    def _warm_start_pipeline(self, stock: MaterialStock, link: SourceLink) -> None:
        lead = link.lead_ewma_days
        qty = stock.daily_use_t * link.share * lead
        if qty <= 0 or lead <= 0:
            return
        n = max(1, math.ceil(lead / self.policy.review_period_days))
        for j in range(n):
            arrive = (j + 0.5) * lead / n
            order = self._new_order(link, qty / n, ordered_day=arrive - lead, state=IN_TRANSIT)
            order.licence_id = "pre-start"
            order.exported_day = arrive - link.account.lane.mean_days
            link.supplier.ship_in_transit(order, link, arrive)

    # --- daily step (called by the world's clock) ---------------------------------------------
    def step(self, day: int) -> None:
        periodic = day % self.policy.review_period_days == 0
        level = self.output_level[day] if self.output_level else None
        for stock in self.stocks.values():
            if level is not None:
                stock.follow(level)
            if periodic:
                self._review(stock, day)
            elif self.risk.raised_on(stock.material, day):
                self._review(stock, day, urgent=True)  # pull orders forward
        self._consume(day)

    def _consume(self, day: int) -> None:
        policy = self.policy
        for stock in self.stocks.values():
            d = stock.daily_use_t
            on_hand = stock.on_hand_t
            cover = on_hand / d
            held = stock.held_share * d
            rationing = (cover < policy.ration_trigger_cover_days
                         or (held > 0 and on_hand / held < stock.held_until_day - day))
            if rationing != stock.rationing:
                stock.rationing = rationing
                self._event(day, "rationing_started" if rationing else "rationing_ended", stock,
                            detail=f"cover {cover:.1f} days")
            need = d * (1.0 - policy.ration_saving) if rationing else d
            use = need if need <= on_hand else on_hand
            short = need - use
            on_hand -= use
            if on_hand < 1e-9:
                on_hand = 0.0
            stock.on_hand_t = on_hand
            stockout = short > 1e-9
            if stockout != stock.stockout:
                stock.stockout = stockout
                self._event(day, "stockout_started" if stockout else "stockout_ended", stock,
                            quantity_t=short if stockout else math.nan)
            stock.days.record(use, on_hand, rationing, use < need)  # the rest follows from these

    def _review(self, stock: MaterialStock, day: int, urgent: bool = False) -> None:
        m, g = stock.material, stock.grade
        links = stock.links
        policy = self.policy
        regime = self.authority.regime_of(m)
        risk = min(self.risk.level(m, day), MAX_RISK)
        multiplier = self.sourcing.cost_multiplier.get(regime, {}).get(m, 1.0) / (1.0 - risk)
        home_bias = self.sourcing.home_bias
        suppliers = [l.supplier for l in links]
        target = target_shares([s.nominal_t_per_month(g, day) for s in suppliers],
                               [l.usage(day) for l in links],
                               [multiplier if s.licensed else 1.0 for s in suppliers],
                               self.sourcing.elasticity[m],
                               [home_bias if s.home else 1.0 for s in suppliers])
        national = stock.national_t_per_day
        capacities = [s.capacity_t_per_day(g, day) for s in suppliers]  # once a review (t/day)
        target = cap_shares(target, [c / national for c in capacities])
        step = policy.review_period_days / policy.switching_adjustment_days \
            if policy.switching_adjustment_days > 0 else 1.0
        shares = self._contracted(links, adjust_shares([l.share for l in links], target, step), day)

        licensed = sum(sh for s, sh in zip(suppliers, shares) if s.licensed)
        # what a buyer plans to wait for each source's licence (nothing outside the licensing)
        waits = [self.authority.expected_wait_days(s.id, self.id, m) if s.licensed else 0.0
                 for s in suppliers]
        self._note_held(stock, links, shares, waits, day)
        cover_target = self._cover_target(stock, stock.base_cover_days
                                          + policy.risk_cover_days * risk * licensed)
        one_in_flight = regime != "bulk" and policy.one_application_in_flight
        fab_share = stock.daily_use_t / national
        for link, share, wait, capacity in zip(links, shares, waits, capacities):
            link.share = share
            # each source has its own order-up-to position: its share of the stock target over
            # its own expected lead time, less its share of stock on hand and its open orders
            position = share * stock.on_hand_t + link.open_t
            wanted = share * stock.daily_use_t * (cover_target + link.expected_lead_days(day, wait)
                                                  + policy.review_period_days)
            link.wanted_t = wanted
            if one_in_flight and link.awaiting and link.supplier.licensed:
                continue
            # the supplier accepts orders only up to max_backlog_days of its capacity
            accepted = link.supplier.accepts_t(link.account, capacity, fab_share,
                                               self.sourcing.max_backlog_days)
            qty = min(wanted - position, accepted)
            if qty < policy.min_order_t:
                continue
            self._place(stock, link, qty, day, urgent)

    def _cover_target(self, stock: MaterialStock, wanted_days: float) -> float:
        """Stockpiles are built at once but drawn down over months: a lower target closes the
        gap from the last one by review period / `destock_days` per review (none: at once)."""
        days = self.policy.destock_days
        last = stock.cover_target_days
        if days > 0 and wanted_days < last:
            wanted_days = last - (last - wanted_days) * min(1.0, self.policy.review_period_days / days)
        stock.cover_target_days = wanted_days
        return wanted_days

    def _note_held(self, stock: MaterialStock, links: List[SourceLink], shares: List[float],
                   waits: List[float], day: int) -> None:
        """The share of supply held on licences, and the latest day the buyer expects them: the
        application of the oldest waiting order plus document preparation and statutory window;
        once that has passed, another OVERDUE_WAIT_SHARE of the wait from today (a licence overdue
        is one whose documents were asked for again, and a re-request restarts the clock: FACTS.md,
        liquid HF approved at ~134 and 174 days after "almost 90 days" of re-requests), so a
        buyer whose licence is late goes on saving stock instead of ceasing to expect it."""
        stock.held_share = 0.0
        stock.held_until_day = float(day)
        for link, share, wait in zip(links, shares, waits):
            if not link.awaiting:  # only Japanese links ever hold orders waiting for a licence
                continue
            oldest = next(iter(link.awaiting.values()))
            stock.held_share += share
            until = oldest.ordered_day + wait
            if until <= day:
                until = day + OVERDUE_WAIT_SHARE * wait
            stock.held_until_day = max(stock.held_until_day, until)

    def _contracted(self, links: List[SourceLink], shares: List[float], day: int) -> List[float]:
        """Hold each link at least at its contracted share while its contract runs; a share that
        rises is contracted anew for the term. Links held up give way pro rata to the others."""
        term = self.sourcing.contract_term_days
        if term <= 0:
            return shares
        floors = [l.contract_share if day < l.contract_until else 0.0 for l in links]
        held = [sh < fl for sh, fl in zip(shares, floors)]
        if any(held):
            shares = [fl if h else sh for sh, fl, h in zip(shares, floors, held)]
            excess = sum(shares) - 1.0
            free = [i for i, sh in enumerate(shares) if not held[i] and sh > 0]
            if excess > 0 and free:
                free_total = sum(shares[i] for i in free)
                for i in free:
                    shares[i] = max(0.0, shares[i] - excess * shares[i] / free_total)
        for link, share in zip(links, shares):
            raised = share > link.contract_share + 1e-9
            if raised:
                link.contract_until = day + term
            if raised or day >= link.contract_until:  # an expired contract follows the share down
                link.contract_share = share
        return shares

    # --- orders ------------------------------------------------------------------------------
    def _new_order(self, link: SourceLink, qty: float, ordered_day: float,
                   state: str = AWAITING_LICENCE) -> Order:
        s = link.supplier
        order = Order(id=self.rec.new_id("O"), fab=self.id, supplier=s.id, origin=s.origin,
                      material=s.material, grade=link.grade, quantity_t=qty,
                      value_usd=qty * s.unit_value_usd_per_t, ordered_day=ordered_day, state=state)
        order.link = link.row
        self.rec.orders.append(order)
        link.opened(order)
        return order

    def _place(self, stock: MaterialStock, link: SourceLink, qty: float, day: int,
               urgent: bool = False) -> None:
        """Place `qty` as call-off lots of at most `max_lot_days` of this grade's use: lots ship as
        they are made, and under per-contract licensing lots placed together share one contract
        licence, so only what is still unmade when it expires lapses. An urgent order (pulled
        forward on a jump in perceived risk) first calls off, as one lot, what the maker holds
        for this fab, which leaves at once."""
        lot_t = stock.daily_use_t * self.policy.max_lot_days
        if urgent:  # call off what the maker holds at once; the rest is made to order
            held = min(qty, link.account.stock_t)  # what the maker holds for this fab
            if held >= self.policy.min_order_t:
                # lots too: what the lane takes before an effective date leaves under the old
                # licence, the rest waits at the gate for the new one
                lots = max(1, math.ceil(held / lot_t - 1e-9))
                for _ in range(lots):
                    self._lot(link, held / lots, day, urgent=True)
                qty -= held
            if qty < self.policy.min_order_t:
                return
        lots = max(1, math.ceil(qty / lot_t - 1e-9))
        for _ in range(lots):
            self._lot(link, qty / lots, day)

    def _lot(self, link: SourceLink, qty: float, day: int, urgent: bool = False) -> None:
        order = self._new_order(link, qty, float(day))
        order.urgent = urgent
        link.supplier.place(order, link)

    def still_wants(self, order: Order, link: SourceLink) -> bool:
        """A licence has come for `order`, which waited for it: does the buyer still want the lot?
        Yes while its stock share, the orders already under way with this source and the lot stay
        within the source's order-up-to level of the last review; a buyer that moved its share
        to qualified substitutes meanwhile lets the licence go unused (approval is not demand)."""
        stock = link.stock
        waiting = sum(o.quantity_t for o in link.awaiting.values())
        # under way with the lot: the open orders no longer waiting, and the lot itself (already
        # among them if it was released before, held at the gate for a new licence)
        under_way = link.open_t - waiting + (order.quantity_t if order.id in link.awaiting else 0.0)
        return link.share * stock.on_hand_t + under_way <= link.wanted_t + self.policy.min_order_t

    def receive(self, order: Order, link: SourceLink) -> None:
        stock = link.stock
        stock.on_hand_t += order.quantity_t
        link.closed(order)
        a = self.policy.lead_time_smoothing
        physical = order.arrived_day - order.released_day  # from licence (or order) to arrival
        link.lead_ewma_days = a * physical + (1 - a) * link.lead_ewma_days

    # --- qualification of new suppliers ------------------------------------------------------
    def uses(self, supplier: Supplier) -> bool:
        return any((supplier.id, g) in self._links for g in supplier.grades)

    def supplier_started(self, supplier: Supplier) -> None:
        """A supplier this fab could buy from has started: qualify it if it must be qualified.
        The (fab, supplier) pair has its own stream, so other pairs do not shift its draws."""
        if supplier.conf.qualification.required and self.uses(supplier):
            rng = self.streams(f"qualification/{self.id}/{supplier.id}")
            self.env.process(self.qualify(supplier, rng))

    def qualify(self, supplier: Supplier, rng: np.random.Generator) -> Generator:
        """Process: qualify `supplier` at this fab; on success every grade link starts ramping.
        `rng` is the stream of this (fab, supplier) pair, so other pairs do not shift its draws."""
        q = supplier.conf.qualification
        factor = self.conf.qualification_time_factor
        if q.emergency_share > 0:  # a short trial for the less critical steps runs alongside
            trial = self._gamma_days(rng, q.emergency_days * factor, q.cv)
            call_later(self.env, trial, supplier, self._trial_passed)
        mean = q.mean_days * factor
        attempt = 0
        while True:
            attempt += 1
            yield timeout(self.env, self._gamma_days(rng, mean, q.cv))
            if rng.random() < q.success_prob:
                break
            self.rec.event(self.env._now, self.id, "qualification_failed", material=supplier.material,
                           origin=supplier.origin, supplier=supplier.id, fab=self.id,
                           detail=f"attempt {attempt}")
        for g in supplier.grades:
            link = self._links.get((supplier.id, g))
            if link is not None:
                link.qualified_day = self.env._now
        self.rec.event(self.env._now, self.id, "supplier_qualified", material=supplier.material,
                       origin=supplier.origin, supplier=supplier.id, fab=self.id,
                       detail=f"after {attempt} attempt(s)")

    @staticmethod
    def _gamma_days(rng: np.random.Generator, mean: float, cv: float) -> float:
        if mean > 0 and cv > 0:
            shape = 1.0 / cv ** 2
            return float(rng.gamma(shape, mean / shape))
        return mean

    def _trial_passed(self, supplier: Supplier) -> None:
        for g in supplier.grades:
            link = self._links.get((supplier.id, g))
            if link is not None and link.trial_day is None:
                link.trial_day = self.env._now
        self.rec.event(self.env._now, self.id, "supplier_trial_passed", material=supplier.material,
                       origin=supplier.origin, supplier=supplier.id, fab=self.id,
                       detail=f"less critical steps: {supplier.conf.qualification.emergency_share:.0%} of use")

    def _event(self, day, event, stock: MaterialStock, quantity_t=math.nan, detail=""):
        self.rec.event(day, self.id, event, material=stock.material, grade=stock.grade, fab=self.id,
                       quantity_t=quantity_t, detail=detail)
