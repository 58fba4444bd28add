"""Tests of k8slite/viz/chain.py: which stage an answer comes from, the text table, and what the figure draws."""
import pytest

from k8slite.api import errors
from k8slite.apiserver.request import Response
from k8slite.viz.chain import STAGES, Outcome, chain_diagram, chain_table, outcome, stopped_at

AUTHZ = ('pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
         'in the namespace "dev"')
NODE = ('secrets "db-pass" is forbidden: User "system:node:node-2" cannot get resource "secrets" in API group "" '
        "in the namespace \"dev\": no relationship found between node 'node-2' and this object")
PSA = ('pods "privileged" is forbidden: violates PodSecurity "restricted:latest": privileged '
       '(container "shell" must not set securityContext.privileged=true)')
QUOTA = ('pods "web-5" is forbidden: exceeded quota: compute, requested: requests.cpu=250m, '
         'used: requests.cpu=1, limited: requests.cpu=1')
PRIORITY = 'pods "vip" is forbidden: no PriorityClass with name gold was found'
SNEAKY = 'pods "u" is forbidden: violates PodSecurity "baseline:latest": hostPort (container "User cannot" uses 80)'


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": {}, "code": code}


@pytest.mark.parametrize("code, body, want", [
    pytest.param(401, status(401, "Unauthorized", "Unauthorized"), "authentication",
                 id="a 401 can only come from authentication"),
    pytest.param(403, status(403, "Forbidden", AUTHZ), "authorization",
                 id="a 403 in forbiddenMessage's words comes from authorization"),
    pytest.param(403, status(403, "Forbidden", NODE), "authorization",
                 id="the Node authorizer's reason after the message does not change that"),
    pytest.param(403, status(403, "Forbidden", 'forbidden: User "alice" cannot get path "/logs"'), "authorization",
                 id="so does a refused non-resource path"),
    pytest.param(403, status(403, "Forbidden", PSA), "validating admission",
                 id="any other 403 comes from an admission plugin, validating by default"),
    pytest.param(403, status(403, "Forbidden", QUOTA), "validating admission",
                 id="a quota refusal is validating admission"),
    pytest.param(403, status(403, "Forbidden", SNEAKY), "validating admission",
                 id="'User' and 'cannot' inside an admission message are not an authorization refusal"),
    pytest.param(403, status(403, "Forbidden", PRIORITY), "mutating admission",
                 id="Priority refuses in the mutating phase"),
    pytest.param(422, status(422, "Invalid", 'Pod "Web_1" is invalid: [...]'), "validation",
                 id="a 422 comes from validation"),
    pytest.param(201, {"kind": "Pod"}, "etcd", id="a created object reached etcd"),
    pytest.param(200, {"kind": "PodList"}, "etcd", id="a read was served by storage"),
    pytest.param(409, status(409, "AlreadyExists", 'pods "x" already exists'), "etcd",
                 id="AlreadyExists is etcd's compare-and-swap failing"),
    pytest.param(404, status(404, "NotFound", 'pods "x" not found'), "etcd", id="NotFound comes from storage"),
])
def test_stopped_at_reads_the_stage_from_the_answer(code, body, want):
    assert stopped_at(code, body) == want


def test_stopped_at_refuses_to_guess_other_codes():
    with pytest.raises(ValueError, match="pass stage="):
        stopped_at(400, status(400, "BadRequest", "bad"))


def test_outcome_takes_a_response_or_a_status_error_and_an_explicit_stage():
    refused = outcome("alice: list pods", errors.from_status(status(403, "Forbidden", AUTHZ)))
    assert refused == Outcome("alice: list pods", 403, "Forbidden", "authorization", AUTHZ, "POST")
    read = outcome("alice: list pods", Response(200, {"kind": "PodList", "items": []}), method="get")
    assert read == Outcome("alice: list pods", 200, "", "etcd", "", "GET")
    stored = outcome("admin: create pod", Response(201, {"kind": "Pod", "metadata": {"name": "x"}}))
    assert stored == Outcome("admin: create pod", 201, "", "etcd", "")
    bad = outcome("bad body", Response(400, status(400, "BadRequest", "bad")), stage="validation")
    assert bad.stage == "validation" and bad.reason == "BadRequest"
    with pytest.raises(ValueError, match="unknown stage"):
        outcome("x", Response(201, {}), stage="decode")


OUTCOMES = [Outcome("nobody: list pods", 401, "Unauthorized", "authentication", "Unauthorized"),
            Outcome("alice: delete pod", 403, "Forbidden", "authorization", AUTHZ),
            Outcome("admin: invalid pod", 422, "Invalid", "validation", "..."),
            Outcome("admin: hardened pod", 201, "", "etcd", ""),
            Outcome("alice: list pods", 200, "", "etcd", "", "GET")]


def test_chain_table_prints_one_line_per_request_with_the_answer_and_the_stage():
    assert chain_table(OUTCOMES).splitlines() == [
        "REQUEST              ANSWER            ANSWERED BY",
        "nobody: list pods    401 Unauthorized  authentication",
        "alice: delete pod    403 Forbidden     authorization",
        "admin: invalid pod   422 Invalid       validation",
        "admin: hardened pod  201 Created       etcd",
        "alice: list pods     200 OK            etcd",
    ]


matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_chain_diagram_ends_each_row_at_its_stage_red_for_refusals_green_for_stored():
    from matplotlib.colors import to_hex
    fig = chain_diagram(OUTCOMES, title="five requests")
    ax = fig.axes[0]
    marks = {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}
    assert sorted(marks) == [f"stop-{i}" for i in range(len(OUTCOMES))]
    for row, o in enumerate(OUTCOMES):
        mark = marks[f"stop-{row}"]
        assert list(mark.get_xdata()) == [STAGES.index(o.stage)] and list(mark.get_ydata()) == [row]
        assert to_hex(mark.get_color()) == ("#c62828" if o.code >= 400 else "#2e7d32")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [o.label for o in OUTCOMES]
    texts = [t.get_text() for t in ax.texts]
    assert "401 Unauthorized" in texts and "201 Created" in texts
    assert all(stage.replace(" ", "\n") in texts for stage in STAGES)
    assert ax.get_title(loc="left") == "five requests"


def passed_stops(ax, row):
    """The x of the small 'passed' dots drawn on a row."""
    return [x for line in ax.get_lines() if not line.get_gid() and line.get_marker() == "o"
            and list(line.get_ydata()) and set(line.get_ydata()) == {row} for x in line.get_xdata()]


def test_a_write_stops_at_every_stage_before_its_end_and_a_read_skips_admission():
    fig = chain_diagram(OUTCOMES)
    ax = fig.axes[0]
    assert passed_stops(ax, 3) == [0, 1, 2, 3, 4]        # the stored pod passed all five checks
    assert passed_stops(ax, 4) == [0, 1]                 # the list passed authentication and authorization only
    assert passed_stops(ax, 1) == [0]                    # the refused delete passed authentication


def test_chain_diagram_needs_requests():
    with pytest.raises(ValueError):
        chain_diagram([])
