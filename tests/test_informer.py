"""client-go's tools/cache: the DeltaFIFO, the reflector's list and watch rules, and informers end to end.

The DeltaFIFO cases restate client-go's ``delta_fifo_test.go``; the reflector's rules are checked
against a fake ListWatch that records each call; the informer cases run against a real
(simulated) API server, including a watch that falls behind compaction and an API server restart.
"""
from __future__ import annotations

import pytest

from k8slite import Cluster
from k8slite.api import errors
from k8slite.api.scheme import SCHEME
from k8slite.client.deltafifo import (ADDED, DELETED, REPLACED, SYNC, UPDATED, DeletedFinalStateUnknown, Delta,
                                      DeltaFIFO, Requeue)
from k8slite.client.informer import Indexer, SharedIndexInformer, SharedInformerFactory
from k8slite.client.reflector import ExponentialBackoffManager, Reflector
from k8slite.client.rest import Client
from k8slite.sim import Kernel

CONFIGMAPS = SCHEME.by_resource("", "configmaps")


def obj(name: str, rv: int) -> dict:
    return {"metadata": {"name": name, "resourceVersion": str(rv)}}


class Known:
    """A fixed set of known objects (the DeltaFIFO's knownObjects), as the test's literalListerGetter."""

    def __init__(self, *objects: dict):
        self.objects = {o["metadata"]["name"]: o for o in objects}

    def list_keys(self) -> list[str]:
        return list(self.objects)

    def get_by_key(self, key: str):
        return self.objects.get(key)


def fifo(*known: dict, replaced: bool = False, no_known: bool = False) -> DeltaFIFO:
    return DeltaFIFO(Kernel(0), known_objects=None if no_known else Known(*known), emit_delta_type_replaced=replaced)


def pop_all(f: DeltaFIFO) -> list[list[Delta]]:
    out = []
    while len(f):
        out.append(f.pop_ready())
    return out


def tomb(name: str, last):
    return DeletedFinalStateUnknown(name, last)


# -- DeltaFIFO ---------------------------------------------------------------------------------

def test_a_key_keeps_its_first_place_in_line_however_many_deltas_follow():
    f = fifo(no_known=True)
    for name, rv in (("foo", 10), ("bar", 1), ("foo", 11), ("foo", 13), ("zab", 30)):
        f.add(obj(name, rv))
    assert f.pop_ready()[-1].object == obj("foo", 13)
    f.add(obj("foo", 14))                        # foo queues again, behind the others
    assert [d[-1].object["metadata"]["resourceVersion"] for d in pop_all(f)] == ["1", "30", "14"]


def test_pop_hands_over_every_delta_of_a_key_at_once_oldest_first():
    f = fifo(no_known=True)
    f.add(obj("foo", 10))
    f.update(obj("foo", 12))
    f.delete(obj("foo", 15))
    assert f.list() == [obj("foo", 15)] and f.list_keys() == ["foo"]
    assert f.pop_ready() == [Delta(ADDED, obj("foo", 10)), Delta(UPDATED, obj("foo", 12)),
                             Delta(DELETED, obj("foo", 15))]
    assert len(f) == 0 and f.get_by_key("foo") is None


@pytest.mark.parametrize("ops, expected", [
    (lambda f: (f.add(obj("foo", 2)), f.replace([], "0")),
     [Delta(ADDED, obj("foo", 2)), Delta(DELETED, tomb("foo", obj("foo", 2)))]),
    (lambda f: (f.add(obj("foo", 2)), f.replace([obj("foo", 2)], "0"), f.replace([], "0")),
     [Delta(ADDED, obj("foo", 2)), Delta(REPLACED, obj("foo", 2)), Delta(DELETED, tomb("foo", obj("foo", 2)))]),
    (lambda f: (f.add(obj("foo", 2)), f.delete(obj("foo", 2)), f.replace([], "0")),
     [Delta(ADDED, obj("foo", 2)), Delta(DELETED, obj("foo", 2))]),
    (lambda f: (f.add(obj("foo", 2)), f.replace([], "0"), f.replace([], "1")),
     [Delta(ADDED, obj("foo", 2)), Delta(DELETED, tomb("foo", obj("foo", 2)))]),
    (lambda f: (f.add(obj("foo", 2)), f.delete(obj("foo", 2)), f.add(obj("foo", 3)), f.replace([], "0")),
     [Delta(ADDED, obj("foo", 2)), Delta(DELETED, obj("foo", 2)), Delta(ADDED, obj("foo", 3)),
      Delta(DELETED, tomb("foo", obj("foo", 3)))]),
], ids=["an object added and then missing from a relist gets a tombstone with its queued state",
        "a relist after a relist leaves one deletion, not two",
        "a real deletion already queued is not followed by a tombstone",
        "two relists that both miss an object collapse into one tombstone",
        "an object deleted and re-added before a relist is tombstoned with its newest state"])
