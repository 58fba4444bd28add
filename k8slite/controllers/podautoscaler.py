"""The HorizontalPodAutoscaler controller: scale a workload so its pods' average CPU use meets a target.

Mirrors kubernetes v1.31 ``pkg/controller/podautoscaler``: ``horizontal.go`` (every HPA is
reconciled every ``--horizontal-pod-autoscaler-sync-period`` 15 s through a fixed-interval rate
limiter, so a new HPA is first looked at 15 s after it appears; reconcileAutoscaler reads the
target's ``scale`` subresource, computes a proposal per metric and takes the largest, then
normalises it: without ``spec.behavior``, the highest recommendation of the last
``--horizontal-pod-autoscaler-downscale-stabilization`` 5 min and a scale-up limit of
max(2 x current, 4); with it, the stabilisation windows and the rate policies of
``behavior.scaleUp``/``scaleDown``; the conditions AbleToScale, ScalingActive and ScalingLimited
with upstream's reasons and messages; the events SuccessfulRescale "New size: N; reason: cpu
resource utilization (percentage of request) above target" and FailedGetResourceMetric),
``replica_calculator.go`` (GetResourceReplicas: utilization = sum of usage / sum of requests of the
pods with metrics; no change inside the 0.1 tolerance; pending and not-yet-ready pods ignored,
pods missing metrics counted as 100% on a scale-down and 0% on a scale-up, and no change when
that would reverse the direction) and ``metrics/client.go`` (GetResourceMetric: PodMetrics from
``metrics.k8s.io/v1beta1`` for the target's selector, the containers' usage summed per pod).

Simplified: Resource metrics only (cpu or memory, Utilization or AverageValue targets); Pods,
Object, External and ContainerResource metrics are reported as unsupported (ScalingActive False).
An ``autoscaling/v1`` object (stored as sent, without conversion) is read through its
``targetCPUUtilizationPercentage``. No "ScaleDownStabilized"-style metric of the recommendation
store survives a controller restart (upstream's lives in memory too).
"""
from __future__ import annotations

import copy
import math
from typing import Optional

from ..api import errors
from ..api.labels import Selector
from ..api.meta import parse_rfc3339, rfc3339
from ..api.quantity import format_quantity, milli_value, parse_quantity
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel
from .base import Controller
from .replicaset import is_pod_ready

HPAS = SCHEME.by_resource("autoscaling", "horizontalpodautoscalers")
PODS = SCHEME.by_resource("", "pods")
SYNC_PERIOD = 15.0                      # --horizontal-pod-autoscaler-sync-period
TOLERANCE = 0.1                         # --horizontal-pod-autoscaler-tolerance
DOWNSCALE_STABILIZATION = 300.0         # --horizontal-pod-autoscaler-downscale-stabilization
CPU_INITIALIZATION_PERIOD = 300.0       # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0          # --horizontal-pod-autoscaler-initial-readiness-delay
SCALE_UP_LIMIT_FACTOR, SCALE_UP_LIMIT_MINIMUM = 2.0, 4.0


class MetricsError(Exception):
    pass


