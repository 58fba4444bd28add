"""Admission plugins: each plugin's allow and deny cases with upstream's messages, warnings and
audit annotations, quota counting, and the chain end to end through a real API server."""
from __future__ import annotations

import copy

import pytest

from k8slite.api import errors
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.admission import DEFAULT_ON_PLUGINS, ORDERED_PLUGINS, QUOTA_PENDING_TTL, Admission
from k8slite.apiserver.registry import Context
from k8slite.sim import Kernel

PODS = SCHEME.by_resource("", "pods")
NODES = SCHEME.by_resource("", "nodes")
NAMESPACES = SCHEME.by_resource("", "namespaces")
LEASES = SCHEME.by_resource("coordination.k8s.io", "leases")
DEPLOYMENTS = SCHEME.by_resource("apps", "deployments")
CONFIGMAPS = SCHEME.by_resource("", "configmaps")
SERVICES = SCHEME.by_resource("", "services")
PVCS = SCHEME.by_resource("", "persistentvolumeclaims")


# ---- a fake API server: watch caches holding given objects, and a kernel ---------------------

class FakeCacher:
    def __init__(self):
        self.items: dict[str, dict] = {}

    def objects(self) -> list[dict]:
        return [o for _, o in sorted(self.items.items())]

    def get(self, namespace: str, name: str):
        return self.items.get(f"{namespace}/{name}")


class FakeRegistry:
    def __init__(self):
        self.cacher = FakeCacher()


class FakeServer:
    """What admission reads: ``cached``, ``registries[...].cacher``, ``kernel``."""

    def __init__(self, *objects: dict):
        self.kernel = Kernel(0)
        self.registries: dict = {}
        for info in SCHEME.all():
            self.registries[(info.group, info.resource)] = FakeRegistry()
        self.add(namespace("default"))
        self.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default"}})
        for obj in objects:
            self.add(obj)

    def add(self, obj: dict) -> dict:
        info = SCHEME.by_kind(obj["apiVersion"], obj["kind"])
        meta = obj["metadata"]
        self.registries[(info.group, info.resource)].cacher.items[f"{meta.get('namespace', '')}/{meta['name']}"] = obj
        return obj

    def cached(self, resource, namespace, name, group=""):
        registry = self.registries.get((group, resource))
        return registry.cacher.get(namespace, name) if registry else None


def namespace(name: str, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})},
            "status": {"phase": "Active"}}


def pod(name: str = "web", ns: str = "default", containers=None, **spec) -> dict:
    containers = containers or [{"name": "nginx", "image": "nginx"}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": copy.deepcopy(containers), "securityContext": {}, **spec},
            "status": {"phase": "Pending"}}


def container(name: str = "app", requests=None, limits=None, **extra) -> dict:
    c = {"name": name, "image": "nginx", **extra}
    res = {}
    if requests:
        res["requests"] = dict(requests)
    if limits:
        res["limits"] = dict(limits)
    c["resources"] = res
    return c


def ctx_for(server, user="kubernetes-admin", groups=("system:masters",), subresource=""):
    ctx = Context(server, user, groups)
    ctx.subresource = subresource
    return ctx


def run(server, admission, info, operation, obj, old=None, ctx=None):
    """Both phases, as the registry runs them: admit, then validate."""
    ctx = ctx or ctx_for(server)

    async def both():
        await admission.admit(ctx, info, operation, obj, old)
        await admission.validate(ctx, info, operation, obj, old)
    server.kernel.run_until_complete(both())
    return ctx


def refused(server, admission, info, operation, obj, old=None, ctx=None) -> errors.StatusError:
    with pytest.raises(errors.StatusError) as caught:
        run(server, admission, info, operation, obj, old, ctx)
    return caught.value


def test_the_chain_is_in_upstream_order_with_node_restriction_off_by_default():
    assert ORDERED_PLUGINS == ("NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction",
                               "PodSecurity", "Priority", "DefaultTolerationSeconds", "ResourceQuota")
    assert "NodeRestriction" not in DEFAULT_ON_PLUGINS
    with pytest.raises(ValueError, match="AlwaysDeny"):
        Admission(FakeServer(), ["AlwaysDeny"])


# ---- the plugins that were there before ---------------------------------------------------

