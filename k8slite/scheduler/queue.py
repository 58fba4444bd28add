"""The scheduling queue: active (a priority heap), back-off, and unschedulable pods.

Mirrors kubernetes v1.31 ``pkg/scheduler/internal/queue/scheduling_queue.go``
(PriorityQueue: activeQ ordered by PrioritySort, i.e. priority then the time the pod
was queued; a pod that failed waits out its back-off, 1 s doubling to 10 s; pods
found unschedulable wait in ``unschedulablePods`` until a cluster event that might
help moves them back, or 5 minutes pass).

Invariants: a pod key is in at most one of ``_active`` (via ``_in_active``), ``_backoff``
and ``_unschedulable``; a heap entry whose sequence no longer matches ``_in_active``
is stale and skipped.

Simplified: every node or pod-deletion event moves all unschedulable pods (upstream
asks each plugin's QueueingHint whether the event could help).
"""
from __future__ import annotations

import heapq
from typing import Optional

from ..sim import Future, Kernel

INITIAL_BACKOFF, MAX_BACKOFF = 1.0, 10.0
MAX_IN_UNSCHEDULABLE = 300.0


class QueuedPodInfo:
    __slots__ = ("key", "pod", "timestamp", "attempts", "cause", "unschedulable_since")

    def __init__(self, key: str, pod: dict, timestamp: float, cause: Optional[int]):
        self.key, self.pod, self.timestamp, self.cause = key, pod, timestamp, cause
        self.attempts = 0
        self.unschedulable_since = 0.0


class SchedulingQueue:
    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self._heap: list = []                      # (-priority, timestamp, seq, key)
        self._in_active: dict[str, int] = {}       # key -> seq of its live heap entry
        self._infos: dict[str, QueuedPodInfo] = {}
        self._backoff: dict[str, float] = {}       # key -> back-off expiry
        self._unschedulable: dict[str, None] = {}
        self._waiters: list[Future] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._in_active)

    def add(self, key: str, pod: dict, cause: Optional[int]) -> None:
        info = self._infos.get(key)
        if info is None:
            info = self._infos[key] = QueuedPodInfo(key, pod, self.kernel.now, cause)
        else:
            info.pod = pod
            if key in self._unschedulable or key in self._backoff:
                return
        self._activate(info)

    def update(self, key: str, pod: dict, cause: Optional[int]) -> None:
        info = self._infos.get(key)
        if info is None:
            self.add(key, pod, cause)
            return
        info.pod = pod
        if key in self._unschedulable:         # an updated pod may now fit: try again
            del self._unschedulable[key]
            info.cause = cause
            self._to_backoff_or_active(info)

    def delete(self, key: str) -> None:
        self._infos.pop(key, None)
        self._in_active.pop(key, None)
        self._backoff.pop(key, None)
        self._unschedulable.pop(key, None)

    def _activate(self, info: QueuedPodInfo) -> None:
        self._seq += 1
        priority = info.pod["spec"].get("priority") or 0
        heapq.heappush(self._heap, (-priority, info.timestamp, self._seq, info.key))
        self._in_active[info.key] = self._seq
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                break

    def _backoff_duration(self, info: QueuedPodInfo) -> float:
        return min(INITIAL_BACKOFF * 2 ** max(info.attempts - 1, 0), MAX_BACKOFF)

    def _to_backoff_or_active(self, info: QueuedPodInfo) -> None:
        expiry = info.timestamp + self._backoff_duration(info)
        if expiry <= self.kernel.now:
            self._activate(info)
        else:
            self._backoff[info.key] = expiry
            self.kernel.call_later(expiry - self.kernel.now, self._flush_backoff, info.key)

    def _flush_backoff(self, key: str) -> None:
        if key in self._backoff and self._backoff[key] <= self.kernel.now:
            del self._backoff[key]
            info = self._infos.get(key)
            if info is not None:
                self._activate(info)

    async def pop(self) -> QueuedPodInfo:
        while True:
            while self._heap:
                _, _, seq, key = heapq.heappop(self._heap)
                if self._in_active.get(key) == seq:
                    del self._in_active[key]
                    info = self._infos[key]
                    info.attempts += 1
                    return info
            waiter = self.kernel.future()
            self._waiters.append(waiter)
            await waiter

    def add_unschedulable(self, info: QueuedPodInfo, backoff_only: bool = False) -> None:
        """After a failed attempt: wait for an event (unschedulable) or just the back-off (error)."""
        if info.key not in self._infos:
            return
        info.timestamp = self.kernel.now
        if backoff_only:
            self._to_backoff_or_active(info)
        else:
            info.unschedulable_since = self.kernel.now
            self._unschedulable[info.key] = None
            self.kernel.call_later(MAX_IN_UNSCHEDULABLE, self._flush_unschedulable, info.key)

    def _flush_unschedulable(self, key: str) -> None:
        info = self._infos.get(key)
        if key in self._unschedulable and info is not None and \
                self.kernel.now - info.unschedulable_since >= MAX_IN_UNSCHEDULABLE:
            del self._unschedulable[key]
            self._to_backoff_or_active(info)

    def move_all_to_active_or_backoff(self, cause: Optional[int]) -> None:
        """A cluster event that could make pods schedulable (MoveAllToActiveOrBackoffQueue)."""
        for key in list(self._unschedulable):
            del self._unschedulable[key]
            info = self._infos[key]
            info.cause = cause
            self._to_backoff_or_active(info)

    def done(self, key: str) -> None:
        """The pod was bound: forget it."""
        self._infos.pop(key, None)

    def pending(self) -> dict[str, int]:
        return {"active": len(self._in_active), "backoff": len(self._backoff),
                "unschedulable": len(self._unschedulable)}
