"""Defaulting: the fields the API server fills in before validation, per kind.

Mirrors kubernetes v1.31 pkg/apis/core/v1/defaults.go (Pod, PodSpec, Container, probes,
volumes, Service, Namespace, Node, PersistentVolume(Claim), Secret),
pkg/apis/apps/v1/defaults.go (Deployment, ReplicaSet, DaemonSet, StatefulSet),
pkg/apis/batch/v1/defaults.go (Job, CronJob), pkg/apis/scheduling/v1/defaults.go,
pkg/apis/storage/v1/defaults.go (StorageClass), plus
the few fields a registry strategy sets on create that ``kubectl get -o yaml`` shows
(Namespace spec.finalizers, Service ipFamilyPolicy/ipFamilies).

Simplified: the Pod's preemptionPolicy is set here rather than by the Priority admission
plugin (priority itself and serviceAccountName are still left to admission); Service
ipFamilies are always [IPv4] (single-stack clusters); feature-gated defaults follow the
v1.31 gate defaults.
"""
from __future__ import annotations

import copy
from typing import Callable, Optional

PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}
DEFAULT_MODE = 420   # 0644
MAX_INT32 = 2147483647


def apply_defaults(obj: dict) -> dict:
    """A defaulted deep copy of obj; unknown kinds come back unchanged (but copied)."""
    out = copy.deepcopy(obj)
    fn = _BY_KIND.get((out.get("apiVersion", "").rpartition("/")[0], out.get("kind")))
    if fn is not None:
        fn(out)
    return out


def image_pull_policy(image: str) -> str:
    """Always for ":latest" or an untagged image, else IfNotPresent (digests count as tagged)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _container(c: dict) -> None:
    # An unparsable (e.g. missing) image gets IfNotPresent; validation reports the image.
    c.setdefault("imagePullPolicy", image_pull_policy(c["image"]) if c.get("image") else "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("fieldRef")
        if ref is not None:
            ref.setdefault("apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        pr = c.get(probe)
        if pr is not None:
            for k, v in PROBE_DEFAULTS.items():
                pr.setdefault(k, v)
            if pr.get("httpGet") is not None:
                pr["httpGet"].setdefault("path", "/")
                pr["httpGet"].setdefault("scheme", "HTTP")


def _requests_from_limits(c: dict) -> None:
    """SetDefaults_Pod: a limit without a request makes the request equal to the limit."""
    res = c.get("resources")
    limits = (res or {}).get("limits")
    if limits:
        requests = res.setdefault("requests", {})
        for k in limits:
            requests.setdefault(k, limits[k])


_VOLUME_SOURCES = ("hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore",
                   "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim",
                   "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
                   "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
                   "photonPersistentDisk", "projected", "portworxVolume", "scaleIO",
                   "storageos", "csi", "ephemeral", "image")


def _volume(v: dict) -> None:
    if not any(k in v for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for src in ("configMap", "secret", "projected", "downwardAPI"):
        if isinstance(v.get(src), dict):
            v[src].setdefault("defaultMode", DEFAULT_MODE)
    if isinstance(v.get("hostPath"), dict):
        v["hostPath"].setdefault("type", "")


def _pod_spec(spec: dict) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("serviceAccount") and not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            _container(c)
            if spec.get("hostNetwork"):
                for p in c.get("ports") or []:
                    p.setdefault("hostPort", p.get("containerPort"))
    for v in spec.get("volumes") or []:
        _volume(v)


def _pod(pod: dict) -> None:
    spec = pod.setdefault("spec", {})
    _pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            _requests_from_limits(c)


def _template(obj: dict) -> None:
    tmpl = obj.setdefault("spec", {}).get("template")
    if isinstance(tmpl, dict):
        _pod_spec(tmpl.setdefault("spec", {}))


def _deployment(d: dict) -> None:
    spec = d.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(d)


def _replica_set(rs: dict) -> None:
    rs.setdefault("spec", {}).setdefault("replicas", 1)
    _template(rs)


def _replication_controller(rc: dict) -> None:
    spec = rc.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels and not spec.get("selector"):
        spec["selector"] = dict(labels)
    if labels and not (rc.setdefault("metadata", {}).get("labels")):
        rc["metadata"]["labels"] = dict(labels)
    _template(rc)


def _daemon_set(ds: dict) -> None:
    spec = ds.setdefault("spec", {})
    us = spec.setdefault("updateStrategy", {})
    us.setdefault("type", "RollingUpdate")
    if us["type"] == "RollingUpdate":
        ru = us.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", 1)
        ru.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(ds)


def _stateful_set(ss: dict) -> None:
    spec = ss.setdefault("spec", {})
    spec.setdefault("podManagementPolicy", "OrderedReady")
    us = spec.setdefault("updateStrategy", {})
    us.setdefault("type", "RollingUpdate")
    if us["type"] == "RollingUpdate":
        us.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("persistentVolumeClaimRetentionPolicy",
                    {"whenDeleted": "Retain", "whenScaled": "Retain"})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    for pvc in spec.get("volumeClaimTemplates") or []:
        pvc.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    _template(ss)


def _pod_failure_policy(spec: dict) -> None:
    """SetDefaults_PodFailurePolicyOnPodConditionsPattern: a pattern matches status True."""
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
        for pattern in rule.get("onPodConditions") or []:
            pattern.setdefault("status", "True")


def _job_template_pod(spec: dict) -> None:
    """The pod template inside a JobSpec, always there (a struct, not a pointer, upstream)."""
    tmpl = spec.setdefault("template", {})
    if isinstance(tmpl, dict):
        _pod_spec(tmpl.setdefault("spec", {}))
    _pod_failure_policy(spec)


def _job(job: dict) -> None:
    """SetDefaults_Job (JobPodReplacementPolicy is on by default in v1.31)."""
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        # With a per-index limit the Job-wide one is effectively off.
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    meta = job.setdefault("metadata", {})
    if labels is not None and not meta.get("labels"):
        meta["labels"] = dict(labels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
    spec.setdefault("manualSelector", False)
    _job_template_pod(spec)


def _cron_job(cj: dict) -> None:
    """SetDefaults_CronJob. The Job template's spec gets only the pod and pod-failure-policy
    defaults: SetDefaults_Job is for Jobs, and the Job made from the template gets it when created."""
    spec = cj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    jt = spec.setdefault("jobTemplate", {})
    if isinstance(jt, dict):
        _job_template_pod(jt.setdefault("spec", {}))


def _service(svc: dict) -> None:
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        cfg.setdefault("timeoutSeconds", 10800)
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def _namespace(ns: dict) -> None:
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    ns.setdefault("status", {}).setdefault("phase", "Active")


def _node(node: dict) -> None:
    status = node.get("status")
    if isinstance(status, dict) and status.get("capacity") and not status.get("allocatable"):
        status["allocatable"] = dict(status["capacity"])


def _persistent_volume(pv: dict) -> None:
    """SetDefaults_PersistentVolume, and the HostPath source's type."""
    spec = pv.setdefault("spec", {})
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    status = pv.setdefault("status", {})
    if not status.get("phase"):
        status["phase"] = "Pending"


