"""The DaemonSet controller: its pure helpers (daemonset_util.go, NodeShouldRunDaemonPod), syncNodes
and rollingUpdate against a fake client that records what they send, then DaemonSets on the
public Cluster surface in virtual time: placement, taints, node selectors, rolling updates and a
controller-manager crash in the middle of one."""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.api import errors
from k8slite.api.meta import controller_of
from k8slite.client.events import EventRecorder
from k8slite.client.informer import SharedInformerFactory
from k8slite.controllers.daemonset import (Backoff, DaemonSetsController, add_or_update_daemon_pod_tolerations,
                                           create_pod_template, get_target_node_name, is_pod_updated,
                                           node_should_run_daemon_pod, replace_daemon_set_pod_node_name_node_affinity,
                                           surge_count, unavailable_count)
from k8slite.sim import Kernel

CP_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def ds_obj(template_spec=None, labels=None, strategy=None, name="agent"):
    spec = {"containers": [{"name": "a", "image": "nginx"}]}
    spec.update(template_spec or {})
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "kube-system", "uid": "ds-uid", "generation": 1},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": labels or {"app": name}}, "spec": spec},
                     "updateStrategy": strategy or {"type": "RollingUpdate",
                                                    "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                     "revisionHistoryLimit": 10}}


def node_obj(name, labels=None, taints=None):
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


# -- NodeShouldRunDaemonPod ------------------------------------------------------------------------

@pytest.mark.parametrize("ds, node, want", [
    (ds_obj(), node_obj("n1"), (True, True)),
    (ds_obj(), node_obj("n1", taints=[CP_TAINT]), (False, True)),
    (ds_obj({"tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                              "effect": "NoSchedule"}]}), node_obj("n1", taints=[CP_TAINT]), (True, True)),
    (ds_obj(), node_obj("n1", taints=[{"key": "dedicated", "value": "db", "effect": "NoExecute"}]), (False, False)),
    (ds_obj({"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db"}]}),
     node_obj("n1", taints=[{"key": "dedicated", "value": "db", "effect": "NoExecute"}]), (True, True)),
    (ds_obj(), node_obj("n1", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]), (True, True)),
    (ds_obj(), node_obj("n1", taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
     (True, True)),
    (ds_obj(), node_obj("n1", taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]),
     (False, True)),
    (ds_obj({"hostNetwork": True}),
     node_obj("n1", taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]), (True, True)),
    (ds_obj(), node_obj("n1", taints=[{"key": "spot", "effect": "PreferNoSchedule"}]), (True, True)),
    (ds_obj({"nodeSelector": {"disk": "ssd"}}), node_obj("n1", {"disk": "ssd"}), (True, True)),
    (ds_obj({"nodeSelector": {"disk": "ssd"}}), node_obj("n1", {"disk": "hdd"}), (False, False)),
    (ds_obj({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}]}}}}),
     node_obj("n1", {"zone": "a"}), (False, False)),
    (ds_obj({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}}),
     node_obj("n1"), (False, False)),
    (ds_obj({"nodeName": "n2"}), node_obj("n1"), (False, False)),
    (ds_obj({"nodeName": "n1"}), node_obj("n1"), (True, True)),
], ids=["a plain node runs the daemon pod",
        "an untolerated NoSchedule taint keeps a new pod off but lets a running one stay",
        "a tolerated control-plane taint lets the pod on",
        "an untolerated NoExecute taint neither starts nor keeps a pod",
        "a toleration without effect tolerates the NoExecute taint",
        "daemon pods tolerate not-ready NoExecute without being told",
        "daemon pods tolerate a cordoned node's unschedulable taint",
        "network-unavailable is tolerated only by hostNetwork pods (not this one)",
        "network-unavailable is tolerated by a hostNetwork pod",
        "PreferNoSchedule taints do not count",
        "a nodeSelector that matches",
        "a nodeSelector that does not match",
        "required node affinity that excludes the node",
        "required matchFields naming another node",
        "a template nodeName naming another node",
        "a template nodeName naming this node"])
def test_node_should_run_daemon_pod(ds, node, want):
    assert node_should_run_daemon_pod(node, ds) == want


# -- daemonset_util.go ---------------------------------------------------------------------------

