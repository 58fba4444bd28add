"""Tests of k8slite/etcd/linearizability.py: hand-made histories, a brute-force oracle,
porcupine's verdicts on Jepsen etcd logs, recorded and mutated histories, limits."""
import itertools
import random
import re
from dataclasses import replace

import pytest

from k8slite.etcd.linearizability import Operation, SearchLimit, check


def put(value, at, client=0, key="x"):
    return Operation(client, "put", key, value=value, invoke=at[0], complete=at[1])


def get(output, at, client=0, key="x"):
    return Operation(client, "get", key, output=output, invoke=at[0], complete=at[1])


def cas(expect, value, output, at, client=0, key="x"):
    return Operation(client, "cas", key, value=value, expect=expect, output=output, invoke=at[0], complete=at[1])


def delete(at, client=0, key="x"):
    return Operation(client, "delete", key, invoke=at[0], complete=at[1])


def history(*ops):
    return [replace(op, index=i) for i, op in enumerate(ops)]


# -- hand-made histories ------------------------------------------------------------
CASES = [
    pytest.param([put("a", (0, 1)), get("a", (2, 3))], True,
                 id="a read after a completed write sees it"),
    pytest.param([put("a", (0, 1)), put("b", (2, 3)), get("a", (4, 5))], False,
                 id="a stale read after a completed write is not linearizable"),
    pytest.param([put("a", (0, 10)), put("b", (0, 10), 1), get("a", (1, 2), 2), get("b", (3, 4), 2)], True,
                 id="two concurrent writes may be read as a then b"),
    pytest.param([put("a", (0, 10)), put("b", (0, 10), 1), get("b", (1, 2), 2), get("a", (3, 4), 2)], True,
                 id="two concurrent writes may be read as b then a"),
    pytest.param([put("a", (0, 1)), get("z", (2, 3))], False,
                 id="a read of a value never written is not linearizable"),
    pytest.param([put("a", (0, 1)), put("b", (2, 10)), get("b", (3, 4), 1), get("a", (5, 6), 2)], False,
                 id="a read of the old value after a completed read saw the new one is not linearizable"),
    pytest.param([put("a", (0, 1)), put("b", (2, 10)), get("b", (3, 6), 1), get("a", (4, 5), 2)], True,
                 id="overlapping reads may see the old and the new value in either real-time order"),
    pytest.param([get(None, (0, 1)), put("a", (2, 3))], True,
                 id="a read before any write finds the key absent"),
    pytest.param([put("a", (0, 1)), get(None, (2, 3))], False,
                 id="a read that finds the key absent after a completed write is not linearizable"),
    pytest.param([put("a", (0, 1)), delete((2, 3)), get(None, (4, 5))], True,
                 id="a read after a completed delete finds the key absent"),
    pytest.param([put("a", (0, 1)), delete((2, 3)), get("a", (4, 5))], False,
                 id="a read after a completed delete that still sees the value is not linearizable"),
    pytest.param([put("a", (0, 1)), cas("a", "b", True, (2, 3)), get("b", (4, 5))], True,
                 id="a cas from the value the key holds succeeds and its value is read"),
    pytest.param([cas(None, "a", True, (0, 1)), get("a", (2, 3))], True,
                 id="a cas that expects the key absent succeeds on a fresh key"),
    pytest.param([put("a", (0, 1)), cas("z", "b", True, (2, 3))], False,
                 id="a cas that succeeds although the key holds another value is not linearizable"),
    pytest.param([put("a", (0, 1)), cas("a", "b", False, (2, 3))], False,
                 id="a cas that fails although the key holds the expected value is not linearizable"),
    pytest.param([put("a", (0, 1)), put("c", (2, 5), 1), cas("a", "b", False, (3, 4))], True,
                 id="a cas may fail because a concurrent write changed the value first"),
    pytest.param([put("a", (0, 1)), cas("a", "b", True, (2, 5), 1), cas("a", "c", True, (2, 5), 2)], False,
                 id="two concurrent cas from the same value cannot both succeed"),
    pytest.param([put("a", (0, 1)), put("b", (2, None), 1), get("a", (3, 4)), get("b", (5, 6))], True,
                 id="a write whose outcome is unknown may appear later"),
    pytest.param([put("a", (0, 1)), put("b", (2, None), 1), get("a", (3, 4)), get("a", (10, 11))], True,
                 id="a write whose outcome is unknown may never appear"),
    pytest.param([put("a", (0, 1)), put("b", (2, None), 1), get("b", (3, 4)), get("a", (5, 6)), get("b", (7, 8))],
                 False, id="a write whose outcome is unknown cannot be seen, unseen and seen again"),
    pytest.param([put("a", (0, 1)), cas("a", "b", None, (2, None), 1), get("b", (3, 4))], True,
                 id="a cas whose outcome is unknown may have taken effect"),
    pytest.param([put("a", (0, 1)), cas("z", "b", None, (2, None), 1), get("b", (3, 4))], False,
                 id="a cas whose outcome is unknown cannot take effect unless the key held the expected value"),
    pytest.param([put("a", (0, 1)), get("junk", (2, None), 1)], True,
                 id="a read that got no answer tells nothing"),
    pytest.param([put("a", (0, 1)), get(None, (1, 2))], True,
                 id="an op that completes at t is concurrent with one invoked at t"),
    pytest.param([put("a", (0, 1)), get(None, (1.5, 2))], False,
                 id="an op that completes before another is invoked precedes it"),
    # porcupine's TestRegisterModel (6.824 2017 quiz 2) and TestZeroDuration; its 0 is our absent.
    pytest.param([put(100, (0, 100)), get(100, (25, 75), 1), get(None, (30, 60), 2)], True,
                 id="porcupine: a read may miss a write that a concurrent read saw"),
    pytest.param([put(200, (0, 100)), get(200, (10, 30), 1), get(None, (40, 90), 2)], False,
                 id="porcupine: a read cannot miss a write that a completed read saw"),
    pytest.param([put(100, (0, 100)), get(100, (25, 75), 1), get(None, (30, 30), 2), get(None, (30, 30), 3)], True,
                 id="porcupine: zero-length reads may come before a concurrent write"),
    pytest.param([put(200, (0, 100)), get(200, (10, 10), 1), get(200, (10, 10), 2), get(None, (40, 90), 3)], False,
                 id="porcupine: zero-length reads that saw a write pin it before later reads"),
]


