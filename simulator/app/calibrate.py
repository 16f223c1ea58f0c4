"""Calibrate the behavioural parameters on the calibration set (OBSERVED.md), nothing else.

    python -m simulator calibrate [--max-evaluations 90] [--chain 200] [--write-config]

What is fitted, and why only this: the few parameters of behaviour that no input source pins,

- `risk.half_life_days`: how long buyers remember a dispute (perceived risk decays to its floor);
- `sourcing.contract_term_days`: how long a switched source keeps its share (sticky switching);
- `fab.risk_cover_days`: how much buyers stockpile per unit of perceived risk;
- `finished_stock_days` of the Japanese makers (one value for all): how much Korea-bound stock an
  exporter holds, which an anticipatory rush draws on as fast as each maker's lane takes it;
- `suppliers.rmqc_belgium.capacity_headroom`: how far the Belgian (JSR-imec) route outside Japanese
  licensing could stretch, which OBSERVED.md gives to pin that mechanism (Q3 2019 imports x5.5);
- `feedstock.t_per_t` of the Korean processors (one value for all): how much crude they import per
  tonne they make, which sets how far substitution moves Korea's HF imports from Japan to China;
- `sourcing.home_bias`: how much Korean buyers prefer a qualified Korean source over an import at
  equal cost (FACTS.md: the 2019-08-05 materials, parts and equipment programme);
- `materials.fpi.other_goods_share`: how much of the broad FPI customs line (HSK 3906.90.9000) is
  other polymers that the curbs never touched (FACTS.md: "no clean code"), which OBSERVED.md's 2022
  share of Japan in that line pins.

The loss, on the scenario that replays the history (`lift_2023`), with common random numbers and
the parameters held at the point evaluated (no parameter uncertainty):
    sum over calibration-set rows of  (log(simulated mean / observed) / sigma_grade)^2
  + (fleet lost output % / LOST_OUTPUT_SIGMA_PCT)^2             (OBSERVED.md: no fab lost output)
where sigma_grade = log(1 + metrics.observation_tolerance[grade]) (H, M, L): the same tolerance the
backtest draws around each observation; a bound row (">=") counts only when missed. Rows of
photoresist *values* from Japan are left out: the fabs' use follows wafer area (fab.output_indices),
but resist use and value per wafer rose after 2019 (EUV, more patterning layers), which no input
carries. No row of the validation window (2019-07 to 2020-12) is used except the one OBSERVED.md
gives to size the Belgian route; the window is a forecast, reported by the backtest, never tuned to.

The search is a bounded Nelder-Mead (scipy) on the parameters scaled to [0, 1] within their
bounds, then (`--chain N`) a Metropolis chain from its fit (simulator/app/posterior.py); the lowest
point of both is the fit. Around it the posterior exp(-loss / 2) is approximated by a normal
(Laplace, Gauss-Newton): covariance = (J'J + I)^-1 in scaled units, J the residuals' Jacobian by
forward differences and I a weak prior of one standard deviation per range; its standard
deviations say which parameters the calibration set pins down. `--write-config` also writes
configs/calibration/default.yaml (runs draw from it: `run.parameter_uncertainty`); set the others by hand.
"""
from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.optimize import minimize

from simulator.app.posterior import importance_ensemble, laplace, metropolis
from simulator.analysis.backtest import OBSERVED_DIR, Observation, load_observed, simulated
from simulator.config.calendar import Calendar
from simulator.config.calibrated import TIE, get_value, override_strings
from simulator.config.hydra import compose_params
from simulator.experiment import simulate

SCENARIO = "lift_2023"
CALIBRATION_FILE = OBSERVED_DIR / "calibration_set.csv"
CONFIG_FILE = Path(__file__).resolve().parents[2] / "configs" / "calibration" / "default.yaml"
LOST_OUTPUT_SIGMA_PCT = 0.02  # "no measurable loss": 0.02 % of the fleet's output is one sigma

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parameter:
    name: str  # its name in configs/calibration
    key: str  # a config key or a tied key (simulator/config/calibrated.py)
    low: float
    high: float


