"""The etcd client: KV, leases, watches and maintenance over the network, with failover.

Mirrors etcd v3.5 ``client/v3`` (``kv.go``, ``txn.go``, ``lease.go``, ``watch.go``,
``retry_interceptor.go``): requests go to one endpoint at a time; when it does not
answer, the client moves to the next. Reads are retried there; a write is retried
only when the member said it had no leader (so it was never proposed), because a
write that timed out may still be applied. A watch that breaks (its member died,
lost its leader, or a message of its stream was lost) resumes on the next endpoint
from the revision after the last event it delivered, so its handler sees every
event once, in order. Keepalive pings (30 s, 10 s timeout, as the API server sets
them in ``storage/storagebackend/factory/etcd3.go``) find dead members.

Simplified: one request per attempt, no gRPC back-off between endpoints, watches
resume one by one instead of as one stream.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from ..sim import Kernel, Message, Network
from ..sim.network import Refused, Unreachable
from . import errors
from .mvcc import Compare, Op, prefix_end
from .server import REQUEST_TIMEOUT, LeaseTTL, Status, WatchResponse

KEEPALIVE_TIME, KEEPALIVE_TIMEOUT = 30.0, 10.0
READ_RETRY = (errors.NoLeaderError, errors.RequestTimeoutError, errors.StoppedError, errors.LeaderChangedError)

Handler = Callable[[WatchResponse, Optional[int]], None]


class _Watch:
    __slots__ = ("id", "key", "range_end", "prev_kv", "progress_notify", "handler", "next_rev", "server",
                 "server_wid", "seq", "resuming")

    def __init__(self, wid, key, range_end, prev_kv, progress_notify, handler, start):
        self.id, self.key, self.range_end, self.prev_kv = wid, key, range_end, prev_kv
        self.progress_notify, self.handler, self.next_rev = progress_notify, handler, start
        self.server, self.server_wid, self.seq, self.resuming = "", 0, 0, False


class EtcdClient:
    """A client with its own endpoint name; ``servers`` are the members it may talk to.

    If ``host`` is given, the client listens on the network itself; otherwise its
    owner (the API server) passes pushed messages to ``on_message``.
    """

    def __init__(self, kernel: Kernel, network: Network, endpoint: str, servers: Iterable[str] | str = "etcd",
                 timeout: float = REQUEST_TIMEOUT + 1.0, host: Optional[str] = None):
        self.kernel, self.network, self.endpoint = kernel, network, endpoint
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        self.timeout = timeout
        self._current = 0
        self._watches: dict[int, _Watch] = {}
        self._by_server: dict[tuple[str, int], _Watch] = {}
        self._early: dict[tuple[str, int], list] = {}
        self._next_watch = 0
        self._pinging = False
        if host is not None:
            network.listen(endpoint, host, self.on_message)

    @property
    def server(self) -> str:
        return self.servers[self._current]

    def _rotate(self, failed: str) -> None:
        if self.servers[self._current] == failed:
            self._current = (self._current + 1) % len(self.servers)

    async def _call(self, kind: str, summary: str, body: Any, read: bool = False) -> Any:
        """One request, moved to the next member as the retry rules allow."""
        last: Exception = errors.NoEndpointsError()
        for _ in range(len(self.servers)):
            server = self.server
            try:
                result = await self.network.request(self.endpoint, server, kind, summary, body, self.timeout)
            except Refused:
                self._rotate(server)                 # never delivered: safe to send elsewhere
                last = errors.NoEndpointsError()
                continue
            except Unreachable:
                self._rotate(server)
                last = errors.DeadlineExceededError()
                if read:
                    continue
                raise last from None
            if isinstance(result, errors.NoLeaderError) or (read and isinstance(result, READ_RETRY)):
                self._rotate(server)
                last = result
                continue
            if isinstance(result, Exception):
                raise result
            return result
        raise last

    # -- KV ---------------------------------------------------------------------------
    async def range(self, key: str, range_end: str = "", revision: int = 0, limit: int = 0,
                    count_only: bool = False, keys_only: bool = False, serializable: bool = False):
        what = f"{key}*" if range_end else key
        return await self._call("Range", f"Range {what}", dict(
            key=key, range_end=range_end, revision=revision, limit=limit, count_only=count_only,
            keys_only=keys_only, serializable=serializable), read=True)

    async def get_prefix(self, prefix: str, **options):
        return await self.range(prefix, prefix_end(prefix), **options)

    async def txn(self, compares: tuple = (), success: tuple = (), failure: tuple = (), summary: str = "Txn"):
        return await self._call("Txn", summary, dict(compares=tuple(compares), success=tuple(success),
                                                      failure=tuple(failure)))

    async def put(self, key: str, value: bytes, lease: int = 0, prev_kv: bool = False):
        result = await self.txn((), (Op("PUT", key, value, prev_kv=prev_kv, lease=lease),), (), f"Put {key}")
        return result.responses[0]

    async def delete(self, key: str, range_end: str = "", prev_kv: bool = False):
        result = await self.txn((), (Op("DELETE", key, range_end=range_end, prev_kv=prev_kv),), (),
                                f"DeleteRange {key}{'*' if range_end else ''}")
        return result.responses[0]

    async def compare_and_swap(self, key: str, expected_mod_revision: int, value: bytes):
        """Put ``value`` only if ``key`` is still at ``expected_mod_revision`` (0: does not exist)."""
        return await self.txn((Compare(key, "MOD", "=", expected_mod_revision),), (Op("PUT", key, value),),
                              (Op("RANGE", key),), f"Txn {key} if mod_revision={expected_mod_revision}")

    async def compact(self, revision: int) -> int:
        return await self._call("Compact", f"Compact rev={revision}", revision)

    # -- leases -------------------------------------------------------------------------
    async def lease_grant(self, ttl: int, lease_id: int = 0) -> tuple[int, int]:
        """Returns (lease id, granted TTL)."""
        return await self._call("LeaseGrant", f"LeaseGrant ttl={ttl}", {"id": lease_id, "ttl": ttl})

    async def lease_revoke(self, lease_id: int):
        return await self._call("LeaseRevoke", f"LeaseRevoke {lease_id:x}", lease_id)

    async def lease_keepalive(self, lease_id: int) -> int:
        """Renew once; returns the TTL."""
        return await self._call("LeaseKeepAlive", f"LeaseKeepAlive {lease_id:x}", {"id": lease_id}, read=True)

    async def lease_ttl(self, lease_id: int, keys: bool = False) -> LeaseTTL:
        return await self._call("LeaseTimeToLive", f"LeaseTimeToLive {lease_id:x}", {"id": lease_id, "keys": keys},
                                read=True)

    async def leases(self) -> tuple:
        return await self._call("LeaseLeases", "LeaseLeases", None, read=True)

    # -- maintenance ----------------------------------------------------------------------
    async def status(self, server: Optional[str] = None) -> Status:
        if server is not None:
            return await self.network.request(self.endpoint, server, "Status", "Status", None, self.timeout)
        return await self._call("Status", "Status", None, read=True)

    async def snapshot(self) -> bytes:
        return await self._call("Snapshot", "Snapshot", None, read=True)

    async def defragment(self) -> int:
        return await self._call("Defragment", "Defragment", None, read=True)

    async def alarm_disarm(self) -> None:
        return await self._call("AlarmDisarm", "Alarm DEACTIVATE NOSPACE", None)

    # -- watches --------------------------------------------------------------------------
    async def watch(self, key: str, range_end: str, start_revision: int, handler: Handler,
                    prev_kv: bool = False, progress_notify: bool = False) -> int:
        """Start a watch; ``handler(response, hop)`` gets each WatchResponse. Returns the watch id.

        A response with ``canceled`` and ``compact_revision`` set ends the watch: its
        start was compacted. Other breaks are repaired here, out of the handler's sight.
        """
        self._next_watch += 1
        w = _Watch(self._next_watch, key, range_end, prev_kv, progress_notify, handler, start_revision)
        self._watches[w.id] = w
        await self._open(w)
        return w.id

    async def _open(self, w: _Watch) -> None:
        summary = f"Watch {w.key}{'*' if w.range_end else ''} from rev={w.next_rev}"
        body = dict(key=w.key, range_end=w.range_end, start_revision=w.next_rev, prev_kv=w.prev_kv,
                    progress_notify=w.progress_notify, require_leader=True)
        for _ in range(len(self.servers)):
            server = self.server
            try:
                wid = await self.network.request(self.endpoint, server, "Watch", summary, body, self.timeout)
            except Unreachable:
                self._rotate(server)
                continue
            if w.id not in self._watches:
                return                                  # cancelled meanwhile
            w.server, w.server_wid, w.seq = server, wid, 0
            self._by_server[(server, wid)] = w
            for response, hop in self._early.pop((server, wid), ()):
                self._deliver(w, response, hop)
            self._start_pings()
            return
        raise errors.NoEndpointsError()

    async def cancel_watch(self, wid: int) -> None:
        w = self._watches.pop(wid, None)
        if w is None or not w.server_wid:
            return
        self._by_server.pop((w.server, w.server_wid), None)
        try:
            await self.network.request(self.endpoint, w.server, "WatchCancel", f"WatchCancel {w.server_wid}",
                                       w.server_wid, self.timeout)
        except Unreachable:
            pass

    async def request_progress(self) -> None:
        """Ask the members serving this client's watches for a progress notification."""
        for server in sorted({w.server for w in self._watches.values() if w.server}):
            await self.network.request(self.endpoint, server, "WatchProgress", "WatchProgress", self.endpoint,
                                       self.timeout)

    def on_message(self, msg: Message) -> bool:
        """Route a pushed WatchResponse; returns False for anything else."""
        if msg.kind != "WatchResponse":
            return False
        response: WatchResponse = msg.body
        w = self._by_server.get((msg.src, response.watch_id))
        if w is None:                            # before the Watch reply was seen
            self._early.setdefault((msg.src, response.watch_id), []).append((response, msg.hop))
            return True
        self._deliver(w, response, msg.hop)
        return True

    def _deliver(self, w: _Watch, response: WatchResponse, hop: Optional[int]) -> None:
        if w.id not in self._watches or w.resuming:
            return
        if response.seq != w.seq + 1:            # a message of the stream was lost: the stream is broken
            self._resume(w)
            return
        w.seq = response.seq
        if response.canceled and not response.compact_revision:
            self._resume(w)                      # no leader there, or the member restored a snapshot
            return
        if response.events:
            w.next_rev = response.events[-1].kv.mod_revision + 1
        if response.canceled:
            del self._watches[w.id]
            self._by_server.pop((w.server, w.server_wid), None)
        w.handler(response._replace(watch_id=w.id), hop)

    def _resume(self, w: _Watch) -> None:
        self._by_server.pop((w.server, w.server_wid), None)
        self._rotate(w.server)
        w.resuming = True

        async def again() -> None:
            while w.id in self._watches:
                try:
                    w.resuming = False
                    await self._open(w)
                    return
                except errors.EtcdError:
                    w.resuming = True
                    await self.kernel.sleep(1.0)
        self.kernel.spawn(again(), f"{self.endpoint} resumes watch {w.id}")

    def _start_pings(self) -> None:
        if not self._pinging:
            self._pinging = True
            self.kernel.spawn(self._pings(), f"{self.endpoint} keepalive")

    async def _pings(self) -> None:
        """HTTP/2 keepalive: a member that does not answer in time has its watches moved."""
        while self._watches:
            await self.kernel.sleep(KEEPALIVE_TIME)
            for server in sorted({w.server for w in self._watches.values() if w.server and not w.resuming}):
                try:
                    await self.network.request(self.endpoint, server, "Ping", "HTTP/2 PING (keepalive)", None,
                                               KEEPALIVE_TIMEOUT)
                except Unreachable:
                    for w in [w for w in self._watches.values() if w.server == server and not w.resuming]:
                        self._resume(w)
        self._pinging = False
