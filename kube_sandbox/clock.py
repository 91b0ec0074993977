"""The sandbox's one clock.

Timestamps written into objects are real epoch seconds, so `kubectl get`
shows sensible ages. Durations the controllers wait for (start delays,
minReadySeconds, progressDeadlineSeconds, grace periods) are *simulated*
seconds, divided by the speed factor, so a ten-minute rollout can run in
seconds. `elapsed()` converts back: it answers in simulated seconds.

`ManualClock` starts deterministic, as used to build seeds and in unit
tests: time only moves when told to, and `run_until_idle` jumps straight to
the next timer, like a discrete-event simulation. `go_live` then hands it
over to wall time for serving.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime


def rfc3339(ts: float) -> str:
    """Kubernetes metav1.Time: second precision, UTC, trailing Z."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(ts: float) -> str:
    """Kubernetes metav1.MicroTime, used by events.k8s.io."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Clock:
    """Interface shared by the live and the manual clock."""

    speed: float = 1.0

    def now(self) -> float:
        raise NotImplementedError

    def elapsed(self, since: float) -> float:
        """Simulated seconds since the real timestamp `since`."""
        return (self.now() - since) * self.speed

    def after(self, sim_seconds: float, callback: Callable[[], None]) -> None:
        """Run `callback` once `sim_seconds` of simulated time have passed."""
        raise NotImplementedError


class ManualClock(Clock):
    """Time that moves only when told to; timers fire in due order.

    `go_live` hands over to wall time: a seed is built in simulated past
    time, then the same clock (which every controller holds) runs live.
    """

    def __init__(self, start: float):
        self._now = start
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None

    def now(self) -> float:
        return time.time() if self._loop else self._now

    def after(self, sim_seconds: float, callback: Callable[[], None]) -> None:
        if self._loop is not None:
            self._loop.call_later(max(0.0, sim_seconds) / self.speed, callback)
            return
        heapq.heappush(self._timers, (self._now + max(0.0, sim_seconds), next(self._seq), callback))

    def go_live(self, speed: float, loop: asyncio.AbstractEventLoop) -> None:
        """From now on: wall time, timers on `loop` scaled by `speed`; pending timers move over."""
        if speed <= 0:
            raise ValueError("speed must be a positive number")
        pending, self._timers = self._timers, []
        self.speed = speed
        self._loop = loop
        for due, _, callback in sorted(pending):
            self.after(due - self._now, callback)

    @property
    def live(self) -> bool:
        return self._loop is not None

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due on the way."""
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, callback = heapq.heappop(self._timers)
            self._now = max(self._now, due)
            callback()
        self._now = target

    def next_due(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def fire_next(self) -> bool:
        """Jump to the earliest timer and run it; False when none is left."""
        if not self._timers:
            return False
        due, _, callback = heapq.heappop(self._timers)
        self._now = max(self._now, due)
        callback()
        return True