@pytest.mark.parametrize("no_known", [False, True], ids=["with known objects", "without known objects"])
def test_replace_makes_one_deletion_for_objects_only_in_the_queue(ops, expected, no_known):
    f = DeltaFIFO(Kernel(0), known_objects=None if no_known else Known(), emit_delta_type_replaced=True)
    ops(f)
    assert f.pop_ready() == expected
    assert f.items == {}


def test_replace_tombstones_known_objects_missing_from_the_list_with_their_last_known_state():
    f = fifo(obj("foo", 5), obj("bar", 6), obj("baz", 7), replaced=True)
    f.delete(obj("baz", 10))
    f.replace([obj("foo", 6)], "0")
    assert pop_all(f) == [[Delta(DELETED, obj("baz", 10))],
                          [Delta(REPLACED, obj("foo", 6))],
                          [Delta(DELETED, tomb("bar", obj("bar", 6)))]]


def test_without_emit_replaced_a_relist_queues_sync_deltas_and_a_newer_queued_state_wins_the_tombstone():
    f = fifo(obj("foo", 5), obj("bar", 6), obj("baz", 7))
    f.delete(obj("bar", 6))
    f.add(obj("bar", 100))
    f.replace([obj("foo", 5)], "0")
    assert pop_all(f) == [[Delta(DELETED, obj("bar", 6)), Delta(ADDED, obj("bar", 100)),
                           Delta(DELETED, tomb("bar", obj("bar", 100)))],
                          [Delta(SYNC, obj("foo", 5))],
                          [Delta(DELETED, tomb("baz", obj("baz", 7)))]]


def test_a_relist_after_a_queued_deletion_still_queues_the_object_it_lists():
    old, new = obj("foo", 1), obj("foo", 2)
    f = fifo(old)
    f.delete(old)
    f.replace([new], "")
    assert f.pop_ready() == [Delta(DELETED, old), Delta(SYNC, new)]


@pytest.mark.parametrize("no_known, expected", [
    (True, ["10", "15", "18"]),
    (False, ["10", "15", "18", "20"]),
], ids=["a deletion of a key neither queued nor known is not news",
        "a deletion of a known key is queued even with nothing queued for it"])
def test_deletions_are_news_only_for_queued_or_known_keys(no_known, expected):
    f = fifo(obj("baz", 7), no_known=no_known)
    f.add(obj("foo", 10))
    f.update(obj("bar", 15))
    f.add(obj("qux", 17))
    f.delete(obj("qux", 18))
    f.delete(obj("baz", 20))
    assert [d[-1].object["metadata"]["resourceVersion"] for d in pop_all(f)] == expected


def test_two_deletions_in_a_row_collapse_and_a_real_final_state_beats_a_tombstone():
    f = fifo(obj("foo", 5))
    f.replace([], "0")                             # foo vanished: a tombstone
    f.delete(obj("foo", 9))                        # then the real deletion arrives
    f.delete(obj("foo", 9))
    assert f.pop_ready() == [Delta(DELETED, obj("foo", 9))]


@pytest.mark.parametrize("ops, expected", [
    (lambda f: f.resync(), [Delta(SYNC, obj("foo", 5))]),
    (lambda f: (f.update(obj("foo", 6)), f.resync()), [Delta(UPDATED, obj("foo", 6))]),
    (lambda f: (f.delete(obj("foo", 10)), f.resync()), [Delta(DELETED, obj("foo", 10))]),
], ids=["resync queues a Sync delta for every known object",
        "resync skips a key with an update already queued, which would be overtaken",
        "resync does not resurrect a key whose deletion is queued"])
def test_resync_adds_sync_deltas_only_for_keys_not_already_queued(ops, expected):
    f = fifo(obj("foo", 5))
    ops(f)
    assert f.items == {"foo": expected}


