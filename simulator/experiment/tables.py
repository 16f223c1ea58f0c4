"""One replication's records -> tidy tables (pandas), with units in column names.

Tables are built column by column from the records (arrays and lists, never a dict per row).
Every row carries its replication; dates are real dates next to day indices, so a table can be
read without the run's calendar. `imports_monthly` is the grid of every month x material x foreign
origin in the world (zeros included), as Korean customs would report it: by HS code (material),
recorded on the arrival day, plus the crude that processors import to purify (recorded on the day
they make the lot it goes into).
"""
from __future__ import annotations

import math
from functools import lru_cache
from operator import attrgetter
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd

from simulator.config.calendar import DAYS_PER_MONTH, Calendar
from simulator.config.dictionary import DICTIONARY, SIMULATION_TABLES, as_stored, columns, dtypes
from simulator.experiment.kpi_inputs import (Arrivals, FabDays, KpiInputs, applications_from_recorder,
                                             arrivals_from_recorder, fab_days_from_recorder,
                                             stored_arrivals, stored_fab_days)
from simulator.model.licensing import QUANTITY_TOLERANCE_T
from simulator.config.params import Params
from simulator.model.records import EVENT_COLUMNS, Recorder, rationing_grid


# dates a table can hold (datetime64[ns] spans 1677-2262): a day far outside them (a "never
# expires" validity of a billion days) keeps its day index and has no date
FIRST_DATE, LAST_DATE = np.datetime64("1900-01-01"), np.datetime64("2261-12-31")


def _dates(cal: Calendar, days) -> np.ndarray:
    """Day indices -> datetime64[ns] (the day's date; NaT where the day is missing or its date
    falls outside 1900-2261)."""
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    first, last = cal.day(FIRST_DATE.item()), cal.day(LAST_DATE.item())
    ok = ~np.isnan(days) & (days >= first) & (days < last + 1)
    out[ok] = cal.dates(days[ok])
    return out


_NUMPY = {"int": np.int64, "float": float, "bool": bool, "str": object}


def _typed(table: str, cols: Dict[str, list]) -> Dict[str, np.ndarray]:
    """Lists -> numpy arrays of the dictionary's dtypes (pandas would otherwise infer every
    column's type element by element, the bulk of building a table)."""
    kinds = {c.name: c.dtype for c in DICTIONARY[table]}
    return {name: np.array(values, dtype=_NUMPY[kinds[name]]) for name, values in cols.items()}


def _columns(records: Sequence, attrs: List[str]) -> Dict[str, list]:
    """attribute -> list of its values over `records`, one pass per attribute."""
    return {a: list(map(attrgetter(a), records)) for a in attrs}


def _frame(table: str, cols: Dict[str, np.ndarray], cal: Calendar, replication: int,
           stems: Sequence[str] = ()) -> pd.DataFrame:
    """The table from its typed columns, with its replication and a date beside each day
    column `<stem>_day`, built at once in the dictionary's column order (a column added to a
    frame, or a frame reordered, copies it: issue 18)."""
    for stem in stems:
        cols[f"{stem}_date"] = _dates(cal, cols[f"{stem}_day"])
    cols["replication"] = np.full(len(next(iter(cols.values()))), replication, dtype=np.int64)
    # the columns are this table's own arrays: pandas need not copy them
    return pd.DataFrame({name: cols[name] for name in columns(table)}, copy=False)


def build_tables(p: Params, rec: Recorder, replication: int,
                 names: Sequence[str] = SIMULATION_TABLES) -> Dict[str, pd.DataFrame]:
    """The simulation tables `names` of one replication's records."""
    return tables_and_inputs(p, rec, replication, names)[0]


