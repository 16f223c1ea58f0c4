"""Speed, memory and size of the simulator on this machine, printed with the machine's load (read
the ratios on a busy machine). Every target of issues 8 and 18 is one line, marked `ok` or `MISS`:

    python benchmarks/benchmark.py                  # everything (the 1,000-replication run: ~10 min)
    python benchmarks/benchmark.py --replications 200 --skip-snp
    pip install -e ".[bench]"                      # adds SupplyNetPy for the peer comparison

Measured side by side in one process (model and bare SimPy loop, model and SupplyNetPy); the big
run and the end-to-end run are subprocesses whose whole process tree is sampled for memory.
Nothing here is asserted: the test suite checks behaviour, this script reports cost.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import hashlib
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.app.pipeline import execute, replicate  # noqa: E402
from simulator.config.hydra import compose_params  # noqa: E402
from simulator.config.params import Params  # noqa: E402
from simulator.experiment import map_batches, run_replication  # noqa: E402
from simulator.experiment.parameter_draws import for_replication  # noqa: E402
from simulator.experiment.tables import build_tables  # noqa: E402
from simulator.config.dictionary import SIMULATION_TABLES  # noqa: E402
from simulator.store.parts import replications_per_part  # noqa: E402
from simulator.store.run_dir import KEEP_TABLES  # noqa: E402
from simulator.model.collector import collector_paused  # noqa: E402
from simulator.model.world import World, run_world  # noqa: E402

SCENARIO = "lift_2023"  # the whole history: curbs, special bulk, the lift


# --- reporting ------------------------------------------------------------------------------
def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min)"


def line(label: str, value: str, target: str = "", ok=None) -> None:
    verdict = "" if ok is None else ("ok  " if ok else "MISS")
    print(f"{verdict:4} {label:<58} {value:<24} {target}", flush=True)


def median_time(fn: Callable, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def paired_medians(a: Callable, b: Callable, repeat: int) -> tuple:
    """Medians of `a` and `b` run in alternation, so that a change of load falls on both."""
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(median_time(a, 1))
        tb.append(median_time(b, 1))
    return statistics.median(ta), statistics.median(tb)


def with_its_garbage(fn: Callable) -> Callable:
    """`fn`, then a collection of the young objects it left unreachable (a run's collector is
    paused while it simulates, so they are all young), so its cost includes its garbage."""
    def call() -> None:
        fn()
        gc.collect(0)
    return call


# --- the model against a bare SimPy loop ------------------------------------------------------
def bare_simpy_us_per_event(n: int = 200_000) -> float:
    """A process that only yields timeouts: SimPy's own cost per event."""
    def once():
        env = simpy.Environment()

        def proc():
            for _ in range(n):
                yield env.timeout(1)
        env.process(proc())
        env.run()
    return median_time(once, 5) / n * 1e6


def model_cost(p: Params, reps: int) -> Dict[str, float]:
    sims, tables, events, lots, one = [], [], [], [], []
    for r in range(reps):
        q = for_replication(p, r)  # its draw of the calibrated parameters, as a run's worker has it
        t0 = time.perf_counter()
        with collector_paused():  # as run_world has it, keeping the world for its event count
            world = World(q, r)
            rec = world.run()
        t1 = time.perf_counter()
        build_tables(q, rec, r)
        t2 = time.perf_counter()
        sims.append(t1 - t0)
        tables.append(t2 - t1)
        one.append(t2 - t0)
        events.append(next(world.env._eid))  # SimPy's event counter: events scheduled
        lots.append(sum(1 for o in rec.orders if o.ordered_day >= 0))  # call-off lots placed
    return {"sim_s": statistics.median(sims), "tables_s": statistics.median(tables),
            "replication_s": statistics.median(one), "events": statistics.median(events),
            "lots": statistics.median(lots), "nodes": len(p.suppliers) + len(p.fabs),
            "days": World(p, 0).cal.horizon_days}


