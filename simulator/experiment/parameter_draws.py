"""Parameter uncertainty: each replication draws the calibrated parameters from their posterior.

The calibration (`python -m simulator calibrate`) fits a few behavioural parameters and writes
their posterior into `configs/calibration/default.yaml`: the fit, the bounds it searched, the Laplace
approximation's covariance and a sample (an ensemble importance-resampled from that normal with the
calibration loss as likelihood). With `run.parameter_uncertainty` (the default), replication r
draws one member of the ensemble (without one: a vector from the normal, clipped to the bounds), on
its own stream ("calibration"), so replication r draws the same vector in every scenario (common random
numbers) and a run's spread holds both scenario noise and what the calibration set leaves
uncertain. A parameter a scenario or an override set to another value than the fit is not drawn.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np
import pandas as pd

from simulator.config.calibrated import get_value, posterior, set_values
from simulator.config.params import Params
from simulator.model.streams import stream

STREAM = "calibration"


def draw(params: Params, replication: int) -> Dict[str, float]:
    """Replication `replication`'s values of the drawn parameters: key -> value ({} when off)."""
    if not params.run.parameter_uncertainty:
        return {}
    names, mean, cov, low, high, ensemble = posterior(params)
    if not names:
        return {}
    rng = stream(params.run.seed, replication, STREAM)
    if ensemble:  # a member of the importance-resampled posterior sample
        k = int(rng.integers(len(ensemble[0])))
        x = np.array([column[k] for column in ensemble])
    else:  # the Laplace approximation, clipped to the calibration's bounds
        x = rng.multivariate_normal(np.asarray(mean, float), np.asarray(cov, float), method="eigh")
    x = np.clip(x, low, high)
    keys = [params.calibration.parameters[n].key for n in names]
    return dict(zip(keys, (float(v) for v in x)))


def for_replication(params: Params, replication: int) -> Params:
    """`params` as replication `replication` runs them."""
    values = draw(params, replication)
    return set_values(params, values) if values else params


def draws_table(params: Params, replications: List[int]) -> pd.DataFrame:
    """One row per replication, one column per calibrated key: the value it ran with (drawn, or
    the fixed value), for a run directory's `parameter_draws.csv`."""
    keys = [q.key for q in params.calibration.parameters.values()]
    rows = []
    for r in replications:
        drawn = draw(params, r)
        rows.append({"replication": r, **{k: drawn.get(k, get_value(params, k)) for k in keys}})
    return pd.DataFrame(rows, columns=["replication", *keys])
