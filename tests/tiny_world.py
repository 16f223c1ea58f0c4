"""A tiny, fully deterministic world built in Python (no Hydra), for exact-timeline tests.

One material `hf` with one grade `liquid` (by sea), imported only from Japan (300 t/month before
the shock), one Japanese supplier `jp_hf` (all of Japan's flow), one JP sea lane and one fab that
uses all of national demand. Every duration is fixed:

- fab daily use  d   = 300 / DAYS_PER_MONTH t/day (DAYS_PER_MONTH = 365.25 / 12);
- line capacity  cap = 300 * (1 + capacity_headroom) / DAYS_PER_MONTH t/day = 2 d (headroom 1.0),
  so a lot of q tonnes occupies the line q / cap days (a week of use: 3.5 days);
- production lead PRODUCTION_LEAD_DAYS after the line, then transit TRANSIT_DAYS (min == mode ==
  max, so no draw) plus CUSTOMS_DAYS;
- licence reviews: sigma 0 and min == median == max, no re-requests, denial_prob 0, so a decision
  comes exactly documents x document_prep_days_per_doc + review_days_median after the application.

The initial bulk licence is issued at a uniformly random time within the last `validity_days`
(authority stream), so with a realistic validity it could expire (and be renewed after a routine
review) inside the horizon at a seed-dependent day. The tiny world sets bulk validity to BULK_VALIDITY
(1e9 days): the licence then expires ~never within the horizon and no renewal happens (the chance
that the draw lands within a year of its end is ~4e-7 and the seed is fixed), so exact timelines do
not depend on it.

Helpers add a third-country supplier (`CN`, outside Japanese licensing), a Korean domestic one
(`KR`, dormant until its programme starts) and timeline events.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Dict, Optional

from simulator.config.params import (EventConf, FabConf, FabPolicyConf, GradeConf, LaneConf, LicensingConf,
                              MaterialConf, MetricsConf, Params, QualificationConf, RegimeConf,
                              RunConf, SourcingConf, SupplierConf, WindowConf, WorldConf)
from simulator.config.calendar import DAYS_PER_MONTH

# Japan licenses, the fabs are in Korea: the default world's two roles, in miniature
TINY_WORLD = WorldConf(name="tiny", licensing_country="JP", licensing_name="Japan",
                       licensing_adjective="Japanese", home_country="KR", home_name="Korea",
                       importer_name="Korea", buyer="fab", buyers="fabs")

JP_T_PER_MONTH = 300.0
HEADROOM = 1.0
PRODUCTION_LEAD_DAYS = 5.0
TRANSIT_DAYS = 3.0
CUSTOMS_DAYS = 1.0
REVIEW_PERIOD_DAYS = 7
INITIAL_COVER_DAYS = 60.0
BULK_VALIDITY = 1e9

INDIVIDUAL_DOCS = 9
INDIVIDUAL_PREP_DAYS = 1.0
INDIVIDUAL_REVIEW_DAYS = 40.0
SPECIAL_DOCS = 7
SPECIAL_PREP_DAYS = 1.0
SPECIAL_REVIEW_DAYS = 20.0
BULK_DOCS = 4
BULK_PREP_DAYS = 0.5
BULK_REVIEW_DAYS = 7.0

START_DATE = "2019-01-01"
END_DATE = "2019-12-31"
SHOCK_DATE = "2019-03-01"  # day 59

DAILY_USE_T = JP_T_PER_MONTH / DAYS_PER_MONTH
CAPACITY_T_PER_DAY = JP_T_PER_MONTH * (1.0 + HEADROOM) / DAYS_PER_MONTH


def regime(scope: str, docs: int, prep: float, review: float, validity: float,
           uses_reviewers: bool = True, denial_prob: float = 0.0, renewal_lead_days: float = 0.0,
           materials=("hf",)) -> RegimeConf:
    """A deterministic regime: no spread of the review clock, no re-requests."""
    return RegimeConf(scope=scope, documents={m: docs for m in materials},
                      document_prep_days_per_doc=prep, uses_reviewers=uses_reviewers,
                      review_days_median=review, review_days_sigma=0.0, review_days_min=review,
                      review_days_max=review, rerequest_prob_per_document={},
                      rerequest_response_days_mean=0.0, rerequest_clock_restart_fraction=0.0,
                      max_rerequests=0, denial_prob=denial_prob, validity_days=validity,
                      renewal_lead_days=renewal_lead_days)


def tiny_params(**overrides) -> Params:
    """The tiny world. Keyword overrides replace top-level `Params` fields (e.g. `timeline=...`,
    `fab=dataclasses.replace(...)`); use the helpers below for nested changes."""
    materials = {
        "hf": MaterialConf(name="HF", hs_code="2811.11", unit_value_usd_per_t=1000.0,
                           initial_cover_days=INITIAL_COVER_DAYS,
                           grades={"liquid": GradeConf(description="liquid HF", mode="sea")},
                           pre_shock_imports_t_per_month={"JP": JP_T_PER_MONTH}),
    }
    suppliers = {
        "jp_hf": SupplierConf(name="Japanese HF", origin="JP", material="hf",
                              grade_mix={"liquid": 1.0}, share_of_origin=1.0,
                              capacity_headroom=HEADROOM,
                              production_lead_days=PRODUCTION_LEAD_DAYS),
    }
    lanes = {
        "JP_sea": LaneConf(origin="JP", mode="sea", transit_days_min=TRANSIT_DAYS,
                           transit_days_mode=TRANSIT_DAYS, transit_days_max=TRANSIT_DAYS,
                           customs_days=CUSTOMS_DAYS),
    }
    fabs = {"fab1": FabConf(name="Fab One", kind="memory", demand_share={"hf": {"liquid": 1.0}})}
    fab = FabPolicyConf(initial_cover_days=None, review_period_days=REVIEW_PERIOD_DAYS,
                        risk_cover_days=0.0, ration_trigger_cover_days=14.0,
                        ration_saving=0.25, lead_time_smoothing=0.3,
                        switching_adjustment_days=120.0, min_order_t=0.01, max_lot_days=7.0,
                        one_application_in_flight=True)
    sourcing = SourcingConf(elasticity={"hf": 1.0}, cost_multiplier={}, home_bias=1.0)
    licensing = LicensingConf(
        initial_regime="bulk", reviewers=1,
        # bulk validity huge: the initial licence's random issue date cannot matter (module doc)
        bulk=regime("exporter", BULK_DOCS, BULK_PREP_DAYS, BULK_REVIEW_DAYS, BULK_VALIDITY,
                    uses_reviewers=False, renewal_lead_days=30.0),
        individual=regime("contract", INDIVIDUAL_DOCS, INDIVIDUAL_PREP_DAYS, INDIVIDUAL_REVIEW_DAYS,
                          182.0),
        special_bulk=regime("pair", SPECIAL_DOCS, SPECIAL_PREP_DAYS, SPECIAL_REVIEW_DAYS, 1095.0,
                            renewal_lead_days=60.0),
    )
    metrics = MetricsConf(shock_date=SHOCK_DATE, recovery_fill_threshold=0.95,
                          recovery_sustain_days=30,
                          windows={"pre": WindowConf(start="2019-01-01", end="2019-02-28"),
                                   "post1": WindowConf(start="2019-03-01", end="2019-12-31")},
                          observed_licence_lags_days={},
                          observation_tolerance={"H": 0.10, "M": 0.25, "L": 0.50})
    run = RunConf(start_date=START_DATE, end_date=END_DATE, replications=1, seed=12345, workers=1)
    p = Params(materials=materials, suppliers=suppliers, lanes=lanes, fabs=fabs, fab=fab,
               sourcing=sourcing, licensing=licensing, timeline={}, metrics=metrics, run=run,
               world=TINY_WORLD, scenario_name="tiny")
    return dataclasses.replace(p, **overrides) if overrides else p


# --- variants -----------------------------------------------------------------------------------
def day_of(date: str, start: str = START_DATE) -> int:
    import datetime as dt
    return (dt.date.fromisoformat(date) - dt.date.fromisoformat(start)).days


def set_regime_event(date: str, regime_name: str, materials=("hf",), label: str = "") -> EventConf:
    return EventConf(date=date, kind="set_regime", regime=regime_name, materials=list(materials),
                     label=label or f"{regime_name} from {date}")


def with_events(p: Params, **events: EventConf) -> Params:
    timeline = dict(p.timeline)
    timeline.update(events)
    return dataclasses.replace(p, timeline=timeline)


def with_regime_from(p: Params, date: str, regime_name: str) -> Params:
    """`p` with a set_regime event switching hf to `regime_name` at the start of `date`."""
    return with_events(p, **{f"to_{regime_name}": set_regime_event(date, regime_name)})


def with_licensing(p: Params, **regime_changes) -> Params:
    """`p` with fields of licensing regimes replaced, e.g. individual={"denial_prob": 1.0}."""
    lic = p.licensing
    for name, changes in regime_changes.items():
        if name in ("initial_regime", "reviewers"):
            lic = dataclasses.replace(lic, **{name: changes})
        else:
            lic = dataclasses.replace(lic, **{name: dataclasses.replace(lic.regime(name), **changes)})
    return dataclasses.replace(p, licensing=lic)


def with_fab_policy(p: Params, **changes) -> Params:
    return dataclasses.replace(p, fab=dataclasses.replace(p.fab, **changes))


def with_run(p: Params, **changes) -> Params:
    return dataclasses.replace(p, run=dataclasses.replace(p.run, **changes))


def with_cn_supplier(p: Params, cn_t_per_month: float = 300.0, headroom: float = 0.5,
                     lead_days: float = 7.0, transit_days: float = 4.0,
                     customs_days: float = 2.0) -> Params:
    """Add a Chinese supplier `cn_hf` (outside Japanese licensing) with its own sea lane."""
    p = copy.deepcopy(p)
    hf = p.materials["hf"]
    hf.pre_shock_imports_t_per_month["CN"] = cn_t_per_month
    p.suppliers["cn_hf"] = SupplierConf(name="Chinese HF", origin="CN", material="hf",
                                        grade_mix={"liquid": 1.0}, share_of_origin=1.0,
                                        capacity_headroom=headroom, production_lead_days=lead_days)
    p.lanes["CN_sea"] = LaneConf(origin="CN", mode="sea", transit_days_min=transit_days,
                                 transit_days_mode=transit_days, transit_days_max=transit_days,
                                 customs_days=customs_days)
    return p


def with_kr_supplier(p: Params, programme: str = "domestic", start_date: Optional[str] = None,
                     ramp: Optional[Dict[str, float]] = None, lead_days: float = 3.0,
                     qualification: Optional[QualificationConf] = None) -> Params:
    """Add a Korean domestic supplier `kr_hf`, dormant until `programme` starts; if `start_date`
    is given a programme event starting it on that date is added too."""
    p = copy.deepcopy(p)
    if ramp is None:
        ramp = {start_date or START_DATE: 0.0, END_DATE: 300.0}
    p.suppliers["kr_hf"] = SupplierConf(name="Korean HF", origin="KR", material="hf",
                                        grade_mix={"liquid": 1.0}, share_of_origin=0.0,
                                        capacity_headroom=0.0, capacity_ramp=dict(ramp),
                                        production_lead_days=lead_days, programme=programme,
                                        qualification=qualification or QualificationConf(
                                            required=False))
    p.lanes["KR_road"] = LaneConf(origin="KR", mode="road", transit_days_min=1.0,
                                  transit_days_mode=1.0, transit_days_max=1.0, customs_days=0.0)
    if start_date is not None:
        p.timeline[f"{programme}_starts"] = EventConf(date=start_date, kind="programme",
                                                      programme=programme,
                                                      label=f"{programme} starts")
    return p
