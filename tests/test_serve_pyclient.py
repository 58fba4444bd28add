"""Server mode driven by the official kubernetes Python client (strict models, real HTTP)."""
from __future__ import annotations

import time

import pytest

kubernetes = pytest.importorskip("kubernetes", reason="the official kubernetes client is in requirements.txt")
from kubernetes import client, config, watch  # noqa: E402

from k8slite.serve import Server  # noqa: E402

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    kubeconfig = str(tmp_path_factory.mktemp("pyclient") / "kubeconfig")
    with Server(nodes=2, port=0, kubeconfig=kubeconfig) as server:
        api_client = config.new_client_from_config(config_file=kubeconfig)
        yield server, client.CoreV1Api(api_client), client.AppsV1Api(api_client)


def until(predicate, wall: float = 20.0):
    deadline = time.monotonic() + wall
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_nodes_are_listed_with_their_typed_status(api):
    _, core, _ = api
    nodes = core.list_node().items
    assert [n.metadata.name for n in nodes] == ["control-plane", "node-1", "node-2"]
    ready = {c.type: c.status for c in nodes[1].status.conditions}
    assert ready["Ready"] == "True"
    assert isinstance(nodes[1].metadata.resource_version, str)


def test_pod_crud_and_delete_returns_the_pod(api):
    _, core, _ = api
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "labels": {"tier": "one"}},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    created = core.create_namespaced_pod("default", pod)
    assert created.metadata.uid and created.status.phase == "Pending"
    running = until(lambda: (p := core.read_namespaced_pod("solo", "default")).status.phase == "Running" and p)
    assert running.spec.node_name in ("node-1", "node-2")
    assert running.status.container_statuses[0].image_id
    selected = core.list_namespaced_pod("default", label_selector="tier=one").items
    assert [p.metadata.name for p in selected] == ["solo"]
    assert core.list_namespaced_pod("default", label_selector="tier=two").items == []
    deleted = core.delete_namespaced_pod("solo", "default")
    assert isinstance(deleted, client.V1Pod) and deleted.metadata.name == "solo"


def test_a_watch_streams_events_and_scale_patches_a_deployment(api):
    _, core, apps = api
    apps.create_namespaced_deployment("default", DEPLOYMENT)
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}})
    seen = set()
    stream = watch.Watch()
    for event in stream.stream(core.list_namespaced_pod, "default", label_selector="app=web", timeout_seconds=20):
        if event["object"].status.phase == "Running":
            seen.add(event["object"].metadata.name)
        if len(seen) == 3:
            stream.stop()
    assert len(seen) == 3
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.spec.replicas, scale.status.replicas) == (3, 3)
    ready = until(lambda: apps.read_namespaced_deployment("web", "default").status.ready_replicas == 3)
    assert ready
