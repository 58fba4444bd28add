"""Informers: a reflector feeds a DeltaFIFO; a process loop keeps an indexed cache and tells the handlers.

Mirrors client-go v0.31 ``tools/cache/shared_informer.go`` (``sharedIndexInformer``:
``HandleDeltas``, ``OnAdd``/``OnUpdate``/``OnDelete``, late handlers, per-handler resync
periods; ``sharedProcessor`` and ``processorListener``), ``controller.go`` (``Controller``:
the reflector and ``processLoop``; ``processDeltas``), ``store.go``/``index.go``/
``thread_safe_store.go`` (the indexer: objects by key plus named indexes, ``namespace``
always), ``synctrack/synctrack.go`` (a handler's own HasSynced) and the generated listers
and ``informers/factory.go``. The reflector is in ``reflector.py``, the queue in
``deltafifo.py``.

The path of one change: the reflector's watch event becomes a delta in the DeltaFIFO
under the object's key; the informer's process loop pops the key with all its deltas,
applies each to the indexer, and distributes a notification (add, update or delete) to
every listener; each listener has its own buffer and task, and calls its handler in
order. A relist arrives as Replaced deltas (an update if the cache had the object) and
``DeletedFinalStateUnknown`` tombstones for what vanished. An update whose
resourceVersion did not change (a resync's Sync delta, or a relist of an unchanged
object) is a *sync* notification: it goes only to listeners whose resync is due.

Resync periods, as upstream: a handler asks for a period (the informer's default unless
given); below 1 s it becomes 1 s. Before the informer starts, a shorter period lowers the
informer's resync check period (the reflector's resync timer) for everyone; after, it is
raised to the check period. An informer with no check period never resyncs.

Invariants:
- The indexer holds each key's newest state the process loop has popped; a handler's
  notification is always applied to the indexer first.
- A listener delivers its notifications one at a time, in the order distributed; its
  ``pending`` buffer is unbounded (processorListener's ring buffer).
- ``SharedProcessor.listeners`` maps each listener, in registration order, to whether it
  takes sync notifications now (every listener starts syncing, as upstream).

Handlers: ``on_add(obj)``, ``on_update(old, new)``, ``on_delete(obj)``. Every caller in k8slite
reads ``on_delete``'s argument as the object, so a ``DeletedFinalStateUnknown`` is unwrapped
to the last state it carries (and a tombstone without one is not delivered); a handler
added with ``tombstones=True`` gets the tombstone itself, as client-go's handlers do.

Simplified: handlers run as tasks of the kernel rather than goroutines, with no panic
recovery; no mutation detector, transform or watch-list; ``on_add`` is not told
``isInInitialList``.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Optional

from ..api.labels import Selector
from ..api.scheme import ResourceInfo
from ..sim import Future, Kernel
from .deltafifo import (DELETED, DeletedFinalStateUnknown, DeltaFIFO, deletion_handling_meta_namespace_key,
                        meta_namespace_key)
from .reflector import ListWatch, Reflector
from .rest import Client

__all__ = ["DeletedFinalStateUnknown", "Indexer", "Lister", "SharedIndexInformer", "SharedInformerFactory",
           "meta_namespace_key"]

NAMESPACE_INDEX = "namespace"          # cache.NamespaceIndex
MINIMUM_RESYNC_PERIOD = 1.0            # minimumResyncPeriod
SYNCED_POLL_PERIOD = 0.1               # syncedPollPeriod

ADD, UPDATE, DELETE = 0, 1, 2          # the three notifications


def meta_namespace_index_func(obj: dict) -> list:
    """MetaNamespaceIndexFunc: an object's namespace ("" for cluster-scoped ones)."""
    return [obj["metadata"].get("namespace", "")]


