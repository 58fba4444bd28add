"""Private keys for the cluster's PKI: derived from the cluster seed, or random.

Mirrors kubernetes v1.31 ``cmd/kubeadm/app/util/pkiutil/pki_helpers.go`` (NewPrivateKey:
RSA-2048 by default, ECDSA-P256 with ``encryptionAlgorithm: ECDSA-P256``) and
``client-go/util/keyutil/key.go`` (MarshalPrivateKeyToPEM: ``RSA PRIVATE KEY`` /
``EC PRIVATE KEY`` blocks, as the files under /etc/kubernetes/pki hold them).

Simplified: a key is *derived* from the cluster seed and a label ("ca", "sa",
"kubelet/node-1") so that a seeded cluster has byte-identical certificates, kubeconfigs
and tokens on every run (the book's outputs are regression-tested). An RSA key is two
primes found by a seeded search (a sieve, then Fermat and Miller-Rabin tests, about
0.1-0.4 s in CPython, memoized per seed and label); an EC key is a scalar hashed from
the label. Anyone who knows the seed knows the keys: that is fine for a simulation and a
loopback teaching server, never for a real cluster. ``seed=None`` asks the crypto
library for random keys instead.

``cryptography`` is imported when a key is made, so ``import k8slite`` works without it.
"""
from __future__ import annotations

import functools
import hashlib
import random
from typing import Any, Optional

RSA_2048 = "RSA-2048"          # kubeadm's default encryptionAlgorithm
ECDSA_P256 = "ECDSA-P256"
ALGORITHMS = (RSA_2048, ECDSA_P256)
PUBLIC_EXPONENT = 65537


def crypto():
    """The ``cryptography`` modules this package uses, or a clear error saying how to get them."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("k8slite.pki needs the 'cryptography' package: pip install 'k8slite[server]'") from error
    return x509, hashes, serialization, ec, padding, rsa


def new_private_key(algorithm: str = RSA_2048, seed: Optional[Any] = 0, label: str = "") -> Any:
    """A private key of ``algorithm``: derived from (seed, label), or random when seed is None."""
    _, _, _, ec, _, rsa = crypto()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported encryption algorithm {algorithm!r}; supported: {', '.join(ALGORITHMS)}")
    if seed is None:
        if algorithm == ECDSA_P256:
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(PUBLIC_EXPONENT, 2048)
    if algorithm == ECDSA_P256:
        return ec.derive_private_key(_ec_scalar(f"{seed}/{label}"), ec.SECP256R1())
    p, q = _rsa_primes(f"{seed}/{label}", 2048)
    return _rsa_from_primes(p, q)


def private_key_pem(key: Any) -> bytes:
    """keyutil.MarshalPrivateKeyToPEM: PKCS#1 ``RSA PRIVATE KEY`` or SEC 1 ``EC PRIVATE KEY``."""
    _, _, serialization, _, _, _ = crypto()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def public_key_pem(key: Any) -> bytes:
    """A PKIX ``PUBLIC KEY`` block (kubeadm's sa.pub)."""
    _, _, serialization, _, _, _ = crypto()
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes | str) -> Any:
    _, _, serialization, _, _, _ = crypto()
    return serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)


def is_rsa(key: Any) -> bool:
    _, _, _, _, _, rsa = crypto()
    return isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey))


# -- derivation -------------------------------------------------------------------------
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _ec_scalar(label: str) -> int:
    digest = hashlib.sha512(f"k8slite-ec/{label}".encode()).digest()
    return int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1


@functools.lru_cache(maxsize=None)
def _small_primes(limit: int = 1 << 16) -> tuple[int, ...]:
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\0\0"
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(range(i * i, limit + 1, i)))
    return tuple(i for i in range(3, limit + 1) if sieve[i])


def _miller_rabin(n: int, rng: random.Random, rounds: int) -> bool:
    d = n - 1
    s = (d & -d).bit_length() - 1
    d >>= s
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random, window: int = 1 << 13) -> int:
    """A random prime of exactly ``bits`` bits whose top two bits are set (so p*q has 2*bits bits)."""
    while True:
        start = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        composite = bytearray(window)                 # index i stands for start + 2*i
        for p in _small_primes():
            i = (-(start % p) * ((p + 1) // 2)) % p   # start + 2i ≡ 0 (mod p)
            composite[i::p] = b"\1" * len(range(i, window, p))
        for i in range(window):
            if composite[i]:
                continue
            n = start + 2 * i
            if pow(2, n - 1, n) == 1 and _miller_rabin(n, rng, 8):
                return n


@functools.lru_cache(maxsize=64)
def _rsa_primes(label: str, bits: int) -> tuple[int, int]:
    """Deterministic in ``label``: the same primes on every machine and Python version."""
    rng = random.Random(f"k8slite-rsa/{label}")
    while True:
        p, q = _prime(bits // 2, rng), _prime(bits // 2, rng)
        if p != q and (p - 1) % PUBLIC_EXPONENT and (q - 1) % PUBLIC_EXPONENT:
            return max(p, q), min(p, q)


def _rsa_from_primes(p: int, q: int) -> Any:
    _, _, _, _, _, rsa = crypto()
    lam = (p - 1) * (q - 1) // _gcd(p - 1, q - 1)
    d = pow(PUBLIC_EXPONENT, -1, lam)
    public = rsa.RSAPublicNumbers(PUBLIC_EXPONENT, p * q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), public)
    return numbers.private_key()


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a
