"""`kubectl logs`: a container's log, through the API server's ``pods/{name}/log``.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go (``POD [CONTAINER]``
or ``TYPE/NAME``, ``-c``, ``--previous``, ``--tail`` (10 by default with ``-l``),
``--timestamps``, ``--all-containers``, ``--prefix``; "error from server (NotFound): ... in
namespace" for a missing object), polymorphichelpers/logsforobject.go (a pod, or the first
pod of a controller's selector, "Found N pods, using pod/x") and attachablepodforobject's
GetFirstPod (podutils.ActivePods reversed: the most available pod first), and
kubectl/pkg/cmd/util/podcmd (the default container, ``kubectl.kubernetes.io/default-container``
and "Defaulted container ... out of: ...").

Simplified: no ``--follow`` (the log so far is printed), ``--since``, ``--since-time`` or
``--limit-bytes``; ``-l`` reads every matching pod (no ``--max-log-requests`` limit);
equally available pods keep the server's (name) order where Go's sort is not stable.
"""
from __future__ import annotations

from ..api import errors
from ..api.errors import StatusError
from ..api.labels import Selector
from .printers import parse_time

USAGE = ("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
         "POD or TYPE/NAME is a required argument for the logs command\n"
         "See 'kubectl logs -h' for help and examples")
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
SELECTOR_TAIL = 10


def _ready_time(pod: dict):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return parse_time(c.get("lastTransitionTime"))
    return None


def _activeness(pod: dict) -> tuple:
    """podutils.ActivePods' order as a key, larger for the pod GetFirstPod prefers: assigned,
    running, ready, ready for longer, fewer restarts, older."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase"), 0)
    ready_at = _ready_time(pod)
    ready = ready_at is not None or any(c.get("type") == "Ready" and c.get("status") == "True"
                                        for c in status.get("conditions") or [])
    restarts = max([int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or []] or [0])
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
    return (bool(spec.get("nodeName")), phase, ready,
            (1, -ready_at) if ready and ready_at is not None else (0, 0.0),
            -restarts, (1, -created) if created is not None else (0, 0.0))


def first_pod(pods: list[dict]) -> dict:
    """GetFirstPod: sort.Reverse(ActivePods) and take the first."""
    return sorted(pods, key=_activeness, reverse=True)[0]


async def logs(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    selector = flags.get("selector") or ""
    if not args and not selector:
        raise CommandError(USAGE)
    if args and selector:
        raise CommandError("only a selector (-l) or a POD name is allowed")
    if len(args) > 2:
        raise CommandError(USAGE)
    container = flags.get("container") or (args[1] if len(args) == 2 else "")
    tail = flags.get("tail")
    tail_lines = int(tail) if tail is not None else -1
    if selector and tail is None:
        tail_lines = SELECTOR_TAIL
    ns = kubectl._ns(flags)
    pods_info = kubectl.scheme.by_resource("", "pods")
    if selector:
        listed = await kubectl.client.list(pods_info, ns, label_selector=selector)
        pods = listed.get("items") or []
        if not pods:
            out.err.append("No resources found in %s namespace.\n" % ns)
            return
    else:
        pods = [await _pod_for(kubectl, args[0], ns, out)]
    for pod in pods:
        for name in _containers(pod, container, flags.bool("all-containers"), out):
            prefix = f"[pod/{pod['metadata']['name']}/{name}] " if flags.bool("prefix") else ""
            text = await kubectl.client.logs(ns, pod["metadata"]["name"], name,
                                             tail_lines if tail_lines >= 0 else None, flags.bool("timestamps"),
                                             flags.bool("previous"))
            if prefix:
                text = "".join(prefix + line for line in text.splitlines(keepends=True))
            out.out.append(text)


async def _pod_for(kubectl, arg: str, ns: str, out) -> dict:
    """The pod a ``POD`` or ``TYPE/NAME`` argument means (logsForObject)."""
    from .kubectl import CommandError
    kind, slash, name = arg.partition("/")
    info = kubectl._lookup(kind) if slash else kubectl.scheme.by_resource("", "pods")
    name = name if slash else arg
    try:
        obj = await kubectl.client.get(info, ns if info.namespaced else "", name)
    except StatusError as error:
        if errors.is_not_found(error):
            raise CommandError(f'error from server (NotFound): {error.message} in namespace "{ns}"') from None
        raise
    if info.kind == "Pod":
        return obj
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if info.kind in ("Service", "ReplicationController"):
        labels = selector or {}
        selector_text = ",".join(f"{k}={labels[k]}" for k in sorted(labels))
    elif isinstance(selector, dict):
        selector_text = str(Selector.from_label_selector(selector))
    else:
        raise CommandError(f"cannot get the logs from {info.kind.lower()}.{info.group}/{name}" if info.group
                           else f"cannot get the logs from {info.kind.lower()}/{name}")
    listed = await kubectl.client.list(kubectl.scheme.by_resource("", "pods"), ns, label_selector=selector_text)
    pods = listed.get("items") or []
    if not pods:
        raise CommandError("timed out waiting for the condition")    # GetFirstPod waits for one first
    if len(pods) > 1:
        out.err.append(f"Found {len(pods)} pods, using pod/{first_pod(pods)['metadata']['name']}\n")
    return first_pod(pods)


def _containers(pod: dict, container: str, all_containers: bool, out) -> list[str]:
    """The containers to read: the one asked for, every one, or the default one (podcmd)."""
    from .kubectl import CommandError
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    init = [c["name"] for c in spec.get("initContainers") or []]
    main = [c["name"] for c in spec.get("containers") or []]
    if all_containers:
        return init + main
    if container:
        if container not in init + main:
            raise CommandError(f"container {container} is not valid for pod {name}")
        return [container]
    default = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER)
    if default:
        if default in init + main:
            return [default]
        out.err.append(f'Default container name "{default}" not found in pod {name}\n')
    if len(main) > 1 or init:
        listed = ", ".join(main + [f"{c} (init)" for c in init])
        out.err.append(f'Defaulted container "{main[0]}" out of: {listed}\n')
    return main[:1]
