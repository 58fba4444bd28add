"""The default RBAC policy every API server creates at start: roles, and who holds them.

Mirrors kubernetes v1.31 ``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/``:
``policy.go`` (ClusterRoles such as cluster-admin, admin/edit/view and their
``system:aggregate-to-*`` parts, system:node, system:kube-scheduler,
system:kube-controller-manager, and ClusterRoleBindings to system:masters,
system:authenticated, the scheduler and controller-manager users),
``controller_policy.go`` (one ``system:controller:<name>`` ClusterRole per controller,
bound to the ``<name>`` service account in kube-system: the controller manager runs each
controller under its own identity with ``--use-service-account-credentials``, as kubeadm
sets it) and ``namespace_policy.go`` (Roles in kube-system and kube-public). The API
server writes them in its ``rbac/bootstrap-roles`` post-start hook
(``pkg/registry/rbac/rest/storage_rbac.go``): cluster roles, cluster role bindings, then
roles and role bindings. Rule contents were checked against the rendered
``bootstrappolicy/testdata/*.yaml``.

Every object carries the label ``kubernetes.io/bootstrapping: rbac-defaults`` and the
annotation ``rbac.authorization.kubernetes.io/autoupdate: "true"`` (reconcile me at start).
A rule is built as ``NewRule(verbs...).Groups(...).Resources(...)`` is in Go, which sorts
verbs, groups, resources, names and URLs.

``kubeadm_objects()`` adds what ``kubeadm init`` creates next to them (the
``kubeadm:cluster-admins`` binding that makes admin.conf an admin, and kube-proxy's).

Simplified: rules behind alpha or beta feature gates (dynamic resource allocation,
ClusterTrustBundles, MultiCIDRServiceAllocator, coordinated leader election) and roles
for controllers that only exist behind them are left out; aggregated roles (admin, edit,
view) are handed out with their rules already filled in, as they are once the
clusterrole-aggregation controller has run.
"""
from __future__ import annotations

import copy
from typing import Iterable

from ..api.labels import Selector

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
LABEL = {"kubernetes.io/bootstrapping": "rbac-defaults"}
ANNOTATION = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
CONTROLLER_ROLE_PREFIX = "system:controller:"

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE = READ + WRITE
READ_UPDATE = ("get", "list", "watch", "update", "patch")

LEGACY, APPS, AUTHN, AUTHZ, AUTOSCALING, BATCH = ("", "apps", "authentication.k8s.io", "authorization.k8s.io",
                                                  "autoscaling", "batch")
CERTIFICATES, COORDINATION, DISCOVERY, EXTENSIONS = ("certificates.k8s.io", "coordination.k8s.io",
                                                     "discovery.k8s.io", "extensions")
POLICY, STORAGE, NETWORKING, EVENTS, NODE_GROUP = ("policy", "storage.k8s.io", "networking.k8s.io",
                                                   "events.k8s.io", "node.k8s.io")
ADMISSION = "admissionregistration.k8s.io"


def rule(verbs: Iterable[str], groups: Iterable[str] = (), resources: Iterable[str] = (),
         names: Iterable[str] = (), urls: Iterable[str] = ()) -> dict:
    """rbacv1helpers.NewRule(verbs...).Groups(...).Resources(...).Names(...).URLs(...).RuleOrDie()."""
    out: dict = {"verbs": sorted(verbs)}
    if groups:
        out["apiGroups"] = sorted(groups)
    if resources:
        out["resources"] = sorted(resources)
    if names:
        out["resourceNames"] = sorted(names)
    if urls:
        out["nonResourceURLs"] = sorted(urls)
    if urls and (groups or resources or names):
        raise ValueError(f"non-resource rule may not have apiGroups, resources, or resourceNames: {out}")
    if resources and not groups:
        raise ValueError(f"resource rule must have apiGroups: {out}")
    if not urls and not resources:
        raise ValueError(f"a rule must have either nonResourceURLs or resources: {out}")
    return out


def events_rule() -> dict:
    return rule(("create", "update", "patch"), (LEGACY, EVENTS), ("events",))


def _meta(name: str, labels: dict | None = None, namespace: str = "") -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(sorted({**(labels or {}), **LABEL}.items()))
    meta["annotations"] = dict(ANNOTATION)
    return meta


def cluster_role(name: str, rules: list[dict], labels: dict | None = None, aggregate: str = "") -> dict:
    role = {"apiVersion": RBAC_API_VERSION, "kind": "ClusterRole", "metadata": _meta(name, labels), "rules": rules}
    if aggregate:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {aggregate: "true"}}]}
    return role


