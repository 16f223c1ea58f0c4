"""The report's section on the input-output bridge (python -m simulator macro RUN_DIR), when it
has written its outputs into the run directory (macro/)."""
from __future__ import annotations

from pathlib import Path
from typing import List

from simulator.present.render import Block


def macro_blocks(run_dir: Path) -> List[Block]:
    """The input-output bridge's results, when `python -m simulator macro RUN_DIR` has written
    them (macro/): its summary table, the table it used, and its figure."""
    summary = run_dir / "macro" / "summary.md"
    if not summary.is_file():
        return []
    lines = summary.read_text().splitlines()
    source = next((ln for ln in lines if ln.startswith("Table:")), "")
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines
            if ln.startswith("|") and not ln.startswith("|---")]
    blocks = [Block("h2", "Economy-wide effects (input-output bridge)"), Block("p", source)]
    if rows:
        blocks.append(Block("table", rows=rows))
    blocks.append(Block("p", "Demand-driven (Leontief): the lost output is demand its suppliers "
                             "lose; supply-driven (Ghosh): an input its customers lose. The shock "
                             "vector is macro/shock.csv (the table's sector codes, unit and year)."))
    if (run_dir / "macro" / "macro_effects.png").is_file():
        blocks.append(Block("figure", "Value added lost by sector, both models, and the totals.",
                            path="macro/macro_effects"))
    return blocks
