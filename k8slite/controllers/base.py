"""What every controller shares: a workqueue, workers, and the sync-retry loop.

Mirrors the pattern of every ``pkg/controller/*/..._controller.go`` in kubernetes
v1.31: event handlers enqueue keys; ``workers`` goroutines run ``processNextWorkItem``
(get a key, ``sync`` it, ``Forget`` on success or ``AddRateLimited`` on error, ``Done``).
"""
from __future__ import annotations

from ..api import errors
from ..client.workqueue import WorkQueue
from ..sim import Kernel, Timeout


class Controller:
    NAME = "controller"
    RETRY_ON: tuple = (errors.StatusError, Timeout)     # the errors a sync is retried after

    def __init__(self, kernel: Kernel, workers: int = 5):
        self.kernel = kernel
        self.workers = workers
        self.queue = WorkQueue(kernel, self.NAME)
        self.syncs = 0

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def run(self, owner: str) -> None:
        for i in range(self.workers):
            self.kernel.spawn(self._worker(), f"{self.NAME} worker {i}", cause=None, owner=owner)

    async def _worker(self) -> None:
        task = self.kernel.current
        while True:
            key, cause = await self.queue.get()
            task.cause = cause
            try:
                self.syncs += 1
                await self.sync(key)
                self.queue.forget(key)
            except self.RETRY_ON as error:
                self.handle_error(key, error)
            finally:
                self.queue.done(key)
                task.cause = None

    def handle_error(self, key: str, error: Exception) -> None:
        """A sync failed with one of ``RETRY_ON``: try the key again after its back-off."""
        self.queue.add_rate_limited(key)

    async def sync(self, key: str) -> None:
        raise NotImplementedError
