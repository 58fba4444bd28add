"""The patch formats the API server accepts: JSON merge patch, JSON patch, strategic merge patch.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go``
(which format by Content-Type, 415 for others, how each failure surfaces),
``github.com/evanphx/json-patch`` v4 (RFC 7386 merge patch and RFC 6902 JSON patch as the
API server runs them) and ``staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go``
(``StrategicMergeMapPatch``: ``mergeMap``, ``mergeSlice``, ``$patch``, ``$retainKeys``,
``$setElementOrder/<list>``, ``$deleteFromPrimitiveList/<list>``, ordering by
``normalizeElementOrder``), with the error texts of ``util/mergepatch/errors.go``.

What a list field does under a strategic merge patch comes from the Go struct tags
(``patchStrategy:"merge" patchMergeKey:"name"``) of ``k8s.io/api``; ``PATCH_META`` holds
them for the built-in kinds, type by type.

Simplified: fields missing from ``PATCH_META`` behave as untagged fields (maps merge,
lists are replaced) where upstream refuses a field its struct does not have; a
strategic merge patch applies to the JSON of the object rather than to a decoded Go
struct, so directive keys (``$patch``...) left inside newly added values are dropped
afterwards, as decoding into the struct would; no server-side apply
(``application/apply-patch+yaml``).
"""
from __future__ import annotations

import copy
import json
from typing import Any, Optional

from ..api import errors

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
BUILTIN_PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC)
CUSTOM_PATCH_TYPES = (JSON_PATCH, MERGE)          # custom resources have no strategic merge patch
MAX_JSON_PATCH_OPERATIONS = 10000                 # patch.go maxJSONPatchOperations

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"

# util/mergepatch/errors.go
ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST = "invalid patch format of setElementOrder list"
ERR_NO_LIST_OF_LISTS = "lists of lists are not supported"
# interpretStrategicMergePatchError: these are the client's fault (400) ...
_BAD_REQUEST = {ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST, ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS,
                ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST, "invalid JSON document",
                "strategic merge patch format is not supported"}
# ... these are 422; anything else reaches the client as a 500 without a reason.
_INVALID = {ERR_NO_LIST_OF_LISTS, "patch content doesn't match retainKeys list"}


def _f(type_name: Optional[str] = None, strategy: str = "", merge_key: str = "") -> tuple:
    return type_name, strategy, merge_key


