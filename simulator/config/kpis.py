"""What a run can report, by name: the KPI columns of replications.csv are `kpi[fab|item]`.

The rule lives in the config layer so that a config value naming a KPI (`run.stop_kpi`) and an
experiment spec naming outputs are checked before anything runs; the analysis layer computes
exactly these (a test checks every column of a real run against it).
"""
from __future__ import annotations

from typing import Tuple

from simulator.config.params import Params
from simulator.config.world import window_kpi_stems

ALL = "all"
Row = Tuple[int, str, str, str, float]  # one row of a long KPI table: replication, fab, item, kpi, value


def kpi_column(kpi: str, fab: str, item: str) -> str:
    """The column of replications.csv that holds `kpi` for `fab` and `item`."""
    return f"{kpi}[{fab}|{item}]"


def parse_kpi_column(column: str) -> tuple:
    """`kpi[fab|item]` -> (kpi, fab, item); ValueError for anything else."""
    kpi, _, rest = column.partition("[")
    fab, _, item = rest[:-1].partition("|") if rest.endswith("]") else ("", "", "")
    if not kpi or not fab or not item:
        raise ValueError(f"{column!r} is not a KPI column kpi[fab|item] (e.g. "
                         f"lost_production_pct[all|all])")
    return kpi, fab, item


# every KPI name a run can report; window KPIs are these stems + "_<window>"
KPI_NAMES = ("applications", "approvals", "denials", "documents_filed", "expiries", "fill_rate_pct",
             "lapsed_t", "lost_output_units", "lost_production_pct", "rerequests",
             "resilience_loss_pct_days", "review_days_mean", "review_days_mean_bulk",
             "review_days_p50", "review_days_p90", "stockout_days", "ttr_days",
             "ttr_minus_tts_days", "tts_before_ttr", "tts_buffer_days", "tts_days", "withdrawn")


def check_kpi_column(p: Params, column: str) -> None:
    """`kpi[fab|item]` names a KPI this world can report, or ValueError says what is wrong (the
    list of KPIs, fabs or items). Checked before a run that stops on it, or an experiment that
    reads it, spends any time."""
    name, fab, item = parse_kpi_column(column)
    stems = window_kpi_stems(p.world)  # named after this world's licensing country
    windowed = {f"{stem}_{w}" for stem in stems for w in p.metrics.windows}
    if name not in set(KPI_NAMES) | windowed:
        raise ValueError(f"{column!r}: no KPI {name!r} (KPIs: {', '.join(KPI_NAMES)}, and "
                         f"{', '.join(stems)}_<window> for windows "
                         f"{', '.join(p.metrics.windows)})")
    if fab not in set(p.fabs) | {ALL}:
        raise ValueError(f"{column!r}: no {p.world.buyer} {fab!r} ({', '.join([ALL, *p.fabs])})")
    items = {f"{m}.{g}" for m, g in p.items()} | set(p.materials) | {ALL}
    if item not in items:
        raise ValueError(f"{column!r}: no item {item!r} ({', '.join(sorted(items))})")
