"""An etcd cluster on its own: members on their own hosts, clients, faults, plain calls.

Mirrors what ``etcd --initial-cluster etcd-1=...,etcd-2=...,etcd-3=...`` sets up (a
static cluster of 1, 3 or 5 members; heartbeat 100 ms, election timeout 1 s) and what
``etcdctl`` does against it (``put``, ``get``, ``del``, ``txn``, ``watch``, ``lease``,
``compaction``, ``endpoint status``). The book's etcd chapters drive it; the fault
checker (``check.py``) builds on it.

Simplified: the ``etcdctl``-like methods run the kernel until their answer is in, so
virtual time moves while they wait.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from ..sim import Kernel, Network, Trace
from .client import EtcdClient
from .mvcc import DEFAULT_QUOTA, Compare, MVCCStore, Op, prefix_end
from .server import EtcdServer, WatchResponse


class EtcdCluster:
    def __init__(self, members: int = 3, seed: int = 0, trace: bool = True, snapshot_count: int = 100_000,
                 catch_up_entries: int = 5_000, unsafe_local_reads: bool = False,
                 quota_bytes: int = DEFAULT_QUOTA, restore: Optional[bytes] = None):
        """``restore``: a snapshot every member starts from (``etcdutl snapshot restore``)."""
        self.kernel = Kernel(seed)
        self.trace = Trace(enabled=trace)
        self.network = Network(self.kernel, self.trace)
        peers = {i: f"etcd-{i}" for i in range(1, members + 1)}
        self.members: dict[str, EtcdServer] = {
            name: EtcdServer(self.kernel, self.network, name, name, i, peers, snapshot_count=snapshot_count,
                             catch_up_entries=catch_up_entries, unsafe_local_reads=unsafe_local_reads,
                             quota_bytes=quota_bytes)
            for i, name in peers.items()}
        if restore is not None:
            for member in self.members.values():
                member.store = MVCCStore.restore(restore, quota_bytes)
        self.trace.revision = lambda: max(m.store.revision for m in self.members.values())
        self.etcdctl = self.client("etcdctl")

    # -- building and time -------------------------------------------------------------
    def client(self, name: str, servers: Optional[Iterable[str]] = None) -> EtcdClient:
        """A client on its own host ``name``, talking to ``servers`` (default: every member, in order)."""
        return EtcdClient(self.kernel, self.network, name, list(servers or self.members), host=name)

    @property
    def now(self) -> float:
        return self.kernel.now

    def run(self, seconds: float) -> None:
        self.kernel.run(seconds=seconds)

    def call(self, awaitable, limit: float = 600.0) -> Any:
        """Run the kernel until ``awaitable`` is done; its result (or its error, raised)."""
        return self.kernel.run_until_complete(awaitable, limit)

    def wait_for_leader(self, limit: float = 30.0) -> EtcdServer:
        start = self.kernel.now
        while self.leader() is None:
            if self.kernel.now - start > limit:
                raise TimeoutError(f"no leader after {limit:g} s")
            self.kernel.run(seconds=0.1)
        return self.leader()

    # -- the members ----------------------------------------------------------------------
    def leader(self) -> Optional[EtcdServer]:
        """The member that is up and leads in the highest term, if any."""
        leaders = [m for m in self.members.values() if m.is_leader]
        return max(leaders, key=lambda m: m.raft.term) if leaders else None

    def crash(self, name: str) -> None:
        self.members[name].crash()

    def restart(self, name: str) -> None:
        self.members[name].restart()

    def partition(self, side: Iterable[str], other: Optional[Iterable[str]] = None) -> None:
        """Cut ``side`` (member or client names) off from ``other`` (default: everyone else)."""
        side = list(side)
        if other is None:
            other = [n for n in list(self.members) + self._clients() if n not in side]
        self.network.partition(side, other)

    def heal(self) -> None:
        self.network.heal()

    def _clients(self) -> list[str]:
        return [name for name, ep in self.network.endpoints.items() if name not in self.members]

    def status(self) -> list[dict]:
        """``etcdctl endpoint status`` for every member, as rows."""
        rows = []
        for name, m in self.members.items():
            s = m.status()
            rows.append({"member": name, "up": m.up, "state": m.raft.state if m.up else "down",
                         "term": s.raft_term, "leader": s.leader if m.up else "", "raft index": s.raft_index,
                         "applied": s.applied_index, "revision": s.revision, "db size": s.db_size})
        return rows

    def format_status(self) -> str:
        rows = self.status()
        cols = list(rows[0])
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
        lines = ["  ".join(f"{c.upper():<{widths[c]}}" for c in cols)]
        lines += ["  ".join(f"{str(r[c]):<{widths[c]}}" for c in cols) for r in rows]
        return "\n".join(line.rstrip() for line in lines)

    # -- etcdctl -----------------------------------------------------------------------------
    def put(self, key: str, value: str | bytes, lease: int = 0, prev_kv: bool = False):
        return self.call(self.etcdctl.put(key, _bytes(value), lease=lease, prev_kv=prev_kv))

    def get(self, key: str, prefix: bool = False, range_end: str = "", **options):
        """``etcdctl get key [range_end] [--prefix]``; an empty key with ``prefix`` means every key."""
        key, end = _span(key, prefix, range_end)
        return self.call(self.etcdctl.range(key, end, **options))

    def delete(self, key: str, prefix: bool = False, range_end: str = "", prev_kv: bool = False):
        key, end = _span(key, prefix, range_end)
        return self.call(self.etcdctl.delete(key, end, prev_kv=prev_kv))

    def txn(self, compares: Iterable[Compare], success: Iterable[Op], failure: Iterable[Op] = ()):
        return self.call(self.etcdctl.txn(tuple(compares), tuple(success), tuple(failure)))

    def compact(self, revision: int) -> int:
        return self.call(self.etcdctl.compact(revision))

    def lease_grant(self, ttl: int) -> int:
        lease_id, _ = self.call(self.etcdctl.lease_grant(ttl))
        return lease_id

    def lease_keepalive(self, lease_id: int) -> int:
        return self.call(self.etcdctl.lease_keepalive(lease_id))

    def lease_revoke(self, lease_id: int):
        return self.call(self.etcdctl.lease_revoke(lease_id))

    def lease_ttl(self, lease_id: int, keys: bool = False):
        return self.call(self.etcdctl.lease_ttl(lease_id, keys))

    def snapshot(self) -> bytes:
        """``etcdctl snapshot save``: the bytes of one member's store."""
        return self.call(self.etcdctl.snapshot())

    def defragment(self) -> int:
        return self.call(self.etcdctl.defragment())

    def alarm_disarm(self) -> None:
        return self.call(self.etcdctl.alarm_disarm())

    def watch(self, key: str, prefix: bool = False, start_revision: int = 0, prev_kv: bool = False,
              on: Optional[Callable[[WatchResponse], None]] = None) -> list[WatchResponse]:
        """Start a watch; returns the list its responses are appended to (as ``etcdctl watch`` prints them)."""
        seen: list[WatchResponse] = []

        def handler(response: WatchResponse, hop: Any) -> None:
            seen.append(response)
            if on is not None:
                on(response)
        self.call(self.etcdctl.watch(key, prefix_end(key) if prefix else "", start_revision, handler, prev_kv))
        return seen


def _span(key: str, prefix: bool, range_end: str) -> tuple[str, str]:
    if prefix:
        return ("\0", "\0") if not key else (key, prefix_end(key))
    return key, range_end


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value