def subject(kind: str, name: str, namespace: str = "") -> dict:
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"kind": kind, "apiGroup": RBAC_GROUP, "name": name}


def cluster_role_binding(role: str, subjects: list[dict], name: str = "", labels: bool = True) -> dict:
    """NewClusterBinding(role): a binding named after the role (unless named), to ``subjects``."""
    meta = _meta(name or role) if labels else {"name": name or role}
    binding = {"apiVersion": RBAC_API_VERSION, "kind": "ClusterRoleBinding", "metadata": meta}
    if subjects:
        binding["subjects"] = subjects
    binding["roleRef"] = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role}
    return binding


def _aggregate(label: str) -> dict:
    return {f"rbac.authorization.k8s.io/aggregate-to-{label}": "true"}


# -- policy.go -----------------------------------------------------------------------------
def node_rules() -> list[dict]:
    """NodeRules: what every kubelet needs (the Node authorizer narrows it to its own objects)."""
    return [
        rule(("create",), (AUTHN,), ("tokenreviews",)),
        rule(("create",), (AUTHZ,), ("subjectaccessreviews", "localsubjectaccessreviews")),
        rule(READ, (LEGACY,), ("services",)),
        rule(("create", "get", "list", "watch"), (LEGACY,), ("nodes",)),
        rule(("update", "patch"), (LEGACY,), ("nodes/status",)),
        rule(("update", "patch"), (LEGACY,), ("nodes",)),
        rule(("create", "update", "patch"), (LEGACY,), ("events",)),
        rule(READ, (LEGACY,), ("pods",)),
        rule(("create", "delete"), (LEGACY,), ("pods",)),
        rule(("update", "patch"), (LEGACY,), ("pods/status",)),
        rule(("create",), (LEGACY,), ("pods/eviction",)),
        rule(("get", "list", "watch"), (LEGACY,), ("secrets", "configmaps")),
        rule(("get",), (LEGACY,), ("persistentvolumeclaims", "persistentvolumes")),
        rule(("get",), (LEGACY,), ("endpoints",)),
        rule(("create", "get", "list", "watch"), (CERTIFICATES,), ("certificatesigningrequests",)),
        rule(("get", "create", "update", "patch", "delete"), (COORDINATION,), ("leases",)),
        rule(("get",), (STORAGE,), ("volumeattachments",)),
        rule(("create",), (LEGACY,), ("serviceaccounts/token",)),
        rule(("get", "update", "patch"), (LEGACY,), ("persistentvolumeclaims/status",)),
        rule(("get", "watch", "list"), (STORAGE,), ("csidrivers",)),
        rule(("get", "create", "update", "patch", "delete"), (STORAGE,), ("csinodes",)),
        rule(("get", "list", "watch"), (NODE_GROUP,), ("runtimeclasses",)),
    ]


