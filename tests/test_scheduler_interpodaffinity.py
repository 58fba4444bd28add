"""InterPodAffinity's PreFilter, Filter, PreScore, Score and NormalizeScore, as the cases of upstream
``interpodaffinity/filtering_test.go`` (TestRequiredAffinitySingleNode,
TestRequiredAffinityMultipleNodes, TestPreFilterStateAddRemovePod,
TestGetTPMapMatchingIncomingAffinityAntiAffinity) and ``scoring_test.go`` (TestPreferredAffinity,
TestPreferredAffinityWithHardPodAffinitySymmetricWeight) state them, driven directly on NodeInfos."""
from __future__ import annotations

import pytest

from k8slite.client.informer import Indexer, Lister
from k8slite.scheduler.framework import (ERROR, OK, SKIP, SUCCESS, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE,
                                         CycleState, Status)
from k8slite.scheduler.plugins.interpodaffinity import (ERR_REASON_AFFINITY_RULES_NOT_MATCH,
                                                        ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
                                                        ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
                                                        PRE_FILTER_STATE_KEY, InterPodAffinity, NodeInfoWithPods,
                                                        PodInfo)

# -- builders (st.MakePod / st.MakeNode in upstream's tests) -----------------------------------------


def sel(*exprs, match_labels=None):
    s = {"matchExpressions": [dict(zip(("key", "operator", "values"), e)) if len(e) == 3 else
                              {"key": e[0], "operator": e[1]} for e in exprs]}
    if match_labels is not None:
        s["matchLabels"] = match_labels
    return s


def term(key, op, values, topology, namespaces=None, ns_selector=None):
    t = {"labelSelector": sel((key, op, list(values)) if values is not None else (key, op)), "topologyKey": topology}
    if namespaces is not None:
        t["namespaces"] = namespaces
    if ns_selector is not None:
        t["namespaceSelector"] = ns_selector
    return t


def raw_term(selector, topology="", namespaces=None, ns_selector=None):
    t = {"labelSelector": selector, "topologyKey": topology}
    if namespaces is not None:
        t["namespaces"] = namespaces
    if ns_selector is not None:
        t["namespaceSelector"] = ns_selector
    return t


def aff_in(key, topology, values):
    return term(key, "In", values, topology)


def aff_not_in(key, topology, values):
    return term(key, "NotIn", values, topology)


def exists(key, topology):
    return term(key, "Exists", None, topology)


def weighted(weight, t):
    return {"weight": weight, "podAffinityTerm": t}


def affinity(required=None, anti=None, preferred=None, preferred_anti=None):
    a = {}
    if required is not None or preferred is not None:
        a["podAffinity"] = {k: v for k, v in (("requiredDuringSchedulingIgnoredDuringExecution", required),
                                               ("preferredDuringSchedulingIgnoredDuringExecution", preferred))
                            if v is not None}
    if anti is not None or preferred_anti is not None:
        a["podAntiAffinity"] = {k: v for k, v in (("requiredDuringSchedulingIgnoredDuringExecution", anti),
                                                   ("preferredDuringSchedulingIgnoredDuringExecution", preferred_anti))
                                if v is not None}
    return a


