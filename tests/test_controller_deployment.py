"""The Deployment and ReplicaSet controllers on the public Cluster surface, in virtual time, and
their helpers as tables: rolling updates checked at every etcd revision, Recreate, rollback,
pause and resume, the progress deadline, history cleanup, proportional scaling, adoption and
release, minReadySeconds and a controller-manager crash mid-rollout."""
from __future__ import annotations

import json

import pytest
import yaml

from k8slite import Cluster
from k8slite.controllers.deployment_util import (
    get_proportion, resolve_fenceposts, set_condition, set_new_replica_set_annotations)
from k8slite.controllers.replicaset import rank_for_deletion
from k8slite.etcd.mvcc import prefix_end

PODS = "/registry/pods/default/"


def deployment(name="web", image="nginx:1.25", replicas=10, extra=""):
    """A Deployment manifest; ``extra`` is more of its spec, as YAML lines indented by two."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
{extra}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: web
        image: "{image}"
"""


ROLLING = "  strategy: {rollingUpdate: {maxUnavailable: 2, maxSurge: 3}}"


def the(c, resource, name):
    return next(o for o in c.objects(resource, "default") if o["metadata"]["name"] == name)


def pods_of(c, app):
    return [p for p in c.objects("pods", "default") if (p["metadata"].get("labels") or {}).get("app") == app]


def live(pods):
    """Pods that count: not terminating, not finished."""
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def ready(pod) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def image(pod) -> str:
    return pod["spec"]["containers"][0]["image"]


def rolled_out(c, name, want_image, replicas=10):
    def check():
        d = the(c, "deployments", name)
        st = d.get("status") or {}
        pods = pods_of(c, name)
        return st.get("observedGeneration") == d["metadata"]["generation"] and \
            st.get("updatedReplicas") == st.get("availableReplicas") == st.get("replicas") == replicas and \
            len(pods) == replicas and all(image(p) == want_image and ready(p) for p in pods)
    return check


def every_revision(c, since: int, app: str, check) -> int:
    """Replay every pod write after revision ``since`` (etcd keeps them all until compaction) and call
    ``check(pods, revision)`` after each; returns how many writes were seen."""
    store = c.etcd.store
    pods = {kv.key: json.loads(kv.value) for kv in store.range(PODS, prefix_end(PODS), revision=since).kvs}
    seen = []

    def replay(events):
        for e in events:
            if e.type == "DELETE":
                pods.pop(e.kv.key, None)
            else:
                pods[e.kv.key] = json.loads(e.kv.value)
            mine = [p for p in pods.values() if (p["metadata"].get("labels") or {}).get("app") == app]
            check(mine, e.kv.mod_revision)
            seen.append(e.kv.mod_revision)
    store.cancel_watch(store.watch(PODS, prefix_end(PODS), since + 1, replay))
    return len(seen)


def conditions(d) -> dict:
    return {c["type"]: (c["status"], c["reason"], c["message"])
            for c in (d.get("status") or {}).get("conditions") or ()}


def events(c, name):
    listed = c.kubectl(f"get events --field-selector involvedObject.name={name} -o json")
    return [(e["reason"], e["message"]) for e in json.loads(listed.stdout)["items"]]


@pytest.fixture
def cluster():
    return Cluster.up(nodes=3, seed=1)


# --- a rolling update, checked at every revision ----------------------------------------

