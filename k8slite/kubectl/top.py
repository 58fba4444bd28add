"""`kubectl top node|pod`: resource usage from the Metrics API (``metrics.k8s.io/v1beta1``).

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/top/ (top_node.go: NodeMetrics
against each node's allocatable, or capacity with ``--show-capacity``, "metrics not available
yet" when metrics-server has none; top_pod.go: PodMetrics summed over containers, or one line
a container with ``--containers``, "Metrics not available for pod ns/name, age: ..." for a pod
older than two minutes without them) and kubectl/pkg/metricsutil/metrics_printer.go
(NAME, CPU(cores) as ``<milli>m``, CPU%, MEMORY(bytes) as ``<Mi>Mi``, MEMORY%; every cell,
the last too, ends in a tab, so each column is padded; rows by name, or by usage with
``--sort-by=cpu|memory``).

The API server proxies the group to metrics-server through API aggregation
(``Cluster.add_metrics_server``); without it the Metrics API is not available.

Simplified: kubectl asks discovery whether ``metrics.k8s.io`` is served; here a request the
API server answers with a bare 404 (no such group) means "Metrics API not available".
No ``--sum`` line, no swap columns.
"""
from __future__ import annotations

import math
from fractions import Fraction

from ..api import errors
from ..api.errors import StatusError
from ..api.quantity import parse_quantity
from .printers import parse_time, tabwrite

GROUP_VERSION = "/apis/metrics.k8s.io/v1beta1"
METRICS_CREATION_DELAY = 120.0          # top_pod.go metricsCreationDelay
NODE_COLUMNS = ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
POD_COLUMNS = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
HELP = """Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use "kubectl top <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


def go_duration(seconds: float) -> str:
    """time.Duration.String: "2m30s", "1h0m5.5s", "750ms"."""
    ns = int(round(seconds * 1e9))
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                text = f"{Fraction(ns, size):f}" if ns % size else str(ns // size)
                return sign + _trim(text) + unit
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    secs = _trim(f"{rest // 10**9}.{rest % 10**9:09d}")
    text = (f"{hours}h{minutes}m" if hours else f"{minutes}m" if minutes else "") + f"{secs}s"
    return sign + text


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _milli(q) -> int:
    return math.ceil(parse_quantity(q) * 1000)


def _value(q) -> int:
    return math.ceil(parse_quantity(q))


def _usage_cells(usage: dict, available: dict | None) -> list[str]:
    """printAllResourceUsages: cpu in millicores, memory in MiB, each with its share of what is
    available when that is known."""
    cells = []
    for resource in ("cpu", "memory"):
        quantity = usage.get(resource, 0)
        cells.append(f"{_milli(quantity)}m" if resource == "cpu" else f"{_value(quantity) // (1024 * 1024)}Mi")
        if available is not None and resource in available:
            whole = _milli(available[resource])
            cells.append(f"{int(_milli(quantity) / whole * 100) if whole else 0}%")
    return cells


def _lines(rows: list[list[str]]) -> str:
    """The metrics printer's rows: every cell ends in a tab."""
    return tabwrite("\n".join("".join(cell + "\t" for cell in row) for row in rows)) + "\n" if rows else ""


