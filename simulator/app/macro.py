"""From a run's lost output to the economy (simulator/analysis/io_bridge.py):

    python -m simulator macro RUN_DIR [--table DIR | --oecd PATH [--year YEAR]] [--out DIR]
    python -m simulator macro RUN_DIR --test-system --region reg2 --sector manufactoring

Without a table option the bridge reads the table that ships with the project,
data/io/wiod2013_2011/: the World Input-Output Database's 2013 release for 2011, aggregated to 7
regions x 13 sectors by data/io/build_wiod_2011.py (source, licence and caveats: docs/sources.md,
"Input-output table"). Its electrical and optical equipment sector (ISIC Rev. 3 30-33) stands for
the config's ISIC Rev. 4 C26 (its correspondence.csv), and it describes 2011's economy. `--table`
reads any table saved by pymrio (`IOSystem.save_all`); `--oecd` an OECD Inter-Country
Input-Output table the user has downloaded (pymrio's parse_oecd: the zip or CSV of one year, from
https://oe.cd/icio; README: "Economy-wide effects"), the table to quote for a recent year.
`--test-system` runs the bridge on pymrio's bundled test system (made-up regions and sectors:
`--region` and `--sector` name one of them for every buyer), to see the machinery work, never
to quote. The buyers' sectors and shares are the run's config (`fabs.*.io_sector`,
`fabs.*.io_output_share`, `world.io_region`).

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
import dataclasses
import io
import json
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


SHIPPED = Path("data/io/wiod2013_2011")  # docs/sources.md, "Input-output table"


def _read_table(args) -> bridge.IOTable:
    import pymrio
    if args.test_system:
        io = pymrio.load_test()
        return bridge.from_iosystem(io, "pymrio's bundled test system (made-up data)")
    if args.oecd:
        return _read_oecd(pymrio, Path(args.oecd), args.year)
    return read_saved(pymrio, Path(args.table) if args.table else ROOT / SHIPPED)


def read_saved(pymrio, path: Path) -> bridge.IOTable:
    """A table saved by pymrio (`IOSystem.save_all`), with what data/io's tables add beside it:
    about.json (source, year, unit) and correspondence.csv (config sector codes -> its own)."""
    if not (path / "file_parameters.json").is_file():
        raise bridge.BridgeError(f"--table {path}: not a table saved by pymrio (no "
                                 f"file_parameters.json; IOSystem.save_all writes one)")
    io = pymrio.load_all(str(path))
    about = json.loads((path / "about.json").read_text()) if (path / "about.json").is_file() else {}
    corr = path / "correspondence.csv"
    mapping = dict(pd.read_csv(corr, dtype=str).itertuples(index=False)) if corr.is_file() else {}
    names = path / "sector_names.csv"
    labels = (dict(pd.read_csv(names, dtype=str)[["sector", "short"]].itertuples(index=False))
              if names.is_file() else {})
    table = bridge.from_iosystem(io, about.get("source", str(path)), year=about.get("year", ""),
                                 correspondence=mapping)
    return dataclasses.replace(table, unit=about.get("unit", table.unit), labels=labels)


def _read_oecd(pymrio, path: Path, year) -> bridge.IOTable:
    if not path.exists():
        raise bridge.BridgeError(f"--oecd {path}: no such file or directory")
    try:
        io = pymrio.parse_oecd(path=str(path), year=year)
    except Exception as exc:  # noqa: BLE001 - pymrio's parser raises several kinds
        raise bridge.BridgeError(f"--oecd {path}: pymrio could not parse it as an OECD ICIO table "
                                 f"({type(exc).__name__}: {exc})") from None
    return bridge.from_iosystem(io, f"OECD ICIO {path.name}", year=year or "")


def _summary(totals: pd.DataFrame, table: bridge.IOTable, region: str,
             sectors: Sequence[str] = ()) -> str:
    read_as = [f"{code} as {table.sector(code)}" for code in sectors if table.sector(code) != code]
    lines = ["# Economy-wide effects of the run's lost output",
             "", f"Table: {table.source}, {table.year or 'year ?'}, {table.unit}. Region "
             f"shocked: {region}"
             + (f"; the buyers' sectors read in the table's classification: {', '.join(read_as)} "
                f"(a broader sector: the shock is overstated by the weight of its other "
                f"activities; docs/sources.md, Part D2)" if read_as else "")
             + ". Mean over replications (95 % t-interval).", "",
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
    path = None if table in ("pymrio:test", "shipped") else ROOT / table
    args = argparse.Namespace(run_dir=str(run_dir), test_system=table == "pymrio:test",
                              table=str(path) if path is not None and path.is_dir() else None,
                              oecd=str(path) if path is not None and not path.is_dir() else None,
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
    sectors = sorted({sector for sector, share in fabs.values() if sector and share > 0})
    (out / "summary.md").write_text(_summary(tot, table, region, sectors))
    from simulator.present.figures.macro import plot_macro_effects
    from simulator.present.figures.style import figure_formats
    with figure_formats(params.run.figure_formats):
        plot_macro_effects(per, tot, {"run": run_dir.name, "table": table.source,
                                      "year": table.year, "unit": table.unit, "region": region,
                                      "labels": dict(table.labels)}, out)
    return out


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator macro",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--table", help="a table saved by pymrio (a folder; default: the shipped "
                                    "WIOD 2011 table, data/io/wiod2013_2011)")
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
