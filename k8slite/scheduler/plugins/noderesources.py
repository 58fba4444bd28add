"""NodeResourcesFit (filter: does the pod fit?) and its LeastAllocated score, and
NodeResourcesBalancedAllocation.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/noderesources/fit.go``
(``fitsRequest``: "Too many pods", "Insufficient cpu", "Insufficient memory"),
``least_allocated.go`` (``(allocatable - requested) * 100 / allocatable`` per resource,
weighted mean, integer arithmetic) and ``balanced_allocation.go`` (``(1 - std) * 100``
of the requested fractions).

Simplified: cpu and memory only (no extended resources or ephemeral storage); the
scoring strategy is LeastAllocated, the default (MostAllocated and
RequestedToCapacityRatio come with the scheduling-policy chapter).
"""
from __future__ import annotations

import math

from ..framework import (MAX_NODE_SCORE, OK, UNSCHEDULABLE, CycleState, NodeInfo, Status, no_score,
                         pod_requests)


class Fit:
    NAME = "NodeResourcesFit"

    def __init__(self, weights: tuple = (("cpu", 1), ("memory", 1))):
        self.weights = weights

    def _requests(self, state: CycleState, pod: dict):
        req = state.get("PreFilterNodeResourcesFit")
        if req is None:
            req = state["PreFilterNodeResourcesFit"] = (pod_requests(pod), pod_requests(pod, non_zero=True))
        return req

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        req, _ = self._requests(state, pod)
        alloc, used = node_info.allocatable, node_info.requested
        reasons = []
        if len(node_info.pods) + 1 > alloc.pods:
            reasons.append("Too many pods")
        if req.milli_cpu and req.milli_cpu > alloc.milli_cpu - used.milli_cpu:
            reasons.append("Insufficient cpu")
        if req.memory and req.memory > alloc.memory - used.memory:
            reasons.append("Insufficient memory")
        return Status(UNSCHEDULABLE, tuple(reasons), self.NAME) if reasons else OK

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        _, non_zero = self._requests(state, pod)
        alloc, used = node_info.allocatable, node_info.non_zero_requested
        total = weight_sum = 0
        for resource, weight in self.weights:
            if resource == "cpu":
                capacity, requested = alloc.milli_cpu, used.milli_cpu + non_zero.milli_cpu
            else:
                capacity, requested = alloc.memory, used.memory + non_zero.memory
            score = 0 if capacity == 0 or requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity
            total += score * weight
            weight_sum += weight
        return total // weight_sum if weight_sum else 0

    normalize = staticmethod(no_score)


class BalancedAllocation:
    NAME = "NodeResourcesBalancedAllocation"

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        req = state.get("PreFilterNodeResourcesFit")
        non_zero = req[1] if req else pod_requests(pod, non_zero=True)
        alloc, used = node_info.allocatable, node_info.non_zero_requested
        fractions = []
        for capacity, requested in ((alloc.milli_cpu, used.milli_cpu + non_zero.milli_cpu),
                                    (alloc.memory, used.memory + non_zero.memory)):
            if capacity:
                fractions.append(min(requested / capacity, 1.0))
        if len(fractions) < 2:
            return MAX_NODE_SCORE
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
        return int((1 - std) * MAX_NODE_SCORE)

    normalize = staticmethod(no_score)
