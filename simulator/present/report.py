"""The report of a run directory: report.md and a self-contained report.html, from saved outputs.

    python -m simulator rebuild <run_dir>

rebuilds the KPIs (from the saved tables and `params.json`), every figure and both reports, with
no simulation. The report is built once as a list of blocks (headings, paragraphs, tables, lists,
figures) and rendered twice, so the Markdown and the HTML cannot disagree; its numbers come from
`tables/kpi_summary.csv`, the same summary `metrics.json` is written from.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import pandas as pd

from simulator.analysis.intervals import censored_runs
from simulator.present.macro_report import macro_blocks
from simulator.present.render import Block, format_estimate, to_html, to_markdown
from simulator.store.run_dir import read_backtest, read_info, read_csv_table, read_params_document
from simulator.store.run_info import as_run_info

# captions name the run's world: {adjective} supply, {importer}, {licensed}, {buyer}
FIGURES = [
    ("policy_timeline", "Licensing regime per material and the scenario's policy events."),
    ("perceived_risk", "Buyers' perceived risk of {adjective} supply per material: it drives "
                       "stockpiling and the effective cost of {adjective} supply."),
    ("inventory_cover", "{Buyer} inventory cover (days of planned use) per {buyer} and material "
                        "grade: median across replications with 50 % and 90 % bands."),
    ("production", "Planned vs actual output per {buyer} (the resilience curve) and lost "
                   "production with 95 % confidence intervals."),
    ("tts_ttr", "Time to survive (simulated and buffer-only) and time to recover per {buyer} "
                "and material grade, with 95 % confidence intervals."),
    ("licence_pipeline", "Licence review times by regime and material grade against the observed "
                         "2019 first-approval lags; applications and approvals over time."),
    ("monthly_imports", "{importer}'s monthly imports by origin per material (customs view) and "
                        "{licensed}'s share."),
    ("backtest", "Backtest: simulated 90 % bands of imports against observed customs data "
                 "(pre-shock facts and the calibration set)."),
]

# Key assumptions: (what, params path). Values are read from params.json, their sources from the
# world's own citations (world.sources in its config), so a report names only its world's sources.
ASSUMPTIONS = [  # world-wide parameters
    ("Override of every initial stock (days)", "fab.initial_cover_days"),
    ("Stockpiling: extra cover per unit of perceived risk (days)", "fab.risk_cover_days"),
    ("Perceived risk: half-life of the memory of a dispute (days)", "risk.half_life_days"),
    ("Perceived risk: floor once a dispute has begun", "risk.floor"),
    ("Contract term of a switched source (days)", "sourcing.contract_term_days"),
    ("Ration saving (share of use)", "fab.ration_saving"),
    ("Case officers reviewing licence files", "licensing.reviewers"),
    ("Individual licence: median review clock (days)", "licensing.individual.review_days_median"),
    ("Individual licence: statutory window (days)", "licensing.individual.review_days_max"),
    ("Individual licence: validity (days)", "licensing.individual.validity_days"),
    ("Switching adjustment (days)", "fab.switching_adjustment_days"),
    ("Supplier commitment horizon (days of capacity)", "sourcing.max_backlog_days"),
    ("Home bias for sources in {home}", "sourcing.home_bias"),
]
# per material of the run: (what, params path with {m})
MATERIAL_ASSUMPTIONS = [
    ("Initial stock, {name} (days of use)", "materials.{m}.initial_cover_days"),
    ("CES elasticity, {name}", "sourcing.elasticity.{m}"),
    ("Cost multiplier on {adjective} {name} under individual licensing",
     "sourcing.cost_multiplier.individual.{m}"),
]
NO_SOURCE = "see docs/sources.md"


class Summary:
    def __init__(self, frame: pd.DataFrame, replications: int):
        self.df = frame.set_index(["kpi", "fab", "item"]).sort_index()
        self.n = replications

    def row(self, kpi: str, fab: str, item: str):
        try:
            return self.df.loc[(kpi, fab, item)]
        except KeyError:
            return None

    def fmt(self, kpi, fab, item, digits=0, unit="") -> str:
        r = self.row(kpi, fab, item)
        if r is None or pd.isna(r["mean"]):
            return "n/a"
        return format_estimate(r["mean"], r["ci95_low"], r["ci95_high"], digits, unit)

    def recovery(self, fab, item) -> str:
        """Time to recover (Kaplan-Meier median; runs that never recovered are censored)."""
        r = self.row("ttr_days", fab, item)
        if r is None or r["n"] == 0:
            return "n/a"
        if pd.isna(r["mean"]):
            return "not reached in the run"
        return self.fmt("ttr_days", fab, item)

    def tts(self, fab, item) -> str:
        """Simulated time to survive with its caveat, for a table cell."""
        value, note = self.tts_parts(fab, item)
        return value + (f"; {note}" if note else "")

    def tts_parts(self, fab, item):
        """(value, note): the Kaplan-Meier median time to survive (runs without a shortfall are
        censored at the run's end) and how many runs had none."""
        r = self.row("tts_days", fab, item)
        if r is None or r["n"] == 0:
            return "no shortfall", ""
        n = int(r["n"])
        missing = censored_runs(r.get("censored"), n)
        if missing == n:
            return "no shortfall", ""
        note = f"no shortfall in {missing} of {n} runs" if missing else ""
        if pd.isna(r["mean"]):
            return "not reached in the run", note
        return self.fmt("tts_days", fab, item), note


def item_name(info: dict, item: str) -> str:
    """A reader's name for a KPI item: `hf.liquid` -> "HF, liquid", `hf` -> "HF" (the material's
    short name from the run's config; the grade only where the material has several)."""
    info = as_run_info(info)
    if item == "all":
        return "all materials"
    material, _, grade = item.partition(".")
    mat = info.materials.get(material)
    if mat is None:
        return item
    name = mat.get("short_name") or mat.get("name") or material
    return f"{name}, {grade}" if grade and len(mat.get("grades", [])) > 1 else name


def _month(date: str) -> str:
    return pd.Timestamp(date).strftime("%b %Y") if date else "?"


def _window_label(w: dict) -> str:
    """A reporting window by its dates ("Jul 2019–Dec 2020"): its config name (post2,
    after_lift) would read as a claim about the scenario, e.g. a lift it does not have."""
    start, end = _month(w.get("start", "")), _month(w.get("end", ""))
    return start if start == end else f"{start}–{end}"


def _get(params: dict, path: str):
    node = params
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def build_blocks(run_dir: Path) -> List[Block]:
    """The whole report, section by section, from the run directory's saved outputs."""
    info = read_info(run_dir)
    params = read_params_document(run_dir)
    summary = Summary(read_csv_table(run_dir, "kpi_summary"), info.replications)
    events = read_csv_table(run_dir, "policy_events", keep_default_na=False)
    return (_intro_blocks(info) + _change_blocks(info, events) + _headline_blocks(info, summary)
            + _fab_blocks(info, summary) + _licensing_blocks(info, summary)
            + _trade_blocks(info, summary) + _backtest_blocks(run_dir) + _figure_blocks(run_dir, info)
            + macro_blocks(run_dir) + _assumption_blocks(params, info))



def _intro_blocks(info: dict) -> List[Block]:
    info = as_run_info(info)
    return [Block("h1", f"Scenario {info.scenario}"),
            Block("p", f"Simulated {info.start_date} to {info.end_date}: {info.replications} "
                       f"replications, root seed {info.seed}, simulator {info.version}, "
                       f"config hash {info.config_hash}. Disruption metrics count from "
                       f"{info.shock_date} (individual licensing in force) in every scenario. "
                       "Brackets: 95 % intervals across replications: t-intervals for means, "
                       "Wilson for shares of runs, Kaplan-Meier for the median times to survive "
                       "and to recover (a run in which it did not happen is censored at the run's "
                       "end); each cut to what the quantity can be (README, \"Metrics\").")]


def _change_blocks(info: dict, events: pd.DataFrame) -> List[Block]:
    info = as_run_info(info)
    out = [Block("h2", "What changes against the baseline")]
    if events.empty:
        out.append(Block("p", "Nothing: this is the world without the dispute, bulk licensing "
                              "throughout."))
    else:
        # the news series is many data points, not events a reader looks for: one line for it
        news = events[events["kind"] == "news"] if "kind" in events else events.iloc[:0]
        policy = events.drop(news.index)
        rows = [["date", "event", "materials"]]
        rows += [[e.date, e.label, e.materials.replace(";", ", ") or "all"]
                 for e in policy.itertuples(index=False)]
        out.append(Block("p", "The baseline world (bulk licensing throughout) plus these policy "
                              "events:"))
        out.append(Block("table", rows=rows))
        if len(news):
            out.append(Block("p", f"Perceived risk also follows {len(news)} fortnightly counts of "
                                  f"news articles on the dispute, {news['date'].min()} to "
                                  f"{news['date'].max()} (Kim 2024; docs/sources.md)."))
    overrides = [o for o in info.overrides if not o.startswith("scenario=")]
    if overrides:
        out.append(Block("p", "Parameters set on the command line: " + ", ".join(overrides) + "."))
    return out


def _with_unit(text: str, unit: str) -> str:
    """An estimate with its unit; words ("n/a", "not reached in the run") stand alone."""
    return text + unit if text[:1].isdigit() else text


def _headline_blocks(info: dict, summary: "Summary") -> List[Block]:
    info = as_run_info(info)
    rel, buyer, buyers = info.trade_kpi_stems()[0], info.name("buyer"), info.name("buyers")
    items = sorted({i for (k, f, i) in summary.df.index if k == "stockout_days" and f == "all"
                    and i != "all"})
    heads = [
        f"Output lost, all {buyers} (mean over {buyers}, % of planned output after the shock): "
        f"{summary.fmt('lost_production_pct', 'all', 'all', 2, ' %')}.",
        f"Hardest hit: {_worst(summary, info.fabs)}.",
    ]
    for item in items:
        value, note = summary.tts_parts("all", item)
        survive = ("no fab ran short" if value == "no shortfall"
                   else f"first shortfall at any fab: median "
                        f"{_with_unit(value, ' days after the shock')}" + (f", {note}" if note else ""))
        heads.append(f"{item_name(info, item)}: {survive} (buffer-only estimate "
                     f"{summary.fmt('tts_buffer_days', 'all', item)} days); "
                     f"deliveries back to 95 % of need for 30 days: median "
                     f"{_with_unit(summary.recovery('all', item), ' days')}; days with a {buyer} short "
                     f"{summary.fmt('stockout_days', 'all', item)}.")
    windows = info.windows
    if "post2" in windows:  # labels from the run's own windows (metrics.windows), never hard-coded
        for mat in info.materials:
            later = (f", {summary.fmt('domestic_share_pct_late', 'all', mat, 1, ' %')} in "
                     f"{_window_label(windows['late'])}" if "late" in windows else "")
            heads.append(f"{info.materials[mat]['name']}: imports from {info.name('licensed')} "
                         f"{_window_label(windows['post2'])} at "
                         f"{summary.fmt(f'{rel}_post2', 'all', mat, 2)} of the pre-shock "
                         f"monthly mean; domestic share of supply "
                         f"{summary.fmt('domestic_share_pct_post2', 'all', mat, 1, ' %')} then{later}.")
    return [Block("h2", "Headlines"), Block("list", rows=[heads])]


def _fab_blocks(info: dict, summary: "Summary") -> List[Block]:
    info = as_run_info(info)
    fabs = info.fabs
    rows = [["fab", "material", "stockout days", "lost output %", "lost output",
             "time to survive (simulated, median), days", "buffer-only TTS, days",
             "time to recover (median), days",
             "share of runs TTS < TTR"]]
    fab_items = sorted({(f, i) for (k, f, i) in summary.df.index
                        if k == "stockout_days" and f != "all" and i != "all"})
    for fab, item in fab_items:
        unit = info.fab_output_units.get(fab, "units")
        rows.append([fabs.get(fab, fab), item_name(info, item), summary.fmt("stockout_days", fab, item),
                     summary.fmt("lost_production_pct", fab, item, 2),
                     summary.fmt("lost_output_units", fab, item) + f" {unit}",
                     summary.tts(fab, item), summary.fmt("tts_buffer_days", fab, item),
                     summary.recovery(fab, item),
                     summary.fmt("tts_before_ttr", fab, item, 2)])
    per_fab = [["fab", "lost output % (all inputs)", "lost output", "resilience loss, %-days",
                "days with any input short"]]
    for fab in fabs:
        unit = info.fab_output_units.get(fab, "units")
        per_fab.append([fabs[fab], summary.fmt("lost_production_pct", fab, "all", 2),
                        summary.fmt("lost_output_units", fab, "all") + f" {unit}",
                        summary.fmt("resilience_loss_pct_days", fab, "all"),
                        summary.fmt("stockout_days", fab, "all")])
    return [Block("h2", f"How long the {info.name('buyers')} held out and what was lost"),
            Block("table", rows=rows), Block("table", rows=per_fab),
            Block("p", "Lost output in units uses each fab's planned output, an assumption "
                       "(configs/fabs); the percentages do not depend on it.")]


def _licensing_blocks(info: dict, summary: "Summary") -> List[Block]:
    info = as_run_info(info)
    rows = [["licences", "applications", "approvals", "denials", "re-requests", "expiries",
             "review days mean", "p50", "p90", "lapsed t"]]
    lic_items = sorted({i for (k, f, i) in summary.df.index if k == "applications"})
    for item in lic_items:
        label = "all" if item == "all" else (item_name(info, item) if "." in item
                                             else f"{item_name(info, item)} (exporter / pair)")
        rows.append([label] + [summary.fmt(k, "all", item) for k in
                               ("applications", "approvals", "denials", "rerequests", "expiries",
                                "review_days_mean", "review_days_p50", "review_days_p90")]
                    + [summary.fmt("lapsed_t", "all", item, 1)])
    lags = "; ".join(f"{k} {', '.join(f'{v:.0f}' for v in vals)} days"
                     for k, vals in info.observed_licence_lags_days.items())
    return [Block("h2", "Licensing"), Block("table", rows=rows),
            Block("p", "Review days: approved case-reviewed applications (individual, special "
                       f"bulk). Observed first approvals in 2019: {lags}.")]


def _trade_blocks(info: dict, summary: "Summary") -> List[Block]:
    info = as_run_info(info)
    windows = [w for w in info.windows if w != "pre"]
    (rel, share), licensed = info.trade_kpi_stems(), info.name("licensed")
    rows = [["material", "measure"] + [_window_label(info.windows[w]) for w in windows]]
    for mat in info.materials:
        for kpi, label, digits in ((rel, f"imports from {licensed} ÷ pre-shock", 2),
                                   (share, f"{licensed}'s share of imports, %", 1),
                                   ("domestic_share_pct", "domestic share of supply, %", 1)):
            rows.append([item_name(info, mat), label]
                        + [summary.fmt(f"{kpi}_{w}", "all", mat, digits) for w in windows])
    return [Block("h2", "Trade"), Block("table", rows=rows),
            Block("p", "Measured against the pre-shock months, "
                       + _window_label(info.windows.get("pre", {}))
                       + (f"; {info.world_conf().windows_note}." if info.world_conf().windows_note
                          else "."))]


def _figure_blocks(run_dir: Path, info) -> List[Block]:
    info = as_run_info(info)
    names = {"adjective": info.name("licensed_adjective"), "importer": info.name("importer"),
             "licensed": info.name("licensed"), "buyer": info.name("buyer"),
             "Buyer": info.name("buyer").capitalize()}
    return [Block("h2", "Figures")] + [
        Block("figure", caption.format(**names), path=f"figures/{name}")
        for name, caption in FIGURES if (run_dir / "figures" / f"{name}.png").exists()]


def _assumption_blocks(params: dict, info) -> List[Block]:
    """Values from params.json; the world's names and citations from run_info.json."""
    def value_of(path):
        value = _get(params, path)
        return ("default" if value is None else f"{value:g}" if isinstance(value, float)
                else str(value))

    sources = info.world_conf().sources
    names = {"home": info.name("home"), "adjective": info.name("licensed_adjective"),
             "importer": info.name("importer")}
    rows = [["parameter", "value", "source"]]
    rows += [[label.format(**names), value_of(path), sources.get(path, NO_SOURCE)]
             for label, path in ASSUMPTIONS if "{home}" not in label or info.home_origin()]
    licensed = {s.get("finished_stock_days") for s in params.get("suppliers", {}).values()
                if s.get("origin") == info.licensed_origin()}
    if licensed:
        rows.append([f"Finished goods {names['adjective']} makers hold for {names['importer']} "
                     f"(days of flow)",
                     f"{licensed.pop():g}" if len(licensed) == 1 else "varies by maker",
                     sources.get("suppliers.*.finished_stock_days", NO_SOURCE)])
    for m, mat in params.get("materials", {}).items():
        rows += [[label.format(name=mat.get("name", m), **names), value_of(path.format(m=m)),
                  sources.get(path.format(m="*"), NO_SOURCE)]
                 for label, path in MATERIAL_ASSUMPTIONS]
    return [Block("h2", "Key assumptions and their sources"), Block("table", rows=rows),
            Block("p", "Every default in configs/ cites its source (FACTS.md, OBSERVED.md or the "
                       "literature) or says it is an assumption; docs/sources.md in the "
                       "simulator's repository reproduces every cited source with its confidence "
                       "grade and lists where each value is used; params.json in this directory "
                       "holds every value this run used. Metric definitions: README, \"Metrics\".")]


def _backtest_blocks(run_dir: Path) -> List[Block]:
    """The backtest table (backtest.csv), if the run has one."""
    bt = read_backtest(run_dir)
    if bt is None:
        return []
    bt = bt[bt["inside"] != ""]
    if bt.empty:
        return []
    scale = {"tonnes": (1.0, "t"), "value_usd": (1e-6, "US$ M"), "share_pct": (1.0, "%")}
    rows = [["period", "material", "from", "measure", "observed (grade: interval)",
             "simulated mean (90 % band)", "overlap"]]
    has_interval = "observed_low" in bt.columns
    for r in bt.itertuples():
        k, unit = scale[r.measure]
        bound = "" if r.bound == "=" else r.bound + " "
        observed = f"{bound}{float(r.observed) * k:,.1f}"
        if has_interval:
            observed += (f" ({r.confidence}: {float(r.observed_low) * k:,.1f} to "
                         f"{float(r.observed_high) * k:,.1f})")
        rows.append([r.period, r.material, r.origin, unit, observed,
                     f"{float(r.simulated_mean) * k:,.1f} ({float(r.band_low) * k:,.1f} to "
                     f"{float(r.band_high) * k:,.1f})", r.inside])
    n_in = int((bt["inside"] == "yes").sum())
    holds = bt["band_holds"].iloc[0] if "band_holds" in bt.columns else "scenario noise only"
    grades = ("; each observation is an interval from its confidence grade "
              "(metrics.observation_tolerance)" if has_interval else "")
    return [Block("h2", "Backtest against observed trade"),
            Block("p", f"{n_in} of {len(bt)} observations overlap the simulated 90 % band "
                       f"(backtest.csv; sources in its rows). The band holds {holds}{grades}. "
                       "Observations come from " + ", ".join(sorted(set(bt["file"])))
                       + "; the validation window 2019-07 to 2020-12 is a forecast, never "
                       "calibrated to."),
            Block("table", rows=rows)]



def _worst(summary: Summary, fabs: dict) -> str:
    rows = [(r["mean"], f, i) for (k, f, i), r in summary.df.iterrows()
            if k == "lost_production_pct" and f != "all" and i == "all" and not pd.isna(r["mean"])]
    if not rows or max(rows)[0] <= 0:
        return "no fab lost output"
    _, fab, _ = max(rows)
    return f"{fabs.get(fab, fab)}, {summary.fmt('lost_production_pct', fab, 'all', 2, ' %')} of output"


def write_report(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    blocks = build_blocks(run_dir)
    (run_dir / "report.md").write_text(to_markdown(blocks))
    (run_dir / "report.html").write_text(to_html(blocks, run_dir))
    return run_dir / "report.md"
