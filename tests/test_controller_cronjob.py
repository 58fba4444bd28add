"""The CronJob controller and its cron parser: schedule cases taken from robfig/cron's and the
CronJob controller's upstream tests (restated as facts), then CronJobs on a running cluster in
virtual time (which starts at 2024-01-01T00:00:00Z, a Monday).

Job pods are pinned to a node label no node has; the test finishes a Job by patching its pod's
status as the kubelet would, and the Job controller does the rest.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import yaml

from k8slite import Cluster
from k8slite.api.defaults import apply_defaults
from k8slite.api.meta import parse_rfc3339, rfc3339
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.storage import registry_prefix
from k8slite.client.rest import MERGE_PATCH
from k8slite.etcd.mvcc import prefix_end
from k8slite.controllers.cronjob import (JOBS, ZERO_TIME, CronError, most_recent_schedule_time,
                                         next_schedule_time_duration, parse_standard)

PODS = SCHEME.by_resource("", "pods")
CRONJOBS = SCHEME.by_resource("batch", "cronjobs")
EPOCH_UNIX = 1704067200                         # 2024-01-01T00:00:00Z, where virtual time starts


def unix(text: str) -> int:
    """"2012-07-09 14:45" (UTC) or "2012-03-11T01:00:00-05:00" to Unix seconds."""
    t = datetime.fromisoformat(text)
    return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp())


# -- the parser ----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, after, expected", [
    ("0/15 * * * *", "2012-07-09 14:45", "2012-07-09 15:00"),
    ("0/15 * * * *", "2012-07-09 14:59:59", "2012-07-09 15:00"),
    ("20-35/15 * * * *", "2012-07-09 15:45", "2012-07-09 16:20"),
    ("20-35/15 * * * *", "2012-07-09 23:45", "2012-07-10 00:20"),
    ("0 0 9 Apr-Oct ?", "2012-07-09 23:35", "2012-08-09 00:00"),
    ("0 0 */5 Oct Mon", "2012-07-09 23:35", "2012-10-01 00:00"),
    ("0 0 * Feb Mon", "2012-07-09 23:35", "2013-02-04 00:00"),
    ("0 0 * Feb Mon/2", "2012-07-09 23:35", "2013-02-01 00:00"),
    ("59 23 31 Dec *", "2012-12-31 23:59:45", "2013-12-31 23:59"),
    ("0 0 29 Feb ?", "2012-07-09 23:35", "2016-02-29 00:00"),
    ("0 * 1,15 * Sun", "2012-06-14 23:59", "2012-06-15 00:00"),
    ("0 0 1,15 * Sun", "2012-07-30 00:00", "2012-08-01 00:00"),
    ("0 0 * * Mon", "2012-07-14 00:00", "2012-07-16 00:00"),
    ("@hourly", "2012-07-09 14:45", "2012-07-09 15:00"),
    ("@daily", "2012-07-09 14:45", "2012-07-10 00:00"),
    ("@weekly", "2012-07-09 14:45", "2012-07-15 00:00"),
    ("@monthly", "2012-07-09 14:45", "2012-08-01 00:00"),
    ("@yearly", "2012-07-09 14:45", "2013-01-01 00:00"),
    ("@every 1h30m", "2012-07-09 14:45:10", "2012-07-09 16:15:10"),
    ("TZ=Asia/Tokyo 0 9 * * *", "2024-01-01 00:00", "2024-01-02 00:00"),
    ("CRON_TZ=Europe/Rome 30 8 * * *", "2024-01-01 00:00", "2024-01-01 07:30"),
], ids=["every fifteen minutes", "from the last second before", "a stepped range wraps the hour",
        "a stepped range wraps the day", "a month range wraps to the next month",
        "a stepped day of month or a weekday, whichever comes first", "a month wraps the year",
        "a stepped weekday list with a star day of month", "the year wraps", "the next leap day",
        "day of month OR weekday: the 15th although a Friday", "day of month OR weekday: the 1st although a Wednesday",
        "a star day of month means AND: only Mondays", "@hourly", "@daily", "@weekly starts on Sunday",
        "@monthly", "@yearly", "@every counts from the time it is asked about",
        "TZ= runs at 09:00 Tokyo time", "CRON_TZ= works the same"])
def test_a_schedule_fires_next_when_upstream_says(spec, after, expected):
    assert parse_standard(spec).next(unix(after)) == unix(expected)


@pytest.mark.parametrize("spec, after, expected", [
    ("0 * * * ?", "2012-03-11T01:00:00-05:00", "2012-03-11T03:00:00-04:00"),
    ("0 2 * * ?", "2012-03-11T00:00:00-05:00", "2012-03-12T02:00:00-04:00"),
    ("30 2 11 Mar ?", "2012-03-11T00:00:00-05:00", "2013-03-11T02:30:00-04:00"),
    ("0 * * * ?", "2012-11-04T01:00:00-04:00", "2012-11-04T01:00:00-05:00"),
    ("0 1 * * ?", "2012-11-04T01:00:00-04:00", "2012-11-04T01:00:00-05:00"),
    ("0 1 * * ?", "2012-11-04T01:00:00-05:00", "2012-11-05T01:00:00-05:00"),
], ids=["the hour after 1 am is 3 am when clocks spring forward", "a 2 am job is skipped that night",
        "a time that does not exist this year waits for next year",
        "the 1 am hour happens twice when clocks fall back", "so a 1 am job runs twice", "but only twice"])
def test_schedules_follow_daylight_saving_time_in_their_zone(spec, after, expected):
    assert parse_standard("TZ=America/New_York " + spec).next(unix(after)) == unix(expected)


def test_an_impossible_date_never_fires():
    assert parse_standard("0 0 30 Feb ?").next(unix("2012-07-09 23:35")) == ZERO_TIME
    assert parse_standard("0 0 31 Apr ?").next(unix("2012-07-09 23:35")) == ZERO_TIME


@pytest.mark.parametrize("spec, message", [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("0 24 * * *", "end of range (24) above maximum (23): 24"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("5--5 * * * *", "too many hyphens: 5--5"),
    ("*//2 * * * *", "too many slashes: *//2"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("0 0 * * XYZ", 'failed to parse int from XYZ: strconv.Atoi: parsing "XYZ": invalid syntax'),
    ("*/-12 * * * *", "negative number (-12) not allowed: -12"),
    ("@reboot", "unrecognized descriptor: @reboot"),
    ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
    ("@every 1d", 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'),
    ("TZ=Mars/Olympus 0 * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
], ids=["empty", "four fields", "six fields (no seconds field in the standard parser)", "minute 60",
        "hour 24", "day of month 0", "weekday 7 (Sunday is 0 only)", "a backwards range", "a zero step",
        "two hyphens", "two slashes", "not a number", "not a weekday name", "a negative step",
        "no @reboot in Kubernetes", "a duration needs a unit", "no day unit in Go durations",
        "an unknown time zone"])
def test_invalid_schedules_are_refused_with_the_librarys_message(spec, message):
    with pytest.raises(CronError) as error:
        parse_standard(spec)
    assert str(error.value) == message


# -- most recent schedule time (the CronJob controller's utils_test.go) ----------------------------

T = unix("2016-05-19 10:00")                     # "top of the hour", a Thursday
H, M = 3600, 60


def cronjob(schedule: str, created: int, last=None, deadline=None) -> dict:
    cj = {"metadata": {"name": "mycronjob", "namespace": "default", "creationTimestamp": rfc3339(created - EPOCH_UNIX)},
          "spec": {"schedule": schedule}, "status": {}}
    if last is not None:
        cj["status"]["lastScheduleTime"] = rfc3339(last - EPOCH_UNIX)
    if deadline is not None:
        cj["spec"]["startingDeadlineSeconds"] = deadline
    return cj


@pytest.mark.parametrize("cj, include_deadline, now, earliest, recent, missed", [
    (cronjob("0 * * * *", T), False, T + 30, T, None, "none"),
    (cronjob("0 * * * *", T), False, T + 61 * M, T, T + H, "none"),
    (cronjob("0 * * * *", T + 10), False, T + 301 * M, T + 10, T + 5 * H, "few"),
    (cronjob("30 6-16/4 * * 1-5", T, last=T + 30 * M), False, T + 24 * H + 31 * M, T + 30 * M,
     T + 24 * H + 30 * M, "few"),
    (cronjob("30 10,11,12 * * 1-5", T, last=T + 30 * M), False, T + 30 * H + 30 * M, T + 30 * M, None, "few"),
    (cronjob("30 6-16/4 * * 1-5", T, last=T + 30 * M), False, T + 96 * H + 31 * M, T + 30 * M,
     T + 96 * H + 30 * M, "few"),
    (cronjob("30 6-16/4 * * 1-5", T), False, T + 24 * H + 31 * M, T, T + 24 * H + 30 * M, "few"),
    (cronjob("@every 1h", T - 59 * M, last=T + M, deadline=10), False, T + 7 * 24 * H, T + M,
     T + 6 * 24 * H + 23 * H + M, "many"),
    (cronjob("0 * * * *", T, last=T), False, T + 30, T, None, "none"),
    (cronjob("*/5 * * * *", T, last=T + 30 * M), False, T + 31 * M, T + 30 * M, None, "none"),
    (cronjob("*/5 * * * *", T, last=T + 30 * M, deadline=60), False, T + 31 * M, T + 30 * M, None, "none"),
    (cronjob("*/5 * * * *", T, last=T + 30 * M, deadline=60), True, T + 32 * M, T + 31 * M, None, "none"),
], ids=["now before the next schedule", "now just after the next schedule", "five schedules missed",
        "a complex schedule", "another complex schedule: the estimate overshoots, so nothing is found",
        "a complex schedule with a longer gap", "a complex schedule with a shorter gap",
        "@every, over a hundred missed", "the last schedule time is the creation time",
        "the last schedule time counts, not the creation time",
        "within startingDeadlineSeconds the last schedule time counts",
        "outside it, now minus the deadline is the earliest time"])
def test_the_most_recent_schedule_time(cj, include_deadline, now, earliest, recent, missed):
    got = most_recent_schedule_time(cj, now, parse_standard(cj["spec"]["schedule"]), include_deadline)
    assert got == (earliest, recent, missed, None)


def test_a_schedule_that_never_fires_is_an_error():
    cj = cronjob("59 23 31 2 *", T + 10)
    assert most_recent_schedule_time(cj, T + H, parse_standard("59 23 31 2 *"), False)[3] == \
        "time difference between two schedules is less than 1 second"


@pytest.mark.parametrize("cj, now, wait", [
    (cronjob("30 6-16/4 * * 1-5", T, last=T + 30 * M), T + 24 * H + 31 * M, 3 * H + 59 * M),
    (cronjob("30 10,11,12 * * 1-5", T, last=T + 30 * M), T + 30 * H + 30 * M, 66 * H),
    (cronjob("0 12 * * 4", T, last=T + 2 * H), T + 19 * 24 * H + H + 30 * M, 48 * H + 30 * M),
    (cronjob("0 12 * * 5", T), T + 6 * H, 20 * H),
], ids=["a complex schedule skipping the weekend", "another one skipping the weekend",
        "a weekly CronJob that missed two runs", "no run yet"])
def test_the_controller_requeues_at_the_next_schedule_time_plus_100_ms(cj, now, wait):
    assert next_schedule_time_duration(cj, now, parse_standard(cj["spec"]["schedule"])) == pytest.approx(wait + 0.1)


# -- on a cluster ----------------------------------------------------------------------------------

def cronjob_yaml(name: str, schedule: str, spec: str = "", job_spec: str = "backoffLimit: 0") -> str:
    return f"""
