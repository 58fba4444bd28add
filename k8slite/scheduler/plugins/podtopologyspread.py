"""PodTopologySpread: keep matching pods spread over topology domains; a DoNotSchedule constraint
filters, a ScheduleAnyway constraint (or the cluster default) scores.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/podtopologyspread/plugin.go``
(``PodTopologySpreadArgs``: ``defaultingType`` System, whose default constraints are
``kubernetes.io/hostname`` maxSkew 3 and ``topology.kubernetes.io/zone`` maxSkew 5, both
ScheduleAnyway, or List with ``defaultConstraints``; the reasons "node(s) didn't match pod
topology spread constraints" and "... (missing required label)"), ``common.go`` (a constraint's
selector, ``matchLabelKeys`` merged in from the pod's labels, ``minDomains`` default 1,
``nodeAffinityPolicy`` Honor and ``nodeTaintsPolicy`` Ignore by default; default constraints take
their selector from the Services, ReplicationController, ReplicaSet or StatefulSet of the pod
(``helper.DefaultSelector``); pods terminating or in another namespace never count),
``filtering.go`` (PreFilter counts matching pods per domain of each constraint over the nodes that
have every topology key and pass the inclusion policies, keeping the two smallest domains as
critical paths; Filter rejects a node where ``matching + (1 if the pod matches itself) - global
minimum > maxSkew``, the global minimum being 0 while fewer than ``minDomains`` domains exist;
AddPod/RemovePod for preemption) and ``scoring.go`` (PreScore registers the domains of the
filtered nodes and counts their pods on all nodes, hostname counts coming in Score; a node scores
``sum(count * log(domains + 2) + maxSkew - 1)`` rounded, and NormalizeScore maps it to
``100 * (max + min - score) / max``, nodes missing a topology key getting 0).

Without listers, the default constraints' selectors come from what the plugin is given:
``services`` is a Service ``Lister`` (``list(namespace)``), ``replication_controllers``,
``replica_sets`` and ``stateful_sets`` are ``Lister``s (``get(namespace, name)``), as the scheduler's
informer factory provides them; one that is None holds no objects.

Not in v1.31: each node's count of matching pods is kept across cycles per (namespace, selector)
until its NodeInfo changes (``memo=False`` recounts every cycle).

Simplified: no EventsToRegister/QueueingHint; no parallelizer (nodes are visited in snapshot
order, so the two critical paths are deterministic where upstream's map order is not); the
argument validation checks only what decides behaviour; Filter without PreFilter works the state
out where upstream returns an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ...api.labels import Selector
from ..framework import (ERROR, MAX_NODE_SCORE, OK, SKIP, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState,
                         NodeInfo, Status, tolerates)
from .interpodaffinity import ShapeMemos, label_matcher, selector_key
from .nodeaffinity import RequiredNodeAffinity

NAME = "PodTopologySpread"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
HONOR, IGNORE = "Honor", "Ignore"
SYSTEM_DEFAULTING, LIST_DEFAULTING = "System", "List"
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_TOPOLOGY_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)
MAX_INT32 = 2 ** 31 - 1


@dataclass(frozen=True)
class TopologySpreadConstraint:
    """A constraint with its selector parsed (common.go's topologySpreadConstraint)."""
    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE
    match_labels: Callable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "match_labels", label_matcher(self.selector))

    def match_node_inclusion_policies(self, pod: dict, node: dict, required: RequiredNodeAffinity) -> bool:
        """Honor: only nodes the pod's node affinity/selector allows, only nodes whose NoSchedule
        and NoExecute taints it tolerates, count as domains."""
        if self.node_affinity_policy == HONOR and (required.label_selector is not None or
                                                   required.node_selector is not None) and not required.match(node):
            return False
        if self.node_taints_policy == HONOR:
            tolerations = (pod.get("spec") or {}).get("tolerations")
            for taint in (node.get("spec") or {}).get("taints") or ():
                if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
                    return False
        return True