# {stockholders}: the Japanese makers that keep Korea-bound finished goods at all (FPI film is made
# to order); {processors}: the Korean makers on imported crude. Each group shares one value.
SPECS = (
    Parameter("half_life", "risk.half_life_days", 30.0, 1500.0),
    Parameter("contract_term", "sourcing.contract_term_days", 0.0, 1095.0),
    Parameter("risk_cover", "fab.risk_cover_days", 0.0, 600.0),
    Parameter("finished_stock", "suppliers.{stockholders}.finished_stock_days", 1.0, 120.0),
    Parameter("belgian_headroom", "suppliers.rmqc_belgium.capacity_headroom", 0.0, 10.0),
    Parameter("crude_per_tonne", "suppliers.{processors}.feedstock.t_per_t", 0.0, 1.0),
    Parameter("home_bias", "sourcing.home_bias", 0.5, 5.0),
    Parameter("fpi_other_goods", "materials.fpi.other_goods_share.JP|ROW", 0.0, 0.95),
)


def resolve(start) -> tuple:
    """The parameters with their supplier groups named (from the default world `start`)."""
    groups = {"stockholders": TIE.join(s for s, c in start.suppliers.items()
                                       if c.origin == "JP" and c.finished_stock_days > 0),
              "processors": TIE.join(s for s, c in start.suppliers.items() if c.feedstock.origin)}
    return tuple(Parameter(q.name, q.key.format(**groups), q.low, q.high) for q in SPECS)


# replications per evaluation: 12, not 6: members chosen on 6 lost output in replications they had
# not seen (the optimiser's curse on scenario noise); on 12 the actual history's loss stays ~0
REPLICATIONS = 12


@functools.lru_cache(maxsize=1)
def parameters() -> tuple:
    return resolve(compose_params(SCENARIO))


def used_rows(observations: Sequence[Observation]) -> List[Observation]:
    """The rows the loss uses (see the module docstring for the one exclusion)."""
    return [o for o in observations if not (o.material == "photoresist" and o.measure == "value_usd"
                                            and o.origin == "JP")]


def residuals(values: Dict[str, float], observations: Sequence[Observation], replications: int,
              seed: int, workers: int = 0) -> Tuple[np.ndarray, list, float]:
    """Residuals (each row's log miss over its sigma, then lost output over its sigma), the
    per-row fit, and fleet lost output %, at parameter `values` (key -> value)."""
    p = compose_params(SCENARIO, override_strings(values) + ["run.parameter_uncertainty=false"])
    res = simulate(p, replications=replications, seed=seed, workers=workers)
    daily = res.tables["daily"]
    shock = Calendar(p.run.start_date, p.run.end_date).day(p.metrics.shock_date)
    post = daily[daily["day"] >= shock].drop_duplicates(["replication", "fab", "day"])
    lost = float((100.0 - post["fab_production_pct"]).groupby(post["replication"]).mean().mean())
    tolerance = p.metrics.observation_tolerance
    out, fit = [], []
    for o in observations:
        sims = simulated(res.tables["imports_monthly"], o)
        mean = float(np.nanmean(sims)) if sims is not None else math.nan
        miss = math.log(max(mean, 1e-9) / o.value) if o.value > 0 else 0.0
        if o.bound == ">=":
            miss = min(miss, 0.0)
        elif o.bound == "<=":
            miss = max(miss, 0.0)
        sigma = math.log1p(tolerance[o.confidence])
        out.append(miss / sigma)
        fit.append({"period": o.period, "material": o.material, "origin": o.origin,
                    "measure": o.measure, "observed": o.value, "simulated_mean": mean,
                    "log_miss": miss, "sigma": sigma})
    out.append(lost / LOST_OUTPUT_SIGMA_PCT)
    return np.array(out), fit, lost


def _values(z: np.ndarray) -> Dict[str, float]:
    return {q.key: q.low + float(np.clip(v, 0, 1)) * (q.high - q.low) for q, v in zip(parameters(), z)}


