"""Informers: list once, then watch, keep a local indexed cache, and call handlers.

Mirrors client-go v0.31 ``tools/cache/reflector.go`` (ListAndWatch: list at
resourceVersion "0", watch from the list's version, re-watch when a watch ends,
relist on ``410 Gone``/``Expired``, back off on errors), ``store.go``/``index.go``
(thread-safe store with indexers, ``MetaNamespaceKeyFunc``), ``shared_informer.go``
(one reflector per resource however many handlers; ``HasSynced``) and ``listers``.

A resync period makes the informer hand every cached object to the handlers again as an
update of itself (``OnUpdate(obj, obj)``), as the DeltaFIFO's Sync deltas do: a
controller that missed acting on something gets another chance without asking the
API server.

Simplified: the reflector hands each event straight to the indexer and the handlers
instead of through a DeltaFIFO and per-listener buffers; one resync period per
informer rather than per handler.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..api import errors
from ..api.labels import Selector
from ..api.scheme import ResourceInfo
from ..sim import Kernel, Timeout
from .rest import Client


def meta_namespace_key(obj: dict) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else meta["name"]


class Indexer:
    """Objects by key, plus named indexes (``namespace`` always)."""

    def __init__(self, indexers: Optional[dict[str, Callable[[dict], list]]] = None):
        self.items: dict[str, dict] = {}
        self.indexers = {"namespace": lambda o: [o["metadata"].get("namespace", "")]}
        self.indexers.update(indexers or {})
        self.indices: dict[str, dict[str, dict[str, None]]] = {name: {} for name in self.indexers}

    def add_indexer(self, name: str, fn: Callable[[dict], list]) -> None:
        self.indexers[name] = fn
        index = self.indices[name] = {}
        for key, obj in self.items.items():
            for value in fn(obj):
                index.setdefault(value, {})[key] = None

    def _unindex(self, key: str, obj: dict) -> None:
        for name, fn in self.indexers.items():
            index = self.indices[name]
            for value in fn(obj):
                bucket = index.get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del index[value]

    def _index(self, key: str, obj: dict) -> None:
        for name, fn in self.indexers.items():
            index = self.indices[name]
            for value in fn(obj):
                index.setdefault(value, {})[key] = None

    def put(self, obj: dict) -> Optional[dict]:
        key = meta_namespace_key(obj)
        old = self.items.get(key)
        if old is not None:
            self._unindex(key, old)
        self.items[key] = obj
        self._index(key, obj)
        return old

    def delete(self, obj: dict) -> Optional[dict]:
        key = meta_namespace_key(obj)
        old = self.items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def get(self, key: str) -> Optional[dict]:
        return self.items.get(key)

    def list(self) -> list[dict]:
        return list(self.items.values())

    def by_index(self, name: str, value: str) -> list[dict]:
        return [self.items[k] for k in self.indices[name].get(value, ())]


class Lister:
    """Read-only view of an informer's cache, as generated listers."""

    def __init__(self, indexer: Indexer):
        self.indexer = indexer

    def get(self, namespace: str, name: str) -> Optional[dict]:
        return self.indexer.get(f"{namespace}/{name}" if namespace else name)

    def list(self, namespace: Optional[str] = None, selector: Optional[Selector] = None) -> list[dict]:
        items = self.indexer.list() if namespace is None else self.indexer.by_index("namespace", namespace)
        if selector is not None:
            items = [o for o in items if selector.matches(o["metadata"].get("labels"))]
        return items


