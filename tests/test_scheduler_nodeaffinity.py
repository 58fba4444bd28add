"""NodeAffinity's PreFilter, Filter and Score, as the cases of upstream ``node_affinity_test.go``
(TestNodeAffinity, TestNodeAffinityPriority) state them; then the plugin inside the default
profile, on a cluster."""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.scheduler.framework import (OK, SKIP, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState, NodeInfo, Status,
                                         PreFilterPlugin)
from k8slite.scheduler.plugins.nodeaffinity import (ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD,
                                                    NodeAffinity)
from k8slite.scheduler.scheduler import default_profile, fit_error_message


def req(key, op, *values):
    r = {"key": key, "operator": op}
    if values:
        r["values"] = list(values)
    return r


def name_in(*names):
    return req("metadata.name", "In", *names)


def term(exprs=None, fields=None):
    t = {}
    if exprs is not None:
        t["matchExpressions"] = exprs
    if fields is not None:
        t["matchFields"] = fields
    return t


def required(*terms):
    return {"nodeSelectorTerms": list(terms)}


def pod(node_selector=None, affinity=None):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    if affinity is not None:
        spec["affinity"] = affinity
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


def with_required(*terms, node_selector=None):
    return pod(node_selector, {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required(*terms)}})


def node(name="", labels=None):
    return {"metadata": {"name": name, "labels": labels or {}}}


def rejected(reason):
    return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (reason,), "NodeAffinity")


ADDED_NODE2 = {"requiredDuringSchedulingIgnoredDuringExecution": required(term(fields=[name_in("node2")]))}

