"""Audit: policy matching (first rule wins), what each level records, stages, the event's JSON shape,
and the log driven around a real API server's request path the way server.py will call it."""
from __future__ import annotations

import json

import pytest

from k8slite.apiserver.audit import (DEFAULT_POLICY, AuditLog, Policy, RequestAttributes, UserInfo, encode_event,
                                     micro_time)
from k8slite.apiserver.request import Request, Response, parse_request_info

# The example policy of the Kubernetes docs (tasks/debug/debug-cluster/audit, audit-policy.yaml).
DOCS_POLICY = """
apiVersion: audit.k8s.io/v1 # This is required.
kind: Policy
omitStages:
  - "RequestReceived"
rules:
  - level: RequestResponse
    resources:
    - group: ""
      resources: ["pods"]
  - level: Metadata
    resources:
    - group: ""
      resources: ["pods/log", "pods/status"]
  - level: None
    resources:
    - group: ""
      resources: ["configmaps"]
      resourceNames: ["controller-leader"]
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
    - group: "" # core API group
      resources: ["endpoints", "services"]
  - level: None
    userGroups: ["system:authenticated"]
    nonResourceURLs:
    - "/api*" # Wildcard matching.
    - "/version"
  - level: Request
    resources:
    - group: "" # core API group
      resources: ["configmaps"]
    namespaces: ["kube-system"]
  - level: Metadata
    resources:
    - group: "" # core API group
      resources: ["secrets", "configmaps"]
  - level: Request
    resources:
    - group: "" # core API group
    - group: "extensions" # Version of group should NOT be included.
  - level: Metadata
    omitStages:
      - "RequestReceived"
"""


def attrs(verb, path, user="alice", groups=("system:authenticated",)) -> RequestAttributes:
    info = parse_request_info({"get": "GET", "list": "GET", "watch": "GET", "create": "POST", "update": "PUT",
                               "patch": "PATCH", "delete": "DELETE"}.get(verb, "GET"), path, verb == "watch")
    if not info.is_resource:
        return RequestAttributes(user, groups, verb, False, path=path)
    return RequestAttributes(user, groups, info.verb, True, info.group, info.namespace, info.resource,
                             info.subresource, info.name, path)


@pytest.mark.parametrize("verb, path, user, level", [
    ("get", "/api/v1/namespaces/default/pods/web", "alice", "RequestResponse"),
    ("get", "/api/v1/namespaces/default/pods/web/log", "alice", "Metadata"),
    ("update", "/api/v1/namespaces/kube-system/configmaps/controller-leader", "alice", "None"),
    ("watch", "/api/v1/endpoints", "system:kube-proxy", "None"),
    ("watch", "/api/v1/endpoints", "alice", "Request"),
    ("get", "/apis", "alice", "None"),
    ("get", "/version", "alice", "None"),
    ("get", "/healthz", "alice", "Metadata"),
    ("update", "/api/v1/namespaces/kube-system/configmaps/settings", "alice", "Request"),
    ("get", "/api/v1/namespaces/default/configmaps/settings", "alice", "Metadata"),
    ("get", "/api/v1/namespaces/default/secrets/token", "alice", "Metadata"),
    ("list", "/api/v1/nodes", "alice", "Request"),
    ("list", "/apis/apps/v1/deployments", "alice", "Metadata"),
], ids=["pods at RequestResponse", "pods/log is its own resource", "a named configmap is not logged",
        "kube-proxy's watches are not logged", "another user's watch falls through to core: Request",
        "a nonResourceURL with a trailing * matches by prefix", "an exact nonResourceURL",
        "an unlisted URL falls to the catch-all", "configmaps in kube-system: Request",
        "configmaps elsewhere: Metadata", "secrets: Metadata", "the rest of core: Request",
        "other groups: the catch-all"])
def test_the_docs_example_policy_levels(verb, path, user, level):
    policy = Policy.from_yaml(DOCS_POLICY)
    assert policy.level_and_stages(attrs(verb, path, user))[0] == level


