"""The errors etcd returns, with the messages its clients see.

Mirrors etcd v3.5 ``api/v3rpc/rpctypes/error.go`` (the gRPC errors, code and text)
and the ``mvcc``/``lease``/``etcdserver`` errors they wrap. A client of k8slite's etcd
and a client of a real etcd (through ``gateway.py``) raise the same classes.

Simplified: the gRPC status codes are kept as names only.
"""
from __future__ import annotations


class EtcdError(Exception):
    """An error etcd returned: ``code`` is the gRPC status name, ``str()`` the message."""

    code = "Unknown"
    message = ""

    def __init__(self, message: str = ""):
        super().__init__(message or self.message)


def _error(name: str, code: str, message: str) -> type:
    return type(name, (EtcdError,), {"code": code, "message": message, "__doc__": f"etcd: {message}"})


CompactedError = _error("CompactedError", "OutOfRange", "etcdserver: mvcc: required revision has been compacted")
FutureRevisionError = _error("FutureRevisionError", "OutOfRange",
                             "etcdserver: mvcc: required revision is a future revision")
NoSpaceError = _error("NoSpaceError", "ResourceExhausted", "etcdserver: mvcc: database space exceeded")
RequestTooLargeError = _error("RequestTooLargeError", "InvalidArgument", "etcdserver: request is too large")
TooManyOpsError = _error("TooManyOpsError", "InvalidArgument", "etcdserver: too many operations in txn request")
DuplicateKeyError = _error("DuplicateKeyError", "InvalidArgument", "etcdserver: duplicate key given in txn request")
EmptyKeyError = _error("EmptyKeyError", "InvalidArgument", "etcdserver: key is not provided")
LeaseNotFoundError = _error("LeaseNotFoundError", "NotFound", "etcdserver: requested lease not found")
LeaseExistsError = _error("LeaseExistsError", "FailedPrecondition", "etcdserver: lease already exists")
LeaseTTLTooLargeError = _error("LeaseTTLTooLargeError", "OutOfRange", "etcdserver: too large lease TTL")
NoLeaderError = _error("NoLeaderError", "Unavailable", "etcdserver: no leader")
RequestTimeoutError = _error("RequestTimeoutError", "Unavailable", "etcdserver: request timed out")
LeaderChangedError = _error("LeaderChangedError", "Unavailable", "etcdserver: leader changed")
StoppedError = _error("StoppedError", "Unavailable", "etcdserver: server stopped")
DeadlineExceededError = _error("DeadlineExceededError", "DeadlineExceeded", "context deadline exceeded")
NoEndpointsError = _error("NoEndpointsError", "Unavailable", "etcdclient: no available endpoints")
# gRPC's own limit (max-request-bytes + 512 KiB), checked before etcd sees the request;
# its message goes on with the sizes: "... (2097162 vs. 2097152)".
MessageTooLargeError = _error("MessageTooLargeError", "ResourceExhausted", "grpc: received message larger than max")

# gRPC message -> class, for clients that receive the text (the HTTP gateway).
BY_MESSAGE = {cls.message: cls for cls in (
    CompactedError, FutureRevisionError, NoSpaceError, RequestTooLargeError, TooManyOpsError, DuplicateKeyError,
    EmptyKeyError, LeaseNotFoundError, LeaseExistsError, LeaseTTLTooLargeError, NoLeaderError, RequestTimeoutError,
    LeaderChangedError, StoppedError)}


def from_message(message: str) -> EtcdError:
    """The error for a message a real etcd sent (unknown messages stay plain EtcdErrors)."""
    cls = BY_MESSAGE.get(message)
    if cls is not None:
        return cls()
    if message.startswith(MessageTooLargeError.message):
        return MessageTooLargeError(message)
    return EtcdError(message)
