"""Run directories: a rebuild gives the same numbers; the report quotes them; sweeps compare.

Uses the tiny world (tests/tiny_world.py) with individual licensing from the shock, two
replications, written with `write_run` as run.py would.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.present.comparison import build as build_comparison
from simulator.app.pipeline import derive_outputs, write_run

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/<group>/this file


def _params(name: str, regime: str = "individual", seed: int = 7):
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, regime)
    return dataclasses.replace(p, scenario_name=name,
                               run=dataclasses.replace(p.run, replications=2, seed=seed))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "tiny"
    write_run(simulate(_params("tiny_curbs")), out, "test-hash", overrides=["scenario=tiny_curbs"])
    return out


def test_run_directory_is_complete(run_dir):
    for name in ("metrics.json", "replications.csv", "report.md", "report.html", "params.json",
                 "run_info.json", "tables/kpi_summary.csv", "tables/daily/rep-000000.parquet",
                 "tables/daily/rep-000001.parquet"):
        assert (run_dir / name).is_file(), name
    assert not (run_dir / ".partial").exists()
    # PNG by default (run.figure_formats); PDF only on request
    assert list((run_dir / "figures").glob("*.png")) and not list((run_dir / "figures").glob("*.pdf"))
    assert (run_dir / "figures" / "backtest.png").is_file()  # drawn in the same pool as the rest


def test_pdf_figures_on_request(tmp_path):
    p = _params("tiny_curbs")
    p = dataclasses.replace(p, run=dataclasses.replace(p.run, figure_formats=["png", "pdf"]))
    out = tmp_path / "with_pdf"
    write_run(simulate(p), out, "test-hash")
    pngs = {f.stem for f in (out / "figures").glob("*.png")}
    pdfs = {f.stem for f in (out / "figures").glob("*.pdf")}
    assert pngs and pngs == pdfs and "backtest" in pdfs


def test_rebuild_gives_the_same_numbers(run_dir, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(run_dir), str(copy)], check=True)
    for name in ("metrics.json", "replications.csv", "report.md", "tables/kpi_summary.csv"):
        (copy / name).unlink()
    derive_outputs(copy)
    for name in ("metrics.json", "replications.csv", "report.md", "tables/kpi_summary.csv"):
        assert (copy / name).read_bytes() == (run_dir / name).read_bytes(), name


@pytest.mark.slow  # ~10-20 s: kept out of the default suite's 5-minute budget
def test_report_module_rebuilds_from_the_command_line(run_dir, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(run_dir), str(copy)], check=True)
    (copy / "report.md").unlink()
    done = subprocess.run([sys.executable, "-m", "simulator", "rebuild", str(copy)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (copy / "report.md").read_bytes() == (run_dir / "report.md").read_bytes()
    bad = subprocess.run([sys.executable, "-m", "simulator", "rebuild", str(tmp_path / "nothing")],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "error:" in bad.stderr


def test_report_quotes_the_summary(run_dir):
    summary = pd.read_csv(run_dir / "tables" / "kpi_summary.csv").set_index(["kpi", "fab", "item"])
    report = (run_dir / "report.md").read_text()
    lost = summary.loc[("lost_production_pct", "all", "all")]
    assert f"{lost['mean']:,.2f} %" in report
    stockouts = summary.loc[("stockout_days", "fab1", "hf.liquid")]
    assert f"| Fab One | HF | {stockouts['mean']:,.0f} (" in report  # names, not ids
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["kpis"]["lost_production_pct"]["all"]["all"]["mean"] == pytest.approx(lost["mean"])
    html = (run_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and "<table>" in html  # self-contained


def test_sweep_comparison_pairs_replications(tmp_path):
    sweep = tmp_path / "sweep"
    write_run(simulate(_params("tiny_bulk", regime="bulk")), sweep / "0_tiny_bulk", "h0",
              overrides=["scenario=tiny_bulk"])
    write_run(simulate(_params("tiny_curbs")), sweep / "1_tiny_curbs", "h1",
              overrides=["scenario=tiny_curbs"])
    (sweep / "2_failed").mkdir()  # a job without metrics.json is not compared
    out = build_comparison(sweep)
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["label"]) == {"tiny_bulk", "tiny_curbs"}
    paired = pd.read_csv(out / "paired_differences.csv", keep_default_na=False, na_values=[""])
    # no run is called baseline: the first run is the reference
    assert set(paired["reference"]) == {"tiny_bulk"}
    a = pd.read_csv(sweep / "0_tiny_bulk" / "replications.csv").set_index("replication")
    b = pd.read_csv(sweep / "1_tiny_curbs" / "replications.csv").set_index("replication")
    col = "stockout_days[fab1|hf.liquid]"
    row = paired[(paired["kpi"] == "stockout_days") & (paired["fab"] == "fab1")
                 & (paired["item"] == "hf.liquid")].iloc[0]
    assert row["mean_difference"] == pytest.approx((b[col] - a[col]).mean())
    assert row["n"] == 2
    assert (out / "comparison.md").read_text().startswith("# Scenario comparison")
    assert list(out.glob("compare_*.png"))


def test_comparison_headlines_follow_the_runs_materials():
    """A material added by YAML alone gets its rows; nothing names the default world's items."""
    from simulator.present.comparison import headlines
    info = {"materials": {"gallium": {"name": "Gallium", "grades": ["6n"]},
                          "hf": {"name": "HF", "grades": ["liquid", "gas"]}},
            "windows": {"post2": {"start": "2019-07-01", "end": "2020-12-31"}},
            "world": dataclasses.asdict(tw.TINY_WORLD)}
    keys = [("lost_production_pct", "all", "all"), ("stockout_days", "all", "gallium.6n"),
            ("tts_days", "all", "gallium.6n"), ("stockout_days", "all", "hf.gas"),
            ("imports_jp_rel_post2", "all", "gallium")]
    table = pd.DataFrame(keys, columns=["kpi", "fab", "item"])
    rows = headlines(table, info)
    assert [r[:3] for r in rows] == [keys[0], keys[1], keys[2], keys[3], keys[4]]
    labels = dict(((r[0], r[2]), r[3]) for r in rows)
    assert labels[("stockout_days", "gallium.6n")] == "days a fab was short of Gallium"
    assert labels[("stockout_days", "hf.gas")] == "days a fab was short of HF, gas"
    assert "2019-07…2020-12" in labels[("imports_jp_rel_post2", "gallium")]


