"""Entry point: compose the config (Hydra) -> typed params -> replications -> run directory.

    python run.py scenario=curbs_2019
    python run.py -m scenario=baseline,curbs_2019 fab.initial_cover_days=30,60

A command line that cannot run is refused in one line naming the key and the value, exit code 2,
before Hydra creates any output directory (simulator/app/job.py: preflight); a run that fails is
one line, exit code 1, with its traceback in the run's FAILED.txt.
"""
from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from simulator.app.errors import exit_now
from simulator.app.job import EXIT_CONFIG_ERROR, preflight, run_job, skip_mode_composition


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(cfg: DictConfig):
    return run_job(cfg)


if __name__ == "__main__":
    problem = preflight(sys.argv[1:])
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    skip_mode_composition(sys.argv[1:])
    main()
    exit_now(0)  # done and written: no interpreter teardown to wait for
