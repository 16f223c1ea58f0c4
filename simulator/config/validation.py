"""Checks a `Params` once, at the boundary, so that the model can trust it.

Every failure is a `ConfigError` whose message names the key and the offending value, e.g.
`licensing.individual.validity_days must be > 0, got -5`. run.py prints it as one line and exits
non-zero before anything is written.
"""
from __future__ import annotations

from typing import Iterable

from simulator.config.calendar import Calendar, parse_date
from simulator.config.demand import national_demand_t_per_month
from simulator.config.calibrated import check_calibration, check_licence_lags, check_run_keys
from simulator.config.errors import ConfigError  # re-exported: callers import it from here
from simulator.config.errors import missing as _missing, number as _number
from simulator.config.params import EVENT_KINDS, REGIMES, SCOPES, Params
from simulator.config.world import check_world, lane_mode

SHARE_TOLERANCE = 1e-6

# Bounds that keep a run meaningful and finite. Beyond them a number is a typo, not a question:
MAX_REPLICATIONS = 100_000        # 1,000 replications take ~10 min here (README, Performance)
MAX_HORIZON_DAYS = 40 * 366       # a 40-year run; tables and memory grow with the horizon
MAX_TONNES = 1e9                  # t per month or t: ~1,000 x Korea's whole pre-shock HF imports
MAX_USD_PER_T = 1e9               # photoresist, the dearest, is ~US$ 0.15 M/t (docs/sources.md)
MAX_DAYS = 36_600                 # any duration in days: a century
NEVER_DAYS = 1e9                  # validity, half-life: this long means "never" (tests use it)
MAX_OUTPUT = 1e15                 # planned output per month, in the fab's own unit


def _share(key, value):
    return _number(key, value, lo=0, hi=1)