@pytest.mark.parametrize("ops, linearizable", CASES)
def test_hand_made_histories(ops, linearizable):
    verdict = check(history(*ops))
    assert verdict.ok is linearizable
    assert (verdict.key is None) is linearizable


def test_a_stale_read_reports_the_longest_prefix_the_stuck_read_and_an_explanation():
    verdict = check(history(put("a", (0, 1)), put("b", (2, 3), 1), get("a", (4, 5), 2)))
    assert (verdict.ok, verdict.key, verdict.linearized, verdict.stuck) == (False, "x", (0, 1), (2,))
    assert verdict.explain() == (
        "key 'x' is not linearizable: after 2 of 3 operations (#0 client 0 put x='a' [0, 1],"
        " #1 client 1 put x='b' [2, 3]) the register is 'b' (written by #1), and no operation"
        " that could come next fits:\n"
        "  #2 client 2 get x -> 'a' [4, 5]: read 'a', but the register is 'b'")


def test_the_first_failing_key_in_sorted_order_is_reported_whatever_the_input_order():
    ops = history(put(1, (0, 1), key="k2"), get(2, (2, 3), key="k2"), put(1, (0, 1), key="k1"),
                  get(2, (2, 3), key="k1"), put(1, (0, 1), key="k0"), get(1, (2, 3), key="k0"))
    verdicts = [check(ops), check(reversed(ops))]
    assert [v.key for v in verdicts] == ["k1", "k1"]
    assert verdicts[0] == verdicts[1] and verdicts[0].explain() == verdicts[1].explain()
    assert "'k1'" in verdicts[0].explain()


