"""The PersistentVolume binder and the local-path provisioner.

The matching rules are checked on their own against upstream's index_test.go tables; the controller
on the public Cluster surface, in virtual time: static binding, pre-binding in both directions,
reclaiming (Retain, Delete), dynamic provisioning, WaitForFirstConsumer.
"""
from __future__ import annotations

import copy

import pytest

from k8slite import Cluster
from k8slite.api.scheme import SCHEME
from k8slite.apiserver.tables import to_table
from k8slite.controllers.persistentvolume import (PersistentVolumeController, PersistentVolumeOrderedIndex,
                                                  check_node_affinity, check_volume_satisfy_claim,
                                                  find_matching_volume, get_default_class)

RWO, ROX, RWX = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"


# -- matching, without a cluster (index_test.go) ---------------------------------------------------------
def volume(name, size, modes, labels=None, cls=None, claim_ref=None, phase="Available", **spec):
    meta = {"name": name, **({"labels": labels} if labels else {})}
    if cls is not None:
        meta["annotations"] = {"volume.beta.kubernetes.io/storage-class": cls}
    body = {"capacity": {"storage": size}, "accessModes": list(modes), "volumeMode": "Filesystem", **spec}
    if claim_ref is not None:
        body["claimRef"] = claim_ref
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": meta, "spec": body,
            "status": {"phase": phase}}


def claim(size, modes=(ROX, RWO), selector=None, cls=None, name="claim01", uid="uid-claim01"):
    meta = {"name": name, "namespace": "myns", "uid": uid}
    if cls is not None:
        meta["annotations"] = {"volume.beta.kubernetes.io/storage-class": cls}
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, "volumeMode": "Filesystem"}
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}


def make_test_volumes():
    """createTestVolumes, deliberately out of order; names stand for upstream's UIDs."""
    return [
        volume("gce-pd-10", "10G", (RWO, ROX)),
        volume("gce-pd-20", "20G", (RWO, ROX), claim_ref={"uid": "def456"}),
        volume("nfs-5", "5G", (RWO, ROX, RWX)),
        volume("gce-pd-1", "1G", (RWO, ROX), claim_ref={"uid": "abc123"}),
        volume("nfs-10", "10G", (RWO, ROX, RWX)),
        volume("gce-pd-5", "5G", (RWO, ROX)),
        volume("nfs-1", "1G", (RWO, ROX, RWX)),
        volume("gce-pd-2", "20000G", (RWO,), labels={"should-exist": "true"}),
        volume("gce-pd-silver1", "10000G", (RWO,), labels={"should-exist": "true"}, cls="silver"),
        volume("gce-pd-silver2", "100G", (RWO,), cls="silver"),
        volume("gce-pd-gold", "50G", (RWO,), cls="gold"),
        volume("local-pd-very-large", "200E", (RWO,), cls="large"),
        volume("local-pd-extremely-large", "800E", (RWO,), cls="extremely-large"),
    ]


def index_of(volumes):
    index = PersistentVolumeOrderedIndex()
    for v in volumes:
        index.store.put(v)
    return index


@pytest.mark.parametrize("pvc, expected", [
    (claim("8G"), "gce-pd-10"),
    (claim("5G", modes=(ROX, RWO, RWX)), "nfs-5"),
    (claim("1G"), "gce-pd-5"),
    (claim("999G"), None),
    (claim("999G", selector={"should-not-exist": "true"}), None),
    (claim("20000G", selector={"should-exist": "true"}), None),
    (claim("20000G", modes=(RWO,), selector={"should-exist": "true"}), "gce-pd-2"),
    (claim("1G", modes=(RWO,), selector={"should-exist": "true"}, cls="silver"), "gce-pd-silver1"),
    (claim("1G", modes=(RWO,), cls="silver"), "gce-pd-silver2"),
    (claim("1E", modes=(RWO,), cls="large"), "local-pd-very-large"),
    (claim("800E", modes=(RWO,), cls="extremely-large"), "local-pd-extremely-large"),
    (claim("950E", modes=(RWO,), cls="extremely-large"), None),
], ids=["the smallest volume with the claim's modes that fits is chosen (gce 10G for 8G)",
        "a claim for three modes only looks at volumes offering all three",
        "a volume already bound to another claim is skipped for the next size up",
        "nothing is big enough: no match",
        "a selector no volume's labels satisfy: no match",
        "the labelled volume is too small for the modes asked for: no match",
        "the selector and the size pick the one labelled 20000G volume",
        "class and selector together pick the labelled silver volume",
        "within a class the smallest volume wins",
        "very large sizes compare exactly",
        "an exabyte-scale claim matches the volume of exactly its size",
        "a claim larger than every volume of its class matches none"])