@pytest.mark.parametrize("ops, synced", [
    ([], False),
    ([lambda f: f.add(obj("a", 1))], True),
    ([lambda f: f.replace([], "0")], True),
    ([lambda f: f.replace([obj("a", 1), obj("b", 2)], "0")], False),
    ([lambda f: f.replace([obj("a", 1), obj("b", 2)], "0"), lambda f: f.pop_ready()], False),
    ([lambda f: f.replace([obj("a", 1), obj("b", 2)], "0"), lambda f: f.pop_ready(), lambda f: f.pop_ready()], True),
    ([lambda f: f.replace([obj("a", 1), obj("a", 2)], "0"), lambda f: f.pop_ready()], True),
], ids=["nothing yet", "an add came first", "an empty first list", "the first list not yet popped",
        "half the first list popped", "all the first list popped", "a duplicate key in the list counts once"])
def test_has_synced_once_the_first_replace_batch_is_popped(ops, synced):
    f = fifo(no_known=True)
    for op in ops:
        op(f)
    assert f.has_synced() is synced


def test_tombstones_of_the_first_replace_count_towards_has_synced():
    f = fifo(obj("foo", 5), obj("bar", 6), obj("baz", 7))
    f.replace([obj("foo", 5)], "0")
    popped = []
    while len(f):
        assert not f.has_synced()
        popped.append(f.pop_ready())
    assert f.has_synced() and [d[0].type for d in popped] == [SYNC, DELETED, DELETED]


def test_a_process_function_can_put_the_deltas_back():
    f = fifo(no_known=True)
    f.add(obj("foo", 10))

    def requeue(deltas, initial):
        raise Requeue()
    f.pop_ready(requeue)
    assert f.list_keys() == ["foo"]
    f.pop_ready(lambda deltas, initial: None)
    assert f.list_keys() == []


def test_pop_waits_for_a_key_and_each_delta_keeps_the_hop_that_carried_it():
    kernel = Kernel(0)
    f = DeltaFIFO(kernel)
    got = []

    async def consumer():
        deltas = await f.pop(lambda popped, initial: got.append(initial))
        got.append((kernel.now, deltas))

    async def producer():
        await kernel.sleep(2)
        kernel.current.cause = 42
        f.add(obj("foo", 1))
    kernel.spawn(consumer())
    kernel.spawn(producer())
    kernel.run()
    assert got == [False, (2.0, [Delta(ADDED, obj("foo", 1), 42)])]


# -- the indexer ---------------------------------------------------------------------------------

def test_the_indexer_moves_a_key_between_index_values_and_drops_empty_ones():
    indexer = Indexer({"by-node": lambda o: [o["spec"]["node"]] if o["spec"].get("node") else []})
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {}}
    indexer.add(pod)
    assert indexer.list_index_func_values("by-node") == []
    indexer.update({**pod, "spec": {"node": "n1"}})
    assert [o["metadata"]["name"] for o in indexer.by_index("by-node", "n1")] == ["p"]
    indexer.update({**pod, "spec": {"node": "n2"}})
    assert indexer.index_keys("by-node", "n1") == [] and indexer.index_keys("by-node", "n2") == ["ns/p"]
    assert indexer.by_index("namespace", "ns") == [indexer.get("ns/p")]
    indexer.delete(DeletedFinalStateUnknown("ns/p", None))      # a tombstone deletes by its key
    assert indexer.list() == [] and indexer.list_index_func_values("by-node") == []
    with pytest.raises(ValueError, match="indexer conflict"):
        indexer.add_indexers({"namespace": lambda o: []})


# -- the reflector against a fake ListWatch --------------------------------------------------------

class FakeWatch:
    def __init__(self, kernel: Kernel):
        self.events = kernel.queue()
        self.stopped = False

    def send(self, kind: str, o) -> None:
        self.events.put((type("Event", (), {"type": kind, "object": o})(), None))

    def end(self) -> None:
        self.events.put((None, None))

    async def next(self):
        return await self.events.get()

    def stop(self) -> None:
        self.stopped = True


class FakeListWatch:
    """Records every call as a tuple; ``lists`` is a queue of answers (a dict or a StatusError)."""

    info = CONFIGMAPS

    def __init__(self, kernel: Kernel, lists: list):
        self.kernel, self.lists = kernel, list(lists)
        self.calls: list[tuple] = []
        self.watches: list[FakeWatch] = []

    async def list(self, resource_version: str = "", limit: int = 0, continue_token: str = ""):
        self.calls.append(("list", resource_version, limit, continue_token))
        answer = self.lists.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def watch(self, resource_version: str, timeout_seconds: int):
        self.calls.append(("watch", resource_version, 300 <= timeout_seconds < 600))
        w = FakeWatch(self.kernel)
        self.watches.append(w)
        return w


