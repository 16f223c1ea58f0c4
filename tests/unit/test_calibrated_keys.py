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
