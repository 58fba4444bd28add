"""Tests of k8slite/viz/pipeline.py: where each request stopped in the handler chain, its etcd hops
and watch events, read from a real API server's trace; the text table and the figure."""
from __future__ import annotations

import pytest

from k8slite.apiserver.request import Request
from k8slite.apiserver.server import APIServer
from k8slite.etcd.server import EtcdServer
from k8slite.sim import Kernel, Network, Trace
from k8slite.viz.pipeline import (ADMIT, AUTHN, AUTHZ, CACHE, COLOR, DECODE, ETCD, PASSED, SKIPPED, STAGES, STOPPED,
                                  UNREACHED, VALIDATE, pipeline_diagram, pipeline_row, pipeline_table, stopped_at)
from k8slite.viz.sequence import to_png

ADMIN = ("sim", "kubernetes-admin", ("system:masters",))
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
LETTER = {PASSED: "P", STOPPED: "X", UNREACHED: ".", SKIPPED: "-"}


class World:
    """An etcd, an API server, and endpoints that send raw requests and hold watches."""

    def __init__(self):
        self.kernel = Kernel(3)
        self.trace = Trace()
        self.net = Network(self.kernel, self.trace)
        self.etcd = EtcdServer(self.kernel, self.net)
        self.api = APIServer(self.kernel, self.net)
        self.api.start()
        self.net.listen("kubectl", "admin", lambda msg: None)
        self.net.listen("watcher", "outside", lambda msg: None)
        self.kernel.run(seconds=1)

    def send(self, method, path, query=(), body=None, credential=ADMIN, src="kubectl",
             content_type="application/json"):
        """Send a request; returns the id of its hop."""
        user, groups = (credential[1], credential[2]) if credential else ("system:anonymous", ())
        request = Request(method, path, tuple(query), body, user, groups, content_type, credential=credential)
        mark = len(self.trace)
        self.kernel.run_until_complete(self.net.request(src, "kube-apiserver", method, request.line(), request, 30.0))
        self.kernel.run(seconds=0.1)
        return self.trace.hops[mark].id

    def row(self, *args, **kwargs):
        return pipeline_row(self.trace, self.send(*args, **kwargs))


@pytest.fixture
def w() -> World:
    world = World()
    world.send("POST", CONFIGMAPS, body={"metadata": {"name": "a"}, "data": {"k": "v"}})
    return world


def states(row) -> str:
    return "".join(LETTER[c.state] for c in row.cells)


# cells: one letter per stage (AUTHN AUTHZ DECODE MUTATE VALIDATE ADMIT ETCD CACHE):
# P passed, X refused there, . not reached, - not a step of this verb
CASES = [
    (dict(method="GET", path=CONFIGMAPS, credential=None), 401, AUTHN, "X..---.-", (), 0),
    (dict(method="GET", path=CONFIGMAPS, credential=("sim", "jane", ())), 403, AUTHZ, "PX.---.-", (), 0),
    (dict(method="POST", path=CONFIGMAPS, body={"metadata": {"name": "Bad_Name"}}), 422, VALIDATE, "PPPPX...", (), 0),
    (dict(method="POST", path=CONFIGMAPS, body={"metadata": {"name": "b"}}), 201, None, "PPPPPPPP", ("Txn",), 1),
    (dict(method="GET", path=f"{CONFIGMAPS}/a"), 200, None, "PPP---P-", ("Range",), 0),
    (dict(method="GET", path=CONFIGMAPS, query=(("resourceVersion", "0"),)), 200, None, "PPP----P", (), 0),
    (dict(method="GET", path="/api/v1/pods", query=(("fieldSelector", "spec.image=x"),)), 400, DECODE, "PPX---.-",
     (), 0),
    (dict(method="PUT", path=f"{CONFIGMAPS}/a", body={"metadata": {"name": "a", "resourceVersion": "1"}}), 409, ETCD,
     "PPPPPPX.", ("Range",), 0),
    (dict(method="GET", path=f"{CONFIGMAPS}/zzz"), 404, ETCD, "PPP---X-", ("Range",), 0),
    (dict(method="GET", path=f"{CONFIGMAPS}/zzz", query=(("resourceVersion", "0"),)), 404, CACHE, "PPP----X", (), 0),
    (dict(method="DELETE", path=f"{CONFIGMAPS}/a"), 200, None, "PPP--PPP", ("Range", "Range", "Txn"), 1),
    (dict(method="GET", path=CONFIGMAPS, query=(("watch", "true"), ("timeoutSeconds", "1")), src="watcher"), 200,
     None, "PPP----P", (), 1),
]
IDS = ["an anonymous request stops at authentication, before anything is decoded",
       "a user without a binding stops at authorization",
       "an invalid object stops at validation and never reaches etcd",
       "a create passes every stage, costs one Txn, and its event reaches the one watcher",
       "a consistent get costs one etcd Range and skips the write-only stages",
       "a list at resourceVersion 0 is served by the watch cache without asking etcd",
       "an unsupported field selector is refused while the query is decoded",
       "a stale update is refused at storage after its Range, before any Txn",
       "a get of a missing object is refused by etcd",
       "a get of a missing object at resourceVersion 0 is refused by the watch cache",
       "a delete reads, reads again to check preconditions, then deletes with a Txn",
       "a watch replays the current objects from the cache"]


