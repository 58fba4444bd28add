"""The EndpointSlice controller: each Service's pods as EndpointSlices of at most 100 endpoints.

Mirrors kubernetes v1.31 ``pkg/controller/endpointslice/endpointslice_controller.go``
(syncService: Services without a selector are left alone; slices are found by the
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by`` labels;
a sync waits while the informer has not yet seen this controller's own writes) and
``staging/src/k8s.io/endpointslice/reconciler.go`` (reconcileByAddressType: group
pods by the ports they offer; reconcileByPortMapping: keep endpoints in the slice
that has them, update changed ones, fill slices being updated, then the fullest
unchanged slice that can take the rest, then new slices; a placeholder slice with
no endpoints when a Service has none; finalize turns a create plus a delete into an
update), ``utils.go`` (podToEndpoint: conditions ready, serving, terminating;
newEndpointSlice with generateName ``<service>-`` and a controller owner reference;
setEndpointSliceLabels), ``endpointslice_tracker.go`` (generations of the slices
this controller wrote, deletions it expects) and the trigger-time annotation.

Simplified: IPv4 only (the ``addressType`` of single-stack Services here); no
topology hints, no zone unless the node carries ``topology.kubernetes.io/zone``;
``PopAny`` takes the desired endpoints in pod-name order (upstream: map order).
"""
from __future__ import annotations

import copy
from typing import Optional

from ..api import errors
from ..api.meta import owner_reference, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel
from .endpoints import (HEADLESS, LAST_CHANGE_TRIGGER_TIME, ServiceEndpointsController, TriggerTimeTracker,
                        find_port, is_pod_ready, service_selector, should_pod_be_in_endpoints)

PODS = SCHEME.by_resource("", "pods")
NODES = SCHEME.by_resource("", "nodes")
SERVICES = SCHEME.by_resource("", "services")
ENDPOINTSLICES = SCHEME.by_resource("discovery.k8s.io", "endpointslices")
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"
RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, HEADLESS)
MAX_ENDPOINTS_PER_SLICE = 100
DELETION_EXPECTED = -1


class StaleInformerCache(errors.StatusError):
    """The informer has not caught up with this controller's own writes: retry later."""

    def __init__(self, message: str = "EndpointSlice informer cache is out of date"):
        super().__init__({"kind": "Status", "message": message, "code": 0})


def endpoint_hash(endpoint: dict) -> tuple:
    """hashEndpoint: an endpoint's identity is its addresses and target, not its conditions."""
    ref = endpoint.get("targetRef") or {}
    return tuple(sorted(endpoint.get("addresses") or ())), endpoint.get("hostname", ""), \
        ref.get("namespace", ""), ref.get("name", "")


def port_map_key(ports: list[dict]) -> tuple:
    """NewPortMapKey: the same set of ports, in any order, is one key."""
    return tuple(sorted((p.get("name") or "", p.get("port") or 0, p.get("protocol") or "", p.get("appProtocol") or "")
                        for p in ports))


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """getEndpointPorts: the Service's ports resolved on this pod; names are kept even when empty."""
    spec = service.get("spec") or {}
    if not spec.get("ports") and spec.get("clusterIP") == "None":
        return []
    ports = []
    for service_port in spec.get("ports") or ():
        number = find_port(pod, service_port)
        if number is None:
            continue
        port = {"name": service_port.get("name", ""), "port": number, "protocol": service_port.get("protocol", "TCP")}
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        ports.append(port)
    return ports


def pod_to_endpoint(pod: dict, node: Optional[dict], service: dict) -> dict:
    """podToEndpoint. A terminating pod is never ``ready`` (unless publishNotReadyAddresses), but
    may still be ``serving``."""
    serving = is_pod_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    status = pod.get("status") or {}
    addresses = [status["podIP"]] if status.get("podIP") else [ip["ip"] for ip in status.get("podIPs") or ()][:1]
    endpoint = {"addresses": addresses,
                "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
                "targetRef": {"kind": "Pod", "namespace": pod["metadata"]["namespace"],
                              "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}
    if pod["spec"].get("nodeName"):
        endpoint["nodeName"] = pod["spec"]["nodeName"]
    zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(LABEL_TOPOLOGY_ZONE)
    if zone:
        endpoint["zone"] = zone
    return endpoint


def desired_labels(service: dict) -> dict:
    """setEndpointSliceLabels: the Service's labels (reserved keys excepted), the headless mark,
    and the two labels that tie a slice to its Service and to this controller."""
    labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items() if k not in RESERVED_LABELS}
    if (service.get("spec") or {}).get("clusterIP") in (None, "", "None"):
        labels[HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = service["metadata"]["name"]
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    return labels


def new_endpoint_slice(service: dict, ports: list[dict], address_type: str = "IPv4") -> dict:
    owner = owner_reference({"apiVersion": "v1", "kind": "Service", "metadata": service["metadata"]})
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": f"{service['metadata']['name']}-",
                         "namespace": service["metadata"]["namespace"],
                         "labels": desired_labels(service), "ownerReferences": [owner]},
            "addressType": address_type, "endpoints": [], "ports": copy.deepcopy(ports)}


