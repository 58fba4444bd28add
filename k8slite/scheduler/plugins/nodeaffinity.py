"""NodeAffinity: a pod's nodeSelector and required node affinity must match the node;
matching preferred terms add their weights to the node's score.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go``
(PreFilter: Skip for a pod with neither nodeSelector nor required affinity, the node names a
``matchFields`` ``metadata.name`` ``In`` term allows, "pod affinity terms conflict" when
every term's names cancel out; Filter: "node(s) didn't match Pod's node affinity/selector",
and "node(s) didn't match scheduler-enforced node affinity" for the plugin's
``addedAffinity`` argument; Score: the sum of the weights of the preferred terms that
match, normalised by ``helper.DefaultNormalizeScore`` to 0..100) and
``staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
(terms are ORed, requirements in a term ANDed; an empty term matches nothing; a term that
does not parse is skipped; ``matchFields`` allows only ``In``/``NotIn`` with one value and is
ignored for a node without a name; Gt/Lt compare integers).

Simplified: no EventsToRegister/QueueingHint (the queue moves every unschedulable pod on any
node event); a preferred term that does not parse is left out of the score instead of
failing the scheduling cycle with an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...api.labels import DOES_NOT_EXIST, EXISTS, GREATER_THAN, IN, LESS_THAN, NOT_IN, Selector, new_requirement
from ..framework import (ERROR, OK, SKIP, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState, NodeInfo, Status,
                         default_normalize)

OBJECT_NAME_FIELD = "metadata.name"  # metav1.ObjectNameField, the only field matchFields may name
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
PRE_FILTER_STATE_KEY = "PreFilterNodeAffinity"
PRE_SCORE_STATE_KEY = "PreScoreNodeAffinity"

_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST,
              "Gt": GREATER_THAN, "Lt": LESS_THAN}


# -- component-helpers/scheduling/corev1/nodeaffinity -------------------------------------------

@dataclass(frozen=True)
class NodeSelectorTerm:
    """One parsed term: a label selector (matchExpressions), field terms (matchFields), and the
    errors that make it match nothing."""
    labels: Optional[Selector]
    fields: Optional[tuple]          # ((field, "In"|"NotIn", value), ...), ANDed
    errors: tuple = ()

    def match(self, node: dict) -> tuple[bool, tuple]:
        if self.errors:
            return False, self.errors
        meta = node.get("metadata") or {}
        if self.labels is not None and not self.labels.matches(meta.get("labels")):
            return False, ()
        name = meta.get("name") or ""
        if self.fields is not None and name:        # a node without a name has no fields to match
            node_fields = {OBJECT_NAME_FIELD: name}
            for key, op, value in self.fields:
                if (node_fields.get(key, "") == value) != (op == "In"):
                    return False, ()
        return True, ()


def is_empty_term(term: Optional[dict]) -> bool:
    return not (term or {}).get("matchExpressions") and not (term or {}).get("matchFields")


def parse_term(term: dict, path: str = "") -> NodeSelectorTerm:
    """newNodeSelectorTerm: matchExpressions as a label selector, matchFields as a field selector."""
    errs, selector, fields = [], None, None
    exprs = term.get("matchExpressions") or []
    if exprs:
        reqs = []
        for i, e in enumerate(exprs):
            op = _OPERATORS.get(e.get("operator"))
            if op is None:
                errs.append(f'{path}matchExpressions[{i}].operator: Unsupported value: "{e.get("operator")}": '
                            f'supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"')
                continue
            try:
                reqs.append(new_requirement(e.get("key", ""), op, e.get("values") or ()))
            except ValueError as error:
                errs.append(f"{path}matchExpressions[{i}]: {error}")
        selector = Selector(reqs)
    field_reqs = term.get("matchFields") or []
    if field_reqs:
        parsed = []
        for i, f in enumerate(field_reqs):
            op, values = f.get("operator"), f.get("values") or []
            if op not in ("In", "NotIn"):
                errs.append(f'{path}matchFields[{i}].operator: Unsupported value: "{op}": '
                            f'supported values: "In", "NotIn"')
            elif len(values) != 1:
                errs.append(f"{path}matchFields[{i}].values: Invalid value: {values}: must have one element")
            else:
                parsed.append((f.get("key", ""), op, values[0]))
        fields = tuple(parsed)
    return NodeSelectorTerm(selector, fields, tuple(errs))


class NodeSelector:
    """LazyErrorNodeSelector: terms ORed; empty terms dropped; parse errors only matter when nothing
    matched (and are then ignored by the plugin "for backwards compatibility")."""

    def __init__(self, node_selector: dict, path: str = ""):
        self.terms = [parse_term(t, f"{path}nodeSelectorTerms[{i}].")
                      for i, t in enumerate(node_selector.get("nodeSelectorTerms") or [])
                      if not is_empty_term(t)]

    def errors(self) -> tuple:
        return tuple(e for t in self.terms for e in t.errors)

    def match(self, node: dict) -> bool:
        return any(t.match(node)[0] for t in self.terms)


class RequiredNodeAffinity:
    """GetRequiredNodeAffinity: the pod's nodeSelector (every label) and its required affinity."""

    def __init__(self, pod: dict):
        spec = pod.get("spec") or {}
        node_selector = spec.get("nodeSelector")
        self.label_selector = Selector.from_set(node_selector) if node_selector else None
        required = _required(pod)
        self.node_selector = NodeSelector(required) if required is not None else None

    def match(self, node: dict) -> bool:
        if self.label_selector is not None and \
                not self.label_selector.matches((node.get("metadata") or {}).get("labels")):
            return False
        return self.node_selector is None or self.node_selector.match(node)