# --- SupplyNetPy, the closest open peer --------------------------------------------------------
def supplynetpy_node_days_per_s(days: int) -> float:
    """A 12-node network (6 infinite suppliers, 6 stocking sites each with two supplier links and
    daily customer demand, (s, S) replenishment, triangular lead times), no logging."""
    import SupplyNetPy.Components as scm

    def run():
        random.seed(1)
        nodes = [{"ID": f"S{i}", "name": f"S{i}", "node_type": "infinite_supplier"} for i in range(6)]
        nodes += [{"ID": f"D{i}", "name": f"D{i}", "node_type": "distributor", "capacity": 600,
                   "initial_level": 300, "inventory_holding_cost": 0.2,
                   "replenishment_policy": scm.SSReplenishment, "policy_param": {"s": 200, "S": 600},
                   "product_buy_price": 100, "product_sell_price": 105} for i in range(6)]
        links = []
        for i in range(6):
            links.append({"ID": f"L{i}a", "source": f"S{i}", "sink": f"D{i}", "cost": 5,
                          "lead_time": lambda: random.triangular(5, 12, 8)})
            links.append({"ID": f"L{i}b", "source": f"S{(i + 1) % 6}", "sink": f"D{i}", "cost": 6,
                          "lead_time": lambda: random.triangular(8, 20, 12)})
        demands = [{"ID": f"d{i}", "name": f"d{i}", "order_arrival_model": lambda: 1,
                    "order_quantity_model": lambda: 20, "demand_node": f"D{i}"} for i in range(6)]
        net = scm.create_sc_net(nodes=nodes, links=links, demands=demands)
        scm.simulate_sc_net(net, sim_time=days, logging=False)
    return 12 * days / median_time(run, 3)


# --- scaling ---------------------------------------------------------------------------------
def _split(confs: dict, k: int, share_field: str) -> dict:
    """Each actor as k clones with 1/k of its share: k times the actors, the same world."""
    out = {}
    for key, conf in confs.items():
        for j in range(k):
            clone = dataclasses.replace(conf, **{share_field: _scaled(getattr(conf, share_field), k)})
            out[key if j == 0 else f"{key}_{j}"] = clone
    return out


def _scaled(share, k):
    if isinstance(share, dict):  # fab demand shares: material -> grade -> share
        return {m: {g: v / k for g, v in grades.items()} for m, grades in share.items()}
    return share / k


def scaled_world(p: Params, fabs: int = 1, suppliers: int = 1, years: int = 7) -> Params:
    run = dataclasses.replace(p.run, end_date=f"{2017 + years}-12-31")
    return dataclasses.replace(p, run=run, fabs=_split(p.fabs, fabs, "demand_share"),
                               suppliers=_split(p.suppliers, suppliers, "share_of_origin"))


