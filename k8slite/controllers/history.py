"""ControllerRevisions: the recorded history of a controller's pod template.

Mirrors kubernetes v1.31 ``pkg/controller/history/controller_history.go``: a revision is
named ``<parent>-<hash>`` (ControllerRevisionName, the parent cut to 223 characters), where
the hash is FNV-1 (32 bit) over the revision's data followed by the decimal collision count,
safe-encoded (HashControllerRevision); revisions sort by ``revision`` then creation time then
name (SortControllerRevisions); two revisions are equal when their data is
(EqualRevision); and ``History`` (realHistory) lists, creates (bumping the collision count
on a name taken by different data), updates, deletes, adopts and releases them. The
StatefulSet controller uses it, and the DaemonSet controller can: nothing here knows the
parent's kind beyond its ``apiVersion``/``kind``.

Simplified: ``data`` is hashed and compared as canonical JSON (sorted keys, no spaces,
Go's HTML escaping), which is what Go's ``json.Marshal`` of the patch map produces, but our
templates lack the zero-valued fields Go writes (``"resources":{}``, ``"creationTimestamp":null``),
so hashes differ from a real cluster's while keeping the same alphabet, length and collision
rule. UpdateControllerRevision does not retry on conflict (the caller's sync is retried).
Adoption and release use a JSON merge patch (see ``_patch_owners``).
"""
from __future__ import annotations

import copy
import json
from typing import Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import controller_of, owner_reference, safe_encode_string
from ..api.scheme import SCHEME
from ..client.informer import Lister
from ..client.rest import MERGE_PATCH, Client

CONTROLLERREVISIONS = SCHEME.by_resource("apps", "controllerrevisions")
CONTROLLER_REVISION_HASH_LABEL = "controller.kubernetes.io/hash"
MAX_PREFIX = 223        # 253 (a DNS subdomain) - 1 ("-") - up to 29 hash characters


class AdoptError(Exception):
    """The revision already has a controller (AdoptControllerRevision's plain error)."""


def raw_data(data) -> bytes:
    """The bytes Go's ``json.Marshal`` writes for a patch map: keys sorted, compact, ``<>&`` escaped."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.encode()


def fnv32(data: bytes, h: int = 0x811C9DC5) -> int:
    """FNV-1 (``hash/fnv.New32``): multiply, then xor; not FNV-1a."""
    for b in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ b
    return h


def controller_revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:MAX_PREFIX]}-{hash_}"


def hash_controller_revision(revision: dict, probe: Optional[int]) -> str:
    data = revision.get("data")
    h = fnv32(raw_data(data)) if data is not None else 0x811C9DC5
    if probe is not None:
        h = fnv32(str(probe).encode(), h)
    return safe_encode_string(str(h))


def new_controller_revision(parent: dict, template_labels: Optional[dict], data: dict, revision: int,
                            collision_count: Optional[int]) -> dict:
    """NewControllerRevision: labelled like the template, owned by ``parent``, named by its hash."""
    cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
          "metadata": {"namespace": parent["metadata"].get("namespace"), "labels": dict(template_labels or {}),
                       "ownerReferences": [owner_reference(parent)]},
          "data": data, "revision": revision}
    hash_ = hash_controller_revision(cr, collision_count)
    cr["metadata"]["name"] = controller_revision_name(parent["metadata"]["name"], hash_)
    cr["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL] = hash_
    return cr


def _revision_key(cr: dict) -> tuple:
    return (cr.get("revision", 0), cr["metadata"].get("creationTimestamp", ""), cr["metadata"]["name"])


def sort_controller_revisions(revisions: list[dict]) -> list[dict]:
    """SortControllerRevisions (byRevision): by revision number, ties by creation time, then name."""
    return sorted(revisions, key=_revision_key)


def equal_revision(lhs: Optional[dict], rhs: Optional[dict]) -> bool:
    """EqualRevision: both absent, or the same data. (Upstream first compares the hash labels as
    base-10 numbers; safe-encoded hashes never parse as numbers, so the data decides.)"""
    if lhs is None or rhs is None:
        return lhs is rhs
    return raw_data(lhs.get("data")) == raw_data(rhs.get("data"))


def find_equal_revisions(revisions: list[dict], needle: dict) -> list[dict]:
    return [r for r in revisions if equal_revision(r, needle)]


def next_revision(revisions: list[dict]) -> int:
    """1 for an empty history, else one more than the last (sorted) revision's number."""
    return revisions[-1].get("revision", 0) + 1 if revisions else 1