def page(rv: str, *names: str, more: str = "") -> dict:
    meta = {"resourceVersion": rv}
    if more:
        meta["continue"] = more
    return {"metadata": meta, "items": [obj(n, int(rv)) for n in names]}


def run_reflector(lists: list, until: float = 1.0, script=None):
    kernel = Kernel(0)
    lw = FakeListWatch(kernel, lists)
    store = DeltaFIFO(kernel)
    reflector = Reflector(kernel, lw, store)
    kernel.spawn(reflector.run(), "reflector")
    if script is not None:
        kernel.spawn(script(kernel, lw), "script")
    kernel.run(until=until)
    return lw, store, reflector


def test_the_first_list_asks_any_version_in_pages_of_500_then_watches_from_the_list():
    lw, store, reflector = run_reflector([page("7", "a", "b")])
    assert lw.calls == [("list", "0", 500, ""), ("watch", "7", True)]
    assert reflector.last_sync_resource_version == "7" and store.list_keys() == ["a", "b"]


def test_a_paged_list_follows_continue_tokens_without_a_version_and_keeps_the_first_pages_version():
    lw, store, reflector = run_reflector([page("7", "a", more="t1"), page("9", "b", more="t2"), page("9", "c")])
    assert lw.calls == [("list", "0", 500, ""), ("list", "", 500, "t1"), ("list", "", 500, "t2"),
                        ("watch", "7", True)]
    assert store.list_keys() == ["a", "b", "c"] and reflector.paginated_result


def test_an_expired_continue_token_falls_back_to_one_full_list_at_the_version_asked():
    lw, store, _ = run_reflector([page("7", "a", more="t1"), errors.expired("continue too old"), page("12", "a", "b")])
    assert lw.calls[:3] == [("list", "0", 500, ""), ("list", "", 500, "t1"), ("list", "0", 0, "")]
    assert lw.calls[3] == ("watch", "12", True)


def test_a_watch_that_ends_is_reopened_from_the_last_version_seen_without_a_list():
    async def script(kernel, lw):
        await kernel.sleep(0.5)
        lw.watches[0].send("ADDED", obj("c", 8))
        lw.watches[0].send("BOOKMARK", {"metadata": {"resourceVersion": "11"}})
        await kernel.sleep(2)
        lw.watches[0].end()
    lw, store, reflector = run_reflector([page("7", "a")], until=5, script=script)
    assert lw.calls == [("list", "0", 500, ""), ("watch", "7", True), ("watch", "11", True)]
    assert lw.watches[0].stopped and reflector.relists == 0
    assert [d[-1].type for d in pop_all(store)] == [SYNC, ADDED]


def test_a_410_ends_the_watch_and_after_a_back_off_relists_unpaged_at_the_last_version():
    async def script(kernel, lw):
        await kernel.sleep(0.5)
        lw.watches[0].send("ERROR", errors.expired("too old resource version: 7 (9)").status)
    lw, store, reflector = run_reflector([page("7", "a"), page("9", "a")], until=5, script=script)
    assert lw.calls == [("list", "0", 500, ""), ("watch", "7", True), ("list", "7", 0, ""), ("watch", "9", True)]
    assert reflector.relists == 1
    assert any("too old resource version" in message for _, message in reflector.error_log)


def test_a_relist_at_an_unavailable_version_lists_again_from_etcd_with_an_empty_version():
    async def script(kernel, lw):
        await kernel.sleep(0.5)
        lw.watches[0].end()                    # a very short watch: an error, so a relist
    lw, _, reflector = run_reflector([page("7", "a"), errors.expired("The resourceVersion for the provided list is "
                                                                     "too old."), page("20", "a")],
                                     until=5, script=script)
    assert lw.calls == [("list", "0", 500, ""), ("watch", "7", True), ("list", "7", 0, ""), ("list", "", 0, ""),
                        ("watch", "20", True)]
    assert not reflector.is_last_sync_resource_version_unavailable
    assert "very short watch" in reflector.error_log[0][1]


