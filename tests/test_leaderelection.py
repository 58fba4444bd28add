"""Leader election on a Lease (client-go tools/leaderelection), against a real API server in virtual time."""
from __future__ import annotations

import json
from typing import Optional

import pytest

from k8slite import Cluster
from k8slite.api.meta import parse_rfc3339
from k8slite.client.events import EventRecorder
from k8slite.client.leaderelection import JITTER_FACTOR, LeaderElector, micro_time
from k8slite.client.rest import Client

LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 15.0, 10.0, 2.0


def control_plane(seed: int) -> Cluster:
    cluster = Cluster(seed=seed)
    cluster.add_etcd()
    cluster.add_apiserver()
    cluster.run(seconds=1)
    return cluster


class Candidate:
    """One kube-controller-manager process on its own host: an elector and a record of when it led.
    With ``restart``, losing leadership ends the process and a new one starts and runs for election
    (the kubelet restarting the static pod), as upstream's ``klog.Fatalf("leaderelection lost")`` does."""

    def __init__(self, cluster: Cluster, index: int, intervals: list, restart: bool = False):
        self.cluster, self.index, self.intervals, self.restart = cluster, index, intervals, restart
        self.endpoint = f"kube-controller-manager-{index}"
        self.host = f"master-{index}"
        self.client = Client(cluster.kernel, cluster.network, self.endpoint, "system:kube-controller-manager",
                             timeout=RENEW_DEADLINE)
        cluster.network.listen(self.endpoint, self.host, self.client.on_message)
        self.recorder = EventRecorder(cluster.kernel, self.client, "kube-controller-manager", self.host)
        self.generation = 0
        self.elector = None
        self.start()

    def start(self) -> None:
        self.generation += 1
        identity = f"{self.host}_{self.generation}"
        self.elector = LeaderElector(self.cluster.kernel, self.client, "kube-system", "kube-controller-manager",
                                     identity, LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD,
                                     on_started_leading=self._started, on_stopped_leading=self._stopped,
                                     recorder=self.recorder)
        self.elector.run(owner=self.endpoint)

    def _started(self) -> None:
        self.intervals.append([self.elector.identity, self.cluster.now, None])

    def _stopped(self) -> None:
        self._close()
        if self.restart:
            self.cluster.kernel.call_later(1.0, lambda _: self.start())

    def _close(self) -> None:
        for interval in self.intervals:
            if interval[0] == self.elector.identity and interval[2] is None:
                interval[2] = self.cluster.now

    def crash(self) -> None:
        self.cluster.kernel.cancel_owned(self.endpoint)
        self.cluster.network.down(self.endpoint)
        self._close()

    @property
    def leading(self) -> bool:
        return self.elector.leading and not self.elector.task.done()


def lease(cluster: Cluster) -> Optional[dict]:
    """The Lease as etcd holds it now (not through the API server's watch cache, which a lossy
    network can leave a moment behind)."""
    kv = cluster.etcd.store.get("/registry/leases/kube-system/kube-controller-manager")
    return json.loads(kv.value) if kv is not None else None


def leaders_sampled(cluster: Cluster, candidates: list, seconds: float, step: float = 0.05) -> list[int]:
    """Run ``seconds``, counting at every ``step`` how many believe they lead while the Lease names them
    and has not expired by its own renewTime."""
    counts = []
    for _ in range(int(round(seconds / step))):
        cluster.run(seconds=step)
        spec = (lease(cluster) or {}).get("spec") or {}
        unexpired = spec and parse_rfc3339(spec["renewTime"]) + spec["leaseDurationSeconds"] > cluster.now
        counts.append(sum(1 for c in candidates if c.leading))
        believers = [c for c in candidates if c.leading]
        for c in believers:       # whoever believes it leads holds the Lease, unexpired
            assert unexpired and spec["holderIdentity"] == c.elector.identity, (cluster.now, spec)
    return counts


def assert_no_overlap(intervals: list) -> None:
    closed = sorted((start, end if end is not None else float("inf"), who) for who, start, end in intervals)
    for (s1, e1, w1), (s2, e2, w2) in zip(closed, closed[1:]):
        assert e1 <= s2, f"{w1} led [{s1}, {e1}) and {w2} led from {s2}"


@pytest.mark.parametrize("kwargs, message", [
    ({"lease_duration": 10, "renew_deadline": 10}, "leaseDuration must be greater than renewDeadline"),
    ({"renew_deadline": 2.3, "retry_period": 2}, "renewDeadline must be greater than retryPeriod*JitterFactor"),
    ({"identity": ""}, "Lock identity is empty"),
], ids=["a lease no longer than the renew deadline is refused",
        "a renew deadline within one jittered retry is refused",
        "an elector needs an identity"])
def test_new_leader_elector_refuses_unsafe_timings_with_upstreams_messages(kwargs, message):
    args = {"identity": "a", **kwargs}
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        LeaderElector(None, None, "kube-system", "x", **args)


def test_micro_time_spells_the_leases_timestamps_with_microseconds():
    assert micro_time(7.25) == "2024-01-01T00:00:07.250000Z"
    assert micro_time(0) == "2024-01-01T00:00:00.000000Z"


