"""The generic registry and per-kind strategies: what happens to an object on each verb.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go``
(Create; Update; Delete with graceful deletion, finalizers, propagation policy and
preconditions; DeleteCollection), ``pkg/registry/rest/create.go``, ``update.go`` and
``delete.go`` (BeforeCreate, BeforeUpdate, BeforeDelete), ``endpoints/handlers/create.go``,
``update.go``, ``patch.go`` and ``rest.go`` (decoding a body, checkName), and the
strategies in ``pkg/registry/<group>/<kind>/``: status is reset on create and kept on a
main-resource update; a ``/status`` update changes everything but the spec;
``metadata.generation`` moves only when the spec does (and a Deployment's annotations);
a Job gets its generated selector and pod-template labels (``batch/job/strategy.go``), a new
PersistentVolume or claim is Pending and a volume stamps each phase change
(``core/persistentvolume(claim)/strategy.go``);
a pod is bound through ``binding``, evicted through ``eviction`` (honouring
PodDisruptionBudgets, ``pod/storage/eviction.go``) and read through ``log`` (proxied to
the kubelet's ``/containerLogs``); workloads have ``scale`` (autoscaling/v1 Scale); a
namespace is deleted in two steps (``namespace/storage/storage.go``).

Simplified: no dry-run, no managedFields, no field validation of unknown fields; Service
ClusterIPs come from an in-memory allocator rebuilt from storage at start; the
eviction's PDB retries have no jitter; the kubelet is asked for logs without TLS.
"""
from __future__ import annotations

import base64
import copy
import ipaddress
import json
from typing import Any, Callable, Optional

from ..api import errors
from ..api.defaults import apply_defaults
from ..api.labels import Selector
from ..api.meta import generate_name, new_uid, parse_rfc3339, rfc3339
from ..api.scheme import BUILTIN, SCHEME, ResourceInfo
from ..api.validation import (CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL,
                              LEGACY_JOB_NAME_LABEL, validate)
from ..sim.network import Refused, Unreachable
from .cacher import Cacher
from .patch import apply_patch, json_kind as _json_kind
from .request import Request, Response
from .storage import Storage

