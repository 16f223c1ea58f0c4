"""Sweep figures from the sweep summary (simulator/present/sweep.py), chosen by the sweep's shape:

- one swept parameter: a line per scenario of each headline KPI against it, with its 95 % band;
- two: a heatmap of each KPI's mean over the two (one column of panels per scenario);
- more: small multiples, one panel per combination of the parameters beyond the first two, each a
  line per value of the second against the first.

`sweep.png|pdf` in the sweep's `figures/`; nothing when no parameter varies over the complete jobs.
"""
from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd

from . import style as S
from .axes import output_label
from simulator.store.run_info import as_run_info

MAX_KPIS = 3  # the figure's rows: lost output and the first time-to-survive and imports KPIs


def swept(table: pd.DataFrame) -> List[str]:
    """Parameters that take more than one value over the complete jobs (scenario aside)."""
    fixed = {"job", "status", "reason", "scenario"}
    return [c for c in table.columns if c not in fixed and "[" not in c
            and table[c].nunique(dropna=True) > 1]


def chosen_kpis(table: pd.DataFrame, info: dict = None) -> List[str]:
    means = [c for c in table.columns if "[" in c and not c.endswith(("_low", "_high"))]
    picks = [c for c in means if c.startswith("lost_production_pct[all|all]")]
    for prefix in ("tts_days[", as_run_info(info).trade_kpi_stems()[0] + "_"):
        picks += [c for c in means if c.startswith(prefix) and table[c].notna().any()][:1]
    return picks[:MAX_KPIS]


def plot_sweep(table: pd.DataFrame, out_dir: Path, info: dict = None) -> List[Path]:
    done = table[table["status"] == "complete"] if len(table) else table
    params = swept(done) if len(done) else []
    kpis = chosen_kpis(done, info) if len(done) else []
    if not params or not kpis:
        return []
    scenarios = sorted(done["scenario"].unique())
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(params) == 2 and all(pd.api.types.is_numeric_dtype(done[p]) for p in params):
        return _heatmaps(done, params, kpis, scenarios, out_dir, info)
    return _lines(done, params, kpis, scenarios, out_dir, info)


def _footer(done: pd.DataFrame, shape: str) -> List[str]:
    return [f"Source: simulated sweep, {len(done)} complete runs (summary.csv). {shape} "
            "Time to survive is missing where none ran short within the run. Failed or incomplete "
            "jobs are not drawn; summary.csv lists them."]


def _lines(done, params, kpis, scenarios, out_dir: Path, info) -> List[Path]:
    x, series = params[0], params[1] if len(params) > 1 else "scenario"
    panels = params[2:]
    combos = (list(itertools.product(*[sorted(done[p].unique()) for p in panels])) or [()])
    groups = sorted(done[series].unique()) if series != "scenario" else scenarios
    shape = (f"Lines: mean against {x}, one per {series}; bands: 95 % intervals."
             + (f" Panels: {', '.join(panels)}." if panels else ""))
    fig, body = S.new_figure((4.6 * len(combos) + 1.2, 3.3 * len(kpis) + 1.2), _footer(done, shape))
    axes = np.atleast_2d(body.subplots(len(kpis), len(combos), squeeze=False))
    for (i, kpi), (j, combo) in itertools.product(enumerate(kpis), enumerate(combos)):
        ax = axes[i, j]
        sel = done
        for p, v in zip(panels, combo):
            sel = sel[sel[p] == v]
        for k, g in enumerate(groups):
            d = sel[sel[series] == g].sort_values(x)
            if d.empty:
                continue
            colour = S.LINE_COLOURS[k % len(S.LINE_COLOURS)]
            ax.plot(d[x], d[kpi], marker="o", color=colour, lw=1.8, label=f"{series} = {g}"
                    if series != "scenario" else str(g))
            ax.fill_between(d[x], d[f"{kpi}_low"], d[f"{kpi}_high"], color=colour, alpha=0.18, lw=0)
        ax.set_xlabel(x)
        ax.set_title("\n".join(textwrap.wrap(output_label(kpi, info), 40))
                     + ("\n" + ", ".join(f"{p} = {v}" for p, v in zip(panels, combo)) if combo else ""),
                     loc="left", fontsize=10)
        ax.grid(color="#e5e5e5")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    body.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), frameon=False)
    body.suptitle("Sweep: " + " × ".join(params), fontsize=12, fontweight="bold")
    return S.save_figure(fig, out_dir, "sweep")


def _heatmaps(done, params, kpis, scenarios, out_dir: Path, info) -> List[Path]:
    x, y = params
    shape = f"Heatmaps: mean of each measure over {x} and {y}, a column per scenario."
    fig, body = S.new_figure((4.8 * len(scenarios) + 1.2, 3.6 * len(kpis) + 1.2),
                              _footer(done, shape))
    axes = np.atleast_2d(body.subplots(len(kpis), len(scenarios), squeeze=False))
    for (i, kpi), (j, sc) in itertools.product(enumerate(kpis), enumerate(scenarios)):
        ax = axes[i, j]
        grid = done[done["scenario"] == sc].pivot_table(index=y, columns=x, values=kpi)
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        for (r, c), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if np.isfinite(v):
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=9,
                        color="white" if v < np.nanmean(grid.to_numpy(dtype=float)) else "black")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"{sc}: " + "\n".join(textwrap.wrap(output_label(kpi, info), 36)), loc="left",
                     fontsize=10)
        body.colorbar(image, ax=ax, shrink=0.85)
    body.suptitle(f"Sweep: {x} × {y}", fontsize=12, fontweight="bold")
    return S.save_figure(fig, out_dir, "sweep")
