"""How a fab splits its orders for one material grade across the sources it has qualified.

Target shares follow a CES demand system (as in Kim 2024): a source's weight is its nominal supply
(pre-shock flow plus ramped new capacity, so buyers lean on what a source can deliver), times how
far the fab has ramped its use of it after qualification, times its effective cost to the power
of minus the elasticity of substitution. Buying from Japan under individual licensing carries a
non-tariff cost multiplier (Kim 2024's estimates by material); Korean sources may carry a home
bias. No source is given more than it can make for Korea: shares above a source's capacity share
of national demand are capped and the excess goes to the others (water-filling); if every source
is capped, shares sum to less than one and the fab orders only what can be supplied.

Actual shares move toward the target by a fraction review_period / switching_adjustment_days
per review: switching is costly and slow, so sourcing has memory — a lift does not restore the old
shares overnight, and a source qualified during the curbs keeps its place afterwards.
"""
from __future__ import annotations

import numpy as np


def target_shares(nominal: np.ndarray, usage: np.ndarray, cost: np.ndarray, elasticity: float,
                  bias: np.ndarray) -> np.ndarray:
    weights = nominal * usage * np.power(cost, -elasticity) * bias
    total = weights.sum()
    return weights / total if total > 0 else np.zeros_like(weights)


def cap_shares(shares: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Cap each share at `caps` and hand the excess to uncapped sources pro rata."""
    s = np.minimum(shares, np.inf).astype(float)
    fixed = np.zeros(s.shape, dtype=bool)
    for _ in range(s.size):
        over = (s > caps + 1e-12) & ~fixed
        if not over.any():
            break
        s[over] = caps[over]
        fixed |= over
        free = ~fixed & (s > 0)
        excess = 1.0 - s.sum()
        if excess <= 0 or not free.any():
            break
        s[free] += excess * s[free] / s[free].sum()
    return s


def adjust_shares(current: np.ndarray, target: np.ndarray, step: float) -> np.ndarray:
    """Partial adjustment toward `target` (no renormalisation: both sum to at most one)."""
    step = min(1.0, max(0.0, step))
    return current + step * (target - current)
