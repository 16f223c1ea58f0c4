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

from typing import List, Sequence

# Plain Python lists, not numpy arrays: a fab has two to four sources per grade, and building
# arrays that small costs more than the arithmetic (profiled: issue 8).


def target_shares(nominal: Sequence[float], usage: Sequence[float], cost: Sequence[float],
                  elasticity: float, bias: Sequence[float]) -> List[float]:
    weights = [n * u * c ** -elasticity * b for n, u, c, b in zip(nominal, usage, cost, bias)]
    total = sum(weights)
    return [w / total for w in weights] if total > 0 else [0.0] * len(weights)


def cap_shares(shares: Sequence[float], caps: Sequence[float]) -> List[float]:
    """Cap each share at `caps` and hand the excess to uncapped sources pro rata."""
    s = [float(x) for x in shares]
    n = len(s)
    fixed = [False] * n
    for _ in range(n):
        over = [i for i in range(n) if not fixed[i] and s[i] > caps[i] + 1e-12]
        if not over:
            break
        for i in over:
            s[i] = caps[i]
            fixed[i] = True
        free = [i for i in range(n) if not fixed[i] and s[i] > 0]
        excess = 1.0 - sum(s)
        if excess <= 0 or not free:
            break
        free_total = sum(s[i] for i in free)
        for i in free:
            s[i] += excess * s[i] / free_total
    return s


def adjust_shares(current: Sequence[float], target: Sequence[float], step: float) -> List[float]:
    """Partial adjustment toward `target` (no renormalisation: both sum to at most one)."""
    step = min(1.0, max(0.0, step))
    return [c + step * (t - c) for c, t in zip(current, target)]
