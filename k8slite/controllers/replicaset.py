"""The ReplicaSet controller: keep the number of pods matching a ReplicaSet's selector
at ``spec.replicas``.

Mirrors kubernetes v1.31 ``pkg/controller/replicaset/replica_set.go``
(syncReplicaSet → manageReplicas: create missing pods in slow-start batches of 1, 2,
4, … up to ``burstReplicas`` 500, delete surplus pods ranked by ``getPodsToDelete``;
expectations so a sync does not act again on creations it has not yet seen) and
``replica_set_utils.go`` (calculateStatus: replicas, fullyLabeledReplicas,
readyReplicas, availableReplicas, observedGeneration).

Simplified: no adoption of orphans or release of pods that stop matching (pods are
only ever owned by the ReplicaSet that created them); minReadySeconds is treated as
0 for availability.
"""
from __future__ import annotations

import copy

from ..api import errors
from ..api.meta import controller_of, owner_reference
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

PODS = SCHEME.by_resource("", "pods")
REPLICASETS = SCHEME.by_resource("apps", "replicasets")
BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1


def is_pod_active(pod: dict) -> bool:
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def is_pod_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions") or ())


class Expectations:
    """``controller_utils.go`` ControllerExpectations: creations/deletions still to be observed."""

    def __init__(self):
        self._pending: dict[str, list[int]] = {}

    def expect(self, key: str, adds: int, dels: int) -> None:
        self._pending[key] = [adds, dels]

    def observe(self, key: str, add: int = 0, delete: int = 0) -> None:
        entry = self._pending.get(key)
        if entry is not None:
            entry[0] -= add
            entry[1] -= delete

    def satisfied(self, key: str) -> bool:
        entry = self._pending.get(key)
        return entry is None or (entry[0] <= 0 and entry[1] <= 0)

    def delete(self, key: str) -> None:
        self._pending.pop(key, None)


def pod_template_pod(rs: dict) -> dict:
    """A new pod from the ReplicaSet's template (``controller_utils.GetPodFromTemplate``)."""
    template = rs["spec"]["template"]
    meta = copy.deepcopy(template.get("metadata") or {})
    meta.pop("name", None)
    meta["generateName"] = rs["metadata"]["name"] + "-"
    meta["namespace"] = rs["metadata"]["namespace"]
    meta["ownerReferences"] = [owner_reference(rs)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template["spec"])}


def deletion_rank(pod: dict) -> tuple:
    """Which pods go first when scaling down (``controller.ActivePods`` ordering, simplified):
    unscheduled before scheduled, Pending before Running, not ready before ready, then
    newer before older, then by name for a total order."""
    status = pod.get("status", {})
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase"), 0)
    created = pod["metadata"].get("creationTimestamp", "")
    return (bool(pod["spec"].get("nodeName")), phase_rank, is_pod_ready(pod),
            "".join(chr(255 - ord(ch)) for ch in created), pod["metadata"]["name"])


