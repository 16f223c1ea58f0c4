"""The calibrated parameters, as data: keys into `Params`, some tied across suppliers.

`python -m simulator calibrate` fits a handful of behavioural parameters. A key is a dotted path
(`risk.half_life_days`, `suppliers.rmqc_belgium.capacity_headroom`); a segment that lists several
names joined by `|` fans out to each, so one value is shared by a group of suppliers (a *tied* key):
`suppliers.jsr|tok|shin_etsu.finished_stock_days` sets all three and reads their mean. This module
reads and sets such keys on typed params, for the calibrator (which turns them into config
overrides) and for the runs that draw them per replication (parameter uncertainty).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Sequence

from simulator.config.errors import ConfigError, number
from simulator.config.params import Params
from simulator.config.paths import ROOT

TIE = "|"



def paths(key: str) -> List[str]:
    """The plain dotted paths a key stands for (one, or one per name a segment lists)."""
    out = [""]
    for part in key.split("."):
        names = part.split(TIE)
        out = [f"{head}.{n}" if head else n for head in out for n in names]
    return out


def _walk(obj, parts: List[str]):
    for part in parts:
        if isinstance(obj, dict):
            if part not in obj:
                raise KeyError(part)
            obj = obj[part]
        elif hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            raise KeyError(part)
    return obj


def get_value(params: Params, key: str) -> float:
    """The value of `key` (a tied key: the mean over its suppliers, who normally share it).
    Raises KeyError for a key that names nothing (or a tied key with no supplier)."""
    values = [float(_walk(params, p.split("."))) for p in paths(key)]
    return sum(values) / len(values)


def with_value(obj, path: Sequence[str], value):
    """`obj` (dataclasses and dicts) with the field at dotted `path` set to `value` (an int field
    stays an int): only the containers on the path are copied, the rest is shared, so a
    replication's draw or a sensitivity point costs microseconds, not a copy of the world."""
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if head not in obj:
            raise ConfigError(f"no key {head!r} (have {', '.join(map(str, obj))})")
        return {**obj, head: with_value(obj[head], rest, value) if rest else _like(obj[head], value)}
    if not dataclasses.is_dataclass(obj) or not hasattr(obj, head):
        raise ConfigError(f"no key {head!r} in {type(obj).__name__}")
    current = getattr(obj, head)
    return dataclasses.replace(obj, **{head: with_value(current, rest, value) if rest
                                       else _like(current, value)})


def _like(current, value):
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else float(value)


def set_values(params: Params, values: Dict[str, float]) -> Params:
    """A copy of `params` with each key set (a tied key on every supplier it stands for);
    `params` itself is never changed."""
    out = params
    for key, value in values.items():
        for path in paths(key):
            out = with_value(out, path.split("."), value)
    return out


def override_strings(values: Dict[str, float]) -> List[str]:
    """Config overrides (`path=value`) that set each key, for composing with Hydra."""
    return [f"{path}={float(v)!r}" for key, v in values.items() for path in paths(key)]


