"""A typed REST client for the API server, as client-go's clientset and RESTClient.

Mirrors client-go v0.31 ``rest/request.go`` (a request is a verb, a path and query
parameters; a non-2xx answer becomes an error built from the returned ``Status``)
and ``rest/watch`` / ``tools/watch`` (a watch is a stream of events until the server
closes it).

Simplified: requests go over the simulated network as ``Request`` values rather
than HTTP; there is no client-side rate limiter (QPS/burst) yet.
"""
from __future__ import annotations

from typing import Any, Optional

from ..api import errors
from ..api.scheme import ResourceInfo
from ..apiserver.request import Request, Response, WatchEvent, resource_path
from ..sim import Kernel, Message, Network, Queue, Unreachable

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class Watch:
    """A watch stream: ``await next()`` gives the next WatchEvent, or None when it ends."""

    def __init__(self, client: "Client", wid: int, info: ResourceInfo):
        self.client, self.id, self.info = client, wid, info
        self.events: Queue = client.kernel.queue()
        self.closed = False

    def _push(self, item: Optional[WatchEvent], cause: Optional[int]) -> None:
        self.events.put((item, cause))

    async def next(self) -> tuple[Optional[WatchEvent], Optional[int]]:
        """The next event and the hop that carried it; (None, None) once the stream ends."""
        if self.closed and not len(self.events):
            return None, None
        item, cause = await self.events.get()
        if item is None:
            self.closed = True
        return item, cause

    def stop(self) -> None:
        if not self.closed:
            self.closed = True
            self.client._watches.pop(self.id, None)
            self.client.network.send(self.client.endpoint, self.client.server, "WATCH_CLOSE",
                                     f"close watch {self.id}", self.id)
            self.events.put((None, None))


