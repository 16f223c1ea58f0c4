"""Scenario files as data: scenarios/NAME.yaml (the default world's) and scenarios/WORLD/NAME.yaml
(another world's), each checked before Hydra sees it: YAML, a mapping of config keys, no
resolvers, and defaults that name usable scenarios without a cycle. A broken draft breaks only
itself (and the scenarios built on it); config/hydra.py registers the rest.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from simulator.config.errors import ConfigError, one_line
from simulator.config.params import Params
from simulator.config.paths import ROOT

SCENARIO_DIR = ROOT / "scenarios"
DEFAULT_WORLD = "japan_korea"  # keep in step with configs/config.yaml: scenarios/*.yaml are its
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


def load_scenario(path: Path) -> DictConfig:
    """One scenario file, checked as data: YAML, a mapping of config keys, no resolvers."""
    where = f"scenarios/{path.relative_to(path.parents[1]).as_posix()}" \
        if path.parent.name != SCENARIO_DIR.name else f"scenarios/{path.name}"
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


def builds_on(node: DictConfig) -> List[str]:
    return [d for d in OmegaConf.to_container(node, resolve=False).get("defaults", [])
            if isinstance(d, str) and d != "_self_"]


def load_scenarios(directory: Path = SCENARIO_DIR, worlds: Optional[Dict[str, str]] = None):
    """({name: node} of the usable scenarios, {name: problem} of the broken ones) in `directory`:
    its files (the default world's) and those of its sub-folders (one per other world, named
    after it). `worlds`, if given, receives scenario -> world.
    A file is broken if it fails `_load_scenario`, or if its defaults name a missing or broken
    scenario or lead back to itself (Hydra would recurse without end)."""
    nodes: Dict[str, DictConfig] = {}
    broken: Dict[str, str] = {}
    worlds = {} if worlds is None else worlds
    paths = sorted(Path(directory).glob("*.yaml")) + sorted(Path(directory).glob("*/*.yaml"))
    for path in paths:
        world = DEFAULT_WORLD if path.parent == Path(directory) else path.parent.name
        if path.stem in worlds and worlds[path.stem] != world:
            broken[path.stem] = (f"scenarios/{path.stem}.yaml: the name is taken in two worlds "
                                 f"({worlds[path.stem]} and {world}); rename one")
            continue
        worlds[path.stem] = world
        try:
            nodes[path.stem] = load_scenario(path)
        except ConfigError as exc:
            broken[path.stem] = str(exc)

    def chain_problem(name: str, trail: List[str]) -> Optional[str]:
        for parent in builds_on(nodes[name]):
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


