"""Tests of k8slite/sim/network.py: latency, requests and replies, partitions, crashes, loss, causes."""
import pytest

from k8slite.sim.kernel import Kernel, Timeout
from k8slite.sim.network import Network, Refused, Unreachable
from k8slite.sim.trace import Trace

LAN = (0.0005, 0.0015)


def make_world(seed=1, latency=LAN, local_latency=0.0001, think=0.0):
    """apiserver and etcd on host master; a kubelet on each of node-1 and node-2.

    The apiserver answers a "GET" by asking etcd ("Range") first, from a task that
    works for the request's hop; etcd and the kubelets answer at once.
    """
    kernel = Kernel(seed=seed)
    trace = Trace()
    net = Network(kernel, trace, latency=latency, local_latency=local_latency)
    inbox = {name: [] for name in ["apiserver", "etcd", "kubelet-1", "kubelet-2"]}

    def answer_at_once(name):
        def handler(msg):
            inbox[name].append((msg.kind, msg.body, kernel.now))
            net.reply(msg, f"{name} got {msg.body}", f"200 {msg.kind}")
        return handler

    async def serve(msg):
        if think:
            await kernel.sleep(think)
        value = await net.request("apiserver", "etcd", "Range", f"Range /registry/{msg.body}", msg.body)
        net.reply(msg, value, f"200 {msg.kind}")

    def apiserver(msg):
        inbox["apiserver"].append((msg.kind, msg.body, kernel.now))
        if msg.request_id:
            kernel.spawn(serve(msg), "serve", cause=msg.hop)

    net.listen("apiserver", "master", apiserver)
    net.listen("etcd", "master", answer_at_once("etcd"))
    net.listen("kubelet-1", "node-1", answer_at_once("kubelet-1"))
    net.listen("kubelet-2", "node-2", answer_at_once("kubelet-2"))
    return kernel, trace, net, inbox


def call(kernel, net, src, dst, kind="GET", body="pods", timeout=10.0):
    """Make one request from outside any task; return (outcome, virtual time it took)."""
    start = kernel.now

    async def caller():
        try:
            return await net.request(src, dst, kind, f"{kind} {body}", body, timeout=timeout)
        except Unreachable as error:
            return error

    outcome = kernel.run_until_complete(caller(), limit=timeout + 1)
    return outcome, kernel.now - start


# -- latency -----------------------------------------------------------------------
@pytest.mark.parametrize("latency", [
    pytest.param(LAN, id="each cross-host hop takes between 0.5 and 1.5 ms by default"),
    pytest.param((0.010, 0.020), id="each cross-host hop takes between 10 and 20 ms on a slow link"),
    pytest.param((0.003, 0.003), id="a fixed latency is exact"),
])
def test_cross_host_hops_take_a_latency_within_the_configured_range(latency):
    kernel, trace, net, _ = make_world(latency=latency)
    lo, hi = latency
    for i in range(20):
        outcome, _ = call(kernel, net, "kubelet-1", "kubelet-2", body=str(i))
        assert outcome == f"kubelet-2 got {i}"
    assert len(trace) == 40
    delays = [hop.received - hop.sent for hop in trace]
    assert all(lo - 1e-12 <= d <= hi + 1e-12 for d in delays)
    if lo < hi:
        assert len(set(delays)) > 30      # drawn, not constant


def test_a_request_to_the_same_host_takes_the_local_latency_each_way():
    kernel, trace, net, _ = make_world(local_latency=0.0002)
    outcome, took = call(kernel, net, "apiserver", "etcd", kind="Range", body="/registry/pods")
    assert outcome == "etcd got /registry/pods"
    assert took == pytest.approx(0.0004, abs=1e-12)
    assert [(h.src, h.dst, h.kind, h.received - h.sent) for h in trace] == [
        ("apiserver", "etcd", "Range", pytest.approx(0.0002, abs=1e-12)),
        ("etcd", "apiserver", "reply", pytest.approx(0.0002, abs=1e-12)),
    ]


def test_a_cross_host_request_is_slower_than_a_same_host_one():
    kernel, _, net, _ = make_world(latency=(0.001, 0.002), local_latency=0.0001)
    _, local = call(kernel, net, "apiserver", "etcd")
    _, remote = call(kernel, net, "kubelet-1", "kubelet-2")
    assert local == pytest.approx(0.0002)
    assert 0.002 <= remote <= 0.004


