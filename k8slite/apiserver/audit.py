"""Audit: a policy decides how much of each request to keep; the log keeps audit.k8s.io/v1 Events.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go`` (Policy,
PolicyRule, GroupResources, Event, ObjectReference), ``pkg/audit/policy/checker.go`` (the
first matching rule gives the level and the stages to leave out; no match: None),
``pkg/audit/request.go`` (LogRequestMetadata, LogRequestObject, LogResponseObject: what
each level adds), ``pkg/endpoints/filters/audit.go`` (stages RequestReceived,
ResponseStarted for long-running requests such as watches, ResponseComplete; the
response code), ``plugin/pkg/audit/log/backend.go`` (one JSON event per line) and the
example policy of the Kubernetes documentation ("Auditing").

Levels, each adding to the one before: None (nothing), Metadata (who, what, when, the
answer's code), Request (the request body), RequestResponse (the response body too).

Simplified: events are kept in memory (and appended to a file if a path is given) and
written at once, without the buffered or batching backends, webhooks, ``omitManagedFields``
or impersonation. auditIDs count up from 1 in UUID form (upstream draws a random UUID or
takes the client's ``Audit-ID`` header) so that a replay writes the same log. Request
and response bodies are recorded as the decoded objects k8slite handles, not re-encoded.
"""
from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Iterable, Optional, Sequence

from ..api import errors
from ..api.meta import EPOCH
from ..api.scheme import SCHEME

LEVELS = ("None", "Metadata", "Request", "RequestResponse")
STAGES = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")


def micro_time(seconds: float) -> str:
    """metav1.MicroTime: virtual seconds -> ``2024-01-01T00:00:07.250000Z`` (RFC 3339, microseconds)."""
    t = EPOCH + timedelta(microseconds=round(seconds * 1_000_000))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- the policy -------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupResources:
    """Resources of one API group ("" is core); ``resources`` may be ``pods``, ``pods/log``,
    ``*/status``, ``pods/*`` or ``*``; empty means every resource of the group."""
    group: str = ""
    resources: tuple = ()
    resource_names: tuple = ()


@dataclass(frozen=True)
class PolicyRule:
    """A rule matches when every field it sets matches; unset fields match everything."""
    level: str
    users: tuple = ()
    user_groups: tuple = ()
    verbs: tuple = ()
    resources: tuple = ()               # GroupResources
    namespaces: tuple = ()              # "" selects cluster-scoped resources
    non_resource_urls: tuple = ()       # "/healthz", or "/api*" (a trailing * matches a prefix)
    omit_stages: tuple = ()


@dataclass(frozen=True)
class RequestAttributes:
    """authorizer.Attributes, as much of it as the policy reads."""
    user: str
    groups: tuple
    verb: str
    is_resource: bool
    api_group: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""


@dataclass(frozen=True)
class Policy:
    rules: tuple = ()
    omit_stages: tuple = ()

    @classmethod
    def from_dict(cls, d: dict) -> "Policy":
        """An ``audit.k8s.io/v1`` Policy object (as from YAML); raises ValueError if invalid."""
        causes: list[errors.Cause] = []
        if d.get("kind", "Policy") != "Policy" or d.get("apiVersion", "audit.k8s.io/v1") not in (
                "audit.k8s.io/v1", "audit.k8s.io/v1beta1"):
            raise ValueError(f"unexpected kind {d.get('apiVersion')}/{d.get('kind')}: want audit.k8s.io/v1 Policy")
        top_stages = tuple(d.get("omitStages") or ())
        causes += _check_stages(top_stages, "omitStages")
        rules = []
        for i, r in enumerate(d.get("rules") or []):
            path = f"rules[{i}]"
            level = r.get("level", "")
            if level not in LEVELS:
                causes.append(errors.not_supported(f"{path}.level", level, list(LEVELS)))
            if (r.get("resources") or r.get("namespaces")) and r.get("nonResourceURLs"):
                causes.append(errors.invalid_value(f"{path}.nonResourceURLs", r["nonResourceURLs"],
                                                   "rules cannot apply to both regular resources and "
                                                   "non-resource URLs"))
            stages = tuple(r.get("omitStages") or ())
            causes += _check_stages(stages, f"{path}.omitStages")
            resources = tuple(GroupResources(g.get("group", ""), tuple(g.get("resources") or ()),
                                             tuple(g.get("resourceNames") or ())) for g in r.get("resources") or [])
            rules.append(PolicyRule(level, tuple(r.get("users") or ()), tuple(r.get("userGroups") or ()),
                                    tuple(r.get("verbs") or ()), resources, tuple(r.get("namespaces") or ()),
                                    tuple(r.get("nonResourceURLs") or ()),
                                    tuple(dict.fromkeys(top_stages + stages))))
        if causes:
            raise ValueError(errors.aggregate([c.error_string() for c in causes]))
        return cls(tuple(rules), top_stages)

    @classmethod
    def from_yaml(cls, text: str) -> "Policy":
        import yaml
        return cls.from_dict(yaml.safe_load(text) or {})

    def level_and_stages(self, attrs: RequestAttributes) -> tuple[str, tuple]:
        """policyChecker.LevelAndStages: the first rule that matches decides; none: level None."""
        for rule in self.rules:
            if _rule_matches(rule, attrs):
                return rule.level, rule.omit_stages
        return "None", self.omit_stages


