"""Service account tokens: JWTs signed with the cluster's sa.key, and how they are checked.

Mirrors kubernetes v1.31 ``pkg/serviceaccount/jwt.go`` (JWTTokenGenerator: RS256 with
``kid`` = base64url(SHA-256(PKIX public key)); JWTTokenAuthenticator: issuer, signature,
audiences, then the validator), ``pkg/serviceaccount/claims.go`` (the claims of a bound
token: ``iss``, ``sub`` = ``system:serviceaccount:<ns>:<name>``, ``aud``, ``exp``/``iat``/``nbf``,
``jti`` and the ``kubernetes.io`` object naming the namespace, service account, pod,
node or secret; and its validator, which looks the bound objects up),
``pkg/serviceaccount/legacy.go`` (the old Secret-based tokens, issuer
``kubernetes/serviceaccount``, valid until their Secret goes) and
``pkg/registry/core/serviceaccount/storage/token.go`` (TokenRequest, what
``kubectl create token`` and the kubelet call).

A token is three base64url parts, ``header.payload.signature``; its claims are JSON with
sorted keys, as go-jose writes them, so the bytes match a real token's layout.

Simplified: one signing key and no key rotation; no ``warnafter``/extended tokens; no
token cache or revocation list beyond the object lookups the validator does. Times come
from the caller's clock (virtual time in the simulation).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Optional

from ..api import errors
from ..api.meta import new_uid, rfc3339, EPOCH
from .keys import crypto, is_rsa

ISSUER = "https://kubernetes.default.svc.cluster.local"   # kubeadm's --service-account-issuer
LEGACY_ISSUER = "kubernetes/serviceaccount"
DEFAULT_LEEWAY = 60                                          # jwt.DefaultLeeway
DEFAULT_EXPIRATION = 3600                                    # TokenRequestSpec.expirationSeconds default
MIN_EXPIRATION = 600
SA_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"

# user.Info extra keys (staging/src/k8s.io/apiserver/pkg/authentication/serviceaccount/util.go)
POD_NAME_KEY = "authentication.kubernetes.io/pod-name"
POD_UID_KEY = "authentication.kubernetes.io/pod-uid"
NODE_NAME_KEY = "authentication.kubernetes.io/node-name"
NODE_UID_KEY = "authentication.kubernetes.io/node-uid"
CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"

ObjectGetter = Callable[[str, str, str], Optional[dict]]     # (resource, namespace, name) -> object


class TokenError(Exception):
    """A token that looked like ours but is not valid (the reason goes to the log, never the client)."""


def make_username(namespace: str, name: str) -> str:
    return f"{SA_PREFIX}{namespace}:{name}"


def split_username(username: str) -> tuple[str, str]:
    if not username.startswith(SA_PREFIX):
        raise ValueError("Username must be in the form system:serviceaccount:namespace:name")
    parts = username[len(SA_PREFIX):].split(":")
    if len(parts) != 2 or not all(parts):
        raise ValueError("Username must be in the form system:serviceaccount:namespace:name")
    return parts[0], parts[1]


def make_group_names(namespace: str) -> tuple[str, str]:
    return ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}"


# -- JWS compact serialization ---------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(public_key: Any) -> str:
    """keyIDFromPublicKey: base64url (no padding) of SHA-256 over the PKIX DER public key."""
    _, _, serialization, _, _, _ = crypto()
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _b64(hashlib.sha256(der).digest())


def _sign(key: Any, data: bytes) -> tuple[str, bytes]:
    _, hashes, _, ec, padding, _ = crypto()
    if is_rsa(key):
        return "RS256", key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    der = key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r, s = decode_dss_signature(der)
    return "ES256", r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _verify(public_key: Any, alg: str, data: bytes, signature: bytes) -> None:
    _, hashes, _, ec, padding, _ = crypto()
    from cryptography.exceptions import InvalidSignature
    try:
        if alg == "RS256" and is_rsa(public_key):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return
        if alg == "ES256" and not is_rsa(public_key) and len(signature) == 64:
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return
    except InvalidSignature:
        pass
    raise TokenError("go-jose/go-jose: error in cryptographic primitive")


def encode(claims: dict, key: Any) -> str:
    """Sign ``claims`` as a compact JWS with ``key`` (RS256 for RSA, ES256 for P-256)."""
    alg = "RS256" if is_rsa(key) else "ES256"
    signing_input = _b64(_json({"alg": alg, "kid": key_id(key.public_key())})) + "." + _b64(_json(claims))
    _, signature = _sign(key, signing_input.encode())
    return signing_input + "." + _b64(signature)


def decode_unverified(token: str) -> tuple[dict, dict]:
    """(header, claims) without checking the signature: for looking, never for trusting."""
    try:
        header, payload, _ = token.split(".")
        return json.loads(_unb64(header)), json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise TokenError("go-jose/go-jose: compact JWS format must have three parts") from error


def _numeric(t: datetime) -> int:
    return int(t.timestamp())


# -- claims ------------------------------------------------------------------------------
def bound_claims(namespace: str, name: str, uid: str, audiences: Iterable[str], now: datetime,
                 expiration_seconds: int = DEFAULT_EXPIRATION, pod: Optional[dict] = None,
                 secret: Optional[dict] = None, node: Optional[dict] = None, jti: str = "") -> dict:
    """claims.go Claims: the public and private claims of a bound token (``iss`` is the generator's)."""
    issued = _numeric(now)
    k8s: dict = {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}
    for key, obj in (("pod", pod), ("secret", secret), ("node", node)):
        if obj is not None:
            k8s[key] = {"name": obj["metadata"]["name"], "uid": obj["metadata"].get("uid", "")}
    claims = {"sub": make_username(namespace, name), "aud": list(audiences), "iat": issued, "nbf": issued,
              "exp": issued + int(expiration_seconds), "kubernetes.io": k8s}
    if jti:
        claims["jti"] = jti
    return claims


def legacy_claims(namespace: str, name: str, uid: str, secret_name: str) -> dict:
    """legacy.go LegacyClaims: what the token controller put in a ``kubernetes.io/service-account-token`` Secret."""
    return {"sub": make_username(namespace, name),
            "kubernetes.io/serviceaccount/namespace": namespace,
            "kubernetes.io/serviceaccount/secret.name": secret_name,
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": uid}


class TokenGenerator:
    """JWTTokenGenerator: signs claims with ``key`` and stamps them with ``issuer``."""

    def __init__(self, key: Any, issuer: str = ISSUER):
        self.key, self.issuer = key, issuer

    def generate(self, claims: dict) -> str:
        return encode({**claims, "iss": self.issuer}, self.key)


def legacy_token(key: Any, service_account: dict, secret_name: str) -> str:
    """The token a legacy token Secret carries (issuer ``kubernetes/serviceaccount``, no expiry)."""
    meta = service_account["metadata"]
    return TokenGenerator(key, LEGACY_ISSUER).generate(
        legacy_claims(meta["namespace"], meta["name"], meta.get("uid", ""), secret_name))


@dataclass(frozen=True)
class ServiceAccountInfo:
    """serviceaccount.ServiceAccountInfo: who a valid token speaks for."""
    namespace: str
    name: str
    uid: str
    pod_name: str = ""
    pod_uid: str = ""
    node_name: str = ""
    node_uid: str = ""
    credential_id: str = ""

    @property
    def username(self) -> str:
        return make_username(self.namespace, self.name)

    @property
    def groups(self) -> tuple[str, str]:
        return make_group_names(self.namespace)

    def extra(self) -> dict[str, tuple[str, ...]]:
        out: dict = {}
        if self.pod_name and self.pod_uid:
            out[POD_NAME_KEY], out[POD_UID_KEY] = (self.pod_name,), (self.pod_uid,)
        if self.credential_id:
            out[CREDENTIAL_ID_KEY] = (self.credential_id,)
        if self.node_name:
            out[NODE_NAME_KEY] = (self.node_name,)
            if self.node_uid:
                out[NODE_UID_KEY] = (self.node_uid,)
        return dict(sorted(out.items()))


class JWTTokenAuthenticator:
    """JWTTokenAuthenticator: is this token ours, is its signature good, is it for us, is it still valid.

    ``authenticate_token`` returns None for a token some other authenticator should look
    at (not a JWT, or another issuer) and raises TokenError for one of ours that is bad.
    ``getter`` looks objects up (the API server's watch cache); without one the bound
    objects are not checked, like ``--service-account-lookup=false``."""

    def __init__(self, public_keys: Iterable[Any], now: Callable[[], datetime],
                 issuers: Iterable[str] = (ISSUER, LEGACY_ISSUER), implicit_audiences: Iterable[str] = (ISSUER,),
                 getter: Optional[ObjectGetter] = None):
        self.keys = [k.public_key() if hasattr(k, "private_bytes") else k for k in public_keys]
        self.now, self.getter = now, getter
        self.issuers = tuple(issuers)
        self.implicit_audiences = tuple(implicit_audiences)

    def authenticate_token(self, token: str) -> Optional[tuple[ServiceAccountInfo, tuple[str, ...]]]:
        if token.count(".") != 2:
            return None
        try:
            header, claims = decode_unverified(token)
        except TokenError:
            return None
        if claims.get("iss") not in self.issuers:
            return None                                     # hasCorrectIssuer: not our token
        signing_input, _, signature = token.rpartition(".")
        errs = []
        for key in self.keys:
            try:
                _verify(key, header.get("alg", ""), signing_input.encode(), _unb64(signature))
                break
            except (TokenError, binascii.Error) as error:
                errs.append(str(error))
        else:
            raise TokenError(errors.aggregate(errs) if errs else "no keys")
        audiences = claims.get("aud") or []
        if isinstance(audiences, str):
            audiences = [audiences]
        token_audiences = tuple(audiences) or self.implicit_audiences     # legacy tokens have none
        granted = tuple(a for a in token_audiences if a in self.implicit_audiences)
        if not granted and self.implicit_audiences:
            raise TokenError(f"token audiences {_go_list(token_audiences)} is invalid for the target "
                             f"audiences {_go_list(self.implicit_audiences)}")
        if claims.get("iss") == LEGACY_ISSUER:
            return self._validate_legacy(token, claims), granted
        return self._validate_bound(claims), granted

    def _validate_bound(self, claims: dict) -> ServiceAccountInfo:
        now = _numeric(self.now())
        if "exp" in claims and now > int(claims["exp"]) + DEFAULT_LEEWAY:
            raise TokenError("service account token has expired")
        if "nbf" in claims and now < int(claims["nbf"]) - DEFAULT_LEEWAY:
            raise TokenError("service account token is not valid yet")
        if "iat" in claims and now < int(claims["iat"]) - DEFAULT_LEEWAY:
            raise TokenError("service account token is issued in the future")
        k8s = claims.get("kubernetes.io") or {}
        namespace, sa = k8s.get("namespace", ""), k8s.get("serviceaccount") or {}
        pod, node = k8s.get("pod") or {}, k8s.get("node") or {}
        if self.getter is not None:
            self._check(("serviceaccounts", "service account", "ServiceAccount"), namespace, sa)
            if pod:
                self._check(("pods", "pod", "Pod"), namespace, pod)
            if k8s.get("secret"):
                self._check(("secrets", "secret", "Secret"), namespace, k8s["secret"])
            if node and not pod:
                self._check(("nodes", "node", "Node"), "", node)
        jti = claims.get("jti", "")
        return ServiceAccountInfo(namespace, sa.get("name", ""), sa.get("uid", ""), pod.get("name", ""),
                                  pod.get("uid", ""), node.get("name", ""), node.get("uid", ""),
                                  f"JTI={jti}" if jti else "")

    def _check(self, kind: tuple[str, str, str], namespace: str, ref: dict) -> None:
        resource, noun, _ = kind
        obj = self.getter(resource, namespace, ref.get("name", ""))
        if obj is None:
            raise TokenError(f'{resource} "{ref.get("name", "")}" not found')
        meta = obj["metadata"]
        where = f"{namespace}/{ref.get('name', '')}" if namespace else ref.get("name", "")
        if meta.get("deletionTimestamp"):
            raise TokenError(f"{noun} {where} has been deleted")
        if meta.get("uid", "") != ref.get("uid", ""):
            raise TokenError(f"{noun} UID ({meta.get('uid', '')}) does not match claim ({ref.get('uid', '')})")

    def _validate_legacy(self, token: str, claims: dict) -> ServiceAccountInfo:
        sub = claims.get("sub", "")
        namespace = claims.get("kubernetes.io/serviceaccount/namespace", "")
        secret_name = claims.get("kubernetes.io/serviceaccount/secret.name", "")
        name = claims.get("kubernetes.io/serviceaccount/service-account.name", "")
        uid = claims.get("kubernetes.io/serviceaccount/service-account.uid", "")
        for value, claim in ((sub, "sub"), (namespace, "namespace"), (secret_name, "secretName"),
                             (name, "serviceAccountName"), (uid, "serviceAccountUID")):
            if not value:
                raise TokenError(f"{claim} claim is missing")
        try:
            if split_username(sub) != (namespace, name):
                raise ValueError
        except ValueError:
            raise TokenError("sub claim is invalid") from None
        if self.getter is not None:
            secret = self.getter("secrets", namespace, secret_name)
            if secret is None or secret["metadata"].get("deletionTimestamp"):
                raise TokenError("Token has been invalidated")
            stored = (secret.get("data") or {}).get("token", "")
            if base64.b64decode(stored or "") != token.encode():
                raise TokenError("Token does not match server's copy")
            sa = self.getter("serviceaccounts", namespace, name)
            if sa is None:
                raise TokenError(f'serviceaccounts "{name}" not found')
            if sa["metadata"].get("deletionTimestamp"):
                raise TokenError(f"ServiceAccount {namespace}/{name} has been deleted")
            if sa["metadata"].get("uid", "") != uid:
                raise TokenError(f"ServiceAccount UID ({sa['metadata'].get('uid', '')}) does not match claim ({uid})")
        return ServiceAccountInfo(namespace, name, uid)


def _go_list(items: Iterable[str]) -> str:
    """How Go's %q prints a []string: ["a" "b"]."""
    return "[" + " ".join(json.dumps(i) for i in items) + "]"


# -- TokenRequest ------------------------------------------------------------------------
def token_request(generator: TokenGenerator, service_account: dict, body: Optional[dict], now: datetime,
                  rng: random.Random, getter: Optional[ObjectGetter] = None) -> dict:
    """POST .../serviceaccounts/<name>/token: sign a bound token and answer with the TokenRequest.

    Raises a 422 Invalid Status for a too-short expiry and a 404 for a bound object that is gone."""
    body = dict(body or {})
    spec = dict(body.get("spec") or {})
    meta = service_account["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    audiences = list(spec.get("audiences") or [generator.issuer])
    expiration = int(spec.get("expirationSeconds") or DEFAULT_EXPIRATION)
    if expiration < MIN_EXPIRATION:
        raise errors.invalid("TokenRequest.authentication.k8s.io", "", [errors.invalid_value(
            "spec.expirationSeconds", expiration, "may not specify a duration less than 10 minutes")])
    if expiration > 1 << 32:
        raise errors.invalid("TokenRequest.authentication.k8s.io", "", [errors.invalid_value(
            "spec.expirationSeconds", expiration, "may not specify a duration larger than 2^32 seconds")])
    pod = secret = node = None
    ref = spec.get("boundObjectRef")
    if ref:
        kind = ref.get("kind", "")
        resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}.get(kind)
        if resource is None:
            raise errors.bad_request(f'cannot bind token for serviceaccount "{name}" to object of kind '
                                     f'"{kind}"')
        obj = getter(resource, "" if kind == "Node" else namespace, ref.get("name", "")) if getter else None
        if obj is None:
            raise errors.not_found(resource, ref.get("name", ""))
        if ref.get("uid") and ref["uid"] != obj["metadata"].get("uid"):
            raise errors.conflict(resource, ref.get("name", ""),
                                  f"the UID in the bound object reference ({ref['uid']}) does not match the UID "
                                  f"in record. The object might have been deleted and then recreated")
        pod, secret, node = (obj if kind == "Pod" else None, obj if kind == "Secret" else None,
                             obj if kind == "Node" else None)
        if pod is not None and getter is not None and (pod.get("spec") or {}).get("nodeName"):
            node = getter("nodes", "", pod["spec"]["nodeName"])
    claims = bound_claims(namespace, name, meta.get("uid", ""), audiences, now, expiration,
                          pod, secret, node, jti=new_uid(rng))
    token = generator.generate(claims)
    spec["audiences"], spec["expirationSeconds"] = audiences, expiration
    spec.setdefault("boundObjectRef", None)
    return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
            "spec": spec,
            "status": {"token": token,
                       "expirationTimestamp": rfc3339((claims["exp"] - EPOCH.timestamp()))}}