def identifiability(cov_scaled: np.ndarray) -> Dict[str, dict]:
    """Per parameter: posterior sd as a share of its range and a verdict: pinned (< 10 %),
    weakly pinned (10-30 %), not pinned by the calibration set (> 30 %: the prior's range)."""
    out = {}
    sd = np.sqrt(np.diag(cov_scaled))
    corr = cov_scaled / np.outer(sd, sd)
    for i, q in enumerate(parameters()):
        share = float(sd[i])
        verdict = "pinned" if share < 0.10 else "weakly pinned" if share < 0.30 else "not pinned"
        partner = max((j for j in range(len(parameters())) if j != i), key=lambda j: abs(corr[i, j]))
        out[q.name] = {"sd_share_of_range": share, "verdict": verdict,
                       "most_correlated_with": parameters()[partner].name,
                       "correlation": float(corr[i, partner])}
    return out


def calibrate(replications: int, max_evaluations: int, seed: int, workers: int = 0,
              proposals: int = 48, members: int = 32, at: Dict[str, float] = None,
              chain: int = 0) -> dict:
    """The fit (Nelder-Mead from the configs' defaults, or with `at` (key -> value) that point
    without a search; then, with `chain`, the lowest point of a Metropolis chain of that many
    steps from it: simulator/app/posterior.py), its Laplace posterior and an importance-resampled
    ensemble."""
    observations = used_rows(load_observed(CALIBRATION_FILE))
    lows = np.array([q.low for q in parameters()])
    highs = np.array([q.high for q in parameters()])
    start = compose_params(SCENARIO)
    x0 = np.array([get_value(start, q.key) for q in parameters()], dtype=float)
    history = []

    def resid(z) -> np.ndarray:
        return residuals(_values(z), observations, replications, seed, workers)[0]

    def objective(z):
        r, _, lost = residuals(_values(z), observations, replications, seed, workers)
        loss = float(r @ r)
        history.append({**_values(z), "loss": loss, "lost_output_pct": lost})
        log.info("eval %3d: loss %8.3f  lost output %6.3f %%  %s", len(history), loss, lost,
                 "  ".join(f"{q.name}={v:.4g}" for q, v in zip(parameters(), _values(z).values())))
        return loss

    t0 = time.perf_counter()
    z0 = (np.clip(x0, lows, highs) - lows) / (highs - lows)
    converged = _search(objective, z0, max_evaluations, at)
    best, zb, accepted = _walk_on(history, resid, objective, chain)
    r0, fit, lost = residuals(_values(zb), observations, replications, seed, workers)
    jac, cov_z = laplace(zb, r0, resid)
    scale = highs - lows
    cov = cov_z * np.outer(scale, scale)
    def loss_at(z) -> float:
        r = resid(z)
        return float(r @ r)

    sample, weights, ess = importance_ensemble(zb, cov_z, loss_at, proposals, members, seed)
    ensemble = lows + sample * scale
    return {"scenario": SCENARIO, "replications": replications, "seed": seed,
            "loss": float(r0 @ r0), "lost_output_pct": lost, "evaluations": len(history),
            "seconds": round(time.perf_counter() - t0, 1), "converged": converged,
            "chain_steps": chain, "chain_accepted": accepted,
            "parameters": {q.name: {"key": q.key, "value": float(best[q.key]), "low": q.low,
                                    "high": q.high, "start": float(x0[i]),
                                    "sd": float(math.sqrt(cov[i, i])),
                                    "at_bound": bool(zb[i] < 1e-6 or zb[i] > 1 - 1e-6)}
                           for i, q in enumerate(parameters())},
            "covariance": {a.name: {b.name: float(cov[i, j]) for j, b in enumerate(parameters())}
                           for i, a in enumerate(parameters())},
            "identifiability": identifiability(cov_z),
            "ensemble": {q.name: ensemble[:, i].tolist() for i, q in enumerate(parameters())},
            "ensemble_effective_size": ess, "ensemble_proposals": proposals,
            "jacobian_rows": [f"{f['period']} {f['material']} {f['origin']} {f['measure']}"
                              for f in fit] + ["fleet lost output"],
            "jacobian": jac.tolist(), "fit": fit, "history": history}


