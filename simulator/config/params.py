"""Typed parameters of a run: the world, the policy timeline and the run settings.

These dataclasses are the schema Hydra validates YAML against (see `config/hydra.py`), and they
are also what the model receives. Nothing below this module reads a config file or knows Hydra:
`simulate(params)` takes a `Params` built any way the caller likes.

Conventions: dates are ISO strings (`YYYY-MM-DD`) in the config and become day indices (day 0 =
`run.start_date`) in the model; quantities are tonnes (`_t`), money USD (`_usd`), time days
(`_days`). Not `frozen`: Hydra documents that frozen dataclasses block overrides. Treat params as
read-only and derive variants with `dataclasses.replace`.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Dict, List, Optional

REGIMES = ("bulk", "individual", "special_bulk")
SCOPES = ("exporter", "pair", "contract")
EVENT_KINDS = ("announce_regime", "set_regime", "whitelist", "programme", "signal", "news", "note")


@dataclass
class WorldConf:
    """Who licenses, who buys, and what the outputs call them: every name the model, the analysis
    and the figures would otherwise have to know (configs/world/NAME.yaml, chosen with world=NAME;
    tests/test_architecture.py keeps world-specific names out of the code)."""
    name: str = "???"
    title: str = ""  # one line: what this world replays (reports, --help)
    licensing_country: str = "???"  # the origin whose exports the timeline's regimes license
    licensing_name: str = "???"  # its name in labels ("Japan"); also names two KPIs
    licensing_adjective: str = "???"  # "Japanese supply"
    # the buyers' own country, if they share one: its suppliers deliver by road, clear no customs,
    # are not imports, and earn the buyers' home bias. "" = buyers abroad: every origin is an import
    home_country: str = ""
    home_name: str = ""  # "Korea"
    importer_name: str = "???"  # who imports, in labels ("Korea"; "importers outside China")
    buyer: str = "buyer"  # one buyer in labels ("fab")
    buyers: str = "buyers"  # several ("fabs")
    display_unit: str = "t"  # the unit figures and reports show quantities in
    display_units_per_t: float = 1.0  # display units per tonne (the model counts tonnes)
    # the observations held out of calibration: the backtest shades them as a forecast
    validation_start: str = ""
    validation_end: str = ""
    windows_note: str = ""  # the report's note on where metrics.windows come from
    observed_dir: str = "data/observed"  # its observed customs data, for the backtest (repo-relative)
    io_region: str = ""  # the buyers' region in an input-output table (python -m simulator macro)
    # the report's "source" of each key assumption, by params path (`*` for any material or
    # supplier): the world's own citations, so no report names another world's sources
    sources: Dict[str, str] = field(default_factory=dict)


@dataclass
class GradeConf:
    description: str = ""
    mode: str = "sea"  # shipping mode used for this grade (selects the lane with this origin and mode)


@dataclass
class MaterialConf:
    name: str = "???"
    short_name: str = ""  # for figure titles and legends ("" = name)
    hs_code: str = "???"
    unit_value_usd_per_t: float = "???"  # type: ignore[assignment]
    initial_cover_days: float = "???"  # type: ignore[assignment]
    grades: Dict[str, GradeConf] = field(default_factory=dict)
    # Korean imports by origin country before the shock (Jan 2018 - Jun 2019), tonnes per month.
    pre_shock_imports_t_per_month: Dict[str, float] = field(default_factory=dict)
    # share of an origin's pre-shock imports under the HS line that are other goods: neither the
    # controlled material nor bought by the modelled buyers; they go on arriving whatever happens
    # (imports_monthly records them) and are not part of demand or of any supplier's flow
    other_goods_share: Dict[str, float] = field(default_factory=dict)

    def modelled_t_per_month(self, origin: str) -> float:
        """Pre-shock imports from `origin` of the material itself (t/month)."""
        return self.pre_shock_imports_t_per_month.get(origin, 0.0) * (
            1.0 - self.other_goods_share.get(origin, 0.0))

    def other_goods_t_per_month(self, origin: str) -> float:
        return self.pre_shock_imports_t_per_month.get(origin, 0.0) * self.other_goods_share.get(origin, 0.0)


@dataclass
class QualificationConf:
    required: bool = False  # incumbents are already qualified at every fab
    mean_days: float = 90.0  # mean time to qualify at a fab with time factor 1
    cv: float = 0.3  # coefficient of variation of the qualification time (gamma distributed)
    success_prob: float = 1.0  # chance a qualification attempt succeeds; a failure restarts it
    full_use_ramp_days: float = 0.0  # after qualifying, usage weight ramps linearly 0 -> 1
    # emergency qualification: the part of a fab's use of the grade that goes to less critical
    # process steps, which a substitute can serve after a short trial (gamma, same cv) while the
    # full qualification above runs for the rest (0: no emergency stage)
    emergency_share: float = 0.0
    emergency_days: float = 0.0


@dataclass
class FeedstockConf:
    # a processor that purifies imported crude: each tonne it makes is imported as `t_per_t`
    # tonnes of crude from `origin`, in the customs line of the supplier's material
    origin: str = ""  # "" = no imported feedstock
    t_per_t: float = 0.0


@dataclass
class SupplierConf:
    name: str = "???"
    origin: str = "???"  # ISO country code of the producing plant
    material: str = "???"
    grade_mix: Dict[str, float] = field(default_factory=dict)  # share of its Korea-bound output by grade
    share_of_origin: float = 0.0  # its share of the origin's pre-shock exports of the material to Korea
    capacity_headroom: float = 0.0  # capacity for Korea above its pre-shock flow, as a fraction
    capacity_ramp: Dict[str, float] = field(default_factory=dict)  # date -> added t/month, linear between
    production_lead_days: float = "???"  # type: ignore[assignment]
    # finished goods kept for Korea, in days of its pre-shock flow: an order it covers leaves the
    # gate at once and the line makes the quantity back into stock (0: everything made to order)
    finished_stock_days: float = 0.0
    # what it can put on its lane per day when buyers call off finished goods, as a multiple of
    # its pre-shock daily flow to Korea (tank fleet and sailings by sea; 1e9: no limit)
    dispatch_factor: float = 1e9
    feedstock: FeedstockConf = field(default_factory=FeedstockConf)
    programme: str = ""  # "" = always active; else active from the date a `programme` event starts it
    qualification: QualificationConf = field(default_factory=QualificationConf)


@dataclass
class LaneConf:
    origin: str = "???"
    mode: str = "???"
    transit_days_min: float = "???"  # type: ignore[assignment]
    transit_days_mode: float = "???"  # type: ignore[assignment]
    transit_days_max: float = "???"  # type: ignore[assignment]
    customs_days: float = 0.0


@dataclass
class FabConf:
    name: str = "???"
    kind: str = ""
    # share of national demand of each material grade: material -> grade -> share
    demand_share: Dict[str, Dict[str, float]] = field(default_factory=dict)
    # share of the fab's output that stops when a material runs out: material -> share (default 1)
    dependent_output_share: Dict[str, float] = field(default_factory=dict)
    qualification_time_factor: float = 1.0  # multiplies every supplier's qualification time here
    country: str = ""  # where the buyer imports into ("" = the world's home country)
    # the input-output bridge (python -m simulator macro): the buyer's sector in the table and its
    # share of that sector's gross output (0: left out of the bridge)
    io_sector: str = ""
    io_output_share: float = 0.0
    output_unit: str = "output units"  # what planned_output_per_month counts
    planned_output_per_month: float = 0.0  # planned output in output_unit (0: report % only)
    # a named fab.output_indices series its planned output (and so its use of every material)
    # follows over time ("": flat at the level its demand shares give)
    output_index: str = ""


@dataclass
class OutputIndexConf:
    """A dated index of planned output (wafer area, say). Levels are piecewise-linear between
    their dates and flat outside them, then divided by their mean over [base_from, base_to]: the
    period the fabs' use is sized on (the pre-shock imports), where the index is 1 by design."""
    description: str = ""
    points: Dict[str, float] = field(default_factory=dict)  # ISO date -> level (any unit)
    base_from: str = "???"
    base_to: str = "???"


