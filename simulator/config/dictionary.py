"""The names of a run's simulation tables, declared once below every layer that builds, writes
or reads them (experiment builds them, the store writes and reads them, analysis uses them).
The column-level dictionary (dtypes, units, meanings) is documented in the README's "Output
tables" and is to grow here."""
from __future__ import annotations

SIMULATION_TABLES = ("events", "licences", "shipments", "daily", "imports_monthly")
