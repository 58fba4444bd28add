"""kube-controller-manager: one process running many controllers over shared informers.

Mirrors kubernetes v1.31 ``cmd/kube-controller-manager/app/controllermanager.go``
(``Run``: build the shared informer factory, start each enabled controller, then
start the informers) and its controller descriptors (``apps.go``, ``core.go``).

With ``--use-service-account-credentials`` (kubeadm sets it), each controller calls
the API server as its own service account in ``kube-system`` (``system:serviceaccount:
kube-system:deployment-controller`` ...), which RBAC's ``system:controller:*`` roles
allow; the shared informers use the manager's own identity.

Simplified: no leader election yet (one controller manager); the enabled
controllers are deployment, replicaset, nodeipam, serviceaccount, garbagecollector,
namespace, endpoint and endpointslice (client/leaderelection.py is ready; the manager
does not use it yet).
"""
from __future__ import annotations

from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel, Message, Network
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .garbagecollector import GarbageCollector
from .namespace import NamespaceController
from .nodeipam import NodeIpamController
from .replicaset import ReplicaSetController
from .serviceaccounts import ServiceAccountsController


class ControllerManager:
    def __init__(self, kernel: Kernel, network: Network, name: str = "kube-controller-manager",
                 host: str = "control-plane", cluster_cidr: str = "10.244.0.0/16"):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        self.cluster_cidr = cluster_cidr
        self.controllers: dict = {}

    def start(self) -> None:
        self.client = Client(self.kernel, self.network, self.name, "system:kube-controller-manager")
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.host, self._handle)
        factory = SharedInformerFactory(self.kernel, self.client, self.name)
        self.factory = factory
        deployment, replicaset = self._as("deployment-controller"), self._as("replicaset-controller")
        node, serviceaccount = self._as("node-controller"), self._as("service-account-controller")
        self.controllers = {
            "deployment": DeploymentController(self.kernel, deployment, factory,
                                               EventRecorder(self.kernel, deployment, "deployment-controller")),
            "replicaset": ReplicaSetController(self.kernel, replicaset, factory,
                                               EventRecorder(self.kernel, replicaset, "replicaset-controller")),
            "nodeipam": NodeIpamController(self.kernel, node, factory,
                                           EventRecorder(self.kernel, node, "node-controller"),
                                           self.cluster_cidr),
            "serviceaccount": ServiceAccountsController(self.kernel, serviceaccount, factory),
        }
        gc, namespace = self._as("generic-garbage-collector"), self._as("namespace-controller")
        self.controllers["garbagecollector"] = GarbageCollector(
            self.kernel, gc, factory, EventRecorder(self.kernel, gc, "garbage-collector-controller"))
        self.controllers["namespace"] = NamespaceController(self.kernel, namespace, factory)
        endpoint, endpointslice = self._as("endpoint-controller"), self._as("endpointslice-controller")
        self.controllers["endpoint"] = EndpointsController(
            self.kernel, endpoint, factory, EventRecorder(self.kernel, endpoint, "endpoint-controller"))
        self.controllers["endpointslice"] = EndpointSliceController(
            self.kernel, endpointslice, factory, EventRecorder(self.kernel, endpointslice, "endpointslice-controller"))
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

    def restart(self) -> None:
        self.start()
