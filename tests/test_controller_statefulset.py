"""The StatefulSet controller on the public Cluster surface, in virtual time: ordered and parallel
start, reverse-order scale down, per-ordinal claims and their retention policy, partitioned and
OnDelete updates, maxUnavailable behind its gate, revision history, and a controller-manager crash
in the middle of a rollout; then the ControllerRevision helpers on their own."""
from __future__ import annotations

import copy

import pytest
import yaml

from k8slite import Cluster
from k8slite.api import errors
from k8slite.api.defaults import apply_defaults
from k8slite.api.meta import controller_of
from k8slite.api.scheme import SCHEME
from k8slite.controllers import history, statefulset
from k8slite.kubelet.kubelet import Kubelet

STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: %(replicas)d
  podManagementPolicy: %(policy)s
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "%(image)s", volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""
SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec: {clusterIP: None, selector: {app: nginx}, ports: [{port: 80, name: web}]}
"""


@pytest.fixture(autouse=True)
def kubelet_keeps_a_replacement_pod(monkeypatch):
    """Work around a kubelet bug these tests trip over: its pod workers are keyed by namespace/name,
    so when a StatefulSet's replacement pod (same name, new uid) lands on the node while the old
    pod's worker is finishing, the worker drops the new pod and it stays Pending for ever. Upstream
    keys pod workers by uid. The wrapper reports "not done" when a newer pod already holds the name,
    so the worker goes on to sync it. (It hit a rolling update of this file with seed 13 before the
    kubelet's timing changed; it is a race, so no test here reproduces it reliably.) Remove this once
    k8slite/kubelet/kubelet.py keeps pods by uid."""
    original = Kubelet.sync_pod

    async def sync_pod(self, pod):
        done = await original(self, pod)
        newer = self.pods.get(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
        return done and (newer is None or newer["metadata"]["uid"] == pod["metadata"]["uid"])

    monkeypatch.setattr(Kubelet, "sync_pod", sync_pod)


def manifest(replicas=3, policy="OrderedReady", image="nginx:1.25", **spec) -> dict:
    obj = yaml.safe_load(STS % {"replicas": replicas, "policy": policy, "image": image})
    obj["spec"].update(spec)
    return obj


def pods(c) -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in c.objects("pods", "default") if p["metadata"]["name"].startswith("web-")}


def claims(c) -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in c.objects("persistentvolumeclaims", "default")}


def sts(c) -> dict:
    return next(s for s in c.objects("statefulsets", "default") if s["metadata"]["name"] == "web")


def ready(pod: dict) -> bool:
    return pod["status"].get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp") and any(
        cond["type"] == "Ready" and cond["status"] == "True" for cond in pod["status"].get("conditions") or ())


def revision(pod: dict) -> str:
    return pod["metadata"]["labels"]["controller-revision-hash"]


def settled(c, replicas: int) -> bool:
    """Every ordinal Ready, no other pod, and the status has caught up with a finished rollout."""
    ps, status = pods(c), sts(c).get("status") or {}
    return sorted(ps) == [f"web-{i}" for i in range(replicas)] and all(map(ready, ps.values())) and \
        status.get("readyReplicas", 0) == replicas and status.get("updatedReplicas", 0) == replicas and \
        status.get("currentRevision") == status.get("updateRevision") and \
        status.get("observedGeneration") == sts(c)["metadata"]["generation"]


def events(c, reason: str = "") -> list[str]:
    """The StatefulSet's events in the order the recorder wrote them."""
    evs = [e for e in c.objects("events", "default") if e["involvedObject"]["kind"] == "StatefulSet"
           and (not reason or e["reason"] == reason)]
    evs.sort(key=lambda e: int(e["metadata"]["name"].rsplit(".", 1)[1], 16))
    return [e["message"] for e in evs]


def up(seed=1, replicas=3, policy="OrderedReady", **spec) -> Cluster:
    c = Cluster.up(nodes=2, seed=seed)
    c.kubectl.apply(SERVICE)
    c.kubectl.apply(manifest(replicas, policy, **spec))
    c.run_until(lambda: settled(c, replicas), limit=60, step=0.25)
    return c


def apply(c, obj: dict) -> None:
    result = c.kubectl.apply(obj)
    assert result.exit_code == 0, result.stderr


class Watcher:
    """Samples the pods every ``step`` virtual seconds: when each name appeared, became Ready,
    started terminating and disappeared (first time only, per pod uid)."""

    def __init__(self, c):
        self.c, self.seen, self.rows = c, {}, []

    def __call__(self) -> None:
        now, current = self.c.now, pods(self.c)
        for name, pod in current.items():
            key = (name, pod["metadata"]["uid"])
            row = self.seen.setdefault(key, {"name": name, "uid": key[1], "revision": revision(pod), "created": now})
            if ready(pod):
                row.setdefault("ready", now)
            if pod["metadata"].get("deletionTimestamp"):
                row.setdefault("terminating", now)
        live = {(n, p["metadata"]["uid"]) for n, p in current.items()}
        for key, row in self.seen.items():
            if key not in live:
                row.setdefault("gone", now)
        self.rows.append((now, sorted(current), sum(1 for p in current.values() if ready(p))))

    def run_until(self, predicate, limit=60.0, step=0.02) -> None:
        def check():
            self()
            return predicate()
        self.c.run_until(check, limit=limit, step=step)

    def life(self, name: str, uid_index: int = 0) -> dict:
        """One pod's timeline; ``ended``: when it was first seen terminating, or gone."""
        row = [r for r in self.seen.values() if r["name"] == name][uid_index]
        ends = [row[k] for k in ("terminating", "gone") if k in row]
        return {**row, "ended": min(ends)} if ends else row


# ---- creation ----------------------------------------------------------------------------

def test_ordered_ready_creates_each_pod_only_after_the_previous_is_running_and_ready():
    c = Cluster.up(nodes=2, seed=1)
    c.kubectl.apply(SERVICE)
    c.kubectl.apply(manifest(3))
    w = Watcher(c)
    w.run_until(lambda: settled(c, 3))
    web0, web1, web2 = (w.life(f"web-{i}") for i in range(3))
    assert web0["ready"] <= web1["created"] and web1["ready"] <= web2["created"]
    assert web0["created"] < web1["created"] < web2["created"]
    assert all(count <= 3 for _, names, count in w.rows)
    # a new pod waits for its predecessor: never two not-ready pods at once
    assert all(len(names) - count <= 1 for _, names, count in w.rows)
    # the claim is created before its pod, and each is announced with the upstream wording
    assert events(c, "SuccessfulCreate") == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
        "create Claim www-web-2 Pod web-2 in StatefulSet web success",
        "create Pod web-2 in StatefulSet web successful"]
    assert "StatefulSet is waiting for Pod to be Running and Ready" in \
        "\n".join(c.controller_manager.controllers["statefulset"].log)