_META = {"metadata": _f("ObjectMeta")}
_CONDITIONS = {"conditions": _f(None, "merge", "type")}
# Type name -> json field -> (type of the field or of its list elements, patchStrategy, patchMergeKey).
PATCH_META: dict[str, dict[str, tuple]] = {
    "ObjectMeta": {"finalizers": _f(None, "merge"), "ownerReferences": _f(None, "merge", "uid")},
    "PodTemplateSpec": {**_META, "spec": _f("PodSpec")},
    "PodSpec": {
        "volumes": _f(None, "merge,retainKeys", "name"), "initContainers": _f("Container", "merge", "name"),
        "containers": _f("Container", "merge", "name"), "ephemeralContainers": _f("Container", "merge", "name"),
        "imagePullSecrets": _f(None, "merge", "name"), "hostAliases": _f(None, "merge", "ip"),
        "topologySpreadConstraints": _f(None, "merge", "topologyKey"),
        "resourceClaims": _f(None, "merge,retainKeys", "name"), "schedulingGates": _f(None, "merge", "name")},
    "Container": {"ports": _f(None, "merge", "containerPort"), "env": _f(None, "merge", "name"),
                  "volumeMounts": _f(None, "merge", "mountPath"), "volumeDevices": _f(None, "merge", "devicePath")},
    "PodStatus": {**_CONDITIONS, "podIPs": _f(None, "merge", "ip"), "hostIPs": _f(None, "merge", "ip"),
                  "resourceClaimStatuses": _f(None, "merge,retainKeys", "name")},
    "Pod": {**_META, "spec": _f("PodSpec"), "status": _f("PodStatus")},
    "PodTemplate": {**_META, "template": _f("PodTemplateSpec")},
    "Node": {**_META, "spec": _f("NodeSpec"), "status": _f("NodeStatus")},
    "NodeSpec": {"podCIDRs": _f(None, "merge")},
    "NodeStatus": {**_CONDITIONS, "addresses": _f(None, "merge", "type")},
    "Service": {**_META, "spec": _f("ServiceSpec"), "status": _f("ConditionsStatus")},
    "ServiceSpec": {"ports": _f(None, "merge", "port")},
    "Namespace": {**_META, "status": _f("ConditionsStatus")},
    "PersistentVolumeClaim": {**_META, "status": _f("ConditionsStatus")},
    "ReplicationController": {**_META, "spec": _f("WorkloadSpec"), "status": _f("ConditionsStatus")},
    "Deployment": {**_META, "spec": _f("DeploymentSpec"), "status": _f("ConditionsStatus")},
    "DeploymentSpec": {"template": _f("PodTemplateSpec"), "strategy": _f(None, "retainKeys")},
    "ReplicaSet": {**_META, "spec": _f("WorkloadSpec"), "status": _f("ConditionsStatus")},
    "StatefulSet": {**_META, "spec": _f("WorkloadSpec"), "status": _f("ConditionsStatus")},
    "DaemonSet": {**_META, "spec": _f("WorkloadSpec"), "status": _f("ConditionsStatus")},
    "Job": {**_META, "spec": _f("WorkloadSpec"), "status": _f("ConditionsStatus")},
    "CronJob": {**_META, "spec": _f("CronJobSpec")},
    "CronJobSpec": {"jobTemplate": _f("JobTemplateSpec")},
    "JobTemplateSpec": {**_META, "spec": _f("WorkloadSpec")},
    "WorkloadSpec": {"template": _f("PodTemplateSpec")},
    "PodDisruptionBudget": {**_META, "status": _f("ConditionsStatus")},
    "HorizontalPodAutoscaler": {**_META, "status": _f("ConditionsStatus")},
    "ConditionsStatus": _CONDITIONS,
    "_Object": _META,
}
# Kinds whose ``data`` is a runtime.RawExtension: opaque to the patch's directive stripping.
OPAQUE_DATA = ("ControllerRevision",)


class PatchError(Exception):
    """A strategic merge patch error, with the message mergepatch/strategicpatch give."""


# -- entry point ---------------------------------------------------------------------

def apply_patch(target: dict, patch: Any, content_type: str, kind: str = "", builtin: bool = True) -> Any:
    """Apply ``patch`` of ``content_type`` to a copy of ``target``; errors are Status errors."""
    media = (content_type or "").split(";")[0].strip()
    accepted = BUILTIN_PATCH_TYPES if builtin else CUSTOM_PATCH_TYPES
    if media not in accepted:
        raise unsupported_media_type(accepted)
    if media == MERGE:
        return merge_patch_document(target, patch)
    if media == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise errors.bad_request(f"json: cannot unmarshal {json_kind(patch)} into Go value of type "
                                 "map[string]interface {}")
    try:
        result = strategic_merge_patch(copy.deepcopy(target), copy.deepcopy(patch), kind)
    except PatchError as error:
        message = str(error)
        if message in _BAD_REQUEST:
            raise errors.bad_request(message) from None
        if message in _INVALID:
            raise generic_invalid() from None
        raise errors.without_reason(message) from None
    opaque = result.pop("data", None) if kind in OPAQUE_DATA and isinstance(result, dict) else None
    result = _strip_directives(result)
    if opaque is not None:
        result["data"] = opaque             # a RawExtension is kept as given, directive-looking keys and all
    return result


