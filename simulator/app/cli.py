"""The command line for everything but running scenarios (that is run.py, with Hydra):

    python -m simulator rebuild RUN_DIR                 KPIs, figures, backtest and report from saved tables
    python -m simulator compare SWEEP_DIR               the comparison of a sweep's complete runs
    python -m simulator sweep SWEEP_DIR                 its summary (every job, status, KPIs) and comparison
    python -m simulator backtest RUN_DIR [FILE ...]     a run against observed customs data
    python -m simulator export --csv RUN_DIR            the run's Parquet tables as tables/<name>.csv
    python -m simulator sensitivity [NAME] [options]    Sobol' indices (SALib) over configs/sensitivity/NAME.yaml
    python -m simulator search [NAME] [options]         the smallest value meeting a goal (configs/search/NAME.yaml)
    python -m simulator calibrate [options]             fit the behavioural parameters (OBSERVED.md)
    python -m simulator accel build|status|clean        the model compiled with mypyc (optional, faster)
    python -m simulator macro RUN_DIR --oecd PATH       lost output through an input-output table (pymrio)

Errors are one line on stderr with exit code 2; nothing half-written is left behind.
"""
from __future__ import annotations

import argparse
import functools
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

from simulator.app.errors import refusing

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _rebuild(args) -> int:
    from simulator.app.pipeline import rebuild

    run_dir = Path(args.run_dir)
    rebuild(run_dir)  # checks the run first; a damaged one is named and left as it is
    print(f"rebuilt KPIs, figures and report in {run_dir}")
    return 0


def _compare(args) -> int:
    from simulator.present.comparison import build

    from simulator.store.integrity import check_sweep

    sweep_dir = Path(args.sweep_dir)
    check_sweep(sweep_dir)
    out = build(sweep_dir, args.reference)
    print(f"comparison written to {out}")
    return 0


def _sweep(args) -> int:
    from simulator.app.sweep import finish_sweep
    from simulator.store.integrity import check_sweep

    sweep_dir = Path(args.sweep_dir)
    check_sweep(sweep_dir)
    failed = finish_sweep(sweep_dir, args.reference)
    print(f"sweep summary -> {sweep_dir / 'summary.csv'}"
          + (f"; {failed} job(s) not complete, listed there" if failed else ""))
    return 1 if failed else 0


def _backtest(args) -> int:
    from simulator.app.pipeline import run_backtest
    from simulator.store.integrity import check_run

    run_dir = Path(args.run_dir)
    check_run(run_dir, tables=["imports_monthly"])
    files = [Path(f) for f in args.files]
    name = "-".join(f.stem for f in files) if files else "observed"
    out = Path(args.out) if args.out else run_dir / "backtests" / name
    if out.resolve() == run_dir.resolve() or out.resolve() == (run_dir / "figures").resolve():
        return _fail(f"--out {out}: the run's own files are written by the run; choose another "
                     f"directory")
    table = run_backtest(run_dir, files, out=out)  # reads and checks every file before writing
    done = table[table["inside"] != ""]
    print(f"backtest: {len(done)} observations simulated, {int((done['inside'] == 'yes').sum())} "
          f"overlap the 90 % band -> {out / 'backtest.csv'}")
    return 0


def _export(args) -> int:
    from simulator.store.integrity import check_run
    from simulator.store.run_dir import export_csv, saved_tables

    run_dir = Path(args.run_dir)
    check_run(run_dir, tables=saved_tables(run_dir) if run_dir.is_dir() else ())
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
    p.add_argument("--out", help="directory for backtest.csv and its figure (default: "
                                 "RUN_DIR/backtests/<file names>; the run's own backtest stays)")
    p.set_defaults(func=_backtest)
    p = sub.add_parser("export", help="a run's Parquet tables as CSV (tables/<name>.csv)")
    p.add_argument("--csv", action="store_true", required=True, help="export as CSV (the one format)")
    p.add_argument("run_dir")
    p.set_defaults(func=_export)
    # commands with options of their own: argparse routes them, their own parser reads the rest
    for name, module, text in (
            ("calibrate", "simulator.app.calibrate", "fit the behavioural parameters to OBSERVED.md"),
            ("search", "simulator.app.search",
             "smallest parameter value meeting a goal: configs/search/NAME.yaml"),
            ("sensitivity", "simulator.app.sensitivity",
             "Sobol' indices over configs/sensitivity/NAME.yaml (SALib)"),
            ("accel", "simulator.app.accel", "the model compiled with mypyc: build, status, clean"),
            ("macro", "simulator.app.macro", "a run's lost output through an input-output table (pymrio)")):
        p = sub.add_parser(name, help=text, add_help=False)
        p.set_defaults(func=functools.partial(_own_parser, module), own_parser=True)
    return ap


def _own_parser(module: str, args) -> int:
    import importlib
    return importlib.import_module(module).main(args.rest)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = parser()
    args, unknown = ap.parse_known_args(argv)
    if getattr(args, "own_parser", False):
        args.rest = argv[argv.index(args.command) + 1:]  # all of it, --help included
    elif unknown:
        ap.error(f"unrecognized arguments: {' '.join(unknown)}")
    with refusing() as outcome:
        outcome.code = args.func(args)
    return outcome.code