def _aggregate_to_edit() -> list[dict]:
    return [
        rule(READ, (LEGACY,), ("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets",
                               "services/proxy")),
        rule(("impersonate",), (LEGACY,), ("serviceaccounts",)),
        rule(WRITE, (LEGACY,), ("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward")),
        rule(("create",), (LEGACY,), ("pods/eviction",)),
        rule(WRITE, (LEGACY,), ("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                                "services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets",
                                "events")),
        rule(("create",), (LEGACY,), ("serviceaccounts/token",)),
        rule(WRITE, (APPS,), ("statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                              "deployments/rollback", "replicasets", "replicasets/scale")),
        rule(WRITE, (AUTOSCALING,), ("horizontalpodautoscalers",)),
        rule(WRITE, (BATCH,), ("jobs", "cronjobs")),
        rule(WRITE, (EXTENSIONS,), ("daemonsets", "deployments", "deployments/scale", "deployments/rollback",
                                    "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale",
                                    "networkpolicies")),
        rule(WRITE, (POLICY,), ("poddisruptionbudgets",)),
        rule(WRITE, (NETWORKING,), ("networkpolicies", "ingresses")),
        rule(READ_WRITE, (COORDINATION,), ("leases",)),
    ]


def _aggregate_to_view() -> list[dict]:
    return [
        rule(READ, (LEGACY,), ("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
                               "services", "services/status", "endpoints", "persistentvolumeclaims",
                               "persistentvolumeclaims/status", "configmaps")),
        rule(READ, (LEGACY,), ("limitranges", "resourcequotas", "bindings", "events", "pods/status",
                               "resourcequotas/status", "namespaces/status", "replicationcontrollers/status",
                               "pods/log")),
        rule(READ, (LEGACY,), ("namespaces",)),
        rule(READ, (DISCOVERY,), ("endpointslices",)),
        rule(READ, (APPS,), ("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
                             "daemonsets", "daemonsets/status", "deployments", "deployments/status",
                             "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale")),
        rule(READ, (AUTOSCALING,), ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
        rule(READ, (BATCH,), ("jobs", "cronjobs", "cronjobs/status", "jobs/status")),
        rule(READ, (EXTENSIONS,), ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                   "deployments/status", "ingresses", "ingresses/status", "replicasets",
                                   "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                                   "networkpolicies")),
        rule(READ, (POLICY,), ("poddisruptionbudgets", "poddisruptionbudgets/status")),
        rule(READ, (NETWORKING,), ("networkpolicies", "ingresses", "ingresses/status")),
    ]


def _signer_approver(name: str, signer: str) -> dict:
    return cluster_role(f"system:certificates.k8s.io:{name}",
                        [rule(("approve",), (CERTIFICATES,), ("signers",), (signer,))])


def cluster_roles() -> list[dict]:
    """clusterRoles(), in source order."""
    return [
        cluster_role("cluster-admin", [rule(("*",), ("*",), ("*",)), rule(("*",), urls=("*",))]),
        cluster_role("system:discovery", [rule(("get",), urls=(
            "/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*",
            "/api", "/api/*", "/apis", "/apis/*"))]),
        cluster_role("system:monitoring", [rule(("get",), urls=(
            "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"))]),
        cluster_role("system:basic-user", [
            rule(("create",), (AUTHZ,), ("selfsubjectaccessreviews", "selfsubjectrulesreviews")),
            rule(("create",), (AUTHN,), ("selfsubjectreviews",))]),
        cluster_role("system:public-info-viewer", [rule(("get",), urls=(
            "/livez", "/readyz", "/healthz", "/version", "/version/"))]),
        cluster_role("admin", [], aggregate="rbac.authorization.k8s.io/aggregate-to-admin"),
        cluster_role("edit", [], _aggregate("admin"), aggregate="rbac.authorization.k8s.io/aggregate-to-edit"),
        cluster_role("view", [], _aggregate("edit"), aggregate="rbac.authorization.k8s.io/aggregate-to-view"),
        cluster_role("system:aggregate-to-admin", [
            rule(("create",), (AUTHZ,), ("localsubjectaccessreviews",)),
            rule(READ_WRITE, (RBAC_GROUP,), ("roles", "rolebindings"))], _aggregate("admin")),
        cluster_role("system:aggregate-to-edit", _aggregate_to_edit(), _aggregate("edit")),
        cluster_role("system:aggregate-to-view", _aggregate_to_view(), _aggregate("view")),
        cluster_role("system:heapster", [rule(READ, (LEGACY,), ("events", "pods", "nodes", "namespaces")),
                                         rule(READ, (EXTENSIONS,), ("deployments",))]),
        cluster_role("system:node", node_rules()),
        cluster_role("system:node-problem-detector", [
            rule(("get",), (LEGACY,), ("nodes",)), rule(("patch",), (LEGACY,), ("nodes/status",)), events_rule()]),
        cluster_role("system:kubelet-api-admin", [
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            rule(("proxy",), (LEGACY,), ("nodes",)),
            rule(("*",), (LEGACY,), ("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"))]),
        cluster_role("system:node-bootstrapper", [
            rule(("create", "get", "list", "watch"), (CERTIFICATES,), ("certificatesigningrequests",))]),
        cluster_role("system:auth-delegator", [
            rule(("create",), (AUTHN,), ("tokenreviews",)), rule(("create",), (AUTHZ,), ("subjectaccessreviews",))]),
        cluster_role("system:kube-aggregator", [rule(READ, (LEGACY,), ("services", "endpoints"))]),
        cluster_role("system:kube-controller-manager", [
            events_rule(),
            rule(("create",), (COORDINATION,), ("leases",)),
            rule(("get", "update"), (COORDINATION,), ("leases",), ("kube-controller-manager",)),
            rule(("create",), (LEGACY,), ("secrets", "serviceaccounts")),
            rule(("delete",), (LEGACY,), ("secrets",)),
            rule(("get",), (LEGACY,), ("namespaces", "secrets", "serviceaccounts", "configmaps")),
            rule(("update",), (LEGACY,), ("secrets", "serviceaccounts")),
            rule(("create",), (AUTHN,), ("tokenreviews",)),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)),
            rule(("list", "watch"), ("*",), ("*",)),
            rule(("create",), (LEGACY,), ("serviceaccounts/token",))]),
        cluster_role("system:kube-dns", [rule(("list", "watch"), (LEGACY,), ("endpoints", "services"))]),
        cluster_role("system:persistent-volume-provisioner", [
            rule(("get", "list", "watch", "create", "delete"), (LEGACY,), ("persistentvolumes",)),
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(READ, (STORAGE,), ("storageclasses",)),
            rule(("watch",), (LEGACY,), ("events",)),
            events_rule()]),
        cluster_role("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
            rule(("create",), (CERTIFICATES,), ("certificatesigningrequests/nodeclient",))]),
        cluster_role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
            rule(("create",), (CERTIFICATES,), ("certificatesigningrequests/selfnodeclient",))]),
        cluster_role("system:volume-scheduler", [
            rule(READ_UPDATE, (LEGACY,), ("persistentvolumes",)),
            rule(READ, (STORAGE,), ("storageclasses",)),
            rule(READ_UPDATE, (LEGACY,), ("persistentvolumeclaims",))]),
        _signer_approver("legacy-unknown-approver", "kubernetes.io/legacy-unknown"),
        _signer_approver("kubelet-serving-approver", "kubernetes.io/kubelet-serving"),
        _signer_approver("kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client"),
        _signer_approver("kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet"),
        cluster_role("system:service-account-issuer-discovery", [rule(("get",), urls=(
            "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
            "/openid/v1/jwks", "/openid/v1/jwks/"))]),
        cluster_role("system:node-proxier", [
            rule(("list", "watch"), (LEGACY,), ("services", "endpoints")),
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            events_rule(),
            rule(("list", "watch"), (DISCOVERY,), ("endpointslices",))]),
        cluster_role("system:kube-scheduler", [
            events_rule(),
            rule(("create",), (COORDINATION,), ("leases",)),
            rule(("get", "update"), (COORDINATION,), ("leases",), ("kube-scheduler",)),
            rule(READ, (LEGACY,), ("nodes",)),
            rule(("get", "list", "watch", "delete"), (LEGACY,), ("pods",)),
            rule(("create",), (LEGACY,), ("pods/binding", "bindings")),
            rule(("patch", "update"), (LEGACY,), ("pods/status",)),
            rule(READ, (LEGACY,), ("services", "replicationcontrollers")),
            rule(READ, (APPS, EXTENSIONS), ("replicasets",)),
            rule(READ, (APPS,), ("statefulsets",)),
            rule(READ, (POLICY,), ("poddisruptionbudgets",)),
            rule(READ, (LEGACY,), ("persistentvolumeclaims", "persistentvolumes")),
            rule(("create",), (AUTHN,), ("tokenreviews",)),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)),
            rule(READ, (STORAGE,), ("csinodes",)),
            rule(READ, (LEGACY,), ("namespaces",)),
            rule(READ, (STORAGE,), ("csidrivers",)),
            rule(READ, (STORAGE,), ("csistoragecapacities",))]),
    ]


