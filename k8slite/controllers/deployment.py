"""The Deployment controller: roll a Deployment's pod template out through ReplicaSets.

Mirrors kubernetes v1.31 ``pkg/controller/deployment/``:
``deployment_controller.go`` (event handlers; syncDeployment: claim ReplicaSets by selector,
then, in this order, deletion → status only, paused conditions, paused → sync, rollback
annotation → rollback, scaling event → sync, else the strategy's rollout),
``sync.go`` (getNewReplicaSet: ``<deployment>-<pod-template-hash>``, revisions, annotations,
hash collisions and ``collisionCount``; scale: proportional scaling of every active
ReplicaSet when a Deployment is resized mid-rollout; cleanupDeployment: keep
``revisionHistoryLimit`` old ReplicaSets; calculateStatus; isScalingEvent;
checkPausedConditions), ``rolling.go`` (reconcileNewReplicaSet, reconcileOldReplicaSets,
cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate), ``recreate.go``
(old pods gone, then the new ReplicaSet), ``rollback.go`` (the deprecated
``deprecated.deployment.rollback.to`` annotation), ``progress.go`` (syncRolloutStatus:
Progressing and Available conditions, ``progressDeadlineSeconds``,
requeueStuckDeployment) and ``util/deployment_util.go`` (annotations, fenceposts,
proportions, conditions, the orderings).

Simplified: within one sync, an object the controller has just written replaces its cached
copy (upstream carries the stale copy on, and a second write in the same sync fails with
409 Conflict and is retried); the pods of a Recreate rollout are grouped by the
controllerRef of the pods of each claimed ReplicaSet, not by first listing the pods the
Deployment's selector matches; the revision-history annotation is capped at 2,000
characters as upstream, without the log line.
"""
from __future__ import annotations

import copy
from typing import Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import compute_hash, controller_of, owner_reference, parse_rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller
from .controller_ref_manager import ClaimError, ControllerRefManager, recheck_deletion_timestamp
from .deployment_util import (
    DESIRED_REPLICAS, FAILED_RS_CREATE, FOUND_NEW_RS, HASH_LABEL, NEW_REPLICA_SET, NEW_RS_AVAILABLE, PAUSED,
    REPLICA_SET_UPDATED, RESUMED, REVISION, ROLLBACK_DONE, ROLLBACK_REVISION_NOT_FOUND,
    ROLLBACK_TEMPLATE_UNCHANGED, ROLLBACK_TO, TIMED_OUT, active, annotations_of, by_creation_timestamp,
    by_revision, by_size_newer, by_size_older, calculate_status, creation_key, deployment_complete,
    deployment_progressing, deployment_timed_out, equal_ignore_hash, find_active_or_latest,
    find_new_replica_set, find_old_replica_sets, get_condition, get_proportion, get_rollback_to,
    has_progress_deadline, has_revision_history_limit, is_rolling_update, is_saturated, last_revision,
    max_revision, max_surge, max_unavailable, new_condition, new_rs_new_replicas, remove_condition,
    replicas_annotations_need_update, revision, set_condition, set_deployment_annotations_to,
    set_deployment_revision, set_new_replica_set_annotations, set_replicas_annotations, spec_replicas,
    status_count)

DEPLOYMENTS = SCHEME.by_resource("apps", "deployments")
REPLICASETS = SCHEME.by_resource("apps", "replicasets")
PODS = SCHEME.by_resource("", "pods")


class SyncError(Exception):
    """A sync that cannot finish now (a stale cache, a hash collision): it is retried after a back-off."""


# --- the controller ---------------------------------------------------------------------

