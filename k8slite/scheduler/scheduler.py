"""kube-scheduler: watches unscheduled pods, picks a node for each, binds it.

Mirrors kubernetes v1.31 ``pkg/scheduler/schedule_one.go`` (scheduleOne →
schedulePod: findNodesThatFitPod with ``numFeasibleNodesToFind`` and a rotating start
index, prioritizeNodes with weighted plugin scores, selectHost with random
tie-breaking; then assume the pod in the cache and bind it asynchronously through the
``binding`` subresource), ``eventhandlers.go`` (which pods go to the queue and which to
the cache), ``internal/cache/cache.go`` (assumed pods), the FailedScheduling
message of ``framework.FitError`` and ``cmd/kube-scheduler/app/server.go`` (the informers
start at once; with ``--leader-elect``, the default, only the holder of the
``kube-system/kube-scheduler`` Lease runs the scheduling loop).

Simplified: the cache is used as the cycle's snapshot (no copy-on-write snapshot);
one profile, ``default-scheduler``, with the NodeAffinity pre-filter, NodeUnschedulable,
NodeName, TaintToleration, NodeAffinity and NodeResourcesFit filters and TaintToleration,
NodeAffinity, LeastAllocated and BalancedAllocation scores; no preemption yet.
"""
from __future__ import annotations

from typing import Optional

from ..api import errors
from ..api.meta import rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.leaderelection import LeaderElected
from ..client.rest import STRATEGIC_PATCH, Client
from ..sim import Kernel, Message, Network
from .framework import SKIP, CycleState, NodeInfo, Profile
from .plugins.nodeaffinity import NodeAffinity
from .plugins.noderesources import BalancedAllocation, Fit
from .plugins.nodeunschedulable import NodeName, NodeUnschedulable
from .plugins.tainttoleration import TaintToleration
from .queue import QueuedPodInfo, SchedulingQueue

PODS = SCHEME.by_resource("", "pods")
NODES = SCHEME.by_resource("", "nodes")
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def default_profile() -> Profile:
    taints = TaintToleration()
    affinity = NodeAffinity()
    fit = Fit()
    return Profile("default-scheduler", filters=[NodeUnschedulable(), NodeName(), taints, affinity, fit],
                   scorers=[(taints, 3), (affinity, 2), (fit, 1), (BalancedAllocation(), 1)],
                   pre_filters=[affinity])


