"""simulator.figures: every figure is written from a run directory's tables, and what is drawn
is what the tables say (checked on tiny hand-made run directories)."""
from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer

from simulator.config.dictionary import DICTIONARY, dtypes
from simulator.present import figures as F
import tiny_world as tw

WORLD = dataclasses.asdict(tw.TINY_WORLD)  # Japan licenses, the fabs are in Korea

FIGURES = ["policy_timeline", "perceived_risk", "inventory_cover", "licence_pipeline",
           "monthly_imports", "production", "tts_ttr"]
COMPARISON = ["compare_cover", "compare_production", "compare_imports_japan", "compare_tts_ttr"]
START, END, SHOCK = "2019-01-01", "2019-03-31", "2019-01-15"
REPS = [0, 1, 2]
N_DAYS = 21
# (fab, material, grade) streams of the synthetic daily table
STREAMS = [("fab_a", "hf", "liquid"), ("fab_a", "hf", "gas"), ("fab_b", "hf", "liquid"),
           ("fab_b", "photoresist", "standard")]


def cover_value(rep: int, day: int, stream: int) -> float:
    """Deterministic, replication-dependent cover so that medians are easy to compute by hand."""
    return float(10 * stream + day + [0.0, 7.0, 2.0][rep] * (1 + day % 3))


def output_value(rep: int, day: int, fab: str) -> float:
    """Deterministic fab output (% of plan), the same on every material row of a fab and day;
    from the second week on it differs by replication, so that medians differ from means."""
    k = 1 if fab == "fab_a" else 2
    return 100.0 - [1.0, 4.0, 2.0][rep] * (day % 4 + k) * (day >= 7)


def demand_value(stream: int) -> float:
    return [2.0, 1.0, 3.0, 0.5][stream]


