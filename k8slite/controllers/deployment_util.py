"""The Deployment controller's helpers: revisions, annotations, fenceposts, proportions, conditions.

Mirrors kubernetes v1.31 ``pkg/controller/deployment/util/deployment_util.go`` (Revision,
MaxRevision, LastRevision, SetNewReplicaSetAnnotations with the revision-history
annotation, SetDeploymentAnnotationsTo, ResolveFenceposts, MaxSurge, MaxUnavailable,
NewRSNewReplicas, IsSaturated, GetProportion, FindNewReplicaSet, FindOldReplicaSets,
FindActiveOrLatest, EqualIgnoreHash, the condition helpers, DeploymentComplete,
DeploymentProgressing, DeploymentTimedOut), ``pkg/controller/controller_utils.go``
(ReplicaSetsByCreationTimestamp, ReplicaSetsBySizeOlder/Newer, FilterActiveReplicaSets)
and ``sync.go``'s calculateStatus. Pure functions over the objects' JSON.

Simplified: creation timestamps tie-break by name (Go's sort is not stable, so upstream
leaves such ties unordered).
"""
from __future__ import annotations

import copy
import math
from typing import Optional

from ..api.meta import parse_rfc3339, rfc3339

HASH_LABEL = "pod-template-hash"                               # apps.DefaultDeploymentUniqueLabelKey
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"              # apps.DeprecatedRollbackTo
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Annotations not copied from a Deployment to its ReplicaSets (annotationsToSkip).
ANNOTATIONS_TO_SKIP = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                                 ROLLBACK_TO})
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000
MAX_INT32 = 2 ** 31 - 1

# Condition reasons (util/deployment_util.go).
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"
# Event reasons of a rollback.
ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"



def spec_replicas(rs: Optional[dict]) -> int:
    return rs["spec"].get("replicas", 1) if rs else 0


def status_count(rs: Optional[dict], field: str) -> int:
    return (rs.get("status") or {}).get(field, 0) if rs else 0