def test_explored_sums_over_keys():
    one = check(history(put(1, (0, 2)), get(1, (1, 3), 1)))
    two = check(history(put(1, (0, 2)), get(1, (1, 3), 1), put(1, (0, 2), key="y"), get(1, (1, 3), 1, key="y")))
    assert one.ok and two.ok and two.explored == 2 * one.explored > 0


@pytest.mark.parametrize("op, message", [
    pytest.param(Operation(0, "range", "x"), "unknown kind", id="an unknown kind is refused"),
    pytest.param(Operation(0, "get", "x", invoke=2, complete=1), "before its invoke",
                 id="an op that completes before it is invoked is refused"),
    pytest.param(Operation(0, "cas", "x", complete=1), "True or False",
                 id="a completed cas without a boolean outcome is refused"),
])
def test_malformed_operations_are_refused(op, message):
    with pytest.raises(ValueError, match=message):
        check([op])


def test_duplicate_indexes_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        check([put(1, (0, 1)), get(1, (2, 3))])


def test_the_search_stops_with_search_limit_instead_of_guessing():
    ops = history(*[put(v, (0, 10), v) for v in range(12)], get("never", (11, 12)))
    with pytest.raises(SearchLimit, match="'x'"):
        check(ops, max_states=500)
    assert not check(ops).ok


# -- a brute-force oracle ---------------------------------------------------------
def brute_force(ops):
    """Try every order of every choice of unknown-outcome ops, for tiny histories."""
    ops = [op for op in ops if not (op.kind == "get" and op.complete is None)]
    end = lambda op: float("inf") if op.complete is None else op.complete
    known = [op for op in ops if op.complete is not None]
    unknown = [op for op in ops if op.complete is None]
    for r in range(len(unknown) + 1):
        for chosen in itertools.combinations(unknown, r):
            for order in itertools.permutations(known + list(chosen)):
                if any(end(b) < a.invoke for i, a in enumerate(order) for b in order[i + 1:]):
                    continue
                state, legal = None, True
                for op in order:
                    if op.kind == "put":
                        state = op.value
                    elif op.kind == "delete":
                        state = None
                    elif op.kind == "get":
                        legal = op.output == state
                    elif op.complete is None:
                        state = op.value if state == op.expect else state
                    else:
                        legal = (state == op.expect) == op.output
                        state = op.value if op.output else state
                    if not legal:
                        break
                if legal:
                    return True
    return False


def random_history(rng, n):
    ops = []
    for i in range(n):
        kind = rng.choice(["put", "get", "cas", "delete"])
        start = rng.randrange(6)
        ops.append(Operation(
            i, kind, "x", value=rng.choice([1, 2]) if kind in ("put", "cas") else None,
            expect=rng.choice([None, 1, 2]) if kind == "cas" else None,
            output=rng.choice([None, 1, 2]) if kind == "get" else rng.random() < 0.5 if kind == "cas" else None,
            invoke=start, complete=None if rng.random() < 0.2 else start + rng.randrange(4), index=i))
    return ops


def test_agrees_with_brute_force_on_small_random_histories():
    rng = random.Random(5)
    seen = set()
    for _ in range(400):
        ops = random_history(rng, rng.randrange(1, 6))
        verdict = check(ops)
        assert verdict.ok == brute_force(ops), ops
        assert verdict.ok or verdict.stuck
        seen.add(verdict.ok)
    assert seen == {True, False}


