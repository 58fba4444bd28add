"""A whole cluster in one process: build it piece by piece, or all at once, and break it.

Mirrors what kubeadm sets up (``kubeadm init`` on a control-plane host: etcd, the API
server, the controller manager and the scheduler, and a kubelet whose Node carries
the ``node-role.kubernetes.io/control-plane:NoSchedule`` taint; ``kubeadm join`` on each
worker: a kubelet and its container runtime). Every component is a separate endpoint
on the simulated network; they share nothing but the API server (and the API server
nothing but etcd).

Simplified: the control-plane components run as processes of the simulation, not as
static pods; there is one of each (high availability comes later).
"""
from __future__ import annotations

from typing import Iterable, Optional

from .api.scheme import SCHEME
from .apiserver.server import APIServer
from .client.rest import Client
from .controllers.manager import ControllerManager
from .cri.runtime import ContainerRuntime
from .etcd.server import EtcdServer
from .kubectl import Kubectl
from .kubelet.kubelet import Kubelet
from .scheduler.scheduler import Scheduler
from .sim import Kernel, Network, Trace

CONTROL_PLANE = "control-plane"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
# The RBAC part of metrics-server's components.yaml (v0.7).
METRICS_SERVER_RBAC = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    k8s-app: metrics-server
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics-server", labels: {k8s-app: metrics-server}}
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:metrics-server", labels: {k8s-app: metrics-server}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server"}
subjects:
- {kind: ServiceAccount, name: metrics-server, namespace: kube-system}
"""


def node_ip(index: int) -> str:
    """Host addresses on the machines' network, as kind gives them (172.18.0.2, …)."""
    return f"172.18.{(index + 2) // 256}.{(index + 2) % 256}"


