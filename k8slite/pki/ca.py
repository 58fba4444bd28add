"""The cluster CA and the certificates kubeadm issues from it: one per component and user.

Mirrors kubernetes v1.31 ``cmd/kubeadm/app/phases/certs/certlist.go`` (the certificate
list of ``kubeadm init phase certs all``: CN, O, usages and SANs of each),
``cmd/kubeadm/app/util/pkiutil/pki_helpers.go`` (NewCertificateAuthority, NewSignedCert,
GetAPIServerAltNames), ``client-go/util/cert/cert.go`` (NewSelfSignedCACert: CN=kubernetes,
a ``DNS:kubernetes`` SAN, ten years) and ``cmd/kubeadm/app/phases/kubeconfig/kubeconfig.go``
(who each kubeconfig authenticates as). A client certificate *is* an identity to the API
server: the subject's CN is the user name and each O is a group.

Identities (kubeadm v1.31):

==========================  ===================================  =======================
file                        CN                                   O
==========================  ===================================  =======================
apiserver.crt (serving)     kube-apiserver                       -
apiserver-kubelet-client    kube-apiserver-kubelet-client        kubeadm:cluster-admins
admin.conf                  kubernetes-admin                     kubeadm:cluster-admins
super-admin.conf            kubernetes-super-admin               system:masters
controller-manager.conf     system:kube-controller-manager       -
scheduler.conf              system:kube-scheduler                -
kubelet.conf (per node)     system:node:<node>                   system:nodes
==========================  ===================================  =======================

Since kubeadm 1.29 the admin is in ``kubeadm:cluster-admins``, a group that a
ClusterRoleBinding ties to ``cluster-admin`` (so RBAC can revoke it); only
``super-admin.conf`` is in ``system:masters``, which no authorizer can deny.

Simplified: serial numbers count up from 1 in issue order (kubeadm draws random 63-bit
serials); every certificate starts at ``NOT_BEFORE`` (the simulation's epoch) instead of
"now"; component and user keys are ECDSA-P256 by default (kubeadm's
``encryptionAlgorithm: ECDSA-P256``) while the CA and the service-account key stay
RSA-2048 (kubeadm's default), see ``keys.py`` for how keys are derived from the seed. No
front-proxy CA, no etcd CA (the simulated etcd has no TLS), no renewal or CSR signing.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Optional

from ..api.meta import EPOCH
from .keys import ECDSA_P256, RSA_2048, crypto, is_rsa, new_private_key, private_key_pem

NOT_BEFORE = EPOCH                                          # the simulation's time zero, 2024-01-01T00:00:00Z
CA_VALIDITY = timedelta(days=3650)                          # client-go duration365d * 10
CERT_VALIDITY = timedelta(days=365)                         # kubeadm CertificateValidityPeriod

CLIENT, SERVER = "client", "server"

# kubeadm's identities (cmd/kubeadm/app/constants/constants.go)
ADMIN_USER, ADMIN_GROUP = "kubernetes-admin", "kubeadm:cluster-admins"
SUPER_ADMIN_USER, MASTERS_GROUP = "kubernetes-super-admin", "system:masters"
APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client"
SCHEDULER_USER = "system:kube-scheduler"
CONTROLLER_MANAGER_USER = "system:kube-controller-manager"
NODE_USER_PREFIX, NODES_GROUP = "system:node:", "system:nodes"


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, as a ``<name>.crt`` / ``<name>.key`` pair."""
    cert: Any            # cryptography.x509.Certificate
    key: Any             # its private key

    @property
    def cert_pem(self) -> bytes:
        _, _, serialization, _, _, _ = crypto()
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        _, _, serialization, _, _, _ = crypto()
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return private_key_pem(self.key)

    @property
    def common_name(self) -> str:
        return subject_fields(self.cert)[0]

    @property
    def organizations(self) -> tuple[str, ...]:
        return subject_fields(self.cert)[1]

    def credential(self) -> tuple:
        """What this certificate proves on a request: ``("x509", PEM)`` (see Request.credential)."""
        return ("x509", self.cert_pem)


