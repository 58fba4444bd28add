"""NodeUnschedulable and NodeName: cordoned nodes, and pods that name their node.

Mirrors kubernetes v1.31 ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``
("node(s) were unschedulable", unless the pod tolerates
``node.kubernetes.io/unschedulable:NoSchedule``) and ``nodename/node_name.go``
("node(s) didn't match the requested node name").
"""
from __future__ import annotations

from ..framework import OK, UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState, NodeInfo, Status, tolerates

UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    NAME = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        if not node_info.node.get("spec", {}).get("unschedulable"):
            return OK
        if tolerates(pod["spec"].get("tolerations"), UNSCHEDULABLE_TAINT):
            return OK
        return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) were unschedulable",), self.NAME)


class NodeName:
    NAME = "NodeName"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status:
        wanted = pod["spec"].get("nodeName")
        if wanted and wanted != node_info.name:
            return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) didn't match the requested node name",), self.NAME)
        return OK
