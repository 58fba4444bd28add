"""Authentication: turn a request's credential into a user, or answer 401 Unauthorized.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/authentication/``:
``request/x509/x509.go`` (a client certificate verified against ``--client-ca-file``: the
subject's CN is the user, each O a group; verifications are cached per certificate),
``token/tokenfile/tokenfile.go`` (``--token-auth-file``: ``token,user,uid,"group1,group2"``),
``request/bearertoken/bearertoken.go`` (a token nobody recognises is "invalid bearer
token"), ``token/cache`` (successful token checks are cached for 10 s),
``request/anonymous/anonymous.go`` (``system:anonymous`` in ``system:unauthenticated``),
``request/union/union.go`` (try each authenticator in turn; with anonymous auth on, a
*bad* credential still fails rather than falling back to anonymous),
``group/authenticated_group_adder.go`` (everyone authenticated is in
``system:authenticated``), ``serviceaccount/util.go`` (a token's service account as a
user) and ``pkg/kubeapiserver/authenticator/config.go`` (the order: x509, token file,
service account tokens, then anonymous). The 401 a client gets says only
"Unauthorized", whatever went wrong, as ``endpoints/filters/authentication.go`` answers;
the reason is kept on the exception (``__cause__``) for the audit log and the trace.

Simplified: no request-header (front proxy), bootstrap-token, OIDC or webhook
authenticators; no impersonation. A *simulation credential* ``("sim", user, groups)``
lets components inside the simulation state their identity without paying for a
certificate check on every request: it is trusted only when ``trust_simulation`` is on,
and the HTTP front never produces one. Components still use their real names and
groups, so authorization sees exactly what a certificate would have given it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Optional, Protocol

from ..api import errors
from ..api.meta import EPOCH

ANONYMOUS = "system:anonymous"
ALL_UNAUTHENTICATED = "system:unauthenticated"
ALL_AUTHENTICATED = "system:authenticated"
TOKEN_SUCCESS_CACHE_TTL = 10.0                       # --authentication-token-webhook-cache-ttl's cousin


@dataclass(frozen=True)
class UserInfo:
    """user.DefaultInfo: a name, an optional UID, groups, and extra key/values."""
    name: str
    uid: str = ""
    groups: tuple = ()
    extra: tuple = ()                                # ((key, (value, ...)), ...) sorted by key

    def extra_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.extra}

    def with_groups(self, groups: Iterable[str]) -> "UserInfo":
        return UserInfo(self.name, self.uid, tuple(groups), self.extra)


class AuthenticationError(Exception):
    """A credential was presented and is not good (the request fails with 401)."""


class RequestAuthenticator(Protocol):
    """authenticator.Request: None when the credential is not one this authenticator reads."""

    def authenticate(self, request: Any) -> Optional[UserInfo]: ...


class TokenAuthenticator(Protocol):
    """authenticator.Token: None for a token it does not know; raises for one of its own that is bad."""

    def authenticate_token(self, token: str) -> Optional[UserInfo]: ...


def virtual_clock(kernel: Any) -> Callable[[], datetime]:
    """The time certificates and tokens are checked against: EPOCH plus the kernel's virtual seconds."""
    return lambda: EPOCH + timedelta(seconds=kernel.now)


def _credential(request: Any) -> Optional[tuple]:
    cred = getattr(request, "credential", None)
    return tuple(cred) if cred else None


# -- x509 client certificates ----------------------------------------------------------
class X509Authenticator:
    """request/x509: verify the client certificate, then CommonNameUserConversion.

    ``ca`` is the CA certificate (``--client-ca-file``), as a cryptography Certificate, PEM,
    or anything with ``.cert``. A verified certificate is remembered (by its bytes) until
    it expires, as upstream caches a verification per TLS connection."""

    def __init__(self, ca: Any, now: Callable[[], datetime]):
        from ..pki.ca import load_certificate
        ca = getattr(ca, "cert", ca)
        self.ca = load_certificate(ca) if isinstance(ca, (bytes, str)) else ca
        self.now = now
        self._verified: dict[bytes, tuple[UserInfo, datetime, datetime]] = {}

    def authenticate(self, request: Any) -> Optional[UserInfo]:
        cred = _credential(request)
        if not cred or cred[0] != "x509":
            return None
        return self.authenticate_certificate(cred[1])

    def authenticate_certificate(self, data: Any) -> Optional[UserInfo]:
        """``data``: PEM or DER bytes (or a cryptography Certificate)."""
        key = data.encode() if isinstance(data, str) else data if isinstance(data, bytes) else None
        now = self.now()
        hit = self._verified.get(key) if key is not None else None
        if hit is not None and hit[1] <= now <= hit[2]:
            return hit[0]
        from ..pki.ca import (CertificateError, certificate_identifier, load_certificate, subject_fields,
                              verify_certificate)
        cert = data if key is None else load_certificate(key)
        try:
            verify_certificate(cert, self.ca, now)
        except CertificateError as error:
            raise AuthenticationError(f"verifying certificate {certificate_identifier(cert)} failed: {error}") from None
        cn, orgs = subject_fields(cert)
        if not cn:
            return None
        user = UserInfo(cn, "", orgs)
        if key is not None:
            if len(self._verified) >= 4096:
                self._verified.clear()
            self._verified[key] = (user, cert.not_valid_before_utc, cert.not_valid_after_utc)
        return user