def pod(labels=None, ns="", node="", aff=None, name=""):
    p = {"metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})}, "spec": {"nodeName": node}}
    if aff is not None:
        p["spec"]["affinity"] = aff
    return p


def with_terms(ns, labels, aff_terms, anti_terms):
    """createPodWithAffinityTerms: both podAffinity and podAntiAffinity set, possibly to nil terms."""
    return pod(labels, ns, aff={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": aff_terms},
                                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": anti_terms}})


def node(name, labels):
    return {"metadata": {"name": name, "labels": dict(labels)}}


def snapshot(nodes, pods):
    """cache.NewSnapshot: NodeInfos in node order; a pod bound to a node not listed is not seen."""
    infos = {n["metadata"]["name"]: NodeInfoWithPods(n) for n in nodes}
    for i, p in enumerate(pods):
        info = infos.get(p["spec"]["nodeName"])
        if info is not None:
            info.add_pod(f"{p['metadata']['namespace']}/{p['metadata']['name'] or f'p{i}'}", p)
    return list(infos.values())


def namespace_lister(*namespaces):
    indexer = Indexer()
    for name, labels in namespaces:
        indexer.add({"metadata": {"name": name, "labels": labels}})
    return Lister(indexer)


TEAM1, TEAM2 = {"team": "team1"}, {"team": "team2"}
NAMESPACES = (("subteam1.team1", TEAM1), ("subteam2.team1", TEAM1), ("subteam1.team2", TEAM2),
              ("subteam2.team2", TEAM2))

AFF = Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_AFFINITY_RULES_NOT_MATCH,), "InterPodAffinity")
ANTI = Status(UNSCHEDULABLE, (ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,), "InterPodAffinity")
EXISTING = Status(UNSCHEDULABLE, (ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,), "InterPodAffinity")
SKIPPED = Status(SKIP, (), "InterPodAffinity")

# -- TestRequiredAffinitySingleNode --------------------------------------------------------------------

POD_LABEL = {"service": "securityscan"}
POD_LABEL2 = {"security": "S1"}
NODE1 = node("node1", {"region": "r1", "zone": "z11"})
EXISTING_POD = pod(POD_LABEL, node="node1")
SERVICE_IN = sel(("service", "In", ["securityscan", "value2"]))
TEAM1_SELECTOR = sel(("team", "In", ["team1"]))

SINGLE_NODE = [
    ("a pod without required pod affinity rules can go to a node without pods (PreFilter skips)",
     pod(), [], SKIPPED, OK),
    ("satisfies the required pod affinity with In, matching the existing pod",
     pod(POD_LABEL2, aff=affinity([aff_in("service", "region", ["securityscan", "value2"])])), [EXISTING_POD], OK, OK),
    ("satisfies the required pod affinity with NotIn in the label selector, matching the existing pod",
     pod(POD_LABEL2, aff=affinity([aff_not_in("service", "region", ["securityscan3", "value3"])])), [EXISTING_POD],
     OK, OK),
    ("doesn't satisfy the pod affinity because the matching pod is in another namespace",
     with_terms("", POD_LABEL2, [raw_term(SERVICE_IN, namespaces=["DiffNameSpace"])], None),
     [pod(POD_LABEL, ns="ns", node="node1")], OK, AFF),
    ("doesn't satisfy the pod affinity because no existing pod matches its label selector",
     pod(POD_LABEL, aff=affinity([aff_in("service", "", ["antivirusscan", "value2"])])), [EXISTING_POD], OK, AFF),
    ("satisfies the pod affinity with different label operators in several required terms",
     with_terms("", POD_LABEL2, [
         raw_term(sel(("service", "Exists"), ("wrongkey", "DoesNotExist")), "region"),
         raw_term(sel(("service", "In", ["securityscan"]), ("service", "NotIn", ["WrongValue"])), "region")], None),
     [EXISTING_POD], OK, OK),
    ("the requirements of a label selector are ANDed: one does not match, so the pod cannot go there",
     with_terms("", POD_LABEL2, [
         raw_term(sel(("service", "Exists"), ("wrongkey", "DoesNotExist")), "region"),
         raw_term(sel(("service", "In", ["securityscan2"]), ("service", "NotIn", ["WrongValue"])), "region")], None),
     [EXISTING_POD], OK, AFF),
    ("satisfies the pod affinity and the pod anti-affinity with the existing pod",
     pod(POD_LABEL2, aff=affinity([aff_in("service", "region", ["securityscan", "value2"])],
                                  [aff_in("service", "node", ["antivirusscan", "value2"])])), [EXISTING_POD], OK, OK),
    ("satisfies the pod affinity, the anti-affinity and the existing pod's anti-affinity",
     pod(POD_LABEL2, aff=affinity([aff_in("service", "region", ["securityscan", "value2"])],
                                  [aff_in("service", "node", ["antivirusscan", "value2"])])),
     [pod(POD_LABEL, node="node1", aff=affinity(anti=[aff_in("service", "node", ["antivirusscan", "value2"])]))],
     OK, OK),
    ("satisfies the pod affinity but not the pod anti-affinity with the existing pod",
     pod(POD_LABEL2, aff=affinity([aff_in("service", "region", ["securityscan", "value2"])],
                                  [aff_in("service", "zone", ["securityscan", "value2"])])), [EXISTING_POD], OK, ANTI),
    ("satisfies its own affinity and anti-affinity but not the existing pod's anti-affinity",
     pod(POD_LABEL, aff=affinity([aff_in("service", "region", ["securityscan", "value2"])],
                                 [aff_in("service", "node", ["antivirusscan", "value2"])])),
     [pod(POD_LABEL, node="node1", aff=affinity(anti=[aff_in("service", "zone", ["securityscan", "value2"])]))],
     OK, EXISTING),
    ("a pod whose affinity matches no pod and not itself cannot go anywhere",
     pod(POD_LABEL, aff=affinity([aff_not_in("service", "region", ["securityscan", "value2"])])),
     [pod(POD_LABEL, node="node2")], OK, AFF),
    ("an existing pod's anti-affinity is respected when the pod has none: violated",
     pod(POD_LABEL), [pod(POD_LABEL, node="node1", aff=affinity(anti=[aff_in("service", "zone",
                                                                             ["securityscan", "value2"])]))],
     OK, EXISTING),
    ("an existing pod's anti-affinity is respected when the pod has none: satisfied, so PreFilter skips",
     pod(POD_LABEL), [pod(POD_LABEL, node="node1", aff=affinity(anti=[aff_not_in("service", "zone",
                                                                                 ["securityscan", "value2"])]))],
     SKIPPED, OK),
    ("satisfies the existing pod's anti-affinity but its own anti-affinity matches the existing pod",
     pod(POD_LABEL, aff=affinity(anti=[exists("service", "region"), exists("security", "region")])),
     [pod(POD_LABEL2, node="node1", aff=affinity(anti=[exists("security", "zone")]))], OK, ANTI),
    ("anti-affinity symmetry a1: the pods partially match each other's terms",
     pod(POD_LABEL, aff=affinity(anti=[exists("service", "zone"), exists("security", "zone")])),
     [pod(POD_LABEL2, node="node1", aff=affinity(anti=[exists("security", "zone")]))], OK, ANTI),
    ("anti-affinity symmetry a2: the pods partially match each other's terms",
     pod(POD_LABEL2, aff=affinity(anti=[exists("security", "zone")])),
     [pod(POD_LABEL, node="node1", aff=affinity(anti=[exists("service", "zone"), exists("security", "zone")]))],
     OK, EXISTING),
    ("anti-affinity symmetry b1: the pods partially match each other's terms",
     pod({"abc": "", "xyz": ""}, aff=affinity(anti=[exists("abc", "zone"), exists("def", "zone")])),
     [pod({"def": "", "xyz": ""}, node="node1", aff=affinity(anti=[exists("abc", "zone"), exists("def", "zone")]))],
     OK, ANTI),
    ("anti-affinity symmetry b2: the pods partially match each other's terms",
     pod({"def": "", "xyz": ""}, aff=affinity(anti=[exists("abc", "zone"), exists("def", "zone")])),
     [pod({"abc": "", "xyz": ""}, node="node1", aff=affinity(anti=[exists("abc", "zone"), exists("def", "zone")]))],
     OK, ANTI),
    ("affinity with a namespaceSelector that selects the existing pod's namespace",
     with_terms("", POD_LABEL2, [raw_term(SERVICE_IN, "region", ns_selector=TEAM1_SELECTOR)], None),
     [pod(POD_LABEL, ns="subteam1.team1", node="node1")], OK, OK),
    ("affinity with a namespaceSelector that does not select the existing pod's namespace",
     with_terms("", POD_LABEL2, [raw_term(SERVICE_IN, "region", ns_selector=TEAM1_SELECTOR)], None),
     [pod(POD_LABEL, ns="subteam1.team2", node="node1")], OK, AFF),
    ("anti-affinity with a namespaceSelector that selects the existing pod's namespace",
     with_terms("subteam1.team1", POD_LABEL2, None, [raw_term(SERVICE_IN, "zone", ns_selector=TEAM1_SELECTOR)]),
     [pod(POD_LABEL, ns="subteam2.team1", node="node1")], OK, ANTI),
    ("anti-affinity with an empty namespaceSelector selects every namespace",
     with_terms("subteam1.team1", POD_LABEL2, None, [raw_term(SERVICE_IN, "zone", ns_selector={})]),
     [pod(POD_LABEL, ns="subteam2.team1", node="node1")], OK, ANTI),
    ("anti-affinity with a namespaceSelector that does not select the existing pod's namespace",
     with_terms("subteam1.team1", POD_LABEL2, None, [raw_term(SERVICE_IN, "zone", ns_selector=TEAM1_SELECTOR)]),
     [pod(POD_LABEL, ns="subteam1.team2", node="node1")], OK, OK),
]


@pytest.mark.parametrize("p, pods, want_pre, want", [c[1:] for c in SINGLE_NODE], ids=[c[0] for c in SINGLE_NODE])
def test_required_affinity_single_node(p, pods, want_pre, want):
    infos = snapshot([NODE1], pods)
    plugin = InterPodAffinity(lambda: infos, namespace_lister(*NAMESPACES))
    state = CycleState()
    assert plugin.pre_filter(state, p) == (None, want_pre)
    assert plugin.filter(state, p, infos[0]) == want


@pytest.mark.parametrize("second, category", [(True, "requiredAffinityTerms"), (False, "requiredAffinityTerms")],
                         ids=["a bad value in the first affinity term fails PreFilter",
                              "a bad value in a later affinity term fails PreFilter"])
def test_a_term_that_does_not_parse_fails_pre_filter(second, category):
    bad, good = aff_in("service", "region", ["{{.bad-value.}}"]), aff_in("service", "node", ["antivirusscan"])
    p = pod(POD_LABEL, aff=affinity([good, bad] if second else [bad, good]))
    names, status = InterPodAffinity(lambda: snapshot([NODE1], [])).pre_filter(CycleState(), p)
    assert names is None and status.code == UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons[0].startswith(f'parsing pod: {category}: invalid label value: "{{{{.bad-value.}}}}"')
    assert "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'" in status.reasons[0]


# -- TestRequiredAffinityMultipleNodes ---------------------------------------------------------------

CHINA, CHINA_AZ1, INDIA = {"region": "China"}, {"region": "China", "az": "az1"}, {"region": "India"}


def host(name, **labels):
    return node(name, {**labels, "hostname": name})


MULTIPLE_NODES = [
    ("all nodes in the topology domain of a matching pod fit",
     pod(aff=affinity([aff_in("foo", "region", ["bar"])])), [pod({"foo": "bar"}, node="node1", name="p1")],
     [node("node1", CHINA), node("node2", CHINA_AZ1), node("node3", INDIA)], OK, [OK, OK, AFF]),
    ("the first pod of a group with affinity to itself is not blocked when no pod matches anywhere",
     pod({"foo": "bar", "service": "securityscan"}, aff=affinity([aff_in("foo", "zone", ["bar"]),
                                                                   aff_in("service", "zone", ["securityscan"])])),
     [pod({"foo": "bar"}, node="nodeA", name="p1")],
     [node("nodeA", {"zone": "az1", "hostname": "h1"}), node("nodeB", {"zone": "az2", "hostname": "h2"})], OK,
     [OK, OK]),
    ("the first pod of the group can only go to nodes with the requested topology keys",
     pod({"foo": "bar", "service": "securityscan"}, aff=affinity([aff_in("foo", "zone", ["bar"]),
                                                                   aff_in("service", "zone", ["securityscan"])])),
     [pod({"foo": "bar"}, node="nodeA", name="p1")],
     [node("nodeA", {"zoneLabel": "az1", "hostname": "h1"}), node("nodeB", {"zoneLabel": "az2", "hostname": "h2"})],
     OK, [AFF, AFF]),
    ("a matching pod on nodeA keeps the pod off nodeA and nodeB, which share the region",
     pod(aff=affinity(anti=[aff_in("foo", "region", ["abc"])])), [pod({"foo": "abc"}, node="nodeA")],
     [host("nodeA", region="r1"), host("nodeB", region="r1")], OK, [ANTI, ANTI]),
    ("anti-affinity holds against a pod when any of its terms matches the pod",
     pod(aff=affinity(anti=[aff_in("foo", "region", ["abc"]), aff_in("service", "zone", ["securityscan"])])),
     [pod({"foo": "abc", "service": "securityscan"}, node="nodeA")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [ANTI, ANTI]),
    ("a matching pod on nodeA keeps the pod off nodeA and nodeB but not nodeC in another region",
     pod(aff=affinity(anti=[aff_in("foo", "region", ["abc"])])), [pod({"foo": "abc"}, node="nodeA")],
     [node("nodeA", CHINA), node("nodeB", CHINA_AZ1), node("nodeC", INDIA)], OK, [ANTI, ANTI, OK]),
    ("nodeC's pod would violate anti-affinity but is in another namespace, so nodeC fits",
     pod({"foo": "123"}, ns="NS1", aff=affinity(anti=[aff_in("foo", "region", ["bar"])])),
     [pod({"foo": "bar"}, ns="NS1", node="nodeA"),
      pod(ns="NS2", node="nodeC", aff=affinity(anti=[aff_in("foo", "region", ["123"])]))],
     [node("nodeA", CHINA), node("nodeB", CHINA_AZ1), node("nodeC", INDIA)], OK, [ANTI, ANTI, OK]),
    ("an existing pod's anti-affinity term whose topology key no node has counts nowhere (PreFilter skips)",
     pod({"foo": ""}), [pod(node="nodeA", aff=affinity(anti=[exists("foo", "invalid-node-label")]))],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z1")], SKIPPED, [OK, OK]),
    ("the pod's own anti-affinity term matches a pod but no node has its topology key",
     pod(aff=affinity(anti=[exists("foo", "invalid-node-label")])), [pod({"foo": ""}, node="nodeA")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z1")], OK, [OK, OK]),
    ("the pod violates each existing pod's anti-affinity on every node",
     pod({"foo": "", "bar": ""}), [pod(node="nodeA", aff=affinity(anti=[exists("foo", "zone")])),
                                   pod(node="nodeA", aff=affinity(anti=[exists("bar", "region")]))],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [EXISTING, EXISTING]),
    ("the pod's anti-affinity is violated on every node by at least one existing pod",
     pod(aff=affinity(anti=[exists("foo", "zone"), exists("bar", "region")])),
     [pod({"foo": ""}, node="nodeA"), pod({"bar": ""}, node="nodeB")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [ANTI, ANTI]),
    ("an existing pod's term counts only when label selector and topology key both match (one key invalid)",
     pod({"foo": "", "bar": ""}),
     [pod(node="nodeA", aff=affinity(anti=[exists("foo", "invalid-node-label"), exists("bar", "zone")]))],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [EXISTING, OK]),
    ("the pod's term counts only when label selector and topology key both match (one key invalid)",
     pod(aff=affinity(anti=[exists("foo", "invalid-node-label"), exists("bar", "zone")])),
     [pod({"foo": "", "bar": ""}, node="nodeA", name="podA")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [ANTI, OK]),
    ("an existing pod's terms count where label selector and topology key both match (all keys valid)",
     pod({"foo": "", "bar": ""}),
     [pod(node="nodeA", aff=affinity(anti=[exists("foo", "region"), exists("bar", "zone")]))],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [EXISTING, EXISTING]),
    ("the pod's terms count where label selector and topology key both match (all keys valid)",
     pod(aff=affinity(anti=[exists("foo", "region"), exists("bar", "zone")])), [pod({"foo": "", "bar": ""}, node="nodeA")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [ANTI, ANTI]),
    ("existing pods on nodeA and nodeB each have a term matching the pod, so only nodeC fits",
     pod({"foo": "", "bar": ""}),
     [pod(node="nodeA", aff=affinity(anti=[exists("foo", "zone"), exists("labelA", "zone")])),
      pod(node="nodeB", aff=affinity(anti=[exists("bar", "zone"), exists("labelB", "zone")]))],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2"), host("nodeC", region="r1", zone="z3")],
     OK, [EXISTING, EXISTING, OK]),
    ("affinity: one pod matches all terms, and the nodes share both topology values",
     pod(aff=affinity([exists("foo", "region"), exists("bar", "zone")])),
     [pod({"foo": "", "bar": ""}, node="nodeA", name="pod1")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z1")], OK, [OK, OK]),
    ("affinity: all terms must be matched by the same pod, not one term each",
     pod(aff=affinity([exists("foo", "region"), exists("bar", "zone")])),
     [pod({"foo": ""}, node="nodeA", name="pod1"), pod({"bar": ""}, node="nodeB", name="pod2")],
     [host("nodeA", region="r1", zone="z1"), host("nodeB", region="r1", zone="z2")], OK, [AFF, AFF]),
]


@pytest.mark.parametrize("p, pods, nodes, want_pre, want", [c[1:] for c in MULTIPLE_NODES],
                         ids=[c[0] for c in MULTIPLE_NODES])
def test_required_affinity_multiple_nodes(p, pods, nodes, want_pre, want):
    infos = snapshot(nodes, pods)
    plugin = InterPodAffinity(lambda: infos, namespace_lister(("NS1", {})))
    state = CycleState()
    assert plugin.pre_filter(state, p) == (None, want_pre)
    assert [plugin.filter(state, p, ni) for ni in infos] == want


@pytest.mark.parametrize("ns, want", [("subteam1.team1", EXISTING), ("subteam1.team2", OK), ("", OK)],
                         ids=["an existing pod's anti-affinity selects the pod's namespace by its labels",
                              "an existing pod's anti-affinity does not select the pod's namespace",
                              "a namespace without labels is not selected"])
def test_existing_anti_affinity_selects_the_incoming_pods_namespace_by_its_labels(ns, want):
    """Not an upstream table case; filtering.go matches existing pods' terms against the labels of the
    incoming pod's namespace (GetNamespaceLabelsSnapshot)."""
    existing = pod(node="node1", aff=affinity(anti=[raw_term(SERVICE_IN, "zone", ns_selector=TEAM1_SELECTOR)]))
    infos = snapshot([NODE1], [existing])
    plugin, state, p = InterPodAffinity(lambda: infos, namespace_lister(*NAMESPACES)), CycleState(), pod(POD_LABEL, ns)
    plugin.pre_filter(state, p)
    assert plugin.filter(state, p, infos[0]) == want


def test_filter_without_pre_filter_works_the_state_out_once():
    infos = snapshot([node("nodeA", CHINA), node("nodeC", INDIA)], [pod({"foo": "abc"}, node="nodeA")])
    plugin = InterPodAffinity(lambda: infos)
    p = pod(aff=affinity(anti=[aff_in("foo", "region", ["abc"])]))
    state = CycleState()
    assert [plugin.filter(state, p, ni) for ni in infos] == [ANTI, OK]
    assert state[PRE_FILTER_STATE_KEY].anti_affinity_counts == {("region", "China"): 1}


def test_the_node_info_tracks_pods_with_affinity_and_required_anti_affinity():
    ni = NodeInfoWithPods(NODE1)
    ni.add_pod("a", pod(POD_LABEL, node="node1"))
    ni.add_pod("b", pod(node="node1", aff=affinity(preferred=[weighted(1, exists("x", "zone"))])))
    ni.add_pod("c", pod(node="node1", aff=affinity(anti=[exists("x", "zone")])))
    assert (list(ni.pod_infos), list(ni.pods_with_affinity), list(ni.pods_with_required_anti_affinity)) == \
        (["a", "b", "c"], ["b", "c"], ["c"])
    ni.remove_pod("c")
    assert (list(ni.pod_infos), list(ni.pods_with_affinity), list(ni.pods_with_required_anti_affinity)) == \
        (["a", "b"], ["b"], [])
    assert len(ni.pods) == 2 and ni.requested.milli_cpu == 0


# -- TestGetTPMapMatchingIncomingAffinityAntiAffinity ----------------------------------------------


def normal(*labels):
    return pod({k: "" for k in labels}, node="nodeA", name="normal")


INCOMING = [
    ("no pods: nothing counted", [], pod(name="aaa-normal"), {}, {}),
    ("an incoming pod without affinity counts nothing", [normal("aaa")], pod(name="aaa-normal"), {}, {}),
    ("no pod matches the incoming pod's affinity or anti-affinity", [normal("bbb")],
     pod(aff=affinity([exists("aaa", "hostname")], [exists("aaa", "hostname")])), {}, {}),
    ("an existing pod matches both, one term each", [normal("aaa")],
     pod(aff=affinity([exists("aaa", "hostname")], [exists("aaa", "hostname")])),
     {("hostname", "nodeA"): 1}, {("hostname", "nodeA"): 1}),
    ("an existing pod matching two affinity terms counts once per term", [normal("aaa", "bbb")],
     pod(aff=affinity([exists("aaa", "hostname"), exists("bbb", "hostname")], [exists("aaa", "hostname")])),
     {("hostname", "nodeA"): 2}, {("hostname", "nodeA"): 1}),
    ("an existing pod matching one of two affinity terms counts for none, but for the anti-affinity term",
     [normal("aaa")], pod(aff=affinity([exists("aaa", "hostname"), exists("bbb", "hostname")],
                                       [exists("aaa", "hostname"), exists("bbb", "hostname")])),
     {}, {("hostname", "nodeA"): 1}),
    ("anti-affinity with two terms, the existing pod matching one (case 1)", [normal("aaa", "bbb")],
     pod(aff=affinity([exists("aaa", "hostname"), exists("ccc", "hostname")],
                      [exists("aaa", "hostname"), exists("ccc", "hostname")])), {}, {("hostname", "nodeA"): 1}),
    ("anti-affinity with two terms, the existing pod matching one (case 2)", [normal("bbb")],
     pod(aff=affinity([exists("aaa", "hostname"), exists("bbb", "hostname")],
                      [exists("aaa", "hostname"), exists("bbb", "hostname")])), {}, {("hostname", "nodeA"): 1}),
]


@pytest.mark.parametrize("pods, p, want_affinity, want_anti", [c[1:] for c in INCOMING], ids=[c[0] for c in INCOMING])
def test_incoming_pod_affinity_and_anti_affinity_counts(pods, p, want_affinity, want_anti):
    infos = snapshot([node("nodeA", {"hostname": "nodeA"})], pods)
    state = CycleState()
    InterPodAffinity(lambda: infos).pre_filter(state, p)
    s = state[PRE_FILTER_STATE_KEY]
    assert (s.affinity_counts, s.anti_affinity_counts) == (want_affinity, want_anti)


# -- TestPreFilterStateAddRemovePod --------------------------------------------------------------------

FOO_BAR = {"foo": "bar"}
ANTI_FOO_BAR = [aff_in("foo", "region", ["bar"])]
COMPLEX = [aff_in("foo", "region", ["bar", "buzz"]), aff_not_in("service", "zone", ["bar", "security", "test"])]
ADD_REMOVE_NODES = [node("nodeA", {"region": "r1", "zone": "z11"}), node("nodeB", {"region": "r1", "zone": "z12"}),
                    node("nodeC", {"region": "r2", "zone": "z21"})]

ADD_REMOVE = [
    ("anti-affinity counts follow a pod added on another node of the region and removed again",
     pod(FOO_BAR, name="pending", aff=affinity(anti=ANTI_FOO_BAR)),
     [pod(FOO_BAR, node="nodeA", name="p1"), pod(node="nodeC", name="p2", aff=affinity(anti=ANTI_FOO_BAR))],
     pod(FOO_BAR, node="nodeB", name="addedPod", aff=affinity(anti=ANTI_FOO_BAR)),
     {("region", "r1"): 2}, {}),
    ("anti-affinity counts of two terms follow an added and removed pod",
     pod(FOO_BAR, name="pending", aff=affinity(anti=COMPLEX)),
     [pod(FOO_BAR, node="nodeA", name="p1"), pod(node="nodeC", name="p2", aff=affinity(anti=ANTI_FOO_BAR))],
     pod(FOO_BAR, node="nodeA", name="addedPod", aff=affinity(anti=COMPLEX)),
     {("region", "r1"): 2, ("zone", "z11"): 2, ("zone", "z21"): 1}, {}),
    ("affinity counts follow an added and removed pod",
     pod(FOO_BAR, name="pending", aff=affinity(COMPLEX)),
     [pod(FOO_BAR, node="nodeA", name="p1"), pod(node="nodeC", name="p2", aff=affinity(COMPLEX, ANTI_FOO_BAR))],
     pod(FOO_BAR, node="nodeA", name="addedPod", aff=affinity(anti=COMPLEX)),
     {}, {("region", "r1"): 2, ("zone", "z11"): 2}),
]


@pytest.mark.parametrize("pending, existing, added, want_anti, want_affinity", [c[1:] for c in ADD_REMOVE],
                         ids=[c[0] for c in ADD_REMOVE])
def test_pre_filter_state_add_and_remove_pod(pending, existing, added, want_anti, want_affinity):
    def pre_filtered(pods):
        infos = snapshot(ADD_REMOVE_NODES, pods)
        plugin, state = InterPodAffinity(lambda: infos), CycleState()
        assert plugin.pre_filter(state, pending)[1].code in ("Success", SKIP)
        return plugin, state, infos
    _, all_state, _ = pre_filtered(existing + [added])
    plugin, state, infos = pre_filtered(existing)
    original = state[PRE_FILTER_STATE_KEY].clone()
    on = next(ni for ni in infos if ni.name == added["spec"]["nodeName"])
    plugin.add_pod(state, pending, PodInfo(added), on)
    s = state[PRE_FILTER_STATE_KEY]
    assert (s.anti_affinity_counts, s.affinity_counts) == (want_anti, want_affinity)
    assert s == all_state[PRE_FILTER_STATE_KEY]
    plugin.remove_pod(state, pending, PodInfo(added), on)
    assert state[PRE_FILTER_STATE_KEY] == original


# -- TestPreferredAffinity -----------------------------------------------------------------------------

S1, S2 = {"security": "S1"}, {"security": "S2"}
AZ1, AZ2 = {"az": "az1"}, {"az": "az2"}
STAY_S1_REGION = affinity(preferred=[weighted(5, aff_in("security", "region", ["S1"]))])
STAY_S2_REGION = affinity(preferred=[weighted(6, aff_in("security", "region", ["S2"]))])
AFFINITY3 = affinity(preferred=[
    weighted(8, raw_term(sel(("security", "NotIn", ["S1"]), ("security", "In", ["S2"])), "region")),
    weighted(2, raw_term(sel(("security", "Exists"), ("wrongkey", "DoesNotExist")), "region"))])
HARD_AFFINITY = affinity([aff_in("security", "region", ["S1", "value2"]),
                          raw_term(sel(("security", "Exists"), ("wrongkey", "DoesNotExist")), "region")])
AWAY_S1_AZ = affinity(preferred_anti=[weighted(5, aff_in("security", "az", ["S1"]))])
AWAY_S2_AZ = affinity(preferred_anti=[weighted(5, aff_in("security", "az", ["S2"]))])
STAY_S1_AWAY_S2 = affinity(preferred=[weighted(8, aff_in("security", "region", ["S1"]))],
                           preferred_anti=[weighted(5, aff_in("security", "az", ["S2"]))])
NS_TERM = raw_term(sel(("security", "In", ["S1"])), "region", namespaces=["subteam2.team2"], ns_selector=TEAM1_SELECTOR)
AFFINITY_NS = affinity(preferred=[weighted(5, NS_TERM)])
ANTI_AFFINITY_NS = affinity(preferred_anti=[weighted(5, NS_TERM)])
INVALID_AFFINITY = affinity(preferred=[weighted(8, aff_in("security", "region", ["{{.bad-value.}}"]))])
INVALID_ANTI_AFFINITY = affinity(preferred_anti=[weighted(5, aff_in("security", "az", ["{{.bad-value.}}"]))])


def nodes_of(*labels):
    return [node(f"node{i + 1}", lab) for i, lab in enumerate(labels)]


def on(n, labels=None, aff=None, ns=""):
    return pod(labels, ns=ns, node=f"node{n}", aff=aff)


NS_PODS = [on(1, S1, ns="subteam1.team1"), on(1, S1, ns="subteam1.team1"), on(1, S1, ns="subteam1.team2"),
           on(2, S1, ns="subteam2.team1")]
NS_PODS_BY_NAME = NS_PODS[:2] + [on(1, S1, ns="subteam2.team2"), NS_PODS[3]]

PREFERRED = [
    ("all nodes score the same when the pod has no affinity (PreScore skips)",
     pod(S1), [], nodes_of(CHINA, INDIA, AZ1), False, SKIP, None),
    ("affinity: the node in the preferred region with a matching pod scores highest",
     pod(S1, aff=STAY_S1_REGION), [on(1, S1), on(2, S2), on(3, S1)], nodes_of(CHINA, INDIA, AZ1), False, SUCCESS,
     [100, 0, 0]),
    ("every node sharing the topology value of a matching pod scores the same",
     pod(aff=STAY_S1_REGION), [on(1, S1)], nodes_of(CHINA, CHINA_AZ1, INDIA), False, SUCCESS, [100, 100, 0]),
    ("affinity: the region with more matching pods scores higher, its nodes alike",
     pod(S1, aff=STAY_S2_REGION), [on(1, S2), on(1, S2), on(2, S2), on(3, S2), on(4, S2), on(5, S2)],
     nodes_of(CHINA, INDIA, CHINA, CHINA, INDIA), False, SUCCESS, [100, 0, 100, 100, 0]),
    ("affinity: different label operators and values, some not matching (2, 10, 0 normalise to 20, 100, 0)",
     pod(S1, aff=AFFINITY3), [on(1, S1), on(2, S2), on(3, S1)], nodes_of(CHINA, INDIA, AZ1), False, SUCCESS, [20, 100, 0]),
    ("affinity symmetry: existing pods' preferred affinity matched by the pod",
     pod(S2), [on(1, S1, STAY_S1_REGION), on(2, S2, STAY_S2_REGION)], nodes_of(CHINA, INDIA, AZ1), False, SUCCESS,
     [0, 100, 0]),
    ("affinity symmetry with a namespace selector",
     pod(S1, ns="subteam1.team1"), [on(1, S1, AFFINITY_NS), on(2, S2, STAY_S2_REGION)],
     nodes_of(CHINA, INDIA, AZ1), False, SUCCESS, [100, 0, 0]),
    ("anti-affinity symmetry with a namespace selector",
     pod(S1, ns="subteam1.team1"), [on(1, S1, ANTI_AFFINITY_NS), on(2, S2, STAY_S2_REGION)],
     nodes_of(CHINA, INDIA, AZ1), False, SUCCESS, [0, 100, 100]),
    ("affinity symmetry: existing pods' required affinity counts with hardPodAffinityWeight",
     pod(S1), [on(1, S1, HARD_AFFINITY), on(2, S2, HARD_AFFINITY)], nodes_of(CHINA, INDIA, AZ1), False, SUCCESS,
     [100, 100, 0]),
    ("anti-affinity: the node without a matching pod scores high",
     pod(S1, aff=AWAY_S1_AZ), [on(1, S1), on(2, S2)], nodes_of(AZ1, CHINA), False, SUCCESS, [0, 100]),
    ("anti-affinity: a node without the topology key scores high though its pod matches",
     pod(S1, aff=AWAY_S1_AZ), [on(1, S1), on(2, S1)], nodes_of(AZ1, CHINA), False, SUCCESS, [0, 100]),
    ("anti-affinity: the node with more matching pods scores lower",
     pod(S1, aff=AWAY_S1_AZ), [on(1, S1), on(1, S1), on(2, S2)], nodes_of(AZ1, INDIA), False, SUCCESS, [0, 100]),
    ("anti-affinity symmetry: existing pods' preferred anti-affinity matched by the pod",
     pod(S2), [on(1, S1, AWAY_S2_AZ), on(2, S2, AWAY_S1_AZ)], nodes_of(AZ1, AZ2), False, SUCCESS, [0, 100]),
    ("affinity and anti-affinity: preferred terms of both kinds",
     pod(S1, aff=STAY_S1_AWAY_S2), [on(1, S1), on(2, S1)], nodes_of(CHINA, AZ1), False, SUCCESS, [100, 0]),
    ("affinity and anti-affinity: pods of the same group gather in a region but spread over nodes",
     pod(S1, aff=STAY_S1_AWAY_S2), [on(1, S1), on(1, S1), on(2, S1), on(3, S1), on(3, S1), on(4, S1), on(5, S1)],
     nodes_of(CHINA_AZ1, INDIA, CHINA, CHINA, INDIA), False, SUCCESS, [100, 0, 100, 100, 0]),
    ("affinity, anti-affinity and symmetry together (8, -5, 8, -5)",
     pod(S1, aff=STAY_S1_AWAY_S2), [on(1, S1), on(2, S2), on(3, None, STAY_S1_AWAY_S2), on(4, None, AWAY_S1_AZ)],
     nodes_of(CHINA, AZ1, INDIA, AZ2), False, SUCCESS, [100, 0, 100, 0]),
    ("nodes of one topology value without pods with affinity do not break scoring (#82796)",
     pod(S1), [on(1, S1), on(2, None, STAY_S1_AWAY_S2)], nodes_of(CHINA, CHINA), False, SUCCESS, [0, 0]),
    ("affinity with pods in namespaces the namespaceSelector selects",
     pod(S1, ns="subteam1.team1", aff=AFFINITY_NS), NS_PODS, nodes_of(CHINA, INDIA), False, SUCCESS, [100, 0]),
    ("affinity with pods in namespaces the namespaceSelector selects or the term names",
     pod(S1, ns="subteam1.team1", aff=AFFINITY_NS), NS_PODS_BY_NAME, nodes_of(CHINA, INDIA), False, SUCCESS, [100, 0]),
    ("anti-affinity with pods in namespaces the namespaceSelector selects",
     pod(S1, ns="subteam1.team1", aff=ANTI_AFFINITY_NS), NS_PODS, nodes_of(CHINA, INDIA), False, SUCCESS, [0, 100]),
    ("anti-affinity with pods in namespaces the namespaceSelector selects or the term names",
     pod(S1, ns="subteam1.team1", aff=ANTI_AFFINITY_NS), NS_PODS_BY_NAME, nodes_of(CHINA, INDIA), False, SUCCESS, [0, 100]),
    ("ignorePreferredTermsOfExistingPods: a pod without preferred terms is not scored",
     pod(S2), [on(1, S1, STAY_S1_AWAY_S2), on(2, S2, STAY_S2_REGION)], nodes_of(CHINA, INDIA), True, SKIP, None),
    ("existing pods' preferred terms count when not ignored",
     pod(S2), [on(1, S1, STAY_S1_AWAY_S2), on(2, S2, STAY_S2_REGION)], nodes_of(CHINA, INDIA), False, SUCCESS, [0, 100]),
    ("no nodes to score (PreScore skips)", pod(S2), [], [], False, SKIP, None),
]


@pytest.mark.parametrize("p, pods, nodes, ignore, want_status, want", [c[1:] for c in PREFERRED],
                         ids=[c[0] for c in PREFERRED])
def test_preferred_affinity(p, pods, nodes, ignore, want_status, want):
    infos = snapshot(nodes, pods)
    plugin = InterPodAffinity(lambda: infos, namespace_lister(*NAMESPACES),
                              ignore_preferred_terms_of_existing_pods=ignore)
    state = CycleState()
    assert plugin.pre_score(state, p, infos).code == want_status
    if want is None:
        return
    scores = {ni.name: plugin.score(state, p, ni) for ni in infos}
    plugin.normalize(state, p, scores)
    assert list(scores.values()) == want


@pytest.mark.parametrize("aff", [INVALID_AFFINITY, INVALID_ANTI_AFFINITY],
                         ids=["a preferred affinity term that does not parse fails PreScore",
                              "a preferred anti-affinity term that does not parse fails PreScore"])
def test_a_preferred_term_that_does_not_parse_fails_pre_score(aff):
    infos = snapshot(nodes_of(CHINA, CHINA), [])
    status = InterPodAffinity(lambda: infos).pre_score(CycleState(), pod(aff=aff), infos)
    assert status.code == ERROR and 'invalid label value: "{{.bad-value.}}"' in status.reasons[0]


def test_raw_scores_before_normalising():
    """AFFINITY3 on China (one S1 pod: +2), India (one S2 pod: +8 +2), az1 (no region)."""
    infos = snapshot(nodes_of(CHINA, INDIA, AZ1), [on(1, S1), on(2, S2), on(3, S1)])
    plugin, state, p = InterPodAffinity(lambda: infos), CycleState(), pod(S1, aff=AFFINITY3)
    plugin.pre_score(state, p, infos)
    assert [plugin.score(state, p, ni) for ni in infos] == [2, 10, 0]
    scores = {"node1": -5, "node2": 0, "node3": 15}
    plugin.normalize(state, p, scores)
    assert scores == {"node1": 0, "node2": 25, "node3": 100}


# -- TestPreferredAffinityWithHardPodAffinitySymmetricWeight --------------------------------------------

HARD_NS = affinity([raw_term(sel(("service", "In", ["S1"])), "region", namespaces=["", "subteam2.team2"],
                             ns_selector=TEAM1_SELECTOR)])
HARD_WEIGHT = [
    ("with the default weight", "", 1, SUCCESS, [100, 100, 0]),
    ("with weight 0 the existing pods' required terms do not score (PreScore skips)", "", 0, SKIP, None),
    ("a pod in a namespace the terms neither name nor select is not scored", "subteam1.team2", 1, SKIP, None),
    ("a pod in a namespace the namespaceSelector selects", "subteam1.team1", 1, SUCCESS, [100, 100, 0]),
    ("a pod in a namespace the terms name", "subteam2.team2", 1, SUCCESS, [100, 100, 0]),
]


@pytest.mark.parametrize("ns, weight, want_status, want", [c[1:] for c in HARD_WEIGHT], ids=[c[0] for c in HARD_WEIGHT])
def test_hard_pod_affinity_symmetric_weight(ns, weight, want_status, want):
    infos = snapshot(nodes_of(CHINA, INDIA, AZ1), [on(1, aff=HARD_NS), on(2, aff=HARD_NS)])
    plugin = InterPodAffinity(lambda: infos, namespace_lister(*NAMESPACES), hard_pod_affinity_weight=weight)
    state, p = CycleState(), pod({"service": "S1"}, ns=ns)
    assert plugin.pre_score(state, p, infos).code == want_status
    if want is None:
        assert plugin.score(state, p, infos[0]) == 0
        return
    scores = {ni.name: plugin.score(state, p, ni) for ni in infos}
    plugin.normalize(state, p, scores)
    assert list(scores.values()) == want


@pytest.mark.parametrize("weight", [-1, 101], ids=["below 0", "above 100"])
def test_hard_pod_affinity_weight_must_be_in_range(weight):
    with pytest.raises(ValueError, match=r"hardPodAffinityWeight: Invalid value: .*not in valid range \[0-100\]"):
        InterPodAffinity(hard_pod_affinity_weight=weight)


def test_score_without_pre_score_is_an_error():
    with pytest.raises(RuntimeError, match='reading "PreScoreInterPodAffinity" from cycleState'):
        InterPodAffinity().score(CycleState(), pod(), NodeInfoWithPods(NODE1))


# -- the memo across cycles ------------------------------------------------------------------------------


def test_memoised_counts_equal_a_full_recount_after_every_change():
    """Not an upstream case: PreFilter with CountsMemo gives the counts a full recount gives, while pods
    come and go, a node is relabelled, replaced by a new NodeInfo of the same name, and removed."""
    import random
    rng = random.Random(7)
    colors, zones = ("red", "green", "blue"), ("z1", "z2", "z3")

    def random_pod(i):
        labels = {"color": rng.choice(colors)}
        kind = rng.randrange(4)
        aff = None
        if kind == 1:
            aff = affinity(anti=[aff_in("color", rng.choice(("zone", "hostname")), [rng.choice(colors)])])
        elif kind == 2:
            aff = affinity([aff_in("color", "zone", [rng.choice(colors)])])
        return pod(labels, ns=rng.choice(("a", "b")), name=f"p{i}", aff=aff)

    infos = [NodeInfoWithPods(node(f"n{i}", {"zone": zones[i % 3], "hostname": f"n{i}"})) for i in range(12)]
    memo, plain = InterPodAffinity(lambda: infos), InterPodAffinity(lambda: infos, memo=False)
    incoming = [pod({"color": c}, ns=ns, aff=affinity([aff_in("color", "zone", [c])],
                                                      [aff_in("color", "hostname", [o])]))
                for c, o, ns in (("red", "green", "a"), ("green", "green", "b"), ("blue", "red", "a"))]

    def check():
        for p in incoming:
            got, want = CycleState(), CycleState()
            memo.pre_filter(got, p)
            plain.pre_filter(want, p)
            assert got[PRE_FILTER_STATE_KEY] == want[PRE_FILTER_STATE_KEY]
    keys = []
    for step in range(60):
        ni = infos[rng.randrange(len(infos))]
        action = rng.randrange(10)
        if action < 6 or not keys:
            key = f"k{step}"
            ni.add_pod(key, random_pod(step))
            keys.append((ni, key))
        elif action < 8:
            owner, key = keys.pop(rng.randrange(len(keys)))
            owner.remove_pod(key)
        elif action == 8:
            ni.set_node(node(ni.name, {"zone": rng.choice(zones), "hostname": ni.name}))
        else:
            i = infos.index(ni)
            infos[i] = NodeInfoWithPods(node(ni.name, {"zone": "z1", "hostname": ni.name}))
            keys = [(o, k) for o, k in keys if o is not ni]
        check()
    del infos[3:5]
    check()


def test_the_memo_recounts_a_replaced_node_info_and_forgets_a_removed_node():
    """A new NodeInfo of the same name may reach the old one's generation: the memo compares the object
    too. A node that leaves the snapshot takes its counts with it."""
    def info(name, color):
        ni = NodeInfoWithPods(node(name, {"zone": "z1"}))
        ni.add_pod(f"ns/{name}", pod({"color": color}, node=name))
        return ni
    infos = [info("n0", "green")]
    plugin = InterPodAffinity(lambda: infos)
    p = pod(aff=affinity(anti=[aff_in("color", "zone", ["green"])]))

    def counts():
        state = CycleState()
        plugin.pre_filter(state, p)
        return state[PRE_FILTER_STATE_KEY].anti_affinity_counts
    assert counts() == {("zone", "z1"): 1}
    infos[0] = info("n0", "red")
    assert infos[0].generation == 2 and counts() == {}
    infos.append(info("n1", "green"))
    assert counts() == {("zone", "z1"): 1}
    del infos[1]
    assert counts() == {}


def test_the_compiled_label_matcher_answers_as_the_selector():
    from k8slite.api.labels import Selector
    from k8slite.scheduler.plugins.interpodaffinity import label_matcher
    selectors = [None, {}, {"matchLabels": {"a": "1"}}, {"matchLabels": {"a": ""}},
                 sel(("a", "In", ["1", "2"])), sel(("a", "NotIn", ["1"])), sel(("a", "Exists")),
                 sel(("a", "DoesNotExist")), sel(("a", "In", ["1"]), ("b", "NotIn", ["x"])),
                 sel(("a", "Exists"), ("b", "DoesNotExist"), match_labels={"c": "3"})]
    label_sets = [None, {}, {"a": "1"}, {"a": "2"}, {"a": ""}, {"a": "1", "b": "x"}, {"a": "1", "b": "y", "c": "3"},
                  {"b": "x"}, {"c": "3", "a": "9"}]
    for spec in selectors:
        s = Selector.from_label_selector(spec)
        match = label_matcher(s)
        assert [match(labels) for labels in label_sets] == [s.matches(labels) for labels in label_sets], spec
