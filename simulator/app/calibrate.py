"""Calibrate the behavioural parameters on the calibration set (OBSERVED.md), nothing else.

    python -m simulator calibrate [--replications 4] [--max-evaluations 60] [--out DIR]

What is fitted, and why only this: the few parameters of behaviour that no input source pins,

- `risk.half_life_days`: how long buyers remember a dispute (perceived risk decays to its floor);
- `sourcing.contract_term_days`: how long a switched source keeps its share (sticky switching);
- `fab.risk_cover_days`: how much buyers stockpile per unit of perceived risk;
- `finished_stock_days` of the Japanese makers (one value for all): how big the anticipatory rush
  can be (what exporters hold and ship before an effective date);
- `suppliers.rmqc_belgium.capacity_headroom`: how far the Belgian (JSR-imec) route outside Japanese
  licensing could stretch, which OBSERVED.md gives to pin that mechanism (Q3 2019 imports x5.5);
- `feedstock.t_per_t` of the Korean processors (one value for all): how much crude they import per
  tonne they make, which sets how far substitution moves Korea's HF imports from Japan to China
  (OBSERVED.md's 2021-22 shares of Japan, against its values, pin it).

The loss, on the scenario that replays the history (`lift_2023`), with common random numbers:
    sum over calibration-set rows of  w_conf x log(simulated mean / observed)^2
  + LOST_OUTPUT_WEIGHT x (fleet lost output %)^2            (OBSERVED.md: no fab lost output)
where w_conf is 1, 0.5, 0.25 for confidence H, M, L; a bound row (">=") counts only when the
simulated mean falls short of it. Rows of photoresist *values* are left out: the model holds
Korean demand flat, and Korea's resist purchases grew after 2019 (a level the model does not claim
to reproduce; its shares do not depend on it). No row of the validation window (2019-07 to
2020-12) is used except the one OBSERVED.md gives to size the Belgian route; the window is a
forecast, reported by the backtest, never tuned to.

The search is a bounded Nelder-Mead (scipy) on the parameters scaled to [0, 1] within their
bounds. It writes `calibration.json` (the fitted values, their bounds, whether any sits at a
bound, the loss and each row's fit) and prints the same. The defaults in configs/ are then set
from it by hand, each with the comment "calibrated: OBSERVED.md".
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.optimize import minimize

from simulator.analysis.backtest import OBSERVED_DIR, Observation, load_observed, simulated
from simulator.config.calendar import Calendar
from simulator.experiment import simulate
from simulator.config.hydra import compose_params

SCENARIO = "lift_2023"
CALIBRATION_FILE = OBSERVED_DIR / "calibration_set.csv"
CONFIDENCE_WEIGHT = {"H": 1.0, "M": 0.5, "L": 0.25}
LOST_OUTPUT_WEIGHT = 20.0  # per (% of output)^2: 0.2 % lost weighs like a 40 % miss of an H row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parameter:
    key: str  # a config key; "suppliers.JP.<field>" sets the field of every Japanese supplier
    low: float
    high: float


JAPANESE = "suppliers.JP."
PROCESSORS = "suppliers.processors."  # every supplier with an imported feedstock
PARAMETERS = (
    Parameter("risk.half_life_days", 30.0, 1500.0),
    Parameter("sourcing.contract_term_days", 0.0, 1095.0),
    Parameter("fab.risk_cover_days", 0.0, 600.0),
    Parameter(JAPANESE + "finished_stock_days", 0.0, 120.0),
    Parameter("suppliers.rmqc_belgium.capacity_headroom", 0.0, 10.0),
    Parameter(PROCESSORS + "feedstock.t_per_t", 0.0, 1.0),
)


def _tied(key: str, params) -> List[str] | None:
    """The suppliers a tied key sets, or None for a plain config key."""
    if key.startswith(JAPANESE):
        return [s for s, c in params.suppliers.items() if c.origin == "JP"]
    if key.startswith(PROCESSORS):
        return [s for s, c in params.suppliers.items() if c.feedstock.origin]
    return None


def _field(key: str) -> str:
    return key[len(JAPANESE):] if key.startswith(JAPANESE) else key[len(PROCESSORS):]


def overrides_for(values: Dict[str, float], params) -> List[str]:
    """Config overrides for parameter `values` (a tied key fans out to each of its suppliers)."""
    out = []
    for key, v in values.items():
        tied = _tied(key, params)
        if tied is None:
            out.append(f"{key}={v!r}")
        else:
            out += [f"suppliers.{s}.{_field(key)}={v!r}" for s in tied]
    return out


def used_rows(observations: Sequence[Observation]) -> List[Observation]:
    """The rows the loss uses (see the module docstring for the one exclusion)."""
    return [o for o in observations if not (o.material == "photoresist" and o.measure == "value_usd"
                                            and o.origin == "JP")]


def evaluate(values: Dict[str, float], observations: Sequence[Observation], replications: int,
             seed: int, workers: int = 0) -> Tuple[float, list, float]:
    """Loss, per-row fit and fleet lost output % for parameter `values`."""
    p = compose_params(SCENARIO, overrides_for(values, compose_params(SCENARIO)))
    res = simulate(p, replications=replications, seed=seed, workers=workers)
    daily = res.tables["daily"]
    shock = Calendar(p.run.start_date, p.run.end_date).day(p.metrics.shock_date)
    post = daily[daily["day"] >= shock].drop_duplicates(["replication", "fab", "day"])
    lost = float((100.0 - post["fab_production_pct"]).groupby(post["replication"]).mean().mean())
    loss = LOST_OUTPUT_WEIGHT * lost ** 2
    fit = []
    for o in observations:
        sims = simulated(res.tables["imports_monthly"], o)
        mean = float(np.nanmean(sims)) if sims is not None else math.nan
        miss = math.log(max(mean, 1e-9) / o.value) if o.value > 0 else 0.0
        if o.bound == ">=":
            miss = min(miss, 0.0)
        elif o.bound == "<=":
            miss = max(miss, 0.0)
        loss += CONFIDENCE_WEIGHT[o.confidence] * miss ** 2
        fit.append({"period": o.period, "material": o.material, "origin": o.origin,
                    "measure": o.measure, "observed": o.value, "simulated_mean": mean,
                    "log_miss": miss})
    return loss, fit, lost


def calibrate(replications: int, max_evaluations: int, seed: int, workers: int = 0) -> dict:
    observations = used_rows(load_observed(CALIBRATION_FILE))
    lows = np.array([q.low for q in PARAMETERS])
    highs = np.array([q.high for q in PARAMETERS])
    start = compose_params(SCENARIO)
    x0 = np.array([_get(start, q.key) for q in PARAMETERS], dtype=float)
    history = []

    def objective(z):
        values = {q.key: float(v) for q, v in zip(PARAMETERS, lows + np.clip(z, 0, 1) * (highs - lows))}
        loss, _, lost = evaluate(values, observations, replications, seed, workers)
        history.append({**values, "loss": loss, "lost_output_pct": lost})
        log.info("eval %3d: loss %8.4f  lost output %6.3f %%  %s", len(history), loss, lost,
                 "  ".join(f"{k.split('.')[-1]}={v:.4g}" for k, v in values.items()))
        return loss

    t0 = time.perf_counter()
    z0 = (np.clip(x0, lows, highs) - lows) / (highs - lows)
    result = minimize(objective, z0, method="Nelder-Mead", bounds=[(0, 1)] * len(PARAMETERS),
                      options={"maxfev": max_evaluations, "xatol": 0.01, "fatol": 1e-3,
                               "initial_simplex": _simplex(z0)})
    best = min(history, key=lambda h: h["loss"])
    values = {q.key: best[q.key] for q in PARAMETERS}
    loss, fit, lost = evaluate(values, observations, replications, seed, workers)
    at_bound = {q.key: bool(math.isclose(values[q.key], q.low, abs_tol=1e-6 * (q.high - q.low))
                            or math.isclose(values[q.key], q.high, abs_tol=1e-6 * (q.high - q.low)))
                for q in PARAMETERS}
    return {"scenario": SCENARIO, "replications": replications, "seed": seed,
            "loss": loss, "lost_output_pct": lost, "evaluations": len(history),
            "seconds": round(time.perf_counter() - t0, 1), "converged": bool(result.success),
            "parameters": {q.key: {"value": values[q.key], "low": q.low, "high": q.high,
                                   "start": float(x0[i]), "at_bound": at_bound[q.key]}
                           for i, q in enumerate(PARAMETERS)},
            "fit": fit, "history": history}


def _simplex(z0: np.ndarray) -> np.ndarray:
    """A start simplex of steps of a quarter of each range, pointing inwards."""
    pts = [z0]
    for i in range(len(z0)):
        z = z0.copy()
        z[i] = z[i] + 0.25 if z[i] <= 0.5 else z[i] - 0.25
        pts.append(z)
    return np.array(pts)


def _get(obj, dotted: str):
    tied = _tied(dotted, obj)
    if tied is not None:  # tied: the mean over its suppliers (which hold one value)
        values = []
        for s in tied:
            v = obj.suppliers[s]
            for part in _field(dotted).split("."):
                v = getattr(v, part)
            values.append(v)
        return sum(values) / len(values)
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def main(argv: Sequence[str] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator calibrate",
                                 description="Fit the behavioural parameters to OBSERVED.md.")
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--max-evaluations", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20190704)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("outputs") / "calibration")
    args = ap.parse_args(argv)
    doc = calibrate(args.replications, args.max_evaluations, args.seed, args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "calibration.json"
    path.write_text(json.dumps(doc, indent=1))
    print(f"\nloss {doc['loss']:.4f}, fleet lost output {doc['lost_output_pct']:.3f} %, "
          f"{doc['evaluations']} evaluations in {doc['seconds']} s")
    for k, v in doc["parameters"].items():
        flag = "  AT A BOUND" if v["at_bound"] else ""
        print(f"  {k:<45} {v['value']:10.4g}   (bounds {v['low']:g} .. {v['high']:g}){flag}")
    for row in doc["fit"]:
        print(f"  {row['period']:<17} {row['material']:<12} {row['origin']:<3} {row['measure']:<10}"
              f" observed {row['observed']:>12,.1f}  simulated {row['simulated_mean']:>12,.1f}")
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
