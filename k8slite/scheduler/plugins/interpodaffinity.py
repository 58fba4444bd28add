"""InterPodAffinity: a pod's required pod (anti-)affinity, and existing pods' required anti-affinity,
must hold on the node; preferred terms on both sides, and existing pods' required affinity, score.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/interpodaffinity/plugin.go``
(``InterPodAffinityArgs``: ``hardPodAffinityWeight`` 1 in [0, 100], ``ignorePreferredTermsOfExistingPods``;
``mergeAffinityTermNamespacesIfNotEmpty`` unrolls an incoming pod's ``namespaceSelector`` into its
namespaces through the namespace lister; ``GetNamespaceLabelsSnapshot``), ``filtering.go``
(PreFilter counts, per topology pair, the existing pods whose required anti-affinity matches the
pod and the existing pods matching the pod's required affinity and anti-affinity terms; Skip when
there is nothing to check; Filter's reasons "node(s) didn't match pod affinity rules"
(UnschedulableAndUnresolvable), "node(s) didn't match pod anti-affinity rules" and "node(s) didn't
satisfy existing pods anti-affinity rules" (Unschedulable); the first pod of a group with affinity
to itself may go anywhere its topology keys exist; AddPod/RemovePod for preemption),
``scoring.go`` (PreScore sums weights per topology pair: the pod's preferred terms matched by
existing pods, existing pods' required affinity times ``hardPodAffinityWeight`` and their preferred
terms matched by the pod, anti-affinity subtracting; Score adds the pairs of the node's labels;
NormalizeScore scales min..max to 0..100) and ``framework/types.go`` (``PodInfo`` with parsed
``AffinityTerm``s, ``NodeInfo.PodsWithAffinity``/``PodsWithRequiredAntiAffinity``).

``PodInfo`` and ``NodeInfoWithPods`` live here until ``framework.NodeInfo`` keeps its pods (they
are ``types.go``'s); ``node_infos`` is the snapshot lister (``NodeInfos().List()``: nodes with a
Node object, in snapshot order), ``namespaces`` a namespace ``Lister``.

matchLabelKeys/mismatchLabelKeys (beta in v1.31) are not read here: kube-apiserver merges them
into the term's labelSelector when the pod is created (``pkg/registry/core/pod/strategy.go``).

Not in v1.31: PreFilter's per-node counts are kept across cycles per pod shape (``CountsMemo``)
and recounted only for nodes whose NodeInfo changed, and selectors are compiled once per term
(``label_matcher``); both give the counts a full recount gives (``memo=False`` recounts).

Simplified: no EventsToRegister/QueueingHint; parse errors carry k8slite's label-selector messages
after upstream's prefixes ("parsing pod: requiredAffinityTerms: ..."); no parallelizer (nodes are
visited in snapshot order, which changes no count); Filter without PreFilter works the state out
(as k8slite's NodeAffinity does) where upstream returns an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence

from ...api.labels import DOES_NOT_EXIST, DOUBLE_EQUALS, EQUALS, EXISTS, IN, NOT_EQUALS, NOT_IN, Selector
from ..framework import (ERROR, OK, SKIP, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState, MAX_NODE_SCORE,
                         NodeInfo, Status)

NAME = "InterPodAffinity"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1
_AFFINITY_NOT_MATCH = Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_AFFINITY_RULES_NOT_MATCH,), NAME)
_ANTI_AFFINITY_NOT_MATCH = Status(UNSCHEDULABLE, (ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,), NAME)
_EXISTING_ANTI_AFFINITY_NOT_MATCH = Status(UNSCHEDULABLE, (ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,), NAME)
MIN_HARD_POD_AFFINITY_WEIGHT, MAX_HARD_POD_AFFINITY_WEIGHT = 0, 100


# -- label matching, compiled ---------------------------------------------------------------------

_IN, _NOT_IN, _EXISTS, _DOES_NOT_EXIST = 0, 1, 2, 3
_KINDS = {IN: _IN, EQUALS: _IN, DOUBLE_EQUALS: _IN, NOT_IN: _NOT_IN, NOT_EQUALS: _NOT_IN, EXISTS: _EXISTS,
          DOES_NOT_EXIST: _DOES_NOT_EXIST}


def label_matcher(selector: Selector) -> Callable[[Optional[dict]], bool]:
    """``selector.matches`` as one function of the labels, built once per term: the scheduler matches
    every existing pod against a term each cycle, so this is its innermost loop. Same answers as
    ``Selector.matches`` (Gt/Lt, which label selectors cannot hold, fall back to it)."""
    if selector == Selector.nothing():
        return lambda labels: False
    if any(op not in _KINDS for _, op, _ in selector.requirements):
        return selector.matches
    reqs = tuple((key, _KINDS[op], frozenset(values)) for key, op, values in selector.requirements)
    if not reqs:
        return lambda labels: True
    if len(reqs) == 1:
        key, kind, values = reqs[0]
        if kind == _IN:
            return lambda labels: labels is not None and labels.get(key) in values
        if kind == _NOT_IN:
            return lambda labels: labels is None or labels.get(key) not in values
        if kind == _EXISTS:
            return lambda labels: labels is not None and key in labels
        return lambda labels: labels is None or key not in labels

    def matches(labels: Optional[dict]) -> bool:
        labels = labels or {}
        for key, kind, values in reqs:
            if kind == _IN:
                if labels.get(key) not in values:
                    return False
            elif kind == _NOT_IN:
                if labels.get(key) in values:
                    return False
            elif (key in labels) != (kind == _EXISTS):
                return False
        return True
    return matches


# -- framework/types.go: AffinityTerm, PodInfo, and a NodeInfo that keeps its pods ------------------

@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A parsed PodAffinityTerm. ``namespace_selector`` is Nothing for a nil selector and Everything
    for ``{}``; an incoming pod's is unrolled into ``namespaces`` before matching."""
    namespaces: frozenset
    selector: Selector
    topology_key: str
    namespace_selector: Selector
    match_labels: Callable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match_labels", label_matcher(self.selector))

    def matches(self, pod: dict, ns_labels: Optional[dict]) -> bool:
        """``AffinityTerm.Matches``: the pod's namespace is named or selected, and its labels match."""
        meta = pod["metadata"]
        if meta.get("namespace", "") in self.namespaces or self.namespace_selector.matches(ns_labels):
            return self.match_labels(meta.get("labels"))
        return False


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


