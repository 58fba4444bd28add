"""k8slite.apiserver.authz and bootstrap_policy: RBAC, the Node authorizer, the 403, can-i."""
from __future__ import annotations

import copy
import json

import pytest

from k8slite.api import errors
from k8slite.apiserver.authn import UserInfo
from k8slite.apiserver.authz import (AlwaysDeny, Attributes, CachedRoleSource, NodeAuthorizer, NodeGraph,
                                     PrivilegedGroups, RBACAuthorizer, RoleIndex, UnionAuthorizer,
                                     attributes_for, forbidden, new_authorizer, self_subject_access_review,
                                     self_subject_rules_review, subject_access_review)
from k8slite.apiserver.bootstrap_policy import (ANNOTATION, LABEL, bootstrap_objects, controller_roles,
                                                kubeadm_objects, rule)
from k8slite.apiserver.request import Request, parse_request_info

RBAC_V1 = "rbac.authorization.k8s.io/v1"
AUTHENTICATED = "system:authenticated"


def meta(name, namespace="", labels=None):
    m = {"name": name}
    if namespace:
        m["namespace"] = namespace
    if labels:
        m["labels"] = labels
    return m


def role(name, namespace, *rules):
    return {"apiVersion": RBAC_V1, "kind": "Role", "metadata": meta(name, namespace), "rules": list(rules)}


def cluster_role(name, *rules, labels=None):
    return {"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": meta(name, labels=labels), "rules": list(rules)}


def binding(kind, name, namespace, ref_kind, ref_name, *subjects):
    out = {"apiVersion": RBAC_V1, "kind": kind, "metadata": meta(name, namespace), "subjects": list(subjects),
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name}}
    return out


