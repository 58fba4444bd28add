"""PodTopologySpread's PreFilter, Filter, PreScore, Score and NormalizeScore, as the cases of upstream
``podtopologyspread/filtering_test.go`` (TestPreFilterState, TestPreFilterStateAddPod,
TestSingleConstraint, TestMultipleConstraints) and ``scoring_test.go`` (TestPreScoreSkip,
TestPreScoreStateEmptyNodes, TestPodTopologySpreadScore) state them, driven directly on NodeInfos."""
from __future__ import annotations

import pytest

from k8slite.client.informer import Indexer, Lister
from k8slite.scheduler.framework import (ERROR, OK, SKIP, SUCCESS, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE,
                                         CycleState, Status)
from k8slite.scheduler.plugins.interpodaffinity import NodeInfoWithPods, PodInfo
from k8slite.scheduler.plugins.podtopologyspread import (ERR_REASON_CONSTRAINTS_NOT_MATCH,
                                                         ERR_REASON_NODE_LABEL_NOT_MATCH, LABEL_HOSTNAME,
                                                         LABEL_TOPOLOGY_ZONE, LIST_DEFAULTING, MAX_INT32,
                                                         PRE_FILTER_STATE_KEY, PRE_SCORE_STATE_KEY, PodTopologySpread,
                                                         default_selector, topology_normalizing_weight)

FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}
HOST = LABEL_HOSTNAME
TAINTS = [{"key": "node.kubernetes.io/unschedulable", "value": "", "effect": "NoSchedule"}]


def spread(max_skew, key, when, selector, min_domains=None, affinity_policy=None, taints_policy=None,
           match_label_keys=None, dns=True):
    c = {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when}
    if selector is not None:
        c["labelSelector"] = selector
    for field, value in (("minDomains", min_domains), ("nodeAffinityPolicy", affinity_policy),
                         ("nodeTaintsPolicy", taints_policy), ("matchLabelKeys", match_label_keys)):
        if value is not None:
            c[field] = value
    return c


def hard(max_skew, key, selector, **kw):
    return spread(max_skew, key, "DoNotSchedule", selector, **kw)


def soft(max_skew, key, selector, **kw):
    return spread(max_skew, key, "ScheduleAnyway", selector, **kw)


def pod(name="p", labels=(), node="", constraints=(), ns="", node_selector=None, node_affinity=None,
        tolerations=None, terminating=False, owner=None):
    """st.MakePod: ``labels`` as keys with "" values or a dict; ``node_affinity`` is (key, op, values)."""
    labels = dict(labels) if isinstance(labels, dict) else {k: "" for k in ([labels] if isinstance(labels, str)
                                                                             else labels)}
    p = {"metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": {"nodeName": node}}
    if constraints:
        p["spec"]["topologySpreadConstraints"] = list(constraints)
    if node_selector is not None:
        p["spec"]["nodeSelector"] = node_selector
    if node_affinity is not None:
        key, op, values = node_affinity
        p["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": key, "operator": op, "values": values}]}]}}}
    if tolerations is not None:
        p["spec"]["tolerations"] = tolerations
    if terminating:
        p["metadata"]["deletionTimestamp"] = "2024-08-13T00:00:00Z"
    if owner is not None:
        p["metadata"]["ownerReferences"] = [{"apiVersion": owner[0], "kind": owner[1], "name": owner[2],
                                             "controller": True}]
    return p


def node(name, taints=None, **labels):
    """Label keywords spell '.' as '_' and '/' as '__' (kubernetes_io__hostname)."""
    n = {"metadata": {"name": name, "labels": {k.replace("__", "/").replace("_", "."): v for k, v in labels.items()}},
         "spec": {}}
    if taints:
        n["spec"]["taints"] = taints
    return n


def zn(name, zone, **labels):
    """A node with a zone and a ``node`` label (upstream's st.MakeNode().Label("zone", …).Label("node", …))."""
    return node(name, zone=zone, node=name, **labels)


def snapshot(nodes, pods):
    infos = {n["metadata"]["name"]: NodeInfoWithPods(n) for n in nodes}
    for p in pods:
        info = infos.get(p["spec"]["nodeName"])
        if info is not None:
            info.add_pod(f"{p['metadata']['namespace']}/{p['metadata']['name']}", p)
    return list(infos.values())


def pods_on(*spec):
    """("node-a", 2, "foo") -> two pods labelled foo on node-a, named p-a1, p-a2."""
    out = []
    for node_name, n, labels in spec:
        for i in range(n):
            out.append(pod(f"p-{node_name[5:]}{i + 1}", labels, node_name))
    return out


def lister(*objects):
    indexer = Indexer()
    for obj in objects:
        indexer.add(obj)
    return Lister(indexer)


def sorted_paths(paths):
    """The comparer of upstream's tests: two paths of equal count are compared in name order."""
    (v0, n0), (v1, n1) = paths.paths
    if n0 == n1 and v0 > v1:
        v0, v1 = v1, v0
    return [(v0, n0), (v1, n1)]


U = Status(UNSCHEDULABLE, (ERR_REASON_CONSTRAINTS_NOT_MATCH,), "PodTopologySpread")
UU = Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_NODE_LABEL_NOT_MATCH,), "PodTopologySpread")
ABCD = [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]
SPREAD_2103 = pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 3, "foo"))
NO_ZONE_B = [zn("node-a", "zone1"), node("node-b", zon="zone1", node="node-b"), zn("node-x", "zone2"),
             zn("node-y", "zone2")]
TOLERATE_UNSCHEDULABLE = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]

# -- TestPreFilterState ------------------------------------------------------------------------------