def tables_and_inputs(p: Params, rec: Recorder, replication: int,
                      names: Sequence[str]) -> Tuple[Dict[str, pd.DataFrame], KpiInputs]:
    """The tables `names` and the replication's KPI inputs, from one pass over its records: a run
    that keeps only some tables builds only those (the KPIs read the records, at the precision
    the tables are stored with)."""
    cal = Calendar(p.run.start_date, p.run.end_date)
    fab_days = fab_days_from_recorder(rec, cal.horizon_days)
    arrivals = arrivals_from_recorder(rec)
    lapsed = [_lapsed_t(l, cal.horizon_days) for l in rec.licences]
    imports = _conform("imports_monthly", imports_monthly(p, arrivals, cal, replication,
                                                          rec.feedstock))
    build = {"events": lambda: _events(rec, cal, replication),
             "licences": lambda: _licences(rec, cal, replication, lapsed),
             "shipments": lambda: _shipments(rec, cal, replication),
             "daily": lambda: daily_table(rec, fab_days, cal, replication),
             "imports_monthly": lambda: imports}
    tables = {name: _conform(name, build[name]()) for name in names}  # imports: a no-op, typed
    inputs = KpiInputs(replication=replication, fab_days=stored_fab_days(fab_days),
                       arrivals=stored_arrivals(arrivals),
                       applications=applications_from_recorder(rec, lapsed),
                       imports=as_stored("imports_monthly", imports))
    return tables, inputs


def _events(rec: Recorder, cal: Calendar, replication: int) -> pd.DataFrame:
    # the rows are named tuples: transposed in one pass
    fields = list(map(list, zip(*rec.events))) if rec.events else [[] for _ in EVENT_COLUMNS]
    cols = _typed("events", dict(zip(EVENT_COLUMNS, fields)))
    cols["date"] = _dates(cal, cols["day"])
    return _frame("events", cols, cal, replication)


def _licences(rec: Recorder, cal: Calendar, replication: int, lapsed: List[float]) -> pd.DataFrame:
    L = rec.licences
    cols = _typed("licences", {
        "licence_id": [l.id for l in L], "regime": [l.regime for l in L],
        "scope": [l.scope for l in L], "supplier": [l.supplier for l in L],
        "fab": [l.fab for l in L], "material": [l.material for l in L],
        "grade": [l.grade for l in L], "order_ids": [";".join(l.order_ids) for l in L],
        "renewal": [l.renewal for l in L], "pre_start": [l.applied_day < 0 for l in L],
        "documents": [l.documents for l in L], "rerequests": [l.rerequests for l in L],
        "applied_day": [l.applied_day for l in L], "decided_day": [l.decided_day for l in L],
        "outcome": [l.outcome for l in L], "valid_from_day": [l.valid_from for l in L],
        "valid_until_day": [l.valid_until for l in L], "revoked_day": [l.revoked_day for l in L],
        "quantity_t": [l.quantity_t for l in L], "used_t": [l.used_t for l in L],
        "precedent": [l.precedent for l in L], "first_file": [l.first_file for l in L],
        "lapsed_t": lapsed,
    })
    cols["review_days"] = cols["decided_day"] - cols["applied_day"]
    return _frame("licences", cols, cal, replication,
                  ("applied", "decided", "valid_from", "valid_until", "revoked"))


def _shipments(rec: Recorder, cal: Calendar, replication: int) -> pd.DataFrame:
    ship = _columns(rec.orders, [
        "id", "fab", "supplier", "origin", "material", "grade", "quantity_t", "value_usd", "state",
        "licence_id", "ordered_day", "exported_day", "arrived_day", "ended_day", "urgent"])
    ship["order_id"] = ship.pop("id")
    cols = _typed("shipments", ship)
    cols["lead_days"] = cols["arrived_day"] - cols["ordered_day"]
    return _frame("shipments", cols, cal, replication, ("ordered", "exported", "arrived", "ended"))


