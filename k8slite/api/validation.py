"""Validation: the field causes of a 422 Invalid, per kind, on create and on update.

Mirrors kubernetes v1.31 pkg/apis/core/validation/validation.go (ValidatePod, ValidatePodSpec,
validateContainers, validateContainerPorts, ValidateResourceRequirements, ValidatePodUpdate,
ValidateService, ValidateNode, ValidateNamespace, ValidatePersistentVolume(Spec|Update|StatusUpdate),
ValidatePersistentVolumeClaim(Spec|Update|StatusUpdate)), pkg/apis/apps/validation/validation.go
(ValidateDeployment, ValidateReplicaSet, ValidatePodTemplateSpecForReplicaSet,
ValidateRollingUpdateDeployment), pkg/apis/batch/validation/validation.go (ValidateJob,
validateGeneratedSelector, validateJobSpec with the pod failure and success policies,
ValidateJobUpdate, ValidateJobUpdateStatus, ValidateCronJobCreate/Update, validateScheduleFormat,
validateTimeZone, ValidateJobTemplateSpec), pkg/apis/storage/validation/validation.go
(ValidateStorageClass, ValidateStorageClassUpdate) and
apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMetaUpdate). Which rules run for
an update of the main resource or of ``/status`` follows the registry strategies
(pkg/registry/batch/job/strategy.go, pkg/registry/core/persistentvolume(claim)/strategy.go).

Simplified: only the rules named in the checks below run (no probes, security contexts,
affinity, DNS config, volume sources, topology spread, host ports conflicts, node
resources, service IPs/node ports; for a PersistentVolume only the presence of one volume
source, a hostPath/local path and a local volume's node affinity; no PVC data sources, no
StorageClass allowedTopologies, no successPolicy succeededIndexes format); the pod-update,
PV-source and PVC-spec Forbidden messages leave out the ``cmp.Diff`` that upstream appends
after a newline; a LabelSelector or DeploymentStrategy bad value is printed as Go's ``%#v``
would for the common shapes, while a pod template (``spec.template: ...: field is
immutable``) and a ResourceList print abbreviated and policies as JSON.
"""
from __future__ import annotations

import copy
import json
import math
import posixpath
import re
from typing import Callable, Optional

from .cron import CronError, load_location, parse_standard
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


# ---- batch: Job and CronJob (pkg/apis/batch/validation/validation.go) --------------------

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
MAX_INT32 = 2147483647
MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000
MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000
COMPLETIONS_SOFT_LIMIT = 100_000
PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_POD_FAILURE_POLICY_RULES = 20
MAX_ON_EXIT_CODES_VALUES = 255
MAX_ON_POD_CONDITIONS_PATTERNS = 20
MAX_SUCCESS_POLICY_RULES = 20
CRONJOB_NAME_MAX = 52                       # 63 less the controller's "-<minutes>" suffix
# sets.List order (sorted), as the NotSupported messages print them
POD_FAILURE_POLICY_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"]
ON_EXIT_CODES_OPERATORS = ["In", "NotIn"]
CONDITION_STATUSES = ["False", "True", "Unknown"]
POD_REPLACEMENT_POLICIES = ["Failed", "TerminatingOrFailed"]
CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"]       # listed, not sorted, upstream
_TIME_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _omit(path: str, detail: str) -> Cause:
    """field.Invalid with field.OmitValueType{}: the body is "Invalid value: <detail>"."""
    return Cause("Invalid", path, "", GoValue(detail))


def _too_many(path: str, actual: int, most: int) -> Cause:
    return Cause("TooMany", path, f"must have at most {most} item{'' if most == 1 else 's'}", actual)


def _go_int32s(values: Optional[list]) -> GoValue:
    """%#v of a []int32."""
    if values is None:
        return GoValue("[]int32(nil)")
    return GoValue("[]int32{" + ", ".join(str(v) for v in values) + "}")


def _has_label(meta: dict, path: str, key: str, expected: str) -> list[Cause]:
    """apivalidation.ValidateHasLabel."""
    labels = meta.get("labels") or {}
    if key not in labels:
        return [Cause("Required", f"{path}.labels[{key}]", f"must be '{expected}'")]
    if labels[key] != expected:
        return [Cause("Invalid", f"{path}.labels[{key}]", f"must be '{expected}'", labels)]
    return []


