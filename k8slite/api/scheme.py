"""The scheme: kind <-> group/version/resource, scope, short names, verbs, categories.

Mirrors kubernetes v1.31 staging/src/k8s.io/apimachinery/pkg/runtime/scheme.go and the
REST mapper (apimachinery/pkg/api/meta/restmapper.go, client-go/restmapper), with the
table of built-in resources that kube-apiserver serves in discovery (pkg/registry/*/rest
storage providers; ``kubectl api-resources`` prints the same names).

Simplified: one served version per group plus a few older versions accepted as aliases
(autoscaling/v1 HorizontalPodAutoscaler); there is no conversion between versions, so an
alias only maps to the same ResourceInfo. Versions removed upstream (batch/v1beta1
CronJob, policy/v1beta1 PodDisruptionBudget, removed in 1.25) are not served.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import StatusError

_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")  # namespaces


@dataclass(frozen=True)
class ResourceInfo:
    kind: str
    group: str
    version: str
    resource: str
    namespaced: bool
    short_names: tuple = ()
    singular: str = ""
    subresources: tuple = ()
    verbs: tuple = _RW
    categories: tuple = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


def _r(kind, group, version, resource, namespaced, short=(), sub=(), verbs=_RW, cats=()):
    return ResourceInfo(kind, group, version, resource, namespaced, tuple(short),
                        kind.lower(), tuple(sub), tuple(verbs), tuple(cats))


# The built-in table, in discovery order (core first, then groups as the server lists them).
BUILTIN: tuple[ResourceInfo, ...] = (
    _r("Binding", "", "v1", "bindings", True, verbs=("create",)),
    _r("ConfigMap", "", "v1", "configmaps", True, ["cm"]),
    _r("Endpoints", "", "v1", "endpoints", True, ["ep"]),
    _r("Event", "", "v1", "events", True, ["ev"]),
    _r("LimitRange", "", "v1", "limitranges", True, ["limits"]),
    _r("Namespace", "", "v1", "namespaces", False, ["ns"], ["status", "finalize"], _NS_VERBS),
    _r("Node", "", "v1", "nodes", False, ["no"], ["status", "proxy"]),
    _r("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True, ["pvc"], ["status"]),
    _r("PersistentVolume", "", "v1", "persistentvolumes", False, ["pv"], ["status"]),
    _r("Pod", "", "v1", "pods", True, ["po"],
       ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward",
        "proxy", "resize", "status"], cats=["all"]),
    _r("ReplicationController", "", "v1", "replicationcontrollers", True, ["rc"],
       ["scale", "status"], cats=["all"]),
    _r("ResourceQuota", "", "v1", "resourcequotas", True, ["quota"], ["status"]),
    _r("Secret", "", "v1", "secrets", True),
    _r("ServiceAccount", "", "v1", "serviceaccounts", True, ["sa"], ["token"]),
    _r("Service", "", "v1", "services", True, ["svc"], ["proxy", "status"],
       ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
       ["all"]),
    _r("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions",
       False, ["crd", "crds"], ["status"]),
    _r("ControllerRevision", "apps", "v1", "controllerrevisions", True),
    _r("DaemonSet", "apps", "v1", "daemonsets", True, ["ds"], ["status"], cats=["all"]),
    _r("Deployment", "apps", "v1", "deployments", True, ["deploy"], ["scale", "status"],
       cats=["all"]),
    _r("ReplicaSet", "apps", "v1", "replicasets", True, ["rs"], ["scale", "status"],
       cats=["all"]),
    _r("StatefulSet", "apps", "v1", "statefulsets", True, ["sts"], ["scale", "status"],
       cats=["all"]),
    _r("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", True,
       ["hpa"], ["status"], cats=["all"]),
    _r("CronJob", "batch", "v1", "cronjobs", True, ["cj"], ["status"], cats=["all"]),
    _r("Job", "batch", "v1", "jobs", True, (), ["status"], cats=["all"]),
    _r("Lease", "coordination.k8s.io", "v1", "leases", True),
    _r("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True),
    _r("Ingress", "networking.k8s.io", "v1", "ingresses", True, ["ing"], ["status"]),
    _r("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True, ["netpol"]),
    _r("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True, ["pdb"], ["status"]),
    _r("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    _r("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    _r("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    _r("Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    _r("PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", False, ["pc"]),
    _r("StorageClass", "storage.k8s.io", "v1", "storageclasses", False, ["sc"]),
)

# Older versions still served for a kind (api_version -> kinds). Not listed: removed ones.
VERSION_ALIASES: dict[str, tuple[str, ...]] = {
    "autoscaling/v1": ("HorizontalPodAutoscaler",),
}


class Scheme:
    """Resolves kinds and the names kubectl accepts to ResourceInfo."""

    def __init__(self, infos=(), aliases: dict[str, tuple[str, ...]] | None = None):
        self._infos: list[ResourceInfo] = []
        self._by_gvk: dict[tuple[str, str], ResourceInfo] = {}   # (apiVersion, kind)
        self._by_gr: dict[tuple[str, str], ResourceInfo] = {}    # (group, resource)
        for info in infos:
            self.register(info)
        for api_version, kinds in (aliases or {}).items():
            group = api_version.rpartition("/")[0]
            for kind in kinds:
                info = next(i for i in self._infos if i.group == group and i.kind == kind)
                self._by_gvk[(api_version, kind)] = info

    def register(self, info: ResourceInfo) -> None:
        """Add (or replace) a resource, as a CustomResourceDefinition does when it is established."""
        old = self._by_gr.get((info.group, info.resource))
        if old is not None:
            self._infos[self._infos.index(old)] = info
            self._by_gvk = {k: v for k, v in self._by_gvk.items() if v is not old}
        else:
            self._infos.append(info)
        self._by_gvk[(info.api_version, info.kind)] = info
        self._by_gr[(info.group, info.resource)] = info

    def unregister(self, group: str, resource: str) -> None:
        info = self._by_gr.pop((group, resource), None)
        if info is not None:
            self._infos.remove(info)
            self._by_gvk = {k: v for k, v in self._by_gvk.items() if v is not info}

    def all(self) -> list[ResourceInfo]:
        return list(self._infos)

    def by_kind(self, api_version: str, kind: str) -> ResourceInfo:
        info = self._by_gvk.get((api_version, kind))
        if info is None:
            group = api_version.rpartition("/")[0]
            raise StatusError({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f'no matches for kind "{kind}" in version "{api_version}"',
                "reason": "NotFound", "details": {"group": group, "kind": kind}, "code": 404})
        return info

    def by_resource(self, group: str, resource: str) -> ResourceInfo:
        info = self._by_gr.get((group, resource))
        if info is None:
            raise KeyError(f'the server doesn\'t have a resource type "{resource}"')
        return info

    def lookup(self, name: str) -> ResourceInfo:
        """What kubectl accepts: plural, singular, short name, kind (any case), ``res.group``,
        ``res.version.group``. Plural matches win over short names, as in kubectl's
        shortcut expander."""
        for candidate, group in self._splits(name):
            found = self._match(candidate, group)
            if found is not None:
                return found
        raise KeyError(f'the server doesn\'t have a resource type "{name}"')

    @staticmethod
    def _splits(name: str):
        yield name, None
        if "." in name:
            res, _, rest = name.partition(".")
            yield res, rest
            version, _, group = rest.partition(".")
            if group:
                yield res, group

    def _match(self, name: str, group):
        lowered = name.lower()
        pools = [i for i in self._infos if group is None or i.group == group]
        for test in (lambda i: i.resource == lowered,
                     lambda i: i.singular == lowered,
                     lambda i: lowered in i.short_names,
                     lambda i: i.kind.lower() == lowered):
            for info in pools:
                if test(info):
                    return info
        return None


SCHEME = Scheme(BUILTIN, VERSION_ALIASES)


def resource_info_from_crd(crd: dict) -> list[ResourceInfo]:
    """The ResourceInfo a CustomResourceDefinition serves, one per served version (storage first)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = sorted((v for v in spec.get("versions") or [] if v.get("served", True)),
                      key=lambda v: (not v.get("storage", False), v.get("name", "")))
    sub = tuple(sorted((spec.get("versions") or [{}])[0].get("subresources", {}) or {}))
    return [ResourceInfo(names.get("kind", ""), spec.get("group", ""), v.get("name", ""),
                         names.get("plural", ""), spec.get("scope", "Namespaced") == "Namespaced",
                         tuple(names.get("shortNames") or ()),
                         names.get("singular") or names.get("kind", "").lower(), sub, _RW,
                         tuple(names.get("categories") or ()))
            for v in versions]
