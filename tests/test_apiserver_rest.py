"""Tests for the API server's REST semantics (k8slite/apiserver/server.py, registry.py, storage.py,
cacher.py): pagination, resourceVersion semantics, watches with bookmarks and 410s, compaction,
delete options, subresources, selectors and the Status errors, with upstream's codes and texts."""
from __future__ import annotations

import base64
import json

import pytest

from k8slite.api.scheme import SCHEME
from k8slite.apiserver.request import Request, Response, WatchEvent
from k8slite.apiserver.server import APIServer
from k8slite.apiserver.storage import COMPACT_REV_KEY, INCONSISTENT_CONTINUE
from k8slite.client.rest import Client
from k8slite.etcd.server import EtcdServer

ADMIN = ("sim", "kubernetes-admin", ("system:masters",))
from k8slite.sim import Kernel, Network, Trace

CONFIGMAPS = SCHEME.by_resource("", "configmaps")


class World:
    """An etcd, an API server, a client that sends raw requests, and endpoints that collect watches."""

    def __init__(self, seed: int = 1):
        self.kernel = Kernel(seed)
        self.trace = Trace()
        self.net = Network(self.kernel, self.trace)
        self.etcd = EtcdServer(self.kernel, self.net)
        self.api = APIServer(self.kernel, self.net)
        self.api.start()
        self.client = Client(self.kernel, self.net, "kubectl", "kubernetes-admin", ("system:masters",))
        self.net.listen("kubectl", "admin", self.client.on_message)
        self.kernel.run(seconds=1)
        self.call("POST", "/api/v1/namespaces/default/serviceaccounts", body={"metadata": {"name": "default"}})
        self.watchers = 0

    def call(self, method: str, path: str, query: tuple = (), body=None, content_type="application/json") -> Response:
        request = Request(method, path, tuple((k, str(v)) for k, v in query), body, "kubernetes-admin",
                          ("system:masters",), content_type, credential=ADMIN)
        return self.kernel.run_until_complete(self.net.request("kubectl", "kube-apiserver", method, request.line(),
                                                               request, 30.0))

    def ok(self, method: str, path: str, query: tuple = (), body=None, content_type="application/json") -> dict:
        response = self.call(method, path, query, body, content_type)
        assert response.code < 300, response.body
        return response.body

    def watch(self, path: str, query: tuple = ()) -> list:
        """Open a watch from a new endpoint; the returned list fills with (type, object) and ("END", None)."""
        self.watchers += 1
        name = f"watcher-{self.watchers}"
        got: list = []

        def on_message(msg) -> None:
            if msg.kind == "WATCH":
                event: WatchEvent = msg.body
                got.append((event.type, event.object))
            elif msg.kind == "WATCH_END":
                got.append(("END", None))
        self.net.listen(name, "outside", on_message)
        request = Request("GET", path, (("watch", "true"),) + tuple((k, str(v)) for k, v in query),
                          None, "kubernetes-admin", ("system:masters",), credential=ADMIN)
        reply = self.kernel.run_until_complete(self.net.request(name, "kube-apiserver", "GET", request.line(),
                                                                request, 30.0))
        got.append(("REPLY", reply))
        return got

    def run(self, seconds: float) -> None:
        self.kernel.run(seconds=seconds)

    def configmap(self, name: str, labels=None, data=None) -> dict:
        return self.ok("POST", "/api/v1/namespaces/default/configmaps",
                       body={"metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": name}})

    def pod(self, name: str, node: str = "", phase: str = "", labels=None, containers=("c",), ready=False) -> dict:
        self.ok("POST", "/api/v1/namespaces/default/pods", body={
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": c, "image": "nginx:1.25"} for c in containers]}})
        if node:
            self.ok("POST", f"/api/v1/namespaces/default/pods/{name}/binding",
                    body={"metadata": {"name": name}, "target": {"kind": "Node", "name": node}})
        if phase or ready:
            status = {"phase": phase or "Running"}
            if ready:
                status["conditions"] = [{"type": "Ready", "status": "True"}]
            self.ok("PATCH", f"/api/v1/namespaces/default/pods/{name}/status", body={"status": status},
                    content_type="application/merge-patch+json")
        return self.ok("GET", f"/api/v1/namespaces/default/pods/{name}")


@pytest.fixture
def w() -> World:
    return World()


def names(listed: dict) -> list[str]:
    return [item["metadata"]["name"] for item in listed["items"]]


def token(value: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def raw_token(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def status_of(response: Response) -> tuple:
    body = response.body
    return response.code, body.get("reason"), body.get("message")


# -- pagination -----------------------------------------------------------------------------------

def test_limit_and_continue_page_a_list_at_the_first_pages_revision_with_the_real_token(w):
    for i in range(5):
        w.configmap(f"cm-{i}")
    first = w.ok("GET", "/api/v1/namespaces/default/configmaps", (("limit", 2),))
    rv = int(first["metadata"]["resourceVersion"])
    assert names(first) == ["cm-0", "cm-1"]
    assert first["metadata"]["remainingItemCount"] == 3
    assert token(first["metadata"]["continue"]) == {"v": "meta.k8s.io/v1", "rv": rv, "start": "cm-1\u0000"}
    assert "=" not in first["metadata"]["continue"]              # base64.RawURLEncoding
    w.ok("DELETE", "/api/v1/namespaces/default/configmaps/cm-3")   # changes after the first page ...
    w.configmap("cm-5")
    second = w.ok("GET", "/api/v1/namespaces/default/configmaps",
                  (("limit", 2), ("continue", first["metadata"]["continue"])))
    third = w.ok("GET", "/api/v1/namespaces/default/configmaps",
                 (("limit", 2), ("continue", second["metadata"]["continue"])))
    # ... do not show: every page is read at the first page's revision.
    assert (names(second), names(third)) == (["cm-2", "cm-3"], ["cm-4"])
    assert {p["metadata"]["resourceVersion"] for p in (first, second, third)} == {str(rv)}
    assert second["metadata"]["remainingItemCount"] == 1
    assert "continue" not in third["metadata"] and "remainingItemCount" not in third["metadata"]


def test_a_compacted_continue_token_is_410_expired_with_a_token_to_go_on_inconsistently(w):
    for i in range(4):
        w.configmap(f"cm-{i}")
    first = w.ok("GET", "/api/v1/namespaces/default/configmaps", (("limit", 2),))
    w.configmap("cm-9")
    w.kernel.run_until_complete(w.api.etcd.compact(w.etcd.store.revision))
    response = w.call("GET", "/api/v1/namespaces/default/configmaps",
                      (("limit", 2), ("continue", first["metadata"]["continue"])))
    assert status_of(response) == (410, "Expired", INCONSISTENT_CONTINUE)
    assert INCONSISTENT_CONTINUE.startswith("The provided continue parameter is too old to display a consistent "
                                            "list result. You can start a new list without the continue parameter, "
                                            "or use the continue token in this response")
    fresh = response.body["metadata"]["continue"]
    assert token(fresh) == {"v": "meta.k8s.io/v1", "rv": -1, "start": "cm-1\u0000"}
    rest = w.ok("GET", "/api/v1/namespaces/default/configmaps", (("limit", 10), ("continue", fresh)))
    assert names(rest) == ["cm-2", "cm-3", "cm-9"]               # read at the newest revision


def test_with_a_selector_a_page_is_filled_past_filtered_items_and_has_no_remaining_count(w):
    for i in range(6):
        w.configmap(f"cm-{i}", labels={"keep": "yes" if i % 2 else "no"})
    page = w.ok("GET", "/api/v1/namespaces/default/configmaps", (("limit", 2), ("labelSelector", "keep=yes")))
    assert names(page) == ["cm-1", "cm-3"]
    assert "remainingItemCount" not in page["metadata"] and page["metadata"]["continue"]


@pytest.mark.parametrize("query, message", [
    ((("continue", "!!"),), "invalid continue token: continue key is not valid: illegal base64 data at input byte 0"),
    ((("continue", raw_token(b'{"v":"v2","rv":3,"start":"a"}')),),
     "invalid continue token: continue key is not valid: server does not recognize this encoded version v2"),
    ((("continue", raw_token(b'{"v":"meta.k8s.io/v1","rv":3,"start":"../x"}')),),
     "invalid continue token: continue key is not valid: ../x"),
    ((("continue", raw_token(b'{"v":"meta.k8s.io/v1","rv":3,"start":"a"}')),
      ("resourceVersion", "7")), "specifying resource version is not allowed when using continue"),
], ids=["not base64", "an unknown token version", "a start key outside the prefix", "a resourceVersion with continue"])
def test_bad_continue_requests_are_400(w, query, message):
    assert status_of(w.call("GET", "/api/v1/namespaces/default/configmaps", query)) == (400, "BadRequest", message)


# -- resourceVersion semantics of lists --------------------------------------------------------------

def test_list_resource_version_semantics(w):
    w.configmap("a")
    old_rv = w.ok("GET", "/api/v1/namespaces/default/configmaps")["metadata"]["resourceVersion"]
    w.configmap("b")
    w.run(1)
    before = len(w.trace.hops)
    cached = w.ok("GET", "/api/v1/namespaces/default/configmaps", (("resourceVersion", "0"),))
    assert names(cached) == ["a", "b"]
    assert not any(h.kind == "Range" for h in w.trace.hops[before:])      # served by the watch cache
    before = len(w.trace.hops)
    assert names(w.ok("GET", "/api/v1/namespaces/default/configmaps")) == ["a", "b"]
    assert any(h.kind == "Range" for h in w.trace.hops[before:])          # a consistent read from etcd
    exact = w.ok("GET", "/api/v1/namespaces/default/configmaps",
                 (("resourceVersion", old_rv), ("resourceVersionMatch", "Exact")))
    assert names(exact) == ["a"] and exact["metadata"]["resourceVersion"] == old_rv
    w.kernel.run_until_complete(w.api.etcd.compact(w.etcd.store.revision))
    assert status_of(w.call("GET", "/api/v1/namespaces/default/configmaps",
                            (("resourceVersion", old_rv), ("resourceVersionMatch", "Exact")))) == \
        (410, "Expired", "The resourceVersion for the provided list is too old.")
    future = str(w.etcd.store.revision + 100)
    response = w.call("GET", "/api/v1/namespaces/default/configmaps",
                      (("resourceVersion", future), ("resourceVersionMatch", "NotOlderThan"), ("limit", 5)))
    assert response.code == 504 and response.body["reason"] == "Timeout"
    assert response.body["message"] == f"Timeout: Too large resource version: {future}, current: " \
                                       f"{w.etcd.store.revision}"
    assert response.body["details"]["causes"] == [{"reason": "ResourceVersionTooLarge",
                                                   "message": "Too large resource version"}]


def test_list_options_are_validated_as_upstream(w):
    response = w.call("GET", "/api/v1/namespaces/default/configmaps", (("resourceVersionMatch", "Exact"),))
    assert status_of(response) == (422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: '
                                                   'Forbidden: resourceVersionMatch is forbidden unless '
                                                   'resourceVersion '
                                                   'is provided')
    response = w.call("GET", "/api/v1/namespaces/default/configmaps", (("sendInitialEvents", "true"),))
    assert response.body["message"].endswith("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")


# -- watch -------------------------------------------------------------------------------------------

def test_a_watch_from_a_version_gets_every_later_event_once_in_order(w):
    w.configmap("a")
    start = w.ok("GET", "/api/v1/namespaces/default/configmaps")["metadata"]["resourceVersion"]
    w.ok("PATCH", "/api/v1/namespaces/default/configmaps/a", body={"data": {"x": "1"}},
         content_type="application/merge-patch+json")
    w.configmap("b")
    got = w.watch("/api/v1/namespaces/default/configmaps", (("resourceVersion", start),))
    w.ok("DELETE", "/api/v1/namespaces/default/configmaps/a")
    w.run(1)
    events = [(t, o["metadata"]["name"]) for t, o in got if t not in ("REPLY", "END")]
    assert events == [("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    rvs = [int(o["metadata"]["resourceVersion"]) for t, o in got if t not in ("REPLY", "END")]
    assert rvs == sorted(rvs) and rvs[0] > int(start)


def test_an_object_leaving_a_label_selection_is_deleted_for_the_watcher(w):
    w.configmap("a", labels={"app": "x"})
    got = w.watch("/api/v1/namespaces/default/configmaps", (("labelSelector", "app=x"),))
    w.ok("PATCH", "/api/v1/namespaces/default/configmaps/a", body={"metadata": {"labels": {"app": "y"}}},
         content_type="application/merge-patch+json")
    w.run(1)
    assert [t for t, _ in got if t != "REPLY"] == ["ADDED", "DELETED"]


def test_bookmarks_every_minute_when_the_cache_moved_and_before_the_deadline(w):
    w.configmap("a")
    rv = w.ok("GET", "/api/v1/namespaces/default/configmaps")["metadata"]["resourceVersion"]
    quiet = w.watch("/api/v1/namespaces/default/configmaps",
                    (("resourceVersion", rv), ("allowWatchBookmarks", "true"), ("timeoutSeconds", 150)))
    w.run(61)
    assert [t for t, _ in quiet if t != "REPLY"] == []          # nothing newer than its start: no bookmark
    w.configmap("b")
    w.run(60)
    kinds = [t for t, _ in quiet if t != "REPLY"]
    assert kinds == ["ADDED", "BOOKMARK"]
    bookmark = quiet[-1][1]
    assert bookmark == {"kind": "ConfigMap", "apiVersion": "v1",
                        "metadata": {"resourceVersion": quiet[1][1]["metadata"]["resourceVersion"]}}
    w.run(30)                                                   # 148 s: 2 s before the deadline, then the end
    assert [t for t, _ in quiet if t != "REPLY"] == ["ADDED", "BOOKMARK", "BOOKMARK", "END"]


def test_a_watch_too_old_for_the_window_gets_an_error_event_410_inside_the_stream(w):
    w.api.registries[("", "configmaps")].cacher.capacity = 2
    for i in range(4):
        w.configmap(f"cm-{i}")
    w.run(1)
    oldest = w.api.registries[("", "configmaps")].cacher._oldest
    got = w.watch("/api/v1/namespaces/default/configmaps", (("resourceVersion", "2"),))
    w.run(1)
    assert got[0][1].code == 200
    assert got[1][0] == "ERROR"
    assert got[1][1] == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": f"too old resource version: 2 ({oldest})", "reason": "Expired", "code": 410}
    assert got[2] == ("END", None)


def test_send_initial_events_then_a_bookmark_marking_their_end(w):
    w.configmap("a")
    got = w.watch("/api/v1/namespaces/default/configmaps",
                  (("sendInitialEvents", "true"), ("resourceVersionMatch", "NotOlderThan"),
                   ("allowWatchBookmarks", "true")))
    w.run(1)
    assert [t for t, _ in got if t != "REPLY"] == ["ADDED", "BOOKMARK"]
    assert got[-1][1]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    response = w.call("GET", "/api/v1/namespaces/default/configmaps",
                      (("watch", "true"), ("sendInitialEvents", "true")))
    assert response.code == 422 and "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in \
        response.body["message"]


def test_the_watch_cache_relists_when_its_etcd_watch_is_cancelled_as_compacted(w):
    w.configmap("a")
    w.run(1)
    got = w.watch("/api/v1/namespaces/default/configmaps")
    w.run(1)
    for i in range(3):                          # move etcd on elsewhere, then compact past the cache's watch
        w.ok("POST", "/api/v1/namespaces/default/secrets", body={"metadata": {"name": f"s{i}"}})
    cacher = w.api.registries[("", "configmaps")].cacher
    client = w.api.etcd
    w.kernel.run_until_complete(client.compact(w.etcd.store.revision))
    client._resume(client._watches[cacher._watch_id])      # its stream breaks and must resume from its revision
    w.run(3)
    assert cacher.relists == 1 and cacher.ready
    assert got[-1] == ("END", None)                         # the cacher terminated its watchers
    w.configmap("b")
    w.run(1)
    assert [o["metadata"]["name"] for o in cacher.objects()] == ["a", "b"]


def test_the_compactor_writes_compact_rev_key_then_compacts_every_five_minutes(w):
    w.run(297)
    assert w.etcd.store.get(COMPACT_REV_KEY) is None
    w.run(3)
    key = w.etcd.store.get(COMPACT_REV_KEY)
    assert (key.value, key.version, w.etcd.store.compact_revision) == (b"0", 1, 0)   # no compaction on bootstrap
    first_round = key.mod_revision
    w.run(300)
    key = w.etcd.store.get(COMPACT_REV_KEY)
    assert (key.value, key.version) == (str(first_round).encode(), 2)
    assert w.etcd.store.compact_revision == first_round


# -- delete ------------------------------------------------------------------------------------------

def test_a_scheduled_pods_delete_is_graceful_and_returns_the_pod(w):
    w.pod("web", node="node-1", phase="Running")
    got = w.watch("/api/v1/namespaces/default/pods", (("resourceVersion", w.etcd.store.revision),))
    response = w.call("DELETE", "/api/v1/namespaces/default/pods/web")
    assert response.code == 200 and response.body["kind"] == "Pod"
    meta = response.body["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 30 and meta["deletionTimestamp"] == "2024-01-01T00:00:31Z"
    longer = w.ok("DELETE", "/api/v1/namespaces/default/pods/web", body={"gracePeriodSeconds": 60})
    assert longer["metadata"]["resourceVersion"] == meta["resourceVersion"]      # pending: nothing changes
    shorter = w.ok("DELETE", "/api/v1/namespaces/default/pods/web", (("gracePeriodSeconds", 5),))
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    assert shorter["metadata"]["deletionTimestamp"] == "2024-01-01T00:00:06Z"
    gone = w.ok("DELETE", "/api/v1/namespaces/default/pods/web", body={"gracePeriodSeconds": 0})
    w.run(1)
    assert [t for t, _ in got if t != "REPLY"] == ["MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    assert gone["metadata"]["resourceVersion"] == got[-1][1]["metadata"]["resourceVersion"]
    assert w.call("GET", "/api/v1/namespaces/default/pods/web").code == 404


def test_other_kinds_answer_a_delete_with_a_success_status(w):
    cm = w.configmap("a")
    assert w.ok("DELETE", "/api/v1/namespaces/default/configmaps/a") == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {"name": "a", "kind": "configmaps", "uid": cm["metadata"]["uid"]}}
    unscheduled = w.pod("p")
    assert w.ok("DELETE", "/api/v1/namespaces/default/pods/p")["metadata"]["uid"] == unscheduled["metadata"]["uid"]


DEPLOYMENT = {"metadata": {"name": "web"}, "spec": {
    "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


@pytest.mark.parametrize("path, options, finalizers, gone", [
    ("/apis/apps/v1/namespaces/default/deployments", {"propagationPolicy": "Orphan"}, ["orphan"], False),
    ("/apis/apps/v1/namespaces/default/deployments", {"propagationPolicy": "Foreground"}, ["foregroundDeletion"],
     False),
    ("/apis/apps/v1/namespaces/default/deployments", {"propagationPolicy": "Background"}, None, True),
    ("/apis/apps/v1/namespaces/default/deployments", {}, None, True),
    ("/apis/batch/v1/namespaces/default/jobs", {}, ["orphan"], False),
], ids=["Orphan adds the orphan finalizer", "Foreground adds foregroundDeletion", "Background deletes at once",
        "a Deployment's default policy deletes its dependents in the background",
        "a batch/v1 Job orphans its pods by default"])
def test_propagation_policy_sets_the_garbage_collectors_finalizers(w, path, options, finalizers, gone):
    body = DEPLOYMENT if "deployments" in path else {"metadata": {"name": "web"}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
    w.ok("POST", path, body=body)
    out = w.ok("DELETE", f"{path}/web", body=options)
    if gone:
        assert out["status"] == "Success" and w.call("GET", f"{path}/web").code == 404
    else:
        assert out["metadata"]["finalizers"] == finalizers and out["metadata"]["deletionTimestamp"]
        assert out["metadata"]["generation"] == 2          # markAsDeleting bumps it once


def test_removing_the_last_finalizer_of_an_object_being_deleted_deletes_it(w):
    w.ok("POST", "/api/v1/namespaces/default/configmaps", body={"metadata": {"name": "a", "finalizers": ["x/y"]}})
    marked = w.ok("DELETE", "/api/v1/namespaces/default/configmaps/a")
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 0
    w.ok("PATCH", "/api/v1/namespaces/default/configmaps/a", body={"metadata": {"finalizers": None}},
         content_type="application/merge-patch+json")
    assert w.call("GET", "/api/v1/namespaces/default/configmaps/a").code == 404


def test_delete_preconditions(w):
    cm = w.configmap("a")
    uid, rv = cm["metadata"]["uid"], cm["metadata"]["resourceVersion"]
    response = w.call("DELETE", "/api/v1/namespaces/default/configmaps/a", body={"preconditions": {"uid": "other"}})
    assert status_of(response) == (409, "Conflict", f'Operation cannot be fulfilled on ConfigMap "a": the UID in the '
                                                    f"precondition (other) does not match the UID in record ({uid}). "
                                                    "The object might have been deleted and then recreated")
    response = w.call("DELETE", "/api/v1/namespaces/default/configmaps/a",
                      body={"preconditions": {"resourceVersion": "1"}})
    assert response.body["message"] == (f'Operation cannot be fulfilled on ConfigMap "a": the ResourceVersion in the '
                                         f"precondition (1) does not match the ResourceVersion in record ({rv}). "
                                         "The object might have been modified")
    # The storage layer checks again on the object it deletes (a race): storage.Preconditions.Check.
    storage = w.api.registries[("", "configmaps")].storage
    with pytest.raises(Exception) as caught:
        w.kernel.run_until_complete(storage.delete(storage.key("default", "a"), "a", {"uid": "other"}))
    assert caught.value.status["message"] == (f'Operation cannot be fulfilled on configmaps "a": Precondition '
                                              f"failed: UID in precondition: other, UID in object meta: {uid}")
    assert w.ok("DELETE", "/api/v1/namespaces/default/configmaps/a", body={"preconditions": {"uid": uid}})


def test_a_namespace_is_deleted_in_two_steps_and_checks_its_uid_precondition(w):
    ns = w.ok("POST", "/api/v1/namespaces", body={"metadata": {"name": "team"}})
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    response = w.call("DELETE", "/api/v1/namespaces/team", body={"preconditions": {"uid": "x"}})
    assert status_of(response) == (409, "Conflict", 'Operation cannot be fulfilled on namespaces "team": Precondition '
                                                    f'failed: UID in precondition: x, UID in object meta: '
                                                    f'{ns["metadata"]["uid"]}')
    terminating = w.ok("DELETE", "/api/v1/namespaces/team")
    assert terminating["status"]["phase"] == "Terminating" and terminating["metadata"]["deletionTimestamp"]
    # Finalizing with no finalizers left deletes it in the same update (ShouldDeleteNamespaceDuringUpdate).
    w.ok("PUT", "/api/v1/namespaces/team/finalize", body=dict(terminating, spec={"finalizers": []}))
    assert w.call("GET", "/api/v1/namespaces/team").code == 404


def test_invalid_delete_options_are_422(w):
    w.configmap("a")
    response = w.call("DELETE", "/api/v1/namespaces/default/configmaps/a", body={"propagationPolicy": "Sometimes"})
    assert status_of(response) == (422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
                                                   'Unsupported value: "Sometimes": supported values: "Foreground", '
                                                   '"Background", "Orphan", "nil"')


def test_deletecollection_deletes_what_the_selector_selects_and_returns_the_list(w):
    for i in range(4):
        w.configmap(f"cm-{i}", labels={"batch": str(i % 2)})
    out = w.ok("DELETE", "/api/v1/namespaces/default/configmaps", (("labelSelector", "batch=1"),))
    assert out["kind"] == "ConfigMapList" and names(out) == ["cm-1", "cm-3"]
    assert names(w.ok("GET", "/api/v1/namespaces/default/configmaps")) == ["cm-0", "cm-2"]
    assert w.call("DELETE", "/api/v1/namespaces").body["code"] == 405      # namespaces have no deletecollection


# -- subresources ------------------------------------------------------------------------------------

def test_status_and_main_updates_each_ignore_the_other_part_and_generation_follows_the_spec(w):
    d = w.ok("POST", "/apis/apps/v1/namespaces/default/deployments", body=DEPLOYMENT)
    assert d["metadata"]["generation"] == 1 and d["status"] == {}
    d["status"] = {"replicas": 7}
    d["metadata"]["labels"] = {"tier": "web"}
    updated = w.ok("PUT", "/apis/apps/v1/namespaces/default/deployments/web", body=d)
    assert updated["status"] == {} and updated["metadata"]["generation"] == 1       # labels: no new generation
    updated["spec"]["replicas"] = 3
    updated["status"] = {"replicas": 2}
    updated["metadata"]["labels"] = {"tier": "other"}
    status = w.ok("PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", body=updated)
    assert status["spec"]["replicas"] == 1 and status["status"] == {"replicas": 2}
    assert status["metadata"]["labels"] == {"tier": "web"}                   # a Deployment's labels too
    assert status["metadata"]["generation"] == 1
    status["spec"]["replicas"] = 3
    assert w.ok("PUT", "/apis/apps/v1/namespaces/default/deployments/web", body=status)["metadata"]["generation"] == 2
    annotated = w.ok("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                     body={"metadata": {"annotations": {"note": "x"}}}, content_type="application/merge-patch+json")
    assert annotated["metadata"]["generation"] == 3                          # Deployment annotations count


def test_binding_assigns_a_node_once(w):
    w.pod("p")
    bound = w.call("POST", "/api/v1/namespaces/default/pods/p/binding",
                   body={"metadata": {"name": "p"}, "target": {"name": "node-1"}})
    assert (bound.code, bound.body) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                              "status": "Success", "code": 201})
    pod = w.ok("GET", "/api/v1/namespaces/default/pods/p")
    assert pod["spec"]["nodeName"] == "node-1"
    assert pod["status"]["conditions"] == [{"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                                            "lastTransitionTime": "2024-01-01T00:00:01Z"}]
    again = w.call("POST", "/api/v1/namespaces/default/pods/p/binding",
                   body={"metadata": {"name": "p"}, "target": {"name": "node-2"}})
    assert status_of(again) == (409, "Conflict", 'Operation cannot be fulfilled on pods/binding "p": pod p is already '
                                                 'assigned to node "node-1"')
    other = w.call("POST", "/api/v1/namespaces/default/pods/p/binding",
                   body={"metadata": {"name": "q"}, "target": {"name": "node-2"}})
    assert status_of(other) == (400, "BadRequest", "name in URL does not match name in Binding object")


def test_scale_get_put_and_merge_patch(w):
    w.ok("POST", "/apis/apps/v1/namespaces/default/deployments", body=DEPLOYMENT)
    scale = w.ok("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 1} and scale["status"] == {"replicas": 0, "selector": "app=web"}
    patched = w.ok("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", body={"spec": {"replicas": 4}},
                   content_type="application/merge-patch+json")
    assert patched["spec"] == {"replicas": 4}
    put = w.ok("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale",
               body={"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"}, "spec": {}})
    assert put["spec"] == {}                                 # replicas 0: omitempty in autoscaling/v1
    deployment = w.ok("GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert deployment["spec"]["replicas"] == 0 and deployment["metadata"]["generation"] == 3
    response = w.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                      body={"spec": {"replicas": -1}}, content_type="application/merge-patch+json")
    assert status_of(response) == (422, "Invalid", 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: '
                                                   '-1: must be greater than or equal to 0')
    response = w.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                      body={"metadata": {"uid": "x"}}, content_type="application/merge-patch+json")
    assert response.body["message"] == ('Operation cannot be fulfilled on deployments/scale.apps "web": Precondition '
                                         f'failed: UID in precondition: x, UID in object meta: '
                                         f'{deployment["metadata"]["uid"]}')


def pdb(w, allowed: int, generation_seen: int = 1) -> dict:
    created = w.ok("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", body={
        "metadata": {"name": "budget"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    created["status"] = {"observedGeneration": generation_seen, "disruptionsAllowed": allowed, "currentHealthy": 1,
                         "desiredHealthy": 1, "expectedPods": 1}
    return w.ok("PUT", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/budget/status", body=created)


EVICTION = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web"}}


def test_eviction_without_a_budget_deletes_the_pod(w):
    w.pod("web", node="node-1", phase="Running", ready=True)
    response = w.call("POST", "/api/v1/namespaces/default/pods/web/eviction", body=EVICTION)
    assert (response.code, response.body) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                    "status": "Success", "code": 201})
    assert w.ok("GET", "/api/v1/namespaces/default/pods/web")["metadata"]["deletionTimestamp"]


def test_eviction_that_would_violate_the_budget_is_429(w):
    w.pod("web", node="node-1", phase="Running", ready=True, labels={"app": "web"})
    pdb(w, allowed=0)
    response = w.call("POST", "/api/v1/namespaces/default/pods/web/eviction", body=EVICTION)
    assert status_of(response) == (429, "TooManyRequests",
                                   "Cannot evict pod as it would violate the pod's disruption budget.")
    assert response.body["details"] == {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget "
                                                    "budget needs 1 healthy pods and has 1 currently"}]}
    assert "deletionTimestamp" not in w.ok("GET", "/api/v1/namespaces/default/pods/web")["metadata"]


def test_eviction_within_the_budget_decrements_it_and_records_the_disrupted_pod(w):
    w.pod("web", node="node-1", phase="Running", ready=True, labels={"app": "web"})
    pdb(w, allowed=1)
    assert w.call("POST", "/api/v1/namespaces/default/pods/web/eviction", body=EVICTION).code == 201
    status = w.ok("GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/budget")["status"]
    assert status["disruptionsAllowed"] == 0 and list(status["disruptedPods"]) == ["web"]
    assert status["conditions"][0]["type"] == "DisruptionAllowed" and status["conditions"][0]["status"] == "False"


def test_eviction_before_the_budget_is_observed_asks_to_retry_later(w):
    w.pod("web", node="node-1", phase="Running", ready=True, labels={"app": "web"})
    pdb(w, allowed=1, generation_seen=0)
    response = w.call("POST", "/api/v1/namespaces/default/pods/web/eviction", body=EVICTION)
    assert response.code == 429 and response.body["details"]["retryAfterSeconds"] == 10
    assert response.body["details"]["causes"][0]["message"] == \
        "The disruption budget budget is still being processed by the server."


def test_logs_are_asked_of_the_nodes_kubelet(w):
    asked = []

    def kubelet(msg):
        asked.append(msg.body.line())
        w.net.reply(msg, Response(200, "line 1\nline 2\n"), "200 OK")
    w.net.listen("kubelet/node-1", "node-1", kubelet)
    w.pod("web", node="node-1", phase="Running")
    response = w.call("GET", "/api/v1/namespaces/default/pods/web/log", (("tailLines", 2), ("timestamps", "true")))
    assert (response.code, response.body) == (200, "line 1\nline 2\n")
    assert asked == ["GET /containerLogs/default/web/c?timestamps=true&tailLines=2"]
    w.pod("two", node="node-2", containers=("a", "b"))
    assert status_of(w.call("GET", "/api/v1/namespaces/default/pods/two/log")) == (
        400, "BadRequest", "a container name must be specified for pod two, choose one of: [a b]")
    assert status_of(w.call("GET", "/api/v1/namespaces/default/pods/two/log", (("container", "z"),))) == (
        400, "BadRequest", "container z is not valid for pod two")
    response = w.call("GET", "/api/v1/namespaces/default/pods/two/log", (("container", "a"),))
    assert response.code == 500 and "reason" not in response.body
    assert response.body["message"] == ('Get "https://node-2:10250/containerLogs/default/two/a": dial tcp '
                                        'node-2:10250: i/o timeout')          # no kubelet answers there
    response = w.call("GET", "/api/v1/namespaces/default/pods/web/log", (("tailLines", -1),))
    assert status_of(response) == (422, "Invalid", 'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: '
                                                   'must be greater than or equal to 0')
    w.pod("pending")
    assert w.call("GET", "/api/v1/namespaces/default/pods/pending/log").body == ""


# -- selectors ---------------------------------------------------------------------------------------

def test_field_selectors_per_kind(w):
    w.pod("a", node="node-1", phase="Running")
    w.pod("b")
    pick = lambda selector: names(w.ok("GET", "/api/v1/namespaces/default/pods", (("fieldSelector", selector),)))
    assert pick("spec.nodeName=node-1") == ["a"]
    assert pick("status.phase=Pending") == ["b"]
    assert pick("spec.host=node-1") == ["a"]                               # the old v1 name
    assert pick("metadata.name=b") == ["b"]
    for name, reason in (("a", "Scheduled"), ("b", "Pulled")):
        w.ok("POST", "/api/v1/namespaces/default/events", body={
            "metadata": {"name": f"{name}.1"}, "involvedObject": {"kind": "Pod", "name": name, "namespace": "default"},
            "reason": reason, "type": "Normal"})
    events = w.ok("GET", "/api/v1/namespaces/default/events",
                  (("fieldSelector", "involvedObject.name=b,involvedObject.kind=Pod,type=Normal"),))
    assert names(events) == ["b.1"]
    assert status_of(w.call("GET", "/api/v1/namespaces/default/pods", (("fieldSelector", "spec.image=x"),))) == (
        400, "BadRequest", "field label not supported: spec.image")
    assert w.call("GET", "/api/v1/namespaces/default/configmaps", (("fieldSelector", "data.k=x"),)).body["message"] == \
        '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"'


# -- errors ------------------------------------------------------------------------------------------

def test_errors_are_status_objects_with_upstreams_reasons_and_nothing_is_stored(w):
    w.configmap("a")
    revision = w.etcd.store.revision
    cases = [
        (("GET", "/api/v1/namespaces/default/configmaps/zzz"), (404, "NotFound", 'configmaps "zzz" not found')),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"metadata": {"name": "a"}}),
         (409, "AlreadyExists", 'configmaps "a" already exists')),
        (("PUT", "/api/v1/namespaces/default/configmaps/a", (), {"metadata": {"name": "a", "resourceVersion": "2"}}),
         (409, "Conflict", 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please '
                           'apply your changes to the latest version and try again')),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"metadata": {"name": "Bad_Name"}}),
         (422, "Invalid", 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
                          "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
                          "start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"apiVersion": "apps/v1", "kind": "ConfigMap",
                                                                "metadata": {"name": "x"}}),
         (400, "BadRequest", 'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is '
                             'registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"')),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                "metadata": {"name": "x"}}),
         (400, "BadRequest", 'Deployment in version "v1" cannot be handled as a ConfigMap: converting (v1.Deployment) '
                             "to (core.ConfigMap): unknown conversion")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"kind": "Widget", "metadata": {"name": "x"}}),
         (400, "BadRequest", 'Widget in version "v1" cannot be handled as a ConfigMap: no kind "Widget" is registered '
                             'for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"')),
        (("POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", (),
          {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"}}),
         (400, "BadRequest", "the API version in the data (autoscaling/v1) does not match the expected API version "
                             "(autoscaling/v2)")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), ["not", "an", "object"]),
         (400, "BadRequest", "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
                             "version/kind; json parse error: json: cannot unmarshal array into Go value of type "
                             'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
                             '"json:\\"kind,omitempty\\"" } (5b226e6f74222c22616e222c226f626a656374225d)')),
        (("PUT", "/api/v1/namespaces/default/configmaps/a", (), {"metadata": {"name": "b"}}),
         (400, "BadRequest", "the name of the object (b) does not match the name on the URL (a)")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"metadata": {"name": "x", "namespace": "other"}}),
         (400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")),
        (("GET", "/api/v1/namespaces/default/pods/a/eviction"),
         (405, "MethodNotAllowed", "the server does not allow this method on the requested resource")),
        (("PATCH", "/api/v1/namespaces/default/configmaps/a", (), {"data": {}}, "application/xml"),
         (415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types "
                                       "include: application/json-patch+json, application/merge-patch+json, "
                                       "application/strategic-merge-patch+json")),
        (("PATCH", "/api/v1/namespaces/default/configmaps/a", (), [{"op": "test", "path": "/data/k", "value": "no"}],
          "application/json-patch+json"),
         (422, "Invalid", "the server rejected our request due to an error in our request")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"metadata": {"name": "big"},
                                                                "data": {"k": "x" * (3 * 1024 * 1024)}}),
         (413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")),
        (("POST", "/api/v1/namespaces/default/configmaps", (), {"metadata": {"name": "big"},
                                                                "data": {"k": "x" * (1600 * 1024)}}),
         (500, None, "etcdserver: request is too large")),
    ]
    for args, expected in cases:
        response = w.call(*args)
        assert status_of(response) == expected, args[:2]
        assert response.body["kind"] == "Status" and response.body["status"] == "Failure"
    assert w.etcd.store.revision == revision                      # not one of them wrote anything
    invalid = w.call("POST", "/api/v1/namespaces/default/configmaps", body={"metadata": {"name": "Bad_Name"}}).body
    assert invalid["details"]["causes"][0] == {"reason": "FieldValueInvalid", "field": "metadata.name",
                                               "message": invalid["message"].split("metadata.name: ", 1)[1]}


