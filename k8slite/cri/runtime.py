"""A container runtime (containerd) serving the CRI RuntimeService and ImageService.

Mirrors the CRI API of kubernetes v1.31 ``staging/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto``
(RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox,
CreateContainer, StartContainer, StopContainer, RemoveContainer, ListContainers,
ContainerStatus, GetContainerEvents, PullImage, ImageStatus, ListImages,
UpdateRuntimeConfig) and containerd 1.7's CRI plugin (``pkg/cri/server``): a sandbox gets its
network from CNI (``cni/``) with the pod CIDR the kubelet passed in UpdateRuntimeConfig;
image pulls take time in proportion to the image size; a container runs its image's process
(``images.process_for``: the container's ``command``/``args``) and exits with its status,
reason ``Completed`` (0) or ``Error``; a command that names no executable fails StartContainer
as runc does (exit code 128, reason ``StartError``); StopContainer sends SIGTERM, waits the
timeout and sends SIGKILL (exit code 137) to a process that did not exit; every change of a
container or sandbox goes to the GetContainerEvents streams (CONTAINER_CREATED_EVENT,
_STARTED_, _STOPPED_, _DELETED_, each with the pod sandbox's status and all its containers'
statuses), which is what the kubelet's Evented PLEG listens to.

Simplified: containers are coroutines (an image's "program"), not processes; no cgroups or
resource enforcement yet; the pause image is implied by the sandbox; a failed start is
reported on the event stream as a stop; GetContainerEvents is answered at once (the stream's
headers) and its events follow as messages of their own; a stream ends (its final status is
sent) only when the runtime crashes, and a subscriber whose endpoint is down is dropped at
the next event; containers keep their logs and files in memory until removed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..cni.hostlocal import BridgePlugin, IPAMExhausted
from ..sim import Kernel, Message, Network, Timeout
from . import images
from .shell import IO, ExitShell, Shell, Stream

PULL_BYTES_PER_SECOND = 50 * images.MB
CREATED, STARTED, STOPPED, DELETED = ("CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT",
                                      "CONTAINER_STOPPED_EVENT", "CONTAINER_DELETED_EVENT")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
START_EXIT_CODE, START_REASON = 128, "StartError"     # containerd's errorStartExitCode / errorStartReason


class CRIError(Exception):
    """A CRI call failed; the message is what the kubelet reports."""


@dataclass
class Sandbox:
    id: str
    name: str
    namespace: str
    uid: str
    ip: str
    created: float
    attempt: int = 0
    state: str = "SANDBOX_READY"


@dataclass
class Container:
    id: str
    sandbox_id: str
    name: str
    image: images.Image
    created: float
    attempt: int = 0
    command: Optional[list] = None
    args: Optional[list] = None
    env: dict = field(default_factory=dict)
    state: str = "CONTAINER_CREATED"
    started: float = 0.0
    finished: float = 0.0
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    logs: list = field(default_factory=list)
    fs: dict = field(default_factory=dict)          # the container's writable layer: path -> text
    process: Optional[images.Process] = None
    cpu_limit: Optional[float] = None               # cores (the cgroup's CFS quota / period), None: unlimited
    cpu_seconds: float = 0.0                        # cumulative CPU time, as the cgroup's cpuacct counts it
    busy_until: float = 0.0                         # when the CPU work queued so far will be done


class _LogStream(Stream):
    """stdout or stderr of a container: each complete line goes to the container's log file."""

    def __init__(self, ctx: "_Context"):
        self.ctx, self.partial = ctx, ""

    def write(self, text: str) -> None:
        text = self.partial + text
        *lines, self.partial = text.split("\n")
        for line in lines:
            self.ctx.log(line)

    def flush(self) -> None:
        if self.partial:
            self.ctx.log(self.partial)
            self.partial = ""


