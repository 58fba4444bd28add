"""The node IPAM controller: give each Node a pod CIDR carved from the cluster CIDR.

Mirrors kubernetes v1.31 ``pkg/controller/nodeipam/ipam/range_allocator.go``
(``--cluster-cidr`` split into ``--node-cidr-mask-size`` blocks, /24 by default;
a cursor hands out the next free block after the last one given; ``spec.podCIDR`` and ``spec.podCIDRs``
are set once by a strategic merge patch; blocks already on nodes are marked used at start).

Simplified: IPv4 only.
"""
from __future__ import annotations

import ipaddress

from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

NODES = SCHEME.by_resource("", "nodes")


class NodeIpamController(Controller):
    NAME = "nodeipam"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 cluster_cidr: str, node_mask: int = 24):
        super().__init__(kernel, workers=1)
        self.client, self.recorder = client, recorder
        self.cidrs = list(ipaddress.ip_network(cluster_cidr).subnets(new_prefix=node_mask))
        self.used: dict[str, None] = {}
        self.next_free = 0
        self.informer = factory.informer(NODES)
        self.informer.add_event_handler(self._on_node, lambda old, new: self._on_node(new), self._on_delete)

    def _on_node(self, node: dict) -> None:
        cidr = node.get("spec", {}).get("podCIDR")
        if cidr:
            self.used[cidr] = None
        else:
            self.enqueue(node["metadata"]["name"])

    def _on_delete(self, node: dict) -> None:
        self.used.pop(node.get("spec", {}).get("podCIDR", ""), None)

    def _allocate(self) -> str:
        for _ in range(len(self.cidrs)):
            cidr = str(self.cidrs[self.next_free])
            self.next_free = (self.next_free + 1) % len(self.cidrs)
            if cidr not in self.used:
                self.used[cidr] = None
                return cidr
        raise RuntimeError("CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")

    async def sync(self, name: str) -> None:
        node = self.informer.lister.get("", name)
        if node is None or node.get("spec", {}).get("podCIDR"):
            return
        cidr = self._allocate()
        try:
            # nodeutil.PatchNodeCIDRs: a strategic merge patch, so the kubelet's status writes cannot conflict.
            await self.client.patch(NODES, "", name, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
        except Exception:
            self.used.pop(cidr, None)
            raise