GENERATE_NAME_RETRIES = 7
LEGACY_SCHEME = "pkg/api/legacyscheme/scheme.go:30"
BUILTIN_RESOURCES = frozenset((i.group, i.resource) for i in BUILTIN)
# Kinds whose strategy sets metadata.generation (1 on create, +1 when the spec changes).
GENERATION = {("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
              ("", "replicationcontrollers"), ("batch", "jobs"), ("batch", "cronjobs"),
              ("policy", "poddisruptionbudgets"), ("networking.k8s.io", "networkpolicies"),
              ("networking.k8s.io", "ingresses"), ("networking.k8s.io", "ingressclasses"),
              ("discovery.k8s.io", "endpointslices"), ("apiextensions.k8s.io", "customresourcedefinitions")}
# Deletes that answer with the deleted object rather than a Status (Store.ReturnDeletedObject).
RETURNS_DELETED = {("", "pods"), ("", "services"), ("", "serviceaccounts"), ("storage.k8s.io", "storageclasses")}
# DefaultGarbageCollectionPolicy OrphanDependents (at these kinds' served versions, for back compatibility).
ORPHAN_BY_DEFAULT = {("", "replicationcontrollers"), ("batch", "jobs")}
# What a /status update takes from the stored object besides everything but metadata and status.
STATUS_KEEPS_META = {("", "pods"): ("ownerReferences",), ("apps", "deployments"): ("labels",)}
PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")
ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"
EVICTION_RETRY = (20, 0.5)          # eviction.go EvictionsRetry: steps, duration
MAX_DISRUPTED_POD_SIZE = 2000
KUBELET_PORT = 10250
KUBELET_TIMEOUT = 5.0               # --kubelet-timeout
EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")


def _spec_part(obj: dict) -> Any:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _success(code: Optional[int] = None, details: Optional[dict] = None) -> dict:
    status: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        status["details"] = details
    if code is not None:
        status["code"] = code
    return status


class Context:
    """What a request carries into the registry: who asks, for what subresource, and the
    server's clock and dice; admission adds warnings and audit annotations."""

    def __init__(self, server: Any, user: str, groups: tuple = (), subresource: str = ""):
        self.server, self.user, self.groups, self.subresource = server, user, groups, subresource
        self.warnings: list = []                 # shared with the ``sub`` copies: one request, one list
        self.audit_annotations: dict = {}

    @property
    def now(self) -> float:
        return self.server.kernel.now

    @property
    def rng(self):
        return self.server.kernel.rng

    def sub(self, subresource: str) -> "Context":
        """The same request, seen at a subresource (admission asks which)."""
        ctx = copy.copy(self)
        ctx.subresource = subresource
        return ctx


class _DeleteNow(Exception):
    """store.errDeleteNow: nothing to wait for, delete at once."""


class _AlreadyDeleting(Exception):
    """store.errAlreadyDeleting: a graceful deletion is already pending."""


class Registry:
    """One resource: storage, watch cache, and the strategy for each verb."""

    def __init__(self, server: Any, info: ResourceInfo, storage: Storage, cacher: Cacher):
        self.server, self.info, self.storage, self.cacher = server, info, storage, cacher
        self.has_status = "status" in info.subresources
        self.builtin = (info.group, info.resource) in BUILTIN_RESOURCES
        self.gr = (info.group, info.resource)

    # -- decoding a body (handlers/create.go, update.go, rest.go) ------------------------------
    def decode(self, obj: Any, namespace: str, info: Optional[ResourceInfo] = None) -> dict:
        """The body as this resource's object: apiVersion and kind checked (and defaulted, as the
        decoder does from the URL), metadata an object, the namespace the request's."""
        info = info or self.info
        if not isinstance(obj, dict):
            data = "" if obj is None else json.dumps(obj, separators=(",", ":"))
            summary = "<empty>" if not data else data[:30].encode().hex() + (" ..." if len(data) > 30 else "")
            detail = ("unexpected end of JSON input" if obj is None else
                      f"json: cannot unmarshal {_json_kind(obj)} into Go value of type struct "
                      '{ APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
                      '"json:\\"kind,omitempty\\"" }')
            raise errors.bad_request(f"the object provided is unrecognized (must be of type {info.kind}): "
                                     f"couldn't get version/kind; json parse error: {detail} ({summary})")
        obj = dict(obj)           # copy what this changes (top level, metadata); defaulting deep-copies
        api_version = obj.get("apiVersion") or info.api_version
        kind = obj.get("kind") or info.kind
        obj["apiVersion"], obj["kind"] = api_version, kind
        version = api_version.rpartition("/")[2]
        if kind != info.kind or api_version != info.api_version:
            known = _registered(api_version, kind)
            if not known:
                raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {info.kind}: '
                                         f'no kind "{kind}" is registered for version "{api_version}" in scheme '
                                         f'"{LEGACY_SCHEME}"')
            if kind != info.kind:
                raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {info.kind}: '
                                         f"converting ({version}.{kind}) to ({_internal_package(info)}.{info.kind}): "
                                         "unknown conversion")
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                     f"API version ({info.api_version})")
        meta = obj.get("metadata")
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {info.kind}: json: '
                                     f"cannot unmarshal {_json_kind(meta)} into Go struct field {info.kind}.metadata "
                                     "of type v1.ObjectMeta")
        obj["metadata"] = meta = dict(meta)
        if info.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                         "sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if (info.group, info.kind) == ("", "Secret") and "stringData" in obj:
            # Convert_v1_Secret_To_core_Secret: stringData is write-only, merged into data (base64).
            data = dict(obj.get("data") or {})
            for k, v in (obj.pop("stringData") or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
        return obj

    @staticmethod
    def check_name(obj: dict, name: str) -> None:
        """handlers/rest.go checkName: the body names the object of the URL."""
        obj_name = (obj.get("metadata") or {}).get("name") or ""
        if not obj_name:
            raise errors.bad_request(f"the name of the object ({name} based on URL) was undeterminable: "
                                     "name must be provided")
        if obj_name != name:
            raise errors.bad_request(f"the name of the object ({obj_name}) does not match the name on the URL ({name})")

    def _validate(self, obj: dict, old: Optional[dict], subresource: str = "") -> None:
        causes = validate(self.info, obj, old, subresource)
        if causes:
            raise errors.invalid(self.info.qualified_kind, obj["metadata"].get("name", ""), causes)

    # -- create ------------------------------------------------------------------
    async def create(self, ctx: Context, namespace: str, obj: Any) -> dict:
        obj = self.decode(obj, namespace)
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
        await self.server.admission.admit(ctx, self.info, "CREATE", obj, None)
        self.prepare_for_create(obj)
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

    def prepare_for_create(self, obj: dict) -> None:
        """The kind's PrepareForCreate: status reset, generation 1."""
        resource = self.info.resource
        if resource == "pods" and not self.info.group:
            obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj["spec"])}
        elif resource == "namespaces" and not self.info.group:
            obj["status"] = {"phase": "Active"}
        elif resource == "services" and not self.info.group:
            self.server.allocate_service_ips(obj)
        elif self.has_status and self.gr != ("", "nodes"):
            obj["status"] = {}
        prepare = PREPARE_FOR_CREATE.get(self.gr)
        if prepare is not None:
            prepare(obj, self.server.kernel.now)
        if self._has_generation():
            obj["metadata"]["generation"] = 1

    def _has_generation(self) -> bool:
        return self.gr in GENERATION or not self.builtin

    def _spec_changed(self, new: dict, old: dict) -> bool:
        """Whether the strategy's PrepareForUpdate bumps the generation."""
        if self.gr == ("discovery.k8s.io", "endpointslices"):
            return _spec_part(new) != _spec_part(old) or \
                new["metadata"].get("labels") != old["metadata"].get("labels")
        if self.gr == ("apps", "deployments") and \
                new["metadata"].get("annotations") != old["metadata"].get("annotations"):
            return True
        if not self.builtin:            # custom resources: anything but metadata (and status, if a subresource)
            return _spec_part(new) != _spec_part(old) or \
                (not self.has_status and new.get("status") != old.get("status"))
        return new.get("spec") != old.get("spec")

    # -- read --------------------------------------------------------------------
    async def get(self, namespace: str, name: str) -> dict:
        return await self.storage.get(self.storage.key(namespace, name), name)

    # -- update ------------------------------------------------------------------
    async def update(self, ctx: Context, namespace: str, name: str, body: Any, subresource: str = "") -> dict:
        body = self.decode(body, namespace)
        self.check_name(body, name)
        wanted_rv = body["metadata"].get("resourceVersion", "")

        async def transform(current: dict) -> Optional[dict]:
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            return await self._before_update(ctx, body, current, subresource)
        return await self._guaranteed_update(namespace, name, transform)

    async def patch(self, ctx: Context, namespace: str, name: str, patch: Any, content_type: str,
                    subresource: str = "") -> dict:
        async def transform(current: dict) -> Optional[dict]:
            patched = apply_patch(current, patch, content_type, self.info.kind, self.builtin)
            patched = self._decode_patched(patched, current, namespace)
            self.check_name(patched, name)
            wanted = patched["metadata"].get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            return await self._before_update(ctx, patched, current, subresource)
        return await self._guaranteed_update(namespace, name, transform)

    def _decode_patched(self, patched: Any, current: dict, namespace: str) -> dict:
        """jsonPatcher: the patched JSON must still decode as this kind, else 422 on ``patch``."""
        try:
            if not isinstance(patched, dict) or (patched.get("kind"), patched.get("apiVersion")) != \
                    (current.get("kind"), current.get("apiVersion")):
                return self.decode(patched if isinstance(patched, dict) else None, namespace)
            return self.decode(patched, namespace)
        except errors.StatusError as error:
            value = json.dumps(patched, separators=(",", ":"))
            raise errors.StatusError({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f' "" is invalid: patch: Invalid value: {json.dumps(value)}: {error.message}',
                "reason": "Invalid",
                "details": {"causes": [{"reason": "FieldValueInvalid", "field": "patch",
                                        "message": f"Invalid value: {json.dumps(value)}: {error.message}"}]},
                "code": 422}) from None

    async def _guaranteed_update(self, namespace: str, name: str, transform,
                                 preconditions: Optional[dict] = None) -> dict:
        """store.Update: write, or delete when the update removed the last finalizer of an object
        whose deletion has no grace period left (shouldDeleteDuringUpdate)."""
        key = self.storage.key(namespace, name)
        emptied: list = []

        async def update(current: dict) -> Optional[dict]:
            new = await transform(current)
            if new is not None and _should_delete_during_update(new, current):
                emptied.append((current, new))
                return None
            return new
        stored, _ = await self.storage.guaranteed_update_checked(key, name, update, preconditions)
        if emptied:                     # deleteWithoutFinalizers: the client still gets the updated object
            current, new = emptied[-1]
            try:
                await self.storage.delete(key, name, preconditions, current)
            except errors.StatusError as error:
                if error.reason != "NotFound":
                    raise
            return new
        return stored

    async def _before_update(self, ctx: Context, new: dict, old: dict, subresource: str,
                             admission: bool = True) -> dict:
        """Mutating admission, then rest.BeforeUpdate: the strategy's PrepareForUpdate, the
        fields no update may change, validation, validating admission."""
        new = apply_defaults(new)
        if admission:
            await self.server.admission.admit(ctx.sub(subresource), self.info, "UPDATE", new, old)
        old_meta = old["metadata"]
        if subresource == "status":
            new = self._prepare_for_status_update(new, old)
        elif subresource == "finalize":
            new["status"] = copy.deepcopy(old.get("status"))
        else:
            if self.has_status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            if self.gr == ("", "namespaces"):
                new.setdefault("spec", {})["finalizers"] = copy.deepcopy((old.get("spec") or {}).get("finalizers"))
                if new["spec"]["finalizers"] is None:
                    del new["spec"]["finalizers"]
        meta = new["metadata"]
        if "generation" in old_meta:
            meta["generation"] = old_meta["generation"]
        else:
            meta.pop("generation", None)
        if not meta.get("uid") and old_meta.get("uid"):
            meta["uid"] = old_meta["uid"]
        for field in ("creationTimestamp", "deletionTimestamp"):
            if old_meta.get(field):
                meta[field] = old_meta[field]
            elif field == "deletionTimestamp":
                meta.pop(field, None)
        if old_meta.get("deletionGracePeriodSeconds") is not None and meta.get("deletionGracePeriodSeconds") is None:
            meta["deletionGracePeriodSeconds"] = old_meta["deletionGracePeriodSeconds"]
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if "generation" in old_meta and subresource not in ("status", "finalize") and self._spec_changed(new, old):
            meta["generation"] = old_meta["generation"] + 1
        self._validate(new, old, subresource)
        if admission:
            await self.server.admission.validate(ctx.sub(subresource), self.info, "UPDATE", new, old)
        return new

    def _prepare_for_status_update(self, new: dict, old: dict) -> dict:
        """The status strategy: everything but metadata and status stays as stored."""
        own = ("apiVersion", "kind", "metadata", "status")
        out = {}
        for key, value in new.items():          # the body's key order, so the stored JSON keeps its order
            if key in own:
                out[key] = value
            elif key in old:
                out[key] = copy.deepcopy(old[key])
        for key, value in old.items():
            if key not in own and key not in out:
                out[key] = copy.deepcopy(value)
        meta = out["metadata"] = dict(new["metadata"])
        for field in STATUS_KEEPS_META.get(self.gr, ()):
            if field in old["metadata"]:
                meta[field] = copy.deepcopy(old["metadata"][field])
            else:
                meta.pop(field, None)
        if "status" not in new:
            out.pop("status", None)
        if self.gr == ("", "pods"):
            status = out.setdefault("status", {})
            if not status.get("qosClass") and (old.get("status") or {}).get("qosClass"):
                status["qosClass"] = old["status"]["qosClass"]
        elif self.gr == ("", "persistentvolumes"):
            _persistent_volume_phase_transition(out, old, self.server.kernel.now)
        return out

    # -- namespaces/finalize ------------------------------------------------------
    async def finalize(self, ctx: Context, name: str, body: Any) -> dict:
        """PUT namespaces/{name}/finalize: only spec.finalizers changes."""
        return await self.update(ctx, "", name, body, "finalize")

    # -- subresources: binding ------------------------------------------------------
    async def bind(self, ctx: Context, namespace: str, name: str, body: Any) -> dict:
        """POST pods/{name}/binding (BindingREST.Create, assignPod): set spec.nodeName once."""
        binding = self.decode(body, namespace, SCHEME.by_resource("", "bindings"))
        if binding["metadata"].get("name") != name:
            raise errors.bad_request("name in URL does not match name in Binding object")
        target = binding.get("target") or {}
        causes = []
        if target.get("kind") and target["kind"] != "Node":
            causes.append(errors.not_supported("target.kind", target["kind"], ["Node", "<empty>"]))
        if not target.get("name"):
            causes.append(errors.required("target.name"))
        if causes:
            raise errors.without_reason(errors.aggregate([c.error_string() for c in causes]))
        bctx = ctx.sub("binding")
        await self.server.admission.admit(bctx, self.info, "CREATE", binding, None)
        await self.server.admission.validate(bctx, self.info, "CREATE", binding, None)
        node = target["name"]
        pre = {k: v for k, v in (("uid", binding["metadata"].get("uid")),
                                 ("resourceVersion", binding["metadata"].get("resourceVersion"))) if v}

        async def assign(pod: dict) -> dict:
            meta = pod["metadata"]
            if meta.get("deletionTimestamp"):
                raise errors.conflict("pods/binding", name,
                                      f"pod {name} is being deleted, cannot be assigned to a host")
            if pod["spec"].get("nodeName"):
                raise errors.conflict("pods/binding", name, f"pod {name} is already assigned to node "
                                                            f"{json.dumps(pod['spec']['nodeName'])}")
            if pod["spec"].get("schedulingGates"):
                raise errors.conflict("pods/binding", name, f"pod {name} has non-empty .spec.schedulingGates")
            pod = copy.deepcopy(pod)
            pod["spec"]["nodeName"] = node
            annotations = binding["metadata"].get("annotations") or {}
            if annotations:
                pod["metadata"].setdefault("annotations", {}).update(annotations)
            update_pod_condition(pod.setdefault("status", {}),
                                 {"type": "PodScheduled", "status": "True", "lastProbeTime": None}, ctx.now)
            return pod
        await self.storage.guaranteed_update_checked(self.storage.key(namespace, name), name, assign, pre)
        return _success(201)

    # -- subresources: scale --------------------------------------------------------
    async def get_scale(self, namespace: str, name: str) -> dict:
        return _scale(self.info, await self.get(namespace, name))

    async def update_scale(self, ctx: Context, namespace: str, name: str, scale: Any, content_type: str = "") -> dict:
        """PUT (or PATCH) {workload}/{name}/scale (ScaleREST.Update, scaleUpdatedObjectInfo)."""
        sctx = ctx.sub("scale")
        scale_info = ResourceInfo("Scale", "autoscaling", "v1", "scale", True)

        async def transform(current: dict) -> Optional[dict]:
            old_scale = _scale(self.info, current)
            if content_type:
                wanted = apply_patch(old_scale, scale, content_type, "Scale")
                if not isinstance(wanted, dict):
                    raise errors.bad_request("nil update passed to Scale")
            else:
                wanted = self.decode(scale, namespace, scale_info)
                self.check_name(wanted, name)
            await self.server.admission.admit(sctx, self.info, "UPDATE", wanted, old_scale)
            replicas = (wanted.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise errors.bad_request(f"json: cannot unmarshal {_json_kind(replicas)} into Go struct field "
                                         "ScaleSpec.spec.replicas of type int32")
            if replicas < 0:
                raise errors.invalid("Scale.autoscaling", name, [errors.invalid_value(
                    "spec.replicas", replicas, "must be greater than or equal to 0")])
            uid = (wanted.get("metadata") or {}).get("uid")
            if uid and uid != current["metadata"].get("uid"):
                raise errors.conflict(f"{self.info.resource}/scale.{self.info.group}".rstrip("."), name,
                                      f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                                      f"{current['metadata'].get('uid')}")
            rv = (wanted.get("metadata") or {}).get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
            new = copy.deepcopy(current)
            new["spec"]["replicas"] = replicas
            new = await self._before_update(ctx, new, current, "", admission=False)
            await self.server.admission.validate(sctx, self.info, "UPDATE", _scale(self.info, new), old_scale)
            return new
        return _scale(self.info, await self._guaranteed_update(namespace, name, transform))

    # -- subresources: eviction -------------------------------------------------------
    async def evict(self, ctx: Context, namespace: str, name: str, body: Any) -> Response:
        """POST pods/{name}/eviction (EvictionREST.Create): delete the pod unless a
        PodDisruptionBudget forbids it (429)."""
        eviction = body
        if isinstance(body, dict) and body.get("apiVersion") in EVICTION_VERSIONS and body.get("kind") == "Eviction":
            eviction = dict(body, apiVersion="policy/v1")
        eviction = self.decode(eviction, namespace, ResourceInfo("Eviction", "policy", "v1", "evictions", True))
        if eviction["metadata"].get("name") != name:
            raise errors.bad_request("name in URL does not match name in Eviction object")
        ectx = ctx.sub("eviction")
        await self.server.admission.admit(ectx, self.info, "CREATE", eviction, None)
        await self.server.admission.validate(ectx, self.info, "CREATE", eviction, None)
        options = dict(eviction.get("deleteOptions") or {})
        rv_unset = not (options.get("preconditions") or {}).get("resourceVersion")
        steps, pause = EVICTION_RETRY
        pod: dict = {}
        for step in range(steps):
            pod = await self.get(namespace, name)
            if not _can_ignore_pdb(pod):
                break
            opts = copy.deepcopy(options)
            if _should_enforce_resource_version(pod) and rv_unset:
                opts.setdefault("preconditions", {})["resourceVersion"] = pod["metadata"]["resourceVersion"]
            try:
                await self.delete(ctx, namespace, name, opts, admit=False)
            except errors.StatusError as error:
                if error.reason != "Conflict" or not rv_unset or step == steps - 1:
                    raise
                await self.server.kernel.sleep(pause)
                continue
            return Response(201, _success(201))
        pdbs = await self._pod_disruption_budgets(pod)
        update_options = False
        pdb_name = ""
        if len(pdbs) > 1:
            return Response(500, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": "This pod has more than one PodDisruptionBudget, which the eviction "
                                             "subresource does not support.", "code": 500})
        if pdbs:
            pdb = pdbs[0]
            pdb_name = pdb["metadata"]["name"]
            status = pdb.get("status") or {}
            if not _is_pod_ready(pod) and (
                    (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow"
                    or status.get("currentHealthy", 0) >= status.get("desiredHealthy", 0) > 0):
                update_options = True
            else:
                await self._check_and_decrement(ctx, pod, pdb)
        opts = copy.deepcopy(options)
        if update_options:
            opts.setdefault("preconditions", {})["resourceVersion"] = pod["metadata"]["resourceVersion"]
        try:
            await self.delete(ctx, namespace, name, opts, admit=False)
        except errors.StatusError as error:
            if error.reason == "Conflict" and update_options and rv_unset:
                raise _pdb_processing(pdb_name) from None
            raise
        return Response(201, _success(201))

    async def _pod_disruption_budgets(self, pod: dict) -> list[dict]:
        pdbs = self.server.registries.get(("policy", "poddisruptionbudgets"))
        if pdbs is None:
            return []
        namespace = pod["metadata"]["namespace"]
        page = await pdbs.storage.get_list(pdbs.storage.list_prefix(namespace))
        found = []
        for pdb in page.items:
            selector = (pdb.get("spec") or {}).get("selector")
            try:
                sel = Selector.from_label_selector(selector) if selector is not None else None
            except ValueError:
                continue
            if sel is None or sel.empty() or not sel.matches(pod["metadata"].get("labels")):
                continue
            found.append(pdb)
        return found

    async def _check_and_decrement(self, ctx: Context, pod: dict, pdb: dict) -> None:
        """checkAndDecrement, retried on conflicts with a fresh PDB (RetryOnConflict)."""
        pdbs = self.server.registries[("policy", "poddisruptionbudgets")]
        namespace, pod_name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        steps, pause = EVICTION_RETRY
        for step in range(steps):
            if step:
                await self.server.kernel.sleep(pause)
                pdb = await pdbs.get(namespace, pdb["metadata"]["name"])
            status = copy.deepcopy(pdb.get("status") or {})
            name = pdb["metadata"]["name"]
            if status.get("observedGeneration", 0) < pdb["metadata"].get("generation", 0):
                raise _pdb_processing(name)
            allowed = status.get("disruptionsAllowed", 0)
            if allowed < 0:
                raise errors.forbidden("poddisruptionbudget.policy", name, "pdb disruptions allowed is negative")
            if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
                raise errors.forbidden("poddisruptionbudget.policy", name, "DisruptedPods map too big - too many "
                                       "evictions not confirmed by PDB controller")
            if allowed == 0:
                raise errors.too_many_requests(
                    "Cannot evict pod as it would violate the pod's disruption budget.", 0,
                    [{"reason": "DisruptionBudget",
                      "message": f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy "
                                 f"pods and has {status.get('currentHealthy', 0)} currently"}])
            status["disruptionsAllowed"] = allowed - 1
            if status["disruptionsAllowed"] == 0:
                _set_condition(status, {"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                        "message": "", "observedGeneration": status.get("observedGeneration", 0)},
                               ctx.now)
            status.setdefault("disruptedPods", {})[pod_name] = rfc3339(ctx.now)
            updated = dict(pdb, status=status)
            try:                        # the eviction's own loopback client, as system:apiserver
                await pdbs.update(Context(self.server, "system:apiserver", ("system:masters",)), namespace, name,
                                  updated, "status")
                return
            except errors.StatusError as error:
                if error.reason != "Conflict" or step == steps - 1:
                    raise
        raise errors.timeout(f"couldn't update PodDisruptionBudget {json.dumps(pdb['metadata']['name'])} due to "
                             "conflicts", 10)

    # -- subresources: log --------------------------------------------------------------
    async def logs(self, ctx: Context, namespace: str, name: str, params: Callable[[str], Optional[str]]) -> Response:
        """GET pods/{name}/log (LogREST.Get, pod.LogLocation): proxied to the kubelet's
        ``/containerLogs/{namespace}/{pod}/{container}``; the answer is text."""
        options: dict = {}
        causes = []
        for field in ("tailLines", "limitBytes", "sinceSeconds"):
            raw = params(field)
            if raw is not None:
                try:
                    options[field] = int(raw)
                except ValueError:
                    raise errors.bad_request(f'strconv.ParseInt: parsing {json.dumps(raw)}: invalid syntax') from None
        if options.get("tailLines", 0) < 0:
            causes.append(errors.invalid_value("tailLines", options["tailLines"], "must be greater than or equal to 0"))
        if "limitBytes" in options and options["limitBytes"] < 1:
            causes.append(errors.invalid_value("limitBytes", options["limitBytes"], "must be greater than 0"))
        if "sinceSeconds" in options and params("sinceTime"):
            causes.append(errors.forbidden_field("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
        elif options.get("sinceSeconds", 1) < 1:
            causes.append(errors.invalid_value("sinceSeconds", options["sinceSeconds"], "must be greater than 0"))
        if causes:
            raise errors.invalid("PodLogOptions", name, causes)
        pod = await self.get(namespace, name)
        container = params("container") or ""
        spec = pod.get("spec") or {}
        names = [c["name"] for key in ("initContainers", "containers", "ephemeralContainers")
                 for c in spec.get(key) or ()]
        if not container:
            containers = spec.get("containers") or []
            if len(containers) == 1:
                container = containers[0]["name"]
            elif not containers:
                raise errors.bad_request(f"a container name must be specified for pod {name}")
            else:
                raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                         f"[{' '.join(names)}]")
        elif container not in names:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        node = spec.get("nodeName")
        if not node:
            return Response(200, "")
        query = []
        for flag in ("follow", "previous", "timestamps"):
            if params(flag) in ("true", "1"):
                query.append((flag, "true"))
        for field in ("sinceSeconds", "sinceTime", "tailLines", "limitBytes"):
            if params(field) is not None:
                query.append((field, params(field)))
        path = f"/containerLogs/{namespace}/{name}/{container}"
        request = Request("GET", path, tuple(query), None, "kube-apiserver-kubelet-client", ("kubeadm:cluster-admins",),
                          accept="text/plain")
        address = f"{_node_address(self.server.cached('nodes', '', node)) or node}:{KUBELET_PORT}"
        url = f"https://{address}{request.line()[4:]}"
        try:
            reply = await self.server.network.request(self.server.name, f"kubelet/{node}", "GET", request.line(),
                                                      request, KUBELET_TIMEOUT)
        except Refused:
            raise errors.without_reason(f'Get "{url}": dial tcp {address}: connect: connection refused') from None
        except Unreachable:
            raise errors.without_reason(f'Get "{url}": dial tcp {address}: i/o timeout') from None
        code, text = (reply.code, reply.body) if isinstance(reply, Response) else (200, reply)
        if not isinstance(text, str):
            text = json.dumps(text) if text is not None else ""
        if code < 200 or code > 206:            # GenericHttpResponseChecker
            if code == 500:
                raise errors.internal(text)
            if code == 400:
                raise errors.bad_request(text)
            raise _generic_response(code, "pods/log", name, text)
        return Response(200, text)

    # -- delete ------------------------------------------------------------------
    async def delete(self, ctx: Context, namespace: str, name: str, options: dict,
                     admit: bool = True) -> tuple[dict, bool]:
        """store.Delete: returns (what the client gets, whether the object is gone now)."""
        options = dict(options or {})
        validate_delete_options(options)
        if admit:
            self.server.admission.check_delete(self.info, namespace, name, ctx.sub(""))
        if self.gr == ("", "namespaces"):
            return await self._delete_namespace(ctx, name, options)
        return await self._delete(ctx, namespace, name, options)

    async def _delete(self, ctx: Context, namespace: str, name: str, options: dict) -> tuple[dict, bool]:
        key = self.storage.key(namespace, name)
        obj = await self.storage.get(key, name)
        pre = dict(options.get("preconditions") or {})
        graceful, pending = self._before_delete(ctx, copy.deepcopy(obj), options)
        if pending:
            return self._finalize_delete(obj), False
        pending_finalizers = bool(obj["metadata"].get("finalizers"))
        should_update, _ = self._gc_finalizers(obj, options)
        last_existing = None
        ignore_not_found = False
        if graceful or pending_finalizers or should_update:
            out, immediately, ignore_not_found, last_existing = \
                await self._update_for_graceful_deletion(ctx, key, name, options, pre, obj)
            if not immediately:
                return out, False
            if out is not None and pre.get("resourceVersion") is not None:
                pre["resourceVersion"] = out["metadata"]["resourceVersion"]
        try:
            deleted = await self.storage.delete(key, name, pre or None)
        except errors.StatusError as error:
            if error.reason == "NotFound" and ignore_not_found and last_existing is not None:
                return self._finalize_delete(last_existing, True), True
            raise
        return self._finalize_delete(deleted, True), True

    def _before_delete(self, ctx: Context, obj: dict, options: dict) -> tuple[bool, bool]:
        """rest.BeforeDelete: preconditions first; then, for pods (the one graceful strategy),
        set or shorten the grace period. Returns (graceful, already pending). Changes ``obj``."""
        meta = obj["metadata"]
        pre = options.get("preconditions") or {}
        gk = self.info.qualified_kind
        if pre.get("uid") is not None and pre["uid"] != meta.get("uid"):
            raise errors.conflict(gk, meta["name"], f"the UID in the precondition ({pre['uid']}) does not match the "
                                                    f"UID in record ({meta.get('uid', '')}). The object might have "
                                                    "been deleted and then recreated")
        if pre.get("resourceVersion") is not None and pre["resourceVersion"] != meta.get("resourceVersion"):
            raise errors.conflict(gk, meta["name"], f"the ResourceVersion in the precondition "
                                                    f"({pre['resourceVersion']}) does not match the ResourceVersion "
                                                    f"in record ({meta.get('resourceVersion')}). The object might "
                                                    "have been modified")
        if options.get("gracePeriodSeconds") is not None and options["gracePeriodSeconds"] < 0:
            options["gracePeriodSeconds"] = 1
        if meta.get("deletionGracePeriodSeconds") is not None and meta["deletionGracePeriodSeconds"] < 0:
            meta["deletionGracePeriodSeconds"] = 1
        if self.gr != ("", "pods"):
            return False, False
        if meta.get("deletionTimestamp"):
            current = meta.get("deletionGracePeriodSeconds")
            if not current:
                return False, False
            if options.get("gracePeriodSeconds") is not None:
                period = options["gracePeriodSeconds"]
                if period >= current:
                    return False, True
                meta["deletionTimestamp"] = rfc3339(parse_rfc3339(meta["deletionTimestamp"]) - current + period)
                meta["deletionGracePeriodSeconds"] = period
                return True, False
            options["gracePeriodSeconds"] = current
            return False, True
        # podStrategy.CheckGracefulDelete: always graceful, the period may be 0.
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        period = options.get("gracePeriodSeconds")
        if period is None:
            period = spec.get("terminationGracePeriodSeconds") or 0
        if not spec.get("nodeName") or status.get("phase") in ("Failed", "Succeeded"):
            period = 0
        if period < 0:
            period = 1
        options["gracePeriodSeconds"] = period
        meta["deletionTimestamp"] = rfc3339(ctx.now + period)
        meta["deletionGracePeriodSeconds"] = period
        if meta.get("generation", 0) > 0:
            meta["generation"] += 1
        return True, False

    def _gc_finalizers(self, obj: dict, options: dict) -> tuple[bool, list]:
        """deletionFinalizersForGarbageCollection: the orphan/foregroundDeletion finalizers the
        options (then the object's finalizers, then the kind's default policy) ask for."""
        finalizers = list(obj["metadata"].get("finalizers") or [])
        policy, orphan_flag = options.get("propagationPolicy"), options.get("orphanDependents")
        default_orphan = self.gr in ORPHAN_BY_DEFAULT
        if orphan_flag is not None:
            orphan, foreground = bool(orphan_flag), False
        elif policy in PROPAGATION_POLICIES:
            orphan, foreground = policy == "Orphan", policy == "Foreground"
        elif ORPHAN in finalizers or FOREGROUND in finalizers:
            first = next(f for f in finalizers if f in (ORPHAN, FOREGROUND))
            orphan, foreground = first == ORPHAN, first == FOREGROUND
        else:
            orphan, foreground = default_orphan, False
        new = [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
        if orphan:
            new.append(ORPHAN)
        if foreground:
            new.append(FOREGROUND)
        if set(new) == set(finalizers):
            return False, finalizers
        return True, new

    async def _update_for_graceful_deletion(self, ctx: Context, key: str, name: str, options: dict, pre: dict,
                                            before: dict) -> tuple[Optional[dict], bool, bool, Optional[dict]]:
        """updateForGracefulDeletionAndFinalizers: (out, delete now?, ignore NotFound?, last state)."""
        state = {"graceful": 0, "pending_finalizers": False, "last": None}

        async def mark(existing: dict) -> dict:
            existing = copy.deepcopy(existing)
            graceful, pending = self._before_delete(ctx, existing, options)
            if pending:
                raise _AlreadyDeleting()
            needs, finalizers = self._gc_finalizers(existing, options)
            if needs:
                if finalizers:
                    existing["metadata"]["finalizers"] = finalizers
                else:
                    existing["metadata"].pop("finalizers", None)
            state["pending_finalizers"] = bool(existing["metadata"].get("finalizers"))
            if not graceful:
                if state["pending_finalizers"]:
                    _mark_as_deleting(existing, ctx.now)
                    return existing
                raise _DeleteNow()
            state["graceful"] = options["gracePeriodSeconds"]
            state["last"] = existing
            return existing
        try:
            out, _ = await self.storage.guaranteed_update_checked(key, name, mark, pre or None)
        except _DeleteNow:
            return None, True, False, state["last"]
        except _AlreadyDeleting:
            return self._finalize_delete(before), False, False, state["last"]
        if state["pending_finalizers"] or state["graceful"] > 0:
            return out, False, False, state["last"]
        return out, True, True, state["last"]

    def _finalize_delete(self, obj: dict, run_hooks: bool = False) -> dict:
        """finalizeDelete: the object for ReturnDeletedObject kinds, else a Success Status."""
        if run_hooks and self.gr == ("", "services"):
            for ip in (obj.get("spec") or {}).get("clusterIPs") or ():
                self.server.service_ips.release(ip)
        if self.gr in RETURNS_DELETED:
            return obj
        meta = obj["metadata"]
        details: dict = {"name": meta["name"]}
        if self.info.group:
            details["group"] = self.info.group
        details["kind"] = self.info.resource
        if meta.get("uid"):
            details["uid"] = meta["uid"]
        return _success(details=details)

    async def _delete_namespace(self, ctx: Context, name: str, options: dict) -> tuple[dict, bool]:
        """namespace REST Delete: the first delete only marks it Terminating; the namespace
        controller empties it, removes spec.finalizers and deletes it again."""
        ns = await self.get("", name)
        meta = ns["metadata"]
        pre = dict(options.get("preconditions") or {})
        if pre.get("uid") is None:
            pre["uid"] = meta.get("uid")
        elif pre["uid"] != meta.get("uid"):
            raise errors.conflict("namespaces", name, f"Precondition failed: UID in precondition: {pre['uid']}, "
                                                      f"UID in object meta: {meta.get('uid')}")
        if pre.get("resourceVersion") is not None and pre["resourceVersion"] != meta["resourceVersion"]:
            raise errors.conflict("namespaces", name, f"Precondition failed: ResourceVersion in precondition: "
                                                      f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                                      f"{meta['resourceVersion']}")
        if not meta.get("deletionTimestamp"):
            async def terminate(existing: dict) -> dict:
                existing = copy.deepcopy(existing)
                m = existing["metadata"]
                if not m.get("deletionTimestamp"):
                    m["deletionTimestamp"] = rfc3339(ctx.now)
                existing.setdefault("status", {})["phase"] = "Terminating"
                current = list(m.get("finalizers") or [])
                want_orphan = options.get("orphanDependents") if options.get("orphanDependents") is not None else (
                    options.get("propagationPolicy") == "Orphan" if options.get("propagationPolicy") else
                    ORPHAN in current)
                want_foreground = options.get("propagationPolicy") == "Foreground" if options.get(
                    "propagationPolicy") else FOREGROUND in current
                new = [f for f in current if f not in (ORPHAN, FOREGROUND)]
                if want_orphan:
                    new.append(ORPHAN)
                if want_foreground:
                    new.append(FOREGROUND)
                if set(new) != set(current):
                    m["finalizers"] = new
                return existing
            out, _ = await self.storage.guaranteed_update_checked(self.storage.key("", name), name, terminate, pre)
            return out, False
        if (ns.get("spec") or {}).get("finalizers"):
            return ns, False            # prior to final deletion, spec.finalizers must be empty
        return await self._delete(ctx, "", name, dict(options, preconditions=pre))

    async def delete_collection(self, ctx: Context, namespace: str, items: list[dict], options: dict) -> None:
        """Store.DeleteCollection's workers: each listed item deleted with its own copy of the
        options; an item already gone is no error."""
        for item in items:
            try:
                await self.delete(ctx, item["metadata"].get("namespace", "") if self.info.namespaced else "",
                                  item["metadata"]["name"], copy.deepcopy(options))
            except errors.StatusError as error:
                if error.reason != "NotFound":
                    raise


def validate_delete_options(options: dict) -> None:
    """validation.ValidateDeleteOptions: 422 Invalid on DeleteOptions.meta.k8s.io."""
    causes = []
    policy = options.get("propagationPolicy")
    if options.get("orphanDependents") is not None and policy is not None:
        causes.append(errors.invalid_value("propagationPolicy", policy,
                                           "orphanDependents and deletionPropagation cannot be both set"))
    if policy is not None and policy not in PROPAGATION_POLICIES:
        causes.append(errors.not_supported("propagationPolicy", policy, list(PROPAGATION_POLICIES) + ["nil"]))
    dry_run = options.get("dryRun") or []
    for value in dry_run if isinstance(dry_run, list) else [dry_run]:
        if value != "All":
            causes.append(errors.not_supported("dryRun", value, ["All"]))
    if causes:
        raise errors.invalid("DeleteOptions.meta.k8s.io", "", causes)


def _should_delete_during_update(new: dict, old: dict) -> bool:
    """shouldDeleteDuringUpdate: the update removed the last finalizer of an object that is
    being deleted with no grace period left."""
    new_meta, old_meta = new["metadata"], old["metadata"]
    if new.get("kind") == "Namespace" and new.get("apiVersion") == "v1":
        # ShouldDeleteNamespaceDuringUpdate: once finalize has emptied spec.finalizers, the
        # Terminating namespace goes (it has no metadata finalizers to wait for).
        return (not new_meta.get("finalizers") and bool(old_meta.get("deletionTimestamp"))
                and not (new.get("spec") or {}).get("finalizers")
                and old_meta.get("deletionGracePeriodSeconds") in (None, 0))
    if new_meta.get("finalizers") or not old_meta.get("finalizers") or not old_meta.get("deletionTimestamp"):
        return False
    return old_meta.get("deletionGracePeriodSeconds") == 0


def _mark_as_deleting(obj: dict, now: float) -> None:
    """markAsDeleting: deletionTimestamp now (unless sooner already), grace 0, generation +1 the first time."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") and meta.get("generation", 0) > 0:
        meta["generation"] += 1
    if not meta.get("deletionTimestamp") or parse_rfc3339(meta["deletionTimestamp"]) > now:
        meta["deletionTimestamp"] = rfc3339(now)
    meta["deletionGracePeriodSeconds"] = 0


def update_pod_condition(status: dict, condition: dict, now: float) -> bool:
    """podutil.UpdatePodCondition: add or replace in place; the transition time moves only
    when the status does. Returns whether anything changed."""
    condition = dict(condition, lastTransitionTime=rfc3339(now))
    conditions = status.setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old.get("type") == condition["type"]:
            if condition["status"] == old.get("status"):
                condition["lastTransitionTime"] = old.get("lastTransitionTime")
            conditions[i] = condition
            return condition != old
    conditions.append(condition)
    return True


def _set_condition(status: dict, condition: dict, now: float) -> None:
    """meta.SetStatusCondition."""
    conditions = status.setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old.get("type") == condition["type"]:
            transition = old.get("lastTransitionTime") if old.get("status") == condition["status"] else rfc3339(now)
            conditions[i] = dict(condition, lastTransitionTime=transition)
            return
    conditions.append(dict(condition, lastTransitionTime=rfc3339(now)))


def _can_ignore_pdb(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(pod["metadata"].get("deletionTimestamp"))


def _should_enforce_resource_version(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return not (phase in ("Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"))


def _is_pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _pdb_processing(name: str) -> errors.StatusError:
    """createTooManyRequestsError: the PDB controller has not caught up yet."""
    return errors.too_many_requests("Cannot evict pod as it would violate the pod's disruption budget.", 10,
                                    [{"reason": "DisruptionBudget",
                                      "message": f"The disruption budget {name} is still being processed by the "
                                                 "server."}])


def _generic_response(code: int, qualified: str, name: str, text: str) -> errors.StatusError:
    """errors.NewGenericServerResponse for a kubelet answer the checker does not map itself."""
    reasons = {404: ("NotFound", "the server could not find the requested resource"),
               401: ("Unauthorized", "the server has asked for the client to provide credentials"),
               403: ("Forbidden", text), 409: ("Conflict", "the server reported a conflict")}
    reason, message = reasons.get(code, ("InternalError" if code >= 500 else "",
                                         f"an error on the server ({json.dumps(text)}) has prevented the request "
                                         "from succeeding" if code >= 500 else
                                         f"the server responded with the status code {code} but did not return "
                                         "more information"))
    resource, _, group = qualified.partition(".")
    details: dict = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": f"{message} (get {qualified} {name})", "reason": reason, "details": details, "code": code}
    if not reason:
        del status["reason"]
    return errors.StatusError(status)


def _node_address(node: Optional[dict]) -> str:
    for address in ((node or {}).get("status") or {}).get("addresses") or ():
        if address.get("type") == "InternalIP":
            return address.get("address", "")
    return ""


def _registered(api_version: str, kind: str) -> bool:
    try:
        SCHEME.by_kind(api_version, kind)
        return True
    except errors.StatusError:
        return False


def _internal_package(info: ResourceInfo) -> str:
    """The Go package of the internal type a body converts to (core.Pod, apps.Deployment)."""
    return info.group.split(".")[0] if info.group else "core"


def _scale(info: ResourceInfo, obj: dict) -> dict:
    """scaleFromDeployment (and its ReplicaSet, StatefulSet, ReplicationController twins)."""
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if info.resource == "replicationcontrollers":
        text = str(Selector.from_set(selector)) if selector else ""
    else:
        text = _selector_string(selector)
    scale_meta = {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                  "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta.get("creationTimestamp")}
    replicas = spec.get("replicas", 0)
    status: dict = {"replicas": (obj.get("status") or {}).get("replicas", 0)}
    if text:
        status["selector"] = text
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
            "spec": {"replicas": replicas} if replicas else {}, "status": status}


def _selector_string(selector: Optional[dict]) -> str:
    return str(Selector.from_label_selector(selector)) if selector is not None else ""


def generate_selector(job: dict) -> None:
    """job/strategy.go generateSelector: label the pod template with the Job's name and UID (the
    legacy and the ``batch.kubernetes.io/`` keys; a label the user set stays, and validation then
    says whether it still fits) and select on ``batch.kubernetes.io/controller-uid``."""
    meta, spec = job["metadata"], job.setdefault("spec", {})
    name, uid = meta.get("name", ""), meta.get("uid", "")
    tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
    labels = dict(tmeta.get("labels") or {})
    for key, value in ((LEGACY_JOB_NAME_LABEL, name), (JOB_NAME_LABEL, name),
                       (LEGACY_CONTROLLER_UID_LABEL, uid), (CONTROLLER_UID_LABEL, uid)):
        labels.setdefault(key, value)
    tmeta["labels"] = dict(sorted(labels.items()))          # a Go map: its JSON keys are sorted
    selector = spec.get("selector")
    selector = spec["selector"] = dict(selector) if selector is not None else {}
    match = dict(selector.get("matchLabels") or {})
    match.setdefault(CONTROLLER_UID_LABEL, uid)
    selector["matchLabels"] = dict(sorted(match.items()))


def _prepare_job(job: dict, now: float) -> None:
    """job/strategy.go PrepareForCreate: the selector unless ``spec.manualSelector``; ``managedBy``
    dropped (JobManagedBy is alpha in v1.31). A Job without labels shows its template's, as
    SetDefaults_Job gives them when the stored object is read back."""
    spec = job.setdefault("spec", {})
    spec.pop("managedBy", None)
    meta = job["metadata"]
    given = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    # Defaulting copied the template's labels to a Job that had none; upstream that is the same
    # map, so the generated labels show on the Job too.
    copied = given is not None and meta.get("labels") == given
    if not spec.get("manualSelector"):
        generate_selector(job)
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels is not None and (copied or not meta.get("labels")):
        meta["labels"] = dict(labels)


def _prepare_persistent_volume(pv: dict, now: float) -> None:
    """persistentvolume/strategy.go PrepareForCreate: Pending since now
    (PersistentVolumeLastPhaseTransitionTime, GA in v1.31)."""
    pv["status"] = {"phase": "Pending", "lastPhaseTransitionTime": rfc3339(now)}


def _prepare_persistent_volume_claim(pvc: dict, now: float) -> None:
    """persistentvolumeclaim/strategy.go PrepareForCreate clears the status; defaulting reads it
    back as Pending."""
    pvc["status"] = {"phase": "Pending"}


def _persistent_volume_phase_transition(new: dict, old: dict, now: float) -> None:
    """persistentvolumeStatusStrategy.PrepareForUpdate: a new phase stamps lastPhaseTransitionTime
    (unless the client set a new one); the same phase keeps the old stamp."""
    status, old_status = new.setdefault("status", {}), old.get("status") or {}
    stamp, old_stamp = status.get("lastPhaseTransitionTime"), old_status.get("lastPhaseTransitionTime")
    if status.get("phase") == old_status.get("phase"):
        if stamp is None and old_stamp is not None:
            status["lastPhaseTransitionTime"] = old_stamp
    elif stamp is None or stamp == old_stamp:
        status["lastPhaseTransitionTime"] = rfc3339(now)


# The strategies' PrepareForCreate beyond resetting the status, by (group, resource).
PREPARE_FOR_CREATE: dict[tuple[str, str], Callable[[dict, float], None]] = {
    ("batch", "jobs"): _prepare_job,
    ("", "persistentvolumes"): _prepare_persistent_volume,
    ("", "persistentvolumeclaims"): _prepare_persistent_volume_claim,
}


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