@pytest.mark.parametrize("rule, verb, path, matches", [
    ({"resources": [{"group": "", "resources": ["*/status"]}]}, "update", "/api/v1/nodes/n1/status", True),
    ({"resources": [{"group": "", "resources": ["*/status"]}]}, "update", "/api/v1/nodes/n1", False),
    ({"resources": [{"group": "", "resources": ["pods/*"]}]}, "get", "/api/v1/namespaces/a/pods/p/log", True),
    ({"resources": [{"group": "", "resources": ["pods/*"]}]}, "get", "/api/v1/namespaces/a/pods/p", True),
    ({"resources": [{"group": "apps", "resources": ["*"]}]}, "get", "/apis/apps/v1/namespaces/a/deployments/d",
     True),
    ({"namespaces": [""]}, "get", "/api/v1/nodes/n1", True),
    ({"namespaces": [""]}, "get", "/api/v1/namespaces/a/pods/p", False),
    ({"verbs": ["create"], "users": ["alice"]}, "create", "/api/v1/namespaces/a/pods", True),
    ({"userGroups": ["system:nodes"]}, "create", "/api/v1/namespaces/a/pods", False),
    ({"nonResourceURLs": ["/healthz"]}, "get", "/api/v1/nodes", False),
], ids=["*/status matches any resource's status", "*/status does not match the resource itself",
        "pods/* matches every pod subresource", "pods/* matches pods too (checker.go trims the /*)", "* matches every resource of the group",
        'namespace "" selects cluster-scoped resources', 'namespace "" does not select namespaced ones',
        "verbs and users must both match", "a group the user is not in does not match",
        "a nonResourceURLs rule never matches a resource request"])
def test_rule_matching(rule, verb, path, matches):
    policy = Policy.from_dict({"apiVersion": "audit.k8s.io/v1", "kind": "Policy",
                               "rules": [dict(rule, level="Request")]})
    assert policy.level_and_stages(attrs(verb, path))[0] == ("Request" if matches else "None")


def test_an_invalid_policy_is_refused_with_field_errors():
    with pytest.raises(ValueError) as caught:
        Policy.from_dict({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["Done"],
                          "rules": [{"level": "Everything"}]})
    assert str(caught.value) == ('[omitStages[0]: Unsupported value: "Done": supported values: "RequestReceived", '
                                 '"ResponseStarted", "ResponseComplete", "Panic", rules[0].level: Unsupported value: '
                                 '"Everything": supported values: "None", "Metadata", "Request", "RequestResponse"]')


# ---- events ---------------------------------------------------------------------------

class Clock:
    def __init__(self, t=7.25):
        self.t = t

    def __call__(self):
        return self.t


def policy(level: str, **top) -> Policy:
    return Policy.from_dict({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", **top, "rules": [{"level": level}]})


CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
STORED = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "settings", "namespace": "default", "uid": "u-1", "resourceVersion": "42"},
          "data": {"a": "1"}}


def create_configmap(log: AuditLog, clock: Clock, response=Response(201, STORED)):
    request = Request("POST", "/api/v1/namespaces/default/configmaps", (("fieldManager", "kubectl-client-side-apply"),),
                      CM, "alice", ("dev", "system:authenticated"))
    info = parse_request_info(request.method, request.path)
    ctx = log.record("RequestReceived", request, info, UserInfo("alice", ("dev", "system:authenticated")),
                     source_ips=("172.18.0.1",), user_agent="kubectl/v1.31.0 (linux/amd64) kubernetes/k8slite")
    clock.t += 0.004
    log.record("ResponseComplete", request, info, None, response, context=ctx,
               annotations={"authorization.k8s.io/decision": "allow"})
    return ctx


def test_a_metadata_event_has_upstreams_shape_and_no_bodies():
    clock = Clock()
    log = AuditLog(clock, policy("Metadata"))
    create_configmap(log, clock)
    assert [e["stage"] for e in log.events] == ["RequestReceived", "ResponseComplete"]
    assert log.events[1] == {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": "00000000-0000-4000-8000-000000000001", "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply",
        "verb": "create", "user": {"username": "alice", "groups": ["dev", "system:authenticated"]},
        "sourceIPs": ["172.18.0.1"], "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/k8slite",
        "objectRef": {"resource": "configmaps", "namespace": "default", "name": "settings", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 201},
        "requestReceivedTimestamp": "2024-01-01T00:00:07.250000Z",
        "stageTimestamp": "2024-01-01T00:00:07.254000Z",
        "annotations": {"authorization.k8s.io/decision": "allow"}}
    # The RequestReceived event knows only the URL: no name yet, no response.
    assert log.events[0]["objectRef"] == {"resource": "configmaps", "namespace": "default", "apiVersion": "v1"}
    assert "responseStatus" not in log.events[0]


