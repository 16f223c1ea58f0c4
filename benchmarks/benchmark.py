"""Speed of the simulator on this machine, printed (not asserted): run it after changes.

    python benchmarks/benchmark.py            # default curbs_2019 world, 20 replications

Targets (issue 2): the default `python run.py scenario=curbs_2019` finishes in under a minute on
a 2-core machine, all included (composition, 20 replications, tables, KPIs, figures, report).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.experiment import run_replication, simulate  # noqa: E402
from simulator.config.hydra import compose_params  # noqa: E402
from simulator.app.pipeline import write_run  # noqa: E402


def timed(label, fn):
    t = time.perf_counter()
    out = fn()
    print(f"{label:<58} {time.perf_counter() - t:7.2f} s")
    return out


def main():
    print(f"cores: {os.cpu_count()}")
    for scenario in ("baseline", "curbs_2019", "domestic_substitution", "lift_2023"):
        p = compose_params(scenario)
        timed(f"one replication, 2018-2024, {scenario}", lambda: run_replication(p, 0))
    p = compose_params("curbs_2019")
    timed("20 replications, sequential (workers=1)", lambda: simulate(p, workers=1))
    res = timed("20 replications, parallel (workers=0: one per core)", lambda: simulate(p))
    with tempfile.TemporaryDirectory() as tmp:
        timed("tables + KPIs + figures + report for 20 replications",
              lambda: write_run(res, Path(tmp) / "run", "benchmark"))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(ROOT / "run.py"), "scenario=curbs_2019",
               f"hydra.run.dir={tmp}/run"]
        timed("python run.py scenario=curbs_2019 (end to end)",
              lambda: subprocess.run(cmd, check=True, capture_output=True))


if __name__ == "__main__":
    main()
