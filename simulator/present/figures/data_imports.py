"""Data preparation for the import figures, from `imports_monthly.csv` (pure functions)."""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from .data import _month_start
from .style import BAND


def _imports_wide(imports: pd.DataFrame) -> pd.DataFrame:
    """Tonnes per (material, month, replication) x origin, zero where a table row is missing."""
    if imports.empty:
        return pd.DataFrame()
    w = imports.pivot_table(index=["material", "month", "replication"], columns="origin",
                            values="quantity_t", aggfunc="sum", fill_value=0.0)
    # a month without imports from anywhere has no rows at all: fill the full grid with zeros so
    # that means and medians are over every replication
    full = pd.MultiIndex.from_product(
        [sorted(imports["material"].unique()), sorted(imports["month"].unique()),
         sorted(imports["replication"].unique())], names=["material", "month", "replication"])
    return w.reindex(full, fill_value=0.0)


def imports_by_origin(imports: pd.DataFrame, stat: str = "mean") -> pd.DataFrame:
    """Monthly imports per material and origin (grades summed), `stat` across replications.

    Missing table rows count as zero tonnes. The mean (default) keeps the stack consistent: the
    stacked total is the mean total. Origins that never supply a material are dropped.
    Returns columns material, month (first day of the month), origin, quantity_t.
    """
    cols = ["material", "month", "origin", "quantity_t"]
    w = _imports_wide(imports)
    if w.empty:
        return pd.DataFrame(columns=cols)
    agg = w.groupby(level=["material", "month"]).agg(stat)
    out = agg.stack().rename("quantity_t").reset_index()
    used = w.groupby(level="material").sum().stack()
    used = set(used[used > 0].index)
    out = out[[(m, o) in used for m, o in zip(out["material"], out["origin"])]]
    out["month"] = _month_start(out["month"])
    return out[cols].sort_values(["material", "month", "origin"]).reset_index(drop=True)


def licensed_share(imports: pd.DataFrame, origin: str, band: Sequence[float] = BAND) -> pd.DataFrame:
    """`origin`'s (the licensing country's) share (%) of each replication's monthly imports per
    material, median and band.

    Months with no imports at all have no share and are left out of the quantiles.
    Returns columns material, month, median, low, high.
    """
    cols = ["material", "month", "median", "low", "high"]
    w = _imports_wide(imports)
    if w.empty:
        return pd.DataFrame(columns=cols)
    total = w.sum(axis=1)
    licensed = w[origin] if origin in w else pd.Series(0.0, index=w.index)
    share = (100.0 * licensed / total.where(total > 0)).rename("share")
    g = share.groupby(level=["material", "month"])
    out = pd.DataFrame({"median": g.median(), "low": g.quantile(band[0]),
                        "high": g.quantile(band[1])}).reset_index()
    out["month"] = _month_start(out["month"])
    return out[cols]


def licensed_imports(imports: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Monthly imports from `origin` (the licensing country) per material (grades summed), mean
    across replications, in tonnes; missing rows (and a run without any) count as zero.

    Returns columns material, month (first day of the month), quantity_t."""
    cols = ["material", "month", "quantity_t"]
    w = _imports_wide(imports)
    if w.empty:
        return pd.DataFrame(columns=cols)
    licensed = w[origin] if origin in w else pd.Series(0.0, index=w.index)
    out = licensed.groupby(level=["material", "month"]).mean().rename("quantity_t").reset_index()
    out["month"] = _month_start(out["month"])
    return out[cols].sort_values(["material", "month"]).reset_index(drop=True)
