"""kube-apiserver's secure port: real HTTPS in, the simulated API server behind it.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/apiserver/pkg/server/secure_serving.go``
(TLS on the secure port, client certificates requested and verified by the
authenticator, HTTP/1.1 and HTTP/2 offered by ALPN), ``endpoints/handlers/watch.go``
(a watch is one long response: each event a JSON object on its own line,
``Transfer-Encoding: chunked``) and ``endpoints/handlers/responsewriters`` (JSON
bodies, ``Status`` objects for errors).

Each HTTP request becomes a ``Request`` that travels the simulated network from the
endpoint ``https`` (host ``outside``) to the API server, so real ``kubectl`` calls
show up in the trace as hops like any component's. The answer comes back to the
HTTP thread through a queue. The kernel runs on its own thread, following the wall
clock (``Kernel.run_realtime``).

Simplified: HTTP/1.1 only (ALPN offers no h2, and Go clients fall back); no
request timeouts beyond the watch's own; no ``--max-requests-inflight``.
"""
from __future__ import annotations

import json
import queue
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from ..api import errors
from ..sim import Kernel, Message, Network
from ..sim.network import Unreachable
from . import protobuf
from .request import REASONS, Request, Response, WatchEvent

ENDPOINT, HOST = "https", "outside"
REQUEST_TIMEOUT = 60.0            # --request-timeout default (1 minute)
MAX_BODY_BYTES = 3 * 1024 * 1024  # --max-request-body-bytes default (3 MiB)


class HTTPFront:
    """Serves the simulated API server ``apiserver`` on a real (TLS) socket."""

    def __init__(self, kernel: Kernel, network: Network, apiserver: str = "kube-apiserver",
                 address: tuple[str, int] = ("127.0.0.1", 6443), tls: Optional[ssl.SSLContext] = None,
                 trusted: Any = None):
        """``trusted``: a credential given to every request that brings none (plain HTTP only)."""
        self.kernel, self.network, self.apiserver = kernel, network, apiserver
        self.tls = tls
        self.trusted = trusted
        self._watches: dict[int, "queue.Queue"] = {}      # watch id -> the HTTP thread's queue
        self._early: dict[int, list] = {}                 # events that beat the watch's registration
        network.listen(ENDPOINT, HOST, self._on_message)
        front = self

        class Handler(_Handler):
            pass
        Handler.front = front
        self.httpd = ThreadingHTTPServer(address, Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.address = self.httpd.server_address
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self.address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="https", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the kernel's side (runs on the kernel thread) ---------------------------------
    def submit(self, request: Request) -> "queue.Queue":
        """Hand a request to the kernel; the queue receives ("response", Response), then for a
        watch ("event", WatchEvent)... and ("end", None)."""
        box: queue.Queue = queue.Queue()
        self.kernel.call_soon_threadsafe(self._begin, (request, box))
        return box

    def _begin(self, item) -> None:
        request, box = item
        self.kernel.spawn(self._call(request, box), f"https {request.method} {request.path}", cause=None)

    async def _call(self, request: Request, box: "queue.Queue") -> None:
        try:
            response = await self.network.request(ENDPOINT, self.apiserver, request.method, request.line(),
                                                   request, REQUEST_TIMEOUT)
        except Unreachable as error:
            response = Response(503, errors.service_unavailable(str(error)).status)
        box.put(("response", response))
        if isinstance(response.body, dict) and set(response.body) == {"watch"}:
            wid = response.body["watch"]
            self._watches[wid] = box
            for kind, event in self._early.pop(wid, ()):
                self._deliver(wid, kind, event)

    def _on_message(self, msg: Message) -> None:
        if msg.kind == "WATCH":
            self._deliver(msg.body.watch_id, "event", msg.body)
        elif msg.kind == "WATCH_END":
            self._deliver(msg.body, "end", None)

    def _deliver(self, wid: int, kind: str, event: Optional[WatchEvent]) -> None:
        box = self._watches.get(wid)
        if box is None:
            self._early.setdefault(wid, []).append((kind, event))
            return
        box.put((kind, event))
        if kind == "end":
            del self._watches[wid]

    def close_watch(self, wid: int) -> None:
        """The HTTP client went away: tell the API server to stop the watch (from any thread)."""
        def close(_) -> None:
            if self._watches.pop(wid, None) is not None:
                self.network.send(ENDPOINT, self.apiserver, "WATCH_CLOSE", f"watch {wid} closed by client", wid,
                                  cause=None)
        self.kernel.call_soon_threadsafe(close)


class _Handler(BaseHTTPRequestHandler):
    front: HTTPFront
    protocol_version = "HTTP/1.1"
    server_version = "k8slite-apiserver"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:     # quiet: the trace records every request
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(Response(413, errors.too_large("the request is too large").status))
            self.rfile.read(length)
            return
        raw = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            # protobuf bodies (kubectl's typed clients): decoded by protobuf.py, errors are 400 or 415
            if raw and content_type == protobuf.CONTENT_TYPE:
                body = protobuf.decode(raw)
            else:
                body = json.loads(raw) if raw else None
        except protobuf.ProtobufError as error:
            self._reply(Response(error.code, error.status))
            return
        except ValueError as error:
            self._reply(Response(400, errors.bad_request(f"error decoding the request body: {error}").status))
            return
        request = Request(self.command, url.path, tuple(parse_qsl(url.query, keep_blank_values=True)), body,
                          content_type=content_type, accept=self.headers.get("Accept") or "application/json",
                          credential=self._credential())
        box = self.front.submit(request)
        try:
            _, response = box.get(timeout=REQUEST_TIMEOUT + 5)
        except queue.Empty:
            self._reply(Response(504, errors.timeout("the server was unable to return a response in time").status))
            return
        if isinstance(response.body, dict) and set(response.body) == {"watch"}:
            self._stream(response.body["watch"], box)
        else:
            self._reply(response)

    def _credential(self) -> Any:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return ("token", auth[7:].strip())
        getpeercert = getattr(self.connection, "getpeercert", None)
        cert = getpeercert(binary_form=True) if getpeercert is not None else None
        return ("x509", cert) if cert else self.front.trusted

    def _reply(self, response: Response) -> None:
        body = response.body
        if isinstance(body, (bytes, str)):
            data = body.encode() if isinstance(body, str) else body
            content_type = "text/plain; charset=utf-8"
        else:
            data = json.dumps(body, separators=(",", ":")).encode()
            content_type = "application/json"
        self.send_response(response.code, REASONS.get(response.code))
        self.send_header("Content-Type", response.content_type or content_type)
        for warning in response.warnings:
            self.send_header("Warning", f'299 - "{warning}"')
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _stream(self, wid: int, box: "queue.Queue") -> None:
        self.send_response(200, "OK")
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            while True:
                kind, event = box.get()
                if kind == "end":
                    break
                line = json.dumps({"type": event.type, "object": event.object}, separators=(",", ":")).encode()
                line += b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.front.close_watch(wid)
            self.close_connection = True
