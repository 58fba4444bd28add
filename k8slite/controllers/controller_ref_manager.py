"""Claiming objects by selector: adopt matching orphans, release owned objects that stopped matching.

Mirrors kubernetes v1.31 ``pkg/controller/controller_ref_manager.go``
(``BaseControllerRefManager.ClaimObject``: an object owned by another controller is left
alone; one we own that still matches is ours; one we own that no longer matches is
released unless we are being deleted; an orphan that matches is adopted unless we or it
are being deleted or it lives in another namespace; ``CanAdopt`` runs once per claim,
before the first adoption) and ``controller_utils.go`` (``RecheckDeletionTimestamp``:
an uncached GET of the controller before adopting; the adopt patch
``{"metadata":{"ownerReferences":[<controllerRef>],"uid":…}}`` and the release patch
``{"metadata":{"ownerReferences":[{"$patch":"delete","uid":…}],"uid":…}}``, both strategic
merge patches carrying the dependent's uid as a precondition).

Simplified: one manager serves pods and ReplicaSets alike (upstream has
``PodControllerRefManager`` and ``ReplicaSetControllerRefManager`` over the same base).
"""
from __future__ import annotations

from typing import Awaitable, Callable, Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import controller_of, owner_reference
from ..api.scheme import ResourceInfo
from ..client.rest import STRATEGIC_PATCH, Client


class ClaimError(Exception):
    """A claim could not proceed (the controller was deleted or replaced meanwhile): retry the sync."""


def recheck_deletion_timestamp(client: Client, info: ResourceInfo, controller: dict) -> Callable[[], Awaitable[None]]:
    """RecheckDeletionTimestamp: before the first adoption, read the controller fresh (not from a cache)
    and refuse if it is another object of the same name or is being deleted."""
    meta = controller["metadata"]

    async def can_adopt() -> None:
        try:
            fresh = await client.get(info, meta.get("namespace", ""), meta["name"])
        except errors.StatusError as error:
            raise ClaimError(f"can't recheck DeletionTimestamp: {error.message}") from None
        if fresh["metadata"].get("uid") != meta.get("uid"):
            raise ClaimError(f"original {info.kind} {meta.get('namespace')}/{meta['name']} is gone: "
                             f"got uid {fresh['metadata'].get('uid')}, wanted {meta.get('uid')}")
        if fresh["metadata"].get("deletionTimestamp"):
            raise ClaimError(f"{meta.get('namespace')}/{meta['name']} has just been deleted at "
                             f"{fresh['metadata']['deletionTimestamp']}")
    return can_adopt


class ControllerRefManager:
    """Claims objects of ``info`` for ``controller`` by ``selector``."""

    def __init__(self, client: Client, info: ResourceInfo, controller: dict, selector: Selector,
                 can_adopt: Callable[[], Awaitable[None]]):
        self.client, self.info, self.controller, self.selector = client, info, controller, selector
        self._can_adopt = can_adopt
        self._can_adopt_checked = False

    @property
    def _uid(self) -> str:
        return self.controller["metadata"].get("uid", "")

    def _being_deleted(self) -> bool:
        return bool(self.controller["metadata"].get("deletionTimestamp"))

    async def claim(self, objects: list[dict], match: Optional[Callable[[dict], bool]] = None,
                    adopted: Optional[Callable[[dict], None]] = None) -> list[dict]:
        """ClaimPods / ClaimReplicaSets: the objects that are ours after adopting and releasing.
        Errors from individual claims are collected and the first is raised after the pass."""
        match = match or (lambda obj: self.selector.matches(obj["metadata"].get("labels")))
        claimed, failures = [], []
        for obj in objects:
            try:
                ok = await self.claim_object(obj, match)
            except (errors.StatusError, ClaimError) as error:
                failures.append(error)
                continue
            if ok is not None:
                claimed.append(ok)
                if ok is not obj and adopted is not None:
                    adopted(ok)
        if failures:
            raise failures[0]
        return claimed

    async def claim_object(self, obj: dict, match: Callable[[dict], bool]) -> Optional[dict]:
        """ClaimObject: the object (adopted copy if we adopted it) when it is ours, else None."""
        ref = controller_of(obj)
        meta = obj["metadata"]
        if ref is not None:
            if ref.get("uid") != self._uid:
                return None                                  # owned by someone else
            if match(obj):
                return obj
            if self._being_deleted():
                return None
            try:
                await self.release(obj)
            except errors.StatusError as error:
                if not errors.is_not_found(error):
                    raise
            return None
        if self._being_deleted() or not match(obj) or meta.get("deletionTimestamp"):
            return None
        if self.controller["metadata"].get("namespace") and \
                self.controller["metadata"]["namespace"] != meta.get("namespace"):
            return None
        try:
            return await self.adopt(obj)
        except errors.StatusError as error:
            if errors.is_not_found(error):
                return None
            raise

    async def adopt(self, obj: dict) -> dict:
        if not self._can_adopt_checked:
            await self._can_adopt()
            self._can_adopt_checked = True
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [owner_reference(self.controller)], "uid": meta.get("uid")}}
        return await self.client.patch(self.info, meta.get("namespace", ""), meta["name"], patch, STRATEGIC_PATCH)

    async def release(self, obj: dict) -> dict:
        meta = obj["metadata"]
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": self._uid}], "uid": meta.get("uid")}}
        return await self.client.patch(self.info, meta.get("namespace", ""), meta["name"], patch, STRATEGIC_PATCH)