def user(name):
    return {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def group(name):
    return {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def sa(name, namespace=""):
    s = {"kind": "ServiceAccount", "name": name}
    if namespace:
        s["namespace"] = namespace
    return s


USER_OBJECTS = [
    role("pod-reader", "dev", rule(("get", "list", "watch"), ("",), ("pods",)), rule(("get",), ("",), ("pods/log",))),
    binding("RoleBinding", "read-pods", "dev", "Role", "pod-reader", user("alice")),
    role("config-reader", "dev", rule(("get", "list", "watch"), ("",), ("configmaps",), ("app-config",))),
    binding("RoleBinding", "read-config", "dev", "Role", "config-reader", user("alice")),
    cluster_role("deployer", rule(("*",), ("apps",), ("deployments",)), rule(("get", "update"), ("*",), ("*/scale",))),
    binding("ClusterRoleBinding", "deployers", "", "ClusterRole", "deployer", group("deployers")),
    cluster_role("health-reader", rule(("get",), urls=("/healthz", "/healthz/*"))),
    binding("ClusterRoleBinding", "health", "", "ClusterRole", "health-reader", group("probers")),
    binding("RoleBinding", "view-staging", "staging", "ClusterRole", "view", user("bob")),
    binding("RoleBinding", "ci-edit", "ci", "ClusterRole", "edit", sa("builder")),
    binding("RoleBinding", "admins", "ci", "ClusterRole", "admin", user("dana")),
    binding("RoleBinding", "broken", "dev", "Role", "missing", user("carol")),
    cluster_role("widget-viewer", rule(("get", "list", "watch"), ("example.com",), ("widgets",)),
                 labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"}),
]


@pytest.fixture(scope="module")
def objects():
    return bootstrap_objects() + kubeadm_objects() + copy.deepcopy(USER_OBJECTS)


@pytest.fixture(scope="module")
def authorizer(objects):
    return UnionAuthorizer([PrivilegedGroups(), RBACAuthorizer(RoleIndex.from_objects(objects))])


def attrs(name, groups, method, path, query=()):
    req = Request(method, path, tuple(query))
    info = parse_request_info(method, path, dict(query).get("watch") == "true")
    return attributes_for(req, info, UserInfo(name, "", tuple(groups)))


def ask(authorizer, name, groups, method, path, query=()):
    a = attrs(name, groups, method, path, query)
    decision = authorizer.authorize(a)
    return decision, (None if decision.allowed else forbidden(a, decision.reason).message)


# -- RBAC ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("who, groups, method, path, query, allowed", [
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/pods", (), True,
                 id="a Role in dev lets alice list pods in dev"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/prod/pods", (), False,
                 id="the same Role says nothing about another namespace"),
    pytest.param("alice", (), "DELETE", "/api/v1/namespaces/dev/pods/web", (), False,
                 id="a verb the rule does not list is denied"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/pods/web/log", (), True,
                 id="pods/log is its own resource in a rule"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/pods/web/exec", (), False,
                 id="allowing pods does not allow a pods subresource"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/configmaps/app-config", (), True,
                 id="resourceNames allow the named object"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/configmaps/other", (), False,
                 id="resourceNames deny every other object"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/configmaps", (), False,
                 id="resourceNames cannot allow a list of everything"),
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/configmaps",
                 (("fieldSelector", "metadata.name=app-config"), ("watch", "true")), True,
                 id="a watch narrowed to one name by fieldSelector is about that name"),
    pytest.param("erin", ("deployers",), "DELETE", "/apis/apps/v1/namespaces/x/deployments/web", (), True,
                 id="the * verb covers every verb through a group binding"),
    pytest.param("erin", ("deployers",), "PATCH", "/apis/apps/v1/namespaces/x/statefulsets/db/scale", (), False,
                 id="*/scale does not allow patch when the rule lists get and update"),
    pytest.param("erin", ("deployers",), "PUT", "/apis/apps/v1/namespaces/x/statefulsets/db/scale", (), True,
                 id="*/scale matches the scale subresource of any resource"),
    pytest.param("erin", ("deployers",), "GET", "/apis/apps/v1/namespaces/x/statefulsets/db", (), False,
                 id="*/scale does not match the resource itself"),
    pytest.param("erin", ("deployers",), "GET", "/apis/extensions/v1beta1/namespaces/x/deployments", (), False,
                 id="apiGroups must match: apps is not extensions"),
    pytest.param("pat", ("probers",), "GET", "/healthz/etcd", (), True,
                 id="a non-resource URL with a trailing * matches by prefix"),
    pytest.param("pat", ("probers",), "GET", "/healthzzz", (), False,
                 id="without the star the URL must match exactly"),
    pytest.param("pat", ("probers",), "POST", "/healthz", (), False,
                 id="non-resource verbs are the lower-case HTTP method"),
    pytest.param("bob", (), "GET", "/api/v1/namespaces/staging/pods", (), True,
                 id="a RoleBinding to ClusterRole view grants it inside staging"),
    pytest.param("bob", (), "GET", "/api/v1/namespaces/default/pods", (), False,
                 id="and nowhere else"),
    pytest.param("bob", (), "GET", "/api/v1/pods", (), False,
                 id="nor across all namespaces"),
    pytest.param("bob", (), "GET", "/api/v1/namespaces/staging/secrets/db", (), False,
                 id="view cannot read secrets"),
    pytest.param("bob", (), "GET", "/apis/example.com/v1/namespaces/staging/widgets", (), True,
                 id="a role labelled aggregate-to-view extends view"),
    pytest.param("system:serviceaccount:ci:builder", (), "GET", "/api/v1/namespaces/ci/secrets/token", (), True,
                 id="edit reads secrets; a ServiceAccount subject defaults to the binding's namespace"),
    pytest.param("system:serviceaccount:other:builder", (), "GET", "/api/v1/namespaces/ci/secrets/token", (), False,
                 id="a service account of the same name elsewhere is someone else"),
    pytest.param("system:serviceaccount:ci:builder", (), "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ci/rolebindings",
                 (), False, id="edit cannot grant roles"),
    pytest.param("dana", (), "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ci/rolebindings", (), True,
                 id="admin can grant roles in its namespace"),
    pytest.param("frank", ("system:masters",), "DELETE", "/api/v1/nodes/node-1", (), True,
                 id="system:masters may do anything"),
    pytest.param("kubernetes-admin", ("kubeadm:cluster-admins", AUTHENTICATED), "DELETE", "/api/v1/nodes/node-1", (),
                 True, id="kubeadm's admin group is bound to cluster-admin"),
])
def test_rbac_allows_and_denies(authorizer, who, groups, method, path, query, allowed):
    decision, _ = ask(authorizer, who, groups, method, path, query)
    assert decision.allowed is allowed


