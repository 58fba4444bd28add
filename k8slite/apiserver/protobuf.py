"""Protobuf request bodies: the ``application/vnd.kubernetes.protobuf`` that kubectl's typed clients send.

Mirrors kubernetes v1.33 ``staging/src/k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go``
(the 4-byte magic ``k8s\\x00``, then a ``runtime.Unknown``: ``typeMeta{apiVersion, kind}``,
``raw``, ``contentEncoding``, ``contentType``; ``raw`` is the object's own message) and the
``generated.proto`` of each type below, whose ``go-to-protobuf`` field numbers the tables copy
(apimachinery ``runtime`` and ``apis/meta/v1``; api ``core/v1``, ``apps/v1``, ``authentication/v1``,
``authorization/v1``, ``policy/v1``). ``decode`` gives the object as its JSON would be.

Go marshals every field it holds by value, empty or not; a pointer field only when set.
So a zero string, number or bool here is the Go zero value and is left out, as ``omitempty``
would, unless the field is a pointer (``*`` below), where zero was meant (``replicas: 0``).
A nested message that is present is kept even when empty (``"status": {}``, as Go's JSON
writes it); an empty ``metav1.Time`` is the zero time, which JSON writes as null, and is
left out.

Simplified: only the request kinds kubectl sends in protobuf are known, and of each only
the fields kubectl can set (ObjectMeta and DeleteOptions in full). An unknown kind, or a
field outside the tables that carries a value, is refused with 415 instead of being
dropped. Decoding only: the server answers in JSON, which kubectl's Accept allows. The
envelope must name its kind (upstream defaults a missing one from the endpoint).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Union

from ..api import errors
from .patch import unsupported_media_type

CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"            # protoEncodingPrefix: "k8s", then encoding style 0 = runtime.Unknown
ACCEPTED = ("application/json", "application/yaml", CONTENT_TYPE)   # what the 415 says the server takes

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5     # wire types (3 and 4, groups, are not used by Kubernetes)
# runtime/generated.proto: Unknown{typeMeta = 1, raw = 2, contentEncoding = 3, contentType = 4} and
# runtime.TypeMeta{apiVersion = 1, kind = 2} (meta/v1's TypeMeta numbers them the other way round).
UNKNOWN_TYPE_META, UNKNOWN_RAW = 1, 2
TYPE_META_API_VERSION, TYPE_META_KIND = 1, 2

# Each message as generated.proto declares it: "number jsonName type;". The type is a scalar
# (string, bytes, bool, int32, int64), a well-known wrapper (Time, Quantity, IntOrString,
# FieldsV1), or another message here; "*" marks a Go pointer, "[]" a repeated field and
# "map<T>" a map<string, T>. The default type is string.
_PROTO = {
    # k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
    "ObjectMeta": "1 name; 2 generateName; 3 namespace; 4 selfLink; 5 uid; 6 resourceVersion; 7 generation int64; "
                  "8 creationTimestamp Time; 9 deletionTimestamp Time; 10 deletionGracePeriodSeconds *int64; "
                  "11 labels map<string>; 12 annotations map<string>; 13 ownerReferences []OwnerReference; "
                  "14 finalizers []string; 17 managedFields []ManagedFieldsEntry",
    "OwnerReference": "5 apiVersion; 1 kind; 3 name; 4 uid; 6 controller *bool; 7 blockOwnerDeletion *bool",
    "ManagedFieldsEntry": "1 manager; 2 operation; 3 apiVersion; 4 time Time; 6 fieldsType; 7 fieldsV1 FieldsV1; "
                          "8 subresource",
    "DeleteOptions": "1 gracePeriodSeconds *int64; 2 preconditions Preconditions; 3 orphanDependents *bool; "
                     "4 propagationPolicy *string; 5 dryRun []string; "
                     "6 ignoreStoreReadErrorWithClusterBreakingPotential *bool",
    "Preconditions": "1 uid *string; 2 resourceVersion *string",
    "LabelSelector": "1 matchLabels map<string>; 2 matchExpressions []LabelSelectorRequirement",
    "LabelSelectorRequirement": "1 key; 2 operator; 3 values []string",
    # k8s.io/api/core/v1/generated.proto
    "Namespace": "1 metadata ObjectMeta; 2 spec NamespaceSpec; 3 status NamespaceStatus",
    "NamespaceSpec": "1 finalizers []string",
    "NamespaceStatus": "1 phase",
    "PodTemplateSpec": "1 metadata ObjectMeta; 2 spec PodSpec",
    "PodSpec": "20 initContainers []Container; 2 containers []Container; 3 restartPolicy; "
               "4 terminationGracePeriodSeconds *int64; 5 activeDeadlineSeconds *int64; 6 dnsPolicy; "
               "7 nodeSelector map<string>; 8 serviceAccountName; 9 serviceAccount; "
               "21 automountServiceAccountToken *bool; 10 nodeName; 11 hostNetwork bool; 12 hostPID bool; "
               "13 hostIPC bool; 16 hostname; 17 subdomain; 19 schedulerName; 24 priorityClassName; "
               "25 priority *int32",
    "Container": "1 name; 2 image; 3 command []string; 4 args []string; 5 workingDir; 6 ports []ContainerPort; "
                 "7 env []EnvVar; 8 resources ResourceRequirements; 13 terminationMessagePath; "
                 "20 terminationMessagePolicy; 14 imagePullPolicy; 16 stdin bool; 17 stdinOnce bool; 18 tty bool; "
                 "24 restartPolicy *string",
    "ContainerPort": "1 name; 2 hostPort int32; 3 containerPort int32; 4 protocol; 5 hostIP",
    "EnvVar": "1 name; 2 value",
    "ResourceRequirements": "1 limits map<Quantity>; 2 requests map<Quantity>",
    # k8s.io/api/apps/v1/generated.proto
    "Deployment": "1 metadata ObjectMeta; 2 spec DeploymentSpec; 3 status DeploymentStatus",
    "DeploymentSpec": "1 replicas *int32; 2 selector LabelSelector; 3 template PodTemplateSpec; "
                      "4 strategy DeploymentStrategy; 5 minReadySeconds int32; 6 revisionHistoryLimit *int32; "
                      "7 paused bool; 9 progressDeadlineSeconds *int32",
    "DeploymentStrategy": "1 type; 2 rollingUpdate RollingUpdateDeployment",
    "RollingUpdateDeployment": "1 maxUnavailable IntOrString; 2 maxSurge IntOrString",
    "DeploymentStatus": "1 observedGeneration int64; 2 replicas int32; 3 updatedReplicas int32; "
                        "7 readyReplicas int32; 4 availableReplicas int32; 5 unavailableReplicas int32; "
                        "9 terminatingReplicas *int32; 8 collisionCount *int32",
    # k8s.io/api/authentication/v1/generated.proto
    "TokenRequest": "1 metadata ObjectMeta; 2 spec TokenRequestSpec; 3 status TokenRequestStatus",
    "TokenRequestSpec": "1 audiences []string; 4 expirationSeconds *int64; 3 boundObjectRef BoundObjectReference",
    "BoundObjectReference": "1 kind; 2 apiVersion; 3 name; 4 uid",
    "TokenRequestStatus": "1 token; 2 expirationTimestamp Time",
    "TokenReview": "1 metadata ObjectMeta; 2 spec TokenReviewSpec; 3 status TokenReviewStatus",
    "TokenReviewSpec": "1 token; 2 audiences []string",
    "TokenReviewStatus": "1 authenticated bool; 2 user UserInfo; 4 audiences []string; 3 error",
    "SelfSubjectReview": "1 metadata ObjectMeta; 2 status SelfSubjectReviewStatus",
    "SelfSubjectReviewStatus": "1 userInfo UserInfo",
    "UserInfo": "1 username; 2 uid; 3 groups []string; 4 extra map<ExtraValue>",
    # k8s.io/api/authorization/v1/generated.proto
    "SelfSubjectAccessReview": "1 metadata ObjectMeta; 2 spec SelfSubjectAccessReviewSpec; "
                               "3 status SubjectAccessReviewStatus",
    "SelfSubjectAccessReviewSpec": "1 resourceAttributes ResourceAttributes; "
                                   "2 nonResourceAttributes NonResourceAttributes",
    "SubjectAccessReview": "1 metadata ObjectMeta; 2 spec SubjectAccessReviewSpec; 3 status SubjectAccessReviewStatus",
    "LocalSubjectAccessReview": "1 metadata ObjectMeta; 2 spec SubjectAccessReviewSpec; "
                                "3 status SubjectAccessReviewStatus",
    "SubjectAccessReviewSpec": "1 resourceAttributes ResourceAttributes; "
                               "2 nonResourceAttributes NonResourceAttributes; 3 user; 4 groups []string; "
                               "5 extra map<ExtraValue>; 6 uid",
    "ResourceAttributes": "1 namespace; 2 verb; 3 group; 4 version; 5 resource; 6 subresource; 7 name; "
                          "8 fieldSelector FieldSelectorAttributes; 9 labelSelector LabelSelectorAttributes",
    "FieldSelectorAttributes": "1 rawSelector; 2 requirements []FieldSelectorRequirement",
    "FieldSelectorRequirement": "1 key; 2 operator; 3 values []string",
    "LabelSelectorAttributes": "1 rawSelector; 2 requirements []LabelSelectorRequirement",
    "NonResourceAttributes": "1 path; 2 verb",
    "SubjectAccessReviewStatus": "1 allowed bool; 4 denied bool; 2 reason; 3 evaluationError",
    "SelfSubjectRulesReview": "1 metadata ObjectMeta; 2 spec SelfSubjectRulesReviewSpec; "
                              "3 status SubjectRulesReviewStatus",
    "SelfSubjectRulesReviewSpec": "1 namespace",
    "SubjectRulesReviewStatus": "3 incomplete bool; 4 evaluationError",
    # k8s.io/api/policy/v1/generated.proto
    "Eviction": "1 metadata ObjectMeta; 2 deleteOptions DeleteOptions",
}

# The kinds a request body may carry: (apiVersion, kind) -> message.
KINDS = {
    ("v1", "Namespace"): "Namespace",
    ("apps/v1", "Deployment"): "Deployment",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
    ("authentication.k8s.io/v1", "TokenReview"): "TokenReview",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1beta1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1alpha1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "SubjectAccessReview",
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): "LocalSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
    ("policy/v1", "Eviction"): "Eviction",
    ("policy/v1beta1", "Eviction"): "Eviction",
}
EVERY_VERSION = {"DeleteOptions": "DeleteOptions"}   # metav1.AddToGroupVersion registers it in each group version


@dataclass(frozen=True)
class Field:
    """One field of a message: its JSON name and how its bytes read."""
    name: str
    type: str                   # a scalar, a wrapper or a message name
    repeated: bool = False
    map: bool = False           # map<string, type>: repeated entries {1: key, 2: value}
    pointer: bool = False       # a Go pointer: present means set, so a zero value is kept


def _parse(spec: str) -> dict[int, Field]:
    fields = {}
    for decl in filter(None, (d.strip() for d in spec.split(";"))):
        number, name, *rest = decl.split()
        kind = rest[0] if rest else "string"
        repeated, is_map, pointer = kind.startswith("[]"), kind.startswith("map<"), kind.startswith("*")
        kind = kind[2:] if repeated else kind[4:-1] if is_map else kind.lstrip("*")
        fields[int(number)] = Field(name, kind, repeated, is_map, pointer)
    return fields


MESSAGES: dict[str, dict[int, Field]] = {name: _parse(spec) for name, spec in _PROTO.items()}
SCALARS = {"string", "bytes", "bool", "int32", "int64"}
WRAPPERS = {"Time", "Quantity", "IntOrString", "FieldsV1", "ExtraValue"}
assert all(f.type in SCALARS | WRAPPERS | MESSAGES.keys() for fields in MESSAGES.values() for f in fields.values())


class ProtobufError(Exception):
    """A body that cannot be decoded; ``status`` is the metav1.Status the API server answers with."""

    def __init__(self, message: str, status: errors.StatusError):
        super().__init__(message)
        self.status = status.status

    @property
    def code(self) -> int:
        return int(self.status["code"])


class DecodeError(ProtobufError):
    """Malformed protobuf: 400, as handlers/rest.go's transformDecodeError reports it."""


