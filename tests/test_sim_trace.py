"""Tests of k8slite/sim/trace.py: hops, causes, trees, formatting, and whole-world determinism."""
import pytest

from k8slite.sim.kernel import Kernel
from k8slite.sim.network import Network, Unreachable
from k8slite.sim.trace import Hop, Trace


def small_tree():
    """1 kubectl->apiserver, 2 apiserver->etcd, 3 etcd->apiserver, 4 apiserver->kubectl,
    5 apiserver->controller (watch event caused by 1), 6 controller->apiserver (caused by 5),
    7 a second root."""
    trace = Trace()
    rows = [
        (None, "kubectl", "apiserver", "POST", "POST /apis/apps/v1/namespaces/default/deployments"),
        (1, "apiserver", "etcd", "Txn", "Txn /registry/deployments/default/web"),
        (2, "etcd", "apiserver", "reply", "OK rev=2"),
        (1, "apiserver", "kubectl", "reply", "201 Created"),
        (1, "apiserver", "controller-manager", "WATCH", "ADDED Deployment default/web"),
        (5, "controller-manager", "apiserver", "POST", "POST /apis/apps/v1/namespaces/default/replicasets"),
        (None, "kubelet", "apiserver", "PATCH", "PATCH /api/v1/nodes/node-1/status"),
    ]
    for i, (cause, src, dst, kind, summary) in enumerate(rows):
        hop = trace.record(cause, src, dst, kind, summary, sent=0.5 * i)
        hop.received, hop.status = 0.5 * i + 0.001, "delivered"
    return trace


# -- recording --------------------------------------------------------------------
def test_hop_ids_are_dense_from_one_in_send_order_and_children_are_indexed():
    trace = small_tree()
    assert [h.id for h in trace] == [1, 2, 3, 4, 5, 6, 7]
    assert len(trace) == 7 and trace[5].summary == "ADDED Deployment default/web"
    assert trace.children == {1: [2, 4, 5], 2: [3], 5: [6]}


def test_a_disabled_trace_records_nothing():
    trace = Trace(enabled=False)
    assert trace.record(None, "a", "b", "GET", "GET /", 0.0) is None
    assert len(trace) == 0 and trace.children == {}


def test_a_new_hop_is_in_flight_until_delivered():
    hop = Trace().record(None, "a", "b", "GET", "GET /", 1.25)
    assert (hop.received, hop.status, hop.revision) == (None, "in flight", 0)


# -- causal queries ------------------------------------------------------------------
@pytest.mark.parametrize("root, expected", [
    pytest.param(1, [1, 2, 3, 4, 5, 6], id="the tree of a root holds everything it caused through a watch event"),
    pytest.param(5, [5, 6], id="the tree of a watch event holds what the controller sent"),
    pytest.param(3, [3], id="the tree of a leaf is the leaf"),
    pytest.param(7, [7], id="an unrelated root has its own tree"),
])
def test_tree(root, expected):
    assert [h.id for h in small_tree().tree(root)] == expected


@pytest.mark.parametrize("hop_id, expected", [
    pytest.param(6, [1, 5, 6], id="the ancestors of a controller request run from the kubectl request down"),
    pytest.param(3, [1, 2, 3], id="the ancestors of an etcd reply pass through its request"),
    pytest.param(7, [7], id="a root is its own only ancestor"),
])
def test_ancestors(hop_id, expected):
    assert [h.id for h in small_tree().ancestors(hop_id)] == expected


@pytest.mark.parametrize("filters, expected", [
    pytest.param({"src": "apiserver"}, [2, 4, 5], id="find by source"),
    pytest.param({"dst": "apiserver", "kind": "POST"}, [1, 6], id="find by destination and kind together"),
    pytest.param({"contains": "/apis/apps/v1"}, [1, 6], id="find by a piece of the summary"),
    pytest.param({"kind": "reply", "since": 3}, [4], id="find only hops after a given id"),
    pytest.param({"src": "nobody"}, [], id="find with no match is empty"),
])
def test_find(filters, expected):
    assert [h.id for h in small_tree().find(**filters)] == expected


