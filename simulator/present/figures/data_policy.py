"""Policy events as figures draw them: numbered event marks and the licensing regime over time."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
import pandas as pd

NEWS_KIND = "news"
MARK_COLUMNS = ["number", "event_id", "date", "kind", "label", "materials", "regime",
                "effective_date"]


def _split_materials(value) -> tuple:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    return tuple(m.strip() for m in str(value).split(";") if m.strip())


def applies_to(materials: tuple, material: Optional[str]) -> bool:
    return material is None or not materials or material in materials


def event_marks(policy_events: pd.DataFrame) -> pd.DataFrame:
    """Policy events in date order, numbered 1..n as drawn and listed in each figure's key.

    `materials` becomes a tuple (empty = all materials). Returns columns number, event_id, date,
    kind, label, materials, regime, effective_date.
    """
    cols = MARK_COLUMNS
    if policy_events is None or policy_events.empty:
        return pd.DataFrame(columns=cols)
    ev = policy_events.copy()
    if "kind" in ev:  # a news series is a signal to the buyers, not a policy event to mark
        ev = ev[ev["kind"] != NEWS_KIND]
        if ev.empty:
            return pd.DataFrame(columns=cols)
    for c in cols[1:]:
        if c not in ev:
            ev[c] = ""
    ev["date"] = pd.to_datetime(ev["date"])
    ev["materials"] = [_split_materials(m) for m in ev["materials"]]
    ev["label"] = [str(lab) if isinstance(lab, str) and lab else str(eid)
                   for lab, eid in zip(ev["label"], ev["event_id"])]
    ev = ev.sort_values("date", kind="stable").reset_index(drop=True)
    ev["number"] = np.arange(1, len(ev) + 1)
    return ev[cols]


def union_event_marks(policies: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The policy events of several runs (label -> policy_events table) as one numbered list.

    Events with the same id, date and label are one event. Column `scenarios` lists the runs an
    event belongs to, or is empty when it belongs to every run that has policy events (a
    baseline without events does not count).
    """
    cols = MARK_COLUMNS + ["scenarios"]
    frames = [event_marks(p).assign(run=label) for label, p in policies.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=cols)
    allev = pd.concat(frames, ignore_index=True)
    key = ["event_id", "date", "label"]
    runs = allev.groupby(key, sort=False)["run"].agg(list)
    first = allev.drop_duplicates(key).set_index(key)
    n_with_events = len(frames)
    first["scenarios"] = [tuple(dict.fromkeys(r)) if len(set(r)) < n_with_events else ()
                          for r in runs.reindex(first.index)]
    out = first.reset_index().sort_values("date", kind="stable")
    out["number"] = np.arange(1, len(out) + 1)
    return out[cols].reset_index(drop=True)


def regime_timeline(policy_events: pd.DataFrame, materials: Sequence[str], start: str,
                    end: str) -> pd.DataFrame:
    """Licensing regime of each material over [start, end] as set by the policy events.

    Every material starts under bulk licensing; a `set_regime` event switches the regime of the
    materials it lists (all materials if none listed) from its date on. Announcements do not
    change the regime. Returns columns material, regime, start, end (end of one segment = start
    of the next; the last ends at `end`).
    """
    marks = event_marks(policy_events)
    t_start, t_end = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for m in materials:
        seg_start, regime = t_start, "bulk"
        for ev in marks.itertuples(index=False):
            if ev.kind != "set_regime" or not applies_to(ev.materials, m):
                continue
            new = str(ev.regime) if isinstance(ev.regime, str) and ev.regime else regime
            when = min(max(ev.date, t_start), t_end)
            if new == regime:
                continue
            if when > seg_start:
                rows.append((m, regime, seg_start, when))
            seg_start, regime = when, new
        rows.append((m, regime, seg_start, t_end))
    return pd.DataFrame(rows, columns=["material", "regime", "start", "end"])
