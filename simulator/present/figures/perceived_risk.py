"""`perceived_risk`: the buyers' perceived probability that Japanese supply of each material is
refused or held up (simulator/risk.py), over time, with the policy events marked."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from . import style as S
from simulator.store.run_info import as_run_info


def risk_series(daily: pd.DataFrame) -> pd.DataFrame:
    """Per material and date: the perceived risk (one value per day; every fab reads the same,
    and it does not depend on the replication's draws), as its median across replications."""
    d = daily[["date", "material", "perceived_risk"]]
    out = d.groupby(["material", "date"], observed=True)["perceived_risk"].median().reset_index()
    out["date"] = pd.to_datetime(out["date"])
    return out


def plot_perceived_risk(daily: pd.DataFrame, marks: pd.DataFrame, info: dict,
                        out_dir: Path) -> List[Path]:
    info = as_run_info(info)
    adjective, buyers = info.name("licensed_adjective"), info.name("buyers")
    series = risk_series(daily)
    materials = [m for m in info.materials if m in set(series["material"])]
    start, end = S.run_span(info, list(series["date"]) or [pd.Timestamp("2018-01-01")])
    footer = [
        S.source_line(info) + f" Perceived per-fortnight probability that a {adjective} shipment is "
        "refused or held up, as buyers see it: raised by signals (press leaks), news intensity "
        "(Kim 2024's probit of articles per fortnight) and tightening regimes, lowered by a lift, "
        f"decaying to a floor once a dispute has begun. It sets the {buyers}' stockpile targets and "
        f"the effective cost of {adjective} supply. Lines of materials that received the same signals "
        "coincide.",
        S.event_key(marks, info) or "No policy events in this scenario.",
    ]
    fig, body = S.new_figure((12, 4.6), footer)
    ax = body.subplots()
    handles = []
    for i, m in enumerate(materials):
        s = series[series["material"] == m]
        colour, style = S.LINE_COLOURS[i % len(S.LINE_COLOURS)], S.LINE_STYLES[i % len(S.LINE_STYLES)]
        ax.plot(s["date"], s["perceived_risk"], color=colour, ls=style, lw=1.8)
        handles.append(Line2D([], [], color=colour, ls=style, lw=1.8,
                              label=S.material_name(info, m)))
    S.date_axis(ax, start, end)
    ax.set_ylim(0, max(0.5, float(series["perceived_risk"].max()) * 1.1 if len(series) else 0.5))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("perceived risk (probability)")
    rows = S.mark_events(ax, marks, None)
    ax.set_title(f"Perceived risk of {adjective} supply", loc="left", pad=6 + 15 * rows)
    handles += S.event_handle(marks)
    body.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    body.suptitle(f"Perceived risk — scenario {info.scenario}")
    return S.save_figure(fig, out_dir, "perceived_risk")