def num_feasible_nodes_to_find(percentage: int, num_all_nodes: int) -> int:
    """How many feasible nodes are enough (``schedule_one.go``'s adaptive formula)."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND or percentage >= 100:
        return num_all_nodes
    adaptive = percentage
    if adaptive <= 0:
        adaptive = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    count = num_all_nodes * adaptive // 100
    return max(count, MIN_FEASIBLE_NODES_TO_FIND)


class Scheduler(LeaderElected):
    def __init__(self, kernel: Kernel, network: Network, name: str = "kube-scheduler", host: str = "control-plane",
                 percentage_of_nodes_to_score: int = 0, profile: Optional[Profile] = None,
                 leader_elect: bool = True):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.leader_elect = leader_elect
        self.percentage = percentage_of_nodes_to_score
        self.profile = profile or default_profile()
        self.scheduled = 0
        self.attempts = 0

    def start(self) -> None:
        self.client = Client(self.kernel, self.network, self.name, "system:kube-scheduler")
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.host, self._handle)
        self.recorder = EventRecorder(self.kernel, self.client, "default-scheduler")
        self.queue = SchedulingQueue(self.kernel)
        self.nodes: dict[str, NodeInfo] = {}       # insertion order is the snapshot's node order
        self.node_order: list[str] = []           # nodes the informer has seen, in arrival order
        self.placeholders: dict[str, None] = {}   # nodes known only from pods bound to them
        self.pod_nodes: dict[str, str] = {}       # assigned or assumed pod key -> node name
        self.assumed: dict[str, None] = {}
        self.next_start_node_index = 0
        self.factory = SharedInformerFactory(self.kernel, self.client, self.name)
        pods = self.factory.informer(PODS)
        pods.add_event_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        nodes = self.factory.informer(NODES)
        nodes.add_event_handler(self._on_node_add, self._on_node_update, self._on_node_delete)
        self.factory.start()
        # server.go Run: the informers run (and warm the cache) either way; only the leader schedules.
        if self.leader_elect:
            self.campaign("kube-scheduler", self._start_scheduling)
        else:
            self._start_scheduling()

    def _start_scheduling(self) -> None:
        self.kernel.spawn(self._run(), "scheduleOne loop", cause=None, owner=self.name)

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)
        self.stop_leading()

    def restart(self) -> None:
        self.start()

    def _handle(self, msg: Message) -> None:
        self.client.on_message(msg)

    # -- event handlers (eventhandlers.go) -----------------------------------------
    def _responsible(self, pod: dict) -> bool:
        return pod["spec"].get("schedulerName", "default-scheduler") == self.profile.scheduler_name

    def _cause(self) -> Optional[int]:
        return self.kernel.current.cause if self.kernel.current is not None else None

    def _on_pod_add(self, pod: dict) -> None:
        key = meta_namespace_key(pod)
        if pod["spec"].get("nodeName"):
            self._cache_add_pod(key, pod)
        elif self._responsible(pod) and not pod["metadata"].get("deletionTimestamp"):
            self.queue.add(key, pod, self._cause())

    def _on_pod_update(self, old: dict, pod: dict) -> None:
        key = meta_namespace_key(pod)
        if pod["spec"].get("nodeName"):
            self.queue.delete(key)
            self._cache_add_pod(key, pod)
            if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
                self._cache_remove_pod(key)
                self.queue.move_all_to_active_or_backoff(self._cause())
        elif self._responsible(pod) and not pod["metadata"].get("deletionTimestamp"):
            self.queue.update(key, pod, self._cause())

    def _on_pod_delete(self, pod: dict) -> None:
        key = meta_namespace_key(pod)
        self.queue.delete(key)
        if key in self.pod_nodes:
            self._cache_remove_pod(key)
            self.queue.move_all_to_active_or_backoff(self._cause())

    def _cache_add_pod(self, key: str, pod: dict) -> None:
        node = pod["spec"]["nodeName"]
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return
        self.assumed.pop(key, None)                # confirmed by the informer
        if self.pod_nodes.get(key) == node:
            return
        if key in self.pod_nodes:
            self._cache_remove_pod(key)
        self.pod_nodes[key] = node
        info = self.nodes.get(node)
        if info is None:     # the pod arrived before its node: a placeholder, not yet in node_order
            info = self.nodes[node] = NodeInfo({"metadata": {"name": node}})
            self.placeholders[node] = None
        info.add_pod(key, pod)

    def _cache_remove_pod(self, key: str) -> None:
        node = self.pod_nodes.pop(key, None)
        self.assumed.pop(key, None)
        if node is not None and node in self.nodes:
            self.nodes[node].remove_pod(key)

    def _on_node_add(self, node: dict) -> None:
        name = node["metadata"]["name"]
        info = self.nodes.get(name)
        if info is None:
            self.nodes[name] = NodeInfo(node)
            self.node_order.append(name)
        else:
            info.set_node(node)
            if name in self.placeholders:         # the placeholder becomes a real node
                del self.placeholders[name]
                self.node_order.append(name)
        self.queue.move_all_to_active_or_backoff(self._cause())

    def _on_node_update(self, old: dict, node: dict) -> None:
        self.nodes[node["metadata"]["name"]].set_node(node)
        if old.get("spec") != node.get("spec") or old["metadata"].get("labels") != node["metadata"].get("labels") or \
                old.get("status", {}).get("allocatable") != node.get("status", {}).get("allocatable"):
            self.queue.move_all_to_active_or_backoff(self._cause())

    def _on_node_delete(self, node: dict) -> None:
        name = node["metadata"]["name"]
        self.nodes.pop(name, None)
        self.placeholders.pop(name, None)
        if name in self.node_order:
            self.node_order.remove(name)

    # -- scheduleOne ----------------------------------------------------------------
    async def _run(self) -> None:
        await self.factory.wait_for_cache_sync()
        task = self.kernel.current
        while True:
            info = await self.queue.pop()
            task.cause = info.cause
            self.schedule_one(info)
            task.cause = None

    def run_pre_filter_plugins(self, state: CycleState, pod: dict) -> tuple[list[str], dict[str, tuple]]:
        """RunPreFilterPlugins: the nodes left to filter (all, or those the plugins narrowed the pod
        to) and the diagnosis of the others; a rejection leaves none and its message in the state."""
        allowed, narrowed_by = None, []
        for plugin in self.profile.pre_filters:
            names, status = plugin.pre_filter(state, pod)
            if status.code == SKIP:
                continue
            if not status.is_success():
                state["PreFilterMsg"] = status.reasons[0]
                return [], {name: status.reasons for name in self.node_order}
            if names is not None:
                narrowed_by.append(plugin.NAME)
                allowed = set(names) if allowed is None else allowed & set(names)
        if allowed is None:
            return self.node_order, {}
        reason = (f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowed_by))}]",)
        return [n for n in self.node_order if n in allowed], {n: reason for n in self.node_order if n not in allowed}

    def feasible_nodes(self, state: CycleState, pod: dict) -> tuple[list[NodeInfo], dict[str, tuple]]:
        """findNodesThatFitPod: walk the pre-filtered nodes from the rotating start until enough fit."""
        order, diagnosis = self.run_pre_filter_plugins(state, pod)
        total = len(order)
        wanted = num_feasible_nodes_to_find(self.percentage, total)
        feasible = []
        processed = 0
        for i in range(total):
            info = self.nodes[order[(self.next_start_node_index + i) % total]]
            processed += 1
            for plugin in self.profile.filters:
                status = plugin.filter(state, pod, info)
                if not status.is_success():
                    diagnosis[info.name] = status.reasons
                    break
            else:
                feasible.append(info)
                if len(feasible) >= wanted:
                    break
        if total:
            self.next_start_node_index = (self.next_start_node_index + processed) % total
        return feasible, diagnosis

    def prioritize(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> dict[str, int]:
        """prioritizeNodes: each plugin's normalised score times its weight, summed per node."""
        totals = {info.name: 0 for info in nodes}
        for plugin, weight in self.profile.scorers:
            scores = {info.name: plugin.score(state, pod, info) for info in nodes}
            plugin.normalize(state, pod, scores)
            for name, score in scores.items():
                totals[name] += score * weight
        return totals

    def select_host(self, totals: dict[str, int]) -> str:
        """The highest total; ties broken uniformly at random (reservoir sampling)."""
        best, selected, count = -1, "", 0
        for name, score in totals.items():
            if score > best:
                best, selected, count = score, name, 1
            elif score == best:
                count += 1
                if self.kernel.rng.randrange(count) == 0:
                    selected = name
        return selected

    def schedule_one(self, qinfo: QueuedPodInfo) -> None:
        pod = qinfo.pod
        self.attempts += 1
        state = CycleState()
        feasible, diagnosis = self.feasible_nodes(state, pod)
        if not feasible:
            self._fail(qinfo, fit_error_message(len(self.node_order), diagnosis, state.get("PreFilterMsg", "")))
            return
        host = feasible[0].name if len(feasible) == 1 else self.select_host(self.prioritize(state, pod, feasible))
        key = qinfo.key
        self.assumed[key] = None
        self.pod_nodes[key] = host
        self.nodes[host].add_pod(key, pod)             # assume: the next cycle sees the pod placed
        self.kernel.spawn(self._bind(qinfo, host), "bindingCycle")

    async def _bind(self, qinfo: QueuedPodInfo, host: str) -> None:
        pod = qinfo.pod
        meta = pod["metadata"]
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": host}}
        try:
            await self.client.create(PODS, meta["namespace"], binding, "binding", meta["name"])
        except errors.StatusError as error:
            self._cache_remove_pod(qinfo.key)          # forget the assumed pod
            if error.code == 404:
                self.queue.delete(qinfo.key)
                return
            self.recorder.event(pod, "Warning", "FailedScheduling", f"Binding rejected: {error}")
            self.queue.add_unschedulable(qinfo, backoff_only=True)
            return
        self.scheduled += 1
        self.queue.done(qinfo.key)
        self.recorder.event(pod, "Normal", "Scheduled",
                            f"Successfully assigned {meta['namespace']}/{meta['name']} to {host}")

    def _fail(self, qinfo: QueuedPodInfo, message: str) -> None:
        pod = qinfo.pod
        self.recorder.event(pod, "Warning", "FailedScheduling", message)
        self.queue.add_unschedulable(qinfo)
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        existing = [c for c in pod.get("status", {}).get("conditions") or () if c["type"] == "PodScheduled"]
        if existing and existing[0].get("message") == message:
            return
        self.kernel.spawn(self._update_condition(pod, condition), "updatePodStatus")

    async def _update_condition(self, pod: dict, condition: dict) -> None:
        condition = dict(condition, lastProbeTime=None, lastTransitionTime=rfc3339(self.kernel.now))
        try:
            await self.client.patch(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                    {"status": {"conditions": [condition]}}, STRATEGIC_PATCH, "status")
        except errors.StatusError:
            pass


def fit_error_message(num_nodes: int, diagnosis: dict[str, tuple], pre_filter_msg: str = "") -> str:
    """``FitError.Error()``: "0/N nodes are available: <count reason>, ... (sorted)."; a PreFilter
    rejection's message instead of the counts."""
    if pre_filter_msg:
        return f"0/{num_nodes} nodes are available: {pre_filter_msg}."
    histogram: dict[str, int] = {}
    for reasons in diagnosis.values():
        for reason in reasons:
            histogram[reason] = histogram.get(reason, 0) + 1
    parts = sorted(f"{count} {reason}" for reason, count in histogram.items())
    return f"0/{num_nodes} nodes are available: {', '.join(parts)}."