def subject_fields(cert: Any) -> tuple[str, tuple[str, ...]]:
    """(CN, (O, ...)) of a certificate's subject, in the order they appear."""
    x509, *_ = crypto()
    cn = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    orgs = tuple(a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME))
    return (cn[0] if cn else ""), orgs


def load_certificate(data: bytes | str) -> Any:
    """A certificate from PEM or DER bytes (what a TLS handshake hands over)."""
    x509, *_ = crypto()
    if isinstance(data, str):
        data = data.encode()
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


class CertificateAuthority:
    """A CA: a self-signed certificate (``ca.crt``) and the key that signs the rest (``ca.key``)."""

    def __init__(self, cert: Any, key: Any, seed: Optional[Any] = 0, key_algorithm: str = ECDSA_P256,
                 not_before: datetime = NOT_BEFORE, validity: timedelta = CERT_VALIDITY):
        self.cert, self.key = cert, key
        self.seed, self.key_algorithm = seed, key_algorithm
        self.not_before, self.validity = not_before, validity
        self._serial = cert.serial_number          # invariant: the last serial number handed out

    @classmethod
    def new(cls, common_name: str = "kubernetes", seed: Optional[Any] = 0, algorithm: str = RSA_2048,
            key_algorithm: str = ECDSA_P256, not_before: datetime = NOT_BEFORE,
            validity: timedelta = CERT_VALIDITY, ca_validity: timedelta = CA_VALIDITY) -> "CertificateAuthority":
        """NewCertificateAuthority: a fresh key and a self-signed CA certificate with serial 1.

        ``seed`` derives every key (None: random keys); ``algorithm`` is the CA key's,
        ``key_algorithm`` the one for certificates it issues."""
        x509, hashes, _, _, _, _ = crypto()
        key = new_private_key(algorithm, seed, f"ca/{common_name}")
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
        builder = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(name)
                   .public_key(key.public_key())
                   .serial_number(1)
                   .not_valid_before(not_before).not_valid_after(not_before + ca_validity)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=is_rsa(key), data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False))
        cert = builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True if not is_rsa(key) else None)
        return cls(cert, key, seed, key_algorithm, not_before, validity)

    @property
    def cert_pem(self) -> bytes:
        return IssuedCertificate(self.cert, self.key).cert_pem

    @property
    def key_pem(self) -> bytes:
        return private_key_pem(self.key)

    def issue(self, common_name: str, organizations: Iterable[str] = (), usages: Iterable[str] = (CLIENT,),
              sans: Iterable[str] = (), key: Any = None) -> IssuedCertificate:
        """NewSignedCert: a certificate for ``common_name`` (the user) in ``organizations`` (its
        groups), for ``usages`` ("client", "server"), with ``sans`` (DNS names or IP addresses).
        The key is derived from the seed and the subject unless one is handed in."""
        x509, hashes, _, _, _, _ = crypto()
        if not common_name:
            raise ValueError("must specify a CommonName")
        organizations, usages = tuple(organizations), tuple(usages)
        if key is None:
            key = new_private_key(self.key_algorithm, self.seed,
                                  f"{common_name}/{','.join(organizations)}/{','.join(usages)}")
        attrs = [x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, o) for o in organizations]
        attrs.append(x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name))
        ekus = {CLIENT: x509.ExtendedKeyUsageOID.CLIENT_AUTH, SERVER: x509.ExtendedKeyUsageOID.SERVER_AUTH}
        self._serial += 1
        ca_ski = self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name(attrs)).issuer_name(self.cert.subject)
                   .public_key(key.public_key())
                   .serial_number(self._serial)
                   .not_valid_before(self.not_before).not_valid_after(self.not_before + self.validity)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                key_encipherment=is_rsa(key), data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ekus[u] for u in usages]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                                  critical=False))
        alt = _alt_names(sans)
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(self.key, hashes.SHA256(), ecdsa_deterministic=True if not is_rsa(self.key) else None)
        return IssuedCertificate(cert, key)

    def verify(self, cert: Any, at: datetime, usage: str = CLIENT) -> None:
        """Check that ``cert`` chains to this CA, is valid ``at``, and may be used for ``usage``;
        raises ``CertificateError`` with Go's crypto/x509 message otherwise."""
        verify_certificate(cert, self.cert, at, usage)