def test_min_ready_seconds_holds_the_next_pod_until_the_previous_has_been_ready_that_long():
    c = Cluster.up(nodes=2, seed=14)
    c.kubectl.apply(manifest(2, minReadySeconds=5))
    w = Watcher(c)
    seen = []
    w.run_until(lambda: seen.append(dict(sts(c).get("status") or {})) or settled(c, 2) and
                sts(c)["status"]["availableReplicas"] == 2, step=0.1)
    web0, web1 = w.life("web-0"), w.life("web-1")
    assert web1["created"] - web0["ready"] >= 5
    assert any(s.get("readyReplicas") == 1 and s["availableReplicas"] == 0 for s in seen)


def test_pods_carry_the_stateful_identity_storage_and_owner():
    c = up()
    s = sts(c)
    for i, (name, pod) in enumerate(sorted(pods(c).items())):
        meta, spec = pod["metadata"], pod["spec"]
        assert name == f"web-{i}" and meta["generateName"] == "web-"
        assert meta["labels"] == {"app": "nginx", "statefulset.kubernetes.io/pod-name": name,
                                  "apps.kubernetes.io/pod-index": str(i),
                                  "controller-revision-hash": s["status"]["currentRevision"]}
        assert spec["hostname"] == name and spec["subdomain"] == "nginx"
        assert {"name": "www", "persistentVolumeClaim": {"claimName": f"www-web-{i}"}} in spec["volumes"]
        [ref] = meta["ownerReferences"]
        assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == ("StatefulSet", "web",
                                                                               s["metadata"]["uid"], True)
    pvc = claims(c)["www-web-1"]
    assert pvc["metadata"]["labels"] == {"app": "nginx"} and "ownerReferences" not in pvc["metadata"]
    assert pvc["spec"]["resources"] == {"requests": {"storage": "1Gi"}}
    assert s["status"] == {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3,
                           "updatedReplicas": 3, "currentRevision": s["status"]["currentRevision"],
                           "updateRevision": s["status"]["currentRevision"], "collisionCount": 0,
                           "availableReplicas": 3}
    [cr] = c.objects("controllerrevisions", "default")
    assert cr["metadata"]["name"] == s["status"]["currentRevision"] and cr["revision"] == 1
    assert cr["metadata"]["name"] == "web-" + cr["metadata"]["labels"][history.CONTROLLER_REVISION_HASH_LABEL]
    assert cr["data"]["spec"]["template"]["$patch"] == "replace"
    out = str(c.kubectl("get sts web"))
    assert out.splitlines()[1].split()[:2] == ["web", "3/3"]


