"""The model's event loop (simulator/model/engine.py) fires events exactly as SimPy's own API
would: same order, same clock, same stop, same failures. It reads SimPy's private queue, event
counter and clock, so these tests are what fails if a SimPy release changes them."""
from __future__ import annotations

import hypothesis.strategies as st
import pytest
import simpy
from hypothesis import given, settings

from simulator.model.engine import call_later, run_until, timeout

# a delay grid with many ties (same time, same priority: the event id decides), zero included
DELAYS = st.sampled_from([0, 0.5, 1, 1.5, 2, 3.25, 5])
# a plan: timeouts with callbacks, each of which schedules its children when it fires; and
# processes that yield timeouts in turn
PLAN = st.tuples(
    st.lists(st.tuples(DELAYS, st.lists(DELAYS, max_size=3)), max_size=12),
    st.lists(st.lists(DELAYS, min_size=1, max_size=4), max_size=4),
    st.sampled_from([1, 2, 2.5, 3, 6, 20]))


def replay(plan, native: bool, loop: str = "engine") -> list:
    """What fires when, and the clock at the end: through SimPy's API, or through the engine's
    timeouts driven by its loop (or by SimPy's, `loop="simpy"`)."""
    callbacks, processes, until = plan
    env = simpy.Environment()
    fired: list = []

    def later(delay, label, then):
        if native:
            call_later(env, delay, label, then)
        else:
            env.timeout(delay, label).callbacks.append(lambda ev: then(ev.value))

    def wait(delay):
        return timeout(env, delay) if native else env.timeout(delay)

    def parent(label):
        fired.append((env.now, label))
        for j, d in enumerate(callbacks[label[1]][1]):
            later(d, ("child", label[1], j), lambda lab: fired.append((env.now, lab)))

    def proc(k, delays):
        for j, d in enumerate(delays):
            yield wait(d)
            fired.append((env.now, ("process", k, j)))

    for i, (d, _) in enumerate(callbacks):
        later(d, ("parent", i), parent)
        if i < len(processes):  # interleave processes with callbacks, so their ids interleave
            env.process(proc(i, processes[i]))
    for k in range(len(callbacks), len(processes)):
        env.process(proc(k, processes[k]))
    if native and loop == "engine":
        run_until(env, until)
    else:
        env.run(until=until)
    return fired + [("end", env.now)]


@settings(max_examples=200, deadline=None)
@given(PLAN)
def test_fires_as_simpy_does(plan):
    simpy_order = replay(plan, native=False)
    assert replay(plan, native=True) == simpy_order
    assert replay(plan, native=True, loop="simpy") == simpy_order  # Environment.run fires Timers


def test_an_exact_timeline():
    """Ties go by scheduling order; an event due at the stop time does not fire (SimPy's stop is
    urgent); the clock ends at the stop time. The actors' `env._now` is SimPy's `env.now`."""
    env = simpy.Environment()
    seen = []

    def note(label):
        seen.append((label, env._now, env.now))

    call_later(env, 2, "b", note)
    call_later(env, 1, "a", note)
    call_later(env, 2, "c", note)
    call_later(env, 3, "at the stop", note)
    run_until(env, 3)
    assert seen == [("a", 1, 1), ("b", 2, 2), ("c", 2, 2)] and env.now == 3


def test_a_failed_process_raises_as_in_simpy():
    env = simpy.Environment()

    def broken():
        yield timeout(env, 1)
        raise KeyError("no such lane")

    env.process(broken())
    with pytest.raises(KeyError, match="no such lane"):
        run_until(env, 5)


def test_bad_delays_and_stops_are_refused():
    env = simpy.Environment()
    with pytest.raises(ValueError, match="Negative delay"):
        call_later(env, -1, None, print)
    with pytest.raises(ValueError, match="Negative delay"):
        timeout(env, -0.5)
    with pytest.raises(ValueError, match="must be greater"):
        run_until(env, 0)
