"""Admission: the plugins that mutate, then validate, an object before it is stored.

Mirrors kubernetes v1.31 ``plugin/pkg/admission/``: ``namespace/lifecycle``
(NamespaceLifecycle: no new objects in a namespace that does not exist or is
terminating; the system namespaces cannot be deleted), ``serviceaccount``
(ServiceAccount: a pod runs as ``default`` unless it names another, which must exist),
``defaulttolerationseconds`` (DefaultTolerationSeconds: pods tolerate not-ready and
unreachable nodes for 300 s) and ``priority`` (Priority: resolve priorityClassName).

Simplified: plugins read the API server's own watch caches instead of informers over
a loopback client; the ServiceAccount plugin does not mount a projected token volume
yet; no webhooks. More plugins (LimitRanger, ResourceQuota, PodSecurity,
NodeRestriction) come with the authorization chapter.
"""
from __future__ import annotations

from typing import Any, Optional

from ..api import errors
from ..api.scheme import ResourceInfo

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_TOLERATION_SECONDS = 300


MISSING_NAMESPACE_WAIT = 0.05     # lifecycle.go missingNamespaceWait


class Admission:
    """The ordered chain: ``admit`` runs mutating plugins, ``validate`` validating ones."""

    def __init__(self, server: Any):
        self.server = server

    async def admit(self, ctx, info: ResourceInfo, operation: str, obj: dict, old: Optional[dict]) -> None:
        if info.resource == "pods" and operation == "CREATE":
            self._service_account_admit(obj)
            self._default_toleration_seconds(obj)
            self._priority(obj)

    async def validate(self, ctx, info: ResourceInfo, operation: str, obj: dict, old: Optional[dict]) -> None:
        if operation == "CREATE" and info.namespaced:
            await self._namespace_lifecycle(info, obj)
        if info.resource == "pods" and operation == "CREATE":
            self._service_account_validate(obj)

    def check_delete(self, info: ResourceInfo, namespace: str, name: str) -> None:
        if info.resource == "namespaces" and name in IMMORTAL_NAMESPACES:
            raise errors.forbidden("namespaces", name, "this namespace may not be deleted")

    # -- NamespaceLifecycle ------------------------------------------------------
    async def _namespace_lifecycle(self, info: ResourceInfo, obj: dict) -> None:
        namespace = obj["metadata"].get("namespace", "")
        ns = self.server.cached("namespaces", "", namespace)
        if ns is None:           # give the cache time to see a new namespace, then ask etcd itself
            await self.server.kernel.sleep(MISSING_NAMESPACE_WAIT)
            ns = self.server.cached("namespaces", "", namespace)
        if ns is None:
            namespaces = self.server.registries[("", "namespaces")]
            ns = await namespaces.storage.get(namespaces.storage.key("", namespace), namespace)
        if ns.get("status", {}).get("phase") == "Terminating":
            raise errors.forbidden(info.qualified_resource, obj["metadata"].get("name", ""),
                                   f"unable to create new content in namespace {namespace} because it is "
                                   f"being terminated")

    # -- ServiceAccount ----------------------------------------------------------
    def _service_account_admit(self, pod: dict) -> None:
        spec = pod["spec"]
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = spec.get("serviceAccount") or "default"
        spec["serviceAccount"] = spec["serviceAccountName"]

    def _service_account_validate(self, pod: dict) -> None:
        if pod["metadata"].get("annotations", {}).get("kubernetes.io/config.mirror"):
            return
        namespace, account = pod["metadata"]["namespace"], pod["spec"]["serviceAccountName"]
        if self.server.cached("serviceaccounts", namespace, account) is None:
            raise errors.forbidden("pods", pod["metadata"].get("name", ""),
                                   f"error looking up service account {namespace}/{account}: "
                                   f'serviceaccount "{account}" not found')

    # -- DefaultTolerationSeconds ------------------------------------------------
    def _default_toleration_seconds(self, pod: dict) -> None:
        tolerations = pod["spec"].setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if any(t.get("key") in (key, None, "") and t.get("effect") in ("NoExecute", None, "")
                   and (t.get("key") or t.get("operator") == "Exists") for t in tolerations):
                continue
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})

    # -- Priority ----------------------------------------------------------------
    def _priority(self, pod: dict) -> None:
        spec = pod["spec"]
        name = spec.get("priorityClassName")
        if not name:
            spec.setdefault("priority", 0)
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            return
        if name in ("system-node-critical", "system-cluster-critical"):
            spec["priority"] = 2000001000 if name == "system-node-critical" else 2000000000
            spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
            return
        pc = self.server.cached("priorityclasses", "", name)
        if pc is None:
            raise errors.forbidden("pods", pod["metadata"].get("name", ""),
                                   f"no PriorityClass with name {name} was found")
        spec["priority"] = pc.get("value", 0)
        spec["preemptionPolicy"] = pc.get("preemptionPolicy", "PreemptLowerPriority")
