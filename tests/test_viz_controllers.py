"""Tests of k8slite/viz/controllers.py: replaying a Deployment from etcd's history, the revision
clock, the text twin and the two figures' artists."""
import json

import pytest

from k8slite.etcd.mvcc import MVCCStore
from k8slite.sim.trace import Trace
from k8slite.viz.controllers import (Sample, SetCount, handover_figure, revision_clock, rollout_figure,
                                     rollout_samples, rollout_table)
from k8slite.viz.sequence import to_png

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

PLURAL = {"Deployment": "deployments", "ReplicaSet": "replicasets", "Pod": "pods"}


def put(store, obj):
    meta = obj["metadata"]
    store.put(f"/registry/{PLURAL[obj['kind']]}/{meta.get('namespace', 'default')}/{meta['name']}",
              json.dumps(obj).encode())
    return store.revision


def owner(kind, name, uid):
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": True}]


def deployment(replicas=2, min_ready=0, uid="d-1", name="web"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "uid": uid},
            "spec": {"replicas": replicas, "minReadySeconds": min_ready}}


def replica_set(name, replicas, revision, created, uid, owner_uid="d-1", available=0):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "default", "uid": uid, "creationTimestamp": created,
                         "annotations": {"deployment.kubernetes.io/revision": revision},
                         "ownerReferences": owner("Deployment", "web", owner_uid)},
            "spec": {"replicas": replicas}, "status": {"availableReplicas": available}}


def pod(name, rs, rs_uid, ready=False, since="2024-01-01T00:00:00Z", terminating=False, phase="Running"):
    meta = {"name": name, "namespace": "default", "uid": f"p-{name}",
            "ownerReferences": owner("ReplicaSet", rs, rs_uid) if rs else []}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:30Z"
    conditions = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": since}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"nodeName": "node-1"},
            "status": {"phase": phase, "conditions": conditions}}


def rollout():
    """A hand-made rollout of web from 2 pods of web-old to 1 of web-new. Returns the store and the
    revision before the new ReplicaSet appears."""
    s = MVCCStore()
    put(s, deployment())
    put(s, replica_set("web-old", 2, "1", "2024-01-01T00:00:01Z", "rs-old", available=2))
    put(s, pod("web-old-a", "web-old", "rs-old", ready=True))
    since = put(s, pod("web-old-b", "web-old", "rs-old", ready=True))
    put(s, replica_set("web-new", 1, "2", "2024-01-01T00:00:09Z", "rs-new"))            # since + 1
    put(s, pod("web-new-c", "web-new", "rs-new"))                                        # + 2
    put(s, pod("lonely", None, None, ready=True))                                        # + 3: not web's
    put(s, replica_set("other", 3, "1", "2024-01-01T00:00:02Z", "rs-x", owner_uid="d-2"))  # + 4: not web's
    put(s, pod("web-new-c", "web-new", "rs-new", ready=True, since="2024-01-01T00:00:08Z"))  # + 5
    put(s, replica_set("web-old", 1, "1", "2024-01-01T00:00:01Z", "rs-old", available=2))   # + 6
    put(s, pod("web-old-a", "web-old", "rs-old", ready=True, terminating=True))           # + 7
    s.delete_range("/registry/pods/default/web-old-a")                                    # + 8
    put(s, pod("web-old-x", "web-old", "rs-old", phase="Succeeded"))                      # + 9: finished
    return s, since


def table(samples):
    return [(s.revision - samples[0].revision, s.wanted, s.pods, s.ready, s.terminating,
             [(c.name, c.replicas, c.pods, c.ready, c.terminating) for c in s.sets]) for s in samples]


# -- the data --------------------------------------------------------------------------------

