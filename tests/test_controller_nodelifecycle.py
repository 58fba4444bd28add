"""The node lifecycle and taint eviction controllers: unit cases for their rules, and a crashed
node on a whole cluster in virtual time (Ready → Unknown after the 40 s grace period, the
unreachable taints, eviction after the 300 s default tolerationSeconds, and not before)."""
from __future__ import annotations

import pytest

from k8slite.api.meta import parse_rfc3339
from k8slite.api.scheme import SCHEME
from k8slite.client.rest import MERGE_PATCH
from k8slite.cluster import Cluster
from k8slite.controllers import nodelifecycle as nl
from k8slite.controllers.nodelifecycle import NodeLifecycleController, TaintEvictionController
from k8slite.sim import Kernel

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
GRACE, MONITOR, TOLERATION = 40.0, 5.0, 300.0
NODES = SCHEME.by_resource("", "nodes")


# -- rules ------------------------------------------------------------------------------------
def tol(key=None, operator="Exists", effect="NoExecute", seconds=None, value=None):
    t = {"operator": operator}
    if key is not None:
        t["key"] = key
    if effect is not None:
        t["effect"] = effect
    if seconds is not None:
        t["tolerationSeconds"] = seconds
    if value is not None:
        t["value"] = value
    return t


UNREACHABLE_NOEXECUTE = {"key": UNREACHABLE, "effect": "NoExecute"}


@pytest.mark.parametrize("toleration, taint, expected", [
    (tol(UNREACHABLE), UNREACHABLE_NOEXECUTE, True),
    (tol(NOT_READY), UNREACHABLE_NOEXECUTE, False),
    (tol(UNREACHABLE, effect="NoSchedule"), UNREACHABLE_NOEXECUTE, False),
    (tol(), UNREACHABLE_NOEXECUTE, True),
    (tol(effect=None), UNREACHABLE_NOEXECUTE, True),
    (tol("k", operator="Equal", value="v"), {"key": "k", "value": "v", "effect": "NoExecute"}, True),
    (tol("k", operator="Equal", value="w"), {"key": "k", "value": "v", "effect": "NoExecute"}, False),
], ids=["a toleration for the key and effect tolerates the taint",
        "a toleration for another key does not",
        "a toleration for another effect does not",
        "an empty key with Exists tolerates every taint",
        "an empty effect matches every effect",
        "Equal needs the same value",
        "Equal with another value does not tolerate"])
def test_tolerates_taint(toleration, taint, expected):
    assert nl.tolerates_taint(toleration, taint) is expected


@pytest.mark.parametrize("tolerations, expected", [
    ([], 0.0),
    ([tol(UNREACHABLE, seconds=300)], 300.0),
    ([tol(UNREACHABLE, seconds=300), tol(NOT_READY, seconds=60)], 60.0),
    ([tol(UNREACHABLE, seconds=0)], 0.0),
    ([tol(UNREACHABLE, seconds=-5), tol(NOT_READY, seconds=60)], 0.0),
    ([tol(UNREACHABLE)], -1.0),
    ([tol(UNREACHABLE), tol(NOT_READY, seconds=30)], 30.0),
], ids=["no used tolerations means evict now",
        "one toleration's seconds",
        "the shortest of several",
        "zero seconds means evict now",
        "a negative value counts as zero",
        "no tolerationSeconds tolerates forever (-1)",
        "a bounded toleration beats an unbounded one"])
def test_min_toleration_time(tolerations, expected):
    assert nl.min_toleration_time(tolerations) == expected


def test_matching_tolerations_needs_every_taint_tolerated():
    taints = [UNREACHABLE_NOEXECUTE, {"key": "dedicated", "effect": "NoExecute"}]
    assert nl.matching_tolerations(taints, [tol(UNREACHABLE, seconds=300)]) == (False, [])
    ok, used = nl.matching_tolerations(taints, [tol(UNREACHABLE, seconds=300), tol("dedicated")])
    assert ok and used == [tol(UNREACHABLE, seconds=300), tol("dedicated")]


def ready(status):
    return {"type": "Ready", "status": status}


@pytest.mark.parametrize("conditions, expected", [
    ([ready("True"), ready("True"), ready("Unknown")], (1, "Normal")),
    ([ready("Unknown"), ready("False")], (2, "FullDisruption")),
    ([ready("True"), ready("Unknown"), ready("Unknown"), ready("Unknown")], (3, "PartialDisruption")),
    ([ready("True"), ready("True"), ready("Unknown"), ready("Unknown")], (2, "Normal")),
    ([ready("True")] * 3 + [ready("Unknown")] * 3, (3, "Normal")),
    ([ready("True")] * 2 + [ready("Unknown")] * 3, (3, "PartialDisruption")),
    ([None, ready("True")], (1, "Normal")),
], ids=["one node of three down is normal",
        "no ready node at all is a full disruption",
        "more than two and at least 55% down is a partial disruption",
        "two down is never a partial disruption",
        "three of six down (50%) is below the 55% threshold",
        "three of five down (60%) is partial",
        "a node without a Ready condition counts as not ready"])
