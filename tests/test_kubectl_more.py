"""Tests for k8slite/kubectl: get from server-side Tables, logs, top, set image, autoscale, run,
delete --wait by UID, Invalid errors, and describe for Jobs and autoscalers.

Oracles: the real kubectl v1.31 run against the same objects (test_discovery's loopback
KubectlStub serves the cluster's objects and the API server's Tables), and outputs the
real kubectl printed against a k8slite server, copied here.
"""
from __future__ import annotations

import re

import pytest
from realpeers import kubectl_path, require
from test_discovery import KubectlStub

from k8slite import Cluster
from k8slite.api.meta import parse_rfc3339
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.tables import human_duration
from k8slite.kubectl.top import go_duration

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.25}]
"""
JOB_WITHOUT_RESTART_POLICY = """
apiVersion: batch/v1
kind: Job
metadata: {name: hello}
spec:
  template:
    spec:
      containers: [{name: hello, image: busybox}]
"""
PI = """
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: busybox, command: [echo, "3.14"]}]
"""


@pytest.fixture
def cluster():
    c = Cluster.up(nodes=2, seed=1)
    c.kubectl.apply(WEB)
    c.run(20)
    return c


def out(c, command: str) -> str:
    return str(c.kubectl(command))


def names(c, resource: str, prefix: str = "") -> list[str]:
    return sorted(o["metadata"]["name"] for o in c.objects(resource) if o["metadata"]["name"].startswith(prefix))


def age(c, resource: str, name: str) -> str:
    obj = next(o for o in c.objects(resource) if o["metadata"]["name"] == name)
    return human_duration(c.now - parse_rfc3339(obj["metadata"]["creationTimestamp"]))


# --- get: what the real kubectl prints from the same Tables ----------------------------------

ORACLE = [
    ("one kind", "get pods"),
    ("wide columns", "get pods -o wide"),
    ("several kinds, each name with its kind, a blank line between", "get deploy,rs,pods"),
    ("the all category across namespaces", "get all -A"),
    ("a cluster-scoped kind ignores -A", "get nodes -A"),
    ("labels as a column", "get nodes --show-labels"),
    ("a label value as a column", "get pods -L app -L pod-template-hash"),
    ("no headers", "get pods --no-headers"),
    ("one object by name", "get svc kubernetes"),
    ("names only", "get deploy,rs -o name"),
    ("custom columns", "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,X:.nope"),
    ("events in the server's order", "get events"),
    ("a kind without a printer", "get clusterroles --no-headers"),
    ("nothing in the namespace", "get configmaps"),
    ("a missing object", "get deploy web nope"),
]


@pytest.fixture
def stub(cluster):
    objects = {}
    for info in SCHEME.all():
        objects[(info.group, info.resource)] = cluster.objects(
            info.resource + (f".{info.group}" if info.group else ""))
    with KubectlStub(objects, cluster.now) as server:
        yield server


@pytest.mark.parametrize("command", [c for _, c in ORACLE], ids=[i for i, _ in ORACLE])
def test_get_prints_what_the_real_kubectl_prints_from_the_same_tables(cluster, stub, command):
    require(kubectl_path("1.31"), "kubectl 1.31")
    real = stub.kubectl("1.31", *command.split())
    ours = cluster.kubectl(command)
    assert (ours.stdout, ours.stderr, ours.exit_code) == (real.stdout, real.stderr, real.returncode)


# --- get: exact outputs -------------------------------------------------------------------------

def test_get_lists_several_kinds_with_their_prefixes_and_blank_lines(cluster):
    [rs] = names(cluster, "replicasets")
    a, b = names(cluster, "pods")
    d, r, p = age(cluster, "deployments", "web"), age(cluster, "replicasets", rs), age(cluster, "pods", a)
    assert out(cluster, "get deploy,rs,pods") == (
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
        f"deployment.apps/web   2/2     2            2           {d}\n"
        "\n"
        "NAME                             DESIRED   CURRENT   READY   AGE\n"
        f"replicaset.apps/{rs}   2         2         2       {r}\n"
        "\n"
        "NAME                       READY   STATUS    RESTARTS   AGE\n"
        f"pod/{a}   1/1     Running   0          {p}\n"
        f"pod/{b}   1/1     Running   0          {age(cluster, 'pods', b)}\n")


def test_an_empty_kind_prints_nothing_but_the_others_keep_their_prefix(cluster):
    assert out(cluster, "get deploy,jobs") == (
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
        f"deployment.apps/web   2/2     2            2           {age(cluster, 'deployments', 'web')}\n")


def test_a_kind_that_failed_does_not_count_as_a_second_kind(cluster):
    # kubectl 1.31 against a k8slite server: the one info left prints without a prefix.
    assert out(cluster, "get deploy/web rs/nope") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        f"web    2/2     2            2           {age(cluster, 'deployments', 'web')}\n"
        'Error from server (NotFound): replicasets.apps "nope" not found\n')


def test_no_resources_found_names_the_namespace_unless_across_all(cluster):
    assert (out(cluster, "get jobs"), out(cluster, "get jobs -A"), out(cluster, "get jobs -n kube-system")) == (
        "No resources found in default namespace.\n", "No resources found\n",
        "No resources found in kube-system namespace.\n")
    assert out(cluster, "get jobs --ignore-not-found") == ""
    assert out(cluster, "get jobs nope --ignore-not-found") == ""


def test_machine_formats_need_whole_objects_and_say_nothing_when_empty(cluster):
    assert out(cluster, "get jobs -o name") == ""
    assert out(cluster, "get jobs -o yaml") == 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'
    assert out(cluster, "get jobs -o custom-columns=NAME:.metadata.name") == "NAME\n"
    assert out(cluster, "get deploy web -o jsonpath={.spec.template.spec.containers[0].image}") == "nginx:1.25"


def test_get_refuses_what_kubectl_refuses(cluster):
    assert out(cluster, "get pods -o foo") == (
        'error: unable to match a printer suitable for the output format "foo", allowed formats are: '
        "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
        "jsonpath-file,name,template,templatefile,wide,yaml\n")
    assert out(cluster, "get pods --show-labels -o name") == "error: --show-labels option cannot be used with name printer\n"
    assert out(cluster, "get pods x -A") == "error: a resource cannot be retrieved by name across all namespaces\n"
    assert out(cluster, "get pods -o custom-columns=NAME") == (
        "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n")
    assert out(cluster, "get") == (
        'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported '
        "resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed "
        "description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples\n")


def test_sort_by_orders_the_rows_by_a_field_of_each_object(cluster):
    a, b = names(cluster, "pods")
    cluster.kubectl(f"label pod {a} rank=2")
    cluster.kubectl(f"label pod {b} rank=1")
    lines = out(cluster, "get pods --sort-by=.metadata.labels.rank --no-headers").splitlines()
    assert [line.split()[0] for line in lines] == [b, a]


# --- set image, autoscale, run ------------------------------------------------------------------

def test_set_image_patches_the_template_and_says_nothing_when_nothing_changes(cluster):
    assert out(cluster, "set image deployment/web web=nginx:1.27") == "deployment.apps/web image updated\n"
    assert out(cluster, "get deploy web -o jsonpath={.spec.template.spec.containers[0].image}") == "nginx:1.27"
    assert out(cluster, "set image deployment/web web=nginx:1.27") == ""
    result = cluster.kubectl("set image deployment/web nope=nginx:1.27")
    assert (str(result), result.exit_code) == ('error: unable to find container named "nope"\n', 1)
    assert out(cluster, "set image deployment/web") == "error: at least one image update is required\n"
    cluster.run(30)
    assert out(cluster, "rollout status deployment/web") == 'deployment "web" successfully rolled out\n'


def test_autoscale_creates_an_autoscaling_v2_hpa(cluster):
    assert out(cluster, "autoscale deployment web --cpu-percent=50 --min=1 --max=10") == (
        "horizontalpodautoscaler.autoscaling/web autoscaled\n")
    [hpa] = cluster.objects("horizontalpodautoscalers.autoscaling")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 10)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 50}}}]
    assert out(cluster, "get hpa") == (
        "NAME   REFERENCE        TARGETS              MINPODS   MAXPODS   REPLICAS   AGE\n"
        "web    Deployment/web   cpu: <unknown>/50%   1         10        0          0s\n")
    assert out(cluster, "autoscale deployment web --max=3") == (
        'Error from server (AlreadyExists): horizontalpodautoscalers.autoscaling "web" already exists\n')
    assert out(cluster, "autoscale deployment web") == 'error: required flag(s) "max" not set\n'
    assert out(cluster, "autoscale deployment web --min=5 --max=3") == (
        "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 3, min: 5\n")
    pod = names(cluster, "pods")[0]
    assert out(cluster, f"autoscale pod {pod} --max=3") == (
        "error: cannot autoscale a Pod: could not find scale subresource for /v1, Resource=pods in discovery "
        "information\n")


def test_run_creates_one_pod_that_runs_its_arguments(cluster):
    assert out(cluster, "run hello --image=busybox --restart=Never -- echo hi there") == "pod/hello created\n"
    [pod] = [p for p in cluster.objects("pods") if p["metadata"]["name"] == "hello"]
    assert pod["metadata"]["labels"] == {"run": "hello"}
    assert pod["spec"]["containers"][0]["args"] == ["echo", "hi", "there"]
    assert (pod["spec"]["restartPolicy"], pod["spec"]["dnsPolicy"]) == ("Never", "ClusterFirst")
    cluster.run(10)
    assert out(cluster, "logs hello") == "hi there\n"
    assert out(cluster, "run hello --image=busybox") == 'Error from server (AlreadyExists): pods "hello" already exists\n'
    assert out(cluster, "run x") == 'error: required flag(s) "image" not set\n'


def test_run_dry_run_prints_the_pod_kubectl_would_send(cluster):
    # kubectl 1.31: kubectl run x --image=nginx --dry-run=client -o yaml
    assert out(cluster, "run x --image=nginx --dry-run=client -o yaml") == (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n    run: x\n  name: x\n"
        "spec:\n  containers:\n  - image: nginx\n    name: x\n    resources: {}\n  dnsPolicy: ClusterFirst\n"
        "  restartPolicy: Always\nstatus: {}\n")
    assert out(cluster, "run x --image=nginx --dry-run=client") == "pod/x created (dry run)\n"
    assert "x" not in names(cluster, "pods")


# --- logs ---------------------------------------------------------------------------------------

NGINX_LOG = ("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n"
             "/docker-entrypoint.sh: Configuration complete; ready for start up\n"
             "nginx: [notice] start worker processes\n")


def test_logs_of_a_pod_a_container_and_the_tail(cluster):
    pod = names(cluster, "pods")[0]
    assert out(cluster, f"logs {pod}") == NGINX_LOG
    assert out(cluster, f"logs {pod} -c web --tail=1") == "nginx: [notice] start worker processes\n"
    assert out(cluster, f"logs {pod} web --tail=1") == "nginx: [notice] start worker processes\n"
    assert out(cluster, f"logs {pod} --tail=1 --timestamps").endswith("Z nginx: [notice] start worker processes\n")


def test_logs_of_a_deployment_read_its_first_pod(cluster):
    a, b = names(cluster, "pods")
    result = cluster.kubectl("logs deploy/web --tail=1")
    assert (result.stdout, result.stderr) == ("nginx: [notice] start worker processes\n",
                                              f"Found 2 pods, using pod/{a}\n")
    assert out(cluster, "logs -l app=web --tail=1 --prefix") == (
        f"[pod/{a}/web] nginx: [notice] start worker processes\n[pod/{b}/web] nginx: [notice] start worker processes\n")


def test_logs_errors_read_as_kubectls(cluster):
    pod = names(cluster, "pods")[0]
    assert out(cluster, f"logs {pod} -c nope") == f"error: container nope is not valid for pod {pod}\n"
    assert out(cluster, f"logs {pod} --previous") == (
        f'Error from server (BadRequest): previous terminated container "web" in pod "{pod}" not found\n')
    assert out(cluster, "logs nopod") == 'error: error from server (NotFound): pods "nopod" not found in namespace "default"\n'
    assert out(cluster, "logs deploy/nope") == (
        'error: error from server (NotFound): deployments.apps "nope" not found in namespace "default"\n')
    assert out(cluster, "logs") == (
        "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
        "POD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n")


def test_logs_of_a_pod_with_two_containers_default_to_the_first_and_say_so(cluster):
    cluster.kubectl.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two"}, "spec": {
        "restartPolicy": "Never",
        "containers": [{"name": "a", "image": "busybox", "command": ["echo", "from a"]},
                       {"name": "b", "image": "busybox", "command": ["echo", "from b"]}]}})
    cluster.run(10)
    result = cluster.kubectl("logs two")
    assert (result.stdout, result.stderr) == ("from a\n", 'Defaulted container "a" out of: a, b\n')
    assert out(cluster, "logs two --all-containers") == "from a\nfrom b\n"


# --- top ----------------------------------------------------------------------------------------

def test_top_without_metrics_server_says_the_metrics_api_is_not_available(cluster):
    assert out(cluster, "top pods") == "error: Metrics API not available\n"
    assert out(cluster, "top nodes") == "error: Metrics API not available\n"


def test_top_reads_the_metrics_api_through_the_aggregator(cluster):
    cluster.add_metrics_server()
    cluster.run(40)
    a, b = names(cluster, "pods")
    nodes = out(cluster, "top nodes").splitlines()
    assert nodes[0] == "NAME            CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   "
    assert [line.split()[0] for line in nodes[1:]] == ["control-plane", "node-1", "node-2"]
    assert all(line.endswith("   ") and line.split()[2].endswith("%") for line in nodes[1:])
    pods = out(cluster, "top pods").splitlines()
    assert pods[0] == "NAME                   CPU(cores)   MEMORY(bytes)   "
    assert [line.split()[0] for line in pods[1:]] == [a, b]
    assert [line.split()[1:] for line in pods[1:]] == [["0m", "3Mi"], ["0m", "3Mi"]]
    containers = out(cluster, "top pods -A --containers").splitlines()
    assert containers[0] == "NAMESPACE   POD                    NAME   CPU(cores)   MEMORY(bytes)   "
    assert containers[1].split() == ["default", a, "web", "0m", "3Mi"]


def test_top_says_when_a_pod_has_had_no_metrics_for_two_minutes(cluster):
    cluster.add_metrics_server()
    cluster.kubectl.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    assert out(cluster, "run broken -n other --image=doesnotexist:1") == "pod/broken created\n"
    cluster.run(10)
    assert out(cluster, "top pods -n other") == "error: metrics not available yet\n"
    cluster.run(140)
    # The age is measured when kubectl has listed the pods, a few virtual milliseconds on.
    assert re.fullmatch(r"error: Metrics not available for pod other/broken, age: 2m30\.\d+s\n",
                        out(cluster, "top pods -n other"))


def test_top_with_metrics_server_down_is_the_aggregators_service_unavailable(cluster):
    cluster.add_metrics_server()
    cluster.metrics_server.crash()
    assert out(cluster, "top pods").startswith(
        "Error from server (ServiceUnavailable): the server is currently unable to handle the request (")


@pytest.mark.parametrize("seconds,text", [(150, "2m30s"), (3600, "1h0m0s"), (65.25, "1m5.25s"), (0.75, "750ms"),
                                          (0, "0s")], ids=lambda v: str(v))
def test_ages_in_top_errors_are_go_durations(seconds, text):
    assert go_duration(seconds) == text


# --- delete, errors, describe ---------------------------------------------------------------------

def test_delete_waits_for_the_uid_it_deleted_not_a_pod_recreated_under_the_name(cluster):
    cluster.kubectl.apply("""
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: nginx}]
""")
    cluster.run(20)
    [old] = [p["metadata"]["uid"] for p in cluster.objects("pods") if p["metadata"]["name"] == "db-0"]
    start = cluster.now
    assert out(cluster, "delete pod db-0") == 'pod "db-0" deleted\n'
    assert cluster.now - start < 60
    cluster.run(10)
    [new] = [p["metadata"]["uid"] for p in cluster.objects("pods") if p["metadata"]["name"] == "db-0"]
    assert new != old


def test_an_invalid_object_prints_kubectls_invalid_message(cluster):
    result = cluster.kubectl.apply(JOB_WITHOUT_RESTART_POLICY)
    assert (str(result), result.exit_code) == (
        'The Job "hello" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", '
        '"Never"\n', 1)
    assert str(cluster.kubectl.create(JOB_WITHOUT_RESTART_POLICY)) == str(result)


def test_several_causes_print_one_a_line_and_several_errors_as_the_servers_messages(cluster):
    bad = WEB.replace("name: web, labels", "name: bad, labels").replace("replicas: 2", "replicas: -1")
    assert out(cluster, "apply -f -") == "error: no objects passed to apply\n"
    result = str(cluster.kubectl.apply(bad.replace("{app: web}}\n    spec", "{app: other}}\n    spec")))
    assert result == (
        'The Deployment "bad" is invalid: \n'
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not '
        "match template `labels`\n")
    both = str(cluster.kubectl.apply(JOB_WITHOUT_RESTART_POLICY + "---\n" + bad))
    assert both == (
        'Error from server (Invalid): error when creating "STDIN": Job.batch "hello" is invalid: '
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"\n'
        'Error from server (Invalid): error when creating "STDIN": Deployment.apps "bad" is invalid: '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0\n")


def test_describe_job_as_describejob(cluster):
    cluster.kubectl.apply(PI)
    cluster.run(20)
    [job] = cluster.objects("jobs.batch")
    uid = job["metadata"]["uid"]
    [pod] = names(cluster, "pods", "pi-")
    assert out(cluster, "describe job pi") == (
        "Name:             pi\n"
        "Namespace:        default\n"
        f"Selector:         batch.kubernetes.io/controller-uid={uid}\n"
        f"Labels:           batch.kubernetes.io/controller-uid={uid}\n"
        "                  batch.kubernetes.io/job-name=pi\n"
        f"                  controller-uid={uid}\n"
        "                  job-name=pi\n"
        "Annotations:      <none>\n"
        "Parallelism:      1\n"
        "Completions:      1\n"
        "Completion Mode:  NonIndexed\n"
        "Suspend:          false\n"
        "Backoff Limit:    6\n"
        "Start Time:       Mon, 01 Jan 2024 00:00:27 +0000\n"
        "Completed At:     Mon, 01 Jan 2024 00:00:28 +0000\n"
        "Duration:         1s\n"
        "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed\n"
        "Pod Template:\n"
        f"  Labels:  batch.kubernetes.io/controller-uid={uid}\n"
        "           batch.kubernetes.io/job-name=pi\n"
        f"           controller-uid={uid}\n"
        "           job-name=pi\n"
        "  Containers:\n"
        "   pi:\n"
        "    Image:      busybox\n"
        "    Port:       <none>\n"
        "    Host Port:  <none>\n"
        "    Command:\n"
        "      echo\n"
        "      3.14\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Events:\n"
        "  Type    Reason            Age   From            Message\n"
        "  ----    ------            ----  ----            -------\n"
        f"  Normal  SuccessfulCreate  20s   job-controller  Created pod: {pod}\n"
        "  Normal  Completed         19s   job-controller  Job completed\n")


def test_describe_hpa_as_describehorizontalpodautoscalerv2(cluster):
    cluster.kubectl("autoscale deployment web --cpu-percent=50 --min=1 --max=10")
    cluster.run(1)
    text = out(cluster, "describe hpa web")
    assert text.startswith(
        "Name:                                                  web\n"
        "Namespace:                                             default\n"
        "Labels:                                                <none>\n"
        "Annotations:                                           <none>\n"
        "CreationTimestamp:                                     Mon, 01 Jan 2024 00:00:27 +0000\n"
        "Reference:                                             Deployment/web\n"
        "Metrics:                                               ( current / target )\n"
        "  resource cpu on pods  (as a percentage of request):  <unknown> / 50%\n"
        "Min replicas:                                          1\n"
        "Max replicas:                                          10\n"
        "Deployment pods:                                       ")


# --- get --watch --------------------------------------------------------------------------------

def test_get_watch_prints_a_row_per_event_and_columns_only_grow():
    c = Cluster.up(nodes=2, seed=1)
    c.kubectl.apply(WEB)
    result = c.kubectl("get pods -w --request-timeout=20s")
    lines = result.stdout.splitlines()
    a, b = lines[1].split()[0], lines[2].split()[0]
    assert sorted([a, b]) == names(c, "pods")
    # The list was empty: the header comes with the first event; ContainerCreating widens STATUS
    # for the rows after it, and the rows before keep their width (tabwriter RememberWidths).
    assert result.stdout == (
        "NAME                   READY   STATUS    RESTARTS   AGE\n"
        f"{a}   0/1     Pending   0          0s\n"
        f"{b}   0/1     Pending   0          0s\n"
        f"{a}   0/1     Pending   0          0s\n"
        f"{b}   0/1     Pending   0          0s\n"
        f"{a}   0/1     ContainerCreating   0          0s\n"
        f"{b}   0/1     ContainerCreating   0          0s\n"
        f"{a}   1/1     Running             0          1s\n"
        f"{b}   1/1     Running             0          1s\n")
    assert (result.stderr, result.exit_code) == ("", 0)


def test_get_watch_of_one_object_skips_its_synthetic_added_event(cluster):
    now = age(cluster, "deployments", "web")
    assert out(cluster, "get deploy web -w --request-timeout=5s") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        f"web    2/2     2            2           {now}\n")
    assert out(cluster, "get deploy,rs -w") == (
        "error: watch is only supported on individual resources and resource collections - more than 1 resource "
        "was found\n")
