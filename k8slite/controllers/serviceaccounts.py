"""The service account controller: every namespace gets a ``default`` ServiceAccount.

Mirrors kubernetes v1.31 ``pkg/controller/serviceaccount/serviceaccounts_controller.go``
(on every namespace add or update, and on a ServiceAccount delete, ensure the
``default`` account exists in each active namespace).
"""
from __future__ import annotations

from ..api import errors
from ..api.scheme import SCHEME
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller

NAMESPACES = SCHEME.by_resource("", "namespaces")
SERVICEACCOUNTS = SCHEME.by_resource("", "serviceaccounts")


class ServiceAccountsController(Controller):
    NAME = "serviceaccount"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory):
        super().__init__(kernel, workers=1)
        self.client = client
        self.namespaces = factory.informer(NAMESPACES)
        self.accounts = factory.informer(SERVICEACCOUNTS)
        self.namespaces.add_event_handler(self._ns, lambda old, new: self._ns(new))
        self.accounts.add_event_handler(on_delete=lambda sa: self.enqueue(sa["metadata"]["namespace"]))

    def _ns(self, ns: dict) -> None:
        self.enqueue(ns["metadata"]["name"])

    async def sync(self, namespace: str) -> None:
        ns = self.namespaces.lister.get("", namespace)
        if ns is None or ns.get("status", {}).get("phase") != "Active":
            return
        if self.accounts.lister.get(namespace, "default") is not None:
            return
        try:
            await self.client.create(SERVICEACCOUNTS, namespace, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                                  "metadata": {"name": "default"}})
        except errors.StatusError as error:
            if error.reason != "AlreadyExists":
                raise
