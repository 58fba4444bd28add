"""API errors as real metav1 ``Status`` objects, and field causes as ``field.ErrorList``.

Mirrors kubernetes v1.31 staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go
(constructors and messages), apimachinery/pkg/util/validation/field/errors.go (cause
types and how a field error prints) and apimachinery/pkg/util/errors (how several
errors aggregate into ``[a, b]``).

Simplified: a bad value prints as Go would for strings, numbers, booleans and
``map[string]string``; any other value prints as compact JSON (Go prints ``%#v``) unless
the caller hands in a ``GoValue`` carrying the exact Go rendering. ``RetryAfterSeconds``
is only set for ``timeout`` and ``too_many_requests``. There is no ``NotAcceptable``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

OPTIMISTIC_LOCK_ERROR = ("the object has been modified; please apply your changes to the "
                         "latest version and try again")

# field.ErrorType -> (printed type, metav1.CauseType reason)
_CAUSE_TYPES = {
    "Required": ("Required value", "FieldValueRequired"),
    "Invalid": ("Invalid value", "FieldValueInvalid"),
    "NotSupported": ("Unsupported value", "FieldValueNotSupported"),
    "Duplicate": ("Duplicate value", "FieldValueDuplicate"),
    "Forbidden": ("Forbidden", "FieldValueForbidden"),
    "TooLong": ("Too long", "FieldValueTooLong"),
    "TooMany": ("Too many", "FieldValueTooMany"),
    "NotFound": ("Not found", "FieldValueNotFound"),
    "Internal": ("Internal error", "InternalError"),
}
# Types whose body never shows the bad value (field.Error.ErrorBody).
_NO_VALUE = {"Required", "Forbidden", "TooLong", "Internal"}


class GoValue(str):
    """A bad value already rendered the way Go's ``%v``/``%#v``/``String()`` prints it."""


def go_value(value: Any) -> str:
    """Render a bad value as field.Error.ErrorBody does."""
    if isinstance(value, GoValue):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # %q for printable ASCII
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Cause:
    """One field error (field.Error): type is a key of the table above, e.g. "Invalid"."""
    type: str
    field: str
    message: str = ""
    value: Any = None

    @property
    def reason(self) -> str:
        return _CAUSE_TYPES[self.type][1]

    def body(self) -> str:
        """field.Error.ErrorBody: the type, the bad value where it shows, the detail."""
        s = _CAUSE_TYPES[self.type][0]
        if self.type not in _NO_VALUE:
            s += ": " + go_value(self.value)
        if self.message:
            s += ": " + self.message
        return s

    def error_string(self) -> str:
        return f"{self.field}: {self.body()}"

    def to_status_cause(self) -> dict:
        return {"reason": self.reason, "message": self.body(), "field": self.field}


def required(field: str, message: str = "") -> Cause:
    return Cause("Required", field, message)


def invalid_value(field: str, value: Any, message: str) -> Cause:
    return Cause("Invalid", field, message, value)


def not_supported(field: str, value: Any, supported: list[str]) -> Cause:
    detail = "supported values: " + ", ".join(json.dumps(s) for s in supported) if supported else ""
    return Cause("NotSupported", field, detail, value)


def duplicate(field: str, value: Any) -> Cause:
    return Cause("Duplicate", field, "", value)


def forbidden_field(field: str, message: str) -> Cause:
    return Cause("Forbidden", field, message)


def aggregate(messages: list[str]) -> str:
    """utilerrors.Aggregate.Error(): one message alone, several as ``[a, b]``, deduplicated."""
    seen: list[str] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


class StatusError(Exception):
    """An error the API server returns, carrying its metav1.Status."""

    def __init__(self, status: dict):
        super().__init__(status.get("message", ""))
        self.status = status

    @property
    def code(self) -> int:
        return int(self.status.get("code", 0))

    @property
    def reason(self) -> str:
        return self.status.get("reason", "")

    @property
    def message(self) -> str:
        return self.status.get("message", "")

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"StatusError({self.code} {self.reason}: {self.message})"


def _status(code: int, reason: str, message: str, details: Optional[dict] = None) -> StatusError:
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": message, "reason": reason}
    if details is not None:
        status["details"] = details
    status["code"] = code
    return StatusError(status)


def _split(qualified: str) -> tuple[str, str]:
    """"deployments.apps" -> ("deployments", "apps"); "pods" -> ("pods", "")."""
    name, _, group = qualified.partition(".")
    return name, group


def _details(qualified_resource: str, name: str = "") -> dict:
    resource, group = _split(qualified_resource)
    d: dict = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = resource
    return d