def metric_specs(hpa: dict) -> list[dict]:
    """The autoscaling/v2 metric specs (an autoscaling/v1 object's CPU target, converted)."""
    spec = hpa.get("spec") or {}
    if hpa.get("apiVersion") == "autoscaling/v1":
        target = spec.get("targetCPUUtilizationPercentage")
        return [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": target if target is not None else 80}}}]
    return spec.get("metrics") or []


def group_pods(pods: list[dict], metrics: dict, resource: str, now: float) -> tuple[int, set, set]:
    """groupPods: (ready pod count, ignored pods, pods missing metrics)."""
    ready, ignored, missing = 0, set(), set()
    for pod in pods:
        meta, status = pod["metadata"], pod.get("status") or {}
        if meta.get("deletionTimestamp") or status.get("phase") == "Failed":
            continue
        if status.get("phase") == "Pending":
            ignored.add(meta["name"])
            continue
        metric = metrics.get(meta["name"])
        if metric is None:
            missing.add(meta["name"])
            continue
        if resource == "cpu":
            condition = next((c for c in status.get("conditions") or () if c["type"] == "Ready"), None)
            if condition is None or not status.get("startTime"):
                ignore = True
            else:
                start = parse_rfc3339(status["startTime"])
                transition = parse_rfc3339(condition["lastTransitionTime"])
                if start + CPU_INITIALIZATION_PERIOD > now:
                    # Still starting: ignore it if unready, or if no full window was measured since it became ready.
                    ignore = condition["status"] == "False" or metric[1] < transition + metric[2]
                else:
                    # Unready and never ready since it started: ignore.
                    ignore = condition["status"] == "False" and start + INITIAL_READINESS_DELAY > transition
            if ignore:
                ignored.add(meta["name"])
                continue
        ready += 1
    return ready, ignored, missing


def pod_requests(pods: list[dict], resource: str) -> dict[str, int]:
    """calculatePodRequests: each pod's request of the resource in milli-units."""
    requests = {}
    for pod in pods:
        total = 0
        for c in pod["spec"]["containers"]:
            request = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if request is None:
                raise MetricsError(f"missing request for {resource} in container {c['name']} of Pod "
                                   f"{pod['metadata']['name']}")
            total += milli_value(request)
        requests[pod["metadata"]["name"]] = total
    return requests


def utilization_ratio(metrics: dict, requests: dict, target: int) -> tuple[float, int, int]:
    """GetResourceUtilizationRatio: (usage ratio, utilization %, average raw usage in milli-units)."""
    total_usage = total_request = count = 0
    for name, (value, _, _) in sorted(metrics.items()):
        if name in requests:
            total_usage += value
            total_request += requests[name]
            count += 1
    if total_request == 0:
        raise MetricsError("no metrics returned matched known pods")
    utilization = int(total_usage * 100 / total_request)
    return utilization / target, utilization, total_usage // count


def resource_replicas(current: int, target: int, resource: str, pods: list[dict], metrics: dict,
                      now: float) -> tuple[int, int, int]:
    """GetResourceReplicas: (proposed replicas, utilization %, average raw usage)."""
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    ready, ignored, missing = group_pods(pods, metrics, resource, now)
    metrics = {k: v for k, v in metrics.items() if k not in ignored}
    requests = pod_requests(pods, resource)
    if not metrics:
        raise MetricsError("did not receive metrics for any ready pods")
    ratio, utilization, raw = utilization_ratio(metrics, requests, target)
    rebalance_ignored = bool(ignored) and ratio > 1.0
    if not rebalance_ignored and not missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            return current, utilization, raw
        return math.ceil(ratio * ready), utilization, raw
    stamp = (0, 0.0, 0.0)
    for name in sorted(missing):
        if ratio < 1.0:
            metrics[name] = (requests[name], *stamp[1:])      # a scale-down: as if at 100% of its request
        elif ratio > 1.0:
            metrics[name] = stamp                             # a scale-up: as if idle
    if rebalance_ignored:
        for name in sorted(ignored):
            metrics[name] = stamp
    new_ratio, _, _ = utilization_ratio(metrics, requests, target)
    if abs(1.0 - new_ratio) <= TOLERANCE or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, raw
    proposed = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and proposed > current) or (new_ratio > 1.0 and proposed < current):
        return current, utilization, raw
    return proposed, utilization, raw


def _set_condition(hpa: dict, ctype: str, status: str, reason: str, message: str, now: float) -> None:
    conditions = hpa["status"].setdefault("conditions", [])
    for c in conditions:
        if c["type"] == ctype:
            if c["status"] != status:
                c["lastTransitionTime"] = rfc3339(now)
            c.update(status=status, reason=reason, message=message)
            return
    conditions.append({"type": ctype, "status": status, "lastTransitionTime": rfc3339(now), "reason": reason,
                       "message": message})