def unsupported_media_type(accepted) -> errors.StatusError:
    """negotiation.NewUnsupportedMediaTypeError."""
    return errors.unsupported_media_type(
        "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted))


def generic_invalid() -> errors.StatusError:
    """errors.NewGenericServerResponse(422, ...): how a patch that cannot apply reaches the client."""
    return errors.StatusError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "the server rejected our request due to an error in our request",
                               "reason": "Invalid", "details": {}, "code": 422})


def json_kind(value: Any) -> str:
    """The JSON type name Go's decoder uses in its errors (array, string, bool, number, object)."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "object"


# -- RFC 7386 merge patch ----------------------------------------------------------------

def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return _prune_nulls(copy.deepcopy(patch))
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = _prune_nulls(copy.deepcopy(value))
    return result


def _prune_nulls(value: Any) -> Any:
    """pruneDocNulls/pruneAryNulls: a value added whole loses the nulls of its objects."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


def merge_patch_document(target: dict, patch: Any) -> Any:
    """jsonpatch.MergePatch on a whole document: a null or scalar patch is "Invalid JSON Patch"."""
    if isinstance(patch, dict):
        return merge_patch(target, patch)
    if isinstance(patch, list):
        return _prune_nulls(copy.deepcopy(patch))
    raise errors.without_reason("Invalid JSON Patch")


# -- RFC 6902 JSON patch ----------------------------------------------------------------

class _JSONPatchError(Exception):
    """evanphx/json-patch's error; the handler turns every one into the same 422."""


_MISSING = object()


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise _JSONPatchError("operation missing path")
    if path == "":
        return []
    if not path.startswith("/"):
        raise _JSONPatchError(f"invalid path: {path}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 as evanphx/json-patch v4 applies it: add, remove, replace, move, copy, test.

    A patch that is not a list of operations is a 400; an operation that does not apply
    (a missing path, a failed ``test``) is a 422 with the generic message.
    """
    if not isinstance(operations, list):
        raise errors.bad_request(f"json: cannot unmarshal {json_kind(operations)} into Go value of type "
                                 "jsonpatch.Patch")
    if any(not isinstance(op, dict) for op in operations):
        bad = next(op for op in operations if not isinstance(op, dict))
        raise errors.bad_request(f"json: cannot unmarshal {json_kind(bad)} into Go value of type "
                                 "jsonpatch.Operation")
    if len(operations) > MAX_JSON_PATCH_OPERATIONS:
        raise errors.too_large(f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
                               f"got {len(operations)}")
    doc = copy.deepcopy(target)
    try:
        for op in operations:
            doc = _apply_operation(doc, op)
    except _JSONPatchError:
        raise generic_invalid() from None
    return doc


def _apply_operation(doc: Any, op: dict) -> Any:
    kind = op.get("op")
    if kind == "add":
        return _add(doc, _pointer(op.get("path")), copy.deepcopy(op.get("value")))
    if kind == "remove":
        return _remove(doc, _pointer(op.get("path")))
    if kind == "replace":
        parts = _pointer(op.get("path"))
        if not parts:
            return copy.deepcopy(op.get("value"))
        parent, key = _container(doc, parts)
        if _child(parent, key) is _MISSING:
            raise _JSONPatchError(f"replace operation does not apply: doc is missing key: {op['path']}")
        _set(parent, key, copy.deepcopy(op.get("value")))
        return doc
    if kind in ("move", "copy"):
        source = _pointer(op.get("from"))
        parent, key = _container(doc, source)
        value = _child(parent, key)
        if value is _MISSING:
            raise _JSONPatchError(f"{kind} operation does not apply: doc is missing from path: {op['from']}")
        if kind == "move":
            doc = _remove(doc, source)
        return _add(doc, _pointer(op.get("path")), copy.deepcopy(value))
    if kind == "test":
        parts = _pointer(op.get("path"))
        actual = doc if not parts else _child(*_container(doc, parts))
        wanted = op.get("value")
        if actual is _MISSING:
            if wanted is None:            # a missing key tests equal to null in json-patch v4
                return doc
            raise _JSONPatchError(f"testing value {op['path']} failed: test failed")
        if not _json_equal(actual, wanted):
            raise _JSONPatchError(f"testing value {op['path']} failed: test failed")
        return doc
    raise _JSONPatchError(f"Unexpected kind: {kind}")


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _container(doc: Any, parts: list[str]) -> tuple[Any, str]:
    """findObject: the parent of the path's last element, which must exist."""
    node = doc
    for part in parts[:-1]:
        node = _child(node, part)
        if node is _MISSING or not isinstance(node, (dict, list)):
            raise _JSONPatchError(f"doc is missing path: \"/{'/'.join(parts)}\"")
    if not isinstance(node, (dict, list)):
        raise _JSONPatchError(f"doc is missing path: \"/{'/'.join(parts)}\"")
    return node, parts[-1]


def _index(items: list, key: str, allow_end: bool = False) -> int:
    try:
        i = int(key)
    except ValueError:
        raise _JSONPatchError(f"Unable to access invalid index: {key}") from None
    if i < 0:
        i += len(items)
    if i < 0 or i > len(items) or (i == len(items) and not allow_end):
        raise _JSONPatchError(f"Unable to access invalid index: {key}")
    return i


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list):
        try:
            return node[_index(node, key)]
        except _JSONPatchError:
            return _MISSING
    return _MISSING


