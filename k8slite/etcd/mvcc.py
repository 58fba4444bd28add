"""etcd's multi-version key-value store: revisions, range, txn, watch, compaction.

Mirrors etcd v3.5 ``server/storage/mvcc`` (kvstore.go, kvstore_txn.go, watchable_store.go,
index.go) and the semantics of ``api/etcdserverpb/rpc.proto``.

Invariants:
- ``revision`` is the store's global revision; every write transaction that changes
  something raises it by exactly one, and all its events carry that revision.
- ``_history[key]`` lists the key's versions as ``(mod_revision, KeyValue | None)``
  oldest first; ``None`` is a tombstone (a delete). ``_keys`` is the sorted list of
  keys that have any history, for range and prefix scans.
- ``_events`` holds every event above ``compact_revision``, in revision order, so a
  watch can start from any uncompacted revision.

Simplified: single member (Raft comes with the etcd issue); no leases yet; the key
list is a sorted Python list (bisect), and watchers are scanned linearly. The
1.5 MiB request limit is enforced by the server (``server.py``).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from typing import Callable, Optional

PUT, DELETE = "PUT", "DELETE"


class CompactedError(Exception):
    """etcd's ErrCompacted."""

    def __init__(self):
        super().__init__("mvcc: required revision has been compacted")


class FutureRevisionError(Exception):
    """etcd's ErrFutureRev."""

    def __init__(self):
        super().__init__("mvcc: required revision is a future revision")


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    type: str                      # PUT or DELETE
    kv: KeyValue                   # for DELETE: key with mod_revision = the delete's revision
    prev_kv: Optional[KeyValue] = None


@dataclass(frozen=True, slots=True)
class Compare:
    """One txn comparison: ``target`` is VALUE, VERSION, CREATE or MOD."""
    key: str
    target: str
    result: str        # "=", "!=", "<", ">"
    value: object


@dataclass(frozen=True, slots=True)
class Op:
    """One txn operation: RANGE, PUT or DELETE (range_end as in etcd: "" = single key)."""
    type: str
    key: str
    value: bytes = b""
    range_end: str = ""
    prev_kv: bool = False


@dataclass(frozen=True, slots=True)
class RangeResult:
    kvs: tuple
    count: int
    more: bool
    revision: int


@dataclass(frozen=True, slots=True)
class TxnResult:
    succeeded: bool
    responses: tuple     # RangeResult, or list of prev KeyValues for PUT/DELETE
    revision: int


