"""Tests for k8slite/apiserver/patch.py: strategic merge patch as kubectl apply sends it, JSON patch
(RFC 6902) and merge patch (RFC 7386), with the status codes and messages the API server gives.

Cases follow staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go and the
RFC examples."""
import copy

import pytest

from k8slite.api import errors
from k8slite.apiserver.patch import (JSON_PATCH, MERGE, STRATEGIC, apply_patch, go_stable_sort, json_patch,
                                     merge_patch)


def smp(original, patch, kind="Pod"):
    return apply_patch(copy.deepcopy(original), copy.deepcopy(patch), STRATEGIC, kind)


def pod(*containers, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": dict({"containers": [dict(c) for c in containers]}, **spec)}


A = {"name": "a", "image": "a:1"}
B = {"name": "b", "image": "b:1"}
C = {"name": "c", "image": "c:1"}

SMP_CASES = [
    ("containers merge by name: a changed field is merged into the matching element",
     pod(A, B), {"spec": {"containers": [{"name": "b", "image": "b:2"}]}},
     [A, {"name": "b", "image": "b:2"}]),
    ("without $setElementOrder a new container goes first (mergeSortedSlice cannot place it among the live ones)",
     pod(A), {"spec": {"containers": [C]}}, [C, A]),
    ("$patch: delete removes the element with that merge key",
     pod(A, B), {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}, [B]),
    ("$patch: replace in a list replaces the whole list",
     pod(A, B), {"spec": {"containers": [C, {"$patch": "replace"}]}}, [C]),
    ("$setElementOrder orders patched and live items as the patch says",
     pod(A, B, C), {"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                             "containers": [{"name": "c", "image": "c:2"}]}},
     [{"name": "c", "image": "c:2"}, A, B]),
    ("$setElementOrder with a new item puts it where the order list says",
     pod(A, B), {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "c"}, {"name": "b"}],
                          "containers": [C]}}, [A, C, B]),
    ("a patch item moves in front of the live ones after it in the patch's order",
     pod(A, B), {"spec": {"containers": [{"name": "b", "image": "b:2"}, {"name": "a", "image": "a:2"}]}},
     [{"name": "b", "image": "b:2"}, {"name": "a", "image": "a:2"}]),
]


@pytest.mark.parametrize("original, patch, containers",
                         [c[1:] for c in SMP_CASES], ids=[c[0] for c in SMP_CASES])
def test_strategic_merge_of_containers(original, patch, containers):
    assert smp(original, patch)["spec"]["containers"] == containers


def test_a_list_without_a_merge_strategy_is_replaced_whole():
    original = pod(A, tolerations=[{"key": "x", "operator": "Exists"}])
    patched = smp(original, {"spec": {"tolerations": [{"key": "y", "operator": "Exists"}]}})
    assert patched["spec"]["tolerations"] == [{"key": "y", "operator": "Exists"}]


def test_null_deletes_a_key_and_maps_merge():
    original = {"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}}
    patched = smp(original, {"metadata": {"labels": {"a": None, "c": "3"}}})
    assert patched["metadata"]["labels"] == {"b": "2", "c": "3"}


def test_primitive_merge_lists_are_a_deduplicated_union_and_delete_from_primitive_list_removes():
    original = {"metadata": {"name": "p", "finalizers": ["a", "b"]}}
    assert smp(original, {"metadata": {"finalizers": ["b", "c"]}})["metadata"]["finalizers"] == ["a", "b", "c"]
    patched = smp(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert patched["metadata"]["finalizers"] == ["b"]


def test_retain_keys_clears_the_fields_the_list_does_not_name():
    deployment = {"kind": "Deployment", "spec": {"strategy": {"type": "RollingUpdate",
                                                              "rollingUpdate": {"maxSurge": 1}}}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert smp(deployment, patch, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_patch_replace_and_delete_on_a_map():
    original = {"spec": {"selector": {"a": "1", "b": "2"}}}
    assert smp(original, {"spec": {"selector": {"c": "3", "$patch": "replace"}}}, "Service")["spec"]["selector"] \
        == {"c": "3"}
    assert smp(original, {"spec": {"selector": {"$patch": "delete"}}}, "Service")["spec"]["selector"] == {}


def test_service_ports_merge_on_port_and_container_ports_on_container_port():
    svc = {"kind": "Service", "spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    patched = smp(svc, {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}, "Service")
    assert patched["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 8080},
                                        {"port": 443, "name": "https"}]
    p = pod({"name": "a", "ports": [{"containerPort": 80}]})
    patched = smp(p, {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 81}]}]}})
    assert patched["spec"]["containers"][0]["ports"] == [{"containerPort": 81}, {"containerPort": 80}]


