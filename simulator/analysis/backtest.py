"""Backtest: a run's simulated trade against observed customs data.

    python -m simulator backtest RUN_DIR [observed.csv ...]

Observed data are CSV files (a world's own: `world.observed_dir`) with the columns
    period, material, origin, measure, value, source, confidence, note   (and optionally bound)
- period: a month `2019-06`, a quarter `2019Q3`, a year `2021`, or a range of months
  `2022-01..2022-11` (inclusive);
- material: a material id of the run (`hf`, `photoresist`, `fpi`, ...); origin: a country code;
- measure: `tonnes` or `value_usd` (imports from that origin summed over the period) or
  `share_pct` (100 x imports from that origin / imports from every origin, over the period);
- confidence: H, M or L (as in the project's sources); bound: `=` (default), `>=` or `<=` for an
  observation that is a lower or upper bound;
- flow (optional): `imports` (default: the world's buyers' imports from `origin`, their customs
  view) or `exports` (`origin`'s exports to the world's buyers, every destination of the world,
  as the exporting country's customs count them: the same goods, recorded days earlier);
  `share_pct` is a share of imports, so it has no exports form. A world's buyers are all of its
  exports' destinations (configs/world: e.g. China's gallium buyers abroad), so `destination`
  (optional) may only be `all`.
The shipped files are `data/observed/pre_shock_facts.csv` (FACTS.md's pre-shock levels) and
`data/observed/calibration_set.csv` (OBSERVED.md); a new customs release in the same format can be
passed on the command line.

For each observation the simulated measure is computed per replication from
`tables/imports_monthly` and summarised as the mean and the 90 % band (5th to 95th percentile
across replications: scenario noise, and the calibrated parameters' uncertainty when the run drew
them, `run.parameter_uncertainty`). The observation gets its own interval from its confidence grade
(`metrics.observation_tolerance`: H, M, L); `inside` says whether the two overlap (for a bound:
whether the band reaches the allowed side). Written: `backtest.csv`, `figures/backtest.png|pdf`.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd
from simulator.config.paths import ROOT

OBSERVED_DIR = ROOT / "data" / "observed"  # the default world's files; another world's in a sub-folder
FLOWS = ("imports", "exports")
COLUMNS = ["period", "material", "origin", "measure", "value", "source", "confidence", "note"]
MEASURES = ("tonnes", "value_usd", "share_pct")
CONFIDENCE = ("H", "M", "L")
BOUNDS = ("=", ">=", "<=")
BAND = (0.05, 0.95)
MAX_FILE_BYTES = 10 * 2 ** 20  # an observed-data file is a short table
MAX_LINE_CHARS = 10_000

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2})\.\.(\d{4}-\d{2})$")


class ObservedDataError(ValueError):
    """A malformed observed-data file: the message names the file, line, column and value."""


def period_months(period: str) -> List[str]:
    """`2019-06`, `2019Q3`, `2021` or `2022-01..2022-11` -> the months it covers (YYYY-MM)."""
    text = period.strip()
    if _MONTH.match(text):
        pd.Period(text, freq="M")  # rejects month 13
        return [text]
    m = _QUARTER.match(text)
    if m:
        q = pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")
        return [str(p) for p in pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M")]
    if _YEAR.match(text):
        return [f"{text}-{mm:02d}" for mm in range(1, 13)]
    m = _RANGE.match(text)
    if m:
        a, b = pd.Period(m.group(1), freq="M"), pd.Period(m.group(2), freq="M")
        if b < a:
            raise ValueError("range ends before it starts")
        return [str(p) for p in pd.period_range(a, b, freq="M")]
    raise ValueError("not a month (2019-06), quarter (2019Q3), year (2021) or range (2022-01..2022-11)")


@dataclass
class Observation:
    file: str
    line: int
    period: str
    material: str
    origin: str
    measure: str
    value: float
    source: str
    confidence: str
    note: str
    bound: str = "="
    flow: str = "imports"


def _text_lines(path: Path) -> List[str]:
    """The file's lines, if it is a short UTF-8 text file (Excel's byte-order mark allowed)."""
    if path.is_dir():
        raise ObservedDataError(f"{path}: a directory, not an observed-data CSV file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ObservedDataError(f"{path}: {path.stat().st_size:,} bytes; an observed-data "
                                    f"file is a short table (at most {MAX_FILE_BYTES:,})")
        raw = path.read_bytes()
    except OSError as exc:
        raise ObservedDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise ObservedDataError(f"{path}: a binary file, not a CSV table")
    try:
        return raw.decode("utf-8-sig").splitlines()  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        raise ObservedDataError(f"{path}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None


def load_observed(path: Path) -> List[Observation]:
    """Read and validate one observed-data file; raise ObservedDataError with one line."""
    path = Path(path)
    name = path.name
    lines = _text_lines(path)
    for i, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise ObservedDataError(f"{name} line {i}: {len(line):,} characters; a row of the "
                                    f"format is at most {MAX_LINE_CHARS:,}")
    header_row = next(csv.reader(lines[:1]), [])
    duplicated = sorted({c for c in header_row if header_row.count(c) > 1})
    if duplicated:
        raise ObservedDataError(f"{name} line 1: column(s) {', '.join(duplicated)} appear twice")
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ObservedDataError(f"{name}: missing column(s) {', '.join(missing)} "
                                f"(need {', '.join(COLUMNS)})")
    out = []
    for i, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise ObservedDataError(f"{name} line {i}: {len(header)} columns in the header, "
                                    f"a different number in this row")
        def bad(col, why):
            return ObservedDataError(f"{name} line {i}: {col} = {row.get(col)!r}: {why}")
        try:
            period_months(row["period"] or "")
        except ValueError as exc:
            raise bad("period", str(exc)) from None
        if row["measure"] not in MEASURES:
            raise bad("measure", f"must be one of {', '.join(MEASURES)}")
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise bad("value", "not a number") from None
        if not np.isfinite(value) or value < 0 or (row["measure"] == "share_pct" and value > 100):
            raise bad("value", "must be finite, >= 0 (and <= 100 for share_pct)")
        if row["confidence"] not in CONFIDENCE:
            raise bad("confidence", f"must be one of {', '.join(CONFIDENCE)}")
        if not (row["material"] or "").strip() or not (row["origin"] or "").strip():
            raise bad("material" if not (row["material"] or "").strip() else "origin", "empty")
        bound = (row.get("bound") or "=").strip()
        if bound not in BOUNDS:
            raise bad("bound", f"must be one of {', '.join(BOUNDS)}")
        flow = (row.get("flow") or "imports").strip()
        if flow not in FLOWS or (flow == "exports" and row["measure"] == "share_pct"):
            raise bad("flow", f"must be one of {', '.join(FLOWS)} (share_pct: imports only)")
        if (row.get("destination") or "all").strip() != "all":
            raise bad("destination", "only all: a world's buyers are every destination it models")
        out.append(Observation(file=name, line=i, period=row["period"].strip(),
                               material=row["material"].strip(), origin=row["origin"].strip(),
                               measure=row["measure"], value=value, source=row["source"] or "",
                               confidence=row["confidence"], note=row["note"] or "", bound=bound,
                               flow=flow))
    return out


def default_files(directory: Optional[Path] = None) -> List[Path]:
    """The observed-data files of a world (`world.observed_dir`; default: the default world's)."""
    directory = OBSERVED_DIR if directory is None else Path(directory)
    return sorted(directory.glob("*.csv")) if directory.is_dir() else []


def world_files(observed_dir: str) -> List[Path]:
    """The files of a world's `observed_dir` (repository-relative)."""
    return default_files(ROOT / observed_dir if observed_dir else None)


def every_world_file() -> List[Path]:
    """Every world's observed-data files (checked before any run starts)."""
    return sorted(OBSERVED_DIR.rglob("*.csv")) if OBSERVED_DIR.is_dir() else []


def simulated(imports: pd.DataFrame, obs: Observation) -> Optional[np.ndarray]:
    """The observation's measure in each replication, or None if the run cannot say (its
    material is not in the run, or a month of the period lies outside the run)."""
    months = period_months(obs.period)
    m = imports[imports["material"] == obs.material]
    if m.empty or not set(months) <= set(m["month"]):
        return None
    m = m[m["month"].isin(months)]
    col = "value_usd" if obs.measure == "value_usd" else "quantity_t"
    by_rep = m.groupby(["replication", "origin"])[col].sum().unstack(fill_value=0.0)
    origin = by_rep[obs.origin] if obs.origin in by_rep else pd.Series(0.0, index=by_rep.index)
    if obs.measure == "share_pct":
        total = by_rep.sum(axis=1)
        return np.where(total > 0, 100.0 * origin / total.where(total > 0, 1.0), np.nan)
    return origin.to_numpy(dtype=float)


def observed_interval(o: Observation, tolerance: Dict[str, float]) -> tuple:
    """What the observation allows, given how far one of its confidence grade may be off:
    [value / (1 + t), value x (1 + t)] (a share is also capped at 100)."""
    t = tolerance.get(o.confidence, 0.0)
    high = o.value * (1.0 + t)
    return o.value / (1.0 + t), min(high, 100.0) if o.measure == "share_pct" else high


def backtest(imports: pd.DataFrame, observations: Sequence[Observation],
             tolerance: Optional[Dict[str, float]] = None) -> pd.DataFrame:
    """Each observation against the run: the simulated mean and 5-95 % band across replications
    (scenario noise, plus the calibrated parameters' uncertainty when the run drew them), and the
    observation's own interval from its confidence grade (`tolerance`, e.g. {"H": 0.1}; none: the
    point). `inside` says whether the two overlap (for a bound: whether the band reaches the
    allowed side of the interval's near end)."""
    tolerance = tolerance or {}
    rows = []
    for o in observations:
        sims = simulated(imports, o)
        obs_low, obs_high = observed_interval(o, tolerance)
        base = {"file": o.file, "line": o.line, "period": o.period, "material": o.material,
                "origin": o.origin, "measure": o.measure, "bound": o.bound, "observed": o.value,
                "observed_low": obs_low, "observed_high": obs_high,
                "confidence": o.confidence, "source": o.source, "note": o.note}
        if sims is None or np.all(np.isnan(sims)):
            rows.append({**base, "simulated_mean": np.nan, "band_low": np.nan, "band_high": np.nan,
                         "error": np.nan, "rel_error": np.nan, "inside": ""})
            continue
        mean = float(np.nanmean(sims))
        low, high = (float(x) for x in np.nanquantile(sims, BAND))
        if o.bound == ">=":
            inside = high >= obs_low
        elif o.bound == "<=":
            inside = low <= obs_high
        else:
            inside = low <= obs_high and obs_low <= high
        rows.append({**base, "simulated_mean": mean, "band_low": low, "band_high": high,
                     "error": mean - o.value,
                     "rel_error": (mean - o.value) / o.value if o.value else np.nan,
                     "inside": "yes" if inside else "no"})
    cols = ["file", "line", "period", "material", "origin", "measure", "bound", "observed",
            "observed_low", "observed_high", "simulated_mean", "band_low", "band_high", "error",
            "rel_error", "inside", "confidence", "source", "note"]
    table = pd.DataFrame(rows, columns=cols)
    if any(o.flow != "imports" for o in observations):  # imports alone: the table as it was
        table.insert(cols.index("measure"), "flow", [o.flow for o in observations])
    return table


def band_holds(params) -> str:
    """What a run's simulated band holds, for the backtest's table, figure and report."""
    drawn = params.run.parameter_uncertainty and params.calibration.parameters
    return ("scenario noise and calibrated-parameter uncertainty" if drawn
            else "scenario noise only")


def check_materials(observations: Sequence[Observation], materials) -> None:
    """Every observation names a material of the run (file and line otherwise)."""
    for o in observations:
        if o.material not in materials:
            raise ObservedDataError(f"{o.file} line {o.line}: material = {o.material!r}: not a "
                                    f"material of this run ({', '.join(materials)})")