@pytest.mark.parametrize("who, groups, method, path, reason", [
    pytest.param("alice", (), "GET", "/api/v1/namespaces/dev/pods",
                 'RBAC: allowed by RoleBinding "read-pods/dev" of Role "pod-reader" to User "alice"',
                 id="the reason names the RoleBinding as name/namespace"),
    pytest.param("erin", ("deployers",), "GET", "/apis/apps/v1/deployments",
                 'RBAC: allowed by ClusterRoleBinding "deployers" of ClusterRole "deployer" to Group "deployers"',
                 id="and a ClusterRoleBinding by name and the group that matched"),
    pytest.param("system:serviceaccount:ci:builder", (), "GET", "/api/v1/namespaces/ci/pods",
                 'RBAC: allowed by RoleBinding "ci-edit/ci" of ClusterRole "edit" to ServiceAccount "builder/ci"',
                 id="a service account subject prints as name/namespace"),
])
def test_rbac_says_which_binding_allowed(authorizer, who, groups, method, path, reason):
    decision, _ = ask(authorizer, who, groups, method, path)
    assert (decision.allowed, decision.reason, decision.by) == (True, reason, "RBAC")


@pytest.mark.parametrize("who, method, path, query, message", [
    pytest.param("alice", "GET", "/api/v1/namespaces/default/pods", (),
                 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
                 id="a denied list names user, verb, resource, group and namespace"),
    pytest.param("alice", "GET", "/api/v1/namespaces/dev/pods/web/exec", (),
                 'pods "web" is forbidden: User "alice" cannot get resource "pods/exec" in API group "" in the '
                 'namespace "dev"', id="a named object is quoted and the subresource joins the resource"),
    pytest.param("alice", "DELETE", "/api/v1/nodes/node-1", (),
                 'nodes "node-1" is forbidden: User "alice" cannot delete resource "nodes" in API group "" '
                 'at the cluster scope', id="a cluster-scoped resource is at the cluster scope"),
    pytest.param("alice", "POST", "/apis/apps/v1/namespaces/dev/deployments", (),
                 'deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group '
                 '"apps" in the namespace "dev"', id="a grouped resource is qualified with its group"),
    pytest.param("alice", "GET", "/logs/kube-apiserver.log", (),
                 'forbidden: User "alice" cannot get path "/logs/kube-apiserver.log"',
                 id="a non-resource path is forbidden by path"),
    pytest.param("carol", "GET", "/api/v1/namespaces/dev/pods", (),
                 'pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "dev": '
                 'RBAC: role.rbac.authorization.k8s.io "missing" not found',
                 id="a binding to a missing role adds RBAC's resolution error"),
    pytest.param("alice", "GET", "/api/v1/namespaces/dev/secrets", (("watch", "true"),),
                 'secrets is forbidden: User "alice" cannot watch resource "secrets" in API group "" in the '
                 'namespace "dev"', id="a watch is the watch verb"),
])
def test_the_forbidden_message_is_the_api_servers(authorizer, who, method, path, query, message):
    decision, msg = ask(authorizer, who, (AUTHENTICATED,), method, path, query)
    assert not decision.allowed and msg == message


def test_the_forbidden_status_is_a_real_403(authorizer):
    a = attrs("alice", (), "GET", "/api/v1/namespaces/dev/pods/web/exec")
    assert forbidden(a).status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pods "web" is forbidden: User "alice" cannot get resource "pods/exec" in API group "" in the '
                   'namespace "dev"',
        "reason": "Forbidden", "details": {"name": "web", "kind": "pods"}, "code": 403}
    path = attrs("alice", (), "GET", "/metrics")
    assert forbidden(path).status["details"] == {} and forbidden(path).code == 403


def test_without_any_rbac_objects_only_system_masters_gets_in():
    empty = UnionAuthorizer([PrivilegedGroups(), RBACAuthorizer(RoleIndex())])
    assert ask(empty, "root", ("system:masters",), "DELETE", "/api/v1/namespaces/x")[0].allowed
    assert not ask(empty, "kubernetes-admin", ("kubeadm:cluster-admins",), "GET", "/api")[0].allowed


