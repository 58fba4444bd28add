"""Server-side printing: the metav1.Table the API server answers `kubectl get` with.

Mirrors kubernetes v1.31 pkg/printers/internalversion/printers.go (AddHandlers: each kind's
column definitions and print function), pkg/printers/tablegenerator.go (GenerateTable),
pkg/printers/storage/storage.go (the server always generates with ``Wide: true``: every
column goes over the wire and kubectl hides priority-1 columns unless ``-o wide``),
staging/src/k8s.io/apiserver/pkg/registry/rest/table.go (DefaultTableConvertor: "Name" and
"Created At" for kinds without a printer, such as Roles and CustomResourceDefinitions),
apiextensions-apiserver/pkg/registry/customresource/tableconvertor (custom resources'
additionalPrinterColumns), staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go
(transformResponseObject, asTable: ``includeObject``) and handlers/negotiation (Accept),
apimachinery/pkg/apis/meta/v1/types.go (Table, TableColumnDefinition, TableRow) and
apimachinery/pkg/util/duration/duration.go (HumanDuration, the AGE format).

A client asks for a Table with ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``.
Each row carries the cells and, by default, the object's metadata as a
PartialObjectMetadata (``?includeObject=Metadata``), which kubectl uses for ``-A`` and
``--show-labels``; ``includeObject=Object`` embeds the whole object, ``None`` nothing.

Simplified: the printers run on the external (JSON) objects rather than internal types,
so a field the server's defaulting would have set is read with its default. Column
descriptions quote the v1 API field docs even where printers.go quotes an older beta
type's, and paragraph breaks are restored from the generated docs. The custom resource
JSONPath supports dotted fields, ``[n]`` and ``[?(@.key=="value")]`` only. Ages are
measured from ``now`` (virtual seconds since the API epoch), not the wall clock.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

from ..api import errors
from ..api.meta import parse_rfc3339
from ..api.quantity import BINARY_SUFFIXES, format_quantity, parse_quantity

__all__ = ["to_table", "table_for_object", "wants_table", "negotiate_table", "table_content_type",
           "validate_include_object", "human_duration", "crd_printer_columns", "columns_for"]

INCLUDE_METADATA, INCLUDE_OBJECT, INCLUDE_NONE = "Metadata", "Object", "None"
TABLE_GROUP = "meta.k8s.io"


# --- Accept negotiation ------------------------------------------------------------------------

def negotiate_table(accept: str) -> Optional[str]:
    """The Table apiVersion a request's Accept header asks for ("meta.k8s.io/v1" or ".../v1beta1").

    Media ranges are tried in preference order (q, then as written), as the server's
    negotiation does; a plain JSON range that comes first means no Table.
    """
    ranges = []
    for i, part in enumerate((accept or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        params = dict((k.strip().lower(), v.strip()) for k, _, v in (p.partition("=") for p in pieces[1:]))
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        ranges.append((-q, i, pieces[0].lower(), params))
    for _, _, media, params in sorted(ranges):
        if media not in ("application/json", "application/*", "*/*"):
            continue
        if "as" not in params:
            return None
        if params["as"] == "Table" and params.get("g") == TABLE_GROUP and params.get("v") in ("v1", "v1beta1"):
            return f"{TABLE_GROUP}/{params['v']}"
    return None


def wants_table(accept: str) -> bool:
    """Does this Accept header ask for server-side printing?"""
    return negotiate_table(accept) is not None


def table_content_type(api_version: str = "meta.k8s.io/v1") -> str:
    """The Content-Type a Table answer carries."""
    return f"application/json;as=Table;v={api_version.rpartition('/')[2]};g={TABLE_GROUP}"


def validate_include_object(value: Optional[str]) -> str:
    """metav1beta1 validation.ValidateTableOptions; "" means Metadata."""
    if value in (None, ""):
        return INCLUDE_METADATA
    if value not in (INCLUDE_METADATA, INCLUDE_OBJECT, INCLUDE_NONE):
        raise errors.bad_request(f"Unable to convert to Table as requested: includeObject: Invalid value: "
                                 f"\"{value}\": must be 'Metadata', 'Object', 'None', or empty")
    return value


# --- time ---------------------------------------------------------------------------------------

def human_duration(seconds: float) -> str:
    """duration.HumanDuration: "45s", "2m5s", "10m", "3h4m", "2d3h", "1y20d"."""
    d = int(round(seconds * 1e9))                         # a Go time.Duration, in nanoseconds
    secs = d // 10**9 if d >= 0 else -(-d // 10**9)       # int(d.Seconds()) truncates toward zero
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = d // (60 * 10**9)
    if minutes < 10:
        s = secs % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = d // (3600 * 10**9)
    if hours < 8:
        m = minutes % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d{h}h" if h else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y{dy}d" if dy else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def _time(ts: Optional[str]) -> Optional[float]:
    return parse_rfc3339(ts) if ts else None


def _since(ts: Optional[str], now: float) -> str:
    """translateTimestampSince: the age of a timestamp, "<unknown>" when unset."""
    t = _time(ts)
    return "<unknown>" if t is None else human_duration(now - t)


# --- small formatters (labels, selectors, quantities) -----------------------------------------

def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _name(obj: dict) -> str:
    return _meta(obj).get("name", "")


def _age(obj: dict, now: float) -> str:
    return _since(_meta(obj).get("creationTimestamp"), now)


def format_labels(labels: Optional[dict]) -> str:
    """labels.FormatLabels: "k=v,k2=v2" sorted by key, or "<none>"."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels)) if labels else "<none>"


def selector_string(selector: Optional[dict]) -> str:
    """metav1.LabelSelectorAsSelector(s).String(): requirements sorted by key."""
    reqs = [(k, f"{k}={v}") for k, v in ((selector or {}).get("matchLabels") or {}).items()]
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op)
        if text is not None:
            reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def format_label_selector(selector: Optional[dict]) -> str:
    """metav1.FormatLabelSelector: the selector string, or "<none>" when it is empty."""
    return selector_string(selector) or "<none>"


