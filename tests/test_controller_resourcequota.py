"""The ResourceQuota controller on the public Cluster surface, in virtual time: status.used follows
creates, deletes and pods that finish; scopes; the full resync; and the admission check that refuses
once used reaches hard."""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.tables import to_table
from k8slite.controllers.resourcequota import ResourceQuotaController, equal_lists, resources_for

PODS = SCHEME.by_resource("", "pods")
QUOTAS = SCHEME.by_resource("", "resourcequotas")

QUOTA = """
apiVersion: v1
kind: ResourceQuota
metadata: {name: %(name)s}
spec:
  hard: {%(hard)s}%(extra)s
"""
POD = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s}
spec:
  nodeName: ghost
  containers: [{name: app, image: nginx%(resources)s}]%(extra)s
"""


def quota(name, hard, extra=""):
    return QUOTA % {"name": name, "hard": hard, "extra": extra}


def pod(name, cpu=None, memory=None, limit_memory=None, extra=""):
    """A pod bound to a node that does not exist: no kubelet runs it, so only the test moves its phase."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    resources = ""
    if requests or limit_memory:
        parts = []
        if requests:
            parts.append("requests: {%s}" % ", ".join(f"{k}: {v}" for k, v in requests.items()))
        if limit_memory:
            parts.append(f"limits: {{memory: {limit_memory}}}")
        resources = ", resources: {%s}" % ", ".join(parts)
    return POD % {"name": name, "resources": resources, "extra": extra}


def used(c, name, namespace="default"):
    for q in c.objects("resourcequotas", namespace):
        if q["metadata"]["name"] == name:
            return (q.get("status") or {}).get("used")
    return None


def settles(c, name, expected, limit=10.0):
    """Run until the quota's status.used is ``expected``; returns how long that took."""
    try:
        return c.run_until(lambda: used(c, name) == expected, limit=limit, step=0.1)
    except TimeoutError:
        assert used(c, name) == expected
        raise


def run(c, coro):
    return c.kernel.run_until_complete(coro, limit=60)


@pytest.fixture
def c():
    return Cluster.up(nodes=1, seed=3)


def test_used_follows_creates_and_deletes_of_each_kind(c):
    c.kubectl.apply(quota("objects", 'configmaps: "5", secrets: "5", services: "5", services.nodeports: "4", '
                                     'services.loadbalancers: "2", persistentvolumeclaims: "3", '
                                     'requests.storage: 10Gi, count/deployments.apps: "2", resourcequotas: "3"'))
    zero = {"configmaps": "0", "count/deployments.apps": "0", "persistentvolumeclaims": "0", "requests.storage": "0",
            "resourcequotas": "1", "secrets": "0", "services": "1", "services.loadbalancers": "0",
            "services.nodeports": "0"}
    settles(c, "objects", zero)         # the default namespace's "kubernetes" Service, and this quota itself
    c.kubectl.apply("""
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{name: http, port: 80}, {name: tls, port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1536Mi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
""")
    settles(c, "objects", {"configmaps": "1", "count/deployments.apps": "1", "persistentvolumeclaims": "1",
                           "requests.storage": "1536Mi", "resourcequotas": "1", "secrets": "1", "services": "3",
                           "services.loadbalancers": "1", "services.nodeports": "3"})
    for kind, name in (("configmap", "settings"), ("secret", "token"), ("service", "web"), ("service", "lb"),
                       ("pvc", "data"), ("deployment", "web")):
        c.kubectl(f"delete {kind} {name} --wait=false")
    settles(c, "objects", zero, limit=30)
    row = to_table(QUOTAS, c.objects("resourcequotas", "default"), c.now)["rows"][0]["cells"]
    assert "configmaps: 0/5" in row[2] and "requests.storage: 0/10Gi" in row[2]


def test_pods_count_their_requests_and_limits_until_they_finish(c):
    c.kubectl.apply(quota("compute", 'pods: "10", count/pods: "10", requests.cpu: "2", requests.memory: 2Gi, '
                                     'limits.memory: 4Gi'))
    settles(c, "compute", {"count/pods": "0", "limits.memory": "0", "pods": "0", "requests.cpu": "0",
                           "requests.memory": "0"})
    c.kubectl.apply(pod("a", cpu="250m", memory="128Mi", limit_memory="256Mi") + "---" +
                    pod("b", cpu="500m", memory="128Mi", limit_memory="256Mi"))
    settles(c, "compute", {"count/pods": "2", "limits.memory": "512Mi", "pods": "2", "requests.cpu": "750m",
                           "requests.memory": "256Mi"})
    # the kubelet would report the finished pod: it stops counting against pods and compute, not count/pods
    run(c, c.admin.patch(PODS, "default", "a", {"status": {"phase": "Succeeded"}}, subresource="status"))
    took = settles(c, "compute", {"count/pods": "2", "limits.memory": "256Mi", "pods": "1", "requests.cpu": "500m",
                                  "requests.memory": "128Mi"})
    assert took < 5          # the monitor's replenishment, not the 5-minute resync
    c.kubectl("delete pod b --grace-period=0")
    settles(c, "compute", {"count/pods": "1", "limits.memory": "0", "pods": "0", "requests.cpu": "0",
                           "requests.memory": "0"})