class History:
    """history.Interface over the API (realHistory): writes through ``client``, reads from ``lister``."""

    def __init__(self, client: Client, lister: Lister):
        self.client, self.lister = client, lister

    def list_controller_revisions(self, parent: dict, selector: Selector) -> list[dict]:
        """The revisions in the parent's namespace matching ``selector`` that the parent controls or
        that no controller does (orphans it may adopt)."""
        uid = parent["metadata"].get("uid")
        owned = []
        for cr in self.lister.list(parent["metadata"].get("namespace"), selector):
            ref = controller_of(cr)
            if ref is None or ref.get("uid") == uid:
                owned.append(cr)
        return owned

    async def create_controller_revision(self, parent: dict, revision: dict, collision_count: int) -> tuple[dict, int]:
        """Create ``revision`` under the name its hash gives; a name taken by other data bumps the
        collision count and tries again. Returns (the revision, the collision count)."""
        clone = copy.deepcopy(revision)
        namespace = parent["metadata"].get("namespace")
        while True:
            hash_ = hash_controller_revision(revision, collision_count)
            clone["metadata"]["name"] = controller_revision_name(parent["metadata"]["name"], hash_)
            try:
                return await self.client.create(CONTROLLERREVISIONS, namespace, clone), collision_count
            except errors.StatusError as error:
                if error.reason != "AlreadyExists":
                    raise
            exists = await self.client.get(CONTROLLERREVISIONS, namespace, clone["metadata"]["name"])
            if raw_data(exists.get("data")) == raw_data(clone.get("data")):
                return exists, collision_count
            collision_count += 1

    async def update_controller_revision(self, revision: dict, new_revision: int) -> dict:
        if revision.get("revision") == new_revision:
            return revision
        clone = copy.deepcopy(revision)
        clone["revision"] = new_revision
        return await self.client.update(CONTROLLERREVISIONS, clone)

    async def delete_controller_revision(self, revision: dict) -> None:
        meta = revision["metadata"]
        await self.client.delete(CONTROLLERREVISIONS, meta.get("namespace"), meta["name"])

    async def adopt_controller_revision(self, parent: dict, revision: dict) -> dict:
        """Add ``parent`` as the controller, guarded by the revision's uid and resourceVersion."""
        owner = controller_of(revision)
        if owner is not None:
            raise AdoptError(f"attempt to adopt revision owned by {owner}")
        refs = list(revision["metadata"].get("ownerReferences") or ()) + [owner_reference(parent)]
        return await self._patch_owners(revision, refs)

    async def release_controller_revision(self, parent: dict, revision: dict) -> Optional[dict]:
        uid = parent["metadata"]["uid"]
        refs = [r for r in revision["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
        try:
            return await self._patch_owners(revision, refs)
        except errors.StatusError as error:
            if error.code in (404, 422):     # gone, or no longer ours
                return None
            raise

    async def _patch_owners(self, revision: dict, refs: list[dict]) -> dict:
        """Simplified: upstream sends a strategic merge patch of one owner reference; ours is a JSON
        merge patch of the whole list, because our API server's strategic merge patch drops ``$``
        keys everywhere in the result, including the ``$patch: replace`` inside ``data`` that
        upstream keeps (``data`` is a RawExtension there), and an adopted revision would then no
        longer equal its set's template."""
        meta = revision["metadata"]
        patch = {"metadata": {"ownerReferences": refs, "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}}
        return await self.client.patch(CONTROLLERREVISIONS, meta.get("namespace"), meta["name"], patch, MERGE_PATCH)
