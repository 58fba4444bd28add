"""kubeconfig files: where the API server is, which CA to trust, and who the client is.

Mirrors kubernetes v1.31 ``cmd/kubeadm/app/util/kubeconfig/kubeconfig.go``
(CreateWithCerts / CreateWithToken: one cluster named after the cluster, one user, one
context ``<user>@<cluster>``) and ``client-go/tools/clientcmd/api/v1/types.go`` (the
``Config`` fields; certificate data is base64 of the PEM files). The output is what
``kubeadm init`` writes to /etc/kubernetes/admin.conf, and what kubectl reads.

Simplified: one cluster, one user and one context per file; no exec or auth-provider
plugins, no proxy or TLS-server-name settings.
"""
from __future__ import annotations

import base64
from typing import Any, Optional

import yaml


def _pem(value: Any) -> bytes:
    if value is None:
        return b""
    if hasattr(value, "cert_pem") and not isinstance(value, (bytes, str)):
        return value.cert_pem
    return value.encode() if isinstance(value, str) else bytes(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig(server_url: str, user: str, cert: Any = None, key: Any = None, ca: Any = None,
               cluster_name: str = "kubernetes", token: Optional[str] = None) -> str:
    """The YAML text of a kubeconfig for ``user`` at ``server_url``.

    ``cert``: an IssuedCertificate (its key is used unless ``key`` is given) or PEM bytes;
    ``ca``: a CertificateAuthority or the CA PEM; ``token``: a bearer token instead of a
    client certificate."""
    if cert is not None and key is None and hasattr(cert, "key_pem"):
        key = cert.key_pem
    cluster: dict = {}
    if ca is not None:
        cluster["certificate-authority-data"] = _b64(_pem(ca))
    cluster["server"] = server_url
    auth: dict = {}
    if cert is not None:
        auth["client-certificate-data"] = _b64(_pem(cert))
        auth["client-key-data"] = _b64(_pem(key))
    if token is not None:
        auth["token"] = token
    context = f"{user}@{cluster_name}"
    config = {
        "apiVersion": "v1",
        "clusters": [{"cluster": cluster, "name": cluster_name}],
        "contexts": [{"context": {"cluster": cluster_name, "user": user}, "name": context}],
        "current-context": context,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": user, "user": auth}],
    }
    return yaml.safe_dump(config, default_flow_style=False, sort_keys=True, width=1 << 30)


def component_kubeconfigs(pki: Any, server_url: str) -> dict[str, str]:
    """``kubeadm init phase kubeconfig all``: admin.conf, super-admin.conf, controller-manager.conf,
    scheduler.conf, and kubelet.conf for the control-plane node."""
    out = {}
    for filename, issued in (("admin.conf", pki.admin()), ("super-admin.conf", pki.super_admin()),
                             ("controller-manager.conf", pki.controller_manager()),
                             ("scheduler.conf", pki.scheduler()),
                             ("kubelet.conf", pki.kubelet(pki.node_name))):
        out[filename] = kubeconfig(server_url, issued.common_name, issued, ca=pki.ca.cert_pem)
    return out
