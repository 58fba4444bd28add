"""The scheduling framework's types: NodeInfo, CycleState, Status, and plugin protocols.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/types.go`` (NodeInfo: the node, its
pods, and the sums of their requests; ``Resource``; the non-zero requests used for
scoring), ``cycle_state.go``, and ``interface.go`` (the Filter and Score extension
points, ``MaxNodeScore`` 100, ``Status`` codes).

Simplified: only the PreFilter, Filter, Score and NormalizeScore extension points exist
in this thin scheduler; Reserve/Permit/PreBind come with the scheduler chapter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol, runtime_checkable

from ..api.quantity import milli_value, parse_quantity, value

MAX_NODE_SCORE = 100
DEFAULT_MILLI_CPU_REQUEST = 100                 # pkg/scheduler/util/pod_resources.go
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

SUCCESS, UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE, ERROR = \
    "Success", "Unschedulable", "UnschedulableAndUnresolvable", "Error"
SKIP = "Skip"       # from PreFilter: this plugin has nothing to check for the pod


@dataclass(frozen=True, slots=True)
class Status:
    code: str = SUCCESS
    reasons: tuple = ()
    plugin: str = ""

    def is_success(self) -> bool:
        return self.code == SUCCESS


OK = Status()


@dataclass(slots=True)
class Resource:
    milli_cpu: int = 0
    memory: int = 0
    pods: int = 0

    def add(self, other: "Resource", sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory


def _quantity(resources: dict, name: str, milli: bool) -> int:
    raw = resources.get(name)
    if raw is None:
        return 0
    q = parse_quantity(raw)
    return milli_value(q) if milli else value(q)


def pod_requests(pod: dict, non_zero: bool = False) -> Resource:
    """Sum of the containers' requests, at least the largest init container's (``PodRequests``).

    ``non_zero`` gives containers without a cpu or memory request the scheduler's
    defaults (100m, 200Mi), which only scoring uses (``GetNonzeroRequests``).
    """
    spec = pod.get("spec", {})
    total = Resource()
    for c in spec.get("containers", ()):
        req = (c.get("resources") or {}).get("requests") or {}
        cpu, mem = _quantity(req, "cpu", True), _quantity(req, "memory", False)
        if non_zero:
            cpu = cpu if "cpu" in req else DEFAULT_MILLI_CPU_REQUEST
            mem = mem if "memory" in req else DEFAULT_MEMORY_REQUEST
        total.milli_cpu += cpu
        total.memory += mem
    for c in spec.get("initContainers", ()):
        req = (c.get("resources") or {}).get("requests") or {}
        total.milli_cpu = max(total.milli_cpu, _quantity(req, "cpu", True))
        total.memory = max(total.memory, _quantity(req, "memory", False))
    for name, amount in (spec.get("overhead") or {}).items():
        if name == "cpu":
            total.milli_cpu += milli_value(parse_quantity(amount))
        elif name == "memory":
            total.memory += value(parse_quantity(amount))
    return total


class NodeInfo:
    """A node and what is placed on it. ``requested`` sums the pods' requests."""

    __slots__ = ("node", "name", "pods", "requested", "non_zero_requested", "allocatable", "generation")

    def __init__(self, node: dict):
        self.pods: dict[str, tuple[Resource, Resource]] = {}   # pod key -> (requests, non-zero requests)
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.generation = 0
        self.set_node(node)

    def set_node(self, node: dict) -> None:
        self.node = node
        self.name = node["metadata"]["name"]
        alloc = node.get("status", {}).get("allocatable") or {}
        self.allocatable = Resource(_quantity(alloc, "cpu", True), _quantity(alloc, "memory", False),
                                    _quantity(alloc, "pods", False))
        self.generation += 1

    def add_pod(self, key: str, pod: dict) -> None:
        if key in self.pods:
            return
        req, non_zero = pod_requests(pod), pod_requests(pod, non_zero=True)
        self.pods[key] = (req, non_zero)
        self.requested.add(req)
        self.non_zero_requested.add(non_zero)
        self.generation += 1

    def remove_pod(self, key: str) -> None:
        entry = self.pods.pop(key, None)
        if entry is not None:
            self.requested.add(entry[0], -1)
            self.non_zero_requested.add(entry[1], -1)
            self.generation += 1


class CycleState(dict):
    """Per-pod scratch space shared by the plugins during one scheduling cycle."""


@runtime_checkable
class PreFilterPlugin(Protocol):
    NAME: str

    def pre_filter(self, state: CycleState, pod: dict) -> tuple[Optional[tuple], Status]:
        """(the only node names the pod may go to, or None for all; a Status, SKIP included)."""


@runtime_checkable
class FilterPlugin(Protocol):
    NAME: str

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status: ...


@runtime_checkable
class ScorePlugin(Protocol):
    NAME: str

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int: ...

    def normalize(self, state: CycleState, pod: dict, scores: dict[str, int]) -> None: ...


@dataclass
class Profile:
    """One scheduler profile: its name (``schedulerName``), filters and weighted scorers."""
    scheduler_name: str
    filters: list = field(default_factory=list)
    scorers: list = field(default_factory=list)     # (plugin, weight)
    pre_filters: list = field(default_factory=list)

    def __post_init__(self) -> None:
        for plugin in self.pre_filters:
            if not isinstance(plugin, PreFilterPlugin):
                raise TypeError(f"{plugin!r} is not a PreFilterPlugin")
        for plugin in self.filters:
            if not isinstance(plugin, FilterPlugin):
                raise TypeError(f"{plugin!r} is not a FilterPlugin")
        for plugin, _ in self.scorers:
            if not isinstance(plugin, ScorePlugin):
                raise TypeError(f"{plugin!r} is not a ScorePlugin")


def tolerates(tolerations: list, taint: dict) -> bool:
    """``v1helper.TolerationsTolerateTaint``: does any toleration match this taint?"""
    for t in tolerations or ():
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        key = t.get("key", "")
        if key and key != taint.get("key"):
            continue
        op = t.get("operator") or "Equal"
        if op == "Exists" or (op == "Equal" and t.get("value", "") == taint.get("value", "")):
            if not key and op != "Exists":
                continue
            return True
    return False


def no_score(state: CycleState, pod: dict, scores: dict[str, int]) -> None:
    """NormalizeScore for plugins whose raw scores are already 0..100."""


def default_normalize(scores: dict[str, int], reverse: bool) -> None:
    """``helper.DefaultNormalizeScore``: scale to 0..100 by the maximum, optionally reversed."""
    top = max(scores.values(), default=0)
    for name, score in scores.items():
        if top == 0:
            scores[name] = MAX_NODE_SCORE if reverse else 0
        else:
            scaled = MAX_NODE_SCORE * score // top
            scores[name] = MAX_NODE_SCORE - scaled if reverse else scaled

