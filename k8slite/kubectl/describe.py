"""`kubectl describe`: the multi-section, tab-aligned description of one object.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/describe/describe.go (PrefixWriter
levels of two spaces, tabbedString over Go's text/tabwriter with minwidth 0, tabwidth 8,
padding 2; describePod, describeNode, describeDeployment, describeReplicaSet,
describeService, describeJob, describeHorizontalPodAutoscalerV2, the generic describer,
DescribeEvents, printLabelsMultiline,
printAnnotationsMultiline, taints and tolerations), kubectl/pkg/util/qos (GetPodQOS),
kubectl/pkg/util/resource (PodRequestsAndLimits) and kubectl/pkg/util/event (SortableEvents).

Simplified: the describer is handed the object, its events and related objects
(`related["lease"]`, `["pods"]`, `["replicasets"]`, `["endpointslices"]` or
`["endpoints"]`) instead of fetching them. Volume sources other than hostPath, emptyDir,
secret, configMap, persistentVolumeClaim, projected and downwardAPI print "<unknown>";
pod-level overhead, sidecar init-container accounting and hugepages are left out of the
node's resource totals; env valueFrom.fieldRef resolves only the common field paths;
an autoscaler's Object and External metrics print as unknown metric types.
Where the API server's defaulting would have filled a field (probe timings, service
targetPort, deployment replicas) the describer assumes the default. Output has no
trailing newline.
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction
from math import ceil

from .printers import (EPOCH, format_label_selector, format_labels, human_duration, parse_time, selector_string,
                       tabwrite, translate_timestamp_since)

__all__ = ["describe", "format_rfc1123z", "qos_class", "parse_quantity", "format_quantity"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_rfc1123z(ts: str | None) -> str:
    """Go's time.RFC1123Z in UTC: "Mon, 01 Jan 2024 00:00:05 +0000" (zero time if unset)."""
    t = parse_time(ts)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    d = EPOCH + _dt.timedelta(seconds=int(t // 1))
    return (f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year:04d} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000")


# --- quantities (apimachinery resource.Quantity, just enough for describe) ------------------

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def parse_quantity(text) -> tuple[Fraction, str]:
    """"100m" -> (1/10, "DecimalSI"); "128Mi" -> (134217728, "BinarySI")."""
    s = str(text).strip()
    for suffix, power in _BINARY.items():
        if s.endswith(suffix):
            return Fraction(s[:-2]) * (2 ** power), "BinarySI"
    for i, ch in enumerate(s):
        if ch in "eE" and i > 0 and s[i + 1:].lstrip("+-").isdigit():
            return Fraction(s[:i]) * Fraction(10) ** int(s[i + 1:]), "DecimalExponent"
    if s and s[-1] in _DECIMAL:
        return Fraction(s[:-1]) * Fraction(10) ** _DECIMAL[s[-1]], "DecimalSI"
    return Fraction(s or "0"), "DecimalSI"


def format_quantity(value: Fraction, fmt: str) -> str:
    """Quantity.String(): canonical form, e.g. 1.5 cpu -> "1500m", 1Gi stays "1Gi"."""
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        n, power = int(value), 0
        while power < 60 and n % 1024 == 0 and n != 0:
            n //= 1024
            power += 10
        suffix = {v: k for k, v in _BINARY.items()}.get(power, "")
        return f"{n}{suffix}"
    # Round up to nano precision, then use the largest exponent (a multiple of 3) that
    # keeps an integer mantissa.
    nanos = ceil(value * 10 ** 9)
    exp = -9
    while nanos % 1000 == 0 and exp < 18:
        nanos //= 1000
        exp += 3
    if fmt == "DecimalExponent":
        return f"{nanos}" if exp == 0 else f"{nanos}e{exp}"
    suffix = {v: k for k, v in _DECIMAL.items()}[exp]
    return f"{nanos}{suffix}"


def _qstr(q) -> str:
    return format_quantity(*parse_quantity(q))


# --- the PrefixWriter over a tabwriter buffer -------------------------------------------------

class _PrefixWriter:
    """describe.go's prefixWriter: each level indents two spaces. Text is tab-laid-out at the end."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.chunks.append("  " * level + text)

    def write_line(self, text: str = "") -> None:
        self.chunks.append(text + "\n")

    def render(self) -> str:
        return tabwrite("".join(self.chunks), minwidth=0, padding=2).rstrip("\n")


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def node_roles(node: dict) -> list[str]:
    """findNodeRoles: roles from node-role.kubernetes.io/<role> and kubernetes.io/role=<role> labels, sorted."""
    roles = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


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


def _labels_multiline(w: _PrefixWriter, title: str, labels: dict | None,
                      initial_indent: str = "", inner_indent: str = "\t") -> None:
    w.write(0, f"{initial_indent}{title}:{inner_indent}")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial_indent + inner_indent)
        w.write(0, f"{key}={labels[key]}\n")


_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration"}
_MAX_ANNOTATION_LEN = 140


def _annotations_multiline(w: _PrefixWriter, title: str, annotations: dict | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k not in _SKIP_ANNOTATIONS)
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key])
        if value.endswith("\n"):
            value = value[:-1]
        if len(value) + len(key) + 2 > _MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                short = line if len(line) <= _MAX_ANNOTATION_LEN - 2 else \
                    line[:_MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _taint_string(t: dict) -> str:
    if not t.get("value"):
        return f"{t.get('key', '')}:{t.get('effect', '')}"
    return f"{t.get('key', '')}={t['value']}:{t.get('effect', '')}"


def _taints_multiline(w: _PrefixWriter, title: str, taints: list | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, _taint_string(taint) + "\n")


def _tolerations_multiline(w: _PrefixWriter, title: str, tolerations: list | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, "\t")
        text = tol.get("key", "")
        if tol.get("value"):
            text += f"={tol['value']}"
        if tol.get("effect"):
            text += f":{tol['effect']}"
        # operator Exists with no key and no effect tolerates everything.
        if tol.get("operator") == "Exists" and not tol.get("value"):
            text += " op=Exists" if (tol.get("key") or tol.get("effect")) else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {tol['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _controller_of(obj: dict) -> str:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return ""


# --- events ------------------------------------------------------------------------------------

def _event_sort_key(ev: dict) -> float:
    """kubectl/pkg/util/event: series.lastObservedTime, else lastTimestamp, else eventTime."""
    series = ev.get("series")
    for ts in ((series or {}).get("lastObservedTime") if series else None,
               ev.get("lastTimestamp"), ev.get("eventTime"), ev.get("firstTimestamp")):
        t = parse_time(ts)
        if t is not None:
            return t
    return float("-inf")


def _describe_events(w: _PrefixWriter, events: list[dict] | None, now: float) -> None:
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for ev in sorted(events, key=_event_sort_key):
        first = translate_timestamp_since(ev.get("eventTime"), now)
        if not ev.get("eventTime"):
            first = translate_timestamp_since(ev.get("firstTimestamp"), now)
        series = ev.get("series")
        if series is not None:
            age = (f"{translate_timestamp_since(series.get('lastObservedTime'), now)} "
                   f"(x{series.get('count', 0)} over {first})")
        elif int(ev.get("count") or 0) > 1:
            age = (f"{translate_timestamp_since(ev.get('lastTimestamp'), now)} "
                   f"(x{ev['count']} over {first})")
        else:
            age = first
        source = (ev.get("source") or {}).get("component") or ev.get("reportingController") or ""
        w.write(1, f"{ev.get('type', '')}\t{ev.get('reason', '')}\t{age}\t{source}\t"
                   f"{(ev.get('message') or '').strip()}\n")


# --- pods ---------------------------------------------------------------------------------------

def _field_path_value(pod: dict, path: str) -> str:
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP"), "status.hostIP": status.get("hostIP"),
    }
    if path in simple:
        return simple[path] or ""
    for prefix, source in (("metadata.labels", meta.get("labels")),
                           ("metadata.annotations", meta.get("annotations"))):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return (source or {}).get(path[len(prefix) + 2:-2], "")
    return ""


def _describe_probe(probe: dict) -> str:
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s "
             f"timeout={probe.get('timeoutSeconds', 1)}s period={probe.get('periodSeconds', 10)}s "
             f"#success={probe.get('successThreshold', 1)} "
             f"#failure={probe.get('failureThreshold', 3)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        h = probe["httpGet"]
        scheme = (h.get("scheme") or "HTTP").lower()
        host, port = h.get("host", ""), str(h.get("port", ""))
        netloc = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        return f"http-get {scheme}://{netloc}{h.get('path', '')} {attrs}"
    if probe.get("tcpSocket") is not None:
        t = probe["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{t.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        g = probe["grpc"]
        return f"grpc <pod>:{g.get('port')} {g.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _describe_status(w: _PrefixWriter, name: str, state: dict | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{format_rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{int(t.get('exitCode') or 0)}\n")
        if int(t.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{format_rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{format_rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _describe_resources(w: _PrefixWriter, resources: dict | None, level: int) -> None:
    resources = resources or {}
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{_qstr(values[name])}\n")


def _describe_containers(w: _PrefixWriter, label: str, containers: list, statuses: list | None,
                         pod: dict | None, space: str) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    name_indent = " " if space else ""
    for c in containers:
        status = by_name.get(c.get("name"))
        ok = status is not None
        w.write(1, f"{name_indent}{c.get('name', '')}:\n")
        if ok:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if ok:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = c.get("ports") or []
        port_s = ", ".join(f"{p.get('containerPort')}/{p.get('protocol') or 'TCP'}" for p in ports)
        host_s = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol') or 'TCP'}" for p in ports)
        if "," in port_s:
            w.write(2, f"Ports:\t{port_s}\n")
        else:
            w.write(2, f"Port:\t{port_s or '<none>'}\n")
        if "," in host_s:
            w.write(2, f"Host Ports:\t{host_s}\n")
        else:
            w.write(2, f"Host Port:\t{host_s or '<none>'}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for line in str(item).split("\n"):
                        w.write(3, f"{line}\n")
        if ok:
            _describe_status(w, "State", status.get("state"))
            if ((status.get("lastState") or {}).get("terminated")) is not None:
                _describe_status(w, "Last State", status.get("lastState"))
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{int(status.get('restartCount') or 0)}\n")
        _describe_resources(w, c.get("resources"), 2)
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                           ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{_describe_probe(c[key])}\n")
        if c.get("envFrom"):
            w.write(2, "Environment Variables from:\n")
            for e in c["envFrom"]:
                ref, source = (e.get("configMapRef"), "ConfigMap") if e.get("configMapRef") \
                    else (e.get("secretRef") or {}, "Secret")
                optional = "true" if (ref or {}).get("optional") else "false"
                if e.get("prefix"):
                    source += f" with prefix '{e['prefix']}'"
                w.write(3, f"{(ref or {}).get('name', '')}\t{source}\tOptional: {optional}\n")
        env = c.get("env") or []
        w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
        for e in env:
            vf = e.get("valueFrom")
            if vf is None:
                for i, line in enumerate(str(e.get("value", "")).split("\n")):
                    w.write(3, f"{e.get('name', '')}:\t{line}\n" if i == 0 else f"\t{line}\n")
            elif vf.get("fieldRef") is not None:
                ref = vf["fieldRef"]
                value = _field_path_value(pod, ref.get("fieldPath", "")) if pod else ""
                w.write(3, f"{e.get('name', '')}:\t{value} ({ref.get('apiVersion', 'v1')}:"
                           f"{ref.get('fieldPath', '')})\n")
            elif vf.get("resourceFieldRef") is not None:
                w.write(3, f"{e.get('name', '')}:\t ({vf['resourceFieldRef'].get('resource', '')})\n")
            elif vf.get("secretKeyRef") is not None:
                r = vf["secretKeyRef"]
                w.write(3, f"{e.get('name', '')}:\t<set to the key '{r.get('key', '')}' in secret "
                           f"'{r.get('name', '')}'>\tOptional: {'true' if r.get('optional') else 'false'}\n")
            elif vf.get("configMapKeyRef") is not None:
                r = vf["configMapKeyRef"]
                w.write(3, f"{e.get('name', '')}:\t<set to the key '{r.get('key', '')}' of config map "
                           f"'{r.get('name', '')}'>\tOptional: {'true' if r.get('optional') else 'false'}\n")
        mounts = sorted(c.get("volumeMounts") or [], key=lambda m: m.get("mountPath", ""))
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")


def _bool(v) -> str:
    return "true" if v else "false"


def _describe_volumes(w: _PrefixWriter, volumes: list | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        if v.get("hostPath") is not None:
            hp = v["hostPath"]
            w.write(2, "Type:\tHostPath (bare host directory volume)\n"
                       f"    Path:\t{hp.get('path', '')}\n"
                       f"    HostPathType:\t{hp.get('type') or '<none>'}\n")
        elif v.get("emptyDir") is not None:
            ed = v["emptyDir"]
            limit = _qstr(ed["sizeLimit"]) if ed.get("sizeLimit") and \
                parse_quantity(ed["sizeLimit"])[0] > 0 else "<unset>"
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                       f"    Medium:\t{ed.get('medium', '')}\n"
                       f"    SizeLimit:\t{limit}\n")
        elif v.get("secret") is not None:
            s = v["secret"]
            w.write(2, "Type:\tSecret (a volume populated by a Secret)\n"
                       f"    SecretName:\t{s.get('secretName', '')}\n"
                       f"    Optional:\t{_bool(s.get('optional'))}\n")
        elif v.get("configMap") is not None:
            cm = v["configMap"]
            w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                       f"    Name:\t{cm.get('name', '')}\n"
                       f"    Optional:\t{_bool(cm.get('optional'))}\n")
        elif v.get("persistentVolumeClaim") is not None:
            pvc = v["persistentVolumeClaim"]
            w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in "
                       "the same namespace)\n"
                       f"    ClaimName:\t{pvc.get('claimName', '')}\n"
                       f"    ReadOnly:\t{_bool(pvc.get('readOnly'))}\n")
        elif v.get("projected") is not None:
            w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
            for src in v["projected"].get("sources") or []:
                if src.get("secret") is not None:
                    w.write(2, f"SecretName:\t{src['secret'].get('name', '')}\n"
                               f"    Optional:\t{_bool(src['secret'].get('optional'))}\n")
                elif src.get("downwardAPI") is not None:
                    w.write(2, "DownwardAPI:\ttrue\n")
                elif src.get("configMap") is not None:
                    w.write(2, f"ConfigMapName:\t{src['configMap'].get('name', '')}\n"
                               f"    Optional:\t{_bool(src['configMap'].get('optional'))}\n")
                elif src.get("serviceAccountToken") is not None:
                    w.write(2, "TokenExpirationSeconds:\t"
                               f"{src['serviceAccountToken'].get('expirationSeconds', 3600)}\n")
        elif v.get("downwardAPI") is not None:
            w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n"
                       "    Items:\n")
            for item in v["downwardAPI"].get("items") or []:
                if item.get("fieldRef") is not None:
                    w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
                if item.get("resourceFieldRef") is not None:
                    w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> "
                               f"{item.get('path', '')}\n")
        else:
            w.write(1, "<unknown>\n")


def _container_resources(c: dict) -> tuple[dict, dict]:
    res = c.get("resources") or {}
    return res.get("requests") or {}, res.get("limits") or {}


def qos_class(pod: dict) -> str:
    """Guaranteed, Burstable or BestEffort (status.qosClass when the API server set it)."""
    status_qos = (pod.get("status") or {}).get("qosClass")
    if status_qos:
        return status_qos
    spec = pod.get("spec") or {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        req, lim = _container_resources(c)
        # Defaulting copies a limit into a missing request.
        req = {**lim, **req}
        for name in ("cpu", "memory"):
            if name in req and parse_quantity(req[name])[0] != 0:
                requests[name] = requests.get(name, Fraction(0)) + parse_quantity(req[name])[0]
        seen = set()
        for name in ("cpu", "memory"):
            if name in lim and parse_quantity(lim[name])[0] != 0:
                seen.add(name)
                limits[name] = limits.get(name, Fraction(0)) + parse_quantity(lim[name])[0]
        if seen != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and len(requests) == len(limits) and all(
            limits.get(k) == v for k, v in requests.items()):
        return "Guaranteed"
    return "Burstable"


def _describe_pod(pod: dict, events, now: float) -> str:
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if not spec.get("nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{format_rfc1123z(status['startTime'])}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase", "")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, "Status:\tTerminating (lasts "
                   f"{translate_timestamp_since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 30)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    pod_ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
    if not pod_ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in pod_ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    controller = _controller_of(pod)
    if controller:
        w.write(0, f"Controlled By:\t{controller}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"],
                             status.get("initContainerStatuses"), pod, "")
    _describe_containers(w, "Containers", spec.get("containers") or [],
                         status.get("containerStatuses"), pod, "")
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = "<none>"
            for c in status.get("conditions") or []:
                if c.get("type") == gate.get("conditionType"):
                    value = c.get("status", "")
                    break
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    _describe_volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    _labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    _describe_events(w, events, now)
    return w.render()


def _describe_pod_template(w: _PrefixWriter, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    _labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        _annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    _describe_containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    _describe_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


# --- nodes --------------------------------------------------------------------------------------

def _add(total: dict, name: str, q) -> None:
    value, fmt = parse_quantity(q)
    if name in total:
        total[name] = (total[name][0] + value, total[name][1])  # Add keeps the receiver's format
    else:
        total[name] = (value, fmt)


def _pod_requests_and_limits(pod: dict) -> tuple[dict, dict]:
    """resourcehelper.PodRequestsAndLimits: sum of containers, raised to any init container's."""
    spec = pod.get("spec") or {}
    reqs: dict = {}
    limits: dict = {}
    for c in spec.get("containers") or []:
        r, l = _container_resources(c)
        for name, q in r.items():
            _add(reqs, name, q)
        for name, q in l.items():
            _add(limits, name, q)
    for c in spec.get("initContainers") or []:
        r, l = _container_resources(c)
        for target, values in ((reqs, r), (limits, l)):
            for name, q in values.items():
                value, fmt = parse_quantity(q)
                if name not in target or value > target[name][0]:
                    target[name] = (value, fmt)
    return reqs, limits


def _qs(total: dict, name: str) -> str:
    return format_quantity(*total[name]) if name in total else "0"


def _qv(total: dict, name: str, milli: bool = False) -> int:
    if name not in total:
        return 0
    return ceil(total[name][0] * (1000 if milli else 1))


def _percent(part: int, whole: int) -> int:
    return int(part / whole * 100) if whole else 0


def _describe_node(node: dict, events, now: float, related: dict) -> str:
    meta, spec, status = _meta(node), node.get("spec") or {}, node.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{format_rfc1123z(meta.get('creationTimestamp'))}\n")
    _taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{_bool(spec.get('unschedulable'))}\n")
    lease = related.get("lease")
    if lease is None:
        w.write(0, f"Lease:\tFailed to get lease: leases.coordination.k8s.io "
                   f"\"{meta.get('name', '')}\" not found\n")
    else:
        lspec = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
        acquire = format_rfc1123z(lspec["acquireTime"]) if lspec.get("acquireTime") else "<unset>"
        renew = format_rfc1123z(lspec["renewTime"]) if lspec.get("renewTime") else "<unset>"
        w.write(1, f"AcquireTime:\t{acquire}\n")
        w.write(1, f"RenewTime:\t{renew}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t"
                       f"{format_rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{format_rfc1123z(c.get('lastTransitionTime'))} \t"
                       f"{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for addr in status.get("addresses") or []:
        w.write(1, f"{addr.get('type', '')}:\t{addr.get('address', '')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        values = status.get(key) or {}
        if values:
            w.write(0, f"{title}:\n")
            for name in sorted(values):
                w.write(0, f"  {name}:\t{_qstr(values[name])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"),
                       ("Boot ID", "bootID"), ("Kernel Version", "kernelVersion"),
                       ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                       ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"),
                       ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")

    pods = [p for p in related.get("pods") or []
            if (p.get("spec") or {}).get("nodeName") == meta.get("name")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    alloc_raw = status.get("allocatable") or status.get("capacity") or {}
    alloc = {}
    for name, q in alloc_raw.items():
        _add(alloc, name, q)
    cpu_alloc, mem_alloc = _qv(alloc, "cpu", milli=True), _qv(alloc, "memory")
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    total_req: dict = {}
    total_lim: dict = {}
    for p in pods:
        req, lim = _pod_requests_and_limits(p)
        for name, (value, fmt) in req.items():
            if name in total_req:
                total_req[name] = (total_req[name][0] + value, total_req[name][1])
            else:
                total_req[name] = (value, fmt)
        for name, (value, fmt) in lim.items():
            if name in total_lim:
                total_lim[name] = (total_lim[name][0] + value, total_lim[name][1])
            else:
                total_lim[name] = (value, fmt)
        w.write(1, f"{_meta(p).get('namespace', '')}\t{_meta(p).get('name', '')}\t\t"
                   f"{_qs(req, 'cpu')} ({_percent(_qv(req, 'cpu', True), cpu_alloc)}%)\t"
                   f"{_qs(lim, 'cpu')} ({_percent(_qv(lim, 'cpu', True), cpu_alloc)}%)\t"
                   f"{_qs(req, 'memory')} ({_percent(_qv(req, 'memory'), mem_alloc)}%)\t"
                   f"{_qs(lim, 'memory')} ({_percent(_qv(lim, 'memory'), mem_alloc)}%)\t"
                   f"{translate_timestamp_since(_meta(p).get('creationTimestamp'), now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    eph_alloc = _qv(alloc, "ephemeral-storage")
    for name, whole, milli in (("cpu", cpu_alloc, True), ("memory", mem_alloc, False),
                               ("ephemeral-storage", eph_alloc, False)):
        w.write(1, f"{name}\t{_qs(total_req, name)} ({_percent(_qv(total_req, name, milli), whole)}%)\t"
                   f"{_qs(total_lim, name)} ({_percent(_qv(total_lim, name, milli), whole)}%)\n")
    for name in sorted(alloc_raw):
        if name in ("cpu", "memory", "ephemeral-storage", "pods") or name.startswith("hugepages-"):
            continue
        w.write(1, f"{name}\t{_qs(total_req, name)}\t{_qs(total_lim, name)}\n")
    _describe_events(w, events, now)
    return w.render()


# --- workloads and services -----------------------------------------------------------------------

def _pod_template_without_hash(template: dict | None) -> dict:
    template = dict(template or {})
    meta = dict(template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop("pod-template-hash", None)
    meta["labels"] = labels
    template["metadata"] = meta
    return template


def _owned_by(obj: dict, owner: dict) -> bool:
    uid, name = _meta(owner).get("uid"), _meta(owner).get("name")
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller") and ((uid and ref.get("uid") == uid) or
                                      (not uid and ref.get("name") == name)):
            return True
    return False


def _rs_summary(rss: list[dict]) -> str:
    text = ", ".join(f"{_meta(rs).get('name', '')} ({int((rs.get('status') or {}).get('replicas') or 0)}/"
                     f"{int((rs.get('spec') or {}).get('replicas', 1))} replicas created)" for rs in rss)
    return text or "<none>"


def _describe_deployment(d: dict, events, now: float, related: dict) -> str:
    meta, spec, status = _meta(d), d.get("spec") or {}, d.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{format_rfc1123z(meta.get('creationTimestamp'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{int(spec.get('replicas', 1))} desired | "
               f"{int(status.get('updatedReplicas') or 0)} updated | "
               f"{int(status.get('replicas') or 0)} total | "
               f"{int(status.get('availableReplicas') or 0)} available | "
               f"{int(status.get('unavailableReplicas') or 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{int(spec.get('minReadySeconds') or 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', '25%')} max unavailable, "
                   f"{ru.get('maxSurge', '25%')} max surge\n")
    _describe_pod_template(w, spec.get("template"))
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")
    owned = [rs for rs in related.get("replicasets") or [] if _owned_by(rs, d)]
    owned.sort(key=lambda rs: (parse_time(_meta(rs).get("creationTimestamp")) or 0.0,
                               _meta(rs).get("name", "")))
    want = _pod_template_without_hash(spec.get("template"))
    new = [rs for rs in owned
           if _pod_template_without_hash((rs.get("spec") or {}).get("template")) == want][:1]
    # GetAllReplicaSets' first result: the old ReplicaSets that still want pods.
    old = [rs for rs in owned if rs not in new and int((rs.get("spec") or {}).get("replicas", 1)) != 0]
    w.write(0, f"OldReplicaSets:\t{_rs_summary(old)}\n")
    w.write(0, f"NewReplicaSet:\t{_rs_summary(new)}\n")
    _describe_events(w, events, now)
    return w.render()


def _pods_status(pods: list[dict], owner: dict) -> str:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for p in pods:
        if _owned_by(p, owner):
            phase = (p.get("status") or {}).get("phase")
            if phase in counts:
                counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / "
            f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed")


def _describe_replicaset(rs: dict, events, now: float, related: dict) -> str:
    meta, spec, status = _meta(rs), rs.get("spec") or {}, rs.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    controller = _controller_of(rs)
    if controller:
        w.write(0, f"Controlled By:\t{controller}\n")
    w.write(0, f"Replicas:\t{int(status.get('replicas') or 0)} current / "
               f"{int(spec.get('replicas', 1))} desired\n")
    w.write(0, f"Pods Status:\t{_pods_status(related.get('pods') or [], rs)}\n")
    _describe_pod_template(w, spec.get("template"))
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")
    _describe_events(w, events, now)
    return w.render()


def _endpoint_slices_cell(slices: list[dict], port_name: str) -> str:
    """formatEndpointSlices for one service port: ready "ip:port" entries, at most three."""
    if not slices:
        return "<none>"
    items, limit, more, count = [], 3, False, 0
    for sl in slices:
        ports = sl.get("ports") or []
        endpoints = sl.get("endpoints") or []
        targets = [None] if not ports else [p for p in ports if (p.get("name") or "") == port_name]
        for port in targets:
            for ep in endpoints:
                if len(items) == limit:
                    more = True
                ready = (ep.get("conditions") or {}).get("ready")
                if ready is False:
                    continue
                addr = (ep.get("addresses") or [""])[0]
                if not more:
                    if port is None:
                        items.append(addr)
                    else:
                        host = f"[{addr}]" if ":" in addr else addr
                        items.append(f"{host}:{port.get('port')}")
                count += 1
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if more else text


def _describe_service(svc: dict, events, now: float, related: dict) -> str:
    meta, spec, status = _meta(svc), svc.get("spec") or {}, svc.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type') or 'ClusterIP'}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    w.write(0, f"IPs:\t{','.join(ips) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        parts = []
        for i in ingress:
            if i.get("ip"):
                parts.append(i["ip"] + (f" ({i['ipMode']})" if i.get("ipMode") else ""))
            else:
                parts.append(i.get("hostname", ""))
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        proto = port.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{port.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{port.get('targetPort', port.get('port'))}/{proto}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{proto}\n")
        if "endpointslices" in related:
            eps = _endpoint_slices_cell(related.get("endpointslices") or [], port.get("name") or "")
        elif related.get("endpoints") is not None:
            eps = _endpoints_cell(related["endpoints"], {port.get("name") or ""})
        else:
            eps = "<none>"
        w.write(0, f"Endpoints:\t{eps}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity') or 'None'}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    _describe_events(w, events, now)
    return w.render()


# --- generic ------------------------------------------------------------------------------------

_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}


def _camel_split(field: str) -> list[str]:
    """github.com/fatih/camelcase.Split: runs of one character class; "CIDRs" -> "CID", "Rs"."""
    def cls(ch: str) -> int:
        return 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
    runs: list[list[str]] = []
    for ch in field:
        if runs and cls(runs[-1][-1]) == cls(ch):
            runs[-1].append(ch)
        else:
            runs.append([ch])
    for i in range(len(runs) - 1):
        if cls(runs[i][0]) == 2 and cls(runs[i + 1][0]) == 1:
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def smart_label(field: str) -> str:
    """"apiVersion" -> "API Version", "holderIdentity" -> "Holder Identity"."""
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = []
    for part in _camel_split(field):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:])
    return " ".join(parts)


def _go_value(v) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _unstructured(w: _PrefixWriter, level: int, content: dict, skip_prefix: str,
                  skip: set[str]) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{skip_prefix}.{field}"
        if path in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path, skip)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path, skip)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_go_value(value)}\n")


def _describe_generic(obj: dict, events, now: float) -> str:
    meta = _meta(obj)
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, "", {".metadata.managedFields", ".metadata.name",
                                  ".metadata.namespace", ".metadata.labels",
                                  ".metadata.annotations"})
    _describe_events(w, events, now)
    return w.render()


# --- jobs and autoscalers -----------------------------------------------------------------------

def _describe_job(job: dict, events, now: float) -> str:
    """describeJob."""
    meta, spec, status = _meta(job), job.get("spec") or {}, job.get("status") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if _controller_of(job):
        w.write(0, f"Controlled By:\t{_controller_of(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    w.write(0, f"Completions:\t{spec['completions'] if spec.get('completions') is not None else '<unset>'}\n")
    if spec.get("completionMode"):
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{_bool(spec['suspend'])}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{format_rfc1123z(status['startTime'])}\n")
    if status.get("completionTime"):
        w.write(0, f"Completed At:\t{format_rfc1123z(status['completionTime'])}\n")
    if status.get("startTime") and status.get("completionTime"):
        took = parse_time(status["completionTime"]) - parse_time(status["startTime"])
        w.write(0, f"Duration:\t{human_duration(took)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    counts = [int(status.get(k) or 0) for k in ("active", "succeeded", "failed")]
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{counts[0]} Active / {counts[1]} Succeeded / {counts[2]} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{counts[0]} Active ({int(status['ready'])} Ready) / {counts[1]} Succeeded / "
                   f"{counts[2]} Failed\n")
    if spec.get("completionMode") == "Indexed":
        indexes = status.get("completedIndexes") or ""
        cut = indexes.find(",", 50) if len(indexes) > 50 else -1
        w.write(0, f"Completed Indexes:\t{(indexes[:cut + 1] + '...') if cut >= 0 else (indexes or '<none>')}\n")
    _describe_pod_template(w, spec.get("template"))
    _describe_events(w, events, now)
    return w.render()


def _hpa_resource_metric(w: _PrefixWriter, label: str, target: dict, current: dict | None) -> None:
    """One Resource or ContainerResource metric: an average value, or a utilization of requests."""
    w.write(1, label)
    if target.get("averageValue") is not None:
        now_value = _qstr(current["averageValue"]) if current and current.get("averageValue") is not None \
            else "<unknown>"
        w.write(0, f":\t{now_value} / {_qstr(target['averageValue'])}\n")
        return
    now_value = "<unknown>"
    if current and current.get("averageUtilization") is not None:
        now_value = f"{current['averageUtilization']}% ({_qstr(current.get('averageValue') or 0)})"
    wanted = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    w.write(1, f"(as a percentage of request):\t{now_value} / {wanted}\n")


def _describe_hpa(hpa: dict, events, now: float) -> str:
    """describeHorizontalPodAutoscalerV2."""
    meta, spec, status = _meta(hpa), hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{format_rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    currents = status.get("currentMetrics") or []
    for i, metric in enumerate(spec.get("metrics") or []):
        kind = metric.get("type", "")
        current = currents[i] if i < len(currents) else {}
        if kind == "Resource":
            source = metric.get("resource") or {}
            _hpa_resource_metric(w, f"resource {source.get('name', '')} on pods", source.get("target") or {},
                                 (current.get("resource") or {}).get("current"))
        elif kind == "ContainerResource":
            source = metric.get("containerResource") or {}
            _hpa_resource_metric(w, f'resource {source.get("name", "")} of container "{source.get("container", "")}" '
                                    "on pods", source.get("target") or {},
                                 (current.get("containerResource") or {}).get("current"))
        elif kind == "Pods":
            source = metric.get("pods") or {}
            value = ((current.get("pods") or {}).get("current") or {}).get("averageValue")
            w.write(1, f'"{(source.get("metric") or {}).get("name", "")}" on pods:\t'
                       f'{_qstr(value) if value is not None else "<unknown>"} / '
                       f'{_qstr((source.get("target") or {}).get("averageValue") or 0)}\n')
        else:
            w.write(1, f'<unknown metric type "{kind}">\n')
    minimum = spec.get("minReplicas")
    w.write(0, f"Min replicas:\t{minimum if minimum is not None else '<unset>'}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    behavior = spec.get("behavior")
    if behavior:
        w.write(0, "Behavior:\n")
        for direction, key in (("Scale Up", "scaleUp"), ("Scale Down", "scaleDown")):
            rules = behavior.get(key)
            if rules is None:
                continue
            w.write(1, f"{direction}:\n")
            if rules.get("stabilizationWindowSeconds") is not None:
                w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
            if rules.get("policies"):
                w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
                w.write(2, "Policies:\n")
                for p in rules["policies"]:
                    w.write(3, f"- Type: {p.get('type', '')}\tValue: {p.get('value', 0)}\t"
                               f"Period: {p.get('periodSeconds', 0)} seconds\n")
    w.write(0, f"{ref.get('kind', '')} pods:\t")
    w.write(0, f"{int(status.get('currentReplicas') or 0)} current / {int(status.get('desiredReplicas') or 0)} desired\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    _describe_events(w, events, now)
    return w.render()


def describe(kind: str, obj: dict, events: list[dict] | None, now: float,
             related: dict | None = None) -> str:
    """What `kubectl describe <kind> <name>` prints at virtual time `now`.

    `events` are the events about `obj` (None hides the Events section); `related` holds
    what the real describer would fetch: "lease" and "pods" for a Node, "replicasets" for a
    Deployment, "pods" for a ReplicaSet, "endpointslices" or "endpoints" for a Service.
    """
    related = related or {}
    if kind == "Pod":
        return _describe_pod(obj, events, now)
    if kind == "Node":
        return _describe_node(obj, events, now, related)
    if kind == "Deployment":
        return _describe_deployment(obj, events, now, related)
    if kind == "ReplicaSet":
        return _describe_replicaset(obj, events, now, related)
    if kind == "Service":
        return _describe_service(obj, events, now, related)
    if kind == "Job":
        return _describe_job(obj, events, now)
    if kind == "HorizontalPodAutoscaler":
        return _describe_hpa(obj, events, now)
    return _describe_generic(obj, events, now)
