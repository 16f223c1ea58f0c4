"""`monthly_imports`: the importer's monthly imports by origin per material, and the licensing
country's share."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from . import style as S
from .data_imports import imports_by_origin, licensed_share
from simulator.store.run_info import as_run_info


def plot_monthly_imports(imports: pd.DataFrame, marks: pd.DataFrame, info: dict,
                         out_dir: Path) -> List[Path]:
    info = as_run_info(info)
    flows = imports_by_origin(imports, "mean")
    lic, importer, k = info.licensed_origin(), info.name("importer"), info.world_conf().display_units_per_t
    share = licensed_share(imports, lic)
    colours, licensed = S.origin_colours(info), info.name("licensed")
    materials = [m for m in info.materials if m in set(flows["material"])]
    materials += sorted(set(flows["material"]) - set(materials))
    months = list(flows["month"]) or [pd.Timestamp("2018-01-01")]
    start, end = S.run_span(info, months)
    origins = [o for o in S.origin_order(info) if o in set(flows["origin"])]
    origins += sorted(set(flows["origin"]) - set(origins))
    footer = [
        S.source_line(info) + f" Customs view: imports only (domestic supply excluded), "
        f"all grades summed. Stacks: mean across replications, {S.unit_words(info)} per month. "
        f"{licensed}'s share: median across replications, shaded {S.BAND[0]:.0%}–{S.BAND[1]:.0%}.",
        S.event_key(marks, info),
    ]
    n = max(len(materials), 1)
    fig, body = S.new_figure((4.3 * n + 0.6, 7.2), footer)
    axes = body.subplots(2, n, sharex=True, squeeze=False, height_ratios=[2.2, 1])
    offset = pd.Timedelta(days=14)  # plot each month at its middle
    for j, m in enumerate(materials):
        ax, ax2 = axes[0, j], axes[1, j]
        f = flows[flows["material"] == m].pivot(index="month", columns="origin",
                                                values="quantity_t").fillna(0.0)
        cols = [o for o in origins if o in f.columns]
        x = f.index + offset
        ax.stackplot(x, [f[o].to_numpy() * k for o in cols],
                     colors=[colours.get(o, "#999999") for o in cols],
                     edgecolor="white", linewidth=0.4)
        S.date_axis(ax, start, end, labels=False)
        ax.set_ylim(0, None)
        ax.margins(y=0.05)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        rows = S.mark_events(ax, marks, m)
        name = S.material_name(info, m)
        ax.set_title(f"{name}" + (" (all grades)" if len(S.grades_of(info, m)) > 1 else ""),
                     loc="left", pad=6 + 15 * rows)
        s = share[share["material"] == m]
        ax2.fill_between(s["month"] + offset, s["low"], s["high"], color=S.LICENSED_COLOUR,
                         alpha=0.2, lw=0)
        ax2.plot(s["month"] + offset, s["median"], color=S.LICENSED_COLOUR, lw=1.6,
                 label=f"_share_{m}")  # leading underscore: kept out of legends
        S.date_axis(ax2, start, end)
        ax2.set_ylim(0, 100)
        ax2.set_yticks([0, 25, 50, 75, 100])
        S.mark_events(ax2, marks, m, numbers=False)
        if j == 0:
            ax.set_ylabel(f"Imports ({S.unit_words(info)} per month)")
            ax2.set_ylabel(f"{licensed}'s share (%)")
    handles = [Patch(facecolor=colours.get(o, "#999999"), label=S.origin_name(info, o))
               for o in origins]
    handles += S.event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"{importer}'s monthly imports by origin — scenario {info.scenario}")
    return S.save_figure(fig, out_dir, "monthly_imports")
