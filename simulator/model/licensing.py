"""Japan's export licensing authority (METI) for exports of the controlled materials to Korea.

Each material has a regime that timeline events change: `bulk`, `individual` or `special_bulk`.
A regime's *scope* says what one licence covers:
- bulk (`exporter`): one licence per exporter and material covers every shipment to Korea for
  its validity (3 years); renewal is a quick (~7 day) application started ahead of expiry;
- individual (`contract`): every contract needs its own licence, valid 6 months; a contract not
  exported by then lapses;
- special bulk (`pair`): one licence per exporter x consignee pair, valid up to 3 years, still
  reviewed case by case (photoresist from 2019-12-20).

An application first has its documents prepared, then waits for a case officer (limited capacity
shared across materials, first come first served; the officer keeps the file to decision), then
runs a review clock drawn from a lognormal truncated to the statutory window. During review the
authority may ask for documents again: the clock stops while the applicant answers, and part of
the elapsed clock restarts.
Re-requests are what push some reviews past the 90-day window, as observed for liquid HF.

Who applies when. Consignees did not have every contract filed on day one: the first approvals
were single contracts, and only 5 were granted in the first ~88 days (FACTS.md). Until a consignee
(fab) holds its first case-reviewed approval for a material grade, at most `first_files_in_flight`
applications for it are in flight (a test case: the end-use documents of a new regime are proven
once; its other orders wait unfiled). After that, its files with every exporter go in, and a pair
(exporter, consignee) that already holds a case-reviewed approval is a precedent: its later files
have their review clock and their chance of document re-requests scaled by
`precedent_clock_factor` and `precedent_rerequest_factor` (the file repeats a reviewed trade).

When a regime becomes stricter (bulk < special bulk < individual), licences of the old regime stop
covering exports; when it loosens (special bulk, the 2023 lift), granted licences stay valid until
they expire, and an order covered by any valid licence ships while the exporter applies for the new
regime's licence, so a lift never stops deliveries the law allows. Applications pending under the
old regime are withdrawn when the regime tightens or moves to routine bulk.
"""
from __future__ import annotations

import math
from typing import Dict, Generator, Optional, Tuple

import numpy as np
import simpy

from simulator.config.params import LicensingConf, RegimeConf
from simulator.model.engine import timeout
from simulator.model.records import Licence, Order, Recorder

BULK = "bulk"
QUANTITY_TOLERANCE_T = 1e-9


