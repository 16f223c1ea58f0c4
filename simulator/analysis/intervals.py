"""The summary of a run's KPIs across replications: one estimate per KPI x fab x item with a 95 %
interval of the kind that suits the quantity (README, "Metrics"), so no interval reaches outside
what the quantity can be:

- durations until an event that may not happen before the run ends (time to survive, time to
  recover): the Kaplan-Meier median, censored at the run's end (`scipy.stats.ecdf`), with the
  share censored;
- shares of replications (0/1 per replication): Wilson (`scipy.stats.binomtest`);
- everything else: the mean with a t-interval, cut to 0-100 for percentages and at 0 below.
"""
from __future__ import annotations

import math
from functools import lru_cache
import warnings
from typing import Optional

import numpy as np
import pandas as pd

from simulator.config.calendar import Calendar

# KPIs whose per-replication value is 0 or 1: their mean is a share of replications, whose
# interval must stay inside [0, 1] (Wilson, from scipy; a t-interval gave "0.60 (0.00 to 1.28)")
PROPORTIONS = {"tts_before_ttr"}
PERCENT_MARK = "_share_pct_"  # shares of imports per window (<origin>_share_pct_<window>)


# KPIs that are durations until something happens, missing (NaN) when it did not happen before
# the run ended: right-censored at the run's end. Their mean over the runs where it happened is
# biased low; their summary is the Kaplan-Meier median (scipy.stats.ecdf on censored data).
SURVIVAL = {"tts_days", "ttr_days"}


def interval_kind(kpi: str) -> str:
    """How a KPI's 95 % interval is computed (README, Metrics): Kaplan-Meier for durations
    censored at the end of the run; Wilson for shares of replications; a t-interval on the mean
    otherwise, cut to what the quantity can be (0 to 100 for percentages, at least 0 for
    everything else)."""
    if kpi in SURVIVAL:
        return "Kaplan-Meier (log-log)"
    if kpi in PROPORTIONS:
        return "Wilson"
    if kpi.endswith("_pct") or PERCENT_MARK in kpi:
        return "t, within 0-100"
    return "t, at least 0"


def statistic(kpi: str) -> str:
    """What a summary row's `mean` column holds for `kpi`."""
    if kpi in SURVIVAL:
        return "median"
    return "share" if kpi in PROPORTIONS else "mean"


def km_median(values: pd.Series, followup_days: Optional[float] = None) -> tuple:
    """(median, low, high) of a duration whose missing values are right-censored at
    `followup_days` (the run's end; by default just after the longest observed duration):
    the Kaplan-Meier median, NaN if survival never falls to one half within the run, and its 95 %
    interval from the pointwise log-log band (Brookmeyer-Crowley: the times at which the band
    reaches one half), its high end NaN when the band does not reach it within the run."""
    x = pd.Series(values, dtype=float)
    observed = x.dropna().to_numpy()
    censored = int(x.isna().sum())
    if observed.size == 0:
        return math.nan, math.nan, math.nan
    from scipy import stats  # here, not at import: 0.4 s a run need not wait for (pipeline._warming)

    end = float(followup_days) if followup_days is not None else float(observed.max()) + 1.0
    data = stats.CensoredData(uncensored=observed, right=np.full(censored, max(end, observed.max())))
    sf = stats.ecdf(data).sf
    times, surv = sf.quantiles, sf.probabilities

    def first_at_half(s):
        hit = np.flatnonzero(s <= 0.5)
        return float(times[hit[0]]) if hit.size else math.nan
    median = first_at_half(surv)
    if len(x) < 2:
        return median, math.nan, math.nan
    with warnings.catch_warnings():  # undefined where survival is 0; handled just below
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(0.95, method="log-log")
    low_s = np.where(np.isnan(band.low.probabilities) & (surv == 0), 0.0, band.low.probabilities)
    high_s = np.where(np.isnan(band.high.probabilities) & (surv == 0), 0.0, band.high.probabilities)
    return median, first_at_half(low_s), first_at_half(high_s)


SUMMARY_COLUMNS = ["kpi", "fab", "item", "mean", "ci95_low", "ci95_high", "n", "interval",
                   "statistic", "censored"]


def summarise(long: pd.DataFrame, followup_days: Optional[float] = None) -> pd.DataFrame:
    """Estimate (`mean` column; `statistic` says which: mean, share or median), 95 % interval
    (`interval` says which kind), count of replications and, for censored durations, the share
    censored (no event before the run's end, `followup_days` after the shock), per KPI x fab x
    item."""
    def ci(group: pd.Series):
        kpi = group.name[0]
        kind = interval_kind(kpi)
        censored = math.nan
        if kind.startswith("Kaplan-Meier"):  # the runs without the event count, as censored
            n = len(group)
            mean, low, high = km_median(group, followup_days)
            censored = float(group.isna().mean()) if n else math.nan
        else:
            x = group.dropna()
            n = len(x)
            mean = float(x.mean()) if n else math.nan
            low = high = math.nan
            if kind == "Wilson" and n:
                from scipy import stats
                ci95 = stats.binomtest(int(round(x.sum())), n).proportion_ci(0.95, method="wilson")
                low, high = float(ci95.low), float(ci95.high)
            elif n > 1:
                half = t_half_width(x)
                low, high = max(mean - half, 0.0), mean + half
                if kind == "t, within 0-100":
                    high = min(high, 100.0)
        return pd.Series({"mean": mean, "ci95_low": low, "ci95_high": high, "n": n,
                          "interval": kind, "statistic": statistic(kpi), "censored": censored})
    out = long.groupby(["kpi", "fab", "item"], sort=True)["value"].apply(ci).unstack().reset_index()
    return out[SUMMARY_COLUMNS].astype({"mean": float, "ci95_low": float, "ci95_high": float,
                                        "n": int, "censored": float})


def censored_runs(share: float, n: int) -> int:
    """How many of a summary row's `n` runs its `censored` share stands for (0 where the KPI is
    not a censored duration, or a summary written before the column existed)."""
    return 0 if share is None or pd.isna(share) else int(round(float(share) * n))


def followup_days(start_date: str, end_date: str, shock_date: str) -> float:
    """Days from the shock to the end of the run (a duration not ended by then is censored)."""
    cal = Calendar(start_date, end_date)
    return float(cal.horizon_days - cal.day(shock_date))


def t_half_width(values) -> float:
    """Half-width of the 95 % t-interval of the mean of `values` (missing values left out; inf
    with fewer than two). The one place a t-interval is computed (KPI summaries, paired
    differences, the stopping rule)."""
    x = pd.Series(values, dtype=float).dropna()
    n = len(x)
    if n < 2:
        return math.inf
    return float(_t_quantile(n - 1) * x.std(ddof=1) / math.sqrt(n))


@lru_cache(maxsize=None)
def _t_quantile(dof: int) -> float:
    """The t distribution's 97.5 % point: one scipy call per count of replications (a summary
    asks for it ~300 times with the same count, at ~3 ms a call)."""
    from scipy import stats
    return float(stats.t.ppf(0.975, dof))
