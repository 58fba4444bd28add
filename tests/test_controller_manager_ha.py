"""Two kube-controller-managers on two control-plane hosts: the Lease lets exactly one act.

Upstream's HA guarantee, in virtual time: the standby builds no informers and runs no
controller; when the leader crashes or is cut off from the API server, the standby takes the
Lease once it has seen no renewal for the lease duration (15 s), and starts the controllers,
which recover their state from the API server (nothing duplicated, nothing lost).
"""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.client.leaderelection import JITTER_FACTOR, LEASE_DURATION, RETRY_PERIOD

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""


def running(c: Cluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in c.objects("pods", "default")
                  if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def holder(c: Cluster) -> str:
    lease = next(o for o in c.objects("leases", "kube-system") if o["metadata"]["name"] == "kube-controller-manager")
    return lease["spec"]["holderIdentity"]


def sample(c: Cluster, managers, seconds: float, step: float = 0.25) -> list[int]:
    """How many managers run controllers, at every step."""
    counts = []
    for _ in range(int(seconds / step)):
        c.run(step)
        counts.append(sum(1 for m in managers if m.leading))
    return counts


@pytest.fixture
def ha():
    c = Cluster.up(nodes=2, seed=3)
    second = c.add_controller_manager("kube-controller-manager-2", "control-plane-2")
    c.kubectl.apply(DEPLOYMENT % 3)
    c.run_until(lambda: len(running(c)) == 3, limit=60, step=0.5)
    return c, c.controller_manager, second


def test_only_the_lease_holder_runs_controllers(ha):
    c, first, second = ha
    assert max(sample(c, (first, second), 60)) == 1
    assert first.leading and not second.leading
    assert second.controllers == {} and second.factory is None, "the standby builds no informers"
    assert holder(c) == first.identity and first.identity.startswith("control-plane_")
    assert second.identity.startswith("control-plane-2_")


def test_the_standby_takes_over_within_the_lease_duration_after_the_leader_crashes(ha):
    c, first, second = ha
    c.run(20)
    renewed = first.elector.observed_time      # the leader's last successful renewal
    c.crash("kube-controller-manager")
    took_over = None
    while took_over is None:
        c.run(0.1)
        if second.leading:
            took_over = c.now
        assert c.now - renewed < 60, "the standby never took over"
    # It waits out the lease as it last saw it change, then at most one retry period (with jitter).
    assert LEASE_DURATION <= took_over - renewed <= LEASE_DURATION + 2 * RETRY_PERIOD * (1 + JITTER_FACTOR) + 1
    assert holder(c) == second.identity
    # The new leader's controllers act on what the old one left: scaling up creates just the missing pods.
    c.kubectl("scale deployment web --replicas=5")
    c.run_until(lambda: len(running(c)) == 5, limit=60, step=0.5)
    c.run(20)
    assert len(c.objects("pods", "default")) == 5 and len(c.objects("replicasets", "default")) == 1
    # The crashed process comes back as a new identity and stands by.
    c.restart("kube-controller-manager")
    assert max(sample(c, (first, second), 40)) == 1 and second.leading and not first.leading


def test_a_leader_cut_off_from_the_api_server_stops_before_the_standby_starts(ha):
    c, first, second = ha
    c.run(10)
    started: dict = {}
    stopped: dict = {}
    c.partition(["kube-controller-manager"], ["kube-apiserver"])
    for _ in range(int(60 / 0.1)):
        c.run(0.1)
        if not first.leading and "first" not in stopped:
            stopped["first"] = c.now
        if second.leading and "second" not in started:
            started["second"] = c.now
        assert not (first.leading and second.leading), f"two leaders at {c.now}"
    assert stopped["first"] < started["second"]
    assert any(message == "leaderelection lost" for _, message in first.log)
    c.heal()
    c.run(30)
    assert second.leading and not first.leading and holder(c) == second.identity


def test_no_pod_is_duplicated_or_lost_across_repeated_failovers(ha):
    c, first, second = ha
    for replicas, victim in ((6, "kube-controller-manager"), (2, "kube-controller-manager-2"),
                             (4, "kube-controller-manager")):
        c.kubectl(f"scale deployment web --replicas={replicas}")
        c.run(0.5)
        c.crash(victim)
        c.run(5)
        c.restart(victim)
        c.run_until(lambda: len(running(c)) == replicas and len(c.objects("pods", "default")) == replicas,
                    limit=120, step=0.5)
    c.run(30)
    assert len(running(c)) == 4 and len(c.objects("pods", "default")) == 4
    assert sum(1 for m in (first, second) if m.leading) == 1


def test_two_schedulers_one_lease_one_schedules():
    c = Cluster.up(nodes=2, seed=4)
    standby = c.add_scheduler("kube-scheduler-2", "control-plane-2")
    c.kubectl.apply(DEPLOYMENT % 2)
    c.run_until(lambda: len(running(c)) == 2, limit=60, step=0.5)
    assert c.scheduler.leading and not standby.leading
    assert standby.scheduled == 0 and c.scheduler.scheduled == 2
    assert len(standby.nodes) == 3, "the standby's informers keep its cache warm"
    c.crash("kube-scheduler")
    c.kubectl("scale deployment web --replicas=4")
    c.run_until(lambda: len(running(c)) == 4, limit=60, step=0.5)
    assert standby.leading and standby.scheduled == 2
    lease = next(o for o in c.objects("leases", "kube-system") if o["metadata"]["name"] == "kube-scheduler")
    assert lease["spec"]["holderIdentity"] == standby.identity and lease["spec"]["leaseTransitions"] == 1
