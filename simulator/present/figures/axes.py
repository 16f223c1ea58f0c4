"""Shared axes, marks and labels of the figures: rows of fab x material grade, a day axis that
is linear near zero and logarithmic beyond, interval whiskers, the window a disruption spans (the
time-to-survive, production and comparison figures) and a reader's title for a KPI column (the
tornado and sweep figures). Public: the figure modules draw with these and style.py, and none
imports another figure module.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from simulator.config.kpis import parse_kpi_column

from . import style as S
from .data_licences import _group_label
from simulator.store.run_info import as_run_info


MARKERS = {
    "tts_days": ("Time to survive, simulated (first shortfall)", S.TTS_COLOUR, "o", -0.25),
    "tts_buffer_days": ("Time to survive, buffer only (stock ÷ {licensed}'s share of use)",
                        S.BUFFER_COLOUR, "D", 0.0),
    "ttr_days": ("Time to recover (deliveries back to ≥ 95 % of need)", S.TTR_COLOUR, "s", 0.25),
}


LINTHRESH = 10.0  # days: linear below, logarithmic above


BEYOND = 3.5  # the axis runs to this multiple of the horizon: room for "no shortfall"


def tts_rows(fab_items: List[Tuple[str, str]], info: dict):
    """y position of each (fab, item) row and of each fab's header row, top-down, with a gap
    between fabs. Returns (rows: {(fab, item): y}, headers: {fab: y}, bottom)."""
    rows, headers, y = {}, {}, 0.0
    for fab in S.fab_order(info, [f for f, _ in fab_items]):
        headers[fab] = y
        y += 0.85
        for item in S.item_order(info, [i for f, i in fab_items if f == fab]):
            rows[(fab, item)] = y
            y += 1.0
        y += 0.35
    return rows, headers, y - 0.35


def horizon_days(info: dict) -> float:
    info = as_run_info(info)
    shock = pd.Timestamp(info.shock_date)
    end = pd.Timestamp(info.end_date)
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
    ticks = [(y, S.fab_name(info, f), True) for f, y in headers.items()]
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


AT_PLAN = 99.5  # % of planned output counted as "at plan" when choosing the time window


def disruption_window(data: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                      shock: pd.Timestamp, column: str = "q05") -> tuple:
    """The time window the output curves show: from a quarter before the shock (or before the
    first dip) to half a year after the last week in which any fab's `column` (default: the 5th
    percentile) is below AT_PLAN, on quarter boundaries; the whole run when that covers most
    of it anyway."""
    below = data.loc[data[column] < AT_PLAN, "date"]
    if below.empty:
        return start, end
    lo = min(shock, below.min()) - pd.Timedelta(days=90)
    hi = below.max() + pd.Timedelta(days=180)
    lo = max(start, lo.to_period("Q").start_time)
    hi = min(end, (hi.to_period("Q") + 1).start_time)
    if (hi - lo).days > 0.6 * (end - start).days:
        return start, end
    return lo, hi


_KPI_NAMES = {
    "lost_production_pct": "output lost, %", "tts_days": "time to survive, days",
    "ttr_days": "time to recover, days", "stockout_days": "days short",
    "fill_rate_pct": "fill rate, %",
}


def output_label(column: str, info: dict = None) -> str:
    """`kpi[fab|item]` -> a reader's title: 'HF, gas grade: time to survive, days'."""
    kpi, fab, item = parse_kpi_column(column)
    run = as_run_info(info)
    rel, share = (f"{stem}_" for stem in run.trade_kpi_stems())
    licensed = run.name("licensed")
    if kpi.startswith(rel):
        what = f"imports from {licensed} ÷ pre-shock ({kpi.removeprefix(rel)})"
    elif kpi.startswith(share):
        what = f"{licensed}'s share of imports, % ({kpi.removeprefix(share)})"
    else:
        what = _KPI_NAMES.get(kpi, kpi)
    material, _, grade = item.partition(".")
    where = (f"all {run.name('buyers')}" if item == "all" else
             S.material_name(info, material) + (f", {grade} grade" if grade and grade != "standard" else ""))
    fab_part = "" if fab == "all" else f" ({fab})"
    return f"{where}{fab_part}: {what}"
