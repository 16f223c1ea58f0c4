"""Global sensitivity analysis: a Saltelli design drawn from scipy.stats.qmc and Sobol' indices
(first order and total, with bootstrap confidence intervals) computed by SALib.

The design is SALib's (Saltelli 2002, as `SALib.sample.sobol` builds it without second-order
terms): a scrambled Sobol' sequence in 2D dimensions gives matrices A and B; each base point i
contributes A_i, then A_i with column k taken from B_i for every k, then B_i — N (D + 2) rows.
`SALib.analyze.sobol.analyze(..., calc_second_order=False)` reads exactly that order.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd
from scipy.stats import qmc


def problem(bounds: Dict[str, Sequence[float]]) -> dict:
    names = list(bounds)
    return {"num_vars": len(names), "names": names,
            "bounds": [[float(bounds[n][0]), float(bounds[n][1])] for n in names]}


def saltelli_design(prob: dict, n: int, seed: int) -> np.ndarray:
    """N (D + 2) points, in the parameters' units, in SALib's order (module doc)."""
    d = prob["num_vars"]
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    rows = []
    for i in range(n):
        rows.append(a[i])
        for k in range(d):
            ab = a[i].copy()
            ab[k] = b[i, k]
            rows.append(ab)
        rows.append(b[i])
    lows, highs = np.array(prob["bounds"]).T
    return qmc.scale(np.array(rows), lows, highs)


def sobol_indices(prob: dict, outputs: pd.DataFrame, seed: int,
                  resamples: int = 1000) -> pd.DataFrame:
    """One row per output x parameter: S1, S1_conf, ST, ST_conf (95 % bootstrap half-widths),
    by SALib. An output that does not vary over the design has no indices (NaN)."""
    from SALib.analyze import sobol

    rows: List[Tuple] = []
    for col in outputs.columns:
        y = outputs[col].to_numpy(dtype=float)
        if not np.isfinite(y).all() or np.nanstd(y) == 0:
            rows += [(col, p, np.nan, np.nan, np.nan, np.nan) for p in prob["names"]]
            continue
        res = sobol.analyze(prob, y, calc_second_order=False, num_resamples=resamples,
                            conf_level=0.95, seed=seed)
        rows += [(col, p, res["S1"][i], res["S1_conf"][i], res["ST"][i], res["ST_conf"][i])
                 for i, p in enumerate(prob["names"])]
    return pd.DataFrame(rows, columns=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
