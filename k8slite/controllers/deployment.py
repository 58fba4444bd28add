"""The Deployment controller: roll a Deployment's pod template out through ReplicaSets.

Mirrors kubernetes v1.31 ``pkg/controller/deployment/deployment_controller.go``
(syncDeployment), ``sync.go`` (getNewReplicaSet: the new ReplicaSet is named
``<deployment>-<pod-template-hash>``; revisions; scale; syncDeploymentStatus),
``rolling.go`` (reconcileNewReplicaSet and reconcileOldReplicaSets with maxSurge and
maxUnavailable), ``recreate.go``, and ``util/deployment_util.go`` (ResolveFenceposts:
surge rounds up, unavailable rounds down, both zero means one unavailable;
NewRSNewReplicas; the revision annotations and condition reasons).

Simplified: no pause/resume, rollback, progress deadline or revision history
cleanup yet (they come with the controllers chapter); minReadySeconds is 0.
"""
from __future__ import annotations

import copy
import math
from typing import Optional

from ..api import errors
from ..api.meta import compute_hash, controller_of, owner_reference, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

DEPLOYMENTS = SCHEME.by_resource("apps", "deployments")
REPLICASETS = SCHEME.by_resource("apps", "replicasets")
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"


def _scaled(value, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    percent = int(str(value).rstrip("%"))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(deployment: dict) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as absolute numbers."""
    desired = deployment["spec"].get("replicas", 1)
    rolling = (deployment["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    surge = _scaled(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def template_without_hash(template: dict) -> dict:
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return template


def _replicas(rs: Optional[dict]) -> int:
    return rs["spec"].get("replicas", 0) if rs else 0


def _status(rs: dict, field: str) -> int:
    return (rs.get("status") or {}).get(field, 0)


class DeploymentController(Controller):
    NAME = "deployment"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.d_informer = factory.informer(DEPLOYMENTS)
        self.rs_informer = factory.informer(REPLICASETS)
        self.rs_informer.indexer.add_indexer("controller", lambda o: [r["uid"] for r in [controller_of(o)] if r])
        self.d_informer.add_event_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.rs_informer.add_event_handler(self._rs_event, lambda old, new: self._rs_event(new), self._rs_event)

    def _enqueue(self, d: dict) -> None:
        self.enqueue(meta_namespace_key(d))

    def _rs_event(self, rs: dict) -> None:
        ref = controller_of(rs)
        if ref is not None and ref.get("kind") == "Deployment":
            self.enqueue(f"{rs['metadata']['namespace']}/{ref['name']}")

    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        d = self.d_informer.lister.get(namespace, name)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        owned = sorted(self.rs_informer.indexer.by_index("controller", d["metadata"]["uid"]),
                       key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))
        wanted = template_without_hash(d["spec"]["template"])
        new = next((rs for rs in owned if template_without_hash(rs["spec"]["template"]) == wanted), None)
        olds = [rs for rs in owned if rs is not new]
        if new is None:
            new = await self._create_new_rs(d, olds)
            if new is None:
                return
        elif (new["metadata"].get("annotations") or {}).get(REVISION) != self._revision(d, olds, new):
            new = await self._set_annotations(d, new, self._revision(d, olds, new))
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            await self._rollout_recreate(d, new, olds)
        else:
            await self._rollout_rolling(d, new, olds)
        await self._sync_status(d, new, olds)

    def _revision(self, d: dict, olds: list[dict], new: Optional[dict]) -> str:
        current = (new["metadata"].get("annotations") or {}).get(REVISION) if new else None
        highest = max((int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")) for rs in olds), default=0)
        if current is not None and int(current) > highest:
            return current
        return str(highest + 1)

    async def _create_new_rs(self, d: dict, olds: list[dict]) -> Optional[dict]:
        template = copy.deepcopy(d["spec"]["template"])
        pod_hash = compute_hash(template, (d.get("status") or {}).get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        desired = d["spec"].get("replicas", 1)
        surge, _ = resolve_fenceposts(d)
        replicas = self._new_rs_replicas(d, olds, None)
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": f"{d['metadata']['name']}-{pod_hash}", "namespace": d["metadata"]["namespace"],
                           "labels": dict(template["metadata"]["labels"]),
                           "annotations": {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(desired + surge),
                                           REVISION: self._revision(d, olds, None)},
                           "ownerReferences": [owner_reference(d)]},
              "spec": {"replicas": replicas, "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                       "selector": selector, "template": template}}
        try:
            created = await self.client.create(REPLICASETS, d["metadata"]["namespace"], rs)
        except errors.StatusError as error:
            if error.reason == "AlreadyExists":
                return None          # our informer has not seen it yet; the watch event re-queues us
            raise
        if replicas > 0:
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}")
        return created

    def _new_rs_replicas(self, d: dict, olds: list[dict], new: Optional[dict]) -> int:
        """NewRSNewReplicas for RollingUpdate; Recreate starts the new ReplicaSet at 0 while old pods exist."""
        desired = d["spec"].get("replicas", 1)
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            return desired if not any(_replicas(rs) for rs in olds) else _replicas(new)
        surge, _ = resolve_fenceposts(d)
        current = sum(_replicas(rs) for rs in olds) + _replicas(new)
        if current >= desired + surge:
            return _replicas(new)
        return _replicas(new) + max(0, min(desired + surge - current, desired - _replicas(new)))

    async def _scale(self, d: dict, rs: dict, replicas: int) -> dict:
        if _replicas(rs) == replicas:
            return rs
        surge, _ = resolve_fenceposts(d)
        desired = d["spec"].get("replicas", 1)
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = replicas
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations[DESIRED_REPLICAS] = str(desired)
        annotations[MAX_REPLICAS] = str(desired + surge)
        result = await self.client.update(REPLICASETS, updated)
        direction = "up" if replicas > _replicas(rs) else "down"
        self.recorder.event(d, "Normal", "ScalingReplicaSet",
                            f"Scaled {direction} replica set {rs['metadata']['name']} from {_replicas(rs)} to {replicas}")
        return result

    async def _set_annotations(self, d: dict, rs: dict, revision: str) -> dict:
        updated = copy.deepcopy(rs)
        updated["metadata"].setdefault("annotations", {})[REVISION] = revision
        return await self.client.update(REPLICASETS, updated)

    async def _rollout_rolling(self, d: dict, new: dict, olds: list[dict]) -> None:
        desired = d["spec"].get("replicas", 1)
        # reconcileNewReplicaSet
        if _replicas(new) > desired:
            new = await self._scale(d, new, desired)
        elif _replicas(new) < desired:
            new = await self._scale(d, new, self._new_rs_replicas(d, olds, new))
        # reconcileOldReplicaSets
        active_olds = [rs for rs in olds if _replicas(rs) > 0]
        if not active_olds:
            return
        _, unavailable = resolve_fenceposts(d)
        min_available = desired - unavailable
        all_pods = sum(_replicas(rs) for rs in olds) + _replicas(new)
        new_unavailable = _replicas(new) - _status(new, "availableReplicas")
        if all_pods - min_available - new_unavailable <= 0:
            return
        available = sum(_status(rs, "availableReplicas") for rs in olds) + _status(new, "availableReplicas")
        budget = available - min_available
        for rs in active_olds:                      # oldest first
            if budget <= 0:
                break
            step = min(_replicas(rs), budget)
            await self._scale(d, rs, _replicas(rs) - step)
            budget -= step

    async def _rollout_recreate(self, d: dict, new: dict, olds: list[dict]) -> None:
        for rs in olds:
            if _replicas(rs):
                await self._scale(d, rs, 0)
        if any(_status(rs, "replicas") for rs in olds):
            return                                   # wait for the old pods to be gone
        await self._scale(d, new, d["spec"].get("replicas", 1))

    async def _sync_status(self, d: dict, new: dict, olds: list[dict]) -> None:
        every = olds + [new]
        desired = d["spec"].get("replicas", 1)
        _, unavailable_budget = resolve_fenceposts(d)
        available = sum(_status(rs, "availableReplicas") for rs in every)
        status = {"observedGeneration": d["metadata"].get("generation", 0),
                  "replicas": sum(_status(rs, "replicas") for rs in every),
                  "updatedReplicas": _status(new, "replicas"),
                  "readyReplicas": sum(_status(rs, "readyReplicas") for rs in every),
                  "availableReplicas": available,
                  "unavailableReplicas": max(desired - available, 0)}
        for field in ("readyReplicas", "availableReplicas", "unavailableReplicas", "updatedReplicas", "replicas"):
            if not status[field]:
                status.pop(field)
        old_conditions = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or ()}
        now = rfc3339(self.kernel.now)
        has_min = available >= desired - unavailable_budget
        available_cond = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.") if has_min \
            else ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        rs_name = new["metadata"]["name"]
        complete = _status(new, "availableReplicas") == desired and _replicas(new) == desired and \
            not any(_replicas(rs) for rs in olds)
        if complete:
            progressing = ("True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')
        elif "Progressing" not in old_conditions:
            progressing = ("True", "NewReplicaSetCreated", f'Created new replica set "{rs_name}"')
        else:
            progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
        conditions = []
        for ctype, (cstatus, reason, message) in (("Available", available_cond), ("Progressing", progressing)):
            old = old_conditions.get(ctype)
            transition = old["lastTransitionTime"] if old and old["status"] == cstatus else now
            update = old["lastUpdateTime"] if old and old["reason"] == reason and old["message"] == message else now
            conditions.append({"type": ctype, "status": cstatus, "lastUpdateTime": update,
                               "lastTransitionTime": transition, "reason": reason, "message": message})
        status["conditions"] = conditions
        if d.get("status", {}).get("collisionCount") is not None:
            status["collisionCount"] = d["status"]["collisionCount"]
        if status == d.get("status"):
            return
        updated = copy.deepcopy(d)
        updated["status"] = status
        revision = (new["metadata"].get("annotations") or {}).get(REVISION)
        if revision:
            # A status update carries metadata along (the Deployment strategy keeps only its labels),
            # so the revision annotation rides with the status, as syncRolloutStatus does it.
            updated["metadata"].setdefault("annotations", {})[REVISION] = revision
        await self.client.update_status(DEPLOYMENTS, updated)
