"""Protobuf request bodies: the ``application/vnd.kubernetes.protobuf`` that kubectl's typed clients send.

Mirrors kubernetes v1.33 ``staging/src/k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go``
(the 4-byte magic ``k8s\\x00``, then a ``runtime.Unknown``: ``typeMeta{apiVersion, kind}``,
``raw``, ``contentEncoding``, ``contentType``; ``raw`` is the object's own message) and the
``generated.proto`` of each type below, whose ``go-to-protobuf`` field numbers the tables copy
(apimachinery ``runtime`` and ``apis/meta/v1``; api ``core/v1``, ``apps/v1``, ``autoscaling/v2``,
``batch/v1``, ``authentication/v1``, ``authorization/v1``, ``rbac/v1``, ``policy/v1``, ``scheduling/v1``,
``networking/v1``). ``decode`` gives the object as its JSON would be.

Go marshals every field it holds by value, empty or not; a pointer field only when set.
So a zero string, number or bool here is the Go zero value and is left out, as ``omitempty``
would, unless the field is a pointer (``*`` below), where zero was meant (``replicas: 0``),
or its JSON tag has no ``omitempty`` (``!`` below), where Go's JSON writes the zero
(``"value": 0``) and a list it never set as null (a ClusterRole's ``"rules": null``).
A nested message that is present is kept even when empty (``"status": {}``, as Go's JSON
writes it); an empty ``metav1.Time`` is the zero time, which JSON writes as null, and is
left out. A field named ``,inline`` is embedded (``json:",inline"``): its fields join its parent's.

Simplified: only the request kinds kubectl sends in protobuf are known, and of each only
the fields kubectl can set (ObjectMeta and DeleteOptions in full). ``create job --from=cronjob``
and ``debug --copy-to`` send back a stored job template or pod, so they work while it holds only
what kubectl's generators and the server's defaults put there. An unknown kind, or a
field outside the tables that carries a value, is refused with 415 instead of being
dropped. Decoding only: the server answers in JSON, which kubectl's Accept allows. The
envelope must name its kind (upstream defaults a missing one from the endpoint).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Union

from ..api import errors
from .patch import unsupported_media_type

CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"            # protoEncodingPrefix: "k8s", then encoding style 0 = runtime.Unknown
ACCEPTED = ("application/json", "application/yaml", CONTENT_TYPE)   # what the 415 says the server takes

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5     # wire types (3 and 4, groups, are not used by Kubernetes)
# runtime/generated.proto: Unknown{typeMeta = 1, raw = 2, contentEncoding = 3, contentType = 4} and
# runtime.TypeMeta{apiVersion = 1, kind = 2} (meta/v1's TypeMeta numbers them the other way round).
UNKNOWN_TYPE_META, UNKNOWN_RAW = 1, 2
TYPE_META_API_VERSION, TYPE_META_KIND = 1, 2

# Each message as generated.proto declares it: "number jsonName type;". The type is a scalar
# (string, bytes, bool, int32, int64), a well-known wrapper (Time, Quantity, IntOrString,
# FieldsV1), or another message here; "*" marks a Go pointer, "!" a field whose JSON tag lacks
# omitempty, "[]" a repeated field and "map<T>" a map<string, T>. The default type is string.
# A message with no fields ("") is one kubectl sends empty, such as a status.
_PROTO = {
    # k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
    "ObjectMeta": "1 name; 2 generateName; 3 namespace; 4 selfLink; 5 uid; 6 resourceVersion; 7 generation int64; "
                  "8 creationTimestamp Time; 9 deletionTimestamp Time; 10 deletionGracePeriodSeconds *int64; "
                  "11 labels map<string>; 12 annotations map<string>; 13 ownerReferences []OwnerReference; "
                  "14 finalizers []string; 17 managedFields []ManagedFieldsEntry",
    "OwnerReference": "5 apiVersion; 1 kind; 3 name; 4 uid; 6 controller *bool; 7 blockOwnerDeletion *bool",
    "ManagedFieldsEntry": "1 manager; 2 operation; 3 apiVersion; 4 time Time; 6 fieldsType; 7 fieldsV1 FieldsV1; "
                          "8 subresource",
    "DeleteOptions": "1 gracePeriodSeconds *int64; 2 preconditions Preconditions; 3 orphanDependents *bool; "
                     "4 propagationPolicy *string; 5 dryRun []string; "
                     "6 ignoreStoreReadErrorWithClusterBreakingPotential *bool",
    "Preconditions": "1 uid *string; 2 resourceVersion *string",
    "LabelSelector": "1 matchLabels map<string>; 2 matchExpressions []LabelSelectorRequirement",
    "LabelSelectorRequirement": "1 key; 2 operator; 3 values []string",
    # k8s.io/api/core/v1/generated.proto
    "Namespace": "1 metadata ObjectMeta; 2 spec NamespaceSpec; 3 status NamespaceStatus",
    "NamespaceSpec": "1 finalizers []string",
    "NamespaceStatus": "1 phase",
    "Pod": "1 metadata ObjectMeta; 2 spec PodSpec; 3 status PodStatus",
    "PodStatus": "",
    "PodTemplateSpec": "1 metadata ObjectMeta; 2 spec PodSpec",
    "PodSpec": "1 volumes []Volume; 20 initContainers []Container; 2 containers []Container; 3 restartPolicy; "
               "4 terminationGracePeriodSeconds *int64; 5 activeDeadlineSeconds *int64; 6 dnsPolicy; "
               "7 nodeSelector map<string>; 8 serviceAccountName; 9 serviceAccount; "
               "21 automountServiceAccountToken *bool; 10 nodeName; 11 hostNetwork bool; 12 hostPID bool; "
               "13 hostIPC bool; 27 shareProcessNamespace *bool; 14 securityContext PodSecurityContext; "
               "16 hostname; 17 subdomain; 19 schedulerName; 22 tolerations []Toleration; 24 priorityClassName; "
               "25 priority *int32; 30 enableServiceLinks *bool; 31 preemptionPolicy *string",
    "PodSecurityContext": "2 runAsUser *int64; 6 runAsGroup *int64; 3 runAsNonRoot *bool; "
                          "4 supplementalGroups []int64; 5 fsGroup *int64",
    "Container": "1 name; 2 image; 3 command []string; 4 args []string; 5 workingDir; 6 ports []ContainerPort; "
                 "7 env []EnvVar; 8 resources ResourceRequirements; 9 volumeMounts []VolumeMount; "
                 "13 terminationMessagePath; 15 securityContext SecurityContext; "
                 "20 terminationMessagePolicy; 14 imagePullPolicy; 16 stdin bool; 17 stdinOnce bool; 18 tty bool; "
                 "24 restartPolicy *string",
    "VolumeMount": "1 name !string; 2 readOnly bool; 7 recursiveReadOnly *string; 3 mountPath !string; 4 subPath; "
                   "5 mountPropagation *string; 6 subPathExpr",
    "SecurityContext": "1 capabilities Capabilities; 2 privileged *bool; 4 runAsUser *int64; 8 runAsGroup *int64; "
                       "5 runAsNonRoot *bool; 6 readOnlyRootFilesystem *bool; 7 allowPrivilegeEscalation *bool; "
                       "11 seccompProfile SeccompProfile",
    "Capabilities": "1 add []string; 2 drop []string",
    "SeccompProfile": "1 type !string; 2 localhostProfile *string",
    "Volume": "1 name !string; 2 ,inline VolumeSource",
    "VolumeSource": "1 hostPath HostPathVolumeSource",
    "HostPathVolumeSource": "1 path !string; 2 type *string",
    "Toleration": "1 key; 2 operator; 3 value; 4 effect; 5 tolerationSeconds *int64",
    "ContainerPort": "1 name; 2 hostPort int32; 3 containerPort int32; 4 protocol; 5 hostIP",
    "EnvVar": "1 name; 2 value",
    "ResourceRequirements": "1 limits map<Quantity>; 2 requests map<Quantity>",
    "ConfigMap": "1 metadata ObjectMeta; 4 immutable *bool; 2 data map<string>; 3 binaryData map<bytes>",
    "Secret": "1 metadata ObjectMeta; 5 immutable *bool; 2 data map<bytes>; 4 stringData map<string>; 3 type",
    "ServiceAccount": "1 metadata ObjectMeta; 2 secrets []ObjectReference; 3 imagePullSecrets []LocalObjectReference; "
                      "4 automountServiceAccountToken *bool",
    "ObjectReference": "1 kind; 2 namespace; 3 name; 4 uid; 5 apiVersion; 6 resourceVersion; 7 fieldPath",
    "LocalObjectReference": "1 name",
    "Service": "1 metadata ObjectMeta; 2 spec ServiceSpec; 3 status ServiceStatus",
    "ServiceSpec": "1 ports []ServicePort; 2 selector map<string>; 3 clusterIP; 18 clusterIPs []string; 4 type; "
                   "5 externalIPs []string; 7 sessionAffinity; 8 loadBalancerIP; 9 loadBalancerSourceRanges []string; "
                   "10 externalName; 11 externalTrafficPolicy; 12 healthCheckNodePort int32; "
                   "13 publishNotReadyAddresses bool; 19 ipFamilies []string; 17 ipFamilyPolicy *string; "
                   "20 allocateLoadBalancerNodePorts *bool; 21 loadBalancerClass *string; "
                   "22 internalTrafficPolicy *string; 23 trafficDistribution *string",
    "ServicePort": "1 name; 2 protocol; 6 appProtocol *string; 3 port !int32; 4 targetPort IntOrString; "
                   "5 nodePort int32",
    "ServiceStatus": "1 loadBalancer LoadBalancerStatus",
    "LoadBalancerStatus": "",
    "ResourceQuota": "1 metadata ObjectMeta; 2 spec ResourceQuotaSpec; 3 status ResourceQuotaStatus",
    "ResourceQuotaSpec": "1 hard map<Quantity>; 2 scopes []string",
    "ResourceQuotaStatus": "",
    # k8s.io/api/apps/v1/generated.proto
    "Deployment": "1 metadata ObjectMeta; 2 spec DeploymentSpec; 3 status DeploymentStatus",
    "DeploymentSpec": "1 replicas *int32; 2 selector LabelSelector; 3 template PodTemplateSpec; "
                      "4 strategy DeploymentStrategy; 5 minReadySeconds int32; 6 revisionHistoryLimit *int32; "
                      "7 paused bool; 9 progressDeadlineSeconds *int32",
    "DeploymentStrategy": "1 type; 2 rollingUpdate RollingUpdateDeployment",
    "RollingUpdateDeployment": "1 maxUnavailable IntOrString; 2 maxSurge IntOrString",
    "DeploymentStatus": "1 observedGeneration int64; 2 replicas int32; 3 updatedReplicas int32; "
                        "7 readyReplicas int32; 4 availableReplicas int32; 5 unavailableReplicas int32; "
                        "9 terminatingReplicas *int32; 8 collisionCount *int32",
    # k8s.io/api/authentication/v1/generated.proto
    "TokenRequest": "1 metadata ObjectMeta; 2 spec TokenRequestSpec; 3 status TokenRequestStatus",
    "TokenRequestSpec": "1 audiences []string; 4 expirationSeconds *int64; 3 boundObjectRef BoundObjectReference",
    "BoundObjectReference": "1 kind; 2 apiVersion; 3 name; 4 uid",
    "TokenRequestStatus": "1 token; 2 expirationTimestamp Time",
    "TokenReview": "1 metadata ObjectMeta; 2 spec TokenReviewSpec; 3 status TokenReviewStatus",
    "TokenReviewSpec": "1 token; 2 audiences []string",
    "TokenReviewStatus": "1 authenticated bool; 2 user UserInfo; 4 audiences []string; 3 error",
    "SelfSubjectReview": "1 metadata ObjectMeta; 2 status SelfSubjectReviewStatus",
    "SelfSubjectReviewStatus": "1 userInfo UserInfo",
    "UserInfo": "1 username; 2 uid; 3 groups []string; 4 extra map<ExtraValue>",
    # k8s.io/api/authorization/v1/generated.proto
    "SelfSubjectAccessReview": "1 metadata ObjectMeta; 2 spec SelfSubjectAccessReviewSpec; "
                               "3 status SubjectAccessReviewStatus",
    "SelfSubjectAccessReviewSpec": "1 resourceAttributes ResourceAttributes; "
                                   "2 nonResourceAttributes NonResourceAttributes",
    "SubjectAccessReview": "1 metadata ObjectMeta; 2 spec SubjectAccessReviewSpec; 3 status SubjectAccessReviewStatus",
    "LocalSubjectAccessReview": "1 metadata ObjectMeta; 2 spec SubjectAccessReviewSpec; "
                                "3 status SubjectAccessReviewStatus",
    "SubjectAccessReviewSpec": "1 resourceAttributes ResourceAttributes; "
                               "2 nonResourceAttributes NonResourceAttributes; 3 user; 4 groups []string; "
                               "5 extra map<ExtraValue>; 6 uid",
    "ResourceAttributes": "1 namespace; 2 verb; 3 group; 4 version; 5 resource; 6 subresource; 7 name; "
                          "8 fieldSelector FieldSelectorAttributes; 9 labelSelector LabelSelectorAttributes",
    "FieldSelectorAttributes": "1 rawSelector; 2 requirements []FieldSelectorRequirement",
    "FieldSelectorRequirement": "1 key; 2 operator; 3 values []string",
    "LabelSelectorAttributes": "1 rawSelector; 2 requirements []LabelSelectorRequirement",
    "NonResourceAttributes": "1 path; 2 verb",
    "SubjectAccessReviewStatus": "1 allowed bool; 4 denied bool; 2 reason; 3 evaluationError",
    "SelfSubjectRulesReview": "1 metadata ObjectMeta; 2 spec SelfSubjectRulesReviewSpec; "
                              "3 status SubjectRulesReviewStatus",
    "SelfSubjectRulesReviewSpec": "1 namespace",
    "SubjectRulesReviewStatus": "3 incomplete bool; 4 evaluationError",
    # k8s.io/api/autoscaling/v2/generated.proto
    "HorizontalPodAutoscaler": "1 metadata ObjectMeta; 2 spec HorizontalPodAutoscalerSpec; "
                               "3 status HorizontalPodAutoscalerStatus",
    "HorizontalPodAutoscalerSpec": "1 scaleTargetRef CrossVersionObjectReference; 2 minReplicas *int32; "
                                   "3 maxReplicas !int32; 4 metrics []MetricSpec",
    "CrossVersionObjectReference": "1 kind !string; 2 name !string; 3 apiVersion",
    "MetricSpec": "1 type !string; 4 resource ResourceMetricSource",
    "ResourceMetricSource": "1 name !string; 2 target MetricTarget",
    "MetricTarget": "1 type !string; 2 value Quantity; 3 averageValue Quantity; 4 averageUtilization *int32",
    "HorizontalPodAutoscalerStatus": "1 observedGeneration *int64; 3 currentReplicas int32; 4 desiredReplicas !int32; "
                                     "5 currentMetrics ![]MetricStatus",
    "MetricStatus": "",
    # k8s.io/api/batch/v1/generated.proto
    "Job": "1 metadata ObjectMeta; 2 spec JobSpec; 3 status JobStatus",
    "JobSpec": "1 parallelism *int32; 2 completions *int32; 3 activeDeadlineSeconds *int64; 7 backoffLimit *int32; "
               "12 backoffLimitPerIndex *int32; 13 maxFailedIndexes *int32; 4 selector LabelSelector; "
               "5 manualSelector *bool; 6 template PodTemplateSpec; 8 ttlSecondsAfterFinished *int32; "
               "9 completionMode *string; 10 suspend *bool; 14 podReplacementPolicy *string; 15 managedBy *string",
    "JobStatus": "",
    "CronJob": "1 metadata ObjectMeta; 2 spec CronJobSpec; 3 status CronJobStatus",
    "CronJobSpec": "1 schedule !string; 8 timeZone *string; 2 startingDeadlineSeconds *int64; 3 concurrencyPolicy; "
                   "4 suspend *bool; 5 jobTemplate JobTemplateSpec; 6 successfulJobsHistoryLimit *int32; "
                   "7 failedJobsHistoryLimit *int32",
    "JobTemplateSpec": "1 metadata ObjectMeta; 2 spec JobSpec",
    "CronJobStatus": "",
    # k8s.io/api/rbac/v1/generated.proto
    "Role": "1 metadata ObjectMeta; 2 rules ![]PolicyRule",
    "ClusterRole": "1 metadata ObjectMeta; 2 rules ![]PolicyRule; 3 aggregationRule AggregationRule",
    "PolicyRule": "1 verbs ![]string; 2 apiGroups []string; 3 resources []string; 4 resourceNames []string; "
                  "5 nonResourceURLs []string",
    "AggregationRule": "1 clusterRoleSelectors []LabelSelector",
    "RoleBinding": "1 metadata ObjectMeta; 2 subjects []Subject; 3 roleRef RoleRef",
    "ClusterRoleBinding": "1 metadata ObjectMeta; 2 subjects []Subject; 3 roleRef RoleRef",
    "Subject": "1 kind !string; 2 apiGroup; 3 name !string; 4 namespace",
    "RoleRef": "1 apiGroup !string; 2 kind !string; 3 name !string",
    # k8s.io/api/policy/v1/generated.proto
    "Eviction": "1 metadata ObjectMeta; 2 deleteOptions DeleteOptions",
    "PodDisruptionBudget": "1 metadata ObjectMeta; 2 spec PodDisruptionBudgetSpec; 3 status PodDisruptionBudgetStatus",
    "PodDisruptionBudgetSpec": "1 minAvailable IntOrString; 2 selector LabelSelector; 3 maxUnavailable IntOrString; "
                               "4 unhealthyPodEvictionPolicy *string",
    "PodDisruptionBudgetStatus": "1 observedGeneration int64; 3 disruptionsAllowed !int32; 4 currentHealthy !int32; "
                                 "5 desiredHealthy !int32; 6 expectedPods !int32",
    # k8s.io/api/scheduling/v1/generated.proto
    "PriorityClass": "1 metadata ObjectMeta; 2 value !int32; 3 globalDefault bool; 4 description; "
                     "5 preemptionPolicy *string",
    # k8s.io/api/networking/v1/generated.proto
    "Ingress": "1 metadata ObjectMeta; 2 spec IngressSpec; 3 status IngressStatus",
    "IngressSpec": "4 ingressClassName *string; 1 defaultBackend IngressBackend; 2 tls []IngressTLS; "
                   "3 rules []IngressRule",
    "IngressBackend": "4 service IngressServiceBackend",
    "IngressServiceBackend": "1 name !string; 2 port ServiceBackendPort",
    "ServiceBackendPort": "1 name; 2 number int32",
    "IngressTLS": "1 hosts []string; 2 secretName",
    "IngressRule": "1 host; 2 ,inline IngressRuleValue",
    "IngressRuleValue": "1 http HTTPIngressRuleValue",
    "HTTPIngressRuleValue": "1 paths ![]HTTPIngressPath",
    "HTTPIngressPath": "1 path; 3 pathType *string; 2 backend IngressBackend",
    "IngressStatus": "1 loadBalancer IngressLoadBalancerStatus",
    "IngressLoadBalancerStatus": "",
}

# The kinds a request body may carry: (apiVersion, kind) -> message.
KINDS = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "Pod"): "Pod",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("apps/v1", "Deployment"): "Deployment",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscaler",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
    ("authentication.k8s.io/v1", "TokenReview"): "TokenReview",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1beta1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1alpha1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "SubjectAccessReview",
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): "LocalSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
    ("policy/v1", "Eviction"): "Eviction",
    ("policy/v1beta1", "Eviction"): "Eviction",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
}
EVERY_VERSION = {"DeleteOptions": "DeleteOptions"}   # metav1.AddToGroupVersion registers it in each group version


@dataclass(frozen=True)
class Field:
    """One field of a message: its JSON name and how its bytes read."""
    name: str                   # ",inline": the message's fields are its parent's (json:",inline")
    type: str                   # a scalar, a wrapper or a message name
    repeated: bool = False
    map: bool = False           # map<string, type>: repeated entries {1: key, 2: value}
    pointer: bool = False       # a Go pointer: present means set, so a zero value is kept
    always: bool = False        # no omitempty: JSON writes the zero, or null for a list never set


def _parse(spec: str) -> dict[int, Field]:
    fields = {}
    for decl in filter(None, (d.strip() for d in spec.split(";"))):
        number, name, *rest = decl.split()
        kind = rest[0] if rest else "string"
        always = kind.startswith("!")
        kind = kind.lstrip("!")
        repeated, is_map, pointer = kind.startswith("[]"), kind.startswith("map<"), kind.startswith("*")
        kind = kind[2:] if repeated else kind[4:-1] if is_map else kind.lstrip("*")
        fields[int(number)] = Field(name, kind, repeated, is_map, pointer, always)
    return fields


MESSAGES: dict[str, dict[int, Field]] = {name: _parse(spec) for name, spec in _PROTO.items()}
ZEROS = {"string": "", "bytes": "", "bool": False, "int32": 0, "int64": 0}    # Go's zero values, as JSON
SCALARS = ZEROS.keys()
WRAPPERS = {"Time", "Quantity", "IntOrString", "FieldsV1", "ExtraValue"}
assert all(f.type in SCALARS | WRAPPERS | MESSAGES.keys() for fields in MESSAGES.values() for f in fields.values())
assert all(f.type in SCALARS or f.repeated for fields in MESSAGES.values() for f in fields.values() if f.always)


class ProtobufError(Exception):
    """A body that cannot be decoded; ``status`` is the metav1.Status the API server answers with."""

    def __init__(self, message: str, status: errors.StatusError):
        super().__init__(message)
        self.status = status.status

    @property
    def code(self) -> int:
        return int(self.status["code"])


class DecodeError(ProtobufError):
    """Malformed protobuf: 400, as handlers/rest.go's transformDecodeError reports it."""


