"""The container lifecycle end to end: commands run, containers exit, pods complete or crash-loop.

On the public Cluster surface, in virtual time. The numbers are upstream's: restarts back off
10 s, 20 s, 40 s (kuberuntime_manager.go doBackOff with flowcontrol.Backoff 10 s..300 s), the
first restart is immediate, a back-off resets after 10 minutes of running, getPhase decides
Succeeded/Failed, and the kubelet learns of exits from the CRI event stream (Evented PLEG).
"""
import json

import pytest

from k8slite import Cluster
from k8slite.api.meta import parse_rfc3339


def pod_manifest(name, command, restart_policy="Never", image="busybox:1.36", **container):
    spec = {"name": "c", "image": image, **container}
    if command is not None:
        spec["command"] = command
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                       "spec": {"restartPolicy": restart_policy, "containers": [spec]}})


def get_pod(cluster, name):
    return next((p for p in cluster.objects("pods", "default") if p["metadata"]["name"] == name), None)


def phase(cluster, name):
    pod = get_pod(cluster, name)
    return pod["status"].get("phase") if pod else None


def container_status(cluster, name):
    return get_pod(cluster, name)["status"]["containerStatuses"][0]


def logs(cluster, name, **options):
    return cluster.kernel.run_until_complete(cluster.admin.logs("default", name, **options))


def events(cluster, name, reason=None):
    found = [e for e in cluster.objects("events", "default")
             if e["involvedObject"]["name"] == name and (reason is None or e["reason"] == reason)]
    return sorted(found, key=lambda e: (parse_rfc3339(e["firstTimestamp"]), e["metadata"]["name"]))


def status_column(cluster, name):
    rows = [line.split() for line in str(cluster.kubectl("get pods")).splitlines()[1:]]
    return next(row[2] for row in rows if row[0] == name)


def condition(cluster, name, ctype):
    return next(c for c in get_pod(cluster, name)["status"]["conditions"] if c["type"] == ctype)


# -- programs that run to completion ---------------------------------------------------------------
COMPLETIONS = [
    pytest.param("echo-exit0", ["sh", "-c", "echo hi; exit 0"], "Succeeded", 0, ["hi"],
                 id="sh -c 'echo hi; exit 0' with restartPolicy Never succeeds and logs hi"),
    pytest.param("exit1", ["sh", "-c", "echo bad; exit 1"], "Failed", 1, ["bad"],
                 id="exit 1 with restartPolicy Never fails the pod"),
    pytest.param("unknown", ["sh", "-c", "nosuchcmd"], "Failed", 127, ["sh: nosuchcmd: not found"],
                 id="an unknown command exits 127 with busybox sh's not-found message"),
    pytest.param("unknown-dash", ["sh", "-c", "nosuchcmd"], "Failed", 127, ["sh: 1: nosuchcmd: not found"],
                 "debian:12", id="Debian's sh is dash, which names the line"),
    pytest.param("unknown-bash", ["bash", "-c", "nosuchcmd"], "Failed", 127,
                 ["bash: line 1: nosuchcmd: command not found"], "ubuntu:24.04", id="bash says command not found"),
    pytest.param("sequence", ["sh", "-c", "false || echo fallback; true && echo and; false && echo never; exit 3"],
                 "Failed", 3, ["fallback", "and"], id="sequences, && and || short-circuit as in sh"),
    pytest.param("loop", ["/bin/sh", "-c", "for i in 1 2 3; do echo item $i; done; i=0; "
                                           "while [ $i -lt 2 ]; do i=$((i+1)); echo count $i; done"],
                 "Succeeded", 0, ["item 1", "item 2", "item 3", "count 1", "count 2"],
                 id="for and while loops with test and arithmetic"),
    pytest.param("errexit", ["sh", "-ec", "echo a; false; echo b"], "Failed", 1, ["a"], id="sh -e stops at a failure"),
    pytest.param("heredoc", ["sh", "-c", "cat <<EOF > /tmp/conf\nhost=$HOSTNAME\nEOF\ncat /tmp/conf"], "Succeeded", 0,
                 ["host=heredoc"], id="a here-document written to a file and read back; HOSTNAME is the pod"),
    pytest.param("expr", ["expr", "3", "+", "2"], "Succeeded", 0, ["5"], "ubuntu:24.04",
                 id="the docs' math job: expr 3 + 2 prints 5"),
    pytest.param("python", ["python", "-c", "print('from python', 6 * 7)"], "Succeeded", 0, ["from python 42"],
                 "python:3.12", id="python -c prints"),
    pytest.param("exec-echo", ["echo", "direct", "$HOME"], "Succeeded", 0, ["direct $HOME"],
                 id="a command without a shell gets its arguments unexpanded"),
    pytest.param("false", ["false"], "Failed", 1, [], id="false exits 1"),
]


