"""The Job controller on the public Cluster surface, in virtual time, and its pure parts.

Most Jobs here pin their pods to a node label no node has, so the pods stay unscheduled and
the test plays the kubelet: it patches a pod's status to Succeeded or Failed (with a
terminated container) exactly as the kubelet's status manager would. The controller cannot
tell the difference, and the test decides when each pod finishes.
"""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.api.meta import parse_rfc3339, rfc3339
from k8slite.api.scheme import SCHEME
from k8slite.client.rest import MERGE_PATCH
from k8slite.controllers.job import (BackoffRecord, CONTROLLER_UID_LABEL, JOB_COMPLETION_INDEX_ANNOTATION,
                                     JOB_NAME_LABEL, JOB_TRACKING_FINALIZER, intervals_string, new_backoff_record,
                                     parse_indexes, with_ordered_indexes)

PODS = SCHEME.by_resource("", "pods")
JOBS = SCHEME.by_resource("batch", "jobs")
UNSCHEDULABLE = 'nodeSelector: {example.com/none: "true"}'


def job_yaml(name: str, spec: str = "", pod: str = UNSCHEDULABLE, image: str = "busybox", extra: str = "") -> str:
    return f"""
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  {spec or "completions: 1"}
  template:
    spec:
      restartPolicy: Never
      {pod}
      containers:
      - name: work
        image: {image}
        {extra}
"""


def pods(c: Cluster, job: str) -> list[dict]:
    """The Job's pods, oldest first."""
    found = [p for p in c.objects("pods", "default")
             if (p["metadata"].get("labels") or {}).get(JOB_NAME_LABEL) == job]
    return sorted(found, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def running(c: Cluster, job: str) -> list[dict]:
    return [p for p in pods(c, job) if p["status"].get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")]


def job(c: Cluster, name: str) -> dict:
    return next(j for j in c.objects("jobs", "default") if j["metadata"]["name"] == name)


def conditions(c: Cluster, name: str) -> list[tuple]:
    return [(x["type"], x["status"], x.get("reason"), x.get("message"))
            for x in job(c, name)["status"].get("conditions") or ()]


def finished(c: Cluster, name: str) -> bool:
    return any(t in ("Complete", "Failed") and s == "True" for t, s, _, _ in conditions(c, name))


def events(c: Cluster, name: str, kind: str = "Job") -> list[tuple]:
    found = [e for e in c.objects("events", "default")
             if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name]
    return [(e["type"], e["reason"], e["message"])
            for e in sorted(found, key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))]


def finish(c: Cluster, pod: dict, phase: str, exit_code: int = 0) -> None:
    """Report the pod's container as exited, as the kubelet's status manager does."""
    now = rfc3339(c.now)
    status = {"phase": phase,
              "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now,
                              "reason": "PodCompleted" if phase == "Succeeded" else "PodFailed"}],
              "containerStatuses": [{
                  "name": "work", "ready": False, "restartCount": 0, "image": "busybox", "imageID": "",
                  "state": {"terminated": {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                                           "startedAt": now, "finishedAt": now}}}]}
    c.kernel.run_until_complete(c.admin.patch(PODS, "default", pod["metadata"]["name"], {"status": status},
                                              MERGE_PATCH, "status"))


@pytest.fixture(scope="module")
def cluster():
    return Cluster.up(nodes=2, seed=21)


def test_a_job_never_runs_more_than_parallelism_pods_and_completes_after_completions_successes(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("batch", "completions: 5\n  parallelism: 2"))
    most, done = 0, 0
    while not finished(c, "batch"):
        assert c.now < 600, "the Job never finished"
        c.run(0.5)
        active = running(c, "batch")
        most = max(most, len(active))
        if active and c.now % 3 < 0.5:          # every 3 s, one pod succeeds
            finish(c, active[0], "Succeeded")
            done += 1
    assert most == 2 and done == 5
    assert len(pods(c, "batch")) == 5           # exactly one pod per completion, none extra
    j = job(c, "batch")
    assert conditions(c, "batch") == [
        ("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")]
    status = j["status"]
    assert (status["succeeded"], status.get("failed"), status.get("active"), status["ready"],
            status["terminating"], status["uncountedTerminatedPods"]) == (5, None, None, 0, 0, {})
    assert parse_rfc3339(status["completionTime"]) >= parse_rfc3339(status["startTime"])
    assert [r for _, r, _ in events(c, "batch")] == ["SuccessfulCreate"] * 5 + ["Completed"]
    assert events(c, "batch")[-1] == ("Normal", "Completed", "Job completed")
    for pod in pods(c, "batch"):                # counted: the tracking finalizer is gone
        assert JOB_TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or ())
        labels = pod["metadata"]["labels"]
        assert labels[CONTROLLER_UID_LABEL] == labels["controller-uid"] == j["metadata"]["uid"]
        assert labels[JOB_NAME_LABEL] == labels["job-name"] == "batch"
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    table = str(c.kubectl("get job batch")).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table[1].split()[:3] == ["batch", "Complete", "5/5"]


