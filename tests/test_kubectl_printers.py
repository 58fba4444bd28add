"""Tests for k8slite/kubectl/printers.py and describe.py against kubectl's own output.

Tables are built by the API server's printers (k8slite/apiserver/tables.py) and laid out by
kubectl's, as `kubectl get` does. Oracles: apimachinery's duration_test.go tables, Go
text/tabwriter semantics, the literal `kubectl get deployments` output in the Kubernetes
Deployment docs, what kubectl v1.31 printed against a k8slite server, and describe layouts
as kubectl v1.31 prints them.
"""

import copy
import re

import pytest

from k8slite.api.scheme import SCHEME
from k8slite.apiserver.tables import to_table
from k8slite.kubectl.describe import describe, format_quantity, parse_quantity, qos_class
from k8slite.kubectl.printers import (
    PrintOptions,
    custom_columns,
    go_sprint,
    human_duration,
    name_line,
    parse_time,
    print_tables,
    tabulate,
    tabwrite,
    translate_timestamp_since,
)

RESOURCES = {"Pod": ("", "pods"), "Node": ("", "nodes"), "Deployment": ("apps", "deployments"),
             "ReplicaSet": ("apps", "replicasets"), "Service": ("", "services"), "Event": ("", "events"),
             "Namespace": ("", "namespaces"), "ConfigMap": ("", "configmaps"), "Secret": ("", "secrets"),
             "ServiceAccount": ("", "serviceaccounts"), "Endpoints": ("", "endpoints"),
             "Lease": ("coordination.k8s.io", "leases"), "StatefulSet": ("apps", "statefulsets"),
             "DaemonSet": ("apps", "daemonsets"), "Job": ("batch", "jobs"), "CronJob": ("batch", "cronjobs"),
             "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles")}


def table(of_kind, objects, now, **options):
    """What `kubectl get` prints for these objects: the server's Table, laid out by kubectl."""
    info = SCHEME.by_resource(*RESOURCES[of_kind])
    return print_tables([to_table(info, objects, now)], PrintOptions(**options)).rstrip("\n")

S, M, H, D = 1, 60, 3600, 86400
MS = 0.001

# --- human_duration: apimachinery duration_test.go TestHumanDuration + Boundaries ----------------

HUMAN_DURATION = [
    (S, "1s"), (70 * S, "70s"), (190 * S, "3m10s"), (70 * M, "70m"), (47 * H, "47h"),
    (49 * H, "2d1h"), ((8 * 24 + 2) * H, "8d"), (367 * D, "367d"), ((365 * 2 * 24 + 25) * H, "2y1d"),
    ((365 * 8 * 24 + 2) * H, "8y"),
    (-2 * S, "<invalid>"), (-2 * S + 1e-9, "0s"), (0, "0s"), (S - MS, "0s"), (2 * M - MS, "119s"),
    (2 * M, "2m"), (2 * M + S, "2m1s"), (10 * M - MS, "9m59s"), (10 * M, "10m"), (10 * M + S, "10m"),
    (3 * H - MS, "179m"), (3 * H, "3h"), (3 * H + M, "3h1m"), (8 * H - MS, "7h59m"), (8 * H, "8h"),
    (8 * H + 59 * M, "8h"), (2 * D - MS, "47h"), (2 * D, "2d"), (2 * D + H, "2d1h"),
    (8 * D - MS, "7d23h"), (8 * D, "8d"), (8 * D + 23 * H, "8d"), (2 * 365 * D - MS, "729d"),
    (2 * 365 * D, "2y"), (2 * 365 * D + 23 * H, "2y"), (2 * 365 * D + D - MS, "2y"),
    (2 * 365 * D + D, "2y1d"), (3 * 365 * D, "3y"), (7 * 365 * D, "7y"),
    (8 * 365 * D - MS, "7y364d"), (8 * 365 * D, "8y"), (8 * 365 * D + 364 * D, "8y"), (9 * 365 * D, "9y"),
    (45, "45s"), (125, "2m5s"), (3 * H + 4 * M, "3h4m"), (2 * D + 3 * H, "2d3h"), (400 * D, "400d"),
    (2 * 365 * D + 15 * D, "2y15d"),
]


@pytest.mark.parametrize("seconds,want", HUMAN_DURATION, ids=[
    f"{s!r} seconds print as {w}" for s, w in HUMAN_DURATION])
def test_human_duration_matches_apimachinery_tables(seconds, want):
    assert human_duration(seconds) == want


