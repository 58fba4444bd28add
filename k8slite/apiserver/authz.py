"""Authorization: may this user do this verb on this resource? The Node and RBAC authorizers.

Mirrors kubernetes v1.31:
``staging/src/k8s.io/apiserver/pkg/authorization/authorizer/interfaces.go`` (Attributes,
Decision allow / deny / no opinion), ``.../authorizerfactory/builtin.go`` (AlwaysAllow,
AlwaysDeny, the privileged-group authorizer for ``system:masters``),
``.../authorization/union/union.go`` (ask each in turn; the first allow or deny wins;
reasons join), ``pkg/kubeapiserver/authorizer/config.go`` (``system:masters`` first, then
``--authorization-mode=Node,RBAC``), ``plugin/pkg/auth/authorizer/rbac/rbac.go`` and
``pkg/registry/rbac/validation/rule.go`` (RBAC: walk the ClusterRoleBindings, then the
RoleBindings of the request's namespace; a binding applies to a User, a Group or a
ServiceAccount; the first rule that covers the request allows it, and the reason names
the binding), ``pkg/apis/rbac/v1/evaluation_helpers.go`` (how a rule matches: ``*``,
``resource/subresource``, ``*/subresource``, resourceNames, non-resource URL prefixes),
``plugin/pkg/auth/authorizer/node/node_authorizer.go`` and ``graph_populator.go`` (a
kubelet may read only the secrets, configmaps, claims and volumes of pods bound to its
node, only its own Node and Lease; pod lists need ``spec.nodeName=<node>``, as with the
AuthorizeNodeWithSelectors feature), ``staging/.../endpoints/handlers/responsewriters/errors.go``
(the 403 message) and ``pkg/registry/authorization/selfsubjectaccessreview/rest.go``,
``selfsubjectrulesreview/rest.go``, ``subjectaccessreview/rest.go`` (``kubectl auth can-i``).

Simplified: aggregated ClusterRoles (``aggregationRule``) are resolved when the roles are
indexed instead of by the clusterrole-aggregation controller writing their rules; the
Node authorizer's graph is rebuilt from the pod, volume and claim lists when they have
changed instead of being updated per informer event; bindings are visited in name order
(upstream: informer order); no webhook or ABAC modes, no label/field-selector
authorization beyond what the Node authorizer needs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Optional, Protocol

from ..api import errors
from ..api.labels import FieldSelector
from .bootstrap_policy import RBAC_GROUP, aggregate_rules, node_rules

RBAC_RESOURCES = ("clusterroles", "clusterrolebindings", "roles", "rolebindings")
SYSTEM_PRIVILEGED_GROUP = "system:masters"
NODES_GROUP = "system:nodes"
NODE_USER_PREFIX = "system:node:"
NODE_LEASE_NAMESPACE = "kube-node-lease"
COORDINATION = "coordination.k8s.io"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"

ObjectLister = Callable[[str, str], Iterable[dict]]   # (group, resource) -> current objects
Version = Callable[[str, str], Any]                    # (group, resource) -> changes when they change


@dataclass(frozen=True, slots=True)
class Attributes:
    """authorizer.AttributesRecord: everything an authorizer may look at."""
    user: str
    groups: tuple = ()
    verb: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    is_resource: bool = True
    uid: str = ""
    extra: tuple = ()
    field_selector: tuple = ()                 # ((field, "=" | "!=", value), ...)

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def attributes_for(request: Any, info: Any, user: Any) -> Attributes:
    """The attributes of a request (filters.GetAuthorizerAttributes) for an authenticated ``user``.

    As requestinfo.go does, a list or watch restricted to one object by
    ``fieldSelector=metadata.name=<name>`` is about that name (so RBAC resourceNames and the
    Node authorizer can allow it)."""
    name = info.name
    fields: tuple = ()
    selector = request.param("fieldSelector") if hasattr(request, "param") else None
    if selector:
        try:
            fs = FieldSelector.parse(selector)
        except ValueError:
            fs = FieldSelector.everything()
        fields = tuple(fs.terms)
        if info.is_resource and not name and info.verb in ("list", "watch"):
            name = fs.exact_match("metadata.name") or ""
    return Attributes(user.name, tuple(user.groups), info.verb, info.group, info.version, info.resource,
                      info.subresource, info.namespace, name, request.path, info.is_resource,
                      getattr(user, "uid", ""), tuple(getattr(user, "extra", ()) or ()), fields)


@dataclass(frozen=True, slots=True)
class Decision:
    """An authorizer's answer: allowed, or not (``denied`` only for an explicit Deny), and why."""
    allowed: bool
    reason: str = ""
    by: str = ""
    denied: bool = False


