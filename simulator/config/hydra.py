"""The one module below run.py that knows Hydra and OmegaConf.

- registers the typed schema (`Params`) as `base_config`;
- registers every `scenarios/*.yaml` as an option of the `scenario` group (package `_global_`), so
  `scenario=NAME` works from any working directory and a new YAML file is a new scenario;
- composes a config and turns it into validated `Params`;
- turns every configuration error into one line that names the key and the value.
(The end-of-sweep comparison is a Hydra callback in `simulator.app.callbacks`.)
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Dict, List, Optional, Sequence

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from simulator.config.command_line import argv_problem, split_flags, unquote
from simulator.config.errors import one_line
from simulator.config.output_dir import output_dir_problem
from simulator.config.params import Params
from simulator.config.scenarios import (DEFAULT_WORLD, load_scenarios,  # noqa: F401 (re-exported)
                                        resolver_problem)
from simulator.config.validation import ConfigError, validate
from simulator.config.paths import ROOT

CONFIG_DIR = ROOT / "configs"

DEFAULT_SCENARIO = "curbs_2019"  # keep in step with configs/config.yaml

_registered = False


def scenario_names() -> List[str]:
    """The scenarios that can be run: every file in scenarios/ except the broken ones."""
    register()
    return sorted(_scenarios)


def broken_scenarios() -> Dict[str, str]:
    """name -> one line saying what is wrong, for every file in scenarios/ that cannot be used.
    A broken draft breaks only itself (and the scenarios that build on it)."""
    register()
    return dict(_broken)


_FIELDS = tuple(f.name for f in dataclasses.fields(Params))
_scenarios: Dict[str, DictConfig] = {}
_broken: Dict[str, str] = {}
_world_of: Dict[str, str] = {}  # scenario -> the world it belongs to (its folder)


def scenario_world(scenario: str) -> str:
    """The world a scenario belongs to: scenarios/NAME.yaml the default, scenarios/W/NAME.yaml W."""
    register()
    return _world_of.get(scenario, DEFAULT_WORLD)


def world_problem(scenario: str, world: str) -> Optional[str]:
    """One line if `scenario` is another world's, else None."""
    own = scenario_world(scenario)
    if own == world:
        return None
    mine = [s for s in scenario_names() if scenario_world(s) == world]
    return (f"scenario={scenario} is a scenario of world {own}, not of {world}: add world={own}"
            + (f" (world {world}'s scenarios: {', '.join(mine)})" if mine else ""))


def register() -> None:
    """Register the schema, the usable scenarios and the resolvers the hydra section uses
    (idempotent). Broken scenario files are left out and listed by `broken_scenarios`."""
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Params)
    nodes, broken = load_scenarios(worlds=_world_of)
    _scenarios.update(nodes)
    _broken.update(broken)
    for name, node in nodes.items():
        cs.store(group="scenario", name=name, node=node, package="_global_")
    if not OmegaConf.has_resolver("project_root"):
        OmegaConf.register_new_resolver("project_root", lambda: str(ROOT))
    if not OmegaConf.has_resolver("job_dir"):
        OmegaConf.register_new_resolver("job_dir", job_dir)
    _registered = True


def unknown_scenario(name: str) -> str:
    """The one-line refusal of `scenario=name`, for a broken or a missing file."""
    broken = broken_scenarios()
    if name in broken:
        return f"scenario={name}: {broken[name]}"
    return f"scenario={name}: unknown scenario (known: {', '.join(scenario_names())})"


_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._=,+-")
MAX_JOB_DIR = 60


def job_dir(override_dirname: str) -> str:
    """A sweep job's folder from its overrides (Hydra's `override_dirname`: sorted `key=value`
    joined by `,`): the scenario, then each other override by the last part of its key
    (`baseline,initial_cover_days=30`), filesystem-safe on every OS, cut to 60 characters, and a
    hash of the full overrides after `~` whenever the name is not the overrides verbatim, so two
    jobs with different overrides never share a folder. The same overrides give the same folder
    in every sweep: that is what lets a re-run sweep skip the jobs it completed."""
    text = str(override_dirname)
    if not text:
        return "defaults"
    items = text.split(",")
    scenario = [i.split("=", 1)[1] for i in items if i.startswith("scenario=")]
    rest = [f"{i.split('=', 1)[0].split('.')[-1]}={i.split('=', 1)[1]}" if "=" in i else i
            for i in items if not i.startswith("scenario=")]
    name = "".join(c if c in _SAFE else "-" for c in ",".join(scenario + rest))[:MAX_JOB_DIR]
    if name != text:
        name += "~" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return name


def to_params(cfg: DictConfig, scenario: str) -> Params:
    """Composed config -> validated Params. Raises ConfigError with a one-line message."""
    unknown = sorted(str(k) for k in cfg.keys() if k not in _FIELDS)
    if unknown:  # `+foo=1` adds a key the schema cannot check (and the model would never read)
        raise ConfigError(f"{unknown[0]}: not a config key (top-level keys: {', '.join(_FIELDS)})")
    problem = resolver_problem(OmegaConf.to_container(cfg, resolve=False))
    if problem:
        raise ConfigError(problem)
    try:
        params = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        raise ConfigError(one_line(exc)) from None
    params.scenario_name = scenario
    problem = world_problem(scenario, params.world.name) if scenario in _world_of else None
    if problem:
        raise ConfigError(problem)
    validate(params)
    return params


