"""How well the individual-licensing terms reproduce the observed 2019 licence lags (FACTS.md).

    python benchmarks/licensing_calibration.py [replications]

Prints, for the curbs_2019 world, the first approval per material grade among applications filed
in the first days of individual licensing (mean, min, max across replications, in days after
application) next to the observed first-approval lags, and the number of approvals in the first
88 days (observed: 5 — photoresist 3, FPI 1, HF 1; Yonhap 2019-09-30).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.config.calendar import Calendar  # noqa: E402
from simulator.experiment import simulate  # noqa: E402
from simulator.config.hydra import compose_params  # noqa: E402


def main(replications: int = 10):
    p = compose_params("curbs_2019", ["run.end_date=2020-12-31"])
    shock = Calendar(p.run.start_date, p.run.end_date).day(p.metrics.shock_date)
    lic = simulate(p, replications=replications).tables["licences"]
    case = lic[(~lic["pre_start"]) & (lic["regime"] != "bulk") & (lic["outcome"] == "approved")]
    first = case[case["applied_day"] < shock + 10]
    first = first.assign(item=first["material"] + "." + first["grade"])
    per_rep = first.groupby(["replication", "item"])["review_days"].min()
    stats = per_rep.groupby("item").agg(["mean", "min", "max"]).round(0)
    observed = p.metrics.observed_licence_lags_days
    print(f"first approval after {p.metrics.shock_date}, days ({replications} replications)")
    print(f"{'item':<22}{'mean':>6}{'min':>6}{'max':>6}   observed")
    for item, row in stats.iterrows():
        print(f"{item:<22}{row['mean']:>6.0f}{row['min']:>6.0f}{row['max']:>6.0f}   {observed.get(item, [])}")
    early = case[case["decided_day"] <= shock + 88]
    per_mat = early.groupby("material").size() / replications
    print(f"approvals within 88 days: {len(early) / replications:.1f} per replication "
          f"({', '.join(f'{m} {n:.1f}' for m, n in per_mat.items())}); observed 5 (photoresist 3, fpi 1, hf 1)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
