"""SimPy's event loop with a lighter timeout for the lots (issue 18).

A lot's life is a few timeouts, each with one callback (line finish, gate, arrival). Through
SimPy's API each costs an event object with a dict and a callback list, `Timeout.__init__`,
`Environment.schedule` and, when it fires, `Environment.step`: interpreted calls on interpreted
objects, a third of a compiled replication. Here such a timeout is a `Timer` (value, callback) in
SimPy's own queue, under SimPy's own (time, priority, event id) key, the id drawn from the
environment's own counter; `run_until` is `Environment.run(until=...)` written out, firing a Timer
by calling its callback with its value and any other event as `Environment.step` does. So events
fire in exactly the order SimPy would fire them and the tables are the same to the byte; compiled,
a Timer is a C struct and the loop never enters the interpreter for one. Processes (the daily
clock, licence reviews, qualification) still yield SimPy events (`timeout` below is
`env.timeout`, inlined).

The model's actors read the clock as `env._now`, not `env.now`: SimPy's `now` is a property
whose getter is an interpreted call (134k reads a replication, 3-4 % of a compiled one), and it
returns `_now` and nothing else.

This reads SimPy's private `_queue`, `_eid` and `_now`; tests/model/test_engine.py checks it
against `Environment.timeout` and `Environment.run` on random schedules, so a SimPy release that
changes them fails there, not silently in the tables.
"""
from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Callable, Final, List, Tuple

import simpy
from simpy.events import NORMAL, URGENT, Event, Timeout

# Final module names: compiled, they are C statics (a plain global is a dict lookup per call);
# typed Any, SimPy's own priority and event-id objects go into the heap entry as they are
_push: Final = heappush
_pop: Final = heappop
_next_id: Final = next
_NORMAL: Final[Any] = NORMAL


class Timer:
    """A timeout that runs one callback with its value: what SimPy's `Timeout` with one callback
    does, without the event object a process would need to wait on it. `run_until` calls the
    callback itself; `callbacks` and `_ok` are there so SimPy's own `Environment.run` can fire a
    Timer too (a script driving actors with it, tests/unit/test_actors_alone.py)."""

    def __init__(self, value: Any, callback: Callable[[Any], None]) -> None:
        self.value = value
        self.callback = callback

    @property
    def callbacks(self) -> List[Callable[[Any], None]]:
        return [self._fire]

    @callbacks.setter
    def callbacks(self, fired: Any) -> None:  # Environment.step clears them as it fires
        pass

    @property
    def _ok(self) -> bool:
        return True

    def _fire(self, _: Any) -> None:
        self.callback(self.value)


def call_later(env: simpy.Environment, delay: Any, value: Any,
               callback: Callable[[Any], None]) -> None:
    """`callback(value)` in `delay` days: `env.timeout(delay, value)` with `callback` on it,
    scheduled where SimPy would schedule that timeout."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    queue: Any = env._queue  # SimPy's annotation allows only its own events in it
    _push(queue, (env._now + delay, _NORMAL, _next_id(env._eid), Timer(value, callback)))


def timeout(env: simpy.Environment, delay: Any, value: Any = None) -> Timeout:
    """`env.timeout(delay, value)`, for a process to yield (SimPy's own initialisation, inlined
    as SimPy inlines Event's in Timeout)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    event = Timeout.__new__(Timeout)
    event.env = env
    event.callbacks = []
    event._value = value
    event._delay = delay
    event._ok = True
    _push(env._queue, (env._now + delay, _NORMAL, _next_id(env._eid), event))
    return event


def run_until(env: simpy.Environment, until: Any) -> None:
    """`env.run(until=until)` for a time: fire every event due before `until` (and those due at
    it that were scheduled before this call's stop event, as SimPy does), then stop with the
    clock at `until`. A failed event nobody waited for raises its exception, as in SimPy."""
    at = until if isinstance(until, int) else float(until)
    if at <= env._now:
        raise ValueError(f"until ({at}) must be greater than the current simulation time")
    stop = Event(env)
    stop._ok = True
    stop._value = None
    env.schedule(stop, URGENT, at - env._now)
    queue: Any = env._queue
    event: Any  # a Timer or a SimPy event, whose callbacks are None once fired
    while True:  # the stop event is in the queue until it is reached
        entry: Tuple[Any, Any, Any, Any] = _pop(queue)  # typed: unpacked without an iterator
        now, _, _, event = entry
        env._now = now
        if isinstance(event, Timer):
            event.callback(event.value)
            continue
        if event is stop:
            stop.callbacks = None
            return
        callbacks = event.callbacks
        event.callbacks = None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            failure = event._value
            exc = type(failure)(*failure.args)
            exc.__cause__ = failure
            raise exc