def test_always_deny_says_everything_is_forbidden():
    decision = UnionAuthorizer([AlwaysDeny()]).authorize(attrs("alice", (), "GET", "/api"))
    assert (decision.allowed, decision.reason) == (False, "Everything is forbidden.")


def test_a_cached_role_source_sees_new_bindings_when_rbac_objects_change():
    store = {r: [] for r in ("clusterroles", "clusterrolebindings", "roles", "rolebindings")}
    revision = {"n": 1}
    source = CachedRoleSource(lambda g, r: store[r], lambda g, r: revision["n"])
    rbac = RBACAuthorizer(source)
    assert not ask(rbac, "alice", (), "GET", "/api/v1/namespaces/dev/pods")[0].allowed
    store["roles"].append(USER_OBJECTS[0])
    store["rolebindings"].append(USER_OBJECTS[1])
    assert not ask(rbac, "alice", (), "GET", "/api/v1/namespaces/dev/pods")[0].allowed   # caches not yet moved
    revision["n"] = 2
    assert ask(rbac, "alice", (), "GET", "/api/v1/namespaces/dev/pods")[0].allowed


# -- the Node authorizer -------------------------------------------------------------------------
PODS = [
    {"metadata": {"name": "web", "namespace": "shop"},
     "spec": {"nodeName": "node-1", "serviceAccountName": "web-sa",
              "imagePullSecrets": [{"name": "registry"}],
              "containers": [{"name": "app", "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db-pw"}}}],
                              "envFrom": [{"configMapRef": {"name": "settings"}}]}],
              "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
                          {"name": "tls", "secret": {"secretName": "web-tls"}},
                          {"name": "kube-api-access", "projected": {"sources": [
                              {"configMap": {"name": "kube-root-ca.crt"}}]}}]}},
    {"metadata": {"name": "db", "namespace": "shop"},
     "spec": {"nodeName": "node-2", "containers": [{"name": "db"}],
              "volumes": [{"name": "s", "secret": {"secretName": "db-tls"}}]}},
    {"metadata": {"name": "static-web-node-1", "namespace": "shop",
                  "annotations": {"kubernetes.io/config.mirror": "abc"}},
     "spec": {"nodeName": "node-1", "containers": [{"name": "x"}],
              "volumes": [{"name": "s", "secret": {"secretName": "stolen"}}]}},
    {"metadata": {"name": "pending", "namespace": "shop"},
     "spec": {"containers": [{"name": "x"}], "volumes": [{"name": "s", "secret": {"secretName": "unbound"}}]}},
]
PVS = [{"metadata": {"name": "pv-1"}, "spec": {"claimRef": {"namespace": "shop", "name": "web-data"}}},
       {"metadata": {"name": "pv-2"}, "spec": {"claimRef": {"namespace": "shop", "name": "other"}}}]


@pytest.fixture(scope="module")
def node_chain(objects):
    world = {("", "pods"): PODS, ("", "persistentvolumes"): PVS}

    def list_objects(g, r):
        if g == "rbac.authorization.k8s.io":
            return [o for o in objects if o["kind"].lower() + "s" == r]
        return world[(g, r)]
    return new_authorizer(("Node", "RBAC"), list_objects, lambda g, r: 1)


NODE1 = ("system:node:node-1", ("system:nodes", AUTHENTICATED))


