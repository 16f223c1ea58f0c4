"""Report-ready figures drawn from a run directory's saved tables (no simulation is run here).

`make_figures(run_dir)` reads `run_info.json` and `tables/*.csv` and writes each figure below as
PNG (200 dpi) and PDF into `run_dir/figures/`:

- `inventory_cover`: each fab's inventory cover (days of planned use) over time, one panel per
  material grade. Line = median across replications of the weekly mean cover; band = 10-90 %
  across replications. Policy events are numbered vertical lines, explained in a key.
- `licence_review_times`: review time (decision date minus application date) of every approved
  licence application made during the run, by material grade and regime (bulk renewals,
  individual, special bulk), as box plots over the individual applications. Stars mark the
  observed 2019 first-approval lags (run_info), diamonds the simulated first-approval lag after
  the shock date (median across replications, the like-for-like comparison), and a line marks
  the 90-day standard review period.
- `monthly_imports`: Korea's monthly imports by origin per material (grades summed), stacked
  areas of the mean across replications (tonnes per month), with Japan's share of imports
  (median and 10-90 % band) underneath.
- `policy_timeline`: the licensing regime of each material over time as derived from the policy
  events (every material starts under bulk licensing; `set_regime` events change it), with the
  event dates numbered.

Data preparation and drawing are kept apart: the pure functions `cover_series`, `review_times`,
`first_approval_lags`, `imports_by_origin`, `japan_share`, `event_marks` and `regime_timeline`
return exactly the data each figure draws, so tests can check the plots against the tables.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import matplotlib

# Figures are written to files only. Respect a backend the caller forced (MPLBACKEND or an
# already-imported pyplot); otherwise use Agg so that no display is ever needed.
if not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

# PDF font subsetting logs every table it prunes at INFO; Hydra's logging would show them all
logging.getLogger("fontTools").setLevel(logging.WARNING)

__all__ = [
    "make_figures", "cover_series", "review_times", "first_approval_lags", "imports_by_origin",
    "japan_share", "event_marks", "regime_timeline",
]

# ----------------------------------------------------------------------------------------------
# Style: one look for every figure. Okabe-Ito colours stay distinguishable under the common
# colour-vision deficiencies; fab lines also differ by dash pattern so greyscale prints work.
# ----------------------------------------------------------------------------------------------
OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"]
# line colours: yellow is too faint for thin lines on white, so it comes last
LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#F0E442"]
LINE_STYLES = ["-", (0, (5, 1.5)), (0, (5, 1.5, 1.2, 1.5)), (0, (1.2, 1.2))]
ORIGIN_NAMES = {"JP": "Japan", "CN": "China", "TW": "Taiwan", "US": "United States",
                "BE": "Belgium", "ROW": "Rest of world", "KR": "Korea (domestic)"}
ORIGIN_ORDER = ["JP", "CN", "TW", "US", "BE", "ROW"]
# Japan in vermillion (the colour the eye goes to first) and at the bottom of each stack so that
# its collapse after the curbs is read against a flat baseline
ORIGIN_COLOURS = {"JP": "#D55E00", "CN": "#E69F00", "TW": "#56B4E9", "US": "#0072B2",
                  "BE": "#009E73", "ROW": "#CC79A7", "KR": "#000000"}
REGIME_COLOURS = {"bulk": "#009E73", "individual": "#D55E00", "special_bulk": "#0072B2"}
REGIME_NAMES = {"bulk": "Bulk", "individual": "Individual", "special_bulk": "Special bulk"}
SHORT_MATERIAL = {"hf": "HF", "photoresist": "Photoresist", "fpi": "FPI"}
EVENT_COLOUR = "#555555"
BAND = (0.10, 0.90)  # quantiles of the shaded band across replications
STATUTORY_REVIEW_DAYS = 90
COVER_BIN_DAYS = 7  # weekly means: smooth enough to read, fine enough to show the 2019 drop
DPI = 200

STYLE = {
    "font.family": "DejaVu Sans",
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
# boxplot's `vert` became `orientation` in matplotlib 3.10
HORIZONTAL = ({"orientation": "horizontal"}
              if tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) >= (3, 10)
              else {"vert": False})
EVENT_FONTSIZE = 9


# ----------------------------------------------------------------------------------------------
# Data preparation (pure functions: DataFrame in, DataFrame out)
# ----------------------------------------------------------------------------------------------
def _as_bool(s: pd.Series) -> pd.Series:
    """CSV round trips turn booleans into bool, object 'True'/'False' or NaN: normalise."""
    if s.dtype == bool:
        return s
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "1.0", "yes"])


def _grade(s: pd.Series) -> pd.Series:
    return s.astype(object).fillna("").astype(str)


def _item(material: pd.Series, grade: pd.Series) -> pd.Series:
    """'material.grade', or just 'material' when the grade is empty (exporter-wide licences)."""
    material = material.astype(str)
    return material.where(grade == "", material + "." + grade)


def cover_series(daily: pd.DataFrame, period_days: int = 7,
                 band: Sequence[float] = BAND) -> pd.DataFrame:
    """Inventory cover per fab and material grade, summarised across replications.

    Each replication's daily `cover_days` is first averaged within `period_days`-day bins counted
    from the table's first date (bin label `date` = the bin's first day), then the median and the
    `band` quantiles are taken across replications. `period_days=1` gives the daily quantiles.
    Returns columns item, material, grade, fab, date, median, low, high, n (replications).
    """
    cols = ["item", "material", "grade", "fab", "date", "median", "low", "high", "n"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    # dates are parsed once per distinct value, not per row: the daily table is ~600k rows
    date_cat = pd.Categorical(daily["date"])
    cat_dates = pd.DatetimeIndex(pd.to_datetime(date_cat.categories))
    t0 = cat_dates.min()
    cat_bin = np.asarray((cat_dates - t0).days // int(period_days))
    df = pd.DataFrame({
        "replication": daily["replication"].to_numpy(),
        "fab": daily["fab"].astype("category"),
        "material": daily["material"].astype("category"),
        "grade": _grade(daily["grade"]).astype("category"),
        "bin": cat_bin[date_cat.codes],
        "cover": daily["cover_days"].astype(float).to_numpy(),
    })
    keys = ["fab", "material", "grade", "bin"]
    per_rep = df.groupby(keys + ["replication"], observed=True, sort=False)["cover"].mean()
    grouped = per_rep.groupby(level=keys, observed=True, sort=True)
    q = grouped.quantile([band[0], 0.5, band[1]]).unstack()
    q.columns = ["low", "median", "high"]
    q["n"] = grouped.size()
    out = q.reset_index()
    for c in ("fab", "material", "grade"):
        out[c] = out[c].astype(str)
    out["date"] = t0 + pd.to_timedelta(out["bin"] * int(period_days), unit="D")
    out["item"] = _item(out["material"], out["grade"])
    return out[cols].sort_values(["item", "fab", "date"], kind="stable").reset_index(drop=True)


def _regime_row(regime: str, renewal: bool, has_both: bool) -> str:
    name = REGIME_NAMES.get(regime, str(regime))
    if regime == "bulk":
        return f"{name} renewal" if renewal else name
    if has_both:  # special bulk: first grants and 2023 renewals behave differently, keep apart
        return f"{name} ({'renewal' if renewal else 'first'})"
    return name


def review_times(licences: pd.DataFrame,
                 grades: Optional[Dict[str, Sequence[str]]] = None) -> pd.DataFrame:
    """Review times of approved licence applications made during the run, one row each.

    Excludes licences granted before the run started (`pre_start`), undecided (pending) and
    not-approved (denied, withdrawn) applications. Licences without a grade (exporter-wide bulk,
    company-pair special bulk) are grouped by material. `grades` (material -> grades, in
    run_info order) sets the plot order. Returns columns replication, licence_id, material,
    grade, group (item or material), regime, renewal, review_days, row (plot row label) and
    row_order (material, regime: bulk < individual < special bulk, grade, renewal).
    """
    cols = ["replication", "licence_id", "material", "grade", "group", "regime", "renewal",
            "review_days", "row", "row_order"]
    if licences.empty:
        return pd.DataFrame(columns=cols)
    L = licences.copy()
    L["pre_start"] = _as_bool(L["pre_start"])
    L["renewal"] = _as_bool(L["renewal"]) if "renewal" in L else False
    L["grade"] = _grade(L["grade"])
    L["review_days"] = pd.to_numeric(L["review_days"], errors="coerce")
    keep = (~L["pre_start"]) & (L["outcome"].astype(str) == "approved") & L["review_days"].notna()
    L = L.loc[keep].copy()
    L["group"] = _item(L["material"], L["grade"])
    both = L.groupby(["group", "regime"])["renewal"].agg(lambda r: r.any() and not r.all())
    L["row"] = [_row_label(g, reg, ren, bool(both.get((g, reg), False)))
                for g, reg, ren in zip(L["group"], L["regime"], L["renewal"])]
    L["row_order"] = [_row_order(m, reg, g, ren, grades)
                      for m, reg, g, ren in zip(L["material"], L["regime"], L["grade"],
                                                L["renewal"])]
    L = L.sort_values(["row_order", "replication", "licence_id"], kind="stable")
    return L[cols].reset_index(drop=True)


REGIME_RANK = {"bulk": 0, "individual": 1, "special_bulk": 2}


def _row_order(material: str, regime: str, grade: str, renewal, grades) -> tuple:
    mats = list(grades or {})
    mi = mats.index(material) if material in mats else len(mats)
    gl = list((grades or {}).get(material, []))
    gi = -1 if not grade else (gl.index(grade) if grade in gl else len(gl))
    # ties (materials/grades unknown to run_info) fall back to the names themselves
    return (mi, material, REGIME_RANK.get(regime, 9), gi, grade, int(bool(renewal)))


def _group_label(group: str) -> str:
    material, _, grade = group.partition(".")
    short = SHORT_MATERIAL.get(material, material)
    if not grade:
        return f"{short} (all grades)" if material == "hf" else short
    return short if grade == "standard" else f"{short} {grade}"


def _row_label(group: str, regime: str, renewal: bool, has_both: bool) -> str:
    return f"{_group_label(group)} · {_regime_row(regime, renewal, has_both)}"


def first_approval_lags(licences: pd.DataFrame, shock_date: str,
                        grades: Optional[Dict[str, Sequence[str]]] = None) -> pd.DataFrame:
    """Days from `shock_date` to each replication's first approved non-bulk licence per item.

    Comparable with the observed 2019 first-approval lags. Licences without a grade (company-pair
    special bulk) count for every grade of their material (`grades`: material -> grades).
    Returns columns replication, item, lag_days; replications without any approval are absent.
    """
    cols = ["replication", "item", "lag_days"]
    if licences.empty:
        return pd.DataFrame(columns=cols)
    L = licences.copy()
    L["grade"] = _grade(L["grade"])
    decided = pd.to_datetime(L["decided_date"], errors="coerce")
    shock = pd.Timestamp(shock_date)
    keep = ((~_as_bool(L["pre_start"])) & (L["outcome"].astype(str) == "approved")
            & (L["regime"].astype(str) != "bulk") & (decided >= shock))
    L = L.loc[keep].assign(lag_days=(decided[keep] - shock).dt.days.astype(float))
    rows = []
    for rec in L[["replication", "material", "grade", "lag_days"]].itertuples(index=False):
        gs = [rec.grade] if rec.grade else list((grades or {}).get(rec.material, [])) or [""]
        for g in gs:
            rows.append((rec.replication, f"{rec.material}.{g}" if g else rec.material,
                         rec.lag_days))
    out = pd.DataFrame(rows, columns=cols)
    return (out.groupby(["replication", "item"], as_index=False)["lag_days"].min()
            [cols].sort_values(["item", "replication"]).reset_index(drop=True))


def _imports_wide(imports: pd.DataFrame) -> pd.DataFrame:
    """Tonnes per (material, month, replication) x origin, zero where a table row is missing."""
    if imports.empty:
        return pd.DataFrame()
    w = imports.pivot_table(index=["material", "month", "replication"], columns="origin",
                            values="quantity_t", aggfunc="sum", fill_value=0.0)
    # a month without imports from anywhere has no rows at all: fill the full grid with zeros so
    # that means and medians are over every replication
    full = pd.MultiIndex.from_product(
        [sorted(imports["material"].unique()), sorted(imports["month"].unique()),
         sorted(imports["replication"].unique())], names=["material", "month", "replication"])
    return w.reindex(full, fill_value=0.0)


def _month_start(month: pd.Series) -> pd.Series:
    return pd.to_datetime(month.astype(str) + "-01")


def imports_by_origin(imports: pd.DataFrame, stat: str = "mean") -> pd.DataFrame:
    """Monthly imports per material and origin (grades summed), `stat` across replications.

    Missing table rows count as zero tonnes. The mean (default) keeps the stack consistent: the
    stacked total is the mean total. Origins that never supply a material are dropped.
    Returns columns material, month (first day of the month), origin, quantity_t.
    """
    cols = ["material", "month", "origin", "quantity_t"]
    w = _imports_wide(imports)
    if w.empty:
        return pd.DataFrame(columns=cols)
    agg = w.groupby(level=["material", "month"]).agg(stat)
    out = agg.stack().rename("quantity_t").reset_index()
    used = w.groupby(level="material").sum().stack()
    used = set(used[used > 0].index)
    out = out[[(m, o) in used for m, o in zip(out["material"], out["origin"])]]
    out["month"] = _month_start(out["month"])
    return out[cols].sort_values(["material", "month", "origin"]).reset_index(drop=True)


def japan_share(imports: pd.DataFrame, band: Sequence[float] = BAND) -> pd.DataFrame:
    """Japan's share (%) of each replication's monthly imports per material, median and band.

    Months with no imports at all have no share and are left out of the quantiles.
    Returns columns material, month, median, low, high.
    """
    cols = ["material", "month", "median", "low", "high"]
    w = _imports_wide(imports)
    if w.empty:
        return pd.DataFrame(columns=cols)
    total = w.sum(axis=1)
    jp = w["JP"] if "JP" in w else pd.Series(0.0, index=w.index)
    share = (100.0 * jp / total.where(total > 0)).rename("share")
    g = share.groupby(level=["material", "month"])
    out = pd.DataFrame({"median": g.median(), "low": g.quantile(band[0]),
                        "high": g.quantile(band[1])}).reset_index()
    out["month"] = _month_start(out["month"])
    return out[cols]


def _split_materials(value) -> tuple:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    return tuple(m.strip() for m in str(value).split(";") if m.strip())


def event_marks(policy_events: pd.DataFrame) -> pd.DataFrame:
    """Policy events in date order, numbered 1..n as drawn and listed in each figure's key.

    `materials` becomes a tuple (empty = all materials). Returns columns number, event_id, date,
    kind, label, materials, regime, effective_date.
    """
    cols = ["number", "event_id", "date", "kind", "label", "materials", "regime",
            "effective_date"]
    if policy_events is None or policy_events.empty:
        return pd.DataFrame(columns=cols)
    ev = policy_events.copy()
    for c in cols[1:]:
        if c not in ev:
            ev[c] = ""
    ev["date"] = pd.to_datetime(ev["date"])
    ev["materials"] = [_split_materials(m) for m in ev["materials"]]
    ev["label"] = [str(lab) if isinstance(lab, str) and lab else str(eid)
                   for lab, eid in zip(ev["label"], ev["event_id"])]
    ev = ev.sort_values("date", kind="stable").reset_index(drop=True)
    ev["number"] = np.arange(1, len(ev) + 1)
    return ev[cols]


def _applies(materials: tuple, material: Optional[str]) -> bool:
    return material is None or not materials or material in materials


def regime_timeline(policy_events: pd.DataFrame, materials: Sequence[str], start: str,
                    end: str) -> pd.DataFrame:
    """Licensing regime of each material over [start, end] as set by the policy events.

    Every material starts under bulk licensing; a `set_regime` event switches the regime of the
    materials it lists (all materials if none listed) from its date on. Announcements do not
    change the regime. Returns columns material, regime, start, end (end of one segment = start
    of the next; the last ends at `end`).
    """
    marks = event_marks(policy_events)
    t_start, t_end = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for m in materials:
        seg_start, regime = t_start, "bulk"
        for ev in marks.itertuples(index=False):
            if ev.kind != "set_regime" or not _applies(ev.materials, m):
                continue
            new = str(ev.regime) if isinstance(ev.regime, str) and ev.regime else regime
            when = min(max(ev.date, t_start), t_end)
            if new == regime:
                continue
            if when > seg_start:
                rows.append((m, regime, seg_start, when))
            seg_start, regime = when, new
        rows.append((m, regime, seg_start, t_end))
    return pd.DataFrame(rows, columns=["material", "regime", "start", "end"])


# ----------------------------------------------------------------------------------------------
# Drawing helpers
# ----------------------------------------------------------------------------------------------
def _fmt_date(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts:%b %Y}"


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


def _date_axis(ax, start: pd.Timestamp, end: pd.Timestamp, labels: bool = True) -> None:
    ax.set_xlim(start, end)
    if (end - start).days > 2 * 365:  # the usual multi-year run: year ticks, quarter minors
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y") if labels else NullFormatter())
        ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    else:  # short runs would get a single year tick: let matplotlib pick months
        loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc) if labels
                                     else NullFormatter())
    ax.grid(True, axis="x", which="major", color="#ececec", linewidth=0.6)


def _axes_width_pt(fig, ax) -> float:
    # positions before the layout engine runs are close enough to space the event markers
    # (positions are fractions of the root figure, also for axes in a subfigure)
    try:
        root = fig.get_figure(root=True)  # matplotlib >= 3.10
    except (AttributeError, TypeError):
        root = fig.figure
    return ax.get_position().width * root.get_figwidth() * 72.0


def _mark_events(ax, marks: pd.DataFrame, material: Optional[str] = None,
                 numbers: bool = True) -> int:
    """Dashed vertical line per policy event; numbered markers above the axes.

    Events closer together than a marker's width share one marker ('1-4'); markers that would
    still touch are stacked in rows. Returns the number of marker rows (for the title pad).
    """
    rel = [ev for ev in marks.itertuples(index=False) if _applies(ev.materials, material)]
    if not rel:
        return 0
    x0, x1 = ax.get_xlim()
    width_pt = _axes_width_pt(ax.figure, ax)
    pt_per_day = width_pt / max(x1 - x0, 1.0)
    for ev in rel:
        ax.axvline(ev.date, color=EVENT_COLOUR, linewidth=0.8, linestyle=(0, (3, 2)), zorder=1)
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


def _event_handle(marks: pd.DataFrame) -> list:
    """Legend entry for the event lines, only when there are events to explain."""
    if marks.empty:
        return []
    return [Line2D([], [], color=EVENT_COLOUR, lw=0.8, linestyle=(0, (3, 2)),
                   label="Policy event [n], see notes")]


def _event_key(marks: pd.DataFrame) -> str:
    """The key that explains the numbered event markers, for the notes footer."""
    if marks.empty:
        return ""
    parts = []
    for ev in marks.itertuples(index=False):
        scope = ""
        if ev.materials:
            scope = ", " + "/".join(SHORT_MATERIAL.get(m, m)
                                    for m in ev.materials) + " only"
        parts.append(f"[{ev.number}] {ev.label} ({_fmt_date(ev.date)}{scope})")
    return "Policy events: " + ";  ".join(parts) + "."


def _source_line(info: dict) -> str:
    return (f"Source: simulated, scenario {info.get('scenario', '?')}, "
            f"{info.get('replications', '?')} replications, seed {info.get('seed', '?')}"
            f" (model v{info.get('version', '?')}).")


def _wrap(paragraphs: Iterable[str], fig_width_in: float) -> List[str]:
    width = int(fig_width_in * 72 / (FOOTER_FONTSIZE * 0.56))
    lines: List[str] = []
    for p in paragraphs:
        if p:
            lines.extend(textwrap.wrap(p, width=width, break_on_hyphens=False))
    return lines


def _new_figure(figsize, footer: Iterable[str]):
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


def _save(fig, out_dir: Path, name: str) -> List[Path]:
    """Write PNG and PDF, and close the figure whatever happens (sweeps make many)."""
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.pdf"]
    try:
        fig.savefig(paths[0], dpi=DPI)
        fig.savefig(paths[1])
    finally:
        plt.close(fig)
    return paths


def _panel_title(material: str, grade: str, info: dict) -> str:
    grades = info.get("materials", {}).get(material, {}).get("grades", [grade])
    short = SHORT_MATERIAL.get(material, material)
    return short if (len(grades) <= 1 or not grade) else f"{short}, {grade} grade"


def _items(info: dict, present: Iterable[str]) -> List[str]:
    """material.grade in run_info order, then anything else present in the data."""
    present = list(dict.fromkeys(present))
    ordered = [f"{m}.{g}" for m, mat in info.get("materials", {}).items()
               for g in mat.get("grades", [])]
    return [i for i in ordered if i in present] + [i for i in present if i not in ordered]


def _grades_of(info: dict, material: str) -> List[str]:
    return list(info.get("materials", {}).get(material, {}).get("grades", []))


def _run_span(info: dict, fallback: Sequence[pd.Timestamp]):
    start = pd.Timestamp(info["start_date"]) if info.get("start_date") else min(fallback)
    end = pd.Timestamp(info["end_date"]) if info.get("end_date") else max(fallback)
    return start, end


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_inventory_cover(daily: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    data = cover_series(daily, COVER_BIN_DAYS)
    fabs = list(info.get("fabs", {})) + sorted(set(data["fab"]) - set(info.get("fabs", {})))
    fab_style = {f: (LINE_COLOURS[i % len(LINE_COLOURS)], LINE_STYLES[i % len(LINE_STYLES)])
                 for i, f in enumerate(fabs)}
    items = _items(info, data["item"])
    start, end = _run_span(info, list(data["date"]) or [pd.Timestamp("2018-01-01")])
    n_rep = int(data["n"].max()) if len(data) else 0
    half_bin = pd.Timedelta(days=COVER_BIN_DAYS / 2)

    # Stockpiling can push the upper band past 200 days while the story is in the 0-100 range:
    # cap each panel just above its medians and most of its band, and say so when the band is cut
    tops, clipped = {}, []
    for item in items:
        d = data[data["item"] == item]
        top_data = max(d["median"].max() * 1.1, d["high"].quantile(0.97)) if len(d) else 10.0
        tops[item] = float(np.ceil(max(top_data, 10.0) / 20.0) * 20.0)
        if len(d) and d["high"].max() > tops[item]:
            m, _, g = item.partition(".")
            clipped.append(_panel_title(m, g, info))
    footer = [
        _source_line(info) + f" Lines: median across replications of each fab's weekly mean "
        f"cover; shaded: {BAND[0]:.0%}–{BAND[1]:.0%} of replications. Cover = inventory ÷ planned "
        "daily use; 0 = stock-out."
        + (f" Band cut at the top of the axis in: {', '.join(clipped)}." if clipped else ""),
        _event_key(marks),
    ]
    ncols = 2 if len(items) > 1 else 1
    nrows = int(np.ceil(len(items) / ncols)) or 1
    fig, body = _new_figure((12, 3.3 * nrows + 1.6), footer)
    axes = np.atleast_1d(body.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    for ax, item in zip(axes, items):
        material, _, grade = item.partition(".")
        d = data[data["item"] == item]
        _date_axis(ax, start, end)
        for fab, g in d.groupby("fab", sort=False):
            colour, ls = fab_style[fab]
            x = g["date"] + half_bin  # each bin drawn at its middle
            ax.fill_between(x, g["low"], g["high"], color=colour, alpha=0.13, lw=0)
            ax.plot(x, g["median"], color=colour, linestyle=ls,
                    label=info.get("fabs", {}).get(fab, fab))
        ax.set_ylim(0, tops[item])
        rows = _mark_events(ax, marks, material)
        ax.set_title(_panel_title(material, grade, info), loc="left", pad=6 + 15 * rows)
        ax.set_ylabel("Inventory cover (days)")
    for ax in axes[len(items):]:
        ax.set_visible(False)
    for ax in axes[:len(items)]:
        ax.tick_params(labelbottom=True)
    handles = [Line2D([], [], color=fab_style[f][0], linestyle=fab_style[f][1], lw=2,
                      label=info.get("fabs", {}).get(f, f))
               for f in fabs if f in set(data["fab"])]
    handles.append(Patch(color="#888888", alpha=0.3, lw=0,
                         label=f"{BAND[0]:.0%}–{BAND[1]:.0%} of replications"))
    handles += _event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Fab inventory cover by material grade — scenario {info.get('scenario', '?')}"
                 f" (median of {n_rep} replications)")
    return _save(fig, out_dir, "inventory_cover")


def plot_licence_review_times(licences: pd.DataFrame, info: dict, out_dir: Path) -> List[Path]:
    grades = {m: list(v.get("grades", [])) for m, v in info.get("materials", {}).items()}
    rt = review_times(licences, grades)
    observed = info.get("observed_licence_lags_days", {}) or {}
    shock = pd.Timestamp(info.get("shock_date", "2019-07-04"))
    lags = first_approval_lags(licences, str(shock.date()), grades)
    n_rep = int(info.get("replications") or (licences["replication"].nunique()
                                             if len(licences) else 0))

    # Rows: every (group, regime) in the data, then under each item's individual row a
    # "days to first approval" row comparing simulated first approvals with the observed 2019
    # lags. Review times and first-approval lags are different quantities (the first approval
    # also waits for the first application), so they get separate rows on the same day axis.
    rows: Dict[str, dict] = {}
    for key, g in rt.groupby("row", sort=False):
        rows[key] = dict(order=g["row_order"].iloc[0], values=g["review_days"].to_numpy(),
                         kind="review", regime=g["regime"].iloc[0], item=g["group"].iloc[0])
    items = list(dict.fromkeys(list(observed) + list(lags["item"])))
    for item in items:
        m, _, gr = item.partition(".")
        order = _row_order(m, "individual", gr, False, grades)
        ind = _row_label(item, "individual", False, False)
        if ind not in rows:  # e.g. a baseline run: say so rather than drop the row
            rows[ind] = dict(order=order, values=np.array([]), kind="review",
                             regime="individual", item=item)
        rows[f"{_group_label(item)} · days to first approval"] = dict(
            order=order[:-1] + (5,), values=lags.loc[lags["item"] == item, "lag_days"].to_numpy(),
            kind="first", regime=None, item=item)
    ordered = sorted(rows.items(), key=lambda kv: kv[1]["order"])
    ys, y, prev_mat = [], 0.0, None  # top-down, with a gap between materials
    for _, r in ordered:
        if prev_mat is not None and r["order"][:2] != prev_mat:
            y += 0.7
        ys.append(y)
        prev_mat = r["order"][:2]
        y += 1.0

    pending = 0
    if len(licences):
        pend = (~_as_bool(licences["pre_start"])) & (licences["outcome"].astype(str) == "pending")
        pending = int(pend.sum())
    footer = [
        _source_line(info) + " Review time = decision date − application date, for approved "
        "applications made during the run (licences granted before the run are excluded). "
        "Boxes: quartiles; whiskers: 5th–95th percentile; dots: applications. Days to first "
        f"approval: from {_fmt_date(shock)} to the first approved non-bulk licence for the "
        "item (special bulk counts for every grade); dots: replications (runs); stars: observed "
        "2019."
        + (f" Not shown: {pending:,} application{'s' if pending != 1 else ''} still pending at "
           "the end of the run, so long reviews are under-represented." if pending else ""),
    ]
    fig, body = _new_figure((12, 0.42 * len(ordered) + 2.9), footer)
    ax = body.subplots()
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every time
    all_values = [r["values"] for _, r in ordered if len(r["values"])]
    all_values += [np.asarray(v, float) for v in observed.values() if len(v)]
    vmin = min([v.min() for v in all_values] + [STATUTORY_REVIEW_DAYS])
    vmax = max([v.max() for v in all_values] + [STATUTORY_REVIEW_DAYS])
    xmin = max(vmin, 0.5)  # log axis: anything below half a day is drawn at half a day
    for (label, r), yy in zip(ordered, ys):
        v = np.clip(r["values"], xmin, None)
        if r["kind"] == "review":
            colour = REGIME_COLOURS.get(r["regime"], "#000000")
            if len(v):
                ax.scatter(v, yy + rng.uniform(-0.26, 0.26, len(v)), s=7, color=colour,
                           alpha=0.22 if len(v) > 200 else 0.55, lw=0, zorder=2,
                           rasterized=len(v) > 500)
                ax.boxplot(v, positions=[yy], **HORIZONTAL, widths=0.66,
                           whis=(5, 95), showfliers=False, manage_ticks=False, zorder=3,
                           boxprops=dict(color="#111111", lw=1.2),
                           medianprops=dict(color="#111111", lw=2.2),
                           whiskerprops=dict(color="#111111", lw=1.0),
                           capprops=dict(color="#111111", lw=1.0))
                note = f"n = {len(v):,} · median {np.median(r['values']):,.0f} d"
            else:
                note = "none in this run"
        else:
            # simulated replications just below the lane centre, observed stars just above
            if len(v):
                ax.scatter(v, yy + 0.16 + rng.uniform(-0.1, 0.1, len(v)), s=16,
                           facecolor="none", edgecolor="#000000", lw=0.8, alpha=0.7, zorder=3)
                ax.scatter([np.median(r["values"])], [yy + 0.16], marker="D", s=52,
                           color="white", edgecolor="#000000", lw=1.4, zorder=4)
            for lag in observed.get(r["item"], []):
                ax.scatter([lag], [yy - 0.2], marker="*", s=190, color="#F0E442",
                           edgecolor="#000000", lw=0.9, zorder=5)
            note = (f"{len(v)}/{n_rep} runs · median {np.median(r['values']):,.0f} d"
                    if len(v) else "no approval in this run")
        ax.annotate(note, xy=(1.005, yy), xycoords=("axes fraction", "data"), va="center",
                    ha="left", fontsize=9, color="#333333", annotation_clip=False)
    ax.axvline(STATUTORY_REVIEW_DAYS, color="#000000", lw=1.0, linestyle=(0, (5, 3)), zorder=1)
    ax.set_xscale("log")
    ax.set_xlim(xmin / 1.4, vmax * 1.2)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, axis="x", which="major", color="#e3e3e3", lw=0.6)
    ax.grid(False, axis="y")
    labels = [lab for lab, _ in ordered]
    ax.set_yticks(ys, labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), ordered):
        if r["kind"] == "first":
            tick.set_fontstyle("italic")
    ax.set_ylim(max(ys) + 0.8, -0.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Days (log scale)")
    handles = [Patch(facecolor=REGIME_COLOURS[k], alpha=0.7, label=f"{REGIME_NAMES[k]} licence")
               for k in REGIME_COLOURS if k in set(rt["regime"])]
    handles += [
        Line2D([], [], color="#000000", lw=1.0, linestyle=(0, (5, 3)),
               label=f"{STATUTORY_REVIEW_DAYS}-day standard review period"),
        Line2D([], [], marker="*", color="#F0E442", markeredgecolor="#000000", markersize=14,
               lw=0, label="Observed first approval, 2019"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="#000000",
               markersize=5, lw=0, label="Simulated first approval (replication)"),
        Line2D([], [], marker="D", color="white", markeredgecolor="#000000", markersize=7,
               lw=0, label="Simulated, median"),
    ]
    body.legend(handles=handles, loc="outside lower center", ncols=4)
    body.suptitle(f"Licence review times and first approvals — scenario "
                 f"{info.get('scenario', '?')}")
    return _save(fig, out_dir, "licence_review_times")


def plot_monthly_imports(imports: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    flows = imports_by_origin(imports, "mean")
    share = japan_share(imports)
    materials = [m for m in info.get("materials", {}) if m in set(flows["material"])]
    materials += sorted(set(flows["material"]) - set(materials))
    months = list(flows["month"]) or [pd.Timestamp("2018-01-01")]
    start, end = _run_span(info, months)
    origins = [o for o in ORIGIN_ORDER if o in set(flows["origin"])]
    origins += sorted(set(flows["origin"]) - set(origins))
    footer = [
        _source_line(info) + " Korean customs view: imports only (domestic supply excluded), "
        "all grades summed. Stacks: mean across replications, tonnes per month. Japan's share: "
        f"median across replications, shaded {BAND[0]:.0%}–{BAND[1]:.0%}.",
        _event_key(marks),
    ]
    n = max(len(materials), 1)
    fig, body = _new_figure((4.3 * n + 0.6, 7.2), footer)
    axes = body.subplots(2, n, sharex=True, squeeze=False, height_ratios=[2.2, 1])
    offset = pd.Timedelta(days=14)  # plot each month at its middle
    for j, m in enumerate(materials):
        ax, ax2 = axes[0, j], axes[1, j]
        f = flows[flows["material"] == m].pivot(index="month", columns="origin",
                                                values="quantity_t").fillna(0.0)
        cols = [o for o in origins if o in f.columns]
        x = f.index + offset
        ax.stackplot(x, [f[o].to_numpy() for o in cols], colors=[ORIGIN_COLOURS.get(o, "#999999")
                     for o in cols], edgecolor="white", linewidth=0.4)
        _date_axis(ax, start, end, labels=False)
        ax.set_ylim(0, None)
        ax.margins(y=0.05)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        rows = _mark_events(ax, marks, m)
        name = SHORT_MATERIAL.get(m, m)
        ax.set_title(f"{name}" + (" (all grades)" if len(_grades_of(info, m)) > 1 else ""),
                     loc="left", pad=6 + 15 * rows)
        s = share[share["material"] == m]
        ax2.fill_between(s["month"] + offset, s["low"], s["high"], color=ORIGIN_COLOURS["JP"],
                         alpha=0.2, lw=0)
        ax2.plot(s["month"] + offset, s["median"], color=ORIGIN_COLOURS["JP"], lw=1.6,
                 label=f"_share_{m}")  # leading underscore: kept out of legends
        _date_axis(ax2, start, end)
        ax2.set_ylim(0, 100)
        ax2.set_yticks([0, 25, 50, 75, 100])
        _mark_events(ax2, marks, m, numbers=False)
        if j == 0:
            ax.set_ylabel("Imports (tonnes per month)")
            ax2.set_ylabel("Japan's share (%)")
    handles = [Patch(facecolor=ORIGIN_COLOURS.get(o, "#999999"), label=ORIGIN_NAMES.get(o, o))
               for o in origins]
    handles += _event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Korea's monthly imports by origin — scenario {info.get('scenario', '?')}")
    return _save(fig, out_dir, "monthly_imports")


def plot_policy_timeline(policy_events: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    materials = list(info.get("materials", {})) or ["all"]
    start, end = _run_span(info, [pd.Timestamp("2018-01-01"), pd.Timestamp("2024-12-31")])
    tl = regime_timeline(policy_events, materials, start, end)
    footer = [
        _source_line(info) + " Regime per material as set by the scenario's policy events; "
        "every material starts under bulk (general) licensing.",
        _event_key(marks) or "No policy events in this scenario.",
    ]
    fig, body = _new_figure((12, 0.75 * len(materials) + 2.4), footer)
    ax = body.subplots()
    _date_axis(ax, start, end)
    ax.grid(False, axis="y")
    ax.set_axisbelow(True)
    for i, m in enumerate(materials):
        for seg in tl[tl["material"] == m].itertuples(index=False):
            x0, x1 = mdates.date2num(seg.start), mdates.date2num(seg.end)
            ax.broken_barh([(x0, x1 - x0)], (i - 0.32, 0.64),
                           facecolors=REGIME_COLOURS.get(seg.regime, "#999999"),
                           edgecolor="white", lw=1)
            # label inside the bar only where it fits (~6 pt per character at 9.5 pt)
            width_pt = (x1 - x0) * _axes_width_pt(fig, ax) / max(ax.get_xlim()[1]
                                                                 - ax.get_xlim()[0], 1)
            name = REGIME_NAMES.get(seg.regime, seg.regime)
            if width_pt > 6.2 * len(name) + 8:
                ax.text((x0 + x1) / 2, i, name, ha="center", va="center", fontsize=9.5,
                        color="white" if seg.regime != "bulk" else "#000000", fontweight="bold")
    ax.set_yticks(range(len(materials)),
                  [SHORT_MATERIAL.get(m, m) for m in materials])
    ax.set_ylim(len(materials) - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    rows = _mark_events(ax, marks, None)
    ax.set_title("Export licensing regime for Korea", loc="left", pad=6 + 15 * rows)
    present = [r for r in REGIME_COLOURS if r in set(tl["regime"])]
    handles = [Patch(facecolor=REGIME_COLOURS[r], label=f"{REGIME_NAMES[r]} licensing")
               for r in present]
    handles += _event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Policy timeline — scenario {info.get('scenario', '?')}")
    return _save(fig, out_dir, "policy_timeline")


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
DAILY_COLUMNS = ["replication", "date", "fab", "material", "grade", "cover_days"]


def _read(tables: Path, name: str, **kw) -> pd.DataFrame:
    return pd.read_csv(tables / f"{name}.csv", **kw)


def make_figures(run_dir: Path) -> List[Path]:
    """Draw every figure from `run_dir`'s saved tables into `run_dir/figures/`; return the paths."""
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "run_info.json").read_text())
    tables = run_dir / "tables"
    out_dir = run_dir / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)

    # only the columns the figures use, with repeated strings as categories: the daily table is
    # the bulk of the reading time
    daily = _read(tables, "daily", usecols=DAILY_COLUMNS,
                  dtype={"fab": "category", "material": "category", "grade": "category",
                         "date": "category"})
    licences = _read(tables, "licences", dtype={"grade": str, "fab": str})
    imports = _read(tables, "imports_monthly", dtype={"month": str})
    policy = _read(tables, "policy_events", dtype=str, keep_default_na=False)
    marks = event_marks(policy)

    paths: List[Path] = []
    with plt.rc_context(STYLE):
        paths += plot_inventory_cover(daily, marks, info, out_dir)
        paths += plot_licence_review_times(licences, info, out_dir)
        paths += plot_monthly_imports(imports, marks, info, out_dir)
        paths += plot_policy_timeline(policy, marks, info, out_dir)
    return paths
