"""`licence_pipeline`: (a) review times per regime and material grade against the observed 2019
first-approval lags, (b) licence applications and approvals per month, per material and regime."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from . import style as S
from .data import _as_bool
from .data_licences import (_group_label, _row_label, _row_order, first_approval_lags,
                            licence_activity, licence_totals, review_times)
from simulator.store.run_info import as_run_info

REGIME_ORDER = ["bulk", "individual", "special_bulk"]


def _review_rows(licences: pd.DataFrame, info: dict) -> Tuple[list, List[float], dict]:
    """Plot rows of the review-time panel: every (group, regime) in the data, then under each
    item's individual row a "days to first approval" row comparing simulated first approvals
    with the observed 2019 lags (different quantities: the first approval also waits for the
    first application), on the same day axis."""
    info = as_run_info(info)
    grades = {m: list(v.get("grades", [])) for m, v in info.materials.items()}
    rt = review_times(licences, grades, info)
    observed = info.observed_licence_lags_days
    shock = pd.Timestamp(info.shock_date)
    lags = first_approval_lags(licences, str(shock.date()), grades)
    rows: Dict[str, dict] = {}
    for key, g in rt.groupby("row", sort=False):
        rows[key] = dict(order=g["row_order"].iloc[0], values=g["review_days"].to_numpy(),
                         kind="review", regime=g["regime"].iloc[0], item=g["group"].iloc[0])
    for item in dict.fromkeys(list(observed) + list(lags["item"])):
        m, _, gr = item.partition(".")
        order = _row_order(m, "individual", gr, False, grades)
        ind = _row_label(item, "individual", False, False, info)
        if ind not in rows:  # e.g. a baseline run: say so rather than drop the row
            rows[ind] = dict(order=order, values=np.array([]), kind="review",
                             regime="individual", item=item)
        rows[f"{_group_label(item, info)} · days to first approval"] = dict(
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
    return ordered, ys, dict(rt=rt, observed=observed, shock=shock,
                             statutory_days=info.statutory_review_days)


def _draw_review_times(ax, ordered, ys, ctx, n_rep: int) -> list:
    """Long because each row draws its points, box, observed lags and labels together, so that
    their positions are computed once and read in one place."""
    observed = ctx["observed"]
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every time
    all_values = [r["values"] for _, r in ordered if len(r["values"])]
    all_values += [np.asarray(v, float) for v in observed.values() if len(v)]
    window = ctx["statutory_days"]
    vmin = min([v.min() for v in all_values] + ([window] if window else []))
    vmax = max([v.max() for v in all_values] + ([window] if window else []))
    xmin = max(vmin, 0.5)  # log axis: anything below half a day is drawn at half a day
    for (label, r), yy in zip(ordered, ys):
        v = np.clip(r["values"], xmin, None)
        if r["kind"] == "review":
            colour = S.REGIME_COLOURS.get(r["regime"], "#000000")
            if len(v):
                ax.scatter(v, yy + rng.uniform(-0.26, 0.26, len(v)), s=7, color=colour,
                           alpha=0.22 if len(v) > 200 else 0.55, lw=0, zorder=2,
                           rasterized=len(v) > 500)
                ax.boxplot(v, positions=[yy], **S.HORIZONTAL, widths=0.66,
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
    if window:
        ax.axvline(window, color="#000000", lw=1.0, linestyle=(0, (5, 3)), zorder=1)
    ax.set_xscale("log")
    ax.set_xlim(xmin / 1.4, vmax * 1.2)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, axis="x", which="major", color="#e3e3e3", lw=0.6)
    ax.grid(False, axis="y")
    ax.set_yticks(ys, [lab for lab, _ in ordered])
    for tick, (_, r) in zip(ax.get_yticklabels(), ordered):
        if r["kind"] == "first":
            tick.set_fontstyle("italic")
    ax.set_ylim(max(ys) + 0.8, -0.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Review time or days to first approval (log scale)")
    ax.set_title("(a) Review times of approved applications, and days to first approval",
                 loc="left")
    window_handle = ([Line2D([], [], color="#000000", lw=1.0, linestyle=(0, (5, 3)),
                             label=f"{window:g}-day statutory review window")] if window else [])
    observed_handle = [Line2D([], [], marker="*", color="#F0E442", markeredgecolor="#000000",
                              markersize=14, lw=0,
                              label=f"Observed first approval, {pd.Timestamp(ctx['shock']).year}")
                       ] if any(len(v) for v in ctx["observed"].values()) else []
    return window_handle + observed_handle + [
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="#000000",
               markersize=5, lw=0, label="Simulated first approval (replication)"),
        Line2D([], [], marker="D", color="white", markeredgecolor="#000000", markersize=7,
               lw=0, label="Simulated, median"),
    ]


def _draw_activity(axes, activity: pd.DataFrame, materials: List[str], marks: pd.DataFrame,
                   info: dict) -> set:
    start, end = S.run_span(info, list(activity["month"]) or [pd.Timestamp("2018-01-01")])
    totals = licence_totals(activity).set_index(["material", "regime"])
    offset = pd.Timedelta(days=14)  # each month at its middle
    drawn = set()
    top = max(float(activity[["applications", "approvals"]].max().max()) if len(activity)
              else 1.0, 1.0)
    for j, (ax, m) in enumerate(zip(axes, materials)):
        S.date_axis(ax, start, end)
        d = activity[activity["material"] == m]
        notes = []
        for regime in REGIME_ORDER + sorted(set(d["regime"]) - set(REGIME_ORDER)):
            g = d[d["regime"] == regime]
            if g.empty or (g["applications"].sum() == 0 and g["approvals"].sum() == 0):
                continue
            colour = S.REGIME_COLOURS.get(regime, "#777777")
            x = g["month"] + offset
            ax.plot(x, g["applications"], color=colour, lw=1.5,
                    label=f"_applications_{m}_{regime}")
            ax.plot(x, g["approvals"], color=colour, lw=1.3, linestyle=(0, (2.5, 1.5)),
                    label=f"_approvals_{m}_{regime}")
            drawn.add(regime)
            t = totals.loc[(m, regime)]
            notes.append(f"{S.REGIME_NAMES.get(regime, regime)}: {t['applications']:,.1f} "
                         f"applied, {t['approvals']:,.1f} approved")
        ax.set_ylim(0, top / 0.64)  # headroom for the totals box in the upper right
        rows = S.mark_events(ax, marks, m)
        ax.set_title(S.material_name(info, m), loc="left", pad=6 + 15 * rows)
        if notes:
            ax.text(0.99, 0.97, "Per run, whole horizon:\n" + "\n".join(notes),
                    transform=ax.transAxes, ha="right", va="top", fontsize=S.NOTE_FONTSIZE,
                    color="#333333", linespacing=1.3,
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#cccccc", lw=0.6))
        if j == 0:
            ax.set_ylabel("Licences per month\n(mean per replication)")
    return drawn


def plot_licence_pipeline(licences: pd.DataFrame, marks: pd.DataFrame, info: dict,
                          out_dir: Path) -> List[Path]:
    info = as_run_info(info)
    n_rep = int(info.replications or (licences["replication"].nunique()
                                             if len(licences) else 0))
    ordered, ys, ctx = _review_rows(licences, info)
    activity = licence_activity(licences, n_rep or None, info.start_date,
                                info.end_date)
    materials = [m for m in info.materials if m in set(activity["material"])]
    materials += sorted(set(activity["material"]) - set(materials))
    pending = 0
    if len(licences):
        pend = (~_as_bool(licences["pre_start"])) & (licences["outcome"].astype(str) == "pending")
        pending = int(pend.sum())
    footer = [
        S.source_line(info) + " (a) Review time = decision date − application date, for "
        "approved applications made during the run (licences granted before the run are "
        "excluded). Boxes: quartiles; whiskers: 5th–95th percentile; dots: applications. Days "
        f"to first approval: from {S.format_date(ctx['shock'])} to the first approved non-bulk "
        "licence for the item (special bulk counts for every grade); circles: replications"
        + (f"; stars: observed {pd.Timestamp(ctx['shock']).year}."
           if any(len(v) for v in ctx["observed"].values()) else ".")
        + (f" Not shown: {pending:,} application{'s' if pending != 1 else ''} still pending at "
           "the end of the run, so long reviews are under-represented." if pending else ""),
        "(b) Applications by month applied, approvals by month decided, mean across "
        f"{n_rep} replications; licences held before the run are not counted. Bulk licences are "
        "exporter-wide (one per exporter and material), so they are few.",
        S.event_key(marks, info),
    ]
    top_h = 0.42 * len(ordered) + 1.9
    bottom_h = 4.3
    fig, body = S.new_figure((13, top_h + bottom_h + 1.9), footer)
    top, bottom = body.subfigures(2, 1, height_ratios=[top_h, bottom_h], hspace=0.02)
    ax = top.subplots()
    review_handles = _draw_review_times(ax, ordered, ys, ctx, n_rep) if ordered else []
    if not ordered:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No licence applications in this run", ha="center", va="center",
                transform=ax.transAxes, fontsize=S.NOTE_FONTSIZE, color="#777777")
    axes = np.atleast_1d(bottom.subplots(1, max(len(materials), 1), sharey=True, squeeze=False)
                         ).ravel()
    drawn = _draw_activity(axes, activity, materials, marks, info) if materials else set()
    for a in axes[len(materials):]:
        a.set_visible(False)
    bottom.suptitle("(b) Licence applications and approvals per month", x=0.005, ha="left",
                    fontsize=11, fontweight="bold")
    regimes = [r for r in REGIME_ORDER if r in drawn or r in set(ctx["rt"]["regime"])]
    handles = [Patch(facecolor=S.REGIME_COLOURS[r], alpha=0.8, label=f"{S.REGIME_NAMES[r]} "
                     "licence") for r in regimes]
    handles += review_handles
    handles += [Line2D([], [], color="#444444", lw=1.5, label="Applications"),
                Line2D([], [], color="#444444", lw=1.3, linestyle=(0, (2.5, 1.5)),
                       label="Approvals")]
    handles += S.event_handle(marks)
    bottom.legend(handles=handles, loc="outside lower center", ncols=5)
    body.suptitle(f"Licence pipeline — scenario {info.scenario}")
    return S.save_figure(fig, out_dir, "licence_pipeline")