class CertificateError(Exception):
    """Why crypto/x509 ``Certificate.Verify`` refused a certificate."""


def verify_certificate(cert: Any, ca_cert: Any, at: datetime, usage: str = CLIENT) -> None:
    """Certificate.Verify against one root (``--client-ca-file``): issuer, signature, validity, key usage.

    The checks run in Go's order and fail with its messages (crypto/x509/verify.go)."""
    x509, *_ = crypto()
    if cert.not_valid_before_utc > at:
        raise CertificateError(f"x509: certificate has expired or is not yet valid: current time "
                               f"{_go_time(at)} is before {_go_time(cert.not_valid_before_utc)}")
    if cert.not_valid_after_utc < at:
        raise CertificateError(f"x509: certificate has expired or is not yet valid: current time "
                               f"{_go_time(at)} is after {_go_time(cert.not_valid_after_utc)}")
    try:
        if cert.issuer != ca_cert.subject:
            raise ValueError("issuer mismatch")
        cert.verify_directly_issued_by(ca_cert)
    except Exception:  # noqa: BLE001 - any failure to chain is the same answer in Go
        raise CertificateError("x509: certificate signed by unknown authority") from None
    if ca_cert.not_valid_after_utc < at or ca_cert.not_valid_before_utc > at:
        raise CertificateError("x509: certificate signed by unknown authority")
    wanted = {CLIENT: x509.ExtendedKeyUsageOID.CLIENT_AUTH, SERVER: x509.ExtendedKeyUsageOID.SERVER_AUTH}[usage]
    try:
        ekus = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        ekus = []                      # no EKU extension: any usage
    if ekus and wanted not in ekus and x509.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in ekus:
        raise CertificateError("x509: certificate specifies an incompatible key usage")


def certificate_identifier(cert: Any) -> str:
    """x509.go certificateIdentifier: ``SN=…, SKID=…, AKID=…`` (how a refused certificate is logged)."""
    x509, *_ = crypto()

    def ext(cls, attr):
        try:
            return getattr(cert.extensions.get_extension_for_class(cls).value, attr) or b""
        except x509.ExtensionNotFound:
            return b""

    def hexcolon(b: bytes) -> str:
        return ":".join(f"{x:02X}" for x in b)

    return (f"SN={cert.serial_number}, SKID={hexcolon(ext(x509.SubjectKeyIdentifier, 'digest'))}, "
            f"AKID={hexcolon(ext(x509.AuthorityKeyIdentifier, 'key_identifier'))}")


def _go_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alt_names(sans: Iterable[str]) -> list:
    """DNS names and IPs, duplicates removed in first-seen order (RemoveDuplicateAltNames)."""
    x509, *_ = crypto()
    seen, out = set(), []
    for san in sans:
        if san in seen:
            continue
        seen.add(san)
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            out.append(x509.DNSName(san))
    return out


def apiserver_alt_names(node_name: str, advertise_address: str, service_cidr: str = "10.96.0.0/12",
                        dns_domain: str = "cluster.local",
                        extra: Iterable[str] = ("127.0.0.1", "localhost")) -> list[str]:
    """GetAPIServerAltNames: the names a client may dial the API server by.

    kubeadm: the node name, ``kubernetes``, ``kubernetes.default``, ``kubernetes.default.svc``,
    ``kubernetes.default.svc.<domain>``, the first service IP and the advertise address.
    ``extra`` (kubeadm's ``apiServer.certSANs``) adds loopback names for server mode."""
    first_service_ip = str(ipaddress.ip_network(service_cidr).network_address + 1)
    return [node_name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            f"kubernetes.default.svc.{dns_domain}", first_service_ip, advertise_address, *extra]


