"""One code path for the KPIs: a run's worker computes them from the replication's records (the
per-day and per-lot tables of a `keep_tables=summary` run are never built), a rebuild or an
experiment from the stored tables. Both must give the same numbers, bit for bit, or a big run's
summary would differ from the same run kept whole."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import SHORT, compose
from simulator.analysis.metrics import _series_rows, kpis, replication_kpis
from simulator.app.pipeline import execute
from simulator.config.dictionary import SIMULATION_TABLES, as_stored
from simulator.experiment import recorded_replication
from simulator.experiment.kpi_inputs import arrivals_from_table
from simulator.store.run_dir import load_tables, read_replications

# a world that runs short (so lost output, stockouts and recovery times are not all zero) and one
# that does not
CASES = [("curbs_2019", SHORT + ("fab.initial_cover_days=20",)), ("lift_2023", ())]


@pytest.mark.parametrize("scenario,extra", CASES, ids=["short_cover", "whole_history"])
def test_kpis_from_the_records_equal_those_of_the_stored_tables(scenario, extra):
    p = compose(scenario, extra)
    for r in (0, 1):
        tables, inputs = recorded_replication(p, r, SIMULATION_TABLES)
        stored = {name: as_stored(name, df) for name, df in tables.items()}
        # the row of the fab's days each lot counts in: as the recorder knew it when the lot was
        # ordered, and as looked up from its fab and grade
        a = inputs.arrivals
        series = _series_rows(inputs.fab_days, a)
        assert a.links.series is not None and len(series) == len(a.day) and (series >= 0).all()
        looked_up = _series_rows(inputs.fab_days,
                                 dataclasses.replace(a, links=dataclasses.replace(a.links, series=None)))
        np.testing.assert_array_equal(series, looked_up)
        # who, from where and what, read through each lot's supply link: the lot's own record
        # (and the links a table's lots are grouped into give back each lot's own columns)
        table = arrivals_from_table(stored["shipments"])
        arrived = stored["shipments"][stored["shipments"]["arrived_day"].notna()]
        assert len(table.links.fab) < len(arrived) / 50  # a link is shared by many lots
        for field in ("fab", "material", "grade", "origin"):
            np.testing.assert_array_equal(a.per_lot(field), table.per_lot(field), err_msg=field)
            np.testing.assert_array_equal(table.per_lot(field), arrived[field].to_numpy(object),
                                          err_msg=field)
        from_records = kpis(p, inputs)
        from_tables = replication_kpis(p, stored)
        pd.testing.assert_frame_equal(from_records, from_tables, check_exact=True)
        values = from_records.set_index(["kpi", "fab", "item"])["value"]
        if scenario == "curbs_2019":  # it loses output: the comparison is not of zeros
            assert values[("lost_production_pct", "all", "all")] > 0


def test_a_summary_run_reports_what_the_whole_run_reports(tmp_path):
    """`keep_tables=summary` keeps no per-day or per-lot table, yet its replications.csv is the
    whole run's byte for byte, and the whole run's KPIs recomputed from disk match it."""
    p = compose("curbs_2019", SHORT + ("fab.initial_cover_days=20", "run.replications=2"))
    whole = execute(p, tmp_path / "all", "test", workers=1)
    small = execute(compose("curbs_2019", SHORT + ("fab.initial_cover_days=20", "run.replications=2",
                                                   "run.keep_tables=summary")),
                    tmp_path / "summary", "test", workers=1)
    assert not (small / "tables" / "daily").exists()
    assert (whole / "replications.csv").read_bytes() == (small / "replications.csv").read_bytes()
    recomputed = replication_kpis(p, load_tables(whole))
    saved = read_replications(whole)
    for row in recomputed.itertuples(index=False):
        column = f"{row.kpi}[{row.fab}|{row.item}]"
        got = saved.loc[row.replication, column]
        assert (np.isnan(got) and np.isnan(row.value)) or got == pytest.approx(row.value, rel=1e-5)
