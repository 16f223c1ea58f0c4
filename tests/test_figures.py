"""simulator.figures: every figure is written from a run directory's tables, and what is drawn
is what the tables say (checked on a tiny hand-made run directory)."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simulator import figures as F

FIGURES = ["inventory_cover", "licence_review_times", "monthly_imports", "policy_timeline"]
START, END, SHOCK = "2019-01-01", "2019-03-31", "2019-01-15"
REPS = [0, 1, 2]
N_DAYS = 21
# (fab, material, grade) streams of the synthetic daily table
STREAMS = [("fab_a", "hf", "liquid"), ("fab_a", "hf", "gas"), ("fab_b", "hf", "liquid"),
           ("fab_b", "photoresist", "standard")]


def cover_value(rep: int, day: int, stream: int) -> float:
    """Deterministic, replication-dependent cover so that medians are easy to compute by hand."""
    return float(10 * stream + day + [0.0, 7.0, 2.0][rep] * (1 + day % 3))


def make_daily() -> pd.DataFrame:
    dates = pd.date_range(START, periods=N_DAYS, freq="D")
    rows = []
    for rep in REPS:
        for day, date in enumerate(dates):
            for s, (fab, mat, grade) in enumerate(STREAMS):
                cover = cover_value(rep, day, s)
                rows.append(dict(replication=rep, day=day, date=date.strftime("%Y-%m-%d"),
                                 fab=fab, material=mat, grade=grade, demand_t=2.0,
                                 consumption_t=2.0, shortfall_t=0.0, inventory_t=2.0 * cover,
                                 cover_days=cover, rationing=0, production_pct=100.0,
                                 fab_production_pct=100.0))
    return pd.DataFrame(rows)


LICENCE_COLUMNS = ["replication", "licence_id", "regime", "scope", "supplier", "fab", "material",
                   "grade", "order_ids", "renewal", "pre_start", "documents", "rerequests",
                   "applied_day", "applied_date", "decided_day", "decided_date", "review_days",
                   "outcome", "quantity_t", "used_t", "lapsed_t"]


def make_licences() -> pd.DataFrame:
    def lic(rep, lid, regime, material, grade, applied, decided, outcome, pre=False,
            renewal=False, fab=""):
        a = pd.Timestamp(applied)
        d = pd.Timestamp(decided) if decided else None
        t0 = pd.Timestamp(START)
        return dict(replication=rep, licence_id=lid, regime=regime,
                    scope={"bulk": "exporter", "individual": "contract",
                           "special_bulk": "pair"}[regime],
                    supplier="sup", fab=fab, material=material, grade=grade, order_ids="",
                    renewal=renewal, pre_start=pre, documents=4, rerequests=0,
                    applied_day=(a - t0).days, applied_date=a.strftime("%Y-%m-%d"),
                    decided_day=(d - t0).days if d is not None else np.nan,
                    decided_date=d.strftime("%Y-%m-%d") if d is not None else "",
                    review_days=(d - a).days if d is not None else np.nan, outcome=outcome,
                    quantity_t=1.0, used_t=0.0, lapsed_t=0.0)
    rows = [
        # granted before the run: must never be plotted
        lic(0, "P1", "bulk", "hf", "", "2017-05-01", "2017-05-01", "approved", pre=True),
        lic(1, "P2", "bulk", "photoresist", "", "2016-05-01", "2016-05-01", "approved", pre=True),
        # bulk renewals during the run (exporter-wide: no grade)
        lic(0, "B1", "bulk", "hf", "", "2019-01-02", "2019-01-07", "approved", renewal=True),
        lic(1, "B2", "bulk", "hf", "", "2019-01-03", "2019-01-11", "approved", renewal=True),
        lic(2, "B3", "bulk", "hf", "", "2019-01-14", "2019-01-17", "withdrawn", renewal=True),
        # individual licences after the shock
        lic(0, "I1", "individual", "hf", "liquid", "2019-01-15", "2019-02-14", "approved",
            fab="fab_a"),
        lic(0, "I2", "individual", "hf", "liquid", "2019-01-20", "2019-03-31", "approved",
            fab="fab_b"),
        lic(1, "I3", "individual", "hf", "liquid", "2019-01-16", "2019-03-02", "approved",
            fab="fab_a"),
        lic(1, "I4", "individual", "hf", "gas", "2019-01-16", "2019-02-05", "approved",
            fab="fab_a"),
        lic(2, "I5", "individual", "hf", "liquid", "2019-02-01", None, "pending", fab="fab_a"),
        lic(2, "I6", "individual", "photoresist", "standard", "2019-01-15", "2019-02-04",
            "approved", fab="fab_b"),
        # company-pair special bulk: no grade, counts for the whole material
        lic(0, "S1", "special_bulk", "photoresist", "", "2019-02-20", "2019-03-01", "approved",
            fab="fab_b"),
    ]
    return pd.DataFrame(rows, columns=LICENCE_COLUMNS)


ORIGINS = {"hf": ["JP", "CN"], "photoresist": ["JP", "US"]}
MONTHS = ["2019-01", "2019-02", "2019-03"]


def make_imports() -> pd.DataFrame:
    rows = []
    for rep in REPS:
        for mi, month in enumerate(MONTHS):
            for mat, origins in ORIGINS.items():
                for oi, origin in enumerate(origins):
                    if (rep, month, mat, origin) == (2, "2019-02", "hf", "CN"):
                        continue  # a missing row means zero tonnes
                    if (rep, month, mat) == (1, "2019-03", "photoresist"):
                        continue  # no photoresist imports at all that month in replication 1
                    q = 100.0 * (oi + 1) + 10 * rep + mi + (500 if mat == "hf" else 0)
                    rows.append(dict(replication=rep, month=month, material=mat, origin=origin,
                                     quantity_t=q, value_usd=q * 1000))
    return pd.DataFrame(rows)


def make_policy_events() -> pd.DataFrame:
    # deliberately not in date order: numbering must follow the dates
    return pd.DataFrame([
        dict(event_id="pr_special", date="2019-02-20", kind="set_regime",
             label="Photoresist special bulk", materials="photoresist", regime="special_bulk",
             effective_date=""),
        dict(event_id="announce", date="2019-01-12", kind="announce_regime", label="Announced",
             materials="", regime="individual", effective_date=SHOCK),
        dict(event_id="individual", date=SHOCK, kind="set_regime", label="Individual licensing",
             materials="", regime="individual", effective_date=""),
        dict(event_id="note", date="2019-01-20", kind="note", label="A note", materials="",
             regime="", effective_date=""),
    ])


POLICY_COLUMNS = ["event_id", "date", "kind", "label", "materials", "regime", "effective_date"]


def write_run(root: Path, with_events: bool) -> Path:
    run = root / ("curbs" if with_events else "baseline")
    tables = run / "tables"
    tables.mkdir(parents=True)
    info = {
        "scenario": "test_curbs" if with_events else "test_baseline", "seed": 7,
        "replications": len(REPS), "start_date": START, "end_date": END, "shock_date": SHOCK,
        "version": "0.0.test", "config_hash": "x",
        "windows": {"pre": {"start": START, "end": "2019-01-14"}},
        "observed_licence_lags_days": {"hf.liquid": [25.0, 40.0], "photoresist.standard": [20.0],
                                       "hf.gas": [30.0]},
        "materials": {"hf": {"name": "Hydrogen fluoride", "unit_value_usd_per_t": 1.0,
                             "grades": ["liquid", "gas"]},
                      "photoresist": {"name": "Photoresist", "unit_value_usd_per_t": 1.0,
                                      "grades": ["standard"]}},
        "fabs": {"fab_a": "Fab A Co", "fab_b": "Fab B Co"},
    }
    (run / "run_info.json").write_text(json.dumps(info))
    make_daily().to_csv(tables / "daily.csv", index=False)
    make_licences().to_csv(tables / "licences.csv", index=False)
    make_imports().to_csv(tables / "imports_monthly.csv", index=False)
    policy = make_policy_events() if with_events else pd.DataFrame(columns=POLICY_COLUMNS)
    policy.to_csv(tables / "policy_events.csv", index=False)
    pd.DataFrame(columns=["replication", "order_id", "fab", "material", "quantity_t"]).to_csv(
        tables / "shipments.csv", index=False)
    pd.DataFrame(columns=["replication", "day", "date", "actor", "event"]).to_csv(
        tables / "events.csv", index=False)
    pd.DataFrame(columns=["kpi", "fab", "item", "mean", "ci95_low", "ci95_high", "n"]).to_csv(
        tables / "kpi_summary.csv", index=False)
    return run


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Run make_figures on both synthetic runs once; keep what was drawn on each axes."""
    root = tmp_path_factory.mktemp("runs")
    captured = {}
    original = F._save

    def capturing_save(fig, out_dir, name):
        axes = fig.get_axes()
        captured[(out_dir.parent.name, name)] = [
            dict(title=ax.get_title(loc="left"),
                 lines={ln.get_label(): (np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata()))
                        for ln in ax.get_lines()},
                 yticklabels=[t.get_text() for t in ax.get_yticklabels()],
                 texts=[t.get_text() for t in ax.texts])
            for ax in axes]
        captured[(out_dir.parent.name, name, "footer")] = " ".join(
            t.get_text() for sub in fig.subfigs for t in sub.texts)
        return original(fig, out_dir, name)

    mp = pytest.MonkeyPatch()
    mp.setattr(F, "_save", capturing_save)
    try:
        results = {}
        for with_events in (True, False):
            run = write_run(root, with_events)
            results[run.name] = (run, F.make_figures(run))
    finally:
        mp.undo()
    return results, captured


