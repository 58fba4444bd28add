"""k8slite.api.errors: Status objects and messages as apimachinery errors.go builds them."""
import pytest

from k8slite.api import errors
from k8slite.api.errors import Cause, StatusError


@pytest.mark.parametrize("err, code, reason, message", [
    pytest.param(errors.not_found("pods", "web"), 404, "NotFound", 'pods "web" not found',
                 id="a missing pod is a 404 naming the plural resource"),
    pytest.param(errors.not_found("deployments.apps", "web"), 404, "NotFound",
                 'deployments.apps "web" not found',
                 id="a resource in a named group is qualified with the group"),
    pytest.param(errors.already_exists("pods", "web"), 409, "AlreadyExists",
                 'pods "web" already exists', id="creating twice is a 409 AlreadyExists"),
    pytest.param(errors.conflict("pods", "web", errors.OPTIMISTIC_LOCK_ERROR), 409, "Conflict",
                 'Operation cannot be fulfilled on pods "web": the object has been modified; '
                 'please apply your changes to the latest version and try again',
                 id="a stale resourceVersion is the optimistic lock conflict"),
    pytest.param(errors.bad_request("bad"), 400, "BadRequest", "bad", id="bad request is 400"),
    pytest.param(errors.unauthorized(), 401, "Unauthorized", "Unauthorized",
                 id="unauthorized defaults its message"),
    pytest.param(errors.forbidden("pods", "", errors.rbac_forbidden_message(
        "x", "list", "pods", "", "default")), 403, "Forbidden",
        'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the '
        'namespace "default"', id="an RBAC denial of a list names user verb resource group namespace"),
    pytest.param(errors.forbidden("nodes", "n1", errors.rbac_forbidden_message(
        "x", "get", "nodes", "", "", "status")), 403, "Forbidden",
        'nodes "n1" is forbidden: User "x" cannot get resource "nodes/status" in API group "" '
        'at the cluster scope', id="a cluster-scoped subresource denial says at the cluster scope"),
    pytest.param(errors.gone("too old resource version: 1 (5)"), 410, "Gone",
                 "too old resource version: 1 (5)", id="a compacted watch is 410 Gone"),
    pytest.param(errors.expired("expired"), 410, "Expired", "expired", id="expired is also 410"),
    pytest.param(errors.too_large("limit is 3145728"), 413, "RequestEntityTooLarge",
                 "Request entity too large: limit is 3145728", id="too large is 413"),
    pytest.param(errors.method_not_supported("bindings", "get"), 405, "MethodNotAllowed",
                 'get is not supported on resources of kind "bindings"',
                 id="an unsupported verb is 405"),
    pytest.param(errors.internal("boom"), 500, "InternalError", "Internal error occurred: boom",
                 id="internal errors are wrapped"),
    pytest.param(errors.timeout("request did not complete"), 504, "Timeout",
                 "Timeout: request did not complete", id="timeouts are 504"),
    pytest.param(errors.service_unavailable("etcd down"), 503, "ServiceUnavailable", "etcd down",
                 id="service unavailable is 503"),
])
def test_constructors(err, code, reason, message):
    assert (err.code, err.reason, str(err)) == (code, reason, message)
    assert err.status["kind"] == "Status" and err.status["status"] == "Failure"
    assert err.status["code"] == code and err.status["message"] == message


def test_not_found_details_name_the_group_and_resource():
    assert errors.not_found("deployments.apps", "web").status["details"] == {
        "name": "web", "group": "apps", "kind": "deployments"}


@pytest.mark.parametrize("cause, text, reason", [
    pytest.param(Cause("Required", "spec.containers"), "spec.containers: Required value",
                 "FieldValueRequired", id="a required field prints no value"),
    pytest.param(Cause("Invalid", "spec.replicas", "must be greater than or equal to 0", -1),
                 "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                 "FieldValueInvalid", id="an integer prints bare"),
    pytest.param(Cause("Invalid", "metadata.name", "bad", "Foo"),
                 'metadata.name: Invalid value: "Foo": bad', "FieldValueInvalid",
                 id="a string prints quoted"),
    pytest.param(Cause("Invalid", "spec.template.metadata.labels", "x", {"b": "2", "a": "1"}),
                 'spec.template.metadata.labels: Invalid value: map[string]string{"a":"1", "b":"2"}: x',
                 "FieldValueInvalid", id="a string map prints as Go with sorted keys"),
    pytest.param(errors.not_supported("spec.restartPolicy", "Sometimes", ["Always", "Never"]),
                 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never"',
                 "FieldValueNotSupported", id="unsupported values list the supported ones quoted"),
    pytest.param(Cause("Duplicate", "spec.containers[1].name", "", "web"),
                 'spec.containers[1].name: Duplicate value: "web"', "FieldValueDuplicate",
                 id="a duplicate shows the value"),
    pytest.param(Cause("Forbidden", "spec", "no"), "spec: Forbidden: no", "FieldValueForbidden",
                 id="forbidden shows no value"),
])
def test_cause_printing(cause, text, reason):
    assert cause.error_string() == text
    assert cause.reason == reason


def test_invalid_with_one_cause():
    e = errors.invalid("Deployment.apps", "web", [
        Cause("Invalid", "spec.replicas", "must be greater than or equal to 0", -1)])
    assert (e.code, e.reason) == (422, "Invalid")
    assert str(e) == ('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: '
                      'must be greater than or equal to 0')
    assert e.status["details"] == {"name": "web", "group": "apps", "kind": "Deployment", "causes": [
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0",
         "field": "spec.replicas"}]}


def test_invalid_with_several_causes_is_bracketed_and_deduplicated():
    c = [Cause("Required", "spec.containers"), Cause("Required", "spec.containers"),
         Cause("Required", "metadata.namespace")]
    assert str(errors.invalid("Pod", "p", c)) == (
        'Pod "p" is invalid: [spec.containers: Required value, metadata.namespace: Required value]')


def test_from_status_round_trips():
    e = errors.conflict("pods", "web", "x")
    again = errors.from_status(dict(e.status))
    assert isinstance(again, StatusError)
    assert (again.code, again.reason, str(again), again.status) == (e.code, e.reason, str(e), e.status)