def _check_stages(stages: Iterable[str], path: str) -> list[errors.Cause]:
    return [errors.not_supported(f"{path}[{i}]", s, list(STAGES)) for i, s in enumerate(stages) if s not in STAGES]


def _rule_matches(r: PolicyRule, a: RequestAttributes) -> bool:
    if r.users and a.user not in r.users:
        return False
    if r.user_groups and not any(g in r.user_groups for g in a.groups):
        return False
    if r.verbs and a.verb not in r.verbs:
        return False
    if r.namespaces or r.resources:
        return _rule_matches_resource(r, a)
    if r.non_resource_urls:
        return not a.is_resource and any(_path_matches(a.path, spec) for spec in r.non_resource_urls)
    return True


def _path_matches(path: str, spec: str) -> bool:
    return spec == "*" or spec == path or (spec.endswith("*") and path.startswith(spec.rstrip("*")))


def _rule_matches_resource(r: PolicyRule, a: RequestAttributes) -> bool:
    if not a.is_resource:
        return False
    if r.namespaces and a.namespace not in r.namespaces:
        return False
    if not r.resources:
        return True
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    for gr in r.resources:
        if gr.group != a.api_group:
            continue
        if not gr.resources:
            return True
        for res in gr.resources:
            if gr.resource_names and a.name not in gr.resource_names:
                continue
            if res in (combined, "*"):
                return True
            if a.subresource and res.startswith("*/") and a.subresource == res[2:]:
                return True
            if res.endswith("/*") and a.resource == res[:-2]:
                return True
    return False


# The default: after the example policy of the Kubernetes docs, trimmed to what k8slite serves.
DEFAULT_POLICY_DOC = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    # Every request has a ResponseComplete event; RequestReceived would only repeat its metadata.
    "omitStages": ["RequestReceived"],
    "rules": [
        # The components' heartbeats: every node renews its Lease every 10 s.
        {"level": "None", "userGroups": ["system:nodes"],
         "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
        {"level": "None", "users": ["system:kube-scheduler", "system:kube-controller-manager"],
         "verbs": ["get", "update"], "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
        # Events the components record about what they did.
        {"level": "None", "userGroups": ["system:nodes"],
         "resources": [{"group": "", "resources": ["events"]}, {"group": "events.k8s.io", "resources": ["events"]}]},
        {"level": "None", "users": ["system:kube-scheduler", "system:kube-controller-manager"],
         "resources": [{"group": "", "resources": ["events"]}, {"group": "events.k8s.io", "resources": ["events"]}]},
        # Health checks and the version.
        {"level": "None", "nonResourceURLs": ["/healthz*", "/readyz*", "/livez*", "/version"]},
        # Secrets, config maps and tokens: who and when, never the contents.
        {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets", "configmaps",
                                                                        "serviceaccounts/token"]},
                                            {"group": "authentication.k8s.io", "resources": ["tokenreviews"]}]},
        # Everything else: metadata.
        {"level": "Metadata"},
    ],
}
DEFAULT_POLICY = Policy.from_dict(DEFAULT_POLICY_DOC)


