"""The API server storing in a real etcd through the adapter: objects land under /registry."""
from __future__ import annotations

import json
import time

from k8slite.api.scheme import SCHEME
from k8slite.apiserver.server import APIServer
from k8slite.client.rest import Client
from k8slite.etcd.gateway import RemoteEtcdClient
from k8slite.sim import Kernel, Network, Trace


def settle(kernel: Kernel, done, wall: float = 10.0) -> None:
    """Run the kernel, letting the real etcd's watch events (from threads) come in, until ``done()``."""
    deadline = time.monotonic() + wall
    while not done():
        assert time.monotonic() < deadline, "the real etcd's events did not arrive"
        kernel.run(seconds=0.05)
        time.sleep(0.01)


def test_the_api_server_stores_objects_in_a_real_etcd(real_etcd):
    kernel = Kernel(1)
    network = Network(kernel, Trace())
    etcd = RemoteEtcdClient(kernel, real_etcd.url)
    apiserver = APIServer(kernel, network, etcd=etcd)
    apiserver.start()
    settle(kernel, lambda: apiserver.ready and apiserver.cached("namespaces", "", "default") is not None)
    client = Client(kernel, network, "kubectl", "admin", ("system:masters",), server=apiserver.name)
    network.listen("kubectl", "admin", client.on_message)
    configmaps = SCHEME.by_resource("", "configmaps")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "real", "namespace": "default"},
          "data": {"where": "a real etcd"}}
    created = kernel.run_until_complete(client.create(configmaps, "default", cm))

    stored = kernel.run_until_complete(etcd.range("/registry/configmaps/default/real"))
    assert stored.count == 1
    assert json.loads(stored.kvs[0].value)["data"] == {"where": "a real etcd"}
    assert created["metadata"]["resourceVersion"] == str(stored.kvs[0].mod_revision)

    settle(kernel, lambda: apiserver.cached("configmaps", "default", "real") is not None)
    got = kernel.run_until_complete(client.get(configmaps, "default", "real"))
    assert got["data"] == {"where": "a real etcd"}
    listed = kernel.run_until_complete(client.list(configmaps, "default"))
    assert [item["metadata"]["name"] for item in listed["items"]] == ["real"]