def test_find_best_match_for_claim(pvc, expected):
    found = index_of(make_test_volumes()).find_best_match_for_claim(pvc, False)
    assert (found["metadata"]["name"] if found else None) == expected


def test_the_fewest_extra_access_modes_win_and_requested_mode_order_does_not_matter():
    """TestFindingVolumeWithDifferentAccessModes."""
    gce, ebs = volume("gce", "10G", (RWO, ROX)), volume("ebs", "10G", (RWO,))
    nfs = volume("nfs", "10G", (RWO, ROX, RWX))
    index = index_of([gce, ebs, nfs])

    def best(*modes):
        return index.find_best_match_for_claim(claim("1G", modes=modes), False)["metadata"]["name"]
    assert best(RWO) == "ebs"
    assert best(RWO, ROX) == "gce"
    assert best(RWX, RWO, ROX) == "nfs"
    assert best(RWX) == "nfs"
    ebs["spec"]["claimRef"] = {}                 # the exact match is taken: the next level of modes
    index.store.put(ebs)
    assert best(RWO) == "gce"
    gce["spec"]["claimRef"] = {}
    index.store.put(gce)
    assert best(RWO) == "nfs"
    del gce["spec"]["claimRef"]
    index.store.put(gce)
    assert best(ROX) == "gce"


def test_a_volume_pre_bound_to_the_claim_wins_unless_it_is_too_small_or_lacks_the_mode():
    """TestFindingPreboundVolumes."""
    pvc = claim("1Gi", modes=(RWO,))
    ref = {"kind": "PersistentVolumeClaim", "namespace": "myns", "name": "claim01", "uid": "uid-claim01"}
    vols = {n: volume(n, s, (RWO,)) for n, s in (("pv1", "1Gi"), ("pv5", "5Gi"), ("pv8", "8Gi"), ("pvBadSize", "1Mi"))}
    vols["pvBadMode"] = volume("pvBadMode", "1Gi", (ROX,))

    def best(**refs):
        vs = copy.deepcopy(vols)
        for name, r in refs.items():
            vs[name]["spec"]["claimRef"] = r
        return index_of(vs.values()).find_best_match_for_claim(pvc, False)["metadata"]["name"]
    assert best() == "pv1"
    assert best(pv1={"name": "foo", "namespace": "bar"}) == "pv5"
    assert best(pv8=ref) == "pv8"
    assert best(pvBadSize=ref) == "pv1"
    assert best(pvBadMode=ref) == "pv1"


def test_a_delayed_claim_matches_only_pre_bound_volumes_and_the_scheduler_path_checks_node_affinity():
    pinned = volume("local", "5Gi", (RWO,), nodeAffinity={"required": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}})
    pvc = claim("1Gi", modes=(RWO,))
    assert find_matching_volume(pvc, [pinned], None, None, delay_binding=True) is None
    node1 = {"metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}}}
    node2 = {"metadata": {"name": "node-2", "labels": {"kubernetes.io/hostname": "node-2"}}}
    assert find_matching_volume(pvc, [pinned], node1, None, True)["metadata"]["name"] == "local"
    assert find_matching_volume(pvc, [pinned], node2, None, True) is None
    assert not check_node_affinity(pinned, {})


@pytest.mark.parametrize("vol, pvc, problem", [
    (volume("v", "1Gi", (RWO,)), claim("1Gi", modes=(RWO,)), ""),
    (volume("v", "1Gi", (RWO,)), claim("2Gi", modes=(RWO,)), "requested PV is too small"),
    (volume("v", "1Gi", (RWO,), cls="gold"), claim("1Gi", modes=(RWO,)), "storageClassName does not match"),
    (volume("v", "1Gi", (RWO,), volumeMode="Block"), claim("1Gi", modes=(RWO,)), "incompatible volumeMode"),
    (volume("v", "1Gi", (ROX,)), claim("1Gi", modes=(RWO,)), "incompatible accessMode"),
], ids=["a volume that fits", "too small", "another class", "Block for a Filesystem claim", "a missing access mode"])
def test_check_volume_satisfy_claim(vol, pvc, problem):
    assert check_volume_satisfy_claim(vol, pvc) == problem


def test_the_newest_default_class_wins_and_equal_ages_go_by_name():
    def sc(name, ts, default=True):
        ann = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
        return {"metadata": {"name": name, "creationTimestamp": ts, "annotations": ann}}
    def default(*classes):
        return get_default_class(list(classes))["metadata"]["name"]
    assert default(sc("a", "2024-01-01T00:00:01Z"), sc("b", "2024-01-01T00:00:02Z")) == "b"
    assert default(sc("z", "2024-01-01T00:00:02Z"), sc("y", "2024-01-01T00:00:02Z")) == "y"
    assert get_default_class([sc("a", "2024-01-01T00:00:09Z", default=False)]) is None


# -- the controller on a cluster -------------------------------------------------------------------------
PV = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: %(name)s%(labels)s}
spec:
  capacity: {storage: %(size)s}
  accessModes: [%(modes)s]
  persistentVolumeReclaimPolicy: %(policy)s
  %(source)s%(extra)s
