"""k8slite.api.scheme: kinds, resources and the names kubectl accepts; every shared manifest."""
import glob
import os

import pytest
import yaml

from k8slite.api import SCHEME, StatusError
from k8slite.api.scheme import ResourceInfo, Scheme, resource_info_from_crd

MANIFESTS = "/work/shared/manifests"


@pytest.mark.parametrize("name, kind, group", [
    pytest.param(n, k, g, id=f"kubectl accepts {n!r} for {k}")
    for n, k, g in [
        ("deploy", "Deployment", "apps"), ("deployments", "Deployment", "apps"),
        ("deployment", "Deployment", "apps"), ("Deployment", "Deployment", "apps"),
        ("deployments.apps", "Deployment", "apps"), ("deployments.v1.apps", "Deployment", "apps"),
        ("po", "Pod", ""), ("no", "Node", ""), ("svc", "Service", ""), ("ns", "Namespace", ""),
        ("cm", "ConfigMap", ""), ("ep", "Endpoints", ""), ("ev", "Event", ""),
        ("rs", "ReplicaSet", "apps"), ("sa", "ServiceAccount", ""), ("ds", "DaemonSet", "apps"),
        ("sts", "StatefulSet", "apps"), ("cj", "CronJob", "batch"),
        ("hpa", "HorizontalPodAutoscaler", "autoscaling"), ("pv", "PersistentVolume", ""),
        ("pvc", "PersistentVolumeClaim", ""), ("sc", "StorageClass", "storage.k8s.io"),
        ("pc", "PriorityClass", "scheduling.k8s.io"), ("netpol", "NetworkPolicy", "networking.k8s.io"),
        ("crd", "CustomResourceDefinition", "apiextensions.k8s.io"),
        ("crds", "CustomResourceDefinition", "apiextensions.k8s.io"),
        ("limits", "LimitRange", ""), ("quota", "ResourceQuota", ""), ("PODS", "Pod", ""),
        ("leases", "Lease", "coordination.k8s.io"), ("pdb", "PodDisruptionBudget", "policy"),
        ("ing", "Ingress", "networking.k8s.io"), ("jobs", "Job", "batch"),
        ("clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io"),
        ("endpointslices", "EndpointSlice", "discovery.k8s.io"),
    ]])
def test_lookup(name, kind, group):
    info = SCHEME.lookup(name)
    assert (info.kind, info.group) == (kind, group)


def test_lookup_of_an_unknown_name_says_what_kubectl_says():
    with pytest.raises(KeyError) as e:
        SCHEME.lookup("foo")
    assert e.value.args[0] == 'the server doesn\'t have a resource type "foo"'


@pytest.mark.parametrize("api_version, kind, resource, namespaced", [
    pytest.param("v1", "Pod", "pods", True, id="pods are namespaced core resources"),
    pytest.param("v1", "Node", "nodes", False, id="nodes are cluster scoped"),
    pytest.param("apps/v1", "Deployment", "deployments", True, id="deployments live in apps/v1"),
    pytest.param("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True,
                 id="autoscaling v2 is the preferred HPA version"),
    pytest.param("autoscaling/v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True,
                 id="autoscaling v1 is still served for HPA"),
    pytest.param("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False,
                 id="cluster roles are cluster scoped"),
])
def test_by_kind(api_version, kind, resource, namespaced):
    info = SCHEME.by_kind(api_version, kind)
    assert (info.resource, info.namespaced) == (resource, namespaced)


@pytest.mark.parametrize("api_version, kind", [
    pytest.param("batch/v1beta1", "CronJob", id="batch v1beta1 CronJob was removed in 1.25"),
    pytest.param("policy/v1beta1", "PodDisruptionBudget", id="policy v1beta1 PDB was removed in 1.25"),
    pytest.param("v1", "Foo", id="an unknown kind"),
    pytest.param("apps/v1", "Pod", id="a kind in the wrong group"),
])
def test_by_kind_rejects(api_version, kind):
    with pytest.raises(StatusError) as e:
        SCHEME.by_kind(api_version, kind)
    assert (e.value.code, e.value.reason) == (404, "NotFound")
    assert str(e.value) == f'no matches for kind "{kind}" in version "{api_version}"'


def test_resource_info_names():
    d = SCHEME.by_kind("apps/v1", "Deployment")
    assert (d.api_version, d.qualified_resource, d.qualified_kind, d.list_kind) == (
        "apps/v1", "deployments.apps", "Deployment.apps", "DeploymentList")
    p = SCHEME.by_kind("v1", "Pod")
    assert (p.api_version, p.qualified_resource, p.qualified_kind, p.list_kind) == (
        "v1", "pods", "Pod", "PodList")
    assert {"status", "binding", "eviction", "log"} <= set(p.subresources)
    assert "all" in p.categories and "scale" in d.subresources


def test_all_is_stable_and_by_resource_agrees():
    assert [i.kind for i in SCHEME.all()] == [i.kind for i in SCHEME.all()]
    for info in SCHEME.all():
        assert SCHEME.by_resource(info.group, info.resource) is info
        assert SCHEME.by_kind(info.api_version, info.kind) is info


def test_register_a_crd_makes_its_kind_known():
    crd = yaml.safe_load(open(f"{MANIFESTS}/website/customresourcedefinition/shirt-resource-definition.yaml"))
    scheme = Scheme(SCHEME.all())
    for info in resource_info_from_crd(crd):
        scheme.register(info)
    shirt = scheme.by_kind("stable.example.com/v1", "Shirt")
    assert (shirt.resource, shirt.namespaced) == ("shirts", True)
    assert scheme.lookup("shirts.stable.example.com") is shirt
    with pytest.raises(StatusError):
        SCHEME.by_kind("stable.example.com/v1", "Shirt")


def _docs():
    for path in sorted(glob.glob(f"{MANIFESTS}/**/*", recursive=True)):
        if path.endswith((".yaml", ".yml", ".json")):
            with open(path) as f:
                for i, doc in enumerate(d for d in yaml.safe_load_all(f) if d is not None):
                    yield os.path.relpath(path, MANIFESTS), i, doc


# Documents the server must refuse: kinds from removed versions and a CRD's objects
# before the CRD is registered.
UNSERVED = {
    ("examples/_archived/cockroachdb/cockroachdb-statefulset.yaml", 2),   # policy/v1beta1 PDB
    ("website/application/job/cronjob.yaml", 0),                          # batch/v1beta1 CronJob
    ("website/customresourcedefinition/shirt-resources.yaml", 0),
    ("website/customresourcedefinition/shirt-resources.yaml", 1),
    ("website/customresourcedefinition/shirt-resources.yaml", 2),
}


@pytest.mark.parametrize("path, index, doc", [
    pytest.param(p, i, d, id=f"{p} document {i} ({d.get('apiVersion')} {d.get('kind')})")
    for p, i, d in _docs()])
def test_every_manifest_maps_or_is_refused(path, index, doc):
    if (path, index) in UNSERVED:
        with pytest.raises(StatusError) as e:
            SCHEME.by_kind(doc["apiVersion"], doc["kind"])
        assert str(e.value) == f'no matches for kind "{doc["kind"]}" in version "{doc["apiVersion"]}"'
    else:
        info = SCHEME.by_kind(doc["apiVersion"], doc["kind"])
        assert isinstance(info, ResourceInfo) and info.kind == doc["kind"]
