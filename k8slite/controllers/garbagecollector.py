"""The garbage collector: delete what has lost its owners, and carry out foreground and orphan deletion.

Mirrors kubernetes v1.31 ``pkg/controller/garbagecollector/``: ``graph.go`` (a node per
object uid: identity, owners, dependents, beingDeleted, deletingDependents, virtual;
``blockingDependents``), ``graph_builder.go`` (monitors on every deletable resource feed
``processGraphChanges``: insert nodes, add "virtual" nodes for owners not yet observed,
``processTransitions`` into the attemptToOrphan and attemptToDelete queues, virtual
delete events, the absent-owner cache), ``garbagecollector.go`` (``attemptToDeleteItem``,
``classifyReferences``/``isDangling`` with uid-checked owner lookups,
``processDeletingDependentsItem``, ``attemptToOrphanWorker``/``orphanDependents``) and
``operations.go``/``patch.go`` (``deleteObject`` with uid and resourceVersion
preconditions; the strategic merge patch that deletes an ownerReference by uid; the
merge patch that removes a finalizer under a resourceVersion precondition).

Simplified: the monitored resources are the scheme's at construction (upstream
rediscovers every 30 s); informer events are applied to the graph in the handler rather
than through the ``graphChanges`` queue and its single goroutine; the absent-owner cache
is unbounded (upstream: an LRU of 500); klog's messages go to ``log`` as lines with the
virtual time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..api import errors
from ..api.scheme import SCHEME, ResourceInfo
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.rest import MERGE_PATCH, STRATEGIC_PATCH, Client
from ..client.workqueue import WorkQueue
from ..sim import Kernel, Timeout

FINALIZER_ORPHAN = "orphan"                         # metav1.FinalizerOrphanDependents
FINALIZER_DELETE_DEPENDENTS = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
# garbagecollector.go: events are not garbage collected (too many, and they expire anyway).
IGNORED_RESOURCES = {("", "events"), ("events.k8s.io", "events")}
RETRY_BACKOFF = (0.01, 5.0, 4)                      # retry.DefaultBackoff: 10 ms, factor 5, 4 steps
FORGET, REQUEUE = "forget", "requeue"


@dataclass(frozen=True)
class ObjectReference:
    """objectReference: an owner reference's coordinates plus the namespace (a node's identity)."""
    api_version: str
    kind: str
    name: str
    uid: str
    namespace: str = ""

    def __str__(self) -> str:
        return (f"[{self.api_version}/{self.kind}, namespace: {self.namespace}, "
                f"name: {self.name}, uid: {self.uid}]")

    def matches(self, ref: dict) -> bool:
        """ownerReferenceMatchesCoordinates."""
        return (ref.get("uid"), ref.get("name"), ref.get("kind"), ref.get("apiVersion")) == \
            (self.uid, self.name, self.kind, self.api_version)


class Node:
    """One object in the dependency graph.

    Invariants: ``dependents`` holds every observed node with an ownerReference to this
    uid (in the order they were added); ``virtual`` is true until an informer has shown
    the object, and a virtual node's identity is only what a dependent claims;
    ``deleting_dependents`` implies ``being_deleted``."""

    __slots__ = ("identity", "owners", "dependents", "being_deleted", "deleting_dependents", "virtual")

    def __init__(self, identity: ObjectReference, owners: list, virtual: bool = False,
                 being_deleted: bool = False, deleting_dependents: bool = False):
        self.identity = identity
        self.owners: list[dict] = owners
        self.dependents: dict[str, Node] = {}
        self.virtual, self.being_deleted, self.deleting_dependents = virtual, being_deleted, deleting_dependents

    def blocking_dependents(self) -> list["Node"]:
        """The dependents whose reference to this node has blockOwnerDeletion."""
        return [dep for dep in self.dependents.values()
                if any(ref.get("uid") == self.identity.uid and ref.get("blockOwnerDeletion") for ref in dep.owners)]

    def __repr__(self) -> str:
        return f"Node({self.identity}, virtual={self.virtual})"


def _being_deleted(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _has_finalizer(obj: dict, finalizer: str) -> bool:
    return finalizer in (obj["metadata"].get("finalizers") or ())


def _starts_waiting(old: Optional[dict], new: dict, finalizer: str) -> bool:
    """startsWaitingForDependentsOrphaned / ...Deleted: the object is now being deleted with
    ``finalizer`` and was not before (an object first seen that way counts, so a restarted
    collector picks up where the old one stopped)."""
    if not (_being_deleted(new) and _has_finalizer(new, finalizer)):
        return False
    return old is None or not (_being_deleted(old) and _has_finalizer(old, finalizer))


def partition_dependents(dependents: list[Node], owner: ObjectReference) -> tuple[list[Node], list[Node]]:
    """partitionDependents: dependents that reference ``owner`` by exactly its coordinates, and those
    that reference its uid with other coordinates (or from another namespace)."""
    matching, nonmatching = [], []
    for dep in dependents:
        found_match = found_mismatch = False
        if owner.namespace and owner.namespace != dep.identity.namespace:
            found_mismatch = True
        else:
            for ref in dep.owners:
                if ref.get("uid") == owner.uid:
                    if owner.matches(ref):
                        found_match = True
                    else:
                        found_mismatch = True
        if found_match:
            matching.append(dep)
        if found_mismatch:
            nonmatching.append(dep)
    return matching, nonmatching


def monitored_resources() -> list[ResourceInfo]:
    """GetDeletableResources: whatever can be listed, watched and deleted, except events."""
    return [info for info in SCHEME.all()
            if {"list", "watch", "delete"} <= set(info.verbs) and (info.group, info.resource) not in IGNORED_RESOURCES]


class GarbageCollector:
    NAME = "garbagecollector"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory,
                 recorder: Optional[EventRecorder] = None, workers: int = 20,
                 resources: Optional[list[ResourceInfo]] = None):
        """``workers``: --concurrent-gc-syncs (20), for each of the two queues."""
        self.kernel, self.client, self.recorder, self.workers = kernel, client, recorder, workers
        # uidToNode: every observed object and every owner some observed object names.
        self.uid_to_node: dict[str, Node] = {}
        # Owners verified absent (by uid and coordinates); an owner is never resurrected with its uid.
        self.absent_owner_cache: dict[ObjectReference, None] = {}
        # Keys are uids; a worker looks the node up when it takes the key, so a node replaced in
        # the graph (virtual -> observed) is processed as it is now.
        self.attempt_to_delete = WorkQueue(kernel, "garbage_collector_attempt_to_delete")
        self.attempt_to_orphan = WorkQueue(kernel, "garbage_collector_attempt_to_orphan")
        self.log: list[str] = []
        self.informers = {}
        for info in resources if resources is not None else monitored_resources():
            informer = factory.informer(info)
            self.informers[(info.group, info.resource)] = informer
            informer.add_event_handler(
                lambda obj, info=info: self.process_graph_change("add", info, obj, None),
                lambda old, new, info=info: self.process_graph_change("update", info, new, old),
                lambda obj, info=info: self.process_graph_change("delete", info, obj, None))

    def _log(self, message: str) -> None:
        self.log.append(f"{self.kernel.now:.3f} {message}")

    def has_synced(self) -> bool:
        return all(i.has_synced() for i in self.informers.values())

    def run(self, owner: str) -> None:
        for i in range(self.workers):
            self.kernel.spawn(self._worker(self.attempt_to_delete, self.attempt_to_delete_worker),
                              f"{self.NAME} attemptToDelete worker {i}", cause=None, owner=owner)
            self.kernel.spawn(self._worker(self.attempt_to_orphan, self.attempt_to_orphan_worker),
                              f"{self.NAME} attemptToOrphan worker {i}", cause=None, owner=owner)

    async def _worker(self, queue: WorkQueue, process) -> None:
        task = self.kernel.current
        while True:
            uid, cause = await queue.get()
            task.cause = cause
            try:
                action = await process(uid)
            except (errors.StatusError, Timeout) as error:
                self._log(f"error syncing item {uid}: {error}")
                action = REQUEUE
            finally:
                task.cause = None
            if action == REQUEUE:
                queue.add_rate_limited(uid)
            else:
                queue.forget(uid)
            queue.done(uid)

    # -- the graph builder -------------------------------------------------------------------
    def process_graph_change(self, event: str, info: ResourceInfo, obj: dict, old: Optional[dict]) -> None:
        """processGraphChanges for one informer event."""
        meta = obj["metadata"]
        identity = ObjectReference(info.api_version, info.kind, meta["name"], meta.get("uid", ""),
                                   meta.get("namespace", ""))
        existing = self.uid_to_node.get(identity.uid)
        if existing is not None and existing.virtual and event != "delete":
            if identity != existing.identity:
                _, invalid = partition_dependents(list(existing.dependents.values()), identity)
                for dep in invalid:
                    if identity.namespace and dep.identity.namespace != identity.namespace:
                        self._log(f'"item references an owner but does not match namespaces" '
                                  f'item="{dep.identity}" owner="{identity}"')
                        self._report_invalid_namespace_owner_ref(dep, identity.uid)
                    self.attempt_to_delete.add(dep.identity.uid)
                self._log(f'"replacing virtual item with observed item" virtual="{existing.identity}" '
                          f'observed="{identity}"')
                existing.identity = identity
            existing.virtual = False
        owners = list(meta.get("ownerReferences") or [])
        if event != "delete" and existing is None:
            node = Node(identity, owners, being_deleted=_being_deleted(obj),
                        deleting_dependents=_being_deleted(obj) and _has_finalizer(obj, FINALIZER_DELETE_DEPENDENTS))
            self._insert_node(node)
            self._process_transitions(old, obj, node)
        elif event != "delete":
            added, removed, changed = references_diffs(existing.owners, owners)
            if added or removed or changed:
                self._add_unblocked_owners_to_delete_queue(removed, changed)
                existing.owners = owners
                self._add_dependent_to_owners(existing, added)
                self._remove_dependent_from_owners(existing, removed)
            if _being_deleted(obj):
                existing.being_deleted = True
            self._process_transitions(old, obj, existing)
        elif existing is not None:
            self._remove_existing(existing, identity)

    def _insert_node(self, node: Node) -> None:
        self.uid_to_node[node.identity.uid] = node
        self._add_dependent_to_owners(node, node.owners)

    def _add_dependent_to_owners(self, node: Node, owners: list[dict]) -> None:
        """addDependentToOwners: owners not in the graph get a virtual node, which attemptToDelete
        checks against the API server; a reference whose coordinates disagree with an observed
        owner sends the dependent to be verified."""
        potentially_invalid = False
        for ref in owners:
            owner = self.uid_to_node.get(ref["uid"])
            if owner is None:
                owner = Node(ObjectReference(ref.get("apiVersion", ""), ref.get("kind", ""), ref.get("name", ""),
                                             ref["uid"], node.identity.namespace), [], virtual=True)
                self._log(f'"add virtual item" identity="{owner.identity}"')
                self.uid_to_node[ref["uid"]] = owner
                owner.dependents[node.identity.uid] = node
                self.attempt_to_delete.add(owner.identity.uid)
                continue
            owner.dependents[node.identity.uid] = node
            if potentially_invalid:
                continue
            if owner.identity.namespace and owner.identity.namespace != node.identity.namespace:
                if not owner.virtual:
                    self._log(f'"item references an owner but does not match namespaces" item="{node.identity}" '
                              f'owner="{owner.identity}"')
                    self._report_invalid_namespace_owner_ref(node, ref["uid"])
                potentially_invalid = True
            elif not owner.identity.matches(ref):
                if not owner.virtual:
                    self._log(f'"item references an owner with coordinates that do not match the observed '
                              f'identity" item="{node.identity}" owner="{owner.identity}"')
                potentially_invalid = True
        if potentially_invalid:
            self.attempt_to_delete.add(node.identity.uid)

    def _remove_dependent_from_owners(self, node: Node, owners: list[dict]) -> None:
        for ref in owners:
            owner = self.uid_to_node.get(ref["uid"])
            if owner is not None:
                owner.dependents.pop(node.identity.uid, None)

    def _add_unblocked_owners_to_delete_queue(self, removed: list[dict], changed: list[tuple]) -> None:
        """An owner waiting for its dependents may be unblocked when a reference to it goes away
        or stops blocking."""
        for ref in removed:
            if ref.get("blockOwnerDeletion"):
                self._enqueue_if_deleting_dependents(ref["uid"])
        for old, new in changed:
            if old.get("blockOwnerDeletion") and not new.get("blockOwnerDeletion"):
                self._enqueue_if_deleting_dependents(new["uid"])

    def _enqueue_if_deleting_dependents(self, uid: str) -> None:
        owner = self.uid_to_node.get(uid)
        if owner is None:
            self._log(f'"cannot find owner" uid="{uid}"')
            return
        if owner.deleting_dependents:
            self.attempt_to_delete.add(uid)

    def _process_transitions(self, old: Optional[dict], new: dict, node: Node) -> None:
        if _starts_waiting(old, new, FINALIZER_ORPHAN):
            self._log(f'"add item to attemptToOrphan" item="{node.identity}"')
            self.attempt_to_orphan.add(node.identity.uid)
            return
        if _starts_waiting(old, new, FINALIZER_DELETE_DEPENDENTS):
            self._log(f'"add item to attemptToDelete, because it\'s waiting for its dependents to be deleted" '
                      f'item="{node.identity}"')
            node.being_deleted = node.deleting_dependents = True
            for dep in node.dependents.values():
                self.attempt_to_delete.add(dep.identity.uid)
            self.attempt_to_delete.add(node.identity.uid)

    def _remove_existing(self, node: Node, deleted: ObjectReference) -> None:
        """An observed delete: drop the node; its dependents may now be garbage, and an owner
        waiting for its dependents may now be free to go."""
        self.uid_to_node.pop(node.identity.uid, None)
        self._remove_dependent_from_owners(node, node.owners)
        if node.dependents:
            self.absent_owner_cache[deleted] = None
        for dep in node.dependents.values():
            self.attempt_to_delete.add(dep.identity.uid)
        for ref in node.owners:
            owner = self.uid_to_node.get(ref["uid"])
            if owner is not None and owner.deleting_dependents:
                self.attempt_to_delete.add(ref["uid"])

    def _virtual_delete(self, deleted: ObjectReference) -> None:
        """enqueueVirtualDeleteEvent + its processGraphChanges branch: the API server says the
        object at ``deleted`` does not exist."""
        existing = self.uid_to_node.get(deleted.uid)
        if existing is None:
            return
        remove = True
        if existing.virtual:
            matching, nonmatching = partition_dependents(list(existing.dependents.values()), deleted)
            if nonmatching:
                remove = False
                if matching:
                    self.absent_owner_cache[deleted] = None
                    for dep in matching:
                        self.attempt_to_delete.add(dep.identity.uid)
                if existing.identity == deleted:
                    # getAlternateOwnerIdentity: try the next coordinates a dependent names this uid by.
                    alternates = sorted({(r.get("apiVersion", ""), r.get("kind", ""), r.get("name", ""),
                                          dep.identity.namespace)
                                         for dep in nonmatching for r in dep.owners if r.get("uid") == deleted.uid})
                    if alternates:
                        api_version, kind, name, namespace = alternates[0]
                        existing.identity = ObjectReference(api_version, kind, name, deleted.uid,
                                                            namespace if deleted.namespace else "")
                        self.attempt_to_delete.add_rate_limited(deleted.uid)
        elif existing.identity != deleted:
            remove = False
            matching, _ = partition_dependents(list(existing.dependents.values()), deleted)
            if matching:
                self.absent_owner_cache[deleted] = None
                for dep in matching:
                    self.attempt_to_delete.add(dep.identity.uid)
        if remove:
            self._remove_existing(existing, deleted)

    def _report_invalid_namespace_owner_ref(self, node: Node, owner_uid: str) -> None:
        ref = next((r for r in node.owners if r.get("uid") == owner_uid), None)
        if ref is None or self.recorder is None:
            return
        invalid = ObjectReference(ref.get("apiVersion", ""), ref.get("kind", ""), ref.get("name", ""),
                                  owner_uid, node.identity.namespace)
        obj = {"apiVersion": node.identity.api_version, "kind": node.identity.kind,
               "metadata": {"name": node.identity.name, "namespace": node.identity.namespace,
                            "uid": node.identity.uid}}
        self.recorder.event(obj, "Warning", "OwnerRefInvalidNamespace",
                            f'ownerRef {invalid} does not exist in namespace "{node.identity.namespace}"')

    # -- talking to the API server -------------------------------------------------------------
    @staticmethod
    def _info(identity: ObjectReference) -> ResourceInfo:
        """The REST mapping; an unknown kind raises the 404 "no matches for kind" (retried)."""
        return SCHEME.by_kind(identity.api_version, identity.kind)

    async def get_object(self, identity: ObjectReference) -> dict:
        info = self._info(identity)
        return await self.client.get(info, identity.namespace if info.namespaced else "", identity.name)

    async def delete_object(self, identity: ObjectReference, resource_version: str, owners: Optional[list],
                            policy: str) -> None:
        """deleteObject: with the uid (and the resourceVersion the decision was made at) as
        preconditions; a conflict from an unrelated change retries without the resourceVersion."""
        info = self._info(identity)
        namespace = identity.namespace if info.namespaced else ""
        preconditions = {"uid": identity.uid}
        if resource_version:
            preconditions["resourceVersion"] = resource_version
        try:
            await self.client.delete(info, namespace, identity.name, propagation_policy=policy,
                                     preconditions=preconditions)
        except errors.StatusError as error:
            if not (errors.is_conflict(error) and resource_version):
                raise
            try:
                live = await self.get_object(identity)
            except errors.StatusError as live_error:
                if errors.is_not_found(live_error):
                    return
                raise error from None
            meta = live["metadata"]
            if meta.get("uid") == identity.uid and meta.get("resourceVersion") != resource_version and \
                    (meta.get("ownerReferences") or []) == (owners or []):
                await self.delete_object(identity, "", None, policy)
                return
            raise

    async def patch_object(self, identity: ObjectReference, patch: dict, content_type: str) -> dict:
        info = self._info(identity)
        return await self.client.patch(info, identity.namespace if info.namespaced else "", identity.name,
                                       patch, content_type)

    async def delete_owner_refs(self, item: Node, owner_uids: list[str]) -> None:
        """GenerateDeleteOwnerRefStrategicMergeBytes: the dependent's uid guards the patch."""
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid} for uid in owner_uids],
                              "uid": item.identity.uid}}
        await self.patch_object(item.identity, patch, STRATEGIC_PATCH)

    async def remove_finalizer(self, owner: Node, target: str) -> None:
        """removeFinalizer, under retry.RetryOnConflict(DefaultBackoff)."""
        delay, factor, steps = RETRY_BACKOFF
        for step in range(steps):
            try:
                obj = await self.get_object(owner.identity)
            except errors.StatusError as error:
                if errors.is_not_found(error):
                    return
                raise
            finalizers = obj["metadata"].get("finalizers") or []
            if target not in finalizers:
                self._log(f'"finalizer already removed from object" finalizer="{target}" object="{owner.identity}"')
                return
            remaining = [f for f in finalizers if f != target]
            patch = {"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"],
                                  "finalizers": remaining or None}}
            try:
                await self.patch_object(owner.identity, patch, MERGE_PATCH)
                return
            except errors.StatusError as error:
                if not errors.is_conflict(error) or step == steps - 1:
                    raise
            await self.kernel.sleep(delay)
            delay *= factor

    # -- attemptToDelete -----------------------------------------------------------------------
    async def attempt_to_delete_worker(self, uid: str) -> str:
        node = self.uid_to_node.get(uid)
        if node is None:
            self._log(f'"item no longer in the graph, skipping attemptToDeleteItem" uid="{uid}"')
            return FORGET
        try:
            if await self.attempt_to_delete_item(node):
                return FORGET           # a virtual delete was processed; nothing to retry
        except errors.StatusError as error:
            self._log(f"error syncing item {node.identity}: {error}")
            return REQUEUE
        if node.virtual:
            # Requeue until an informer shows the object, so a virtual node for an object created
            # and deleted while a watch was down cannot stick in the graph (kubernetes#56121).
            self._log(f'"item hasn\'t been observed via informer yet" item="{node.identity}"')
            return REQUEUE
        return FORGET

    async def attempt_to_delete_item(self, item: Node) -> bool:
        """attemptToDeleteItem. Returns True when the object turned out not to exist (a virtual
        delete event was processed instead)."""
        self._log(f'"Processing item" item="{item.identity}" virtual={str(item.virtual).lower()}')
        if item.being_deleted and not item.deleting_dependents:
            return False            # one-way trip to deletion: wait for the final delete event
        info = self._info(item.identity)        # a kind the server does not serve: retried (restMappingError)
        try:
            latest = await self.client.get(info, item.identity.namespace if info.namespaced else "",
                                           item.identity.name)
        except errors.StatusError as error:
            if not errors.is_not_found(error):
                raise
            self._log(f'"item not found, generating a virtual delete event" item="{item.identity}"')
            self._virtual_delete(item.identity)
            return True
        if latest["metadata"].get("uid") != item.identity.uid:
            self._log(f'"UID doesn\'t match, item not found, generating a virtual delete event" '
                      f'item="{item.identity}"')
            self._virtual_delete(item.identity)
            return True
        if item.deleting_dependents:
            await self.process_deleting_dependents_item(item)
            return False
        refs = latest["metadata"].get("ownerReferences") or []
        if not refs:
            self._log(f'"item doesn\'t have an owner, continue on next item" item="{item.identity}"')
            return False
        solid, dangling, waiting = await self.classify_references(item, refs)
        self._log(f'"classify item\'s references" item="{item.identity}" solid={_names(solid)} '
                  f'dangling={_names(dangling)} waitingForDependentsDeletion={_names(waiting)}')
        resource_version = latest["metadata"].get("resourceVersion", "")
        if solid:
            self._log(f'"item has at least one existing owner, will not garbage collect" item="{item.identity}" '
                      f'owner={_names(solid)}')
            if not dangling and not waiting:
                return False
            self._log(f'"remove dangling references and waiting references for item" item="{item.identity}" '
                      f'dangling={_names(dangling)} waitingForDependentsDeletion={_names(waiting)}')
            await self.delete_owner_refs(item, [r["uid"] for r in dangling + waiting])
            return False
        if waiting and item.dependents:
            if any(dep.deleting_dependents for dep in item.dependents.values()):
                self._log(f'"processing object, some of its owners and its dependent have '
                          f'FinalizerDeletingDependents, to prevent potential cycle, its ownerReferences are going '
                          f'to be modified to be non-blocking, then the object is going to be deleted with '
                          f'Foreground" item="{item.identity}"')
                unblocked = [dict(r, blockOwnerDeletion=False) for r in item.owners if r.get("blockOwnerDeletion")]
                await self.patch_object(item.identity, {"metadata": {"ownerReferences": unblocked,
                                                                     "uid": item.identity.uid}}, STRATEGIC_PATCH)
            self._log(f'"at least one owner of item has FinalizerDeletingDependents, and the item itself has '
                      f'dependents, so it is going to be deleted in Foreground" item="{item.identity}"')
            await self.delete_object(item.identity, resource_version, refs, "Foreground")
            return False
        if _has_finalizer(latest, FINALIZER_ORPHAN):
            policy = "Orphan"
        elif _has_finalizer(latest, FINALIZER_DELETE_DEPENDENTS):
            policy = "Foreground"
        else:
            policy = "Background"
        self._log(f'"Deleting item" item="{item.identity}" propagationPolicy="{policy}"')
        await self.delete_object(item.identity, resource_version, refs, policy)
        return False

    async def classify_references(self, item: Node, refs: list[dict]) -> tuple[list, list, list]:
        """solid: the owner exists and is not waiting for its dependents; dangling: it does not
        exist (or has another uid); waiting: it is being deleted with foregroundDeletion."""
        solid, dangling, waiting = [], [], []
        for ref in refs:
            is_dangling, owner = await self.is_dangling(ref, item)
            if is_dangling:
                dangling.append(ref)
            elif _being_deleted(owner) and _has_finalizer(owner, FINALIZER_DELETE_DEPENDENTS):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    async def is_dangling(self, ref: dict, item: Node) -> tuple[bool, Optional[dict]]:
        """isDangling: ask the API server (the graph may lag), remembering absent owners."""
        key = ObjectReference(ref.get("apiVersion", ""), ref.get("kind", ""), ref.get("name", ""), ref["uid"])
        if key in self.absent_owner_cache:
            return True, None
        key = ObjectReference(key.api_version, key.kind, key.name, key.uid, item.identity.namespace)
        if key in self.absent_owner_cache:
            return True, None
        info = self._info(key)
        if not info.namespaced:
            key = ObjectReference(key.api_version, key.kind, key.name, key.uid)
        elif not item.identity.namespace:
            self._log(f'"item is cluster-scoped, but refers to a namespaced owner of kind" '
                      f'item="{item.identity}" ownerKind="{key.kind}"')
            return False, {"metadata": {}}          # never garbage: a namespaced owner of a cluster-scoped object
        try:
            owner = await self.client.get(info, key.namespace, key.name)
        except errors.StatusError as error:
            if not errors.is_not_found(error):
                raise
            self.absent_owner_cache[key] = None
            self._log(f'"item\'s owner is not found" item="{item.identity}" owner="{key}"')
            return True, None
        if owner["metadata"].get("uid") != ref["uid"]:
            self._log(f'"item\'s owner is not found, UID mismatch" item="{item.identity}" owner="{key}" '
                      f'foundOwnerUID="{owner["metadata"].get("uid")}"')
            self.absent_owner_cache[key] = None
            return True, None
        return False, owner

    async def process_deleting_dependents_item(self, item: Node) -> None:
        blocking = item.blocking_dependents()
        if not blocking:
            self._log(f'"remove DeleteDependents finalizer for item" item="{item.identity}"')
            await self.remove_finalizer(item, FINALIZER_DELETE_DEPENDENTS)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self._log(f'"adding dependent to attemptToDelete, because its owner is deletingDependents" '
                          f'item="{item.identity}" dependent="{dep.identity}"')
                self.attempt_to_delete.add(dep.identity.uid)

    # -- attemptToOrphan -----------------------------------------------------------------------
    async def attempt_to_orphan_worker(self, uid: str) -> str:
        owner = self.uid_to_node.get(uid)
        if owner is None:
            return FORGET
        try:
            await self.orphan_dependents(owner.identity, list(owner.dependents.values()))
        except errors.StatusError as error:
            self._log(f"orphanDependents for {owner.identity} failed with {error}")
            return REQUEUE
        try:
            await self.remove_finalizer(owner, FINALIZER_ORPHAN)
        except errors.StatusError as error:
            self._log(f"removeOrphanFinalizer for {owner.identity} failed with {error}")
            return REQUEUE
        return FORGET

    async def orphan_dependents(self, owner: ObjectReference, dependents: list[Node]) -> None:
        """Remove the reference to ``owner`` from every dependent, all at once; a dependent already
        gone is no error."""
        tasks = [self.kernel.spawn(self._orphan_one(owner, dep), "orphanDependent") for dep in dependents]
        failures = [r for r in [await t for t in tasks] if r is not None]
        if failures:
            raise errors.internal(f"failed to orphan dependents of owner {owner}, got errors: "
                                  + ", ".join(failures))
        self._log(f'"successfully updated all dependents" owner="{owner}"')

    async def _orphan_one(self, owner: ObjectReference, dep: Node) -> Optional[str]:
        try:
            await self.delete_owner_refs(dep, [owner.uid])
        except (errors.StatusError, Timeout) as error:
            if not errors.is_not_found(error):
                return f"orphaning {dep.identity} failed, {error}"
        return None


def references_diffs(old: list[dict], new: list[dict]) -> tuple[list, list, list]:
    """referencesDiffs: by uid, the references added, removed, and changed (old, new)."""
    old_by_uid = {r["uid"]: r for r in old}
    new_by_uid = {r["uid"]: r for r in new}
    added = [r for r in new if r["uid"] not in old_by_uid]
    removed = [r for r in old if r["uid"] not in new_by_uid]
    changed = [(old_by_uid[r["uid"]], r) for r in new if r["uid"] in old_by_uid and old_by_uid[r["uid"]] != r]
    return added, removed, changed


def _names(refs: list[dict]) -> str:
    return "[" + " ".join(f"{r.get('kind')}/{r.get('name')}" for r in refs) + "]"