"""
PVC = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: %(name)s}
spec:
  accessModes: [%(modes)s]
  resources: {requests: {storage: %(size)s}}%(extra)s
"""
LOCAL_PATH = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: %(name)s
  annotations: {storageclass.kubernetes.io/is-default-class: "%(default)s"}
provisioner: rancher.io/local-path
volumeBindingMode: %(mode)s
reclaimPolicy: Delete
"""
POD = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s}
spec:
  containers: [{name: app, image: nginx}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: %(claim)s}}]
"""


def pv(name, size, modes="ReadWriteOnce", policy="Retain", labels="", source="hostPath: {path: /tmp/%(name)s}",
       extra=""):
    return PV % {"name": name, "size": size, "modes": modes, "policy": policy, "labels": labels,
                 "source": source % {"name": name}, "extra": extra}


def pvc(name, size, modes="ReadWriteOnce", extra=""):
    return PVC % {"name": name, "size": size, "modes": modes, "extra": extra}


def obj(c, resource, name, namespace="default"):
    for o in c.objects(resource, None if resource == "persistentvolumes" else namespace):
        if o["metadata"]["name"] == name:
            return o
    return None


def phase(c, resource, name):
    o = obj(c, resource, name)
    return None if o is None else (o.get("status") or {}).get("phase")


def events(c, name):
    """(reason, message) of the events about an object, oldest first."""
    evs = [e for e in c.objects("events", "default") if e["involvedObject"]["name"] == name]
    return [(e["reason"], e["message"]) for e in sorted(evs, key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))]


def rows(c, resource):
    """The API server's Table for ``kubectl get``: header, then one dict per row."""
    info = SCHEME.lookup(resource)
    table = to_table(info, sorted(c.objects(resource), key=lambda o: o["metadata"]["name"]), c.now)
    names = [col["name"].upper() for col in table["columnDefinitions"]]
    return [dict(zip(names, r["cells"])) for r in table["rows"]]


@pytest.fixture
def c():
    return Cluster.up(nodes=2, seed=1)


