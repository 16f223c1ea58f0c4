"""The data dictionary: every simulation table's columns, in order, with dtype, unit and meaning,
declared once, below every layer that builds, writes or reads them. The experiment builds the
tables in this column order, the store validates them against it on write and read (pandera
schemas built from it, `simulator.store.schemas`), and the README's column lists are checked
against it by the tests.

dtype is one of: int, float, str, bool, date (a calendar date; missing where its day is missing or
falls outside 1900-2261, e.g. a licence that "never expires").
Unit: t (tonnes), usd, days, pct, prob, date, month (YYYY-MM text), "" for none. Text columns use
"" for "not applicable".
"""
from __future__ import annotations

from typing import Dict, List, NamedTuple

import numpy as np


class Column(NamedTuple):
    name: str
    dtype: str
    unit: str
    meaning: str
    nullable: bool = False  # may be missing (NaN) in some rows


def _day_pair(stem: str, what: str) -> List[Column]:
    return [Column(f"{stem}_day", "float", "days", f"{what}, days since run.start_date", True),
            Column(f"{stem}_date", "date", "date", f"{what}, as a date", True)]


REPLICATION = Column("replication", "int", "", "replication index (0-based)")

DICTIONARY: Dict[str, List[Column]] = {
    "events": [
        REPLICATION,
        Column("day", "float", "days", "when it happened, days since run.start_date"),
        Column("date", "date", "date", "when it happened, as a date"),
        Column("actor", "str", "", "licensing_authority, timeline, perceived_risk, a fab or a supplier id"),
        Column("event", "str", "", "what happened (README, Output tables)"),
        Column("material", "str", "", "material id(s), ',' between several"),
        Column("grade", "str", "", "material grade"),
        Column("origin", "str", "", "country of the supplier's plant"),
        Column("supplier", "str", "", "supplier id"),
        Column("fab", "str", "", "fab id"),
        Column("licence_id", "str", "", "licence concerned"),
        Column("order_id", "str", "", "order(s) concerned, ';' between several"),
        Column("quantity_t", "float", "t", "licence or order quantity, or the first day's shortfall", True),
        Column("detail", "str", "", "free text: regime, review days, re-request round ..."),
    ],
    "licences": [
        REPLICATION,
        Column("licence_id", "str", "", "licence (application) id"),
        Column("regime", "str", "", "bulk, individual or special_bulk"),
        Column("scope", "str", "", "exporter, pair or contract: what one licence covers"),
        Column("supplier", "str", "", "exporter (supplier id)"),
        Column("fab", "str", "", "consignee ('' for exporter-wide licences)"),
        Column("material", "str", "", "material id"),
        Column("grade", "str", "", "grade (contract licences only)"),
        Column("order_ids", "str", "", "orders a contract covers, ';' between them"),
        Column("renewal", "bool", "", "a renewal ahead of expiry"),
        Column("pre_start", "bool", "", "held before the run started"),
        Column("documents", "int", "", "documents filed with the application"),
        Column("rerequests", "int", "", "rounds of documents asked for again"),
        *_day_pair("applied", "application"),
        *_day_pair("decided", "decision"),
        Column("review_days", "float", "days", "decided - applied: preparation, queue and review", True),
        Column("outcome", "str", "", "approved, denied, withdrawn or pending"),
        *_day_pair("valid_from", "start of validity"),
        *_day_pair("valid_until", "end of validity"),
        *_day_pair("revoked", "revocation by a tighter regime"),
        Column("quantity_t", "float", "t", "contract quantity (contract licences)", True),
        Column("used_t", "float", "t", "exported under the licence"),
        Column("precedent", "bool", "", "the pair already held a case-reviewed approval"),
        Column("first_file", "bool", "", "the consignee's test case, before its first approval"),
        Column("lapsed_t", "float", "t", "contract quantity never exported before expiry"),
    ],
    "shipments": [
        REPLICATION,
        Column("order_id", "str", "", "order (lot) id"),
        Column("fab", "str", "", "buyer (fab id)"),
        Column("supplier", "str", "", "supplier id"),
        Column("origin", "str", "", "country of the supplier's plant"),
        Column("material", "str", "", "material id"),
        Column("grade", "str", "", "material grade"),
        Column("quantity_t", "float", "t", "quantity of the lot"),
        Column("value_usd", "float", "usd", "quantity x the material's unit value"),
        Column("state", "str", "", "awaiting_licence, in_production, in_transit, delivered, lapsed, denied, cancelled"),
        Column("licence_id", "str", "", "licence it shipped (or waits) under; 'pre-start' for the warm start"),
        *_day_pair("ordered", "order"),
        *_day_pair("exported", "left the supplier's gate"),
        *_day_pair("arrived", "cleared Korean customs (or delivered by road)"),
        *_day_pair("ended", "lapsed, denied or cancelled"),
        Column("lead_days", "float", "days", "arrived - ordered", True),
        Column("urgent", "bool", "", "pulled forward on a jump in perceived risk"),
    ],
    "daily": [
        REPLICATION,
        Column("day", "int", "days", "day since run.start_date"),
        Column("date", "date", "date", "the day as a date"),
        Column("fab", "str", "", "fab id"),
        Column("material", "str", "", "material id"),
        Column("grade", "str", "", "material grade"),
        Column("demand_t", "float", "t", "planned use"),
        Column("consumption_t", "float", "t", "used: planned use less ration savings, limited by stock"),
        Column("shortfall_t", "float", "t", "need not met"),
        Column("inventory_t", "float", "t", "stock at the end of the day"),
        Column("cover_days", "float", "days", "inventory / planned daily use"),
        Column("rationing", "int", "", "1 while the fab rations the grade"),
        Column("production_pct", "float", "pct", "fab output given this grade"),
        Column("fab_production_pct", "float", "pct", "fab output given all its inputs (the minimum)"),
        Column("perceived_risk", "float", "prob", "buyers' perceived risk of Japanese supply"),
    ],
    "imports_monthly": [
        REPLICATION,
        Column("month", "str", "month", "month of arrival (customs)"),
        Column("material", "str", "", "material id (HS code)"),
        Column("origin", "str", "", "foreign origin country"),
        Column("quantity_t", "float", "t", "tonnes imported that month"),
        Column("value_usd", "float", "usd", "value imported that month"),
    ],
}

SIMULATION_TABLES = tuple(DICTIONARY)


def columns(table: str) -> List[str]:
    return [c.name for c in DICTIONARY[table]]


def text_columns(table: str) -> List[str]:
    return [c.name for c in DICTIONARY[table] if c.dtype == "str"]


_PANDAS = {"int": "int64", "float": "float64", "str": "object", "bool": "bool",
           "date": "datetime64[ns]"}


def float_columns(table: str) -> List[str]:
    return [c.name for c in DICTIONARY[table] if c.dtype == "float"]


def as_stored_precision(values):
    """Floats as a run stores them (float32, read back as float64): what every reader of a run
    gets, so KPIs computed from the records in memory equal those recomputed from disk."""
    return np.asarray(values, dtype=np.float64).astype(np.float32).astype(np.float64)


def as_stored(table: str, df):
    """`df` (a DataFrame of `table`) with its floats rounded to the precision they are stored
    with (what a reader of the run gets back), so KPIs computed in memory equal those recomputed
    from disk."""
    return df.assign(**{c: as_stored_precision(df[c].to_numpy()) for c in float_columns(table)})


def dtypes(table: str) -> Dict[str, str]:
    """pandas dtypes of a table's columns."""
    return {c.name: _PANDAS[c.dtype] for c in DICTIONARY[table]}
