"""A linearizability checker for histories recorded by clients of a key-value store.

Mirrors the search of Wing & Gong 1993 ("Testing and verifying concurrent objects") with
Lowe's memoisation (Lowe 2017, "Testing for linearizability"), the approach of Jepsen's
Knossos and Porcupine; the model is porcupine's ``checker.go`` (``checkSingle``: a linked
list of call/return entries, lift/unlift, a cache of (linearized bitset, state)).

Each key is an independent register (linearizability is local, so keys are checked one
by one in sorted order). An operation whose outcome is unknown (``complete=None``) is
concurrent with everything after its call and optional: the search may linearize it or
leave it out.

Simplified: one register per key (no ranges, txns, revisions or watches); values must be
hashable; no timeout, only a state budget (``SearchLimit``); no visualisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

KINDS = ("put", "get", "cas", "delete")


class SearchLimit(Exception):
    """The search visited more than ``max_states`` states without reaching a verdict."""


@dataclass(frozen=True)
class Operation:
    client: int                       # which client issued it
    kind: str                         # "put" | "get" | "cas" | "delete"
    key: str
    value: object = None              # put: the value written; cas: the new value
    expect: object = None             # cas: the value the key must hold (None = absent)
    output: object = None             # get: the value read (None = absent); cas: True/False
    invoke: float = 0.0               # time the client sent it
    complete: float | None = None     # time the answer came; None = outcome unknown
    index: int = 0                    # position in the recorded history


@dataclass(frozen=True)
class Verdict:
    ok: bool
    key: str | None         # first key (sorted) whose sub-history is not linearizable
    linearized: tuple       # failing key: longest linearizable prefix found (indexes, in order)
    stuck: tuple            # failing key: ops that cannot come next after that prefix (indexes)
    explored: int           # search states visited, summed over the keys checked
    history: tuple = field(default=(), repr=False, compare=False)  # the failing key's ops

    def explain(self) -> str:
        if self.ok:
            return f"linearizable ({self.explored} search states explored)"
        ops = {op.index: op for op in self.history}
        prefix = [ops[i] for i in self.linearized]
        state, writer = None, None
        for op in prefix:
            _, state = _step(op, state)
            writer = op if _writes(op) else writer
        if prefix:
            shown = ("…, " if len(prefix) > 3 else "") + ", ".join(_show(op) for op in prefix[-3:])
            where = f"after {len(prefix)} of {len(ops)} operations ({shown})"
        else:
            where = "before any operation"
        holds = f"is {_value(state)}" + (f" (written by #{writer.index})" if writer else "")
        lines = [f"key {self.key!r} is not linearizable: {where} the register {holds},"
                 " and no operation that could come next fits:"]
        lines += [f"  {_show(ops[i])}: {_why(ops[i], state)}" for i in self.stuck]
        return "\n".join(lines)


def check(history: Iterable[Operation], max_states: int = 2_000_000) -> Verdict:
    """Check a history key by key; stop at the first key that is not linearizable."""
    by_key: dict = {}
    seen = set()
    for op in history:
        _validate(op)
        if op.index in seen:
            raise ValueError(f"duplicate Operation.index {op.index}: number the history")
        seen.add(op.index)
        if op.kind == "get" and op.complete is None:
            continue                  # an unanswered read tells us nothing
        by_key.setdefault(op.key, []).append(op)
    explored = 0
    for key in sorted(by_key):
        ops = sorted(by_key[key], key=lambda op: op.index)
        ok, visited, longest = _search(ops, max_states - explored, key)
        explored += visited
        if not ok:
            prefix = [ops[i] for i in longest]
            return Verdict(False, key, tuple(op.index for op in prefix),
                           _stuck(ops, longest), explored, tuple(ops))
    return Verdict(True, None, (), (), explored)


def _validate(op: Operation) -> None:
    if op.kind not in KINDS:
        raise ValueError(f"operation #{op.index}: unknown kind {op.kind!r}")
    if op.complete is not None and op.complete < op.invoke:
        raise ValueError(f"operation #{op.index}: completes at {op.complete} before its invoke {op.invoke}")
    if op.kind == "cas" and op.complete is not None and op.output not in (True, False):
        raise ValueError(f"operation #{op.index}: a completed cas needs output True or False")


def _step(op: Operation, state):
    """(legal, next state) for linearizing ``op`` when the register holds ``state``.

    An unknown-outcome cas is only linearized when it takes effect: where it would not,
    linearizing it is the same as leaving it out.
    """
    kind = op.kind
    if kind == "put":
        return True, op.value
    if kind == "delete":
        return True, None
    if kind == "get":
        return op.output == state, state
    if op.complete is None or op.output:
        return state == op.expect, op.value
    return state != op.expect, state


def _entries(ops: list) -> list:
    """Call entries ``i`` and return entries ``n + i``, ordered by time.

    At equal times calls come first, so an op that returns at t is concurrent with one
    invoked at t. Unknown outcomes return at +infinity, after every known return.
    """
    n = len(ops)
    inf = float("inf")
    return sorted(range(2 * n), key=lambda e: (
        ops[e].invoke if e < n else inf if ops[e - n].complete is None else ops[e - n].complete,
        e >= n, ops[e % n].index))


def _search(ops: list, budget: int, key: str):
    """Wing & Gong's search with Lowe's cache; returns (ok, states visited, longest prefix).

    Invariants: ``nxt``/``prv`` link the entries not yet linearized, in time order, after
    the head ``2n`` (-1 ends the list); ``stack`` holds (call entry, state before it) for
    the current partial linearization, whose ops are the set bits of ``mask``; ``cache``
    holds every (mask, state) ever pushed, so no state is explored twice.
    """
    n = len(ops)
    order = _entries(ops)
    head = 2 * n
    nxt, prv = [-1] * (2 * n + 1), [-1] * (2 * n + 1)
    last = head
    for e in order:
        nxt[last], prv[e] = e, last
        last = e
    known = [op.complete is not None for op in ops]
    remaining = sum(known)        # known-outcome ops not yet linearized; 0 = success
    state, mask, stack, longest = None, 0, [], []
    cache = {(0, None)}
    entry = nxt[head]
    while remaining:
        # The walk meets a known return before the list ends: unknown ones are last.
        if entry < n:
            legal, new = _step(ops[entry], state)
            if legal and (mask | 1 << entry, new) not in cache:
                if len(cache) >= budget:
                    raise SearchLimit(f"key {key!r}: no verdict within max_states"
                                      f" ({len(cache)} states on this key)")
                cache.add((mask | 1 << entry, new))
                stack.append((entry, state))
                state, mask = new, mask | 1 << entry
                ret = entry + n
                nxt[prv[entry]], prv[nxt[entry]] = nxt[entry], prv[entry]
                nxt[prv[ret]] = nxt[ret]
                if nxt[ret] != -1:
                    prv[nxt[ret]] = prv[ret]
                remaining -= known[entry]
                entry = nxt[head]
            else:
                entry = nxt[entry]
            continue
        # A return: its op was never linearized, so the last choice was wrong.
        if len(stack) > len(longest):
            longest = [e for e, _ in stack]
        if not stack:
            return False, len(cache), longest
        entry, state = stack.pop()
        mask ^= 1 << entry
        ret = entry + n
        nxt[prv[ret]] = ret
        if nxt[ret] != -1:
            prv[nxt[ret]] = ret
        nxt[prv[entry]] = prv[nxt[entry]] = entry
        remaining += known[entry]
        entry = nxt[entry]
    return True, len(cache), [e for e, _ in stack]


def _stuck(ops: list, longest: list) -> tuple:
    """Known-outcome ops that could be linearized next after ``longest`` but do not fit.

    They are the calls before the first pending return; none fits, or the prefix would
    be longer.
    """
    state = None
    for i in longest:
        _, state = _step(ops[i], state)
    n, done, stuck = len(ops), set(longest), []
    for e in _entries(ops):
        if e % n in done:
            continue
        if e >= n:
            break
        if ops[e].complete is not None and not _step(ops[e], state)[0]:
            stuck.append(ops[e].index)
    return tuple(stuck)


def _writes(op: Operation) -> bool:
    """Whether ``op``, once linearized, set the register (unknown cas: only if it took effect)."""
    return op.kind in ("put", "delete") or (op.kind == "cas" and (op.complete is None or bool(op.output)))


def _value(v) -> str:
    return "absent" if v is None else repr(v)


def _show(op: Operation) -> str:
    what = {"put": f"put {op.key}={op.value!r}", "delete": f"delete {op.key}",
            "get": f"get {op.key} -> {_value(op.output)}",
            "cas": f"cas {op.key} {_value(op.expect)}->{op.value!r}"}[op.kind]
    if op.kind == "cas":
        what += " -> " + ("unknown" if op.complete is None else "ok" if op.output else "failed")
    end = "?" if op.complete is None else f"{op.complete:g}"
    return f"#{op.index} client {op.client} {what} [{op.invoke:g}, {end}]"


def _why(op: Operation, state) -> str:
    if op.kind == "get":
        return f"read {_value(op.output)}, but the register is {_value(state)}"
    if op.output:
        return f"succeeded, but the register is {_value(state)}, not {_value(op.expect)}"
    return f"failed, but the register is {_value(op.expect)} as expected"
