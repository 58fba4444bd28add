"""Server mode: a cluster on the wall clock, its API served over HTTPS for real clients.

Mirrors what ``kubeadm init`` leaves behind for a user: a running control plane whose
API server listens on a secure port, and ``/etc/kubernetes/admin.conf``, a kubeconfig
with the cluster's CA and the admin's client certificate. The real ``kubectl`` and
the official ``kubernetes`` Python client drive it as they drive any cluster.

``python -m k8slite serve --nodes 3 --port 6443 --kubeconfig ./kubeconfig`` runs it
until Ctrl-C; tests and notebooks use ``Server`` as a context manager.

Simplified: the API server listens on 127.0.0.1 only; the kernel runs on one thread
and follows the wall clock (``speed`` > 1 makes the cluster's time run faster), so the
trace is no longer reproducible; components inside the simulation still talk over the
simulated network.
"""
from __future__ import annotations

import os
import ssl
import tempfile
import threading
import time
from datetime import timedelta
from typing import Optional

from .api.meta import EPOCH
from .apiserver.http import HTTPFront
from .cluster import Cluster

STARTUP_MARGIN = 120.0      # virtual seconds the cluster may take to come up before it meets the wall clock
# Without TLS (--insecure, for debugging) there is no client certificate: every request is the admin's.
ADMIN_WITHOUT_TLS = ("sim", "kubernetes-admin", ("kubeadm:cluster-admins",))


