"""From a run's lost output to the economy (simulator/analysis/io_bridge.py):

    python -m simulator macro RUN_DIR --oecd PATH [--year YEAR] [--out DIR]
    python -m simulator macro RUN_DIR --test-system --region reg2 --sector manufactoring

`--oecd` reads an OECD Inter-Country Input-Output table the user has downloaded (pymrio's
parse_oecd: the zip or CSV of one year, from https://oe.cd/icio; README: "Economy-wide
effects"). No table ships with the project: none that covers Korea could be found in a
redistributable form. `--test-system` runs the bridge on pymrio's bundled test system (made-up
regions and sectors: `--region` and `--sector` name one of them for every buyer), to see the
machinery work, never to quote. The buyers' sectors and shares are the run's config
(`fabs.*.io_sector`, `fabs.*.io_output_share`, `world.io_region`).

Writes DIR (default RUN_DIR/macro/): shock.csv (the shock vector, tidy, in the table's sector
codes, unit and year: ready for a CGE user), effects.csv (per replication, region and sector:
output and value added lost in both models), totals.csv (per replication and model) and
summary.md (the range between the models with 95 % intervals across replications) and
macro_effects.png (by sector, both models side by side, and the totals). A run's own
cost is unchanged: the bridge runs only when asked.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import logging
from pathlib import Path
from typing import Sequence

import pandas as pd

from simulator.analysis import io_bridge as bridge
from simulator.analysis.intervals import t_half_width
from simulator.config.paths import ROOT
from simulator.store.integrity import check_run
from simulator.store.run_dir import read_params, read_table


def load_table(args) -> bridge.IOTable:
    """The table, read quietly: pymrio prints and logs its file-by-file history at info level."""
    bridge.pymrio_tools()  # the extra first: one line if it is missing
    logging.disable(logging.INFO)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return _read_table(args)
    finally:
        logging.disable(logging.NOTSET)


def _read_table(args) -> bridge.IOTable:
    import pymrio
    if args.test_system:
        io = pymrio.load_test()
        return bridge.from_iosystem(io, "pymrio's bundled test system (made-up data)")
    if not args.oecd:
        raise bridge.BridgeError(
            "no input-output table given: download an OECD ICIO year (https://oe.cd/icio; README, "
            "Economy-wide effects) and pass --oecd PATH, or --test-system to see the bridge work")
    path = Path(args.oecd)
    if not path.exists():
        raise bridge.BridgeError(f"--oecd {path}: no such file or directory")
    try:
        io = pymrio.parse_oecd(path=str(path), year=args.year)
    except Exception as exc:  # noqa: BLE001 - pymrio's parser raises several kinds
        raise bridge.BridgeError(f"--oecd {path}: pymrio could not parse it as an OECD ICIO table "
                                 f"({type(exc).__name__}: {exc})") from None
    return bridge.from_iosystem(io, f"OECD ICIO {path.name}", year=args.year or "")


def _summary(totals: pd.DataFrame, table: bridge.IOTable, region: str) -> str:
    lines = ["# Economy-wide effects of the run's lost output",
             "", f"Table: {table.source}, {table.year or 'year ?'}, {table.unit}. Region "
             f"shocked: {region}. Mean over replications (95 % t-interval).", "",
             "| model | output lost | value added lost | region's value added lost, % of a year |",
             "|---|---|---|---|"]
    for model, g in totals.groupby("model", sort=False):
        cells = []
        for col, digits in (("output_lost", 1), ("value_added_lost", 1),
                            ("region_value_added_lost_pct", 4)):
            half = t_half_width(g[col])
            half_text = f" ± {half:.{digits}f}" if half != float("inf") else ""
            cells.append(f"{g[col].mean():.{digits}f}{half_text}")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    lines += ["", "Demand-driven (Leontief): the lost output is demand its suppliers lose; "
              "supply-driven (Ghosh): an input its customers lose. The truth lies between them."]
    return "\n".join(lines) + "\n"


def after_run(run_dir: Path, table: str, year: str) -> Path:
    """The bridge on a run just written (run.macro_table), into its macro/ folder."""
    args = argparse.Namespace(run_dir=str(run_dir), test_system=table == "pymrio:test",
                              oecd=None if table == "pymrio:test" else str(ROOT / table),
                              year=year or None, region=None, sector=None, out=None)
    return run(args, check=False)


def run(args, check: bool = True) -> Path:
    run_dir = Path(args.run_dir)
    if check:  # a run being written is checked by its own pipeline
        check_run(run_dir, tables=["daily"])
    params = read_params(run_dir)
    table = load_table(args)
    region = args.region or params.world.io_region
    fabs = {f: ((args.sector or c.io_sector), (c.io_output_share if not args.sector else
                                                 (c.io_output_share or 1.0 / len(params.fabs))))
            for f, c in params.fabs.items()}
    if not region:
        raise bridge.BridgeError("no region to shock: world.io_region is empty (or pass --region)")
    daily = read_table(run_dir, "daily", columns=["replication", "date", "fab", "fab_production_pct"])
    shocks = bridge.shock_table(bridge.monthly_lost_share(daily), fabs, table, region)
    per = bridge.economy_effects(shocks, table)
    tot = bridge.totals(per, table, region)
    out = Path(args.out) if args.out else run_dir / "macro"
    out.mkdir(parents=True, exist_ok=True)
    shocks.to_csv(out / "shock.csv", index=False, float_format="%.6g")
    per.to_csv(out / "effects.csv", index=False, float_format="%.6g")
    tot.to_csv(out / "totals.csv", index=False, float_format="%.6g")
    (out / "summary.md").write_text(_summary(tot, table, region))
    from simulator.present.figures.macro import plot_macro_effects
    from simulator.present.figures.style import figure_formats
    with figure_formats(params.run.figure_formats):
        plot_macro_effects(per, tot, {"run": run_dir.name, "table": table.source,
                                      "year": table.year, "unit": table.unit, "region": region},
                           out)
    return out


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator macro",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--oecd", help="an OECD ICIO table you downloaded (zip or CSV of one year)")
    ap.add_argument("--year", help="the table's year, when the file holds several")
    ap.add_argument("--test-system", action="store_true",
                    help="pymrio's bundled test system (made-up data: to see the bridge work)")
    ap.add_argument("--region", help="the region to shock (default: world.io_region)")
    ap.add_argument("--sector", help="one sector for every buyer (default: fabs.*.io_sector)")
    ap.add_argument("--out", help="output directory (default: RUN_DIR/macro)")
    args = ap.parse_args(argv)
    out = run(args)  # a BridgeError is refused in one line by the command line (app/errors.py)
    print(f"economy-wide effects -> {out / 'summary.md'}"
          + (f" (python -m simulator rebuild {args.run_dir} adds them to the report)"
             if not args.out else ""))
    return 0
