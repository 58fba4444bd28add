"""The endpoints and EndpointSlice controllers, on a running cluster in virtual time, and their pure parts."""
from __future__ import annotations

import copy

import pytest

from k8slite import Cluster
from k8slite.api.scheme import SCHEME
from k8slite.client.events import EventRecorder
from k8slite.client.informer import SharedInformerFactory
from k8slite.client.rest import MERGE_PATCH, Client
from k8slite.controllers.endpoints import EndpointsController, find_port, repack_subsets, truncate_endpoints
from k8slite.controllers.endpointslice import EndpointSliceController

PODS = SCHEME.by_resource("", "pods")
MANAGER = "endpoints-manager"

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{name: http, containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}}
spec:
  selector: {app: web}
  ports:
  - {name: web, port: 8080, targetPort: http}
  - {name: metrics, port: 9090, targetPort: 9113}
"""


def start_controllers(cluster: Cluster, name: str = MANAGER, **slice_options):
    """As kube-controller-manager starts them: one shared informer factory on the manager's identity,
    each controller writing as its own service account."""
    kernel, network = cluster.kernel, cluster.network
    client = Client(kernel, network, name, "system:kube-controller-manager")
    if name in network.endpoints:
        network.up(name, client.on_message)
    else:
        network.listen(name, "control-plane", client.on_message)

    def as_(account: str) -> Client:
        return Client(kernel, network, name, f"system:serviceaccount:kube-system:{account}",
                      ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))
    factory = SharedInformerFactory(kernel, client, name)
    endpoint, endpointslice = as_("endpoint-controller"), as_("endpointslice-controller")
    controllers = [EndpointsController(kernel, endpoint, factory,
                                       EventRecorder(kernel, endpoint, "endpoint-controller")),
                   EndpointSliceController(kernel, endpointslice, factory,
                                           EventRecorder(kernel, endpointslice, "endpointslice-controller"),
                                           **slice_options)]
    factory.start()

    async def run() -> None:
        await factory.wait_for_cache_sync()
        for controller in controllers:
            controller.run(name)
    kernel.spawn(run(), "controllers start", cause=None, owner=name)
    return controllers


def ready_pods(cluster: Cluster) -> list[dict]:
    return [p for p in cluster.objects("pods", "default") if p["metadata"].get("labels", {}).get("app") == "web"
            and p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])]


def endpoints(cluster: Cluster, name: str = "web"):
    return next((o for o in cluster.objects("endpoints", "default") if o["metadata"]["name"] == name), None)


def slices(cluster: Cluster, service: str = "web") -> list[dict]:
    return [s for s in cluster.objects("endpointslices", "default")
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == service]


def ready_ips(cluster: Cluster) -> list[str]:
    ep = endpoints(cluster)
    return sorted(a["ip"] for s in (ep or {}).get("subsets") or () for a in s.get("addresses") or ())


def slice_ips(cluster: Cluster, ready: bool = True) -> list[str]:
    return sorted(e["addresses"][0] for s in slices(cluster) for e in s["endpoints"] or ()
                  if e["conditions"]["ready"] == ready)


def pod_ips(cluster: Cluster) -> list[str]:
    return sorted(p["status"]["podIP"] for p in ready_pods(cluster))


@pytest.fixture()
def cluster():
    c = Cluster.up(nodes=2, seed=4)
    controllers = start_controllers(c)
    c.kubectl.apply(APP)
    c.run_until(lambda: len(ready_pods(c)) == 3 and ready_ips(c) == pod_ips(c) == slice_ips(c), limit=60)
    c.controllers = controllers
    return c


def test_the_endpoints_list_each_running_ready_pod_with_its_node_and_a_reference_to_it(cluster):
    ep = endpoints(cluster)
    assert len(ep["subsets"]) == 1, "every pod offers the same ports: one subset"
    subset = ep["subsets"][0]
    pods = {p["status"]["podIP"]: p for p in ready_pods(cluster)}
    assert [a["ip"] for a in subset["addresses"]] == sorted(pods), "addresses are sorted"
    for address in subset["addresses"]:
        pod = pods[address["ip"]]
        assert address == {"ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"],
                           "targetRef": {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                                         "uid": pod["metadata"]["uid"]}}
    assert "notReadyAddresses" not in subset
    # Named like the Service's ports; the named targetPort "http" resolved to the container's 80.
    assert subset["ports"] == [{"name": "metrics", "port": 9113, "protocol": "TCP"},
                               {"name": "web", "port": 80, "protocol": "TCP"}]
    assert ep["metadata"]["labels"] == {"tier": "front"}, "the Service's labels"
    assert "endpoints.kubernetes.io/last-change-trigger-time" in ep["metadata"]["annotations"]


def test_the_endpointslice_carries_the_labels_owner_and_conditions_upstream_writes(cluster):
    (es,) = slices(cluster)
    service = next(s for s in cluster.objects("services", "default") if s["metadata"]["name"] == "web")
    assert es["metadata"]["generateName"] == "web-" and es["metadata"]["name"].startswith("web-")
    assert es["metadata"]["labels"] == {"tier": "front", "kubernetes.io/service-name": "web",
                                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert es["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                                  "uid": service["metadata"]["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]
    assert es["addressType"] == "IPv4"
    assert sorted(es["ports"], key=lambda p: p["name"]) == [{"name": "metrics", "port": 9113, "protocol": "TCP"},
                                                            {"name": "web", "port": 80, "protocol": "TCP"}]
    pods = {p["metadata"]["name"]: p for p in ready_pods(cluster)}
    for endpoint in es["endpoints"]:
        pod = pods[endpoint["targetRef"]["name"]]
        assert endpoint == {"addresses": [pod["status"]["podIP"]],
                            "conditions": {"ready": True, "serving": True, "terminating": False},
                            "targetRef": {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                                          "uid": pod["metadata"]["uid"]},
                            "nodeName": pod["spec"]["nodeName"]}
    assert "endpoints.kubernetes.io/last-change-trigger-time" in es["metadata"]["annotations"]


def test_a_deleted_pod_leaves_and_its_replacement_joins(cluster):
    victim = ready_pods(cluster)[0]
    cluster.kubectl.delete("pod", victim["metadata"]["name"])
    cluster.run_until(lambda: len(ready_pods(cluster)) == 3 and ready_ips(cluster) == pod_ips(cluster)
                      == slice_ips(cluster), limit=60)
    names = [a["targetRef"]["name"] for a in endpoints(cluster)["subsets"][0]["addresses"]]
    assert victim["metadata"]["name"] not in names
    assert all(e["targetRef"]["name"] != victim["metadata"]["name"] for e in slices(cluster)[0]["endpoints"])
    assert len(slices(cluster)) == 1, "the endpoint moved within the one slice"


@pytest.mark.parametrize("replicas", [5, 1, 0], ids=["scaled up to five", "scaled down to one", "scaled to zero"])
def test_scaling_the_deployment_changes_the_addresses(cluster, replicas):
    cluster.kubectl.scale("deployment", "web", replicas)
    cluster.run_until(lambda: len(ready_pods(cluster)) == replicas and len(
        [p for p in cluster.objects("pods", "default") if p["metadata"].get("labels", {}).get("app") == "web"])
        == replicas and ready_ips(cluster) == pod_ips(cluster) == slice_ips(cluster), limit=90)
    assert len(ready_ips(cluster)) == replicas
    if replicas == 0:
        assert "subsets" not in endpoints(cluster), "no pods: an Endpoints object without subsets"
        (placeholder,) = slices(cluster)
        assert placeholder["endpoints"] in (None, []), "and one empty placeholder slice"


def test_a_pod_that_is_not_ready_moves_to_not_ready_addresses_and_its_slice_conditions_say_so(cluster):
    pod = ready_pods(cluster)[0]
    conditions = copy.deepcopy(pod["status"]["conditions"])
    for c in conditions:
        if c["type"] in ("Ready", "ContainersReady"):
            c.update(status="False", reason="ContainersNotReady", message="containers with unready status: [nginx]")
    cluster.kernel.run_until_complete(cluster.admin.patch(PODS, "default", pod["metadata"]["name"],
                                                          {"status": {"conditions": conditions}}, MERGE_PATCH,
                                                          "status"))
    ip = pod["status"]["podIP"]
    cluster.run_until(lambda: ip in slice_ips(cluster, ready=False) and ip not in ready_ips(cluster), limit=10)
    ep = endpoints(cluster)
    assert [a["ip"] for s in ep["subsets"] for a in s.get("notReadyAddresses") or ()] == [ip]
    assert ip not in [a["ip"] for s in ep["subsets"] for a in s.get("addresses") or ()]
    endpoint = next(e for s in slices(cluster) for e in s["endpoints"] if e["addresses"] == [ip])
    assert endpoint["conditions"] == {"ready": False, "serving": False, "terminating": False}


def test_a_service_without_a_selector_is_left_to_its_user(cluster):
    cluster.kubectl.apply("""
