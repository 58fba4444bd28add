"""The namespace controller on the public Cluster surface, in virtual time: a deleted namespace is
emptied, its conditions say why it waits, and it is finalized; a crash in the middle loses nothing."""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.api.scheme import SCHEME
from k8slite.client.rest import MERGE_PATCH
from k8slite.client.events import EventRecorder
from k8slite.controllers.garbagecollector import GarbageCollector
from k8slite.controllers.namespace import NamespaceController, update_conditions

CONTENT = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {colour: blue}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
RESOURCES = ("deployments", "replicasets", "pods", "configmaps", "services", "secrets")


def start_controllers(c: Cluster) -> tuple[NamespaceController, GarbageCollector]:
    """The controller manager's namespace controller and garbage collector (after a restart, the new
    ones, once the restarted process holds the lease again)."""
    c.run_until(lambda: "namespace" in c.controller_manager.controllers, limit=60, step=0.5)
    controllers = c.controller_manager.controllers
    return controllers["namespace"], controllers["garbagecollector"]


def namespace(c, name="shop"):
    return next((n for n in c.objects("namespaces") if n["metadata"]["name"] == name), None)


def content(c, name="shop"):
    return {r: len(c.objects(r, name)) for r in RESOURCES if c.objects(r, name)}


def conditions(ns):
    return {x["type"]: (x["status"], x["reason"], x["message"]) for x in ns["status"].get("conditions") or []}


@pytest.fixture
def cluster():
    c = Cluster.up(nodes=2, seed=21)
    c.ns_controller, c.gc = start_controllers(c)
    c.kubectl.apply(CONTENT)
    c.run_until(lambda: sum(p["status"].get("phase") == "Running" for p in c.objects("pods", "shop")) == 2,
                limit=60, step=0.5)
    return c


def test_deleting_a_namespace_empties_it_and_finalizes_it(cluster):
    c = cluster
    assert content(c)["pods"] == 2
    c.kubectl("delete namespace shop --wait=false")
    assert namespace(c)["status"]["phase"] == "Terminating"
    assert namespace(c)["spec"]["finalizers"] == ["kubernetes"]
    c.run(4.9)      # namespaceDeletionGracePeriod: nothing is touched for 5 s
    assert content(c)["configmaps"] >= 1 and content(c)["pods"] == 2
    c.run_until(lambda: namespace(c) is None or not namespace(c)["spec"].get("finalizers"), limit=60, step=0.5)
    assert content(c) == {}
    ns = namespace(c)
    if ns is not None:      # until the API server deletes a finalized namespace (see the next test)
        assert conditions(ns) == {
            "NamespaceDeletionDiscoveryFailure": ("False", "ResourcesDiscovered", "All resources successfully discovered"),
            "NamespaceDeletionGroupVersionParsingFailure": ("False", "ParsedGroupVersions",
                                                            "All legacy kube types successfully parsed"),
            "NamespaceDeletionContentFailure": ("False", "ContentDeleted",
                                                "All content successfully deleted, may be waiting on finalization"),
            "NamespaceContentRemaining": ("False", "ContentRemoved", "All content successfully removed"),
            "NamespaceFinalizersRemaining": ("False", "ContentHasNoFinalizers",
                                             "All content-preserving finalizers finished"),
        }
    assert any('"Content remaining in namespace" namespace="shop"' in line for line in c.ns_controller.log)


def test_the_api_server_deletes_the_namespace_once_it_is_finalized(cluster):
    c = cluster
    c.kubectl("delete namespace shop --wait=false")
    c.run_until(lambda: namespace(c) is None, limit=60, step=0.5)


def test_content_held_by_a_finalizer_keeps_the_namespace_and_says_why(cluster):
    c = cluster
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\n"
                    "metadata: {name: held, namespace: shop, finalizers: [example.com/hold]}\n")
    c.kubectl("delete namespace shop --wait=false")
    c.run(60)
    ns = namespace(c)
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert content(c) == {"configmaps": 1}
    got = conditions(ns)
    assert got["NamespaceContentRemaining"] == ("True", "SomeResourcesRemain",
                                                "Some resources are remaining: configmaps. has 1 resource instances")
    assert got["NamespaceFinalizersRemaining"] == (
        "True", "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
    c.kernel.run_until_complete(c.admin.patch(SCHEME.by_resource("", "configmaps"), "shop", "held",
                                              {"metadata": {"finalizers": None}}, MERGE_PATCH))
    c.run_until(lambda: namespace(c) is None or not namespace(c)["spec"].get("finalizers"), limit=60, step=0.5)
    assert content(c) == {}


def test_a_controller_manager_crash_during_deletion_loses_nothing():
    c = Cluster.up(nodes=2, seed=22)
    start_controllers(c)
    c.kubectl.apply(CONTENT)
    c.run(10)
    c.crash("kube-controller-manager")
    c.kubectl("delete namespace shop --wait=false")
    c.run(30)
    assert content(c).get("configmaps") == 1 and namespace(c)["spec"]["finalizers"] == ["kubernetes"]
    c.restart("kube-controller-manager")
    start_controllers(c)
    c.run_until(lambda: namespace(c) is None or not namespace(c)["spec"].get("finalizers"), limit=60, step=0.5)
    assert content(c) == {}


@pytest.mark.parametrize("old_status, failing, moved", [
    ("False", False, False),
    ("False", True, True),
    ("True", False, True),
], ids=["an ok condition that stays ok keeps its lastTransitionTime",
        "an ok condition that starts failing moves its lastTransitionTime",
        "a failing condition that recovers moves its lastTransitionTime"])
def test_update_conditions_moves_the_transition_time_only_when_the_status_flips(old_status, failing, moved):
    reasons = {"False": ("ContentRemoved", "All content successfully removed"),
               "True": ("SomeResourcesRemain", "Some resources are remaining: pods. has 1 resource instances")}
    status = {"conditions": []}
    update_conditions(status, [], "T0")
    old = next(x for x in status["conditions"] if x["type"] == "NamespaceContentRemaining")
    old.update(status=old_status, reason=reasons[old_status][0], message=reasons[old_status][1])
    new = [{"type": "NamespaceContentRemaining", "status": "True", "lastTransitionTime": "T1",
            "reason": reasons["True"][0], "message": reasons["True"][1]}] if failing else []
    update_conditions(status, new, "T1")
    got = next(x for x in status["conditions"] if x["type"] == "NamespaceContentRemaining")
    assert got["lastTransitionTime"] == ("T1" if moved else "T0")
    assert len(status["conditions"]) == 5