# -- the indexer (store.go, index.go, thread_safe_store.go) -------------------------------------
class Indexer:
    """Objects by key, plus named indexes: ``indices[name][value]`` holds the keys whose objects
    the index function maps to ``value`` (an insertion-ordered dict used as a set).

    Order: ``list`` and ``by_index`` give objects in the order their keys first arrived (an
    update keeps its place); upstream's Go maps promise no order at all.
    """

    def __init__(self, indexers: Optional[dict[str, Callable[[dict], list]]] = None,
                 key_func: Callable[[Any], str] = deletion_handling_meta_namespace_key):
        self.key_func = key_func
        self.items: dict[str, dict] = {}
        self.indexers: dict[str, Callable[[dict], list]] = {NAMESPACE_INDEX: meta_namespace_index_func}
        self.indexers.update(indexers or {})
        self.indices: dict[str, dict[str, dict[str, None]]] = {name: {} for name in self.indexers}

    def __len__(self) -> int:
        return len(self.items)

    def _update_indices(self, old: Optional[dict], new: Optional[dict], key: str) -> None:
        """updateIndices: move ``key`` from ``old``'s index values to ``new``'s (either may be None)."""
        indices = self.indices
        for name, fn in self.indexers.items():
            old_values = fn(old) if old is not None else ()
            new_values = fn(new) if new is not None else ()
            if len(new_values) == 1 and len(old_values) == 1 and new_values[0] == old_values[0]:
                continue                      # the common case: one value, unchanged
            index = indices[name]
            for value in old_values:
                bucket = index.get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del index[value]
            for value in new_values:
                bucket = index.get(value)
                if bucket is None:
                    index[value] = {key: None}
                else:
                    bucket[key] = None

    # Store
    def add(self, obj: dict) -> None:
        self.update(obj)

    def update(self, obj: dict) -> None:
        key = self.key_func(obj)
        old = self.items.get(key)
        self.items[key] = obj
        self._update_indices(old, obj, key)

    def put(self, obj: dict) -> Optional[dict]:
        """Add or update; returns the object it replaced (k8slite's shorthand)."""
        key = self.key_func(obj)
        old = self.items.get(key)
        self.items[key] = obj
        self._update_indices(old, obj, key)
        return old

    def delete(self, obj: Any) -> Optional[dict]:
        """Delete by the object's key (a tombstone's own key); returns what was there."""
        key = self.key_func(obj)
        old = self.items.pop(key, None)
        if old is not None:
            self._update_indices(old, None, key)
        return old

    def get(self, key: str) -> Optional[dict]:
        """The object under ``key`` (upstream's GetByKey; ``Get`` takes an object there)."""
        return self.items.get(key)

    def get_by_key(self, key: str) -> Optional[dict]:
        return self.items.get(key)

    def list(self) -> list[dict]:
        return list(self.items.values())

    def list_keys(self) -> list[str]:
        return list(self.items)

    def replace(self, objects: list[dict], resource_version: str = "") -> None:
        """Replace everything and rebuild the indexes."""
        self.items = {self.key_func(obj): obj for obj in objects}
        self.indices = {name: {} for name in self.indexers}
        for key, obj in self.items.items():
            self._update_indices(None, obj, key)

    def resync(self) -> None:
        """A no-op, as upstream's."""

    # Indexer
    def index(self, name: str, obj: dict) -> list[dict]:
        """The objects sharing any of ``obj``'s values in index ``name``."""
        index = self._index(name)
        keys: dict[str, None] = {}
        for value in self.indexers[name](obj):
            keys.update(index.get(value, {}))
        return [self.items[k] for k in keys]

    def index_keys(self, name: str, value: str) -> list[str]:
        return list(self._index(name).get(value, ()))

    def list_index_func_values(self, name: str) -> list[str]:
        return list(self._index(name))

    def by_index(self, name: str, value: str) -> list[dict]:
        items = self.items
        return [items[k] for k in self._index(name).get(value, ())]

    def _index(self, name: str) -> dict:
        index = self.indices.get(name)
        if index is None:
            raise KeyError(f"Index with name {name} does not exist")
        return index

    def get_indexers(self) -> dict:
        return dict(self.indexers)

    def add_indexers(self, indexers: dict[str, Callable[[dict], list]]) -> None:
        """AddIndexers: new names only (an existing name is a conflict); existing items are indexed."""
        conflict = sorted(set(indexers) & set(self.indexers))
        if conflict:
            raise ValueError(f"indexer conflict: {conflict}")
        for name, fn in indexers.items():
            self._set_indexer(name, fn)

    def add_indexer(self, name: str, fn: Callable[[dict], list]) -> None:
        """One index, replacing any of the same name (k8slite's shorthand for controllers sharing
        an informer and needing the same index)."""
        self._set_indexer(name, fn)

    def _set_indexer(self, name: str, fn: Callable[[dict], list]) -> None:
        self.indexers[name] = fn
        index: dict = {}
        self.indices[name] = index
        for key, obj in self.items.items():
            for value in fn(obj):
                index.setdefault(value, {})[key] = None


