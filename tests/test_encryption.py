"""Encryption at rest: the stored format, round trips, key rotation, and the errors for values no
provider can read; AES output is checked against ``cryptography``'s own AES and PKCS#7."""
from __future__ import annotations

import base64

import pytest

from k8slite.apiserver.encryption import TransformError, Transformer, describe, new_key, storage_error

KEY1 = base64.b64encode(bytes(range(32))).decode()
KEY2 = base64.b64encode(bytes(range(100, 132))).decode()
ETCD_KEY = "/registry/secrets/default/db-password"
SECRET = b'{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db-password"},"data":{"password":"aHVudGVyMg=="}}'


def config(*providers, resources=("secrets",)) -> dict:
    return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
            "resources": [{"resources": list(resources), "providers": list(providers)}]}


def aescbc(*keys) -> dict:
    return {"aescbc": {"keys": [{"name": n, "secret": s} for n, s in keys]}}


def aesgcm(*keys) -> dict:
    return {"aesgcm": {"keys": [{"name": n, "secret": s} for n, s in keys]}}


IDENTITY = {"identity": {}}


def test_aescbc_stores_prefix_then_iv_then_pkcs7_padded_cbc_ciphertext():
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    t = Transformer(config(aescbc(("key1", KEY1))))
    stored = t.to_storage("secrets", SECRET, ETCD_KEY)
    prefix = b"k8s:enc:aescbc:v1:key1:"
    assert stored.startswith(prefix)
    iv, body = stored[len(prefix):len(prefix) + 16], stored[len(prefix) + 16:]
    assert len(body) == (len(SECRET) // 16 + 1) * 16
    decryptor = Cipher(algorithms.AES(base64.b64decode(KEY1)), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(decryptor.update(body) + decryptor.finalize()) + unpadder.finalize()
    assert plain == SECRET
    assert t.from_storage("secrets", stored, ETCD_KEY) == SECRET


def test_every_write_draws_a_new_iv_so_only_prefix_and_length_are_reproducible():
    t = Transformer(config(aescbc(("key1", KEY1))))
    a, b = t.to_storage("secrets", SECRET), t.to_storage("secrets", SECRET)
    assert a != b
    assert describe(a) == describe(b) == "k8s:enc:aescbc:v1:key1:<IV and ciphertext, 128 bytes>"
    assert describe(b'{"kind":"Secret"}') == "<plain, 17 bytes>"


def test_aesgcm_binds_the_value_to_its_etcd_key():
    t = Transformer(config(aesgcm(("key1", KEY1))))
    stored = t.to_storage("secrets", SECRET, ETCD_KEY)
    assert stored.startswith(b"k8s:enc:aesgcm:v1:key1:")
    assert len(stored) == len(b"k8s:enc:aesgcm:v1:key1:") + 12 + len(SECRET) + 16
    assert describe(stored) == f"k8s:enc:aesgcm:v1:key1:<nonce, ciphertext and tag, {12 + len(SECRET) + 16} bytes>"
    assert t.from_storage("secrets", stored, ETCD_KEY) == SECRET
    with pytest.raises(TransformError, match="^cipher: message authentication failed$"):
        t.from_storage("secrets", stored, "/registry/secrets/default/other")


def test_only_the_configured_resources_are_encrypted():
    t = Transformer(config(aescbc(("key1", KEY1))))
    assert t.to_storage("configmaps", b"{}") == b"{}"
    wide = Transformer({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                        "resources": [{"resources": ["*.apps"], "providers": [aescbc(("k", KEY1))]},
                                      {"resources": ["*."], "providers": [aesgcm(("k", KEY2))]}]})
    assert wide.to_storage("deployments.apps", b"{}").startswith(b"k8s:enc:aescbc:v1:k:")
    assert wide.to_storage("configmaps", b"{}").startswith(b"k8s:enc:aesgcm:v1:k:")
    assert wide.to_storage("leases.coordination.k8s.io", b"{}") == b"{}"
    everything = Transformer(config(aescbc(("k", KEY1)), resources=("*.*",)))
    assert everything.to_storage("leases.coordination.k8s.io", b"{}").startswith(b"k8s:enc:aescbc:v1:k:")


def test_rotating_a_key_reads_old_values_as_stale_and_rewrites_them_with_the_new_key():
    old = Transformer(config(aescbc(("key1", KEY1)), IDENTITY))
    plain_era = b'{"written":"before encryption"}'
    key1_era = old.to_storage("secrets", SECRET, ETCD_KEY)
    # Step 1: add key2 second: every API server can read it before any writes with it.
    # Step 2: put key2 first: new writes use key2; key1 values read fine but are stale.
    rotated = Transformer(config(aescbc(("key2", KEY2), ("key1", KEY1)), IDENTITY))
    assert rotated.from_storage_stale("secrets", key1_era, ETCD_KEY) == (SECRET, True)
    assert rotated.from_storage_stale("secrets", plain_era) == (plain_era, True)
    rewritten = rotated.to_storage("secrets", SECRET, ETCD_KEY)
    assert rewritten.startswith(b"k8s:enc:aescbc:v1:key2:")
    assert rotated.from_storage_stale("secrets", rewritten, ETCD_KEY) == (SECRET, False)
    # Step 3: once every secret is rewritten, key1 can go; a value still under key1 cannot be read.
    done = Transformer(config(aescbc(("key2", KEY2))))
    assert done.from_storage("secrets", rewritten, ETCD_KEY) == SECRET
    with pytest.raises(TransformError, match="^no matching prefix found$"):
        done.from_storage("secrets", key1_era, ETCD_KEY)


def test_identity_first_writes_plain_and_still_reads_encrypted_values():
    t = Transformer(config(IDENTITY, aescbc(("key1", KEY1))))
    encrypted = Transformer(config(aescbc(("key1", KEY1)))).to_storage("secrets", SECRET)
    assert t.to_storage("secrets", SECRET) == SECRET
    assert t.from_storage_stale("secrets", encrypted) == (SECRET, True)
    assert t.from_storage_stale("secrets", SECRET) == (SECRET, False)


@pytest.mark.parametrize("reader, message", [
    (Transformer(), "identity transformer tried to read encrypted data"),
    (Transformer(config(aescbc(("key2", KEY2)), IDENTITY)), "identity transformer tried to read encrypted data"),
    (Transformer(config(aescbc(("key2", KEY2)))), "no matching prefix found"),
    (Transformer(config(aesgcm(("key1", KEY1)))), "no matching prefix found"),
], ids=["an API server without encryption config meets an encrypted value",
        "an unknown key with identity in the list: identity's refusal is the error",
        "an unknown key and no identity: no provider's prefix matches",
        "the right key name under another provider does not match either"])
def test_a_value_no_provider_can_read(reader, message):
    stored = Transformer(config(aescbc(("key1", KEY1)))).to_storage("secrets", SECRET, ETCD_KEY)
    with pytest.raises(TransformError) as caught:
        reader.from_storage("secrets", stored, ETCD_KEY)
    assert str(caught.value) == message
    error = storage_error(ETCD_KEY, caught.value)
    assert (error.code, error.reason) == (500, "InternalError")
    assert error.message == f'Internal error occurred: unable to transform key "{ETCD_KEY}": {message}'


def test_tampered_and_truncated_values_are_refused_with_upstreams_messages():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    t = Transformer(config(aescbc(("key1", KEY1))))
    prefix = b"k8s:enc:aescbc:v1:key1:"
    stored = t.to_storage("secrets", SECRET)
    with pytest.raises(TransformError, match="^the stored data is not a multiple of the block size$"):
        t.from_storage("secrets", stored[:-1])
    with pytest.raises(TransformError, match="^the stored data was shorter than the required size$"):
        t.from_storage("secrets", prefix + b"short")
    iv = bytes(16)       # one block that decrypts to a last byte of 0: not PKCS#7
    encryptor = Cipher(algorithms.AES(base64.b64decode(KEY1)), modes.CBC(iv)).encryptor()
    forged = prefix + iv + encryptor.update(b"fifteen bytes..\x00") + encryptor.finalize()
    with pytest.raises(TransformError, match="^invalid padding on input$"):
        t.from_storage("secrets", forged)
    gcm = Transformer(config(aesgcm(("key1", KEY1))))
    sealed = bytearray(gcm.to_storage("secrets", SECRET, ETCD_KEY))
    sealed[-1] ^= 1
    with pytest.raises(TransformError, match="^cipher: message authentication failed$"):
        gcm.from_storage("secrets", bytes(sealed), ETCD_KEY)


@pytest.mark.parametrize("providers, message", [
    ([aescbc(("key1", base64.b64encode(b"too short").decode()))],
     'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected '
     'length, got 9, expected one of [16 24 32]'),
    ([aescbc(("key1", "not base64!"))],
     'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded'),
    ([aescbc(("", KEY1))], "resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory "
                           "field for a key"),
    ([{"aesgcm": {"keys": []}}], "resources[0].providers[0].aesgcm.keys: Required value: at least one keys is "
                                 "required"),
    ([dict(aescbc(("k", KEY1)), identity={})], "more than one provider specified in a single element"),
    ([{"secretbox": {"keys": [{"name": "k", "secret": KEY1}]}}], "the secretbox provider is not supported"),
], ids=["a key of the wrong length", "a secret that is not base64", "a key without a name", "a provider with no keys",
        "two providers in one list element", "secretbox is left out"])
def test_a_bad_configuration_is_refused_with_field_errors(providers, message):
    with pytest.raises(ValueError) as caught:
        Transformer(config(*providers))
    assert message in str(caught.value)


def test_the_docs_example_configuration_loads_from_yaml():
    t = Transformer(f"""
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
      - configmaps
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: {KEY1}
      - identity: {{}}
""")
    assert t.to_storage("configmaps", b"{}").startswith(b"k8s:enc:aescbc:v1:key1:")
    assert len(base64.b64decode(new_key())) == 32