def test_request_level_adds_the_request_body_and_request_response_the_answer():
    clock = Clock()
    request_log = AuditLog(clock, policy("Request", omitStages=["RequestReceived"]))
    create_configmap(request_log, clock)
    (event,) = request_log.events
    assert event["requestObject"] == CM and "responseObject" not in event
    full_log = AuditLog(clock, policy("RequestResponse", omitStages=["RequestReceived"]))
    create_configmap(full_log, clock)
    (event,) = full_log.events
    assert event["requestObject"] == CM and event["responseObject"] == STORED


def test_level_none_records_nothing_and_the_ids_still_count_up():
    clock = Clock()
    log = AuditLog(clock, policy("None"))
    assert not create_configmap(log, clock).enabled
    assert log.events == []
    log.policy = policy("Metadata", omitStages=["RequestReceived"])
    create_configmap(log, clock)
    assert log.events[0]["auditID"] == "00000000-0000-4000-8000-000000000002"


def test_an_error_answer_records_the_status_reason_and_message():
    clock = Clock()
    log = AuditLog(clock, policy("Metadata", omitStages=["RequestReceived"]))
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": 'configmaps "settings" already exists', "reason": "AlreadyExists",
              "details": {"name": "settings", "kind": "configmaps"}, "code": 409}
    create_configmap(log, clock, Response(409, status))
    assert log.events[0]["responseStatus"] == {
        "metadata": {}, "status": "Failure", "message": 'configmaps "settings" already exists',
        "reason": "AlreadyExists", "details": {"name": "settings", "kind": "configmaps"}, "code": 409}


def test_a_watch_has_a_response_started_and_a_response_complete_event_and_no_body():
    clock = Clock()
    log = AuditLog(clock, policy("RequestResponse"))
    request = Request("GET", "/api/v1/namespaces/default/pods", (("watch", "true"), ("resourceVersion", "10")),
                      user="system:kube-scheduler")
    info = parse_request_info("GET", request.path, True)
    ctx = log.record("RequestReceived", request, info, "system:kube-scheduler")
    log.record("ResponseStarted", request, info, None, Response(200, {"watch": 1}), context=ctx)
    clock.t += 1800
    log.record("ResponseComplete", request, info, None, Response(200, {"watch": 1}), context=ctx)
    assert [(e["stage"], e["verb"], e["stageTimestamp"]) for e in log.events] == [
        ("RequestReceived", "watch", "2024-01-01T00:00:07.250000Z"),
        ("ResponseStarted", "watch", "2024-01-01T00:00:07.250000Z"),
        ("ResponseComplete", "watch", "2024-01-01T00:30:07.250000Z")]
    assert all("responseObject" not in e for e in log.events)
    assert log.events[0]["user"] == {"username": "system:kube-scheduler"}


def test_non_resource_requests_have_no_object_ref_and_the_method_as_verb():
    clock = Clock()
    log = AuditLog(clock, policy("Metadata", omitStages=["RequestReceived"]))
    request = Request("GET", "/version", user="alice")
    ctx = log.record("RequestReceived", request, parse_request_info("GET", "/version"), "alice")
    log.record("ResponseComplete", request, None, None, Response(200, {"major": "1"}), context=ctx)
    assert log.events[0]["verb"] == "get" and "objectRef" not in log.events[0]


def test_the_default_policy_drops_heartbeats_and_never_keeps_secret_bodies():
    secret = attrs("create", "/api/v1/namespaces/default/secrets")
    assert DEFAULT_POLICY.level_and_stages(secret) == ("Metadata", ("RequestReceived",))
    lease = attrs("update", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1",
                  "system:node:node-1", ("system:nodes", "system:authenticated"))
    assert DEFAULT_POLICY.level_and_stages(lease)[0] == "None"
    event = attrs("create", "/api/v1/namespaces/default/events", "system:kube-scheduler", ())
    assert DEFAULT_POLICY.level_and_stages(event)[0] == "None"
    assert DEFAULT_POLICY.level_and_stages(attrs("get", "/readyz"))[0] == "None"
    assert DEFAULT_POLICY.level_and_stages(attrs("create", "/api/v1/namespaces/default/pods"))[0] == "Metadata"


