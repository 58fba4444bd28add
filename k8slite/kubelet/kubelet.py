"""The kubelet: registers its Node, keeps its Lease fresh, and runs the pods bound to it.

Mirrors kubernetes v1.31 ``pkg/kubelet/kubelet_node_status.go`` (registerWithAPIServer;
node status every ``nodeStatusUpdateFrequency`` 10 s, posted when it changed or every
``nodeStatusReportFrequency`` 5 min; the Ready condition and its
"container runtime network not ready" message until CNI has a pod CIDR),
``pkg/kubelet/nodelease`` (a Lease in ``kube-node-lease`` renewed every 10 s, a quarter
of its 40 s duration), ``pod_workers.go`` (one worker per pod, syncing the latest
state), ``kuberuntime/kuberuntime_manager.go`` (SyncPod: sandbox, image pull, create,
start; KillPod) and ``status/status_manager.go`` (status patches; the final delete
with grace period 0 once a terminating pod's containers are gone).

Simplified: no PLEG relist (the pod worker reads container status right after
starting), no probes, restarts or init containers yet; no admission of pods by
resources on the node; pod status goes as a JSON merge patch of the whole status (the
kubelet computes a two-way strategic patch instead).
"""
from __future__ import annotations

import copy
import hashlib
from typing import Callable, Optional

from ..api import errors
from ..api.meta import owner_reference, rfc3339, rfc3339_nano
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..apiserver.request import Request, Response
from ..client.rest import MERGE_PATCH, STRATEGIC_PATCH, Client
from ..sim import Kernel, Message, Network, Timeout