def test_timestamps_parse_as_seconds_since_the_2024_epoch_in_any_zone():
    assert parse_time("2024-01-01T00:00:07Z") == 7
    assert parse_time("2024-01-01T01:00:07.5+01:00") == 7.5
    assert parse_time("2024-01-02T00:00:00Z") == 86400
    assert parse_time(None) is None


def test_a_missing_timestamp_has_unknown_age():
    assert translate_timestamp_since(None, 10) == "<unknown>"
    assert translate_timestamp_since("2024-01-01T00:00:00Z", 3 * H + 4 * M) == "3h4m"


# --- tabwriter ------------------------------------------------------------------------------------

TABWRITER = [
    ("every column but the last is padded to its widest cell plus three",
     [["NAME", "READY", "STATUS"], ["nginx-deployment", "3/3", "Running"]],
     "NAME               READY   STATUS\nnginx-deployment   3/3     Running"),
    ("a narrow column is still six wide, and the last column has no trailing spaces",
     [["A", "B", "C"], ["x", "", "z"]],
     "A     B     C\nx           z"),
]


@pytest.mark.parametrize("rows,want", [(r, w) for _, r, w in TABWRITER], ids=[t[0] for t in TABWRITER])
def test_tabulate_aligns_as_kubectl_tabwriter(rows, want):
    assert tabulate(rows) == want


def test_tabwriter_aligns_only_within_a_block_of_lines_that_have_the_column():
    text = "Name:\tweb\nService Account:\tdefault\nIPs:\n  IP:\t10.0.0.1\nLabels:\ta=b\n\tc=d"
    assert tabwrite(text, minwidth=0, padding=2) == (
        "Name:             web\n"
        "Service Account:  default\n"
        "IPs:\n"
        "  IP:    10.0.0.1\n"
        "Labels:  a=b\n"
        "         c=d")


def test_no_rows_print_nothing():
    assert tabulate([]) == ""
    assert table("Pod", [], now=0) == ""
    assert table("ClusterRole", [], now=0) == ""          # DefaultTableConvertor's rows are null


GO_VALUES = [("a string is itself", "x", "x"), ("an integer", 3, "3"), ("a whole float is an int64", 2.0, "2"),
             ("a fraction", 2.5, "2.5"), ("booleans are lower case", False, "false"), ("null prints nothing", None, ""),
             ("a map prints as map[k:v] sorted", {"b": 1, "a": "x"}, "map[a:x b:1]"),
             ("a list prints space-separated", ["a", 1], "[a 1]")]


@pytest.mark.parametrize("value,want", [c[1:] for c in GO_VALUES], ids=[c[0] for c in GO_VALUES])
def test_cells_print_as_go_fmt_sprint(value, want):
    assert go_sprint(value) == want


def test_a_cell_is_cut_at_its_first_newline():
    server_table = {"columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "priority": 0},
                                          {"name": "Message", "type": "string", "format": "", "priority": 0}],
                    "rows": [{"cells": ["x", "first line\nsecond"], "object": None}]}
    assert print_tables([server_table], PrintOptions()) == "NAME   MESSAGE\nx      first line...\n"


def test_label_columns_show_the_last_path_segment_upper_cased():
    assert table("Pod", [RUNNING_POD], now=65, column_labels=("app", "example.com/tier")) == (
        "NAME    READY   STATUS    RESTARTS   AGE   APP   TIER\n"
        "web-1   1/1     Running   0          60s   web   ")


def test_custom_columns_print_none_for_a_missing_path_and_join_several_values():
    assert custom_columns("NAME:.metadata.name,IMAGES:.spec.containers[*].image,X:.nope", [RUNNING_POD]) == (
        "NAME    IMAGES       X\nweb-1   nginx:1.25   <none>\n")
    assert custom_columns("NAME:metadata.name", []) == "NAME\n"


# --- objects --------------------------------------------------------------------------------------

