"""The scenario's dated policy events, applied at the start of their day.

- `announce_regime`: a regime change is announced for a later date; an announced tightening raises
  perceived risk (risk.py), which is what makes fabs stockpile and pull orders forward; an
  announced loosening (the 2023 summit) lowers it at once, and its entry into force then does not
  lower it again.
- `set_regime`: a material's licensing regime changes (the authority revokes or keeps licences);
  a tightening raises perceived risk, a loosening lowers it (never below its floor).
- `signal`: a dated signal (a press leak, a rumour that may never become law): perceived risk of
  the listed materials rises to at least the event's `risk`.
- `news`: the number of articles on the dispute in the fortnight from the event's date, mapped to
  perceived risk with Kim's (2024) probit.
- `whitelist`: Japan's white-list (Group A) status of Korea changes. For the three materials this
  changes nothing by itself — they were already under item-specific licensing from 2019-07-04 —
  so it is recorded for the timeline, not given an invented effect.
- `programme`: a substitution programme starts: its suppliers become active and every fab that
  uses their material begins qualifying them.
- `note`: a dated label only (e.g. the WTO complaint), for figures and the event log.
"""
from __future__ import annotations

from typing import Dict, List, Set, Tuple

from simulator.config.calendar import Calendar
from simulator.model.licensing import STRICTNESS, LicensingAuthority
from simulator.config.params import EventConf
from simulator.model.records import Recorder
from simulator.model.risk import PerceivedRisk


class Timeline:
    actor = "timeline"

    def __init__(self, events: Dict[str, EventConf], materials: List[str], cal: Calendar,
                 authority: LicensingAuthority, risk: PerceivedRisk, suppliers: List,
                 fabs: List, recorder: Recorder):
        self.cal = cal
        self.materials = materials
        self.authority = authority
        self.risk = risk
        self.suppliers = suppliers  # they start themselves when their programme starts ...
        self.fabs = fabs  # ... and each fab begins qualifying the ones it must
        self.rec = recorder
        # stable order: by date, then by the order the scenario files define them
        self.due = sorted(((cal.day(e.date), i, e_id, e) for i, (e_id, e) in enumerate(events.items())),
                          key=lambda t: (t[0], t[1]))
        self._next = 0
        self._announced: Set[Tuple[str, str]] = set()  # (material, regime) loosenings announced and priced in

    def apply_due(self, day: int) -> None:
        while self._next < len(self.due) and self.due[self._next][0] <= day:
            _, _, e_id, e = self.due[self._next]
            self._next += 1
            self._apply(day, e_id, e)

    def _apply(self, day: int, e_id: str, e: EventConf) -> None:
        materials = list(e.materials) or list(self.materials)
        label = e.label or e_id
        if e.kind == "announce_regime":
            # an announcement moves perception at once, both ways; the change itself then moves
            # it no further (it was priced in when announced)
            now = {m: STRICTNESS[self.authority.regime_of(m)] for m in materials}
            self.risk.regime_tightened([m for m in materials if STRICTNESS[e.regime] > now[m]], day)
            looser = [m for m in materials if STRICTNESS[e.regime] < now[m]]
            self.risk.regime_loosened(looser, day)
            self._announced.update({(m, e.regime) for m in looser})
            self.rec.event(day, self.actor, "regime_announced", material=",".join(materials),
                           detail=f"{label}: {e.regime} from {e.effective_date}")
        elif e.kind == "set_regime":
            for m in materials:
                old = self.authority.regime_of(m)
                if STRICTNESS[e.regime] > STRICTNESS[old]:
                    self.risk.regime_tightened([m], day)
                elif STRICTNESS[e.regime] < STRICTNESS[old] and (m, e.regime) not in self._announced:
                    self.risk.regime_loosened([m], day)
                self._announced.discard((m, e.regime))
                self.authority.set_regime(m, e.regime, detail=label)
        elif e.kind == "signal":
            assert e.risk is not None  # config/validation.py requires it of a signal
            self.risk.signal(materials, e.risk, day)
            self.rec.event(day, self.actor, "risk_signal", material=",".join(materials),
                           detail=f"{label}: risk at least {e.risk:g}")
        elif e.kind == "news":
            assert e.articles is not None  # config/validation.py requires it of a news event
            self.risk.news(materials, e.articles, day)
        elif e.kind == "whitelist":
            self.rec.event(day, self.actor, f"whitelist_{e.status}", detail=f"{label} ({e.country})")
        elif e.kind == "programme":
            self.rec.event(day, self.actor, "programme_started", detail=f"{label} ({e.programme})")
            for s in self.suppliers:
                if s.start_programme(e.programme):
                    for fab in self.fabs:
                        fab.supplier_started(s)
        else:
            self.rec.event(day, self.actor, "note", detail=label)
