"""Analysis: pure functions from a run's tables to KPIs, backtests and comparisons. Imports
nothing from the model (and never SimPy)."""
