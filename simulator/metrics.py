"""Disruption metrics: pure functions from a run's tables to KPIs, per replication and summarised.

Every KPI is first computed per replication (a long table: replication, kpi, fab, item, value),
then summarised across replications as mean and 95 % t-interval. `item` is `material.grade`
(e.g. `hf.liquid`); `fab` is a fab id or `all`. Definitions (README "Metrics") are written next to
each function. Days are counted from `metrics.shock_date` in every scenario, so scenarios compare
on the same calendar.
"""
from __future__ import annotations

import math
from typing import Dict

import numpy as np
import pandas as pd
from scipy import stats

from .calendar import Calendar
from .params import JAPAN, Params
from .world import national_demand_t_per_month

ALL = "all"


def _item(df: pd.DataFrame) -> pd.Series:
    return df["material"] + "." + df["grade"]


def japan_share(p: Params) -> Dict[str, float]:
    """Japan's pre-shock share of national supply per item (from the import levels)."""
    total = national_demand_t_per_month(p)
    jp = {item: 0.0 for item in total}
    for s in p.suppliers.values():
        if s.origin != JAPAN:
            continue
        flow = p.materials[s.material].pre_shock_imports_t_per_month.get(JAPAN, 0.0) * s.share_of_origin
        for g, mix in s.grade_mix.items():
            jp[(s.material, g)] += flow * mix
    return {f"{m}.{g}": (jp[(m, g)] / t if t > 0 else 0.0) for (m, g), t in total.items()}


def fab_item_kpis(p: Params, daily: pd.DataFrame, shipments: pd.DataFrame) -> pd.DataFrame:
    """Per replication x fab x item, from the shock date on:
    - stockout_days: days with any shortfall;
    - lost_production_pct: mean over days of (100 - production_pct), the share of the fab's
      planned output lost for want of this item;
    - tts_days: first shortfall day minus the shock day (NaN if none within the horizon);
    - tts_buffer_days: stock at the shock / (planned daily use x Japan's pre-shock share): how long
      the buffer lasts if Japan delivers nothing and every other source keeps its pre-shock flow;
    - ttr_days: days from the shock until deliveries restore >= threshold x planned use over a
      sustained window, counted from the first window that fell short (0 if none did);
    - fill_rate_pct: consumption / need (need = demand, less ration savings), post-shock."""
    cal = Calendar(p.run.start_date, p.run.end_date)
    shock = cal.day(p.metrics.shock_date)
    d = daily.assign(item=_item(daily))
    post = d[d["day"] >= shock]
    keys = ["replication", "fab", "item"]
    g = post.groupby(keys, sort=True)
    out = pd.DataFrame({
        "stockout_days": g["shortfall_t"].apply(lambda x: float((x > 1e-9).sum())),
        "lost_production_pct": g["production_pct"].apply(lambda x: float((100.0 - x).mean())),
        "fill_rate_pct": g.apply(lambda x: 100.0 * x["consumption_t"].sum()
                                 / max(x["consumption_t"].sum() + x["shortfall_t"].sum(), 1e-12),
                                 include_groups=False),
    })
    short = post[post["shortfall_t"] > 1e-9].groupby(keys)["day"].min() - shock
    out["tts_days"] = short.reindex(out.index).astype(float)
    at_shock = d[d["day"] == max(shock - 1, 0)].set_index(keys)
    jp = japan_share(p)
    share = at_shock.index.get_level_values("item").map(lambda i: jp.get(i, 0.0)).to_numpy()
    drain = at_shock["demand_t"].to_numpy() * share
    with np.errstate(divide="ignore", invalid="ignore"):
        buffer = np.where(drain > 0, at_shock["inventory_t"].to_numpy() / drain, np.nan)
    out["tts_buffer_days"] = pd.Series(buffer, index=at_shock.index).reindex(out.index)
    out["ttr_days"] = _ttr(p, d, shipments, shock, cal.horizon_days).reindex(out.index)
    long = out.reset_index().melt(id_vars=keys, var_name="kpi", value_name="value")
    return long