def test_parallel_creates_every_pod_at_once_and_deletes_at_once():
    c = Cluster.up(nodes=2, seed=2)
    c.kubectl.apply(manifest(3, "Parallel"))
    w = Watcher(c)
    w.run_until(lambda: settled(c, 3))
    created = [w.life(f"web-{i}")["created"] for i in range(3)]
    assert created[0] == created[1] == created[2]
    assert any(len(names) == 3 and count == 0 for _, names, count in w.rows)
    c.kubectl("scale sts web --replicas=0")
    w.run_until(lambda: not pods(c))
    lives = [w.life(f"web-{i}") for i in range(3)]
    assert max(life["ended"] for life in lives) <= min(life["gone"] for life in lives)   # nobody waits its turn


# ---- scaling -----------------------------------------------------------------------------

def test_scale_down_goes_in_reverse_order_one_at_a_time_and_claims_are_reused_on_scale_up():
    c = up()
    before = {name: pvc["metadata"]["uid"] for name, pvc in claims(c).items()}
    assert sorted(before) == ["www-web-0", "www-web-1", "www-web-2"]
    out = c.kubectl("scale sts web --replicas=1")
    assert out.exit_code == 0, out.stderr
    w = Watcher(c)
    w.run_until(lambda: settled(c, 1))
    web1, web2 = w.life("web-1"), w.life("web-2")
    assert web2["gone"] <= web1["ended"]
    assert events(c, "SuccessfulDelete") == ["delete Pod web-2 in StatefulSet web successful",
                                             "delete Pod web-1 in StatefulSet web successful"]
    assert {n: p["metadata"]["uid"] for n, p in claims(c).items()} == before      # whenScaled: Retain
    c.kubectl("scale sts web --replicas=3")
    c.run_until(lambda: settled(c, 3), limit=60, step=0.25)
    assert {n: p["metadata"]["uid"] for n, p in claims(c).items()} == before
    assert events(c, "SuccessfulCreate")[-2:] == ["create Pod web-1 in StatefulSet web successful",
                                                  "create Pod web-2 in StatefulSet web successful"]


def test_retention_policy_delete_removes_scaled_down_claims_and_then_all_with_the_set():
    policy = {"whenScaled": "Delete", "whenDeleted": "Delete"}
    c = up(seed=3, persistentVolumeClaimRetentionPolicy=policy)
    s = sts(c)
    for pvc in claims(c).values():            # in range, whenDeleted=Delete: owned by the set
        assert [(r["kind"], r["uid"]) for r in pvc["metadata"]["ownerReferences"]] == [
            ("StatefulSet", s["metadata"]["uid"])]
        assert "controller" not in pvc["metadata"]["ownerReferences"][0]
    kept = claims(c)["www-web-0"]["metadata"]["uid"]
    c.kubectl("scale sts web --replicas=1")
    c.run_until(lambda: settled(c, 1) and sorted(claims(c)) == ["www-web-0"], limit=90, step=0.25)
    c.kubectl("scale sts web --replicas=2")
    c.run_until(lambda: settled(c, 2), limit=60, step=0.25)
    assert sorted(claims(c)) == ["www-web-0", "www-web-1"] and claims(c)["www-web-0"]["metadata"]["uid"] == kept
    c.kubectl("delete sts web --wait=false")
    c.run_until(lambda: not pods(c) and not claims(c), limit=90, step=0.5)


def test_retention_policy_retain_on_delete_keeps_claims_after_the_set_is_gone():
    c = up(seed=4, replicas=2)
    c.kubectl("delete sts web --wait=false")
    c.run_until(lambda: not pods(c), limit=90, step=0.5)
    assert sorted(claims(c)) == ["www-web-0", "www-web-1"]


