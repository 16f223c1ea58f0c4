"""What the KPIs read of one replication, as arrays: the same whether it comes from the recorder
(in the worker that ran the replication, with no table built) or from the stored tables (a
rebuild, an experiment, a test's hand-made table).

The KPIs (simulator/analysis/metrics.py) are one code path over these arrays. Building them from
the recorder skips the per-day and per-lot tables a big run does not keep, and the pandas work on
them: the worker of a `keep_tables=summary` run costs little more than its simulation (issue 18).
A test checks that both ways give identical KPIs.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Dict, Iterator, Optional, Sequence

import numpy as np
import pandas as pd

from simulator.config.dictionary import as_stored_precision as stored


# the columns of each stored table the KPIs read (a rebuild reads only these)
TABLE_COLUMNS = {
    "daily": ["replication", "day", "fab", "material", "grade", "demand_t", "consumption_t",
              "shortfall_t", "inventory_t", "production_pct", "fab_production_pct"],
    "shipments": ["replication", "arrived_day", "fab", "material", "grade", "origin", "quantity_t",
                  "value_usd"],
    "licences": ["replication", "material", "grade", "pre_start", "regime", "outcome", "review_days",
                 "documents", "rerequests", "lapsed_t"],
    "events": ["replication", "event", "material", "grade"],
    "imports_monthly": ["replication", "month", "material", "origin", "quantity_t"],
}


@dataclass(frozen=True)
class FabDays:
    """One replication's fab-days: one row per fab x item (a series), one column per day."""
    fab: np.ndarray  # (series,) str
    item: np.ndarray  # (series,) `material.grade`
    demand_t: np.ndarray  # (series, days): planned use
    production_pct: np.ndarray  # (series, days): output the item allowed, % of planned
    fab_production_pct: np.ndarray  # (series, days): the fab's output (its scarcest input)
    consumption_t: np.ndarray  # (series, days)
    shortfall_t: np.ndarray  # (series, days)
    inventory_t: np.ndarray  # (series, days), end of day

    @property
    def days(self) -> int:
        return self.production_pct.shape[1]


@dataclass(frozen=True)
class Links:
    """The supply links lots arrive through, one row each: a fab, what it buys and from where.
    Lots name their link by its row, so the ~20k lots of a replication carry one integer, not
    four strings, and what is asked of a link (is it foreign? which series does it feed?) is
    asked once per link, not once per lot (issue 18)."""
    fab: np.ndarray
    material: np.ndarray
    grade: np.ndarray
    origin: np.ndarray
    # each link's row of the replication's FabDays (its fab's series of the grade, -1 for none),
    # where the recorder knows it; None: looked up by fab and item (`metrics._series_rows`)
    series: Optional[np.ndarray] = None


@dataclass(frozen=True)
class Arrivals:
    """Lots that arrived at a fab (any origin, the home country's producers included)."""
    day: np.ndarray  # float: arrival day (fractional within the day)
    quantity_t: np.ndarray
    value_usd: np.ndarray
    link: np.ndarray  # int: each lot's row of `links`
    links: Links

    def per_lot(self, field: str) -> np.ndarray:
        """A field of `links` (fab, material, grade, origin) for each lot."""
        return getattr(self.links, field)[self.link]


@dataclass(frozen=True)
class Applications:
    """Licence applications made during the run (not the licences held at its start), and the
    items of the licences that expired."""
    item: np.ndarray  # `material.grade`, or the material for exporter-wide and pair licences
    regime: np.ndarray
    outcome: np.ndarray
    review_days: np.ndarray
    documents: np.ndarray
    rerequests: np.ndarray
    lapsed_t: np.ndarray
    expired_item: np.ndarray
    any_record: bool  # the replication holds any licence or event (else no licensing KPI)


@dataclass(frozen=True)
class KpiInputs:
    """Everything the KPIs of one replication read."""
    replication: int
    fab_days: FabDays
    arrivals: Arrivals
    applications: Applications
    imports: pd.DataFrame  # `imports_monthly` of this replication: month, material, origin, quantity_t


