"""Leader election on a ``coordination.k8s.io`` Lease: at most one of several replicas acts.

Mirrors client-go v0.31 ``tools/leaderelection/leaderelection.go`` (LeaderElector:
``acquire`` retries ``tryAcquireOrRenew`` every RetryPeriod with JitterFactor 1.2;
``renew`` polls every RetryPeriod and gives up when a renewal has not succeeded
within RenewDeadline; a lease is judged expired by the *local* time at which this
elector last saw the record change (``observedTime``), never by the holder's
``renewTime``, so clocks need not agree; ``maybeReportTransition``; the events
"<identity> became leader" and "<identity> stopped leading") and
``tools/leaderelection/resourcelock/leaselock.go`` (the LeaderElectionRecord kept in
a Lease's spec; every update is an optimistic, resourceVersion-guarded PUT, so when
two electors race, the API server's 409 Conflict picks one).

Why it is safe (with the defaults 15 s / 10 s / 2 s): the leader stops acting at most
RetryPeriod + RenewDeadline = 12 s after its last successful renewal, while a
follower waits LeaseDuration = 15 s from the moment it saw that renewal before it
tries to take over (``NewLeaderElector`` insists LeaseDuration > RenewDeadline >
JitterFactor x RetryPeriod).

Simplified: no ReleaseOnCancel (a stopped elector leaves its lease to expire), no
coordinated leader election (LeaseCandidates), no MultiLock migration, no metrics;
``Run`` returns after leadership is lost, and the caller decides what a process exit
and restart means for it. Callbacks are plain calls, not goroutines.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from ..api import errors
from ..api.meta import rfc3339
from ..api.scheme import SCHEME
from ..sim import Cancelled, Kernel, Task, Timeout
from .events import EventRecorder
from .rest import Client

LEASES = SCHEME.by_resource("coordination.k8s.io", "leases")
JITTER_FACTOR = 1.2


def micro_time(seconds: float) -> str:
    """metav1.MicroTime: RFC 3339 with microseconds, as a Lease's acquireTime and renewTime."""
    return f"{rfc3339(seconds)[:-1]}.{int(round((seconds % 1) * 1e6)) % 1000000:06d}Z"


def jitter(duration: float, max_factor: float, rng) -> float:
    """wait.Jitter: a duration between ``duration`` and ``duration * (1 + max_factor)``."""
    if max_factor <= 0.0:
        max_factor = 1.0
    return duration + rng.random() * max_factor * duration


@dataclass(frozen=True)
class LeaderElectionRecord:
    """resourcelock.LeaderElectionRecord: what every lock type stores. Times as the Lease spells them."""
    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: str = ""
    renew_time: str = ""
    leader_transitions: int = 0


def lease_spec_to_record(spec: dict) -> LeaderElectionRecord:
    return LeaderElectionRecord(spec.get("holderIdentity") or "", spec.get("leaseDurationSeconds") or 0,
                                spec.get("acquireTime") or "", spec.get("renewTime") or "",
                                spec.get("leaseTransitions") or 0)


def record_to_lease_spec(record: LeaderElectionRecord) -> dict:
    return {"holderIdentity": record.holder_identity, "leaseDurationSeconds": record.lease_duration_seconds,
            "acquireTime": record.acquire_time, "renewTime": record.renew_time,
            "leaseTransitions": record.leader_transitions}


class LeaseLock:
    """resourcelock.LeaseLock: the record lives in ``<namespace>/<name>``; ``lease`` is the last copy
    read or written, whose resourceVersion guards the next update."""

    def __init__(self, client: Client, namespace: str, name: str, identity: str,
                 recorder: Optional[EventRecorder] = None):
        self.client, self.namespace, self.name, self.identity = client, namespace, name, identity
        self.recorder = recorder
        self.lease: Optional[dict] = None

    async def get(self) -> LeaderElectionRecord:
        self.lease = await self.client.get(LEASES, self.namespace, self.name)
        return lease_spec_to_record(self.lease.get("spec") or {})

    async def create(self, record: LeaderElectionRecord) -> None:
        self.lease = await self.client.create(LEASES, self.namespace, {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record_to_lease_spec(record)})

    async def update(self, record: LeaderElectionRecord) -> None:
        if self.lease is None:
            raise RuntimeError("lease not initialized, call get or create first")
        lease = copy.deepcopy(self.lease)
        lease["spec"] = record_to_lease_spec(record)
        self.lease = await self.client.update(LEASES, lease)

    def record_event(self, what: str) -> None:
        if self.recorder is None or self.lease is None:
            return
        subject = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": self.lease["metadata"]}
        self.recorder.event(subject, "Normal", "LeaderElection", f"{self.identity} {what}")

    def describe(self) -> str:
        return f"{self.namespace}/{self.name}"