class _Context:
    """What a container's process sees: its log, its clock, its environment and files."""

    def __init__(self, runtime: "ContainerRuntime", container: Container, hostname: str):
        self.runtime, self.container, self.hostname = runtime, container, hostname
        self.env, self.fs = container.env, container.fs
        self.stdout, self.stderr = _LogStream(self), _LogStream(self)
        self.tasks: list = []                       # background jobs (``cmd &``), stopped with the container

    @property
    def now(self) -> float:
        return self.runtime.kernel.now

    def log(self, line: str) -> None:
        self.container.logs.append((self.runtime.kernel.now, line))

    def sleep(self, seconds: float):
        return self.runtime.kernel.sleep(seconds)

    def forever(self):
        return self.runtime.kernel.future()

    def spawn(self, coro, name: str):
        task = self.runtime.kernel.spawn(coro, f"{name} ({self.container.name})")
        self.tasks.append(task)
        return task

    # -- CPU and the network ------------------------------------------------------------
    async def burn(self, cpu_seconds: float) -> None:
        """Compute for ``cpu_seconds`` of CPU time: the work queues behind what the container is already
        doing and runs at its CPU limit (CFS throttling), or at one full core without a limit."""
        c = self.container
        rate = min(c.cpu_limit, 1.0) if c.cpu_limit else 1.0
        start = max(self.now, c.busy_until)
        c.busy_until = start + cpu_seconds / rate
        await self.sleep(c.busy_until - self.now)
        c.cpu_seconds += cpu_seconds

    def listen(self, port: int, handler) -> None:
        """Serve HTTP on the pod's IP at ``port``: ``await handler(method, path)`` -> (status code, body)."""
        self.runtime.listeners[(self.container.sandbox_id, port)] = (self.container.id, handler)

    async def http_get(self, url: str) -> tuple[int, str]:
        """An HTTP GET from inside the pod (the node's network does the rest); raises ConnectionError
        with the failure as the tool would print it."""
        sandbox = self.runtime.sandboxes.get(self.container.sandbox_id)
        if self.runtime.dataplane is None:
            raise ConnectionError("network is unreachable")
        return await self.runtime.dataplane(sandbox.namespace if sandbox else "default", url)

    def flush(self) -> None:
        self.stdout.flush()
        self.stderr.flush()