def test_a_running_pod_holds_the_tracking_finalizer(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("held"))
    c.run_until(lambda: running(c, "held"), limit=10, step=0.5)
    pod = running(c, "held")[0]
    assert pod["metadata"]["finalizers"] == [JOB_TRACKING_FINALIZER]
    assert pod["metadata"]["generateName"] == "held-"


def test_failed_pods_count_against_backoff_limit_and_the_job_fails_with_the_real_reason(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("flaky", "backoffLimit: 2"))
    created_after: list[float] = []
    failed_at = None
    while not finished(c, "flaky"):
        assert c.now < 600
        c.run(0.5)
        active = running(c, "flaky")
        if active:
            if failed_at is not None:
                created_after.append(parse_rfc3339(active[0]["metadata"]["creationTimestamp"]) - failed_at)
                failed_at = None
            c.run(1)
            failed_at = c.now
            finish(c, active[0], "Failed", exit_code=1)
    # Replacements wait 10 s after the first failure, 20 s after the second (pod-failure back-off);
    # creationTimestamp has whole seconds, so each gap is known to within a second.
    assert len(created_after) == 2 and all(abs(d - want) <= 1 for d, want in zip(created_after, (10, 20))), \
        created_after
    assert len(pods(c, "flaky")) == 3 and job(c, "flaky")["status"]["failed"] == 3
    message = "Job has reached the specified backoff limit"
    assert conditions(c, "flaky") == [("FailureTarget", "True", "BackoffLimitExceeded", message),
                                      ("Failed", "True", "BackoffLimitExceeded", message)]
    assert events(c, "flaky")[-1] == ("Warning", "BackoffLimitExceeded", message)
    c.run(30)
    assert len(pods(c, "flaky")) == 3           # a failed Job starts nothing more
    assert str(c.kubectl("get job flaky")).splitlines()[1].split()[:3] == ["flaky", "Failed", "0/1"]


def test_the_back_off_doubles_from_ten_seconds_and_is_capped():
    record = lambda n: BackoffRecord("ns/j", n, 100.0)        # noqa: E731 - n failures, the last at t=100
    assert [record(n).remaining_time(100.0) for n in (0, 1, 2, 3, 4)] == [0.0, 10.0, 20.0, 40.0, 80.0]
    assert record(7).remaining_time(100.0) == 600.0 and record(30).remaining_time(100.0) == 600.0
    assert record(2).remaining_time(115.0) == 5.0 and record(2).remaining_time(125.0) == 0.0


def _finished_pod(name: str, phase: str, at: float) -> dict:
    t = rfc3339(at)
    return {"metadata": {"name": name, "uid": name, "creationTimestamp": rfc3339(0)},
            "status": {"phase": phase, "containerStatuses": [{"state": {"terminated": {"finishedAt": t}}}]}}


@pytest.mark.parametrize("old, succeeded, failed, expected", [
    (None, [], [("f1", 30)], (1, 30.0)),
    (BackoffRecord("k", 2, 30.0), [], [("f2", 50), ("f1", 40)], (4, 50.0)),
    (BackoffRecord("k", 2, 30.0), [("s1", 45)], [], (0, None)),
    (BackoffRecord("k", 2, 30.0), [("s1", 45)], [("f1", 40), ("f2", 50), ("f3", 60)], (2, 60.0)),
], ids=["a first failure starts the count at its finish time",
        "more failures add up and the latest finish time is kept",
        "a success resets the back-off",
        "only failures that finished after the last success count"])
def test_the_back_off_record_counts_failures_since_the_last_success(old, succeeded, failed, expected):
    new = new_backoff_record(old, "k", [_finished_pod(n, "Succeeded", t) for n, t in succeeded],
                             [_finished_pod(n, "Failed", t) for n, t in failed])
    assert (new.failures_after_last_success, new.last_failure_time) == expected