def test_a_rolling_update_never_drops_below_8_ready_nor_exceeds_13_pods_at_any_revision(cluster):
    c = cluster
    c.kubectl.apply(deployment(extra=ROLLING))
    c.run_until(rolled_out(c, "web", "nginx:1.25"), limit=60, step=0.5)
    start = c.etcd.store.revision
    assert str(c.kubectl.apply(deployment(image="nginx:1.27", extra=ROLLING))) == "deployment.apps/web configured\n"
    c.run_until(rolled_out(c, "web", "nginx:1.27"), limit=120, step=0.5)
    lowest, highest = [10], [10]

    def check(pods, revision):
        counted = live(pods)
        lowest[0] = min(lowest[0], sum(1 for p in counted if ready(p)))
        highest[0] = max(highest[0], len(counted))
        assert sum(1 for p in counted if ready(p)) >= 8, f"too few ready pods at revision {revision}"
        assert len(counted) <= 13, f"too many pods at revision {revision}"
    writes = every_revision(c, start, "web", check)
    assert writes > 50
    assert (lowest[0], highest[0]) == (8, 13)          # the budget is used to the full, never more
    rss = sorted((rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"], rs["spec"]["replicas"])
                 for rs in c.objects("replicasets", "default"))
    assert rss == [("1", 0), ("2", 10)]
    new = next(rs["metadata"]["name"] for rs in c.objects("replicasets", "default") if rs["spec"]["replicas"])
    old = next(rs["metadata"]["name"] for rs in c.objects("replicasets", "default") if not rs["spec"]["replicas"])
    scaling = [m for r, m in events(c, "web") if r == "ScalingReplicaSet"]
    assert scaling[1:4] == [f"Scaled up replica set {new} from 0 to 3", f"Scaled down replica set {old} from 10 to 8",
                            f"Scaled up replica set {new} from 3 to 5"]
    assert scaling[-1].startswith(f"Scaled down replica set {old} from ") and scaling[-1].endswith(" to 0")
    assert conditions(the(c, "deployments", "web")) == {
        "Available": ("True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        "Progressing": ("True", "NewReplicaSetAvailable", f'ReplicaSet "{new}" has successfully progressed.')}


def test_rollout_status_follows_the_rollout_to_its_end(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=3))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 3), limit=60, step=0.5)
    c.kubectl.apply(deployment(image="nginx:1.26", replicas=3))
    result = c.kubectl("rollout status deployment/web")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and lines[-1] == 'deployment "web" successfully rolled out'
    assert lines[0].startswith("Waiting for deployment ") and len(lines) > 3
    assert 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...' in lines
    assert 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...' in lines
    assert str(c.kubectl("rollout status deployment/web --watch=false")) == \
        'deployment "web" successfully rolled out\n'


# --- rollback ---------------------------------------------------------------------------

def test_rollout_undo_returns_to_the_previous_template_and_history_shows_it(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=4))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 4), limit=60, step=0.5)
    c.kubectl.apply(deployment(image="nginx:1.26", replicas=4).replace(
        "  name: web\n", "  name: web\n  annotations: {kubernetes.io/change-cause: image 1.26}\n"))
    c.run_until(rolled_out(c, "web", "nginx:1.26", 4), limit=60, step=0.5)
    history = c.kubectl("rollout history deployment/web")
    assert str(history) == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 1.26\n\n"
    one = str(c.kubectl("rollout history deployment/web --revision=1"))
    assert one.startswith("deployment.apps/web with revision #1\n"
                          "Pod Template:\n  Labels:\tapp=web\n\tpod-template-hash=")
    assert "    Image:\tnginx:1.25\n" in one and one.endswith("  Tolerations:\t<none>\n\n")

    assert str(c.kubectl("rollout undo deployment/web")) == "deployment.apps/web rolled back\n"
    c.run_until(rolled_out(c, "web", "nginx:1.25", 4), limit=60, step=0.5)
    first = min(c.objects("replicasets", "default"), key=lambda rs: rs["metadata"]["creationTimestamp"])
    assert first["spec"]["replicas"] == 4                       # the first ReplicaSet is reused ...
    assert first["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"   # ... as revision 3
    assert first["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert str(c.kubectl("rollout history deploy web")) == \
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         image 1.26\n3         <none>\n\n"

    skipped = c.kubectl("rollout undo deployment/web --to-revision=3")
    assert str(skipped) == "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    missing = c.kubectl("rollout undo deployment/web --to-revision=9")
    assert (str(missing), missing.exit_code) == ("error: unable to find specified revision 9 in history\n", 1)
    assert str(c.kubectl("rollout history deployment/web --revision=7")) == \
        "error: unable to find the specified revision\n"
    assert str(c.kubectl("rollout undo deployment/web --to-revision=2")) == "deployment.apps/web rolled back\n"
    c.run_until(rolled_out(c, "web", "nginx:1.26", 4), limit=60, step=0.5)
    d = the(c, "deployments", "web")
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "image 1.26"   # taken from the ReplicaSet


def test_the_deprecated_rollback_annotation_is_carried_out_by_the_controller(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=2))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=60, step=0.5)
    c.kubectl.apply(deployment(image="nginx:1.26", replicas=2))
    c.run_until(rolled_out(c, "web", "nginx:1.26", 2), limit=60, step=0.5)
    c.kubectl("annotate deployment web deprecated.deployment.rollback.to=1")
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=60, step=0.5)
    assert "deprecated.deployment.rollback.to" not in the(c, "deployments", "web")["metadata"]["annotations"]
    assert ("DeploymentRollback", 'Rolled back deployment "web" to revision 1') in events(c, "web")
    c.kubectl("annotate deployment web deprecated.deployment.rollback.to=8")
    c.run(5)
    assert ("DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.") in events(c, "web")