def test_the_log_is_json_lines_with_go_escaping_and_can_go_to_a_file(tmp_path):
    clock = Clock()
    path = tmp_path / "audit.log"
    log = AuditLog(clock, policy("Metadata", omitStages=["RequestReceived"]), path=str(path))
    create_configmap(log, clock)
    create_configmap(log, clock)
    lines = path.read_text().splitlines()
    assert lines == log.lines() and len(lines) == 2
    assert json.loads(lines[0]) == log.events[0]
    assert lines[0].startswith('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":')
    assert encode_event({"message": "a<b>&c"}) == '{"message":"a\\u003cb\\u003e\\u0026c"}'


def test_micro_time_is_rfc3339_with_six_digits():
    assert micro_time(0) == "2024-01-01T00:00:00.000000Z"
    assert micro_time(61.0000004) == "2024-01-01T00:01:01.000000Z"
    assert micro_time(3599.9999996) == "2024-01-01T01:00:00.000000Z"


# ---- around a real API server, as the request path will call it -----------------------------

def test_recording_around_a_real_api_server(tmp_path):
    from k8slite import Cluster
    c = Cluster(seed=2)
    c.add_etcd()
    apiserver = c.add_apiserver()
    c.run(1)
    log = AuditLog(lambda: c.kernel.now, policy("RequestResponse", omitStages=["RequestReceived"]))

    def serve(request: Request) -> Response:
        from k8slite.api import errors
        info = parse_request_info(request.method, request.path, request.param("watch") == "true")
        ctx = log.record("RequestReceived", request, info, UserInfo(request.user, request.groups))
        try:
            response = c.kernel.run_until_complete(apiserver.handle(request))
        except errors.StatusError as error:
            response = Response(error.code, error.status)
        log.record("ResponseComplete", request, info, None, response, context=ctx)
        return response

    ns = Request("POST", "/api/v1/namespaces", body={"metadata": {"name": "team"}}, user="kubernetes-admin",
                 groups=("system:masters",))
    assert serve(ns).code == 201
    assert serve(ns).code == 409
    first, second = log.events
    assert first["objectRef"] == {"resource": "namespaces", "name": "team", "apiVersion": "v1"}
    assert first["requestObject"] == {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "team"}}
    assert first["responseObject"]["metadata"]["uid"] and first["responseStatus"] == {"metadata": {}, "code": 201}
    assert second["responseStatus"]["reason"] == "AlreadyExists"
    assert second["responseObject"]["kind"] == "Status"


def test_the_authenticators_user_and_the_authorizers_attributes_can_be_passed_as_they_are():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class AuthnUser:            # the shape of authn.UserInfo: name, uid, groups, extra
        name: str
        uid: str = ""
        groups: tuple = ()
        extra: tuple = ()
    clock = Clock()
    log = AuditLog(clock, Policy.from_dict({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [
        {"level": "Metadata", "resources": [{"group": "", "resources": ["pods"], "resourceNames": ["web"]}]}]}))
    request = Request("GET", "/api/v1/namespaces/default/pods", (("fieldSelector", "metadata.name=web"),
                                                                 ("watch", "true")))
    info = parse_request_info("GET", request.path, True)
    user = AuthnUser("alice", "u-1", ("dev",), (("scopes", ("view",)),))
    # The authorizer names the object a metadata.name field selector picks (requestinfo.go).
    attributes = RequestAttributes("alice", ("dev",), "watch", True, "", "default", "pods", "", "web", request.path)
    log.record("RequestReceived", request, info, user, attributes=attributes)
    (event,) = log.events
    assert event["user"] == {"username": "alice", "uid": "u-1", "groups": ["dev"], "extra": {"scopes": ["view"]}}
    assert event["objectRef"] == {"resource": "pods", "namespace": "default", "name": "web", "apiVersion": "v1"}