@dataclass
class FabPolicyConf:
    initial_cover_days: Optional[float] = None  # None: each material's initial_cover_days
    review_period_days: int = 7
    # stockpiling: extra days of cover per unit of perceived risk on the Japanese part of supply
    risk_cover_days: float = 0.0
    ration_trigger_cover_days: float = 14.0
    ration_saving: float = 0.25
    lead_time_smoothing: float = 0.3
    switching_adjustment_days: float = 120.0
    min_order_t: float = 0.01
    max_lot_days: float = 7.0  # an order ships in lots of at most this many days of the fab's use
    one_application_in_flight: bool = True
    # a lower stock target is approached over this many days (0: at once): stockpiles are drawn
    # down over months
    destock_days: float = 0.0
    # dated output indices the fabs can follow (fabs.*.output_index names one)
    output_indices: Dict[str, OutputIndexConf] = field(default_factory=dict)


@dataclass
class SourcingConf:
    # CES elasticity of substitution between sources, per material
    elasticity: Dict[str, float] = field(default_factory=dict)
    # effective cost multiplier of buying from a source under a regime: regime -> material -> multiplier
    cost_multiplier: Dict[str, Dict[str, float]] = field(default_factory=dict)
    home_bias: float = 1.0  # weight multiplier for Korean domestic sources
    max_backlog_days: float = 180.0  # a supplier commits at most this many days of capacity ahead
    # a share a fab raised is contracted: it does not fall below its highest level for this long
    contract_term_days: float = 0.0


