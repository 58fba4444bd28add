"""Tests of k8slite/viz/raft.py: the data behind the term timeline and the log matrix, their text twins, and
what the figures draw from that data."""
from types import SimpleNamespace

import pytest

from k8slite.etcd.cluster import EtcdCluster
from k8slite.etcd.raft import Entry, RaftLog, Snapshot
from k8slite.viz.raft import (MIN_SPAN, ROLE_COLORS, LogRow, Span, log_matrix, log_rows, log_table, spans_of,
                              term_spans, term_table, term_timeline)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

PEERS = {1: "etcd-1", 2: "etcd-2", 3: "etcd-3"}


def fake_member(name, history=(), now=10.0, state="follower", term=1, up=True, entries=(), committed=0,
                applied=None, snapshot=None, compact_keep=None):
    """An object with the fields of EtcdServer that viz.raft reads, and a real RaftLog."""
    log = RaftLog()
    if snapshot is not None:                  # a follower that installed a snapshot
        log.restore(snapshot)
    log.append(tuple(Entry(t, i) for i, t in entries))
    log.committed = committed
    log.applied = committed
    if compact_keep is not None:              # a member that took a snapshot at its applied index
        log.compact(Snapshot(committed, log.term(committed)), compact_keep)
    raft = SimpleNamespace(log=log, state=state, term=term)
    return SimpleNamespace(name=name, history=list(history), peers=PEERS, kernel=SimpleNamespace(now=now),
                           raft=raft, up=up, applied_index=committed if applied is None else applied)


ELECTION = [(0.0, 0, "follower", 0), (1.4, 0, "pre-candidate", 0), (1.402, 1, "candidate", 0),
            (1.404, 1, "leader", 2), (5.0, 1, "down", 2)]


# -- term spans ------------------------------------------------------------------------------

@pytest.mark.parametrize("since, until, want", [
    pytest.param(0.0, None, [
        Span("etcd-2", 0.0, 1.4, 0, "follower", ""), Span("etcd-2", 1.4, 1.402, 0, "pre-candidate", ""),
        Span("etcd-2", 1.402, 1.404, 1, "candidate", ""), Span("etcd-2", 1.404, 5.0, 1, "leader", "etcd-2"),
        Span("etcd-2", 5.0, 10.0, 1, "down", "")],
        id="each history entry is a span up to the next, the last one up to now; a down member knows no leader"),
    pytest.param(1.403, 6.0, [
        Span("etcd-2", 1.403, 1.404, 1, "candidate", ""), Span("etcd-2", 1.404, 5.0, 1, "leader", "etcd-2"),
        Span("etcd-2", 5.0, 6.0, 1, "down", "")],
        id="since and until clip the spans and drop those outside"),
])
def test_term_spans_follow_the_history(since, until, want):
    member = fake_member("etcd-2", ELECTION)
    assert term_spans([member], since, until) == want


def test_term_spans_accept_a_cluster_a_dict_or_a_list():
    a, b = fake_member("etcd-1", ELECTION[:1]), fake_member("etcd-2", ELECTION)
    as_list = term_spans([a, b])
    assert term_spans({"etcd-1": a, "etcd-2": b}) == as_list
    assert term_spans(SimpleNamespace(members={"etcd-1": a, "etcd-2": b})) == as_list
    assert [s.member for s in as_list] == ["etcd-1"] + ["etcd-2"] * 5
    with pytest.raises(ValueError):
        term_spans([])


def test_term_table_prints_one_line_per_span_and_separates_members():
    text = term_table([fake_member("etcd-1", [(0.0, 0, "follower", 0), (1.403, 1, "follower", 2)]),
                       fake_member("etcd-2", ELECTION[3:])])
    assert text.splitlines() == [
        "MEMBER  FROM (s)  TO (s)  ROLE      TERM  LEADER",
        "etcd-1     0.000   1.403  follower     0  (none)",
        "etcd-1     1.403  10.000  follower     1  etcd-2",
        "",
        "etcd-2     1.404   5.000  leader       1  etcd-2",
        "etcd-2     5.000  10.000  down         1",
    ]


@pytest.fixture(scope="module")
def failover():
    """A 3-member cluster that elects a leader, loses it at 3 s, and elects another."""
    c = EtcdCluster(members=3, seed=1)
    c.run(3.0)
    first = c.leader().name
    c.crash(first)
    c.run(4.0)
    return c, first


def test_spans_of_a_real_cluster_tile_time_without_gaps(failover):
    c, _ = failover
    spans = term_spans(c)
    for name in c.members:
        mine = spans_of(spans, name)
        assert mine[0].start == 0.0 and mine[-1].end == c.now
        assert all(a.end == b.start for a, b in zip(mine, mine[1:]))
        assert [s.term for s in mine] == sorted(s.term for s in mine), "terms never go back"


def test_a_crashed_leader_is_followed_by_a_leader_in_a_higher_term_within_two_seconds(failover):
    c, first = failover
    spans = term_spans(c)
    crashed = spans_of(spans, first)[-1]
    assert crashed.state == "down"
    leaders = [s for s in spans if s.state == "leader"]
    old = [s for s in leaders if s.member == first]
    new = [s for s in leaders if s.start > crashed.start]
    assert len(old) == 1 and len(new) == 1
    assert new[0].member != first and new[0].term > old[0].term
    assert 0 < new[0].start - crashed.start < 2.0
    assert all(s.leader == new[0].member for s in spans if s.start > new[0].start and s.state == "follower")