def test_active_deadline_seconds_fails_the_job_and_deletes_its_running_pods(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("slow", "parallelism: 2\n  completions: 4\n  activeDeadlineSeconds: 30"))
    c.run_until(lambda: len(running(c, "slow")) == 2, limit=10, step=0.5)
    start = parse_rfc3339(job(c, "slow")["status"]["startTime"])
    c.run(20)
    assert not finished(c, "slow")
    c.run_until(lambda: finished(c, "slow"), limit=30, step=0.5)
    message = "Job was active longer than specified deadline"
    assert conditions(c, "slow") == [("FailureTarget", "True", "DeadlineExceeded", message),
                                     ("Failed", "True", "DeadlineExceeded", message)]
    failed_at = parse_rfc3339(job(c, "slow")["status"]["conditions"][0]["lastTransitionTime"])
    assert 30 <= failed_at - start <= 31
    assert pods(c, "slow") == []                # deleted, counted, finalizers released
    status = job(c, "slow")["status"]
    assert (status["failed"], status.get("active"), status["terminating"]) == (2, None, 0)
    reasons = [r for _, r, _ in events(c, "slow")]
    assert reasons.count("SuccessfulDelete") == 2 and reasons[-1] == "DeadlineExceeded"


def test_an_indexed_job_gives_each_pod_an_index_and_replaces_a_failed_index(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("idx", "completions: 3\n  parallelism: 3\n  completionMode: Indexed"))
    c.run_until(lambda: len(running(c, "idx")) == 3, limit=10, step=0.5)
    by_index = {int(p["metadata"]["annotations"][JOB_COMPLETION_INDEX_ANNOTATION]): p for p in running(c, "idx")}
    assert sorted(by_index) == [0, 1, 2]
    for ix, pod in by_index.items():
        assert pod["metadata"]["generateName"] == f"idx-{ix}-"
        assert pod["metadata"]["labels"][JOB_COMPLETION_INDEX_ANNOTATION] == str(ix)
        assert pod["spec"]["hostname"] == f"idx-{ix}"
        assert pod["spec"]["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']", "apiVersion": "v1"}}}]
    finish(c, by_index[0], "Succeeded")
    finish(c, by_index[2], "Succeeded")
    finish(c, by_index[1], "Failed", exit_code=3)
    c.run(3)
    status = job(c, "idx")["status"]
    assert (status["completedIndexes"], status["succeeded"], status["failed"]) == ("0,2", 2, 1)
    c.run_until(lambda: running(c, "idx"), limit=20, step=0.5)
    again = running(c, "idx")
    assert [p["metadata"]["annotations"][JOB_COMPLETION_INDEX_ANNOTATION] for p in again] == ["1"]
    finish(c, again[0], "Succeeded")
    c.run_until(lambda: finished(c, "idx"), limit=10, step=0.5)
    status = job(c, "idx")["status"]
    assert (status["completedIndexes"], status["succeeded"], status["failed"]) == ("0-2", 3, 1)
    assert conditions(c, "idx")[-1][0] == "Complete"


@pytest.mark.parametrize("indexes, text", [
    ([], ""), ([0], "0"), ([0, 1], "0,1"), ([0, 1, 2], "0-2"), ([0, 2, 3, 4, 7, 8], "0,2-4,7,8"),
], ids=["no index prints empty", "one index", "two adjacent indexes print as a list",
        "three or more adjacent indexes print as a range", "mixed runs"])
def test_completed_indexes_print_as_upstream_does(indexes, text):
    intervals = with_ordered_indexes([], indexes)
    assert intervals_string(intervals) == text
    assert parse_indexes(text, 10) == intervals


def test_parsing_completed_indexes_drops_indexes_beyond_completions_and_corrupt_parts():
    assert parse_indexes("0-2,5-9", 7) == [(0, 2), (5, 6)]
    assert parse_indexes("1,x,2-3", 10) == [(1, 3)]
    assert with_ordered_indexes([(0, 2), (6, 6)], [3, 5, 9]) == [(0, 3), (5, 6), (9, 9)]


def test_a_suspended_job_creates_nothing_until_resumed(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("later", "parallelism: 2\n  completions: 2\n  suspend: true"))
    c.run(5)
    assert pods(c, "later") == []
    assert conditions(c, "later") == [("Suspended", "True", "JobSuspended", "Job suspended")]
    assert "startTime" not in job(c, "later")["status"]
    c.kernel.run_until_complete(c.admin.patch(JOBS, "default", "later", {"spec": {"suspend": False}}, MERGE_PATCH))
    c.run_until(lambda: len(running(c, "later")) == 2, limit=10, step=0.5)
    assert conditions(c, "later") == [("Suspended", "False", "JobResumed", "Job resumed")]
    assert job(c, "later")["status"]["startTime"]
    # Suspending again deletes the running pods (they are not failures) and keeps the Job.
    c.kernel.run_until_complete(c.admin.patch(JOBS, "default", "later", {"spec": {"suspend": True}}, MERGE_PATCH))
    c.run_until(lambda: not pods(c, "later"), limit=10, step=0.5)
    assert job(c, "later")["status"].get("failed") is None
    assert [r for _, r, _ in events(c, "later")] == ["Suspended", "SuccessfulCreate", "SuccessfulCreate", "Resumed",
                                                     "SuccessfulDelete", "SuccessfulDelete", "Suspended"]