# ---- updates -----------------------------------------------------------------------------

def test_partitioned_rolling_update_keeps_ordinals_below_the_partition_then_finishes_from_the_top():
    c = up(seed=5)
    old = sts(c)["status"]["currentRevision"]
    apply(c, manifest(3, image="nginx:1.26", updateStrategy={"type": "RollingUpdate",
                                                              "rollingUpdate": {"partition": 2}}))
    c.run_until(lambda: revision(pods(c).get("web-2", pods(c)["web-0"])) != old and
                all(map(ready, pods(c).values())) and len(pods(c)) == 3 and
                sts(c)["status"].get("updatedReplicas") == 1, limit=60, step=0.25)
    c.run(20)
    ps, status = pods(c), sts(c)["status"]
    new = status["updateRevision"]
    assert new != old and status["currentRevision"] == old
    assert {n: revision(p) for n, p in ps.items()} == {"web-0": old, "web-1": old, "web-2": new}
    assert (status["currentReplicas"], status["updatedReplicas"]) == (2, 1)
    assert ps["web-2"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert ps["web-0"]["spec"]["containers"][0]["image"] == "nginx:1.25"

    apply(c, manifest(3, image="nginx:1.26", updateStrategy={"type": "RollingUpdate",
                                                              "rollingUpdate": {"partition": 0}}))
    w = Watcher(c)
    w.run_until(lambda: settled(c, 3))
    web0, web1 = w.life("web-0"), w.life("web-1")
    new_web1 = w.life("web-1", 1)
    assert web1["ended"] < web0["ended"]
    assert new_web1["ready"] <= web0["ended"]     # web-0 waits for the updated web-1 to be Ready
    assert {revision(p) for p in pods(c).values()} == {new}
    status = sts(c)["status"]
    assert status["currentRevision"] == status["updateRevision"] == new and status["currentReplicas"] == 3
    assert [cr["revision"] for cr in sorted(c.objects("controllerrevisions", "default"),
                                            key=lambda r: r["revision"])] == [1, 2]


def test_on_delete_replaces_a_pod_only_when_someone_deletes_it():
    c = up(seed=6, updateStrategy={"type": "OnDelete"})
    old = sts(c)["status"]["currentRevision"]
    uids = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
    apply(c, manifest(3, image="nginx:1.26", updateStrategy={"type": "OnDelete"}))
    c.run_until(lambda: sts(c)["status"]["updateRevision"] != old, limit=30, step=0.25)
    c.run(20)
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == uids
    assert {revision(p) for p in pods(c).values()} == {old}
    new = sts(c)["status"]["updateRevision"]
    c.kubectl("delete pod web-1 --wait=false")
    c.run_until(lambda: "web-1" in pods(c) and pods(c)["web-1"]["metadata"]["uid"] != uids["web-1"] and
                ready(pods(c)["web-1"]), limit=60, step=0.25)
    c.run(10)
    ps = pods(c)
    assert {n: revision(p) for n, p in ps.items()} == {"web-0": old, "web-1": new, "web-2": old}
    assert ps["web-0"]["metadata"]["uid"] == uids["web-0"] and ps["web-2"]["metadata"]["uid"] == uids["web-2"]
    status = sts(c)["status"]
    assert (status["currentRevision"], status["currentReplicas"], status["updatedReplicas"]) == (old, 2, 1)


@pytest.mark.parametrize("gate, most_at_once", [(False, 1), (True, 2)],
                         ids=["with the gate off (the v1.31 default) maxUnavailable is ignored: one at a time",
                              "with MaxUnavailableStatefulSet on, two pods are replaced at once"])
def test_max_unavailable_is_alpha_and_behind_its_gate(monkeypatch, gate, most_at_once):
    monkeypatch.setitem(statefulset.FEATURE_GATES, "MaxUnavailableStatefulSet", gate)
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}}
    c = up(seed=7, replicas=4, updateStrategy=strategy)
    old = sts(c)["status"]["currentRevision"]
    apply(c, manifest(4, image="nginx:1.26", updateStrategy=strategy))
    w = Watcher(c)
    w.run_until(lambda: settled(c, 4) and old not in {revision(p) for p in pods(c).values()})
    assert max(4 - count for _, names, count in w.rows) == most_at_once


