"""The pod status the kubelet reports: phase, conditions and container statuses.

Mirrors kubernetes v1.31 ``pkg/kubelet/kubelet_pods.go`` (generateAPIPodStatus: the phase
from getPhase, a terminal phase never left again, reason and message kept while the phase
holds; convertToAPIContainerStatuses: the latest container of each name gives ``state`` and
``restartCount``, the one before it ``lastState``; a container that will be restarted and
whose last start failed or is backing off is ``waiting`` with the reason from the reason cache,
its terminated state moving to ``lastState``; without any container yet, ``waiting``
ContainerCreating), ``getPhase`` (Pending while a container waits to start for the first
time, Running while one runs or will restart, Succeeded when all exited 0 and none will
restart, Failed when all exited, none will restart and one failed),
``pkg/kubelet/container/helpers.go`` (ShouldContainerBeRestarted: never after deletion;
Never does not restart; OnFailure restarts only a non-zero exit) and
``pkg/kubelet/status/generate.go`` (PodReadyToStartContainers, Initialized, Ready and
ContainersReady; a Succeeded pod is not ready with reason PodCompleted, a Failed one with
PodFailed).

Simplified: no init, ephemeral or sidecar containers, probes (a running container is ready
and started), readiness gates, resize status or termination-message files.
"""
from __future__ import annotations

import copy
from typing import Optional

from ..api.meta import rfc3339
from .pleg import EXITED, RUNNING, PodStatus

TERMINAL = ("Succeeded", "Failed")


def should_restart_on_failure(pod: dict) -> bool:
    return pod["spec"].get("restartPolicy", "Always") != "Never"


def should_container_be_restarted(container: dict, pod: dict, status: PodStatus) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    latest = status.find(container["name"])
    if latest is None:
        return True
    if latest["state"] == RUNNING:
        return False
    if latest["state"] != EXITED:
        return True                     # created or unknown: always (re)start
    policy = pod["spec"].get("restartPolicy", "Always")
    if policy == "Never":
        return False
    if policy == "OnFailure" and latest["exit_code"] == 0:
        return False
    return True


def _state(cs: dict) -> dict:
    """A CRI container status as an API ContainerState."""
    if cs["state"] == RUNNING:
        return {"running": {"startedAt": rfc3339(cs["started_at"])}}
    if cs["state"] == EXITED:
        terminated = {"exitCode": cs["exit_code"], "reason": cs["reason"]}
        if cs.get("message"):
            terminated["message"] = cs["message"]
        terminated.update({"startedAt": rfc3339(cs["started_at"]), "finishedAt": rfc3339(cs["finished_at"]),
                           "containerID": f"containerd://{cs['id']}"})
        return {"terminated": terminated}
    return {"waiting": {}}


def container_statuses(pod: dict, status: PodStatus, old_statuses: list, reasons: dict) -> list[dict]:
    """convertToAPIContainerStatuses for the pod's regular containers, in spec order."""
    old = {s["name"]: s for s in old_statuses or ()}
    out = []
    for container in pod["spec"]["containers"]:
        name = container["name"]
        cs = {"name": name, "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}, "ready": False,
              "restartCount": 0, "image": container["image"], "imageID": "", "started": False}
        previous = old.get(name)
        if previous is not None:
            if (previous.get("state") or {}).get("terminated") is not None:
                cs = copy.deepcopy(previous)
            else:
                cs["restartCount"] = previous.get("restartCount", 0)
                cs["lastState"] = copy.deepcopy(previous.get("lastState") or {})
        instances = status.instances(name)
        if instances:
            latest = instances[0]
            cs = {"name": name, "state": _state(latest), "lastState": {}, "ready": False,
                  "restartCount": latest.get("attempt", 0), "image": latest["image"], "imageID": latest["image_ref"],
                  "containerID": f"containerd://{latest['id']}", "started": False}
            if len(instances) > 1:
                cs["lastState"] = _state(instances[1])
        if should_container_be_restarted(container, pod, status) and name in reasons:
            reason, message = reasons[name]
            if "terminated" in cs["state"]:
                cs["lastState"] = cs["state"]
            cs["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        running = "running" in cs["state"]
        cs["ready"] = cs["started"] = running
        out.append(cs)
    return out


def get_phase(pod: dict, statuses: list[dict], pod_is_terminal: bool) -> str:
    running = waiting = stopped = succeeded = unknown = 0
    by_name = {s["name"]: s for s in statuses}
    for container in pod["spec"]["containers"]:
        cs = by_name.get(container["name"])
        if cs is None:
            unknown += 1
            continue
        state = cs["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif "waiting" in state:
            if (cs.get("lastState") or {}).get("terminated") is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    policy = pod["spec"].get("restartPolicy", "Always")
    if waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def conditions(pod: dict, status: PodStatus, statuses: list[dict], phase: str, old: list, now: float) -> list[dict]:
    """The kubelet-owned conditions (generate.go), each keeping its lastTransitionTime while its status holds."""
    stamp = rfc3339(now)
    previous = {c["type"]: c for c in old or ()}

    def cond(ctype: str, value: str, reason: str = "", message: str = "") -> dict:
        prior = previous.get(ctype)
        c = {"type": ctype, "status": value, "lastProbeTime": None,
             "lastTransitionTime": prior["lastTransitionTime"] if prior and prior.get("status") == value else stamp}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c
    unready = [s["name"] for s in statuses if not s["ready"]]
    if phase == "Succeeded":
        ready = ("False", "PodCompleted", "")
    elif phase == "Failed":
        ready = ("False", "PodFailed", "")
    elif unready:
        ready = ("False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    else:
        ready = ("True", "", "")
    initialized = ("True", "PodCompleted") if phase == "Succeeded" else ("True", "")
    owned = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    kept = [copy.deepcopy(c) for c in pod.get("status", {}).get("conditions") or () if c["type"] not in owned]
    return kept + [cond("PodReadyToStartContainers", "True" if status.sandbox_ready() else "False"),
                   cond("Initialized", *initialized),
                   cond("Ready", *ready),
                   cond("ContainersReady", *ready),
                   cond("PodScheduled", "True")]


def generate_api_pod_status(pod: dict, status: PodStatus, old: Optional[dict], reasons: dict, host_ip: str,
                            now: float, pod_is_terminal: bool = False) -> dict:
    """generateAPIPodStatus: the status the status manager should hold for the pod now."""
    api = pod.get("status") or {}
    old = old if old is not None else api
    statuses = container_statuses(pod, status, old.get("containerStatuses"), reasons)
    phase = get_phase(pod, statuses, pod_is_terminal)
    if phase not in TERMINAL:
        if old.get("phase") in TERMINAL:
            phase = old["phase"]
        elif api.get("phase") in TERMINAL:
            phase = api["phase"]
    if api.get("phase") in TERMINAL:
        phase = api["phase"]             # pods are not allowed to transition out of terminal phases
    out = {"phase": phase, "conditions": conditions(pod, status, statuses, phase, old.get("conditions"), now),
           "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
           "startTime": old.get("startTime") or api.get("startTime") or rfc3339(now),
           "qosClass": api.get("qosClass", "BestEffort"), "containerStatuses": statuses}
    ips = status.ips or ([i["ip"] for i in old.get("podIPs") or ()] or ([old["podIP"]] if old.get("podIP") else []))
    if ips:
        out["podIP"] = ips[0]
        out["podIPs"] = [{"ip": ip} for ip in ips]
    if phase == old.get("phase"):
        for key in ("reason", "message"):
            if old.get(key) or api.get(key):
                out[key] = old.get(key) or api.get(key)
    return out
