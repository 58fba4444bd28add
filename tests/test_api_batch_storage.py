"""Defaults, validation and registry strategies for Jobs, CronJobs, PersistentVolumes, claims and
StorageClasses: messages from pkg/apis/batch/validation, pkg/apis/core/validation and
pkg/apis/storage/validation (kubernetes v1.31), checked on their own and through a running
cluster, where a bad object gets a 422 and nothing is stored."""
import copy

import pytest
import yaml

from k8slite import Cluster
from k8slite.api import SCHEME, apply_defaults, validate
from k8slite.api import cron, errors
from k8slite.api.meta import rfc3339
from k8slite.apiserver.registry import PREPARE_FOR_CREATE
from k8slite.apiserver.tables import to_table
from k8slite.client.rest import MERGE_PATCH
from k8slite.controllers import cronjob as cronjob_controller

JOB = SCHEME.by_kind("batch/v1", "Job")
CRONJOB = SCHEME.by_kind("batch/v1", "CronJob")
PV = SCHEME.by_kind("v1", "PersistentVolume")
PVC = SCHEME.by_kind("v1", "PersistentVolumeClaim")
SC = SCHEME.by_kind("storage.k8s.io/v1", "StorageClass")
UID = "0f1e2d3c-0000-4000-8000-000000000001"
TEMPLATE_IMMUTABLE = ("spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{...}, "
                      "Spec:core.PodSpec{...}}: field is immutable")


def messages(info, obj, old=None, subresource=""):
    return [c.error_string() for c in validate(info, obj, old, subresource)]


def job(name="pi", restart="Never", labels=None, **spec):
    """A Job as the API server has it after defaulting and PrepareForCreate."""
    tmpl = {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}
    if restart is not None:
        tmpl["spec"]["restartPolicy"] = restart
    if labels is not None:
        tmpl["metadata"] = {"labels": labels}
    obj = apply_defaults({"apiVersion": "batch/v1", "kind": "Job",
                          "metadata": {"name": name, "namespace": "default"}, "spec": {"template": tmpl, **spec}})
    obj["metadata"]["uid"] = UID
    PREPARE_FOR_CREATE[("batch", "jobs")](obj, 0.0)
    return obj


def cronjob(schedule="*/5 * * * *", restart="OnFailure", name="tick", **spec):
    tmpl = {"spec": {"containers": [{"name": "tick", "image": "busybox"}]}}
    if restart is not None:
        tmpl["spec"]["restartPolicy"] = restart
    return apply_defaults({"apiVersion": "batch/v1", "kind": "CronJob",
                           "metadata": {"name": name, "namespace": "default"},
                           "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": tmpl}}, **spec}})


def pv(**spec):
    base = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/pv"}}
    base.update(spec)
    return apply_defaults({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
                           "spec": {k: v for k, v in base.items() if v is not None}})


def pvc(**spec):
    base = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    base.update(spec)
    return apply_defaults({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                           "metadata": {"name": "data", "namespace": "default"},
                           "spec": {k: v for k, v in base.items() if v is not None}})


def storage_class(**fields):
    return apply_defaults({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
                           "provisioner": "rancher.io/local-path", **fields})


# ---- defaults -------------------------------------------------------------------------------

def test_a_job_left_unset_runs_one_pod_once_with_six_retries():
    spec = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}})["spec"]
    assert {k: v for k, v in spec.items() if k != "template"} == {
        "completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"        # the pod default; validation refuses it


@pytest.mark.parametrize("given, want", [
    pytest.param({"parallelism": 3}, {"parallelism": 3}, id="a work queue: parallelism alone leaves completions unset"),
    pytest.param({"completions": 5}, {"completions": 5, "parallelism": 1}, id="completions alone run one at a time"),
    pytest.param({"backoffLimitPerIndex": 1}, {"backoffLimit": 2147483647},
                 id="a per-index limit turns the job-wide backoff limit off"),
    pytest.param({"podFailurePolicy": {"rules": [{"action": "Ignore",
                                                  "onPodConditions": [{"type": "DisruptionTarget"}]}]}},
                 {"podReplacementPolicy": "Failed"}, id="a pod failure policy replaces only failed pods"),
])
def test_job_defaults_depend_on_what_is_set(given, want):
    spec = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                           "spec": {"template": {"spec": {}}, **given}})["spec"]
    for key, value in want.items():
        assert spec[key] == value
    if "parallelism" in given and "completions" not in given:
        assert "completions" not in spec


