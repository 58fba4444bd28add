"""Admission: the plugins that mutate, then validate, an object before it is stored.

Mirrors kubernetes v1.31 ``pkg/kubeapiserver/options/plugins.go`` (``AllOrderedPlugins``:
the order below, and which plugins are on by default) and the plugins themselves:
``plugin/pkg/admission/namespace/lifecycle`` (NamespaceLifecycle: no new objects in a
namespace that does not exist or is terminating; the system namespaces cannot be
deleted), ``limitranger`` (LimitRanger: default requests and limits from LimitRange
objects, then min, max and limit/request ratio), ``serviceaccount`` (ServiceAccount: a
pod runs as ``default`` unless it names another, which must exist), ``noderestriction``
(NodeRestriction: a kubelet may only touch its own Node, lease and the pods bound to
it), ``staging/src/k8s.io/pod-security-admission/admission`` (PodSecurity: the baseline and
restricted Pod Security Standards chosen by namespace labels, in enforce, audit and
warn modes; the checks themselves are in ``podsecurity.py``), ``priority`` (Priority: resolve priorityClassName),
``defaulttolerationseconds`` (DefaultTolerationSeconds: pods tolerate not-ready and
unreachable nodes for 300 s) and ``resourcequota`` (ResourceQuota: object counts and
compute sums per namespace against ResourceQuota objects).

A plugin that refuses raises a 403 ``Forbidden`` (``admission.NewForbidden``). A plugin
that only warns appends to ``ctx.warnings`` (the HTTP front sends each as a
``Warning: 299 - "..."`` header) and records ``ctx.audit_annotations`` (the audit log
puts them on the request's event). The request path sets ``ctx.subresource``.

Simplified: plugins read the API server's own watch caches instead of informers over
a loopback client; no webhooks, no plugin configuration files. NodeRestriction runs in
the validating phase (upstream registers it as mutating though it never mutates,
and k8slite's status updates skip the mutating phase). LimitRanger applies the
LimitRangeItem defaults (max -> default -> defaultRequest, min -> defaultRequest) when it
reads a LimitRange rather than when the LimitRange is stored. PodSecurity has no
exemptions by default and leaves out the AppArmor, SELinux, Windows HostProcess and
host-probe checks; the user-namespace relaxations are off. ResourceQuota compares
against ``spec.hard`` and sums usage from the watch caches, plus a short-lived ledger of
objects it admitted that the cache has not seen yet, instead of writing
``status.used`` with compare-and-swap; quotas are taken in name order.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Optional

from ..api import errors
from ..api.quantity import format_quantity, milli_value, parse_quantity
from ..api.scheme import ResourceInfo
from .podsecurity import (IGNORED_POD_SUBRESOURCES, LEVELS, MODES, POD_SPEC_RESOURCES, PSA_PREFIX, LevelVersion,
                          evaluate_pod, forbidden_detail, pod_template, policy_to_evaluate, significant_pod_update)

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_TOLERATION_SECONDS = 300
MISSING_NAMESPACE_WAIT = 0.05     # lifecycle.go missingNamespaceWait

# AllOrderedPlugins, restricted to the plugins k8slite has, in upstream order.
ORDERED_PLUGINS = ("NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "PodSecurity",
                   "Priority", "DefaultTolerationSeconds", "ResourceQuota")
# NodeRestriction is off by default upstream; kubeadm turns it on (--enable-admission-plugins).
DEFAULT_ON_PLUGINS = tuple(p for p in ORDERED_PLUGINS if p != "NodeRestriction")


@dataclass(frozen=True)
class Attributes:
    """admission.Attributes: what a plugin knows about the request."""
    operation: str                  # CREATE, UPDATE, DELETE
    info: ResourceInfo
    namespace: str
    name: str
    subresource: str
    obj: Optional[dict]
    old: Optional[dict]
    user: str
    groups: tuple

    def forbidden(self, message: str) -> errors.StatusError:
        """admission.NewForbidden: the resource (never the subresource) and the object's name."""
        return errors.forbidden(self.info.qualified_resource, self.name, message)


def add_warning(ctx: Any, message: str) -> None:
    """Attach a warning to the request (``Warning: 299 - "message"`` on the response)."""
    if not hasattr(ctx, "warnings") or ctx.warnings is None:
        ctx.warnings = []
    if message not in ctx.warnings:
        ctx.warnings.append(message)


def add_audit_annotation(ctx: Any, key: str, value: str) -> None:
    """Attach an annotation to the request's audit event (first writer wins, as upstream)."""
    if not hasattr(ctx, "audit_annotations") or ctx.audit_annotations is None:
        ctx.audit_annotations = {}
    ctx.audit_annotations.setdefault(key, value)


def _meta(obj: Optional[dict]) -> dict:
    return (obj or {}).get("metadata") or {}


def _containers(spec: dict, init: bool = True, ephemeral: bool = True) -> list[dict]:
    """visitContainers' order: init containers, containers, ephemeral containers."""
    out = list(spec.get("initContainers") or []) if init else []
    out += list(spec.get("containers") or [])
    if ephemeral:
        out += list(spec.get("ephemeralContainers") or [])
    return out


def _is_binary(raw: Any) -> bool:
    """Written with a binary suffix (``512Mi``): Quantity.String() then prints binary units."""
    return isinstance(raw, str) and raw.rstrip("0123456789").endswith("i")


def _quantity_string(raw: Any) -> str:
    """Quantity.String(): canonical, in the units it was written in."""
    return format_quantity(parse_quantity(raw), binary=_is_binary(raw))


