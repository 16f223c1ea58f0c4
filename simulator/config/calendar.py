"""Calendar dates <-> simulation days. Day 0 is `run.start_date`; one SimPy time unit is one day."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

DAYS_PER_MONTH = 365.25 / 12  # monthly flows (customs data) -> daily rates


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(str(text))


class Calendar:
    def __init__(self, start_date: str, end_date: str):
        self.start = parse_date(start_date)
        self.end = parse_date(end_date)
        # the run covers every day from start to end inclusive
        self.horizon_days = (self.end - self.start).days + 1

    def day(self, date: str | dt.date) -> int:
        d = parse_date(date) if isinstance(date, str) else date
        return (d - self.start).days

    def date(self, day: float) -> dt.date:
        return self.start + dt.timedelta(days=int(np.floor(day)))

    def iso(self, day: float) -> str:
        return self.date(day).isoformat()

    def contains(self, date: str | dt.date) -> bool:
        return 0 <= self.day(date) < self.horizon_days

    def dates(self, days) -> np.ndarray:
        """Vectorised day index -> numpy datetime64[D]."""
        base = np.datetime64(self.start.isoformat(), "D")
        return base + np.floor(np.asarray(days, dtype=float)).astype("timedelta64[D]")

    def months(self, days) -> np.ndarray:
        """Months since the start date's month of each day index (of its floor), as int64: read
        from a table of the run's days where they all fall in the run (a lookup costs a tenth of
        converting 20k dates to months, twice a replication), else converted."""
        day = np.floor(np.asarray(days, dtype=float))
        table = _month_table(self.start, self.horizon_days)
        if ((day >= 0) & (day < len(table))).all():
            return table[day.astype(np.int64)]
        first = np.datetime64(self.start, "M")
        return (self.dates(days).astype("datetime64[M]") - first).astype(np.int64)


@lru_cache(maxsize=8)
def _month_table(start: dt.date, days: int) -> np.ndarray:
    """Months since `start`'s month of each of the `days` days from `start`."""
    dates = np.datetime64(start, "D") + np.arange(days).astype("timedelta64[D]")
    table = (dates.astype("datetime64[M]") - np.datetime64(start, "M")).astype(np.int64)
    table.flags.writeable = False  # shared by every caller
    return table
