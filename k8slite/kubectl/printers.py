"""Table printing for `kubectl get`: the columns and cells of each kind, laid out as kubectl does.

Mirrors kubernetes v1.31 pkg/printers/internalversion/printers.go (column definitions and
cell values per kind), staging/src/k8s.io/cli-runtime/pkg/printers/tableprinter.go
(header upper-casing, NAMESPACE/LABELS decoration, kind prefix on the name column),
staging/src/k8s.io/cli-runtime/pkg/printers/tabwriter.go (tabwriter minwidth 6, tabwidth 4,
padding 3, pad char ' ') over Go's text/tabwriter (elastic tabstops), and
staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go (HumanDuration).

In Kubernetes the API server builds the Table (printers.go runs server-side) and kubectl
lays it out; here both halves run in one call, on plain dict objects.

Simplified: only the kinds a textbook cluster shows (Pod, Node, Deployment, ReplicaSet,
Service, Namespace, Event, ConfigMap, Secret, ServiceAccount, Endpoints, Lease, DaemonSet,
StatefulSet, Job, CronJob); any other kind prints NAME and AGE, as kubectl does without a
server-side Table. No custom columns, sorting, -L label columns or watch output. Where the
API server's defaulting would have filled a field (e.g. ``spec.clusterIPs`` from
``spec.clusterIP``, ``status.podIPs`` from ``status.podIP``), the printer falls back to the
undefaulted field so undefaulted objects still print sensibly.
"""

from __future__ import annotations

import datetime as _dt

from ..apiserver.tables import pod_cells as _server_pod_cells

__all__ = [
    "EPOCH",
    "parse_time",
    "human_duration",
    "translate_timestamp_since",
    "tabwrite",
    "tabulate",
    "table",
    "name_line",
    "format_labels",
    "format_label_selector",
]

# Virtual time zero: every `now` is seconds since this instant.
EPOCH = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)

_NS = 1_000_000_000


# --- time ------------------------------------------------------------------------------

def parse_time(ts: str | None) -> float | None:
    """RFC 3339 timestamp -> seconds since EPOCH (None for a missing or empty timestamp)."""
    if not ts:
        return None
    text = ts.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    date_part, _, rest = text.partition("T")
    # Split off the zone offset, then any fractional seconds.
    zone = "+00:00"
    for sign in ("+", "-"):
        idx = rest.rfind(sign)
        if idx > 0:
            rest, zone = rest[:idx], rest[idx:]
            break
    clock, _, frac = rest.partition(".")
    year, month, day = (int(p) for p in date_part.split("-"))
    hour, minute, second = (int(p) for p in clock.split(":"))
    off_h, off_m = int(zone[1:3]), int(zone[4:6])
    offset = (off_h * 3600 + off_m * 60) * (1 if zone[0] == "+" else -1)
    moment = _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)
    seconds = (moment - EPOCH).total_seconds() - offset
    if frac:
        seconds += int(frac) / (10 ** len(frac))
    return seconds


def _trunc_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def human_duration(seconds: float) -> str:
    """kubectl's AGE format: ~2-3 significant figures ("45s", "2m5s", "10m", "3h4m", "2d3h")."""
    d = int(round(seconds * _NS))  # a Go time.Duration, in nanoseconds
    secs = _trunc_div(d, _NS)
    # Up to 2s in the future is tolerated as clock skew and shown as "0s".
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    minutes = d // (60 * _NS)
    if minutes < 10:
        s = secs % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = d // (3600 * _NS)
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def translate_timestamp_since(ts: str | None, now: float) -> str:
    """Age of an RFC 3339 timestamp at virtual time `now`; "<unknown>" when unset."""
    t = parse_time(ts)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


# --- Go text/tabwriter ---------------------------------------------------------------

def tabwrite(text: str, minwidth: int = 6, padding: int = 3) -> str:
    """Lay out tab-separated text as Go's text/tabwriter does (pad char ' ', flags 0).

    Elastic tabstops: a cell is text terminated by a tab; the text after a line's last tab
    belongs to no column. A column block is a run of consecutive lines that all have a
    cell in that column, and every cell in a block is padded to
    max(minwidth, widest cell + padding). A line with fewer cells ends the block, so
    `kubectl describe` aligns "Name:  x" pairs only between section headers.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = [""] * len(lines)

    def write_lines(widths: list[int], line0: int, line1: int) -> None:
        for i in range(line0, line1):
            parts = []
            for j, cell in enumerate(lines[i]):
                parts.append(cell)
                if j < len(widths):
                    parts.append(" " * (widths[j] - len(cell)))
            out[i] = "".join(parts)

    def fmt(widths: list[int], line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # A cell exists in this column: lines before it are done at this depth.
            write_lines(widths, line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(widths, line0, this)
            widths.pop()
            line0 = this
        write_lines(widths, line0, line1)

    fmt([], 0, len(lines))
    return "\n".join(out)


def tabulate(rows: list[list[str]]) -> str:
    """Rows of cells laid out with kubectl's tabwriter settings; no trailing newline."""
    if not rows:
        return ""
    return tabwrite("\n".join("\t".join(row) for row in rows), minwidth=6, padding=3)