class UnsupportedKind(ProtobufError):
    """A kind, or a set field, with no table here: 415, negotiation's unsupported media type."""

    def __init__(self, message: str):
        super().__init__(message, unsupported_media_type(ACCEPTED))


class _Malformed(Exception):
    """gogo-protobuf's Unmarshal error text, before it is wrapped with the kind."""


def decode(raw: bytes) -> dict:
    """The JSON-shaped object in a ``k8s\\x00``-prefixed protobuf body, apiVersion and kind first."""
    if not raw.startswith(MAGIC):
        raise _unrecognized(raw, "provided data does not appear to be a protobuf message, expected prefix "
                                 "[107 56 115 0]")
    if len(raw) == len(MAGIC):
        raise _unrecognized(raw, "empty body")
    try:
        unknown = _wrapper(raw[len(MAGIC):], "Unknown", {UNKNOWN_TYPE_META: "raw", UNKNOWN_RAW: "raw"})
        type_meta = _wrapper(unknown.get(UNKNOWN_TYPE_META, b""), "TypeMeta",
                             {TYPE_META_API_VERSION: "string", TYPE_META_KIND: "string"})
    except _Malformed as error:
        raise _unrecognized(raw, str(error)) from None
    api_version, kind = type_meta.get(TYPE_META_API_VERSION, ""), type_meta.get(TYPE_META_KIND, "")
    if not kind or not api_version:
        missing = "Kind" if not kind else "Version"
        go = f'runtime.TypeMeta{{APIVersion:"{api_version}", Kind:"{kind}"}}'
        message = f"Object '{missing}' is missing in '{go}'"
        raise DecodeError(message, errors.bad_request(message))
    message = KINDS.get((api_version, kind)) or EVERY_VERSION.get(kind)
    if message is None:
        raise UnsupportedKind(f"k8slite decodes no protobuf {kind} in {api_version}; send it as JSON")
    try:
        obj = _message(unknown.get(UNKNOWN_RAW, b""), message)
    except _Malformed as error:
        version = api_version.rpartition("/")[2]
        raise DecodeError(str(error), errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {error}')) from None
    return {"apiVersion": api_version, "kind": kind, **obj}


def _unrecognized(raw: bytes, err: str) -> DecodeError:
    """transformDecodeError without a kind: the error and the first 30 bytes, in hex.

    Simplified: upstream names the endpoint's kind ("must be of type Pod"), unknown to the HTTP layer.
    """
    summary = raw[:30].hex() + (" ..." if len(raw) > 30 else "")
    return DecodeError(err, errors.bad_request(f"the object provided is unrecognized: {err} ({summary})"))


# -- the wire ------------------------------------------------------------------------

def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if shift >= 64:
            raise _Malformed("proto: integer overflow")
        if i >= len(data):
            raise _Malformed("unexpected EOF")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes, message: str) -> Iterator[tuple[int, int, Union[int, bytes]]]:
    """(field number, wire type, value) in wire order; a length-delimited value is its bytes."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if number <= 0 or wire in (3, 4) or wire > 5:
            raise _Malformed(f"proto: {message}: illegal tag {number} (wire type {wire})")
        if wire == VARINT:
            value, i = _varint(data, i)
        elif wire == LENGTH:
            length, i = _varint(data, i)
            if length > len(data) - i:
                raise _Malformed("unexpected EOF")
            value, i = data[i:i + length], i + length
        else:
            size = 8 if wire == FIXED64 else 4
            if i + size > len(data):
                raise _Malformed("unexpected EOF")
            value, i = int.from_bytes(data[i:i + size], "little"), i + size
        yield number, wire, value


def _check_wire(wire: int, kind: str, name: str) -> None:
    if wire != (VARINT if kind in ("bool", "int32", "int64") else LENGTH):
        raise _Malformed(f"proto: wrong wireType = {wire} for field {name[:1].upper()}{name[1:]}")


def _message(data: bytes, message: str) -> dict:
    """Decode ``data`` as ``message``: a dict in JSON shape (see the module docstring)."""
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data, message):
        field = table.get(number)
        if field is None:
            if value not in (0, b""):          # Go sends every by-value field; only a set one matters
                raise UnsupportedKind(f"k8slite decodes no field {number} of protobuf {message}; send it as JSON")
            continue
        if field.map:                          # an entry: message {key = 1; value = 2}
            _check_wire(wire, "entry", field.name)
            entry = _wrapper(value, field.name, {1: "string", 2: field.type})
            out.setdefault(field.name, {})[entry.get(1, "")] = entry[2] if 2 in entry else _value(b"", field.type)
            continue
        _check_wire(wire, field.type, field.name)
        decoded = _value(value, field.type)
        if field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif field.name == ",inline":
            out.update(decoded)
        elif decoded is None or (field.type in SCALARS and not (field.pointer or field.always)
                                 and decoded in ("", 0, False)):
            out.pop(field.name, None)          # Go's zero value: what omitempty leaves out
        else:
            out[field.name] = decoded
    for field in table.values():               # never on the wire, yet written by Go's JSON
        if field.always and field.name not in out:
            out[field.name] = None if field.repeated or field.map or field.pointer else ZEROS[field.type]
    return out


def _wrapper(data: bytes, message: str, types: dict[int, str]) -> dict[int, Any]:
    """A small message's fields by number, decoded as ``types`` says ("raw": the bytes); others are skipped."""
    out: dict[int, Any] = {}
    for number, wire, value in _fields(data, message):
        if number in types:
            _check_wire(wire, types[number], message)
            out[number] = value if types[number] == "raw" else _value(value, types[number])
    return out


