"""`kubectl run NAME --image=IMAGE [-- ARGS...]`: create one Pod.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/run/run.go (``--image`` required,
``--restart`` Always|OnFailure|Never, ``--command``, ``--env``, ``--port``, ``--labels`` (``-l``),
``--image-pull-policy``, ``--dry-run=client|server``; ``pod/NAME created``) and
kubectl/pkg/generate/versioned/run.go (BasicPod: label ``run=NAME``, one container named NAME,
the arguments after ``--`` as its args, or its command with ``--command``, ``dnsPolicy:
ClusterFirst``).

Simplified: no ``--rm``, ``--stdin``/``--tty``/``--attach`` (nothing to attach a terminal to),
``--expose``, ``--overrides`` or ``--annotations``; ``--dry-run=server`` creates nothing
and prints what ``client`` would.
"""
from __future__ import annotations

RESTART_POLICIES = ("Always", "OnFailure", "Never")


def basic_pod(name: str, image: str, restart: str, labels: dict, args: list[str], command: bool, env: list[str],
              port: str, pull_policy: str) -> dict:
    """generate/versioned BasicPod, as kubectl encodes it (creationTimestamp null, empty status)."""
    container: dict = {"name": name, "image": image}
    if args:
        container["command" if command else "args"] = list(args)
    if env:
        container["env"] = [{"name": k, "value": v} for k, _, v in (e.partition("=") for e in env)]
    if port:
        container["ports"] = [{"containerPort": int(port)}]
    container["resources"] = {}
    if pull_policy:
        container["imagePullPolicy"] = pull_policy
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "creationTimestamp": None, "labels": labels},
            "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
            "status": {}}


async def run(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    image = flags.get("image")
    if not image:
        raise CommandError('required flag(s) "image" not set')
    if not args:
        raise CommandError("NAME is required for run\nSee 'kubectl run -h' for help and examples")
    name, rest = args[0], args[1:]
    restart = flags.get("restart") or "Always"
    if restart not in RESTART_POLICIES:
        raise CommandError(f"invalid restart policy: {restart}")
    dry_run = flags.get("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        raise CommandError(f'Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    label_text = flags.get("labels") or flags.get("selector") or ""
    labels = {"run": name}
    if label_text:
        labels = {}
        for pair in label_text.split(","):
            key, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"invalid label spec: {pair}")
            labels[key] = value
    pod = basic_pod(name, image, restart, labels, rest, flags.bool("command"), flags.all("env"),
                    flags.get("port") or "", flags.get("image-pull-policy") or "")
    info = kubectl.scheme.by_resource("", "pods")
    if dry_run != "none":
        kubectl.print_obj(pod, info, "created", flags, out, dry_run)
        return
    created = await kubectl.client.create(info, kubectl._ns(flags), pod)
    out.objects.append(created)
    kubectl.print_obj(created, info, "created", flags, out)