def node_labels_match_spread_constraints(labels: dict, constraints: Sequence[TopologySpreadConstraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)


def count_pods_match_selector(pod_infos, c: TopologySpreadConstraint, namespace: str) -> int:
    """Pods of ``namespace`` that are not terminating and match ``c``'s selector; an empty selector
    counts none."""
    if c.selector.empty():
        return 0
    match = c.match_labels
    count = 0
    for info in pod_infos:
        meta = info.pod["metadata"]
        if meta.get("deletionTimestamp") or meta.get("namespace", "") != namespace:
            continue
        if match(meta.get("labels")):
            count += 1
    return count


def merge_label_set_with_selector(match_labels: dict, selector: Selector) -> Selector:
    """The pod's values of ``matchLabelKeys`` ANDed with the selector (a Nothing selector stays)."""
    if selector == Selector.nothing():
        return selector
    return Selector(Selector.from_set(match_labels).requirements + selector.requirements)


def _controller_ref(pod: dict) -> Optional[dict]:
    for ref in pod["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def default_selector(pod: dict, services=None, replication_controllers=None, replica_sets=None,
                     stateful_sets=None) -> Selector:
    """helper.DefaultSelector: the selectors of the Services that select the pod, and of its
    controlling ReplicationController, ReplicaSet or StatefulSet, ANDed."""
    meta = pod["metadata"]
    namespace, pod_labels = meta.get("namespace", ""), meta.get("labels") or {}
    label_set: dict = {}
    for service in services.list(namespace) if services is not None else ():
        selector = (service.get("spec") or {}).get("selector")
        if selector is None:                  # a nil selector selects nothing, not everything
            continue
        if Selector.from_set(selector).matches(pod_labels):
            label_set.update(selector)
    selector = Selector.from_set(label_set)
    owner = _controller_ref(pod)
    if owner is None:
        return selector
    kind = (owner.get("apiVersion"), owner.get("kind"))
    if kind == ("v1", "ReplicationController"):
        rc = replication_controllers.get(namespace, owner["name"]) if replication_controllers is not None else None
        if rc is not None:
            label_set.update((rc.get("spec") or {}).get("selector") or {})
            selector = Selector.from_set(label_set)
    elif kind in (("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")):
        lister = replica_sets if kind[1] == "ReplicaSet" else stateful_sets
        obj = lister.get(namespace, owner["name"]) if lister is not None else None
        if obj is not None:
            try:
                other = Selector.from_label_selector((obj.get("spec") or {}).get("selector"))
            except ValueError:
                return selector
            if other != Selector.nothing():
                selector = Selector(selector.requirements + other.requirements)
    return selector


class CriticalPaths:
    """The two domains with the fewest matching pods, smallest first: ``paths[0][1]`` is always the
    minimum; ``paths[1][1]`` is at least as large but need not be the second smallest."""

    __slots__ = ("paths",)

    def __init__(self):
        self.paths = [["", MAX_INT32], ["", MAX_INT32]]

    def update(self, value: str, num: int) -> None:
        p = self.paths
        i = 0 if value == p[0][0] else 1 if value == p[1][0] else -1
        if i >= 0:
            p[i][1] = num
            if p[0][1] > p[1][1]:
                p[0], p[1] = p[1], p[0]
        elif num < p[0][1]:
            p[1] = p[0]
            p[0] = [value, num]
        elif num < p[1][1]:
            p[1] = [value, num]

    def clone(self) -> "CriticalPaths":
        c = CriticalPaths()
        c.paths = [list(self.paths[0]), list(self.paths[1])]
        return c


@dataclass
class PreFilterState:
    """Per DoNotSchedule constraint: matching pods per domain value, and the critical paths."""
    constraints: list = field(default_factory=list)
    critical_paths: list = field(default_factory=list)
    tp_value_to_match_num: list = field(default_factory=list)

    def min_match_num(self, i: int, min_domains: int) -> int:
        """The global minimum, 0 while fewer than ``minDomains`` domains are eligible."""
        if len(self.tp_value_to_match_num[i]) < min_domains:
            return 0
        return self.critical_paths[i].paths[0][1]

    def clone(self) -> "PreFilterState":
        return PreFilterState(self.constraints, [p.clone() for p in self.critical_paths],
                              [dict(m) for m in self.tp_value_to_match_num])


@dataclass
class PreScoreState:
    constraints: list
    ignored_nodes: dict               # names of filtered nodes missing a topology key (a set)
    topology_value_to_pod_counts: list
    topology_normalizing_weight: list
    counters: list = field(default_factory=list, repr=False, compare=False)   # per constraint: NodeInfo -> count


def topology_normalizing_weight(size: int) -> float:
    """log(size + 2): a constraint over few domains weighs less than one over many."""
    return math.log(size + 2)


def score_for_count(count: int, max_skew: int, weight: float) -> float:
    return count * weight + (max_skew - 1)


def _labels(node: dict) -> dict:
    return node["metadata"].get("labels") or {}


class PodTopologySpread:
    NAME = NAME

    def __init__(self, node_infos: Callable[[], Sequence[NodeInfo]] = tuple, defaulting_type: str = SYSTEM_DEFAULTING,
                 default_constraints: Optional[list] = None, services=None, replication_controllers=None,
                 replica_sets=None, stateful_sets=None, enable_node_inclusion_policy: bool = True,
                 enable_match_label_keys: bool = True, memo: bool = True):
        """``node_infos()`` lists the snapshot's nodes (each with ``pod_infos``); the two feature
        flags are v1.31's gates NodeInclusionPolicyInPodTopologySpread and
        MatchLabelKeysInPodTopologySpread, both beta and on; ``memo`` keeps each node's count of
        matching pods across cycles until its NodeInfo changes, instead of recounting."""
        _validate_args(defaulting_type, default_constraints or [])
        self.node_infos = node_infos
        self.system_defaulted = defaulting_type == SYSTEM_DEFAULTING
        self.default_constraints = list(SYSTEM_DEFAULT_CONSTRAINTS) if self.system_defaulted \
            else list(default_constraints or [])
        self.services, self.replication_controllers = services, replication_controllers
        self.replica_sets, self.stateful_sets = replica_sets, stateful_sets
        self.enable_node_inclusion_policy = enable_node_inclusion_policy
        self.enable_match_label_keys = enable_match_label_keys
        self.count_memos = ShapeMemos(dict) if memo else None

    def counters(self, constraints: Sequence[TopologySpreadConstraint], namespace: str) -> list:
        """Per constraint, NodeInfo -> its pods matching the constraint (countPodsMatchSelector), from
        the memo while the node's NodeInfo is the same object at the same generation."""
        out = []
        for c in constraints:
            if self.count_memos is None:
                out.append(lambda ni, c=c: count_pods_match_selector(ni.pod_infos.values(), c, namespace))
                continue
            table = self.count_memos.get((namespace, selector_key(c.selector)))

            def count(ni: NodeInfo, c=c, table=table) -> int:
                entry = table.get(ni.name)
                if entry is not None and entry[0] is ni and entry[1] == ni.generation:
                    return entry[2]
                n = count_pods_match_selector(ni.pod_infos.values(), c, namespace)
                table[ni.name] = (ni, ni.generation, n)
                return n
            out.append(count)
        return out

    # -- common.go ------------------------------------------------------------------------------
    def filter_topology_spread_constraints(self, constraints: list, pod_labels: dict,
                                           action: str) -> list[TopologySpreadConstraint]:
        result = []
        for c in constraints:
            if c.get("whenUnsatisfiable") != action:
                continue
            selector = Selector.from_label_selector(c.get("labelSelector"))
            if self.enable_match_label_keys and c.get("matchLabelKeys"):
                match_labels = {k: pod_labels[k] for k in c["matchLabelKeys"] if k in pod_labels}
                if match_labels:
                    selector = merge_label_set_with_selector(match_labels, selector)
            affinity_policy, taints_policy = HONOR, IGNORE
            if self.enable_node_inclusion_policy:
                affinity_policy = c.get("nodeAffinityPolicy") or HONOR
                taints_policy = c.get("nodeTaintsPolicy") or IGNORE
            min_domains = c.get("minDomains")
            result.append(TopologySpreadConstraint(int(c.get("maxSkew", 0)), c.get("topologyKey", ""), selector,
                                                   1 if min_domains is None else int(min_domains),
                                                   affinity_policy, taints_policy))
        return result

    def build_default_constraints(self, pod: dict, action: str) -> list[TopologySpreadConstraint]:
        constraints = self.filter_topology_spread_constraints(self.default_constraints,
                                                              pod["metadata"].get("labels") or {}, action)
        if not constraints:
            return []
        selector = default_selector(pod, self.services, self.replication_controllers, self.replica_sets,
                                    self.stateful_sets)
        if selector.empty():
            return []
        return [TopologySpreadConstraint(c.max_skew, c.topology_key, selector, c.min_domains, c.node_affinity_policy,
                                         c.node_taints_policy) for c in constraints]

    def get_constraints(self, pod: dict, action: str) -> list[TopologySpreadConstraint]:
        """The pod's own constraints for ``action``, or, if it has none at all, the defaults."""
        own = (pod.get("spec") or {}).get("topologySpreadConstraints")
        if own:
            return self.filter_topology_spread_constraints(own, pod["metadata"].get("labels") or {}, action)
        return self.build_default_constraints(pod, action)

    # -- filtering.go ---------------------------------------------------------------------------
    def cal_pre_filter_state(self, pod: dict) -> PreFilterState:
        constraints = self.get_constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return PreFilterState()
        s = PreFilterState(constraints, [], [{} for _ in constraints])
        required = RequiredNodeAffinity(pod)
        counters = self.counters(constraints, pod["metadata"].get("namespace", ""))
        for ni in self.node_infos():
            node = ni.node
            if not self.enable_node_inclusion_policy and not required.match(node):
                continue
            labels = _labels(node)
            if not node_labels_match_spread_constraints(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if self.enable_node_inclusion_policy and not c.match_node_inclusion_policies(pod, node, required):
                    continue
                value = labels[c.topology_key]
                counts = s.tp_value_to_match_num[i]
                counts[value] = counts.get(value, 0) + counters[i](ni)
        for counts in s.tp_value_to_match_num:
            paths = CriticalPaths()
            for value, num in counts.items():
                paths.update(value, num)
            s.critical_paths.append(paths)
        return s

    def pre_filter(self, state: CycleState, pod: dict) -> tuple[Optional[tuple], Status]:
        try:
            s = self.cal_pre_filter_state(pod)
        except ValueError as error:
            return None, Status(ERROR, (f"get constraints from pod: {error}",), NAME)
        state[PRE_FILTER_STATE_KEY] = s
        if not s.constraints:
            return None, Status(SKIP, (), NAME)
        return None, OK

    def update_with_pod(self, s: PreFilterState, updated_pod: dict, preemptor: dict, node: Optional[dict],
                        delta: int) -> None:
        """AddPod (+1) / RemovePod (-1) of a pod on ``node`` while preemption simulates."""
        if node is None or updated_pod["metadata"].get("namespace", "") != preemptor["metadata"].get("namespace", ""):
            return
        labels = _labels(node)
        if not node_labels_match_spread_constraints(labels, s.constraints):
            return
        required = RequiredNodeAffinity(preemptor)
        if not self.enable_node_inclusion_policy and not required.match(node):
            return
        pod_labels = updated_pod["metadata"].get("labels")
        for i, c in enumerate(s.constraints):
            if not c.match_labels(pod_labels):
                continue
            if self.enable_node_inclusion_policy and not c.match_node_inclusion_policies(preemptor, node, required):
                continue
            value = labels[c.topology_key]
            counts = s.tp_value_to_match_num[i]
            counts[value] = counts.get(value, 0) + delta
            s.critical_paths[i].update(value, counts[value])

    def add_pod(self, state: CycleState, pod_to_schedule: dict, pod_info_to_add, node_info: NodeInfo) -> Status:
        self.update_with_pod(state[PRE_FILTER_STATE_KEY], pod_info_to_add.pod, pod_to_schedule, node_info.node, 1)
        return OK

    def remove_pod(self, state: CycleState, pod_to_schedule: dict, pod_info_to_remove, node_info: NodeInfo) -> Status:
        self.update_with_pod(state[PRE_FILTER_STATE_KEY], pod_info_to_remove.pod, pod_to_schedule, node_info.node, -1)
        return OK

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        s = state.get(PRE_FILTER_STATE_KEY)
        if s is None:                       # PreFilter did not run: work it out once for the cycle
            _, status = self.pre_filter(state, pod)
            if status.code == ERROR:
                return status
            s = state[PRE_FILTER_STATE_KEY]
        if not s.constraints:
            return OK
        labels = _labels(node_info.node)
        pod_labels = pod["metadata"].get("labels")
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_NODE_LABEL_NOT_MATCH,), NAME)
            self_match = 1 if c.match_labels(pod_labels) else 0
            skew = s.tp_value_to_match_num[i].get(value, 0) + self_match - s.min_match_num(i, c.min_domains)
            if skew > c.max_skew:
                return Status(UNSCHEDULABLE, (ERR_REASON_CONSTRAINTS_NOT_MATCH,), NAME)
        return OK

    # -- scoring.go -----------------------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: dict, filtered_nodes: Sequence[NodeInfo]) -> Status:
        """Register the domains of the filtered nodes, then count their matching pods on all nodes.
        Nodes need every topology key unless the constraints are the system defaults (a node
        without a zone then still spreads by hostname, its zone being "")."""
        state[PRE_SCORE_STATE_KEY] = None              # Skip unless set below
        all_nodes = self.node_infos()
        if not all_nodes:
            return Status(SKIP, (), NAME)
        require_all = bool((pod.get("spec") or {}).get("topologySpreadConstraints")) or not self.system_defaulted
        try:
            constraints = self.get_constraints(pod, SCHEDULE_ANYWAY)
        except ValueError as error:
            return Status(ERROR, (f"calculating preScoreState: {error}",), NAME)
        if not constraints:
            return Status(SKIP, (), NAME)
        ignored: dict[str, None] = {}
        counts: list[dict] = [{} for _ in constraints]
        for ni in filtered_nodes:
            labels = _labels(ni.node)
            if require_all and not node_labels_match_spread_constraints(labels, constraints):
                ignored[ni.name] = None
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != LABEL_HOSTNAME:         # per-node counts come in Score
                    counts[i].setdefault(labels.get(c.topology_key, ""), 0)
        weights = [topology_normalizing_weight(len(filtered_nodes) - len(ignored) if c.topology_key == LABEL_HOSTNAME
                                               else len(counts[i])) for i, c in enumerate(constraints)]
        required = RequiredNodeAffinity(pod)
        counters = self.counters(constraints, pod["metadata"].get("namespace", ""))
        # constraints with domains to count (hostname ones count in Score)
        active = [(c, counts[i], counters[i]) for i, c in enumerate(constraints) if counts[i]]
        inclusion = self.enable_node_inclusion_policy
        for ni in all_nodes if active else ():
            node = ni.node
            if not inclusion and not required.match(node):
                continue
            labels = node["metadata"].get("labels") or {}
            if require_all and not node_labels_match_spread_constraints(labels, constraints):
                continue
            for c, domain_counts, count in active:
                value = labels.get(c.topology_key, "")
                if value not in domain_counts:
                    continue
                if inclusion and not c.match_node_inclusion_policies(pod, node, required):
                    continue
                domain_counts[value] += count(ni)
        state[PRE_SCORE_STATE_KEY] = PreScoreState(constraints, ignored, counts, weights, counters)
        return OK

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        """The node's matching pods per constraint, weighted; rounded half away from zero."""
        s = _pre_score_state(state)
        if s is None or node_info.name in s.ignored_nodes:
            return 0
        labels = _labels(node_info.node)
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                count = s.counters[i](node_info)
            else:
                count = s.topology_value_to_pod_counts[i].get(value, 0)
            total += score_for_count(count, c.max_skew, s.topology_normalizing_weight[i])
        return math.floor(total + 0.5)

    def normalize(self, state: CycleState, pod: dict, scores: dict[str, int]) -> None:
        """Fewer matching pods score higher: ``100 * (max + min - score) // max``; 100 for all when
        every score is 0; ignored nodes 0."""
        s = _pre_score_state(state)
        if s is None:
            return
        ignored = s.ignored_nodes
        valid = [score for name, score in scores.items() if name not in ignored]
        low, high = (min(valid), max(max(valid), 0)) if valid else (0, 0)
        for name, score in scores.items():
            if name in ignored:
                scores[name] = 0
            elif high == 0:
                scores[name] = MAX_NODE_SCORE
            else:
                scores[name] = MAX_NODE_SCORE * (high + low - score) // high


