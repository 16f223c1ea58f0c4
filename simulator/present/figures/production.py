"""`production`: the resilience curve (planned vs actual output over time per fab) and lost
production per fab with 95 % confidence intervals."""
from __future__ import annotations

import textwrap

from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from . import style as S
from .axes import AT_PLAN, disruption_window
from .data import lost_production, production_series
from simulator.store.run_info import as_run_info


def _ylim(data: pd.DataFrame) -> tuple:
    """Shared y-range: down to just below the 5th percentile, never narrower than 90-100 %."""
    low = float(data["q05"].min()) if len(data) else 100.0
    low = min(90.0, np.floor((low - 2.0) / 10.0) * 10.0)
    return max(low, 0.0), 103.0


def _draw_lost(ax, lost: pd.DataFrame, fabs: List[str], info: dict, styles: dict) -> None:
    ax.set_axisbelow(True)
    ax.grid(False, axis="y")
    ax.grid(True, axis="x", color="#e3e3e3", lw=0.6)
    ax.set_xlabel("% of planned output lost\nafter the shock")
    lost = lost.set_index("fab")
    ys = np.arange(len(fabs))
    # a long buyer name wraps, so the bars keep their width (the default world's names fit)
    names = ["\n".join(textwrap.wrap(S.fab_name(info, f), 24)) for f in fabs]
    ax.set_yticks(ys, names)
    ax.set_ylim(len(fabs) - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    if lost.empty:
        ax.text(0.5, 0.5, "No lost_production_pct rows\nin kpi_summary.csv",
                transform=ax.transAxes, ha="center", va="center", fontsize=S.NOTE_FONTSIZE,
                color="#777777", style="italic")
        return
    means = np.array([lost["mean"].get(f, np.nan) for f in fabs], float)
    lows = np.array([lost["low"].get(f, np.nan) for f in fabs], float)
    highs = np.array([lost["high"].get(f, np.nan) for f in fabs], float)
    ax.barh(ys, np.nan_to_num(means), height=0.55, color=[styles[f][0] for f in fabs],
            alpha=0.85, label="_lost_production")
    ok = ~np.isnan(lows) & ~np.isnan(highs)
    ax.errorbar(means[ok], ys[ok], xerr=[means[ok] - lows[ok], highs[ok] - means[ok]], fmt="none",
                ecolor="#000000", elinewidth=1.2, capsize=4, label="_lost_production_ci")
    right = float(np.nanmax(np.concatenate([highs, means, [1.0]])))  # no loss: a 0-1 % axis
    ax.set_xlim(0, right * 1.75)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    for y, f, m, lo, hi in zip(ys, fabs, means, lows, highs):
        if np.isnan(m):
            text = "not computed"
        elif np.isnan(lo) or np.isnan(hi):
            text = f"{m:.1f} %"
        else:
            text = f"{m:.1f} %\n({lo:.1f}–{hi:.1f})"
        x = (hi if not np.isnan(hi) else (m if not np.isnan(m) else 0.0))
        ax.annotate(text, xy=(x, y), xytext=(6, 0), textcoords="offset points", va="center",
                    ha="left", fontsize=S.NOTE_FONTSIZE, color="#222222")


def plot_production(daily: pd.DataFrame, kpis: pd.DataFrame, marks: pd.DataFrame, info: dict,
                    out_dir: Path) -> List[Path]:
    """Long because it lays out the resilience curves and the lost-output bars of one figure,
    with their shared notes and legend, in reading order."""
    info = as_run_info(info)
    data = production_series(daily, S.COVER_BIN_DAYS)
    lost = lost_production(kpis)
    fabs = S.fab_order(info, list(data["fab"]) + list(lost["fab"])) or ["?"]
    styles = S.fab_styles(info, fabs)
    start, end = S.run_span(info, list(data["date"]) or [pd.Timestamp("2018-01-01")])
    shock = pd.Timestamp(info.shock_date)
    n_rep = int(info.replications or (data["n"].max() if len(data) else 0))
    half_bin = pd.Timedelta(days=S.COVER_BIN_DAYS / 2)
    (i0, i1), (o0, o1) = S.FAN_BANDS
    footer = [
        S.source_line(info) + f" Output = the {info.name('buyer')}'s daily output as % of planned output, "
        "limited by its scarcest input (fab_production_pct). Curves: each replication's weekly "
        f"mean output; line: median across replications; shaded: middle {i1 - i0:.0%} "
        f"({i0 * 100:.0f}th–{i1 * 100:.0f}th percentile) and {o1 - o0:.0%} "
        f"({o0 * 100:.0f}th–{o1 * 100:.0f}th).",
        "Lost production = % of planned output lost over the post-shock period "
        f"({S.format_date(shock)} to {S.format_date(end)}), all inputs together: mean over "
        "post-shock days of 100 − output %. Bars: mean across replications; whiskers and "
        "figures in brackets: 95 % confidence interval (kpi_summary: lost_production_pct, "
        "item all).",
        S.event_key(marks, info),
    ]
    w0, w1 = disruption_window(data, start, end, shock)
    if (w0, w1) != (start, end):
        footer[0] += (f" Time axis zoomed to {S.format_date(w0)} – {S.format_date(w1)}: outside "
                      f"it every {info.name('buyer')}'s 5th percentile stays at or above {AT_PLAN} % of plan.")
    nrows = len(fabs)
    fig, body = S.new_figure((13, 1.75 * nrows + 3.3), footer)
    left, right = body.subfigures(1, 2, width_ratios=[3.2, 1.25], wspace=0.02)
    axes = np.atleast_1d(left.subplots(nrows, 1, sharex=True, squeeze=False)).ravel()
    for i, (ax, fab) in enumerate(zip(axes, fabs)):
        ax.set_gid(f"production|{fab}")
        S.date_axis(ax, w0, w1)
        name = S.fab_name(info, fab)
        # planned output on top: where actual output equals plan the line shows as dashes
        ax.axhline(100.0, color="#000000", lw=0.9, linestyle=(0, (4, 2.5)), zorder=5,
                   label="_planned")
        d = data[data["fab"] == fab]
        if len(d):
            S.draw_fan(ax, d["date"] + half_bin, d, styles[fab][0], lw=1.5, label=name, zorder=3)
        ax.set_ylim(*_ylim(data))
        rows = S.mark_events(ax, marks, None, numbers=(i == 0))
        ax.set_title(name, loc="left", pad=6 + 15 * rows, fontsize=10.5)
        ax.set_ylabel("Output (%)")
    zoom = (f" (zoomed: {w0:%b %Y} – {w1:%b %Y})" if (w0, w1) != (start, end) else "")
    left.suptitle("(a) Resilience curve: planned vs actual output" + zoom, x=0.005, ha="left",
                  fontsize=11, fontweight="bold")
    ax_lost = right.subplots()
    ax_lost.set_gid("production|lost")
    _draw_lost(ax_lost, lost, fabs, info, styles)
    right.suptitle("(b) Lost production since the shock", x=0.02, ha="left", fontsize=11,
                   fontweight="bold")
    handles = [Line2D([], [], color="#000000", lw=0.9, linestyle=(0, (4, 2.5)),
                      label="Planned output (100 %)"),
               Line2D([], [], color="#333333", lw=1.8, label="Actual, median")]
    handles += S.band_handles()
    handles += [Line2D([], [], color="#000000", lw=1.2, marker="|", markersize=8,
                       label="95 % CI (lost production)")]
    handles += S.event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=4)
    body.suptitle(f"{info.name('buyer').capitalize()} output against plan — scenario {info.scenario} "
                  f"({n_rep} replications)")
    return S.save_figure(fig, out_dir, "production")