NO_OPINION = Decision(False)


class Authorizer(Protocol):
    def authorize(self, attrs: Attributes) -> Decision: ...


class AlwaysAllow:
    NAME = "AlwaysAllow"

    def authorize(self, attrs: Attributes) -> Decision:
        return Decision(True, "", self.NAME)


class AlwaysDeny:
    NAME = "AlwaysDeny"

    def authorize(self, attrs: Attributes) -> Decision:
        return Decision(False, "Everything is forbidden.", self.NAME)


class PrivilegedGroups:
    """privilegedGroupAuthorizer: members of these groups may do anything; RBAC cannot take it away."""
    NAME = "PrivilegedGroups"

    def __init__(self, groups: Iterable[str] = (SYSTEM_PRIVILEGED_GROUP,)):
        self.groups = frozenset(groups)

    def authorize(self, attrs: Attributes) -> Decision:
        if self.groups.intersection(attrs.groups):
            return Decision(True, "", self.NAME)
        return NO_OPINION


class UnionAuthorizer:
    """union.New: the first authorizer with an opinion (allow or deny) decides."""

    def __init__(self, authorizers: Iterable[Authorizer]):
        self.authorizers = list(authorizers)

    def authorize(self, attrs: Attributes) -> Decision:
        reasons = []
        for authorizer in self.authorizers:
            decision = authorizer.authorize(attrs)
            if decision.allowed or decision.denied:
                return decision
            if decision.reason:
                reasons.append(decision.reason)
        return Decision(False, "\n".join(reasons))

    def rules_for(self, user: str, groups: tuple, namespace: str) -> tuple[list[dict], list[dict], bool, list[str]]:
        """unionAuthzRulesHandler.RulesFor: every resolver's rules, incomplete if any is."""
        resource, non_resource, incomplete, errs = [], [], False, []
        for authorizer in self.authorizers:
            if hasattr(authorizer, "rules_for"):
                r, n, inc, e = authorizer.rules_for(user, groups, namespace)
                resource += r
                non_resource += n
                incomplete = incomplete or inc
                errs += e
        return resource, non_resource, incomplete, errs


# -- rule matching (evaluation_helpers.go) ------------------------------------------------
def verb_matches(rule: dict, verb: str) -> bool:
    return any(v == "*" or v == verb for v in rule.get("verbs") or ())


def api_group_matches(rule: dict, group: str) -> bool:
    return any(g == "*" or g == group for g in rule.get("apiGroups") or ())


def resource_matches(rule: dict, combined: str, subresource: str) -> bool:
    for r in rule.get("resources") or ():
        if r == "*" or r == combined:
            return True
        if subresource and len(r) == len(subresource) + 2 and r.startswith("*/") and r.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: dict, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: dict, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url == "*" or url == path:
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attrs: Attributes, rule: dict) -> bool:
    """RuleAllows: does this one PolicyRule cover the request?"""
    if attrs.is_resource:
        return (verb_matches(rule, attrs.verb) and api_group_matches(rule, attrs.api_group)
                and resource_matches(rule, attrs.combined_resource, attrs.subresource)
                and resource_name_matches(rule, attrs.name))
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