def _set(node: Any, key: str, value: Any) -> None:
    if isinstance(node, dict):
        node[key] = value
    else:
        node[_index(node, key)] = value


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, key = _container(doc, parts)
    if isinstance(parent, dict):
        parent[key] = value
    elif key == "-":
        parent.append(value)
    else:
        parent.insert(_index(parent, key, allow_end=True), value)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        raise _JSONPatchError("remove operation does not apply: doc is missing path: \"\"")
    parent, key = _container(doc, parts)
    if isinstance(parent, dict):
        if key not in parent:
            raise _JSONPatchError(f"error in remove for path: '/{'/'.join(parts)}': "
                                  f"Unable to remove nonexistent key: {key}: missing value")
        del parent[key]
    else:
        del parent[_index(parent, key)]
    return doc


# -- strategic merge patch ----------------------------------------------------------------

def strategic_merge_patch(original: Any, patch: dict, kind: str = "") -> Any:
    """StrategicMergeMapPatch: merge ``patch`` into ``original`` (both may be changed). A built-in kind
    without its own entry still has ObjectMeta's tags (every object embeds it)."""
    if kind and kind not in PATCH_META:
        kind = "_Object"
    return _merge_map(original, patch, kind or None)


def _lookup(type_name: Optional[str], key: str) -> tuple:
    """forkedjson.LookupPatchMetadata: (field type, [strategies], merge key)."""
    field = PATCH_META.get(type_name or "", {}).get(key)
    if field is None:
        return None, [], ""
    field_type, strategy, merge_key = field
    return field_type, [s for s in strategy.split(",") if s], merge_key


def _strategy(strategies: list[str]) -> tuple[bool, str]:
    """extractRetainKeysPatchStrategy: (retainKeys?, the other strategy)."""
    retain = "retainKeys" in strategies
    others = [s for s in strategies if s != "retainKeys"]
    if len(others) > 1:
        raise PatchError(f"unexpected patch strategy: {','.join(strategies)}")
    return retain, others[0] if others else ""


def _merge_map(original: Any, patch: dict, type_name: Optional[str]) -> Any:
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            del patch[DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {go_format(directive)} in map: {go_format(patch)}")
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, type_name)
    # Keys in sorted order: "$deleteFromPrimitiveList/x" is handled before "x" (Go's map order is random).
    for key in sorted(patch):
        value = patch[key]
        is_delete_list = False
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
            key = _extract_key(key, DELETE_FROM_PRIMITIVE_LIST)
            is_delete_list = True
        if value is None:
            original.pop(key, None)
            continue                                   # IgnoreUnmatchedNulls
        if key not in original:
            # Upstream quirk kept: a $deleteFromPrimitiveList for an absent list becomes that list.
            original[key] = value
            continue
        if type(original[key]) is not type(value) or not isinstance(value, (dict, list)):
            original[key] = value
            continue
        field_type, strategies, merge_key = _lookup(type_name, key)
        _, strategy = _strategy(strategies)
        if isinstance(value, dict):
            original[key] = value if strategy == "replace" else _merge_map(original[key], value, field_type)
        else:
            original[key] = _merge_slice_handler(original[key], value, field_type, strategy, merge_key,
                                                 is_delete_list)
    return original


