"""The Job controller: run a Job's pods to completion, count them through a tracking finalizer,
and finish the Job as Complete or Failed.

Mirrors kubernetes v1.31 ``pkg/controller/job/job_controller.go`` (syncJob, manageJob with
slow-start creation, deleteJobPods/deleteActivePods, trackJobStatusAndRemoveFinalizers,
flushUncountedAndRemoveFinalizers, enactJobFinished, the orphan-pod worker that strips the
``batch.kubernetes.io/job-tracking`` finalizer), ``backoff_utils.go`` (the pod-failure back-off:
10 s doubling per consecutive failure, capped at ``MaxJobPodFailureBackOff``, 10 min in v1.31
although the docs still say six minutes), ``indexed_job_utils.go`` (completion indexes as
ordered intervals, ``status.completedIndexes``, the index annotation/label, hostname and
``JOB_COMPLETION_INDEX``), ``tracking_utils.go`` (finalizer-removal expectations) and
``util/utils.go`` (finished conditions), with v1.31's default feature gates:
JobPodReplacementPolicy (``status.terminating``; terminal conditions wait for terminating pods,
so a Job first gets the interim ``FailureTarget``/``SuccessCriteriaMet`` condition, then
``Failed``/``Complete``), JobSuccessPolicy's ``CompletionsReached`` reason, PodIndexLabel.

Pods get the labels the Job registry strategy (``pkg/registry/batch/job/strategy.go``,
generateSelector) puts on the template: ``batch.kubernetes.io/controller-uid``,
``batch.kubernetes.io/job-name`` and the legacy ``controller-uid``, ``job-name``.

Simplified: a Job's pods are those whose controllerRef is the Job (no ClaimPods adoption or
release by selector), and the controller adds the four labels itself when the template lacks
them (only a ``manualSelector`` Job's can: the API server generates them otherwise); no podFailurePolicy,
successPolicy, backoffLimitPerIndex/maxFailedIndexes or managedBy; the ActivePods ranking
for deletion is the ReplicaSet controller's ``deletion_rank`` (no ready-since or restart-count
terms); no metrics.
"""
from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass, field
from typing import Optional

from ..api import errors
from ..api.meta import MAX_GENERATED_NAME_LENGTH, controller_of, parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import STRATEGIC_PATCH, Client
from ..client.workqueue import WorkQueue
from ..sim import Kernel
from .base import Controller
from .replicaset import Expectations, deletion_rank, is_pod_active, is_pod_ready

PODS = SCHEME.by_resource("", "pods")
JOBS = SCHEME.by_resource("batch", "jobs")

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
COMPLETION_INDEX_ENV_NAME = "JOB_COMPLETION_INDEX"
UNKNOWN_COMPLETION_INDEX = -1

SYNC_JOB_BATCH_PERIOD = 1.0             # pod events and status updates are batched this long
DEFAULT_JOB_API_BACKOFF = 1.0           # the work queues' per-key back-off after a failed sync ...
MAX_JOB_API_BACKOFF = 60.0              # ... doubling up to a minute
DEFAULT_JOB_POD_FAILURE_BACKOFF = 10.0  # the delay before replacing a failed pod ...
MAX_JOB_POD_FAILURE_BACKOFF = 600.0     # ... doubling per consecutive failure up to 10 minutes
MAX_UNCOUNTED_PODS = 500
MAX_POD_CREATE_DELETE_PER_SYNC = 500
SLOW_START_INITIAL_BATCH_SIZE = 1

BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")


# -- conditions (util/utils.go and the condition helpers of job_controller.go) ---------------------

def new_condition(ctype: str, status: str, reason: str, message: str, now: float) -> dict:
    t = rfc3339(now)
    cond = {"type": ctype, "status": status, "lastProbeTime": t, "lastTransitionTime": t}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def find_condition(conditions: Optional[list], ctype: str) -> Optional[dict]:
    return next((c for c in conditions or () if c.get("type") == ctype), None)


def finished_condition(job: dict) -> Optional[str]:
    """util.FinishedCondition: "Complete" or "Failed" once either is True, else None."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def is_job_succeeded(job: dict) -> bool:
    return finished_condition(job) == "Complete"


def ensure_job_condition_status(conditions: list, ctype: str, status: str, reason: str, message: str,
                                now: float) -> bool:
    """Set (or add, unless the new status is False) the condition of ``ctype``; True if it changed."""
    cond = find_condition(conditions, ctype)
    if cond is not None:
        if cond.get("status") != status or cond.get("reason", "") != reason or cond.get("message", "") != message:
            conditions[conditions.index(cond)] = new_condition(ctype, status, reason, message, now)
            return True
        return False
    if status != "False":
        conditions.append(new_condition(ctype, status, reason, message, now))
        return True
    return False


def success_criteria_met_condition(job: dict) -> Optional[dict]:
    cond = find_condition((job.get("status") or {}).get("conditions"), "SuccessCriteriaMet")
    return cond if cond is not None and cond.get("status") == "True" else None


def _is_success_criteria_met(cond: Optional[dict]) -> bool:
    return cond is not None and cond["type"] == "SuccessCriteriaMet"


# -- pods -----------------------------------------------------------------------------------

def has_job_tracking_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def completion_index(pod: dict) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(JOB_COMPLETION_INDEX_ANNOTATION)
    try:
        index = int(value)
    except (TypeError, ValueError):
        return UNKNOWN_COMPLETION_INDEX
    return index if index >= 0 else UNKNOWN_COMPLETION_INDEX


def is_indexed_job(job: dict) -> bool:
    return job["spec"].get("completionMode") == "Indexed"


def job_suspended(job: dict) -> bool:
    return bool(job["spec"].get("suspend"))


def only_replace_failed_pods(job: dict) -> bool:
    """podReplacementPolicy Failed (or a podFailurePolicy): a terminating pod is not replaced yet."""
    spec = job["spec"]
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: dict, job: dict) -> bool:
    """Failed phase, or (unless only failed pods are replaced) deleted before it succeeded."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"


