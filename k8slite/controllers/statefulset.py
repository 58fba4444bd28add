"""The StatefulSet controller: pods with stable names, stable storage and ordered change.

Mirrors kubernetes v1.31 ``pkg/controller/statefulset``:

- ``stateful_set.go``: event handlers (a pod enqueues its controller, an orphan every
  StatefulSet whose selector matches it), ``sync`` (adopt orphan ControllerRevisions, claim
  pods with ``isMemberOf``, then ``UpdateStatefulSet``; re-enqueue after ``minReadySeconds``);
- ``stateful_set_control.go``: ``UpdateStatefulSet`` → ``performUpdate`` →
  ``getStatefulSetRevisions`` (current and update ControllerRevision, collision count) and
  ``updateStatefulSet`` (split pods into ``replicas`` [start, end] and ``condemned``;
  ``processReplica`` creates, recreates failed pods, waits for Running and Ready in
  OrderedReady; ``processCondemned`` deletes from the highest ordinal; RollingUpdate
  deletes the highest ordinal not at the update revision, down to the partition; OnDelete
  stops there), ``truncateHistory`` and ``updateStatefulSetStatus``
  (``completeRollingUpdate``, ``inconsistentStatus``);
- ``stateful_set_utils.go``: names ``<set>-<ordinal>`` and ``<claim>-<set>-<ordinal>``, the
  identity (labels ``statefulset.kubernetes.io/pod-name``, ``apps.kubernetes.io/pod-index``,
  ``spec.hostname``/``spec.subdomain``), storage, revisions as a patch of the pod template,
  ``newVersionedStatefulSetPod``, and the PVC retention policy's owner references;
- ``stateful_pod_control.go``: claims before pods, events ``SuccessfulCreate``/``SuccessfulDelete``
  with the upstream messages, ``PodClaimIsStale``, ``UpdatePodClaimForRetentionPolicy``;
- ``stateful_set_status_updater.go``: PUT status, retried on conflict.

ControllerRevision helpers live in ``history.py`` (``pkg/controller/history``).

Feature gates as in v1.31: StatefulSetAutoDeletePVC (beta, on), PodIndexLabel (beta, on),
StatefulSetStartOrdinal (GA: ``spec.ordinals.start``), and MaxUnavailableStatefulSet (alpha,
off; ``feature_gates={"MaxUnavailableStatefulSet": True}`` turns on
``updateStatefulSetAfterInvariantEstablished``).

PVC owner references are v1.31's: plain (non-controller) references to the set and/or the pod
(v1.32 made them controller references); the garbage collector then deletes the claims.

Simplified: ApplyRevision replaces ``spec.template`` instead of running a strategic merge
patch (the revision's patch is a ``$patch: replace`` of the template, so the result is the
same); Go map iteration (claims, volumes) is replaced by volumeClaimTemplates order; the
status and pod-update retries on conflict wait a fixed 10 ms, without jitter; ClaimPods takes its
candidates from two pod indexes (by controlling set, and orphans by name prefix) instead of
listing the namespace, which gives the same pods; no metrics.
"""
from __future__ import annotations

import copy
import re
from typing import Awaitable, Callable, Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import controller_of, owner_reference, parse_rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel, Timeout
from .base import Controller
from .history import CONTROLLERREVISIONS, AdoptError, History, equal_revision, find_equal_revisions, \
    new_controller_revision, next_revision, sort_controller_revisions

STATEFULSETS = SCHEME.by_resource("apps", "statefulsets")
PODS = SCHEME.by_resource("", "pods")
PVCS = SCHEME.by_resource("", "persistentvolumeclaims")

STATEFULSET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
STATEFULSET_REVISION_LABEL = "controller-revision-hash"
MAX_BATCH_SIZE = 500                 # realistic in-flight requests in Parallel mode
RETAIN, DELETE = "Retain", "Delete"
RETRY_STEPS, RETRY_DELAY = 5, 0.01   # retry.DefaultRetry (5 steps of 10 ms), without jitter
FEATURE_GATES = {"StatefulSetAutoDeletePVC": True, "PodIndexLabel": True, "MaxUnavailableStatefulSet": False}

_STATEFUL_POD = re.compile(r"^(.*)-([0-9]+)$")


class SyncError(Exception):
    """An error a sync returns that is not an API Status (upstream ``fmt.Errorf``); retried."""


RETRYABLE = (errors.StatusError, Timeout, SyncError, AdoptError)


# ---- stateful_set_utils.go ----------------------------------------------------------------

def get_parent_name_and_ordinal(pod: dict) -> tuple[str, int]:
    """``web-12`` → ("web", 12); a name without a trailing ordinal → ("", -1)."""
    match = _STATEFUL_POD.match(pod["metadata"]["name"])
    if not match or int(match.group(2)) > 0x7FFFFFFF:
        return "", -1
    return match.group(1), int(match.group(2))


def get_ordinal(pod: dict) -> int:
    return get_parent_name_and_ordinal(pod)[1]


def get_start_ordinal(set_: dict) -> int:
    return int(((set_["spec"].get("ordinals") or {}).get("start")) or 0)


def get_end_ordinal(set_: dict) -> int:
    return get_start_ordinal(set_) + replicas_of(set_) - 1


def replicas_of(set_: dict) -> int:
    replicas = set_["spec"].get("replicas")
    return 1 if replicas is None else int(replicas)


def pod_in_ordinal_range(pod: dict, set_: dict) -> bool:
    return get_start_ordinal(set_) <= get_ordinal(pod) <= get_end_ordinal(set_)


def get_pod_name(set_: dict, ordinal: int) -> str:
    return f"{set_['metadata']['name']}-{ordinal}"


def get_persistent_volume_claim_name(set_: dict, claim: dict, ordinal: int) -> str:
    return f"{claim['metadata']['name']}-{set_['metadata']['name']}-{ordinal}"


def is_member_of(set_: dict, pod: dict) -> bool:
    return get_parent_name_and_ordinal(pod)[0] == set_["metadata"]["name"]


