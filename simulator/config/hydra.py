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
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from simulator.config.command_line import argv_problem, split_flags, unquote
from simulator.config.output_dir import output_dir_problem
from simulator.config.params import Params
from simulator.config.validation import ConfigError, validate

ROOT = Path(__file__).resolve().parents[2]  # the repository: simulator/<layer>/this file
CONFIG_DIR = ROOT / "configs"
SCENARIO_DIR = ROOT / "scenarios"

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
_SCENARIO_KEYS = set(_FIELDS) - {"scenario_name"} | {"defaults"}
# `${name:...}` calls a resolver (oc.env reads the environment, oc.decode parses text): config
# values are data, so only plain references to other keys (`${run.end_date}`) are honoured
_RESOLVER = re.compile(r"\$\{\s*[A-Za-z_][\w.]*\s*:")


def resolver_problem(container, where: str = "") -> Optional[str]:
    """A one-line refusal if any value in `container` (an unresolved plain container) calls a
    resolver; the value is quoted as written, never resolved (it could hold a secret)."""
    items = container.items() if isinstance(container, dict) else enumerate(container) \
        if isinstance(container, list) else ()
    for key, value in items:
        path = f"{where}.{key}" if where else str(key)
        if isinstance(value, (dict, list)):
            found = resolver_problem(value, path)
            if found:
                return found
        elif isinstance(value, str) and _RESOLVER.search(value):
            name = _RESOLVER.search(value).group(0)[2:-1].strip()
            return (f"{path} = {value!r} calls the resolver {name}: config and scenario values are "
                    f"data, not code; write the value itself")
    return None


def _load_scenario(path: Path) -> DictConfig:
    """One scenario file, checked as data: YAML, a mapping of config keys, no resolvers."""
    where = f"scenarios/{path.name}"
    try:
        node = OmegaConf.load(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}{at}: not valid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError, OmegaConfBaseException) as exc:
        raise ConfigError(f"{where}: cannot be read: {one_line(exc)}") from None
    if node is None or not isinstance(node, DictConfig):
        raise ConfigError(f"{where} must be a mapping of config keys")
    unknown = sorted(str(k) for k in node.keys() if k not in _SCENARIO_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]} is not a config key (known: "
                          f"{', '.join(sorted(_SCENARIO_KEYS))})")
    raw = OmegaConf.to_container(node, resolve=False)
    problem = resolver_problem(raw)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    defaults = raw.get("defaults", [])
    if not isinstance(defaults, list) or not all(isinstance(d, (str, dict)) for d in defaults):
        raise ConfigError(f"{where}: defaults must be a list of scenario names, got {defaults!r}")
    # the saved config (.hydra/config.yaml) names the scenario run; a scenario built on another
    # overrides the name it inherits because its own values come after (_self_ last)
    node.scenario_name = path.stem
    return node


def _builds_on(node: DictConfig) -> List[str]:
    return [d for d in OmegaConf.to_container(node, resolve=False).get("defaults", [])
            if isinstance(d, str) and d != "_self_"]


def load_scenarios(directory: Path = SCENARIO_DIR):
    """({name: node} of the usable scenarios, {name: problem} of the broken ones) in `directory`.
    A file is broken if it fails `_load_scenario`, or if its defaults name a missing or broken
    scenario or lead back to itself (Hydra would recurse without end)."""
    nodes: Dict[str, DictConfig] = {}
    broken: Dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            nodes[path.stem] = _load_scenario(path)
        except ConfigError as exc:
            broken[path.stem] = str(exc)

    def chain_problem(name: str, trail: List[str]) -> Optional[str]:
        for parent in _builds_on(nodes[name]):
            if parent in trail + [name]:
                cycle = " -> ".join(trail + [name, parent])
                return (f"defaults include {parent} itself ({cycle})" if parent == name
                        else f"defaults lead back to {parent} ({cycle})")
            if parent in broken:
                return f"builds on scenarios/{parent}.yaml, which is broken"
            if parent not in nodes:
                return f"defaults name scenario {parent!r}, which is not in scenarios/"
            found = chain_problem(parent, trail + [name])
            if found:
                return found
        return None

    for name in list(nodes):
        problem = chain_problem(name, [])
        if problem:
            broken[name] = f"scenarios/{name}.yaml: {problem}"
    for name in broken:
        nodes.pop(name, None)
    return nodes, broken


_scenarios: Dict[str, DictConfig] = {}
_broken: Dict[str, str] = {}


def register() -> None:
    """Register the schema, the usable scenarios and the resolvers the hydra section uses
    (idempotent). Broken scenario files are left out and listed by `broken_scenarios`."""
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Params)
    nodes, broken = load_scenarios()
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


def one_line(exc: BaseException) -> str:
    """Hydra/OmegaConf errors are multi-line with hints; keep what names the key and the value."""
    parts = []
    seen = set()
    e: Optional[BaseException] = exc
    while e is not None:
        text = " ".join(line.strip() for line in str(e).splitlines()
                        if line.strip() and not line.strip().startswith(("full_key:", "object_type=",
                                                                         "reference_type=",
                                                                         "To append",
                                                                         "Set the environment")))
        text = text.rstrip(".")
        if "$VALUE" in text or "$KEY" in text or text == "None":  # templates and empty causes
            text = ""
        key = getattr(e, "full_key", None)
        if key and key not in text:
            text = f"{key}: {text}"
        if text and not any(text in earlier for earlier in seen):
            parts.append(text)
            seen.add(text)
        e = e.__cause__ or e.__context__
    text = "; ".join(parts) or type(exc).__name__
    # Hydra's "Could not find 'run/x'" ends with its whole config search path: name the options
    missing = re.search(r"Could not find '([^']+)/([^'/]+)'.*?Available options in '[^']+':\s*(.*?)"
                        r"(?:\s*Config search path.*)?$", text)
    if missing:
        group, option, available = missing.groups()
        return f"{group}={option}: no such option of {group} (available: {available.strip() or 'none'})"
    # OmegaConf cannot add an entry to a mapping of typed entries (timeline, suppliers, ...) from
    # the command line; a scenario file can
    added = re.search(r"override \+?([\w.]+)=(.).*Invalid type assigned: dict is not a "
                      r"subclass of (\w+)", text)
    if added:
        key, first, kind = added.groups()
        entry = key if first == "{" else key.rsplit(".", 1)[0]
        return (f"{entry}: a new {kind} cannot be added from the command line; add it in a "
                f"scenario file (scenarios/NAME.yaml)")
    # OmegaConf names its schema classes ('Params', 'MaterialConf'), which mean nothing to a
    # reader: name the key as written instead
    unknown = re.search(r"Could not override '([\w.]+)'.*?Key '(\w+)' (?:not in|is not in)", text)
    if unknown:
        override, key = unknown.groups()
        parts = override.split(".")
        head = ".".join(parts[:parts.index(key)]) if key in parts else ""
        where = f"in {head}" if head else "at the top level"
        return f"{override}: no key '{key}' {where} (check the spelling; run.py --cfg job lists the keys)"
    return re.sub(r"\s*Config search path:.*$", "", text)


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
