"""The endpoints controller: one Endpoints object per Service with a selector, listing its pods.

Mirrors kubernetes v1.31 ``pkg/controller/endpoint/endpoints_controller.go``
(syncService: the ready pods' addresses go to ``addresses``, the others to
``notReadyAddresses``, one port per service port with the target port resolved on
each pod; ``RepackSubsets`` groups addresses that offer the same ports; no write
when nothing changed; the ``endpoints.kubernetes.io/last-change-trigger-time``
annotation; truncation to 1000 addresses with ``over-capacity``; Endpoints of a
deleted Service are deleted; ``checkLeftoverEndpoints`` at start) and the helpers
it shares with the EndpointSlice controller: ``pkg/api/v1/pod/util.go`` FindPort,
``staging/src/k8s.io/endpointslice/util/controller_utils.go``
(ShouldPodBeInEndpoints, GetPodServiceMemberships, GetServicesToUpdateOnPodChange,
podEndpointsChanged) and ``trigger_time_tracker.go``.

Simplified: subsets and ports are ordered by their contents rather than by a hash of
Go's printed structs; IPv4 only; no ``hostname``/``subdomain`` handling; no
``endpointUpdatesBatchPeriod`` (0 by default upstream).
"""
from __future__ import annotations

import copy
import math
from typing import Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

PODS = SCHEME.by_resource("", "pods")
SERVICES = SCHEME.by_resource("", "services")
ENDPOINTS = SCHEME.by_resource("", "endpoints")
LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
HEADLESS = "service.kubernetes.io/headless"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
MAX_CAPACITY = 1000


# -- helpers shared with the EndpointSlice controller ------------------------------------
def is_pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def pod_ready_condition(pod: dict) -> Optional[dict]:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def should_pod_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """Terminal pods (Succeeded, Failed) and pods without an IP never are; terminating ones only if asked."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    if not include_terminating and pod["metadata"].get("deletionTimestamp"):
        return False
    return True


def service_selector(service: dict) -> Optional[Selector]:
    """A Service's selector, or None when it has none: such a Service's endpoints are the user's."""
    selector = (service.get("spec") or {}).get("selector")
    return Selector.from_set(selector) if selector else None


def find_port(pod: dict, service_port: dict) -> Optional[int]:
    """FindPort: a number is the port; a name is looked up among the containers' ports of the
    service port's protocol. None when no container names it."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    containers = list(pod["spec"].get("containers") or ())
    containers += [c for c in pod["spec"].get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or ():
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port["containerPort"]
    return None


def pod_service_memberships(services, pod: dict) -> list[str]:
    """GetPodServiceMemberships: keys of the Services in the pod's namespace whose selector matches it."""
    labels = pod["metadata"].get("labels") or {}
    keys = []
    for service in services.list(pod["metadata"]["namespace"]):
        selector = service_selector(service)
        if selector is not None and selector.matches(labels):
            keys.append(meta_namespace_key(service))
    return keys


def pod_endpoints_changed(old: dict, new: dict) -> tuple[bool, bool]:
    """podEndpointsChanged: (did anything an endpoint shows change, did the labels change)."""
    labels_changed = (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}) or \
        old["spec"].get("hostname") != new["spec"].get("hostname") or \
        old["spec"].get("subdomain") != new["spec"].get("subdomain")
    if old["metadata"].get("deletionTimestamp") != new["metadata"].get("deletionTimestamp"):
        return True, labels_changed
    if is_pod_ready(old) != is_pod_ready(new):
        return True, labels_changed
    old_ips = [p.get("ip") for p in (old.get("status") or {}).get("podIPs") or ()]
    new_ips = [p.get("ip") for p in (new.get("status") or {}).get("podIPs") or ()]
    return old_ips != new_ips, labels_changed


def services_to_update_on_pod_change(services, old: dict, new: dict) -> list[str]:
    """GetServicesToUpdateOnPodChange: the Services a pod update concerns."""
    if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
        return []
    pod_changed, labels_changed = pod_endpoints_changed(old, new)
    if not pod_changed and not labels_changed:
        return []
    keys = pod_service_memberships(services, new)
    if labels_changed:
        old_keys = pod_service_memberships(services, old)
        if pod_changed:                # determineNeededServiceUpdates: the union ...
            keys = keys + [k for k in old_keys if k not in keys]
        else:                          # ... or only those the pod joined or left
            keys = [k for k in keys if k not in old_keys] + [k for k in old_keys if k not in keys]
    return keys


