"""Kernel speed: k8slite's virtual-time kernel against SimPy on the same workload.

Not a test. Run it as ``.venv/bin/python benchmarks/kernel.py [--profile]``.

The workload, written twice with the same semantics (k8slite ``async def`` tasks,
SimPy generator processes):

- ``PRODUCERS`` processes loop: sleep an exponential time (mean 1 s) drawn from their
  own seeded ``random.Random``, then put an item into one shared unbounded FIFO
  (``kernel.queue()`` / ``simpy.Store()``) without waiting;
- ``CONSUMERS`` processes loop: get an item from that FIFO;
- a ping-pong pair hands a one-shot future / event back and forth, each side
  sleeping a short exponential time before handing over;

run to the virtual time ``UNTIL``. Every process counts its own resumptions (one per
sleep that ended, per item got, per ball received), so both sides count the same
work; the run checks that the counts agree before it prints a ratio. Each producer
has its own generator (seeded from the master seed and its index), so the draws do
not depend on the order in which simultaneous processes happen to run.

Wall-clock time is measured with ``time.perf_counter`` around building and running
the world; the best of ``REPEATS`` runs is reported. The last line is
``ratio_vs_simpy: X`` with X = k8slite events/s divided by SimPy events/s.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simpy  # noqa: E402

from k8slite.sim.kernel import Kernel  # noqa: E402

SEED = 42
PRODUCERS = 1_000
CONSUMERS = 10
UNTIL = 100.0          # virtual seconds; nothing is scheduled at exactly this time
PING_MEAN = 0.001      # mean hand-over delay of the ping-pong pair
REPEATS = 3


class Counts:
    """What the workload code itself counted."""

    __slots__ = ("produced", "consumed", "pings")

    def __init__(self):
        self.produced = self.consumed = self.pings = 0

    @property
    def events(self) -> int:
        return self.produced + self.consumed + self.pings

    def as_tuple(self) -> tuple:
        return (self.produced, self.consumed, self.pings)


def producer_rngs() -> list[random.Random]:
    return [random.Random(SEED * 1_000_003 + i) for i in range(PRODUCERS)]


# -- k8slite --------------------------------------------------------------------
def run_k8slite() -> Counts:
    kernel = Kernel(seed=SEED)
    counts = Counts()
    queue = kernel.queue()
    sleep = kernel.sleep

    async def producer(rng: random.Random):
        expo = rng.expovariate
        put = queue.put
        n = 0
        while True:
            await sleep(expo(1.0))
            counts.produced += 1
            n += 1
            put(n)

    async def consumer():
        get = queue.get
        while True:
            await get()
            counts.consumed += 1

    slots = {"ping": kernel.future(), "pong": kernel.future()}

    async def player(me: str, other: str, rng: random.Random):
        expo = rng.expovariate
        while True:
            await slots[me]
            counts.pings += 1
            slots[me] = kernel.future()
            await sleep(expo(1 / PING_MEAN))
            slots[other].set_result(None)

    for i, rng in enumerate(producer_rngs()):
        kernel.spawn(producer(rng), f"producer-{i}")
    for i in range(CONSUMERS):
        kernel.spawn(consumer(), f"consumer-{i}")
    kernel.spawn(player("ping", "pong", random.Random(SEED + 1)), "ping")
    kernel.spawn(player("pong", "ping", random.Random(SEED + 2)), "pong")
    slots["ping"].set_result(None)
    kernel.run(until=UNTIL)
    return counts


# -- SimPy ----------------------------------------------------------------------
def run_simpy() -> Counts:
    env = simpy.Environment()
    counts = Counts()
    store = simpy.Store(env)
    timeout = env.timeout

    def producer(rng: random.Random):
        expo = rng.expovariate
        put = store.put
        n = 0
        while True:
            yield timeout(expo(1.0))
            counts.produced += 1
            n += 1
            put(n)

    def consumer():
        get = store.get
        while True:
            yield get()
            counts.consumed += 1

    slots = {"ping": env.event(), "pong": env.event()}

    def player(me: str, other: str, rng: random.Random):
        expo = rng.expovariate
        while True:
            yield slots[me]
            counts.pings += 1
            slots[me] = env.event()
            yield timeout(expo(1 / PING_MEAN))
            slots[other].succeed()

    for rng in producer_rngs():
        env.process(producer(rng))
    for _ in range(CONSUMERS):
        env.process(consumer())
    env.process(player("ping", "pong", random.Random(SEED + 1)))
    env.process(player("pong", "ping", random.Random(SEED + 2)))
    slots["ping"].succeed()
    env.run(until=UNTIL)
    return counts


# -- measuring ------------------------------------------------------------------
def best_of(run) -> tuple[Counts, float]:
    best, counts = float("inf"), None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
        if counts is not None and result.as_tuple() != counts.as_tuple():
            raise SystemExit(f"{run.__name__} is not deterministic: {result.as_tuple()} != {counts.as_tuple()}")
        counts, best = result, min(best, elapsed)
    return counts, best


def profile() -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run_k8slite)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    if "--profile" in sys.argv:
        profile()
        return
    ours, ours_s = best_of(run_k8slite)
    theirs, theirs_s = best_of(run_simpy)
    if ours.as_tuple() != theirs.as_tuple():
        raise SystemExit(f"the two sides did different work: (produced, consumed, pings) "
                         f"k8slite {ours.as_tuple()} != simpy {theirs.as_tuple()}")
    if ours.consumed != ours.produced:
        raise SystemExit(f"items left unconsumed: produced {ours.produced}, consumed {ours.consumed}")
    print(f"workload: {PRODUCERS} producers, {CONSUMERS} consumers, 1 ping-pong pair, "
          f"{UNTIL:g} virtual s; best of {REPEATS}")
    print(f"counts (produced, consumed, pings), equal on both sides: {ours.as_tuple()}")
    print(f"{'implementation':<16}{'events':>10}{'seconds':>10}{'events/s':>12}")
    rates = {}
    for name, counts, seconds in (("k8slite", ours, ours_s), (f"simpy {simpy.__version__}", theirs, theirs_s)):
        rates[name] = counts.events / seconds
        print(f"{name:<16}{counts.events:>10}{seconds:>10.3f}{rates[name]:>12,.0f}")
    ratio = (ours.events / ours_s) / (theirs.events / theirs_s)
    print(f"ratio_vs_simpy: {ratio:.2f}")


if __name__ == "__main__":
    main()