def _quantity(q: Any) -> str:
    """resource.Quantity.String(): canonical form, binary when it was written with Ki/Mi/..."""
    if q is None:
        return "0"
    try:
        binary = isinstance(q, str) and any(q.endswith(s) for s in BINARY_SUFFIXES)
        return format_quantity(parse_quantity(q), binary=binary)
    except ValueError:
        return str(q)


def _containers(pod_spec: Optional[dict]) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma-joined."""
    containers = (pod_spec or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _template_spec(obj: dict) -> dict:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def _condition(conditions: Optional[list], ctype: str) -> bool:
    """The condition's status is True (the first condition of that type decides)."""
    for c in conditions or []:
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


def _int(value: Any) -> int:
    return int(value or 0)


def _bool_ptr(value: Optional[bool]) -> str:
    return "<unset>" if value is None else ("True" if value else "False")


def _list_with_more(items: list[str], more: bool, count: int, limit: int = 3) -> str:
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


# --- column definitions ---------------------------------------------------------------------

def _col(name: str, type_: str, doc: str, fmt: str = "", priority: int = 0) -> dict:
    """A TableColumnDefinition; ``doc`` names an API field doc in _DOCS or is the text itself."""
    return {"name": name, "type": type_, "format": fmt, "description": _DOCS.get(doc, doc),
            "priority": priority}


def _name_col() -> dict:
    return _col("Name", "string", "ObjectMeta.name", "name")


def _age_col() -> dict:
    return _col("Age", "string", "ObjectMeta.creationTimestamp")


_CONTAINERS = "Names of each container in the template."
_IMAGES = "Images referenced by each container in the template."


# --- print functions, one per kind (printers.go printPod, printNode, ...) -----------------------

