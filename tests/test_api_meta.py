"""k8slite.api.meta: timestamps, UIDs, names, hashes; name cases from validation_test.go."""
import random

import pytest

from k8slite.api import meta
from k8slite.api.meta import (compute_hash, generate_name, is_dns1123_label, is_dns1123_subdomain,
                              is_qualified_name, is_valid_label_value, new_uid, rfc3339)


def test_rfc3339_truncates_and_round_trips():
    assert rfc3339(7.9) == "2024-01-01T00:00:07Z"
    assert rfc3339(86400 + 61) == "2024-01-02T00:01:01Z"
    assert meta.parse_rfc3339("2024-01-01T00:00:07Z") == 7.0


def test_uid_and_generated_names_are_deterministic_per_seed():
    a, b = random.Random(1), random.Random(1)
    uid = new_uid(a)
    assert uid == new_uid(b) and uid[14] == "4" and uid[19] in "89ab"
    name = generate_name("web-", a)
    assert name == generate_name("web-", b) and len(name) == 9
    assert all(c in meta.ALPHANUMS for c in name[4:])
    assert len(generate_name("x" * 70, a)) == 63


def test_pod_template_hash_depends_on_template_and_collision_count():
    t = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    h = compute_hash(t, None)
    assert h == compute_hash(dict(t), None)
    assert h != compute_hash(t, 1) and compute_hash(t, 1) != compute_hash(t, 2)
    assert all(c in meta.ALPHANUMS for c in h)
    # '1' is byte 49, 49 % 27 = 22 -> '5'; '2' is 50 -> '6'
    assert meta.safe_encode_string("12") == "56"


SUB = meta.regex_error(meta.DNS1123_SUBDOMAIN_ERR, meta.DNS1123_SUBDOMAIN_FMT, "example.com")
LABEL = meta.regex_error(meta.DNS1123_LABEL_ERR, meta.DNS1123_LABEL_FMT, "my-name", "123-abc")


def test_subdomain_message_is_upstreams():
    assert is_dns1123_subdomain("A") == [
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
        "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]


def test_label_message_lists_two_examples_as_upstream_does():
    assert LABEL == ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                     "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',"
                     "  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


@pytest.mark.parametrize("value, want", [
    pytest.param(v, [], id=f"{v!r} is a valid DNS-1123 subdomain") for v in
    ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2",
     "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1", "ab.1", "abc.1", "a1.1",
     "a-1.1", "a--1--2--b.1", "0.a", "01.a", "012.a", "1a.a", "1-a.a", "1--a--b--2",
     "0.1", "01.1", "012.1", "1a.1", "1-a.1", "1--a--b--2.1", "a.b.c.d.e", "aa.bb.cc.dd.ee",
     "1.2.3.4.5", "11.22.33.44.55", "a" * 253]
] + [
    pytest.param(v, [SUB], id=f"{v!r} is not a DNS-1123 subdomain") for v in
    ["", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a",
     "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a",
     "a b", "1 ", " 1", "1 2", "A.a", "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1", "A1.1",
     "1A.1", "0.A", "01.A", "012.A", "1A.a", "1a.A", "A.B.C.D.E", "AA.BB.CC.DD.EE", "a.B.c.d.e",
     "aa.bB.cc.dd.ee", "a@b", "a,b", "a_b", "a;b", "a:b", "a%b", "a?b", "a$b"]
] + [pytest.param("a" * 254, ["must be no more than 253 characters"], id="254 characters are too long")])
def test_is_dns1123_subdomain(value, want):
    assert is_dns1123_subdomain(value) == want


@pytest.mark.parametrize("value, want", [
    pytest.param(v, [], id=f"{v!r} is a valid DNS-1123 label") for v in
    ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2", "a" * 63]
] + [
    pytest.param(v, [LABEL], id=f"{v!r} is not a DNS-1123 label") for v in
    ["", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a",
     "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a",
     "a b", "1 ", " 1", "1 2"]
] + [
    pytest.param("a.b", ["must not contain dots"], id="a valid subdomain with dots gets the dots hint"),
    pytest.param("a" * 64, ["must be no more than 63 characters"], id="64 characters are too long"),
])
def test_is_dns1123_label(value, want):
    assert is_dns1123_label(value) == want