def test_a_pod_failure_policy_condition_pattern_matches_true_by_default():
    spec = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {
        "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}}})
    assert spec["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"type": "DisruptionTarget", "status": "True"}]


def test_a_job_without_labels_takes_its_templates():
    obj = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                          "spec": {"template": {"metadata": {"labels": {"app": "pi"}}}}})
    assert obj["metadata"]["labels"] == {"app": "pi"}
    own = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": {"a": "b"}},
                          "spec": {"template": {"metadata": {"labels": {"app": "pi"}}}}})
    assert own["metadata"]["labels"] == {"a": "b"}


def test_cronjob_defaults_leave_the_job_template_to_the_job():
    obj = cronjob()
    spec = obj["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)
    job_spec = spec["jobTemplate"]["spec"]
    assert set(job_spec) == {"template"}                # no completions, backoffLimit, ...: SetDefaults_Job is for Jobs
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_volume_claim_and_class_defaults():
    v = pv()
    assert (v["spec"]["persistentVolumeReclaimPolicy"], v["spec"]["volumeMode"], v["spec"]["hostPath"]["type"],
            v["status"]["phase"]) == ("Retain", "Filesystem", "", "Pending")
    c = pvc()
    assert (c["spec"]["volumeMode"], c["status"]["phase"]) == ("Filesystem", "Pending")
    sc = storage_class()
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    kept = storage_class(reclaimPolicy="Retain", volumeBindingMode="WaitForFirstConsumer")
    assert (kept["reclaimPolicy"], kept["volumeBindingMode"]) == ("Retain", "WaitForFirstConsumer")


# ---- the Job strategy: a generated selector ------------------------------------------------

def test_the_registry_generates_the_selector_and_the_template_labels():
    obj = job(labels={"app": "pi"})
    assert obj["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert obj["spec"]["template"]["metadata"]["labels"] == {
        "app": "pi", "batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID, "job-name": "pi"}
    # The Job had no labels of its own, so it shows its template's, generated ones and all.
    assert obj["metadata"]["labels"] == obj["spec"]["template"]["metadata"]["labels"]
    assert messages(JOB, obj) == []


def test_a_manual_selector_is_left_alone():
    obj = job(labels={"app": "pi"}, manualSelector=True, selector={"matchLabels": {"app": "pi"}})
    assert obj["spec"]["selector"] == {"matchLabels": {"app": "pi"}}
    assert obj["spec"]["template"]["metadata"]["labels"] == {"app": "pi"}
    assert messages(JOB, obj) == []


def test_a_label_the_user_set_wins_and_validation_says_it_is_wrong():
    obj = job(labels={"controller-uid": "someone-else"})
    assert messages(JOB, obj) == [
        "spec.template.metadata.labels[controller-uid]: Invalid value: map[string]string{"
        f'"batch.kubernetes.io/controller-uid":"{UID}", "batch.kubernetes.io/job-name":"pi", '
        '"controller-uid":"someone-else", "job-name":"pi"}: must be \'' + UID + "'"]


def test_a_selector_that_would_not_pick_this_jobs_pods_is_not_auto_generated():
    obj = job()
    obj["spec"]["selector"]["matchLabels"]["controller-uid"] = "someone-else"
    assert messages(JOB, obj) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
        f'"batch.kubernetes.io/controller-uid":"{UID}", "controller-uid":"someone-else"}}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated",
        "spec.template.metadata.labels: Invalid value: map[string]string{"
        f'"batch.kubernetes.io/controller-uid":"{UID}", "batch.kubernetes.io/job-name":"pi", '
        f'"controller-uid":"{UID}", "job-name":"pi"}}: `selector` does not match template `labels`']


# ---- Job validation ----------------------------------------------------------------------------

RESTART_REQUIRED = 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'


@pytest.mark.parametrize("obj, want", [
    pytest.param(job(), [], id="a job that never restarts its pods is valid"),
    pytest.param(job(restart="OnFailure"), [], id="so is one that restarts them on failure"),
    pytest.param(job(restart=None), [RESTART_REQUIRED],
                 id="an unset restart policy defaults to Always, which a job must not have"),
    pytest.param(job(restart="Always"), [RESTART_REQUIRED], id="Always reads as not set"),
    pytest.param(job(restart="Sometimes"), [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
        '"Always", "OnFailure", "Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"'],
                 id="an unknown restart policy fails the pod's rule and the job's"),
    pytest.param(job(parallelism=-1, completions=-2, backoffLimit=-3, activeDeadlineSeconds=-4), [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Invalid value: -2: must be greater than or equal to 0",
        "spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0"], id="counters are not negative"),
    pytest.param(job(completionMode="Indexed", parallelism=2),
                 ["spec.completions: Required value: when completion mode is Indexed"],
                 id="an indexed job needs to know how many indexes"),
    pytest.param(job(completionMode="Ordered"),
                 ['spec.completionMode: Unsupported value: "Ordered": supported values: "NonIndexed", "Indexed"'],
                 id="two completion modes"),
    pytest.param(job(name="x" * 62, completionMode="Indexed", completions=10),
                 ['metadata.name: Invalid value: "' + "x" * 62 + '": will not able to create pod with invalid '
                  "DNS label: " + "x" * 62 + "-9"], id="an indexed pod's hostname must be a DNS label"),
    pytest.param(job(backoffLimitPerIndex=1, maxFailedIndexes=1), [
        "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
        "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode"],
                 id="per-index limits need indexes"),
    pytest.param(job(completionMode="Indexed", completions=2, maxFailedIndexes=3), [
        "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
        "spec.maxFailedIndexes: Invalid value: 3: must be less than or equal to completions"],
                 id="at most every index may fail"),
    pytest.param(job(restart="OnFailure", podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0, 3, 2, 3]}}]}), [
        "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
        "spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Duplicate value: 3",
        "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 2, 3}: must be ordered",
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when '
        "podFailurePolicy is specified"], id="a pod failure policy checks its exit codes and the restart policy"),
    pytest.param(job(podFailurePolicy={"rules": [{"action": "FailIndex"}]}), [
        'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex '
        "to be set",
        "spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required"],
                 id="a rule names what it matches"),
    pytest.param(job(podFailurePolicy={"rules": []}, podReplacementPolicy="TerminatingOrFailed"),
                 ['spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"'],
                 id="with a pod failure policy only failed pods are replaced"),
    pytest.param(job(successPolicy={"rules": [{"succeededCount": 1}]}), [
        'spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode'],
                 id="a success policy counts indexes"),
])
def test_job_create(obj, want):
    assert messages(JOB, obj) == want


