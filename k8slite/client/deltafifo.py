"""The DeltaFIFO between a reflector and an informer: per object key, everything that happened to it.

Mirrors client-go v0.31 ``tools/cache/delta_fifo.go`` (Delta types, ``queueActionLocked``
with ``dedupDeltas``, ``Replace`` with ``DeletedFinalStateUnknown`` tombstones, ``Resync``,
``Pop`` handing over all of a key's deltas at once, ``HasSynced``) and the key functions of
``store.go`` (``MetaNamespaceKeyFunc``, ``DeletionHandlingMetaNamespaceKeyFunc``).

Invariants (as upstream's comments on ``DeltaFIFO``):
- ``items`` maps a key to its deltas, oldest first; every list there has at least one delta.
- ``queue`` holds each key of ``items`` exactly once, in the order the key first arrived
  since it was last popped: more deltas for a queued key never move it back in line.
- Two deletions in a row for a key collapse into one, keeping the one that knows more (a
  real final state beats a ``DeletedFinalStateUnknown``).
- ``populated`` is set by the first Add/Update/Delete/Replace; ``initial_population_count``
  counts the keys of that first Replace (objects and deletions) not yet popped. The queue
  has synced when it is populated and that count is zero.

A worked example (emitting ``Replaced``): the queue holds ``a: [Added a1]``; the indexer
knows ``b``. ``Replace([a2, c1])`` gives ``a: [Added a1, Replaced a2]``, ``c: [Replaced c1]``
and ``b: [Deleted DeletedFinalStateUnknown(b, <b as the indexer has it>)]``: the watch missed
b's deletion while it was disconnected, so its final state is unknown.

Each delta also records the hop that carried it (k8slite's trace), so a handler's work is
traced back to the watch event that caused it.

Simplified: one consumer (the informer's process loop) and no locks, since tasks never run
at the same time; errors are plain exceptions (no ``KeyError`` wrapper); where upstream
ranges over a Go map (Replace's search for vanished keys), this walks the queue, then the
known objects, in order, so tombstones queue deterministically.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, NamedTuple, Optional

from ..sim import Future, Kernel

ADDED = "Added"
UPDATED = "Updated"
DELETED = "Deleted"
REPLACED = "Replaced"       # a relist (Replace) saw the object; it may or may not have changed
SYNC = "Sync"               # a periodic resync re-delivers the object as the cache has it


class DeletedFinalStateUnknown(NamedTuple):
    """An object that vanished while the watch was down: we know it is gone, not its last state.

    ``obj`` is the last state the informer knew (possibly stale), or None.
    """
    key: str
    obj: Any


class Delta(NamedTuple):
    """One change: its type and the object after it (for a deletion, the object before it)."""
    type: str
    object: Any
    cause: Optional[int] = None     # k8slite: the hop that carried the change (None: none known)


class FIFOClosedError(Exception):
    """Pop on a closed, empty queue (ErrFIFOClosed)."""


class Requeue(Exception):
    """Raised by a Pop process function to put the item back (ErrRequeue)."""

    def __init__(self, err: Optional[BaseException] = None):
        super().__init__(str(err) if err else "requeue")
        self.err = err


def meta_namespace_key(obj: dict) -> str:
    """MetaNamespaceKeyFunc: ``namespace/name``, or ``name`` for cluster-scoped objects."""
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else meta["name"]


def deletion_handling_meta_namespace_key(obj: Any) -> str:
    """DeletionHandlingMetaNamespaceKeyFunc: a tombstone's own key, else meta_namespace_key."""
    if obj.__class__ is DeletedFinalStateUnknown:
        return obj.key
    return meta_namespace_key(obj)


def newest(deltas: list) -> Optional[Delta]:
    return deltas[-1] if deltas else None


def oldest(deltas: list) -> Optional[Delta]:
    return deltas[0] if deltas else None


