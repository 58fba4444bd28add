"""OpenAPI, as far as kubectl needs it: ``/openapi/v2`` answered empty, ``/openapi/v3`` not served.

Mirrors kube-openapi pkg/handler/handler.go (``/openapi/v2`` in JSON or, by Accept, as the
protobuf ``openapi_v2.Document``) and pkg/handler3 (``/openapi/v3``, an index of one
document per group version), as read by kubectl 1.27-1.33:
staging/src/k8s.io/kubectl/pkg/cmd/apply/patcher.go (which schema computes a strategic
merge patch), cli-runtime/pkg/resource/query_param_verifier{,_v3}.go and
kubectl/pkg/cmd/util/factory_client_access.go (Validator: is ``fieldValidation``
supported, else validate client-side), client-go/discovery (OpenAPISchema: GET
``/openapi/v2`` with ``Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf``
and ``proto.Unmarshal`` of the body) and kubectl/pkg/explain/v2.

Why empty rather than a partial schema: kubectl builds a strategic merge patch from the
first schema that knows the kind (OpenAPI v3, then v2, then the types compiled into
kubectl). A hand-written partial schema would lack the ``x-kubernetes-patch-merge-key``
annotations of lists such as ``containers`` and turn merges into replacements; with no
schema kubectl falls back to its compiled-in types, which are exact for every built-in
kind. So ``/openapi/v2`` is a valid document with no definitions (an empty protobuf body,
or ``{"swagger": "2.0", ...}`` in JSON), and ``/openapi/v3`` is a 404: kubectl 1.27-1.33
then skip client-side schema validation (the server validates) and ``kubectl apply``
proceeds: GET, then POST or a strategic merge PATCH, with ``fieldValidation=Strict``
(checked against each binary). The cost: ``kubectl explain`` answers
``error: couldn't find resource for "/v1, Kind=Pod"``.

Simplified: no schemas at all, so no ``kubectl explain``, no ETag or ``?hash=`` caching.
"""
from __future__ import annotations

from typing import Optional, Union

__all__ = ["handle_openapi", "PROTOBUF_V2"]

PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_PROTOBUF_ACCEPTS = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf", PROTOBUF_V2)


def _swagger(git_version: str) -> dict:
    """An OpenAPI v2 document that defines nothing."""
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": git_version},
            "paths": {}, "definitions": {}}


def _not_found() -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server could not find the requested resource", "reason": "NotFound",
            "details": {}, "code": 404}


def _wants_protobuf(accept: str) -> bool:
    """The first media range of Accept is the protobuf OpenAPI document (as kubectl sends it)."""
    first = (accept or "").split(",")[0].split(";")[0].strip().lower()
    return first in _PROTOBUF_ACCEPTS


def handle_openapi(path: str, accept: str, git_version: str = "v1.31.0"
                   ) -> Optional[tuple[int, Union[bytes, dict], str]]:
    """Serve ``/openapi/...``: (code, body, Content-Type), or None for any other path.

    The body is raw bytes (the empty protobuf document) or a dict to encode as JSON;
    ``git_version`` is the server's (``/version`` gitVersion), for the JSON document's info.
    """
    path = path.split("?", 1)[0].rstrip("/")
    if path == "/openapi/v2":
        if _wants_protobuf(accept):
            return 200, b"", PROTOBUF_V2            # an openapi_v2.Document with every field unset
        return 200, _swagger(git_version), "application/json"
    if path == "/openapi" or path.startswith("/openapi/"):      # /openapi/v3 and its documents
        return 404, _not_found(), "application/json"
    return None
