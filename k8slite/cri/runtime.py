"""A container runtime (containerd) serving the CRI RuntimeService and ImageService.

Mirrors the CRI API of kubernetes v1.31 ``staging/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto``
(RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, CreateContainer,
StartContainer, StopContainer, RemoveContainer, ListContainers, ContainerStatus,
PullImage, ImageStatus, ListImages, UpdateRuntimeConfig) and containerd 1.7's CRI
plugin: a sandbox gets its network from CNI (``cni/``) with the pod CIDR the kubelet
passed in UpdateRuntimeConfig; image pulls take time in proportion to the image size.

Simplified: containers are coroutines (an image's "program"), not processes; no
cgroups or resource enforcement yet; the pause image is implied by the sandbox.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..cni.hostlocal import BridgePlugin, IPAMExhausted
from ..sim import Kernel, Message, Network
from . import images

PULL_BYTES_PER_SECOND = 50 * images.MB


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
    state: str = "SANDBOX_READY"


@dataclass
class Container:
    id: str
    sandbox_id: str
    name: str
    image: images.Image
    created: float
    state: str = "CONTAINER_CREATED"
    started: float = 0.0
    finished: float = 0.0
    exit_code: int = 0
    reason: str = ""
    logs: list = field(default_factory=list)


class _Context:
    """What a container's program sees: its log and its clock."""

    def __init__(self, runtime: "ContainerRuntime", container: Container):
        self.runtime, self.container = runtime, container

    def log(self, line: str) -> None:
        self.container.logs.append((self.runtime.kernel.now, line))

    def sleep(self, seconds: float):
        return self.runtime.kernel.sleep(seconds)

    def forever(self):
        return self.runtime.kernel.future()


class ContainerRuntime:
    def __init__(self, kernel: Kernel, network: Network, node: str, name: str = ""):
        self.kernel, self.network, self.node = kernel, network, node
        self.name = name or f"containerd/{node}"
        self.sandboxes: dict[str, Sandbox] = {}
        self.containers: dict[str, Container] = {}
        self.images: dict[str, images.Image] = {}
        self.cni: Optional[BridgePlugin] = None
        self._programs: dict[str, Any] = {}

    def start(self) -> None:
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.node, self._handle)

    def crash(self) -> None:
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

    async def RunPodSandbox(self, name: str, namespace: str, uid: str) -> dict:
        if self.cni is None:
            raise CRIError("failed to setup network for sandbox: cni plugin not initialized")
        sandbox_id = self._id()
        try:
            result = self.cni.add(sandbox_id)
        except IPAMExhausted as error:
            raise CRIError(f'failed to setup network for sandbox "{sandbox_id}": plugin type="bridge" '
                           f'failed (add): {error}')
        self.sandboxes[sandbox_id] = Sandbox(sandbox_id, name, namespace, uid, result.ip, self.kernel.now)
        return {"pod_sandbox_id": sandbox_id, "ip": result.ip}

    async def StopPodSandbox(self, pod_sandbox_id: str) -> dict:
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is not None and sandbox.state == "SANDBOX_READY":
            for c in self.containers.values():
                if c.sandbox_id == pod_sandbox_id and c.state == "CONTAINER_RUNNING":
                    self._stop(c, 137, "Error")
            sandbox.state = "SANDBOX_NOTREADY"
            if self.cni is not None:
                self.cni.delete(pod_sandbox_id)
        return {}

    async def RemovePodSandbox(self, pod_sandbox_id: str) -> dict:
        self.sandboxes.pop(pod_sandbox_id, None)
        for cid in [c.id for c in self.containers.values() if c.sandbox_id == pod_sandbox_id]:
            del self.containers[cid]
        return {}

    async def PodSandboxStatus(self, pod_sandbox_id: str) -> dict:
        sandbox = self.sandboxes.get(pod_sandbox_id)
        if sandbox is None:
            raise CRIError(f'an error occurred when try to find sandbox "{pod_sandbox_id}": not found')
        return {"id": sandbox.id, "state": sandbox.state, "ip": sandbox.ip, "created_at": sandbox.created}

    async def CreateContainer(self, pod_sandbox_id: str, name: str, image: str) -> dict:
        found = self.images.get(images.normalize(image))
        if found is None:
            raise CRIError(f'failed to create containerd container: error unpacking image: image "{image}" not found')
        if pod_sandbox_id not in self.sandboxes:
            raise CRIError(f'failed to get sandbox "{pod_sandbox_id}": not found')
        container = Container(self._id(), pod_sandbox_id, name, found, self.kernel.now)
        self.containers[container.id] = container
        return {"container_id": container.id}

    async def StartContainer(self, container_id: str) -> dict:
        container = self.containers.get(container_id)
        if container is None:
            raise CRIError(f'container "{container_id}" not found')
        container.state, container.started = "CONTAINER_RUNNING", self.kernel.now
        program = images.program_for(container.image)
        self._programs[container_id] = self.kernel.spawn(self._run(container, program), f"container {container.name}",
                                                         cause=None, owner=self.name)
        return {}

    async def _run(self, container: Container, program) -> None:
        code = await program(_Context(self, container))
        if container.state == "CONTAINER_RUNNING":
            container.state, container.finished = "CONTAINER_EXITED", self.kernel.now
            container.exit_code, container.reason = code, "Completed" if code == 0 else "Error"

    def _stop(self, container: Container, code: int, reason: str) -> None:
        task = self._programs.pop(container.id, None)
        if task is not None:
            task.cancel()
        container.state, container.finished = "CONTAINER_EXITED", self.kernel.now
        container.exit_code, container.reason = code, reason

    async def StopContainer(self, container_id: str, timeout: int = 0) -> dict:
        container = self.containers.get(container_id)
        if container is not None and container.state == "CONTAINER_RUNNING":
            self._stop(container, 0, "Completed")     # the programs exit on SIGTERM
        return {}

    async def RemoveContainer(self, container_id: str) -> dict:
        self.containers.pop(container_id, None)
        return {}

    async def ListContainers(self) -> list[dict]:
        return [self._status(c) for c in self.containers.values()]

    async def ContainerStatus(self, container_id: str) -> dict:
        container = self.containers.get(container_id)
        if container is None:
            raise CRIError(f'an error occurred when try to find container "{container_id}": not found')
        return self._status(container)

    def _status(self, c: Container) -> dict:
        return {"id": c.id, "pod_sandbox_id": c.sandbox_id, "name": c.name, "state": c.state,
                "created_at": c.created, "started_at": c.started, "finished_at": c.finished,
                "exit_code": c.exit_code, "reason": c.reason, "image": c.image.reference,
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
    if result is None:
        return "not present"
    return "ok"