def pod_cells(pod: dict, now: float) -> list:
    """printPod: READY, STATUS (the kubelet's view summed up), RESTARTS (with the last restart's age)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    restarts = restartable_restarts = ready = 0
    total = len(spec.get("containers") or [])
    last_restart = last_restartable_restart = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total += sum(1 for c in init_specs.values() if c.get("restartPolicy") == "Always")

    def latest(current: Optional[float], cs: dict) -> Optional[float]:
        t = _time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        return t if t is not None and (current is None or current < t) else current

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += _int(cs.get("restartCount"))
        last_restart = latest(last_restart, cs)
        sidecar = (init_specs.get(cs.get("name")) or {}).get("restartPolicy") == "Always"
        if sidecar:
            restartable_restarts += _int(cs.get("restartCount"))
            last_restartable_restart = latest(last_restartable_restart, cs)
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and _int(term.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{_int(term.get('exitCode'))}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    if not initializing or _condition(status.get("conditions"), "Initialized"):
        restarts, last_restart = restartable_restarts, last_restartable_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += _int(cs.get("restartCount"))
            last_restart = latest(last_restart, cs)
            state = cs.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{_int(term.get('exitCode'))}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # A pod whose last container completed while another still runs is not "Completed".
        if reason == "Completed" and has_running:
            reason = "Running" if _condition(status.get("conditions"), "Ready") else "NotReady"

    deleting = _meta(pod).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    ips = [i.get("ip", "") for i in status.get("podIPs") or []]
    if status.get("podIP") and (not ips or ips[0] != status["podIP"]):
        ips = [status["podIP"]]            # conversion: podIP is authoritative over podIPs[0]
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        true_count = 0
        for gate in gates:
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    true_count += cond.get("status") == "True"
                    break
        gates_cell = f"{true_count}/{len(gates)}"
    return [_name(pod), f"{ready}/{total}", reason, restarts_cell, _age(pod, now),
            (ips[0] if ips else "") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_cell]


_POD_CONDITIONS = {
    "Succeeded": [{"type": "Completed", "status": "True", "reason": "Succeeded",
                   "message": "The pod has completed successfully."}],
    "Failed": [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}],
}


def _node_cells(node: dict, now: float) -> list:
    status = node.get("status") or {}
    states = [("Ready" if c.get("status") == "True" else "NotReady")
              for c in status.get("conditions") or [] if c.get("type") == "Ready"][-1:] or ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/"):]:
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)

    def address(kind: str) -> str:
        return next((a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == kind), "<none>")

    info = status.get("nodeInfo") or {}
    return [_name(node), ",".join(states), ",".join(sorted(roles)) or "<none>", _age(node, now),
            info.get("kubeletVersion", ""), address("InternalIP"), address("ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _deployment_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [_name(obj), f"{_int(status.get('readyReplicas'))}/{int(spec.get('replicas', 1))}",
            _int(status.get("updatedReplicas")), _int(status.get("availableReplicas")), _age(obj, now),
            names, images, selector_string(spec.get("selector"))]


def _replicaset_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [_name(obj), int(spec.get("replicas", 1)), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now), names, images,
            format_label_selector(spec.get("selector"))]


def _replicationcontroller_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [_name(obj), int(spec.get("replicas", 1)), _int(status.get("replicas")),
            _int(status.get("readyReplicas")), _age(obj, now), names, images, format_labels(spec.get("selector"))]


def _statefulset_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [_name(obj), f"{_int(status.get('readyReplicas'))}/{int(spec.get('replicas', 1))}", _age(obj, now),
            names, images]


def _daemonset_cells(obj: dict, now: float) -> list:
    status = obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    counts = [_int(status.get(k)) for k in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                            "updatedNumberScheduled", "numberAvailable")]
    return [_name(obj), *counts, format_labels(_template_spec(obj).get("nodeSelector")), _age(obj, now),
            names, images, format_label_selector((obj.get("spec") or {}).get("selector"))]


def _job_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif _int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, done = _time(status.get("startTime")), _time(status.get("completionTime"))
    duration = "" if start is None else human_duration((now if done is None else done) - start)
    conds = status.get("conditions")
    if _condition(conds, "Complete"):
        state = "Complete"
    elif _condition(conds, "Failed"):
        state = "Failed"
    elif _meta(obj).get("deletionTimestamp") is not None:
        state = "Terminating"
    elif _condition(conds, "Suspended"):
        state = "Suspended"
    elif _condition(conds, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers(_template_spec(obj))
    return [_name(obj), state, completions, duration, _age(obj, now), names, images,
            format_label_selector(spec.get("selector"))]


def _cronjob_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers((job_spec.get("template") or {}).get("spec"))
    last = _since(status["lastScheduleTime"], now) if status.get("lastScheduleTime") else "<none>"
    return [_name(obj), spec.get("schedule", ""), spec.get("timeZone") or "<none>", _bool_ptr(spec.get("suspend")),
            len(status.get("active") or []), last, _age(obj, now), names, images,
            format_label_selector(job_spec.get("selector"))]


def _service_cells(svc: dict, now: float) -> list:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        external_cell = ",".join(external) or "<none>"
    elif kind == "LoadBalancer":       # loadBalancerStatusStringer, never cut: the server prints wide
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        lb = sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})
        external_cell = ",".join(lb + external) or "<pending>"
    elif kind == "ExternalName":
        external_cell = spec.get("externalName", "")
    else:
        external_cell = "<unknown>"
    ports = ",".join(f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
                     else f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [_name(svc), kind, ips[0] if ips else "<none>", external_cell, ports or "<none>", _age(svc, now),
            format_labels(spec.get("selector"))]


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoints_cells(obj: dict, now: float) -> list:
    """formatEndpoints: the first three "ip:port" then "+ N more..."; "<none>" with no subsets."""
    subsets = obj.get("subsets") or []
    items, more, count = [], False, 0
    for ss in subsets:
        addresses, ports = ss.get("addresses") or [], ss.get("ports") or []
        for port in ports or [None]:
            count += len(addresses)
            for addr in addresses:
                if len(items) == 3:
                    more = True
                    break
                items.append(addr.get("ip", "") if port is None else _host_port(addr.get("ip", ""), port.get("port")))
    cell = "<none>" if not subsets else (f"{','.join(items)} + {count - 3} more..." if more else ",".join(items))
    return [_name(obj), cell, _age(obj, now)]


def _endpointslice_cells(obj: dict, now: float) -> list:
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in obj.get("ports") or []]
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_name(obj), obj.get("addressType", ""),
            _list_with_more(ports[:3], len(ports) > 3, len(ports)),
            _list_with_more(addresses[:3], len(addresses) > 3, len(addresses)), _age(obj, now)]


def _event_view(ev: dict) -> dict:
    """An events.k8s.io/v1 Event read as the core/v1 fields printEvent uses (they share storage)."""
    if "regarding" not in ev and "note" not in ev:
        return ev
    series = ev.get("series")
    return {"metadata": ev.get("metadata"), "involvedObject": ev.get("regarding") or {},
            "message": ev.get("note", ""), "reason": ev.get("reason", ""), "type": ev.get("type", ""),
            "source": ev.get("deprecatedSource") or {}, "firstTimestamp": ev.get("deprecatedFirstTimestamp"),
            "lastTimestamp": ev.get("deprecatedLastTimestamp"), "count": ev.get("deprecatedCount"),
            "eventTime": ev.get("eventTime"), "reportingComponent": ev.get("reportingController", ""),
            "reportingInstance": ev.get("reportingInstance", ""),
            "series": series and {"count": series.get("count"), "lastObservedTime": series.get("lastObservedTime")}}


def _event_cells(ev: dict, now: float) -> list:
    ev = _event_view(ev)
    first = _since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else _since(ev.get("eventTime"), now)
    last = _since(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    count = _int(ev.get("count"))
    if ev.get("series"):
        last = _since(ev["series"].get("lastObservedTime"), now)
        count = _int(ev["series"].get("count"))
    elif count == 0:
        count = 1                      # singleton events carry no count in the new API
    inv = ev.get("involvedObject") or {}
    target = (inv.get("kind") or "").lower() + (f"/{inv['name']}" if inv.get("name") else "")
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [last, ev.get("type", ""), ev.get("reason", ""), target, inv.get("fieldPath", ""),
            f"{component}, {host}" if host else component, (ev.get("message") or "").strip(), first, count,
            _name(ev)]


def _access_modes(modes: Optional[list]) -> str:
    """helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order."""
    short = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))
    return ",".join(s for mode, s in short if mode in (modes or []))


def _storage_class(obj: dict) -> str:
    beta = (_meta(obj).get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    return beta if beta is not None else ((obj.get("spec") or {}).get("storageClassName") or "")


def _pv_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if _meta(obj).get("deletionTimestamp") is not None else status.get("phase", "")
    return [_name(obj), _quantity((spec.get("capacity") or {}).get("storage")), _access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), phase,
            f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _storage_class(obj),
            spec.get("volumeAttributesClassName") or "<unset>", status.get("reason", ""), _age(obj, now),
            spec.get("volumeMode") or "<unset>"]


def _pvc_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if _meta(obj).get("deletionTimestamp") is not None else status.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = _access_modes(status.get("accessModes"))
        capacity = _quantity((status.get("capacity") or {}).get("storage"))
    return [_name(obj), phase, spec.get("volumeName", ""), capacity, modes, _storage_class(obj),
            spec.get("volumeAttributesClassName") or "<unset>", _age(obj, now), spec.get("volumeMode") or "<unset>"]


def _qptr(q: Any) -> str:
    """A *resource.Quantity's String(): "<nil>" when unset."""
    return "<nil>" if q is None else _quantity(q)


