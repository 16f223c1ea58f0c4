"""Shipping lanes: how long goods take from a supplier's gate to a fab's store.

A lane is an origin and a mode (HF by sea in ISO tanks, photoresist and FPI by air, domestic by
road). Transit is triangular(min, mode, max) days; customs clearance adds a fixed number of days.
Korean customs records the import on the arrival (clearance) day. Domestic (KR) suppliers deliver
by road whatever the grade's import mode, so their lane is the KR lane with mode `road`.
"""
from __future__ import annotations

import math
from typing import List

import numpy as np

from simulator.config.params import LaneConf


class Lane:
    def __init__(self, lane_id: str, conf: LaneConf):
        self.id = lane_id
        self.origin = conf.origin
        self.mode = conf.mode
        # a transit time takes a uniform draw unless the lane's min and max agree
        self.random = conf.transit_days_max > conf.transit_days_min
        # read on every lot: held here, where the compiled model reads them directly, rather
        # than on the config's (interpreted) dataclass
        self._min_days = conf.transit_days_min
        self._mode_days = conf.transit_days_mode
        self._max_days = conf.transit_days_max
        self._customs_days = conf.customs_days

    @property
    def mean_days(self) -> float:
        return (self._min_days + self._mode_days + self._max_days) / 3.0 + self._customs_days

    def sample_days(self, draws: "UniformBlock") -> float:
        return self.days_at(draws.next() if self.random else 0.0)

    def days_at(self, u: float) -> float:
        """The transit time at uniform draw `u` (ignored by a lane that takes none). It inverts
        the triangular CDF with the very operations of numpy's `Generator.triangular`
        (random_triangular in numpy's distributions.c), so a draw from `Generator.random()` gives
        the number `triangular` would have from that stream position, bit for bit
        (tests/unit/test_units.py checks it): streams can be drawn a block at a time."""
        left, mode, right = self._min_days, self._mode_days, self._max_days
        if not self.random:
            return float(left + self._customs_days)
        base = right - left
        leftbase = mode - left
        if u <= leftbase / base:
            transit = left + math.sqrt(u * (leftbase * base))
        else:
            transit = right - math.sqrt((1.0 - u) * ((right - mode) * base))
        return float(transit + self._customs_days)


class UniformBlock:
    """A stream's uniform draws taken a block at a time: one numpy call per `size` draws rather
    than one per draw (a scalar draw costs ~1 us of call overhead, 7 % of a replication). Only
    for a stream that serves nothing else: drawing ahead then changes no draw."""

    def __init__(self, rng: np.random.Generator, size: int = 512):
        self.rng = rng
        self.size = size
        self._block: List[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        if i == len(self._block):
            self._block = self.rng.random(self.size).tolist()
            i = 0
        self._i = i + 1
        return self._block[i]


def find_lane(lanes: dict, origin: str, mode: str) -> Lane:
    for lane in lanes.values():
        if lane.origin == origin and lane.mode == mode:
            return lane
    raise KeyError(f"no lane from {origin} by {mode}")
