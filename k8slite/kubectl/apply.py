"""Client-side apply: the last-applied annotation and the three-way strategic merge patch.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/util/apply.go
(GetModifiedConfiguration, GetOriginalConfiguration) and
staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go
(CreateThreeWayMergePatch: the changes are ``diff(live, new)`` ignoring deletions, the
deletions are ``diff(last-applied, new)`` ignoring changes and additions, and the patch
is the two merged).

Worked example: last-applied has labels {app, tier}, the new config has {app} and
image v2, the live object has {app, tier} plus defaults the server filled in
(``imagePullPolicy``, ``protocol``). Changes: only the image, because fields the new
config does not mention are never compared. Deletions: ``tier: null``, because only
fields kubectl itself set earlier may be deleted. So server defaults survive.

Simplified: list merge keys come from a small table (containers, ports, env, volumes,
volumeMounts, ...) instead of the OpenAPI schema; every other list is atomic and replaced
whole when it differs; no ``$setElementOrder`` or ``$retainKeys`` directives are sent
and there is no conflict detection (``overwrite`` is always true).
"""
from __future__ import annotations

import copy
import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# field name -> merge key (patchMergeKey struct tags in k8s.io/api). ``ports`` is keyed
# by containerPort in a container and by port in a Service.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
              "env": "name", "volumes": "name", "volumeMounts": "mountPath",
              "volumeDevices": "devicePath", "imagePullSecrets": "name", "hostAliases": "ip",
              "topologySpreadConstraints": "topologyKey"}


def _merge_key(field: str, items: list) -> str | None:
    if field == "ports":
        if all(isinstance(i, dict) and "containerPort" in i for i in items):
            return "containerPort"
        return None   # Service ports: atomic here (see module docstring)
    return MERGE_KEYS.get(field)


def go_json(obj: Any) -> str:
    """Go's json.Marshal of an unstructured object: compact, keys sorted, HTML escaped."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def modified_configuration(obj: dict) -> tuple[dict, str]:
    """GetModifiedConfiguration(annotate=true): the object to send, carrying its own JSON
    (without the annotation, ending in a newline as json.Encoder writes it) in the annotation."""
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    applied = go_json(obj) + "\n"
    meta["annotations"] = {**annotations, LAST_APPLIED: applied}
    return obj, applied


def original_configuration(live: dict) -> dict | None:
    """GetOriginalConfiguration: the last-applied config stored on the live object, if any."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    return json.loads(text) if text else None


def _changes(live: Any, new: Any, field: str = "") -> Any:
    """What in ``new`` differs from ``live`` (additions and changes; deletions ignored).
    Returns None when nothing differs."""
    if isinstance(new, dict) and isinstance(live, dict):
        patch = {}
        for key, value in new.items():
            if key not in live:
                patch[key] = copy.deepcopy(value)
                continue
            sub = _changes(live[key], value, key)
            if sub is not None:
                patch[key] = sub
        return patch or None
    if isinstance(new, list) and isinstance(live, list):
        key = _merge_key(field, new)
        if key and all(isinstance(i, dict) and key in i for i in live):
            by_key = {json.dumps(i[key]): i for i in live}
            patch = []
            for item in new:
                old = by_key.get(json.dumps(item[key]))
                if old is None:
                    patch.append(copy.deepcopy(item))
                    continue
                sub = _changes(old, item)
                if sub is not None:
                    patch.append({key: item[key], **sub})
            return patch or None
        return None if new == live else copy.deepcopy(new)
    return None if new == live else copy.deepcopy(new)


def _deletions(original: Any, new: Any, field: str = "") -> Any:
    """What ``original`` (last applied) had that ``new`` drops, as null or ``$patch: delete``."""
    if isinstance(original, dict) and isinstance(new, dict):
        patch = {}
        for key, value in original.items():
            if key not in new:
                patch[key] = None
                continue
            sub = _deletions(value, new[key], key)
            if sub is not None:
                patch[key] = sub
        return patch or None
    if isinstance(original, list) and isinstance(new, list):
        key = _merge_key(field, new) or _merge_key(field, original)
        if key and all(isinstance(i, dict) and key in i for i in original + new):
            kept = {json.dumps(i[key]): i for i in new}
            patch = []
            for item in original:
                other = kept.get(json.dumps(item[key]))
                if other is None:
                    patch.append({key: item[key], "$patch": "delete"})
                    continue
                sub = _deletions(item, other)
                if sub is not None:
                    patch.append({key: item[key], **sub})
            return patch or None
    return None


def _merge(a: Any, b: Any, field: str = "") -> Any:
    """Merge two partial patches (deletions first, then changes, as mergeMap does)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = _merge(out[key], value, key) if key in out else value
        return out
    if isinstance(a, list) and isinstance(b, list):
        key = _merge_key(field, [i for i in a + b if "$patch" not in i])
        if key:
            out = list(a)
            for item in b:
                index = next((n for n, old in enumerate(out) if old.get(key) == item.get(key)), None)
                if index is None:
                    out.append(item)
                else:
                    out[index] = _merge(out[index], item)
            return out
    return b


def three_way_merge_patch(original: dict | None, modified: dict, current: dict) -> dict:
    """CreateThreeWayMergePatch(original, modified, current): {} when there is nothing to do."""
    changes = _changes(current, modified) or {}
    deletions = _deletions(original or {}, modified) or {}
    return _merge(deletions, changes)