class ReplicaSetController(Controller):
    NAME = "replicaset"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.expectations = Expectations()
        # ReplicaSet uid -> pod key -> (active, ready), kept from informer events so a sync
        # costs O(1) to count instead of O(pods) (upstream recounts; at 150,000 pods we cannot).
        self.facts: dict[str, dict[str, tuple[bool, bool]]] = {}
        self.rs_informer = factory.informer(REPLICASETS)
        self.pod_informer = factory.informer(PODS)
        self.pod_informer.indexer.add_indexer("controller", _controller_uid)
        self.rs_informer.add_event_handler(self._rs_changed, lambda old, new: self._rs_changed(new),
                                           self._rs_deleted)
        self.pod_informer.add_event_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    def _rs_changed(self, rs: dict) -> None:
        self.enqueue(meta_namespace_key(rs))

    def _rs_deleted(self, rs: dict) -> None:
        key = meta_namespace_key(rs)
        self.expectations.delete(key)
        self.enqueue(key)

    def _owner_key(self, pod: dict):
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        return f"{pod['metadata']['namespace']}/{ref['name']}"

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
            facts[key] = (is_pod_active(pod), is_pod_ready(pod))

    def _pod_added(self, pod: dict) -> None:
        self._record(pod)
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.observe(key, add=1)
            self.enqueue(key)

    def _pod_updated(self, old: dict, pod: dict) -> None:
        self._record(pod)
        key = self._owner_key(pod)
        if key is not None and (old.get("status") != pod.get("status") or
                                old["metadata"].get("deletionTimestamp") != pod["metadata"].get("deletionTimestamp")):
            self.enqueue(key)

    def _pod_deleted(self, pod: dict) -> None:
        self._record(pod, gone=True)
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.observe(key, delete=1)
            self.enqueue(key)

    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        rs = self.rs_informer.lister.get(namespace, name)
        if rs is None:
            self.expectations.delete(key)
            return
        facts = self.facts.get(rs["metadata"]["uid"], {})
        active = sum(1 for a, _ in facts.values() if a)
        ready = sum(1 for a, r in facts.values() if a and r)
        if self.expectations.satisfied(key) and not rs["metadata"].get("deletionTimestamp"):
            await self.manage_replicas(key, active, rs)
        await self.update_status(rs, active, ready)

    def active_pods(self, rs: dict) -> list[dict]:
        """The pods this ReplicaSet controls (by controllerRef) that are not finished or terminating.

        Simplified: the selector is not re-checked; pods are never adopted or released here.
        """
        return [p for p in self.pod_informer.indexer.by_index("controller", rs["metadata"]["uid"])
                if is_pod_active(p)]

    async def manage_replicas(self, key: str, active: int, rs: dict) -> None:
        diff = active - rs["spec"].get("replicas", 1)
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            self.expectations.expect(key, count, 0)
            created = await self._slow_start(count, rs)
            skipped = count - created
            if skipped:
                self.expectations.observe(key, add=skipped)
        elif diff > 0:
            count = min(diff, BURST_REPLICAS)
            victims = sorted(self.active_pods(rs), key=deletion_rank)[:count]
            self.expectations.expect(key, 0, count)
            for pod in victims:
                try:
                    await self.client.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                    self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
                except errors.StatusError as error:
                    self.expectations.observe(key, delete=1)
                    if error.code != 404:
                        raise

    async def _slow_start(self, count: int, rs: dict) -> int:
        """Create in batches of 1, 2, 4, …; stop at the first batch with an error."""
        done, batch = 0, SLOW_START_INITIAL_BATCH_SIZE
        while done < count:
            size = min(batch, count - done)
            tasks = [self.kernel.spawn(self._create_pod(rs), "createPod") for _ in range(size)]
            results = [await task for task in tasks]
            failures = [r for r in results if isinstance(r, errors.StatusError)]
            done += size - len(failures)
            if failures:
                self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {failures[0]}")
                raise failures[0]
            batch *= 2
        return done

    async def _create_pod(self, rs: dict):
        """Create one pod; returns the pod, or the StatusError that refused it."""
        try:
            pod = await self.client.create(PODS, rs["metadata"]["namespace"], pod_template_pod(rs))
        except errors.StatusError as error:
            return error
        self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return pod

    async def update_status(self, rs: dict, active: int, ready: int) -> None:
        """calculateStatus. Simplified: fullyLabeledReplicas counts every active pod (pods keep the
        template's labels here); availableReplicas equals readyReplicas (minReadySeconds 0)."""
        status = dict(rs.get("status") or {})
        new = {"replicas": active, "fullyLabeledReplicas": active,
               "readyReplicas": ready, "availableReplicas": ready,
               "observedGeneration": rs["metadata"].get("generation", 0)}
        for field in ("readyReplicas", "availableReplicas"):
            if not new[field]:
                new.pop(field)
        if status.get("conditions"):
            new["conditions"] = status["conditions"]
        if new == status:
            return
        updated = copy.deepcopy(rs)
        updated["status"] = new
        await self.client.update_status(REPLICASETS, updated)


def _controller_uid(pod: dict) -> list[str]:
    ref = controller_of(pod)
    return [ref["uid"]] if ref else []
