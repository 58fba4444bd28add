"""An etcd member: Raft driven on the kernel's clock, the MVCC store as its state machine.

Mirrors etcd v3.5 ``server/etcdserver/server.go`` and ``raft.go`` (a ticker every
heartbeat interval, the Ready loop: send, apply, snapshot), ``v3_server.go``
(requests proposed through Raft and answered once applied, the request size check,
linearizable reads through ReadIndex, request timeout 5 s + 2 x election timeout),
``apply.go`` (applying Txn, Compaction, LeaseGrant, LeaseRevoke), ``lease/lessor.go``
(the leader keeps lease expiry; an expired lease is revoked through Raft; a new
leader extends every lease) and ``api/v3rpc/watch.go`` (a watch pushes
WatchResponses; progress notifications; watches that require a leader are cancelled
when the member has lost it).

Simplified: member ids are 1..n and membership is fixed; lease renewals and
time-to-live queries are forwarded to the leader as plain requests; each linearizable
read asks Raft for its own read index (etcd batches them); watch streams are numbered
messages (``seq``) rather than one gRPC stream per client; a member that knows no
leader holds a request until the request timeout and then answers "etcdserver: no
leader" (etcd drops a write at once with "raft proposal dropped"); the gRPC layer is
only its message size limit.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional

from ..sim import Kernel, Message, Network
from ..sim.network import Unreachable
from . import errors
from .mvcc import DEFAULT_QUOTA, MVCCStore
from .raft import LEADER, Msg, RaftNode

MAX_REQUEST_BYTES = 1536 * 1024   # --max-request-bytes default (1.5 MiB)
MAX_GRPC_BYTES = MAX_REQUEST_BYTES + 512 * 1024   # gRPC's receive limit: the request limit + grpcOverheadBytes
HEARTBEAT = 0.1                   # --heartbeat-interval 100 ms
ELECTION_TICKS = 10               # --election-timeout 1000 ms
REQUEST_TIMEOUT = 5.0 + 2 * HEARTBEAT * ELECTION_TICKS    # ReqTimeout(): 7 s
MIN_LEASE_TTL = math.ceil(3 * ELECTION_TICKS / 2 * HEARTBEAT)   # minLeaseTTL: 2 s
WAL_FSYNC = 0.001                 # one WAL write and fsync on a good SSD
LEASE_CHECK = 0.5                 # how often the leader looks for expired leases
PROGRESS_INTERVAL = 600.0         # --experimental-watch-progress-notify-interval (10 min)
NO_LEADER_TICKS = 3 * ELECTION_TICKS   # how long without a leader before require-leader watches end

TRANSPORT_CLOSING = "rpc error: code = Unavailable desc = transport is closing"

EtcdError = errors.EtcdError


class WatchResponse(NamedTuple):
    watch_id: int
    events: tuple
    revision: int = 0              # the header revision
    compact_revision: int = 0      # non-zero: cancelled because its start was compacted
    canceled: bool = False
    cancel_reason: str = ""
    progress: bool = False         # a progress notification (no events)
    seq: int = 0                   # position in the stream, to notice a lost message


class LeaseTTL(NamedTuple):
    id: int
    ttl: int                       # seconds left (-1: the lease does not exist)
    granted_ttl: int
    keys: tuple = ()


class Status(NamedTuple):
    member: str
    leader: str
    raft_term: int
    raft_index: int
    applied_index: int
    revision: int
    db_size: int
    db_size_in_use: int
    alarm: str


class EtcdServer:
    """One etcd member behind the network endpoint ``name``.

    ``peers`` maps member id -> endpoint name for every member (itself included);
    without it the member is a cluster of one.
    """

    def __init__(self, kernel: Kernel, network: Network, name: str = "etcd", host: str = "control-plane",
                 member_id: int = 1, peers: Optional[dict[int, str]] = None, snapshot_count: int = 100_000,
                 catch_up_entries: int = 5_000, quota_bytes: int = DEFAULT_QUOTA,
                 unsafe_local_reads: bool = False):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.id = member_id
        self.peers = dict(sorted((peers or {member_id: name}).items()))
        self.snapshot_count, self.catch_up_entries = snapshot_count, catch_up_entries
        self.unsafe_local_reads = unsafe_local_reads     # a broken variant, for the checker to catch
        # What survives a crash (the data directory): the store and Raft's log and hard state.
        self.store = MVCCStore(quota_bytes)
        self.raft = RaftNode(member_id, list(self.peers), kernel.rng, election_tick=ELECTION_TICKS)
        self.applied_index = 0
        self._last_snapshot = 0
        self.up = False
        self.history: list[tuple[float, int, str, int]] = []   # (time, term, state, leader) at each change
        network.listen(name, host, self._handle)
        self.start()

    # -- life ---------------------------------------------------------------------
    def start(self) -> None:
        """Start (or restart after a crash) with what is on disk; volatile state begins anew."""
        self.up = True
        self.network.up(self.name, self._handle)
        self.raft.restart()
        self._waiters: dict[int, tuple[Message, Any]] = {}     # request id -> (request, timer)
        self._reads: dict[tuple, tuple[Message, Any]] = {}       # read context -> (request, timer)
        self._read_waits: list[tuple[int, int]] = []           # (index, context) waiting to be applied
        self._streams: dict[int, list] = {}                    # watch id -> [client, seq, require_leader]
        self._expiry: dict[int, float] = {}                    # lease id -> when (only while leader)
        self._revoking: set[int] = set()
        self._scheduled = False
        self._disk_free = 0.0                                  # when the WAL fsync in progress ends
        self._cause: Optional[int] = None
        self._no_leader_ticks = 0
        self._next_request = 0
        self._note_role()
        if len(self.peers) == 1:
            self.raft.election_elapsed = self.raft.randomized_timeout - 1   # etcd fast-forwards a lone member
        self.kernel.spawn(self._ticker(), f"{self.name} raft ticker", cause=None, owner=self.name)
        self.kernel.spawn(self._lease_loop(), f"{self.name} lessor", cause=None, owner=self.name)
        self.kernel.spawn(self._progress_loop(), f"{self.name} watch progress", cause=None, owner=self.name)

    def crash(self) -> None:
        """The process dies: requests in flight, watches and timers are gone; the disk stays."""
        if not self.up:
            return
        self.up = False
        # The host closes the dead process's connections: watchers hear of it at once and move on.
        self._cancel_streams(TRANSPORT_CLOSING, require_leader=False)
        self.network.down(self.name)
        self.kernel.cancel_owned(self.name)
        for _, timer in list(self._waiters.values()) + list(self._reads.values()):
            timer.cancel()
        self._note_role(crashed=True)

    def restart(self) -> None:
        if not self.up:
            self.start()

    @property
    def is_leader(self) -> bool:
        return self.up and self.raft.state == LEADER

    def leader_name(self) -> str:
        return self.peers.get(self.raft.lead, "")

    async def _ticker(self) -> None:
        while True:
            await self.kernel.sleep(HEARTBEAT)
            self.raft.tick()
            if self.raft.lead:
                self._no_leader_ticks = 0
            else:
                self._no_leader_ticks += 1
                if self._no_leader_ticks == NO_LEADER_TICKS:
                    self._cancel_streams(errors.NoLeaderError.message, require_leader=True)
            self._process()

    def _note_role(self, crashed: bool = False) -> None:
        state = "down" if crashed else self.raft.state
        entry = (self.kernel.now, self.raft.term, state, self.raft.lead)
        if not self.history or self.history[-1][1:] != entry[1:]:
            self.history.append(entry)

    # -- the Ready loop -----------------------------------------------------------
    def _kick(self) -> None:
        """Process Raft's output soon: now, or when the disk has finished the last write.

        While the WAL is being fsynced, proposals and messages pile up; the next Ready
        carries them all, in one append per follower (etcd's natural batching).
        """
        if not self._scheduled:
            self._scheduled = True
            self.kernel._at(max(0.0, self._disk_free - self.kernel.now), self._run_ready, None)

    def _run_ready(self, _) -> None:
        self._scheduled = False
        if self.up:
            self._process()

    def _process(self) -> None:
        raft = self.raft
        was_leader = self.history and self.history[-1][2] == LEADER
        while raft.has_ready():
            rd = raft.ready()
            if rd.written:
                self._disk_free = self.kernel.now + WAL_FSYNC
            if rd.messages:
                # A leader sends while its disk writes; a follower acknowledges only what is on disk.
                wait = WAL_FSYNC if rd.written and raft.state != LEADER else 0.0
                self.kernel._at(wait, self._send_all, rd.messages)
            if rd.snapshot is not None:
                self._install(rd.snapshot)
            for entry in rd.committed:
                self._apply(entry)
            for rs in rd.read_states:
                self._read_ready(rs.index, rs.context)
            self._serve_reads()
            if self.applied_index - self._last_snapshot >= self.snapshot_count:
                raft.compact(self.store.snapshot(), self.catch_up_entries)
                self._last_snapshot = self.applied_index
        self._note_role()
        now_leader = raft.state == LEADER
        if now_leader and not was_leader:
            self._promote()
        elif was_leader and not now_leader:
            self._expiry.clear()

    def _send_all(self, messages: list) -> None:
        if not self.up:
            return
        traced = self.network.trace.enabled
        for m in messages:
            self.network.send(self.name, self.peers[m.to], m.type, _describe(m) if traced else m.type, m,
                              cause=_cause_of(m) if traced else None)

    def _install(self, snap) -> None:
        old = self.store
        self.store = MVCCStore.restore(snap.data, old.quota_bytes)
        for watcher in list(old.watchers.by_id.values()):
            self._streams.pop(watcher.id, None)
            old.cancel_watch(watcher.id)
            watcher.callback([])          # see _watch: an empty batch means the watch must be re-made
        self.applied_index = self._last_snapshot = snap.index

    def _apply(self, entry) -> None:
        self.applied_index = entry.index
        if entry.data is None:
            return
        origin, request_id, kind, body, hop = entry.data
        self._cause = hop                   # watch events of this write are caused by the client's request
        try:
            result: Any = self._apply_request(kind, body)
        except EtcdError as error:
            result = error
        if origin == self.id:
            waiter = self._waiters.pop(request_id, None)
            if waiter is not None:
                msg, timer = waiter
                timer.cancel()
                self._answer(msg, result)

    def _apply_request(self, kind: str, body: Any) -> Any:
        store = self.store
        if kind == "Txn":
            return store.apply_txn(*body)
        if kind == "Compact":
            store.compact(body)
            return store.revision
        if kind == "LeaseGrant":
            lease = store.lease_grant(*body)
            if self.is_leader:
                self._expiry[lease.id] = self.kernel.now + lease.ttl
            return lease.id, lease.ttl
        if kind == "LeaseRevoke":
            self._expiry.pop(body, None)
            self._revoking.discard(body)
            return store.lease_revoke(body)
        if kind == "AlarmDisarm":
            store.alarm_disarm()
            return None
        raise EtcdError(f"unknown request {kind}")

    # -- client requests ------------------------------------------------------------
    def _handle(self, msg: Message) -> None:
        kind, body = msg.kind, msg.body
        if isinstance(body, Msg):
            self.raft.step(body)
            self._kick()
            return
        try:
            if kind == "Range":
                self._range(msg)
            elif kind in ("Txn", "Compact", "LeaseGrant", "LeaseRevoke", "AlarmDisarm"):
                self._propose(msg)
            elif kind in ("LeaseKeepAlive", "LeaseTimeToLive"):
                self._lease_query(msg)
            elif kind == "LeaseLeases":
                self._answer(msg, tuple(sorted(self.store.leases)))
            elif kind == "Watch":
                self._watch(msg)
            elif kind == "WatchCancel":
                self.store.cancel_watch(body)
                self._streams.pop(body, None)
                self._answer(msg, None)
            elif kind == "WatchProgress":
                self._answer(msg, None)
                self._progress(body)
            elif kind == "Ping":
                self._answer(msg, "pong")
            elif kind == "Status":
                self._answer(msg, self.status())
            elif kind == "Snapshot":
                self._answer(msg, self.store.snapshot())
            elif kind == "Defragment":
                self._answer(msg, self.store.defragment())
            else:
                raise EtcdError(f"unknown request {kind}")
        except EtcdError as error:
            self._answer(msg, error)

    def _answer(self, msg: Message, result: Any) -> None:
        self.network.reply(msg, result, _summary(msg.kind, result) if self.network.trace.enabled else "")

    def _propose(self, msg: Message) -> None:
        kind, body = msg.kind, msg.body
        if kind == "Txn":
            self.store.check_txn(body["compares"], body["success"], body["failure"])
            size = request_size(body)
            if size > MAX_GRPC_BYTES:
                raise errors.MessageTooLargeError(f"{errors.MessageTooLargeError.message} ({size} vs. {MAX_GRPC_BYTES})")
            if size > MAX_REQUEST_BYTES:
                raise errors.RequestTooLargeError()
            body = (body["compares"], body["success"], body["failure"])
        elif kind == "LeaseGrant":
            body = (body.get("id") or self._new_lease_id(), max(body["ttl"], MIN_LEASE_TTL))
        # A log entry is all tuples: immutable, and once Python's GC has seen it, never scanned again.
        self._next_request += 1
        request_id = self._next_request
        self._waiters[request_id] = (msg, self.kernel.call_later(REQUEST_TIMEOUT, self._expire_write, request_id))
        if not self.raft.propose((self.id, request_id, kind, body, msg.hop)):
            self._waiters.pop(request_id)[1].cancel()
            self._wait_for_leader(msg)
            return
        self._kick()

    def _wait_for_leader(self, msg: Message) -> None:
        """No leader known: try again each tick until the request times out (then: no leader)."""
        deadline = self.kernel.now + REQUEST_TIMEOUT

        async def retry() -> None:
            while self.kernel.now < deadline:
                await self.kernel.sleep(HEARTBEAT)
                if self.raft.lead:
                    self._handle(msg)
                    return
            self._answer(msg, errors.NoLeaderError())
        self.kernel.spawn(retry(), f"{self.name} waits for a leader", owner=self.name)

    def _expire_write(self, request_id: int) -> None:
        waiter = self._waiters.pop(request_id, None)
        if waiter is not None:
            self._answer(waiter[0], errors.RequestTimeoutError())

    def _new_lease_id(self) -> int:
        # idutil.Generator: the member id's low 16 bits, then a number unique to this member.
        return ((self.id & 0x7FFF) << 48) | self.kernel.rng.getrandbits(48)

    # reads
    def _range(self, msg: Message) -> None:
        body = dict(msg.body)
        serializable = body.pop("serializable", False)
        if serializable or len(self.peers) == 1 and self.is_leader or self.unsafe_local_reads:
            self._answer(msg, self.store.range(**body))
            return
        self._next_request += 1
        context = (self.id, self._next_request, msg.hop)     # the hop: the read's messages are caused by it
        self._reads[context] = (msg, self.kernel.call_later(REQUEST_TIMEOUT, self._expire_read, context))
        if not self.raft.read_index(context):
            self._reads.pop(context)[1].cancel()
            self._wait_for_leader(msg)
            return
        self._kick()

    def _expire_read(self, context: tuple) -> None:
        waiter = self._reads.pop(context, None)
        if waiter is not None:
            self._read_waits = [(i, c) for i, c in self._read_waits if c != context]
            self._answer(waiter[0], errors.RequestTimeoutError())

    def _read_ready(self, index: int, context: tuple) -> None:
        if context in self._reads:
            self._read_waits.append((index, context))

    def _serve_reads(self) -> None:
        if not self._read_waits:
            return
        waiting = []
        for index, context in self._read_waits:
            if index > self.applied_index:
                waiting.append((index, context))
                continue
            msg, timer = self._reads.pop(context)
            timer.cancel()
            body = dict(msg.body)
            body.pop("serializable", None)
            try:
                self._answer(msg, self.store.range(**body))
            except EtcdError as error:
                self._answer(msg, error)
        self._read_waits = waiting

    # -- leases ---------------------------------------------------------------------
    def _promote(self) -> None:
        """A new leader: every lease gets its full TTL again (lessor.Promote)."""
        now = self.kernel.now
        self._expiry = {lease.id: now + lease.ttl for lease in self.store.leases.values()}
        self._revoking.clear()

    async def _lease_loop(self) -> None:
        while True:
            await self.kernel.sleep(LEASE_CHECK)
            if not self.is_leader:
                continue
            now = self.kernel.now
            for lease_id, when in sorted(self._expiry.items(), key=lambda item: (item[1], item[0])):
                if when > now:
                    break
                if lease_id not in self._revoking:
                    self._revoking.add(lease_id)
                    self._next_request += 1
                    self.raft.propose((self.id, 0, "LeaseRevoke", lease_id, None))
                    self._kick()

    def _lease_query(self, msg: Message) -> None:
        if not self.is_leader:
            self.kernel.spawn(self._forward(msg), f"{self.name} forwards {msg.kind}", owner=self.name)
            return
        lease_id = msg.body["id"]
        lease = self.store.leases.get(lease_id)
        if lease is None or lease_id in self._revoking:
            if msg.kind == "LeaseTimeToLive":
                self._answer(msg, LeaseTTL(lease_id, -1, 0))
                return
            raise errors.LeaseNotFoundError()
        if msg.kind == "LeaseKeepAlive":
            self._expiry[lease_id] = self.kernel.now + lease.ttl
            self._answer(msg, lease.ttl)
            return
        left = max(0, int(self._expiry.get(lease_id, self.kernel.now) - self.kernel.now))
        keys = tuple(sorted(lease.keys)) if msg.body.get("keys") else ()
        self._answer(msg, LeaseTTL(lease_id, left, lease.ttl, keys))

    async def _forward(self, msg: Message) -> None:
        leader = self.peers.get(self.raft.lead)
        if leader is None:
            self._answer(msg, errors.NoLeaderError())
            return
        try:
            result = await self.network.request(self.name, leader, msg.kind, f"forward {msg.kind}", msg.body,
                                                REQUEST_TIMEOUT)
        except Unreachable:
            result = errors.RequestTimeoutError()
        self._answer(msg, result)

    # -- watches ----------------------------------------------------------------------
    def _watch(self, msg: Message) -> None:
        body, client = msg.body, msg.src
        start = body.get("start_revision", 0)
        stream = [client, 0, body.get("require_leader", False), body.get("progress_notify", False)]
        box: list[int] = []
        early: list = []
        self._cause = msg.hop

        def push(events: list) -> None:
            if not box:
                early.append(events)
            elif events:
                self._push(box[0], stream, tuple(events))
            else:        # the store was replaced by a snapshot: the stream ends, the client resumes
                self._cancel(box[0], stream, "etcdserver: watch stream restarted")
        try:
            wid = self.store.watch(body["key"], body.get("range_end", ""), start, push, body.get("prev_kv", False))
        except errors.CompactedError:
            # Created with an id of its own, then cancelled: no header revision, no reason.
            self.store._next_watch += 1
            wid = self.store._next_watch
            self._answer(msg, wid)
            self._push(wid, stream, (), revision=0, compact_revision=self.store.compact_revision, canceled=True)
            return
        box.append(wid)
        self._streams[wid] = stream
        self._answer(msg, wid)
        for events in early:
            self._push(wid, stream, tuple(events))

    def _push(self, wid: int, stream: list, events: tuple, **fields) -> None:
        stream[1] += 1
        if events:
            first = events[0]
            more = f" (+{len(events) - 1})" if len(events) > 1 else ""
            summary = f"watch {first.type} {first.kv.key}{more} rev={first.kv.mod_revision}"
        elif fields.get("canceled"):
            why = fields.get("cancel_reason") or f"compacted at {fields.get('compact_revision')}"
            summary = f"watch {wid} canceled: {why}"
        else:
            summary = f"watch {wid} progress rev={self.store.revision}"
        header = fields.pop("revision", self.store.revision)
        response = WatchResponse(wid, events, header, seq=stream[1], **fields)
        self.network.send(self.name, stream[0], "WatchResponse", summary, response, cause=self._cause)

    def _cancel(self, wid: int, stream: list, reason: str) -> None:
        self.store.cancel_watch(wid)
        self._streams.pop(wid, None)
        self._push(wid, stream, (), canceled=True, cancel_reason=reason)

    def _cancel_streams(self, reason: str, require_leader: bool) -> None:
        for wid, stream in list(self._streams.items()):
            if stream[2] or not require_leader:
                self._cancel(wid, stream, reason)

    def _progress(self, client: str) -> None:
        for wid, stream in list(self._streams.items()):
            if stream[0] == client:
                self._push(wid, stream, (), progress=True)

    async def _progress_loop(self) -> None:
        while True:
            await self.kernel.sleep(PROGRESS_INTERVAL)
            for wid, stream in list(self._streams.items()):
                if stream[3]:
                    self._push(wid, stream, (), progress=True)

    # -- maintenance --------------------------------------------------------------------
    def status(self) -> Status:
        return Status(self.name, self.leader_name(), self.raft.term, self.raft.log.last_index(), self.applied_index,
                      self.store.revision, self.store.size, self.store.size_in_use, self.store.alarm)


def request_size(body: dict) -> int:
    """What the request weighs as protobuf: each field's tag, length and bytes.

    A txn of one plain PUT is what a client's Put becomes here, so it is weighed as the
    PutRequest it stands for; other txns add a few bytes per operation and compare.
    """
    ops = body["success"] + body["failure"]
    if not body["compares"] and len(ops) == 1 and ops[0].type == "PUT":
        return _op_size(ops[0])
    return sum(_op_size(op) + 4 for op in ops) + sum(14 + len(c.key) for c in body["compares"])


def _op_size(op) -> int:
    size = 0
    for field in (op.key, op.value, op.range_end):
        if field:
            size += 1 + _varint_len(len(field)) + len(field)
    return size


def _varint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def _cause_of(m: Msg) -> Any:
    """The client request a Raft message works for: its entries' or its read's."""
    for e in m.entries:
        if e.data is not None:
            return e.data[4]
    return m.context[2] if type(m.context) is tuple else None


def _describe(m: Msg) -> str:
    t = m.type
    if t == "MsgApp":
        return f"{t} term={m.term} prev={m.index}/{m.log_term} entries={len(m.entries)} commit={m.commit}"
    if t == "MsgAppResp":
        return f"{t} term={m.term} index={m.index}{' reject' if m.reject else ''}"
    if t in ("MsgVote", "MsgPreVote"):
        return f"{t} term={m.term} last={m.index}/{m.log_term}"
    if t in ("MsgVoteResp", "MsgPreVoteResp"):
        return f"{t} term={m.term} {'rejected' if m.reject else 'granted'}"
    if t == "MsgSnap":
        return f"{t} term={m.term} snapshot index={m.snapshot.index}"
    return f"{t} term={m.term}"


def _summary(kind: str, result: Any) -> str:
    if isinstance(result, Exception):
        return f"error: {result}"
    if kind == "Range":
        return f"{result.count} kv(s) rev={result.revision}"
    if kind == "Txn":
        return f"{'succeeded' if result.succeeded else 'failed'} rev={result.revision}"
    return "ok"