def _new_affinity_term(pod: dict, term: dict) -> AffinityTerm:
    selector = Selector.from_label_selector(term.get("labelSelector"))
    ns_selector_spec = term.get("namespaceSelector")
    names = term.get("namespaces") or []
    if not names and ns_selector_spec is None:      # getNamespacesFromPodAffinityTerm
        names = [pod["metadata"].get("namespace", "")]
    return AffinityTerm(frozenset(names), selector, term.get("topologyKey", ""),
                        Selector.from_label_selector(ns_selector_spec))


def get_affinity_terms(pod: dict, terms: Optional[list]) -> list[AffinityTerm]:
    """``GetAffinityTerms``: every term parsed, or ValueError for the first that does not parse."""
    return [_new_affinity_term(pod, t) for t in terms or ()]


def get_weighted_affinity_terms(pod: dict, terms: Optional[list]) -> list[WeightedAffinityTerm]:
    return [WeightedAffinityTerm(_new_affinity_term(pod, t.get("podAffinityTerm") or {}), int(t.get("weight", 0)))
            for t in terms or ()]


def _pod_affinity(pod: dict) -> tuple[dict, dict, bool, bool]:
    """(podAffinity or {}, podAntiAffinity or {}, whether each is set at all)."""
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    pa, paa = affinity.get("podAffinity"), affinity.get("podAntiAffinity")
    return pa or {}, paa or {}, pa is not None, paa is not None