def test_a_pod_runs_as_the_default_service_account_tolerates_unready_nodes_and_gets_priority_zero():
    server = FakeServer()
    p = pod()
    run(server, Admission(server), PODS, "CREATE", p)
    assert p["spec"]["serviceAccountName"] == p["spec"]["serviceAccount"] == "default"
    assert p["spec"]["priority"] == 0
    assert [t["key"] for t in p["spec"]["tolerations"]] == ["node.kubernetes.io/not-ready",
                                                             "node.kubernetes.io/unreachable"]
    assert all(t["tolerationSeconds"] == 300 for t in p["spec"]["tolerations"])


def test_a_pod_naming_a_missing_service_account_is_refused():
    server = FakeServer()
    error = refused(server, Admission(server), PODS, "CREATE", pod(serviceAccountName="robot"))
    assert error.code == 403
    assert error.message == ('pods "web" is forbidden: error looking up service account default/robot: '
                             'serviceaccount "robot" not found')


def test_a_priority_class_gives_its_value_and_an_unknown_one_is_refused():
    server = FakeServer({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                         "metadata": {"name": "high"}, "value": 1000, "preemptionPolicy": "Never"})
    p = pod(priorityClassName="high")
    run(server, Admission(server), PODS, "CREATE", p)
    assert (p["spec"]["priority"], p["spec"]["preemptionPolicy"]) == (1000, "Never")
    error = refused(server, Admission(server), PODS, "CREATE", pod(priorityClassName="low"))
    assert error.message == 'pods "web" is forbidden: no PriorityClass with name low was found'


def test_a_terminating_namespace_takes_no_new_objects_and_the_system_namespaces_cannot_be_deleted():
    server = FakeServer(dict(namespace("old"), status={"phase": "Terminating"}))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "old"}}
    error = refused(server, Admission(server), CONFIGMAPS, "CREATE", cm)
    assert error.message == ('configmaps "c" is forbidden: unable to create new content in namespace old '
                             'because it is being terminated')
    with pytest.raises(errors.StatusError, match="this namespace may not be deleted"):
        Admission(server).check_delete(NAMESPACES, "", "kube-system")


# ---- LimitRanger ------------------------------------------------------------------------

def limit_range(*items, name="limits", ns="default") -> dict:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name, "namespace": ns},
            "spec": {"limits": list(items)}}