def compose_config(scenario: str = DEFAULT_SCENARIO, overrides: Sequence[str] = (),
                   with_hydra: bool = False) -> DictConfig:
    """The composed config of `scenario` with `overrides` (and Hydra's own node if asked)."""
    register()
    if scenario not in scenario_names():
        raise ConfigError(unknown_scenario(scenario))
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name="config", overrides=[f"scenario={scenario}", *overrides],
                           return_hydra_config=with_hydra)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra wraps composition errors in several exception types
        raise ConfigError(one_line(exc)) from None


def compose_params(scenario: str = DEFAULT_SCENARIO, overrides: Sequence[str] = ()) -> Params:
    """Compose `scenario` with `overrides` as run.py would, without running anything."""
    return to_params(compose_config(scenario, overrides), scenario)


def _hydra_problem(overrides: Sequence[str]) -> Optional[str]:
    """A one-line error if Hydra's own config does not take `overrides` (hydra.*, hydra/...)."""
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
    except Exception as exc:
        return one_line(exc)
    return None


def config_hash(cfg: DictConfig) -> str:
    """Hash of everything that shapes results; run.workers only decides how they are computed."""
    cfg = OmegaConf.merge(cfg, {"run": {"workers": 0}})
    text = OmegaConf.to_yaml(cfg, resolve=True, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- checking a command line before Hydra runs it ------------------------------------------
_HYDRA_FLAGS_WITHOUT_CHECK = ("--help", "-h", "--hydra-help", "--info",
                              "--shell-completion",
                              "--config-path", "-cp", "--config-name", "-cn", "--config-dir",
                              "-cd", "--experimental-rerun", "--version")


def _parse(args: Sequence[str]):
    """The overrides parsed one at a time, so a message names the one that does not parse (then
    that message is returned instead)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    parsed = []
    for arg in args:
        try:
            parsed += parser.parse_overrides([arg])
        except Exception as exc:
            reason = one_line(exc).split(" See https://")[0]
            return (f"{arg}: not a valid override ({reason}); write key=value, e.g. "
                    f"fab.initial_cover_days=30 (https://hydra.cc/docs/advanced/override_grammar/basic)")
    return parsed


def check_command_line(argv: Sequence[str]) -> Optional[str]:
    """Compose the command line's overrides and validate them. Returns a one-line error, or None
    if the command line is sound. For a sweep (-m) only the first value of each override is
    checked here (a mistake there, an unknown key or a bad file, would fail every job); a bad
    value further down a sweep list fails its own job, which the sweep summary lists, and the
    other jobs run."""
    _, argv = split_flags(argv)  # --cfg job and kin: the overrides beside them are checked
    if any(a.split("=")[0] in _HYDRA_FLAGS_WITHOUT_CHECK for a in argv):
        return None
    problem = argv_problem(argv)
    if problem:
        return problem
    args = [a for a in argv if a not in ("-m", "--multirun")]
    register()
    parsed = _parse(args)
    if isinstance(parsed, str):
        return parsed
    sweep = any(a in ("-m", "--multirun") for a in argv)
    where = {o.key_or_group: o.get_value_element_as_str() for o in parsed
             if o.key_or_group in ("hydra.run.dir", "hydra.sweep.dir")}
    key = "hydra.sweep.dir" if sweep else "hydra.run.dir"
    problem = output_dir_problem(key, where.get(key, str(ROOT / "outputs")))
    if problem:
        return problem
    # Hydra's own settings (launcher, job, ...): composed to check them; a sweeper's search
    # space (hydra.sweeper.*) is the sweeper's to read, and a sweep checks its first value
    hydra_args = [(f"{o.input_line.split('=', 1)[0]}={next(iter(o.sweep_string_iterator()))}"
                   if o.is_sweep_override() else o.input_line) for o in parsed
                  if o.key_or_group.startswith("hydra") and not o.key_or_group.startswith(
                      ("hydra.run.dir", "hydra.sweep.dir", "hydra.sweeper."))]
    problem = _hydra_problem(hydra_args) if hydra_args else None
    if problem:
        return problem
    choices = []
    for o in parsed:
        if o.key_or_group.startswith("hydra"):
            continue
        values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.get_value_element_as_str()]
        prefix = o.input_line.split("=", 1)[0]
        choices.append([f"{prefix}={v}" for v in values])
    # every value of every override, each combined with the first value of the others
    combos = [[c[0] for c in choices]]
    for i, options in enumerate([] if sweep else choices):
        for v in options[1:]:
            combos.append([*(c[0] for c in choices[:i]), v, *(c[0] for c in choices[i + 1:])])
    try:
        for combo in combos:
            scenario = next((unquote(c.split("=", 1)[1]) for c in combo
                             if c.startswith("scenario=")), DEFAULT_SCENARIO)
            rest = [c for c in combo if not c.startswith("scenario=")]
            compose_params(scenario, rest)
    except ConfigError as exc:
        return str(exc)
    return None