class LeaderElector:
    """One candidate. ``run(owner)`` starts it; ``leading`` is true from OnStartedLeading until
    leadership is lost (or the task is cancelled: a crashed process believes nothing)."""

    def __init__(self, kernel: Kernel, client: Client, namespace: str, name: str, identity: str,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 on_started_leading: Optional[Callable[[], None]] = None,
                 on_stopped_leading: Optional[Callable[[], None]] = None,
                 on_new_leader: Optional[Callable[[str], None]] = None,
                 recorder: Optional[EventRecorder] = None):
        # NewLeaderElector's checks, with its messages.
        if lease_duration <= renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if renew_deadline <= JITTER_FACTOR * retry_period:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")
        if lease_duration < 1 or renew_deadline < 1 or retry_period < 1:
            raise ValueError("leaseDuration, renewDeadline and retryPeriod must be at least one second")
        if not identity:
            raise ValueError("Lock identity is empty")
        self.kernel = kernel
        self.lock = LeaseLock(client, namespace, name, identity, recorder)
        self.identity = identity
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.on_started_leading, self.on_stopped_leading = on_started_leading, on_stopped_leading
        self.on_new_leader = on_new_leader
        # observed_record is the last record read or written; observed_time is this elector's clock
        # when it last changed. The lease is valid until observed_time + its leaseDurationSeconds.
        self.observed_record = LeaderElectionRecord()
        self.observed_time = 0.0
        self.reported_leader = ""
        self.leading = False
        self.task: Optional[Task] = None
        self.log: list[tuple[float, str]] = []     # what klog would print, with virtual times

    # -- the public surface ----------------------------------------------------------
    def run(self, owner: Optional[str] = None) -> Task:
        self.task = self.kernel.spawn(self._run(), f"leaderelection {self.lock.describe()}", cause=None, owner=owner)
        return self.task

    def is_leader(self) -> bool:
        """IsLeader: the last observed record names this elector."""
        return self.observed_record.holder_identity == self.identity

    def get_leader(self) -> str:
        return self.observed_record.holder_identity

    def is_lease_valid(self, now: float) -> bool:
        return self.observed_time + self.observed_record.lease_duration_seconds > now

    # -- Run, acquire, renew ----------------------------------------------------------
    def _log(self, message: str) -> None:
        self.log.append((self.kernel.now, message))

    async def _run(self) -> None:
        try:
            await self._acquire()
            self.leading = True
            if self.on_started_leading is not None:
                self.on_started_leading()
            await self._renew()
        except Cancelled:
            self.leading = False          # a crash: no callback runs in a dead process
            raise
        self.leading = False
        if self.on_stopped_leading is not None:
            self.on_stopped_leading()

    async def _acquire(self) -> None:
        """wait.JitterUntil(tryAcquireOrRenew, RetryPeriod, JitterFactor, sliding) until it succeeds."""
        desc = self.lock.describe()
        self._log(f"attempting to acquire leader lease {desc}...")
        while True:
            succeeded = await self._try_acquire_or_renew()
            self._maybe_report_transition()
            if succeeded:
                self.lock.record_event("became leader")
                self._log(f"successfully acquired lease {desc}")
                return
            await self.kernel.sleep(jitter(self.retry_period, JITTER_FACTOR, self.kernel.rng))

    async def _renew(self) -> None:
        """wait.Until(poll renewals for at most RenewDeadline, RetryPeriod) until a poll fails."""
        desc = self.lock.describe()
        while True:
            renewed = await self._poll_renew()
            self._maybe_report_transition()
            if not renewed:
                self._log(f"failed to renew lease {desc}: context deadline exceeded")
                break
            await self.kernel.sleep(self.retry_period)
        self.lock.record_event("stopped leading")

    async def _poll_renew(self) -> bool:
        """wait.PollUntilContextTimeout(RetryPeriod, RenewDeadline, immediate): try now, then on every
        tick; an attempt still in flight at the deadline is abandoned (its context is cancelled)."""
        kernel = self.kernel
        deadline = kernel.now + self.renew_deadline
        while kernel.now < deadline:
            started = kernel.now
            try:
                if await kernel.timeout(self._try_acquire_or_renew(), deadline - started, "context deadline exceeded"):
                    return True
            except Timeout:
                return False
            await kernel.sleep(max(0.0, started + self.retry_period - kernel.now))
        return False

    async def _try_acquire_or_renew(self) -> bool:
        """tryAcquireOrRenew: True if this elector holds the lease afterwards."""
        kernel, lock = self.kernel, self.lock
        now = kernel.now
        stamp = micro_time(now)
        record = LeaderElectionRecord(self.identity, int(self.lease_duration), stamp, stamp, 0)

        # 1. Fast path: the leader updates optimistically, assuming its last record is current.
        if self.is_leader() and self.is_lease_valid(now):
            old = self.observed_record
            record = LeaderElectionRecord(self.identity, int(self.lease_duration), old.acquire_time, stamp,
                                          old.leader_transitions)
            try:
                await lock.update(record)
                self._set_observed_record(record)
                return True
            except errors.StatusError as error:
                self._log(f"Failed to update lock optimistically: {error}, falling back to slow path")

        # 2. Obtain or create the record.
        try:
            old = await lock.get()
        except errors.StatusError as error:
            if error.code != 404:
                self._log(f"error retrieving resource lock {lock.describe()}: {error}")
                return False
            try:
                await lock.create(record)
            except errors.StatusError as create_error:
                self._log(f"error initially creating leader election record: {create_error}")
                return False
            self._set_observed_record(record)
            return True

        # 3. Record obtained: has it changed since we last looked? Is it held and unexpired?
        if old != self.observed_record:
            self._set_observed_record(old)
        if old.holder_identity and self.is_lease_valid(now) and not self.is_leader():
            return False

        # 4. Take it (or keep it, through the slow path).
        if self.is_leader():
            record = LeaderElectionRecord(self.identity, int(self.lease_duration), old.acquire_time, stamp,
                                          old.leader_transitions)
        else:
            record = LeaderElectionRecord(self.identity, int(self.lease_duration), stamp, stamp,
                                          old.leader_transitions + 1)
        try:
            await lock.update(record)
        except errors.StatusError as error:
            self._log(f"Failed to update lock: {error}")
            return False
        self._set_observed_record(record)
        return True

    def _set_observed_record(self, record: LeaderElectionRecord) -> None:
        self.observed_record = record
        self.observed_time = self.kernel.now

    def _maybe_report_transition(self) -> None:
        if self.observed_record.holder_identity == self.reported_leader:
            return
        self.reported_leader = self.observed_record.holder_identity
        if self.reported_leader != self.identity:
            self._log(f"new leader elected: {self.reported_leader}")
        if self.on_new_leader is not None:
            self.on_new_leader(self.reported_leader)