# --- label helpers (apimachinery labels.FormatLabels, metav1.FormatLabelSelector) --------

def format_labels(labels: dict | None) -> str:
    """"k=v,k2=v2" sorted by key, or "<none>"."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: dict | None) -> str:
    """labels.Selector.String() of a LabelSelector: requirements sorted by key."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((k, f"{k}={v}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        if op == "In":
            reqs.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: the selector string, or "<none>" when it selects all."""
    return selector_string(selector) or "<none>"


# --- per-kind rows ---------------------------------------------------------------------
# A column is (header, priority); priority 1 columns show only with -o wide.

_AGE = ("Age", 0)
_NAME = ("Name", 0)


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: float) -> str:
    return translate_timestamp_since(_meta(obj).get("creationTimestamp"), now)


def _containers_cells(pod_spec: dict | None) -> tuple[str, str]:
    containers = (pod_spec or {}).get("containers") or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _condition_true(conditions: list | None, ctype: str) -> bool:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


POD_COLUMNS = [_NAME, ("Ready", 0), ("Status", 0), ("Restarts", 0), _AGE, ("IP", 1),
               ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]


def _pod_cells(pod: dict, now: float) -> list[str]:
    """printPod's cells, as the API server prints them for kubectl (one implementation of printPod)."""
    return [str(cell) for cell in _server_pod_cells(pod, now)]


NODE_COLUMNS = [_NAME, ("Status", 0), ("Roles", 0), _AGE, ("Version", 0), ("Internal-IP", 1),
                ("External-IP", 1), ("OS-Image", 1), ("Kernel-Version", 1),
                ("Container-Runtime", 1)]


def node_roles(node: dict) -> list[str]:
    """Roles from node-role.kubernetes.io/<role> and kubernetes.io/role=<role> labels, sorted."""
    roles = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def _node_address(node: dict, kind: str) -> str:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == kind:
            return addr.get("address", "")
    return "<none>"


def _node_cells(node: dict, now: float) -> list[str]:
    status = node.get("status") or {}
    states = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    info = status.get("nodeInfo") or {}
    return [_meta(node).get("name", ""), ",".join(states), ",".join(node_roles(node)) or "<none>",
            _age(node, now), info.get("kubeletVersion", ""),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


DEPLOYMENT_COLUMNS = [_NAME, ("Ready", 0), ("Up-to-date", 0), ("Available", 0), _AGE,
                      ("Containers", 1), ("Images", 1), ("Selector", 1)]


def _deployment_cells(obj: dict, now: float) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_cells(((spec.get("template") or {}).get("spec")))
    return [_meta(obj).get("name", ""),
            f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas', 1))}",
            str(int(status.get("updatedReplicas") or 0)),
            str(int(status.get("availableReplicas") or 0)), _age(obj, now),
            names, images, selector_string(spec.get("selector"))]


REPLICASET_COLUMNS = [_NAME, ("Desired", 0), ("Current", 0), ("Ready", 0), _AGE,
                      ("Containers", 1), ("Images", 1), ("Selector", 1)]


def _replicaset_cells(obj: dict, now: float) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers_cells(((spec.get("template") or {}).get("spec")))
    return [_meta(obj).get("name", ""), str(int(spec.get("replicas", 1))),
            str(int(status.get("replicas") or 0)), str(int(status.get("readyReplicas") or 0)),
            _age(obj, now), names, images, format_label_selector(spec.get("selector"))]


SERVICE_COLUMNS = [_NAME, ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0),
                   _AGE, ("Selector", 1)]

_LOAD_BALANCER_WIDTH = 16


def _service_external_ip(svc: dict, wide: bool) -> str:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        found = sorted({i.get("ip") or i.get("hostname") for i in ingress
                        if i.get("ip") or i.get("hostname")})
        lb = ",".join(found)
        if not wide and len(lb) > _LOAD_BALANCER_WIDTH:
            lb = lb[:_LOAD_BALANCER_WIDTH - 3] + "..."
        if external:
            return ",".join((lb.split(",") if lb else []) + external)
        return lb or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(ports: list | None) -> str:
    """PORT(S) cell: "80/TCP", "80:30080/TCP", comma-joined."""
    pieces = []
    for p in ports or []:
        proto = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            pieces.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            pieces.append(f"{p.get('port')}/{proto}")
    return ",".join(pieces)


