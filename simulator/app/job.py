"""One run of run.py, and the checks before Hydra starts: the body behind run.py's @hydra.main.

`preflight(argv)` is everything that can refuse a command line before Hydra creates a directory
(the config, Hydra's settings, the output directory, the scenario files, data/observed); `run_job`
is one run or one sweep job. run.py holds only the entry point and its one failure path.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from simulator.config import hydra as hydra_config
from simulator.config.validation import ConfigError

EXIT_CONFIG_ERROR = 2
EXIT_RUN_ERROR = 1
HELP_FLAGS = ("--help", "-h", "--hydra-help", "--info", "--cfg", "-c")

log = logging.getLogger("run")


class JobFailed(SystemExit):
    """A single run that failed: one line, and its exit code."""


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise JobFailed(code)


def _parallel_launcher(hc) -> bool:
    target = str(hc.launcher.get("_target_", ""))
    return "joblib" in target or "submitit" in target


def run_job(cfg: DictConfig):
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
    log.info("%s: %d replications in %.1f s -> %s", scenario, read_info(out).replications,
             time.perf_counter() - started, out)
    return objective(params, out)  # None unless run.objective is set (a sweeper's policy search)


def skip_mode_composition(argv: Sequence[str]) -> None:
    """Hydra composes the whole config once only to read `hydra.mode` (Hydra.get_mode), then
    again to run: ~0.35 s of every run (benchmarks/benchmark.py --users). This project's configs
    never set hydra.mode (tests/app/test_start_up.py checks every scenario), so the mode is what
    the command line says, -m or not: what Hydra itself concludes from a mode of None. A command
    line that sets hydra.mode keeps Hydra's own lookup. (hydra-core is pinned below 1.4; the
    test compares this with Hydra's answer.)"""
    if any(a.lstrip("+~").startswith("hydra.mode") for a in argv):
        return
    from hydra._internal.hydra import Hydra
    Hydra.get_mode = _mode_from_command_line


def _mode_from_command_line(self, config_name, overrides):
    return None  # Hydra's _run_app: None -> RUN, or MULTIRUN under -m/--multirun


def observed_problem() -> Optional[str]:
    """Every run ends with its backtest: a malformed file in data/observed/ is refused before the
    run starts (one line), not after its replications."""
    from simulator.analysis.backtest import ObservedDataError, every_world_file, load_observed
    try:
        for path in every_world_file():
            load_observed(path)
    except ObservedDataError as exc:
        return str(exc)
    return None


def broken_scenarios_text() -> str:
    """With --help: the scenario files that cannot be used, and why (the others still run)."""
    broken = hydra_config.broken_scenarios()
    if not broken:
        return ""
    lines = ["Broken scenario files (fix them to use them; every other scenario runs):"]
    lines += [f"  {name}: {problem}" for name, problem in broken.items()]
    return "\n".join(lines) + "\n"


def help_text(argv: Sequence[str]) -> str:
    """run.py --help, answered without Hydra's help machinery (which builds a config repository
    per group option: ~2 s): the header, every config group and its options, the scenarios (and
    any broken file), and every key of the composed config with its value, then the footer."""
    from omegaconf import OmegaConf

    overrides = [a for a in argv if a not in ("--help", "-h", "-m", "--multirun")]
    scenario = next((a.split("=", 1)[1].strip("'\"") for a in overrides
                     if a.startswith("scenario=")), hydra_config.DEFAULT_SCENARIO)
    rest = [a for a in overrides if not a.startswith("scenario=")]
    cfg = hydra_config.compose_config(scenario, rest, with_hydra=True)
    root = hydra_config.CONFIG_DIR
    groups = sorted({p.parent.relative_to(root).as_posix() for p in root.rglob("*.yaml")
                     if p.parent != root} - {"sensitivity", "search"})  # specs, not groups
    header, footer = str(cfg.hydra.help.header).rstrip(), str(cfg.hydra.help.footer).rstrip()
    lines = [header, "", "== Config groups (GROUP=OPTION; Hydra's own plugins add options: --hydra-help) =="]
    for g in groups:
        options = sorted(p.stem for p in (root / g).glob("*.yaml"))
        lines.append(f"{g}: {', '.join(options)}")
    by_world: dict = {}
    for name in hydra_config.scenario_names():
        by_world.setdefault(hydra_config.scenario_world(name), []).append(name)
    lines.append("scenario: " + "; ".join(f"{', '.join(names)} (world={w})"
                                          for w, names in sorted(by_world.items())))
    broken = broken_scenarios_text()
    if broken:
        lines += ["", broken.rstrip()]
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra", None)
    lines += ["", f"== Config (scenario={scenario}; override any key with key=value) ==",
              OmegaConf.to_yaml(cfg).rstrip(), "", footer]
    return "\n".join(lines)


def preflight(argv: Sequence[str]) -> Optional[str]:
    """A one-line error for a command line that cannot run, or None: checked before Hydra
    creates anything. --help is answered here (help_text) and exits."""
    try:
        hydra_config.register()
    except ConfigError as exc:
        return str(exc)
    if any(a in ("--help", "-h") for a in argv):
        try:
            print(help_text(argv))
        except ConfigError as exc:
            return str(exc)
        raise SystemExit(0)
    problem = hydra_config.check_command_line(argv)
    if problem:
        return problem
    if not any(a.split("=")[0] in HELP_FLAGS for a in argv):
        return observed_problem()
    return None