def _hpa_metrics(specs: list, statuses: list) -> str:
    """formatHPAMetrics: "cpu: 40%/80%" per metric, at most two then "+ N more..."."""
    if not specs:
        return "<none>"
    keys = {"External": "external", "Pods": "pods", "Object": "object", "Resource": "resource",
            "ContainerResource": "containerResource"}
    items = []
    for i, spec in enumerate(specs):
        key = keys.get(spec.get("type"))
        if key is None:
            items.append("<unknown type>")
            continue
        source = spec.get(key) or {}
        target = source.get("target") or {}
        status = statuses[i].get(key) if i < len(statuses) else None     # None: no status for this metric
        cur = (status or {}).get("current") or {}
        if key in ("external", "object"):
            if target.get("averageValue") is not None:
                value = _quantity(cur["averageValue"]) if status is not None and cur.get("averageValue") is not None \
                    else "<unknown>"
                items.append(f"{value}/{_quantity(target['averageValue'])} (avg)")
            else:
                value = _qptr(cur.get("value")) if status is not None else "<unknown>"
                items.append(f"{value}/{_qptr(target.get('value'))}")
        elif key == "pods":
            value = _qptr(cur.get("averageValue")) if status is not None else "<unknown>"
            items.append(f"{value}/{_qptr(target.get('averageValue'))}")
        elif target.get("averageValue") is not None:
            value = _qptr(cur.get("averageValue")) if status is not None else "<unknown>"
            items.append(f"{source.get('name', '')}: {value}/{_quantity(target['averageValue'])}")
        else:
            observed = status is not None and cur.get("averageUtilization") is not None
            value = f"{cur['averageUtilization']}%" if observed else "<unknown>"
            goal = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
            items.append(f"{source.get('name', '')}: {value}/{goal}")
    if len(items) > 2:
        return f"{', '.join(items[:2])} + {len(items) - 2} more..."
    return ", ".join(items)


def _hpa_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = str(spec["minReplicas"]) if spec.get("minReplicas") is not None else "<unset>"
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            _hpa_metrics(spec.get("metrics") or [], status.get("currentMetrics") or []), min_pods,
            _int(spec.get("maxReplicas")), _int(status.get("currentReplicas")), _age(obj, now)]


def _pdb_cells(obj: dict, now: float) -> list:
    spec = obj.get("spec") or {}
    return [_name(obj), str(spec["minAvailable"]) if spec.get("minAvailable") is not None else "N/A",
            str(spec["maxUnavailable"]) if spec.get("maxUnavailable") is not None else "N/A",
            _int((obj.get("status") or {}).get("disruptionsAllowed")), _age(obj, now)]


def _binding_cells(obj: dict, now: float) -> list:
    ref = obj.get("roleRef") or {}
    users, groups, sas = [], [], []
    for s in obj.get("subjects") or []:
        kind = s.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
        elif kind == "User":
            users.append(s.get("name", ""))
        elif kind == "Group":
            groups.append(s.get("name", ""))
    return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(obj, now),
            ", ".join(users), ", ".join(groups), ", ".join(sas)]


def _resourcequota_cells(obj: dict, now: float) -> list:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests, limits = [], []
    for resource in sorted(hard):
        text = f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}"
        pieces = resource.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [_name(obj), _age(obj, now), ", ".join(requests), ", ".join(limits)]


def _controllerrevision_cells(obj: dict, now: float) -> list:
    owner = next((r for r in _meta(obj).get("ownerReferences") or [] if r.get("controller")), None)
    controller = "<none>"
    if owner is not None:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        kind = f"{owner.get('kind', '')}.{group}" if group else owner.get("kind", "")
        controller = f"{kind.lower()}/{owner.get('name', '')}"
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


def _ingress_cells(obj: dict, now: float) -> list:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules if r.get("host")][:3]
    hosts_cell = ",".join(hosts) or "*"
    if len(rules) > 3 and hosts:
        hosts_cell += f" + {len(rules) - 3} more..."
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}))
    return [_name(obj), spec.get("ingressClassName") or "<none>", hosts_cell, address,
            "80, 443" if spec.get("tls") else "80", _age(obj, now)]


def _storageclass_cells(obj: dict, now: float) -> list:
    annotations = _meta(obj).get("annotations") or {}
    default = "true" in (annotations.get("storageclass.kubernetes.io/is-default-class"),
                         annotations.get("storageclass.beta.kubernetes.io/is-default-class"))
    return [_name(obj) + (" (default)" if default else ""), obj.get("provisioner", ""),
            obj.get("reclaimPolicy") or "Delete", obj.get("volumeBindingMode") or "Immediate",
            bool(obj.get("allowVolumeExpansion")), _age(obj, now)]


def _simple(*cells: Callable[[dict], Any]) -> Callable[[dict, float], list]:
    """A print function whose cells are name, the given ones, then age."""
    return lambda obj, now: [_name(obj), *(f(obj) for f in cells), _age(obj, now)]


Printer = tuple[list, Callable[[dict, float], list]]