def test_default_tolerations_replace_a_matching_one_and_keep_the_rest():
    spec = {"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300},
                            {"key": "gpu", "operator": "Exists"}]}
    add_or_update_daemon_pod_tolerations(spec)
    assert spec["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "gpu", "operator": "Exists"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
    add_or_update_daemon_pod_tolerations(spec)
    assert len(spec["tolerations"]) == 7          # idempotent


def test_create_pod_template_labels_and_leaves_the_daemonset_alone():
    ds = ds_obj()
    template = create_pod_template(ds["spec"]["template"], 3, "abc123")
    assert template["metadata"]["labels"] == {"app": "agent", "pod-template-generation": "3",
                                              "controller-revision-hash": "abc123"}
    assert ds["spec"]["template"]["metadata"]["labels"] == {"app": "agent"}
    assert "tolerations" not in ds["spec"]["template"]["spec"]


@pytest.mark.parametrize("affinity, want", [
    (None, {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}),
    ({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {
            "matchExpressions": [{"key": "zone", "operator": "Exists"}]}}]},
      "podAntiAffinity": {"x": 1}},
     {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
         {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]},
         "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {
             "matchExpressions": [{"key": "zone", "operator": "Exists"}]}}]},
      "podAntiAffinity": {"x": 1}}),
], ids=["no affinity gets a required matchFields term", "required terms are replaced, the rest kept"])
def test_replace_node_affinity(affinity, want):
    assert replace_daemon_set_pod_node_name_node_affinity(affinity, "n1") == want