def owned_by(endpoint_slice: dict, service: dict) -> bool:
    return any(ref.get("uid") == service["metadata"]["uid"] and ref.get("kind") == "Service"
               for ref in endpoint_slice["metadata"].get("ownerReferences") or ())


def _is_placeholder_of(endpoint_slice: dict, service: dict) -> bool:
    """placeholderSliceCompare: same namespace, labels and address type, and no ports or endpoints."""
    return endpoint_slice["metadata"].get("namespace") == service["metadata"]["namespace"] and \
        (endpoint_slice["metadata"].get("labels") or {}) == desired_labels(service) and \
        endpoint_slice.get("addressType") == "IPv4" and not endpoint_slice.get("endpoints") and \
        not endpoint_slice.get("ports")


class EndpointSliceTracker:
    """endpointslice_tracker.go. Invariant: ``generations[service key][slice uid]`` is the generation this
    controller last wrote for that slice, or DELETION_EXPECTED once it asked for its deletion."""

    def __init__(self):
        self.generations: dict[str, dict[str, int]] = {}

    def update(self, endpoint_slice: dict) -> None:
        self.generations.setdefault(_service_key(endpoint_slice), {})[endpoint_slice["metadata"]["uid"]] = \
            endpoint_slice["metadata"].get("generation", 0)

    def expect_deletion(self, endpoint_slice: dict) -> None:
        self.generations.setdefault(_service_key(endpoint_slice), {})[endpoint_slice["metadata"]["uid"]] = \
            DELETION_EXPECTED

    def has(self, endpoint_slice: dict) -> bool:
        return endpoint_slice["metadata"]["uid"] in self.generations.get(_service_key(endpoint_slice), {})

    def should_sync(self, endpoint_slice: dict) -> bool:
        """True unless this is a version this controller wrote itself."""
        generation = self.generations.get(_service_key(endpoint_slice), {}).get(endpoint_slice["metadata"]["uid"])
        return generation is None or endpoint_slice["metadata"].get("generation", 0) > generation

    def handle_deletion(self, endpoint_slice: dict) -> bool:
        """Forget a deleted slice; True if this controller deleted it."""
        key = _service_key(endpoint_slice)
        generation = self.generations.get(key, {}).pop(endpoint_slice["metadata"]["uid"], None)
        if key in self.generations and not self.generations[key]:
            del self.generations[key]
        return generation == DELETION_EXPECTED

    def stale_slices(self, service_key: str, slices: list[dict]) -> bool:
        """Has the informer not yet shown a write (or deletion) this controller made?"""
        tracked = self.generations.get(service_key)
        if not tracked:
            return False
        provided = {}
        for s in slices:
            provided[s["metadata"]["uid"]] = s["metadata"].get("generation", 0)
            g = tracked.get(s["metadata"]["uid"])
            if g is not None and (g == DELETION_EXPECTED or g > provided[s["metadata"]["uid"]]):
                return True
        return any(g != DELETION_EXPECTED and uid not in provided for uid, g in tracked.items())

    def delete_service(self, service_key: str) -> None:
        self.generations.pop(service_key, None)


def _service_key(endpoint_slice: dict) -> str:
    meta = endpoint_slice["metadata"]
    return f"{meta['namespace']}/{(meta.get('labels') or {}).get(LABEL_SERVICE_NAME, '')}"


def _managed(endpoint_slice: dict) -> bool:
    return (endpoint_slice["metadata"].get("labels") or {}).get(LABEL_MANAGED_BY) == CONTROLLER_NAME