def pod(name="web-1", phase="Running", statuses=None, **meta):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2024-01-01T00:00:05Z",
                     "labels": {"app": "web", "pod-template-hash": "5d8f7"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                          "name": "web-5d8f7", "uid": "rs-uid", "controller": True}],
                     **meta},
        "spec": {"nodeName": "node-1", "serviceAccountName": "default", "priority": 0,
                 "containers": [{"name": "web", "image": "nginx:1.25",
                                 "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                               "limits": {"cpu": "200m", "memory": "128Mi"}}}],
                 "tolerations": [
                     {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                      "effect": "NoExecute", "tolerationSeconds": 300},
                     {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                      "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": phase, "hostIP": "10.0.0.2", "podIP": "10.244.1.5",
                   "podIPs": [{"ip": "10.244.1.5"}], "startTime": "2024-01-01T00:00:05Z",
                   "conditions": [{"type": "Initialized", "status": "True"},
                                  {"type": "Ready", "status": "True"},
                                  {"type": "ContainersReady", "status": "True"},
                                  {"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": statuses if statuses is not None else [RUNNING_STATUS]},
    }


RUNNING_STATUS = {"name": "web", "ready": True, "restartCount": 0, "image": "nginx:1.25",
                  "imageID": "sha256:abc", "containerID": "containerd://c1", "started": True,
                  "state": {"running": {"startedAt": "2024-01-01T00:00:07Z"}}}
CREATING_STATUS = {"name": "web", "ready": False, "restartCount": 0, "image": "nginx:1.25", "imageID": "",
                   "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}}
CRASHING_STATUS = {"name": "web", "ready": False, "restartCount": 4, "image": "crasher", "imageID": "",
                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                "finishedAt": "2024-01-01T00:00:05Z"}}}
COMPLETED_STATUS = {"name": "web", "ready": False, "restartCount": 0, "image": "job", "imageID": "",
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}

RUNNING_POD = pod()

PENDING_POD = pod("web-2", phase="Pending", statuses=[CREATING_STATUS])
PENDING_POD["status"].pop("podIP")
PENDING_POD["status"].pop("podIPs")

TERMINATING_POD = pod("web-3", deletionTimestamp="2024-01-01T00:01:00Z", deletionGracePeriodSeconds=30)

CRASHING_POD = pod("crash-1", statuses=[CRASHING_STATUS])
COMPLETED_POD = pod("job-1", phase="Succeeded", statuses=[COMPLETED_STATUS])
INIT_POD = pod("init-1", phase="Pending", statuses=[CREATING_STATUS | {"state": {"waiting": {"reason": "PodInitializing"}}}])
INIT_POD["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
INIT_POD["status"]["initContainerStatuses"] = [{"name": "setup", "ready": False, "restartCount": 0,
                                                "state": {"running": {}}}]
INIT_POD["status"]["conditions"][0]["status"] = "False"
UNSCHEDULED_POD = pod("web-4", phase="Pending", statuses=[])
UNSCHEDULED_POD["spec"].pop("nodeName")
for key in ("podIP", "podIPs", "hostIP", "startTime"):
    UNSCHEDULED_POD["status"].pop(key)


POD_STATUS = [
    ("a running pod with its container ready is 1/1 Running", RUNNING_POD, "1/1", "Running", "0"),
    ("a pod whose container is being created shows ContainerCreating", PENDING_POD, "0/1",
     "ContainerCreating", "0"),
    ("a pod with a deletion timestamp shows Terminating", TERMINATING_POD, "1/1", "Terminating", "0"),
    ("a crash-looping pod shows the waiting reason and when it last restarted", CRASHING_POD, "0/1",
     "CrashLoopBackOff", "4 (5m ago)"),
    ("a pod whose only container exited 0 shows Completed", COMPLETED_POD, "0/1", "Completed", "0"),
    ("a pod still running its first init container shows Init:0/1", INIT_POD, "0/1", "Init:0/1", "0"),
    ("a pod not yet scheduled shows its phase", UNSCHEDULED_POD, "0/1", "Pending", "0"),
]


@pytest.mark.parametrize("obj,ready,status,restarts", [c[1:] for c in POD_STATUS],
                         ids=[c[0] for c in POD_STATUS])
def test_pod_row_computes_ready_status_and_restarts_as_printpod(obj, ready, status, restarts):
    row = table("Pod", [obj], now=5 * M + 5, no_headers=True)
    assert re.split(r"\s{2,}", row)[1:4] == [ready, status, restarts]


def test_get_pods_prints_the_kubectl_table():
    assert table("Pod", [RUNNING_POD, PENDING_POD, TERMINATING_POD], now=65) == (
        "NAME    READY   STATUS              RESTARTS   AGE\n"
        "web-1   1/1     Running             0          60s\n"
        "web-2   0/1     ContainerCreating   0          60s\n"
        "web-3   1/1     Terminating         0          60s")


def test_get_pods_wide_adds_ip_node_nominated_node_and_readiness_gates():
    assert table("Pod", [RUNNING_POD, UNSCHEDULED_POD], now=65, wide=True) == (
        "NAME    READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n"
        "web-1   1/1     Running   0          60s   10.244.1.5   node-1   <none>           <none>\n"
        "web-4   0/1     Pending   0          60s   <none>       <none>   <none>           <none>")


def test_all_namespaces_labels_and_kind_prefix_decorate_the_table():
    assert table("Pod", [RUNNING_POD], now=65, with_namespace=True, show_labels=True,
                 kind="Pod") == (
        "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE   LABELS\n"
        "default     pod/web-1   1/1     Running   0          60s   app=web,pod-template-hash=5d8f7")


def test_name_output_is_kind_group_slash_name():
    assert name_line("pod/", RUNNING_POD) == "pod/web-1"


# --- nodes ----------------------------------------------------------------------------------------

NODE = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "control-plane", "creationTimestamp": "2024-01-01T00:00:00Z",
                 "labels": {"kubernetes.io/hostname": "control-plane", "kubernetes.io/os": "linux",
                            "node-role.kubernetes.io/control-plane": ""},
                 "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
    "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
             "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
    "status": {
        "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "20Gi"},
        "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "20Gi"},
        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-01-01T00:05:00Z",
                        "lastTransitionTime": "2024-01-01T00:00:10Z", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                      {"type": "Hostname", "address": "control-plane"}],
        "nodeInfo": {"machineID": "m1", "systemUUID": "u1", "bootID": "b1", "kernelVersion": "6.1.0",
                     "osImage": "k8slite", "operatingSystem": "linux", "architecture": "amd64",
                     "containerRuntimeVersion": "k8slite-cri://1.0", "kubeletVersion": "v1.31.0",
                     "kubeProxyVersion": "v1.31.0"}},
}
WORKER = copy.deepcopy(NODE)
WORKER["metadata"].update(name="node-1", labels={"kubernetes.io/hostname": "node-1"})
WORKER["spec"] = {"unschedulable": True}
WORKER["status"]["conditions"][0]["status"] = "False"
NEW_NODE = copy.deepcopy(WORKER)
NEW_NODE["metadata"]["name"] = "node-2"
NEW_NODE["spec"] = {}
NEW_NODE["status"]["conditions"] = []

LEASE = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
         "metadata": {"name": "control-plane", "namespace": "kube-node-lease",
                      "creationTimestamp": "2024-01-01T00:00:01Z"},
         "spec": {"holderIdentity": "control-plane", "leaseDurationSeconds": 40,
                  "renewTime": "2024-01-01T00:05:00.000000Z"}}


def test_get_nodes_shows_roles_and_ready_not_ready_unknown_and_cordoned():
    assert table("Node", [NODE, WORKER, NEW_NODE], now=6 * M) == (
        "NAME            STATUS                        ROLES           AGE   VERSION\n"
        "control-plane   Ready                         control-plane   6m    v1.31.0\n"
        "node-1          NotReady,SchedulingDisabled   <none>          6m    v1.31.0\n"
        "node-2          Unknown                       <none>          6m    v1.31.0")


def test_get_nodes_wide_adds_addresses_and_system_info():
    assert table("Node", [NODE], now=6 * M, wide=True) == (
        "NAME            STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   "
        "OS-IMAGE   KERNEL-VERSION   CONTAINER-RUNTIME\n"
        "control-plane   Ready    control-plane   6m    v1.31.0   10.0.0.1      <none>        "
        "k8slite    6.1.0            k8slite-cri://1.0")


# --- deployments, replica sets, services, events and the rest --------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "nginx-deployment", "namespace": "default", "uid": "d-uid",
                 "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"app": "nginx"},
                 "annotations": {"deployment.kubernetes.io/revision": "1"}},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
             "strategy": {"type": "RollingUpdate",
                          "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
             "template": {"metadata": {"labels": {"app": "nginx"}},
                          "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                                   "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}},
    "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
               "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                              {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]},
}
REPLICASET = {
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "nginx-deployment-75675f5897", "namespace": "default", "uid": "rs-uid",
                 "creationTimestamp": "2024-01-01T00:00:00Z",
                 "labels": {"app": "nginx", "pod-template-hash": "75675f5897"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "nginx-deployment", "uid": "d-uid", "controller": True}]},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": "75675f5897"}},
             "template": {"metadata": {"labels": {"app": "nginx", "pod-template-hash": "75675f5897"}},
                          "spec": DEPLOYMENT["spec"]["template"]["spec"]}},
    "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3},
}