class Lister:
    """Read-only view of an informer's cache, as the generated listers (``Get``, ``List``,
    ``Pods(namespace).List(selector)``)."""

    def __init__(self, indexer: Indexer):
        self.indexer = indexer

    def get(self, namespace: str, name: str) -> Optional[dict]:
        return self.indexer.items.get(f"{namespace}/{name}" if namespace else name)

    def list(self, namespace: Optional[str] = None, selector: Optional[Selector] = None) -> list[dict]:
        items = self.indexer.list() if namespace is None else self.indexer.by_index(NAMESPACE_INDEX, namespace)
        if selector is not None:
            items = [o for o in items if selector.matches(o["metadata"].get("labels"))]
        return items


# -- the processor (shared_informer.go) --------------------------------------------------------
class ProcessorListener:
    """processorListener: one handler, its unbounded buffer and the task that drains it.

    ``requested_resync_period`` is what the handler asked for (after the 1 s floor);
    ``resync_period`` is what it gets (0 when the informer does not resync);
    ``next_resync`` is the earliest time of its next resync.
    """

    def __init__(self, informer: "SharedIndexInformer", on_add: Optional[Callable], on_update: Optional[Callable],
                 on_delete: Optional[Callable], requested_resync_period: float, resync_period: float,
                 tombstones: bool = False):
        self.informer = informer
        self.kernel = informer.kernel
        self.on_add, self.on_update, self.on_delete = on_add, on_update, on_delete
        self.tombstones = tombstones
        self.requested_resync_period = requested_resync_period
        self.resync_period = resync_period
        self.next_resync = self.kernel.now + resync_period
        self.pending: deque = deque()       # (kind, old, new, cause, is_in_initial_list)
        self.initial_pending = 0            # SingleFileTracker: initial-list adds not yet handled
        self.delivered = 0
        self.task = None
        self._waiter: Optional[Future] = None

    def has_synced(self) -> bool:
        """The registration's HasSynced: the informer has synced and this handler has seen its initial list."""
        return self.initial_pending == 0 and self.informer.has_synced()

    def add(self, notification: tuple) -> None:
        if notification[4]:
            self.initial_pending += 1
        self.pending.append(notification)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set_result(None)

    def start(self, owner: Optional[str]) -> None:
        if self.task is None:
            self.task = self.kernel.spawn(self.run(), f"listener {self.informer.info.resource}", cause=None,
                                          owner=owner)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        kernel, pending = self.kernel, self.pending
        task = kernel.current
        while True:
            if not pending:
                self._waiter = waiter = Future(kernel)
                await waiter
                continue
            kind, old, new, cause, initial = pending.popleft()
            task.cause = cause
            self.delivered += 1
            if kind == UPDATE:
                if self.on_update is not None:
                    self.on_update(old, new)
            elif kind == ADD:
                if self.on_add is not None:
                    self.on_add(new)
                if initial:
                    self.initial_pending -= 1
            elif self.on_delete is not None:
                if new.__class__ is DeletedFinalStateUnknown and not self.tombstones:
                    new = new.obj
                if new is not None:
                    self.on_delete(new)
            task.cause = None

    def should_resync(self, now: float) -> bool:
        return self.resync_period != 0 and now >= self.next_resync

    def determine_next_resync(self, now: float) -> None:
        self.next_resync = now + self.resync_period


def determine_resync_period(desired: float, check: float) -> float:
    """determineResyncPeriod: none if not asked for or the informer does not resync; at least ``check``."""
    if desired == 0 or check == 0:
        return 0.0
    return max(desired, check)


