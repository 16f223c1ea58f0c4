"""One look for every figure: palette, fonts, date axes, policy-event marks, notes footer, saving.

Okabe-Ito colours stay distinguishable under the common colour-vision deficiencies; lines that
share a panel also differ by dash pattern so that greyscale prints work. Every figure is a body
(axes, legend, title) above a notes footer that names the source and explains the numbered
policy-event marks; `save_figure` writes PNG (200 dpi) and PDF and closes the figure.

This is the figure kit's public module: every figure module draws with its helpers (`new_figure`,
`date_axis`, `mark_events`, `event_handle`, `fab_order`, `item_order`, `fab_styles`, `item_title`,
`draw_fan`, `band_handles`, `quantile_column`, `run_span`, `source_line`, `save_figure`, ...) and
with axes.py's shared axes and labels; no figure module imports another.
"""
from __future__ import annotations


import logging
import os
import sys
import textwrap
from typing import Dict, Iterable, List, Optional, Sequence, Union

import matplotlib

# Figures are written to files only. Respect a backend the caller forced (MPLBACKEND or an
# already-imported pyplot); otherwise use Agg so that no display is ever needed.
if not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from .data_policy import applies_to  # noqa: E402,F401 (also used by figure modules)
from .glyphs import font_family  # noqa: E402
from .saving import DPI, FORMATS, figure_formats, save_figure, save_png  # noqa: E402

SAVING = (FORMATS, figure_formats, save_figure, save_png)  # the kit re-exports saving.py's
from simulator.store.run_info import RunInfo, as_run_info  # noqa: E402

InfoLike = Optional[Union[RunInfo, dict]]  # a run's RunInfo, or run_info.json's document

# PDF font subsetting logs every table it prunes at INFO; Hydra's logging would show them all
logging.getLogger("fontTools").setLevel(logging.WARNING)

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"]
# line colours: yellow is too faint for thin lines on white, so it comes last
LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#F0E442"]
LINE_STYLES = ["-", (0, (5, 1.5)), (0, (5, 1.5, 1.2, 1.5)), (0, (1.2, 1.2))]
# scenarios in comparison figures: the first (usually the baseline) in black, then the rest
SCENARIO_COLOURS = ["#000000", "#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
SCENARIO_STYLES = ["-", (0, (5, 1.5)), "-", (0, (6, 1.5, 1.5, 1.5)), (0, (1.5, 1.2)), "-", "-"]
# the licensing country in vermillion (the colour the eye goes to first) and at the bottom of each
# stack, so that its collapse after the curbs is read against a flat baseline; the buyers' home
# country in black; the other origins in the world's order
LICENSED_COLOUR, HOME_COLOUR = "#D55E00", "#000000"
OTHER_ORIGIN_COLOURS = ["#E69F00", "#56B4E9", "#0072B2", "#009E73", "#CC79A7", "#F0E442"]
REGIME_COLOURS = {"bulk": "#009E73", "individual": "#D55E00", "special_bulk": "#0072B2"}
REGIME_NAMES = {"bulk": "Bulk", "individual": "Individual", "special_bulk": "Special bulk"}


def material_name(info: InfoLike, material: str) -> str:
    """A material's display name as the run has it (short name, else name, else its id)."""
    mat = as_run_info(info).materials.get(material, {})
    return mat.get("short_name") or mat.get("name") or material


def origin_order(info: InfoLike) -> List[str]:
    """The run's origins: the licensing country first, the others as its world lists them, the
    buyers' home country (not an import) last."""
    info = as_run_info(info)
    lic, home = info.licensed_origin(), info.home_origin()
    others = [o for o in info.origin_names if o not in (lic, home)]
    return [o for o in (lic,) if o] + others + [o for o in (home,) if o]


def origin_colours(info: InfoLike) -> Dict[str, str]:
    """Colour per origin: the licensing country vermillion, home black, the rest by the palette
    (grey beyond it)."""
    info = as_run_info(info)
    lic, home = info.licensed_origin(), info.home_origin()
    others = [o for o in origin_order(info) if o not in (lic, home)]
    colours = {o: OTHER_ORIGIN_COLOURS[i] if i < len(OTHER_ORIGIN_COLOURS) else "#999999"
               for i, o in enumerate(others)}
    return {**colours, **({lic: LICENSED_COLOUR} if lic else {}), **({home: HOME_COLOUR} if home else {})}


def unit_words(info: InfoLike) -> str:
    """The display unit as a label says it ("tonnes" for t)."""
    unit = as_run_info(info).name("unit")
    return "tonnes" if unit == "t" else unit


def origin_name(info: InfoLike, origin: str) -> str:
    """A country's display name as the run has it (else its code)."""
    return as_run_info(info).origin_names.get(origin, origin)
# time to survive / recover markers
TTS_COLOUR, BUFFER_COLOUR, TTR_COLOUR = "#D55E00", "#0072B2", "#000000"
EVENT_COLOUR = "#555555"
BAND = (0.10, 0.90)  # quantiles of the single shaded band (imports share)
FAN_BANDS = ((0.25, 0.75), (0.05, 0.95))  # inner (50 %) and outer (90 %) bands of fan charts
FAN_ALPHA = (0.38, 0.16)
COVER_BIN_DAYS = 7  # weekly means: smooth enough to read, fine enough to show the 2019 drop

STYLE = {
    "font.family": font_family(),  # DejaVu Sans, then any installed font with CJK glyphs
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "savefig.dpi": DPI,
    "pdf.fonttype": 42,  # embed TrueType so text stays editable/searchable in reports
}
FOOTER_FONTSIZE = 9
NOTE_FONTSIZE = 9  # annotations inside and beside axes: never below 9 pt at saved size
# boxplot's `vert` became `orientation` in matplotlib 3.10
HORIZONTAL = ({"orientation": "horizontal"}
              if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 10)
              else {"vert": False})
