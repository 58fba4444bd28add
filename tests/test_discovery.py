"""Discovery (/api, /apis, group versions; legacy and aggregated) and OpenAPI, checked against
a real v1.31 kube-apiserver's answers and against the real kubectl and Python client.

``KubectlStub`` is a loopback HTTP server that answers discovery, OpenAPI and reads (list,
get, Tables on request) from a fixed set of objects through k8slite's handlers: enough for
the real kubectl binaries to run ``api-resources``, ``get`` and ``apply``. test_tables.py
uses it too.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from k8slite.api.scheme import BUILTIN, SCHEME, VERSION_ALIASES, Scheme, resource_info_from_crd
from k8slite.apiserver import openapi, tables
from k8slite.apiserver.discovery import (AGGREGATED_V2, AGGREGATED_V2BETA1, api_group_discovery_list,
                                         handle_discovery, negotiate_aggregated, storage_version_hash)

KUBECTL_DIR = Path("/usr/lib/google-cloud-sdk/bin")
KUBECTL_VERSIONS = ("1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33")
# What each kubectl sends to /api and /apis (client-go discovery_client.go acceptDiscoveryFormats).
ACCEPT_1_27 = f"{AGGREGATED_V2BETA1},application/json"
ACCEPT_1_31 = f"{AGGREGATED_V2},{AGGREGATED_V2BETA1},application/json"


def kubectl_binary(version: str) -> str:
    path = KUBECTL_DIR / f"kubectl.{version}"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no {path}")
        pytest.skip(f"no {path}")
    return str(path)


def _not_found(message: str = "the server could not find the requested resource") -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": "NotFound", "details": {}, "code": 404}


class KubectlStub:
    """Serves k8slite's discovery, OpenAPI and Tables over HTTP on 127.0.0.1 for real clients.

    ``objects`` maps (group, resource) to the objects to list; ``now`` is the virtual time
    ages are measured from; ``printer_columns`` maps a custom resource's (group, resource)
    to its CRD's columns. Writes (POST) echo the object back as created. Every request is
    recorded in ``requests`` as (method, path with query, Accept).
    """

    def __init__(self, objects: dict | None = None, now: float = 0.0, scheme: Scheme = SCHEME,
                 printer_columns: dict | None = None):
        self.objects, self.now, self.scheme = objects or {}, now, scheme
        self.printer_columns = printer_columns or {}
        self.requests: list[tuple[str, str, str]] = []
        self.home = tempfile.mkdtemp(prefix="kubectl-home-")    # kubectl caches discovery here
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body, content_type):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                accept = self.headers.get("Accept", "")
                stub.requests.append((method, self.path, accept))
                self._send(*stub.answer(method, self.path, accept, body))

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, target: str, accept: str, body: bytes):
        url = urlsplit(target)
        query = dict(parse_qsl(url.query))
        if url.path == "/version":
            return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0"}, "application/json"
        for handled in (openapi.handle_openapi(url.path, accept),
                        handle_discovery(url.path, accept, self.scheme, self.url[len("http://"):])):
            if handled is not None:
                return handled
        parts = url.path.strip("/").split("/")
        group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
        namespace = None
        if len(rest) > 2 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        info = self.scheme.by_resource(group, rest[0])
        if method == "POST":
            obj = json.loads(body)
            obj["metadata"].update(uid="00000000-0000-4000-8000-000000000000", resourceVersion="1",
                                   creationTimestamp="2024-01-01T00:00:00Z")
            return 201, obj, "application/json"
        items = [o for o in self.objects.get((group, info.resource), [])
                 if namespace is None or o["metadata"].get("namespace") == namespace]
        selector = query.get("fieldSelector", "")
        if selector.startswith("metadata.name="):
            items = [o for o in items if o["metadata"]["name"] == selector.partition("=")[2]]
        table = tables.negotiate_table(accept)
        columns = self.printer_columns.get((group, info.resource))
        if len(rest) > 1:
            found = [o for o in items if o["metadata"]["name"] == rest[1]]
            if not found:
                return 404, _not_found(f'{info.qualified_resource} "{rest[1]}" not found'), "application/json"
            if table:
                return (200, tables.table_for_object(info, found[0], self.now, query.get("includeObject"),
                                                     api_version=table, printer_columns=columns),
                        tables.table_content_type(table))
            return 200, found[0], "application/json"
        meta = {"resourceVersion": "100"}
        if table:
            return (200, tables.to_table(info, items, self.now, query.get("includeObject"), meta, api_version=table,
                                         printer_columns=columns), tables.table_content_type(table))
        return 200, {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta,
                     "items": items}, "application/json"

    def kubectl(self, version: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "HOME": self.home, "KUBECONFIG": os.devnull}
        return subprocess.run([kubectl_binary(version), f"--server={self.url}", *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=60)


def legacy(path: str, scheme: Scheme = SCHEME) -> dict:
    code, doc, content_type = handle_discovery(path, "application/json", scheme, "10.0.0.1:6443")
    assert (code, content_type) == (200, "application/json")
    return doc


def resource(doc: dict, name: str) -> dict:
    return next(r for r in doc["resources"] if r["name"] == name)


# --- the legacy documents, against a real v1.31 kube-apiserver's ------------------------------

def test_api_lists_the_core_version_and_where_clients_reach_the_server():
    assert legacy("/api") == {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]}


def test_apis_lists_the_served_groups_in_kube_apiservers_order_preferred_version_first():
    doc = legacy("/apis")
    assert (doc["kind"], doc["apiVersion"]) == ("APIGroupList", "v1")
    assert [g["name"] for g in doc["groups"]] == [
        "apps", "autoscaling", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
        "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io"]
    autoscaling = next(g for g in doc["groups"] if g["name"] == "autoscaling")
    assert autoscaling == {"name": "autoscaling", "versions": [
        {"groupVersion": "autoscaling/v2", "version": "v2"}, {"groupVersion": "autoscaling/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "autoscaling/v2", "version": "v2"}}


def test_a_group_answers_with_its_apigroup():
    assert legacy("/apis/apps") == {"kind": "APIGroup", "apiVersion": "v1", "name": "apps",
                                    "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                                    "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}


# Entries copied from `kubectl get --raw /api/v1` on a v1.31.0 cluster (kubectl -v=8 trace).
REAL_CORE_V1 = [
    {"name": "bindings", "singularName": "binding", "namespaced": True, "kind": "Binding", "verbs": ["create"]},
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
     "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["ns"],
     "storageVersionHash": "Q3oi5N2YM8M="},
    {"name": "namespaces/finalize", "singularName": "", "namespaced": False, "kind": "Namespace", "verbs": ["update"]},
    {"name": "nodes/proxy", "singularName": "", "namespaced": False, "kind": "NodeProxyOptions",
     "verbs": ["create", "delete", "get", "patch", "update"]},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
     "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
     "shortNames": ["po"], "categories": ["all"], "storageVersionHash": "xPOwRZ+Yhw8="},
    {"name": "pods/attach", "singularName": "", "namespaced": True, "kind": "PodAttachOptions", "verbs": ["create", "get"]},
    {"name": "pods/binding", "singularName": "", "namespaced": True, "kind": "Binding", "verbs": ["create"]},
    {"name": "pods/ephemeralcontainers", "singularName": "", "namespaced": True, "kind": "Pod",
     "verbs": ["get", "patch", "update"]},
    {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy", "version": "v1",
     "kind": "Eviction", "verbs": ["create"]},
    {"name": "pods/exec", "singularName": "", "namespaced": True, "kind": "PodExecOptions", "verbs": ["create", "get"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {"name": "pods/portforward", "singularName": "", "namespaced": True, "kind": "PodPortForwardOptions",
     "verbs": ["create", "get"]},
    {"name": "pods/proxy", "singularName": "", "namespaced": True, "kind": "PodProxyOptions",
     "verbs": ["create", "delete", "get", "patch", "update"]},
    {"name": "pods/status", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get", "patch", "update"]},
    {"name": "replicationcontrollers/scale", "singularName": "", "namespaced": True, "group": "autoscaling",
     "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]},
    {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
     "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
     "storageVersionHash": "S6u1pOWzb84="},
    {"name": "serviceaccounts/token", "singularName": "", "namespaced": True, "group": "authentication.k8s.io",
     "version": "v1", "kind": "TokenRequest", "verbs": ["create"]},
    {"name": "services", "singularName": "service", "namespaced": True, "kind": "Service",
     "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
     "shortNames": ["svc"], "categories": ["all"], "storageVersionHash": "0/CO1lhkEBI="},
    {"name": "services/status", "singularName": "", "namespaced": True, "kind": "Service",
     "verbs": ["get", "patch", "update"]},
]


@pytest.mark.parametrize("expected", REAL_CORE_V1, ids=lambda e: e["name"])
def test_each_core_resource_and_subresource_reads_as_a_real_v1_31_server_lists_it(expected):
    assert resource(legacy("/api/v1"), expected["name"]) == expected


def test_the_core_list_is_unversioned_and_sorted_with_subresources_after_their_parent():
    doc = legacy("/api/v1")
    assert list(doc)[:2] == ["kind", "groupVersion"] and "apiVersion" not in doc
    names = [r["name"] for r in doc["resources"]]
    assert names == sorted(names)
    assert names.index("pods") + 1 == names.index("pods/attach")


def test_a_group_version_list_carries_apiversion_v1_and_scale_names_autoscaling_v1():
    doc = legacy("/apis/apps/v1")
    assert list(doc)[:3] == ["kind", "apiVersion", "groupVersion"] and doc["apiVersion"] == "v1"
    assert resource(doc, "deployments/scale") == {
        "name": "deployments/scale", "singularName": "", "namespaced": True, "group": "autoscaling",
        "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]}
    assert resource(doc, "deployments")["storageVersionHash"] == "8aSe+NMegvE="


@pytest.mark.parametrize("group, version, kind, expected", [
    ("", "v1", "Pod", "xPOwRZ+Yhw8="),
    ("", "v1", "Event", "r2yiGXH7wu8="),
    ("apps", "v1", "ReplicaSet", "P1RzHs8/mWQ="),
    ("batch", "v1", "CronJob", "sd5LIXh4Fjs="),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "bYE5ZWDrJ44="),
    ("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition", "jfWCUB31mvA="),
], ids=lambda v: v if isinstance(v, str) and "=" in v else None)
def test_the_storage_version_hash_is_the_one_real_servers_publish(group, version, kind, expected):
    assert storage_version_hash(group, version, kind) == expected


def test_crds_are_stored_as_v1beta1_so_their_hash_names_that_version():
    assert resource(legacy("/apis/apiextensions.k8s.io/v1"), "customresourcedefinitions")["storageVersionHash"] == \
        "jfWCUB31mvA="


def test_kubectl_get_all_is_the_resources_in_the_all_category():
    in_all = set()
    for path in ["/api/v1"] + [f"/apis/{g['preferredVersion']['groupVersion']}" for g in legacy("/apis")["groups"]]:
        in_all |= {r["name"] for r in legacy(path)["resources"] if "all" in r.get("categories", [])}
    assert in_all == {"pods", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets",
                      "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"}


def test_short_names_are_the_ones_kubectl_accepts():
    short = {}
    for path in ["/api/v1", "/apis/apps/v1", "/apis/batch/v1", "/apis/autoscaling/v2", "/apis/policy/v1",
                 "/apis/scheduling.k8s.io/v1", "/apis/apiextensions.k8s.io/v1"]:
        short.update({r["name"]: r["shortNames"] for r in legacy(path)["resources"] if "shortNames" in r})
    assert short == {"configmaps": ["cm"], "endpoints": ["ep"], "events": ["ev"], "limitranges": ["limits"],
                     "namespaces": ["ns"], "nodes": ["no"], "persistentvolumeclaims": ["pvc"],
                     "persistentvolumes": ["pv"], "pods": ["po"], "replicationcontrollers": ["rc"],
                     "resourcequotas": ["quota"], "serviceaccounts": ["sa"], "services": ["svc"],
                     "daemonsets": ["ds"], "deployments": ["deploy"], "replicasets": ["rs"], "statefulsets": ["sts"],
                     "cronjobs": ["cj"], "horizontalpodautoscalers": ["hpa"], "poddisruptionbudgets": ["pdb"],
                     "priorityclasses": ["pc"], "customresourcedefinitions": ["crd", "crds"]}


def test_crds_are_in_the_api_extensions_category():
    assert resource(legacy("/apis/apiextensions.k8s.io/v1"), "customresourcedefinitions")["categories"] == [
        "api-extensions"]


def test_the_older_autoscaling_v1_lists_the_same_horizontalpodautoscalers():
    v1, v2 = legacy("/apis/autoscaling/v1"), legacy("/apis/autoscaling/v2")
    assert v1["groupVersion"] == "autoscaling/v1" and v1["resources"] == v2["resources"]


@pytest.mark.parametrize("path", ["/apis/nope", "/apis/nope/v1", "/apis/apps/v2", "/api/v2"])
def test_an_unserved_group_or_version_is_a_404_status(path):
    code, doc, content_type = handle_discovery(path, "application/json", SCHEME, "x")
    assert code == 404 and doc["reason"] == "NotFound" and content_type == "application/json"
    assert doc["message"] == "the server could not find the requested resource"


@pytest.mark.parametrize("path", ["/version", "/healthz", "/api/v1/pods", "/apis/apps/v1/namespaces/default/deployments",
                                  "/openapi/v2"])
def test_other_paths_are_left_to_the_other_handlers(path):
    assert handle_discovery(path, "application/json", SCHEME, "x") is None


# --- aggregated discovery --------------------------------------------------------------------

@pytest.mark.parametrize("accept, expected", [
    (ACCEPT_1_31, "v2"),
    (ACCEPT_1_27, "v2beta1"),
    ("application/json", None),
    ("application/json, */*", None),
    (f"application/json,{AGGREGATED_V2}", None),
    (f"{AGGREGATED_V2};q=0.5,{AGGREGATED_V2BETA1}", "v2beta1"),
    ("", None),
], ids=["kubectl 1.30+", "kubectl 1.26-1.29", "plain JSON", "plain JSON or anything",
        "JSON preferred", "v2beta1 preferred by q", "no Accept"])
def test_the_aggregated_form_is_served_only_to_clients_that_ask_for_it_first(accept, expected):
    assert negotiate_aggregated(accept) == expected
    code, doc, content_type = handle_discovery("/apis", accept, SCHEME, "x")
    if expected is None:
        assert (doc["kind"], content_type) == ("APIGroupList", "application/json")
    else:
        assert doc["apiVersion"] == f"apidiscovery.k8s.io/{expected}"
        assert content_type == f"application/json;g=apidiscovery.k8s.io;v={expected};as=APIGroupDiscoveryList"


def test_aggregated_core_discovery_folds_subresources_into_their_resource():
    _, doc, _ = handle_discovery("/api", ACCEPT_1_31, SCHEME, "x")
    assert (doc["kind"], doc["metadata"]) == ("APIGroupDiscoveryList", {})
    [core] = doc["items"]
    assert core["metadata"] == {"creationTimestamp": None}
    [v1] = core["versions"]
    assert (v1["version"], v1["freshness"]) == ("v1", "Current")
    deployments = next(r for r in api_group_discovery_list(SCHEME, legacy=False)["items"][0]["versions"][0]["resources"]
                       if r["resource"] == "deployments")
    assert deployments == {
        "resource": "deployments", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
        "scope": "Namespaced", "singularResource": "deployment",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["deploy"], "categories": ["all"], "subresources": [
            {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
             "verbs": ["get", "patch", "update"]},
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"},
             "verbs": ["get", "patch", "update"]}]}


def split_groups_and_resources(aggregated: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    """client-go discovery/aggregated_discovery.go SplitGroupsAndResources, in Python."""
    groups, resources = [], {}
    for item in aggregated["items"]:
        name = item["metadata"].get("name", "")
        versions = []
        for v in item["versions"]:
            gv = f"{name}/{v['version']}" if name else v["version"]
            versions.append({"groupVersion": gv, "version": v["version"]})
            listed = []
            for r in v["resources"]:
                kind = r["responseKind"]
                parent = {"name": r["resource"], "singularName": r["singularResource"],
                          "namespaced": r["scope"] == "Namespaced", "group": kind["group"],
                          "version": kind["version"], "kind": kind["kind"], "verbs": r["verbs"],
                          "shortNames": r.get("shortNames"), "categories": r.get("categories")}
                listed.append(parent)
                for s in r.get("subresources", []):
                    sk = s["responseKind"]
                    listed.append({"name": f"{r['resource']}/{s['subresource']}", "singularName": r["singularResource"],
                                   "namespaced": parent["namespaced"], "group": sk["group"], "version": sk["version"],
                                   "kind": sk["kind"], "verbs": s["verbs"], "shortNames": None, "categories": None})
            resources[gv] = listed
        groups.append({"name": name, "versions": versions, "preferredVersion": versions[0]})
    return groups, resources


def as_client_reads(entry: dict, parent_singular: str = "") -> dict:
    """A legacy APIResource as client-go holds it once decoded (absent fields empty)."""
    return {"name": entry["name"], "singularName": entry["singularName"] or parent_singular,
            "namespaced": entry["namespaced"], "group": entry.get("group", ""), "version": entry.get("version", ""),
            "kind": entry["kind"], "verbs": entry["verbs"], "shortNames": entry.get("shortNames"),
            "categories": entry.get("categories")}


@pytest.mark.parametrize("scheme_name", ["builtin", "with a custom resource"])
def test_kubectl_reads_the_same_groups_and_resources_from_either_form(scheme_name):
    scheme = SCHEME if scheme_name == "builtin" else scheme_with_crd()
    groups, resources = split_groups_and_resources(api_group_discovery_list(scheme, legacy=True))
    more_groups, more_resources = split_groups_and_resources(api_group_discovery_list(scheme, legacy=False))
    groups, resources = groups + more_groups, {**resources, **more_resources}
    legacy_groups = [{"name": "", "versions": [{"groupVersion": "v1", "version": "v1"}],
                      "preferredVersion": {"groupVersion": "v1", "version": "v1"}}] + legacy("/apis", scheme)["groups"]
    assert groups == legacy_groups
    for gv, listed in resources.items():
        expected = []
        for entry in legacy(f"/api/{gv}" if gv == "v1" else f"/apis/{gv}", scheme)["resources"]:
            parent = entry["name"].partition("/")[0]
            expected.append(as_client_reads(entry, next(e["singularName"] for e in expected if e["name"] == parent)
                                            if "/" in entry["name"] else ""))
        # The aggregated form names a custom resource's group version in its responseKind.
        for e in listed:
            if e["group"] == "stable.example.com":
                e["group"], e["version"] = "", ""
        assert listed == expected, gv


# --- custom resources --------------------------------------------------------------------------

CRONTAB_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                                    "statusReplicasPath": ".status.replicas"}}}]}}


def scheme_with_crd() -> Scheme:
    scheme = Scheme(BUILTIN, VERSION_ALIASES)
    for info in resource_info_from_crd(CRONTAB_CRD):
        scheme.register(info)
    return scheme


def test_a_custom_resource_is_listed_after_the_built_in_groups_as_apiextensions_lists_it():
    scheme = scheme_with_crd()
    assert [g["name"] for g in legacy("/apis", scheme)["groups"]][-1] == "stable.example.com"
    assert legacy("/apis/stable.example.com/v1", scheme)["resources"] == [
        {"name": "crontabs", "singularName": "crontab", "namespaced": True, "kind": "CronTab",
         "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
         "shortNames": ["ct"], "storageVersionHash": storage_version_hash("stable.example.com", "v1", "CronTab")},
        {"name": "crontabs/scale", "singularName": "", "namespaced": True, "group": "autoscaling", "version": "v1",
         "kind": "Scale", "verbs": ["get", "patch", "update"]},
        {"name": "crontabs/status", "singularName": "", "namespaced": True, "kind": "CronTab",
         "verbs": ["get", "patch", "update"]}]
    [item] = [i for i in api_group_discovery_list(scheme, legacy=False)["items"]
              if i["metadata"]["name"] == "stable.example.com"]
    crontabs = item["versions"][0]["resources"][0]
    assert crontabs["responseKind"] == {"group": "stable.example.com", "version": "v1", "kind": "CronTab"}
    assert [s["responseKind"] for s in crontabs["subresources"]] == [
        {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        {"group": "stable.example.com", "version": "v1", "kind": "CronTab"}]


# --- OpenAPI -----------------------------------------------------------------------------------

PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


@pytest.mark.parametrize("path, accept, expected", [
    ("/openapi/v2?timeout=32s", PROTOBUF_ACCEPT,
     (200, b"", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")),
    ("/openapi/v2", "application/json", (200, {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.31.0"},
                                               "paths": {}, "definitions": {}}, "application/json")),
    ("/openapi/v3", "application/json, */*", (404, "NotFound", "application/json")),
    ("/openapi/v3/api/v1", "application/json", (404, "NotFound", "application/json")),
    ("/api", "application/json", None),
], ids=["v2 as kubectl asks: an empty protobuf document", "v2 as JSON: no definitions", "v3 index: not served",
        "v3 group version: not served", "not OpenAPI"])
def test_openapi_v2_is_an_empty_document_and_v3_is_not_served(path, accept, expected):
    answer = openapi.handle_openapi(path, accept)
    if expected is not None and expected[0] == 404:
        answer = (answer[0], answer[1]["reason"], answer[2])
    assert answer == expected


# --- the real kubectl and the official Python client -----------------------------------------

@pytest.mark.parametrize("version", KUBECTL_VERSIONS)
def test_real_kubectl_discovers_every_resource_in_two_requests(version):
    with KubectlStub() as stub:
        out = stub.kubectl(version, "api-resources")
    assert out.returncode == 0, out.stderr
    lines = [re.split(r"\s{2,}", line.strip()) for line in out.stdout.splitlines()]
    assert lines[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {line[0]: line[1:] for line in lines[1:]}
    assert rows["deployments"] == ["deploy", "apps/v1", "true", "Deployment"]
    assert rows["horizontalpodautoscalers"] == ["hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"]
    assert rows["jobs"] == ["batch/v1", "true", "Job"]
    assert rows["nodes"] == ["no", "v1", "false", "Node"]
    assert len(rows) == len(SCHEME.all())
    # Aggregated discovery answered everything; no group version was fetched on its own.
    assert [path.split("?")[0] for _, path, _ in stub.requests] == ["/api", "/apis"]
    wanted = "v2beta1" if version in ("1.27", "1.28", "1.29") else "v2"
    assert all(f"v={wanted};as=APIGroupDiscoveryList" in accept.split(",")[0] for _, _, accept in stub.requests)


@pytest.mark.parametrize("version", ["1.27", "1.31", "1.33"])
def test_real_kubectl_apply_gets_past_openapi_and_creates_the_object(version):
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
    with KubectlStub() as stub:
        out = stub.kubectl(version, "apply", "-f", "-", stdin=pod)
    assert (out.returncode, out.stdout, out.stderr) == (0, "pod/web created\n", "")
    paths = [(method, path.split("?")[0]) for method, path, _ in stub.requests]
    assert ("GET", "/openapi/v2") in paths and ("GET", "/openapi/v3") in paths
    assert paths[-2:] == [("GET", "/api/v1/namespaces/default/pods/web"), ("POST", "/api/v1/namespaces/default/pods")]
    assert "fieldValidation=Strict" in stub.requests[-1][1]


def test_real_kubectl_api_versions_lists_the_core_version_and_every_group_version():
    with KubectlStub() as stub:
        out = stub.kubectl("1.31", "api-versions")
    assert out.stdout.split() == sorted(["v1", "apps/v1", "autoscaling/v1", "autoscaling/v2", "batch/v1",
                                         "networking.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1",
                                         "storage.k8s.io/v1", "apiextensions.k8s.io/v1", "scheduling.k8s.io/v1",
                                         "coordination.k8s.io/v1", "discovery.k8s.io/v1"])


def test_the_official_python_client_parses_the_legacy_documents_strictly():
    kubernetes = pytest.importorskip("kubernetes")
    with KubectlStub() as stub:
        config = kubernetes.client.Configuration(host=stub.url)
        with kubernetes.client.ApiClient(config) as client:
            versions = kubernetes.client.CoreApi(client).get_api_versions()
            groups = kubernetes.client.ApisApi(client).get_api_versions()
            core = kubernetes.client.CoreV1Api(client).get_api_resources()
            apps = kubernetes.client.AppsV1Api(client).get_api_resources()
    assert versions.versions == ["v1"]
    assert versions.server_address_by_client_cidrs[0].server_address == stub.url[len("http://"):]
    assert [g.name for g in groups.groups][:3] == ["apps", "autoscaling", "batch"]
    assert groups.groups[1].preferred_version.group_version == "autoscaling/v2"
    pods = next(r for r in core.resources if r.name == "pods")
    assert (pods.kind, pods.namespaced, pods.short_names, pods.categories) == ("Pod", True, ["po"], ["all"])
    scale = next(r for r in apps.resources if r.name == "deployments/scale")
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert not [path for _, path, accept in stub.requests if "apidiscovery" in accept]
