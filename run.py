"""Entry point: compose the config (Hydra) -> typed params -> replications -> run directory.

    python run.py scenario=curbs_2019
    python run.py -m scenario=baseline,curbs_2019 fab.initial_cover_days=30,60

Configuration errors are reported as one line naming the key and the value, with exit code 2,
before Hydra creates any output directory.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from simulator.config import hydra as hydra_config
from simulator.config.validation import ConfigError

EXIT_CONFIG_ERROR = 2
EXIT_RUN_ERROR = 1


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


log = logging.getLogger("run")


def _parallel_launcher(hc) -> bool:
    target = str(hc.launcher.get("_target_", ""))
    return "joblib" in target or "submitit" in target


@hydra.main(version_base="1.3", config_path="configs", config_name="config")
def main(cfg: DictConfig):
    """One run; in a sweep (-m), one job. A job's failure is recorded in its folder (FAILED.txt)
    and listed in the sweep summary; it never stops the other jobs. A job whose folder already
    holds a complete run of the same config is skipped (a re-run sweep finishes what is missing)."""
    from simulator.app.objective import FAILED, objective
    from simulator.app.pipeline import execute, record_failure
    from simulator.store.run_dir import begin_failure_record, run_complete

    hc = HydraConfig.get()
    in_sweep = hc.mode == RunMode.MULTIRUN
    scenario = hc.runtime.choices["scenario"]
    out = Path(hc.runtime.output_dir)
    digest = hydra_config.config_hash(cfg)
    if in_sweep and run_complete(out, digest):
        log.info("%s: complete already (same config), skipped", out.name)
        return objective(hydra_config.to_params(cfg, scenario), out)
    try:  # before anything that can fail: a kill from here on leaves a record that says so
        begin_failure_record(out)
    except OSError as exc:
        message = f"cannot write in {out}: {type(exc).__name__}: {exc}"
        if not in_sweep:
            _fail(message, EXIT_RUN_ERROR)
        log.error(message)
        return FAILED if cfg.get("run", {}).get("objective") else None
    try:
        params = hydra_config.to_params(cfg, scenario)
    except ConfigError as exc:
        record_failure(out, f"ConfigError: {exc}")
        if not in_sweep:
            _fail(str(exc), EXIT_CONFIG_ERROR)
        log.error("%s: %s", out.name, exc)
        return FAILED if cfg.get("run", {}).get("objective") else None
    # jobs launched in parallel (hydra/launcher=parallel, submitit) already use the cores: their
    # replications run in one process unless run.workers was set
    workers = 1 if in_sweep and params.run.workers == 0 and _parallel_launcher(hc) else None
    started = time.perf_counter()
    try:
        execute(params, out, digest, overrides=list(hc.overrides.task), workers=workers)
    except Exception as exc:  # recorded in FAILED.txt with its traceback; one line here
        message = f"run failed while writing {out}: {type(exc).__name__}: {exc} (see FAILED.txt)"
        if not in_sweep:
            _fail(message, EXIT_RUN_ERROR)
        log.error(message)
        return objective(params, None)
    from simulator.store.run_dir import read_info
    log.info("%s: %d replications in %.1f s -> %s", scenario, read_info(out)["replications"],
             time.perf_counter() - started, out)
    return objective(params, out)  # None unless run.objective is set (a sweeper's policy search)


def observed_problem():
    """Every run ends with its backtest: a malformed file in data/observed/ is refused before the
    run starts (one line), not after its replications."""
    from simulator.analysis.backtest import ObservedDataError, default_files, load_observed
    try:
        for path in default_files():
            load_observed(path)
    except ObservedDataError as exc:
        return str(exc)
    return None


def _list_broken_scenarios() -> None:
    """With --help: the scenario files that cannot be used, and why (the others still run)."""
    broken = hydra_config.broken_scenarios()
    if broken:
        print("Broken scenario files (fix them to use them; every other scenario runs):")
        for name, problem in broken.items():
            print(f"  {name}: {problem}")
        print()


if __name__ == "__main__":
    try:
        hydra_config.register()
    except ConfigError as exc:
        _fail(str(exc), EXIT_CONFIG_ERROR)
    if any(a in ("--help", "-h") for a in sys.argv[1:]):
        _list_broken_scenarios()
    problem = hydra_config.check_command_line(sys.argv[1:])
    if problem:
        _fail(problem, EXIT_CONFIG_ERROR)
    if not any(a.split("=")[0] in ("--help", "-h", "--hydra-help", "--info", "--cfg", "-c")
               for a in sys.argv[1:]):
        problem = observed_problem()
        if problem:
            _fail(problem, EXIT_CONFIG_ERROR)
    main()
