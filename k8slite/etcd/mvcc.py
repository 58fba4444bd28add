"""etcd's multi-version key-value store: revisions, range, txn, leases, watch, compaction.

Mirrors etcd v3.5 ``server/mvcc`` (kvstore.go, kvstore_txn.go, watchable_store.go,
watcher_group.go, index.go), ``server/lease/lessor.go`` for what a lease owns, and
the semantics of ``api/etcdserverpb/rpc.proto``.

Invariants:
- ``revision`` is the store's global revision; every transaction that changes
  something raises it by exactly one, and all its events carry that revision.
- ``_history[key]`` lists the key's versions as ``(mod_revision, KeyValue | None)``
  oldest first; ``None`` is a tombstone. ``_keys`` indexes the keys that have any
  history. Compaction at revision r keeps, per key, the newest version at or below
  r (unless it is a tombstone) and everything above.
- ``_events`` holds every event at or above ``compact_revision``, in revision order,
  so a watch can start from any revision that is not compacted; at the compact
  revision itself only puts remain, without prev_kv (as in etcd's compacted backend).
- Watchers are found by key: exact-key watchers in a dict, prefix watchers by
  looking up each registered prefix length of the written key, other intervals in
  a short list. A write costs the same whatever the number of watchers on other keys.

Simplified: the store is in memory (the data on disk of a member that crashes is
this object, kept); sizes are the bytes of keys and values plus a fixed overhead per
revision, not bbolt pages; lease expiry times are kept by the server that drives the
store (the lessor's primary), not here; range has no sort or min/max revision filters.
"""
from __future__ import annotations

import hashlib
import marshal
from bisect import bisect_right
from typing import Callable, NamedTuple, Optional

from . import errors
from .index import SortedKeys

PUT, DELETE = "PUT", "DELETE"
MAX_TXN_OPS = 128                 # --max-txn-ops default
DEFAULT_QUOTA = 2 * 1024 ** 3     # --quota-backend-bytes default (2 GiB)
REVISION_OVERHEAD = 64            # bytes a revision costs beyond its key and value (bbolt keys, keyIndex)
MAX_LEASE_TTL = 9_000_000_000     # lease.MaxLeaseTTL
SNAPSHOT_MAGIC = b"k8slite-etcd-snapshot-1\n"


class KeyValue(NamedTuple):
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0


class Event(NamedTuple):
    type: str                          # PUT or DELETE
    kv: KeyValue                       # for DELETE: the key with mod_revision = the delete's revision
    prev_kv: Optional[KeyValue] = None


class Compare(NamedTuple):
    """One txn comparison: ``target`` is VALUE, VERSION, CREATE, MOD or LEASE."""
    key: str
    target: str
    result: str        # "=", "!=", "<", ">"
    value: object


class Op(NamedTuple):
    """One txn operation: RANGE, PUT or DELETE (range_end as in etcd: "" = single key)."""
    type: str
    key: str
    value: bytes = b""
    range_end: str = ""
    prev_kv: bool = False
    lease: int = 0


class RangeResult(NamedTuple):
    kvs: tuple
    count: int
    more: bool
    revision: int


class PutResult(NamedTuple):
    prev_kv: Optional[KeyValue]        # only when asked for
    revision: int


class DeleteResult(NamedTuple):
    deleted: int
    prev_kvs: tuple                    # only when asked for
    revision: int


class TxnResult(NamedTuple):
    succeeded: bool
    responses: tuple     # a RangeResult, PutResult or DeleteResult per operation
    revision: int


class Lease(NamedTuple):
    id: int
    ttl: int             # granted TTL, seconds
    keys: dict           # attached keys (a dict used as an insertion-ordered set)