@pytest.mark.parametrize("value", [
    pytest.param(v, id=f"{v!r} is a qualified name") for v in
    ["simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
     "now-with-dashes/simple", "now-with-dashes/now-with-dashes", "now.with.dots/simple",
     "now-with.dashes-and.dots/simple", "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678",
     "Uppercase_Is_OK_123", "example.com/Uppercase_Is_OK_123", "requests.storage-foo",
     "a" * 63, "a" * 253 + "/" + "b" * 63]])
def test_is_qualified_name_accepts(value):
    assert is_qualified_name(value) == []


@pytest.mark.parametrize("value, fragment", [
    pytest.param("", "name part must be non-empty", id="an empty name"),
    pytest.param(" ", "name part must consist of", id="a space"),
    pytest.param("simple/", "name part must be non-empty", id="a prefix with no name"),
    pytest.param("/simple", "prefix part must be non-empty", id="a name with an empty prefix"),
    pytest.param("a/b/c", "a qualified name must consist of", id="two slashes"),
    pytest.param("Uppercase/simple", "prefix part a lowercase RFC 1123 subdomain",
                 id="an uppercase prefix"),
    pytest.param("-a", "name part must consist of", id="a leading dash"),
    pytest.param("a" * 64, "name part must be no more than 63 characters", id="64 characters"),
    pytest.param("a" * 254 + "/abc", "prefix part must be no more than 253 characters",
                 id="a prefix of 254 characters"),
])
def test_is_qualified_name_rejects(value, fragment):
    assert any(m.startswith(fragment) for m in is_qualified_name(value))


@pytest.mark.parametrize("value, ok", [
    pytest.param(v, True, id=f"{v!r} is a valid label value") for v in
    ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "", "a" * 63,
     "Uppercase_Is_OK_123"]
] + [
    pytest.param(v, False, id=f"{v!r} is not a valid label value") for v in
    ["nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun", "\\backslashes\\are\\bad",
     "-starts-with-dash", "ends-with-dash-", ".starts.with.dot", "ends.with.dot.", "a" * 64]
])
def test_is_valid_label_value(value, ok):
    assert (is_valid_label_value(value) == []) is ok


@pytest.mark.parametrize("metadata, namespaced, want", [
    pytest.param({"name": "web", "namespace": "default"}, True, [], id="a named namespaced object"),
    pytest.param({"generateName": "web-", "namespace": "default"}, True,
                 ["metadata.name: Required value: name or generateName is required"],
                 id="generateName alone still needs the server to fill in the name"),
    pytest.param({"name": "web"}, True, ["metadata.namespace: Required value"],
                 id="a namespaced object needs a namespace"),
    pytest.param({"name": "node-1"}, False, [], id="a cluster-scoped object needs none"),
    pytest.param({"name": "web", "namespace": "default", "labels": {"app": "-x"}}, True,
                 ['metadata.labels: Invalid value: "-x": ' + meta.regex_error(
                     meta.LABEL_VALUE_ERR, meta.LABEL_VALUE_FMT, "MyValue", "my_value", "12345")],
                 id="a bad label value names the value"),
    pytest.param({"name": "Web", "namespace": "default"}, True,
                 ['metadata.name: Invalid value: "Web": ' + SUB], id="an uppercase name"),
    pytest.param({"name": "w", "namespace": "default", "annotations": {"a": "x" * 262144}}, True,
                 ["metadata.annotations: Too long: may not be more than 262144 bytes"],
                 id="annotations over 256 KiB"),
])
def test_validate_object_meta(metadata, namespaced, want):
    causes = meta.validate_object_meta(metadata, namespaced, is_dns1123_subdomain)
    assert [c.error_string() for c in causes] == want


def test_owner_references_and_keys():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "uid": "u1",
                                                                      "namespace": "ns"}}
    ref = meta.owner_reference(rs)
    assert ref == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1",
                   "controller": True, "blockOwnerDeletion": True}
    pod = {"metadata": {"name": "p", "namespace": "ns", "ownerReferences": [
        dict(ref, controller=False, name="other"), ref]}}
    assert meta.controller_of(pod) is ref
    assert meta.controller_of({"metadata": {}}) is None
    assert (meta.namespaced_key(pod), meta.namespaced_key({"metadata": {"name": "n"}})) == ("ns/p", "n")
