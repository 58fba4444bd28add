"""What SyncPod must do to a pod, and the back-off between container restarts.

Mirrors kubernetes v1.31 ``pkg/kubelet/kuberuntime/kuberuntime_manager.go``
(computePodActions: a new sandbox when there is none ready, unless the pod must not restart
and already ran; the containers to start are those ShouldContainerBeRestarted says, minus the
succeeded ones under OnFailure when the sandbox is new; KillPod when nothing is kept and
nothing starts; doBackOff: the back-off is measured from the finish time of the container's
last exit, keyed per pod and container; in back-off the kubelet records a ``BackOff`` event
"Back-off restarting failed container X in pod Y_ns(uid)" and the error
"back-off 10s restarting failed container=X pod=Y_ns(uid)" as reason CrashLoopBackOff),
``staging/src/k8s.io/client-go/util/flowcontrol/backoff.go`` (Backoff: Next doubles the
delay up to the maximum, or restarts from the initial one when the last update is more than
twice the maximum before the event; IsInBackOffSince, IsInBackOffSinceUpdate) with the
kubelet's constants (``containerBackOffPeriod`` 10 s and ``MaxContainerBackOff`` 300 s;
image pulls the same), and ``pkg/kubelet/util/format/pod.go`` (``name_namespace(uid)``).

Simplified: no init or ephemeral containers, liveness-probe kills or spec-change restarts;
no jitter (the kubelet's container back-off has none either).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .pleg import EXITED, RUNNING, PodStatus
from .status import should_container_be_restarted, should_restart_on_failure

CONTAINER_BACKOFF_PERIOD = 10.0         # containerBackOffPeriod
MAX_CONTAINER_BACKOFF = 300.0           # MaxContainerBackOff
IMAGE_BACKOFF_PERIOD, MAX_IMAGE_BACKOFF = 10.0, 300.0
EPSILON = 1e-9                          # virtual times are floats: "at the expiry" counts as expired


class Backoff:
    """flowcontrol.Backoff: per-key exponential back-off on the kernel's clock."""

    def __init__(self, kernel, initial: float, maximum: float):
        self.kernel, self.initial, self.maximum = kernel, initial, maximum
        self.entries: dict[str, list] = {}          # key -> [back-off, last update]

    def get(self, key: str) -> float:
        entry = self.entries.get(key)
        return entry[0] if entry else 0.0

    def _expired(self, event_time: float, last_update: float) -> bool:
        return event_time - last_update > 2 * self.maximum

    def next(self, key: str, event_time: float) -> None:
        entry = self.entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            self.entries[key] = [self.initial, self.kernel.now]
        else:
            entry[0] = min(entry[0] * 2, self.maximum)
            entry[1] = self.kernel.now

    def in_backoff_since(self, key: str, event_time: float) -> bool:
        entry = self.entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        return self.kernel.now - event_time + EPSILON < entry[0]

    def in_backoff_since_update(self, key: str, event_time: float) -> bool:
        entry = self.entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        return event_time - entry[1] + EPSILON < entry[0]

    def forget(self, prefix: str) -> None:
        for key in [k for k in self.entries if k.startswith(prefix)]:
            del self.entries[key]


def format_pod(pod: dict) -> str:
    meta = pod["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta['uid']})"


def stable_key(pod: dict, container: dict) -> str:
    """GetStableKey: the back-off key of one container of one pod."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta['namespace']}_{meta['uid']}_{container['name']}"


def go_duration(seconds: float) -> str:
    """time.Duration.String() of whole seconds: 10s, 1m20s, 5m0s."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60}s"
    return f"{s // 3600}h{s % 3600 // 60}m{s % 60}s"


@dataclass
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    sandbox_id: str = ""
    attempt: int = 0
    start: list = field(default_factory=list)       # containers of the spec to start, in order


def container_succeeded(container: dict, status: PodStatus) -> bool:
    cs = status.find(container["name"])
    return cs is not None and cs["state"] == EXITED and cs["exit_code"] == 0


def compute_pod_actions(pod: dict, status: PodStatus) -> PodActions:
    sandbox = status.sandbox()
    create = sandbox is None or sandbox["state"] != "SANDBOX_READY"
    actions = PodActions(kill_pod=create, create_sandbox=create, sandbox_id=sandbox["id"] if sandbox else "",
                         attempt=sandbox["attempt"] + 1 if sandbox else 0)
    containers = pod["spec"]["containers"]
    if create:
        if not should_restart_on_failure(pod) and actions.attempt != 0 and status.containers:
            actions.create_sandbox = False        # done: do not make a sandbox only to kill it
            return actions
        start = [c for c in containers
                 if not (pod["spec"].get("restartPolicy") == "OnFailure" and container_succeeded(c, status))]
        if not start and any(status.find(c["name"]) is not None for c in containers):
            actions.create_sandbox = False
            return actions
        actions.start = start
        return actions
    keep = 0
    for c in containers:
        cs = status.find(c["name"])
        if cs is None or cs["state"] != RUNNING:
            if should_container_be_restarted(c, pod, status):
                actions.start.append(c)
            continue
        keep += 1
    if keep == 0 and not actions.start:
        actions.kill_pod = True
    return actions