def test_compute_zone_state(conditions, expected):
    controller = NodeLifecycleController.__new__(NodeLifecycleController)
    controller.unhealthy_zone_threshold = nl.UNHEALTHY_ZONE_THRESHOLD
    assert controller.compute_zone_state(conditions) == expected


def test_the_tainting_queue_takes_one_node_per_ten_seconds_and_each_node_once():
    kernel = Kernel(0)
    queue = nl.RateLimitedTimedQueue(nl.TokenBucket(kernel, 0.1))
    assert queue.add("node-1", "u1", kernel.now) and queue.add("node-2", "u2", kernel.now)
    assert not queue.add("node-1", "u1", kernel.now)
    done = []

    async def taint(value):
        done.append((value.value, kernel.now))
        return True, 0.0

    async def passes():
        for _ in range(150):           # doNoExecuteTaintingPass every 100 ms for 15 s
            await queue.try_(lambda: kernel.now, taint)
            await kernel.sleep(0.1)
    kernel.run_until_complete(kernel.spawn(passes()))
    assert [name for name, _ in done] == ["node-1", "node-2"]
    assert done[0][1] == 0.0 and 9.99 <= done[1][1] < 10.2
    assert not queue.add("node-1", "u1", kernel.now), "a tainted node stays a member until it is removed"
    assert queue.remove("node-1") and queue.add("node-1", "u1", kernel.now)


def test_a_zone_limiter_at_zero_never_lets_a_node_through():
    kernel = Kernel(0)
    queue = nl.RateLimitedTimedQueue(nl.TokenBucket(kernel, 0.1))
    queue.swap_limiter(0.0)
    queue.add("node-1", "u1", kernel.now)

    async def taint(value):
        raise AssertionError("tainted in full disruption")
    kernel.run_until_complete(kernel.spawn(queue.try_(lambda: kernel.now, taint)))
    assert len(queue.queue) == 1


# -- a whole cluster --------------------------------------------------------------------------
def start_node_lifecycle(cluster: Cluster) -> tuple[NodeLifecycleController, TaintEvictionController]:
    """The controller manager's two controllers (it runs them as node-controller and
    taint-eviction-controller), once it leads and they run."""
    manager = cluster.controller_manager
    cluster.run_until(lambda: manager.factory is not None and manager.factory.has_synced(), step=0.1)
    return manager.controllers["nodelifecycle"], manager.controllers["taint-eviction-controller"]


def deployment(name="web", replicas=6):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


def pinned_pod(name, node, tolerations):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": node, "tolerations": tolerations,
                     "containers": [{"name": "c", "image": "nginx"}]}}


def node(cluster, name):
    return next(n for n in cluster.objects("nodes") if n["metadata"]["name"] == name)


def condition(obj, ctype):
    return next((c for c in obj["status"].get("conditions") or () if c["type"] == ctype), None)


def taints(cluster, name):
    return [(t["key"], t["effect"]) for t in node(cluster, name)["spec"].get("taints") or ()]


def pods(cluster):
    return {p["metadata"]["name"]: p for p in cluster.objects("pods", "default")}


def running_ready(pod):
    return pod["status"].get("phase") == "Running" and condition(pod, "Ready")["status"] == "True" \
        and not pod["metadata"].get("deletionTimestamp")


def lease_renewed(cluster, name):
    lease = next(x for x in cluster.objects("leases", "kube-node-lease") if x["metadata"]["name"] == name)
    return parse_rfc3339(lease["spec"]["renewTime"])


def events(cluster, *components):
    return sorted((parse_rfc3339(e["lastTimestamp"]), e["reason"], e["message"], e["involvedObject"]["name"])
                  for e in cluster.objects("events") if e["source"]["component"] in components)


def watch(cluster, until, step=0.5, limit=600.0):
    """Run in steps, calling ``until(now)`` after each; returns the first time it is true."""
    start = cluster.now
    while not until(cluster.now):
        assert cluster.now - start < limit, "did not happen in time"
        cluster.run(step)
    return cluster.now


@pytest.fixture(params=[1, 7])
def cluster(request):
    cluster = Cluster.up(nodes=3, seed=request.param)
    start_node_lifecycle(cluster)
    cluster.kubectl.apply(deployment())
    cluster.run_until(lambda: sum(running_ready(p) for p in pods(cluster).values()) == 6, limit=60)
    cluster.run(5)
    return cluster


