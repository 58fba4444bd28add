"""TaintToleration: a node's NoSchedule/NoExecute taints must be tolerated; fewer
untolerated PreferNoSchedule taints score higher.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``
(the reason ``node(s) had untolerated taint {key: value}``; the score counts
intolerable PreferNoSchedule taints and is normalised in reverse).
"""
from __future__ import annotations

from ..framework import (OK, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState, NodeInfo, Status, default_normalize,
                         tolerates)


class TaintToleration:
    NAME = "TaintToleration"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        tolerations = pod["spec"].get("tolerations") or ()
        for taint in node_info.node.get("spec", {}).get("taints") or ():
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
                return Status(UNSCHEDULABLE_AND_UNRESOLVABLE,
                              (f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}",),
                              self.NAME)
        return OK

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        tolerations = [t for t in pod["spec"].get("tolerations") or () if t.get("effect") in (None, "", "PreferNoSchedule")]
        return sum(1 for taint in node_info.node.get("spec", {}).get("taints") or ()
                   if taint.get("effect") == "PreferNoSchedule" and not tolerates(tolerations, taint))

    def normalize(self, state: CycleState, pod: dict, scores: dict[str, int]) -> None:
        default_normalize(scores, reverse=True)