def test_the_back_off_doubles_from_800ms_to_30s_with_up_to_100_percent_jitter_and_resets_after_2_minutes():
    kernel = Kernel(3)
    backoff = ExponentialBackoffManager(kernel)
    bases = [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    steps = []
    for base in bases:
        steps.append(backoff.step())
        kernel.now += steps[-1]
    assert all(base <= step < 2 * base for base, step in zip(bases, steps))
    assert len({round(step / base, 6) for base, step in zip(bases, steps)}) == len(bases)   # jittered, each anew
    kernel.now += 121                       # no back-off for over two minutes
    assert 0.8 <= backoff.step() < 1.6


# -- informers against the API server -----------------------------------------------------------------

def control_plane(seed: int = 0) -> Cluster:
    cluster = Cluster(seed=seed)
    cluster.add_etcd()
    cluster.add_apiserver()
    cluster.run(1)
    return cluster


def informer_client(cluster: Cluster, endpoint: str = "informer") -> Client:
    client = Client(cluster.kernel, cluster.network, endpoint, "kubernetes-admin", ("kubeadm:cluster-admins",))
    cluster.network.listen(endpoint, "admin", client.on_message)
    return client


def api(cluster: Cluster, coro):
    return cluster.kernel.run_until_complete(coro)


def configmap(name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"v": value}}


class Recorder:
    """Handlers that log what they see, and what the informer's cache held when they saw it."""

    def __init__(self, informer: SharedIndexInformer):
        self.informer = informer
        self.seen: list[tuple] = []

    def handlers(self) -> dict:
        return {"on_add": lambda o: self.log("add", o), "on_update": lambda old, new: self.log("update", new, old),
                "on_delete": lambda o: self.log("delete", o)}

    def log(self, kind: str, o, old=None) -> None:
        if isinstance(o, DeletedFinalStateUnknown):
            self.seen.append((kind, o.key, "tombstone", o.obj["metadata"]["resourceVersion"]))
            return
        name = o["metadata"]["name"]
        cached = self.informer.lister.get("default", name)
        row = (kind, name, o["data"]["v"], cached is not None and cached["data"]["v"] == o["data"]["v"])
        if kind == "update":
            row += (old["data"]["v"],)
        self.seen.append(row)


def test_handlers_see_add_update_and_delete_in_order_after_the_cache_has_them():
    cluster = control_plane()
    factory = SharedInformerFactory(cluster.kernel, informer_client(cluster), "watcher")
    informer = factory.informer(CONFIGMAPS, namespace="default")
    recorder = Recorder(informer)
    informer.add_event_handler(**recorder.handlers())
    causes = []           # the hop each update handler ran for: the trace follows the watch event through
    informer.add_event_handler(on_update=lambda old, new: causes.append(cluster.kernel.current.cause))
    api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("a")))
    factory.start()
    cluster.run_until(factory.has_synced)
    listed = informer.last_sync_resource_version
    cm = api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("b")))
    api(cluster, cluster.admin.update(CONFIGMAPS, {**cm, "data": {"v": "2"}}))
    api(cluster, cluster.admin.delete(CONFIGMAPS, "default", "b"))
    cluster.run(1)
    assert recorder.seen == [("add", "a", "1", True), ("add", "b", "1", True), ("update", "b", "2", True, "1"),
                             ("delete", "b", "2", False)]
    hops = {h.id: h for h in cluster.trace.hops}
    assert len(causes) == 1 and hops[causes[0]].kind == "WATCH" and hops[causes[0]].dst == "informer"
    assert hops[causes[0]].summary.startswith("MODIFIED configmaps/b ")
    requests = [h.summary for h in cluster.trace.hops if h.src == "informer"]
    assert requests[0] == "GET /api/v1/namespaces/default/configmaps?resourceVersion=0&limit=500"
    watch = requests[1].split("?")[1].split("&")
    assert watch[:2] == ["watch=true", f"resourceVersion={listed}"] and "allowWatchBookmarks=true" in watch
    assert 300 <= int(next(p for p in watch if p.startswith("timeoutSeconds=")).split("=")[1]) < 600
    assert len(requests) == 2
    assert informer.last_sync_resource_version != "" and informer.relists == 0