def test_the_timeline_draws_one_bar_per_span_coloured_by_role(failover):
    c, first = failover
    spans = term_spans(c)
    fig = term_timeline(c, marks=[(3.0, f"crash {first}")])
    ax = fig.axes[0]
    bars = {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()}
    assert len(bars) == len(spans)
    width = c.now
    for name in c.members:
        for n, s in enumerate(spans_of(spans, name)):
            bar = bars[f"span-{name}-{n}"]
            assert bar.get_facecolor() == to_rgba(ROLE_COLORS[s.state])
            assert bar.get_x() == pytest.approx(s.start)
            want = max(s.end - s.start, MIN_SPAN * width) if s.state in ("pre-candidate", "candidate") \
                else s.end - s.start
            assert bar.get_width() == pytest.approx(want)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(c.members)
    assert f"crash {first}" in [t.get_text() for t in ax.texts]
    assert any(t.get_text() == "term 2" for t in ax.texts)


# -- log rows ----------------------------------------------------------------------------------

def test_log_rows_read_each_members_log_and_applied_index():
    members = [
        fake_member("etcd-1", state="leader", term=2, entries=[(1, 1), (2, 1), (3, 2), (4, 2)], committed=3),
        fake_member("etcd-2", up=False, entries=[(1, 1), (2, 1)], committed=2, applied=1),
        fake_member("etcd-3", term=2, snapshot=Snapshot(3, 2), entries=[(4, 2)], committed=3),
    ]
    assert log_rows(members) == [
        LogRow("etcd-1", "leader", 2, 0, 0, ((1, 1), (2, 1), (3, 2), (4, 2)), 3, 3),
        LogRow("etcd-2", "down", 1, 0, 0, ((1, 1), (2, 1)), 2, 1),
        LogRow("etcd-3", "follower", 2, 3, 3, ((4, 2),), 3, 3),
    ]


def test_a_compacted_log_keeps_the_catch_up_entries_after_its_snapshot():
    member = fake_member("etcd-1", entries=[(i, 1) for i in range(1, 11)], committed=10, compact_keep=3)
    row = log_rows([member])[0]
    assert (row.compacted, row.snapshot) == (7, 10)
    assert row.entries == ((8, 1), (9, 1), (10, 1))


def test_log_table_marks_uncommitted_compacted_and_missing_entries():
    members = [
        fake_member("etcd-1", state="leader", term=2, entries=[(1, 1), (2, 1), (3, 2), (4, 2)], committed=3),
        fake_member("etcd-2", up=False, entries=[(1, 1), (2, 1)], committed=2, applied=1),
        fake_member("etcd-3", term=2, snapshot=Snapshot(3, 2), entries=[(4, 2)], committed=3),
    ]
    assert log_table(members).splitlines() == [
        "MEMBER  ROLE      TERM  INDEX  1  2  3  4  COMMIT  APPLIED  SNAPSHOT",
        "etcd-1  leader       2         1  1  2 2*       3        3         0",
        "etcd-2  down         1         1  1             2        1         0",
        "etcd-3  follower     2         ·  ·  · 2*       3        3         3",
        "(cells: the term of each entry; * not yet committed on that member; · compacted into the snapshot)",
    ]
    assert log_table(members, first=3, last=4).splitlines()[0] == \
        "MEMBER  ROLE      TERM  INDEX  3  4  COMMIT  APPLIED  SNAPSHOT"


def test_the_log_matrix_draws_a_cell_per_entry_a_snapshot_block_and_the_commit_points():
    members = [
        fake_member("etcd-1", state="leader", term=2, entries=[(1, 1), (2, 1), (3, 2), (4, 2)], committed=3),
        fake_member("etcd-3", term=2, snapshot=Snapshot(3, 2), entries=[(4, 2)], committed=3),
    ]
    fig = log_matrix(members)
    ax = fig.axes[0]
    patches = {p.get_gid(): p for p in ax.patches if p.get_gid()}
    assert sorted(patches) == ["entry-etcd-1-1", "entry-etcd-1-2", "entry-etcd-1-3", "entry-etcd-1-4",
                               "entry-etcd-3-4", "snapshot-etcd-3"]
    assert patches["entry-etcd-1-3"].get_facecolor() != to_rgba("white")
    assert patches["entry-etcd-1-4"].get_facecolor() == to_rgba("white"), "uncommitted entries are hollow"
    snap = patches["snapshot-etcd-3"]
    assert (snap.get_x(), snap.get_x() + snap.get_width()) == pytest.approx((0.55, 3.45))
    lines = {ln.get_gid(): ln for ln in ax.lines if isinstance(ln, Line2D) and ln.get_gid()}
    assert list(lines["commit-etcd-1"].get_xdata()) == [3.5, 3.5]
    assert list(lines["applied-etcd-3"].get_xdata()) == [3]
    labels = [t.get_text() for t in ax.texts]
    assert "etcd-1\nleader, term 2" in labels and "compacted ≤ 3 (snapshot at 3)" not in labels  # too narrow
    assert labels.count("2") >= 3


def test_a_write_reaches_every_log_and_commits_everywhere():
    c = EtcdCluster(members=3, seed=1)
    c.wait_for_leader()
    before = log_rows(c)
    c.put("/k", "v")
    c.run(0.5)
    after = log_rows(c)
    assert all(r.entries[-1][0] == b.entries[-1][0] + 1 for r, b in zip(after, before))
    assert {r.committed for r in after} == {after[0].entries[-1][0]}
    assert all(r.applied == r.committed for r in after)
    assert "*" not in "".join(log_table(c).splitlines()[:-1]), "no entry is left uncommitted"
