"""run_info.json as a typed record: what a run is (scenario, seed, calendar, its world's names),
read by the report, the figures and the comparison.

Every field has one default, here, taken from the schema's defaults (config/params.py), so no
reader keeps its own fallback ("2019-07-04", "?") and a run directory written by an older version
reads the same way everywhere. `as_run_info` also takes the JSON document itself (or None), so a
figure can be drawn from a hand-made dict in a test or a notebook.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

from simulator.config.params import MetricsConf, RunConf, WorldConf
from simulator.config.world import licensed_rel_stem, licensed_share_stem

_RUN, _METRICS = RunConf(), MetricsConf()


@dataclass(frozen=True)
class RunInfo:
    scenario: str = "?"
    seed: Optional[int] = None
    replications: int = 0
    start_date: str = _RUN.start_date
    end_date: str = _RUN.end_date
    shock_date: str = _METRICS.shock_date
    version: str = "?"
    config_hash: str = ""
    overrides: List[str] = field(default_factory=list)
    windows: Dict[str, Dict[str, str]] = field(default_factory=dict)  # name -> {start, end}
    observed_licence_lags_days: Dict[str, List[float]] = field(default_factory=dict)
    statutory_review_days: Optional[float] = None
    origin_names: Dict[str, str] = field(default_factory=dict)
    # material -> {name, short_name, unit_value_usd_per_t, grades}
    materials: Dict[str, dict] = field(default_factory=dict)
    fabs: Dict[str, str] = field(default_factory=dict)  # fab id -> name
    fab_output_units: Dict[str, str] = field(default_factory=dict)
    status: str = ""
    digests: Dict[str, str] = field(default_factory=dict)
    world: Dict[str, object] = field(default_factory=dict)  # Params.world as the run had it

    @classmethod
    def from_document(cls, doc: dict) -> "RunInfo":
        """From run_info.json's document; keys it does not know are left out, missing or null
        ones take the defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names and v is not None})

    def to_document(self) -> dict:
        return dataclasses.asdict(self)

    def grades(self, material: str) -> List[str]:
        return list(self.materials.get(material, {}).get("grades", []))

    def world_conf(self) -> WorldConf:
        """The run's world; a run written before worlds were config has generic names."""
        known = {f.name for f in dataclasses.fields(WorldConf)}
        return WorldConf(**{k: v for k, v in self.world.items() if k in known})

    def name(self, key: str) -> str:
        """What figures and reports call things in this run's world: `licensed` (the licensing
        country), `licensed_adjective`, `importer`, `buyer`, `buyers`, `unit`, `home` (the
        buyers' home country)."""
        w = self.world_conf()
        value = {"licensed": w.licensing_name, "licensed_adjective": w.licensing_adjective,
                 "importer": w.importer_name, "buyer": w.buyer, "buyers": w.buyers,
                 "unit": w.display_unit, "home": w.home_name}[key]
        return value if value and value != "???" else GENERIC_NAMES[key]

    def licensed_origin(self) -> str:
        return str(self.world.get("licensing_country", ""))

    def home_origin(self) -> str:
        return str(self.world.get("home_country", ""))

    def trade_kpi_stems(self) -> tuple:
        """(imports from the licensing country ÷ pre-shock, its share of imports) KPI stems."""
        w = self.world_conf()
        return licensed_rel_stem(w), licensed_share_stem(w)


GENERIC_NAMES = {"licensed": "the licensing country", "licensed_adjective": "licensed",
                 "importer": "the importer", "buyer": "buyer", "buyers": "buyers", "unit": "t",
                 "home": "home"}


def as_run_info(info: Union[RunInfo, dict, None]) -> RunInfo:
    if isinstance(info, RunInfo):
        return info
    return RunInfo.from_document(info or {})
