"""An informer's resync hands every cached object to its handlers again, without asking the API server."""
from __future__ import annotations

from k8slite import Cluster
from k8slite.api.scheme import SCHEME
from k8slite.client.informer import SharedInformerFactory


def test_resync_replays_the_cache_as_updates_of_themselves_and_costs_no_request():
    cluster = Cluster.up(nodes=2, seed=5)
    factory = SharedInformerFactory(cluster.kernel, cluster.admin, "watcher", default_resync=30.0)
    nodes = factory.informer(SCHEME.by_resource("", "nodes"))
    seen: list[tuple[float, str, bool]] = []
    nodes.add_event_handler(on_update=lambda old, new: seen.append((cluster.now, new["metadata"]["name"], old is new)))
    factory.start()
    cluster.run_until(factory.has_synced)
    start = cluster.now
    cluster.run(31)
    resynced = [(name, same) for t, name, same in seen if same]
    assert sorted(resynced) == [("control-plane", True), ("node-1", True), ("node-2", True)]
    assert all(t >= start + 29 for t, _, same in seen if same)
    own = [h for h in cluster.trace.hops if h.src == "kubectl" and h.sent > start]
    assert own == []                      # the resync asked the API server nothing