def _date(key: str, value, cal: Calendar | None = None):
    if _missing(value) or value in ("", None):
        raise ConfigError(f"{key} is missing (no date given)")
    try:
        d = parse_date(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a date YYYY-MM-DD, got {value!r}") from None
    if cal is not None and not cal.contains(d):
        raise ConfigError(
            f"{key} = {value} is outside the run horizon {cal.start} .. {cal.end}"
        )
    return d


def _one_of(key: str, value, allowed: Iterable[str]):
    allowed = list(allowed)
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")


def _sums_to_one(key: str, total: float):
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ConfigError(f"{key} must sum to 1, got {total:.6g}")


def validate(p: Params) -> None:
    """Raise ConfigError on the first problem found; return None when `p` is usable.
    One check per section of the config, in the order a reader meets them."""
    cal = _check_run(p)
    _check_materials(p)
    _check_lanes(p)
    check_world(p)
    _check_suppliers(p)
    _check_fabs(p)
    _check_fab_policy(p)
    _check_output_indices(p)
    _check_sourcing(p)
    _check_risk(p)
    _check_licensing(p)
    _check_timeline(p, cal)
    _check_metrics(p, cal)
    check_calibration(p)
    check_run_keys(p)
    check_licence_lags(p)


KEEP_TABLES = ("all", "summary", "none")  # see simulator/store/run_dir.py
EXECUTORS = ("processes", "dask")
OBJECTIVES = ("", "smallest_meeting_goal")  # see simulator/app/objective.py


def _check_run(p: Params) -> Calendar:
    """Run settings; returns the run's calendar."""
    run = p.run
    _date("run.start_date", run.start_date)
    _date("run.end_date", run.end_date)
    cal = Calendar(run.start_date, run.end_date)
    if cal.horizon_days < 2:
        raise ConfigError(f"run.end_date must be after run.start_date, got {run.end_date}")
    if cal.horizon_days > MAX_HORIZON_DAYS:
        raise ConfigError(f"run.end_date = {run.end_date} makes a run of {cal.horizon_days:,} days from "
                          f"{run.start_date}; at most {MAX_HORIZON_DAYS:,} (40 years)")
    _number("run.replications", run.replications, lo=1, hi=MAX_REPLICATIONS, integer=True)
    _number("run.seed", run.seed, lo=0, integer=True, hi=2**63 - 1)
    _number("run.workers", run.workers, lo=0, integer=True, hi=4096)
    if run.keep_tables not in KEEP_TABLES:
        raise ConfigError(f"run.keep_tables must be one of {', '.join(KEEP_TABLES)}, "
                          f"got {run.keep_tables!r}")
    _number("run.stop_half_width", run.stop_half_width, lo=0.0, hi=1e12)
    _number("run.stop_batch", run.stop_batch, lo=2, integer=True, hi=MAX_REPLICATIONS)
    if run.objective not in OBJECTIVES:
        raise ConfigError(f"run.objective must be one of {', '.join(map(repr, OBJECTIVES))}, "
                          f"got {run.objective!r}")
    _number("run.objective_goal", run.objective_goal, lo=0.0, hi=1.0)
    if run.executor not in EXECUTORS:
        raise ConfigError(f"run.executor must be one of {', '.join(EXECUTORS)}, got {run.executor!r}")
    return cal


def _check_materials(p: Params) -> None:
    """Materials."""
    if not p.materials:
        raise ConfigError("materials is empty: the world needs at least one material")
    for m, mat in p.materials.items():
        k = f"materials.{m}"
        _number(f"{k}.unit_value_usd_per_t", mat.unit_value_usd_per_t, lo=0, lo_open=True,
                hi=MAX_USD_PER_T)
        _number(f"{k}.initial_cover_days", mat.initial_cover_days, lo=0, lo_open=True, hi=MAX_DAYS)
        if not mat.grades:
            raise ConfigError(f"{k}.grades is empty: a material needs at least one grade")
        for origin, t in mat.pre_shock_imports_t_per_month.items():
            _number(f"{k}.pre_shock_imports_t_per_month.{origin}", t, lo=0, hi=MAX_TONNES)
        for origin, share in mat.other_goods_share.items():
            if origin not in mat.pre_shock_imports_t_per_month:
                raise ConfigError(f"{k}.other_goods_share.{origin}: no pre-shock imports from it")
            _share(f"{k}.other_goods_share.{origin}", share)


def _check_lanes(p: Params) -> None:
    """Shipping lanes."""
    for key, lane in p.lanes.items():
        k = f"lanes.{key}"
        lo = _number(f"{k}.transit_days_min", lane.transit_days_min, lo=0, hi=MAX_DAYS)
        mo = _number(f"{k}.transit_days_mode", lane.transit_days_mode, lo=0, hi=MAX_DAYS)
        hi = _number(f"{k}.transit_days_max", lane.transit_days_max, lo=0, hi=MAX_DAYS)
        if not lo <= mo <= hi:
            raise ConfigError(f"{k}: need transit_days_min <= mode <= max, got {lo}, {mo}, {hi}")
        _number(f"{k}.customs_days", lane.customs_days, lo=0, hi=MAX_DAYS)


def _check_suppliers(p: Params) -> None:
    """Suppliers, and that each origin's exporters add up to its flow."""
    countries = {lane.origin for lane in p.lanes.values()}
    flows = {}  # (material, origin) -> summed share_of_origin
    for s_id, s in p.suppliers.items():
        k = f"suppliers.{s_id}"
        if s.material not in p.materials:
            raise ConfigError(f"{k}.material: unknown material {s.material!r} "
                              f"(known: {', '.join(p.materials)})")
        mat = p.materials[s.material]
        if s.origin not in countries:
            raise ConfigError(f"{k}.origin: no lane from {s.origin!r} (lanes come from "
                              f"{', '.join(sorted(countries))})")
        if not s.grade_mix:
            raise ConfigError(f"{k}.grade_mix is empty")
        for g, share in s.grade_mix.items():
            if g not in mat.grades:
                raise ConfigError(f"{k}.grade_mix: unknown grade {g!r} of {s.material} "
                                  f"(known: {', '.join(mat.grades)})")
            _share(f"{k}.grade_mix.{g}", share)
            mode = lane_mode(p.world, s.origin, mat.grades[g].mode)
            if not any(l.origin == s.origin and l.mode == mode for l in p.lanes.values()):
                raise ConfigError(f"{k}: no lane from {s.origin} by {mode} for grade {g}")
        _sums_to_one(f"{k}.grade_mix", sum(s.grade_mix.values()))
        _share(f"{k}.share_of_origin", s.share_of_origin)
        _number(f"{k}.capacity_headroom", s.capacity_headroom, lo=0, hi=1000)
        _number(f"{k}.production_lead_days", s.production_lead_days, lo=0, hi=MAX_DAYS)
        _number(f"{k}.finished_stock_days", s.finished_stock_days, lo=0, hi=MAX_DAYS)
        _number(f"{k}.dispatch_factor", s.dispatch_factor, lo=0, lo_open=True, hi=NEVER_DAYS)
        if s.feedstock.origin and s.feedstock.origin not in set(countries) - {p.world.home_country}:
            raise ConfigError(f"{k}.feedstock.origin = {s.feedstock.origin!r}: not a foreign "
                              f"origin of the lanes ({', '.join(sorted(set(countries) - {p.world.home_country}))})")
        _number(f"{k}.feedstock.t_per_t", s.feedstock.t_per_t, lo=0, hi=1000)
        for date, cap in s.capacity_ramp.items():
            _date(f"{k}.capacity_ramp key", date)
            _number(f"{k}.capacity_ramp.{date}", cap, lo=0, hi=MAX_TONNES)
        q = s.qualification
        _number(f"{k}.qualification.mean_days", q.mean_days, lo=0, hi=MAX_DAYS)
        _number(f"{k}.qualification.cv", q.cv, lo=0, hi=10)
        _number(f"{k}.qualification.success_prob", q.success_prob, lo=0, lo_open=True, hi=1)
        _number(f"{k}.qualification.full_use_ramp_days", q.full_use_ramp_days, lo=0, hi=MAX_DAYS)
        _share(f"{k}.qualification.emergency_share", q.emergency_share)
        _number(f"{k}.qualification.emergency_days", q.emergency_days, lo=0, hi=MAX_DAYS)
        if s.share_of_origin > 0:
            flows[(s.material, s.origin)] = flows.get((s.material, s.origin), 0.0) + s.share_of_origin
        if s.share_of_origin > 0 and mat.pre_shock_imports_t_per_month.get(s.origin, 0) == 0 \
                and s.origin != p.world.home_country:
            raise ConfigError(f"{k}.share_of_origin = {s.share_of_origin} but materials."
                              f"{s.material}.pre_shock_imports_t_per_month has no {s.origin} flow")
    for m, mat in p.materials.items():
        for origin, t in mat.pre_shock_imports_t_per_month.items():
            if t > 0:
                _sums_to_one(f"suppliers share_of_origin for {m} from {origin}",
                             flows.get((m, origin), 0.0))


def _check_fabs(p: Params) -> None:
    """Fabs, and that each grade's demand shares add up to one."""
    if not p.fabs:
        raise ConfigError("fabs is empty: the world needs at least one fab")
    demand = {}
    for f_id, fab in p.fabs.items():
        k = f"fabs.{f_id}"
        _number(f"{k}.qualification_time_factor", fab.qualification_time_factor, lo=0, lo_open=True, hi=1000)
        _number(f"{k}.planned_output_per_month", fab.planned_output_per_month, lo=0, hi=MAX_OUTPUT)
        for m, grades in fab.demand_share.items():
            if m not in p.materials:
                raise ConfigError(f"{k}.demand_share: unknown material {m!r} "
                                  f"(known: {', '.join(p.materials)})")
            for g, share in grades.items():
                if g not in p.materials[m].grades:
                    raise ConfigError(f"{k}.demand_share.{m}: unknown grade {g!r}")
                _share(f"{k}.demand_share.{m}.{g}", share)
                demand[(m, g)] = demand.get((m, g), 0.0) + share
        for m, share in fab.dependent_output_share.items():
            if m not in p.materials:
                raise ConfigError(f"{k}.dependent_output_share: unknown material {m!r}")
            _share(f"{k}.dependent_output_share.{m}", share)
    supplied = national_demand_t_per_month(p)
    for (m, g) in p.items():
        if demand.get((m, g), 0.0) > 0:
            _sums_to_one(f"fabs demand_share for {m}.{g}", demand[(m, g)])
            # the fabs' use of a grade is sized from what suppliers sent before the shock: with
            # none, the grade would drop out of the run silently instead of running short
            if supplied[(m, g)] <= 0:
                raise ConfigError(
                    f"materials.{m}.grades.{g}: fabs use it (fabs.*.demand_share.{m}.{g}) but no "
                    f"supplier with a pre-shock flow makes it (suppliers.*.grade_mix.{g} is 0 or "
                    f"absent for every {m} supplier with share_of_origin > 0)")


def _check_fab_policy(p: Params) -> None:
    """The fabs' buying policy."""
    f = p.fab
    if f.initial_cover_days is not None:
        _number("fab.initial_cover_days", f.initial_cover_days, lo=0, lo_open=True, hi=MAX_DAYS)
    _number("fab.review_period_days", f.review_period_days, lo=1, integer=True, hi=MAX_DAYS)
    _number("fab.risk_cover_days", f.risk_cover_days, lo=0, hi=MAX_DAYS)
    _number("fab.ration_trigger_cover_days", f.ration_trigger_cover_days, lo=0, hi=MAX_DAYS)
    _number("fab.ration_saving", f.ration_saving, lo=0, hi=0.99)
    _number("fab.lead_time_smoothing", f.lead_time_smoothing, lo=0, lo_open=True, hi=1)
    _number("fab.switching_adjustment_days", f.switching_adjustment_days, lo=0, hi=MAX_DAYS)
    _number("fab.destock_days", f.destock_days, lo=0, hi=MAX_DAYS)
    _number("fab.min_order_t", f.min_order_t, lo=0, hi=MAX_TONNES)
    _number("fab.max_lot_days", f.max_lot_days, lo=0, lo_open=True, hi=MAX_DAYS)


def _check_output_indices(p: Params) -> None:
    """Dated output indices, and that a fab names only one that exists."""
    for name, idx in p.fab.output_indices.items():
        k = f"fab.output_indices.{name}"
        if not idx.points:
            raise ConfigError(f"{k}.points is empty: give at least one dated level")
        for date, level in idx.points.items():
            _date(f"{k}.points key", date)
            _number(f"{k}.points.{date}", level, lo=0, lo_open=True, hi=1e15)
        if _date(f"{k}.base_to", idx.base_to) < _date(f"{k}.base_from", idx.base_from):
            raise ConfigError(f"{k}.base_to = {idx.base_to} is before base_from = {idx.base_from}")
    for f_id, fab in p.fabs.items():
        if fab.output_index and fab.output_index not in p.fab.output_indices:
            raise ConfigError(f"fabs.{f_id}.output_index = {fab.output_index!r} is not one of "
                              f"fab.output_indices ({', '.join(p.fab.output_indices) or 'none'})")


def _check_sourcing(p: Params) -> None:
    """Sourcing."""
    for m in p.materials:
        if m not in p.sourcing.elasticity:
            raise ConfigError(f"sourcing.elasticity has no value for material {m!r}")
        _number(f"sourcing.elasticity.{m}", p.sourcing.elasticity[m], lo=0, hi=100)
    for regime, by_mat in p.sourcing.cost_multiplier.items():
        _one_of("sourcing.cost_multiplier key", regime, REGIMES)
        for m, mult in by_mat.items():
            if m not in p.materials:
                raise ConfigError(f"sourcing.cost_multiplier.{regime}: unknown material {m!r}")
            _number(f"sourcing.cost_multiplier.{regime}.{m}", mult, lo=0, lo_open=True, hi=1e6)
    _number("sourcing.home_bias", p.sourcing.home_bias, lo=0, hi=1e6)
    _number("sourcing.max_backlog_days", p.sourcing.max_backlog_days, lo=0, lo_open=True, hi=MAX_DAYS)
    _number("sourcing.contract_term_days", p.sourcing.contract_term_days, lo=0, hi=MAX_DAYS)


def _check_risk(p: Params) -> None:
    """Perceived risk."""
    rk = p.risk
    _share("risk.prior", rk.prior)
    _share("risk.floor", rk.floor)
    _number("risk.half_life_days", rk.half_life_days, lo=0, hi=NEVER_DAYS)
    _number("risk.news_alpha0", rk.news_alpha0, lo=-100, hi=100)
    _number("risk.news_alpha1", rk.news_alpha1, lo=-100, hi=100)
    _share("risk.on_tightening", rk.on_tightening)
    _share("risk.lift_factor", rk.lift_factor)


def _check_licensing(p: Params) -> None:
    """The licensing regimes."""
    lic = p.licensing
    _one_of("licensing.initial_regime", lic.initial_regime, REGIMES)
    _number("licensing.reviewers", lic.reviewers, lo=1, integer=True, hi=1_000_000)
    for name in REGIMES:
        r = lic.regime(name)
        k = f"licensing.{name}"
        _one_of(f"{k}.scope", r.scope, SCOPES)
        for m in p.materials:
            if m not in r.documents:
                raise ConfigError(f"{k}.documents has no value for material {m!r}")
        for m, n in r.documents.items():
            if m not in p.materials:
                raise ConfigError(f"{k}.documents: unknown material {m!r}")
            _number(f"{k}.documents.{m}", n, lo=0, integer=True, hi=1000)
        _number(f"{k}.document_prep_days_per_doc", r.document_prep_days_per_doc, lo=0, hi=MAX_DAYS)
        lo = _number(f"{k}.review_days_min", r.review_days_min, lo=0, hi=MAX_DAYS)
        hi = _number(f"{k}.review_days_max", r.review_days_max, lo=0, lo_open=True, hi=MAX_DAYS)
        _number(f"{k}.review_days_median", r.review_days_median, lo=0, lo_open=True, hi=MAX_DAYS)
        # the clock is clipped to [min, max]: a median outside it is a legitimate question (what if
        # the statutory window were shorter than the usual review?), an empty range is not
        if lo > hi:
            raise ConfigError(f"{k}: review_days_min = {lo} is above review_days_max = {hi}")
        _number(f"{k}.review_days_sigma", r.review_days_sigma, lo=0, hi=10)
        for m, grades in r.rerequest_prob_per_document.items():
            if m not in p.materials:
                raise ConfigError(f"{k}.rerequest_prob_per_document: unknown material {m!r}")
            for g, prob in grades.items():
                if g not in p.materials[m].grades:
                    raise ConfigError(f"{k}.rerequest_prob_per_document.{m}: unknown grade {g!r}")
                _share(f"{k}.rerequest_prob_per_document.{m}.{g}", prob)
        _number(f"{k}.rerequest_response_days_mean", r.rerequest_response_days_mean, lo=0, hi=MAX_DAYS)
        _share(f"{k}.rerequest_clock_restart_fraction", r.rerequest_clock_restart_fraction)
        _number(f"{k}.max_rerequests", r.max_rerequests, lo=0, integer=True, hi=1000)
        _share(f"{k}.denial_prob", r.denial_prob)
        _number(f"{k}.validity_days", r.validity_days, lo=0, lo_open=True, hi=NEVER_DAYS)
        _number(f"{k}.renewal_lead_days", r.renewal_lead_days, lo=0, hi=MAX_DAYS)
        _number(f"{k}.first_files_in_flight", r.first_files_in_flight, lo=0, integer=True, hi=1_000_000)
        _number(f"{k}.precedent_clock_factor", r.precedent_clock_factor, lo=0, lo_open=True, hi=1000)
        _number(f"{k}.precedent_rerequest_factor", r.precedent_rerequest_factor, lo=0, hi=1000)


def _check_timeline(p: Params, cal: Calendar) -> None:
    """The scenario's timeline."""
    for e_id, e in p.timeline.items():
        k = f"timeline.{e_id}"
        _one_of(f"{k}.kind", e.kind, EVENT_KINDS)
        # a news series is data that may run on past a short run (what falls after the end never
        # happens in it); a policy event outside the horizon is a mistake
        if e.kind == "news" and _date(f"{k}.date", e.date) > cal.end:
            continue
        _date(f"{k}.date", e.date, cal)
        for m in e.materials:
            if m not in p.materials:
                raise ConfigError(f"{k}.materials: unknown material {m!r} "
                                  f"(known: {', '.join(p.materials)})")
        if e.kind in ("announce_regime", "set_regime"):
            _one_of(f"{k}.regime", e.regime, REGIMES)
        if e.kind == "announce_regime":
            eff = _date(f"{k}.effective_date", e.effective_date, cal)
            if eff < parse_date(e.date):
                raise ConfigError(f"{k}.effective_date = {e.effective_date} is before its "
                                  f"announcement date {e.date}")
        if e.kind == "whitelist":
            _one_of(f"{k}.status", e.status, ("removed", "restored"))
        if e.kind == "signal":
            if e.risk is None:
                raise ConfigError(f"{k}.risk is missing: a signal names the perceived risk it raises to")
            _share(f"{k}.risk", e.risk)
        if e.kind == "news":
            if e.articles is None:
                raise ConfigError(f"{k}.articles is missing: a news event counts the fortnight's articles")
            _number(f"{k}.articles", e.articles, lo=0, hi=1e9)
        if e.kind == "programme":
            if not e.programme:
                raise ConfigError(f"{k}.programme is missing: name the programme the event starts")
            # an event that starts no supplier would do nothing, silently: a typo, as a rule
            known = sorted({s.programme for s in p.suppliers.values() if s.programme})
            if e.programme not in known:
                raise ConfigError(f"{k}.programme = {e.programme!r}: no supplier belongs to it "
                                  f"(suppliers' programmes: {', '.join(known) or 'none'})")


def _check_metrics(p: Params, cal: Calendar) -> None:
    """Metric settings."""
    m = p.metrics
    _date("metrics.shock_date", m.shock_date, cal)
    _share("metrics.recovery_fill_threshold", m.recovery_fill_threshold)
    _number("metrics.recovery_sustain_days", m.recovery_sustain_days, lo=1, integer=True, hi=MAX_DAYS)
    # windows are reporting choices: they may reach beyond the run (each KPI uses the months
    # inside it, and is undefined for a window entirely outside), but must be real ranges
    for w_id, w in m.windows.items():
        a = _date(f"metrics.windows.{w_id}.start", w.start)
        b = _date(f"metrics.windows.{w_id}.end", w.end)
        if b < a:
            raise ConfigError(f"metrics.windows.{w_id}.end = {w.end} is before its start {w.start}")
    for grade, tol in m.observation_tolerance.items():
        _one_of("metrics.observation_tolerance key", grade, ("H", "M", "L"))
        _number(f"metrics.observation_tolerance.{grade}", tol, lo=0, hi=100)
