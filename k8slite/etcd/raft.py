"""Raft, as a state machine driven by ticks and messages, like etcd's raft library.

Mirrors etcd v3.5 ``raft/raft.go`` (roles, elections with PreVote and CheckQuorum,
log replication, commit by quorum in the current term, ReadIndex), ``raft/log.go``
(the log, its consistency check, compaction behind a snapshot) and
``raft/tracker/progress.go`` (per-follower match/next with probe, replicate and
snapshot states). The node does no I/O: the server calls ``tick()``, ``step(m)``,
``propose(data)`` and ``read_index(ctx)``, then takes ``ready()``: the messages to
send, the entries now committed, a snapshot to install and the reads now safe.

Persistent state (survives a crash, as if fsynced before any message leaves):
``term``, ``vote``, ``log`` (entries, snapshot, committed). Everything else is
rebuilt by ``restart()``.

Simplified: no membership changes (the voters are fixed at start), no leadership
transfer, no flow-control window (a follower in replicate state gets every entry at
once), appends and forwarded proposals are batched per ``ready()`` instead of one message
per proposal, and a
rejected append backs off to the follower's hint without the term-based skip.
"""
from __future__ import annotations

import random
from typing import Any, NamedTuple, Optional

FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER = "follower", "pre-candidate", "candidate", "leader"
PROBE, REPLICATE, SNAPSHOT = "probe", "replicate", "snapshot"
NONE = 0                      # no node (ids start at 1)


class Entry(NamedTuple):
    term: int
    index: int
    data: Any = None          # None: the empty entry a new leader appends


class Snapshot(NamedTuple):
    index: int
    term: int
    data: bytes = b""


class Msg(NamedTuple):
    type: str                 # MsgApp, MsgAppResp, MsgVote, MsgVoteResp, MsgPreVote, MsgPreVoteResp,
    frm: int                  # MsgHeartbeat, MsgHeartbeatResp, MsgSnap, MsgProp, MsgReadIndex, MsgReadIndexResp
    to: int
    term: int
    log_term: int = 0
    index: int = 0
    entries: tuple = ()
    commit: int = 0
    reject: bool = False
    hint: int = 0
    snapshot: Optional[Snapshot] = None
    context: Any = None


class ReadState(NamedTuple):
    index: int                # serve the read once this index is applied
    context: Any


class Ready(NamedTuple):
    written: bool             # entries or hard state were written: the WAL must be fsynced
    messages: list
    committed: list           # entries to apply, in order
    snapshot: Optional[Snapshot]
    read_states: list


class RaftLog:
    """The log after the last snapshot: ``entries[0]`` stands for the snapshot (index, term)."""

    def __init__(self):
        self.entries: list[Entry] = [Entry(0, 0)]
        self.snapshot = Snapshot(0, 0)
        self.committed = 0
        self.applied = 0

    @property
    def offset(self) -> int:
        return self.entries[0].index

    def first_index(self) -> int:
        return self.offset + 1

    def last_index(self) -> int:
        return self.entries[-1].index

    def last_term(self) -> int:
        return self.entries[-1].term

    def term(self, index: int) -> Optional[int]:
        """The term of entry ``index``; None when it is compacted away or not there yet."""
        i = index - self.offset
        if i < 0 or i >= len(self.entries):
            return None
        return self.entries[i].term

    def slice(self, lo: int, hi: int) -> tuple:
        """Entries lo..hi-1 (the caller knows lo is not compacted)."""
        return tuple(self.entries[lo - self.offset:hi - self.offset])

    def is_up_to_date(self, last_index: int, term: int) -> bool:
        return term > self.last_term() or (term == self.last_term() and last_index >= self.last_index())

    def append(self, entries: tuple) -> int:
        """Append after dropping any conflicting suffix; returns the new last index."""
        for e in entries:
            t = self.term(e.index)
            if t is None or t != e.term:
                if e.index <= self.committed:
                    raise AssertionError(f"entry {e.index} conflicts with a committed one")
                del self.entries[e.index - self.offset:]
                self.entries.append(e)
        return self.last_index()

    def restore(self, snap: Snapshot) -> None:
        self.entries = [Entry(snap.term, snap.index)]
        self.snapshot = snap
        self.committed = snap.index
        self.applied = snap.index

    def compact(self, snap: Snapshot, keep: int) -> None:
        """Take ``snap`` (at an applied index) and drop entries before ``snap.index - keep``."""
        self.snapshot = snap
        cut = max(snap.index - keep, self.offset)
        if cut > self.offset:
            del self.entries[:cut - self.offset]
            self.entries[0] = Entry(self.entries[0].term, self.entries[0].index)


