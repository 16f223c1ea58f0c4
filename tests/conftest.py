"""Shared fixtures: runs are cached per session so that several test modules reuse one run.

Composed scenarios use a short horizon (to 2020-06-30: 18 months before and 12 after the shock)
unless their events need the full one (lift_2023). Runs are cached by (scenario, overrides,
replications); use `scenario_run` / `tiny_run` rather than calling `simulate` where a cached run
will do.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
import warnings

# The suite tests the model as written: pure Python, even where an accelerated build exists
# (some tests reach into actors, which compiled classes do not allow). tests/model/test_accel.py
# compares a compiled build with pure Python in subprocesses (pytest -m accel).
os.environ.setdefault("TRADEFLOW_PURE_PYTHON", "1")
from typing import Dict, Sequence, Tuple

import pytest

import tiny_world as tw  # tests/ is on the path: pyproject.toml, [tool.pytest.ini_options]
from simulator import simulate
from simulator.config.hydra import compose_params
from simulator.config.params import Params

# run.end_date short enough to be quick, with the metrics window that would fall outside moved in
SHORT = ("run.end_date=2020-06-30", "metrics.windows.post2.end=2020-06-30")
SHOCK_DAY = 549  # 2019-07-04 - 2018-01-01
ANNOUNCE_DAY = 545  # 2019-06-30: the first scenario event (the Sankei leak)

_compose_cache: Dict[Tuple, Params] = {}
_run_cache: Dict[Tuple, object] = {}


def compose(scenario: str, overrides: Sequence[str] = ()) -> Params:
    key = (scenario, tuple(overrides))
    if key not in _compose_cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _compose_cache[key] = compose_params(scenario, list(overrides))
    return _compose_cache[key]


def run_scenario(scenario: str, overrides: Sequence[str] = SHORT, replications: int = 2,
                 workers: int = 2):
    """Cached run of a composed scenario (tables are shared: do not modify them in place)."""
    key = (scenario, tuple(overrides), replications)
    if key not in _run_cache:
        _run_cache[key] = simulate(compose(scenario, overrides), replications=replications,
                                   workers=workers)
    return _run_cache[key]


@pytest.fixture(scope="session")
def scenario_run():
    return run_scenario


# --- tiny world -------------------------------------------------------------------------------
def tiny_variants() -> Dict[str, Params]:
    base = tw.tiny_params()
    individual = tw.with_regime_from(base, tw.SHOCK_DATE, "individual")
    special = tw.with_regime_from(base, tw.SHOCK_DATE, "special_bulk")
    denied = tw.with_licensing(individual, individual={"denial_prob": 1.0})
    # contracts valid 20 days: the later lots of a big contract are made after it expired
    lapsing = tw.with_licensing(individual, individual={"validity_days": 20.0})
    # a third-country and a domestic source, individual licensing, then special bulk, then the lift
    mixed = tw.with_kr_supplier(tw.with_cn_supplier(base), start_date="2019-04-01")
    mixed = tw.with_events(mixed,
                           to_individual=tw.set_regime_event(tw.SHOCK_DATE, "individual"),
                           to_special=tw.set_regime_event("2019-07-01", "special_bulk"),
                           lift=tw.set_regime_event("2019-10-01", "bulk"))
    mixed = tw.with_run(mixed, end_date="2020-06-30")  # room for orders after the lift
    return {"tiny_bulk": base, "tiny_individual": individual, "tiny_special_bulk": special,
            "tiny_denied": denied, "tiny_lapsing": lapsing, "tiny_mixed": mixed}


_tiny_cache: Dict[str, object] = {}


def run_tiny(name: str):
    if name not in _tiny_cache:
        _tiny_cache[name] = simulate(tiny_variants()[name], workers=1)
    return _tiny_cache[name]


@pytest.fixture(scope="session")
def tiny_run():
    return run_tiny


_run_dirs: dict = {}


def tiny_run_dir(root: Path) -> Path:
    """A complete run directory of the tiny world (individual licensing from the shock, two
    replications), written once per session as run.py would and copied to `root` for each test
    that may change or damage it."""
    import shutil

    from simulator.app.pipeline import write_run
    if "tiny" not in _run_dirs:
        import tempfile
        base = Path(tempfile.mkdtemp(prefix="tiny-run-")) / "tiny"
        p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
        p = dataclasses.replace(p, scenario_name="tiny_curbs",
                                run=dataclasses.replace(p.run, replications=2, seed=7))
        write_run(simulate(p), base, "test-hash", overrides=["scenario=tiny_curbs"])
        _run_dirs["tiny"] = base
    target = Path(root) / "run"
    shutil.copytree(_run_dirs["tiny"], target)
    return target
