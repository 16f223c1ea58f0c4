"""Typed experiment specs: configs/sensitivity/NAME.yaml and configs/search/NAME.yaml.

A spec file is data, read like the config: YAML with no object tags (`yaml.safe_load`), into a
dataclass whose fields say what each key is; an unknown key, a wrong type, a value out of range or
a missing key is one `ConfigError` naming the file, the key and the value. Command-line options
that override a spec (`--samples`, `--replications`) go through the same checks: 0 is refused,
never silently replaced by the spec's value.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from simulator.config.errors import ConfigError, number

MAX_SAMPLES = 2 ** 16
MAX_REPLICATIONS = 100_000


@dataclass
class SensitivitySpec:
    scenario: str
    parameters: Dict[str, Tuple[float, float]]  # key -> (low, high), uniform
    outputs: List[str]  # KPI columns of replications.csv: kpi[fab|item]
    overrides: List[str] = field(default_factory=list)
    samples: int = 32  # N base points, a power of 2
    replications: int = 2
    seed: int = 0


@dataclass
class SearchSpec:
    scenario: str
    parameter: str
    low: float
    high: float
    goal_share: float
    overrides: List[str] = field(default_factory=list)
    tolerance: float = 1.0
    replications: int = 20


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML (or a tag a spec may not use): "
                          f"{' '.join(str(getattr(exc, 'problem', exc)).split())}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a spec is a mapping of keys, got {type(doc).__name__}")
    return doc


def _number(where: str, value, *, integer=False, lo=None, hi=None, lo_open=False) -> float:
    """The config's number check (errors.number), the value converted to int or float."""
    value = number(where, value, integer=integer, lo=lo, hi=hi, lo_open=lo_open)
    return int(value) if integer else float(value)


def _strings(where: str, value) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings, got {value!r}")
    return list(value)


def _fields(cls, doc: dict, path: Path) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(map(str, doc)) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (a {cls.__name__} has "
                          f"{', '.join(sorted(known))})")
    required = [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [k for k in required if k not in doc]
    if missing:
        raise ConfigError(f"{path}: needs a {missing[0]!r} key")


def samples_ok(where: str, n) -> int:
    n = int(_number(where, n, integer=True, lo=2, hi=MAX_SAMPLES))
    if n & (n - 1):
        raise ConfigError(f"{where} must be a power of 2 (Sobol' balance), got {n}")
    return n


def replications_ok(where: str, n) -> int:
    return int(_number(where, n, integer=True, lo=1, hi=MAX_REPLICATIONS))


def load_sensitivity(path: Path, samples: Optional[int] = None,
                     replications: Optional[int] = None) -> SensitivitySpec:
    doc = _read(path)
    _fields(SensitivitySpec, doc, path)
    params = doc["parameters"]
    if not isinstance(params, dict) or not params:
        raise ConfigError(f"{path}: parameters must be a mapping key: [low, high], got {params!r}")
    bounds = {}
    for key, b in params.items():
        where = f"{path}: parameters.{key}"
        if not isinstance(b, list) or len(b) != 2:
            raise ConfigError(f"{where} must be [low, high], got {b!r}")
        low, high = (_number(where, v) for v in b)
        if not low < high:
            raise ConfigError(f"{where} must be [low, high] with low < high, got {b}")
        bounds[str(key)] = (low, high)
    outputs = _strings(f"{path}: outputs", doc["outputs"])
    if not outputs:
        raise ConfigError(f"{path}: outputs must name at least one KPI column")
    return SensitivitySpec(
        scenario=_scenario(path, doc["scenario"]), parameters=bounds, outputs=outputs,
        overrides=_strings(f"{path}: overrides", doc.get("overrides", [])),
        samples=samples_ok("--samples" if samples is not None else f"{path}: samples",
                           samples if samples is not None else doc.get("samples", 32)),
        replications=replications_ok(
            "--replications" if replications is not None else f"{path}: replications",
            replications if replications is not None else doc.get("replications", 2)),
        seed=int(_number(f"{path}: seed", doc.get("seed", 0), integer=True, lo=0)))


def load_search(path: Path, replications: Optional[int] = None) -> SearchSpec:
    doc = _read(path)
    _fields(SearchSpec, doc, path)
    parameter = doc["parameter"]
    if not isinstance(parameter, str) or not parameter:
        raise ConfigError(f"{path}: parameter must be a config key, got {parameter!r}")
    low = _number(f"{path}: low", doc["low"])
    high = _number(f"{path}: high", doc["high"])
    if not low < high:
        raise ConfigError(f"{path}: low must be below high, got {low} and {high}")
    tolerance = _number(f"{path}: tolerance", doc.get("tolerance", 1.0), lo=0, lo_open=True)
    return SearchSpec(
        scenario=_scenario(path, doc["scenario"]), parameter=parameter, low=low, high=high,
        goal_share=_number(f"{path}: goal_share", doc["goal_share"], lo=0, hi=1, lo_open=True),
        overrides=_strings(f"{path}: overrides", doc.get("overrides", [])),
        tolerance=tolerance,
        replications=replications_ok(
            "--replications" if replications is not None else f"{path}: replications",
            replications if replications is not None else doc.get("replications", 20)))


def _scenario(path: Path, value) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: scenario must be a scenario name, got {value!r}")
    return value


def spec_path(kind_dir: Path, name: str) -> Path:
    """configs/<kind>/NAME.yaml, or `name` itself when it is a path to a YAML file."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else kind_dir / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in kind_dir.glob("*.yaml")))
        raise ConfigError(f"no spec {name!r} ({kind_dir.name}/: {known})")
    return path