class DeploymentController(Controller):
    NAME = "deployment"
    RETRY_ON = Controller.RETRY_ON + (SyncError, ClaimError)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.d_informer = factory.informer(DEPLOYMENTS)
        self.rs_informer = factory.informer(REPLICASETS)
        self.pod_informer = factory.informer(PODS)
        self.rs_informer.indexer.add_indexer("controller", _controller_uid)
        if "controller" not in self.pod_informer.indexer.indexers:
            self.pod_informer.indexer.add_indexer("controller", _controller_uid)
        self.d_informer.add_event_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.rs_informer.add_event_handler(self._add_rs, self._update_rs, self._delete_rs)
        self.pod_informer.add_event_handler(None, None, self._delete_pod)

    # -- event handlers -------------------------------------------------------------
    def _enqueue(self, d: dict) -> None:
        self.enqueue(meta_namespace_key(d))

    def _resolve(self, namespace: str, ref: Optional[dict]) -> Optional[dict]:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.d_informer.lister.get(namespace, ref["name"])
        return d if d is not None and d["metadata"].get("uid") == ref.get("uid") else None

    def _deployments_for_rs(self, rs: dict) -> list[dict]:
        """getDeploymentsForReplicaSet: the Deployments whose (non-empty) selector matches an orphan."""
        labels = rs["metadata"].get("labels")
        if not labels:
            return []
        found = []
        for d in self.d_informer.lister.list(rs["metadata"].get("namespace", "")):
            selector = _selector(d)
            if selector is not None and not selector.empty() and selector.matches(labels):
                found.append(d)
        return sorted(found, key=lambda d: d["metadata"]["name"])

    def _add_rs(self, rs: dict) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self._delete_rs(rs)
            return
        ref = controller_of(rs)
        if ref is not None:
            d = self._resolve(rs["metadata"].get("namespace", ""), ref)
            if d is not None:
                self._enqueue(d)
            return
        for d in self._deployments_for_rs(rs):
            self._enqueue(d)

    def _update_rs(self, old: dict, rs: dict) -> None:
        if old["metadata"].get("resourceVersion") == rs["metadata"].get("resourceVersion"):
            return
        namespace = rs["metadata"].get("namespace", "")
        old_ref, ref = controller_of(old), controller_of(rs)
        if old_ref != ref and old_ref is not None:
            d = self._resolve(namespace, old_ref)
            if d is not None:
                self._enqueue(d)
        if ref is not None:
            d = self._resolve(namespace, ref)
            if d is not None:
                self._enqueue(d)
            return
        if old["metadata"].get("labels") != rs["metadata"].get("labels") or old_ref != ref:
            for d in self._deployments_for_rs(rs):
                self._enqueue(d)

    def _delete_rs(self, rs: dict) -> None:
        d = self._resolve(rs["metadata"].get("namespace", ""), controller_of(rs))
        if d is not None:
            self._enqueue(d)

    def _delete_pod(self, pod: dict) -> None:
        """deletePod: a Recreate Deployment waits for its last old pod to go."""
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.lister.get(pod["metadata"].get("namespace", ""), ref["name"])
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return
        d = self._resolve(rs["metadata"].get("namespace", ""), controller_of(rs))
        if d is None or is_rolling_update(d):
            return
        rss = self.rs_informer.indexer.by_index("controller", d["metadata"]["uid"])
        if not any(self.pod_informer.indexer.by_index("controller", r["metadata"]["uid"]) for r in rss):
            self._enqueue(d)

    # -- syncDeployment -------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        cached = self.d_informer.lister.get(namespace, name)
        if cached is None:
            return
        d = copy.deepcopy(cached)
        if d["spec"].get("selector") == {}:
            self.recorder.event(d, "Warning", "SelectingAll",
                                "This deployment is selecting all pods. A non-empty selector is required.")
            if (d.get("status") or {}).get("observedGeneration", 0) < d["metadata"].get("generation", 0):
                d.setdefault("status", {})["observedGeneration"] = d["metadata"]["generation"]
                await self.client.update_status(DEPLOYMENTS, d)
            return
        rs_list = await self.get_replica_sets_for_deployment(d)
        if d["metadata"].get("deletionTimestamp"):
            await self.sync_status_only(d, rs_list)
            return
        await self.check_paused_conditions(d)
        if d["spec"].get("paused"):
            await self._sync(d, rs_list)
            return
        if get_rollback_to(d) is not None:
            await self.rollback(d, rs_list)
            return
        if await self.is_scaling_event(d, rs_list):
            await self._sync(d, rs_list)
            return
        if is_rolling_update(d):
            await self.rollout_rolling(d, rs_list)
        else:
            await self.rollout_recreate(d, rs_list)

    async def get_replica_sets_for_deployment(self, d: dict) -> list[dict]:
        """getReplicaSetsForDeployment: every ReplicaSet in the namespace, claimed by the selector."""
        selector = _selector(d)
        if selector is None:
            return []
        candidates = sorted(self.rs_informer.lister.list(d["metadata"]["namespace"]), key=creation_key)
        manager = ControllerRefManager(self.client, REPLICASETS, d, selector,
                                       recheck_deletion_timestamp(self.client, DEPLOYMENTS, d))
        return await manager.claim(candidates)

    async def _update_status(self, d: dict) -> None:
        """UpdateStatus, keeping the answer's resourceVersion on ``d`` for the rest of the sync."""
        result = await self.client.update_status(DEPLOYMENTS, d)
        d["metadata"]["resourceVersion"] = result["metadata"]["resourceVersion"]

    async def _write_rs(self, rs_list: list[dict], rs: dict) -> dict:
        result = await self.client.update(REPLICASETS, rs)
        for i, old in enumerate(rs_list):
            if old["metadata"]["uid"] == result["metadata"]["uid"]:
                rs_list[i] = result
        return result

    # -- sync.go ------------------------------------------------------------------------
    async def sync_status_only(self, d: dict, rs_list: list[dict]) -> None:
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        await self.sync_deployment_status(olds + [new], new, d)

    async def _sync(self, d: dict, rs_list: list[dict]) -> None:
        """sync: scaling events and paused Deployments."""
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        await self.scale(d, new, olds, rs_list)
        if d["spec"].get("paused") and get_rollback_to(d) is None:
            await self.cleanup_deployment(olds, d)
        await self.sync_deployment_status(olds + [new], new, d)

    async def check_paused_conditions(self, d: dict) -> None:
        if not has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = get_condition(status, "Progressing")
        if cond is not None and cond["reason"] == TIMED_OUT:
            return
        paused_exists = cond is not None and cond["reason"] == PAUSED
        if d["spec"].get("paused") and not paused_exists:
            set_condition(status, new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused",
                                                 self.kernel.now))
        elif not d["spec"].get("paused") and paused_exists:
            set_condition(status, new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed",
                                                self.kernel.now))
        else:
            return
        await self._update_status(d)

    async def get_all_replica_sets_and_sync_revision(self, d: dict, rs_list: list[dict],
                                                     create: bool) -> tuple[Optional[dict], list[dict]]:
        olds = find_old_replica_sets(d, rs_list)
        new = await self.get_new_replica_set(d, rs_list, olds, create)
        return new, olds

    async def get_new_replica_set(self, d: dict, rs_list: list[dict], olds: list[dict],
                                  create: bool) -> Optional[dict]:
        existing = find_new_replica_set(d, rs_list)
        new_revision = str(max_revision(olds) + 1)
        now = self.kernel.now
        status = d.setdefault("status", {})
        if existing is not None:
            rs = copy.deepcopy(existing)
            changed = set_new_replica_set_annotations(d, rs, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds", 0)
            if changed or rs["spec"].get("minReadySeconds", 0) != min_ready:
                rs["spec"]["minReadySeconds"] = min_ready
                return await self._write_rs(rs_list, rs)
            needs_update = set_deployment_revision(d, annotations_of(rs).get(REVISION))
            if has_progress_deadline(d) and get_condition(status, "Progressing") is None:
                set_condition(status, new_condition("Progressing", "True", FOUND_NEW_RS,
                                                    f'Found new replica set "{rs["metadata"]["name"]}"', now))
                needs_update = True
            if needs_update:
                await self._update_status(d)
            return rs
        if not create:
            return None

        template = copy.deepcopy(d["spec"]["template"])
        pod_hash = compute_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {})["labels"] = dict((template["metadata"].get("labels") or {}),
                                                             **{HASH_LABEL: pod_hash})
        selector = copy.deepcopy(d["spec"]["selector"])
        selector["matchLabels"] = dict(selector.get("matchLabels") or {}, **{HASH_LABEL: pod_hash})
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": name, "namespace": d["metadata"]["namespace"],
                           "ownerReferences": [owner_reference(d)], "labels": dict(template["metadata"]["labels"])},
              "spec": {"replicas": 0, "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                       "selector": selector, "template": template}}
        replicas = new_rs_new_replicas(d, olds + [rs], rs)
        rs["spec"]["replicas"] = replicas
        set_new_replica_set_annotations(d, rs, new_revision, False)
        already_exists = False
        try:
            created = await self.client.create(REPLICASETS, d["metadata"]["namespace"], rs)
        except errors.StatusError as error:
            if errors.is_already_exists(error):
                found = self.rs_informer.lister.get(d["metadata"]["namespace"], name)
                if found is None:
                    raise SyncError(f'replicaset.apps "{name}" not found') from None
                ref = controller_of(found)
                if ref is not None and ref.get("uid") == d["metadata"]["uid"] and \
                        equal_ignore_hash(d["spec"]["template"], found["spec"]["template"]):
                    created, already_exists = found, True
                else:
                    # A hash collision: bump collisionCount and try again with a new name.
                    status["collisionCount"] = status.get("collisionCount", 0) + 1
                    await self._update_status(d)
                    raise
            elif any(c.get("reason") == "NamespaceTerminating"
                     for c in (error.status.get("details") or {}).get("causes") or ()):
                raise
            else:
                message = f'Failed to create new replica set "{name}": {error.message}'
                if has_progress_deadline(d):
                    set_condition(status, new_condition("Progressing", "False", FAILED_RS_CREATE, message, now))
                    try:
                        await self._update_status(d)
                    except errors.StatusError:
                        pass
                self.recorder.event(d, "Warning", FAILED_RS_CREATE, message)
                raise
        if not already_exists:
            rs_list.append(created)
            if replicas > 0:
                self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                    f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}")
        needs_update = set_deployment_revision(d, new_revision)
        if not already_exists and has_progress_deadline(d):
            set_condition(status, new_condition("Progressing", "True", NEW_REPLICA_SET,
                                                f'Created new replica set "{created["metadata"]["name"]}"', now))
            needs_update = True
        if needs_update:
            await self._update_status(d)
        return created

    async def scale(self, d: dict, new: Optional[dict], olds: list[dict], rs_list: list[dict]) -> None:
        """scale: a resized Deployment spreads the difference over its active ReplicaSets, larger first."""
        desired = d["spec"].get("replicas", 1)
        target = find_active_or_latest(new, olds)
        if target is not None:
            if spec_replicas(target) != desired:
                await self.scale_replica_set_and_record_event(target, desired, d, rs_list)
            return
        if is_saturated(d, new):
            for old in active(olds):
                await self.scale_replica_set_and_record_event(old, 0, d, rs_list)
            return
        if not is_rolling_update(d):
            return
        rss = active(olds + [new])
        allowed = desired + max_surge(d) if desired > 0 else 0
        to_add = allowed - sum(spec_replicas(rs) for rs in rss)
        if to_add > 0:
            rss = by_size_newer(rss)
        elif to_add < 0:
            rss = by_size_older(rss)
        added, sizes = 0, {}
        for rs in rss:
            if to_add != 0:
                proportion = get_proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = spec_replicas(rs) + proportion
                added += proportion
            else:
                sizes[rs["metadata"]["name"]] = spec_replicas(rs)
        for i, rs in enumerate(rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:
                sizes[name] = max(sizes[name] + to_add - added, 0)    # leftovers to the largest
            await self.scale_replica_set(rs, sizes[name], d, rs_list)

    async def scale_replica_set_and_record_event(self, rs: dict, new_scale: int, d: dict,
                                                 rs_list: list[dict]) -> tuple[bool, dict]:
        """scaleReplicaSetAndRecordEvent: nothing to do when the size is already right."""
        if spec_replicas(rs) == new_scale:
            return False, rs
        return await self.scale_replica_set(rs, new_scale, d, rs_list)

    async def scale_replica_set(self, rs: dict, new_scale: int, d: dict, rs_list: list[dict]) -> tuple[bool, dict]:
        """scaleReplicaSet: resize, and bring the desired-replicas and max-replicas annotations up to date."""
        desired = d["spec"].get("replicas", 1)
        most = desired + max_surge(d)
        size_changed = spec_replicas(rs) != new_scale
        if not size_changed and not replicas_annotations_need_update(rs, desired, most):
            return False, rs
        old_scale = spec_replicas(rs)
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = new_scale
        set_replicas_annotations(updated, desired, most)
        result = await self._write_rs(rs_list, updated)
        if size_changed:
            direction = "up" if old_scale < new_scale else "down"
            self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled {direction} replica set "
                                f"{rs['metadata']['name']} from {old_scale} to {new_scale}")
        return size_changed, result

    async def cleanup_deployment(self, olds: list[dict], d: dict) -> None:
        """cleanupDeployment: delete the oldest ReplicaSets beyond revisionHistoryLimit that are empty
        and whose controller has seen their last change."""
        if not has_revision_history_limit(d):
            return
        alive = [rs for rs in olds if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - d["spec"]["revisionHistoryLimit"]
        if diff <= 0:
            return
        for rs in by_revision(alive)[:diff]:
            if status_count(rs, "replicas") != 0 or spec_replicas(rs) != 0 or \
                    rs["metadata"].get("generation", 0) > status_count(rs, "observedGeneration"):
                continue
            try:
                await self.client.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            except errors.StatusError as error:
                if not errors.is_not_found(error):
                    raise

    async def sync_deployment_status(self, all_rss: list[Optional[dict]], new: Optional[dict], d: dict) -> None:
        status = calculate_status(all_rss, new, d, self.kernel.now)
        if status == (d.get("status") or {}):
            return
        d["status"] = status
        await self._update_status(d)

    async def is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """isScalingEvent: an active ReplicaSet's desired-replicas annotation differs from spec.replicas."""
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        for rs in active(olds + [new]):
            try:
                desired = int(annotations_of(rs).get(DESIRED_REPLICAS, ""))
            except ValueError:
                continue
            if desired != d["spec"].get("replicas", 1):
                return True
        return False

    # -- rolling.go -------------------------------------------------------------------
    async def rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = olds + [new]
        if await self.reconcile_new_replica_set(all_rss, new, d, rs_list):
            await self.sync_rollout_status(self._current(rs_list, all_rss), self._current(rs_list, [new])[0], d)
            return
        new = self._current(rs_list, [new])[0]
        all_rss = self._current(rs_list, all_rss)
        if await self.reconcile_old_replica_sets(all_rss, active(self._current(rs_list, olds)), new, d, rs_list):
            await self.sync_rollout_status(self._current(rs_list, all_rss), new, d)
            return
        if deployment_complete(d, d.get("status") or {}):
            await self.cleanup_deployment(self._current(rs_list, olds), d)
        await self.sync_rollout_status(self._current(rs_list, all_rss), new, d)

    @staticmethod
    def _current(rs_list: list[dict], rss: list[Optional[dict]]) -> list[Optional[dict]]:
        """The ReplicaSets as this sync last wrote them."""
        latest = {rs["metadata"]["uid"]: rs for rs in rs_list}
        return [latest.get(rs["metadata"]["uid"], rs) if rs is not None else None for rs in rss]

    async def reconcile_new_replica_set(self, all_rss: list[dict], new: dict, d: dict, rs_list: list[dict]) -> bool:
        desired = d["spec"].get("replicas", 1)
        if spec_replicas(new) == desired:
            return False
        if spec_replicas(new) > desired:
            return (await self.scale_replica_set_and_record_event(new, desired, d, rs_list))[0]
        scaled, _ = await self.scale_replica_set_and_record_event(new, new_rs_new_replicas(d, all_rss, new), d, rs_list)
        return scaled

    async def reconcile_old_replica_sets(self, all_rss: list[dict], olds: list[dict], new: dict, d: dict,
                                         rs_list: list[dict]) -> bool:
        """Scale old ReplicaSets down as far as maxUnavailable allows, unhealthy replicas first.

        A worked example (rolling.go): 10 replicas, maxUnavailable 2, maxSurge 3. The new
        ReplicaSet is created with 3 and the old one scaled to 8; the new one goes to 5. If its
        pods never become available, allPods 13 - minAvailable 8 - newUnavailable 5 = 0: nothing
        more is scaled down, so 8 old pods keep serving."""
        old_pods = sum(spec_replicas(rs) for rs in olds)
        if old_pods == 0:
            return False
        all_pods = sum(spec_replicas(rs) for rs in all_rss)
        min_available = d["spec"].get("replicas", 1) - max_unavailable(d)
        new_unavailable = spec_replicas(new) - status_count(new, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        try:
            olds, cleaned = await self.cleanup_unhealthy_replicas(olds, d, max_scaled_down, rs_list)
        except SyncError:
            return False
        try:
            scaled = await self.scale_down_old_replica_sets_for_rolling_update(olds + [new], olds, d, rs_list)
        except SyncError:
            return False
        return cleaned + scaled > 0

    async def cleanup_unhealthy_replicas(self, olds: list[dict], d: dict, most: int,
                                         rs_list: list[dict]) -> tuple[list[dict], int]:
        """cleanupUnhealthyReplicas: scale old ReplicaSets down by their unavailable replicas, oldest first."""
        olds = by_creation_timestamp(olds)
        total = 0
        for i, rs in enumerate(olds):
            if total >= most:
                break
            if spec_replicas(rs) == 0 or spec_replicas(rs) == status_count(rs, "availableReplicas"):
                continue
            count = min(most - total, spec_replicas(rs) - status_count(rs, "availableReplicas"))
            new_count = spec_replicas(rs) - count
            if new_count > spec_replicas(rs):
                raise SyncError("when cleaning up unhealthy replicas, got invalid request to scale down "
                                f"{rs['metadata']['namespace']}/{rs['metadata']['name']} "
                                f"{spec_replicas(rs)} -> {new_count}")
            _, olds[i] = await self.scale_replica_set_and_record_event(rs, new_count, d, rs_list)
            total += count
        return olds, total

    async def scale_down_old_replica_sets_for_rolling_update(self, all_rss: list[dict], olds: list[dict],
                                                              d: dict, rs_list: list[dict]) -> int:
        min_available = d["spec"].get("replicas", 1) - max_unavailable(d)
        available = sum(status_count(rs, "availableReplicas") for rs in all_rss)
        if available <= min_available:
            return 0
        budget = available - min_available
        total = 0
        for rs in by_creation_timestamp(olds):
            if total >= budget:
                break
            if spec_replicas(rs) == 0:
                continue
            count = min(spec_replicas(rs), budget - total)
            new_count = spec_replicas(rs) - count
            if new_count > spec_replicas(rs):
                raise SyncError("when scaling down old RS, got invalid request to scale down "
                                f"{rs['metadata']['namespace']}/{rs['metadata']['name']} "
                                f"{spec_replicas(rs)} -> {new_count}")
            await self.scale_replica_set_and_record_event(rs, new_count, d, rs_list)
            total += count
        return total

    # -- recreate.go ------------------------------------------------------------------
    async def rollout_recreate(self, d: dict, rs_list: list[dict]) -> None:
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        all_rss = olds + [new]
        scaled_down = False
        for rs in active(olds):
            scaled, _ = await self.scale_replica_set_and_record_event(rs, 0, d, rs_list)
            scaled_down = scaled_down or scaled
        if scaled_down:
            await self.sync_rollout_status(self._current(rs_list, all_rss), new, d)
            return
        olds = self._current(rs_list, olds)
        if self.old_pods_running(new, olds, rs_list):
            await self.sync_rollout_status(self._current(rs_list, all_rss), new, d)
            return
        if new is None:
            new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
            all_rss = olds + [new]
        await self.scale_replica_set_and_record_event(new, d["spec"].get("replicas", 1), d, rs_list)
        if deployment_complete(d, d.get("status") or {}):
            await self.cleanup_deployment(self._current(rs_list, olds), d)
        await self.sync_rollout_status(self._current(rs_list, all_rss), self._current(rs_list, [new])[0], d)

    def old_pods_running(self, new: Optional[dict], olds: list[dict], rs_list: list[dict]) -> bool:
        """oldPodsRunning: old ReplicaSets still report pods, or a pod of one is not yet finished
        (a terminating pod counts: it is still running)."""
        if sum(status_count(rs, "replicas") for rs in olds) > 0:
            return True
        for rs in rs_list:
            if new is not None and rs["metadata"]["uid"] == new["metadata"]["uid"]:
                continue
            for pod in self.pod_informer.indexer.by_index("controller", rs["metadata"]["uid"]):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True
        return False

    # -- rollback.go --------------------------------------------------------------------
    async def rollback(self, d: dict, rs_list: list[dict]) -> None:
        new, olds = await self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = olds + [new]
        to = get_rollback_to(d)
        if to == 0:
            to = last_revision(all_rss)
            if to == 0:
                self.recorder.event(d, "Warning", ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision.")
                await self._update_and_clear_rollback_to(d)
                return
        for rs in all_rss:
            if revision(rs) == to:
                if not equal_ignore_hash(d["spec"]["template"], rs["spec"]["template"]):
                    template = copy.deepcopy(rs["spec"]["template"])
                    labels = (template.get("metadata") or {}).get("labels") or {}
                    labels.pop(HASH_LABEL, None)
                    d["spec"]["template"] = template
                    set_deployment_annotations_to(d, rs)
                    await self._update_and_clear_rollback_to(d)
                    self.recorder.event(d, "Normal", ROLLBACK_DONE,
                                        f'Rolled back deployment "{d["metadata"]["name"]}" to revision {to}')
                else:
                    self.recorder.event(d, "Warning", ROLLBACK_TEMPLATE_UNCHANGED,
                                        "The rollback revision contains the same template as current deployment "
                                        f'"{d["metadata"]["name"]}"')
                    await self._update_and_clear_rollback_to(d)
                return
        self.recorder.event(d, "Warning", ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to.")
        await self._update_and_clear_rollback_to(d)

    async def _update_and_clear_rollback_to(self, d: dict) -> None:
        d["metadata"].setdefault("annotations", {}).pop(ROLLBACK_TO, None)
        await self.client.update(DEPLOYMENTS, d)

    # -- progress.go --------------------------------------------------------------------
    async def sync_rollout_status(self, all_rss: list[Optional[dict]], new: Optional[dict], d: dict) -> None:
        now = self.kernel.now
        status = calculate_status(all_rss, new, d, now)
        if not has_progress_deadline(d):
            remove_condition(status, "Progressing")
        current = get_condition(d.get("status") or {}, "Progressing")
        complete_before = status.get("replicas", 0) == status.get("updatedReplicas", 0) and \
            current is not None and current["reason"] == NEW_RS_AVAILABLE
        name = d["metadata"]["name"]
        subject = f'ReplicaSet "{new["metadata"]["name"]}"' if new is not None else f'Deployment "{name}"'
        if has_progress_deadline(d) and not complete_before:
            if deployment_complete(d, status):
                set_condition(status, new_condition("Progressing", "True", NEW_RS_AVAILABLE,
                                                    f"{subject} has successfully progressed.", now))
            elif deployment_progressing(d, status):
                condition = new_condition("Progressing", "True", REPLICA_SET_UPDATED, f"{subject} is progressing.", now)
                if current is not None:
                    if current["status"] == "True":
                        condition["lastTransitionTime"] = current["lastTransitionTime"]
                    remove_condition(status, "Progressing")
                set_condition(status, condition)
            elif deployment_timed_out(d, status, now):
                set_condition(status, new_condition("Progressing", "False", TIMED_OUT,
                                                    f"{subject} has timed out progressing.", now))
        failures = self._replica_failures(all_rss, new)
        if failures:
            set_condition(status, failures[0])
        elif get_condition(status, "ReplicaFailure") is not None:
            remove_condition(status, "ReplicaFailure")
        if status == (d.get("status") or {}):
            self.requeue_stuck_deployment(d, status)
            return
        d["status"] = status
        await self._update_status(d)

    @staticmethod
    def _replica_failures(all_rss: list[Optional[dict]], new: Optional[dict]) -> list[dict]:
        """getReplicaFailures: the new ReplicaSet's ReplicaFailure condition, else any old one's."""
        def of(rs):
            return [{"type": "ReplicaFailure", "status": c["status"], "lastUpdateTime": c.get("lastTransitionTime"),
                     "lastTransitionTime": c.get("lastTransitionTime"), "reason": c.get("reason", ""),
                     "message": c.get("message", "")}
                    for c in (rs.get("status") or {}).get("conditions") or () if c["type"] == "ReplicaFailure"]
        if new is not None and of(new):
            return of(new)
        return [c for rs in all_rss if rs is not None for c in of(rs)]

    def requeue_stuck_deployment(self, d: dict, status: dict) -> float:
        """requeueStuckDeployment: come back when the progress deadline would pass (a second late)."""
        current = get_condition(d.get("status") or {}, "Progressing")
        if not has_progress_deadline(d) or current is None:
            return -1.0
        if deployment_complete(d, status) or current["reason"] == TIMED_OUT:
            return -1.0
        after = parse_rfc3339(current["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] - self.kernel.now
        key = meta_namespace_key(d)
        if after < 1.0:
            self.queue.add_rate_limited(key)
            return 0.0
        self.queue.add_after(key, after + 1.0)
        return after


def _selector(obj: dict) -> Optional[Selector]:
    try:
        return Selector.from_label_selector(obj["spec"].get("selector"))
    except ValueError:
        return None


def _controller_uid(obj: dict) -> list[str]:
    ref = controller_of(obj)
    return [ref["uid"]] if ref else []