async def top(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    if not args:
        out.err.append(HELP)
        out.failed = True
        return
    command, args = args[0], args[1:]
    if command in ("node", "nodes", "no"):
        await _top_node(kubectl, args, flags, out)
    elif command in ("pod", "pods", "po"):
        await _top_pod(kubectl, args, flags, out)
    else:
        raise CommandError(f'unknown command "{command}" for "kubectl top"')


async def _metrics(kubectl, path: str, query: tuple = ()) -> dict:
    from .kubectl import CommandError
    try:
        return await kubectl.client.request("GET", GROUP_VERSION + path, query)
    except StatusError as error:
        if errors.is_not_found(error) and not (error.status.get("details") or {}).get("name"):
            raise CommandError("Metrics API not available") from None
        raise


def _sort_by(flags) -> str:
    from .kubectl import CommandError
    sort_by = flags.get("sort-by") or ""
    if sort_by not in ("", "cpu", "memory"):
        raise CommandError("--sort-by accepts only cpu or memory")
    return sort_by


async def _top_node(kubectl, args: list[str], flags, out) -> None:
    from .kubectl import CommandError
    sort_by = _sort_by(flags)
    name = args[0] if args else ""
    selector = flags.get("selector") or ""
    nodes_info = kubectl.scheme.by_resource("", "nodes")
    if name:
        metrics = [await _metrics(kubectl, f"/nodes/{name}")]
        nodes = [await kubectl.client.get(nodes_info, "", name)]
    else:
        metrics = (await _metrics(kubectl, "/nodes", (("labelSelector", selector or None),))).get("items") or []
        if not metrics:
            raise CommandError("metrics not available yet")
        nodes = (await kubectl.client.list(nodes_info, label_selector=selector)).get("items") or []
    field = "capacity" if flags.bool("show-capacity") else "allocatable"
    available = {n["metadata"]["name"]: (n.get("status") or {}).get(field) or {} for n in nodes}
    out.objects += metrics
    metrics = _sorted(sorted(metrics, key=lambda m: m["metadata"]["name"]), sort_by, lambda m: m.get("usage") or {})
    rows = [] if flags.bool("no-headers") else [list(NODE_COLUMNS)]
    for m in metrics:
        node = m["metadata"]["name"]
        rows.append([node] + _usage_cells(m.get("usage") or {}, available.pop(node, None)))
    for node in sorted(available):              # nodes metrics-server has nothing for (a Go map: any order)
        rows.append([node] + ["<unknown>"] * 4)
    out.out.append(_lines(rows))


def _pod_usage(m: dict) -> dict:
    total = {"cpu": Fraction(0), "memory": Fraction(0)}
    for c in m.get("containers") or []:
        for resource in total:
            total[resource] += parse_quantity((c.get("usage") or {}).get(resource, 0))
    return total


def _sorted(metrics: list[dict], sort_by: str, usage_of) -> list[dict]:
    if sort_by == "cpu":
        return sorted(metrics, key=lambda m: -_milli(usage_of(m).get("cpu", 0)))
    if sort_by == "memory":
        return sorted(metrics, key=lambda m: -_value(usage_of(m).get("memory", 0)))
    return metrics


async def _top_pod(kubectl, args: list[str], flags, out) -> None:
    from .kubectl import CommandError
    sort_by = _sort_by(flags)
    name = args[0] if args else ""
    all_ns = flags.bool("all-namespaces")
    ns = "" if all_ns else kubectl._ns(flags)
    selector, fields = flags.get("selector") or "", flags.get("field-selector") or ""
    where = f"/namespaces/{ns}" if ns else ""
    if name:
        metrics = [await _metrics(kubectl, f"{where}/pods/{name}")]
    else:
        metrics = (await _metrics(kubectl, f"{where}/pods", (("labelSelector", selector or None),
                                                              ("fieldSelector", fields or None)))).get("items") or []
    out.objects += metrics
    if not metrics:
        pods_info = kubectl.scheme.by_resource("", "pods")
        pods = (await kubectl.client.list(pods_info, ns, label_selector=selector, field_selector=fields)).get("items")
        if pods:
            for pod in pods:
                age = kubectl.kernel.now - (parse_time(pod["metadata"].get("creationTimestamp")) or 0.0)
                if age > METRICS_CREATION_DELAY:
                    raise CommandError(f"Metrics not available for pod {pod['metadata']['namespace']}/"
                                       f"{pod['metadata']['name']}, age: {go_duration(age)}")
            raise CommandError("metrics not available yet")
        out.err.append("No resources found\n" if all_ns else f"No resources found in {ns} namespace.\n")
        return
    metrics = sorted(metrics, key=lambda m: ((m["metadata"].get("namespace", "") if all_ns else ""),
                                             m["metadata"]["name"]))
    metrics = _sorted(metrics, sort_by, _pod_usage)
    containers = flags.bool("containers")
    header = (["NAMESPACE"] if all_ns else []) + (["POD"] if containers else []) + POD_COLUMNS
    rows = [] if flags.bool("no-headers") else [header]
    for m in metrics:
        lead = [m["metadata"].get("namespace", "")] if all_ns else []
        if containers:
            for c in _sorted(sorted(m.get("containers") or [], key=lambda c: c["name"]), sort_by,
                             lambda c: c.get("usage") or {}):
                rows.append(lead + [m["metadata"]["name"], c["name"]] + _usage_cells(c.get("usage") or {}, None))
        else:
            rows.append(lead + [m["metadata"]["name"]] + _usage_cells(_pod_usage(m), None))
    out.out.append(_lines(rows))
