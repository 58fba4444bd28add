"""The namespace controller: empty a Terminating namespace, then release it to the API server.

Mirrors kubernetes v1.31 ``pkg/controller/namespace/namespace_controller.go`` (enqueue a
namespace only once it has a deletionTimestamp, after ``namespaceDeletionGracePeriod`` 5 s;
10 workers; content remaining → AddAfter estimate/2+1 s, other errors → AddRateLimited
with a 5 ms–60 s back-off) and ``deletion/namespaced_resources_deleter.go`` (``Delete``:
mark the phase Terminating; discover every namespaced resource that supports delete;
per resource estimate graceful termination (pods), DeleteCollection with background
propagation or list-and-delete where deletecollection is not served, then list what
remains and count its finalizers; set the status conditions; once nothing remains,
remove the ``kubernetes`` finalizer through ``namespaces/{name}/finalize``) and
``deletion/status_condition_utils.go`` (the five condition types, their reasons and
messages).

Simplified: discovery is the legacy walk (``/api/v1``, ``/apis`` and each preferred group
version) on every sync, not the aggregated document; no informer resync period; the
GroupVersionParsing condition is always the "ok" one (a served group version always parses).
"""
from __future__ import annotations

import copy
from typing import Optional

from ..api import errors
from ..api.meta import parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..client.workqueue import WorkQueue
from ..sim import Kernel, Timeout
from .base import Controller

NAMESPACES = SCHEME.by_resource("", "namespaces")
FINALIZER_KUBERNETES = "kubernetes"
NAMESPACE_DELETION_GRACE_PERIOD = 5.0     # namespace_controller.go namespaceDeletionGracePeriod
FINALIZER_ESTIMATE_SECONDS = 15           # namespaced_resources_deleter.go finalizerEstimateSeconds

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
GV_PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (DISCOVERY_FAILURE, GV_PARSING_FAILURE, CONTENT_FAILURE, CONTENT_REMAINING, FINALIZERS_REMAINING)
OK_MESSAGES = {
    DISCOVERY_FAILURE: "All resources successfully discovered",
    GV_PARSING_FAILURE: "All legacy kube types successfully parsed",
    CONTENT_FAILURE: "All content successfully deleted, may be waiting on finalization",
    CONTENT_REMAINING: "All content successfully removed",
    FINALIZERS_REMAINING: "All content-preserving finalizers finished",
}
SUCCESS_REASONS = {
    DISCOVERY_FAILURE: "ResourcesDiscovered", GV_PARSING_FAILURE: "ParsedGroupVersions",
    CONTENT_FAILURE: "ContentDeleted", CONTENT_REMAINING: "ContentRemoved",
    FINALIZERS_REMAINING: "ContentHasNoFinalizers",
}


class ResourcesRemainingError(Exception):
    """Content is still being removed; check again after ``estimate`` seconds."""

    def __init__(self, estimate: int):
        super().__init__(f"some content remains in the namespace, estimate {estimate} seconds before it is removed")
        self.estimate = estimate


class DeletionError(Exception):
    """An aggregate of what went wrong in one pass (utilerrors.NewAggregate)."""


class APIResource:
    """One entry of discovery: a namespaced resource and the verbs it serves."""
    __slots__ = ("group", "version", "resource", "verbs")

    def __init__(self, group: str, version: str, resource: str, verbs: tuple):
        self.group, self.version, self.resource, self.verbs = group, version, resource, verbs

    def __str__(self) -> str:        # schema.GroupVersionResource.String()
        return f"{self.group}/{self.version}, Resource={self.resource}"

    @property
    def info(self):
        return SCHEME.by_resource(self.group, self.resource)


