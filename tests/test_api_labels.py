"""k8slite.api.labels: cases from apimachinery labels/selector_test.go and fields tests."""
import pytest

from k8slite.api.labels import (FieldSelector, Selector, object_fields, pod_fields,
                                validate_label_selector)


@pytest.mark.parametrize("text, canonical", [
    pytest.param("", "", id="the empty string selects everything"),
    pytest.param("x=a", "x=a", id="equality"),
    pytest.param("y==a", "y==a", id="double equality keeps its spelling"),
    pytest.param("z!=a", "z!=a", id="inequality"),
    pytest.param("x=a,y!=b", "x=a,y!=b", id="two terms"),
    pytest.param("y!=b,x=a", "x=a,y!=b", id="terms are sorted by key"),
    pytest.param("x in (b,a)", "x in (a,b)", id="set values are sorted"),
    pytest.param("x notin (a)", "x notin (a)", id="notin"),
    pytest.param("x in (a,a)", "x in (a)", id="duplicate values collapse"),
    pytest.param("x in ()", "x in ()", id="an empty set holds the empty string"),
    pytest.param("x in (,a)", "x in (,a)", id="a leading comma adds the empty string"),
    pytest.param("canary", "canary", id="existence"),
    pytest.param("!canary", "!canary", id="non-existence"),
    pytest.param("tier in (a,b),app=web,!canary", "app=web,!canary,tier in (a,b)",
                 id="mixed requirements sort by key whatever the operator"),
    pytest.param("x>1", "x>1", id="greater than"),
    pytest.param("x<1", "x<1", id="less than"),
    pytest.param("x=", "x=", id="equality with an empty value"),
    pytest.param(" x = a , y in ( b ) ", "x=a,y in (b)", id="whitespace is ignored"),
    pytest.param("x=a||y=b", None, id="double bar is not an operator"),
    pytest.param("x=a,", None, id="a trailing comma"),
    pytest.param("x=a b", None, id="two values"),
    pytest.param("x in (a b)", None, id="a set missing a comma"),
    pytest.param("x in a", None, id="a set without parentheses"),
    pytest.param("x>a", None, id="greater than a non-integer"),
    pytest.param("-x=a", None, id="a key starting with a dash"),
    pytest.param("x=-a", None, id="a value starting with a dash"),
    pytest.param("!x=a", None, id="a negated key with an operator"),
    pytest.param("x=a)", None, id="a stray parenthesis"),
    pytest.param("=a", None, id="no key"),
])
def test_parse(text, canonical):
    if canonical is None:
        with pytest.raises(ValueError):
            Selector.parse(text)
    else:
        assert str(Selector.parse(text)) == canonical


@pytest.mark.parametrize("text, message", [
    pytest.param("x=a b", "found 'b', expected: ',' or 'end of string'", id="an extra identifier"),
    pytest.param("x=a,", "found '', expected: identifier after ','", id="a dangling comma"),
    pytest.param("x in a", "unable to parse requirement: found 'a' expected: '('",
                 id="set operators need parentheses"),
    pytest.param("x>a", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer",
                 id="gt needs an integer"),
    pytest.param("!x=a", "found '=', expected: ',' or 'end of string'", id="a negated key ends there"),
])
def test_parse_error_messages(text, message):
    with pytest.raises(ValueError) as e:
        Selector.parse(text)
    assert str(e.value) == message


@pytest.mark.parametrize("text, labels, want", [
    pytest.param("", {"x": "y"}, True, id="everything matches labels"),
    pytest.param("", None, True, id="everything matches no labels"),
    pytest.param("x=y", {"x": "y"}, True, id="an equal value"),
    pytest.param("x=z", {"x": "y"}, False, id="a different value"),
    pytest.param("x!=y", {"x": "z"}, True, id="inequality of a different value"),
    pytest.param("x!=y", {}, True, id="inequality of a missing key"),
    pytest.param("x in (y,z)", {"x": "z"}, True, id="a value in the set"),
    pytest.param("x in (y,z)", {}, False, id="in needs the key"),
    pytest.param("x notin (y,z)", {}, True, id="notin of a missing key"),
    pytest.param("x notin (y,z)", {"x": "y"}, False, id="notin of a member"),
    pytest.param("x", {"x": ""}, True, id="existence with an empty value"),
    pytest.param("!x", {"x": ""}, False, id="non-existence of a present key"),
    pytest.param("x>1", {"x": "2"}, True, id="greater than"),
    pytest.param("x>1", {"x": "a"}, False, id="greater than a non-integer label"),
    pytest.param("x<1", {"x": "0"}, True, id="less than"),
    pytest.param("x=y,z=w", {"x": "y"}, False, id="every requirement must hold"),
])
def test_matches(text, labels, want):
    assert Selector.parse(text).matches(labels) is want


