"""The backtest instrument: the observed-data format, its loader, and the comparison by hand."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulator.analysis.backtest import (ObservedDataError, backtest, default_files, load_observed,
                                period_months)

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/<group>/this file
HEADER = "period,material,origin,measure,value,source,confidence,note\n"


def _imports() -> pd.DataFrame:
    """Two replications, 2021-01..2021-03, hf from JP and CN; JP 10 t a month in replication 0
    and 20 t in replication 1, CN 30 t a month in both; value = 1,000 USD per t."""
    rows = []
    for rep, jp in ((0, 10.0), (1, 20.0)):
        for month in ("2021-01", "2021-02", "2021-03"):
            for origin, q in (("JP", jp), ("CN", 30.0)):
                rows.append((rep, month, "hf", origin, q, 1000.0 * q))
    return pd.DataFrame(rows, columns=["replication", "month", "material", "origin", "quantity_t",
                                       "value_usd"])


def _write(tmp_path, body: str, name="obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_periods():
    assert period_months("2019-06") == ["2019-06"]
    assert period_months("2019Q3") == ["2019-07", "2019-08", "2019-09"]
    assert period_months("2021")[0] == "2021-01" and len(period_months("2021")) == 12
    assert period_months("2022-01..2022-03") == ["2022-01", "2022-02", "2022-03"]
    for bad in ("2019-13", "2019Q5", "June 2019", "2022-03..2022-01", ""):
        with pytest.raises(ValueError):
            period_months(bad)


def test_backtest_by_hand(tmp_path):
    obs = load_observed(_write(tmp_path, HEADER
                               + "2021Q1,hf,JP,tonnes,45,test,H,\n"
                               + "2021-01..2021-02,hf,JP,value_usd,30000,test,M,\n"
                               + "2021Q1,hf,JP,share_pct,30,test,L,\n"
                               + "2030,hf,JP,tonnes,1,test,H,outside the run\n"))
    bt = backtest(_imports(), obs).set_index(["period", "measure"])
    t = bt.loc[("2021Q1", "tonnes")]
    # JP tonnes over the quarter: 30 and 60 -> mean 45, band 5th..95th percentile = 31.5..58.5
    assert t["simulated_mean"] == pytest.approx(45.0)
    assert t["band_low"] == pytest.approx(31.5) and t["band_high"] == pytest.approx(58.5)
    assert t["inside"] == "yes" and t["error"] == pytest.approx(0.0)
    v = bt.loc[("2021-01..2021-02", "value_usd")]
    assert v["simulated_mean"] == pytest.approx(30000.0)  # (20,000 + 40,000) / 2
    s = bt.loc[("2021Q1", "share_pct")]
    # shares 10/40 = 25 % and 20/50 = 40 %: 30 % is inside, mean 32.5 %
    assert s["simulated_mean"] == pytest.approx(32.5) and s["inside"] == "yes"
    assert bt.loc[("2030", "tonnes")]["inside"] == ""  # not in the run: not judged


def test_a_miss_is_outside_and_a_bound_is_judged_by_its_side(tmp_path):
    obs = load_observed(_write(tmp_path, HEADER.rstrip("\n") + ",bound\n"
                               + "2021Q1,hf,JP,tonnes,100,test,H,,=\n"
                               + "2021Q1,hf,JP,tonnes,50,test,H,,>=\n"
                               + "2021Q1,hf,JP,tonnes,70,test,H,,>=\n"))
    bt = backtest(_imports(), obs)
    assert bt["inside"].tolist() == ["no", "yes", "no"]
    assert bt["error"].iloc[0] == pytest.approx(-55.0)


@pytest.mark.parametrize("line, key", [
    ("2019-13,hf,JP,tonnes,1,s,H,", "period = '2019-13'"),
    ("2019-06,hf,JP,kilos,1,s,H,", "measure = 'kilos'"),
    ("2019-06,hf,JP,tonnes,many,s,H,", "value = 'many'"),
    ("2019-06,hf,JP,share_pct,120,s,H,", "value = '120'"),
    ("2019-06,hf,JP,tonnes,-1,s,H,", "value = '-1'"),
    ("2019-06,hf,JP,tonnes,1,s,X,", "confidence = 'X'"),
    ("2019-06,,JP,tonnes,1,s,H,", "material = ''"),
])
def test_a_malformed_row_is_refused_in_one_line_naming_file_line_and_value(tmp_path, line, key):
    path = _write(tmp_path, HEADER + "2019-06,hf,JP,tonnes,1,s,H,\n" + line + "\n")
    with pytest.raises(ObservedDataError) as err:
        load_observed(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("obs.csv line 3: ") and key in msg


def test_a_missing_column_is_refused(tmp_path):
    path = _write(tmp_path, "period,material,origin,value\n2019,hf,JP,1\n")
    with pytest.raises(ObservedDataError, match="missing column"):
        load_observed(path)


def test_the_shipped_files_load_and_cite_their_sources():
    files = default_files()
    assert {f.name for f in files} >= {"pre_shock_facts.csv", "calibration_set.csv"}
    for f in files:
        rows = load_observed(f)
        assert rows and all(r.source for r in rows)
        assert all("OBSERVED.md" in r.source or "FACTS.md" in r.source for r in rows)


def test_command_line_refuses_a_bad_file_without_traceback(tmp_path):
    from conftest import tiny_run_dir
    run = tiny_run_dir(tmp_path)
    own = (run / "backtest.csv").read_bytes()
    bad = _write(tmp_path, HEADER + "2021Q1,hf,JP,tonnes,abc,s,H,\n", "bad.csv")
    out = subprocess.run([sys.executable, "-m", "simulator", "backtest", str(run), str(bad)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "bad.csv line 2: value" in out.stderr
    assert "Traceback" not in out.stderr
    good = _write(tmp_path, HEADER + "2019-01,hf,JP,tonnes,305,s,H,\n", "good.csv")
    out = subprocess.run([sys.executable, "-m", "simulator", "backtest", str(run), str(good)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    # an ad-hoc backtest writes beside the run's own, which stays as the run wrote it
    mine = run / "backtests" / "good"
    bt = pd.read_csv(mine / "backtest.csv")
    assert len(bt) == 1 and bt["inside"].iloc[0] == "yes"
    assert (mine / "backtest.png").exists() and (mine / "backtest.pdf").exists()
    assert (run / "backtest.csv").read_bytes() == own
    from simulator.store.run_dir import changed_files, run_complete
    assert run_complete(run) and changed_files(run) == []
    # a bare table directory is not a run
    bare = tmp_path / "bare"
    (bare / "tables").mkdir(parents=True)
    out = subprocess.run([sys.executable, "-m", "simulator", "backtest", str(bare), str(good)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "not a run directory" in out.stderr


def test_the_backtest_figure_names_materials_and_origins_as_the_run_does(tmp_path):
    from simulator.present.figures.backtest import plot_backtest
    obs = load_observed(_write(tmp_path, HEADER + "2021Q1,hf,JP,tonnes,45,test,H,\n"))
    info = {"materials": {"hf": {"name": "Hydrogen fluoride", "short_name": "HF*"}},
            "origin_names": {"JP": "Nippon"}}
    fig = plot_backtest(backtest(_imports(), obs), info)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    import matplotlib.pyplot as plt
    plt.close(fig)
    assert "HF* from Nippon" in titles


def test_the_observed_interval_widens_with_the_observations_grade(tmp_path):
    """Band 31.5..58.5 t (JP, 2021Q1). An observation of 70 t lies outside it as a point; as an
    H observation (+-10 %: 63.6..77) it is still apart, as an M one (+-25 %: 56..87.5) it overlaps,
    and an L one (+-50 %) overlaps too, with the widest interval."""
    tolerance = {"H": 0.10, "M": 0.25, "L": 0.50}
    rows = {g: backtest(_imports(), load_observed(_write(
        tmp_path, HEADER + f"2021Q1,hf,JP,tonnes,70,test,{g},\n", name=f"{g}.csv")),
        tolerance).iloc[0] for g in "HML"}
    assert backtest(_imports(), load_observed(tmp_path / "H.csv")).iloc[0]["inside"] == "no"
    assert [rows[g]["inside"] for g in "HML"] == ["no", "yes", "yes"]
    widths = [rows[g]["observed_high"] - rows[g]["observed_low"] for g in "HML"]
    assert widths[0] < widths[1] < widths[2]
    assert rows["H"]["observed_low"] == pytest.approx(70 / 1.1)
    assert rows["H"]["observed_high"] == pytest.approx(77.0)
    # a share's interval never passes 100 %
    share = backtest(_imports(), load_observed(_write(
        tmp_path, HEADER + "2021Q1,hf,JP,share_pct,90,test,L,\n", name="s.csv")), tolerance)
    assert share.iloc[0]["observed_high"] == 100.0