def _with_gallium(p):
    """The tiny world plus a second material, added as data alone (what a YAML file would add):
    Japanese gallium by air to the same fab, under the same regimes."""
    import copy

    from simulator.config.params import GradeConf, LaneConf, MaterialConf, SupplierConf
    p = copy.deepcopy(p)
    p.materials["gallium"] = MaterialConf(
        name="Gallium", hs_code="8112.92", unit_value_usd_per_t=300000.0, initial_cover_days=40.0,
        grades={"6n": GradeConf(description="6N gallium", mode="air")},
        pre_shock_imports_t_per_month={"JP": 2.0})
    p.suppliers["jp_ga"] = SupplierConf(name="Japanese gallium", origin="JP", material="gallium",
                                        grade_mix={"6n": 1.0}, share_of_origin=1.0,
                                        capacity_headroom=1.0, production_lead_days=5.0)
    p.lanes["JP_air"] = LaneConf(origin="JP", mode="air", transit_days_min=1, transit_days_mode=1,
                                 transit_days_max=1, customs_days=1)
    p.fabs["fab1"].demand_share["gallium"] = {"6n": 1.0}
    p.sourcing.elasticity["gallium"] = 2.0
    for name in ("bulk", "individual", "special_bulk"):
        p.licensing.regime(name).documents["gallium"] = 7
    return p


@pytest.mark.slow  # ~10-20 s: kept out of the default suite's 5-minute budget
def test_a_material_added_as_data_alone_gets_its_rows_panels_and_headlines(tmp_path):
    sweep = tmp_path / "sweep"
    for i, (label, regime) in enumerate((("baseline", "bulk"), ("tiny_curbs", "individual"))):
        p = dataclasses.replace(_with_gallium(_params(label, regime)), scenario_name=label)
        write_run(simulate(p), sweep / f"{i}_{label}", "h", overrides=[f"scenario={label}"])
    run = sweep / "1_tiny_curbs"
    report = (run / "report.md").read_text()
    assert "| Fab One | Gallium |" in report  # per fab x grade rows, by name
    assert "| Gallium | imports from Japan" in report  # trade rows
    assert "| CES elasticity, Gallium | 2 |" in report  # key assumptions of the run's materials
    assert (run / "figures" / "inventory_cover.png").exists()
    summary = pd.read_csv(run / "tables" / "kpi_summary.csv")
    assert {"gallium.6n", "gallium"} <= set(summary["item"])
    out = build_comparison(sweep)
    md = (out / "comparison.md").read_text()
    assert "days a fab was short of Gallium" in md
    assert "Gallium: imports from Japan" in md
