"""Server-side printing: the Tables k8slite's API server answers `kubectl get` with.

Cells are checked against printers.go's rules, whole tables against what the real kubectl
prints from them (through test_discovery's loopback KubectlStub).
"""
from __future__ import annotations

import copy

import pytest
from test_discovery import CRONTAB_CRD, KubectlStub, scheme_with_crd

from k8slite import Cluster
from k8slite.api import errors
from k8slite.api.meta import parse_rfc3339
from k8slite.api.scheme import SCHEME
from k8slite.apiserver import tables
from k8slite.apiserver.tables import crd_printer_columns, human_duration, table_for_object, to_table

KUBECTL_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io," \
                 "application/json"
MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
"""
NOW = 600.0       # for synthetic objects: ten minutes after the epoch


def age(cluster, resource: str, name: str) -> str:
    """The AGE column of one object now, from its creationTimestamp and the cluster's clock."""
    obj = next(o for o in cluster.objects(resource) if o["metadata"]["name"] == name)
    return human_duration(cluster.now - parse_rfc3339(obj["metadata"]["creationTimestamp"]))


@pytest.fixture(scope="module")
def cluster():
    c = Cluster.up(nodes=2, seed=1)
    c.kubectl.apply(MANIFEST)
    c.run(30)
    return c


def info(resource: str, group: str = ""):
    return SCHEME.by_resource(group, resource)


def names(table: dict) -> list[str]:
    return [c["name"] for c in table["columnDefinitions"]]


def cells(resource: str, obj: dict, group: str = "", now: float = NOW) -> list:
    return table_for_object(info(resource, group), obj, now)["rows"][0]["cells"]


def at(seconds: int) -> str:
    return f"2024-01-01T00:{seconds // 60:02d}:{seconds % 60:02d}Z"


# --- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, expected", [
    (-5, "<invalid>"), (-1.5, "0s"), (0, "0s"), (59.9, "59s"), (119, "119s"), (120, "2m"), (125, "2m5s"),
    (599, "9m59s"), (600, "10m"), (179 * 60 + 59, "179m"), (3 * 3600, "3h"), (3 * 3600 + 240, "3h4m"),
    (8 * 3600 + 59, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"), (51 * 3600, "2d3h"), (8 * 86400, "8d"),
    (729 * 86400, "729d"), (730 * 86400, "2y"), (731 * 86400, "2y1d"), (8 * 365 * 86400, "8y"),
], ids=lambda v: str(v))
def test_ages_read_as_humanduration_writes_them(seconds, expected):
    assert human_duration(seconds) == expected


@pytest.mark.parametrize("accept, expected", [
    (KUBECTL_ACCEPT, "meta.k8s.io/v1"),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", "meta.k8s.io/v1beta1"),
    ("application/json", None),
    ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", None),
    ("application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io", "meta.k8s.io/v1"),
    ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json", None),
    ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json", None),
    ("", None),
], ids=["kubectl get", "v1beta1 Table", "plain JSON", "JSON first", "Table preferred by q", "unknown Table version",
        "not a Table", "no Accept"])
def test_a_table_is_served_when_the_first_acceptable_media_type_asks_for_one(accept, expected):
    assert tables.negotiate_table(accept) == expected
    assert tables.wants_table(accept) is (expected is not None)


def test_the_content_type_names_the_table_version():
    assert tables.table_content_type("meta.k8s.io/v1") == "application/json;as=Table;v=v1;g=meta.k8s.io"


# --- the Table shape -------------------------------------------------------------------------

