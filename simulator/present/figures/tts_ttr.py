"""`tts_ttr`: time to survive (simulated and buffer-only) and time to recover per fab and material
grade across replications (from kpi_summary.csv): time to survive and to recover as Kaplan-Meier
medians, runs without the event censored at the run's end; buffer-only as a mean; each with its
95 % interval.

Shared with the comparison figure: the row layout (`tts_rows`) and the day axis (`day_axis`).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from simulator.analysis.intervals import censored_runs

from . import style as S
from .data import tts_ttr
from .data_licences import _group_label

# kpi -> (legend label, colour, marker, lane offset within the row; y grows downwards)
MARKERS = {
    "tts_days": ("Time to survive, simulated (first shortfall)", S.TTS_COLOUR, "o", -0.25),
    "tts_buffer_days": ("Time to survive, buffer only (stock ÷ Japan's share of use)",
                        S.BUFFER_COLOUR, "D", 0.0),
    "ttr_days": ("Time to recover (deliveries back to ≥ 95 % of need)", S.TTR_COLOUR, "s", 0.25),
}
LINTHRESH = 10.0  # days: linear below, logarithmic above
BEYOND = 3.5  # the axis runs to this multiple of the horizon: room for "no shortfall"


def tts_rows(fab_items: List[Tuple[str, str]], info: dict):
    """y position of each (fab, item) row and of each fab's header row, top-down, with a gap
    between fabs. Returns (rows: {(fab, item): y}, headers: {fab: y}, bottom)."""
    rows, headers, y = {}, {}, 0.0
    for fab in S._fabs(info, [f for f, _ in fab_items]):
        headers[fab] = y
        y += 0.85
        for item in S._items(info, [i for f, i in fab_items if f == fab]):
            rows[(fab, item)] = y
            y += 1.0
        y += 0.35
    return rows, headers, y - 0.35


def horizon_days(info: dict) -> float:
    shock = pd.Timestamp(info.get("shock_date", "2019-07-04"))
    end = pd.Timestamp(info.get("end_date", "2024-12-31"))
    return float(max((end - shock).days, 1))


def day_axis(ax, horizon: float, label: str, beyond: float = BEYOND) -> None:
    """Symmetric-log day axis from 0 to `beyond` x the horizon, with the horizon marked."""
    ax.set_xscale("symlog", linthresh=LINTHRESH, linscale=0.45)
    ax.set_xlim(0, horizon * beyond)
    ticks = [t for t in (0, 10, 30, 100, 300, 1000, 3000) if t < horizon * 0.8]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.grid(True, axis="x", color="#e3e3e3", lw=0.6)
    ax.grid(False, axis="y")
    ax.axvspan(horizon, horizon * beyond, color="#f2f2f2", lw=0, zorder=0)
    ax.axvline(horizon, color="#555555", lw=0.9, zorder=1)
    room = beyond >= 1.5  # label right of the line where the axis goes on, else left of it
    ax.annotate(f"end of run\n({horizon:,.0f} d)", xy=(horizon, 1.0),
                xycoords=("data", "axes fraction"), xytext=(4 if room else -4, 2),
                textcoords="offset points", ha="left" if room else "right", va="bottom",
                fontsize=S.NOTE_FONTSIZE, color="#555555", annotation_clip=False)
    ax.set_xlabel(label)


def row_labels(ax, rows: dict, headers: dict, bottom: float, info: dict) -> None:
    ticks = [(y, S._fab_name(info, f), True) for f, y in headers.items()]
    ticks += [(y, _group_label(item, info), False) for (_, item), y in rows.items()]
    ticks.sort()
    ax.set_yticks([t[0] for t in ticks], [t[1] for t in ticks])
    for tick, (_, _, bold) in zip(ax.get_yticklabels(), ticks):
        if bold:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(bottom + 0.6, -0.6)
    for (_, _), y in rows.items():  # faint guide per row
        ax.axhline(y, color="#f0f0f0", lw=0.6, zorder=0)


def whisker(ax, y, mean, low, high, colour, label, lw=1.4):
    if not (np.isnan(low) or np.isnan(high)):
        ax.plot([low, high], [y, y], color=colour, lw=lw, solid_capstyle="butt", zorder=3,
                label=f"_ci|{label}")


def _footer(info: dict, shock) -> List[str]:
    """What the markers and whiskers are, under the figure."""
    return [
        S._source_line(info) + f" Days counted from the shock ({S._fmt_date(shock)}). Markers: "
        "time to survive and to recover, Kaplan-Meier median across replications (a run without "
        "a shortfall, or without recovery, is censored at the end of the run; right-hand notes "
        "count them), whiskers its 95 % interval, reaching the grey zone when it does not close "
        "within the run; buffer only, mean with a 95 % t-interval (kpi_summary: tts_days, "
        "tts_buffer_days, ttr_days). Simulated time to survive = first post-shock day with a "
        "shortfall. Buffer only = stock on the eve of the shock ÷ (planned use × "
        "Japan's pre-shock share of supply). Time to recover = first day after deliveries fell "
        "short from which 30 days of deliveries cover ≥ 95 % of planned use (0 if they never fell"
        " short). Axis: linear to 10 days, logarithmic above; whiskers beyond the axis are cut.",
    ]


def plot_tts_ttr(kpis: pd.DataFrame, info: dict, out_dir: Path) -> List[Path]:
    data = tts_ttr(kpis)
    n_rep = int(info.get("replications") or (data["n"].max() if len(data) else 0))
    fab_items = list(dict.fromkeys(zip(data["fab"], data["item"])))
    rows, headers, bottom = tts_rows(fab_items, info)
    horizon = horizon_days(info)
    shock = pd.Timestamp(info.get("shock_date", "2019-07-04"))
    censored = data["censored"].fillna(0.0)
    partial = (data["kpi"] == "tts_days") & (censored > 0) & (censored < 1) & data["mean"].notna()
    footer = _footer(info, shock)
    fig, body = S._new_figure((13, 0.36 * bottom + 3.6), footer)
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
        label, colour, marker, lane = MARKERS[rec.kpi]
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
    handles = [Line2D([], [], color=c, marker=m, lw=1.4, markersize=7, label=lab)
               for lab, c, m, _ in MARKERS.values()]
    handles.append(Patch(facecolor="#f2f2f2", edgecolor="#555555", lw=0.6,
                         label="After the end of the run"))
    body.legend(handles=handles, loc="outside lower center", ncols=2)
    body.suptitle(f"Time to survive and time to recover — scenario {info.get('scenario', '?')}"
                  f" ({n_rep} replications)")
    return S._save(fig, out_dir, "tts_ttr")