def cluster_role_bindings() -> list[dict]:
    """clusterRoleBindings(), in source order. ``system:node`` keeps no subjects: the Node
    authorizer, not RBAC, grants kubelets their access since v1.8."""
    g, u = (lambda n: subject("Group", n)), (lambda n: subject("User", n))
    return [
        cluster_role_binding("cluster-admin", [g("system:masters")]),
        cluster_role_binding("system:monitoring", [g("system:monitoring")]),
        cluster_role_binding("system:discovery", [g("system:authenticated")]),
        cluster_role_binding("system:basic-user", [g("system:authenticated")]),
        cluster_role_binding("system:public-info-viewer", [g("system:authenticated"), g("system:unauthenticated")]),
        cluster_role_binding("system:node-proxier", [u("system:kube-proxy")]),
        cluster_role_binding("system:kube-controller-manager", [u("system:kube-controller-manager")]),
        cluster_role_binding("system:kube-dns", [subject("ServiceAccount", "kube-dns", "kube-system")]),
        cluster_role_binding("system:kube-scheduler", [u("system:kube-scheduler")]),
        cluster_role_binding("system:volume-scheduler", [u("system:kube-scheduler")]),
        cluster_role_binding("system:node", []),
        cluster_role_binding("system:service-account-issuer-discovery", [g("system:serviceaccounts")]),
    ]


