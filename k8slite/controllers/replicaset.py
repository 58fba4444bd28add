"""The ReplicaSet controller: keep the number of pods matching a ReplicaSet's selector
at ``spec.replicas``.

Mirrors kubernetes v1.31 ``pkg/controller/replicaset/replica_set.go`` (the pod and
ReplicaSet event handlers; syncReplicaSet: claim the active pods by selector, adopting
orphans and releasing pods that stopped matching (``controller_ref_manager.go``), then
manageReplicas: create missing pods in slow-start batches of 1, 2, 4, … up to
``burstReplicas`` 500, delete surplus pods ranked by ``getPodsToDelete``, with
expectations so a sync does not act again on creations and deletions it has not yet
seen; a pod's deletion is observed when its deletionTimestamp appears),
``replica_set_utils.go`` (calculateStatus: replicas, fullyLabeledReplicas,
readyReplicas, availableReplicas after ``minReadySeconds``, the ReplicaFailure
condition; updateReplicaSetStatus with one retry after a fresh GET) and
``pkg/controller/controller_utils.go`` (``ControllerExpectations`` with deletions tracked
by pod key and a 5-minute expiry, ``GetPodFromTemplate``, ``ActivePodsWithRanks``: the
order pods are deleted in, with the LogarithmicScaleDown and PodDeletionCost gates on
as in v1.31).

A pod's facts (active, ready since when, labels, node) are kept from informer events
per controlling ReplicaSet uid, so a sync walks only its own pods and the namespace's
orphans (upstream lists every pod in the namespace at each sync; with tens of thousands
of pods that would dominate the simulation). The same pods are claimed either way.

Simplified: no metrics (the deletion-age ratio); ``deletion_rank`` is a plain sort key
kept for controllers that rank pods without related-pod counts.
"""
from __future__ import annotations

import copy
import functools
import math
from typing import NamedTuple, Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import controller_of, owner_reference, parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel, Timeout
from .base import Controller
from .controller_ref_manager import ClaimError, ControllerRefManager, recheck_deletion_timestamp

PODS = SCHEME.by_resource("", "pods")
REPLICASETS = SCHEME.by_resource("apps", "replicasets")
BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1
EXPECTATIONS_TIMEOUT = 300.0                      # controller_utils.go ExpectationsTimeout
STATUS_UPDATE_RETRIES = 1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}   # podPhaseToOrdinal


def is_pod_active(pod: dict) -> bool:
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def _ready_condition(pod: dict) -> Optional[dict]:
    for c in pod.get("status", {}).get("conditions") or ():
        if c["type"] == "Ready":
            return c
    return None


def is_pod_ready(pod: dict) -> bool:
    c = _ready_condition(pod)
    return c is not None and c["status"] == "True"


def ready_since(pod: dict) -> Optional[float]:
    """The Ready condition's lastTransitionTime in virtual seconds, or None if the pod is not ready."""
    c = _ready_condition(pod)
    if c is None or c["status"] != "True":
        return None
    stamp = c.get("lastTransitionTime")
    return parse_rfc3339(stamp) if stamp else 0.0


def is_available(since: Optional[float], min_ready_seconds: int, now: float) -> bool:
    """podutil.IsPodAvailable: ready, and (minReadySeconds 0 or ready since strictly before now - minReadySeconds)."""
    if since is None:
        return False
    return min_ready_seconds == 0 or since + min_ready_seconds < now


class PodFact(NamedTuple):
    """What a sync needs of one pod, taken from its latest informer event."""
    active: bool
    ready_since: Optional[float]
    labels: dict
    node: str


def pod_fact(pod: dict) -> PodFact:
    return PodFact(is_pod_active(pod), ready_since(pod), pod["metadata"].get("labels") or {},
                   pod["spec"].get("nodeName") or "")


