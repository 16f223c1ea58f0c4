"""Entry point: compose the config (Hydra) -> typed params -> replications -> run directory.

    python run.py scenario=curbs_2019
    python run.py -m scenario=baseline,curbs_2019 fab.initial_cover_days=30,60

Configuration errors are reported as one line naming the key and the value, with exit code 2,
before Hydra creates any output directory.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from simulator.config import hydra as hydra_config
from simulator.config.validation import ConfigError

EXIT_CONFIG_ERROR = 2
EXIT_RUN_ERROR = 1


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(cfg: DictConfig) -> None:
    from simulator.app.pipeline import execute

    hc = HydraConfig.get()
    scenario = hc.runtime.choices["scenario"]
    try:
        params = hydra_config.to_params(cfg, scenario)
    except ConfigError as exc:
        _fail(str(exc), EXIT_CONFIG_ERROR)
    out = Path(hc.runtime.output_dir)
    started = time.perf_counter()
    try:
        execute(params, out, hydra_config.config_hash(cfg), overrides=list(hc.overrides.task))
    except Exception as exc:  # recorded in FAILED.txt with its traceback; one line here
        _fail(f"run failed while writing {out}: {type(exc).__name__}: {exc} (see FAILED.txt)",
              EXIT_RUN_ERROR)
    print(f"{scenario}: {params.run.replications} replications in "
          f"{time.perf_counter() - started:.1f} s -> {out}")


if __name__ == "__main__":
    try:
        hydra_config.register()
    except ConfigError as exc:
        _fail(str(exc), EXIT_CONFIG_ERROR)
    problem = hydra_config.check_command_line(sys.argv[1:])
    if problem:
        _fail(problem, EXIT_CONFIG_ERROR)
    main()
