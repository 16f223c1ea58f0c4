"""The forecast for the validation window and the backtest of the calibration set, as the README
and the issue notes quote them. Printed, never asserted, never fed back into any parameter.

    python benchmarks/validation_forecast.py [--replications 20] [--scenario lift_2023] [key=value ...]

Prints, for the scenario with the defaults (and parameter uncertainty as configured):
- imports from Japan relative to the 2018-01..2019-06 monthly mean, and Japan's share of imports
  by quantity, for Kim (2024)'s windows 2019-07, 2019-07..12 and 2019-07..2020-12 (mean and 90 %
  band across replications), per material;
- HF from Japan month by month, June 2019 to June 2020 (relative), and in tonnes for 2019 and 2020;
- the backtest of every shipped observation (data/observed/*.csv) against the run, with each
  observation's interval from its confidence grade and whether it overlaps the band;
- fleet lost output (mean and 95 % t-interval).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import simulate  # noqa: E402
from simulator.analysis.backtest import backtest, band_holds, default_files, load_observed  # noqa: E402
from simulator.config.hydra import compose_params  # noqa: E402

WINDOWS = {"2019-07": ("2019-07", "2019-07"), "2019-07..12": ("2019-07", "2019-12"),
           "2019-07..2020-12": ("2019-07", "2020-12")}
PRE = ("2018-01", "2019-06")


def _band(x: pd.Series) -> str:
    lo, hi = np.nanpercentile(x, [5, 95])
    return f"{x.mean():.2f} ({lo:.2f}-{hi:.2f})"


def forecast(imports: pd.DataFrame) -> None:
    print("\nValidation window (untuned): rel. = imports from Japan / pre-shock monthly mean; "
          "share = Japan's % of imports; mean (90 % band)")
    for mat in sorted(imports["material"].unique()):
        d = imports[imports["material"] == mat]
        jp = d[d["origin"] == "JP"].pivot_table(index="replication", columns="month",
                                                values="quantity_t", aggfunc="sum")
        tot = d.pivot_table(index="replication", columns="month", values="quantity_t", aggfunc="sum")
        months = lambda a, b: [m for m in jp.columns if a <= m <= b]
        base = jp[months(*PRE)].mean(axis=1)
        cells = []
        for name, (a, b) in WINDOWS.items():
            ms = months(a, b)
            rel = jp[ms].mean(axis=1) / base
            share = 100 * jp[ms].sum(axis=1) / tot[ms].sum(axis=1)
            cells.append(f"{name}: rel {_band(rel)}, share {_band(share)} %")
        print(f"  {mat}: " + "; ".join(cells))
        if mat == "hf":
            ms = months("2019-06", "2020-06")
            print("    HF from Japan by month (rel.): "
                  + " ".join(f"{m}: {(jp[m] / base).mean():.2f}" for m in ms))
            for year in ("2019", "2020"):
                t = jp[[m for m in jp.columns if m.startswith(year)]].sum(axis=1)
                print(f"    HF from Japan {year}: {t.mean():,.0f} t ({np.percentile(t, 5):,.0f}-"
                      f"{np.percentile(t, 95):,.0f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--scenario", default="lift_2023")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args(argv)
    p = compose_params(args.scenario, args.overrides)
    res = simulate(p, replications=args.replications, workers=args.workers)
    forecast(res.tables["imports_monthly"])
    observations = [o for f in default_files() for o in load_observed(f)]
    bt = backtest(res.tables["imports_monthly"], observations, p.metrics.observation_tolerance)
    print(f"\nBacktest ({band_holds(p)}; observations as intervals by grade):")
    for r in bt.itertuples():
        if r.inside == "":
            continue
        print(f"  {r.file:<22} {r.period:<17} {r.material:<12} {r.origin:<3} {r.measure:<10} "
              f"obs {r.observed:>13,.1f} ({r.confidence}: {r.observed_low:,.1f}-{r.observed_high:,.1f})"
              f"  sim {r.simulated_mean:>13,.1f} ({r.band_low:,.1f}-{r.band_high:,.1f})  {r.inside}")
    for f in sorted(set(bt["file"])):
        rows = bt[(bt["file"] == f) & (bt["inside"] != "")]
        print(f"  {f}: {(rows['inside'] == 'yes').sum()} of {len(rows)} overlap")
    d = res.tables["daily"]
    post = d[d["date"] >= pd.Timestamp(p.metrics.shock_date)].drop_duplicates(
        ["replication", "fab", "day"])
    lost = (100 - post["fab_production_pct"]).groupby(post["replication"]).mean()
    half = stats.t.ppf(0.975, len(lost) - 1) * lost.std(ddof=1) / len(lost) ** 0.5
    print(f"\nfleet lost output: {lost.mean():.4f} % (95 % CI {max(0, lost.mean() - half):.4f} "
          f"to {lost.mean() + half:.4f}); replications with any loss: {(lost > 0).sum()} of {len(lost)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
