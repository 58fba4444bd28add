"""The workqueue controllers pull keys from: de-duplicated, one worker per key, rate-limited.

Mirrors client-go v0.31 ``util/workqueue/queue.go`` (dirty and processing sets),
``delaying_queue.go`` (AddAfter: a key waits at most once, for the earliest time asked) and
``default_rate_limiters.go``
(DefaultControllerRateLimiter: the larger of an ItemExponentialFailureRateLimiter,
5 ms doubling up to 1000 s per key, and an overall BucketRateLimiter of 10 requeues
per second with a burst of 100).

Invariants (as upstream's comments on ``queue.go``):
- ``_dirty`` holds every key that needs processing; a key is in ``_queue`` only if it
  is dirty and not being processed.
- ``_processing`` holds keys a worker has taken and not yet marked ``done``; a key
  added while processing stays dirty and is queued again by ``done``.
- ``_waiting`` holds each key added with a delay that is not yet due, once, with the
  earliest ready time asked for (``waitingForQueue``/``insert``): a later ``add_after`` for
  a waiting key only ever brings it forward. A due key is ``add``-ed, which is a no-op
  while it is still dirty.
- Each key remembers the hop that first made it dirty (its cause), so a trace can
  follow a watch event through the queue to what the worker does.

Simplified: no metrics; one kernel timer per waiting key instead of the waiting loop's
heap and 10 s heartbeat.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Optional

from ..sim import Future, Kernel


class WorkQueue:
    def __init__(self, kernel: Kernel, name: str, base_delay: float = 0.005, max_delay: float = 1000.0,
                 qps: float = 10.0, burst: int = 100):
        self.kernel, self.name = kernel, name
        self.base_delay, self.max_delay = base_delay, max_delay
        self.qps, self.burst = qps, burst
        self._tokens, self._refilled = float(burst), kernel.now   # the bucket: rate.NewLimiter(qps, burst)
        self._queue: deque = deque()
        self._dirty: dict[Any, Optional[int]] = {}      # key -> cause
        self._processing: dict[Any, None] = {}
        self._waiters: deque = deque()
        self._failures: dict[Any, int] = {}
        self._waiting: dict[Any, tuple] = {}      # key -> (ready at, timer handle); one entry per key
        self.shutting_down = False

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: Any, cause: Any = -1) -> None:
        if self.shutting_down or key in self._dirty:
            return
        if cause == -1:
            current = self.kernel.current
            cause = current.cause if current is not None else None
        self._dirty[key] = cause
        if key in self._processing:
            return
        self._queue.append(key)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._queue:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._take())

    def _take(self) -> tuple[Any, Optional[int]]:
        key = self._queue.popleft()
        cause = self._dirty.pop(key)
        self._processing[key] = None
        return key, cause

    def get(self) -> Future:
        """A future of ``(key, cause)``; the worker sets its task's cause from it."""
        fut = self.kernel.future()
        if self._queue:
            fut.set_result(self._take())
        else:
            self._waiters.append(fut)
        return fut

    def done(self, key: Any) -> None:
        self._processing.pop(key, None)
        if key in self._dirty:
            self._queue.append(key)
            self._wake()

    def add_after(self, key: Any, delay: float) -> None:
        """AddAfter: add ``key`` once ``delay`` has passed; a key already waiting keeps the earlier time."""
        if self.shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self.kernel.now + delay
        waiting = self._waiting.get(key)
        if waiting is not None:
            if waiting[0] <= ready_at:
                return
            waiting[1].cancel()
        current = self.kernel.current
        cause = current.cause if current is not None else None
        self._waiting[key] = (ready_at, self.kernel.call_later(delay, self._ready, (key, cause)))

    def _ready(self, item: tuple) -> None:
        key, cause = item
        del self._waiting[key]
        self.add(key, cause)

    def add_rate_limited(self, key: Any) -> None:
        """MaxOfRateLimiter.When: the per-key back-off or the shared bucket's wait, whichever is longer."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, max(min(self.base_delay * (2 ** failures), self.max_delay), self._bucket_delay()))

    def _bucket_delay(self) -> float:
        """BucketRateLimiter.When: take a token (refilled at ``qps``, at most ``burst``); wait if in debt."""
        now = self.kernel.now
        self._tokens = min(float(self.burst), self._tokens + (now - self._refilled) * self.qps)
        self._refilled = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: Any) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Any) -> int:
        return self._failures.get(key, 0)

    def shut_down(self) -> None:
        self.shutting_down = True
        for _, handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
