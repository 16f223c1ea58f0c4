"""The command line for everything but running scenarios (that is run.py, with Hydra):

    python -m simulator rebuild RUN_DIR                 KPIs, figures, backtest and report from saved tables
    python -m simulator compare SWEEP_DIR               the comparison of a sweep's complete runs
    python -m simulator sweep SWEEP_DIR                 its summary (every job, status, KPIs) and comparison
    python -m simulator backtest RUN_DIR [FILE ...]     a run against observed customs data
    python -m simulator export --csv RUN_DIR            the run's Parquet tables as tables/<name>.csv
    python -m simulator sensitivity [NAME] [options]    Sobol' indices (SALib) over configs/sensitivity/NAME.yaml
    python -m simulator search [NAME] [options]         the smallest value meeting a goal (configs/search/NAME.yaml)
    python -m simulator calibrate [options]             fit the behavioural parameters (OBSERVED.md)

Errors are one line on stderr with exit code 2; nothing half-written is left behind.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _rebuild(args) -> int:
    from simulator.app.pipeline import rebuild

    run_dir = Path(args.run_dir)
    try:
        rebuild(run_dir)
    except FileNotFoundError as exc:
        return _fail(str(exc))
    print(f"rebuilt KPIs, figures and report in {run_dir}")
    return 0


def _compare(args) -> int:
    from simulator.present.comparison import build

    try:
        out = build(Path(args.sweep_dir), args.reference)
    except FileNotFoundError as exc:
        return _fail(str(exc))
    print(f"comparison written to {out}")
    return 0


def _sweep(args) -> int:
    from simulator.app.sweep import finish_sweep

    sweep_dir = Path(args.sweep_dir)
    if not sweep_dir.is_dir():
        return _fail(f"{sweep_dir} is not a directory")
    failed = finish_sweep(sweep_dir, args.reference)
    print(f"sweep summary -> {sweep_dir / 'summary.csv'}"
          + (f"; {failed} job(s) not complete, listed there" if failed else ""))
    return 1 if failed else 0


def _backtest(args) -> int:
    from simulator.analysis.backtest import ObservedDataError
    from simulator.app.pipeline import run_backtest
    from simulator.store.run_dir import saved_tables

    run_dir = Path(args.run_dir)
    if "imports_monthly" not in saved_tables(run_dir):
        return _fail(f"{run_dir} has no imports_monthly table (not a run directory, or a run "
                     "that kept none: run.keep_tables)")
    try:
        table = run_backtest(run_dir, [Path(f) for f in args.files])
    except ObservedDataError as exc:
        return _fail(str(exc))
    done = table[table["inside"] != ""]
    print(f"backtest: {len(done)} observations simulated, {int((done['inside'] == 'yes').sum())} "
          f"inside the 90 % band -> {run_dir / 'backtest.csv'}")
    return 0


def _export(args) -> int:
    from simulator.store.run_dir import export_csv, saved_tables

    run_dir = Path(args.run_dir)
    if not saved_tables(run_dir):
        return _fail(f"{run_dir} has no simulation tables to export")
    paths = export_csv(run_dir)
    print(f"exported {len(paths)} tables as CSV -> {run_dir / 'tables'}")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("rebuild", help="KPIs, figures, backtest and report from a run's saved tables")
    p.add_argument("run_dir")
    p.set_defaults(func=_rebuild)
    p = sub.add_parser("compare", help="compare the complete runs of a sweep directory")
    p.add_argument("sweep_dir")
    p.add_argument("--reference", help="the run paired differences are taken against (its label "
                                       "or job folder; default: the baseline scenario's run)")
    p.set_defaults(func=_compare)
    p = sub.add_parser("sweep", help="a sweep's summary (every job, with status) and comparison")
    p.add_argument("sweep_dir")
    p.add_argument("--reference", help="the run paired differences are taken against")
    p.set_defaults(func=_sweep)
    p = sub.add_parser("backtest", help="a run against observed customs data (data/observed format)")
    p.add_argument("run_dir")
    p.add_argument("files", nargs="*", help="observed-data CSV files (default: data/observed/*.csv)")
    p.set_defaults(func=_backtest)
    p = sub.add_parser("export", help="a run's Parquet tables as CSV (tables/<name>.csv)")
    p.add_argument("--csv", action="store_true", required=True, help="export as CSV (the one format)")
    p.add_argument("run_dir")
    p.set_defaults(func=_export)
    # listed for --help; main() hands calibrate its own arguments (its own parser)
    sub.add_parser("calibrate", help="fit the behavioural parameters to OBSERVED.md")
    sub.add_parser("search", help="smallest parameter value meeting a goal: configs/search/NAME.yaml")
    sub.add_parser("sensitivity", help="Sobol' indices over configs/sensitivity/NAME.yaml (SALib)")
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if argv[:1] == ["search"]:  # its own options, like calibrate
        from simulator.app.search import main as search_main
        return search_main(argv[1:])
    if argv[:1] == ["sensitivity"]:  # its own options, like calibrate
        from simulator.app.sensitivity import main as sensitivity_main
        return sensitivity_main(argv[1:])
    if argv[:1] == ["calibrate"]:  # its own options, --help included, go to its own parser
        from simulator.app.calibrate import main as calibrate_main
        return calibrate_main(argv[1:])
    args = parser().parse_args(argv)
    return args.func(args)