@pytest.mark.parametrize("method, path, query, allowed, reason", [
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/web-tls", (), True, "",
                 id="a kubelet reads a secret its pod mounts"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/db-pw", (), True, "",
                 id="and one its pod's env refers to"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/registry", (), True, "",
                 id="and its pod's image pull secret"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/db-tls", (), False,
                 "no relationship found between node 'node-1' and this object",
                 id="but not a secret of a pod on another node"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/stolen", (), False,
                 "no relationship found between node 'node-1' and this object",
                 id="a mirror pod grants its node nothing"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets/unbound", (), False,
                 "no relationship found between node 'node-1' and this object",
                 id="an unscheduled pod grants nobody anything"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets", (), False, "No Object name found",
                 id="listing all secrets is refused"),
    pytest.param("GET", "/api/v1/namespaces/shop/secrets",
                 (("watch", "true"), ("fieldSelector", "metadata.name=web-tls")), True, "",
                 id="watching one related secret by name is allowed"),
    pytest.param("PUT", "/api/v1/namespaces/shop/secrets/web-tls", (), False,
                 "can only read resources of this type", id="a kubelet never writes a secret"),
    pytest.param("GET", "/api/v1/namespaces/shop/configmaps/settings", (), True, "",
                 id="configmaps from envFrom are related"),
    pytest.param("GET", "/api/v1/namespaces/shop/configmaps/kube-root-ca.crt", (), True, "",
                 id="configmaps from projected volumes are related"),
    pytest.param("GET", "/api/v1/namespaces/shop/persistentvolumeclaims/web-data", (), True, "",
                 id="its pod's claim is related"),
    pytest.param("GET", "/api/v1/persistentvolumes/pv-1", (), True, "",
                 id="and the volume bound to that claim"),
    pytest.param("GET", "/api/v1/persistentvolumes/pv-2", (), False,
                 "no relationship found between node 'node-1' and this object", id="but no other volume"),
    pytest.param("GET", "/api/v1/persistentvolumes", (), False, "can only get individual resources of this type",
                 id="volumes cannot be listed"),
    pytest.param("POST", "/api/v1/namespaces/shop/serviceaccounts/web-sa/token", (), True, "",
                 id="a kubelet may request a token for its pod's service account"),
    pytest.param("POST", "/api/v1/namespaces/shop/serviceaccounts/default/token", (), False,
                 "no relationship found between node 'node-1' and this object",
                 id="but not for any other service account"),
    pytest.param("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", (), True, "",
                 id="a kubelet creates its lease"),
    pytest.param("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1", (), True, "",
                 id="and renews it"),
    pytest.param("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-2", (), False,
                 "can only access node lease with the same name as the requesting node",
                 id="but not another node's lease"),
    pytest.param("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/node-1", (), False,
                 'can only access leases in the "kube-node-lease" system namespace',
                 id="and no lease outside kube-node-lease"),
    pytest.param("POST", "/api/v1/nodes", (), True, "", id="a kubelet registers its Node"),
    pytest.param("GET", "/api/v1/nodes/node-1", (), True, "", id="reads its own Node"),
    pytest.param("GET", "/api/v1/nodes", (("watch", "true"), ("fieldSelector", "metadata.name=node-1")), True, "",
                 id="watches its own Node by name"),
    pytest.param("GET", "/api/v1/nodes/node-2", (), False, "node 'node-1' cannot read 'node-2', only its own Node object",
                 id="but not another Node"),
    pytest.param("GET", "/api/v1/nodes", (), False, "node 'node-1' cannot read all nodes, only its own Node object",
                 id="nor all Nodes"),
    pytest.param("PATCH", "/api/v1/nodes/node-1/status", (), True, "", id="it patches its Node status"),
    pytest.param("DELETE", "/api/v1/nodes/node-1", (), False, "", id="it may not delete Nodes"),
    pytest.param("GET", "/api/v1/pods", (("fieldSelector", "spec.nodeName=node-1"),), True, "",
                 id="it lists the pods bound to it"),
    pytest.param("GET", "/api/v1/pods", (("fieldSelector", "spec.nodeName=node-2"),), False,
                 "can only list/watch pods with spec.nodeName field selector", id="not another node's pods"),
    pytest.param("GET", "/api/v1/pods", (), False, "can only list/watch pods with spec.nodeName field selector",
                 id="nor every pod"),
    pytest.param("GET", "/api/v1/namespaces/shop/pods/web", (), True, "", id="it gets a pod bound to it"),
    pytest.param("GET", "/api/v1/namespaces/shop/pods/db", (), False,
                 "no relationship found between node 'node-1' and this object", id="not a pod bound elsewhere"),
    pytest.param("PATCH", "/api/v1/namespaces/shop/pods/web/status", (), True, "", id="it reports pod status"),
    pytest.param("DELETE", "/api/v1/namespaces/shop/pods/web", (), True, "",
                 id="it deletes pods (NodeRestriction narrows it)"),
    pytest.param("POST", "/api/v1/namespaces/shop/events", (), True, "", id="events come from the static node rules"),
    pytest.param("GET", "/api/v1/services", (), True, "", id="so does reading services"),
    pytest.param("DELETE", "/apis/apps/v1/namespaces/shop/deployments/web", (), False, "",
                 id="anything else is denied, and RBAC does not grant system:nodes the system:node role"),
])
def test_the_node_authorizer(node_chain, method, path, query, allowed, reason):
    decision, _ = ask(node_chain, *NODE1, method, path, query)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    if allowed:
        assert decision.by == "Node"


