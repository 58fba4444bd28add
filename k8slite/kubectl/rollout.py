"""`kubectl rollout`: pause, resume, restart, undo, history and status of a Deployment.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/rollout/ (rollout_pause.go,
rollout_resume.go, rollout_restart.go, rollout_undo.go, rollout_history.go,
rollout_status.go), polymorphichelpers (objectpauser.go, objectresumer.go,
objectrestarter.go, rollback.go: DeploymentRollbacker, history.go:
DeploymentHistoryViewer, status.go: DeploymentStatusViewer) and kubectl/pkg/util/deployment
(kubectl's own copy of Revision, FindNewReplicaSet and EqualIgnoreHash).

Pause, resume and restart send the strategic merge patch kubectl computes from the
object before and after the change; undo is client-side since kubectl 1.x: it finds the
ReplicaSet with the wanted revision (or the previous one) and JSON-patches the
Deployment's template and annotations back to it; status prints the status viewer's line
for the object listed and then for every watch event, until the rollout is done.

Simplified: only Deployments (DaemonSets and StatefulSets get upstream's "not
implemented" answers); no ``--dry-run``, ``-o`` or ``--selector`` on these commands.
"""
from __future__ import annotations

import copy
from typing import Optional

from ..api import errors
from ..api.errors import StatusError
from ..api.labels import Selector
from ..api.meta import controller_of, parse_rfc3339, rfc3339
from ..client.rest import JSON_PATCH, STRATEGIC_PATCH
from ..sim import Timeout
from .describe import _PrefixWriter, _describe_pod_template
from .printers import tabwrite

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# rollback.go annotationsToSkip: kept from the Deployment, never taken from the ReplicaSet.
ANNOTATIONS_TO_SKIP = ("kubectl.kubernetes.io/last-applied-configuration", REVISION,
                       "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                       "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to")
SUBCOMMANDS = ("history", "pause", "restart", "resume", "status", "undo")


class RolloutError(Exception):
    """An error kubectl prints as ``error: <message>``."""


def _qualified(info) -> str:
    """``deployments.apps``: the resource as kubectl names it in these errors."""
    return f"{info.resource}.{info.group}" if info.group else info.resource


def _group_kind(info) -> str:
    """schema.GroupKind.String(): ``Deployment.apps``."""
    return f"{info.kind}.{info.group}" if info.group else info.kind


def revision(obj: dict) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    if value is None:
        return 0
    return int(value)


def _without_hash(template: dict) -> dict:
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:
            del template["metadata"]["labels"]
    if "metadata" in template and not template["metadata"]:
        del template["metadata"]
    return template


def equal_ignore_hash(a: dict, b: dict) -> bool:
    return _without_hash(a) == _without_hash(b)


async def replica_sets_of(kubectl, deployment: dict) -> tuple[list[dict], Optional[dict]]:
    """GetAllReplicaSets (kubectl's copy): the old ReplicaSets and the new one, by selector and controllerRef."""
    meta = deployment["metadata"]
    info = kubectl.scheme.by_resource("apps", "replicasets")
    selector = Selector.from_label_selector(deployment["spec"].get("selector"))
    listed = await kubectl.client.list(info, meta["namespace"], label_selector=str(selector))
    owned = [rs for rs in listed.get("items") or []
             if (controller_of(rs) or {}).get("uid") == meta.get("uid")]
    owned.sort(key=lambda rs: (parse_rfc3339(rs["metadata"]["creationTimestamp"]), rs["metadata"]["name"]))
    new = next((rs for rs in owned if equal_ignore_hash(rs["spec"]["template"], deployment["spec"]["template"])), None)
    return [rs for rs in owned if rs is not new], new


HELP = """Manage the rollout of one or many resources.
        
 Valid resource types include:

  *  deployments
  *  daemonsets
  *  statefulsets

Examples:
  # Rollback to the previous deployment
  kubectl rollout undo deployment/abc
  
  # Check the rollout status of a daemonset
  kubectl rollout status daemonset/foo
  
  # Restart a deployment
  kubectl rollout restart deployment/abc
  
  # Restart deployments with the 'app=nginx' label
  kubectl rollout restart deployment --selector=app=nginx

Available Commands:
  history       View rollout history
  pause         Mark the provided resource as paused
  restart       Restart a resource
  resume        Resume a paused resource
  status        Show the status of the rollout
  undo          Undo a previous rollout

Usage:
  kubectl rollout SUBCOMMAND [options]

Use "kubectl rollout <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


async def rollout(kubectl, args: list[str], flags, out, input) -> None:
    if not args:                                  # DefaultSubCommandRun: help to stderr, then exit 1
        out.err.append(HELP)
        out.failed = True
        return
    command, args = args[0], args[1:]
    if command not in SUBCOMMANDS:                # RequireNoArguments
        raise RolloutError(f'unknown command "{" ".join([command] + args)}"\n'
                           "See 'kubectl rollout -h' for help and examples")
    targets = await kubectl._targets(args, flags, out, input)
    failures: list[str] = []
    for info, namespace, name in targets:
        try:
            line = await HANDLERS[command](kubectl, info, namespace, name, flags, out)
        except RolloutError as error:
            failures.append(str(error))
            if command in ("undo", "history", "status"):
                break                       # r.Visit stops at the first error
            continue
        if line is not None:
            out.print(line)
    for message in failures:
        out.error(message if message.startswith("error: ") else f"error: {message}")


def _name(info, name: str) -> str:
    return f"{info.kind.lower()}.{info.group}/{name}" if info.group else f"{info.kind.lower()}/{name}"


async def _get(kubectl, info, namespace: str, name: str) -> dict:
    return await kubectl.client.get(info, namespace, name)


async def pause(kubectl, info, namespace, name, flags, out) -> str:
    """rollout pause: ``{"spec":{"paused":true}}``, or "already paused" when nothing would change."""
    obj = await _get(kubectl, info, namespace, name)
    out.objects.append(obj)
    if info.kind != "Deployment":
        raise RolloutError(f'error: {_qualified(info)} "{name}" pausing is not supported')
    if obj["spec"].get("paused"):
        raise RolloutError(f'error: {_qualified(info)} "{name}" is already paused')
    await kubectl.client.patch(info, namespace, name, {"spec": {"paused": True}}, STRATEGIC_PATCH)
    return f"{_name(info, name)} paused"


async def resume(kubectl, info, namespace, name, flags, out) -> str:
    obj = await _get(kubectl, info, namespace, name)
    out.objects.append(obj)
    if info.kind != "Deployment":
        raise RolloutError(f'error: {_qualified(info)} "{name}" resuming is not supported')
    if not obj["spec"].get("paused"):
        raise RolloutError(f'error: {_qualified(info)} "{name}" is not paused')
    await kubectl.client.patch(info, namespace, name, {"spec": {"paused": None}}, STRATEGIC_PATCH)
    return f"{_name(info, name)} resumed"


async def restart(kubectl, info, namespace, name, flags, out) -> str:
    """rollout restart: stamp ``kubectl.kubernetes.io/restartedAt`` (RFC 3339, to the second) on the template."""
    obj = await _get(kubectl, info, namespace, name)
    out.objects.append(obj)
    if info.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
        raise RolloutError(f'error: {_qualified(info)} "{name}" restarting is not supported')
    if info.kind == "Deployment" and obj["spec"].get("paused"):
        raise RolloutError(f'error: {_qualified(info)} "{name}" can\'t restart paused deployment '
                           "(run rollout resume first)")
    stamp = rfc3339(kubectl.kernel.now)
    annotations = ((obj["spec"].get("template") or {}).get("metadata") or {}).get("annotations") or {}
    if annotations.get(RESTARTED_AT) == stamp:
        raise RolloutError(f"failed to create patch for {name}: if restart has already been triggered within "
                           "the past second, please wait before attempting to trigger another")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    await kubectl.client.patch(info, namespace, name, patch, STRATEGIC_PATCH)
    return f"{_name(info, name)} restarted"


async def undo(kubectl, info, namespace, name, flags, out) -> str:
    """rollout undo: DeploymentRollbacker.Rollback, client-side."""
    to_revision = int(flags.get("to-revision") or 0)
    if info.kind != "Deployment":
        raise RolloutError(f'no rollbacker has been implemented for "{_group_kind(info)}"')
    if to_revision < 0:
        raise RolloutError(f"unable to find specified revision {to_revision} in history")
    try:
        deployment = await _get(kubectl, info, namespace, name)
    except StatusError as error:
        raise RolloutError(f"failed to retrieve Deployment {name}: {error.message}") from None
    out.objects.append(deployment)
    olds, new = await replica_sets_of(kubectl, deployment)
    target = _deployment_revision(deployment, olds + ([new] if new else []), to_revision)
    if deployment["spec"].get("paused"):
        raise RolloutError("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    if equal_ignore_hash(target["spec"]["template"], deployment["spec"]["template"]):
        return f"{_name(info, name)} skipped rollback (current template already matches revision {to_revision})"
    template = _without_hash(target["spec"]["template"])
    annotations = {k: v for k, v in (deployment["metadata"].get("annotations") or {}).items()
                   if k in ANNOTATIONS_TO_SKIP}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items()
                        if k not in ANNOTATIONS_TO_SKIP})
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    try:
        await kubectl.client.patch(info, namespace, name, patch, JSON_PATCH)
    except StatusError as error:
        raise RolloutError(f"failed restoring revision {to_revision}: {error.message}") from None
    return f"{_name(info, name)} rolled back"


def _deployment_revision(deployment: dict, rss: list[dict], to_revision: int) -> dict:
    """deploymentRevision: the ReplicaSet of ``to_revision``, or for 0 the one before the newest."""
    latest, latest_rev, previous, previous_rev = None, -1, None, -1
    for rs in rss:
        try:
            v = revision(rs)
        except ValueError:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev, latest, latest_rev = latest, latest_rev, rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif v == to_revision:
            return rs
    if to_revision > 0:
        raise RolloutError(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise RolloutError(f'no rollout history found for deployment "{deployment["metadata"]["name"]}"')
    return previous


async def history(kubectl, info, namespace, name, flags, out) -> str:
    """rollout history: REVISION and CHANGE-CAUSE of every ReplicaSet, or one revision's pod template."""
    wanted = int(flags.get("revision") or 0)
    if info.kind != "Deployment":
        raise RolloutError(f'no history viewer has been implemented for "{_group_kind(info)}"')
    deployment = await _get(kubectl, info, namespace, name)
    out.objects.append(deployment)
    olds, new = await replica_sets_of(kubectl, deployment)
    templates: dict[int, dict] = {}
    for rs in olds + ([new] if new else []):
        try:
            v = revision(rs)
        except ValueError:
            continue
        template = copy.deepcopy(rs["spec"]["template"])
        cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            template.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
        templates[v] = template
    if not templates:
        text = "No rollout history found."
    elif wanted > 0:
        if wanted not in templates:
            raise RolloutError("unable to find the specified revision")
        w = _PrefixWriter()
        _describe_pod_template(w, templates[wanted])
        text = "".join(w.chunks)                 # printTemplate: a PrefixWriter over a plain buffer
    else:
        rows = ["REVISION\tCHANGE-CAUSE"]
        for v in sorted(templates):
            cause = ((templates[v].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
            rows.append(f"{v}\t{cause}")
        text = tabwrite("\n".join(rows) + "\n", minwidth=0, padding=2)
    with_revision = f"with revision #{wanted}" if wanted > 0 else ""
    return f"{_name(info, name)} {with_revision}\n{text}"


def status_line(deployment: dict, wanted_revision: int = 0) -> tuple[str, bool]:
    """DeploymentStatusViewer.Status: the line to print and whether the rollout is done."""
    name = deployment["metadata"]["name"]
    if wanted_revision > 0:
        try:
            current = revision(deployment)
        except ValueError as error:
            raise RolloutError(f'cannot get the revision of deployment "{name}": {error}') from None
        if current != wanted_revision:
            raise RolloutError(f"desired revision ({wanted_revision}) is different from the running revision "
                               f"({current})")
    status = deployment.get("status") or {}
    if deployment["metadata"].get("generation", 0) <= status.get("observedGeneration", 0):
        cond = next((c for c in status.get("conditions") or () if c["type"] == "Progressing"), None)
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            raise RolloutError(f'deployment "{name}" exceeded its progress deadline')
        want = deployment["spec"].get("replicas", 1)
        updated, replicas = status.get("updatedReplicas", 0), status.get("replicas", 0)
        available = status.get("availableReplicas", 0)
        if updated < want:
            return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} new replicas '
                    "have been updated...\n"), False
        if replicas > updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {replicas - updated} old replicas are '
                    "pending termination...\n"), False
        if available < updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated '
                    "replicas are available...\n"), False
        return f'deployment "{name}" successfully rolled out\n', True
    return "Waiting for deployment spec update to be observed...\n", False