class Expectations:
    """``ControllerExpectations``: per controller key, how many creations and deletions are still to be seen.

    Invariant: a key with no entry, with nothing pending, or (given a kernel) whose entry is older
    than ``EXPECTATIONS_TIMEOUT`` is satisfied, so a lost watch event cannot block a controller forever.
    """

    def __init__(self, kernel: Optional[Kernel] = None):
        self.kernel = kernel
        self._pending: dict[str, list] = {}          # key -> [adds, dels, set at]

    def expect(self, key: str, adds: int, dels: int) -> None:
        """SetExpectations (ExpectCreations is ``expect(key, n, 0)``, ExpectDeletions ``expect(key, 0, n)``)."""
        self._pending[key] = [adds, dels, self.kernel.now if self.kernel is not None else 0.0]

    def observe(self, key: str, add: int = 0, delete: int = 0) -> None:
        """CreationObserved / DeletionObserved (LowerExpectations)."""
        entry = self._pending.get(key)
        if entry is not None:
            entry[0] -= add
            entry[1] -= delete

    def satisfied(self, key: str) -> bool:
        entry = self._pending.get(key)
        if entry is None or (entry[0] <= 0 and entry[1] <= 0):
            return True
        return self.kernel is not None and self.kernel.now - entry[2] > EXPECTATIONS_TIMEOUT

    def delete(self, key: str) -> None:
        self._pending.pop(key, None)


class UIDTrackingExpectations(Expectations):
    """``UIDTrackingControllerExpectations``: deletions are expected by pod key, so seeing a pod's
    deletionTimestamp and then its removal counts once."""

    def __init__(self, kernel: Optional[Kernel] = None):
        super().__init__(kernel)
        self._keys: dict[str, set] = {}              # controller key -> pod keys still to be seen deleted

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._keys[key] = set(pod_keys)
        self.expect(key, 0, len(pod_keys))

    def deletion_observed(self, key: str, pod_key: str) -> None:
        keys = self._keys.get(key)
        if keys is not None and pod_key in keys:
            keys.discard(pod_key)
            self.observe(key, delete=1)

    def delete(self, key: str) -> None:
        super().delete(key)
        self._keys.pop(key, None)


def pod_template_pod(rs: dict) -> dict:
    """A new pod from the ReplicaSet's template (``controller_utils.GetPodFromTemplate``)."""
    template = rs["spec"]["template"]
    meta = copy.deepcopy(template.get("metadata") or {})
    meta.pop("name", None)
    meta["generateName"] = rs["metadata"]["name"] + "-"
    meta["namespace"] = rs["metadata"]["namespace"]
    meta["ownerReferences"] = [owner_reference(rs)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template["spec"])}


def _deletion_cost(pod: dict) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST, "0"))
    except ValueError:
        return 0


def _max_restarts(pod: dict) -> tuple[int, int]:
    """maxContainerRestarts: (regular containers, restartable init containers)."""
    status = pod.get("status") or {}
    regular = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or ()), default=0)
    sidecars = {c["name"] for c in pod["spec"].get("initContainers") or () if c.get("restartPolicy") == "Always"}
    sidecar = max((c.get("restartCount", 0) for c in status.get("initContainerStatuses") or ()
                   if c.get("name") in sidecars), default=0)
    return regular, sidecar


def _log_rank(t: float, now: float) -> int:
    """int(log2(now - t)) with the difference in nanoseconds, -1 when not positive (logarithmicRankDiff)."""
    d = (now - t) * 1e9
    return int(math.log2(d)) if d > 0 else -1


def _after_or_zero(t1: Optional[float], t2: Optional[float]) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def deletion_rank(pod: dict) -> tuple:
    """A sort key close to ``controller.ActivePods`` (unscheduled, Pending, not ready, newer first, then by
    name), for controllers that rank pods without ReplicaSet's related-pod counts (the Job controller)."""
    status = pod.get("status", {})
    created = pod["metadata"].get("creationTimestamp", "")
    return (bool(pod["spec"].get("nodeName")), PHASE_ORDINAL.get(status.get("phase"), 0), is_pod_ready(pod),
            "".join(chr(255 - ord(ch)) for ch in created), pod["metadata"]["name"])


