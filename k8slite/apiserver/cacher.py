"""The watch cache: one etcd watch per resource, fanned out to every client watch.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go``,
``watch_cache.go`` and ``cache_watcher.go``: the cache lists once, then watches etcd
from that revision (with progress notifications); it keeps the current objects (served
for ``resourceVersion=0`` lists) and a bounded window of recent events, so a client can
watch from any version still in the window and gets ``410 Expired`` ("too old resource
version: X (Y)") otherwise. A watcher that allows bookmarks gets a BOOKMARK about every
minute and two seconds before its deadline, when the cache has moved past the
version it started from. When etcd cancels the cache's own watch because its start was
compacted, the cache terminates every watcher, waits a second and relists
(``startCaching`` again). Watchers on pods are indexed by ``spec.nodeName`` (upstream's
trigger function), so an event reaches only the kubelet of its node instead of being
filtered against every kubelet's watch.

Invariants: ``_events`` holds (revision, type, object, old object) in revision order,
at most ``capacity``; ``_objects`` is the state at ``revision``; ``_oldest`` is the
newest version a watch may start from that is too old to serve (``oldest - 1``
upstream); a watcher receives each event once, in order, after its start version.

Simplified: fixed window size (upstream sizes it dynamically); bookmarks are timed per
watcher instead of by one-second buckets, without jitter.
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Optional

from ..api import errors
from ..api.labels import FieldSelector, Selector, object_fields, pod_fields
from ..api.scheme import ResourceInfo
from ..etcd.mvcc import DELETE, prefix_end
from ..etcd.server import WatchResponse
from .storage import Storage, too_large_resource_version

BOOKMARK_FREQUENCY = 60.0            # cacher.go defaultBookmarkFrequency
PRE_TIMEOUT_BOOKMARK = 2.0           # cache_watcher.go: a bookmark 2 s before the watch's deadline
RELIST_PERIOD = 1.0                  # wait.Until(startCaching, time.Second)
FRESH_TIMEOUT = 3.0                  # watch_cache.go blockTimeout
FRESH_RETRY_SECONDS = 1              # resourceVersionTooHighRetrySeconds
PROGRESS_POLL = 0.1                  # progress requester period
INITIAL_EVENTS_END = "k8s.io/initial-events-end"    # metav1.InitialEventsAnnotationKey


def selectable_fields(info: ResourceInfo) -> Callable[[dict], dict]:
    """GetAttrs per kind: the fields a field selector can name."""
    if info.resource == "pods" and not info.group:
        return pod_fields
    extra = EXTRA_FIELDS.get((info.group, info.resource))
    if extra is None:
        return object_fields

    def fields(obj: dict) -> dict:
        out = object_fields(obj)
        for name in extra:
            value = obj
            for part in name.split("."):
                value = (value or {}).get(part) if isinstance(value, dict) else None
            out[name] = "" if value is None else str(value)
        return out
    return fields


# Fields beyond metadata that a kind's GetAttrs adds (and object_fields does not).
EXTRA_FIELDS = {("", "services"): ("spec.clusterIP", "spec.type"),
                ("", "replicationcontrollers"): ("status.replicas",),
                ("apps", "replicasets"): ("status.replicas",),
                ("batch", "jobs"): ("status.successful",)}


class CacheWatcher:
    __slots__ = ("id", "namespace", "labels", "fields", "send", "close", "node", "start_rv",
                 "allow_bookmarks", "deadline", "timer", "initial_end_sent")

    def __init__(self, wid: int, namespace: str, labels: Selector, fields: FieldSelector,
                 send: Callable[[str, dict, Optional[int]], None], node: Optional[str],
                 close: Optional[Callable[[], None]] = None, start_rv: int = 0, allow_bookmarks: bool = False,
                 deadline: Optional[float] = None):
        self.id, self.namespace, self.labels, self.fields, self.send, self.node = \
            wid, namespace, labels, fields, send, node
        self.close = close
        self.start_rv = start_rv             # events at or below it are not this watcher's
        self.allow_bookmarks = allow_bookmarks
        self.deadline = deadline
        self.timer = None                    # the next bookmark's handle
        self.initial_end_sent = True         # False while a sendInitialEvents bookmark is owed


class Cacher:
    def __init__(self, storage: Storage, capacity: int = 10000):
        self.storage = storage
        self.info = storage.info
        self.kernel = storage.etcd.kernel
        self.capacity = capacity
        self.ready = False
        self.revision = 0
        self.relists = 0
        self._objects: dict[str, dict] = {}
        self._events: deque = deque()
        self._oldest = 0
        self._all: dict[int, CacheWatcher] = {}
        self._by_node: dict[str, dict[int, CacheWatcher]] = {}
        self._fields = selectable_fields(self.info)
        self._watch_id = 0                   # the etcd watch feeding the cache
        self._generation = 0                 # bumped by each (re)list: stale etcd watches are ignored

    async def start(self) -> None:
        objects, revision = await self.storage.list()
        self._replace(objects, revision)
        await self._watch_etcd(revision)

    def _replace(self, objects: list[dict], revision: int) -> None:
        """watchCache.Replace: the listed state; history starts after the list's revision."""
        self._objects = {self._key(obj): obj for obj in objects}
        self._events.clear()
        self.revision = self._oldest = revision

    async def _watch_etcd(self, revision: int) -> None:
        self._generation += 1
        generation = self._generation
        prefix = self.storage.prefix

        def handler(response: WatchResponse, hop: Optional[int]) -> None:
            if generation == self._generation:
                self._on_etcd(response, hop)
        self._watch_id = await self.storage.etcd.watch(prefix, prefix_end(prefix), revision + 1, handler,
                                                       prev_kv=True, progress_notify=True)
        self.ready = True

    @staticmethod
    def _key(obj: dict) -> str:
        meta = obj["metadata"]
        return f"{meta.get('namespace', '')}/{meta['name']}"

    # -- etcd -> cache ------------------------------------------------------------
    def _open(self, kv) -> dict:
        return self.storage.open(kv.key, kv.value, kv.mod_revision)

    def _on_etcd(self, response: WatchResponse, hop: Optional[int]) -> None:
        if response.canceled:
            if response.compact_revision:
                self._on_compacted()
            return
        if not response.events:
            if response.revision > self.revision:         # a progress notification
                self.revision = response.revision
            return
        for event in response.events:
            rev = event.kv.mod_revision
            old = self._open(event.prev_kv) if event.prev_kv else None
            if event.type == DELETE:
                if old is None:
                    continue
                obj = dict(old)
                obj["metadata"] = dict(old["metadata"], resourceVersion=str(rev))
                kind = "DELETED"
                self._objects.pop(self._key(obj), None)
            else:
                obj = self._open(event.kv)
                kind = "ADDED" if old is None else "MODIFIED"
                self._objects[self._key(obj)] = obj
            self.revision = rev
            self._events.append((rev, kind, obj, old))
            if len(self._events) > self.capacity:
                self._events.popleft()
                self._oldest = self._events[0][0] - 1
            self._dispatch(kind, obj, old, hop)

    def _on_compacted(self) -> None:
        """The cache's own etcd watch fell behind compaction: reinitialize (cacher.startCaching)."""
        self.ready = False
        self._generation += 1
        self.kernel.spawn(self._relist(), f"cacher {self.info.resource} relist", cause=None,
                          owner=getattr(self.storage.etcd, "endpoint", None))

    async def _relist(self) -> None:
        while True:
            await self.kernel.sleep(RELIST_PERIOD)
            self.terminate_all_watchers()
            try:
                objects, revision = await self.storage.list()
                self._replace(objects, revision)
                await self._watch_etcd(revision)
            except Exception:  # noqa: BLE001 - any failure: wait and try again, as wait.Until does
                continue
            self.relists += 1
            return

    def terminate_all_watchers(self) -> None:
        for watcher in list(self._all.values()) + [w for ws in self._by_node.values() for w in ws.values()]:
            self.stop(watcher.id)
            if watcher.close is not None:
                watcher.close()

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
        rev = int(obj["metadata"]["resourceVersion"])
        for watcher in self._candidates(obj, old):
            if rev <= watcher.start_rv:
                continue
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

    # -- bookmarks ------------------------------------------------------------------
    def bookmark_object(self, revision: int, initial_events_end: bool = False) -> dict:
        """An empty object of the kind carrying only the version (and the initial-events marker)."""
        meta: dict = {"resourceVersion": str(revision)}
        if initial_events_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        return {"kind": self.info.kind, "apiVersion": self.info.api_version, "metadata": meta}

    def _schedule_bookmark(self, watcher: CacheWatcher) -> None:
        """cacheWatcher.nextBookmarkTime: in a minute, or 2 s before the deadline if sooner."""
        now = self.kernel.now
        when = now + BOOKMARK_FREQUENCY
        if watcher.deadline is not None:
            when = min(when, watcher.deadline - PRE_TIMEOUT_BOOKMARK)
        if when <= now:
            watcher.timer = None
            return
        watcher.timer = self.kernel.call_later(when - now, self._bookmark, watcher)

    def _bookmark(self, watcher: CacheWatcher) -> None:
        if self._registered(watcher.id) is not watcher:
            return
        if self.revision > watcher.start_rv:
            watcher.send("BOOKMARK", self.bookmark_object(self.revision), None)
        self._schedule_bookmark(watcher)

    def _registered(self, wid: int) -> Optional[CacheWatcher]:
        watcher = self._all.get(wid)
        if watcher is None:
            for watchers in self._by_node.values():
                if wid in watchers:
                    return watchers[wid]
        return watcher

    # -- clients --------------------------------------------------------------------
    def select(self, objects, namespace: str, labels: Selector, fields: FieldSelector) -> list[dict]:
        """The objects that a list with these filters returns."""
        probe = CacheWatcher(0, namespace, labels, fields, None, None)
        return [obj for obj in objects if self._matches(probe, obj)]

    def matcher(self, labels: Selector, fields: FieldSelector) -> Optional[Callable[[dict], bool]]:
        """The predicate of a list from storage, or None when it selects everything."""
        if labels.empty() and fields.empty():
            return None
        probe = CacheWatcher(0, "", labels, fields, None, None)
        return lambda obj: self._matches(probe, obj)

    def list(self, namespace: str, labels: Selector, fields: FieldSelector) -> tuple[list[dict], int]:
        return self.select(self.objects(), namespace, labels, fields), self.revision

    def objects(self) -> list[dict]:
        """Every object the cache holds now, by namespace and name."""
        return [obj for _, obj in sorted(self._objects.items())]

    def __len__(self) -> int:
        return len(self._objects)

    def get(self, namespace: str, name: str) -> Optional[dict]:
        return self._objects.get(f"{namespace}/{name}")

    async def wait_until_fresh(self, revision: int) -> None:
        """watchCache.waitUntilFreshAndBlock: wait (asking etcd for progress) until the cache
        has seen ``revision``; after 3 s, 504 "Too large resource version"."""
        deadline = self.kernel.now + FRESH_TIMEOUT
        while self.revision < revision:
            if self.kernel.now >= deadline:
                raise too_large_resource_version(revision, self.revision, FRESH_RETRY_SECONDS)
            request_progress = getattr(self.storage.etcd, "request_progress", None)
            if request_progress is not None:
                try:
                    await request_progress()
                except Exception:  # noqa: BLE001 - progress is best effort; the deadline still holds
                    pass
            await self.kernel.sleep(PROGRESS_POLL)

    async def watch(self, wid: int, since: int, namespace: str, labels: Selector, fields: FieldSelector,
                    send: Callable[[str, dict, Optional[int]], None], close: Optional[Callable[[], None]] = None,
                    allow_bookmarks: bool = False, deadline: Optional[float] = None,
                    send_initial_events: Optional[bool] = None, consistent: bool = False) -> None:
        """Add a watcher and replay what it missed (Cacher.Watch).

        ``since`` 0 without ``send_initial_events``: the current state as ADDED, then changes.
        ``send_initial_events`` True: the state at a version not older than ``since`` (or, with
        ``consistent``, than etcd's current one) as ADDED, then a BOOKMARK marked
        ``k8s.io/initial-events-end``; False: only changes after ``since`` (or from now).
        A start older than the window raises 410 Expired ("too old resource version").
        """
        if not self.ready:
            raise errors.too_many_requests("storage is (re)initializing", 1)
        if send_initial_events and consistent:
            since = await self.storage._current_revision(self.storage.prefix)
        if send_initial_events and since:
            await self.wait_until_fresh(since)
        replay_state = send_initial_events if send_initial_events is not None else since == 0
        if send_initial_events is False and since == 0:
            since = self.revision
        if since and not replay_state and since < self._oldest:
            raise errors.expired(f"too old resource version: {since} ({self._oldest})")
        node = fields.exact_match("spec.nodeName") if self.info.resource == "pods" and not self.info.group else None
        watcher = CacheWatcher(wid, namespace, labels, fields, send, node, close,
                               self.revision if replay_state else since, allow_bookmarks, deadline)
        if replay_state:
            for _, obj in sorted(self._objects.items()):
                if self._matches(watcher, obj):
                    send("ADDED", obj, None)
            if send_initial_events:
                if allow_bookmarks:
                    send("BOOKMARK", self.bookmark_object(self.revision, initial_events_end=True), None)
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
        if allow_bookmarks:
            self._schedule_bookmark(watcher)

    def stop(self, wid: int) -> None:
        watcher = self._all.pop(wid, None)
        if watcher is None:
            for node, watchers in list(self._by_node.items()):
                watcher = watchers.pop(wid, None)
                if watcher is not None:
                    if not watchers:
                        del self._by_node[node]
                    break
        if watcher is not None and watcher.timer is not None:
            watcher.timer.cancel()
            watcher.timer = None
