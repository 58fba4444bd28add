"""One behavioural suite for etcd, run against k8slite (one and three members) and a real etcd.

The real etcd is the oracle: each expectation below is what etcd v3.5 answers, and
k8slite must answer the same (revisions are relative to the revision a test starts
at). A difference that belongs to a part of k8slite outside the store is marked as a
known gap: the test is expected to fail on the k8slite backends (strictly, so a fix
shows up as an unexpected pass).
"""
from __future__ import annotations

import pytest

from etcd_backends import BACKENDS, Backend, open_backend
from k8slite.etcd import errors
from k8slite.etcd.mvcc import (DELETE, PUT, Compare, DeleteResult, Event, KeyValue, Op, PutResult, RangeResult,
                               TxnResult, prefix_end)
from k8slite.etcd.server import LeaseTTL

MIN_LEASE_TTL = 2          # etcd's minimum with the default 1 s election timeout


@pytest.fixture(params=BACKENDS)
def etcd(request):
    backend = open_backend(request.param, request.node.name, lambda: request.getfixturevalue("real_etcd"))
    yield backend
    backend.close()


def refused(etcd: Backend, coro, error: type) -> str:
    """Run ``coro``, which must fail with ``error`` and change nothing; returns the message."""
    before = etcd.revision()
    with pytest.raises(error) as caught:
        etcd.run(coro)
    assert type(caught.value) is error
    assert etcd.revision() == before
    return str(caught.value)


