"""Validation: the field causes of a 422 Invalid, per kind, on create and on update.

Mirrors kubernetes v1.31 pkg/apis/core/validation/validation.go (ValidatePod, ValidatePodSpec,
validateContainers, validateContainerPorts, ValidateResourceRequirements, ValidatePodUpdate,
ValidateService, ValidateNode, ValidateNamespace), pkg/apis/apps/validation/validation.go
(ValidateDeployment, ValidateReplicaSet, ValidatePodTemplateSpecForReplicaSet,
ValidateRollingUpdateDeployment) and apimachinery/pkg/api/validation/objectmeta.go
(ValidateObjectMetaUpdate).

Simplified: only the rules named in the checks below run (no probes, security contexts,
affinity, DNS config, volume sources, topology spread, host ports conflicts, node
resources, service IPs/node ports); the pod-update Forbidden message leaves out the
``cmp.Diff`` of the two specs that upstream appends after a newline; a LabelSelector or
DeploymentStrategy bad value is printed as Go's ``%#v`` would for the common shapes.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Callable, Optional

from .errors import Cause, GoValue, not_supported
from .labels import Selector, validate_label_selector
from .meta import (is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
                   is_valid_label_value, max_len_error, regex_error, validate_annotations,
                   validate_labels, validate_object_meta)
from .quantity import format_quantity, parse_quantity
from .scheme import ResourceInfo

FIELD_IMMUTABLE = "field is immutable"
NONNEGATIVE = "must be greater than or equal to 0"
PORT_RANGE = "must be between 1 and 65535, inclusive"
POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)")

DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1035_LABEL_ERR = ("a DNS-1035 label must consist of lower case alphanumeric characters or "
                     "'-', start with an alphabetic character, and end with an alphanumeric "
                     "character")
_dns1035 = re.compile("^" + DNS1035_LABEL_FMT + "$")
PERCENT_FMT = "[0-9]+%"
PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'"


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _dns1035.match(value):
        errs.append(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_valid_port_name(port: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME)."""
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not re.match(r"^[-a-z0-9]+$", port):
        errs.append("must contain only alphanumeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_port_num(port) -> list[str]:
    return [] if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535 \
        else [PORT_RANGE]


def _nonnegative(value, path: str) -> list[Cause]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [Cause("Invalid", path, NONNEGATIVE, value)]
    return []


def _go_label_selector(sel: Optional[dict]) -> GoValue:
    """%#v of a *metav1.LabelSelector, dereferenced as field.Error does."""
    if sel is None:
        return GoValue("null")
    ml = sel.get("matchLabels")
    ml_s = ("map[string]string{" + ", ".join(f"{json.dumps(k)}:{json.dumps(v)}"
                                            for k, v in sorted(ml.items())) + "}"
            if ml else "map[string]string(nil)")
    exprs = sel.get("matchExpressions")
    if exprs:
        items = ", ".join(
            "v1.LabelSelectorRequirement{Key:%s, Operator:%s, Values:%s}" % (
                json.dumps(e.get("key", "")), json.dumps(e.get("operator", "")),
                ("[]string{" + ", ".join(json.dumps(v) for v in e["values"]) + "}")
                if e.get("values") else "[]string(nil)")
            for e in exprs)
        ex_s = "[]v1.LabelSelectorRequirement{" + items + "}"
    else:
        ex_s = "[]v1.LabelSelectorRequirement(nil)"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{ml_s}, MatchExpressions:{ex_s}}}")


def _intstr(v) -> GoValue:
    return GoValue(str(v))


# ---- metadata ----------------------------------------------------------------------------

def _meta_update(obj: dict, old: dict) -> list[Cause]:
    """ValidateObjectMetaUpdate: identity fields never change."""
    new_m, old_m = obj.get("metadata") or {}, old.get("metadata") or {}
    causes = []
    for f in ("name", "namespace", "uid", "creationTimestamp"):
        if old_m.get(f) and new_m.get(f) != old_m.get(f):
            causes.append(Cause("Invalid", f"metadata.{f}", FIELD_IMMUTABLE, new_m.get(f)))
    return causes


# ---- pods --------------------------------------------------------------------------------

