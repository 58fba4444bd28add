"""The node lifecycle controller and the taint eviction controller: notice dead nodes, taint them, evict their pods.

Mirrors kubernetes v1.31 ``pkg/controller/nodelifecycle/node_lifecycle_controller.go``
(monitorNodeHealth every ``--node-monitor-period`` 5 s; tryUpdateNodeHealth: a node whose
Ready condition heartbeat and Lease have not moved for ``--node-monitor-grace-period`` 40 s,
or 60 s ``--node-startup-grace-period`` if it never posted status, gets Ready, MemoryPressure,
DiskPressure and PIDPressure set to Unknown, "Kubelet stopped posting node status.";
processTaintBaseEviction and doNoExecuteTaintingPass: ``node.kubernetes.io/unreachable`` or
``not-ready`` NoExecute taints, swapped with the Ready condition, added through a per-zone
RateLimitedTimedQueue at ``--node-eviction-rate`` 0.1 nodes/s; handleDisruption: zone states
Normal / PartialDisruption / FullDisruption; doNoScheduleTaintingPass: NoSchedule taints that
mirror conditions and ``spec.unschedulable``; MarkPodsNotReady from ``pkg/controller/util/node``),
``pkg/controller/tainteviction/taint_eviction.go`` and ``timed_workers.go`` (the taint
eviction controller: pods on a NoExecute-tainted node that do not tolerate a taint are
deleted at once, those that tolerate it for ``tolerationSeconds`` when the shortest runs out,
counted from when the controller saw the taint; "TaintManagerEviction" events; the
DisruptionTarget condition before the delete) and ``pkg/controller/controller_utils.go``
(AddOrUpdateTaintOnNode, RemoveTaintOffNode: a strategic merge patch of ``spec.taints`` with
the node's resourceVersion, retried on conflict).

Simplified: the taint eviction controller (upstream its own package since v1.29, with its own
service account) lives in this module; it has one worker (upstream: 8, sharded by node name), and
all nodes are checked in parallel each pass (upstream: 8 workers); node OS/arch beta labels are not
reconciled. Eviction rates are upstream's (a token bucket per zone, 0.1 nodes/s, burst 1; 0.01 or
none in a partially disrupted zone; none at all when every zone is down) over virtual time.
As upstream, a pod's tolerationSeconds count from when this controller saw the taint, not from the
taint's ``timeAdded`` (so a restarted controller manager starts the clocks again).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional

from ..api import errors
from ..api.meta import parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import STRATEGIC_PATCH, Client
from ..sim import Kernel, Timeout
from .base import Controller

NODES = SCHEME.by_resource("", "nodes")
PODS = SCHEME.by_resource("", "pods")
LEASES = SCHEME.by_resource("coordination.k8s.io", "leases")
NODE_LEASE_NAMESPACE = "kube-node-lease"

NODE_MONITOR_PERIOD = 5.0            # --node-monitor-period
NODE_MONITOR_GRACE_PERIOD = 40.0     # --node-monitor-grace-period (50 s from v1.32)
NODE_STARTUP_GRACE_PERIOD = 60.0     # --node-startup-grace-period
NODE_EVICTION_PERIOD = 0.1           # scheduler.NodeEvictionPeriod: how often the tainting pass runs
EVICTION_LIMITER_QPS = 0.1           # --node-eviction-rate
SECONDARY_EVICTION_LIMITER_QPS = 0.01  # --secondary-node-eviction-rate
LARGE_CLUSTER_SIZE_THRESHOLD = 50    # --large-cluster-size-threshold
UNHEALTHY_ZONE_THRESHOLD = 0.55      # --unhealthy-zone-threshold
EVICTION_RATE_LIMITER_BURST = 1
RETRY_SLEEP_TIME = 0.02              # retrySleepTime
NODE_HEALTH_UPDATE_RETRY = 5         # scheduler.NodeHealthUpdateRetry
UPDATE_TAINT_STEPS, UPDATE_TAINT_DURATION = 5, 0.1   # UpdateTaintBackoff (jitter 1.0)
DELETE_RETRIES = 5                   # tainteviction: retries of one pod deletion, 10 ms apart

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
UNREACHABLE_TAINT = {"key": UNREACHABLE, "effect": "NoExecute"}
NOT_READY_TAINT = {"key": NOT_READY, "effect": "NoExecute"}
# nodeConditionToTaintKeyStatusMap: which condition status becomes which NoSchedule taint.
CONDITION_TAINTS = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
CONDITION_TAINT_KEYS = {key for by_status in CONDITION_TAINTS.values() for key in by_status.values()}

STATE_INITIAL, STATE_NORMAL, STATE_PARTIAL, STATE_FULL = "Initial", "Normal", "PartialDisruption", "FullDisruption"


# -- helpers shared by both controllers (pkg/controller/util/node, taints, v1helper) ------------
def node_condition(status: Optional[dict], ctype: str) -> Optional[dict]:
    for condition in (status or {}).get("conditions") or ():
        if condition.get("type") == ctype:
            return condition
    return None


def match_taint(a: dict, b: dict) -> bool:
    """``Taint.MatchTaint``: same key and effect (the value and timeAdded do not count)."""
    return a.get("key") == b.get("key") and a.get("effect") == b.get("effect")


def taint_exists(taints, taint: dict) -> bool:
    return any(match_taint(t, taint) for t in taints or ())


def tolerates_taint(toleration: dict, taint: dict) -> bool:
    """``Toleration.ToleratesTaint``."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return toleration.get("value", "") == taint.get("value", "")
    return operator == "Exists"