def test_a_pod_list_is_a_table_of_every_column_with_metadata_rows(cluster):
    pods = cluster.objects("pods")
    table = to_table(info("pods"), pods, cluster.now, list_meta={"resourceVersion": "70"})
    assert list(table) == ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"]
    assert (table["kind"], table["apiVersion"], table["metadata"]) == ("Table", "meta.k8s.io/v1", {"resourceVersion": "70"})
    assert [(c["name"], c["type"], c["format"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", "name", 0), ("Ready", "string", "", 0), ("Status", "string", "", 0),
        ("Restarts", "string", "", 0), ("Age", "string", "", 0), ("IP", "string", "", 1), ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1), ("Readiness Gates", "string", "", 1)]
    assert table["columnDefinitions"][0]["description"].startswith("Name must be unique within a namespace.")
    assert table["columnDefinitions"][4]["description"].startswith("CreationTimestamp is a timestamp")
    assert [r["cells"] for r in table["rows"]] == [
        [p["metadata"]["name"], "1/1", "Running", "0", "30s", p["status"]["podIP"], p["spec"]["nodeName"], "<none>",
         "<none>"] for p in pods]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2"]
    row = table["rows"][0]
    assert list(row) == ["cells", "object"]
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": pods[0]["metadata"]}


def test_include_object_embeds_the_whole_object_or_nothing(cluster):
    pods = cluster.objects("pods")
    assert to_table(info("pods"), pods, cluster.now, "Object")["rows"][0]["object"] is pods[0]
    assert to_table(info("pods"), pods, cluster.now, "None")["rows"][0]["object"] is None
    assert to_table(info("pods"), pods, cluster.now, "")["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_an_unknown_include_object_is_a_bad_request(cluster):
    with pytest.raises(errors.StatusError) as err:
        to_table(info("pods"), cluster.objects("pods"), cluster.now, "Everything")
    assert err.value.code == 400
    assert err.value.message == ("Unable to convert to Table as requested: includeObject: Invalid value: "
                                 "\"Everything\": must be 'Metadata', 'Object', 'None', or empty")


def test_a_single_object_carries_its_resource_version_and_a_watch_sends_headers_once(cluster):
    pod = cluster.objects("pods")[0]
    table = table_for_object(info("pods"), pod, cluster.now)
    assert table["metadata"] == {"resourceVersion": pod["metadata"]["resourceVersion"]}
    assert len(table["rows"]) == 1
    assert table_for_object(info("pods"), pod, cluster.now, no_headers=True)["columnDefinitions"] is None


def test_list_metadata_carries_continue_and_remaining_item_count():
    meta = {"resourceVersion": "9", "continue": "token", "remainingItemCount": 3}
    assert to_table(info("configmaps"), [], NOW, list_meta=meta)["metadata"] == meta
    assert to_table(info("configmaps"), [], NOW)["rows"] == []


def test_a_v1beta1_table_names_that_version_in_its_rows(cluster):
    table = to_table(info("nodes"), cluster.objects("nodes"), cluster.now, api_version="meta.k8s.io/v1beta1")
    assert table["apiVersion"] == table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


# --- cells from the running cluster -------------------------------------------------------------

def test_nodes_show_readiness_roles_and_the_wide_system_info(cluster):
    rows = {r["cells"][0]: r["cells"] for r in to_table(info("nodes"), cluster.objects("nodes"), cluster.now)["rows"]}
    assert rows["control-plane"] == ["control-plane", "Ready", "control-plane", age(cluster, "nodes", "control-plane"), "v1.31.0", "172.18.0.2", "<none>",
                                     "Debian GNU/Linux 12 (bookworm)", "6.1.0-k8slite", "containerd://1.7.22"]
    assert rows["node-1"][:3] == ["node-1", "Ready", "<none>"]


def test_a_cordoned_node_is_scheduling_disabled_and_an_unreported_one_unknown(cluster):
    node = copy.deepcopy(cluster.objects("nodes")[1])
    node["spec"]["unschedulable"] = True
    assert cells("nodes", node)[1] == "Ready,SchedulingDisabled"
    node["status"]["conditions"] = [c for c in node["status"]["conditions"] if c["type"] != "Ready"]
    assert cells("nodes", node)[1] == "Unknown,SchedulingDisabled"
    node["metadata"]["labels"].update({"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "infra"})
    assert cells("nodes", node)[2] == "infra,worker"


def test_deployments_replicasets_and_services_as_the_cluster_runs_them(cluster):
    [deployment] = cluster.objects("deployments")
    [rs] = cluster.objects("replicasets")
    hash_ = rs["metadata"]["labels"]["pod-template-hash"]
    assert cells("deployments", deployment, "apps", cluster.now) == ["web", "2/2", 2, 2, "30s", "web", "nginx:1.25",
                                                                     "app=web"]
    assert cells("replicasets", rs, "apps", cluster.now) == [f"web-{hash_}", 2, 2, 2, "30s", "web", "nginx:1.25",
                                                             f"app=web,pod-template-hash={hash_}"]
    services = to_table(info("services"), cluster.objects("services"), cluster.now)["rows"]
    web_ip = cluster.objects("services")[1]["spec"]["clusterIP"]
    assert [r["cells"] for r in services] == [
        ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", age(cluster, "services", "kubernetes"), "<none>"],
        ["web", "ClusterIP", web_ip, "<none>", "80/TCP", "30s", "app=web"]]


def test_events_namespaces_leases_and_service_accounts(cluster):
    [first] = [e for e in cluster.objects("events") if e["reason"] == "Scheduled"][:1]
    assert cells("events", first, now=cluster.now) == [
        "30s", "Normal", "Scheduled", f"pod/{first['involvedObject']['name']}", "", "default-scheduler",
        first["message"], "30s", 1, first["metadata"]["name"]]
    assert [r["cells"] for r in to_table(info("namespaces"), cluster.objects("namespaces"), cluster.now)["rows"]] == [
        [ns, "Active", age(cluster, "namespaces", ns)] for ns in ("default", "kube-node-lease", "kube-public", "kube-system")]
    lease = cluster.objects("leases")[0]
    assert cells("leases", lease, "coordination.k8s.io", cluster.now) == ["control-plane", "control-plane",
                                                                       age(cluster, "leases", "control-plane")]
    assert cells("serviceaccounts", cluster.objects("serviceaccounts")[0], now=cluster.now) == [
        "default", 0, human_duration(cluster.now - parse_rfc3339(
            cluster.objects("serviceaccounts")[0]["metadata"]["creationTimestamp"]))]


# --- printPod's STATUS, READY and RESTARTS ----------------------------------------------------

def pod(phase="Running", containers=1, statuses=(), init=(), init_statuses=(), conditions=(), **extra) -> dict:
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": "default", "creationTimestamp": at(0), "resourceVersion": "7"},
           "spec": {"containers": [{"name": f"c{i}", "image": "busybox"} for i in range(containers)],
                    "initContainers": list(init), "nodeName": "node-1"},
           "status": {"phase": phase, "conditions": list(conditions), "containerStatuses": list(statuses),
                      "initContainerStatuses": list(init_statuses)}}
    for key, value in extra.items():
        (obj["metadata"] if key in ("deletionTimestamp",) else obj["status"])[key] = value
    return obj


def running(ready=True, restarts=0, last_finished=None, name="c0"):
    cs = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": at(10)}},
          "lastState": {}}
    if last_finished:
        cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last_finished}}
    return cs