def _printers() -> dict[tuple[str, str], Printer]:
    """AddHandlers: (group, resource) -> (column definitions, print function)."""
    name, age = _name_col(), _age_col()
    pod = [name, _col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
           _col("Status", "string", "The aggregate status of the containers in this pod."),
           _col("Restarts", "string", "The number of times the containers in this pod have been restarted and "
                                      "when the last container in this pod has restarted."),
           age, _col("IP", "string", "PodStatus.podIP", priority=1),
           _col("Node", "string", "PodSpec.nodeName", priority=1),
           _col("Nominated Node", "string", "PodStatus.nominatedNodeName", priority=1),
           _col("Readiness Gates", "string", "PodSpec.readinessGates", priority=1)]
    node = [name, _col("Status", "string", "The status of the node"), _col("Roles", "string", "The roles of the node"),
            age, _col("Version", "string", "NodeSystemInfo.kubeletVersion"),
            _col("Internal-IP", "string", "NodeStatus.addresses", priority=1),
            _col("External-IP", "string", "NodeStatus.addresses", priority=1),
            _col("OS-Image", "string", "NodeSystemInfo.osImage", priority=1),
            _col("Kernel-Version", "string", "NodeSystemInfo.kernelVersion", priority=1),
            _col("Container-Runtime", "string", "NodeSystemInfo.containerRuntimeVersion", priority=1)]
    template = [_col("Containers", "string", _CONTAINERS, priority=1), _col("Images", "string", _IMAGES, priority=1)]
    deployment = [name, _col("Ready", "string", "Number of the pod with ready state"),
                  _col("Up-to-date", "string", "DeploymentStatus.updatedReplicas"),
                  _col("Available", "string", "DeploymentStatus.availableReplicas"), age, *template,
                  _col("Selector", "string", "DeploymentSpec.selector", priority=1)]
    replicaset = [name, _col("Desired", "integer", "ReplicaSetSpec.replicas"),
                  _col("Current", "integer", "ReplicaSetStatus.replicas"),
                  _col("Ready", "integer", "ReplicaSetStatus.readyReplicas"), age, *template,
                  _col("Selector", "string", "ReplicaSetSpec.selector", priority=1)]
    rc = [name, _col("Desired", "integer", "ReplicationControllerSpec.replicas"),
          _col("Current", "integer", "ReplicationControllerStatus.replicas"),
          _col("Ready", "integer", "ReplicationControllerStatus.readyReplicas"), age, *template,
          _col("Selector", "string", "ReplicationControllerSpec.selector", priority=1)]
    statefulset = [name, _col("Ready", "string", "Number of the pod with ready state"), age, *template]
    daemonset = [name, _col("Desired", "integer", "DaemonSetStatus.desiredNumberScheduled"),
                 _col("Current", "integer", "DaemonSetStatus.currentNumberScheduled"),
                 _col("Ready", "integer", "DaemonSetStatus.numberReady"),
                 _col("Up-to-date", "integer", "DaemonSetStatus.updatedNumberScheduled"),
                 _col("Available", "integer", "DaemonSetStatus.numberAvailable"),
                 _col("Node Selector", "string", "PodSpec.nodeSelector"), age, *template,
                 _col("Selector", "string", "DaemonSetSpec.selector", priority=1)]
    job = [name, _col("Status", "string", "Status of the job."), _col("Completions", "string", "JobStatus.succeeded"),
           _col("Duration", "string", "Time required to complete the job."), age, *template,
           _col("Selector", "string", "JobSpec.selector", priority=1)]
    cronjob = [name, _col("Schedule", "string", "CronJobSpec.schedule"),
               _col("Timezone", "string", "CronJobSpec.timeZone"), _col("Suspend", "boolean", "CronJobSpec.suspend"),
               _col("Active", "integer", "CronJobStatus.active"),
               _col("Last Schedule", "string", "CronJobStatus.lastScheduleTime"), age, *template,
               _col("Selector", "string", "JobSpec.selector", priority=1)]
    service = [name, _col("Type", "string", "ServiceSpec.type"), _col("Cluster-IP", "string", "ServiceSpec.clusterIP"),
               _col("External-IP", "string", "ServiceSpec.externalIPs"), _col("Port(s)", "string", "ServiceSpec.ports"),
               age, _col("Selector", "string", "ServiceSpec.selector", priority=1)]
    event = [_col("Last Seen", "string", "Event.lastTimestamp"), _col("Type", "string", "Event.type"),
             _col("Reason", "string", "Event.reason"), _col("Object", "string", "Event.involvedObject"),
             _col("Subobject", "string", "ObjectReference.fieldPath", priority=1),
             _col("Source", "string", "Event.source", priority=1), _col("Message", "string", "Event.message"),
             _col("First Seen", "string", "Event.firstTimestamp", priority=1),
             _col("Count", "string", "Event.count", priority=1),
             _col("Name", "string", "ObjectMeta.name", "name", priority=1)]
    pv = [name, _col("Capacity", "string", "PersistentVolumeSpec.capacity"),
          _col("Access Modes", "string", "PersistentVolumeSpec.accessModes"),
          _col("Reclaim Policy", "string", "PersistentVolumeSpec.persistentVolumeReclaimPolicy"),
          _col("Status", "string", "PersistentVolumeStatus.phase"),
          _col("Claim", "string", "PersistentVolumeSpec.claimRef"),
          _col("StorageClass", "string", "StorageClass of the pv"),
          _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
          _col("Reason", "string", "PersistentVolumeStatus.reason"), age,
          _col("VolumeMode", "string", "PersistentVolumeSpec.volumeMode", priority=1)]
    pvc = [name, _col("Status", "string", "PersistentVolumeClaimStatus.phase"),
           _col("Volume", "string", "PersistentVolumeClaimSpec.volumeName"),
           _col("Capacity", "string", "PersistentVolumeClaimStatus.capacity"),
           _col("Access Modes", "string", "PersistentVolumeClaimStatus.accessModes"),
           _col("StorageClass", "string", "StorageClass of the pvc"),
           _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"), age,
           _col("VolumeMode", "string", "PersistentVolumeClaimSpec.volumeMode", priority=1)]
    hpa = [name, _col("Reference", "string", "HorizontalPodAutoscalerSpec.scaleTargetRef"),
           _col("Targets", "string", "HorizontalPodAutoscalerSpec.metrics"),
           _col("MinPods", "string", "HorizontalPodAutoscalerSpec.minReplicas"),
           _col("MaxPods", "string", "HorizontalPodAutoscalerSpec.maxReplicas"),
           _col("Replicas", "string", "HorizontalPodAutoscalerStatus.currentReplicas"), age]
    pdb = [name, _col("Min Available", "string", "The minimum number of pods that must be available."),
           _col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
           _col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."), age]

    def binding(kind: str, doc: str) -> list:
        return [name, _col("Role", "string", doc), age,
                _col("Users", "string", f"Users in the {kind}", priority=1),
                _col("Groups", "string", f"Groups in the {kind}", priority=1),
                _col("ServiceAccounts", "string", f"ServiceAccounts in the {kind}", priority=1)]

    spec = lambda field: lambda o: (o.get("spec") or {}).get(field) or ""  # noqa: E731
    return {
        ("", "pods"): (pod, pod_cells),
        ("", "nodes"): (node, _node_cells),
        ("", "namespaces"): ([name, _col("Status", "string", "The status of the namespace"), age],
                             _simple(lambda o: (o.get("status") or {}).get("phase", ""))),
        ("", "services"): (service, _service_cells),
        ("", "endpoints"): ([name, _col("Endpoints", "string", "Endpoints.subsets"), age], _endpoints_cells),
        ("", "events"): (event, _event_cells),
        ("events.k8s.io", "events"): (event, _event_cells),
        ("", "configmaps"): ([name, _col("Data", "string", "ConfigMap.data"), age],
                             _simple(lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))),
        ("", "secrets"): ([name, _col("Type", "string", "Secret.type"), _col("Data", "string", "Secret.data"), age],
                          _simple(lambda o: o.get("type", ""), lambda o: len(o.get("data") or {}))),
        ("", "serviceaccounts"): ([name, _col("Secrets", "string", "ServiceAccount.secrets"), age],
                                  _simple(lambda o: len(o.get("secrets") or []))),
        ("", "persistentvolumes"): (pv, _pv_cells),
        ("", "persistentvolumeclaims"): (pvc, _pvc_cells),
        ("", "replicationcontrollers"): (rc, _replicationcontroller_cells),
        ("", "resourcequotas"): ([name, age,
                                  _col("Request", "string", "Request represents a minimum amount of cpu/memory "
                                                            "that a container may consume."),
                                  _col("Limit", "string", "Limits control the maximum amount of cpu/memory that a "
                                                          "container may use independent of contention on the node.")],
                                 _resourcequota_cells),
        ("apps", "deployments"): (deployment, _deployment_cells),
        ("apps", "replicasets"): (replicaset, _replicaset_cells),
        ("apps", "statefulsets"): (statefulset, _statefulset_cells),
        ("apps", "daemonsets"): (daemonset, _daemonset_cells),
        ("apps", "controllerrevisions"): ([name, _col("Controller", "string", "Controller of the object"),
                                           _col("Revision", "string", "ControllerRevision.revision"), age],
                                          _controllerrevision_cells),
        ("batch", "jobs"): (job, _job_cells),
        ("batch", "cronjobs"): (cronjob, _cronjob_cells),
        ("autoscaling", "horizontalpodautoscalers"): (hpa, _hpa_cells),
        ("policy", "poddisruptionbudgets"): (pdb, _pdb_cells),
        ("coordination.k8s.io", "leases"): ([name, _col("Holder", "string", "LeaseSpec.holderIdentity"), age],
                                            _simple(spec("holderIdentity"))),
        ("discovery.k8s.io", "endpointslices"): (
            [name, _col("AddressType", "string", "EndpointSlice.addressType"),
             _col("Ports", "string", "EndpointSlice.ports"), _col("Endpoints", "string", "EndpointSlice.endpoints"),
             age], _endpointslice_cells),
        ("networking.k8s.io", "ingresses"): (
            [name, _col("Class", "string", "The name of the IngressClass resource that should be used for additional "
                                           "configuration"),
             _col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
             _col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
             _col("Ports", "string", "Ports of TLS configurations that open"), age], _ingress_cells),
        ("networking.k8s.io", "networkpolicies"): (
            [name, _col("Pod-Selector", "string", "NetworkPolicySpec.podSelector"), age],
            _simple(lambda o: format_label_selector((o.get("spec") or {}).get("podSelector")))),
        ("rbac.authorization.k8s.io", "rolebindings"): (binding("roleBinding", "RoleBinding.roleRef"), _binding_cells),
        ("rbac.authorization.k8s.io", "clusterrolebindings"): (
            binding("clusterRoleBinding", "ClusterRoleBinding.roleRef"), _binding_cells),
        ("scheduling.k8s.io", "priorityclasses"): (
            [name, _col("Value", "integer", "PriorityClass.value"),
             _col("Global-Default", "boolean", "PriorityClass.globalDefault"), age,
             _col("PreemptionPolicy", "string", "PriorityClass.preemptionPolicy")],
            lambda o, now: [_name(o), _int(o.get("value")), bool(o.get("globalDefault")), _age(o, now),
                            o.get("preemptionPolicy") or ""]),
        ("storage.k8s.io", "storageclasses"): (
            [name, _col("Provisioner", "string", "StorageClass.provisioner"),
             _col("ReclaimPolicy", "string", "StorageClass.reclaimPolicy"),
             _col("VolumeBindingMode", "string", "StorageClass.volumeBindingMode"),
             _col("AllowVolumeExpansion", "string", "StorageClass.allowVolumeExpansion"), age], _storageclass_cells),
    }