# -- put, range, delete ----------------------------------------------------------------
def test_put_then_range_returns_the_value_with_its_revisions(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    assert etcd.run(c.put(a, b"1")) == PutResult(None, r + 1)
    assert etcd.run(c.put(a, b"2", prev_kv=True)) == PutResult(KeyValue(a, b"1", r + 1, r + 1, 1), r + 2)
    assert etcd.run(c.range(a)) == RangeResult((KeyValue(a, b"2", r + 1, r + 2, 2),), 1, False, r + 2)
    assert etcd.run(c.range(etcd.key("missing"))) == RangeResult((), 0, False, r + 2)


def test_a_deleted_key_comes_back_at_version_1_with_a_new_create_revision(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(a, b"2"))
    assert etcd.run(c.delete(a, prev_kv=True)) == DeleteResult(1, (KeyValue(a, b"2", r + 1, r + 2, 2),), r + 3)
    assert etcd.run(c.delete(a, prev_kv=True)) == DeleteResult(0, (), r + 3)
    assert etcd.run(c.range(a)) == RangeResult((), 0, False, r + 3)
    etcd.run(c.put(a, b"3"))
    assert etcd.run(c.range(a)).kvs == (KeyValue(a, b"3", r + 4, r + 4, 1),)


def test_delete_range_counts_and_returns_what_it_deleted_in_key_order(etcd):
    c, r = etcd.client, etcd.revision()
    a, b, d = etcd.key("a"), etcd.key("b"), etcd.key("d")
    for key in (b, a, d):
        etcd.run(c.put(key, b"v"))
    result = etcd.run(c.delete(a, etcd.key("c"), prev_kv=True))
    assert result == DeleteResult(2, (KeyValue(a, b"v", r + 2, r + 2, 1), KeyValue(b, b"v", r + 1, r + 1, 1)), r + 4)
    assert etcd.run(c.delete(etcd.prefix, prefix_end(etcd.prefix))) == DeleteResult(1, (), r + 5)
    assert etcd.run(c.get_prefix(etcd.prefix)) == RangeResult((), 0, False, r + 5)


RANGES = [
    ("a prefix covers every key under it", dict(end="prefix"), "abcd", 4, False),
    ("an interval includes its start and excludes its end", dict(key="b", end="d"), "bc", 2, False),
    ("a limit returns the first keys and says there are more", dict(end="prefix", limit=2), "ab", 4, True),
    ("a limit as large as the count leaves nothing more", dict(end="prefix", limit=4), "abcd", 4, False),
    ("count_only counts and returns no keys", dict(end="prefix", count_only=True), "", 4, False),
    ("count_only with a limit still counts every key", dict(end="prefix", count_only=True, limit=2), "", 4, False),
    ("a single key is found alone", dict(key="b"), "b", 1, False),
]


@pytest.mark.parametrize("options, names, count, more", [case[1:] for case in RANGES], ids=[c[0] for c in RANGES])
def test_range_forms(etcd, options, names, count, more):
    c, r = etcd.client, etcd.revision()
    for name in "abcd":
        etcd.run(c.put(etcd.key(name), name.encode()))
    options = dict(options)
    key = etcd.key(options.pop("key", ""))
    end = options.pop("end", "")
    end = prefix_end(etcd.prefix) if end == "prefix" else etcd.key(end) if end else ""
    expected = tuple(KeyValue(etcd.key(n), n.encode(), r + 1 + "abcd".index(n), r + 1 + "abcd".index(n), 1)
                     for n in names)
    assert etcd.run(c.range(key, end, **options)) == RangeResult(expected, count, more, r + 4)


def test_keys_only_leaves_the_values_out(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    etcd.run(c.put(a, b"value"))
    assert etcd.run(c.range(a, keys_only=True)) == RangeResult((KeyValue(a, b"", r + 1, r + 1, 1),), 1, False, r + 1)


def test_a_range_at_a_past_revision_sees_the_store_as_it_was(etcd):
    c, r, a, b = etcd.client, etcd.revision(), etcd.key("a"), etcd.key("b")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(a, b"2"))
    etcd.run(c.put(b, b"1"))
    etcd.run(c.delete(a))
    assert etcd.run(c.range(a, revision=r + 1)) == RangeResult((KeyValue(a, b"1", r + 1, r + 1, 1),), 1, False, r + 4)
    assert etcd.run(c.range(a, revision=r + 2)).kvs == (KeyValue(a, b"2", r + 1, r + 2, 2),)
    assert etcd.run(c.range(a, revision=r + 4)) == RangeResult((), 0, False, r + 4)
    assert etcd.run(c.get_prefix(etcd.prefix, revision=r + 2)).count == 1
    assert etcd.run(c.get_prefix(etcd.prefix, revision=r + 3)) == RangeResult(
        (KeyValue(a, b"2", r + 1, r + 2, 2), KeyValue(b, b"1", r + 3, r + 3, 1)), 2, False, r + 4)
    assert etcd.run(c.get_prefix(etcd.prefix, revision=r + 3, limit=1)).more is True


def test_a_range_at_a_future_revision_is_refused(etcd):
    c, r = etcd.client, etcd.revision()
    message = refused(etcd, c.range(etcd.key("a"), revision=r + 1), errors.FutureRevisionError)
    assert message == "etcdserver: mvcc: required revision is a future revision"


def test_an_empty_key_is_refused(etcd):
    c = etcd.client
    for coro in (c.range(""), c.put("", b"v"), c.delete("")):
        assert refused(etcd, coro, errors.EmptyKeyError) == "etcdserver: key is not provided"


# -- txn ----------------------------------------------------------------------------
# (target, key "k" = put twice so version 2, or "m" = missing, result, value); r is the revision before the puts.
COMPARES = [
    ("VALUE = the value holds", "k", "VALUE", "=", b"v", True),
    ("VALUE = another value fails", "k", "VALUE", "=", b"w", False),
    ("VALUE != another value holds", "k", "VALUE", "!=", b"w", True),
    ("VALUE < a greater value holds (bytes compare)", "k", "VALUE", "<", b"w", True),
    ("VALUE > a greater value fails", "k", "VALUE", ">", b"w", False),
    ("VALUE = empty on a missing key fails", "m", "VALUE", "=", b"", False),
    ("VALUE != anything on a missing key fails too", "m", "VALUE", "!=", b"x", False),
    ("VERSION = 2 after two puts", "k", "VERSION", "=", 2, True),
    ("VERSION > 1 holds", "k", "VERSION", ">", 1, True),
    ("VERSION < 2 fails", "k", "VERSION", "<", 2, False),
    ("VERSION = 0 on a missing key holds", "m", "VERSION", "=", 0, True),
    ("CREATE = the first put's revision holds", "k", "CREATE", "=", 1, True),
    ("CREATE != the first put's revision fails", "k", "CREATE", "!=", 1, False),
    ("MOD = the last put's revision holds", "k", "MOD", "=", 2, True),
    ("MOD < the last put's revision fails", "k", "MOD", "<", 2, False),
    ("MOD > the create revision holds", "k", "MOD", ">", 1, True),
    ("CREATE = 0 on a missing key holds", "m", "CREATE", "=", 0, True),
    ("MOD > 0 on a missing key fails", "m", "MOD", ">", 0, False),
    ("LEASE = 0 on a key without a lease holds", "k", "LEASE", "=", 0, True),
]


@pytest.mark.parametrize("name, target, result, value, holds", [c[1:] for c in COMPARES], ids=[c[0] for c in COMPARES])
def test_txn_compare(etcd, name, target, result, value, holds):
    c, r, k = etcd.client, etcd.revision(), etcd.key("k")
    etcd.run(c.put(k, b"v"))
    etcd.run(c.put(k, b"v"))
    if target in ("CREATE", "MOD") and value:
        value += r                             # the revisions of the puts: r + 1 and r + 2
    outcome = etcd.run(c.txn((Compare(etcd.key(name), target, result, value),), (Op("RANGE", k),), ()))
    assert (outcome.succeeded, len(outcome.responses), outcome.revision) == (holds, int(holds), r + 2)


def test_a_txn_succeeds_only_if_every_compare_holds(etcd):
    c, k = etcd.client, etcd.key("k")
    etcd.run(c.put(k, b"v"))
    holds, fails = Compare(k, "VERSION", "=", 1), Compare(k, "VALUE", "=", b"w")
    assert etcd.run(c.txn((holds, holds))).succeeded is True
    assert etcd.run(c.txn((holds, fails))).succeeded is False
    assert etcd.run(c.txn((fails, holds))).succeeded is False


def test_a_txn_runs_one_branch_and_answers_each_operation(etcd):
    c, r, a, b = etcd.client, etcd.revision(), etcd.key("a"), etcd.key("b")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(b, b"1"))
    is_one = (Compare(a, "VALUE", "=", b"1"),)
    success = (Op("PUT", a, b"2", prev_kv=True), Op("DELETE", b, prev_kv=True),
               Op("RANGE", etcd.prefix, range_end=prefix_end(etcd.prefix)))
    a2 = KeyValue(a, b"2", r + 1, r + 3, 2)
    assert etcd.run(c.txn(is_one, success, (Op("RANGE", a),))) == TxnResult(True, (
        PutResult(KeyValue(a, b"1", r + 1, r + 1, 1), r + 3),
        DeleteResult(1, (KeyValue(b, b"1", r + 2, r + 2, 1),), r + 3),
        RangeResult((a2,), 1, False, r + 3)), r + 3)
    assert etcd.run(c.txn(is_one, success, (Op("RANGE", a),))) == TxnResult(
        False, (RangeResult((a2,), 1, False, r + 3),), r + 3)