def test_revision_history_is_trimmed_to_the_limit_and_a_rollback_renumbers_the_old_revision():
    c = up(seed=8, replicas=1, revisionHistoryLimit=1)
    for image in ("nginx:1.26", "nginx:1.27"):
        apply(c, manifest(1, image=image, revisionHistoryLimit=1))
        c.run_until(lambda: settled(c, 1) and pods(c)["web-0"]["spec"]["containers"][0]["image"] == image,
                    limit=60, step=0.25)
    c.run(2)
    revisions = sorted(c.objects("controllerrevisions", "default"), key=lambda r: r["revision"])
    assert [r["revision"] for r in revisions] == [2, 3]      # revision 1 trimmed: one beyond the live one
    by_number = {r["revision"]: r["metadata"]["name"] for r in revisions}
    apply(c, manifest(1, image="nginx:1.26", revisionHistoryLimit=1))      # back to revision 2's template
    c.run_until(lambda: settled(c, 1) and pods(c)["web-0"]["spec"]["containers"][0]["image"] == "nginx:1.26",
                limit=60, step=0.25)
    revisions = {r["metadata"]["name"]: r["revision"] for r in c.objects("controllerrevisions", "default")}
    assert revisions == {by_number[2]: 4, by_number[3]: 3}
    assert sts(c)["status"]["currentRevision"] == by_number[2]


def test_a_revision_name_taken_by_other_data_bumps_the_collision_count():
    c = up(seed=9, replicas=1)
    target = manifest(1, image="nginx:1.26")
    server_side = copy.deepcopy(sts(c))
    server_side["spec"]["template"] = apply_defaults(copy.deepcopy(target))["spec"]["template"]
    taken = statefulset.new_revision(server_side, 2, 0)["metadata"]["name"]
    squatter = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": taken, "labels": {"app": "other"}}, "data": {"other": True}, "revision": 1}
    c.kubectl.create(squatter)
    apply(c, target)
    c.run_until(lambda: settled(c, 1) and pods(c)["web-0"]["spec"]["containers"][0]["image"] == "nginx:1.26",
                limit=60, step=0.25)
    status = sts(c)["status"]
    assert status["collisionCount"] == 1
    assert status["currentRevision"] == statefulset.new_revision(server_side, 2, 1)["metadata"]["name"] != taken


def test_a_failed_pod_is_deleted_and_created_again():
    c = up(seed=10, replicas=2)
    pod = copy.deepcopy(pods(c)["web-0"])
    pod["status"]["phase"] = "Failed"
    c.kernel.run_until_complete(c.admin.update_status(SCHEME.by_resource("", "pods"), pod))
    c.run_until(lambda: "web-0" in pods(c) and pods(c)["web-0"]["metadata"]["uid"] != pod["metadata"]["uid"]
                and settled(c, 2), limit=60, step=0.25)
    assert "delete Pod web-0 in StatefulSet web successful" in events(c, "SuccessfulDelete")


def orphan_and_recreate(c, **spec) -> dict:
    uids = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
    c.kubectl("delete sts web --cascade=orphan --wait=false")
    c.run_until(lambda: all(not p["metadata"].get("ownerReferences") for p in pods(c).values()), limit=30, step=0.5)
    c.kubectl.apply(manifest(2, **spec))
    c.run_until(lambda: all(p["metadata"].get("ownerReferences") for p in pods(c).values()), limit=30, step=0.02)
    return uids


def test_orphaned_pods_and_revisions_are_adopted_by_a_new_set_with_the_same_selector():
    # OnDelete: adoption alone must not touch the pods, whatever the update strategy
    c = up(seed=12, replicas=2, updateStrategy={"type": "OnDelete"})
    uids = orphan_and_recreate(c, updateStrategy={"type": "OnDelete"})
    c.run(5)
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == uids
    for pod in pods(c).values():
        [ref] = pod["metadata"]["ownerReferences"]
        assert (ref["uid"], ref["controller"]) == (sts(c)["metadata"]["uid"], True)
    c.run_until(lambda: all(controller_of(cr) for cr in c.objects("controllerrevisions", "default")),
                limit=30, step=0.25)
    [cr] = [r for r in c.objects("controllerrevisions", "default") if r["revision"] == 1]
    assert controller_of(cr)["uid"] == sts(c)["metadata"]["uid"]


def test_an_adopted_set_keeps_its_pods():
    c = up(seed=12, replicas=2)
    uids = orphan_and_recreate(c)
    c.run_until(lambda: settled(c, 2), limit=60, step=0.25)
    c.run(10)
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == uids