apiVersion: batch/v1
kind: CronJob
metadata: {{name: {name}}}
spec:
  schedule: "{schedule}"
  {spec}
  jobTemplate:
    metadata: {{labels: {{cron: {name}}}}}
    spec:
      {job_spec}
      template:
        spec:
          restartPolicy: Never
          nodeSelector: {{example.com/none: "true"}}
          containers: [{{name: work, image: busybox}}]
"""


def minute(n: float) -> float:
    """Virtual time of minute ``n`` after the epoch."""
    return 60 * n


def jobs(c: Cluster, cj: str) -> list[dict]:
    return sorted((j for j in c.objects("jobs", "default") if (j["metadata"].get("labels") or {}).get("cron") == cj),
                  key=lambda j: j["metadata"]["name"])


def names(c: Cluster, cj: str) -> list[str]:
    return [j["metadata"]["name"] for j in jobs(c, cj)]


def job_for_minute(cj: str, n: int) -> str:
    return f"{cj}-{EPOCH_UNIX // 60 + n}"


def status(c: Cluster, name: str) -> dict:
    return next(x for x in c.objects("cronjobs", "default") if x["metadata"]["name"] == name).get("status") or {}


def events(c: Cluster, name: str) -> list[tuple]:
    found = [e for e in c.objects("events", "default")
             if e["involvedObject"]["kind"] == "CronJob" and e["involvedObject"]["name"] == name]
    return [(e["type"], e["reason"], e["message"])
            for e in sorted(found, key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))]


def finish_job(c: Cluster, job_name: str, phase: str) -> None:
    """Let the Job's pod exit (as the kubelet would report it) and wait for the Job to finish."""
    c.run_until(lambda: any((p["metadata"].get("labels") or {}).get("job-name") == job_name
                            for p in c.objects("pods", "default")), limit=20, step=0.5)
    pod = next(p for p in c.objects("pods", "default") if p["metadata"]["labels"].get("job-name") == job_name
               and p["status"].get("phase") not in ("Succeeded", "Failed"))
    now = rfc3339(c.now)
    c.kernel.run_until_complete(c.admin.patch(PODS, "default", pod["metadata"]["name"], {"status": {
        "phase": phase, "containerStatuses": [{
            "name": "work", "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
            "state": {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1, "startedAt": now,
                                     "finishedAt": now}}}]}}, MERGE_PATCH, "status"))
    c.run_until(lambda: any(x["type"] in ("Complete", "Failed") for j in c.objects("jobs", "default")
                            if j["metadata"]["name"] == job_name for x in j["status"].get("conditions") or ()),
                limit=20, step=0.5)