def test_a_claim_binds_the_smallest_volume_that_fits_and_both_sides_say_so(c):
    c.kubectl.apply(pv("big", "5Gi") + "---" + pv("small", "1Gi") + "---" + pv("tiny", "100Mi"))
    c.run_until(lambda: phase(c, "persistentvolumes", "tiny") == "Available", limit=10, step=0.1)
    c.kubectl.apply(pvc("data", "500Mi"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=10, step=0.1)
    claim_obj, vol = obj(c, "persistentvolumeclaims", "data"), obj(c, "persistentvolumes", "small")
    assert claim_obj["spec"]["volumeName"] == "small"
    assert claim_obj["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    assert claim_obj["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert claim_obj["status"] == {"phase": "Bound", "accessModes": [RWO], "capacity": {"storage": "1Gi"}}
    assert vol["spec"]["claimRef"]["uid"] == claim_obj["metadata"]["uid"]
    assert vol["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    table = {r["NAME"]: r for r in rows(c, "pv")}
    assert (table["small"]["STATUS"], table["small"]["CLAIM"]) == ("Bound", "default/data")
    assert (table["big"]["STATUS"], table["big"]["CLAIM"]) == ("Available", "")
    assert [(r["NAME"], r["STATUS"], r["VOLUME"], r["CAPACITY"], r["ACCESS MODES"]) for r in rows(c, "pvc")] == \
        [("data", "Bound", "small", "1Gi", "RWO")]


def test_a_claim_nothing_fits_stays_pending_and_says_why(c):
    c.kubectl.apply(pv("small", "1Gi") + "---" + pv("rox", "10Gi", modes="ReadOnlyMany") + "---" +
                    pv("gold", "10Gi", extra="\n  storageClassName: gold"))
    c.kubectl.apply(pvc("big", "5Gi") + "---" + pvc("golden", "1Gi", extra="\n  storageClassName: gold-fast"))
    c.run(20)
    assert phase(c, "persistentvolumeclaims", "big") == "Pending"
    assert ("FailedBinding", "no persistent volumes available for this claim and no storage class is set") \
        in events(c, "big")
    # a class that does not exist is asked to provision, and cannot
    assert obj(c, "persistentvolumeclaims", "golden")["spec"].get("volumeName") is None
    assert ("ProvisioningFailed", 'storageclass.storage.k8s.io "gold-fast" not found') in events(c, "golden")
    assert {r["NAME"]: r["STATUS"] for r in rows(c, "pv")} == {"small": "Available", "rox": "Available",
                                                               "gold": "Available"}


def test_a_selector_takes_the_labelled_volume_over_a_smaller_one(c):
    c.kubectl.apply(pv("plain", "1Gi") + "---" + pv("fast", "2Gi", labels=", labels: {tier: fast}"))
    c.kubectl.apply(pvc("data", "1Gi", extra="\n  selector: {matchLabels: {tier: fast}}"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=20, step=0.5)
    assert obj(c, "persistentvolumeclaims", "data")["spec"]["volumeName"] == "fast"
    assert phase(c, "persistentvolumes", "plain") == "Available"


def test_a_volume_pre_bound_to_a_claim_waits_for_it_and_no_other_claim_takes_it(c):
    c.kubectl.apply(pv("reserved", "1Gi", extra="\n  claimRef: {namespace: default, name: mine}"))
    c.kubectl.apply(pvc("other", "1Gi"))
    c.run(20)
    assert phase(c, "persistentvolumes", "reserved") == "Available"
    assert phase(c, "persistentvolumeclaims", "other") == "Pending"
    c.kubectl.apply(pv("bigger", "5Gi") + "---" + pvc("mine", "1Gi"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "mine") == "Bound", limit=20, step=0.5)
    mine, reserved = obj(c, "persistentvolumeclaims", "mine"), obj(c, "persistentvolumes", "reserved")
    assert mine["spec"]["volumeName"] == "reserved"
    assert reserved["spec"]["claimRef"]["uid"] == mine["metadata"]["uid"]
    # pre-bound by the user: the volume carries no bound-by-controller annotation, the claim does
    assert "pv.kubernetes.io/bound-by-controller" not in (reserved["metadata"].get("annotations") or {})
    assert mine["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "other") == "Bound", limit=20, step=0.5)
    assert obj(c, "persistentvolumeclaims", "other")["spec"]["volumeName"] == "bigger"


def test_a_claim_naming_its_volume_binds_it_and_a_mismatch_or_a_taken_volume_is_refused(c):
    c.kubectl.apply(pv("named", "1Gi") + "---" + pv("gold", "1Gi", extra="\n  storageClassName: gold"))
    c.kubectl.apply(pvc("wants-named", "1Gi", extra="\n  volumeName: named\n  storageClassName: ''"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "wants-named") == "Bound", limit=20, step=0.5)
    claim_obj = obj(c, "persistentvolumeclaims", "wants-named")
    assert "pv.kubernetes.io/bound-by-controller" not in claim_obj["metadata"]["annotations"]   # the user bound it
    assert obj(c, "persistentvolumes", "named")["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] \
        == "yes"
    c.kubectl.apply(pvc("wants-gold", "1Gi", extra="\n  volumeName: gold\n  storageClassName: ''") + "---" +
                    pvc("wants-taken", "1Gi", extra="\n  volumeName: named\n  storageClassName: ''"))
    c.run(20)
    assert phase(c, "persistentvolumeclaims", "wants-gold") == "Pending"
    assert ("VolumeMismatch", 'Cannot bind to requested volume "gold": storageClassName does not match') \
        in events(c, "wants-gold")
    assert phase(c, "persistentvolumeclaims", "wants-taken") == "Pending"
    assert ("FailedBinding", 'volume "named" already bound to a different claim.') in events(c, "wants-taken")


def test_retain_leaves_a_released_volume_that_no_new_claim_binds(c):
    c.kubectl.apply(pv("kept", "1Gi", policy="Retain") + "---" + pvc("data", "1Gi"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=20, step=0.5)
    c.kubectl("delete pvc data")
    c.run_until(lambda: phase(c, "persistentvolumes", "kept") == "Released", limit=20, step=0.5)
    assert {r["NAME"]: (r["STATUS"], r["CLAIM"]) for r in rows(c, "pv")} == {"kept": ("Released", "default/data")}
    c.kubectl.apply(pvc("data", "1Gi"))          # same name, new uid: the old claimRef does not fit it
    c.run(30)
    assert phase(c, "persistentvolumeclaims", "data") == "Pending"
    assert phase(c, "persistentvolumes", "kept") == "Released"


def test_a_claim_whose_volume_is_deleted_is_lost(c):
    c.kubectl.apply(pv("gone", "1Gi") + "---" + pvc("data", "1Gi"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=20, step=0.5)
    c.kubectl("delete pv gone --wait=false")
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Lost", limit=20, step=0.5)
    c.run(1)
    assert ("ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!") \
        in events(c, "data")


def test_delete_removes_a_tmp_host_path_volume_and_fails_where_no_plugin_can_delete(c):
    c.kubectl.apply(pv("scratch", "1Gi", policy="Delete") + "---" +
                    pv("share", "2Gi", policy="Delete", source="nfs: {server: nfs.example, path: /exports}") + "---" +
                    pvc("a", "1Gi") + "---" + pvc("b", "2Gi"))
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "a") == "Bound" and
                phase(c, "persistentvolumeclaims", "b") == "Bound", limit=20, step=0.5)
    c.kubectl("delete pvc a b")
    c.run_until(lambda: obj(c, "persistentvolumes", "scratch") is None, limit=20, step=0.5)
    c.run_until(lambda: phase(c, "persistentvolumes", "share") == "Failed", limit=20, step=0.5)
    c.run(1)
    message = 'error getting deleter volume plugin for volume "share": no deletable volume plugin matched'
    assert obj(c, "persistentvolumes", "share")["status"]["message"] == message
    assert ("VolumeFailedDelete", message) in events(c, "share")


def test_wait_for_first_consumer_provisions_on_the_pods_node_once_it_is_scheduled(c):
    c.kubectl.apply(LOCAL_PATH % {"name": "standard", "default": "true", "mode": "WaitForFirstConsumer"})
    c.kubectl.apply(pvc("data", "128Mi"))
    c.run(30)
    claim_obj = obj(c, "persistentvolumeclaims", "data")
    assert claim_obj["spec"]["storageClassName"] == "standard"       # the default class, assigned
    assert claim_obj["status"]["phase"] == "Pending" and c.objects("persistentvolumes") == []
    assert set(events(c, "data")) == {("WaitForFirstConsumer",
                                       "waiting for first consumer to be created before binding")}
    c.kubectl.apply(POD % {"name": "user", "claim": "data"})
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=30, step=0.5)
    claim_obj = obj(c, "persistentvolumeclaims", "data")
    node = obj(c, "pods", "user")["spec"]["nodeName"]
    uid = claim_obj["metadata"]["uid"]
    assert claim_obj["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == node
    assert claim_obj["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    assert claim_obj["spec"]["volumeName"] == f"pvc-{uid}"
    vol = obj(c, "persistentvolumes", f"pvc-{uid}")
    assert vol["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "rancher.io/local-path"
    assert vol["spec"]["hostPath"]["path"] == f"/opt/local-path-provisioner/pvc-{uid}_default_data"
    term = vol["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert (term["key"], term["values"]) == ("kubernetes.io/hostname", [node])
    assert (vol["spec"]["persistentVolumeReclaimPolicy"], vol["spec"]["storageClassName"]) == ("Delete", "standard")
    reasons = [r for r, _ in events(c, "data")]
    assert reasons.index("ExternalProvisioning") < reasons.index("Provisioning") < \
        reasons.index("ProvisioningSucceeded")
    assert ("ProvisioningSucceeded", f"Successfully provisioned volume pvc-{uid}") in events(c, "data")
    assert [(r["NAME"], r["STATUS"], r["CLAIM"], r["STORAGECLASS"]) for r in rows(c, "pv")] == \
        [(f"pvc-{uid}", "Bound", "default/data", "standard")]
    c.kubectl("delete pod user --grace-period=0")
    c.kubectl("delete pvc data")
    c.run_until(lambda: not c.objects("persistentvolumes"), limit=30, step=0.5)     # reclaim policy Delete


def test_a_pod_waiting_to_be_scheduled_is_named_in_the_event(c):
    c.kubectl.apply(LOCAL_PATH % {"name": "standard", "default": "false", "mode": "WaitForFirstConsumer"})
    c.kubectl.apply(pvc("data", "1Gi", extra="\n  storageClassName: standard"))
    unschedulable = POD.replace("spec:\n", "spec:\n  nodeSelector: {disk: none}\n")
    c.kubectl.apply(unschedulable % {"name": "stuck", "claim": "data"})
    c.run(20)
    assert ("WaitForPodScheduled", "waiting for pod stuck to be scheduled") in events(c, "data")
    assert phase(c, "persistentvolumeclaims", "data") == "Pending"


def test_local_path_refuses_an_immediate_class_it_cannot_place_on_a_node(c):
    c.kubectl.apply(LOCAL_PATH % {"name": "now", "default": "false", "mode": "Immediate"})
    c.kubectl.apply(pvc("data", "1Gi", extra="\n  storageClassName: now"))
    c.run(20)
    assert phase(c, "persistentvolumeclaims", "data") != "Bound" and c.objects("persistentvolumes") == []
    assert ("ProvisioningFailed", 'failed to provision volume with StorageClass "now": '
                                  'configuration error, no node was specified') in events(c, "data")


def test_a_static_volume_is_bound_on_the_scheduled_pods_node_for_a_delayed_claim(c):
    c.kubectl.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
""")
    affinity = ("\n  storageClassName: local\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: "
                "[{key: kubernetes.io/hostname, operator: In, values: [%s]}]}]}}")
    c.kubectl.apply(pv("on-1", "1Gi", source="local: {path: /mnt/disk}", extra=affinity % "node-1") + "---" +
                    pv("on-2", "1Gi", source="local: {path: /mnt/disk}", extra=affinity % "node-2"))
    c.kubectl.apply(pvc("data", "1Gi", extra="\n  storageClassName: local"))
    c.run(20)
    assert phase(c, "persistentvolumeclaims", "data") == "Pending"     # nothing binds before a consumer
    c.kubectl.apply(POD % {"name": "user", "claim": "data"})
    c.run_until(lambda: phase(c, "persistentvolumeclaims", "data") == "Bound", limit=30, step=0.5)
    node = obj(c, "pods", "user")["spec"]["nodeName"]
    assert obj(c, "persistentvolumeclaims", "data")["spec"]["volumeName"] == "on-" + node.rsplit("-", 1)[1]


def test_the_same_seed_gives_the_same_binding_story():
    def story():
        c = Cluster.up(nodes=2, seed=4)
        c.kubectl.apply(LOCAL_PATH % {"name": "standard", "default": "true", "mode": "WaitForFirstConsumer"})
        c.kubectl.apply(pvc("data", "128Mi") + "---" + POD % {"name": "user", "claim": "data"})
        c.run(30)
        return [(e["lastTimestamp"], e["source"]["component"], e["reason"], e["message"])
                for e in sorted(c.objects("events", "default"), key=lambda e: e["metadata"]["name"])
                if e["involvedObject"]["kind"] in ("PersistentVolumeClaim", "PersistentVolume")]
    first = story()
    assert first == story() and any(r == "ProvisioningSucceeded" for _, _, r, _ in first)


def test_the_controller_manager_runs_the_binder():
    assert isinstance(Cluster.up(nodes=1, seed=2).controller_manager.controllers["persistentvolume-binder"],
                      PersistentVolumeController)
