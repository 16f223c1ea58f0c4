"""Demand facts derived from the parameters alone (no simulation): what Korea consumed before the
shock, per material grade, how much of it came from Japan, and how the fabs' planned output moves
from there (their output indices). The model sizes the fabs' use from them, and the analysis
measures buffers and lost output against them, so they live below both."""
from __future__ import annotations

from typing import Dict

import numpy as np

from simulator.config.calendar import Calendar
from simulator.config.params import OutputIndexConf, Params


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


def index_levels(conf: OutputIndexConf, cal: Calendar, days: np.ndarray) -> np.ndarray:
    """`conf`'s levels on `days` (days of `cal`, any range), relative to its base period: linear
    between dated points (a year's total placed at mid-year reads as a smooth monthly path, with
    no January jump for buyers to chase) and flat outside them."""
    dated = sorted((cal.day(d), float(v)) for d, v in conf.points.items())
    at, level = np.array([d for d, _ in dated], dtype=float), np.array([v for _, v in dated])
    base = np.arange(cal.day(conf.base_from), cal.day(conf.base_to) + 1, dtype=float)
    return np.interp(days, at, level) / np.interp(base, at, level).mean()


def output_index(p: Params, f_id: str) -> np.ndarray | None:
    """The fab's planned output on each day of the run relative to the level its demand shares
    are sized on; None where it names no index (flat output)."""
    name = p.fabs[f_id].output_index
    if not name:
        return None
    cal = Calendar(p.run.start_date, p.run.end_date)
    return index_levels(p.fab.output_indices[name], cal, np.arange(cal.horizon_days, dtype=float))