# (pod, node labels, node name, want Filter status, want PreFilter status, want PreFilter names, added affinity,
#  run PreFilter)
FILTER_CASES = [
    (pod({"foo": "bar"}), {}, "", rejected(ERR_REASON_POD), OK, None, None, True),
    (pod({"foo": "bar"}), {"foo": "bar"}, "", OK, OK, None, None, True),
    (pod({"foo": "bar"}), {"foo": "bar", "baz": "blah"}, "", OK, OK, None, None, True),
    (pod({"foo": "bar", "baz": "blah"}), {"foo": "bar"}, "", rejected(ERR_REASON_POD), OK, None, None, True),
    (with_required(term([req("foo", "In", "bar", "value2")])), {"foo": "bar"}, "", OK, OK, None, None, True),
    (with_required(term([req("kernel-version", "Gt", "0204")])), {"kernel-version": "0206"}, "", OK, OK, None, None,
     True),
    (with_required(term([req("mem-type", "NotIn", "DDR", "DDR2")])), {"mem-type": "DDR3"}, "", OK, OK, None, None,
     True),
    (with_required(term([req("GPU", "Exists")])), {"GPU": "NVIDIA-GRID-K1"}, "", OK, OK, None, None, True),
    (with_required(term([req("foo", "In", "value1", "value2")])), {"foo": "bar"}, "", rejected(ERR_REASON_POD), OK,
     None, None, True),
    (with_required(term([])), {"foo": "bar"}, "", rejected(ERR_REASON_POD), OK, None, None, True),
    (pod(), {"foo": "bar"}, "", OK, Status(SKIP, (), "NodeAffinity"), None, None, True),
    (pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None}}), {"foo": "bar"}, "",
     OK, Status(SKIP, (), "NodeAffinity"), None, None, True),
    (with_required(term([req("GPU", "Exists"), req("GPU", "NotIn", "AMD", "INTER")])), {"GPU": "NVIDIA-GRID-K1"}, "",
     OK, OK, None, None, True),
    (with_required(term([req("GPU", "Exists"), req("GPU", "In", "AMD", "INTER")])), {"GPU": "NVIDIA-GRID-K1"}, "",
     rejected(ERR_REASON_POD), OK, None, None, True),
    (with_required(term([req("foo", "In", "bar", "value2")]), term([req("diffkey", "In", "wrong", "value2")])),
     {"foo": "bar"}, "", OK, OK, None, None, True),
    (with_required(term([req("foo", "Exists")]), node_selector={"foo": "bar"}), {"foo": "bar"}, "", OK, OK, None,
     None, True),
    (with_required(term([req("foo", "Exists")]), node_selector={"foo": "bar"}), {"foo": "barrrrrr"}, "",
     rejected(ERR_REASON_POD), OK, None, None, True),
    (with_required(term([req("foo", "NotIn", "invalid value: ___@#$%^")])), {"foo": "bar"}, "",
     rejected(ERR_REASON_POD), OK, None, None, True),
    (with_required(term(fields=[name_in("node1")])), {}, "node1", OK, OK, ("node1",), None, True),
    (with_required(term(fields=[name_in("node1")])), {}, "node2", rejected(ERR_REASON_POD), OK, ("node1",), None,
     True),
    (with_required(term(fields=[name_in("node1"), name_in("node2")]), term([req("foo", "In", "bar")])),
     {"foo": "bar"}, "node2", OK, OK, None, None, True),
    (with_required(term([req("foo", "In", "bar")], [name_in("node1")])), {"foo": "bar"}, "node2",
     rejected(ERR_REASON_POD), OK, ("node1",), None, True),
    (with_required(term([req("foo", "In", "bar")], [name_in("node1")])), {"foo": "bar"}, "node1", OK, OK, ("node1",),
     None, True),
    (with_required(term(fields=[name_in("node1")]), term([req("foo", "In", "not-match-to-bar")])), {"foo": "bar"},
     "node2", rejected(ERR_REASON_POD), OK, None, None, True),
    (with_required(term(fields=[name_in("node1")]), term(fields=[name_in("node2")])), {}, "node2", OK, OK,
     ("node1", "node2"), None, True),
    (with_required(term(fields=[name_in("node1"), name_in("node2")])), {"foo": "bar"}, "node2",
     rejected(ERR_REASON_POD), rejected(ERR_REASON_CONFLICT), None, None, True),
    (with_required(term([req("zone", "In", "foo")])), {"zone": "foo"}, "node2", OK, OK, None, ADDED_NODE2, True),
    (with_required(term([req("zone", "In", "bar")])), {"zone": "foo"}, "node2", rejected(ERR_REASON_POD), OK, None,
     ADDED_NODE2, True),
    (pod(), {"zone": "foo"}, "node2", rejected(ERR_REASON_ENFORCED), OK, None,
     {"requiredDuringSchedulingIgnoredDuringExecution": required(term([req("zone", "In", "bar")]))}, True),
    (pod({"foo": "bar"}), {"foo": "bar", "baz": "blah"}, "", OK, None, None, None, False),
    (with_required(term([req("GPU", "Exists"), req("GPU", "NotIn", "AMD", "INTER")])), {"GPU": "NVIDIA-GRID-K1"}, "",
     OK, None, None, None, False),
]
FILTER_IDS = [
    "missing labels",
    "same labels",
    "node labels are superset",
    "node labels are subset",
    "matchExpressions with In that matches the node",
    "matchExpressions with Gt that matches the node (0206 > 0204 as integers)",
    "matchExpressions with NotIn that matches the node",
    "matchExpressions with Exists that matches the node",
    "affinity that doesn't match the node's labels won't schedule onto the node",
    "an empty matchExpressions list matches no node",
    "a pod with no affinity is skipped by PreFilter and fits",
    "a pod with affinity but a nil required selector is skipped by PreFilter and fits",
    "several matchExpressions in one term are ANDed: all hold",
    "several matchExpressions in one term are ANDed: one fails",
    "several terms are ORed: the first matches",
    "both the affinity and the nodeSelector are satisfied",
    "the affinity matches but the nodeSelector does not",
    "an invalid value in a term makes the term match nothing",
    "matchFields metadata.name In names this node: PreFilter narrows to it",
    "matchFields metadata.name In names another node",
    "two terms: matchFields does not match but matchExpressions does",
    "one term: matchFields does not match although matchExpressions does",
    "one term: both matchFields and matchExpressions match",
    "two terms: neither matchFields nor matchExpressions match",
    "two terms of node-name affinity: PreFilter keeps both nodes",
    "two conflicting name requirements in one term: PreFilter rejects the pod",
    "matches the added affinity and the pod's affinity",
    "matches the added affinity but not the pod's affinity",
    "doesn't match the added (scheduler-enforced) affinity",
    "matches a nodeSelector even if PreFilter did not run",
    "matches node affinity even if PreFilter did not run",
]


@pytest.mark.parametrize("p, labels, name, want, want_pre, want_names, added, run_pre", FILTER_CASES, ids=FILTER_IDS)
def test_filter(p, labels, name, want, want_pre, want_names, added, run_pre):
    plugin = NodeAffinity(added)
    state = CycleState()
    if run_pre:
        names, status = plugin.pre_filter(state, p)
        assert status == want_pre
        assert names == want_names
    assert plugin.filter(state, p, NodeInfo(node(name, labels))) == want


LABEL1 = {"foo": "bar"}
LABEL2 = {"key": "value"}
LABEL3 = {"az": "az1"}
LABEL4 = {"abc": "az11", "def": "az22"}
LABEL5 = {"foo": "bar", "key": "value", "az": "az1"}


