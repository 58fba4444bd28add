"""The HorizontalPodAutoscaler: the replica calculator against upstream's table cases, the
normalisation rules, and the whole loop (metrics-server, the API server's aggregation, the
controller) on a running cluster."""
from __future__ import annotations

import pytest

from k8slite.api.meta import rfc3339
from k8slite.controllers.podautoscaler import MetricsError, resource_replicas

NOW = 10_000.0
LONG_AGO = rfc3339(NOW - 3600)


def pod(name: str, request: str = "1", ready: bool = True, phase: str = "Running", started: str = LONG_AGO,
        transition: str = LONG_AGO) -> dict:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": request}}}]},
            "status": {"phase": phase, "startTime": started,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "lastTransitionTime": transition}]}}


def metrics(usages: dict) -> dict:
    return {name: (milli, NOW - 5, 60.0) for name, milli in usages.items()}


# Cases from pkg/controller/podautoscaler/replica_calculator_test.go (facts, in our words):
# (current replicas, pods, usage in millicores by pod, target %) -> (replicas, utilization %).
CASES = {
    "scale up": (3, [pod("a"), pod("b"), pod("c")], {"a": 300, "b": 500, "c": 700}, 30, (5, 50)),
    "scale down": (5, [pod(n) for n in "abcde"], {"a": 100, "b": 300, "c": 500, "d": 250, "e": 250}, 50, (3, 28)),
    "an unready pod counts as idle on a scale-up": (
        3, [pod("a", ready=False), pod("b"), pod("c")], {"a": 300, "b": 500, "c": 700}, 30, (4, 60)),
    "inside the tolerance nothing changes": (
        3, [pod("a", "900m"), pod("b", "1"), pod("c", "1100m")], {"a": 1010, "b": 1030, "c": 1020}, 100, (3, 102)),
    "a missing pod at 0% would reverse a scale-up: no change": (
        2, [pod("a"), pod("b")], {"a": 1900}, 100, (2, 190)),
    "a missing pod counts as 100% on a scale-down": (
        4, [pod(n) for n in "abcd"], {"a": 100, "b": 100, "c": 100}, 50, (3, 10)),
    "a pending pod is ignored": (
        2, [pod("a"), pod("b", phase="Pending")], {"a": 1500}, 50, (3, 150)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_replica_calculator_matches_upstreams_cases(case):
    current, pods, usage, target, expected = CASES[case]
    replicas, utilization, _ = resource_replicas(current, target, "cpu", pods, metrics(usage), NOW)
    assert (replicas, utilization) == expected


def test_a_pod_still_starting_is_ignored_until_a_full_window_after_it_became_ready():
    starting = pod("b", started=rfc3339(NOW - 60), transition=rfc3339(NOW - 30))
    # Its sample (taken 5 s ago over 60 s) began before it was ready: ignored. The ready pod's 90% of
    # a 50% target would scale up, but with the ignored pod counted as idle the ratio falls below 1,
    # which would reverse the direction: the count stays at 2.
    replicas, utilization, _ = resource_replicas(2, 50, "cpu", [pod("a"), starting], metrics({"a": 900, "b": 900}),
                                                 NOW)
    assert (replicas, utilization) == (2, 90)


def test_errors_say_what_is_missing():
    with pytest.raises(MetricsError, match="no pods returned by selector while calculating replica count"):
        resource_replicas(1, 50, "cpu", [], {}, NOW)
    with pytest.raises(MetricsError, match="did not receive metrics for any ready pods"):
        resource_replicas(1, 50, "cpu", [pod("a", phase="Pending")], metrics({"a": 100}), NOW)
    no_request = pod("a")
    no_request["spec"]["containers"][0]["resources"] = {}
    with pytest.raises(MetricsError, match="missing request for cpu in container c of Pod a"):
        resource_replicas(1, 50, "cpu", [no_request], metrics({"a": 100}), NOW)


# -- the whole loop, as the Kubernetes HPA walkthrough runs it ----------------------------------
PHP_APACHE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache}
spec:
  selector: {matchLabels: {run: php-apache}}
  template:
    metadata: {labels: {run: php-apache}}
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 500m}, requests: {cpu: 200m}}
---
apiVersion: v1
kind: Service
metadata: {name: php-apache, labels: {run: php-apache}}
spec:
  ports: [{port: 80}]
  selector: {run: php-apache}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: php-apache}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: php-apache}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
