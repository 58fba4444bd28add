"""The CronJob controller: create a Job at each time a cron schedule names, and keep a short
history of finished ones.

Mirrors kubernetes v1.31 ``pkg/controller/cronjob/cronjob_controllerv2.go`` (sync: clean up
finished Jobs beyond ``successfulJobsHistoryLimit``/``failedJobsHistoryLimit``, then
syncCronJob: reconcile ``status.active``, honour ``timeZone``, ``suspend``,
``startingDeadlineSeconds`` and ``concurrencyPolicy`` Allow/Forbid/Replace, create the Job,
requeue at the next schedule time plus 100 ms) and ``utils.go`` (mostRecentScheduleTime, with
the warning for more than 100 missed start times; nextScheduleTimeDuration;
getJobFromTemplate2: the Job is named ``<cronjob>-<minutes since the Unix epoch>`` and
annotated ``batch.kubernetes.io/cronjob-scheduled-timestamp``). The schedule parser it uses,
robfig/cron v3's ParseStandard, lives in ``k8slite/api/cron.py``, shared with CronJob
validation in the API server.

Times here are Unix seconds; virtual time is seconds since ``api.meta.EPOCH`` (2024-01-01 UTC).

Simplified: the controller manager's local time zone is UTC (a schedule without ``timeZone``
runs in UTC); no metrics.
"""
from __future__ import annotations

import copy
import json
from datetime import timezone, tzinfo
from typing import Optional

from ..api import errors
from ..api.cron import (ZERO_TIME, CronError, Schedule, load_location,  # noqa: F401 - ZERO_TIME re-exported
                        parse_standard, to_local)
from ..api.meta import EPOCH, controller_of, parse_rfc3339, rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller
from .job import finished_condition

JOBS = SCHEME.by_resource("batch", "jobs")
CRONJOBS = SCHEME.by_resource("batch", "cronjobs")
CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
EPOCH_UNIX = int(EPOCH.timestamp())
NEXT_SCHEDULE_DELTA = 0.1
NONE_MISSED, FEW_MISSED, MANY_MISSED = "none", "few", "many"


# -- schedule arithmetic (utils.go) ----------------------------------------------------------------

def to_unix(timestamp: str) -> float:
    return parse_rfc3339(timestamp) + EPOCH_UNIX


def from_unix(unix: float) -> str:
    return rfc3339(unix - EPOCH_UNIX)


def most_recent_schedule_time(cj: dict, now: float, schedule: Schedule, include_starting_deadline: bool
                              ) -> tuple[float, Optional[int], str, Optional[str]]:
    """(the last schedule time or creation time, the most recent time a Job is due or None,
    none/few/many missed, an error for a schedule that never fires twice a second apart)."""
    status, spec = cj.get("status") or {}, cj.get("spec") or {}
    earliest = to_unix(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
    deadline = spec.get("startingDeadlineSeconds")
    if include_starting_deadline and deadline is not None:
        earliest = max(earliest, now - deadline)    # nothing older than this starts
    t1 = schedule.next(earliest)
    t2 = schedule.next(t1)
    if now < t1:
        return earliest, None, NONE_MISSED, None
    if now < t2:
        return earliest, t1, NONE_MISSED, None
    # e.g. "59 23 31 2 *" parses but never fires: both times are the zero time.
    between = round(t2 - t1)
    if between < 1:
        return earliest, None, NONE_MISSED, "time difference between two schedules is less than 1 second"
    # Roughly how many intervals fit since t1; then let the schedule find the exact last time
    # from one interval before that estimate (irregular schedules such as "30 6-16/4 * * 1-5").
    missed = int(now - t1) // between + 1
    most_recent = None
    t = schedule.next(t1 + (missed - 2) * between)
    while t <= now:
        most_recent = t
        t = schedule.next(t)
    kind = MANY_MISSED if missed > 100 else FEW_MISSED if missed > 0 else NONE_MISSED
    return earliest, most_recent, kind, None


def next_schedule_time_duration(cj: dict, now: float, schedule: Schedule) -> float:
    """How long until the next schedule time after the most recent one, plus 100 ms for clock skew."""
    earliest, recent, missed, error = most_recent_schedule_time(cj, now, schedule, False)
    if error is not None:
        recent = now
    elif recent is None:
        recent = earliest if missed == NONE_MISSED else now
    return schedule.next(recent) + NEXT_SCHEDULE_DELTA - now


def job_name(cj: dict, scheduled: float) -> str:
    return f"{cj['metadata']['name']}-{int(scheduled) // 60}"


def go_rfc3339(unix: float, loc: tzinfo) -> str:
    """time.RFC3339 in ``loc``: "2024-01-01T01:00:00+01:00", or "...Z" at offset zero."""
    t = to_local(int(unix), loc)
    off = int(t.utcoffset().total_seconds())
    zone = "Z" if off == 0 else f"{'+' if off > 0 else '-'}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + zone


def rfc1123z_utc(unix: float) -> str:
    """time.RFC1123Z of a UTC time: "Mon, 01 Jan 2024 00:05:00 +0000" (English names, no locale)."""
    t = to_local(int(unix), timezone.utc)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[t.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[t.month - 1]
    return f"{day}, {t.day:02d} {month} {t.year} {t.strftime('%H:%M:%S')} +0000"


def job_from_template(cj: dict, scheduled: int) -> dict:
    """getJobFromTemplate2: the template's labels and annotations, the scheduled time (in the
    CronJob's zone), a deterministic name so that one schedule time never makes two Jobs."""
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = dict(tmeta.get("annotations") or {})
    annotations[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] = go_rfc3339(
        scheduled, load_location(cj["spec"].get("timeZone") or ""))
    meta: dict = {"name": job_name(cj, scheduled), "namespace": cj["metadata"]["namespace"]}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    meta["annotations"] = annotations
    meta["creationTimestamp"] = from_unix(scheduled)
    meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj["metadata"]["name"],
                                "uid": cj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {})}