def annotations_of(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def revision(obj: dict) -> Optional[int]:
    """Revision: the revision annotation as a number (0 when absent, None when not a number)."""
    value = annotations_of(obj).get(REVISION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def max_revision(rss: list[dict]) -> int:
    return max((v for v in (revision(rs) for rs in rss) if v is not None), default=0)


def last_revision(rss: list[dict]) -> int:
    """LastRevision: the second highest revision (the one a rollback to revision 0 means)."""
    top, second = 0, 0
    for rs in rss:
        v = revision(rs)
        if v is None:
            continue
        if v >= top:
            top, second = v, top
        elif v > second:
            second = v
    return second


def is_rolling_update(d: dict) -> bool:
    return (d["spec"].get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def _scaled(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    percent = int(str(value).rstrip("%"))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: surge rounds up, unavailable rounds down; if both are zero, one unavailable."""
    surge = _scaled(max_surge if max_surge is not None else 0, desired, True)
    unavailable = _scaled(max_unavailable if max_unavailable is not None else 0, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fenceposts(d: dict) -> tuple[int, int]:
    rolling = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), d["spec"].get("replicas", 1))


def max_surge(d: dict) -> int:
    return _fenceposts(d)[0] if is_rolling_update(d) else 0


def max_unavailable(d: dict) -> int:
    desired = d["spec"].get("replicas", 1)
    if not is_rolling_update(d) or desired == 0:
        return 0
    return min(_fenceposts(d)[1], desired)


def has_progress_deadline(d: dict) -> bool:
    pds = d["spec"].get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


def has_revision_history_limit(d: dict) -> bool:
    limit = d["spec"].get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def template_without_hash(template: dict) -> dict:
    """The template with the pod-template-hash label removed (and an emptied label map dropped)."""
    template = copy.deepcopy(template or {})
    meta = template.get("metadata") or {}
    labels = meta.get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
        if not labels:
            del meta["labels"]
    if "metadata" in template and not template["metadata"]:
        del template["metadata"]
    return template


def equal_ignore_hash(t1: dict, t2: dict) -> bool:
    """EqualIgnoreHash: semantic equality of two pod templates, ignoring pod-template-hash."""
    return template_without_hash(t1) == template_without_hash(t2)


def creation_key(rs: dict) -> tuple:
    return (parse_rfc3339(rs["metadata"]["creationTimestamp"]) if rs["metadata"].get("creationTimestamp") else 0.0,
            rs["metadata"]["name"])


def by_creation_timestamp(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByCreationTimestamp: oldest first, then by name."""
    return sorted(rss, key=creation_key)


def by_size_older(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeOlder: largest first; equal sizes oldest first."""
    return sorted(by_creation_timestamp(rss), key=lambda rs: -spec_replicas(rs))


def by_size_newer(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeNewer: largest first; equal sizes newest first."""
    return sorted(list(reversed(by_creation_timestamp(rss))), key=lambda rs: -spec_replicas(rs))


def by_revision(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByRevision: lowest revision first; equal or unreadable revisions by creation time."""
    return sorted(rss, key=lambda rs: (revision(rs) if revision(rs) is not None else -1,) + creation_key(rs))


def active(rss: list[Optional[dict]]) -> list[dict]:
    """FilterActiveReplicaSets: those with replicas wanted."""
    return [rs for rs in rss if rs is not None and spec_replicas(rs) > 0]


def find_new_replica_set(d: dict, rss: list[dict]) -> Optional[dict]:
    """FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's."""
    for rs in by_creation_timestamp(rss):
        if equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"]):
            return rs
    return None


def find_old_replica_sets(d: dict, rss: list[dict]) -> list[dict]:
    """FindOldReplicaSets' second result: every ReplicaSet but the new one."""
    new = find_new_replica_set(d, rss)
    return [rs for rs in rss if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]


def find_active_or_latest(new: Optional[dict], olds: list[dict]) -> Optional[dict]:
    """FindActiveOrLatest: the only active ReplicaSet, or the newest if none is active, else None."""
    if new is None and not olds:
        return None
    olds = list(reversed(by_creation_timestamp(olds)))
    actives = active(olds + [new])
    if not actives:
        return new if new is not None else olds[0]
    return actives[0] if len(actives) == 1 else None


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    a = annotations_of(rs)
    return a.get(DESIRED_REPLICAS) != str(desired) or a.get(MAX_REPLICAS) != str(max_replicas)


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    if not replicas_annotations_need_update(rs, desired, max_replicas):
        return False
    a = rs["metadata"].setdefault("annotations", {})
    a[DESIRED_REPLICAS], a[MAX_REPLICAS] = str(desired), str(max_replicas)
    return True


def copy_deployment_annotations_to_replica_set(d: dict, rs: dict) -> bool:
    changed = False
    target = rs["metadata"].setdefault("annotations", {})
    for k, v in annotations_of(d).items():
        if k in ANNOTATIONS_TO_SKIP or target.get(k) == v:
            continue
        target[k] = v
        changed = True
    return changed


def set_deployment_annotations_to(d: dict, rs: dict) -> None:
    """SetDeploymentAnnotationsTo: the rolled-back-to ReplicaSet's annotations, keeping the skipped ones."""
    kept = {k: v for k, v in annotations_of(d).items() if k in ANNOTATIONS_TO_SKIP}
    kept.update({k: v for k, v in annotations_of(rs).items() if k not in ANNOTATIONS_TO_SKIP})
    d["metadata"]["annotations"] = kept


def set_new_replica_set_annotations(d: dict, rs: dict, new_revision: str, exists: bool,
                                    limit: int = MAX_REV_HISTORY_LENGTH_IN_CHARS) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision (keeping the
    ones it had in revision-history when a rollback reuses it), and on creation the replica annotations."""
    changed = copy_deployment_annotations_to_replica_set(d, rs)
    a = rs["metadata"]["annotations"]
    old = a.get(REVISION)
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False
    if old_int < int(new_revision):
        a[REVISION] = new_revision
        changed = True
        if old is not None:
            history = a.get(REVISION_HISTORY, "")
            revisions = history.split(",") if history else []
            total = len(history) + len(old) + 1
            while total > limit and revisions:
                total -= len(revisions.pop(0)) + 1
            if total <= limit:
                a[REVISION_HISTORY] = ",".join(revisions + [old])
    if not exists and set_replicas_annotations(rs, d["spec"].get("replicas", 1),
                                               d["spec"].get("replicas", 1) + max_surge(d)):
        changed = True
    return changed


def set_deployment_revision(d: dict, rev: Optional[str]) -> bool:
    if rev is None or annotations_of(d).get(REVISION) == rev:
        return False
    d["metadata"].setdefault("annotations", {})[REVISION] = rev
    return True


def new_rs_new_replicas(d: dict, all_rss: list[dict], new: dict) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may be now."""
    desired = d["spec"].get("replicas", 1)
    if not is_rolling_update(d):
        return desired
    current = sum(spec_replicas(rs) for rs in all_rss)
    most = desired + max_surge(d)
    if current >= most:
        return spec_replicas(new)
    return spec_replicas(new) + min(most - current, desired - spec_replicas(new))


def is_saturated(d: dict, rs: Optional[dict]) -> bool:
    if rs is None:
        return False
    try:
        desired = int(annotations_of(rs).get(DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    want = d["spec"].get("replicas", 1)
    return spec_replicas(rs) == want and desired == want and status_count(rs, "availableReplicas") == want


def _round(x: float) -> int:
    """integer.RoundToInt32: half away from zero."""
    return int(x - 0.5) if x < 0 else int(x + 0.5)


def get_proportion(rs: Optional[dict], d: dict, to_add: int, added: int) -> int:
    """GetProportion: this ReplicaSet's share of a resize, never past what is left to add or remove."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _replica_set_fraction(rs: dict, d: dict) -> int:
    desired = d["spec"].get("replicas", 1)
    if desired == 0:
        return -spec_replicas(rs)
    deployment_max = desired + max_surge(d)
    try:
        before = int(annotations_of(rs).get(MAX_REPLICAS, ""))
    except ValueError:
        before = 0
    if before == 0:
        before = (d.get("status") or {}).get("replicas", 0)
    if before == 0:
        return 0
    return _round(spec_replicas(rs) * deployment_max / before) - spec_replicas(rs)


def get_condition(status: dict, ctype: str) -> Optional[dict]:
    for c in status.get("conditions") or ():
        if c["type"] == ctype:
            return c
    return None


def new_condition(ctype: str, cstatus: str, reason: str, message: str, now: float) -> dict:
    stamp = rfc3339(now)
    return {"type": ctype, "status": cstatus, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def set_condition(status: dict, condition: dict) -> None:
    """SetDeploymentCondition: nothing if status and reason are unchanged; the transition time kept
    if only the reason changed; the condition moves to the end of the list."""
    current = get_condition(status, condition["type"])
    if current is not None and current["status"] == condition["status"] and current["reason"] == condition["reason"]:
        return
    if current is not None and current["status"] == condition["status"]:
        condition = dict(condition, lastTransitionTime=current["lastTransitionTime"])
    status["conditions"] = [c for c in status.get("conditions") or () if c["type"] != condition["type"]] + [condition]


def remove_condition(status: dict, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or () if c["type"] != ctype]
    if not status["conditions"]:
        del status["conditions"]


def deployment_complete(d: dict, status: dict) -> bool:
    want = d["spec"].get("replicas", 1)
    return status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want and \
        status.get("availableReplicas", 0) == want and \
        status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)


def deployment_progressing(d: dict, status: dict) -> bool:
    """DeploymentProgressing: more updated, fewer old, more ready or more available pods than before."""
    old = d.get("status") or {}
    old_olds = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_olds = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_olds < old_olds or \
        status.get("readyReplicas", 0) > old.get("readyReplicas", 0) or \
        status.get("availableReplicas", 0) > old.get("availableReplicas", 0)


def deployment_timed_out(d: dict, status: dict, now: float) -> bool:
    """DeploymentTimedOut: no progress reported for progressDeadlineSeconds."""
    if not has_progress_deadline(d):
        return False
    c = get_condition(status, "Progressing")
    if c is None or c["reason"] == NEW_RS_AVAILABLE:
        return False
    if c["reason"] == TIMED_OUT:
        return True
    return parse_rfc3339(c["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] < now


def calculate_status(all_rss: list[Optional[dict]], new: Optional[dict], d: dict, now: float) -> dict:
    """calculateStatus (sync.go), in the API's JSON shape (zero counts left out)."""
    rss = [rs for rs in all_rss if rs is not None]
    available = sum(status_count(rs, "availableReplicas") for rs in rss)
    total = sum(spec_replicas(rs) for rs in rss)
    status = {"observedGeneration": d["metadata"].get("generation", 0),
              "replicas": sum(status_count(rs, "replicas") for rs in rss),
              "updatedReplicas": status_count(new, "replicas"),
              "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in rss),
              "availableReplicas": available,
              "unavailableReplicas": max(total - available, 0)}
    status = {k: v for k, v in status.items() if v}
    old = d.get("status") or {}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if available >= d["spec"].get("replicas", 1) - max_unavailable(d):
        set_condition(status, new_condition("Available", "True", MINIMUM_REPLICAS_AVAILABLE,
                                            "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition("Available", "False", MINIMUM_REPLICAS_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def get_rollback_to(d: dict) -> Optional[int]:
    value = annotations_of(d).get(ROLLBACK_TO)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None