@pytest.mark.parametrize("d, labels, want", [
    pytest.param(None, {"a": "b"}, False, id="a nil LabelSelector selects nothing"),
    pytest.param({}, {"a": "b"}, True, id="an empty LabelSelector selects everything"),
    pytest.param({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"}, True, id="matchLabels"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
                 {"tier": "b"}, True, id="an In expression"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]},
                 {"tier": "a"}, False, id="a NotIn expression"),
    pytest.param({"matchExpressions": [{"key": "x", "operator": "Exists"}]}, {"x": "1"}, True,
                 id="an Exists expression"),
    pytest.param({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, {"x": "1"}, False,
                 id="a DoesNotExist expression"),
])
def test_from_label_selector(d, labels, want):
    assert Selector.from_label_selector(d).matches(labels) is want


def test_label_selector_string_and_exact_match():
    s = Selector.from_label_selector({"matchLabels": {"app": "web"},
                                      "matchExpressions": [{"key": "tier", "operator": "In",
                                                            "values": ["b", "a"]}]})
    assert str(s) == "app=web,tier in (a,b)"
    assert s.exact_match("app") == "web" and s.exact_match("tier") is None
    assert Selector.parse("x in (a)").exact_match("x") == "a"
    assert Selector.everything().empty() and not Selector.nothing().empty()
    assert not Selector.nothing().matches({})


@pytest.mark.parametrize("d, want", [
    pytest.param({"matchLabels": {"app": "web"}}, [], id="a valid selector"),
    pytest.param({"matchExpressions": [{"key": "x", "operator": "In"}]},
                 ["spec.selector.matchExpressions[0].values: Required value: must be specified "
                  "when `operator` is 'In' or 'NotIn'"], id="In without values"),
    pytest.param({"matchExpressions": [{"key": "x", "operator": "Exists", "values": ["a"]}]},
                 ["spec.selector.matchExpressions[0].values: Forbidden: may not be specified when "
                  "`operator` is 'Exists' or 'DoesNotExist'"], id="Exists with values"),
    pytest.param({"matchExpressions": [{"key": "x", "operator": "Has"}]},
                 ['spec.selector.matchExpressions[0].operator: Invalid value: "Has": not a valid '
                  'selector operator'], id="an unknown operator"),
])
def test_validate_label_selector(d, want):
    assert [c.error_string() for c in validate_label_selector(d, "spec.selector")] == want


POD = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
       "spec": {"nodeName": "n1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "serviceAccountName": "default"},
       "status": {"phase": "Running", "podIP": "10.0.0.5"}}


@pytest.mark.parametrize("text, want", [
    pytest.param("metadata.name=p", True, id="by name"),
    pytest.param("spec.nodeName=n1", True, id="by node"),
    pytest.param("spec.nodeName!=", True, id="scheduled pods have a node name"),
    pytest.param("spec.nodeName=", False, id="unscheduled pods have an empty node name"),
    pytest.param("status.phase=Running,metadata.namespace=ns", True, id="two terms"),
    pytest.param("status.phase==Pending", False, id="double equals"),
    pytest.param("status.podIP=10.0.0.5", True, id="by pod IP"),
])
def test_field_selector_on_pods(text, want):
    assert FieldSelector.parse(text).matches(pod_fields(POD)) is want


def test_field_selector_exact_match_and_event_fields():
    assert FieldSelector.parse("spec.nodeName=n1,status.phase!=Failed").exact_match("spec.nodeName") == "n1"
    assert FieldSelector.parse("status.phase!=Failed").exact_match("status.phase") is None
    ev = {"kind": "Event", "metadata": {"name": "e", "namespace": "ns"}, "reason": "Scheduled",
          "type": "Normal", "source": {"component": "default-scheduler"},
          "involvedObject": {"kind": "Pod", "name": "p", "namespace": "ns", "uid": "u"}}
    f = object_fields(ev)
    assert (f["involvedObject.name"], f["involvedObject.kind"], f["reason"], f["source"], f["type"]) == (
        "p", "Pod", "Scheduled", "default-scheduler", "Normal")
    assert object_fields(POD)["spec.nodeName"] == "n1"
    with pytest.raises(ValueError):
        FieldSelector.parse("metadata.name")
