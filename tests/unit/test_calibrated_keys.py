"""Calibrated keys: a dotted path, or one whose segment lists names joined by `|` (a tied key)."""
from __future__ import annotations

import pytest

import tiny_world as tw
from simulator.config.calibrated import get_value, override_strings, paths, set_values


def test_a_listed_segment_fans_out_and_reads_the_mean():
    p = tw.with_cn_supplier(tw.tiny_params())
    key = "suppliers.jp_hf|cn_hf.capacity_headroom"
    assert paths(key) == ["suppliers.jp_hf.capacity_headroom", "suppliers.cn_hf.capacity_headroom"]
    assert get_value(p, key) == pytest.approx((tw.HEADROOM + 0.5) / 2)
    q = set_values(p, {key: 0.3, "risk.half_life_days": 77.0})
    assert q.suppliers["jp_hf"].capacity_headroom == 0.3 == q.suppliers["cn_hf"].capacity_headroom
    assert q.risk.half_life_days == 77.0
    assert p.suppliers["jp_hf"].capacity_headroom == tw.HEADROOM  # a copy: p is untouched
    assert override_strings({key: 0.3}) == ["suppliers.jp_hf.capacity_headroom=0.3",
                                              "suppliers.cn_hf.capacity_headroom=0.3"]
    # dictionaries are walked like fields
    assert get_value(p, "materials.hf.pre_shock_imports_t_per_month.JP|CN") == pytest.approx(300.0)
    with pytest.raises(KeyError):
        get_value(p, "suppliers.nobody.capacity_headroom")


def test_the_written_calibration_reads_back_as_floats():
    """A covariance entry that rounds to a whole number (237513) is written as a float: typed as a
    dict of floats, the config refuses an int, which once broke every run after a calibration."""
    from omegaconf import OmegaConf

    from simulator.app.calibrate import config_text
    from simulator.config.params import CalibrationConf

    doc = {"replications": 6, "loss": 1.0, "ensemble_proposals": 4, "ensemble_effective_size": 2.0,
           "parameters": {"a": {"key": "risk.half_life_days", "low": 30, "high": 1500, "sd": 487.0},
                          "b": {"key": "fab.risk_cover_days", "low": 0, "high": 600, "sd": 1.0}},
           "covariance": {"a": {"a": 237513.0, "b": -2.0}, "b": {"a": -2.0, "b": 1e-7}},
           "ensemble": {"a": [600.0, 892.0], "b": [341.0, 300.0]}}
    text = config_text(doc, {"a": 892.0, "b": 341.0})
    conf = OmegaConf.merge(OmegaConf.structured(CalibrationConf), OmegaConf.create(text))
    assert conf.covariance.a.a == 237513.0 and conf.covariance.b.b == 1e-7
    assert conf.parameters.a.value == 892.0
