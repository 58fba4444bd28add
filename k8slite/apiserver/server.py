"""kube-apiserver: the only component that talks to etcd; everyone else talks to it.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/``
(get.go, create.go, update.go, patch.go, delete.go, watch.go: one handler per verb),
``pkg/controlplane/instance.go`` (the resources it serves) and
``pkg/controlplane/controller/kubernetesservice`` (the ``kubernetes`` Service).

The chain for every request: parse the RequestInfo, find the resource, then the
verb's handler: admission (mutating), validation, admission (validating), storage.
Reads of ``resourceVersion=0`` lists and every watch are served from the watch cache.

Simplified: no authentication or authorization yet (every caller is allowed; the
request carries its user for later); no pagination; no bookmarks; the watch window
is fixed in size.
"""
from __future__ import annotations

from typing import Any, Optional

from ..api import errors
from ..api.labels import FieldSelector, Selector
from ..api.scheme import SCHEME, ResourceInfo, Scheme
from ..etcd.client import EtcdClient
from ..sim import Kernel, Message, Network
from .admission import Admission
from .cacher import Cacher
from .registry import Context, IPAllocator, Registry
from .request import Request, Response, WatchEvent, parse_request_info
from .storage import Storage

VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-k8slite", "gitCommit": "k8slite",
           "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.5",
           "compiler": "gc", "platform": "linux/amd64"}
DEFAULT_WATCH_TIMEOUT = 1800.0    # --min-request-timeout