# --- kinds without a printer, and custom resources -------------------------------------------

def _default_cells(obj: dict, now: float) -> list:
    """DefaultTableConvertor: the name and the creation time as RFC 3339 (kubectl prints it as is)."""
    return [_name(obj), _meta(obj).get("creationTimestamp") or "0001-01-01T00:00:00Z"]


def _default_columns() -> list:
    return [_name_col(), _col("Created At", "date", "ObjectMeta.creationTimestamp")]


def crd_printer_columns(crd: dict, version: str) -> list[dict]:
    """The additionalPrinterColumns a CRD version serves, or the default Age column (serveDefaultColumnsIfEmpty)."""
    spec = crd.get("spec") or {}
    for v in spec.get("versions") or []:
        if v.get("name") == version and v.get("additionalPrinterColumns"):
            return list(v["additionalPrinterColumns"])
    if spec.get("additionalPrinterColumns"):                     # apiextensions v1beta1 shape
        return list(spec["additionalPrinterColumns"])
    return [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
             "description": _DOCS["ObjectMeta.creationTimestamp"]}]


_PATH_STEP = re.compile(r"""\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]|\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]""")


def _json_path(obj: Any, path: str) -> list:
    """A subset of client-go jsonpath: .a.b, [0], ['k.dots'], [?(@.k=="v")]; missing keys give no result."""
    values = [obj]
    pos = 0
    path = path.strip().strip("{}")
    while pos < len(path):
        m = _PATH_STEP.match(path, pos)
        if m is None:
            return []
        pos = m.end()
        field, index, quoted, key, want = m.groups()
        nxt = []
        for v in values:
            if (field or quoted is not None) and isinstance(v, dict) and (field or quoted) in v:
                nxt.append(v[field or quoted])
            elif index is not None and isinstance(v, list) and int(index) < len(v):
                nxt.append(v[int(index)])
            elif key is not None and isinstance(v, list):
                nxt.extend(x for x in v if isinstance(x, dict) and str(x.get(key)) == want)
        values = nxt
    return values