@pytest.fixture(scope="module")
def completed():
    """One node running every program of COMPLETIONS to its end."""
    c = Cluster.up(nodes=1, seed=1)
    for param in COMPLETIONS:
        name, command = param.values[0], param.values[1]
        image = param.values[5] if len(param.values) > 5 else "busybox:1.36"
        c.kubectl.apply(pod_manifest(name, command, image=image))
    c.run_until(lambda: all(phase(c, p.values[0]) in ("Succeeded", "Failed") for p in COMPLETIONS), limit=60, step=0.5)
    return c


@pytest.mark.parametrize("name, command, want_phase, exit_code, lines, image",
                         [pytest.param(*p.values, *(() if len(p.values) > 5 else ("busybox:1.36",)), id=p.id)
                          for p in COMPLETIONS])
def test_a_container_that_exits_completes_its_pod(completed, name, command, want_phase, exit_code, lines, image):
    assert phase(completed, name) == want_phase
    terminated = container_status(completed, name)["state"]["terminated"]
    assert terminated["exitCode"] == exit_code
    assert terminated["reason"] == ("Completed" if exit_code == 0 else "Error")
    assert container_status(completed, name)["restartCount"] == 0
    assert logs(completed, name).splitlines() == lines


def test_a_completed_pod_is_not_ready_with_reason_pod_completed_and_a_failed_one_with_pod_failed(completed):
    ready = condition(completed, "echo-exit0", "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")
    assert condition(completed, "echo-exit0", "ContainersReady")["reason"] == "PodCompleted"
    assert condition(completed, "echo-exit0", "Initialized")["reason"] == "PodCompleted"
    assert condition(completed, "exit1", "Ready")["reason"] == "PodFailed"
    # The sandbox of a finished pod is stopped, and the pod keeps the IP it had.
    assert condition(completed, "echo-exit0", "PodReadyToStartContainers")["status"] == "False"
    assert get_pod(completed, "echo-exit0")["status"]["podIP"].startswith("10.244.")


def test_kubectl_get_pods_shows_completed_and_error(completed):
    assert status_column(completed, "echo-exit0") == "Completed"
    assert status_column(completed, "exit1") == "Error"


def test_deleting_a_completed_pod_removes_it_at_once(completed):
    began = completed.now
    assert str(completed.kubectl.delete("pod", "echo-exit0")) == 'pod "echo-exit0" deleted\n'
    assert get_pod(completed, "echo-exit0") is None
    assert completed.now - began < 1


# -- restarts and back-off -------------------------------------------------------------------
def test_on_failure_restarts_a_failing_container_with_back_off_10_20_40_seconds():
    c = Cluster.up(nodes=1, seed=2)
    c.kubectl.apply(pod_manifest("crash", ["sh", "-c", "echo failing; exit 1"], "OnFailure"))
    c.run_until(lambda: get_pod(c, "crash") and get_pod(c, "crash")["status"].get("containerStatuses")
                and container_status(c, "crash")["restartCount"] >= 1, limit=30, step=0.5)
    uid = get_pod(c, "crash")["metadata"]["uid"]
    waiting = container_status(c, "crash")["state"]["waiting"]
    assert waiting == {"reason": "CrashLoopBackOff",
                       "message": f"back-off 10s restarting failed container=c pod=crash_default({uid})"}
    assert container_status(c, "crash")["lastState"]["terminated"]["exitCode"] == 1
    assert phase(c, "crash") == "Running"
    c.run_until(lambda: container_status(c, "crash")["restartCount"] >= 4, limit=120, step=0.5)
    starts = [parse_rfc3339(e["firstTimestamp"]) for e in events(c, "crash", "Started")]
    assert [b - a for a, b in zip(starts, starts[1:])] == [0, 10, 20, 40]
    backoffs = events(c, "crash", "BackOff")
    assert len(backoffs) == 4 and backoffs[0]["type"] == "Warning"
    assert backoffs[0]["message"] == f"Back-off restarting failed container c in pod crash_default({uid})"
    assert container_status(c, "crash")["state"]["waiting"]["message"].startswith("back-off 1m20s ")
    assert status_column(c, "crash") == "CrashLoopBackOff"
    assert logs(c, "crash", previous=True) == "failing\n"