# -- porcupine's verdicts on Jepsen's etcd logs -------------------------------------
# porcupine test_data/jepsen/etcd_000.log (TestEtcdJepsen000: illegal) and etcd_002.log
# (TestEtcdJepsen002: ok), one token per log line, in order: process, then ">" invoke,
# "<" ok, "!" fail, "?" timed out; then r(ead), w(rite) or c(as), then the argument
# ("-" is nil). An op still pending at the end has an unknown outcome.
ETCD_000 = """
0>r 3>r 2>w4 1>w2 4>w3 3<r- 0<r- 4<w3 1<w2 2<w4 3>w3 0>r 0<r3 3<w3 4>r 4<r3 1>r 1<r3
2>c3,0 2<c3,0 0>w2 3>r 0<w2 3<r0 4>r 4<r2 1>c0,3 2>c0,0 1!c0,3 2!c0,0 0>c2,1 3>r 3<r2
0<c2,1 4>r 4<r1 1>r 1<r1 2>r 2<r1 3>w0 0>c1,3 3<w0 4>w2 0!c1,3 4<w2 1>r 1<r2 2>c1,1
2!c1,1 3>c0,0 0>r 0<r2 4>w1 3!c0,0 1>c2,1 2>w2 2<w2 0>c1,4 3>w3 4?w 0!c1,4 3<w3 1?c
2>w2 9>w3 0>r 0<r3 2<w2 3>c3,4 3!c3,4 6>c1,1 9?w 0>w1 0<w1 2>c0,0 2!c0,0 3>c2,2 6?c
3!c2,2 14>w4 0>c4,3 0!c4,3 2>w0 11>r 11<r2 2<w0 3>w2 3<w2 14?w 0>w1 11>c2,1 2>c0,3 3>r
3<r2 19>r 19<r2 0?w 11?c 2?c 3>r 3<r2 19>c1,3 19<c1,3 5>w0 16>c4,3 7>c1,2 5<w0 7!c1,2
16!c4,3 3>c4,2 3!c4,2 19>c0,1 19<c0,1 5>c4,0 7>c1,4 16>r 16<r1 3>c1,3 3!c1,3 5<c4,0
7<c1,4 19>c2,0 19!c2,0 16>r 16<r0 3>r 3<r0 5>r 7>c4,2 5<r0 7!c4,2 19>c2,3 19!c2,3
16>c4,1 3>w4 5>w4 7>c0,2 19>r 19<r0 16?c 3?w 5?w 7?c 19>w3 19<w3 21>c2,0 21!c2,0 8>w4
10>w2 10<w2 12>c4,4 19>w4 21>r 21<r4 19<w4 8?w 10>c0,1 12?c 10!c0,1 21>c3,3 21!c3,3
19>r 19<r4 13>c2,2 17>c4,4 13?c 17?c 10>r 10<r1
"""
ETCD_002 = """
4>r 4<r- 1>w1 2>c2,4 3>c1,2 0>c1,4 1<w1 0!c1,4 2<c2,4 3<c1,2 4>w0 4<w0 1>w2 1<w2 0>r
0<r2 2>c0,2 3>c2,3 2!c0,2 3<c2,3 4>r 4<r3 1>w3 1<w3 0>w2 2>w0 0<w2 2<w0 3>c0,4 3<c0,4
4>c3,4 4!c3,4 1>w1 0>w3 0<w3 1<w1 2>r 2<r3 3>r 3<r3 4>r 4<r3 0>c4,3 0!c4,3 1>c2,2 2>w3
1!c2,2 3>w2 4>w2 4<w2 0>c1,4 0!c1,4 2?w 1>w3 1<w3 3?w 4>c3,0 4<c3,0 0>r 0<r0 7>c3,1
1>w1 8>r 8<r3 4>c4,0 1<w1 0>w2 0<w2 7?c 4!c4,0 8>c4,0 1>w0 1<w0 0>w4 0<w4 12>w4 4>r
4<r4 8?c 1>r 1<r4 0>w2 12?w 0<w2 4>c3,0 4!c3,0 13>w3 1>w0 17>r 0>c2,1 17<r3 4>w1 13?w
1?w 0?c 17>c0,1 4?w 18>r 18<r3 6>w3 5>w2 17?c 9>c2,2 18>w4 6?w 5?w 22>w1 9?c 18?w
11>w3 10>c1,1 22?w 14>w0 11<w3 23>c4,4 14<w0 10!c1,1 23!c4,4 27>w1 11>w2 11<w2 14>c1,2
10>r 10<r2 14!c1,2 23>r 23<r0 27?w 11>w1 11<w1 10>r 10<r1 14>w2 23>c2,3 32>c2,1 14<w2
11>w4 11<w4 10>c1,1 10!c1,1 23?c 32?c 14>w4 14<w4 11>c2,4 11!c2,4 10>r 10<r4 28>r 28<r0
37>w3 37?w 14>r 14<r4
"""