class Server:
    """``Server(nodes=3, port=0)``: ``start()`` brings the cluster up and serves it; ``stop()`` ends it."""

    def __init__(self, nodes: int = 3, port: int = 0, kubeconfig: Optional[str] = None, speed: float = 1.0,
                 seed: int = 0, trace: bool = True, etcd_url: Optional[str] = None, tls: bool = True):
        self.nodes, self.port, self.speed, self.seed, self.trace = nodes, port, speed, seed, trace
        self.kubeconfig = kubeconfig
        self.etcd_url = etcd_url
        self.use_tls = tls
        self.cluster: Optional[Cluster] = None
        self.pki = None
        self.front: Optional[HTTPFront] = None
        self._stop = threading.Event()
        self._kernel_thread: Optional[threading.Thread] = None
        self._workdir = tempfile.TemporaryDirectory(prefix="k8slite-serve-")

    # -- life ---------------------------------------------------------------------------
    def start(self) -> "Server":
        wall = time.time() - EPOCH.timestamp()
        if self.etcd_url is None:
            # Bring the cluster up in virtual time (fast), then let it meet the wall clock.
            self.cluster = Cluster.up(nodes=self.nodes, seed=self.seed, trace=self.trace,
                                      start=wall - STARTUP_MARGIN)
            self._run_kernel()
        else:
            # A real etcd answers in wall time: the cluster must come up on the wall clock too.
            self.cluster = Cluster(seed=self.seed, trace=self.trace, start=wall)
            self._run_kernel()
            self.call(self._build_on_real_etcd)
            deadline = time.monotonic() + 60
            while not self.call(self.cluster.nodes_ready):
                if time.monotonic() > deadline:
                    raise TimeoutError("the cluster did not come up on the real etcd within 60 s")
                time.sleep(0.1)
        tls_context = self.call(self._pki) if self.use_tls else None
        self.front = HTTPFront(self.cluster.kernel, self.cluster.network, self.cluster.apiserver.name,
                               ("127.0.0.1", self.port), tls_context,
                               trusted=None if self.use_tls else ADMIN_WITHOUT_TLS)
        self.cluster.apiserver.server_address = "%s:%d" % self.front.address[:2]
        self.front.start()
        if self.kubeconfig:
            self.write_kubeconfig(self.kubeconfig)
        return self

    def _run_kernel(self) -> None:
        self._kernel_thread = threading.Thread(target=self.cluster.kernel.run_realtime, name="kernel", daemon=True,
                                               args=(self._stop, self.speed, time.time() - EPOCH.timestamp()))
        self._kernel_thread.start()

    def _build_on_real_etcd(self) -> None:
        from .etcd.gateway import RemoteEtcdClient
        from .cluster import CONTROL_PLANE
        c = self.cluster
        c.cluster_cidr = "10.244.0.0/16"
        c.add_apiserver(etcd=RemoteEtcdClient(c.kernel, self.etcd_url))
        c.add_controller_manager()
        c.add_scheduler()
        c.add_node(CONTROL_PLANE, control_plane=True)
        for _ in range(self.nodes):
            c.add_node()

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        self._stop.set()
        self.cluster.kernel.call_soon_threadsafe(lambda _: None)     # wake the kernel so it sees the stop
        if self._kernel_thread is not None:
            self._kernel_thread.join(timeout=5)
        self._workdir.cleanup()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.front.url

    def call(self, fn):
        """Run ``fn()`` on the kernel's thread and return its result (the cluster is not thread-safe)."""
        done: dict = {}
        ready = threading.Event()

        def run(_) -> None:
            try:
                done["value"] = fn()
            except BaseException as error:       # handed back to the caller's thread
                done["error"] = error
            ready.set()
        self.cluster.kernel.call_soon_threadsafe(run)
        ready.wait(30)
        if "error" in done:
            raise done["error"]
        return done.get("value")

    # -- credentials --------------------------------------------------------------------
    def _pki(self) -> ssl.SSLContext:
        """The cluster's CA and certificates (kubeadm's set), the API server's authenticator that
        checks them, and the TLS context of the secure port. Runs on the kernel's thread."""
        from .apiserver.authn import new_authenticator, virtual_clock
        from .pki import ClusterPKI
        apiserver = self.cluster.apiserver
        # The cluster's clock is the wall clock here: certificates must be valid now, not in 2024.
        self.pki = ClusterPKI(self.seed, validity=timedelta(days=3650))
        apiserver.authenticator = new_authenticator(
            self.pki, virtual_clock(self.cluster.kernel),
            getter=lambda resource, namespace, name: apiserver.cached(resource, namespace, name))
        from .pki.serviceaccount import TokenGenerator
        apiserver.service_account_signer = TokenGenerator(self.pki.service_account_key)
        serving = self.pki.apiserver()
        cert_file = os.path.join(self._workdir.name, "apiserver.crt")
        key_file = os.path.join(self._workdir.name, "apiserver.key")
        with open(cert_file, "wb") as f:
            f.write(serving.cert_pem)
        with open(key_file, "wb") as f:
            f.write(serving.key_pem)
        os.chmod(key_file, 0o600)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.verify_mode = ssl.CERT_OPTIONAL            # a client certificate is one way to authenticate
        context.load_verify_locations(cadata=self.pki.ca.cert_pem.decode())
        context.set_alpn_protocols(["http/1.1"])
        return context

    def kubeconfig_text(self, user: str = "kubernetes-admin", groups: tuple = ()) -> str:
        """A kubeconfig for ``user`` (default: admin.conf's), with a client certificate from the CA."""
        from .pki import kubeconfig
        if not self.use_tls:
            return (f"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: {self.url}\n  name: kubernetes\n"
                    f"contexts:\n- context:\n    cluster: kubernetes\n    user: {user}\n  name: {user}@kubernetes\n"
                    f"current-context: {user}@kubernetes\npreferences: {{}}\nusers:\n- name: {user}\n  user: {{}}\n")
        cert = self.pki.admin() if user == "kubernetes-admin" and not groups else self.pki.user(user, groups)
        return kubeconfig(self.url, user, cert, ca=self.pki.ca)

    def write_kubeconfig(self, path: str, user: str = "kubernetes-admin", groups: tuple = ()) -> str:
        """Write ``kubeconfig_text`` to ``path`` (mode 0600), as ``/etc/kubernetes/admin.conf``."""
        with open(path, "w") as f:
            f.write(self.kubeconfig_text(user, groups))
        os.chmod(path, 0o600)
        return path