def test_an_allow_cronjob_starts_a_job_at_every_schedule_time():
    c = Cluster.up(nodes=1, seed=31)
    c.kubectl.apply(cronjob_yaml("tick", "*/1 * * * *"))
    c.run(minute(3.5) - c.now)
    assert names(c, "tick") == [job_for_minute("tick", n) for n in (1, 2, 3)]
    for n, job in zip((1, 2, 3), jobs(c, "tick")):
        assert job["metadata"]["creationTimestamp"] == rfc3339(minute(n))     # requeued at the minute
        assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == \
            f"2024-01-01T00:0{n}:00Z"
        ref = job["metadata"]["ownerReferences"][0]
        assert (ref["kind"], ref["name"], ref["controller"]) == ("CronJob", "tick", True)
    st = status(c, "tick")
    assert [a["name"] for a in st["active"]] == names(c, "tick")
    assert st["lastScheduleTime"] == "2024-01-01T00:03:00Z"
    assert events(c, "tick") == [("Normal", "SuccessfulCreate", f"Created job {job_for_minute('tick', n)}")
                                 for n in (1, 2, 3)]
    row = str(c.kubectl("get cronjob tick")).splitlines()[1].split()
    assert row[:9] == ["tick", "*/1", "*", "*", "*", "*", "<none>", "False", "3"] and row[9] == "30s"