def _extract_key(key: str, prefix: str) -> str:
    head, _, rest = key.partition("/")
    if not rest or head != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST:
            raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST)
        raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST)
    return rest


def _apply_retain_keys(original: dict, patch: dict) -> None:
    """applyRetainKeysDirective: clear the keys of ``original`` that the list does not name."""
    if RETAIN_KEYS not in patch:
        return
    keep = patch.pop(RETAIN_KEYS)
    if not isinstance(keep, list):
        raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    for key, value in patch.items():
        if value is None or key.startswith(DELETE_FROM_PRIMITIVE_LIST) or key.startswith(SET_ELEMENT_ORDER):
            continue
        if key not in keep:
            raise PatchError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    for key in list(original):
        if key not in keep:
            del original[key]


def _merge_set_element_order(original: dict, patch: dict, type_name: Optional[str]) -> None:
    """mergePatchIntoOriginal: merge each list that has a $setElementOrder, then order it."""
    for directive in sorted(k for k in patch if k.startswith(SET_ELEMENT_ORDER)):
        order = patch.pop(directive)
        if not isinstance(order, list):
            raise PatchError(f"expected a []interface {{}}, but received a {_go_type(order)}")
        key = _extract_key(directive, SET_ELEMENT_ORDER)
        found_original, found_patch = key in original, key in patch
        original_list = original.get(key) if found_original else None
        patch_list = patch.get(key) if found_patch else None
        for value in (original_list, patch_list):
            if value is not None and not isinstance(value, list):
                raise PatchError(f"expected a []interface {{}}, but received a {_go_type(value)}")
        field_type, strategies, merge_key = _lookup(type_name, key)
        _, strategy = _strategy(strategies)
        _validate_patch_with_set_order_list(patch_list or [], order, merge_key)
        if found_original and not found_patch:
            merged = original_list
        elif found_patch and not found_original:
            merged = patch_list
        elif found_original and found_patch:
            merged = _merge_slice_handler(original_list, patch_list, field_type, strategy, merge_key, False)
        else:
            continue
        if merge_key:
            patch_items, server_only = _partition_maps(merged, order, merge_key)
        else:
            patch_items, server_only = _partition_primitives(merged, order)
        is_map = _element_is_map(original_list or [], patch_list or [])
        original[key] = _normalize_element_order(patch_items, server_only, order, original_list or [],
                                                 merge_key, is_map)
        patch.pop(key, None)


def _validate_patch_with_set_order_list(patch_list: list, order: list, merge_key: str) -> None:
    if not order or not patch_list:
        return
    if merge_key:
        non_delete, _ = _extract_to_delete_items(patch_list)
    else:
        non_delete = patch_list
    p = s = 0
    while p < len(non_delete) and s < len(order):
        if isinstance(non_delete[p], dict) and DIRECTIVE in non_delete[p]:
            p += 1
            continue
        if _merge_key_value_equal(non_delete[p], order[s], merge_key):
            p += 1
        s += 1
    if p < len(non_delete) and s >= len(order):
        raise PatchError(f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
                         f"{SET_ELEMENT_ORDER} list:\n{go_format(order)}\n")


def _merge_key_value_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return left == right
    for item in (left, right):
        if not isinstance(item, dict):
            raise PatchError(f"expected a map[string]interface {{}}, but received a {_go_type(item)}")
        if merge_key not in item:
            raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")
    return left[merge_key] == right[merge_key]