def test_a_manual_selector_must_be_given_and_select_the_template():
    obj = job(labels={"app": "pi"}, manualSelector=True)
    assert messages(JOB, obj) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"pi"}: '
        "`selector` does not match template `labels`"]
    obj = job(labels={"app": "pi"}, manualSelector=True, selector={"matchLabels": {"app": "other"}})
    assert messages(JOB, obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"pi"}: '
        "`selector` does not match template `labels`"]


# ---- Job updates ---------------------------------------------------------------------------

def changed(obj, change, status=None):
    new = copy.deepcopy(obj)
    change(new["spec"])
    if status is not None:
        new["status"] = status
    return new


@pytest.mark.parametrize("change, want", [
    pytest.param(lambda s: s.update(parallelism=3), [], id="parallelism may change"),
    pytest.param(lambda s: s.update(suspend=True, activeDeadlineSeconds=60, backoffLimit=1), [],
                 id="so may suspension, the deadline and the backoff limit"),
    pytest.param(lambda s: s["template"]["spec"]["containers"][0].update(image="perl:5"), [TEMPLATE_IMMUTABLE],
                 id="the pod template may not"),
    pytest.param(lambda s: s.update(completions=3), ["spec.completions: Invalid value: 3: field is immutable"],
                 id="nor may a non-indexed job's completions"),
    pytest.param(lambda s: s.update(selector={"matchLabels": {"controller-uid": UID}}), [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
        f'"controller-uid":"{UID}"}}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable'],
                 id="nor the selector, even for one that selects the same pods"),
    pytest.param(lambda s: s.update(completionMode="Indexed"),
                 ['spec.completionMode: Invalid value: "Indexed": field is immutable'], id="nor the completion mode"),
])
def test_job_update(change, want):
    old = job()
    assert messages(JOB, changed(old, change), old) == want