class UnsupportedKind(ProtobufError):
    """A kind, or a set field, with no table here: 415, negotiation's unsupported media type."""

    def __init__(self, message: str):
        super().__init__(message, unsupported_media_type(ACCEPTED))


class _Malformed(Exception):
    """gogo-protobuf's Unmarshal error text, before it is wrapped with the kind."""


def decode(raw: bytes) -> dict:
    """The JSON-shaped object in a ``k8s\\x00``-prefixed protobuf body, apiVersion and kind first."""
    if not raw.startswith(MAGIC):
        raise _unrecognized(raw, "provided data does not appear to be a protobuf message, expected prefix "
                                 "[107 56 115 0]")
    if len(raw) == len(MAGIC):
        raise _unrecognized(raw, "empty body")
    try:
        unknown = _wrapper(raw[len(MAGIC):], "Unknown", {UNKNOWN_TYPE_META: "raw", UNKNOWN_RAW: "raw"})
        type_meta = _wrapper(unknown.get(UNKNOWN_TYPE_META, b""), "TypeMeta",
                             {TYPE_META_API_VERSION: "string", TYPE_META_KIND: "string"})
    except _Malformed as error:
        raise _unrecognized(raw, str(error)) from None
    api_version, kind = type_meta.get(TYPE_META_API_VERSION, ""), type_meta.get(TYPE_META_KIND, "")
    if not kind or not api_version:
        missing = "Kind" if not kind else "Version"
        go = f'runtime.TypeMeta{{APIVersion:"{api_version}", Kind:"{kind}"}}'
        message = f"Object '{missing}' is missing in '{go}'"
        raise DecodeError(message, errors.bad_request(message))
    message = KINDS.get((api_version, kind)) or EVERY_VERSION.get(kind)
    if message is None:
        raise UnsupportedKind(f"k8slite decodes no protobuf {kind} in {api_version}; send it as JSON")
    try:
        obj = _message(unknown.get(UNKNOWN_RAW, b""), message)
    except _Malformed as error:
        version = api_version.rpartition("/")[2]
        raise DecodeError(str(error), errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {error}')) from None
    return {"apiVersion": api_version, "kind": kind, **obj}


def _unrecognized(raw: bytes, err: str) -> DecodeError:
    """transformDecodeError without a kind: the error and the first 30 bytes, in hex.

    Simplified: upstream names the endpoint's kind ("must be of type Pod"), unknown to the HTTP layer.
    """
    summary = raw[:30].hex() + (" ..." if len(raw) > 30 else "")
    return DecodeError(err, errors.bad_request(f"the object provided is unrecognized: {err} ({summary})"))


# -- the wire ------------------------------------------------------------------------

def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if shift >= 64:
            raise _Malformed("proto: integer overflow")
        if i >= len(data):
            raise _Malformed("unexpected EOF")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes, message: str) -> Iterator[tuple[int, int, Union[int, bytes]]]:
    """(field number, wire type, value) in wire order; a length-delimited value is its bytes."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if number <= 0 or wire in (3, 4) or wire > 5:
            raise _Malformed(f"proto: {message}: illegal tag {number} (wire type {wire})")
        if wire == VARINT:
            value, i = _varint(data, i)
        elif wire == LENGTH:
            length, i = _varint(data, i)
            if length > len(data) - i:
                raise _Malformed("unexpected EOF")
            value, i = data[i:i + length], i + length
        else:
            size = 8 if wire == FIXED64 else 4
            if i + size > len(data):
                raise _Malformed("unexpected EOF")
            value, i = int.from_bytes(data[i:i + size], "little"), i + size
        yield number, wire, value


def _check_wire(wire: int, kind: str, name: str) -> None:
    if wire != (VARINT if kind in ("bool", "int32", "int64") else LENGTH):
        raise _Malformed(f"proto: wrong wireType = {wire} for field {name[:1].upper()}{name[1:]}")


def _message(data: bytes, message: str) -> dict:
    """Decode ``data`` as ``message``: a dict in JSON shape (see the module docstring)."""
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data, message):
        field = table.get(number)
        if field is None:
            if value not in (0, b""):          # Go sends every by-value field; only a set one matters
                raise UnsupportedKind(f"k8slite decodes no field {number} of protobuf {message}; send it as JSON")
            continue
        if field.map:                          # an entry: message {key = 1; value = 2}
            _check_wire(wire, "entry", field.name)
            entry = _wrapper(value, field.name, {1: "string", 2: field.type})
            out.setdefault(field.name, {})[entry.get(1, "")] = entry[2] if 2 in entry else _value(b"", field.type)
            continue
        _check_wire(wire, field.type, field.name)
        decoded = _value(value, field.type)
        if field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif decoded is None or (field.type in SCALARS and not field.pointer and decoded in ("", 0, False)):
            out.pop(field.name, None)          # Go's zero value: what omitempty leaves out
        else:
            out[field.name] = decoded
    return out


def _wrapper(data: bytes, message: str, types: dict[int, str]) -> dict[int, Any]:
    """A small message's fields by number, decoded as ``types`` says ("raw": the bytes); others are skipped."""
    out: dict[int, Any] = {}
    for number, wire, value in _fields(data, message):
        if number in types:
            _check_wire(wire, types[number], message)
            out[number] = value if types[number] == "raw" else _value(value, types[number])
    return out