def test_target_node_name_is_the_binding_or_the_pinned_name():
    pinned = {"spec": {"affinity": replace_daemon_set_pod_node_name_node_affinity(None, "n3")}}
    assert get_target_node_name(pinned) == "n3"
    assert get_target_node_name({"spec": {"nodeName": "n2", **pinned["spec"]}}) == "n2"
    assert get_target_node_name({"spec": {}}) is None
    two = {"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}]}}}}}
    assert get_target_node_name(two) is None


@pytest.mark.parametrize("labels, hash_, generation, want", [
    ({"controller-revision-hash": "h2"}, "h2", None, True),
    ({"controller-revision-hash": "h1"}, "h2", None, False),
    ({"pod-template-generation": "2"}, "h2", 2, True),
    ({"pod-template-generation": "1", "controller-revision-hash": "h1"}, "h2", 2, False),
], ids=["the current hash", "an old hash", "the current template generation (older pods)", "old in both"])
def test_is_pod_updated(labels, hash_, generation, want):
    assert is_pod_updated({"metadata": {"labels": labels}}, hash_, generation) is want


@pytest.mark.parametrize("rolling, desired, want", [
    ({"maxUnavailable": 1}, 10, (1, 0)),
    ({"maxUnavailable": "25%"}, 10, (3, 0)),            # both round up for DaemonSets
    ({"maxUnavailable": 0, "maxSurge": "10%"}, 15, (0, 2)),
    ({"maxUnavailable": "0%", "maxSurge": 1}, 4, (0, 1)),
], ids=["an absolute maxUnavailable", "a percentage rounds up", "a surge percentage rounds up", "absolute surge"])
def test_counts(rolling, desired, want):
    ds = ds_obj(strategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    assert (unavailable_count(ds, desired), surge_count(ds, desired)) == want
    on_delete = ds_obj(strategy={"type": "OnDelete"})
    assert (unavailable_count(on_delete, desired), surge_count(on_delete, desired)) == (0, 0)


def test_failed_pod_backoff_doubles_to_its_cap_and_forgets_after_twice_the_cap():
    b = Backoff(1.0, 4.0)
    assert not b.in_backoff_since_update("k", 0.0)
    delays = []
    for t in (0.0, 1.0, 3.0, 7.0, 11.0):
        b.next("k", t)
        delays.append(b.get("k"))
    assert delays == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert b.in_backoff_since_update("k", 14.9) and not b.in_backoff_since_update("k", 15.0)
    b.next("k", 20.0)
    assert b.get("k") == 1.0                     # idle for more than 2 x 4 s: start over


# -- syncNodes and rollingUpdate against a fake --------------------------------------------------

class FakeClient:
    """Records every write; each takes one virtual second; the listed create calls fail."""

    def __init__(self, kernel: Kernel, fail_creates=()):
        self.kernel, self.fail_creates = kernel, set(fail_creates)
        self.writes: list[tuple] = []
        self.creates = 0

    async def create(self, info, namespace, obj, *rest):
        if info.resource == "events":
            self.writes.append((self.kernel.now, "event", obj["reason"], obj["message"]))
            return obj
        if info.resource != "pods":
            self.writes.append((self.kernel.now, "create", info.resource, obj["metadata"]["name"]))
            return obj
        n = self.creates
        self.creates += 1
        self.writes.append((self.kernel.now, "create", info.resource, obj["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]))
        await self.kernel.sleep(1.0)
        if n in self.fail_creates:
            raise errors.forbidden("pods", "", "exceeded quota: pods")
        return dict(obj, metadata=dict(obj["metadata"], name=f"agent-{n}", uid=f"uid-{n}", resourceVersion="1"))

    async def delete(self, info, namespace, name, *rest, **kw):
        self.writes.append((self.kernel.now, "delete", info.resource, name))
        await self.kernel.sleep(1.0)

    async def update_status(self, info, obj):
        self.writes.append((self.kernel.now, "status", info.resource, obj["status"]))
        return obj


def controller(fail_creates=()):
    kernel = Kernel(seed=1)
    client = FakeClient(kernel, fail_creates)
    factory = SharedInformerFactory(kernel, client, "test")
    recorder = EventRecorder(kernel, client, "daemonset-controller")
    return kernel, client, DaemonSetsController(kernel, client, factory, recorder)


def test_sync_nodes_creates_in_slow_start_batches_of_one_two_four():
    kernel, client, dsc = controller()
    nodes = [f"n{i}" for i in range(1, 8)]
    kernel.run_until_complete(dsc.sync_nodes(ds_obj(), [], nodes, "h1"))
    starts = [(t, node) for t, kind, *rest in client.writes if kind == "create" for node in rest[1:]]
    assert starts == [(0.0, "n1"), (1.0, "n2"), (1.0, "n3"), (2.0, "n4"), (2.0, "n5"), (2.0, "n6"), (2.0, "n7")]
    kernel.run(seconds=1)
    events = [w[2:] for w in client.writes if w[1] == "event"]
    assert events == [("SuccessfulCreate", f"Created pod: agent-{i}") for i in range(7)]
    assert not dsc.expectations.satisfied("kube-system/agent")       # 7 creations not yet observed


def test_a_failed_batch_skips_the_rest_and_lowers_expectations():
    kernel, client, dsc = controller(fail_creates={2})
    with pytest.raises(errors.StatusError):
        kernel.run_until_complete(dsc.sync_nodes(ds_obj(), [], [f"n{i}" for i in range(1, 8)], "h1"))
    assert [w[3] for w in client.writes if w[1] == "create"] == ["n1", "n2", "n3"]
    kernel.run(seconds=1)
    assert ("event", "FailedCreate", "Error creating: pods is forbidden: exceeded quota: pods") in \
        [w[1:] for w in client.writes]
    # Expected 7; 4 skipped and 1 failed are taken back; the 2 created remain to be observed.
    for _ in range(2):
        assert not dsc.expectations.satisfied("kube-system/agent")
        dsc.expectations.observe("kube-system/agent", add=1)
    assert dsc.expectations.satisfied("kube-system/agent")


def test_expectations_keep_a_second_sync_from_creating_what_the_informer_has_not_shown_yet():
    kernel, client, dsc = controller()
    ds = ds_obj()
    dsc.ds_informer.indexer.put(ds)
    for n in ("n1", "n2", "n3"):
        dsc.node_informer.indexer.put(node_obj(n))
    kernel.run_until_complete(dsc.sync("kube-system/agent"))
    pod_creates = lambda: [w[3] for w in client.writes if w[1:3] == ("create", "pods")]  # noqa: E731
    assert pod_creates() == ["n1", "n2", "n3"]
    assert len([w for w in client.writes if w[1:3] == ("create", "controllerrevisions")]) == 1
    kernel.run_until_complete(dsc.sync("kube-system/agent"))      # the pod informer still shows none
    assert pod_creates() == ["n1", "n2", "n3"]
    statuses = [w[3] for w in client.writes if w[1] == "status"]
    assert "observedGeneration" not in statuses[-1]                # expectations pending: counts only
    assert statuses[-1]["desiredNumberScheduled"] == 3 and statuses[-1]["currentNumberScheduled"] == 0


def test_pods_should_be_on_node():
    kernel, client, dsc = controller()
    ds, surge = ds_obj(), ds_obj(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0,
                                                                                     "maxSurge": 1}})
    failed = _pod("f", "n1", "new")
    failed["status"]["phase"] = "Failed"
    done = _pod("s", "n1", "new")
    done["status"]["phase"] = "Succeeded"
    older, newer = _pod("a", "n1", "new"), _pod("b", "n1", "new")
    newer["metadata"]["creationTimestamp"] = "2024-01-01T00:00:05Z"
    n1, tainted = node_obj("n1"), node_obj("n1", taints=[{"key": "k", "effect": "NoExecute"}])
    cases = [
        (ds, n1, [], (["n1"], [])),
        (ds, n1, [_pod("a", "n1", "old", terminating=True)], ([], [])),
        (ds, n1, [newer, older], ([], ["b"])),
        (ds, n1, [failed], ([], ["f"])),
        (ds, n1, [failed], ([], [])),                               # the failed pod's back-off holds it
        (ds, n1, [done], ([], ["s"])),
        (ds, tainted, [older], ([], ["a"])),
        (surge, n1, [_pod("a", "n1", "old"), _pod("b", "n1", "new", ready=False)], ([], [])),
        (surge, n1, [_pod("a", "n1", "old"), _pod("b", "n1", "new")], ([], ["a"])),
        (surge, n1, [_pod("a", "n1", "old", ready=False), _pod("b", "n1", "new", ready=False)], ([], ["a"])),
    ]
    got = [dsc.pods_should_be_on_node(node, {"n1": pods} if pods else {}, d, "new") for d, node, pods, _ in cases]
    assert got == [want for *_, want in cases]
    kernel.run(seconds=1)
    assert [w[2:] for w in client.writes if w[1] == "event"] == [
        ("FailedDaemonPod", "Found failed daemon pod kube-system/f on node n1, will try to kill it"),
        ("SucceededDaemonPod", "Found succeeded daemon pod kube-system/s on node n1, will try to delete it")]


def _pod(name, node, hash_, ready=True, terminating=False):
    meta = {"name": name, "namespace": "kube-system", "uid": name, "resourceVersion": "1",
            "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"app": "agent", "controller-revision-hash": hash_},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid",
                                 "controller": True}]}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:01Z"
    return {"metadata": meta, "spec": {"nodeName": node},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize("strategy, pods, want", [
    ({"maxUnavailable": 1}, [("a", "n1", "old"), ("b", "n2", "old"), ("c", "n3", "old")], [("delete", "a")]),
    ({"maxUnavailable": 2}, [("a", "n1", "old"), ("b", "n2", "old"), ("c", "n3", "old")],
     [("delete", "a"), ("delete", "b")]),
    ({"maxUnavailable": 1}, [("a", "n1", "new"), ("b", "n2", "old"), ("c", "n3", "old", False)], [("delete", "c")]),
    ({"maxUnavailable": 1}, [("a", "n1", "new", False), ("b", "n2", "old"), ("c", "n3", "old")], []),
    ({"maxUnavailable": 1}, [("a", "n1", "old", True, True), ("b", "n2", "old"), ("c", "n3", "old")], []),
    ({"maxUnavailable": 0, "maxSurge": 1}, [("a", "n1", "old"), ("b", "n2", "old"), ("c", "n3", "old")],
     [("create", "n1")]),
    ({"maxUnavailable": 0, "maxSurge": 1}, [("a", "n1", "old"), ("x", "n1", "new"), ("b", "n2", "old"),
                                             ("c", "n3", "old")], [("create", "n2"), ("delete", "a")]),
    ({"maxUnavailable": 0, "maxSurge": 1}, [("a", "n1", "old"), ("x", "n1", "new", False), ("b", "n2", "old"),
                                             ("c", "n3", "old")], []),
], ids=["maxUnavailable 1: one old pod goes, the first node's",
        "maxUnavailable 2: two go at once",
        "an unavailable old pod is replaced at once and uses up the budget",
        "an up-to-date pod that is not ready yet uses up the budget",
        "a node whose pod is terminating counts as unavailable",
        "maxSurge 1: a new pod beside the first old one",
        "maxSurge: once the new pod is available its old one goes and the next node surges",
        "maxSurge: an unavailable new pod uses up the surge"])
def test_rolling_update_decisions(strategy, pods, want):
    kernel, client, dsc = controller()
    ds = ds_obj(strategy={"type": "RollingUpdate", "rollingUpdate": strategy})
    nodes = [node_obj(n) for n in ("n1", "n2", "n3")]
    for spec in pods:
        dsc.pod_informer.indexer.put(_pod(*spec))
    kernel.run_until_complete(dsc.rolling_update(ds, nodes, "new"))
    kernel.run(seconds=1)
    got = [(kind, rest[-1]) for t, kind, *rest in client.writes if kind in ("create", "delete")]
    assert sorted(got) == sorted(want)


# -- on a cluster ----------------------------------------------------------------------------------

AGENT = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %(name)s, namespace: kube-system}
spec:
  selector: {matchLabels: {app: %(name)s}}
  updateStrategy: %(strategy)s
  template:
    metadata: {labels: {app: %(name)s}, annotations: {rev: "%(rev)s"}}
    spec:
      containers: [{name: agent, image: nginx}]
      %(extra)s
"""


def agent(name="agent", rev=1, extra="", strategy="{type: RollingUpdate}"):
    return AGENT % {"name": name, "rev": rev, "extra": extra, "strategy": strategy}


def ds_pods(c, name="agent", live_only=False):
    return [p for p in c.objects("pods", "kube-system") if (controller_of(p) or {}).get("name") == name
            and (not live_only or not p["metadata"].get("deletionTimestamp"))]


def ready(p):
    return not p["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions") or ())


def placement(c, name="agent"):
    return sorted((p["spec"].get("nodeName"), ready(p)) for p in ds_pods(c, name))


def status(c, name="agent"):
    return next(d for d in c.objects("daemonsets", "kube-system") if d["metadata"]["name"] == name)["status"]


def events(c, name="agent", reason=None):
    return [e["message"] for e in c.objects("events", "kube-system")
            if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "DaemonSet"
            and (reason is None or e["reason"] == reason)]


def settle(c, name, count, limit=60):
    c.run_until(lambda: len(ds_pods(c, name)) == count and all(ready(p) for p in ds_pods(c, name))
                and status(c, name).get("numberReady") == count, limit=limit, step=0.5)


def test_one_pod_per_worker_and_none_on_the_tainted_control_plane():
    c = Cluster.up(nodes=3, seed=21)
    c.kubectl.apply(agent())
    settle(c, "agent", 3)
    assert placement(c) == [("node-1", True), ("node-2", True), ("node-3", True)]
    assert status(c) == {"observedGeneration": 1, "currentNumberScheduled": 3, "numberMisscheduled": 0,
                         "desiredNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3,
                         "numberAvailable": 3}
    created = events(c, reason="SuccessfulCreate")
    assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in ds_pods(c))
    revisions = [r for r in c.objects("controllerrevisions", "kube-system")]
    assert [(r["metadata"]["name"], r["revision"]) for r in revisions] == \
        [(f"agent-{revisions[0]['metadata']['labels']['controller-revision-hash']}", 1)]
    pod = ds_pods(c)[0]
    assert pod["metadata"]["labels"]["controller-revision-hash"] == \
        revisions[0]["metadata"]["labels"]["controller-revision-hash"]
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    assert pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == \
        {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                 "values": [pod["spec"]["nodeName"]]}]}]}
    assert {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"} in \
        pod["spec"]["tolerations"]
    table = str(c.kubectl("get ds -n kube-system"))
    assert table.splitlines()[1].split()[:6] == ["agent", "3", "3", "3", "3", "3"]
    # Tolerating the control-plane taint puts a pod there too.
    c.kubectl.apply(agent("everywhere", extra="tolerations: [{key: node-role.kubernetes.io/control-plane, "
                                              "operator: Exists, effect: NoSchedule}]"))
    settle(c, "everywhere", 4)
    assert [n for n, _ in placement(c, "everywhere")] == ["control-plane", "node-1", "node-2", "node-3"]


def test_a_node_added_later_gets_a_pod_and_a_noschedule_taint_leaves_it_misscheduled():
    c = Cluster.up(nodes=2, seed=22)
    c.kubectl.apply(agent())
    settle(c, "agent", 2)
    c.add_node()
    settle(c, "agent", 3)
    assert placement(c) == [("node-1", True), ("node-2", True), ("node-3", True)]
    assert status(c)["desiredNumberScheduled"] == 3
    c.kubectl("taint node node-3 dedicated=db:NoSchedule")
    c.run_until(lambda: status(c)["desiredNumberScheduled"] == 2, limit=30, step=0.5)
    c.run(5)
    assert len(ds_pods(c)) == 3                     # a running pod may stay on a NoSchedule node...
    assert status(c)["numberMisscheduled"] == 1     # ...but it no longer counts as wanted there
    assert events(c, reason="SuccessfulDelete") == []


def test_a_node_selector_limits_the_nodes_and_relabelling_moves_the_pod():
    c = Cluster.up(nodes=3, seed=23)
    c.kubectl("label node node-1 disk=ssd")
    c.kubectl("label node node-2 disk=ssd")
    c.kubectl.apply(agent(extra="nodeSelector: {disk: ssd}"))
    settle(c, "agent", 2)
    assert placement(c) == [("node-1", True), ("node-2", True)]
    on_node_2 = next(p["metadata"]["name"] for p in ds_pods(c) if p["spec"]["nodeName"] == "node-2")
    c.kubectl("label node node-2 disk=hdd --overwrite")
    c.run_until(lambda: [n for n, _ in placement(c)] == ["node-1"], limit=60, step=0.5)
    assert events(c, reason="SuccessfulDelete") == [f"Deleted pod: {on_node_2}"]
    c.kubectl("label node node-3 disk=ssd")
    settle(c, "agent", 2)
    assert placement(c) == [("node-1", True), ("node-3", True)]
    assert status(c)["desiredNumberScheduled"] == 2 and status(c)["numberMisscheduled"] == 0


def _watch_rollout(c, name, limit, check):
    """Step in small increments until every pod is up to date and ready, checking ``check`` each step."""
    start = c.now
    while c.now - start < limit:
        check()
        st = status(c, name)
        pods = ds_pods(c, name)
        if st.get("updatedNumberScheduled") == st.get("desiredNumberScheduled") == len(pods) and \
                st.get("numberAvailable") == len(pods) and st.get("observedGeneration") == 2 and \
                all(ready(p) for p in pods):
            return
        c.run(0.1)
    raise AssertionError("the rollout did not finish")


def test_a_rolling_update_with_max_unavailable_one_leaves_at_most_one_node_without_a_ready_pod():
    c = Cluster.up(nodes=4, seed=24)
    c.kubectl.apply(agent())
    settle(c, "agent", 4)
    old = {p["metadata"]["name"] for p in ds_pods(c)}
    c.kubectl.apply(agent(rev=2))
    worst = []

    def check():
        covered = {p["spec"].get("nodeName") for p in ds_pods(c) if ready(p)}
        worst.append(4 - len(covered))
        per_node = [p["spec"].get("nodeName") for p in ds_pods(c)]
        assert len(per_node) == len(set(per_node)), "two pods on one node"
    _watch_rollout(c, "agent", 120, check)
    assert max(worst) == 1                          # one at a time, and some time with one missing
    new = ds_pods(c)
    assert not old & {p["metadata"]["name"] for p in new}
    revisions = sorted((r["revision"], r["metadata"]["labels"]["controller-revision-hash"])
                       for r in c.objects("controllerrevisions", "kube-system"))
    assert [r for r, _ in revisions] == [1, 2]
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in new} == {revisions[1][1]}
    assert len(events(c, reason="SuccessfulDelete")) == 4 and len(events(c, reason="SuccessfulCreate")) == 8


def test_a_surge_update_keeps_every_node_covered():
    c = Cluster.up(nodes=3, seed=25)
    strategy = "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}"
    c.kubectl.apply(agent(strategy=strategy))
    settle(c, "agent", 3)
    c.kubectl.apply(agent(rev=2, strategy=strategy))
    most = []

    def check():
        covered = {p["spec"].get("nodeName") for p in ds_pods(c) if ready(p)}
        assert covered == {"node-1", "node-2", "node-3"}, "a node without a ready pod"
        most.append(len(ds_pods(c, live_only=True)))
    _watch_rollout(c, "agent", 120, check)
    assert max(most) == 4                           # one extra pod at a time


def test_on_delete_replaces_a_pod_only_when_it_is_deleted():
    c = Cluster.up(nodes=2, seed=26)
    c.kubectl.apply(agent(strategy="{type: OnDelete}"))
    settle(c, "agent", 2)
    c.kubectl.apply(agent(rev=2, strategy="{type: OnDelete}"))
    c.run_until(lambda: status(c).get("observedGeneration") == 2, limit=30, step=0.5)
    c.run(10)
    assert "updatedNumberScheduled" not in status(c)     # 0, left out (omitempty)
    assert events(c, reason="SuccessfulDelete") == []
    victim = next(p for p in ds_pods(c) if p["spec"]["nodeName"] == "node-2")["metadata"]["name"]
    c.kubectl(f"delete pod {victim} -n kube-system --wait=false")
    c.run_until(lambda: status(c).get("updatedNumberScheduled") == 1 and status(c).get("numberReady") == 2,
                limit=60, step=0.5)
    fresh = next(p for p in ds_pods(c) if p["spec"]["nodeName"] == "node-2")
    assert fresh["metadata"]["name"] != victim and fresh["metadata"]["labels"]["pod-template-generation"] == "2"


def test_a_controller_manager_crash_mid_update_leaves_no_duplicate_pods():
    c = Cluster.up(nodes=4, seed=27)
    c.kubectl.apply(agent())
    settle(c, "agent", 4)
    c.kubectl.apply(agent(rev=2))
    hashes = lambda: {p["metadata"]["labels"]["controller-revision-hash"] for p in ds_pods(c)}  # noqa: E731
    c.run_until(lambda: len(hashes()) == 2, limit=30, step=0.1)     # the update is under way
    c.crash("kube-controller-manager")
    c.run(5)
    c.restart("kube-controller-manager")

    def check():
        per_node = [p["spec"].get("nodeName") for p in ds_pods(c)]
        assert len(per_node) == len(set(per_node)), f"two pods on one node: {sorted(per_node)}"
    _watch_rollout(c, "agent", 180, check)
    c.run(10)
    assert [n for n, _ in placement(c)] == ["node-1", "node-2", "node-3", "node-4"]
    assert len(hashes()) == 1
    # Four pods at first and four replacements; the restarted controller created nothing twice.
    assert len(events(c, reason="SuccessfulCreate")) == 8


def test_an_orphan_the_selector_matches_is_adopted_and_a_relabelled_pod_is_released():
    c = Cluster.up(nodes=2, seed=28)
    c.kubectl("label node node-1 role=agent")
    c.kubectl.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: stray, namespace: kube-system, labels: {app: agent}}\n"
                    "spec: {nodeName: node-1, containers: [{name: agent, image: nginx}]}\n")
    c.run_until(lambda: any(ready(p) for p in c.objects("pods", "kube-system") if p["metadata"]["name"] == "stray"),
                limit=30, step=0.5)
    c.kubectl.apply(agent(extra="nodeSelector: {role: agent}", strategy="{type: OnDelete}"))
    c.run_until(lambda: [p["metadata"]["name"] for p in ds_pods(c)] == ["stray"], limit=30, step=0.5)
    c.run(5)
    assert [p["metadata"]["name"] for p in ds_pods(c)] == ["stray"]     # adopted: node-1 needs no other pod
    assert events(c, reason="SuccessfulCreate") == []
    assert status(c)["currentNumberScheduled"] == 1
    c.kubectl("label pod stray -n kube-system app=other --overwrite")
    c.run_until(lambda: len(ds_pods(c)) == 1 and ds_pods(c)[0]["metadata"]["name"] != "stray"
                and ready(ds_pods(c)[0]), limit=60, step=0.5)
    stray = next(p for p in c.objects("pods", "kube-system") if p["metadata"]["name"] == "stray")
    assert stray["metadata"].get("ownerReferences") in (None, []) and ready(stray)   # released, still running
    assert ds_pods(c)[0]["spec"]["nodeName"] == "node-1"