def test_a_deleted_pod_counts_as_failed_and_is_replaced(cluster):
    c = cluster
    c.kubectl.apply(job_yaml("victim", "backoffLimit: 4"))
    c.run_until(lambda: running(c, "victim"), limit=10, step=0.5)
    first = running(c, "victim")[0]["metadata"]["name"]
    c.kubectl(f"delete pod {first} --wait=false")
    c.run_until(lambda: running(c, "victim"), limit=30, step=0.5)
    assert running(c, "victim")[0]["metadata"]["name"] != first
    assert job(c, "victim")["status"]["failed"] == 1
    assert first not in [p["metadata"]["name"] for p in pods(c, "victim")]     # its finalizer was released


def test_scheduled_pods_report_ready_and_deleting_the_job_releases_their_finalizers():
    c = Cluster.up(nodes=2, seed=22)
    c.kubectl.apply(job_yaml("web", "parallelism: 2\n  completions: 2", pod="", image="nginx"))
    c.run_until(lambda: job(c, "web")["status"].get("ready") == 2, limit=60, step=0.5)
    assert job(c, "web")["status"]["active"] == 2
    assert all(p["spec"].get("nodeName") for p in pods(c, "web"))
    c.kubectl("delete job web --wait=false")
    c.run_until(lambda: not pods(c, "web"), limit=60, step=0.5)      # the orphan worker let them go


def test_a_controller_manager_crash_neither_duplicates_pods_nor_double_counts():
    c = Cluster.up(nodes=1, seed=23)
    c.kubectl.apply(job_yaml("sturdy", "completions: 4\n  parallelism: 2"))
    c.run_until(lambda: len(running(c, "sturdy")) == 2, limit=10, step=0.5)
    finish(c, running(c, "sturdy")[0], "Succeeded")
    c.crash("kube-controller-manager")
    c.run(1)
    finish(c, running(c, "sturdy")[0], "Succeeded")     # finishes while nobody is counting
    c.run(20)
    assert len(pods(c, "sturdy")) == 2
    c.restart("kube-controller-manager")
    c.run_until(lambda: len(running(c, "sturdy")) == 2, limit=20, step=0.5)
    for pod in running(c, "sturdy"):
        finish(c, pod, "Succeeded")
    c.run_until(lambda: finished(c, "sturdy"), limit=20, step=0.5)
    c.run(10)
    assert len(pods(c, "sturdy")) == 4
    assert job(c, "sturdy")["status"]["succeeded"] == 4
    assert [r for _, r, _ in events(c, "sturdy")].count("SuccessfulCreate") == 4


def test_a_real_job_runs_its_shell_command_to_completion():
    """End to end: the kubelet runs busybox's ``sh -c``; the pods exit 0 after 5 s and the Job completes."""
    c = Cluster.up(nodes=2, seed=24)
    c.kubectl.apply(job_yaml("sleepy", "completions: 2\n  parallelism: 2\n  backoffLimit: 0", pod="",
                             extra='command: ["sh", "-c", "sleep 5; exit 0"]'))
    c.run_until(lambda: job(c, "sleepy")["status"].get("ready") == 2, limit=60, step=0.5)
    assert not finished(c, "sleepy")
    c.run_until(lambda: finished(c, "sleepy"), limit=30, step=0.5)
    assert conditions(c, "sleepy")[-1][:3] == ("Complete", "True", "CompletionsReached")
    assert [p["status"]["phase"] for p in pods(c, "sleepy")] == ["Succeeded", "Succeeded"]
    status = job(c, "sleepy")["status"]
    assert (status["succeeded"], status.get("failed")) == (2, None)
    assert 5 <= parse_rfc3339(status["completionTime"]) - parse_rfc3339(status["startTime"]) <= 20


def test_a_real_failing_command_is_retried_after_the_back_off_then_the_job_fails():
    c = Cluster.up(nodes=1, seed=25)
    c.kubectl.apply(job_yaml("broken", "backoffLimit: 1", pod="", extra='command: ["sh", "-c", "exit 3"]'))
    c.run_until(lambda: finished(c, "broken"), limit=90, step=0.5)
    assert conditions(c, "broken")[-1][:3] == ("Failed", "True", "BackoffLimitExceeded")
    first, second = pods(c, "broken")
    exit_codes = [p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] for p in (first, second)]
    assert [p["status"]["phase"] for p in (first, second)] == ["Failed", "Failed"] and exit_codes == [3, 3]
    failed_at = parse_rfc3339(first["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"])
    assert 10 <= parse_rfc3339(second["metadata"]["creationTimestamp"]) - failed_at <= 12
