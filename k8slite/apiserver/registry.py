"""The generic registry and per-kind strategies: what happens to an object on each verb.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go``
(Create, Update, Delete with graceful deletion, finalizers and propagation policy),
``pkg/registry/rest/create.go`` and ``update.go`` (BeforeCreate, BeforeUpdate), and the
strategies in ``pkg/registry/<group>/<kind>/strategy.go``: status is reset on create
and kept on a main-resource update; a ``/status`` update changes only status;
``metadata.generation`` moves only when the spec does; a pod is bound through its
``binding`` subresource (``pkg/registry/core/pod/storage/storage.go``); a Deployment's
or ReplicaSet's ``scale`` subresource reads and writes ``spec.replicas``.

Simplified: no dry-run, no managedFields, no field validation of unknown fields; Service
ClusterIPs come from an in-memory allocator rebuilt from storage at start.
"""
from __future__ import annotations

import copy
import ipaddress
import json
from typing import Any, Optional

from ..api import errors
from ..api.defaults import apply_defaults
from ..api.meta import generate_name, new_uid, rfc3339
from ..api.scheme import ResourceInfo
from ..api.validation import validate
from .cacher import Cacher
from .storage import Storage

# Groups whose objects carry metadata.generation (their strategies set it).
GENERATION_GROUPS = {"apps", "batch", "autoscaling", "policy", "networking.k8s.io", "apiextensions.k8s.io",
                     "scheduling.k8s.io"}
GENERATE_NAME_RETRIES = 7
# Deletes that answer with the deleted object rather than a Status (ReturnDeletedObject).
RETURNS_DELETED = {("", "pods"), ("", "services")}


def _spec_part(obj: dict) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Context:
    """What a request carries into the registry: who asks, and the server's clock and dice."""

    def __init__(self, server: Any, user: str, groups: tuple = ()):
        self.server, self.user, self.groups = server, user, groups

    @property
    def now(self) -> float:
        return self.server.kernel.now

    @property
    def rng(self):
        return self.server.kernel.rng


