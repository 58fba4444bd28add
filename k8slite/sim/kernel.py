"""The virtual-time kernel: deterministic tasks, futures, timers and queues.

Mirrors no Kubernetes source; it is the world the components live in. In the spirit
of SimPy's ``core.py`` and asyncio's event loop, but with virtual time only and no
asyncio, so a notebook (itself inside asyncio) and Pyodide can drive it freely.

Invariants:
- Time moves only when nothing is ready at the current instant.
- Callbacks at the same virtual time run in the order they were scheduled: zero-delay
  work goes to the FIFO ``_ready``; delayed work goes to the heap keyed by
  ``(time, sequence)`` and moves to ``_ready`` as a block when its time comes.
- One seeded ``random.Random`` (``kernel.rng``) feeds every random choice.

Simplified: no threads and no real I/O; server mode runs the kernel on the wall clock
(``run_realtime``) and feeds requests in from other threads through
``call_soon_threadsafe``. Cancelling a task cancels the plain future it
awaits (a ``Queue.get``, a reply), never a task it awaits: that task may belong
to another component.
"""
from __future__ import annotations

import heapq
import random
import threading
import time
import types
from collections import deque
from heapq import heappush
from typing import Any, Callable, Coroutine, Optional

PENDING, DONE, FAILED, CANCELLED = 0, 1, 2, 3


class Cancelled(BaseException):
    """Thrown into a task that was cancelled (a BaseException, like asyncio's)."""


class Timeout(Exception):
    """An awaited operation did not finish within its deadline."""


class TaskFailed(Exception):
    """A task died of an exception nobody awaited; raised out of ``Kernel.run``."""


class Future:
    """A value that will exist later. Await it from a task."""

    __slots__ = ("kernel", "state", "_value", "_callbacks")

    def __init__(self, kernel: "Kernel"):
        self.kernel = kernel
        self.state = PENDING
        self._value: Any = None
        # Done-callbacks: None (nobody has asked for the outcome), one callable (the
        # common case, a single waiting task), or a list of them in the order added.
        self._callbacks: Any = None

    def done(self) -> bool:
        return self.state != PENDING

    def result(self) -> Any:
        if self.state == DONE:
            return self._value
        if self.state == PENDING:
            raise RuntimeError("future is not done")
        if self.state == CANCELLED:
            raise Cancelled()
        raise self._value

    def exception(self) -> Optional[BaseException]:
        return self._value if self.state == FAILED else None

    def set_result(self, value: Any = None) -> None:
        if self.state == PENDING:
            self.state, self._value = DONE, value
            callbacks = self._callbacks
            if callbacks is not None:
                if callbacks.__class__ is list:
                    self._fire()
                else:                    # one waiter: the hot way to finish, inlined
                    self._callbacks = None
                    self.kernel._ready.append((callbacks, self))

    def set_exception(self, exc: BaseException) -> None:
        if self.state == PENDING:
            self.state, self._value = FAILED, exc
            self._fire()

    def cancel(self) -> bool:
        """Give up on the outcome: whoever would have set it sees the future done."""
        if self.state != PENDING:
            return False
        self.state = CANCELLED
        self._fire()
        return True

    def add_done_callback(self, fn: Callable[["Future"], None]) -> None:
        """Call ``fn(self)`` when done: soon, never synchronously inside this call."""
        if self.state != PENDING:
            self.kernel._ready.append((fn, self))
        elif self._callbacks is None:
            self._callbacks = fn
        elif self._callbacks.__class__ is list:
            self._callbacks.append(fn)
        else:
            self._callbacks = [self._callbacks, fn]

    def _fire(self) -> None:
        callbacks = self._callbacks
        if callbacks is not None:
            self._callbacks = None
            ready = self.kernel._ready
            if callbacks.__class__ is list:
                for fn in callbacks:
                    ready.append((fn, self))
            else:
                ready.append((callbacks, self))

    def __await__(self):
        if self.state == PENDING:
            yield self                  # the task registers itself; see Task._resume
        if self.state == DONE:
            return self._value
        return self.result()