def _resources(res: Optional[dict], path: str) -> list[Cause]:
    causes: list[Cause] = []
    res = res or {}
    limits, requests = {}, {}
    for kind, out in (("limits", limits), ("requests", requests)):
        for name in sorted(res.get(kind) or {}):
            raw = res[kind][name]
            try:
                q = parse_quantity(raw)
            except ValueError as e:
                causes.append(Cause("Invalid", f"{path}.{kind}[{name}]", str(e), raw))
                continue
            if q < 0:
                causes.append(Cause("Invalid", f"{path}.{kind}[{name}]", NONNEGATIVE,
                                    _qstr(raw, q)))
            out[name] = (raw, q)
    for name in sorted(requests):
        if name in limits and requests[name][1] > limits[name][1]:
            causes.append(Cause(
                "Invalid", f"{path}.requests", "must be less than or equal to %s limit of %s"
                % (name, _qstr(*limits[name])), _qstr(*requests[name])))
    return causes


def _qstr(raw, q) -> str:
    """Quantity.String(): canonical, binary if the quantity was written with a binary suffix."""
    return format_quantity(q, binary=isinstance(raw, str) and raw.rstrip("0123456789").endswith("i"))


def _container_ports(ports: list, path: str) -> list[Cause]:
    causes: list[Cause] = []
    names: list[str] = []
    for i, p in enumerate(ports or []):
        pp = f"{path}[{i}]"
        name = p.get("name") or ""
        if name:
            errs = is_valid_port_name(name)
            causes += [Cause("Invalid", f"{pp}.name", m, name) for m in errs]
            if not errs and name in names:
                causes.append(Cause("Duplicate", f"{pp}.name", "", name))
            names.append(name)
        cp = p.get("containerPort")
        if not cp:
            causes.append(Cause("Required", f"{pp}.containerPort"))
        else:
            causes += [Cause("Invalid", f"{pp}.containerPort", m, cp) for m in is_valid_port_num(cp)]
        hp = p.get("hostPort")
        if hp:
            causes += [Cause("Invalid", f"{pp}.hostPort", m, hp) for m in is_valid_port_num(hp)]
        proto = p.get("protocol") or ""
        if not proto:
            causes.append(Cause("Required", f"{pp}.protocol"))
        elif proto not in ("SCTP", "TCP", "UDP"):
            causes.append(not_supported(f"{pp}.protocol", proto, ["SCTP", "TCP", "UDP"]))
    return causes


def _containers(containers: list, path: str, volumes: set, seen: list[str]) -> list[Cause]:
    causes: list[Cause] = []
    for i, c in enumerate(containers):
        cp = f"{path}[{i}]"
        name = c.get("name") or ""
        if not name:
            causes.append(Cause("Required", f"{cp}.name"))
        else:
            errs = is_dns1123_label(name)
            causes += [Cause("Invalid", f"{cp}.name", m, name) for m in errs]
            if not errs and name in seen:
                causes.append(Cause("Duplicate", f"{cp}.name", "", name))
            seen.append(name)
        if not c.get("image"):
            causes.append(Cause("Required", f"{cp}.image"))
        causes += _container_ports(c.get("ports") or [], f"{cp}.ports")
        for j, vm in enumerate(c.get("volumeMounts") or []):
            vname = vm.get("name") or ""
            if not vname:
                causes.append(Cause("Required", f"{cp}.volumeMounts[{j}].name"))
            elif vname not in volumes:
                causes.append(Cause("NotFound", f"{cp}.volumeMounts[{j}].name", "", vname))
            if not vm.get("mountPath"):
                causes.append(Cause("Required", f"{cp}.volumeMounts[{j}].mountPath"))
        policy = c.get("imagePullPolicy") or ""
        if not policy:
            causes.append(Cause("Required", f"{cp}.imagePullPolicy"))
        elif policy not in ("Always", "IfNotPresent", "Never"):
            causes.append(not_supported(f"{cp}.imagePullPolicy", policy,
                                        ["Always", "IfNotPresent", "Never"]))
        causes += _resources(c.get("resources"), f"{cp}.resources")
    return causes


