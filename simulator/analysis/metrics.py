"""Disruption metrics: pure functions from one replication's records to KPIs, and their summary.

Every KPI is first computed per replication (a long table: replication, kpi, fab, item, value),
then summarised across replications as mean and 95 % t-interval. `item` is `material.grade`
(e.g. `hf.liquid`); `fab` is a fab id or `all`. Definitions (README "Metrics") are written next to
each function. Days are counted from `metrics.shock_date` in every scenario, so scenarios compare
on the same calendar.

One code path: the KPIs read a replication's `KpiInputs` (arrays; simulator/experiment/
kpi_inputs.py), which a run's worker builds from the recorder and `replication_kpis` from stored
tables; both give the same KPIs (tests/output/test_kpis_from_records.py).
"""
from __future__ import annotations

import math
from operator import itemgetter
from typing import Callable, Dict, Iterable, List, Tuple

import numpy as np
import pandas as pd

from simulator.analysis.trade_kpis import trade_kpis
from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.params import Params
from simulator.config.demand import licensed_pre_shock_share, output_index
from simulator.config.kpis import ALL, Row
from simulator.experiment.kpi_inputs import (Applications, Arrivals, FabDays, KpiInputs,
                                             inputs_from_tables, items)

SHORT_T = 1e-9  # a shortfall below this (tonnes) is rounding, not a stockout
COLUMNS = ["replication", "fab", "item", "kpi", "value"]


def _shock_day(p: Params) -> int:
    return Calendar(p.run.start_date, p.run.end_date).day(p.metrics.shock_date)


LostUnits = Callable[[str, np.ndarray], float]


def _lost_units(p: Params, lo: int) -> LostUnits:
    """(fab, its lost output % on each day from `lo` on) -> output lost, in the fab's output
    unit: planned output per day x the lost share, summed, the plan following the fab's output
    index where it names one (a flat plan weighs every day 1.0, which leaves the sum exact)."""
    plans = {}
    for f, fab in p.fabs.items():
        level = output_index(p, f)
        plans[f] = (fab.planned_output_per_month / DAYS_PER_MONTH,
                    1.0 if level is None else level[lo:])

    def units(fab: str, lost: np.ndarray) -> float:
        if fab not in plans:
            return math.nan
        per_day, weight = plans[fab]
        return float((lost / 100.0 * weight).sum()) * per_day
    return units


def _first_day(mask: np.ndarray) -> np.ndarray:
    """Per row: the index of the first True (NaN if none)."""
    hit = mask.any(axis=1)
    return np.where(hit, mask.argmax(axis=1), np.nan)


