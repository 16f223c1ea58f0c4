"""The bad-input corpus: every way a new user has been seen to get input wrong, refused at the door.

Each case must give one line that names the key (or the file and line) and the offending value,
and nothing else: no traceback, no environment value echoed. Most cases go through
`check_command_line`, which is what run.py runs before Hydra creates anything (so a refused
command line writes nothing); a handful go end to end through run.py in subprocesses, checking
the exit code, the single stderr line and that no run directory appears.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tiny_world as tw
from simulator import ConfigError
from simulator.config.hydra import check_command_line, load_scenarios
from simulator.config.output_dir import output_dir_problem
from simulator.config.params import EventConf
from simulator.config.validation import validate

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/<group>/this file
HOME = os.environ.get("HOME", "/root")

# (command line, what the one line must contain: the key and the offending value)
COMMAND_LINES = [
    # keys that do not exist
    ("+foo=1", ["foo", "not a config key"]),
    ("foo=1", ["foo"]),
    ("fab.initial_cover_dayz=3", ["fab.initial_cover_dayz"]),
    ("fabs.samsung.planned_output_per_month=5", ["fabs.samsung"]),
    ("timeline.curbs_in_force.kind=note", ["timeline.curbs_in_force"]),
    ("+timeline.p.date=2019-08-01", ["timeline.p", "scenario file"]),
    ("+suppliers.newco.name=x", ["suppliers.newco", "scenario file"]),
    ("scenario.label=x", ["scenario.label", "no key 'scenario' at the top level"]),
    ("materials.hf.foo=1", ["materials.hf.foo", "no key 'foo' in materials.hf"]),
    ("materials.nope.unit_value_usd_per_t=3", ["materials.nope", "no key 'nope' in materials"]),
    # config groups and scenarios that do not exist
    ("run=nonexistent", ["run=nonexistent", "available: default"]),
    ("scenario=nope", ["scenario=nope", "curbs_2019"]),
    # syntax
    ("fab.initial_cover_days=[1,2", ["fab.initial_cover_days=[1,2", "not a valid override"]),
    # types, NaN, inf
    ("fab.initial_cover_days=abc", ["fab.initial_cover_days", "abc"]),
    ("run.replications=2.5", ["run.replications", "2.5"]),
    ("materials.hf.unit_value_usd_per_t=nan", ["materials.hf.unit_value_usd_per_t", "nan"]),
    ("materials.hf.unit_value_usd_per_t=inf", ["materials.hf.unit_value_usd_per_t", "inf"]),
    # bounds that keep a run finite
    ("materials.hf.unit_value_usd_per_t=1e308", ["materials.hf.unit_value_usd_per_t", "1e+308"]),
    ("materials.hf.pre_shock_imports_t_per_month.JP=1e300",
     ["materials.hf.pre_shock_imports_t_per_month.JP", "1e+300"]),
    ("lanes.JP_sea.transit_days_max=1e12", ["lanes.JP_sea.transit_days_max", "1000000000000"]),
    ("run.replications=1000000000", ["run.replications", "1000000000"]),
    ("run.replications=0", ["run.replications", "0"]),
    ("run.workers=100000", ["run.workers", "100000"]),
    ("run.end_date=2200-12-31", ["run.end_date", "2200-12-31"]),
    # dates
    ("run.end_date=2019-13-45", ["run.end_date", "2019-13-45"]),
    ("run.end_date=2019-06-30", ["timeline.curbs_announced.date", "2019-06-30"]),
    ("metrics.shock_date=2030-01-01", ["metrics.shock_date", "2030-01-01"]),
    # ranges and choices
    ("run.seed=-1", ["run.seed", "-1"]),
    ("fab.review_period_days=0", ["fab.review_period_days", "0"]),
    ("fab.ration_saving=1.0", ["fab.ration_saving", "1.0"]),
    ("fab.max_lot_days=0", ["fab.max_lot_days", "0"]),
    ("risk.prior=-0.1", ["risk.prior", "-0.1"]),
    ("suppliers.jsr.share_of_origin=1.5", ["suppliers.jsr.share_of_origin", "1.5"]),
    ("licensing.individual.review_days_max=-1", ["licensing.individual.review_days_max", "-1"]),
    ("licensing.individual.denial_prob=1.2", ["licensing.individual.denial_prob", "1.2"]),
    ("licensing.initial_regime=strict", ["licensing.initial_regime", "strict"]),
    ("run.keep_tables=some", ["run.keep_tables", "some"]),
    ("fabs.sk_hynix.output_index=wafer_starts", ["fabs.sk_hynix.output_index", "wafer_starts"]),
    ("fab.output_indices.semi_wafer_area.points.2019-07-01=-3",
     ["fab.output_indices.semi_wafer_area.points.2019-07-01", "-3"]),
    ("fab.output_indices.semi_wafer_area.base_to=2017-01-01",
     ["fab.output_indices.semi_wafer_area.base_to", "2017-01-01"]),
    ("run.executor=threads", ["run.executor", "threads"]),
    ("run.objective=maximise", ["run.objective", "maximise"]),
    ("run.stop_kpi=whatever", ["run.stop_kpi", "whatever"]),
    ("suppliers.jsr.material=unobtainium", ["suppliers.jsr.material", "unobtainium"]),
    ("materials.hf.grades.gas.mode=rail", ["suppliers.stella_chemifa", "rail"]),
    # a grade no supplier makes any more, while the fabs still use it
    ("suppliers.stella_chemifa.grade_mix.gas=0 suppliers.stella_chemifa.grade_mix.liquid=1 "
     "suppliers.daikin.grade_mix.gas=0 suppliers.daikin.grade_mix.liquid=1 "
     "suppliers.us_hf.grade_mix.gas=0 suppliers.us_hf.grade_mix.liquid=1",
     ["materials.hf.grades.gas", "no supplier"]),
    # resolvers: config values are data; the environment is never read, nor echoed
    ("run.seed=${oc.env:HOME}", ["run.seed", "${oc.env:HOME}", "resolver oc.env"]),
    ("timeline.curbs_announced.label=${oc.env:HOME}",
     ["timeline.curbs_announced.label", "${oc.env:HOME}"]),
    ("timeline.curbs_announced.label=${oc.decode:'{a: 1}'}", ["timeline.curbs_announced.label",
                                                              "oc.decode"]),
    # where the run would be written
    ("hydra.run.dir=/proc/simulator_run", ["hydra.run.dir=/proc/simulator_run", "pseudo-file system"]),
    ("hydra.run.dir=/sys/simulator_run", ["hydra.run.dir=/sys/simulator_run", "pseudo-file system"]),
    ("-m hydra.sweep.dir=/proc/simulator_sweep", ["hydra.sweep.dir=/proc/simulator_sweep"]),
    # Hydra's own settings
    ("hydra.job.chdir=maybe", ["hydra.job.chdir", "maybe"]),
    ("hydra.foo=1", ["hydra.foo"]),
    ("hydra/launcher=nope", ["hydra/launcher=nope", "available:", "parallel"]),
]


def _assert_one_clean_line(message, expected):
    assert message, "accepted, but should have been refused"
    assert "\n" not in message and "Traceback" not in message, message
    for text in expected:
        assert text in message, (text, message)
    # the schema's class names (Params, MaterialConf, ...) mean nothing to a reader
    assert "'Params'" not in message and "Conf'" not in message, message
    if HOME and len(HOME) > 1 and "oc.env" in message:
        assert HOME not in message.replace("${oc.env:HOME}", ""), message  # never the value


@pytest.mark.parametrize("line,expected", COMMAND_LINES, ids=[c[0][:50] for c in COMMAND_LINES])
def test_a_bad_command_line_is_refused_in_one_line(line, expected):
    _assert_one_clean_line(check_command_line(line.split()), expected)


def test_the_corpus_is_at_least_forty_cases():
    assert len(COMMAND_LINES) + len(SCENARIO_FILES) + len(WORLDS) >= 40


def test_a_good_command_line_passes():
    assert check_command_line(["scenario=baseline", "fab.initial_cover_days=30",
                               "run.end_date=${run.start_date}"]) is not None  # a plain reference
    assert check_command_line(["scenario=baseline", "fab.initial_cover_days=30"]) is None


def test_below_a_regular_file_is_refused(tmp_path):
    (tmp_path / "a_file").write_text("x")
    _assert_one_clean_line(check_command_line([f"hydra.run.dir={tmp_path}/a_file/run"]),
                           ["hydra.run.dir", "a_file", "is a file"])


def test_a_read_only_place_is_refused(tmp_path, monkeypatch):
    """A read-only mount (simulated: this test may run as root, who can write anywhere else)."""
    real = os.statvfs

    class ReadOnly:
        def __init__(self, st):
            self._st = st
            self.f_flag = st.f_flag | os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(real(p)))
    _assert_one_clean_line(output_dir_problem("hydra.run.dir", str(tmp_path / "run")),
                           ["hydra.run.dir", "read-only"])


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        _assert_one_clean_line(output_dir_problem("hydra.run.dir", str(locked / "run")),
                               ["hydra.run.dir", "not writable"])
    finally:
        locked.chmod(0o755)


# --- scenario files: a broken draft breaks itself only ------------------------------------------
GOOD = "# @package _global_\ntimeline: {}\n"
SCENARIO_FILES = [
    # (files in scenarios/, the broken one, what its line must say)
    ({"draft.yaml": "timeline:\n  a: {date: '2019-07-01'\n  b: 1\n"}, "draft", ["draft.yaml line", "YAML"]),
    ({"draft.yaml": "- a\n- b\n"}, "draft", ["draft.yaml", "mapping"]),
    ({"draft.yaml": "x: !!python/object/apply:os.system ['true']\n"}, "draft", ["draft.yaml", "YAML"]),
    ({"draft.yaml": "timelines: {}\n"}, "draft", ["draft.yaml", "timelines", "not a config key"]),
    ({"draft.yaml": "hydra:\n  run: {dir: /tmp}\n"}, "draft", ["draft.yaml", "hydra"]),
    ({"draft.yaml": "defaults:\n  - draft\n  - _self_\n"}, "draft", ["draft.yaml", "draft itself"]),
    ({"a.yaml": "defaults: [b, _self_]\n", "b.yaml": "defaults: [a, _self_]\n"}, "a",
     ["a.yaml", "lead back", "a -> b -> a"]),
    ({"draft.yaml": "defaults: [nowhere, _self_]\n"}, "draft", ["draft.yaml", "nowhere"]),
    ({"draft.yaml": "timeline:\n  x: {date: '2019-07-01', kind: note, label: '${oc.env:HOME}'}\n"},
     "draft", ["draft.yaml", "timeline.x.label", "oc.env"]),
    ({"draft.yaml": "run:\n  seed: ${oc.env:HOME}\n"}, "draft", ["draft.yaml", "run.seed"]),
    ({"broken.yaml": "timelines: {}\n", "child.yaml": "defaults: [broken, _self_]\n"}, "child",
     ["child.yaml", "broken.yaml, which is broken"]),
]


@pytest.mark.parametrize("files,broken,expected", SCENARIO_FILES,
                         ids=[f"{b}:{list(f.values())[0][:30]}" for f, b, _ in SCENARIO_FILES])
def test_a_broken_scenario_file_breaks_only_itself(tmp_path, files, broken, expected):
    (tmp_path / "fine.yaml").write_text(GOOD)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    nodes, problems = load_scenarios(tmp_path)
    assert "fine" in nodes and broken not in nodes
    _assert_one_clean_line(problems[broken], expected)


def test_a_scenario_names_itself_in_its_saved_config(tmp_path):
    (tmp_path / "parent.yaml").write_text(GOOD)
    (tmp_path / "child.yaml").write_text("defaults: [parent, _self_]\n")
    nodes, problems = load_scenarios(tmp_path)
    assert not problems
    assert nodes["child"].scenario_name == "child" and nodes["parent"].scenario_name == "parent"


# --- worlds that compose but make no sense ------------------------------------------------------
WORLDS = [
    (lambda p: tw.with_events(p, start=EventConf(date="2019-05-01", kind="programme",
                                                 programme="nobody_is_in_it")),
     ["timeline.start.programme", "nobody_is_in_it", "no supplier"]),
    (lambda p: tw.with_events(p, start=EventConf(date="2019-05-01", kind="programme")),
     ["timeline.start.programme", "missing"]),
]


@pytest.mark.parametrize("make,expected", WORLDS)
def test_a_world_that_does_nothing_it_says_is_refused(make, expected):
    with pytest.raises(ConfigError) as err:
        validate(make(tw.tiny_params()))
    _assert_one_clean_line(str(err.value), expected)


# --- end to end: run.py exits non-zero with one line and writes nothing -------------------------
END_TO_END = ["+foo=1", "run.replications=1000000000", "run=nonexistent", "run.seed=${oc.env:HOME}",
              "hydra.run.dir=/proc/simulator_run", "materials.hf.unit_value_usd_per_t=1e308"]


def _run_py(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_py_refuses_with_one_line_and_writes_nothing(tmp_path):
    def one(i_arg):
        i, arg = i_arg
        target = tmp_path / f"run{i}"
        extra = [] if arg.startswith("hydra.run.dir") else [f"hydra.run.dir={target}"]
        return arg, target, _run_py(arg, *extra)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(one, enumerate(END_TO_END)))
    for arg, target, out in results:
        assert out.returncode == 2, (arg, out.stderr[-500:])
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (arg, out.stderr[-800:])
        assert "Traceback" not in out.stderr and not target.exists(), arg
        assert HOME not in lines[0].replace("${oc.env:HOME}", "") or len(HOME) <= 1


def test_a_broken_draft_does_not_stop_other_scenarios_and_help_lists_it(tmp_path):
    draft = ROOT / "scenarios" / "zz_test_broken_draft.yaml"
    draft.write_text("timeline:\n  a: {date: '2019-07-01'\n  b: 1\n")
    try:
        with ThreadPoolExecutor(2) as pool:
            help_, bad = pool.map(lambda args: _run_py(*args), [
                ("--help",), ("scenario=zz_test_broken_draft", f"hydra.run.dir={tmp_path / 'x'}")])
        good = _run_py("scenario=baseline", "run.start_date=2019-06-01", "run.end_date=2019-08-31",
                       "run.replications=1", "run.keep_tables=none",
                       f"hydra.run.dir={tmp_path / 'good'}")
    finally:
        draft.unlink()
    assert help_.returncode == 0 and "zz_test_broken_draft" in help_.stdout
    assert "zz_test_broken_draft.yaml line" in help_.stdout
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "zz_test_broken_draft.yaml line" in bad.stderr and not (tmp_path / "x").exists()
    assert good.returncode == 0, good.stderr[-1500:]
    saved = (tmp_path / "good" / ".hydra" / "config.yaml").read_text()
    assert "scenario_name: baseline" in saved  # the saved config names the scenario run
