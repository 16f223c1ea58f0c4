"""Build data/io/wiod2013_2011/ from the World Input-Output Database's 2013 release, year 2011.

The shipped table the input-output bridge uses when no other is given (`python -m simulator
macro RUN_DIR`). Source, licence and the choices below are in docs/sources.md ("Input-output
table"); this script is how the files were made, so anyone can redo and check them:

    pip install "pymrio==0.7.*" "rdata>=0.11"
    git clone https://github.com/bquast/wiod          # the R package wiod 0.4.0, GPL-3
    python data/io/build_wiod_2011.py wiod/data/wiot_2011.RData

The WIOT is 41 regions x 35 sectors (ISIC Rev. 3), current prices, millions of US dollars. Kept:
the regions the two worlds name (Korea, Japan, China, Taiwan, the US, Germany), the rest of the
world as one; 13 sectors, with electrical and optical equipment (WIOD c14, ISIC Rev. 3 30-33:
semiconductors, displays, electrical machinery) on its own. Final demand (five categories per
region) is summed per region. pymrio does the aggregation and writes the files.
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "wiod2013_2011"
KEEP = ["KOR", "JPN", "CHN", "TWN", "USA", "DEU"]  # every other region -> ROW

# WIOD 2013 release sector order (c1..c35) and the 13 groups they are aggregated to; the code of
# a group is its ISIC Rev. 3 range, its name the WIOD names it joins
SECTORS = [  # (WIOD code, group)
    ("AtB", "AtC"), ("C", "AtC"),
    ("15t16", "15t22"), ("17t18", "15t22"), ("19", "15t22"), ("20", "15t22"), ("21t22", "15t22"),
    ("23", "23t25"), ("24", "23t25"), ("25", "23t25"),
    ("26", "26t28"), ("27t28", "26t28"),
    ("29", "29"),
    ("30t33", "30t33"),
    ("34t35", "34t35"),
    ("36t37", "36t37"),
    ("E", "EtF"), ("F", "EtF"),
    ("50", "50tH"), ("51", "50tH"), ("52", "50tH"), ("H", "50tH"),
    ("60", "60t64"), ("61", "60t64"), ("62", "60t64"), ("63", "60t64"), ("64", "60t64"),
    ("J", "JtK"), ("70", "JtK"), ("71t74", "JtK"),
    ("L", "LtP"), ("M", "LtP"), ("N", "LtP"), ("O", "LtP"), ("P", "LtP"),
]
GROUP_NAMES = {  # code: (name, short label for figures)
    "AtC": ("Agriculture, forestry, fishing; mining and quarrying", "Agriculture, mining"),
    "15t22": ("Food, textiles, leather, wood, paper and printing", "Food, textiles, paper"),
    "23t25": ("Coke and refined petroleum; chemicals; rubber and plastics", "Chemicals, fuels, plastics"),
    "26t28": ("Non-metallic minerals; basic and fabricated metals", "Minerals, metals"),
    "29": ("Machinery n.e.c.", "Machinery"),
    "30t33": ("Electrical and optical equipment (semiconductors, displays, electrical machinery)",
              "Electrical, optical equipment"),
    "34t35": ("Transport equipment", "Transport equipment"),
    "36t37": ("Manufacturing n.e.c.; recycling", "Other manufacturing"),
    "EtF": ("Electricity, gas and water; construction", "Utilities, construction"),
    "50tH": ("Trade; hotels and restaurants", "Trade, hotels"),
    "60t64": ("Transport; post and telecommunications", "Transport, telecoms"),
    "JtK": ("Finance, real estate and business services", "Finance, business services"),
    "LtP": ("Public administration, education, health and other services", "Public, other services"),
}
ABOUT = {  # what the bridge reports of the table (simulator/app/macro.py)
    "source": "WIOD 2013 release, 2011 (Timmer et al. 2015), aggregated to 7 regions x 13 sectors",
    "year": "2011",
    "unit": "USD million (current prices)",
    "licence": "free public database, to be cited as Timmer et al. (2015); redistributed in the "
               "R package wiod 0.4.0 (GPL-3; github.com/bquast/wiod); see docs/sources.md",
}
FINAL_CATEGORIES = 5  # CONS_h, CONS_np, CONS_g, GFCF, INVEN: per region, region-major


def read_wiot(path: Path):
    import rdata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the R class "iot" has no converter: a plain dict it is
        w = rdata.conversion.convert(rdata.parser.parse_file(str(path)))["wiot_2011"]
    regions = [str(r) for r in w["countries"]]
    if int(np.asarray(w["year"])[0]) != 2011 or len(regions) != 41 or len(w["industries"]) != 35:
        raise SystemExit(f"{path}: not the WIOD 2013 release's 2011 table (41 x 35)")
    return (regions, np.asarray(w["inter"], dtype=float), np.asarray(w["final"], dtype=float),
            np.asarray(w["output"], dtype=float))


def build(path: Path) -> None:
    import pymrio
    regions, Z, Y, x = read_wiot(path)
    sectors = [code for code, _ in SECTORS]
    index = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    Yr = Y.reshape(len(index), len(regions), FINAL_CATEGORIES).sum(axis=2)
    io = pymrio.IOSystem(
        Z=pd.DataFrame(Z, index=index, columns=index),
        Y=pd.DataFrame(Yr, index=index, columns=pd.MultiIndex.from_product(
            [regions, ["final_demand"]], names=["region", "category"])),
        x=pd.DataFrame({"indout": x}, index=index),
        unit=pd.DataFrame({"unit": "USD million (current prices)"}, index=index),
        name="WIOD 2013 release, 2011, aggregated", year=2011)
    region_agg = [r if r in KEEP else "ROW" for r in regions]
    sector_agg = [group for _, group in SECTORS]
    io.aggregate(region_agg=region_agg, sector_agg=sector_agg)
    io.reset_all_to_flows()
    io.save_all(OUT, table_format="txt", float_format="%.6f")
    meta = OUT / "metadata.json"  # pymrio records where it saved: keep the path relative
    meta.write_text(meta.read_text().replace(str(OUT), "data/io/wiod2013_2011"))
    pd.DataFrame([(code, name, short) for code, (name, short) in GROUP_NAMES.items()],
                 columns=["sector", "name", "short"]).to_csv(OUT / "sector_names.csv", index=False)
    # configs name sectors in ISIC Rev. 4 (the OECD ICIO's codes): what each is in this table
    pd.DataFrame({"code": ["C26", "C27"], "sector": ["30t33", "30t33"]}).to_csv(
        OUT / "correspondence.csv", index=False)
    (OUT / "about.json").write_text(json.dumps(ABOUT, indent=2) + "\n")
    print(f"written: {OUT} ({len(io.get_regions())} regions x {len(io.get_sectors())} sectors)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    build(Path(sys.argv[1]))