def test_txn_operations_before_its_first_change_report_the_old_revision(etcd):
    # etcd's storeTxnWrite: a range or a delete that comes before any change in the
    # txn answers with the revision before it; after a change, with the new one.
    c, r, a, m = etcd.client, etcd.revision(), etcd.key("a"), etcd.key("missing")
    outcome = etcd.run(c.txn((), (Op("RANGE", a), Op("DELETE", m), Op("PUT", a, b"1"), Op("DELETE", m),
                                  Op("RANGE", a))))
    assert outcome == TxnResult(True, (
        RangeResult((), 0, False, r), DeleteResult(0, (), r), PutResult(None, r + 1), DeleteResult(0, (), r + 1),
        RangeResult((KeyValue(a, b"1", r + 1, r + 1, 1),), 1, False, r + 1)), r + 1)


def test_compare_and_swap_writes_only_at_the_expected_revision(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    assert etcd.run(c.compare_and_swap(a, 0, b"1")) == TxnResult(True, (PutResult(None, r + 1),), r + 1)
    assert etcd.run(c.compare_and_swap(a, 0, b"2")) == TxnResult(
        False, (RangeResult((KeyValue(a, b"1", r + 1, r + 1, 1),), 1, False, r + 1),), r + 1)
    assert etcd.run(c.compare_and_swap(a, r + 1, b"2")).revision == r + 2


def _many(etcd, n):
    return tuple(Op("PUT", etcd.key(f"k{i:03}"), b"v") for i in range(n))


REFUSED_TXNS = [
    ("129 operations in a branch are too many", lambda e: ((), _many(e, 129), ()), errors.TooManyOpsError),
    ("129 compares are too many",
     lambda e: ((Compare(e.key("k"), "VERSION", "=", 0),) * 129, (), ()), errors.TooManyOpsError),
    ("a key put twice in one branch is a duplicate",
     lambda e: ((), (Op("PUT", e.key("a"), b"1"), Op("PUT", e.key("a"), b"2")), ()), errors.DuplicateKeyError),
    ("a put inside a range the branch deletes is a duplicate",
     lambda e: ((), (Op("PUT", e.key("b"), b"1"), Op("DELETE", e.key("a"), range_end=e.key("c"))), ()),
     errors.DuplicateKeyError),
    ("a put of a key the branch deletes is a duplicate",
     lambda e: ((), (), (Op("DELETE", e.key("a")), Op("PUT", e.key("a"), b"1"))), errors.DuplicateKeyError),
    ("an operation without a key is refused", lambda e: ((), (Op("RANGE", ""),), ()), errors.EmptyKeyError),
    ("a compare without a key is refused",
     lambda e: ((Compare("", "VERSION", "=", 0),), (), ()), errors.EmptyKeyError),
]


@pytest.mark.parametrize("make, error", [c[1:] for c in REFUSED_TXNS], ids=[c[0] for c in REFUSED_TXNS])
def test_a_txn_is_refused_before_it_is_applied(etcd, make, error):
    refused(etcd, etcd.client.txn(*make(etcd)), error)


def test_128_operations_overlapping_deletes_and_one_key_in_both_branches_are_allowed(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    assert etcd.run(c.txn((), _many(etcd, 128), ())).revision == r + 1
    deletes = (Op("DELETE", etcd.prefix, range_end=prefix_end(etcd.prefix)), Op("DELETE", etcd.key("k000")))
    outcome = etcd.run(c.txn((), deletes, ()))
    assert [op.deleted for op in outcome.responses] == [128, 0]
    assert etcd.run(c.txn((Compare(a, "VERSION", "=", 0),), (Op("PUT", a, b"1"),), (Op("PUT", a, b"2"),))).succeeded


def test_the_messages_of_refused_txns(etcd):
    assert refused(etcd, etcd.client.txn((), _many(etcd, 129), ()), errors.TooManyOpsError) == \
        "etcdserver: too many operations in txn request"
    duplicate = (Op("PUT", etcd.key("a"), b"1"), Op("PUT", etcd.key("a"), b"2"))
    assert refused(etcd, etcd.client.txn((), duplicate, ()), errors.DuplicateKeyError) == \
        "etcdserver: duplicate key given in txn request"


# -- request size -----------------------------------------------------------------------
def test_a_request_over_max_request_bytes_is_too_large(etcd):
    message = refused(etcd, etcd.client.put(etcd.key("big"), b"x" * (1600 * 1024)), errors.RequestTooLargeError)
    assert message == "etcdserver: request is too large"


def test_a_request_over_the_grpc_message_limit_is_refused_by_grpc(request, etcd):
    message = refused(etcd, etcd.client.put(etcd.key("big"), b"x" * (2 * 1024 * 1024)), errors.MessageTooLargeError)
    key_bytes = len(etcd.key("big"))       # PutRequest: tag, length and bytes of key and value
    assert message == f"grpc: received message larger than max ({2 + key_bytes + 5 + 2 * 1024 * 1024} vs. 2097152)"


# -- compaction ---------------------------------------------------------------------------
def test_compaction_drops_old_revisions_and_refuses_to_go_back(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    for value in (b"1", b"2", b"3"):
        etcd.run(c.put(a, value))
    assert etcd.run(c.compact(r + 2)) == r + 3
    assert refused(etcd, c.range(a, revision=r + 1), errors.CompactedError) == \
        "etcdserver: mvcc: required revision has been compacted"
    assert etcd.run(c.range(a, revision=r + 2)) == RangeResult((KeyValue(a, b"2", r + 1, r + 2, 2),), 1, False, r + 3)
    refused(etcd, c.compact(r + 2), errors.CompactedError)
    refused(etcd, c.compact(r + 1), errors.CompactedError)
    refused(etcd, c.compact(r + 4), errors.FutureRevisionError)


def test_a_watch_from_a_compacted_revision_is_canceled_with_the_compact_revision(request, etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(a, b"2"))
    etcd.run(c.compact(r + 2))
    seen = etcd.collect()
    wid = etcd.run(c.watch(a, "", r + 1, seen))
    assert etcd.until(lambda: seen.responses)
    first = seen.responses[0]
    assert (first.watch_id, first.events, first.canceled, first.compact_revision) == (wid, (), True, r + 2)
    etcd.run(c.put(a, b"3"))
    etcd.wait(0.2)
    assert len(seen.responses) == 1


def test_a_compacted_watch_cancellation_has_no_header_revision_and_no_reason(request, etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(a, b"2"))
    etcd.run(c.compact(r + 2))
    seen = etcd.collect()
    etcd.run(c.watch(a, "", r + 1, seen))
    assert etcd.until(lambda: seen.responses)
    assert (seen.responses[0].revision, seen.responses[0].cancel_reason) == (0, "")


def test_a_watch_from_the_compact_revision_replays_from_there_without_older_prev_kvs(etcd):
    # Compaction at r keeps each key's newest version at or below r unless it is a
    # tombstone; a watch from r replays what is kept, and prev_kv reads at r - 1, gone.
    c, r, a, b = etcd.client, etcd.revision(), etcd.key("a"), etcd.key("b")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(b, b"1"))
    etcd.run(c.txn((), (Op("PUT", a, b"2"), Op("DELETE", b))))
    etcd.run(c.put(b, b"2"))
    etcd.run(c.compact(r + 3))
    seen = etcd.collect()
    etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), r + 3, seen, prev_kv=True))
    assert etcd.until(lambda: len(seen.events) >= 2)
    etcd.wait(0.1)
    assert seen.events == [Event(PUT, KeyValue(a, b"2", r + 1, r + 3, 2)),
                           Event(PUT, KeyValue(b, b"2", r + 4, r + 4, 1))]


