"""Demand facts derived from the parameters alone (no simulation): what Korea consumed before the
shock, per material grade, and how much of it came from Japan. The model sizes the fabs' use from
them, and the analysis measures buffers against them, so they live below both."""
from __future__ import annotations

from typing import Dict

from simulator.config.params import Params


def national_demand_t_per_month(p: Params) -> Dict[tuple, float]:
    """(material, grade) -> tonnes per month Korea consumed before the shock."""
    demand = {item: 0.0 for item in p.items()}
    for s in p.suppliers.values():
        flow = p.materials[s.material].modelled_t_per_month(s.origin) * s.share_of_origin
        for g, mix in s.grade_mix.items():
            demand[(s.material, g)] += flow * mix
    return demand


def licensed_pre_shock_share(p: Params) -> Dict[str, float]:
    """The licensing country's pre-shock share of national supply per item (`material.grade`)."""
    total = national_demand_t_per_month(p)
    jp = {item: 0.0 for item in total}
    for s in p.suppliers.values():
        if s.origin != p.world.licensing_country:
            continue
        flow = p.materials[s.material].modelled_t_per_month(s.origin) * s.share_of_origin
        for g, mix in s.grade_mix.items():
            jp[(s.material, g)] += flow * mix
    return {f"{m}.{g}": (jp[(m, g)] / t if t > 0 else 0.0) for (m, g), t in total.items()}