# ---- crash -------------------------------------------------------------------------------

def test_a_controller_manager_crash_mid_rollout_loses_and_duplicates_no_pod():
    c = up(seed=13, replicas=3)
    old = sts(c)["status"]["currentRevision"]
    apply(c, manifest(3, image="nginx:1.26"))
    w = Watcher(c)
    # crash while the outdated web-1 is terminating: the controller has deleted it and not yet replaced it
    w.run_until(lambda: w.seen and "terminating" in w.life("web-1"), limit=60, step=0.001)
    c.crash("kube-controller-manager")
    c.run(5)
    assert sorted(pods(c)) == ["web-0", "web-2"]               # nothing recreates web-1 while it is down
    c.restart("kube-controller-manager")
    w.run_until(lambda: settled(c, 3) and {revision(p) for p in pods(c).values()} != {old}, limit=120, step=0.25)
    assert sorted(pods(c)) == ["web-0", "web-1", "web-2"]
    assert all(len(names) <= 3 and len(set(names)) == len(names) for _, names, _ in w.rows)
    assert {revision(p) for p in pods(c).values()} == {sts(c)["status"]["updateRevision"]}
    lives = sorted((r["name"], r["created"]) for r in w.seen.values())
    assert [name for name, _ in lives] == ["web-0", "web-0", "web-1", "web-1", "web-2", "web-2"]


# ---- history.py on its own ------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [(b"", 0x811C9DC5), (b"a", 0x050C5D7E), (b"foobar", 0x31F0B262)],
                         ids=["the offset basis for no bytes", "FNV-1 of 'a' (FNV-1a would give 0xe40c292c)",
                              "FNV-1 of 'foobar'"])
def test_fnv32_is_fnv_1_as_hash_fnv_new32(data, expected):
    assert history.fnv32(data) == expected


def test_revision_names_hash_the_data_and_the_collision_count():
    parent = {"apiVersion": "apps/v1", "kind": "StatefulSet",
              "metadata": {"name": "web", "namespace": "default", "uid": "u1"}}
    a = history.new_controller_revision(parent, {"app": "x"}, {"spec": {"template": {"a": 1}}}, 1, None)
    b = history.new_controller_revision(parent, {"app": "x"}, {"spec": {"template": {"a": 1}}}, 7, 0)
    c = history.new_controller_revision(parent, {"app": "x"}, {"spec": {"template": {"a": 1}}}, 1, 1)
    assert a["metadata"]["name"].startswith("web-") and a["metadata"]["name"] != b["metadata"]["name"]
    assert b["metadata"]["name"] != c["metadata"]["name"]
    assert history.equal_revision(a, b) and history.equal_revision(b, c)
    assert a["metadata"]["labels"] == {"app": "x", history.CONTROLLER_REVISION_HASH_LABEL: a["metadata"]["name"][4:]}
    assert a["metadata"]["ownerReferences"][0]["controller"] is True
    assert history.controller_revision_name("x" * 300, "h") == "x" * 223 + "-h"
    assert history.raw_data({"b": "<&>", "a": 1}) == b'{"a":1,"b":"\\u003c\\u0026\\u003e"}'


def test_sort_orders_by_revision_then_creation_then_name():
    def cr(name, rev, ts):
        return {"metadata": {"name": name, "creationTimestamp": ts}, "revision": rev}
    revisions = [cr("c", 2, "2024-01-01T00:00:01Z"), cr("b", 1, "2024-01-01T00:00:05Z"),
                 cr("a", 1, "2024-01-01T00:00:05Z"), cr("d", 1, "2024-01-01T00:00:00Z")]
    assert [r["metadata"]["name"] for r in history.sort_controller_revisions(revisions)] == ["d", "a", "b", "c"]
    assert history.next_revision(history.sort_controller_revisions(revisions)) == 3
    assert history.next_revision([]) == 1


class FakeClient:
    """Records what History sends; ``taken`` maps names to the data already stored under them."""

    def __init__(self, taken: dict):
        self.taken, self.sent = taken, []

    async def create(self, info, namespace, obj):
        self.sent.append(("create", obj["metadata"]["name"]))
        if obj["metadata"]["name"] in self.taken:
            raise errors.already_exists("controllerrevisions.apps", obj["metadata"]["name"])
        return obj

    async def get(self, info, namespace, name):
        self.sent.append(("get", name))
        return {"metadata": {"name": name}, "data": self.taken[name]}