def test_limit_ranger_fills_in_default_requests_and_limits_and_says_so_in_an_annotation():
    server = FakeServer(limit_range({"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                                     "defaultRequest": {"cpu": "250m"}}))
    p = pod(containers=[container("app")])
    run(server, Admission(server), PODS, "CREATE", p)
    resources = p["spec"]["containers"][0]["resources"]
    # defaultRequest.memory was not given: it defaults to default.memory (SetDefaults_LimitRangeItem).
    assert resources == {"limits": {"cpu": "500m", "memory": "512Mi"},
                         "requests": {"cpu": "250m", "memory": "512Mi"}}
    assert p["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app")


def test_limit_ranger_keeps_what_a_container_states_and_defaults_the_limit_to_the_max():
    server = FakeServer(limit_range({"type": "Container", "max": {"cpu": "2"}}))
    p = pod(containers=[container("app", requests={"cpu": "100m"})])
    run(server, Admission(server), PODS, "CREATE", p)
    assert p["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "2"}, "requests": {"cpu": "100m"}}
    assert p["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu limit for container app")


@pytest.mark.parametrize("item, resources, message", [
    ({"type": "Container", "max": {"cpu": "500m"}}, {"limits": {"cpu": "1"}},
     "maximum cpu usage per Container is 500m, but limit is 1"),
    ({"type": "Container", "min": {"memory": "64Mi"}}, {"requests": {"memory": "32Mi"}},
     "minimum memory usage per Container is 64Mi, but request is 32Mi"),
    ({"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}},
     {"requests": {"cpu": "250m"}, "limits": {"cpu": "1"}},
     "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"),
    ({"type": "Container", "min": {"cpu": "100m"}, "max": {"memory": "1Gi"}},
     {"requests": {"cpu": "50m"}, "limits": {"cpu": "50m", "memory": "2Gi"}},
     "[minimum cpu usage per Container is 100m, but request is 50m, "
     "maximum memory usage per Container is 1Gi, but limit is 2Gi]"),
    ({"type": "Pod", "max": {"cpu": "1"}}, {"requests": {"cpu": "600m"}, "limits": {"cpu": "600m"}},
     "maximum cpu usage per Pod is 1, but limit is 1200m"),
], ids=["a limit above the max is refused with upstream's message",
        "a request below the min is refused",
        "a limit more than maxLimitRequestRatio times the request is refused",
        "several violations aggregate as a bracketed list",
        "a Pod item checks the sum over the pod's containers"])
def test_limit_ranger_refuses_what_is_outside_the_range(item, resources, message):
    server = FakeServer(limit_range(item))
    containers = [dict(container("a"), resources=copy.deepcopy(resources))]
    if item["type"] == "Pod":
        containers.append(dict(container("b"), resources=copy.deepcopy(resources)))
    error = refused(server, Admission(server), PODS, "CREATE", pod(containers=containers))
    assert (error.code, error.reason) == (403, "Forbidden")
    assert error.message == f'pods "web" is forbidden: {message}'


def test_limit_ranger_checks_claims_against_persistent_volume_claim_items():
    server = FakeServer(limit_range({"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"},
                                     "min": {"storage": "1Gi"}}))
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
             "spec": {"resources": {"requests": {"storage": "5Gi"}}}}
    error = refused(server, Admission(server), PVCS, "CREATE", claim)
    assert error.message == ('persistentvolumeclaims "data" is forbidden: maximum storage usage per '
                             'PersistentVolumeClaim is 2Gi, but request is 5Gi')


def test_limit_ranger_leaves_pod_updates_alone():
    server = FakeServer(limit_range({"type": "Container", "max": {"cpu": "500m"}}))
    old = pod(containers=[container("app", limits={"cpu": "1"})])
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"a": "b"}
    run(server, Admission(server), PODS, "UPDATE", new, old)


# ---- PodSecurity ------------------------------------------------------------------------

def restricted_ok(name="nginx") -> dict:
    return {"name": name, "image": "nginx",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}


def psa_server(**labels) -> FakeServer:
    return FakeServer(namespace("default", {f"pod-security.kubernetes.io/{k.replace('_', '-')}": v
                                            for k, v in labels.items()}))


RESTRICTED_NGINX = ('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" '
                    'must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container '
                    '"nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
                    'container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container '
                    '"nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')


def test_restricted_enforce_refuses_a_plain_pod_with_every_reason_in_upstreams_order():
    server = psa_server(enforce="restricted")
    ctx = ctx_for(server)
    error = refused(server, Admission(server), PODS, "CREATE", pod(), ctx=ctx)
    assert (error.code, error.reason) == (403, "Forbidden")
    assert error.message == f'pods "web" is forbidden: {RESTRICTED_NGINX}'
    assert ctx.audit_annotations == {"pod-security.kubernetes.io/enforce-policy": "restricted:latest"}
    assert not getattr(ctx, "warnings", None)


def test_the_message_matches_a_real_clusters_for_a_pod_that_breaks_almost_everything():
    # The pod and the error text are those a public tutorial shows from a real API server.
    server = psa_server(enforce="restricted")
    bad = {"name": "violation-container", "image": "nginx",
           "securityContext": {"privileged": True, "runAsUser": 0,
                               "capabilities": {"add": ["NET_ADMIN", "SYS_ADMIN"]}}}
    error = refused(server, Admission(server), PODS, "CREATE",
                    pod("security-violations", containers=[bad],
                        volumes=[{"name": "host-root", "hostPath": {"path": "/"}}]))
    assert error.message == (
        'pods "security-violations" is forbidden: violates PodSecurity "restricted:latest": privileged (container '
        '"violation-container" must not set securityContext.privileged=true), allowPrivilegeEscalation != false '
        '(container "violation-container" must set securityContext.allowPrivilegeEscalation=false), unrestricted '
        'capabilities (container "violation-container" must set securityContext.capabilities.drop=["ALL"]; container '
        '"violation-container" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), '
        'restricted volume types (volume "host-root" uses restricted volume type "hostPath"), runAsNonRoot != true '
        '(pod or container "violation-container" must set securityContext.runAsNonRoot=true), runAsUser=0 (container '
        '"violation-container" must not set runAsUser=0), seccompProfile (pod or container "violation-container" '
        'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')


def test_a_pod_that_follows_the_restricted_standard_is_admitted():
    server = psa_server(enforce="restricted", warn="restricted", audit="restricted")
    ctx = run(server, Admission(server), PODS, "CREATE", pod(containers=[restricted_ok()]))
    assert not getattr(ctx, "warnings", None)
    assert ctx.audit_annotations == {"pod-security.kubernetes.io/enforce-policy": "restricted:latest"}


@pytest.mark.parametrize("spec, containers, message", [
    ({"hostNetwork": True, "hostPID": True}, [{"name": "c", "image": "x"}],
     "host namespaces (hostNetwork=true, hostPID=true)"),
    ({}, [{"name": "c", "image": "x", "securityContext": {"privileged": True}}],
     'privileged (container "c" must not set securityContext.privileged=true)'),
    ({}, [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]},
          {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 8081}]}],
     'hostPort (containers "a", "b" use hostPorts 80, 8081)'),
    ({}, [{"name": "c", "image": "x", "securityContext": {"capabilities": {"add": ["NET_RAW", "CHOWN"]}}}],
     'non-default capabilities (container "c" must not include "NET_RAW" in securityContext.capabilities.add)'),
    ({"volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]}, [{"name": "c", "image": "x"}],
     'hostPath volumes (volume "h")'),
    ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, [{"name": "c", "image": "x"}],
     'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'),
    ({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}, [{"name": "c", "image": "x"}],
     "forbidden sysctls (kernel.msgmax)"),
], ids=["host namespaces are listed by name", "a privileged container is refused",
        "host ports are gathered over containers", "only capabilities beyond the default set are refused",
        "hostPath volumes are refused", "an Unconfined seccomp profile is refused",
        "a sysctl outside the safe set is refused"])