def items(material, grade) -> np.ndarray:
    """`material.grade` where there is a grade, else the material (exporter-wide licences)."""
    material, grade = np.asarray(material, dtype=object), np.asarray(grade, dtype=object)
    return np.where(grade != "", material + "." + grade, material)


def _no_fab_days(days: int) -> FabDays:
    """A world without a fab-day: no series, `days` columns."""
    none, grid = np.empty(0, dtype=object), np.empty((0, days))
    return FabDays(fab=none, item=none, demand_t=grid, production_pct=grid,
                   fab_production_pct=grid, consumption_t=grid, shortfall_t=grid, inventory_t=grid)


def fab_days_from_table(daily: pd.DataFrame, days: int) -> FabDays:
    """One replication's rows of `daily` as series x days (series in order of appearance; a day
    a hand-made table leaves out is NaN)."""
    if daily.empty:
        return _no_fab_days(days)
    # series in order of appearance (a MultiIndex factorize costs ~20 ms a replication)
    codes = daily.groupby(["fab", "material", "grade"], sort=False).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    day = daily["day"].to_numpy().astype(int)

    def grid(column: str) -> np.ndarray:
        out = np.full((len(first), days), np.nan)
        out[codes, day] = daily[column].to_numpy(dtype=float)
        return out

    fab = daily["fab"].to_numpy(dtype=object)[first]
    return FabDays(fab=fab, item=items(daily["material"].to_numpy(dtype=object)[first],
                                       daily["grade"].to_numpy(dtype=object)[first]),
                   demand_t=grid("demand_t"),
                   production_pct=grid("production_pct"),
                   fab_production_pct=grid("fab_production_pct"),
                   consumption_t=grid("consumption_t"), shortfall_t=grid("shortfall_t"),
                   inventory_t=grid("inventory_t"))


LINK_FIELDS = ("fab", "material", "grade", "origin")


