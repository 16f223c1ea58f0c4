"""Write the golden tables of the tiny world (tests/golden/<table>.csv) from the current model.

    python tests/golden/regenerate.py

Run it only for a deliberate model change, and say so in the commit: tests/test_golden.py fails on
any difference, value for value, so an unintended change in any table shows up in review.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: the tiny world

import tiny_world as tw  # noqa: E402
from simulator import simulate  # noqa: E402

FLOAT_FORMAT = "%.17g"  # exact round trip of a double


def golden_params():
    """Individual licensing from the shock, a lift four months later, a Chinese source and a
    Korean processor on Chinese crude that passes an emergency trial: every mechanism once."""
    import copy
    import dataclasses
    from simulator.config.params import FeedstockConf, QualificationConf
    p = tw.with_cn_supplier(tw.tiny_params(), cn_t_per_month=100.0, headroom=0.5)
    p = tw.with_kr_supplier(p, start_date=tw.SHOCK_DATE, ramp={tw.START_DATE: 200.0},
                            qualification=QualificationConf(required=True, mean_days=60.0, cv=0.3,
                                                            success_prob=0.9, emergency_share=0.5,
                                                            emergency_days=14.0))
    p = copy.deepcopy(p)
    p.suppliers["kr_hf"].feedstock = FeedstockConf(origin="CN", t_per_t=0.5)
    p.suppliers["jp_hf"].finished_stock_days = 20.0
    p.suppliers["jp_hf"].dispatch_factor = 3.0
    p = tw.with_events(p, to_individual=tw.set_regime_event(tw.SHOCK_DATE, "individual"),
                       lift=tw.set_regime_event("2019-07-01", "bulk"))
    return dataclasses.replace(p, run=dataclasses.replace(p.run, replications=2, seed=2019))


def tables():
    return simulate(golden_params(), workers=1).tables


if __name__ == "__main__":
    for name, df in tables().items():
        df.to_csv(HERE / f"{name}.csv", index=False, float_format=FLOAT_FORMAT)
        print(f"{name}: {len(df)} rows -> {HERE / f'{name}.csv'}")