def test_forbid_skips_while_a_job_runs_and_a_finished_job_leaves_active():
    c = Cluster.up(nodes=1, seed=32)
    c.kubectl.apply(cronjob_yaml("solo", "*/1 * * * *", "concurrencyPolicy: Forbid"))
    c.run(minute(2.5) - c.now)
    first = job_for_minute("solo", 1)
    assert names(c, "solo") == [first]
    assert ("Normal", "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid") in events(c, "solo")
    finish_job(c, first, "Succeeded")
    finished_at = c.now
    c.run(minute(3.5) - c.now)
    # No startingDeadlineSeconds: the skipped 00:02 run starts as soon as the first Job is done,
    # and it is still running at 00:03, which is skipped in turn.
    second = job_for_minute("solo", 2)
    assert names(c, "solo") == [first, second]
    late = parse_rfc3339(jobs(c, "solo")[1]["metadata"]["creationTimestamp"])
    assert -1 < late - finished_at <= 2     # creationTimestamp has whole seconds
    st = status(c, "solo")
    assert [a["name"] for a in st["active"]] == [second]
    done = next(j for j in jobs(c, "solo") if j["metadata"]["name"] == first)
    assert st["lastSuccessfulTime"] == done["status"]["completionTime"]
    assert ("Normal", "SawCompletedJob", f"Saw completed job: {first}, condition: Complete") in events(c, "solo")