def test_the_official_clients_shapes_pod_delete_returns_the_pod_and_get_by_resource_version_0_uses_the_cache(w):
    w.pod("p")
    before = len(w.trace.hops)
    cached = w.ok("GET", "/api/v1/namespaces/default/pods/p", (("resourceVersion", "0"),))
    assert cached["metadata"]["name"] == "p" and not any(h.kind == "Range" for h in w.trace.hops[before:])
    deleted = w.ok("DELETE", "/api/v1/namespaces/default/pods/p")
    assert deleted["kind"] == "Pod" and isinstance(deleted["metadata"]["resourceVersion"], str)


def test_a_watch_of_one_named_object(w):
    w.configmap("a")
    w.configmap("b")
    got = w.watch("/api/v1/namespaces/default/configmaps/b")
    w.ok("PATCH", "/api/v1/namespaces/default/configmaps/a", body={"data": {"z": "1"}},
         content_type="application/merge-patch+json")
    w.run(1)
    assert [(t, o["metadata"]["name"]) for t, o in got if t not in ("REPLY", "END")] == [("ADDED", "b")]


def test_kubectl_apply_style_strategic_patch_end_to_end(w):
    """What kubectl apply sends after a container is removed from the manifest and one renamed."""
    d = dict(DEPLOYMENT)
    d["spec"] = json.loads(json.dumps(DEPLOYMENT["spec"]))
    d["spec"]["template"]["spec"]["containers"] = [{"name": "c", "image": "nginx"}, {"name": "side", "image": "busy"}]
    w.ok("POST", "/apis/apps/v1/namespaces/default/deployments", body=d)
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "side"}, {"name": "new"}],
        "containers": [{"name": "new", "image": "nginx:2"}, {"$patch": "delete", "name": "c"}]}}}}
    out = w.ok("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", body=patch,
               content_type="application/strategic-merge-patch+json")
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["side", "new"]
    assert out["metadata"]["generation"] == 2


