"""Global sensitivity analysis from one command:

    python -m simulator sensitivity [NAME] [--samples N] [--replications R] [--workers W]

reads `configs/sensitivity/NAME.yaml` (data: scenario, overrides, parameter ranges, outputs),
runs a Saltelli design drawn from scipy.stats.qmc (N (D + 2) points, each `replications`
replications with the same replication indices: common random numbers), computes Sobol' first
and total indices with 95 % confidence intervals by SALib, and writes
`outputs/sensitivity/NAME/<timestamp>/`: `design.csv` (every point, its parameters and
outputs), `indices.csv`, `tornado.png|pdf` and `report.md`.

`tts_days` outputs are censored at the run's end when no fab runs short (a replication that
survives the whole run counts as surviving to its end), so every point has a value.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import pandas as pd
from simulator.analysis.metrics import replication_kpis, wide
from simulator.config.kpis import check_kpi_column
from simulator.analysis.sensitivity import problem, saltelli_design, sobol_indices
from simulator.config.calendar import Calendar
from simulator.config.calibrated import with_value  # noqa: F401 (also imported from here)
from simulator.config.hydra import ROOT, compose_params
from simulator.config.params import Params
from simulator.config.specs import SensitivitySpec, load_sensitivity, spec_path
from simulator.config.validation import ConfigError, validate
from simulator.experiment import simulate

log = logging.getLogger(__name__)
CONFIG_DIR = ROOT / "configs" / "sensitivity"


def load_spec(name: str, samples: Optional[int] = None,
              replications: Optional[int] = None) -> SensitivitySpec:
    """configs/sensitivity/NAME.yaml (or a path), typed and checked (simulator/config/specs.py)."""
    return load_sensitivity(spec_path(CONFIG_DIR, name), samples, replications)


def point_params(base: Params, names: List[str], values: np.ndarray) -> Params:
    p = base
    for name, value in zip(names, values):
        try:
            p = with_value(p, name.split("."), value)
        except ConfigError as exc:
            raise ConfigError(f"sensitivity parameter {name}: {exc}") from None
    validate(p)
    return p


def evaluate(values: np.ndarray, base: Params, names: List[str], outputs: List[str],
             censor_days: float) -> List[float]:
    """The outputs at one design point: means over its replications."""
    p = point_params(base, names, values)
    kpis = wide(replication_kpis(p, simulate(p, workers=1).tables)).set_index("replication")
    out = []
    for col in outputs:
        series = kpis[col] if col in kpis else pd.Series([np.nan] * len(kpis))
        if col.startswith("tts_days"):
            series = series.fillna(censor_days)
        out.append(float(series.mean()))
    return out


def run(name: str, samples: Optional[int], replications: Optional[int], workers: int,
        out_root: Path) -> Path:
    spec = load_spec(name, samples, replications)
    base = compose_params(spec.scenario, spec.overrides)
    base = dataclasses.replace(base, run=dataclasses.replace(base.run,
                                                             replications=spec.replications))
    for column in spec.outputs:  # an unknown output is refused before any run
        try:
            check_kpi_column(base, column)
        except ValueError as exc:
            raise ConfigError(f"configs/sensitivity/{Path(name).stem}: outputs: {exc}") from None
    prob = problem({k: list(b) for k, b in spec.parameters.items()})
    n = spec.samples
    design = saltelli_design(prob, n, spec.seed)
    point_params(base, prob["names"], design[0])  # a bad key fails here, before any run
    cal = Calendar(base.run.start_date, base.run.end_date)
    censor = float(cal.horizon_days - cal.day(base.metrics.shock_date))
    outputs = list(spec.outputs)
    log.info("sensitivity %s: %d parameters, %d points x %d replications", name,
             prob["num_vars"], len(design), base.run.replications)
    fn = functools.partial(evaluate, base=base, names=prob["names"], outputs=outputs,
                           censor_days=censor)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = []
        for i, row in enumerate(pool.map(fn, list(design), chunksize=4), start=1):
            rows.append(row)
            if i % max(1, len(design) // 10) == 0 or i == len(design):
                log.info("points: %d/%d", i, len(design))
    y = pd.DataFrame(rows, columns=outputs)
    indices = sobol_indices(prob, y, seed=spec.seed)

    out = out_root / Path(name).stem / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    out.mkdir(parents=True)
    pd.concat([pd.DataFrame(design, columns=prob["names"]), y], axis=1).to_csv(
        out / "design.csv", index_label="point", float_format="%.6g")
    indices.to_csv(out / "indices.csv", index=False, float_format="%.4g")
    _figure(indices, spec, name, n, base, out)
    _report(indices, spec, name, n, len(design), base, out)
    return out


def _footer(spec, n, base) -> List[str]:
    return [f"Source: simulated, scenario {spec.scenario}, {base.run.start_date} to "
            f"{base.run.end_date}; Saltelli design from a scrambled Sobol' sequence "
            f"(scipy.stats.qmc), N = {n} base points, {base.run.replications} replications per "
            f"point (common random numbers); Sobol' indices and 95 % bootstrap intervals by SALib. "
            f"Bars: total effect (the parameter's share of output variance with its interactions); "
            f"diamonds: first order (alone); axes cut at 1 (estimates above it are sampling noise: "
            f"an output that is zero at most points, like lost output, needs more points). "
            f"Time to survive is censored at the run's end."]


def _figure(indices, spec, name, n, base, out: Path) -> None:
    from simulator.present.figures.tornado import plot_tornado
    info = {"materials": {m: {"name": mat.name, "short_name": mat.short_name}
                          for m, mat in base.materials.items()},
            "world": dataclasses.asdict(base.world)}  # its names label the trade KPIs
    plot_tornado(indices, f"Which parameters matter — sensitivity '{name}', scenario "
                 f"{spec.scenario}", _footer(spec, n, base), out, info)


def _report(indices, spec, name, n, points, base, out: Path) -> None:
    lines = [f"# Sensitivity: {name}", "",
             f"Scenario `{spec.scenario}` with {', '.join(f'`{o}`' for o in spec.overrides)}; "
             f"{points} design points (N = {n}), {base.run.replications} replications each.", "",
             " ".join(_footer(spec, n, base)), "",
             "| output | parameter | first order S1 (95 % CI) | total ST (95 % CI) |",
             "|---|---|---|---|"]
    for r in indices.itertuples():
        def est(v, c):
            return "n/a" if pd.isna(v) else f"{v:.2f} ({v - c:.2f} to {v + c:.2f})"
        lines.append(f"| {r.output} | {r.parameter} | {est(r.S1, r.S1_conf)} | {est(r.ST, r.ST_conf)} |")
    lines += ["", "![tornado](tornado.png)", ""]
    (out / "report.md").write_text("\n".join(lines))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator sensitivity",
                                 description="Sobol' sensitivity indices (SALib) over a "
                                             "scipy.stats.qmc design: configs/sensitivity/NAME.yaml")
    ap.add_argument("name", nargs="?", default="default",
                    help="configs/sensitivity/NAME.yaml, or a path to such a file")
    ap.add_argument("--samples", type=int, help="N base points (default: the config's)")
    ap.add_argument("--replications", type=int, help="per point (default: the config's)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=str(ROOT / "outputs" / "sensitivity"))
    args = ap.parse_args(argv)
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    out = run(args.name, args.samples, args.replications, args.workers, Path(args.out))
    print(f"sensitivity indices -> {out / 'indices.csv'}")
    return 0