def test_replace_deletes_the_running_job_and_starts_the_new_one():
    c = Cluster.up(nodes=1, seed=33)
    c.kubectl.apply(cronjob_yaml("swap", "*/1 * * * *", "concurrencyPolicy: Replace"))
    c.run(minute(1.5) - c.now)
    first = job_for_minute("swap", 1)
    assert names(c, "swap") == [first]
    c.run(minute(2.5) - c.now)
    second = job_for_minute("swap", 2)
    assert names(c, "swap") == [second]
    assert [a["name"] for a in status(c, "swap")["active"]] == [second]
    assert [r for _, r, _ in events(c, "swap")] == ["SuccessfulCreate", "SuccessfulDelete", "SuccessfulCreate"]
    assert events(c, "swap")[1][2] == f"Deleted job {first}"
    c.run(10)                                   # the garbage collector removes the old Job's pod
    assert [p["metadata"]["labels"]["job-name"] for p in c.objects("pods", "default")] == [second]


def test_history_limits_keep_the_newest_finished_jobs():
    c = Cluster.up(nodes=1, seed=34)
    c.kubectl.apply(cronjob_yaml("good", "*/1 * * * *", "successfulJobsHistoryLimit: 2"))
    c.kubectl.apply(cronjob_yaml("bad", "*/1 * * * *"))      # failedJobsHistoryLimit defaults to 1
    for n in range(1, 6):
        c.run(minute(n) + 1 - c.now)
        finish_job(c, job_for_minute("good", n), "Succeeded")
        finish_job(c, job_for_minute("bad", n), "Failed")
    c.run(minute(6) - 5 - c.now)
    assert names(c, "good") == [job_for_minute("good", n) for n in (4, 5)]
    assert names(c, "bad") == [job_for_minute("bad", 5)]
    deleted = [m for _, r, m in events(c, "good") if r == "SuccessfulDelete"]
    assert deleted == [f"Deleted job {job_for_minute('good', n)}" for n in (1, 2, 3)]


def test_a_missed_start_runs_late_without_a_deadline_and_is_skipped_past_startingdeadlineseconds():
    c = Cluster.up(nodes=1, seed=35)
    c.kubectl.apply(cronjob_yaml("late", "*/5 * * * *"))
    c.kubectl.apply(cronjob_yaml("strict", "*/5 * * * *", "startingDeadlineSeconds: 30"))
    c.run(minute(4) - c.now)
    c.crash("kube-controller-manager")
    c.run(minute(5) + 50 - c.now)                  # down across 00:05
    c.restart("kube-controller-manager")            # it leads again once the old lease expires
    c.run(minute(6.5) - c.now)
    assert names(c, "late") == [job_for_minute("late", 5)]     # named for 00:05, started late
    assert names(c, "strict") == []                            # 50 s late > 30 s allowed
    assert status(c, "strict").get("lastScheduleTime") is None
    # v1.31 looks for schedule times only within the deadline, so it never even sees the miss:
    # its MissSchedule event cannot fire.
    assert [r for _, r, _ in events(c, "strict")] == []
    c.run(minute(10.5) - c.now)
    assert names(c, "strict") == [job_for_minute("strict", 10)]


