"""`kubectl set image`: change container images in a pod template, by strategic merge patch.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/set/set_image.go (Validate,
Run: for each object, set the image of every container and init container with that name,
or of all with ``*``; "unable to find container named" when none has it; no patch and no
output when nothing changed; ``kind.group/name image updated``), set/helper.go
(CalculatePatches: a two-way strategic merge patch from the object before and after),
cmdutil.GetResourcesAndPairs / ParsePairs and polymorphichelpers/updatepodspec.go (which
kinds have a pod template).

Simplified: only ``set image`` of the ``set`` subcommands; no ``--local``, ``--dry-run`` or
``--record``; the patch carries no ``$setElementOrder`` directive (the containers' order is
unchanged anyway); images are set in the order given (Go ranges over a map).
"""
from __future__ import annotations

import copy

from ..api.errors import StatusError
from ..client.rest import STRATEGIC_PATCH
from . import apply as applylib

HELP = """Configure application resources.

 These commands help you make changes to existing application resources.

Available Commands:
  env              Update environment variables on a pod template
  image            Update the image of a pod template
  resources        Update resource requests/limits on objects with pod templates
  selector         Set the selector on a resource
  serviceaccount   Update the service account of a resource
  subject          Update the user, group, or service account in a role binding or cluster role binding

Usage:
  kubectl set SUBCOMMAND [options]

Use "kubectl set <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


def pod_spec_of(obj: dict):
    """updatepodspec.go: the pod spec a kind carries, or None."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("ReplicationController", "Deployment", "DaemonSet", "ReplicaSet", "StatefulSet", "Job"):
        return (spec.get("template") or {}).setdefault("spec", {})
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).setdefault("spec", {})
    return None


async def set_(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    if not args:
        out.err.append(HELP)
        out.failed = True
        return
    if args[0] != "image":
        raise CommandError(f'unknown command "{args[0]}" for "kubectl set"' if args[0] not in (
            "env", "resources", "selector", "serviceaccount", "subject") else
            f"kubectl set {args[0]} is not supported by k8slite's kubectl")
    await set_image(kubectl, args[1:], flags, out, input)


async def set_image(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError, for_output
    resources = [a for a in args if "=" not in a]
    pairs = [a for a in args if "=" in a]
    images: dict[str, str] = {}
    for pair in pairs:
        name, _, image = pair.partition("=")
        if not name or not image:
            raise CommandError(f"invalid image argument: {pair}")
        images[name] = image
    problems = []
    if not resources and not flags.all("filename"):
        problems.append("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if not images:
        problems.append("at least one image update is required")
    elif len(images) > 1 and "*" in images:
        problems.append("all containers are already specified by *, but saw more than one "
                        "container_name=container_image pairs")
    if len(problems) == 1:
        raise CommandError(problems[0])
    if problems:
        out.err.append("".join(p + "\n" for p in problems))
        out.failed = True
        return
    failures: list[str] = []
    for info, ns, name in await kubectl._targets(resources, flags, out, input):
        obj = for_output(await kubectl.client.get(info, ns, name), info)
        modified = copy.deepcopy(obj)
        spec = pod_spec_of(modified)
        if spec is None:
            failures.append(f"error: {info.resource}/{name} the object is not a pod or does not have a pod template")
            continue
        for container, image in images.items():
            found = False
            for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                if c.get("name") == container or container == "*":
                    c["image"] = image
                    found = True
            if not found:
                failures.append(f'error: unable to find container named "{container}"')
        patch = applylib.three_way_merge_patch(None, modified, obj)
        if not patch:
            continue
        try:
            patched = await kubectl.client.patch(info, ns, name, patch, STRATEGIC_PATCH)
        except StatusError as error:
            failures.append(f"failed to patch image update to pod template: {error.message}")
            continue
        out.objects.append(patched)
        kubectl.print_obj(patched, info, "image updated", flags, out)
    if len(failures) == 1 and not failures[0].startswith("error: "):
        failures[0] = "error: " + failures[0]          # checkErr unwraps an aggregate of one
    for failure in failures:
        out.error(failure)