def is_pod_terminating(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and \
        bool(pod["metadata"].get("deletionTimestamp"))


def pod_finished_time(pod: dict) -> float:
    """getFinishedTime: the last container's finishedAt; else the Ready=False transition; else
    the deletion timestamp minus its grace period; else the creation time."""
    status = pod.get("status") or {}
    finished = None
    statuses = status.get("containerStatuses") or []
    for cs in statuses:
        terminated = (cs.get("state") or {}).get("terminated")
        if not terminated or not terminated.get("finishedAt"):
            finished = None
            break
        t = parse_rfc3339(terminated["finishedAt"])
        finished = t if finished is None else max(finished, t)
    if finished is not None:
        return finished
    ready = find_condition(status.get("conditions"), "Ready")
    if ready is not None and ready.get("status") == "False" and ready.get("lastTransitionTime"):
        return parse_rfc3339(ready["lastTransitionTime"])
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return parse_rfc3339(meta["deletionTimestamp"]) - (meta.get("deletionGracePeriodSeconds") or 0)
    return parse_rfc3339(meta["creationTimestamp"]) if meta.get("creationTimestamp") else 0.0


def past_backoff_limit_on_failure(job: dict, pods: list[dict]) -> bool:
    """restartPolicy OnFailure: container restarts of running and pending pods count as failures."""
    if ((job["spec"].get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") in ("Running", "Pending"):
            for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
                restarts += cs.get("restartCount", 0)
    limit = job["spec"].get("backoffLimit", 6)
    return restarts > 0 if limit == 0 else restarts >= limit


# -- completion indexes as ordered intervals (indexed_job_utils.go) ------------------------------
# An orderedIntervals value is a sorted list of disjoint, non-adjacent (first, last) pairs:
# indexes {0, 1, 2, 5, 7, 8} are [(0, 2), (5, 5), (7, 8)] and print as "0-2,5,7,8".

def merge_intervals(a: list, b: list) -> list:
    result: list[list[int]] = []
    for first, last in sorted(a + b):
        if not result or first > result[-1][1] + 1:
            result.append([first, last])
        elif result[-1][1] < last:
            result[-1][1] = last
    return [tuple(iv) for iv in result]


def with_ordered_indexes(intervals: list, indexes: list[int]) -> list:
    return merge_intervals(list(intervals), [(i, i) for i in indexes])


def intervals_total(intervals: list) -> int:
    return sum(last - first + 1 for first, last in intervals)


def intervals_string(intervals: list) -> str:
    parts = []
    for first, last in intervals:
        if last == first:
            parts.append(str(first))
        elif last == first + 1:
            parts.append(f"{first},{last}")
        else:
            parts.append(f"{first}-{last}")
    return ",".join(parts)


def intervals_has(intervals: list, index: int) -> bool:
    i = bisect.bisect_left([last for _, last in intervals], index)
    return i < len(intervals) and intervals[i][0] <= index


def parse_indexes(text: str, completions: int) -> list:
    """parseIndexesFromString: "0-2,5" back to intervals, dropping indexes >= completions."""
    result: list[list[int]] = []
    for part in text.split(",") if text else ():
        bounds = part.split("-")
        try:
            first = int(bounds[0])
            last = int(bounds[1]) if len(bounds) > 1 else first
        except ValueError:
            continue                     # a corrupted interval is ignored
        if first >= completions:
            break
        last = min(last, completions - 1)
        if result and result[-1][1] == first - 1:
            result[-1][1] = last
        else:
            result.append([first, last])
    return [tuple(iv) for iv in result]


def pod_generate_name_with_index(job_name: str, index: int) -> str:
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[:MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix


def active_pods_for_removal(job: dict, pods: list[dict], rm_at_least: int) -> list[dict]:
    """Indexed Jobs first lose pods without a valid index and all but one pod per repeated index;
    then the lowest-ranked (unscheduled, pending, not ready, newest) pods go."""
    rm: list[dict] = []
    left = pods
    if is_indexed_job(job):
        completions = job["spec"]["completions"]
        left = []
        by_index: dict[int, list[dict]] = {}
        for pod in sorted(pods, key=completion_index):
            ix = completion_index(pod)
            if ix == UNKNOWN_COMPLETION_INDEX or ix >= completions:
                rm.append(pod)
            else:
                by_index.setdefault(ix, []).append(pod)
        for same in by_index.values():
            ranked = sorted(same, key=deletion_rank)
            rm.extend(ranked[:-1])
            left.append(ranked[-1])
    if len(rm) < rm_at_least:
        rm.extend(sorted(left, key=deletion_rank)[:rm_at_least - len(rm)])
    return rm


# -- the pod-failure back-off (backoff_utils.go) --------------------------------------------------

@dataclass(frozen=True)
class BackoffRecord:
    key: str
    failures_after_last_success: int = 0
    last_failure_time: Optional[float] = None

    def remaining_time(self, now: float, default: float = DEFAULT_JOB_POD_FAILURE_BACKOFF,
                       maximum: float = MAX_JOB_POD_FAILURE_BACKOFF) -> float:
        """10 s after the first failure, 20 s after the second in a row, 40 s, ... capped."""
        if self.failures_after_last_success == 0:
            return 0.0
        backoff = default
        for _ in range(1, self.failures_after_last_success):
            backoff *= 2
            if backoff >= maximum:
                backoff = maximum
                break
        elapsed = now - self.last_failure_time
        return 0.0 if backoff < elapsed else backoff - elapsed


def new_backoff_record(old: Optional[BackoffRecord], key: str, succeeded: list[dict],
                       failed: list[dict]) -> BackoffRecord:
    """Fold the newly finished pods into the record: a success resets the count, and only the
    failures that finished after the last success count."""
    record = old or BackoffRecord(key)
    succeeded = sorted(succeeded, key=pod_finished_time)
    failed = sorted(failed, key=pod_finished_time)
    if not succeeded:
        if not failed:
            return record
        return BackoffRecord(key, record.failures_after_last_success + len(failed), pod_finished_time(failed[-1]))
    last_success = pod_finished_time(succeeded[-1])
    count, last_failure = 0, None
    for pod in reversed(failed):
        t = pod_finished_time(pod)
        if t <= last_success:
            break
        if last_failure is None:
            last_failure = t
        count += 1
    return BackoffRecord(key, count, last_failure)


@dataclass
class SyncJobCtx:
    """What one syncJob learns about a Job and carries between its steps."""
    job: dict
    pods: list
    active_pods: list
    ready: int
    terminating: int
    uncounted_succeeded: frozenset
    uncounted_failed: frozenset
    expected_rm_finalizers: frozenset
    succeeded: int = 0
    failed: int = 0
    finished_condition: Optional[dict] = None
    prev_succeeded_indexes: list = field(default_factory=list)
    succeeded_indexes: list = field(default_factory=list)
    new_backoff_record: Optional[BackoffRecord] = None


def _api_status(status: dict) -> dict:
    """JobStatus as the API serialises it: zero counters and empty strings left out (omitempty),
    the pointer fields ready, terminating and uncountedTerminatedPods kept even when zero/empty."""
    out: dict = {}
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    for name in ("startTime", "completionTime"):
        if status.get(name):
            out[name] = status[name]
    for name in ("active", "succeeded", "failed"):
        if status.get(name):
            out[name] = status[name]
    if status.get("terminating") is not None:
        out["terminating"] = status["terminating"]
    if status.get("completedIndexes"):
        out["completedIndexes"] = status["completedIndexes"]
    if status.get("failedIndexes") is not None:
        out["failedIndexes"] = status["failedIndexes"]
    uncounted = status.get("uncountedTerminatedPods") or {}
    out["uncountedTerminatedPods"] = {k: list(uncounted[k]) for k in ("succeeded", "failed") if uncounted.get(k)}
    if status.get("ready") is not None:
        out["ready"] = status["ready"]
    return out


def _controller_uid(pod: dict) -> list[str]:
    ref = controller_of(pod)
    return [ref["uid"]] if ref else []


class JobController(Controller):
    NAME = "job"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        # ItemExponentialFailureRateLimiter(1 s, 1 min) alone: no shared token bucket.
        self.queue = WorkQueue(kernel, "job", DEFAULT_JOB_API_BACKOFF, MAX_JOB_API_BACKOFF, burst=10 ** 9)
        self.orphan_queue = WorkQueue(kernel, "job_orphan_pod", DEFAULT_JOB_API_BACKOFF, MAX_JOB_API_BACKOFF,
                                      burst=10 ** 9)
        self.expectations = Expectations(kernel)       # with upstream's 5-minute expiry
        # job key -> pod uids whose finalizer removal was sent and not yet seen in the informer.
        self.finalizer_expectations: dict[str, dict[str, None]] = {}
        # job key -> BackoffRecord; only in memory, so a restarted controller forgets the back-off.
        self.pod_backoff_store: dict[str, BackoffRecord] = {}
        self.job_informer = factory.informer(JOBS)
        self.pod_informer = factory.informer(PODS)
        if "controller" not in self.pod_informer.indexer.indexers:
            self.pod_informer.indexer.add_indexer("controller", _controller_uid)
        self.job_informer.add_event_handler(self._add_job, self._update_job, self._delete_job)
        self.pod_informer.add_event_handler(self._add_pod, self._update_pod,
                                            lambda pod: self._delete_pod(pod, final=True))

    def run(self, owner: str) -> None:
        super().run(owner)
        self.kernel.spawn(self._orphan_worker(), "job orphan worker", cause=None, owner=owner)

    # -- event handlers ---------------------------------------------------------------
    def enqueue_sync_job_batched(self, job: dict) -> None:
        self.queue.add_after(meta_namespace_key(job), SYNC_JOB_BATCH_PERIOD)

    def enqueue_sync_job_with_delay(self, key: str, delay: float) -> None:
        self.queue.add_after(key, max(delay, SYNC_JOB_BATCH_PERIOD))

    def resolve_controller_ref(self, namespace: str, ref: dict) -> Optional[dict]:
        if ref.get("kind") != "Job":
            return None
        job = self.job_informer.lister.get(namespace, ref["name"])
        return job if job is not None and job["metadata"]["uid"] == ref.get("uid") else None

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod, final=False)      # seen first while already being deleted
            return
        ref = controller_of(pod)
        if ref is None:
            if has_job_tracking_finalizer(pod):
                self.orphan_queue.add(meta_namespace_key(pod))
            return
        job = self.resolve_controller_ref(pod["metadata"]["namespace"], ref)
        if job is not None:
            self.expectations.observe(meta_namespace_key(job), add=1)
            self.enqueue_sync_job_batched(job)

    def _update_pod(self, old: dict, pod: dict) -> None:
        if old["metadata"].get("resourceVersion") == pod["metadata"].get("resourceVersion"):
            return
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod, final=False)
            return
        finalizer_removed = not has_job_tracking_finalizer(pod)
        ref, old_ref = controller_of(pod), controller_of(old)
        if ref != old_ref and old_ref is not None:
            job = self.resolve_controller_ref(old["metadata"]["namespace"], old_ref)
            if job is not None:
                if finalizer_removed:
                    self._finalizer_removal_observed(meta_namespace_key(job), pod["metadata"]["uid"])
                self.enqueue_sync_job_batched(job)
        if ref is not None:
            job = self.resolve_controller_ref(pod["metadata"]["namespace"], ref)
            if job is not None:
                if finalizer_removed:
                    self._finalizer_removal_observed(meta_namespace_key(job), pod["metadata"]["uid"])
                self.enqueue_sync_job_batched(job)
            return
        if has_job_tracking_finalizer(pod):
            self.orphan_queue.add(meta_namespace_key(pod))

    def _delete_pod(self, pod: dict, final: bool) -> None:
        ref = controller_of(pod)
        has_finalizer = has_job_tracking_finalizer(pod)
        if ref is None:
            if has_finalizer:
                self.orphan_queue.add(meta_namespace_key(pod))
            return
        job = self.resolve_controller_ref(pod["metadata"]["namespace"], ref)
        if job is None or finished_condition(job) is not None:
            if has_finalizer:                   # syncJob will not remove this finalizer
                self.orphan_queue.add(meta_namespace_key(pod))
            return
        key = meta_namespace_key(job)
        self.expectations.observe(key, delete=1)
        if final or not has_finalizer:
            self._finalizer_removal_observed(key, pod["metadata"]["uid"])
        self.enqueue_sync_job_batched(job)

    def _add_job(self, job: dict) -> None:
        self.queue.add(meta_namespace_key(job))

    def _update_job(self, old: dict, job: dict) -> None:
        key = meta_namespace_key(job)
        if job["metadata"].get("generation") == old["metadata"].get("generation"):
            self.enqueue_sync_job_batched(job)      # a status update, typically from pod events
        else:
            self.queue.add(key)                     # the spec changed: sync at once
        if finished_condition(job) is not None:
            self.cleanup_pod_finalizers(job)        # a backup: finished Jobs hold no finalizers
        start = (job.get("status") or {}).get("startTime")
        ads = job["spec"].get("activeDeadlineSeconds")
        if start and ads is not None and old["spec"].get("activeDeadlineSeconds") != ads:
            self.queue.add_after(key, ads - (self.kernel.now - parse_rfc3339(start)))

    def _delete_job(self, job: dict) -> None:
        self.queue.add(meta_namespace_key(job))
        self.cleanup_pod_finalizers(job)

    def cleanup_pod_finalizers(self, job: dict) -> None:
        for pod in self.pod_informer.indexer.by_index("controller", job["metadata"]["uid"]):
            if has_job_tracking_finalizer(pod):
                self.orphan_queue.add(meta_namespace_key(pod))

    def _finalizer_removal_observed(self, key: str, uid: str) -> None:
        uids = self.finalizer_expectations.get(key)
        if uids is not None:
            uids.pop(uid, None)
            if not uids:
                del self.finalizer_expectations[key]

    # -- the orphan worker --------------------------------------------------------------
    async def _orphan_worker(self) -> None:
        task = self.kernel.current
        while True:
            key, cause = await self.orphan_queue.get()
            task.cause = cause
            try:
                await self.sync_orphan_pod(key)
                self.orphan_queue.forget(key)
            except self.RETRY_ON:
                self.orphan_queue.add_rate_limited(key)
            finally:
                self.orphan_queue.done(key)
                task.cause = None

    async def sync_orphan_pod(self, key: str) -> None:
        """Strip the tracking finalizer from a pod no unfinished Job of ours controls."""
        namespace, name = key.split("/", 1)
        pod = self.pod_informer.lister.get(namespace, name)
        if pod is None:
            return
        ref = controller_of(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return
            job = self.resolve_controller_ref(namespace, ref)
            if job is not None and finished_condition(job) is None:
                return                              # adopted: its Job counts it
        await self._remove_finalizer(pod)

    async def _remove_finalizer(self, pod: dict) -> None:
        if not has_job_tracking_finalizer(pod):
            return
        meta = pod["metadata"]
        try:
            await self.client.patch(PODS, meta["namespace"], meta["name"],
                                    {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}},
                                    STRATEGIC_PATCH)
        except errors.StatusError as error:
            if error.code != 404:
                raise

    # -- syncJob ------------------------------------------------------------------------
    def get_pods_for_job(self, job: dict) -> list[dict]:
        pods = self.pod_informer.indexer.by_index("controller", job["metadata"]["uid"])
        return sorted(pods, key=lambda p: p["metadata"]["name"])

    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        shared = self.job_informer.lister.get(namespace, name)
        if shared is None:
            self.expectations.delete(key)
            self.finalizer_expectations.pop(key, None)
            self.pod_backoff_store.pop(key, None)
            return
        if finished_condition(shared) is not None:
            self.pod_backoff_store.pop(key, None)   # a finished Job is not synced again
            return
        if shared["spec"].get("completionMode") not in (None, "NonIndexed", "Indexed"):
            self.recorder.event(shared, "Warning", "UnknownCompletionMode",
                                "Skipped Job sync because completion mode is unknown")
            return
        job = copy.deepcopy(shared)
        spec, status = job["spec"], job.setdefault("status", {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        now = self.kernel.now
        # Expectations first: a pod that shows up after this check waits for the next sync.
        satisfied = self.expectations.satisfied(key)
        pods = self.get_pods_for_job(job)
        active_pods = [p for p in pods if is_pod_active(p)]
        ctx = SyncJobCtx(job, pods, active_pods, sum(1 for p in active_pods if is_pod_ready(p)),
                         sum(1 for p in pods if is_pod_terminating(p)),
                         frozenset(uncounted.get("succeeded") or ()), frozenset(uncounted.get("failed") or ()),
                         frozenset(self.finalizer_expectations.get(key, ())))
        active = len(active_pods)
        new_succeeded, new_failed = self.new_finished_pods(ctx)
        ctx.succeeded = status.get("succeeded", 0) + len(new_succeeded) + len(ctx.uncounted_succeeded)
        ctx.failed = status.get("failed", 0) + len(new_failed) + len(ctx.uncounted_failed)
        if not status.get("startTime") and not job_suspended(job):
            status["startTime"] = rfc3339(now)
        ctx.new_backoff_record = new_backoff_record(self.pod_backoff_store.get(key), key, new_succeeded, new_failed)

        manage_error: Optional[Exception] = None
        ctx.finished_condition = success_criteria_met_condition(job)
        if ctx.finished_condition is None:
            target = find_condition(status.get("conditions"), "FailureTarget")
            if target is not None and target.get("status") == "True":
                ctx.finished_condition = new_condition("Failed", "True", target.get("reason", ""),
                                                       target.get("message", ""), now)
        if ctx.finished_condition is None:
            if ctx.failed > spec.get("backoffLimit", 6) or past_backoff_limit_on_failure(job, pods):
                ctx.finished_condition = new_condition("FailureTarget", "True", *BACKOFF_LIMIT_EXCEEDED, now)
            elif self.past_active_deadline(job):
                ctx.finished_condition = new_condition("FailureTarget", "True", *DEADLINE_EXCEEDED, now)
            elif spec.get("activeDeadlineSeconds") is not None and not job_suspended(job):
                self.queue.add_after(key, spec["activeDeadlineSeconds"] - (now - parse_rfc3339(status["startTime"])))
        indexed = is_indexed_job(job) and spec.get("completions") is not None
        if indexed:
            ctx.prev_succeeded_indexes = parse_indexes(status.get("completedIndexes", ""), spec["completions"])
            fresh = sorted({completion_index(p) for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"
                            and 0 <= completion_index(p) < spec["completions"] and has_job_tracking_finalizer(p)})
            ctx.succeeded_indexes = with_ordered_indexes(ctx.prev_succeeded_indexes, fresh)
            ctx.succeeded = intervals_total(ctx.succeeded_indexes)

        suspend_changed = False
        if ctx.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self.delete_active_pods(job, ctx.active_pods)
            if deleted != active or not satisfied:
                ctx.finished_condition = None       # finalizers or unseen pods may remain
            active -= deleted
            ctx.terminating += deleted
            ctx.ready -= deleted_ready
        else:
            manage_called = False
            if satisfied and not job["metadata"].get("deletionTimestamp"):
                active, manage_error = await self.manage_job(key, job, ctx)
                manage_called = True
            completions = spec.get("completions")
            if completions is None:
                complete = ctx.succeeded > 0 and active == 0
            else:
                complete = ctx.succeeded >= completions and active == 0
            if complete:
                ctx.finished_condition = new_condition("SuccessCriteriaMet", "True", *COMPLETIONS_REACHED, now)
            elif manage_called:
                conditions = status.setdefault("conditions", [])
                if job_suspended(job):
                    if ensure_job_condition_status(conditions, "Suspended", "True", "JobSuspended", "Job suspended",
                                                   now):
                        suspend_changed = True
                        self.recorder.event(job, "Normal", "Suspended", "Job suspended")
                elif ensure_job_condition_status(conditions, "Suspended", "False", "JobResumed", "Job resumed", now):
                    suspend_changed = True
                    self.recorder.event(job, "Normal", "Resumed", "Job resumed")
                    # activeDeadlineSeconds counts continuous activity: a resumed Job starts again.
                    status["startTime"] = rfc3339(now)

        needs_update = suspend_changed or active != status.get("active", 0) or ctx.ready != status.get("ready") \
            or ctx.terminating != status.get("terminating")
        status["active"], status["ready"], status["terminating"] = active, ctx.ready, ctx.terminating
        await self.track_job_status_and_remove_finalizers(key, ctx, needs_update)
        if manage_error is not None:
            raise manage_error

    def new_finished_pods(self, ctx: SyncJobCtx) -> tuple[list[dict], list[dict]]:
        """getNewFinishedPods: finished pods that still hold the finalizer and are not yet in
        ``uncountedTerminatedPods`` (for Indexed Jobs, only pods with a valid index)."""
        job = ctx.job
        succeeded, failed = [], []
        for pod in ctx.pods:
            uid = pod["metadata"]["uid"]
            if not has_job_tracking_finalizer(pod) or uid in ctx.expected_rm_finalizers:
                continue
            if is_indexed_job(job) and not 0 <= completion_index(pod) < (job["spec"].get("completions") or 0):
                continue
            if (pod.get("status") or {}).get("phase") == "Succeeded" and uid not in ctx.uncounted_succeeded:
                succeeded.append(pod)
            elif is_pod_failed(pod, job) and uid not in ctx.uncounted_failed:
                failed.append(pod)
        return succeeded, failed

    def past_active_deadline(self, job: dict) -> bool:
        ads, start = job["spec"].get("activeDeadlineSeconds"), (job.get("status") or {}).get("startTime")
        if ads is None or not start or job_suspended(job):
            return False
        return self.kernel.now - parse_rfc3339(start) >= ads

    async def manage_job(self, key: str, job: dict, ctx: SyncJobCtx) -> tuple[int, Optional[Exception]]:
        """Create or delete pods so that the active ones match what the Job still needs; respects
        the pod-failure back-off. Returns the new active count and the first error."""
        spec = job["spec"]
        active = len(ctx.active_pods)
        parallelism = spec.get("parallelism", 1)
        if job_suspended(job):
            doomed = active_pods_for_removal(job, ctx.active_pods, active)
            self.expectations.expect(key, 0, len(doomed))
            removed_ready, removed, error = await self.delete_job_pods(job, key, doomed)
            ctx.terminating += removed
            ctx.ready -= removed_ready
            return active - removed, error
        completions = spec.get("completions")
        if completions is None:
            # Without completions, any success finishes the Job: let what runs run, start no more.
            want = active if ctx.succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - ctx.succeeded, parallelism))
        doomed = active_pods_for_removal(job, ctx.active_pods, max(0, active - want))[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if doomed:
            # Deletion takes precedence: one sync either deletes or creates, never both.
            self.expectations.expect(key, 0, len(doomed))
            removed_ready, removed, error = await self.delete_job_pods(job, key, doomed)
            ctx.terminating += removed
            ctx.ready -= removed_ready
            return active - removed, error
        terminating = ctx.terminating if only_replace_failed_pods(job) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        remaining = ctx.new_backoff_record.remaining_time(self.kernel.now)
        if remaining > 0:
            self.enqueue_sync_job_with_delay(key, remaining)
            return 0, None                          # upstream reports active 0 while backing off
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int] = []
        if is_indexed_job(job):
            indexes = self.first_pending_indexes(ctx, diff, completions)
            diff = len(indexes)
        self.expectations.expect(key, diff, 0)
        active += diff
        template = copy.deepcopy(spec["template"])
        if is_indexed_job(job):
            for container in (template["spec"].get("initContainers") or []) + template["spec"]["containers"]:
                env = container.setdefault("env", [])
                if not any(e.get("name") == COMPLETION_INDEX_ENV_NAME for e in env):
                    env.append({"name": COMPLETION_INDEX_ENV_NAME, "valueFrom": {"fieldRef": {
                        "fieldPath": f"metadata.labels['{JOB_COMPLETION_INDEX_ANNOTATION}']"}}})
        meta = template.setdefault("metadata", {})
        if JOB_TRACKING_FINALIZER not in (meta.get("finalizers") or ()):
            meta["finalizers"] = list(meta.get("finalizers") or ()) + [JOB_TRACKING_FINALIZER]
        # Slow start: batches of 1, 2, 4, ...; the first batch with an error stops the rest.
        first_error: Optional[Exception] = None
        batch = min(diff, SLOW_START_INITIAL_BATCH_SIZE)
        while diff > 0:
            tasks = []
            for _ in range(batch):
                index = indexes.pop(0) if indexes else UNKNOWN_COMPLETION_INDEX
                tasks.append(self.kernel.spawn(self._create_pod(job, template, index), "createPod"))
            failures = [e for e in [await t for t in tasks] if e is not None]
            for _ in failures:
                self.expectations.observe(key, add=1)
                active -= 1
            first_error = first_error or (failures[0] if failures else None)
            skipped = diff - batch
            if failures and skipped > 0:
                active -= skipped
                self.expectations.observe(key, add=skipped)
                break
            diff -= batch
            batch = min(2 * batch, diff)
        return active, first_error

    def first_pending_indexes(self, ctx: SyncJobCtx, count: int, completions: int) -> list[int]:
        """The ``count`` lowest indexes below ``completions`` that no active pod holds and that have
        not succeeded."""
        if count == 0:
            return []
        active = sorted({ix for ix in map(completion_index, ctx.active_pods) if ix != UNKNOWN_COMPLETION_INDEX})
        non_pending = with_ordered_indexes(ctx.succeeded_indexes, active)
        if only_replace_failed_pods(ctx.job):
            terminating = sorted({completion_index(p) for p in ctx.pods if is_pod_terminating(p)} - {-1})
            non_pending = with_ordered_indexes(non_pending, terminating)
        result, candidate = [], 0
        for first, last in non_pending:
            while candidate < completions and len(result) < count and candidate < first:
                result.append(candidate)
                candidate += 1
            candidate = max(candidate, last + 1)
        while candidate < completions and len(result) < count:
            result.append(candidate)
            candidate += 1
        return result

    async def _create_pod(self, job: dict, template: dict, index: int) -> Optional[Exception]:
        """CreatePodsWithGenerateName from the template; returns the error that refused it, if any."""
        meta = copy.deepcopy(template.get("metadata") or {})
        spec = copy.deepcopy(template["spec"])
        name, uid = job["metadata"]["name"], job["metadata"]["uid"]
        labels = meta.setdefault("labels", {})
        for key, value in ((CONTROLLER_UID_LABEL, uid), (JOB_NAME_LABEL, name),
                           (LEGACY_CONTROLLER_UID_LABEL, uid), (LEGACY_JOB_NAME_LABEL, name)):
            labels.setdefault(key, value)
        generate_name = name + "-"
        if index != UNKNOWN_COMPLETION_INDEX:
            meta.setdefault("annotations", {})[JOB_COMPLETION_INDEX_ANNOTATION] = str(index)
            labels[JOB_COMPLETION_INDEX_ANNOTATION] = str(index)
            spec["hostname"] = f"{name}-{index}"
            generate_name = pod_generate_name_with_index(name, index)
        meta.pop("name", None)
        meta["generateName"] = generate_name
        meta["namespace"] = job["metadata"]["namespace"]
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                                    "controller": True, "blockOwnerDeletion": True}]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        try:
            created = await self.client.create(PODS, meta["namespace"], pod)
        except errors.StatusError as error:
            self.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {error}")
            return error
        self.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return None

    async def _delete_pod_of(self, job: dict, pod: dict, strip_finalizer: bool) -> Optional[Exception]:
        """PodControl.DeletePod (after removing the tracking finalizer when asked); returns the error."""
        meta = pod["metadata"]
        if strip_finalizer:
            try:
                await self._remove_finalizer(pod)
            except errors.StatusError as error:
                return error
        try:
            await self.client.delete(PODS, meta["namespace"], meta["name"])
        except errors.StatusError as error:
            if error.code != 404:
                self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {error}")
            return error
        self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return None

    async def delete_job_pods(self, job: dict, key: str, pods: list[dict]) -> tuple[int, int, Optional[Exception]]:
        """Remove the finalizer, then delete: these pods are not counted as failures."""
        tasks = [self.kernel.spawn(self._delete_pod_of(job, p, True), "deletePod") for p in pods]
        deleted = deleted_ready = 0
        first_error = None
        for pod, task in zip(pods, tasks):
            error = await task
            if error is not None:
                self.expectations.observe(key, delete=1)    # the informer will not see this one
                if error.code != 404:
                    first_error = first_error or error
                    continue
            deleted += 1
            deleted_ready += is_pod_ready(pod)
        return deleted_ready, deleted, first_error

    async def delete_active_pods(self, job: dict, pods: list[dict]) -> tuple[int, int, Optional[Exception]]:
        """Delete a finished Job's active pods, keeping their finalizers so that they are counted."""
        tasks = [self.kernel.spawn(self._delete_pod_of(job, p, False), "deletePod") for p in pods]
        deleted = deleted_ready = 0
        first_error = None
        for pod, task in zip(pods, tasks):
            error = await task
            if error is not None and error.code != 404:
                first_error = first_error or error
            else:
                deleted += 1
            deleted_ready += is_pod_ready(pod)
        return deleted_ready, deleted, first_error

    # -- tracking with finalizers ----------------------------------------------------------
    async def track_job_status_and_remove_finalizers(self, key: str, ctx: SyncJobCtx, needs_flush: bool) -> None:
        """1. put finished pods in ``uncountedTerminatedPods`` and write that; 2. remove their
        finalizers; 3. move them from the uncounted lists to the counters; 4. finish the Job when
        its condition is due and nothing is left uncounted or terminating."""
        job = ctx.job
        status = job["status"]
        indexed = is_indexed_job(job) and job["spec"].get("completions") is not None
        pods = sorted(ctx.pods, key=completion_index) if indexed else ctx.pods
        with_finalizer = {p["metadata"]["uid"]: None for p in pods
                          if has_job_tracking_finalizer(p) and p["metadata"]["uid"] not in ctx.expected_rm_finalizers}
        if clean_uncounted_pods_without_finalizers(status, with_finalizer):
            needs_flush = True
        uncounted = status["uncountedTerminatedPods"]
        to_remove: list[dict] = []
        new_indexes: list[int] = []
        reached_max = False
        completions = job["spec"].get("completions")
        fc = ctx.finished_condition
        for pod in pods:
            uid = pod["metadata"]["uid"]
            if not has_job_tracking_finalizer(pod) or uid in ctx.expected_rm_finalizers:
                continue                            # processed in an earlier sync
            failed = is_pod_failed(pod, job)
            if not (job["metadata"].get("deletionTimestamp") or fc is not None
                    or (pod.get("status") or {}).get("phase") == "Succeeded" or failed):
                continue                            # canRemoveFinalizer: still running
            to_remove.append(pod)
            ix = completion_index(pod)
            if (pod.get("status") or {}).get("phase") == "Succeeded" and uid not in ctx.uncounted_failed:
                if indexed:
                    if 0 <= ix < completions and not intervals_has(ctx.prev_succeeded_indexes, ix):
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in ctx.uncounted_succeeded:
                    uncounted.setdefault("succeeded", []).append(uid)
                    needs_flush = True
            elif failed or (fc is not None and not _is_success_criteria_met(fc)):
                # Once the Job is finishing, every pod that did not succeed counts as failed.
                if uid not in ctx.uncounted_failed and (not indexed or 0 <= ix < completions):
                    uncounted.setdefault("failed", []).append(uid)
                    needs_flush = True
            if len(new_indexes) + len(uncounted.get("succeeded") or ()) + len(uncounted.get("failed") or ()) \
                    >= MAX_UNCOUNTED_PODS:
                reached_max = True                  # keep status small; the next sync goes on
                break
        if indexed:
            ctx.succeeded_indexes = with_ordered_indexes(ctx.succeeded_indexes, new_indexes)
            text = intervals_string(ctx.succeeded_indexes)
            if text != status.get("completedIndexes", ""):
                needs_flush = True
            status["succeeded"] = intervals_total(ctx.succeeded_indexes)
            status["completedIndexes"] = text
        now = self.kernel.now
        if fc is not None and fc["type"] == "FailureTarget":
            status.setdefault("conditions", []).append(fc)      # recorded before any finalizer goes
            needs_flush = True
            ctx.finished_condition = new_condition("Failed", "True", fc.get("reason", ""), fc.get("message", ""), now)
        if _is_success_criteria_met(fc):
            if success_criteria_met_condition(job) is None:
                status.setdefault("conditions", []).append(fc)
                needs_flush = True
            ctx.finished_condition = new_condition("Complete", "True", fc.get("reason", ""), fc.get("message", ""), now)
        needs_flush = await self.flush_uncounted_and_remove_finalizers(key, ctx, to_remove, with_finalizer, needs_flush)
        finished = not reached_max and self.enact_job_finished(ctx)
        if finished or needs_flush:
            ctx.job = await self.update_job_status(ctx.job)
            if finished:
                self.record_job_finished(ctx.job, ctx.finished_condition)

    async def flush_uncounted_and_remove_finalizers(self, key: str, ctx: SyncJobCtx, to_remove: list[dict],
                                                    with_finalizer: dict, needs_flush: bool) -> bool:
        if needs_flush:
            ctx.job = await self.update_job_status(ctx.job)
            self.pod_backoff_store[key] = ctx.new_backoff_record
            needs_flush = False
        rm_error = None
        if to_remove:
            removed, rm_error = await self.remove_tracking_finalizer_from_pods(key, to_remove)
            for pod, ok in zip(to_remove, removed):
                if ok:
                    with_finalizer.pop(pod["metadata"]["uid"], None)
        if clean_uncounted_pods_without_finalizers(ctx.job["status"], with_finalizer):
            needs_flush = True
        if rm_error is not None:
            if needs_flush:                         # record the partial progress, then retry
                await self.update_job_status(ctx.job)
            raise rm_error
        return needs_flush

    async def remove_tracking_finalizer_from_pods(self, key: str, pods: list[dict]
                                                  ) -> tuple[list[bool], Optional[Exception]]:
        expected = self.finalizer_expectations.setdefault(key, {})
        for pod in pods:
            expected[pod["metadata"]["uid"]] = None
        tasks = [self.kernel.spawn(self._remove_one_finalizer(key, p), "removeTrackingFinalizer") for p in pods]
        results, first_error = [], None
        for task in tasks:
            error = await task
            results.append(error is None)
            first_error = first_error or error
        return results, first_error

    async def _remove_one_finalizer(self, key: str, pod: dict) -> Optional[Exception]:
        try:
            await self._remove_finalizer(pod)
        except errors.StatusError as error:
            self._finalizer_removal_observed(key, pod["metadata"]["uid"])    # no update will come
            return error
        return None

    def enact_job_finished(self, ctx: SyncJobCtx) -> bool:
        """Add Complete/Failed once nothing is uncounted and no pod is still terminating."""
        fc = ctx.finished_condition
        if fc is None:
            return False
        status = ctx.job["status"]
        uncounted = status.get("uncountedTerminatedPods") or {}
        if uncounted.get("succeeded") or uncounted.get("failed") or ctx.terminating > 0:
            return False
        ensure_job_condition_status(status.setdefault("conditions", []), fc["type"], fc["status"],
                                    fc.get("reason", ""), fc.get("message", ""), self.kernel.now)
        if fc["type"] == "Complete":
            status["completionTime"] = fc["lastTransitionTime"]
        return True

    def record_job_finished(self, job: dict, fc: dict) -> None:
        if fc["type"] == "Complete":
            completions = job["spec"].get("completions")
            if completions is not None and (job.get("status") or {}).get("succeeded", 0) > completions:
                self.recorder.event(job, "Warning", "TooManySucceededPods",
                                    "Too many succeeded pods running after completion count reached")
            self.recorder.event(job, "Normal", "Completed", "Job completed")
        else:
            self.recorder.event(job, "Warning", fc.get("reason", ""), fc.get("message", ""))

    async def update_job_status(self, job: dict) -> dict:
        body = dict(job)
        body["status"] = _api_status(job["status"])
        updated = await self.client.update_status(JOBS, body)
        updated = copy.deepcopy(updated)            # objects from the API server are shared
        updated.setdefault("status", {}).setdefault("uncountedTerminatedPods", {})
        return updated


def clean_uncounted_pods_without_finalizers(status: dict, with_finalizer: dict) -> bool:
    """Pods in ``uncountedTerminatedPods`` whose finalizer is gone move to the counters."""
    uncounted = status.setdefault("uncountedTerminatedPods", {})
    updated = False
    for name in ("succeeded", "failed"):
        uids = uncounted.get(name) or []
        kept = [u for u in uids if u in with_finalizer]
        if len(kept) != len(uids):
            updated = True
            status[name] = status.get(name, 0) + len(uids) - len(kept)
            if kept:
                uncounted[name] = kept
            else:
                uncounted.pop(name, None)
    return updated