def waiting(reason, restarts=0, name="c0", last_finished=None):
    cs = {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}},
          "lastState": {}}
    if last_finished:
        cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last_finished}}
    return cs


def terminated(exit_code=0, reason=None, signal=None, name="c0"):
    term = {"exitCode": exit_code, "finishedAt": at(20)}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": term}, "lastState": {}}


READY = {"type": "Ready", "status": "True"}
INITIALIZED = {"type": "Initialized", "status": "True"}
SIDECAR = {"name": "proxy", "image": "envoy", "restartPolicy": "Always"}


@pytest.mark.parametrize("obj, ready, status, restarts", [
    (pod("Pending", statuses=[]), "0/1", "Pending", "0"),
    (pod("Pending", statuses=[waiting("ContainerCreating")]), "0/1", "ContainerCreating", "0"),
    (pod(statuses=[running()], conditions=[READY]), "1/1", "Running", "0"),
    (pod(statuses=[waiting("CrashLoopBackOff", restarts=3, last_finished=at(590))]), "0/1", "CrashLoopBackOff",
     "3 (10s ago)"),
    (pod(statuses=[running(restarts=2, last_finished=at(300))], conditions=[READY]), "1/1", "Running", "2 (5m ago)"),
    (pod("Succeeded", statuses=[terminated(0, "Completed")]), "0/1", "Completed", "0"),
    (pod("Failed", statuses=[terminated(1, "Error")]), "0/1", "Error", "0"),
    (pod("Running", statuses=[terminated(1)]), "0/1", "ExitCode:1", "0"),
    (pod("Running", statuses=[terminated(137, signal=9)]), "0/1", "Signal:9", "0"),
    (pod(containers=2, statuses=[running(name="c0"), terminated(0, "Completed", name="c1")], conditions=[READY]),
     "1/2", "Running", "0"),
    (pod(containers=2, statuses=[running(name="c0"), terminated(0, "Completed", name="c1")]), "1/2", "NotReady", "0"),
    (pod(statuses=[running()], deletionTimestamp=at(500)), "1/1", "Terminating", "0"),
    (pod("Succeeded", statuses=[terminated(0, "Completed")], deletionTimestamp=at(500)), "0/1", "Completed", "0"),
    (pod(statuses=[running()], reason="NodeLost", deletionTimestamp=at(500)), "1/1", "Unknown", "0"),
    (pod("Pending", reason="Evicted"), "0/1", "Evicted", "0"),
    (pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     "0/1", "SchedulingGated", "0"),
    (pod("Pending", init=[{"name": "i0"}], init_statuses=[waiting("PodInitializing", name="i0")],
         statuses=[waiting("PodInitializing")]), "0/1", "Init:0/1", "0"),
    (pod("Pending", init=[{"name": "i0"}], init_statuses=[waiting("CrashLoopBackOff", 4, "i0", at(540))]),
     "0/1", "Init:CrashLoopBackOff", "4 (60s ago)"),
    (pod("Pending", init=[{"name": "i0"}], init_statuses=[terminated(1, "Error", name="i0")]), "0/1", "Init:Error", "0"),
    (pod("Pending", init=[{"name": "i0"}], init_statuses=[terminated(2, name="i0")]), "0/1", "Init:ExitCode:2", "0"),
    (pod(init=[SIDECAR], init_statuses=[{**running(name="proxy"), "started": True}], statuses=[running()],
         conditions=[INITIALIZED, READY]), "2/2", "Running", "0"),
], ids=["scheduled nowhere yet", "pulling", "running", "crash looping", "restarted and running", "completed",
        "failed", "exit code without a reason", "killed by a signal", "one of two completed while one runs",
        "one completed, pod not ready", "being deleted", "a finished pod being deleted keeps its status",
        "on a lost node", "evicted", "scheduling gated", "init container starting", "init container crash looping",
        "init container failed", "init container exit code", "a running sidecar counts as ready"])