def _walk_on(history: List[dict], resid, objective, chain: int) -> tuple:
    """The search's fit; with `chain` > 0, the lowest point of it and a Metropolis chain of that
    many steps from it (its Laplace normal sets the steps). Also: the moves the chain took."""
    if chain <= 0:
        return (*_best(history), 0)
    _, z = _best(history)
    r = resid(z)
    accepted = metropolis(z, float(r @ r), laplace(z, r, resid)[1], objective, chain)[2]
    return (*_best(history), accepted)


def _best(history: List[dict]) -> Tuple[dict, np.ndarray]:
    """The lowest point evaluated so far, and it in scaled units."""
    best = min(history, key=lambda h: h["loss"])
    return best, np.array([(best[q.key] - q.low) / (q.high - q.low) for q in parameters()])


def _search(objective, z0: np.ndarray, max_evaluations: int, at: Dict[str, float] = None) -> bool:
    """Nelder-Mead from `z0` (scaled units); with `at`, only that point is evaluated. Returns
    whether the search converged."""
    if at is not None:
        objective(np.array([(at[q.key] - q.low) / (q.high - q.low) for q in parameters()]))
        return False
    result = minimize(objective, z0, method="Nelder-Mead", bounds=[(0, 1)] * len(z0),
                      options={"maxfev": max_evaluations, "xatol": 0.01, "fatol": 1e-2,
                               "initial_simplex": _simplex(z0)})
    return bool(result.success)


def _simplex(z0: np.ndarray) -> np.ndarray:
    """A start simplex of steps of a quarter of each range, pointing inwards."""
    pts = [z0]
    for i in range(len(z0)):
        z = z0.copy()
        z[i] = z[i] + 0.25 if z[i] <= 0.5 else z[i] - 0.25
        pts.append(z)
    return np.array(pts)


def _float(v: float, digits: int = 6) -> str:
    """`v` to `digits` significant digits, always read back as a float (OmegaConf refuses an
    int where a dict of floats is typed: 237513 must be written 237513.0)."""
    text = f"{v:.{digits}g}"
    return text if any(c in text for c in ".eEn") else text + ".0"


def config_text(doc: dict, values: Dict[str, float]) -> str:
    """configs/calibration/default.yaml: the fit (as rounded into the configs: `values`, name ->
    value), its bounds and the Laplace covariance, each line citing its source."""
    lines = ["# The calibrated parameters and the Laplace approximation of their posterior, written by",
             "# `python -m simulator calibrate --write-config` (simulator/app/calibrate.py) from the",
             f"# calibration set (OBSERVED.md; {doc['replications']} replications, loss {doc['loss']:.2f}).",
             "# With run.parameter_uncertainty each replication draws these from N(value, covariance),",
             "# clipped to [low, high] (simulator/experiment/parameter_draws.py). `value` is each default",
             "# in configs/ as set from the fit.",
             "parameters:"]
    for name, q in doc["parameters"].items():
        lines.append(f"  {name}: {{key: {q['key']}, value: {values[name]:.6g}, low: {q['low']:g}, "
                     f"high: {q['high']:g}}}   # calibrated: OBSERVED.md (sd {q['sd']:.3g})")
    lines.append("covariance:                # calibrated: OBSERVED.md (Laplace approximation, natural units)")
    for a, row in doc["covariance"].items():
        cells = ", ".join(f"{b}: {_float(v)}" for b, v in row.items())
        lines.append(f"  {a}: {{{cells}}}")
    lines.append(f"ensemble:                  # calibrated: OBSERVED.md (importance-resampled from the Laplace "
                 f"normal, {doc['ensemble_proposals']} proposals, effective size "
                 f"{doc['ensemble_effective_size']:.1f})")
    for a, members in doc["ensemble"].items():
        q = doc["parameters"][a]
        clipped = [min(max(float(f"{v:.4g}"), q["low"]), q["high"]) for v in members]
        lines.append(f"  {a}: [{', '.join(repr(v) for v in clipped)}]")  # floats, as typed
    return "\n".join(lines) + "\n"