def make_daily() -> pd.DataFrame:
    dates = pd.date_range(START, periods=N_DAYS, freq="D")
    rows = []
    for rep in REPS:
        for day, date in enumerate(dates):
            for s, (fab, mat, grade) in enumerate(STREAMS):
                cover = cover_value(rep, day, s)
                out = output_value(rep, day, fab)
                rows.append(dict(replication=rep, day=day, date=date.strftime("%Y-%m-%d"),
                                 fab=fab, material=mat, grade=grade, demand_t=demand_value(s),
                                 consumption_t=demand_value(s), shortfall_t=0.0,
                                 inventory_t=demand_value(s) * cover, cover_days=cover,
                                 rationing=0, production_pct=out, fab_production_pct=out,
                                 perceived_risk=0.3 if day >= N_DAYS // 2 else 0.0))
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


KPI_COLUMNS = ["kpi", "fab", "item", "mean", "ci95_low", "ci95_high", "n", "censored"]
NAN = float("nan")
# kpi_summary rows of the curbs run: (kpi, fab, item, mean, low, high, n)
CURBS_KPIS = [
    ("lost_production_pct", "all", "all", 7.9, 5.0, 9.0, 3),  # a fab=all aggregate: not a bar
    ("lost_production_pct", "fab_a", "hf.liquid", 2.0, 1.0, 3.0, 3),  # per item: not a bar
    ("lost_production_pct", "fab_b", "photoresist.standard", 1.5, 1.0, 2.0, 3),
    ("lost_production_pct", "fab_a", "all", 12.5, 10.0, 15.0, 3),
    ("lost_production_pct", "fab_b", "all", 3.25, 1.0, 5.5, 3),
    # times to survive and recover: Kaplan-Meier medians, n = every run, `censored` the share
    # of runs in which it did not happen before the run's end
    ("tts_days", "fab_a", "hf.liquid", 40.0, 30.0, 50.0, 3, 0.0),
    ("tts_days", "fab_a", "hf.gas", 25.0, NAN, NAN, 3, 2 / 3),  # 2 of 3 runs without a shortfall
    ("tts_days", "fab_b", "hf.liquid", NAN, NAN, NAN, 3, 1.0),  # no shortfall in any run
    ("tts_days", "fab_b", "photoresist.standard", 12.0, 8.0, 16.0, 3),
    ("tts_days", "all", "all", 30.0, 20.0, 40.0, 3),  # an aggregate: not drawn
    ("tts_buffer_days", "fab_a", "hf.liquid", 60.0, 55.0, 65.0, 3),
    ("tts_buffer_days", "fab_a", "hf.gas", 30.0, 28.0, 32.0, 3),
    ("tts_buffer_days", "fab_b", "hf.liquid", 90.0, 80.0, 100.0, 3),
    ("tts_buffer_days", "fab_b", "photoresist.standard", 20.0, 18.0, 22.0, 3),
    ("ttr_days", "fab_a", "hf.liquid", 15.0, 10.0, 20.0, 3),
    ("ttr_days", "fab_a", "hf.gas", 45.0, 35.0, 55.0, 3),
    ("ttr_days", "fab_b", "hf.liquid", 0.0, 0.0, 0.0, 3),
    ("ttr_days", "fab_b", "photoresist.standard", 70.0, 60.0, 80.0, 3),
    ("ttr_minus_tts_days", "fab_a", "hf.liquid", -25.0, -30.0, -20.0, 3),  # a KPI not drawn
]
PAIRS = [("fab_a", "hf.liquid"), ("fab_a", "hf.gas"), ("fab_b", "hf.liquid"),
         ("fab_b", "photoresist.standard")]
# the baseline never runs short
BASELINE_KPIS = ([("lost_production_pct", f, "all", 0.0, 0.0, 0.0, 3) for f in ("fab_a", "fab_b")]
                 + [("tts_days", f, i, NAN, NAN, NAN, 3, 1.0) for f, i in PAIRS]
                 + [("tts_buffer_days", f, i, 60.0, 55.0, 65.0, 3) for f, i in PAIRS]
                 + [("ttr_days", f, i, 3.0, 1.0, 5.0, 3) for f, i in PAIRS])


def make_kpis(rows) -> pd.DataFrame:
    """kpi_summary rows; `censored` is NaN unless given (only censored durations have it)."""
    return pd.DataFrame([tuple(r) + (NAN,) * (8 - len(r)) for r in rows], columns=KPI_COLUMNS)


_EMPTY = {"str": "", "int": 0, "bool": False}


def save_table(tables: Path, name: str, df: pd.DataFrame) -> None:
    """`df` as tables/<name>.csv (the store's CSV form), with every dictionary column: those the
    figure tests do not set get an empty value (missing where the dictionary allows it)."""
    df = df.copy()
    for c in DICTIONARY[name]:
        if c.name not in df:
            df[c.name] = (_EMPTY[c.dtype] if c.dtype in _EMPTY
                          else (pd.NaT if c.dtype == "date" else (np.nan if c.nullable else 0.0)))
    df = df[[c.name for c in DICTIONARY[name]]].astype(dtypes(name))
    df.to_csv(tables / f"{name}.csv", index=False)


def write_run(root: Path, with_events: bool, name: str = None, inventory_factor: float = 1.0,
              output_drop: float = 0.0) -> Path:
    """A run directory; `inventory_factor` scales inventory and cover, `output_drop` lowers
    every fab's output (comparison runs that differ from each other)."""
    run = root / (name or ("curbs" if with_events else "baseline"))
    tables = run / "tables"
    tables.mkdir(parents=True)
    info = {
        "scenario": "test_curbs" if with_events else "test_baseline", "seed": 7,
        "replications": len(REPS), "start_date": START, "end_date": END, "shock_date": SHOCK,
        "version": "0.0.test", "config_hash": "x",
        "windows": {"pre": {"start": START, "end": "2019-01-14"}},
        "observed_licence_lags_days": {"hf.liquid": [25.0, 40.0], "photoresist.standard": [20.0],
                                       "hf.gas": [30.0]},
        "materials": {"hf": {"name": "Hydrogen fluoride", "short_name": "HF", "unit_value_usd_per_t": 1.0,
                             "grades": ["liquid", "gas"]},
                      "photoresist": {"name": "Photoresist", "unit_value_usd_per_t": 1.0,
                                      "grades": ["standard"]}},
        "fabs": {"fab_a": "Fab A Co", "fab_b": "Fab B Co"},
        "world": WORLD, "origin_names": {"JP": "Japan", "US": "United States", "CN": "China"},
    }
    (run / "run_info.json").write_text(json.dumps(info))
    daily = make_daily()
    daily["inventory_t"] *= inventory_factor
    daily["cover_days"] *= inventory_factor
    daily["fab_production_pct"] -= output_drop
    save_table(tables, "daily", daily)
    save_table(tables, "licences", make_licences())
    imports = make_imports()
    if not with_events:  # a second, different import history for the comparison
        imports["quantity_t"] *= 2.0
    save_table(tables, "imports_monthly", imports)
    policy = make_policy_events() if with_events else pd.DataFrame(columns=POLICY_COLUMNS)
    policy.to_csv(tables / "policy_events.csv", index=False)
    save_table(tables, "shipments", pd.DataFrame(columns=["replication"]))
    save_table(tables, "events", pd.DataFrame(columns=["replication"]))
    make_kpis(CURBS_KPIS if with_events else BASELINE_KPIS).to_csv(
        tables / "kpi_summary.csv", index=False)
    return run


def capture_into(captured: dict, key):
    """A replacement for style.save_figure that keeps what each axes shows before saving."""
    original = F.style.save_figure

    def capturing_save(fig, out_dir, name):
        captured[(key(out_dir), name)] = [
            dict(title=ax.get_title(loc="left"), gid=ax.get_gid(),
                 lines={ln.get_label(): (np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata()))
                        for ln in ax.get_lines()},
                 colours={ln.get_label(): ln.get_color() for ln in ax.get_lines()},
                 bars=[np.asarray(c.datavalues) for c in ax.containers
                       if isinstance(c, BarContainer)],
                 polys=[c.get_paths()[0].vertices for c in ax.collections
                        if isinstance(c, PolyCollection) and c.get_paths()],
                 yticklabels=[t.get_text() for t in ax.get_yticklabels()],
                 texts=[t.get_text() for t in ax.texts])
            for ax in fig.get_axes()]
        captured[(key(out_dir), name, "footer")] = " ".join(
            t.get_text() for sub in fig.subfigs for t in sub.texts)
        return original(fig, out_dir, name)
    return capturing_save


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Run make_figures on both synthetic runs once (in this process, so that what was drawn
    can be kept); keep what was drawn on each axes."""
    root = tmp_path_factory.mktemp("runs")
    captured = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(F.style, "save_figure", capture_into(captured, lambda out_dir: out_dir.parent.name))
    mp.setitem(F.style.STYLE, "pdf.fonttype", 3)  # Type 42 font subsetting: 2 s more per run
    try:
        results = {}
        for with_events in (True, False):
            run = write_run(root, with_events)
            results[run.name] = (run, F.make_figures(run, workers=1))
    finally:
        mp.undo()
    return results, captured


def panel(axes, gid):
    found = [a for a in axes if a["gid"] == gid]
    assert len(found) == 1, gid
    return found[0]


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
    # rows = fabs, columns = grades: the column titles sit on the top row
    assert [a["title"] for a in axes[:3]] == ["HF, liquid grade", "HF, gas grade", "Photoresist"]
    x, y = panel(axes, "inventory_cover|fab_a|hf.liquid")["lines"]["Fab A Co"]
    expected = [np.median([np.mean([cover_value(r, d, 0) for d in range(w * 7, w * 7 + 7)])
                           for r in REPS]) for w in range(3)]
    np.testing.assert_allclose(y, expected)
    assert "Fab B Co" in panel(axes, "inventory_cover|fab_b|hf.liquid")["lines"]
    # photoresist column: only fab_b uses photoresist, fab_a's panel says so and draws nothing
    blank = panel(axes, "inventory_cover|fab_a|photoresist.standard")
    assert "Fab A Co" not in blank["lines"] and not blank["polys"]
    assert "Fab A Co does not use\nPhotoresist" in blank["texts"]
    assert "Fab B Co" in panel(axes, "inventory_cover|fab_b|photoresist.standard")["lines"]
    footer = captured[("curbs", "inventory_cover", "footer")]
    assert "test_curbs" in footer and "3 replications" in footer and "seed 7" in footer
    assert "[1] Announced (12 Jan 2019)" in footer


def test_review_times_excludes_pre_start_pending_and_unapproved():
    info = {"materials": {"hf": {"short_name": "HF", "grades": ["liquid", "gas"]},
                          "photoresist": {"name": "Photoresist", "grades": ["standard"]}}}
    rt = F.review_times(make_licences(), {"hf": ["liquid", "gas"], "photoresist": ["standard"]},
                        info)
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
    (ax,) = [a for a in captured[("curbs", "licence_pipeline")]
             if "HF liquid · Individual" in a["yticklabels"]]
    assert "HF liquid · Individual" in ax["yticklabels"]
    assert "HF liquid · days to first approval" in ax["yticklabels"]
    # 3 approved individual HF-liquid licences (the pending one is not drawn)
    assert "n = 3 · median 45 d" in ax["texts"]  # 30, 70 and 45 days
    # bulk renewals: 5 and 8 days; the pre-start bulk licences (0 days) are not drawn
    assert f"n = 2 · median {np.median([5, 8]):,.0f} d" in ax["texts"]
    assert "1 application still pending" in captured[("curbs", "licence_pipeline", "footer")]


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


def test_licensed_share_and_its_plotted_line(drawn):
    imports = make_imports()
    share = F.licensed_share(imports, "JP")
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


# ----------------------------------------------------------------------------------------------
# The figures added with the package: fan chart, production, time to survive / recover, licence
# pipeline, and the comparison figures
# ----------------------------------------------------------------------------------------------
def weekly(values) -> list:
    """Per-replication weekly means (3 weeks) of values(rep, day)."""
    return [[np.mean([values(r, d) for d in range(w * 7, w * 7 + 7)]) for w in range(3)]
            for r in REPS]


def test_cover_fan_bands_match_hand_quantiles(drawn):
    fan = F.cover_fan(make_daily(), period_days=7)
    per_rep = np.array(weekly(lambda r, d: cover_value(r, d, 0)))  # fab_a, hf liquid
    got = fan[(fan.fab == "fab_a") & (fan.item == "hf.liquid")].sort_values("date")
    assert list(got["date"]) == list(pd.date_range(START, periods=3, freq="7D"))
    for col, q in [("q05", 0.05), ("q25", 0.25), ("median", 0.5), ("q75", 0.75), ("q95", 0.95)]:
        np.testing.assert_allclose(got[col], np.quantile(per_rep, q, axis=0), err_msg=col)
    assert (got["n"] == len(REPS)).all()
    # drawn: the outer (90 %) band first, then the inner (50 %) band, then the median line
    _, captured = drawn
    p = panel(captured[("curbs", "inventory_cover")], "inventory_cover|fab_a|hf.liquid")
    outer, inner = p["polys"]
    for poly, (lo, hi) in [(outer, (0.05, 0.95)), (inner, (0.25, 0.75))]:
        ys = set(np.round(poly[:, 1], 9))
        for q in (lo, hi):
            assert set(np.round(np.quantile(per_rep, q, axis=0), 9)) <= ys, q
    np.testing.assert_allclose(p["lines"]["Fab A Co"][1], np.median(per_rep, axis=0))


def test_production_line_is_the_median_of_weekly_fab_output(drawn):
    prod = F.production_series(make_daily(), period_days=7)
    for fab in ("fab_a", "fab_b"):
        per_rep = np.array(weekly(lambda r, d: output_value(r, d, fab)))
        got = prod[prod.fab == fab].sort_values("date")
        np.testing.assert_allclose(got["median"], np.median(per_rep, axis=0))
        np.testing.assert_allclose(got["q05"], np.quantile(per_rep, 0.05, axis=0))
        np.testing.assert_allclose(got["mean"], per_rep.mean(axis=0))
    # the data vary, and medians are not means
    assert prod.loc[prod.fab == "fab_b", "median"].iloc[1] < 100
    assert not np.allclose(prod["median"].iloc[1:3], prod["mean"].iloc[1:3])
    _, captured = drawn
    axes = captured[("curbs", "production")]
    p = panel(axes, "production|fab_b")
    np.testing.assert_allclose(
        p["lines"]["Fab B Co"][1],
        np.median(np.array(weekly(lambda r, d: output_value(r, d, "fab_b"))), axis=0))
    assert np.all(p["lines"]["_planned"][1] == 100.0)  # planned output
    assert "post-shock period" in captured[("curbs", "production", "footer")]


def test_lost_production_bars_are_the_kpi_summary_means(drawn):
    lost = F.lost_production(make_kpis(CURBS_KPIS))
    assert list(lost.fab) == ["fab_a", "fab_b"]  # item=all per fab; fab=all left out
    _, captured = drawn
    p = panel(captured[("curbs", "production")], "production|lost")
    (bars,) = p["bars"]
    np.testing.assert_allclose(bars, [12.5, 3.25])
    assert p["yticklabels"] == ["Fab A Co", "Fab B Co"]
    assert "12.5 %\n(10.0–15.0)" in p["texts"] and "3.2 %\n(1.0–5.5)" in p["texts"]
    # the baseline: no loss, and an empty kpi table would say so rather than fail
    base = panel(captured[("baseline", "production")], "production|lost")
    np.testing.assert_allclose(base["bars"][0], [0.0, 0.0])


def test_tts_ttr_markers_are_the_kpi_summary_values(drawn):
    _, captured = drawn
    (ax,) = captured[("curbs", "tts_ttr")]
    lines = ax["lines"]
    for kpi, fab, item, mean, low, high, n, *_ in CURBS_KPIS:
        key = f"{kpi}|{fab}|{item}"
        if kpi not in ("tts_days", "tts_buffer_days", "ttr_days") or fab == "all" or n == 0 or np.isnan(mean):
            assert key not in lines, key
            continue
        np.testing.assert_allclose(lines[key][0], [mean], err_msg=key)
        if np.isnan(low):
            assert f"_ci|{key}" not in lines
        else:
            np.testing.assert_allclose(lines[f"_ci|{key}"][0], [low, high], err_msg=key)
    # one row per fab x grade, under a header per fab; simulated TTS lane above the others
    assert ax["yticklabels"] == ["Fab A Co", "HF liquid", "HF gas", "Fab B Co", "HF liquid",
                                 "Photoresist"]
    y = {k: v[1][0] for k, v in lines.items()}
    assert (y["tts_days|fab_a|hf.liquid"] < y["tts_buffer_days|fab_a|hf.liquid"]
            < y["ttr_days|fab_a|hf.liquid"] < y["tts_days|fab_a|hf.gas"])
    # undefined where no run ran short; partly defined: how many runs never ran short
    assert ax["texts"].count("no shortfall") == 1
    assert "no shortfall in 2 of 3 runs" in ax["texts"]
    (base,) = captured[("baseline", "tts_ttr")]
    assert base["texts"].count("no shortfall") == 4
    assert not any(k.startswith("tts_days|") for k in base["lines"])
    np.testing.assert_allclose(base["lines"]["ttr_days|fab_b|photoresist.standard"][0], [3.0])


def test_licence_activity_counts_by_hand(drawn):
    act = F.licence_activity(make_licences(), len(REPS), START, END)
    got = {(r.material, r.regime, r.month.strftime("%Y-%m")): (r.applications, r.approvals)
           for r in act.itertuples()}
    n = len(REPS)
    # applications by month applied, approvals by month decided; pre-start licences never
    expected = {
        ("hf", "bulk"): [(3 / n, 2 / n), (0, 0), (0, 0)],  # B1, B2 approved, B3 withdrawn
        ("hf", "individual"): [(4 / n, 0), (1 / n, 2 / n), (0, 2 / n)],  # I1-I4 Jan, I5 pending
        ("photoresist", "individual"): [(1 / n, 0), (0, 1 / n), (0, 0)],
        ("photoresist", "special_bulk"): [(0, 0), (1 / n, 0), (0, 1 / n)],
    }
    assert len(got) == 3 * len(expected)
    for (mat, regime), months in expected.items():
        for month, values in zip(MONTHS, months):
            assert got[(mat, regime, month)] == pytest.approx(values), (mat, regime, month)
    _, captured = drawn
    axes = captured[("curbs", "licence_pipeline")]
    (hf,) = [a for a in axes if "_applications_hf_individual" in a["lines"]]
    np.testing.assert_allclose(hf["lines"]["_applications_hf_individual"][1], [4 / n, 1 / n, 0])
    np.testing.assert_allclose(hf["lines"]["_approvals_hf_individual"][1], [0, 2 / n, 2 / n])
    np.testing.assert_allclose(hf["lines"]["_applications_hf_bulk"][1], [1, 0, 0])
    (pr,) = [a for a in axes if "_approvals_photoresist_special_bulk" in a["lines"]]
    np.testing.assert_allclose(pr["lines"]["_approvals_photoresist_special_bulk"][1],
                               [0, 0, 1 / n])


def test_union_event_marks_number_every_event_once():
    later = make_policy_events().iloc[:2]  # pr_special and announce only
    marks = F.union_event_marks({"a": make_policy_events(), "b": pd.DataFrame(
        columns=POLICY_COLUMNS), "c": later})
    assert list(marks.event_id) == ["announce", "individual", "note", "pr_special"]
    assert list(marks.number) == [1, 2, 3, 4]
    # the baseline without events does not count; events of some runs name them
    scen = marks.set_index("event_id")["scenarios"]
    assert scen["announce"] == () and scen["pr_special"] == ()
    assert scen["individual"] == ("a",) and scen["note"] == ("a",)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Two runs that differ (the second: twice the stock, 10 points less output, twice the
    imports, no events, no shortfall), drawn as a comparison in this process."""
    root = tmp_path_factory.mktemp("sweep")
    runs = {"curbs": write_run(root, True, name="r_curbs"),
            "base": write_run(root, False, name="r_base", inventory_factor=2.0,
                              output_drop=10.0)}
    captured = {}
    mp = pytest.MonkeyPatch()
    mp.setattr(F.style, "save_figure", capture_into(captured, lambda out_dir: out_dir.name))
    mp.setitem(F.style.STYLE, "pdf.fonttype", 3)
    try:
        paths = F.make_comparison_figures(runs, root / "comparison", workers=1)
    finally:
        mp.undo()
    return root / "comparison", paths, captured


def test_comparison_figures_written(compared):
    out, paths, _ = compared
    assert paths == [out / f"{n}.{ext}" for n in COMPARISON for ext in ("png", "pdf")]
    for p in paths:
        assert p.stat().st_size > 1000, p
    assert plt.get_fignums() == []


def test_compare_cover_lines_are_the_demand_weighted_cover_of_each_run(compared):
    _, _, captured = compared
    axes = captured[("comparison", "compare_cover")]
    for label, factor in (("curbs", 1.0), ("base", 2.0)):
        # HF liquid: fab_a (stream 0) and fab_b (stream 2): Σ inventory ÷ Σ planned use per day
        nat = weekly(lambda r, d: factor * (demand_value(0) * cover_value(r, d, 0)
                                            + demand_value(2) * cover_value(r, d, 2))
                     / (demand_value(0) + demand_value(2)))
        np.testing.assert_allclose(
            panel(axes, "compare_cover|hf.liquid")["lines"][label][1], np.median(nat, axis=0))
        pr = weekly(lambda r, d: factor * cover_value(r, d, 3))  # photoresist: fab_b only
        np.testing.assert_allclose(
            panel(axes, "compare_cover|photoresist.standard")["lines"][label][1],
            np.median(pr, axis=0))
    assert "demand-weighted" in captured[("comparison", "compare_cover", "footer")]


def test_compare_production_and_imports_lines_per_run(compared):
    _, _, captured = compared
    axes = captured[("comparison", "compare_production")]
    for label, drop in (("curbs", 0.0), ("base", 10.0)):
        per_rep = weekly(lambda r, d: output_value(r, d, "fab_a") - drop)
        np.testing.assert_allclose(panel(axes, "compare_production|fab_a")["lines"][label][1],
                                   np.median(per_rep, axis=0))
    axes = captured[("comparison", "compare_imports_japan")]
    for label, factor in (("curbs", 1.0), ("base", 2.0)):
        for mat, extra in (("hf", 500), ("photoresist", 0)):
            expected = [factor * np.mean([
                0.0 if (mat, r, m) == ("photoresist", 1, "2019-03") else 100.0 + 10 * r + mi
                + extra for r in REPS]) for mi, m in enumerate(MONTHS)]
            np.testing.assert_allclose(
                panel(axes, f"compare_imports_japan|{mat}")["lines"][label][1], expected,
                err_msg=f"{label} {mat}")
    # one colour per run, the same in every comparison figure
    colours = {lab: {a["colours"][lab] for name in COMPARISON[:3]
                     for a in captured[("comparison", name)] if lab in a["colours"]}
               for lab in ("curbs", "base")}
    assert all(len(c) == 1 for c in colours.values()) and colours["curbs"] != colours["base"]


def test_compare_tts_ttr_markers_and_a_baseline_without_shortfalls(compared):
    _, _, captured = compared
    tts, ttr = captured[("comparison", "compare_tts_ttr")]
    np.testing.assert_allclose(tts["lines"]["tts_days|curbs|fab_a|hf.liquid"][0], [40.0])
    np.testing.assert_allclose(tts["lines"]["_ci|tts_days|curbs|fab_a|hf.liquid"][0],
                               [30.0, 50.0])
    np.testing.assert_allclose(ttr["lines"]["ttr_days|base|fab_b|photoresist.standard"][0],
                               [3.0])
    np.testing.assert_allclose(ttr["lines"]["ttr_days|curbs|fab_a|hf.gas"][0], [45.0])
    # TTS undefined in every baseline run: a marker beyond the end of the run, no dot
    for fab, item in PAIRS:
        assert f"tts_days|base|{fab}|{item}" not in tts["lines"]
        assert f"none|tts_days|base|{fab}|{item}" in tts["lines"]
    assert "none|tts_days|curbs|fab_b|hf.liquid" in tts["lines"]


def test_make_figures_in_worker_processes(tmp_path, monkeypatch):
    monkeypatch.setitem(F.style.STYLE, "pdf.fonttype", 3)
    run = write_run(tmp_path, True)
    paths = F.make_figures(run, workers=2)
    assert paths == [run / "figures" / f"{n}.{ext}" for n in FIGURES for ext in ("png", "pdf")]
    for p in paths:
        assert p.stat().st_size > 1000, p


def test_perceived_risk_series_is_the_daily_level():
    from simulator.present.figures.perceived_risk import risk_series
    daily = make_daily()
    s = risk_series(daily)
    assert set(s["material"]) == set(daily["material"])
    first = s[s["material"] == s["material"].iloc[0]].set_index("date")["perceived_risk"]
    assert first.iloc[0] == 0.0 and first.iloc[-1] == 0.3
    assert len(first) == N_DAYS


@pytest.mark.parametrize("window", [120.0, 60.0])
def test_the_statutory_window_drawn_is_the_runs(tmp_path, monkeypatch, window):
    """Sweeping licensing.individual.review_days_max moves the drawn window with it."""
    from simulator.present.figures.licence_pipeline import plot_licence_pipeline
    info = {"scenario": "t", "replications": len(REPS), "start_date": START, "end_date": END,
            "shock_date": SHOCK, "version": "0", "seed": 1, "statutory_review_days": window,
            "observed_licence_lags_days": {"hf.liquid": [25.0]},
            "materials": {"hf": {"name": "HF", "grades": ["liquid", "gas"]},
                          "photoresist": {"name": "PR", "grades": ["standard"]}}}
    seen = {}

    def fake_save(fig, out_dir, name):
        seen["x"] = {float(ln.get_xdata()[0]) for ax in fig.axes for ln in ax.get_lines()
                     if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]
                     and isinstance(ln.get_xdata()[0], (int, float, np.number))}
        from matplotlib.legend import Legend
        seen["legend"] = " ".join(t.get_text() for leg in fig.findobj(Legend)
                                  for t in leg.get_texts())
        plt.close(fig)
        return []

    monkeypatch.setattr(F.style, "save_figure", fake_save)
    plot_licence_pipeline(make_licences(), F.event_marks(make_policy_events()), info, tmp_path)
    assert window in seen["x"] and 90.0 not in seen["x"]
    assert f"{window:g}-day statutory review window" in seen["legend"]
