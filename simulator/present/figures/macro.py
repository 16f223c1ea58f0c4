"""`macro_effects`: a run's lost output through an input-output table (python -m simulator macro):
value added lost by sector, demand-driven (Leontief) and supply-driven (Ghosh) side by side with
95 % intervals across replications, and the economy-wide totals."""
from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from . import style as S
from simulator.analysis.intervals import t_half_width

MODEL_COLOURS = {"leontief": "#0072B2", "ghosh": "#D55E00"}
MODEL_NAMES = {"leontief": "Demand-driven (Leontief)", "ghosh": "Supply-driven (Ghosh)"}
TOP = 12  # sectors shown: the largest losses


def _mean_ci(values: pd.Series) -> tuple:
    """Mean and its 95 % t half-width (0 with fewer than two replications: no whisker)."""
    half = t_half_width(values)
    return float(values.mean()) if len(values) else np.nan, 0.0 if np.isinf(half) else half


def plot_macro_effects(effects: pd.DataFrame, totals: pd.DataFrame, meta: dict,
                       out_dir: Path) -> List[Path]:
    """`effects`: per replication, region, sector: value_added_<model>; `totals`: per
    replication and model; `meta`: table, year, unit, region, run (for the footer)."""
    by = effects.groupby(["region", "sector"])
    mean_loss = by[["value_added_leontief", "value_added_ghosh"]].mean().max(axis=1)
    top = list(mean_loss.sort_values(ascending=False).index[:TOP])
    footer = [f"Source: simulated run {meta['run']}; input-output table {meta['table']} "
              f"({meta['year'] or 'year not given'}, {meta['unit']}); region shocked "
              f"{meta['region']}. Bars: value added lost over the run, mean across replications; "
              "whiskers: 95 % t-interval. Demand-driven: the lost output is demand its suppliers "
              "lose; supply-driven: an input its customers lose; the truth lies between them. "
              "Lost output enters as the buyers' share of their sector (fabs.*.io_output_share, an "
              "assumption) times the share of output they lost."]
    fig, body = S.new_figure((12, 5.6), footer)
    ax, axt = body.subplots(1, 2, width_ratios=[3, 1])
    y = np.arange(len(top))
    for k, model in enumerate(("leontief", "ghosh")):
        stats_ = [_mean_ci(effects.loc[(effects["region"] == r) & (effects["sector"] == s),
                                       f"value_added_{model}"]) for r, s in top]
        ax.barh(y + (k - 0.5) * 0.38, [m for m, _ in stats_], height=0.36,
                xerr=[h for _, h in stats_], color=MODEL_COLOURS[model], capsize=2,
                error_kw={"lw": 0.8})
    labels = meta.get("labels") or {}  # the table's short sector names, where it has them
    ax.set_yticks(y, [f"{r} · {labels.get(s, s)}" for r, s in top])
    ax.invert_yaxis()
    ax.set_xlabel(f"value added lost ({meta['unit']})")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("By region and sector (largest losses)", loc="left")
    tot = [_mean_ci(totals.loc[totals["model"] == m, "region_value_added_lost_pct"])
           for m in ("leontief", "ghosh")]
    axt.bar([0, 1], [m for m, _ in tot], yerr=[h for _, h in tot], capsize=3,
            color=[MODEL_COLOURS["leontief"], MODEL_COLOURS["ghosh"]])
    axt.set_xticks([0, 1], ["Leontief", "Ghosh"])
    axt.set_ylabel(f"% of {meta['region']}'s value added in a year")
    axt.set_title("Economy-wide", loc="left")
    body.legend(handles=[Patch(color=MODEL_COLOURS[m], label=MODEL_NAMES[m]) for m in MODEL_NAMES],
                loc="outside lower center", ncols=2)
    body.suptitle("Lost output through the input-output table", fontweight="bold")
    out_dir.mkdir(parents=True, exist_ok=True)
    return S.save_figure(fig, out_dir, "macro_effects")