@pytest.mark.parametrize("request_, code, stopped, cells, etcd, events", CASES, ids=IDS)
def test_a_row_says_how_far_a_request_got_and_what_it_cost(w, request_, code, stopped, cells, etcd, events):
    if request_["method"] in ("POST", "DELETE") and code < 300:       # someone to tell about the write
        w.send("GET", CONFIGMAPS, (("watch", "true"), ("resourceVersion", "0")), src="watcher")
    row = w.row(**request_)
    assert (row.code, row.stopped, row.etcd, row.events) == (code, stopped, etcd, events)
    assert states(row) == cells
    assert row.request.startswith(request_["method"] + " " + request_["path"])


def test_the_answer_is_the_status_line_and_the_status_message(w):
    row = w.row("PUT", f"{CONFIGMAPS}/a", body={"metadata": {"name": "a", "resourceVersion": "1"}})
    assert row.answer == ('409 Conflict: Operation cannot be fulfilled on configmaps "a": the object has been '
                          "modified; please apply your changes to the latest version and try again")
    ok = w.row("GET", f"{CONFIGMAPS}/a")
    assert ok.answer.startswith("200 OK configmap/a rv=")


def test_a_lost_compare_and_swap_is_marked_and_retried(w):
    for i in range(3):
        w.net.listen(f"writer-{i}", "outside", lambda msg: None)

    async def together():
        futures = []
        for i in range(3):
            request = Request("PATCH", f"{CONFIGMAPS}/a", (), {"data": {f"w{i}": "x"}}, ADMIN[1], ADMIN[2],
                              "application/merge-patch+json", credential=ADMIN)
            futures.append(w.net.request(f"writer-{i}", "kube-apiserver", "PATCH", request.line(), request, 30.0))
        return [await f for f in futures]
    mark = len(w.trace)
    w.kernel.run_until_complete(together())
    rows = [pipeline_row(w.trace, h.id) for h in w.trace.hops[mark:] if h.kind == "PATCH"]
    assert all(r.code == 200 for r in rows)
    assert any("Txn✗" in r.etcd for r in rows)                  # somebody lost a race and tried again
    for r in rows:
        assert r.etcd[0] == "Range" and r.etcd[-1] == "Txn"   # ... and every patch ended with a winning Txn


@pytest.mark.parametrize("verb, code, message, stage", [
    ("get", 200, "", None),
    ("list", 401, "Unauthorized", AUTHN),
    ("create", 403, 'pods is forbidden: User "jane" cannot create resource "pods" in API group ""', AUTHZ),
    ("create", 403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest"', ADMIT),
    ("list", 422, 'ListOptions.meta.k8s.io "" is invalid', DECODE),
    ("update", 422, 'ConfigMap "a" is invalid', VALIDATE),
    ("patch", 415, "the body of the request was in an unknown format", DECODE),
    ("create", 409, 'configmaps "a" already exists', ETCD),
    ("list", 410, "The provided continue parameter is too old", ETCD),
], ids=["a success stopped nowhere", "401 is authentication", "403 from the authorizer is authorization",
        "any other 403 is admission", "a 422 on a read is its query", "a 422 on a write is validation",
        "an unknown patch type is refused while decoding", "AlreadyExists comes from etcd's compare",
        "an expired continue token comes from storage"])
def test_stopped_at(verb, code, message, stage):
    assert stopped_at(verb, code, message) == stage


def test_a_request_not_yet_answered_has_no_row():
    trace = Trace()
    hop = trace.record(None, "kubectl", "kube-apiserver", "GET", "GET /api/v1/pods", 0.0)
    with pytest.raises(ValueError, match="no answer"):
        pipeline_row(trace, hop.id)


def test_the_table_is_the_picture_in_text(w):
    rows = [w.row("GET", CONFIGMAPS, credential=None), w.row("GET", f"{CONFIGMAPS}/a")]
    lines = pipeline_table(rows, width=30).splitlines()
    assert lines[0].split() == ["REQUEST", "AUTHN", "AUTHZ", "DECODE", "MUTATE", "VALIDATE", "ADMIT", "ETCD", "WATCH",
                                "CACHE", "ANSWER"]
    assert lines[1].split()[:10] == ["GET", "/api/v1/namespaces/defaul…", "✗", "·", "·", "-", "-", "-", "·", "-"]
    assert lines[1].endswith("401 Unauthorized: Unauthorized")
    assert lines[2].split()[2:10] == ["✓", "✓", "✓", "-", "-", "-", "✓", "Range"]
    assert lines[-1].startswith("✓ passed")
    assert pipeline_table([]) == "(no requests)"


matplotlib = pytest.importorskip("matplotlib")


def test_one_cell_per_stage_and_request_coloured_by_state(w):
    from matplotlib.colors import to_rgba
    rows = [w.row("GET", CONFIGMAPS, credential=None), w.row("GET", f"{CONFIGMAPS}/a")]
    fig = pipeline_diagram(rows, title="two requests")
    cells = {p.get_gid(): p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith("cell-")}
    assert len(cells) == len(rows) * len(STAGES)
    assert cells[f"cell-0-{AUTHN}"].get_facecolor() == to_rgba(COLOR[STOPPED])
    assert cells[f"cell-1-{ETCD}"].get_facecolor() == to_rgba(COLOR[PASSED])
    assert cells[f"cell-1-{VALIDATE}"].get_facecolor() == to_rgba(COLOR[SKIPPED])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "✓ Range" in texts and "two requests" in texts


def test_the_figure_is_the_same_bytes_every_time_and_stays_out_of_pyplot(w):
    import matplotlib.pyplot as plt
    rows = [w.row("GET", f"{CONFIGMAPS}/a")]
    before = plt.get_fignums()
    assert to_png(pipeline_diagram(rows)) == to_png(pipeline_diagram(rows))
    assert plt.get_fignums() == before