# What ``Task._waiting`` holds besides a future or a timer's sequence number.
_SOON = object()      # a zero sleep or the first step: a ``_ready`` entry, never on the heap
_CANCEL = object()    # cancel() queued the throw of ``Cancelled``


class Task(Future):
    """A running ``async def`` coroutine. ``cause`` is the hop it is working for."""

    __slots__ = ("coro", "name", "cause", "owner", "_waiting", "_wakeup")

    def __init__(self, kernel: "Kernel", coro: Coroutine, name: str, cause: Optional[int], owner: Optional[str]):
        super().__init__(kernel)
        self.coro = coro
        self.name = name
        self.cause = cause
        self.owner = owner
        # The one thing that may resume this task: the future it awaits, the sequence
        # number (an int) of its sleep's heap entry, _SOON or _CANCEL; None once it is
        # done. Every wake-up carries the key it was armed with; one that finds
        # another key here is stale and does nothing. At most one is live.
        self._waiting: Any = _SOON
        self._wakeup = self._resume      # bound once: armed at every suspension

    def cancel(self) -> bool:
        waiting = self._waiting
        if self.state != PENDING or waiting is _CANCEL:
            return self.state == PENDING
        kernel = self.kernel
        if kernel.current is self:       # cancelling itself: at its next await, not mid-step
            kernel._ready.append((_cancel, self))
            return True
        self._waiting = _CANCEL
        kernel._ready.append((self._wakeup, _CANCEL))
        if waiting.__class__ is int:
            kernel._dead += 1            # its sleep's heap entry is now stale
        elif waiting.__class__ is Future:
            waiting.cancel()             # e.g. a Queue.get: nobody else will take its item
        return True

    def _resume(self, key: Any) -> None:
        """Run the coroutine to its next ``await``; arm the wake-up for what it yielded.

        The whole of one resumption, in one call: the hot path of the kernel.
        """
        if self._waiting is not key:
            if key.__class__ is int:
                self.kernel._dead -= 1   # a cancelled sleep's timer, counted by cancel()
            return
        kernel = self.kernel
        kernel.current = self            # _waiting keeps the old key while it runs
        try:
            if key is _CANCEL:
                yielded = self.coro.throw(Cancelled())
            else:
                yielded = self.coro.send(None)
        except StopIteration as stop:
            self._finish(DONE, stop.value)
            return
        except Cancelled:
            self._finish(CANCELLED, None)
            return
        except BaseException as error:  # noqa: BLE001 - a task's death is data
            self._finish(FAILED, error)
            return
        kernel.current = None
        cls = yielded.__class__
        if cls is float or cls is int:   # kernel.sleep
            if yielded > 0:
                kernel._seq = seq = kernel._seq + 1
                heappush(kernel._heap, (kernel.now + yielded, seq, self._wakeup, seq))
                self._waiting = seq
            else:
                self._waiting = _SOON
                kernel._ready.append((self._wakeup, _SOON))
        elif cls is Future or cls is Task:  # pending: Future.__await__ yields only then
            self._waiting = yielded
            if yielded._callbacks is None:
                yielded._callbacks = self._wakeup
            else:
                yielded.add_done_callback(self._wakeup)
        else:
            raise TypeError(f"task {self.name!r} awaited {yielded!r}, which is not a kernel awaitable")

    def _finish(self, state: int, value: Any) -> None:
        kernel = self.kernel
        kernel.current = None
        self._waiting = None             # any wake-up still queued, even a cancel, is stale
        self.state, self._value = state, value
        unobserved = state == FAILED and self._callbacks is None
        self._fire()
        if self.owner is not None:
            owned = kernel._owned.get(self.owner)
            if owned is not None:
                owned.pop(self, None)
        if unobserved:                   # out of the callback, out of Kernel.run
            raise TaskFailed(f"task {self.name!r} died: {type(value).__name__}: {value}") from value

    def __repr__(self) -> str:
        return f"<Task {self.name}>"


