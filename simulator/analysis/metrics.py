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

from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.params import Params
from simulator.config.demand import licensed_pre_shock_share
from simulator.config.world import DOMESTIC_SHARE_STEM, licensed_rel_stem, licensed_share_stem

from simulator.config.kpis import ALL


def _item(df: pd.DataFrame) -> pd.Series:
    if "item" in df:  # computed once per table by replication_kpis
        return df["item"]
    return df["material"] + "." + df["grade"]


KEYS = ["replication", "fab", "item"]


def _melt(wide_df: pd.DataFrame) -> pd.DataFrame:
    return wide_df.reset_index().melt(id_vars=KEYS, var_name="kpi", value_name="value")


def _planned_output_per_day(p: Params) -> Dict[str, float]:
    return {f: fab.planned_output_per_month / DAYS_PER_MONTH for f, fab in p.fabs.items()}


def fab_item_table(p: Params, daily: pd.DataFrame, shipments: pd.DataFrame) -> pd.DataFrame:
    """Per replication x fab x item (wide), from the shock date on:
    - stockout_days: days with any shortfall;
    - lost_production_pct: mean over days of (100 - production_pct), the share of the fab's
      planned output lost for want of this item;
    - lost_output_units: the same loss in the fab's output unit (planned output x lost share);
    - fill_rate_pct: consumption / need (need = demand, less ration savings);
    - tts_days: first shortfall day minus the shock day (NaN if none within the horizon);
    - tts_buffer_days: stock on the eve of the shock / (planned daily use x Japan's pre-shock share):
      how long the buffer lasts if Japan delivers nothing and every other source keeps its flow;
    - ttr_days: days from the shock until deliveries restore >= threshold x planned use over a
      sustained window, counted from the first window that fell short (0 if none did; NaN if
      never within the horizon);
    - ttr_minus_tts_days: ttr_days - tts_days where both are defined (> 0: ran out before
      supply recovered);
    - tts_before_ttr: 1 if the fab ran short before supply recovered (or it never recovered), 0
      if it never ran short or recovered first; its mean is the share of replications."""
    cal = Calendar(p.run.start_date, p.run.end_date)
    shock = cal.day(p.metrics.shock_date)
    d = daily.assign(item=_item(daily))
    post = d[d["day"] >= shock]
    by = [post[k] for k in KEYS]
    g = post.groupby(KEYS, sort=True)
    lost_pct = 100.0 - post["production_pct"]
    consumed, short_t = g["consumption_t"].sum(), g["shortfall_t"].sum()
    out = pd.DataFrame({
        "stockout_days": (post["shortfall_t"] > 1e-9).groupby(by).sum().astype(float),
        "lost_production_pct": lost_pct.groupby(by).mean(),
        "lost_output_units": (lost_pct / 100.0).groupby(by).sum()
        * g["fab"].first().map(_planned_output_per_day(p)),
        "fill_rate_pct": 100.0 * consumed / (consumed + short_t).clip(lower=1e-12),
    })
    short = post[post["shortfall_t"] > 1e-9].groupby(KEYS)["day"].min() - shock
    out["tts_days"] = short.reindex(out.index).astype(float)
    at_shock = d[d["day"] == max(shock - 1, 0)].set_index(KEYS)
    licensed = licensed_pre_shock_share(p)
    share = at_shock.index.get_level_values("item").map(lambda i: licensed.get(i, 0.0)).to_numpy()
    drain = at_shock["demand_t"].to_numpy() * share
    with np.errstate(divide="ignore", invalid="ignore"):
        buffer = np.where(drain > 0, at_shock["inventory_t"].to_numpy() / drain, np.nan)
    out["tts_buffer_days"] = pd.Series(buffer, index=at_shock.index).reindex(out.index)
    out["ttr_days"] = _ttr(p, d, shipments, shock, cal.horizon_days).reindex(out.index)
    out["ttr_minus_tts_days"] = out["ttr_days"] - out["tts_days"]
    ran_short = out["tts_days"].notna()
    recovered_first = out["ttr_days"].notna() & (out["ttr_days"] <= out["tts_days"])
    out["tts_before_ttr"] = (ran_short & ~recovered_first).astype(float)
    return out


