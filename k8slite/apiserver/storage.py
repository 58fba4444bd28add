"""Objects as JSON in etcd: keys, encoding, paged lists, compare-and-swap updates, deletes, compaction.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go``
(Create, Get, GetList with limit/continue read at one revision, GuaranteedUpdate and
conditionalDelete with ``storage.Preconditions``; resourceVersion is the etcd
mod_revision, set on decode and cleared on encode), ``storage/continue.go`` (the
continue token), ``storage/etcd3/errors.go`` (410 for compacted lists),
``storage/etcd3/compact.go`` (the compactor) and
``pkg/kubeapiserver/default_storage_factory_builder.go`` for the key prefixes that
differ from the resource name (``minions`` for nodes, ``services/specs``).

Simplified: objects are stored as JSON, not protobuf (real clusters store most kinds
as protobuf with a ``k8s\\x00`` prefix); encryption at rest is a per-resource transformer
(``encryption.py``) applied in ``seal``/``open``; a list is read from
etcd in one range per page (upstream doubles the page while a selector filters items
out, as here, up to 10000).
"""
from __future__ import annotations

import base64
import binascii
import json
import posixpath
from typing import Any, Awaitable, Callable, NamedTuple, Optional

from ..api import errors
from ..api.scheme import ResourceInfo
from ..etcd import errors as etcd_errors
from ..etcd.mvcc import Compare, Op, prefix_end

# Resources whose etcd prefix is not their plural name (historical names upstream).
SPECIAL_PREFIXES = {("", "nodes"): "minions", ("", "services"): "services/specs",
                    ("", "endpoints"): "services/endpoints", ("", "replicationcontrollers"): "controllers"}
# Groups whose resources live under /registry/<group>/<resource> (custom resources do too).
GROUPED_PREFIX = {"apiextensions.k8s.io", "apiregistration.k8s.io"}
MAX_LIMIT = 10000                        # store.go maxLimit: how far a filtered page grows
COMPACT_REV_KEY = "compact_rev_key"      # compact.go compactRevKey (outside /registry)
COMPACTION_INTERVAL = 300.0              # --etcd-compaction-interval (5 min)

# store.go: what a list whose revision was compacted answers.
EXPIRED = "The resourceVersion for the provided list is too old."
CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter.")
INCONSISTENT_CONTINUE = ("The provided continue parameter is too old to display a consistent list result. "
                         "You can start a new list without the continue parameter, or use the continue token "
                         "in this response to retrieve the remainder of the results. Continuing with the "
                         "provided token results in an inconsistent list - objects that were created, modified, "
                         "or deleted between the time the first chunk was returned and now may show up in the list.")
TOO_LARGE_RV_CAUSE = {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}


def registry_prefix(info: ResourceInfo) -> str:
    name = SPECIAL_PREFIXES.get((info.group, info.resource), info.resource)
    if info.group in GROUPED_PREFIX:
        name = f"{info.group}/{info.resource}"
    return f"/registry/{name}/"


def encode(obj: dict) -> bytes:
    meta = obj.get("metadata", {})
    if "resourceVersion" in meta:
        obj = dict(obj, metadata={k: v for k, v in meta.items() if k != "resourceVersion"})
    return json.dumps(obj, separators=(",", ":")).encode()