# ---- the log ----------------------------------------------------------------------------

@dataclass(frozen=True)
class UserInfo:
    """The event's ``user`` (authentication/v1 UserInfo)."""
    username: str
    groups: tuple = ()
    uid: str = ""
    extra: tuple = ()                   # ((key, (value, ...)), ...)


@dataclass
class AuditContext:
    """One request's audit state: its ID, level and start, shared by all of its events."""
    audit_id: str
    level: str
    omit_stages: tuple
    received: float
    attributes: Any                     # RequestAttributes, or the authorizer's attributes
    request_uri: str
    user: UserInfo
    source_ips: tuple = ()
    user_agent: str = ""
    annotations: dict = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.level != "None"


def _user(user: Any, request: Any) -> UserInfo:
    """A UserInfo from what the caller has: ours, the authenticator's (``.name``), a dict, a
    (name, groups) pair, or a name (groups then from the request)."""
    if isinstance(user, UserInfo):
        return user
    if hasattr(user, "name") and hasattr(user, "groups"):
        return UserInfo(user.name, tuple(user.groups), getattr(user, "uid", ""), tuple(getattr(user, "extra", ())))
    if isinstance(user, dict):
        return UserInfo(user.get("username", ""), tuple(user.get("groups") or ()), user.get("uid", ""))
    if isinstance(user, (tuple, list)):
        return UserInfo(user[0], tuple(user[1]) if len(user) > 1 else ())
    return UserInfo(user or "", tuple(getattr(request, "groups", ()) or ()))


def _request_uri(request: Any) -> str:
    """The path and query as the client sent them (the ``line()`` of the request, without the method)."""
    return request.line().split(" ", 1)[1]


def _attributes(request: Any, info: Any, user: UserInfo) -> RequestAttributes:
    if getattr(info, "is_resource", False):
        return RequestAttributes(user.username, user.groups, info.verb, True, info.group, info.namespace,
                                 info.resource, info.subresource, info.name, request.path)
    return RequestAttributes(user.username, user.groups, request.method.lower(), False, path=request.path)


def _status(response: Any) -> dict:
    """The event's responseStatus: the code, and for a Status answer its status, message, reason, details."""
    out: dict = {"metadata": {}}
    body = getattr(response, "body", None)
    if isinstance(body, dict) and body.get("kind") == "Status":
        for key in ("status", "message", "reason", "details"):
            if body.get(key):
                out[key] = body[key]
    out["code"] = response.code
    return out


