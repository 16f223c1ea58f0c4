"""Scenario comparison for a sweep directory, from its finished runs' saved outputs.

    python -m simulator compare <sweep_dir>      (run.py -m does this at the end of every sweep)

writes into `<sweep_dir>/comparison/`:
- `comparison.csv`: every KPI of every run side by side (label, scenario, overrides, kpi, fab,
  item, mean, ci95_low, ci95_high, n);
- `paired_differences.csv`: each run minus the reference run (the baseline scenario if the sweep
  has one, else the first run), replication by replication. Replication r of every scenario uses
  the same random streams (common random numbers), so paired differences have much tighter
  intervals than the difference of two means. Computed over the replications both runs have, and
  only when they share the root seed;
- `comparison.md`: the headline KPIs side by side and the paired differences that matter most;
- figures `compare_*` (see simulator.figures).
Only complete runs (`run_complete`: run_info.json marked complete) are compared.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pandas as pd

from simulator.analysis.intervals import t_half_width
from simulator.config.kpis import parse_kpi_column
from simulator.present.render import format_estimate
from simulator.store.run_dir import read_csv_table, read_info, read_replications, run_complete
from simulator.store.run_info import as_run_info


def headlines(table: pd.DataFrame, info: dict) -> List[tuple]:
    """The rows of comparison.md, (kpi, fab, item, label, digits), for whatever materials and
    grades the runs have (their run_info): nothing here names a material of the default world."""
    info = as_run_info(info)
    present = set(zip(table["kpi"], table["fab"], table["item"]))
    materials = info.materials
    buyer, buyers, licensed = info.name("buyer"), info.name("buyers"), info.name("licensed")
    rel = info.trade_kpi_stems()[0]
    out = [("lost_production_pct", "all", "all", f"output lost, mean over {buyers}, %", 2)]
    items = [(m, g) for m, mat in materials.items() for g in mat.get("grades", [])]
    for m, g in items:
        name = materials[m].get("name", m)
        what = name if len(materials[m].get("grades", [])) <= 1 else f"{name}, {g}"
        out += [("stockout_days", "all", f"{m}.{g}", f"days a {buyer} was short of {what}", 0),
                ("tts_days", "all", f"{m}.{g}",
                 f"{what}: first shortfall, median days after the shock", 0),
                ("ttr_days", "all", f"{m}.{g}", f"{what}: time to recover, median days", 0)]
    windows = info.windows
    # Kim's post-2 window and the after-lift window where the runs define them, else the last
    # window the runs define after the pre-shock one
    chosen = [w for w in ("post2", "after_lift") if w in windows] or [
        w for w in windows if w != "pre"][-1:]
    for m, mat in materials.items():
        name = mat.get("name", m)
        for w in chosen:
            if w in windows:
                span = f"{windows[w]['start'][:7]}…{windows[w]['end'][:7]}"
                out.append((f"{rel}_{w}", "all", m,
                            f"{name}: imports from {licensed} {span} ÷ pre-shock", 2))
        for w in ("late", "after_lift"):
            if w in windows:
                span = f"{windows[w]['start'][:7]}…{windows[w]['end'][:7]}"
                out.append((f"domestic_share_pct_{w}", "all", m,
                            f"{name}: domestic share of supply {span}, %", 1))
    return [h for h in out if h[:3] in present]



def complete_runs(sweep_dir: Path) -> List[Path]:
    runs = [d for d in sweep_dir.iterdir() if d.is_dir() and run_complete(d)]

    def order(d: Path):
        head = d.name.split("_", 1)[0]
        return (int(head), d.name) if head.isdigit() else (math.inf, d.name)
    return sorted(runs, key=order)


def labels_for(runs: Sequence[Path]) -> Dict[str, Path]:
    """Label runs by scenario, adding their other overrides where scenarios repeat."""
    infos = [read_info(d) for d in runs]
    scenarios = [i.scenario for i in infos]
    out = {}
    for d, info in zip(runs, infos):
        label = info.scenario
        extra = [o for o in info.overrides if not o.startswith(("scenario=", "hydra"))]
        if scenarios.count(label) > 1 or (extra and len(set(scenarios)) == 1):
            label = f"{label} [{', '.join(extra)}]" if extra else f"{label} ({d.name})"
        out[label] = d
    return out


def comparison_table(runs: Dict[str, Path]) -> pd.DataFrame:
    parts = []
    for label, d in runs.items():
        info = read_info(d)
        s = read_csv_table(d, "kpi_summary")
        extra = ";".join(o for o in info.overrides if not o.startswith("scenario="))
        parts.append(s.assign(label=label, scenario=info.scenario, overrides=extra, run_dir=d.name))
    cols = ["label", "scenario", "overrides", "run_dir", "kpi", "fab", "item", "mean", "ci95_low",
            "ci95_high", "n", "censored"]
    return pd.concat(parts, ignore_index=True).reindex(columns=cols)


def reference_label(runs: Dict[str, Path]) -> str:
    for label, d in runs.items():
        if read_info(d).scenario == "baseline":
            return label
    return next(iter(runs))


def paired_differences(runs: Dict[str, Path], reference: str) -> pd.DataFrame:
    ref_info = read_info(runs[reference])
    ref = read_replications(runs[reference])
    rows = []
    for label, d in runs.items():
        if label == reference:
            continue
        info = read_info(d)
        if info.seed != ref_info.seed:
            continue  # different streams: pairing would mean nothing
        other = read_replications(d)
        common_reps = ref.index.intersection(other.index)
        for col in other.columns.intersection(ref.columns):
            diff = (other.loc[common_reps, col] - ref.loc[common_reps, col]).dropna()
            n = len(diff)
            mean = float(diff.mean()) if n else math.nan
            half = t_half_width(diff) if n > 1 else math.nan
            kpi, fab, item = parse_kpi_column(col)
            rows.append((label, reference, kpi, fab, item, mean, mean - half, mean + half, n))
    return pd.DataFrame(rows, columns=["label", "reference", "kpi", "fab", "item", "mean_difference",
                                       "ci95_low", "ci95_high", "n"])


def _cell(frame: pd.DataFrame, label, kpi, fab, item, digits, prefix="") -> str:
    sel = frame[(frame["label"] == label) & (frame["kpi"] == kpi) & (frame["fab"] == fab)
                & (frame["item"] == item)]
    if sel.empty:
        return "n/a"
    r = sel.iloc[0]
    mean = r.get("mean", r.get("mean_difference"))
    if pd.isna(mean):  # a level: no replication ran short; a difference: undefined on one side
        if kpi == "tts_days" and not prefix:
            censored = r.get("censored", 1.0)
            return "none" if pd.isna(censored) or censored >= 1 else "beyond the run"
        return "n/a"
    return prefix + format_estimate(mean, r["ci95_low"], r["ci95_high"], digits, signed=bool(prefix))


def comparison_markdown(table: pd.DataFrame, paired: pd.DataFrame, reference: str,
                        figures: Sequence[Path], info: dict) -> str:
    labels = list(dict.fromkeys(table["label"]))
    out = ["# Scenario comparison", "",
           "Estimates across replications with 95 % intervals: means with t-intervals, shares of "
           "runs with Wilson intervals, and times to survive and to recover as Kaplan-Meier "
           "medians (a run in which it did not happen is censored at the run's end). `none`: no "
           "replication ran short; `beyond the run`: fewer than half did. Definitions: README, "
           "\"Metrics\".", "",
           "| measure | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    rows = headlines(table, info)
    for kpi, fab, item, name, digits in rows:
        out.append(f"| {name} | " + " | ".join(_cell(table, lb, kpi, fab, item, digits)
                                                for lb in labels) + " |")
    others = [lb for lb in labels if lb != reference and lb in set(paired["label"])]
    if others:
        out += ["", f"## Paired differences against `{reference}`", "",
                "Replication by replication (common random numbers), mean difference and 95 % "
                "t-interval; for times to survive and to recover, over the replications in which "
                "both runs had one.", "",
                "| measure | " + " | ".join(others) + " |", "|---|" + "---|" * len(others)]
        for kpi, fab, item, name, digits in rows:
            out.append(f"| {name} | " + " | ".join(
                _cell(paired, lb, kpi, fab, item, digits, prefix="Δ") for lb in others) + " |")
    if figures:
        out += ["", "## Figures", ""]
        out += [f"![{p.stem}]({p.name})" for p in figures if p.suffix == ".png"]
    out.append("")
    return "\n".join(out)


def build(sweep_dir: Path, reference: Optional[str] = None) -> Path:
    """The comparison of `sweep_dir`'s complete runs; paired differences against `reference` (a
    run's label or job folder; default: the baseline scenario's run, else the first)."""
    from simulator.present.figures import make_comparison_figures

    sweep_dir = Path(sweep_dir)
    runs = labels_for(complete_runs(sweep_dir))
    if not runs:
        raise FileNotFoundError(f"{sweep_dir} has no complete run (no */run_info.json marked complete)")
    if reference is not None:
        by_dir = {d.name: label for label, d in runs.items()}
        if reference not in runs and reference not in by_dir:
            raise FileNotFoundError(f"no complete run {reference!r} in {sweep_dir} (runs: "
                                    f"{', '.join(by_dir)})")
        reference = by_dir.get(reference, reference)
    out = sweep_dir / "comparison"
    out.mkdir(exist_ok=True)
    table = comparison_table(runs)
    table.to_csv(out / "comparison.csv", index=False, float_format="%.6g")
    reference = reference or reference_label(runs)
    paired = paired_differences(runs, reference)
    paired.to_csv(out / "paired_differences.csv", index=False, float_format="%.6g")
    # the figure formats the runs were written in (run.figure_formats; PNG unless asked)
    from simulator.present.figures.style import figure_formats
    from simulator.store.run_dir import read_params
    formats = read_params(next(iter(runs.values()))).run.figure_formats
    with figure_formats(formats):
        figures = make_comparison_figures(runs, out)
    info = read_info(next(iter(runs.values())))  # the domain (materials, windows) of the runs
    (out / "comparison.md").write_text(comparison_markdown(table, paired, reference, figures, info))
    return out
