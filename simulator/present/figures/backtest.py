"""`backtest`: simulated 90 % bands against observed customs data, one panel per material and
measure. Each observation is a box spanning its period (x) and the simulated band (y), the
simulated mean a line across it, the observed value a marker (a triangle for a bound) with a
whisker for how far an observation of its confidence grade may be off. The footer says what the
band holds (scenario noise, and the calibrated parameters' uncertainty when the run drew them).
The validation window (2019-07 to 2020-12, never calibrated to) is shaded."""
from __future__ import annotations

from typing import List, Optional, Tuple

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from . import style as S
from simulator.store.run_info import as_run_info

BAND_COLOUR = "#0072B2"
INSIDE_COLOUR = "#000000"
OUTSIDE_COLOUR = "#D55E00"
MEASURE_LABELS = {"tonnes": "tonnes in the period", "value_usd": "US$ million in the period",
                  "share_pct": "% of imports"}
MEASURE_SCALE = {"tonnes": 1.0, "value_usd": 1e-6, "share_pct": 1.0}
MIN_WIDTH_IN = 9.0


def _span(period: str) -> Tuple[pd.Timestamp, pd.Timestamp]:
    from simulator.analysis.backtest import period_months
    months = period_months(period)
    return (pd.Period(months[0], freq="M").start_time,
            pd.Period(months[-1], freq="M").end_time.normalize() + pd.Timedelta(days=1))


def plot_backtest(table: pd.DataFrame, info: Optional[dict] = None):
    info = as_run_info(info)
    t = table[table["inside"] != ""].copy()
    panels: List[tuple] = list(dict.fromkeys(zip(t["material"], t["origin"], t["measure"])))
    spans = [_span(p) for p in t["period"]]
    t["x0"] = [a for a, _ in spans]
    t["x1"] = [b for _, b in spans]
    window = validation_window(info)  # the world's held-out observations, shaded
    start = min([t["x0"].min(), *window[:1]]) - pd.Timedelta(days=60)
    end = max([t["x1"].max(), *window[1:]]) + pd.Timedelta(days=60)
    n = max(len(panels), 1)
    cols = min(4, n)
    rows = -(-n // cols)
    inside = int((t["inside"] == "yes").sum())
    holds = t["band_holds"].iloc[0] if "band_holds" in t.columns else "scenario noise only"
    intervals = "observed_low" in t.columns
    exports = "flow" in t.columns and (t["flow"] == "exports").any()
    footer = [
        f"Observed: {', '.join(sorted(set(t['file'])))} (sources in each row of backtest.csv)"
        + ("; whisker = how far an observation of its confidence grade may be off (H ±10 %, "
           "M ±25 %, L ±50 %: metrics.observation_tolerance). " if intervals else ". ")
        + ("Simulated: the run's trade over each observation's period (an exports row: the "
           "exporter's shipments to the world's buyers, every destination it has)"
           if exports else "Simulated: imports of the run over each observation's period")
        + f"; box = 5th–95th "
        f"percentile across replications ({holds}), line = mean. "
        f"{inside} of {len(t)} observations overlap the band."
        + (f" Shaded: the validation window {window[0]:%Y-%m} to {window[1]:%Y-%m}, a forecast "
           f"never tuned to." if window else ""),
    ]
    # wide enough for the title, legend and footer however few panels there are
    width = max(3.9 * cols + 0.4, MIN_WIDTH_IN)
    fig, body = S.new_figure((width, 2.9 * rows + 1.2), footer)
    axes = body.subplots(rows, cols, squeeze=False)
    for k, (material, origin, measure) in enumerate(panels):
        ax = axes[k // cols][k % cols]
        d = t[(t["material"] == material) & (t["origin"] == origin) & (t["measure"] == measure)]
        _panel(ax, d, measure, intervals, window)
        exported = exports and (d["flow"] == "exports").all()
        ax.set_title(f"{S.material_name(info, material)}, exports of {S.origin_name(info, origin)}"
                     if exported else f"{S.material_name(info, material)} from "
                     f"{S.origin_name(info, origin)}", loc="left", fontsize=10)
        S.date_axis(ax, start, end)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    handles = [Patch(facecolor=BAND_COLOUR, alpha=0.25, edgecolor=BAND_COLOUR,
                     label="simulated 90 % band (line: mean)"),
               Line2D([], [], marker="D", color=INSIDE_COLOUR, label="observed ± its grade's tolerance, overlaps"),
               Line2D([], [], marker="D", color=OUTSIDE_COLOUR, label="observed, apart"),
               *[Line2D([], [], marker=m, color="#555555", ls="none", label=f"observed {what} bound")
                 for b, m, what in ((">=", "^", "lower"), ("<=", "v", "upper"))
                 if (t["bound"] == b).any()],
               *([Patch(facecolor="#eeeeee", label="validation window (forecast)")] if window else [])]
    body.suptitle("Backtest: simulated trade against observed customs data",
                  fontsize=12, fontweight="bold")
    body.legend(handles=handles, loc="outside lower center", ncols=5 if width >= 14 else 2,
                frameon=False, fontsize=9)
    return fig


def validation_window(info) -> tuple:
    """(start, end) of the world's validation window as timestamps, or () if it has none."""
    w = as_run_info(info).world_conf()
    if not (w.validation_start and w.validation_end):
        return ()
    return pd.Timestamp(w.validation_start), pd.Timestamp(w.validation_end)


def _panel(ax, d: pd.DataFrame, measure: str, intervals: bool, window: tuple) -> None:
    """One material x origin x measure: a box per observation, its mean, the observation."""
    scale = MEASURE_SCALE[measure]
    if window:
        ax.axvspan(window[0], window[1], color="#eeeeee", lw=0, zorder=0)
    for r in d.itertuples():
        w = r.x1 - r.x0
        ax.add_patch(Rectangle((r.x0, r.band_low * scale), w,
                               (r.band_high - r.band_low) * scale, facecolor=BAND_COLOUR,
                               alpha=0.25, edgecolor=BAND_COLOUR, lw=0.8, zorder=2))
        ax.plot([r.x0, r.x1], [r.simulated_mean * scale] * 2, color=BAND_COLOUR, lw=1.6,
                zorder=3)
        marker = {"=": "D", ">=": "^", "<=": "v"}[r.bound]
        colour = INSIDE_COLOUR if r.inside == "yes" else OUTSIDE_COLOUR
        mid = r.x0 + w / 2
        if intervals:  # what an observation of its grade allows
            ax.plot([mid, mid], [r.observed_low * scale, r.observed_high * scale],
                    color=colour, lw=1.2, zorder=4, solid_capstyle="butt")
        ax.plot([mid], [r.observed * scale], marker=marker, color=colour,
                markersize=6, ls="none", zorder=5)
    ax.set_ylabel(MEASURE_LABELS[measure])
    highest = d[[c for c in ("band_high", "observed", "observed_high") if c in d]].max().max()
    top = max(highest * scale * 1.15, 1e-9)
    ax.set_ylim(0, 100 if measure == "share_pct" and top > 60 else top)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:,.1f}"))