def preferred(*weighted):
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": w, "preference": term(list(exprs))} for w, exprs in weighted]}}


AFFINITY1 = preferred((2, [req("foo", "In", "bar")]))
AFFINITY2 = preferred((2, [req("foo", "In", "bar")]), (4, [req("key", "In", "value")]),
                      (5, [req("foo", "In", "bar"), req("key", "In", "value"), req("az", "In", "az1")]))

SCORE_CASES = [
    (pod(), [("node1", LABEL1), ("node2", LABEL2), ("node3", LABEL3)], {"node1": 0, "node2": 0, "node3": 0}, None,
     True),
    (pod(affinity=AFFINITY1), [("node1", LABEL4), ("node2", LABEL2), ("node3", LABEL3)],
     {"node1": 0, "node2": 0, "node3": 0}, None, True),
    (pod(affinity=AFFINITY1), [("node1", LABEL1), ("node2", LABEL2), ("node3", LABEL3)],
     {"node1": 100, "node2": 0, "node3": 0}, None, True),
    (pod(affinity=AFFINITY2), [("node1", LABEL1), ("node5", LABEL5), ("node2", LABEL2)],
     {"node1": 18, "node5": 100, "node2": 36}, None, True),
    (pod(), [("node1", LABEL1), ("node2", LABEL2)], {"node1": 100, "node2": 0}, AFFINITY1["nodeAffinity"], True),
    (pod(affinity=AFFINITY1), [("node1", LABEL1), ("node2", LABEL2), ("node3", LABEL5)],
     {"node1": 40, "node2": 60, "node3": 100},
     {"preferredDuringSchedulingIgnoredDuringExecution": [
         {"weight": 3, "preference": term([req("key", "In", "value")])}]},
     True),
    (pod(affinity=AFFINITY2), [("node1", LABEL1), ("node5", LABEL5), ("node2", LABEL2)],
     {"node1": 18, "node5": 100, "node2": 36}, None, False),
]
SCORE_IDS = [
    "all nodes score the same when the pod has no node affinity",
    "no node matches the preferred terms, so every score is zero",
    "only node1 matches the preferred term",
    "all nodes match some preferred terms, with different weights (2, 11, 4 normalise to 18, 100, 36)",
    "the added affinity's preferred terms score alone",
    "the added affinity's preferred terms add to the pod's own",
    "the scores are right even if PreScore did not run",
]


@pytest.mark.parametrize("p, nodes, want, added, run_pre_score", SCORE_CASES, ids=SCORE_IDS)
def test_score(p, nodes, want, added, run_pre_score):
    plugin = NodeAffinity(added)
    state = CycleState()
    if run_pre_score:
        assert plugin.pre_score(state, p).code in ("Success", SKIP)
    scores = {name: plugin.score(state, p, NodeInfo(node(name, labels))) for name, labels in nodes}
    plugin.normalize(state, p, scores)
    assert scores == want
    assert list(scores) == [name for name, _ in nodes]       # normalising keeps the nodes' order


def test_pre_score_skips_a_pod_without_preferences_and_reports_a_broken_term():
    plugin = NodeAffinity()
    assert plugin.pre_score(CycleState(), pod()).code == SKIP
    broken = preferred((1, [req("foo", "Gt", "not-a-number")]))
    status = plugin.pre_score(CycleState(), pod(affinity=broken))
    assert status.code == "Error" and "integer" in status.reasons[0]


@pytest.mark.parametrize("r, labels, matches", [
    (req("kernel-version", "Lt", "0204"), {"kernel-version": "0202"}, True),
    (req("kernel-version", "Lt", "0204"), {"kernel-version": "0206"}, False),
    (req("kernel-version", "Gt", "0204"), {}, False),
    (req("kernel-version", "Gt", "0204"), {"kernel-version": "six"}, False),
    (req("gpu", "DoesNotExist"), {}, True),
    (req("gpu", "DoesNotExist"), {"gpu": "k1"}, False),
    (req("gpu", "NotIn", "k1"), {}, True),
    (req("gpu", "Exists", "k1"), {"gpu": "k1"}, False),
    (req("gpu", "Near", "k1"), {"gpu": "k1"}, False),
], ids=["Lt holds for a smaller integer", "Lt fails for a larger integer", "Gt fails without the label",
        "Gt fails for a label that is not an integer", "DoesNotExist holds without the label",
        "DoesNotExist fails with the label", "NotIn holds without the label",
        "Exists with values does not parse, so matches nothing", "an unknown operator matches nothing"])
