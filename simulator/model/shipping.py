"""Shipping lanes: how long goods take from a supplier's gate to a fab's store.

A lane is an origin and a mode (HF by sea in ISO tanks, photoresist and FPI by air, domestic by
road). Transit is triangular(min, mode, max) days; customs clearance adds a fixed number of days.
Korean customs records the import on the arrival (clearance) day. Domestic (KR) suppliers deliver
by road whatever the grade's import mode, so their lane is the KR lane with mode `road`.
"""
from __future__ import annotations

import numpy as np

from simulator.config.params import LaneConf


class Lane:
    def __init__(self, lane_id: str, conf: LaneConf):
        self.id = lane_id
        self.origin = conf.origin
        self.mode = conf.mode
        self.conf = conf

    @property
    def mean_days(self) -> float:
        c = self.conf
        return (c.transit_days_min + c.transit_days_mode + c.transit_days_max) / 3.0 + c.customs_days

    def sample_days(self, rng: np.random.Generator) -> float:
        c = self.conf
        if c.transit_days_max <= c.transit_days_min:
            transit = c.transit_days_min
        else:
            transit = rng.triangular(c.transit_days_min, c.transit_days_mode, c.transit_days_max)
        return float(transit + c.customs_days)


def find_lane(lanes: dict, origin: str, mode: str) -> Lane:
    for lane in lanes.values():
        if lane.origin == origin and lane.mode == mode:
            return lane
    raise KeyError(f"no lane from {origin} by {mode}")