def test_a_request_through_the_apiserver_to_etcd_is_four_hops_in_order():
    kernel, trace, net, inbox = make_world(think=0.005)
    outcome, took = call(kernel, net, "kubelet-1", "apiserver", body="pods")
    assert outcome == "etcd got pods"
    assert [(h.src, h.dst, h.kind, h.status) for h in trace] == [
        ("kubelet-1", "apiserver", "GET", "delivered"),
        ("apiserver", "etcd", "Range", "delivered"),
        ("etcd", "apiserver", "reply", "delivered"),
        ("apiserver", "kubelet-1", "reply", "delivered"),
    ]
    get, range_, range_reply, get_reply = trace.hops
    assert range_.sent - get.received == pytest.approx(0.005)        # the apiserver thinks first
    assert range_.received - range_.sent == pytest.approx(0.0001)    # same host
    assert range_reply.sent == range_.received                       # etcd answers at once
    assert get_reply.sent == range_reply.received                    # the apiserver passes it on
    assert inbox["etcd"] == [("Range", "pods", range_.received)]
    assert 0.005 + 0.0002 + 0.001 <= took <= 0.005 + 0.0002 + 0.003
    assert net.messages == 4


def test_one_way_messages_are_delivered_and_reply_to_them_is_not_sent():
    kernel, trace, net, inbox = make_world()
    hop = net.send("apiserver", "kubelet-1", "WATCH", "ADDED pod web-0", {"type": "ADDED"})
    kernel.run()
    assert hop == 1 and len(trace) == 1          # the handler's reply to request_id 0 sent nothing
    assert inbox["kubelet-1"] == [("WATCH", {"type": "ADDED"}, trace[1].received)]


# -- partitions ------------------------------------------------------------------------
@pytest.mark.parametrize("side_a, side_b", [
    pytest.param(["node-1"], ["master"], id="a partition between hosts"),
    pytest.param(["kubelet-1"], ["apiserver", "etcd"], id="a partition between endpoint names"),
    pytest.param(["master"], ["node-1", "node-2"], id="a partition with the sides swapped"),
])
def test_a_partition_drops_messages_in_both_directions_until_healed(side_a, side_b):
    kernel, trace, net, inbox = make_world()
    net.partition(side_a, side_b)

    outcome, took = call(kernel, net, "kubelet-1", "apiserver", timeout=2.0)
    assert isinstance(outcome, Unreachable) and isinstance(outcome, Timeout)
    assert str(outcome) == "GET to apiserver: no reply (timeout)"
    assert took == 2.0
    outcome, _ = call(kernel, net, "apiserver", "kubelet-1", timeout=2.0)
    assert isinstance(outcome, Unreachable)
    assert [(h.src, h.dst, h.status, h.received) for h in trace] == [
        ("kubelet-1", "apiserver", "partitioned", None),
        ("apiserver", "kubelet-1", "partitioned", None),
    ]
    assert inbox["apiserver"] == [] and inbox["kubelet-1"] == []

    # a link the partition does not cut still works
    outcome, _ = call(kernel, net, "kubelet-1", "kubelet-2")
    assert outcome == "kubelet-2 got pods"

    net.heal()
    outcome, _ = call(kernel, net, "kubelet-1", "apiserver")
    assert outcome == "etcd got pods"
    assert trace[len(trace)].status == "delivered"


def test_a_message_in_flight_when_the_partition_starts_is_dropped_on_arrival():
    kernel, trace, net, inbox = make_world()
    net.send("apiserver", "kubelet-1", "WATCH", "MODIFIED pod web-0")
    net.partition(["master"], ["node-1"])
    kernel.run()
    assert trace[1].status == "partitioned" and trace[1].received is None
    assert inbox["kubelet-1"] == []


# -- crashed endpoints ------------------------------------------------------------------
def test_a_downed_endpoint_refuses_requests_at_once_as_a_host_resets_a_closed_port():
    kernel, trace, net, inbox = make_world()
    net.down("kubelet-2")
    outcome, took = call(kernel, net, "kubelet-1", "kubelet-2", kind="Exec", timeout=3.0)
    assert isinstance(outcome, Refused) and isinstance(outcome, Unreachable)
    assert str(outcome) == "Exec to kubelet-2: connection refused"
    assert took < 0.01
    assert inbox["kubelet-2"] == []
    assert (trace[1].status, trace[1].received) == ("peer down", None)

    net.up("kubelet-2")
    outcome, _ = call(kernel, net, "kubelet-1", "kubelet-2", kind="Exec", body="ls")
    assert outcome == "kubelet-2 got ls"


def test_a_downed_endpoint_sends_nothing_and_comes_back_with_a_new_handler():
    kernel, trace, net, _ = make_world()
    net.down("kubelet-1")
    net.send("kubelet-1", "apiserver", "PATCH", "PATCH node status")
    kernel.run()
    assert trace[1].status == "sender down"

    restarted = []
    net.up("kubelet-1", lambda msg: restarted.append(msg.kind))
    net.send("apiserver", "kubelet-1", "WATCH", "ADDED pod")
    kernel.run()
    assert restarted == ["WATCH"]


def test_a_reply_to_a_requester_that_went_down_is_lost_and_it_times_out():
    kernel, trace, net, _ = make_world(think=1.0)
    fut = net.request("kubelet-1", "apiserver", "GET", "GET pods", "pods", timeout=5.0)
    kernel.call_later(0.5, lambda _: net.down("kubelet-1"))
    kernel.run(until=10)
    assert isinstance(fut.exception(), Unreachable)
    assert [h.status for h in trace] == ["delivered", "delivered", "delivered", "peer down"]