class Handle:
    """A scheduled callback that can be cancelled before it runs."""

    __slots__ = ("fn", "arg", "_kernel")

    def __init__(self, fn, arg, kernel: Optional["Kernel"]):
        self.fn, self.arg = fn, arg
        self._kernel = kernel            # set while its entry is on the heap: cancel counts it dead

    def cancel(self) -> None:
        if self.fn is not None:
            self.fn = None
            if self._kernel is not None:
                self._kernel._dead += 1

    def _run(self, _):
        fn = self.fn
        if fn is None:
            if self._kernel is not None:
                self._kernel._dead -= 1
            return
        self.fn = None                   # ran: a later cancel() is a no-op
        fn(self.arg)


class Queue:
    """An unbounded FIFO: ``put`` never blocks; ``await get()`` waits for an item."""

    __slots__ = ("kernel", "_items", "_getters")

    def __init__(self, kernel: "Kernel"):
        self.kernel = kernel
        self._items: deque = deque()     # non-empty only while no getter is pending
        self._getters: deque = deque()   # get futures, oldest first; a done one was abandoned

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Any) -> None:
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if getter.state == PENDING:  # else abandoned (cancelled): skip it
                getter.set_result(item)
                return
        self._items.append(item)

    def get(self) -> Future:
        fut = Future(self.kernel)
        if self._items:
            fut.set_result(self._items.popleft())
        else:
            self._getters.append(fut)
        return fut

    def get_nowait(self) -> Any:
        return self._items.popleft()