def _ttr(p: Params, d: pd.DataFrame, shipments: pd.DataFrame, shock: int, horizon: int) -> pd.Series:
    window = p.metrics.recovery_sustain_days
    threshold = p.metrics.recovery_fill_threshold
    use = d.groupby(KEYS)["demand_t"].first()
    keys = use.index
    arrived = shipments[shipments["arrived_day"].notna()]
    day = np.floor(arrived["arrived_day"].to_numpy()).astype(int)
    row = keys.get_indexer(pd.MultiIndex.from_arrays(
        [arrived["replication"], arrived["fab"], _item(arrived)], names=KEYS))
    ok = (row >= 0) & (day >= 0) & (day < horizon)
    flow = np.zeros((len(keys), horizon))  # deliveries per key and day
    np.add.at(flow, (row[ok], day[ok]), arrived["quantity_t"].to_numpy()[ok])
    # forward-looking window sums: deliveries in [t, t + window)
    csum = np.concatenate([np.zeros((len(keys), 1)), np.cumsum(flow, axis=1)], axis=1)
    days = np.arange(horizon)
    end = np.minimum(days + window, horizon)
    sums = csum[:, end] - csum[:, days]
    full = days + window <= horizon
    after = days >= shock
    result = np.full(len(keys), math.nan)
    for i, demand in enumerate(use.to_numpy()):
        good = (sums[i] >= threshold * demand * window) & full
        bad_idx = np.flatnonzero(after & full & ~good)
        if bad_idx.size == 0:
            result[i] = 0.0
            continue
        rec = np.flatnonzero(after & good & (days > bad_idx[0]))
        result[i] = float(rec[0] - shock) if rec.size else math.nan
    return pd.Series(result, index=keys, dtype=float)


def _days_any_short(daily: pd.DataFrame, keys: list) -> pd.Series:
    """Per group of `keys`: the number of days on which any row of the group had a shortfall."""
    short = daily.assign(short=daily["shortfall_t"] > 1e-9)
    return (short.groupby(keys + ["day"])["short"].any()
            .groupby(level=keys).sum().astype(float))


def fleet_item_kpis(per_fab: pd.DataFrame, daily: pd.DataFrame, shock: int) -> pd.DataFrame:
    """Per replication x item, across fabs (fab = `all`):
    - stockout_days: days on which any fab was short of the item;
    - tts_days / tts_buffer_days: the earliest fab's; ttr_days: the last fab's (NaN if any fab
      never recovered); tts_before_ttr: 1 if any fab ran short before its supply recovered;
    - lost_production_pct: mean over the fabs that use the item (each fab counts equally);
    - fill_rate_pct: pooled consumption / pooled need."""
    g = per_fab.groupby(level=["replication", "item"])
    d = daily.assign(item=_item(daily))
    post = d[d["day"] >= shock]
    any_short = _days_any_short(post, ["replication", "item"])
    pooled = post.groupby(["replication", "item"])[["consumption_t", "shortfall_t"]].sum()
    out = pd.DataFrame({
        "stockout_days": any_short,
        "tts_days": g["tts_days"].min(),
        "tts_buffer_days": g["tts_buffer_days"].min(),
        "ttr_days": g["ttr_days"].apply(lambda x: x.max() if x.notna().all() else math.nan),
        "tts_before_ttr": g["tts_before_ttr"].max(),
        "lost_production_pct": g["lost_production_pct"].mean(),
        "fill_rate_pct": 100.0 * pooled["consumption_t"]
        / (pooled["consumption_t"] + pooled["shortfall_t"]).clip(lower=1e-12),
    })
    out = out.assign(fab=ALL).set_index("fab", append=True).reorder_levels(KEYS)
    return _melt(out)


def fab_kpis(p: Params, daily: pd.DataFrame) -> pd.DataFrame:
    """Per replication x fab (item = `all`, every input together), from the shock on:
    lost_production_pct (mean of 100 - fab_production_pct), lost_output_units (in the fab's
    output unit), resilience_loss_pct_days (sum over days of lost output %: the area between planned
    and actual output) and stockout_days (days on which any input was short). Across fabs (fab =
    `all`): lost_production_pct is the mean over fabs (each fab counts equally)."""
    cal = Calendar(p.run.start_date, p.run.end_date)
    shock = cal.day(p.metrics.shock_date)
    post = daily[daily["day"] >= shock]
    one = post.drop_duplicates(["replication", "fab", "day"])
    by = [one["replication"], one["fab"]]
    lost = 100.0 - one["fab_production_pct"]
    out = pd.DataFrame({
        "lost_production_pct": lost.groupby(by).mean(),
        "resilience_loss_pct_days": lost.groupby(by).sum(),
        "lost_output_units": (lost / 100.0).groupby(by).sum()
        * pd.Series(_planned_output_per_day(p)).rename_axis("fab"),
        "stockout_days": _days_any_short(post, ["replication", "fab"]),
    })
    per_fab = out.assign(item=ALL).set_index("item", append=True)
    fleet = per_fab.groupby(level="replication")[["lost_production_pct"]].mean()
    fleet = fleet.assign(fab=ALL, item=ALL).set_index(["fab", "item"], append=True)
    return pd.concat([_melt(per_fab), _melt(fleet)], ignore_index=True)


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
    # every item the world could license, so that a replication without any application of one
    # still reports zeros (KPIs computed one replication at a time equal those of the stack)
    items = {m for m in p.materials} | {f"{m}.{g}" for m, mat in p.materials.items() for g in mat.grades}
    for scope_item, sel_lic, sel_exp in _by_item(lic, exp, items):
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