# -- watch ----------------------------------------------------------------------------
@pytest.mark.parametrize("prev_kv", [True, False], ids=["with prev_kv", "without prev_kv"])
def test_a_watch_from_a_past_revision_replays_every_event_once_in_order(etcd, prev_kv):
    c, r = etcd.client, etcd.revision()
    a, b, k = etcd.key("a"), etcd.key("b"), etcd.key("k")
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(b, b"1"))
    etcd.run(c.txn((), (Op("PUT", a, b"2"), Op("DELETE", b), Op("PUT", k, b"1"))))
    etcd.run(c.delete(etcd.prefix, prefix_end(etcd.prefix)))
    seen = etcd.collect()
    wid = etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), r + 1, seen, prev_kv=prev_kv))
    etcd.run(c.put(a, b"3"))
    assert etcd.until(lambda: len(seen.events) >= 8)
    etcd.wait(0.2)
    a1, b1, a2, k1 = (KeyValue(a, b"1", r + 1, r + 1, 1), KeyValue(b, b"1", r + 2, r + 2, 1),
                      KeyValue(a, b"2", r + 1, r + 3, 2), KeyValue(k, b"1", r + 3, r + 3, 1))
    expected = [
        Event(PUT, a1), Event(PUT, b1),
        Event(PUT, a2, a1), Event(DELETE, KeyValue(b, b"", 0, r + 3, 0), b1), Event(PUT, k1),
        Event(DELETE, KeyValue(a, b"", 0, r + 4, 0), a2), Event(DELETE, KeyValue(k, b"", 0, r + 4, 0), k1),
        Event(PUT, KeyValue(a, b"3", r + 5, r + 5, 1)),
    ]
    assert seen.events == (expected if prev_kv else [e._replace(prev_kv=None) for e in expected])
    assert [(w.watch_id, w.seq, w.canceled, w.compact_revision) for w in seen.responses] == \
        [(wid, i, False, 0) for i in range(1, len(seen.responses) + 1)]


