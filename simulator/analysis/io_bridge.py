"""From lost output to the economy: an input-output bridge (pymrio does the algebra).

A run's lost output (daily, per buyer: 100 - fab_production_pct) becomes, per replication and
month, a shock to the producing sector of an input-output table: the buyer's share of its
sector's gross output (`fabs.*.io_output_share`, in `fabs.*.io_sector`, of region
`world.io_region`) times the share of output it lost that month times the sector's monthly gross
output. The shock then travels the table two ways, the bounds of the usual range (Miller & Blair
2009, ch. 12; Kim 2021 for this episode):

- demand-driven (Leontief): the lost output is demand its suppliers lose, backwards through the
  supply chain: dx = L df, with df the shock (pymrio: calc_A, calc_L, calc_x_from_L);
- supply-driven (Ghosh): the lost output is an input its customers lose, forwards: dx' = dv' G,
  with dv the shock (pymrio: calc_B, calc_G).

Both include the shocked sector's own loss. Value added follows each sector's ratio of value added
to output: dva = (va / x) dx. Value added here is what the table records beyond intermediate use
(x minus the column sums of Z): value added and taxes less subsidies on intermediates.

pymrio is an optional extra (`pip install -e ".[macro]"`); without it the bridge says so in one
line. Nothing here names a country, sector or table: they come from the world's config and the
table the user gives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping

import numpy as np
import pandas as pd

MISSING_EXTRA = 'the input-output bridge needs pymrio: pip install -e ".[macro]"'
MODELS = ("leontief", "ghosh")


class BridgeError(ValueError):
    """A table or run the bridge cannot use: one line naming what is missing."""


def pymrio_tools():
    """pymrio's algebra, or a BridgeError saying how to install it."""
    try:
        from pymrio.tools import iomath
    except ImportError:
        raise BridgeError(MISSING_EXTRA) from None
    return iomath


@dataclass(frozen=True)
class IOTable:
    """The parts of an input-output table the bridge uses: Z (intermediate flows, region x
    sector on both axes) and x (gross output), in `unit` for `year`."""
    Z: pd.DataFrame
    x: pd.Series
    unit: str
    year: str
    source: str
    # a config's sector code (ISIC Rev. 4, as the OECD ICIO names them) -> this table's sector,
    # for a table in another classification (the shipped WIOD table: C26 -> 30t33)
    correspondence: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # sector -> a short name for figures

    def sector(self, code: str) -> str:
        """`code` as this table names it."""
        if code in set(self.x.index.get_level_values(1)):
            return code
        return self.correspondence.get(code, code)

    @property
    def value_added(self) -> pd.Series:
        return self.x - self.Z.sum(axis=0)


def from_iosystem(io, source: str, year: str = "",
                  correspondence: Mapping[str, str] = ()) -> IOTable:
    """An IOTable from a pymrio IOSystem (a parsed OECD ICIO, or pymrio's bundled test system)."""
    if io.Z is None:
        raise BridgeError(f"{source}: the table has no intermediate flows (Z)")
    x = io.x if getattr(io, "x", None) is not None else pymrio_tools().calc_x(io.Z, io.Y)
    x = x.iloc[:, 0] if isinstance(x, pd.DataFrame) else x  # no L here: inverses() makes it once
    unit = str(io.unit.iloc[0, 0]) if getattr(io, "unit", None) is not None else "?"
    return IOTable(Z=io.Z, x=x, unit=unit, year=str(year or getattr(io.meta, "year", "") or ""),
                   source=source, correspondence=dict(correspondence))


def check_sector(table: IOTable, region: str, sector: str) -> None:
    if (region, sector) not in table.x.index:
        regions = sorted({r for r, _ in table.x.index})
        sectors = sorted({s for r, s in table.x.index if r == region}) or sorted(
            {s for _, s in table.x.index})
        raise BridgeError(f"{table.source}: no sector {sector!r} in region {region!r} (regions: "
                          f"{', '.join(regions[:12])}{' ...' if len(regions) > 12 else ''}; "
                          f"sectors: {', '.join(sectors[:12])}{' ...' if len(sectors) > 12 else ''})")


def inverses(table: IOTable) -> Dict[str, pd.DataFrame]:
    """Leontief L and Ghosh G of the table, by pymrio (computed once per table)."""
    iomath = pymrio_tools()
    x = table.x.to_frame("indout")
    A = iomath.calc_A(table.Z, x)
    L = iomath.calc_L(A)
    B = iomath.calc_B(table.Z, x)
    G = iomath.calc_G(B, L=L, x=x)
    return {"L": L, "G": G}


