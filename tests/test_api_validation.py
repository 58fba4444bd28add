"""k8slite.api.defaults and validation: messages from pkg/apis/{core,apps}/validation."""
import copy
import glob
import os

import pytest
import yaml

from k8slite.api import SCHEME, apply_defaults, validate
from k8slite.api import errors
from k8slite.api.validation import POD_UPDATE_FORBIDDEN

MANIFESTS = "/work/shared/manifests"
POD_INFO = SCHEME.by_kind("v1", "Pod")
DEPLOY_INFO = SCHEME.by_kind("apps/v1", "Deployment")


def pod(**spec):
    base = {"containers": [{"name": "web", "image": "nginx:1.25"}]}
    base.update(spec)
    return apply_defaults({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "p", "namespace": "default"}, "spec": base})


def deployment(**spec):
    base = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}
    base.update(spec)
    return apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "web", "namespace": "default"}, "spec": base})


def messages(info, obj, old=None):
    return [c.error_string() for c in validate(info, obj, old)]


# ---- defaults -----------------------------------------------------------------------------

def test_pod_defaults():
    p = pod(containers=[{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]},
                        {"name": "b", "image": "nginx:1.25"},
                        {"name": "c", "image": "r/x@sha256:abc", "resources": {"limits": {"cpu": "1"}}}])
    s = p["spec"]
    assert (s["restartPolicy"], s["dnsPolicy"], s["schedulerName"], s["terminationGracePeriodSeconds"],
            s["securityContext"], s["enableServiceLinks"], s["preemptionPolicy"]) == (
        "Always", "ClusterFirst", "default-scheduler", 30, {}, True, "PreemptLowerPriority")
    assert "serviceAccountName" not in s and "priority" not in s
    assert [c["imagePullPolicy"] for c in s["containers"]] == ["Always", "IfNotPresent", "IfNotPresent"]
    a = s["containers"][0]
    assert (a["terminationMessagePath"], a["terminationMessagePolicy"], a["resources"],
            a["ports"][0]["protocol"]) == ("/dev/termination-log", "File", {}, "TCP")
    assert s["containers"][2]["resources"]["requests"] == {"cpu": "1"}


def test_defaults_return_a_copy_and_pass_unknown_kinds_through():
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    before = copy.deepcopy(obj)
    apply_defaults(obj)
    assert obj == before
    shirt = {"apiVersion": "stable.example.com/v1", "kind": "Shirt", "spec": {}}
    assert apply_defaults(shirt) == shirt


@pytest.mark.parametrize("obj, path, want", [
    pytest.param(deployment(), ("spec", "strategy"),
                 {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 id="a deployment rolls 25 percent at a time"),
    pytest.param(deployment(), ("spec", "revisionHistoryLimit"), 10, id="ten old replica sets are kept"),
    pytest.param(deployment(), ("spec", "progressDeadlineSeconds"), 600, id="ten minutes to progress"),
    pytest.param(apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {}}),
                 ("spec", "replicas"), 1, id="one replica by default"),
    pytest.param(deployment(), ("spec", "template", "spec", "restartPolicy"), "Always",
                 id="templates get pod spec defaults"),
    pytest.param(apply_defaults({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {}}),
                 ("spec", "replicas"), 1, id="a replica set has one replica by default"),
    pytest.param(apply_defaults({"apiVersion": "v1", "kind": "Service",
                                 "spec": {"ports": [{"port": 80}]}}), ("spec",),
                 {"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                  "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"],
                  "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]},
                 id="a service defaults to ClusterIP with targetPort equal to port"),
    pytest.param(apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
                 (), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"},
                      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
                 id="a namespace gets the kubernetes finalizer and is Active"),
])
def test_kind_defaults(obj, path, want):
    for p in path:
        obj = obj[p]
    assert obj == want


# ---- pods ---------------------------------------------------------------------------------

