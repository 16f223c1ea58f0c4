"""The second episode's forecast, untuned: China's 2023 gallium and germanium licensing replayed
from GALLIUM.md's inputs alone (world=china_gallium), as issue 19's note quotes it. Printed,
never asserted, never fed back into any parameter; nothing here reads an outcome after June 2023.

    python benchmarks/gallium_forecast.py [--replications 20] [--scenario gallium_2023] [key=value ...]

Prints, per metal, over the replications (mean and 90 % band):
- China's exports each month July 2023 - December 2024 as a multiple of the January-June 2023
  monthly mean of the same replication (exports = what the world's buyers receive from China:
  every destination is one of its buyers; the model records a lot on arrival, days after it
  clears China's customs);
- the date of the first licence granted under individual licensing;
- the first month after the effective date back above half the pre-announcement level;
- the 2024 total in tonnes, and against 2022's observed total (GALLIUM.md: 94 t gallium, 43.7 t
  germanium, series T);
- the backtest of the world's observed files (China's exports up to June 2023).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import simulate  # noqa: E402
from simulator.analysis.backtest import backtest, load_observed, world_files  # noqa: E402
from simulator.config.calendar import Calendar  # noqa: E402
from simulator.config.hydra import compose_params  # noqa: E402

PRE = ("2023-01", "2023-06")
EFFECTIVE = "2023-08"
OBSERVED_2022_T = {"gallium": 94.0, "germanium": 43.7}  # GALLIUM.md (H): the yardstick only


def _band(x, digits: int = 2) -> str:
    x = np.asarray(x, dtype=float)
    lo, hi = np.nanpercentile(x, [5, 95])
    return f"{np.nanmean(x):.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def exports_by_month(tables: dict, origin: str) -> pd.DataFrame:
    """replication x material x month -> tonnes from `origin` (zero where none arrived)."""
    imp = tables["imports_monthly"]
    imp = imp[imp["origin"] == origin]
    return imp.groupby(["replication", "material", "month"])["quantity_t"].sum().unstack(
        "month", fill_value=0.0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--scenario", default="gallium_2023")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args(argv)
    p = compose_params(args.scenario, ["world=china_gallium",
                                       f"run.replications={args.replications}", *args.overrides])
    res = simulate(p)
    origin = p.world.licensing_country
    months = exports_by_month(res.tables, origin)
    pre_cols = [c for c in months.columns if PRE[0] <= c <= PRE[1]]
    later = [c for c in months.columns if "2023-07" <= c <= "2024-12"]
    cal = Calendar(p.run.start_date, p.run.end_date)
    lic = res.tables["licences"]
    print(f"{args.scenario}, {args.replications} replications, seed {p.run.seed}; exports of "
          f"{p.world.licensing_name} as a multiple of its {PRE[0]}..{PRE[1]} monthly mean")
    for mat in p.materials:
        m = months.xs(mat, level="material")
        pre = m[pre_cols].mean(axis=1)
        rel = m[later].div(pre, axis=0)
        print(f"\n{mat}: pre-announcement mean {_band(pre * 1000, 0)} kg/month")
        print("  " + "  ".join(f"{c}: {_band(rel[c])}" for c in later[:6]))
        print("  " + "  ".join(f"{c}: {_band(rel[c])}" for c in later[6:12]))
        print("  " + "  ".join(f"{c}: {_band(rel[c])}" for c in later[12:]))
        first = lic[(lic["material"] == mat) & (lic["regime"] == "individual")
                    & (lic["outcome"] == "approved")].groupby("replication")["decided_day"].min()
        days = first.to_numpy()
        med, lo, hi = cal.dates(np.array([np.median(days), days.min(), days.max()]))
        print(f"  first licence granted: median {pd.Timestamp(med).date()}, range "
              f"{pd.Timestamp(lo).date()} .. {pd.Timestamp(hi).date()} ({len(days)} replications)")
        after = [c for c in later if c >= EFFECTIVE]
        back = [next((c for c in after if rel.loc[r, c] > 0.5), "never") for r in rel.index]
        print(f"  first month from {EFFECTIVE} above half the pre level: "
              f"{pd.Series(back).value_counts().sort_index().to_dict()}")
        total = m[[c for c in m.columns if c.startswith("2024")]].sum(axis=1)
        print(f"  2024 total {_band(total, 1)} t = {_band(total / OBSERVED_2022_T[mat])} x 2022's "
              f"observed {OBSERVED_2022_T[mat]:g} t")
    observations = [o for f in world_files(p.world.observed_dir) for o in load_observed(f)]
    table = backtest(res.tables["imports_monthly"], observations, p.metrics.observation_tolerance)
    done = table[table["inside"] != ""]
    print(f"\nbacktest (pre-July-2023 exports): {int((done['inside'] == 'yes').sum())} of "
          f"{len(done)} observations overlap the 90 % band")
    print(done[["period", "material", "observed", "simulated_mean", "band_low", "band_high",
                "inside"]].to_string(index=False))


if __name__ == "__main__":
    main()