def _service_cells(svc: dict, now: float, wide: bool) -> list[str]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [_meta(svc).get("name", ""), spec.get("type") or "ClusterIP",
            ips[0] if ips else "<none>", _service_external_ip(svc, wide),
            service_ports(spec.get("ports")) or "<none>", _age(svc, now),
            format_labels(spec.get("selector"))]


EVENT_COLUMNS = [("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1),
                 ("Source", 1), ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1)]


def _event_cells(ev: dict, now: float) -> list[str]:
    first = translate_timestamp_since(ev.get("firstTimestamp"), now)
    if not ev.get("firstTimestamp"):
        first = translate_timestamp_since(ev.get("eventTime"), now)
    last = translate_timestamp_since(ev.get("lastTimestamp"), now)
    if not ev.get("lastTimestamp"):
        last = first
    count = int(ev.get("count") or 0)
    series = ev.get("series")
    if series is not None:
        last = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1  # singleton events carry no count in events.k8s.io/v1
    inv = ev.get("involvedObject") or {}
    target = (inv.get("kind") or "").lower()
    if inv.get("name"):
        target = f"{target}/{inv['name']}"
    src = ev.get("source") or {}
    component = src.get("component") or ev.get("reportingController") or ""
    host = src.get("host") or ev.get("reportingInstance") or ""
    source = f"{component}, {host}" if host else component
    return [last, ev.get("type", ""), ev.get("reason", ""), target, inv.get("fieldPath", ""),
            source, (ev.get("message") or "").strip(), first, str(count), _meta(ev).get("name", "")]