def rank_for_deletion(pods: list[dict], ranks: list[int], now: float) -> list[dict]:
    """Sort by ``ActivePodsWithRanks.Less``: the pods to delete first come first."""
    info = [(pod, rank, bool(pod["spec"].get("nodeName")), PHASE_ORDINAL.get(pod.get("status", {}).get("phase"), 0),
             ready_since(pod), _deletion_cost(pod), _max_restarts(pod),
             parse_rfc3339(pod["metadata"]["creationTimestamp"]) if pod["metadata"].get("creationTimestamp") else None)
            for pod, rank in zip(pods, ranks)]

    def less(a, b) -> bool:
        pa, ra, assigned_a, phase_a, ready_a, cost_a, restarts_a, created_a = a
        pb, rb, assigned_b, phase_b, ready_b, cost_b, restarts_b, created_b = b
        node_a, node_b = pa["spec"].get("nodeName") or "", pb["spec"].get("nodeName") or ""
        if node_a != node_b and (not assigned_a or not assigned_b):       # 1. unassigned < assigned
            return not assigned_a
        if phase_a != phase_b:                                            # 2. Pending < Unknown < Running
            return phase_a < phase_b
        if (ready_a is None) != (ready_b is None):                        # 3. not ready < ready
            return ready_a is None
        if cost_a != cost_b:                                              # 4. lower deletion cost first
            return cost_a < cost_b
        if ra != rb:                                                      # 5. doubled up < not doubled up
            return ra > rb
        if ready_a is not None and ready_b is not None and ready_a != ready_b:   # 6. ready more recently first
            if ready_a == 0.0 or ready_b == 0.0:
                return _after_or_zero(ready_a or None, ready_b or None)
            diff = _log_rank(ready_a, now) - _log_rank(ready_b, now)
            return pa["metadata"]["uid"] < pb["metadata"]["uid"] if diff == 0 else diff < 0
        if restarts_a != restarts_b:                                      # 7. more restarts first
            return restarts_a > restarts_b
        if created_a != created_b:                                        # 8. newer first
            if created_a is None or created_b is None:
                return _after_or_zero(created_a, created_b)
            diff = _log_rank(created_a, now) - _log_rank(created_b, now)
            return pa["metadata"]["uid"] < pb["metadata"]["uid"] if diff == 0 else diff < 0
        return False

    def compare(a, b) -> int:
        return -1 if less(a, b) else 1 if less(b, a) else 0
    # A stable sort with a name tie-break keeps equal pods in a total order (Go's sort is not stable).
    info.sort(key=lambda i: i[0]["metadata"]["name"])
    info.sort(key=functools.cmp_to_key(compare))
    return [i[0] for i in info]