apiVersion: v1
kind: Service
metadata: {name: external-db}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external-db}
subsets:
- addresses: [{ip: 192.0.2.42}]
  ports: [{port: 5432}]
""")
    before = endpoints(cluster, "external-db")
    cluster.run(seconds=30)
    after = endpoints(cluster, "external-db")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["subsets"] == before["subsets"] and after["subsets"][0]["addresses"] == [{"ip": "192.0.2.42"}]
    assert slices(cluster, "external-db") == []
    assert endpoints(cluster, "kubernetes") is None, "nor is the selector-less kubernetes Service touched"


def test_deleting_the_service_deletes_its_endpoints(cluster):
    cluster.kubectl.delete("service", "web")
    cluster.run_until(lambda: endpoints(cluster) is None, limit=10)


def test_restarted_controllers_rebuild_their_state_from_the_api_server_and_change_nothing(cluster):
    ep, (es,) = endpoints(cluster), slices(cluster)
    cluster.kernel.cancel_owned(MANAGER)
    cluster.network.down(MANAGER)
    fresh = start_controllers(cluster)
    cluster.run(seconds=30)
    assert all(c.syncs > 0 for c in fresh), "the new controllers synced every Service"
    assert endpoints(cluster)["metadata"]["resourceVersion"] == ep["metadata"]["resourceVersion"]
    assert [s["metadata"]["resourceVersion"] for s in slices(cluster)] == [es["metadata"]["resourceVersion"]]


def test_slices_hold_at_most_max_endpoints_per_slice():
    c = Cluster.up(nodes=2, seed=9)
    c.controller_manager.controllers["endpointslice"].max_endpoints_per_slice = 2   # --max-endpoints-per-slice
    start_controllers(c, max_endpoints_per_slice=2)
    c.kubectl.apply(APP.replace("replicas: 3", "replicas: 5"))
    c.run_until(lambda: len(ready_pods(c)) == 5 and slice_ips(c) == pod_ips(c), limit=60)
    assert sorted(len(s["endpoints"]) for s in slices(c)) == [1, 2, 2]


def test_the_same_seed_gives_the_same_objects():
    def build():
        c = Cluster.up(nodes=2, seed=6)
        start_controllers(c)
        c.kubectl.apply(APP)
        c.run(seconds=30)
        return endpoints(c), slices(c)
    assert build() == build()


# -- the pure parts ---------------------------------------------------------------------------
POD = {"metadata": {"uid": "u"}, "spec": {"containers": [
    {"name": "a", "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                            {"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]}}


@pytest.mark.parametrize("port, expected", [
    ({"port": 80, "targetPort": 9000, "protocol": "TCP"}, 9000),
    ({"port": 80, "targetPort": "http", "protocol": "TCP"}, 8080),
    ({"port": 53, "targetPort": "dns", "protocol": "UDP"}, 53),
    ({"port": 53, "targetPort": "dns", "protocol": "TCP"}, None),
    ({"port": 80, "targetPort": "grpc", "protocol": "TCP"}, None),
], ids=["a numeric target port is the port", "a named target port is the container port of that name",
        "the name is looked up for the service port's protocol", "a name with another protocol does not match",
        "a name no container has leaves the pod out for that port"])
def test_find_port_resolves_target_ports_as_upstream(port, expected):
    assert find_port(POD, port) == expected


def _addr(ip: str) -> dict:
    return {"ip": ip, "targetRef": {"kind": "Pod", "uid": ip}}


def test_repack_groups_addresses_by_the_ports_they_offer_and_not_ready_trumps_ready():
    p80, p443 = {"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 443, "protocol": "TCP"}
    subsets = [{"addresses": [_addr("10.0.0.2")], "ports": [p80]},
               {"addresses": [_addr("10.0.0.2")], "ports": [p443]},
               {"addresses": [_addr("10.0.0.1")], "ports": [p80]},
               {"notReadyAddresses": [_addr("10.0.0.1")], "ports": [p80]},
               {"addresses": [_addr("10.0.0.3")], "ports": [p443]}]
    assert repack_subsets(subsets) == [
        {"addresses": [_addr("10.0.0.2")], "notReadyAddresses": [_addr("10.0.0.1")], "ports": [p80]},
        {"addresses": [_addr("10.0.0.2"), _addr("10.0.0.3")], "ports": [p443]}]


def test_truncation_keeps_a_thousand_addresses_dropping_not_ready_ones_first():
    subsets = [{"addresses": [_addr(f"10.0.{i // 250}.{i % 250}") for i in range(900)],
                "notReadyAddresses": [_addr(f"10.1.{i // 250}.{i % 250}") for i in range(300)]}]
    assert truncate_endpoints(subsets)
    assert len(subsets[0]["addresses"]) == 900 and len(subsets[0]["notReadyAddresses"]) == 100


def test_two_hundred_fifty_endpoints_fill_slices_of_one_hundred():
    controller = EndpointSliceController.__new__(EndpointSliceController)
    controller.max_endpoints_per_slice = 100
    service = {"metadata": {"name": "big", "namespace": "default", "uid": "s"}, "spec": {"clusterIP": "10.96.0.9"}}
    desired = {}
    for i in range(250):
        endpoint = {"addresses": [f"10.0.{i // 200}.{i % 200}"], "conditions": {"ready": True},
                    "targetRef": {"kind": "Pod", "namespace": "default", "name": f"p{i:03d}"}}
        desired[(tuple(endpoint["addresses"]), "", "default", f"p{i:03d}")] = endpoint
    create, update, delete = controller.reconcile_by_port_mapping(service, [], desired, [])
    assert [len(s["endpoints"]) for s in create] == [100, 100, 50] and update == delete == []
    assert all(s["metadata"]["generateName"] == "big-" for s in create)


@pytest.mark.parametrize("deleting, ready, publish, conditions", [
    (False, True, False, {"ready": True, "serving": True, "terminating": False}),
    (False, False, False, {"ready": False, "serving": False, "terminating": False}),
    (True, True, False, {"ready": False, "serving": True, "terminating": True}),
    (True, False, True, {"ready": True, "serving": False, "terminating": True}),
], ids=["a ready pod is ready and serving", "an unready pod is neither",
        "a terminating pod still serving is not ready", "publishNotReadyAddresses makes every endpoint ready"])
def test_pod_to_endpoint_conditions(deleting, ready, publish, conditions):
    from k8slite.controllers.endpointslice import pod_to_endpoint
    pod = {"metadata": {"name": "p", "namespace": "default", "uid": "u",
                        **({"deletionTimestamp": "2024-01-01T00:00:09Z"} if deleting else {})},
           "spec": {"nodeName": "node-1"},
           "status": {"phase": "Running", "podIP": "10.244.1.7",
                      "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
    service = {"spec": {"publishNotReadyAddresses": publish}}
    node = {"metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}}
    assert pod_to_endpoint(pod, node, service) == {
        "addresses": ["10.244.1.7"], "conditions": conditions, "nodeName": "node-1", "zone": "zone-a",
        "targetRef": {"kind": "Pod", "namespace": "default", "name": "p", "uid": "u"}}