def test_an_invalid_update_lists_each_spec_cause_twice_as_upstream_does():
    old = job()
    new = changed(old, lambda s: s.update(parallelism=-1))
    assert messages(JOB, new, old) == ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"] * 2
    e = errors.invalid("Job.batch", "pi", validate(JOB, new, old))
    assert str(e) == ('Job.batch "pi" is invalid: spec.parallelism: Invalid value: -1: '
                      "must be greater than or equal to 0")
    assert len(e.status["details"]["causes"]) == 2


def test_elastic_indexed_jobs_scale_completions_with_parallelism():
    old = job(completionMode="Indexed", completions=4, parallelism=4)
    assert messages(JOB, changed(old, lambda s: s.update(completions=6, parallelism=6)), old) == []
    assert messages(JOB, changed(old, lambda s: s.update(completions=6)), old) == [
        "spec.completions: Invalid value: 6: can only be modified in tandem with spec.parallelism"]


def test_a_suspended_job_that_never_started_may_move_its_pods():
    def move(s):
        s["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
        s["template"]["metadata"]["annotations"] = {"note": "moved"}
    old = job(suspend=True)
    assert messages(JOB, changed(old, move), old) == []
    started = dict(old, status={"startTime": "2024-01-01T00:00:00Z"})
    assert messages(JOB, changed(started, move), started) == [TEMPLATE_IMMUTABLE]
    running = job(suspend=False)
    assert messages(JOB, changed(running, move), running) == [TEMPLATE_IMMUTABLE]


def test_a_status_update_checks_the_counters_not_the_spec():
    old = job()
    assert messages(JOB, changed(old, lambda s: None, {"active": 1, "succeeded": 0}), old, "status") == []
    assert messages(JOB, changed(old, lambda s: None, {"failed": -1}), old, "status") == [
        "status.failed: Invalid value: -1: must be greater than or equal to 0"]


# ---- CronJob validation ----------------------------------------------------------------------

@pytest.mark.parametrize("obj, want", [
    pytest.param(cronjob(), [], id="a schedule and a job template are valid"),
    pytest.param(cronjob("@hourly", timeZone="Asia/Tokyo"), [], id="a descriptor in a named zone"),
    pytest.param(cronjob("61 * * * *"),
                 ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
                 id="the schedule must parse, with robfig/cron's message"),
    pytest.param(cronjob("* * * *"),
                 ['spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]'],
                 id="five fields"),
    pytest.param(cronjob(""), ["spec.schedule: Required value"], id="a schedule is required"),
    pytest.param(cronjob("TZ=Asia/Tokyo 0 9 * * *"),
                 ['spec.schedule: Invalid value: "TZ=Asia/Tokyo 0 9 * * *": cannot use TZ or CRON_TZ in schedule, '
                  "use timeZone field instead"], id="a zone goes in timeZone, not the schedule"),
    pytest.param(cronjob(timeZone="Mars/Olympus"),
                 ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
                 id="the zone must exist"),
    pytest.param(cronjob(timeZone="../etc/passwd"),
                 ['spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd'],
                 id="a zone name is not a path"),
    pytest.param(cronjob(timeZone="Local"),
                 ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in '
                  "https://www.iana.org/time-zones"], id="not the server's local zone"),
    pytest.param(cronjob(timeZone=""),
                 ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'], id="nor an empty one"),
    pytest.param(cronjob(concurrencyPolicy="Sometimes"),
                 ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", '
                  '"Replace"'], id="three concurrency policies"),
    pytest.param(cronjob(restart=None),
                 ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", '
                  '"Never"'], id="the job template is checked as a job's"),
    pytest.param(cronjob(startingDeadlineSeconds=-1, successfulJobsHistoryLimit=-1), [
        "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
                 id="deadlines and history limits are not negative"),
    pytest.param(cronjob(name="c" * 53),
                 ['metadata.name: Invalid value: "' + "c" * 53 + '": must be no more than 52 characters'],
                 id="the name leaves room for the job's suffix"),
])
def test_cronjob_create(obj, want):
    assert messages(CRONJOB, obj) == want