def in_active_list(cj: dict, uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in (cj.get("status") or {}).get("active") or ())


def delete_from_active_list(cj: dict, uid: str) -> None:
    status = cj.setdefault("status", {})
    status["active"] = [ref for ref in status.get("active") or () if ref.get("uid") != uid]


def job_start_order(job: dict) -> tuple:
    """byJobStartTime: started before not started, earlier first, then by name."""
    start = (job.get("status") or {}).get("startTime")
    return (start is None, parse_rfc3339(start) if start else 0.0, job["metadata"]["name"])


def _api_status(status: dict) -> dict:
    out: dict = {}
    if status.get("active"):
        out["active"] = status["active"]
    for name in ("lastScheduleTime", "lastSuccessfulTime"):
        if status.get(name):
            out[name] = status[name]
    return out


class CronJobController(Controller):
    NAME = "cronjob"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel)
        self.client, self.recorder = client, recorder
        self.job_informer = factory.informer(JOBS)
        self.cronjob_informer = factory.informer(CRONJOBS)
        self.job_informer.add_event_handler(self._add_job, self._update_job, self._delete_job)
        self.cronjob_informer.add_event_handler(self._enqueue, self._update_cronjob, self._enqueue)

    def now(self) -> float:
        return EPOCH_UNIX + self.kernel.now

    # -- event handlers ---------------------------------------------------------------
    def _enqueue(self, obj: dict) -> None:
        self.queue.add(meta_namespace_key(obj))

    def resolve_controller_ref(self, namespace: str, ref: dict) -> Optional[dict]:
        if ref.get("kind") != "CronJob":
            return None
        cj = self.cronjob_informer.lister.get(namespace, ref["name"])
        return cj if cj is not None and cj["metadata"]["uid"] == ref.get("uid") else None

    def _add_job(self, job: dict) -> None:
        if job["metadata"].get("deletionTimestamp"):
            self._delete_job(job)
            return
        ref = controller_of(job)
        cj = ref and self.resolve_controller_ref(job["metadata"]["namespace"], ref)
        if cj:
            self._enqueue(cj)

    def _update_job(self, old: dict, job: dict) -> None:
        if old["metadata"].get("resourceVersion") == job["metadata"].get("resourceVersion"):
            return
        ref, old_ref = controller_of(job), controller_of(old)
        if ref != old_ref and old_ref is not None:
            cj = self.resolve_controller_ref(old["metadata"]["namespace"], old_ref)
            if cj:
                self._enqueue(cj)
        cj = ref and self.resolve_controller_ref(job["metadata"]["namespace"], ref)
        if cj:
            self._enqueue(cj)

    def _delete_job(self, job: dict) -> None:
        ref = controller_of(job)
        cj = ref and self.resolve_controller_ref(job["metadata"]["namespace"], ref)
        if cj:
            self._enqueue(cj)

    def _update_cronjob(self, old: dict, cj: dict) -> None:
        """A new schedule or time zone requeues for its next time; any other change syncs now."""
        spec, old_spec = cj.get("spec") or {}, old.get("spec") or {}
        if spec.get("schedule") != old_spec.get("schedule") or spec.get("timeZone") != old_spec.get("timeZone"):
            try:
                schedule = parse_standard(self.format_schedule(cj, report=False))
            except CronError:
                self.recorder.event(cj, "Warning", "UnParseableCronJobSchedule",
                                    f"unparseable schedule for cronjob: {spec.get('schedule')}")
                return
            self.queue.add_after(meta_namespace_key(cj), next_schedule_time_duration(cj, self.now(), schedule))
            return
        self._enqueue(cj)

    # -- sync ---------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        cj = self.cronjob_informer.lister.get(namespace, name)
        if cj is None:
            return
        jobs = self.jobs_to_be_reconciled(cj)
        cj_copy = copy.deepcopy(cj)
        cj_copy.setdefault("status", {})
        update = await self.cleanup_finished_jobs(cj_copy, jobs)
        requeue_after, update_after_sync, sync_error = await self.sync_cron_job(cj_copy, jobs)
        if update or update_after_sync:
            body = dict(cj_copy)
            body["status"] = _api_status(cj_copy["status"])
            await self.client.update_status(CRONJOBS, body)
        if requeue_after is not None:
            self.queue.add_after(key, requeue_after)
            return
        if sync_error is not None:
            raise sync_error

    def jobs_to_be_reconciled(self, cj: dict) -> list[dict]:
        """Every Job in the namespace whose controllerRef names this CronJob."""
        jobs = [j for j in self.job_informer.lister.list(cj["metadata"]["namespace"])
                if (controller_of(j) or {}).get("name") == cj["metadata"]["name"]]
        return sorted(jobs, key=lambda j: j["metadata"]["name"])

    def format_schedule(self, cj: dict, report: bool = True) -> str:
        schedule, tz = cj["spec"].get("schedule", ""), cj["spec"].get("timeZone")
        if "TZ" in schedule:
            if report:
                self.recorder.event(cj, "Warning", "UnsupportedSchedule",
                                    f"CRON_TZ or TZ used in schedule {json.dumps(schedule)} is not officially "
                                    "supported, see https://kubernetes.io/docs/concepts/workloads/controllers/"
                                    "cron-jobs/ for more details")
            return schedule
        if tz is not None:
            try:
                load_location(tz)
            except CronError:
                return schedule
            return f"TZ={tz} {schedule}"
        return schedule

    async def sync_cron_job(self, cj: dict, jobs: list[dict]) -> tuple[Optional[float], bool, Optional[Exception]]:
        """Reconcile ``status.active`` with the Jobs, then start the Job that is due, if any.
        Returns (when to look again, whether the status changed, an error to retry on)."""
        now = self.now()
        update = False
        status = cj["status"]
        children = {}
        for job in jobs:
            uid = job["metadata"]["uid"]
            children[uid] = None
            found = in_active_list(cj, uid)
            finished = finished_condition(job)
            if not found and finished is None:
                try:
                    fresh = await self.client.get(CRONJOBS, cj["metadata"]["namespace"], cj["metadata"]["name"])
                except errors.StatusError as error:
                    return None, update, error
                if in_active_list(fresh, uid):
                    # Our cache is behind our own status write. Upstream continues with the fresh
                    # copy in its local variable only; the caller still writes its own copy.
                    cj = copy.deepcopy(fresh)
                    status = cj.setdefault("status", {})
                    continue
                # Created just before a crash, before the status update, or by someone else.
                self.recorder.event(cj, "Warning", "UnexpectedJob", "Saw a job that the controller did not create "
                                    f"or forgot: {job['metadata']['name']}")
            elif finished is not None:
                if found:
                    delete_from_active_list(cj, uid)
                    self.recorder.event(cj, "Normal", "SawCompletedJob",
                                        f"Saw completed job: {job['metadata']['name']}, condition: {finished}")
                    update = True
                if finished == "Complete":
                    completed = (job.get("status") or {}).get("completionTime")
                    last = status.get("lastSuccessfulTime")
                    if last is None:
                        status["lastSuccessfulTime"] = last = completed
                        update = True
                    if completed and last and parse_rfc3339(completed) > parse_rfc3339(last):
                        status["lastSuccessfulTime"] = completed
                        update = True
        for ref in list(status.get("active") or ()):
            if ref.get("uid") in children:
                continue
            # Ask the API server: a slow watch must not make a running Job look missing.
            try:
                await self.client.get(JOBS, ref.get("namespace", ""), ref["name"])
            except errors.StatusError as error:
                if error.code != 404:
                    return None, update, error
                self.recorder.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref['name']}")
                delete_from_active_list(cj, ref.get("uid"))
                update = True
        if cj["metadata"].get("deletionTimestamp"):
            return None, update, None
        spec = cj["spec"]
        if spec.get("timeZone") is not None:
            try:
                load_location(spec["timeZone"])
            except CronError as error:
                self.recorder.event(cj, "Warning", "UnknownTimeZone",
                                    f"invalid timeZone: {json.dumps(spec['timeZone'])}: {error}")
                return None, update, None
        if spec.get("suspend"):
            return None, update, None
        try:
            schedule = parse_standard(self.format_schedule(cj))
        except CronError as error:
            self.recorder.event(cj, "Warning", "UnparseableSchedule",
                                f"unparseable schedule: {json.dumps(spec.get('schedule', ''))} : {error}")
            return None, update, None
        _, scheduled, missed, error = most_recent_schedule_time(cj, now, schedule, True)
        if scheduled is not None and scheduled <= now and missed == MANY_MISSED:
            self.recorder.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease "
                                ".spec.startingDeadlineSeconds or check clock skew")
        if error is not None:
            self.recorder.event(cj, "Warning", "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {error}")
            return None, update, None
        requeue = next_schedule_time_duration(cj, now, schedule)
        if scheduled is None or scheduled > now:
            return requeue, update, None            # nothing due: only after a restart, usually
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + deadline < now:
            self.recorder.event(cj, "Warning", "MissSchedule",
                                f"Missed scheduled time to start a job: {rfc1123z_utc(scheduled)}")
            return requeue, update, None
        name = job_name(cj, scheduled)
        last = status.get("lastScheduleTime")
        if any(ref.get("name") == name and ref.get("namespace") == cj["metadata"]["namespace"]
               for ref in status.get("active") or ()) or (last is not None and to_unix(last) == scheduled):
            return requeue, update, None            # this time was already handled
        if spec.get("concurrencyPolicy") == "Forbid" and status.get("active"):
            self.recorder.event(cj, "Normal", "JobAlreadyActive",
                                "Not starting job because prior execution is running and concurrency policy is Forbid")
            return requeue, update, None
        if spec.get("concurrencyPolicy") == "Replace":
            for ref in list(status.get("active") or ()):
                try:
                    job = await self.client.get(JOBS, ref.get("namespace", ""), ref["name"])
                except errors.StatusError as error:
                    self.recorder.event(cj, "Warning", "FailedGet", f"Get job: {error}")
                    return None, update, error
                error = await self.delete_job(cj, job)
                if error is not None:
                    return None, update, error
                update = True
        request = job_from_template(cj, scheduled)
        try:
            created = await self.client.create(JOBS, cj["metadata"]["namespace"], request)
            exists = False
        except errors.StatusError as error:
            if error.reason != "AlreadyExists":
                self.recorder.event(cj, "Warning", "FailedCreate", f"Error creating job: {error}")
                return None, update, error
            # Ours from before a lost status update (the name is the lock), or someone else's.
            exists = True
            try:
                created = await self.client.get(JOBS, cj["metadata"]["namespace"], request["metadata"]["name"])
            except errors.StatusError as get_error:
                return None, update, get_error
            ref = controller_of(created)
            if not ref or ref.get("uid") != cj["metadata"]["uid"] or in_active_list(cj, created["metadata"]["uid"]):
                return None, update, None
        if not exists:
            self.recorder.event(cj, "Normal", "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        meta = created["metadata"]
        status.setdefault("active", []).append({
            "kind": "Job", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
            "apiVersion": "batch/v1", "resourceVersion": meta.get("resourceVersion")})
        status["lastScheduleTime"] = from_unix(scheduled)
        return next_schedule_time_duration(cj, now, schedule), True, None

    async def cleanup_finished_jobs(self, cj: dict, jobs: list[dict]) -> bool:
        """Delete the oldest finished Jobs beyond the history limits; True if the status changed."""
        spec = cj["spec"]
        if spec.get("failedJobsHistoryLimit") is None and spec.get("successfulJobsHistoryLimit") is None:
            return False
        update = False
        for condition, limit in (("Complete", spec.get("successfulJobsHistoryLimit")),
                                 ("Failed", spec.get("failedJobsHistoryLimit"))):
            finished = sorted((j for j in jobs if finished_condition(j) == condition), key=job_start_order)
            if limit is None or len(finished) <= limit:
                continue
            for job in finished[:len(finished) - limit]:
                if await self.delete_job(cj, job) is None:
                    update = True
        return update

    async def delete_job(self, cj: dict, job: dict) -> Optional[Exception]:
        """Delete a Job (its pods go with it, in the background) and drop it from ``status.active``."""
        meta = job["metadata"]
        try:
            await self.client.delete(JOBS, meta["namespace"], meta["name"], propagation_policy="Background")
        except errors.StatusError as error:
            self.recorder.event(cj, "Warning", "FailedDelete", f"Deleted job: {error}")
            return error
        delete_from_active_list(cj, meta["uid"])
        self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {meta['name']}")
        return None