def decode(value: bytes, revision: int) -> dict:
    obj = json.loads(value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
    return obj


def too_large_resource_version(minimum: int, current: int, retry_seconds: int) -> errors.StatusError:
    """storage.NewTooLargeResourceVersionError: a 504 the client may retry."""
    return errors.timeout(f"Too large resource version: {minimum}, current: {current}", retry_seconds,
                          [dict(TOO_LARGE_RV_CAUSE)])


def etcd_status(error: etcd_errors.EtcdError) -> errors.StatusError:
    """An etcd error that storage does not interpret reaches the client as a reason-less 500
    with etcd's text ("etcdserver: request is too large"), as ErrorToAPIStatus writes it."""
    return errors.without_reason(str(error))


# -- the continue token (storage/continue.go) ------------------------------------------------

def encode_continue(key: str, key_prefix: str, revision: int) -> str:
    """EncodeContinue: base64url (unpadded) of {"v":"meta.k8s.io/v1","rv":<rev>,"start":"<key suffix>"}."""
    start = key[len(key_prefix):] if key.startswith(key_prefix) else key
    data = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


class ContinueError(ValueError):
    """A continue token that does not decode; the message is DecodeContinue's."""


_B64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def decode_continue(token: str, key_prefix: str) -> tuple[str, int]:
    """DecodeContinue: (the key to start from, the revision to read at; -1 means the latest)."""
    bad = next((i for i, c in enumerate(token) if c not in _B64), None)
    if bad is None and len(token) % 4 == 1:
        bad = len(token) - 1
    if bad is not None:
        raise ContinueError(f"continue key is not valid: illegal base64 data at input byte {bad}")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise ContinueError(f"continue key is not valid: {_go_json_error(error)}") from None
    if not isinstance(data, dict):
        raise ContinueError("continue key is not valid: json: cannot unmarshal into Go value of type "
                            "storage.continueToken")
    version = data.get("v", "")
    if version != "meta.k8s.io/v1":
        raise ContinueError(f"continue key is not valid: server does not recognize this encoded version {version}")
    rv = data.get("rv", 0)
    if not isinstance(rv, int) or rv == 0:
        raise ContinueError("continue key is not valid: incorrect encoded start resourceVersion "
                            "(version meta.k8s.io/v1)")
    start = data.get("start", "")
    if not start:
        raise ContinueError("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    cleaned = _go_path_clean(key)
    if cleaned != key:
        raise ContinueError(f"continue key is not valid: {start}")
    return key_prefix + cleaned[1:], rv


def _go_path_clean(path: str) -> str:
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _go_json_error(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        if error.pos >= len(error.doc):
            return "unexpected end of JSON input"
        return f"invalid character {error.doc[error.pos]!r} looking for beginning of value"
    return str(error)


class ListPage(NamedTuple):
    items: list
    revision: int
    continue_token: str = ""
    remaining: Optional[int] = None


class Storage:
    """One resource's objects in etcd, under ``prefix``."""

    def __init__(self, etcd, info: ResourceInfo, transformer: Any = None):
        """``transformer``: encryption at rest (``encryption.Transformer``), None for plain JSON."""
        self.etcd = etcd
        self.info = info
        self.prefix = registry_prefix(info)
        self.transformer = transformer
        Compactor.ensure(etcd)

    def seal(self, key: str, plain: bytes) -> bytes:
        """The bytes etcd stores for ``plain`` (encrypted when this resource is configured so)."""
        if self.transformer is None:
            return plain
        return self.transformer.to_storage(self.info.qualified_resource, plain, key)

    def open(self, key: str, value: bytes, revision: int) -> dict:
        """The object in stored bytes (decrypted first when needed)."""
        if self.transformer is not None:
            from .encryption import TransformError, storage_error
            try:
                value = self.transformer.from_storage(self.info.qualified_resource, value, key)
            except TransformError as error:
                raise storage_error(key, error) from None
        return decode(value, revision)

    def key(self, namespace: str, name: str) -> str:
        if self.info.namespaced:
            return f"{self.prefix}{namespace}/{name}"
        return f"{self.prefix}{name}"

    def list_prefix(self, namespace: str = "") -> str:
        return f"{self.prefix}{namespace}/" if self.info.namespaced and namespace else self.prefix

    async def create(self, key: str, obj: dict) -> dict:
        plain = encode(obj)
        value = self.seal(key, plain)
        try:
            result = await self.etcd.txn((Compare(key, "CREATE", "=", 0),), (Op("PUT", key, value),), (),
                                         summary=f"Txn create {key}")
        except etcd_errors.EtcdError as error:
            raise etcd_status(error) from None
        if not result.succeeded:
            raise errors.already_exists(self.info.qualified_resource, obj["metadata"]["name"])
        return decode(plain, result.revision)

    async def get(self, key: str, name: str) -> dict:
        try:
            result = await self.etcd.range(key)
        except etcd_errors.EtcdError as error:
            raise etcd_status(error) from None
        if not result.kvs:
            raise errors.not_found(self.info.qualified_resource, name)
        kv = result.kvs[0]
        return self.open(key, kv.value, kv.mod_revision)

    async def list(self, namespace: str = "") -> tuple[list[dict], int]:
        """Every object (under a namespace), read now: what the watch cache lists to start."""
        page = await self.get_list(self.list_prefix(namespace))
        return page.items, page.revision

    async def get_list(self, key_prefix: str, recursive: bool = True, revision: int = 0, limit: int = 0,
                       continue_key: str = "", paging_continue: bool = False, minimum_rv: int = 0,
                       match: Optional[Callable[[dict], bool]] = None) -> ListPage:
        """store.GetList: objects under ``key_prefix`` (or the one object at it, not ``recursive``).

        Every page is read at ``revision`` (0: the newest, which the first page then fixes for
        the continue token); ``match`` filters, and a page keeps reading until it holds
        ``limit`` matches. ``paging_continue`` says the request came with a continue token, so
        that a compacted revision answers with a token to go on inconsistently.
        """
        start = continue_key or key_prefix
        end = prefix_end(key_prefix) if recursive else ""
        items: list[dict] = []
        last_key = ""
        has_more = False
        count = 0
        page_limit = limit
        while True:
            try:
                result = await self.etcd.range(start, end, revision=revision,
                                               limit=page_limit if recursive else 0)
            except etcd_errors.FutureRevisionError:
                current = await self._current_revision(key_prefix)
                raise too_large_resource_version(revision, current, 0) from None
            except etcd_errors.CompactedError:
                if paging_continue:
                    error = errors.expired(INCONSISTENT_CONTINUE)
                    error.status["metadata"] = {"continue": encode_continue(continue_key, key_prefix, -1)}
                    raise error from None
                raise errors.expired(EXPIRED) from None
            except etcd_errors.EtcdError as error:
                raise etcd_status(error) from None
            if minimum_rv > result.revision:
                raise too_large_resource_version(minimum_rv, result.revision, 0)
            count = result.count
            has_more = len(result.kvs) < count
            if revision == 0:
                revision = result.revision
            for kv in result.kvs:
                if limit and len(items) >= limit:
                    has_more = True
                    break
                last_key = kv.key
                obj = self.open(kv.key, kv.value, kv.mod_revision)
                if match is None or match(obj):
                    items.append(obj)
            start = last_key + "\x00"
            if not has_more or not limit or not recursive or len(items) >= limit:
                break
            page_limit = min(page_limit * 2, MAX_LIMIT)
        if has_more and recursive:
            remaining = count - limit if match is None else None
            return ListPage(items, revision, encode_continue(last_key + "\x00", key_prefix, revision), remaining)
        return ListPage(items, revision)

    async def _current_revision(self, key_prefix: str) -> int:
        try:
            return (await self.etcd.range(key_prefix, prefix_end(key_prefix), limit=1)).revision
        except etcd_errors.EtcdError:
            return 0

    async def guaranteed_update(self, key: str, name: str, update: Callable[[dict], Awaitable[Optional[dict]]],
                                current: Optional[dict] = None, retries: int = 10) -> tuple[dict, bool]:
        """Read-modify-write with compare-and-swap on mod_revision, retrying on races.

        ``update(current)`` returns the new object, or None to change nothing. It may
        raise (e.g. Conflict on a stale resourceVersion precondition). Returns the stored
        object and whether anything was written.
        """
        for _ in range(retries):
            if current is None:
                current = await self.get(key, name)
            new = await update(current)
            if new is None:
                return current, False
            plain = encode(new)
            if plain == encode(current):
                return current, False       # no-op updates do not bump the resourceVersion
            rev = int(current["metadata"]["resourceVersion"])
            result = await self.etcd.txn((Compare(key, "MOD", "=", rev),), (Op("PUT", key, self.seal(key, plain)),),
                                         (Op("RANGE", key),), summary=f"Txn update {key} if mod_revision={rev}")
            if result.succeeded:
                return decode(plain, result.revision), True
            fresh = result.responses[0].kvs
            if not fresh:
                raise errors.not_found(self.info.qualified_resource, name)
            current = self.open(key, fresh[0].value, fresh[0].mod_revision)
        raise errors.conflict(self.info.qualified_resource, name, "too many retries")

    async def guaranteed_update_checked(self, key: str, name: str,
                                        update: Callable[[dict], Awaitable[Optional[dict]]],
                                        preconditions: Optional[dict]) -> tuple[dict, bool]:
        """GuaranteedUpdate with ``storage.Preconditions``, checked on each attempt's object."""
        if not preconditions:
            return await self.guaranteed_update(key, name, update)

        async def checked(current: dict) -> Optional[dict]:
            self.check_preconditions(preconditions, current)
            return await update(current)
        return await self.guaranteed_update(key, name, checked)

    def check_preconditions(self, preconditions: Optional[dict], obj: dict) -> None:
        """storage.Preconditions.Check: the stored object must still have this UID/resourceVersion."""
        if not preconditions:
            return
        meta = obj["metadata"]
        uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
        if uid is not None and uid != meta.get("uid"):
            raise errors.conflict(self.info.qualified_resource, meta["name"],
                                  f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                                  f"{meta.get('uid', '')}")
        if rv is not None and rv != meta.get("resourceVersion"):
            raise errors.conflict(self.info.qualified_resource, meta["name"],
                                  f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion "
                                  f"in object meta: {meta.get('resourceVersion')}")

    async def delete(self, key: str, name: str, preconditions: Optional[dict] = None,
                     current: Optional[dict] = None) -> dict:
        """conditionalDelete: delete if the preconditions hold on the object as it is, retrying
        races; returns the deleted object at the deletion's revision (as its DELETED event)."""
        is_current = current is None
        while True:
            if current is None:
                current = await self.get(key, name)
            try:
                self.check_preconditions(preconditions, current)
            except errors.StatusError:
                if is_current:
                    raise
                cached_rev = current["metadata"]["resourceVersion"]
                current, is_current = await self.get(key, name), True
                if current["metadata"]["resourceVersion"] == cached_rev:
                    raise
                continue
            rev = int(current["metadata"]["resourceVersion"])
            try:
                result = await self.etcd.txn((Compare(key, "MOD", "=", rev),), (Op("DELETE", key),),
                                             (Op("RANGE", key),), summary=f"Txn delete {key} if mod_revision={rev}")
            except etcd_errors.EtcdError as error:
                raise etcd_status(error) from None
            if result.succeeded:
                return decode(encode(current), result.revision)
            fresh = result.responses[0].kvs
            if not fresh:
                raise errors.not_found(self.info.qualified_resource, name)
            current, is_current = self.open(key, fresh[0].value, fresh[0].mod_revision), True


class Compactor:
    """Compacts etcd's history every ``interval`` (storage/etcd3/compact.go).

    The key ``compact_rev_key`` is a lease among API servers: its version is the compact
    time. Each round, the server whose compare on that version succeeds writes the
    revision it saw last round and compacts etcd at it, so history is kept for one to
    two intervals; a server whose compare fails adopts the key's version and tries again
    next round. The first round only writes the key ("we don't compact on bootstrap").
    """

    def __init__(self, etcd, interval: float = COMPACTION_INTERVAL):
        self.etcd, self.interval = etcd, interval
        self.kernel = etcd.kernel
        self.compact_revision = 0            # the last revision compacted (by anyone)

    @classmethod
    def ensure(cls, etcd) -> "Compactor":
        """One compactor per etcd client (upstream: per endpoints in one process)."""
        compactor = getattr(etcd, "compactor", None)
        if compactor is None:
            compactor = etcd.compactor = cls(etcd)
            compactor.start()
        return compactor

    def start(self) -> None:
        owner = getattr(self.etcd, "endpoint", None)
        self.kernel.spawn(self._run(), "etcd compactor", cause=None, owner=owner)

    async def _run(self) -> None:
        compact_time = rev = 0
        while True:
            await self.kernel.sleep(self.interval)
            try:
                compact_time, rev, compacted = await self.compact(compact_time, rev)
            except etcd_errors.EtcdError:
                continue
            if compacted:
                self.compact_revision = compacted

    async def compact(self, expect_version: int, rev: int) -> tuple[int, int, int]:
        """One round: (the compact time now, the revision to compact next round, what was compacted)."""
        result = await self.etcd.txn((Compare(COMPACT_REV_KEY, "VERSION", "=", expect_version),),
                                     (Op("PUT", COMPACT_REV_KEY, str(rev).encode()),),
                                     (Op("RANGE", COMPACT_REV_KEY),),
                                     summary=f"Txn {COMPACT_REV_KEY} if version={expect_version}")
        current_rev = result.revision
        if not result.succeeded:
            kv = result.responses[0].kvs[0]
            try:
                return kv.version, current_rev, int(kv.value)
            except ValueError:
                return kv.version, current_rev, 0
        if rev == 0:
            return expect_version + 1, current_rev, 0
        await self.etcd.compact(rev)
        return expect_version + 1, current_rev, rev