def test_roots_are_the_hops_without_a_cause_optionally_by_source():
    trace = small_tree()
    assert [h.id for h in trace.roots()] == [1, 7]
    assert [h.id for h in trace.roots(src="kubelet")] == [7]


# -- formatting --------------------------------------------------------------------
def test_format_prints_one_fixed_width_line_per_hop_and_marks_lost_ones():
    trace = small_tree()
    trace[4].status = "partitioned"
    assert trace.format(trace.tree(1), limit=4) == "\n".join([
        "   0.0000s  kubectl -> apiserver  POST /apis/apps/v1/namespaces/default/deployments",
        "   0.5000s  apiserver -> etcd  Txn /registry/deployments/default/web",
        "   1.0000s  etcd -> apiserver  OK rev=2",
        "   1.5000s  apiserver -> kubectl  201 Created  [partitioned]",
    ])
    assert trace.format().count("\n") == 6
    assert Trace().format() == ""


def test_hops_compare_by_value():
    assert Hop(1, None, "a", "b", "GET", "x", 0.0) == Hop(1, None, "a", "b", "GET", "x", 0.0)


# -- determinism: the same seed gives the same trace, byte for byte ---------------------
def run_world(seed):
    """Three clients hit an apiserver that reads a random etcd member; links have random
    latencies and a little loss; clients retry with jitter and pick verbs at random."""
    kernel = Kernel(seed=seed)
    trace = Trace()
    net = Network(kernel, trace, latency=(0.001, 0.010), local_latency=0.0002)
    net.loss = 0.05
    members = ["etcd-0", "etcd-1", "etcd-2"]

    async def serve(msg):
        await kernel.sleep(kernel.rng.uniform(0.0, 0.002))
        member = kernel.rng.choice(members)
        try:
            value = await net.request("apiserver", member, "Range", f"Range {msg.body} via {member}",
                                      msg.body, timeout=0.05)
            net.reply(msg, value, f"200 {msg.kind} {msg.body}")
        except Unreachable:
            net.reply(msg, None, f"504 {msg.kind} {msg.body}")

    def apiserver(msg):
        kernel.spawn(serve(msg), "serve", cause=msg.hop)

    def etcd(name):
        def handler(msg):
            net.reply(msg, f"{msg.body}@{name}", f"OK {msg.body}")
        return handler

    net.listen("apiserver", "master-0", apiserver)
    for i, name in enumerate(members):
        net.listen(name, f"master-{i}", etcd(name))

    outcomes = []

    async def client(name):
        for n in range(6):
            verb = kernel.rng.choice(["GET", "LIST", "WATCH"])
            path = f"/api/v1/pods/{name}-{n}"
            try:
                got = await net.request(name, "apiserver", verb, f"{verb} {path}", path, timeout=0.2)
            except Unreachable:
                got = "unreachable"
            outcomes.append((name, n, got))
            await kernel.sleep(kernel.rng.expovariate(20.0))

    for i, name in enumerate(["kubelet-1", "kubelet-2", "scheduler"]):
        net.listen(name, f"node-{i}", lambda msg: None)
        kernel.spawn(client(name), name)
    kernel.run(seconds=10)
    return trace.format(), outcomes, kernel.now


def test_the_same_seed_gives_a_byte_identical_trace():
    first, first_outcomes, first_now = run_world(seed=7)
    second, second_outcomes, second_now = run_world(seed=7)
    assert first == second
    assert first.encode() == second.encode()
    assert first_outcomes == second_outcomes and first_now == second_now == 10.0
    lines = first.splitlines()
    assert len(lines) >= 60                       # 18 requests, most with a Range and two replies
    assert len(first_outcomes) == 18
    assert any("via etcd-0" in line for line in lines) and any("via etcd-2" in line for line in lines)
    assert any(line.endswith("[lost]") for line in lines)     # the loss path is exercised too


def test_another_seed_gives_a_different_trace():
    assert run_world(seed=7)[0] != run_world(seed=8)[0]


def test_the_trace_does_not_depend_on_what_ran_before_in_the_process():
    baseline = run_world(seed=3)[0]
    run_world(seed=99)
    assert run_world(seed=3)[0] == baseline