class Client:
    """One component's connection to the API server, as ``user``."""

    def __init__(self, kernel: Kernel, network: Network, endpoint: str, user: str, groups: tuple = (),
                 server: str = "kube-apiserver", timeout: float = 60.0, credential: Any = None):
        """``credential``: what proves who the client is: ("x509", cert), ("token", jwt), or by
        default the simulation's own ("sim", user, groups), which the API server trusts by name."""
        self.kernel, self.network, self.endpoint = kernel, network, endpoint
        self.user, self.groups, self.server, self.timeout = user, groups, server, timeout
        self.credential = credential or ("sim", user, tuple(groups))
        self._watches: dict[int, Watch] = {}
        self._early: dict[int, list] = {}

    def on_message(self, msg: Message) -> bool:
        """Route watch events pushed to this endpoint; the owner's handler calls this."""
        if msg.kind == "WATCH":
            event: WatchEvent = msg.body
            watch = self._watches.get(event.watch_id)
            if watch is not None:
                watch._push(event, msg.hop)
            else:
                self._early.setdefault(event.watch_id, []).append((event, msg.hop))
            return True
        if msg.kind == "WATCH_END":
            watch = self._watches.pop(msg.body, None)
            if watch is not None:
                watch._push(None, msg.hop)
            else:
                self._early.setdefault(msg.body, []).append((None, msg.hop))
            return True
        return False

    async def request(self, method: str, path: str, query: tuple = (), body: Any = None,
                      content_type: str = "application/json") -> Any:
        request = Request(method, path, tuple((k, str(v)) for k, v in query if v is not None), body,
                          self.user, self.groups, content_type, credential=self.credential)
        try:
            response: Response = await self.network.request(self.endpoint, self.server, method,
                                                            request.line(), request, self.timeout)
        except Unreachable as error:
            raise errors.timeout(f"{method} {path}: {error}") from error
        if response.code >= 400:
            raise errors.from_status(response.body)
        return response.body

    # -- verbs -------------------------------------------------------------------
    async def get(self, info: ResourceInfo, namespace: str, name: str, subresource: str = "") -> dict:
        return await self.request("GET", resource_path(info, namespace, name, subresource))

    async def list(self, info: ResourceInfo, namespace: str = "", label_selector: str = "",
                   field_selector: str = "", resource_version: Optional[str] = None, limit: Optional[int] = None,
                   continue_token: Optional[str] = None, resource_version_match: Optional[str] = None) -> dict:
        """One list request; with ``limit``, one page (``metadata.continue`` asks for the next)."""
        query = (("labelSelector", label_selector or None), ("fieldSelector", field_selector or None),
                 ("resourceVersion", resource_version), ("resourceVersionMatch", resource_version_match),
                 ("limit", limit), ("continue", continue_token or None))
        return await self.request("GET", resource_path(info, namespace), query)

    async def delete_collection(self, info: ResourceInfo, namespace: str = "", label_selector: str = "",
                                field_selector: str = "", propagation_policy: Optional[str] = None) -> dict:
        query = (("labelSelector", label_selector or None), ("fieldSelector", field_selector or None),
                 ("propagationPolicy", propagation_policy))
        return await self.request("DELETE", resource_path(info, namespace), query)

    async def evict(self, namespace: str, name: str, delete_options: Optional[dict] = None) -> dict:
        """POST pods/{name}/eviction with a policy/v1 Eviction (what kubectl drain sends)."""
        eviction: dict = {"apiVersion": "policy/v1", "kind": "Eviction",
                          "metadata": {"name": name, "namespace": namespace}}
        if delete_options:
            eviction["deleteOptions"] = delete_options
        return await self.request("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction", body=eviction)

    async def logs(self, namespace: str, name: str, container: Optional[str] = None,
                   tail_lines: Optional[int] = None, timestamps: bool = False, previous: bool = False) -> str:
        """GET pods/{name}/log: the container's log as text."""
        query = (("container", container), ("tailLines", tail_lines), ("timestamps", "true" if timestamps else None),
                 ("previous", "true" if previous else None))
        return await self.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log", query)

    async def create(self, info: ResourceInfo, namespace: str, obj: dict, subresource: str = "",
                     name: str = "") -> dict:
        return await self.request("POST", resource_path(info, namespace, name, subresource), body=obj)

    async def update(self, info: ResourceInfo, obj: dict, subresource: str = "") -> dict:
        meta = obj["metadata"]
        return await self.request("PUT", resource_path(info, meta.get("namespace", ""), meta["name"], subresource),
                                  body=obj)

    async def update_status(self, info: ResourceInfo, obj: dict) -> dict:
        return await self.update(info, obj, "status")

    async def patch(self, info: ResourceInfo, namespace: str, name: str, patch: Any,
                    content_type: str = STRATEGIC_PATCH, subresource: str = "") -> dict:
        return await self.request("PATCH", resource_path(info, namespace, name, subresource), body=patch,
                                  content_type=content_type)

    async def delete(self, info: ResourceInfo, namespace: str, name: str, grace_period: Optional[int] = None,
                     propagation_policy: Optional[str] = None, preconditions: Optional[dict] = None) -> Any:
        options: dict = {}
        if grace_period is not None:
            options["gracePeriodSeconds"] = grace_period
        if propagation_policy is not None:
            options["propagationPolicy"] = propagation_policy
        if preconditions:
            options["preconditions"] = preconditions
        return await self.request("DELETE", resource_path(info, namespace, name), body=options or None)

    async def watch(self, info: ResourceInfo, namespace: str = "", resource_version: str = "0",
                    label_selector: str = "", field_selector: str = "", timeout_seconds: Optional[int] = None) -> Watch:
        """Open a watch. The client gives up on it a little after ``timeout_seconds`` even if the
        server's end-of-stream never arrives (a partition), as an HTTP client's deadline would."""
        query = (("watch", "true"), ("resourceVersion", resource_version), ("labelSelector", label_selector or None),
                 ("fieldSelector", field_selector or None), ("timeoutSeconds", timeout_seconds),
                 ("allowWatchBookmarks", "true"))
        reply = await self.request("GET", resource_path(info, namespace), query)
        watch = Watch(self, reply["watch"], info)
        self._watches[watch.id] = watch
        for event, hop in self._early.pop(watch.id, ()):
            watch._push(event, hop)
            if event is None:
                self._watches.pop(watch.id, None)
        if timeout_seconds:
            self.kernel.call_later(timeout_seconds + 5, lambda _: watch.stop())
        return watch