def _ttr(p: Params, d: pd.DataFrame, shipments: pd.DataFrame, shock: int, horizon: int) -> pd.Series:
    window = p.metrics.recovery_sustain_days
    threshold = p.metrics.recovery_fill_threshold
    arrived = shipments[shipments["arrived_day"].notna()]
    arrived = arrived.assign(item=_item(arrived), day=np.floor(arrived["arrived_day"]).astype(int))
    per_day = arrived.groupby(["replication", "fab", "item", "day"])["quantity_t"].sum()
    use = d.groupby(["replication", "fab", "item"])["demand_t"].first()
    result = {}
    days = np.arange(horizon)
    for key, demand in use.items():
        try:
            series = per_day.loc[key]
        except KeyError:
            series = pd.Series(dtype=float)
        flow = np.zeros(horizon)
        idx = series.index.to_numpy()
        ok = (idx >= 0) & (idx < horizon)
        flow[idx[ok]] = series.to_numpy()[ok]
        # forward-looking window sums: deliveries in [t, t + window)
        csum = np.concatenate([[0.0], np.cumsum(flow)])
        end = np.minimum(days + window, horizon)
        sums = csum[end] - csum[days]
        full = days + window <= horizon
        good = (sums >= threshold * demand * window) & full
        after = days >= shock
        bad_idx = np.flatnonzero(after & full & ~good)
        if bad_idx.size == 0:
            result[key] = 0.0
            continue
        rec = np.flatnonzero(after & good & (days > bad_idx[0]))
        result[key] = float(rec[0] - shock) if rec.size else math.nan
    return pd.Series(result, dtype=float).rename_axis(["replication", "fab", "item"])


def fab_kpis(p: Params, daily: pd.DataFrame) -> pd.DataFrame:
    """Per replication x fab: lost_production_pct from fab_production_pct (all inputs together),
    and resilience_loss_pct_days = sum over days of lost output % (area between plan and actual)."""
    cal = Calendar(p.run.start_date, p.run.end_date)
    shock = cal.day(p.metrics.shock_date)
    one = daily[daily["day"] >= shock].drop_duplicates(["replication", "fab", "day"])
    g = one.groupby(["replication", "fab"])["fab_production_pct"]
    out = pd.DataFrame({"lost_production_pct": g.apply(lambda x: float((100 - x).mean())),
                        "resilience_loss_pct_days": g.apply(lambda x: float((100 - x).sum()))})
    out = out.reset_index().assign(item=ALL)
    return out.melt(id_vars=["replication", "fab", "item"], var_name="kpi", value_name="value")


