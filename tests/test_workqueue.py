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
    for _ in range(4):
        queue.add_rate_limited("x")
    assert queue.num_requeues("x") == 4
    assert drain(kernel, queue, 1.0) == [(0.005, "x"), (0.01, "x"), (0.02, "x"), (0.04, "x")]
    queue.forget("x")
    assert queue.num_requeues("x") == 0


def test_the_shared_bucket_spaces_requeues_after_its_burst_of_100_at_10_per_second():
    kernel = Kernel(0)
    queue = WorkQueue(kernel, "test")
    for i in range(110):
        queue.add_rate_limited(f"k{i}")       # distinct keys: each one's own back-off is only 5 ms
    got = drain(kernel, queue, 5.0)
    assert len(got) == 110
    assert max(t for t, _ in got[:100]) <= 0.005 + 1e-9     # the burst goes at once
    assert [t for t, _ in got[100:]] == [round(0.1 * n, 6) for n in range(1, 11)]