def prefix_end(prefix: str) -> str:
    """The range_end that makes [prefix, end) cover every key with ``prefix`` (clientv3.GetPrefixRangeEnd)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\0"


def _cmp(actual, result: str, wanted) -> bool:
    if result == "=":
        return actual == wanted
    if result == "!=":
        return actual != wanted
    if result == "<":
        return actual < wanted
    if result == ">":
        return actual > wanted
    raise ValueError(f"unknown compare result {result}")


class Watcher:
    __slots__ = ("id", "key", "range_end", "callback", "prev_kv", "start")

    def __init__(self, wid: int, key: str, range_end: str, callback: Callable[[list], None], prev_kv: bool,
                 start: int = 0):
        self.id, self.key, self.range_end, self.callback, self.prev_kv = wid, key, range_end, callback, prev_kv
        self.start = start        # events below this revision are not this watcher's (a watch from the future)

    def wants(self, key: str) -> bool:
        if not self.range_end:
            return key == self.key
        return self.key <= key and (self.range_end == "\0" or key < self.range_end)

    def send(self, events: list) -> None:
        if self.start and events[0].kv.mod_revision < self.start:
            events = [e for e in events if e.kv.mod_revision >= self.start]
            if not events:
                return
            self.start = 0
        self.callback(events if self.prev_kv else [e._replace(prev_kv=None) for e in events])


class WatcherGroup:
    """The watchers of one store, indexed by what they watch (watcher_group.go)."""

    def __init__(self):
        self.by_id: dict[int, Watcher] = {}
        self._exact: dict[str, dict[int, Watcher]] = {}
        self._prefix: dict[str, dict[int, Watcher]] = {}
        self._prefix_lengths: dict[int, int] = {}      # length -> how many prefixes have it
        self._ranges: dict[int, Watcher] = {}          # other intervals (rare: scanned)

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, w: Watcher) -> None:
        self.by_id[w.id] = w
        if not w.range_end:
            self._exact.setdefault(w.key, {})[w.id] = w
        elif w.key and w.range_end == prefix_end(w.key):
            group = self._prefix.get(w.key)
            if group is None:
                group = self._prefix[w.key] = {}
                self._prefix_lengths[len(w.key)] = self._prefix_lengths.get(len(w.key), 0) + 1
            group[w.id] = w
        else:
            self._ranges[w.id] = w

    def remove(self, wid: int) -> Optional[Watcher]:
        w = self.by_id.pop(wid, None)
        if w is None:
            return None
        if not w.range_end:
            group = self._exact[w.key]
            del group[wid]
            if not group:
                del self._exact[w.key]
        elif wid in self._ranges:
            del self._ranges[wid]
        else:
            group = self._prefix[w.key]
            del group[wid]
            if not group:
                del self._prefix[w.key]
                n = len(w.key)
                self._prefix_lengths[n] -= 1
                if not self._prefix_lengths[n]:
                    del self._prefix_lengths[n]
        return w

    def matching(self, key: str) -> list[Watcher]:
        """The watchers of ``key``, in the order they were added."""
        found: list[Watcher] = []
        group = self._exact.get(key)
        if group:
            found.extend(group.values())
        if self._prefix:
            for n in self._prefix_lengths:
                group = self._prefix.get(key[:n]) if n <= len(key) else None
                if group:
                    found.extend(group.values())
        if self._ranges:
            found.extend(w for w in self._ranges.values() if w.wants(key))
        if len(found) > 1:
            found.sort(key=lambda w: w.id)
        return found


class MVCCStore:
    def __init__(self, quota_bytes: int = DEFAULT_QUOTA):
        self.revision = 1            # etcd starts at 1 with an empty store
        self.compact_revision = 0
        self.quota_bytes = quota_bytes
        self.alarm = ""              # "NOSPACE" once the quota was hit, until disarmed
        self.size = 0                # the database's bytes: every revision kept (bbolt's file size)
        self.size_in_use = 0         # what compaction has not freed yet; defragment() gives the rest back
        self.leases: dict[int, Lease] = {}
        self._history: dict[str, list] = {}
        self._keys = SortedKeys()     # every key with any version kept
        self._live = SortedKeys()     # the keys that have a value now
        self._events: list[Event] = []
        self._event_revs: list[int] = []
        self.watchers = WatcherGroup()
        self._next_watch = 0

    # -- reads ---------------------------------------------------------------
    def _latest(self, key: str) -> Optional[KeyValue]:
        versions = self._history.get(key)
        return versions[-1][1] if versions else None

    def _at(self, key: str, revision: int) -> Optional[KeyValue]:
        versions = self._history.get(key)
        if not versions:
            return None
        if revision >= versions[-1][0]:
            return versions[-1][1]
        i = bisect_right(versions, revision, key=lambda v: v[0])
        return versions[i - 1][1] if i else None

    def _span(self, key: str, range_end: str):
        if not range_end:
            return (key,) if key in self._history else ()
        return self._live.irange(key, None if range_end == "\0" else range_end)

    def get(self, key: str) -> Optional[KeyValue]:
        """The key's current KeyValue, or None (a convenience for tests and the book)."""
        return self._latest(key)

    def range(self, key: str, range_end: str = "", revision: int = 0, limit: int = 0,
              count_only: bool = False, keys_only: bool = False) -> RangeResult:
        if not key:
            raise errors.EmptyKeyError()
        if revision > self.revision:
            raise errors.FutureRevisionError()
        if 0 < revision < self.compact_revision:
            raise errors.CompactedError()
        return self._range(key, range_end, revision or self.revision, self.revision, limit, count_only, keys_only)

    def _range(self, key: str, range_end: str, at: int, now: int, limit: int = 0, count_only: bool = False,
               keys_only: bool = False) -> RangeResult:
        """The keys in [key, range_end) as of ``at``; ``now`` is the newest revision (in a txn: the one it writes)."""
        if not range_end:
            kv = self._at(key, at)
            kvs = () if kv is None or count_only else (kv._replace(value=b"") if keys_only else kv,)
            return RangeResult(kvs, int(kv is not None), False, now)
        hi = None if range_end == "\0" else range_end
        latest = at == now
        # Live keys are indexed on their own, so counting a range costs two lookups, not a scan.
        count = self._live.rank(hi) - self._live.rank(key)
        if not latest:
            count += self._count_change(key, hi, at)
        kvs = []
        if not count_only:
            for k in (self._live.irange(key, hi) if latest else self._keys.irange(key, hi)):
                kv = self._latest(k) if latest else self._at(k, at)
                if kv is None:
                    continue
                if limit and len(kvs) >= limit:
                    break
                kvs.append(kv._replace(value=b"") if keys_only else kv)
        return RangeResult(tuple(kvs), count, bool(limit) and not count_only and count > len(kvs), now)

    def _count_change(self, key: str, hi: Optional[str], at: int) -> int:
        """How many more keys in [key, hi) were live at ``at`` than are now (from the events since)."""
        lo = bisect_right(self._event_revs, at)
        touched = sorted({e.kv.key for e in self._events[lo:] if key <= e.kv.key and (hi is None or e.kv.key < hi)})
        return sum((self._at(k, at) is not None) - (self._latest(k) is not None) for k in touched)

    def history(self, key: str) -> list[tuple[int, Optional[KeyValue]]]:
        """Every version of ``key`` kept (not compacted), oldest first: (mod_revision, kv or None)."""
        return [tuple(v) for v in self._history.get(key, ())]

    def keys(self) -> list[str]:
        """Every key that has a value now, sorted."""
        return list(self._live)

    # -- writes --------------------------------------------------------------
    def _compare(self, c: Compare) -> bool:
        kv = self._latest(c.key)
        target = c.target
        if target == "VALUE":
            if kv is None:
                return False
            actual = kv.value
        elif target == "VERSION":
            actual = kv.version if kv else 0
        elif target == "CREATE":
            actual = kv.create_revision if kv else 0
        elif target == "MOD":
            actual = kv.mod_revision if kv else 0
        elif target == "LEASE":
            actual = kv.lease if kv else 0
        else:
            raise ValueError(f"unknown compare target {target}")
        return _cmp(actual, c.result, c.value)

    def check_txn(self, compares: tuple, success: tuple, failure: tuple) -> None:
        """What etcd refuses before applying (v3rpc checkTxnRequest, checkIntervals).

        Too many compares or ops in a branch; a compare or op without a key; in one
        branch, a key put twice or put inside a range the branch deletes.
        """
        if max(len(compares), len(success), len(failure)) > MAX_TXN_OPS:
            raise errors.TooManyOpsError()
        if not all(c.key for c in compares) or not all(op.key for op in success + failure):
            raise errors.EmptyKeyError()
        for ops in (success, failure):
            deletes = [(op.key, op.range_end) for op in ops if op.type == "DELETE"]
            puts: set[str] = set()
            for op in ops:
                if op.type != "PUT":
                    continue
                if op.key in puts or any(op.key == k if not end else k <= op.key < end for k, end in deletes):
                    raise errors.DuplicateKeyError()
                puts.add(op.key)

    def txn(self, compares: tuple = (), success: tuple = (), failure: tuple = ()) -> TxnResult:
        """Check, then apply a transaction atomically: every op or none (an error changes nothing)."""
        self.check_txn(compares, success, failure)
        return self.apply_txn(compares, success, failure)

    def apply_txn(self, compares: tuple, success: tuple, failure: tuple) -> TxnResult:
        """Apply a transaction that ``check_txn`` has passed (a member applying the Raft log)."""
        if not compares and len(success) == 1 and success[0].type == "PUT":     # a plain put: the common case
            op = success[0]
            result = self.put(op.key, op.value, op.lease, op.prev_kv)
            return TxnResult(True, (result,), result.revision)
        ok = True
        for c in compares:
            if not self._compare(c):
                ok = False
                break
        ops = success if ok else failure
        self._check_writes(ops)
        rev = self.revision + 1
        events: list[Event] = []
        responses = []
        for op in ops:
            kind = op.type
            if kind == "PUT":
                prev = self._put(op.key, op.value, op.lease, rev, events)
                responses.append(PutResult(prev if op.prev_kv else None, rev))
            elif kind == "RANGE":           # sees the txn's own writes; until the first, at the old revision
                now = rev if events else self.revision
                responses.append(self._range(op.key, op.range_end, now, now))
            elif kind == "DELETE":
                deleted = self._delete(op.key, op.range_end, rev, events)
                responses.append(DeleteResult(len(deleted), tuple(deleted) if op.prev_kv else (),
                                              rev if events else self.revision))
            else:
                raise ValueError(f"unknown op {kind}")
        if events:
            self._commit(events)
        else:
            responses = [r if type(r) is RangeResult else r._replace(revision=self.revision) for r in responses]
        return TxnResult(ok, tuple(responses), self.revision)

    def _check_writes(self, ops) -> None:
        cost = 0
        for op in ops:
            if op.type == "PUT":
                if op.lease and op.lease not in self.leases:
                    raise errors.LeaseNotFoundError()
                cost += len(op.key) + len(op.value) + REVISION_OVERHEAD
        if cost and (self.alarm or self.size + cost > self.quota_bytes):
            self._check_quota(cost)

    def _check_put(self, key: str, value: bytes, lease: int) -> None:
        if lease and lease not in self.leases:
            raise errors.LeaseNotFoundError()

    def _check_quota(self, cost: int) -> None:
        if self.alarm or self.size + cost > self.quota_bytes:
            self.alarm = "NOSPACE"
            raise errors.NoSpaceError()

    def _put(self, key: str, value: bytes, lease: int, rev: int, events: list) -> Optional[KeyValue]:
        versions = self._history.get(key)
        prev = versions[-1][1] if versions else None
        if prev is None:
            kv = KeyValue(key, value, rev, rev, 1, lease)
            self._live.add(key)
        else:
            kv = KeyValue(key, value, prev.create_revision, rev, prev.version + 1, lease)
            if prev.lease and prev.lease != lease and prev.lease in self.leases:
                self.leases[prev.lease].keys.pop(key, None)
        if lease:
            self.leases[lease].keys[key] = None
        self._write(key, versions, rev, kv)
        events.append(Event(PUT, kv, prev))
        return prev

    def _delete(self, key: str, range_end: str, rev: int, events: list) -> list[KeyValue]:
        deleted = []
        for k in list(self._span(key, range_end)):
            versions = self._history[k]
            prev = versions[-1][1]
            if prev is None:
                continue
            if prev.lease and prev.lease in self.leases:
                self.leases[prev.lease].keys.pop(k, None)
            self._write(k, versions, rev, None)
            self._live.discard(k)
            events.append(Event(DELETE, KeyValue(k, b"", 0, rev, 0), prev))
            deleted.append(prev)
        return deleted

    def _write(self, key: str, versions: Optional[list], rev: int, kv: Optional[KeyValue]) -> None:
        if versions is None:
            self._history[key] = [(rev, kv)]
            self._keys.add(key)
        elif versions[-1][0] == rev:
            versions[-1] = (rev, kv)          # a second write to one key inside one txn
            return
        else:
            versions.append((rev, kv))
        cost = len(key) + (len(kv.value) if kv is not None else 0) + REVISION_OVERHEAD
        self.size += cost
        self.size_in_use += cost

    def _commit(self, events: list[Event]) -> None:
        rev = self.revision = self.revision + 1
        self._events.extend(events)
        self._event_revs.extend([rev] * len(events))
        if self.watchers.by_id:
            self._notify(events)

    def put(self, key: str, value: bytes, lease: int = 0, prev_kv: bool = False) -> PutResult:
        """One key, as a txn of one PUT would do it (the common case, without the txn's bookkeeping)."""
        if not key:
            raise errors.EmptyKeyError()
        self._check_put(key, value, lease)
        self._check_quota(len(key) + len(value) + REVISION_OVERHEAD)
        rev = self.revision + 1
        events: list[Event] = []
        prev = self._put(key, value, lease, rev, events)
        self._commit(events)
        return PutResult(prev if prev_kv else None, rev)

    def delete_range(self, key: str, range_end: str = "", prev_kv: bool = False) -> DeleteResult:
        return self.txn(success=(Op("DELETE", key, range_end=range_end, prev_kv=prev_kv),)).responses[0]

    # -- leases --------------------------------------------------------------
    def lease_grant(self, lease_id: int, ttl: int) -> Lease:
        if lease_id in self.leases:
            raise errors.LeaseExistsError()
        if ttl > MAX_LEASE_TTL:
            raise errors.LeaseTTLTooLargeError()
        if self.alarm:
            raise errors.NoSpaceError()
        lease = self.leases[lease_id] = Lease(lease_id, ttl, {})
        return lease

    def lease_revoke(self, lease_id: int) -> TxnResult:
        """Delete the lease and, in one revision, every key attached to it (in key order)."""
        lease = self.leases.get(lease_id)
        if lease is None:
            raise errors.LeaseNotFoundError()
        ops = tuple(Op("DELETE", k) for k in sorted(lease.keys))
        result = self.txn(success=ops)
        del self.leases[lease_id]
        return result

    # -- compaction, quota, snapshots ------------------------------------------
    def compact(self, revision: int) -> None:
        if revision <= self.compact_revision:
            raise errors.CompactedError()
        if revision > self.revision:
            raise errors.FutureRevisionError()
        self.compact_revision = revision
        cut = bisect_right(self._event_revs, revision - 1)
        del self._events[:cut], self._event_revs[:cut]
        # A tombstone at the compact revision goes too, and prev_kv (read at revision - 1)
        # is gone: a watch from the compact revision replays only its puts, bare.
        end = bisect_right(self._event_revs, revision)
        if end:
            kept = [e._replace(prev_kv=None) for e in self._events[:end] if e.type == PUT]
            self._events[:end] = kept
            self._event_revs[:end] = [revision] * len(kept)
        for key in list(self._keys):
            versions = self._history[key]
            if versions[0][0] > revision:
                continue
            i = bisect_right(versions, revision, key=lambda v: v[0])
            keep = versions[i:]
            newest_old = versions[i - 1]
            if newest_old[1] is not None:
                keep.insert(0, newest_old)
            for rev, kv in versions[:i - 1] + ([newest_old] if newest_old[1] is None else []):
                self.size_in_use -= len(key) + (len(kv.value) if kv is not None else 0) + REVISION_OVERHEAD
            if keep:
                self._history[key] = keep
            else:
                del self._history[key]
                self._keys.discard(key)

    def defragment(self) -> int:
        """Give compacted space back (etcdctl defrag): the size drops to what is in use."""
        self.size = self.size_in_use
        return self.size

    def alarm_disarm(self) -> None:
        """Clear the NOSPACE alarm (etcdctl alarm disarm); writes fail again if still over quota."""
        self.alarm = ""

    def snapshot(self) -> bytes:
        """Every revision kept, the leases and the revisions, as bytes with a sha256 at the end."""
        body = SNAPSHOT_MAGIC + marshal.dumps((
            self.revision, self.compact_revision, [(lease.id, lease.ttl) for lease in sorted(self.leases.values())],
            [(k, [(rev, tuple(kv[1:]) if kv is not None else None) for rev, kv in self._history[k]])
             for k in self._keys]), 4)
        return body + hashlib.sha256(body).digest()

    @classmethod
    def restore(cls, data: bytes, quota_bytes: int = DEFAULT_QUOTA) -> "MVCCStore":
        """A store from ``snapshot()`` bytes (etcdutl snapshot restore); refuses a damaged file."""
        body, digest = data[:-32], data[-32:]
        if len(data) < 32 or hashlib.sha256(body).digest() != digest or not body.startswith(SNAPSHOT_MAGIC):
            raise ValueError("snapshot file integrity check failed: sha256 mismatch")
        revision, compact_revision, leases, history = marshal.loads(body[len(SNAPSHOT_MAGIC):])
        store = cls(quota_bytes)
        store.revision, store.compact_revision = revision, compact_revision
        for lease_id, ttl in leases:
            store.leases[lease_id] = Lease(lease_id, ttl, {})
        for key, versions in history:
            for rev, fields in versions:
                kv = KeyValue(key, *fields) if fields is not None else None
                store._write(key, store._history.get(key), rev, kv)
                store._event_from_history(key, rev, kv)
            latest = store._latest(key)
            if latest is not None:
                store._live.add(key)
                if latest.lease in store.leases:
                    store.leases[latest.lease].keys[key] = None
        order = sorted(range(len(store._events)), key=lambda i: (store._event_revs[i], i))
        store._events = [store._events[i] for i in order]
        store._event_revs = [store._event_revs[i] for i in order]
        return store

    def _event_from_history(self, key: str, rev: int, kv: Optional[KeyValue]) -> None:
        if rev < self.compact_revision:
            return
        versions = self._history[key]
        prev = versions[-2][1] if len(versions) > 1 else None
        self._events.append(Event(PUT, kv, prev) if kv is not None else Event(DELETE, KeyValue(key, b"", 0, rev, 0), prev))
        self._event_revs.append(rev)

    # -- watch ---------------------------------------------------------------
    def watch(self, key: str, range_end: str, start_revision: int, callback: Callable[[list], None],
              prev_kv: bool = False) -> int:
        """Register a watcher; events from ``start_revision`` on are replayed first (synchronously).

        ``start_revision`` 0 means "from the next write". A compacted start raises
        CompactedError (the server turns it into a cancelled watch).
        """
        if 0 < start_revision < self.compact_revision:
            raise errors.CompactedError()
        self._next_watch += 1
        watcher = Watcher(self._next_watch, key, range_end, callback, prev_kv,
                          start_revision if start_revision > self.revision + 1 else 0)
        self.watchers.add(watcher)
        if 0 < start_revision <= self.revision:
            lo = bisect_right(self._event_revs, start_revision - 1)
            backlog = [e for e in self._events[lo:] if watcher.wants(e.kv.key)]
            if backlog:
                watcher.send(backlog)
        return watcher.id

    def cancel_watch(self, watch_id: int) -> bool:
        return self.watchers.remove(watch_id) is not None

    def _notify(self, events: list[Event]) -> None:
        matching = self.watchers.matching
        if len(events) == 1:
            for w in matching(events[0].kv.key):
                w.send(events)
            return
        per: dict[int, tuple[Watcher, list]] = {}
        for e in events:
            for w in matching(e.kv.key):
                entry = per.get(w.id)
                if entry is None:
                    per[w.id] = (w, [e])
                else:
                    entry[1].append(e)
        for wid in sorted(per):
            w, mine = per[wid]
            w.send(mine)