def test_the_client_pages_evicts_and_reads_logs(w):
    for i in range(3):
        w.configmap(f"cm-{i}")
    run = w.kernel.run_until_complete
    first = run(w.client.list(CONFIGMAPS, "default", limit=2))
    rest = run(w.client.list(CONFIGMAPS, "default", limit=2, continue_token=first["metadata"]["continue"]))
    assert names(first) + names(rest) == ["cm-0", "cm-1", "cm-2"]
    w.net.listen("kubelet/node-1", "node-1", lambda msg: w.net.reply(msg, Response(200, "hi\n"), "200 OK"))
    w.pod("web", node="node-1", phase="Running")
    assert run(w.client.logs("default", "web", tail_lines=1)) == "hi\n"
    assert run(w.client.evict("default", "web"))["status"] == "Success"
    assert names(run(w.client.delete_collection(CONFIGMAPS, "default"))) == ["cm-0", "cm-1", "cm-2"]


def test_every_watch_cache_relists_after_etcd_restarts_past_a_compaction():
    """Each resource's etcd watch is refused as compacted with an id of its own, so each cache relists."""
    from k8slite import Cluster
    cluster = Cluster.up(nodes=1, seed=4)
    cluster.run(700)                                # the API server has compacted etcd by now
    cluster.crash("etcd")
    cluster.run(5)
    cluster.restart("etcd")
    cluster.run(60)
    configmaps = SCHEME.by_resource("", "configmaps")
    cluster.kernel.run_until_complete(cluster.admin.create(configmaps, "default", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}}))
    cluster.run(2)
    assert cluster.apiserver.cached("configmaps", "default", "after") is not None