def matching_tolerations(taints: list, tolerations: list) -> tuple[bool, list]:
    """``v1helper.GetMatchingTolerations``: are all taints tolerated, and by which tolerations
    (the first matching one per taint)."""
    used = []
    for taint in taints:
        match = next((t for t in tolerations or () if tolerates_taint(t, taint)), None)
        if match is None:
            return False, []
        used.append(match)
    return True, used


def min_toleration_time(tolerations: list) -> float:
    """``getMinTolerationTime``: the shortest tolerationSeconds; 0 for none or any <= 0;
    -1 for "tolerates forever" (no tolerationSeconds at all)."""
    if not tolerations:
        return 0.0
    seconds = [t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None]
    if not seconds:
        return -1.0
    shortest = min(seconds)
    return 0.0 if shortest <= 0 else float(shortest)


def zone_key(node: dict) -> str:
    """``nodetopology.GetZoneKey``: region and zone from the topology labels ("" without them)."""
    labels = node["metadata"].get("labels") or {}
    region = labels.get("topology.kubernetes.io/region") or labels.get("failure-domain.beta.kubernetes.io/region", "")
    zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone", "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def _node_name_index(pod: dict) -> list[str]:
    name = pod.get("spec", {}).get("nodeName")
    return [name] if name else []


def pods_on_node(pod_informer, node_name: str) -> list[dict]:
    """``getPodsAssignedToNode`` through the ``spec.nodeName`` index, in a stable order."""
    return sorted(pod_informer.indexer.by_index("spec.nodeName", node_name), key=meta_namespace_key)


def ensure_node_name_index(pod_informer) -> None:
    if "spec.nodeName" not in pod_informer.indexer.indexers:
        pod_informer.indexer.add_indexer("spec.nodeName", _node_name_index)


async def _patch_taints(kernel: Kernel, client: Client, name: str,
                        edit: Callable[[list[dict]], Optional[list[dict]]]) -> None:
    """``RetryOnConflict(UpdateTaintBackoff, …)`` around GET (the first from the API server's cache,
    ``resourceVersion=0``) and ``PatchNodeTaints``: a strategic merge patch of the whole
    ``spec.taints`` list carrying the node's resourceVersion, so a concurrent change is a 409.
    ``edit`` returns the new taints, or None when there is nothing to change."""
    for step in range(UPDATE_TAINT_STEPS):
        query = (("resourceVersion", "0"),) if step == 0 else ()
        node = await client.request("GET", f"/api/v1/nodes/{name}", query)
        taints = edit(copy.deepcopy(node.get("spec", {}).get("taints") or []))
        if taints is None:
            return
        patch = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]}, "spec": {"taints": taints}}
        try:
            await client.patch(NODES, "", name, patch, STRATEGIC_PATCH)
            return
        except errors.StatusError as error:
            if error.code != 409 or step == UPDATE_TAINT_STEPS - 1:
                raise
        await kernel.sleep(UPDATE_TAINT_DURATION * (1 + kernel.rng.random()))


async def add_or_update_taint_on_node(kernel: Kernel, client: Client, name: str, *taints: dict) -> None:
    """``AddOrUpdateTaintOnNode``: a taint with the same key and effect is replaced (so its
    ``timeAdded`` moves) unless it is identical; a new one is appended."""
    def edit(current: list[dict]) -> Optional[list[dict]]:
        updated = False
        for taint in taints:
            i = next((i for i, t in enumerate(current) if match_taint(t, taint)), None)
            if i is None:
                current.append(dict(taint))
                updated = True
            elif current[i] != taint:
                current[i] = dict(taint)
                updated = True
        return current if updated else None
    await _patch_taints(kernel, client, name, edit)


async def remove_taint_off_node(kernel: Kernel, client: Client, node: dict, *taints: dict) -> None:
    """``RemoveTaintOffNode``: nothing to do (and no request) when the node we hold has none of them."""
    if not any(taint_exists(node.get("spec", {}).get("taints"), t) for t in taints):
        return

    def edit(current: list[dict]) -> Optional[list[dict]]:
        kept = [t for t in current if not any(match_taint(t, r) for r in taints)]
        return kept if len(kept) != len(current) else None
    await _patch_taints(kernel, client, node["metadata"]["name"], edit)