def test_baseline_enforce_refuses_each_forbidden_field(spec, containers, message):
    server = psa_server(enforce="baseline")
    error = refused(server, Admission(server), PODS, "CREATE", pod(containers=containers, **spec))
    assert error.message == f'pods "web" is forbidden: violates PodSecurity "baseline:latest": {message}'


def test_baseline_admits_what_only_restricted_forbids():
    server = psa_server(enforce="baseline")
    run(server, Admission(server), PODS, "CREATE", pod(volumes=[{"name": "n", "nfs": {"server": "s", "path": "/"}}]))


def test_warn_mode_admits_and_returns_a_warning_for_the_http_front():
    server = psa_server(warn="restricted")
    ctx = run(server, Admission(server), PODS, "CREATE", pod())
    assert ctx.warnings == ["would violate" + RESTRICTED_NGINX[len("violates"):]]
    assert ctx.audit_annotations == {"pod-security.kubernetes.io/enforce-policy": "privileged:latest"}


def test_audit_mode_admits_and_annotates_the_audit_event():
    server = psa_server(audit="baseline")
    ctx = run(server, Admission(server), PODS, "CREATE", pod(hostNetwork=True))
    assert ctx.audit_annotations["pod-security.kubernetes.io/audit-violations"] == (
        'would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)')
    assert not getattr(ctx, "warnings", None)


def test_a_refused_pod_gets_no_warning_on_top():
    server = psa_server(enforce="baseline", warn="restricted")
    ctx = ctx_for(server)
    refused(server, Admission(server), PODS, "CREATE", pod(hostIPC=True), ctx=ctx)
    assert not getattr(ctx, "warnings", None)


@pytest.mark.parametrize("version, reasons", [
    ("v1.21", None),
    ("v1.22", 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])'),
    ("latest", 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
               'runAsUser=0 (container "c" must not set runAsUser=0)'),
], ids=["restricted:v1.21 predates both checks", "capabilities joined restricted in v1.22",
        "runAsUser=0 joined in v1.23"])
def test_a_policy_version_runs_only_the_checks_it_had(version, reasons):
    server = psa_server(enforce="restricted", enforce_version=version)
    c = {"name": "c", "image": "x", "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": False,
                                                        "runAsNonRoot": True}}
    p = pod(containers=[c], securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    if reasons is None:
        run(server, Admission(server), PODS, "CREATE", p)
    else:
        error = refused(server, Admission(server), PODS, "CREATE", p)
        assert error.message == f'pods "web" is forbidden: violates PodSecurity "restricted:{version}": {reasons}'


def test_a_deployment_is_never_refused_but_warned_about_its_template():
    server = psa_server(enforce="restricted", warn="restricted")
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
         "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": pod()["spec"]}}}
    ctx = run(server, Admission(server), DEPLOYMENTS, "CREATE", d)
    assert ctx.warnings == ["would violate" + RESTRICTED_NGINX[len("violates"):]]