def check_calibration(p: Params) -> None:
    """`calibration`: every key names a parameter, its fit lies within its bounds, and the
    covariance is a symmetric matrix over the parameters' names with a non-negative diagonal."""
    c = p.calibration
    names = list(c.parameters)
    for name, q in c.parameters.items():
        k = f"calibration.parameters.{name}"
        try:
            get_value(p, q.key)
        except KeyError:
            raise ConfigError(f"{k}.key = {q.key!r} names no parameter") from None
        lo, hi = number(f"{k}.low", q.low), number(f"{k}.high", q.high)
        if hi < lo:
            raise ConfigError(f"{k}.high = {q.high} is below its low {q.low}")
        number(f"{k}.value", q.value, lo=lo, hi=hi)
    for a, row in c.covariance.items():
        if a not in c.parameters:
            raise ConfigError(f"calibration.covariance.{a}: no calibrated parameter {a!r} "
                              f"(have {', '.join(names) or 'none'})")
        for b, v in row.items():
            if b not in c.parameters:
                raise ConfigError(f"calibration.covariance.{a}.{b}: no calibrated parameter {b!r}")
            number(f"calibration.covariance.{a}.{b}", v)
            other = c.covariance.get(b, {}).get(a)
            if other is None or not math.isclose(other, v, rel_tol=1e-6, abs_tol=1e-12):
                raise ConfigError(f"calibration.covariance.{a}.{b} = {v} but "
                                  f"calibration.covariance.{b}.{a} = {other}: not symmetric")
        if row.get(a, 0.0) < 0:
            raise ConfigError(f"calibration.covariance.{a}.{a} must be >= 0, got {row[a]}")
    sizes = {len(v) for v in c.ensemble.values()}
    for a, members in c.ensemble.items():
        if a not in c.parameters:
            raise ConfigError(f"calibration.ensemble.{a}: no calibrated parameter {a!r}")
        q = c.parameters[a]
        for i, v in enumerate(members):
            number(f"calibration.ensemble.{a}[{i}]", v, lo=q.low, hi=q.high)
    if c.ensemble and (len(sizes) > 1 or set(c.ensemble) != set(names)):
        raise ConfigError(f"calibration.ensemble needs one list per parameter, all of one length "
                          f"(got {', '.join(f'{a}: {len(v)}' for a, v in c.ensemble.items())})")
    if c.covariance and set(c.covariance) != set(names):
        missing = sorted(set(names) - set(c.covariance))
        raise ConfigError(f"calibration.covariance has no row for {', '.join(missing)}")


def _holds_fit(p: Params, q) -> bool:
    """Every path of the key still holds the fitted value (a scenario changed none of them)."""
    return all(math.isclose(float(_walk(p, path.split("."))), q.value, rel_tol=1e-9, abs_tol=1e-12)
               for path in paths(q.key))


def posterior(p: Params) -> tuple:
    """(names, means, covariance rows, lows, highs, ensemble columns) of the calibrated parameters
    that still hold their fitted value in `p`; one a scenario or override changed is fixed at its
    new value and left out (its marginal: the rows, columns and ensemble lists of the others)."""
    c = p.calibration
    names = [n for n, q in c.parameters.items() if _holds_fit(p, q)]
    cov = [[c.covariance.get(a, {}).get(b, 0.0) for b in names] for a in names]
    return (names, [c.parameters[n].value for n in names], cov,
            [c.parameters[n].low for n in names], [c.parameters[n].high for n in names],
            [list(c.ensemble[n]) for n in names] if c.ensemble else [])


def check_run_keys(p: Params) -> None:
    """Keys a run's settings name: `run.objective_parameter` (when an objective is set) must name a
    parameter and `run.stop_kpi` a KPI column this world reports: refused now, not after a run."""
    from simulator.config.kpis import check_kpi_column
    if not p.run.figure_formats or set(p.run.figure_formats) - {"png", "pdf"}:
        raise ConfigError(f"run.figure_formats must list png and/or pdf, got {p.run.figure_formats}")
    table = p.run.macro_table
    if table and table not in ("pymrio:test", "shipped") and not (ROOT / table).exists():
        raise ConfigError(f"run.macro_table = {table!r}: no such file or folder (shipped, an OECD "
                          f"ICIO table you downloaded or a table saved by pymrio; README, "
                          f"Economy-wide effects)")
    if p.run.objective:
        try:
            for path in paths(p.run.objective_parameter):
                _walk(p, path.split("."))
        except KeyError:
            raise ConfigError(f"run.objective_parameter = {p.run.objective_parameter!r} names no "
                              f"parameter (a dotted config key, e.g. fab.initial_cover_days)") from None
    try:
        check_kpi_column(p, p.run.stop_kpi)
    except ValueError as exc:
        raise ConfigError(f"run.stop_kpi: {exc}") from None


def check_licence_lags(p: Params) -> None:
    """`metrics.observed_licence_lags_days`: each key an item (material.grade) of the world, each
    lag a finite number of days >= 0."""
    items = {f"{m}.{g}" for m, g in p.items()}
    for item, lags in p.metrics.observed_licence_lags_days.items():
        if item not in items:
            raise ConfigError(f"metrics.observed_licence_lags_days.{item}: no item {item!r} "
                              f"(items: {', '.join(sorted(items))})")
        for i, lag in enumerate(lags):
            number(f"metrics.observed_licence_lags_days.{item}[{i}]", lag, lo=0, hi=36_600)
