"""Data preparation for the licence figure, from `licences.csv` (pure functions)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import pandas as pd

from .data import _as_bool, _grade, _item
from .style import REGIME_NAMES, material_name
from simulator.store.run_info import as_run_info

REGIME_RANK = {"bulk": 0, "individual": 1, "special_bulk": 2}


def _dates(s: pd.Series) -> pd.Series:
    """ISO dates; empty and out-of-range ones (licences from long before the run) become NaT."""
    return pd.to_datetime(s, errors="coerce", format="ISO8601")


def _regime_row(regime: str, renewal: bool, has_both: bool) -> str:
    name = REGIME_NAMES.get(regime, str(regime))
    if regime == "bulk":
        return f"{name} renewal" if renewal else name
    if has_both:  # special bulk: first grants and 2023 renewals behave differently, keep apart
        return f"{name} ({'renewal' if renewal else 'first'})"
    return name


def _row_order(material: str, regime: str, grade: str, renewal, grades) -> tuple:
    mats = list(grades or {})
    mi = mats.index(material) if material in mats else len(mats)
    gl = list((grades or {}).get(material, []))
    gi = -1 if not grade else (gl.index(grade) if grade in gl else len(gl))
    # ties (materials/grades unknown to run_info) fall back to the names themselves
    return (mi, material, REGIME_RANK.get(regime, 9), gi, grade, int(bool(renewal)))


def _group_label(group: str, info: Optional[dict] = None) -> str:
    """`material` or `material.grade` as a reader reads it: the run's name for the material,
    and the grade where the material has several."""
    material, _, grade = group.partition(".")
    short = material_name(info, material)
    grades = as_run_info(info).grades(material)
    if not grade:
        return f"{short} (all grades)" if len(grades) > 1 else short
    return short if len(grades) <= 1 else f"{short} {grade}"


def _row_label(group: str, regime: str, renewal: bool, has_both: bool,
               info: Optional[dict] = None) -> str:
    return f"{_group_label(group, info)} · {_regime_row(regime, renewal, has_both)}"


def review_times(licences: pd.DataFrame,
                 grades: Optional[Dict[str, Sequence[str]]] = None,
                 info: Optional[dict] = None) -> pd.DataFrame:
    """Review times of approved licence applications made during the run, one row each.

    Excludes licences granted before the run started (`pre_start`), undecided (pending) and
    not-approved (denied, withdrawn) applications. Licences without a grade (exporter-wide bulk,
    company-pair special bulk) are grouped by material. `grades` (material -> grades, in
    run_info order) sets the plot order. Returns columns replication, licence_id, material,
    grade, group (item or material), regime, renewal, review_days, row (plot row label) and
    row_order (material, regime: bulk < individual < special bulk, grade, renewal).
    """
    cols = ["replication", "licence_id", "material", "grade", "group", "regime", "renewal",
            "review_days", "row", "row_order"]
    if licences.empty:
        return pd.DataFrame(columns=cols)
    L = licences.copy()
    L["pre_start"] = _as_bool(L["pre_start"])
    L["renewal"] = _as_bool(L["renewal"]) if "renewal" in L else False
    L["grade"] = _grade(L["grade"])
    L["review_days"] = pd.to_numeric(L["review_days"], errors="coerce")
    keep = (~L["pre_start"]) & (L["outcome"].astype(str) == "approved") & L["review_days"].notna()
    L = L.loc[keep].copy()
    L["group"] = _item(L["material"], L["grade"])
    both = L.groupby(["group", "regime"])["renewal"].agg(lambda r: r.any() and not r.all())
    # a label and a rank per kind of licence, not per licence (a big run has ~500k of them)
    key = ["group", "regime", "renewal", "material", "grade"]
    kinds = L[key].drop_duplicates()
    kinds["row"] = [_row_label(g, reg, ren, bool(both.get((g, reg), False)), info)
                    for g, reg, ren in zip(kinds["group"], kinds["regime"], kinds["renewal"])]
    kinds["row_order"] = [_row_order(m, reg, g, ren, grades)
                          for m, reg, g, ren in zip(kinds["material"], kinds["regime"],
                                                    kinds["grade"], kinds["renewal"])]
    L = L.merge(kinds, on=key, how="left", sort=False, validate="many_to_one")
    L = L.sort_values(["row_order", "replication", "licence_id"], kind="stable")
    return L[cols].reset_index(drop=True)


def first_approval_lags(licences: pd.DataFrame, shock_date: str,
                        grades: Optional[Dict[str, Sequence[str]]] = None) -> pd.DataFrame:
    """Days from `shock_date` to each replication's first approved non-bulk licence per item.

    Comparable with the observed 2019 first-approval lags. Licences without a grade (company-pair
    special bulk) count for every grade of their material (`grades`: material -> grades).
    Returns columns replication, item, lag_days; replications without any approval are absent.
    """
    cols = ["replication", "item", "lag_days"]
    if licences.empty:
        return pd.DataFrame(columns=cols)
    L = licences.copy()
    L["grade"] = _grade(L["grade"])
    decided = _dates(L["decided_date"])
    shock = pd.Timestamp(shock_date)
    keep = ((~_as_bool(L["pre_start"])) & (L["outcome"].astype(str) == "approved")
            & (L["regime"].astype(str) != "bulk") & (decided >= shock))
    L = L.loc[keep].assign(lag_days=(decided[keep] - shock).dt.days.astype(float))
    rows = []
    for rec in L[["replication", "material", "grade", "lag_days"]].itertuples(index=False):
        gs = [rec.grade] if rec.grade else list((grades or {}).get(rec.material, [])) or [""]
        for g in gs:
            rows.append((rec.replication, f"{rec.material}.{g}" if g else rec.material,
                         rec.lag_days))
    out = pd.DataFrame(rows, columns=cols)
    return (out.groupby(["replication", "item"], as_index=False)["lag_days"].min()
            [cols].sort_values(["item", "replication"]).reset_index(drop=True))


def licence_activity(licences: pd.DataFrame, replications: Optional[int] = None,
                     start: Optional[str] = None, end: Optional[str] = None) -> pd.DataFrame:
    """Licence applications and approvals per month, material and regime, mean per replication.

    Applications are counted in the month of `applied_date`, approvals (outcome approved) in the
    month of `decided_date`; licences granted before the run (`pre_start`) are not counted.
    Means are over `replications` runs (default: the replications in the table), months without
    any count are zeros; the month grid runs from `start` to `end` (default: the data's span).
    Returns columns material, regime, month (first day), applications, approvals.
    """
    cols = ["material", "regime", "month", "applications", "approvals"]
    if licences.empty:
        return pd.DataFrame(columns=cols)
    L = licences.loc[~_as_bool(licences["pre_start"])]
    n_rep = int(replications or licences["replication"].nunique() or 1)
    applied = _dates(L["applied_date"]).dt.to_period("M")
    decided = _dates(L["decided_date"]).dt.to_period("M")
    approved = L["outcome"].astype(str) == "approved"
    key = [L["material"].astype(str), L["regime"].astype(str)]
    apps = L.groupby(key + [applied.rename("month")]).size()
    apprs = L[approved].groupby([k[approved] for k in key] + [decided[approved].rename("month")]
                                ).size()
    months = [m for m in list(apps.index.get_level_values(-1)) + list(
        apprs.index.get_level_values(-1)) if pd.notna(m)]
    if not months:
        return pd.DataFrame(columns=cols)
    first = pd.Period(start, "M") if start else min(months)
    last = pd.Period(end, "M") if end else max(months)
    pairs = sorted(set(zip(L["material"].astype(str), L["regime"].astype(str))))
    grid = pd.MultiIndex.from_tuples(
        [(m, r, p) for m, r in pairs for p in pd.period_range(first, last, freq="M")],
        names=["material", "regime", "month"])
    apps.index.names = apprs.index.names = ["material", "regime", "month"]
    out = pd.DataFrame({"applications": apps.reindex(grid, fill_value=0) / n_rep,
                        "approvals": apprs.reindex(grid, fill_value=0) / n_rep}).reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out[cols].astype({"applications": float, "approvals": float})


def licence_totals(activity: pd.DataFrame) -> pd.DataFrame:
    """Applications and approvals per replication over the whole grid, per material and regime."""
    if activity.empty:
        return pd.DataFrame(columns=["material", "regime", "applications", "approvals"])
    return activity.groupby(["material", "regime"], as_index=False)[
        ["applications", "approvals"]].sum()

