"""The watch cache: one etcd watch per resource, fanned out to every client watch.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go``
and ``watch_cache.go``: the cache lists once, then watches etcd from that revision;
it keeps the current objects (served for ``resourceVersion=0`` lists) and a bounded
window of recent events, so a client can watch from any version still in the window
and gets ``410 Expired`` ("too old resource version") otherwise. Watchers on pods are
indexed by ``spec.nodeName`` (upstream's trigger function), so an event reaches only
the kubelet of its node instead of being filtered against every kubelet's watch.

Invariants: ``_events`` holds (revision, type, object, old object) in revision order,
at most ``capacity``; ``_objects`` is the state at ``revision``; a watcher receives
each event once, in order, after its start version.

Simplified: fixed window size (upstream sizes it dynamically); no bookmarks yet.
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Optional

from ..api import errors
from ..api.labels import FieldSelector, Selector, object_fields, pod_fields
from ..etcd.mvcc import DELETE, prefix_end
from ..etcd.server import WatchResponse
from .storage import Storage, decode


class CacheWatcher:
    __slots__ = ("id", "namespace", "labels", "fields", "send", "node")

    def __init__(self, wid: int, namespace: str, labels: Selector, fields: FieldSelector,
                 send: Callable[[str, dict, Optional[int]], None], node: Optional[str]):
        self.id, self.namespace, self.labels, self.fields, self.send, self.node = \
            wid, namespace, labels, fields, send, node


class Cacher:
    def __init__(self, storage: Storage, capacity: int = 10000):
        self.storage = storage
        self.info = storage.info
        self.capacity = capacity
        self.ready = False
        self.revision = 0
        self._objects: dict[str, dict] = {}
        self._events: deque = deque()
        self._oldest = 0                       # the revision the window starts after
        self._all: dict[int, CacheWatcher] = {}
        self._by_node: dict[str, dict[int, CacheWatcher]] = {}
        self._fields = pod_fields if self.info.resource == "pods" else object_fields

    async def start(self) -> None:
        objects, revision = await self.storage.list()
        for obj in objects:
            self._objects[self._key(obj)] = obj
        self.revision = self._oldest = revision
        prefix = self.storage.prefix
        await self.storage.etcd.watch(prefix, prefix_end(prefix), revision + 1, self._on_etcd, prev_kv=True)
        self.ready = True

    @staticmethod
    def _key(obj: dict) -> str:
        meta = obj["metadata"]
        return f"{meta.get('namespace', '')}/{meta['name']}"

    # -- etcd -> cache ------------------------------------------------------------
    def _on_etcd(self, response: WatchResponse, hop: Optional[int]) -> None:
        for event in response.events:
            rev = event.kv.mod_revision
            old = decode(event.prev_kv.value, event.prev_kv.mod_revision) if event.prev_kv else None
            if event.type == DELETE:
                obj = dict(old)
                obj["metadata"] = dict(old["metadata"], resourceVersion=str(rev))
                kind = "DELETED"
                self._objects.pop(self._key(obj), None)
            else:
                obj = decode(event.kv.value, rev)
                kind = "ADDED" if old is None else "MODIFIED"
                self._objects[self._key(obj)] = obj
            self.revision = rev
            self._events.append((rev, kind, obj, old))
            if len(self._events) > self.capacity:
                self._oldest = self._events.popleft()[0]
            self._dispatch(kind, obj, old, hop)

    def _candidates(self, obj: dict, old: Optional[dict]) -> list[CacheWatcher]:
        found = list(self._all.values())
        if self._by_node:
            nodes = [(obj.get("spec") or {}).get("nodeName")]
            if old is not None:
                before = (old.get("spec") or {}).get("nodeName")
                if before != nodes[0]:
                    nodes.append(before)
            for node in nodes:
                if node and node in self._by_node:
                    found.extend(self._by_node[node].values())
            found.sort(key=lambda w: w.id)
        return found

    def _dispatch(self, kind: str, obj: dict, old: Optional[dict], hop: Optional[int]) -> None:
        for watcher in self._candidates(obj, old):
            event = self._filter(watcher, kind, obj, old)
            if event is not None:
                watcher.send(event, obj, hop)

    def _matches(self, watcher: CacheWatcher, obj: Optional[dict]) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if watcher.namespace and meta.get("namespace") != watcher.namespace:
            return False
        if not watcher.labels.matches(meta.get("labels")):
            return False
        return watcher.fields.empty() or watcher.fields.matches(self._fields(obj))

    def _filter(self, watcher: CacheWatcher, kind: str, obj: dict, old: Optional[dict]) -> Optional[str]:
        """The event type this watcher sees, or None (upstream ``cacheWatcher.convertToWatchEvent``)."""
        now = kind != "DELETED" and self._matches(watcher, obj)
        before = self._matches(watcher, old)
        if kind == "DELETED":
            return "DELETED" if before else None
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None

    # -- clients --------------------------------------------------------------------
    def select(self, objects, namespace: str, labels: Selector, fields: FieldSelector) -> list[dict]:
        """The objects that a list with these filters returns."""
        probe = CacheWatcher(0, namespace, labels, fields, None, None)
        return [obj for obj in objects if self._matches(probe, obj)]

    def list(self, namespace: str, labels: Selector, fields: FieldSelector) -> tuple[list[dict], int]:
        return self.select(self.objects(), namespace, labels, fields), self.revision

    def objects(self) -> list[dict]:
        """Every object the cache holds now, by namespace and name."""
        return [obj for _, obj in sorted(self._objects.items())]

    def __len__(self) -> int:
        return len(self._objects)

    def get(self, namespace: str, name: str) -> Optional[dict]:
        return self._objects.get(f"{namespace}/{name}")

    def watch(self, wid: int, since: int, namespace: str, labels: Selector, fields: FieldSelector,
              send: Callable[[str, dict, Optional[int]], None]) -> None:
        """Add a watcher; replays what it missed since ``since`` (0: everything as ADDED)."""
        if since and since < self._oldest:
            raise errors.expired(f"too old resource version: {since} ({self._oldest + 1})")
        node = fields.exact_match("spec.nodeName") if self.info.resource == "pods" else None
        watcher = CacheWatcher(wid, namespace, labels, fields, send, node)
        if since == 0:
            for _, obj in sorted(self._objects.items()):
                if self._matches(watcher, obj):
                    send("ADDED", obj, None)
        else:
            for rev, kind, obj, old in self._events:
                if rev > since:
                    event = self._filter(watcher, kind, obj, old)
                    if event is not None:
                        send(event, obj, None)
        if node:
            self._by_node.setdefault(node, {})[wid] = watcher
        else:
            self._all[wid] = watcher

    def stop(self, wid: int) -> None:
        watcher = self._all.pop(wid, None)
        if watcher is None:
            for node, watchers in list(self._by_node.items()):
                if watchers.pop(wid, None) is not None:
                    if not watchers:
                        del self._by_node[node]
                    break