def test_a_key_watch_sees_only_that_key(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    seen = etcd.collect()
    etcd.run(c.watch(a, "", 0, seen))
    for key in (a, etcd.key("ab"), etcd.key("b")):
        etcd.run(c.put(key, b"1"))
    etcd.run(c.delete(etcd.prefix, prefix_end(etcd.prefix)))
    assert etcd.until(lambda: len(seen.events) >= 2)
    etcd.wait(0.2)
    assert seen.events == [Event(PUT, KeyValue(a, b"1", r + 1, r + 1, 1)), Event(DELETE, KeyValue(a, b"", 0, r + 4, 0))]


def test_a_watch_from_a_future_revision_sees_nothing_before_it(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    seen = etcd.collect()
    etcd.run(c.watch(a, "", r + 3, seen))
    for i in range(5):
        etcd.run(c.put(a, str(i).encode()))
    assert etcd.until(lambda: len(seen.events) >= 3)
    etcd.wait(0.2)
    assert [e.kv.mod_revision for e in seen.events] == [r + 3, r + 4, r + 5]


def test_a_txn_s_events_share_one_revision_and_one_response(etcd):
    c, r = etcd.client, etcd.revision()
    a, b, k = etcd.key("a"), etcd.key("b"), etcd.key("k")
    etcd.run(c.put(k, b"1"))
    seen = etcd.collect()
    etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), 0, seen))
    etcd.run(c.txn((), (Op("PUT", b, b"1"), Op("DELETE", k), Op("PUT", a, b"1"))))
    assert etcd.until(lambda: len(seen.events) >= 3)
    etcd.wait(0.2)
    assert len(seen.responses) == 1
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in seen.events] == \
        [(PUT, b, r + 2), (DELETE, k, r + 2), (PUT, a, r + 2)]