def slope(xs: List[float], ys: List[float]) -> float:
    """Exponent b of cost = a x^b (1 = linear), least squares in logs."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def sim_seconds(p: Params) -> float:
    return median_time(lambda: run_world(p, 0), 3)


# --- whole runs ------------------------------------------------------------------------------
class TreeMemory:
    """Peak memory (proportional set size) of a process and all its descendants, sampled from
    /proc every `every_s` seconds."""

    def __init__(self, pid: int, every_s: float = 0.2):
        self.pid, self.every, self.peak = pid, every_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> List[int]:
        out = [pid]
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                for child in (task / "children").read_text().split():
                    out += self._tree(int(child))
        except OSError:
            pass
        return out

    def _rss(self, pid: int) -> int:
        """Proportional set size: pages shared by forked workers counted once in the sum."""
        try:
            for text in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if text.startswith("Pss:"):
                    return int(text.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree(self.pid)))
            time.sleep(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_command(args: List[str]) -> Dict[str, float]:
    t = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mem = TreeMemory(proc.pid)
    _, err = proc.communicate()
    peak = mem.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {err.decode()[-500:]}")
    return {"s": time.perf_counter() - t, "peak_bytes": peak}


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def table_digests(run: Path) -> Dict[str, str]:
    return {str(f.relative_to(run)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted((run / "tables").rglob("*.parquet"))}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=1000, help="of the big run (default 1000)")
    ap.add_argument("--skip-big", action="store_true", help="skip the big run")
    ap.add_argument("--skip-snp", action="store_true", help="skip the SupplyNetPy comparison")
    ap.add_argument("--only-big", action="store_true", help="only the big run")
    ap.add_argument("--users", action="store_true",
                    help="only what users wait for: the main job, its outputs, rebuild, the quick "
                         "look, --help and a refusal (issue 18)")
    args = ap.parse_args(argv)

    cores = os.cpu_count() or 1
    import simulator.model
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, simpy {simpy.__version__}; model "
          f"{'compiled (mypyc)' if simulator.model.COMPILED else 'pure Python'}; {load()}")
    print(f"{'':4} {'figure':<58} {'measured':<24} target")
    p = compose_params(SCENARIO)
    if args.users:
        with tempfile.TemporaryDirectory() as tmp:
            job = run_command([sys.executable, "run.py", "scenario=curbs_2019",
                               f"hydra.run.dir={Path(tmp) / 'run'}"])
        line("python run.py scenario=curbs_2019 (20 replications)", f"{job['s']:.1f} s",
             "<= 10 s", job["s"] <= 10)
        where_users_wait()
        return
    if not args.only_big:
        small_figures(p, args, cores)
    if not args.skip_big:
        big_run(args.replications)


def small_figures(p: Params, args, cores: int) -> None:
    run_replication(p, 0)  # warm imports and caches

    # 1. the model per event, beside a bare SimPy loop
    bare = bare_simpy_us_per_event()
    m = model_cost(p, 5)
    per_event = m["sim_s"] / m["events"] * 1e6
    line("bare SimPy loop, us per event", f"{bare:.2f}")
    line(f"model ({SCENARIO}), us per SimPy event", f"{per_event:.2f} ({per_event / bare:.1f}x bare)",
         "<= 2.5x bare", per_event / bare <= 2.5)
    line("SimPy events per call-off lot", f"{m['events'] / m['lots']:.2f} "
         f"({m['events']:.0f} / {m['lots']:.0f})", "<= 3", m["events"] / m["lots"] <= 3)
    yardstick = bare * 150_000 / 1e6  # issue 18: a bare loop of 150k timeouts (the model's events then)
    line(f"one replication of {SCENARIO}: simulation", f"{m['sim_s']:.3f} s = "
         f"{m['sim_s'] / yardstick:.1f}x a bare loop of 150k timeouts", "<= 2x",
         m["sim_s"] / yardstick <= 2)
    line(f"one replication of {SCENARIO}: + tables", f"{m['replication_s']:.3f} s", "<= 0.2 s",
         m["replication_s"] <= 0.2)
    with tempfile.TemporaryDirectory() as tmp:
        worker = median_time(lambda: replicate(p, range(1), Path(tmp), SIMULATION_TABLES), 3)
        # the summary worker as a big run has it (1,000 replications: parts of 25), beside the
        # same replications, simulation only: what the worker adds is the difference. Each call
        # pays for its own cyclic garbage (the actors SimPy's pending events hold, ~6k objects,
        # ~3 ms a replication): left alone, one call's would be collected in the next call.
        batch = range(replications_per_part(1000, KEEP_TABLES["summary"]))

        def simulations() -> None:
            for r in batch:
                run_world(for_replication(p, r), r)

        summary, sim0 = paired_medians(
            with_its_garbage(lambda: replicate(p, batch, Path(tmp), KEEP_TABLES["summary"])),
            with_its_garbage(simulations), 3)
        summary, sim0 = summary / len(batch), sim0 / len(batch)
    line("  ... + stored + KPIs (what a run's worker does)", f"{worker:.3f} s")
    line(f"  ... the worker with keep_tables=summary / simulation ({len(batch)} replications a part)",
         f"{summary:.3f} s / {sim0:.3f} s = {summary / sim0:.2f}x", "<= 1.2x", summary / sim0 <= 1.2)
    print(f"     ({load()})")

    # 2. SupplyNetPy
    ours = m["nodes"] * m["days"] / m["sim_s"]
    if args.skip_snp:
        line("SupplyNetPy comparison", "skipped (--skip-snp)")
    else:
        try:
            theirs = supplynetpy_node_days_per_s(m["days"])
        except ImportError:
            line("SupplyNetPy comparison", "skipped: not installed (pip install -e \".[bench]\")")
        else:
            line(f"node-days per s: ours ({m['nodes']} nodes) / SupplyNetPy (12)",
                 f"{ours:,.0f} / {theirs:,.0f} = {ours / theirs:.1f}x", ">= 3x", ours / theirs >= 3)
    print(f"     ({load()})")

    # 3. cost linear in horizon, fabs and suppliers
    # the horizon on the baseline world: a history's years differ in activity (curbs, lift),
    # a stationary world's do not
    years = [1, 2, 4, 7]
    base = compose_params("baseline")
    horizon = [sim_seconds(scaled_world(base, years=y)) for y in years]
    line("cost vs horizon, baseline (1, 2, 4, 7 years): exponent", f"{slope(years, horizon):.2f}",
         "~1 (linear)", abs(slope(years, horizon) - 1) <= 0.15)
    ks = [1, 2, 4]
    fab_cost = [sim_seconds(scaled_world(p, fabs=k)) for k in ks]
    line("cost vs fabs (x1, x2, x4): exponent", f"{slope(ks, fab_cost):.2f}", "~1 (linear)",
         abs(slope(ks, fab_cost) - 1) <= 0.15)
    sup_cost = [sim_seconds(scaled_world(p, suppliers=k)) for k in ks]
    line("cost vs suppliers (x1, x2, x4): exponent", f"{slope(ks, sup_cost):.2f}", "~1 or less",
         slope(ks, sup_cost) <= 1.15)
    print(f"     seconds: horizon {['%.2f' % x for x in horizon]}, fabs {['%.2f' % x for x in fab_cost]}, "
          f"suppliers {['%.2f' % x for x in sup_cost]} ({load()})")

    # 4. parallel against sequential, 20 replications, same files. The efficiency is the
    # replications' (what the workers share out); the whole run adds its outputs, drawn after
    # them either way, so its ratio says how much of a run is serial, not how well it scales.
    with tempfile.TemporaryDirectory() as tmp:
        q = dataclasses.replace(p, run=dataclasses.replace(p.run, replications=20))
        t = time.perf_counter()
        execute(q, Path(tmp) / "seq", "bench", workers=1)
        seq = time.perf_counter() - t
        t = time.perf_counter()
        execute(q, Path(tmp) / "par", "bench", workers=cores)
        par = time.perf_counter() - t
        same = table_digests(Path(tmp) / "seq") == table_digests(Path(tmp) / "par")
        # twice each, in alternation, the faster of each: the first pass pays the process's
        # warm-up and a drift of load falls on both
        rounds = [(replications_seconds(q, Path(tmp) / f"seq_reps{i}", 1),
                   replications_seconds(q, Path(tmp) / f"par_reps{i}", cores)) for i in range(2)]
        reps_seq, reps_par = min(r[0] for r in rounds), min(r[1] for r in rounds)
    eff = reps_seq / (cores * reps_par)
    line(f"20 replications, whole run: sequential / {cores} workers", f"{seq:.1f} s / {par:.1f} s")
    line(f"... their replications alone: sequential / {cores} workers",
         f"{reps_seq:.1f} s / {reps_par:.1f} s")
    line("parallel efficiency of the replications (idle machine)", f"{eff:.0%}", ">= 80 %",
         eff >= 0.8)
    line("parallel tables identical to sequential", "yes" if same else "NO", "identical", same)
    print(f"     ({load()})")

    # 5. the main job, end to end, and its run directory
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        job = run_command([sys.executable, "run.py", "scenario=curbs_2019", f"hydra.run.dir={out}"])
        size = dir_bytes(out)
    line("python run.py scenario=curbs_2019 (20 replications)", f"{job['s']:.1f} s, "
         f"peak {job['peak_bytes'] / 2**20:,.0f} MiB (PSS)", "<= 10 s", job["s"] <= 10)
    line("20-replication run directory", f"{size / 1e6:.1f} MB", "< 15 MB", size < 15e6)
    print(f"     ({load()})")
    where_users_wait()


def replications_seconds(p: Params, directory: Path, workers: int) -> float:
    """The replications of a run as `execute` runs them (written, KPIs returned), on `workers`
    processes, pool start-up included."""
    keep = KEEP_TABLES[p.run.keep_tables]
    fn = functools.partial(replicate, directory=directory, keep=keep)
    t = time.perf_counter()
    list(map_batches(p, fn, replications_per_part(p.run.replications, keep), workers))
    return time.perf_counter() - t


def _median_command(args: List[str], repeat: int = 3) -> float:
    return statistics.median(run_command(args)["s"] for _ in range(repeat))


def where_users_wait() -> None:
    """Issue 18's targets: what a user waits for, each the median of three whole commands."""
    from simulator.app.pipeline import derive_outputs
    from simulator.store.run_dir import mark_complete
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        run_command([py, "run.py", "scenario=curbs_2019", f"hydra.run.dir={out}"])
        times = []
        for _ in range(3):  # what the run itself spends after its replications
            t = time.perf_counter()
            from simulator.store.run_dir import read_replications
            from simulator.analysis.metrics import long_from_wide
            derive_outputs(out, long_from_wide(read_replications(out).reset_index()))
            times.append(time.perf_counter() - t)
            mark_complete(out)  # as the pipeline does after deriving
        line("... its KPIs, figures, backtest and report", f"{statistics.median(times):.1f} s",
             "<= 4 s", statistics.median(times) <= 4)
        rebuild = _median_command([py, "-m", "simulator", "rebuild", str(out)])
        line("python -m simulator rebuild RUN_DIR", f"{rebuild:.1f} s", "<= 6 s", rebuild <= 6)
        quick = _median_command([py, "run.py", "scenario=baseline", "run.replications=1",
                                 "run.end_date=2019-12-31", f"hydra.run.dir={Path(tmp) / 'q'}"])
        line("quick look: baseline, 1 replication, to 2019-12", f"{quick:.1f} s", "<= 5 s",
             quick <= 5)
    helps = _median_command([py, "run.py", "--help"])
    line("python run.py --help", f"{helps:.2f} s", "<= 1.5 s", helps <= 1.5)
    t = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([py, "run.py", "run.replications=-1"], cwd=ROOT, capture_output=True)
        t.append(time.perf_counter() - start)
    refused = statistics.median(t)
    line("a refused input (run.replications=-1)", f"{refused:.2f} s", "<= 1.5 s", refused <= 1.5)
    print(f"     ({load()})")



def big_run(n: int) -> None:
    """`n` replications of the whole history end to end (run.py), keeping the small tables
    (run.keep_tables=summary, the setting for big experiments)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big"
        big = run_command([sys.executable, "run.py", f"scenario={SCENARIO}", f"run.replications={n}",
                           "run.keep_tables=summary", f"hydra.run.dir={out}"])
        size = dir_bytes(out)
    minutes = big["s"] / 60
    scaled = minutes * 1000 / n
    line(f"{n} replications of {SCENARIO} (keep_tables=summary)", f"{minutes:.1f} min"
         + (f" (x{1000 / n:g}: {scaled:.1f})" if n != 1000 else ""), "< 4 min for 1,000", scaled < 4)
    line("  peak memory, whole process tree (PSS)", f"{big['peak_bytes'] / 2**30:.2f} GiB", "< 1 GB",
         big["peak_bytes"] < 1e9)
    line("  run directory", f"{size / 1e6:.0f} MB")
    print(f"     ({load()})")


if __name__ == "__main__":
    main()