class PodInfo:
    """``framework.PodInfo``: a pod and its parsed affinity terms, built once when the pod is cached.

    A category whose terms do not parse is left empty and its error kept in ``parse_error``, as
    ``NodeInfo.AddPod`` ignores ``NewPodInfo``'s error for an existing pod."""

    __slots__ = ("pod", "required_affinity_terms", "required_anti_affinity_terms", "preferred_affinity_terms",
                 "preferred_anti_affinity_terms", "parse_error", "has_affinity", "has_required_anti_affinity")

    def __init__(self, pod: dict):
        self.pod = pod
        pa, paa, has_pa, has_paa = _pod_affinity(pod)
        errors = []

        def parse(what: str, fn, terms):
            try:
                return fn(pod, terms)
            except ValueError as error:
                errors.append(f"{what}: {error}")
                return []
        self.required_affinity_terms = parse("requiredAffinityTerms", get_affinity_terms,
                                             pa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.required_anti_affinity_terms = parse("requiredAntiAffinityTerms", get_affinity_terms,
                                                  paa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.preferred_affinity_terms = parse("preferredAffinityTerms", get_weighted_affinity_terms,
                                              pa.get("preferredDuringSchedulingIgnoredDuringExecution"))
        self.preferred_anti_affinity_terms = parse("preferredAntiAffinityTerms", get_weighted_affinity_terms,
                                                   paa.get("preferredDuringSchedulingIgnoredDuringExecution"))
        # utilerrors.NewAggregate: one error as is, several as "[a, b]"
        self.parse_error = "" if not errors else errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"
        self.has_affinity = has_pa or has_paa                                   # podWithAffinity
        self.has_required_anti_affinity = bool(paa.get("requiredDuringSchedulingIgnoredDuringExecution"))


class NodeInfoWithPods(NodeInfo):
    """``framework.NodeInfo`` that also keeps its pods (``Pods``, ``PodsWithAffinity``,
    ``PodsWithRequiredAntiAffinity``, each pod key -> PodInfo in the order the pods arrived).

    Invariant: the three dicts hold exactly the keys of ``pods`` that qualify for each."""

    __slots__ = ("pod_infos", "pods_with_affinity", "pods_with_required_anti_affinity")

    def __init__(self, node: dict):
        self.pod_infos: dict[str, PodInfo] = {}
        self.pods_with_affinity: dict[str, PodInfo] = {}
        self.pods_with_required_anti_affinity: dict[str, PodInfo] = {}
        super().__init__(node)

    def add_pod(self, key: str, pod: dict) -> None:
        if key in self.pods:
            return
        super().add_pod(key, pod)
        info = self.pod_infos[key] = PodInfo(pod)
        if info.has_affinity:
            self.pods_with_affinity[key] = info
        if info.has_required_anti_affinity:
            self.pods_with_required_anti_affinity[key] = info

    def remove_pod(self, key: str) -> None:
        super().remove_pod(key)
        self.pod_infos.pop(key, None)
        self.pods_with_affinity.pop(key, None)
        self.pods_with_required_anti_affinity.pop(key, None)


def _labels(node_info: NodeInfo) -> dict:
    return node_info.node["metadata"].get("labels") or {}


def _add(counts: dict, pair: tuple, value: int) -> None:
    """topologyToMatchedTermCount.update: a pair that falls to zero leaves the map."""
    total = counts.get(pair, 0) + value
    if total:
        counts[pair] = total
    else:
        counts.pop(pair, None)


class CountsMemo:
    """Sums over the nodes of per-node counts ((topology key, value) -> count), kept across scheduling
    cycles: a node's contribution is worked out again only when its NodeInfo changed (another object,
    or a new ``generation``: a pod added or removed, the node updated), so a cycle costs one check per
    node instead of one match per pod. The sums equal a full recount (the tests compare them).

    Invariant: ``totals[k]`` is the sum of ``nodes[name][2][k]`` over the nodes of the last refresh,
    without zero entries."""

    __slots__ = ("nodes", "totals")

    def __init__(self, kinds: int):
        self.nodes: dict[str, tuple] = {}      # node name -> (NodeInfo, generation, per kind ((pair, n), ...))
        self.totals: tuple = tuple({} for _ in range(kinds))

    def refresh(self, node_infos: Sequence[NodeInfo], contribute: Callable[[NodeInfo], tuple]) -> tuple:
        nodes, totals = self.nodes, self.totals
        for ni in node_infos:
            entry = nodes.get(ni.name)
            if entry is not None and entry[0] is ni and entry[1] == ni.generation:
                continue
            if entry is not None:
                self._fold(entry[2], -1)
            contribution = contribute(ni)
            nodes[ni.name] = (ni, ni.generation, contribution)
            self._fold(contribution, 1)
        if len(nodes) != len(node_infos):          # nodes left the snapshot
            present = {ni.name for ni in node_infos}
            for name in [n for n in nodes if n not in present]:
                self._fold(nodes.pop(name)[2], -1)
        return totals

    def _fold(self, contribution: tuple, sign: int) -> None:
        for total, pairs in zip(self.totals, contribution):
            for pair, n in pairs:
                _add(total, pair, sign * n)


class ShapeMemos:
    """One memo per pod shape (whatever the per-node counts depend on besides the node), the 16 most
    recently used; a shape seen again after eviction costs one full recount."""

    def __init__(self, factory: Callable[[], object], limit: int = 16):
        self.factory, self.limit = factory, limit
        self.memos: dict = {}                  # shape -> memo, least recently used first

    def get(self, shape):
        memo = self.memos.pop(shape, None)
        if memo is None:
            memo = self.factory()
            if len(self.memos) >= self.limit:
                del self.memos[next(iter(self.memos))]
        self.memos[shape] = memo
        return memo


def selector_key(selector: Selector) -> tuple:
    """A hashable value equal for equal selectors."""
    return selector == Selector.nothing(), tuple(selector.requirements)


def _terms_key(terms: Sequence[AffinityTerm]) -> tuple:
    return tuple((t.topology_key, tuple(sorted(t.namespaces)), selector_key(t.selector),
                  selector_key(t.namespace_selector)) for t in terms)


def pod_matches_all_affinity_terms(terms: Sequence[AffinityTerm], pod: dict) -> bool:
    """True iff there are terms and the pod matches every one (namespaces already unrolled)."""
    return bool(terms) and all(t.matches(pod, None) for t in terms)


# -- filtering.go --------------------------------------------------------------------------------

@dataclass
class PreFilterState:
    """Counts per topology pair (key, value). ``existing_anti_affinity_counts``: existing pods whose
    required anti-affinity terms match the incoming pod; ``affinity_counts``: existing pods matching
    all of its required affinity terms (one per term); ``anti_affinity_counts``: existing pods
    matching each of its required anti-affinity terms."""
    pod: dict
    required_affinity_terms: list
    required_anti_affinity_terms: list
    namespace_labels: Optional[dict]
    existing_anti_affinity_counts: dict = field(default_factory=dict)
    affinity_counts: dict = field(default_factory=dict)
    anti_affinity_counts: dict = field(default_factory=dict)

    def clone(self) -> "PreFilterState":
        return replace(self, existing_anti_affinity_counts=dict(self.existing_anti_affinity_counts),
                       affinity_counts=dict(self.affinity_counts), anti_affinity_counts=dict(self.anti_affinity_counts))

    def update_with_pod(self, info: PodInfo, node: dict, multiplier: int) -> None:
        """A pod added to (1) or removed from (-1) ``node``, as preemption simulates."""
        labels = node["metadata"].get("labels") or {}
        for t in info.required_anti_affinity_terms:
            if t.matches(self.pod, self.namespace_labels) and t.topology_key in labels:
                _add(self.existing_anti_affinity_counts, (t.topology_key, labels[t.topology_key]), multiplier)
        if pod_matches_all_affinity_terms(self.required_affinity_terms, info.pod):
            for t in self.required_affinity_terms:
                if t.topology_key in labels:
                    _add(self.affinity_counts, (t.topology_key, labels[t.topology_key]), multiplier)
        for t in self.required_anti_affinity_terms:
            if t.matches(info.pod, None) and t.topology_key in labels:
                _add(self.anti_affinity_counts, (t.topology_key, labels[t.topology_key]), multiplier)


@dataclass
class PreScoreState:
    topology_score: dict          # topology key -> value -> summed weight
    preferred_affinity_terms: list
    preferred_anti_affinity_terms: list
    namespace_labels: Optional[dict]


class InterPodAffinity:
    NAME = NAME

    def __init__(self, node_infos: Callable[[], Sequence[NodeInfoWithPods]] = tuple, namespaces=None,
                 hard_pod_affinity_weight: int = DEFAULT_HARD_POD_AFFINITY_WEIGHT,
                 ignore_preferred_terms_of_existing_pods: bool = False, memo: bool = True):
        """``node_infos()`` lists the snapshot's nodes; ``namespaces`` is a namespace ``Lister``
        (``list(None, selector)``, ``get("", name)``) or None for a cluster without any; ``memo``
        keeps PreFilter's per-node counts across cycles (CountsMemo) instead of recounting."""
        if not MIN_HARD_POD_AFFINITY_WEIGHT <= hard_pod_affinity_weight <= MAX_HARD_POD_AFFINITY_WEIGHT:
            raise ValueError(f"hardPodAffinityWeight: Invalid value: {hard_pod_affinity_weight}: not in valid range "
                             f"[{MIN_HARD_POD_AFFINITY_WEIGHT}-{MAX_HARD_POD_AFFINITY_WEIGHT}]")
        self.node_infos = node_infos
        self.namespaces = namespaces
        self.hard_pod_affinity_weight = hard_pod_affinity_weight
        self.ignore_preferred_terms_of_existing_pods = ignore_preferred_terms_of_existing_pods
        self.existing_memos = ShapeMemos(lambda: CountsMemo(1)) if memo else None
        self.incoming_memos = ShapeMemos(lambda: CountsMemo(2)) if memo else None

    # -- plugin.go ----------------------------------------------------------------------------
    def _merge_namespaces(self, term: AffinityTerm) -> AffinityTerm:
        """mergeAffinityTermNamespacesIfNotEmpty: the selected namespaces join the named ones and the
        selector becomes Nothing; an empty selector ({}: every namespace) stays as it is."""
        if term.namespace_selector.empty():
            return term
        selected = [] if self.namespaces is None else self.namespaces.list(None, term.namespace_selector)
        return replace(term, namespaces=term.namespaces | {ns["metadata"]["name"] for ns in selected},
                       namespace_selector=Selector.nothing())

    def namespace_labels(self, namespace: str) -> Optional[dict]:
        """GetNamespaceLabelsSnapshot: the namespace's labels, or none if it is not known."""
        ns = self.namespaces.get("", namespace) if self.namespaces is not None else None
        return dict(ns["metadata"].get("labels") or {}) if ns is not None else None

    # -- PreFilter / Filter ---------------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: dict) -> tuple[Optional[tuple], Status]:
        info = PodInfo(pod)
        if info.parse_error:
            return None, Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (f"parsing pod: {info.parse_error}",), NAME)
        s = PreFilterState(pod, [self._merge_namespaces(t) for t in info.required_affinity_terms],
                           [self._merge_namespaces(t) for t in info.required_anti_affinity_terms],
                           self.namespace_labels(pod["metadata"].get("namespace", "")))
        all_nodes = self.node_infos()
        ns_labels = s.namespace_labels

        def existing_on(ni: NodeInfo) -> tuple:
            """getExistingAntiAffinityCounts for one node: its pods' required anti-affinity terms
            that match the incoming pod."""
            if not ni.pods_with_required_anti_affinity:
                return ((),)
            labels, pairs = _labels(ni), []
            for existing in ni.pods_with_required_anti_affinity.values():
                for t in existing.required_anti_affinity_terms:
                    value = labels.get(t.topology_key)
                    if value is not None and t.matches(pod, ns_labels):
                        pairs.append(((t.topology_key, value), 1))
            return (pairs,)
        affinity, anti = s.required_affinity_terms, s.required_anti_affinity_terms

        def incoming_on(ni: NodeInfo) -> tuple:
            """getIncomingAffinityAntiAffinityCounts for one node: its pods matching all the incoming
            pod's affinity terms (a count per term), and each of its anti-affinity terms."""
            if not ni.pod_infos:
                return (), ()
            labels, affinity_pairs, anti_pairs = _labels(ni), [], []
            for existing in ni.pod_infos.values():
                p = existing.pod
                if affinity and pod_matches_all_affinity_terms(affinity, p):
                    for t in affinity:
                        value = labels.get(t.topology_key)
                        if value is not None:
                            affinity_pairs.append(((t.topology_key, value), 1))
                for t in anti:
                    value = labels.get(t.topology_key)
                    if value is not None and t.matches(p, None):
                        anti_pairs.append(((t.topology_key, value), 1))
            return affinity_pairs, anti_pairs
        if self.existing_memos is not None:
            meta = pod["metadata"]
            shape = (meta.get("namespace", ""), tuple(sorted((meta.get("labels") or {}).items())),
                     None if ns_labels is None else tuple(sorted(ns_labels.items())))
            s.existing_anti_affinity_counts = dict(self.existing_memos.get(shape).refresh(all_nodes, existing_on)[0])
            if affinity or anti:
                memo = self.incoming_memos.get((_terms_key(affinity), _terms_key(anti)))
                totals = memo.refresh(all_nodes, incoming_on)
                s.affinity_counts, s.anti_affinity_counts = dict(totals[0]), dict(totals[1])
        else:
            for ni in all_nodes:
                for pair, n in existing_on(ni)[0]:
                    _add(s.existing_anti_affinity_counts, pair, n)
            if affinity or anti:
                for ni in all_nodes:
                    affinity_pairs, anti_pairs = incoming_on(ni)
                    for pair, n in affinity_pairs:
                        _add(s.affinity_counts, pair, n)
                    for pair, n in anti_pairs:
                        _add(s.anti_affinity_counts, pair, n)
        state[PRE_FILTER_STATE_KEY] = s
        if not s.existing_anti_affinity_counts and not affinity and not anti:
            return None, Status(SKIP, (), NAME)
        return None, OK

    def add_pod(self, state: CycleState, pod_to_schedule: dict, pod_info_to_add: PodInfo,
                node_info: NodeInfo) -> Status:
        """PreFilterExtensions.AddPod (preemption); the caller clones the state first."""
        state[PRE_FILTER_STATE_KEY].update_with_pod(pod_info_to_add, node_info.node, 1)
        return OK

    def remove_pod(self, state: CycleState, pod_to_schedule: dict, pod_info_to_remove: PodInfo,
                   node_info: NodeInfo) -> Status:
        state[PRE_FILTER_STATE_KEY].update_with_pod(pod_info_to_remove, node_info.node, -1)
        return OK

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        s = state.get(PRE_FILTER_STATE_KEY)
        if s is None:                       # PreFilter did not run: work it out once for the cycle
            _, status = self.pre_filter(state, pod)
            if status.code != SKIP and not status.is_success():
                return status
            s = state[PRE_FILTER_STATE_KEY]
        labels = node_info.node["metadata"].get("labels") or {}
        if s.required_affinity_terms and not _satisfy_pod_affinity(s, labels):
            return _AFFINITY_NOT_MATCH
        if s.anti_affinity_counts and not _satisfy_pod_anti_affinity(s, labels):
            return _ANTI_AFFINITY_NOT_MATCH
        if s.existing_anti_affinity_counts and not _satisfy_existing_pods_anti_affinity(s, labels):
            return _EXISTING_ANTI_AFFINITY_NOT_MATCH
        return OK

    # -- PreScore / Score / NormalizeScore -------------------------------------------------------
    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        """Sum the weights per topology pair over the existing pods (all of them if the pod has
        preferred terms, else only pods with affinity); Skip when nothing was summed."""
        state[PRE_SCORE_STATE_KEY] = None               # Skip unless set below
        if not nodes:
            return Status(SKIP, (), NAME)
        pa, paa, _, _ = _pod_affinity(pod)
        has_constraints = bool(pa.get("preferredDuringSchedulingIgnoredDuringExecution")) or \
            bool(paa.get("preferredDuringSchedulingIgnoredDuringExecution"))
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status(SKIP, (), NAME)
        info = PodInfo(pod)
        if info.parse_error:
            return Status(ERROR, (f"failed to parse pod: {info.parse_error}",), NAME)
        s = PreScoreState({}, [replace(w, term=self._merge_namespaces(w.term)) for w in info.preferred_affinity_terms],
                          [replace(w, term=self._merge_namespaces(w.term)) for w in info.preferred_anti_affinity_terms],
                          self.namespace_labels(pod["metadata"].get("namespace", "")))
        for ni in self.node_infos():
            existing_pods = ni.pod_infos if has_constraints else ni.pods_with_affinity
            if not existing_pods:
                continue
            labels = _labels(ni)
            if not labels:
                continue
            for existing in existing_pods.values():
                # without terms of its own to score, a pod whose terms cannot weigh adds nothing
                if has_constraints or existing.required_affinity_terms or existing.preferred_affinity_terms or \
                        existing.preferred_anti_affinity_terms:
                    self._process_existing_pod(s, existing, labels, pod)
        if not s.topology_score:
            return Status(SKIP, (), NAME)
        state[PRE_SCORE_STATE_KEY] = s
        return OK

    def _process_existing_pod(self, s: PreScoreState, existing: PodInfo, labels: dict, pod: dict) -> None:
        score = s.topology_score

        def process(term: AffinityTerm, weight: int, target: dict, ns_labels: Optional[dict]) -> None:
            value = labels.get(term.topology_key)
            if value is not None and term.matches(target, ns_labels):
                by_value = score.setdefault(term.topology_key, {})
                by_value[value] = by_value.get(value, 0) + weight
        # the incoming pod's preferred terms, matched by the existing pod (namespaces unrolled)
        for w in s.preferred_affinity_terms:
            process(w.term, w.weight, existing.pod, None)
        for w in s.preferred_anti_affinity_terms:
            process(w.term, -w.weight, existing.pod, None)
        # the existing pod's terms, matched by the incoming pod
        if self.hard_pod_affinity_weight > 0:
            for t in existing.required_affinity_terms:
                process(t, self.hard_pod_affinity_weight, pod, s.namespace_labels)
        for w in existing.preferred_affinity_terms:
            process(w.term, w.weight, pod, s.namespace_labels)
        for w in existing.preferred_anti_affinity_terms:
            process(w.term, -w.weight, pod, s.namespace_labels)

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        s = _pre_score_state(state)
        if s is None:                        # PreScore said Skip
            return 0
        labels = _labels(node_info)
        total = 0
        for key, by_value in s.topology_score.items():
            value = labels.get(key)
            if value is not None:
                total += by_value.get(value, 0)
        return total

    def normalize(self, state: CycleState, pod: dict, scores: dict[str, int]) -> None:
        """Linear from the lowest raw score (0) to the highest (100); all 0 when they are equal."""
        s = _pre_score_state(state)
        if s is None or not s.topology_score or not scores:
            return
        low, high = min(scores.values()), max(scores.values())
        diff = high - low
        for name, score in scores.items():
            scores[name] = math.trunc(MAX_NODE_SCORE * ((score - low) / diff)) if diff > 0 else 0


def _pre_score_state(state: CycleState) -> Optional[PreScoreState]:
    if PRE_SCORE_STATE_KEY not in state:
        raise RuntimeError(f'reading "{PRE_SCORE_STATE_KEY}" from cycleState: not found (PreScore did not run)')
    return state[PRE_SCORE_STATE_KEY]


def _satisfy_pod_affinity(s: PreFilterState, labels: dict) -> bool:
    """Every term's topology key on the node and, for each, a matching pod in the node's domain;
    else the pod may still be the first of its group: no pod matches anywhere and it matches all
    its own terms. Worked example: a Deployment whose pods require affinity to app=web in their
    zone; its first pod finds no app=web pod anywhere, matches itself, and may go to any node that
    has a zone label."""
    pods_exist = True
    for t in s.required_affinity_terms:
        value = labels.get(t.topology_key)
        if value is None:
            return False
        if s.affinity_counts.get((t.topology_key, value), 0) <= 0:
            pods_exist = False
    if not pods_exist:
        return not s.affinity_counts and pod_matches_all_affinity_terms(s.required_affinity_terms, s.pod)
    return True


def _satisfy_pod_anti_affinity(s: PreFilterState, labels: dict) -> bool:
    if s.anti_affinity_counts:
        for t in s.required_anti_affinity_terms:
            value = labels.get(t.topology_key)
            if value is not None and s.anti_affinity_counts.get((t.topology_key, value), 0) > 0:
                return False
    return True


def _satisfy_existing_pods_anti_affinity(s: PreFilterState, labels: dict) -> bool:
    if s.existing_anti_affinity_counts:
        counts = s.existing_anti_affinity_counts
        for pair in labels.items():
            if counts.get(pair, 0) > 0:
                return False
    return True