def _pre_score_state(state: CycleState) -> Optional[PreScoreState]:
    if PRE_SCORE_STATE_KEY not in state:
        raise RuntimeError(f'reading "{PRE_SCORE_STATE_KEY}" from cycleState: not found (PreScore did not run)')
    return state[PRE_SCORE_STATE_KEY]


def _validate_args(defaulting_type: str, default_constraints: list) -> None:
    """ValidatePodTopologySpreadArgs, for what changes behaviour."""
    if defaulting_type not in (SYSTEM_DEFAULTING, LIST_DEFAULTING):
        raise ValueError(f'defaultingType: Unsupported value: "{defaulting_type}": supported values: "List", "System"')
    if defaulting_type == SYSTEM_DEFAULTING and default_constraints:
        raise ValueError('defaultingType: Invalid value: "System": when .defaultConstraints are not empty')
    seen = set()
    for i, c in enumerate(default_constraints):
        path = f"defaultConstraints[{i}]"
        if int(c.get("maxSkew", 0)) <= 0:
            raise ValueError(f"{path}.maxSkew: Invalid value: {c.get('maxSkew', 0)}: must be greater than zero")
        if not c.get("topologyKey"):
            raise ValueError(f"{path}.topologyKey: Required value: can not be empty")
        if c.get("whenUnsatisfiable") not in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
            raise ValueError(f'{path}.whenUnsatisfiable: Unsupported value: "{c.get("whenUnsatisfiable")}"')
        if c.get("labelSelector") is not None:
            raise ValueError(f"{path}.labelSelector: Forbidden: constraint must not define a selector, "
                             f"as they deduced for each pod")
        pair = (c["topologyKey"], c["whenUnsatisfiable"])
        if pair in seen:
            raise ValueError(f"{path}: Duplicate value: {{{pair[0]}, {pair[1]}}}")
        seen.add(pair)