def test_live_events_carry_the_previous_value_when_asked(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    seen = etcd.collect()
    etcd.run(c.watch(a, "", 0, seen, prev_kv=True))
    etcd.run(c.put(a, b"1"))
    etcd.run(c.put(a, b"2"))
    etcd.run(c.delete(a))
    assert etcd.until(lambda: len(seen.events) >= 3)
    a1, a2 = KeyValue(a, b"1", r + 1, r + 1, 1), KeyValue(a, b"2", r + 1, r + 2, 2)
    assert seen.events == [Event(PUT, a1), Event(PUT, a2, a1), Event(DELETE, KeyValue(a, b"", 0, r + 3, 0), a2)]


def test_a_canceled_watch_gets_nothing_more(etcd):
    c, a = etcd.client, etcd.key("a")
    seen = etcd.collect()
    wid = etcd.run(c.watch(a, "", 0, seen))
    etcd.run(c.put(a, b"1"))
    assert etcd.until(lambda: seen.events)
    etcd.run(c.cancel_watch(wid))
    etcd.run(c.put(a, b"2"))
    etcd.wait(0.2)
    assert len(seen.events) == 1


def test_a_watch_resumes_after_its_server_restarts_and_sees_every_event_once(request, etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    seen = etcd.collect()
    etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), 0, seen))
    etcd.run(c.put(a, b"1"))
    assert etcd.until(lambda: seen.events)
    etcd.restart_servers()
    etcd.run(c.put(a, b"2"))
    assert etcd.until(lambda: len(seen.events) >= 2, timeout=60)
    etcd.wait(0.2)
    assert [(e.kv.value, e.kv.mod_revision) for e in seen.events] == [(b"1", r + 1), (b"2", r + 2)]
    assert not any(w.canceled for w in seen.responses)


def test_a_progress_request_answers_with_the_current_revision_and_no_events(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    seen = etcd.collect()
    wid = etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), 0, seen))
    etcd.run(c.put(a, b"1"))
    assert etcd.until(lambda: seen.events)
    etcd.run(c.request_progress())
    assert etcd.until(lambda: len(seen.responses) >= 2)
    progress = seen.responses[1]
    assert (progress.watch_id, progress.events, progress.revision, progress.progress, progress.canceled,
            progress.compact_revision, progress.seq) == (wid, (), r + 1, True, False, 0, 2)


# -- leases ---------------------------------------------------------------------------
@pytest.mark.parametrize("requested, granted", [(60, 60), (2, 2), (1, MIN_LEASE_TTL), (0, MIN_LEASE_TTL)],
                         ids=["a TTL above the minimum is granted as asked", "the minimum is granted as asked",
                              "a TTL of 1 s is raised to the minimum", "a TTL of 0 is raised to the minimum"])
def test_lease_grant_ttl(etcd, requested, granted):
    lease_id, ttl = etcd.run(etcd.client.lease_grant(requested))
    assert ttl == granted and lease_id > 0
    etcd.run(etcd.client.lease_revoke(lease_id))