class DeltaFIFO:
    """A queue of object keys; each key carries the deltas accumulated since it was last popped.

    ``known_objects`` (the informer's indexer) answers ``list_keys()`` and ``get_by_key(key)``:
    Replace uses it to find objects that disappeared, Resync to find what to re-deliver, Delete
    to decide whether a deletion is news.
    """

    def __init__(self, kernel: Kernel, key_function: Callable[[Any], str] = meta_namespace_key,
                 known_objects: Any = None, emit_delta_type_replaced: bool = False,
                 transformer: Optional[Callable[[Any], Any]] = None):
        self.kernel = kernel
        self.key_function = key_function
        self.known_objects = known_objects
        self.emit_delta_type_replaced = emit_delta_type_replaced
        self.transformer = transformer
        self.items: dict[str, list[Delta]] = {}
        self.queue: deque = deque()
        self.populated = False
        self.initial_population_count = 0
        self.closed = False
        self._waiter: Optional[Future] = None    # the consumer's Pop, waiting for a key

    def __len__(self) -> int:
        return len(self.queue)

    def key_of(self, obj: Any) -> str:
        """KeyOf: the key of an object, a tombstone, or a list of deltas (its newest object)."""
        if obj.__class__ is list:
            if not obj:
                raise ValueError("0 length Deltas object; can't get key")
            obj = obj[-1].object
        if obj.__class__ is DeletedFinalStateUnknown:
            return obj.key
        return self.key_function(obj)

    def has_synced(self) -> bool:
        """True once an Add/Update/Delete came first, or every key of the first Replace was popped."""
        return self.populated and self.initial_population_count == 0

    # -- producers (the reflector) -----------------------------------------------------------
    def add(self, obj: Any) -> None:
        self.populated = True
        self._queue_action(ADDED, obj)

    def update(self, obj: Any) -> None:
        self.populated = True
        self._queue_action(UPDATED, obj)

    def delete(self, obj: Any) -> None:
        """A Deleted delta, unless neither the queue nor the known objects have the key: then
        it was already reported (a relist's tombstone, say) and is not news."""
        key = self.key_of(obj)
        self.populated = True
        if key not in self.items:
            known = self.known_objects
            if known is None or known.get_by_key(key) is None:
                return
        self._queue_action(DELETED, obj)

    def add_if_not_present(self, deltas: list) -> None:
        """Put popped deltas back, unless the key has been queued again meanwhile."""
        key = self.key_of(deltas)
        self.populated = True
        if key in self.items:
            return
        self.queue.append(key)
        self.items[key] = deltas
        self._broadcast()

    def replace(self, objects: list, resource_version: str = "") -> None:
        """The objects of a (re)list: a Replaced (or Sync) delta each, then a tombstone for
        every key queued or known that the list no longer has."""
        action = REPLACED if self.emit_delta_type_replaced else SYNC
        keys: dict[str, None] = {}
        for obj in objects:
            keys[self.key_of(obj)] = None
            self._queue_action(action, obj)
        queued_deletions = 0
        for key in list(self.queue):                   # upstream ranges over a map; queue order here
            if key in keys:
                continue
            last = self.items[key][-1].object
            if last.__class__ is DeletedFinalStateUnknown:
                last = last.obj
            queued_deletions += 1
            self._queue_action(DELETED, DeletedFinalStateUnknown(key, last))
        known = self.known_objects
        if known is not None:
            for key in known.list_keys():
                if key in keys or key in self.items:
                    continue
                queued_deletions += 1
                self._queue_action(DELETED, DeletedFinalStateUnknown(key, known.get_by_key(key)))
        if not self.populated:
            self.populated = True
            self.initial_population_count = len(keys) + queued_deletions

    def resync(self) -> None:
        """A Sync delta for every known object whose key has nothing queued: a queued change
        will deliver a newer state anyway, and a resync must not overtake it."""
        known = self.known_objects
        if known is None:
            return
        items = self.items
        for key in known.list_keys():
            obj = known.get_by_key(key)
            if obj is None or self.key_of(obj) in items:
                continue
            self._queue_action(SYNC, obj)

    def _queue_action(self, action: str, obj: Any) -> None:
        """queueActionLocked: append a delta to the key's list (queueing the key if new),
        collapsing two deletions in a row."""
        key = self.key_of(obj)
        if self.transformer is not None:
            obj = self.transformer(obj)
        current = self.kernel.current
        delta = Delta(action, obj, current.cause if current is not None else None)
        deltas = self.items.get(key)
        if deltas is None:
            self.items[key] = [delta]
            self.queue.append(key)
        elif action == DELETED and deltas[-1].type == DELETED:
            # isDeletionDup: keep the older deletion unless it is only a tombstone.
            if deltas[-1].object.__class__ is DeletedFinalStateUnknown:
                deltas[-1] = delta
        else:
            deltas.append(delta)
        self._broadcast()

    def _broadcast(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set_result(None)

    # -- reading -----------------------------------------------------------------------------
    def list(self) -> list:
        """The newest object of every queued key, in queue order."""
        return [self.items[key][-1].object for key in self.queue]

    def list_keys(self) -> list[str]:
        return list(self.queue)

    def get_by_key(self, key: str) -> Optional[list]:
        """A copy of the key's deltas, or None."""
        deltas = self.items.get(key)
        return list(deltas) if deltas is not None else None

    def get(self, obj: Any) -> Optional[list]:
        return self.get_by_key(self.key_of(obj))

    # -- the consumer (the informer's process loop) --------------------------------------------
    def close(self) -> None:
        self.closed = True
        self._broadcast()

    async def pop(self, process: Callable[[list, bool], None]) -> list:
        """Wait for a key, remove it with all its deltas, and run ``process(deltas, is_in_initial_list)``
        before returning them. ``process`` may raise ``Requeue`` to put them back."""
        while not self.queue:
            if self.closed:
                raise FIFOClosedError("DeltaFIFO: manipulating with closed queue")
            self._waiter = waiter = Future(self.kernel)
            await waiter
        return self.pop_ready(process)

    def pop_ready(self, process: Optional[Callable[[list, bool], None]] = None) -> list:
        """Pop without waiting: the queue must not be empty (tests, and ``pop`` itself)."""
        in_initial_list = not (self.populated and self.initial_population_count == 0)
        key = self.queue.popleft()
        if self.initial_population_count > 0:
            self.initial_population_count -= 1
        deltas = self.items.pop(key)
        if process is not None:
            try:
                process(deltas, in_initial_list)
            except Requeue as requeue:
                self.add_if_not_present(deltas)
                if requeue.err is not None:
                    raise requeue.err
        return deltas