PRE_FILTER = [
    ("clean cluster with one constraint", pod(labels=["foo"], constraints=[hard(5, "zone", {"matchLabels": {"foo": "bar"}})]),
     ABCD, [], {}, True, True, [{"zone1": 0, "zone2": 0}], [[("zone1", 0), ("zone2", 0)]]),
    ("normal case with one constraint", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 2, "foo")), {}, True, True,
     [{"zone1": 3, "zone2": 2}], [[("zone2", 2), ("zone1", 3)]]),
    ("a null label selector matches no pod", pod(labels=["foo"], constraints=[hard(1, "zone", None)]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 2, "foo")), {}, True, True,
     [{"zone1": 0, "zone2": 0}], [[("zone1", 0), ("zone2", 0)]]),
    ("normal case with one constraint on a 3-zone cluster", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]),
     ABCD + [zn("node-o", "zone3"), zn("node-p", "zone3")],
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 2, "foo")), {}, True, True,
     [{"zone1": 3, "zone2": 2, "zone3": 0}], [[("zone3", 0), ("zone2", 2)]]),
    ("pods in another namespace do not count", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]), ABCD,
     [pod("p-a1", ["foo"], "node-a"), pod("p-a2", ["foo"], "node-a", ns="ns1"), pod("p-b1", ["foo"], "node-b"),
      pod("p-y1", ["foo"], "node-y", ns="ns2"), pod("p-y2", ["foo"], "node-y")], {}, True, True,
     [{"zone1": 2, "zone2": 1}], [[("zone2", 1), ("zone1", 2)]]),
    ("normal case with two constraints",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 4, "foo")), {}, True, True,
     [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-x": 0, "node-y": 4}],
     [[("zone1", 3), ("zone2", 4)], [("node-x", 0), ("node-b", 1)]]),
    ("soft constraints are left to scoring",
     pod(labels=["foo"], constraints=[soft(1, "zone", FOO), hard(1, "zone", FOO), soft(1, "node", FOO),
                                      hard(1, "node", FOO)]), [zn("node-a", "zone1"), zn("node-b", "zone1"),
                                                               zn("node-y", "zone2")],
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 4, "foo")), {}, True, True,
     [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-y": 4}],
     [[("zone1", 3), ("zone2", 4)], [("node-b", 1), ("node-a", 2)]]),
    ("constraints with different label selectors, simple",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]),
     [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-y", "zone2")],
     [pod("p-a", ["foo"], "node-a"), pod("p-b", ["bar"], "node-b")], {}, True, True,
     [{"zone1": 1, "zone2": 0}, {"node-a": 0, "node-b": 1, "node-y": 0}],
     [[("zone2", 0), ("zone1", 1)], [("node-a", 0), ("node-y", 0)]]),
    ("constraints with different label selectors, complex pods",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]),
     [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-y", "zone2")],
     [pod("p-a1", ["foo"], "node-a"), pod("p-a2", ["foo", "bar"], "node-a"), pod("p-b1", ["foo"], "node-b"),
      pod("p-y1", ["foo"], "node-y"), pod("p-y2", ["foo", "bar"], "node-y"), pod("p-y3", ["foo"], "node-y"),
      pod("p-y4", ["foo", "bar"], "node-y")], {}, True, True,
     [{"zone1": 3, "zone2": 4}, {"node-a": 1, "node-b": 0, "node-y": 2}],
     [[("zone1", 3), ("zone2", 4)], [("node-b", 0), ("node-a", 1)]]),
    ("two constraints and a node affinity that excludes node-x",
     pod(labels=["foo"], node_affinity=("node", "NotIn", ["node-x"]),
         constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 4, "foo")), {}, True, True,
     [{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-y": 4}],
     [[("zone1", 3), ("zone2", 4)], [("node-b", 1), ("node-a", 2)]]),
    ("NodeAffinityPolicy with the feature gate off: nodes outside the nodeSelector are left out",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "node", BAR)]),
     [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""), node("node-c", node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, False, True, [{"node-a": 1, "node-b": 2}], [[("node-a", 1), ("node-b", 2)]]),
    ("NodeAffinityPolicy Honor (the default) with a nodeSelector",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "node", BAR)]),
     [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""), node("node-c", node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2}], [[("node-a", 1), ("node-b", 2)]]),
    ("NodeAffinityPolicy Ignore counts nodes outside the nodeSelector",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "node", BAR, affinity_policy="Ignore")]),
     [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""), node("node-c", node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2, "node-c": 0}], [[("node-c", 0), ("node-a", 1)]]),
    ("NodeAffinityPolicy Honor with a required node affinity",
     pod(labels=["foo"], node_affinity=("foo", "In", [""]), constraints=[hard(1, "node", BAR)]),
     [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""), node("node-c", node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-c", ["bar"], "node-b"), pod("p-d", ["bar"], "node-b"), pod("p-e", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2}], [[("node-a", 1), ("node-b", 2)]]),
    ("NodeTaintsPolicy Ignore (the default) counts a tainted node",
     pod(labels=["foo"], constraints=[hard(1, "node", BAR)]),
     [node("node-a", node="node-a"), node("node-b", node="node-b"), node("node-c", TAINTS, node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2, "node-c": 0}], [[("node-c", 0), ("node-a", 1)]]),
    ("NodeTaintsPolicy Honor leaves out a node whose taint the pod does not tolerate",
     pod(labels=["foo"], constraints=[hard(1, "node", BAR, taints_policy="Honor")]),
     [node("node-a", node="node-a"), node("node-b", node="node-b"), node("node-c", TAINTS, node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2}], [[("node-a", 1), ("node-b", 2)]]),
    ("NodeTaintsPolicy Honor counts a tainted node whose taint the pod tolerates",
     pod(labels=["foo"], tolerations=TOLERATE_UNSCHEDULABLE, constraints=[hard(1, "node", BAR, taints_policy="Honor")]),
     [node("node-a", node="node-a"), node("node-b", node="node-b"), node("node-c", TAINTS, node="node-c", bar="")],
     [pod("p-a", ["bar"], "node-a"), pod("p-b", ["bar"], "node-b"), pod("p-c", ["bar"], "node-b"), pod("p-d", [], "node-c")],
     {}, True, True, [{"node-a": 1, "node-b": 2, "node-c": 0}], [[("node-c", 0), ("node-a", 1)]]),
    ("two constraints, zone honors the node affinity and node ignores it",
     pod(labels=["foo"], node_selector={"foo": ""},
         constraints=[hard(1, "zone", FOO), hard(1, "node", FOO, affinity_policy="Ignore")]),
     [zn("node-a", "zone1", foo=""), zn("node-b", "zone1"), zn("node-x", "zone2", foo="")],
     pods_on(("node-b", 2, "foo"), ("node-x", 1, "foo")), {}, True, True,
     [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
     [[("zone1", 0), ("zone2", 1)], [("node-a", 0), ("node-x", 1)]]),
    ("two constraints, zone honors taints and node ignores them",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO, taints_policy="Honor"), hard(1, "node", FOO)]),
     [zn("node-a", "zone1", foo=""), node("node-b", TAINTS, zone="zone1", node="node-b"), zn("node-x", "zone2", foo="")],
     pods_on(("node-b", 2, "foo"), ("node-x", 1, "foo")), {}, True, True,
     [{"zone1": 0, "zone2": 1}, {"node-a": 0, "node-b": 2, "node-x": 1}],
     [[("zone1", 0), ("zone2", 1)], [("node-a", 0), ("node-x", 1)]]),
    ("two constraints honoring the nodeSelector, taints ignored",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]),
     [zn("node-a", "zone1"), node("node-b", TAINTS, zone="zone1", node="node-b", foo=""), zn("node-x", "zone2", foo=""),
      zn("node-y", "zone2")],
     pods_on(("node-a", 2, "foo"), ("node-x", 1, "foo"), ("node-y", 1, "foo")), {}, True, True,
     [{"zone1": 0, "zone2": 1}, {"node-b": 0, "node-x": 1}],
     [[("zone1", 0), ("zone2", 1)], [("node-b", 0), ("node-x", 1)]]),
    ("two constraints, zone ignores node affinity, node honors taints",
     pod(labels=["foo"], node_selector={"foo": ""},
         constraints=[hard(1, "zone", FOO, affinity_policy="Ignore"), hard(1, "node", FOO, taints_policy="Honor")]),
     [zn("node-a", "zone1"), node("node-b", TAINTS, zone="zone1", node="node-b", foo=""), zn("node-x", "zone2", foo=""),
      zn("node-y", "zone2", foo="")],
     pods_on(("node-a", 2, "foo"), ("node-x", 2, "foo"), ("node-y", 1, "foo")), {}, True, True,
     [{"zone1": 2, "zone2": 3}, {"node-x": 2, "node-y": 1}],
     [[("zone1", 2), ("zone2", 3)], [("node-y", 1), ("node-x", 2)]]),
    ("matchLabelKeys ignored when its feature gate is off",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO, match_label_keys=["bar"])]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 2, "foo")), {}, True, False,
     [{"zone1": 3, "zone2": 2}], [[("zone2", 2), ("zone1", 3)]]),
    ("matchLabelKeys ANDs the pod's value of bar with the selector, so no existing pod matches",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO, match_label_keys=["bar"])]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 2, "foo")), {}, True, True,
     [{"zone1": 0, "zone2": 0}], [[("zone1", 0), ("zone2", 0)]]),
]