def test_operators(r, labels, matches):
    plugin = NodeAffinity()
    want = OK if matches else rejected(ERR_REASON_POD)
    assert plugin.filter(CycleState(), with_required(term([r])), NodeInfo(node("n", labels))) == want


def test_match_fields_allow_one_value_and_only_in_or_not_in():
    plugin = NodeAffinity()
    p = with_required(term(fields=[req("metadata.name", "NotIn", "node1")]))
    assert plugin.filter(CycleState(), p, NodeInfo(node("node2"))) == OK
    assert plugin.filter(CycleState(), p, NodeInfo(node("node1"))) == rejected(ERR_REASON_POD)
    two = with_required(term(fields=[name_in("node1", "node2")]))
    assert plugin.filter(CycleState(), two, NodeInfo(node("node1"))) == rejected(ERR_REASON_POD)
    exists = with_required(term(fields=[req("metadata.name", "Exists")]))
    assert plugin.filter(CycleState(), exists, NodeInfo(node("node1"))) == rejected(ERR_REASON_POD)


def test_an_added_affinity_that_does_not_parse_is_refused():
    with pytest.raises(ValueError, match="addedAffinity"):
        NodeAffinity({"requiredDuringSchedulingIgnoredDuringExecution": required(term([req("a", "Gt", "x")]))})


def test_the_default_profile_runs_node_affinity_with_weight_two_after_taint_toleration():
    profile = default_profile()
    assert [p.NAME for p in profile.filters] == ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                                                  "NodeResourcesFit"]
    assert [(p.NAME, w) for p, w in profile.scorers] == [("TaintToleration", 3), ("NodeAffinity", 2),
                                                         ("NodeResourcesFit", 1),
                                                         ("NodeResourcesBalancedAllocation", 1)]
    assert [p.NAME for p in profile.pre_filters] == ["NodeAffinity"]
    assert isinstance(profile.pre_filters[0], PreFilterPlugin)


def test_fit_error_carries_a_pre_filter_rejection_instead_of_counts():
    assert fit_error_message(3, {"a": ("x",)}, ERR_REASON_CONFLICT) == \
        "0/3 nodes are available: pod affinity terms conflict."


# -- in the scheduler -----------------------------------------------------------------------------

POD = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s}
spec:
  containers: [{name: c, image: nginx}]
  affinity: {nodeAffinity: %(affinity)s}
"""


def _scheduled_event(c, name):
    return [e["message"] for e in c.objects("events", "default")
            if e["involvedObject"]["name"] == name and e["reason"] in ("Scheduled", "FailedScheduling")]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster.up(nodes=3, seed=4)
    c.kubectl("label node node-2 disk=ssd")
    return c


def test_preferred_affinity_wins_the_score(cluster):
    c = cluster
    pref = "{preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, preference: " \
           "{matchExpressions: [{key: disk, operator: In, values: [ssd]}]}}]}"
    for i in range(3):
        c.kubectl.apply(POD % {"name": f"pref-{i}", "affinity": pref})
    c.run(5)
    for i in range(3):
        assert _scheduled_event(c, f"pref-{i}") == [f"Successfully assigned default/pref-{i} to node-2"]


def test_a_pod_pinned_by_match_fields_to_an_absent_node_names_the_pre_filter(cluster):
    c = cluster
    pin = "{requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: " \
          "[{matchFields: [{key: metadata.name, operator: In, values: [node-9]}]}]}}"
    c.kubectl.apply(POD % {"name": "pinned", "affinity": pin})
    c.run(3)
    assert _scheduled_event(c, "pinned")[0] == \
        "0/4 nodes are available: 4 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    conflict = "{requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: " \
               "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}, " \
               "{key: metadata.name, operator: In, values: [node-2]}]}]}}"
    c.kubectl.apply(POD % {"name": "conflict", "affinity": conflict})
    c.run(3)
    assert _scheduled_event(c, "conflict")[0] == "0/4 nodes are available: pod affinity terms conflict."


def test_a_label_added_later_lets_a_waiting_pod_schedule(cluster):
    c = cluster
    need = "{requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: " \
           "[{matchExpressions: [{key: gpu, operator: Exists}]}]}}"
    c.kubectl.apply(POD % {"name": "wants-gpu", "affinity": need})
    c.run(3)
    assert _scheduled_event(c, "wants-gpu")[0] == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 node(s) didn't match Pod's node affinity/selector.")
    c.kubectl("label node node-3 gpu=k80")
    c.run(3)
    assert _scheduled_event(c, "wants-gpu")[-1] == "Successfully assigned default/wants-gpu to node-3"