def test_status_updates_and_label_only_updates_are_not_evaluated():
    server = psa_server(enforce="restricted")
    old = pod()
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"x": "y"}
    run(server, Admission(server), PODS, "UPDATE", new, old)
    run(server, Admission(server), PODS, "UPDATE", new, old, ctx_for(server, subresource="status"))
    new["spec"]["containers"][0]["image"] = "nginx:2"
    assert "violates PodSecurity" in refused(server, Admission(server), PODS, "UPDATE", new, old).message


def test_a_namespace_with_a_bad_level_label_is_invalid():
    server = FakeServer()
    error = refused(server, Admission(server), NAMESPACES, "CREATE",
                    namespace("team", {"pod-security.kubernetes.io/enforce": "strict",
                                       "pod-security.kubernetes.io/warn-version": "1.30"}))
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        'Namespace "team" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: '
        '"strict": must be one of privileged, baseline, restricted, '
        'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"]')


def test_tightening_a_namespace_warns_about_the_pods_already_running_there():
    server = FakeServer(namespace("team"), pod("a", "team", hostNetwork=True), pod("b", "team", hostNetwork=True),
                        pod("c", "team", containers=[{"name": "c", "image": "x",
                                                      "securityContext": {"privileged": True}}]),
                        pod("d", "team"))
    old = namespace("team")
    new = namespace("team", {"pod-security.kubernetes.io/enforce": "baseline"})
    ctx = run(server, Admission(server), NAMESPACES, "UPDATE", new, old)
    assert ctx.warnings == ['existing pods in namespace "team" violate the new PodSecurity enforce level '
                            '"baseline:latest"',
                            "a (and 1 other pod): host namespaces",
                            "c: privileged"]


# ---- NodeRestriction --------------------------------------------------------------------

def node(name: str, labels=None, taints=None) -> dict:
    n = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": f"uid-{name}",
                                                         "labels": dict(labels or {})}, "spec": {}}
    if taints:
        n["spec"]["taints"] = taints
    return n


def kubelet(server, name="node-1", subresource=""):
    return ctx_for(server, f"system:node:{name}", ("system:nodes", "system:authenticated"), subresource)


def restricting(server) -> Admission:
    admission = Admission(server)
    admission.enable("NodeRestriction")
    return admission


def test_a_kubelet_may_modify_only_its_own_node():
    server = FakeServer(node("node-1"), node("node-2"))
    error = refused(server, restricting(server), NODES, "UPDATE", node("node-2"), node("node-2"),
                    kubelet(server, "node-1", "status"))
    assert error.message == 'nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"'
    run(server, restricting(server), NODES, "UPDATE", node("node-1"), node("node-1"), kubelet(server, "node-1"))


def test_a_kubelet_may_not_register_with_labels_outside_the_kubelet_set():
    server = FakeServer()
    labels = {"kubernetes.io/hostname": "cp", "node-role.kubernetes.io/control-plane": "",
              "node.kubernetes.io/exclude-from-external-load-balancers": ""}
    error = refused(server, restricting(server), NODES, "CREATE", node("cp", labels), None, kubelet(server, "cp"))
    assert error.message == ('nodes "cp" is forbidden: node "cp" is not allowed to set the following labels: '
                             'node-role.kubernetes.io/control-plane')


def test_a_kubelet_may_not_change_its_taints_or_restricted_labels():
    server = FakeServer()
    old = node("node-1", {"kubernetes.io/hostname": "node-1"}, [{"key": "k", "effect": "NoSchedule"}])
    untainted = copy.deepcopy(old)
    del untainted["spec"]["taints"]
    error = refused(server, restricting(server), NODES, "UPDATE", untainted, old, kubelet(server))
    assert error.message == 'nodes "node-1" is forbidden: node "node-1" is not allowed to modify taints'
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"]["node-restriction.kubernetes.io/secure"] = "true"
    error = refused(server, restricting(server), NODES, "UPDATE", relabelled, old, kubelet(server))
    assert error.message == ('nodes "node-1" is forbidden: is not allowed to modify labels: '
                             'node-restriction.kubernetes.io/secure')