def jepsen_history(log):
    calls, ops = {}, []

    def record(proc, invoke, what, arg, end, code, out):
        kind = {"r": "get", "w": "put", "c": "cas"}[what]
        expect, value = map(int, arg.split(",")) if what == "c" else (None, int(arg) if what == "w" else None)
        output = (None if out == "-" else int(out)) if what == "r" else (code == "<") if what == "c" else None
        known = code in "<!"
        ops.append(Operation(proc, kind, "r", value, expect, output if known else None, invoke,
                             end if known else None, len(ops)))

    for t, token in enumerate(log.split()):
        proc, code, what, arg = re.fullmatch(r"(\d+)([<>!?])([rwc])(.*)", token).groups()
        if code == ">":
            calls[proc] = (t, what, arg)
        else:
            invoke, _, call_arg = calls.pop(proc)
            record(int(proc), invoke, what, call_arg, t, code, arg)
    for proc, (invoke, what, arg) in sorted(calls.items()):
        record(int(proc), invoke, what, arg, None, "?", None)
    return ops


@pytest.mark.parametrize("log, linearizable", [
    pytest.param(ETCD_000, False, id="porcupine finds Jepsen's etcd log 000 not linearizable, and so do we"),
    pytest.param(ETCD_002, True, id="porcupine finds Jepsen's etcd log 002 linearizable, and so do we"),
])
def test_porcupines_verdicts_on_jepsen_etcd_logs(log, linearizable):
    assert check(jepsen_history(log)).ok is linearizable


# -- histories recorded from a real register ----------------------------------------
def recorded_history(rng, n_ops, keys=("x", "y"), clients=4, unknown=0.1, values=3):
    """Clients of a real sequential store: each op takes effect at one instant between its
    invoke and its completion; an op whose answer is lost took effect or not, at random."""
    clock, plans = [0.0] * clients, []
    for i in range(n_ops):
        client = rng.randrange(clients)
        invoke = clock[client] + rng.random()
        point = invoke + 2 * rng.random()
        clock[client] = point + 2 * rng.random()
        lost = rng.random() < unknown
        plans.append((point, i, client, rng.choice(["put", "get", "get", "cas", "delete"]), rng.choice(keys),
                      rng.randrange(values), rng.choice([None, *range(values)]), invoke,
                      None if lost else clock[client], not lost or rng.random() < 0.5))
    store, ops = {}, []
    for point, i, client, kind, key, value, expect, invoke, complete, happens in sorted(plans):
        held, output = store.get(key), None
        if kind == "get":
            output = held
        elif kind == "cas":
            output = held == expect if complete is not None else None
            if held == expect and happens:
                store[key] = value
        elif happens:
            store[key] = value if kind == "put" else None
        ops.append(Operation(client, kind, key, value if kind in ("put", "cas") else None,
                             expect if kind == "cas" else None, output, invoke, complete, i))
    return sorted(ops, key=lambda op: op.index)


def test_recorded_histories_pass_and_a_read_of_a_value_never_written_fails_them():
    rng = random.Random(11)
    for _ in range(60):
        ops = recorded_history(rng, rng.randrange(1, 50), clients=rng.randrange(1, 6))
        assert check(ops).ok
        reads = [op for op in ops if op.kind == "get" and op.complete is not None]
        if reads:
            bad = rng.choice(reads)
            verdict = check([replace(op, output="never written") if op is bad else op for op in ops])
            assert not verdict.ok and verdict.key == bad.key and bad.index not in verdict.linearized
            assert f"'{bad.key}'" in verdict.explain()


def test_two_thousand_ops_over_five_keys_from_five_clients_check_in_about_one_state_each():
    ops = recorded_history(random.Random(3), 2000, keys=tuple("abcde"), clients=5, unknown=0.02)
    verdict = check(ops)
    assert verdict.ok and verdict.explored < 2 * len(ops)