# -- bearer tokens -----------------------------------------------------------------------
class TokenFileAuthenticator:
    """token/tokenfile: a fixed table of tokens, read from ``--token-auth-file``."""

    def __init__(self, tokens: dict[str, UserInfo]):
        self.tokens = dict(tokens)

    @classmethod
    def from_csv(cls, text: str, path: str = "tokens.csv") -> "TokenFileAuthenticator":
        """Lines ``token,user,uid[,"group1,group2"]``; blank lines and ``#`` comments skipped."""
        tokens: dict[str, UserInfo] = {}
        for record in csv.reader(io.StringIO(text)):
            if not record or record[0].startswith("#") or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) < 3:
                raise ValueError(f"token file '{path}' must have at least 3 columns (token, user name, "
                                 f"user uid), found {len(record)}")
            groups = tuple(g.strip() for g in record[3].split(",") if g.strip()) if len(record) > 3 else ()
            tokens[record[0]] = UserInfo(record[1], record[2], groups)
        return cls(tokens)

    def authenticate_token(self, token: str) -> Optional[UserInfo]:
        return self.tokens.get(token)


class ServiceAccountTokenAuthenticator:
    """serviceaccount.JWTTokenAuthenticator as a token authenticator: a valid token is its service account."""

    def __init__(self, jwt_authenticator: Any):
        self.jwt = jwt_authenticator

    def authenticate_token(self, token: str) -> Optional[UserInfo]:
        from ..pki.serviceaccount import TokenError
        try:
            result = self.jwt.authenticate_token(token)
        except TokenError as error:
            raise AuthenticationError(str(error)) from None
        if result is None:
            return None
        sa, _ = result
        return UserInfo(sa.username, sa.uid, sa.groups, tuple(sa.extra().items()))


class BearerTokenAuthenticator:
    """request/bearertoken over a union of token authenticators, behind the token cache."""

    def __init__(self, authenticators: Iterable[TokenAuthenticator], clock: Optional[Callable[[], float]] = None,
                 cache_ttl: float = TOKEN_SUCCESS_CACHE_TTL):
        self.authenticators = list(authenticators)
        self.clock, self.cache_ttl = clock, cache_ttl
        self._cache: dict[str, tuple[UserInfo, float]] = {}   # token -> (user, until): successes only

    def authenticate(self, request: Any) -> Optional[UserInfo]:
        cred = _credential(request)
        if not cred or cred[0] != "token" or not cred[1]:
            return None
        token = cred[1]
        if self.clock is not None:
            hit = self._cache.get(token)
            if hit is not None and self.clock() < hit[1]:
                return hit[0]
        errs = []
        for auth in self.authenticators:
            try:
                user = auth.authenticate_token(token)
            except AuthenticationError as error:
                errs.append(str(error))
                continue
            if user is not None:
                if self.clock is not None:
                    if len(self._cache) >= 4096:
                        self._cache.clear()
                    self._cache[token] = (user, self.clock() + self.cache_ttl)
                return user
        raise AuthenticationError(errors.aggregate(errs) if errs else "invalid bearer token")


class SimulationAuthenticator:
    """Simplified: the simulation's trusted credential ``("sim", user, groups)`` (see the module docstring)."""

    def authenticate(self, request: Any) -> Optional[UserInfo]:
        cred = _credential(request)
        if not cred or cred[0] != "sim":
            return None
        return UserInfo(cred[1], "", tuple(cred[2]) if len(cred) > 2 else ())


class AnonymousAuthenticator:
    """request/anonymous: anyone without a credential is ``system:anonymous``."""

    def authenticate(self, request: Any) -> Optional[UserInfo]:
        return UserInfo(ANONYMOUS, "", (ALL_UNAUTHENTICATED,))