def test_a_controller_manager_crash_between_creating_a_job_and_recording_it_duplicates_nothing():
    c = Cluster.up(nodes=1, seed=36)
    c.kubectl.apply(cronjob_yaml("once", "*/1 * * * *"))
    c.run(minute(1) + 0.09 - c.now)             # it syncs at 00:01:00.1 (the schedule plus 100 ms)
    prefix = registry_prefix(JOBS)
    while not c.etcd.store.range(prefix, prefix_end(prefix)).kvs:
        c.run(0.00005)                          # stop the manager the moment etcd holds its Job,
    c.crash("kube-controller-manager")          # before the reply reaches it
    c.run(20)
    assert names(c, "once") == [job_for_minute("once", 1)] and not status(c, "once").get("active")
    c.restart("kube-controller-manager")
    c.run(minute(2.5) - c.now)
    assert names(c, "once") == [job_for_minute("once", n) for n in (1, 2)]
    assert [len([p for p in c.objects("pods", "default") if p["metadata"]["labels"].get("job-name") == n])
            for n in names(c, "once")] == [1, 1]
    assert [a["name"] for a in status(c, "once")["active"]] == names(c, "once")
    assert ("Warning", "UnexpectedJob", f"Saw a job that the controller did not create or forgot: "
            f"{job_for_minute('once', 1)}") in events(c, "once")


def test_more_than_a_hundred_missed_times_warn_and_start_only_the_latest():
    c = Cluster.up(nodes=1, seed=37)
    c.kubectl.apply(cronjob_yaml("busy", "* * * * *"))
    c.run(5)
    c.crash("kube-controller-manager")
    c.run(minute(105) + 20 - c.now)
    c.restart("kube-controller-manager")
    c.run(30)                                   # the old lease expires, then it syncs
    assert names(c, "busy") == [job_for_minute("busy", 105)]
    assert ("Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease "
            ".spec.startingDeadlineSeconds or check clock skew") in events(c, "busy")


def store_as_older_server(c, manifest: str) -> None:
    """Write a CronJob straight into etcd, as an API server without today's validation stored it."""
    obj = apply_defaults(yaml.safe_load(manifest))
    meta = obj["metadata"]
    meta.update(namespace="default", uid=f"uid-{meta['name']}", creationTimestamp=rfc3339(c.now), generation=1)
    obj["status"] = {}
    c.etcd.store.put(registry_prefix(CRONJOBS) + "default/" + meta["name"], json.dumps(obj).encode())


def test_suspend_time_zones_and_bad_specs():
    c = Cluster.up(nodes=1, seed=38)
    c.kubectl.apply(cronjob_yaml("paused", "*/1 * * * *", "suspend: true"))
    c.kubectl.apply(cronjob_yaml("tokyo", "1 9 * * *", "timeZone: Asia/Tokyo"))
    # The API server now refuses both (as upstream's validation does); an object stored by an older
    # server that did not check is what the controller's warnings are for.
    store_as_older_server(c, cronjob_yaml("nowhere", "*/1 * * * *", "timeZone: Mars/Olympus"))
    store_as_older_server(c, cronjob_yaml("garbled", "61 * * * *"))
    c.run(minute(2) - c.now)
    assert names(c, "paused") == [] and names(c, "nowhere") == [] and names(c, "garbled") == []
    tokyo = jobs(c, "tokyo")                    # 09:01 in Tokyo is 00:01 UTC
    assert [j["metadata"]["name"] for j in tokyo] == [job_for_minute("tokyo", 1)]
    assert tokyo[0]["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == \
        "2024-01-01T09:01:00+09:00"
    assert ("Warning", "UnknownTimeZone", 'invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus') \
        in events(c, "nowhere")
    assert ("Warning", "UnparseableSchedule", 'unparseable schedule: "61 * * * *" : end of range (61) above '
            "maximum (59): 61") in events(c, "garbled")
    c.kernel.run_until_complete(c.admin.patch(CRONJOBS, "default", "paused", {"spec": {"suspend": False}},
                                              MERGE_PATCH))
    c.kernel.run_until_complete(c.admin.patch(CRONJOBS, "default", "garbled", {"spec": {"schedule": "*/1 * * * *"}},
                                              MERGE_PATCH))
    c.run(minute(3) + 5 - c.now)
    # Resumed at 00:02:00, it starts the most recent time it missed at once (no deadline), then 00:03.
    assert names(c, "paused") == [job_for_minute("paused", 2), job_for_minute("paused", 3)]
    # A new schedule is not synced at once but requeued for its next time: 00:02 passes unstarted.
    assert names(c, "garbled") == [job_for_minute("garbled", 3)]
