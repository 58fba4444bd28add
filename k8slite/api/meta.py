"""Object metadata: timestamps, UIDs, generated names, hashes, name rules, owner references.

Mirrors kubernetes v1.31 staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go
(IsDNS1123Label, IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue and their
messages), apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMeta),
apiserver/pkg/storage/names/generate.go (SimpleNameGenerator),
apimachinery/pkg/util/rand/rand.go (SafeEncodeString) and
pkg/controller/controller_utils.go (ComputeHash, the pod-template-hash).

Simplified: the hash runs FNV-32a over canonical JSON of the template, where upstream
feeds Go's ``%#v`` dump of the struct (hashutil.DeepHashObject), so hash values differ
from a real cluster's while keeping the same alphabet, length and collision rule.
Owner references, finalizers and generation are not validated. Timestamps are virtual
seconds since ``EPOCH``.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from .errors import Cause

EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def rfc3339(seconds: float) -> str:
    """Virtual seconds since EPOCH -> "2024-01-01T00:00:07Z" (metav1.Time, second precision)."""
    t = EPOCH + timedelta(seconds=int(seconds // 1))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(seconds: float) -> str:
    """Virtual seconds since EPOCH -> "2024-01-01T00:00:07.250000000Z" (time.RFC3339Nano, as CRI logs stamp lines)."""
    whole = int(seconds // 1)
    t = EPOCH + timedelta(seconds=whole)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{round((seconds - whole) * 1e9):09d}Z"


def parse_rfc3339(s: str) -> float:
    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (t - EPOCH).total_seconds()


def new_uid(rng) -> str:
    """A version-4 UUID drawn from the cluster's seeded random source."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"   # no vowels, no 0/1/3: no words, no confusion
MAX_NAME_LENGTH = 63
RANDOM_LENGTH = 5
MAX_GENERATED_NAME_LENGTH = MAX_NAME_LENGTH - RANDOM_LENGTH


def generate_name(prefix: str, rng) -> str:
    """names.SimpleNameGenerator.GenerateName: prefix (cut to 58) + 5 random characters."""
    if len(prefix) > MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[:MAX_GENERATED_NAME_LENGTH]
    return prefix + "".join(ALPHANUMS[rng.randrange(len(ALPHANUMS))] for _ in range(RANDOM_LENGTH))


def safe_encode_string(s: str) -> str:
    """rand.SafeEncodeString: map each byte onto the safe alphabet."""
    return "".join(ALPHANUMS[b % len(ALPHANUMS)] for b in s.encode())


def _fnv32a(data: bytes, h: int = 0x811C9DC5) -> int:
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def compute_hash(template: dict, collision_count: Optional[int]) -> str:
    """controller.ComputeHash: FNV-32a of the template, then the collision count as 8 bytes."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    h = _fnv32a(data)
    if collision_count is not None:
        h = _fnv32a((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + b"\0\0\0\0", h)
    return safe_encode_string(str(h))


# ---- name and label rules (util/validation/validation.go) ---------------------------------

def regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    s = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            s += " or "
        s += "'" + ex + "', "
    return s + "regex used for validation is '" + fmt + "')"


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


EMPTY_ERROR = "must be non-empty"

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                     "characters or '-', and must start and end with an alphanumeric character")
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric "
                         "character")
DNS1123_SUBDOMAIN_MAX = 253
QNAME_CHAR_FMT = "[A-Za-z0-9]"
QNAME_EXT_CHAR_FMT = "[-A-Za-z0-9_.]"
QUALIFIED_NAME_FMT = "(" + QNAME_CHAR_FMT + QNAME_EXT_CHAR_FMT + "*)?" + QNAME_CHAR_FMT
QUALIFIED_NAME_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                      "and end with an alphanumeric character")
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR = ("a valid label must be an empty string or consist of alphanumeric characters, "
                   "'-', '_' or '.', and must start and end with an alphanumeric character")
LABEL_VALUE_MAX = 63
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)

_dns_label = re.compile("^" + DNS1123_LABEL_FMT + "$")
_dns_subdomain = re.compile("^" + DNS1123_SUBDOMAIN_FMT + "$")
_qualified_name = re.compile("^" + QUALIFIED_NAME_FMT + "$")
_label_value = re.compile("^" + LABEL_VALUE_FMT + "$")


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _dns_label.match(value):
        if _dns_subdomain.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _dns_subdomain.match(value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """Label and annotation keys: an optional DNS-subdomain prefix, '/', and a name."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + EMPTY_ERROR)
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName",
                                                  "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part " + EMPTY_ERROR)
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _qualified_name.match(name):
        errs.append("name part " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName",
                                               "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _label_value.match(value):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _mask_trailing_dash(name: str) -> str:
    """A generateName prefix may end in '-': validate it as if a random suffix followed."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-1] + "a"
    return name


def validate_labels(labels: Optional[dict], path: str) -> list[Cause]:
    """metav1validation.ValidateLabels."""
    causes = []
    for k in sorted(labels or {}):
        causes += [Cause("Invalid", path, m, k) for m in is_qualified_name(k)]
        v = (labels or {})[k]
        causes += [Cause("Invalid", path, m, v) for m in is_valid_label_value(str(v))]
    return causes


def validate_annotations(annotations: Optional[dict], path: str) -> list[Cause]:
    causes = []
    total = 0
    for k in sorted(annotations or {}):
        causes += [Cause("Invalid", path, m, k) for m in is_qualified_name(k.lower())]
        total += len(k) + len(str(annotations[k]))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(Cause("TooLong", path,
                            f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return causes


def validate_object_meta(meta: Optional[dict], namespaced: bool,
                         name_validator: Callable[[str], list[str]],
                         path: str = "metadata") -> list[Cause]:
    """ValidateObjectMeta. Cluster-scoped objects have their namespace cleared by the server
    before validation, so only the namespaced rule is checked."""
    meta = meta or {}
    causes: list[Cause] = []
    gen = meta.get("generateName") or ""
    if gen:
        causes += [Cause("Invalid", f"{path}.generateName", m, gen)
                   for m in name_validator(_mask_trailing_dash(gen))]
    name = meta.get("name") or ""
    if not name:
        causes.append(Cause("Required", f"{path}.name", "name or generateName is required"))
    else:
        causes += [Cause("Invalid", f"{path}.name", m, name) for m in name_validator(name)]
    if namespaced:
        ns = meta.get("namespace") or ""
        if not ns:
            causes.append(Cause("Required", f"{path}.namespace"))
        else:
            causes += [Cause("Invalid", f"{path}.namespace", m, ns) for m in is_dns1123_label(ns)]
    causes += validate_labels(meta.get("labels"), f"{path}.labels")
    causes += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    return causes


# ---- owner references --------------------------------------------------------------------

def owner_reference(owner: dict, controller: bool = True, block_owner_deletion: bool = True) -> dict:
    """metav1.NewControllerRef: points from a dependent to its owner."""
    m = owner.get("metadata") or {}
    return {"apiVersion": owner.get("apiVersion", ""), "kind": owner.get("kind", ""),
            "name": m.get("name", ""), "uid": m.get("uid", ""),
            "controller": controller, "blockOwnerDeletion": block_owner_deletion}


def controller_of(obj: dict) -> Optional[dict]:
    """metav1.GetControllerOf: the owner reference with controller=true, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def namespaced_key(obj: dict) -> str:
    """cache.MetaNamespaceKeyFunc: "namespace/name", or "name" when cluster-scoped."""
    m = obj.get("metadata") or {}
    ns = m.get("namespace") or ""
    return f"{ns}/{m.get('name', '')}" if ns else m.get("name", "")