def test_a_kubelet_updates_the_status_of_and_deletes_only_pods_bound_to_it():
    theirs = dict(pod("theirs"), spec=dict(pod()["spec"], nodeName="node-2"))
    mine = dict(pod("mine"), spec=dict(pod()["spec"], nodeName="node-1"))
    server = FakeServer(theirs, mine)
    error = refused(server, restricting(server), PODS, "UPDATE", copy.deepcopy(theirs), theirs,
                    kubelet(server, subresource="status"))
    assert error.message == ('pods "theirs" is forbidden: node "node-1" can only update pod status for pods with '
                             'spec.nodeName set to itself')
    run(server, restricting(server), PODS, "UPDATE", copy.deepcopy(mine), mine, kubelet(server, subresource="status"))
    with pytest.raises(errors.StatusError) as caught:
        restricting(server).check_delete(PODS, "default", "theirs", kubelet(server))
    assert caught.value.message == ('pods "theirs" is forbidden: node "node-1" can only delete pods with '
                                    'spec.nodeName set to itself')
    restricting(server).check_delete(PODS, "default", "mine", kubelet(server))


def test_a_kubelet_creates_only_mirror_pods_and_only_its_own_lease():
    server = FakeServer(node("node-1"), namespace("kube-node-lease"))
    error = refused(server, restricting(server), PODS, "CREATE", pod(), None, kubelet(server))
    assert error.message == ('pods "web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, '
                             'node "node-1" can only create mirror pods')
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "node-2", "namespace": "kube-node-lease"}}
    error = refused(server, restricting(server), LEASES, "CREATE", lease, None, kubelet(server))
    assert error.message == ('leases.coordination.k8s.io "node-2" is forbidden: can only access node lease with '
                             'the same name as the requesting node')
    lease["metadata"]["name"] = "node-1"
    run(server, restricting(server), LEASES, "CREATE", lease, None, kubelet(server))


def test_node_restriction_leaves_other_users_alone_and_is_off_unless_enabled():
    server = FakeServer(node("node-2"))
    run(server, restricting(server), NODES, "UPDATE", node("node-2"), node("node-2"))
    run(server, Admission(server), NODES, "UPDATE", node("node-2"), node("node-2"), kubelet(server, "node-1"))


# ---- ResourceQuota ----------------------------------------------------------------------

def quota(hard: dict, name="q", ns="default", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name, "namespace": ns},
            "spec": {"hard": dict(hard), **spec}}


def test_a_pod_over_the_pod_count_is_refused_with_requested_used_and_limited():
    server = FakeServer(quota({"pods": "2"}), pod("p1"), pod("p2"))
    error = refused(server, Admission(server), PODS, "CREATE", pod("p3"))
    assert (error.code, error.reason) == (403, "Forbidden")
    assert error.message == 'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'


def test_compute_quota_sums_the_requests_of_the_pods_already_there():
    server = FakeServer(quota({"requests.cpu": "1", "requests.memory": "1Gi"}, "compute"),
                        pod("p1", containers=[container("a", {"cpu": "600m", "memory": "512Mi"})]))
    error = refused(server, Admission(server), PODS, "CREATE",
                    pod("p2", containers=[container("a", {"cpu": "500m", "memory": "256Mi"})]))
    assert error.message == ('pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
                             'used: requests.cpu=600m, limited: requests.cpu=1')
    run(server, Admission(server), PODS, "CREATE", pod("p3", containers=[container("a", {"cpu": "400m",
                                                                                        "memory": "512Mi"})]))


def test_quota_on_compute_makes_every_container_state_it():
    server = FakeServer(quota({"limits.memory": "1Gi", "requests.cpu": "1"}, "compute"))
    error = refused(server, Admission(server), PODS, "CREATE",
                    pod(containers=[container("a", {"cpu": "100m"}), container("b")]))
    assert error.message == ('pods "web" is forbidden: failed quota: compute: must specify limits.memory for: a,b; '
                             'requests.cpu for: b')


def test_finished_pods_free_their_pods_quota_but_still_count_as_objects():
    done = dict(pod("done"), status={"phase": "Succeeded"})
    server = FakeServer(quota({"pods": "1"}, "live"), quota({"count/pods": "1"}, "all"), done)
    error = refused(server, Admission(server), PODS, "CREATE", pod("next"))
    assert error.message == ('pods "next" is forbidden: exceeded quota: all, requested: count/pods=1, '
                             'used: count/pods=1, limited: count/pods=1')


