"""Data preparation for the figures drawn from `daily.csv` and `kpi_summary.csv`.

Pure functions, DataFrame in, DataFrame out: each returns exactly what a figure draws, so tests
can check the plots against the tables. Time series are binned per replication first (mean of
the daily values within `period_days`-day bins counted from the table's first date; a bin is
labelled with its first day) and summarised across replications second.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd

from .style import BAND, FAN_BANDS, quantile_column

FAN_QUANTILES = tuple(sorted({q for band in FAN_BANDS for q in band} | {0.5}))
TTS_TTR_KPIS = ("tts_days", "tts_buffer_days", "ttr_days")


# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------
def _as_bool(s: pd.Series) -> pd.Series:
    """CSV round trips turn booleans into bool, object 'True'/'False' or NaN: normalise."""
    if s.dtype == bool:
        return s
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "1.0", "yes"])


def _grade(s: pd.Series) -> pd.Series:
    return s.astype(object).fillna("").astype(str)


def _item(material: pd.Series, grade: pd.Series) -> pd.Series:
    """'material.grade', or just 'material' when the grade is empty (exporter-wide licences)."""
    material = material.astype(str)
    return material.where(grade == "", material + "." + grade)


def _month_start(month: pd.Series) -> pd.Series:
    return pd.to_datetime(month.astype(str) + "-01")


def _bins(daily: pd.DataFrame, period_days: int) -> Tuple[np.ndarray, pd.Timestamp]:
    """Bin number of every row of the daily table, and the first date (bin 0 starts there).

    Dates are parsed once per distinct value, not per row: the daily table is ~600k rows."""
    date_cat = pd.Categorical(daily["date"])
    cat_dates = pd.DatetimeIndex(pd.to_datetime(date_cat.categories))
    t0 = cat_dates.min()
    cat_bin = np.asarray((cat_dates - t0).days // int(period_days))
    return cat_bin[date_cat.codes], t0


def _across_replications(per_rep: pd.Series, quantiles: Sequence[float]) -> pd.DataFrame:
    """Quantiles (linear interpolation, as numpy) and count across the `replication` level."""
    wide = per_rep.unstack("replication")
    values = wide.to_numpy(dtype=float)
    qs = np.nanquantile(values, quantiles, axis=1) if values.size else np.empty((len(quantiles), 0))
    out = pd.DataFrame({("median" if q == 0.5 else quantile_column(q)): qs[i]
                        for i, q in enumerate(quantiles)}, index=wide.index)
    out["mean"] = np.nanmean(values, axis=1) if values.size else []
    out["n"] = np.sum(~np.isnan(values), axis=1)
    return out


def _finish(out: pd.DataFrame, t0: pd.Timestamp, period_days: int) -> pd.DataFrame:
    out = out.reset_index()
    for c in ("fab", "material", "grade"):
        if c in out:
            out[c] = out[c].astype(str)
    out["date"] = t0 + pd.to_timedelta(out["bin"] * int(period_days), unit="D")
    if "material" in out:
        out["item"] = _item(out["material"], out["grade"])
    return out


def _daily_frame(daily: pd.DataFrame, period_days: int, values: Dict[str, str]):
    bins, t0 = _bins(daily, period_days)
    df = pd.DataFrame({
        "replication": daily["replication"].to_numpy(),
        "fab": daily["fab"].astype("category"),
        "material": daily["material"].astype("category"),
        "grade": _grade(daily["grade"]).astype("category"),
        "bin": bins,
        **{new: daily[old].astype(float).to_numpy() for new, old in values.items()},
    })
    return df, t0


# ----------------------------------------------------------------------------------------------
# daily.csv
# ----------------------------------------------------------------------------------------------
def _cover_quantiles(daily: pd.DataFrame, period_days: int, quantiles) -> pd.DataFrame:
    df, t0 = _daily_frame(daily, period_days, {"cover": "cover_days"})
    keys = ["fab", "material", "grade", "bin"]
    per_rep = df.groupby(keys + ["replication"], observed=True, sort=True)["cover"].mean()
    return _finish(_across_replications(per_rep, quantiles), t0, period_days)


def cover_series(daily: pd.DataFrame, period_days: int = 7,
                 band: Sequence[float] = BAND) -> pd.DataFrame:
    """Inventory cover per fab and material grade, summarised across replications.

    Each replication's daily `cover_days` is first averaged within `period_days`-day bins, then
    the median and the `band` quantiles are taken across replications. `period_days=1` gives the
    daily quantiles. Returns columns item, material, grade, fab, date, median, low, high, n.
    """
    cols = ["item", "material", "grade", "fab", "date", "median", "low", "high", "n"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    out = _cover_quantiles(daily, period_days, (band[0], 0.5, band[1]))
    out = out.rename(columns={quantile_column(band[0]): "low", quantile_column(band[1]): "high"})
    return out[cols].sort_values(["item", "fab", "date"], kind="stable").reset_index(drop=True)


def cover_fan(daily: pd.DataFrame, period_days: int = 7) -> pd.DataFrame:
    """Inventory cover per fab and material grade as a fan: the median and the 5th, 25th, 75th
    and 95th percentiles across replications of each replication's `period_days`-day mean cover.

    Returns columns item, material, grade, fab, date, q05, q25, median, q75, q95, n.
    """
    qcols = [("median" if q == 0.5 else quantile_column(q)) for q in FAN_QUANTILES]
    cols = ["item", "material", "grade", "fab", "date"] + qcols + ["n"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    out = _cover_quantiles(daily, period_days, FAN_QUANTILES)
    return out[cols].sort_values(["item", "fab", "date"], kind="stable").reset_index(drop=True)


def production_series(daily: pd.DataFrame, period_days: int = 7) -> pd.DataFrame:
    """Each fab's output (`fab_production_pct`, % of planned) over time, across replications.

    `fab_production_pct` is the same on every material row of a fab and day, so the mean over a
    bin's rows is the mean over its days. Returns columns fab, date, q05, q25, median, q75, q95,
    mean, n (replications).
    """
    qcols = [("median" if q == 0.5 else quantile_column(q)) for q in FAN_QUANTILES]
    cols = ["fab", "date"] + qcols + ["mean", "n"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    df, t0 = _daily_frame(daily, period_days, {"output": "fab_production_pct"})
    per_rep = df.groupby(["fab", "bin", "replication"], observed=True, sort=True)["output"].mean()
    out = _finish(_across_replications(per_rep, FAN_QUANTILES), t0, period_days)
    return out[cols].sort_values(["fab", "date"], kind="stable").reset_index(drop=True)


def national_cover(daily: pd.DataFrame, period_days: int = 7) -> pd.DataFrame:
    """Cover of all fabs together per material grade: Σ inventory ÷ Σ planned daily use over the
    fabs that use the grade (the demand-weighted mean of the fabs' cover), per replication and
    day; then each replication's `period_days`-day mean; then the median across replications.

    Returns columns item, material, grade, date, median, q25, q75, n.
    """
    cols = ["item", "material", "grade", "date", "median", "q25", "q75", "n"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    bins, t0 = _bins(daily, period_days)
    df = pd.DataFrame({
        "replication": daily["replication"].to_numpy(),
        "material": daily["material"].astype("category"),
        "grade": _grade(daily["grade"]).astype("category"),
        "day": pd.Categorical(daily["date"]).codes, "bin": bins,
        "inv": daily["inventory_t"].astype(float).to_numpy(),
        "dem": daily["demand_t"].astype(float).to_numpy(),
    })
    keys = ["material", "grade", "bin"]
    per_day = df.groupby(keys + ["replication", "day"], observed=True, sort=True)[
        ["inv", "dem"]].sum()
    ratio = (per_day["inv"] / per_day["dem"].where(per_day["dem"] > 0)).rename("cover")
    per_rep = ratio.groupby(level=keys + ["replication"], observed=True, sort=True).mean()
    out = _finish(_across_replications(per_rep, (0.25, 0.5, 0.75)), t0, period_days)
    return out[cols].sort_values(["item", "date"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# kpi_summary.csv
# ----------------------------------------------------------------------------------------------
KPI_COLUMNS = ["kpi", "fab", "item", "mean", "low", "high", "n", "censored"]


def kpi_rows(kpis: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The rows of one KPI with numeric estimate (`mean`: a median for censored durations), 95 %
    interval (low, high), n (0 where undefined) and the share of runs censored (NaN where the
    KPI is not a censored duration).

    Returns columns kpi, fab, item, mean, low, high, n, censored."""
    if kpis is None or kpis.empty or "kpi" not in kpis:
        return pd.DataFrame(columns=KPI_COLUMNS)
    k = kpis[kpis["kpi"].astype(str) == kpi]
    out = pd.DataFrame({
        "kpi": k["kpi"].astype(str), "fab": k["fab"].astype(str), "item": k["item"].astype(str),
        "mean": pd.to_numeric(k["mean"], errors="coerce"),
        "low": pd.to_numeric(k["ci95_low"], errors="coerce"),
        "high": pd.to_numeric(k["ci95_high"], errors="coerce"),
        "n": pd.to_numeric(k["n"], errors="coerce").fillna(0).astype(int),
        "censored": pd.to_numeric(k["censored"], errors="coerce") if "censored" in k
        else float("nan"),
    })
    return out.reset_index(drop=True)


def lost_production(kpis: pd.DataFrame) -> pd.DataFrame:
    """Lost production (% of planned output over the post-shock period, all inputs together) per
    fab: kpi_summary rows kpi = lost_production_pct, item = all (fab = all aggregates left out).

    Returns columns fab, mean, low, high, n."""
    k = kpi_rows(kpis, "lost_production_pct")
    k = k[(k["item"] == "all") & (k["fab"] != "all")]
    return k[["fab", "mean", "low", "high", "n"]].reset_index(drop=True)


def tts_ttr(kpis: pd.DataFrame) -> pd.DataFrame:
    """Simulated time to survive, buffer-only time to survive and time to recover per fab and
    material grade (kpi_summary rows tts_days, tts_buffer_days, ttr_days; fab = all left out).

    Returns columns fab, item, kpi, mean, low, high, n, censored (time to survive and to recover
    are Kaplan-Meier medians; censored = share of runs where it did not happen in the run)."""
    frames = [kpi_rows(kpis, k) for k in TTS_TTR_KPIS]
    k = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KPI_COLUMNS)
    k = k[(k["fab"] != "all") & k["item"].str.contains(".", regex=False)]
    return k[["fab", "item", "kpi", "mean", "low", "high", "n", "censored"]].reset_index(drop=True)


def stack_runs(frames: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Label -> table, as one table with a leading `run` column (comparison figures)."""
    parts: List[pd.DataFrame] = [f.assign(run=label) for label, f in frames.items()]
    if not parts:
        return pd.DataFrame(columns=["run"])
    out = pd.concat(parts, ignore_index=True)
    return out[["run"] + [c for c in out.columns if c != "run"]]