def test_admission_refuses_a_pod_once_used_would_pass_hard_and_admits_it_after_a_delete(c):
    c.kubectl.apply(quota("small", 'pods: "2", requests.cpu: "1"'))
    settles(c, "small", {"pods": "0", "requests.cpu": "0"})
    c.kubectl.apply(pod("a", cpu="600m") + "---" + pod("b", cpu="300m"))
    settles(c, "small", {"pods": "2", "requests.cpu": "900m"})
    refused = c.kubectl.apply(pod("c", cpu="100m"))
    assert refused.stderr == ('Error from server (Forbidden): error when creating "STDIN": pods "c" is forbidden: '
                              'exceeded quota: small, requested: pods=1, used: pods=2, limited: pods=2\n')
    c.kubectl("delete pod b --grace-period=0")
    settles(c, "small", {"pods": "1", "requests.cpu": "600m"})
    refused = c.kubectl.apply(pod("c", cpu="500m"))
    assert "exceeded quota: small, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1" \
        in refused.stderr
    assert c.kubectl.apply(pod("c", cpu="400m")).exit_code == 0
    settles(c, "small", {"pods": "2", "requests.cpu": "1"})
    assert "must specify requests.cpu" in c.kubectl.apply(pod("d")).stderr


@pytest.mark.parametrize("scope, counted", [
    ("scopes: [BestEffort]", ["besteffort", "deadline"]),
    ("scopes: [NotBestEffort]", ["burstable", "important"]),
    ("scopes: [Terminating]", ["deadline"]),
    ("scopes: [NotTerminating]", ["besteffort", "burstable", "important"]),
    ("scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}", ["important"]),
    ("scopes: [NotTerminating, NotBestEffort]", ["burstable", "important"]),
], ids=["BestEffort counts pods without any requests or limits",
        "NotBestEffort counts pods with some",
        "Terminating counts pods with activeDeadlineSeconds",
        "NotTerminating counts the others",
        "a PriorityClass selector counts pods of the listed classes",
        "two scopes must both hold"])
def test_scopes_pick_the_pods_a_quota_counts(scope, counted):
    c = Cluster.up(nodes=1, seed=5)
    c.kubectl.apply("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n")
    c.kubectl.apply(quota("scoped", 'pods: "10"', "\n  " + scope))
    c.kubectl.apply(pod("besteffort") + "---" + pod("burstable", cpu="100m") + "---" +
                    pod("deadline", extra="\n  activeDeadlineSeconds: 60") + "---" +
                    pod("important", cpu="100m", extra="\n  priorityClassName: high"))
    settles(c, "scoped", {"pods": str(len(counted))})
    for name in counted:          # each counted pod's deletion is seen promptly
        c.kubectl(f"delete pod {name} --grace-period=0")
    settles(c, "scoped", {"pods": "0"})


def test_status_hard_follows_spec_and_a_lost_update_waits_for_the_full_resync(c):
    c.kubectl.apply(quota("q", 'configmaps: "3"'))
    settles(c, "q", {"configmaps": "0"})
    c.kubectl.apply(quota("q", 'configmaps: "5", secrets: "1000m"'))
    c.run_until(lambda: (c.objects("resourcequotas", "default")[0].get("status") or {}).get("hard") ==
                {"configmaps": "5", "secrets": "1"}, limit=10, step=0.1)
    settles(c, "q", {"configmaps": "0", "secrets": "0"})
    # someone writes a wrong status; nothing the controller watches changes, so it stays until the resync
    q = c.objects("resourcequotas", "default")[0]
    run(c, c.admin.update_status(QUOTAS, {**q, "status": {"hard": q["status"]["hard"],
                                                           "used": {"configmaps": "7", "secrets": "0"}}}))
    c.run(60)
    assert used(c, "q") == {"configmaps": "7", "secrets": "0"}
    took = settles(c, "q", {"configmaps": "0", "secrets": "0"}, limit=300)
    assert took > 120       # not a prompt recalculation: the 5-minute full resync
    c.kubectl.apply(quota("q", 'secrets: "1"'))          # a name dropped from spec.hard leaves status too
    settles(c, "q", {"secrets": "0"})
    assert c.objects("resourcequotas", "default")[0]["status"]["hard"] == {"secrets": "1"}


def test_quotas_in_other_namespaces_are_not_charged(c):
    c.kubectl.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n")
    c.kubectl.apply(quota("q", 'configmaps: "2"'))
    in_team = quota("q", 'configmaps: "2"').replace("metadata: {name: q}", "metadata: {name: q, namespace: team}")
    c.kubectl.apply(in_team)
    c.kubectl.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: team}\n")
    c.run_until(lambda: used(c, "q", "team") == {"configmaps": "1"}, limit=10, step=0.1)
    assert used(c, "q") == {"configmaps": "0"}


@pytest.mark.parametrize("name, resources", [
    ("count/deployments.apps", [("apps", "deployments")]),
    ("count/pods", [("", "pods")]),
    ("requests.cpu", [("", "pods")]),
    ("services.nodeports", [("", "services")]),
    ("gold.storageclass.storage.k8s.io/requests.storage", [("", "persistentvolumeclaims")]),
    ("secrets", [("", "secrets")]),
])
def test_resources_for_a_quota_name(name, resources):
    assert resources_for(name) == resources


def test_quantities_compare_by_value_not_spelling():
    assert equal_lists({"cpu": "1000m", "memory": "1Gi"}, {"cpu": "1", "memory": "1024Mi"})
    assert not equal_lists({"cpu": "1"}, {"cpu": "1", "pods": "0"})
    assert not equal_lists({"cpu": "1"}, {"cpu": "2"})


def test_the_controller_manager_runs_the_quota_controller():
    assert isinstance(Cluster.up(nodes=1, seed=2).controller_manager.controllers["resourcequota"],
                      ResourceQuotaController)