# --- Recreate -------------------------------------------------------------------------------

def test_recreate_removes_every_old_pod_before_the_first_new_one_exists(cluster):
    c = cluster
    recreate = "  strategy: {type: Recreate}"
    c.kubectl.apply(deployment(replicas=4, extra=recreate))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 4), limit=60, step=0.5)
    start = c.etcd.store.revision
    c.kubectl.apply(deployment(image="nginx:1.26", replicas=4, extra=recreate))
    c.run_until(rolled_out(c, "web", "nginx:1.26", 4), limit=120, step=0.5)
    empty = []

    def check(pods, revision):
        images = {image(p) for p in pods}          # terminating pods too: they still run
        assert len(images) <= 1, f"old and new pods together at revision {revision}"
        if not pods:
            empty.append(revision)
    every_revision(c, start, "web", check)
    assert empty                                     # there was a moment with no pod at all


# --- pause and resume -----------------------------------------------------------------------

def test_a_paused_deployment_rolls_out_a_template_change_only_after_resume(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=3))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 3), limit=60, step=0.5)
    assert str(c.kubectl("rollout pause deployment/web")) == "deployment.apps/web paused\n"
    again = c.kubectl("rollout pause deployment/web")
    assert (str(again), again.exit_code) == ('error: deployments.apps "web" is already paused\n', 1)
    c.run(2)
    assert conditions(the(c, "deployments", "web"))["Progressing"] == ("Unknown", "DeploymentPaused",
                                                                      "Deployment is paused")
    c.kubectl.apply(deployment(image="nginx:1.26", replicas=3))
    c.kubectl("scale deployment web --replicas=5")       # scaling still works while paused
    c.run(30)
    d = the(c, "deployments", "web")
    assert len(c.objects("replicasets", "default")) == 1
    assert {image(p) for p in pods_of(c, "web")} == {"nginx:1.25"} and len(pods_of(c, "web")) == 5
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    assert str(c.kubectl("rollout undo deployment/web --to-revision=1")) == (
        "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
        "and try again\n")
    assert str(c.kubectl("rollout undo deployment/web")) == 'error: no rollout history found for deployment "web"\n'
    assert str(c.kubectl("rollout restart deployment/web")) == \
        "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n"

    assert str(c.kubectl("rollout resume deployment/web")) == "deployment.apps/web resumed\n"
    assert str(c.kubectl("rollout resume deployment/web")) == 'error: deployments.apps "web" is not paused\n'
    c.run_until(rolled_out(c, "web", "nginx:1.26", 5), limit=60, step=0.5)
    assert len(c.objects("replicasets", "default")) == 2


