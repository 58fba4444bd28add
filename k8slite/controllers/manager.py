"""kube-controller-manager: one process running many controllers over shared informers.

Mirrors kubernetes v1.31 ``cmd/kube-controller-manager/app/controllermanager.go``
(``Run``: with ``--leader-elect`` (the default), campaign for the ``kube-system/
kube-controller-manager`` Lease as ``<hostname>_<uuid>``; once leading, build the shared
informer factory, start each enabled controller, then start the informers; on losing the
lease, log "leaderelection lost" and exit, for the kubelet to restart the static pod) and
its controller descriptors (``apps.go``, ``core.go``, ``names.go``).

With ``--use-service-account-credentials`` (kubeadm sets it), each controller calls
the API server as its own service account in ``kube-system`` (``system:serviceaccount:
kube-system:deployment-controller`` ...), which RBAC's ``system:controller:*`` roles
allow; the shared informers and the leader election use the manager's own identity.

Simplified: see ``LeaderElected`` (client/leaderelection.py) for the exit on a lost lease;
``leader_elect=False`` runs the controllers at once, as ``--leader-elect=false`` does.
"""
from __future__ import annotations

from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.leaderelection import LeaderElected
from ..client.rest import Client
from ..sim import Kernel, Message, Network
from .cronjob import CronJobController
from .daemonset import DaemonSetsController
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .garbagecollector import GarbageCollector
from .job import JobController
from .namespace import NamespaceController
from .nodeipam import NodeIpamController
from .nodelifecycle import NodeLifecycleController, TaintEvictionController
from .persistentvolume import PersistentVolumeController
from .podautoscaler import HorizontalController
from .replicaset import ReplicaSetController
from .resourcequota import ResourceQuotaController
from .serviceaccounts import ServiceAccountsController
from .statefulset import StatefulSetController


# The enabled controllers, in the order they start (``NewControllerDescriptors``): name →
# (the service account it calls the API server as, the component name on its Events,
# build(kernel, client, factory, recorder, manager)).
CONTROLLERS: dict = {
    "deployment": ("deployment-controller", "deployment-controller",
                   lambda k, c, f, r, m: DeploymentController(k, c, f, r)),
    "replicaset": ("replicaset-controller", "replicaset-controller",
                   lambda k, c, f, r, m: ReplicaSetController(k, c, f, r)),
    "statefulset": ("statefulset-controller", "statefulset-controller",
                    lambda k, c, f, r, m: StatefulSetController(k, c, f, r)),
    "daemonset": ("daemon-set-controller", "daemonset-controller",
                  lambda k, c, f, r, m: DaemonSetsController(k, c, f, r)),
    "job": ("job-controller", "job-controller", lambda k, c, f, r, m: JobController(k, c, f, r)),
    "cronjob": ("cronjob-controller", "cronjob-controller", lambda k, c, f, r, m: CronJobController(k, c, f, r)),
    "nodeipam": ("node-controller", "node-controller",
                 lambda k, c, f, r, m: NodeIpamController(k, c, f, r, m.cluster_cidr)),
    "serviceaccount": ("service-account-controller", None,
                       lambda k, c, f, r, m: ServiceAccountsController(k, c, f)),
    "garbagecollector": ("generic-garbage-collector", "garbage-collector-controller",
                         lambda k, c, f, r, m: GarbageCollector(k, c, f, r)),
    "namespace": ("namespace-controller", None, lambda k, c, f, r, m: NamespaceController(k, c, f)),
    "endpoint": ("endpoint-controller", "endpoint-controller",
                 lambda k, c, f, r, m: EndpointsController(k, c, f, r)),
    "endpointslice": ("endpointslice-controller", "endpointslice-controller",
                      lambda k, c, f, r, m: EndpointSliceController(k, c, f, r)),
    "nodelifecycle": ("node-controller", "node-controller",
                      lambda k, c, f, r, m: NodeLifecycleController(k, c, f, r)),
    "taint-eviction-controller": ("taint-eviction-controller", "taint-eviction-controller",
                                  lambda k, c, f, r, m: TaintEvictionController(k, c, f, r)),
    "horizontalpodautoscaling": ("horizontal-pod-autoscaler", "horizontal-pod-autoscaler",
                                 lambda k, c, f, r, m: HorizontalController(k, c, f, r)),
    "persistentvolume-binder": ("persistent-volume-binder", "persistentvolume-controller",
                                lambda k, c, f, r, m: PersistentVolumeController(k, c, f, r)),
    "resourcequota": ("resourcequota-controller", None, lambda k, c, f, r, m: ResourceQuotaController(k, c, f)),
}


class ControllerManager(LeaderElected):
    def __init__(self, kernel: Kernel, network: Network, name: str = "kube-controller-manager",
                 host: str = "control-plane", cluster_cidr: str = "10.244.0.0/16", leader_elect: bool = True):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.cluster_cidr = cluster_cidr
        self.leader_elect = leader_elect
        self.controllers: dict = {}
        self.factory = None

    def start(self) -> None:
        self.client = Client(self.kernel, self.network, self.name, "system:kube-controller-manager")
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.host, self._handle)
        self.controllers, self.factory = {}, None
        if not self.leader_elect:
            self._start_controllers()
            return
        self.campaign("kube-controller-manager", self._start_controllers)

    def _start_controllers(self) -> None:
        factory = SharedInformerFactory(self.kernel, self.client, self.name)
        self.factory = factory
        for name, (service_account, component, build) in CONTROLLERS.items():
            client = self._as(service_account)
            recorder = EventRecorder(self.kernel, client, component) if component else None
            self.controllers[name] = build(self.kernel, client, factory, recorder, self)
        factory.start()
        self.kernel.spawn(self._run(), "controllers start", cause=None, owner=self.name)

    def _as(self, service_account: str) -> Client:
        """A controller's own client: its service account's credentials (the replies come back on the
        manager's endpoint like any request's)."""
        return Client(self.kernel, self.network, self.name, f"system:serviceaccount:kube-system:{service_account}",
                      ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))

    async def _run(self) -> None:
        await self.factory.wait_for_cache_sync()
        for controller in self.controllers.values():
            controller.run(self.name)

    def _handle(self, msg: Message) -> None:
        self.client.on_message(msg)

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)
        self.stop_leading()

    def restart(self) -> None:
        self.start()