def test_the_job_template_may_not_bring_its_own_selector():
    obj = cronjob()
    obj["spec"]["jobTemplate"]["spec"].update(selector={"matchLabels": {"a": "b"}}, manualSelector=True)
    assert messages(CRONJOB, obj) == [
        'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"']


def test_a_schedule_that_already_had_a_zone_may_keep_it_but_not_with_timezone():
    old = cronjob("TZ=Asia/Tokyo 0 9 * * *")
    new = copy.deepcopy(old)
    new["spec"]["suspend"] = True
    assert messages(CRONJOB, new, old) == []
    new["spec"]["timeZone"] = "Asia/Tokyo"
    assert messages(CRONJOB, new, old) == [
        'spec.schedule: Invalid value: "TZ=Asia/Tokyo 0 9 * * *": cannot use both timeZone field and TZ or '
        "CRON_TZ in schedule"]


def test_the_controller_and_validation_share_one_parser():
    assert cronjob_controller.parse_standard is cron.parse_standard
    assert cronjob_controller.CronError is cron.CronError
    with pytest.raises(cron.CronError, match=r"^provided bad location Mars/Olympus: unknown time zone Mars/Olympus$"):
        cron.parse_standard("TZ=Mars/Olympus 0 * * * *")


# ---- PersistentVolume, PersistentVolumeClaim, StorageClass ---------------------------------------