@dataclass
class ClusterPKI:
    """What ``kubeadm init phase certs all`` and ``phase kubeconfig all`` leave in /etc/kubernetes.

    Certificates are issued on first use and then kept, so each identity has one
    certificate (and one serial number) per cluster."""
    seed: Optional[Any] = 0
    node_name: str = "control-plane"
    advertise_address: str = "10.0.0.1"
    service_cidr: str = "10.96.0.0/12"
    dns_domain: str = "cluster.local"
    key_algorithm: str = ECDSA_P256
    validity: timedelta = CERT_VALIDITY
    cert_sans: tuple = ("127.0.0.1", "localhost")
    _issued: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.ca = CertificateAuthority.new("kubernetes", self.seed, RSA_2048, self.key_algorithm,
                                           validity=self.validity)
        self._sa = None
        # kubeadm init issues its certificates together, in this order: each gets the same
        # serial number whichever a caller asks for first.
        for issue in (self.apiserver, self.apiserver_kubelet_client, self.admin, self.super_admin,
                      self.controller_manager, self.scheduler):
            issue()

    def _get(self, name: str, cn: str, orgs: tuple = (), usages: tuple = (CLIENT,), sans: tuple = ()):
        if name not in self._issued:
            self._issued[name] = self.ca.issue(cn, orgs, usages, sans)
        return self._issued[name]

    # -- kubeadm's certificate list -----------------------------------------------------
    def apiserver(self) -> IssuedCertificate:
        """apiserver.crt: the serving certificate (serverAuth), valid for every name in the SANs."""
        sans = apiserver_alt_names(self.node_name, self.advertise_address, self.service_cidr,
                                   self.dns_domain, self.cert_sans)
        return self._get("apiserver", "kube-apiserver", (), (SERVER,), tuple(sans))

    def apiserver_kubelet_client(self) -> IssuedCertificate:
        """apiserver-kubelet-client.crt: how the API server proves itself to kubelets (logs, exec)."""
        return self._get("apiserver-kubelet-client", APISERVER_KUBELET_CLIENT, (ADMIN_GROUP,))

    def admin(self) -> IssuedCertificate:
        return self._get("admin", ADMIN_USER, (ADMIN_GROUP,))

    def super_admin(self) -> IssuedCertificate:
        return self._get("super-admin", SUPER_ADMIN_USER, (MASTERS_GROUP,))

    def scheduler(self) -> IssuedCertificate:
        return self._get("scheduler", SCHEDULER_USER)

    def controller_manager(self) -> IssuedCertificate:
        return self._get("controller-manager", CONTROLLER_MANAGER_USER)

    def kubelet(self, node: str) -> IssuedCertificate:
        """kubelet-client-current.pem: ``system:node:<node>`` in ``system:nodes`` (what the Node authorizer needs)."""
        return self._get(f"kubelet/{node}", NODE_USER_PREFIX + node, (NODES_GROUP,))

    def user(self, name: str, groups: Iterable[str] = ()) -> IssuedCertificate:
        """A certificate for a person: ``kubeadm kubeconfig user --client-name``."""
        groups = tuple(groups)
        return self._get(f"user/{name}/{','.join(groups)}", name, groups)

    # -- the service-account key ------------------------------------------------------
    @property
    def service_account_key(self) -> Any:
        """sa.key: RSA-2048, the key that signs service account tokens (sa.pub verifies them)."""
        if self._sa is None:
            self._sa = new_private_key(RSA_2048, self.seed, "sa")
        return self._sa

    def files(self) -> dict[str, bytes]:
        """/etc/kubernetes/pki as kubeadm lays it out (only what has been issued so far, plus CA and sa)."""
        from .keys import public_key_pem
        out = {"ca.crt": self.ca.cert_pem, "ca.key": self.ca.key_pem}
        for name in ("apiserver", "apiserver-kubelet-client"):
            if name in self._issued:
                out[f"{name}.crt"] = self._issued[name].cert_pem
                out[f"{name}.key"] = self._issued[name].key_pem
        out["sa.key"] = private_key_pem(self.service_account_key)
        out["sa.pub"] = public_key_pem(self.service_account_key)
        return out


def fingerprint(cert: Any) -> str:
    """SHA-256 of the DER bytes, as ``openssl x509 -fingerprint -sha256`` prints it."""
    _, _, serialization, _, _, _ = crypto()
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
