"""`inventory_cover`: a fan chart of inventory cover per fab (rows) and material grade (columns).

Each panel: the median across replications of the fab's weekly mean cover, with the 50 % (25th-
75th percentile) and 90 % (5th-95th) bands; panels of grades a fab does not use say so.
"""
from __future__ import annotations

import textwrap

from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from . import style as S
from .data import cover_fan
from simulator.store.run_info import as_run_info


def _top(d: pd.DataFrame) -> float:
    """Upper y-limit: just above the medians and most of the outer band (stockpiles can push the
    95th percentile far above where the story is), rounded up to 20 days."""
    if d.empty:
        return 20.0
    top = max(d["median"].max() * 1.1, d["q95"].quantile(0.97), 10.0)
    return float(np.ceil(top / 20.0) * 20.0)


def _blank(ax, text: str) -> None:
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False, which="both")
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=S.NOTE_FONTSIZE, color="#777777", style="italic")


def plot_inventory_cover(daily: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    """Long because it lays out one grid (fab rows x grade columns), its shared axes, notes and
    legend in reading order; split up, one figure's layout would be scattered over helpers."""
    info = as_run_info(info)
    data = cover_fan(daily, S.COVER_BIN_DAYS)
    fabs = S.fab_order(info, data["fab"]) or ["?"]
    items = S.item_order(info, data["item"]) or ["?"]
    styles = S.fab_styles(info, fabs)
    start, end = S.run_span(info, list(data["date"]) or [pd.Timestamp("2018-01-01")])
    n_rep = int(data["n"].max()) if len(data) else 0
    half_bin = pd.Timedelta(days=S.COVER_BIN_DAYS / 2)
    panels = {key: g for key, g in data.groupby(["fab", "item"], sort=False)}
    tops = {item: _top(data[data["item"] == item]) for item in items}
    clipped = [S.item_title(i, info) for i in items
               if (data["item"] == i).any() and data.loc[data["item"] == i, "q95"].max() > tops[i]]
    (i0, i1), (o0, o1) = S.FAN_BANDS
    footer = [
        S.source_line(info) + f" Lines: median across replications of each {info.name('buyer')}'s weekly mean "
        f"cover; shaded: the middle {i1 - i0:.0%} ({i0 * 100:.0f}th–{i1 * 100:.0f}th percentile, "
        f"darker) and {o1 - o0:.0%} ({o0 * 100:.0f}th–{o1 * 100:.0f}th) of replications. "
        "Cover = inventory ÷ planned daily use; 0 = stock-out. Each column shares its y-axis."
        + (f" Outer band cut at the top of the axis in: {', '.join(clipped)}." if clipped else ""),
        S.event_key(marks, info),
    ]
    nrows, ncols = len(fabs), len(items)
    fig, body = S.new_figure((max(12.0, 3.1 * ncols + 1.4), 2.05 * nrows + 2.9), footer)
    axes = body.subplots(nrows, ncols, sharex=True, squeeze=False)
    numbered = set()  # event sets already numbered in a column to the left
    top_rows = []  # rows of event markers above each column's top panel
    for j, item in enumerate(items):
        material, _, grade = item.partition(".")
        events = tuple(ev.number for ev in marks.itertuples() if S.applies_to(ev.materials,
                                                                             material))
        number_this = events not in numbered
        numbered.add(events)
        used = [i for i, fab in enumerate(fabs) if (fab, item) in panels]
        marker_rows = 0
        for i, fab in enumerate(fabs):
            ax = axes[i, j]
            ax.set_gid(f"inventory_cover|{fab}|{item}")
            name = "\n".join(textwrap.wrap(S.fab_name(info, fab), 24))  # long names wrap
            if j == 0:
                ax.set_ylabel(f"{name}\ncover (days)")
            if (fab, item) not in panels:
                _blank(ax, f"{name} does not use\n{S.item_title(item, info)}")
                continue
            d = panels[(fab, item)]
            colour, _ = styles[fab]
            S.date_axis(ax, start, end)
            S.draw_fan(ax, d["date"] + half_bin, d, colour, lw=1.5, label=name)
            ax.set_ylim(0, tops[item])
            # dates under the lowest panel of the column and above any blank panel
            below_blank = i + 1 < nrows and (fabs[i + 1], item) not in panels
            ax.tick_params(labelbottom=(i == max(used)) or below_blank)
            # numbered markers above the column's first panel only, and only when the column's
            # events differ from those of a column to its left (same lines, same numbers)
            rows = S.mark_events(ax, marks, material, numbers=(i == used[0] and number_this))
            if i == 0:
                marker_rows = rows
        top_rows.append(marker_rows)
    for j, item in enumerate(items):  # column titles level with each other, above any markers
        axes[0, j].set_title(S.item_title(item, info), loc="left", pad=6 + 15 * max(top_rows))
    handles = [Line2D([], [], color="#333333", lw=1.8, label="Median across replications")]
    handles += S.band_handles()
    handles += S.event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Inventory cover by {info.name('buyer')} and material grade — scenario "
                  f"{info.scenario} ({n_rep} replications)")
    return S.save_figure(fig, out_dir, "inventory_cover")