class ReplicaSetController(Controller):
    NAME = "replicaset"
    RETRY_ON = Controller.RETRY_ON + (ClaimError,)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.expectations = UIDTrackingExpectations(kernel)
        # ReplicaSet uid -> pod key -> PodFact, kept from informer events: every pod whose
        # controllerRef names that uid, active or not, in the order first seen.
        self.facts: dict[str, dict[str, PodFact]] = {}
        self.rs_informer = factory.informer(REPLICASETS)
        self.pod_informer = factory.informer(PODS)
        self.rs_informer.indexer.add_indexer("controller", _controller_uid)
        self.pod_informer.indexer.add_indexer("orphan", _orphan_namespace)
        self.rs_informer.add_event_handler(self._add_rs, self._update_rs, self._delete_rs)
        self.pod_informer.add_event_handler(self._add_pod, self._update_pod, self._delete_pod)

    # -- ReplicaSet events ------------------------------------------------------------
    def _add_rs(self, rs: dict) -> None:
        self.enqueue(meta_namespace_key(rs))

    def _update_rs(self, old: dict, rs: dict) -> None:
        if old["metadata"].get("uid") != rs["metadata"].get("uid"):
            self._delete_rs(old)
        self.enqueue(meta_namespace_key(rs))

    def _delete_rs(self, rs: dict) -> None:
        key = meta_namespace_key(rs)
        self.expectations.delete(key)
        self.enqueue(key)

    # -- pod events -------------------------------------------------------------------
    def _resolve(self, namespace: str, ref: Optional[dict]) -> Optional[dict]:
        """resolveControllerRef: the ReplicaSet a controllerRef names, if it is the same object."""
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        rs = self.rs_informer.lister.get(namespace, ref["name"])
        return rs if rs is not None and rs["metadata"].get("uid") == ref.get("uid") else None

    def _record(self, pod: dict, gone: bool = False) -> None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        facts = self.facts.setdefault(ref["uid"], {})
        key = meta_namespace_key(pod)
        if gone:
            facts.pop(key, None)
            if not facts:
                del self.facts[ref["uid"]]
        else:
            facts[key] = pod_fact(pod)

    def _pod_replica_sets(self, pod: dict) -> list[dict]:
        """getPodReplicaSets: the ReplicaSets in the pod's namespace whose selector matches it."""
        labels = pod["metadata"].get("labels")
        if not labels:
            return []
        found = []
        for rs in self.rs_informer.lister.list(pod["metadata"].get("namespace", "")):
            selector = _selector(rs)
            if selector is not None and not selector.empty() and selector.matches(labels):
                found.append(rs)
        return sorted(found, key=lambda rs: rs["metadata"]["name"])

    def _add_pod(self, pod: dict) -> None:
        self._record(pod)
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod, forget=False)
            return
        rs = self._resolve(pod["metadata"].get("namespace", ""), controller_of(pod))
        if rs is not None:
            key = meta_namespace_key(rs)
            self.expectations.observe(key, add=1)
            self.enqueue(key)
        elif controller_of(pod) is None:
            for rs in self._pod_replica_sets(pod):
                self.enqueue(meta_namespace_key(rs))

    def _update_pod(self, old: dict, pod: dict) -> None:
        old_ref, ref = controller_of(old), controller_of(pod)
        if old_ref != ref:
            self._record(old, gone=True)
        self._record(pod)
        if old["metadata"].get("resourceVersion") == pod["metadata"].get("resourceVersion"):
            return                                               # a resync
        namespace = pod["metadata"].get("namespace", "")
        label_changed = old["metadata"].get("labels") != pod["metadata"].get("labels")
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod, forget=False)
            if label_changed:
                self._delete_pod(old, forget=False)
            return
        if old_ref != ref and old_ref is not None:
            previous = self._resolve(namespace, old_ref)
            if previous is not None:
                self.enqueue(meta_namespace_key(previous))
        if ref is not None:
            rs = self._resolve(namespace, ref)
            if rs is None:
                return
            self.enqueue(meta_namespace_key(rs))
            min_ready = rs["spec"].get("minReadySeconds", 0)
            if not is_pod_ready(old) and is_pod_ready(pod) and min_ready > 0:
                # A second more than minReadySeconds, to see the pod available (no Available pod condition yet).
                self.queue.add_after(meta_namespace_key(rs), min_ready + 1.0)
            return
        if label_changed or old_ref != ref:
            for rs in self._pod_replica_sets(pod):
                self.enqueue(meta_namespace_key(rs))

    def _delete_pod(self, pod: dict, forget: bool = True) -> None:
        if forget:
            self._record(pod, gone=True)
        rs = self._resolve(pod["metadata"].get("namespace", ""), controller_of(pod))
        if rs is None:
            return
        key = meta_namespace_key(rs)
        self.expectations.deletion_observed(key, meta_namespace_key(pod))
        self.enqueue(key)

    # -- sync -------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        rs = self.rs_informer.lister.get(namespace, name)
        if rs is None:
            self.expectations.delete(key)
            return
        needs_sync = self.expectations.satisfied(key)
        selector = _selector(rs)
        if selector is None:
            return                                   # an invalid selector: nothing to do until it changes
        pods = await self.claim_pods(rs, selector)
        manage_error: Optional[errors.StatusError] = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                await self.manage_replicas(key, pods, rs)
            except (errors.StatusError, Timeout) as error:
                manage_error = error if isinstance(error, errors.StatusError) else errors.timeout(str(error))
        updated = await self.update_status(rs, self.calculate_status(rs, pods, manage_error))
        min_ready = updated["spec"].get("minReadySeconds", 0)
        status = updated.get("status") or {}
        if manage_error is None and min_ready > 0 and \
                status.get("readyReplicas", 0) == updated["spec"].get("replicas", 1) and \
                status.get("availableReplicas", 0) != updated["spec"].get("replicas", 1):
            self.queue.add_after(key, float(min_ready))
        if manage_error is not None:
            raise manage_error

    async def claim_pods(self, rs: dict, selector: Selector) -> list[tuple[str, PodFact]]:
        """claimPods over the active pods: (key, facts) of each pod that is ours after adopting orphans
        and releasing pods that stopped matching."""
        meta = rs["metadata"]
        facts = self.facts.get(meta["uid"], {})
        ours: list[tuple[str, PodFact]] = []
        strays: list[dict] = []
        for pod_key, fact in list(facts.items()):
            if not fact.active:
                continue
            if selector.matches(fact.labels):
                ours.append((pod_key, fact))
            else:
                pod = self.pod_informer.indexer.get(pod_key)
                if pod is not None:
                    strays.append(pod)
        orphans = [p for p in self.pod_informer.indexer.by_index("orphan", meta.get("namespace", ""))
                   if is_pod_active(p) and selector.matches(p["metadata"].get("labels"))]
        if not strays and not orphans:
            return ours
        manager = ControllerRefManager(self.client, PODS, rs, selector,
                                       recheck_deletion_timestamp(self.client, REPLICASETS, rs))
        adopted: list[tuple[str, PodFact]] = []
        await manager.claim(strays + orphans,
                            adopted=lambda pod: adopted.append((meta_namespace_key(pod), pod_fact(pod))))
        return ours + adopted

    async def manage_replicas(self, key: str, pods: list[tuple[str, PodFact]], rs: dict) -> None:
        diff = len(pods) - rs["spec"].get("replicas", 1)
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            self.expectations.expect(key, count, 0)
            created, failure = await self._slow_start(count, rs)
            for _ in range(count - created):
                self.expectations.observe(key, add=1)        # skipped: the informer will never see them
            if failure is not None:
                raise failure
        elif diff > 0:
            count = min(diff, BURST_REPLICAS)
            victims = self.pods_to_delete(rs, pods, count)
            self.expectations.expect_deletions(key, [meta_namespace_key(p) for p in victims])
            tasks = [self.kernel.spawn(self._delete_pod_call(key, rs, pod), "deletePod") for pod in victims]
            failures = [r for r in [await t for t in tasks] if r is not None]
            if failures:
                raise failures[0]

    def pods_to_delete(self, rs: dict, pods: list[tuple[str, PodFact]], count: int) -> list[dict]:
        """getPodsToDelete: rank by related active pods on the same node (pods of every ReplicaSet with the
        same controller), then ActivePodsWithRanks."""
        objects = [p for p in (self.pod_informer.indexer.get(k) for k, _ in pods) if p is not None]
        if count >= len(objects):
            return objects[:count]
        on_node: dict[str, int] = {}
        for sibling_uid in self._related_uids(rs):
            for fact in self.facts.get(sibling_uid, {}).values():
                if fact.active:
                    on_node[fact.node] = on_node.get(fact.node, 0) + 1
        ranks = [on_node.get(p["spec"].get("nodeName") or "", 0) for p in objects]
        return rank_for_deletion(objects, ranks, self.kernel.now)[:count]

    def _related_uids(self, rs: dict) -> list[str]:
        """getIndirectlyRelatedPods: the ReplicaSets controlled by this one's controller (or only itself)."""
        ref = controller_of(rs)
        if ref is None:
            return [rs["metadata"]["uid"]]
        siblings = self.rs_informer.indexer.by_index("controller", ref["uid"])
        return sorted({s["metadata"]["uid"] for s in siblings} | {rs["metadata"]["uid"]})

    async def _delete_pod_call(self, key: str, rs: dict, pod: dict) -> Optional[errors.StatusError]:
        """podControl.DeletePod: the error, if any, after lowering the expectation it will never meet."""
        meta = pod["metadata"]
        try:
            await self.client.delete(PODS, meta["namespace"], meta["name"])
        except (errors.StatusError, Timeout) as error:
            self.expectations.deletion_observed(key, meta_namespace_key(pod))
            if isinstance(error, errors.StatusError) and errors.is_not_found(error):
                return None
            self.recorder.event(rs, "Warning", "FailedDelete", f"Error deleting: {error}")
            return error if isinstance(error, errors.StatusError) else errors.timeout(str(error))
        self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return None

    async def _slow_start(self, count: int, rs: dict) -> tuple[int, Optional[errors.StatusError]]:
        """slowStartBatch: create in batches of 1, 2, 4, …; stop after the first batch with an error.
        Returns how many were created and the first error."""
        done, batch = 0, SLOW_START_INITIAL_BATCH_SIZE
        while done < count:
            size = min(batch, count - done)
            tasks = [self.kernel.spawn(self._create_pod(rs), "createPod") for _ in range(size)]
            results = [await task for task in tasks]
            failures = [r for r in results if isinstance(r, errors.StatusError)]
            done += size - len(failures)
            if failures:
                return done, failures[0]
            batch *= 2
        return done, None

    async def _create_pod(self, rs: dict):
        """podControl.CreatePods: the pod, or the error that refused it (a namespace being
        terminated counts as created: nothing will ever be)."""
        try:
            pod = await self.client.create(PODS, rs["metadata"]["namespace"], pod_template_pod(rs))
        except Timeout as error:
            self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {error}")
            return errors.timeout(str(error))
        except errors.StatusError as error:
            causes = ((error.status.get("details") or {}).get("causes") or []) if hasattr(error, "status") else []
            if any(c.get("reason") == "NamespaceTerminating" for c in causes):
                return None
            self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {error.message}")
            return error
        self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return pod

    def calculate_status(self, rs: dict, pods: list[tuple[str, PodFact]],
                         manage_error: Optional[errors.StatusError]) -> dict:
        """calculateStatus: counts over the claimed active pods, and the ReplicaFailure condition."""
        now = self.kernel.now
        min_ready = rs["spec"].get("minReadySeconds", 0)
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        wanted = template_labels.items()
        labeled = ready = available = 0
        for _, fact in pods:
            if wanted <= fact.labels.items():
                labeled += 1
            if fact.ready_since is not None:
                ready += 1
                if is_available(fact.ready_since, min_ready, now):
                    available += 1
        status = dict(rs.get("status") or {})
        conditions = [dict(c) for c in status.get("conditions") or ()]
        failure = next((c for c in conditions if c["type"] == "ReplicaFailure"), None)
        if manage_error is not None and failure is None:
            diff = len(pods) - rs["spec"].get("replicas", 1)
            reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
            conditions.append({"type": "ReplicaFailure", "status": "True",
                               "lastTransitionTime": rfc3339(now), "reason": reason, "message": manage_error.message})
        elif manage_error is None and failure is not None:
            conditions = [c for c in conditions if c["type"] != "ReplicaFailure"]
        new = {"replicas": len(pods), "fullyLabeledReplicas": labeled, "readyReplicas": ready,
               "availableReplicas": available}
        if status.get("observedGeneration"):
            new["observedGeneration"] = status["observedGeneration"]
        if conditions:
            new["conditions"] = conditions
        return new

    async def update_status(self, rs: dict, status: dict) -> dict:
        """updateReplicaSetStatus: nothing to do when the counts, conditions and observed generation
        already agree; else write with one retry after a fresh GET."""
        old = rs.get("status") or {}
        generation = rs["metadata"].get("generation", 0)
        if all(old.get(f, 0) == status.get(f, 0) for f in
               ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")) and \
                old.get("observedGeneration", 0) == generation and old.get("conditions") == status.get("conditions"):
            return rs
        status = dict(status)
        status["observedGeneration"] = generation
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
            if not status[field]:
                del status[field]                        # omitempty
        current = rs
        for attempt in range(STATUS_UPDATE_RETRIES + 1):
            updated = copy.deepcopy(current)
            updated["status"] = status
            try:
                return await self.client.update_status(REPLICASETS, updated)
            except errors.StatusError:
                if attempt >= STATUS_UPDATE_RETRIES:
                    raise
                current = await self.client.get(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
        return rs


def _selector(rs: dict) -> Optional[Selector]:
    try:
        return Selector.from_label_selector(rs["spec"].get("selector"))
    except ValueError:
        return None


def _controller_uid(obj: dict) -> list[str]:
    ref = controller_of(obj)
    return [ref["uid"]] if ref else []


def _orphan_namespace(pod: dict) -> list[str]:
    return [] if controller_of(pod) else [pod["metadata"].get("namespace", "")]
