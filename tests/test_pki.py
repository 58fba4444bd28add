"""k8slite.pki: the kubeadm CA and certificates, service account tokens, kubeconfigs.

Oracles: cryptography's RFC 5280 path validation (``x509.verification``), the ``openssl``
command line, real ``kubectl config view`` and the official ``kubernetes`` client reading
the kubeconfig.
"""
from __future__ import annotations

import base64
import hashlib
import json
import random
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
import yaml

pytest.importorskip("cryptography")

from cryptography import x509                                            # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization       # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.x509 import verification                              # noqa: E402

from k8slite.api import errors                                          # noqa: E402
from k8slite.api.meta import EPOCH                                      # noqa: E402
from k8slite.pki import ClusterPKI, kubeconfig                           # noqa: E402
from k8slite.pki.ca import CertificateAuthority, CertificateError, verify_certificate  # noqa: E402
from k8slite.pki.kubeconfig import component_kubeconfigs                 # noqa: E402
from k8slite.pki.serviceaccount import (ISSUER, JWTTokenAuthenticator, TokenError, TokenGenerator,  # noqa: E402
                                        bound_claims, decode_unverified, key_id, legacy_token,
                                        token_request)

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def pki():
    return ClusterPKI(seed=0)


@pytest.fixture(scope="module")
def other_pki():
    return ClusterPKI(seed=1)


def client_verifier(ca_cert, at):
    """An independent RFC 5280 verifier, allowing kubeadm's SAN-less client certificates."""
    ee = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None)
    return (verification.PolicyBuilder().store(verification.Store([ca_cert])).time(at)
            .extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
            .build_client_verifier())


# -- the CA ---------------------------------------------------------------------------------------
def test_the_cluster_ca_is_the_kubernetes_ca_kubeadm_makes(pki):
    ca = pki.ca.cert
    assert ca.subject.rfc4514_string() == "CN=kubernetes" and ca.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.digital_signature
    assert ca.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["kubernetes"]
    assert isinstance(ca.public_key(), rsa.RSAPublicKey) and ca.public_key().key_size == 2048
    assert ca.not_valid_before_utc == EPOCH
    assert ca.not_valid_after_utc == EPOCH + timedelta(days=3650)
    assert ca.serial_number == 1
    ca.verify_directly_issued_by(ca)                     # self-signed


