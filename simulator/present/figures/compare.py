"""Comparison figures for a sweep: several runs (label -> run directory), one line per run.

- `compare_cover`: cover of all fabs together per material grade (Σ inventory ÷ Σ planned use,
  i.e. the demand-weighted mean of the fabs' cover), median across replications.
- `compare_production`: each fab's output (% of planned), median across replications.
- `compare_imports_japan`: monthly imports from Japan per material, mean across replications.
- `compare_tts_ttr`: time to survive and time to recover per fab and grade: Kaplan-Meier
  medians with 95 % intervals.

A run keeps its colour, dash and marker (by position in `runs`) in every comparison figure.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from . import style as S
from .data import national_cover, production_series, stack_runs, tts_ttr
from .data_imports import licensed_imports
from .data_policy import union_event_marks
from .load import read_run
from .parallel import draw_all
from .axes import AT_PLAN, LINTHRESH, day_axis, disruption_window, horizon_days, row_labels, tts_rows, whisker
from simulator.config.world import imports_from_licensed_figure
from simulator.store.run_info import RunInfo, as_run_info

COMPARE_DAILY = ["replication", "date", "fab", "material", "grade", "inventory_t", "demand_t",
                 "fab_production_pct"]
MARKERS = ["o", "s", "D", "^", "v", "P", "X"]
# the figures a comparison draws (imports from the licensing country: its file is named after it)
COMPARISON_FIGURES = ["compare_cover", "compare_production", "compare_imports_licensed",
                      "compare_tts_ttr"]


def compare_tables(runs: Dict[str, Path]) -> dict:
    """Everything the comparison figures draw, one `run` column per table (pure reading and
    data preparation: no drawing). Keys: infos, cover, production, imports_licensed, tts_ttr, marks,
    no_events (runs without policy events)."""
    infos, cover, prod, imp, kpi, policies = {}, {}, {}, {}, {}, {}
    for label, run_dir in runs.items():
        run = read_run(run_dir, daily_columns=COMPARE_DAILY, licences=False)
        infos[label] = run.info
        cover[label] = national_cover(run.daily, S.COVER_BIN_DAYS)
        prod[label] = production_series(run.daily, S.COVER_BIN_DAYS)
        imp[label] = licensed_imports(run.imports, run.info.licensed_origin())
        kpi[label] = tts_ttr(run.kpis)
        policies[label] = run.policy
    return dict(infos=infos, cover=stack_runs(cover), production=stack_runs(prod),
                imports_licensed=stack_runs(imp), tts_ttr=stack_runs(kpi),
                marks=union_event_marks(policies),
                no_events=[k for k, p in policies.items() if p.empty])


def scenario_styles(labels: List[str]) -> Dict[str, dict]:
    """Colour, dash, marker and line width per run, by position; the first runs get the widest
    lines, so that runs that coincide (e.g. until a later policy) show as nested lines."""
    n = len(labels)
    return {lab: dict(color=S.SCENARIO_COLOURS[i % len(S.SCENARIO_COLOURS)],
                      linestyle=S.SCENARIO_STYLES[i % len(S.SCENARIO_STYLES)],
                      marker=MARKERS[i % len(MARKERS)],
                      lw=1.5 + 1.0 * (n - 1 - i) / max(n - 1, 1))
            for i, lab in enumerate(labels)}


def _info(t: dict) -> RunInfo:
    """The runs' run_info merged: materials and fabs of all runs (in first-seen order), the
    calendar and world of the first run (a sweep shares its world and calendar)."""
    infos = [as_run_info(i) for i in t["infos"].values()]
    materials: dict = {}
    fabs: dict = {}
    for info in infos:
        materials.update({a: b for a, b in info.materials.items() if a not in materials})
        fabs.update({a: b for a, b in info.fabs.items() if a not in fabs})
    first = infos[0] if infos else RunInfo()
    return RunInfo(materials=materials, fabs=fabs, start_date=first.start_date,
                   end_date=first.end_date, shock_date=first.shock_date, world=first.world,
                   origin_names=first.origin_names)


def _source(t: dict) -> str:
    parts = [f"{lab} ({i.replications} replications, seed {i.seed})"
             for lab, i in t["infos"].items()]
    versions = sorted({str(as_run_info(i).version) for i in t["infos"].values()})
    return (f"Source: simulated runs {'; '.join(parts)} (model v{', '.join(versions)}).")


def _events_note(t: dict) -> str:
    key = S.event_key(t["marks"], _info(t))
    if key and t["no_events"]:
        key += f" No policy events in: {', '.join(t['no_events'])}."
    return key


def _legend(body, styles: dict, t: dict) -> None:
    handles = [Line2D([], [], color=s["color"], linestyle=s["linestyle"], lw=s["lw"], label=lab)
               for lab, s in styles.items()]
    if len(t["marks"]):
        handles.append(Line2D([], [], color="#9a9a9a", lw=0.6, linestyle=(0, (3, 2)),
                              label="Policy event [n] (any run), see notes"))
    body.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))


def coinciding(data: pd.DataFrame, x: str, y: str, start=None, end=None) -> List[List[str]]:
    """Groups of runs whose lines are identical (every panel, every point in [start, end]):
    drawn on top of each other they would look like one, so the notes name them."""
    d = data
    if start is not None:
        d = d[(d[x] >= start) & (d[x] <= end)]
    key = [c for c in d.columns if c not in ("run", y) and d[c].dtype == object] + [x]
    series = {run: g.set_index(key)[y].sort_index() for run, g in d.groupby("run", sort=False)}
    groups: List[List[str]] = []
    for run, s in series.items():
        for grp in groups:
            ref = series[grp[0]]
            if ref.index.equals(s.index) and np.allclose(ref.to_numpy(), s.to_numpy(),
                                                         equal_nan=True):
                grp.append(run)
                break
        else:
            groups.append([run])
    return [g for g in groups if len(g) > 1]


def _coinciding_note(groups: List[List[str]]) -> str:
    if not groups:
        return ""
    return (" Identical lines, drawn on top of each other: "
            + "; ".join(" = ".join(g) for g in groups) + ".")


def _line_panels(t: dict, table: str, key: str, panels: List[str], titles: List[str],
                 ylabel: str, footer: List[str], title: str, name: str, out_dir: Path,
                 materials: List, ylim, ncols: int = 2, x: str = "date",
                 y: str = "median", shift=pd.Timedelta(days=S.COVER_BIN_DAYS / 2),
                 fmt=None, shared_y: bool = False, window=None) -> List[Path]:
    info, styles = _info(t), scenario_styles(list(t["infos"]))
    data = t[table]
    start, end = S.run_span(info, list(data[x]) or [pd.Timestamp("2018-01-01")])
    if window is not None:
        start, end = window
    ncols = min(ncols, max(len(panels), 1))
    nrows = int(np.ceil(len(panels) / ncols)) or 1
    footer = [footer[0] + _coinciding_note(coinciding(data, x, y, start, end)), *footer[1:]]
    fig, body = S.new_figure((13, 3.0 * nrows + 2.6), footer)
    axes = np.atleast_1d(body.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    for ax, panel, ptitle, material in zip(axes, panels, titles, materials):
        ax.set_gid(f"{name}|{panel}")
        S.date_axis(ax, start, end)
        ax.tick_params(labelbottom=True)
        d = data[data[key] == panel]
        for lab, st in styles.items():
            g = d[d["run"] == lab]
            if len(g):  # later runs thinner and on top: identical runs stay visible
                ax.plot(g[x] + shift, g[y], color=st["color"], linestyle=st["linestyle"],
                        lw=st["lw"], label=lab, zorder=3)
        ax.set_ylim(*ylim(data if shared_y else d))
        if fmt:
            ax.yaxis.set_major_formatter(fmt)
        rows = S.mark_events(ax, t["marks"], material, light=True)
        ax.set_title(ptitle, loc="left", pad=6 + 15 * rows)
        ax.set_ylabel(ylabel)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    _legend(body, styles, t)
    body.suptitle(title)
    return S.save_figure(fig, out_dir, name)


def plot_compare_cover(t: dict, out_dir: Path) -> List[Path]:
    info = _info(t)
    items = S.item_order(info, t["cover"]["item"])

    def ylim(d):
        top = d["median"].max() if len(d) else 10.0
        return 0, float(np.ceil(max(top * 1.1, 10.0) / 20.0) * 20.0)

    buyers = info.name("buyers")
    footer = [_source(t) + f" Cover of all {buyers} together = Σ inventory ÷ Σ planned daily use "
              f"over the {buyers} that use the grade (the demand-weighted mean of their cover), "
              "per replication and day; lines: median across replications of each "
              "replication's weekly mean.", _events_note(t)]
    return _line_panels(t, "cover", "item", items, [S.item_title(i, info) for i in items],
                        f"Cover, all {buyers} (days)", footer,
                        f"Inventory cover of all {buyers} together, by scenario",
                        "compare_cover", out_dir, [i.partition(".")[0] for i in items], ylim)


def plot_compare_production(t: dict, out_dir: Path) -> List[Path]:
    info = _info(t)
    fabs = S.fab_order(info, t["production"]["fab"])

    def ylim(d):
        low = float(d["median"].min()) if len(d) else 100.0
        return max(0.0, min(90.0, np.floor((low - 2.0) / 10.0) * 10.0)), 102.0

    start, end = S.run_span(info, list(t["production"]["date"]) or [pd.Timestamp("2018-01-01")])
    window = disruption_window(t["production"], start, end,
                               pd.Timestamp(as_run_info(info).shock_date), "median")
    zoom = ""
    if window != (start, end):
        zoom = (f" Time axis zoomed to {S.format_date(window[0])} – {S.format_date(window[1])}: "
                f"outside it every run's median output is at or above {AT_PLAN} % of plan.")
    footer = [_source(t) + f" Output = the {info.name('buyer')}'s daily output as % of planned output, limited by "
              "its scarcest input (fab_production_pct); lines: median across replications of "
              "each replication's weekly mean. A median at 100 % can hide short losses that "
              "hit different weeks in different replications (see each run's production "
              "figure for the bands)." + zoom, _events_note(t)]
    return _line_panels(t, "production", "fab", fabs, [S.fab_name(info, f) for f in fabs],
                        "Output (% of planned)", footer,
                        f"{info.name('buyer').capitalize()} output by scenario (median across replications)"
                        + (f", {window[0]:%b %Y} – {window[1]:%b %Y}" if zoom else ""),
                        "compare_production", out_dir, [None] * len(fabs), ylim,
                        shared_y=True, window=window)


def plot_compare_imports_licensed(t: dict, out_dir: Path) -> List[Path]:
    info = _info(t)
    data = t["imports_licensed"]
    mats = [m for m in info.materials if m in set(data["material"])]
    mats += sorted(set(data["material"]) - set(mats))
    licensed, k = info.name("licensed"), info.world_conf().display_units_per_t
    data = data.assign(quantity_t=data["quantity_t"] * k)  # in the world's display unit
    per_month = f"{S.unit_words(info)} per month"

    def ylim(d):
        return 0, max(float(d["quantity_t"].max() * 1.08) if len(d) else 0.0, 1.0)

    footer = [_source(t) + f" Customs view: imports from {licensed}, all grades summed, "
              f"{per_month}; lines: mean across replications.", _events_note(t)]
    titles = [S.material_name(info, m) + (" (all grades)" if len(S.grades_of(info, m)) > 1
                                            else "") for m in mats]
    return _line_panels({**t, "imports_licensed": data}, "imports_licensed", "material", mats,
                        titles, per_month.capitalize(), footer,
                        f"Monthly imports from {licensed} by scenario",
                        imports_from_licensed_figure(info.world_conf()), out_dir, mats, ylim,
                        ncols=3, x="month",
                        y="quantity_t", shift=pd.Timedelta(days=14),
                        fmt=FuncFormatter(lambda v, _: f"{v:,.0f}"))


def plot_compare_tts_ttr(t: dict, out_dir: Path) -> List[Path]:
    info, labels = _info(t), list(t["infos"])
    styles = scenario_styles(labels)
    data = t["tts_ttr"]
    rows, headers, bottom = tts_rows(list(dict.fromkeys(zip(data["fab"], data["item"]))), info)
    horizon = horizon_days(info)
    lane = {lab: (k - (len(labels) - 1) / 2) * min(0.2, 0.8 / max(len(labels), 1))
            for k, lab in enumerate(labels)}
    footer = [_source(t) + " Days from the shock. Markers: Kaplan-Meier median across "
              "replications (a run without a shortfall, or without recovery, is censored at the "
              "end of the run); whiskers: its 95 % interval (kpi_summary). Time to survive = "
              "first post-shock day with a shortfall: hollow markers where some runs had none, "
              "an open triangle in the grey zone where no run had one, a filled one where fewer "
              "than half did (the median lies beyond the run)."
              " Time to recover = first day after deliveries fell short from which 30 days of "
              "deliveries cover ≥ 95 % of planned use (0 if they never fell short). Axis: "
              f"linear to {LINTHRESH:.0f} days, logarithmic above; whiskers beyond the axis are"
              " cut."]
    fig, body = S.new_figure((13, 0.42 * bottom + 3.4), footer)
    axes = body.subplots(1, 2, sharey=True)
    for ax, kpi, title in zip(axes, ("tts_days", "ttr_days"),
                              ("Time to survive (simulated)", "Time to recover")):
        # time to recover is always defined: no room needed beyond the end of the run
        day_axis(ax, horizon, "Days after the shock (log scale above 10 days)",
                 **({} if kpi == "tts_days" else {"beyond": 1.15}))
        ax.set_title(title, loc="left", pad=22)
        d = data[data["kpi"] == kpi]
        for rec in d.itertuples(index=False):
            st = styles[rec.run]
            y = rows[(rec.fab, rec.item)] + lane[rec.run]
            key = f"{kpi}|{rec.run}|{rec.fab}|{rec.item}"
            censored = 0.0 if np.isnan(rec.censored) else rec.censored
            if rec.n == 0 or np.isnan(rec.mean):
                never = rec.n == 0 or censored >= 1  # no run had one, or the median is beyond
                ax.plot([horizon * 1.7], [y], marker=">", color=st["color"], markersize=7,
                        markerfacecolor="white" if never else st["color"], lw=0, zorder=4,
                        label=f"{'none' if never else 'beyond'}|{key}")
                continue
            whisker(ax, y, rec.mean, rec.low, rec.high, st["color"], key, lw=1.2)
            hollow = 0 < censored < 1
            ax.plot([rec.mean], [y], marker=st["marker"], color=st["color"], markersize=6,
                    markerfacecolor="white" if hollow else st["color"], lw=0, zorder=4,
                    label=key)
    if len(data):
        row_labels(axes[0], rows, headers, bottom, info)
    axes[1].tick_params(axis="y", labelleft=False)
    handles = [Line2D([], [], color=s["color"], marker=s["marker"], lw=1.2, markersize=6,
                      label=lab) for lab, s in styles.items()]
    handles += [Line2D([], [], color="#555555", marker="o", markerfacecolor="white", lw=0,
                       label="Some runs without a shortfall"),
                Line2D([], [], color="#555555", marker=">", markerfacecolor="white", lw=0,
                       label="No shortfall in any run"),
                Line2D([], [], color="#555555", marker=">", lw=0,
                       label="Median beyond the end of the run"),
                Patch(facecolor="#f2f2f2", edgecolor="#555555", lw=0.6,
                      label="After the end of the run")]
    body.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
    body.suptitle("Time to survive and time to recover by scenario")
    return S.save_figure(fig, out_dir, "compare_tts_ttr")


def make_comparison_figures(runs: Dict[str, Path], out_dir: Path,
                            workers: Optional[int] = None) -> List[Path]:
    """Draw the comparison figures of `runs` (label -> run directory, in display order) into
    `out_dir` (created); return the paths (PNG and PDF of each). `workers` as in make_figures."""
    if not runs:
        raise ValueError("make_comparison_figures: no runs to compare")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = compare_tables({k: Path(v) for k, v in runs.items()})
    jobs = {
        "compare_tts_ttr": lambda: plot_compare_tts_ttr(t, out_dir),
        "compare_cover": lambda: plot_compare_cover(t, out_dir),
        "compare_production": lambda: plot_compare_production(t, out_dir),
        "compare_imports_licensed": lambda: plot_compare_imports_licensed(t, out_dir),
    }
    drawn = draw_all(jobs, workers)
    return [p for name in COMPARISON_FIGURES for p in drawn[name]]
