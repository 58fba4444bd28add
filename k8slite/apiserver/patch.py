"""The three patch formats the API server accepts: JSON merge, JSON patch, strategic merge.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go``
(which format by Content-Type), RFC 7386 (merge patch), RFC 6902 (JSON patch) and
``staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go``.

Simplified: strategic merge knows the list merge keys of the fields components and
kubectl patch most (containers, ports, env, volumes, conditions, ...) from a table
instead of the Go struct tags, and supports ``$patch: delete|replace`` and
``$retainKeys``; ``$setElementOrder`` and ``$deleteFromPrimitiveList`` are ignored.
"""
from __future__ import annotations

import copy
from typing import Any

from ..api import errors

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"

# field name -> merge key, as the patchMergeKey struct tags say in k8s.io/api.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
              "ports": "containerPort", "env": "name", "volumes": "name", "volumeMounts": "mountPath",
              "volumeDevices": "devicePath", "conditions": "type", "imagePullSecrets": "name",
              "containerStatuses": "name", "initContainerStatuses": "name", "addresses": "type",
              "ownerReferences": "uid", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
              "podIPs": "ip", "hostIPs": "ip", "taints": "key"}
MERGED_PRIMITIVE_LISTS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise errors.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(target: Any, operations: list) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    doc = copy.deepcopy(target)
    for op in operations:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        if kind in ("move", "copy"):
            value = _get(doc, _pointer(op.get("from", "")))
            if kind == "move":
                doc = _remove(doc, _pointer(op["from"]))
            doc = _add(doc, parts, copy.deepcopy(value))
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            doc = _add(_remove(doc, parts), parts, copy.deepcopy(op.get("value")))
        elif kind == "test":
            if _get(doc, parts) != op.get("value"):
                raise errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                          "message": "the server rejected our request due to an error in our request",
                                          "reason": "Invalid", "code": 422})
        else:
            raise errors.bad_request(f"Unexpected kind: {kind}")
    return doc


def _get(doc, parts):
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _add(doc, parts, value):
    if not parts:
        return value
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        parent[last] = value
    return doc


def _remove(doc, parts):
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        if last not in parent:
            raise errors.bad_request(f"the server rejected our request: missing path {'/'.join(parts)}")
        del parent[last]
    return doc


def strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    if not isinstance(patch, dict) or not isinstance(target, (dict, type(None))):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target or {})
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS:
            result[key] = _merge_list(result.get(key) or [], value, _merge_key(key, value), key)
        elif isinstance(value, list) and key in MERGED_PRIMITIVE_LISTS:
            existing = list(result.get(key) or [])
            result[key] = existing + [v for v in value if v not in existing]
        else:
            result[key] = strategic_merge_patch(result.get(key), value, key)
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_key(field: str, items: list) -> str:
    """The merge key of a list: a Service's ``ports`` merge on ``port``, a container's on ``containerPort``."""
    if field == "ports" and any(isinstance(i, dict) and "port" in i and "containerPort" not in i for i in items):
        return "port"
    return MERGE_KEYS[field]


def _merge_list(current: list, patch: list, key: str, field: str) -> list:
    merged = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            if isinstance(item, dict) and item.get("$patch") == "replace":
                return [copy.deepcopy(i) for i in patch if i is not item]
            merged.append(copy.deepcopy(item))
            continue
        index = next((i for i, old in enumerate(merged) if isinstance(old, dict) and old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
        else:
            merged[index] = strategic_merge_patch(merged[index], item, field)
    return merged


def apply_patch(target: dict, patch: Any, content_type: str) -> dict:
    if content_type == MERGE:
        return merge_patch(target, patch)
    if content_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        return json_patch(target, patch)
    if content_type == STRATEGIC:
        return strategic_merge_patch(target, patch)
    raise errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": f"the body of the request was in an unknown format - accepted media "
                                         f"types include: {JSON_PATCH}, {MERGE}, {STRATEGIC}",
                              "reason": "UnsupportedMediaType", "code": 415})