class UnionAuthenticator:
    """request/union: the first authenticator that knows the credential decides; errors aggregate."""

    def __init__(self, authenticators: Iterable[RequestAuthenticator], fail_on_error: bool = False):
        self.authenticators = list(authenticators)
        self.fail_on_error = fail_on_error

    def authenticate(self, request: Any) -> Optional[UserInfo]:
        errs = []
        for auth in self.authenticators:
            try:
                user = auth.authenticate(request)
            except AuthenticationError as error:
                if self.fail_on_error:
                    raise
                errs.append(str(error))
                continue
            if user is not None:
                return user
        if errs:
            raise AuthenticationError(errors.aggregate(errs))
        return None


def add_authenticated_group(user: UserInfo) -> UserInfo:
    """AuthenticatedGroupAdder: append ``system:authenticated`` unless anonymous or already marked."""
    if user.name == ANONYMOUS or ALL_AUTHENTICATED in user.groups or ALL_UNAUTHENTICATED in user.groups:
        return user
    return user.with_groups((*user.groups, ALL_AUTHENTICATED))


class Authenticator:
    """The API server's authentication chain: ``authenticate(request)`` -> UserInfo, or raise 401."""

    def __init__(self, x509: Optional[X509Authenticator] = None, tokens: Iterable[TokenAuthenticator] = (),
                 anonymous: bool = False, trust_simulation: bool = True,
                 clock: Optional[Callable[[], float]] = None):
        chain: list = []
        if trust_simulation:
            chain.append(SimulationAuthenticator())
        if x509 is not None:
            chain.append(x509)
        tokens = list(tokens)
        self.bearer = BearerTokenAuthenticator(tokens, clock)
        if tokens:
            chain.append(self.bearer)
        self.chain = UnionAuthenticator(chain)
        self.anonymous = anonymous

    def authenticate(self, request: Any) -> UserInfo:
        try:
            user = self.chain.authenticate(request)
        except AuthenticationError as error:
            raise errors.unauthorized() from error     # union.NewFailOnError: a bad credential never becomes anonymous
        if user is not None:
            return add_authenticated_group(user)
        if self.anonymous:
            return AnonymousAuthenticator().authenticate(request)
        raise errors.unauthorized() from AuthenticationError("no credential" if not _credential(request)
                                                            else f"unsupported credential {_credential(request)[0]!r}")


def user_info_json(user: UserInfo) -> dict:
    """authentication.k8s.io/v1 UserInfo: username, uid, groups, extra (empty fields left out)."""
    out: dict = {"username": user.name}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = user.extra_dict()
    return out


def self_subject_review(user: UserInfo) -> dict:
    """POST /apis/authentication.k8s.io/v1/selfsubjectreviews: who am I (``kubectl auth whoami``)."""
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "status": {"userInfo": user_info_json(user)}}


def token_review(authenticator: "Authenticator", body: Optional[dict]) -> dict:
    """POST /apis/authentication.k8s.io/v1/tokenreviews: whose is this token (what webhooks ask)."""
    body = dict(body or {})
    spec = dict(body.get("spec") or {})
    if not spec.get("token"):
        raise errors.invalid("TokenReview.authentication.k8s.io", "", [errors.required("spec.token")])
    status: dict = {"user": {}}
    try:
        user = authenticator.bearer.authenticate(_TokenCarrier(spec["token"]))
    except AuthenticationError as error:
        status["error"] = str(error)
    else:
        if user is not None:
            status = {"authenticated": True, "user": user_info_json(add_authenticated_group(user))}
    meta = dict(body.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    return {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "metadata": meta,
            "spec": spec, "status": status}


@dataclass(frozen=True)
class _TokenCarrier:
    token: str

    @property
    def credential(self) -> tuple:
        return ("token", self.token)


def new_authenticator(pki: Any, now: Callable[[], datetime], getter: Optional[Callable] = None,
                      token_file: Optional[TokenFileAuthenticator] = None, anonymous: bool = False,
                      trust_simulation: bool = True) -> Authenticator:
    """What kube-apiserver builds from kubeadm's flags: ``--client-ca-file=ca.crt``,
    ``--service-account-key-file=sa.pub``, ``--service-account-issuer=https://kubernetes.default.svc.cluster.local``,
    ``--anonymous-auth`` (kubeadm leaves it on for /healthz; here it is off unless asked).

    ``pki``: a ClusterPKI; ``now``: the time to check validity against (``virtual_clock(kernel)``);
    ``getter(resource, namespace, name)``: object lookups for bound tokens (the watch cache)."""
    from ..pki.serviceaccount import JWTTokenAuthenticator
    tokens: list = []
    if token_file is not None:
        tokens.append(token_file)
    tokens.append(ServiceAccountTokenAuthenticator(
        JWTTokenAuthenticator([pki.service_account_key.public_key()], now, getter=getter)))
    return Authenticator(X509Authenticator(pki.ca.cert, now), tokens, anonymous, trust_simulation,
                         clock=lambda: now().timestamp())
