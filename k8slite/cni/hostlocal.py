"""CNI on a node: the bridge plugin with host-local IPAM, as kubeadm clusters commonly run.

Mirrors containernetworking/plugins v1.5 ``plugins/ipam/host-local`` (addresses from
the node's pod CIDR, handed out in order from the first address after the gateway,
released on DEL) and ``plugins/main/bridge`` (the ``cni0`` bridge whose address is the
gateway ``.1``).

Simplified: no network namespaces or veth pairs exist; an ADD returns the address a
pod would get and records it; routing between nodes comes with the networking chapter.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional


class IPAMExhausted(Exception):
    """host-local's "no IP addresses available in range set"."""


@dataclass(frozen=True, slots=True)
class CNIResult:
    interface: str
    ip: str
    gateway: str


class BridgePlugin:
    """``cni0`` with host-local IPAM over one node's pod CIDR."""

    def __init__(self, pod_cidr: str, bridge: str = "cni0"):
        self.network = ipaddress.ip_network(pod_cidr)
        self.bridge = bridge
        self.gateway = str(self.network.network_address + 1)
        self.allocated: dict[str, str] = {}       # ip -> container (sandbox) id
        self._last = self.network.network_address + 1

    def add(self, container_id: str) -> CNIResult:
        """CNI ADD: the next free address after the last one handed out (host-local's order)."""
        size = self.network.num_addresses - 3     # network, gateway, broadcast
        candidate = self._last
        for _ in range(size):
            candidate = candidate + 1
            if candidate >= self.network.broadcast_address:
                candidate = self.network.network_address + 2
            ip = str(candidate)
            if ip not in self.allocated:
                self.allocated[ip] = container_id
                self._last = candidate
                return CNIResult("eth0", ip, self.gateway)
        raise IPAMExhausted(f"failed to allocate for range 0: no IP addresses available in range set: "
                            f"{self.network.network_address + 1}-{self.network.broadcast_address - 1}")

    def delete(self, container_id: str) -> Optional[str]:
        """CNI DEL: release the sandbox's address."""
        for ip, owner in list(self.allocated.items()):
            if owner == container_id:
                del self.allocated[ip]
                return ip
        return None
