"""The kubelet: registers its Node, keeps its Lease fresh, and runs the pods bound to it.

Mirrors kubernetes v1.31 ``pkg/kubelet/kubelet_node_status.go`` (registerWithAPIServer;
node status every ``nodeStatusUpdateFrequency`` 10 s, posted when it changed or every
``nodeStatusReportFrequency`` 5 min; the Ready condition and its
"container runtime network not ready" message until CNI has a pod CIDR),
``pkg/kubelet/nodelease`` (a Lease in ``kube-node-lease`` renewed every 10 s, a quarter
of its 40 s duration), ``pod_workers.go`` (one worker per pod, syncing the latest
state; a work queue entry per pod to sync it again later), ``kubelet.go`` (SyncPod: the
status first, then the runtime; a pod whose phase is terminal goes to SyncTerminatingPod,
which stops its containers and sandbox but keeps them for logs; the Evented PLEG with the
generic relist every ``eventedPlegRelistPeriod``, 300 s, so an idle node costs nothing per
second), ``kuberuntime/kuberuntime_manager.go`` (computePodActions, SyncPod, doBackOff,
KillPod with the grace period, at least ``minimumGracePeriodInSeconds``; see
``kuberuntime.py``), ``kuberuntime/kuberuntime_container.go`` (startContainer: the restart
count as the container's attempt; the Created/Started/Failed/Killing events),
``images/image_manager.go`` (pull policy; ErrImagePull, then ImagePullBackOff on a 10 s
doubling back-off), ``kubelet_pods.go`` (generateAPIPodStatus, getPhase; see
``status.py``; validateContainerLogStatus for ``kubectl logs`` and ``--previous``) and
``status/status_manager.go`` (a status is sent only when it differs from the last one
set; the final delete with grace period 0 once a terminating pod's containers are gone).

Simplified: no probes, init containers or admission of pods by resources on the node; pod
status goes as a JSON merge patch of the whole status (the kubelet computes a two-way
strategic patch instead); a sync that puts a container into back-off sends the waiting
reason at once (upstream shows it from the next sync); the pod worker syncs again exactly
when a back-off expires (v1.31 waits for its next resync, every ``syncFrequency`` of
1-1.5 min, which later releases fix), and does not resync pods every minute otherwise; dead
containers beyond the latest one of each name are removed when the container restarts,
not by a container GC every minute; transport errors retry after 2 s.
"""
from __future__ import annotations

import copy
import hashlib
from typing import Callable, Optional

from ..api import errors
from ..api.meta import owner_reference, rfc3339, rfc3339_nano
from ..api.quantity import milli_value
from ..api.scheme import SCHEME
from ..apiserver.request import Request, Response
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import MERGE_PATCH, STRATEGIC_PATCH, Client
from ..sim import Kernel, Message, Network, Timeout
from . import pleg
from .kuberuntime import (CONTAINER_BACKOFF_PERIOD, IMAGE_BACKOFF_PERIOD, MAX_CONTAINER_BACKOFF, MAX_IMAGE_BACKOFF,
                          Backoff, compute_pod_actions, format_pod, go_duration, stable_key)
from .status import TERMINAL, generate_api_pod_status

NODES = SCHEME.by_resource("", "nodes")
PODS = SCHEME.by_resource("", "pods")
LEASES = SCHEME.by_resource("coordination.k8s.io", "leases")
LEASE_DURATION = 40
NODE_STATUS_UPDATE_FREQUENCY = 10.0
NODE_STATUS_REPORT_FREQUENCY = 300.0
KUBELET_VERSION = "v1.31.0"
EVENTED_PLEG_RELIST_PERIOD = 300.0      # eventedPlegRelistPeriod: the generic relist beside the event stream
BACK_OFF_PERIOD = 10.0                  # backOffPeriod: the pod worker's wait after a failed sync
MINIMUM_GRACE_PERIOD = 2                # minimumGracePeriodInSeconds
RUNTIME_REQUEST_TIMEOUT = 120.0         # runtimeRequestTimeout
NODE_SYSTEM_WORKING_SET = 600_000_000   # the node's own processes (kubelet, containerd, system.slice)


class CRICallError(Exception):
    """A CRI call returned an error (the runtime's message)."""


def microtime(seconds: float) -> str:
    base = rfc3339(seconds)[:-1]
    return f"{base}.{int(round((seconds % 1) * 1e6)) % 1000000:06d}Z"