async def status(kubectl, info, namespace, name, flags, out) -> None:
    """rollout status: list the object, then watch it; print the status line at each event."""
    from .kubectl import _duration
    if info.kind != "Deployment":
        raise RolloutError(f"no status viewer has been implemented for {_group_kind(info)}")
    wanted = int(flags.get("revision") or 0)
    keep_watching = flags.bool("watch", True)
    timeout = _duration(flags.get("timeout") or "0s")
    kernel, client = kubectl.kernel, kubectl.client
    await _get(kubectl, info, namespace, name)
    selector = f"metadata.name={name}"

    def show(obj: dict) -> bool:
        line, done = status_line(obj, wanted)
        out.out.append(line)
        return done or not keep_watching

    async def until_done() -> None:
        listed = await client.list(info, namespace, field_selector=selector)
        version = listed["metadata"]["resourceVersion"]
        for obj in listed.get("items") or []:
            if show(obj):
                return
        while True:
            watch = await client.watch(info, namespace, version, field_selector=selector, timeout_seconds=300)
            while True:
                event, _ = await watch.next()
                if event is None:
                    break
                if event.type == "BOOKMARK":
                    version = event.object["metadata"]["resourceVersion"]
                    continue
                if event.type == "ERROR":
                    watch.stop()
                    raise RolloutError(f"watch error: {event.object.get('message', '')}")
                if event.type == "DELETED":
                    watch.stop()
                    raise RolloutError("object has been deleted")
                version = event.object["metadata"]["resourceVersion"]
                if show(event.object):
                    watch.stop()
                    return

    try:
        if timeout:
            await kernel.timeout(until_done(), timeout)
        else:
            await until_done()
    except errors.StatusError as error:
        raise RolloutError(error.message) from None
    except Timeout:
        raise RolloutError("timed out waiting for the condition") from None
    return None


HANDLERS = {"pause": pause, "resume": resume, "restart": restart, "undo": undo, "history": history,
            "status": status}
