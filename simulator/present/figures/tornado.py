"""Sensitivity tornado: Sobol' total and first-order indices of each parameter, one panel per
output, parameters sorted by their total effect (simulator/analysis/sensitivity.py)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd

from . import style as S
from .axes import output_label


def plot_tornado(indices: pd.DataFrame, title: str, footer: List[str], out_dir: Path,
                 info: dict = None) -> List[Path]:
    outputs = list(dict.fromkeys(indices["output"]))
    n_par = indices["parameter"].nunique()
    fig, body = S.new_figure((6.2 * len(outputs), 1.2 + 0.55 * n_par + 1.0), footer)
    axes = np.atleast_1d(body.subplots(1, len(outputs), sharey=False))
    for ax, out in zip(axes, outputs):
        d = indices[indices["output"] == out].sort_values("ST", na_position="first")
        y = np.arange(len(d))
        if d["ST"].isna().all():
            ax.text(0.5, 0.5, "does not vary over the design:\nno indices", ha="center",
                    va="center", transform=ax.transAxes, color="#555555")
        ax.barh(y, d["ST"].clip(lower=0), xerr=d["ST_conf"], color="#0072B2", alpha=0.8,
                height=0.55, error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1},
                label="total effect (ST), 95 % CI")
        ax.errorbar(d["S1"].clip(lower=0), y, xerr=d["S1_conf"], fmt="D", color="#D55E00",
                    ms=6, capsize=3, lw=1, label="first order (S1), 95 % CI")
        ax.set_yticks(y, d["parameter"])
        ax.set_xlim(0, 1.05)  # indices are shares; estimates and intervals beyond 1 are noise, cut
        ax.set_xlabel("share of output variance")
        ax.set_title("\n".join(textwrap.wrap(output_label(out, info), 30)), loc="left", fontsize=11)
        ax.grid(axis="x", color="#dddddd")
    body.suptitle(title, fontsize=13, fontweight="bold")
    handles, labels = axes[0].get_legend_handles_labels()
    body.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    return S.save_figure(fig, out_dir, "tornado")
