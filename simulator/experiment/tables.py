"""One replication's records -> tidy tables (pandas), with units in column names.

Every row carries its replication; dates are ISO strings next to day indices, so a table can be
read without the run's calendar. `imports_monthly` is the grid of every month x material x foreign
origin in the world (zeros included), as Korean customs would report it: by HS code (material),
recorded on the arrival day.
"""
from __future__ import annotations

import math
from typing import Dict

import numpy as np
import pandas as pd

from simulator.config.calendar import Calendar
from simulator.config.dictionary import columns, dtypes
from simulator.model.licensing import QUANTITY_TOLERANCE_T
from simulator.config.params import KOREA, Params
from simulator.model.records import EVENT_COLUMNS, Recorder



def _iso(cal: Calendar, days) -> np.ndarray:
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, "", dtype=object)
    ok = ~np.isnan(days)
    out[ok] = cal.dates(days[ok]).astype(str)
    return out


def build_tables(p: Params, rec: Recorder, replication: int) -> Dict[str, pd.DataFrame]:
    cal = Calendar(p.run.start_date, p.run.end_date)

    events = pd.DataFrame(rec.events, columns=EVENT_COLUMNS)
    events.insert(0, "replication", replication)
    events.insert(2, "date", _iso(cal, events["day"]))

    lic = pd.DataFrame([{
        "replication": replication, "licence_id": l.id, "regime": l.regime, "scope": l.scope,
        "supplier": l.supplier, "fab": l.fab, "material": l.material, "grade": l.grade,
        "order_ids": l.order_list, "renewal": l.renewal, "pre_start": l.applied_day < 0,
        "documents": l.documents, "rerequests": l.rerequests,
        "applied_day": l.applied_day, "decided_day": l.decided_day,
        "review_days": l.decided_day - l.applied_day, "outcome": l.outcome,
        "valid_from_day": l.valid_from, "valid_until_day": l.valid_until,
        "revoked_day": l.revoked_day, "quantity_t": l.quantity_t, "used_t": l.used_t,
        "precedent": l.precedent, "first_file": l.first_file,
        "lapsed_t": _lapsed_t(l, cal.horizon_days),
    } for l in rec.licences], columns=LICENCE_COLUMNS)
    for col in ("applied", "decided", "valid_from", "valid_until", "revoked"):
        lic.insert(lic.columns.get_loc(f"{col}_day") + 1, f"{col}_date", _iso(cal, lic[f"{col}_day"]))

    ship = pd.DataFrame([{
        "replication": replication, "order_id": o.id, "fab": o.fab, "supplier": o.supplier,
        "origin": o.origin, "material": o.material, "grade": o.grade, "quantity_t": o.quantity_t,
        "value_usd": o.value_usd, "state": o.state, "licence_id": o.licence_id,
        "ordered_day": o.ordered_day, "exported_day": o.exported_day, "arrived_day": o.arrived_day,
        "ended_day": o.ended_day, "lead_days": o.arrived_day - o.ordered_day, "urgent": o.urgent,
    } for o in rec.orders], columns=SHIPMENT_COLUMNS)
    for col in ("ordered", "exported", "arrived", "ended"):
        ship.insert(ship.columns.get_loc(f"{col}_day") + 1, f"{col}_date", _iso(cal, ship[f"{col}_day"]))

    daily = daily_table(rec, cal, replication)

    built = {"events": events, "licences": lic, "shipments": ship, "daily": daily,
             "imports_monthly": imports_monthly(p, ship, cal, replication)}
    return {name: _conform(name, df) for name, df in built.items()}