def _print_fit(doc: dict, members: int) -> None:
    print(f"\nloss {doc['loss']:.3f}, fleet lost output {doc['lost_output_pct']:.3f} %, "
          f"{doc['evaluations']} evaluations in {doc['seconds']} s (chain: {doc['chain_accepted']} "
          f"of {doc['chain_steps']} steps taken); ensemble of {members} from "
          f"{doc['ensemble_proposals']} proposals, effective size {doc['ensemble_effective_size']:.1f}")
    for name, v in doc["parameters"].items():
        flag = "  AT A BOUND" if v["at_bound"] else ""
        ident = doc["identifiability"][name]
        print(f"  {v['key']:<42} {v['value']:10.4g} sd {v['sd']:9.3g}  (bounds {v['low']:g} .. "
              f"{v['high']:g}) {ident['verdict']}{flag}")
    for row in doc["fit"]:
        print(f"  {row['period']:<17} {row['material']:<12} {row['origin']:<3} {row['measure']:<10}"
              f" observed {row['observed']:>12,.1f}  simulated {row['simulated_mean']:>12,.1f}")


def main(argv: Sequence[str] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator calibrate",
                                 description="Fit the behavioural parameters to OBSERVED.md.")
    ap.add_argument("--replications", type=int, default=REPLICATIONS)
    ap.add_argument("--max-evaluations", type=int, default=90)
    ap.add_argument("--seed", type=int, default=20190704)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("outputs") / "calibration")
    ap.add_argument("--proposals", type=int, default=48,
                    help="points drawn from the Laplace normal for the importance resampling")
    ap.add_argument("--members", type=int, default=32, help="ensemble members kept")
    ap.add_argument("--at", type=Path, default=None,
                    help="a calibration.json: take its fit and skip the search (posterior only)")
    ap.add_argument("--chain", type=int, default=0,
                    help="then a Metropolis chain of this many steps from the fit; its lowest "
                         "point becomes the fit (simulator/app/posterior.py; README: 200)")
    ap.add_argument("--write-config", action="store_true",
                    help=f"also write {CONFIG_FILE.relative_to(CONFIG_FILE.parents[2])} from the fit")
    args = ap.parse_args(argv)
    def refuse(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    for name, value, least in (("--replications", args.replications, 1), ("--chain", args.chain, 0),
                               ("--proposals", args.proposals, 1), ("--members", args.members, 1)):
        if value < least:
            return refuse(f"{name} must be at least {least}, got {value}")
    if args.max_evaluations < 1 and args.at is None:
        return refuse(f"--max-evaluations must be at least 1, got {args.max_evaluations}")
    at = None
    if args.at is not None:
        try:
            at = {v["key"]: v["value"] for v in json.loads(args.at.read_text())["parameters"].values()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return refuse(f"--at {args.at}: not a calibration.json ({exc})")
        missing = [q.key for q in parameters() if q.key not in at]
        if missing:
            return refuse(f"--at {args.at}: no value for {', '.join(missing)}")
    doc = calibrate(args.replications, args.max_evaluations, args.seed, args.workers,
                    args.proposals, args.members, at, args.chain)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "calibration.json"
    path.write_text(json.dumps(doc, indent=1))
    _print_fit(doc, args.members)
    if args.write_config:  # the fit to three significant digits: set the defaults in configs/ to these
        values = {n: float(f"{v['value']:.3g}") for n, v in doc["parameters"].items()}
        CONFIG_FILE.parent.mkdir(parents=True, exist_ok=True)
        CONFIG_FILE.write_text(config_text(doc, values))
        print(f"-> {CONFIG_FILE}; set each default in configs/ to its value: "
              + ", ".join(f"{doc['parameters'][n]['key']}={v:g}" for n, v in values.items()))
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
