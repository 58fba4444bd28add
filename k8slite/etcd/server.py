"""An etcd member serving the KV and Watch APIs on the simulated network, and its client.

Mirrors etcd v3.5 ``server/etcdserver/v3_server.go`` (request size check, apply) and
``server/etcdserver/api/v3rpc/watch.go`` (a watch stream pushes WatchResponses), and
on the client side ``client/v3`` (``Get``, ``Txn``, ``Watch``).

Simplified: one member, no Raft yet (a write is applied when it arrives); a watch
stream is a series of one-way messages numbered by the server.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..sim import Kernel, Message, Network
from .mvcc import CompactedError, FutureRevisionError, MVCCStore

MAX_REQUEST_BYTES = 1536 * 1024   # etcd's --max-request-bytes default (1.5 MiB)


class EtcdError(Exception):
    """An error etcd returned, with its own message (e.g. ``etcdserver: request is too large``)."""


@dataclass(frozen=True, slots=True)
class WatchResponse:
    watch_id: int
    events: tuple
    compact_revision: int = 0   # non-zero: the watch was cancelled because its start was compacted


class EtcdServer:
    """One etcd member: an MVCC store behind a network endpoint named ``name``."""

    def __init__(self, kernel: Kernel, network: Network, name: str = "etcd", host: str = "control-plane"):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.store = MVCCStore()           # survives a crash: it stands for the data on disk
        self._streams: dict[int, str] = {}  # watch id -> client endpoint
        self._cause: Optional[int] = None
        network.listen(name, host, self._handle)

    def crash(self) -> None:
        for wid in list(self._streams):
            self.store.cancel_watch(wid)
        self._streams.clear()
        self.network.down(self.name)

    def restart(self) -> None:
        self.network.up(self.name, self._handle)

    def _handle(self, msg: Message) -> None:
        kind, body = msg.kind, msg.body
        self._cause = msg.hop            # watch events pushed while applying this request are caused by it
        try:
            if kind == "Range":
                result: Any = self.store.range(**body)
            elif kind == "Txn":
                size = sum(len(op.key) + len(op.value) for op in body["success"] + body["failure"])
                if size > MAX_REQUEST_BYTES:
                    raise EtcdError("etcdserver: request is too large")
                result = self.store.txn(**body)
            elif kind == "Watch":
                result = self._watch(msg)
            elif kind == "WatchCancel":
                self.store.cancel_watch(body)
                self._streams.pop(body, None)
                result = None
            elif kind == "Compact":
                self.store.compact(body)
                result = self.store.revision
            else:
                raise EtcdError(f"unknown request {kind}")
        except (CompactedError, FutureRevisionError, EtcdError) as error:
            self.network.reply(msg, error, f"error: {error}")
            return
        self.network.reply(msg, result, _summary(kind, result))

    def _watch(self, msg: Message) -> int:
        body, client = msg.body, msg.src
        wid_box: list[int] = []
        pending: list = []   # events replayed before the id exists

        def push(events: list) -> None:
            if not wid_box:
                pending.append(events)
                return
            self._push(client, wid_box[0], events)
        wid = self.store.watch(body["key"], body.get("range_end", ""), body.get("start_revision", 0), push,
                               body.get("prev_kv", False))
        wid_box.append(wid)
        self._streams[wid] = client
        for events in pending:
            self._push(client, wid, events)
        return wid

    def _push(self, client: str, wid: int, events: list) -> None:
        # The cause of a watch event is the write that made it: the task running now.
        first = events[0].kv.key
        more = f" (+{len(events) - 1})" if len(events) > 1 else ""
        self.network.send(self.name, client, "WatchResponse",
                          f"watch {events[0].type} {first}{more} rev={events[0].kv.mod_revision}",
                          WatchResponse(wid, tuple(events)), self._cause)


def _summary(kind: str, result: Any) -> str:
    if kind == "Range":
        return f"{result.count} kv(s) rev={result.revision}"
    if kind == "Txn":
        return f"{'succeeded' if result.succeeded else 'failed'} rev={result.revision}"
    return "ok"


class EtcdClient:
    """The API server's etcd client: requests over the network, watch streams by id."""

    def __init__(self, kernel: Kernel, network: Network, endpoint: str, server: str = "etcd",
                 timeout: float = 5.0):
        self.kernel, self.network, self.endpoint, self.server, self.timeout = kernel, network, endpoint, server, timeout
        self._watches: dict[int, Callable[[WatchResponse, Optional[int]], None]] = {}
        self._early: dict[int, list] = {}   # watch id -> responses that beat the Watch reply here

    def on_message(self, msg: Message) -> bool:
        """Route a pushed WatchResponse; the owner's endpoint handler calls this."""
        if msg.kind != "WatchResponse":
            return False
        handler = self._watches.get(msg.body.watch_id)
        if handler is not None:
            handler(msg.body, msg.hop)
        else:
            self._early.setdefault(msg.body.watch_id, []).append((msg.body, msg.hop))
        return True

    async def _call(self, kind: str, summary: str, body: Any) -> Any:
        result = await self.network.request(self.endpoint, self.server, kind, summary, body, self.timeout)
        if isinstance(result, Exception):
            raise result
        return result

    async def range(self, key: str, range_end: str = "", revision: int = 0, limit: int = 0,
                    count_only: bool = False, keys_only: bool = False):
        what = f"{key}*" if range_end else key
        return await self._call("Range", f"Range {what}", dict(key=key, range_end=range_end, revision=revision,
                                                              limit=limit, count_only=count_only, keys_only=keys_only))

    async def txn(self, compares: tuple, success: tuple, failure: tuple = (), summary: str = "Txn"):
        return await self._call("Txn", summary, dict(compares=compares, success=success, failure=failure))

    async def compact(self, revision: int) -> int:
        return await self._call("Compact", f"Compact rev={revision}", revision)

    async def watch(self, key: str, range_end: str, start_revision: int,
                    handler: Callable[[WatchResponse, Optional[int]], None], prev_kv: bool = False) -> int:
        """Start a watch; ``handler(response, hop)`` gets each WatchResponse. Returns the watch id.

        Responses that arrive before the Watch reply are held until the id is known.
        """
        wid = await self._call("Watch", f"Watch {key}{'*' if range_end else ''} from rev={start_revision}",
                               dict(key=key, range_end=range_end, start_revision=start_revision, prev_kv=prev_kv))
        self._watches[wid] = handler
        for response, hop in self._early.pop(wid, ()):
            handler(response, hop)
        return wid

    async def cancel_watch(self, wid: int) -> None:
        self._watches.pop(wid, None)
        await self._call("WatchCancel", f"WatchCancel {wid}", wid)
