"""What a run returns to a Hydra sweeper, for a policy search run as a sweep:

    python run.py -m hydra/sweeper=policy_search run.objective=smallest_meeting_goal ...

`smallest_meeting_goal`: the value of `run.objective_parameter` (e.g. the initial cover), plus
1e6 times how far the share of replications in which no fab loses any output falls short of
`run.objective_goal`. Minimised by the sweeper (Optuna's TPE in configs/hydra/sweeper/
policy_search.yaml), any value that meets the goal beats every value that does not, so the best
trial is the smallest value found that meets it. Computed from the run's replications.csv, so a
job skipped as complete on a re-run returns the same number.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

from simulator.config.params import Params
from simulator.store.run_dir import read_replications

LOSS = "lost_production_pct[all|all]"
PENALTY = 1e6
FAILED = 1e12  # a job that failed: worse than any run


def share_without_loss(run_dir: Path) -> float:
    reps = read_replications(run_dir)
    return float((reps[LOSS] <= 0).mean())


def objective(params: Params, run_dir: Optional[Path]) -> Optional[float]:
    """The number a sweeper minimises, or None when `run.objective` is empty."""
    run = params.run
    if not run.objective:
        return None
    if run_dir is None:
        return FAILED
    value = float(functools.reduce(lambda obj, key: obj[key] if isinstance(obj, dict)
                                   else getattr(obj, key), run.objective_parameter.split("."),
                                   params))
    shortfall = max(0.0, run.objective_goal - share_without_loss(run_dir))
    return value + PENALTY * shortfall