class NamespacedResourcesDeleter:
    """deletion.NamespacedResourcesDeleter: everything one sync of a Terminating namespace does."""

    def __init__(self, kernel: Kernel, client: Client, finalizer_token: str = FINALIZER_KUBERNETES,
                 log: Optional[list] = None):
        self.kernel, self.client, self.finalizer_token = kernel, client, finalizer_token
        self.log = log if log is not None else []

    def _log(self, message: str) -> None:
        self.log.append(f"{self.kernel.now:.3f} {message}")

    async def delete(self, name: str) -> None:
        """Delete: raises ResourcesRemainingError while content remains."""
        try:
            namespace = await self.client.get(NAMESPACES, "", name)
        except errors.StatusError as error:
            if errors.is_not_found(error):
                return
            raise
        if not namespace["metadata"].get("deletionTimestamp"):
            return
        try:
            namespace = await self._retry_on_conflict(namespace, self._update_namespace_status)
        except errors.StatusError as error:
            if errors.is_not_found(error):
                return
            raise
        if not namespace["metadata"].get("deletionTimestamp"):
            return
        if self.finalized(namespace):
            return
        estimate = await self.delete_all_content(namespace)
        if estimate > 0:
            raise ResourcesRemainingError(estimate)
        try:
            await self._retry_on_conflict(namespace, self._finalize_namespace)
        except errors.StatusError as error:
            if not errors.is_not_found(error):
                raise

    def finalized(self, namespace: dict) -> bool:
        return self.finalizer_token not in ((namespace.get("spec") or {}).get("finalizers") or ())

    async def _retry_on_conflict(self, namespace: dict, fn) -> dict:
        latest = namespace
        while True:
            try:
                return await fn(latest)
            except errors.StatusError as error:
                if not errors.is_conflict(error):
                    raise
            previous = latest
            latest = await self.client.get(NAMESPACES, "", previous["metadata"]["name"])
            if latest["metadata"].get("uid") != previous["metadata"].get("uid"):
                raise DeletionError("namespace uid has changed across retries")

    async def _update_namespace_status(self, namespace: dict) -> dict:
        if not namespace["metadata"].get("deletionTimestamp") or \
                (namespace.get("status") or {}).get("phase") == "Terminating":
            return namespace
        updated = copy.deepcopy(namespace)
        updated.setdefault("status", {})["phase"] = "Terminating"
        return await self.client.update_status(NAMESPACES, updated)

    async def _finalize_namespace(self, namespace: dict) -> dict:
        """Remove our token from spec.finalizers (the rest sorted, as a string set lists them)."""
        finalize = {"apiVersion": "v1", "kind": "Namespace", "metadata": copy.deepcopy(namespace["metadata"]),
                    "spec": copy.deepcopy(namespace.get("spec") or {})}
        finalize["spec"]["finalizers"] = sorted({f for f in finalize["spec"].get("finalizers") or ()
                                                 if f != self.finalizer_token})
        try:
            return await self.client.update(NAMESPACES, finalize, "finalize")
        except errors.StatusError as error:
            if errors.is_not_found(error):
                return namespace
            raise

    # -- discovery ------------------------------------------------------------------------------
    async def discover_resources(self) -> tuple[list[APIResource], list[str]]:
        """ServerPreferredNamespacedResources: (resources, failing "group/version: error" lines)."""
        found, failed = [], []
        versions = [("", "v1", "/api/v1")]
        groups = await self.client.request("GET", "/apis")
        for group in groups.get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("groupVersion") or \
                group["versions"][0]["groupVersion"]
            versions.append((group["name"], preferred.rpartition("/")[2], f"/apis/{preferred}"))
        for group, version, path in versions:
            try:
                listing = await self.client.request("GET", path)
            except (errors.StatusError, Timeout) as error:
                failed.append(f"{path.removeprefix('/api/').removeprefix('/apis/')}: {error}")
                continue
            for r in listing.get("resources") or []:
                if r.get("namespaced") and "/" not in r["name"]:
                    found.append(APIResource(group, version, r["name"], tuple(r.get("verbs") or ())))
        return found, sorted(failed)

    # -- content ----------------------------------------------------------------------------------
    async def delete_all_content(self, namespace: dict) -> int:
        """deleteAllContent: returns the estimate in seconds until everything is gone."""
        name = namespace["metadata"]["name"]
        deleted_at = namespace["metadata"]["deletionTimestamp"]
        errs: list[str] = []
        conditions: list[dict] = []
        estimate = 0
        try:
            resources, failed = await self.discover_resources()
        except (errors.StatusError, Timeout) as error:
            resources, failed = [], []
            errs.append(str(error))
            conditions.append(self._condition(DISCOVERY_FAILURE, "True", "DiscoveryFailed", str(error)))
        if failed:
            message = f"unable to retrieve the complete list of server APIs: {', '.join(failed)}"
            errs.append(message)
            conditions.append(self._condition(DISCOVERY_FAILURE, "True", "DiscoveryFailed",
                                              f"Discovery failed for some groups, {len(failed)} failing: {message}"))
        content_errors: list[str] = []
        remaining_by_gvr: dict[str, int] = {}
        remaining_by_finalizer: dict[str, int] = {}
        for resource in resources:
            if "delete" not in resource.verbs:
                continue
            try:
                gvr_estimate, remaining, finalizers = await self.delete_all_content_for_gvr(
                    resource, name, deleted_at)
            except (errors.StatusError, Timeout, DeletionError) as error:
                errs.append(str(error))
                content_errors.append(str(error))
                continue
            estimate = max(estimate, gvr_estimate)
            if remaining:
                remaining_by_gvr[f"{resource.resource}.{resource.group}"] = remaining
                for finalizer, count in finalizers.items():
                    remaining_by_finalizer[finalizer] = remaining_by_finalizer.get(finalizer, 0) + count
        if remaining_by_gvr:
            lines = sorted(f"{gr} has {n} resource instances" for gr, n in remaining_by_gvr.items())
            conditions.append(self._condition(CONTENT_REMAINING, "True", "SomeResourcesRemain",
                                              f"Some resources are remaining: {', '.join(lines)}"))
        if remaining_by_finalizer:
            lines = sorted(f"{f} in {n} resource instances" for f, n in remaining_by_finalizer.items())
            conditions.append(self._condition(
                FINALIZERS_REMAINING, "True", "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {', '.join(lines)}"))
        if content_errors:
            conditions.append(self._condition(
                CONTENT_FAILURE, "True", "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(content_errors)} remaining: "
                f"{', '.join(sorted(content_errors))}"))
        updated = copy.deepcopy(namespace)
        if update_conditions(updated.setdefault("status", {}), conditions, self._now()):
            try:
                await self.client.update_status(NAMESPACES, updated)
            except (errors.StatusError, Timeout) as error:
                self._log(f'couldn\'t update status condition for namespace "{name}": {error}')
        self._log(f'"namespace controller - deleteAllContent" namespace="{name}" estimate={estimate}')
        if errs:
            raise DeletionError("[" + ", ".join(errs) + "]" if len(errs) > 1 else errs[0])
        return estimate

    def _now(self) -> str:
        return rfc3339(self.kernel.now)

    def _condition(self, kind: str, status: str, reason: str, message: str) -> dict:
        return {"type": kind, "status": status, "lastTransitionTime": self._now(), "reason": reason,
                "message": message}

    async def delete_all_content_for_gvr(self, resource: APIResource, namespace: str,
                                         deleted_at: str) -> tuple[int, int, dict]:
        """deleteAllContentForGroupVersionResource: (estimate, items remaining, finalizer counts)."""
        info = resource.info
        estimate = 0
        if (info.group, info.resource) == ("", "pods"):
            estimate = await self.estimate_graceful_termination_for_pods(namespace, deleted_at)
        if not await self.delete_collection(resource, namespace):
            await self.delete_each_item(resource, namespace)
        if "list" not in resource.verbs:
            return estimate, 0, {}
        items = (await self.client.list(info, namespace))["items"]
        self._log(f'"Namespace controller - deleteAllContentForGroupVersionResource - items remaining" '
                  f'namespace="{namespace}" gvr="{resource}" items={len(items)}')
        if not items:
            return 0, 0, {}
        finalizers: dict[str, int] = {}
        for item in items:
            for finalizer in item["metadata"].get("finalizers") or ():
                finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
        if estimate:
            return estimate, len(items), finalizers
        if finalizers:
            return FINALIZER_ESTIMATE_SECONDS, len(items), finalizers
        raise DeletionError(f"unexpected items still remain in namespace: {namespace} for gvr: {resource}")

    async def delete_collection(self, resource: APIResource, namespace: str) -> bool:
        """DeleteCollection with background propagation (so the API server adds no orphan
        finalizer); False when the resource does not serve it."""
        if "deletecollection" not in resource.verbs:
            return False
        try:
            await self.client.delete_collection(resource.info, namespace, propagation_policy="Background")
        except errors.StatusError as error:
            if error.reason in ("MethodNotAllowed", "NotFound"):
                return False
            raise
        return True

    async def delete_each_item(self, resource: APIResource, namespace: str) -> None:
        if "list" not in resource.verbs:
            return
        for item in (await self.client.list(resource.info, namespace))["items"]:
            try:
                await self.client.delete(resource.info, namespace, item["metadata"]["name"],
                                         propagation_policy="Background")
            except errors.StatusError as error:
                if error.reason not in ("NotFound", "MethodNotAllowed"):
                    raise

    async def estimate_graceful_termination_for_pods(self, namespace: str, deleted_at: str) -> int:
        """The longest grace period of a pod not yet finished, or 0 once that long has passed
        since the namespace's deletionTimestamp."""
        estimate = 0
        for pod in (await self.client.list(SCHEME.by_resource("", "pods"), namespace))["items"]:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if grace is not None and grace > estimate:
                estimate = grace
        if self.kernel.now - parse_rfc3339(deleted_at) >= estimate:
            estimate = 0
        return int(estimate)


