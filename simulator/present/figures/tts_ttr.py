"""`tts_ttr`: time to survive (simulated and buffer-only) and time to recover per fab and material
grade across replications (from kpi_summary.csv): time to survive and to recover as Kaplan-Meier
medians, runs without the event censored at the run's end; buffer-only as a mean; each with its
95 % interval.

Shared with the comparison figure: the row layout (`tts_rows`) and the day axis (`day_axis`).
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.analysis.intervals import censored_runs

from . import style as S
from .data import tts_ttr
from .axes import MARKERS, day_axis, horizon_days, row_labels, tts_rows, whisker
from simulator.store.run_info import as_run_info

# kpi -> (legend label, colour, marker, lane offset within the row; y grows downwards)


def _footer(info: dict, shock) -> List[str]:
    """What the markers and whiskers are, under the figure."""
    licensed = as_run_info(info).name("licensed")
    return [
        S.source_line(info) + f" Days counted from the shock ({S.format_date(shock)}). Markers: "
        "time to survive and to recover, Kaplan-Meier median across replications (a run without "
        "a shortfall, or without recovery, is censored at the end of the run; right-hand notes "
        "count them), whiskers its 95 % interval, reaching the grey zone when it does not close "
        "within the run; buffer only, mean with a 95 % t-interval (kpi_summary: tts_days, "
        "tts_buffer_days, ttr_days). Simulated time to survive = first post-shock day with a "
        "shortfall. Buffer only = stock on the eve of the shock ÷ (planned use × "
        f"{licensed}'s pre-shock share of supply). Time to recover = first day after deliveries fell "
        "short from which 30 days of deliveries cover ≥ 95 % of planned use (0 if they never fell"
        " short). Axis: linear to 10 days, logarithmic above; whiskers beyond the axis are cut.",
    ]


def plot_tts_ttr(kpis: pd.DataFrame, info: dict, out_dir: Path) -> List[Path]:
    info = as_run_info(info)
    data = tts_ttr(kpis)
    n_rep = int(info.replications or (data["n"].max() if len(data) else 0))
    fab_items = list(dict.fromkeys(zip(data["fab"], data["item"])))
    rows, headers, bottom = tts_rows(fab_items, info)
    horizon = horizon_days(info)
    shock = pd.Timestamp(info.shock_date)
    censored = data["censored"].fillna(0.0)
    partial = (data["kpi"] == "tts_days") & (censored > 0) & (censored < 1) & data["mean"].notna()
    footer = _footer(info, shock)
    fig, body = S.new_figure((13, 0.36 * bottom + 3.6), footer)
    ax = body.subplots()
    day_axis(ax, horizon, "Days after the shock (log scale above 10 days)")
    if data.empty:
        ax.text(0.5, 0.5, "No tts_days / tts_buffer_days / ttr_days rows in kpi_summary.csv",
                transform=ax.transAxes, ha="center", va="center", fontsize=S.NOTE_FONTSIZE,
                color="#777777")
        ax.set_yticks([])
    else:
        row_labels(ax, rows, headers, bottom, info)
    for rec in data.itertuples(index=False):
        _, colour, marker, lane = MARKERS[rec.kpi]
        y = rows[(rec.fab, rec.item)] + lane
        key = f"{rec.kpi}|{rec.fab}|{rec.item}"
        if rec.n == 0 or np.isnan(rec.mean):
            never = censored_runs(rec.censored, rec.n)
            text = {"tts_days": "no shortfall" if rec.censored == 1 or rec.n == 0
                    else f"median beyond the run (no shortfall in {never} of {rec.n} runs)",
                    "ttr_days": "median beyond the run" if rec.n else "not defined"}.get(
                rec.kpi, "not defined")
            ax.text(horizon * 1.12, y, text, ha="left", va="center", fontsize=S.NOTE_FONTSIZE,
                    color=colour, style="italic", zorder=4)
            continue
        high = rec.high  # a median's band that does not close in the run runs into the grey zone
        if np.isnan(high) and not np.isnan(rec.low) and rec.kpi in ("tts_days", "ttr_days"):
            high = horizon * 1.1
        whisker(ax, y, rec.mean, rec.low, high, colour, key)
        ax.plot([rec.mean], [y], marker=marker, color=colour, markersize=7 if marker != "D"
                else 6.5, lw=0, zorder=4, markeredgecolor="white", markeredgewidth=0.6,
                label=key)
    for rec in data[partial].itertuples(index=False):
        k = censored_runs(rec.censored, rec.n)
        note = f"no shortfall in {k} of {int(rec.n)} runs" + (" (CI n/a)" if rec.n < 2 else "")
        ax.annotate(note, xy=(1.01, rows[(rec.fab, rec.item)] + MARKERS["tts_days"][3]),
                    xycoords=("axes fraction", "data"), ha="left", va="center",
                    fontsize=S.NOTE_FONTSIZE, color=S.TTS_COLOUR, annotation_clip=False)
    licensed = info.name("licensed")
    handles = [Line2D([], [], color=c, marker=m, lw=1.4, markersize=7,
                      label=lab.format(licensed=licensed)) for lab, c, m, _ in MARKERS.values()]
    handles.append(Patch(facecolor="#f2f2f2", edgecolor="#555555", lw=0.6,
                         label="After the end of the run"))
    body.legend(handles=handles, loc="outside lower center", ncols=2)
    body.suptitle(f"Time to survive and time to recover — scenario {info.scenario}"
                  f" ({n_rep} replications)")
    return S.save_figure(fig, out_dir, "tts_ttr")
