"""The whole request path on a running cluster: who may do what, audit, encryption at rest."""
from __future__ import annotations

import base64
import json

import pytest

from k8slite import Cluster
from k8slite.api import errors
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.audit import AuditLog
from k8slite.apiserver.encryption import Transformer

SECRETS = SCHEME.by_resource("", "secrets")
PODS = SCHEME.by_resource("", "pods")
KEY = base64.b64encode(bytes(range(32))).decode()
ENCRYPTION = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
              "resources": [{"resources": ["secrets"],
                             "providers": [{"aescbc": {"keys": [{"name": "key1", "secret": KEY}]}}, {"identity": {}}]}]}


def cluster_with(**options) -> Cluster:
    cluster = Cluster(seed=3)
    cluster.add_etcd()
    cluster.add_apiserver(**options)
    cluster.run(seconds=2)
    return cluster


def test_a_secret_is_encrypted_in_etcd_and_plain_through_the_api():
    cluster = cluster_with(encryption=Transformer(ENCRYPTION))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}}
    cluster.kernel.run_until_complete(cluster.admin.create(SECRETS, "default", secret))
    raw = cluster.etcd.store.get("/registry/secrets/default/db").value
    assert raw.startswith(b"k8s:enc:aescbc:v1:key1:") and b"aHVudGVyMg" not in raw
    read = cluster.kernel.run_until_complete(cluster.admin.get(SECRETS, "default", "db"))
    assert read["data"] == {"password": "aHVudGVyMg=="}
    cluster.run(seconds=1)
    assert cluster.apiserver.cached("secrets", "default", "db")["data"] == {"password": "aHVudGVyMg=="}
    configmaps = SCHEME.by_resource("", "configmaps")
    cluster.kernel.run_until_complete(cluster.admin.create(configmaps, "default", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plain"}, "data": {"a": "b"}}))
    assert json.loads(cluster.etcd.store.get("/registry/configmaps/default/plain").value)["data"] == {"a": "b"}


def test_every_request_is_audited_with_its_user_and_verdict():
    cluster = cluster_with(audit=AuditLog(lambda: 0.0))
    cluster.run(seconds=1)
    alice = cluster.client_for("alice", ("dev",))
    with pytest.raises(errors.StatusError) as denied:
        cluster.kernel.run_until_complete(alice.list(PODS, "default"))
    assert denied.value.code == 403
    events = [e for e in cluster.apiserver.audit.events if e["user"]["username"] == "alice"]
    assert events and events[-1]["stage"] == "ResponseComplete"
    assert events[-1]["responseStatus"]["code"] == 403 and events[-1]["verb"] == "list"
    assert events[-1]["objectRef"] == {"resource": "pods", "namespace": "default", "apiVersion": "v1"}


def test_no_credential_is_401_and_a_stranger_certificate_is_401_too():
    from k8slite.apiserver.request import Request
    from k8slite.pki import ClusterPKI
    cluster = cluster_with()
    _ = cluster.pki
    cluster.network.listen("stranger", "outside", lambda msg: None)
    for credential in (None, ClusterPKI(seed=99).user("mallory", ("system:masters",)).credential()):
        request = Request("GET", "/api/v1/namespaces/default/pods", credential=credential)
        reply = cluster.kernel.run_until_complete(
            cluster.network.request("stranger", "kube-apiserver", "GET", request.line(), request, 10.0))
        assert (reply.code, reply.body["reason"], reply.body["message"]) == (401, "Unauthorized", "Unauthorized")
