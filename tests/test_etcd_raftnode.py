"""RaftNode alone, with messages routed by hand: the log-matching rules and the back-off."""
from __future__ import annotations

import random

from k8slite.etcd.raft import LEADER, Entry, RaftNode


def nodes(n: int = 3) -> dict[int, RaftNode]:
    ids = list(range(1, n + 1))
    return {i: RaftNode(i, ids, random.Random(i)) for i in ids}


def deliver(group: dict[int, RaftNode], down: set = frozenset()) -> list:
    """Route every message until none is left; returns the types sent, in order."""
    sent = []
    while True:
        batch = [m for node in group.values() if node.id not in down for m in node.ready().messages]
        if not batch:
            return sent
        for m in batch:
            sent.append(m.type)
            if m.to not in down:
                group[m.to].step(m)


def elect(group: dict[int, RaftNode], leader: int, down: set = frozenset()) -> None:
    group[leader].campaign(pre=True)
    deliver(group, down)
    assert group[leader].state == LEADER


def test_a_follower_with_a_stale_suffix_is_rewound_to_the_leaders_log():
    g = nodes()
    elect(g, 1)
    g[1].propose("a")
    deliver(g)
    # Node 1 appends two entries that reach nobody, then loses its leadership.
    g[1].propose("lost-1")
    g[1].propose("lost-2")
    g[1].ready()                                   # the appends are dropped on the floor
    assert [e.data for e in g[1].log.entries[-2:]] == ["lost-1", "lost-2"]
    g[3].election_elapsed = g[3].election_tick     # node 3 has not heard from node 1 for a while
    elect(g, 2, down={1})
    g[2].propose("b")
    deliver(g, down={1})
    g[2].tick()                                    # a heartbeat reaches node 1 again
    sent = deliver(g)
    assert "MsgAppResp" in sent
    assert [e.data for e in g[1].log.entries[1:]] == [e.data for e in g[2].log.entries[1:]]
    assert "lost-1" not in [e.data for e in g[1].log.entries]
    assert g[1].log.committed == g[2].log.committed == g[2].log.last_index()


def test_an_entry_of_an_old_term_is_committed_only_through_one_of_the_current_term():
    g = nodes()
    elect(g, 1)
    leader = g[1]
    assert leader.log.entries[-1] == Entry(leader.term, 1, None)   # the new leader's empty entry
    deliver(g)
    assert leader.log.committed == 1


def test_a_candidate_with_a_shorter_log_does_not_win_votes():
    g = nodes()
    elect(g, 1)
    g[1].propose("x")
    deliver(g, down={3})                           # node 3 misses the entry
    g[3].campaign(pre=False)
    deliver(g)
    assert g[3].state != LEADER
    assert g[1].vote != 3 and g[2].vote != 3


def test_pre_vote_keeps_an_isolated_node_from_raising_the_term():
    g = nodes()
    elect(g, 1)
    term = g[1].term
    for _ in range(5):
        g[3].campaign(pre=True)
        deliver(g, down={1, 2})
    assert g[3].term == term