async def swap_node_controller_taint(kernel: Kernel, client: Client, node: dict, to_add: list[dict],
                                     to_remove: list[dict]) -> bool:
    """``SwapNodeControllerTaint``: stamp ``timeAdded`` on the new taints, add them, then remove the
    others (two patches: for a moment the node carries both). False if the API server refused."""
    stamp = rfc3339(kernel.now)
    try:
        if to_add:
            await add_or_update_taint_on_node(kernel, client, node["metadata"]["name"],
                                              *({**t, "timeAdded": stamp} for t in to_add))
        if to_remove:
            await remove_taint_off_node(kernel, client, node, *to_remove)
    except (errors.StatusError, Timeout):
        return False
    return True


def node_ref(node: dict) -> dict:
    """The ObjectReference RecordNodeEvent builds: a Node with its name and uid, no namespace."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node["metadata"]["name"],
                                                             "uid": node["metadata"].get("uid")}}


# -- the node lifecycle controller --------------------------------------------------------------
@dataclass
class NodeHealthData:
    """What the controller last saw of a node: ``probe_timestamp`` moves whenever the Ready
    heartbeat or the Lease's renewTime moves; the node is Unknown once it is older than the
    grace period."""
    probe_timestamp: float
    ready_transition_timestamp: float
    status: dict
    lease: Optional[dict] = None


class TokenBucket:
    """``flowcontrol.NewTokenBucketRateLimiter(qps, burst)``: TryAccept takes a token if one is there."""

    def __init__(self, kernel: Kernel, qps: float, burst: int = EVICTION_RATE_LIMITER_BURST):
        self.kernel, self.qps, self.burst = kernel, qps, burst
        self.tokens, self.last = float(burst), kernel.now

    def try_accept(self) -> bool:
        if self.qps <= 0:                     # NewFakeNeverRateLimiter
            return False
        now = self.kernel.now
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class TimedValue:
    value: str
    uid: str
    added_at: float
    process_at: float


@dataclass
class RateLimitedTimedQueue:
    """``scheduler.RateLimitedTimedQueue`` over a UniqueQueue: a node is added once until it is
    explicitly removed (``remove``), even after it has been processed (invariant: ``queue`` holds a
    subset of ``members``; ``members`` minus ``queue`` are done and may not be re-added)."""
    limiter: TokenBucket
    queue: list = field(default_factory=list)           # TimedValue, by (process_at, value)
    members: dict = field(default_factory=dict)         # value -> None

    def add(self, value: str, uid: str, now: float) -> bool:
        if value in self.members:
            return False
        self.members[value] = None
        self.queue.append(TimedValue(value, uid, now, now))
        self.queue.sort(key=lambda v: (v.process_at, v.value))
        return True

    def remove(self, value: str) -> bool:
        self.queue = [v for v in self.queue if v.value != value]
        return self.members.pop(value, "absent") != "absent"

    def swap_limiter(self, qps: float) -> None:
        if self.limiter.qps == qps:
            return
        new = TokenBucket(self.limiter.kernel, qps)
        if qps > 0 and not self.limiter.try_accept():
            new.try_accept()                  # we were waiting for a token: so does the new bucket
        self.limiter = new

    async def try_(self, now: Callable[[], float], fn: Callable[[TimedValue], Awaitable[tuple[bool, float]]]) -> None:
        while self.queue:
            if not self.limiter.try_accept():
                return
            head = self.queue[0]
            if now() < head.process_at:
                return
            ok, wait = await fn(head)
            if head not in self.queue:        # removed while we were away
                continue
            self.queue.remove(head)
            if not ok:
                head.process_at = now() + wait + 1e-9
                self.queue.append(head)
                self.queue.sort(key=lambda v: (v.process_at, v.value))


class NodeLifecycleController(Controller):
    """Keys of its queue: a node name (doNoScheduleTaintingPass) or ("pod", namespace, name)
    (processPod: a pod bound to a node that is not Ready is marked not ready)."""
    NAME = "node-lifecycle-controller"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 monitor_period: float = NODE_MONITOR_PERIOD, grace_period: float = NODE_MONITOR_GRACE_PERIOD,
                 startup_grace_period: float = NODE_STARTUP_GRACE_PERIOD, eviction_qps: float = EVICTION_LIMITER_QPS,
                 secondary_eviction_qps: float = SECONDARY_EVICTION_LIMITER_QPS,
                 large_cluster_threshold: int = LARGE_CLUSTER_SIZE_THRESHOLD,
                 unhealthy_zone_threshold: float = UNHEALTHY_ZONE_THRESHOLD):
        super().__init__(kernel, workers=8)
        self.client, self.recorder = client, recorder
        self.monitor_period, self.grace_period = monitor_period, grace_period
        self.startup_grace_period = startup_grace_period
        self.eviction_qps, self.secondary_eviction_qps = eviction_qps, secondary_eviction_qps
        self.large_cluster_threshold, self.unhealthy_zone_threshold = large_cluster_threshold, unhealthy_zone_threshold
        self.node_health: dict[str, NodeHealthData] = {}      # node name -> last observation
        self.known_nodes: dict[str, dict] = {}                # knownNodeSet
        self.zone_states: dict[str, str] = {}                 # zone -> Normal | PartialDisruption | FullDisruption
        self.zone_tainter: dict[str, RateLimitedTimedQueue] = {}   # zoneNoExecuteTainter
        self.nodes_to_retry: dict[str, None] = {}             # MarkPodsNotReady failed; retry next pass
        self._tainter_wake = None                             # set when the tainting pass has work
        self.node_informer = factory.informer(NODES)
        self.lease_informer = factory.informer(LEASES)
        self.pod_informer = factory.informer(PODS)
        ensure_node_name_index(self.pod_informer)
        self.node_informer.add_event_handler(lambda n: self.enqueue(n["metadata"]["name"]),
                                             lambda old, new: self.enqueue(new["metadata"]["name"]),
                                             lambda n: self.nodes_to_retry.pop(n["metadata"]["name"], None))
        self.pod_informer.add_event_handler(lambda p: self._pod_updated(None, p), self._pod_updated)

    def run(self, owner: str) -> None:
        super().run(owner)
        self.kernel.spawn(self._monitor_loop(), "monitorNodeHealth", cause=None, owner=owner)
        self.kernel.spawn(self._tainting_loop(), "doNoExecuteTaintingPass", cause=None, owner=owner)

    # -- the queue: NoSchedule taints and pods on unready nodes ------------------------------------
    def _pod_updated(self, old: Optional[dict], pod: dict) -> None:
        node_name = pod.get("spec", {}).get("nodeName")
        if node_name and (old is None or old.get("spec", {}).get("nodeName") != node_name):
            self.enqueue(("pod", pod["metadata"]["namespace"], pod["metadata"]["name"]))

    async def sync(self, key) -> None:
        if isinstance(key, tuple):
            await self.process_pod(key[1], key[2])
        else:
            await self.do_no_schedule_tainting_pass(key)

    async def do_no_schedule_tainting_pass(self, name: str) -> None:
        """Make the node's NoSchedule condition taints (and the unschedulable one) match its conditions."""
        node = self.node_informer.lister.get("", name)
        if node is None:
            return
        wanted = []
        for condition in node.get("status", {}).get("conditions") or ():
            key = CONDITION_TAINTS.get(condition.get("type"), {}).get(condition.get("status"))
            if key:
                wanted.append({"key": key, "effect": "NoSchedule"})
        if node.get("spec", {}).get("unschedulable"):
            wanted.append({"key": UNSCHEDULABLE, "effect": "NoSchedule"})
        present = [t for t in node.get("spec", {}).get("taints") or () if t.get("effect") == "NoSchedule"
                   and (t.get("key") == UNSCHEDULABLE or t.get("key") in CONDITION_TAINT_KEYS)]
        to_add = [t for t in wanted if not taint_exists(present, t)]
        to_remove = [t for t in present if not taint_exists(wanted, t)]
        if to_add or to_remove:
            # Upstream logs a failure and waits for the next node update (no requeue).
            await swap_node_controller_taint(self.kernel, self.client, node, to_add, to_remove)

    async def process_pod(self, namespace: str, name: str) -> None:
        pod = self.pod_informer.lister.get(namespace, name)
        if pod is None:
            return
        node_name = pod["spec"].get("nodeName", "")
        health = self.node_health.get(node_name)
        if health is None or self.node_informer.lister.get("", node_name) is None:
            return
        ready = node_condition(health.status, "Ready")
        if ready is not None and ready.get("status") != "True":
            await self.mark_pods_not_ready([pod], node_name)

    # -- monitorNodeHealth ---------------------------------------------------------------------
    async def _monitor_loop(self) -> None:
        """``wait.Until(monitorNodeHealth, nodeMonitorPeriod)``: the period starts when a pass ends."""
        task = self.kernel.current
        while True:
            await self.monitor_node_health()
            task.cause = None
            await self.kernel.sleep(self.monitor_period)

    async def monitor_node_health(self) -> None:
        nodes = sorted(self.node_informer.lister.list(), key=lambda n: n["metadata"]["name"])
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:                                       # classifyNodes: added
            name = node["metadata"]["name"]
            if name not in self.known_nodes:
                self.recorder.event(node_ref(node), "Normal", "RegisteredNode",
                                    f"Node {name} event: Registered Node {name} in Controller")
                self.known_nodes[name] = node
                self._add_zone(node)
                await self.mark_node_as_reachable(node)
        for name in [n for n in self.known_nodes if n not in names]:   # deleted
            gone = self.known_nodes.pop(name)
            self.recorder.event(node_ref(gone), "Normal", "RemovingNode",
                                f"Node {name} event: Removing Node {name} from Controller")
            self.node_health.pop(name, None)
        zone_conditions: dict[str, list] = {}
        tasks = [self.kernel.spawn(self._update_node(copy.deepcopy(node), zone_conditions),
                                   f"updateNode {node['metadata']['name']}") for node in nodes]
        for task in tasks:
            await task
        await self.handle_disruption(zone_conditions, nodes)

    async def _update_node(self, node: dict, zone_conditions: dict) -> None:
        name = node["metadata"]["name"]
        for _ in range(NODE_HEALTH_UPDATE_RETRY):
            try:
                observed, current = await self.try_update_node_health(node)
                break
            except (errors.StatusError, Timeout):
                await self.kernel.sleep(RETRY_SLEEP_TIME)
                try:
                    node = await self.client.get(NODES, "", name)
                except (errors.StatusError, Timeout):
                    return                      # "Probably Node was deleted"
        else:
            return                              # "Skipping - no pods will be evicted"
        labels = node["metadata"].get("labels") or {}
        if "node.kubernetes.io/exclude-disruption" not in labels:
            zone_conditions.setdefault(zone_key(node), []).append(current)
        if current is None:
            return
        await self.process_taint_base_eviction(node, observed)
        pods = pods_on_node(self.pod_informer, name)
        became_unready = current["status"] != "True" and observed["status"] == "True"
        if became_unready:
            self.recorder.event(node_ref(node), "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        if became_unready or (name in self.nodes_to_retry and current["status"] != "True"):
            if not await self.mark_pods_not_ready(pods, name):
                self.nodes_to_retry[name] = None
                return
        self.nodes_to_retry.pop(name, None)

    async def try_update_node_health(self, node: dict) -> tuple[dict, Optional[dict]]:
        """Returns (the Ready condition as observed, the Ready condition now); sets the node's
        conditions to Unknown once its heartbeats are older than the grace period. ``node`` is the
        caller's copy; the health data keeps a reference to its status, as upstream keeps a pointer."""
        now = self.kernel.now
        meta = node["metadata"]
        name = meta["name"]
        status = node.setdefault("status", {})
        created = parse_rfc3339(meta["creationTimestamp"]) if meta.get("creationTimestamp") else now
        health = self.node_health.get(name)
        current = node_condition(status, "Ready")
        if current is None:
            # Never posted status: a fake Unknown condition as of creation, and the startup grace period.
            observed = {"type": "Ready", "status": "Unknown",
                        "lastHeartbeatTime": meta.get("creationTimestamp"),
                        "lastTransitionTime": meta.get("creationTimestamp")}
            grace = self.startup_grace_period
            if health is not None:
                health.status = status
            else:
                health = NodeHealthData(created, created, status)
        else:
            observed = copy.deepcopy(current)
            grace = self.grace_period
        saved = node_condition(health.status, "Ready") if health is not None else None
        saved_lease = health.lease if health is not None else None
        if health is None or (saved is None) != (current is None):
            health = NodeHealthData(now, now, status)
        elif current is not None and saved.get("lastHeartbeatTime") != current.get("lastHeartbeatTime"):
            transition = now if saved.get("lastTransitionTime") != current.get("lastTransitionTime") \
                else health.ready_transition_timestamp
            health = NodeHealthData(now, transition, status)     # (upstream drops the saved lease here too)
        # A renewed Lease counts as a heartbeat: a kubelet that renews but never posts status is healthy.
        lease = self.lease_informer.lister.get(NODE_LEASE_NAMESPACE, name)
        if lease is not None and (saved_lease is None or _renew_time(saved_lease) < _renew_time(lease)):
            health.lease = lease
            health.probe_timestamp = now
        self.node_health[name] = health
        if now > health.probe_timestamp + grace:
            stamp = rfc3339(now)
            conditions = status.setdefault("conditions", [])
            for ctype in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):   # not NetworkUnavailable
                condition = node_condition(status, ctype)
                if condition is None:
                    conditions.append({"type": ctype, "status": "Unknown",
                                       "lastHeartbeatTime": meta.get("creationTimestamp"), "lastTransitionTime": stamp,
                                       "reason": "NodeStatusNeverUpdated",
                                       "message": "Kubelet never posted node status."})
                elif condition["status"] != "Unknown":
                    condition.update(status="Unknown", reason="NodeStatusUnknown",
                                     message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
            current = node_condition(status, "Ready")
            if current != observed:
                updated = await self.client.update_status(NODES, node)
                node["metadata"] = updated["metadata"]
                self.node_health[name] = NodeHealthData(health.probe_timestamp, now, status, lease)
        return observed, current

    # -- NoExecute taints --------------------------------------------------------------------
    async def process_taint_base_eviction(self, node: dict, observed: dict) -> None:
        status = observed.get("status")
        taints = node.get("spec", {}).get("taints") or ()
        if status == "False":
            if taint_exists(taints, UNREACHABLE_TAINT):      # swap at once, no rate limit
                await swap_node_controller_taint(self.kernel, self.client, node, [NOT_READY_TAINT], [UNREACHABLE_TAINT])
            else:
                self._mark_node_for_tainting(node)
        elif status == "Unknown":
            if taint_exists(taints, NOT_READY_TAINT):
                await swap_node_controller_taint(self.kernel, self.client, node, [UNREACHABLE_TAINT], [NOT_READY_TAINT])
            else:
                self._mark_node_for_tainting(node)
        elif status == "True":
            await self.mark_node_as_reachable(node)

    def _mark_node_for_tainting(self, node: dict) -> None:
        self._add_zone(node)
        queue = self.zone_tainter[zone_key(node)]
        if queue.add(node["metadata"]["name"], node["metadata"].get("uid", ""), self.kernel.now):
            self._wake_tainter()

    async def mark_node_as_reachable(self, node: dict) -> bool:
        """Remove both NoExecute taints (no request for one the node does not carry) and forget the
        node in its zone's tainting queue, so that it may be tainted again later."""
        for taint in (UNREACHABLE_TAINT, NOT_READY_TAINT):
            try:
                await remove_taint_off_node(self.kernel, self.client, node, taint)
            except (errors.StatusError, Timeout):
                return False                  # "Failed to remove taints from node. Will retry in next iteration"
        self._add_zone(node)
        return self.zone_tainter[zone_key(node)].remove(node["metadata"]["name"])

    def _wake_tainter(self) -> None:
        if self._tainter_wake is not None and not self._tainter_wake.done():
            self._tainter_wake.set_result(None)

    async def _tainting_loop(self) -> None:
        """``wait.Until(doNoExecuteTaintingPass, NodeEvictionPeriod)``; it sleeps on a future while
        every zone's queue is empty (an idle pass does nothing anyway)."""
        task = self.kernel.current
        while True:
            if not any(q.queue for q in self.zone_tainter.values()):
                self._tainter_wake = self.kernel.future()
                await self._tainter_wake
            await self.do_no_execute_tainting_pass()
            task.cause = None
            await self.kernel.sleep(NODE_EVICTION_PERIOD)

    async def do_no_execute_tainting_pass(self) -> None:
        for zone in sorted(self.zone_tainter):
            await self.zone_tainter[zone].try_(lambda: self.kernel.now, self._taint)

    async def _taint(self, value: TimedValue) -> tuple[bool, float]:
        node = self.node_informer.lister.get("", value.value)
        if node is None:
            return True, 0.0
        ready = node_condition(node.get("status"), "Ready")
        if ready is None:
            return False, 0.05
        if ready["status"] == "False":
            add, opposite = NOT_READY_TAINT, UNREACHABLE_TAINT
        elif ready["status"] == "Unknown":
            add, opposite = UNREACHABLE_TAINT, NOT_READY_TAINT
        else:
            return True, 0.0                   # Ready again: nothing to taint
        return await swap_node_controller_taint(self.kernel, self.client, node, [add], [opposite]), 0.0

    # -- zones and disruption --------------------------------------------------------------------
    def _add_zone(self, node: dict) -> None:
        zone = zone_key(node)
        if zone not in self.zone_states:
            self.zone_states[zone] = STATE_INITIAL
            self.zone_tainter[zone] = RateLimitedTimedQueue(TokenBucket(self.kernel, self.eviction_qps))

    def compute_zone_state(self, conditions: list) -> tuple[int, str]:
        ready = sum(1 for c in conditions if c is not None and c.get("status") == "True")
        not_ready = len(conditions) - ready
        if ready == 0 and not_ready > 0:
            return not_ready, STATE_FULL
        if not_ready > 2 and not_ready / (not_ready + ready) >= self.unhealthy_zone_threshold:
            return not_ready, STATE_PARTIAL
        return not_ready, STATE_NORMAL

    async def handle_disruption(self, zone_conditions: dict, nodes: list[dict]) -> None:
        """Zone states from this pass's Ready conditions; eviction rates follow them. When every
        zone has lost every node the fault is more likely the control plane's own network than the
        nodes: stop evicting and take the NoExecute taints back off ("master disruption mode")."""
        new_states = {}
        for zone in sorted(zone_conditions):
            new_states[zone] = self.compute_zone_state(zone_conditions[zone])[1]
            self.zone_states.setdefault(zone, STATE_INITIAL)
        all_are_full = all(state == STATE_FULL for state in new_states.values())
        all_were_full = True
        for zone in list(self.zone_states):
            if zone not in zone_conditions:
                del self.zone_states[zone]
            elif self.zone_states[zone] != STATE_FULL:
                all_were_full = False
                break
        if all_are_full and all_were_full:
            return
        if all_are_full:                                         # entering master disruption mode
            for node in nodes:
                await self.mark_node_as_reachable(node)
            for zone in self.zone_states:
                self.zone_tainter[zone].swap_limiter(0.0)
                self.zone_states[zone] = STATE_FULL
            return
        if all_were_full:                                        # leaving it: a fresh grace period for all
            now = self.kernel.now
            for node in nodes:
                health = self.node_health.get(node["metadata"]["name"])
                if health is not None:
                    health.probe_timestamp = health.ready_transition_timestamp = now
            for zone in self.zone_states:
                self._set_limiter_in_zone(zone, len(zone_conditions[zone]), new_states[zone])
                self.zone_states[zone] = new_states[zone]
            return
        for zone, state in list(self.zone_states.items()):
            if state != new_states[zone]:
                self._set_limiter_in_zone(zone, len(zone_conditions[zone]), new_states[zone])
                self.zone_states[zone] = new_states[zone]

    def _set_limiter_in_zone(self, zone: str, zone_size: int, state: str) -> None:
        if state == STATE_PARTIAL:     # ReducedQPSFunc: slower in a large cluster, none in a small one
            qps = self.secondary_eviction_qps if zone_size > self.large_cluster_threshold else 0.0
        else:                          # Normal, or FullDisruption of one zone among others (HealthyQPSFunc)
            qps = self.eviction_qps
        self.zone_tainter[zone].swap_limiter(qps)

    # -- MarkPodsNotReady ---------------------------------------------------------------------
    async def mark_pods_not_ready(self, pods: list[dict], node_name: str) -> bool:
        """Set each pod's Ready condition to False (a PUT of pods/status); False if any failed."""
        ok = True
        for pod in pods:
            if pod["spec"].get("nodeName") != node_name:
                continue
            conditions = pod.get("status", {}).get("conditions") or []
            index = next((i for i, c in enumerate(conditions) if c.get("type") == "Ready"), None)
            if index is None or conditions[index].get("status") == "False":
                continue
            updated = copy.deepcopy(pod)
            condition = updated["status"]["conditions"][index]
            condition["status"] = "False"
            condition["lastTransitionTime"] = rfc3339(self.kernel.now)
            try:
                await self.client.update_status(PODS, updated)
            except errors.StatusError as error:
                if error.code == 404:
                    continue
                ok = False
            except Timeout:
                ok = False
            self.recorder.event(updated, "Warning", "NodeNotReady", "Node is not ready")
        return ok


def _renew_time(lease: dict) -> float:
    renew = lease.get("spec", {}).get("renewTime")
    return parse_rfc3339(renew) if renew else float("-inf")


# -- the taint eviction controller ---------------------------------------------------------------
@dataclass
class TimedWorker:
    """One scheduled deletion (``timed_workers.go``); ``task`` sleeps until ``fire_at``."""
    created_at: float
    fire_at: float
    task: object = None
    fired: bool = False


class TaintEvictionController(Controller):
    """Keys of its queue: ("node", name) or ("pod", namespace, name)."""
    NAME = "taint-eviction-controller"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel, workers=1)
        self.client, self.recorder = client, recorder
        self.tainted_nodes: dict[str, list[dict]] = {}      # node -> its NoExecute taints (none: absent)
        # pod key -> its scheduled deletion; None once deleted (kept so it is not deleted twice).
        self.workers_by_pod: dict[str, Optional[TimedWorker]] = {}
        self.node_informer = factory.informer(NODES)
        self.pod_informer = factory.informer(PODS)
        ensure_node_name_index(self.pod_informer)
        self.node_informer.add_event_handler(lambda n: self._node_updated(None, n), self._node_updated,
                                             lambda n: self.enqueue(("node", n["metadata"]["name"])))
        self.pod_informer.add_event_handler(lambda p: self._pod_updated(p), lambda old, new: self._pod_updated(new),
                                            self._pod_updated)

    def _node_updated(self, old: Optional[dict], node: dict) -> None:
        if old is not None and _no_execute(old) == _no_execute(node):
            return
        self.enqueue(("node", node["metadata"]["name"]))

    def _pod_updated(self, pod: dict) -> None:
        self.enqueue(("pod", pod["metadata"]["namespace"], pod["metadata"]["name"]))

    async def sync(self, key: tuple) -> None:
        if key[0] == "node":
            self.handle_node_update(key[1])
        else:
            self.handle_pod_update(key[1], key[2])

    def handle_node_update(self, name: str) -> None:
        node = self.node_informer.lister.get("", name)
        if node is None:
            self.tainted_nodes.pop(name, None)
            return
        taints = _no_execute(node)
        if taints:
            self.tainted_nodes[name] = taints
        else:
            self.tainted_nodes.pop(name, None)
        pods = pods_on_node(self.pod_informer, name)
        if not taints:
            for pod in pods:
                self.cancel_work_with_event(pod["metadata"]["namespace"], pod["metadata"]["name"])
            return
        now = self.kernel.now
        for pod in pods:
            self.process_pod_on_node(pod, name, taints, now)

    def handle_pod_update(self, namespace: str, name: str) -> None:
        pod = self.pod_informer.lister.get(namespace, name)
        if pod is None:
            self.cancel_work_with_event(namespace, name)
            return
        node_name = pod["spec"].get("nodeName")
        taints = self.tainted_nodes.get(node_name) if node_name else None
        if taints:
            self.process_pod_on_node(pod, node_name, taints, self.kernel.now)

    def process_pod_on_node(self, pod: dict, node_name: str, taints: list[dict], now: float) -> None:
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        all_tolerated, used = matching_tolerations(taints, pod["spec"].get("tolerations") or [])
        if not all_tolerated:
            self.cancel_work_with_event(namespace, name)
            self.add_work(namespace, name, now, now)
            return
        minimum = min_toleration_time(used)
        if minimum < 0:
            self.cancel_work_with_event(namespace, name)
            return
        start, trigger = now, now + minimum
        key = f"{namespace}/{name}"
        scheduled = self.workers_by_pod.get(key)
        if scheduled is not None:
            start = scheduled.created_at
            if start + minimum < trigger:       # the running clock already ends sooner: keep it
                return
            self.cancel_work_with_event(namespace, name)
        self.add_work(namespace, name, start, trigger)

    # -- TimedWorkerQueue ---------------------------------------------------------------------
    def add_work(self, namespace: str, name: str, created_at: float, fire_at: float) -> None:
        key = f"{namespace}/{name}"
        if key in self.workers_by_pod:          # "Trying to add already existing work, skipping"
            return
        worker = TimedWorker(created_at, fire_at)
        self.workers_by_pod[key] = worker
        worker.task = self.kernel.spawn(self._fire(key, worker, namespace, name), f"evict {key}")

    def cancel_work(self, key: str) -> bool:
        if key not in self.workers_by_pod:
            return False
        worker = self.workers_by_pod.pop(key)
        if worker is None:
            return False
        if not worker.fired:
            worker.task.cancel()
        return True

    def cancel_work_with_event(self, namespace: str, name: str) -> None:
        if self.cancel_work(f"{namespace}/{name}"):
            self.recorder.event(_pod_ref(namespace, name), "Normal", "TaintManagerEviction",
                                f"Cancelling deletion of Pod {namespace}/{name}")

    async def _fire(self, key: str, worker: TimedWorker, namespace: str, name: str) -> None:
        delay = worker.fire_at - self.kernel.now
        if delay > 0:
            await self.kernel.sleep(delay)
        worker.fired = True
        self.recorder.event(_pod_ref(namespace, name), "Normal", "TaintManagerEviction",
                            f"Marking for deletion Pod {namespace}/{name}")
        ok = False
        for _ in range(DELETE_RETRIES):
            if await self._add_condition_and_delete_pod(namespace, name):
                ok = True
                break
            await self.kernel.sleep(0.01)
        if ok:
            self.workers_by_pod[key] = None     # kept, so that the pod is not scheduled for deletion again
        else:
            self.workers_by_pod.pop(key, None)

    async def _add_condition_and_delete_pod(self, namespace: str, name: str) -> bool:
        """The DisruptionTarget condition (PodDisruptionConditions, GA in v1.31), then the delete."""
        try:
            pod = await self.client.get(PODS, namespace, name)
            conditions = pod.get("status", {}).get("conditions") or []
            target = next((c for c in conditions if c.get("type") == "DisruptionTarget"), None)
            wanted = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                      "message": "Taint manager: deleting due to NoExecute taint"}
            if target is None or any(target.get(k) != v for k, v in wanted.items()):
                condition = {**wanted, "lastProbeTime": None, "lastTransitionTime": rfc3339(self.kernel.now)}
                if target is not None and target.get("status") == "True":
                    condition["lastTransitionTime"] = target.get("lastTransitionTime")
                await self.client.patch(PODS, namespace, name, {
                    "metadata": {"uid": pod["metadata"]["uid"]},
                    "status": {"conditions": [condition]}}, STRATEGIC_PATCH, "status")
            await self.client.delete(PODS, namespace, name)
            return True
        except (errors.StatusError, Timeout):
            return False


def _no_execute(node: dict) -> list[dict]:
    return [t for t in node.get("spec", {}).get("taints") or () if t.get("effect") == "NoExecute"]


def _pod_ref(namespace: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}
