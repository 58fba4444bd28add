"""Tests for k8slite/kubectl/kubectl.py and apply.py: kubectl's output against a live API server."""
import json

import pytest

from k8slite.api.scheme import SCHEME
from k8slite.apiserver.server import APIServer
from k8slite.client.rest import Client
from k8slite.etcd.server import EtcdServer
from k8slite.kubectl import Kubectl, Result
from k8slite.kubectl.apply import LAST_APPLIED, three_way_merge_patch
from k8slite.sim import Kernel, Network, Trace

MANIFESTS = "/work/shared/manifests/website"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: front
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
"""

NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}}}


@pytest.fixture
def world(tmp_path):
    k = Kernel(1)
    tr = Trace()
    net = Network(k, tr)
    EtcdServer(k, net)
    api = APIServer(k, net)
    api.start()
    c = Client(k, net, "kubectl", "kubernetes-admin", ("system:masters",))
    net.listen("kubectl", "admin", c.on_message)
    k.run(seconds=1)
    k.run_until_complete(c.create(SCHEME.by_resource("", "serviceaccounts"), "default", {"metadata": {"name": "default"}}))
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "svc.yaml").write_text(SERVICE)
    return Kubectl(k, c, cwd=str(tmp_path)), k, c, tmp_path


def run(kubectl, *commands):
    """Run commands in order; return the last Result."""
    result = None
    for command in commands:
        result = kubectl(command)
    return result


CASES = [
    ("applying a new deployment creates it and names it kind.group/name",
     ["apply -f deploy.yaml"], "deployment.apps/web created\n", 0),
    ("re-applying an unchanged manifest is unchanged although the server filled in defaults",
     ["apply -f deploy.yaml", "apply -f deploy.yaml"], "deployment.apps/web unchanged\n", 0),
    ("a directory applies every manifest in name order",
     ["apply -f ."], "deployment.apps/web created\nservice/web created\n", 0),
    ("a core kind has no group in its name",
     [f"apply -f {MANIFESTS}/pods/pod-nginx.yaml"], "pod/nginx created\n", 0),
    ("create of an existing object is an AlreadyExists error naming the file",
     ["create -f deploy.yaml", "create -f deploy.yaml"],
     'Error from server (AlreadyExists): error when creating "deploy.yaml": deployments.apps "web" already exists\n', 1),
    ("a missing file is a client error",
     ["apply -f nope.yaml"], 'error: the path "nope.yaml" does not exist\n', 1),
    ("get of an empty namespace says so on stderr",
     ["get pods"], "No resources found in default namespace.\n", 0),
    ("get across namespaces has no namespace in the message, and no full stop",
     ["get deployments -A"], "No resources found\n", 0),
    ("get of a missing object is the server's NotFound",
     ["get pods x"], 'Error from server (NotFound): pods "x" not found\n', 1),
    ("get of a missing grouped object names resource.group",
     ["get deploy x"], 'Error from server (NotFound): deployments.apps "x" not found\n', 1),
    ("an unknown resource type is a client error",
     ["get foo"], 'error: the server doesn\'t have a resource type "foo"\n', 1),
    ("an unknown command is a client error",
     ["frobnicate"], 'error: unknown command "frobnicate" for "kubectl"\n', 1),
    ("get prints the kind's table",
     ["apply -f deploy.yaml", "get deploy"],
     "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0/2     0            0           0s\n", 0),
    ("get -A adds the namespace column",
     ["apply -f deploy.yaml", "get deploy -A"],
     "NAMESPACE   NAME   READY   UP-TO-DATE   AVAILABLE   AGE\ndefault     web    0/2     0            0           0s\n", 0),
    ("show-labels adds the labels column",
     ["apply -f deploy.yaml", "get deploy --show-labels"],
     "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   LABELS\nweb    0/2     0            0           0s    app=web,tier=front\n", 0),
    ("a label selector filters the list",
     ["apply -f deploy.yaml", "get deploy -l app=other"], "No resources found in default namespace.\n", 0),
    ("get all prints one table per non-empty kind, each name with its kind",
     ["apply -f deploy.yaml", "get all"],
     "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
     "service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   1s\n\n"
     "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
     "deployment.apps/web   0/2     0            0           0s\n", 0),
    ("-o name prints kind.group/name",
     ["apply -f deploy.yaml", "get deploy,svc -o name"], "deployment.apps/web\nservice/kubernetes\n", 0),
    ("jsonpath walks items with [*]",
     ["apply -f .", "get svc -o jsonpath={.items[*].metadata.name}"], "kubernetes web", 0),
    ("jsonpath range prints one line per item",
     ["apply -f .", 'get svc -o jsonpath=\'{range .items[*]}{.metadata.name}:{.spec.ports[0].port}{"\\n"}{end}\''],
     "kubernetes:443\nweb:80\n", 0),
    ("scale patches the scale subresource",
     ["apply -f deploy.yaml", "scale deployment/web --replicas=5"], "deployment.apps/web scaled\n", 0),
    ("scale with type and name as two arguments",
     ["apply -f deploy.yaml", "scale deployment web --replicas=0", "get deploy web -o jsonpath={.spec.replicas}"],
     "0", 0),
    ("scale without --replicas is a client error",
     ["scale deployment web"], 'error: required flag(s) "replicas" not set\n', 1),
    ("delete prints kind.group and the quoted name",
     ["apply -f deploy.yaml", "delete deployment web"], 'deployment.apps "web" deleted\n', 0),
    ("a deleted object is gone when delete returns",
     ["apply -f deploy.yaml", "delete deployment web", "get deploy"], "No resources found in default namespace.\n", 0),
    ("delete -f deletes what the file names",
     ["apply -f .", "delete -f . --wait=false"], 'deployment.apps "web" deleted\nservice "web" deleted\n', 0),
    ("delete of a missing object is NotFound",
     ["delete pod x"], 'Error from server (NotFound): pods "x" not found\n', 1),
    ("label adds a label",
     ["apply -f deploy.yaml", "label deploy web env=prod", "get deploy web -o jsonpath={.metadata.labels}"],
     '{"app":"web","env":"prod","tier":"front"}', 0),
    ("label refuses to change a value without --overwrite",
     ["apply -f deploy.yaml", "label deploy web tier=back"],
     "error: 'tier' already has a value (front), and --overwrite is false\n", 1),
    ("label key- removes a label",
     ["apply -f deploy.yaml", "label deploy/web tier-"], "deployment.apps/web unlabeled\n", 0),
    ("annotate sets an annotation",
     ["apply -f deploy.yaml", "annotate deploy web note=hi"], "deployment.apps/web annotated\n", 0),
    ("api-resources lists the real columns",
     ["api-resources"], None, 0),
]


@pytest.mark.parametrize("commands,expected,code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_command_output(world, commands, expected, code):
    kubectl = world[0]
    result = run(kubectl, *commands)
    if expected is None:
        assert str(result).splitlines()[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        rows = [line.split() for line in str(result).splitlines()]
        assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in rows
        assert ["nodes", "no", "v1", "false", "Node"] in rows
    else:
        assert str(result) == expected
    assert result.exit_code == code


def test_changing_the_image_is_configured_and_reaches_the_live_object(world):
    kubectl, _, _, tmp = world
    kubectl("apply -f deploy.yaml")
    (tmp / "deploy.yaml").write_text(DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"))
    assert str(kubectl("apply -f deploy.yaml")) == "deployment.apps/web configured\n"
    image = kubectl("get deploy web -o jsonpath={.spec.template.spec.containers[0].image}")
    assert str(image) == "nginx:1.26"


def test_a_label_dropped_from_the_manifest_is_removed_but_one_added_by_hand_stays(world):
    kubectl, _, _, tmp = world
    kubectl("apply -f deploy.yaml")
    kubectl("label deploy web owner=me")
    (tmp / "deploy.yaml").write_text(DEPLOYMENT.replace("    tier: front\n", ""))
    assert str(kubectl("apply -f deploy.yaml")) == "deployment.apps/web configured\n"
    assert str(kubectl("get deploy web -o jsonpath={.metadata.labels}")) == '{"app":"web","owner":"me"}'


def test_the_last_applied_annotation_is_the_compact_sorted_json_of_the_manifest(world):
    kubectl = world[0]
    result = kubectl("apply -f svc.yaml")
    annotation = result.objects[0]["metadata"]["annotations"][LAST_APPLIED]
    assert annotation == ('{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"web",'
                          '"namespace":"default"},"spec":{"ports":[{"port":80}],"selector":{"app":"web"}}}\n')


def test_an_unknown_kind_is_reported_after_the_documents_that_did_apply(world):
    kubectl, _, _, tmp = world
    (tmp / "mixed.yaml").write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: old\n---\n" + SERVICE)
    result = kubectl("apply -f mixed.yaml")
    assert result.stdout == "service/web created\n"
    assert result.stderr == ('error: resource mapping not found for name: "old" namespace: "" from "mixed.yaml": '
                             'no matches for kind "CronJob" in version "batch/v1beta1"\n'
                             "ensure CRDs are installed first\n")
    assert result.exit_code == 1


def test_malformed_yaml_applies_nothing(world):
    kubectl, _, _, tmp = world
    (tmp / "bad.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n bad: [\n")
    result = kubectl("apply -f bad.yaml")
    assert result.stdout == ""
    assert result.stderr.startswith("error: error parsing bad.yaml: error converting YAML to JSON: yaml: line ")
    assert result.exit_code == 1
    assert str(kubectl("get svc -o name")) == "service/kubernetes\n"


def test_get_yaml_of_one_object_is_the_object_and_of_a_list_is_a_List(world):
    kubectl = world[0]
    kubectl("apply -f svc.yaml")
    one = str(kubectl("get svc web -o yaml"))
    assert one.startswith("apiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n"
                          "    kubectl.kubernetes.io/last-applied-configuration: |\n      {")
    assert "  ports:\n  - port: 80\n    protocol: TCP\n    targetPort: 80\n" in one
    assert '  resourceVersion: "' in one
    many = str(kubectl("get svc -o yaml"))
    assert many.startswith("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n")
    assert many.endswith("kind: List\nmetadata:\n  resourceVersion: \"\"\n")


def test_get_json_is_indented_by_four_spaces(world):
    kubectl = world[0]
    text = str(kubectl("get svc kubernetes -o json"))
    assert text.startswith('{\n    "apiVersion": "v1",\n    "kind": "Service",\n    "metadata": {\n        "creationTimestamp"')
    assert json.loads(text)["spec"]["clusterIP"] == "10.96.0.1"


def test_cordon_and_uncordon_say_when_nothing_changes(world):
    kubectl, k, c, _ = world
    k.run_until_complete(c.create(SCHEME.by_resource("", "nodes"), "", NODE))
    outputs = [str(kubectl(cmd)) for cmd in ("cordon node-1", "cordon node-1", "uncordon node-1", "uncordon node-1")]
    assert outputs == ["node/node-1 cordoned\n", "node/node-1 already cordoned\n",
                       "node/node-1 uncordoned\n", "node/node-1 already uncordoned\n"]


def test_taint_adds_refuses_duplicates_and_removes(world):
    kubectl, k, c, _ = world
    k.run_until_complete(c.create(SCHEME.by_resource("", "nodes"), "", NODE))
    assert str(kubectl("taint nodes node-1 dedicated=gpu:NoSchedule")) == "node/node-1 tainted\n"
    assert str(kubectl("taint nodes node-1 dedicated=cpu:NoSchedule")) == (
        "error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n")
    assert str(kubectl("get node node-1 -o jsonpath={.spec.taints}")) == (
        '[{"effect":"NoSchedule","key":"dedicated","value":"gpu"}]')
    assert str(kubectl("taint nodes node-1 dedicated:NoSchedule-")) == "node/node-1 untainted\n"
    assert str(kubectl("taint nodes node-1 dedicated:NoSchedule-")) == 'error: taint "dedicated:NoSchedule" not found\n'


def test_describe_node_shows_its_lease_and_non_terminated_pods(world):
    kubectl, k, c, _ = world
    k.run_until_complete(c.create(SCHEME.by_resource("", "nodes"), "", NODE))
    text = str(kubectl("describe node node-1"))
    assert text.startswith("Name:               node-1\n")
    assert "Non-terminated Pods:" in text
    assert text.endswith("Events:              <none>\n")


def test_describe_of_a_missing_object_is_not_found(world):
    result = world[0]("describe deploy nope")
    assert (str(result), result.exit_code) == ('Error from server (NotFound): deployments.apps "nope" not found\n', 1)


def test_get_events_lists_in_the_servers_order_and_sort_by_orders_by_time(world):
    kubectl, k, c, _ = world
    events = SCHEME.by_resource("", "events")
    for name, ts in (("a", "2024-01-01T00:00:09Z"), ("b", "2024-01-01T00:00:05Z")):
        k.run_until_complete(c.create(events, "default", {
            "metadata": {"name": name}, "involvedObject": {"kind": "Pod", "name": "p" + name, "namespace": "default"},
            "reason": "Test", "message": "m " + name, "type": "Normal", "lastTimestamp": ts, "firstTimestamp": ts,
            "count": 1, "source": {"component": "test"}}))
    k.run(seconds=10)
    # kubectl get does not sort events (kubectl events does): the list comes in key order.
    lines = str(kubectl("get events")).splitlines()
    assert [line.split()[-2:] for line in lines[1:]] == [["m", "a"], ["m", "b"]]
    lines = str(kubectl("get events --sort-by=.lastTimestamp")).splitlines()
    assert [line.split()[-2:] for line in lines[1:]] == [["m", "b"], ["m", "a"]]


def test_delete_waits_for_the_object_to_go(world):
    kubectl, k, _, _ = world
    kubectl(f"apply -f {MANIFESTS}/pods/pod-nginx.yaml")
    start = k.now
    assert str(kubectl("delete pod nginx --grace-period=0 --force")) == (
        'pod "nginx" deleted\nWarning: Immediate deletion does not wait for confirmation that the running resource '
        "has been terminated. The resource may continue to run on the cluster indefinitely.\n")
    assert k.now - start < 1


def test_python_methods_mirror_the_command_line(world):
    kubectl = world[0]
    assert str(kubectl.apply(SERVICE)) == "service/web created\n"
    assert str(kubectl.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                              "data": {"k": "v"}})) == "configmap/cm created\n"
    assert str(kubectl.get("svc", "web", output="name")) == "service/web\n"
    assert str(kubectl.scale("deployment", "missing", 3)) == (
        'Error from server (NotFound): deployments.apps "missing" not found\n')
    assert str(kubectl.delete("configmap", "cm")) == 'configmap "cm" deleted\n'


def test_a_result_shows_as_its_plain_text():
    result = Result("pod/x created\n", "", 0, [])
    assert repr(result) == "pod/x created"
    assert str(result) == "pod/x created\n"


THREE_WAY = [
    ("nothing to do when the new config is contained in the live object",
     {"a": 1}, {"a": 1}, {"a": 1, "b": 2}, {}),
    ("a field dropped from the config since last apply is deleted",
     {"a": 1, "b": 2}, {"a": 1}, {"a": 1, "b": 2}, {"b": None}),
    ("a field the user never applied is left alone",
     {"a": 1}, {"a": 1}, {"a": 1, "c": 3}, {}),
    ("a changed container image patches only that container, by name",
     {"containers": [{"name": "x", "image": "1"}]}, {"containers": [{"name": "x", "image": "2"}]},
     {"containers": [{"name": "x", "image": "1", "imagePullPolicy": "Always"}]},
     {"containers": [{"name": "x", "image": "2"}]}),
    ("a container dropped from the config is deleted by its merge key",
     {"containers": [{"name": "x"}, {"name": "y"}]}, {"containers": [{"name": "x"}]},
     {"containers": [{"name": "x"}, {"name": "y"}]}, {"containers": [{"name": "y", "$patch": "delete"}]}),
    ("a list without a merge key is replaced whole",
     {"args": ["a"]}, {"args": ["b"]}, {"args": ["a"]}, {"args": ["b"]}),
]


@pytest.mark.parametrize("original,modified,current,patch", [c[1:] for c in THREE_WAY], ids=[c[0] for c in THREE_WAY])
def test_three_way_merge_patch(original, modified, current, patch):
    assert three_way_merge_patch(original, modified, current) == patch