class Cluster:
    def __init__(self, seed: int = 0, trace: bool = True, cluster_cidr: Optional[str] = None, start: float = 0.0):
        """``start``: the virtual time to begin at, in seconds since the epoch of ``api.meta``
        (server mode starts near the wall clock's now, so timestamps read as real ones)."""
        self.seed = seed
        self.kernel = Kernel(seed)
        self.kernel.now = start
        self.trace = Trace(enabled=trace)
        self.network = Network(self.kernel, self.trace)
        self.cluster_cidr = cluster_cidr
        self._pki = None
        self.components: dict[str, object] = {}     # name -> component (crash/restart)
        self.hosts: dict[str, list[str]] = {}       # host -> component names on it
        self.etcd: Optional[EtcdServer] = None
        self.apiserver: Optional[APIServer] = None
        self.scheduler: Optional[Scheduler] = None
        self.metrics_server = None
        self.controller_manager: Optional[ControllerManager] = None
        self.kubelets: dict[str, Kubelet] = {}
        self.runtimes: dict[str, ContainerRuntime] = {}
        self.trace.revision = lambda: self.etcd.store.revision if self.etcd is not None else 0
        # admin.conf's identity: kubeadm (>= 1.29) makes it a cluster admin through a group binding.
        self.admin = Client(self.kernel, self.network, "kubectl", "kubernetes-admin", ("kubeadm:cluster-admins",))
        self.network.listen("kubectl", "admin", self.admin.on_message)
        self.kubectl = Kubectl(self.kernel, self.admin)

    # -- building ------------------------------------------------------------------
    def _register(self, name: str, host: str, component: object) -> None:
        self.components[name] = component
        self.hosts.setdefault(host, []).append(name)

    def add_etcd(self) -> EtcdServer:
        self.etcd = EtcdServer(self.kernel, self.network, "etcd", CONTROL_PLANE)
        self._register("etcd", CONTROL_PLANE, self.etcd)
        return self.etcd

    def add_apiserver(self, etcd: object = "etcd", **options) -> APIServer:
        """``etcd``: the member endpoint, or a client such as ``gateway.RemoteEtcdClient`` for a real etcd;
        ``options``: more of kube-apiserver's flags (``audit=AuditLog(...)``, ``encryption=Transformer(...)``,
        ``authorization_modes=("Node", "RBAC")``, ``authenticator=...``)."""
        self.apiserver = APIServer(self.kernel, self.network, "kube-apiserver", CONTROL_PLANE, etcd=etcd, **options)
        self.apiserver.admission.enable("NodeRestriction")      # kubeadm's --enable-admission-plugins
        self.apiserver.start()
        self._register("kube-apiserver", CONTROL_PLANE, self.apiserver)
        self.kernel.spawn(self._kubeadm_init_objects(), "kubeadm init", cause=None)
        return self.apiserver

    @property
    def pki(self):
        """The cluster's CA and certificates (kubeadm's ``/etc/kubernetes/pki``), made on first use;
        from then on the API server also accepts client certificates and service account tokens."""
        if self._pki is None:
            from .apiserver.authn import new_authenticator, virtual_clock
            from .pki import ClusterPKI
            self._pki = ClusterPKI(self.seed)
            if self.apiserver is not None:
                apiserver = self.apiserver
                apiserver.authenticator = new_authenticator(
                    self._pki, virtual_clock(self.kernel),
                    getter=lambda resource, namespace, name: apiserver.cached(resource, namespace, name))
                from .pki.serviceaccount import TokenGenerator
                apiserver.service_account_signer = TokenGenerator(self._pki.service_account_key)
        return self._pki

    def client_for(self, user: str, groups: tuple = (), endpoint: Optional[str] = None) -> Client:
        """A client that proves who it is with a certificate from the cluster's CA (CN=user, O=groups),
        as a kubeconfig made with ``kubeadm kubeconfig user`` would."""
        cert = self.pki.user(user, groups)
        endpoint = endpoint or f"kubectl ({user})"
        client = Client(self.kernel, self.network, endpoint, user, tuple(groups), credential=cert.credential())
        self.network.listen(endpoint, "admin", client.on_message)
        return client

    async def _kubeadm_init_objects(self) -> None:
        """What ``kubeadm init`` writes once the API server answers, as super-admin.conf's user
        (``system:masters``): the binding that makes admin.conf's group a cluster admin, and friends."""
        from .apiserver.bootstrap_policy import kubeadm_objects
        super_admin = Client(self.kernel, self.network, "kubectl", "kubernetes-super-admin", ("system:masters",))
        while self.apiserver is None or not self.apiserver.ready:
            await self.kernel.sleep(0.1)
        bindings = SCHEME.by_resource("rbac.authorization.k8s.io", "clusterrolebindings")
        for obj in kubeadm_objects():
            if self.apiserver.cached("clusterrolebindings", "", obj["metadata"]["name"],
                                     "rbac.authorization.k8s.io") is None:
                await super_admin.create(bindings, "", obj)

    async def _mark_control_plane(self, node: str) -> None:
        """``kubeadm init phase mark-control-plane``: label the control-plane node once it has registered."""
        nodes = SCHEME.by_resource("", "nodes")
        super_admin = Client(self.kernel, self.network, "kubectl", "kubernetes-super-admin", ("system:masters",))
        while self.apiserver is None or not self.apiserver.ready or self.apiserver.cached("nodes", "", node) is None:
            await self.kernel.sleep(0.1)
        await super_admin.patch(nodes, "", node, {"metadata": {"labels": {
            "node-role.kubernetes.io/control-plane": "", "node.kubernetes.io/exclude-from-external-load-balancers": ""}}})

    def add_controller_manager(self, name: str = "kube-controller-manager",
                               host: str = CONTROL_PLANE) -> ControllerManager:
        """A kube-controller-manager on ``host``; with several, the Lease picks the one that acts
        (``cluster.controller_manager`` stays the first)."""
        cidr = self.cluster_cidr or "10.244.0.0/16"
        manager = ControllerManager(self.kernel, self.network, name, host, cidr)
        manager.start()
        self._register(name, host, manager)
        if self.controller_manager is None:
            self.controller_manager = manager
        return manager

    def add_scheduler(self, name: str = "kube-scheduler", host: str = CONTROL_PLANE) -> Scheduler:
        """A kube-scheduler on ``host``; with several, the Lease picks the one that schedules
        (``cluster.scheduler`` stays the first)."""
        scheduler = Scheduler(self.kernel, self.network, name, host)
        scheduler.start()
        self._register(name, host, scheduler)
        if self.scheduler is None:
            self.scheduler = scheduler
        return scheduler

    # -- the data plane a request from a pod travels (until the dns/ and proxy/ components) ---------
    async def _http(self, namespace: str, url: str) -> tuple[int, str]:
        """An HTTP GET from a pod in ``namespace``: cluster DNS turns the name into a ClusterIP (or a
        pod IP), kube-proxy picks one ready endpoint of the Service at random, as its iptables
        rules do, and the pod network carries the request to that pod's node.

        Simplified: names and endpoints are read from the API server's watch cache, which is what
        CoreDNS and kube-proxy watch, without their propagation delay; the hop costs 0.5 ms each way
        and is not traced."""
        rest = url.split("://", 1)[-1]
        hostport, _, path = rest.partition("/")
        host, _, port_text = hostport.partition(":")
        port = int(port_text) if port_text else 80
        ip = self._resolve(namespace, host)
        if ip is None:
            raise ConnectionError(f"bad address '{host}'")
        backend = self._backend(ip, port)
        refused = ConnectionError(f"can't connect to remote host ({ip}): Connection refused")
        if backend is None:
            raise refused
        pod_ip, pod_port = backend
        runtime = next((r for _, r in sorted(self.runtimes.items())
                        if any(sb.ip == pod_ip for sb in r.sandboxes.values())), None)
        if runtime is None or runtime.name not in self.network.endpoints or not self.network.endpoints[runtime.name].up:
            raise ConnectionError(f"can't connect to remote host ({ip}): No route to host")
        await self.kernel.sleep(0.0005)
        try:
            answer = await runtime.serve_http(pod_ip, pod_port, "GET", "/" + path)
        except ConnectionRefusedError:
            raise refused from None
        await self.kernel.sleep(0.0005)
        return answer

    def _resolve(self, namespace: str, host: str) -> Optional[str]:
        """CoreDNS with the pod's search path (<ns>.svc.cluster.local svc.cluster.local cluster.local)."""
        if host.replace(".", "").isdigit():
            return host
        parts = host.removesuffix(".cluster.local").removesuffix(".svc").split(".")
        name, ns = (parts[0], parts[1]) if len(parts) >= 2 else (parts[0], namespace)
        svc = self.apiserver.cached("services", ns, name)
        if svc is None:
            return None
        cluster_ip = svc["spec"].get("clusterIP")
        if cluster_ip and cluster_ip != "None":
            return cluster_ip
        ready = self._ready_endpoints(svc, None)
        return ready[0][0] if ready else None

    def _backend(self, ip: str, port: int) -> Optional[tuple[str, int]]:
        """kube-proxy: a ClusterIP:port goes to one ready endpoint, chosen at random; a pod IP is itself."""
        for svc in self.objects("services"):
            if svc["spec"].get("clusterIP") != ip:
                continue
            for svc_port in svc["spec"].get("ports") or ():
                if svc_port["port"] == port:
                    ready = self._ready_endpoints(svc, svc_port.get("name", ""))
                    return self.kernel.rng.choice(ready) if ready else None
            return None
        return ip, port

    def _ready_endpoints(self, svc: dict, port_name: Optional[str]) -> list[tuple[str, int]]:
        meta = svc["metadata"]
        found = []
        for eps in sorted(self.objects("endpointslices", meta["namespace"]), key=lambda e: e["metadata"]["name"]):
            if (eps["metadata"].get("labels") or {}).get("kubernetes.io/service-name") != meta["name"]:
                continue
            ports = [p for p in eps.get("ports") or () if port_name is None or (p.get("name") or "") == port_name]
            for endpoint in eps.get("endpoints") or ():
                if (endpoint.get("conditions") or {}).get("ready") is False:
                    continue
                for address in endpoint.get("addresses") or ():
                    found.append((address, ports[0]["port"] if ports else 80))
        return sorted(found)

    def add_metrics_server(self, host: str = "node-1"):
        """Install the metrics-server add-on (what ``kubectl apply -f components.yaml`` sets up): its
        service account and RBAC, the component on a worker, and the ``v1beta1.metrics.k8s.io``
        APIService through which the API server proxies ``metrics.k8s.io`` to it."""
        from .metrics.server import GROUP, VERSION, MetricsServer
        self.kubectl.apply(METRICS_SERVER_RBAC)
        server = MetricsServer(self.kernel, self.network, "metrics-server", host)
        server.start()
        self.apiserver.aggregate(GROUP, VERSION, server.name)
        self._register(server.name, host, server)
        self.metrics_server = server
        return server

    def add_node(self, name: Optional[str] = None, cpu: str = "4", memory: str = "16Gi", max_pods: int = 110,
                 control_plane: bool = False) -> Kubelet:
        """Join a machine: its container runtime and its kubelet (``kubeadm join``)."""
        if name is None:
            name = f"node-{sum(1 for n in self.kubelets if n != CONTROL_PLANE) + 1}"
        labels, taints = {}, []
        if control_plane:
            # The kubelet registers with the taint; NodeRestriction forbids it to give itself the
            # role label, so kubeadm's mark-control-plane phase adds the labels as the admin.
            taints = [dict(CONTROL_PLANE_TAINT)]
            self.kernel.spawn(self._mark_control_plane(name), "kubeadm mark-control-plane", cause=None)
        runtime = ContainerRuntime(self.kernel, self.network, name)
        runtime.start()
        kubelet = Kubelet(self.kernel, self.network, name, node_ip(len(self.kubelets)), cpu, memory, max_pods,
                          labels, taints)
        kubelet.read_log = runtime.read_log        # the node's disk: the runtime writes logs, the kubelet reads
        runtime.dataplane = self._http             # the pod network, cluster DNS and Service load balancing
        kubelet.start()
        self.runtimes[name], self.kubelets[name] = runtime, kubelet
        self._register(runtime.name, name, runtime)
        self._register(kubelet.name, name, kubelet)
        return kubelet

    @classmethod
    def up(cls, nodes: int = 3, seed: int = 0, trace: bool = True, cpu: str = "4", memory: str = "16Gi",
           max_pods: int = 110, start: float = 0.0) -> "Cluster":
        """``kubeadm init`` plus ``kubeadm join`` on ``nodes`` workers, run until every node is Ready."""
        cidr = "10.244.0.0/16" if nodes < 255 else "10.128.0.0/9"
        cluster = cls(seed=seed, trace=trace, cluster_cidr=cidr, start=start)
        cluster.add_etcd()
        cluster.add_apiserver()
        cluster.run(seconds=1)
        cluster.add_controller_manager()
        cluster.add_scheduler()
        cluster.add_node(CONTROL_PLANE, control_plane=True)
        for _ in range(nodes):
            cluster.add_node(cpu=cpu, memory=memory, max_pods=max_pods)
        cluster.run_until(cluster.nodes_ready, limit=120, step=1.0)
        return cluster

    # -- running -------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.kernel.now

    def run(self, seconds: float) -> None:
        """Advance virtual time by ``seconds``."""
        self.kernel.run(seconds=seconds)

    def run_until(self, predicate, limit: float = 300.0, step: float = 1.0) -> float:
        """Run in steps until ``predicate()`` is true; returns the virtual time it took."""
        start = self.kernel.now
        while not predicate():
            if self.kernel.now - start >= limit:
                raise TimeoutError(f"condition not met within {limit:g} virtual seconds")
            self.run(step)
        return self.kernel.now - start

    def nodes_ready(self) -> bool:
        if self.apiserver is None or not self.apiserver.ready:
            return False
        return all(k.registered and k.pod_cidr is not None and k.last_status is not None
                   and any(c["type"] == "Ready" and c["status"] == "True" for c in k.last_status["conditions"])
                   and not self._not_ready_taints(name) for name, k in self.kubelets.items())

    def _not_ready_taints(self, node: str) -> list[dict]:
        """The node lifecycle controller's not-ready/unreachable taints still on a node (a node that
        just turned Ready keeps them until the controller's next pass)."""
        obj = self.apiserver.cached("nodes", "", node) or {}
        return [t for t in (obj.get("spec") or {}).get("taints") or ()
                if t["key"] in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]

    def objects(self, resource: str, namespace: Optional[str] = None) -> list[dict]:
        """What etcd holds now for a resource (read through the API server's cache): for the book's
        pictures and for tests, not for components."""
        info = SCHEME.lookup(resource)
        registry = self.apiserver.registries[(info.group, info.resource)]
        return [o for o in registry.cacher.objects() if namespace is None or o["metadata"].get("namespace") == namespace]

    def state_at(self, revision: int, resources: tuple = ("deployments", "replicasets", "pods")) -> dict[str, list[str]]:
        """One line per object as etcd held it at ``revision`` (MVCC keeps every version until
        compaction): what the book's step-through player shows beside each hop."""
        import json

        from .apiserver.storage import registry_prefix
        from .etcd.mvcc import prefix_end
        out = {}
        for resource in resources:
            prefix = registry_prefix(SCHEME.lookup(resource))
            rev = min(max(revision, 1), self.etcd.store.revision)
            rows = []
            for kv in self.etcd.store.range(prefix, prefix_end(prefix), revision=rev).kvs:
                obj = json.loads(kv.value)
                spec, status = obj.get("spec", {}), obj.get("status", {})
                if resource == "pods":
                    detail = f"{status.get('phase', '')} node={spec.get('nodeName') or '-'} ip={status.get('podIP') or '-'}"
                else:
                    detail = f"replicas={spec.get('replicas')} ready={status.get('readyReplicas', 0)}"
                rows.append(f"{obj['metadata']['name']}  {detail}")
            out[resource] = rows
        return out

    # -- faults --------------------------------------------------------------------
    def _names(self, target: str) -> list[str]:
        if target in self.components:
            return [target]
        if target in self.hosts:
            return list(self.hosts[target])
        raise KeyError(f"no component or node named {target!r}; known: {', '.join(self.components)}")

    def crash(self, target: str) -> None:
        """Crash a component (``kube-scheduler``) or every component on a node (``node-2``)."""
        for name in self._names(target):
            self.components[name].crash()

    def restart(self, target: str) -> None:
        for name in self._names(target):
            self.components[name].restart()

    def partition(self, side_a: Iterable[str], side_b: Iterable[str]) -> None:
        """Cut the network between two groups of hosts or components."""
        self.network.partition(side_a, side_b)

    def heal(self) -> None:
        self.network.heal()