class ContainerRuntime:
    def __init__(self, kernel: Kernel, network: Network, node: str, name: str = ""):
        self.kernel, self.network, self.node = kernel, network, node
        self.name = name or f"containerd/{node}"
        self.sandboxes: dict[str, Sandbox] = {}
        self.containers: dict[str, Container] = {}   # insertion (creation) order
        self.images: dict[str, images.Image] = {}
        self.cni: Optional[BridgePlugin] = None
        self._programs: dict[str, Any] = {}           # container id -> the task running its process
        self._contexts: dict[str, _Context] = {}
        self._waiters: dict[str, list] = {}          # container id -> futures of StopContainer calls awaiting its exit
        self.streams: dict[str, Message] = {}         # subscriber endpoint -> its GetContainerEvents request
        self.listeners: dict[tuple[str, int], tuple] = {}   # (sandbox id, port) -> (container id, handler)
        # How a request from a pod reaches a Service or another pod: set by whoever wires the
        # nodes together (the cluster); ``await dataplane(namespace, url)`` -> (code, body).
        self.dataplane = None

    def start(self) -> None:
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.node, self._handle)

    def crash(self) -> None:
        for subscriber in list(self.streams):        # the socket closes: each stream ends with an error
            self.network.send(self.name, subscriber, "GetContainerEvents",
                              "rpc error: code = Unavailable desc = error reading from server: EOF",
                              CRIError("error reading from server: EOF"), cause=None)
        self.streams.clear()
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)
        for c in self.containers.values():
            if c.state == "CONTAINER_RUNNING":
                c.state, c.finished, c.exit_code, c.reason = "CONTAINER_EXITED", self.kernel.now, 255, "Unknown"

    def restart(self) -> None:
        self.start()

    def _id(self) -> str:
        return f"{self.kernel.rng.getrandbits(256):064x}"

    def read_log(self, container_id: str) -> list:
        """The container's log file (/var/log/pods/...): (time, line) pairs, oldest first; the kubelet
        reads it from the node's disk to answer ``kubectl logs``."""
        container = self.containers.get(container_id)
        return list(container.logs) if container is not None else []

    def _handle(self, msg: Message) -> None:
        if msg.kind == "GetContainerEvents":
            self.streams[msg.src] = msg
            self.network.reply(msg, {}, "stream open")
            return
        self.kernel.spawn(self._serve(msg), msg.kind, cause=msg.hop, owner=self.name)

    async def _serve(self, msg: Message) -> None:
        method = getattr(self, msg.kind, None)
        try:
            if method is None:
                raise CRIError(f"unknown service runtime.v1 method {msg.kind}")
            result = await method(**(msg.body or {}))
        except CRIError as error:
            self.network.reply(msg, error, f"rpc error: {error}")
            return
        self.network.reply(msg, result, _summary(msg.kind, result))

    # -- GetContainerEvents ----------------------------------------------------------------
    def _emit(self, container_id: str, event_type: str, sandbox_id: str) -> None:
        """Send a ContainerEventResponse to every open stream (containerd's generateAndSendContainerEvent)."""
        if not self.streams:
            return
        sandbox = self.sandboxes.get(sandbox_id)
        body = {"container_id": container_id, "container_event_type": event_type, "created_at": self.kernel.now,
                "pod_sandbox_status": _sandbox_status(sandbox) if sandbox is not None else None,
                "containers_statuses": [self._status(c) for c in self.containers.values()
                                        if c.sandbox_id == sandbox_id]}
        for subscriber in list(self.streams):
            endpoint = self.network.endpoints.get(subscriber)
            if endpoint is None or not endpoint.up:
                del self.streams[subscriber]             # the write fails: the peer has gone
                continue
            self.network.send(self.name, subscriber, "GetContainerEvents", f"{event_type} {container_id[:12]}", body)

    # -- RuntimeService ----------------------------------------------------------
    async def Version(self) -> dict:
        return {"version": "0.1.0", "runtimeName": "containerd", "runtimeVersion": "v1.7.22",
                "runtimeApiVersion": "v1"}

    async def UpdateRuntimeConfig(self, pod_cidr: str) -> dict:
        if self.cni is None or str(self.cni.network) != pod_cidr:
            self.cni = BridgePlugin(pod_cidr)
        return {}

    async def Status(self) -> dict:
        network_ready = self.cni is not None
        return {"conditions": [{"type": "RuntimeReady", "status": True},
                               {"type": "NetworkReady", "status": network_ready,
                                **({} if network_ready else {"reason": "NetworkPluginNotReady",
                                                             "message": "Network plugin returns error: cni plugin not initialized"})}]}

    async def RunPodSandbox(self, name: str, namespace: str, uid: str, attempt: int = 0) -> dict:
        if self.cni is None:
            raise CRIError("failed to setup network for sandbox: cni plugin not initialized")
        sandbox_id = self._id()
        try:
            result = self.cni.add(sandbox_id)
        except IPAMExhausted as error:
            raise CRIError(f'failed to setup network for sandbox "{sandbox_id}": plugin type="bridge" '
                           f'failed (add): {error}')
        self.sandboxes[sandbox_id] = Sandbox(sandbox_id, name, namespace, uid, result.ip, self.kernel.now, attempt)
        self._emit(sandbox_id, CREATED, sandbox_id)
        self._emit(sandbox_id, STARTED, sandbox_id)
        return {"pod_sandbox_id": sandbox_id, "ip": result.ip}

    async def StopPodSandbox(self, pod_sandbox_id: str) -> dict:
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is not None and sandbox.state == "SANDBOX_READY":
            for c in list(self.containers.values()):
                if c.sandbox_id == pod_sandbox_id and c.state == "CONTAINER_RUNNING":
                    self._stop(c, 137, "Error")
            sandbox.state = "SANDBOX_NOTREADY"
            if self.cni is not None:
                self.cni.delete(pod_sandbox_id)
            self._emit(pod_sandbox_id, STOPPED, pod_sandbox_id)
        return {}

    async def RemovePodSandbox(self, pod_sandbox_id: str) -> dict:
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is None:
            return {}
        await self.StopPodSandbox(pod_sandbox_id)
        for cid in [c.id for c in self.containers.values() if c.sandbox_id == pod_sandbox_id]:
            await self.RemoveContainer(cid)
        self._emit(pod_sandbox_id, DELETED, pod_sandbox_id)
        del self.sandboxes[pod_sandbox_id]
        return {}

    async def PodSandboxStatus(self, pod_sandbox_id: str) -> dict:
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is None:
            raise CRIError(f'an error occurred when try to find sandbox "{pod_sandbox_id}": not found')
        return _sandbox_status(sandbox)

    async def ListPodSandbox(self) -> list[dict]:
        return [_sandbox_status(s) for s in self.sandboxes.values()]

    async def CreateContainer(self, pod_sandbox_id: str, name: str, image: str, attempt: int = 0,
                              command: Optional[list] = None, args: Optional[list] = None,
                              envs: Optional[list] = None, cpu_quota: int = 0, cpu_period: int = 100000) -> dict:
        found = self.images.get(images.normalize(image))
        if found is None:
            raise CRIError(f'failed to create containerd container: error unpacking image: image "{image}" not found')
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is None:
            raise CRIError(f'failed to get sandbox "{pod_sandbox_id}": not found')
        env = {"PATH": DEFAULT_PATH, "HOSTNAME": sandbox.name}
        for pair in envs or ():
            env[pair["key"]] = pair["value"]
        env.setdefault("HOME", "/root")
        container = Container(self._id(), pod_sandbox_id, name, found, self.kernel.now, attempt,
                              list(command) if command else None, list(args) if args else None, env,
                              cpu_limit=cpu_quota / cpu_period if cpu_quota > 0 else None)
        self.containers[container.id] = container
        self._emit(container.id, CREATED, pod_sandbox_id)
        return {"container_id": container.id}

    async def StartContainer(self, container_id: str) -> dict:
        container = self.containers.get(container_id)
        if container is None:
            raise CRIError(f'container "{container_id}" not found')
        try:
            process = images.process_for(container.image, container.command, container.args)
        except images.ExecNotFound as missing:
            message = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                       "runc create failed: unable to start container process: exec: "
                       f'"{missing}": executable file not found in $PATH: unknown')
            container.state, container.finished = "CONTAINER_EXITED", self.kernel.now
            container.exit_code, container.reason, container.message = START_EXIT_CODE, START_REASON, message
            self._emit(container.id, STOPPED, container.sandbox_id)
            raise CRIError(message) from None
        container.process = process
        container.state, container.started = "CONTAINER_RUNNING", self.kernel.now
        sandbox = self.sandboxes.get(container.sandbox_id)
        ctx = _Context(self, container, sandbox.name if sandbox is not None else container.name)
        self._contexts[container_id] = ctx
        self._programs[container_id] = self.kernel.spawn(self._run(container, process, ctx),
                                                         f"container {container.name}", owner=self.name)
        self._emit(container.id, STARTED, container.sandbox_id)
        return {}

    async def _run(self, container: Container, process: images.Process, ctx: _Context) -> None:
        """PID 1: run the process to its end; its status becomes the container's exit code."""
        sh = Shell(ctx, process.lookup, process.config.shell, process.argv[0], is_shell=False)
        try:
            code = await process.tool(sh, list(process.argv), IO("", ctx.stdout, ctx.stderr))
        except ExitShell as exit_:
            code = exit_.code
        except Exception as error:  # noqa: BLE001 - a bug in a simulated program must not stop the world
            ctx.stderr.write(f"k8slite: the simulated process failed: {type(error).__name__}: {error}\n")
            code = 1
        if container.state == "CONTAINER_RUNNING":
            self._programs.pop(container.id, None)
            self._exited(container, code & 255, "Completed" if code == 0 else "Error")

    def _exited(self, container: Container, code: int, reason: str) -> None:
        for key in [k for k, (cid, _) in self.listeners.items() if cid == container.id]:
            del self.listeners[key]                       # its sockets close with it
        ctx = self._contexts.pop(container.id, None)
        if ctx is not None:
            ctx.flush()
            for task in ctx.tasks:
                task.cancel()
        container.state, container.finished = "CONTAINER_EXITED", self.kernel.now
        container.exit_code, container.reason = code, reason
        for waiter in self._waiters.pop(container.id, ()):
            waiter.set_result(code)
        self._emit(container.id, STOPPED, container.sandbox_id)

    def _stop(self, container: Container, code: int, reason: str) -> None:
        task = self._programs.pop(container.id, None)
        if task is not None:
            task.cancel()
        self._exited(container, code, reason)

    async def StopContainer(self, container_id: str, timeout: int = 0) -> dict:
        """SIGTERM, then SIGKILL after ``timeout`` seconds: a process that handles SIGTERM exits 0 at
        once; PID 1 without a handler ignores it and is killed (137) when the time is up."""
        container = self.containers.get(container_id)
        if container is None or container.state != "CONTAINER_RUNNING":
            return {}
        if timeout > 0 and container.process is not None and container.process.handles_sigterm:
            self._stop(container, 0, "Completed")
            return {}
        if timeout > 0:
            waiter = self.kernel.future()
            self._waiters.setdefault(container_id, []).append(waiter)
            try:
                await self.kernel.timeout(waiter, timeout)
            except Timeout:
                pass                                      # the grace period is over
        if container.state == "CONTAINER_RUNNING":
            self._stop(container, 137, "Error")
        return {}

    async def RemoveContainer(self, container_id: str) -> dict:
        container = self.containers.get(container_id)
        if container is not None:
            if container.state == "CONTAINER_RUNNING":
                self._stop(container, 137, "Error")
            del self.containers[container_id]
            self._emit(container_id, DELETED, container.sandbox_id)
        return {}

    async def ListContainerStats(self) -> list[dict]:
        """The CPU and memory of every running container, with its pod's identity (containerd's
        ListContainerStats: cpu.usage_core_nano_seconds is cumulative, memory.working_set_bytes now)."""
        stats = []
        for c in self.containers.values():
            sandbox = self.sandboxes.get(c.sandbox_id)
            if c.state != "CONTAINER_RUNNING" or sandbox is None:
                continue
            stats.append({"id": c.id, "name": c.name, "pod": sandbox.name, "namespace": sandbox.namespace,
                          "pod_uid": sandbox.uid, "started_at": c.started, "timestamp": self.kernel.now,
                          "usage_core_nano_seconds": int(c.cpu_seconds * 1e9),
                          "working_set_bytes": images.working_set(c.image)})
        return stats

    async def serve_http(self, ip: str, port: int, method: str, path: str) -> tuple[int, str]:
        """A request arriving at a pod IP on this node: the container listening on the port answers."""
        for sandbox in self.sandboxes.values():
            if sandbox.ip == ip and sandbox.state == "SANDBOX_READY":
                found = self.listeners.get((sandbox.id, port))
                if found is None:
                    raise ConnectionRefusedError(f"{ip}:{port}")
                return await found[1](method, path)
        raise ConnectionRefusedError(f"{ip}:{port}")

    async def ListContainers(self) -> list[dict]:
        return [self._status(c) for c in self.containers.values()]

    async def ContainerStatus(self, container_id: str) -> dict:
        container = self.containers.get(container_id)
        if container is None:
            raise CRIError(f'an error occurred when try to find container "{container_id}": not found')
        return self._status(container)

    def _status(self, c: Container) -> dict:
        return {"id": c.id, "pod_sandbox_id": c.sandbox_id, "name": c.name, "attempt": c.attempt, "state": c.state,
                "created_at": c.created, "started_at": c.started, "finished_at": c.finished,
                "exit_code": c.exit_code, "reason": c.reason, "message": c.message, "image": c.image.reference,
                "image_ref": c.image.image_id}

    # -- ImageService ----------------------------------------------------------------
    async def ImageStatus(self, image: str) -> Optional[dict]:
        found = self.images.get(images.normalize(image))
        return None if found is None else {"id": found.digest, "size": found.size, "repo_tags": [found.reference]}

    async def PullImage(self, image: str) -> dict:
        found = images.lookup(image)
        if found is None:
            await self.kernel.sleep(0.5)
            raise CRIError(f'failed to pull and unpack image "{images.normalize(image)}": failed to resolve reference '
                           f'"{images.normalize(image)}": {images.normalize(image)}: not found')
        await self.kernel.sleep(found.size / PULL_BYTES_PER_SECOND)
        self.images[found.reference] = found
        return {"image_ref": found.digest, "size": found.size}

    async def ListImages(self) -> list[dict]:
        return [{"id": i.digest, "size": i.size, "repo_tags": [i.reference]} for i in self.images.values()]


def _sandbox_status(s: Sandbox) -> dict:
    return {"id": s.id, "name": s.name, "namespace": s.namespace, "uid": s.uid, "attempt": s.attempt,
            "state": s.state, "created_at": s.created, "ip": s.ip if s.state == "SANDBOX_READY" else ""}


def _summary(kind: str, result: Any) -> str:
    if isinstance(result, dict):
        if "pod_sandbox_id" in result and "ip" in result:
            return f"sandbox {result['pod_sandbox_id'][:12]} ip={result['ip']}"
        if "container_id" in result:
            return f"container {result['container_id'][:12]}"
        if "state" in result and "id" in result:
            return f"{result['state']}"
        if "image_ref" in result:
            return f"pulled {result['image_ref'][:19]}"
    if isinstance(result, list):
        return f"{len(result)} items"
    if result is None:
        return "not present"
    return "ok"
