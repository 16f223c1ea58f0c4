"""The one error type of bad configuration, and the value checks that raise it: a message names
the key (or file and line) and the offending value, and run.py prints it as one line. The config
(validation.py), the calibrated keys (calibrated.py) and the experiment specs (specs.py) all check
numbers with `number`."""
from __future__ import annotations

import math


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