"""
LOAD_GENERATOR = """
apiVersion: v1
kind: Pod
metadata: {name: load-generator}
spec:
  restartPolicy: Never
  containers:
  - name: load-generator
    image: busybox:1.28
    command: ["/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]
"""


def replicas(c) -> int:
    return next(d for d in c.objects("deployments", "default") if d["metadata"]["name"] == "php-apache")["spec"]["replicas"]


def hpa_status(c) -> dict:
    return next(h for h in c.objects("horizontalpodautoscalers", "default"))["status"]


@pytest.fixture(scope="module")
def walkthrough():
    from k8slite import Cluster
    c = Cluster.up(nodes=3, seed=7)
    c.add_metrics_server()
    c.kubectl.apply(PHP_APACHE)
    c.run(90)
    return c


def test_idle_the_hpa_reads_zero_percent_and_keeps_one_replica(walkthrough):
    c = walkthrough
    status = hpa_status(c)
    assert replicas(c) == 1 and status["currentReplicas"] == 1
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 0
    # 0% asks for 0 pods; for its first 5 minutes the HPA's initial recommendation (1) still holds.
    assert {x["type"]: x["reason"] for x in status["conditions"]} == {
        "AbleToScale": "ScaleDownStabilized", "ScalingActive": "ValidMetricFound",
        "ScalingLimited": "DesiredWithinRange"}
    assert str(c.kubectl("get hpa")).splitlines()[1].split()[:7] == \
        ["php-apache", "Deployment/php-apache", "cpu:", "0%/50%", "1", "10", "1"]


def test_load_scales_it_up_and_the_stabilization_window_holds_the_scale_down(walkthrough):
    c = walkthrough
    c.kubectl.apply(LOAD_GENERATOR)
    c.run_until(lambda: replicas(c) > 1, limit=120, step=1)
    first = next(e for e in c.objects("events", "default") if e["reason"] == "SuccessfulRescale")
    assert first["message"].startswith("New size: ")
    assert first["message"].endswith("; reason: cpu resource utilization (percentage of request) above target")
    assert first["source"]["component"] == "horizontal-pod-autoscaler"
    c.run(240)
    peak = replicas(c)
    assert 4 <= peak <= 10, peak
    utilization = hpa_status(c)["currentMetrics"][0]["resource"]["current"]["averageUtilization"]
    assert 30 <= utilization <= 70, utilization       # settled around the 50% target
    # Stop the load: usage falls at once, but the scale-down waits out the 5-minute window.
    c.kubectl("delete pod load-generator --wait=false")
    stopped = c.now
    c.run_until(lambda: hpa_status(c)["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 0,
                limit=90, step=1)
    assert replicas(c) == peak
    assert hpa_status(c)["conditions"][0]["reason"] == "ScaleDownStabilized"
    c.run_until(lambda: replicas(c) == 1, limit=600, step=5)
    assert c.now - stopped >= 300, "not before the downscale stabilization window has passed"


def test_without_metrics_server_the_hpa_says_why():
    from k8slite import Cluster
    c = Cluster.up(nodes=1, seed=8)
    c.kubectl.apply(PHP_APACHE)
    c.run(60)
    status = hpa_status(c)
    active = next(x for x in status["conditions"] if x["type"] == "ScalingActive")
    assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")
    assert active["message"] == ("the HPA was unable to compute the replica count: unable to get metrics for "
                                 "resource cpu: unable to fetch metrics from resource metrics API: the server "
                                 "could not find the requested resource")
    reasons = {e["reason"] for e in c.objects("events", "default") if e["involvedObject"]["kind"] ==
               "HorizontalPodAutoscaler"}
    assert {"FailedGetResourceMetric", "FailedComputeMetricsReplicas"} <= reasons


def test_metrics_server_serves_pod_metrics_through_the_aggregator_and_a_dead_one_is_a_503(walkthrough):
    c = walkthrough
    body = c.kernel.run_until_complete(c.admin.request("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods",
                                                       (("labelSelector", "run=php-apache"),)))
    assert body["kind"] == "PodMetricsList" and body["items"]
    item = body["items"][0]
    assert 15 <= float(item["window"].rstrip("s")) < 16 and item["containers"][0]["name"] == "php-apache"
    assert item["containers"][0]["usage"]["cpu"].endswith("n") and item["containers"][0]["usage"]["memory"].endswith("Ki")
    c.crash("metrics-server")
    from k8slite.api import errors
    with pytest.raises(errors.StatusError) as caught:
        c.kernel.run_until_complete(c.admin.request("GET", "/apis/metrics.k8s.io/v1beta1/nodes"))
    assert caught.value.code == 503 and caught.value.status["reason"] == "ServiceUnavailable"