def test_always_restarts_a_container_even_when_it_exits_0():
    c = Cluster.up(nodes=1, seed=3)
    c.kubectl.apply(pod_manifest("done", ["sh", "-c", "echo ok"], "Always"))
    c.run_until(lambda: get_pod(c, "done") and get_pod(c, "done")["status"].get("containerStatuses")
                and container_status(c, "done")["restartCount"] >= 2, limit=60, step=0.5)
    cs = container_status(c, "done")
    assert phase(c, "done") == "Running"
    assert cs["lastState"]["terminated"]["reason"] == "Completed"
    assert cs["lastState"]["terminated"]["exitCode"] == 0
    assert status_column(c, "done") == "CrashLoopBackOff"


def test_never_and_on_failure_do_not_restart_a_container_that_succeeded():
    c = Cluster.up(nodes=1, seed=4)
    c.kubectl.apply(pod_manifest("once", ["true"], "OnFailure"))
    c.run_until(lambda: phase(c, "once") == "Succeeded", limit=30, step=0.5)
    c.run(60)
    assert phase(c, "once") == "Succeeded"
    assert container_status(c, "once")["restartCount"] == 0


def test_the_back_off_resets_after_ten_minutes_of_running():
    c = Cluster.up(nodes=1, seed=5)
    c.kubectl.apply(pod_manifest("slow", ["sh", "-c", "sleep 610; exit 1"], "Always"))
    c.kubectl.apply(pod_manifest("fast", ["sh", "-c", "sleep 5; exit 1"], "Always"))
    c.run(1240)
    # "slow" ran more than 10 minutes each time: every restart is immediate, never CrashLoopBackOff.
    slow = container_status(c, "slow")
    assert slow["restartCount"] == 2 and "running" in slow["state"]
    assert not events(c, "slow", "BackOff")
    # "fast" crashes every 5 s: it backs off.
    assert events(c, "fast", "BackOff")


# -- what the kubelet sees, and what it costs ---------------------------------------------------
def test_an_exit_reaches_the_kubelet_by_the_cri_event_stream_not_by_polling():
    c = Cluster.up(nodes=1, seed=6)
    c.kubectl.apply(pod_manifest("short", ["sh", "-c", "sleep 3"]))
    c.run_until(lambda: phase(c, "short") == "Succeeded", limit=30, step=0.5)
    terminated = container_status(c, "short")["state"]["terminated"]
    stopped = [h for h in c.trace.hops if h.kind == "GetContainerEvents" and h.summary.startswith("CONTAINER_STOPPED")
               and h.dst == "kubelet/node-1"]
    assert stopped, "the runtime sends CONTAINER_STOPPED_EVENT on its GetContainerEvents stream"
    patches = [h for h in c.trace.hops if h.kind == "PATCH" and "/pods/short/status" in h.summary]
    caused = [p for p in patches if any(a.id == stopped[0].id for a in c.trace.ancestors(p.id))]
    assert caused, "the status patch that reports the exit descends from the event"
    assert caused[0].sent - stopped[0].sent < 0.05
    assert parse_rfc3339(terminated["finishedAt"]) - parse_rfc3339(terminated["startedAt"]) == 3


def test_an_idle_node_costs_no_cri_calls_per_second_only_the_300s_relist():
    c = Cluster.up(nodes=1, seed=7)
    c.kubectl.apply(pod_manifest("web", None, "Always", image="nginx:1.27"))
    c.run_until(lambda: phase(c, "web") == "Running", limit=30, step=0.5)
    c.run(5)
    start = len(c.trace.hops)
    c.run(600)
    cri = [h for h in c.trace.hops[start:] if h.src.startswith("kubelet/") and h.dst.startswith("containerd/")]
    assert {h.kind for h in cri} <= {"ListPodSandbox", "ListContainers"}
    assert len(cri) == 2 * 2 * 2               # two relists of two calls on each of the two nodes
    pod_writes = [h for h in c.trace.hops[start:] if h.src.startswith("kubelet/") and "/pods/" in h.summary]
    assert pod_writes == []