# -- controller_policy.go --------------------------------------------------------------------
def _controller_rules() -> dict[str, list[dict]]:
    """Per-controller rules, keyed by the controller's service account name."""
    ev = events_rule()
    pv_read = rule(("get", "list", "watch"), (LEGACY,), ("persistentvolumes",))
    return {
        "attachdetach-controller": [
            rule(("list", "watch"), (LEGACY,), ("persistentvolumes", "persistentvolumeclaims")),
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            rule(("patch", "update"), (LEGACY,), ("nodes/status",)),
            rule(("list", "watch"), (LEGACY,), ("pods",)), ev,
            rule(("get", "create", "delete", "list", "watch"), (STORAGE,), ("volumeattachments",)),
            rule(("get", "watch", "list"), (STORAGE,), ("csidrivers",)),
            rule(("get", "watch", "list"), (STORAGE,), ("csinodes",))],
        "certificate-controller": [
            rule(("get", "list", "watch", "delete"), (CERTIFICATES,), ("certificatesigningrequests",)),
            rule(("update",), (CERTIFICATES,), ("certificatesigningrequests/status",
                                                "certificatesigningrequests/approval")),
            rule(("approve",), (CERTIFICATES,), ("signers",), ("kubernetes.io/kube-apiserver-client-kubelet",)),
            rule(("sign",), (CERTIFICATES,), ("signers",), (
                "kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client",
                "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving")),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)), ev],
        "clusterrole-aggregation-controller": [
            rule(("escalate", "get", "list", "watch", "update", "patch"), (RBAC_GROUP,), ("clusterroles",))],
        "cronjob-controller": [
            rule(("get", "list", "watch", "update"), (BATCH,), ("cronjobs",)),
            rule(("get", "list", "watch", "create", "update", "delete", "patch"), (BATCH,), ("jobs",)),
            rule(("update",), (BATCH,), ("cronjobs/status",)),
            rule(("update",), (BATCH,), ("cronjobs/finalizers",)),
            rule(("list", "watch", "delete"), (LEGACY,), ("pods",)), ev],
        "daemon-set-controller": [
            rule(("get", "list", "watch"), (APPS, EXTENSIONS), ("daemonsets",)),
            rule(("update",), (APPS, EXTENSIONS), ("daemonsets/status",)),
            rule(("update",), (APPS, EXTENSIONS), ("daemonsets/finalizers",)),
            rule(("list", "watch"), (LEGACY,), ("nodes",)),
            rule(("list", "watch", "create", "delete", "patch"), (LEGACY,), ("pods",)),
            rule(("create",), (LEGACY,), ("pods/binding",)),
            rule(("get", "list", "watch", "create", "delete", "update", "patch"), (APPS,), ("controllerrevisions",)),
            ev],
        "deployment-controller": [
            rule(("get", "list", "watch", "update"), (APPS, EXTENSIONS), ("deployments",)),
            rule(("update",), (APPS, EXTENSIONS), ("deployments/status",)),
            rule(("update",), (APPS, EXTENSIONS), ("deployments/finalizers",)),
            rule(("get", "list", "watch", "create", "update", "patch", "delete"), (APPS, EXTENSIONS),
                 ("replicasets",)),
            rule(("get", "list", "watch", "update"), (LEGACY,), ("pods",)), ev],
        "disruption-controller": [
            rule(READ, (APPS, EXTENSIONS), ("deployments",)),
            rule(READ, (APPS, EXTENSIONS), ("replicasets",)),
            rule(READ, (LEGACY,), ("replicationcontrollers",)),
            rule(READ, (POLICY,), ("poddisruptionbudgets",)),
            rule(READ, (APPS,), ("statefulsets",)),
            rule(("update",), (POLICY,), ("poddisruptionbudgets/status",)),
            rule(("patch", "update"), (LEGACY,), ("pods/status",)),
            rule(("get",), ("*",), ("*/scale",)), ev],
        "endpoint-controller": [
            rule(("get", "list", "watch"), (LEGACY,), ("services", "pods")),
            rule(("get", "list", "create", "update", "delete", "watch"), (LEGACY,), ("endpoints",)),
            rule(("create",), (LEGACY,), ("endpoints/restricted",)), ev],
        "endpointslice-controller": [
            rule(("get", "list", "watch"), (LEGACY,), ("services", "pods", "nodes")),
            rule(("update",), (LEGACY,), ("services/finalizers",)),
            rule(("get", "list", "create", "update", "delete", "watch"), (DISCOVERY,), ("endpointslices",)), ev],
        "endpointslicemirroring-controller": [
            rule(("get", "list", "watch"), (LEGACY,), ("services", "endpoints")),
            rule(("update",), (LEGACY,), ("services/finalizers",)),
            rule(("update",), (LEGACY,), ("endpoints/finalizers",)),
            rule(("get", "list", "create", "update", "delete", "watch"), (DISCOVERY,), ("endpointslices",)), ev],
        "ephemeral-volume-controller": [
            rule(("get", "list", "watch"), (LEGACY,), ("pods",)),
            rule(("update",), (LEGACY,), ("pods/finalizers",)),
            rule(("get", "list", "watch", "create"), (LEGACY,), ("persistentvolumeclaims",)), ev],
        "expand-controller": [
            rule(("get", "list", "watch", "update", "patch"), (LEGACY,), ("persistentvolumes",)),
            rule(("update", "patch"), (LEGACY,), ("persistentvolumeclaims/status",)),
            rule(("get", "list", "watch"), (LEGACY,), ("persistentvolumeclaims",)), ev],
        "generic-garbage-collector": [
            rule(("get", "list", "watch", "patch", "update", "delete"), ("*",), ("*",)), ev],
        "horizontal-pod-autoscaler": [
            rule(("get", "list", "watch"), (AUTOSCALING,), ("horizontalpodautoscalers",)),
            rule(("update",), (AUTOSCALING,), ("horizontalpodautoscalers/status",)),
            rule(("get", "update"), ("*",), ("*/scale",)),
            rule(("list", "watch"), (LEGACY,), ("pods",)),
            rule(("list", "watch"), ("metrics.k8s.io",), ("pods",)),
            rule(("get", "list", "watch"), ("custom.metrics.k8s.io",), ("*",)),
            rule(("get", "list", "watch"), ("external.metrics.k8s.io",), ("*",)), ev],
        "job-controller": [
            rule(("get", "list", "watch", "update", "patch"), (BATCH,), ("jobs",)),
            rule(("update",), (BATCH,), ("jobs/status",)),
            rule(("update",), (BATCH,), ("jobs/finalizers",)),
            rule(("list", "watch", "create", "delete", "patch"), (LEGACY,), ("pods",)), ev],
        "legacy-service-account-token-cleaner": [
            rule(("get",), (LEGACY,), ("configmaps",), ("kube-apiserver-legacy-service-account-token-tracking",)),
            rule(("patch", "delete"), (LEGACY,), ("secrets",))],
        "namespace-controller": [
            rule(("get", "list", "watch", "delete"), (LEGACY,), ("namespaces",)),
            rule(("update",), (LEGACY,), ("namespaces/finalize", "namespaces/status")),
            rule(("get", "list", "delete", "deletecollection", "watch"), ("*",), ("*",))],
        "node-controller": [
            rule(("get", "list", "watch", "update", "delete", "patch"), (LEGACY,), ("nodes",)),
            rule(("patch", "update"), (LEGACY,), ("nodes/status",)),
            rule(("patch", "update"), (LEGACY,), ("pods/status",)),
            rule(("list", "watch", "get", "delete"), (LEGACY,), ("pods",)), ev],
        "persistent-volume-binder": [
            rule(("get", "list", "watch", "update", "create", "delete"), (LEGACY,), ("persistentvolumes",)),
            rule(("update",), (LEGACY,), ("persistentvolumes/status",)),
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update",), (LEGACY,), ("persistentvolumeclaims/status",)),
            rule(("list", "watch", "get", "create", "delete"), (LEGACY,), ("pods",)),
            rule(("get", "list", "watch"), (STORAGE,), ("storageclasses",)),
            rule(("list", "watch"), (LEGACY,), ("nodes",)), ev,
            rule(("watch",), (LEGACY,), ("events",))],
        "pod-garbage-collector": [
            rule(("list", "watch", "delete"), (LEGACY,), ("pods",)),
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            rule(("patch",), (LEGACY,), ("pods/status",))],
        "pv-protection-controller": [
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumes",)), ev],
        "pvc-protection-controller": [
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update",), (LEGACY,), ("persistentvolumeclaims/status",)),
            rule(("get", "list", "watch"), (LEGACY,), ("pods",)), ev],
        "replicaset-controller": [
            rule(("get", "list", "watch", "update"), (APPS, EXTENSIONS), ("replicasets",)),
            rule(("update",), (APPS, EXTENSIONS), ("replicasets/status",)),
            rule(("update",), (APPS, EXTENSIONS), ("replicasets/finalizers",)),
            rule(("list", "watch", "patch", "create", "delete"), (LEGACY,), ("pods",)), ev],
        "replication-controller": [
            rule(("get", "list", "watch", "update"), (LEGACY,), ("replicationcontrollers",)),
            rule(("update",), (LEGACY,), ("replicationcontrollers/status",)),
            rule(("update",), (LEGACY,), ("replicationcontrollers/finalizers",)),
            rule(("list", "watch", "patch", "create", "delete"), (LEGACY,), ("pods",)), ev],
        "resourcequota-controller": [
            rule(("list", "watch"), ("*",), ("*",)),
            rule(("update",), (LEGACY,), ("resourcequotas/status",)), ev],
        "root-ca-cert-publisher": [rule(("create", "update"), (LEGACY,), ("configmaps",)), ev],
        "route-controller": [
            rule(("list", "watch"), (LEGACY,), ("nodes",)),
            rule(("patch",), (LEGACY,), ("nodes/status",)), ev],
        "service-account-controller": [rule(("create",), (LEGACY,), ("serviceaccounts",)), ev],
        "service-controller": [
            rule(READ, (LEGACY,), ("services",)),
            rule(("patch", "update"), (LEGACY,), ("services/status",)),
            rule(("list", "watch"), (LEGACY,), ("nodes",)), ev],
        "statefulset-controller": [
            rule(("list", "watch"), (LEGACY,), ("pods",)),
            rule(("get", "list", "watch"), (APPS,), ("statefulsets",)),
            rule(("update",), (APPS,), ("statefulsets/status",)),
            rule(("update",), (APPS,), ("statefulsets/finalizers",)),
            rule(("get", "create", "delete", "update", "patch"), (LEGACY,), ("pods",)),
            rule(("get", "create", "delete", "update", "patch", "list", "watch"), (APPS,), ("controllerrevisions",)),
            rule(("get", "create", "list", "watch"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update", "delete"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update",), (LEGACY,), ("pods/finalizers",)), ev],
        "taint-eviction-controller": [       # with SeparateTaintEvictionController (beta, on, 1.29+)
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            rule(("list", "watch", "get", "delete"), (LEGACY,), ("pods",)),
            rule(("patch",), (LEGACY,), ("pods/status",)), ev],
        "ttl-after-finished-controller": [rule(("get", "list", "watch", "delete"), (BATCH,), ("jobs",)), ev],
        "ttl-controller": [rule(("update", "patch", "list", "watch"), (LEGACY,), ("nodes",)), ev],
        "validatingadmissionpolicy-status-controller": [
            rule(("get", "list", "watch"), (ADMISSION,), ("validatingadmissionpolicies",)),
            rule(("get", "patch", "update"), (ADMISSION,), ("validatingadmissionpolicies/status",)), ev],
    }