@dataclass
class RegimeConf:
    scope: str = "???"  # exporter | pair | contract: what one licence covers
    documents: Dict[str, int] = field(default_factory=dict)  # material -> documents per application
    document_prep_days_per_doc: float = 0.0
    uses_reviewers: bool = True
    review_days_median: float = "???"  # type: ignore[assignment]
    review_days_sigma: float = 0.0  # lognormal shape of the review clock
    review_days_min: float = 0.0
    review_days_max: float = "???"  # type: ignore[assignment]
    rerequest_prob_per_document: Dict[str, Dict[str, float]] = field(default_factory=dict)
    rerequest_response_days_mean: float = 0.0
    rerequest_clock_restart_fraction: float = 0.0
    max_rerequests: int = 0
    denial_prob: float = 0.0
    # buyers in these countries (fabs.*.country) are denied under this regime, whatever the odds
    denied_countries: List[str] = field(default_factory=list)
    validity_days: float = "???"  # type: ignore[assignment]
    renewal_lead_days: float = 0.0
    # who applies when: until an exporter holds an approval of this regime for a material, at most
    # this many of its applications for the material are in flight (0: no limit)
    first_files_in_flight: int = 0
    # a pair (exporter, consignee) already approved under the regime is a precedent: its review
    # clock and re-request chance are multiplied by these
    precedent_clock_factor: float = 1.0
    precedent_rerequest_factor: float = 1.0


@dataclass
class LicensingConf:
    initial_regime: str = "bulk"
    reviewers: int = 1
    bulk: RegimeConf = field(default_factory=RegimeConf)
    individual: RegimeConf = field(default_factory=RegimeConf)
    special_bulk: RegimeConf = field(default_factory=RegimeConf)

    def regime(self, name: str) -> RegimeConf:
        return getattr(self, name)


@dataclass
class EventConf:
    date: str = "???"
    kind: str = "???"
    label: str = ""
    materials: List[str] = field(default_factory=list)  # empty: every material
    regime: str = ""  # announce_regime, set_regime
    effective_date: str = ""  # announce_regime: when the announced regime takes effect
    country: str = ""  # whitelist
    status: str = ""  # whitelist: removed | restored
    programme: str = ""  # programme: name that suppliers' `programme` refers to
    risk: Optional[float] = None  # signal: perceived risk rises to at least this probability
    articles: Optional[float] = None  # news: articles on the dispute in the fortnight from `date`


@dataclass
class RiskConf:
    """Perceived probability that Japanese supply of a material is refused or held up (risk.py)."""
    prior: float = 0.0  # before any signal of a dispute
    floor: float = 0.0  # what it decays to once a dispute has begun: never back to the prior
    half_life_days: float = 90.0  # without news, the gap to the floor halves in this time
    news_alpha0: float = -1.804  # news intensity -> risk: Phi(alpha0 + alpha1 log(articles + 1))
    news_alpha1: float = 0.226
    on_tightening: float = 0.0  # a stricter regime announced or in force: risk at least this
    lift_factor: float = 1.0  # a looser regime in force multiplies the gap to the floor by this


@dataclass
class WindowConf:
    start: str = "???"
    end: str = "???"


@dataclass
class MetricsConf:
    shock_date: str = "2019-07-04"
    recovery_fill_threshold: float = 0.95
    recovery_sustain_days: int = 30
    windows: Dict[str, WindowConf] = field(default_factory=dict)
    # observed licence lags to mark on figures: item (material.grade) -> days after 2019-07-04
    observed_licence_lags_days: Dict[str, List[float]] = field(default_factory=dict)
    # how far an observation of each confidence grade (H, M, L) may be off, as a fraction: the
    # backtest's band around it, and the calibration's sigma (log(1 + tolerance))
    observation_tolerance: Dict[str, float] = field(default_factory=dict)