EVENT_FONTSIZE = 9


# ----------------------------------------------------------------------------------------------
# Labels
# ----------------------------------------------------------------------------------------------
def format_date(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts:%b %Y}"


def _panel_title(material: str, grade: str, info: InfoLike) -> str:
    info = as_run_info(info)
    grades = info.materials.get(material, {}).get("grades", [grade])
    short = material_name(info, material)
    return short if (len(grades) <= 1 or not grade) else f"{short}, {grade} grade"


def item_title(item: str, info: dict) -> str:
    material, _, grade = item.partition(".")
    return _panel_title(material, grade, info)


def item_order(info: InfoLike, present: Iterable[str]) -> List[str]:
    """material.grade in run_info order, then anything else present in the data."""
    info = as_run_info(info)
    present = list(dict.fromkeys(present))
    ordered = [f"{m}.{g}" for m, mat in info.materials.items()
               for g in mat.get("grades", [])]
    return [i for i in ordered if i in present] + [i for i in present if i not in ordered]


def fab_order(info: InfoLike, present: Iterable[str]) -> List[str]:
    """Fab ids in run_info order, then any other fab present in the data ("all" never)."""
    info = as_run_info(info)
    known = list(info.fabs)
    present = [f for f in dict.fromkeys(present) if f != "all"]
    return [f for f in known if f in present] + sorted(set(present) - set(known))


def fab_name(info: InfoLike, fab: str) -> str:
    info = as_run_info(info)
    return info.fabs.get(fab, fab)


def fab_styles(info: InfoLike, fabs: Iterable[str]) -> Dict[str, tuple]:
    """(colour, dash) per fab, by run_info order so that a fab looks the same in every figure."""
    info = as_run_info(info)
    order = list(info.fabs) + sorted(set(fabs) - set(info.fabs))
    return {f: (LINE_COLOURS[i % len(LINE_COLOURS)], LINE_STYLES[i % len(LINE_STYLES)])
            for i, f in enumerate(order)}


def grades_of(info: InfoLike, material: str) -> List[str]:
    info = as_run_info(info)
    return list(info.materials.get(material, {}).get("grades", []))


def run_span(info: InfoLike, fallback: Sequence[pd.Timestamp]):
    info = as_run_info(info)
    start = pd.Timestamp(info.start_date) if info.start_date else min(fallback)
    end = pd.Timestamp(info.end_date) if info.end_date else max(fallback)
    return start, end


def source_line(info: InfoLike) -> str:
    info = as_run_info(info)
    return (f"Source: simulated, scenario {info.scenario}, "
            f"{info.replications} replications, seed {info.seed}"
            f" (model v{info.version}).")


