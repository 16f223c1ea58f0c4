"""The names a world gives the code: the licensing country's two KPIs, its labels, the buyers'
noun and the display unit, all derived from `Params.world` (configs/world/NAME.yaml).

The model, the analysis and the figures hold no country, material or buyer name of their own
(tests/test_architecture.py); they ask here. The KPI stems keep the default world's names
(`imports_jp_rel`, `japan_share_pct`) because they are built from its config, so a world of
China's gallium exports gets `imports_cn_rel` and `china_share_pct` without a code change.
"""
from __future__ import annotations

import re
from typing import Dict

from simulator.config.errors import ConfigError, number
from simulator.config.params import Params, WorldConf

DOMESTIC_SHARE_STEM = "domestic_share_pct"
ROAD = "road"  # how a supplier in the buyers' home country delivers, whatever its grade's mode


def lane_mode(world: WorldConf, origin: str, grade_mode: str) -> str:
    """The mode of the lane a supplier ships a grade on: road at home, else the grade's own."""
    return ROAD if origin == world.home_country else grade_mode


def slug(text: str) -> str:
    """"Japan" -> "japan", "United States" -> "united_states": a name fit for a KPI or a file."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def licensed_rel_stem(world: WorldConf) -> str:
    """Imports from the licensing country as a multiple of their pre-shock level, per window."""
    return f"imports_{slug(world.licensing_country)}_rel"


def licensed_share_stem(world: WorldConf) -> str:
    """The licensing country's share of imports, per window."""
    return f"{slug(world.licensing_name)}_share_pct"


def window_kpi_stems(world: WorldConf) -> tuple:
    """The KPIs measured per metrics window (each `<stem>_<window>`)."""
    return licensed_rel_stem(world), licensed_share_stem(world), DOMESTIC_SHARE_STEM


def imports_from_licensed_figure(world: WorldConf) -> str:
    """File name of a sweep's comparison of monthly imports from the licensing country."""
    return f"compare_imports_{slug(world.licensing_name)}"


def check_world(p: Params) -> None:
    """`world`: every name given, a home country (if any) other than the licensing one, and a
    display unit that converts. (A world whose licensing country supplies nothing is legal: it
    is a world without the dispute.)"""
    w, k = p.world, "world"
    for key in ("name", "licensing_country", "licensing_name", "licensing_adjective",
                "importer_name", "buyer", "buyers", "display_unit"):
        value = getattr(w, key)
        if not isinstance(value, str) or not value.strip() or value == "???":
            raise ConfigError(f"{k}.{key} = {value!r}: give it a name")
    if w.home_country == w.licensing_country:
        raise ConfigError(f"{k}.home_country = {w.home_country!r} is the licensing country: a "
                          f"country does not license its exports to itself")
    number(f"{k}.display_units_per_t", w.display_units_per_t, lo=0, lo_open=True, hi=1e9)
    by_sector: Dict[str, float] = {}
    for f, fab in p.fabs.items():  # the input-output bridge's mapping of buyers to sectors
        share = number(f"fabs.{f}.io_output_share", fab.io_output_share, lo=0, hi=1)
        by_sector[fab.io_sector] = by_sector.get(fab.io_sector, 0.0) + share
    over = {s: v for s, v in by_sector.items() if s and v > 1 + 1e-9}
    if over:
        sector, total = next(iter(over.items()))
        raise ConfigError(f"fabs.*.io_output_share of sector {sector} sum to {total:g}: more than "
                          f"the whole sector")


def labels(world: WorldConf) -> Dict[str, str]:
    """The phrases figures and reports use, from the world (for run_info.json's readers)."""
    return {"licensed": world.licensing_name, "licensed_adjective": world.licensing_adjective,
            "importer": world.importer_name, "buyer": world.buyer, "buyers": world.buyers,
            "unit": world.display_unit}
