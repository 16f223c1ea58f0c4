"""Calendar dates <-> simulation days. Day 0 is `run.start_date`; one SimPy time unit is one day."""
from __future__ import annotations

import datetime as dt

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
