"""The garbage collector on the public Cluster surface, in virtual time: background, orphan and
foreground propagation, uid-checked owners, and a controller-manager crash in the middle."""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.client.events import EventRecorder
from k8slite.controllers.garbagecollector import GarbageCollector, ObjectReference, partition_dependents, Node, \
    references_diffs

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: %(name)s}
spec:
  replicas: 3
  selector: {matchLabels: {app: %(name)s}}
  template:
    metadata: {labels: {app: %(name)s}}
    spec: {containers: [{name: web, image: nginx}]}
"""


def start_gc(c: Cluster) -> GarbageCollector:
    """The controller manager's garbage collector (after a restart, the new process's, once it holds
    the lease again)."""
    c.run_until(lambda: "garbagecollector" in c.controller_manager.controllers, limit=60, step=0.5)
    return c.controller_manager.controllers["garbagecollector"]


def names(c, resource):
    return sorted(o["metadata"]["name"] for o in c.objects(resource, "default"))


def uids(c, resource):
    return sorted(o["metadata"]["uid"] for o in c.objects(resource, "default"))


def deploy(c, name="web"):
    c.kubectl.apply(DEPLOYMENT % {"name": name})
    c.run_until(lambda: sum(1 for p in c.objects("pods", "default") if p["metadata"]["name"].startswith(name + "-")
                            and p["status"].get("phase") == "Running") == 3, limit=60, step=0.5)


@pytest.fixture
def cluster():
    c = Cluster.up(nodes=2, seed=11)
    gc = start_gc(c)
    c.gc = gc
    deploy(c)
    return c


def test_deleting_a_deployment_in_the_background_removes_its_replicasets_and_pods(cluster):
    c = cluster
    assert len(names(c, "replicasets")) == 1 and len(names(c, "pods")) == 3
    assert str(c.kubectl("delete deployment web --wait=false")) == 'deployment.apps "web" deleted\n'
    assert names(c, "deployments") == []        # background: the owner goes at once
    c.run_until(lambda: not names(c, "replicasets") and not names(c, "pods"), limit=30, step=0.5)
    log = "\n".join(c.gc.log)
    assert 'dangling=[Deployment/web]' in log and 'propagationPolicy="Background"' in log


def test_orphan_deletion_leaves_the_replicaset_and_pods_without_the_reference(cluster):
    c = cluster
    rs_before, pods_before = uids(c, "replicasets"), uids(c, "pods")
    c.kubectl("delete deployment web --cascade=orphan --wait=false")
    c.run_until(lambda: not names(c, "deployments"), limit=30, step=0.5)
    c.run(10)
    assert uids(c, "replicasets") == rs_before and uids(c, "pods") == pods_before
    rs = c.objects("replicasets", "default")[0]
    assert rs["metadata"].get("ownerReferences") in (None, [])
    for pod in c.objects("pods", "default"):        # the pods still belong to the (now orphaned) ReplicaSet
        assert [r["uid"] for r in pod["metadata"]["ownerReferences"]] == rs_before


def test_foreground_deletion_removes_the_pods_then_the_replicaset_then_the_deployment(cluster):
    c = cluster
    c.kubectl("delete deployment web --cascade=foreground --wait=false")
    d = c.objects("deployments", "default")[0]
    assert d["metadata"]["deletionTimestamp"] and d["metadata"]["finalizers"] == ["foregroundDeletion"]
    gone: dict[str, float] = {}
    start = c.now
    while len(gone) < 3 and c.now - start < 30:
        c.run(0.001)
        for resource in ("pods", "replicasets", "deployments"):
            if resource not in gone and not names(c, resource):
                gone[resource] = c.now
    assert list(gone) == ["pods", "replicasets", "deployments"]
    assert gone["pods"] < gone["replicasets"] < gone["deployments"]


def test_an_owner_with_the_same_name_but_another_uid_counts_as_absent():
    c = Cluster.up(nodes=1, seed=5)
    start_gc(c)
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner}\n")
    old_uid = c.objects("configmaps", "default")
    old_uid = next(o for o in old_uid if o["metadata"]["name"] == "owner")["metadata"]["uid"]
    c.kubectl("delete configmap owner")
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owner}\n")
    new_uid = next(o for o in c.objects("configmaps", "default") if o["metadata"]["name"] == "owner")["metadata"]["uid"]
    assert new_uid != old_uid
    ref = "ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: %s}]"
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stale, %s}\n" % (ref % old_uid))
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: live, %s}\n" % (ref % new_uid))
    c.run(10)
    assert "stale" not in names(c, "configmaps")
    assert {"owner", "live"} <= set(names(c, "configmaps"))


def test_a_controller_manager_crash_loses_no_deletion_and_duplicates_nothing():
    c = Cluster.up(nodes=2, seed=12)
    start_gc(c)
    deploy(c, "a")
    deploy(c, "b")
    b_rs = [o["metadata"]["uid"] for o in c.objects("replicasets", "default") if o["metadata"]["name"].startswith("b-")]
    b_pods = sorted(o["metadata"]["uid"] for o in c.objects("pods", "default") if o["metadata"]["name"].startswith("b-"))
    c.crash("kube-controller-manager")
    c.kubectl("delete deployment a --wait=false")
    c.kubectl("delete deployment b --cascade=orphan --wait=false")
    c.run(20)           # nobody collects while the manager is down
    assert any(n.startswith("a-") for n in names(c, "pods"))
    assert names(c, "deployments") == ["b"]     # held by its orphan finalizer
    c.restart("kube-controller-manager")
    start_gc(c)         # a fresh collector rebuilds its graph from the API server
    c.run_until(lambda: not any(n.startswith("a-") for n in names(c, "pods") + names(c, "replicasets"))
                and not names(c, "deployments"), limit=60, step=0.5)
    c.run(10)
    assert [o["metadata"]["uid"] for o in c.objects("replicasets", "default")] == b_rs
    assert uids(c, "pods") == b_pods
    assert c.objects("replicasets", "default")[0]["metadata"].get("ownerReferences") in (None, [])


# -- the graph, without a cluster ----------------------------------------------------------------

OWNER = ObjectReference("apps/v1", "ReplicaSet", "web", "u-1", "default")


def _dep(namespace: str, **ref) -> Node:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u-1"} | ref
    return Node(ObjectReference("v1", "Pod", "p", "p-" + namespace + str(sorted(ref.items())), namespace), [owner])


@pytest.mark.parametrize("dependent, matching", [
    (_dep("default"), True),
    (_dep("other"), False),
    (_dep("default", name="api"), False),
    (_dep("default", kind="Deployment"), False),
], ids=["a reference with the owner's exact coordinates matches",
        "a dependent in another namespace cannot reference a namespaced owner",
        "the same uid under another name does not match",
        "the same uid under another kind does not match"])
def test_partition_dependents(dependent, matching):
    m, n = partition_dependents([dependent], OWNER)
    assert (m, n) == (([dependent], []) if matching else ([], [dependent]))


def test_references_diffs_reports_added_removed_and_changed_by_uid():
    a = {"uid": "a", "blockOwnerDeletion": True}
    b = {"uid": "b"}
    a2 = {"uid": "a", "blockOwnerDeletion": False}
    c = {"uid": "c"}
    assert references_diffs([a, b], [a2, c]) == ([c], [b], [(a, a2)])
