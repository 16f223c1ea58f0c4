"""report.md for a run directory, written from its saved outputs only (no simulation).

The report states what was run (scenario, its policy events, seed, replications, version, config
hash), the headline numbers with 95 % confidence intervals across replications, the figures, and
where the assumptions are documented. Numbers come from `tables/kpi_summary.csv`, the same
summary `metrics.json` is written from, so report and metrics cannot disagree.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

FIGURE_CAPTIONS = {
    "policy_timeline": "Licensing regime per material and the policy events of the scenario.",
    "inventory_cover": "Fab inventory cover (days of planned use) per material grade: median across "
                       "replications and band; policy events marked.",
    "licence_review_times": "Licence review times by regime and material grade, against the "
                            "observed 2019 first-approval lags and the 90-day statutory window.",
    "monthly_imports": "Korea's monthly imports by origin per material (customs view: domestic "
                       "supply excluded).",
}


def _fmt(row, unit="", digits=0) -> str:
    if row is None or pd.isna(row["mean"]):
        return "n/a"
    mean = f"{row['mean']:.{digits}f}{unit}"
    if pd.isna(row["ci95_low"]):
        return mean
    return f"{mean} ({row['ci95_low']:.{digits}f} to {row['ci95_high']:.{digits}f})"


def _get(summary: pd.DataFrame, kpi: str, fab: str, item: str):
    sel = summary[(summary["kpi"] == kpi) & (summary["fab"] == fab) & (summary["item"] == item)]
    return None if sel.empty else sel.iloc[0]


def write_report(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "run_info.json").read_text())
    summary = pd.read_csv(run_dir / "tables" / "kpi_summary.csv")
    events = pd.read_csv(run_dir / "tables" / "policy_events.csv", keep_default_na=False)
    fabs = info["fabs"]
    n = info["replications"]

    out = [f"# Scenario `{info['scenario']}`", "",
           f"Simulated {info['start_date']} to {info['end_date']}, {n} replications, root seed "
           f"{info['seed']}, simulator version {info['version']}, config hash `{info['config_hash']}`. "
           f"Disruption metrics count from the shock date {info['shock_date']} in every scenario. "
           "Ranges in brackets are 95 % confidence intervals across replications.", ""]

    out += ["## Policy events", ""]
    if events.empty:
        out += ["None: bulk licensing throughout (the world without the dispute).", ""]
    else:
        out += ["| date | event | materials |", "|---|---|---|"]
        for e in events.itertuples(index=False):
            out.append(f"| {e.date} | {e.label} | {e.materials.replace(';', ', ') or 'all'} |")
        out.append("")

    out += ["## Fabs: how long they held out and what was lost", "",
            "| fab | material | stockout days | lost output % | first shortfall, days after shock "
            "| buffer-only TTS, days | time to recover, days |", "|---|---|---|---|---|---|---|"]
    fab_items = summary[(summary["kpi"] == "stockout_days")][["fab", "item"]].drop_duplicates()
    for fab, item in fab_items.itertuples(index=False):
        tts = _get(summary, "tts_days", fab, item)
        if tts is None or tts["n"] == 0:
            tts_text = "none within the horizon"
        else:
            tts_text = _fmt(tts)
            if tts["n"] < n:
                tts_text += f"; none in {n - int(tts['n'])} of {n} runs"
        out.append(f"| {fabs.get(fab, fab)} | {item} | {_fmt(_get(summary, 'stockout_days', fab, item))} "
                   f"| {_fmt(_get(summary, 'lost_production_pct', fab, item), digits=2)} | {tts_text} "
                   f"| {_fmt(_get(summary, 'tts_buffer_days', fab, item))} "
                   f"| {_fmt(_get(summary, 'ttr_days', fab, item))} |")
    out.append("")
    out += ["Output lost over the whole post-shock period, all materials together:", ""]
    for fab in fabs:
        row = _get(summary, "lost_production_pct", fab, "all")
        out.append(f"- {fabs[fab]}: {_fmt(row, ' %', 2)}")
    out.append("")

    out += ["## Licensing", "",
            "| material grade | applications | approvals | review days mean | p50 | p90 | lapsed t |",
            "|---|---|---|---|---|---|---|"]
    for item in sorted(summary[summary["kpi"] == "applications"]["item"].unique()):
        if item == "all":
            continue
        # licences with no grade cover a whole material: exporter-wide bulk, company-pair special bulk
        label = item if "." in item else f"{item} (exporter / company-pair licences)"
        out.append(f"| {label} | {_fmt(_get(summary, 'applications', 'all', item))} "
                   f"| {_fmt(_get(summary, 'approvals', 'all', item))} "
                   f"| {_fmt(_get(summary, 'review_days_mean', 'all', item))} "
                   f"| {_fmt(_get(summary, 'review_days_p50', 'all', item))} "
                   f"| {_fmt(_get(summary, 'review_days_p90', 'all', item))} "
                   f"| {_fmt(_get(summary, 'lapsed_t', 'all', item), digits=1)} |")
    out += ["", "Review days are for case-reviewed (individual and special bulk) approvals; "
            "observed 2019 first approvals: " + "; ".join(
                f"{k} {', '.join(f'{v:.0f}' for v in vals)} d"
                for k, vals in info["observed_licence_lags_days"].items()) + ".", ""]

    out += ["## Trade: imports from Japan relative to the pre-shock monthly mean", "",
            "| material | onset (Jul 2019) | post-1 (Jul-Dec 2019) | post-2 (Jul 2019-Dec 2020) |",
            "|---|---|---|---|"]
    for mat in info["materials"]:
        cells = [_fmt(_get(summary, f"imports_jp_rel_{w}", "all", mat), digits=2)
                 for w in ("onset", "post1", "post2")]
        out.append(f"| {mat} | " + " | ".join(cells) + " |")
    out += ["", "1.00 = unchanged; windows as in Kim (2024).", ""]

    out += ["## Figures", ""]
    for name, caption in FIGURE_CAPTIONS.items():
        if (run_dir / "figures" / f"{name}.png").exists():
            out += [f"![{caption}](figures/{name}.png)", "", f"*{caption}* "
                    f"([PDF](figures/{name}.pdf))", ""]

    out += ["## Assumptions", "",
            "Every default parameter cites its source (FACTS.md line or literature) or is marked "
            "as an assumption in `configs/`; the composed configuration of this run is in "
            "`.hydra/config.yaml`. Firm-level consumption splits, unit values of photoresist and "
            "FPI, capacities of new domestic plants and reviewer capacity are assumptions or "
            "calibrations (README, \"Calibration\").", ""]
    text = "\n".join(out)
    (run_dir / "report.md").write_text(text)
    return run_dir / "report.md"