def test_samples_start_at_since_and_follow_every_write_to_the_deployment_its_sets_and_their_pods():
    store, since = rollout()
    samples = rollout_samples(store, "web", since=since)
    assert table(samples) == [
        (0, 2, 2, 2, 0, [("web-old", 2, 2, 2, 0)]),
        (1, 2, 2, 2, 0, [("web-old", 2, 2, 2, 0), ("web-new", 1, 0, 0, 0)]),
        (2, 2, 3, 2, 0, [("web-old", 2, 2, 2, 0), ("web-new", 1, 1, 0, 0)]),
        (5, 2, 3, 3, 0, [("web-old", 2, 2, 2, 0), ("web-new", 1, 1, 1, 0)]),
        (6, 2, 3, 3, 0, [("web-old", 1, 2, 2, 0), ("web-new", 1, 1, 1, 0)]),
        (7, 2, 2, 2, 1, [("web-old", 1, 1, 1, 1), ("web-new", 1, 1, 1, 0)]),
        (8, 2, 2, 2, 0, [("web-old", 1, 1, 1, 0), ("web-new", 1, 1, 1, 0)]),
        (9, 2, 2, 2, 0, [("web-old", 1, 1, 1, 0), ("web-new", 1, 1, 1, 0)]),
    ]
    assert [s.change for s in samples[1:3]] == ["replicasets/web-new", "pods/web-new-c"]
    assert [s.change for s in samples[6:]] == ["pods/web-old-a (deleted)", "pods/web-old-x"]
    assert [c.revision for c in samples[-1].sets] == ["1", "2"]


def test_writes_to_other_deployments_and_bare_pods_make_no_sample():
    store, since = rollout()
    revisions = [s.revision - since for s in rollout_samples(store, "web", since=since)]
    assert 3 not in revisions and 4 not in revisions


def test_until_stops_the_replay():
    store, since = rollout()
    assert [s.revision - since for s in rollout_samples(store, "web", since=since, until=since + 5)] == [0, 1, 2, 5]


def test_without_a_clock_available_is_the_recorded_status_and_time_is_none():
    store, since = rollout()
    samples = rollout_samples(store, "web", since=since)
    assert samples[0].time is None
    assert [s.available for s in samples] == [2, 2, 2, 2, 2, 2, 2, 2]


@pytest.mark.parametrize("min_ready, at, expected", [
    (0, 20.0, 2),
    (5, 20.0, 2),
    (5, 5.0, 0),
    (5, 5.5, 2),
    (30, 20.0, 0),
], ids=["with no minReadySeconds every ready pod is available",
        "ready since 0 s and judged at 20 s, five seconds is long enough",
        "exactly minReadySeconds after becoming ready is not yet enough (strictly after)",
        "half a second later it is",
        "ready for 20 s is not ready for 30"])
def test_with_a_clock_a_pod_is_available_after_min_ready_seconds(min_ready, at, expected):
    s = MVCCStore()
    put(s, deployment(min_ready=min_ready))
    put(s, replica_set("web-old", 2, "1", "2024-01-01T00:00:01Z", "rs-old"))
    put(s, pod("web-old-a", "web-old", "rs-old", ready=True))
    since = put(s, pod("web-old-b", "web-old", "rs-old", ready=True))
    [sample] = rollout_samples(s, "web", since=since, clock=lambda revision: at)
    assert (sample.time, sample.available, sample.sets[0].available) == (at, expected, expected)


def test_the_first_sample_is_dated_by_the_first_write_after_since():
    store, since = rollout()
    samples = rollout_samples(store, "web", since=since, clock=lambda revision: revision * 10.0)
    assert (samples[0].revision, samples[0].time) == (since, (since + 1) * 10.0)
    assert samples[1].time == (since + 1) * 10.0


def test_a_deployment_that_does_not_exist_yet_gives_samples_only_from_its_creation():
    s = MVCCStore()
    since = s.revision
    put(s, deployment(replicas=1))
    put(s, replica_set("web-1", 1, "1", "2024-01-01T00:00:01Z", "rs-1"))
    samples = rollout_samples(s, "web", since=since)
    assert [(x.revision, x.wanted, len(x.sets)) for x in samples] == [(since + 1, 1, 0), (since + 2, 1, 1)]


def test_the_revision_clock_dates_a_revision_by_the_first_delivery_that_saw_it():
    t = Trace()
    for sent, received, revision in ((0.0, 1.0, 5), (0.5, 2.0, 5), (1.5, 3.0, 7), (2.0, 2.5, 6), (3.0, None, 0)):
        h = t.record(None, "a", "b", "GET", "x", sent)
        h.received, h.revision = received, revision
    clock = revision_clock(t)
    assert [clock(r) for r in (1, 5, 6, 7, 8)] == [1.0, 1.0, 2.5, 3.0, None]


# -- the text twin ---------------------------------------------------------------------------