class Kernel:
    """One per cluster. ``now`` is virtual seconds since the cluster's epoch."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = 0.0
        self.current: Optional[Task] = None
        self.steps = 0                         # callbacks run, for benchmarks
        self._heap: list = []                  # (time, seq, fn, arg); seq is unique, so fn is never compared
        self._seq = 0
        self._ready: deque = deque()           # (fn, arg) due now, in schedule order
        # Heap entries (on the heap, or moved to _ready as part of a block) that will do
        # nothing when run: cancelled handles and the timers of cancelled sleeps. Time
        # never moves to one of them: with len(_heap) == _dead nothing live is left.
        self._dead = 0
        self._owned: dict = {}                 # owner -> {task: None}, insertion-ordered
        self._inbox: deque = deque()           # thread-safe hand-over for server mode
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)   # server mode: wakes run_realtime when work comes in

    # -- scheduling ---------------------------------------------------------
    def _at(self, delay: float, fn, arg) -> None:
        if delay <= 0:
            self._ready.append((fn, arg))
        else:
            self._seq += 1
            heappush(self._heap, (self.now + delay, self._seq, fn, arg))

    def call_later(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> Handle:
        handle = Handle(fn, arg, self if delay > 0 else None)
        self._at(delay, handle._run, None)
        return handle

    def call_soon_threadsafe(self, fn: Callable[[Any], None], arg: Any = None) -> None:
        with self._lock:
            self._inbox.append((fn, arg))
            self._wake.notify()

    def spawn(self, coro: Coroutine, name: str = "", cause: Optional[int] = -1, owner: Optional[str] = None) -> Task:
        """Start a task now (it first runs after the caller yields).

        ``cause`` defaults to the spawning task's; ``owner`` groups tasks so that a
        crash can cancel everything a component runs.
        """
        if cause == -1:
            cause = self.current.cause if self.current is not None else None
        if owner is None and self.current is not None:
            owner = self.current.owner
        task = Task(self, coro, name or getattr(coro, "__name__", "task"), cause, owner)
        if owner is not None:
            self._owned.setdefault(owner, {})[task] = None
        self._ready.append((task._wakeup, _SOON))
        return task

    def cancel_owned(self, owner: str) -> int:
        """Cancel every task of ``owner`` (a crash). Returns how many were cancelled."""
        tasks = self._owned.pop(owner, {})
        count = 0
        for task in list(tasks):
            task.owner = None
            count += task.cancel()
        return count

    # -- awaitables -----------------------------------------------------------
    @types.coroutine
    def sleep(self, delay: float):
        """``await kernel.sleep(d)``: the task yields the delay, and re-arms itself on the heap."""
        yield delay

    def future(self) -> Future:
        return Future(self)

    def queue(self) -> Queue:
        return Queue(self)

    def timeout(self, awaitable, delay: float, message: str = "timed out") -> Future:
        """A future that takes ``awaitable``'s outcome, or fails with ``Timeout``.

        When the time is up, a task spawned here for a coroutine is cancelled and a
        plain future is abandoned (cancelled); a task passed in keeps running.
        """
        inner = awaitable if isinstance(awaitable, Future) else self.spawn(_wrap(awaitable), "timeout")
        outer = Future(self)

        def expire(_) -> None:
            outer.set_exception(Timeout(message))
            if inner is not awaitable or type(inner) is Future:
                inner.cancel()

        def copy(f: Future) -> None:
            timer.cancel()
            if f.state == DONE:
                outer.set_result(f._value)
            elif f.state == FAILED:
                outer.set_exception(f._value)
            else:
                outer.set_exception(Cancelled())
        timer = self.call_later(delay, expire)
        inner.add_done_callback(copy)
        return outer

    # -- running --------------------------------------------------------------
    def _drain_inbox(self) -> None:
        with self._lock:
            self._ready.extend(self._inbox)
            self._inbox.clear()

    def _loop(self, limit: float, stop: Future) -> None:
        """Run callbacks due at or before ``limit`` until ``stop`` is done or nothing live is left.

        The thread-safe inbox is drained whenever nothing is ready.
        """
        ready, heap, inbox = self._ready, self._heap, self._inbox
        popleft, append, heappop = ready.popleft, ready.append, heapq.heappop
        steps = 0
        try:
            while stop.state == PENDING:
                if ready:
                    fn, arg = popleft()
                elif inbox:
                    self._drain_inbox()
                    continue
                elif len(heap) == self._dead or heap[0][0] > limit:
                    break
                else:
                    when, _, fn, arg = heappop(heap)
                    self.now = when
                    if heap and heap[0][0] == when:     # a block due at one instant: all of it goes first
                        append((fn, arg))
                        while heap and heap[0][0] == when:
                            _, _, fn, arg = heappop(heap)
                            append((fn, arg))
                        fn, arg = popleft()
                steps += 1
                fn(arg)
        finally:
            self.steps += steps

    def run(self, until: Optional[float] = None, seconds: Optional[float] = None) -> None:
        """Advance virtual time to ``until`` (or by ``seconds``), running everything due.

        With neither, run until nothing live is left; time stops at the last live event.
        """
        if seconds is not None:
            until = self.now + seconds
        self._loop(float("inf") if until is None else until, _NEVER)
        if until is not None and until > self.now:
            self.now = until

    def run_until_complete(self, fut, limit: float = 3600.0) -> Any:
        """Drive the kernel until ``fut`` (a future or coroutine) is done; return its result.

        Its exception is raised here, as itself.
        """
        if not isinstance(fut, Future):
            fut = self.spawn(_wrap(fut), "main", cause=None)
        if fut._callbacks is None:
            fut._callbacks = []          # its outcome is asked for: a failure is not TaskFailed
        self._loop(self.now + limit, fut)
        if fut.state == PENDING:
            raise Timeout(f"not done after {limit:g} virtual seconds")
        return fut.result()

    def run_realtime(self, stop: threading.Event, speed: float = 1.0, origin: Optional[float] = None) -> None:
        """Follow the wall clock until ``stop`` is set (server mode).

        Virtual time becomes ``origin + speed * (wall seconds since the call)``
        (``origin`` defaults to now; a later origin makes the kernel catch up first).
        Between due events the thread sleeps, woken early by ``call_soon_threadsafe``.
        """
        wall0 = time.monotonic()
        virtual0 = self.now if origin is None else origin
        while not stop.is_set():
            target = virtual0 + speed * (time.monotonic() - wall0)
            self._loop(target, _NEVER)
            if target > self.now:
                self.now = target
            heap = self._heap
            wait = 0.05
            if len(heap) > self._dead:
                wait = min(wait, max(0.0, (heap[0][0] - self.now) / speed))
            with self._wake:
                if not self._inbox and not self._ready:
                    self._wake.wait(wait)

    def pending(self) -> int:
        """Callbacks scheduled that will still do something (cancelled timers excluded)."""
        return len(self._ready) + len(self._heap) - self._dead


_NEVER = Future(None)       # the stop future of an open-ended run: never done


def _cancel(task: Task) -> None:
    task.cancel()


async def _wrap(awaitable):
    return await awaitable