def _generated_selector(job: dict, require_prefixed: bool) -> list[Cause]:
    """validateGeneratedSelector: the selector and template labels the registry generated are
    still there and still name this Job."""
    spec = job.get("spec") or {}
    if spec.get("manualSelector") or spec.get("selector") is None:
        return []
    meta = job.get("metadata") or {}
    uid, name = meta.get("uid") or "", meta.get("name") or ""
    causes: list[Cause] = []
    if not uid:
        causes.append(Cause("Required", "metadata.uid"))
    tmeta = (spec.get("template") or {}).get("metadata") or {}
    path = "spec.template.metadata"
    causes += _has_label(tmeta, path, LEGACY_CONTROLLER_UID_LABEL, uid)
    causes += _has_label(tmeta, path, LEGACY_JOB_NAME_LABEL, name)
    expected = {}
    if require_prefixed:
        causes += _has_label(tmeta, path, CONTROLLER_UID_LABEL, uid)
        causes += _has_label(tmeta, path, JOB_NAME_LABEL, name)
        expected = {CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name}
    expected.update({LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name})
    try:
        selector = Selector.from_label_selector(spec["selector"])
    except ValueError:
        return causes
    if not selector.matches(expected):
        causes.append(Cause("Invalid", "spec.selector", "`selector` not auto-generated",
                            _go_label_selector(spec["selector"])))
    return causes