# ----------------------------------------------------------------------------------------------
# Axes
# ----------------------------------------------------------------------------------------------
def date_axis(ax, start: pd.Timestamp, end: pd.Timestamp, labels: bool = True) -> None:
    ax.set_xlim(start, end)
    if (end - start).days > 2 * 365:  # the usual multi-year run: year ticks, quarter minors
        # fixed positions: date locators iterate dateutil rules on every draw, which made
        # saving the many-panel figures several times slower
        quarters = pd.date_range(start.to_period("Q").start_time, end, freq="QS")
        years = [d for d in quarters if d.month == 1 and d >= start]
        ax.xaxis.set_major_locator(FixedLocator(mdates.date2num(years)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y") if labels else NullFormatter())
        ax.xaxis.set_minor_locator(FixedLocator(mdates.date2num(
            [d for d in quarters if d.month != 1 and d >= start])))
    else:  # short spans (zoomed axes, test runs): months, the year on January and the first
        step = 3 if (end - start).days > 300 else 1
        months = [d for d in pd.date_range(start.to_period("M").start_time, end, freq="MS")
                  if d >= start and (d.month - 1) % step == 0]
        ax.xaxis.set_major_locator(FixedLocator(mdates.date2num(months)))

        def month_label(x, pos):
            d = mdates.num2date(x)
            return f"{d:%b}\n{d:%Y}" if d.month == 1 or pos == 0 else f"{d:%b}"
        ax.xaxis.set_major_formatter(FuncFormatter(month_label) if labels else NullFormatter())
    ax.grid(True, axis="x", which="major", color="#ececec", linewidth=0.6)


def axes_width_pt(fig, ax) -> float:
    # positions before the layout engine runs are close enough to space the event markers
    # (positions are fractions of the root figure, also for axes in a subfigure)
    try:
        root = fig.get_figure(root=True)  # matplotlib >= 3.10
    except (AttributeError, TypeError):
        root = fig.figure
    return ax.get_position().width * root.get_figwidth() * 72.0


# ----------------------------------------------------------------------------------------------
# Policy events
# ----------------------------------------------------------------------------------------------
def _compress_numbers(nums: Sequence[int]) -> str:
    """[1, 2, 3, 5] -> '1-3,5' (en dash): one compact label for events close together."""
    parts, i = [], 0
    nums = list(nums)
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if j == i else
                     f"{nums[i]}{',' if j == i + 1 else '–'}{nums[j]}")
        i = j + 1
    return ",".join(parts)


def mark_events(ax, marks: pd.DataFrame, material: Optional[str] = None,
                 numbers: bool = True, light: bool = False) -> int:
    """Dashed vertical line per policy event; numbered markers above the axes.

    Events closer together than a marker's width share one marker ('1-4'); markers that would
    still touch are stacked in rows. `light` draws thinner, paler lines (comparison figures).
    Returns the number of marker rows (for the title pad).
    """
    x0, x1 = ax.get_xlim()
    rel = [ev for ev in marks.itertuples(index=False) if applies_to(ev.materials, material)
           and x0 <= mdates.date2num(ev.date) <= x1]  # a zoomed axis shows only its events
    if not rel:
        return 0
    width_pt = axes_width_pt(ax.figure, ax)
    pt_per_day = width_pt / max(x1 - x0, 1.0)
    for ev in rel:
        ax.axvline(ev.date, color=EVENT_COLOUR if not light else "#9a9a9a",
                   linewidth=0.8 if not light else 0.6, linestyle=(0, (3, 2)), zorder=1)
    if not numbers:
        return 0
    min_gap_days = 18.0 / pt_per_day  # ~ one marker's width
    clusters: List[list] = []
    for ev in rel:
        x = mdates.date2num(ev.date)
        if clusters and x - clusters[-1][-1][0] < min_gap_days:
            clusters[-1].append((x, ev.number))
        else:
            clusters.append([(x, ev.number)])
    row_right: List[float] = []  # right edge (pt from axes left) of the last label in each row
    for cl in clusters:
        text = _compress_numbers([n for _, n in cl])
        xc = (cl[0][0] + cl[-1][0]) / 2  # centred over the cluster's lines
        centre_pt = (xc - x0) * pt_per_day
        half = (0.62 * EVENT_FONTSIZE * len(text) + 9) / 2
        row = next((r for r, right in enumerate(row_right) if centre_pt - half > right + 3),
                   len(row_right))
        if row == len(row_right):
            row_right.append(centre_pt + half)
        else:
            row_right[row] = centre_pt + half
        ax.annotate(text, xy=(xc, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 3 + 15 * row), textcoords="offset points", ha="center",
                    va="bottom", fontsize=EVENT_FONTSIZE, color="#222222", annotation_clip=False,
                    bbox=dict(boxstyle="round,pad=0.25", fc="white", ec=EVENT_COLOUR, lw=0.7))
    return len(row_right)


def event_handle(marks: pd.DataFrame) -> list:
    """Legend entry for the event lines, only when there are events to explain."""
    if marks.empty:
        return []
    return [Line2D([], [], color=EVENT_COLOUR, lw=0.8, linestyle=(0, (3, 2)),
                   label="Policy event [n], see notes")]


def event_key(marks: pd.DataFrame, info: Optional[dict] = None) -> str:
    """The key that explains the numbered event markers, for the notes footer.

    A `scenarios` column (comparison figures) names the runs an event belongs to when it is not
    in all of them."""
    if marks.empty:
        return ""
    parts = []
    for ev in marks.to_dict("records"):
        scope = ""
        if ev["materials"]:
            scope = ", " + "/".join(material_name(info, m)
                                    for m in ev["materials"]) + " only"
        if ev.get("scenarios"):
            scope += "; " + ", ".join(ev["scenarios"])
        parts.append(f"[{ev['number']}] {ev['label']} ({format_date(ev['date'])}{scope})")
    return "Policy events: " + ";  ".join(parts) + "."


# ----------------------------------------------------------------------------------------------
# Figure, footer, legend, saving
# ----------------------------------------------------------------------------------------------
def _wrap(paragraphs: Iterable[str], fig_width_in: float) -> List[str]:
    width = int(fig_width_in * 72 / (FOOTER_FONTSIZE * 0.56))
    lines: List[str] = []
    for p in paragraphs:
        if p:
            lines.extend(textwrap.wrap(p, width=width, break_on_hyphens=False))
    return lines


def new_figure(figsize, footer: Iterable[str]):
    """A figure split into a body (returned, for axes, legend and title) and a notes footer.

    The footer is its own subfigure so that the layout engine keeps the legend, axes and notes
    from overlapping, whatever the number of wrapped footer lines.
    """
    lines = _wrap(footer, figsize[0])
    fig = plt.figure(figsize=figsize, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.08, h_pad=0.06)  # inches kept clear around each axes
    if not lines:
        return fig, fig
    h_in = (len(lines) * FOOTER_FONTSIZE * 1.35 + 6) / 72.0
    body, foot = fig.subfigures(2, 1, height_ratios=[figsize[1] - h_in, h_in], hspace=0)
    foot.text(0.008, 0.5, "\n".join(lines), ha="left", va="center",
              fontsize=FOOTER_FONTSIZE, color="#333333", linespacing=1.35)
    return fig, body


def band_handles(colour: str = "#777777") -> list:
    """Legend entries for the two fan-chart bands."""
    (i0, i1), (o0, o1) = FAN_BANDS
    inner = f"{(i1 - i0):.0%} of replications ({i0 * 100:.0f}th–{i1 * 100:.0f}th pct)"
    return [Patch(facecolor=colour, alpha=FAN_ALPHA[0] + FAN_ALPHA[1], lw=0, label=inner),
            Patch(facecolor=colour, alpha=FAN_ALPHA[1], lw=0,
                  label=f"{(o1 - o0):.0%} ({o0 * 100:.0f}th–{o1 * 100:.0f}th pct)")]


def draw_fan(ax, x, d: pd.DataFrame, colour: str, **line_kw):
    """Median line with the 90 % and 50 % bands (columns q05, q25, median, q75, q95)."""
    (i0, i1), (o0, o1) = FAN_BANDS
    ax.fill_between(x, d[quantile_column(o0)], d[quantile_column(o1)], color=colour, alpha=FAN_ALPHA[1], lw=0)
    ax.fill_between(x, d[quantile_column(i0)], d[quantile_column(i1)], color=colour, alpha=FAN_ALPHA[0], lw=0)
    return ax.plot(x, d["median"], color=colour, **line_kw)


def quantile_column(q: float) -> str:
    """Column name of a quantile in fan tables: 0.05 -> 'q05', 0.25 -> 'q25'."""
    return f"q{round(q * 100):02d}"