def fab_item_kpis(p: Params, fd: FabDays, arrivals: Arrivals, shock: int,
                  lost_units: LostUnits) -> Dict[str, np.ndarray]:
    """Per fab x item (one entry per series of `fd`), from the shock date on:
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
    lo = max(shock, 0)
    short = fd.shortfall_t[:, lo:] > SHORT_T
    lost = 100.0 - fd.production_pct[:, lo:]
    consumed, short_t = fd.consumption_t[:, lo:].sum(axis=1), fd.shortfall_t[:, lo:].sum(axis=1)
    out = {
        "stockout_days": short.sum(axis=1).astype(float),
        "lost_production_pct": lost.mean(axis=1),
        "lost_output_units": np.array([lost_units(f, row) for f, row in zip(fd.fab, lost)],
                                      dtype=float),
        "fill_rate_pct": 100.0 * consumed / np.maximum(consumed + short_t, 1e-12),
        "tts_days": _first_day(short) + lo - shock,
    }
    licensed = licensed_pre_shock_share(p)
    eve = max(shock - 1, 0)
    drain = fd.demand_t[:, eve] * np.array([licensed.get(i, 0.0) for i in fd.item])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["tts_buffer_days"] = np.where(drain > 0, fd.inventory_t[:, eve] / drain, np.nan)
    out["ttr_days"] = _ttr(p, fd, arrivals, shock)
    out["ttr_minus_tts_days"] = out["ttr_days"] - out["tts_days"]
    ran_short = ~np.isnan(out["tts_days"])
    recovered_first = ~np.isnan(out["ttr_days"]) & (out["ttr_days"] <= out["tts_days"])
    out["tts_before_ttr"] = (ran_short & ~recovered_first).astype(float)
    return out


def _ttr(p: Params, fd: FabDays, arrivals: Arrivals, shock: int) -> np.ndarray:
    window = p.metrics.recovery_sustain_days
    threshold = p.metrics.recovery_fill_threshold
    horizon = fd.days
    row = _series_rows(fd, arrivals)
    day = np.floor(arrivals.day).astype(int)
    ok = (row >= 0) & (day >= 0) & (day < horizon)
    # deliveries per series and day, added lot by lot in order (as np.add.at would, at a tenth
    # of its cost)
    flow = np.bincount(row[ok] * horizon + day[ok], weights=arrivals.quantity_t[ok],
                       minlength=len(fd.fab) * horizon).reshape(len(fd.fab), horizon)
    # forward-looking window sums: deliveries, and planned use, in [t, t + window)
    days = np.arange(horizon)
    end = np.minimum(days + window, horizon)

    def window_sums(x: np.ndarray) -> np.ndarray:
        csum = np.concatenate([np.zeros((len(fd.fab), 1)), np.cumsum(x, axis=1)], axis=1)
        return csum[:, end] - csum[:, days]

    sums, planned = window_sums(flow), window_sums(fd.demand_t)
    full = days + window <= horizon
    after = days >= shock
    result = np.full(len(fd.fab), math.nan)
    for i in range(len(fd.fab)):
        good = (sums[i] >= threshold * planned[i]) & full
        bad_idx = np.flatnonzero(after & full & ~good)
        if bad_idx.size == 0:
            result[i] = 0.0
            continue
        rec = np.flatnonzero(after & good & (days > bad_idx[0]))
        result[i] = float(rec[0] - shock) if rec.size else math.nan
    return result


def _series_rows(fd: FabDays, a: Arrivals) -> np.ndarray:
    """Each arrival's row of `fd` (its fab and item; -1 for none), through its link: as the
    recorder knew it, else looked up once per link."""
    links = a.links
    if links.series is not None:
        per_link = links.series
    else:
        row_of = {(f, i): s for s, (f, i) in enumerate(zip(fd.fab, fd.item))}
        per_link = np.array([row_of.get(k, -1) for k in zip(links.fab, items(links.material,
                                                                             links.grade))],
                            dtype=np.int64)
    return per_link[a.link]


def _groups(keys: np.ndarray) -> Iterable[Tuple[str, np.ndarray]]:
    """(key, row indices) for every distinct key, in sorted order."""
    for key in sorted(set(keys)):
        yield key, np.flatnonzero(keys == key)


def fleet_item_kpis(per: Dict[str, np.ndarray], fd: FabDays, shock: int) -> Dict[str, Dict[str, float]]:
    """Per item, across fabs (fab = `all`):
    - stockout_days: days on which any fab was short of the item;
    - tts_days / tts_buffer_days: the earliest fab's; ttr_days: the last fab's (NaN if any fab
      never recovered); tts_before_ttr: 1 if any fab ran short before its supply recovered;
    - lost_production_pct: mean over the fabs that use the item (each fab counts equally);
    - fill_rate_pct: pooled consumption / pooled need."""
    lo = max(shock, 0)
    out = {}
    for item, rows in _groups(fd.item):
        consumed = fd.consumption_t[rows, lo:].sum()
        short_t = fd.shortfall_t[rows, lo:].sum()
        ttr = per["ttr_days"][rows]
        out[item] = {
            "stockout_days": _days_any_short(fd, rows, lo),
            "tts_days": _nan_min(per["tts_days"][rows]),
            "tts_buffer_days": _nan_min(per["tts_buffer_days"][rows]),
            "ttr_days": float(ttr.max()) if not np.isnan(ttr).any() else math.nan,
            "tts_before_ttr": float(per["tts_before_ttr"][rows].max()),
            "lost_production_pct": float(per["lost_production_pct"][rows].mean()),
            "fill_rate_pct": 100.0 * consumed / max(consumed + short_t, 1e-12),
        }
    return out


def _days_any_short(fd: FabDays, rows: np.ndarray, lo: int) -> float:
    """Days from `lo` on which any of the series `rows` was short."""
    return float((fd.shortfall_t[rows, lo:] > SHORT_T).any(axis=0).sum())


def _nan_min(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.min()) if x.size else math.nan


def fab_kpis(fd: FabDays, shock: int, lost_units: LostUnits) -> Dict[str, Dict[str, float]]:
    """Per fab (item = `all`, every input together), from the shock on: lost_production_pct
    (mean of 100 - fab_production_pct), lost_output_units (in the fab's output unit),
    resilience_loss_pct_days (sum over days of lost output %: the area between planned and
    actual output) and stockout_days (days on which any input was short). Across fabs (fab =
    `all`): lost_production_pct is the mean over fabs (each fab counts equally)."""
    lo = max(shock, 0)
    out = {}
    for fab, rows in _groups(fd.fab):
        lost = 100.0 - fd.fab_production_pct[rows[0], lo:]  # the same in each of the fab's rows
        out[fab] = {
            "lost_production_pct": float(lost.mean()),
            "resilience_loss_pct_days": float(lost.sum()),
            "lost_output_units": lost_units(fab, lost),
            "stockout_days": _days_any_short(fd, rows, lo),
        }
    return out


def licensing_kpis(p: Params, r: int, apps: Applications) -> List[Row]:
    """Per item (and `all`), every application made during the run: applications, approvals,
    denials, withdrawn, expiries (licence_expired events), rerequests, documents_filed
    (documents + re-requested rounds), lapsed_t (contract quantity unshipped at expiry),
    review_days_mean / _p50 / _p90 of approved applications (all regimes but the routine bulk
    renewals, which are reported separately as review_days_*_bulk)."""
    # every item the world could license, so that a replication without any application of one
    # still reports zeros
    world = {m for m in p.materials} | {f"{m}.{g}" for m, mat in p.materials.items() for g in mat.grades}
    scopes = [ALL] + sorted(world | set(apps.item) | set(apps.expired_item))
    rows: List[Row] = []
    # what does not depend on the scope, compared once
    is_approved, is_denied = apps.outcome == "approved", apps.outcome == "denied"
    is_withdrawn, is_bulk = apps.outcome == "withdrawn", apps.regime == "bulk"
    for scope in scopes:
        sel = np.ones(len(apps.item), bool) if scope == ALL else apps.item == scope
        expiries = len(apps.expired_item) if scope == ALL else int((apps.expired_item == scope).sum())
        approved = sel & is_approved
        case = apps.review_days[approved & ~is_bulk]
        bulk = apps.review_days[approved & is_bulk]
        mean, p50, p90 = _review_stats(case)
        values = {
            "applications": int(sel.sum()), "approvals": int(approved.sum()),
            "denials": int((sel & is_denied).sum()),
            "withdrawn": int((sel & is_withdrawn).sum()),
            "expiries": expiries, "rerequests": int(apps.rerequests[sel].sum()),
            "documents_filed": int(apps.documents[sel].sum() + apps.rerequests[sel].sum()),
            "lapsed_t": float(apps.lapsed_t[sel].sum()),
            "review_days_mean": mean, "review_days_p50": p50, "review_days_p90": p90,
            "review_days_mean_bulk": _review_stats(bulk, quantiles=False)[0],
        }
        rows += [(r, ALL, scope, k, float(v)) for k, v in values.items()]
    return rows


def _review_stats(x: np.ndarray, quantiles: bool = True) -> Tuple[float, ...]:
    """Mean, median and 90th percentile of `x` (without NaN; NaN if none), or the mean alone;
    both quantiles from one partition of `x` (the same values as two calls)."""
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan,) * (3 if quantiles else 1)
    if not quantiles:
        return (float(x.mean()),)
    p50, p90 = np.quantile(x, [0.5, 0.9])
    return float(x.mean()), float(p50), float(p90)


def kpis(p: Params, x: KpiInputs) -> pd.DataFrame:
    """Every KPI of one replication, long: replication, kpi, fab, item, value (canonical order)."""
    return long_table(kpi_rows(p, x))


def kpi_rows(p: Params, x: KpiInputs) -> List[Row]:
    """Every KPI of one replication as rows (in no particular order: `long_table` orders them)."""
    r, fd, shock = x.replication, x.fab_days, _shock_day(p)
    rows: List[Row] = []
    if fd.days > max(shock, 0):  # a shock after the horizon leaves no day to measure
        lost_units = _lost_units(p, max(shock, 0))  # the fabs' plans, read once
        per = fab_item_kpis(p, fd, x.arrivals, shock, lost_units)
        for s, (fab, item) in enumerate(zip(fd.fab, fd.item)):
            rows += [(r, fab, item, k, float(v[s])) for k, v in per.items()]
        for item, values in fleet_item_kpis(per, fd, shock).items():
            rows += [(r, ALL, item, k, float(v)) for k, v in values.items()]
        by_fab = fab_kpis(fd, shock, lost_units)
        for fab, values in by_fab.items():
            rows += [(r, fab, ALL, k, float(v)) for k, v in values.items()]
        if by_fab:
            fleet = np.mean([v["lost_production_pct"] for v in by_fab.values()])
            rows.append((r, ALL, ALL, "lost_production_pct", float(fleet)))
    if x.applications.any_record:
        rows += licensing_kpis(p, r, x.applications)
    rows += trade_kpis(p, r, x.imports, x.arrivals)
    return rows


def long_table(rows: List[Row]) -> pd.DataFrame:
    """`rows` (of one replication or several) as the long table, each replication's rows in
    canonical order: sorted here, stably by replication, then kpi, fab, item as `sort_long`
    sorts (Python compares the strings as pandas does), then built column by column, which costs
    a fraction of a frame built from tuples and sorted. A worker builds one for a batch of
    replications (one table where each made its own: ~0.4 ms a replication, issue 18); the same
    rows as the batch's tables stacked."""
    rows = sorted(rows, key=itemgetter(0, 3, 1, 2))
    r, fab, item, kpi, value = zip(*rows) if rows else ((),) * 5
    return pd.DataFrame({"replication": np.array(r, dtype=np.int64),
                         "kpi": np.array(kpi, dtype=object), "fab": np.array(fab, dtype=object),
                         "item": np.array(item, dtype=object),
                         "value": np.array(value, dtype=float)})


def replication_kpis(p: Params, tables: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every KPI of every replication of a run's tables, long: replication, kpi, fab, item, value."""
    days = Calendar(p.run.start_date, p.run.end_date).horizon_days
    rows: List[Row] = []
    replications = 0
    for x in inputs_from_tables(tables, days):  # one replication's arrays in memory at a time
        rows += kpi_rows(p, x)
        replications += 1
    if not replications:
        return pd.DataFrame(columns=["replication", "kpi", "fab", "item", "value"])
    return sort_long(long_table(rows))


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