def rules_allow(attrs: Attributes, rules: Iterable[dict]) -> bool:
    return any(rule_allows(attrs, r) for r in rules)


# -- RBAC ------------------------------------------------------------------------------------
def _subject_applies(subject: dict, user: str, groups: tuple, namespace: str) -> bool:
    """appliesToUser: a User by name, a Group by membership, a ServiceAccount by its username."""
    kind = subject.get("kind")
    if kind == "User":
        return user == subject.get("name")
    if kind == "Group":
        return subject.get("name") in groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or namespace
        return bool(ns) and user == f"system:serviceaccount:{ns}:{subject.get('name')}"
    return False


def _describe_subject(subject: dict, binding_namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return f'ServiceAccount {json.dumps(subject.get("name", "") + "/" + namespace)}'
    return f'{subject.get("kind")} {json.dumps(subject.get("name", ""))}'


class RoleIndex:
    """The four RBAC kinds, indexed as the authorizer reads them (the listers and getters of
    rule.go). Aggregated ClusterRoles carry their aggregated rules."""

    def __init__(self, cluster_roles: Iterable[dict] = (), cluster_role_bindings: Iterable[dict] = (),
                 roles: Iterable[dict] = (), role_bindings: Iterable[dict] = ()):
        cluster_roles = list(cluster_roles)
        self.cluster_roles: dict[str, list[dict]] = {}
        for cr in cluster_roles:
            rules = aggregate_rules(cr, cluster_roles) if cr.get("aggregationRule") else (cr.get("rules") or [])
            self.cluster_roles[cr["metadata"]["name"]] = rules
        self.roles = {(r["metadata"].get("namespace", ""), r["metadata"]["name"]): r.get("rules") or []
                      for r in roles}
        self.cluster_role_bindings = sorted(cluster_role_bindings, key=lambda b: b["metadata"]["name"])
        self.role_bindings: dict[str, list[dict]] = {}
        for rb in sorted(role_bindings, key=lambda b: b["metadata"]["name"]):
            self.role_bindings.setdefault(rb["metadata"].get("namespace", ""), []).append(rb)

    @classmethod
    def from_objects(cls, objects: Iterable[dict]) -> "RoleIndex":
        by_kind: dict[str, list] = {"ClusterRole": [], "ClusterRoleBinding": [], "Role": [], "RoleBinding": []}
        for obj in objects:
            if obj.get("kind") in by_kind:
                by_kind[obj["kind"]].append(obj)
        return cls(by_kind["ClusterRole"], by_kind["ClusterRoleBinding"], by_kind["Role"], by_kind["RoleBinding"])

    def role_reference_rules(self, role_ref: dict, namespace: str) -> list[dict]:
        """GetRoleReferenceRules; raises LookupError with the lister's NotFound message."""
        kind, name = role_ref.get("kind"), role_ref.get("name", "")
        if kind == "Role":
            if (namespace, name) not in self.roles:
                raise LookupError(f"role.rbac.authorization.k8s.io {json.dumps(name)} not found")
            return self.roles[(namespace, name)]
        if kind == "ClusterRole":
            if name not in self.cluster_roles:
                raise LookupError(f"clusterrole.rbac.authorization.k8s.io {json.dumps(name)} not found")
            return self.cluster_roles[name]
        raise LookupError(f"unsupported role reference kind: {json.dumps(kind)}")

    def visit(self, user: str, groups: tuple, namespace: str) -> tuple[list[tuple[str, dict]], list[str]]:
        """VisitRulesFor, collected: every (source, rule) that applies, in visiting order, and the errors."""
        visited: list[tuple[str, dict]] = []
        errs: list[str] = []
        sources = [(b, "") for b in self.cluster_role_bindings]
        if namespace:
            sources += [(b, namespace) for b in self.role_bindings.get(namespace, ())]
        for binding, ns in sources:
            subject = next((s for s in binding.get("subjects") or () if _subject_applies(s, user, groups, ns)), None)
            if subject is None:
                continue
            try:
                rules = self.role_reference_rules(binding.get("roleRef") or {}, ns)
            except LookupError as error:
                errs.append(str(error))
                continue
            ref = binding.get("roleRef") or {}
            if ns:
                source = (f'RoleBinding {json.dumps(binding["metadata"]["name"] + "/" + ns)} of '
                          f'{ref.get("kind")} {json.dumps(ref.get("name", ""))} to {_describe_subject(subject, ns)}')
            else:
                source = (f'ClusterRoleBinding {json.dumps(binding["metadata"]["name"])} of '
                          f'{ref.get("kind")} {json.dumps(ref.get("name", ""))} to {_describe_subject(subject, "")}')
            visited.extend((source, r) for r in rules)
        return visited, errs


class CachedRoleSource:
    """A RoleIndex over live objects (the API server's watch caches), rebuilt when any of the
    four RBAC resources has changed: ``version(group, resource)`` tells."""

    def __init__(self, list_objects: ObjectLister, version: Optional[Version] = None):
        self.list_objects, self.version = list_objects, version
        self._key: Any = object()
        self._index: Optional[RoleIndex] = None

    def index(self) -> RoleIndex:
        key = tuple(self.version(RBAC_GROUP, r) for r in RBAC_RESOURCES) if self.version else None
        if self._index is None or key is None or key != self._key:
            lists = [list(self.list_objects(RBAC_GROUP, r)) for r in RBAC_RESOURCES]
            self._index, self._key = RoleIndex(*lists), key
        return self._index


class RBACAuthorizer:
    """rbac.RBACAuthorizer over a RoleIndex or a CachedRoleSource."""
    NAME = "RBAC"

    def __init__(self, source: Any):
        self.source = source
        self._memo_index: Optional[RoleIndex] = None
        self._memo: dict[tuple, tuple[list, list]] = {}    # (user, groups, namespace) -> visit()

    def _index(self) -> RoleIndex:
        return self.source.index() if hasattr(self.source, "index") else self.source

    def _visit(self, user: str, groups: tuple, namespace: str) -> tuple[list, list]:
        index = self._index()
        if index is not self._memo_index or len(self._memo) > 4096:
            self._memo_index, self._memo = index, {}
        key = (user, groups, namespace)
        if key not in self._memo:
            self._memo[key] = index.visit(user, groups, namespace)
        return self._memo[key]

    def authorize(self, attrs: Attributes) -> Decision:
        visited, errs = self._visit(attrs.user, tuple(attrs.groups), attrs.namespace)
        for source, rule in visited:
            if rule_allows(attrs, rule):
                return Decision(True, f"RBAC: allowed by {source}", self.NAME)
        return Decision(False, f"RBAC: {errors.aggregate(errs)}" if errs else "", self.NAME)

    def rules_for(self, user: str, groups: tuple, namespace: str) -> tuple[list[dict], list[dict], bool, list[str]]:
        visited, errs = self._visit(user, tuple(groups), namespace)
        resource, non_resource = [], []
        for _, rule in visited:
            if rule.get("resources"):
                resource.append({k: rule[k] for k in ("verbs", "apiGroups", "resources", "resourceNames") if k in rule})
            if rule.get("nonResourceURLs"):
                non_resource.append({"verbs": rule["verbs"], "nonResourceURLs": rule["nonResourceURLs"]})
        return resource, non_resource, False, errs


# -- Node ------------------------------------------------------------------------------------
def node_identity(user: str, groups: tuple) -> tuple[str, bool]:
    """nodeidentifier.NodeIdentity: (node name, is a node) for ``system:node:<name>`` in ``system:nodes``."""
    if not user.startswith(NODE_USER_PREFIX) or NODES_GROUP not in groups:
        return "", False
    return user[len(NODE_USER_PREFIX):], True


def _pod_references(pod: dict) -> Iterable[tuple[str, str]]:
    """(vertex type, name) of what a pod uses: VisitPodSecretNames, VisitPodConfigmapNames, claims."""
    spec = pod.get("spec") or {}
    if spec.get("serviceAccountName"):
        yield "serviceaccount", spec["serviceAccountName"]
    for ref in spec.get("imagePullSecrets") or ():
        if ref.get("name"):
            yield "secret", ref["name"]
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            for env_from in c.get("envFrom") or ():
                for field, kind in (("secretRef", "secret"), ("configMapRef", "configmap")):
                    if (env_from.get(field) or {}).get("name"):
                        yield kind, env_from[field]["name"]
            for env in c.get("env") or ():
                source = env.get("valueFrom") or {}
                for field, kind in (("secretKeyRef", "secret"), ("configMapKeyRef", "configmap")):
                    if (source.get(field) or {}).get("name"):
                        yield kind, source[field]["name"]
    for volume in spec.get("volumes") or ():
        if (volume.get("secret") or {}).get("secretName"):
            yield "secret", volume["secret"]["secretName"]
        if (volume.get("configMap") or {}).get("name"):
            yield "configmap", volume["configMap"]["name"]
        for source in (volume.get("projected") or {}).get("sources") or ():
            if (source.get("secret") or {}).get("name"):
                yield "secret", source["secret"]["name"]
            if (source.get("configMap") or {}).get("name"):
                yield "configmap", source["configMap"]["name"]
        for plugin in ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos"):
            name = ((volume.get(plugin) or {}).get("secretRef") or {}).get("name")
            if name:
                yield "secret", name
        if (volume.get("azureFile") or {}).get("secretName"):
            yield "secret", volume["azureFile"]["secretName"]
        if ((volume.get("csi") or {}).get("nodePublishSecretRef") or {}).get("name"):
            yield "secret", volume["csi"]["nodePublishSecretRef"]["name"]
        if (volume.get("persistentVolumeClaim") or {}).get("claimName"):
            yield "pvc", volume["persistentVolumeClaim"]["claimName"]
        elif volume.get("ephemeral") is not None:
            yield "pvc", f"{pod['metadata']['name']}-{volume.get('name', '')}"


class NodeGraph:
    """What each node may reach: pods bound to it, and what those pods reference
    (graph.go: node <- pod <- secret/configmap/serviceaccount/pvc <- pv)."""

    def __init__(self, list_objects: ObjectLister, version: Optional[Version] = None):
        self.list_objects, self.version = list_objects, version
        self._key: Any = object()
        self._edges: dict[str, set] = {}

    def _list(self, group: str, resource: str) -> list[dict]:
        try:
            return list(self.list_objects(group, resource))
        except KeyError:
            return []

    def edges(self) -> dict[str, set]:
        key = tuple(self.version("", r) for r in ("pods", "persistentvolumes")) if self.version else None
        if key is None or key != self._key:
            edges: dict[str, set] = {}
            claims: dict[tuple, str] = {}                      # (ns, pvc) -> node, for the pv pass
            for pod in self._list("", "pods"):
                node = (pod.get("spec") or {}).get("nodeName")
                if not node:
                    continue
                meta = pod["metadata"]
                reach = edges.setdefault(node, set())
                reach.add(("pod", meta.get("namespace", ""), meta["name"]))
                if MIRROR_POD_ANNOTATION in (meta.get("annotations") or {}):
                    continue                                   # a node must not grant itself access
                for kind, name in _pod_references(pod):
                    reach.add((kind, meta.get("namespace", ""), name))
                    if kind == "pvc":
                        claims[(meta.get("namespace", ""), name)] = node
            for pv in self._list("", "persistentvolumes"):
                ref = (pv.get("spec") or {}).get("claimRef") or {}
                node = claims.get((ref.get("namespace", ""), ref.get("name", "")))
                if node:
                    edges[node].add(("pv", "", pv["metadata"]["name"]))
            self._edges, self._key = edges, key
        return self._edges

    def has_path(self, node: str, kind: str, namespace: str, name: str) -> bool:
        return (kind, namespace, name) in self.edges().get(node, ())


# The resources whose access the Node authorizer subdivides per node (the rest: static node rules).
_NODE_SUBDIVIDED = {("", "secrets"): "secret", ("", "configmaps"): "configmap",
                    ("", "persistentvolumeclaims"): "pvc", ("", "persistentvolumes"): "pv",
                    ("", "serviceaccounts"): "serviceaccount", (COORDINATION, "leases"): "lease",
                    ("", "nodes"): "node", ("", "pods"): "pod"}


class NodeAuthorizer:
    """node.NodeAuthorizer: kubelets get exactly what the pods bound to their node need."""
    NAME = "Node"

    def __init__(self, graph: NodeGraph, rules: Optional[list[dict]] = None):
        self.graph = graph
        self.rules = node_rules() if rules is None else rules

    def authorize(self, attrs: Attributes) -> Decision:
        node, is_node = node_identity(attrs.user, tuple(attrs.groups))
        if not is_node:
            return NO_OPINION
        if not node:
            return self._no(f"unknown node for user {json.dumps(attrs.user)}")
        if attrs.is_resource:
            kind = _NODE_SUBDIVIDED.get((attrs.api_group, attrs.resource))
            if kind in ("secret", "configmap"):
                return self._read_namespaced(node, kind, attrs)
            if kind == "pvc":
                if attrs.subresource == "status":
                    return self._status_update(node, kind, attrs)
                return self._get(node, kind, attrs)
            if kind == "pv":
                return self._get(node, kind, attrs)
            if kind == "serviceaccount":
                return self._create_token(node, attrs)
            if kind == "lease":
                return self._lease(node, attrs)
            if kind == "node":
                return self._node(node, attrs)
            if kind == "pod":
                return self._pod(node, attrs)
        if rules_allow(attrs, self.rules):
            return Decision(True, "", self.NAME)
        return NO_OPINION

    def _no(self, reason: str = "") -> Decision:
        return Decision(False, reason, self.NAME)

    def _related(self, node: str, kind: str, attrs: Attributes) -> Decision:
        if not attrs.name:
            return self._no("No Object name found")
        if self.graph.has_path(node, kind, attrs.namespace, attrs.name):
            return Decision(True, "", self.NAME)
        return self._no(f"no relationship found between node '{node}' and this object")

    def _read_namespaced(self, node: str, kind: str, attrs: Attributes) -> Decision:
        if attrs.verb not in ("get", "list", "watch"):
            return self._no("can only read resources of this type")
        if attrs.subresource:
            return self._no("cannot read subresource")
        if not attrs.namespace:
            return self._no("can only read namespaced object of this type")
        return self._related(node, kind, attrs)

    def _get(self, node: str, kind: str, attrs: Attributes) -> Decision:
        if attrs.verb != "get":
            return self._no("can only get individual resources of this type")
        if attrs.subresource:
            return self._no("cannot get subresource")
        return self._related(node, kind, attrs)

    def _status_update(self, node: str, kind: str, attrs: Attributes) -> Decision:
        if attrs.verb not in ("update", "patch"):
            return self._no("can only get/update/patch this type")
        return self._related(node, kind, attrs)

    def _create_token(self, node: str, attrs: Attributes) -> Decision:
        if attrs.verb != "create" or not attrs.name:
            return self._no("can only create tokens for individual service accounts")
        if attrs.subresource != "token":
            return self._no("can only create token subresource of serviceaccount")
        return self._related(node, "serviceaccount", attrs)

    def _lease(self, node: str, attrs: Attributes) -> Decision:
        if attrs.verb not in ("get", "create", "update", "patch", "delete"):
            return self._no("can only get, create, update, patch, or delete a node lease")
        if attrs.namespace != NODE_LEASE_NAMESPACE:
            return self._no(f"can only access leases in the {json.dumps(NODE_LEASE_NAMESPACE)} system namespace")
        if attrs.verb != "create" and attrs.name != node:
            return self._no("can only access node lease with the same name as the requesting node")
        return Decision(True, "", self.NAME)

    def _node(self, node: str, attrs: Attributes) -> Decision:
        if not attrs.subresource:
            if attrs.verb in ("create", "update", "patch"):
                return Decision(True, "", self.NAME)          # NodeRestriction admission narrows it to itself
            if attrs.verb in ("get", "list", "watch"):
                if attrs.name == node:
                    return Decision(True, "", self.NAME)
                if not attrs.name:
                    return self._no(f"node '{node}' cannot read all nodes, only its own Node object")
                return self._no(f"node '{node}' cannot read '{attrs.name}', only its own Node object")
        elif attrs.subresource == "status" and attrs.verb in ("update", "patch"):
            return Decision(True, "", self.NAME)
        return self._no()

    def _pod(self, node: str, attrs: Attributes) -> Decision:
        if not attrs.subresource:
            if attrs.verb == "get":
                return self._get(node, "pod", attrs)
            if attrs.verb in ("list", "watch"):
                if ("spec.nodeName", "=", node) in attrs.field_selector:
                    return Decision(True, "", self.NAME)
                if attrs.name:
                    return self._related(node, "pod", attrs)
                return self._no("can only list/watch pods with spec.nodeName field selector")
            if attrs.verb in ("create", "delete"):
                return Decision(True, "", self.NAME)          # mirror pods; NodeRestriction checks the node
        elif attrs.subresource == "status" and attrs.verb in ("update", "patch"):
            return Decision(True, "", self.NAME)
        elif attrs.subresource == "eviction" and attrs.verb == "create":
            return Decision(True, "", self.NAME)
        return self._no()

    def rules_for(self, user: str, groups: tuple, namespace: str) -> tuple[list, list, bool, list[str]]:
        if node_identity(user, tuple(groups))[1]:
            return [], [], True, ["node authorizer does not support user rule resolution"]
        return [], [], False, []



def new_authorizer(modes: Iterable[str] = ("Node", "RBAC"), list_objects: Optional[ObjectLister] = None,
                   version: Optional[Version] = None) -> UnionAuthorizer:
    """authorizer.Config.New: ``system:masters`` first, then each ``--authorization-mode`` in order."""
    chain: list = [PrivilegedGroups()]
    for mode in modes:
        if mode == "Node":
            chain.append(NodeAuthorizer(NodeGraph(list_objects, version)))
        elif mode == "RBAC":
            chain.append(RBACAuthorizer(CachedRoleSource(list_objects, version)))
        elif mode == "AlwaysAllow":
            chain.append(AlwaysAllow())
        elif mode == "AlwaysDeny":
            chain.append(AlwaysDeny())
        else:
            raise ValueError(f"unknown authorization mode {mode!r} specified")
    return UnionAuthorizer(chain)


# -- the 403 ------------------------------------------------------------------------------
def forbidden_message(attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage."""
    user = json.dumps(attrs.user)
    if not attrs.is_resource:
        return f"User {user} cannot {attrs.verb} path {json.dumps(attrs.path)}"
    resource = json.dumps(attrs.combined_resource)
    group = json.dumps(attrs.api_group)
    if attrs.namespace:
        return (f"User {user} cannot {attrs.verb} resource {resource} in API group {group} "
                f"in the namespace {json.dumps(attrs.namespace)}")
    return f"User {user} cannot {attrs.verb} resource {resource} in API group {group} at the cluster scope"


def forbidden(attrs: Attributes, reason: str = "") -> errors.StatusError:
    """responsewriters.Forbidden: the 403 Status for a denied request (the reason appended)."""
    msg = forbidden_message(attrs).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if reason:
        msg = f"{msg}: {reason}"
    if not attrs.is_resource or not attrs.resource:
        return errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": f"forbidden: {msg}", "reason": "Forbidden", "details": {},
                                   "code": 403})
    qualified = f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
    return errors.forbidden(qualified, attrs.name, msg)


# -- access reviews (kubectl auth can-i) ------------------------------------------------------
def _review_attributes(spec: dict, user: str, groups: tuple, kind: str) -> Attributes:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        value = (f"authorization.NonResourceAttributes{{Path:{json.dumps(non_resource.get('path', ''))}, "
                 f"Verb:{json.dumps(non_resource.get('verb', ''))}}}")
        raise errors.invalid(kind, "", [errors.invalid_value(
            "spec.nonResourceAttributes", errors.GoValue(value),
            "cannot be specified in combination with resourceAttributes")])
    if resource is None and non_resource is None:
        raise errors.invalid(kind, "", [errors.invalid_value(
            "spec.resourceAttributes", errors.GoValue('"null"'),
            "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
    if resource is not None:
        return Attributes(user, groups, resource.get("verb", ""), resource.get("group", ""),
                          resource.get("version") or "*", resource.get("resource", ""),
                          resource.get("subresource", ""), resource.get("namespace", ""), resource.get("name", ""))
    return Attributes(user, groups, non_resource.get("verb", ""), path=non_resource.get("path", ""),
                      is_resource=False)


def _review_response(kind: str, body: dict, spec: dict, decision: Decision, error: str = "") -> dict:
    status: dict = {"allowed": decision.allowed}
    if decision.denied:
        status["denied"] = True
    if decision.reason:
        status["reason"] = decision.reason
    if error:
        status["evaluationError"] = error
    meta = dict(body.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    return {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "metadata": meta, "spec": spec, "status": status}


def self_subject_access_review(authorizer: Authorizer, user: Any, body: Optional[dict]) -> dict:
    """POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: may *I* do this? (201 Created)."""
    body = body or {}
    spec = dict(body.get("spec") or {})
    attrs = _review_attributes(spec, user.name, tuple(user.groups), "SelfSubjectAccessReview.authorization.k8s.io")
    attrs = replace(attrs, uid=getattr(user, "uid", ""), extra=tuple(getattr(user, "extra", ())))
    return _review_response("SelfSubjectAccessReview", body, spec, authorizer.authorize(attrs))


def subject_access_review(authorizer: Authorizer, body: Optional[dict]) -> dict:
    """POST .../subjectaccessreviews: may this user (spec.user, spec.groups) do this?"""
    body = body or {}
    spec = dict(body.get("spec") or {})
    if not spec.get("user") and not spec.get("groups"):
        raise errors.invalid("SubjectAccessReview.authorization.k8s.io", "", [errors.invalid_value(
            "spec.user", spec.get("user", ""), "at least one of user or group must be specified")])
    attrs = _review_attributes(spec, spec.get("user", ""), tuple(spec.get("groups") or ()),
                               "SubjectAccessReview.authorization.k8s.io")
    return _review_response("SubjectAccessReview", body, spec, authorizer.authorize(attrs))


def self_subject_rules_review(resolver: Any, user: Any, body: Optional[dict]) -> dict:
    """POST .../selfsubjectrulesreviews: everything I may do in spec.namespace (``kubectl auth can-i --list``)."""
    body = body or {}
    spec = dict(body.get("spec") or {})
    resource, non_resource, incomplete, errs = resolver.rules_for(user.name, tuple(user.groups),
                                                                  spec.get("namespace", ""))
    status: dict = {"resourceRules": resource, "nonResourceRules": non_resource, "incomplete": incomplete}
    if errs:
        status["evaluationError"] = errors.aggregate(errs)
    meta = dict(body.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    return {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": meta,
            "spec": spec, "status": status}