def validate_pod_spec(spec: Optional[dict], path: str) -> list[Cause]:
    """ValidatePodSpec (the rules listed in the module docstring)."""
    spec = spec or {}
    causes: list[Cause] = []
    vol_names: list[str] = []
    for i, v in enumerate(spec.get("volumes") or []):
        name = v.get("name") or ""
        vp = f"{path}.volumes[{i}].name"
        if not name:
            causes.append(Cause("Required", vp))
            continue
        errs = is_dns1123_label(name)
        causes += [Cause("Invalid", vp, m, name) for m in errs]
        if not errs and name in vol_names:
            causes.append(Cause("Duplicate", vp, "", name))
        vol_names.append(name)
    volumes = set(vol_names)
    seen: list[str] = []
    causes += _containers(spec.get("initContainers") or [], f"{path}.initContainers", volumes, seen)
    containers = spec.get("containers") or []
    if not containers:
        causes.append(Cause("Required", f"{path}.containers"))
    causes += _containers(containers, f"{path}.containers", volumes, seen)
    rp = spec.get("restartPolicy") or ""
    if not rp:
        causes.append(Cause("Required", f"{path}.restartPolicy"))
    elif rp not in ("Always", "OnFailure", "Never"):
        causes.append(not_supported(f"{path}.restartPolicy", rp, ["Always", "OnFailure", "Never"]))
    dp = spec.get("dnsPolicy") or ""
    if not dp:
        causes.append(Cause("Required", f"{path}.dnsPolicy"))
    elif dp not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        causes.append(not_supported(f"{path}.dnsPolicy", dp,
                                    ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]))
    causes += _nonnegative(spec.get("terminationGracePeriodSeconds"),
                           f"{path}.terminationGracePeriodSeconds")
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (not isinstance(ads, int) or ads <= 0):
        causes.append(Cause("Invalid", f"{path}.activeDeadlineSeconds", "must be between 1 and "
                            "2147483647, inclusive", ads))
    for k in sorted(spec.get("nodeSelector") or {}):
        causes += [Cause("Invalid", f"{path}.nodeSelector", m, k) for m in is_qualified_name(k)]
        v = str(spec["nodeSelector"][k])
        causes += [Cause("Invalid", f"{path}.nodeSelector", m, v) for m in is_valid_label_value(v)]
    if spec.get("nodeName"):
        causes += [Cause("Invalid", f"{path}.nodeName", m, spec["nodeName"])
                   for m in is_dns1123_subdomain(spec["nodeName"])]
    return causes


def validate_pod_template(tmpl: Optional[dict], path: str) -> list[Cause]:
    """ValidatePodTemplateSpec: labels, annotations, then the pod spec."""
    if tmpl is None:
        return [Cause("Required", path)]
    meta = tmpl.get("metadata") or {}
    return (validate_labels(meta.get("labels"), f"{path}.metadata.labels")
            + validate_annotations(meta.get("annotations"), f"{path}.metadata.annotations")
            + validate_pod_spec(tmpl.get("spec"), f"{path}.spec"))


def _pod(obj: dict, old: Optional[dict]) -> list[Cause]:
    causes = validate_pod_spec(obj.get("spec"), "spec")
    if old is None:
        return causes
    new_spec = copy.deepcopy(obj.get("spec") or {})
    old_spec = old.get("spec") or {}
    # Blank out what may change, then the rest must be equal.
    for key in ("containers", "initContainers"):
        olds = old_spec.get(key) or []
        for i, c in enumerate(new_spec.get(key) or []):
            if i < len(olds):
                c["image"] = olds[i].get("image")
    old_tol = old_spec.get("tolerations") or []
    if all(t in (new_spec.get("tolerations") or []) for t in old_tol):
        new_spec["tolerations"] = copy.deepcopy(old_spec.get("tolerations"))
        if new_spec["tolerations"] is None:
            new_spec.pop("tolerations")
    for key in ("activeDeadlineSeconds", "terminationGracePeriodSeconds"):
        if key in old_spec:
            new_spec[key] = old_spec[key]
        else:
            new_spec.pop(key, None)
    if new_spec != old_spec:
        causes.append(Cause("Forbidden", "spec", POD_UPDATE_FORBIDDEN))
    return causes


# ---- apps --------------------------------------------------------------------------------

