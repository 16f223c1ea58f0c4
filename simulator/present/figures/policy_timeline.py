"""`policy_timeline`: the licensing regime of each material over time, events numbered."""
from __future__ import annotations

from pathlib import Path
from typing import List

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.patches import Patch

from . import style as S
from .data_policy import regime_timeline
from simulator.store.run_info import as_run_info


def plot_policy_timeline(policy_events: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    info = as_run_info(info)
    materials = list(info.materials) or ["all"]
    start, end = S.run_span(info, [pd.Timestamp("2018-01-01"), pd.Timestamp("2024-12-31")])
    tl = regime_timeline(policy_events, materials, start, end)
    footer = [
        S.source_line(info) + " Regime per material as set by the scenario's policy events; "
        "every material starts under bulk (general) licensing.",
        S.event_key(marks, info) or "No policy events in this scenario.",
    ]
    fig, body = S.new_figure((12, 0.75 * len(materials) + 2.4), footer)
    ax = body.subplots()
    S.date_axis(ax, start, end)
    ax.grid(False, axis="y")
    ax.set_axisbelow(True)
    for i, m in enumerate(materials):
        for seg in tl[tl["material"] == m].itertuples(index=False):
            x0, x1 = mdates.date2num(seg.start), mdates.date2num(seg.end)
            ax.broken_barh([(x0, x1 - x0)], (i - 0.32, 0.64),
                           facecolors=S.REGIME_COLOURS.get(seg.regime, "#999999"),
                           edgecolor="white", lw=1)
            # label inside the bar only where it fits (~6 pt per character at 9.5 pt)
            width_pt = (x1 - x0) * S.axes_width_pt(fig, ax) / max(ax.get_xlim()[1]
                                                                   - ax.get_xlim()[0], 1)
            name = S.REGIME_NAMES.get(seg.regime, seg.regime)
            if width_pt > 6.2 * len(name) + 8:
                ax.text((x0 + x1) / 2, i, name, ha="center", va="center", fontsize=9.5,
                        color="white" if seg.regime != "bulk" else "#000000", fontweight="bold")
    ax.set_yticks(range(len(materials)),
                  [S.material_name(info, m) for m in materials])
    ax.set_ylim(len(materials) - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    rows = S.mark_events(ax, marks, None)
    ax.set_title(f"Export licensing regime for {info.name('importer')}", loc="left", pad=6 + 15 * rows)
    present = [r for r in S.REGIME_COLOURS if r in set(tl["regime"])]
    handles = [Patch(facecolor=S.REGIME_COLOURS[r], label=f"{S.REGIME_NAMES[r]} licensing")
               for r in present]
    handles += S.event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Policy timeline — scenario {info.scenario}")
    return S.save_figure(fig, out_dir, "policy_timeline")
