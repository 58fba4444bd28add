"""The ResourceQuota controller: keep each quota's ``status.hard`` and ``status.used`` true to the namespace.

Mirrors kubernetes v1.31 ``pkg/controller/resourcequota/resource_quota_controller.go`` (addQuota and the
update handler that enqueues a quota whose ``spec.hard`` changed; syncResourceQuota: status.hard is
spec.hard, status.used is the usage the evaluators measure, masked to the hard names, written only when
something changed; enqueueAll, the full recalculation every 5 minutes, ``--resource-quota-sync-period``;
replenishQuota: recalculate the quotas of a namespace that track a kind whose object went away),
``resource_quota_monitor.go`` (a monitor per quotable resource: deletes, pods that stop counting, Services
that change type) and ``pkg/quota/v1`` (CalculateUsage, ``generic/evaluator.go`` CalculateUsageStats with
scopes and scope selectors, the object-count evaluators with their legacy names ``configmaps``,
``secrets``, ``resourcequotas``, ``replicationcontrollers``). The per-object usage and scope rules of
``pkg/quota/v1/evaluator/core`` (pods, services, persistentvolumeclaims) are the API server's: they are
imported from the ResourceQuota admission plugin in ``apiserver/admission.py`` so that admission and this
controller cannot disagree.

Simplified:
- k8slite's admission refuses over-quota requests but does not write ``status.used`` as it admits
  (upstream's quotaEvaluator does, with compare-and-swap), so the monitor also recalculates after an
  object is added or its usage changes, not only after a delete; ``status.used`` therefore follows
  creates as promptly as upstream's.
- Discovery is read once, when the controller is built: monitors cover the namespaced resources the
  scheme has then (except events, upstream's ignored resource); a custom resource named by a quota's
  ``count/<resource>.<group>`` later gets its monitor when the quota is synced (upstream re-runs
  discovery every 30 s).
- One work queue (upstream has a second, missingUsageQueue, to serve quotas with unmeasured usage
  first); no metrics.
"""
from __future__ import annotations

import copy
from fractions import Fraction
from typing import Optional

from ..api.quantity import format_quantity, parse_quantity
from ..api.scheme import SCHEME, ResourceInfo
from ..apiserver.admission import Attributes, _is_binary, _quota_evaluator, _quota_scopes_match
from ..client.informer import SharedIndexInformer, SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

RESOURCE_QUOTAS = SCHEME.by_resource("", "resourcequotas")
RESYNC_PERIOD = 300.0                       # --resource-quota-sync-period 5m0s
IGNORED_RESOURCES = frozenset({("", "events"), ("events.k8s.io", "events")})
QUOTABLE_VERBS = ("create", "list", "watch", "delete")


def evaluator_for(info: ResourceInfo):
    """The admission plugin's evaluator for creating one of ``info``: (usage(obj, now) -> (usage, names in
    binary units), tracks(name) -> bool, scoped). The controller measures stored objects with the same
    functions admission charges new ones with."""
    attributes = Attributes("CREATE", info, "", "", "", None, None, "", ())
    return _quota_evaluator(attributes)


def resources_for(name: str) -> list[tuple[str, str]]:
    """(group, resource) of the evaluators that might track a quota resource name."""
    if name.startswith("count/"):
        resource, _, group = name[len("count/"):].partition(".")
        return [(group, resource)]
    legacy = {"configmaps", "secrets", "resourcequotas", "replicationcontrollers"}
    if name in legacy:
        return [("", name)]
    if name.startswith("services"):
        return [("", "services")]
    if name == "persistentvolumeclaims" or name.endswith("requests.storage") or \
            name.endswith(".storageclass.storage.k8s.io/persistentvolumeclaims"):
        return [("", "persistentvolumeclaims")]
    return [("", "pods")]


def canonical(raw) -> str:
    """Quantity.String() of a written quantity: canonical, in the units it was written in."""
    return format_quantity(parse_quantity(raw), binary=_is_binary(raw))


def equal_lists(a: Optional[dict], b: Optional[dict]) -> bool:
    """quota.Equals: the same names with the same amounts, however they are written."""
    a, b = a or {}, b or {}
    if set(a) != set(b):
        return False
    try:
        return all(parse_quantity(a[k]) == parse_quantity(b[k]) for k in a)
    except ValueError:
        return a == b


