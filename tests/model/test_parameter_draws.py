"""Parameter uncertainty: replications draw the calibrated parameters from their posterior, the same
draw in every scenario, never a parameter a scenario changed; the backtest band widens with it."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.analysis.backtest import Observation, backtest
from simulator.config.params import CalibratedConf, CalibrationConf
from simulator.config.validation import ConfigError, validate
from simulator.experiment.parameter_draws import draw, draws_table

KEY = "licensing.individual.review_days_median"
SD = 15.0


def _world(uncertainty: bool, replications: int = 8):
    """Individual licensing from the shock with a deterministic review clock (the tiny world's)
    whose median is 'calibrated': 40 days, sd 15, bounds 10..90."""
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    p = tw.with_licensing(p, individual={"review_days_min": 10.0, "review_days_max": 90.0})
    cal = CalibrationConf(parameters={"review": CalibratedConf(key=KEY, value=tw.INDIVIDUAL_REVIEW_DAYS,
                                                               low=10.0, high=90.0)},
                          covariance={"review": {"review": SD ** 2}})
    p = dataclasses.replace(p, calibration=cal)
    return tw.with_run(p, replications=replications, parameter_uncertainty=uncertainty)


def test_each_replication_draws_within_the_bounds_and_the_same_in_every_scenario():
    p = _world(True)
    values = draws_table(p, list(range(8)))[KEY]
    assert values.nunique() == 8 and values.between(10.0, 90.0).all()
    assert values.std() == pytest.approx(SD, rel=0.6)
    # another scenario (a lift added) draws the same vector per replication: common random numbers
    other = tw.with_events(p, lift=tw.set_regime_event("2019-09-01", "bulk"))
    assert draws_table(other, list(range(8)))[KEY].equals(values)
    # off: the fit, every replication
    assert draw(_world(False), 3) == {}
    # a parameter a scenario set to another value is fixed there, not drawn
    fixed = tw.with_licensing(p, individual={"review_days_median": 55.0})
    assert draw(fixed, 3) == {}
    assert draws_table(fixed, [0, 1])[KEY].tolist() == [55.0, 55.0]


def test_the_backtest_band_widens_with_parameter_uncertainty():
    obs = [Observation(file="t", line=2, period="2019-04..2019-06", material="hf", origin="JP",
                       measure="tonnes", value=100.0, source="", confidence="H", note="")]

    def band(uncertainty):
        t = simulate(_world(uncertainty), workers=1).tables["imports_monthly"]
        row = backtest(t, obs).iloc[0]
        return row["band_high"] - row["band_low"]

    fixed, drawn = band(False), band(True)
    assert fixed == pytest.approx(0.0, abs=1e-6)  # the tiny world is deterministic
    assert drawn > 50.0  # licences come 10..90 days after the shock: months of imports move


def test_a_calibration_that_names_nothing_is_refused():
    p = _world(True)
    bad = copy.deepcopy(p)
    bad.calibration.parameters["review"].key = "licensing.individual.no_such_key"
    with pytest.raises(ConfigError, match="names no parameter"):
        validate(bad)
    asym = copy.deepcopy(p)
    asym.calibration.parameters["other"] = CalibratedConf(key="fab.risk_cover_days", value=0.0,
                                                          low=0.0, high=10.0)
    asym.calibration.covariance = {"review": {"review": 1.0, "other": 0.5},
                                   "other": {"other": 1.0, "review": 0.4}}
    with pytest.raises(ConfigError, match="not symmetric"):
        validate(asym)
    outside = copy.deepcopy(p)
    outside.calibration.parameters["review"].value = 95.0
    with pytest.raises(ConfigError, match="calibration.parameters.review.value"):
        validate(outside)
    assert np.isfinite(draws_table(p, [0])[KEY].iloc[0])
