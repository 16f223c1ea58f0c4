"""Trade KPIs of one replication: imports from the licensing country against its pre-shock
level and as a share of all imports, and the share of deliveries the home country's producers
supply (substitution), per material and window of `metrics.windows`. Split from
simulator/analysis/metrics.py, which assembles them with the fab and licensing KPIs."""
from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np
import pandas as pd

from simulator.config.calendar import Calendar
from simulator.config.kpis import ALL, Row
from simulator.config.params import Params
from simulator.config.world import DOMESTIC_SHARE_STEM, licensed_rel_stem, licensed_share_stem
from simulator.experiment.kpi_inputs import Arrivals


def _deliveries(a: Arrivals, cal: Calendar, materials: List[str], n_months: int,
                home: str) -> Tuple[np.ndarray, np.ndarray]:
    """Tonnes delivered by material x month of the run: in all, and by the home country's
    producers. Every material in one pass over the ~20k lots, asking each link (not each lot)
    its material and origin; a month's bin adds its lots in their order, as a pass per material
    would."""
    ok = a.day >= 0
    month = cal.months(a.day[ok])
    link, qty = a.link[ok], a.quantity_t[ok]
    code = {m: k for k, m in enumerate(materials)}
    lot = np.array([code.get(m, -1) for m in a.links.material], dtype=np.int64)[link]
    key, known = lot * n_months + month, (lot >= 0) & (month < n_months)  # (windows end in the run)
    at_home = (a.links.origin == home)[link]

    def by_material(keep: np.ndarray) -> np.ndarray:
        return np.bincount(key[keep], weights=qty[keep],
                           minlength=len(materials) * n_months).reshape(len(materials), n_months)

    return by_material(known), by_material(known & at_home)


def trade_kpis(p: Params, r: int, imports: pd.DataFrame, arrivals: Arrivals) -> List[Row]:
    """Per material (fab = `all`), for each window of `metrics.windows`:
    - imports_jp_rel_<window>: mean monthly imports from Japan in the window / the same in `pre`
      (1 = unchanged; not reported for `pre` itself);
    - japan_share_pct_<window>: imports from Japan / imports from all origins, by quantity;
    - domestic_share_pct_<window>: deliveries from Korean producers / all deliveries (imports +
      domestic), by quantity: the share of supply substitution has taken.
    (The stems are named after the world's licensing country: config/world.py.)"""
    w = p.metrics.windows
    cal = Calendar(p.run.start_date, p.run.end_date)
    first = np.datetime64(cal.start, "M")
    n_months = int((np.datetime64(cal.end, "M") - first).astype(int)) + 1

    def month_index(months) -> np.ndarray:  # months since the run's first month
        return (np.asarray(months, dtype="datetime64[M]") - first).astype(int)

    # each window as a slice of month indices, clipped to the run (an empty slice: NaN)
    spans = {name: slice(max(int(month_index([win.start[:7]])[0]), 0),
                         min(int(month_index([win.end[:7]])[0]), n_months - 1) + 1)
             for name, win in w.items()}
    i_month = month_index(imports["month"].to_numpy())
    i_mat, i_qty = imports["material"].to_numpy(), imports["quantity_t"].to_numpy()
    i_lic = imports["origin"].to_numpy() == p.world.licensing_country

    def monthly(months, qty, keep) -> np.ndarray:
        return np.bincount(months[keep], weights=qty[keep], minlength=n_months)

    materials = sorted(set(i_mat))
    delivered, delivered_home = _deliveries(arrivals, cal, materials, n_months, p.world.home_country)
    rel, share = licensed_rel_stem(p.world), licensed_share_stem(p.world)
    rows: List[Row] = []
    for k, mat in enumerate(materials):
        mi = i_mat == mat
        lic, tot = monthly(i_month, i_qty, mi & i_lic), monthly(i_month, i_qty, mi)
        all_in, dom_in = delivered[k], delivered_home[k]

        def window(name):
            span = spans[name]
            mean_lic = float(lic[span].mean()) if span.stop > span.start else math.nan
            return mean_lic, tot[span].sum(), lic[span].sum(), dom_in[span].sum(), all_in[span].sum()

        pre = window("pre")[0] if "pre" in w else math.nan
        for name in w:
            mean_lic, tot_sum, lic_sum, dom_sum, all_sum = window(name)
            if name != "pre":
                rows.append((r, ALL, mat, f"{rel}_{name}",
                             mean_lic / pre if pre and pre > 0 else math.nan))
            rows.append((r, ALL, mat, f"{share}_{name}",
                         100.0 * lic_sum / tot_sum if tot_sum > 0 else math.nan))
            rows.append((r, ALL, mat, f"{DOMESTIC_SHARE_STEM}_{name}",
                         100.0 * dom_sum / all_sum if all_sum > 0 else math.nan))
    return rows
