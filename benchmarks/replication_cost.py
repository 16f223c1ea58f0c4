"""Cost of one replication of a scenario, for this tree and, side by side, another checkout.

    python benchmarks/replication_cost.py                      # this tree only
    python benchmarks/replication_cost.py --against DIR        # and the checkout at DIR
    (e.g. git worktree add /tmp/before <commit>; then --against /tmp/before)

Each tree is timed in its own subprocess (each imports its own `simulator`), alternating, so both
see the same machine load; the load average is printed with the figures. Prints the median and
the range of `--rounds` x `--reps` replications per tree (seconds per replication). Printed, never
asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from simulator.experiment import run_replication
try:  # the layered package; older checkouts kept it flat
    from simulator.config.hydra import compose_params
except ImportError:
    from simulator.hydra_config import compose_params
p = compose_params(sys.argv[2])
run_replication(p, 99)  # warm-up: imports, first-call costs
times = []
for r in range(int(sys.argv[3])):
    t = time.perf_counter()
    run_replication(p, r)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def time_tree(tree: Path, scenario: str, reps: int) -> list:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), scenario, str(reps)],
                         capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", type=Path, help="another checkout to time side by side")
    ap.add_argument("--scenario", default="lift_2023")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    trees = {"this tree": ROOT}
    if args.against:
        trees["against"] = args.against.resolve()
    times = {k: [] for k in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            times[name] += time_tree(tree, args.scenario, args.reps)
    print(f"one replication of {args.scenario}, {args.rounds} x {args.reps} per tree, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, ts in times.items():
        print(f"  {name:<10} ({trees[name]}): median {statistics.median(ts):.2f} s "
              f"(min {min(ts):.2f}, max {max(ts):.2f})")
    if len(times) == 2:
        ratio = statistics.median(times["this tree"]) / statistics.median(times["against"])
        print(f"  this tree / against: {ratio:.2f}")


if __name__ == "__main__":
    main()