class EndpointSliceController(ServiceEndpointsController):
    NAME = "endpointslice"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE, workers: int = 5):
        super().__init__(kernel, workers)
        self.client, self.recorder = client, recorder
        self.max_endpoints_per_slice = max_endpoints_per_slice
        self.services = factory.informer(SERVICES)
        self.pods = factory.informer(PODS)
        self.nodes = factory.informer(NODES)
        self.slices = factory.informer(ENDPOINTSLICES)
        self.slices.indexer.add_indexer("service", lambda s: [_service_key(s)] if _managed(s) else [])
        self.tracker = EndpointSliceTracker()
        self.trigger_times = TriggerTimeTracker()
        self.services.add_event_handler(self._service_changed, lambda old, new: self._service_changed(new),
                                        self._service_changed)
        self.pods.add_event_handler(self._pod_added, self._pod_updated, self._pod_added)
        self.slices.add_event_handler(self._slice_added, self._slice_updated, self._slice_deleted)

    # -- event handlers -------------------------------------------------------------------
    def _slice_added(self, endpoint_slice: dict) -> None:
        if _managed(endpoint_slice) and self.tracker.should_sync(endpoint_slice):
            self.enqueue(_service_key(endpoint_slice))

    def _slice_updated(self, old: dict, endpoint_slice: dict) -> None:
        """A slice that moved to another Service or manager concerns both; otherwise only a change
        this controller did not make."""
        old_labels, new_labels = old["metadata"].get("labels") or {}, endpoint_slice["metadata"].get("labels") or {}
        if old_labels.get(LABEL_SERVICE_NAME) != new_labels.get(LABEL_SERVICE_NAME) or \
                old_labels.get(LABEL_MANAGED_BY) != new_labels.get(LABEL_MANAGED_BY):
            for s in (old, endpoint_slice):
                if _managed(s):
                    self.enqueue(_service_key(s))
            return
        self._slice_added(endpoint_slice)

    def _slice_deleted(self, endpoint_slice: dict) -> None:
        if _managed(endpoint_slice) and self.tracker.has(endpoint_slice):
            if not self.tracker.handle_deletion(endpoint_slice):
                self.enqueue(_service_key(endpoint_slice))   # someone else deleted it: put it back

    # -- syncService -----------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        service = self.services.lister.get(namespace, name)
        if service is None:
            # The garbage collector deletes the slices through their owner references.
            self.trigger_times.delete_service(key)
            self.tracker.delete_service(key)
            return
        if (service.get("spec") or {}).get("type") == "ExternalName":
            return
        selector = service_selector(service)
        if selector is None:
            return                        # slices for such a Service come from elsewhere (mirroring, users)
        pods = sorted(self.pods.lister.list(namespace, selector), key=lambda p: p["metadata"]["name"])
        slices = [s for s in self.slices.indexer.by_index("service", key)
                  if not s["metadata"].get("deletionTimestamp")]
        if self.tracker.stale_slices(key, slices):
            raise StaleInformerCache()
        if service["metadata"].get("deletionTimestamp"):
            return
        trigger_time = self.trigger_times.compute(key, service, pods)
        missing_node = await self.reconcile(service, pods, sorted(slices, key=lambda s: s["metadata"]["name"]),
                                            trigger_time)
        if missing_node is not None:
            raise errors.not_found("nodes", missing_node)

    async def reconcile(self, service: dict, pods: list[dict], existing: list[dict],
                        trigger_time: Optional[float]) -> Optional[str]:
        """Reconcile and reconcileByAddressType for IPv4. Returns a missing node's name, if a pod
        was left out for want of its Node (the Service is then synced again)."""
        to_create, to_update, to_delete = [], [], []
        existing_by_ports: dict[tuple, list[dict]] = {}
        for s in existing:
            if s.get("addressType") == "IPv4" and owned_by(s, service):
                existing_by_ports.setdefault(port_map_key(s.get("ports") or []), []).append(s)
            else:
                to_delete.append(s)
        desired_ports: dict[tuple, list[dict]] = {}
        desired: dict[tuple, dict[tuple, dict]] = {}
        publish_not_ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
        missing_node = None
        for pod in pods:
            if not should_pod_be_in_endpoints(pod, True):
                continue
            ports = endpoint_ports(service, pod)
            pkey = port_map_key(ports)
            desired.setdefault(pkey, {})
            desired_ports.setdefault(pkey, ports)
            node = self.nodes.lister.get("", pod["spec"].get("nodeName", ""))
            if node is None and not publish_not_ready:
                missing_node = pod["spec"].get("nodeName", "")
                continue
            endpoint = pod_to_endpoint(pod, node, service)
            if endpoint["addresses"]:
                desired[pkey][endpoint_hash(endpoint)] = endpoint
        for pkey, endpoints in desired.items():
            create, update, delete = self.reconcile_by_port_mapping(
                service, existing_by_ports.get(pkey, []), endpoints, desired_ports[pkey])
            to_create += create
            to_update += update
            to_delete += delete
        for pkey, slices in existing_by_ports.items():
            if pkey not in desired:
                to_delete += slices
        if len(existing) == len(to_delete) and not to_create:
            # A Service with no endpoints still gets one (empty) slice.
            if len(to_delete) == 1 and _is_placeholder_of(to_delete[0], service):
                to_delete = []
            else:
                to_create.append(new_endpoint_slice(service, []))
        await self.finalize(service, to_create, to_update, to_delete, trigger_time)
        return missing_node

    def reconcile_by_port_mapping(self, service: dict, existing: list[dict], desired: dict[tuple, dict],
                                  ports: list[dict]) -> tuple[list, list, list]:
        """Keep each endpoint where it is, update what changed, fill, and only then create."""
        desired = dict(desired)
        by_name: dict[str, dict] = {}
        unchanged: dict[str, None] = {}
        to_update: dict[str, None] = {}
        to_delete: dict[str, None] = {}
        labels = desired_labels(service)
        # 1. Drop endpoints no longer desired, refresh changed ones.
        for s in existing:
            name = s["metadata"]["name"]
            by_name[name] = s
            kept, changed = [], False
            for endpoint in s.get("endpoints") or ():
                got = desired.pop(endpoint_hash(endpoint), None)
                if got is not None:
                    kept.append(got)
                    changed = changed or got != endpoint
            labels_changed = (s["metadata"].get("labels") or {}) != labels
            if changed or len(kept) != len(s.get("endpoints") or ()):
                if not kept:
                    to_delete[name] = None
                else:
                    updated = copy.deepcopy(s)
                    updated["endpoints"] = kept
                    updated["metadata"]["labels"] = dict(labels)
                    by_name[name] = updated
                    to_update[name] = None
            elif labels_changed:
                updated = copy.deepcopy(s)
                updated["metadata"]["labels"] = dict(labels)
                by_name[name] = updated
                to_update[name] = None
            else:
                unchanged[name] = None
        remaining = list(desired.values())
        limit = self.max_endpoints_per_slice
        # 2. Fill the slices being updated anyway, fullest first.
        if remaining and to_update:
            for s in sorted((by_name[n] for n in to_update), key=lambda s: -len(s["endpoints"])):
                while remaining and len(s["endpoints"]) < limit:
                    s["endpoints"].append(remaining.pop(0))
        # 3. Put what is left into the unchanged slice it fits best, else into new slices.
        to_create = []
        while remaining:
            fill = None
            if len(remaining) < limit and unchanged:
                fill = _slice_to_fill([by_name[n] for n in unchanged], len(remaining), limit)
            if fill is None:
                fill = new_endpoint_slice(service, ports)
            else:
                fill = copy.deepcopy(fill)
                by_name[fill["metadata"]["name"]] = fill
            fill["endpoints"] = list(fill.get("endpoints") or [])
            while remaining and len(fill["endpoints"]) < limit:
                fill["endpoints"].append(remaining.pop(0))
            if fill["metadata"].get("name"):
                to_update[fill["metadata"]["name"]] = None
                unchanged.pop(fill["metadata"]["name"], None)
            else:
                to_create.append(fill)
        return to_create, [by_name[n] for n in to_update], [by_name[n] for n in to_delete]

    async def finalize(self, service: dict, to_create: list, to_update: list, to_delete: list,
                       trigger_time: Optional[float]) -> None:
        """Creates paired with deletions become updates of the slice that would have been deleted."""
        i = 0
        while i < len(to_delete) and to_create:
            doomed, new = to_delete[i], to_create[-1]
            if doomed.get("addressType") == new["addressType"] and owned_by(doomed, service):
                replacement = copy.deepcopy(doomed)
                for field in ("endpoints", "ports", "addressType"):
                    replacement[field] = new[field]
                replacement["metadata"]["labels"] = new["metadata"]["labels"]
                to_create.pop()
                to_update.append(replacement)
                to_delete.pop(i)
            else:
                i += 1
        namespace = service["metadata"]["namespace"]
        if not service["metadata"].get("deletionTimestamp"):
            for s in to_create:
                _set_trigger_time(s, trigger_time)
                try:
                    created = await self.client.create(ENDPOINTSLICES, namespace, s)
                except errors.StatusError as error:
                    if error.code == 403 and "because it is being terminated" in str(error):
                        return
                    raise
                self.tracker.update(created)
        for s in to_update:
            _set_trigger_time(s, trigger_time)
            self.tracker.update(await self.client.update(ENDPOINTSLICES, s))
        for s in to_delete:
            try:
                await self.client.delete(ENDPOINTSLICES, namespace, s["metadata"]["name"])
            except errors.StatusError as error:
                if error.code != 404:
                    raise
            self.tracker.expect_deletion(s)


def _slice_to_fill(slices: list[dict], count: int, limit: int) -> Optional[dict]:
    """getSliceToFill: the slice with the least room that still takes ``count`` more."""
    closest_diff, closest = limit, None
    for s in slices:
        diff = limit - (count + len(s.get("endpoints") or ()))
        if 0 <= diff < closest_diff:
            closest_diff, closest = diff, s
            if diff == 0:
                break
    return closest


def _set_trigger_time(endpoint_slice: dict, trigger_time: Optional[float]) -> None:
    annotations = endpoint_slice["metadata"].setdefault("annotations", {})
    if trigger_time is not None:
        annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339(trigger_time)
    else:
        annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
    if not annotations:
        del endpoint_slice["metadata"]["annotations"]
