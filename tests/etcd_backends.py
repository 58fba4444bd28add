"""The etcd backends that tests/test_etcd_behaviour.py runs one suite against.

- "k8slite": one EtcdServer on a simulated Network, and an EtcdClient with its own endpoint.
- "k8slite-3": three members that elect a leader first, and a client that knows all three.
- "real": RemoteEtcdClient against a real etcd (tests/conftest.py starts one per session);
  every test writes under its own key prefix, and revisions are compared relative to
  the revision the test started at.

Each backend offers the same few verbs: ``run`` (drive a client coroutine to its
result), ``wait`` (let time pass: virtual for the simulation, wall-clock for the real
etcd), ``collect`` (a watch handler that records what it gets) and ``until`` (wait
for watch responses to arrive).
"""
from __future__ import annotations

import re
import time
from typing import Any, Callable

from k8slite.etcd.client import EtcdClient
from k8slite.etcd.gateway import RealEtcd, RemoteEtcdClient
from k8slite.etcd.server import EtcdServer, WatchResponse
from k8slite.sim import Kernel, Network, Trace

BACKENDS = ("k8slite", "k8slite-3", "real")
PEERS = {1: "etcd-1", 2: "etcd-2", 3: "etcd-3"}
ELECTION_TIME = 3.0      # virtual seconds: enough for three members to elect a leader


class Collected:
    """A watch handler that keeps every response it is given, in order."""

    def __init__(self):
        self.responses: list[WatchResponse] = []

    def __call__(self, response: WatchResponse, hop) -> None:
        self.responses.append(response)

    @property
    def events(self) -> list:
        return [e for r in self.responses for e in r.events]


class Backend:
    name: str
    kernel: Kernel
    client: Any

    def __init__(self, prefix: str):
        self.prefix = prefix

    def key(self, name: str = "") -> str:
        """A key under this test's own prefix."""
        return self.prefix + name

    def run(self, coro) -> Any:
        return self.kernel.run_until_complete(coro)

    def revision(self) -> int:
        """The store's revision now (the header of a read)."""
        return self.run(self.client.range(self.key("~"))).revision

    def collect(self) -> Collected:
        return Collected()

    def wait(self, seconds: float) -> None:
        raise NotImplementedError

    def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        raise NotImplementedError

    def restart_servers(self) -> None:
        """Every member stops and starts again with its data (and, for the simulation, elects a leader)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class SimBackend(Backend):
    def __init__(self, name: str, prefix: str):
        super().__init__(prefix)
        self.name = name
        self.kernel = kernel = Kernel(seed=7)
        network = Network(kernel, Trace())
        if name == "k8slite":
            self.servers = [EtcdServer(kernel, network)]
            self.client = EtcdClient(kernel, network, "etcdctl", "etcd", host="client")
        else:
            self.servers = [EtcdServer(kernel, network, name=f"etcd-{i}", host=f"etcd-{i}", member_id=i, peers=PEERS)
                            for i in PEERS]
            self.client = EtcdClient(kernel, network, "etcdctl", list(PEERS.values()), host="client")
            kernel.run(seconds=ELECTION_TIME)
            assert any(s.is_leader for s in self.servers), "no leader elected"

    def wait(self, seconds: float) -> None:
        self.kernel.run(seconds=seconds)

    def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = self.kernel.now + timeout
        while not predicate():
            if self.kernel.now >= deadline:
                return False
            self.kernel.run(seconds=0.01)
        return True

    def restart_servers(self) -> None:
        for server in self.servers:
            server.crash()
        self.kernel.run(seconds=0.5)
        for server in self.servers:
            server.restart()
        self.kernel.run(seconds=ELECTION_TIME)

    def close(self) -> None:
        self.kernel.run(seconds=0)               # lets tasks spawned last start (no never-awaited coroutines)


class RealBackend(Backend):
    name = "real"

    def __init__(self, etcd: RealEtcd, prefix: str):
        super().__init__(prefix)
        self.etcd = etcd
        self.kernel = Kernel(seed=7)
        self.client = RemoteEtcdClient(self.kernel, etcd.url)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)
        self.kernel.run(seconds=0)

    def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.kernel.run(seconds=0)             # hands the watch threads' responses to their handlers
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)

    def restart_servers(self) -> None:
        self.etcd.restart()

    def close(self) -> None:
        self.client.close()


def open_backend(name: str, test_name: str, real_etcd: Callable[[], RealEtcd]) -> Backend:
    """A fresh backend for one test; ``real_etcd()`` starts (or reuses) the real etcd."""
    prefix = "/" + re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name) + "/"
    if name == "real":
        return RealBackend(real_etcd(), prefix)
    return SimBackend(name, prefix)
