"""The run store and the streaming pipeline: Parquet tables per replication (or per batch of
replications, for a big run that keeps only the small tables), read back exactly as the KPIs saw
them; a streamed run equals one built in memory, in parallel or not; what `run.keep_tables` keeps;
the CSV export."""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tiny_world as tw
from simulator import simulate
from simulator.app.pipeline import derive_outputs, execute, write_run
from simulator.config.dictionary import SIMULATION_TABLES
from simulator.config.dictionary import as_stored
from simulator.store.run_dir import load_tables, read_info, read_table, saved_tables

ROOT = Path(__file__).resolve().parents[2]
DERIVED = ("metrics.json", "replications.csv", "tables/kpi_summary.csv", "report.md")


def _params(replications: int = 3, keep: str = "all"):
    p = tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual")
    return dataclasses.replace(p, scenario_name="tiny_curbs",
                               run=dataclasses.replace(p.run, replications=replications, seed=11,
                                                       keep_tables=keep))


def _digests(run: Path) -> dict:
    """sha256 of every table file and derived output of a run directory."""
    files = sorted((run / "tables").rglob("*.parquet")) + [run / n for n in DERIVED]
    return {str(f.relative_to(run)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def streamed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store") / "streamed"
    execute(_params(), out, "h", workers=1)
    return out


def test_tables_are_one_parquet_file_per_replication_and_read_back_typed(streamed):
    assert saved_tables(streamed) == list(SIMULATION_TABLES)
    for name in SIMULATION_TABLES:
        parts = sorted((streamed / "tables" / name).glob("*.parquet"))
        assert [p.name for p in parts] == [f"rep-{r:06d}.parquet" for r in range(3)]
    daily = read_table(streamed, "daily")
    assert daily["replication"].tolist() == sorted(daily["replication"])  # replication order
    assert str(daily["date"].dtype).startswith("datetime64")
    # the whole dataset is one pandas call away, without the store
    assert len(pd.read_parquet(streamed / "tables" / "daily")) == len(daily)


def test_a_streamed_run_equals_one_built_in_memory(streamed, tmp_path):
    """Tables as stored and every KPI file: the same bytes whether the replications streamed to
    disk in workers (execute) or were simulated in memory first (simulate + write_run)."""
    in_memory = tmp_path / "in_memory"
    write_run(simulate(_params(), workers=1), in_memory, "h")
    assert _digests(in_memory) == _digests(streamed)


def test_parallel_equals_sequential_byte_for_byte(streamed, tmp_path):
    """Two runs of one seed, one on two processes: the same files (so also: same seed, same
    bytes; the rebuild from Parquet is tested in test_report.py)."""
    parallel = tmp_path / "parallel"
    execute(_params(), parallel, "h", workers=2)
    assert _digests(parallel) == _digests(streamed)


def test_what_is_stored_is_what_the_kpis_saw(streamed):
    """Floats are stored in single precision; the in-memory tables rounded the same way equal
    the tables read back, so KPIs recomputed from disk equal the run's (rebuild)."""
    simulated = simulate(_params(), workers=1).tables
    loaded = load_tables(streamed)
    for name in SIMULATION_TABLES:
        pd.testing.assert_frame_equal(loaded[name], as_stored(name, simulated[name]),
                                      check_exact=True, obj=name)


@pytest.mark.parametrize("keep, tables", [("summary", ["events", "licences", "imports_monthly"]),
                                          ("none", [])])
def test_keep_tables_keeps_what_it_says_and_the_kpis_whatever_it_keeps(streamed, tmp_path, keep,
                                                                       tables):
    run = tmp_path / keep
    execute(_params(keep=keep), run, "h", workers=1)
    assert saved_tables(run) == tables
    # KPIs are computed before the tables are dropped: the same numbers as the full run
    for name in ("replications.csv", "tables/kpi_summary.csv"):
        assert (run / name).read_bytes() == (streamed / name).read_bytes(), name
    figures = {p.stem for p in (run / "figures").glob("*.png")}
    assert "inventory_cover" not in figures and "tts_ttr" in figures
    assert ("backtest.csv" in {p.name for p in run.iterdir()}) == ("imports_monthly" in tables)
    # a rebuild of such a run starts from replications.csv and gives the same summary
    summary = (run / "tables" / "kpi_summary.csv").read_bytes()
    (run / "tables" / "kpi_summary.csv").unlink()
    derive_outputs(run)
    assert (run / "tables" / "kpi_summary.csv").read_bytes() == summary


def test_export_csv_reads_back_as_the_parquet_tables(streamed, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(streamed), str(copy)], check=True)
    done = subprocess.run([sys.executable, "-m", "simulator", "export", "--csv", str(copy)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in SIMULATION_TABLES:
        csv = copy / "tables" / f"{name}.csv"
        assert csv.is_file()
        from_parquet = read_table(copy, name)
        for part in (copy / "tables" / name).glob("*.parquet"):
            part.unlink()
        # floats written at full precision: the CSV reads back as the same table
        pd.testing.assert_frame_equal(read_table(copy, name), from_parquet, check_exact=True,
                                      obj=name)


def test_a_run_that_stops_when_precise_equals_a_run_of_that_many(tmp_path):
    """The stopping rule: batches of 2 until the half-width of lost output is at most a target
    any two replications meet; the run then is, file for file, a run of 2 replications."""
    p = _params(replications=6, keep="none")  # KPIs only: the quickest run
    p = dataclasses.replace(p, run=dataclasses.replace(p.run, stop_half_width=1e9, stop_batch=2))
    stopped = tmp_path / "stopped"
    execute(p, stopped, "h", workers=1)
    fixed = tmp_path / "fixed"
    execute(_params(replications=2, keep="none"), fixed, "h", workers=1)
    assert read_info(stopped).replications == 2
    assert _digests(stopped) == _digests(fixed)


SUMMARY = ("events", "licences", "imports_monthly")


def test_a_part_holds_one_replication_unless_a_big_run_keeps_only_the_small_tables():
    from simulator.store.parts import PART_MAX_REPLICATIONS, replications_per_part

    assert replications_per_part(20, SUMMARY) == 1  # the main job: a part per replication
    assert replications_per_part(79, SUMMARY) == 1
    assert replications_per_part(200, SUMMARY) == 5  # still 40 tasks for the workers
    assert replications_per_part(1000, SUMMARY) == PART_MAX_REPLICATIONS == 25
    assert replications_per_part(10**6, SUMMARY) == 25
    assert replications_per_part(1000, SIMULATION_TABLES) == 1  # the per-day table: one each
    assert replications_per_part(1000, ("licences", "shipments")) == 1
    assert replications_per_part(1000, ()) == 1


@pytest.fixture
def parts_of_three(monkeypatch):
    """A 6-replication summary run written as a big one is: parts of 3 replications."""
    from simulator.store import parts
    monkeypatch.setattr(parts, "PART_MIN_TASKS", 2)
    return monkeypatch


def test_a_run_in_batched_parts_holds_the_tables_and_kpis_of_one_part_per_replication(
        parts_of_three, tmp_path):
    batched = tmp_path / "batched"
    execute(_params(replications=6, keep="summary"), batched, "h", workers=2)
    for name in SUMMARY:
        assert [p.name for p in sorted((batched / "tables" / name).glob("*.parquet"))] == [
            "rep-000000-000002.parquet", "rep-000003-000005.parquet"], name
    sequential = tmp_path / "sequential"
    execute(_params(replications=6, keep="summary"), sequential, "h", workers=1)
    assert _digests(sequential) == _digests(batched)  # parallel equals sequential, part for part
    # the same tables, as stored, as in memory; written from memory, the same parts
    simulated = simulate(_params(replications=6, keep="summary"), workers=1).tables
    for name in SUMMARY:
        pd.testing.assert_frame_equal(read_table(batched, name), as_stored(name, simulated[name]),
                                      check_exact=True, obj=name)
    from simulator.store.run_dir import write_tables
    write_tables({name: simulated[name] for name in SUMMARY}, _params(6, "summary"),
                 tmp_path / "from_memory", "h")
    for part in sorted((batched / "tables").rglob("*.parquet")):
        assert (tmp_path / "from_memory" / part.relative_to(batched)).read_bytes() == \
            part.read_bytes(), part.name
    # and the same KPIs as a run of one part per replication
    parts_of_three.undo()
    one_each = tmp_path / "one_each"
    execute(_params(replications=6, keep="summary"), one_each, "h", workers=1)
    assert len(list((one_each / "tables" / "events").glob("*.parquet"))) == 6
    for name in ("replications.csv", "tables/kpi_summary.csv", "metrics.json"):
        assert (one_each / name).read_bytes() == (batched / name).read_bytes(), name


def test_a_damaged_batch_is_named(parts_of_three, tmp_path):
    from simulator.store.integrity import DamagedRun, check_run

    run = tmp_path / "run"
    execute(_params(replications=6, keep="summary"), run, "h", workers=1)
    part = run / "tables" / "licences" / "rep-000003-000005.parquet"
    part.write_bytes(part.read_bytes()[:100])
    with pytest.raises(DamagedRun, match="rep-000003-000005.parquet"):
        check_run(run, tables=["licences"])


def test_a_stopped_run_in_batched_parts_equals_a_run_of_that_many(parts_of_three, tmp_path):
    """Parts come from each batch of the stopping rule (here 4 replications: parts of 2), so a run
    stopped after 4 has the files of a run of 4."""
    p = _params(replications=8, keep="summary")
    p = dataclasses.replace(p, run=dataclasses.replace(p.run, stop_half_width=1e9, stop_batch=4))
    stopped = tmp_path / "stopped"
    execute(p, stopped, "h", workers=2)
    fixed = tmp_path / "fixed"
    execute(_params(replications=4, keep="summary"), fixed, "h", workers=1)
    assert read_info(stopped).replications == 4
    assert [p.name for p in sorted((fixed / "tables" / "events").glob("*.parquet"))] == [
        "rep-000000-000001.parquet", "rep-000002-000003.parquet"]
    assert _digests(stopped) == _digests(fixed)


def test_run_info_is_typed_with_one_default_per_field(tmp_path):
    """read_info gives a RunInfo: the written fields as they were, missing ones (an older run)
    from the schema's defaults, unknown ones left out; the document round-trips."""
    import json
    from simulator.config.params import MetricsConf, RunConf
    from simulator.store.run_info import RunInfo, as_run_info
    (tmp_path / "run_info.json").write_text(json.dumps(
        {"scenario": "s", "seed": 3, "replications": 4, "someday": "a key from the future",
         "materials": {"hf": {"name": "HF", "grades": ["liquid"]}}}))
    info = read_info(tmp_path)
    assert isinstance(info, RunInfo)
    assert (info.scenario, info.seed, info.replications) == ("s", 3, 4)
    assert info.shock_date == MetricsConf().shock_date and info.end_date == RunConf().end_date
    assert info.grades("hf") == ["liquid"] and info.grades("fpi") == []
    assert as_run_info(info.to_document()) == info and as_run_info(None) == RunInfo()


def test_parts_are_the_arrow_tables_pandas_would_make(streamed):
    """Parts are converted column by column to the stored types (issue 18): the same Arrow
    table as pandas' conversion and a cast, missing values and dates included."""
    import pyarrow as pa

    from simulator.store.parts import _arrow_schema, _arrow_table

    for name in SIMULATION_TABLES:
        df = as_stored(name, read_table(streamed, name))
        schema = _arrow_schema(name)
        by_pandas = pa.Table.from_pandas(df, preserve_index=False).cast(schema, safe=False)
        assert _arrow_table(df, schema).equals(by_pandas.replace_schema_metadata(None)), name
    licences = read_table(streamed, "licences")
    assert licences.isna().any().any()  # the comparison covers missing values


def test_arrow_rounds_floats_to_single_precision_as_the_kpis_do():
    """A worker hands its tables to Arrow unrounded (issue 18): Arrow's cast to float32 must round
    every double as `as_stored_precision` does, or the KPIs (computed at that precision) would
    differ from a rebuild's. Ties, subnormals, overflow and missing values included."""
    import numpy as np
    import pyarrow as pa

    from simulator.config.dictionary import as_stored_precision

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(size=100_000) * 10.0 ** rng.integers(-46, 40, 100_000),
                        [np.nan, -0.0, np.inf, -np.inf, 3.4028235e38, 3.5e38, 1e-46, 1.4e-45,
                         1.0 + 2.0 ** -24, 1.0 + 3 * 2.0 ** -24, 0.1]])
    with np.errstate(over="ignore"):
        want = as_stored_precision(x)
    got = pa.array(x, type=pa.float32(), from_pandas=True, safe=False)
    assert got.null_count == 1
    got = got.to_numpy(zero_copy_only=False).astype(np.float64)
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


def test_reading_records_with_the_collector_paused_leaves_it_as_it_was():
    import gc

    from simulator.experiment import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not end the outer one
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()