def identity_matches(set_: dict, pod: dict) -> bool:
    parent, ordinal = get_parent_name_and_ordinal(pod)
    meta = pod["metadata"]
    return (ordinal >= 0 and parent == set_["metadata"]["name"] and meta["name"] == get_pod_name(set_, ordinal)
            and meta.get("namespace") == set_["metadata"].get("namespace")
            and (meta.get("labels") or {}).get(STATEFULSET_POD_NAME_LABEL) == meta["name"])


def claim_templates(set_: dict) -> list[dict]:
    return set_["spec"].get("volumeClaimTemplates") or []


def storage_matches(set_: dict, pod: dict) -> bool:
    """The pod's volumes reference every claim its ordinal should have."""
    ordinal = get_ordinal(pod)
    if ordinal < 0:
        return False
    volumes = {v["name"]: v for v in pod["spec"].get("volumes") or ()}
    for claim in claim_templates(set_):
        volume = volumes.get(claim["metadata"]["name"])
        if volume is None or (volume.get("persistentVolumeClaim") or {}).get("claimName") != \
                get_persistent_volume_claim_name(set_, claim, ordinal):
            return False
    return True


def get_persistent_volume_claim_retention_policy(set_: dict) -> dict:
    policy = set_["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return {"whenDeleted": policy.get("whenDeleted") or RETAIN, "whenScaled": policy.get("whenScaled") or RETAIN}


def has_owner_ref(target: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid", "")
    return any(ref.get("uid") == uid for ref in target["metadata"].get("ownerReferences") or ())


def has_stale_owner_ref(target: dict, owner: dict) -> bool:
    """A reference with the owner's name but another uid: an earlier pod (or set) of that name."""
    name, uid = owner["metadata"]["name"], owner["metadata"].get("uid", "")
    return any(ref.get("name") == name and ref.get("uid") != uid
               for ref in target["metadata"].get("ownerReferences") or ())


def set_owner_ref(target: dict, owner: dict, api_version: str, kind: str) -> bool:
    """Add a plain (non-controller) reference to ``owner``; True if ``target`` changed."""
    if has_owner_ref(target, owner):
        return False
    refs = target["metadata"].setdefault("ownerReferences", [])
    refs.append({"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
                 "uid": owner["metadata"].get("uid", "")})
    return True


def remove_owner_ref(target: dict, owner: dict) -> bool:
    if not has_owner_ref(target, owner):
        return False
    uid = owner["metadata"].get("uid", "")
    refs = [r for r in target["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
    if refs:
        target["metadata"]["ownerReferences"] = refs
    else:
        target["metadata"].pop("ownerReferences", None)
    return True


def claim_owner_matches_set_and_pod(claim: dict, set_: dict, pod: dict) -> bool:
    """Whether the claim's owner references are what the retention policy asks for:

    whenScaled/whenDeleted Retain/Retain → no reference to the set or the pod;
    Retain/Delete → the set only; Delete/Retain → the pod only, once the pod is scaled down;
    Delete/Delete → the set while the pod is in range, the pod once it is scaled down."""
    policy = get_persistent_volume_claim_retention_policy(set_)
    scaled, deleted = policy["whenScaled"], policy["whenDeleted"]
    on_set, on_pod = has_owner_ref(claim, set_), has_owner_ref(claim, pod)
    scaled_down = not pod_in_ordinal_range(pod, set_)
    if scaled == DELETE and deleted == RETAIN:
        return not on_set and scaled_down == on_pod
    if scaled == DELETE and deleted == DELETE:
        return scaled_down != on_set and scaled_down == on_pod
    if scaled == RETAIN and deleted == DELETE:
        return on_set and not on_pod
    return not on_set and not on_pod       # Retain/Retain, and any unknown policy


def update_claim_owner_ref_for_set_and_pod(claim: dict, set_: dict, pod: dict) -> bool:
    """Rewrite the claim's references to the set and pod for the retention policy; True if it changed."""
    policy = get_persistent_volume_claim_retention_policy(set_)
    scaled, deleted = policy["whenScaled"], policy["whenDeleted"]
    scaled_down = not pod_in_ordinal_range(pod, set_)
    want_set = (scaled == RETAIN and deleted == DELETE) or (scaled == DELETE and deleted == DELETE and not scaled_down)
    want_pod = scaled == DELETE and deleted in (RETAIN, DELETE) and scaled_down
    changed = False
    if want_set:
        changed = set_owner_ref(claim, set_, "apps/v1", "StatefulSet") or changed
    else:
        changed = remove_owner_ref(claim, set_) or changed
    if want_pod:
        changed = set_owner_ref(claim, pod, "v1", "Pod") or changed
    else:
        changed = remove_owner_ref(claim, pod) or changed
    return changed


def get_persistent_volume_claims(set_: dict, pod: dict) -> list[tuple[str, dict]]:
    """(template name, the claim this pod's ordinal gets), in template order."""
    ordinal = get_ordinal(pod)
    match_labels = (set_["spec"].get("selector") or {}).get("matchLabels") or {}
    claims = []
    for template in claim_templates(set_):
        claim = copy.deepcopy(template)
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        meta = claim.setdefault("metadata", {})
        meta["name"] = get_persistent_volume_claim_name(set_, template, ordinal)
        meta["namespace"] = set_["metadata"].get("namespace")
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claims.append((template["metadata"]["name"], claim))
    return claims


def update_storage(set_: dict, pod: dict) -> None:
    """Point the pod's volumes at its claims, keeping its other volumes after them."""
    claims = get_persistent_volume_claims(set_, pod)
    names = {name for name, _ in claims}
    volumes = [{"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
               for name, claim in claims]
    volumes += [v for v in pod["spec"].get("volumes") or () if v["name"] not in names]
    pod["spec"]["volumes"] = volumes


def update_identity(set_: dict, pod: dict, pod_index_label: bool = True) -> None:
    ordinal = get_ordinal(pod)
    meta = pod["metadata"]
    meta["name"] = get_pod_name(set_, ordinal)
    meta["namespace"] = set_["metadata"].get("namespace")
    labels = meta.setdefault("labels", {})
    labels[STATEFULSET_POD_NAME_LABEL] = meta["name"]
    if pod_index_label:
        labels[POD_INDEX_LABEL] = str(ordinal)


def init_identity(set_: dict, pod: dict, pod_index_label: bool = True) -> None:
    """update_identity plus the fields fixed at creation: hostname and the headless service's subdomain."""
    update_identity(set_, pod, pod_index_label)
    pod["spec"]["hostname"] = pod["metadata"]["name"]
    if set_["spec"].get("serviceName"):
        pod["spec"]["subdomain"] = set_["spec"]["serviceName"]


def _conditions(pod: dict) -> list:
    return (pod.get("status") or {}).get("conditions") or []


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in _conditions(pod))


def is_running_and_ready(pod: dict) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """podutil.IsPodAvailable: Ready, and Ready for longer than ``minReadySeconds``."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    ready = next(c for c in _conditions(pod) if c.get("type") == "Ready")
    since = ready.get("lastTransitionTime")
    return bool(since) and parse_rfc3339(since) + min_ready_seconds < now


def is_created(pod: dict) -> bool:
    """The API server has it: a pod we only built in memory has no phase."""
    return _phase(pod) != ""


def is_pending(pod: dict) -> bool:
    return _phase(pod) == "Pending"


def is_failed(pod: dict) -> bool:
    return _phase(pod) == "Failed"


def is_succeeded(pod: dict) -> bool:
    return _phase(pod) == "Succeeded"


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_unavailable(pod: dict, min_ready_seconds: int, now: float) -> bool:
    return not is_running_and_available(pod, min_ready_seconds, now) or is_terminating(pod)


def allows_burst(set_: dict) -> bool:
    return set_["spec"].get("podManagementPolicy") == "Parallel"


def get_pod_revision(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(STATEFULSET_REVISION_LABEL, "")


def set_pod_revision(pod: dict, revision: str) -> None:
    pod["metadata"].setdefault("labels", {})[STATEFULSET_REVISION_LABEL] = revision


def new_stateful_set_pod(set_: dict, ordinal: int, pod_index_label: bool = True) -> dict:
    """controller.GetPodFromTemplate (labels, annotations, finalizers, ``generateName``, the
    controller reference), then the ordinal's name, identity and storage."""
    template = set_["spec"]["template"]
    tmeta = template.get("metadata") or {}
    meta: dict = {"name": get_pod_name(set_, ordinal), "generateName": set_["metadata"]["name"] + "-",
                  "namespace": set_["metadata"].get("namespace"), "labels": dict(tmeta.get("labels") or {}),
                  "ownerReferences": [owner_reference(set_)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}
    init_identity(set_, pod, pod_index_label)
    update_storage(set_, pod)
    return pod


def new_versioned_stateful_set_pod(current_set: dict, update_set: dict, current_revision: str,
                                   update_revision: str, ordinal: int, pod_index_label: bool = True) -> dict:
    """A missing pod below the partition is made at the current revision, any other at the update
    revision. Upstream's condition reads ``A && (B && C) || (D && E)``; Go's precedence makes the
    partition clause apply whatever the strategy, and so does this."""
    spec = current_set["spec"]
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = get_start_ordinal(current_set)
    current_replicas = int((current_set.get("status") or {}).get("currentReplicas") or 0)
    if (strategy.get("type", "RollingUpdate") == "RollingUpdate" and rolling is None
            and ordinal < start + current_replicas) or \
            (rolling is not None and ordinal < start + int(rolling.get("partition") or 0)):
        pod = new_stateful_set_pod(current_set, ordinal, pod_index_label)
        set_pod_revision(pod, current_revision)
        return pod
    pod = new_stateful_set_pod(update_set, ordinal, pod_index_label)
    set_pod_revision(pod, update_revision)
    return pod


def get_patch(set_: dict) -> dict:
    """What a revision records: a strategic merge patch replacing the whole pod template."""
    template = copy.deepcopy(set_["spec"]["template"])
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def new_revision(set_: dict, revision: int, collision_count: int) -> dict:
    cr = new_controller_revision(set_, (set_["spec"]["template"].get("metadata") or {}).get("labels"),
                                 get_patch(set_), revision, collision_count)
    annotations = set_["metadata"].get("annotations")
    if annotations:
        cr["metadata"]["annotations"] = dict(annotations)
    return cr


def apply_revision(set_: dict, revision: dict) -> dict:
    """The set as it was at ``revision``: its template replaced by the recorded one."""
    clone = copy.deepcopy(set_)
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    clone["spec"]["template"] = template
    return clone


def get_stateful_set_max_unavailable(value, replica_count: int) -> int:
    """maxUnavailable as a number: default 1, a percentage rounds down, and never below 1."""
    if value is None:
        value = 1
    if isinstance(value, str) and value.endswith("%"):
        number = int(value[:-1]) * replica_count // 100
    else:
        number = int(value)
    return max(number, 1)


def new_status() -> dict:
    return {"observedGeneration": 0, "replicas": 0, "readyReplicas": 0, "currentReplicas": 0,
            "updatedReplicas": 0, "currentRevision": "", "updateRevision": "", "collisionCount": 0,
            "availableReplicas": 0}


def status_json(status: dict) -> dict:
    """StatefulSetStatus as JSON: ``omitempty`` drops zero counts and empty revisions, except
    ``replicas`` and ``availableReplicas``; ``collisionCount`` is a set pointer, so it stays."""
    out = {}
    for key, value in status.items():
        if value or key in ("replicas", "availableReplicas", "collisionCount"):
            out[key] = value
    return out


def inconsistent_status(set_: dict, status: dict) -> bool:
    """Whether the computed status differs from the set's in a field worth a write (not collisionCount)."""
    old = {**new_status(), **(set_.get("status") or {})}
    return status["observedGeneration"] > old["observedGeneration"] or any(
        status[k] != old[k] for k in ("replicas", "currentReplicas", "readyReplicas", "updatedReplicas",
                                      "currentRevision", "availableReplicas", "updateRevision"))


def complete_rolling_update(set_: dict, status: dict) -> None:
    """Every replica updated and ready: the update revision becomes the current one."""
    replicas = replicas_of(set_)
    if (set_["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate" and \
            status["updatedReplicas"] == replicas and status["readyReplicas"] == replicas and \
            status["replicas"] == replicas:
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def update_status(status: dict, min_ready_seconds: int, now: float, current_revision: dict, update_revision: dict,
                  *pod_lists: list) -> None:
    """computeReplicaStatus over each list: created, running-and-ready, available, and at which revision."""
    for key in ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"):
        status[key] = 0
    current, update = current_revision["metadata"]["name"], update_revision["metadata"]["name"]
    for pods in pod_lists:
        for pod in pods:
            if is_created(pod):
                status["replicas"] += 1
            if is_running_and_ready(pod):
                status["readyReplicas"] += 1
                if is_running_and_available(pod, min_ready_seconds, now):
                    status["availableReplicas"] += 1
            if is_created(pod) and not is_terminating(pod):
                revision = get_pod_revision(pod)
                status["currentReplicas"] += revision == current
                status["updatedReplicas"] += revision == update


def _aggregate(messages: list[str]) -> str:
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


# ---- stateful_pod_control.go -------------------------------------------------------------

class StatefulPodControl:
    """Creates, updates and deletes a set's pods and claims, and records an Event for each."""

    def __init__(self, kernel: Kernel, client: Client, pod_lister, claim_lister, recorder: EventRecorder,
                 gates: dict):
        self.kernel, self.client, self.recorder, self.gates = kernel, client, recorder, gates
        self.pod_lister, self.claim_lister = pod_lister, claim_lister

    async def create_stateful_pod(self, set_: dict, pod: dict) -> None:
        try:
            await self.create_persistent_volume_claims(set_, pod)
        except RETRYABLE as error:
            self.record_pod_event("create", set_, pod, error)
            raise
        try:
            await self.client.create(PODS, pod["metadata"]["namespace"], pod)
        except errors.StatusError as error:
            if not errors.is_already_exists(error):       # our cache is behind: no event, retry later
                self.record_pod_event("create", set_, pod, error)
            raise
        if self.gates["StatefulSetAutoDeletePVC"]:
            try:
                await self.update_pod_claim_for_retention_policy(set_, pod)
            except RETRYABLE as error:
                self.record_pod_event("update", set_, pod, error)
                raise
        self.record_pod_event("create", set_, pod, None)

    async def update_stateful_pod(self, set_: dict, pod: dict) -> None:
        """Restore the pod's identity, storage and claim ownership; PUT it, retrying on conflict."""
        attempted = False
        try:
            for step in range(RETRY_STEPS):
                consistent = True
                if not identity_matches(set_, pod):
                    update_identity(set_, pod, self.gates["PodIndexLabel"])
                    consistent = False
                if not storage_matches(set_, pod):
                    update_storage(set_, pod)
                    consistent = False
                    await self.create_persistent_volume_claims(set_, pod)
                if self.gates["StatefulSetAutoDeletePVC"] and not self.claims_match_retention_policy(set_, pod):
                    await self.update_pod_claim_for_retention_policy(set_, pod)
                    consistent = False
                if consistent:
                    return
                attempted = True
                try:
                    await self.client.update(PODS, pod)
                    break
                except errors.StatusError as error:
                    if not errors.is_conflict(error) or step == RETRY_STEPS - 1:
                        raise
                    fresh = self.pod_lister.get(set_["metadata"].get("namespace"), pod["metadata"]["name"])
                    if fresh is not None:
                        pod = copy.deepcopy(fresh)
                    await self.kernel.sleep(RETRY_DELAY)
        except RETRYABLE as error:
            self.record_pod_event("update", set_, pod, error)
            raise
        if attempted:
            self.record_pod_event("update", set_, pod, None)

    async def delete_stateful_pod(self, set_: dict, pod: dict) -> None:
        try:
            await self.client.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        except errors.StatusError as error:
            self.record_pod_event("delete", set_, pod, error)
            raise
        self.record_pod_event("delete", set_, pod, None)

    def claims_match_retention_policy(self, set_: dict, pod: dict) -> bool:
        """Missing claims count as matching: the next sync creates them."""
        ordinal = get_ordinal(pod)
        for template in claim_templates(set_):
            claim = self.claim_lister.get(set_["metadata"].get("namespace"),
                                          get_persistent_volume_claim_name(set_, template, ordinal))
            if claim is not None and not claim_owner_matches_set_and_pod(claim, set_, pod):
                return False
        return True

    async def update_pod_claim_for_retention_policy(self, set_: dict, pod: dict) -> None:
        ordinal = get_ordinal(pod)
        for template in claim_templates(set_):
            name = get_persistent_volume_claim_name(set_, template, ordinal)
            claim = self.claim_lister.get(set_["metadata"].get("namespace"), name)
            if claim is None or claim_owner_matches_set_and_pod(claim, set_, pod):
                continue
            claim = copy.deepcopy(claim)
            if update_claim_owner_ref_for_set_and_pod(claim, set_, pod):
                try:
                    await self.client.update(PVCS, claim)
                except errors.StatusError as error:
                    raise SyncError(f"Could not update claim {name} for delete policy ownerRefs: {error}") from error

    def pod_claim_is_stale(self, set_: dict, pod: dict) -> bool:
        """With whenScaled=Delete, a claim still referencing an earlier pod of this name blocks the
        new pod until the garbage collector has removed the claim."""
        if get_persistent_volume_claim_retention_policy(set_)["whenScaled"] == RETAIN:
            return False
        for _, claim in get_persistent_volume_claims(set_, pod):
            pvc = self.claim_lister.get(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if pvc is not None and has_stale_owner_ref(pvc, pod):
                return True
        return False

    async def create_missing_persistent_volume_claims(self, set_: dict, pod: dict) -> None:
        await self.create_persistent_volume_claims(set_, pod)
        if self.gates["StatefulSetAutoDeletePVC"]:
            try:
                await self.update_pod_claim_for_retention_policy(set_, pod)
            except RETRYABLE as error:
                self.record_pod_event("update", set_, pod, error)
                raise

    async def create_persistent_volume_claims(self, set_: dict, pod: dict) -> None:
        """Create each of the pod's claims that our cache does not have; one that is being deleted is an error."""
        failures = []
        for _, claim in get_persistent_volume_claims(set_, pod):
            name = claim["metadata"]["name"]
            pvc = self.claim_lister.get(claim["metadata"]["namespace"], name)
            if pvc is None:
                try:
                    await self.client.create(PVCS, claim["metadata"]["namespace"], claim)
                    self.record_claim_event("create", set_, pod, claim, None)
                except errors.StatusError as error:
                    failures.append(f"failed to create PVC {name}: {error}")
                    if not errors.is_already_exists(error):
                        self.record_claim_event("create", set_, pod, claim, error)
            elif pvc["metadata"].get("deletionTimestamp"):
                failures.append(f"pvc {name} is being deleted")
        if failures:
            raise SyncError(_aggregate(failures))

    def record_pod_event(self, verb: str, set_: dict, pod: dict, error: Optional[BaseException]) -> None:
        name, set_name = pod["metadata"]["name"], set_["metadata"]["name"]
        if error is None:
            self.recorder.event(set_, "Normal", f"Successful{verb.title()}",
                                f"{verb} Pod {name} in StatefulSet {set_name} successful")
        else:
            self.recorder.event(set_, "Warning", f"Failed{verb.title()}",
                                f"{verb} Pod {name} in StatefulSet {set_name} failed error: {error}")

    def record_claim_event(self, verb: str, set_: dict, pod: dict, claim: dict,
                           error: Optional[BaseException]) -> None:
        claim_name, name, set_name = claim["metadata"]["name"], pod["metadata"]["name"], set_["metadata"]["name"]
        if error is None:
            self.recorder.event(set_, "Normal", f"Successful{verb.title()}",
                                f"{verb} Claim {claim_name} Pod {name} in StatefulSet {set_name} success")
        else:
            self.recorder.event(set_, "Warning", f"Failed{verb.title()}",
                                f"{verb} Claim {claim_name} for Pod {name} in StatefulSet {set_name} "
                                f"failed error: {error}")


# ---- stateful_set.go, stateful_set_control.go -------------------------------------------------

class StatefulSetController(Controller):
    NAME = "statefulset"
    RETRY_ON = RETRYABLE

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 feature_gates: Optional[dict] = None):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.gates = {**FEATURE_GATES, **(feature_gates or {})}
        self.log: list[str] = []       # klog lines at V(2) and the waits at V(4), with virtual times
        self.set_informer = factory.informer(STATEFULSETS)
        self.pod_informer = factory.informer(PODS)
        self.pvc_informer = factory.informer(PVCS)
        self.rev_informer = factory.informer(CONTROLLERREVISIONS)
        pods = self.pod_informer.indexer
        pods.add_indexer("statefulset-uid", _statefulset_uid)
        pods.add_indexer("statefulset-orphan", _orphan_parent)
        self.pod_control = StatefulPodControl(kernel, client, self.pod_informer.lister, self.pvc_informer.lister,
                                              recorder, self.gates)
        self.history = History(client, self.rev_informer.lister)
        self.set_informer.add_event_handler(self._enqueue_set, lambda old, new: self._enqueue_set(new),
                                            self._enqueue_set)
        self.pod_informer.add_event_handler(self._add_pod, self._update_pod, self._delete_pod)

    def _log(self, message: str, set_: dict, pod: Optional[dict] = None) -> None:
        line = f'{self.kernel.now:.3f} "{message}" statefulSet="{meta_namespace_key(set_)}"'
        if pod is not None:
            line += f' pod="{meta_namespace_key(pod)}"'
        self.log.append(line)

    # -- event handlers ----------------------------------------------------------------
    def _enqueue_set(self, set_: dict) -> None:
        self.enqueue(meta_namespace_key(set_))

    def _resolve_controller_ref(self, namespace: str, ref: dict) -> Optional[dict]:
        if ref.get("kind") != "StatefulSet":
            return None
        set_ = self.set_informer.lister.get(namespace, ref["name"])
        if set_ is None or set_["metadata"].get("uid") != ref.get("uid"):
            return None
        return set_

    def _stateful_sets_for_pod(self, pod: dict) -> list[dict]:
        """GetPodStatefulSets: the sets in the pod's namespace whose (non-empty) selector matches it."""
        labels = pod["metadata"].get("labels") or {}
        found = []
        for set_ in self.set_informer.lister.list(pod["metadata"].get("namespace")):
            selector = Selector.from_label_selector(set_["spec"].get("selector"))
            if not selector.empty() and selector.matches(labels):
                found.append(set_)
        return sorted(found, key=lambda s: (s["metadata"].get("creationTimestamp", ""), s["metadata"]["name"]))

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)
            return
        ref = controller_of(pod)
        if ref is not None:
            set_ = self._resolve_controller_ref(pod["metadata"].get("namespace"), ref)
            if set_ is not None:
                self._enqueue_set(set_)
            return
        for set_ in self._stateful_sets_for_pod(pod):
            self._enqueue_set(set_)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return                       # a resync: nothing changed
        labels_changed = old["metadata"].get("labels") != cur["metadata"].get("labels")
        cur_ref, old_ref = controller_of(cur), controller_of(old)
        ref_changed = cur_ref != old_ref
        namespace = cur["metadata"].get("namespace")
        if ref_changed and old_ref is not None:
            set_ = self._resolve_controller_ref(namespace, old_ref)
            if set_ is not None:
                self._enqueue_set(set_)
        if cur_ref is not None:
            set_ = self._resolve_controller_ref(namespace, cur_ref)
            if set_ is None:
                return
            self._enqueue_set(set_)
            min_ready = int(set_["spec"].get("minReadySeconds") or 0)
            if not is_pod_ready(old) and is_pod_ready(cur) and min_ready > 0:
                # a second more, against rounding in the availability check
                self.queue.add_after(meta_namespace_key(set_), min_ready + 1)
            return
        if labels_changed or ref_changed:
            for set_ in self._stateful_sets_for_pod(cur):
                self._enqueue_set(set_)

    def _delete_pod(self, pod: dict) -> None:
        ref = controller_of(pod)
        if ref is None:
            return
        set_ = self._resolve_controller_ref(pod["metadata"].get("namespace"), ref)
        if set_ is not None:
            self._enqueue_set(set_)

    # -- sync ----------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        set_ = self.set_informer.lister.get(namespace, name)
        if set_ is None:
            return                       # "StatefulSet has been deleted"
        selector = Selector.from_label_selector(set_["spec"].get("selector"))
        await self.adopt_orphan_revisions(set_, selector)
        pods = await self.get_pods_for_stateful_set(set_, selector)
        status = await self.update_stateful_set(set_, pods)
        min_ready = int(set_["spec"].get("minReadySeconds") or 0)
        if status is not None and min_ready > 0 and status["availableReplicas"] != replicas_of(set_):
            self.queue.add_after(key, min_ready)

    async def can_adopt(self, set_: dict) -> None:
        """RecheckDeletionTimestamp: a fresh read of the set; adopting for a gone or deleted set is an error."""
        meta = set_["metadata"]
        fresh = await self.client.get(STATEFULSETS, meta.get("namespace"), meta["name"])
        if fresh["metadata"].get("uid") != meta.get("uid"):
            raise SyncError(f"original StatefulSet {meta.get('namespace')}/{meta['name']} is gone: "
                            f"got uid {fresh['metadata'].get('uid')}, wanted {meta.get('uid')}")
        if fresh["metadata"].get("deletionTimestamp"):
            raise SyncError(f"{meta.get('namespace')}/{meta['name']} has just been deleted at "
                            f"{fresh['metadata']['deletionTimestamp']}")

    async def adopt_orphan_revisions(self, set_: dict, selector: Selector) -> None:
        orphans = [r for r in self.list_revisions(set_, selector) if controller_of(r) is None]
        if not orphans:
            return
        try:
            await self.can_adopt(set_)
        except RETRYABLE as error:
            raise SyncError(f"can't adopt ControllerRevisions: {error}") from error
        for revision in orphans:
            await self.history.adopt_controller_revision(set_, revision)

    def list_revisions(self, set_: dict, selector: Optional[Selector] = None) -> list[dict]:
        if selector is None:
            selector = Selector.from_label_selector(set_["spec"].get("selector"))
        return self.history.list_controller_revisions(set_, selector)

    async def get_pods_for_stateful_set(self, set_: dict, selector: Selector) -> list[dict]:
        """ClaimPods with the ``isMemberOf`` filter: keep the pods we control that still match,
        release those that do not, adopt matching orphans named like ours. Candidates come from
        two indexes (controller uid; orphans by ``namespace/parent``) instead of the whole namespace."""
        meta = set_["metadata"]
        deleting = bool(meta.get("deletionTimestamp"))
        claimed, adopt_checked = [], False
        owned = self.pod_informer.indexer.by_index("statefulset-uid", meta["uid"])
        orphans = self.pod_informer.indexer.by_index("statefulset-orphan", f"{meta.get('namespace')}/{meta['name']}")
        for pod in sorted(owned, key=_by_name):
            if selector.matches(pod["metadata"].get("labels")) and is_member_of(set_, pod):
                claimed.append(pod)
            elif not deleting:
                await self._release_pod(set_, pod)
        for pod in sorted(orphans, key=_by_name):
            if deleting or not selector.matches(pod["metadata"].get("labels")) or is_terminating(pod):
                continue
            if not adopt_checked:
                await self.can_adopt(set_)
                adopt_checked = True
            adopted = await self._adopt_pod(set_, pod)
            if adopted is not None:
                claimed.append(adopted)
        return claimed

    async def _adopt_pod(self, set_: dict, pod: dict) -> Optional[dict]:
        patch = {"metadata": {"ownerReferences": [owner_reference(set_)], "uid": pod["metadata"]["uid"]}}
        try:
            return await self.client.patch(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], patch)
        except errors.StatusError as error:
            if errors.is_not_found(error):
                return None
            raise

    async def _release_pod(self, set_: dict, pod: dict) -> None:
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": set_["metadata"]["uid"]}],
                              "uid": pod["metadata"]["uid"]}}
        try:
            await self.client.patch(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], patch)
        except errors.StatusError as error:
            if not (errors.is_not_found(error) or errors.is_invalid(error)):
                raise

    # -- defaultStatefulSetControl ---------------------------------------------------------------
    async def update_stateful_set(self, set_: dict, pods: list[dict]) -> Optional[dict]:
        """UpdateStatefulSet: revisions, the pods, the status; then trim the history, even after an error."""
        set_ = copy.deepcopy(set_)
        revisions = sort_controller_revisions(self.list_revisions(set_))
        current, update, status, error = await self.perform_update(set_, pods, revisions)
        try:
            await self.truncate_history(set_, pods, revisions, current, update)
        except RETRYABLE as history_error:
            error = error or history_error
        if error is not None:
            raise error
        return status

    async def perform_update(self, set_: dict, pods: list[dict], revisions: list[dict]) -> tuple:
        try:
            current, update, collision_count = await self.get_stateful_set_revisions(set_, revisions)
        except RETRYABLE as error:
            return None, None, None, error
        status, error = await self.update_stateful_set_pods(set_, current, update, collision_count, pods)
        if error is not None and status is None:
            return current, update, None, error
        try:
            await self.update_stateful_set_status(set_, status)
        except RETRYABLE as status_error:
            error = error or status_error
        return current, update, status, error

    async def truncate_history(self, set_: dict, pods: list[dict], revisions: list[dict],
                               current: Optional[dict], update: Optional[dict]) -> None:
        """Delete the oldest revisions that no pod and neither status revision uses, down to revisionHistoryLimit."""
        live = {r["metadata"]["name"] for r in (current, update) if r is not None}
        live.update(get_pod_revision(p) for p in pods)
        history = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = set_["spec"].get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        if limit < 0 or len(history) <= limit:
            return
        for revision in history[:len(history) - limit]:
            await self.history.delete_controller_revision(revision)

    async def get_stateful_set_revisions(self, set_: dict, revisions: list[dict]) -> tuple[dict, dict, int]:
        """The current revision (status.currentRevision, else the update revision) and the update
        revision: the newest if it equals the set's template, an older equal one renumbered (a
        rollback), or a new one."""
        collision_count = int((set_.get("status") or {}).get("collisionCount") or 0)
        update = new_revision(set_, next_revision(revisions), collision_count)
        equal = find_equal_revisions(revisions, update)
        if equal and equal_revision(revisions[-1], equal[-1]):
            update = revisions[-1]
        elif equal:
            update = await self.history.update_controller_revision(equal[-1], update["revision"])
        else:
            update, collision_count = await self.history.create_controller_revision(set_, update, collision_count)
        current_name = (set_.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), None) or update
        return current, update, collision_count

    async def update_stateful_set_pods(self, set_: dict, current_revision: dict, update_revision: dict,
                                       collision_count: int, pods: list[dict]) -> tuple:
        """updateStatefulSet: bring the pods to the target state, one step at a time in OrderedReady.
        Returns (status, error): the status is written even when a step failed."""
        now = self.kernel.now
        min_ready = int(set_["spec"].get("minReadySeconds") or 0)
        index_label = self.gates["PodIndexLabel"]
        current_set = apply_revision(set_, current_revision)
        update_set = apply_revision(set_, update_revision)
        status = new_status()
        status["observedGeneration"] = set_["metadata"].get("generation", 0)
        status["currentRevision"] = current_revision["metadata"]["name"]
        status["updateRevision"] = update_revision["metadata"]["name"]
        status["collisionCount"] = collision_count
        update_status(status, min_ready, now, current_revision, update_revision, pods)

        start, end = get_start_ordinal(set_), get_end_ordinal(set_)
        replicas: list = [None] * replicas_of(set_)     # ordinal start+i at index i
        condemned = []                                  # valid ordinals outside [start, end]
        for pod in pods:
            if pod_in_ordinal_range(pod, set_):
                replicas[get_ordinal(pod) - start] = pod
            elif get_ordinal(pod) >= 0:
                condemned.append(pod)
        for ordinal in range(start, end + 1):
            if replicas[ordinal - start] is None:
                replicas[ordinal - start] = new_versioned_stateful_set_pod(
                    current_set, update_set, current_revision["metadata"]["name"],
                    update_revision["metadata"]["name"], ordinal, index_label)
        condemned.sort(key=lambda p: (-get_ordinal(p), p["metadata"]["name"]))
        first_unavailable = next((p for p in replicas + condemned[::-1] if is_unavailable(p, min_ready, now)), None)

        if set_["metadata"].get("deletionTimestamp"):
            return status, None
        monotonic = not allows_burst(set_)

        def finish(error):
            update_status(status, min_ready, now, current_revision, update_revision, replicas, condemned)
            return status, error

        async def replica(i: int) -> bool:
            return await self.process_replica(set_, update_set, monotonic, replicas, i)

        should_exit, error = await self.run_for_all(replicas, replica, monotonic)
        if should_exit or error is not None:
            return finish(error)

        async def fix_pod_claim(i: int) -> bool:
            if self.gates["StatefulSetAutoDeletePVC"] and \
                    not self.pod_control.claims_match_retention_policy(update_set, condemned[i]):
                await self.pod_control.update_pod_claim_for_retention_policy(update_set, condemned[i])
            return False

        should_exit, error = await self.run_for_all(condemned, fix_pod_claim, monotonic)
        if should_exit or error is not None:
            return finish(error)

        async def condemn(i: int) -> bool:
            return await self.process_condemned(set_, first_unavailable, monotonic, condemned, i)

        should_exit, error = await self.run_for_all(condemned, condemn, monotonic)
        if should_exit or error is not None:
            return finish(error)
        finish(None)

        strategy = set_["spec"].get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return status, None
        if self.gates["MaxUnavailableStatefulSet"]:
            return await self.update_after_invariant_established(set_, replicas, update_revision, status)
        update_min = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        update_name = update_revision["metadata"]["name"]
        for target in range(len(replicas) - 1, update_min - 1, -1):
            pod = replicas[target]
            if get_pod_revision(pod) != update_name and not is_terminating(pod):
                self._log("Pod of StatefulSet is terminating for update", set_, pod)
                try:
                    await self.pod_control.delete_stateful_pod(set_, pod)
                except errors.StatusError as error:
                    if not errors.is_not_found(error):
                        return status, error
                status["currentReplicas"] -= 1
                return status, None
            if is_unavailable(pod, min_ready, now):
                self._log("StatefulSet is waiting for Pod to update", set_, pod)
                return status, None
        return status, None

    async def update_after_invariant_established(self, set_: dict, replicas: list[dict], update_revision: dict,
                                                 status: dict) -> tuple[dict, Optional[Exception]]:
        """MaxUnavailableStatefulSet: delete up to maxUnavailable - unavailable outdated pods at once,
        highest ordinal first, none below the partition."""
        now = self.kernel.now
        min_ready = int(set_["spec"].get("minReadySeconds") or 0)
        rolling = (set_["spec"].get("updateStrategy") or {}).get("rollingUpdate")
        update_min, max_unavailable = 0, 1
        if rolling is not None:
            update_min = int(rolling.get("partition") or 0)
            max_unavailable = get_stateful_set_max_unavailable(rolling.get("maxUnavailable"), replicas_of(set_))
        unavailable = sum(1 for pod in replicas if is_unavailable(pod, min_ready, now))
        if unavailable > max_unavailable:
            return status, None
        to_delete, deleted = max_unavailable - unavailable, 0
        update_name = update_revision["metadata"]["name"]
        for target in range(len(replicas) - 1, update_min - 1, -1):
            if deleted >= to_delete:
                break
            pod = replicas[target]
            if get_pod_revision(pod) != update_name and not is_terminating(pod):
                self._log("StatefulSet terminating Pod for update", set_, pod)
                try:
                    await self.pod_control.delete_stateful_pod(set_, pod)
                except errors.StatusError as error:
                    if not errors.is_not_found(error):
                        return status, error
                deleted += 1
                status["currentReplicas"] -= 1
        return status, None

    async def process_replica(self, set_: dict, update_set: dict, monotonic: bool, replicas: list, i: int) -> bool:
        """One in-range ordinal; True when this sync can go no further (in OrderedReady)."""
        pod = replicas[i]
        now = self.kernel.now
        min_ready = int(set_["spec"].get("minReadySeconds") or 0)
        if is_failed(pod) or is_succeeded(pod):
            # deleted now, created again by the sync after the API server has let it go
            if not is_terminating(pod):
                await self.pod_control.delete_stateful_pod(set_, pod)
            return True
        if not is_created(pod):
            if self.pod_control.pod_claim_is_stale(set_, pod):
                return True
            await self.pod_control.create_stateful_pod(set_, pod)
            if monotonic:
                return True
        if is_pending(pod):
            await self.pod_control.create_missing_persistent_volume_claims(set_, pod)
        if is_terminating(pod) and monotonic:
            self._log("StatefulSet is waiting for Pod to Terminate", set_, pod)
            return True
        if not is_running_and_ready(pod) and monotonic:
            self._log("StatefulSet is waiting for Pod to be Running and Ready", set_, pod)
            return True
        if not is_running_and_available(pod, min_ready, now) and monotonic:
            self._log("StatefulSet is waiting for Pod to be Available", set_, pod)
            return True
        retention_match = True
        if self.gates["StatefulSetAutoDeletePVC"]:
            retention_match = self.pod_control.claims_match_retention_policy(update_set, pod)
        if identity_matches(set_, pod) and storage_matches(set_, pod) and retention_match:
            return False
        await self.pod_control.update_stateful_pod(update_set, copy.deepcopy(pod))
        return False

    async def process_condemned(self, set_: dict, first_unhealthy: Optional[dict], monotonic: bool,
                                condemned: list[dict], i: int) -> bool:
        """One pod beyond the replicas; in OrderedReady only the highest goes, and only once every
        other pod is healthy (the first unhealthy pod itself may go)."""
        pod = condemned[i]
        now = self.kernel.now
        min_ready = int(set_["spec"].get("minReadySeconds") or 0)
        if is_terminating(pod):
            if monotonic:
                self._log("StatefulSet is waiting for Pod to Terminate prior to scale down", set_, pod)
            return monotonic
        if monotonic and pod is not first_unhealthy and (
                not is_running_and_ready(pod) or not is_running_and_available(pod, min_ready, now)):
            self._log("StatefulSet is waiting for Pod to be Running and Ready prior to scale down", set_,
                      first_unhealthy)
            return True
        self._log("Pod of StatefulSet is terminating for scale down", set_, pod)
        await self.pod_control.delete_stateful_pod(set_, pod)
        return True

    async def run_for_all(self, items: list, fn: Callable[[int], Awaitable[bool]],
                          monotonic: bool) -> tuple[bool, Optional[Exception]]:
        """In order, stopping at the first that says stop (OrderedReady); or all at once in
        slow-start batches, stopping only at an error (Parallel)."""
        if monotonic:
            for i in range(len(items)):
                try:
                    if await fn(i):
                        return True, None
                except RETRYABLE as error:
                    return True, error
            return False, None
        _, error = await self.slow_start_batch(1, len(items), fn)
        return (True, error) if error is not None else (False, None)

    async def slow_start_batch(self, initial: int, remaining: int,
                               fn: Callable[[int], Awaitable[bool]]) -> tuple[int, Optional[Exception]]:
        """Batches of 1, 2, 4, … (at most MAX_BATCH_SIZE) run concurrently; stop after a batch with errors."""
        successes, index = 0, 0
        batch = min(remaining, initial)

        async def one(k: int):
            try:
                await fn(k)
                return None
            except RETRYABLE as error:
                return error

        while batch > 0:
            tasks = [self.kernel.spawn(one(index + k), "statefulset slowStartBatch") for k in range(batch)]
            index += batch
            failures = [e for e in [await t for t in tasks] if e is not None]
            successes += batch - len(failures)
            if failures:
                return successes, failures[0]
            remaining -= batch
            batch = min(2 * batch, remaining, MAX_BATCH_SIZE)
        return successes, None

    async def update_stateful_set_status(self, set_: dict, status: dict) -> None:
        """Complete a finished rolling update, and write the status if it changed (retried on conflict)."""
        complete_rolling_update(set_, status)
        if not inconsistent_status(set_, status):
            return
        updated = copy.deepcopy(set_)
        for step in range(RETRY_STEPS):
            updated["status"] = status_json(status)
            try:
                await self.client.update_status(STATEFULSETS, updated)
                return
            except errors.StatusError as error:
                if not errors.is_conflict(error) or step == RETRY_STEPS - 1:
                    raise
                fresh = self.set_informer.lister.get(set_["metadata"].get("namespace"), set_["metadata"]["name"])
                if fresh is not None:
                    updated = copy.deepcopy(fresh)
                await self.kernel.sleep(RETRY_DELAY)


def _by_name(pod: dict) -> str:
    return pod["metadata"]["name"]


def _statefulset_uid(pod: dict) -> list[str]:
    """Pods by the uid of the StatefulSet that controls them (others are not indexed)."""
    ref = controller_of(pod)
    return [ref["uid"]] if ref is not None and ref.get("kind") == "StatefulSet" else []


def _orphan_parent(pod: dict) -> list[str]:
    """Pods without a controller, by ``namespace/<name without its ordinal>``: adoption candidates."""
    if controller_of(pod) is not None:
        return []
    parent, ordinal = get_parent_name_and_ordinal(pod)
    return [f"{pod['metadata'].get('namespace')}/{parent}"] if ordinal >= 0 else []