def test_the_first_candidate_creates_the_lease_with_the_record_upstream_writes_and_says_it_became_leader():
    cluster = control_plane(seed=1)
    intervals: list = []
    first = Candidate(cluster, 1, intervals)
    cluster.run(seconds=1)
    spec = lease(cluster)["spec"]
    assert spec["holderIdentity"] == "master-1_1"
    assert spec["leaseDurationSeconds"] == 15 and spec["leaseTransitions"] == 0
    acquired = spec["acquireTime"]
    assert acquired <= spec["renewTime"], "renew's first poll is immediate: it may already have renewed"
    assert first.leading and intervals[0][0] == "master-1_1"
    events = [e for e in cluster.objects("events", "kube-system") if e["reason"] == "LeaderElection"]
    assert [(e["message"], e["involvedObject"]["kind"], e["involvedObject"]["name"], e["source"]["component"])
            for e in events] == [("master-1_1 became leader", "Lease", "kube-controller-manager",
                                  "kube-controller-manager")]
    first_renewal = spec["renewTime"]
    cluster.run(seconds=10)
    spec = lease(cluster)["spec"]
    assert spec["renewTime"] > first_renewal and spec["acquireTime"] == acquired, \
        "the holder renews every retry period and keeps its acquireTime"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_candidates_over_ten_minutes_exactly_one_leads_at_every_instant(seed):
    cluster = control_plane(seed)
    intervals: list = []
    candidates = [Candidate(cluster, 1, intervals), Candidate(cluster, 2, intervals)]
    counts = leaders_sampled(cluster, candidates, 600)
    assert counts[20:] == [1] * len(counts[20:]), "after the first second, always exactly one leader"
    assert len(intervals) == 1 and intervals[0][2] is None, "a healthy leader is never displaced"
    assert lease(cluster)["spec"]["leaseTransitions"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_crash_the_leader_and_the_other_takes_over_once_the_lease_has_expired_in_its_eyes(seed):
    cluster = control_plane(seed)
    intervals: list = []
    candidates = [Candidate(cluster, 1, intervals), Candidate(cluster, 2, intervals)]
    cluster.run(seconds=30 + seed)
    leader = next(c for c in candidates if c.leading)
    other = next(c for c in candidates if c is not leader)
    last_renewal = parse_rfc3339(lease(cluster)["spec"]["renewTime"])
    crashed_at = cluster.now
    leader.crash()
    counts = leaders_sampled(cluster, candidates, 40)
    assert max(counts) == 1
    took_over = intervals[-1][1]
    assert intervals[-1][0] == other.elector.identity
    # Safety: not before the lease, as the follower saw it renewed, had run out.
    assert took_over >= last_renewal + LEASE_DURATION
    # Liveness: the follower saw that renewal within one jittered retry, waited the lease out, and
    # tried again within one more.
    assert took_over - crashed_at <= LEASE_DURATION + 2 * RETRY_PERIOD * (1 + JITTER_FACTOR)
    spec = lease(cluster)["spec"]
    assert spec["holderIdentity"] == other.elector.identity and spec["leaseTransitions"] == 1
    assert last_renewal < parse_rfc3339(spec["acquireTime"]) <= took_over
    assert_no_overlap(intervals)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_partitioned_leader_stops_within_its_renew_deadline_before_the_other_takes_over(seed):
    cluster = control_plane(seed)
    intervals: list = []
    candidates = [Candidate(cluster, 1, intervals), Candidate(cluster, 2, intervals)]
    cluster.run(seconds=30 + seed * 0.7)
    leader = next(c for c in candidates if c.leading)
    other = next(c for c in candidates if c is not leader)
    last_renewal = leader.elector.observed_time          # its last successful renewal, on its own clock
    partitioned_at = cluster.now
    cluster.partition([leader.endpoint], ["kube-apiserver"])
    counts = leaders_sampled(cluster, candidates, 40)
    assert max(counts) == 1, "never two leaders at one instant"
    (old, started, stopped), (new, took_over, _) = intervals
    assert old == leader.elector.identity and new == other.elector.identity
    assert stopped - last_renewal <= RETRY_PERIOD + RENEW_DEADLINE + 1e-9
    assert stopped - partitioned_at <= RETRY_PERIOD + RENEW_DEADLINE
    assert took_over - last_renewal >= LEASE_DURATION > stopped - last_renewal
    assert took_over - partitioned_at <= LEASE_DURATION + 2 * RETRY_PERIOD * (1 + JITTER_FACTOR)
    assert any("failed to renew lease kube-system/kube-controller-manager: context deadline exceeded" in m
               for _, m in leader.elector.log)
    assert_no_overlap(intervals)


def test_on_a_lossy_network_three_restarting_candidates_never_lead_together():
    cluster = control_plane(seed=11)
    cluster.network.loss = 0.3
    intervals: list = []
    candidates = [Candidate(cluster, i, intervals, restart=True) for i in (1, 2, 3)]
    counts = leaders_sampled(cluster, candidates, 900, step=0.1)
    assert max(counts) == 1
    assert len(intervals) > 2, "with 30% loss, leadership changes hands (the test exercises takeovers)"
    assert_no_overlap(intervals)
    # Every new leader bumped leaseTransitions; so did any whose winning update's reply was lost
    # (it held the Lease without knowing, and never led).
    assert lease(cluster)["spec"]["leaseTransitions"] >= len(intervals) - 1


def test_on_new_leader_reports_each_change_of_holder_once():
    cluster = control_plane(seed=5)
    seen: list = []
    intervals: list = []
    first = Candidate(cluster, 1, intervals)
    cluster.run(seconds=3)
    second = Candidate(cluster, 2, intervals)
    second.elector.on_new_leader = seen.append
    cluster.run(seconds=10)
    first.crash()
    cluster.run(seconds=30)
    assert seen == ["master-1_1", "master-2_1"]
