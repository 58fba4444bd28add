"""kube-apiserver: the only component that talks to etcd; everyone else talks to it.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/``
(get.go, create.go, update.go, patch.go, delete.go, watch.go: one handler per verb),
``pkg/controlplane/instance.go`` (the resources it serves) and
``pkg/controlplane/controller/kubernetesservice`` (the ``kubernetes`` Service).

The chain for every request, as ``DefaultBuildHandlerChain`` orders its filters:
audit (RequestReceived), authentication (401), authorization (403: system:masters,
then Node, then RBAC), then the verb's handler: admission (mutating), validation,
admission (validating), storage; the answer is audited (ResponseComplete) and, for
clients that ask for it (``Accept: ...;as=Table``), printed server-side as a Table.
Reads of ``resourceVersion=0`` lists and every watch are served from the watch cache.

Simplified: consistent lists (``resourceVersion`` unset) are read
from etcd (ConsistentListFromCache, beta in v1.31, is taken as off); watches with an
unset ``resourceVersion`` start from the watch cache; ``sendInitialEvents`` is served as
with the WatchList gate on (off by default in v1.31); the watch window is fixed in size.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Optional

from ..api import errors
from ..api.labels import FieldSelector, Selector
from ..api.meta import is_dns1123_label
from ..api.scheme import SCHEME, ResourceInfo, Scheme
from ..etcd.client import EtcdClient
from ..etcd.errors import EtcdError
from ..sim import Kernel, Message, Network
from ..sim.network import Refused, Unreachable
from . import discovery, openapi, tables
from .admission import Admission
from .audit import AuditLog
from .authn import Authenticator, UserInfo, self_subject_review, token_review
from .authz import (attributes_for, forbidden, new_authorizer, self_subject_access_review,
                    self_subject_rules_review, subject_access_review)
from .bootstrap_policy import bootstrap_objects
from .cacher import Cacher
from .registry import Context, IPAllocator, Registry, validate_delete_options
from .request import Request, Response, WatchEvent, parse_request_info
from .storage import ContinueError, Storage, decode_continue, etcd_status

VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-k8slite", "gitCommit": "k8slite",
           "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.5",
           "compiler": "gc", "platform": "linux/amd64"}
DEFAULT_WATCH_TIMEOUT = 1800.0    # --min-request-timeout
VIRTUAL_GROUPS = ("authorization.k8s.io", "authentication.k8s.io")   # review kinds: create-only, not stored


class APIServer:
    def __init__(self, kernel: Kernel, network: Network, name: str = "kube-apiserver", host: str = "control-plane",
                 etcd: str | list[str] | object = "etcd", scheme: Scheme = SCHEME,
                 service_cidr: str = "10.96.0.0/12", advertise_address: str = "10.0.0.1",
                 authenticator: Optional[Authenticator] = None,
                 authorization_modes: tuple = ("Node", "RBAC"), audit: Optional[AuditLog] = None,
                 encryption: Any = None):
        """``etcd``: the member endpoint(s) to use (``--etcd-servers``), or a ready client such
        as ``gateway.RemoteEtcdClient`` for a real etcd. ``authenticator``: who a request is
        (default: the simulation's own components, trusted by name; no anonymous users);
        ``authorization_modes``: ``--authorization-mode``; ``audit``: an AuditLog;
        ``encryption``: an ``encryption.Transformer`` for data at rest."""
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.scheme = scheme
        self.advertise_address = advertise_address
        self.server_address = f"{advertise_address}:6443"    # what discovery tells clients (server mode: the front's)
        self.authenticator = authenticator or Authenticator()
        self.authorization_modes = tuple(authorization_modes)
        self.authorizer = None
        self.audit = audit
        self.encryption = encryption
        self.service_account_signer = None     # a pki.serviceaccount.TokenGenerator (--service-account-signing-key-file)
        self.etcd = etcd if hasattr(etcd, "txn") else EtcdClient(kernel, network, name, etcd)
        self.admission = Admission(self)
        self.service_ips = IPAllocator(service_cidr)
        self.registries: dict[tuple[str, str], Registry] = {}
        self.ready = False
        self._watches: dict[int, tuple[Cacher, str]] = {}
        self._next_watch = 0
        self.requests = 0
        # kube-aggregator's APIServices with a service: (group, version) -> the endpoint that serves it.
        self.aggregated: dict[tuple[str, str], str] = {}

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        self.network.listen(self.name, self.host, self._handle)
        self.kernel.spawn(self._start(), f"{self.name} start", cause=None, owner=self.name)

    async def _start(self) -> None:
        self.registries = {}
        for info in self.scheme.all():
            if info.group in VIRTUAL_GROUPS:
                continue                     # access and token reviews are answered, never stored
            storage = Storage(self.etcd, info, self.encryption)
            self.registries[(info.group, info.resource)] = Registry(self, info, storage, Cacher(storage))
        for registry in self.registries.values():
            await registry.cacher.start()
        for svc in registry_list(self.registries[("", "services")]):
            for ip in svc.get("spec", {}).get("clusterIPs") or []:
                self.service_ips.allocate(None, ip)
        if self.authorization_modes:
            self.authorizer = new_authorizer(self.authorization_modes, self._list_objects, self._revision)
        await self._bootstrap()
        self.ready = True

    def _list_objects(self, group: str, resource: str) -> list:
        registry = self.registries.get((group, resource))
        return registry.cacher.objects() if registry is not None else []

    def _revision(self, group: str, resource: str) -> int:
        registry = self.registries.get((group, resource))
        return registry.cacher.revision if registry is not None else 0

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
        if "RBAC" in self.authorization_modes:
            # The RBAC post-start hook: the default roles and bindings, created when missing.
            for obj in bootstrap_objects():
                group, _, _ = obj["apiVersion"].rpartition("/")
                info = self.scheme.by_kind(obj["apiVersion"], obj["kind"])
                registry = self.registries[(info.group, info.resource)]
                ns = obj["metadata"].get("namespace", "")
                if registry.cacher.get(ns, obj["metadata"]["name"]) is None:
                    await registry.create(ctx, ns, obj)

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
        info = parse_request_info(request.method, request.path, request.param("watch") in ("true", "1"))
        user: Optional[UserInfo] = None
        audit = None
        ctx: Optional[Context] = None
        try:
            if not self.ready:
                raise errors.service_unavailable("the server is currently unable to handle the request")
            user = self.authenticator.authenticate(request)
            if self.audit is not None:
                audit = self.audit.record("RequestReceived", request, info, user)
            decision = None
            if self.authorizer is not None:
                attrs = attributes_for(request, info, user)
                decision = self.authorizer.authorize(attrs)
                if not decision.allowed:
                    if audit is not None:
                        audit.annotations.update(_decision_annotations(decision))
                    raise forbidden(attrs, decision.reason)
            ctx = Context(self, user.name, tuple(user.groups))
            if decision is not None:
                ctx.audit_annotations.update(_decision_annotations(decision))
            response = self._review(request, info, user)
            if response is None and (info.group, info.version) in self.aggregated and info.is_resource:
                response = await self._proxy_aggregated(request, info, user)
            if response is None and info.resource == "serviceaccounts" and info.subresource == "token" \
                    and request.method == "POST":
                response = await self._token_request(request, info)
            if response is None:
                response = await self.handle(request, msg, ctx)
            if response is not None:
                response = self._print(request, info, response)
        except errors.StatusError as error:
            response = Response(error.code, error.status)
        if ctx is not None and ctx.warnings and response is not None:
            response = replace(response, warnings=tuple(ctx.warnings))
        if audit is not None:
            self.audit.record("ResponseStarted" if response is None else "ResponseComplete", request, info, user,
                              response or Response(200), context=audit,
                              annotations=ctx.audit_annotations if ctx is not None else None)
        if response is not None:
            self.network.reply(msg, response, _reply_summary(response))

    def aggregate(self, group: str, version: str, endpoint: str) -> None:
        """Register an aggregated API (an ``apiregistration.k8s.io/v1`` APIService whose service
        is ``endpoint``): its requests are proxied there after authentication and authorization."""
        self.aggregated[(group, version)] = endpoint

    async def _proxy_aggregated(self, request: Request, info, user: UserInfo) -> Response:
        """kube-aggregator's proxyHandler: forward the request as the authenticated user (the
        X-Remote-User and X-Remote-Group headers of the front proxy); an unreachable backend is
        a 503, which clients print as "the server is currently unable to handle the request"."""
        forwarded = replace(request, user=user.name, groups=tuple(user.groups), credential=None)
        try:
            reply = await self.network.request(self.name, self.aggregated[(info.group, info.version)],
                                               request.method, request.line(), forwarded, 30.0)
        except (Refused, Unreachable):
            resource = f"{info.resource}.{info.group}"
            raise errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": f"the server is currently unable to handle the request "
                                                 f"({info.verb} {resource})", "reason": "ServiceUnavailable",
                                      "details": {"group": info.group, "kind": info.resource,
                                                  "causes": [{"reason": "UnexpectedServerResponse",
                                                              "message": "service unavailable"}]},
                                      "code": 503}) from None
        if reply.code >= 400:
            raise errors.from_status(reply.body)
        return reply

    def _review(self, request: Request, info, user: UserInfo) -> Optional[Response]:
        """The create-only review resources: answered from the request, never stored."""
        if not info.is_resource or info.group not in VIRTUAL_GROUPS or request.method != "POST":
            return None
        body = request.body if isinstance(request.body, dict) else None
        if info.resource == "selfsubjectaccessreviews":
            return Response(201, self_subject_access_review(self.authorizer, user, body))
        if info.resource in ("subjectaccessreviews", "localsubjectaccessreviews"):
            return Response(201, subject_access_review(self.authorizer, body))
        if info.resource == "selfsubjectrulesreviews":
            return Response(201, self_subject_rules_review(self.authorizer, user, body))
        if info.resource == "selfsubjectreviews":       # kubectl auth whoami: v1beta1 (1.27) or v1
            return Response(201, dict(self_subject_review(user), apiVersion=f"{info.group}/{info.version}"))
        if info.resource == "tokenreviews":
            return Response(201, token_review(self.authenticator, body))
        raise _not_served()

    async def _token_request(self, request: Request, info) -> Response:
        """POST serviceaccounts/<name>/token (``kubectl create token``): a signed, bound token."""
        from ..api.meta import EPOCH
        from ..pki.serviceaccount import token_request
        from datetime import timedelta
        if self.service_account_signer is None:
            raise errors.internal("no service account signing key configured (--service-account-signing-key-file)")
        service_account = await self.registries[("", "serviceaccounts")].get(info.namespace, info.name)
        now = EPOCH + timedelta(seconds=self.kernel.now)
        body = request.body if isinstance(request.body, dict) else None
        return Response(201, token_request(self.service_account_signer, service_account, body, now, self.kernel.rng,
                                           lambda resource, ns, name: self.cached(resource, ns, name)))

    def _print(self, request: Request, info, response: Response) -> Response:
        """Server-side printing: a Table instead of the object or list, when the client asks."""
        version = tables.negotiate_table(request.accept)
        if version is None or response.code >= 300 or not info.is_resource or not isinstance(response.body, dict):
            return response
        registry = self.registries.get((info.group, info.resource))
        if registry is None or info.subresource not in ("", "status") or request.method != "GET":
            return response
        include = tables.validate_include_object(request.param("includeObject"))
        body = response.body
        if "items" in body:
            table = tables.to_table(registry.info, body["items"], self.kernel.now, include, body.get("metadata"),
                                    api_version=version)
        else:
            table = tables.table_for_object(registry.info, body, self.kernel.now, include, api_version=version)
        return Response(response.code, table, tables.table_content_type(version))

    async def handle(self, request: Request, msg: Optional[Message] = None,
                     ctx: Optional[Context] = None) -> Optional[Response]:
        """Serve one request; returns None for a watch (its reply is sent when it starts).

        ``ctx`` (made from the request's user if not given) collects admission's warnings and
        audit annotations. An etcd error that storage did not interpret becomes a reason-less
        500 with etcd's text, as responsewriters.ErrorToAPIStatus writes any error that is not
        a Status.
        """
        try:
            return await _serve_request(self, request, msg, ctx)
        except EtcdError as error:
            raise etcd_status(error) from None

    def _non_resource(self, request: Request) -> Response:
        if request.path == "/version":
            return Response(200, dict(VERSION))
        if request.path in ("/healthz", "/readyz", "/livez"):
            return Response(200, "ok")
        if request.method == "GET":
            found = (discovery.handle_discovery(request.path, request.accept, self.scheme, self.server_address)
                     or openapi.handle_openapi(request.path, request.accept, VERSION["gitVersion"]))
            if found:
                code, body, content_type = found
                return Response(code, body, content_type)
        raise _not_served()

    @staticmethod
    def _selectors(request: Request, info: Optional[ResourceInfo] = None) -> tuple[Selector, FieldSelector]:
        """The label and field selectors; field labels are converted per kind (ConvertFieldLabel):
        one the kind does not support is a 400 "field label not supported: x"."""
        try:
            labels = Selector.parse(request.param("labelSelector") or "")
            fields = FieldSelector.parse(request.param("fieldSelector") or "")
        except ValueError as error:
            raise errors.bad_request(str(error))
        if info is not None and not fields.empty():
            fields = FieldSelector([(convert_field_label(info, f), op, v) for f, op, v in fields.terms])
        return labels, fields

    async def _list(self, registry: Registry, namespace: str, request: Request) -> dict:
        """ListResource, Cacher.GetList and store.GetList: from the watch cache when the
        request allows a cached answer, else from etcd, a page at a time."""
        opts = list_options(request, watch=False)
        labels, fields = self._selectors(request, registry.info)
        rv, match, limit, token = opts["resourceVersion"], opts["resourceVersionMatch"], opts["limit"], opts["continue"]
        delegate = (rv == "" or bool(token) or (limit > 0 and rv != "0") or match not in ("", "NotOlderThan")
                    or not registry.cacher.ready)
        info = registry.info
        if not delegate:
            wanted = parse_resource_version(rv)
            if wanted:
                await registry.cacher.wait_until_fresh(wanted)
            items, revision = registry.cacher.list(namespace, labels, fields)
            return {"kind": info.list_kind, "apiVersion": info.api_version,
                    "metadata": {"resourceVersion": str(revision)}, "items": items}
        storage = registry.storage
        key_prefix, recursive = storage_key(registry, namespace, fields)
        revision, continue_key, minimum = 0, "", 0
        if token:
            if rv not in ("", "0"):
                raise errors.bad_request("specifying resource version is not allowed when using continue")
            try:
                continue_key, token_rv = decode_continue(token, key_prefix)
            except ContinueError as error:
                raise errors.bad_request(f"invalid continue token: {error}") from None
            revision = max(token_rv, 0)
        elif rv:
            parsed = parse_resource_version(rv)
            if match == "Exact" or (match == "" and limit > 0 and parsed > 0):
                revision = parsed
            if match in ("", "NotOlderThan"):
                minimum = parsed
        page = await storage.get_list(key_prefix, recursive, revision, limit if recursive else 0, continue_key,
                                      paging_continue=bool(token), minimum_rv=minimum,
                                      match=registry.cacher.matcher(labels, fields))
        meta: dict = {"resourceVersion": str(page.revision)}
        if page.continue_token:
            meta["continue"] = page.continue_token
            if page.remaining is not None:
                meta["remainingItemCount"] = page.remaining
        return {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta, "items": page.items}

    # -- watch -------------------------------------------------------------------------
    async def _watch(self, registry: Registry, namespace: str, request: Request, msg: Message) -> None:
        """handlers/watch.go and Cacher.Watch: 200 first, then the events; a start that is too
        old is an ERROR event (410 Expired) inside the stream, which then ends."""
        opts = list_options(request, watch=True)
        labels, fields = self._selectors(request, registry.info)
        rv = opts["resourceVersion"]
        since = parse_resource_version(rv)
        if not registry.cacher.ready:
            raise errors.too_many_requests("storage is (re)initializing", 1)
        timeout = opts["timeoutSeconds"]
        if not timeout:
            timeout = DEFAULT_WATCH_TIMEOUT * (self.kernel.rng.random() + 1.0)
        self._next_watch += 1
        wid = self._next_watch
        client = msg.src
        resource = registry.info.resource

        table_version = tables.negotiate_table(request.accept)
        headers_sent = [False]

        def send(event_type: str, obj: dict, cause: Optional[int]) -> None:
            name = obj["metadata"].get("name", "")
            what = f"{resource}/{name}" if name else resource
            rv = obj["metadata"]["resourceVersion"]
            if table_version is not None and event_type != "ERROR" and obj.get("kind") != "Status" \
                    and event_type != "BOOKMARK":
                # kubectl get -w asks for Tables on the watch too: each event's object is a one-row
                # Table, the first with the column definitions (watch.go, transformObject).
                obj = tables.table_for_object(registry.info, obj, self.kernel.now,
                                              tables.validate_include_object(request.param("includeObject")),
                                              api_version=table_version, no_headers=headers_sent[0])
                headers_sent[0] = True
            self.network.send(self.name, client, "WATCH", f"{event_type} {what} rv={rv}",
                              WatchEvent(wid, event_type, obj), cause if cause is not None else -1)

        def close() -> None:
            if self._watches.pop(wid, None) is not None:
                self.network.send(self.name, client, "WATCH_END", f"watch {wid} closed", wid, cause=None)

        self.network.reply(msg, Response(200, {"watch": wid}), f"200 OK watch {resource}")
        self._watches[wid] = (registry.cacher, client)
        try:
            await registry.cacher.watch(wid, since, namespace, labels, fields, send, close,
                                        allow_bookmarks=opts["allowWatchBookmarks"], deadline=self.kernel.now + timeout,
                                        send_initial_events=opts["sendInitialEvents"], consistent=rv == "")
        except errors.StatusError as error:
            self._watches.pop(wid, None)
            self.network.send(self.name, client, "WATCH", f"ERROR {error.code} {error.reason}",
                              WatchEvent(wid, "ERROR", error.status))
            self.network.send(self.name, client, "WATCH_END", f"watch {wid} closed", wid)
            return
        if wid not in self._watches:          # closed while it was starting
            registry.cacher.stop(wid)
            return
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


# -- the request path, verb by verb (module-level so that the class stays the server's shape) --

MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024      # --max-request-body-bytes default (3 MiB)
# What each subresource serves (the routes installer.go registers for it).
SUBRESOURCE_VERBS = {"status": ("get", "update", "patch"), "scale": ("get", "update", "patch"),
                     "binding": ("create",), "eviction": ("create",), "log": ("get",), "finalize": ("update",)}
METHOD_NOT_ALLOWED = "the server does not allow this method on the requested resource"
# pkg/apis/*/v1/conversion.go AddFieldLabelConversionFunc: the field labels each kind accepts.
FIELD_LABELS = {
    ("", "pods"): ("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                   "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
                   "status.nominatedNodeName"),
    ("", "nodes"): ("metadata.name", "spec.unschedulable"),
    ("", "replicationcontrollers"): ("metadata.name", "metadata.namespace", "status.replicas"),
    ("", "events"): ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                     "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                     "reason", "reportingComponent", "source", "type", "metadata.namespace", "metadata.name"),
    ("", "namespaces"): ("status.phase", "metadata.name"),
    ("", "secrets"): ("type", "metadata.namespace", "metadata.name"),
    ("", "services"): ("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"),
    ("apps", "replicasets"): ("metadata.name", "metadata.namespace", "status.replicas"),
    ("batch", "jobs"): ("metadata.name", "metadata.namespace", "status.successful"),
}


def convert_field_label(info: ResourceInfo, label: str) -> str:
    """Scheme.ConvertFieldLabel: the kind's conversion func, else DefaultMetaV1FieldSelectorConversion."""
    allowed = FIELD_LABELS.get((info.group, info.resource))
    if allowed is None:
        if label in ("metadata.name", "metadata.namespace"):
            return label
        raise errors.bad_request(f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"')
    if (info.group, info.resource) == ("", "pods") and label == "spec.host":
        return "spec.nodeName"
    if label not in allowed:
        raise errors.bad_request(f"field label not supported: {label}")
    return label


def parse_resource_version(rv: str) -> int:
    """APIObjectVersioner.ParseResourceVersion: "" and "0" are 0; anything else a uint64."""
    if rv in ("", "0"):
        return 0
    if rv.isdigit():
        return int(rv)
    raise errors.bad_request(f'invalid resource version: resourceVersion: Invalid value: {json.dumps(rv)}: '
                             f'strconv.ParseUint: parsing {json.dumps(rv)}: invalid syntax')


def _bool_param(request: Request, key: str) -> Optional[bool]:
    raw = request.param(key)
    if raw is None:
        return None
    if raw in ("true", "1", "True", "TRUE", "t", "T"):
        return True
    if raw in ("false", "0", "False", "FALSE", "f", "F", ""):
        return False
    raise errors.bad_request(f'strconv.ParseBool: parsing {json.dumps(raw)}: invalid syntax')


def _int_param(request: Request, key: str) -> Optional[int]:
    raw = request.param(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request(f'strconv.ParseInt: parsing {json.dumps(raw)}: invalid syntax') from None


def list_options(request: Request, watch: bool) -> dict:
    """metav1.ListOptions from the query, checked as validation.ValidateListOptions does
    (a 422 on ListOptions.meta.k8s.io)."""
    opts = {"resourceVersion": request.param("resourceVersion") or "",
            "resourceVersionMatch": request.param("resourceVersionMatch") or "",
            "continue": request.param("continue") or "",
            "limit": _int_param(request, "limit") or 0,
            "timeoutSeconds": _int_param(request, "timeoutSeconds") or 0,
            "allowWatchBookmarks": bool(_bool_param(request, "allowWatchBookmarks")),
            "sendInitialEvents": _bool_param(request, "sendInitialEvents")}
    match, causes = opts["resourceVersionMatch"], []
    if watch:
        if opts["sendInitialEvents"] is not None and match != "NotOlderThan":
            causes.append(errors.forbidden_field("resourceVersionMatch", "sendInitialEvents requires setting "
                                                                         "resourceVersionMatch to NotOlderThan"))
        if match:
            if opts["sendInitialEvents"] is None:
                causes.append(errors.forbidden_field(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
                                            "provided"))
            if match != "NotOlderThan":
                causes.append(errors.not_supported("resourceVersionMatch", match, ["NotOlderThan"]))
            if opts["continue"]:
                causes.append(errors.forbidden_field("resourceVersionMatch", "resourceVersionMatch is forbidden when "
                                                                             "continue is provided"))
    else:
        if match:
            if not opts["resourceVersion"]:
                causes.append(errors.forbidden_field("resourceVersionMatch", "resourceVersionMatch is forbidden "
                                                                             "unless resourceVersion is provided"))
            if opts["continue"]:
                causes.append(errors.forbidden_field("resourceVersionMatch", "resourceVersionMatch is forbidden when "
                                                                             "continue is provided"))
            if match not in ("Exact", "NotOlderThan"):
                causes.append(errors.not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]))
            if match == "Exact" and opts["resourceVersion"] == "0":
                causes.append(errors.forbidden_field("resourceVersionMatch", 'resourceVersionMatch "exact" is '
                                                                             'forbidden for resourceVersion "0"'))
        if opts["sendInitialEvents"] is not None:
            causes.append(errors.forbidden_field("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    if causes:
        raise errors.invalid("ListOptions.meta.k8s.io", "", causes)
    return opts


def storage_key(registry: Registry, namespace: str, fields: FieldSelector) -> tuple[str, bool]:
    """Store.ListPredicate: one object's key when the field selector names it (MatchesSingle),
    a namespace's prefix when it names the namespace of a cluster-wide list."""
    storage = registry.storage
    if registry.info.namespaced and not namespace:
        single_ns = fields.exact_match("metadata.namespace")
        if single_ns and not is_dns1123_label(single_ns):
            namespace = single_ns
    name = fields.exact_match("metadata.name")
    if name and (namespace or not registry.info.namespaced):
        return storage.key(namespace, name), False
    return storage.list_prefix(namespace), True


def _check_body_size(request: Request) -> None:
    """--max-request-body-bytes: a body over 3 MiB is refused before it is decoded."""
    if request.body is None:
        return
    size = len(json.dumps(request.body, separators=(",", ":")))
    if size > MAX_REQUEST_BODY_BYTES:
        raise errors.too_large(f"limit is {MAX_REQUEST_BODY_BYTES}")


def delete_options(request: Request) -> dict:
    """metav1.DeleteOptions: from the body when there is one, else from the query."""
    body = request.body
    if body:
        if not isinstance(body, dict):
            raise errors.bad_request("decoded object cannot be converted to DeleteOptions")
        kind = body.get("kind")
        if kind not in (None, "", "DeleteOptions"):
            raise errors.bad_request("decoded object cannot be converted to DeleteOptions")
        return {k: v for k, v in body.items() if k not in ("kind", "apiVersion")}
    options: dict = {}
    grace = _int_param(request, "gracePeriodSeconds")
    if grace is not None:
        options["gracePeriodSeconds"] = grace
    if request.param("propagationPolicy") is not None:
        options["propagationPolicy"] = request.param("propagationPolicy")
    orphan = _bool_param(request, "orphanDependents")
    if orphan is not None:
        options["orphanDependents"] = orphan
    dry_run = [v for k, v in request.query if k == "dryRun"]
    if dry_run:
        options["dryRun"] = dry_run
    return options


async def _serve_request(server: "APIServer", request: Request, msg: Optional[Message],
                         ctx: Optional[Context] = None) -> Optional[Response]:
    watch = request.param("watch") in ("true", "1")
    info = parse_request_info(request.method, request.path, watch)
    if not info.is_resource:
        return server._non_resource(request)
    registry = server.registries.get((info.group, info.resource))
    if registry is None or registry.info.version != info.version and not _served_alias(registry.info, info):
        raise _not_served()
    rinfo = registry.info
    if ctx is None:
        ctx = Context(server, request.user, request.groups)
    ctx.subresource = info.subresource
    ns = info.namespace
    verb, sub = info.verb, info.subresource
    if rinfo.namespaced is False:
        ns = ""
    elif verb in ("create", "update", "patch", "delete", "get") and not ns and sub != "binding":
        raise errors.not_found(rinfo.qualified_resource, info.name) if info.name else \
            errors.bad_request("the server could not find the requested resource")
    if sub:
        if sub not in rinfo.subresources:
            raise errors.not_found(f"{rinfo.qualified_resource}/{sub}", info.name)
        if verb not in SUBRESOURCE_VERBS.get(sub, ()):
            raise errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": METHOD_NOT_ALLOWED, "reason": "MethodNotAllowed", "details": {},
                                      "code": 405})
    elif verb == "get" and watch:       # a watch of one object: fieldSelector=metadata.name=<name>
        verb = "watch"
        request = Request(request.method, request.path.rsplit("/", 1)[0],
                          tuple((k, v) for k, v in request.query if k != "fieldSelector")
                          + (("fieldSelector", ",".join(filter(None, (request.param("fieldSelector"),
                                                                      f"metadata.name={info.name}")))),),
                          request.body, request.user, request.groups, request.content_type, request.accept,
                          request.credential)
    elif verb not in rinfo.verbs and not (verb == "watch" and "watch" in rinfo.verbs):
        raise errors.method_not_supported(rinfo.qualified_resource, verb)
    if verb in ("create", "update", "patch", "delete", "deletecollection"):
        _check_body_size(request)
    if verb == "get":
        if sub == "scale":
            return Response(200, await registry.get_scale(ns, info.name))
        if sub == "log":
            return await registry.logs(ctx, ns, info.name, request.param)
        if request.param("resourceVersion") == "0" and registry.cacher.ready:
            cached = registry.cacher.get(ns, info.name)
            if cached is None:
                raise errors.not_found(rinfo.qualified_resource, info.name)
            return Response(200, cached)
        return Response(200, await registry.get(ns, info.name))
    if verb == "list":
        return Response(200, await server._list(registry, ns, request))
    if verb == "watch":
        await server._watch(registry, ns, request, msg)
        return None
    if verb == "create":
        if sub == "binding" or (rinfo.resource == "bindings" and not rinfo.group):
            name = info.name
            if not sub and isinstance(request.body, dict):        # POST .../bindings names the pod in the body
                name = (request.body.get("metadata") or {}).get("name", "")
            return Response(201, await server.registries[("", "pods")].bind(ctx, ns, name, request.body))
        if sub == "eviction":
            return await registry.evict(ctx, ns, info.name, request.body)
        return Response(201, await registry.create(ctx, ns, request.body))
    if verb == "update":
        if sub == "scale":
            return Response(200, await registry.update_scale(ctx, ns, info.name, request.body))
        if sub == "finalize":
            return Response(200, await registry.finalize(ctx, info.name, request.body))
        return Response(200, await registry.update(ctx, ns, info.name, request.body, sub))
    if verb == "patch":
        if sub == "scale":
            return Response(200, await registry.update_scale(ctx, ns, info.name, request.body,
                                                             request.content_type or "application/json"))
        return Response(200, await registry.patch(ctx, ns, info.name, request.body, request.content_type, sub))
    if verb == "delete":
        options = delete_options(request)
        body, deleted = await registry.delete(ctx, ns, info.name, options)
        code = 202 if not deleted and options.get("orphanDependents") is False else 200
        return Response(code, body)
    if verb == "deletecollection":
        options = delete_options(request)
        list_request = Request(request.method, request.path,
                               tuple((k, v) for k, v in request.query if k not in ("limit",))
                               + (("limit", request.param("limit") or str(DELETE_COLLECTION_PAGE_SIZE)),),
                               None, request.user, request.groups)
        validate_delete_options(options)
        listed = await server._list(registry, ns, list_request)
        items = list(listed["items"])
        while listed["metadata"].get("continue") and not request.param("limit"):
            more = Request(request.method, request.path,
                           tuple((k, v) for k, v in list_request.query if k not in ("resourceVersion",
                                                                                  "resourceVersionMatch"))
                           + (("continue", listed["metadata"]["continue"]),), None, request.user, request.groups)
            listed = await server._list(registry, ns, more)
            items += listed["items"]
        await registry.delete_collection(ctx, ns, items, options)
        listed = dict(listed, items=items)
        listed["metadata"] = {k: v for k, v in listed["metadata"].items() if k == "resourceVersion"}
        return Response(200, listed)
    raise errors.method_not_supported(rinfo.qualified_resource, verb)


DELETE_COLLECTION_PAGE_SIZE = 10000          # store.go deleteCollectionPageSize


def _decision_annotations(decision) -> dict:
    """What the authorization filter adds to the audit event (authorization.k8s.io/decision, /reason)."""
    return {"authorization.k8s.io/decision": "allow" if decision.allowed else "forbid",
            "authorization.k8s.io/reason": decision.reason}


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