def daily_table(rec: Recorder, fab_days: FabDays, cal: Calendar, replication: int) -> pd.DataFrame:
    """`daily` from the fabs' series (`fab_days`, unrounded): one block of days per fab and grade
    (fabs and their grades in set-up order; a series' consecutive days also compress best on
    disk), with the fab's output (its scarcest input) and perceived risk."""
    series = rec.daily
    days = cal.horizon_days
    n = len(series)
    fd = fab_days
    risk = (np.vstack([np.asarray(rec.risk[s.material], dtype=float) for s in series]) if n
            else np.empty((0, days)))
    rationing = rationing_grid(series, fd.days)
    day = np.tile(np.arange(days), n)
    return pd.DataFrame({
        "replication": replication,
        "day": day,
        "date": _dates(cal, day),
        "fab": np.repeat(fd.fab, days),
        "material": np.repeat(np.array([s.material for s in series], dtype=object), days),
        "grade": np.repeat(np.array([s.grade for s in series], dtype=object), days),
        "demand_t": fd.demand_t.ravel(),
        "consumption_t": fd.consumption_t.ravel(),
        "shortfall_t": fd.shortfall_t.ravel(),
        "inventory_t": fd.inventory_t.ravel(),
        "cover_days": (fd.inventory_t / fd.demand_t).ravel(),
        "rationing": rationing.ravel().astype(np.int64),
        "production_pct": fd.production_pct.ravel(),
        "fab_production_pct": fd.fab_production_pct.ravel(),
        "perceived_risk": risk.ravel(),
    })


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table in the data dictionary's column order; a column built but not declared, or
    declared but not built, is a programming error caught here, not in a reader's notebook."""
    declared = columns(name)
    if set(df.columns) != set(declared):
        raise AssertionError(f"table {name}: built {sorted(set(df.columns) ^ set(declared))} "
                             "differently from the data dictionary (simulator/config/dictionary.py)")
    if list(df.columns) != declared:  # reordering copies the table: the builders need not
        df = df[declared]
    # typed as declared even when empty (no event in a quiet world is still a table of events);
    # only the columns not yet of their type are cast (a cast of every column is most of the cost)
    cast = {c: t for (c, t), have in zip(dtypes(name).items(), df.dtypes) if have != t}
    return df.astype(cast) if cast else df


def _lapsed_t(lic, horizon_days: int) -> float:
    """Contract quantity never exported because the licence expired within the horizon."""
    if not (lic.scope == "contract" and lic.outcome == "approved" and lic.valid_until < horizon_days
            and math.isnan(lic.revoked_day)):
        return 0.0
    unused = lic.quantity_t - lic.used_t
    return unused if unused > QUANTITY_TOLERANCE_T else 0.0


def month_grid(cal: Calendar) -> list:
    return list(_months(cal.start, cal.end))


@lru_cache(maxsize=8)
def _months(start, end) -> tuple:
    """The run's months as text, once per calendar (pandas' period_range costs ~0.3 ms)."""
    return tuple(str(m) for m in pd.period_range(start, end, freq="M"))


