"""A fault checker: clients against an etcd cluster under crashes, partitions, loss and delay.

Mirrors the method of etcd's robustness tests (``tests/robustness``: a traffic of
clients, injected failpoints and network faults, a recorded history checked by a
linearizability checker, and a check that every acknowledged write survived) and of
Jepsen's etcd analyses.

Run ``python -m k8slite.etcd.check --members 3 --seed 7 --ops 2000 --faults``. It
prints the verdict as ``linearizable: yes|no`` and ``lost acknowledged writes: N``
and exits 1 on any violation. ``--unsafe-local-reads`` runs a broken variant
(followers answer linearizable reads from their own state, without ReadIndex) that
the checker must catch.

Simplified: faults are chosen from the kernel's seeded random stream; one fault at a
time; no disk faults (a crashed member keeps everything it acknowledged).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from . import errors
from .client import EtcdClient
from .cluster import EtcdCluster
from .linearizability import Operation, Verdict, check
from .mvcc import Compare, Op, PutResult

KEYS = ("/check/a", "/check/b", "/check/c", "/check/d", "/check/e")
FAULTS = ("crash", "partition", "loss", "delay")


@dataclass
class Report:
    members: int
    seed: int
    operations: list[Operation]
    faults: dict[str, int]
    verdict: Verdict
    lost: list[str]
    replicas_agree: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.lost and self.replicas_agree

    def format(self) -> str:
        lines = [f"members: {self.members}  seed: {self.seed}  operations: {len(self.operations)} "
                 f"(ok {self.counts['ok']}, failed {self.counts['failed']}, unknown {self.counts['unknown']})",
                 "faults injected: " + (", ".join(f"{k} {v}" for k, v in self.faults.items()) or "none"),
                 f"linearizable: {'yes' if self.verdict.ok else 'no'}"]
        if not self.verdict.ok:
            lines.append("  " + self.verdict.explain().replace("\n", "\n  "))
        lines.append(f"lost acknowledged writes: {len(self.lost)}")
        lines.extend(f"  {lost}" for lost in self.lost[:10])
        lines.append(f"replicas agree: {'yes' if self.replicas_agree else 'no'}")
        return "\n".join(lines)


class Checker:
    """A cluster of ``members``, ``clients`` clients spread over them, and a fault injector."""

    def __init__(self, members: int = 3, seed: int = 0, ops: int = 2000, faults: bool = True, clients: int = 5,
                 unsafe_local_reads: bool = False, snapshot_count: int = 200):
        self.cluster = EtcdCluster(members, seed, trace=False, snapshot_count=snapshot_count,
                                   catch_up_entries=snapshot_count // 2, unsafe_local_reads=unsafe_local_reads)
        self.kernel, self.network = self.cluster.kernel, self.cluster.network
        self.seed, self.ops, self.with_faults = seed, ops, faults
        self.servers = list(self.cluster.members.values())
        names = list(self.cluster.members)
        self.clients = [self.cluster.client(f"client-{c}", names[c % members:] + names[:c % members])
                        for c in range(clients)]
        self.history: list[Operation] = []
        self.faults = {name: 0 for name in FAULTS}
        self.acked: list[tuple[str, object, int]] = []      # (key, value, revision) of acknowledged writes
        self._issued = 0
        self._done = False

    # -- traffic ------------------------------------------------------------------------
    async def _client(self, c: int) -> None:
        rng, kernel, client = self.kernel.rng, self.kernel, self.clients[c]
        n = 0
        while self._issued < self.ops:
            self._issued += 1
            n += 1
            key = KEYS[rng.randrange(len(KEYS))]
            roll = rng.random()
            invoke = kernel.now
            if roll < 0.5:
                op = await self._get(client, c, key, invoke)
            elif roll < 0.8:
                op = await self._put(client, c, key, f"{c}-{n}", invoke)
            else:
                op = await self._cas(client, c, key, f"{c}-{n}", invoke)
            self.history.append(op)
            await kernel.sleep(rng.uniform(0.0, 0.05))

    async def _get(self, client: EtcdClient, c: int, key: str, invoke: float) -> Operation:
        try:
            result = await client.range(key)
        except errors.EtcdError:
            return Operation(c, "get", key, invoke=invoke, complete=None, index=len(self.history))
        value = result.kvs[0].value.decode() if result.kvs else None
        return Operation(c, "get", key, output=value, invoke=invoke, complete=self.kernel.now, index=len(self.history))

    async def _put(self, client: EtcdClient, c: int, key: str, value: str, invoke: float) -> Operation:
        try:
            result: PutResult = await client.put(key, value.encode())
        except errors.EtcdError:
            return Operation(c, "put", key, value, invoke=invoke, complete=None, index=len(self.history))
        self.acked.append((key, value, result.revision))
        return Operation(c, "put", key, value, invoke=invoke, complete=self.kernel.now, index=len(self.history))

    async def _cas(self, client: EtcdClient, c: int, key: str, value: str, invoke: float) -> Operation:
        current = [o.value for o in reversed(self.history) if o.key == key and o.kind in ("put", "cas")]
        expect = current[0] if current and self.kernel.rng.random() < 0.7 else None
        compare = (Compare(key, "VALUE", "=", expect.encode()) if expect is not None
                   else Compare(key, "CREATE", "=", 0))
        try:
            result = await client.txn((compare,), (Op("PUT", key, value.encode()),), (), f"Txn cas {key}")
        except errors.EtcdError:
            return Operation(c, "cas", key, value, expect, invoke=invoke, complete=None, index=len(self.history))
        if result.succeeded:
            self.acked.append((key, value, result.revision))
        return Operation(c, "cas", key, value, expect, output=result.succeeded, invoke=invoke,
                         complete=self.kernel.now, index=len(self.history))

    # -- faults -------------------------------------------------------------------------
    async def _nemesis(self) -> None:
        kernel, rng, net = self.kernel, self.kernel.rng, self.network
        hosts = [s.host for s in self.servers]
        while not self._done:
            await kernel.sleep(rng.uniform(1.0, 4.0))
            fault = FAULTS[rng.randrange(len(FAULTS))]
            self.faults[fault] += 1
            length = rng.uniform(1.0, 8.0)
            if fault == "crash":
                victim = self.servers[rng.randrange(len(self.servers))]
                victim.crash()
                await kernel.sleep(length)
                victim.restart()
            elif fault == "partition":
                cut = rng.randrange(1, len(hosts)) if len(hosts) > 1 else 1
                side = sorted(rng.sample(hosts, cut))
                net.partition(side, [h for h in hosts if h not in side])
                await kernel.sleep(length)
                net.heal()
            elif fault == "loss":
                net.loss = rng.uniform(0.05, 0.3)
                await kernel.sleep(length)
                net.loss = 0.0
            else:
                before = net.latency
                net.latency = (0.0005, rng.uniform(0.05, 0.5))
                await kernel.sleep(length)
                net.latency = before

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Report:
        kernel = self.kernel
        kernel.run(seconds=3.0)                         # elect a first leader
        tasks = [kernel.spawn(self._client(c), f"client-{c}") for c in range(len(self.clients))]
        if self.with_faults:
            kernel.spawn(self._nemesis(), "nemesis")
        for task in tasks:
            kernel.run_until_complete(task, limit=100_000)
        self._done = True
        self.network.heal()
        self.network.loss = 0.0
        for server in self.servers:
            server.restart()
        kernel.run(seconds=20.0)                        # let every member catch up
        return self._report()

    def _report(self) -> Report:
        history = sorted(self.history, key=lambda o: o.index)
        verdict = check(history)
        leader = max(self.servers, key=lambda s: (s.applied_index, -s.id))
        store = leader.store
        lost = []
        for key, value, revision in self.acked:
            versions = dict((rev, kv) for rev, kv in store.history(key))
            kv = versions.get(revision)
            if kv is None or kv.value != value.encode():
                lost.append(f"{key}={value} acknowledged at revision {revision}")
        agree = all(s.store.snapshot() == store.snapshot() for s in self.servers)
        counts = {"ok": sum(1 for o in history if o.complete is not None and o.output is not False),
                  "failed": sum(1 for o in history if o.output is False),
                  "unknown": sum(1 for o in history if o.complete is None)}
        return Report(len(self.servers), self.seed, history, self.faults, verdict, lost, agree, counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m k8slite.etcd.check", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--faults", action="store_true", help="inject crashes, partitions, loss and delays")
    parser.add_argument("--unsafe-local-reads", action="store_true",
                        help="the broken variant: followers serve linearizable reads without ReadIndex")
    args = parser.parse_args(argv)
    report = Checker(args.members, args.seed, args.ops, args.faults, args.clients, args.unsafe_local_reads).run()
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
