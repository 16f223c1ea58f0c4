"""Policy search from one command:

    python -m simulator search [NAME] [--replications R] [--workers W]

answers "the smallest value of a parameter (initial cover, say) for which no fab loses output
in at least `goal_share` of replications", from `configs/search/NAME.yaml`, by bisection.

The same question also runs as a Hydra sweep with Optuna (hydra/sweeper=policy_search,
simulator/app/objective.py). Why bisection is the one to quote: the question is a threshold on a criterion that only improves as
the parameter grows (more stock never makes a fab run short sooner), and with common random
numbers (every evaluation uses the same replication indices and seed) the criterion is a
deterministic step function of the parameter; bisection finds its step in log2(range /
tolerance) evaluations, each certain to narrow the bracket. A black-box optimiser (Optuna's TPE,
hydra-optuna-sweeper) would minimise a penalised objective by sampling, spending evaluations
away from the step and giving no bracket. The check at both ends says whether the answer lies in
the range at all.

Writes `outputs/search/NAME/<timestamp>/`: `evaluations.csv` (each value tried, the share of
replications without loss and its Wilson 95 % interval, whether it met the goal) and
`result.md` (the answer, its bracket and the evaluations it took).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path
from typing import List, Optional, Sequence

import pandas as pd
from scipy.stats import binomtest

from simulator.analysis.metrics import replication_kpis, wide
from simulator.app.sensitivity import point_params
from simulator.config.hydra import ROOT, compose_params
from simulator.config.specs import SearchSpec, load_search, spec_path
from simulator.config.validation import ConfigError
from simulator.experiment import simulate

log = logging.getLogger(__name__)
CONFIG_DIR = ROOT / "configs" / "search"
LOSS = "lost_production_pct[all|all]"  # mean over fabs of output lost: 0 = no fab lost any


def load_spec(name: str, replications: Optional[int] = None) -> SearchSpec:
    """configs/search/NAME.yaml (or a path), typed and checked (simulator/config/specs.py)."""
    return load_search(spec_path(CONFIG_DIR, name), replications)


def search(name: str, replications: Optional[int], workers: int, out_root: Path) -> Path:
    spec = load_spec(name, replications)
    base = compose_params(spec.scenario, spec.overrides)
    reps = spec.replications
    base = dataclasses.replace(base, run=dataclasses.replace(base.run, replications=reps))
    key, goal = spec.parameter, spec.goal_share
    tolerance = spec.tolerance
    point_params(base, [key], [spec.low])  # an unknown parameter is refused before any run
    rows: List[dict] = []

    def meets(value: float) -> bool:
        p = point_params(base, [key], [value])
        kpis = wide(replication_kpis(p, simulate(p, workers=workers).tables))
        ok = int((kpis[LOSS] <= 0).sum())
        ci = binomtest(ok, reps).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = ci.low, ci.high
        met = ok / reps >= goal
        rows.append({key: value, "replications": reps, "without_loss": ok,
                     "share_without_loss": ok / reps, "wilson95_low": low, "wilson95_high": high,
                     "meets_goal": met})
        log.info("%s = %g: no loss in %d of %d replications (%s)", key, value, ok, reps,
                 "meets the goal" if met else "short of it")
        return met

    lo, hi = spec.low, spec.high
    if not meets(hi):
        answer, bracket = None, (hi, None)
    elif meets(lo):
        answer, bracket = lo, (None, lo)
    else:
        while hi - lo > tolerance:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if meets(mid) else (mid, hi)
        answer, bracket = hi, (lo, hi)

    out = out_root / Path(name).stem / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    out.mkdir(parents=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "evaluations.csv", index_label="evaluation", float_format="%.6g")
    (out / "result.md").write_text(_result(spec, name, key, goal, reps, answer, bracket, table,
                                           base.world.buyer))
    return out


def _result(spec, name, key, goal, reps, answer, bracket, table, buyer: str = "fab") -> str:
    if answer is None:
        what = (f"Not reached in the range: even at {key} = {bracket[0]:g}, fewer than "
                f"{goal:.0%} of replications kept every {buyer} running.")
    elif bracket[0] is None:
        what = f"Already met at the low end of the range: {key} = {answer:g} suffices."
    else:
        what = (f"**{key} = {answer:g}** is the smallest value found for which no {buyer} loses output "
                f"in at least {goal:.0%} of {reps} replications (the threshold lies between "
                f"{bracket[0]:g}, short of the goal, and {bracket[1]:g}).")
    lines = [f"# Policy search: {name}", "",
             f"Scenario `{spec.scenario}` with {', '.join(f'`{o}`' for o in spec.overrides)}. "
             f"Bisection over {key} in [{spec.low}, {spec.high}] to within "
             f"{spec.tolerance:g}; every evaluation runs the same {reps} replications "
             f"(common random numbers).", "", what, "",
             f"{len(table)} evaluations:", "",
             f"| {key} | no loss in | share (Wilson 95 % CI) | meets goal |", "|---|---|---|---|"]
    for d in table.to_dict("records"):
        lines.append(f"| {d[key]:g} | {d['without_loss']} of {d['replications']} | "
                     f"{d['share_without_loss']:.2f} ({d['wilson95_low']:.2f} to {d['wilson95_high']:.2f}) | "
                     f"{'yes' if d['meets_goal'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator search",
                                 description="the smallest parameter value meeting a goal, by "
                                             "bisection: configs/search/NAME.yaml")
    ap.add_argument("name", nargs="?", default="default",
                    help="configs/search/NAME.yaml, or a path to such a file")
    ap.add_argument("--replications", type=int, help="per evaluation (default: the config's)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=str(ROOT / "outputs" / "search"))
    args = ap.parse_args(argv)
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    out = search(args.name, args.replications, args.workers, Path(args.out))
    print((out / "result.md").read_text().split("\n\n")[2])
    print(f"-> {out}")
    return 0