def test_the_table_has_a_column_per_replicaset_and_a_time_column_only_when_timed():
    store, since = rollout()
    samples = rollout_samples(store, "web", since=since)
    lines = rollout_table(samples[:3]).splitlines()
    assert lines[0].split() == ["REVISION", "WANTED", "PODS", "READY", "AVAILABLE", "TERMINATING",
                                "web-old", "(WANT/PODS/READY)", "web-new", "(WANT/PODS/READY)"]
    assert lines[1].split() == [str(since), "2", "2", "2", "2", "0", "2/2/2", "-"]
    assert lines[3].split()[-2:] == ["2/2/2", "1/1/0"]
    timed = rollout_table([samples[0]._replace(time=12.5)]).splitlines()
    assert timed[0].split()[:3] == ["REVISION", "TIME", "(s)"] and timed[1].split()[1] == "12.500"
    assert rollout_table([]) == "(no samples)"
    assert all(line == line.rstrip() for line in lines)


def test_names_fix_the_replicaset_columns():
    store, since = rollout()
    samples = rollout_samples(store, "web", since=since)
    header = rollout_table(samples, names=["web-new"]).splitlines()[0]
    assert "web-new" in header and "web-old" not in header


# -- the figures -----------------------------------------------------------------------------

def sample(revision, time, wanted, sets, terminating=0):
    counts = tuple(SetCount(n, r, want, pods, ready, ready, 0) for n, r, want, pods, ready in sets)
    return Sample(revision, time, wanted, sum(c.pods for c in counts), sum(c.ready for c in counts),
                  sum(c.available for c in counts), terminating, counts, "")


SAMPLES = [sample(10, 1.0, 4, [("web-a", "1", 4, 4, 4)]),
           sample(11, 1.5, 4, [("web-a", "1", 4, 4, 4), ("web-b", "2", 1, 1, 0)]),
           sample(12, 2.0, 4, [("web-a", "1", 3, 3, 3), ("web-b", "2", 1, 1, 1)], terminating=1),
           sample(13, 3.0, 4, [("web-a", "1", 0, 0, 0), ("web-b", "2", 4, 4, 4)])]


def test_the_rollout_figure_draws_each_count_as_steps_over_time_with_the_band_and_marks():
    fig = rollout_figure(SAMPLES, max_surge=1, max_unavailable=1, marks=[(1.2, "apply")], title="t")
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert {"wanted", "pods", "ready", "available", "terminating", "mark-0"} <= set(lines)
    assert list(lines["pods"].get_xdata()) == [1.0, 1.5, 2.0, 3.0]
    assert list(lines["pods"].get_ydata()) == [4, 5, 4, 4]
    assert list(lines["terminating"].get_ydata()) == [0, 0, 1, 0]
    assert any(c.get_gid() == "band" for c in ax.collections)
    assert any(t.get_text() == " apply" for t in ax.texts)
    assert to_png(fig)[:4] == b"\x89PNG"


def test_the_rollout_figure_by_revision_needs_no_clock_and_by_time_does():
    untimed = [s._replace(time=None) for s in SAMPLES]
    fig = rollout_figure(untimed, by="revision")
    assert list(next(l for l in fig.axes[0].get_lines() if l.get_gid() == "wanted").get_xdata()) == [10, 11, 12, 13]
    with pytest.raises(ValueError, match="clock"):
        rollout_figure(untimed)
    with pytest.raises(ValueError):
        rollout_figure([])


def test_the_handover_figure_has_what_was_asked_above_and_what_existed_below():
    fig = handover_figure(SAMPLES, max_surge=1, max_unavailable=1, title="hand-over")
    asked, stacked = fig.axes
    asked_lines = {line.get_gid(): line for line in asked.get_lines()}
    assert list(asked_lines["replicas-web-a"].get_ydata()) == [4, 4, 3, 0]
    assert list(asked_lines["replicas-web-b"].get_ydata()) == [0, 1, 1, 4]
    assert list(asked_lines["pods-web-b"].get_ydata()) == [0, 1, 1, 4]
    bounds = {line.get_gid(): list(line.get_ydata()) for line in stacked.get_lines()}
    assert bounds == {"most-pods": [5, 5, 5, 5], "fewest-ready": [3, 3, 3, 3]}
    areas = {c.get_gid() for c in stacked.collections}
    assert areas == {"ready-web-a", "starting-web-a", "ready-web-b", "starting-web-b"}
    assert "web-b (revision 2): spec.replicas" in [t.get_text() for t in asked.get_legend().get_texts()]
    assert to_png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        handover_figure([])