def _json_cell(type_: str, value: Any, now: float) -> Any:
    """cellForJSONValue (and jsonpath's printing for string columns)."""
    if value is None:
        return None
    if type_ == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if type_ == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if type_ == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if type_ == "boolean" and isinstance(value, bool):
        return value
    if type_ == "date" and isinstance(value, str):
        try:
            return human_duration(now - parse_rfc3339(value))
        except ValueError:
            return "<invalid>"
    return None


def _custom_printer(printer_columns: list[dict]) -> Printer:
    columns = [_name_col()] + [
        {"name": c.get("name", ""), "type": c.get("type", ""), "format": c.get("format", ""),
         "description": c.get("description") or
         f"Custom resource definition column (in JSONPath format): {c.get('jsonPath') or c.get('JSONPath', '')}",
         "priority": int(c.get("priority", 0))} for c in printer_columns]

    def cells(obj: dict, now: float) -> list:
        out: list = [_name(obj)]
        for c in printer_columns:
            found = _json_path(obj, c.get("jsonPath") or c.get("JSONPath", ""))
            out.append(_json_cell(c.get("type", ""), found[0], now) if found else None)
        return out
    return columns, cells



def columns_for(info, printer_columns: Optional[list] = None) -> list[dict]:
    """The column definitions a Table of this resource carries."""
    return _printer(info, printer_columns)[0]


def _printer(info, printer_columns: Optional[list]) -> Printer:
    if printer_columns is not None:
        return _custom_printer(printer_columns)
    return _PRINTERS.get((info.group, info.resource)) or (_default_columns(), _default_cells)


# --- the Table ----------------------------------------------------------------------------------

def _row(obj: dict, cells: list, include_object: str, api_version: str, conditions: Optional[list]) -> dict:
    row: dict = {"cells": cells}
    if conditions:
        row["conditions"] = conditions
    if include_object == INCLUDE_OBJECT:
        row["object"] = obj
    elif include_object == INCLUDE_NONE:
        row["object"] = None
    else:                                  # the row's object is the object's metadata, shared, not copied
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": _meta(obj)}
    return row


def _table(info, objects: list[dict], now: float, include_object: Optional[str], list_meta: Optional[dict],
           no_headers: bool, api_version: str, printer_columns: Optional[list], single: bool) -> dict:
    include = validate_include_object(include_object)
    if api_version not in (f"{TABLE_GROUP}/v1", f"{TABLE_GROUP}/v1beta1"):
        raise errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": f"no Table exists in group version {api_version}",
                                  "reason": "NotAcceptable", "code": 406})
    columns, cells_of = _printer(info, printer_columns)
    pods = (info.group, info.resource) == ("", "pods")
    rows = [_row(o, cells_of(o, now), include, api_version,
                 _POD_CONDITIONS.get((o.get("status") or {}).get("phase")) if pods else None) for o in objects]
    meta: dict = {}
    source = _meta(objects[0]) if single and objects else (list_meta or {})
    for key in ("resourceVersion",) + (() if single else ("continue", "remainingItemCount")):
        if source.get(key) not in (None, ""):
            meta[key] = source[key]
    default = printer_columns is None and (info.group, info.resource) not in _PRINTERS
    return {"kind": "Table", "apiVersion": api_version, "metadata": meta,
            "columnDefinitions": None if no_headers else columns,
            # DefaultTableConvertor appends rows one by one: an empty list stays null.
            "rows": None if default and not rows else rows}


def to_table(info, objects: list[dict], now: float, include_object: Optional[str] = INCLUDE_METADATA,
             list_meta: Optional[dict] = None, *, no_headers: bool = False,
             api_version: str = "meta.k8s.io/v1", printer_columns: Optional[list] = None) -> dict:
    """A list answered as a Table: ``info`` is the resource's ResourceInfo, ``objects`` the
    list's items, ``now`` the server's virtual time, ``list_meta`` the list's metadata
    (resourceVersion, continue, remainingItemCount carry over). ``printer_columns`` is a
    custom resource's column list (see crd_printer_columns); built-ins leave it None.
    Raises a 400 StatusError for a bad ``includeObject``."""
    return _table(info, objects, now, include_object, list_meta, no_headers, api_version, printer_columns, False)


def table_for_object(info, obj: dict, now: float, include_object: Optional[str] = INCLUDE_METADATA, *,
                     no_headers: bool = False, api_version: str = "meta.k8s.io/v1",
                     printer_columns: Optional[list] = None) -> dict:
    """One object (a GET, or one watch event's object) as a one-row Table. In a watch,
    the first event carries the column definitions and the rest ``no_headers=True``."""
    return _table(info, [obj], now, include_object, None, no_headers, api_version, printer_columns, True)


# --- column descriptions: the API field docs printers.go quotes (SwaggerDoc) ---------------------