def _value(value: Union[int, bytes], kind: str) -> Any:
    if kind == "bool":
        return bool(value)
    if kind in ("int32", "int64"):
        return value - (1 << 64) if value >= 1 << 63 else value    # negatives are 10-byte two's complement
    if kind == "string":
        return value.decode("utf-8", "replace")
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "Time":                         # metav1.Time as a Timestamp{seconds = 1, nanos = 2}; empty = zero
        if not value:
            return None
        seconds = _wrapper(value, "Timestamp", {1: "int64", 2: "int32"}).get(1, 0)
        try:
            return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            raise _Malformed(f"Time seconds {seconds} out of range") from None
    if kind == "Quantity":                     # resource.Quantity{string = 1}
        return _wrapper(value, kind, {1: "string"}).get(1, "")
    if kind == "IntOrString":                  # intstr{type = 1 (0 Int, 1 String), intVal = 2, strVal = 3}
        v = _wrapper(value, kind, {1: "int64", 2: "int32", 3: "string"})
        return v.get(3, "") if v.get(1, 0) == 1 else v.get(2, 0)
    if kind == "FieldsV1":                     # metav1.FieldsV1{Raw = 1}: the JSON of a field set
        raw = _wrapper(value, kind, {1: "raw"}).get(1, b"")
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise _Malformed("FieldsV1 is not JSON") from None
    if kind == "ExtraValue":                   # ExtraValue{repeated items = 1}: a bare list in JSON
        items = []
        for number, wire, item in _fields(value, kind):
            if number == 1:
                _check_wire(wire, "string", "items")
                items.append(item.decode("utf-8", "replace"))
        return items
    return _message(value, kind)