def _merge_slice_handler(original: list, patch: list, field_type: Optional[str], strategy: str,
                         merge_key: str, is_delete_list: bool) -> list:
    if strategy == "merge":
        return _merge_slice(original, patch, field_type, merge_key, is_delete_list)
    return patch


def _element_is_map(*lists: list) -> bool:
    """sliceElementType: every element of every list has one type, which is not a list."""
    seen = None
    for items in lists:
        for item in items:
            kind = type(item)
            if seen is None:
                if kind is list:
                    raise PatchError(ERR_NO_LIST_OF_LISTS)
                seen = kind
            elif kind is not seen and not (seen in (int, float) and kind in (int, float)):
                raise PatchError(f"list element types are not identical: {go_format(list(lists))}")
    if seen is None:
        raise PatchError("no elements in any of the given slices")
    return seen is dict


def _merge_slice(original: list, patch: list, elem_type: Optional[str], merge_key: str, is_delete_list: bool) -> list:
    if not original and not patch:
        return original
    is_map = _element_is_map(original, patch)
    if not is_map:
        if is_delete_list:
            return [v for v in original if v not in patch]         # deleteFromSlice
        merged = _deduplicate_scalars(original + patch)
    else:
        if not merge_key:
            raise PatchError("cannot merge lists without merge key for type map")
        original, patch = _merge_slice_with_special_elements(original, patch, merge_key)
        merged = _merge_slice_without_special_elements(original, patch, merge_key, elem_type)
    if merge_key:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, patch)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key, is_map)