class Admission:
    """The ordered chain: ``admit`` runs mutating plugins, ``validate`` validating ones."""

    def __init__(self, server: Any, plugins: Optional[Iterable[str]] = None):
        self.server = server
        self.enabled: set[str] = set(DEFAULT_ON_PLUGINS if plugins is None else plugins)
        unknown = self.enabled - set(ORDERED_PLUGINS)
        if unknown:
            raise ValueError(f"unknown admission plugin(s): {', '.join(sorted(unknown))}")
        # ResourceQuota's ledger of admitted creates the watch cache has not shown yet:
        # (qualified resource, namespace, name) -> (expiry, usage, names in binary units, object).
        self._quota_pending: dict[tuple[str, str, str], tuple[float, dict, frozenset, Any]] = {}

    def enable(self, *names: str) -> None:
        """--enable-admission-plugins."""
        for name in names:
            if name not in ORDERED_PLUGINS:
                raise ValueError(f"unknown admission plugin: {name}")
            self.enabled.add(name)

    def disable(self, *names: str) -> None:
        """--disable-admission-plugins."""
        self.enabled.difference_update(names)

    @staticmethod
    def _attributes(ctx, info: ResourceInfo, operation: str, obj: Optional[dict], old: Optional[dict]) -> Attributes:
        meta = _meta(obj) or _meta(old)
        namespace = meta.get("namespace", "") if info.namespaced else ""
        return Attributes(operation, info, namespace, meta.get("name") or meta.get("generateName") or "",
                          getattr(ctx, "subresource", "") or "", obj, old, getattr(ctx, "user", ""),
                          tuple(getattr(ctx, "groups", ()) or ()))

    async def admit(self, ctx, info: ResourceInfo, operation: str, obj: dict, old: Optional[dict]) -> None:
        a = self._attributes(ctx, info, operation, obj, old)
        if "LimitRanger" in self.enabled:
            self._limit_ranger_admit(a)
        if info.resource == "pods" and not info.group and operation == "CREATE" and not a.subresource:
            if "ServiceAccount" in self.enabled:
                self._service_account_admit(obj)
            if "Priority" in self.enabled:
                self._priority(obj)
            if "DefaultTolerationSeconds" in self.enabled:
                self._default_toleration_seconds(obj)

    async def validate(self, ctx, info: ResourceInfo, operation: str, obj: dict, old: Optional[dict]) -> None:
        a = self._attributes(ctx, info, operation, obj, old)
        if "NamespaceLifecycle" in self.enabled and operation == "CREATE" and info.namespaced:
            await self._namespace_lifecycle(info, obj)
        if "LimitRanger" in self.enabled:
            self._limit_ranger_validate(a)
        if "ServiceAccount" in self.enabled and info.resource == "pods" and not info.group \
                and operation == "CREATE" and not a.subresource:
            self._service_account_validate(obj)
        if "NodeRestriction" in self.enabled:
            self._node_restriction(a)
        if "PodSecurity" in self.enabled:
            await self._pod_security(ctx, a)
        if "ResourceQuota" in self.enabled:
            self._resource_quota(a)

    def check_delete(self, info: ResourceInfo, namespace: str, name: str, ctx: Any = None) -> None:
        """The DELETE admission: NamespaceLifecycle's immortal namespaces, NodeRestriction."""
        if "NamespaceLifecycle" in self.enabled and info.resource == "namespaces" and name in IMMORTAL_NAMESPACES:
            raise errors.forbidden("namespaces", name, "this namespace may not be deleted")
        if ctx is not None and "NodeRestriction" in self.enabled:
            old = self._get(info.resource, namespace, name, info.group)
            a = Attributes("DELETE", info, namespace if info.namespaced else "", name,
                           getattr(ctx, "subresource", "") or "", None, old, getattr(ctx, "user", ""),
                           tuple(getattr(ctx, "groups", ()) or ()))
            self._node_restriction(a)

    # -- reading other objects (the API server's caches) ------------------------------
    def _get(self, resource: str, namespace: str, name: str, group: str = "") -> Optional[dict]:
        return self.server.cached(resource, namespace, name, group)

    def _list(self, resource: str, namespace: str, group: str = "") -> list[dict]:
        registry = self.server.registries.get((group, resource))
        if registry is None:
            return []
        return [o for o in registry.cacher.objects() if _meta(o).get("namespace", "") == namespace]

    @property
    def _now(self) -> float:
        return self.server.kernel.now

    # -- NamespaceLifecycle ------------------------------------------------------
    async def _namespace_lifecycle(self, info: ResourceInfo, obj: dict) -> None:
        namespace = obj["metadata"].get("namespace", "")
        ns = await self._namespace(namespace)
        if ns.get("status", {}).get("phase") == "Terminating":
            raise errors.forbidden(info.qualified_resource, obj["metadata"].get("name", ""),
                                   f"unable to create new content in namespace {namespace} because it is "
                                   f"being terminated")

    async def _namespace(self, namespace: str) -> dict:
        """The namespace from the cache; after a short wait, from etcd itself (NotFound if absent)."""
        ns = self._get("namespaces", "", namespace)
        if ns is None:           # give the cache time to see a new namespace, then ask etcd itself
            await self.server.kernel.sleep(MISSING_NAMESPACE_WAIT)
            ns = self._get("namespaces", "", namespace)
        if ns is None:
            namespaces = self.server.registries[("", "namespaces")]
            ns = await namespaces.storage.get(namespaces.storage.key("", namespace), namespace)
        return ns

    # -- LimitRanger ---------------------------------------------------------------
    def _limit_ranges(self, a: Attributes) -> list[dict]:
        """The namespace's LimitRanges, or none if this request is not one LimitRanger handles."""
        if a.info.group or a.subresource and not (a.subresource == "resize" and a.info.resource == "pods"):
            return []
        if a.info.resource == "pods":
            if a.operation != "CREATE" and a.subresource != "resize":
                return []     # containers are immutable: updates are neither defaulted nor checked
        elif a.info.resource != "persistentvolumeclaims" or a.operation not in ("CREATE", "UPDATE"):
            return []
        if a.old is not None and _meta(a.old).get("deletionTimestamp"):
            return []
        return [_limit_range_with_defaults(lr) for lr in self._list("limitranges", a.namespace)]

    def _limit_ranger_admit(self, a: Attributes) -> None:
        if a.info.resource != "pods":
            return
        for lr in self._limit_ranges(a):
            _merge_pod_resource_requirements(a.obj, _default_container_requirements(lr))

    def _limit_ranger_validate(self, a: Attributes) -> None:
        for lr in self._limit_ranges(a):
            if a.info.resource == "pods":
                messages = _pod_validate_limits(lr, a.obj)
            else:
                messages = _pvc_validate_limits(lr, a.obj)
            if messages:
                raise a.forbidden(errors.aggregate(messages))

    # -- ServiceAccount ----------------------------------------------------------
    def _service_account_admit(self, pod: dict) -> None:
        spec = pod["spec"]
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = spec.get("serviceAccount") or "default"
        spec["serviceAccount"] = spec["serviceAccountName"]

    def _service_account_validate(self, pod: dict) -> None:
        if pod["metadata"].get("annotations", {}).get("kubernetes.io/config.mirror"):
            return
        namespace, account = pod["metadata"]["namespace"], pod["spec"]["serviceAccountName"]
        if self.server.cached("serviceaccounts", namespace, account) is None:
            raise errors.forbidden("pods", pod["metadata"].get("name", ""),
                                   f"error looking up service account {namespace}/{account}: "
                                   f'serviceaccount "{account}" not found')

    # -- DefaultTolerationSeconds ------------------------------------------------
    def _default_toleration_seconds(self, pod: dict) -> None:
        tolerations = pod["spec"].setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if any(t.get("key") in (key, None, "") and t.get("effect") in ("NoExecute", None, "")
                   and (t.get("key") or t.get("operator") == "Exists") for t in tolerations):
                continue
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})

    # -- Priority ----------------------------------------------------------------
    def _priority(self, pod: dict) -> None:
        spec = pod["spec"]
        name = spec.get("priorityClassName")
        if not name:
            spec.setdefault("priority", 0)
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            return
        if name in ("system-node-critical", "system-cluster-critical"):
            spec["priority"] = 2000001000 if name == "system-node-critical" else 2000000000
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            return
        pc = self.server.cached("priorityclasses", "", name, "scheduling.k8s.io")
        if pc is None:
            raise errors.forbidden("pods", pod["metadata"].get("name", ""),
                                   f"no PriorityClass with name {name} was found")
        spec["priority"] = pc.get("value", 0)
        spec["preemptionPolicy"] = pc.get("preemptionPolicy", "PreemptLowerPriority")

    # -- NodeRestriction -----------------------------------------------------------
    def _node_restriction(self, a: Attributes) -> None:
        """noderestriction.Plugin.Admit: requests from kubelets touch only their own node's objects."""
        if not a.user.startswith(NODE_USER_PREFIX) or NODES_GROUP not in a.groups:
            return
        node = a.user[len(NODE_USER_PREFIX):]
        if not node:
            raise a.forbidden(f"could not determine node from user {json.dumps(a.user)}")
        group, resource = a.info.group, a.info.resource
        if (group, resource) == ("", "pods"):
            if a.subresource == "":
                self._node_admit_pod(node, a)
            elif a.subresource == "status":
                self._node_admit_pod_status(node, a)
            elif a.subresource == "eviction":
                self._node_admit_pod_eviction(node, a)
            else:
                raise a.forbidden(f"unexpected pod subresource {json.dumps(a.subresource)}, "
                                  "only 'status' and 'eviction' are allowed")
        elif (group, resource) == ("", "nodes"):
            self._node_admit_node(node, a)
        elif (group, resource) == ("", "persistentvolumeclaims"):
            if a.subresource != "status":
                raise a.forbidden("may only update PVC status")
            old, new = _without(a.old, "status"), _without(a.obj, "status")
            if a.operation != "UPDATE":
                raise a.forbidden(f"unexpected operation {json.dumps(a.operation)}")
            if _without_rv(old) != _without_rv(new):
                raise a.forbidden(f"node {json.dumps(node)} is not allowed to update fields other than "
                                  "status.capacity and status.conditions")
        elif (group, resource) == ("coordination.k8s.io", "leases"):
            if a.namespace != "kube-node-lease":
                raise a.forbidden('can only access leases in the "kube-node-lease" system namespace')
            if a.name != node:
                raise a.forbidden("can only access node lease with the same name as the requesting node")

    def _node_admit_pod(self, node: str, a: Attributes) -> None:
        if a.operation == "CREATE":
            pod = a.obj
            spec, meta = pod.get("spec") or {}, _meta(pod)
            if MIRROR_POD_ANNOTATION not in (meta.get("annotations") or {}):
                raise a.forbidden(f'pod does not have "{MIRROR_POD_ANNOTATION}" annotation, node '
                                  f'{json.dumps(node)} can only create mirror pods')
            if spec.get("nodeName") != node:
                raise a.forbidden(f"node {json.dumps(node)} can only create pods with spec.nodeName set to itself")
            owners = meta.get("ownerReferences") or []
            if len(owners) > 1:
                raise a.forbidden(f"node {json.dumps(node)} can only create pods with a single owner reference "
                                  "set to itself")
            if not owners or owners[0].get("apiVersion") != "v1" or owners[0].get("kind") != "Node" \
                    or owners[0].get("name") != node:
                raise a.forbidden(f"node {json.dumps(node)} can only create pods with an owner reference set "
                                  "to itself")
            if not owners[0].get("controller"):
                raise a.forbidden(f"node {json.dumps(node)} can only create pods with a controller owner "
                                  "reference set to itself")
            if owners[0].get("blockOwnerDeletion"):
                raise a.forbidden(f"node {json.dumps(node)} must not set blockOwnerDeletion on an owner reference")
            node_obj = self._get("nodes", "", node)
            if node_obj is None:
                raise errors.not_found("nodes", node)
            if owners[0].get("uid") != _meta(node_obj).get("uid"):
                raise a.forbidden(f"node {node} UID mismatch: expected {owners[0].get('uid')} got "
                                  f"{_meta(node_obj).get('uid')}")
            if spec.get("serviceAccountName"):
                raise a.forbidden(f"node {json.dumps(node)} can not create pods that reference a service account")
            refs = _pod_references(spec)
            for kind in ("secrets", "configmaps", "persistentvolumeclaims"):
                if kind in refs:
                    raise a.forbidden(f"node {json.dumps(node)} can not create pods that reference {kind}")
        elif a.operation == "DELETE":
            if a.old is None:
                raise errors.not_found("pods", a.name)
            if (a.old.get("spec") or {}).get("nodeName") != node:
                raise a.forbidden(f"node {json.dumps(node)} can only delete pods with spec.nodeName set to itself")
        else:
            raise a.forbidden(f"unexpected operation {json.dumps(a.operation)}, node {json.dumps(node)} can only "
                              "create and delete mirror pods")

    def _node_admit_pod_status(self, node: str, a: Attributes) -> None:
        if a.operation != "UPDATE":
            raise a.forbidden(f"unexpected operation {json.dumps(a.operation)}")
        if (a.old.get("spec") or {}).get("nodeName") != node:
            raise a.forbidden(f"node {json.dumps(node)} can only update pod status for pods with spec.nodeName "
                              "set to itself")
        if (_meta(a.old).get("labels") or {}) != (_meta(a.obj).get("labels") or {}):
            raise a.forbidden(f"node {json.dumps(node)} cannot update labels through pod status")

    def _node_admit_pod_eviction(self, node: str, a: Attributes) -> None:
        if a.operation != "CREATE":
            raise a.forbidden(f"unexpected operation {a.operation}")
        name = _meta(a.obj).get("name")
        if not name:
            raise a.forbidden("could not determine pod from request data")
        pod = self._get("pods", a.namespace, name)
        if pod is None:
            raise errors.not_found("pods", name)
        if (pod.get("spec") or {}).get("nodeName") != node:
            raise a.forbidden(f"node {node} can only evict pods with spec.nodeName set to itself")

    def _node_admit_node(self, node: str, a: Attributes) -> None:
        if a.name != node:
            raise a.forbidden(f"node {json.dumps(node)} is not allowed to modify node {json.dumps(a.name)}")
        if a.operation == "CREATE":
            if (a.obj.get("spec") or {}).get("configSource") is not None:
                raise a.forbidden(f"node {json.dumps(node)} is not allowed to create pods with a non-nil "
                                  "configSource")
            forbidden = _forbidden_node_labels(_modified_labels(_meta(a.obj).get("labels"), None))
            if forbidden:
                raise a.forbidden(f"node {json.dumps(node)} is not allowed to set the following labels: "
                                  + ", ".join(forbidden))
        elif a.operation == "UPDATE":
            new_spec, old_spec = a.obj.get("spec") or {}, a.old.get("spec") or {}
            if new_spec.get("configSource") is not None and new_spec.get("configSource") != old_spec.get("configSource"):
                raise a.forbidden(f"node {json.dumps(node)} is not allowed to update configSource to a new "
                                  "non-nil configSource")
            if (new_spec.get("taints") or None) != (old_spec.get("taints") or None):
                raise a.forbidden(f"node {json.dumps(node)} is not allowed to modify taints")
            forbidden = _forbidden_node_labels(_modified_labels(_meta(a.obj).get("labels"),
                                                                _meta(a.old).get("labels")))
            if forbidden:
                raise a.forbidden("is not allowed to modify labels: " + ", ".join(forbidden))

    # -- PodSecurity ---------------------------------------------------------------
    async def _pod_security(self, ctx, a: Attributes) -> None:
        group_resource = (a.info.group, a.info.resource)
        if group_resource == ("", "namespaces"):
            self._pod_security_namespace(ctx, a)
        elif group_resource == ("", "pods"):
            if a.operation not in ("CREATE", "UPDATE") or a.subresource in IGNORED_POD_SUBRESOURCES:
                return
            policy, errs = policy_to_evaluate(_meta(await self._namespace(a.namespace)).get("labels"))
            if not errs and all(policy[m].level == "privileged" for m in MODES):
                return
            if a.operation == "UPDATE" and not significant_pod_update(a.obj, a.old):
                return
            self._pod_security_evaluate(ctx, a, policy, errs, _meta(a.obj), a.obj.get("spec") or {}, True)
        elif group_resource in POD_SPEC_RESOURCES:
            if a.subresource or a.operation not in ("CREATE", "UPDATE"):
                return
            policy, errs = policy_to_evaluate(_meta(await self._namespace(a.namespace)).get("labels"))
            if not errs and policy["warn"].level == "privileged" and policy["audit"].level == "privileged":
                return
            template = pod_template(a.obj, a.info.resource)
            if template is not None:
                self._pod_security_evaluate(ctx, a, policy, errs, template.get("metadata") or {},
                                            template.get("spec") or {}, False)

    def _pod_security_evaluate(self, ctx, a: Attributes, policy: dict, errs: list, meta: dict, spec: dict,
                               enforce: bool) -> None:
        """Admission.EvaluatePod: enforce (pods only), then audit, then warn (only if allowed)."""
        if errs:
            add_audit_annotation(ctx, PSA_PREFIX + "error",
                                 "Failed to parse policy: " + errors.aggregate([c.error_string() for c in errs]))
        results: dict[LevelVersion, list] = {}

        def evaluate(lv: LevelVersion) -> list:
            if lv not in results:
                results[lv] = evaluate_pod(lv, meta, spec)
            return results[lv]

        refusal = None
        if enforce:
            add_audit_annotation(ctx, PSA_PREFIX + "enforce-policy", str(policy["enforce"]))
            failed = evaluate(policy["enforce"])
            if failed:
                refusal = a.forbidden(f'violates PodSecurity "{policy["enforce"]}": {forbidden_detail(failed)}')
        failed = evaluate(policy["audit"])
        if failed:
            add_audit_annotation(ctx, PSA_PREFIX + "audit-violations",
                                 f'would violate PodSecurity "{policy["audit"]}": {forbidden_detail(failed)}')
        if refusal is not None:
            raise refusal
        failed = evaluate(policy["warn"])
        if failed:
            add_warning(ctx, f'would violate PodSecurity "{policy["warn"]}": {forbidden_detail(failed)}')

    def _pod_security_namespace(self, ctx, a: Attributes) -> None:
        """Admission.ValidateNamespace: valid labels; warn about running pods a stricter enforce refuses."""
        if a.subresource or a.operation not in ("CREATE", "UPDATE"):
            return
        policy, errs = policy_to_evaluate(_meta(a.obj).get("labels"))
        if a.operation == "CREATE":
            if errs:
                raise errors.invalid(a.info.qualified_kind, a.name, errs)
            return
        old_policy, old_errs = policy_to_evaluate(_meta(a.old).get("labels"))
        if errs and [c.error_string() for c in errs] != [c.error_string() for c in old_errs]:
            raise errors.invalid(a.info.qualified_kind, a.name, errs)
        new, old = policy["enforce"], old_policy["enforce"]
        if new == old or new.level == "privileged":
            return
        if new.version == old.version and LEVELS.index(new.level) <= LEVELS.index(old.level):
            return
        first: dict[str, tuple[str, int]] = {}      # reason -> (lexically first pod name, count)
        for pod in self._list("pods", a.name):
            failed = evaluate_pod(new, _meta(pod), pod.get("spec") or {})
            if failed:
                reason = ", ".join(r for r, _ in failed)
                name, count = first.get(reason, (_meta(pod)["name"], 0))
                first[reason] = (min(name, _meta(pod)["name"]), count + 1)
        if not first:
            return
        add_warning(ctx, f'existing pods in namespace "{a.name}" violate the new PodSecurity enforce level "{new}"')
        decorated = []
        for reason, (name, count) in first.items():
            others = "" if count == 1 else " (and 1 other pod)" if count == 2 else f" (and {count - 1} other pods)"
            decorated.append(f"{name}{others}: {reason}")
        for warning in sorted(decorated):
            add_warning(ctx, warning)

    # -- ResourceQuota -------------------------------------------------------------
    def _resource_quota(self, a: Attributes) -> None:
        """quotaEvaluator.checkRequest: each quota in the namespace that tracks what this request adds."""
        if not a.info.namespaced or a.operation not in ("CREATE", "UPDATE"):
            return
        evaluator = _quota_evaluator(a)
        if evaluator is None:
            return
        usage_fn, tracks, scoped = evaluator
        quotas = sorted(self._list("resourcequotas", a.namespace), key=lambda q: _meta(q)["name"])
        if not quotas:
            return
        now = self._now
        delta, binary = usage_fn(a.obj, now)
        if a.operation == "UPDATE" and a.old is not None:
            old_usage, _ = usage_fn(a.old, now)
            delta = {k: max(Fraction(0), v - old_usage.get(k, Fraction(0))) for k, v in delta.items()}
        if not any(delta.values()):
            return
        for quota in quotas:
            name, hard = _meta(quota)["name"], (quota.get("spec") or {}).get("hard") or {}
            tracked = [k for k in sorted(hard) if tracks(k)]
            if not tracked or not _quota_scopes_match(quota, a.obj if scoped else None, now):
                continue
            if a.info.resource == "pods" and not a.info.group:
                missing = _pod_missing_requests(a.obj, tracked)
                if missing:
                    raise a.forbidden(f"failed quota: {name}: must specify {missing}")
            requested = {k: delta[k] for k in tracked if k in delta}
            if not any(requested.values()):
                continue
            used, used_binary = self._quota_used(a, usage_fn, quota, scoped, now)
            limited = {k: parse_quantity(hard[k]) for k in requested}
            exceeded = [k for k in sorted(requested) if used.get(k, Fraction(0)) + requested[k] > limited[k]]
            if exceeded:
                units = binary | used_binary | {k for k in exceeded if _is_binary(hard[k])}

                def pretty(values: dict) -> str:
                    """prettyPrint: sorted ``name=quantity`` pairs joined by commas."""
                    return ",".join(f"{k}={format_quantity(values.get(k, Fraction(0)), binary=k in units)}"
                                    for k in exceeded)
                raise a.forbidden(f"exceeded quota: {name}, requested: {pretty(requested)}, used: {pretty(used)}, "
                                  f"limited: {pretty(limited)}")
        if a.operation == "CREATE":
            key = (a.info.qualified_resource, a.namespace, a.name)
            self._quota_pending[key] = (now + QUOTA_PENDING_TTL, delta, frozenset(binary), a.obj)

    def _quota_used(self, a: Attributes, usage_fn, quota: dict, scoped: bool, now: float) -> tuple[dict, set]:
        """What the quota's scope already holds of this resource: the cache, plus creates admitted
        that the cache has not shown yet (until they show, or for QUOTA_PENDING_TTL)."""
        used: dict[str, Fraction] = {}
        binary: set[str] = set()

        def charge(obj: dict, usage: dict, units: Iterable[str]) -> None:
            if scoped and not _quota_scopes_match(quota, obj, now):
                return
            binary.update(units)
            for k, v in usage.items():
                used[k] = used.get(k, Fraction(0)) + v
        seen: set[str] = set()
        for obj in self._list(a.info.resource, a.namespace, a.info.group):
            seen.add(_meta(obj)["name"])
            charge(obj, *usage_fn(obj, now))
        here = (a.info.qualified_resource, a.namespace)
        for key, (expiry, usage, units, obj) in list(self._quota_pending.items()):
            if expiry <= now or (key[:2] == here and key[2] in seen):
                del self._quota_pending[key]
            elif key[:2] == here:
                charge(obj, usage, units)
        return used, binary


