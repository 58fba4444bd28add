"""API discovery: what the server serves, at /api, /apis and each group version.

Mirrors kubernetes v1.31 staging/src/k8s.io/apiserver/pkg/endpoints/discovery/ (legacy.go:
``/api`` -> APIVersions; root.go: ``/apis`` -> APIGroupList; group.go: ``/apis/<group>`` ->
APIGroup; version.go: ``/api/v1``, ``/apis/<group>/<version>`` -> APIResourceList;
util.go: StorageVersionHash), discovery/aggregated/handler.go (the aggregated
``apidiscovery.k8s.io`` APIGroupDiscoveryList at ``/api`` and ``/apis``),
endpoints/installer.go (each APIResource: names sorted with subresources as
``pods/log``, verbs sorted, ConvertGroupVersionIntoToDiscovery),
apiextensions-apiserver/pkg/apiserver/customresource_discovery_controller.go (custom
resources), pkg/controlplane/apiserver/aggregator.go (the order groups are listed in) and
client-go/discovery/discovery_client.go (what kubectl asks for and how it reads the answer).

Legacy or aggregated: kubectl 1.26+ asks ``/api`` and ``/apis`` for
``application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`` (1.30+; 1.26-1.29
ask for ``v=v2beta1``) before plain ``application/json``, and reads the answer by its
Content-Type: an APIGroupDiscoveryList answers everything in two requests; plain JSON
makes it fetch every group version's APIResourceList. Like a v1.31 kube-apiserver we
serve the aggregated form to whoever asks for it (v2 or v2beta1, first acceptable in
Accept order) and the legacy documents to everyone else (kubectl 1.20, the Python client).

Simplified: the server serves exactly the resources in its Scheme (plus the older versions
in ``VERSION_ALIASES``); upstream facts the Scheme does not carry are the tables below:
subresource kinds and verbs, extra categories, and the group order. Verbs come from the
Scheme rather than from which REST interfaces a storage implements. A resource has a
storageVersionHash when it can be watched (upstream: when its storage has a storage
version); the hash is upstream's, of the served group/version/kind unless
``STORAGE_VERSIONS`` names another. No ETag,
no ``serverAddressByClientCIDRs`` per client network, no aggregated API servers (no
``Stale`` freshness).
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import Optional

from ..api.scheme import BUILTIN, VERSION_ALIASES, ResourceInfo, Scheme

__all__ = ["handle_discovery", "api_versions", "api_group_list", "api_group", "api_resource_list",
           "api_group_discovery_list", "negotiate_aggregated", "storage_version_hash",
           "AGGREGATED_V2", "AGGREGATED_V2BETA1"]

JSON = "application/json"
AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

# The order kube-apiserver lists built-in groups in (the aggregator's APIService group
# priorities, highest first). Groups not listed here (custom resources) follow, by name.
GROUP_ORDER = (
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
    "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "discovery.k8s.io", "resource.k8s.io", "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io", "storagemigration.k8s.io",
)

_GET_PATCH_UPDATE = ("get", "patch", "update")
# subresource -> (group, version, kind, verbs) of its APIResource; kind None is the parent's
# kind, and "{kind}" is filled in with it (pods/proxy is PodProxyOptions). Group and version
# are set only where the subresource's storage names another group (GroupVersionKindProvider).
SUBRESOURCES: dict[str, tuple[str, str, Optional[str], tuple[str, ...]]] = {
    "status": ("", "", None, _GET_PATCH_UPDATE),
    "scale": ("autoscaling", "v1", "Scale", _GET_PATCH_UPDATE),
    "binding": ("", "", "Binding", ("create",)),
    "eviction": ("policy", "v1", "Eviction", ("create",)),
    "log": ("", "", None, ("get",)),
    "exec": ("", "", "PodExecOptions", ("create", "get")),
    "attach": ("", "", "PodAttachOptions", ("create", "get")),
    "portforward": ("", "", "PodPortForwardOptions", ("create", "get")),
    "proxy": ("", "", "{kind}ProxyOptions", ("create", "delete", "get", "patch", "update")),
    "ephemeralcontainers": ("", "", None, _GET_PATCH_UPDATE),
    "resize": ("", "", None, _GET_PATCH_UPDATE),
    "finalize": ("", "", None, ("update",)),
    "token": ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    "approval": ("", "", None, _GET_PATCH_UPDATE),
}

# Categories upstream storages declare that the Scheme leaves out (rest.CategoriesProvider).
EXTRA_CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("api-extensions",),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): ("api-extensions",),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): ("api-extensions",),
    ("apiregistration.k8s.io", "apiservices"): ("api-extensions",),
}

# Where etcd holds a resource in another version than the one served (the storage version
# its storageVersionHash names): CustomResourceDefinitions are still stored as v1beta1.
STORAGE_VERSIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("apiextensions.k8s.io", "v1beta1"),
    ("events.k8s.io", "events"): ("", "v1"),
}

# A custom resource's verbs, in the order apiextensions-apiserver lists them.
CUSTOM_RESOURCE_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")

_BUILTIN = frozenset((i.group, i.resource) for i in BUILTIN)


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


# --- what the scheme serves -------------------------------------------------------------------

def _version_key(version: str) -> tuple:
    """version.CompareKubeAwareVersionStrings as a sort key: v2 < v1 < v1beta2 < v1beta1 < v1alpha1 < foo."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), "")


