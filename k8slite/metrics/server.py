"""metrics-server: scrape every kubelet's resource metrics, serve them as ``metrics.k8s.io/v1beta1``.

Mirrors kubernetes-sigs/metrics-server v0.7: ``pkg/scraper`` (every ``--metric-resolution``,
15 s in the project's components.yaml, GET each node's kubelet ``/metrics/resource``, the
Prometheus text the kubelet's resource metrics collector writes: ``node_cpu_usage_seconds_total``,
``container_cpu_usage_seconds_total{container,namespace,pod}``, ``*_memory_working_set_bytes``,
``container_start_time_seconds``), ``pkg/storage`` (the last two samples of each node and container;
CPU usage is the counter's rate between them, so a fresh container has no metrics until its
second scrape; a container that restarted between them is skipped) and ``pkg/api`` (NodeMetrics
and PodMetrics with ``timestamp`` and ``window``, CPU in nanocores and memory in Ki, pods
filtered by label selector, as the API server's aggregator proxies them).

The API server reaches it through API aggregation: ``APIServer.aggregate("metrics.k8s.io",
"v1beta1", endpoint)`` stands for the ``v1beta1.metrics.k8s.io`` APIService, and the aggregator
forwards requests after its own authentication and authorization.

Simplified: no delegated authentication/authorization of the proxied request (the API server's
own check stands); no APIService object or discovery document for the group (so ``kubectl
top`` is not served to the real kubectl); the scrape runs node after node in one task, and a node
whose kubelet does not answer is skipped for that round (upstream logs the error).
"""
from __future__ import annotations

from typing import Optional

from ..api.labels import Selector
from ..api.meta import rfc3339
from ..api.scheme import SCHEME
from ..apiserver.request import Request, Response
from ..client.informer import SharedInformerFactory
from ..client.rest import Client
from ..sim import Kernel, Message, Network
from ..sim.network import Refused, Unreachable

NODES = SCHEME.by_resource("", "nodes")
PODS = SCHEME.by_resource("", "pods")
METRIC_RESOLUTION = 15.0        # --metric-resolution (components.yaml)
KUBELET_TIMEOUT = 10.0          # --kubelet-request-timeout
GROUP, VERSION = "metrics.k8s.io", "v1beta1"


def parse_resource_metrics(text: str) -> list[tuple[str, dict, float, float]]:
    """The samples of a Prometheus text exposition: (name, labels, value, timestamp in seconds)."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition("} ") if "{" in line else line.partition(" ")
        name, labels = (head.split("{", 1) + [""])[:2] if "{" in head else (head, "")
        fields = rest.split()
        value = float(fields[0])
        stamp = int(fields[1]) / 1000 if len(fields) > 1 else 0.0
        parsed = {}
        for pair in filter(None, labels.split('",')):
            key, _, val = pair.partition('="')
            parsed[key.strip(",")] = val.rstrip('"')
        samples.append((name, parsed, value, stamp))
    return samples


def _duration(seconds: float) -> str:
    """A metav1.Duration as Go prints it for the window: "15s", "15.012s"."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def _nanocores(rate: float) -> str:
    return f"{int(rate * 1e9)}n"


def _kibibytes(value: float) -> str:
    return f"{int(value) // 1024}Ki"