class _NoReviewer:
    """Stands in for a reviewer request when a regime's applications need no case review."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


STRICTNESS = {"bulk": 0, "special_bulk": 1, "individual": 2}


class LicensingAuthority:
    actor = "licensing_authority"

    def __init__(self, env: simpy.Environment, conf: LicensingConf, materials, rng: np.random.Generator,
                 recorder: Recorder, buyer_countries: Optional[Dict[str, str]] = None):
        self.env = env
        self.conf = conf
        self.rng = rng
        self.rec = recorder
        self.regime: Dict[str, str] = {m: conf.initial_regime for m in materials}
        # each regime's terms, looked up once (the config's own lookup is interpreted code)
        self._regime_conf: Dict[str, RegimeConf] = {r: conf.regime(r) for r in STRICTNESS}
        self.buyer_countries = buyer_countries or {}  # fab -> country, for denied_countries
        # case officers: a file waits for one (first come, first served) and keeps it to decision
        self.reviewers = simpy.Resource(env, capacity=conf.reviewers)
        self._current: Dict[Tuple, Licence] = {}  # scope key -> latest approved licence
        self._pending: Dict[Tuple, Licence] = {}  # scope key -> application in flight
        self._covering: Dict[str, Licence] = {}  # order id -> its approved contract licence
        self._regime_changed = {m: env.event() for m in materials}
        # who applies when: precedents and consignees' first files under case review
        self._approved_consignees: set = set()  # (fab, material, grade); grade "" = every grade
        self._approved_pairs: set = set()  # (supplier, fab, material) approved under case review
        self._first_files: Dict[Tuple, int] = {}  # (fab, material, grade) -> first files in flight
        self._first_file_decided: Dict[Tuple, simpy.Event] = {}

    def regime_of(self, material: str) -> str:
        return self.regime[material]

    # --- what exporters and orders ask -------------------------------------------------------
    def permits(self, lic: Licence, day: float) -> bool:
        return (lic.outcome == "approved" and math.isnan(lic.revoked_day)
                and lic.valid_from <= day < lic.valid_until)

    def expected_wait_days(self, supplier: str, fab: str, material: str) -> float:
        """What a buyer plans for before an order from `supplier` can ship: nothing if a licence in
        hand covers it (bulk, or a valid pair licence); under a case review, document preparation
        plus the full statutory review window (public knowledge, unlike the queue)."""
        conf = self._regime_conf[self.regime[material]]
        if not conf.uses_reviewers:
            return 0.0
        if conf.scope == "pair":
            held = self._current.get(("pair", supplier, fab, material))
            if held is not None and self.permits(held, self.env._now):
                return 0.0
        return conf.documents[material] * conf.document_prep_days_per_doc + conf.review_days_max

    def expired(self, lic: Licence, day: float) -> bool:
        return lic.outcome == "approved" and math.isnan(lic.revoked_day) and day >= lic.valid_until

    def obtain(self, order: Order) -> Generator[simpy.Event, object, Optional[Licence]]:
        """Process: wait until a licence covers `order` under the regime in force; return it,
        or None if the application is denied.

        Any valid licence that covers the order serves, whatever regime granted it (a stricter
        regime revokes the looser one's licences, so a licence still valid is lawful). Under the
        contract scope, orders of one supplier -> fab -> grade link that need a licence while that
        link's application is still pending join it: one contract covers the quantity the buyer
        has open with the exporter. (The fab files no new order to the link meanwhile, so only
        orders already open when a regime change revoked their licence ever join.)"""
        m = order.material
        while True:
            held = self.held_now(order)
            if held is not None:
                return held
            regime = self.regime[m]
            conf = self._regime_conf[regime]
            contract = conf.scope == "contract"
            key = self._key(conf.scope, order)
            pend = self._pending.get(key)
            if pend is None:
                slot = self._first_file_slot(conf, order)
                if slot is not None:  # the exporter is waiting on its test case
                    yield slot | self._regime_changed[m]
                    continue
                pend = self._apply(regime, conf, key, order, renewal=False)
            elif contract and order.id not in pend.order_ids:
                pend.order_ids.append(order.id)
                pend.quantity_t += order.quantity_t
            changed = self._regime_changed[m]
            yield pend.done | changed
            if pend.done.triggered:
                if pend.outcome == "denied":
                    return None
                if pend.outcome == "approved" and (not contract or order.id in pend.order_ids):
                    return pend
            # withdrawn or the regime changed: the loop re-evaluates under the regime in force

    def held_now(self, order: Order) -> Optional[Licence]:
        """A valid licence that covers `order` now, or None. An exporter or pair licence that
        covers it is renewed ahead of expiry, and one granted under an older regime gets the new
        regime's licence applied for, while it still covers the shipments."""
        held = self._held(order)
        if held is None:
            return None
        regime = self.regime[order.material]
        conf = self._regime_conf[regime]
        if conf.scope != "contract":
            key = self._key(conf.scope, order)
            if key not in self._pending:
                cur = self._current.get(key)
                if (cur is None or not self.permits(cur, self.env._now)
                        or cur.valid_until - self.env._now <= conf.renewal_lead_days):
                    self._apply(regime, conf, key, order, renewal=cur is not None)
        return held

    def _held(self, order: Order) -> Optional[Licence]:
        """A valid licence that covers `order`: its contract's, its pair's or its exporter's."""
        now = self.env._now
        for lic in (self._covering.get(order.id),
                    self._current.get(("pair", order.supplier, order.fab, order.material)),
                    self._current.get(("exporter", order.supplier, order.material))):
            if lic is not None and self.permits(lic, now):
                return lic
        return None

    def _first_file_slot(self, conf: RegimeConf, order: Order) -> Optional[simpy.Event]:
        """None if `order` may be filed now; else the event of its consignee's next decision."""
        if not conf.uses_reviewers or conf.first_files_in_flight <= 0:
            return None
        consignee = (order.fab, order.material, order.grade)
        if (self._consignee_approved(order)
                or self._first_files.get(consignee, 0) < conf.first_files_in_flight):
            return None
        if consignee not in self._first_file_decided:
            self._first_file_decided[consignee] = self.env.event()
        return self._first_file_decided[consignee]

    def _consignee_approved(self, order: Order) -> bool:
        return ((order.fab, order.material, order.grade) in self._approved_consignees
                or (order.fab, order.material, "") in self._approved_consignees)

    # --- what the timeline does --------------------------------------------------------------
    def set_regime(self, material: str, regime: str, detail: str = "") -> None:
        old = self.regime[material]
        if regime == old:
            return
        self.regime[material] = regime
        now = self.env._now
        self.rec.event(now, self.actor, "regime_changed", material=material,
                       detail=f"{old} -> {regime}{'; ' + detail if detail else ''}")
        tighter = STRICTNESS[regime] > STRICTNESS[old]
        if tighter:
            for lic in self._current.values():
                if lic.material == material and lic.regime == old and self.permits(lic, now):
                    lic.revoked_day = now
                    self.rec.event(now, self.actor, "licence_revoked", material=material,
                                   supplier=lic.supplier, fab=lic.fab, licence_id=lic.id,
                                   detail=f"{old} licence no longer covers exports under {regime}")
        # Files pending under the old regime are withdrawn when the regime tightens, or when it
        # loosens to a routine (reviewer-free) bulk licence that beats a queued case review. A
        # loosening between case-reviewed regimes keeps the files already in the queue.
        if tighter or not self._regime_conf[regime].uses_reviewers:
            for lic in list(self._pending.values()):
                if lic.material == material and lic.regime != regime and lic.outcome == "pending":
                    lic.process.interrupt("regime changed")
            fired = self._regime_changed[material]
            self._regime_changed[material] = self.env.event()
            fired.succeed()

    def grant_initial_bulk(self, supplier: str, material: str) -> None:
        """At the start of the run every exporter already holds a bulk licence, issued at a
        uniformly random time within the last validity period (so renewals are spread out)."""
        conf = self.conf.bulk
        issued = -self.rng.uniform(0.0, conf.validity_days)
        lic = Licence(id=self.rec.new_id("L"), regime=BULK, scope=conf.scope, supplier=supplier,
                      fab="", material=material, grade="", order_ids=[],
                      documents=conf.documents[material], applied_day=issued,
                      submitted_day=issued, decided_day=issued, outcome="approved",
                      valid_from=issued, valid_until=issued + conf.validity_days)
        self.rec.licences.append(lic)
        self._current[("exporter", supplier, material)] = lic
        self.env.process(self._expire(lic))

    # --- inside the authority ----------------------------------------------------------------
    @staticmethod
    def _key(scope: str, order: Order) -> Tuple:
        if scope == "exporter":
            return ("exporter", order.supplier, order.material)
        if scope == "pair":
            return ("pair", order.supplier, order.fab, order.material)
        return ("contract", order.supplier, order.fab, order.grade)

    def _apply(self, regime: str, conf: RegimeConf, key: Tuple, order: Order, renewal: bool) -> Licence:
        contract = conf.scope == "contract"
        lic = Licence(id=self.rec.new_id("L"), regime=regime, scope=conf.scope, supplier=order.supplier,
                      fab="" if conf.scope == "exporter" else order.fab, material=order.material,
                      grade=order.grade if contract else "",
                      order_ids=[order.id] if contract else [],
                      documents=conf.documents[order.material], applied_day=self.env._now,
                      quantity_t=order.quantity_t if contract else math.nan, renewal=renewal)
        lic.done = self.env.event()
        if conf.uses_reviewers:
            lic.precedent = (lic.supplier, order.fab, lic.material) in self._approved_pairs
            if not self._consignee_approved(order):
                lic.first_file = True
                consignee = (order.fab, order.material, order.grade)
                self._first_files[consignee] = self._first_files.get(consignee, 0) + 1
        self.rec.licences.append(lic)
        self._pending[key] = lic
        self.rec.event(self.env._now, self.actor, "licence_applied", material=lic.material,
                       grade=lic.grade, supplier=lic.supplier, fab=lic.fab, licence_id=lic.id,
                       order_id=order.id if contract else "", quantity_t=lic.quantity_t,
                       detail=f"{regime}{' renewal' if renewal else ''}, {lic.documents} documents")
        lic.process = self.env.process(self._review(lic, conf, key, order.grade))
        return lic

    def _review_clock(self, conf: RegimeConf, factor: float = 1.0) -> float:
        draw = (conf.review_days_median * factor
                * math.exp(conf.review_days_sigma * self.rng.standard_normal()))
        # np.clip's value (validation keeps min <= max), without its ~10 us on a scalar
        return float(min(max(draw, conf.review_days_min), conf.review_days_max))

    def _review(self, lic: Licence, conf: RegimeConf, key: Tuple, grade: str) -> Generator:
        env = self.env
        try:
            yield timeout(env, lic.documents * conf.document_prep_days_per_doc)
            lic.submitted_day = env._now
            with (self.reviewers.request() if conf.uses_reviewers else _NoReviewer()) as req:
                if req is not None:
                    yield req  # first come, first served; the officer keeps the file to decision
                yield from self._review_clock_runs(lic, conf, grade)
        except simpy.Interrupt:
            lic.outcome = "withdrawn"  # the `with` frees the officer (or the place in the queue)
        self._decide(lic, conf, key, grade)

    def _review_clock_runs(self, lic: Licence, conf: RegimeConf, grade: str) -> Generator:
        """The review clock runs; a document request stops it while the applicant answers, after
        which part of the elapsed clock restarts."""
        env, rng = self.env, self.rng
        clock = self._review_clock(conf, conf.precedent_clock_factor if lic.precedent else 1.0)
        elapsed = 0.0
        q = conf.rerequest_prob_per_document.get(lic.material, {}).get(grade, 0.0)
        if lic.precedent:
            q = min(1.0, q * conf.precedent_rerequest_factor)
        p_round = 1.0 - (1.0 - q) ** lic.documents  # some document of the file is found wanting
        while lic.rerequests < conf.max_rerequests and rng.random() < p_round:
            t = rng.uniform(0.0, clock)
            yield timeout(env, t)
            clock -= t
            elapsed += t
            lic.rerequests += 1
            self.rec.event(env._now, self.actor, "documents_rerequested", material=lic.material,
                           grade=lic.grade, supplier=lic.supplier, fab=lic.fab, licence_id=lic.id,
                           order_id=lic.order_list, detail=f"round {lic.rerequests}")
            if conf.rerequest_response_days_mean > 0:
                yield timeout(env, rng.exponential(conf.rerequest_response_days_mean))
            restart = conf.rerequest_clock_restart_fraction * elapsed
            clock += restart
            elapsed -= restart
        yield timeout(env, clock)

    def _decide(self, lic: Licence, conf: RegimeConf, key: Tuple, grade: str) -> None:
        now = self.env._now
        lic.decided_day = now
        if self._pending.get(key) is lic:
            del self._pending[key]
        if lic.outcome == "pending":
            draw = self.rng.random()  # drawn whatever the buyer's country: streams stay aligned
            denied = draw < conf.denial_prob or (
                self.buyer_countries.get(lic.fab, "") in conf.denied_countries)
            lic.outcome = "denied" if denied else "approved"
        if conf.uses_reviewers:
            self._case_decided(lic, grade)
        if lic.outcome == "approved":
            lic.valid_from = now
            lic.valid_until = now + conf.validity_days
            if lic.scope == "contract":
                for oid in lic.order_ids:
                    self._covering[oid] = lic
            else:
                self._current[key] = lic
            self.env.process(self._expire(lic))
        self.rec.event(now, self.actor, f"licence_{lic.outcome}", material=lic.material,
                       grade=lic.grade, supplier=lic.supplier, fab=lic.fab, licence_id=lic.id,
                       order_id=lic.order_list, quantity_t=lic.quantity_t,
                       detail=f"{lic.regime}, {now - lic.applied_day:.1f} days, "
                              f"{lic.rerequests} re-requests")
        lic.done.succeed()

    def _case_decided(self, lic: Licence, grade: str) -> None:
        """Record a precedent; free the consignee's test-case slot and wake its waiting orders."""
        if lic.outcome == "approved":
            self._approved_consignees.add((lic.fab, lic.material, lic.grade))
            self._approved_pairs.add((lic.supplier, lic.fab, lic.material))
        if lic.first_file:
            consignee = (lic.fab, lic.material, grade)
            self._first_files[consignee] -= 1
            waiting = self._first_file_decided.pop(consignee, None)
            if waiting is not None:
                waiting.succeed()

    def _expire(self, lic: Licence) -> Generator:
        yield timeout(self.env, max(0.0, lic.valid_until - self.env._now))
        if not math.isnan(lic.revoked_day):
            return
        if lic.scope == "contract" and lic.used_t >= lic.quantity_t - QUANTITY_TOLERANCE_T:
            return  # fulfilled before it ran out (sums of lots differ only by rounding)
        unused = lic.quantity_t - lic.used_t if lic.scope == "contract" else math.nan
        self.rec.event(self.env._now, self.actor, "licence_expired", material=lic.material,
                       grade=lic.grade, supplier=lic.supplier, fab=lic.fab, licence_id=lic.id,
                       order_id=lic.order_list, quantity_t=unused, detail=lic.regime)
