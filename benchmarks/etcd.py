"""How fast is k8slite's etcd: the store's puts with watchers, a big range, Raft commits.

Run on demand (not a test): ``python benchmarks/etcd.py``. It prints a table, then
``puts_per_second_1000_watchers: X`` and ``raft_commits_per_second: Y``.

- puts: single-key puts straight into the MVCC store (keys like an API server's
  pods, 100-byte values, one watcher on their prefix as the API server's watch
  cache has), with 0, 100 and 1,000 more watchers on other keys and prefixes. A
  store that scans its watchers slows down as they grow; this one should not.
- range: a prefix range over 150,000 keys, whole and paged (limit 500).
- raft: a 3-member cluster on the simulated network, clients writing through the
  network; committed writes per wall second.

Python's cyclic garbage collector is tuned as a Go program's GOGC would be: a young
generation of 100,000 allocations instead of 700, so that full collections over the
growing store do not dominate (the table says so; ``--default-gc`` turns it off).
"""
from __future__ import annotations

import argparse
import gc
import time

from k8slite.etcd.client import EtcdClient
from k8slite.etcd.mvcc import MVCCStore, prefix_end
from k8slite.etcd.server import EtcdServer
from k8slite.sim import Kernel, Network, Trace

VALUE = b"x" * 100
PREFIX = "/registry/pods/default/"


def puts_per_second(watchers: int, puts: int) -> float:
    store = MVCCStore()
    seen = [0]

    def count(events) -> None:
        seen[0] += len(events)
    store.watch(PREFIX, prefix_end(PREFIX), 0, count)
    for i in range(watchers):
        if i % 2:
            store.watch(f"/registry/configmaps/ns-{i}/cm", "", 0, count)
        else:
            prefix = f"/registry/secrets/ns-{i}/"
            store.watch(prefix, prefix_end(prefix), 0, count)
    keys = [f"{PREFIX}pod-{i % 20000}" for i in range(puts)]
    start = time.perf_counter()
    for key in keys:
        store.put(key, VALUE)
    elapsed = time.perf_counter() - start
    assert seen[0] == puts
    return puts / elapsed


def range_seconds(keys: int) -> tuple[float, float]:
    store = MVCCStore()
    for i in range(keys):
        store.put(f"{PREFIX}pod-{i:06d}", VALUE)
    start = time.perf_counter()
    result = store.range(PREFIX, prefix_end(PREFIX))
    whole = time.perf_counter() - start
    assert result.count == keys
    start = time.perf_counter()
    key, pages = PREFIX, 0
    while True:
        page = store.range(key, prefix_end(PREFIX), limit=500)
        pages += 1
        if not page.more:
            break
        key = page.kvs[-1].key + "\0"
    paged = time.perf_counter() - start
    return whole, paged


def raft_commits_per_second(writes: int, clients: int) -> float:
    kernel = Kernel(1)
    network = Network(kernel, Trace(enabled=False))
    peers = {i: f"etcd-{i}" for i in (1, 2, 3)}
    for i, name in peers.items():
        EtcdServer(kernel, network, name, name, i, peers)
    kernel.run(seconds=3.0)
    names = list(peers.values())
    each = writes // clients

    async def writer(c: int) -> None:
        client = EtcdClient(kernel, network, f"client-{c}", names[c % 3:] + names[:c % 3], host=f"client-{c}")
        for n in range(each):
            await client.put(f"{PREFIX}pod-{c}-{n % 100}", VALUE)
    start = time.perf_counter()
    tasks = [kernel.spawn(writer(c), f"writer-{c}") for c in range(clients)]
    for task in tasks:
        kernel.run_until_complete(task)
    return each * clients / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--puts", type=int, default=200_000)
    parser.add_argument("--keys", type=int, default=150_000)
    parser.add_argument("--writes", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--default-gc", action="store_true", help="keep Python's default GC thresholds")
    args = parser.parse_args()
    if not args.default_gc:
        gc.set_threshold(100_000, 50, 100)
    rows = [(f"puts/s, {w} watchers", puts_per_second(w, args.puts)) for w in (0, 100, 1000)]
    whole, paged = range_seconds(args.keys)
    rows.append((f"range {args.keys} keys, ms", whole * 1000))
    rows.append((f"range {args.keys} keys in pages of 500, ms", paged * 1000))
    raft = raft_commits_per_second(args.writes, args.clients)
    rows.append((f"raft commits/s, 3 members, {args.clients} clients", raft))
    width = max(len(name) for name, _ in rows)
    print(f"gc thresholds: {gc.get_threshold()}")
    print(f"{'measure':<{width}}  {'value':>12}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12,.0f}")
    print(f"puts_per_second_1000_watchers: {rows[2][1]:.0f}")
    print(f"raft_commits_per_second: {raft:.0f}")


if __name__ == "__main__":
    main()