def effects(table: IOTable, shock: pd.Series, inv: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One shock (lost gross output per (region, sector), in the table's unit) through both
    models: rows (region, sector), columns output_<model> and value_added_<model> (losses, >= 0
    for a loss)."""
    iomath = pymrio_tools()
    df = shock.reindex(table.x.index, fill_value=0.0)
    leontief = iomath.calc_x_from_L(inv["L"], df.to_frame("y")).iloc[:, 0]
    ghosh = pd.Series(df.to_numpy() @ inv["G"].to_numpy(), index=table.x.index)
    ratio = (table.value_added / table.x.where(table.x > 0)).fillna(0.0)
    return pd.DataFrame({"output_leontief": leontief, "output_ghosh": ghosh,
                         "value_added_leontief": ratio * leontief,
                         "value_added_ghosh": ratio * ghosh})


def monthly_lost_share(daily: pd.DataFrame) -> pd.DataFrame:
    """Per replication x fab x month: the mean share of planned output lost (0..1)."""
    per_day = daily.groupby(["replication", "fab", "date"], sort=True)["fab_production_pct"].first()
    lost = (1.0 - per_day / 100.0).clip(lower=0.0).rename("lost_share").reset_index()
    lost["month"] = pd.to_datetime(lost["date"]).dt.strftime("%Y-%m")
    return lost.groupby(["replication", "fab", "month"], sort=True)["lost_share"].mean().reset_index()


def shock_table(lost: pd.DataFrame, fabs: Mapping[str, tuple], table: IOTable,
                region: str) -> pd.DataFrame:
    """The shock vector, tidy: replication, month, region, sector, lost_output (the table's unit
    per month), unit, table_year. `fabs`: fab -> (sector, share of the sector's output)."""
    mapped = {f: (table.sector(v[0]), v[1]) for f, v in fabs.items() if v[0] and v[1] > 0}
    if not mapped:
        raise BridgeError("no buyer of this run maps to a sector of the table (fabs.*.io_sector "
                          "and fabs.*.io_output_share)")
    for sector, _ in mapped.values():
        check_sector(table, region, sector)
    rows = lost[lost["fab"].isin(list(mapped))].copy()
    rows["sector"] = rows["fab"].map(lambda f: mapped[f][0])
    monthly_x = rows["sector"].map(lambda s: float(table.x[(region, s)]) / 12.0)
    rows["lost_output"] = rows["lost_share"] * rows["fab"].map(lambda f: mapped[f][1]) * monthly_x
    out = rows.groupby(["replication", "month", "sector"], sort=True)["lost_output"].sum().reset_index()
    out.insert(2, "region", region)
    out["unit"], out["table_year"] = f"{table.unit} per month", table.year
    return out


def economy_effects(shocks: pd.DataFrame, table: IOTable) -> pd.DataFrame:
    """Per replication: each (region, sector)'s loss of output and value added over the run, in
    both models (the sum of the monthly shocks; the models are linear)."""
    inv = inverses(table)
    out = []
    for r, s in shocks.groupby("replication", sort=True):
        vector = s.groupby(["region", "sector"])["lost_output"].sum()
        e = effects(table, vector, inv).reset_index()
        e.columns = ["region", "sector", *e.columns[2:]]
        e.insert(0, "replication", r)
        out.append(e)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def totals(per_sector: pd.DataFrame, table: IOTable, region: str) -> pd.DataFrame:
    """Totals per replication and model: the whole table's and `region`'s losses of output and
    value added over the run, and the region's value-added loss as a share of a year of its value
    added in the table (the GDP-like yardstick)."""
    rows = []
    va = table.value_added
    region_va = float(va[va.index.get_level_values(0) == region].sum())
    for r, g in per_sector.groupby("replication", sort=True):
        home = g["region"] == region
        for model in MODELS:
            lost_va_region = float(g.loc[home, f"value_added_{model}"].sum())
            rows.append({"replication": r, "model": model,
                         "output_lost": float(g[f"output_{model}"].sum()),
                         "value_added_lost": float(g[f"value_added_{model}"].sum()),
                         "region_value_added_lost": lost_va_region,
                         "region_value_added_lost_pct":
                             100.0 * lost_va_region / region_va if region_va else np.nan})
    return pd.DataFrame(rows)
