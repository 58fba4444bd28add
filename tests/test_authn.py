"""k8slite.apiserver.authn: credentials to users, and the 401 the real kube-apiserver answers."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest

pytest.importorskip("cryptography")

from k8slite.api import errors                                            # noqa: E402
from k8slite.api.meta import EPOCH                                        # noqa: E402
from k8slite.apiserver.authn import (AuthenticationError, Authenticator, TokenFileAuthenticator,  # noqa: E402
                                     UserInfo, X509Authenticator, new_authenticator, self_subject_review,
                                     token_review, virtual_clock)
from k8slite.apiserver.request import Request                             # noqa: E402
from k8slite.pki import ClusterPKI                                        # noqa: E402
from k8slite.pki.serviceaccount import ISSUER, TokenGenerator, bound_claims  # noqa: E402

UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
TOKENS_CSV = '''# token,user,uid,"groups"
31ada4fd-adec-460c-809a-9e56ceb75269,alice,1001,"dev,qa"
8fa3b1c0-5c1d-4a4e-9d0e-2b6f0a1c7e55,ci-bot,1002
'''


class Clock:
    """Virtual seconds since EPOCH, movable by the test."""

    def __init__(self, seconds=100.0):
        self.seconds = seconds

    def __call__(self):
        return EPOCH + timedelta(seconds=self.seconds)


@pytest.fixture(scope="module")
def pki():
    return ClusterPKI(seed=0)


@pytest.fixture(scope="module")
def other_pki():
    return ClusterPKI(seed=1)


SA = {"metadata": {"name": "builder", "namespace": "ci", "uid": "sa-uid"}}


@pytest.fixture
def world():
    """The objects a service account lookup sees (the API server's watch cache)."""
    return {("serviceaccounts", "ci", "builder"): SA}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def auth(pki, clock, world):
    return new_authenticator(pki, clock, getter=lambda r, ns, n: world.get((r, ns, n)),
                             token_file=TokenFileAuthenticator.from_csv(TOKENS_CSV))


def request(credential=None):
    return Request("GET", "/api/v1/namespaces/default/pods", credential=credential)


def sa_token(pki, **kw):
    return TokenGenerator(pki.service_account_key).generate(
        bound_claims("ci", "builder", "sa-uid", [ISSUER], EPOCH, jti="e1c0ffee", **kw))


def unauthorized_cause(auth, req) -> str:
    with pytest.raises(errors.StatusError) as err:
        auth.authenticate(req)
    assert err.value.status == UNAUTHORIZED
    return str(err.value.__cause__)


@pytest.mark.parametrize("identity, name, groups", [
    pytest.param(("admin",), "kubernetes-admin", ("kubeadm:cluster-admins", "system:authenticated"),
                 id="the admin certificate is kubernetes-admin in its O group and system:authenticated"),
    pytest.param(("kubelet", "node-2"), "system:node:node-2", ("system:nodes", "system:authenticated"),
                 id="a kubelet certificate is its node identity"),
    pytest.param(("scheduler",), "system:kube-scheduler", ("system:authenticated",),
                 id="a certificate with no O is only system:authenticated"),
    pytest.param(("user", "bob", ("dev",)), "bob", ("dev", "system:authenticated"),
                 id="a user's certificate groups come from its O fields"),
])
def test_a_client_certificate_is_its_cn_and_o(pki, auth, identity, name, groups):
    issued = getattr(pki, identity[0])(*identity[1:])
    assert auth.authenticate(request(("x509", issued.cert_pem))) == UserInfo(name, "", groups)
    assert auth.authenticate(request(("x509", issued.cert_der))) == UserInfo(name, "", groups)


def test_a_certificate_from_another_ca_is_unauthorized(auth, other_pki):
    cause = unauthorized_cause(auth, request(other_pki.admin().credential()))
    assert cause.startswith("verifying certificate SN=4, SKID=, AKID=")
    assert cause.endswith("failed: x509: certificate signed by unknown authority")


def test_an_expired_certificate_is_unauthorized_once_virtual_time_passes_its_end(pki, auth, clock):
    cred = pki.admin().credential()
    assert auth.authenticate(request(cred)).name == "kubernetes-admin"       # verified and cached
    clock.seconds = 366 * 86400
    assert unauthorized_cause(auth, request(cred)).endswith(
        "x509: certificate has expired or is not yet valid: current time 2025-01-01T00:00:00Z is after "
        "2024-12-31T00:00:00Z")


def test_a_verified_certificate_is_not_verified_again(pki, clock, monkeypatch):
    x509_auth = X509Authenticator(pki.ca, clock)
    cred = pki.kubelet("node-3").cert_pem
    assert x509_auth.authenticate_certificate(cred).name == "system:node:node-3"
    import k8slite.pki.ca as ca_module
    monkeypatch.setattr(ca_module, "verify_certificate", lambda *a, **k: pytest.fail("verified twice"))
    assert x509_auth.authenticate_certificate(cred).name == "system:node:node-3"


@pytest.mark.parametrize("token, user", [
    pytest.param("31ada4fd-adec-460c-809a-9e56ceb75269", UserInfo("alice", "1001", ("dev", "qa", "system:authenticated")),
                 id="a static token is the user, uid and groups of its line"),
    pytest.param("8fa3b1c0-5c1d-4a4e-9d0e-2b6f0a1c7e55", UserInfo("ci-bot", "1002", ("system:authenticated",)),
                 id="the groups column is optional"),
])
def test_static_tokens_from_a_token_auth_file(auth, token, user):
    assert auth.authenticate(request(("token", token))) == user


def test_a_token_file_line_needs_three_columns():
    with pytest.raises(ValueError, match=r"token file 'tokens.csv' must have at least 3 columns \(token, user name, "
                                         r"user uid\), found 2"):
        TokenFileAuthenticator.from_csv("abc,alice\n")


def test_an_unknown_token_is_an_invalid_bearer_token(auth):
    assert unauthorized_cause(auth, request(("token", "not-a-known-token"))) == "invalid bearer token"


def test_a_service_account_token_is_its_service_account(pki, auth):
    user = auth.authenticate(request(("token", sa_token(pki))))
    assert user == UserInfo("system:serviceaccount:ci:builder", "sa-uid",
                            ("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"),
                            (("authentication.kubernetes.io/credential-id", ("JTI=e1c0ffee",)),))


def test_a_pod_bound_token_names_its_pod_in_extra(pki, auth, world):
    world[("pods", "ci", "web-0")] = {"metadata": {"name": "web-0", "namespace": "ci", "uid": "pod-uid"}}
    user = auth.authenticate(request(("token", sa_token(pki, pod={"metadata": {"name": "web-0", "uid": "pod-uid"}}))))
    assert user.extra_dict() == {"authentication.kubernetes.io/credential-id": ["JTI=e1c0ffee"],
                                 "authentication.kubernetes.io/pod-name": ["web-0"],
                                 "authentication.kubernetes.io/pod-uid": ["pod-uid"]}


def test_a_forged_service_account_token_is_unauthorized(pki, other_pki, auth):
    forged = TokenGenerator(other_pki.service_account_key).generate(
        bound_claims("kube-system", "admin", "x", [ISSUER], EPOCH))
    assert unauthorized_cause(auth, request(("token", forged))) == "go-jose/go-jose: error in cryptographic primitive"


def test_a_successful_token_check_is_cached_for_ten_seconds(pki, auth, world, clock):
    token = sa_token(pki)
    assert auth.authenticate(request(("token", token))).name == "system:serviceaccount:ci:builder"
    del world[("serviceaccounts", "ci", "builder")]
    clock.seconds += 9
    assert auth.authenticate(request(("token", token))).name == "system:serviceaccount:ci:builder"
    clock.seconds += 2
    assert unauthorized_cause(auth, request(("token", token))) == 'serviceaccounts "builder" not found'


def test_no_credential_is_401_unauthorized_when_anonymous_auth_is_off(auth):
    assert unauthorized_cause(auth, request()) == "no credential"


def test_with_anonymous_auth_on_no_credential_is_system_anonymous(pki, clock):
    auth = new_authenticator(pki, clock, anonymous=True)
    assert auth.authenticate(request()) == UserInfo("system:anonymous", "", ("system:unauthenticated",))


def test_with_anonymous_auth_on_a_bad_credential_still_fails(pki, clock):
    auth = new_authenticator(pki, clock, anonymous=True)
    assert unauthorized_cause(auth, request(("token", "nope"))) == "invalid bearer token"


def test_the_simulation_credential_is_trusted_only_when_enabled(pki, clock):
    cred = ("sim", "system:kube-scheduler", ())
    trusting = new_authenticator(pki, clock)
    assert trusting.authenticate(request(cred)) == UserInfo("system:kube-scheduler", "", ("system:authenticated",))
    strict = new_authenticator(pki, clock, trust_simulation=False)
    assert unauthorized_cause(strict, request(cred)) == "unsupported credential 'sim'"


def test_the_chain_without_any_authenticator_refuses_everything():
    auth = Authenticator(trust_simulation=False)
    with pytest.raises(errors.StatusError) as err:
        auth.authenticate(request(("token", "x")))
    assert err.value.code == 401


def test_virtual_clock_follows_the_kernel():
    class Kernel:
        now = 90.0
    assert virtual_clock(Kernel())() == EPOCH + timedelta(seconds=90)


def test_self_subject_review_is_kubectl_auth_whoami():
    user = UserInfo("alice", "1001", ("dev", "system:authenticated"))
    assert self_subject_review(user) == {
        "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": {"username": "alice", "uid": "1001", "groups": ["dev", "system:authenticated"]}}}