class ResourceQuotaController(Controller):
    NAME = "resourcequota"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, workers: int = 5,
                 resync_period: float = RESYNC_PERIOD):
        super().__init__(kernel, workers)
        self.client, self.factory = client, factory
        self.resync_period = resync_period
        self.owner: Optional[str] = None
        self.monitors: dict[tuple[str, str], SharedIndexInformer] = {}   # (group, resource) -> informer
        self.evaluators: dict[tuple[str, str], object] = {}              # (group, resource) -> evaluator_for
        self.quota_informer = factory.informer(RESOURCE_QUOTAS)
        self.quota_informer.add_event_handler(self.add_quota, self._update_quota, self._enqueue)
        for info in SCHEME.all():
            if info.namespaced and all(v in info.verbs for v in QUOTABLE_VERBS) and \
                    (info.group, info.resource) not in IGNORED_RESOURCES:
                self._monitor(info)

    # -- quotas ------------------------------------------------------------------------------------------
    def _enqueue(self, quota: dict) -> None:
        self.enqueue(meta_namespace_key(quota))

    def add_quota(self, quota: dict) -> None:
        self._enqueue(quota)

    def _update_quota(self, old: dict, new: dict) -> None:
        """Only a change of ``spec.hard`` needs a recalculation now; the rest waits for the resync."""
        if not equal_lists((old.get("spec") or {}).get("hard"), (new.get("spec") or {}).get("hard")):
            self.add_quota(new)

    def run(self, owner: str) -> None:
        self.owner = owner
        super().run(owner)
        if self.resync_period > 0:
            self.kernel.spawn(self._resync(), "resourcequota resync", cause=None, owner=owner)

    async def _resync(self) -> None:
        """enqueueAll: every quota, every resync period, for a full recalculation."""
        while True:
            await self.kernel.sleep(self.resync_period)
            for quota in self.quota_informer.indexer.list():
                self._enqueue(quota)

    # -- monitors (resource_quota_monitor.go) ------------------------------------------------------------
    def _monitor(self, info: ResourceInfo) -> SharedIndexInformer:
        key = (info.group, info.resource)
        informer = self.monitors.get(key)
        if informer is None:
            informer = self.monitors[key] = self.factory.informer(info)
            informer.add_event_handler(lambda obj: self.replenish(info, obj),
                                       lambda old, new: self._object_updated(info, old, new),
                                       lambda obj: self.replenish(info, obj))
            if self.owner is not None:      # discovered late: the factory has already started
                informer.run(self.owner)
        return informer

    def _evaluator(self, info: ResourceInfo):
        key = (info.group, info.resource)
        if key not in self.evaluators:
            self.evaluators[key] = evaluator_for(info) if info.namespaced else None
        return self.evaluators[key]

    def _object_updated(self, info: ResourceInfo, old: dict, new: dict) -> None:
        """The monitor's UpdateFunc: a pod that stops counting (it finished), a Service whose type changed,
        and (see Simplified) any other change of what the object is charged."""
        namespace = new["metadata"].get("namespace")
        evaluator = self._evaluator(info)
        if not namespace or evaluator is None or not self.quota_informer.lister.list(namespace):
            return
        usage_fn, now = evaluator[0], self.kernel.now
        if usage_fn(old, now)[0] != usage_fn(new, now)[0]:
            self.replenish(info, new)

    def replenish(self, info: ResourceInfo, obj: dict) -> None:
        """replenishQuota: the quotas of the object's namespace that track its kind get recalculated."""
        namespace = obj["metadata"].get("namespace")
        evaluator = self._evaluator(info)
        if not namespace or evaluator is None:
            return
        tracks = evaluator[1]
        for quota in self.quota_informer.lister.list(namespace):
            hard = (quota.get("status") or {}).get("hard") or {}
            if any(tracks(name) for name in hard):
                self._enqueue(quota)

    # -- syncResourceQuota --------------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        quota = self.quota_informer.lister.get(namespace, name)
        if quota is None:
            return
        spec, status = quota.get("spec") or {}, quota.get("status") or {}
        hard = spec.get("hard") or {}
        new_usage = self.calculate_usage(namespace, quota, hard)
        if new_usage is None:
            self.queue.add_after(key, 0.1)        # a monitor is still listing
            return
        used = dict(status.get("used") or {})
        used.update(new_usage)
        used = {k: used[k] for k in sorted(used) if k in hard}
        dirty = not equal_lists(hard, status.get("hard")) or status.get("hard") is None or \
            status.get("used") is None or not equal_lists(used, status.get("used"))
        if not dirty:
            return
        updated = copy.deepcopy(quota)
        updated["status"] = {"hard": {k: canonical(hard[k]) for k in sorted(hard)}, "used": used}
        await self.client.update_status(RESOURCE_QUOTAS, updated)

    def calculate_usage(self, namespace: str, quota: dict, hard: dict) -> Optional[dict]:
        """CalculateUsage: each evaluator that tracks some of the quota's names sums its objects in the
        namespace that match the quota's scopes; None while a monitor it needs has not synced."""
        now = self.kernel.now
        usage: dict[str, Fraction] = {}
        binary: set[str] = set()
        seen: set[tuple[str, str]] = set()
        for name in sorted(hard):
            for group, resource in resources_for(name):
                if (group, resource) in seen or (group, resource) in IGNORED_RESOURCES:
                    continue
                seen.add((group, resource))
                try:
                    info = SCHEME.by_resource(group, resource)
                except KeyError:
                    continue
                evaluator = self._evaluator(info)
                if evaluator is None:
                    continue
                usage_fn, tracks, scoped = evaluator
                tracked = [k for k in sorted(hard) if tracks(k)]
                if not tracked:
                    continue
                informer = self._monitor(info)
                if not informer.has_synced():
                    return None
                for k in tracked:                        # every tracked name starts at zero
                    usage.setdefault(k, Fraction(0))
                for obj in informer.lister.list(namespace):
                    if not _quota_scopes_match(quota, obj if scoped else None, now):
                        continue
                    amounts, units = usage_fn(obj, now)
                    for k in tracked:
                        if k in amounts:
                            usage[k] += amounts[k]
                            if k in units:
                                binary.add(k)
        return {k: format_quantity(v, binary=k in binary) for k, v in usage.items()}