def test_pod_status_as_printpod_sums_it_up(obj, ready, status, restarts):
    assert cells("pods", obj)[1:4] == [ready, status, restarts]


def test_a_finished_pod_row_carries_the_completed_condition():
    succeeded = table_for_object(info("pods"), pod("Succeeded", statuses=[terminated(0, "Completed")]), NOW)
    assert succeeded["rows"][0]["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                                  "message": "The pod has completed successfully."}]
    failed = table_for_object(info("pods"), pod("Failed", statuses=[terminated(1, "Error")]), NOW)
    assert failed["rows"][0]["conditions"][0]["reason"] == "Failed"
    assert "conditions" not in table_for_object(info("pods"), pod(statuses=[running()]), NOW)["rows"][0]


def test_wide_pod_columns_show_ip_node_nomination_and_readiness_gates():
    obj = pod(statuses=[running()], conditions=[READY, {"type": "example.com/gate", "status": "False"}],
              podIP="10.244.1.5", podIPs=[{"ip": "10.244.1.5"}], nominatedNodeName="node-2")
    obj["spec"]["readinessGates"] = [{"conditionType": "example.com/gate"}]
    assert cells("pods", obj)[5:] == ["10.244.1.5", "node-1", "node-2", "0/1"]
    assert cells("pods", pod("Pending"))[5:] == ["<none>", "node-1", "<none>", "<none>"]


# --- the other printers, from synthetic objects ------------------------------------------------

def meta(name="x", namespace="default", **extra):
    return {"name": name, "namespace": namespace, "creationTimestamp": at(0), "resourceVersion": "3", **extra}


POD_TEMPLATE = {"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "log", "image": "fluent:2"}]}}


@pytest.mark.parametrize("resource, group, obj, expected", [
    ("statefulsets", "apps", {"metadata": meta("db"), "spec": {"replicas": 3, "template": POD_TEMPLATE},
                              "status": {"readyReplicas": 1}},
     ["db", "1/3", "10m", "app,log", "app:1,fluent:2"]),
    ("daemonsets", "apps", {"metadata": meta("agent"), "spec": {
        "selector": {"matchLabels": {"app": "agent"}, "matchExpressions": [{"key": "tier", "operator": "In",
                                                                              "values": ["b", "a"]}]},
        "template": {"spec": {**POD_TEMPLATE["spec"], "nodeSelector": {"kubernetes.io/os": "linux"}}}},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                   "updatedNumberScheduled": 3, "numberAvailable": 2}},
     ["agent", 3, 3, 2, 3, 2, "kubernetes.io/os=linux", "10m", "app,log", "app:1,fluent:2", "app=agent,tier in (a,b)"]),
    ("jobs", "batch", {"metadata": meta("pi"), "spec": {"completions": 1, "template": POD_TEMPLATE,
                                                        "selector": {"matchLabels": {"job-name": "pi"}}},
                       "status": {"succeeded": 1, "startTime": at(60), "completionTime": at(95),
                                  "conditions": [{"type": "Complete", "status": "True"}]}},
     ["pi", "Complete", "1/1", "35s", "10m", "app,log", "app:1,fluent:2", "job-name=pi"]),
    ("jobs", "batch", {"metadata": meta("w"), "spec": {"parallelism": 3, "template": POD_TEMPLATE},
                       "status": {"succeeded": 0, "startTime": at(480)}},
     ["w", "Running", "0/1 of 3", "2m", "10m", "app,log", "app:1,fluent:2", "<none>"]),
    ("cronjobs", "batch", {"metadata": meta("hello"), "spec": {
        "schedule": "*/1 * * * *", "suspend": False,
        "jobTemplate": {"spec": {"template": POD_TEMPLATE}}},
        "status": {"active": [{"name": "hello-1"}], "lastScheduleTime": at(540)}},
     ["hello", "*/1 * * * *", "<none>", "False", 1, "60s", "10m", "app,log", "app:1,fluent:2", "<none>"]),
    ("replicationcontrollers", "", {"metadata": meta("rc"), "spec": {"replicas": 2, "selector": {"app": "rc"},
                                                                   "template": POD_TEMPLATE},
                                    "status": {"replicas": 2, "readyReplicas": 1}},
     ["rc", 2, 2, 1, "10m", "app,log", "app:1,fluent:2", "app=rc"]),
    ("configmaps", "", {"metadata": meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}},
     ["cfg", 3, "10m"]),
    ("secrets", "", {"metadata": meta("tls"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}},
     ["tls", "kubernetes.io/tls", 2, "10m"]),
    ("endpoints", "", {"metadata": meta("web"), "subsets": [
        {"addresses": [{"ip": f"10.244.1.{i}"} for i in range(2, 6)], "ports": [{"port": 80, "protocol": "TCP"}]}]},
     ["web", "10.244.1.2:80,10.244.1.3:80,10.244.1.4:80 + 1 more...", "10m"]),
    ("endpoints", "", {"metadata": meta("empty")}, ["empty", "<none>", "10m"]),
    ("endpointslices", "discovery.k8s.io", {"metadata": meta("web-abcde"), "addressType": "IPv4",
                                            "ports": [{"name": "http", "port": 80}],
                                            "endpoints": [{"addresses": ["10.244.1.2"]}, {"addresses": ["10.244.2.3"]}]},
     ["web-abcde", "IPv4", "80", "10.244.1.2,10.244.2.3", "10m"]),
    ("endpointslices", "discovery.k8s.io", {"metadata": meta("none"), "addressType": "IPv4"},
     ["none", "IPv4", "<unset>", "<unset>", "10m"]),
    ("services", "", {"metadata": meta("lb"), "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.9",
                                                       "clusterIPs": ["10.96.0.9"],
                                                       "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]},
                      "status": {"loadBalancer": {}}},
     ["lb", "LoadBalancer", "10.96.0.9", "<pending>", "80:30080/TCP", "10m", "<none>"]),
    ("services", "", {"metadata": meta("db"), "spec": {"type": "ExternalName", "externalName": "db.example.com"}},
     ["db", "ExternalName", "<none>", "db.example.com", "<none>", "10m", "<none>"]),
    ("persistentvolumes", "", {"metadata": meta("pv1", ""), "spec": {
        "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "standard",
        "claimRef": {"namespace": "default", "name": "data"}, "volumeMode": "Filesystem"},
        "status": {"phase": "Bound"}},
     ["pv1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "standard", "<unset>", "", "10m", "Filesystem"]),
    ("persistentvolumeclaims", "", {"metadata": meta("data"), "spec": {"volumeName": "pv1", "storageClassName": "standard"},
                                    "status": {"phase": "Bound", "capacity": {"storage": "10Gi"},
                                               "accessModes": ["ReadWriteOnce"]}},
     ["data", "Bound", "pv1", "10Gi", "RWO", "standard", "<unset>", "10m", "<unset>"]),
    ("horizontalpodautoscalers", "autoscaling", {"metadata": meta("web"), "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                "averageUtilization": 50}}},
                    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                                   "averageValue": "100Mi"}}}]},
        "status": {"currentReplicas": 2, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 22}}}]}},
     ["web", "Deployment/web", "cpu: 22%/50%, memory: <unknown>/100Mi", "1", 10, 2, "10m"]),
    ("horizontalpodautoscalers", "autoscaling", {"metadata": meta("new"), "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}},
     ["new", "Deployment/web", "<none>", "<unset>", 3, 0, "10m"]),
    ("poddisruptionbudgets", "policy", {"metadata": meta("pdb"), "spec": {"minAvailable": "50%"},
                                        "status": {"disruptionsAllowed": 1}},
     ["pdb", "50%", "N/A", 1, "10m"]),
    ("rolebindings", "rbac.authorization.k8s.io", {"metadata": meta("rb"), "roleRef": {"kind": "ClusterRole",
                                                                                       "name": "view"},
                                                   "subjects": [{"kind": "User", "name": "alice"},
                                                                {"kind": "Group", "name": "devs"},
                                                                {"kind": "ServiceAccount", "namespace": "ci",
                                                                 "name": "builder"},
                                                                {"kind": "User", "name": "bob"}]},
     ["rb", "ClusterRole/view", "10m", "alice, bob", "devs", "ci/builder"]),
    ("priorityclasses", "scheduling.k8s.io", {"metadata": meta("high", ""), "value": 1000, "globalDefault": False,
                                             "preemptionPolicy": "PreemptLowerPriority"},
     ["high", 1000, False, "10m", "PreemptLowerPriority"]),
    ("storageclasses", "storage.k8s.io", {"metadata": meta("standard", "", annotations={
        "storageclass.kubernetes.io/is-default-class": "true"}), "provisioner": "rancher.io/local-path"},
     ["standard (default)", "rancher.io/local-path", "Delete", "Immediate", False, "10m"]),
    ("resourcequotas", "", {"metadata": meta("quota"), "status": {
        "hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "2Gi"},
        "used": {"pods": "3", "requests.cpu": "500m", "limits.memory": "512Mi"}}},
     ["quota", "10m", "pods: 3/10, requests.cpu: 500m/2", "limits.memory: 512Mi/2Gi"]),
    ("controllerrevisions", "apps", {"metadata": meta("web-6b5f", ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}]), "revision": 2},
     ["web-6b5f", "statefulset.apps/web", 2, "10m"]),
    ("ingresses", "networking.k8s.io", {"metadata": meta("site"), "spec": {
        "ingressClassName": "nginx", "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
        "tls": [{"hosts": ["a.example.com"]}]}, "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}},
     ["site", "nginx", "a.example.com,b.example.com", "203.0.113.7", "80, 443", "10m"]),
    ("networkpolicies", "networking.k8s.io", {"metadata": meta("deny"), "spec": {"podSelector": {}}},
     ["deny", "<none>", "10m"]),
], ids=["a statefulset: ready of desired", "a daemonset: counts, node selector, selector expressions",
        "a completed job: status, completions, duration", "a parallel job still running",
        "a cronjob: schedule, active jobs, last schedule", "a replication controller: selector as labels",
        "a configmap counts data and binary data", "a secret: type and keys",
        "endpoints: the first three then how many more", "endpoints with no subsets",
        "an endpointslice: ports and addresses", "an empty endpointslice is unset",
        "a load balancer waiting for an address", "an external name", "a bound persistent volume",
        "a bound claim", "an autoscaler with one metric observed", "an autoscaler not yet observed",
        "a disruption budget by percentage", "a role binding's subjects by kind", "a priority class",
        "the default storage class", "a resource quota splits requests and limits", "a controller revision's owner",
        "an ingress with TLS", "a network policy selecting every pod"])