def daily_table(rec: Recorder, cal: Calendar, replication: int) -> pd.DataFrame:
    """`daily` from the fabs' series: day-major, then fabs and their grades in set-up order; a
    fab's output on a day is its scarcest input's (the minimum over its grades)."""
    series = rec.daily
    days = cal.horizon_days
    n = len(series)

    def grid(attr):  # (days, series) so that rows run day by day
        if n == 0:
            return np.empty((days, 0))
        return np.column_stack([np.asarray(getattr(s, attr), dtype=float) for s in series])

    pct = grid("production_pct")
    fab_pct = pct.copy()
    fabs = [s.fab for s in series]
    for fab in dict.fromkeys(fabs):
        cols = [i for i, f in enumerate(fabs) if f == fab]
        fab_pct[:, cols] = pct[:, cols].min(axis=1, keepdims=True)
    demand = np.array([s.demand_t for s in series], dtype=float)
    inventory = grid("inventory_t")
    risk = (np.column_stack([np.asarray(rec.risk[s.material], dtype=float) for s in series])
            if n else np.empty((days, 0)))
    day = np.repeat(np.arange(days), n)
    return pd.DataFrame({
        "replication": replication,
        "day": day,
        "date": _iso(cal, day),
        "fab": np.tile(np.array(fabs, dtype=object), days),
        "material": np.tile(np.array([s.material for s in series], dtype=object), days),
        "grade": np.tile(np.array([s.grade for s in series], dtype=object), days),
        "demand_t": np.tile(demand, days),
        "consumption_t": grid("consumption_t").ravel(),
        "shortfall_t": grid("shortfall_t").ravel(),
        "inventory_t": inventory.ravel(),
        "cover_days": (inventory / demand).ravel(),
        "rationing": grid("rationing").ravel().astype(np.int64),
        "production_pct": pct.ravel(),
        "fab_production_pct": fab_pct.ravel(),
        "perceived_risk": risk.ravel(),
    })


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table in the data dictionary's column order; a column built but not declared, or
    declared but not built, is a programming error caught here, not in a reader's notebook."""
    declared = columns(name)
    if set(df.columns) != set(declared):
        raise AssertionError(f"table {name}: built {sorted(set(df.columns) ^ set(declared))} "
                             "differently from the data dictionary (simulator/config/dictionary.py)")
    # typed as declared even when empty (no event in a quiet world is still a table of events)
    return df[declared].astype(dtypes(name))


def _lapsed_t(lic, horizon_days: int) -> float:
    """Contract quantity never exported because the licence expired within the horizon."""
    if not (lic.scope == "contract" and lic.outcome == "approved" and lic.valid_until < horizon_days
            and math.isnan(lic.revoked_day)):
        return 0.0
    unused = lic.quantity_t - lic.used_t
    return unused if unused > QUANTITY_TOLERANCE_T else 0.0


LICENCE_COLUMNS = ["replication", "licence_id", "regime", "scope", "supplier", "fab", "material",
                   "grade", "order_ids", "renewal", "pre_start", "documents", "rerequests",
                   "applied_day", "decided_day", "review_days", "outcome", "valid_from_day",
                   "valid_until_day", "revoked_day", "quantity_t", "used_t", "precedent",
                   "first_file", "lapsed_t"]
SHIPMENT_COLUMNS = ["replication", "order_id", "fab", "supplier", "origin", "material", "grade",
                    "quantity_t", "value_usd", "state", "licence_id", "ordered_day",
                    "exported_day", "arrived_day", "ended_day", "lead_days", "urgent"]


def month_grid(cal: Calendar) -> list:
    months = pd.period_range(cal.start, cal.end, freq="M")
    return [str(m) for m in months]


def imports_monthly(p: Params, ship: pd.DataFrame, cal: Calendar, replication: int) -> pd.DataFrame:
    origins = sorted({(s.material, s.origin) for s in p.suppliers.values() if s.origin != KOREA})
    grid = pd.MultiIndex.from_tuples(
        [(m, mat, o) for m in month_grid(cal) for (mat, o) in origins],
        names=["month", "material", "origin"])
    arrived = ship[(ship["origin"] != KOREA) & ship["arrived_day"].notna()
                   & (ship["arrived_day"] >= 0)]
    month = pd.Series(_iso(cal, arrived["arrived_day"]), index=arrived.index).str.slice(0, 7)
    sums = arrived.groupby([month.rename("month"), arrived["material"], arrived["origin"]])[
        ["quantity_t", "value_usd"]].sum()
    out = sums.reindex(grid, fill_value=0.0).reset_index()
    out.insert(0, "replication", replication)
    return out