class Progress:
    __slots__ = ("match", "next", "state", "paused", "pending_snapshot", "recent_active")

    def __init__(self, next_index: int):
        self.match, self.next, self.state = 0, next_index, PROBE
        self.paused, self.pending_snapshot, self.recent_active = False, 0, True


class RaftNode:
    def __init__(self, node_id: int, peers: list[int], rng: random.Random, election_tick: int = 10,
                 heartbeat_tick: int = 1, pre_vote: bool = True, check_quorum: bool = True):
        self.id, self.peers = node_id, sorted(peers)
        self.rng = rng
        self.election_tick, self.heartbeat_tick = election_tick, heartbeat_tick
        self.pre_vote, self.check_quorum = pre_vote, check_quorum
        self.term, self.vote = 0, NONE
        self.log = RaftLog()
        self.restart()

    # -- roles -----------------------------------------------------------------
    def restart(self) -> None:
        """Volatile state from scratch (a new process): a follower that knows no leader."""
        self.state, self.lead = FOLLOWER, NONE
        self.msgs: list[Msg] = []
        self.progress: dict[int, Progress] = {}
        self.votes: dict[int, bool] = {}
        self.read_states: list[ReadState] = []
        self._reads: list[list] = []          # leader: [context, index, requester, acks]
        self._pending_reads: list[Msg] = []   # leader: ReadIndex asked before it committed in its term
        self._snapshot_to_apply: Optional[Snapshot] = None
        self._broadcast = False
        self._forward: list[Entry] = []
        self._written = self.log.last_index()
        self.election_elapsed = self.heartbeat_elapsed = 0
        self._reset_timeout()

    @property
    def quorum(self) -> int:
        return len(self.peers) // 2 + 1

    def _reset_timeout(self) -> None:
        self.randomized_timeout = self.election_tick + self.rng.randrange(self.election_tick)

    def _reset(self, term: int) -> None:
        if term != self.term:
            self.term, self.vote = term, NONE
        self.lead = NONE
        self.election_elapsed = self.heartbeat_elapsed = 0
        self._reset_timeout()
        self.votes = {}
        self._reads, self._pending_reads = [], []

    def become_follower(self, term: int, lead: int) -> None:
        self._reset(term)
        self.state, self.lead = FOLLOWER, lead

    def _become_pre_candidate(self) -> None:
        self.state, self.lead, self.votes = PRE_CANDIDATE, NONE, {}
        self.election_elapsed = 0
        self._reset_timeout()

    def _become_candidate(self) -> None:
        self._reset(self.term + 1)
        self.state, self.vote = CANDIDATE, self.id

    def _become_leader(self) -> None:
        self._reset(self.term)
        self.state, self.lead = LEADER, self.id
        last = self.log.last_index()
        self.progress = {p: Progress(last + 1) for p in self.peers}
        self.progress[self.id].match = last
        self.progress[self.id].state = REPLICATE
        self._append_local((None,))          # commits the previous terms' entries once this one commits

    def campaign(self, pre: bool) -> None:
        if pre:
            self._become_pre_candidate()
            kind, term = "MsgPreVote", self.term + 1
        else:
            self._become_candidate()
            kind, term = "MsgVote", self.term
        self.votes[self.id] = True
        if self._tally() >= self.quorum:        # a single voter wins at once
            self._won(pre)
            return
        for p in self.peers:
            if p != self.id:
                self._send(Msg(kind, self.id, p, term, self.log.last_term(), self.log.last_index()))

    def _won(self, pre: bool) -> None:
        if pre:
            self.campaign(pre=False)
        else:
            self._become_leader()

    def _tally(self) -> int:
        return sum(1 for granted in self.votes.values() if granted)

    # -- time --------------------------------------------------------------------
    def tick(self) -> None:
        if self.state == LEADER:
            self.heartbeat_elapsed += 1
            self.election_elapsed += 1
            if self.election_elapsed >= self.election_tick:
                self.election_elapsed = 0
                if self.check_quorum and not self._quorum_active():
                    self.become_follower(self.term, NONE)
                    return
            if self.heartbeat_elapsed >= self.heartbeat_tick:
                self.heartbeat_elapsed = 0
                self._bcast_heartbeat(None)
            return
        self.election_elapsed += 1
        if self.election_elapsed >= self.randomized_timeout:
            self.election_elapsed = 0
            self.campaign(pre=self.pre_vote)

    def _quorum_active(self) -> bool:
        active = 0
        for p, pr in self.progress.items():
            if p == self.id or pr.recent_active:
                active += 1
            pr.recent_active = False
        return active >= self.quorum

    # -- proposals and reads ---------------------------------------------------
    def propose(self, data: Any) -> bool:
        """Offer ``data`` for the log. False: dropped (no leader known); a follower forwards it."""
        if self.state == LEADER:
            self._append_local((data,))
            return True
        if self.lead == NONE:
            return False
        self._forward.append(Entry(0, 0, data))      # sent to the leader as one MsgProp per ready()
        return True

    def read_index(self, context: Any) -> bool:
        """Ask for a linearizable read point; a ReadState with ``context`` comes in a later ready()."""
        return self._step_read_index(Msg("MsgReadIndex", self.id, self.id, self.term, context=context))

    def _append_local(self, datas: tuple) -> None:
        last = self.log.last_index()
        self.log.append(tuple(Entry(self.term, last + 1 + i, d) for i, d in enumerate(datas)))
        self.progress[self.id].match = self.log.last_index()
        self._maybe_commit()
        self._broadcast = True

    def _step_read_index(self, m: Msg) -> bool:
        if self.state != LEADER:
            if self.lead == NONE:
                return False
            if m.frm == self.id:
                self._send(Msg("MsgReadIndex", self.id, self.lead, self.term, context=m.context))
            return True
        if len(self.peers) == 1:
            self._release_read(m.context, self.log.committed, m.frm)
            return True
        if self.log.term(self.log.committed) != self.term:
            self._pending_reads.append(m)      # not safe until this term has committed something
            return True
        self._reads.append([m.context, self.log.committed, m.frm, {self.id}])
        self._bcast_heartbeat(m.context)
        return True

    def _release_read(self, context: Any, index: int, requester: int) -> None:
        if requester == self.id:
            self.read_states.append(ReadState(index, context))
        else:
            self._send(Msg("MsgReadIndexResp", self.id, requester, self.term, index=index, context=context))

    def _ack_read(self, context: Any, frm: int) -> None:
        for i, (ctx, _, _, acks) in enumerate(self._reads):
            if ctx == context:
                acks.add(frm)
                if len(acks) >= self.quorum:
                    done, self._reads = self._reads[:i + 1], self._reads[i + 1:]
                    for ctx2, index, requester, _ in done:
                        self._release_read(ctx2, index, requester)
                return

    # -- messages ----------------------------------------------------------------
    def _send(self, m: Msg) -> None:
        self.msgs.append(m)

    def step(self, m: Msg) -> None:
        if m.term > self.term and m.type not in ("MsgProp", "MsgReadIndex"):
            in_lease = self.check_quorum and self.lead != NONE and self.election_elapsed < self.election_tick
            if m.type in ("MsgVote", "MsgPreVote") and in_lease:
                return                          # we heard from a leader lately: not disrupted
            if m.type == "MsgPreVote" or (m.type == "MsgPreVoteResp" and not m.reject):
                pass                            # pre-votes never change the term
            elif m.type in ("MsgApp", "MsgHeartbeat", "MsgSnap"):
                self.become_follower(m.term, m.frm)
            else:
                self.become_follower(m.term, NONE)
        elif m.term < self.term and m.type not in ("MsgProp", "MsgReadIndex"):
            if m.type in ("MsgApp", "MsgHeartbeat") and (self.check_quorum or self.pre_vote):
                self._send(Msg("MsgAppResp", self.id, m.frm, self.term))   # tells a stale leader to step down
            elif m.type == "MsgPreVote":
                self._send(Msg("MsgPreVoteResp", self.id, m.frm, self.term, reject=True))
            return
        handler = getattr(self, "_on_" + m.type)
        handler(m)

    def _on_MsgVote(self, m: Msg) -> None:
        self._on_vote_request(m, "MsgVoteResp")

    def _on_MsgPreVote(self, m: Msg) -> None:
        self._on_vote_request(m, "MsgPreVoteResp")

    def _on_vote_request(self, m: Msg, resp: str) -> None:
        can_vote = (self.vote == m.frm or (self.vote == NONE and self.lead == NONE)
                    or (m.type == "MsgPreVote" and m.term > self.term))
        if can_vote and self.log.is_up_to_date(m.index, m.log_term):
            self._send(Msg(resp, self.id, m.frm, m.term))
            if m.type == "MsgVote":
                self.election_elapsed, self.vote = 0, m.frm
        else:
            self._send(Msg(resp, self.id, m.frm, self.term, reject=True))

    def _on_MsgVoteResp(self, m: Msg) -> None:
        self._on_vote_response(m, CANDIDATE)

    def _on_MsgPreVoteResp(self, m: Msg) -> None:
        self._on_vote_response(m, PRE_CANDIDATE)

    def _on_vote_response(self, m: Msg, state: str) -> None:
        if self.state != state:
            return
        self.votes.setdefault(m.frm, not m.reject)
        granted = self._tally()
        if granted >= self.quorum:
            self._won(state == PRE_CANDIDATE)
        elif len(self.votes) - granted >= self.quorum:
            self.become_follower(self.term, NONE)

    def _on_MsgProp(self, m: Msg) -> None:
        if self.state == LEADER:
            self._append_local(tuple(e.data for e in m.entries))
        elif self.lead != NONE:
            self._send(m._replace(frm=self.id, to=self.lead, term=self.term))

    def _on_MsgReadIndex(self, m: Msg) -> None:
        self._step_read_index(m)

    def _on_MsgReadIndexResp(self, m: Msg) -> None:
        self.read_states.append(ReadState(m.index, m.context))

    # follower side
    def _on_MsgApp(self, m: Msg) -> None:
        self.election_elapsed, self.lead = 0, m.frm
        if self.state != FOLLOWER:
            self.become_follower(m.term, m.frm)
        log = self.log
        if m.index < log.committed:
            self._send(Msg("MsgAppResp", self.id, m.frm, self.term, index=log.committed))
            return
        if log.term(m.index) == m.log_term:
            log.append(m.entries)
            last_new = m.index + len(m.entries)
            log.committed = max(log.committed, min(m.commit, last_new))
            self._send(Msg("MsgAppResp", self.id, m.frm, self.term, index=last_new))
        else:
            self._send(Msg("MsgAppResp", self.id, m.frm, self.term, index=m.index, reject=True,
                           hint=min(m.index, log.last_index())))

    def _on_MsgHeartbeat(self, m: Msg) -> None:
        self.election_elapsed, self.lead = 0, m.frm
        if self.state != FOLLOWER:
            self.become_follower(m.term, m.frm)
        if m.commit > self.log.committed:
            self.log.committed = m.commit
        self._send(Msg("MsgHeartbeatResp", self.id, m.frm, self.term, context=m.context))

    def _on_MsgSnap(self, m: Msg) -> None:
        self.election_elapsed, self.lead = 0, m.frm
        snap = m.snapshot
        if snap.index <= self.log.committed:
            self._send(Msg("MsgAppResp", self.id, m.frm, self.term, index=self.log.committed))
            return
        self.log.restore(snap)
        self._snapshot_to_apply = snap
        self._send(Msg("MsgAppResp", self.id, m.frm, self.term, index=snap.index))

    # leader side
    def _on_MsgAppResp(self, m: Msg) -> None:
        if self.state != LEADER:
            return
        pr = self.progress[m.frm]
        pr.recent_active = True
        if m.reject:
            if pr.state == REPLICATE:
                if m.index <= pr.match:
                    return
                pr.state, pr.next = PROBE, pr.match + 1
            elif pr.next - 1 != m.index:
                return                          # a stale rejection
            else:
                pr.next = max(min(m.index, m.hint + 1), 1)
            pr.paused = False
            self._send_append(m.frm)
            return
        if m.index > pr.match:
            pr.match = m.index
            pr.next = max(pr.next, m.index + 1)
            pr.paused = False
            if pr.state == PROBE:
                pr.state = REPLICATE
            elif pr.state == SNAPSHOT and pr.match >= pr.pending_snapshot:
                pr.state, pr.pending_snapshot = REPLICATE, 0
            if self._maybe_commit():
                self._broadcast = True
            elif pr.next <= self.log.last_index():
                self._send_append(m.frm)
        elif pr.state == PROBE:
            pr.paused = False

    def _on_MsgHeartbeatResp(self, m: Msg) -> None:
        if self.state != LEADER:
            return
        pr = self.progress[m.frm]
        pr.recent_active = True
        pr.paused = False
        if pr.state == SNAPSHOT:            # the snapshot may have been lost: probe again
            pr.state = PROBE
        if pr.match < self.log.last_index():
            self._send_append(m.frm)
        if m.context is not None:
            self._ack_read(m.context, m.frm)

    def _maybe_commit(self) -> bool:
        matches = sorted((pr.match for pr in self.progress.values()), reverse=True)
        index = matches[self.quorum - 1]
        if index > self.log.committed and self.log.term(index) == self.term:
            self.log.committed = index
            if self._pending_reads:
                pending, self._pending_reads = self._pending_reads, []
                for m in pending:
                    self._step_read_index(m)
            return True
        return False

    def _send_append(self, to: int) -> None:
        pr = self.progress[to]
        if pr.paused or pr.state == SNAPSHOT:
            return
        log = self.log
        prev = pr.next - 1
        prev_term = log.term(prev)
        if prev_term is None:                   # what it needs was compacted: send the snapshot
            snap = log.snapshot
            pr.state, pr.pending_snapshot = SNAPSHOT, snap.index
            self._send(Msg("MsgSnap", self.id, to, self.term, snapshot=snap))
            return
        entries = log.slice(pr.next, log.last_index() + 1)
        self._send(Msg("MsgApp", self.id, to, self.term, prev_term, prev, entries, log.committed))
        if pr.state == REPLICATE and entries:
            pr.next = entries[-1].index + 1
        elif pr.state == PROBE:
            pr.paused = True

    def _bcast_heartbeat(self, context: Any) -> None:
        for p in self.peers:
            if p != self.id:
                commit = min(self.progress[p].match, self.log.committed)
                self._send(Msg("MsgHeartbeat", self.id, p, self.term, commit=commit, context=context))

    # -- the server's side ---------------------------------------------------------
    def ready(self) -> Ready:
        """What to do now: send, apply, install, serve. Taking it marks the entries applied."""
        if self._broadcast and self.state == LEADER:
            for p in self.peers:
                if p != self.id:
                    self._send_append(p)
        self._broadcast = False
        if self._forward:
            if self.lead != NONE and self.state != LEADER:
                self._send(Msg("MsgProp", self.id, self.lead, self.term, entries=tuple(self._forward)))
            self._forward = []
        log = self.log
        snap, self._snapshot_to_apply = self._snapshot_to_apply, None
        committed = log.slice(log.applied + 1, log.committed + 1) if log.committed > log.applied else []
        log.applied = log.committed
        msgs, self.msgs = self.msgs, []
        reads, self.read_states = self.read_states, []
        written = log.last_index() != self._written
        self._written = log.last_index()
        return Ready(written, msgs, list(committed), snap, reads)

    def has_ready(self) -> bool:
        return bool(self.msgs or self.read_states or self._broadcast or self._snapshot_to_apply or self._forward
                    or self.log.committed > self.log.applied)

    def compact(self, data: bytes, keep: int) -> Snapshot:
        """Snapshot the state machine at the applied index (``data``) and drop older entries."""
        index = self.log.applied
        snap = Snapshot(index, self.log.term(index), data)
        self.log.compact(snap, keep)
        return snap