class AuditLog:
    """The audit backend: ``record`` one stage of one request; ``events`` holds what was kept.

    ``clock`` gives virtual seconds (``lambda: kernel.now``); ``path``, if given, gets every
    event appended as one JSON line, as ``--audit-log-path`` does.
    """

    def __init__(self, clock: Callable[[], float], policy: Policy = DEFAULT_POLICY, path: Optional[str] = None):
        self.clock, self.policy, self.path = clock, policy, path
        self.events: list[dict] = []        # in the order they were written
        self._next_id = 0

    def record(self, stage: str, request: Any, info: Any, user: Any, response: Any = None, *,
               context: Optional[AuditContext] = None, source_ips: Sequence[str] = (), user_agent: str = "",
               annotations: Optional[dict] = None, attributes: Any = None) -> AuditContext:
        """Write the event of ``stage`` for a request and return its context.

        The first call for a request (normally RequestReceived) makes the context: the policy
        picks the level, the request gets an auditID and its received time. Pass that context
        to the later calls (ResponseStarted, ResponseComplete). ``response`` is the Response
        (code and body) once there is one; ``annotations`` (e.g. from admission) join the
        event's annotations. ``attributes``, if given, are the authorizer's attributes of the
        request (anything with the fields of RequestAttributes, such as ``authz.Attributes``,
        whose name also comes from a ``metadata.name`` field selector); otherwise they are
        made from ``info``.
        """
        if stage not in STAGES:
            raise ValueError(f"unknown audit stage {stage!r}")
        if context is None:
            u = _user(user, request)
            attrs = attributes if attributes is not None else _attributes(request, info, u)
            level, omit = self.policy.level_and_stages(attrs)
            self._next_id += 1
            context = AuditContext(str(uuid.UUID(int=self._next_id, version=4)), level, omit, self.clock(), attrs,
                                   _request_uri(request), u, tuple(source_ips), user_agent)
        if annotations:
            context.annotations.update(annotations)
        if context.enabled and stage not in context.omit_stages:
            self._write(self._event(context, stage, request, response))
        return context

    def _event(self, ctx: AuditContext, stage: str, request: Any, response: Any) -> dict:
        a = ctx.attributes
        ev: dict = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": ctx.level, "auditID": ctx.audit_id,
                    "stage": stage, "requestURI": ctx.request_uri, "verb": a.verb}
        user: dict = {"username": ctx.user.username}
        if ctx.user.uid:
            user["uid"] = ctx.user.uid
        if ctx.user.groups:
            user["groups"] = list(ctx.user.groups)
        if ctx.user.extra:
            user["extra"] = {k: list(v) for k, v in ctx.user.extra}
        ev["user"] = user
        if ctx.source_ips:
            ev["sourceIPs"] = list(ctx.source_ips)
        if ctx.user_agent:
            ev["userAgent"] = ctx.user_agent
        body = request.body if isinstance(request.body, dict) else None
        if a.is_resource:
            ev["objectRef"] = self._object_ref(a, body if stage != "RequestReceived" and a.verb in (
                "create", "update") else None, request)
        if response is not None and stage != "RequestReceived":
            ev["responseStatus"] = _status(response)
        if LEVELS.index(ctx.level) >= LEVELS.index("Request") and stage != "RequestReceived" \
                and request.body is not None and a.verb not in ("get", "list", "watch"):
            ev["requestObject"] = self._request_object(a, request)
        if ctx.level == "RequestResponse" and stage == "ResponseComplete" and a.verb != "watch" \
                and response is not None and response.body is not None:
            ev["responseObject"] = copy.deepcopy(response.body)
        ev["requestReceivedTimestamp"] = micro_time(ctx.received)
        ev["stageTimestamp"] = micro_time(self.clock())
        if ctx.annotations:
            ev["annotations"] = {k: ctx.annotations[k] for k in sorted(ctx.annotations)}
        return ev

    @staticmethod
    def _object_ref(a: RequestAttributes, body: Optional[dict], request: Any) -> dict:
        """ObjectReference: from the URL, then (LogRequestObject) name, uid and resourceVersion from the body."""
        meta = (body or {}).get("metadata") or {}
        values = {"resource": a.resource, "namespace": a.namespace or meta.get("namespace", ""),
                  "name": a.name or meta.get("name", ""), "uid": meta.get("uid", ""), "apiGroup": a.api_group,
                  "apiVersion": _version(request.path), "resourceVersion": meta.get("resourceVersion", ""),
                  "subresource": a.subresource}
        return {k: v for k, v in values.items() if v}

    @staticmethod
    def _request_object(a: RequestAttributes, request: Any) -> Any:
        """The request body: the object for create and update (with its kind), the patch for patch."""
        obj = copy.deepcopy(request.body)
        if a.verb in ("create", "update") and not a.subresource and isinstance(obj, dict):
            try:
                info = SCHEME.by_resource(a.api_group, a.resource)
            except KeyError:
                return obj
            # Encoded from the decoded object, so kind and apiVersion are always there, first.
            obj = {"kind": obj.get("kind") or info.kind, "apiVersion": obj.get("apiVersion") or info.api_version,
                   **{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}}
        return obj

    def _write(self, event: dict) -> None:
        self.events.append(event)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(encode_event(event) + "\n")

    def lines(self) -> list[str]:
        """The log as ``--audit-log-path`` writes it: one JSON event per line."""
        return [encode_event(e) for e in self.events]

    def clear(self) -> None:
        self.events.clear()


def encode_event(event: dict) -> str:
    """Compact JSON with Go's HTML escaping (``<``, ``>``, ``&`` as ``\\u003c`` ...), as the log backend writes."""
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _version(path: str) -> str:
    """The version segment of ``/api/v1/...`` or ``/apis/<group>/<version>/...``."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        return parts[1]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[2]
    return ""