def _endpoints_cell(ep: dict, port_names: set | None = None) -> str:
    """formatEndpoints: up to three "ip:port" entries then "+ N more..."; "<none>" if empty."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    items, limit, more, count = [], 3, False, 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        if not ports:
            count += len(addresses)
            for addr in addresses:
                if len(items) == limit:
                    more = True
                    break
                items.append(addr.get("ip", ""))
            continue
        for port in ports:
            if port_names is None or (port.get("name") or "") in port_names:
                count += len(addresses)
                for addr in addresses:
                    if len(items) == limit:
                        more = True
                        break
                    ip = addr.get("ip", "")
                    host = f"[{ip}]" if ":" in ip else ip
                    items.append(f"{host}:{port.get('port')}")
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if more else text


def _job_cells(job: dict, now: float) -> list[str]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, done = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration((done if done is not None else now) - start)
    conds = status.get("conditions")
    if _condition_true(conds, "Complete"):
        state = "Complete"
    elif _condition_true(conds, "Failed"):
        state = "Failed"
    elif _meta(job).get("deletionTimestamp") is not None:
        state = "Terminating"
    elif _condition_true(conds, "Suspended"):
        state = "Suspended"
    elif _condition_true(conds, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers_cells(((spec.get("template") or {}).get("spec")))
    return [_meta(job).get("name", ""), state, completions, duration, _age(job, now),
            names, images, format_label_selector(spec.get("selector"))]


def _bool_ptr(value) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _cronjob_cells(cj: dict, now: float) -> list[str]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    last = "<none>"
    if status.get("lastScheduleTime"):
        last = translate_timestamp_since(status["lastScheduleTime"], now)
    job_spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    names, images = _containers_cells(((job_spec.get("template") or {}).get("spec")))
    return [_meta(cj).get("name", ""), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            _bool_ptr(spec.get("suspend")), str(len(status.get("active") or [])), last,
            _age(cj, now), names, images, format_label_selector(job_spec.get("selector"))]


def _daemonset_cells(ds: dict, now: float) -> list[str]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names, images = _containers_cells(pod_spec)
    return [_meta(ds).get("name", "")] + [
        str(int(status.get(k) or 0)) for k in ("desiredNumberScheduled", "currentNumberScheduled",
                                               "numberReady", "updatedNumberScheduled",
                                               "numberAvailable")
    ] + [format_labels(pod_spec.get("nodeSelector")), _age(ds, now), names, images,
         format_label_selector(spec.get("selector"))]


def _statefulset_cells(ss: dict, now: float) -> list[str]:
    spec, status = ss.get("spec") or {}, ss.get("status") or {}
    names, images = _containers_cells(((spec.get("template") or {}).get("spec")))
    return [_meta(ss).get("name", ""),
            f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas', 1))}",
            _age(ss, now), names, images]


# kind -> (columns, cells(obj, now, wide))
_PRINTERS = {
    "Pod": (POD_COLUMNS, lambda o, now, wide: _pod_cells(o, now)),
    "Node": (NODE_COLUMNS, lambda o, now, wide: _node_cells(o, now)),
    "Deployment": (DEPLOYMENT_COLUMNS, lambda o, now, wide: _deployment_cells(o, now)),
    "ReplicaSet": (REPLICASET_COLUMNS, lambda o, now, wide: _replicaset_cells(o, now)),
    "Service": (SERVICE_COLUMNS, _service_cells),
    "Namespace": ([_NAME, ("Status", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), (o.get("status") or {}).get("phase", ""), _age(o, now)]),
    "Event": (EVENT_COLUMNS, lambda o, now, wide: _event_cells(o, now)),
    "ConfigMap": ([_NAME, ("Data", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), str(len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        _age(o, now)]),
    "Secret": ([_NAME, ("Type", 0), ("Data", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), o.get("type", ""), str(len(o.get("data") or {})), _age(o, now)]),
    "ServiceAccount": ([_NAME, ("Secrets", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), str(len(o.get("secrets") or [])), _age(o, now)]),
    "Endpoints": ([_NAME, ("Endpoints", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), _endpoints_cell(o), _age(o, now)]),
    "Lease": ([_NAME, ("Holder", 0), _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), (o.get("spec") or {}).get("holderIdentity") or "", _age(o, now)]),
    "DaemonSet": ([_NAME, ("Desired", 0), ("Current", 0), ("Ready", 0), ("Up-to-date", 0),
                   ("Available", 0), ("Node Selector", 0), _AGE, ("Containers", 1), ("Images", 1),
                   ("Selector", 1)], lambda o, now, wide: _daemonset_cells(o, now)),
    "StatefulSet": ([_NAME, ("Ready", 0), _AGE, ("Containers", 1), ("Images", 1)],
                    lambda o, now, wide: _statefulset_cells(o, now)),
    "Job": ([_NAME, ("Status", 0), ("Completions", 0), ("Duration", 0), _AGE, ("Containers", 1),
             ("Images", 1), ("Selector", 1)], lambda o, now, wide: _job_cells(o, now)),
    "CronJob": ([_NAME, ("Schedule", 0), ("Timezone", 0), ("Suspend", 0), ("Active", 0),
                 ("Last Schedule", 0), _AGE, ("Containers", 1), ("Images", 1), ("Selector", 1)],
                lambda o, now, wide: _cronjob_cells(o, now)),
}

# The column kubectl prefixes with "kind.group/" is the first one whose format is "name".
_NAME_COLUMN = {"Event": 9}


def _clean_cell(cell: str) -> str:
    """tableprinter: a cell is cut at its first newline, carriage return or form feed."""
    for i, ch in enumerate(cell):
        if ch in "\n\r\f":
            return cell[:i] + "..."
    return cell


def table(kind: str, objects: list[dict], now: float, wide: bool = False,
          with_namespace: bool = False, show_labels: bool = False, show_kind: bool = False,
          no_headers: bool = False, name_prefix: str = "") -> str:
    """What `kubectl get <kind>` prints for `objects` at virtual time `now`.

    `name_prefix` ("deployment.apps/") is put before each name when `show_kind` is set or
    the prefix is given; kubectl does this when one command prints several kinds. Returns
    "" for no objects (the caller prints "No resources found in default namespace.").
    """
    if not objects:
        return ""
    columns, cells_of = _PRINTERS.get(kind, ([_NAME, _AGE], lambda o, now, wide: [
        _meta(o).get("name", ""), _age(o, now)]))
    prefix = name_prefix or (f"{kind.lower()}/" if show_kind else "")
    name_col = _NAME_COLUMN.get(kind, 0)
    visible = [i for i, (_, prio) in enumerate(columns) if wide or prio == 0]

    rows: list[list[str]] = []
    if not no_headers:
        header = [columns[i][0].upper() for i in visible]
        if with_namespace:
            header.insert(0, "NAMESPACE")
        if show_labels:
            header.append("LABELS")
        rows.append(header)
    for obj in objects:
        cells = cells_of(obj, now, wide)
        if prefix:
            cells[name_col] = prefix + cells[name_col]
        row = [_clean_cell(cells[i]) for i in visible]
        if with_namespace:
            row.insert(0, _meta(obj).get("namespace", ""))
        if show_labels:
            row.append(format_labels(_meta(obj).get("labels")))
        rows.append(row)
    return tabulate(rows)


def name_line(prefix: str, obj: dict) -> str:
    """One line of `kubectl get -o name`: "pod/web-1", "deployment.apps/nginx"."""
    return f"{prefix}{_meta(obj).get('name', '')}"