class APIServer:
    def __init__(self, kernel: Kernel, network: Network, name: str = "kube-apiserver", host: str = "control-plane",
                 etcd: str | list[str] | object = "etcd", scheme: Scheme = SCHEME,
                 service_cidr: str = "10.96.0.0/12", advertise_address: str = "10.0.0.1"):
        """``etcd``: the member endpoint(s) to use (``--etcd-servers``), or a ready client such
        as ``gateway.RemoteEtcdClient`` for a real etcd."""
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.scheme = scheme
        self.advertise_address = advertise_address
        self.etcd = etcd if hasattr(etcd, "txn") else EtcdClient(kernel, network, name, etcd)
        self.admission = Admission(self)
        self.service_ips = IPAllocator(service_cidr)
        self.registries: dict[tuple[str, str], Registry] = {}
        self.ready = False
        self._watches: dict[int, tuple[Cacher, str]] = {}
        self._next_watch = 0
        self.requests = 0

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        self.network.listen(self.name, self.host, self._handle)
        self.kernel.spawn(self._start(), f"{self.name} start", cause=None, owner=self.name)

    async def _start(self) -> None:
        self.registries = {}
        for info in self.scheme.all():
            storage = Storage(self.etcd, info)
            self.registries[(info.group, info.resource)] = Registry(self, info, storage, Cacher(storage))
        for registry in self.registries.values():
            await registry.cacher.start()
        for svc in registry_list(self.registries[("", "services")]):
            for ip in svc.get("spec", {}).get("clusterIPs") or []:
                self.service_ips.allocate(None, ip)
        await self._bootstrap()
        self.ready = True

    async def _bootstrap(self) -> None:
        """What the API server itself ensures exists (system namespaces, the kubernetes Service)."""
        ctx = Context(self, "system:apiserver", ("system:masters",))
        namespaces = self.registries[("", "namespaces")]
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            if namespaces.cacher.get("", ns) is None:
                await namespaces.create(ctx, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        services = self.registries[("", "services")]
        if services.cacher.get("default", "kubernetes") is None:
            await services.create(ctx, "default", {
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": str(self.service_ips.network.network_address + 1),
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)
        self._watches.clear()
        self.ready = False

    def restart(self) -> None:
        if isinstance(self.etcd, EtcdClient):     # a new process: a new connection
            self.etcd = EtcdClient(self.kernel, self.network, self.name, self.etcd.servers)
        self.network.up(self.name, self._handle)
        self.kernel.spawn(self._start(), f"{self.name} start", cause=None, owner=self.name)

    def cached(self, resource: str, namespace: str, name: str, group: str = "") -> Optional[dict]:
        registry = self.registries.get((group, resource))
        return registry.cacher.get(namespace, name) if registry is not None else None

    def allocate_service_ips(self, svc: dict) -> None:
        spec = svc.setdefault("spec", {})
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            return
        ip = self.service_ips.allocate(self.kernel.rng, spec.get("clusterIP") or None)
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    # -- the request path --------------------------------------------------------------
    def _handle(self, msg: Message) -> None:
        if self.etcd.on_message(msg):
            return
        if msg.kind == "WATCH_CLOSE":
            self._stop_watch(msg.body)
            return
        self.kernel.spawn(self._serve(msg), "serve", cause=msg.hop, owner=self.name)

    async def _serve(self, msg: Message) -> None:
        request: Request = msg.body
        self.requests += 1
        try:
            if not self.ready:
                raise errors.service_unavailable("the server is currently unable to handle the request")
            response = await self.handle(request, msg)
        except errors.StatusError as error:
            response = Response(error.code, error.status)
        if response is not None:
            self.network.reply(msg, response, _reply_summary(response))

    async def handle(self, request: Request, msg: Optional[Message] = None) -> Optional[Response]:
        """Serve one request; returns None for a watch (its reply is sent when it starts)."""
        info = parse_request_info(request.method, request.path, request.param("watch") in ("true", "1"))
        if not info.is_resource:
            return self._non_resource(request)
        registry = self.registries.get((info.group, info.resource))
        if registry is None or registry.info.version != info.version and not _served_alias(registry.info, info):
            raise _not_served()
        ctx = Context(self, request.user, request.groups)
        ns = info.namespace
        if registry.info.namespaced is False:
            ns = ""
        elif info.verb in ("create", "update", "patch", "delete", "get") and not ns and info.subresource != "binding":
            raise errors.not_found(registry.info.qualified_resource, info.name) if info.name else \
                errors.bad_request("the server could not find the requested resource")
        verb, sub = info.verb, info.subresource
        if sub and sub not in registry.info.subresources:
            raise errors.not_found(f"{registry.info.qualified_resource}/{sub}", info.name)
        if verb == "get":
            if sub == "scale":
                return Response(200, await registry.get_scale(ns, info.name))
            return Response(200, await registry.get(ns, info.name))
        if verb == "list":
            return Response(200, await self._list(registry, ns, request))
        if verb == "watch":
            await self._watch(registry, ns, request, msg)
            return None
        if verb == "create":
            if sub == "binding":
                return Response(201, await registry.bind(ctx, ns, info.name, request.body))
            obj = await registry.create(ctx, ns, request.body)
            return Response(201, obj)
        if verb == "update":
            if sub == "scale":
                return Response(200, await registry.update_scale(ctx, ns, info.name, request.body))
            return Response(200, await registry.update(ctx, ns, info.name, request.body, sub))
        if verb == "patch":
            if sub == "scale":
                return Response(200, await registry.update_scale(ctx, ns, info.name, request.body,
                                                                 request.content_type))
            return Response(200, await registry.patch(ctx, ns, info.name, request.body, request.content_type, sub))
        if verb == "delete":
            self.admission.check_delete(registry.info, ns, info.name)
            options = dict(request.body or {})
            for key in ("gracePeriodSeconds", "propagationPolicy"):
                if request.param(key) is not None:
                    options[key] = int(request.param(key)) if key == "gracePeriodSeconds" else request.param(key)
            code, body = await registry.delete(ctx, ns, info.name, options)
            return Response(code, body)
        if verb == "deletecollection":
            items = (await self._list(registry, ns, request))["items"]
            for item in items:
                await registry.delete(ctx, item["metadata"].get("namespace", ""), item["metadata"]["name"],
                                      dict(request.body or {}))
            return Response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
        raise errors.method_not_supported(registry.info.qualified_resource, verb)

    def _non_resource(self, request: Request) -> Response:
        if request.path == "/version":
            return Response(200, dict(VERSION))
        if request.path in ("/healthz", "/readyz", "/livez"):
            return Response(200, "ok")
        raise _not_served()

    @staticmethod
    def _selectors(request: Request) -> tuple[Selector, FieldSelector]:
        try:
            labels = Selector.parse(request.param("labelSelector") or "")
            fields = FieldSelector.parse(request.param("fieldSelector") or "")
        except ValueError as error:
            raise errors.bad_request(str(error))
        return labels, fields

    async def _list(self, registry: Registry, namespace: str, request: Request) -> dict:
        labels, fields = self._selectors(request)
        rv = request.param("resourceVersion") or ""
        if rv == "0" and registry.cacher.ready:
            items, revision = registry.cacher.list(namespace, labels, fields)
        else:
            objects, revision = await registry.storage.list(namespace)
            items = registry.cacher.select(objects, namespace, labels, fields)
        return {"kind": registry.info.list_kind, "apiVersion": registry.info.api_version,
                "metadata": {"resourceVersion": str(revision)}, "items": items}

    # -- watch -------------------------------------------------------------------------
    async def _watch(self, registry: Registry, namespace: str, request: Request, msg: Message) -> None:
        labels, fields = self._selectors(request)
        rv = request.param("resourceVersion") or "0"
        try:
            since = int(rv)
        except ValueError:
            raise errors.bad_request(f'invalid resource version "{rv}"')
        self._next_watch += 1
        wid = self._next_watch
        client = msg.src
        timeout = float(request.param("timeoutSeconds") or DEFAULT_WATCH_TIMEOUT)
        resource = registry.info.resource

        def send(event_type: str, obj: dict, cause: Optional[int]) -> None:
            name = obj["metadata"]["name"]
            self.network.send(self.name, client, "WATCH", f"{event_type} {resource}/{name} rv={obj['metadata']['resourceVersion']}",
                              WatchEvent(wid, event_type, obj), cause if cause is not None else -1)

        self.network.reply(msg, Response(200, {"watch": wid}), f"200 OK watch {resource}")
        try:
            registry.cacher.watch(wid, since, namespace, labels, fields, send)
        except errors.StatusError as error:
            self.network.send(self.name, client, "WATCH", f"ERROR {error.code} {error.reason}",
                              WatchEvent(wid, "ERROR", error.status))
            self.network.send(self.name, client, "WATCH_END", f"watch {wid} closed", wid)
            return
        self._watches[wid] = (registry.cacher, client)
        self.kernel.call_later(timeout, self._expire_watch, wid)

    def _expire_watch(self, wid: int) -> None:
        entry = self._watches.get(wid)
        if entry is not None:
            self._stop_watch(wid)
            self.network.send(self.name, entry[1], "WATCH_END", f"watch {wid} timed out", wid, cause=None)

    def _stop_watch(self, wid: int) -> None:
        entry = self._watches.pop(wid, None)
        if entry is not None:
            entry[0].stop(wid)


def _served_alias(info: ResourceInfo, request_info) -> bool:
    try:
        api_version = f"{request_info.group}/{request_info.version}" if request_info.group else request_info.version
        return SCHEME.by_kind(api_version, info.kind) is info
    except Exception:  # noqa: BLE001 - an unserved version is simply not an alias
        return False


def _not_served() -> errors.StatusError:
    return errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "the server could not find the requested resource",
                               "reason": "NotFound", "details": {}, "code": 404})


def registry_list(registry: Registry) -> list[dict]:
    items, _ = registry.cacher.list("", Selector.everything(), FieldSelector.everything())
    return items


def _reply_summary(response: Response) -> str:
    body = response.body
    line = response.status_line()
    if isinstance(body, dict):
        if body.get("kind") == "Status" and body.get("status") == "Failure":
            return f"{line} {body.get('reason', '')}: {body.get('message', '')}"
        meta = body.get("metadata") or {}
        if "items" in body:
            return f"{line} {len(body['items'])} item(s) rv={meta.get('resourceVersion')}"
        if meta.get("name"):
            return f"{line} {body.get('kind', '').lower()}/{meta['name']} rv={meta.get('resourceVersion')}"
    return line