def _group_key(group: str) -> tuple:
    """The core group, then built-in groups in upstream's order, then the rest by name."""
    if group == "":
        return (0, 0, "")
    return (1, GROUP_ORDER.index(group), "") if group in GROUP_ORDER else (2, 0, group)


def _served(scheme: Scheme, aliases: dict) -> dict[str, dict[str, list[ResourceInfo]]]:
    """group -> version (preferred first) -> the resources served there."""
    served: dict[str, dict[str, list[ResourceInfo]]] = {}
    for info in scheme.all():
        served.setdefault(info.group, {}).setdefault(info.version, []).append(info)
    for api_version, kinds in aliases.items():
        group, _, version = api_version.rpartition("/")
        for info in scheme.all():
            if info.group == group and info.kind in kinds:
                served.setdefault(group, {}).setdefault(version, []).append(info)
    ordered = {}
    for group in sorted(served, key=_group_key):
        versions = served[group]
        ordered[group] = {v: versions[v] for v in sorted(versions, key=_version_key)}
    return ordered


def _group_version(group: str, version: str) -> dict:
    return {"groupVersion": f"{group}/{version}" if group else version, "version": version}


def _api_group(group: str, versions: dict) -> dict:
    listed = [_group_version(group, v) for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def _is_custom(info: ResourceInfo) -> bool:
    return (info.group, info.resource) not in _BUILTIN


def _resources(infos: list[ResourceInfo]) -> list[dict]:
    """The APIResources of one group version: names sorted, each subresource after its parent."""
    entries = []
    for info in infos:
        custom = _is_custom(info)
        main = {"name": info.resource, "singularName": info.singular, "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": list(CUSTOM_RESOURCE_VERBS if custom else sorted(info.verbs))}
        if info.short_names:
            main["shortNames"] = list(info.short_names)
        categories = info.categories or EXTRA_CATEGORIES.get((info.group, info.resource), ())
        if categories:
            main["categories"] = list(categories)
        if "watch" in info.verbs:
            group, version = STORAGE_VERSIONS.get((info.group, info.resource), (info.group, info.version))
            main["storageVersionHash"] = storage_version_hash(group, version, info.kind)
        entries.append(main)
        for sub in info.subresources:
            group, version, kind, verbs = SUBRESOURCES.get(sub, ("", "", None, _GET_PATCH_UPDATE))
            entry = {"name": f"{info.resource}/{sub}", "singularName": "", "namespaced": info.namespaced}
            if group or version:
                entry["group"], entry["version"] = group, version
            entry["kind"] = (kind or info.kind).replace("{kind}", info.kind)
            entry["verbs"] = list(verbs)
            entries.append(entry)
    return sorted(entries, key=lambda e: e["name"])


# --- legacy (unaggregated) documents ----------------------------------------------------------

def api_versions(server_address: str) -> dict:
    """``GET /api``: metav1.APIVersions, encoded without an apiVersion as upstream does."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list(scheme: Scheme, aliases: dict = VERSION_ALIASES) -> dict:
    """``GET /apis``: every named group, preferred version first."""
    groups = [_api_group(g, vs) for g, vs in _served(scheme, aliases).items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(scheme: Scheme, group: str, aliases: dict = VERSION_ALIASES) -> Optional[dict]:
    """``GET /apis/<group>``: one APIGroup, or None when the group is not served."""
    versions = _served(scheme, aliases).get(group)
    if not group or versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, versions)}


def api_resource_list(scheme: Scheme, group: str, version: str,
                      aliases: dict = VERSION_ALIASES) -> Optional[dict]:
    """``GET /api/v1`` or ``/apis/<group>/<version>``: the APIResourceList, or None if not served.

    The core list carries no apiVersion (it is encoded as an unversioned object), the
    others ``"apiVersion": "v1"``, as a real server answers.
    """
    infos = _served(scheme, aliases).get(group, {}).get(version)
    if infos is None:
        return None
    doc = {"kind": "APIResourceList"}
    if group:
        doc["apiVersion"] = "v1"
    doc["groupVersion"] = f"{group}/{version}" if group else version
    doc["resources"] = _resources(infos)
    return doc


# --- aggregated discovery (apidiscovery.k8s.io) ------------------------------------------------

def _gvk(group: str, version: str, kind: str) -> dict:
    return {"group": group, "version": version, "kind": kind}


def _resource_discovery(infos: list[ResourceInfo]) -> list[dict]:
    """ConvertGroupVersionIntoToDiscovery over the legacy list: subresources fold into their parent.

    A built-in resource's responseKind has an empty group and version (its APIResource
    leaves them to the list); a custom resource's names its group version, as
    apiextensions-apiserver writes it."""
    out = []
    by_name = {}
    custom = {i.resource: i for i in infos if _is_custom(i)}
    for entry in _resources(infos):
        parent, _, sub = entry["name"].partition("/")
        cr = custom.get(parent)
        if not sub:
            kind = _gvk(cr.group, cr.version, cr.kind) if cr else _gvk("", "", entry["kind"])
            doc = {"resource": parent, "responseKind": kind,
                   "scope": "Namespaced" if entry["namespaced"] else "Cluster",
                   "singularResource": entry["singularName"], "verbs": entry["verbs"]}
            for key in ("shortNames", "categories"):
                if key in entry:
                    doc[key] = entry[key]
            by_name[parent] = doc
            out.append(doc)
            continue
        if cr and entry["kind"] == cr.kind:
            kind = _gvk(cr.group, cr.version, cr.kind)
        else:
            kind = _gvk(entry.get("group", ""), entry.get("version", ""), entry["kind"])
        by_name[parent].setdefault("subresources", []).append(
            {"subresource": sub, "responseKind": kind, "verbs": entry["verbs"]})
    return out


def api_group_discovery_list(scheme: Scheme, legacy: bool, api_version: str = "apidiscovery.k8s.io/v2",
                             aliases: dict = VERSION_ALIASES) -> dict:
    """The aggregated document: ``/api`` (legacy=True: the core group) or ``/apis`` (the rest)."""
    items = []
    for group, versions in _served(scheme, aliases).items():
        if (group == "") != legacy:
            continue
        metadata = {"name": group, "creationTimestamp": None} if group else {"creationTimestamp": None}
        items.append({"metadata": metadata, "versions": [
            {"version": v, "resources": _resource_discovery(infos), "freshness": "Current"}
            for v, infos in versions.items()]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}


def _media_ranges(accept: str) -> list[tuple[str, dict]]:
    """An Accept header as (type, params) in preference order (q descending, then as written)."""
    ranges = []
    for i, part in enumerate((accept or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        ranges.append((-q, i, pieces[0].lower(), params))
    return [(t, p) for _, _, t, p in sorted(ranges)]


def negotiate_aggregated(accept: str) -> Optional[str]:
    """Which aggregated discovery version the client wants ("v2", "v2beta1"), if it asks first."""
    for media, params in _media_ranges(accept):
        if media in (JSON, "application/*", "*/*") and "as" not in params:
            return None
        if (media == JSON and params.get("g") == "apidiscovery.k8s.io"
                and params.get("as") == "APIGroupDiscoveryList" and params.get("v") in ("v2", "v2beta1")):
            return params["v"]
    return None


# --- the handler -------------------------------------------------------------------------------

def _not_found() -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server could not find the requested resource", "reason": "NotFound",
            "details": {}, "code": 404}


def handle_discovery(path: str, accept: str, scheme: Scheme, server_address: str,
                     aliases: dict = VERSION_ALIASES) -> Optional[tuple[int, dict, str]]:
    """Serve a discovery path: (code, document, Content-Type), or None for any other path.

    The document is a dict to encode as JSON (a NotFound Status for an unserved group or
    version); the Content-Type says which form was chosen and must be sent as given,
    since clients read the aggregated form by it. ``server_address`` is "host:port" as
    clients reach the server (``/api`` reports it).
    """
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return None
    legacy = parts[0] == "api"
    if len(parts) == 1:
        wanted = negotiate_aggregated(accept)
        if wanted is not None:
            doc = api_group_discovery_list(scheme, legacy, f"apidiscovery.k8s.io/{wanted}", aliases)
            return 200, doc, AGGREGATED_V2 if wanted == "v2" else AGGREGATED_V2BETA1
        doc = api_versions(server_address) if legacy else api_group_list(scheme, aliases)
        return 200, doc, JSON
    if legacy and len(parts) == 2:
        doc = api_resource_list(scheme, "", parts[1], aliases)
    elif not legacy and len(parts) == 2:
        doc = api_group(scheme, parts[1], aliases)
    elif not legacy and len(parts) == 3:
        doc = api_resource_list(scheme, parts[1], parts[2], aliases)
    else:
        return None                     # a resource path: the REST handlers serve it
    if doc is None:
        return 404, _not_found(), JSON
    return 200, doc, JSON