def test_each_kind_prints_the_cells_printers_go_gives_it(resource, group, obj, expected):
    assert cells(resource, obj, group) == expected
    assert len(expected) == len(tables.columns_for(info(resource, group)))


@pytest.mark.parametrize("resource, group, columns", [
    ("events", "", ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count",
                    "Name"]),
    ("deployments", "apps", ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"]),
    ("jobs", "batch", ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]),
    ("cronjobs", "batch", ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers",
                           "Images", "Selector"]),
    ("services", "", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]),
    ("persistentvolumes", "", ["Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
                               "VolumeAttributesClass", "Reason", "Age", "VolumeMode"]),
    ("horizontalpodautoscalers", "autoscaling", ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas",
                                                 "Age"]),
    ("roles", "rbac.authorization.k8s.io", ["Name", "Created At"]),
    ("customresourcedefinitions", "apiextensions.k8s.io", ["Name", "Created At"]),
], ids=lambda v: v if isinstance(v, str) and v and " " not in v else None)
def test_the_columns_are_v1_31s(resource, group, columns):
    assert [c["name"] for c in tables.columns_for(info(resource, group))] == columns


def test_events_from_events_k8s_io_print_like_core_events():
    new_style = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("web.1"),
                 "regarding": {"kind": "Pod", "name": "web"}, "note": "Pulling image", "reason": "Pulling",
                 "type": "Normal", "eventTime": "2024-01-01T00:09:00.000000Z", "reportingController": "kubelet",
                 "reportingInstance": "node-1", "series": {"count": 4, "lastObservedTime": "2024-01-01T00:09:50.000000Z"}}
    events_info = type("Info", (), {"group": "events.k8s.io", "resource": "events"})()
    assert table_for_object(events_info, new_style, NOW)["rows"][0]["cells"] == [
        "10s", "Normal", "Pulling", "pod/web", "", "kubelet, node-1", "Pulling image", "60s", 4, "web.1"]