# --leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period: the
# defaults of kube-controller-manager and kube-scheduler (LeaderElectionConfiguration).
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 15.0, 10.0, 2.0
RESTART_DELAY = 1.0     # from a process's exit to its kubelet starting the static pod's container again


class LeaderElected:
    """What kube-controller-manager and kube-scheduler do with ``--leader-elect`` (their ``Run`` in
    ``cmd/kube-controller-manager/app/controllermanager.go`` and ``cmd/kube-scheduler/app/server.go``):
    each process campaigns as ``<hostname>_<uuid>`` for a Lease in kube-system named after the
    component, acts only from OnStartedLeading, and on OnStoppedLeading logs "leaderelection lost"
    and exits; the kubelet then starts it again as a new process with a new identity.

    A mixin for a component with ``kernel``, ``network``, ``name``, ``host``, ``client``,
    ``crash()`` and ``restart()``. Simplified: the exit and restart are a crash and, one second
    later, a restart (without the kubelet's back-off)."""
    elector: Optional[LeaderElector] = None
    identity: str = ""

    def campaign(self, lease_name: str, on_started_leading: Callable[[], None]) -> LeaderElector:
        self.identity = f"{self.host}_{uuid.UUID(int=self.kernel.rng.getrandbits(128), version=4)}"
        elector_client = Client(self.kernel, self.network, self.name, self.client.user, self.client.groups,
                                timeout=RENEW_DEADLINE)
        self.elector = LeaderElector(self.kernel, elector_client, "kube-system", lease_name, self.identity,
                                     LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD,
                                     on_started_leading=on_started_leading,
                                     on_stopped_leading=self._leaderelection_lost,
                                     recorder=EventRecorder(self.kernel, self.client, lease_name))
        self.elector.run(owner=self.name)
        return self.elector

    @property
    def leading(self) -> bool:
        return self.elector.leading if self.elector is not None else True      # --leader-elect=false

    @property
    def log(self) -> list:
        """What klog printed about leadership, with virtual times (across restarts: the last process's)."""
        return self.elector.log if self.elector is not None else []

    def _leaderelection_lost(self) -> None:
        self.elector.log.append((self.kernel.now, "leaderelection lost"))
        self.kernel.spawn(self._exit_and_restart(), f"{self.name} restart", cause=None)

    async def _exit_and_restart(self) -> None:
        self.crash()
        await self.kernel.sleep(RESTART_DELAY)
        self.restart()

    def stop_leading(self) -> None:
        """A crashed process leads nothing from that instant (its elector's task is cancelled)."""
        if self.elector is not None:
            self.elector.leading = False