class Registry:
    """One resource: storage, watch cache, and the strategy for each verb."""

    def __init__(self, server: Any, info: ResourceInfo, storage: Storage, cacher: Cacher):
        self.server, self.info, self.storage, self.cacher = server, info, storage, cacher
        self.has_status = "status" in info.subresources

    # -- create ------------------------------------------------------------------
    async def create(self, ctx: Context, namespace: str, obj: Any) -> dict:
        obj = self._check_body(obj, namespace)
        meta = obj["metadata"]
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        generated = not meta.get("name") and bool(meta.get("generateName"))
        if generated:
            meta["name"] = generate_name(meta["generateName"], ctx.rng)
        obj = apply_defaults(obj)
        meta = obj["metadata"]
        meta["uid"] = new_uid(ctx.rng)
        meta["creationTimestamp"] = rfc3339(ctx.now)
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            meta.pop(field, None)
        if self.info.group in GENERATION_GROUPS:
            meta["generation"] = 1
        self.prepare_for_create(obj)
        await self.server.admission.admit(ctx, self.info, "CREATE", obj, None)
        self._validate(obj, None)
        await self.server.admission.validate(ctx, self.info, "CREATE", obj, None)
        for attempt in range(GENERATE_NAME_RETRIES + 1):
            try:
                return await self.storage.create(self.storage.key(namespace, meta["name"]), obj)
            except errors.StatusError as error:
                # RetryGenerateName (beta, on by default in v1.31): a generated name that is
                # taken is drawn again, up to 7 more times, before AlreadyExists reaches the client.
                if not generated or error.reason != "AlreadyExists" or attempt == GENERATE_NAME_RETRIES:
                    raise
                meta["name"] = generate_name(meta["generateName"], ctx.rng)

    def _check_body(self, obj: Any, namespace: str) -> dict:
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        # Copy only what this changes (top level and metadata); defaulting deep-copies later.
        obj = dict(obj)
        if isinstance(obj.get("metadata"), dict):
            obj["metadata"] = dict(obj["metadata"])
        api_version = obj.setdefault("apiVersion", self.info.api_version)
        kind = obj.setdefault("kind", self.info.kind)
        if kind != self.info.kind or api_version != self.info.api_version:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                     f"API version ({self.info.api_version})" if kind == self.info.kind else
                                     f"Kind {kind!r} in the data does not match the resource {self.info.resource!r}")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if self.info.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                         "sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return obj

    def _validate(self, obj: dict, old: Optional[dict]) -> None:
        causes = validate(self.info, obj, old)
        if causes:
            raise errors.invalid(self.info.qualified_kind, obj["metadata"].get("name", ""), causes)

    def prepare_for_create(self, obj: dict) -> None:
        """The kind's PrepareForCreate."""
        resource = self.info.resource
        if resource == "pods":
            obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj["spec"])}
        elif resource == "namespaces":
            obj["status"] = {"phase": "Active"}
        elif resource == "services":
            self.server.allocate_service_ips(obj)
        elif self.has_status and resource != "nodes":
            obj["status"] = {}

    # -- read --------------------------------------------------------------------
    async def get(self, namespace: str, name: str) -> dict:
        return await self.storage.get(self.storage.key(namespace, name), name)

    # -- update ------------------------------------------------------------------
    async def update(self, ctx: Context, namespace: str, name: str, body: Any, subresource: str = "") -> dict:
        body = self._check_body(body, namespace)
        if body["metadata"].get("name", name) != name:
            raise errors.bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                     % (body["metadata"].get("name"), name))
        wanted_rv = body["metadata"].get("resourceVersion", "")

        async def transform(current: dict) -> Optional[dict]:
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            return await self._before_update(ctx, body, current, subresource)
        return await self._guaranteed_update(ctx, namespace, name, transform)

    async def patch(self, ctx: Context, namespace: str, name: str, patch: Any, content_type: str,
                    subresource: str = "") -> dict:
        from .patch import apply_patch

        async def transform(current: dict) -> Optional[dict]:
            patched = apply_patch(current, patch, content_type)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patch did not produce an object")
            wanted = (patched.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            patched = self._check_body(patched, namespace)
            patched["metadata"]["name"] = name
            return await self._before_update(ctx, patched, current, subresource)
        return await self._guaranteed_update(ctx, namespace, name, transform)

    async def _guaranteed_update(self, ctx: Context, namespace: str, name: str, transform) -> dict:
        key = self.storage.key(namespace, name)
        stored, _ = await self.storage.guaranteed_update(key, name, transform)
        meta = stored["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and self.info.resource != "pods":
            return await self.storage.delete(key, name, int(meta["resourceVersion"]))
        return stored

    async def _before_update(self, ctx: Context, new: dict, old: dict, subresource: str) -> dict:
        """rest.BeforeUpdate: keep what a client may not change, then validate."""
        old_meta = old["metadata"]
        if subresource == "status":
            status = new.get("status")
            new = dict(old, metadata=dict(old_meta))
            if status is not None:
                new["status"] = copy.deepcopy(status)
            else:
                new.pop("status", None)
        else:
            new = apply_defaults(new)
            if self.has_status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
        meta = new.setdefault("metadata", {})
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "generation", "namespace", "name"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if "generation" in old_meta and subresource != "status" and _spec_part(new) != _spec_part(old):
            meta["generation"] = old_meta["generation"] + 1
        ctx_op = "UPDATE"
        if subresource != "status":
            await self.server.admission.admit(ctx, self.info, ctx_op, new, old)
        self._validate(new, old)
        await self.server.admission.validate(ctx, self.info, ctx_op, new, old)
        return new

    # -- subresources ------------------------------------------------------------
    async def bind(self, ctx: Context, namespace: str, name: str, binding: Any) -> dict:
        """POST pods/{name}/binding: set spec.nodeName once (``assignPod``)."""
        if not isinstance(binding, dict) or not (binding.get("target") or {}).get("name"):
            raise errors.invalid("Binding", name, [errors.required("target.name")])
        node = binding["target"]["name"]

        async def transform(pod: dict) -> dict:
            if pod["metadata"].get("deletionTimestamp"):
                raise errors.conflict("pods", name, "pod is being deleted, cannot be assigned to a host")
            if pod["spec"].get("nodeName"):
                raise errors.conflict("pods", name, f"pod {name} is already assigned to node "
                                                    f"{json.dumps(pod['spec']['nodeName'])}")
            pod = copy.deepcopy(pod)
            pod["spec"]["nodeName"] = node
            status = pod.setdefault("status", {})
            conditions = [c for c in status.get("conditions", []) if c["type"] != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": rfc3339(ctx.now)})
            status["conditions"] = conditions
            return pod
        await self._guaranteed_update(ctx, namespace, name, transform)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    async def get_scale(self, namespace: str, name: str) -> dict:
        return _scale(await self.get(namespace, name))

    async def update_scale(self, ctx: Context, namespace: str, name: str, scale: Any, content_type: str = "") -> dict:
        from .patch import apply_patch

        async def transform(current: dict) -> Optional[dict]:
            wanted = scale
            if content_type:
                wanted = apply_patch(_scale(current), scale, content_type)
            replicas = (wanted.get("spec") or {}).get("replicas")
            rv = (wanted.get("metadata") or {}).get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise errors.invalid("Scale.autoscaling", name, [errors.invalid_value(
                    "spec.replicas", replicas, "must be greater than or equal to 0")])
            new = copy.deepcopy(current)
            new["spec"]["replicas"] = replicas
            return await self._before_update(ctx, new, current, "")
        return _scale(await self._guaranteed_update(ctx, namespace, name, transform))

    # -- delete ------------------------------------------------------------------
    async def delete(self, ctx: Context, namespace: str, name: str, options: dict) -> tuple[int, dict]:
        key = self.storage.key(namespace, name)
        current = await self.storage.get(key, name)
        meta = current["metadata"]
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != meta.get("uid"):
            raise errors.conflict(self.info.qualified_resource, name,
                                  f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
                                  f"{meta.get('uid')}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
            raise errors.conflict(self.info.qualified_resource, name,
                                  f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                                  f"ResourceVersion in object meta: {meta['resourceVersion']}")
        grace = self._grace_period(current, options)
        finalizers = list(meta.get("finalizers") or [])
        policy = options.get("propagationPolicy")
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if grace > 0 or finalizers:
            async def mark(obj: dict) -> Optional[dict]:
                obj = copy.deepcopy(obj)
                m = obj["metadata"]
                if not m.get("deletionTimestamp") or (grace == 0 and self.info.resource == "pods"):
                    m["deletionTimestamp"] = rfc3339(ctx.now + grace)
                    m["deletionGracePeriodSeconds"] = grace
                if finalizers:
                    m["finalizers"] = finalizers
                return obj
            if grace > 0 or meta.get("deletionTimestamp") is None or finalizers != meta.get("finalizers", []):
                stored, _ = await self.storage.guaranteed_update(key, name, mark, current)
                if finalizers or grace > 0:
                    return 200, stored
        deleted = await self.storage.delete(key, name, int(meta["resourceVersion"]))
        if (self.info.group, self.info.resource) in RETURNS_DELETED:
            return 200, deleted
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": {"name": name, "group": self.info.group, "kind": self.info.resource,
                                 "uid": meta.get("uid")}}

    def _grace_period(self, obj: dict, options: dict) -> int:
        """Pods terminate gracefully once scheduled (``pod.Strategy.CheckGracefulDelete``)."""
        if self.info.resource != "pods":
            return 0
        spec, status = obj.get("spec", {}), obj.get("status", {})
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and grace >= (meta.get("deletionGracePeriodSeconds") or 0) and grace != 0:
            return 0 if not meta.get("finalizers") else grace
        return max(0, int(grace))


def _scale(obj: dict) -> dict:
    meta = obj["metadata"]
    selector = obj.get("status", {}).get("selector") or _selector_string(obj["spec"].get("selector"))
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                         "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta.get("creationTimestamp")},
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": selector}}


def _selector_string(selector: Optional[dict]) -> str:
    from ..api.labels import Selector
    return str(Selector.from_label_selector(selector)) if selector is not None else ""


def _qos_class(spec: dict) -> str:
    """The pod's QoS class (``pkg/apis/core/helper/qos/qos.go``)."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests_any = limits_any = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_any |= bool(req)
        limits_any |= bool(lim)
        for name in ("cpu", "memory"):
            if name not in lim or str(req.get(name, lim[name])) != str(lim[name]):
                guaranteed = False
    if not requests_any and not limits_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class IPAllocator:
    """Service ClusterIPs from the service CIDR (``pkg/registry/core/service/ipallocator``).

    The first address goes to the ``kubernetes`` Service; others are drawn at random
    from the range, as upstream does, with the cluster's seeded generator.
    """

    def __init__(self, cidr: str):
        self.network = ipaddress.ip_network(cidr)
        self.used: dict[str, None] = {}

    def allocate(self, rng, wanted: Optional[str] = None) -> str:
        if wanted:
            self.used[wanted] = None
            return wanted
        size = self.network.num_addresses - 2
        for _ in range(size):
            ip = str(self.network.network_address + 1 + rng.randrange(size))
            if ip not in self.used:
                self.used[ip] = None
                return ip
        raise errors.internal("range is full")

    def release(self, ip: str) -> None:
        self.used.pop(ip, None)