class MetricsServer:
    """The metrics-server Deployment in kube-system, as one component."""

    def __init__(self, kernel: Kernel, network: Network, name: str = "metrics-server", host: str = "node-1"):
        self.kernel, self.network, self.name, self.host = kernel, network, name, host
        # (node) or (namespace, pod, container) -> the last two samples: [(timestamp, cpu seconds, memory)]
        self.points: dict[tuple, list[tuple[float, float, float]]] = {}
        self.starts: dict[tuple, float] = {}
        self.scrapes = 0

    def start(self) -> None:
        self.client = Client(self.kernel, self.network, self.name, "system:serviceaccount:kube-system:metrics-server",
                             ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))
        if self.name in self.network.endpoints:
            self.network.up(self.name, self._handle)
        else:
            self.network.listen(self.name, self.host, self._handle)
        self.factory = SharedInformerFactory(self.kernel, self.client, self.name)
        self.nodes = self.factory.informer(NODES)
        self.pods = self.factory.informer(PODS)
        self.factory.start()
        self.kernel.spawn(self._scrape_loop(), "metrics-server scrape", cause=None, owner=self.name)

    def crash(self) -> None:
        self.kernel.cancel_owned(self.name)
        self.network.down(self.name)
        self.points, self.starts = {}, {}

    def restart(self) -> None:
        self.start()

    # -- scraping ------------------------------------------------------------------
    async def _scrape_loop(self) -> None:
        await self.factory.wait_for_cache_sync()
        while True:
            for node in sorted(n["metadata"]["name"] for n in self.nodes.indexer.list()):
                await self._scrape(node)
            self.scrapes += 1
            await self.kernel.sleep(METRIC_RESOLUTION)

    async def _scrape(self, node: str) -> None:
        request = Request("GET", "/metrics/resource", (), None, "system:serviceaccount:kube-system:metrics-server",
                          accept="text/plain")
        try:
            reply = await self.network.request(self.name, f"kubelet/{node}", "GET", request.line(), request,
                                               KUBELET_TIMEOUT)
        except (Refused, Unreachable):
            return
        text = reply.body if isinstance(reply, Response) else reply
        if not isinstance(text, str):
            return
        cpu: dict[tuple, tuple[float, float]] = {}
        memory: dict[tuple, float] = {}
        for name, labels, value, stamp in parse_resource_metrics(text):
            if name in ("node_cpu_usage_seconds_total", "node_memory_working_set_bytes"):
                key = ("node", node)
            elif name.startswith("container_"):
                key = (labels.get("namespace", ""), labels.get("pod", ""), labels.get("container", ""))
            else:
                continue
            if name.endswith("_cpu_usage_seconds_total"):
                cpu[key] = (stamp, value)
            elif name.endswith("_memory_working_set_bytes"):
                memory[key] = value
            elif name == "container_start_time_seconds":
                if self.starts.get(key) not in (None, value):
                    self.points.pop(key, None)          # restarted: its counter started again
                self.starts[key] = value
        gone = [k for k in self.points if k not in cpu and
                (k == ("node", node) or (k[0] != "node" and self._node_of(k) in (node, None)))]
        for key in gone:                                 # no longer on the node
            del self.points[key]
            self.starts.pop(key, None)
        for key, (stamp, seconds) in cpu.items():
            history = self.points.setdefault(key, [])
            if history and history[-1][0] >= stamp:
                continue
            history.append((stamp, seconds, memory.get(key, 0.0)))
            del history[:-2]

    def _node_of(self, key: tuple) -> Optional[str]:
        pod = self.pods.indexer.get(f"{key[0]}/{key[1]}")
        return pod["spec"].get("nodeName") if pod else None

    def _usage(self, key: tuple) -> Optional[tuple[float, float, float, float]]:
        """(timestamp, window, cpu cores, memory bytes), or None without two samples."""
        history = self.points.get(key) or []
        if len(history) < 2:
            return None
        (t0, c0, _), (t1, c1, mem) = history
        if c1 < c0:
            return None
        return t1, t1 - t0, (c1 - c0) / (t1 - t0), mem

    # -- serving metrics.k8s.io -------------------------------------------------------
    def _handle(self, msg: Message) -> None:
        if isinstance(msg.body, Request) and msg.body.path.startswith(f"/apis/{GROUP}/"):
            self.network.reply(msg, self.serve(msg.body), f"{msg.body.method} {msg.body.path}")
            return
        self.client.on_message(msg)

    def serve(self, request: Request) -> Response:
        parts = request.path.split("/")[4:]          # after /apis/metrics.k8s.io/v1beta1
        if request.method != "GET":
            return Response(405, _status(405, "MethodNotAllowed", "the server does not allow this method on the "
                                                                  "requested resource"))
        namespace = ""
        if len(parts) >= 2 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if not parts or parts[0] not in ("pods", "nodes"):
            return Response(404, _status(404, "NotFound", "the server could not find the requested resource"))
        resource, name = parts[0], parts[1] if len(parts) > 1 else ""
        try:
            selector = Selector.parse(request.param("labelSelector") or "")
        except ValueError as error:
            return Response(400, _status(400, "BadRequest", str(error)))
        if resource == "nodes":
            items = [self._node_metrics(n) for n in sorted(self.nodes.indexer.list(), key=lambda n: n["metadata"]["name"])
                     if (not name or n["metadata"]["name"] == name) and selector.matches(n["metadata"].get("labels") or {})]
            kind = "NodeMetrics"
        else:
            pods = sorted(self.pods.indexer.list(), key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))
            items = [self._pod_metrics(p) for p in pods
                     if (not namespace or p["metadata"]["namespace"] == namespace)
                     and (not name or p["metadata"]["name"] == name)
                     and selector.matches(p["metadata"].get("labels") or {})]
            kind = "PodMetrics"
        items = [i for i in items if i is not None]
        if name:
            if not items:
                return Response(404, _status(404, "NotFound", f'{resource}.{GROUP} "{name}" not found',
                                             {"name": name, "group": GROUP, "kind": resource}))
            return Response(200, items[0])
        return Response(200, {"kind": f"{kind}List", "apiVersion": f"{GROUP}/{VERSION}", "metadata": {},
                              "items": items})

    def _node_metrics(self, node: dict) -> Optional[dict]:
        usage = self._usage(("node", node["metadata"]["name"]))
        if usage is None:
            return None
        stamp, window, cpu, memory = usage
        return {"kind": "NodeMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": node["metadata"]["name"], "creationTimestamp": rfc3339(self.kernel.now),
                             "labels": dict(node["metadata"].get("labels") or {})},
                "timestamp": rfc3339(stamp), "window": _duration(window),
                "usage": {"cpu": _nanocores(cpu), "memory": _kibibytes(memory)}}

    def _pod_metrics(self, pod: dict) -> Optional[dict]:
        meta = pod["metadata"]
        containers, stamp, window = [], 0.0, 0.0
        for c in pod["spec"]["containers"]:
            usage = self._usage((meta["namespace"], meta["name"], c["name"]))
            if usage is None:
                return None                  # metrics-server skips a pod missing any container's metrics
            stamp, window, cpu, memory = usage
            containers.append({"name": c["name"], "usage": {"cpu": _nanocores(cpu), "memory": _kibibytes(memory)}})
        return {"kind": "PodMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                             "creationTimestamp": rfc3339(self.kernel.now), "labels": dict(meta.get("labels") or {})},
                "timestamp": rfc3339(stamp), "window": _duration(window), "containers": containers}


def _status(code: int, reason: str, message: str, details: Optional[dict] = None) -> dict:
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
              "reason": reason, "code": code}
    if details:
        status["details"] = details
    return status

