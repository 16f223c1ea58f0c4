"""The calibration's Metropolis chain (simulator/app/posterior.py) on losses whose answer is known."""
import numpy as np

from simulator.app.posterior import metropolis


def test_the_chain_stays_in_the_bounds_and_simulates_only_inside_them():
    calls = []

    def loss(z):
        calls.append(z.copy())
        return float(np.sum((z - 0.9) ** 2) / 0.01)

    states, losses, accepted = metropolis(np.array([0.95, 0.95]), loss(np.array([0.95, 0.95])),
                                          np.eye(2) * 0.05, loss, steps=300, seed=3, step=1.0)
    evaluated = calls[1:]
    assert len(states) == len(losses) == 300
    assert all(np.all((z >= 0) & (z <= 1)) for z in states)
    assert all(np.all((z >= 0) & (z <= 1)) for z in evaluated)
    assert len(evaluated) < 300  # steps past a bound were rejected without a simulation
    assert 0 < accepted <= len(evaluated)


def test_the_chain_walks_from_a_corner_to_the_low_ground():
    """On exp(-loss / 2) with a steep bowl at (0.2, 0.7), from the far corner: the lowest loss
    the chain holds is at the bowl's floor, and each state carries its own loss."""
    centre = np.array([0.2, 0.7])

    def loss(z):
        return float(np.sum((z - centre) ** 2) / 0.001)

    z0 = np.array([0.9, 0.1])
    states, losses, accepted = metropolis(z0, loss(z0), np.eye(2) * 0.02, loss, steps=400, seed=5)
    best = states[int(np.argmin(losses))]
    assert np.abs(best - centre).max() < 0.05
    assert min(losses) < 0.01 * loss(z0)
    assert losses == [loss(z) for z in states]  # each state's loss is its own


def test_the_chain_is_determined_by_its_seed():
    def loss(z):
        return float(np.sum((z - 0.5) ** 2) / 0.01)

    z0 = np.array([0.3, 0.6, 0.5])
    a = metropolis(z0, loss(z0), np.eye(3) * 0.01, loss, steps=50, seed=11)
    b = metropolis(z0, loss(z0), np.eye(3) * 0.01, loss, steps=50, seed=11)
    c = metropolis(z0, loss(z0), np.eye(3) * 0.01, loss, steps=50, seed=12)
    assert [s.tolist() for s in a[0]] == [s.tolist() for s in b[0]]
    assert [s.tolist() for s in a[0]] != [s.tolist() for s in c[0]]


def test_calibrate_takes_the_lowest_point_of_search_and_chain_as_the_fit():
    """`calibrate`'s step after the search: no chain, the search's best; a chain, the lowest point
    of both, found by walking from the search's best on a loss whose floor lies elsewhere."""
    from simulator.app import calibrate as C
    d = len(C.parameters())
    floor = np.full(d, 0.4)
    history = []

    def resid(z):
        return (np.asarray(z) - floor) / 0.05

    def objective(z):
        r = resid(z)
        history.append({**C._values(z), "loss": float(r @ r)})
        return float(r @ r)

    objective(np.full(d, 0.6))
    objective(np.full(d, 0.55))  # the search's best
    best, z, taken = C._walk_on(history, resid, objective, chain=0)
    assert taken == 0 and np.allclose(z, 0.55) and best["loss"] == min(h["loss"] for h in history)
    best, z, taken = C._walk_on(history, resid, objective, chain=150)
    assert taken > 0 and len(history) > 2
    assert best["loss"] == min(h["loss"] for h in history) < objective(np.full(d, 0.55))
    assert np.abs(z - floor).mean() < 0.1  # nearer the floor than the search's best (0.15 off)