def licensing_kpis(p: Params, licences: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per replication x item (and `all`), every application made during the run:
    applications, approvals, denials, withdrawn, expiries (licence_expired events), rerequests,
    documents_filed (documents + re-requested rounds), lapsed_t (contract quantity unshipped at
    expiry), review_days_mean / _p50 / _p90 of approved applications (all regimes but the routine
    bulk renewals are reported separately as review_days_*_bulk)."""
    lic = licences[~licences["pre_start"]].copy()
    # exporter-wide and pair licences have no grade: report them under the material
    lic["item"] = np.where(lic["grade"] != "", lic["material"] + "." + lic["grade"], lic["material"])
    exp = events[events["event"] == "licence_expired"]
    exp = exp.assign(item=np.where(exp["grade"] != "", exp["material"] + "." + exp["grade"],
                                   exp["material"]))
    rows = []
    reps = sorted(set(licences["replication"]) | set(events["replication"]))
    for scope_item, sel_lic, sel_exp in _by_item(lic, exp):
        for r in reps:
            a = sel_lic[sel_lic["replication"] == r]
            appr = a[a["outcome"] == "approved"]
            case = appr[appr["regime"] != "bulk"]["review_days"]
            bulk = appr[appr["regime"] == "bulk"]["review_days"]
            values = {
                "applications": len(a), "approvals": len(appr),
                "denials": int((a["outcome"] == "denied").sum()),
                "withdrawn": int((a["outcome"] == "withdrawn").sum()),
                "expiries": int((sel_exp["replication"] == r).sum()),
                "rerequests": int(a["rerequests"].sum()),
                "documents_filed": int(a["documents"].sum() + a["rerequests"].sum()),
                "lapsed_t": float(a["lapsed_t"].sum()),
                "review_days_mean": _stat(case, "mean"), "review_days_p50": _stat(case, 0.5),
                "review_days_p90": _stat(case, 0.9), "review_days_mean_bulk": _stat(bulk, "mean"),
            }
            rows += [(r, ALL, scope_item, k, float(v)) for k, v in values.items()]
    return pd.DataFrame(rows, columns=["replication", "fab", "item", "kpi", "value"])


def _by_item(lic, exp):
    yield ALL, lic, exp
    for item in sorted(set(lic["item"]) | set(exp["item"])):
        yield item, lic[lic["item"] == item], exp[exp["item"] == item]


def _stat(x: pd.Series, how) -> float:
    if x.empty:
        return math.nan
    return float(x.mean()) if how == "mean" else float(x.quantile(how))


def trade_kpis(p: Params, imports: pd.DataFrame) -> pd.DataFrame:
    """Per replication x material: imports from Japan in each window (monthly mean) relative to
    the pre-shock window's monthly mean (`imports_jp_rel_<window>`, 1 = unchanged), and Japan's
    share of imports by quantity in each window (`japan_share_pct_<window>`)."""
    w = p.metrics.windows
    rows = []
    imp = imports.assign(start=imports["month"] + "-01")
    for mat in sorted(imports["material"].unique()):
        m = imp[imp["material"] == mat]
        for r, mr in m.groupby("replication"):
            monthly = mr.groupby(["month", "origin"])["quantity_t"].sum().unstack(fill_value=0.0)
            months = monthly.index.to_numpy()
            jp = monthly[JAPAN] if JAPAN in monthly else pd.Series(0.0, index=monthly.index)
            tot = monthly.sum(axis=1)

            def window(name):
                sel = (months >= w[name].start[:7]) & (months <= w[name].end[:7])
                return jp[sel].mean(), tot[sel].sum(), jp[sel].sum()

            pre = window("pre")[0] if "pre" in w else math.nan
            for name in w:
                mean_jp, tot_sum, jp_sum = window(name)
                if name != "pre":
                    rows.append((r, ALL, mat, f"imports_jp_rel_{name}",
                                 mean_jp / pre if pre and pre > 0 else math.nan))
                rows.append((r, ALL, mat, f"japan_share_pct_{name}",
                             100.0 * jp_sum / tot_sum if tot_sum > 0 else math.nan))
    return pd.DataFrame(rows, columns=["replication", "fab", "item", "kpi", "value"])


def replication_kpis(p: Params, tables: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every KPI of every replication, long: replication, kpi, fab, item, value."""
    parts = [
        fab_item_kpis(p, tables["daily"], tables["shipments"]),
        fab_kpis(p, tables["daily"]),
        licensing_kpis(p, tables["licences"], tables["events"]),
        trade_kpis(p, tables["imports_monthly"]),
    ]
    long = pd.concat(parts, ignore_index=True)[["replication", "kpi", "fab", "item", "value"]]
    return long.sort_values(["kpi", "fab", "item", "replication"], kind="stable").reset_index(drop=True)


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per replication, one column per KPI: `kpi[fab|item]`."""
    col = long["kpi"] + "[" + long["fab"] + "|" + long["item"] + "]"
    return long.assign(column=col).pivot(index="replication", columns="column", values="value") \
        .reset_index().rename_axis(columns=None)


def summarise(long: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95 % t-interval and count (non-missing replications) per KPI x fab x item. Every KPI
    here is non-negative, so the interval's lower end is clipped at 0 (a t-interval on a few
    non-zero counts would otherwise dip below)."""
    def ci(x: pd.Series):
        x = x.dropna()
        n = len(x)
        mean = float(x.mean()) if n else math.nan
        if n > 1:
            half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
        else:
            half = math.nan
        low = max(mean - half, 0.0) if not math.isnan(half) else math.nan
        return pd.Series({"mean": mean, "ci95_low": low, "ci95_high": mean + half, "n": n})
    return long.groupby(["kpi", "fab", "item"], sort=True)["value"].apply(ci).unstack().reset_index()