def prefix_end(prefix: str) -> str:
    """The range_end that makes [prefix, end) cover every key with ``prefix`` (clientv3.GetPrefixRangeEnd)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\0"


class Watcher:
    __slots__ = ("id", "key", "range_end", "callback", "prev_kv")

    def __init__(self, wid: int, key: str, range_end: str, callback: Callable[[list], None], prev_kv: bool):
        self.id, self.key, self.range_end, self.callback, self.prev_kv = wid, key, range_end, callback, prev_kv

    def wants(self, key: str) -> bool:
        if not self.range_end:
            return key == self.key
        return self.key <= key < self.range_end


class MVCCStore:
    def __init__(self):
        self.revision = 1            # etcd starts at 1 with an empty store
        self.compact_revision = 0
        self._history: dict[str, list] = {}
        self._keys: list[str] = []
        self._events: list[Event] = []
        self._watchers: dict[int, Watcher] = {}
        self._next_watch = 0
        self.size = 0                # bytes of live keys and values

    # -- reads ---------------------------------------------------------------
    def _at(self, key: str, revision: int) -> Optional[KeyValue]:
        versions = self._history.get(key)
        if not versions:
            return None
        if revision >= versions[-1][0]:
            return versions[-1][1]
        for mod, kv in reversed(versions):
            if mod <= revision:
                return kv
        return None

    def _span(self, key: str, range_end: str) -> list[str]:
        if not range_end:
            return [key] if key in self._history else []
        lo = bisect.bisect_left(self._keys, key)
        hi = len(self._keys) if range_end == "\0" else bisect.bisect_left(self._keys, range_end)
        return self._keys[lo:hi]

    def range(self, key: str, range_end: str = "", revision: int = 0, limit: int = 0,
              count_only: bool = False, keys_only: bool = False) -> RangeResult:
        if revision > self.revision:
            raise FutureRevisionError()
        if 0 < revision <= self.compact_revision:
            raise CompactedError()
        at = revision or self.revision
        kvs, count = [], 0
        for k in self._span(key, range_end):
            kv = self._at(k, at)
            if kv is None:
                continue
            count += 1
            if count_only or (limit and len(kvs) >= limit):
                continue
            kvs.append(replace(kv, value=b"") if keys_only else kv)
        return RangeResult(tuple(kvs), count, bool(limit) and count > len(kvs), self.revision)

    # -- writes --------------------------------------------------------------
    def _compare(self, c: Compare) -> bool:
        kv = self._at(c.key, self.revision)
        if c.target == "VALUE":
            actual = kv.value if kv else None
            if actual is None:
                return False
        elif c.target == "VERSION":
            actual = kv.version if kv else 0
        elif c.target == "CREATE":
            actual = kv.create_revision if kv else 0
        elif c.target == "MOD":
            actual = kv.mod_revision if kv else 0
        else:
            raise ValueError(f"unknown compare target {c.target}")
        return {"=": actual == c.value, "!=": actual != c.value,
                "<": actual < c.value, ">": actual > c.value}[c.result]

    def txn(self, compares: tuple = (), success: tuple = (), failure: tuple = ()) -> TxnResult:
        ok = all(self._compare(c) for c in compares)
        ops = success if ok else failure
        rev = self.revision + 1
        events: list[Event] = []
        responses = []
        for op in ops:
            if op.type == "RANGE":
                responses.append(self.range(op.key, op.range_end))
            elif op.type == "PUT":
                prev = self._at(op.key, rev)
                kv = KeyValue(op.key, op.value, prev.create_revision if prev else rev, rev,
                              prev.version + 1 if prev else 1)
                self._write(op.key, rev, kv, prev)
                events.append(Event(PUT, kv, prev))
                responses.append(prev if op.prev_kv else None)
            elif op.type == "DELETE":
                deleted = []
                for k in self._span(op.key, op.range_end):
                    prev = self._at(k, rev)
                    if prev is None:
                        continue
                    self._write(k, rev, None, prev)
                    events.append(Event(DELETE, KeyValue(k, b"", 0, rev, 0), prev))
                    deleted.append(prev)
                responses.append(tuple(deleted))
            else:
                raise ValueError(f"unknown op {op.type}")
        if events:
            self.revision = rev
            self._events.extend(events)
            self._notify(events)
        return TxnResult(ok, tuple(responses), self.revision)

    def _write(self, key: str, rev: int, kv: Optional[KeyValue], prev: Optional[KeyValue]) -> None:
        versions = self._history.get(key)
        if versions is None:
            self._history[key] = [(rev, kv)]
            bisect.insort(self._keys, key)
        elif versions[-1][0] == rev:
            versions[-1] = (rev, kv)        # a second write to one key inside one txn
        else:
            versions.append((rev, kv))
        if prev is not None:
            self.size -= len(prev.key) + len(prev.value)
        if kv is not None:
            self.size += len(kv.key) + len(kv.value)

    def put(self, key: str, value: bytes, prev_kv: bool = False) -> TxnResult:
        return self.txn(success=(Op("PUT", key, value, prev_kv=prev_kv),))

    def delete_range(self, key: str, range_end: str = "") -> TxnResult:
        return self.txn(success=(Op("DELETE", key, range_end=range_end),))

    def compact(self, revision: int) -> None:
        if revision <= self.compact_revision:
            raise CompactedError()
        if revision > self.revision:
            raise FutureRevisionError()
        self.compact_revision = revision
        self._events = [e for e in self._events if e.kv.mod_revision > revision]
        for key in list(self._keys):
            versions = self._history[key]
            keep = [v for v in versions if v[0] > revision]
            older = [v for v in versions if v[0] <= revision]
            if older and older[-1][1] is not None:
                keep.insert(0, older[-1])
            if keep:
                self._history[key] = keep
            else:
                del self._history[key]
        self._keys = [k for k in self._keys if k in self._history]

    # -- watch ---------------------------------------------------------------
    def watch(self, key: str, range_end: str, start_revision: int, callback: Callable[[list], None],
              prev_kv: bool = False) -> int:
        """Register a watcher; events from ``start_revision`` on are replayed first (synchronously)."""
        if 0 < start_revision <= self.compact_revision:
            raise CompactedError()
        self._next_watch += 1
        watcher = Watcher(self._next_watch, key, range_end, callback, prev_kv)
        self._watchers[watcher.id] = watcher
        if 0 < start_revision <= self.revision:
            lo = bisect.bisect_left(self._events, start_revision, key=lambda e: e.kv.mod_revision)
            backlog = [e for e in self._events[lo:] if watcher.wants(e.kv.key)]
            if backlog:
                callback(backlog)
        return watcher.id

    def cancel_watch(self, watch_id: int) -> None:
        self._watchers.pop(watch_id, None)

    def _notify(self, events: list[Event]) -> None:
        for watcher in list(self._watchers.values()):
            mine = [e for e in events if watcher.wants(e.kv.key)]
            if mine:
                watcher.callback(mine if watcher.prev_kv else [replace(e, prev_kv=None) for e in mine])