def test_rollout_restart_stamps_the_template_and_replaces_every_pod(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=2))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=60, step=0.5)
    before = {p["metadata"]["uid"] for p in pods_of(c, "web")}
    assert str(c.kubectl("rollout restart deployment/web")) == "deployment.apps/web restarted\n"
    assert str(c.kubectl("rollout restart deployment/web")).startswith("error: failed to create patch for web: "
                                                                      "if restart has already been triggered")
    unknown = c.kubectl("rollout frobnicate deployment/web")
    assert (str(unknown), unknown.exit_code) == ('error: unknown command "frobnicate deployment/web"\n'
                                                 "See 'kubectl rollout -h' for help and examples\n", 1)
    stamp = the(c, "deployments", "web")["spec"]["template"]["metadata"]["annotations"]
    assert stamp == {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:%02d:%02dZ" % divmod(int(c.now), 60)}
    c.run_until(lambda: rolled_out(c, "web", "nginx:1.25", 2)() and
                not before & {p["metadata"]["uid"] for p in pods_of(c, "web")}, limit=60, step=0.5)


# --- the progress deadline -----------------------------------------------------------------

def test_an_image_that_cannot_be_pulled_exceeds_the_progress_deadline(cluster):
    c = cluster
    deadline = "  progressDeadlineSeconds: 30"
    c.kubectl.apply(deployment(replicas=2, extra=deadline))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=60, step=0.5)
    c.kubectl.apply(deployment(image="registry.example/no-such-image:1", replicas=2, extra=deadline))
    began = c.now
    status = c.kubectl("rollout status deployment/web --timeout=90s")
    assert status.exit_code == 1 and status.stderr == 'error: deployment "web" exceeded its progress deadline\n'
    assert 29 <= c.now - began <= 33       # the condition's lastUpdateTime is to the second
    d = the(c, "deployments", "web")
    new = next(rs for rs in c.objects("replicasets", "default")
               if image(rs["spec"]["template"]) == "registry.example/no-such-image:1")
    assert conditions(d)["Progressing"] == ("False", "ProgressDeadlineExceeded",
                                           f'ReplicaSet "{new["metadata"]["name"]}" has timed out progressing.')
    assert conditions(d)["Available"][0] == "True"       # the old pods still serve
    assert len([p for p in live(pods_of(c, "web")) if ready(p)]) == 2
    stuck = [p for p in pods_of(c, "web") if image(p) == "registry.example/no-such-image:1"]
    assert stuck and not any(ready(p) for p in stuck)
    assert ("Failed", "Error: ErrImagePull") in events(c, stuck[0]["metadata"]["name"])
    c.run(60)                                            # it stays failed, and nothing more is torn down
    assert conditions(the(c, "deployments", "web"))["Progressing"][1] == "ProgressDeadlineExceeded"
    assert len([p for p in live(pods_of(c, "web")) if ready(p)]) == 2


# --- history, healing, proportional scaling ---------------------------------------------------------

def test_revision_history_limit_2_keeps_two_old_replicasets(cluster):
    c = cluster
    limit = "  revisionHistoryLimit: 2"
    for minor in range(20, 26):
        c.kubectl.apply(deployment(image=f"nginx:1.{minor}", replicas=2, extra=limit))
        c.run_until(rolled_out(c, "web", f"nginx:1.{minor}", 2), limit=60, step=0.5)
    c.run(5)
    rss = sorted((int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]), rs["spec"]["replicas"])
                 for rs in c.objects("replicasets", "default"))
    assert rss == [(4, 0), (5, 0), (6, 2)]
    assert str(c.kubectl("rollout history deployment/web")) == \
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n4         <none>\n5         <none>\n6         <none>\n\n"


