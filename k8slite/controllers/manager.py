"""kube-controller-manager: one process running many controllers over shared informers.

Mirrors kubernetes v1.31 ``cmd/kube-controller-manager/app/controllermanager.go``
(``Run``: build the shared informer factory, start each enabled controller, then
start the informers) and its controller descriptors (``apps.go``, ``core.go``).

Simplified: no leader election yet (one controller manager); the enabled
controllers are deployment, replicaset, nodeipam and serviceaccount.
"""
from __future__ import annotations

from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel, Message, Network
from .deployment import DeploymentController
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
        self.controllers = {
            "deployment": DeploymentController(self.kernel, self.client, factory,
                                               EventRecorder(self.kernel, self.client, "deployment-controller")),
            "replicaset": ReplicaSetController(self.kernel, self.client, factory,
                                               EventRecorder(self.kernel, self.client, "replicaset-controller")),
            "nodeipam": NodeIpamController(self.kernel, self.client, factory,
                                           EventRecorder(self.kernel, self.client, "node-controller"),
                                           self.cluster_cidr),
            "serviceaccount": ServiceAccountsController(self.kernel, self.client, factory),
        }
        factory.start()
        self.kernel.spawn(self._run(), "controllers start", cause=None, owner=self.name)

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