_DOCS = {
    "ObjectMeta.name":
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "ObjectMeta.creationTimestamp":
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "PodStatus.podIP":
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    "PodSpec.nodeName":
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
    "PodStatus.nominatedNodeName":
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
    "PodSpec.readinessGates":
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
    "PodSpec.nodeSelector":
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
    "ReplicationControllerSpec.replicas":
        "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
    "ReplicationControllerStatus.replicas":
        "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
    "ReplicationControllerStatus.readyReplicas":
        "The number of ready replicas for this replication controller.",
    "ReplicationControllerSpec.selector":
        "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    "ReplicaSetSpec.replicas":
        "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    "ReplicaSetStatus.replicas":
        "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    "ReplicaSetStatus.readyReplicas":
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    "ReplicaSetSpec.selector":
        "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    "DaemonSetStatus.desiredNumberScheduled":
        "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
    "DaemonSetStatus.currentNumberScheduled":
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
    "DaemonSetStatus.numberReady":
        "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.",
    "DaemonSetStatus.updatedNumberScheduled":
        "The total number of nodes that are running updated daemon pod",
    "DaemonSetStatus.numberAvailable":
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)",
    "DaemonSetSpec.selector":
        "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    "JobStatus.succeeded":
        "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
    "JobSpec.selector":
        "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    "CronJobSpec.schedule":
        "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
    "CronJobSpec.timeZone":
        "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones",
    "CronJobSpec.suspend":
        "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.\n\nDefaults to false.",
    "CronJobStatus.active":
        "A list of pointers to currently running jobs.",
    "CronJobStatus.lastScheduleTime":
        "Information when was the last time the job was successfully scheduled.",
    "ServiceSpec.type":
        "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
    "ServiceSpec.clusterIP":
        "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).\n\nValid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.\n\nOnly applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    "ServiceSpec.externalIPs":
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.\n\nThese IPs are not managed by Kubernetes.\n\nThe user is responsible for ensuring that traffic arrives at a node with this IP.\n\nA common example is external load-balancers that are not part of the Kubernetes system.",
    "ServiceSpec.ports":
        "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    "ServiceSpec.selector":
        "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
    "Endpoints.subsets":
        "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.",
    "NodeSystemInfo.kubeletVersion":
        "Kubelet Version reported by the node.",
    "NodeStatus.addresses":
        "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
    "NodeSystemInfo.osImage":
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    "NodeSystemInfo.kernelVersion":
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    "NodeSystemInfo.containerRuntimeVersion":
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    "Event.lastTimestamp":
        "The time at which the most recent occurrence of this event was recorded.",
    "Event.type":
        "Type of this event (Normal, Warning), new types could be added in the future",
    "Event.reason":
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    "Event.involvedObject":
        "The object that this event is about.",
    "ObjectReference.fieldPath":
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.",
    "Event.source":
        "The component reporting this event. Should be a short machine understandable string.",
    "Event.message":
        "A human-readable description of the status of this operation.",
    "Event.firstTimestamp":
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
    "Event.count":
        "The number of times this event has occurred.",
    "Secret.type":
        "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    "Secret.data":
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    "ServiceAccount.secrets":
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
    "PersistentVolumeSpec.capacity":
        "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity",
    "PersistentVolumeSpec.accessModes":
        "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes",
    "PersistentVolumeSpec.persistentVolumeReclaimPolicy":
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming",
    "PersistentVolumeStatus.phase":
        "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase",
    "PersistentVolumeSpec.claimRef":
        "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding",
    "PersistentVolumeStatus.reason":
        "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.",
    "PersistentVolumeSpec.volumeMode":
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.",
    "PersistentVolumeClaimStatus.phase":
        "phase represents the current phase of PersistentVolumeClaim.",
    "PersistentVolumeClaimSpec.volumeName":
        "volumeName is the binding reference to the PersistentVolume backing this claim.",
    "PersistentVolumeClaimStatus.capacity":
        "capacity represents the actual resources of the underlying volume.",
    "PersistentVolumeClaimStatus.accessModes":
        "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
    "PersistentVolumeClaimSpec.volumeMode":
        "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.",
    "DeploymentStatus.updatedReplicas":
        "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
    "DeploymentStatus.availableReplicas":
        "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
    "DeploymentSpec.selector":
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
    "HorizontalPodAutoscalerSpec.scaleTargetRef":
        "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.",
    "HorizontalPodAutoscalerSpec.metrics":
        "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).\n\nThe desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.\n\nErgo, metrics used must decrease as the pod count is increased, and vice-versa.\n\nSee the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.",
    "HorizontalPodAutoscalerSpec.minReplicas":
        "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.\n\nIt defaults to 1 pod.\n\nminReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.\n\nScaling is active as long as at least one metric value is available.",
    "HorizontalPodAutoscalerSpec.maxReplicas":
        "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.",
    "HorizontalPodAutoscalerStatus.currentReplicas":
        "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.",
    "ConfigMap.data":
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    "NetworkPolicySpec.podSelector":
        "Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.",
    "RoleBinding.roleRef":
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
    "ClusterRoleBinding.roleRef":
        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
    "LeaseSpec.holderIdentity":
        "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.",
    "StorageClass.provisioner":
        "provisioner indicates the type of the provisioner.",
    "StorageClass.reclaimPolicy":
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.",
    "StorageClass.volumeBindingMode":
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.\n\nWhen unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.",
    "StorageClass.allowVolumeExpansion":
        "allowVolumeExpansion shows whether the storage class allow volume expand.",
    "ControllerRevision.revision":
        "Revision indicates the revision of the state represented by Data.",
    "PriorityClass.value":
        "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.",
    "PriorityClass.globalDefault":
        "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.",
    "PriorityClass.preemptionPolicy":
        "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.",
    "EndpointSlice.addressType":
        "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name. (Deprecated) The EndpointSlice controller only generates, and kube-proxy only processes, slices of addressType \"IPv4\" and \"IPv6\". No semantics are defined for the \"FQDN\" type.",
    "EndpointSlice.ports":
        "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. Each slice may include a maximum of 100 ports. Services always have at least 1 port, so EndpointSlices generated by the EndpointSlice controller will likewise always have at least 1 port. EndpointSlices used for other purposes may have an empty ports list.",
    "EndpointSlice.endpoints":
        "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.",
}

_PRINTERS = _printers()      # after _DOCS, which the column definitions quote
