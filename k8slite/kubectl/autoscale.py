"""`kubectl autoscale deployment NAME --max=N [--min=M] [--cpu-percent=P]`: create a HorizontalPodAutoscaler.

Mirrors kubernetes v1.33 staging/src/k8s.io/kubectl/pkg/cmd/autoscale/autoscale.go (Validate:
``--max`` at least 1 and not below ``--min``; Run: the target must have a scale subresource;
createHorizontalPodAutoscalerV2: an ``autoscaling/v2`` object, ``scaleTargetRef`` from the
target's mapping, ``minReplicas`` only when positive, a CPU Utilization metric only with
``--cpu-percent``; the API server's defaulting adds minReplicas 1 and an 80% CPU target),
printed as ``horizontalpodautoscaler.autoscaling/NAME autoscaled``.

Simplified: kubectl v1.31 itself still POSTs ``autoscaling/v1`` (targetCPUUtilizationPercentage),
which k8slite does not serve, so v1.33's v2 body is sent; the output is the same. No
``--cpu``/``--memory`` quantities (v1.34), ``--dry-run`` or ``--save-config``.
"""
from __future__ import annotations


def _int_flag(flags, name: str, default: int) -> int:
    from .kubectl import CommandError
    value = flags.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CommandError(f'invalid argument "{value}" for "--{name}" flag: strconv.ParseInt: '
                           f'parsing "{value}": invalid syntax') from None


async def autoscale(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    if flags.get("max") is None:
        raise CommandError('required flag(s) "max" not set')
    maximum, minimum = _int_flag(flags, "max", -1), _int_flag(flags, "min", -1)
    cpu = _int_flag(flags, "cpu-percent", -1)
    if maximum < 1:
        raise CommandError(f"--max=MAXPODS is required and must be at least 1, max: {maximum}")
    if maximum < minimum:
        raise CommandError(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {maximum}, min: {minimum}")
    hpa_info = kubectl.scheme.by_resource("autoscaling", "horizontalpodautoscalers")
    count = 0
    for info, ns, name in await kubectl._targets(args, flags, out, input):
        if "scale" not in info.subresources:
            version = f"{info.group}/{info.version}"
            raise CommandError(f"cannot autoscale a {info.kind}: could not find scale subresource for "
                               f"{version}, Resource={info.resource} in discovery information")
        await kubectl.client.get(info, ns, name)                 # the builder's GET: NotFound stops here
        spec: dict = {"scaleTargetRef": {"apiVersion": info.api_version, "kind": info.kind, "name": name},
                      "maxReplicas": maximum}
        if minimum > 0:
            spec["minReplicas"] = minimum
        if cpu > 0:
            spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": cpu}}}]
        hpa = {"apiVersion": hpa_info.api_version, "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": flags.get("name") or name, "namespace": ns}, "spec": spec}
        created = await kubectl.client.create(hpa_info, ns, hpa)
        out.objects.append(created)
        kubectl.print_obj(created, hpa_info, "autoscaled", flags, out)
        count += 1
    if count == 0:
        raise CommandError("no objects passed to autoscale")
