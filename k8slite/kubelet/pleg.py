"""The Pod Lifecycle Event Generator and the kubelet's runtime pod cache.

Mirrors kubernetes v1.31 ``pkg/kubelet/pleg/evented.go`` (the Evented PLEG: one CRI
``GetContainerEvents`` stream; each ContainerEventResponse carries the pod sandbox's status
and all its containers' statuses, which replace the pod's entry in the cache when the event
is newer; CONTAINER_STARTED becomes ContainerStarted, CONTAINER_STOPPED ContainerDied,
CONTAINER_DELETED ContainerDied and ContainerRemoved, CONTAINER_CREATED only updates the
cache; an event without sandbox status is ignored; a pod's IPs survive an update without
them, since "the kubernetes API expects the completed pod's IP to be available after the
pod is dead"), ``pkg/kubelet/pleg/generic.go`` (the relist: ListPodSandbox and
ListContainers, grouped by pod, compared with the cache container by container:
computeEvents), ``pkg/kubelet/container/cache.go`` (Set keeps the newer status) and
``pkg/kubelet/container/runtime.go`` (PodStatus, FindContainerStatusByName: the most recently
created container of that name).

Simplified: PodStatus holds the CRI's dicts rather than kubecontainer.Status; the cache has
no GetNewerThan (the pod worker reads whatever is there; it is kept current by the stream);
a CONTAINER_DELETED event of a container also updates the cache (upstream leaves that to the
next event or relist).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

CONTAINER_STARTED, CONTAINER_DIED, CONTAINER_REMOVED, CONTAINER_CHANGED = (
    "ContainerStarted", "ContainerDied", "ContainerRemoved", "ContainerChanged")
RUNNING, EXITED, CREATED, UNKNOWN = "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_CREATED", "CONTAINER_UNKNOWN"
SANDBOX_READY = "SANDBOX_READY"


@dataclass
class PodStatus:
    """The runtime's view of one pod (kubecontainer.PodStatus): sandboxes and containers, newest first."""
    uid: str
    name: str = ""
    namespace: str = ""
    ips: list = field(default_factory=list)
    sandboxes: list = field(default_factory=list)
    containers: list = field(default_factory=list)
    timestamp: float = 0.0

    def find(self, name: str) -> Optional[dict]:
        """FindContainerStatusByName: the latest container of that name."""
        for c in self.containers:
            if c["name"] == name:
                return c
        return None

    def instances(self, name: str) -> list[dict]:
        return [c for c in self.containers if c["name"] == name]

    def sandbox(self) -> Optional[dict]:
        return self.sandboxes[0] if self.sandboxes else None

    def sandbox_ready(self) -> bool:
        sandbox = self.sandbox()
        return sandbox is not None and sandbox["state"] == SANDBOX_READY

    def running(self) -> list[dict]:
        return [c for c in self.containers if c["state"] == RUNNING]


def pod_status(uid: str, sandboxes: list[dict], containers: list[dict], timestamp: float) -> PodStatus:
    """Build a PodStatus from CRI statuses: newest sandbox and container first (by creation time,
    ties broken by the runtime's listing order); the IP of the newest sandbox if it is ready."""
    sandboxes = [s for _, s in sorted(enumerate(sandboxes), key=lambda p: (-p[1]["created_at"], -p[0]))]
    containers = [c for _, c in sorted(enumerate(containers), key=lambda p: (-p[1]["created_at"], -p[0]))]
    first = sandboxes[0] if sandboxes else {}
    ips = [first["ip"]] if first.get("ip") else []
    return PodStatus(uid, first.get("name", ""), first.get("namespace", ""), ips, sandboxes, containers, timestamp)


class Cache:
    """uid -> PodStatus; ``set`` keeps a status only if it is not older than the cached one."""

    def __init__(self):
        self.pods: dict[str, PodStatus] = {}

    def get(self, uid: str) -> PodStatus:
        return self.pods.get(uid) or PodStatus(uid)

    def set(self, status: PodStatus) -> bool:
        old = self.pods.get(status.uid)
        if old is not None and old.timestamp > status.timestamp:
            return False
        if not status.ips and old is not None and old.ips and not status.sandbox_ready():
            status.ips = list(old.ips)               # a dead pod keeps the IP it had
        self.pods[status.uid] = status
        return True

    def delete(self, uid: str) -> None:
        self.pods.pop(uid, None)


def process_container_event(cache: Cache, event: dict) -> list[tuple[str, str]]:
    """EventedPLEG.processCRIEvents for one ContainerEventResponse: update the cache and return the
    pod lifecycle events [(pod uid, type)] it generates."""
    sandbox = event.get("pod_sandbox_status")
    if not sandbox:
        return []
    uid = sandbox["uid"]
    kind = event["container_event_type"]
    status = pod_status(uid, [sandbox], event.get("containers_statuses") or [], event["created_at"])
    if kind == "CONTAINER_DELETED_EVENT":
        if event["container_id"] == sandbox["id"]:
            cache.delete(uid)
        else:
            cache.set(status)
        return [(uid, CONTAINER_DIED), (uid, CONTAINER_REMOVED)]
    if not cache.set(status):
        return []
    if kind == "CONTAINER_STARTED_EVENT":
        return [(uid, CONTAINER_STARTED)]
    if kind == "CONTAINER_STOPPED_EVENT":
        return [(uid, CONTAINER_DIED)]
    return []


def relist(cache: Cache, sandboxes: list[dict], containers: list[dict], now: float) -> list[tuple[str, str]]:
    """GenericPLEG.Relist: group what the runtime lists by pod, compare each container's state with
    the cache (computeEvents), update the cache, and return the events."""
    by_sandbox = {s["id"]: s for s in sandboxes}
    grouped: dict[str, tuple[list, list]] = {}
    for s in sandboxes:
        grouped.setdefault(s["uid"], ([], []))[0].append(s)
    for c in containers:
        sandbox = by_sandbox.get(c["pod_sandbox_id"])
        if sandbox is not None:
            grouped[sandbox["uid"]][1].append(c)
    events: list[tuple[str, str]] = []
    for uid in list(cache.pods) + [u for u in grouped if u not in cache.pods]:
        old = cache.pods.get(uid)
        if uid not in grouped:
            if old is not None:
                events.extend((uid, e) for e in _changes(_states(old), {}))
                cache.delete(uid)
            continue
        new = pod_status(uid, *grouped[uid], now)
        found = _changes(_states(old) if old is not None else {}, _states(new))
        cache.set(new)
        events.extend((uid, e) for e in found)
    return events


def _states(status: PodStatus) -> dict[str, str]:
    """Container id -> state, the sandboxes counted as containers (as the generic PLEG does)."""
    states = {s["id"]: RUNNING if s["state"] == SANDBOX_READY else EXITED for s in status.sandboxes}
    states.update({c["id"]: c["state"] for c in status.containers})
    return states


def _changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """generateEvents for every container of a pod, in a stable order."""
    out: list[str] = []
    for cid in list(old) + [c for c in new if c not in old]:
        before, after = old.get(cid), new.get(cid)
        if before == after:
            continue
        if after == RUNNING:
            out.append(CONTAINER_STARTED)
        elif after == EXITED:
            out.append(CONTAINER_DIED)
        elif after is None:
            if before == RUNNING:
                out.append(CONTAINER_DIED)
            out.append(CONTAINER_REMOVED)
        elif after == UNKNOWN:
            out.append(CONTAINER_CHANGED)
    return out


def sync_worthy(kind: str) -> bool:
    """isSyncPodWorthy: every event but ContainerRemoved wakes the pod's worker."""
    return kind != CONTAINER_REMOVED
