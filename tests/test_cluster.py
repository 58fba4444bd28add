"""End to end on the public Cluster surface, in virtual time."""
from pathlib import Path

import pytest

from k8slite import Cluster

MANIFEST = Path(__file__).resolve().parents[2] / "shared" / "manifests" / "website" / "controllers" / \
    "nginx-deployment.yaml"
if not MANIFEST.exists():  # the corpus sits beside the project's root
    MANIFEST = Path(__file__).resolve().parents[1].parent / "shared/manifests/website/controllers/nginx-deployment.yaml"


def running(cluster):
    return [p for p in cluster.objects("pods") if p["status"].get("phase") == "Running"]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster.up(nodes=3, seed=7)
    c.kubectl.apply(MANIFEST.read_text())
    c.run_until(lambda: len(running(c)) == 3, limit=60)
    return c


def test_the_docs_nginx_deployment_reaches_three_running_pods_on_distinct_ips_within_a_minute(cluster):
    pods = running(cluster)
    assert len(pods) == 3
    assert len({p["status"]["podIP"] for p in pods}) == 3
    assert cluster.now < 60 + 10


def test_workers_are_named_node_n_and_the_control_plane_node_is_tainted_as_kubeadm_does(cluster):
    nodes = {n["metadata"]["name"]: n for n in cluster.objects("nodes")}
    assert sorted(nodes) == ["control-plane", "node-1", "node-2", "node-3"]
    assert nodes["control-plane"]["spec"]["taints"] == [
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert all(p["spec"]["nodeName"] != "control-plane" for p in cluster.objects("pods"))


def test_each_node_gets_its_own_pod_cidr_and_pods_take_addresses_from_it(cluster):
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in cluster.objects("nodes")}
    assert len(set(cidrs.values())) == 4
    for pod in running(cluster):
        prefix = cidrs[pod["spec"]["nodeName"]].rsplit(".", 1)[0]
        assert pod["status"]["podIP"].startswith(prefix + ".")


def test_the_pods_are_owned_by_a_replicaset_named_after_the_template_hash(cluster):
    rs = cluster.objects("replicasets")
    assert len(rs) == 1
    hash_label = rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert rs[0]["metadata"]["name"] == f"nginx-deployment-{hash_label}"
    for pod in running(cluster):
        assert pod["metadata"]["ownerReferences"][0]["name"] == rs[0]["metadata"]["name"]
        assert pod["metadata"]["name"].startswith(rs[0]["metadata"]["name"] + "-")


def test_the_trace_follows_kubectl_apply_to_the_container_start():
    c = Cluster.up(nodes=2, seed=3)
    start = len(c.trace)
    c.kubectl.apply(MANIFEST.read_text())
    c.run(30)
    root = next(h for h in c.trace.hops[start:] if h.src == "kubectl" and h.kind == "POST")
    kinds = [h.kind for h in c.trace.tree(root.id)]
    for step in ("Txn", "WATCH", "POST", "RunPodSandbox", "PullImage", "CreateContainer", "StartContainer"):
        assert step in kinds, step
    start_hop = next(h for h in c.trace.tree(root.id) if h.kind == "StartContainer")
    chain = [h.src for h in c.trace.ancestors(start_hop.id)]
    assert chain[0] == "kubectl" and "kube-controller-manager" in chain and "kube-scheduler" in chain


def test_scaling_up_and_down_through_the_scale_subresource():
    c = Cluster.up(nodes=2, seed=5)
    c.kubectl.apply(MANIFEST.read_text())
    c.run(20)
    assert str(c.kubectl("scale deployment/nginx-deployment --replicas=5")) == "deployment.apps/nginx-deployment scaled\n"
    c.run_until(lambda: len(running(c)) == 5, limit=60)
    c.kubectl("scale deployment nginx-deployment --replicas=1")
    c.run_until(lambda: len(c.objects("pods")) == 1, limit=120)
    assert len(running(c)) == 1


def test_stopping_the_scheduler_leaves_pods_pending_until_it_is_back():
    c = Cluster.up(nodes=2, seed=11)
    c.crash("kube-scheduler")
    c.kubectl.apply(MANIFEST.read_text())
    c.run(30)
    pods = c.objects("pods")
    assert len(pods) == 3 and all(not p["spec"].get("nodeName") for p in pods)
    assert all(p["status"]["phase"] == "Pending" for p in pods)
    c.restart("kube-scheduler")
    c.run_until(lambda: len(running(c)) == 3, limit=60)


def test_a_crashed_node_stops_heartbeating_and_its_lease_goes_stale():
    c = Cluster.up(nodes=2, seed=2)
    c.run(20)
    c.crash("node-2")
    before = {l["metadata"]["name"]: l["spec"]["renewTime"] for l in c.objects("leases", "kube-node-lease")}
    c.run(30)
    after = {l["metadata"]["name"]: l["spec"]["renewTime"] for l in c.objects("leases", "kube-node-lease")}
    assert after["node-2"] == before["node-2"]
    assert after["node-1"] != before["node-1"]
    c.restart("node-2")
    c.run(15)
    again = {l["metadata"]["name"]: l["spec"]["renewTime"] for l in c.objects("leases", "kube-node-lease")}
    assert again["node-2"] != before["node-2"]


def test_a_partition_between_a_node_and_the_control_plane_cuts_its_heartbeats_until_healed():
    c = Cluster.up(nodes=2, seed=4)
    c.partition(["node-1"], ["control-plane"])
    lease = lambda: {l["metadata"]["name"]: l["spec"]["renewTime"] for l in c.objects("leases", "kube-node-lease")}
    before = lease()
    c.run(30)
    assert lease()["node-1"] == before["node-1"]
    c.heal()
    c.run(15)
    assert lease()["node-1"] != before["node-1"]


@pytest.mark.parametrize("seed", [7, 8])
def test_the_same_seed_gives_the_same_trace_byte_for_byte(seed):
    def run():
        c = Cluster.up(nodes=2, seed=seed)
        c.kubectl.apply(MANIFEST.read_text())
        c.run(20)
        return c.trace.format(), str(c.kubectl("get pods -o wide"))
    assert run() == run()


def test_another_seed_gives_another_trace():
    def run(seed):
        c = Cluster.up(nodes=2, seed=seed)
        c.kubectl.apply(MANIFEST.read_text())
        c.run(20)
        return c.trace.format()
    assert run(1) != run(2)