class TriggerTimeTracker:
    """trigger_time_tracker.go: the earliest change (a pod's Ready transition, or the Service's creation)
    that the next Endpoints write reflects. Invariant: ``states[key]`` holds the trigger times seen at
    the last sync of that Service, so only newer ones count."""

    def __init__(self):
        self.states: dict[str, tuple[dict[str, float], float]] = {}

    def compute(self, key: str, service: dict, pods: list[dict]) -> Optional[float]:
        known = key in self.states
        last_pods, last_service = self.states.get(key, ({}, -math.inf))
        changed: Optional[float] = None
        pod_times: dict[str, float] = {}
        for pod in pods:
            condition = pod_ready_condition(pod)
            if condition is None or not condition.get("lastTransitionTime"):
                continue
            t = parse_rfc3339(condition["lastTransitionTime"])
            pod_times[pod["metadata"]["name"]] = t
            if t > last_pods.get(pod["metadata"]["name"], -math.inf):
                changed = t if changed is None else min(changed, t)
        service_time = parse_rfc3339(service["metadata"]["creationTimestamp"])
        if service_time > last_service:
            changed = service_time if changed is None else min(changed, service_time)
        self.states[key] = (pod_times, service_time)
        return service_time if not known else changed

    def delete_service(self, key: str) -> None:
        self.states.pop(key, None)