def update_conditions(status: dict, new_conditions: list[dict], now: str) -> bool:
    """updateConditions: every condition type present, failures as given, the rest "ok";
    lastTransitionTime moves only when the status flips."""
    changed = False
    conditions = status.setdefault("conditions", [])
    for kind in CONDITION_TYPES:
        new = next((c for c in new_conditions if c["type"] == kind), None) or \
            {"type": kind, "status": "False", "lastTransitionTime": now, "reason": SUCCESS_REASONS[kind],
             "message": OK_MESSAGES[kind]}
        old = next((c for c in conditions if c["type"] == kind), None)
        if old is None:
            conditions.append(new)
            changed = True
        elif (old["status"], old.get("message"), old.get("reason")) != (new["status"], new["message"], new["reason"]):
            if old["status"] != new["status"]:
                old["lastTransitionTime"] = now
            old.update(status=new["status"], reason=new["reason"], message=new["message"])
            changed = True
    return changed


class NamespaceController(Controller):
    NAME = "namespace"
    RETRY_ON = (ResourcesRemainingError, errors.StatusError, Timeout, DeletionError)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, workers: int = 10,
                 finalizer_token: str = FINALIZER_KUBERNETES):
        """``workers``: --concurrent-namespace-syncs (10)."""
        super().__init__(kernel, workers)
        self.queue = WorkQueue(kernel, self.NAME, max_delay=60.0)     # nsControllerRateLimiter
        self.client = client
        self.log: list[str] = []
        self.deleter = NamespacedResourcesDeleter(kernel, client, finalizer_token, self.log)
        self.informer = factory.informer(NAMESPACES)
        self.lister = self.informer.lister
        self.informer.add_event_handler(self.enqueue_namespace, lambda old, new: self.enqueue_namespace(new))

    def enqueue_namespace(self, namespace: dict) -> None:
        """Only namespaces being deleted, and a little later, so that HA API servers have seen the
        deletion and etcd the last creations in it."""
        if not namespace["metadata"].get("deletionTimestamp"):
            return
        self.queue.add_after(namespace["metadata"]["name"], NAMESPACE_DELETION_GRACE_PERIOD)

    def handle_error(self, key: str, error: Exception) -> None:
        """Content still there: look again when it should be gone; anything else: back off."""
        if isinstance(error, ResourcesRemainingError):
            wait = error.estimate // 2 + 1
            self.log.append(f'{self.kernel.now:.3f} "Content remaining in namespace" namespace="{key}" '
                            f'waitSeconds={wait}')
            self.queue.add_after(key, wait)
            return
        self.log.append(f"{self.kernel.now:.3f} deletion of namespace {key} failed: {error}")
        self.queue.add_rate_limited(key)

    async def sync(self, key: str) -> None:
        """syncNamespaceFromKey."""
        if self.lister.get("", key) is None:
            self.log.append(f'{self.kernel.now:.3f} "Namespace has been deleted" namespace="{key}"')
            return
        await self.deleter.delete(key)