def test_deleting_a_running_sleep_takes_the_grace_period_because_pid_1_ignores_sigterm():
    c = Cluster.up(nodes=1, seed=8)
    c.kubectl.apply(pod_manifest("sleeper", ["sleep", "3600"], "Always"))
    c.kubectl.apply(pod_manifest("web", None, "Always", image="nginx:1.27"))
    c.run_until(lambda: phase(c, "sleeper") == "Running" and phase(c, "web") == "Running", limit=30, step=0.5)
    began = c.now
    c.kubectl.delete("pod", "web")
    assert c.now - began < 2                  # nginx exits on SIGTERM
    began = c.now
    c.kubectl.delete("pod", "sleeper")
    assert 30 <= c.now - began < 32           # sleep as PID 1 dies only of the SIGKILL after 30 s
    assert [e["message"] for e in events(c, "sleeper", "Killing")] == ["Stopping container c"]


def test_the_perl_pi_job_example_computes_for_seconds_and_prints_2000_digits():
    c = Cluster.up(nodes=1, seed=9)
    c.kubectl.apply(pod_manifest("pi", ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"], image="perl:5.34.0"))
    c.run_until(lambda: phase(c, "pi") == "Succeeded", limit=60, step=0.5)
    terminated = container_status(c, "pi")["state"]["terminated"]
    assert parse_rfc3339(terminated["finishedAt"]) - parse_rfc3339(terminated["startedAt"]) == 4
    digits = logs(c, "pi").strip()
    assert digits.startswith("3.14159265358979323846264338327950288419716939937510")
    assert len(digits) == 2001 and digits.endswith("58133904780275901")


def test_environment_and_kubernetes_variable_expansion_reach_the_command():
    c = Cluster.up(nodes=1, seed=10)
    c.kubectl.apply(pod_manifest("env", ["sh", "-c", "echo $(GREETING) $MY_POD '$$(KEEP)' ${MISSING:-default}"],
                                 env=[{"name": "GREETING", "value": "hello"},
                                      {"name": "MY_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]))
    c.run_until(lambda: phase(c, "env") == "Succeeded", limit=30, step=0.5)
    assert logs(c, "env") == "hello env $(KEEP) default\n"


def test_a_command_that_names_no_executable_fails_to_start_as_runc_reports_it():
    c = Cluster.up(nodes=1, seed=11)
    c.kubectl.apply(pod_manifest("noexec", ["nosuchbinary"], "Never"))
    c.run_until(lambda: phase(c, "noexec") == "Failed", limit=30, step=0.5)
    terminated = container_status(c, "noexec")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (128, "StartError")
    assert 'exec: "nosuchbinary": executable file not found in $PATH' in terminated["message"]
    assert status_column(c, "noexec") == "StartError"


def test_the_counter_pod_of_the_logging_docs_logs_once_a_second_from_the_virtual_clock():
    c = Cluster.up(nodes=1, seed=12)
    c.kubectl.apply(pod_manifest("counter", ["/bin/sh", "-c",
                                             'i=0; while true; do echo "$i: $(date)"; i=$((i+1)); sleep 1; done'],
                                 "Always"))
    c.run_until(lambda: phase(c, "counter") == "Running", limit=30, step=0.5)
    c.run(3)
    lines = logs(c, "counter").splitlines()
    first = int(lines[0].split()[4].split(":")[2])
    assert lines[:3] == [f"{i}: Mon Jan  1 00:00:{first + i:02d} UTC 2024" for i in range(3)]


def test_the_same_seed_gives_the_same_crash_loop():
    def run() -> list:
        c = Cluster.up(nodes=1, seed=13)
        c.kubectl.apply(pod_manifest("crash", ["sh", "-c", "echo x; exit 2"], "Always"))
        c.run(60)
        return [(round(h.sent, 6), h.src, h.dst, h.kind, h.summary) for h in c.trace.hops]
    assert run() == run()