def test_node_status_conditions_merge_by_type_and_directives_in_added_values_are_dropped():
    node = {"kind": "Node", "status": {"conditions": [{"type": "Ready", "status": "False"},
                                                      {"type": "MemoryPressure", "status": "False"}]}}
    patched = smp(node, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, "Node")
    assert patched["status"]["conditions"] == [{"type": "Ready", "status": "True"},
                                               {"type": "MemoryPressure", "status": "False"}]
    patched = smp({"kind": "Pod", "spec": {}}, {"spec": {"volumes": [{"name": "v", "$patch": "delete"}]}})
    assert patched["spec"]["volumes"] == [{"name": "v"}]


SMP_ERRORS = [
    ("an item of a merge list without its merge key is a 500 with strategicpatch's message",
     {"spec": {"containers": [{"image": "x"}]}}, 500, None,
     "map: map[image:x] does not contain declared merge key: name"),
    ("$retainKeys that does not name a patched field is a 400",
     {"spec": {"$retainKeys": ["a"], "b": 1}}, 400, "BadRequest", "invalid patch format of retainKeys"),
    ("$patch: merge inside a list is refused",
     {"spec": {"containers": [{"$patch": "merge"}]}}, 500, None, "merging lists cannot yet be specified in the patch"),
    ("an unknown $patch directive is refused",
     {"spec": {"$patch": "frobnicate"}}, 500, None, "unknown patch type: frobnicate in map: map[$patch:frobnicate]"),
    ("a $deleteFromPrimitiveList without a list name is a 400",
     {"metadata": {"$deleteFromPrimitiveList": ["a"]}}, 400, "BadRequest", "invalid patch format of primitive list"),
    ("a strategic merge patch that is not an object is a 400",
     ["x"], 400, "BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
]


@pytest.mark.parametrize("patch, code, reason, message", [c[1:] for c in SMP_ERRORS], ids=[c[0] for c in SMP_ERRORS])
def test_strategic_merge_errors(patch, code, reason, message):
    with pytest.raises(errors.StatusError) as caught:
        smp(pod(A), patch)
    assert caught.value.code == code
    assert caught.value.status.get("reason") == reason
    assert caught.value.message == message


# -- JSON patch -------------------------------------------------------------------------------

DOC = {"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}}

JSON_PATCH_CASES = [
    ("add a new key", [{"op": "add", "path": "/metadata/labels/b", "value": "2"}],
     {"metadata": {"name": "x", "labels": {"a": "1", "b": "2"}}, "spec": {"list": [1, 2, 3]}}),
    ("add at an index and at the end", [{"op": "add", "path": "/spec/list/0", "value": 0},
                                        {"op": "add", "path": "/spec/list/-", "value": 4}],
     {"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"list": [0, 1, 2, 3, 4]}}),
    ("remove, replace, move, copy", [{"op": "remove", "path": "/spec/list/1"},
                                     {"op": "replace", "path": "/metadata/name", "value": "y"},
                                     {"op": "move", "from": "/metadata/labels/a", "path": "/metadata/labels/m"},
                                     {"op": "copy", "from": "/metadata/name", "path": "/spec/copy"}],
     {"metadata": {"name": "y", "labels": {"m": "1"}}, "spec": {"list": [1, 3], "copy": "y"}}),
    ("a passing test changes nothing", [{"op": "test", "path": "/metadata/name", "value": "x"}], DOC),
    ("~1 in a path is a slash", [{"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "w"}],
     {"metadata": {"name": "x", "labels": {"a": "1", "app.kubernetes.io/name": "w"}}, "spec": {"list": [1, 2, 3]}}),
]


@pytest.mark.parametrize("ops, expected", [c[1:] for c in JSON_PATCH_CASES], ids=[c[0] for c in JSON_PATCH_CASES])
def test_json_patch(ops, expected):
    assert json_patch(DOC, ops) == expected
    assert DOC["metadata"]["name"] == "x"          # the target is not changed


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/metadata/name", "value": "other"}],
    [{"op": "remove", "path": "/metadata/nope"}],
    [{"op": "replace", "path": "/spec/nope", "value": 1}],
    [{"op": "add", "path": "/missing/deep", "value": 1}],
    [{"op": "add", "path": "/spec/list/9", "value": 1}],
], ids=["a failed test", "removing a missing key", "replacing a missing key", "adding under a missing parent",
        "an index past the end"])
def test_a_json_patch_that_does_not_apply_is_a_422_with_the_generic_message(ops):
    with pytest.raises(errors.StatusError) as caught:
        json_patch(DOC, ops)
    assert caught.value.status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": "the server rejected our request due to an error in our request",
                                   "reason": "Invalid", "details": {}, "code": 422}


def test_a_json_patch_that_is_not_a_list_is_a_400():
    with pytest.raises(errors.StatusError) as caught:
        json_patch(DOC, {"op": "add"})
    assert (caught.value.code, caught.value.message) == (
        400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")


# -- merge patch, content types -----------------------------------------------------------------

@pytest.mark.parametrize("target, patch, result", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
], ids=["replace", "add", "null deletes", "a list is replaced", "nested", "arrays are replaced whole",
        "nulls inside an added object are pruned"])
def test_merge_patch_rfc7386_examples(target, patch, result):
    assert merge_patch(target, patch) == result


def test_an_unknown_patch_content_type_is_415_and_custom_resources_have_no_strategic_merge():
    with pytest.raises(errors.StatusError) as caught:
        apply_patch({}, {}, "application/xml")
    assert caught.value.code == 415 and caught.value.reason == "UnsupportedMediaType"
    assert caught.value.message == ("the body of the request was in an unknown format - accepted media types include: "
                                    "application/json-patch+json, application/merge-patch+json, "
                                    "application/strategic-merge-patch+json")
    with pytest.raises(errors.StatusError) as caught:
        apply_patch({}, {}, STRATEGIC, "Widget", builtin=False)
    assert caught.value.message.endswith("application/json-patch+json, application/merge-patch+json")
    assert apply_patch({"a": 1}, {"b": 2}, MERGE + "; charset=utf-8") == {"a": 1, "b": 2}
    assert apply_patch({"a": 1}, [{"op": "remove", "path": "/a"}], JSON_PATCH) == {}


def test_go_stable_sort_matches_insertion_then_symmerge_for_long_inputs():
    items = [(i * 7919) % 53 for i in range(45)]
    assert go_stable_sort(list(items), lambda a, b: a < b) == sorted(items)
    # an inconsistent less (strategicpatch's: "true" when either is not in the order list) on a short list
    order = [3, 1]

    def less(a, b):
        ia = order.index(a) if a in order else -1
        ib = order.index(b) if b in order else -1
        return ia < ib if ia >= 0 and ib >= 0 else True
    assert go_stable_sort([1, 9, 3], less) == [3, 9, 1]


def test_every_built_in_kind_merges_owner_references_and_a_raw_extension_keeps_its_keys():
    revision = {"kind": "ControllerRevision", "metadata": {"name": "web-1", "ownerReferences": [
        {"uid": "a", "kind": "StatefulSet", "name": "web", "controller": True}]},
        "data": {"spec": {"template": {"$patch": "replace", "spec": {}}}}, "revision": 1}
    orphaned = smp(revision, {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": "a"}],
                                           "uid": "r"}}, "ControllerRevision")
    assert orphaned["metadata"]["ownerReferences"] == []
    assert orphaned["data"] == revision["data"], "a RawExtension is opaque"
    added = smp(revision, {"metadata": {"ownerReferences": [{"uid": "b", "kind": "X", "name": "x"}]}},
                "ControllerRevision")
    assert sorted(r["uid"] for r in added["metadata"]["ownerReferences"]) == ["a", "b"]