# -- the Endpoints object -------------------------------------------------------------------
def pod_to_endpoint_address(pod: dict) -> dict:
    return {"ip": pod["status"].get("podIP") or pod["status"]["podIPs"][0]["ip"],
            "nodeName": pod["spec"].get("nodeName", ""),
            "targetRef": {"kind": "Pod", "namespace": pod["metadata"]["namespace"],
                          "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}


def endpoint_port(service_port: dict, number: int) -> dict:
    port = {"name": service_port.get("name", ""), "port": number, "protocol": service_port.get("protocol", "TCP")}
    if not port["name"]:
        del port["name"]
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _address_key(address: dict) -> tuple:
    return address["ip"], (address.get("targetRef") or {}).get("uid", "")


def _port_key(port: dict) -> tuple:
    return port.get("name", ""), port["port"], port.get("protocol", ""), port.get("appProtocol", "")


def repack_subsets(subsets: list[dict]) -> list[dict]:
    """RepackSubsets: one subset per distinct set of (address, ready) that offers the same ports.
    Not ready trumps ready: an address unready for a port is listed unready for it."""
    addresses: dict[tuple, dict] = {}
    port_to_ready: dict[tuple, dict[tuple, bool]] = {}
    ports: dict[tuple, Optional[dict]] = {}
    for subset in subsets:
        for port in subset.get("ports") or [None]:
            pkey = _port_key(port) if port is not None else ("", -1, "", "")
            ports[pkey] = port
            ready_map = port_to_ready.setdefault(pkey, {})
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for address in subset.get(field) or ():
                    akey = _address_key(address)
                    addresses.setdefault(akey, address)
                    if ready_map.get(akey, True):
                        ready_map[akey] = ready
    groups: dict[tuple, list[dict]] = {}
    for pkey, ready_map in port_to_ready.items():
        group = tuple(sorted(ready_map.items()))
        bucket = groups.setdefault(group, [])
        if ports[pkey] is not None:
            bucket.append(ports[pkey])
    final = []
    for group, group_ports in groups.items():
        subset: dict = {}
        ready = [addresses[k] for k, r in group if r]
        not_ready = [addresses[k] for k, r in group if not r]
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if group_ports:
            subset["ports"] = sorted(group_ports, key=_port_key)
        final.append(subset)
    return sorted(final, key=lambda s: (s.get("ports") and [_port_key(p) for p in s["ports"]] or [],
                                        [_address_key(a) for a in s.get("addresses", [])],
                                        [_address_key(a) for a in s.get("notReadyAddresses", [])]))


def truncate_endpoints(subsets: list[dict]) -> bool:
    """truncateEndpoints: keep at most 1000 addresses, not-ready ones first to go, each subset its share."""
    total_ready = sum(len(s.get("addresses") or ()) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or ()) for s in subsets)
    if total_ready + total_not_ready <= MAX_CAPACITY:
        return False
    truncate_ready = total_ready > MAX_CAPACITY
    limit, total = (MAX_CAPACITY, total_ready) if truncate_ready else (MAX_CAPACITY - total_ready, total_not_ready)
    can_be_added = limit
    for subset in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        to_add = min(math.ceil(len(subset.get(field) or ()) / total * limit), can_be_added)
        can_be_added -= to_add
        subset[field] = (subset.get(field) or [])[:to_add]
        if truncate_ready:
            subset.pop("notReadyAddresses", None)
        if not subset[field]:
            del subset[field]
    return True


def _capacity_annotation_set_correctly(annotations: dict, subsets: list[dict]) -> bool:
    if OVER_CAPACITY not in annotations:
        return True
    total = sum(len(s.get("addresses") or ()) + len(s.get("notReadyAddresses") or ()) for s in subsets)
    return total > MAX_CAPACITY


class ServiceEndpointsController(Controller):
    """What the Endpoints and EndpointSlice controllers share: a Service's key is queued when it,
    or a pod it selects (before or after the change), changes."""

    def _service_changed(self, service: dict) -> None:
        self.enqueue(meta_namespace_key(service))

    def _pod_added(self, pod: dict) -> None:
        for key in pod_service_memberships(self.services.lister, pod):
            self.enqueue(key)

    def _pod_updated(self, old: dict, pod: dict) -> None:
        for key in services_to_update_on_pod_change(self.services.lister, old, pod):
            self.enqueue(key)


class EndpointsController(ServiceEndpointsController):
    NAME = "endpoint"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory,
                 recorder: EventRecorder, workers: int = 5):
        super().__init__(kernel, workers)
        self.client, self.recorder = client, recorder
        self.services = factory.informer(SERVICES)
        self.pods = factory.informer(PODS)
        self.endpoints = factory.informer(ENDPOINTS)
        self.trigger_times = TriggerTimeTracker()
        self.services.add_event_handler(self._service_changed, lambda old, new: self._service_changed(new),
                                        self._service_changed)
        self.pods.add_event_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        self.endpoints.add_event_handler(on_delete=self._endpoints_deleted)

    # -- event handlers -------------------------------------------------------------------
    def _pod_deleted(self, pod: dict) -> None:
        self._pod_added(pod)

    def _endpoints_deleted(self, endpoints: dict) -> None:
        """onEndpointsDelete: someone deleted what we keep: put it back if its Service wants it."""
        key = meta_namespace_key(endpoints)
        if self.services.lister.get(endpoints["metadata"]["namespace"], endpoints["metadata"]["name"]) is not None:
            self.enqueue(key)

    def run(self, owner: str) -> None:
        self.check_leftover_endpoints()
        super().run(owner)

    def check_leftover_endpoints(self) -> None:
        """checkLeftoverEndpoints: sync every existing Endpoints' key, so those of Services deleted
        while no controller ran are cleaned up. Leader-election records are not ours."""
        for endpoints in self.endpoints.lister.list():
            if LEADER_ANNOTATION in (endpoints["metadata"].get("annotations") or {}):
                continue
            self.enqueue(meta_namespace_key(endpoints))

    # -- syncService -----------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        service = self.services.lister.get(namespace, name)
        if service is None:
            # The Service is gone: delete its Endpoints (a 404 means it is done already).
            if self.endpoints.lister.get(namespace, name) is not None:
                try:
                    await self.client.delete(ENDPOINTS, namespace, name)
                except errors.StatusError as error:
                    if error.code != 404:
                        raise
            self.trigger_times.delete_service(key)
            return
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return
        selector = service_selector(service)
        if selector is None:
            return                       # without a selector, the user manages the Endpoints
        pods = sorted(self.pods.lister.list(namespace, selector), key=lambda p: p["metadata"]["name"])
        trigger_time = self.trigger_times.compute(key, service, pods)
        publish_not_ready = bool(spec.get("publishNotReadyAddresses"))
        subsets = []
        for pod in pods:
            if not should_pod_be_in_endpoints(pod, publish_not_ready):
                continue
            address = pod_to_endpoint_address(pod)
            ready = publish_not_ready or is_pod_ready(pod)
            field = "addresses" if ready else "notReadyAddresses"
            if not spec.get("ports"):
                if spec.get("clusterIP") == "None":      # a headless Service may have no ports
                    subsets.append({field: [address]})
                continue
            for service_port in spec["ports"]:
                number = find_port(pod, service_port)
                if number is None:
                    continue
                subsets.append({field: [address], "ports": [endpoint_port(service_port, number)]})
        subsets = repack_subsets(subsets)

        current = self.endpoints.lister.get(namespace, name)
        create = current is None
        if current is None:
            current = {"apiVersion": "v1", "kind": "Endpoints",
                       "metadata": {"name": name, "namespace": namespace}}
        labels = service["metadata"].get("labels") or {}
        current_labels = {k: v for k, v in (current["metadata"].get("labels") or {}).items() if k != HEADLESS}
        annotations = current["metadata"].get("annotations") or {}
        if not create and (current.get("subsets") or []) == subsets and current_labels == labels and \
                _capacity_annotation_set_correctly(annotations, current.get("subsets") or []):
            return
        new = copy.deepcopy(current)
        meta = new["metadata"]
        annotations = meta.setdefault("annotations", {})
        if trigger_time is not None:
            annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339(trigger_time)
        else:
            annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
        if truncate_endpoints(subsets):
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        if not annotations:
            del meta["annotations"]
        new_labels = dict(labels)
        if spec.get("clusterIP") in (None, "", "None"):
            new_labels[HEADLESS] = ""
        if new_labels:
            meta["labels"] = new_labels
        else:
            meta.pop("labels", None)
        if subsets:
            new["subsets"] = subsets
        else:
            new.pop("subsets", None)         # omitempty: no subsets is no field
        try:
            if create:
                await self.client.create(ENDPOINTS, namespace, new)
            else:
                await self.client.update(ENDPOINTS, new)
        except errors.StatusError as error:
            if create and error.code == 403 and "because it is being terminated" in str(error):
                return                   # the namespace is terminating: drop the key
            verb, what = ("FailedToCreateEndpoint", f"Failed to create endpoint for service {key}") if create \
                else ("FailedToUpdateEndpoint", f"Failed to update endpoint {key}")
            self.recorder.event(new, "Warning", verb, f"{what}: {error}")
            raise
