"""Objects as JSON in etcd: keys, encoding, create/update by compare-and-swap, delete.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go``
(Create, Get, GetList, GuaranteedUpdate, Delete; resourceVersion is the etcd
mod_revision, set on decode and cleared on encode) and
``pkg/kubeapiserver/default_storage_factory_builder.go`` for the key prefixes that
differ from the resource name (``minions`` for nodes, ``services/specs``).

Simplified: objects are stored as JSON, not protobuf (real clusters store most kinds
as protobuf with a ``k8s\\x00`` prefix); no encryption at rest yet.
"""
from __future__ import annotations

import json
from typing import Awaitable, Callable, Optional

from ..api import errors
from ..api.scheme import ResourceInfo
from ..etcd.mvcc import Compare, Op, prefix_end
from ..etcd.client import EtcdClient

# Resources whose etcd prefix is not their plural name (historical names upstream).
SPECIAL_PREFIXES = {("", "nodes"): "minions", ("", "services"): "services/specs",
                    ("", "endpoints"): "services/endpoints", ("", "replicationcontrollers"): "controllers"}
# Groups whose resources live under /registry/<group>/<resource> (custom resources do too).
GROUPED_PREFIX = {"apiextensions.k8s.io", "apiregistration.k8s.io"}


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


class Storage:
    """One resource's objects in etcd, under ``prefix``."""

    def __init__(self, etcd: EtcdClient, info: ResourceInfo):
        self.etcd = etcd
        self.info = info
        self.prefix = registry_prefix(info)

    def key(self, namespace: str, name: str) -> str:
        if self.info.namespaced:
            return f"{self.prefix}{namespace}/{name}"
        return f"{self.prefix}{name}"

    def list_prefix(self, namespace: str = "") -> str:
        return f"{self.prefix}{namespace}/" if self.info.namespaced and namespace else self.prefix

    async def create(self, key: str, obj: dict) -> dict:
        value = encode(obj)
        result = await self.etcd.txn((Compare(key, "CREATE", "=", 0),), (Op("PUT", key, value),), (),
                                     summary=f"Txn create {key}")
        if not result.succeeded:
            raise errors.already_exists(self.info.qualified_resource, obj["metadata"]["name"])
        return decode(value, result.revision)

    async def get(self, key: str, name: str) -> dict:
        result = await self.etcd.range(key)
        if not result.kvs:
            raise errors.not_found(self.info.qualified_resource, name)
        kv = result.kvs[0]
        return decode(kv.value, kv.mod_revision)

    async def list(self, namespace: str = "") -> tuple[list[dict], int]:
        prefix = self.list_prefix(namespace)
        result = await self.etcd.range(prefix, prefix_end(prefix))
        return [decode(kv.value, kv.mod_revision) for kv in result.kvs], result.revision

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
            value = encode(new)
            if value == encode(current):
                return current, False       # no-op updates do not bump the resourceVersion
            rev = int(current["metadata"]["resourceVersion"])
            result = await self.etcd.txn((Compare(key, "MOD", "=", rev),), (Op("PUT", key, value),),
                                         (Op("RANGE", key),), summary=f"Txn update {key} if mod_revision={rev}")
            if result.succeeded:
                return decode(value, result.revision), True
            fresh = result.responses[0].kvs
            if not fresh:
                raise errors.not_found(self.info.qualified_resource, name)
            current = decode(fresh[0].value, fresh[0].mod_revision)
        raise errors.conflict(self.info.qualified_resource, name, "too many retries")

    async def delete(self, key: str, name: str, expected_rev: int) -> dict:
        """Delete if the object is still at ``expected_rev``; returns the deleted object."""
        result = await self.etcd.txn((Compare(key, "MOD", "=", expected_rev),), (Op("DELETE", key, prev_kv=True),),
                                     (Op("RANGE", key),), summary=f"Txn delete {key} if mod_revision={expected_rev}")
        if not result.succeeded:
            raise errors.conflict(self.info.qualified_resource, name, errors.OPTIMISTIC_LOCK_ERROR)
        prev = result.responses[0].prev_kvs[0]
        return decode(prev.value, prev.mod_revision)