def _pod_failure_policy(spec: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    rules_path = f"{path}.rules"
    if len(rules) > MAX_POD_FAILURE_POLICY_RULES:
        causes.append(_too_many(rules_path, len(rules), MAX_POD_FAILURE_POLICY_RULES))
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    containers = {c.get("name") for key in ("containers", "initContainers") for c in pod_spec.get(key) or []}
    for i, rule in enumerate(rules):
        rp = f"{rules_path}[{i}]"
        action = rule.get("action") or ""
        if not action:
            causes.append(Cause("Required", f"{rp}.action", "valid values: ["
                                + " ".join(json.dumps(a) for a in POD_FAILURE_POLICY_ACTIONS) + "]"))
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                causes.append(Cause("Invalid", f"{rp}.action", "requires the backoffLimitPerIndex to be set",
                                    action))
        elif action not in POD_FAILURE_POLICY_ACTIONS:
            causes.append(not_supported(f"{rp}.action", action, POD_FAILURE_POLICY_ACTIONS))
        exit_codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions") or []
        if exit_codes is not None:
            causes += _on_exit_codes(exit_codes, f"{rp}.onExitCodes", containers)
        if conditions:
            cp = f"{rp}.onPodConditions"
            if len(conditions) > MAX_ON_POD_CONDITIONS_PATTERNS:
                causes.append(_too_many(cp, len(conditions), MAX_ON_POD_CONDITIONS_PATTERNS))
            for j, pattern in enumerate(conditions):
                ctype = pattern.get("type") or ""
                causes += [Cause("Invalid", f"{cp}[{j}].type", m, ctype) for m in is_qualified_name(ctype)]
                status = pattern.get("status") or ""
                if not status:
                    causes.append(Cause("Required", f"{cp}[{j}].status", "valid values: ["
                                        + " ".join(json.dumps(s) for s in CONDITION_STATUSES) + "]"))
                elif status not in CONDITION_STATUSES:
                    causes.append(not_supported(f"{cp}[{j}].status", status, CONDITION_STATUSES))
        if exit_codes is not None and conditions:
            causes.append(_omit(rp, "specifying both OnExitCodes and OnPodConditions is not supported"))
        if exit_codes is None and not conditions:
            causes.append(_omit(rp, "specifying one of OnExitCodes and OnPodConditions is required"))
    return causes


def _on_exit_codes(req: dict, path: str, containers: set) -> list[Cause]:
    causes: list[Cause] = []
    op = req.get("operator") or ""
    if not op:
        causes.append(Cause("Required", f"{path}.operator", "valid values: ["
                            + " ".join(json.dumps(o) for o in ON_EXIT_CODES_OPERATORS) + "]"))
    elif op not in ON_EXIT_CODES_OPERATORS:
        causes.append(not_supported(f"{path}.operator", op, ON_EXIT_CODES_OPERATORS))
    if req.get("containerName") is not None and req["containerName"] not in containers:
        causes.append(Cause("Invalid", f"{path}.containerName", "must be one of the container or "
                            "initContainer names in the pod template", req["containerName"]))
    values = req.get("values")
    vp = f"{path}.values"
    if not values:
        causes.append(Cause("Invalid", vp, "at least one value is required", _go_int32s(values)))
    elif len(values) > MAX_ON_EXIT_CODES_VALUES:
        causes.append(_too_many(vp, len(values), MAX_ON_EXIT_CODES_VALUES))
    seen: list = []
    for j, v in enumerate(values or []):
        if op == "In" and v == 0:
            causes.append(Cause("Invalid", f"{vp}[{j}]", "must not be 0 for the In operator", v))
        if v in seen:
            causes.append(Cause("Duplicate", f"{vp}[{j}]", "", v))
        else:
            seen.append(v)
    if any(values[j - 1] > values[j] for j in range(1, len(values or []))):
        causes.append(Cause("Invalid", vp, "must be ordered", _go_int32s(values)))
    return causes


def _success_policy(spec: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    rules = (spec.get("successPolicy") or {}).get("rules") or []
    rules_path = f"{path}.rules"
    if not rules:
        causes.append(Cause("Required", rules_path,
                            "at least one rules must be specified when the successPolicy is specified"))
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        causes.append(_too_many(rules_path, len(rules), MAX_SUCCESS_POLICY_RULES))
    completions = spec.get("completions")
    for i, rule in enumerate(rules):
        rp = f"{rules_path}[{i}]"
        count = rule.get("succeededCount")
        if count is None and rule.get("succeededIndexes") is None:
            causes.append(Cause("Required", rp, "at least one of succeededCount or succeededIndexes must be "
                                                "specified"))
        if count is not None:
            causes += _nonnegative(count, f"{rp}.succeededCount")
            if _int(completions) and count > completions:
                causes.append(Cause("Invalid", f"{rp}.succeededCount", f"must be less than or equal to "
                                    f"{completions} (the number of specified completions)", count))
    return causes


def _job_spec_fields(spec: dict, path: str) -> list[Cause]:
    """validateJobSpec: the counters, the completion mode, the failure and success policies, the
    pod template and its restart policy."""
    causes: list[Cause] = []
    for f in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
              "backoffLimitPerIndex"):
        causes += _nonnegative(spec.get(f), f"{path}.{f}")
    parallelism, completions = spec.get("parallelism"), spec.get("completions")
    per_index, max_failed = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    if max_failed is not None:
        causes += _nonnegative(max_failed, f"{path}.maxFailedIndexes")
        if per_index is None:
            causes.append(Cause("Required", f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            causes.append(not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
        if mode == "Indexed":
            if completions is None:
                causes.append(Cause("Required", f"{path}.completions", "when completion mode is Indexed"))
            if _int(parallelism) and parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB:
                causes.append(Cause("Invalid", f"{path}.parallelism", "must be less than or equal to "
                                    f"{MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed", parallelism))
            if _int(completions) and _int(max_failed) and max_failed > completions:
                causes.append(Cause("Invalid", f"{path}.maxFailedIndexes", "must be less than or equal to "
                                    "completions", max_failed))
            if _int(max_failed) and max_failed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB:
                causes.append(Cause("Invalid", f"{path}.maxFailedIndexes", "must be less than or equal to "
                                    f"{MAX_FAILED_INDEXES_FOR_INDEXED_JOB}", max_failed))
            if _int(completions) and completions > COMPLETIONS_SOFT_LIMIT and per_index is not None:
                high = f"when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
                if max_failed is None:
                    causes.append(Cause("Required", f"{path}.maxFailedIndexes",
                                        f"must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"))
                if _int(parallelism) and parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS:
                    causes.append(Cause("Invalid", f"{path}.parallelism", "must be less than or equal to "
                                        f"{PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} {high}", parallelism))
                if _int(max_failed) and max_failed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS:
                    causes.append(Cause("Invalid", f"{path}.maxFailedIndexes", "must be less than or equal to "
                                        f"{MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} {high}", max_failed))
    if mode in (None, "NonIndexed"):
        if per_index is not None:
            causes.append(Cause("Invalid", f"{path}.backoffLimitPerIndex", "requires indexed completion mode",
                                per_index))
        if max_failed is not None:
            causes.append(Cause("Invalid", f"{path}.maxFailedIndexes", "requires indexed completion mode",
                                max_failed))
    if spec.get("podFailurePolicy") is not None:
        causes += _pod_failure_policy(spec, f"{path}.podFailurePolicy")
    if spec.get("successPolicy") is not None:
        if mode != "Indexed":
            causes.append(Cause("Invalid", f"{path}.successPolicy", "requires indexed completion mode",
                                spec["successPolicy"]))
        else:
            causes += _success_policy(spec, f"{path}.successPolicy")
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        if spec.get("podFailurePolicy") is not None:
            if replacement != "Failed":
                causes.append(not_supported(f"{path}.podReplacementPolicy", replacement, ["Failed"]))
        elif replacement not in POD_REPLACEMENT_POLICIES:
            causes.append(not_supported(f"{path}.podReplacementPolicy", replacement, POD_REPLACEMENT_POLICIES))
    tmpl = spec.get("template") or {}
    causes += validate_pod_template(tmpl, f"{path}.template")
    # The pod defaults turn an unset restartPolicy into Always, so both mean "not set".
    rp = (tmpl.get("spec") or {}).get("restartPolicy") or ""
    rp_path = f"{path}.template.spec.restartPolicy"
    if rp in ("Always", ""):
        causes.append(Cause("Required", rp_path, 'valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        causes.append(not_supported(rp_path, rp, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and rp != "Never":
        causes.append(Cause("Invalid", rp_path, 'only "Never" is supported when podFailurePolicy is specified', rp))
    return causes


def validate_job_spec(spec: dict, path: str = "spec") -> list[Cause]:
    """ValidateJobSpec: validateJobSpec, then a selector that is given and selects the template."""
    causes = _job_spec_fields(spec, path)
    sel = spec.get("selector")
    if sel is None:
        causes.append(Cause("Required", f"{path}.selector"))
    else:
        causes += validate_label_selector(sel, f"{path}.selector")
    try:
        selector = Selector.from_label_selector(sel)
    except ValueError:
        return causes
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector.matches(labels):
        causes.append(Cause("Invalid", f"{path}.template.metadata.labels",
                            "`selector` does not match template `labels`", labels))
    return causes


def _validate_job(job: dict, require_prefixed: bool) -> list[Cause]:
    """ValidateJob without its ObjectMeta part (``validate`` does that for every kind)."""
    spec = job.get("spec") or {}
    causes = _generated_selector(job, require_prefixed) + validate_job_spec(spec)
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and _int(completions) and completions > 0:
        name = (job.get("metadata") or {}).get("name") or ""
        hostname = f"{name}-{completions - 1}"
        if is_dns1123_label(hostname):
            causes.append(Cause("Invalid", "metadata.name", "will not able to create pod with invalid DNS label: "
                                + hostname, name))
    return causes


def _go_pod_template(_tmpl) -> GoValue:
    return GoValue("core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{...}, Spec:core.PodSpec{...}}")


def _job_template_update(spec: dict, old_spec: dict, mutable_scheduling: bool) -> list[Cause]:
    """validatePodTemplateUpdate: the template is immutable, except that a suspended Job that
    never started may change where its pods go (node affinity, node selector, tolerations,
    scheduling gates) and its template labels and annotations."""
    tmpl, old = spec.get("template") or {}, copy.deepcopy(old_spec.get("template") or {})
    if mutable_scheduling:
        new_pod, old_pod = tmpl.get("spec") or {}, old.setdefault("spec", {})
        new_aff, old_aff = new_pod.get("affinity"), old_pod.get("affinity")
        if new_aff is None and old_aff is not None:
            old_aff.pop("nodeAffinity", None)
            if not old_aff:
                old_pod.pop("affinity")
        elif new_aff is not None:
            merged = dict(old_aff or {})
            if "nodeAffinity" in new_aff:
                merged["nodeAffinity"] = new_aff["nodeAffinity"]
            else:
                merged.pop("nodeAffinity", None)
            old_pod["affinity"] = merged
        for key in ("nodeSelector", "tolerations", "schedulingGates"):
            if key in new_pod:
                old_pod[key] = new_pod[key]
            else:
                old_pod.pop(key, None)
        new_meta, old_meta = tmpl.get("metadata") or {}, old.setdefault("metadata", {})
        for key in ("annotations", "labels"):
            if key in new_meta:
                old_meta[key] = new_meta[key]
            else:
                old_meta.pop(key, None)
    if tmpl != old:
        return [Cause("Invalid", "spec.template", FIELD_IMMUTABLE, _go_pod_template(tmpl))]
    return []


def _job(obj: dict, old: Optional[dict]) -> list[Cause]:
    if old is None:
        return _validate_job(obj, True)
    spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
    old_labels = ((old_spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    # Jobs from before the prefixed labels keep validating without them.
    require_prefixed = CONTROLLER_UID_LABEL in old_labels and JOB_NAME_LABEL in old_labels
    mutable_scheduling = bool(old_spec.get("suspend")) and not (old.get("status") or {}).get("startTime")
    # ValidateUpdate is ValidateJob then ValidateJobUpdate, which validates the spec a second time:
    # an invalid spec lists its causes twice, as upstream does (the message shows each once).
    causes = _validate_job(obj, require_prefixed) + validate_job_spec(spec)
    completions, old_completions = spec.get("completions"), old_spec.get("completions")
    if spec.get("completionMode") == "Indexed":            # ElasticIndexedJob (GA in v1.31)
        if completions != old_completions and completions is not None and completions != spec.get("parallelism"):
            causes.append(Cause("Invalid", "spec.completions",
                                "can only be modified in tandem with spec.parallelism", completions))
    elif completions != old_completions:
        causes.append(Cause("Invalid", "spec.completions", FIELD_IMMUTABLE, completions))
    if spec.get("selector") != old_spec.get("selector"):
        causes.append(Cause("Invalid", "spec.selector", FIELD_IMMUTABLE, _go_label_selector(spec.get("selector"))))
    causes += _job_template_update(spec, old_spec, mutable_scheduling)
    for f in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
        if spec.get(f) != old_spec.get(f):
            causes.append(Cause("Invalid", f"spec.{f}", FIELD_IMMUTABLE, spec.get(f)))
    return causes


def _job_status(obj: dict, old: dict) -> list[Cause]:
    """ValidateJobUpdateStatus: only the counters (the stricter status rules need JobManagedBy,
    off in v1.31)."""
    status = obj.get("status") or {}
    causes: list[Cause] = []
    for f in ("active", "succeeded", "failed", "ready", "terminating"):
        causes += _nonnegative(status.get(f), f"status.{f}")
    return causes


def validate_schedule(schedule: str, allow_tz: bool, time_zone: Optional[str], path: str) -> list[Cause]:
    """validateScheduleFormat: robfig/cron must parse it, and the zone belongs in spec.timeZone."""
    causes: list[Cause] = []
    try:
        parse_standard(schedule)
    except CronError as error:
        causes.append(Cause("Invalid", path, str(error), schedule))
    if allow_tz and "TZ" in schedule and time_zone is not None:
        causes.append(Cause("Invalid", path, "cannot use both timeZone field and TZ or CRON_TZ in schedule",
                            schedule))
    elif not allow_tz and "TZ" in schedule:
        causes.append(Cause("Invalid", path, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                            schedule))
    return causes


def validate_time_zone(tz: Optional[str], path: str) -> list[Cause]:
    """validateTimeZone: an IANA name Go's time.LoadLocation finds, never "Local"."""
    if tz is None:
        return []
    if tz == "":
        return [Cause("Invalid", path, "timeZone must be nil or non-empty string", tz)]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.match(part):
            return [Cause("Invalid", path, f"unknown time zone {tz}", tz)]
    causes: list[Cause] = []
    if tz.lower() == "local":
        causes.append(Cause("Invalid", path, "timeZone must be an explicit time zone as defined in "
                                             "https://www.iana.org/time-zones", tz))
    try:
        load_location(tz)
    except CronError as error:
        causes.append(Cause("Invalid", path, str(error), tz))
    return causes


def validate_job_template_spec(jt: dict, path: str) -> list[Cause]:
    """ValidateJobTemplateSpec: a Job spec whose selector the Job's registry will generate."""
    spec = jt.get("spec") or {}
    causes = _job_spec_fields(spec, f"{path}.spec")
    if spec.get("selector") is not None:
        causes.append(Cause("Invalid", f"{path}.spec.selector", "`selector` will be auto-generated",
                            _go_label_selector(spec["selector"])))
    if spec.get("manualSelector"):
        causes.append(not_supported(f"{path}.spec.manualSelector", spec["manualSelector"], ["nil", "false"]))
    return causes


def _cron_job(obj: dict, old: Optional[dict]) -> list[Cause]:
    """ValidateCronJobCreate / ValidateCronJobUpdate (validateCronJobSpec with the old spec)."""
    spec = obj.get("spec") or {}
    old_spec = (old.get("spec") or {}) if old is not None else None
    causes: list[Cause] = []
    schedule = spec.get("schedule") or ""
    if not schedule:
        causes.append(Cause("Required", "spec.schedule"))
    else:
        allow_tz = old_spec is not None and "TZ" in (old_spec.get("schedule") or "")
        causes += validate_schedule(schedule, allow_tz, spec.get("timeZone"), "spec.schedule")
    causes += _nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        causes += validate_time_zone(spec.get("timeZone"), "spec.timeZone")
    policy = spec.get("concurrencyPolicy") or ""
    if not policy:
        causes.append(Cause("Required", "spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        causes.append(not_supported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    causes += validate_job_template_spec(spec.get("jobTemplate") or {}, "spec.jobTemplate")
    causes += _nonnegative(spec.get("successfulJobsHistoryLimit"), "spec.successfulJobsHistoryLimit")
    causes += _nonnegative(spec.get("failedJobsHistoryLimit"), "spec.failedJobsHistoryLimit")
    name = (obj.get("metadata") or {}).get("name") or ""
    if old is None and len(name) > CRONJOB_NAME_MAX:
        causes.append(Cause("Invalid", "metadata.name", f"must be no more than {CRONJOB_NAME_MAX} characters", name))
    return causes


# ---- storage: PersistentVolume, PersistentVolumeClaim (core), StorageClass (storage) ------

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
PV_RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
# PersistentVolumeSource's fields in struct order, each with the name its Forbidden error uses.
PV_SOURCES = [("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"),
              ("awsElasticBlockStore", "awsElasticBlockStore"), ("glusterfs", "glusterfs"),
              ("flocker", "flocker"), ("nfs", "nfs"), ("rbd", "rbd"), ("quobyte", "quobyte"),
              ("cephfs", "cephFS"), ("iscsi", "iscsi"), ("cinder", "cinder"), ("fc", "fc"),
              ("flexVolume", None), ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"),
              ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"),
              ("azureDisk", "azureDisk"), ("scaleIO", "scaleIO"), ("local", "local"), ("storageos", "storageos"),
              ("csi", "csi")]
SC_RECLAIM_POLICIES = ["Delete", "Retain"]
VOLUME_BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
PVC_SPEC_FORBIDDEN = ("spec is immutable after creation except resources.requests and volumeAttributesClassName "
                      "for bound claims")


def _go_resource_list(resources: Optional[dict]) -> GoValue:
    """%#v of a core.ResourceList, abbreviating each resource.Quantity to its string."""
    if resources is None:
        return GoValue("core.ResourceList(nil)")
    return GoValue("core.ResourceList{" + ", ".join(f'{json.dumps(k)}:resource.Quantity{{s:{json.dumps(str(v))}}}'
                                                    for k, v in sorted(resources.items())) + "}")


def _positive_quantity(raw, path: str, basic: bool = False) -> list[Cause]:
    """ValidatePositiveQuantityValue, after validateBasicResource when ``basic`` (a PV's capacity).
    Simplified: a quantity that does not parse is a cause here (upstream the decoder refuses it)."""
    try:
        q = parse_quantity(raw)
    except (ValueError, TypeError) as e:
        return [Cause("Invalid", path, str(e), raw)]
    causes = []
    if basic and math.ceil(q) < 0:
        causes.append(Cause("Invalid", path, "must be a valid resource quantity", math.ceil(q)))
    if q <= 0:
        causes.append(Cause("Invalid", path, "must be greater than zero", _qstr(raw, q)))
    return causes


def _access_modes(modes: list, path: str) -> list[Cause]:
    causes = [not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and any(m in ACCESS_MODES and m != "ReadWriteOncePod" for m in modes):
        causes.append(Cause("Forbidden", path, "may not use ReadWriteOncePod with other access modes"))
    return causes


def _class_name(name: Optional[str], path: str) -> list[Cause]:
    return [Cause("Invalid", path, m, name) for m in is_dns1123_subdomain(name)] if name else []


def validate_persistent_volume_spec(spec: dict, path: str = "spec") -> list[Cause]:
    """ValidatePersistentVolumeSpec for a PersistentVolume object (not an inline volume)."""
    causes: list[Cause] = []
    modes = spec.get("accessModes") or []
    if not modes:
        causes.append(Cause("Required", f"{path}.accessModes"))
    causes += _access_modes(modes, f"{path}.accessModes")
    capacity = spec.get("capacity")
    if not capacity:
        causes.append(Cause("Required", f"{path}.capacity"))
    if "storage" not in (capacity or {}) or len(capacity) > 1:
        causes.append(not_supported(f"{path}.capacity", _go_resource_list(capacity), ["storage"]))
    for r in sorted(capacity or {}):
        causes += _positive_quantity(capacity[r], f"{path}.capacity[{r}]", basic=True)
    policy = spec.get("persistentVolumeReclaimPolicy") or ""
    if policy and policy not in PV_RECLAIM_POLICIES:
        causes.append(not_supported(f"{path}.persistentVolumeReclaimPolicy", policy, PV_RECLAIM_POLICIES))
    affinity_required = bool(((spec.get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms"))
    count = 0
    for key, name in PV_SOURCES:
        if spec.get(key) is None:
            continue
        if count and name is not None:
            causes.append(Cause("Forbidden", f"{path}.{name}", "may not specify more than 1 volume type"))
            continue
        count += 1
        if key == "hostPath" and not (spec[key] or {}).get("path"):
            causes.append(Cause("Required", f"{path}.hostPath.path"))
        if key == "local":
            if not (spec[key] or {}).get("path"):
                causes.append(Cause("Required", f"{path}.local.path"))
            if not affinity_required:
                causes.append(Cause("Required", f"{path}.nodeAffinity", "Local volume requires node affinity"))
    if count == 0:
        causes.append(Cause("Required", path, "must specify a volume type"))
    if policy == "Recycle" and spec.get("hostPath") is not None and \
            posixpath.normpath((spec["hostPath"] or {}).get("path") or ".") == "/":
        causes.append(Cause("Forbidden", f"{path}.persistentVolumeReclaimPolicy",
                            "may not be 'recycle' for a hostPath mount of '/'"))
    causes += _class_name(spec.get("storageClassName"), f"{path}.storageClassName")
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        causes.append(not_supported(f"{path}.volumeMode", mode, VOLUME_MODES))
    return causes


def _persistent_volume(obj: dict, old: Optional[dict]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = validate_persistent_volume_spec(spec)
    if old is None:
        return causes
    old_spec = old.get("spec") or {}
    sources = [k for k, _ in PV_SOURCES]
    new_src = {k: spec[k] for k in sources if k in spec}
    old_src = {k: old_spec[k] for k in sources if k in old_spec}
    csi, old_csi = new_src.get("csi"), old_src.get("csi")
    if csi is not None and old_csi is not None and old_csi.get("controllerExpandSecretRef") is None:
        new_src["csi"] = {k: v for k, v in csi.items() if k != "controllerExpandSecretRef"}
    if new_src != old_src:
        causes.append(Cause("Forbidden", "spec.persistentvolumesource",
                            "spec.persistentvolumesource is immutable after creation"))
    if spec.get("volumeMode") != old_spec.get("volumeMode"):
        causes.append(Cause("Invalid", "volumeMode", FIELD_IMMUTABLE, spec.get("volumeMode")))
    return causes


def _resource_version_required(obj: dict) -> list[Cause]:
    return [] if (obj.get("metadata") or {}).get("resourceVersion") else [Cause("Required", "resourceVersion")]


def _persistent_volume_status(obj: dict, old: dict) -> list[Cause]:
    """ValidatePersistentVolumeStatusUpdate."""
    return _resource_version_required(obj)


def validate_persistent_volume_claim_spec(spec: dict, path: str = "spec") -> list[Cause]:
    """ValidatePersistentVolumeClaimSpec (no data sources or volume attributes classes)."""
    causes: list[Cause] = []
    modes = spec.get("accessModes") or []
    if not modes:
        causes.append(Cause("Required", f"{path}.accessModes", "at least 1 access mode is required"))
    if spec.get("selector") is not None:
        causes += validate_label_selector(spec["selector"], f"{path}.selector")
    causes += _access_modes(modes, f"{path}.accessModes")
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        causes.append(Cause("Required", f"{path}.resources[storage]"))
    else:
        causes += _positive_quantity(requests["storage"], f"{path}.resources[storage]")
    causes += _class_name(spec.get("storageClassName"), f"{path}.storageClassName")
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        causes.append(not_supported(f"{path}.volumeMode", mode, VOLUME_MODES))
    return causes


def _storage_request(spec: dict):
    raw = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    try:
        return parse_quantity(raw) if raw is not None else 0
    except (ValueError, TypeError):
        return 0


def _persistent_volume_claim(obj: dict, old: Optional[dict]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = validate_persistent_volume_claim_spec(spec)
    if old is None:
        return causes
    old_spec = old.get("spec") or {}
    new_c, old_c = copy.deepcopy(spec), copy.deepcopy(old_spec)
    if not old_spec.get("volumeName"):                      # the binder sets volumeName once
        if "volumeName" in new_c:
            old_c["volumeName"] = new_c["volumeName"]
        else:
            old_c.pop("volumeName", None)
    beta = "volume.beta.kubernetes.io/storage-class"
    old_ann = (old.get("metadata") or {}).get("annotations") or {}
    new_ann = (obj.get("metadata") or {}).get("annotations") or {}
    new_class, old_class = spec.get("storageClassName"), old_spec.get("storageClassName")
    if beta in old_ann and old_class is None and new_class == old_ann[beta] and new_ann.get(beta, old_ann[beta]) == \
            old_ann[beta]:
        new_c.pop("storageClassName", None)                  # the annotation becomes the field
    else:
        if new_ann.get(beta, "") != old_ann.get(beta, ""):
            causes.append(Cause("Invalid", f"metadata.annotations.{beta}", FIELD_IMMUTABLE, new_ann.get(beta, "")))
        if beta not in old_ann and old_class is None and new_class:
            old_c["storageClassName"] = new_class            # a default class set afterwards (retroactively)
    if (obj.get("status") or {}).get("phase") == "Bound" and (new_c.get("resources") or {}).get("requests") is not None:
        old_storage = ((old_spec.get("resources") or {}).get("requests") or {}).get("storage")
        new_c["resources"]["requests"].pop("storage", None)        # a bound claim may grow
        if old_storage is not None:
            new_c["resources"]["requests"]["storage"] = old_storage
    for c in (new_c, old_c):
        c.pop("volumeAttributesClassName", None)
    if new_c != old_c:
        causes.append(Cause("Forbidden", "spec", PVC_SPEC_FORBIDDEN))
    if _storage_request(spec) < _storage_request(old_spec):
        causes.append(Cause("Forbidden", "spec.resources.requests.storage", "field can not be less than previous "
                                                                          "value"))
    if spec.get("volumeMode") != old_spec.get("volumeMode"):
        causes.append(Cause("Invalid", "volumeMode", FIELD_IMMUTABLE, spec.get("volumeMode")))
    return causes


def _persistent_volume_claim_status(obj: dict, old: dict) -> list[Cause]:
    """ValidatePersistentVolumeClaimStatusUpdate (resourceVersion, access modes, capacities)."""
    causes = _resource_version_required(obj)
    if not (obj.get("spec") or {}).get("accessModes"):
        causes.append(Cause("Required", "Spec.accessModes"))
    capacity = (obj.get("status") or {}).get("capacity") or {}
    for r in sorted(capacity):
        try:
            q = parse_quantity(capacity[r])
        except (ValueError, TypeError) as e:
            causes.append(Cause("Invalid", f"status.capacity[{r}]", str(e), capacity[r]))
            continue
        if q < 0:
            causes.append(Cause("Invalid", f"status.capacity[{r}]", "must be a valid resource quantity", int(q)))
    return causes


def _storage_class(obj: dict, old: Optional[dict]) -> list[Cause]:
    """ValidateStorageClass (no allowedTopologies), and ValidateStorageClassUpdate."""
    causes: list[Cause] = []
    provisioner = obj.get("provisioner") or ""
    if not provisioner:
        causes.append(Cause("Required", "provisioner"))
    else:
        lower = provisioner.lower()
        causes += [Cause("Invalid", "provisioner", m, lower) for m in is_qualified_name(lower)]
    params = obj.get("parameters") or {}
    if len(params) > 512:
        causes.append(Cause("TooLong", "parameters", "may not be more than 512 bytes"))
    else:
        if "" in params:
            causes.append(Cause("Invalid", "parameters", "field can not be empty.", ""))
        if sum(len(k) + len(str(v)) for k, v in params.items()) > 256 * 1024:
            causes.append(Cause("TooLong", "parameters", f"may not be more than {256 * 1024} bytes"))
    policy = obj.get("reclaimPolicy") or ""
    if policy and policy not in SC_RECLAIM_POLICIES:
        causes.append(not_supported("reclaimPolicy", policy, SC_RECLAIM_POLICIES))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        causes.append(Cause("Required", "volumeBindingMode"))
    elif mode not in VOLUME_BINDING_MODES:
        causes.append(not_supported("volumeBindingMode", mode, VOLUME_BINDING_MODES))
    if old is None:
        return causes
    if (obj.get("parameters") or None) != (old.get("parameters") or None):
        causes.append(Cause("Forbidden", "parameters", "updates to parameters are forbidden."))
    if obj.get("provisioner") != old.get("provisioner"):
        causes.append(Cause("Forbidden", "provisioner", "updates to provisioner are forbidden."))
    if obj.get("reclaimPolicy") != old.get("reclaimPolicy"):
        causes.append(Cause("Forbidden", "reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    if mode != old.get("volumeBindingMode"):
        causes.append(Cause("Invalid", "volumeBindingMode", FIELD_IMMUTABLE, mode))
    return causes


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
    ("", "PersistentVolume"): _persistent_volume,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("storage.k8s.io", "StorageClass"): _storage_class,
}
# The status strategies' ValidateUpdate, where it differs from the main resource's.
_STATUS_VALIDATORS = {
    ("", "PersistentVolume"): _persistent_volume_status,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim_status,
    ("batch", "Job"): _job_status,
    ("batch", "CronJob"): lambda obj, old: [],
}


def validate(info: ResourceInfo, obj: dict, old: Optional[dict] = None, subresource: str = "") -> list[Cause]:
    """All causes for obj (create when old is None, update otherwise, of ``/status`` when
    subresource says so); [] means valid."""
    key = (info.group, info.kind)
    name_validator = _NAME_VALIDATORS.get(key, is_dns1123_subdomain)
    causes = validate_object_meta(obj.get("metadata"), info.namespaced, name_validator)
    if old is not None:
        causes += _meta_update(obj, old)
    fn = _SPEC_VALIDATORS.get(key)
    if subresource == "status" and old is not None and key in _STATUS_VALIDATORS:
        fn = _STATUS_VALIDATORS[key]
    if fn is not None:
        causes += fn(obj, old)
    return causes
