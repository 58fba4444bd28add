"""The simulated network: named endpoints on hosts, latency, loss, partitions, crashes.

Mirrors no Kubernetes source; it stands in for TCP between components (and the unix
socket between the kubelet and its container runtime). Every message is a hop in the
trace. A request is a message whose handler later answers with ``reply``; the answer
is a hop too, caused by the request. A lost message simply never arrives: the
caller's timeout fires, as with a real dropped connection.

Messages from one endpoint to another arrive in the order they were sent, as on
one HTTP/2 connection (client-go multiplexes every request and watch on one).

Simplified: no bandwidth or congestion; a message lost to a partition is gone, not
retransmitted after the partition heals (TCP would retry until its own timeout).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple, Optional

from .kernel import Future, Kernel, Timeout
from .trace import Trace


class Message(NamedTuple):
    hop: Optional[int]     # the hop id of this message (None when tracing is off)
    src: str
    dst: str
    kind: str
    body: Any
    request_id: int = 0    # non-zero: the sender awaits a reply


class Unreachable(Timeout):
    """A request got no answer in time (lost, partitioned, or the peer is down)."""


class Refused(Unreachable):
    """The peer's host answered that nothing listens there (its process is down): the request was not delivered."""


class Endpoint:
    __slots__ = ("name", "host", "handler", "up")

    def __init__(self, name: str, host: str, handler: Callable[[Message], None]):
        self.name, self.host, self.handler, self.up = name, host, handler, True


class Network:
    """Endpoints by name. ``latency`` is the uniform range between hosts, in seconds."""

    def __init__(self, kernel: Kernel, trace: Trace, latency: tuple = (0.0005, 0.0015), local_latency: float = 0.0001):
        self.kernel = kernel
        self.trace = trace
        self.latency = latency
        self.local_latency = local_latency
        self.loss = 0.0
        self.endpoints: dict[str, Endpoint] = {}
        self._partitions: list[tuple[frozenset, frozenset]] = []
        self._pending: dict[int, tuple[Future, Any]] = {}   # request id -> (reply future, timeout handle)
        self._next_request = 0
        self._last: dict[tuple, float] = {}   # (src, dst) -> latest delivery time: one ordered connection per pair
        self.messages = 0

    # -- membership and faults --------------------------------------------------
    def listen(self, name: str, host: str, handler: Callable[[Message], None]) -> Endpoint:
        endpoint = Endpoint(name, host, handler)
        self.endpoints[name] = endpoint
        return endpoint

    def down(self, name: str) -> None:
        self.endpoints[name].up = False

    def up(self, name: str, handler: Optional[Callable[[Message], None]] = None) -> None:
        endpoint = self.endpoints[name]
        endpoint.up = True
        if handler is not None:
            endpoint.handler = handler

    def partition(self, side_a: Iterable[str], side_b: Iterable[str]) -> None:
        """Drop every message between the two sides (names of hosts or endpoints)."""
        self._partitions.append((frozenset(side_a), frozenset(side_b)))

    def heal(self) -> None:
        self._partitions.clear()

    def _blocked(self, src: Endpoint, dst: Endpoint) -> bool:
        for a, b in self._partitions:
            src_a = src.name in a or src.host in a
            src_b = src.name in b or src.host in b
            dst_a = dst.name in a or dst.host in a
            dst_b = dst.name in b or dst.host in b
            if (src_a and dst_b) or (src_b and dst_a):
                return True
        return False

    # -- sending ---------------------------------------------------------------
    def send(self, src: str, dst: str, kind: str, summary: str, body: Any = None,
             cause: Any = -1, request_id: int = 0) -> Optional[int]:
        """Send a one-way message. Returns its hop id."""
        kernel = self.kernel
        if cause == -1:
            cause = kernel.current.cause if kernel.current is not None else None
        hop = self.trace.record(cause, src, dst, kind, summary, kernel.now)
        hop_id = hop.id if hop is not None else None
        self.messages += 1
        source = self.endpoints[src]
        target = self.endpoints.get(dst)
        why = None
        if target is None:
            why = "no such endpoint"
        elif not source.up:
            why = "sender down"
        elif self._partitions and self._blocked(source, target):
            why = "partitioned"
        elif self.loss and kernel.rng.random() < self.loss:
            why = "lost"
        if why is not None:
            if hop is not None:
                hop.status = why
            return hop_id
        if source.host == target.host:
            delay = self.local_latency
        else:
            lo, hi = self.latency
            delay = lo + (hi - lo) * kernel.rng.random()
        pair = (src, dst)
        at = kernel.now + delay
        last = self._last.get(pair, 0.0)
        if at < last:                  # a connection delivers in order: never overtake
            at, delay = last, last - kernel.now
        self._last[pair] = at
        kernel._at(delay, self._deliver, (hop, Message(hop_id, src, dst, kind, body, request_id)))
        return hop_id

    def _deliver(self, item) -> None:
        hop, msg = item
        target = self.endpoints[msg.dst]
        if not target.up or (self._partitions and self._blocked(self.endpoints[msg.src], target)):
            if hop is not None:
                hop.status = "peer down" if not target.up else "partitioned"
            if not target.up and msg.request_id and msg.kind != "reply":
                self.kernel._at(self.local_latency, self._refuse, (msg.request_id, msg.dst, msg.kind))
            return
        if hop is not None:
            hop.received = self.kernel.now
            hop.status = "delivered"
            hop.revision = self.trace.revision()
        if msg.kind == "reply":
            pending = self._pending.pop(msg.request_id, None)
            if pending is not None:
                fut, timer = pending
                timer.cancel()
                fut.set_result(msg.body)
            return
        target.handler(msg)

    def request(self, src: str, dst: str, kind: str, summary: str, body: Any = None,
                timeout: float = 10.0, cause: Any = -1) -> Future:
        """Send a request; the future resolves to the reply body or fails with ``Unreachable``."""
        self._next_request += 1
        request_id = self._next_request
        fut = Future(self.kernel)
        timer = self.kernel.call_later(timeout, self._expire, (request_id, dst, kind))
        self._pending[request_id] = (fut, timer)
        self.send(src, dst, kind, summary, body, cause, request_id)
        return fut

    def _expire(self, item) -> None:
        request_id, dst, kind = item
        pending = self._pending.pop(request_id, None)
        if pending is not None:
            pending[0].set_exception(Unreachable(f"{kind} to {dst}: no reply (timeout)"))

    def _refuse(self, item) -> None:
        """A down process's host resets the connection: the caller learns it at once, not at its timeout."""
        request_id, dst, kind = item
        pending = self._pending.pop(request_id, None)
        if pending is not None:
            pending[1].cancel()
            pending[0].set_exception(Refused(f"{kind} to {dst}: connection refused"))

    def reply(self, msg: Message, body: Any, summary: str) -> None:
        """Answer a request; the reply is a hop caused by the request's hop."""
        if msg.request_id:
            self.send(msg.dst, msg.src, "reply", summary, body, msg.hop, msg.request_id)