# --- kinds without a printer, and custom resources ---------------------------------------------

def test_a_kind_without_a_printer_gets_name_and_created_at():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "view", "creationTimestamp": at(5), "resourceVersion": "12"}}
    table = to_table(info("clusterroles", "rbac.authorization.k8s.io"), [role], NOW, list_meta={"resourceVersion": "40"})
    assert [(c["name"], c["type"], c["format"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", "name"), ("Created At", "date", "")]
    assert table["rows"][0]["cells"] == ["view", "2024-01-01T00:00:05Z"]
    # DefaultTableConvertor appends rows one at a time: an empty list has none at all.
    assert to_table(info("clusterroles", "rbac.authorization.k8s.io"), [], NOW)["rows"] is None


def crontab(name: str, spec: dict, status: dict | None = None) -> dict:
    return {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": meta(name), "spec": spec,
            "status": status or {}}


def test_a_custom_resource_prints_its_crds_additional_printer_columns():
    crd = copy.deepcopy(CRONTAB_CRD)
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec", "description": "The cron spec"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    columns = crd_printer_columns(crd, "v1")
    scheme = scheme_with_crd()
    ct = scheme.by_resource("stable.example.com", "crontabs")
    table = to_table(ct, [crontab("a", {"cronSpec": "* * * * */5", "replicas": 2.0, "image": "cron:1"},
                                  {"conditions": [{"type": "Ready", "status": "True"}]}),
                          crontab("b", {})], NOW, printer_columns=columns)
    assert [(c["name"], c["type"], c["priority"], c["description"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", 0, tables._DOCS["ObjectMeta.name"]), ("Spec", "string", 0, "The cron spec"),
        ("Replicas", "integer", 0, "Custom resource definition column (in JSONPath format): .spec.replicas"),
        ("Ready", "string", 0, 'Custom resource definition column (in JSONPath format): '
                               '.status.conditions[?(@.type=="Ready")].status'),
        ("Image", "string", 1, "Custom resource definition column (in JSONPath format): .spec.image"),
        ("Age", "date", 0, "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp")]
    assert [r["cells"] for r in table["rows"]] == [["a", "* * * * */5", 2, "True", "cron:1", "10m"],
                                                   ["b", None, None, None, None, "10m"]]


def test_a_crd_without_printer_columns_serves_an_age_column():
    assert crd_printer_columns(CRONTAB_CRD, "v1") == [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
         "description": tables._DOCS["ObjectMeta.creationTimestamp"]}]


# --- what the real kubectl prints from these Tables ----------------------------------------------

@pytest.fixture(scope="module")
def stub(cluster):
    objects = {}
    for resource_info in SCHEME.all():
        name = resource_info.resource + (f".{resource_info.group}" if resource_info.group else "")
        objects[(resource_info.group, resource_info.resource)] = cluster.objects(name)
    objects[("rbac.authorization.k8s.io", "clusterroles")] = [{
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "view", "creationTimestamp": at(0), "resourceVersion": "5"}, "rules": []}]
    with KubectlStub(objects, cluster.now) as server:
        yield server


def rendered(stub, version: str, *args: str) -> str:
    out = stub.kubectl(version, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout + out.stderr


def pod_names(cluster) -> list[str]:
    return [p["metadata"]["name"] for p in cluster.objects("pods")]


@pytest.mark.parametrize("version", ["1.27", "1.31", "1.33"])
def test_real_kubectl_get_pods_wide_prints_the_server_side_columns(stub, cluster, version):
    pods = cluster.objects("pods")
    rows = "".join(f"{p['metadata']['name']}   1/1     Running   0          30s   {p['status']['podIP']}   "
                   f"{p['spec']['nodeName']}   <none>           <none>\n" for p in pods)
    assert rendered(stub, version, "get", "pods", "-o", "wide") == (
        "NAME                   READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n"
        + rows)


def test_real_kubectl_get_all_across_namespaces(stub, cluster):
    a, b = pod_names(cluster)
    [rs] = cluster.objects("replicasets")
    web_ip = cluster.objects("services")[1]["spec"]["clusterIP"]
    w = max(len("CLUSTER-IP"), len(web_ip)) + 3            # kubectl pads each column to its widest cell
    assert rendered(stub, "1.31", "get", "all", "-A") == (
        "NAMESPACE   NAME                       READY   STATUS    RESTARTS   AGE\n"
        f"default     pod/{a}   1/1     Running   0          30s\n"
        f"default     pod/{b}   1/1     Running   0          30s\n"
        "\n"
        f"NAMESPACE   NAME                 TYPE        {'CLUSTER-IP':<{w}}EXTERNAL-IP   PORT(S)   AGE\n"
        f"default     service/kubernetes   ClusterIP   {'10.96.0.1':<{w}}<none>        443/TCP   {age(cluster, 'services', 'kubernetes')}\n"
        f"default     service/web          ClusterIP   {web_ip:<{w}}<none>        80/TCP    30s\n"
        "\n"
        "NAMESPACE   NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "default     deployment.apps/web   2/2     2            2           30s\n"
        "\n"
        "NAMESPACE   NAME                             DESIRED   CURRENT   READY   AGE\n"
        f"default     replicaset.apps/{rs['metadata']['name']}   2         2         2       30s\n")


def test_real_kubectl_get_nodes_wide_and_show_labels(stub, cluster):
    ages = {n: age(cluster, "nodes", n) for n in ("control-plane", "node-1", "node-2")}
    assert rendered(stub, "1.31", "get", "nodes", "-o", "wide") == (
        "NAME            STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                  "
        "       KERNEL-VERSION   CONTAINER-RUNTIME\n"
        f"control-plane   Ready    control-plane   {ages['control-plane']}   v1.31.0   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)"
        "   6.1.0-k8slite    containerd://1.7.22\n"
        f"node-1          Ready    <none>          {ages['node-1']}   v1.31.0   172.18.0.3    <none>        Debian GNU/Linux 12 (bookworm)"
        "   6.1.0-k8slite    containerd://1.7.22\n"
        f"node-2          Ready    <none>          {ages['node-2']}   v1.31.0   172.18.0.4    <none>        Debian GNU/Linux 12 (bookworm)"
        "   6.1.0-k8slite    containerd://1.7.22\n")
    labels = rendered(stub, "1.31", "get", "node", "node-1", "--show-labels").splitlines()
    assert labels[1].endswith("beta.kubernetes.io/arch=amd64,beta.kubernetes.io/os=linux,kubernetes.io/arch=amd64,"
                              "kubernetes.io/hostname=node-1,kubernetes.io/os=linux")


def test_real_kubectl_prints_created_at_for_kinds_without_a_printer(stub):
    assert rendered(stub, "1.31", "get", "clusterroles") == "NAME   CREATED AT\nview   2024-01-01T00:00:00Z\n"
    assert rendered(stub, "1.31", "get", "roles") == "No resources found in default namespace.\n"


def test_real_kubectl_prints_a_custom_resources_printer_columns():
    crd = copy.deepcopy(CRONTAB_CRD)
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
        {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    key = ("stable.example.com", "crontabs")
    objects = {key: [crontab("nightly", {"cronSpec": "0 0 * * *", "image": "backup:1"})]}
    with KubectlStub(objects, NOW, scheme_with_crd(), {key: crd_printer_columns(crd, "v1")}) as server:
        assert rendered(server, "1.31", "get", "ct") == "NAME      SPEC        AGE\nnightly   0 0 * * *   10m\n"
        assert rendered(server, "1.31", "get", "crontabs", "-o", "wide") == (
            "NAME      SPEC        IMAGE      AGE\nnightly   0 0 * * *   backup:1   10m\n")