@pytest.mark.parametrize("p, nodes, pods, kw, inclusion, match_keys, want_counts, want_paths",
                         [c[1:] for c in PRE_FILTER], ids=[c[0] for c in PRE_FILTER])
def test_pre_filter_state(p, nodes, pods, kw, inclusion, match_keys, want_counts, want_paths):
    infos = snapshot(nodes, pods)
    plugin = PodTopologySpread(lambda: infos, LIST_DEFAULTING, enable_node_inclusion_policy=inclusion,
                               enable_match_label_keys=match_keys, **kw)
    state = CycleState()
    assert plugin.pre_filter(state, p) == (None, OK)
    s = state[PRE_FILTER_STATE_KEY]
    assert s.tp_value_to_match_num == want_counts
    assert [sorted_paths(cp) for cp in s.critical_paths] == want_paths


SERVICE_FOO_BAR = {"metadata": {"name": "svc", "namespace": ""}, "spec": {"selector": {"foo": "bar"}}}


def test_default_constraints_take_the_selector_of_the_service():
    plugin = PodTopologySpread(lambda: [], LIST_DEFAULTING, default_constraints=[
        {"maxSkew": 3, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": "node", "whenUnsatisfiable": "ScheduleAnyway"},
        {"maxSkew": 5, "topologyKey": "rack", "whenUnsatisfiable": "DoNotSchedule"}], services=lister(SERVICE_FOO_BAR))
    state = CycleState()
    assert plugin.pre_filter(state, pod(labels={"foo": "bar", "baz": "kar"})) == (None, OK)
    s = state[PRE_FILTER_STATE_KEY]
    assert [(c.max_skew, c.topology_key, str(c.selector)) for c in s.constraints] == [(3, "node", "foo=bar"),
                                                                                      (5, "rack", "foo=bar")]
    assert s.tp_value_to_match_num == [{}, {}] and [cp.paths for cp in s.critical_paths] == [[["", MAX_INT32]] * 2] * 2


@pytest.mark.parametrize("p, defaults, skip", [
    (pod(labels={"foo": "bar"}), [{"maxSkew": 3, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"}], True),
    (pod(labels={"foo": "bar", "baz": "tar"}, constraints=[hard(1, "zone", {"matchLabels": {"baz": "tar"}}),
                                                            soft(2, "planet", {"matchLabels": {"fot": "rok"}})]),
     [{"maxSkew": 2, "topologyKey": "node", "whenUnsatisfiable": "DoNotSchedule"}], False),
    (pod(labels={"foo": "bar"}), [{"maxSkew": 2, "topologyKey": "node", "whenUnsatisfiable": "ScheduleAnyway"}], True),
], ids=["default constraints and a service that does not select the pod: PreFilter skips",
        "a pod with constraints of its own does not get the defaults",
        "only soft default constraints: PreFilter skips"])
def test_default_constraints_in_pre_filter(p, defaults, skip):
    service = {"metadata": {"name": "svc", "namespace": ""},
               "spec": {"selector": {"baz": "kep"} if p["metadata"]["labels"] == {"foo": "bar"} and
                        defaults[0]["maxSkew"] == 3 else {"foo": "bar"}}}
    plugin = PodTopologySpread(lambda: [], LIST_DEFAULTING, default_constraints=defaults, services=lister(service))
    state = CycleState()
    _, status = plugin.pre_filter(state, p)
    if skip:
        assert status == Status(SKIP, (), "PodTopologySpread")
        assert plugin.filter(state, p, NodeInfoWithPods(zn("node-a", "zone1"))) == OK
    else:
        assert status == OK
        assert [(c.max_skew, c.topology_key, str(c.selector)) for c in state[PRE_FILTER_STATE_KEY].constraints] == \
            [(1, "zone", "baz=tar")]


# -- TestPreFilterStateAddPod / RemovePod --------------------------------------------------------------

ADD_POD = [
    ("node-a and node-x both impact the zone and node minimums",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), pod("p-a1", ["foo"], "node-a"),
     [], [zn("node-a", "zone1"), zn("node-x", "zone2")], True,
     [{"zone1": 1, "zone2": 0}, {"node-a": 1, "node-x": 0}], [[("zone2", 0), ("zone1", 1)], [("node-x", 0), ("node-a", 1)]]),
    ("only node-a impacts the zone and node minimums",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), pod("p-a1", ["foo"], "node-a"),
     [pod("p-x1", ["foo"], "node-x")], [zn("node-a", "zone1"), zn("node-x", "zone2")], True,
     [{"zone1": 1, "zone2": 1}, {"node-a": 1, "node-x": 1}], [[("zone1", 1), ("zone2", 1)], [("node-a", 1), ("node-x", 1)]]),
    ("node-a impacts the node minimum, node-x the zone minimum",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), pod("p-a1", ["foo"], "node-a"),
     pods_on(("node-b", 2, "foo"), ("node-x", 1, "foo")), [zn("node-a", "zone1"), zn("node-b", "zone1"),
                                                           zn("node-x", "zone2")], True,
     [{"zone1": 3, "zone2": 1}, {"node-a": 1, "node-b": 2, "node-x": 1}],
     [[("zone2", 1), ("zone1", 3)], [("node-a", 1), ("node-x", 1)]]),
    ("constraints with different selectors: the added pod matches only the zone one",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]),
     pod("p-a1", ["foo"], "node-a"),
     [pod("p-b1", ["foo", "bar"], "node-b"), pod("p-x1", ["foo", "bar"], "node-x"), pod("p-x2", ["bar"], "node-x")],
     [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2")], True,
     [{"zone1": 2, "zone2": 1}, {"node-a": 0, "node-b": 1, "node-x": 2}],
     [[("zone2", 1), ("zone1", 2)], [("node-a", 0), ("node-b", 1)]]),
    ("a pod added on a node outside the preemptor's node affinity does not count",
     pod(labels=["foo"], node_affinity=("foo", "NotIn", ["bar"]), constraints=[hard(1, "zone", FOO)]),
     pod("p-a1", {"foo": "", "zone": "zone1"}, "node-a"),
     [pod("p-a2", {"foo": "", "zone": "zone1"}, "node-a"), pod("p-b1", {"foo": "", "zone": "zone2"}, "node-b")],
     [zn("node-a", "zone1", foo="bar"), zn("node-b", "zone2", foo="")], True,
     [{"zone2": 1}], [[("zone2", 1), ("", MAX_INT32)]]),
    ("a pod added on a tainted node counts while taints are ignored",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]), pod("p-b1", {"foo": "", "zone": "zone2"}, "node-b"),
     [pod("p-a1", {"foo": "", "zone": "zone1"}, "node-a"), pod("p-b2", {"foo": "", "zone": "zone2"}, "node-b")],
     [node("node-a", TAINTS, zone="zone1", node="node-a"), zn("node-b", "zone2")], True,
     [{"zone1": 1, "zone2": 2}], [[("zone1", 1), ("zone2", 2)]]),
]