def _merge_slice_with_special_elements(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    without_special = []
    replace = False
    for item in patch:
        if DIRECTIVE not in item:
            without_special.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")
            original = [o for o in original if not (isinstance(o, dict) and merge_key in o
                                                    and o[merge_key] == item[merge_key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"unknown patch type: {go_format(directive)} in map: {go_format(item)}")
    if replace:
        return without_special, []
    return original, without_special


def _merge_slice_without_special_elements(original: list, patch: list, merge_key: str,
                                          elem_type: Optional[str]) -> list:
    original = list(original)
    for item in patch:
        if merge_key not in item:
            raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")
        index = _find_map(original, merge_key, item[merge_key])
        if index is None:
            original.append(item)
        else:
            original[index] = _merge_map(original[index], item, elem_type)
    return original


def _find_map(items: list, key: str, value: Any) -> Optional[int]:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise PatchError(f"value for key {i} is not a map.")
        if key in item and item[key] == value:
            return i
    return None


def _deduplicate_scalars(items: list) -> list:
    """deduplicateScalars, order effects included: a duplicate is replaced by the last element."""
    s = list(items)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if s[i] == s[j]:
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _partition_primitives(items: list, by: list) -> tuple[list, list]:
    present = [v for v in items if v in by]
    return present, [v for v in items if v not in by]


def _partition_maps(items: list, by: list, merge_key: str) -> tuple[list, list]:
    patch_items, server_only = [], []
    for item in items:
        if not isinstance(item, dict):
            raise PatchError(f"expected a map[string]interface {{}}, but received a {_go_type(item)}")
        if merge_key not in item:
            raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")
        if _find_map(by, merge_key, item[merge_key]) is None:
            server_only.append(item)
        else:
            patch_items.append(item)
    return patch_items, server_only


def _extract_to_delete_items(items: list) -> tuple[list, list]:
    keep, delete = [], []
    for item in items:
        if not isinstance(item, dict):
            raise PatchError(f"expected a map[string]interface {{}}, but received a {_go_type(item)}")
        (delete if item.get(DIRECTIVE) == "delete" else keep).append(item)
    return keep, delete


def _position(order: list, item: Any, merge_key: str, is_map: bool) -> int:
    """index(): where ``item`` is in ``order`` (by merge key for maps), or -1."""
    value = item.get(merge_key) if is_map and isinstance(item, dict) else item
    for i, other in enumerate(order):
        if (other.get(merge_key) if is_map and isinstance(other, dict) else other) == value:
            return i
    return -1


def _normalize_slice_order(items: list, order: list, merge_key: str, is_map: bool) -> list:
    to_delete: list = []
    if is_map:
        for item in list(items) + list(order):
            if not isinstance(item, dict):
                raise PatchError(f"expected a map[string]interface {{}}, but received a {_go_type(item)}")
            if merge_key not in item:
                raise PatchError(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")
        items, to_delete = _extract_to_delete_items(items)

    def less(a: Any, b: Any) -> bool:
        ia = _position(order, a, merge_key, is_map)
        if ia >= 0:
            ib = _position(order, b, merge_key, is_map)
            if ib >= 0:
                return ia < ib
        return True
    return go_stable_sort(list(items), less) + to_delete


def _normalize_element_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                             merge_key: str, is_map: bool) -> list:
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, is_map)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, is_map)
    return _merge_sorted_slice(server_only, patch_items, server_order, merge_key, is_map)


def _merge_sorted_slice(left: list, right: list, server_order: list, merge_key: str, is_map: bool) -> list:
    """mergeSortedSlice: interleave server-only items into the patch items by their live order."""
    out = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _position(server_order, left[i], merge_key, is_map)
            ri = _position(server_order, right[j], merge_key, is_map)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def go_stable_sort(items: list, less) -> list:
    """Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge), step for step, so
    that an inconsistent ``less`` (strategicpatch's) orders exactly as upstream does."""
    n = len(items)
    block = 20
    a = 0
    while a + block <= n:
        _insertion_sort(items, a, a + block, less)
        a += block
    _insertion_sort(items, a, n, less)
    while block < n:
        a = 0
        while a + 2 * block <= n:
            _sym_merge(items, a, a + block, a + 2 * block, less)
            a += 2 * block
        if a + block < n:
            _sym_merge(items, a, a + block, n, less)
        block *= 2
    return items


def _insertion_sort(s: list, a: int, b: int, less) -> None:
    for i in range(a + 1, b):
        j = i
        while j > a and less(s[j], s[j - 1]):
            s[j], s[j - 1] = s[j - 1], s[j]
            j -= 1


def _sym_merge(s: list, a: int, m: int, b: int, less) -> None:
    if m - a == 1:
        i, j = m, b
        while i < j:
            h = (i + j) // 2
            if less(s[h], s[a]):
                i = h + 1
            else:
                j = h
        for k in range(a, i - 1):
            s[k], s[k + 1] = s[k + 1], s[k]
        return
    if b - m == 1:
        i, j = a, m
        while i < j:
            h = (i + j) // 2
            if not less(s[m], s[h]):
                i = h + 1
            else:
                j = h
        for k in range(m, i, -1):
            s[k], s[k - 1] = s[k - 1], s[k]
        return
    mid = (a + b) // 2
    n = mid + m
    if m > mid:
        start, r = n - b, mid
    else:
        start, r = a, m
    p = n - 1
    while start < r:
        c = (start + r) // 2
        if not less(s[p - c], s[c]):
            start = c + 1
        else:
            r = c
    end = n - start
    if start < m < end:
        _rotate(s, start, m, end)
    if a < start < mid:
        _sym_merge(s, a, start, mid, less)
    if mid < end < b:
        _sym_merge(s, mid, end, b, less)


def _rotate(s: list, a: int, m: int, b: int) -> None:
    s[a:b] = s[m:b] + s[a:m]


def _strip_directives(value: Any) -> Any:
    """What decoding into the Go struct does to directive keys left in added values."""
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


# -- Go's %v, for error messages ---------------------------------------------------------

def go_format(value: Any) -> str:
    """fmt's %v of a decoded JSON value: map[a:1 b:x], [a b], <nil>."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    return str(value)


def _go_type(value: Any) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "<nil>"
    return "float64"