def test_pods_deleted_by_hand_are_replaced_by_the_replicaset(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=4))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 4), limit=60, step=0.5)
    victims = sorted(p["metadata"]["name"] for p in pods_of(c, "web"))[:2]
    c.kubectl(f"delete pod {victims[0]} {victims[1]} --wait=false")
    c.run_until(lambda: len(live(pods_of(c, "web"))) == 4 and all(ready(p) for p in live(pods_of(c, "web")))
                and not set(victims) & {p["metadata"]["name"] for p in pods_of(c, "web")}, limit=60, step=0.5)
    rs = c.objects("replicasets", "default")[0]
    created = [m for r, m in events(c, rs["metadata"]["name"]) if r == "SuccessfulCreate"]
    assert len(created) == 6 and rs["status"]["replicas"] == 4


def test_scaling_mid_rollout_spreads_new_replicas_in_proportion_as_the_docs_describe(cluster):
    """kubernetes.io/docs/concepts/workloads/controllers/deployment/#proportional-scaling: 10 replicas,
    maxSurge 3, maxUnavailable 2, a bad image, then 15 replicas: 3 more to the old ReplicaSet, 2 to the new."""
    c = cluster
    c.kubectl.apply(deployment(extra=ROLLING))
    c.run_until(rolled_out(c, "web", "nginx:1.25"), limit=60, step=0.5)
    c.kubectl.apply(deployment(image="registry.example/no-such-image:1", extra=ROLLING))
    c.run(10)
    sizes = sorted(rs["spec"]["replicas"] for rs in c.objects("replicasets", "default"))
    assert sizes == [5, 8]
    c.kubectl("scale deployment/web --replicas=15")
    c.run(10)
    by_image = {image(rs["spec"]["template"]): rs for rs in c.objects("replicasets", "default")}
    assert by_image["nginx:1.25"]["spec"]["replicas"] == 11
    assert by_image["registry.example/no-such-image:1"]["spec"]["replicas"] == 7
    assert by_image["nginx:1.25"]["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "15"
    assert by_image["nginx:1.25"]["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "18"


# --- adoption and release ------------------------------------------------------------------------

FRONTEND = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: php-redis
        image: gcr.io/google-samples/gb-frontend:v5
"""

POD_RS = """
apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels:
    tier: frontend
spec:
  containers:
  - name: hello
    image: gcr.io/google-samples/hello-app:%s
"""


def frontend_pods(c):
    return sorted(p["metadata"]["name"] for p in live(c.objects("pods", "default"))
                  if (p["metadata"].get("labels") or {}).get("tier") == "frontend")


def test_a_replicaset_adopts_matching_bare_pods_and_deletes_the_surplus(cluster):
    """The ReplicaSet page's "non-template pod acquisitions": pods created after the ReplicaSet are
    acquired and at once terminated; created before it, they count toward its replicas."""
    c = cluster
    c.kubectl.apply(FRONTEND)
    c.run_until(lambda: (the(c, "replicasets", "frontend").get("status") or {}).get("readyReplicas") == 3,
                limit=60, step=0.5)
    c.kubectl.apply([yaml.safe_load(POD_RS % ("pod1", "2.0")),
                     yaml.safe_load(POD_RS % ("pod2", "1.0"))])
    c.run(5)
    assert len(frontend_pods(c)) == 3 and not {"pod1", "pod2"} & set(frontend_pods(c))
    c.kubectl("delete rs frontend --wait=false")
    c.run_until(lambda: not frontend_pods(c), limit=60, step=0.5)
    c.kubectl.apply([yaml.safe_load(POD_RS % ("pod1", "2.0")),
                     yaml.safe_load(POD_RS % ("pod2", "1.0"))])
    c.run(2)
    c.kubectl.apply(FRONTEND)
    c.run(5)
    names = frontend_pods(c)
    assert len(names) == 3 and {"pod1", "pod2"} <= set(names)
    rs = c.objects("replicasets", "default")[0]
    pod1 = the(c, "pods", "pod1")
    assert [r["uid"] for r in pod1["metadata"]["ownerReferences"]] == [rs["metadata"]["uid"]]
    # Relabelled out of the selector, a pod is released and replaced.
    c.kubectl("label pod pod1 tier=debug --overwrite")
    c.run(5)
    assert not the(c, "pods", "pod1")["metadata"].get("ownerReferences")
    assert len(frontend_pods(c)) == 3 and "pod1" not in frontend_pods(c)


def test_a_deployment_adopts_an_orphaned_replicaset_that_matches_its_selector(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=2))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=60, step=0.5)
    rs_uid = c.objects("replicasets", "default")[0]["metadata"]["uid"]
    c.kubectl("delete deployment web --cascade=orphan")
    c.run(3)
    assert not c.objects("replicasets", "default")[0]["metadata"].get("ownerReferences")
    c.kubectl.apply(deployment(replicas=2))
    c.run(5)
    rss = c.objects("replicasets", "default")
    d = the(c, "deployments", "web")
    assert [rs["metadata"]["uid"] for rs in rss] == [rs_uid]      # adopted, not replaced
    assert rss[0]["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert len(pods_of(c, "web")) == 2


def test_a_name_taken_by_another_replicaset_is_a_hash_collision_resolved_by_collision_count(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=1))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 1), limit=60, step=0.5)
    taken = c.objects("replicasets", "default")[0]["metadata"]["name"]
    c.kubectl("delete deployment web")
    c.run_until(lambda: not c.objects("replicasets", "default") and not pods_of(c, "web"), limit=60, step=0.5)
    c.kubectl.apply(FRONTEND.replace("name: frontend", f"name: {taken}"))       # a stranger takes the name
    c.kubectl.apply(deployment(replicas=1))
    c.run_until(rolled_out(c, "web", "nginx:1.25", 1), limit=60, step=0.5)
    d = the(c, "deployments", "web")
    assert d["status"]["collisionCount"] == 1
    ours = [rs for rs in c.objects("replicasets", "default") if rs["metadata"].get("ownerReferences")]
    assert len(ours) == 1 and ours[0]["metadata"]["name"] != taken
    pod_hash = ours[0]["spec"]["template"]["metadata"]["labels"]["pod-template-hash"]
    assert ours[0]["metadata"]["name"] == f"web-{pod_hash}"
    assert not the(c, "replicasets", taken)["metadata"].get("ownerReferences")


# --- minReadySeconds --------------------------------------------------------------------------------

def test_min_ready_seconds_holds_availability_back_in_the_replicaset_and_the_deployment(cluster):
    c = cluster
    c.kubectl.apply(deployment(replicas=2, extra="  minReadySeconds: 10"))
    c.run_until(lambda: all(ready(p) for p in pods_of(c, "web")) and len(pods_of(c, "web")) == 2 and
                (c.objects("replicasets", "default")[0].get("status") or {}).get("readyReplicas") == 2,
                limit=60, step=0.25)
    became_ready = c.now
    rs = c.objects("replicasets", "default")[0]
    assert rs["spec"]["minReadySeconds"] == 10 and not rs["status"].get("availableReplicas")
    assert not the(c, "deployments", "web")["status"].get("availableReplicas")
    c.run_until(lambda: c.objects("replicasets", "default")[0]["status"].get("availableReplicas") == 2,
                limit=30, step=0.25)
    assert 9 <= c.now - became_ready <= 12
    c.run_until(rolled_out(c, "web", "nginx:1.25", 2), limit=10, step=0.25)


# --- a crash in the middle -----------------------------------------------------------------------------

def final_state(c):
    return sorted((rs["metadata"]["name"], rs["spec"]["replicas"], rs["metadata"]["annotations"]
                   ["deployment.kubernetes.io/revision"]) for rs in c.objects("replicasets", "default"))


def test_a_controller_manager_crash_mid_rollout_loses_and_duplicates_no_pod(cluster):
    c = cluster
    reference = Cluster.up(nodes=3, seed=1)
    for each in (c, reference):
        each.kubectl.apply(deployment(extra=ROLLING))
        each.run_until(rolled_out(each, "web", "nginx:1.25"), limit=60, step=0.5)
    start = c.etcd.store.revision
    for each in (c, reference):
        each.kubectl.apply(deployment(image="nginx:1.27", extra=ROLLING))
    c.run(0.3)
    mid = sorted(rs["spec"]["replicas"] for rs in c.objects("replicasets", "default"))
    assert mid != [0, 10]                                 # the crash comes mid-rollout
    c.crash("kube-controller-manager")
    c.run(5)
    frozen = sorted(rs["spec"]["replicas"] for rs in c.objects("replicasets", "default"))
    assert frozen == mid                                  # nobody acts while it is down
    c.restart("kube-controller-manager")
    c.run_until(rolled_out(c, "web", "nginx:1.27"), limit=120, step=0.5)
    reference.run_until(rolled_out(reference, "web", "nginx:1.27"), limit=120, step=0.5)

    def check(pods, revision):
        counted = live(pods)
        assert len(counted) <= 13 and sum(1 for p in counted if ready(p)) >= 8, f"at revision {revision}"
    every_revision(c, start, "web", check)
    assert final_state(c) == final_state(reference)
    assert len({p["metadata"]["name"] for p in pods_of(c, "web")}) == 10


# --- the helpers, as tables ------------------------------------------------------------------------------

@pytest.mark.parametrize("surge, unavailable, desired, expected", [
    ("25%", "25%", 10, (3, 2)),
    ("25%", "25%", 1, (1, 0)),
    (0, "25%", 3, (0, 1)),
    ("0%", "10%", 5, (0, 1)),
    (3, 2, 10, (3, 2)),
], ids=["a quarter of ten: surge rounds 2.5 up to 3, unavailable rounds it down to 2",
        "one replica surges by one and may not go unavailable",
        "no surge and a quarter of three rounding down to zero would block: one may be unavailable",
        "percentages both rounding to zero mean one unavailable",
        "absolute numbers are taken as they are"])
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    assert resolve_fenceposts(surge, unavailable, desired) == expected


def rs(replicas, max_replicas=None):
    annotations = {} if max_replicas is None else {"deployment.kubernetes.io/max-replicas": str(max_replicas)}
    return {"metadata": {"name": "r", "annotations": annotations}, "spec": {"replicas": replicas}}


def rolling(replicas, surge=3, unavailable=2, status_replicas=0):
    return {"metadata": {}, "spec": {"replicas": replicas, "strategy": {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}},
        "status": {"replicas": status_replicas}}


@pytest.mark.parametrize("replica_set, d, to_add, added, expected", [
    (rs(8, 13), rolling(15), 5, 0, 3),
    (rs(5, 13), rolling(15), 5, 3, 2),
    (rs(8, 13), rolling(5), -8, -6, -2),
    (rs(0, 13), rolling(15), 5, 0, 0),
    (rs(4), rolling(20, status_replicas=8), 12, 0, 8),
    (rs(6, 13), rolling(0), -13, 0, -6),
], ids=["the larger old ReplicaSet takes its share of five more (the docs' 3)",
        "the new one takes what is left of its share (the docs' 2)",
        "scaling down is bounded by what may still be removed",
        "an empty ReplicaSet is never scaled up",
        "without the max-replicas annotation the Deployment's status is the base",
        "scaling to zero removes the whole ReplicaSet"])
def test_get_proportion(replica_set, d, to_add, added, expected):
    assert get_proportion(replica_set, d, to_add, added) == expected


def test_a_reused_replicaset_remembers_its_old_revisions_up_to_2000_characters():
    d = {"metadata": {"annotations": {"kubernetes.io/change-cause": "undo",
                                      "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
         "spec": {"replicas": 1}}
    reused = {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}}}
    assert set_new_replica_set_annotations(d, reused, "3", True)
    assert reused["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "3",
                                                 "deployment.kubernetes.io/revision-history": "1",
                                                 "kubernetes.io/change-cause": "undo"}
    assert set_new_replica_set_annotations(d, reused, "5", True)
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1,3"
    assert not set_new_replica_set_annotations(d, reused, "4", True)     # never lowered
    long = {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "999",
                                         "deployment.kubernetes.io/revision-history": ",".join(["9" * 9] * 200)}}}
    set_new_replica_set_annotations(d, long, "1000", True)
    history = long["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"]
    assert len(history) <= 2000 and history.endswith(",999")


def test_a_condition_keeps_its_transition_time_when_only_the_reason_changes():
    status = {"conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated",
                              "lastUpdateTime": "t0", "lastTransitionTime": "t0", "message": "m"},
                             {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                              "lastUpdateTime": "t0", "lastTransitionTime": "t0", "message": "m"}]}
    set_condition(status, {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                           "lastUpdateTime": "t1", "lastTransitionTime": "t1", "message": "m2"})
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]   # moved to the end
    assert status["conditions"][1]["lastTransitionTime"] == "t0" and status["conditions"][1]["lastUpdateTime"] == "t1"
    set_condition(status, {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                           "lastUpdateTime": "t2", "lastTransitionTime": "t2", "message": "m3"})
    assert status["conditions"][1]["lastUpdateTime"] == "t1"          # same status and reason: unchanged


def pod(name, node="", phase="Running", ready_at=None, created="2024-01-01T00:00:00Z", restarts=0, cost=None):
    conditions = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if ready_at else []
    annotations = {"controller.kubernetes.io/pod-deletion-cost": str(cost)} if cost is not None else {}
    return {"metadata": {"name": name, "uid": name, "creationTimestamp": created, "annotations": annotations},
            "spec": {"nodeName": node, "containers": [{"name": "c"}]},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"name": "c", "restartCount": restarts}]}}


@pytest.mark.parametrize("pods, ranks, first", [
    ([pod("a", "n1"), pod("b", "")], [0, 0], "b"),
    ([pod("a", "n1", "Running"), pod("b", "n1", "Pending")], [0, 0], "b"),
    ([pod("a", "n1", ready_at="2024-01-01T00:00:01Z"), pod("b", "n1")], [0, 0], "b"),
    ([pod("a", "n1", cost=10), pod("b", "n1", cost=-5)], [0, 0], "b"),
    ([pod("a", "n1"), pod("b", "n2")], [1, 3], "b"),
    ([pod("a", "n1", ready_at="2024-01-01T00:00:01Z"), pod("b", "n1", ready_at="2024-01-01T00:50:00Z")],
     [0, 0], "b"),
    ([pod("a", "n1", restarts=0), pod("b", "n1", restarts=4)], [0, 0], "b"),
    ([pod("a", "n1", created="2024-01-01T00:00:00Z"), pod("b", "n1", created="2024-01-01T00:55:00Z")], [0, 0], "b"),
], ids=["an unscheduled pod goes before a scheduled one",
        "a pending pod goes before a running one",
        "a pod that is not ready goes before a ready one",
        "a lower pod-deletion-cost goes first",
        "a pod doubled up with more of its siblings on a node goes first",
        "of two ready pods the one ready more recently (on the log scale) goes first",
        "more container restarts go first",
        "the newer pod goes first"])
def test_pods_to_delete_are_ranked_as_active_pods_with_ranks(pods, ranks, first):
    now = 3600.0
    assert rank_for_deletion(pods, ranks, now)[0]["metadata"]["name"] == first
    assert rank_for_deletion(list(reversed(pods)), list(reversed(ranks)), now)[0]["metadata"]["name"] == first