def _persistent_volume_claim(pvc: dict) -> None:
    """SetDefaults_PersistentVolumeClaim and SetDefaults_PersistentVolumeClaimSpec."""
    spec = pvc.setdefault("spec", {})
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    status = pvc.setdefault("status", {})
    if not status.get("phase"):
        status["phase"] = "Pending"


def _storage_class(sc: dict) -> None:
    """storage/v1 SetDefaults_StorageClass."""
    if sc.get("reclaimPolicy") is None:
        sc["reclaimPolicy"] = "Delete"
    if sc.get("volumeBindingMode") is None:
        sc["volumeBindingMode"] = "Immediate"


def _secret(s: dict) -> None:
    s.setdefault("type", "Opaque")


def _priority_class(pc: dict) -> None:
    pc.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _scaling_rules(rules: Optional[dict], window: Optional[int], policies: list) -> dict:
    """GenerateHPAScale{Up,Down}Rules: fill what a given HPAScalingRules leaves unset."""
    rules = rules if rules is not None else {}
    rules.setdefault("selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = policies
    if window is not None:
        rules.setdefault("stabilizationWindowSeconds", window)
    return rules


def _horizontal_pod_autoscaler(hpa: dict) -> None:
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler: minReplicas 1, CPU at 80% when no metric
    is given, and, only when ``behavior`` is set, its unset rules (scale up: no window, the larger of
    +100% or +4 pods per 15 s; scale down: the window is left for the controller's
    --horizontal-pod-autoscaler-downscale-stabilization, at most -100% per 15 s)."""
    spec = hpa.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    if hpa.get("apiVersion") == "autoscaling/v1":
        return                     # stored as sent (no conversion): targetCPUUtilizationPercentage
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 80}}}]
    behavior = spec.get("behavior")
    if behavior is not None:
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), 0, [
            {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}])
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), None, [
            {"type": "Percent", "value": 100, "periodSeconds": 15}])


_BY_KIND: dict[tuple[str, str], Callable[[dict], None]] = {
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "Node"): _node,
    ("", "PersistentVolume"): _persistent_volume,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("", "Secret"): _secret,
    ("", "ReplicationController"): _replication_controller,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("autoscaling", "HorizontalPodAutoscaler"): _horizontal_pod_autoscaler,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("storage.k8s.io", "StorageClass"): _storage_class,
}
