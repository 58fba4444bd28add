"""Encryption at rest: what the API server does to an object's bytes on their way to and from etcd.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go``
(an ``apiserver.config.k8s.io/v1`` EncryptionConfiguration becomes, per resource, a list of
prefix transformers: the first provider writes, every provider may read),
``pkg/apis/apiserver/validation/validation.go`` (key sizes and messages),
``pkg/storage/value/transformer.go`` (prefixTransformers: the stored value's prefix picks
the provider; "no matching prefix found"; a value read by any but the first provider
is *stale* and is rewritten by the next update, which is how rotating a key works),
``pkg/storage/value/encrypt/aes/aes.go`` (aescbc: ``k8s:enc:aescbc:v1:<key name>:`` + a
16-byte IV + AES-CBC ciphertext with PKCS#7 padding; aesgcm: ``k8s:enc:aesgcm:v1:<key
name>:`` + a 12-byte nonce + AES-GCM ciphertext and tag, authenticated with the etcd key)
and ``pkg/storage/value/encrypt/identity/identity.go`` (identity writes plain bytes and
refuses to read encrypted ones).

Every IV and nonce comes from ``os.urandom``, as real encryption needs: encrypted values
differ on every write and every run. Print only a value's prefix and length
(``describe``) where output must be reproducible. AES comes from ``cryptography``,
imported only when a key is used, so the simulation runs without it.

Simplified: no secretbox and no KMS providers; the configuration is read once, with
no automatic reload; the first entry naming a resource decides it, without the
"masked by an earlier rule" check.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

from ..api import errors

ENCRYPTED_PREFIX = b"k8s:enc:"
AES_KEY_SIZES = (16, 24, 32)
BLOCK_SIZE = 16                 # aes.BlockSize
GCM_NONCE_SIZE = 12


class TransformError(Exception):
    """A stored value that no provider can read (the upstream message is the text)."""


def new_key(size: int = 32) -> str:
    """A fresh key, base64 as the configuration wants it (``head -c 32 /dev/urandom | base64``)."""
    return base64.b64encode(os.urandom(size)).decode()


def storage_error(key: str, error: Exception) -> errors.StatusError:
    """What the client sees when a stored value cannot be read: 500 ``unable to transform key``."""
    return errors.internal(f"unable to transform key {json.dumps(key)}: {error}")


def describe(value: bytes) -> str:
    """A stored value without its random part: ``k8s:enc:aescbc:v1:key1:<IV and ciphertext, 1232 bytes>``."""
    if not value.startswith(ENCRYPTED_PREFIX):
        return f"<plain, {len(value)} bytes>"
    parts = value.split(b":", 5)
    if len(parts) < 6:
        return f"<{len(value)} bytes>"
    prefix = b":".join(parts[:5]).decode(errors="replace") + ":"
    what = "nonce, ciphertext and tag" if parts[2] == b"aesgcm" else "IV and ciphertext"
    return f"{prefix}<{what}, {len(parts[5])} bytes>"


# ---- providers ----------------------------------------------------------------------------

class Identity:
    """identity: the value as it is; an encrypted value is an error, not data."""
    prefix = b""
    name = "identity"

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        return data

    def from_storage(self, data: bytes, context: bytes) -> bytes:
        if data.startswith(ENCRYPTED_PREFIX):
            raise TransformError("identity transformer tried to read encrypted data")
        return data


class AESCBC:
    """aescbc: ``k8s:enc:aescbc:v1:<name>:`` + IV + AES-CBC(PKCS#7(data)). Not authenticated."""

    def __init__(self, name: str, key: bytes):
        self.name, self.key = name, key
        self.prefix = f"k8s:enc:aescbc:v1:{name}:".encode()

    def _cipher(self, iv: bytes):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        return Cipher(algorithms.AES(self.key), modes.CBC(iv))

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        iv = os.urandom(BLOCK_SIZE)
        pad = BLOCK_SIZE - len(data) % BLOCK_SIZE
        encryptor = self._cipher(iv).encryptor()
        return iv + encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()

    def from_storage(self, data: bytes, context: bytes) -> bytes:
        if len(data) < BLOCK_SIZE:
            raise TransformError("the stored data was shorter than the required size")
        iv, body = data[:BLOCK_SIZE], data[BLOCK_SIZE:]
        if len(body) % BLOCK_SIZE != 0:
            raise TransformError("the stored data is not a multiple of the block size")
        decryptor = self._cipher(iv).decryptor()
        result = decryptor.update(body) + decryptor.finalize()
        pad = result[-1] if result else 0
        if pad == 0 or pad > len(result) or result[-pad:] != bytes([pad]) * pad:
            raise TransformError("invalid padding on input")
        return result[:-pad]


class AESGCM:
    """aesgcm: ``k8s:enc:aesgcm:v1:<name>:`` + nonce + AES-GCM(data), authenticated with the etcd key."""

    def __init__(self, name: str, key: bytes):
        self.name, self.key = name, key
        self.prefix = f"k8s:enc:aesgcm:v1:{name}:".encode()

    def _aead(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM as _AESGCM
        return _AESGCM(self.key)

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        nonce = os.urandom(GCM_NONCE_SIZE)
        return nonce + self._aead().encrypt(nonce, data, context or None)

    def from_storage(self, data: bytes, context: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag
        if len(data) < GCM_NONCE_SIZE:
            raise TransformError("the stored data was shorter than the required size")
        try:
            return self._aead().decrypt(data[:GCM_NONCE_SIZE], data[GCM_NONCE_SIZE:], context or None)
        except InvalidTag:
            raise TransformError("cipher: message authentication failed") from None


Provider = Union[Identity, AESCBC, AESGCM]


class PrefixTransformers:
    """value.prefixTransformers: write with the first; read with the first whose prefix the value has."""

    def __init__(self, providers: list[Provider]):
        self.providers = providers

    def to_storage(self, data: bytes, context: bytes = b"") -> bytes:
        first = self.providers[0]
        return first.prefix + first.to_storage(data, context)

    def from_storage(self, data: bytes, context: bytes = b"") -> tuple[bytes, bool]:
        """The plain bytes, and whether they are stale (read by any provider but the first)."""
        failures: list[str] = []
        for i, p in enumerate(self.providers):
            if not data.startswith(p.prefix):
                continue
            try:
                result = p.from_storage(data[len(p.prefix):], context)
            except TransformError as e:
                # An identity provider (empty prefix) that meets encrypted data lets the others try.
                if not p.prefix:
                    failures.append(str(e))
                    continue
                raise
            return result, i != 0
        if failures:
            raise TransformError(errors.aggregate(failures))
        raise TransformError("no matching prefix found")


@dataclass(frozen=True)
class _Entry:
    resources: tuple
    transformers: PrefixTransformers


def _matches(pattern: str, resource: str) -> bool:
    """``secrets``, ``deployments.apps``, ``*.apps``, ``*.`` (every core resource), ``*.*`` (everything)."""
    if pattern in ("*.*", resource):
        return True
    if pattern == "*.":
        return "." not in resource
    if pattern.startswith("*."):
        return resource.endswith(pattern[1:])
    return False


class Transformer:
    """The API server's value transformers, one list per resource (``--encryption-provider-config``).

    ``resource`` is the qualified resource (``secrets``, ``deployments.apps``); ``key`` the etcd key
    (AES-GCM authenticates it, so a value copied to another key does not decrypt). A resource no
    entry names is stored plain and read through the identity check.
    """

    def __init__(self, config: Optional[Any] = None):
        self.entries: list[_Entry] = _load(config) if config is not None else []
        self._default = PrefixTransformers([Identity()])

    def transformers(self, resource: str) -> PrefixTransformers:
        for entry in self.entries:
            if any(_matches(p, resource) for p in entry.resources):
                return entry.transformers
        return self._default

    def to_storage(self, resource: str, data: bytes, key: str = "") -> bytes:
        return self.transformers(resource).to_storage(data, key.encode())

    def from_storage(self, resource: str, data: bytes, key: str = "") -> bytes:
        """The plain bytes; raises TransformError (``no matching prefix found``, ...) if unreadable."""
        return self.transformers(resource).from_storage(data, key.encode())[0]

    def from_storage_stale(self, resource: str, data: bytes, key: str = "") -> tuple[bytes, bool]:
        """The plain bytes and whether the next write should re-encrypt them with the first provider."""
        return self.transformers(resource).from_storage(data, key.encode())


def _load(config: Any) -> list[_Entry]:
    """An EncryptionConfiguration (a dict, or YAML text) -> entries; ValueError lists what is wrong."""
    if isinstance(config, (str, bytes)):
        import yaml
        config = yaml.safe_load(config) or {}
    if config.get("kind") != "EncryptionConfiguration" or config.get("apiVersion") != "apiserver.config.k8s.io/v1":
        raise ValueError(f'no kind "{config.get("kind")}" is registered for version "{config.get("apiVersion")}": '
                         "want apiserver.config.k8s.io/v1 EncryptionConfiguration")
    causes: list[errors.Cause] = []
    entries: list[_Entry] = []
    if not config.get("resources"):
        causes.append(errors.required("resources", "at least one resources is required"))
    for i, conf in enumerate(config.get("resources") or []):
        r, p = f"resources[{i}].resources", f"resources[{i}].providers"
        if not conf.get("resources"):
            causes.append(errors.required(r, f"at least one {r} is required"))
        if not conf.get("providers"):
            causes.append(errors.required(p, f"at least one {p} is required"))
        providers: list[Provider] = []
        for j, provider in enumerate(conf.get("providers") or []):
            path = f"{p}[{j}]"
            kinds = [k for k in ("kms", "aesgcm", "aescbc", "secretbox", "identity") if k in provider]
            if not kinds:
                causes.append(errors.invalid_value(path, provider, "provider does not contain any of the expected "
                                                   "providers: KMS, AESGCM, AESCBC, Secretbox, Identity"))
                continue
            if len(kinds) > 1:
                causes.append(errors.invalid_value(path, provider, "more than one provider specified in a single "
                                                   "element, should split into different list elements"))
                continue
            kind = kinds[0]
            if kind == "identity":
                providers.append(Identity())
            elif kind in ("aescbc", "aesgcm"):
                cls = AESCBC if kind == "aescbc" else AESGCM
                keys = (provider[kind] or {}).get("keys") or []
                if not keys:
                    causes.append(errors.required(f"{path}.{kind}.keys", "at least one keys is required"))
                for k, key in enumerate(keys):
                    secret = _key(key, f"{path}.{kind}.keys[{k}]", causes)
                    if secret is not None:
                        providers.append(cls(key["name"], secret))
            else:
                causes.append(errors.invalid_value(path, kind, f"the {kind} provider is not supported by k8slite"))
        entries.append(_Entry(tuple(conf.get("resources") or ()), PrefixTransformers(providers or [Identity()])))
    if causes:
        raise ValueError(errors.aggregate([c.error_string() for c in causes]))
    return entries


def _key(key: dict, path: str, causes: list) -> Optional[bytes]:
    """validateKey: a name, and a base64 secret of 16, 24 or 32 bytes."""
    ok = True
    if not key.get("name"):
        causes.append(errors.required(f"{path}.name", "name is a mandatory field for a key"))
        ok = False
    if not key.get("secret"):
        causes.append(errors.required(f"{path}.secret", "secret is a mandatory field for a key"))
        return None
    try:
        secret = base64.b64decode(key["secret"], validate=True)
    except (ValueError, TypeError):
        causes.append(errors.invalid_value(f"{path}.secret", "REDACTED", "secrets must be base64 encoded"))
        return None
    if len(secret) not in AES_KEY_SIZES:
        causes.append(errors.invalid_value(f"{path}.secret", "REDACTED",
                                           f"secret is not of the expected length, got {len(secret)}, expected "
                                           f"one of [{' '.join(str(s) for s in AES_KEY_SIZES)}]"))
        return None
    return secret if ok else None
