"""Report-ready figures drawn from a run directory's saved tables (no simulation is run here).

`make_figures(run_dir)` reads `run_info.json` and the saved tables once and writes, as PNG (200 dpi)
and PDF into `run_dir/figures/`:

- `policy_timeline`: the licensing regime of each material over time, events numbered and dated.
- `perceived_risk`: the buyers' perceived risk of Japanese supply per material over time.
- `inventory_cover`: fan chart of inventory cover, rows = fabs, columns = material grades:
  median across replications of the weekly mean cover, 50 % and 90 % bands.
- `licence_pipeline`: (a) review times by regime and material grade against the observed 2019
  first-approval lags; (b) licence applications and approvals per month, per material and regime.
- `monthly_imports`: monthly imports by origin per material (stacked), and Japan's share.
- `production`: planned vs actual output per fab over time (the resilience curve), and lost
  production per fab with 95 % confidence intervals.
- `tts_ttr`: time to survive (simulated, buffer-only) and time to recover per fab and grade.

`make_comparison_figures(runs, out_dir)` compares several runs (label -> run directory):
`compare_cover`, `compare_production`, `compare_imports_japan`, `compare_tts_ttr`.

Modules: `style` (palette, fonts, event marks, footers, saving), `load` (reading a run),
`data*` (pure data preparation: DataFrame in, the DataFrame a figure draws out), one module per
figure, and `compare`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional

from . import style  # first: it selects the Agg backend before pyplot is imported

from .compare import COMPARISON_FIGURES, compare_tables, make_comparison_figures
from .data import (cover_fan, cover_series, kpi_rows, lost_production, national_cover,
                   production_series, tts_ttr)
from .data_imports import imports_by_origin, licensed_imports, licensed_share
from .data_licences import first_approval_lags, licence_activity, review_times
from .data_policy import event_marks, regime_timeline, union_event_marks
from .inventory_cover import plot_inventory_cover
from .licence_pipeline import plot_licence_pipeline
from .load import read_run
from .monthly_imports import plot_monthly_imports
from .parallel import draw_all
from .perceived_risk import plot_perceived_risk
from .policy_timeline import plot_policy_timeline
from .production import plot_production
from .style import DPI
from simulator.store.run_dir import saved_tables
from .tts_ttr import plot_tts_ttr

__all__ = [
    "make_figures", "make_comparison_figures", "FIGURES", "COMPARISON_FIGURES", "DPI",
    "cover_series", "cover_fan", "production_series", "national_cover", "kpi_rows",
    "lost_production", "tts_ttr", "review_times", "first_approval_lags", "licence_activity",
    "imports_by_origin", "licensed_share", "licensed_imports", "event_marks", "union_event_marks",
    "regime_timeline", "compare_tables", "style",
]

# the simulation tables each figure draws from (the others need only KPIs and run files)
NEEDS = {"inventory_cover": {"daily"}, "production": {"daily"}, "perceived_risk": {"daily"},
         "licence_pipeline": {"licences"}, "monthly_imports": {"imports_monthly"}}

FIGURES = ["policy_timeline", "perceived_risk", "inventory_cover", "licence_pipeline",
           "monthly_imports", "production", "tts_ttr"]


def make_figures(run_dir: Path, workers: Optional[int] = None,
                 extra: Optional[Dict[str, Callable[[], List[Path]]]] = None) -> List[Path]:
    """Draw every figure from `run_dir`'s saved tables into `run_dir/figures/`; return the paths
    (PNG and PDF of each figure in FIGURES, in that order).

    The tables are read once and shared; figures are drawn in `workers` processes (default: up
    to 2, or the SIMULATOR_FIGURE_WORKERS environment variable; 1 = in this process). `extra`
    jobs (name -> a function drawing one figure, e.g. the backtest's) join the same pool."""
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    out_dir = run_dir / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    info, marks = run.info, run.marks
    jobs = {  # slowest first, so that two workers finish at about the same time
        "inventory_cover": lambda: plot_inventory_cover(run.daily, marks, info, out_dir),
        "licence_pipeline": lambda: plot_licence_pipeline(run.licences, marks, info, out_dir),
        "production": lambda: plot_production(run.daily, run.kpis, marks, info, out_dir),
        "monthly_imports": lambda: plot_monthly_imports(run.imports, marks, info, out_dir),
        "tts_ttr": lambda: plot_tts_ttr(run.kpis, info, out_dir),
        "policy_timeline": lambda: plot_policy_timeline(run.policy, marks, info, out_dir),
        "perceived_risk": lambda: plot_perceived_risk(run.daily, marks, info, out_dir),
    }
    # a run that kept only some tables (run.keep_tables) draws the figures it has the data for
    kept = set(saved_tables(run_dir))
    jobs = {name: job for name, job in jobs.items() if NEEDS.get(name, set()) <= kept}
    jobs.update(extra or {})
    drawn = draw_all(jobs, workers)
    return [p for name in [*FIGURES, *(extra or {})] if name in drawn for p in drawn[name]]