def test_token_review_answers_whose_token_it_is(pki, auth):
    good = token_review(auth, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                               "spec": {"token": sa_token(pki)}})
    assert good["status"] == {"authenticated": True, "user": {
        "username": "system:serviceaccount:ci:builder", "uid": "sa-uid",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=e1c0ffee"]}}}
    bad = token_review(auth, {"spec": {"token": "nope"}})
    assert bad["status"] == {"user": {}, "error": "invalid bearer token"}


def test_a_token_review_without_a_token_is_invalid(auth):
    with pytest.raises(errors.StatusError) as err:
        token_review(auth, {"spec": {}})
    assert err.value.message == 'TokenReview.authentication.k8s.io "" is invalid: spec.token: Required value'


def test_authentication_errors_never_leak_to_the_client(auth, other_pki):
    with pytest.raises(errors.StatusError) as err:
        auth.authenticate(request(other_pki.admin().credential()))
    assert "x509" not in err.value.message and isinstance(err.value.__cause__, AuthenticationError)


def test_the_legacy_secret_token_authenticates_through_the_chain(pki, auth, world):
    from k8slite.pki.serviceaccount import legacy_token
    token = legacy_token(pki.service_account_key, SA, "builder-token-abcde")
    world[("secrets", "ci", "builder-token-abcde")] = {
        "metadata": {"name": "builder-token-abcde", "namespace": "ci"},
        "data": {"token": base64.b64encode(token.encode()).decode()}}
    assert auth.authenticate(request(("token", token))).groups == (
        "system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated")