def _by_item(lic, exp, items):
    yield ALL, lic, exp
    for item in sorted(set(items) | set(lic["item"]) | set(exp["item"])):
        yield item, lic[lic["item"] == item], exp[exp["item"] == item]


def _stat(x: pd.Series, how) -> float:
    if x.empty:
        return math.nan
    return float(x.mean()) if how == "mean" else float(x.quantile(how))


def trade_kpis(p: Params, imports: pd.DataFrame, shipments: pd.DataFrame) -> pd.DataFrame:
    """Per replication x material (fab = `all`), for each window of `metrics.windows`:
    - imports_jp_rel_<window>: mean monthly imports from Japan in the window / the same in `pre`
      (1 = unchanged; not reported for `pre` itself);
    - japan_share_pct_<window>: imports from Japan / imports from all origins, by quantity;
    - domestic_share_pct_<window>: deliveries from Korean producers / all deliveries (imports +
      domestic), by quantity: the share of supply substitution has taken."""
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
    arrived = shipments[shipments["arrived_day"].notna() & (shipments["arrived_day"] >= 0)]
    a_month = (cal.dates(arrived["arrived_day"].to_numpy()).astype("datetime64[M]") - first).astype(int)
    a_mat, a_rep = arrived["material"].to_numpy(), arrived["replication"].to_numpy()
    a_qty, a_dom = arrived["quantity_t"].to_numpy(), arrived["origin"].to_numpy() == p.world.home_country
    i_month = month_index(imports["month"].to_numpy())
    i_mat, i_rep = imports["material"].to_numpy(), imports["replication"].to_numpy()
    i_qty, i_lic = imports["quantity_t"].to_numpy(), imports["origin"].to_numpy() == p.world.licensing_country

    def monthly(months, qty, keep) -> np.ndarray:
        return np.bincount(months[keep], weights=qty[keep], minlength=n_months)

    rel, share = licensed_rel_stem(p.world), licensed_share_stem(p.world)
    rows = []
    for mat in sorted(set(i_mat)):
        for r in sorted(set(i_rep[i_mat == mat])):
            mi, sa = (i_mat == mat) & (i_rep == r), (a_mat == mat) & (a_rep == r)
            lic, tot = monthly(i_month, i_qty, mi & i_lic), monthly(i_month, i_qty, mi)
            all_in, dom_in = monthly(a_month, a_qty, sa), monthly(a_month, a_qty, sa & a_dom)

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
    return pd.DataFrame(rows, columns=["replication", "fab", "item", "kpi", "value"])


def replication_kpis(p: Params, tables: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every KPI of every replication, long: replication, kpi, fab, item, value."""
    shock = Calendar(p.run.start_date, p.run.end_date).day(p.metrics.shock_date)
    daily = tables["daily"].assign(item=_item(tables["daily"]))
    per_fab = fab_item_table(p, daily, tables["shipments"])
    parts = [
        _melt(per_fab),
        fleet_item_kpis(per_fab, daily, shock),
        fab_kpis(p, daily),
        licensing_kpis(p, tables["licences"], tables["events"]),
        trade_kpis(p, tables["imports_monthly"], tables["shipments"]),
    ]
    return sort_long(pd.concat(parts, ignore_index=True))


def sort_long(long: pd.DataFrame) -> pd.DataFrame:
    """The long KPI table in its canonical order (KPIs computed per replication and stacked
    equal those computed on the stacked tables)."""
    long = long[["replication", "kpi", "fab", "item", "value"]]
    return long.sort_values(["kpi", "fab", "item", "replication"], kind="stable").reset_index(drop=True)


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per replication, one column per KPI: `kpi[fab|item]`."""
    col = long["kpi"] + "[" + long["fab"] + "|" + long["item"] + "]"  # kpi_column, vectorised
    return long.assign(column=col).pivot(index="replication", columns="column", values="value") \
        .reset_index().rename_axis(columns=None)


def long_from_wide(wide_df: pd.DataFrame) -> pd.DataFrame:
    """The inverse of `wide` (replications.csv back to the long table)."""
    long = wide_df.melt(id_vars=["replication"], var_name="column", value_name="value")
    parts = long["column"].str.extract(r"^(?P<kpi>[^\[]+)\[(?P<fab>[^|]*)\|(?P<item>[^\]]*)\]$")
    long = pd.concat([long[["replication", "value"]], parts], axis=1).dropna(subset=["kpi"])
    return sort_long(long.astype({"value": float}))