def test_get_deployments_matches_the_deployment_docs():
    # https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
    assert table("Deployment", [DEPLOYMENT], now=18) == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deployment   3/3     3            3           18s")


def test_get_replicasets_matches_the_deployment_docs():
    assert table("ReplicaSet", [REPLICASET], now=18) == (
        "NAME                          DESIRED   CURRENT   READY   AGE\n"
        "nginx-deployment-75675f5897   3         3         3       18s")


def test_get_deployments_wide_and_with_a_group_prefix():
    assert table("Deployment", [DEPLOYMENT], now=18, wide=True, kind="Deployment.apps") == (
        "NAME                               READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   "
        "IMAGES         SELECTOR\n"
        "deployment.apps/nginx-deployment   3/3     3            3           18s   nginx        "
        "nginx:1.14.2   app=nginx")


SERVICES = [
    {"metadata": {"name": "kubernetes", "creationTimestamp": "2024-01-01T00:00:00Z"},
     "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
              "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}},
    {"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:01:00Z"},
     "spec": {"type": "NodePort", "clusterIP": "10.96.12.7", "selector": {"app": "web"},
              "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP", "targetPort": 8080}]}},
    {"metadata": {"name": "lb", "creationTimestamp": "2024-01-01T00:01:00Z"},
     "spec": {"type": "LoadBalancer", "clusterIP": "10.96.3.3", "ports": [{"port": 53, "protocol": "UDP"}]}},
]