def test_a_node_name_without_the_nodes_group_is_not_a_node(node_chain):
    decision, msg = ask(node_chain, "system:node:node-1", (AUTHENTICATED,), "GET", "/api/v1/namespaces/shop/secrets/web-tls")
    assert not decision.allowed and decision.reason == ""
    assert msg == ('secrets "web-tls" is forbidden: User "system:node:node-1" cannot get resource "secrets" in API '
                   'group "" in the namespace "shop"')


def test_the_node_graph_follows_pod_changes():
    pods = [copy.deepcopy(PODS[0])]
    version = {"n": 1}
    node = NodeAuthorizer(NodeGraph(lambda g, r: pods if r == "pods" else [], lambda g, r: version["n"]))
    a = attrs(*NODE1, "GET", "/api/v1/namespaces/shop/secrets/web-tls")
    assert node.authorize(a).allowed
    pods[0]["spec"]["nodeName"] = "node-9"
    version["n"] = 2
    assert not node.authorize(a).allowed


# -- the bootstrap policy ------------------------------------------------------------------------
SCHEDULER = ("system:kube-scheduler", (AUTHENTICATED,))
KCM = ("system:kube-controller-manager", (AUTHENTICATED,))


def controller(name):
    return (f"system:serviceaccount:kube-system:{name}",
            ("system:serviceaccounts", "system:serviceaccounts:kube-system", AUTHENTICATED))


@pytest.mark.parametrize("identity, method, path, allowed", [
    pytest.param(SCHEDULER, "POST", "/api/v1/namespaces/default/pods/web-1/binding", True,
                 id="the scheduler may bind pods"),
    pytest.param(SCHEDULER, "PATCH", "/api/v1/namespaces/default/pods/web-1/status", True,
                 id="the scheduler may set pod conditions"),
    pytest.param(SCHEDULER, "GET", "/api/v1/nodes", True, id="the scheduler lists nodes"),
    pytest.param(SCHEDULER, "DELETE", "/api/v1/namespaces/default/pods/victim", True,
                 id="the scheduler may delete pods (preemption)"),
    pytest.param(SCHEDULER, "DELETE", "/api/v1/nodes/node-1", False, id="the scheduler may not delete nodes"),
    pytest.param(SCHEDULER, "POST", "/api/v1/namespaces/default/pods", False, id="nor create pods"),
    pytest.param(SCHEDULER, "POST", "/apis/events.k8s.io/v1/namespaces/default/events", True,
                 id="it records events in either events API"),
    pytest.param(SCHEDULER, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler", True,
                 id="it renews its leader lease"),
    pytest.param(SCHEDULER, "PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/kube-controller-manager",
                 False, id="but outside kube-system only the lease named kube-scheduler"),
    pytest.param(KCM, "GET", "/apis/apps/v1/deployments", True, id="the controller manager lists everything"),
    pytest.param(KCM, "POST", "/api/v1/namespaces/default/pods", False,
                 id="but writes nothing as itself: controllers run as their own service accounts"),
    pytest.param(KCM, "POST", "/api/v1/namespaces/kube-system/serviceaccounts/replicaset-controller/token", True,
                 id="it may get those service accounts' tokens"),
    pytest.param(controller("replicaset-controller"), "POST", "/api/v1/namespaces/default/pods", True,
                 id="the replicaset controller creates pods"),
    pytest.param(controller("replicaset-controller"), "PUT", "/apis/apps/v1/namespaces/default/replicasets/web/status",
                 True, id="and updates replica set status"),
    pytest.param(controller("replicaset-controller"), "DELETE", "/api/v1/nodes/node-1", False,
                 id="but may not delete nodes"),
    pytest.param(controller("deployment-controller"), "POST", "/apis/apps/v1/namespaces/default/replicasets", True,
                 id="the deployment controller creates replica sets"),
    pytest.param(controller("deployment-controller"), "POST", "/api/v1/namespaces/default/pods", False,
                 id="but not pods"),
    pytest.param(controller("node-controller"), "PUT", "/api/v1/nodes/node-1", True,
                 id="the node controller sets a node's pod CIDR"),
    pytest.param(controller("service-account-controller"), "POST", "/api/v1/namespaces/dev/serviceaccounts", True,
                 id="the service account controller creates default service accounts"),
    pytest.param(controller("namespace-controller"), "DELETE", "/api/v1/namespaces/dev/pods", True,
                 id="the namespace controller empties namespaces with deletecollection"),
    pytest.param(controller("generic-garbage-collector"), "DELETE", "/apis/apps/v1/namespaces/dev/replicasets/x", True,
                 id="the garbage collector deletes any owned object"),
    pytest.param(controller("endpoint-controller"), "PUT", "/api/v1/namespaces/dev/endpoints/web", True,
                 id="the endpoints controller writes Endpoints"),
    pytest.param(("alice", (AUTHENTICATED,)), "GET", "/version", True, id="anyone authenticated reads /version"),
    pytest.param(("alice", (AUTHENTICATED,)), "GET", "/apis", True, id="and discovery"),
    pytest.param(("alice", (AUTHENTICATED,)), "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", True,
                 id="and may ask what they can do"),
    pytest.param(("system:anonymous", ("system:unauthenticated",)), "GET", "/healthz", True,
                 id="anonymous may read health (system:public-info-viewer)"),
    pytest.param(("system:anonymous", ("system:unauthenticated",)), "GET", "/api", False,
                 id="but not discovery"),
    pytest.param(("system:serviceaccount:default:default", ("system:serviceaccounts", AUTHENTICATED)),
                 "GET", "/openid/v1/jwks", True, id="service accounts read the issuer's keys"),
])
def test_bootstrap_roles_allow_what_each_component_does(node_chain, identity, method, path, allowed):
    assert ask(node_chain, *identity, method, path)[0].allowed is allowed