def test_a_watch_that_falls_behind_compaction_relists_and_learns_of_a_missed_deletion_by_tombstone():
    cluster = control_plane()
    factory = SharedInformerFactory(cluster.kernel, informer_client(cluster), "watcher")
    informer = factory.informer(CONFIGMAPS)
    recorder = Recorder(informer)
    informer.add_event_handler(**recorder.handlers(), tombstones=True)
    api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("a")))
    b = api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("b")))
    factory.start()
    cluster.run_until(factory.has_synced)
    cluster.run(1)
    secrets = SCHEME.by_resource("", "secrets")
    for name in ("s1", "s2"):                         # etcd moves on past the configmaps' last revision
        api(cluster, cluster.admin.create(secrets, "default", {"metadata": {"name": name}}))
    etcd = cluster.apiserver.etcd
    api(cluster, etcd.compact(cluster.etcd.store.revision))
    cacher = cluster.apiserver.registries[("", "configmaps")].cacher
    etcd._resume(etcd._watches[cacher._watch_id])     # the watch cache's etcd watch is compacted away
    api(cluster, cluster.admin.delete(CONFIGMAPS, "default", "b"))   # while the cache re-lists: no event
    cluster.run(10)
    assert cacher.relists == 1 and informer.relists == 1
    assert recorder.seen[-1] == ("delete", "default/b", "tombstone", b["metadata"]["resourceVersion"])
    assert [k for k in informer.indexer.list_keys()] == ["default/a"]
    assert any("too old resource version" in m for _, m in informer.reflector.error_log)
    relist = [h.summary for h in cluster.trace.hops if h.src == "informer" and "watch" not in h.summary]
    assert relist[-1].startswith("GET /api/v1/configmaps?resourceVersion=") and "limit" not in relist[-1]


def test_after_the_api_server_restarts_the_reflector_backs_off_then_relists_what_it_missed():
    cluster = control_plane(seed=2)
    factory = SharedInformerFactory(cluster.kernel, informer_client(cluster), "watcher")
    informer = factory.informer(CONFIGMAPS)
    recorder = Recorder(informer)
    informer.add_event_handler(**recorder.handlers())
    for name in ("a", "b"):
        api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap(name)))
    cluster.crash("kube-apiserver")
    factory.start()                            # the first list is refused: back off and retry
    cluster.run(40)
    lists = [h.sent for h in cluster.trace.hops if h.src == "informer"]
    gaps = [b - a for a, b in zip(lists, lists[1:])]
    assert len(gaps) >= 4 and not factory.has_synced()
    for base, gap in zip([0.8, 1.6, 3.2, 6.4, 12.8], gaps):
        assert base <= gap < 2 * base + 0.01
    cluster.restart("kube-apiserver")
    cluster.run_until(factory.has_synced, limit=120)
    assert informer.relists == 0 and [r[:2] for r in recorder.seen] == [("add", "a"), ("add", "b")]
    api(cluster, cluster.admin.create(SCHEME.by_resource("", "secrets"), "default", {"metadata": {"name": "s"}}))
    cluster.crash("kube-apiserver")            # the informer's watch dies with it, silently
    cluster.run(1)
    cluster.restart("kube-apiserver")
    cluster.run(2)
    api(cluster, cluster.admin.delete(CONFIGMAPS, "default", "a"))   # unseen: nobody serves our watch now
    cluster.run_until(lambda: informer.relists == 1, limit=700)      # the watch's deadline ends it; 410; relist
    cluster.run(5)
    assert recorder.seen[-1][:2] == ("delete", "a")
    assert informer.indexer.list_keys() == ["default/b"]


def test_resync_goes_only_to_handlers_that_asked_for_it_and_a_late_handler_gets_the_cache_as_adds():
    cluster = control_plane()
    factory = SharedInformerFactory(cluster.kernel, informer_client(cluster), "watcher", default_resync=60.0)
    informer = factory.informer(CONFIGMAPS)
    plain, quick = [], []
    informer.add_event_handler(on_update=lambda old, new: plain.append((cluster.now, old is new)))
    # Asked for before the start, 20 s lowers the informer's resync check period to 20 s.
    informer.add_event_handler_with_resync_period(None, lambda old, new: quick.append((cluster.now, old is new)),
                                                  None, 20.0)
    api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("a")))
    factory.start()
    cluster.run_until(factory.has_synced)
    start = cluster.now
    cluster.run(50)
    assert plain == [] and [same for _, same in quick] == [True, True]
    assert start - 1 < quick[0][0] <= start + 20 and round(quick[1][0] - quick[0][0], 6) == 20.0
    cluster.run(20)                       # the default handler's 60 s come round
    assert [same for _, same in plain] == [True] and round(plain[0][0] - quick[0][0], 6) == 40.0
    late = []
    registration = informer.add_event_handler(on_add=lambda o: late.append(o["metadata"]["name"]))
    assert late == [] and not registration.has_synced()      # delivered by the listener's own task
    cluster.run(0.01)
    assert late == ["a"] and registration.has_synced()
    api(cluster, cluster.admin.create(CONFIGMAPS, "default", configmap("b")))
    cluster.run(0.1)
    assert late == ["a", "b"]
