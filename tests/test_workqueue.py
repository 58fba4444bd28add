"""client-go's workqueue: de-duplication, one worker per key, and the default controller rate limiter."""
from __future__ import annotations

from k8slite.client.workqueue import WorkQueue
from k8slite.sim import Kernel


def drain(kernel: Kernel, queue: WorkQueue, until: float) -> list[tuple[float, str]]:
    got: list[tuple[float, str]] = []

    async def worker() -> None:
        while True:
            key, _ = await queue.get()
            got.append((round(kernel.now, 6), key))
            queue.done(key)
    kernel.spawn(worker(), "worker")
    kernel.run(until=until)
    return got


def test_a_key_added_twice_before_a_worker_takes_it_is_processed_once():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    for key in ("a", "b", "a", "a"):
        queue.add(key)
    assert drain(kernel, queue, 1.0) == [(0.0, "a"), (0.0, "b")]


def test_failures_back_off_per_key_exponentially_from_5ms():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    got: list[tuple[float, str]] = []

    async def failing_worker() -> None:
        while True:
            key, _ = await queue.get()
            got.append((round(kernel.now, 6), key))
            if len(got) < 5:
                queue.add_rate_limited(key)       # the sync failed: try again later
            else:
                queue.forget(key)
            queue.done(key)
    queue.add("x")
    kernel.spawn(failing_worker(), "worker")
    kernel.run(until=1.0)
    assert got == [(0.0, "x"), (0.005, "x"), (0.015, "x"), (0.035, "x"), (0.075, "x")]
    assert queue.num_requeues("x") == 0


def test_a_key_waiting_to_be_added_waits_once_for_the_earliest_time_asked():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    queue.add_after("a", 5.0)
    queue.add_after("a", 2.0)        # sooner: the wait is brought forward
    queue.add_after("a", 3.0)        # later than the wait already set: ignored
    queue.add_after("b", 1.0)
    for _ in range(4):
        queue.add_rate_limited("c")  # 5, 10, 20, 40 ms asked: one add, at 5 ms
    assert queue.num_requeues("c") == 4
    assert drain(kernel, queue, 10.0) == [(0.005, "c"), (1.0, "b"), (2.0, "a")]


def test_a_key_already_queued_is_not_queued_again_when_its_wait_ends():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    queue.add("a")
    queue.add_after("a", 1.0)
    kernel.run(until=2.0)
    assert len(queue) == 1          # still the one queued entry
    assert drain(kernel, queue, 3.0) == [(2.0, "a")]


def test_the_shared_bucket_spaces_requeues_after_its_burst_of_100_at_10_per_second():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    for i in range(110):
        queue.add_rate_limited(f"k{i}")       # distinct keys: each one's own back-off is only 5 ms
    got = drain(kernel, queue, 5.0)
    assert len(got) == 110
    assert max(t for t, _ in got[:100]) <= 0.005 + 1e-9     # the burst goes at once
    assert [t for t, _ in got[100:]] == [round(0.1 * n, 6) for n in range(1, 11)]