def test_a_message_to_an_unknown_endpoint_is_recorded_as_lost():
    kernel, trace, net, _ = make_world()
    outcome, took = call(kernel, net, "kubelet-1", "kubelet-9", timeout=1.0)
    assert isinstance(outcome, Unreachable) and took == 1.0
    assert trace[1].status == "no such endpoint"


# -- loss -------------------------------------------------------------------------------
@pytest.mark.parametrize("loss, delivered", [
    pytest.param(0.0, 50, id="no loss delivers every message"),
    pytest.param(1.0, 0, id="loss probability one loses every message"),
])
def test_loss_probability_at_the_extremes(loss, delivered):
    kernel, trace, net, inbox = make_world()
    net.loss = loss
    for i in range(50):
        net.send("kubelet-1", "kubelet-2", "PING", f"ping {i}", i)
    kernel.run()
    assert len(inbox["kubelet-2"]) == delivered
    assert [h.status for h in trace].count("lost") == 50 - delivered


def test_with_total_loss_a_request_fails_with_unreachable():
    kernel, trace, net, _ = make_world()
    net.loss = 1.0
    outcome, took = call(kernel, net, "apiserver", "etcd", timeout=0.5)
    assert isinstance(outcome, Unreachable) and took == 0.5
    assert [h.status for h in trace] == ["lost"]


def test_partial_loss_loses_some_but_not_all_and_is_repeatable_per_seed():
    def statuses(seed):
        kernel, trace, net, _ = make_world(seed=seed)
        net.loss = 0.3
        for i in range(200):
            net.send("kubelet-1", "kubelet-2", "PING", f"ping {i}")
        kernel.run()
        return [h.status for h in trace]

    first = statuses(5)
    assert 30 <= first.count("lost") <= 90
    assert statuses(5) == first
    assert statuses(6) != first


# -- causes -----------------------------------------------------------------------------
def test_a_hop_sent_from_a_handler_task_spawned_with_the_message_hop_has_that_cause():
    kernel, trace, net, _ = make_world()
    outcome, _ = call(kernel, net, "kubelet-1", "apiserver")
    assert outcome == "etcd got pods"
    get, range_, range_reply, get_reply = trace.hops
    assert get.cause is None
    assert range_.cause == get.id           # sent by the task spawned with cause=msg.hop
    assert range_reply.cause == range_.id   # a reply is caused by its request
    assert get_reply.cause == get.id
    assert trace.children == {1: [2, 4], 2: [3]}


def test_sending_from_a_task_uses_the_task_cause_unless_one_is_given():
    kernel, trace, net, _ = make_world()

    async def controller():
        net.send("apiserver", "kubelet-1", "WATCH", "inherited")
        net.send("apiserver", "kubelet-1", "WATCH", "explicit", cause=None)

    root = net.send("kubelet-2", "apiserver", "POST", "POST pod")
    kernel.spawn(controller(), cause=root)
    kernel.run()
    assert [(h.summary, h.cause) for h in trace] == [("POST pod", None), ("inherited", 1), ("explicit", None)]


def test_the_causal_tree_and_ancestors_of_two_interleaved_requests():
    kernel, trace, net, _ = make_world(think=0.01)
    first = net.request("kubelet-1", "apiserver", "GET", "GET pods", "pods")
    second = net.request("kubelet-2", "apiserver", "GET", "GET nodes", "nodes")
    kernel.run()
    assert (first.result(), second.result()) == ("etcd got pods", "etcd got nodes")
    roots = trace.roots()
    assert [h.summary for h in roots] == ["GET pods", "GET nodes"]
    for root, body in zip(roots, ["pods", "nodes"]):
        tree = trace.tree(root.id)
        assert [h.kind for h in tree] == ["GET", "Range", "reply", "reply"]
        assert all(h.id == root.id or body in h.summary or h.kind == "reply" for h in tree)
        assert [h.id for h in tree] == sorted(h.id for h in tree)
        deepest = tree[2]
        assert [h.id for h in trace.ancestors(deepest.id)] == [root.id, tree[1].id, deepest.id]
    assert sorted(h.id for r in roots for h in trace.tree(r.id)) == list(range(1, 9))


def test_with_tracing_off_messages_still_flow_and_no_hops_are_recorded():
    kernel = Kernel(seed=1)
    trace = Trace(enabled=False)
    net = Network(kernel, trace)
    got = []
    net.listen("a", "h1", lambda msg: net.reply(msg, msg.body * 2, "200"))
    net.listen("b", "h2", lambda msg: got.append(msg.hop))

    async def caller():
        return await net.request("b", "a", "GET", "GET", 21)

    assert kernel.run_until_complete(caller()) == 42
    assert net.send("a", "b", "WATCH", "w") is None
    kernel.run()
    assert got == [None] and len(trace) == 0
