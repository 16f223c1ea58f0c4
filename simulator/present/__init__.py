"""Presentation: the report and the figures, drawn from saved outputs; the domain (materials,
fabs, the statutory window) comes from the run, not from code."""