@pytest.mark.parametrize("obj, want", [
    pytest.param(pod(), [], id="a minimal pod is valid"),
    pytest.param(pod(containers=[]), ["spec.containers: Required value"], id="a pod needs containers"),
    pytest.param(pod(containers=[{"name": "web"}]), ["spec.containers[0].image: Required value"],
                 id="a container needs an image"),
    pytest.param(pod(containers=[{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]),
                 ['spec.containers[1].name: Duplicate value: "web"'], id="container names are unique"),
    pytest.param(pod(containers=[{"name": "Web", "image": "a"}]),
                 ['spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must '
                  "consist of lower case alphanumeric characters or '-', and must start and end with "
                  "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"],
                 id="container names are DNS labels"),
    pytest.param(pod(containers=[{"name": "web", "image": "a", "ports": [{"containerPort": 70000}]}]),
                 ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between "
                  "1 and 65535, inclusive"], id="ports are 1 to 65535"),
    pytest.param(pod(restartPolicy="Sometimes"),
                 ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
                  '"OnFailure", "Never"'], id="restart policy has three values"),
    pytest.param(pod(containers=[{"name": "web", "image": "a", "resources": {
        "requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]),
                 ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or '
                  'equal to cpu limit of 1'], id="requests may not exceed limits"),
    pytest.param(pod(containers=[{"name": "web", "image": "a", "resources": {
        "requests": {"memory": "2Gi"}, "limits": {"memory": "1536Mi"}}}]),
                 ['spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or '
                  'equal to memory limit of 1536Mi'], id="binary quantities print in binary"),
    pytest.param(pod(containers=[{"name": "web", "image": "a", "resources": {"limits": {"cpu": "lots"}}}]),
                 ['spec.containers[0].resources.limits[cpu]: Invalid value: "lots": quantities must '
                  "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                  'spec.containers[0].resources.requests[cpu]: Invalid value: "lots": quantities '
                  "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
                 id="quantities must parse"),
])
def test_pod_create(obj, want):
    assert messages(POD_INFO, obj) == want


@pytest.mark.parametrize("change, allowed", [
    pytest.param(lambda s: s["containers"][0].update(image="nginx:1.26"), True, id="the image may change"),
    pytest.param(lambda s: s.update(activeDeadlineSeconds=30), True, id="a deadline may be set"),
    pytest.param(lambda s: s.update(tolerations=[{"key": "k", "operator": "Exists"}]), True,
                 id="tolerations may be added"),
    pytest.param(lambda s: s["containers"][0].update(ports=[{"containerPort": 80, "protocol": "TCP"}]),
                 False, id="ports may not change"),
    pytest.param(lambda s: s.update(nodeName="n1"), False, id="the node may not be set by update"),
])
def test_pod_update(change, allowed):
    old = pod()
    new = copy.deepcopy(old)
    change(new["spec"])
    got = messages(POD_INFO, new, old)
    assert got == ([] if allowed else ["spec: Forbidden: " + POD_UPDATE_FORBIDDEN])


def test_pod_update_message_reads_as_kubectl_shows_it():
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["restartPolicy"] = "Never"
    e = errors.invalid("Pod", "p", validate(POD_INFO, new, old))
    assert str(e).startswith('Pod "p" is invalid: spec: Forbidden: pod updates may not change fields '
                             "other than `spec.containers[*].image`,")


# ---- deployments and replica sets ----------------------------------------------------------

@pytest.mark.parametrize("obj, want", [
    pytest.param(deployment(), [], id="a matching selector and template are valid"),
    pytest.param(deployment(replicas=-1),
                 ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
                 id="replicas may not be negative"),
    pytest.param(deployment(selector={"matchLabels": {"app": "x"}}),
                 ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
                  '`selector` does not match template `labels`'], id="the selector must match the template"),
    pytest.param(deployment(strategy={"type": "RollingUpdate",
                                      "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}),
                 ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when "
                  "`maxSurge` is 0"], id="a rollout must be able to make progress"),
    pytest.param(deployment(strategy={"type": "Recreate", "rollingUpdate": {}}),
                 ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` "
                  "is 'Recreate'"], id="recreate takes no rolling update parameters"),
    pytest.param(deployment(strategy={"type": "BlueGreen"}),
                 ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
                  'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: '
                  '"Recreate", "RollingUpdate"'], id="only two strategy types"),
    pytest.param(deployment(template={"metadata": {"labels": {"app": "web"}}, "spec": {
        "restartPolicy": "Never", "containers": [{"name": "web", "image": "nginx"}]}}),
                 ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: '
                  '"Always"'], id="deployment pods always restart"),
])
def test_deployment_create(obj, want):
    assert messages(DEPLOY_INFO, obj) == want


def test_deployment_selector_is_immutable():
    old = deployment()
    new = deployment(selector={"matchLabels": {"app": "web", "v": "2"}},
                     template={"metadata": {"labels": {"app": "web", "v": "2"}},
                               "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
    assert messages(DEPLOY_INFO, new, old) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
        '"v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']


def test_replica_set_rules_and_invalid_status():
    rs = apply_defaults({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                         "metadata": {"name": "rs", "namespace": "default"},
                         "spec": {"replicas": -1, "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    e = errors.invalid("ReplicaSet.apps", "rs", validate(SCHEME.by_kind("apps/v1", "ReplicaSet"), rs))
    assert str(e) == (
        'ReplicaSet.apps "rs" is invalid: [spec.replicas: Invalid value: -1: must be greater than or '
        'equal to 0, spec.selector: Required value, spec.template.metadata.labels: Invalid value: '
        'map[string]string{"a":"b"}: `selector` does not match template `labels`]')


# ---- services, nodes, namespaces ------------------------------------------------------------

def service(**spec):
    return apply_defaults({"apiVersion": "v1", "kind": "Service",
                           "metadata": {"name": "svc", "namespace": "default"}, "spec": spec})


SVC = SCHEME.by_kind("v1", "Service")


@pytest.mark.parametrize("obj, want", [
    pytest.param(service(ports=[{"port": 80}], selector={"app": "web"}), [], id="a plain service"),
    pytest.param(service(), ["spec.ports: Required value"], id="a service needs ports"),
    pytest.param(service(clusterIP="None"), [], id="a headless service needs none"),
    pytest.param(service(type="ExternalName", externalName="example.com"), [],
                 id="an external name service needs none"),
    pytest.param(service(ports=[{"port": 80}, {"port": 81}]),
                 ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"],
                 id="several ports must be named"),
    pytest.param(service(ports=[{"port": 80, "name": "a"}, {"port": 81, "name": "a"}]),
                 ['spec.ports[1].name: Duplicate value: "a"'], id="port names are unique"),
    pytest.param(service(ports=[{"port": 0, "targetPort": 80}]),
                 ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"],
                 id="service ports are 1 to 65535"),
    pytest.param(service(type="Magic", ports=[{"port": 80}]),
                 ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", '
                  '"ExternalName", "LoadBalancer", "NodePort"'], id="four service types"),
])
def test_service(obj, want):
    assert messages(SVC, obj) == want


def test_service_names_are_dns1035_labels():
    obj = service(ports=[{"port": 80}])
    obj["metadata"]["name"] = "1svc"
    assert messages(SVC, obj) == [
        'metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case '
        "alphanumeric characters or '-', start with an alphabetic character, and end with an "
        "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
        "'[a-z]([-a-z0-9]*[a-z0-9])?')"]


@pytest.mark.parametrize("taints, want", [
    pytest.param([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}], [],
                 id="a control plane taint"),
    pytest.param([{"key": "k", "effect": "Sometimes"}],
                 ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: '
                  '"NoSchedule", "PreferNoSchedule", "NoExecute"'], id="three taint effects"),
    pytest.param([{"key": "a/b/c", "effect": "NoSchedule"}],
                 ['spec.taints[0].key: Invalid value: "a/b/c": a qualified name must consist of '
                  "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                  "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
                  "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
                 id="taint keys are qualified names"),
])
def test_node_taints(taints, want):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"taints": taints}}
    assert messages(SCHEME.by_kind("v1", "Node"), apply_defaults(node)) == want


def test_namespace_names_are_dns_labels():
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}})
    assert messages(SCHEME.by_kind("v1", "Namespace"), ns) == [
        'metadata.name: Invalid value: "a.b": must not contain dots']


# ---- the shared manifests ------------------------------------------------------------------

CHECKED_KINDS = {"Pod", "Deployment", "Service", "ReplicaSet", "Namespace"}
# A kustomize base: its selector comes from kustomization commonLabels, so applied raw the
# real API server rejects it exactly like this.
EXPECTED_INVALID = {
    ("kwok/kustomize/kwok/deployment.yaml", 0): [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not "
        "match template `labels`"],
}


def _checked_docs():
    for path in sorted(glob.glob(f"{MANIFESTS}/**/*", recursive=True)):
        if path.endswith((".yaml", ".yml", ".json")):
            with open(path) as f:
                for i, doc in enumerate(d for d in yaml.safe_load_all(f) if d is not None):
                    if doc.get("kind") in CHECKED_KINDS:
                        yield os.path.relpath(path, MANIFESTS), i, doc


@pytest.mark.parametrize("path, index, doc", [
    pytest.param(p, i, d, id=f"{p} document {i} ({d['kind']} {d['metadata'].get('name')})")
    for p, i, d in _checked_docs()])
def test_shared_manifests_validate_after_defaulting(path, index, doc):
    info = SCHEME.by_kind(doc["apiVersion"], doc["kind"])
    obj = apply_defaults(doc)
    if info.namespaced:   # the server fills the namespace in from the request path
        obj["metadata"].setdefault("namespace", "default")
    assert messages(info, obj) == EXPECTED_INVALID.get((path, index), [])


def test_the_checked_manifests_cover_every_checked_kind():
    assert {d["kind"] for _, _, d in _checked_docs()} == CHECKED_KINDS
