"""The one error type of bad configuration, and the value checks that raise it: a message names
the key (or file and line) and the offending value, and run.py prints it as one line. The config
(validation.py), the calibrated keys (calibrated.py) and the experiment specs (specs.py) all check
numbers with `number`."""
from __future__ import annotations

import math
import re
from typing import Optional


class ConfigError(ValueError):
    """A parameter is missing, out of range or inconsistent with another one."""


def missing(value) -> bool:
    """A structured config's mandatory value left unset."""
    return isinstance(value, str) and value == "???"


def number(key: str, value, *, lo=None, hi=None, lo_open=False, integer=False) -> float:
    """`value` if it is a finite number within the bounds, else a ConfigError naming `key`."""
    if missing(value):
        raise ConfigError(f"{key} is missing (no value given)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if math.isnan(value) or math.isinf(value):
        raise ConfigError(f"{key} must be finite, got {value}")
    if integer and int(value) != value:
        raise ConfigError(f"{key} must be a whole number, got {value}")
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise ConfigError(f"{key} must be {'>' if lo_open else '>='} {lo}, got {value}")
    if hi is not None and value > hi:
        raise ConfigError(f"{key} must be <= {hi}, got {value}")
    return value


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