@pytest.mark.parametrize("preemptor, added, existing, nodes, inclusion, want_counts, want_paths",
                         [c[1:] for c in ADD_POD], ids=[c[0] for c in ADD_POD])
def test_pre_filter_state_add_and_remove_pod(preemptor, added, existing, nodes, inclusion, want_counts, want_paths):
    infos = snapshot(nodes, existing)
    plugin = PodTopologySpread(lambda: infos, LIST_DEFAULTING, enable_node_inclusion_policy=inclusion)
    state = CycleState()
    plugin.pre_filter(state, preemptor)
    original = state[PRE_FILTER_STATE_KEY].clone()
    target = next(ni for ni in infos if ni.name == added["spec"]["nodeName"])
    plugin.add_pod(state, preemptor, PodInfo(added), target)
    s = state[PRE_FILTER_STATE_KEY]
    assert s.tp_value_to_match_num == want_counts
    assert [sorted_paths(cp) for cp in s.critical_paths] == want_paths
    plugin.remove_pod(state, preemptor, PodInfo(added), target)
    assert s.tp_value_to_match_num == original.tp_value_to_match_num
    assert [cp.paths[0][1] for cp in s.critical_paths] == [cp.paths[0][1] for cp in original.critical_paths]


# -- TestSingleConstraint / TestMultipleConstraints -----------------------------------------------------

TWO_FOUR_ONE = pods_on(("node-a", 1, "foo"), ("node-b", 1, "foo"), ("node-y", 1, "foo"))
FOUR_NODES = [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""),
              node("node-x", node="node-x", foo=""), node("node-y", node="node-y")]