NODES = SCHEME.by_resource("", "nodes")
PODS = SCHEME.by_resource("", "pods")
LEASES = SCHEME.by_resource("coordination.k8s.io", "leases")
LEASE_DURATION = 40
NODE_STATUS_UPDATE_FREQUENCY = 10.0
NODE_STATUS_REPORT_FREQUENCY = 300.0
KUBELET_VERSION = "v1.31.0"


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
        self.sandboxes: dict[str, tuple[str, str]] = {}   # pod uid -> (sandbox id, ip)
        self.containers: dict[str, dict[str, str]] = {}   # pod uid -> container name -> id
        self.workers: dict[str, object] = {}
        self.dirty: dict[str, None] = {}
        self.last_status: Optional[dict] = None
        self.last_report = -1e9
        factory = SharedInformerFactory(self.kernel, self.client, self.name)
        self.factory = factory
        pods = factory.informer(PODS, field_selector=f"spec.nodeName={self.node}")
        pods.add_event_handler(self._pod_event, lambda old, new: self._pod_event(new), self._pod_event)
        me = factory.informer(NODES, field_selector=f"metadata.name={self.node}")
        me.add_event_handler(self._node_event, lambda old, new: self._node_event(new))
        self.kernel.spawn(self._main(), "kubelet", cause=None, owner=self.name)

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)

    def restart(self) -> None:
        self.start()

    def _handle(self, msg: Message) -> None:
        if msg.kind == "GET" and isinstance(msg.body, Request) and msg.body.path.startswith("/containerLogs/"):
            self.network.reply(msg, self._container_logs(msg.body), "200 OK logs")
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
        cid = self.containers.get(pod["metadata"]["uid"], {}).get(container)
        if cid is None or self.read_log is None:
            return Response(400, f'container "{container}" in pod "{pod_name}" is waiting to start: ContainerCreating')
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

    async def _cri(self, method: str, summary: str, **body):
        """A CRI call over the runtime's socket; its errors become CRICallError."""
        result = await self.network.request(self.name, self.runtime, method, summary, body, timeout=120.0)
        if isinstance(result, Exception):
            raise CRICallError(str(result))
        return result

    async def _main(self) -> None:
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

    # -- pods -------------------------------------------------------------------------
    def _pod_event(self, pod: dict) -> None:
        key = meta_namespace_key(pod)
        self.pods[key] = pod
        self._dispatch(key)

    def _dispatch(self, key: str) -> None:
        """UpdatePod: one worker per pod; a busy worker picks the latest state up when done."""
        self.dirty[key] = None
        if key not in self.workers:
            self.workers[key] = self.kernel.spawn(self._pod_worker(key), f"podWorker {key}")

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
                    self.kernel.call_later(2.0, lambda _: self._dispatch(key))   # the pod worker's back-off
                    continue
                if done:
                    self.pods.pop(key, None)
        finally:
            self.workers.pop(key, None)

    async def sync_pod(self, pod: dict) -> bool:
        """SyncPod or KillPod for the pod's current state; True once the pod is gone for good."""
        uid = pod["metadata"]["uid"]
        if pod["metadata"].get("deletionTimestamp"):
            await self.kill_pod(pod)
            try:
                await self.client.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], grace_period=0,
                                         preconditions={"uid": uid})
            except errors.StatusError as error:
                if error.code not in (404, 409):
                    raise
            return True
        if uid in self.containers and all(n in self.containers[uid] for n in _container_names(pod)):
            return False                                       # already running
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return False
        await self._patch_status(pod, self._pending_status(pod))
        if self.pod_cidr is None:
            self.recorder.event(pod, "Warning", "NetworkNotReady",
                                "network is not ready: container runtime network not ready: NetworkReady=false "
                                "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")
            return False
        if uid not in self.sandboxes:
            meta = pod["metadata"]
            result = await self._cri("RunPodSandbox", f"RunPodSandbox {meta['namespace']}/{meta['name']}",
                                     name=meta["name"], namespace=meta["namespace"], uid=uid)
            self.sandboxes[uid] = (result["pod_sandbox_id"], result["ip"])
        sandbox_id, ip = self.sandboxes[uid]
        started = self.containers.setdefault(uid, {})
        for container in pod["spec"]["containers"]:
            if container["name"] in started:
                continue
            await self._ensure_image(pod, container)
            created = await self._cri("CreateContainer", f"CreateContainer {container['name']}",
                                      pod_sandbox_id=sandbox_id, name=container["name"], image=container["image"])
            self.recorder.event(pod, "Normal", "Created", f"Created container {container['name']}")
            await self._cri("StartContainer", f"StartContainer {created['container_id'][:12]}",
                            container_id=created["container_id"])
            self.recorder.event(pod, "Normal", "Started", f"Started container {container['name']}")
            started[container["name"]] = created["container_id"]
        statuses = {}
        for name, cid in started.items():
            statuses[name] = await self._cri("ContainerStatus", f"ContainerStatus {cid[:12]}", container_id=cid)
        await self._patch_status(pod, self._running_status(pod, ip, statuses))
        return False

    async def _ensure_image(self, pod: dict, container: dict) -> None:
        image = container["image"]
        present = await self._cri("ImageStatus", f"ImageStatus {image}", image=image)
        if present is not None and container.get("imagePullPolicy") != "Always":
            self.recorder.event(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine')
            return
        self.recorder.event(pod, "Normal", "Pulling", f'Pulling image "{image}"')
        began = self.kernel.now
        try:
            pulled = await self._cri("PullImage", f"PullImage {image}", image=image)
        except CRICallError as error:
            self.recorder.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}')
            self.recorder.event(pod, "Warning", "Failed", "Error: ErrImagePull")
            raise
        took = self.kernel.now - began
        self.recorder.event(pod, "Normal", "Pulled", f'Successfully pulled image "{image}" in {_go_duration(took)} '
                                                     f'({_go_duration(took)} including waiting). '
                                                     f'Image size: {pulled["size"]} bytes.')

    async def kill_pod(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        for name, cid in list(self.containers.get(uid, {}).items()):
            await self._cri("StopContainer", f"StopContainer {cid[:12]}", container_id=cid,
                            timeout=pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            self.recorder.event(pod, "Normal", "Killing", f"Stopping container {name}")
        if uid in self.sandboxes:
            sandbox_id, _ = self.sandboxes.pop(uid)
            await self._cri("StopPodSandbox", f"StopPodSandbox {sandbox_id[:12]}", pod_sandbox_id=sandbox_id)
            await self._cri("RemovePodSandbox", f"RemovePodSandbox {sandbox_id[:12]}", pod_sandbox_id=sandbox_id)
        self.containers.pop(uid, None)

    # -- status manager -----------------------------------------------------------------
    def _conditions(self, pod: dict, ready: bool) -> list[dict]:
        now = rfc3339(self.kernel.now)
        old = {c["type"]: c for c in pod.get("status", {}).get("conditions") or ()}

        def cond(ctype: str, status: str, reason: str = "", message: str = "") -> dict:
            prior = old.get(ctype)
            c = {"type": ctype, "status": status, "lastProbeTime": None,
                 "lastTransitionTime": prior["lastTransitionTime"] if prior and prior["status"] == status else now}
            if reason:
                c["reason"], c["message"] = reason, message
            return c
        names = ", ".join(_container_names(pod))
        not_ready = ("ContainersNotReady", f"containers with unready status: [{names}]")
        return [cond("PodReadyToStartContainers", "True" if pod["metadata"]["uid"] in self.sandboxes else "False"),
                cond("Initialized", "True"),
                cond("Ready", "True") if ready else cond("Ready", "False", *not_ready),
                cond("ContainersReady", "True") if ready else cond("ContainersReady", "False", *not_ready),
                cond("PodScheduled", "True")]

    def _pending_status(self, pod: dict) -> dict:
        status = {"phase": "Pending", "conditions": self._conditions(pod, False), "hostIP": self.ip,
                  "hostIPs": [{"ip": self.ip}], "startTime": pod.get("status", {}).get("startTime") or
                  rfc3339(self.kernel.now), "qosClass": pod.get("status", {}).get("qosClass", "BestEffort"),
                  "containerStatuses": [{"name": c["name"], "state": {"waiting": {"reason": "ContainerCreating"}},
                                         "lastState": {}, "ready": False, "restartCount": 0, "image": c["image"],
                                         "imageID": "", "started": False} for c in pod["spec"]["containers"]]}
        return status

    def _running_status(self, pod: dict, ip: str, statuses: dict[str, dict]) -> dict:
        container_statuses = []
        for c in pod["spec"]["containers"]:
            s = statuses[c["name"]]
            running = s["state"] == "CONTAINER_RUNNING"
            state = {"running": {"startedAt": rfc3339(s["started_at"])}} if running else \
                {"terminated": {"exitCode": s["exit_code"], "reason": s["reason"],
                                "startedAt": rfc3339(s["started_at"]), "finishedAt": rfc3339(s["finished_at"]),
                                "containerID": f"containerd://{s['id']}"}}
            container_statuses.append({"name": c["name"], "state": state, "lastState": {}, "ready": running,
                                       "restartCount": 0, "image": s["image"], "imageID": s["image_ref"],
                                       "containerID": f"containerd://{s['id']}", "started": running})
        ready = all(cs["ready"] for cs in container_statuses)
        status = self._pending_status(pod)
        status.update({"phase": "Running", "conditions": self._conditions(pod, ready), "podIP": ip,
                       "podIPs": [{"ip": ip}], "containerStatuses": container_statuses})
        return status

    async def _patch_status(self, pod: dict, status: dict) -> None:
        if _without_times(pod.get("status") or {}) == _without_times(status):
            return
        meta = pod["metadata"]
        await self.client.patch(PODS, meta["namespace"], meta["name"],
                                {"metadata": {"uid": meta["uid"]}, "status": status}, MERGE_PATCH, "status")


def _container_names(pod: dict) -> list[str]:
    return [c["name"] for c in pod["spec"]["containers"]]


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
