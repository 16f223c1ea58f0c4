"""Perceived risk: the probability, as Korean buyers see it, that Japanese supply of a material
will be refused or held up.

Why it exists. Kim (2024) explains Korea's 2019 imports with a buyer-perceived refusal probability
that rose with the news and never returned to zero; the fabs' stockpiling (Samsung sought 6-10
months of EUV resist) and their turn to other sources answer to that perception, not to the legal
regime alone. A rumour that never becomes law moves it too. So perception is a state of its own,
moved by dated signals and read by the buyers:

- `signal` events (a press leak, a rumour): risk rises to at least the event's level;
- `news` events (articles on the dispute in a fortnight): risk rises to at least Kim's mapping
  Phi(alpha0 + alpha1 log(articles + 1)) (his probit; a prior to test, not a truth);
- a stricter regime announced or put in force: risk rises to at least `on_tightening`;
- a looser regime in force (the lift): the gap to the floor shrinks by `lift_factor`;
- without news the gap to the floor halves every `half_life_days` (risk is remembered, slowly
  forgotten); the floor applies once a dispute has begun (Kim's floor: Phi(alpha0)), so a lift
  never brings risk back to its calm prior.

One perception per material, shared by every buyer: the fabs read the same news and the same
regime. Levels are computed lazily from the last jump, so the actor costs nothing between events.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, Set

from scipy.special import ndtr  # type: ignore[import-untyped]

from simulator.config.params import RiskConf

LN2 = math.log(2.0)


def news_to_risk(articles: float, alpha0: float, alpha1: float) -> float:
    """Kim (2024, App. B): perceived per-fortnight refusal probability from news intensity."""
    return float(ndtr(alpha0 + alpha1 * math.log(max(articles, 0.0) + 1.0)))


class PerceivedRisk:
    actor = "perceived_risk"

    def __init__(self, conf: RiskConf, materials: Iterable[str]):
        self.conf = conf
        self._rate = LN2 / conf.half_life_days if conf.half_life_days > 0 else math.inf
        # material -> (level at the last jump, day of the last jump); decays from there
        self._at: Dict[str, tuple] = {m: (conf.prior, 0.0) for m in materials}
        self._disputed: Set[str] = set()
        self._raised_on: Dict[str, float] = {}  # material -> last day its risk jumped up

    # --- what buyers read --------------------------------------------------------------------
    def level(self, material: str, day: float) -> float:
        value, since = self._at[material]
        base = self._base(material)
        if value <= base:
            return base
        if self._rate == math.inf:  # no memory: a jump lasts its own day
            return value if day <= since else base
        return base + (value - base) * math.exp(-self._rate * (day - since))

    def raised_on(self, material: str, day: float) -> bool:
        """Did the risk of `material` jump up on `day` (a reason to review orders at once)?"""
        return self._raised_on.get(material) == day

    # --- what moves it -----------------------------------------------------------------------
    def signal(self, materials: Iterable[str], risk: float, day: float) -> None:
        for m in materials:
            self._disputed.add(m)
            if risk > self.level(m, day):
                self._at[m] = (risk, day)
                self._raised_on[m] = day

    def news(self, materials: Iterable[str], articles: float, day: float) -> None:
        c = self.conf
        self.signal(materials, news_to_risk(articles, c.news_alpha0, c.news_alpha1), day)

    def regime_tightened(self, materials: Iterable[str], day: float) -> None:
        self.signal(materials, self.conf.on_tightening, day)

    def regime_loosened(self, materials: Iterable[str], day: float) -> None:
        for m in materials:
            base = self._base(m)
            now = self.level(m, day)
            self._at[m] = (base + (now - base) * self.conf.lift_factor, day)

    def _base(self, material: str) -> float:
        return self.conf.floor if material in self._disputed else self.conf.prior
