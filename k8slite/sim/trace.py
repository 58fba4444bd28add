"""The trace: every message between components, recorded as a hop with its cause.

Mirrors no Kubernetes source; it is what makes the book's pictures possible. A hop's
``cause`` is the hop whose handling sent it, so the causal tree of one request (say
``kubectl apply``) can be pulled out and drawn, through watch events and workqueues.

Invariants: hop ids are dense, starting at 1, in send order; ``children[h]`` lists the
ids caused by hop ``h`` in send order; a hop's ``received`` is None until delivered,
and stays None if the message was lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional


@dataclass(slots=True)
class Hop:
    id: int
    cause: Optional[int]
    src: str
    dst: str
    kind: str                 # e.g. "POST", "WATCH", "RunPodSandbox", "reply"
    summary: str              # one line, e.g. "POST /apis/apps/v1/namespaces/default/deployments"
    sent: float
    received: Optional[float] = None
    status: str = "in flight"  # "delivered", or why it was lost ("partitioned", ...)
    revision: int = 0          # the store's revision when delivered (for replays)

    def line(self) -> str:
        arrow = f"{self.sent:9.4f}s  {self.src} -> {self.dst}"
        tail = "" if self.status == "delivered" else f"  [{self.status}]"
        return f"{arrow}  {self.summary}{tail}"


class Trace:
    """An append-only list of hops with a children index."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.hops: list[Hop] = []
        self.children: dict[int, list[int]] = {}
        self.revision = lambda: 0   # set by the cluster so hops can be replayed against the store

    def __len__(self) -> int:
        return len(self.hops)

    def __iter__(self) -> Iterator[Hop]:
        return iter(self.hops)

    def __getitem__(self, hop_id: int) -> Hop:
        return self.hops[hop_id - 1]

    def record(self, cause: Optional[int], src: str, dst: str, kind: str, summary: str, sent: float) -> Optional[Hop]:
        if not self.enabled:
            return None
        hop = Hop(len(self.hops) + 1, cause, src, dst, kind, summary, sent)
        self.hops.append(hop)
        if cause is not None:
            kids = self.children.get(cause)
            if kids is None:
                self.children[cause] = [hop.id]
            else:
                kids.append(hop.id)
        return hop

    def tree(self, root: int) -> list[Hop]:
        """The hop ``root`` and everything it caused, in send order."""
        out, stack = [], [root]
        while stack:
            hop_id = stack.pop()
            out.append(hop_id)
            stack.extend(self.children.get(hop_id, ()))
        out.sort()
        return [self.hops[i - 1] for i in out]

    def ancestors(self, hop_id: int) -> list[Hop]:
        """The chain of causes from the root down to ``hop_id``."""
        chain = []
        current: Optional[int] = hop_id
        while current is not None:
            hop = self.hops[current - 1]
            chain.append(hop)
            current = hop.cause
        return chain[::-1]

    def find(self, src: Optional[str] = None, dst: Optional[str] = None, kind: Optional[str] = None,
             contains: Optional[str] = None, since: int = 0) -> list[Hop]:
        """Hops matching every given filter, in order (``since``: only ids above it)."""
        return [h for h in self.hops[since:]
                if (src is None or h.src == src) and (dst is None or h.dst == dst)
                and (kind is None or h.kind == kind) and (contains is None or contains in h.summary)]

    def roots(self, src: Optional[str] = None) -> list[Hop]:
        return [h for h in self.hops if h.cause is None and (src is None or h.src == src)]

    def format(self, hops: Optional[Iterable[Hop]] = None, limit: Optional[int] = None) -> str:
        hops = list(self.hops if hops is None else hops)
        if limit is not None and len(hops) > limit:
            hops = hops[:limit]
        return "\n".join(h.line() for h in hops)