def test_get_services_prints_type_ips_and_ports():
    assert table("Service", SERVICES, now=2 * M) == (
        "NAME         TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
        "kubernetes   ClusterIP      10.96.0.1    <none>        443/TCP        2m\n"
        "web          NodePort       10.96.12.7   <none>        80:30080/TCP   60s\n"
        "lb           LoadBalancer   10.96.3.3    <pending>     53/UDP         60s")


EVENTS = [
    {"metadata": {"name": "web-1.17a"}, "type": "Normal", "reason": "Scheduled",
     "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
     "firstTimestamp": "2024-01-01T00:00:05Z", "lastTimestamp": "2024-01-01T00:00:05Z", "count": 1,
     "source": {"component": "default-scheduler"},
     "message": "Successfully assigned default/web-1 to node-1"},
    {"metadata": {"name": "web-1.17b"}, "type": "Normal", "reason": "Pulled",
     "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default",
                        "fieldPath": "spec.containers{web}"},
     "firstTimestamp": "2024-01-01T00:00:06Z", "lastTimestamp": "2024-01-01T00:00:06Z", "count": 1,
     "source": {"component": "kubelet", "host": "node-1"},
     "message": "Container image \"nginx:1.25\" already present on machine"},
]


def test_get_events_names_the_object_as_kind_slash_name():
    assert table("Event", EVENTS, now=65) == (
        "LAST SEEN   TYPE     REASON      OBJECT      MESSAGE\n"
        "60s         Normal   Scheduled   pod/web-1   Successfully assigned default/web-1 to node-1\n"
        "59s         Normal   Pulled      pod/web-1   Container image \"nginx:1.25\" already present on machine")