def _selector_and_template(spec: dict, kind_word: str) -> list[Cause]:
    """The selector and ValidatePodTemplateSpecForReplicaSet, shared by Deployment and ReplicaSet."""
    causes: list[Cause] = []
    sel = spec.get("selector")
    if sel is None:
        causes.append(Cause("Required", "spec.selector"))
    else:
        causes += validate_label_selector(sel, "spec.selector")
        if not (sel.get("matchLabels") or {}) and not (sel.get("matchExpressions") or []):
            causes.append(Cause("Invalid", "spec.selector",
                                f"empty selector is invalid for {kind_word}", _go_label_selector(sel)))
    try:
        selector = Selector.from_label_selector(sel)
    except ValueError:
        causes.append(Cause("Invalid", "spec.selector", "invalid label selector",
                            _go_label_selector(sel)))
        return causes
    tmpl = spec.get("template")
    if tmpl is None:
        causes.append(Cause("Required", "spec.template"))
        return causes
    labels = (tmpl.get("metadata") or {}).get("labels") or {}
    if not selector.empty() and not selector.matches(labels):
        causes.append(Cause("Invalid", "spec.template.metadata.labels",
                            "`selector` does not match template `labels`", labels))
    causes += validate_pod_template(tmpl, "spec.template")
    rp = (tmpl.get("spec") or {}).get("restartPolicy")
    if rp and rp != "Always":
        causes.append(not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if (tmpl.get("spec") or {}).get("activeDeadlineSeconds") is not None:
        causes.append(Cause("Invalid", "spec.template.spec.activeDeadlineSeconds",
                            "activeDeadlineSeconds in ReplicaSet is not Supported",
                            tmpl["spec"]["activeDeadlineSeconds"]))
    return causes


def _int_or_percent(v) -> Optional[int]:
    """getIntOrPercentValue: 5 -> 5, "25%" -> 25; None when malformed."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and re.fullmatch(PERCENT_FMT, v):
        return int(v[:-1])
    return None


def _positive_int_or_percent(v, path: str) -> list[Cause]:
    if isinstance(v, str):
        if not re.fullmatch(PERCENT_FMT, v):
            return [Cause("Invalid", path, regex_error(PERCENT_ERR, PERCENT_FMT, "1%", "93%"),
                          _intstr(v))]
        return []
    if isinstance(v, int) and not isinstance(v, bool):
        return _nonnegative(v, path)
    return [Cause("Invalid", path, "must be an integer or percentage (e.g '5%')", v)]


def _strategy(strategy: dict) -> list[Cause]:
    t = strategy.get("type")
    ru = strategy.get("rollingUpdate")
    if t == "Recreate":
        if ru is not None:
            return [Cause("Forbidden", "spec.strategy.rollingUpdate",
                          "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if t == "RollingUpdate":
        if ru is None:
            return [Cause("Required", "spec.strategy.rollingUpdate",
                          "this should be defaulted and never be nil")]
        p = "spec.strategy.rollingUpdate"
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        causes = (_positive_int_or_percent(mu, f"{p}.maxUnavailable")
                  + _positive_int_or_percent(ms, f"{p}.maxSurge"))
        if _int_or_percent(mu) == 0 and _int_or_percent(ms) == 0:
            causes.append(Cause("Invalid", f"{p}.maxUnavailable",
                                "may not be 0 when `maxSurge` is 0", _intstr(mu)))
        if isinstance(mu, str) and (_int_or_percent(mu) or 0) > 100:
            causes.append(Cause("Invalid", f"{p}.maxUnavailable", "must not be greater than 100%",
                                _intstr(mu)))
        return causes
    rendered = GoValue('apps.DeploymentStrategy{Type:%s, RollingUpdate:%s}' % (
        json.dumps(t or ""), "(*apps.RollingUpdateDeployment)(nil)" if ru is None
        else "(*apps.RollingUpdateDeployment)(...)"))
    return [not_supported("spec.strategy", rendered, ["Recreate", "RollingUpdate"])]


def _selector_immutable(obj: dict, old: Optional[dict]) -> list[Cause]:
    if old is None:
        return []
    new_sel = (obj.get("spec") or {}).get("selector")
    old_sel = (old.get("spec") or {}).get("selector")
    if new_sel != old_sel:
        return [Cause("Invalid", "spec.selector", FIELD_IMMUTABLE, _go_label_selector(new_sel))]
    return []


def _deployment(obj: dict, old: Optional[dict]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = _nonnegative(spec.get("replicas", 0), "spec.replicas")
    causes += _selector_and_template(spec, "deployment")
    causes += _strategy(spec.get("strategy") or {})
    causes += _nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    causes += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        causes += _nonnegative(pds, "spec.progressDeadlineSeconds")
        if pds <= spec.get("minReadySeconds", 0):
            causes.append(Cause("Invalid", "spec.progressDeadlineSeconds",
                                "must be greater than minReadySeconds", pds))
    return causes + _selector_immutable(obj, old)


def _replica_set(obj: dict, old: Optional[dict]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = _nonnegative(spec.get("replicas", 0), "spec.replicas")
    causes += _nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds")
    # Upstream ReplicaSet validation really says "deployment" here.
    causes += _selector_and_template(spec, "deployment")
    return causes + _selector_immutable(obj, old)


# ---- services, nodes, namespaces ---------------------------------------------------------

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]   # sets.List: sorted


def _service(obj: dict, old: Optional[dict]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    stype = spec.get("type") or ""
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and not headless and stype != "ExternalName":
        causes.append(Cause("Required", "spec.ports"))
    if stype == "ExternalName" and not spec.get("externalName"):
        causes.append(Cause("Required", "spec.externalName"))
    names: list[str] = []
    for i, p in enumerate(ports):
        pp = f"spec.ports[{i}]"
        name = p.get("name") or ""
        if len(ports) > 1 and not name:
            causes.append(Cause("Required", f"{pp}.name"))
        elif name:
            errs = is_dns1123_label(name)
            causes += [Cause("Invalid", f"{pp}.name", m, name) for m in errs]
            if not errs and name in names:
                causes.append(Cause("Duplicate", f"{pp}.name", "", name))
            names.append(name)
        port = p.get("port")
        causes += [Cause("Invalid", f"{pp}.port", m, port) for m in is_valid_port_num(port)]
        proto = p.get("protocol") or ""
        if not proto:
            causes.append(Cause("Required", f"{pp}.protocol"))
        elif proto not in ("SCTP", "TCP", "UDP"):
            causes.append(not_supported(f"{pp}.protocol", proto, ["SCTP", "TCP", "UDP"]))
        tp = p.get("targetPort")
        if isinstance(tp, int) and not isinstance(tp, bool):
            causes += [Cause("Invalid", f"{pp}.targetPort", m, tp) for m in is_valid_port_num(tp)]
        elif isinstance(tp, str):
            causes += [Cause("Invalid", f"{pp}.targetPort", m, tp) for m in is_valid_port_name(tp)]
    if stype not in SERVICE_TYPES:
        causes.append(not_supported("spec.type", stype, SERVICE_TYPES))
    sa = spec.get("sessionAffinity") or ""
    if sa not in ("ClientIP", "None"):
        causes.append(not_supported("spec.sessionAffinity", sa, ["ClientIP", "None"]))
    causes += validate_labels(spec.get("selector"), "spec.selector")
    return causes


TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def _node(obj: dict, old: Optional[dict]) -> list[Cause]:
    causes: list[Cause] = []
    seen: list[tuple[str, str]] = []
    for i, t in enumerate((obj.get("spec") or {}).get("taints") or []):
        tp = f"spec.taints[{i}]"
        key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
        causes += [Cause("Invalid", f"{tp}.key", m, key) for m in is_qualified_name(key)]
        errs = is_valid_label_value(value)
        if errs:
            causes.append(Cause("Invalid", f"{tp}.value", ";".join(errs), value))
        if not effect:
            causes.append(Cause("Required", f"{tp}.effect"))
        elif effect not in TAINT_EFFECTS:
            causes.append(not_supported(f"{tp}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            causes.append(Cause("Duplicate", tp, "taints must be unique by key and effect pair",
                                t))
        seen.append((key, effect))
    return causes


def _namespace(obj: dict, old: Optional[dict]) -> list[Cause]:
    return []


def is_valid_path_segment_name(name: str) -> list[str]:
    """apimachinery path.IsValidPathSegmentName: RBAC names such as ``system:discovery`` are fine."""
    for bad in (".", ".."):
        if name == bad:
            return [f"may not be '{bad}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


_NAME_VALIDATORS: dict[tuple[str, str], Callable[[str], list[str]]] = {
    ("", "Namespace"): is_dns1123_label,
    ("", "Service"): is_dns1035_label,
    **{("rbac.authorization.k8s.io", kind): is_valid_path_segment_name
       for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
}
_SPEC_VALIDATORS = {
    ("", "Pod"): _pod,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("", "Service"): _service,
    ("", "Node"): _node,
    ("", "Namespace"): _namespace,
}


def validate(info: ResourceInfo, obj: dict, old: Optional[dict] = None) -> list[Cause]:
    """All causes for obj (create when old is None, update otherwise); [] means valid."""
    key = (info.group, info.kind)
    name_validator = _NAME_VALIDATORS.get(key, is_dns1123_subdomain)
    causes = validate_object_meta(obj.get("metadata"), info.namespaced, name_validator)
    if old is not None:
        causes += _meta_update(obj, old)
    fn = _SPEC_VALIDATORS.get(key)
    if fn is not None:
        causes += fn(obj, old)
    return causes