def imports_monthly(p: Params, arrivals: Arrivals, cal: Calendar, replication: int,
                    feedstock: Sequence[tuple] = ()) -> pd.DataFrame:
    origins = sorted({(s.material, s.origin) for s in p.suppliers.values() if s.origin != p.world.home_country}
                     | {(s.material, s.feedstock.origin) for s in p.suppliers.values()
                        if s.feedstock.origin and s.feedstock.t_per_t > 0}
                     | {(m, o) for m, mat in p.materials.items() for o in mat.other_goods_share})
    months = month_grid(cal)
    slot = {pair: i for i, pair in enumerate(origins)}

    def slots(material, origin) -> np.ndarray:  # each lot's (material, origin) on the grid, or -1
        m_code, m = pd.factorize(np.asarray(material, dtype=object))  # asked once per pair, not lot
        o_code, o = pd.factorize(np.asarray(origin, dtype=object))
        lut = np.array([slot.get((mi, oi), -1) for mi in m for oi in o] or [-1], dtype=np.int64)
        return lut[m_code * len(o) + o_code]

    # arrivals through a foreign link: the grid slot asked once per link, not once per lot
    a, links = arrivals, arrivals.links
    keep = (links.origin != p.world.home_country)[a.link] & (a.day >= 0)
    of_link = np.array([slot.get(pair, -1) for pair in zip(links.material, links.origin)],
                       dtype=np.int64)
    parts = [(a.day[keep], of_link[a.link[keep]], a.quantity_t[keep], a.value_usd[keep])]
    if len(feedstock):
        day, material, origin, qty, value = zip(*feedstock)  # per lot of crude
        day = np.array(day, dtype=float)
        ok = day >= 0
        parts.append((day[ok], slots(material, origin)[ok], np.array(qty, dtype=float)[ok],
                      np.array(value, dtype=float)[ok]))
    day, material, origin, qty, value = _other_goods(p, cal)
    if len(day):
        parts.append((day, slots(material, origin), qty, value))
    day, pair, qty, value = (np.concatenate(c) for c in zip(*parts))
    # one integer key per lot: its month in the run x its (material, origin) on the grid (a lot
    # of a pair off the grid is dropped); pandas sums each key's lots in their order
    month = cal.months(day)
    on = pair >= 0
    key = month[on] * len(origins) + pair[on]
    # (one 2-D block, groups left unsorted: the same sums, a third less pandas work)
    sums = pd.DataFrame(np.column_stack([qty[on], value[on]]).astype(float)
                        ).groupby(key, sort=False).sum()
    n = len(months) * len(origins)
    grid = np.zeros((2, n))
    grid[:, sums.index.to_numpy()] = sums.to_numpy().T
    out = {"quantity_t": grid[0], "value_usd": grid[1]}
    return pd.DataFrame({
        "replication": replication,
        "month": np.repeat(np.array(months, dtype=object), len(origins)),
        "material": np.tile(np.array([m for m, _ in origins], dtype=object), len(months)),
        "origin": np.tile(np.array([o for _, o in origins], dtype=object), len(months)),
        **out})


def _other_goods(p: Params, cal: Calendar) -> Tuple[np.ndarray, ...]:
    """Other goods under each material's HS line (`other_goods_share`): a steady flow, one lot
    per month and origin, at the material's unit value, dated on the month's first day, as the
    columns (day, material, origin, tonnes, US$). The same for every replication that draws the
    same shares, so computed once per distinct flow."""
    flows = tuple((m, origin, mat.other_goods_t_per_month(origin), mat.unit_value_usd_per_t)
                  for m, mat in p.materials.items() for origin in mat.other_goods_share)
    return _other_goods_columns(cal.start, cal.end, flows)


@lru_cache(maxsize=64)
def _other_goods_columns(start_date, end_date, flows: tuple) -> Tuple[np.ndarray, ...]:
    start, end = np.datetime64(start_date, "D"), np.datetime64(end_date, "D")
    months = np.arange(start.astype("datetime64[M]"), end.astype("datetime64[M]") + 1)
    first = np.maximum(months.astype("datetime64[D]"), start)
    last = np.minimum((months + 1).astype("datetime64[D]") - 1, end)
    days = (last - first).astype(int) + 1
    day0 = (first - start).astype(float)
    parts = []
    for m, origin, t_per_month, unit_value in flows:
        q = t_per_month / DAYS_PER_MONTH * days
        if q.sum() > 0:
            parts.append((day0, np.full(len(q), m, dtype=object),
                          np.full(len(q), origin, dtype=object), q, q * unit_value))
    flow_columns = tuple(np.concatenate(c) for c in zip(*parts)) if parts else \
        (np.empty(0), np.empty(0, dtype=object), np.empty(0, dtype=object), np.empty(0), np.empty(0))
    for c in flow_columns:
        c.flags.writeable = False  # shared by the replications that hit the cache
    return flow_columns