def arrivals_from_table(shipments: pd.DataFrame) -> Arrivals:
    """The arrived lots of `shipments`, each fab x material x grade x origin one link (in order
    of first arrival)."""
    arrived = shipments[shipments["arrived_day"].notna()]
    columns = [arrived[f].to_numpy(dtype=object) for f in LINK_FIELDS]
    combo = np.zeros(len(arrived), dtype=np.int64)
    for column in columns:  # one integer per distinct combination (a MultiIndex costs more)
        code, uniques = pd.factorize(column, use_na_sentinel=False)
        combo = combo * len(uniques) + code
    _, first, link = np.unique(combo, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # links numbered in order of first arrival
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    links = Links(*(column[first[order]] for column in columns))
    return Arrivals(day=arrived["arrived_day"].to_numpy(dtype=float),
                    quantity_t=arrived["quantity_t"].to_numpy(dtype=float),
                    value_usd=arrived["value_usd"].to_numpy(dtype=float),
                    link=rank[link.ravel()].astype(np.int64), links=links)


def applications_from_tables(licences: pd.DataFrame, events: pd.DataFrame) -> Applications:
    lic = licences[~licences["pre_start"].astype(bool)]
    expired = events[events["event"] == "licence_expired"]
    return Applications(
        item=items(lic["material"], lic["grade"]), regime=lic["regime"].to_numpy(dtype=object),
        outcome=lic["outcome"].to_numpy(dtype=object),
        review_days=lic["review_days"].to_numpy(dtype=float),
        documents=lic["documents"].to_numpy(dtype=float),
        rerequests=lic["rerequests"].to_numpy(dtype=float),
        lapsed_t=lic["lapsed_t"].to_numpy(dtype=float),
        expired_item=items(expired["material"], expired["grade"]),
        any_record=bool(len(licences) or len(events)))


def inputs_from_tables(tables: Dict[str, pd.DataFrame], days: int) -> Iterator[KpiInputs]:
    """The KPI inputs of every replication in a run's tables, in replication order."""
    by_rep = {name: dict(tuple(df.groupby("replication", sort=True)))
              for name, df in tables.items()}
    reps = sorted(set().union(*(parts.keys() for parts in by_rep.values())))

    def part(name: str, r: int) -> pd.DataFrame:
        return by_rep[name].get(r, tables[name].iloc[:0])

    for r in reps:
        yield KpiInputs(replication=int(r),
                        fab_days=fab_days_from_table(part("daily", r), days),
                        arrivals=arrivals_from_table(part("shipments", r)),
                        applications=applications_from_tables(part("licences", r), part("events", r)),
                        imports=part("imports_monthly", r))


# --- from the recorder (duck-typed: this module is read by the analysis layer, which never
# imports the model; simulator/model/records.py defines what is read here) ---------------------
def _values(records: Sequence, attr: str, dtype=object) -> np.ndarray:
    return np.fromiter(map(attrgetter(attr), records), dtype=dtype, count=len(records))


def fab_days_from_recorder(rec: Any, days: int) -> FabDays:
    """The fabs' daily series as series x `days`, unrounded (`daily_table` stores them); a fab's
    output on a day is its scarcest input's (the minimum over its grades)."""
    series = rec.daily
    if not series:
        return _no_fab_days(days)

    g = rec.daily_grids()  # the recorded days and what follows from them, all series at once
    pct = g["production_pct"]
    fab = np.array([s.fab for s in series], dtype=object)
    fab_pct = pct.copy()
    for f in dict.fromkeys(fab):
        rows = np.flatnonzero(fab == f)
        fab_pct[rows] = pct[rows].min(axis=0)
    return FabDays(fab=fab, item=items([s.material for s in series], [s.grade for s in series]),
                   demand_t=g["demand_t"], production_pct=pct, fab_production_pct=fab_pct,
                   consumption_t=g["consumption_t"], shortfall_t=g["shortfall_t"],
                   inventory_t=g["inventory_t"])


def stored_fab_days(fd: FabDays) -> FabDays:
    """`fd` at the precision a run stores it."""
    return FabDays(fab=fd.fab, item=fd.item, demand_t=stored(fd.demand_t),
                   production_pct=stored(fd.production_pct),
                   fab_production_pct=stored(fd.fab_production_pct),
                   consumption_t=stored(fd.consumption_t), shortfall_t=stored(fd.shortfall_t),
                   inventory_t=stored(fd.inventory_t))


def arrivals_from_recorder(rec: Any) -> Arrivals:
    """Every lot that arrived, unrounded (the monthly imports are summed from these): its day,
    quantity and value, and its supply link (who, from where and what)."""
    day, quantity_t, value_usd, link = rec.arrivals()

    def array(values: list, dtype) -> np.ndarray:  # fromiter: no search for nested sequences
        return np.fromiter(values, dtype=dtype, count=len(values))

    def field(name: str, dtype=object) -> np.ndarray:
        return np.array([getattr(l, name) for l in rec.links], dtype=dtype)

    links = Links(*(field(f) for f in LINK_FIELDS), series=field("series", np.int64))
    return Arrivals(day=array(day, float), quantity_t=array(quantity_t, float),
                    value_usd=array(value_usd, float), link=array(link, np.int64), links=links)


def stored_arrivals(a: Arrivals) -> Arrivals:
    return Arrivals(day=stored(a.day), quantity_t=stored(a.quantity_t),
                    value_usd=stored(a.value_usd), link=a.link, links=a.links)


def applications_from_recorder(rec: Any, lapsed_t: Sequence[float]) -> Applications:
    """Applications made during the run; `lapsed_t` per licence of `rec.licences` (as the
    licences table has it)."""
    made = [i for i, l in enumerate(rec.licences) if not l.applied_day < 0]
    lic = [rec.licences[i] for i in made]
    expired = [e for e in rec.events if e.event == "licence_expired"]
    return Applications(
        item=items(_values(lic, "material"), _values(lic, "grade")),
        regime=_values(lic, "regime"), outcome=_values(lic, "outcome"),
        review_days=stored(_values(lic, "decided_day", float) - _values(lic, "applied_day", float)),
        documents=_values(lic, "documents", float), rerequests=_values(lic, "rerequests", float),
        lapsed_t=stored(np.asarray(lapsed_t, dtype=float)[made] if made else np.empty(0)),
        expired_item=items(_values(expired, "material"), _values(expired, "grade")),
        any_record=bool(rec.licences or rec.events))