def controller_roles() -> list[dict]:
    """ControllerRoles(): ``system:controller:<service account>``, sorted by name."""
    return [cluster_role(CONTROLLER_ROLE_PREFIX + sa, rules) for sa, rules in sorted(_controller_rules().items())]


def controller_role_bindings() -> list[dict]:
    """ControllerRoleBindings(): each controller role to its service account in kube-system."""
    return [cluster_role_binding(CONTROLLER_ROLE_PREFIX + sa, [subject("ServiceAccount", sa, "kube-system")])
            for sa in sorted(_controller_rules())]


def controller_service_account(controller_role: str) -> str:
    """``system:controller:replicaset-controller`` -> ``replicaset-controller``."""
    return controller_role[len(CONTROLLER_ROLE_PREFIX):]


# -- namespace_policy.go ---------------------------------------------------------------------
def namespace_roles() -> list[dict]:
    def role(ns: str, name: str, rules: list[dict]) -> dict:
        return {"apiVersion": RBAC_API_VERSION, "kind": "Role", "metadata": _meta(name, namespace=ns), "rules": rules}
    leader = [rule(("watch", "get", "list", "create", "update"), (COORDINATION,), ("leases",))]
    return [
        role("kube-public", "system:controller:bootstrap-signer", [
            rule(READ, (LEGACY,), ("configmaps",)),
            rule(("update",), (LEGACY,), ("configmaps",), ("cluster-info",)), events_rule()]),
        role("kube-system", "extension-apiserver-authentication-reader", [
            rule(READ, (LEGACY,), ("configmaps",), ("extension-apiserver-authentication",))]),
        role("kube-system", "system::leader-locking-kube-controller-manager", copy.deepcopy(leader)),
        role("kube-system", "system::leader-locking-kube-scheduler", copy.deepcopy(leader)),
        role("kube-system", "system:controller:bootstrap-signer", [rule(READ, (LEGACY,), ("secrets",))]),
        role("kube-system", "system:controller:cloud-provider", [
            rule(("create", "get", "list", "watch"), (LEGACY,), ("configmaps",))]),
        role("kube-system", "system:controller:token-cleaner", [
            rule(("delete", "get", "list", "watch"), (LEGACY,), ("secrets",)), events_rule()]),
    ]


