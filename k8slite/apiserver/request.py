"""Requests and responses between clients and the API server, and RequestInfo parsing.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go``
(how a URL path and method become a verb, group, version, resource, name and
subresource) and the ``metav1.WatchEvent`` shape.

Simplified: in the simulation a request travels as this dataclass instead of HTTP
bytes; the HTTP front (server mode) translates to and from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote

from ..api.scheme import ResourceInfo

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone",
           413: "Request Entity Too Large", 422: "Unprocessable Entity", 500: "Internal Server Error",
           503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass(frozen=True, slots=True)
class Request:
    method: str                         # GET, POST, PUT, PATCH, DELETE
    path: str                           # /api/v1/namespaces/default/pods
    query: tuple = ()                   # ((key, value), ...) in the order given
    body: Any = None                    # a decoded object (dict) or None
    user: str = "system:anonymous"
    groups: tuple = ()
    content_type: str = "application/json"
    accept: str = "application/json"   # e.g. "application/json;as=Table;v=v1;g=meta.k8s.io" for server-side printing
    credential: Any = None              # what authenticates the caller: ("x509", cert PEM), ("token", str), or None

    def param(self, key: str, default: Optional[str] = None) -> Optional[str]:
        for k, v in self.query:
            if k == key:
                return v
        return default

    def line(self) -> str:
        query = "&".join(f"{k}={quote(str(v), safe='=,!()')}" for k, v in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''}"


@dataclass(frozen=True, slots=True)
class Response:
    code: int
    body: Any = None
    content_type: str = ""              # "" = JSON (or text/plain for a str body)
    warnings: tuple = ()                # sent as ``Warning: 299 - "..."`` headers over HTTP

    def status_line(self) -> str:
        return f"{self.code} {REASONS.get(self.code, '')}".rstrip()


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One event on a watch stream: ``{"type": ..., "object": ...}``."""
    watch_id: int
    type: str                           # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    object: dict


@dataclass(frozen=True, slots=True)
class RequestInfo:
    verb: str
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    is_resource: bool = True
    path_parts: tuple = field(default=())


def resource_path(info: ResourceInfo, namespace: str = "", name: str = "", subresource: str = "") -> str:
    """The REST path of a collection or object, as client-go builds it."""
    base = f"/api/{info.version}" if not info.group else f"/apis/{info.group}/{info.version}"
    if info.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{info.resource}"
    if name:
        base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
    return base


def parse_request_info(method: str, path: str, watch: bool = False) -> RequestInfo:
    """Turn a method and path into a RequestInfo, as RequestInfoFactory.NewRequestInfo."""
    parts = [p for p in path.strip("/").split("/") if p]
    verb_for = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(verb=method.lower(), is_resource=False, path_parts=tuple(parts))
    if parts[0] == "api":
        group, rest = "", parts[1:]
    else:
        if len(parts) < 3:
            return RequestInfo(verb=method.lower(), is_resource=False, path_parts=tuple(parts))
        group, rest = parts[1], parts[2:]
    if not rest:
        return RequestInfo(verb=method.lower(), is_resource=False, path_parts=tuple(parts))
    version, rest = rest[0], rest[1:]
    if not rest:                     # /api/v1, /apis/apps/v1: discovery, not a resource
        return RequestInfo(verb=method.lower(), is_resource=False, path_parts=tuple(parts))
    verb = verb_for.get(method, method.lower())
    namespace = ""
    if len(rest) >= 2 and rest[0] == "namespaces":
        if len(rest) == 2:           # /api/v1/namespaces/{name}: the Namespace itself
            return RequestInfo(verb, group, version, rest[1], "namespaces", rest[1])
        if len(rest) == 3 and rest[2] in ("status", "finalize"):
            return RequestInfo(verb, group, version, rest[1], "namespaces", rest[1], rest[2])
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if not name:
        if method in ("GET", "HEAD"):
            verb = "watch" if watch else "list"
        elif method == "DELETE":
            verb = "deletecollection"
    return RequestInfo(verb, group, version, namespace, resource, name, sub)
