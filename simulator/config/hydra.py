"""The one module below run.py that knows Hydra and OmegaConf.

- registers the typed schema (`Params`) as `base_config`;
- registers every `scenarios/*.yaml` as an option of the `scenario` group (package `_global_`), so
  `scenario=NAME` works from any working directory and a new YAML file is a new scenario;
- composes a config and turns it into validated `Params`;
- turns every configuration error into one line that names the key and the value.
(The end-of-sweep comparison is a Hydra callback in `simulator.app.callbacks`.)
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Optional, Sequence

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from simulator.config.params import Params
from simulator.config.validation import ConfigError, validate

ROOT = Path(__file__).resolve().parents[2]  # the repository: simulator/<layer>/this file
CONFIG_DIR = ROOT / "configs"
SCENARIO_DIR = ROOT / "scenarios"

DEFAULT_SCENARIO = "curbs_2019"  # keep in step with configs/config.yaml

_registered = False


def scenario_names() -> List[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _load_scenario(path: Path) -> DictConfig:
    try:
        return OmegaConf.load(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"scenarios/{path.name} is not valid YAML{where}: {problem}") from None


def register() -> None:
    """Register the schema, the scenarios and the `project_root` resolver (idempotent)."""
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Params)
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        node = _load_scenario(path)
        if node is None or not isinstance(node, DictConfig):
            raise ConfigError(f"scenarios/{path.name} must be a mapping of config keys")
        cs.store(group="scenario", name=path.stem, node=node, package="_global_")
    if not OmegaConf.has_resolver("project_root"):
        OmegaConf.register_new_resolver("project_root", lambda: str(ROOT))
    if not OmegaConf.has_resolver("job_dir"):
        OmegaConf.register_new_resolver("job_dir", job_dir)
    _registered = True


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
    try:
        params = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        raise ConfigError(one_line(exc)) from None
    params.scenario_name = scenario
    validate(params)
    return params


def compose_params(scenario: str = DEFAULT_SCENARIO, overrides: Sequence[str] = ()) -> Params:
    """Compose `scenario` with `overrides` as run.py would, without running anything."""
    register()
    if scenario not in scenario_names():
        raise ConfigError(f"scenario={scenario}: unknown scenario (known: {', '.join(scenario_names())})")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=[f"scenario={scenario}", *overrides])
    except ConfigError:
        raise
    except Exception as exc:  # Hydra wraps composition errors in several exception types
        raise ConfigError(one_line(exc)) from None
    return to_params(cfg, scenario)


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
        if "$VALUE" in text or "$KEY" in text:  # OmegaConf's message templates, not the message
            text = ""
        key = getattr(e, "full_key", None)
        if key and key not in text:
            text = f"{key}: {text}"
        if text and not any(text in earlier for earlier in seen):
            parts.append(text)
            seen.add(text)
        e = e.__cause__ or e.__context__
    return "; ".join(parts) or type(exc).__name__


# --- checking a command line before Hydra runs it ------------------------------------------
_HYDRA_FLAGS_WITHOUT_CHECK = ("--help", "-h", "--hydra-help", "--info", "--cfg", "-c",
                              "--shell-completion", "--resolve", "--package", "-p",
                              "--config-path", "-cp", "--config-name", "-cn", "--config-dir",
                              "-cd", "--experimental-rerun", "--version")


def check_command_line(argv: Sequence[str]) -> Optional[str]:
    """Compose the command line's overrides and validate them. Returns a one-line error, or None
    if the command line is sound. For a sweep (-m) only the first value of each override is
    checked here (a mistake there, an unknown key or a bad file, would fail every job); a bad
    value further down a sweep list fails its own job, which the sweep summary lists, and the
    other jobs run."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if any(a.split("=")[0] in _HYDRA_FLAGS_WITHOUT_CHECK for a in argv):
        return None
    args = [a for a in argv if a not in ("-m", "--multirun")]
    try:
        register()
        parsed = OverridesParser.create().parse_overrides(args)
    except ConfigError as exc:
        return str(exc)
    except Exception as exc:
        return one_line(exc)
    choices = []
    for o in parsed:
        if o.key_or_group.startswith("hydra"):
            continue
        values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.get_value_element_as_str()]
        prefix = o.input_line.split("=", 1)[0]
        choices.append([f"{prefix}={v}" for v in values])
    # every value of every override, each combined with the first value of the others
    combos = [[c[0] for c in choices]]
    sweep = any(a in ("-m", "--multirun") for a in argv)
    for i, options in enumerate([] if sweep else choices):
        for v in options[1:]:
            combos.append([*(c[0] for c in choices[:i]), v, *(c[0] for c in choices[i + 1:])])
    try:
        for combo in combos:
            scenario = next((c.split("=", 1)[1] for c in combo if c.startswith("scenario=")),
                            DEFAULT_SCENARIO)
            rest = [c for c in combo if not c.startswith("scenario=")]
            compose_params(scenario, rest)
    except ConfigError as exc:
        return str(exc)
    return None