def namespace_role_bindings() -> list[dict]:
    def binding(ns: str, name: str, role: str, subjects: list[dict]) -> dict:
        return {"apiVersion": RBAC_API_VERSION, "kind": "RoleBinding", "metadata": _meta(name, namespace=ns),
                "subjects": subjects, "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": role}}
    sa = lambda n: subject("ServiceAccount", n, "kube-system")            # noqa: E731
    u = lambda n: subject("User", n)                                       # noqa: E731
    return [
        binding("kube-public", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer",
                [sa("bootstrap-signer")]),
        binding("kube-system", "system::extension-apiserver-authentication-reader",
                "extension-apiserver-authentication-reader",
                [u("system:kube-controller-manager"), u("system:kube-scheduler")]),
        binding("kube-system", "system::leader-locking-kube-controller-manager",
                "system::leader-locking-kube-controller-manager",
                [u("system:kube-controller-manager"), sa("kube-controller-manager"),
                 sa("leader-election-controller")]),
        binding("kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler",
                [u("system:kube-scheduler"), sa("kube-scheduler")]),
        binding("kube-system", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer",
                [sa("bootstrap-signer")]),
        binding("kube-system", "system:controller:cloud-provider", "system:controller:cloud-provider",
                [sa("cloud-provider")]),
        binding("kube-system", "system:controller:token-cleaner", "system:controller:token-cleaner",
                [sa("token-cleaner")]),
    ]