def test_creates_admitted_but_not_yet_in_the_cache_still_count():
    """A burst of creates (a ReplicaSet scaling up) must not all fit one free slot."""
    server = FakeServer(quota({"pods": "1"}))
    admission = Admission(server)
    run(server, admission, PODS, "CREATE", pod("first"))
    error = refused(server, admission, PODS, "CREATE", pod("second"))
    assert error.message.endswith("exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1")
    # Once the cache shows the first pod, it is counted from there, once.
    server.add(pod("first"))
    assert "used: pods=1" in refused(server, admission, PODS, "CREATE", pod("third")).message
    # A create that never reached etcd stops counting after a while.
    server.registries[("", "pods")].cacher.items.clear()
    other = Admission(server)
    run(server, other, PODS, "CREATE", pod("lost"))
    server.kernel.run(seconds=QUOTA_PENDING_TTL + 1)
    run(server, other, PODS, "CREATE", pod("fourth"))


def test_scoped_quotas_count_only_the_pods_in_their_scope():
    server = FakeServer(quota({"pods": "1"}, "besteffort", scopes=["BestEffort"]), pod("be"))
    run(server, Admission(server), PODS, "CREATE", pod("burstable", containers=[container("a", {"cpu": "1"})]))
    error = refused(server, Admission(server), PODS, "CREATE", pod("be2"))
    assert error.message == ('pods "be2" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, '
                             'limited: pods=1')


def test_object_count_quotas_cover_other_kinds_and_node_ports():
    server = FakeServer(quota({"count/configmaps": "1", "services.nodeports": "1"}),
                        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    error = refused(server, Admission(server), CONFIGMAPS, "CREATE",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "default"}})
    assert error.message == ('configmaps "b" is forbidden: exceeded quota: q, requested: count/configmaps=1, '
                             'used: count/configmaps=1, limited: count/configmaps=1')
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}}
    error = refused(server, Admission(server), SERVICES, "CREATE", svc)
    assert error.message == ('services "web" is forbidden: exceeded quota: q, requested: services.nodeports=2, '
                             'used: services.nodeports=0, limited: services.nodeports=1')


# ---- end to end: the registry runs the chain ---------------------------------------------

@pytest.fixture(scope="module")
def control_plane():
    from k8slite import Cluster
    c = Cluster(seed=1)
    c.add_etcd()
    c.add_apiserver()
    c.run(1)
    c.kubectl.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})
    c.run(1)
    return c


def test_end_to_end_limit_range_defaults_are_stored_and_quota_refusals_reach_kubectl(control_plane):
    c = control_plane
    c.kubectl.apply(limit_range({"type": "Container", "default": {"cpu": "200m"}}))
    c.kubectl.apply(quota({"requests.cpu": "300m"}, "cpu"))
    c.run(1)
    out = c.kubectl.apply(pod("one", containers=[{"name": "app", "image": "nginx"}]))
    assert str(out) == "pod/one created\n"
    stored = next(p for p in c.objects("pods") if p["metadata"]["name"] == "one")
    assert stored["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "200m"}, "requests": {"cpu": "200m"}}
    out = c.kubectl.apply(pod("two", containers=[{"name": "app", "image": "nginx"}]))
    assert out.exit_code == 1
    assert 'Error from server (Forbidden): error when creating "STDIN": pods "two" is forbidden: exceeded quota: ' \
           'cpu, requested: requests.cpu=200m, used: requests.cpu=200m, limited: requests.cpu=300m' in str(out)


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx}]
"""


def failed_creates(c, namespace):
    return [e["message"] for e in c.objects("events", namespace) if e.get("reason") == "FailedCreate"]


def test_a_replicaset_scaling_past_a_pods_quota_creates_only_what_fits():
    from k8slite import Cluster
    c = Cluster.up(nodes=1, seed=3)
    c.kubectl.apply(quota({"pods": "2"}, "pods"))
    c.run(1)
    c.kubectl.apply(WEB % ("default", 5))
    c.run(20)
    assert len(c.objects("pods", "default")) == 2
    messages = failed_creates(c, "default")
    assert messages and all(m.startswith('Error creating: pods "web-') and m.endswith(
        'is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2') for m in messages)


def test_a_restricted_namespace_refuses_the_pods_of_a_plain_deployment():
    from k8slite import Cluster
    c = Cluster.up(nodes=1, seed=3)
    c.kubectl.apply(namespace("secure", {"pod-security.kubernetes.io/enforce": "restricted"}))
    c.run(2)
    assert str(c.kubectl.apply(WEB % ("secure", 1))) == "deployment.apps/web created\n"
    c.run(10)
    assert c.objects("pods", "secure") == []
    (message, *_) = failed_creates(c, "secure")
    assert message.endswith(f"is forbidden: {RESTRICTED_NGINX}")