class SharedIndexInformer:
    def __init__(self, kernel: Kernel, client: Client, info: ResourceInfo, namespace: str = "",
                 label_selector: str = "", field_selector: str = "", resync_period: float = 0.0):
        self.kernel, self.client, self.info = kernel, client, info
        self.resync_period = resync_period
        self.namespace, self.label_selector, self.field_selector = namespace, label_selector, field_selector
        self.indexer = Indexer()
        self.lister = Lister(self.indexer)
        self.handlers: list[tuple] = []
        self.synced = False
        self.last_sync_resource_version = ""
        self.relists = 0
        self._task = None

    def add_event_handler(self, on_add: Optional[Callable] = None, on_update: Optional[Callable] = None,
                          on_delete: Optional[Callable] = None) -> None:
        self.handlers.append((on_add, on_update, on_delete))
        for obj in self.indexer.list():      # a late handler sees the current state as adds
            if on_add is not None:
                on_add(obj)

    def has_synced(self) -> bool:
        return self.synced

    def run(self, owner: str) -> None:
        if self._task is None:
            self._task = self.kernel.spawn(self._list_and_watch(), f"reflector {self.info.resource}",
                                           cause=None, owner=owner)
            if self.resync_period > 0:
                self.kernel.spawn(self._resync(), f"resync {self.info.resource}", cause=None, owner=owner)

    async def _resync(self) -> None:
        """Every ``resync_period``: each cached object to the handlers again, as an update of itself."""
        while True:
            await self.kernel.sleep(self.resync_period)
            for obj in self.indexer.list():
                self._notify("MODIFIED", obj, obj)

    def _notify(self, kind: str, obj: dict, old: Optional[dict]) -> None:
        for on_add, on_update, on_delete in self.handlers:
            if kind == "ADDED" and on_add is not None:
                on_add(obj)
            elif kind == "MODIFIED" and on_update is not None:
                on_update(old, obj)
            elif kind == "DELETED" and on_delete is not None:
                on_delete(obj)

    def _replace(self, items: list[dict]) -> None:
        fresh = {meta_namespace_key(o): o for o in items}
        for key, old in list(self.indexer.items.items()):
            if key not in fresh:
                self.indexer.delete(old)
                self._notify("DELETED", old, None)
        for obj in items:
            old = self.indexer.put(obj)
            if old is None:
                self._notify("ADDED", obj, None)
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._notify("MODIFIED", obj, old)

    async def _list_and_watch(self) -> None:
        kernel, backoff = self.kernel, 0.8
        need_list = True
        task = kernel.current
        while True:
            try:
                if need_list:
                    listed = await self.client.list(self.info, self.namespace, self.label_selector,
                                                    self.field_selector, resource_version="0")
                    task.cause = None
                    self._replace(listed["items"])
                    self.last_sync_resource_version = listed["metadata"]["resourceVersion"]
                    self.synced = True
                    need_list = False
                timeout = int(300 * (1 + kernel.rng.random()))   # minWatchTimeout 5 min, jittered
                watch = await self.client.watch(self.info, self.namespace, self.last_sync_resource_version,
                                                self.label_selector, self.field_selector, timeout)
                backoff = 0.8
                while True:
                    event, hop = await watch.next()
                    if event is None:
                        break
                    task.cause = hop
                    if event.type == "ERROR":
                        status = event.object
                        if status.get("code") == 410:
                            self.relists += 1
                            need_list = True
                        watch.stop()
                        break
                    self._apply(event.type, event.object)
                    task.cause = None
            except (errors.StatusError, Timeout):
                task.cause = None
                await kernel.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    def _apply(self, kind: str, obj: dict) -> None:
        self.last_sync_resource_version = obj["metadata"]["resourceVersion"]
        if kind == "BOOKMARK":
            return
        if kind == "DELETED":
            old = self.indexer.delete(obj)
            self._notify("DELETED", old or obj, None)
            return
        old = self.indexer.put(obj)
        self._notify("ADDED" if old is None else "MODIFIED", obj, old)


class SharedInformerFactory:
    """One informer per (resource, namespace, selectors), started together."""

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
        for informer in self.informers.values():
            informer.run(self.owner)

    def has_synced(self) -> bool:
        return all(i.has_synced() for i in self.informers.values())

    async def wait_for_cache_sync(self, poll: float = 0.1) -> None:
        while not self.has_synced():
            await self.kernel.sleep(poll)