@pytest.mark.parametrize("obj, want", [
    pytest.param(pv(), [], id="a hostPath volume"),
    pytest.param(pv(accessModes=None, capacity=None), [
        "spec.accessModes: Required value", "spec.capacity: Required value",
        'spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage"'],
                 id="access modes and a capacity are required"),
    pytest.param(pv(capacity={"storage": "0"}),
                 ['spec.capacity[storage]: Invalid value: "0": must be greater than zero'],
                 id="the capacity is positive"),
    pytest.param(pv(accessModes=["ReadWriteOncePod", "ReadWriteOnce", "WriteSometimes"]), [
        'spec.accessModes: Unsupported value: "WriteSometimes": supported values: "ReadOnlyMany", '
        '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
                 id="four access modes, ReadWriteOncePod alone"),
    pytest.param(pv(hostPath=None), ["spec: Required value: must specify a volume type"], id="a volume source"),
    pytest.param(pv(nfs={"server": "nfs.example", "path": "/exports"}),
                 ["spec.nfs: Forbidden: may not specify more than 1 volume type"], id="only one"),
    pytest.param(pv(hostPath=None, local={"path": "/mnt/disk"}),
                 ["spec.nodeAffinity: Required value: Local volume requires node affinity"],
                 id="a local volume says which node it is on"),
    pytest.param(pv(persistentVolumeReclaimPolicy="Shred"),
                 ['spec.persistentVolumeReclaimPolicy: Unsupported value: "Shred": supported values: "Delete", '
                  '"Recycle", "Retain"'], id="three reclaim policies"),
])
def test_persistent_volume_create(obj, want):
    assert messages(PV, obj) == want


def test_a_volume_source_is_fixed_at_creation():
    old = pv()
    new = copy.deepcopy(old)
    new["spec"]["capacity"] = {"storage": "2Gi"}
    new["metadata"]["resourceVersion"] = "7"
    assert messages(PV, new, old) == []
    new["spec"]["hostPath"]["path"] = "/elsewhere"
    assert messages(PV, new, old) == [
        "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation"]


@pytest.mark.parametrize("obj, want", [
    pytest.param(pvc(), [], id="a claim for a gigabyte"),
    pytest.param(pvc(accessModes=None, resources=None), [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value"], id="access modes and a storage request are required"),
    pytest.param(pvc(resources={"requests": {"storage": "-1Gi"}}),
                 ['spec.resources[storage]: Invalid value: "-1Gi": must be greater than zero'], id="a positive one"),
    pytest.param(pvc(volumeMode="Raw"),
                 ['spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
                 id="two volume modes"),
    pytest.param(pvc(storageClassName="Fast_SSD"), [
        'spec.storageClassName: Invalid value: "Fast_SSD": a lowercase RFC 1123 subdomain must consist of lower '
        "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
        "[a-z0-9])?)*')"], id="a class name is a DNS subdomain"),
])
def test_persistent_volume_claim_create(obj, want):
    assert messages(PVC, obj) == want


def test_a_claim_is_fixed_but_for_its_volume_once_and_growing_when_bound():
    old = pvc()
    bind = copy.deepcopy(old)
    bind["spec"]["volumeName"] = "pv-1"
    assert messages(PVC, bind, old) == []
    rebind = copy.deepcopy(bind)
    rebind["spec"]["volumeName"] = "pv-2"
    forbidden = ("spec: Forbidden: spec is immutable after creation except resources.requests and "
                 "volumeAttributesClassName for bound claims")
    assert messages(PVC, rebind, bind) == [forbidden]
    grow = copy.deepcopy(bind)
    grow["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert messages(PVC, grow, bind) == [forbidden]                # still Pending
    bound = dict(bind, status={"phase": "Bound"})
    assert messages(PVC, dict(grow, status={"phase": "Bound"}), bound) == []
    shrink = copy.deepcopy(bound)
    shrink["spec"]["resources"]["requests"]["storage"] = "512Mi"
    assert messages(PVC, shrink, bound) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than previous value"]
    late_class = copy.deepcopy(old)
    late_class["spec"]["storageClassName"] = "standard"            # a default class assigned afterwards
    assert messages(PVC, late_class, old) == []


@pytest.mark.parametrize("obj, old, want", [
    pytest.param(storage_class(), None, [], id="a local-path class"),
    pytest.param(storage_class(provisioner=""), None, ["provisioner: Required value"], id="a provisioner is required"),
    pytest.param(storage_class(volumeBindingMode="Later", reclaimPolicy="Recycle"), None, [
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'],
                 id="a class deletes or retains, binding at once or at first use"),
    pytest.param(storage_class(reclaimPolicy="Retain", parameters={"a": "b"}), storage_class(), [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden."], id="a class is fixed once made"),
])
def test_storage_class(obj, old, want):
    assert messages(SC, obj, old) == want


# ---- through a running cluster ------------------------------------------------------------------

@pytest.fixture(scope="module")
def c():
    return Cluster.up(nodes=1, seed=1)


BAD_JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: -1
  template:
    spec:
      containers: [{name: pi, image: perl}]
"""
GOOD_JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  template:
    metadata: {labels: {app: pi}}
    spec:
      restartPolicy: Never
      nodeSelector: {example.com/none: "true"}
      containers: [{name: pi, image: %s}]
"""


def test_kubectl_apply_of_a_bad_job_is_refused_and_stores_nothing(c):
    result = c.kubectl.apply(BAD_JOB)
    assert (result.stdout, result.exit_code) == ("", 1)
    # How kubectl lays the causes out is kubectl's business; each is there as the server put it.
    for cause in ("spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
                  'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'):
        assert cause in result.stderr
    with pytest.raises(errors.StatusError) as raised:
        c.kernel.run_until_complete(c.admin.create(JOB, "default", yaml.safe_load(BAD_JOB)))
    assert raised.value.message == (
        'Job.batch "pi" is invalid: [spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0, '
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"]')
    assert c.objects("jobs", "default") == []


def test_a_job_gets_its_selector_its_pods_carry_it_and_its_template_is_fixed(c):
    assert c.kubectl.apply(GOOD_JOB % "perl").stdout == "job.batch/pi created\n"
    c.run(3)
    stored = next(j for j in c.objects("jobs", "default") if j["metadata"]["name"] == "pi")
    uid = stored["metadata"]["uid"]
    assert stored["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    pods = [p for p in c.objects("pods", "default") if p["metadata"].get("labels", {}).get("job-name") == "pi"]
    assert len(pods) == 1 and pods[0]["metadata"]["labels"] == {
        "app": "pi", "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
        "controller-uid": uid, "job-name": "pi"}
    result = c.kubectl.apply(GOOD_JOB % "perl:5.40")
    assert result.exit_code == 1 and TEMPLATE_IMMUTABLE in result.stderr
    after = next(j for j in c.objects("jobs", "default") if j["metadata"]["name"] == "pi")
    assert after["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


def test_a_bad_cronjob_gets_a_422_with_a_cause_per_field(c):
    body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
            "spec": {"schedule": "*/5 * * *", "timeZone": "Mars/Olympus", "jobTemplate": {"spec": {"template": {
                "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "tick", "image": "busybox"}]}}}}}}
    with pytest.raises(errors.StatusError) as raised:
        c.kernel.run_until_complete(c.admin.create(CRONJOB, "default", body))
    status = raised.value.status
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert status["details"] == {"name": "tick", "group": "batch", "kind": "CronJob", "causes": [
        {"reason": "FieldValueInvalid", "field": "spec.schedule",
         "message": 'Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]'},
        {"reason": "FieldValueInvalid", "field": "spec.timeZone",
         "message": 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'}]}
    assert c.objects("cronjobs", "default") == []


def test_a_volume_is_pending_since_it_was_made_and_stamps_each_phase(c):
    body = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "stamp"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/s"}},
            "status": {"phase": "Bound"}}
    created = c.kernel.run_until_complete(c.admin.create(PV, "", body))
    made = created["metadata"]["creationTimestamp"]
    assert created["status"] == {"phase": "Pending", "lastPhaseTransitionTime": made}   # the client's status is dropped
    c.run(5)

    def put_status(**status):             # a PUT of /status that leaves the stamp out
        current = c.kernel.run_until_complete(c.admin.get(PV, "", "stamp"))
        current["status"] = status
        return c.kernel.run_until_complete(c.admin.update_status(PV, current))["status"]
    failed = put_status(phase="Failed", message="disk gone")
    assert failed["lastPhaseTransitionTime"] == rfc3339(c.now) > made     # a new phase is stamped now
    c.run(5)
    before = c.kernel.run_until_complete(c.admin.get(PV, "", "stamp"))["status"]
    same = put_status(phase=before["phase"], message="hello")
    # The same phase keeps its stamp.
    assert rfc3339(c.now) > before["lastPhaseTransitionTime"] == same["lastPhaseTransitionTime"]


def test_a_claim_without_a_size_is_refused_and_a_class_is_defaulted(c):
    result = c.kubectl.apply("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: []
""")
    assert result.exit_code == 1
    assert "spec.accessModes: Required value: at least 1 access mode is required" in result.stderr
    assert "spec.resources[storage]: Required value" in result.stderr
    assert [o["metadata"]["name"] for o in c.objects("persistentvolumeclaims", "default")] == []
    assert c.kubectl.apply("""
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: slow}
provisioner: example.com/slow
""").exit_code == 0
    sc = next(s for s in c.objects("storageclasses") if s["metadata"]["name"] == "slow")
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")


def test_resource_quotas_print_name_age_request_limit(c):
    quota = {"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "q", "namespace": "default", "creationTimestamp": "2024-01-01T00:00:00Z"},
             "status": {"hard": {"pods": "2", "limits.cpu": "1"}, "used": {"pods": "1", "limits.cpu": "500m"}}}
    table = to_table(SCHEME.lookup("resourcequotas"), [quota], 60.0)
    assert [col["name"] for col in table["columnDefinitions"]] == ["Name", "Age", "Request", "Limit"]
    assert table["rows"][0]["cells"] == ["q", "60s", "pods: 1/2", "limits.cpu: 500m/1"]