def _value(value: Union[int, bytes], kind: str) -> Any:
    if kind == "bool":
        return bool(value)
    if kind in ("int32", "int64"):
        return value - (1 << 64) if value >= 1 << 63 else value    # negatives are 10-byte two's complement
    if kind == "string":
        return value.decode("utf-8", "replace")
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "Time":                         # metav1.Time as a Timestamp{seconds = 1, nanos = 2}; empty = zero
        if not value:
            return None
        seconds = _wrapper(value, "Timestamp", {1: "int64", 2: "int32"}).get(1, 0)
        try:
            return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            raise _Malformed(f"Time seconds {seconds} out of range") from None
    if kind == "Quantity":                     # resource.Quantity{string = 1}
        return _wrapper(value, kind, {1: "string"}).get(1, "")
    if kind == "IntOrString":                  # intstr{type = 1 (0 Int, 1 String), intVal = 2, strVal = 3}
        v = _wrapper(value, kind, {1: "int64", 2: "int32", 3: "string"})
        return v.get(3, "") if v.get(1, 0) == 1 else v.get(2, 0)
    if kind == "FieldsV1":                     # metav1.FieldsV1{Raw = 1}: the JSON of a field set
        raw = _wrapper(value, kind, {1: "raw"}).get(1, b"")
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise _Malformed("FieldsV1 is not JSON") from None
    if kind == "ExtraValue":                   # ExtraValue{repeated items = 1}: a bare list in JSON
        items = []
        for number, wire, item in _fields(value, kind):
            if number == 1:
                _check_wire(wire, "string", "items")
                items.append(item.decode("utf-8", "replace"))
        return items
    return _message(value, kind)