def test_a_crashed_node_goes_unknown_is_tainted_and_its_pods_are_replaced_after_300_seconds(cluster):
    before = pods(cluster)
    victims = sorted(name for name, p in before.items() if p["spec"]["nodeName"] == "node-2")
    assert victims, "the scheduler spread the Deployment onto node-2"
    cluster.crash("node-2")
    crashed, renewed = cluster.now, lease_renewed(cluster, "node-2")

    # Ready turns Unknown once the last heartbeat is older than the grace period, and not before.
    unknown = watch(cluster, lambda now: condition(node(cluster, "node-2"), "Ready")["status"] == "Unknown")
    assert renewed + GRACE < unknown <= renewed + GRACE + 2 * MONITOR + 1, (renewed, unknown)
    assert unknown - crashed >= GRACE - 10       # the lease is renewed every 10 s
    n2 = node(cluster, "node-2")
    for ctype in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        c = condition(n2, ctype)
        assert (c["status"], c["reason"], c["message"]) == ("Unknown", "NodeStatusUnknown",
                                                          "Kubelet stopped posting node status.")
    assert all(condition(node(cluster, n), "Ready")["status"] == "True" for n in ("node-1", "node-3"))

    # The NoExecute taint follows on the next pass; the NoSchedule one keeps new pods away.
    tainted = watch(cluster, lambda now: (UNREACHABLE, "NoExecute") in taints(cluster, "node-2"), step=0.1)
    assert tainted - unknown <= MONITOR + 1
    assert (UNREACHABLE, "NoSchedule") in taints(cluster, "node-2")
    time_added = next(t["timeAdded"] for t in node(cluster, "node-2")["spec"]["taints"] if t["effect"] == "NoExecute")
    assert tainted - 1 <= parse_rfc3339(time_added) <= tainted

    # MarkPodsNotReady: the node's pods stop being Ready, so Services stop sending them traffic.
    now = pods(cluster)
    assert all(condition(now[v], "Ready")["status"] == "False" for v in victims)
    assert {(r, m, o) for _, r, m, o in events(cluster, "node-controller") if r == "NodeNotReady"} == \
        {("NodeNotReady", "Node node-2 status is now: NodeNotReady", "node-2")} | \
        {("NodeNotReady", "Node is not ready", v) for v in victims}

    # Nothing is evicted or replaced while the default 300 s toleration lasts ...
    def evicted(_):
        now = pods(cluster)
        gone = [v for v in victims if v not in now or now[v]["metadata"].get("deletionTimestamp")]
        if cluster.now < tainted + TOLERATION - 1:
            assert not gone, f"{gone} evicted {cluster.now - tainted:.1f}s after the taint"
            assert set(now) == set(before), "a replacement was made early"
        return len(gone) == len(victims)
    deleted = watch(cluster, evicted, step=1.0)
    assert tainted + TOLERATION - 1 <= deleted <= tainted + TOLERATION + 2

    # ... then they are marked and deleted, and replaced on the surviving nodes.
    marked = [e for e in events(cluster, "taint-eviction-controller") if e[1] == "TaintManagerEviction"]
    assert [(r, m) for _, r, m, _ in marked] == [("TaintManagerEviction", f"Marking for deletion Pod default/{v}")
                                                 for v in victims]
    for v in victims:
        target = condition(pods(cluster)[v], "DisruptionTarget")
        assert (target["status"], target["reason"], target["message"]) == (
            "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
    cluster.run_until(lambda: sum(running_ready(p) for p in pods(cluster).values()) == 6, limit=60)
    replacements = [p for name, p in pods(cluster).items() if name not in before]
    assert len(replacements) == len(victims)
    assert {p["spec"]["nodeName"] for p in replacements} <= {"node-1", "node-3"}


def test_tolerationseconds_decides_when_each_pod_goes(cluster):
    cluster.kubectl.apply(pinned_pod("now", "node-2", [tol(UNREACHABLE, seconds=0)]))
    cluster.kubectl.apply(pinned_pod("soon", "node-2", [tol(UNREACHABLE, seconds=60)]))
    cluster.kubectl.apply(pinned_pod("forever", "node-2", [tol(UNREACHABLE)]))
    cluster.run_until(lambda: all(running_ready(pods(cluster)[n]) for n in ("now", "soon", "forever")), limit=60)
    defaulted = pods(cluster)["now"]["spec"]["tolerations"]
    assert tol(NOT_READY, seconds=300) in defaulted and len(defaulted) == 2, \
        "DefaultTolerationSeconds adds only the not-ready toleration"
    cluster.crash("node-2")
    tainted = watch(cluster, lambda now: (UNREACHABLE, "NoExecute") in taints(cluster, "node-2"), step=0.1)

    def deleted_at(name):
        return watch(cluster, lambda now: pods(cluster)[name]["metadata"].get("deletionTimestamp") is not None,
                     step=0.1)
    assert deleted_at("now") - tainted <= 0.5, "tolerationSeconds 0: evicted as soon as the taint is seen"
    assert 59.5 <= deleted_at("soon") - tainted <= 60.5
    cluster.run(TOLERATION + 10)
    assert pods(cluster)["forever"]["metadata"].get("deletionTimestamp") is None, "no tolerationSeconds: never"


def test_a_node_back_before_the_deadline_loses_its_taints_and_keeps_its_pods(cluster):
    before = pods(cluster)
    on_node_2 = sorted(name for name, p in before.items() if p["spec"]["nodeName"] == "node-2")
    cluster.crash("node-2")
    tainted = watch(cluster, lambda now: (UNREACHABLE, "NoExecute") in taints(cluster, "node-2"))
    cluster.run(100)
    cluster.restart("node-2")
    back = watch(cluster, lambda now: condition(node(cluster, "node-2"), "Ready")["status"] == "True")
    cleared = watch(cluster, lambda now: not [t for t in taints(cluster, "node-2") if t[0] == UNREACHABLE])
    assert cleared - back <= MONITOR + 1
    cluster.run(1)                               # events are written in the background
    cancelled = [(r, m) for _, r, m, _ in events(cluster, "taint-eviction-controller")]
    assert cancelled == [("TaintManagerEviction", f"Cancelling deletion of Pod default/{p}") for p in on_node_2]
    cluster.run(tainted + TOLERATION + 30 - cluster.now)
    after = pods(cluster)
    assert set(after) == set(before), "nothing evicted, nothing replaced"
    assert not any(p["metadata"].get("deletionTimestamp") for p in after.values())
    assert taints(cluster, "node-2") == []


def test_a_node_reporting_not_ready_gets_the_not_ready_taints(cluster):
    """A kubelet that says Ready=False (its lease still fresh) is NotReady, not unreachable."""
    n3 = node(cluster, "node-3")
    conditions = [dict(c) for c in n3["status"]["conditions"]]
    for c in conditions:
        if c["type"] == "Ready":
            c.update(status="False", reason="KubeletNotReady", message="PLEG is not healthy")
    patch = cluster.admin.patch(NODES, "", "node-3", {"status": {"conditions": conditions}}, MERGE_PATCH, "status")
    cluster.kernel.run_until_complete(cluster.kernel.spawn(patch))
    watch(cluster, lambda now: (NOT_READY, "NoExecute") in taints(cluster, "node-3"), limit=30)
    assert (NOT_READY, "NoSchedule") in taints(cluster, "node-3")
    assert not [t for t in taints(cluster, "node-3") if t[0] == UNREACHABLE]
    assert condition(node(cluster, "node-3"), "Ready")["status"] == "False", "not overwritten with Unknown"


def test_two_nodes_lost_at_once_are_tainted_ten_seconds_apart():
    cluster = Cluster.up(nodes=3, seed=2)
    start_node_lifecycle(cluster)
    cluster.run(10)
    cluster.crash("node-1")
    cluster.crash("node-2")
    seen: dict = {}

    def both(now):
        for name in ("node-1", "node-2"):
            if name not in seen and (UNREACHABLE, "NoExecute") in taints(cluster, name):
                seen[name] = now
        return len(seen) == 2
    watch(cluster, both, step=0.1, limit=120)
    first, second = sorted(seen.values())
    assert second - first >= 1 / nl.EVICTION_LIMITER_QPS - 0.2, seen


def test_when_every_node_is_lost_nobody_is_evicted():
    """Master disruption mode: all nodes Unknown looks like the control plane's own network."""
    cluster = Cluster.up(nodes=2, seed=4)
    start_node_lifecycle(cluster)
    cluster.kubectl.apply(deployment(replicas=4))
    cluster.run_until(lambda: sum(running_ready(p) for p in pods(cluster).values()) == 4, limit=60)
    for name in ("kubelet/control-plane", "node-1", "node-2"):
        cluster.crash(name)
    cluster.run(GRACE + 3 * MONITOR + TOLERATION + 30)
    assert all(condition(node(cluster, n), "Ready")["status"] == "Unknown"
               for n in ("control-plane", "node-1", "node-2"))
    assert all(not [t for t in taints(cluster, n) if t[1] == "NoExecute"] for n in ("node-1", "node-2"))
    assert not any(p["metadata"].get("deletionTimestamp") for p in pods(cluster).values())


def test_the_same_seed_gives_the_same_story():
    def story():
        cluster = Cluster.up(nodes=3, seed=5)
        start_node_lifecycle(cluster)
        cluster.kubectl.apply(deployment())
        cluster.run(30)
        cluster.crash("node-2")
        cluster.run(GRACE + TOLERATION + 30)
        return events(cluster, "node-controller", "taint-eviction-controller")
    assert story() == story()
