"""Recording Events: what ``kubectl describe`` shows under "Events".

Mirrors client-go v0.31 ``tools/record/event.go`` (EventRecorder, the event name
``<object>.<hex nanoseconds>``, source component and host) writing core/v1 Events.

Simplified: no EventCorrelator (no aggregation of similar events or count bumps, no
spam filter); events are written asynchronously and a failure is dropped, as the
real broadcaster does after its retries.
"""
from __future__ import annotations

from ..api.meta import rfc3339
from ..api.scheme import SCHEME
from ..sim import Kernel
from .rest import Client

EVENTS = SCHEME.by_resource("", "events")


class EventRecorder:
    def __init__(self, kernel: Kernel, client: Client, component: str, host: str = ""):
        self.kernel, self.client, self.component, self.host = kernel, client, component, host
        self._seq = 0

    def event(self, obj: dict, event_type: str, reason: str, message: str) -> None:
        meta = obj["metadata"]
        now = self.kernel.now
        self._seq += 1
        # Nanoseconds of virtual time, plus a sequence number so two events in one instant differ.
        stamp = int(round(now * 1e9)) + self._seq
        namespace = meta.get("namespace") or "default"
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{stamp:x}", "namespace": namespace},
            "involvedObject": {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
                               "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                               "resourceVersion": meta.get("resourceVersion")},
            "reason": reason, "message": message,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": rfc3339(now), "lastTimestamp": rfc3339(now), "count": 1, "type": event_type,
            "eventTime": None, "reportingComponent": self.component, "reportingInstance": self.host,
        }
        if not event["involvedObject"]["namespace"]:
            del event["involvedObject"]["namespace"]
        self.kernel.spawn(self._write(namespace, event), "record event")

    async def _write(self, namespace: str, event: dict) -> None:
        try:
            await self.client.create(EVENTS, namespace, event)
        except Exception:  # noqa: BLE001 - the broadcaster drops what it cannot write
            pass