# ---- NodeRestriction ----------------------------------------------------------------

NODE_USER_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
# k8s.io/kubelet/pkg/apis/well_known_labels.go: what a kubelet may set on its own Node.
KUBELET_LABELS = frozenset({
    "kubernetes.io/hostname", "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch"})
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
NODE_RESTRICTION_LABEL_NAMESPACE = "node-restriction.kubernetes.io"


def _label_namespace(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else ""


def _modified_labels(a: Optional[dict], b: Optional[dict]) -> list[str]:
    a, b = a or {}, b or {}
    return sorted({k for k in a if b.get(k) != a[k] or k not in b} | {k for k in b if a.get(k) != b[k] or k not in a})


def _is_kubelet_label(key: str) -> bool:
    ns = _label_namespace(key)
    return key in KUBELET_LABELS or any(ns == n or ns.endswith("." + n) for n in KUBELET_LABEL_NAMESPACES)


def _forbidden_node_labels(modified: list[str]) -> list[str]:
    """getForbiddenLabels: node-restriction.kubernetes.io labels, and kubernetes.io/k8s.io ones a kubelet
    does not own (``node-role.kubernetes.io/control-plane`` is set by kubeadm, not the kubelet)."""
    out = []
    for key in modified:
        ns = _label_namespace(key)
        if ns == NODE_RESTRICTION_LABEL_NAMESPACE or ns.endswith("." + NODE_RESTRICTION_LABEL_NAMESPACE):
            out.append(key)
        elif any(ns == d or ns.endswith("." + d) for d in ("kubernetes.io", "k8s.io")) and not _is_kubelet_label(key):
            out.append(key)
    return sorted(set(out))


def _pod_references(spec: dict) -> set[str]:
    """Which other API objects a pod names (podutil.VisitPodSecretNames / ConfigmapNames, PVC volumes)."""
    refs: set[str] = set()
    if spec.get("imagePullSecrets"):
        refs.add("secrets")
    for v in spec.get("volumes") or []:
        if "secret" in v:
            refs.add("secrets")
        if "configMap" in v:
            refs.add("configmaps")
        if "persistentVolumeClaim" in v:
            refs.add("persistentvolumeclaims")
        for src in ((v.get("projected") or {}).get("sources") or []):
            if "secret" in src:
                refs.add("secrets")
            if "configMap" in src:
                refs.add("configmaps")
    for c in _containers(spec):
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            if "secretKeyRef" in vf:
                refs.add("secrets")
            if "configMapKeyRef" in vf:
                refs.add("configmaps")
        for e in c.get("envFrom") or []:
            if "secretRef" in e:
                refs.add("secrets")
            if "configMapRef" in e:
                refs.add("configmaps")
    return refs


def _without(obj: Optional[dict], field: str) -> dict:
    return {k: v for k, v in (obj or {}).items() if k != field}


def _without_rv(obj: dict) -> dict:
    meta = {k: v for k, v in _meta(obj).items() if k not in ("resourceVersion", "managedFields")}
    return dict(obj, metadata=meta)


# ---- LimitRanger ----------------------------------------------------------------------

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"


def _limit_range_with_defaults(lr: dict) -> dict:
    """SetDefaults_LimitRangeItem for Container items: default <- max, defaultRequest <- default, min."""
    items = []
    for item in ((lr.get("spec") or {}).get("limits") or []):
        item = dict(item)
        if item.get("type") == "Container":
            default = dict(item.get("default") or {})
            for k, v in (item.get("max") or {}).items():
                default.setdefault(k, v)
            request = dict(item.get("defaultRequest") or {})
            for k, v in list(default.items()) + list((item.get("min") or {}).items()):
                request.setdefault(k, v)
            item["default"], item["defaultRequest"] = default, request
        items.append(item)
    return {"metadata": _meta(lr), "spec": {"limits": items}}


def _default_container_requirements(lr: dict) -> tuple[dict, dict]:
    requests, limits = {}, {}
    for item in lr["spec"]["limits"]:
        if item.get("type") == "Container":
            requests.update(item.get("defaultRequest") or {})
            limits.update(item.get("default") or {})
    return requests, limits


def _merge_pod_resource_requirements(pod: dict, defaults: tuple[dict, dict]) -> None:
    """mergePodResourceRequirements: fill in what each container leaves out; say so in an annotation."""
    default_requests, default_limits = defaults
    notes = []
    spec = pod.get("spec") or {}
    for key, prefix in (("containers", "container"), ("initContainers", "init container")):
        for c in spec.get(key) or []:
            res = c.get("resources")
            if res is None:
                res = c["resources"] = {}
            limits = res.setdefault("limits", {})
            requests = res.setdefault("requests", {})
            set_limits = sorted(k for k in default_limits if k not in limits)
            set_requests = sorted(k for k in default_requests if k not in requests)
            for k in set_limits:
                limits[k] = default_limits[k]
            for k in set_requests:
                requests[k] = default_requests[k]
            if not limits:
                del res["limits"]
            if not requests:
                del res["requests"]
            if set_requests:
                notes.append(f"{', '.join(set_requests)} request for {prefix} {c.get('name', '')}")
            if set_limits:
                notes.append(f"{', '.join(set_limits)} limit for {prefix} {c.get('name', '')}")
    if notes:
        meta = pod.setdefault("metadata", {})
        meta["annotations"] = dict(meta.get("annotations") or {})
        meta["annotations"][LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _min_constraint(kind: str, name: str, enforced, requests: dict, limits: dict) -> Optional[str]:
    e = _quantity_string(enforced)
    if name not in requests:
        return f"minimum {name} usage per {kind} is {e}.  No request is specified"
    if milli_value(requests[name]) < milli_value(enforced):
        return f"minimum {name} usage per {kind} is {e}, but request is {_quantity_string(requests[name])}"
    if name in limits and milli_value(limits[name]) < milli_value(enforced):
        return f"minimum {name} usage per {kind} is {e}, but limit is {_quantity_string(limits[name])}"
    return None


def _max_constraint(kind: str, name: str, enforced, requests: dict, limits: dict) -> Optional[str]:
    e = _quantity_string(enforced)
    if name not in limits:
        return f"maximum {name} usage per {kind} is {e}.  No limit is specified"
    if milli_value(limits[name]) > milli_value(enforced):
        return f"maximum {name} usage per {kind} is {e}, but limit is {_quantity_string(limits[name])}"
    if name in requests and milli_value(requests[name]) > milli_value(enforced):
        return f"maximum {name} usage per {kind} is {e}, but request is {_quantity_string(requests[name])}"
    return None


def _max_request_constraint(kind: str, name: str, enforced, requests: dict) -> Optional[str]:
    e = _quantity_string(enforced)
    if name not in requests:
        return f"maximum {name} usage per {kind} is {e}.  No request is specified"
    if milli_value(requests[name]) > milli_value(enforced):
        return f"maximum {name} usage per {kind} is {e}, but request is {_quantity_string(requests[name])}"
    return None


def _ratio_constraint(kind: str, name: str, enforced, requests: dict, limits: dict) -> Optional[str]:
    e = _quantity_string(enforced)
    req = milli_value(requests[name]) if name in requests else 0
    lim = milli_value(limits[name]) if name in limits else 0
    if req == 0:
        return f"{name} max limit to request ratio per {kind} is {e}, but no request is specified or request is 0"
    if lim == 0:
        return f"{name} max limit to request ratio per {kind} is {e}, but no limit is specified or limit is 0"
    ratio = lim / req
    if ratio * 1000 > milli_value(enforced):
        return f"{name} max limit to request ratio per {kind} is {e}, but provided ratio is {ratio:f}"
    return None


def _check_item(kind: str, item: dict, requests: dict, limits: dict) -> list[str]:
    out = []
    for field, check in (("min", _min_constraint), ("max", _max_constraint),
                         ("maxLimitRequestRatio", _ratio_constraint)):
        for name in sorted(item.get(field) or {}):
            message = check(kind, name, item[field][name], requests, limits)
            if message:
                out.append(message)
    return out


def _pod_validate_limits(lr: dict, pod: dict) -> list[str]:
    """PodValidateLimitFunc: Container items per container (and init container), Pod items on the sums."""
    out: list[str] = []
    spec = pod.get("spec") or {}
    for item in lr["spec"]["limits"]:
        if item.get("type") == "Container":
            for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
                res = c.get("resources") or {}
                out += _check_item("Container", item, res.get("requests") or {}, res.get("limits") or {})
        elif item.get("type") == "Pod":
            requests, _ = _pod_resources(spec, "requests")
            limits, _ = _pod_resources(spec, "limits")
            out += _check_item("Pod", item, requests, limits)
    return out


def _pvc_validate_limits(lr: dict, pvc: dict) -> list[str]:
    out: list[str] = []
    requests = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {})
    for item in lr["spec"]["limits"]:
        if item.get("type") != "PersistentVolumeClaim":
            continue
        for name in sorted(item.get("min") or {}):
            message = _min_constraint("PersistentVolumeClaim", name, item["min"][name], requests, {})
            if message:
                out.append(message)
        for name in sorted(item.get("max") or {}):
            message = _max_request_constraint("PersistentVolumeClaim", name, item["max"][name], requests)
            if message:
                out.append(message)
    return out


def _pod_resources(spec: dict, which: str) -> tuple[dict[str, Fraction], set[str]]:
    """PodRequests/PodLimits: the containers' sum, at least the largest init container, plus overhead.

    Only names some container sets appear. Returns the amounts and the names written in binary units.
    """
    total: dict[str, Fraction] = {}
    binary: set[str] = set()

    def note(name: str, raw: Any) -> Fraction:
        if _is_binary(raw):
            binary.add(name)
        return parse_quantity(raw)
    for c in spec.get("containers") or []:
        for name, raw in (((c.get("resources") or {}).get(which)) or {}).items():
            total[name] = total.get(name, Fraction(0)) + note(name, raw)
    for c in spec.get("initContainers") or []:
        for name, raw in (((c.get("resources") or {}).get(which)) or {}).items():
            total[name] = max(total.get(name, Fraction(0)), note(name, raw))
    for name, raw in (spec.get("overhead") or {}).items():
        if name in total:
            total[name] += note(name, raw)
    return total, binary


# ---- ResourceQuota --------------------------------------------------------------------

QUOTA_PENDING_TTL = 10.0      # seconds an admitted create counts before the cache must show it
# Legacy object-count names (pkg/quota/v1/evaluator/core: count/<resource> is their modern form).
_LEGACY_COUNTS = {"services": "services", "configmaps": "configmaps", "secrets": "secrets",
                  "replicationcontrollers": "replicationcontrollers", "resourcequotas": "resourcequotas",
                  "persistentvolumeclaims": "persistentvolumeclaims"}
_POD_KEYS = frozenset({"pods", "count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                       "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage"})
# NOTE (podEvaluator.Constraints): quota on cpu or memory makes each container state it.
_QUOTA_VALIDATION_SET = ("cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory")


def _count_key(info: ResourceInfo) -> str:
    return f"count/{info.resource}" + (f".{info.group}" if info.group else "")


def _quota_evaluator(a: Attributes):
    """(usage(obj, now) -> (usage, binary names), is-tracked(key), scoped?) for this request, or None."""
    info = a.info
    count = _count_key(info)
    if (info.group, info.resource) == ("", "pods"):
        if a.subresource or a.operation != "CREATE":
            return None
        return _pod_usage, lambda k: k in _POD_KEYS or k.startswith(("hugepages-", "requests.hugepages-")), True
    if a.subresource:
        return None
    if (info.group, info.resource) == ("", "services"):
        return _service_usage, lambda k: k in ("services", "count/services", "services.nodeports",
                                               "services.loadbalancers"), False
    if (info.group, info.resource) == ("", "persistentvolumeclaims"):
        return _pvc_usage, lambda k: k in ("persistentvolumeclaims", "count/persistentvolumeclaims",
                                           "requests.storage") or k.endswith(".storageclass.storage.k8s.io/"
                                                                             "requests.storage"), False
    if a.operation != "CREATE":
        return None
    legacy = _LEGACY_COUNTS.get(info.resource) if not info.group else None

    def usage(obj: dict, now: float):
        out = {count: Fraction(1)}
        if legacy:
            out[legacy] = Fraction(1)
        return out, set()
    return usage, lambda k: k == count or (legacy is not None and k == legacy), False


def _quota_v1_pod(pod: dict, now: float) -> bool:
    """QuotaV1Pod: terminal pods and pods past their deletion grace period are not charged."""
    from ..api.meta import parse_rfc3339
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = _meta(pod)
    if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds") is not None:
        if now > parse_rfc3339(meta["deletionTimestamp"]) + meta["deletionGracePeriodSeconds"]:
            return False
    return True


def _pod_usage(pod: dict, now: float) -> tuple[dict, set]:
    """PodUsageFunc: count/pods always; pods and compute resources while the pod is not terminal."""
    usage: dict[str, Fraction] = {"count/pods": Fraction(1)}
    binary: set[str] = set()
    if not _quota_v1_pod(pod, now):
        return usage, binary
    spec = pod.get("spec") or {}
    requests, rb = _pod_resources(spec, "requests")
    limits, lb = _pod_resources(spec, "limits")
    usage["pods"] = Fraction(1)
    for r in ("cpu", "memory", "ephemeral-storage"):
        if r in requests:
            usage[r] = usage[f"requests.{r}"] = requests[r]
            if r in rb:
                binary |= {r, f"requests.{r}"}
        if r in limits:
            usage[f"limits.{r}"] = limits[r]
            if r in lb:
                binary.add(f"limits.{r}")
    for r, v in requests.items():
        if r.startswith("hugepages-"):
            usage[r] = usage["requests." + r] = v
            binary |= {r, "requests." + r}
    return usage, binary


def _service_usage(svc: dict, now: float) -> tuple[dict, set]:
    spec = svc.get("spec") or {}
    usage = {"services": Fraction(1), "count/services": Fraction(1)}
    kind = spec.get("type", "ClusterIP")
    ports = len(spec.get("ports") or [])
    if kind in ("NodePort", "LoadBalancer"):
        usage["services.nodeports"] = Fraction(ports)
    if kind == "LoadBalancer":
        usage["services.loadbalancers"] = Fraction(1)
    return usage, set()


def _pvc_usage(pvc: dict, now: float) -> tuple[dict, set]:
    usage = {"persistentvolumeclaims": Fraction(1), "count/persistentvolumeclaims": Fraction(1)}
    binary: set[str] = set()
    spec = pvc.get("spec") or {}
    raw = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if raw is not None:
        usage["requests.storage"] = parse_quantity(raw)
        if _is_binary(raw):
            binary.add("requests.storage")
        if spec.get("storageClassName"):
            key = f"{spec['storageClassName']}.storageclass.storage.k8s.io/requests.storage"
            usage[key] = usage["requests.storage"]
            if _is_binary(raw):
                binary.add(key)
    return usage, binary


def _pod_is_terminating(pod: dict) -> bool:
    return (pod.get("spec") or {}).get("activeDeadlineSeconds") is not None


def _pod_is_best_effort(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return not any((c.get("resources") or {}).get(k) for c in _containers(spec, ephemeral=False)
                   for k in ("requests", "limits"))


def _quota_scopes_match(quota: dict, obj: Optional[dict], now: float) -> bool:
    """generic.Matches: every scope of the quota must hold for the object (only pods have scopes)."""
    spec = quota.get("spec") or {}
    selectors = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or []]
    selectors += list(((spec.get("scopeSelector") or {}).get("matchExpressions")) or [])
    if not selectors:
        return True
    if obj is None:
        return False
    for sel in selectors:
        name, op = sel.get("scopeName"), sel.get("operator")
        if name == "Terminating":
            ok = _pod_is_terminating(obj)
        elif name == "NotTerminating":
            ok = not _pod_is_terminating(obj)
        elif name == "BestEffort":
            ok = _pod_is_best_effort(obj)
        elif name == "NotBestEffort":
            ok = not _pod_is_best_effort(obj)
        elif name == "PriorityClass":
            pc = (obj.get("spec") or {}).get("priorityClassName") or ""
            values = sel.get("values") or []
            ok = {"Exists": bool(pc), "DoesNotExist": not pc, "In": pc in values,
                  "NotIn": pc not in values}.get(op, False)
        else:
            ok = False
        if not ok:
            return False
    return True


def _pod_missing_requests(pod: dict, tracked: list[str]) -> str:
    """podEvaluator.Constraints: ``limits.cpu for: a,b; requests.memory for: a`` or ''."""
    required = sorted(set(tracked) & set(_QUOTA_VALIDATION_SET))
    if not required:
        return ""
    missing: dict[str, list[str]] = {}
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        have = set()
        for r in ("cpu", "memory"):
            if r in req:
                have |= {r, f"requests.{r}"}
            if r in lim:
                have.add(f"limits.{r}")
        for r in required:
            if r not in have:
                missing.setdefault(r, [])
                if c.get("name", "") not in missing[r]:
                    missing[r].append(c.get("name", ""))
    return "; ".join(f"{r} for: {','.join(sorted(names))}" for r, names in sorted(missing.items()))