@pytest.mark.parametrize("method, args, cn, orgs, usage", [
    pytest.param("admin", (), "kubernetes-admin", ("kubeadm:cluster-admins",), "client",
                 id="admin.conf is kubernetes-admin in kubeadm:cluster-admins (kubeadm 1.29+)"),
    pytest.param("super_admin", (), "kubernetes-super-admin", ("system:masters",), "client",
                 id="super-admin.conf is the one identity in system:masters"),
    pytest.param("scheduler", (), "system:kube-scheduler", (), "client",
                 id="the scheduler is system:kube-scheduler with no groups"),
    pytest.param("controller_manager", (), "system:kube-controller-manager", (), "client",
                 id="the controller manager is system:kube-controller-manager"),
    pytest.param("kubelet", ("node-1",), "system:node:node-1", ("system:nodes",), "client",
                 id="a kubelet is system:node:<name> in system:nodes"),
    pytest.param("apiserver_kubelet_client", (), "kube-apiserver-kubelet-client", ("kubeadm:cluster-admins",),
                 "client", id="the API server talks to kubelets as kube-apiserver-kubelet-client"),
    pytest.param("user", ("alice", ("dev", "qa")), "alice", ("dev", "qa"), "client",
                 id="a user certificate carries each group as an O"),
    pytest.param("apiserver", (), "kube-apiserver", (), "server", id="the API server's serving certificate"),
])
def test_kubeadm_issues_one_certificate_per_identity(pki, method, args, cn, orgs, usage):
    issued = getattr(pki, method)(*args)
    assert (issued.common_name, issued.organizations) == (cn, orgs)
    eku = list(issued.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert eku == [x509.ExtendedKeyUsageOID.CLIENT_AUTH if usage == "client" else x509.ExtendedKeyUsageOID.SERVER_AUTH]
    assert issued.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert issued.cert.not_valid_before_utc == EPOCH and issued.cert.not_valid_after_utc == EPOCH + 365 * DAY
    assert isinstance(issued.key, ec.EllipticCurvePrivateKey)          # ECDSA-P256 leaves
    assert issued.key.public_key().public_numbers() == issued.cert.public_key().public_numbers()
    verify_certificate(issued.cert, pki.ca.cert, EPOCH + DAY, usage)
    if usage == "client":
        client_verifier(pki.ca.cert, EPOCH + DAY).verify(issued.cert, [])


def test_the_serving_certificate_answers_to_every_name_clients_use(pki):
    sans = pki.apiserver().cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [
        "control-plane", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local", "localhost"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.96.0.1", "10.0.0.1", "127.0.0.1"]
    store = verification.Store([pki.ca.cert])
    for name in ("kubernetes.default.svc", "localhost"):
        verifier = verification.PolicyBuilder().store(store).time(EPOCH + DAY).build_server_verifier(
            verification.DNSName(name))
        assert verifier.verify(pki.apiserver().cert, [])[-1] == pki.ca.cert


def test_the_same_seed_gives_byte_identical_certificates_and_a_different_seed_does_not(pki, other_pki):
    again = ClusterPKI(seed=0)
    assert again.admin().cert_pem == pki.admin().cert_pem         # order of asking does not matter
    assert again.ca.cert_pem == pki.ca.cert_pem and again.ca.key_pem == pki.ca.key_pem
    assert again.kubelet("node-1").cert_pem == pki.kubelet("node-1").cert_pem
    assert again.files()["sa.key"] == pki.files()["sa.key"]
    assert other_pki.ca.cert_pem != pki.ca.cert_pem


def test_serial_numbers_count_up_in_issue_order():
    ca = CertificateAuthority.new(seed=7)
    assert [ca.issue(f"u{i}").cert.serial_number for i in range(3)] == [2, 3, 4]


def test_random_keys_when_no_seed_is_given():
    a, b = CertificateAuthority.new(seed=None), CertificateAuthority.new(seed=None)
    assert a.cert.public_key().public_numbers() != b.cert.public_key().public_numbers()


@pytest.mark.parametrize("case, message", [
    pytest.param("other-ca", "x509: certificate signed by unknown authority",
                 id="a certificate from another CA is signed by an unknown authority"),
    pytest.param("expired", "x509: certificate has expired or is not yet valid: current time "
                 "2025-01-01T00:00:00Z is after 2024-12-31T00:00:00Z", id="an expired certificate is refused"),
    pytest.param("early", "x509: certificate has expired or is not yet valid: current time "
                 "2023-12-31T00:00:00Z is before 2024-01-01T00:00:00Z", id="a not-yet-valid certificate is refused"),
    pytest.param("server-as-client", "x509: certificate specifies an incompatible key usage",
                 id="a serving certificate cannot authenticate a client"),
])
def test_verification_refuses_with_go_crypto_messages(pki, other_pki, case, message):
    cert, at = pki.admin().cert, EPOCH + DAY
    if case == "other-ca":
        cert = other_pki.admin().cert
    elif case == "expired":
        at = EPOCH + 366 * DAY
    elif case == "early":
        at = EPOCH - DAY
    elif case == "server-as-client":
        cert = pki.apiserver().cert
    with pytest.raises(CertificateError) as err:
        verify_certificate(cert, pki.ca.cert, at)
    assert str(err.value) == message


def test_the_independent_verifier_also_rejects_a_certificate_from_another_ca(pki, other_pki):
    with pytest.raises(verification.VerificationError):
        client_verifier(pki.ca.cert, EPOCH + DAY).verify(other_pki.admin().cert, [])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_openssl_agrees(pki, other_pki, tmp_path):
    (tmp_path / "ca.crt").write_bytes(pki.ca.cert_pem)
    (tmp_path / "good.crt").write_bytes(pki.kubelet("node-1").cert_pem)
    (tmp_path / "bad.crt").write_bytes(other_pki.kubelet("node-1").cert_pem)
    at = str(int((EPOCH + DAY).timestamp()))

    def verify(name):
        return subprocess.run(["openssl", "verify", "-attime", at, "-purpose", "sslclient", "-CAfile",
                               str(tmp_path / "ca.crt"), str(tmp_path / name)], capture_output=True, text=True)

    assert verify("good.crt").returncode == 0
    bad = verify("bad.crt")
    assert bad.returncode != 0 and "unable to get local issuer certificate" in bad.stderr + bad.stdout


def test_files_are_laid_out_as_in_etc_kubernetes_pki(pki):
    files = pki.files()
    assert sorted(files) == ["apiserver-kubelet-client.crt", "apiserver-kubelet-client.key", "apiserver.crt",
                             "apiserver.key", "ca.crt", "ca.key", "sa.key", "sa.pub"]
    assert files["ca.key"].startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert files["apiserver.key"].startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert files["sa.pub"].startswith(b"-----BEGIN PUBLIC KEY-----")


# -- service account tokens -----------------------------------------------------------------------
def clock(seconds):
    return lambda: EPOCH + timedelta(seconds=seconds)


SA = {"metadata": {"name": "builder", "namespace": "ci", "uid": "sa-uid"}}


def objects_getter(*objs):
    table = {(kind, o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for kind, o in objs}
    return lambda resource, namespace, name: table.get((resource, namespace, name))


def bound_token(pki, **kw):
    claims = bound_claims("ci", "builder", "sa-uid", [ISSUER], EPOCH, jti="4d8a1c2e", **kw)
    return TokenGenerator(pki.service_account_key).generate(claims)


def test_a_bound_token_has_the_claims_and_header_of_a_real_one(pki):
    token = bound_token(pki)
    header, claims = decode_unverified(token)
    der = pki.service_account_key.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    assert header == {"alg": "RS256",
                      "kid": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()}
    assert header["kid"] == key_id(pki.service_account_key.public_key())
    assert claims == {"aud": [ISSUER], "exp": 1704070800, "iat": 1704067200, "iss": ISSUER, "jti": "4d8a1c2e",
                      "kubernetes.io": {"namespace": "ci", "serviceaccount": {"name": "builder", "uid": "sa-uid"}},
                      "nbf": 1704067200, "sub": "system:serviceaccount:ci:builder"}
    payload = token.split(".")[1]
    assert base64.urlsafe_b64decode(payload + "==").decode().startswith('{"aud":["https://')   # go-jose key order


def test_the_signature_is_plain_rs256_that_any_jwt_library_checks(pki):
    token = bound_token(pki)
    signing_input, _, sig = token.rpartition(".")
    pki.service_account_key.public_key().verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
                                                signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_a_token_round_trips_to_its_service_account(pki):
    auth = JWTTokenAuthenticator([pki.service_account_key], clock(10), getter=objects_getter(("serviceaccounts", SA)))
    sa, audiences = auth.authenticate_token(bound_token(pki))
    assert (sa.username, sa.uid, sa.groups) == ("system:serviceaccount:ci:builder", "sa-uid",
                                                ("system:serviceaccounts", "system:serviceaccounts:ci"))
    assert sa.extra() == {"authentication.kubernetes.io/credential-id": ("JTI=4d8a1c2e",)}
    assert audiences == (ISSUER,)


def _tamper(token):
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "system:serviceaccount:kube-system:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{sig}"


@pytest.mark.parametrize("case, message", [
    pytest.param("tampered", "go-jose/go-jose: error in cryptographic primitive",
                 id="changing a claim breaks the signature"),
    pytest.param("other-key", "go-jose/go-jose: error in cryptographic primitive",
                 id="a token signed by another cluster's key is refused"),
    pytest.param("expired", "service account token has expired",
                 id="a token past exp (plus a minute's leeway) has expired"),
    pytest.param("audience", 'token audiences ["vault"] is invalid for the target audiences '
                 '["https://kubernetes.default.svc.cluster.local"]', id="a token for another audience is refused"),
    pytest.param("sa-recreated", "service account UID (new-uid) does not match claim (sa-uid)",
                 id="a token outlives its service account only until the lookup"),
    pytest.param("pod-gone", 'pods "web-0" not found', id="a pod-bound token dies with its pod"),
])
def test_bad_tokens_are_refused(pki, other_pki, case, message):
    now, getter = 10, objects_getter(("serviceaccounts", SA))
    token = bound_token(pki)
    if case == "tampered":
        token = _tamper(token)
    elif case == "other-key":
        token = bound_token(other_pki)
    elif case == "expired":
        now = 3600 + 61
    elif case == "audience":
        token = TokenGenerator(pki.service_account_key).generate(
            bound_claims("ci", "builder", "sa-uid", ["vault"], EPOCH))
    elif case == "sa-recreated":
        getter = objects_getter(("serviceaccounts", {"metadata": dict(SA["metadata"], uid="new-uid")}))
    elif case == "pod-gone":
        token = bound_token(pki, pod={"metadata": {"name": "web-0", "uid": "pod-uid"}})
    auth = JWTTokenAuthenticator([pki.service_account_key], clock(now), getter=getter)
    with pytest.raises(TokenError) as err:
        auth.authenticate_token(token)
    assert str(err.value) == message


def test_tokens_from_another_issuer_or_not_jwts_are_left_to_other_authenticators(pki):
    auth = JWTTokenAuthenticator([pki.service_account_key], clock(10))
    foreign = TokenGenerator(pki.service_account_key, issuer="https://accounts.example.com").generate({"sub": "x"})
    assert auth.authenticate_token(foreign) is None
    assert auth.authenticate_token("31ada4fd-adec-460c-809a-9e56ceb75269") is None


def test_a_legacy_secret_token_is_valid_while_its_secret_holds_it(pki):
    token = legacy_token(pki.service_account_key, SA, "builder-token-x7k2p")
    assert decode_unverified(token)[1]["iss"] == "kubernetes/serviceaccount"
    secret = {"metadata": {"name": "builder-token-x7k2p", "namespace": "ci"},
              "data": {"token": base64.b64encode(token.encode()).decode()}}
    auth = JWTTokenAuthenticator([pki.service_account_key], clock(10 ** 6),
                                 getter=objects_getter(("serviceaccounts", SA), ("secrets", secret)))
    sa, _ = auth.authenticate_token(token)
    assert sa.username == "system:serviceaccount:ci:builder"
    gone = JWTTokenAuthenticator([pki.service_account_key], clock(10), getter=objects_getter(("serviceaccounts", SA)))
    with pytest.raises(TokenError, match="Token has been invalidated"):
        gone.authenticate_token(token)


def test_token_request_signs_a_bound_token_for_kubectl_create_token(pki):
    pod = {"metadata": {"name": "web-0", "namespace": "ci", "uid": "pod-uid"}, "spec": {"nodeName": "node-1"}}
    node = {"metadata": {"name": "node-1", "uid": "node-uid"}}
    getter = objects_getter(("pods", pod), ("nodes", node), ("serviceaccounts", SA))
    review = token_request(TokenGenerator(pki.service_account_key), SA,
                           {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web-0"}}},
                           EPOCH + timedelta(seconds=30), random.Random(0), getter)
    assert review["kind"] == "TokenRequest" and review["status"]["expirationTimestamp"] == "2024-01-01T01:00:30Z"
    claims = decode_unverified(review["status"]["token"])[1]
    assert claims["kubernetes.io"]["pod"] == {"name": "web-0", "uid": "pod-uid"}
    assert claims["kubernetes.io"]["node"] == {"name": "node-1", "uid": "node-uid"}
    auth = JWTTokenAuthenticator([pki.service_account_key], clock(60), getter=getter)
    sa, _ = auth.authenticate_token(review["status"]["token"])
    assert (sa.pod_name, sa.node_name) == ("web-0", "node-1")


def test_token_request_refuses_a_lifetime_under_ten_minutes(pki):
    with pytest.raises(errors.StatusError) as err:
        token_request(TokenGenerator(pki.service_account_key), SA, {"spec": {"expirationSeconds": 599}},
                      EPOCH, random.Random(0))
    assert err.value.code == 422
    assert err.value.message == ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
                                 'Invalid value: 599: may not specify a duration less than 10 minutes')


# -- kubeconfig ----------------------------------------------------------------------------------
def test_admin_conf_has_the_shape_kubeadm_writes(pki):
    text = kubeconfig("https://10.0.0.1:6443", "kubernetes-admin", pki.admin(), ca=pki.ca)
    config = yaml.safe_load(text)
    assert list(config) == ["apiVersion", "clusters", "contexts", "current-context", "kind", "preferences", "users"]
    assert config["clusters"] == [{"cluster": {"certificate-authority-data": base64.b64encode(pki.ca.cert_pem).decode(),
                                               "server": "https://10.0.0.1:6443"}, "name": "kubernetes"}]
    assert config["contexts"] == [{"context": {"cluster": "kubernetes", "user": "kubernetes-admin"},
                                   "name": "kubernetes-admin@kubernetes"}]
    assert config["current-context"] == "kubernetes-admin@kubernetes"
    assert config["users"][0]["user"] == {
        "client-certificate-data": base64.b64encode(pki.admin().cert_pem).decode(),
        "client-key-data": base64.b64encode(pki.admin().key_pem).decode()}


def test_component_kubeconfigs_name_each_identity(pki):
    confs = component_kubeconfigs(pki, "https://10.0.0.1:6443")
    users = {name: yaml.safe_load(text)["users"][0]["name"] for name, text in confs.items()}
    assert users == {"admin.conf": "kubernetes-admin", "super-admin.conf": "kubernetes-super-admin",
                     "controller-manager.conf": "system:kube-controller-manager",
                     "scheduler.conf": "system:kube-scheduler", "kubelet.conf": "system:node:control-plane"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")
def test_real_kubectl_reads_the_kubeconfig(pki, tmp_path):
    path = tmp_path / "admin.conf"
    path.write_text(kubeconfig("https://127.0.0.1:6443", "kubernetes-admin", pki.admin(), ca=pki.ca))
    out = subprocess.run(["kubectl", "config", "view", "--raw", "--kubeconfig", str(path), "-o", "json"],
                         capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["current-context"] == "kubernetes-admin@kubernetes"
    assert base64.b64decode(view["users"][0]["user"]["client-certificate-data"]) == pki.admin().cert_pem


def test_the_official_python_client_loads_the_kubeconfig(pki, tmp_path):
    kubernetes = pytest.importorskip("kubernetes")
    path = tmp_path / "admin.conf"
    path.write_text(kubeconfig("https://127.0.0.1:6443", "kubernetes-admin", pki.admin(), ca=pki.ca))
    cfg = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(path), client_configuration=cfg)
    assert cfg.host == "https://127.0.0.1:6443"
    with open(cfg.cert_file, "rb") as f:
        assert f.read() == pki.admin().cert_pem
    with open(cfg.ssl_ca_cert, "rb") as f:
        assert f.read() == pki.ca.cert_pem


def test_importing_k8slite_does_not_import_cryptography():
    code = ("import sys, k8slite, k8slite.pki, k8slite.apiserver.authn, k8slite.apiserver.authz;"
            "print('cryptography' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- a real TLS handshake: Go's crypto/x509 (kubectl) and OpenSSL (the server) check our certificates ------
@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """An HTTPS /version endpoint with the API server's certificate, asking for client certificates
    signed by the cluster CA (as kube-apiserver's --client-ca-file does). Certificates valid ten
    years from the simulation's epoch, so that wall-clock clients accept them (server mode)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    version = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-k8slite", "gitCommit": "k8slite",
               "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.5",
               "compiler": "gc", "platform": "linux/amd64"}

    served = ClusterPKI(seed=0, validity=timedelta(days=3650))
    d = tmp_path_factory.mktemp("tls")
    (d / "tls.crt").write_bytes(served.apiserver().cert_pem)
    (d / "tls.key").write_bytes(served.apiserver().key_pem)
    peers = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            cert = self.connection.getpeercert()
            peers.append(dict(x[0] for x in cert["subject"]) if cert else None)
            body = json.dumps(version).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(d / "tls.crt"), str(d / "tls.key"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(cadata=served.ca.cert_pem.decode())
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"https://127.0.0.1:{server.server_address[1]}", peers, d
    server.shutdown()
    thread.join()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")
def test_real_kubectl_trusts_the_serving_certificate_and_presents_its_client_certificate(tls_server):
    served, url, peers, d = tls_server
    path = d / "admin.conf"
    path.write_text(kubeconfig(url, "kubernetes-admin", served.admin(), ca=served.ca))
    out = subprocess.run(["kubectl", "--kubeconfig", str(path), "get", "--raw", "/version"],
                         capture_output=True, text=True, env={"HOME": str(d), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["gitVersion"] == "v1.31.0-k8slite"
    assert peers[-1] == {"organizationName": "kubeadm:cluster-admins", "commonName": "kubernetes-admin"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")
def test_real_kubectl_refuses_a_server_it_has_no_ca_for(tls_server, other_pki):
    served, url, _, d = tls_server
    path = d / "stranger.conf"
    path.write_text(kubeconfig(url, "kubernetes-admin", served.admin(), ca=other_pki.ca))
    out = subprocess.run(["kubectl", "--kubeconfig", str(path), "get", "--raw", "/version"],
                         capture_output=True, text=True, env={"HOME": str(d), "PATH": "/usr/bin:/bin"})
    assert out.returncode != 0 and "x509: certificate signed by unknown authority" in out.stderr


def test_the_official_python_client_connects_with_the_kubeconfig(tls_server):
    kubernetes = pytest.importorskip("kubernetes")
    served, url, peers, d = tls_server
    path = d / "python.conf"
    path.write_text(kubeconfig(url, "system:node:node-1", served.kubelet("node-1"), ca=served.ca))
    api = kubernetes.config.new_client_from_config(config_file=str(path))
    assert kubernetes.client.VersionApi(api).get_code().git_version == "v1.31.0-k8slite"
    assert peers[-1] == {"organizationName": "system:nodes", "commonName": "system:node:node-1"}