class SharedProcessor:
    """sharedProcessor: notifications to every listener; sync ones only to those due a resync."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.listeners: dict[ProcessorListener, bool] = {}   # listener -> syncing, in registration order
        self.owner: Optional[str] = None
        self.started = False

    def add_listener(self, listener: ProcessorListener) -> ProcessorListener:
        self.listeners[listener] = True
        if self.started:
            listener.start(self.owner)
        return listener

    def remove_listener(self, listener: ProcessorListener) -> None:
        if self.listeners.pop(listener, None) is not None:
            listener.stop()

    def distribute(self, notification: tuple, sync: bool) -> None:
        if not sync:
            for listener in self.listeners:
                listener.add(notification)
        else:
            for listener, syncing in self.listeners.items():
                if syncing:
                    listener.add(notification)

    def run(self, owner: Optional[str]) -> None:
        self.owner, self.started = owner, True
        for listener in self.listeners:
            listener.start(owner)

    def should_resync(self) -> bool:
        """Mark which listeners are due (and schedule their next); true if any is."""
        now = self.kernel.now
        needed = False
        for listener in self.listeners:
            due = listener.should_resync(now)
            self.listeners[listener] = due
            if due:
                needed = True
                listener.determine_next_resync(now)
        return needed

    def resync_check_period_changed(self, check: float) -> None:
        for listener in self.listeners:
            listener.resync_period = determine_resync_period(listener.requested_resync_period, check)


# -- the controller (controller.go) ------------------------------------------------------------
class Controller:
    """controller: a reflector filling the queue, and ``processLoop`` popping it into ``process``."""

    def __init__(self, kernel: Kernel, queue: DeltaFIFO, lister_watcher: ListWatch,
                 process: Callable[[list, bool], None], full_resync_period: float = 0.0,
                 should_resync: Optional[Callable[[], bool]] = None, name: str = ""):
        self.kernel, self.queue, self.process = kernel, queue, process
        self.reflector = Reflector(kernel, lister_watcher, queue, name, full_resync_period, should_resync)
        self.tasks: list = []

    def run(self, owner: Optional[str]) -> None:
        if not self.tasks:
            name = self.reflector.name
            self.tasks = [self.kernel.spawn(self.reflector.run(), name, cause=None, owner=owner),
                          self.kernel.spawn(self.process_loop(), f"processLoop {name}", cause=None, owner=owner)]

    async def process_loop(self) -> None:
        queue, process = self.queue, self.process
        while True:
            await queue.pop(process)

    def has_synced(self) -> bool:
        return self.queue.has_synced()

    def last_sync_resource_version(self) -> str:
        return self.reflector.last_sync_resource_version


# -- the shared index informer -----------------------------------------------------------------
class SharedIndexInformer:
    """One list-watch of a resource (in one namespace, with selectors) shared by any number of handlers."""

    def __init__(self, kernel: Kernel, client: Client, info: ResourceInfo, namespace: str = "",
                 label_selector: str = "", field_selector: str = "", resync_period: float = 0.0,
                 indexers: Optional[dict[str, Callable[[dict], list]]] = None):
        self.kernel, self.client, self.info = kernel, client, info
        self.namespace, self.label_selector, self.field_selector = namespace, label_selector, field_selector
        self.indexer = Indexer(indexers)
        self.lister = Lister(self.indexer)
        self.processor = SharedProcessor(kernel)
        self.lister_watcher = ListWatch(client, info, namespace, label_selector, field_selector)
        self.resync_check_period = resync_period
        self.default_event_handler_resync_period = resync_period
        self.controller: Optional[Controller] = None
        self.started = False

    # -- handlers -------------------------------------------------------------------------------
    def add_event_handler(self, on_add: Optional[Callable] = None, on_update: Optional[Callable] = None,
                          on_delete: Optional[Callable] = None, *, tombstones: bool = False) -> ProcessorListener:
        """AddEventHandler with the informer's default resync period; returns the registration."""
        return self.add_event_handler_with_resync_period(on_add, on_update, on_delete,
                                                         self.default_event_handler_resync_period,
                                                         tombstones=tombstones)

    def add_event_handler_with_resync_period(self, on_add: Optional[Callable], on_update: Optional[Callable],
                                             on_delete: Optional[Callable], resync_period: float, *,
                                             tombstones: bool = False) -> ProcessorListener:
        if resync_period > 0:
            resync_period = max(resync_period, MINIMUM_RESYNC_PERIOD)
            if resync_period < self.resync_check_period:
                if self.started:
                    resync_period = self.resync_check_period
                else:
                    self.resync_check_period = resync_period
                    self.processor.resync_check_period_changed(resync_period)
        listener = ProcessorListener(self, on_add, on_update, on_delete, resync_period,
                                     determine_resync_period(resync_period, self.resync_check_period), tombstones)
        self.processor.add_listener(listener)
        if self.started:         # a late handler: the current cache as adds of the initial list
            for obj in self.indexer.list():
                listener.add((ADD, None, obj, None, True))
        return listener

    def remove_event_handler(self, registration: ProcessorListener) -> None:
        self.processor.remove_listener(registration)

    # -- running --------------------------------------------------------------------------------
    def run(self, owner: str) -> None:
        if self.started:
            return
        self.started = True
        fifo = DeltaFIFO(self.kernel, known_objects=self.indexer, emit_delta_type_replaced=True)
        self.controller = Controller(self.kernel, fifo, self.lister_watcher, self.handle_deltas,
                                     self.resync_check_period, self.processor.should_resync,
                                     f"reflector {self.info.resource}")
        self.processor.run(owner)
        self.controller.run(owner)

    def has_synced(self) -> bool:
        """The first list is in the cache (every key of its Replace has been popped)."""
        return self.controller is not None and self.controller.has_synced()

    @property
    def reflector(self) -> Optional[Reflector]:
        return self.controller.reflector if self.controller is not None else None

    @property
    def last_sync_resource_version(self) -> str:
        return self.controller.last_sync_resource_version() if self.controller is not None else ""

    @property
    def relists(self) -> int:
        return self.controller.reflector.relists if self.controller is not None else 0

    def handle_deltas(self, deltas: list, is_in_initial_list: bool) -> None:
        """HandleDeltas/processDeltas: each delta, oldest first, into the indexer, then to the listeners."""
        indexer, distribute = self.indexer, self.processor.distribute
        items, key_func, update_indices = indexer.items, indexer.key_func, indexer._update_indices
        for delta in deltas:
            obj = delta.object
            if delta.type == DELETED:
                indexer.delete(obj)
                distribute((DELETE, None, obj, delta.cause, False), False)
                continue
            key = key_func(obj)
            old = items.get(key)
            items[key] = obj                  # Indexer.update, with the key computed once
            update_indices(old, obj, key)
            if old is None:
                distribute((ADD, None, obj, delta.cause, is_in_initial_list), False)
            else:
                # OnUpdate: an unchanged resourceVersion is a resync, only for listeners due one.
                same = old["metadata"].get("resourceVersion") == obj["metadata"].get("resourceVersion")
                distribute((UPDATE, old, obj, delta.cause, False), same)


class SharedInformerFactory:
    """One informer per (resource, namespace, selectors), started together (informers/factory.go)."""

    def __init__(self, kernel: Kernel, client: Client, owner: str, default_resync: float = 0.0):
        self.kernel, self.client, self.owner = kernel, client, owner
        self.default_resync = default_resync
        self.informers: dict[tuple, SharedIndexInformer] = {}

    def informer(self, info: ResourceInfo, namespace: str = "", label_selector: str = "",
                 field_selector: str = "") -> SharedIndexInformer:
        key = (info.group, info.resource, namespace, label_selector, field_selector)
        if key not in self.informers:
            self.informers[key] = SharedIndexInformer(self.kernel, self.client, info, namespace,
                                                      label_selector, field_selector, self.default_resync)
        return self.informers[key]

    def start(self) -> None:
        """Start every informer not yet started."""
        for informer in self.informers.values():
            informer.run(self.owner)

    def has_synced(self) -> bool:
        return all(i.has_synced() for i in self.informers.values())

    async def wait_for_cache_sync(self, poll: float = SYNCED_POLL_PERIOD) -> None:
        """WaitForCacheSync: poll every 100 ms until every informer has synced."""
        while not self.has_synced():
            await self.kernel.sleep(poll)