def test_a_lease_knows_its_keys_renews_and_revoking_it_deletes_them_in_one_revision(etcd):
    c, r, a, b = etcd.client, etcd.revision(), etcd.key("a"), etcd.key("b")
    lease, _ = etcd.run(c.lease_grant(60))
    etcd.run(c.put(b, b"1", lease=lease))
    etcd.run(c.put(a, b"1", lease=lease))
    assert etcd.run(c.range(a)).kvs == (KeyValue(a, b"1", r + 2, r + 2, 1, lease),)
    left = etcd.run(c.lease_ttl(lease, keys=True))
    assert (left.id, left.granted_ttl, left.keys) == (lease, 60, (a, b)) and left.ttl in (59, 60)
    assert etcd.run(c.lease_ttl(lease)).keys == ()
    assert etcd.run(c.lease_keepalive(lease)) == 60
    assert lease in etcd.run(c.leases())
    seen = etcd.collect()
    etcd.run(c.watch(etcd.prefix, prefix_end(etcd.prefix), 0, seen))
    etcd.run(c.lease_revoke(lease))
    assert etcd.run(c.get_prefix(etcd.prefix)) == RangeResult((), 0, False, r + 3)
    assert etcd.until(lambda: len(seen.events) >= 2)
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in seen.events] == [(DELETE, a, r + 3), (DELETE, b, r + 3)]
    assert etcd.run(c.lease_ttl(lease)) == LeaseTTL(lease, -1, 0, ())
    assert lease not in etcd.run(c.leases())
    assert refused(etcd, c.lease_revoke(lease), errors.LeaseNotFoundError) == "etcdserver: requested lease not found"
    refused(etcd, c.lease_keepalive(lease), errors.LeaseNotFoundError)


def test_a_put_without_the_lease_detaches_the_key_from_it(etcd):
    c, a, b = etcd.client, etcd.key("a"), etcd.key("b")
    lease, _ = etcd.run(c.lease_grant(60))
    etcd.run(c.put(a, b"1", lease=lease))
    etcd.run(c.put(b, b"1", lease=lease))
    etcd.run(c.put(a, b"2"))
    assert etcd.run(c.lease_ttl(lease, keys=True)).keys == (b,)
    etcd.run(c.lease_revoke(lease))
    assert [(kv.key, kv.value, kv.lease) for kv in etcd.run(c.get_prefix(etcd.prefix)).kvs] == [(a, b"2", 0)]


def test_a_lease_ttl_over_the_maximum_is_refused(etcd):
    message = refused(etcd, etcd.client.lease_grant(9_000_000_001), errors.LeaseTTLTooLargeError)
    assert message == "etcdserver: too large lease TTL"


def test_a_put_with_an_unknown_lease_is_refused(etcd):
    message = refused(etcd, etcd.client.put(etcd.key("a"), b"1", lease=0x5EED0001), errors.LeaseNotFoundError)
    assert message == "etcdserver: requested lease not found"


def test_a_lease_id_can_be_chosen_but_not_twice(etcd):
    c = etcd.client
    lease_id = 0x5EED0000 + BACKENDS.index(etcd.name)
    assert etcd.run(c.lease_grant(60, lease_id)) == (lease_id, 60)
    assert refused(etcd, c.lease_grant(60, lease_id), errors.LeaseExistsError) == "etcdserver: lease already exists"
    etcd.run(c.lease_revoke(lease_id))


def test_an_expired_lease_deletes_its_keys(etcd):
    c, r, a = etcd.client, etcd.revision(), etcd.key("a")
    lease, ttl = etcd.run(c.lease_grant(1))
    etcd.run(c.put(a, b"1", lease=lease))
    etcd.wait(1.0)
    assert etcd.run(c.range(a)).count == 1
    etcd.wait(ttl + 1.0 - 1.0)             # the lessor looks for expired leases every 500 ms
    assert etcd.run(c.range(a)) == RangeResult((), 0, False, r + 2)
    assert etcd.run(c.lease_ttl(lease)).ttl == -1


# -- maintenance ------------------------------------------------------------------------
def test_status_reports_the_revision(etcd):
    c, r = etcd.client, etcd.revision()
    etcd.run(c.put(etcd.key("a"), b"1"))
    status = etcd.run(c.status())
    assert status.revision == r + 1 and status.leader and status.alarm == ""
