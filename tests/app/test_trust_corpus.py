"""Issue 17's corpus: bad input at every door of the second command line (python -m simulator),
damaged run and sweep directories, experiment specs, observed files and the newer run.* keys is
refused in one line naming the file (and line or key) and the value, exit code 2, no traceback,
nothing written; valid input that was refused is accepted; derived outputs never overwrite a
run's own. In process where possible (the CLI's `main`, run.py's checks), end to end for a sample.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import tiny_run_dir
from simulator.app.cli import main as cli
from simulator.config.hydra import check_command_line
from simulator.store.run_dir import changed_files, run_complete

ROOT = Path(__file__).resolve().parents[2]
HEADER = "period,material,origin,measure,value,source,confidence,note\n"
GOOD_ROW = "2019-01,hf,JP,tonnes,305,s,H,\n"


@pytest.fixture
def run(tmp_path) -> Path:
    return tiny_run_dir(tmp_path)


def _refused(capsys, argv, *needles, code=2):
    """`python -m simulator ARGV` refuses in one line naming `needles`, exit `code`."""
    assert cli(argv) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)
    return err


def _file(tmp_path, name, text=None, data=None) -> Path:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    else:
        path.write_text(text)
    return path


def _snapshot(run: Path) -> dict:
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def _unchanged(run: Path, before: dict) -> None:
    after = _snapshot(run)
    assert after.keys() == before.keys() and all(after[k] == before[k] for k in before)


# --- observed files (backtest) --------------------------------------------------------------------
OBSERVED_CASES = {
    "binary": (dict(data=b"\x89PNG\r\n\x1a\n\x00\x00binary"), ("bin.csv", "binary")),
    "long line": (dict(text=HEADER + "2019-01,hf,JP,tonnes,1,s,H," + "x" * 20_000 + "\n"),
                  ("line 2", "characters")),
    "unknown material": (dict(text=HEADER + "2019-01,gallium,JP,tonnes,1,s,H,\n"),
                         ("line 2", "'gallium'")),
    "duplicate value": (dict(text="period,material,origin,measure,value,value,source,confidence,note\n"),
                        ("line 1", "value")),
    "not utf-8": (dict(data=HEADER.encode() + "2019-01,hf,JP,tonnes,1,s\xe9,H,\n".encode("latin-1")),
                  ("UTF-8",)),
    "short row": (dict(text=HEADER + "2019-01,hf,JP\n"), ("line 2",)),
    "bad confidence": (dict(text=HEADER + "2019-01,hf,JP,tonnes,1,s,X,\n"), ("line 2", "confidence")),
    "share over 100": (dict(text=HEADER + "2019-01,hf,JP,share_pct,130,s,H,\n"), ("line 2", "value")),
}


@pytest.mark.parametrize("case", list(OBSERVED_CASES))
def test_a_bad_observed_file_is_refused_before_anything_is_written(case, run, tmp_path, capsys):
    kw, needles = OBSERVED_CASES[case]
    bad = _file(tmp_path, "bin.csv", **kw)
    before = _snapshot(run)
    _refused(capsys, ["backtest", str(run), str(bad)], *needles)
    _unchanged(run, before)


def test_a_directory_as_observed_file_is_refused(run, tmp_path, capsys):
    _refused(capsys, ["backtest", str(run), str(tmp_path)], "a directory")


def test_excels_csv_utf8_with_a_byte_order_mark_is_accepted(run, tmp_path, capsys):
    bom = _file(tmp_path, "excel.csv", data=("\ufeff" + HEADER + GOOD_ROW).encode("utf-8"))
    assert cli(["backtest", str(run), str(bom)]) == 0
    assert (run / "backtests" / "excel" / "backtest.csv").is_file()


def test_a_users_backtest_never_overwrites_the_runs_own(run, tmp_path, capsys):
    mine = _file(tmp_path, "mine.csv", HEADER + GOOD_ROW)
    own = (run / "backtest.csv").read_bytes(), (run / "figures" / "backtest.png").read_bytes()
    assert cli(["backtest", str(run), str(mine)]) == 0
    assert ((run / "backtest.csv").read_bytes(), (run / "figures" / "backtest.png").read_bytes()) == own
    assert run_complete(run) and changed_files(run) == []
    out = tmp_path / "elsewhere"
    assert cli(["backtest", str(run), str(mine), "--out", str(out)]) == 0
    assert (out / "backtest.csv").is_file() and (out / "backtest.png").is_file()
    _refused(capsys, ["backtest", str(run), str(mine), "--out", str(run)], "--out")


# --- damaged run directories --------------------------------------------------------------------
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "truncated parquet": (lambda r: _truncate(r / "tables" / "licences" / "rep-000000.parquet"),
                          ("rep-000000.parquet",)),
    "truncated run_info": (lambda r: _truncate(r / "run_info.json"), ("run_info.json", "not valid JSON")),
    "deleted table": (lambda r: shutil.rmtree(r / "tables" / "licences"), ("tables/licences", "missing")),
    "truncated params": (lambda r: _truncate(r / "params.json"), ("params.json",)),
    "cut replications": (lambda r: (r / "replications.csv").write_text(
        (r / "replications.csv").read_text()[:-40]), ("replications.csv",)),
}


@pytest.mark.parametrize("command", ["rebuild", "export", "backtest"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_run_is_named_and_left_as_it_is(command, damage, run, capsys):
    if command == "backtest" and damage == "cut replications":
        pytest.skip("the backtest reads only imports_monthly and the run's records")
    hurt, needles = DAMAGE[damage]
    hurt(run)
    before = _snapshot(run)
    argv = [command, "--csv", str(run)] if command == "export" else [command, str(run)]
    _refused(capsys, argv, *needles)
    _unchanged(run, before)


def test_a_failed_rebuild_gives_the_run_back_as_it_was(run, monkeypatch, capsys):
    import simulator.app.pipeline as pipeline

    def broken(directory, kpis=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "derive_outputs", broken)
    info = (run / "run_info.json").read_text()
    err = _refused(capsys, ["rebuild", str(run)], "disk on fire", code=1)
    assert "fault of the program" in err
    assert (run / "run_info.json").read_text() == info and run_complete(run)


@pytest.mark.parametrize("where", ["missing", "file"])
def test_a_path_that_is_no_run_is_refused(where, tmp_path, capsys):
    path = tmp_path / "nothing"
    if where == "file":
        path.write_text("x")
    for command in ("rebuild", "backtest"):
        _refused(capsys, [command, str(path)], str(path))
    _refused(capsys, ["export", "--csv", str(path)], str(path))


# --- sweep directories ----------------------------------------------------------------------------
def test_compare_and_sweep_refuse_what_is_no_sweep(run, tmp_path, capsys):
    f = _file(tmp_path, "file.txt", "x")
    _refused(capsys, ["compare", str(f)], "is a file")
    _refused(capsys, ["sweep", str(run)], "is a run directory")
    before = _snapshot(run)
    _refused(capsys, ["compare", str(run)], "is a run directory")
    _unchanged(run, before)
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(capsys, ["sweep", str(empty)], "no job folder")


def test_compare_names_a_job_whose_replications_are_cut(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    for name in ("a", "b"):
        job = tiny_run_dir(sweep / f"_{name}")
        job.rename(sweep / name)
        shutil.rmtree(sweep / f"_{name}")
    text = (sweep / "b" / "replications.csv").read_text()
    (sweep / "b" / "replications.csv").write_text(text[: len(text) - 30])
    _refused(capsys, ["compare", str(sweep)], "b", "replications.csv")


# --- experiment specs -----------------------------------------------------------------------------
SENSITIVITY = ("scenario: baseline\noverrides: [run.end_date=2019-12-31]\nsamples: 2\n"
               "replications: 1\nparameters:\n  fab.risk_cover_days: [0, 300]\n"
               "outputs: [\"lost_production_pct[all|all]\"]\n")
SPEC_CASES = {
    "parameters as a list": ("sensitivity", SENSITIVITY.replace(
        "parameters:\n  fab.risk_cover_days: [0, 300]", "parameters: [fab.risk_cover_days]"), (),
        ("parameters must be a mapping",)),
    "negative samples": ("sensitivity", SENSITIVITY, ("--samples", "-4"), ("--samples", "-4")),
    "zero samples": ("sensitivity", SENSITIVITY, ("--samples", "0"), ("--samples", "0")),
    "zero replications": ("sensitivity", SENSITIVITY, ("--replications", "0"), ("--replications",)),
    "samples not a power of 2": ("sensitivity", SENSITIVITY.replace("samples: 2", "samples: 6"), (),
                                 ("power of 2",)),
    "unknown output": ("sensitivity", SENSITIVITY.replace("lost_production_pct[all|all]",
                                                          "lost_prodution_pct[all|all]"), (),
                       ("lost_prodution_pct",)),
    "unknown key": ("sensitivity", SENSITIVITY + "sampels: 4\n", (), ("unknown key 'sampels'",)),
    "low not below high": ("sensitivity", SENSITIVITY.replace("[0, 300]", "[300, 0]"), (),
                           ("low < high",)),
    "unknown parameter": ("sensitivity", SENSITIVITY.replace("fab.risk_cover_days", "fab.nope"), (),
                          ("fab.nope",)),
    "object tag": ("sensitivity", "!!python/object/apply:os.system [echo hi]\n", (),
                   ("not valid YAML",)),
    "not a mapping": ("sensitivity", "- a\n- b\n", (), ("a mapping",)),
    "negative tolerance": ("search", "scenario: baseline\nparameter: fab.risk_cover_days\nlow: 0\n"
                           "high: 10\ngoal_share: 0.9\ntolerance: -1\n", (), ("tolerance", "-1")),
    "goal share above 1": ("search", "scenario: baseline\nparameter: fab.risk_cover_days\nlow: 0\n"
                           "high: 10\ngoal_share: 1.5\n", (), ("goal_share", "1.5")),
    "search low above high": ("search", "scenario: baseline\nparameter: fab.risk_cover_days\n"
                              "low: 10\nhigh: 0\ngoal_share: 0.9\n", (), ("low must be below high",)),
    "search unknown parameter": ("search", "scenario: baseline\nparameter: fab.nope\nlow: 0\n"
                                 "high: 10\ngoal_share: 0.9\nreplications: 1\n", (), ("fab.nope",)),
}


@pytest.mark.parametrize("case", list(SPEC_CASES))
def test_a_bad_spec_is_refused_before_any_run(case, tmp_path, capsys):
    command, text, options, needles = SPEC_CASES[case]
    spec = _file(tmp_path, "spec.yaml", text)
    out = tmp_path / "out"
    _refused(capsys, [command, str(spec), *options, "--out", str(out)], *needles)
    assert not out.exists()


@pytest.mark.parametrize("argv,needle", [
    (["--replications", "0"], "--replications"),
    (["--max-evaluations", "-1"], "--max-evaluations"),
    (["--members", "0"], "--members"),
    (["--chain", "-1"], "--chain"),
])
def test_calibrate_refuses_nonsense_budgets(argv, needle, capsys):
    _refused(capsys, ["calibrate", *argv], needle)


def test_calibrate_refuses_an_at_file_that_is_no_calibration(tmp_path, capsys):
    _refused(capsys, ["calibrate", "--at", str(_file(tmp_path, "x.json", "{not json"))], "--at")


# --- run.py's door: the newer run.* keys and Hydra's settings -------------------------------------
RUN_PY_CASES = {
    "objective parameter": (["run.objective=smallest_meeting_goal", "run.objective_parameter=fab.nope"],
                            "run.objective_parameter"),
    "stop kpi": (["run.stop_kpi='lost_prodution_pct[all|all]'"], "run.stop_kpi"),
    "stop kpi fab": (["run.stop_kpi='lost_production_pct[acme|all]'"], "no fab 'acme'"),
    "n_jobs 0": (["-m", "hydra/launcher=parallel", "hydra.launcher.n_jobs=0"], "n_jobs"),
    "sweeper params alone": (["-m", "hydra.sweeper.params.fab.risk_cover_days=range(0,10)"],
                             "needs a sweeper"),
    "empty run dir": (["hydra.run.dir="], "hydra.run.dir= is empty"),
    "bad value beside --cfg": (["--cfg", "job", "run.replications=-1"], "run.replications"),
    "lag of an unknown item": (["+metrics.observed_licence_lags_days.gallium=[3.0]"], "gallium"),
    "NaN lag": (["metrics.observed_licence_lags_days.hf.gas=[nan]"], "hf.gas"),
}


@pytest.mark.parametrize("case", list(RUN_PY_CASES))
def test_run_py_refuses_in_one_line(case):
    argv, needle = RUN_PY_CASES[case]
    problem = check_command_line(argv)
    assert problem and "\n" not in problem and needle in problem, problem


def test_run_py_accepts_a_value_quoted_as_hydra_allows():
    assert check_command_line(["scenario='baseline'", "run.replications=1"]) is None


def test_run_py_refuses_a_malformed_observed_file_before_the_run(monkeypatch, tmp_path):
    import simulator.analysis.backtest as bt
    from simulator.app import job as run_py
    (tmp_path / "fine.csv").write_text(HEADER + GOOD_ROW)
    (tmp_path / "broken.csv").write_text(HEADER + "2019-01,hf,JP,tonnes,lots,s,H,\n")
    monkeypatch.setattr(bt, "OBSERVED_DIR", tmp_path)
    problem = run_py.observed_problem()
    assert problem and "broken.csv line 2" in problem


# --- figures: any number of panels, any Unicode label ---------------------------------------------
def test_a_one_panel_backtest_keeps_its_title_and_legend(run, tmp_path):
    from simulator.analysis.backtest import backtest, load_observed
    from simulator.present.figures.backtest import MIN_WIDTH_IN, plot_backtest
    from simulator.store.run_dir import read_table
    obs = load_observed(_file(tmp_path, "one.csv", HEADER + GOOD_ROW))
    fig = plot_backtest(backtest(read_table(run, "imports_monthly"), obs, {"H": 0.1}))
    fig.canvas.draw()
    box = fig.get_window_extent()
    texts = [t for sub in fig.subfigs for t in [sub._suptitle] if t is not None]
    texts += [t for f in (fig, *fig.subfigs) for leg in f.legends for t in leg.get_texts()]
    assert texts
    for text in texts:
        extent = text.get_window_extent()
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1
    assert fig.get_size_inches()[0] >= MIN_WIDTH_IN
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_non_latin_labels_draw_without_a_warning_per_glyph(tmp_path, caplog):
    import matplotlib.pyplot as plt
    from simulator.present.figures import glyphs
    from simulator.present.figures.style import save_figure
    glyphs._warned = False
    fig, (ax, bars) = plt.subplots(1, 2)
    ax.set_title("輸出規制の強化 — 수출 규제")
    ax.plot([0, 1], [0, 1], label="フッ化水素")
    ax.set_yticks([0, 1], ["低", "高"])  # tick labels from strings (a FixedFormatter)
    ax.legend()
    bars.bar(["삼성", "SK"], [1, 2])  # categories plotted as strings (a StrCategoryFormatter)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        save_figure(fig, tmp_path, "unicode")
    glyph_warnings = [w for w in caught if "missing from" in str(w.message)]
    assert glyph_warnings == []
    assert (tmp_path / "unicode.png").is_file() and (tmp_path / "unicode.pdf").is_file()
    if not glyphs.fallback_fonts():  # no CJK font here: one warning, and "?" for what cannot draw
        notes = [r for r in caplog.records if "no installed font" in r.getMessage()]
        assert len(notes) == 1
        assert glyphs.clean("HF フッ化水素") == "HF ?"
        ticks = [t.get_text() for a in (ax, bars) for t in (*a.get_xticklabels(), *a.get_yticklabels())]
        assert "?" in ticks and "SK" in ticks and all(glyphs.clean(t) == t for t in ticks)
    assert glyphs.clean("Stella Chemifa") == "Stella Chemifa"


# --- end to end through both command lines, a sample ----------------------------------------------
def _cli(*argv, cwd=ROOT):
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd)


def test_end_to_end_both_command_lines_refuse_in_one_line(run, tmp_path):
    _truncate(run / "tables" / "daily" / "rep-000001.parquet")
    cases = [
        (["-m", "simulator", "rebuild", str(run)], "rep-000001.parquet"),
        (["-m", "simulator", "sensitivity", str(_file(tmp_path, "s.yaml", "- 1\n"))], "a mapping"),
        (["-m", "simulator", "compare", str(run / "params.json")], "is a file"),
        (["run.py", "hydra.run.dir="], "hydra.run.dir= is empty"),
        (["run.py", "run.stop_kpi='nope[all|all]'"], "run.stop_kpi"),
    ]
    for argv, needle in cases:
        out = _cli(*argv)
        assert out.returncode == 2, (argv, out.stderr)
        err = out.stderr.strip()
        assert err.count("\n") == 0 and err.startswith("error: ") and needle in err, (argv, err)
        assert "Traceback" not in out.stderr
    assert json.loads((run / "run_info.json").read_text())["status"] == "complete"