class Kubelet:
    def __init__(self, kernel: Kernel, network: Network, node: str, ip: str, cpu: str = "4", memory: str = "16Gi",
                 max_pods: int = 110, labels: Optional[dict] = None, taints: Optional[list] = None):
        self.kernel, self.network, self.node, self.ip = kernel, network, node, ip
        self.name = f"kubelet/{node}"
        self.runtime = f"containerd/{node}"
        self.capacity = {"cpu": cpu, "memory": memory, "pods": str(max_pods), "ephemeral-storage": "100Gi"}
        self.labels = dict(labels or {})
        self.taints = list(taints or [])
        self.pod_cidr: Optional[str] = None
        self.registered = False
        # The node's disk, where the runtime writes each container's log (set by whoever builds the node).
        self.read_log: Optional[Callable[[str], list]] = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        # The heartbeat client times out after nodeStatusUpdateFrequency, as the kubelet's does.
        self.client = Client(self.kernel, self.network, self.name, f"system:node:{self.node}", ("system:nodes",),
                             timeout=NODE_STATUS_UPDATE_FREQUENCY)
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.node, self._handle)
        self.recorder = EventRecorder(self.kernel, self.client, "kubelet", self.node)
        self.pods: dict[str, dict] = {}               # key -> latest pod from the informer
        self.keys: dict[str, str] = {}                # pod uid -> key, for the PLEG's events
        self.cache = pleg.Cache()                     # the runtime's view of each pod, kept by the PLEG
        self.statuses: dict[str, dict] = {}           # status manager: uid -> the status last sent
        self.reasons: dict[str, dict] = {}            # reason cache: uid -> container -> (reason, message)
        self.terminated: dict[str, None] = {}         # pods whose SyncTerminatingPod is done
        self.backoff = Backoff(self.kernel, CONTAINER_BACKOFF_PERIOD, MAX_CONTAINER_BACKOFF)
        self.image_backoff = Backoff(self.kernel, IMAGE_BACKOFF_PERIOD, MAX_IMAGE_BACKOFF)
        self.workers: dict[str, object] = {}
        self.dirty: dict[str, None] = {}              # keys whose worker must sync (again)
        self.requeues: dict[str, object] = {}         # key -> timer of its work queue entry
        self._stream_end = None
        self._relisted = self.kernel.future()         # done after the first relist: pods sync only then
        self.last_status: Optional[dict] = None
        self.last_report = -1e9
        factory = SharedInformerFactory(self.kernel, self.client, self.name)
        self.factory = factory
        pods = factory.informer(PODS, field_selector=f"spec.nodeName={self.node}")
        pods.add_event_handler(self._pod_event, self._pod_update, self._pod_removed)
        me = factory.informer(NODES, field_selector=f"metadata.name={self.node}")
        me.add_event_handler(self._node_event, lambda old, new: self._node_event(new))
        self.kernel.spawn(self._main(), "kubelet", cause=None, owner=self.name)

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        for handle in self.requeues.values():
            handle.cancel()
        self.network.down(self.name)

    def restart(self) -> None:
        self.start()

    def _handle(self, msg: Message) -> None:
        if msg.kind == "GET" and isinstance(msg.body, Request) and msg.body.path.startswith("/containerLogs/"):
            self.network.reply(msg, self._container_logs(msg.body), "200 OK logs")
            return
        if msg.kind == "GET" and isinstance(msg.body, Request) and msg.body.path == "/metrics/resource":
            self.kernel.spawn(self._resource_metrics(msg), "GET /metrics/resource", cause=msg.hop, owner=self.name)
            return
        if msg.kind == "GetContainerEvents" and msg.src == self.runtime and not msg.request_id:
            self._container_event(msg)
            return
        self.client.on_message(msg)

    # -- the kubelet's own HTTPS server (:10250): container logs ------------------------------
    def _container_logs(self, request: Request) -> Response:
        """``GET /containerLogs/{namespace}/{pod}/{container}`` (server.go getContainerLogs): the
        container's CRI log file (the node's disk), as kubectl logs prints it."""
        _, _, namespace, pod_name, container = request.path.split("/", 4)
        pod = self.pods.get(f"{namespace}/{pod_name}")
        if pod is None:
            return Response(404, f'pod "{pod_name}" not found')
        status = self.statuses.get(pod["metadata"]["uid"], pod.get("status") or {})
        cs = next((c for c in status.get("containerStatuses") or () if c["name"] == container), None)
        if cs is None or self.read_log is None:
            return Response(400, f'container "{container}" in pod "{pod_name}" is not available')
        state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated")
        if request.param("previous") == "true":
            if not last or not last.get("containerID"):
                return Response(400, f'previous terminated container "{container}" in pod "{pod_name}" not found')
            cid = last["containerID"]
        elif "running" in state or ("terminated" in state and state["terminated"].get("containerID")):
            cid = cs.get("containerID") or state["terminated"]["containerID"]
        elif last and last.get("containerID"):
            cid = last["containerID"]
        elif "terminated" in state:
            return Response(400, f'container "{container}" in pod "{pod_name}" is terminated')
        else:
            reason = (state.get("waiting") or {}).get("reason", "")
            why = {"ErrImagePull": "image can't be pulled",
                   "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
            return Response(400, f'container "{container}" in pod "{pod_name}" is waiting to start: {why}')
        cid = cid.split("://", 1)[-1]
        lines = self.read_log(cid)
        since = request.param("sinceSeconds")
        if since is not None:
            lines = [(t, line) for t, line in lines if t >= self.kernel.now - int(since)]
        tail = request.param("tailLines")
        if tail is not None:
            lines = lines[len(lines) - int(tail):] if int(tail) else []
        stamp = request.param("timestamps") == "true"
        text = "".join(f"{rfc3339_nano(t)} {line}\n" if stamp else f"{line}\n" for t, line in lines)
        limit = request.param("limitBytes")
        return Response(200, text[:int(limit)] if limit is not None else text)

    async def _resource_metrics(self, msg: Message) -> None:
        """``GET /metrics/resource`` (metrics/collectors/resource_metrics.go): the node's and each running
        container's cumulative CPU seconds and working-set memory, from the runtime's
        ListContainerStats, in the Prometheus text format with millisecond timestamps."""
        try:
            stats = await self._cri("ListContainerStats", "ListContainerStats")
        except CRICallError as error:
            self.network.reply(msg, Response(500, str(error)), "500 metrics")
            return
        now_ms = int(round(self.kernel.now * 1000))
        node_cpu = sum(s["usage_core_nano_seconds"] for s in stats) / 1e9
        node_memory = sum(s["working_set_bytes"] for s in stats) + NODE_SYSTEM_WORKING_SET
        lines = ["# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container "
                 "in core-seconds", "# TYPE container_cpu_usage_seconds_total counter"]
        ordered = sorted(stats, key=lambda s: (s["namespace"], s["pod"], s["name"]))
        for s in ordered:
            lines.append(f'container_cpu_usage_seconds_total{{container="{s["name"]}",namespace="{s["namespace"]}",'
                         f'pod="{s["pod"]}"}} {s["usage_core_nano_seconds"] / 1e9:.9f} {now_ms}')
        lines += ["# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes",
                  "# TYPE container_memory_working_set_bytes gauge"]
        for s in ordered:
            lines.append(f'container_memory_working_set_bytes{{container="{s["name"]}",namespace="{s["namespace"]}",'
                         f'pod="{s["pod"]}"}} {s["working_set_bytes"]} {now_ms}')
        lines += ["# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in "
                  "seconds", "# TYPE container_start_time_seconds gauge"]
        for s in ordered:
            lines.append(f'container_start_time_seconds{{container="{s["name"]}",namespace="{s["namespace"]}",'
                         f'pod="{s["pod"]}"}} {s["started_at"]:.3f} {now_ms}')
        lines += ["# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in "
                  "core-seconds", "# TYPE node_cpu_usage_seconds_total counter",
                  f"node_cpu_usage_seconds_total {node_cpu:.9f} {now_ms}",
                  "# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes",
                  "# TYPE node_memory_working_set_bytes gauge",
                  f"node_memory_working_set_bytes {node_memory} {now_ms}",
                  "# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 otherwise",
                  "# TYPE scrape_error gauge", "scrape_error 0"]
        self.network.reply(msg, Response(200, "\n".join(lines) + "\n", "text/plain"), "200 OK metrics")

    async def _cri(self, method: str, summary: str, timeout_: float = RUNTIME_REQUEST_TIMEOUT, **body):
        """A CRI call over the runtime's socket; its errors become CRICallError."""
        result = await self.network.request(self.name, self.runtime, method, summary, body, timeout=timeout_)
        if isinstance(result, Exception):
            raise CRICallError(str(result))
        return result

    async def _main(self) -> None:
        self.kernel.spawn(self._evented_pleg(), "EventedPLEG")
        self.kernel.spawn(self._generic_pleg(), "GenericPLEG relist")
        await self._register()
        self.factory.start()
        self.kernel.spawn(self._lease_loop(), "node lease")
        while True:
            try:
                await self._sync_node_status()
            except (errors.StatusError, Timeout):
                pass
            await self.kernel.sleep(NODE_STATUS_UPDATE_FREQUENCY)

    # -- the Node -------------------------------------------------------------------
    def _node_object(self) -> dict:
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux"}
        labels.update(self.labels)
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node, "labels": labels,
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": {}, "status": self._status()}
        if self.taints:
            node["spec"]["taints"] = copy.deepcopy(self.taints)
        return node

    def _status(self) -> dict:
        now = rfc3339(self.kernel.now)
        ready = self.pod_cidr is not None
        conditions = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else
            ("Ready", "False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false "
             "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")]
        previous = {c["type"]: c for c in (self.last_status or {}).get("conditions", ())}
        out = []
        for ctype, status, reason, message in conditions:
            old = previous.get(ctype)
            transition = old["lastTransitionTime"] if old and old["status"] == status else now
            out.append({"type": ctype, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": transition,
                        "reason": reason, "message": message})
        allocatable = dict(self.capacity)
        return {"capacity": dict(self.capacity), "allocatable": allocatable, "conditions": out,
                "addresses": [{"type": "InternalIP", "address": self.ip}, {"type": "Hostname", "address": self.node}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {"machineID": f"{abs(hash_str(self.node)):032x}"[:32],
                             "systemUUID": f"{abs(hash_str('uuid' + self.node)):032x}"[:32],
                             "bootID": f"{abs(hash_str('boot' + self.node)):032x}"[:32],
                             "kernelVersion": "6.1.0-k8slite", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "containerRuntimeVersion": "containerd://1.7.22", "kubeletVersion": KUBELET_VERSION,
                             "kubeProxyVersion": KUBELET_VERSION, "operatingSystem": "linux", "architecture": "amd64"}}

    async def _register(self) -> None:
        """registerWithAPIServer: create the Node, or find it already there; retry until it works."""
        delay = 0.1
        while not self.registered:
            try:
                node = self._node_object()
                self.last_status = node["status"]
                await self.client.create(NODES, "", node)
                self.registered = True
                self.last_report = self.kernel.now
            except errors.StatusError as error:
                if error.reason == "AlreadyExists":
                    self.registered = True
                    self.last_status = None
                else:
                    await self.kernel.sleep(delay)
                    delay = min(delay * 2, 7.0)

    def _node_event(self, node: dict) -> None:
        cidr = node.get("spec", {}).get("podCIDR")
        if cidr and cidr != self.pod_cidr:
            self.kernel.spawn(self._set_pod_cidr(cidr), "updatePodCIDR")

    async def _set_pod_cidr(self, cidr: str) -> None:
        await self._cri("UpdateRuntimeConfig", f"UpdateRuntimeConfig podCIDR={cidr}", pod_cidr=cidr)
        self.pod_cidr = cidr
        await self._sync_node_status()
        for key in list(self.pods):
            self._dispatch(key)

    async def _sync_node_status(self) -> None:
        status = self._status()
        changed = self.last_status is None or _without_heartbeats(status) != _without_heartbeats(self.last_status)
        if not changed and self.kernel.now - self.last_report < NODE_STATUS_REPORT_FREQUENCY:
            return
        await self.client.patch(NODES, "", self.node, {"status": status}, STRATEGIC_PATCH, "status")
        self.last_status = status
        self.last_report = self.kernel.now

    async def _lease_loop(self) -> None:
        """Renew every 10 s; after a failure, retry with back-off from 200 ms to 7 s (backoffEnsureLease)."""
        lease: Optional[dict] = None
        backoff = 0.2
        while True:
            try:
                lease = await self._renew(lease)
                backoff = 0.2
                await self.kernel.sleep(LEASE_DURATION / 4)
            except (errors.StatusError, Timeout):
                lease = None
                await self.kernel.sleep(backoff)
                backoff = min(backoff * 2, 7.0)

    async def _renew(self, lease: Optional[dict]) -> dict:
        now = microtime(self.kernel.now)
        if lease is None:
            try:
                lease = await self.client.get(LEASES, "kube-node-lease", self.node)
            except errors.StatusError as error:
                if error.code != 404:
                    raise
                node = await self.client.get(NODES, "", self.node)
                return await self.client.create(LEASES, "kube-node-lease", {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.node, "namespace": "kube-node-lease",
                                 "ownerReferences": [owner_reference(node, controller=False)]},
                    "spec": {"holderIdentity": self.node, "leaseDurationSeconds": LEASE_DURATION, "renewTime": now}})
        lease = copy.deepcopy(lease)
        lease["spec"]["renewTime"] = now
        return await self.client.update(LEASES, lease)

    # -- pods: the pod workers (pod_workers.go) ---------------------------------------------------
    def _pod_event(self, pod: dict) -> None:
        key = meta_namespace_key(pod)
        self.pods[key] = pod
        self.keys[pod["metadata"]["uid"]] = key
        self._dispatch(key)

    def _pod_removed(self, pod: dict) -> None:
        """HandlePodRemoves: a pod gone from the API (even without a graceful deletion) is killed."""
        if not pod["metadata"].get("deletionTimestamp"):
            pod = copy.deepcopy(pod)
            pod["metadata"]["deletionTimestamp"] = rfc3339(self.kernel.now)
        self._pod_event(pod)

    def _pod_update(self, old: dict, new: dict) -> None:
        """config.go checkAndUpdatePod: a change of spec, labels, annotations or deletion is an UPDATE the
        worker syncs; a change of status alone (the kubelet's own patches) is only a RECONCILE."""
        if _sync_relevant(old) == _sync_relevant(new) and meta_namespace_key(new) in self.pods:
            self.pods[meta_namespace_key(new)] = new
            return
        self._pod_event(new)

    def _dispatch(self, key: str, cause: Optional[int] = -1) -> None:
        """UpdatePod: one worker per pod; a busy worker picks the latest state up when done."""
        self.dirty[key] = None
        if key not in self.workers:
            self.workers[key] = self.kernel.spawn(self._pod_worker(key), f"podWorker {key}", cause=cause,
                                                  owner=self.name)

    def _requeue(self, key: str, delay: float) -> None:
        """The pod worker's work queue: sync ``key`` again after ``delay`` (one entry per pod, the latest wins)."""
        old = self.requeues.pop(key, None)
        if old is not None:
            old.cancel()
        self.requeues[key] = self.kernel.call_later(max(delay, 0.0), lambda _: self._dispatch(key, None))

    async def _pod_worker(self, key: str) -> None:
        try:
            while key in self.dirty:
                del self.dirty[key]
                pod = self.pods.get(key)
                if pod is None:
                    break
                try:
                    done = await self.sync_pod(pod)
                except (errors.StatusError, Timeout, CRICallError):
                    self._requeue(key, 2.0)                  # the pod worker's back-off
                    continue
                if done and self.pods.get(key, {}).get("metadata", {}).get("uid") == pod["metadata"]["uid"]:
                    self.pods.pop(key, None)             # (a new pod of the same name may have arrived meanwhile)
        finally:
            self.workers.pop(key, None)

    # -- pods: the PLEG (pleg/evented.go, pleg/generic.go) ------------------------------------------
    async def _evented_pleg(self) -> None:
        """Keep a GetContainerEvents stream open; when it fails, relist and open it again."""
        delay = 1.0
        while True:
            self._stream_end = self.kernel.future()
            try:
                await self._cri("GetContainerEvents", "GetContainerEvents")
                delay = 1.0
                await self._stream_end
            except (CRICallError, Timeout):
                pass
            await self.kernel.sleep(delay)
            delay = min(delay * 2, EVENTED_PLEG_RELIST_PERIOD)
            try:
                await self._relist()
            except (CRICallError, Timeout):
                pass

    async def _generic_pleg(self) -> None:
        """The relist that catches what the stream missed, every eventedPlegRelistPeriod (300 s); the first
        one, at start, fills the cache with what already runs (after a kubelet restart)."""
        while True:
            try:
                await self._relist()
            except (CRICallError, Timeout):
                pass
            self._relisted.set_result(None)
            await self.kernel.sleep(EVENTED_PLEG_RELIST_PERIOD)

    async def _relist(self) -> None:
        sandboxes = await self._cri("ListPodSandbox", "ListPodSandbox")
        containers = await self._cri("ListContainers", "ListContainers")
        for uid, kind in pleg.relist(self.cache, sandboxes, containers, self.kernel.now):
            if pleg.sync_worthy(kind) and uid in self.keys:
                self._dispatch(self.keys[uid])

    def _container_event(self, msg: Message) -> None:
        if isinstance(msg.body, Exception):               # the stream ended
            if self._stream_end is not None:
                self._stream_end.set_result(None)
            return
        for uid, kind in pleg.process_container_event(self.cache, msg.body):
            if pleg.sync_worthy(kind) and uid in self.keys:
                self._dispatch(self.keys[uid], msg.hop)

    # -- pods: SyncPod, SyncTerminatingPod (kubelet.go) ---------------------------------------------
    async def sync_pod(self, pod: dict) -> bool:
        """Sync the pod to its spec, or kill it; True once the pod is gone for good."""
        if not self._relisted.done():
            await self._relisted
        uid = pod["metadata"]["uid"]
        if pod["metadata"].get("deletionTimestamp"):
            await self.kill_pod(pod)
            try:
                await self.client.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], grace_period=0,
                                         preconditions={"uid": uid})
            except errors.StatusError as error:
                if error.code not in (404, 409):
                    raise
            self._forget(pod)
            return True
        if uid in self.terminated:
            return False
        api_status = self._generate(pod)
        await self._patch_status(pod, api_status)
        if api_status["phase"] in TERMINAL:
            await self._sync_terminating_pod(pod)
            return False
        if self.pod_cidr is None:
            self.recorder.event(pod, "Warning", "NetworkNotReady",
                                "network is not ready: container runtime network not ready: NetworkReady=false "
                                "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")
            return False
        before = dict(self.reasons.get(uid, {}))
        retry = await self._sync_runtime(pod)
        if self.reasons.get(uid, {}) != before:
            await self._patch_status(pod, self._generate(pod))    # the reason cache changed: waiting reason shown
        if retry is not None:
            self._requeue(meta_namespace_key(pod), retry)
        return False

    async def _sync_terminating_pod(self, pod: dict) -> None:
        """The pod reached Succeeded or Failed: stop what still runs and the sandbox (kept, not removed, so
        ``kubectl logs`` still works), report the final status, and leave the pod alone until it is deleted."""
        uid = pod["metadata"]["uid"]
        status = self.cache.get(uid)
        await self._kill_containers(pod, status.running(), self._grace_period(pod))
        for sandbox in status.sandboxes:
            if sandbox["state"] == "SANDBOX_READY":
                await self._cri("StopPodSandbox", f"StopPodSandbox {sandbox['id'][:12]}", pod_sandbox_id=sandbox["id"])
        await self._patch_status(pod, self._generate(pod, pod_is_terminal=True))
        self.terminated[uid] = None

    async def kill_pod(self, pod: dict) -> None:
        """KillPod: stop the running containers (in parallel, each with the grace period), then stop and remove
        the pod's sandboxes."""
        uid = pod["metadata"]["uid"]
        status = self.cache.get(uid)
        await self._kill_containers(pod, status.running(), self._grace_period(pod))
        for sandbox in status.sandboxes:
            await self._cri("StopPodSandbox", f"StopPodSandbox {sandbox['id'][:12]}", pod_sandbox_id=sandbox["id"])
            await self._cri("RemovePodSandbox", f"RemovePodSandbox {sandbox['id'][:12]}", pod_sandbox_id=sandbox["id"])
        self.cache.delete(uid)

    def _grace_period(self, pod: dict) -> int:
        grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        return max(int(grace), MINIMUM_GRACE_PERIOD)

    async def _kill_containers(self, pod: dict, containers: list[dict], grace: int) -> None:
        """killContainersWithSyncResult: one killContainer per container, all at once; the first error wins."""
        async def kill(cs: dict) -> Optional[Exception]:
            self.recorder.event(pod, "Normal", "Killing", f"Stopping container {cs['name']}")
            try:
                await self._cri("StopContainer", f"StopContainer {cs['id'][:12]}",
                                timeout_=grace + RUNTIME_REQUEST_TIMEOUT, container_id=cs["id"], timeout=grace)
            except (CRICallError, Timeout) as error:
                return error
            return None
        tasks = [self.kernel.spawn(kill(cs), f"killContainer {cs['name']}") for cs in containers]
        failures = [await task for task in tasks]
        for failure in failures:
            if failure is not None:
                raise failure

    def _forget(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        for table in (self.keys, self.statuses, self.reasons, self.terminated):
            table.pop(uid, None)
        self.cache.delete(uid)
        handle = self.requeues.pop(meta_namespace_key(pod), None)
        if handle is not None:
            handle.cancel()
        self.backoff.forget(stable_key(pod, {"name": ""}))
        self.image_backoff.forget(f"{uid}_")

    # -- pods: the runtime manager (kuberuntime_manager.go SyncPod) -----------------------------------
    async def _sync_runtime(self, pod: dict) -> Optional[float]:
        """Create the sandbox if needed and start the containers computePodActions names; returns when the
        pod worker should sync again (a back-off expiring, a failed start), or None."""
        uid = pod["metadata"]["uid"]
        status = self.cache.get(uid)
        actions = compute_pod_actions(pod, status)
        if actions.create_sandbox and actions.sandbox_id:
            self.recorder.event(pod, "Normal", "SandboxChanged",
                                "Pod sandbox changed, it will be killed and re-created.")
        if actions.kill_pod and (status.running() or status.sandbox_ready()):
            await self._kill_containers(pod, status.running(), self._grace_period(pod))
            for sandbox in status.sandboxes:
                if sandbox["state"] == "SANDBOX_READY":
                    await self._cri("StopPodSandbox", f"StopPodSandbox {sandbox['id'][:12]}",
                                    pod_sandbox_id=sandbox["id"])
        if not actions.create_sandbox and not actions.start:
            return None
        sandbox_id = actions.sandbox_id
        if actions.create_sandbox:
            meta = pod["metadata"]
            try:
                result = await self._cri("RunPodSandbox", f"RunPodSandbox {meta['namespace']}/{meta['name']}",
                                         name=meta["name"], namespace=meta["namespace"], uid=uid,
                                         attempt=actions.attempt)
            except CRICallError as error:
                self.recorder.event(pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {error}")
                return BACK_OFF_PERIOD
            sandbox_id = result["pod_sandbox_id"]
            status = self.cache.get(uid)
        retry: Optional[float] = None
        for container in actions.start:
            delay = await self._start_container(pod, container, status, sandbox_id)
            if delay is not None:
                retry = delay if retry is None else min(retry, delay)
        return retry

    async def _start_container(self, pod: dict, container: dict, status: pleg.PodStatus,
                               sandbox_id: str) -> Optional[float]:
        """doBackOff, then startContainer (image, create, start); the reason cache records a failure."""
        uid, name = pod["metadata"]["uid"], container["name"]
        reasons = self.reasons.setdefault(uid, {})
        exited = next((c for c in status.instances(name) if c["state"] == pleg.EXITED), None)
        if exited is not None:
            key = stable_key(pod, container)
            if self.backoff.in_backoff_since(key, exited["finished_at"]):
                self.recorder.event(pod, "Warning", "BackOff",
                                    f"Back-off restarting failed container {name} in pod {format_pod(pod)}")
                reasons[name] = ("CrashLoopBackOff", f"back-off {go_duration(self.backoff.get(key))} restarting "
                                                     f"failed container={name} pod={format_pod(pod)}")
                return exited["finished_at"] + self.backoff.get(key) - self.kernel.now
            self.backoff.next(key, exited["finished_at"])
        try:
            await self._ensure_image(pod, container)
        except ImageError as error:
            reasons[name] = (error.reason, error.message)
            return error.retry
        latest = status.find(name)
        command, args, envs = self._container_config(pod, container, status)
        try:
            created = await self._cri("CreateContainer", f"CreateContainer {name}", pod_sandbox_id=sandbox_id,
                                      name=name, image=container["image"],
                                      attempt=latest["attempt"] + 1 if latest is not None else 0,
                                      command=command, args=args, envs=envs, cpu_quota=cpu_quota(container))
        except CRICallError as error:
            self.recorder.event(pod, "Warning", "Failed", f"Error: {error}")
            reasons[name] = ("CreateContainerError", str(error))
            return BACK_OFF_PERIOD
        cid = created["container_id"]
        self.recorder.event(pod, "Normal", "Created", f"Created container {name}")
        try:
            await self._cri("StartContainer", f"StartContainer {cid[:12]}", container_id=cid)
        except CRICallError as error:
            self.recorder.event(pod, "Warning", "Failed", f"Error: {error}")
            reasons[name] = ("RunContainerError", str(error))
            return BACK_OFF_PERIOD
        self.recorder.event(pod, "Normal", "Started", f"Started container {name}")
        reasons.pop(name, None)
        for old in status.instances(name)[1:]:           # container GC: keep one dead instance (lastState)
            if old["state"] != pleg.RUNNING:
                await self._cri("RemoveContainer", f"RemoveContainer {old['id'][:12]}", container_id=old["id"])
        return None

    def _container_config(self, pod: dict, container: dict, status: pleg.PodStatus) -> tuple:
        """The command, args and environment for CreateContainer, with $(VAR) references expanded
        (kubecontainer.ExpandContainerCommandAndArgs) and fieldRef values resolved."""
        env: dict[str, str] = {}
        for var in container.get("env") or ():
            if "value" in var or "valueFrom" not in var:
                env[var["name"]] = expand(var.get("value") or "", env)
                continue
            ref = (var["valueFrom"] or {}).get("fieldRef")
            if ref is not None:
                value = field_value(pod, ref.get("fieldPath", ""), self.ip, status.ips[0] if status.ips else "")
                if value is not None:
                    env[var["name"]] = value
        command = [expand(x, env) for x in container["command"]] if container.get("command") else None
        args = [expand(x, env) for x in container["args"]] if container.get("args") else None
        return command, args, [{"key": k, "value": v} for k, v in env.items()]

    async def _ensure_image(self, pod: dict, container: dict) -> None:
        """EnsureImageExists (images/image_manager.go): the pull policy, the pull, and its back-off."""
        image = container["image"]
        policy = container.get("imagePullPolicy") or "IfNotPresent"
        present = await self._cri("ImageStatus", f"ImageStatus {image}", image=image)
        if present is not None and policy != "Always":
            self.recorder.event(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine')
            return
        if present is None and policy == "Never":
            message = f'Container image "{image}" is not present with pull policy of Never'
            self.recorder.event(pod, "Warning", "ErrImageNeverPull", message)
            self.recorder.event(pod, "Warning", "Failed", "Error: ErrImageNeverPull")
            raise ImageError("ErrImageNeverPull", message, BACK_OFF_PERIOD)
        key = f"{pod['metadata']['uid']}_{image}"
        if self.image_backoff.in_backoff_since_update(key, self.kernel.now):
            message = f'Back-off pulling image "{image}"'
            self.recorder.event(pod, "Normal", "BackOff", message)
            self.recorder.event(pod, "Warning", "Failed", "Error: ImagePullBackOff")
            entry = self.image_backoff.entries[key]
            raise ImageError("ImagePullBackOff", message, entry[1] + entry[0] - self.kernel.now)
        self.recorder.event(pod, "Normal", "Pulling", f'Pulling image "{image}"')
        began = self.kernel.now
        try:
            pulled = await self._cri("PullImage", f"PullImage {image}", image=image)
        except CRICallError as error:
            self.recorder.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}')
            self.image_backoff.next(key, self.kernel.now)
            self.recorder.event(pod, "Warning", "Failed", "Error: ErrImagePull")
            raise ImageError("ErrImagePull", str(error), BACK_OFF_PERIOD) from None
        took = self.kernel.now - began
        self.recorder.event(pod, "Normal", "Pulled", f'Successfully pulled image "{image}" in {_go_duration(took)} '
                                                     f'({_go_duration(took)} including waiting). '
                                                     f'Image size: {pulled["size"]} bytes.')

    # -- pods: the status manager (status/status_manager.go) ---------------------------------------
    def _generate(self, pod: dict, pod_is_terminal: bool = False) -> dict:
        uid = pod["metadata"]["uid"]
        return generate_api_pod_status(pod, self.cache.get(uid), self.statuses.get(uid), self.reasons.get(uid, {}),
                                       self.ip, self.kernel.now, pod_is_terminal)

    async def _patch_status(self, pod: dict, status: dict) -> None:
        """Send the status if it differs from the last one set (or, before any, from the API's)."""
        uid = pod["metadata"]["uid"]
        last = self.statuses.get(uid, pod.get("status") or {})
        if _without_times(last) == _without_times(status):
            return
        meta = pod["metadata"]
        await self.client.patch(PODS, meta["namespace"], meta["name"],
                                {"metadata": {"uid": meta["uid"]}, "status": status}, MERGE_PATCH, "status")
        self.statuses[uid] = status


class ImageError(Exception):
    """EnsureImageExists failed: the waiting reason, its message, and when to try again."""

    def __init__(self, reason: str, message: str, retry: float):
        super().__init__(message)
        self.reason, self.message, self.retry = reason, message, retry


def expand(text: str, env: dict) -> str:
    """Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): $$ escapes, unknown stays."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            if text[i + 1] == "(":
                end = text.find(")", i + 2)
                if end > 0:
                    name = text[i + 2:end]
                    out.append(env[name] if name in env else text[i:end + 1])
                    i = end + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def field_value(pod: dict, path: str, host_ip: str, pod_ip: str) -> Optional[str]:
    """The downward API's fieldRef values the kubelet resolves (podFieldSelectorRuntimeValue)."""
    meta, spec = pod["metadata"], pod["spec"]
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"), "status.hostIP": host_ip,
              "status.podIP": pod_ip}
    if path in simple:
        return simple[path] or ""
    for prefix, table in (("metadata.labels", meta.get("labels") or {}),
                          ("metadata.annotations", meta.get("annotations") or {})):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return table.get(path[len(prefix) + 2:-2], "")
    return None


def cpu_quota(container: dict) -> int:
    """The CFS quota for a container's CPU limit over the 100 ms period (milliCPUToQuota); 0: no limit."""
    limit = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    return max(milli_value(limit) * 100, 1000) if limit is not None else 0


def _sync_relevant(pod: dict) -> tuple:
    meta = pod["metadata"]
    return (pod.get("spec"), meta.get("labels"), meta.get("annotations"), meta.get("deletionTimestamp"),
            meta.get("deletionGracePeriodSeconds"), meta.get("uid"))


def _without_heartbeats(status: dict) -> dict:
    status = copy.deepcopy(status)
    for c in status.get("conditions", ()):
        c.pop("lastHeartbeatTime", None)
    return status


def _without_times(status: dict) -> dict:
    status = copy.deepcopy(status)
    for c in status.get("conditions") or ():
        c.pop("lastTransitionTime", None)
        c.pop("lastProbeTime", None)
    status.pop("startTime", None)
    return status


def _go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for the pull-time message, e.g. "1.34s" or "512ms"."""
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.3f}".rstrip("0").rstrip(".") + "ms"
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def hash_str(text: str) -> int:
    """A stable 128-bit hash (Python's ``hash`` is salted per process)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:32], 16)