class HorizontalController(Controller):
    NAME = "horizontal-pod-autoscaler"

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel, workers=5)
        self.client, self.recorder = client, recorder
        self.recommendations: dict[str, list[list]] = {}     # key -> [[replicas, time], ...]
        self.scale_up_events: dict[str, list[list]] = {}     # key -> [[change, time, outdated], ...]
        self.scale_down_events: dict[str, list[list]] = {}
        self.hpas = factory.informer(HPAS)
        self.pods = factory.informer(PODS)
        self.hpas.add_event_handler(self._enqueue, lambda old, new: self._enqueue(new), self._deleted)

    # The queue's fixed-interval rate limiter: every key comes back SYNC_PERIOD after it was last added.
    def _enqueue(self, hpa: dict) -> None:
        self.queue.add_after(meta_namespace_key(hpa), SYNC_PERIOD)

    def _deleted(self, hpa: dict) -> None:
        key = meta_namespace_key(hpa)
        for store in (self.recommendations, self.scale_up_events, self.scale_down_events):
            store.pop(key, None)

    def handle_error(self, key: str, error: Exception) -> None:
        self.queue.add_after(key, SYNC_PERIOD)

    async def sync(self, key: str) -> None:
        shared = self.hpas.indexer.get(key)
        if shared is None:
            return
        try:
            await self.reconcile(key, copy.deepcopy(shared))
        finally:
            self.queue.add_after(key, SYNC_PERIOD)

    # -- reconcileAutoscaler -----------------------------------------------------------
    async def reconcile(self, key: str, hpa: dict) -> None:
        now = self.kernel.now
        original = copy.deepcopy(hpa.get("status") or {})
        hpa.setdefault("status", {})
        spec = hpa["spec"]
        ref = spec["scaleTargetRef"]
        reference = f"{ref['kind']}/{hpa['metadata']['namespace']}/{ref['name']}"
        try:
            target = SCHEME.by_kind(ref.get("apiVersion", ""), ref["kind"])
            scale = await self.client.get(target, hpa["metadata"]["namespace"], ref["name"], "scale")
        except (KeyError, errors.StatusError) as error:
            message = error.status["message"] if isinstance(error, errors.StatusError) else str(error)
            self.recorder.event(hpa, "Warning", "FailedGetScale", message)
            _set_condition(hpa, "AbleToScale", "False", "FailedGetScale",
                           f"the HPA controller was unable to get the target's current scale: {message}", now)
            await self._update_status(original, hpa)
            return
        _set_condition(hpa, "AbleToScale", "True", "SucceededGetScale",
                       "the HPA controller was able to get the target's current scale", now)
        current = scale["spec"].get("replicas", 0)
        self.recommendations.setdefault(key, [[current, now]])
        min_replicas = spec.get("minReplicas", 1)
        rescale, reason, metric_statuses = True, "", []
        desired = 0
        if current == 0 and min_replicas != 0:
            desired, rescale = 0, False
            _set_condition(hpa, "ScalingActive", "False", "ScalingDisabled",
                           "scaling is disabled since the replica count of the target is zero", now)
        elif current > spec["maxReplicas"]:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", spec["maxReplicas"]
        elif current < min_replicas:
            reason, desired = "Current number of replicas below Spec.MinReplicas", min_replicas
        else:
            try:
                proposal, metric_name, metric_statuses = await self._compute_replicas(hpa, scale, now)
            except MetricsError as error:
                hpa["status"]["currentReplicas"] = current
                await self._update_status(original, hpa)
                self.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", str(error))
                raise errors.internal(f"failed to compute desired number of replicas based on listed metrics "
                                      f"for {reference}: {error}") from None
            desired = proposal
            if desired > current:
                reason = f"{metric_name} above target"
            elif desired < current:
                reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize(hpa, key, current, desired, min_replicas, now)
            else:
                desired = self._normalize_with_behaviors(hpa, key, current, desired, min_replicas, now)
            rescale = desired != current
        if rescale:
            scale["spec"]["replicas"] = desired
            try:
                await self.client.update(target, scale, "scale")
            except errors.StatusError as error:
                message = error.status["message"]
                self.recorder.event(hpa, "Warning", "FailedRescale",
                                    f"New size: {desired}; reason: {reason}; error: {message}")
                _set_condition(hpa, "AbleToScale", "False", "FailedUpdateScale",
                               f"the HPA controller was unable to update the target scale: {message}", now)
                hpa["status"]["currentReplicas"] = current
                await self._update_status(original, hpa)
                raise
            _set_condition(hpa, "AbleToScale", "True", "SucceededRescale",
                           f"the HPA controller was able to update the target scale to {desired}", now)
            self.recorder.event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            self._store_scale_event(hpa, key, current, desired, now)
        else:
            desired = current
        status = hpa["status"]
        status["currentReplicas"], status["desiredReplicas"] = current, desired
        if metric_statuses:
            status["currentMetrics"] = metric_statuses
        if rescale:
            status["lastScaleTime"] = rfc3339(now)
        await self._update_status(original, hpa)

    async def _compute_replicas(self, hpa: dict, scale: dict, now: float) -> tuple[int, str, list]:
        """computeReplicasForMetrics: the largest proposal over the metrics that could be computed."""
        selector_text = (scale.get("status") or {}).get("selector") or ""
        if not selector_text:
            message = "selector is required"
            self.recorder.event(hpa, "Warning", "SelectorRequired", message)
            _set_condition(hpa, "ScalingActive", "False", "InvalidSelector",
                           "the HPA target's scale is missing a selector", now)
            raise MetricsError(message)
        selector = Selector.parse(selector_text)
        current = scale["spec"].get("replicas", 0)
        specs = metric_specs(hpa)
        best, best_name, statuses, failures, first_error = 0, "", [], 0, None
        for spec in specs:
            try:
                if spec.get("type") != "Resource":
                    raise MetricsError(f"unsupported metric source type {spec.get('type')!r}")
                proposal, name, status = await self._resource_metric(hpa, spec["resource"], current, selector,
                                                                     selector_text, now)
            except MetricsError as error:
                failures += 1
                first_error = first_error or error
                statuses.append({"type": ""})
                continue
            statuses.append(status)
            if not best_name or proposal > best:
                best, best_name = proposal, name
        # All invalid, or some invalid and the valid ones would scale down: no decision.
        if failures >= len(specs) or (failures and best < current):
            raise MetricsError(f"invalid metrics ({failures} invalid out of {len(specs)}), first error is: "
                               f"{first_error}")
        _set_condition(hpa, "ScalingActive", "True", "ValidMetricFound",
                       f"the HPA was able to successfully calculate a replica count from {best_name}", now)
        return best, best_name, statuses

    async def _resource_metric(self, hpa: dict, source: dict, current: int, selector: Selector,
                               selector_text: str, now: float) -> tuple[int, str, dict]:
        """computeStatusForResourceMetric."""
        resource, target = source["name"], source.get("target") or {}
        namespace = hpa["metadata"]["namespace"]
        pods = sorted((p for p in self.pods.indexer.list() if p["metadata"]["namespace"] == namespace
                       and selector.matches(p["metadata"].get("labels") or {})),
                      key=lambda p: p["metadata"]["name"])
        try:
            metrics = await self._pod_metrics(namespace, selector_text, resource)
            if target.get("averageValue") is not None:
                proposal, raw = self._raw_replicas(current, milli_value(target["averageValue"]), resource, pods,
                                                   metrics, now)
                return proposal, f"{resource} resource", {"type": "Resource", "resource": {
                    "name": resource, "current": {"averageValue": format_quantity(parse_quantity(f"{raw}m"))}}}
            if target.get("averageUtilization") is None:
                raise MetricsError("invalid resource metric source: neither a utilization target nor a value "
                                   "target was set")
            proposal, utilization, raw = resource_replicas(current, target["averageUtilization"], resource, pods,
                                                           metrics, now)
        except MetricsError as error:
            message = f"the HPA was unable to compute the replica count: {error}"
            self.recorder.event(hpa, "Warning", "FailedGetResourceMetric", str(error))
            _set_condition(hpa, "ScalingActive", "False", "FailedGetResourceMetric", message, now)
            raise MetricsError(f"failed to get {resource} utilization: {error}") from None
        return proposal, f"{resource} resource utilization (percentage of request)", {
            "type": "Resource", "resource": {"name": resource, "current": {
                "averageUtilization": utilization, "averageValue": format_quantity(parse_quantity(f"{raw}m"))}}}

    def _raw_replicas(self, current: int, target: int, resource: str, pods: list, metrics: dict,
                      now: float) -> tuple[int, int]:
        """GetRawResourceReplicas (calcPlainMetricReplicas): an AverageValue target."""
        if not pods:
            raise MetricsError("no pods returned by selector while calculating replica count")
        ready, ignored, missing = group_pods(pods, metrics, resource, now)
        metrics = {k: v for k, v in metrics.items() if k not in ignored}
        if not metrics:
            raise MetricsError("did not receive metrics for any ready pods")
        usage = sum(v for v, _, _ in metrics.values()) // len(metrics)
        ratio = usage / target
        if not (ignored and ratio > 1.0) and not missing:
            return (current if abs(1.0 - ratio) <= TOLERANCE else math.ceil(ratio * ready)), usage
        for name in sorted(missing):
            metrics[name] = (target if ratio < 1.0 else 0, 0.0, 0.0)
        if ignored and ratio > 1.0:
            for name in sorted(ignored):
                metrics[name] = (0, 0.0, 0.0)
        new_ratio = sum(v for v, _, _ in metrics.values()) / len(metrics) / target
        if abs(1.0 - new_ratio) <= TOLERANCE or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current, usage
        return math.ceil(new_ratio * len(metrics)), usage

    async def _pod_metrics(self, namespace: str, selector: str, resource: str) -> dict:
        """metrics/client.go GetResourceMetric: pod name -> (usage in milli-units, timestamp, window)."""
        try:
            body = await self.client.request("GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods",
                                             (("labelSelector", selector),))
        except errors.StatusError as error:
            raise MetricsError(f"unable to get metrics for resource {resource}: unable to fetch metrics from "
                               f"resource metrics API: {error.status['message']}") from None
        items = body.get("items") or []
        if not items:
            raise MetricsError(f"unable to get metrics for resource {resource}: no metrics returned from "
                               f"resource metrics API")
        metrics = {}
        for m in items:
            usage, complete = 0, True
            for c in m.get("containers") or ():
                value = (c.get("usage") or {}).get(resource)
                if value is None:
                    complete = False
                    break
                usage += milli_value(value)
            if complete:
                window = float(m["window"].rstrip("s"))
                metrics[m["metadata"]["name"]] = (usage, parse_rfc3339(m["timestamp"]), window)
        return metrics

    # -- normalisation ------------------------------------------------------------------
    def _normalize(self, hpa: dict, key: str, current: int, proposed: int, min_replicas: int, now: float) -> int:
        """normalizeDesiredReplicas (no behavior): the downscale stabilisation window, then the limits."""
        stabilized = proposed
        records = self.recommendations[key]
        old = None
        for i, (replicas, stamp) in enumerate(records):
            if stamp < now - DOWNSCALE_STABILIZATION:
                old = i
            elif replicas > stabilized:
                stabilized = replicas
        if old is not None:
            records[old] = [proposed, now]
        else:
            records.append([proposed, now])
        if stabilized != proposed:
            _set_condition(hpa, "AbleToScale", "True", "ScaleDownStabilized",
                           "recent recommendations were higher than current one, applying the highest recent "
                           "recommendation", now)
        else:
            _set_condition(hpa, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size",
                           now)
        scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if hpa["spec"]["maxReplicas"] > scale_up_limit:
            maximum, reason, message = scale_up_limit, "ScaleUpLimit", \
                "the desired replica count is increasing faster than the maximum scale rate"
        else:
            maximum, reason, message = hpa["spec"]["maxReplicas"], "TooManyReplicas", \
                "the desired replica count is more than the maximum replica count"
        if stabilized < min_replicas:
            desired, reason, message = min_replicas, "TooFewReplicas", \
                "the desired replica count is less than the minimum replica count"
        elif stabilized > maximum:
            desired = maximum
        else:
            desired, reason, message = stabilized, "DesiredWithinRange", "the desired count is within the acceptable range"
        _set_condition(hpa, "ScalingLimited", "False" if desired == stabilized else "True", reason, message, now)
        return desired

    def _normalize_with_behaviors(self, hpa: dict, key: str, current: int, proposed: int, min_replicas: int,
                                  now: float) -> int:
        """normalizeDesiredReplicasWithBehaviors: stabilisation windows, then the rate policies."""
        behavior = hpa["spec"]["behavior"]
        up, down = behavior["scaleUp"], behavior["scaleDown"]
        down.setdefault("stabilizationWindowSeconds", int(DOWNSCALE_STABILIZATION))
        if proposed >= current:
            window, better = up["stabilizationWindowSeconds"], min
            reason, message = "ScaleUpStabilized", \
                "recent recommendations were lower than current one, applying the lowest recent recommendation"
        else:
            window, better = down["stabilizationWindowSeconds"], max
            reason, message = "ScaleDownStabilized", \
                "recent recommendations were higher than current one, applying the highest recent recommendation"
        obsolete = now - max(up["stabilizationWindowSeconds"], down["stabilizationWindowSeconds"])
        stabilized, old = proposed, None
        records = self.recommendations[key]
        for i, (replicas, stamp) in enumerate(records):
            if stamp > now - window:
                stabilized = better(replicas, stabilized)
            if stamp < obsolete:
                old = i
        if old is not None:
            records[old] = [proposed, now]
        else:
            records.append([proposed, now])
        if stabilized != proposed:
            _set_condition(hpa, "AbleToScale", "True", reason, message, now)
        else:
            _set_condition(hpa, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size",
                           now)
        desired, reason, message = stabilized, "DesiredWithinRange", "the desired count is within the acceptable range"
        if stabilized > current:
            limit = max(self._scale_up_limit(current, self.scale_up_events.get(key, []), up, now), current)
            if hpa["spec"]["maxReplicas"] > limit:
                maximum, reason, message = limit, "ScaleUpLimit", \
                    "the desired replica count is increasing faster than the maximum scale rate"
            else:
                maximum, reason, message = hpa["spec"]["maxReplicas"], "TooManyReplicas", \
                    "the desired replica count is more than the maximum replica count"
            if stabilized > maximum:
                desired = maximum
            else:
                reason, message = "DesiredWithinRange", "the desired count is within the acceptable range"
        elif stabilized < current:
            limit = min(self._scale_down_limit(current, self.scale_down_events.get(key, []), down, now), current)
            if min_replicas < limit:
                minimum, reason, message = limit, "ScaleDownLimit", \
                    "the desired replica count is decreasing faster than the maximum scale rate"
            else:
                minimum, reason, message = min_replicas, "TooFewReplicas", \
                    "the desired replica count is less than the minimum replica count"
            if stabilized < minimum:
                desired = minimum
            else:
                reason, message = "DesiredWithinRange", "the desired count is within the acceptable range"
        _set_condition(hpa, "ScalingLimited", "False" if desired == stabilized else "True", reason, message, now)
        return desired

    @staticmethod
    def _changed_in_period(period: float, events: list, now: float) -> int:
        return sum(change for change, stamp, _ in events if stamp > now - period)

    def _scale_up_limit(self, current: int, events: list, rules: dict, now: float) -> int:
        """calculateScaleUpLimitWithScalingRules."""
        if rules["selectPolicy"] == "Disabled":
            return current
        select = min if rules["selectPolicy"] == "Min" else max
        result = None
        for policy in rules["policies"]:
            start = current - self._changed_in_period(policy["periodSeconds"], events, now)
            proposed = start + policy["value"] if policy["type"] == "Pods" else \
                math.ceil(start * (1 + policy["value"] / 100))
            result = proposed if result is None else select(result, proposed)
        return result if result is not None else current

    def _scale_down_limit(self, current: int, events: list, rules: dict, now: float) -> int:
        """calculateScaleDownLimitWithBehaviors."""
        if rules["selectPolicy"] == "Disabled":
            return current
        select = max if rules["selectPolicy"] == "Min" else min
        result = None
        for policy in rules["policies"]:
            start = current + self._changed_in_period(policy["periodSeconds"], events, now)
            proposed = start - policy["value"] if policy["type"] == "Pods" else \
                math.ceil(start * (1 - policy["value"] / 100))
            result = proposed if result is None else select(result, proposed)
        return result if result is not None else current

    def _store_scale_event(self, hpa: dict, key: str, before: int, after: int, now: float) -> None:
        """storeScaleEvent (only with a behavior: the rate policies read these)."""
        behavior = hpa["spec"].get("behavior")
        if behavior is None:
            return
        up = after > before
        rules = behavior["scaleUp" if up else "scaleDown"]
        events = (self.scale_up_events if up else self.scale_down_events).setdefault(key, [])
        longest = max((p["periodSeconds"] for p in rules["policies"]), default=0)
        for event in events:
            if event[1] < now - longest:
                event[2] = True                  # outdated: its slot can be reused
        entry = [abs(after - before), now, False]
        outdated = [i for i, event in enumerate(events) if event[2]]
        if outdated:
            events[outdated[-1]] = entry
        else:
            events.append(entry)

    async def _update_status(self, original: dict, hpa: dict) -> None:
        """updateStatusIfNeeded: a PUT of the status only when it changed."""
        if original == hpa["status"]:
            return
        await self.client.update_status(HPAS, hpa)