def test_bootstrap_objects_carry_the_rbac_defaults_label_and_autoupdate_annotation():
    objs = bootstrap_objects()
    assert all(o["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults" for o in objs)
    assert all(o["metadata"]["annotations"] == ANNOTATION for o in objs)
    assert LABEL == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    assert [o["kind"] for o in objs] == sorted((o["kind"] for o in objs), key=[
        "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].index)
    keys = [(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objs]
    assert len(keys) == len(set(keys))
    assert json.dumps(objs) == json.dumps(bootstrap_objects())              # deterministic


def test_every_binding_refers_to_a_role_that_exists():
    objs = bootstrap_objects() + kubeadm_objects()
    cluster_roles = {o["metadata"]["name"] for o in objs if o["kind"] == "ClusterRole"}
    roles = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objs if o["kind"] == "Role"}
    for b in objs:
        if b["kind"] == "ClusterRoleBinding":
            assert b["roleRef"]["name"] in cluster_roles, b["metadata"]["name"]
        elif b["kind"] == "RoleBinding":
            assert (b["metadata"]["namespace"], b["roleRef"]["name"]) in roles, b["metadata"]["name"]


def test_the_system_node_binding_has_no_subjects():
    crb = next(o for o in bootstrap_objects() if o["kind"] == "ClusterRoleBinding"
               and o["metadata"]["name"] == "system:node")
    assert "subjects" not in crb and crb["roleRef"]["name"] == "system:node"


def test_each_controller_role_is_bound_to_its_service_account_in_kube_system():
    bindings = {o["metadata"]["name"]: o for o in bootstrap_objects() if o["kind"] == "ClusterRoleBinding"}
    names = [r["metadata"]["name"] for r in controller_roles()]
    assert names == sorted(names) and "system:controller:replicaset-controller" in names
    for name in names:
        assert bindings[name]["subjects"] == [{"kind": "ServiceAccount", "name": name.split(":")[-1],
                                               "namespace": "kube-system"}]


def test_aggregated_roles_are_served_with_their_rules_filled_in():
    by_name = {o["metadata"]["name"]: o for o in bootstrap_objects() if o["kind"] == "ClusterRole"}
    view, edit, admin = by_name["view"], by_name["edit"], by_name["admin"]
    assert view["rules"] == by_name["system:aggregate-to-view"]["rules"]
    assert edit["rules"][:len(by_name["system:aggregate-to-edit"]["rules"])] == by_name["system:aggregate-to-edit"]["rules"]
    assert all(r in edit["rules"] for r in view["rules"]) and all(r in admin["rules"] for r in edit["rules"])
    assert list(admin) == ["apiVersion", "kind", "metadata", "rules", "aggregationRule"]


def test_a_rule_is_built_sorted_as_newrule_builds_it():
    assert rule(("watch", "get"), ("apps", ""), ("pods", "configmaps"), ("b", "a")) == {
        "verbs": ["get", "watch"], "apiGroups": ["", "apps"], "resources": ["configmaps", "pods"],
        "resourceNames": ["a", "b"]}
    with pytest.raises(ValueError, match="resource rule must have apiGroups"):
        rule(("get",), resources=("pods",))


# -- kubectl auth can-i -------------------------------------------------------------------------
def test_self_subject_access_review_answers_can_i(authorizer):
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": "dev", "verb": "list", "resource": "pods"}}}
    yes = self_subject_access_review(authorizer, UserInfo("alice", "", (AUTHENTICATED,)), body)
    assert yes == {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                   "metadata": {"creationTimestamp": None}, "spec": body["spec"],
                   "status": {"allowed": True,
                              "reason": 'RBAC: allowed by RoleBinding "read-pods/dev" of Role "pod-reader" to User "alice"'}}
    no = self_subject_access_review(authorizer, UserInfo("bob", "", (AUTHENTICATED,)), body)
    assert no["status"] == {"allowed": False}
    path = self_subject_access_review(authorizer, UserInfo("bob", "", (AUTHENTICATED,)),
                                      {"spec": {"nonResourceAttributes": {"path": "/version", "verb": "get"}}})
    assert path["status"]["allowed"] is True


@pytest.mark.parametrize("spec, message", [
    pytest.param({}, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
                 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
                 id="a review must ask about something"),
    pytest.param({"resourceAttributes": {"verb": "get"}, "nonResourceAttributes": {"path": "/api", "verb": "get"}},
                 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid '
                 'value: authorization.NonResourceAttributes{Path:"/api", Verb:"get"}: cannot be specified in '
                 'combination with resourceAttributes', id="and about one kind of thing"),
])
def test_an_invalid_access_review_is_422(authorizer, spec, message):
    with pytest.raises(errors.StatusError) as err:
        self_subject_access_review(authorizer, UserInfo("alice"), {"spec": spec})
    assert (err.value.code, err.value.message) == (422, message)


def test_subject_access_review_asks_about_someone_else(authorizer):
    review = subject_access_review(authorizer, {"spec": {"user": "alice", "resourceAttributes": {
        "namespace": "dev", "verb": "get", "resource": "configmaps", "name": "app-config"}}})
    assert review["status"]["allowed"] is True
    with pytest.raises(errors.StatusError):
        subject_access_review(authorizer, {"spec": {"resourceAttributes": {"verb": "get"}}})


def test_self_subject_rules_review_lists_my_rules(node_chain):
    review = self_subject_rules_review(node_chain, UserInfo("alice", "", (AUTHENTICATED,)), {"spec": {"namespace": "dev"}})
    status = review["status"]
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods"]} in status["resourceRules"]
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]} in status["resourceRules"]
    assert {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                   "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]} \
        in status["nonResourceRules"]
    assert status["incomplete"] is False
    node = self_subject_rules_review(node_chain, UserInfo(NODE1[0], "", NODE1[1]), {"spec": {"namespace": "shop"}})
    assert node["status"]["incomplete"] is True
    assert node["status"]["evaluationError"] == "node authorizer does not support user rule resolution"


def test_attributes_carry_the_users_uid_and_the_requests_field_selector():
    a = attributes_for(Request("GET", "/api/v1/pods", (("fieldSelector", "spec.nodeName=n1,status.phase!=Failed"),)),
                       parse_request_info("GET", "/api/v1/pods"), UserInfo("u", "42", ("g",)))
    assert a == Attributes("u", ("g",), "list", "", "v1", "pods", "", "", "", "/api/v1/pods", True, "42", (),
                           (("spec.nodeName", "=", "n1"), ("status.phase", "!=", "Failed")))