def not_found(qualified_resource: str, name: str) -> StatusError:
    return _status(404, "NotFound", f"{qualified_resource} {json.dumps(name)} not found",
                   _details(qualified_resource, name))


def already_exists(qualified_resource: str, name: str) -> StatusError:
    return _status(409, "AlreadyExists", f"{qualified_resource} {json.dumps(name)} already exists",
                   _details(qualified_resource, name))


def conflict(qualified_resource: str, name: str, err: str) -> StatusError:
    return _status(409, "Conflict",
                   f"Operation cannot be fulfilled on {qualified_resource} {json.dumps(name)}: {err}",
                   _details(qualified_resource, name))


def invalid(qualified_kind: str, name: str, causes: list[Cause]) -> StatusError:
    message = f"{qualified_kind} {json.dumps(name)} is invalid"
    if causes:
        message += ": " + aggregate([c.error_string() for c in causes])
    kind, _, group = qualified_kind.partition(".")
    details: dict = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [c.to_status_cause() for c in causes]
    return _status(422, "Invalid", message, details)


def bad_request(message: str) -> StatusError:
    return _status(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return _status(401, "Unauthorized", message)


def rbac_forbidden_message(user: str, verb: str, resource: str, group: str, namespace: str,
                           subresource: str = "") -> str:
    """The RBAC authorizer's reason, as apiserver/pkg/endpoints/handlers/responsewriters writes it."""
    if subresource:
        resource = f"{resource}/{subresource}"
    where = (f"in the namespace {json.dumps(namespace)}" if namespace else "at the cluster scope")
    return (f"User {json.dumps(user)} cannot {verb} resource {json.dumps(resource)} "
            f"in API group {json.dumps(group)} {where}")


def forbidden(qualified_resource: str, name: str, message: str) -> StatusError:
    if name:
        text = f"{qualified_resource} {json.dumps(name)} is forbidden: {message}"
    else:
        text = f"{qualified_resource} is forbidden: {message}"
    return _status(403, "Forbidden", text, _details(qualified_resource, name))


def gone(message: str) -> StatusError:
    return _status(410, "Gone", message)


def expired(message: str) -> StatusError:
    return _status(410, "Expired", message)


def too_large(message: str) -> StatusError:
    return _status(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def unsupported_media_type(message: str) -> StatusError:
    """negotiation.errUnsupportedMediaType: a body in a format the endpoint does not take."""
    return _status(415, "UnsupportedMediaType", message)


def too_many_requests(message: str, retry_after_seconds: int = 0, causes: Optional[list] = None) -> StatusError:
    """NewTooManyRequests: the client should retry later (429); ``details`` always present."""
    details: dict = {}
    if causes:
        details["causes"] = causes
    if retry_after_seconds:
        details["retryAfterSeconds"] = retry_after_seconds
    return _status(429, "TooManyRequests", message, details)


def without_reason(message: str, code: int = 500) -> StatusError:
    """What responsewriters.ErrorToAPIStatus makes of an error that is not a Status: the
    error's text with code 500 and no reason (etcd's "request is too large", for one)."""
    return StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": message, "code": code})


def method_not_supported(qualified_resource: str, verb: str) -> StatusError:
    return _status(405, "MethodNotAllowed",
                   f"{verb} is not supported on resources of kind {json.dumps(qualified_resource)}",
                   _details(qualified_resource))


def internal(message: str) -> StatusError:
    return _status(500, "InternalError", f"Internal error occurred: {message}",
                   {"causes": [{"message": message}]})


def timeout(message: str, retry_after_seconds: int = 0, causes: Optional[list] = None) -> StatusError:
    details: dict = {}
    if causes:
        details["causes"] = causes
    if retry_after_seconds:
        details["retryAfterSeconds"] = retry_after_seconds
    return _status(504, "Timeout", f"Timeout: {message}", details)


def service_unavailable(message: str) -> StatusError:
    return _status(503, "ServiceUnavailable", message)


def from_status(status: dict) -> StatusError:
    """Rebuild the error from a Status received over the wire."""
    full = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    full.update(status)
    return StatusError(full)


def is_not_found(e: BaseException) -> bool:
    return isinstance(e, StatusError) and e.reason == "NotFound"


def is_already_exists(e: BaseException) -> bool:
    return isinstance(e, StatusError) and e.reason == "AlreadyExists"


def is_conflict(e: BaseException) -> bool:
    return isinstance(e, StatusError) and e.reason == "Conflict"


def is_invalid(e: BaseException) -> bool:
    return isinstance(e, StatusError) and e.reason == "Invalid"