@dataclass
class RunConf:
    start_date: str = "2018-01-01"
    end_date: str = "2024-12-31"
    replications: int = 20
    seed: int = 20190704
    workers: int = 0  # 0: one per core, at most one per replication
    keep_tables: str = "all"  # all | summary | none: simulation tables kept on disk (KPIs always)
    executor: str = "processes"  # processes (this machine) | dask (a Dask cluster)
    dask_address: str = ""  # scheduler address for executor=dask; "" = a local cluster of `workers`
    # optional stopping rule: replications in batches until the 95 % CI half-width of `stop_kpi`
    # falls to `stop_half_width` (0 = off); `replications` is then the maximum
    stop_kpi: str = "lost_production_pct[all|all]"
    stop_half_width: float = 0.0
    stop_batch: int = 10
    # what run.py returns to a Hydra sweeper (hydra/sweeper=policy_search): "" = nothing;
    # smallest_meeting_goal = objective_parameter's value, plus 1e6 x how far the share of
    # replications in which no fab loses output falls short of objective_goal
    objective: str = ""
    objective_parameter: str = "fab.initial_cover_days"
    objective_goal: float = 0.95
    # each replication draws the calibrated parameters from their posterior (`calibration`),
    # except those a scenario or override set to another value; False: the fit, pure scenario noise
    parameter_uncertainty: bool = True
    # the formats every figure is written in: png (the report embeds it); add pdf for print
    figure_formats: List[str] = field(default_factory=lambda: ["png"])
    # the input-output bridge after the run (python -m simulator macro): an OECD ICIO table you
    # downloaded (a path; relative to the project), "pymrio:test" for pymrio's test system, "" = off
    macro_table: str = ""
    macro_year: str = ""  # the table's year, when its file holds several


@dataclass
class CalibratedConf:
    key: str = "???"  # a config key, or a tied key (simulator/config/calibrated.py)
    value: float = "???"  # type: ignore[assignment]  # the fit: the default in configs/
    low: float = "???"  # type: ignore[assignment]  # the calibration's bounds: draws stay inside
    high: float = "???"  # type: ignore[assignment]


@dataclass
class CalibrationConf:
    """The calibrated parameters and the Laplace approximation of their posterior (written by
    `python -m simulator calibrate --write-config`). With `run.parameter_uncertainty`, each
    replication draws them from it (its own stream; the same draw in every scenario)."""
    parameters: Dict[str, CalibratedConf] = field(default_factory=dict)  # name -> parameter
    covariance: Dict[str, Dict[str, float]] = field(default_factory=dict)  # name x name, natural units
    # the posterior as a sample (importance-resampled from the Laplace approximation): name -> the
    # members' values, one list per parameter, all of one length; when given, a replication draws
    # one member instead of the normal
    ensemble: Dict[str, List[float]] = field(default_factory=dict)


@dataclass
class Params:
    materials: Dict[str, MaterialConf] = field(default_factory=dict)
    suppliers: Dict[str, SupplierConf] = field(default_factory=dict)
    lanes: Dict[str, LaneConf] = field(default_factory=dict)
    fabs: Dict[str, FabConf] = field(default_factory=dict)
    fab: FabPolicyConf = field(default_factory=FabPolicyConf)
    sourcing: SourcingConf = field(default_factory=SourcingConf)
    licensing: LicensingConf = field(default_factory=LicensingConf)
    risk: RiskConf = field(default_factory=RiskConf)
    # display names of the origin countries' codes, for figures and reports (code -> name)
    origins: Dict[str, str] = field(default_factory=dict)
    timeline: Dict[str, EventConf] = field(default_factory=dict)
    metrics: MetricsConf = field(default_factory=MetricsConf)
    calibration: CalibrationConf = field(default_factory=CalibrationConf)
    run: RunConf = field(default_factory=RunConf)
    world: WorldConf = field(default_factory=WorldConf)
    scenario_name: str = "custom"  # set by run.py from the chosen scenario file

    def items(self) -> List[tuple]:
        """Every (material, grade) pair, in config order."""
        return [(m, g) for m, mat in self.materials.items() for g in mat.grades]


# --- plain-data round trip: a run directory records the exact params it was run with ----------
def to_dict(obj) -> dict:
    """Params (or any nested dataclass of it) -> JSON-ready dict."""
    return dataclasses.asdict(obj)


def from_dict(cls, data):
    """Inverse of `to_dict`: rebuild `cls` (a dataclass type here) from plain data."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(tp, value):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    if origin is dict:
        return {k: _convert(args[1], v) for k, v in value.items()}
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if origin is typing.Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return None if value is None else _convert(inner[0], value)
    return value