# -- putting it together -----------------------------------------------------------------------
def aggregate_rules(cluster_role: dict, all_cluster_roles: Iterable[dict]) -> list[dict]:
    """What the clusterrole-aggregation controller writes into an aggregated role's rules
    (pkg/controller/clusterroleaggregation): for each selector, the rules of every matching
    ClusterRole (by name, itself excluded, aggregated ones resolved first), each rule once."""
    by_name = {r["metadata"]["name"]: r for r in all_cluster_roles}

    def resolve(role: dict, visiting: frozenset) -> list[dict]:
        agg = role.get("aggregationRule")
        if not agg:
            return list(role.get("rules") or [])
        out: list[dict] = []
        name = role["metadata"]["name"]
        for selector in agg.get("clusterRoleSelectors") or []:
            sel = Selector.from_label_selector(selector)
            for other in sorted(by_name):
                if other == name or other in visiting or not sel.matches(by_name[other]["metadata"].get("labels")):
                    continue
                for r in resolve(by_name[other], visiting | {name}):
                    if r not in out:
                        out.append(r)
        return out

    return resolve(cluster_role, frozenset())


def bootstrap_objects() -> list[dict]:
    """Every object the API server ensures at start, in the order it writes them: cluster roles
    (aggregated rules filled in), cluster role bindings, roles, role bindings."""
    roles = cluster_roles() + controller_roles()
    for role in roles:
        if role.get("aggregationRule"):
            role["rules"] = aggregate_rules(role, roles)
    # metadata before rules before aggregationRule, as the API serves a ClusterRole
    roles = [{k: r[k] for k in ("apiVersion", "kind", "metadata", "rules", "aggregationRule") if k in r}
             for r in roles]
    return (roles + cluster_role_bindings() + controller_role_bindings()
            + namespace_roles() + namespace_role_bindings())


def kubeadm_objects() -> list[dict]:
    """What ``kubeadm init`` adds (cmd/kubeadm/app/phases/kubeconfig EnsureAdminClusterRoleBinding,
    phases/addons/proxy, phases/bootstraptoken/node): admin.conf's group is a cluster admin,
    kube-proxy's service account is a node proxier, nodes may rotate their client certificates."""
    return [
        cluster_role_binding("cluster-admin", [subject("Group", "kubeadm:cluster-admins")],
                             name="kubeadm:cluster-admins", labels=False),
        cluster_role_binding("system:node-proxier", [subject("ServiceAccount", "kube-proxy", "kube-system")],
                             name="kubeadm:node-proxier", labels=False),
        cluster_role_binding("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                             [subject("Group", "system:nodes")],
                             name="kubeadm:node-autoapprove-certificate-rotation", labels=False),
    ]