@pytest.mark.parametrize("run_name", ["curbs", "baseline"])
def test_every_figure_written_as_png_and_pdf(drawn, run_name):
    results, _ = drawn
    run, paths = results[run_name]
    expected = {run / "figures" / f"{n}.{ext}" for n in FIGURES for ext in ("png", "pdf")}
    assert set(paths) == expected
    for p in expected:
        assert p.stat().st_size > 1000, p
    for name in FIGURES:
        assert (run / "figures" / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
        png = (run / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width_px = struct.unpack(">I", png[16:20])[0]
        assert width_px >= 8 * F.DPI  # saved at 200 dpi on a report-width figure
    assert plt.get_fignums() == []  # every figure closed


def test_cover_series_median_and_band_match_hand_computation():
    daily = make_daily()
    weekly = F.cover_series(daily, period_days=7, band=(0.1, 0.9))
    # fab_a, hf liquid (stream 0), first week (days 0..6): mean per replication, then quantiles
    per_rep = [np.mean([cover_value(r, d, 0) for d in range(7)]) for r in REPS]
    row = weekly[(weekly.fab == "fab_a") & (weekly.item == "hf.liquid")
                 & (weekly.date == pd.Timestamp("2019-01-01"))]
    assert len(row) == 1
    assert row["median"].iloc[0] == pytest.approx(np.median(per_rep))
    assert row["low"].iloc[0] == pytest.approx(np.quantile(per_rep, 0.1))
    assert row["high"].iloc[0] == pytest.approx(np.quantile(per_rep, 0.9))
    assert row["n"].iloc[0] == len(REPS)
    # three weekly bins per stream, one per fab and item only where the fab uses the item
    assert len(weekly) == 3 * len(STREAMS)
    assert set(weekly[weekly.item == "photoresist.standard"].fab) == {"fab_b"}
    # daily resolution: the median on one date for one fab
    daily_q = F.cover_series(daily, period_days=1)
    row = daily_q[(daily_q.fab == "fab_b") & (daily_q.item == "photoresist.standard")
                  & (daily_q.date == pd.Timestamp("2019-01-05"))]
    assert row["median"].iloc[0] == pytest.approx(np.median([cover_value(r, 4, 3) for r in REPS]))


def test_inventory_cover_figure_draws_the_weekly_medians(drawn):
    _, captured = drawn
    axes = captured[("curbs", "inventory_cover")]
    panel = next(a for a in axes if a["title"] == "HF, liquid grade")
    x, y = panel["lines"]["Fab A Co"]
    expected = [np.median([np.mean([cover_value(r, d, 0) for d in range(w * 7, w * 7 + 7)])
                           for r in REPS]) for w in range(3)]
    np.testing.assert_allclose(y, expected)
    assert "Fab B Co" in panel["lines"]
    # photoresist panel: only fab_b uses photoresist
    panel = next(a for a in axes if a["title"] == "Photoresist")
    assert "Fab A Co" not in panel["lines"] and "Fab B Co" in panel["lines"]
    footer = captured[("curbs", "inventory_cover", "footer")]
    assert "test_curbs" in footer and "3 replications" in footer and "seed 7" in footer
    assert "[1] Announced (12 Jan 2019)" in footer


def test_review_times_excludes_pre_start_pending_and_unapproved():
    rt = F.review_times(make_licences(), {"hf": ["liquid", "gas"], "photoresist": ["standard"]})
    assert set(rt.licence_id) == {"B1", "B2", "I1", "I2", "I3", "I4", "I6", "S1"}
    by_id = rt.set_index("licence_id")
    assert by_id.loc["I1", "review_days"] == 30
    assert by_id.loc["I2", "review_days"] == (pd.Timestamp("2019-03-31")
                                              - pd.Timestamp("2019-01-20")).days
    # licences without a grade are grouped by material
    assert by_id.loc["B1", "group"] == "hf" and by_id.loc["S1", "group"] == "photoresist"
    assert by_id.loc["I4", "group"] == "hf.gas"
    # plot order: hf before photoresist; bulk, then individual liquid, gas; special bulk last
    assert list(dict.fromkeys(rt["row"])) == [
        "HF (all grades) · Bulk renewal", "HF liquid · Individual", "HF gas · Individual",
        "Photoresist · Individual", "Photoresist · Special bulk"]


def test_first_approval_lags_count_days_from_the_shock():
    lags = F.first_approval_lags(make_licences(), SHOCK,
                                 {"hf": ["liquid", "gas"], "photoresist": ["standard"]})
    got = {(r.replication, r.item): r.lag_days for r in lags.itertuples()}
    assert got == {(0, "hf.liquid"): 30.0, (1, "hf.liquid"): 46.0, (1, "hf.gas"): 21.0,
                   (2, "photoresist.standard"): 20.0,
                   (0, "photoresist.standard"): 45.0}  # special bulk, no grade: all grades


def test_review_figure_rows_and_counts(drawn):
    _, captured = drawn
    (ax,) = captured[("curbs", "licence_review_times")]
    assert "HF liquid · Individual" in ax["yticklabels"]
    assert "HF liquid · days to first approval" in ax["yticklabels"]
    # 3 approved individual HF-liquid licences (the pending one is not drawn)
    assert "n = 3 · median 45 d" in ax["texts"]  # 30, 70 and 45 days
    # bulk renewals: 5 and 8 days; the pre-start bulk licences (0 days) are not drawn
    assert f"n = 2 · median {np.median([5, 8]):,.0f} d" in ax["texts"]
    assert "1 application still pending" in captured[("curbs", "licence_review_times",
                                                       "footer")]


def test_imports_by_origin_matches_table_sums():
    imports = make_imports()
    flows = F.imports_by_origin(imports, "mean")
    # the mean over replications times the number of replications gives back the table total
    for mat, g in imports.groupby("material"):
        assert flows.loc[flows.material == mat, "quantity_t"].sum() * len(REPS) == pytest.approx(
            g["quantity_t"].sum())
    # one cell by hand, with the missing row counted as zero
    cell = flows[(flows.material == "hf") & (flows.origin == "CN")
                 & (flows.month == pd.Timestamp("2019-02-01"))]["quantity_t"]
    assert cell.iloc[0] == pytest.approx(np.mean([700 + 0 + 1, 700 + 10 + 1, 0.0]))
    # a replication without any row for a month still counts, with zero tonnes
    cell = flows[(flows.material == "photoresist") & (flows.origin == "US")
                 & (flows.month == pd.Timestamp("2019-03-01"))]["quantity_t"]
    assert cell.iloc[0] == pytest.approx(np.mean([200 + 0 + 2, 0.0, 200 + 20 + 2]))
    # origins a material never comes from are not stacked
    assert set(flows[flows.material == "photoresist"].origin) == {"JP", "US"}


def test_japan_share_and_its_plotted_line(drawn):
    imports = make_imports()
    share = F.japan_share(imports)
    jp = lambda rep, mi, oi: 100.0 * (oi + 1) + 10 * rep + mi + 500  # noqa: E731 (hf rows)
    expected_feb = [100 * jp(r, 1, 0) / (jp(r, 1, 0) + (jp(r, 1, 1) if r != 2 else 0.0))
                    for r in REPS]
    row = share[(share.material == "hf") & (share.month == pd.Timestamp("2019-02-01"))]
    assert row["median"].iloc[0] == pytest.approx(np.median(expected_feb))
    _, captured = drawn
    axes = captured[("curbs", "monthly_imports")]
    hf_share_axes = [a for a in axes if "_share_hf" in a["lines"]]
    assert len(hf_share_axes) == 1
    _, y = hf_share_axes[0]["lines"]["_share_hf"]
    np.testing.assert_allclose(y, share[share.material == "hf"]["median"].to_numpy())
    assert y[1] == pytest.approx(np.median(expected_feb))


def test_event_marks_and_regime_timeline():
    marks = F.event_marks(make_policy_events())
    assert list(marks.event_id) == ["announce", "individual", "note", "pr_special"]
    assert list(marks.number) == [1, 2, 3, 4]
    assert marks.set_index("event_id").loc["pr_special", "materials"] == ("photoresist",)
    assert marks.set_index("event_id").loc["note", "materials"] == ()
    tl = F.regime_timeline(make_policy_events(), ["hf", "photoresist"], START, END)
    segs = {m: [(r.regime, r.start.strftime("%Y-%m-%d"), r.end.strftime("%Y-%m-%d"))
                for r in g.itertuples()] for m, g in tl.groupby("material")}
    assert segs["hf"] == [("bulk", START, SHOCK), ("individual", SHOCK, END)]
    assert segs["photoresist"] == [("bulk", START, SHOCK), ("individual", SHOCK, "2019-02-20"),
                                   ("special_bulk", "2019-02-20", END)]
    # no events (baseline): bulk throughout, and nothing to number
    empty = pd.DataFrame(columns=POLICY_COLUMNS)
    assert F.event_marks(empty).empty
    tl = F.regime_timeline(empty, ["hf"], START, END)
    assert tl[["regime"]].to_dict("records") == [{"regime": "bulk"}]


def test_baseline_figures_have_no_event_key(drawn):
    _, captured = drawn
    assert "Policy events:" not in captured[("baseline", "inventory_cover", "footer")]
    assert "No policy events" in captured[("baseline", "policy_timeline", "footer")]