class PreferredSchedulingTerms:
    """NewPreferredSchedulingTerms: terms of weight 0 and empty terms are skipped."""

    def __init__(self, terms: list):
        self.terms: list[tuple[NodeSelectorTerm, int]] = []
        self.errors: list[str] = []
        for i, t in enumerate(terms or []):
            preference = t.get("preference") or {}
            if not t.get("weight") or is_empty_term(preference):
                continue
            parsed = parse_term(preference, f"[{i}].preference.")
            if parsed.errors:
                self.errors.extend(parsed.errors)
            else:
                self.terms.append((parsed, int(t["weight"])))

    def score(self, node: dict) -> int:
        return sum(weight for term, weight in self.terms if term.match(node)[0])


def _node_affinity(pod: dict) -> Optional[dict]:
    return ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity")


def _required(pod: dict) -> Optional[dict]:
    return (_node_affinity(pod) or {}).get("requiredDuringSchedulingIgnoredDuringExecution")


# -- the plugin ------------------------------------------------------------------------------------

class NodeAffinity:
    NAME = "NodeAffinity"

    def __init__(self, added_affinity: Optional[dict] = None):
        """``added_affinity`` is ``NodeAffinityArgs.addedAffinity``: node affinity every pod of the
        profile must also satisfy (required) or prefers (preferred)."""
        self.added_node_selector: Optional[NodeSelector] = None
        self.added_pref_terms: Optional[PreferredSchedulingTerms] = None
        added = added_affinity or {}
        if added.get("requiredDuringSchedulingIgnoredDuringExecution") is not None:
            self.added_node_selector = NodeSelector(added["requiredDuringSchedulingIgnoredDuringExecution"])
            if self.added_node_selector.errors():
                raise ValueError("parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: "
                                 + "; ".join(self.added_node_selector.errors()))
        if added.get("preferredDuringSchedulingIgnoredDuringExecution"):
            self.added_pref_terms = PreferredSchedulingTerms(added["preferredDuringSchedulingIgnoredDuringExecution"])
            if self.added_pref_terms.errors:
                raise ValueError("parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: "
                                 + "; ".join(self.added_pref_terms.errors))

    def pre_filter(self, state: CycleState, pod: dict) -> tuple[Optional[tuple], Status]:
        """The node names the pod can only go to (sorted), or None for "any node"; and a Status.

        A term whose ``matchFields`` name nodes (``metadata.name In``) limits that term to those
        nodes (the intersection, if it names them twice); terms are ORed, so the result is the
        union, unless some term names no node, which leaves every node possible. Worked example:
        terms [{In [a]}, {In [b]}] give (a, b); one term {In [a]} and {In [b]} gives nothing at
        all, "pod affinity terms conflict".
        """
        required = _required(pod)
        if required is None and self.added_node_selector is None and \
                (pod.get("spec") or {}).get("nodeSelector") is None:
            return None, Status(SKIP, (), self.NAME)
        state[PRE_FILTER_STATE_KEY] = RequiredNodeAffinity(pod)
        terms = (required or {}).get("nodeSelectorTerms") or []
        if not terms:
            return None, OK
        names: Optional[set] = None
        for term in terms:
            term_names: Optional[set] = None
            for r in term.get("matchFields") or []:
                if r.get("key") == OBJECT_NAME_FIELD and r.get("operator") == "In":
                    values = set(r.get("values") or [])
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None, OK
            names = term_names if names is None else names | term_names
        if not names:
            return None, Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_CONFLICT,), self.NAME)
        return tuple(sorted(names)), OK

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        node = node_info.node
        if self.added_node_selector is not None and not self.added_node_selector.match(node):
            return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_ENFORCED,), self.NAME)
        required = state.get(PRE_FILTER_STATE_KEY)
        if required is None:                    # PreFilter did not run: work it out here
            required = RequiredNodeAffinity(pod)
        if not required.match(node):
            return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, (ERR_REASON_POD,), self.NAME)
        return OK

    def _preferred(self, pod: dict) -> Optional[PreferredSchedulingTerms]:
        terms = (_node_affinity(pod) or {}).get("preferredDuringSchedulingIgnoredDuringExecution")
        return PreferredSchedulingTerms(terms) if terms is not None else None

    def pre_score(self, state: CycleState, pod: dict) -> Status:
        preferred = self._preferred(pod)
        if preferred is not None and preferred.errors:
            return Status(ERROR, tuple(preferred.errors), self.NAME)
        if preferred is None and self.added_pref_terms is None:
            return Status(SKIP, (), self.NAME)
        state[PRE_SCORE_STATE_KEY] = preferred
        return OK

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        count = self.added_pref_terms.score(node_info.node) if self.added_pref_terms is not None else 0
        if PRE_SCORE_STATE_KEY in state:
            preferred = state[PRE_SCORE_STATE_KEY]
        else:                                   # PreScore did not run: work it out once per cycle
            preferred = state[PRE_SCORE_STATE_KEY] = self._preferred(pod)
        if preferred is not None:
            count += preferred.score(node_info.node)
        return count

    def normalize(self, state: CycleState, pod: dict, scores: dict[str, int]) -> None:
        default_normalize(scores, reverse=False)