def _drive(coro):
    """Run a coroutine that never waits on the kernel (the fake answers at once)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the coroutine waited")


def test_create_bumps_the_collision_count_until_the_name_is_free_or_holds_equal_data():
    parent = {"apiVersion": "apps/v1", "kind": "StatefulSet",
              "metadata": {"name": "web", "namespace": "default", "uid": "u1"}}
    data = {"spec": {"template": {"a": 1}}}
    rev = history.new_controller_revision(parent, {}, data, 1, 0)
    name = {n: history.new_controller_revision(parent, {}, data, 1, n)["metadata"]["name"] for n in range(3)}
    fake = FakeClient({name[0]: {"other": 1}, name[1]: {"other": 2}})
    created, count = _drive(history.History(fake, None).create_controller_revision(parent, rev, 0))
    assert (created["metadata"]["name"], count) == (name[2], 2)
    assert fake.sent == [("create", name[0]), ("get", name[0]), ("create", name[1]), ("get", name[1]),
                         ("create", name[2])]
    fake = FakeClient({name[0]: data})                 # our own revision, not yet in the cache: reuse it
    created, count = _drive(history.History(fake, None).create_controller_revision(parent, rev, 0))
    assert (created["metadata"]["name"], count) == (name[0], 0) and fake.sent == [("create", name[0]), ("get", name[0])]


@pytest.mark.parametrize("when_scaled, when_deleted, in_range, owners", [
    ("Retain", "Retain", True, []),
    ("Retain", "Retain", False, []),
    ("Retain", "Delete", True, ["set"]),
    ("Retain", "Delete", False, ["set"]),
    ("Delete", "Retain", True, []),
    ("Delete", "Retain", False, ["pod"]),
    ("Delete", "Delete", True, ["set"]),
    ("Delete", "Delete", False, ["pod"]),
], ids=["retain everything: no owner", "retain everything, scaled down: no owner",
        "delete with the set: the set owns it", "delete with the set, scaled down: still the set",
        "delete on scale down, in range: no owner", "delete on scale down, scaled down: the pod owns it",
        "delete always, in range: the set", "delete always, scaled down: the pod instead of the set"])
def test_claim_owner_references_follow_the_retention_policy(when_scaled, when_deleted, in_range, owners):
    set_ = {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "uid": "set-uid"},
            "spec": {"replicas": 2, "persistentVolumeClaimRetentionPolicy": {"whenScaled": when_scaled,
                                                                              "whenDeleted": when_deleted}}}
    pod = {"metadata": {"name": "web-1" if in_range else "web-5", "namespace": "default", "uid": "pod-uid"}}
    wrong = {"metadata": {"name": "www-web-1", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"], "uid": "pod-uid"},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "set-uid"}]}}
    for claim in ({"metadata": {"name": "www-web-1"}}, wrong):
        claim = copy.deepcopy(claim)
        statefulset.update_claim_owner_ref_for_set_and_pod(claim, set_, pod)
        kinds = {"StatefulSet": "set", "Pod": "pod"}
        assert sorted(kinds[r["kind"]] for r in claim["metadata"].get("ownerReferences") or ()) == owners
        assert statefulset.claim_owner_matches_set_and_pod(claim, set_, pod)
        assert not statefulset.update_claim_owner_ref_for_set_and_pod(claim, set_, pod)


@pytest.mark.parametrize("name, parent, ordinal", [("web-0", "web", 0), ("my-db-12", "my-db", 12),
                                                   ("web", "", -1), ("web-x", "", -1), ("web-99999999999", "", -1)],
                         ids=["the first ordinal", "a dash inside the set name", "no ordinal", "not a number",
                              "beyond int32"])
def test_parent_and_ordinal_come_from_the_pod_name(name, parent, ordinal):
    assert statefulset.get_parent_name_and_ordinal({"metadata": {"name": name}}) == (parent, ordinal)


@pytest.mark.parametrize("value, replicas, expected", [(None, 5, 1), (3, 5, 3), ("50%", 5, 2), ("10%", 5, 1)],
                         ids=["unset means one", "a number as is", "a percentage rounds down",
                              "never below one"])
def test_max_unavailable_resolves_against_replicas(value, replicas, expected):
    assert statefulset.get_stateful_set_max_unavailable(value, replicas) == expected