FILTER = [
    ("no existing pods: every node fits", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]), ABCD, [],
     [OK, OK, OK, OK]),
    ("no existing pods, and the pod does not match itself", pod(labels=["foo"], constraints=[hard(1, "zone", BAR)]),
     ABCD, [], [OK, OK, OK, OK]),
    ("existing pods in another namespace do not count", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]),
     ABCD, [pod("p-a1", ["foo"], "node-a", ns="ns1"), pod("p-b1", ["foo"], "node-a", ns="ns2"),
            pod("p-x1", ["foo"], "node-x"), pod("p-y1", ["foo"], "node-y")], [OK, OK, U, U]),
    ("pods spread over the zones 3/3: every node fits", pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]),
     ABCD, SPREAD_2103, [OK, OK, OK, OK]),
    ("pods spread 1/2 over the zones as node-b lacks the zone label",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO)]), NO_ZONE_B,
     pods_on(("node-a", 1, "foo"), ("node-b", 1, "foo"), ("node-x", 1, "foo"), ("node-y", 1, "foo")), [OK, UU, U, U]),
    ("no node has the label rack, so the pod fits nowhere", pod(labels=["foo"], constraints=[hard(1, "rack", FOO)]),
     [zn("node-a", "zone1"), zn("node-x", "zone2")], [], [UU, UU]),
    ("pods spread 2/1/0/3 over the nodes: only node-x fits", pod(labels=["foo"], constraints=[hard(1, "node", FOO)]),
     ABCD, SPREAD_2103, [U, U, OK, U]),
    ("pods spread 2/1/0/3 with maxSkew 2: node-b and node-x fit",
     pod(labels=["foo"], constraints=[hard(2, "node", FOO)]), ABCD, SPREAD_2103, [U, OK, OK, U]),
    ("pods spread 2/1/0/3 but the pod does not match itself", pod(labels=["bar"], constraints=[hard(1, "node", FOO)]),
     ABCD, SPREAD_2103, [U, OK, OK, U]),
    ("a node affinity leaves 2/~1~/~0~/3, so node-a fits",
     pod(labels=["foo"], node_affinity=("node", "In", ["node-a", "node-y"]), constraints=[hard(1, "node", FOO)]),
     ABCD, SPREAD_2103, [OK, OK, OK, U]),
    ("terminating pods are not counted", pod(labels=["foo"], constraints=[hard(1, "node", FOO)]),
     [node("node-a", node="node-a"), node("node-b", node="node-b")],
     [pod("p-a", ["foo"], "node-a", terminating=True), pod("p-b", ["foo"], "node-b")], [OK, U]),
    ("a node affinity leaves 0/~2~/0/1 over the zones, so node-a fits",
     pod(labels=["foo"], node_affinity=("node", "NotIn", ["node-b"]), constraints=[hard(1, "zone", FOO)]),
     ABCD, pods_on(("node-b", 2, "foo"), ("node-y", 1, "foo")), [OK, OK, U, U]),
    ("2/2/1 with maxSkew 2 and fewer domains than minDomains 4: the minimum is 0, only node-c fits",
     pod(labels=["foo"], constraints=[hard(2, "node", FOO, min_domains=4)]),
     [node(n, node=n) for n in ("node-a", "node-b", "node-c")],
     pods_on(("node-a", 2, "foo"), ("node-b", 2, "foo"), ("node-c", 1, "foo")), [U, U, OK]),
    ("2/2/1 with maxSkew 2 and more domains than minDomains 2: every node fits",
     pod(labels=["foo"], constraints=[hard(2, "node", FOO, min_domains=2)]),
     [node(n, node=n) for n in ("node-a", "node-b", "node-c")],
     pods_on(("node-a", 2, "foo"), ("node-b", 2, "foo"), ("node-c", 1, "foo")), [OK, OK, OK]),
    ("zones 2/1 with maxSkew 2 and fewer domains than minDomains 3: only zone2 fits",
     pod(labels=["foo"], constraints=[hard(2, "zone", FOO, min_domains=3)]), ABCD,
     pods_on(("node-a", 1, "foo"), ("node-b", 1, "foo"), ("node-y", 1, "foo")), [U, U, OK, OK]),
    ("zones 2/1 with maxSkew 2 and more domains than minDomains 1: every node fits",
     pod(labels=["foo"], constraints=[hard(2, "zone", FOO, min_domains=1)]), ABCD,
     pods_on(("node-a", 1, "foo"), ("node-b", 1, "foo"), ("node-y", 1, "foo")), [OK, OK, OK, OK]),
    ("NodeAffinityPolicy Honor with a nodeSelector: 1/1/0/~0~",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "node", FOO)]), FOUR_NODES, TWO_FOUR_ONE,
     [U, U, OK, OK]),
    ("NodeAffinityPolicy Ignore with a nodeSelector: 1/1/0/~1~",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[hard(1, "node", FOO, affinity_policy="Ignore")]),
     FOUR_NODES, TWO_FOUR_ONE, [U, U, OK, U]),
    ("NodeAffinityPolicy Honor with a node affinity: 1/1/0/~0~",
     pod(labels=["foo"], node_affinity=("foo", "In", [""]), constraints=[hard(1, "node", FOO)]), FOUR_NODES,
     TWO_FOUR_ONE, [U, U, OK, OK]),
    ("NodeAffinityPolicy Ignore with a node affinity: 1/1/0/~1~",
     pod(labels=["foo"], node_affinity=("foo", "In", [""]), constraints=[hard(1, "node", FOO, affinity_policy="Ignore")]),
     FOUR_NODES, TWO_FOUR_ONE, [U, U, OK, U]),
    ("NodeTaintsPolicy Honor: 1/1/0/~0~",
     pod(labels=["foo"], constraints=[hard(1, "node", FOO, taints_policy="Honor")]),
     FOUR_NODES[:3] + [node("node-y", TAINTS, node="node-y")], TWO_FOUR_ONE, [U, U, OK, OK]),
    ("NodeTaintsPolicy Ignore: 1/1/0/~1~", pod(labels=["foo"], constraints=[hard(1, "node", FOO)]),
     FOUR_NODES[:3] + [node("node-y", TAINTS, node="node-y")], TWO_FOUR_ONE, [U, U, OK, U]),
    # TestMultipleConstraints
    ("zone and node constraints, spreads [3/3, 2/1/0/3]: node-x fits",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), ABCD, SPREAD_2103, [U, U, OK, U]),
    ("zone and node constraints, spreads [3/4, 2/1/0/4]: nothing fits",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]), ABCD,
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-y", 4, "foo")), [U, U, U, U]),
    ("constraints with different selectors, spreads [1/0, 1/0/0/1]: node-x fits",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]), ABCD,
     [pod("p-a1", ["foo"], "node-a"), pod("p-y1", ["bar"], "node-y")], [U, U, OK, U]),
    ("constraints with different selectors, spreads [1/0, 0/0/1/1]: nothing fits",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]), ABCD,
     [pod("p-a1", ["foo"], "node-a"), pod("p-x1", ["bar"], "node-x"), pod("p-y1", ["bar"], "node-y")], [U, U, U, U]),
    ("constraints with different selectors, spreads [2/3, 1/0/0/1]: node-b fits",
     pod(labels=["foo", "bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]), ABCD,
     [pod("p-a1", ["foo"], "node-a"), pod("p-a2", ["foo", "bar"], "node-a"), pod("p-y1", ["foo"], "node-y"),
      pod("p-y2", ["foo", "bar"], "node-y"), pod("p-y3", ["foo"], "node-y")], [U, OK, U, U]),
    ("an empty label selector counts no pod, though the pod matches itself (not an upstream case)",
     pod(labels=["foo"], constraints=[hard(1, "node", {})]), ABCD, SPREAD_2103, [OK, OK, OK, OK]),
    ("the pod does not match itself for the zone constraint: node-a and node-b fit",
     pod(labels=["bar"], constraints=[hard(1, "zone", FOO), hard(1, "node", BAR)]), ABCD,
     [pod("p-a1", ["foo"], "node-a"), pod("p-x1", ["bar"], "node-x"), pod("p-y1", ["bar"], "node-y")], [OK, OK, U, U]),
    ("zone and node constraints, node-x lacks the node label, spreads [1/1, 1/0/0/1]: node-b fits",
     pod(labels=["foo"], constraints=[hard(1, "zone", FOO), hard(1, "node", FOO)]),
     [zn("node-a", "zone1"), zn("node-b", "zone1"), node("node-x", zone="zone2"), zn("node-y", "zone2")],
     pods_on(("node-a", 1, "foo"), ("node-y", 1, "foo")), [U, OK, UU, U]),
]


@pytest.mark.parametrize("p, nodes, pods, want", [c[1:] for c in FILTER], ids=[c[0] for c in FILTER])
def test_filter(p, nodes, pods, want):
    infos = snapshot(nodes, pods)
    plugin = PodTopologySpread(lambda: infos, LIST_DEFAULTING)
    state = CycleState()
    assert plugin.pre_filter(state, p) == (None, OK)
    assert [plugin.filter(state, p, ni) for ni in infos] == want


def test_filter_without_pre_filter_works_the_state_out_once():
    infos = snapshot(ABCD, SPREAD_2103)
    plugin, state, p = PodTopologySpread(lambda: infos), CycleState(), pod(labels=["foo"], constraints=[hard(1, "node", FOO)])
    assert [plugin.filter(state, p, ni) for ni in infos] == [U, U, OK, U]
    assert state[PRE_FILTER_STATE_KEY].tp_value_to_match_num == [{"node-a": 2, "node-b": 1, "node-x": 0, "node-y": 3}]


def test_a_constraint_whose_selector_does_not_parse_is_an_error():
    p = pod(labels=["foo"], constraints=[hard(1, "zone", {"matchExpressions": [{"key": "foo", "operator": "Near"}]})])
    _, status = PodTopologySpread(lambda: []).pre_filter(CycleState(), p)
    assert status.code == ERROR and status.reasons[0].startswith("get constraints from pod: ")


# -- TestPreScoreSkip / TestPreScoreStateEmptyNodes -----------------------------------------------------

RS1 = {"metadata": {"name": "rs1", "namespace": "default"}, "spec": {"selector": FOO}}
RS_OWNED = pod(ns="default", labels={"foo": "tar", "baz": "sup"}, owner=("apps/v1", "ReplicaSet", "rs1"))


@pytest.mark.parametrize("p, kw, nodes", [
    (pod(ns="default"), {"defaulting_type": LIST_DEFAULTING}, [node("node-a", kubernetes_io__hostname="node-a")]),
    (pod(ns="default", labels={"foo": "bar", "baz": "sup"}, owner=("apps/v1", "ReplicaSet", "rs2")),
     {"defaulting_type": LIST_DEFAULTING, "replica_sets": lister(RS1),
      "default_constraints": [{"maxSkew": 2, "topologyKey": "planet", "whenUnsatisfiable": "ScheduleAnyway"}]},
     [node("node-a", planet="mars")]),
], ids=["a pod without soft constraints is not scored", "default constraints, but the owning ReplicaSet is not known"])
def test_pre_score_skip(p, kw, nodes):
    infos = snapshot(nodes, [])
    plugin, state = PodTopologySpread(lambda: infos, **kw), CycleState()
    assert plugin.pre_score(state, p, infos) == Status(SKIP, (), "PodTopologySpread")
    assert plugin.score(state, p, infos[0]) == 0


W = topology_normalizing_weight
PRE_SCORE_STATE = [
    ("normal case", pod(labels=["foo"], constraints=[soft(1, "zone", FOO), soft(1, HOST, FOO)]),
     [node(n, zone=z, kubernetes_io__hostname=n) for n, z in (("node-a", "zone1"), ("node-b", "zone1"),
                                                               ("node-x", "zone2"))], {"defaulting_type": LIST_DEFAULTING},
     [("zone", "foo"), (HOST, "foo")], [], [{"zone1": 0, "zone2": 0}, {}], [W(2), W(3)]),
    ("a null selector", pod(labels=["foo"], constraints=[soft(1, "zone", None)]),
     [node(n, zone=z, kubernetes_io__hostname=n) for n, z in (("node-a", "zone1"), ("node-b", "zone1"),
                                                               ("node-x", "zone2"))], {"defaulting_type": LIST_DEFAULTING},
     [("zone", "")], [], [{"zone1": 0, "zone2": 0}], [W(2)]),
    ("node-x lacks the zone label and is ignored", pod(labels=["foo"], constraints=[soft(1, "zone", FOO),
                                                                                    soft(1, HOST, BAR)]),
     [node("node-a", zone="zone1", kubernetes_io__hostname="node-a"),
      node("node-b", zone="zone1", kubernetes_io__hostname="node-b"), node("node-x", kubernetes_io__hostname="node-x")],
     {"defaulting_type": LIST_DEFAULTING}, [("zone", "foo"), (HOST, "bar")], ["node-x"], [{"zone1": 0}, {}],
     [W(1), W(2)]),
    ("system default constraints and a ReplicaSet: nodes without a zone form the zone \"\"", RS_OWNED,
     [node("node-a", kubernetes_io__hostname="node-a", topology_kubernetes_io__zone="mars"),
      node("node-b", kubernetes_io__hostname="node-b", topology_kubernetes_io__zone="mars"),
      node("node-c", kubernetes_io__hostname="node-c"), node("node-d", kubernetes_io__hostname="node-d")],
     {"replica_sets": lister(RS1)}, [(HOST, "foo"), (LABEL_TOPOLOGY_ZONE, "foo")], [], [{}, {"mars": 0, "": 0}],
     [W(4), W(2)]),
    ("listed default constraints and a ReplicaSet", RS_OWNED,
     [node("node-a", rack="rack1", kubernetes_io__hostname="node-a", planet="mars")],
     {"defaulting_type": LIST_DEFAULTING, "replica_sets": lister(RS1), "default_constraints": [
         {"maxSkew": 1, "topologyKey": HOST, "whenUnsatisfiable": "ScheduleAnyway"},
         {"maxSkew": 2, "topologyKey": "rack", "whenUnsatisfiable": "DoNotSchedule"},
         {"maxSkew": 2, "topologyKey": "planet", "whenUnsatisfiable": "ScheduleAnyway"}]},
     [(HOST, "foo"), ("planet", "foo")], [], [{}, {"mars": 0}], [W(1), W(1)]),
    ("a pod with constraints of its own does not get the defaults",
     pod(ns="default", labels={"foo": "bar", "baz": "sup"}, owner=("apps/v1", "ReplicaSet", "rs1"),
         constraints=[hard(1, "zone", BAR), soft(2, "planet", {"matchLabels": {"baz": "sup"}})]),
     [node("node-a", planet="mars", galaxy="andromeda")],
     {"defaulting_type": LIST_DEFAULTING, "replica_sets": lister(RS1), "default_constraints": [
         {"maxSkew": 2, "topologyKey": "galaxy", "whenUnsatisfiable": "ScheduleAnyway"}]},
     [("planet", "baz=sup")], [], [{"mars": 0}], [W(1)]),
]


@pytest.mark.parametrize("p, nodes, kw, want_constraints, want_ignored, want_counts, want_weights",
                         [c[1:] for c in PRE_SCORE_STATE], ids=[c[0] for c in PRE_SCORE_STATE])
def test_pre_score_state(p, nodes, kw, want_constraints, want_ignored, want_counts, want_weights):
    infos = snapshot(nodes, [])
    plugin, state = PodTopologySpread(lambda: infos, **kw), CycleState()
    assert plugin.pre_score(state, p, infos) == OK
    s = state[PRE_SCORE_STATE_KEY]
    assert [(c.topology_key, str(c.selector)) for c in s.constraints] == want_constraints
    assert (list(s.ignored_nodes), s.topology_value_to_pod_counts, s.topology_normalizing_weight) == \
        (want_ignored, want_counts, want_weights)


# -- TestPodTopologySpreadScore -------------------------------------------------------------------------

H = {n: node(n, kubernetes_io__hostname=n) for n in ("node-a", "node-b", "node-c", "node-d", "node-x", "node-y")}


def hz(name, zone):
    return node(name, zone=zone, kubernetes_io__hostname=name)


SPREAD_4321 = pods_on(("node-a", 4, "foo"), ("node-b", 3, "foo"), ("node-c", 2, "foo"), ("node-d", 1, "foo"))
SPREAD_4213 = pods_on(("node-a", 4, "foo"), ("node-b", 2, "foo"), ("node-x", 1, "foo"), ("node-y", 3, "foo"))
ABC_NODE = [node("node-a", node="node-a", foo=""), node("node-b", node="node-b", foo=""), node("node-c", node="node-c")]
SPREAD_211 = pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-c", 1, "foo"))
ZONES_ABCD = [hz("node-a", "zone1"), hz("node-b", "zone1"), hz("node-c", "zone2"), hz("node-d", "zone2")]
MIXED = [pod("p-a1", ["foo"], "node-a"), pod("p-b1", ["foo", "bar"], "node-b"), pod("p-y1", ["foo"], "node-c"),
         pod("p-y2", ["bar"], "node-c")]

SCORE = [
    ("one constraint on node, no existing pods", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     [], [H["node-a"], H["node-b"]], [], {}, [100, 100]),
    ("one constraint on node, only one node is a candidate", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo")), [H["node-a"]], [H["node-b"]], {}, [100]),
    ("one constraint on node, every node has as many matching pods",
     pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]), pods_on(("node-a", 1, "foo"), ("node-b", 1, "foo")),
     [H["node-a"], H["node-b"]], [], {}, [100, 100]),
    ("one constraint on node, 2/1/0/3 on four candidates", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-d", 3, "foo")),
     [H[n] for n in ("node-a", "node-b", "node-c", "node-d")], [], {}, [20, 60, 100, 0]),
    ("one constraint on node with a null selector", pod(labels=["foo"], constraints=[soft(1, HOST, None)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-d", 3, "foo")),
     [H[n] for n in ("node-a", "node-b", "node-c", "node-d")], [], {}, [100, 100, 100, 100]),
    ("one constraint on node, 2/1/0/3, maxSkew 2", pod(labels=["foo"], constraints=[soft(2, HOST, FOO)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-d", 3, "foo")),
     [H[n] for n in ("node-a", "node-b", "node-c", "node-d")], [], {}, [33, 66, 100, 16]),
    ("one constraint on node, 4/3/2/1, maxSkew 3", pod(labels=["foo"], constraints=[soft(3, HOST, FOO)]), SPREAD_4321,
     [H[n] for n in ("node-a", "node-b", "node-c", "node-d")], [], {}, [44, 66, 77, 100]),
    ("system defaulting, nodes without zones, pods selected by a service: as one hostname constraint",
     pod(labels=["foo"]), SPREAD_4321, [H[n] for n in ("node-a", "node-b", "node-c", "node-d")], [],
     {"services": lister({"metadata": {"name": "s", "namespace": ""}, "spec": {"selector": {"foo": ""}}})},
     [44, 66, 77, 100]),
    ("one constraint on node, 4/2/1/~3~ with three candidates", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     SPREAD_4213, [H["node-a"], H["node-b"], H["node-x"]], [H["node-y"]], {}, [33, 83, 100]),
    ("one constraint on node, 4/?2?/1/~3~: node-b lacks the hostname label",
     pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]), SPREAD_4213,
     [H["node-a"], node("node-b", n="node-b"), H["node-x"]], [H["node-y"]], {}, [16, 0, 100]),
    ("one constraint on zone, 4/2/1/~3~ with three candidates", pod(labels=["foo"], constraints=[soft(1, "zone", FOO)]),
     SPREAD_4213, [hz("node-a", "zone1"), hz("node-b", "zone1"), hz("node-x", "zone2")], [hz("node-y", "zone2")], {},
     [75, 75, 100]),
    ("zone and node constraints, 2/~1~/2/~4~ with two candidates",
     pod(labels=["foo"], constraints=[soft(1, "zone", FOO), soft(1, HOST, FOO)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-x", 2, "foo"), ("node-y", 4, "foo")),
     [hz("node-a", "zone1"), hz("node-x", "zone2")], [hz("node-b", "zone1"), hz("node-y", "zone2")], {}, [100, 63]),
    ("two constraints on zone with different selectors, two candidates",
     pod(labels=["foo", "bar"], constraints=[soft(1, "zone", FOO), soft(1, "zone", BAR)]),
     [pod("p-a1", ["foo", "bar"], "node-a"), pod("p-a2", ["foo"], "node-a"), pod("p-b1", ["foo", "bar"], "node-b"),
      pod("p-y1", ["foo"], "node-y"), pod("p-y2", ["foo", "bar"], "node-y"), pod("p-y3", ["foo"], "node-y")],
     [node("node-a", zone="zone1"), node("node-x", zone="zone2")],
     [node("node-b", zone="zone1"), node("node-y", zone="zone2")], {}, [85, 100]),
    ("zone and node constraints with different selectors: 2/2/1/1 and 0/1/0/1",
     pod(labels=["foo", "bar"], constraints=[soft(1, "zone", FOO), soft(1, HOST, BAR)]),
     [pod("p-a1", ["foo"], "node-a"), pod("p-b1", ["foo", "bar"], "node-b"), pod("p-y1", ["foo"], "node-y"),
      pod("p-y2", ["bar"], "node-y")],
     [hz("node-a", "zone1"), hz("node-b", "zone1"), hz("node-x", "zone2"), hz("node-y", "zone2")], [], {},
     [60, 20, 100, 60]),
    ("zone and node constraints with different selectors, some nodes without pods: 0/0/2/2 and 0/1/0/1",
     pod(labels=["foo", "bar"], constraints=[soft(1, "zone", FOO), soft(1, HOST, BAR)]),
     [pod("p-b1", ["bar"], "node-b"), pod("p-x1", ["foo"], "node-x"), pod("p-y1", ["foo", "bar"], "node-y")],
     [hz("node-a", "zone1"), hz("node-b", "zone1"), hz("node-x", "zone2"), hz("node-y", "zone2")], [], {},
     [100, 60, 40, 0]),
    ("zone and node constraints with different selectors, three candidates: 2/2/1/~1~ and 0/1/0/~1~",
     pod(labels=["foo", "bar"], constraints=[soft(1, "zone", FOO), soft(1, HOST, BAR)]),
     [pod("p-a1", ["foo"], "node-a"), pod("p-b1", ["foo", "bar"], "node-b"), pod("p-y1", ["foo"], "node-y"),
      pod("p-y2", ["bar"], "node-y")],
     [hz("node-a", "zone1"), hz("node-b", "zone1"), hz("node-x", "zone2")], [hz("node-y", "zone2")], {},
     [50, 25, 100]),
    ("existing pods in another namespace do not count", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     [pod("p-a1", ["foo"], "node-a", ns="ns1"), pod("p-a2", ["foo"], "node-a")] +
     pods_on(("node-b", 2, "foo")), [H["node-a"], H["node-b"]], [], {}, [100, 33]),
    ("terminating pods are not counted", pod(labels=["foo"], constraints=[soft(1, HOST, FOO)]),
     [pod("p-a", ["foo"], "node-a", terminating=True), pod("p-b", ["foo"], "node-b")], [H["node-a"], H["node-b"]], [],
     {}, [100, 0]),
    ("minDomains has no effect on ScheduleAnyway", pod(labels=["foo"], constraints=[soft(2, "node", FOO, min_domains=10)]),
     pods_on(("node-a", 2, "foo"), ("node-b", 2, "foo"), ("node-c", 1, "foo")),
     [node(n, node=n) for n in ("node-a", "node-b", "node-c")], [], {}, [75, 75, 100]),
    ("NodeAffinityPolicy Honor with a nodeSelector", pod(labels=["foo"], node_selector={"foo": ""},
                                                        constraints=[soft(1, "node", FOO)]),
     SPREAD_211, ABC_NODE, [], {}, [0, 33, 100]),
    ("NodeAffinityPolicy Ignore with a nodeSelector",
     pod(labels=["foo"], node_selector={"foo": ""}, constraints=[soft(1, "node", FOO, affinity_policy="Ignore")]),
     SPREAD_211, ABC_NODE, [], {}, [66, 100, 100]),
    ("NodeAffinityPolicy Honor with a node affinity",
     pod(labels=["foo"], node_affinity=("foo", "In", [""]), constraints=[soft(1, "node", FOO)]),
     SPREAD_211, ABC_NODE, [], {}, [0, 33, 100]),
    ("NodeAffinityPolicy Ignore with a node affinity",
     pod(labels=["foo"], node_affinity=("foo", "In", [""]), constraints=[soft(1, "node", FOO, affinity_policy="Ignore")]),
     SPREAD_211, ABC_NODE, [], {}, [66, 100, 100]),
    ("NodeTaintsPolicy Honor", pod(labels=["foo"], constraints=[soft(1, "node", FOO, taints_policy="Honor")]),
     SPREAD_211, [node("node-a", node="node-a"), node("node-b", node="node-b"), node("node-c", TAINTS, node="node-c")],
     [], {}, [0, 33, 100]),
    ("NodeTaintsPolicy Ignore", pod(labels=["foo"], constraints=[soft(1, "node", FOO)]),
     SPREAD_211, [node("node-a", node="node-a"), node("node-b", node="node-b"), node("node-c", TAINTS, node="node-c")],
     [], {}, [66, 100, 100]),
    ("matchLabelKeys ignored when its feature gate is off",
     pod(labels=["foo", "bar", "baz"], constraints=[soft(1, "zone", FOO, match_label_keys=["baz"]),
                                                    soft(1, HOST, BAR, match_label_keys=["baz"])]),
     MIXED, ZONES_ABCD, [], {"enable_match_label_keys": False}, [60, 20, 60, 100]),
    ("matchLabelKeys ANDed with an empty label selector",
     pod(labels=["foo", "bar"], constraints=[soft(1, "zone", {}, match_label_keys=["foo"]),
                                             soft(1, HOST, {}, match_label_keys=["bar"])]),
     MIXED, ZONES_ABCD, [], {}, [60, 20, 60, 100]),
    ("matchLabelKeys ANDed with a label selector",
     pod(labels=["foo", "bar", "baz"], constraints=[soft(1, "zone", FOO), soft(1, HOST, BAR, match_label_keys=["baz"])]),
     [pod("p-a1", ["foo"], "node-a"), pod("p-b1", ["foo", "bar", "baz"], "node-b"), pod("p-c1", ["foo"], "node-c"),
      pod("p-c2", ["bar"], "node-c"), pod("p-d3", ["bar", "baz"], "node-c")], ZONES_ABCD, [], {}, [60, 20, 60, 100]),
]


@pytest.mark.parametrize("p, pods, nodes, failed, kw, want", [c[1:] for c in SCORE], ids=[c[0] for c in SCORE])
def test_score(p, pods, nodes, failed, kw, want):
    infos = snapshot(nodes + failed, pods)
    candidates = infos[:len(nodes)]
    plugin, state = PodTopologySpread(lambda: infos, **kw), CycleState()
    assert plugin.pre_score(state, p, candidates).code == SUCCESS
    scores = {ni.name: plugin.score(state, p, ni) for ni in candidates}
    plugin.normalize(state, p, scores)
    assert list(scores.values()) == want


def test_raw_scores_before_normalising():
    """2/1/0/3 on hostname, four domains, maxSkew 1: count * ln(4 + 2) rounded, i.e. 3.58 -> 4, 1.79 -> 2, 0,
    5.38 -> 5 (normalised: 20, 60, 100, 0)."""
    infos = snapshot([H[n] for n in ("node-a", "node-b", "node-c", "node-d")],
                     pods_on(("node-a", 2, "foo"), ("node-b", 1, "foo"), ("node-d", 3, "foo")))
    plugin, state, p = PodTopologySpread(lambda: infos), CycleState(), pod(labels=["foo"], constraints=[soft(1, HOST, FOO)])
    plugin.pre_score(state, p, infos)
    assert [plugin.score(state, p, ni) for ni in infos] == [4, 2, 0, 5]


def test_score_without_pre_score_is_an_error():
    with pytest.raises(RuntimeError, match='reading "PreScorePodTopologySpread" from cycleState'):
        PodTopologySpread().score(CycleState(), pod(), NodeInfoWithPods(H["node-a"]))


# -- the default selector and the arguments --------------------------------------------------------------

SERVICES = lister({"metadata": {"name": "web", "namespace": "ns"}, "spec": {"selector": {"app": "web"}}},
                  {"metadata": {"name": "all", "namespace": "ns"}, "spec": {}},
                  {"metadata": {"name": "other-ns", "namespace": "x"}, "spec": {"selector": {"app": "web"}}})
CONTROLLERS = lister({"metadata": {"name": "rc", "namespace": "ns"}, "spec": {"selector": {"tier": "front"}}},
                     {"metadata": {"name": "ss", "namespace": "ns"},
                      "spec": {"selector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                                                  "values": ["front", "back"]}]}}})
WEB = {"app": "web", "tier": "front"}


@pytest.mark.parametrize("p, want", [
    (pod(ns="ns", labels=WEB), "app=web"),
    (pod(ns="ns", labels=WEB, owner=("v1", "ReplicationController", "rc")), "app=web,tier=front"),
    (pod(ns="ns", labels=WEB, owner=("apps/v1", "StatefulSet", "ss")), "app=web,tier in (back,front)"),
    (pod(ns="ns", labels=WEB, owner=("apps/v1", "Deployment", "ss")), "app=web"),
    (pod(ns="ns", labels={"app": "db"}), ""),
], ids=["the selectors of the services in the pod's namespace that select it; a service without one selects nothing",
        "a ReplicationController's selector is merged in", "a StatefulSet's selector is ANDed",
        "another kind of controller adds nothing", "no service or controller: the empty selector"])
def test_default_selector(p, want):
    assert str(default_selector(p, SERVICES, CONTROLLERS, None, CONTROLLERS)) == want


@pytest.mark.parametrize("kw, message", [
    ({"defaulting_type": "Nope"}, "defaultingType: Unsupported value"),
    ({"default_constraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]},
     "when .defaultConstraints are not empty"),
    ({"defaulting_type": LIST_DEFAULTING, "default_constraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {}}]},
     "must not define a selector"),
    ({"defaulting_type": LIST_DEFAULTING, "default_constraints": [
        {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}, "must be greater than zero"),
    ({"defaulting_type": LIST_DEFAULTING, "default_constraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}, "Duplicate value"),
], ids=["an unknown defaulting type", "System defaulting with listed constraints",
        "a default constraint with a selector", "maxSkew 0", "two constraints on one key and action"])
def test_arguments_are_validated(kw, message):
    with pytest.raises(ValueError, match=message):
        PodTopologySpread(**kw)


def test_system_defaults_spread_by_hostname_3_and_zone_5():
    plugin = PodTopologySpread()
    assert plugin.system_defaulted and [(c["topologyKey"], c["maxSkew"], c["whenUnsatisfiable"])
                                        for c in plugin.default_constraints] == \
        [(LABEL_HOSTNAME, 3, "ScheduleAnyway"), (LABEL_TOPOLOGY_ZONE, 5, "ScheduleAnyway")]


def test_memoised_counts_equal_a_full_recount_after_every_change():
    """Not an upstream case: with the per-node count memo, PreFilter and PreScore give the states a
    full recount gives while pods come and go and nodes are relabelled, replaced and removed."""
    import random
    rng = random.Random(11)
    infos = [NodeInfoWithPods(node(f"n{i}", zone=f"z{i % 3}", kubernetes_io__hostname=f"n{i}")) for i in range(10)]
    memo, plain = PodTopologySpread(lambda: infos), PodTopologySpread(lambda: infos, memo=False)
    incoming = [pod(labels=["foo"], constraints=[hard(1, "zone", FOO), soft(1, HOST, FOO)]),
                pod(labels=["bar"], ns="x", constraints=[hard(2, HOST, BAR), soft(1, "zone", BAR)])]

    def check():
        for p in incoming:
            got, want = CycleState(), CycleState()
            memo.pre_filter(got, p)
            plain.pre_filter(want, p)
            assert got[PRE_FILTER_STATE_KEY].tp_value_to_match_num == want[PRE_FILTER_STATE_KEY].tp_value_to_match_num
            memo.pre_score(got, p, infos[::2])
            plain.pre_score(want, p, infos[::2])
            assert got[PRE_SCORE_STATE_KEY] == want[PRE_SCORE_STATE_KEY]
            assert [memo.score(got, p, ni) for ni in infos[::2]] == [plain.score(want, p, ni) for ni in infos[::2]]
    keys = []
    for step in range(60):
        ni = infos[rng.randrange(len(infos))]
        action = rng.randrange(10)
        if action < 6 or not keys:
            key = f"k{step}"
            ni.add_pod(key, pod(f"p{step}", [rng.choice(("foo", "bar"))], ns=rng.choice(("", "x")),
                                terminating=rng.random() < 0.1))
            keys.append((ni, key))
        elif action < 8:
            owner, key = keys.pop(rng.randrange(len(keys)))
            owner.remove_pod(key)
        elif action == 8:
            ni.set_node(node(ni.name, zone=rng.choice(("z1", "z2")), kubernetes_io__hostname=ni.name))
        else:
            infos[infos.index(ni)] = NodeInfoWithPods(node(ni.name, zone="z1", kubernetes_io__hostname=ni.name))
            keys = [(o, k) for o, k in keys if o is not ni]
        check()
    del infos[2:4]
    check()


def test_the_memo_recounts_a_replaced_node_info():
    """A new NodeInfo of the same name may reach the old one's generation: the memo compares the object too."""
    def info(labels):
        ni = NodeInfoWithPods(node("node-a", zone="zone1"))
        ni.add_pod("ns/p", pod("p", labels, "node-a"))
        return ni
    infos = [info(["foo"])]
    plugin, p = PodTopologySpread(lambda: infos), pod(labels=["foo"], constraints=[hard(1, "zone", FOO)])

    def counts():
        state = CycleState()
        plugin.pre_filter(state, p)
        return state[PRE_FILTER_STATE_KEY].tp_value_to_match_num
    assert counts() == [{"zone1": 1}]
    infos[0] = info(["bar"])
    assert infos[0].generation == 2 and counts() == [{"zone1": 0}]
