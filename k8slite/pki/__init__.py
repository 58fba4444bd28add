"""The cluster's PKI, as kubeadm sets it up: a CA, a certificate per component and user,
the service-account signing key, kubeconfigs.

``ClusterPKI`` (ca.py) is the entry point; ``serviceaccount.py`` signs and checks tokens,
``kubeconfig.py`` writes kubeconfig files, ``keys.py`` makes (seeded) keys. Needs the
``cryptography`` package, imported only when a key or certificate is made.
"""
from .ca import CertificateAuthority, ClusterPKI, IssuedCertificate
from .kubeconfig import kubeconfig

__all__ = ["CertificateAuthority", "ClusterPKI", "IssuedCertificate", "kubeconfig"]