OTHER_KINDS = [
    ("a namespace shows its phase", "Namespace",
     {"metadata": {"name": "default", "creationTimestamp": "2024-01-01T00:00:00Z"}, "status": {"phase": "Active"}},
     "NAME      STATUS   AGE\ndefault   Active   10s"),
    ("a config map counts data and binaryData keys", "ConfigMap",
     {"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": "2024-01-01T00:00:00Z"},
      "data": {"ca.crt": "x"}}, "NAME               DATA   AGE\nkube-root-ca.crt   1      10s"),
    ("a secret shows its type", "Secret",
     {"metadata": {"name": "token", "creationTimestamp": "2024-01-01T00:00:00Z"}, "type": "Opaque",
      "data": {"a": "", "b": ""}}, "NAME    TYPE     DATA   AGE\ntoken   Opaque   2      10s"),
    ("a service account counts its secrets", "ServiceAccount",
     {"metadata": {"name": "default", "creationTimestamp": "2024-01-01T00:00:00Z"}},
     "NAME      SECRETS   AGE\ndefault   0         10s"),
    ("endpoints list ip:port pairs", "Endpoints",
     {"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"},
      "subsets": [{"addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.3"}], "ports": [{"port": 8080}]}]},
     "NAME   ENDPOINTS                         AGE\nweb    10.244.1.5:8080,10.244.2.3:8080   10s"),
    ("more than three endpoints are summarised", "Endpoints",
     {"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"},
      "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)], "ports": [{"port": 80}]}]},
     "NAME   ENDPOINTS                                         AGE\n"
     "web    10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more...   10s"),
    ("a lease shows its holder", "Lease", LEASE, "NAME            HOLDER          AGE\ncontrol-plane   control-plane   9s"),
    ("a stateful set shows ready over desired", "StatefulSet",
     {"metadata": {"name": "db", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"replicas": 3},
      "status": {"readyReplicas": 2}}, "NAME   READY   AGE\ndb     2/3     10s"),
    ("a daemon set shows its scheduling counts and node selector", "DaemonSet",
     {"metadata": {"name": "kube-proxy", "creationTimestamp": "2024-01-01T00:00:00Z"},
      "spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}}}},
      "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 2,
                 "updatedNumberScheduled": 2, "numberAvailable": 2}},
     "NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n"
     "kube-proxy   2         2         2       2            2           kubernetes.io/os=linux   10s"),
    ("a finished job shows Complete and how long it ran", "Job",
     {"metadata": {"name": "pi", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"completions": 1},
      "status": {"succeeded": 1, "startTime": "2024-01-01T00:00:01Z", "completionTime": "2024-01-01T00:00:08Z",
                 "conditions": [{"type": "Complete", "status": "True"}]}},
     "NAME   STATUS     COMPLETIONS   DURATION   AGE\npi     Complete   1/1           7s         10s"),
    ("a cron job shows schedule, time zone and suspension", "CronJob",
     {"metadata": {"name": "hello", "creationTimestamp": "2024-01-01T00:00:00Z"},
      "spec": {"schedule": "* * * * *", "suspend": False}},
     "NAME    SCHEDULE    TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\n"
     "hello   * * * * *   <none>     False     0        <none>          10s"),
    ("a kind without a printer shows when it was created", "ClusterRole",
     {"metadata": {"name": "w", "creationTimestamp": "2024-01-01T00:00:00Z"}},
     "NAME   CREATED AT\nw      2024-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("kind,obj,want", [c[1:] for c in OTHER_KINDS], ids=[c[0] for c in OTHER_KINDS])
def test_other_kinds_print_their_upstream_columns(kind, obj, want):
    assert table(kind, [obj], now=10) == want


# --- quantities and QoS ---------------------------------------------------------------------------

QUANTITIES = [("100m", "100m"), ("0.1", "100m"), ("1.5", "1500m"), ("2000m", "2"), ("128Mi", "128Mi"),
              ("1536Mi", "1536Mi"), ("1500000", "1500k"), ("0", "0"), ("512", "512")]


@pytest.mark.parametrize("text,want", QUANTITIES, ids=[f"{t} is canonically {w}" for t, w in QUANTITIES])
def test_quantities_print_in_canonical_form(text, want):
    assert format_quantity(*parse_quantity(text)) == want


def test_qos_class_follows_requests_and_limits():
    assert qos_class(RUNNING_POD) == "Burstable"
    best = copy.deepcopy(RUNNING_POD)
    best["spec"]["containers"][0].pop("resources")
    assert qos_class(best) == "BestEffort"
    guaranteed = copy.deepcopy(RUNNING_POD)
    guaranteed["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}}
    assert qos_class(guaranteed) == "Guaranteed"


# --- describe -------------------------------------------------------------------------------------

POD_EVENTS = [EVENTS[1], EVENTS[0]]  # describe sorts them by time

DESCRIBE_RUNNING_POD = """\
Name:             web-1
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/10.0.0.2
Start Time:       Mon, 01 Jan 2024 00:00:05 +0000
Labels:           app=web
                  pod-template-hash=5d8f7
Annotations:      <none>
Status:           Running
IP:               10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/web-5d8f7
Containers:
  web:
    Container ID:   containerd://c1
    Image:          nginx:1.25
    Image ID:       sha256:abc
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Mon, 01 Jan 2024 00:00:07 +0000
    Ready:          True
    Restart Count:  0
    Limits:
      cpu:     200m
      memory:  128Mi
    Requests:
      cpu:        100m
      memory:     64Mi
    Environment:  <none>
    Mounts:       <none>
Conditions:
  Type              Status
  Initialized       True 
  Ready             True 
  ContainersReady   True 
  PodScheduled      True 
Volumes:            <none>
QoS Class:          Burstable
Node-Selectors:     <none>
Tolerations:        node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                    node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age   From               Message
  ----    ------     ----  ----               -------
  Normal  Scheduled  60s   default-scheduler  Successfully assigned default/web-1 to node-1
  Normal  Pulled     59s   kubelet            Container image "nginx:1.25" already present on machine"""


def test_describe_running_pod_matches_kubectl_layout():
    assert describe("Pod", RUNNING_POD, POD_EVENTS, now=65) == DESCRIBE_RUNNING_POD


def test_describe_terminating_pod_shows_how_long_it_has_been_terminating():
    out = describe("Pod", TERMINATING_POD, [], now=90)
    assert "Status:                    Terminating (lasts 30s)\n" in out
    assert "Termination Grace Period:  30s\n" in out
    assert out.splitlines()[-1] == "Events:             <none>"


def test_describe_pending_pod_shows_the_waiting_reason_and_no_ips():
    out = describe("Pod", PENDING_POD, [], now=65)
    assert "IPs:              <none>\n" in out
    assert "    State:          Waiting\n      Reason:       ContainerCreating\n" in out
    assert out.splitlines()[-1] == "Events:             <none>"


def test_describe_pod_events_collapse_repeats_into_count_over_age():
    repeated = dict(EVENTS[1], count=4, firstTimestamp="2024-01-01T00:00:05Z",
                    lastTimestamp="2024-01-01T00:07:05Z", reason="BackOff", type="Warning",
                    message="Back-off restarting failed container")
    out = describe("Pod", CRASHING_POD, [repeated], now=10 * M + 5)
    assert out.splitlines()[-1] == (
        "  Warning  BackOff  3m (x4 over 10m)  kubelet  Back-off restarting failed container")
    assert "    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n" in out


NODE_PODS = [copy.deepcopy(RUNNING_POD), copy.deepcopy(RUNNING_POD), copy.deepcopy(COMPLETED_POD)]
NODE_PODS[0]["metadata"].update(name="etcd-control-plane", namespace="kube-system", ownerReferences=[])
NODE_PODS[0]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100m", "memory": "100Mi"}}
for p in NODE_PODS:
    p["spec"]["nodeName"] = "control-plane"
NODE_PODS[1]["metadata"]["name"] = "web-2"

NODE_EVENTS = [
    {"type": "Normal", "reason": "NodeReady", "firstTimestamp": "2024-01-01T00:00:10Z",
     "lastTimestamp": "2024-01-01T00:00:10Z", "count": 1, "source": {"component": "kubelet"},
     "message": "Node control-plane status is now: NodeReady"},
    {"type": "Normal", "reason": "NodeHasSufficientMemory", "firstTimestamp": "2024-01-01T00:00:02Z",
     "lastTimestamp": "2024-01-01T00:00:09Z", "count": 4, "source": {"component": "kubelet"},
     "message": "Node control-plane status is now: NodeHasSufficientMemory"},
]

DESCRIBE_NODE = """\
Name:               control-plane
Roles:              control-plane
Labels:             kubernetes.io/hostname=control-plane
                    kubernetes.io/os=linux
                    node-role.kubernetes.io/control-plane=
Annotations:        node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Mon, 01 Jan 2024 00:00:00 +0000
Taints:             node-role.kubernetes.io/control-plane:NoSchedule
Unschedulable:      false
Lease:
  HolderIdentity:  control-plane
  AcquireTime:     <unset>
  RenewTime:       Mon, 01 Jan 2024 00:05:00 +0000
Conditions:
  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message
  ----    ------  -----------------                 ------------------                ------         -------
  Ready   True    Mon, 01 Jan 2024 00:05:00 +0000   Mon, 01 Jan 2024 00:00:10 +0000   KubeletReady   kubelet is posting ready status
Addresses:
  InternalIP:  10.0.0.1
  Hostname:    control-plane
Capacity:
  cpu:                2
  ephemeral-storage:  20Gi
  memory:             4Gi
  pods:               110
Allocatable:
  cpu:                2
  ephemeral-storage:  20Gi
  memory:             4Gi
  pods:               110
System Info:
  Machine ID:                 m1
  System UUID:                u1
  Boot ID:                    b1
  Kernel Version:             6.1.0
  OS Image:                   k8slite
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  k8slite-cri://1.0
  Kubelet Version:            v1.31.0
  Kube-Proxy Version:         v1.31.0
PodCIDR:                      10.244.0.0/24
PodCIDRs:                     10.244.0.0/24
Non-terminated Pods:          (2 in total)
  Namespace                   Name                  CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                  ------------  ----------  ---------------  -------------  ---
  kube-system                 etcd-control-plane    100m (5%)     0 (0%)      100Mi (2%)       0 (0%)         5m55s
  default                     web-2                 100m (5%)     200m (10%)  64Mi (1%)        128Mi (3%)     5m55s
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                200m (10%)  200m (10%)
  memory             164Mi (4%)  128Mi (3%)
  ephemeral-storage  0 (0%)      0 (0%)
Events:
  Type    Reason                   Age                    From     Message
  ----    ------                   ----                   ----     -------
  Normal  NodeHasSufficientMemory  5m51s (x4 over 5m58s)  kubelet  Node control-plane status is now: NodeHasSufficientMemory
  Normal  NodeReady                5m50s                  kubelet  Node control-plane status is now: NodeReady"""


def test_describe_control_plane_node_with_taint_lease_and_pods():
    assert describe("Node", NODE, NODE_EVENTS, now=6 * M,
                    related={"lease": LEASE, "pods": NODE_PODS}) == DESCRIBE_NODE


def test_describe_node_without_a_lease_says_it_could_not_get_one():
    out = describe("Node", WORKER, None, now=6 * M, related={"pods": []})
    assert 'Lease:              Failed to get lease: leases.coordination.k8s.io "node-1" not found' in out
    assert "Unschedulable:      true\n" in out


DESCRIBE_DEPLOYMENT = """\
Name:                   nginx-deployment
Namespace:              default
CreationTimestamp:      Mon, 01 Jan 2024 00:00:00 +0000
Labels:                 app=nginx
Annotations:            deployment.kubernetes.io/revision: 1
Selector:               app=nginx
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=nginx
  Containers:
   nginx:
    Image:         nginx:1.14.2
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   nginx-deployment-75675f5897 (3/3 replicas created)
Events:          <none>"""


def test_describe_deployment_3_of_3_with_its_new_replicaset():
    assert describe("Deployment", DEPLOYMENT, [], now=18,
                    related={"replicasets": [REPLICASET]}) == DESCRIBE_DEPLOYMENT


def test_describe_replicaset_counts_the_pods_it_controls():
    owned = [copy.deepcopy(RUNNING_POD) for _ in range(3)]
    for i, p in enumerate(owned):
        p["metadata"]["name"] = f"nginx-{i}"
    owned[2]["status"]["phase"] = "Pending"
    out = describe("ReplicaSet", REPLICASET, None, now=18, related={"pods": owned})
    assert "Controlled By:  Deployment/nginx-deployment\n" in out
    assert "Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed\n" in out


def test_describe_service_lists_ports_and_ready_endpoints():
    svc = SERVICES[1]
    slices = [{"ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
               "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True}},
                             {"addresses": ["10.244.2.3"], "conditions": {"ready": False}}]}]
    out = describe("Service", dict(svc, metadata=dict(svc["metadata"], namespace="default")), None,
                   now=2 * M, related={"endpointslices": slices})
    assert out == (
        "Name:              web\n"
        "Namespace:         default\n"
        "Labels:            <none>\n"
        "Annotations:       <none>\n"
        "Selector:          app=web\n"
        "Type:              NodePort\n"
        "IP Families:       <none>\n"
        "IP:                10.96.12.7\n"
        "IPs:               10.96.12.7\n"
        "Port:              <unset>  80/TCP\n"
        "TargetPort:        8080/TCP\n"
        "NodePort:          <unset>  30080/TCP\n"
        "Endpoints:         10.244.1.5:8080\n"
        "Session Affinity:  None")


def test_describe_other_kinds_prints_fields_with_smart_labels():
    out = describe("Lease", LEASE, [], now=10)
    assert out == (
        "Name:         control-plane\n"
        "Namespace:    kube-node-lease\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "API Version:  coordination.k8s.io/v1\n"
        "Kind:         Lease\n"
        "Metadata:\n"
        "  Creation Timestamp:  2024-01-01T00:00:01Z\n"
        "Spec:\n"
        "  Holder Identity:         control-plane\n"
        "  Lease Duration Seconds:  40\n"
        "  Renew Time:              2024-01-01T00:05:00.000000Z\n"
        "Events:                    <none>")
