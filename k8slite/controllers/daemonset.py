"""The DaemonSet controller: one pod of a DaemonSet on every node that should run it.

Mirrors kubernetes v1.31 ``pkg/controller/daemon/daemon_controller.go`` (syncDaemonSet;
manage → podsShouldBeOnNode → syncNodes, creating in slow-start batches of 1, 2, 4, … up to
``BurstReplicas`` 250, with expectations; failed daemon pods deleted under a per-node
back-off of 1 s doubling to 15 min; NodeShouldRunDaemonPod: the template's nodeName,
nodeSelector and required node affinity, and its NoSchedule/NoExecute taints against the
tolerations a daemon pod gets; the status counts), ``update.go`` (rollingUpdate with
maxUnavailable, or with maxSurge a new pod beside each old one until it is available;
constructHistory, snapshot, dedupCurHistories and cleanupHistory of the ControllerRevisions
named ``<daemonset>-<hash>``) and ``util/daemonset_util.go`` (the default tolerations,
CreatePodTemplate's ``controller-revision-hash`` and ``pod-template-generation`` labels,
ReplaceDaemonSetPodNodeNameNodeAffinity, GetTargetNodeName, IsPodUpdated, SurgeCount,
UnavailableCount).

A daemon pod is not bound by the controller: its required node affinity becomes one
``matchFields`` term, ``metadata.name In [<node>]``, and the default scheduler places it.

Pods and ControllerRevisions are claimed as upstream (``controller_ref_manager.py``): orphans
the selector matches are adopted, owned ones it no longer matches are released.

Simplified: a sync claims the DaemonSet's own pods and the namespace's orphans rather than
listing every pod in the namespace (the same pods are claimed); the template generation
comes from the ``deprecated.daemonset.template.generation`` annotation the API server's
DaemonSet strategy writes, and falls back to ``metadata.generation`` where it is absent;
nodes are walked in name order where upstream ranges over a map; nodeaffinity matching
(component-helpers) is repeated here, since a controller does not import the scheduler.
"""
from __future__ import annotations

import copy
import math
from typing import Optional

from ..api import errors
from ..api.labels import DOES_NOT_EXIST, EXISTS, GREATER_THAN, IN, LESS_THAN, NOT_IN, Selector, new_requirement
from ..api.meta import compute_hash, controller_of, owner_reference, parse_rfc3339
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import SharedInformerFactory, meta_namespace_key
from ..client.rest import MERGE_PATCH, Client
from ..sim import Kernel
from .base import Controller
from .controller_ref_manager import ClaimError, ControllerRefManager, recheck_deletion_timestamp
from .history import CONTROLLERREVISIONS, raw_data
from .nodelifecycle import tolerates_taint
from .replicaset import Expectations, is_pod_ready

PODS = SCHEME.by_resource("", "pods")
NODES = SCHEME.by_resource("", "nodes")
DAEMONSETS = SCHEME.by_resource("apps", "daemonsets")

BURST_REPLICAS = 250
STATUS_UPDATE_RETRIES = 1
UNIQUE_LABEL_KEY = "controller-revision-hash"            # apps.DefaultDaemonSetUniqueLabelKey
TEMPLATE_GENERATION_KEY = "pod-template-generation"      # extensions.DaemonSetTemplateGenerationKey
DEPRECATED_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
FAILED_PODS_BACKOFF = (1.0, 900.0)                       # flowcontrol.NewBackOff(1s, 15min) in the manager
ORPHAN_INDEX = "daemonset-orphans"

# The tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations): node problems do not
# evict it or keep it off a node; network-unavailable only for pods on the host's network.
DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}


# -- util/daemonset_util.go ----------------------------------------------------------------------

def template_generation(ds: dict) -> Optional[int]:
    """GetTemplateGeneration, from the deprecated annotation (else, here, metadata.generation)."""
    raw = (ds["metadata"].get("annotations") or {}).get(DEPRECATED_TEMPLATE_GENERATION)
    if raw is None:
        return ds["metadata"].get("generation")
    try:
        return int(raw)
    except ValueError:
        return None


def _same_toleration(a: dict, b: dict) -> bool:
    """Toleration.MatchToleration: key, operator, value and effect (tolerationSeconds may differ)."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "operator", "value", "effect"))


def add_or_update_toleration(spec: dict, toleration: dict) -> None:
    """AddOrUpdateTolerationInPodSpec: replace a matching toleration (dropping its tolerationSeconds)
    or append."""
    tolerations = spec.get("tolerations") or []
    if any(t == toleration for t in tolerations):
        return
    replaced = [dict(toleration) if _same_toleration(t, toleration) else t for t in tolerations]
    if not any(_same_toleration(t, toleration) for t in tolerations):
        replaced.append(dict(toleration))
    spec["tolerations"] = replaced


def add_or_update_daemon_pod_tolerations(spec: dict) -> None:
    for toleration in DAEMON_TOLERATIONS:
        add_or_update_toleration(spec, toleration)
    if spec.get("hostNetwork"):
        add_or_update_toleration(spec, HOST_NETWORK_TOLERATION)


def create_pod_template(template: dict, generation: Optional[int], hash_: str) -> dict:
    """CreatePodTemplate: the template with the daemon tolerations and the generation and hash labels."""
    new = copy.deepcopy(template)
    add_or_update_daemon_pod_tolerations(new.setdefault("spec", {}))
    labels = new.setdefault("metadata", {}).setdefault("labels", {})
    if generation is not None:
        labels[TEMPLATE_GENERATION_KEY] = str(generation)
    if hash_:
        labels[UNIQUE_LABEL_KEY] = hash_
    return new


def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    exact = int(text[:-1]) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def _rolling(ds: dict) -> Optional[dict]:
    strategy = ds["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate")


def surge_count(ds: dict, number_to_schedule: int) -> int:
    rolling = _rolling(ds)
    if not rolling or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], number_to_schedule, True)


def unavailable_count(ds: dict, number_to_schedule: int) -> int:
    rolling = _rolling(ds)
    if not rolling:
        return 0
    return scaled_value(rolling.get("maxUnavailable", 1), number_to_schedule, True)


def allows_surge(ds: dict) -> bool:
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False


def is_pod_updated(pod: dict, hash_: str, generation: Optional[int]) -> bool:
    """IsPodUpdated: the pod carries the current hash, or (older pods) the current template generation."""
    labels = pod["metadata"].get("labels") or {}
    template_matches = generation is not None and labels.get(TEMPLATE_GENERATION_KEY) == str(generation)
    hash_matches = bool(hash_) and labels.get(UNIQUE_LABEL_KEY) == hash_
    return hash_matches or template_matches


def replace_daemon_set_pod_node_name_node_affinity(affinity: Optional[dict], node_name: str) -> dict:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes exactly
    ``metadata.name In [node_name]``; preferred terms and pod (anti-)affinity stay."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = dict(affinity or {})
    node_affinity = dict(affinity.get("nodeAffinity") or {})
    required = dict(node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    required["nodeSelectorTerms"] = [term]
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    affinity["nodeAffinity"] = node_affinity
    return affinity


def get_target_node_name(pod: dict) -> Optional[str]:
    """GetTargetNodeName: spec.nodeName, or, before scheduling, the one name the affinity pins."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}) \
        .get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for r in term.get("matchFields") or []:
            if r.get("key") == "metadata.name" and r.get("operator") == "In":
                values = r.get("values") or []
                return values[0] if len(values) == 1 else None
    return None


# -- helpers the controller shares with others upstream ---------------------------------------

def is_pod_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """podutil.IsPodAvailable: ready, and ready for longer than minReadySeconds."""
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            if c.get("status") != "True":
                return False
            if not min_ready_seconds:
                return True
            since = c.get("lastTransitionTime")
            return bool(since) and parse_rfc3339(since) + min_ready_seconds < now
    return False


def _is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_order(pod: dict) -> tuple:
    """podByCreationTimestampAndPhase: scheduled pods first, then the oldest, then by name."""
    return (not pod["spec"].get("nodeName"), pod["metadata"].get("creationTimestamp", ""), pod["metadata"]["name"])


_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST,
              "Gt": GREATER_THAN, "Lt": LESS_THAN}


def _term_matches(term: dict, node: dict) -> bool:
    """One node selector term (component-helpers nodeSelectorTerm.match); a term that does not
    parse matches nothing."""
    meta = node.get("metadata") or {}
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    try:
        reqs = [new_requirement(e.get("key", ""), _OPERATORS[e.get("operator")], e.get("values") or ())
                for e in exprs]
    except (KeyError, ValueError):
        return False
    if any(f.get("operator") not in ("In", "NotIn") or len(f.get("values") or []) != 1 for f in fields):
        return False
    if exprs and not Selector(reqs).matches(meta.get("labels")):
        return False
    name = meta.get("name") or ""
    if name:
        for f in fields:
            have = name if f.get("key") == "metadata.name" else ""
            if (have == f["values"][0]) != (f["operator"] == "In"):
                return False
    return True


def required_node_affinity_matches(pod: dict, node: dict) -> bool:
    """nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): every nodeSelector label, and one of
    the required terms (an empty term matches nothing)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeSelector") and \
            not Selector.from_set(spec["nodeSelector"]).matches((node.get("metadata") or {}).get("labels")):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}) \
        .get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or []
               if t.get("matchExpressions") or t.get("matchFields"))


def _untolerated(taints, tolerations, effects: tuple) -> bool:
    """v1helper.FindMatchingUntoleratedTaint, limited to taints with one of ``effects``."""
    return any(t.get("effect") in effects and not any(tolerates_taint(tol, t) for tol in tolerations or ())
               for t in taints or ())


def new_pod(ds: dict, node_name: str) -> dict:
    """NewPod: the template as a pod on the node, with the daemon tolerations (for the predicates only)."""
    template = ds["spec"]["template"]
    spec = dict(template.get("spec") or {})
    spec["tolerations"] = list(spec.get("tolerations") or [])
    add_or_update_daemon_pod_tolerations(spec)
    spec["nodeName"] = node_name
    return {"metadata": dict(template.get("metadata") or {}, namespace=ds["metadata"]["namespace"]), "spec": spec}


def node_should_run_daemon_pod(node: dict, ds: dict) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (should a daemon pod start here, may one already here keep running).

    A NoSchedule taint the pod does not tolerate keeps a new pod off but lets a running one stay;
    an untolerated NoExecute taint does neither.
    """
    name = node["metadata"]["name"]
    template_node = (ds["spec"]["template"].get("spec") or {}).get("nodeName")
    if template_node and template_node != name:
        return False, False
    pod = new_pod(ds, name)
    if not required_node_affinity_matches(pod, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints")
    if _untolerated(taints, pod["spec"]["tolerations"], ("NoExecute", "NoSchedule")):
        return False, not _untolerated(taints, pod["spec"]["tolerations"], ("NoExecute",))
    return True, True


def _selects_all(ds: dict) -> bool:
    selector = ds["spec"].get("selector")
    return selector is not None and not selector.get("matchLabels") and not selector.get("matchExpressions")


def get_patch(ds: dict) -> dict:
    """getPatch: what a ControllerRevision records, a patch that puts the whole template back."""
    template = copy.deepcopy(ds["spec"]["template"])
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def match(ds: dict, history: dict) -> bool:
    """Match: the revision's data is the DaemonSet's current template patch, byte for byte."""
    return raw_data(get_patch(ds)) == raw_data(history.get("data"))


class Backoff:
    """flowcontrol.Backoff: per-key delay doubling from ``initial`` to ``maximum``; an entry idle for
    twice the maximum starts over."""

    def __init__(self, initial: float, maximum: float):
        self.initial, self.maximum = initial, maximum
        self.entries: dict[str, list[float]] = {}      # key -> [delay, last update]

    def _expired(self, key: str, now: float) -> bool:
        return now - self.entries[key][1] > 2 * self.maximum

    def next(self, key: str, now: float) -> None:
        if key not in self.entries or self._expired(key, now):
            self.entries[key] = [self.initial, now]
        else:
            entry = self.entries[key]
            entry[0], entry[1] = min(entry[0] * 2, self.maximum), now

    def get(self, key: str) -> float:
        return self.entries[key][0] if key in self.entries else 0.0

    def in_backoff_since_update(self, key: str, now: float) -> bool:
        if key not in self.entries or self._expired(key, now):
            return False
        delay, last = self.entries[key]
        return now - last < delay


# -- the controller ------------------------------------------------------------------------------

class DaemonSetsController(Controller):
    NAME = "daemonset"
    RETRY_ON = Controller.RETRY_ON + (ClaimError,)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 workers: int = 2):
        super().__init__(kernel, workers)           # --concurrent-daemonset-syncs 2
        self.client, self.recorder = client, recorder
        self.expectations = Expectations(kernel)         # entries expire after 5 minutes
        self.failed_pods_backoff = Backoff(*FAILED_PODS_BACKOFF)
        self.ds_informer = factory.informer(DAEMONSETS)
        self.history_informer = factory.informer(CONTROLLERREVISIONS)
        self.pod_informer = factory.informer(PODS)
        self.node_informer = factory.informer(NODES)
        self.pod_informer.indexer.add_indexer("controller", _controller_uid)
        self.pod_informer.indexer.add_indexer(ORPHAN_INDEX, _orphan_namespace)
        self.history_informer.indexer.add_indexer("controller", _controller_uid)
        self.history_informer.indexer.add_indexer(ORPHAN_INDEX, _orphan_namespace)
        self.ds_informer.add_event_handler(self._enqueue, self._update_ds, self._delete_ds)
        self.history_informer.add_event_handler(self._add_history, self._update_history, self._delete_history)
        self.pod_informer.add_event_handler(self._add_pod, self._update_pod, self._delete_pod)
        self.node_informer.add_event_handler(self._add_node, self._update_node)

    # -- event handlers ------------------------------------------------------------------------
    def _enqueue(self, ds: dict) -> None:
        self.enqueue(meta_namespace_key(ds))

    def _update_ds(self, old: dict, new: dict) -> None:
        if old["metadata"].get("uid") != new["metadata"].get("uid"):
            self._delete_ds(old)
        self._enqueue(new)

    def _delete_ds(self, ds: dict) -> None:
        key = meta_namespace_key(ds)
        self.expectations.delete(key)
        self.enqueue(key)

    def _resolve(self, namespace: str, ref: Optional[dict]) -> Optional[dict]:
        """resolveControllerRef: the DaemonSet a controllerRef names, if it is still that object."""
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        ds = self.ds_informer.lister.get(namespace, ref.get("name", ""))
        return ds if ds is not None and ds["metadata"].get("uid") == ref.get("uid") else None

    def _selecting(self, obj: dict) -> list[dict]:
        """GetPodDaemonSets / GetHistoryDaemonSets: the namespace's DaemonSets whose selector matches."""
        labels = obj["metadata"].get("labels")
        out = []
        for ds in self.ds_informer.lister.list(obj["metadata"].get("namespace", "")):
            try:
                selector = Selector.from_label_selector(ds["spec"].get("selector"))
            except ValueError:
                continue
            if not selector.empty() and selector.matches(labels):
                out.append(ds)
        return out

    def _add_history(self, history: dict) -> None:
        if history["metadata"].get("deletionTimestamp"):
            self._delete_history(history)
            return
        ref = controller_of(history)
        if ref is None:
            for ds in self._selecting(history):      # an orphan: someone may adopt it
                self._enqueue(ds)
        # An owned revision's creation needs no sync: the DaemonSet made it.

    def _update_history(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        cur_ref, old_ref = controller_of(cur), controller_of(old)
        if cur_ref != old_ref and old_ref is not None:
            self._delete_history(old)
        if cur_ref is not None:
            self._delete_history(cur)                 # enqueue its DaemonSet
        elif old["metadata"].get("labels") != cur["metadata"].get("labels") or cur_ref != old_ref:
            for ds in self._selecting(cur):
                self._enqueue(ds)

    def _delete_history(self, history: dict) -> None:
        ds = self._resolve(history["metadata"].get("namespace", ""), controller_of(history))
        if ds is not None:
            self._enqueue(ds)

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)              # seen first already terminating (a restarted manager)
            return
        ref = controller_of(pod)
        if ref is None:
            for ds in self._selecting(pod):          # an orphan: wake whoever may adopt it
                self._enqueue(ds)
            return
        ds = self._resolve(pod["metadata"]["namespace"], ref)
        if ds is not None:
            key = meta_namespace_key(ds)
            self.expectations.observe(key, add=1)
            self.enqueue(key)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        if cur["metadata"].get("deletionTimestamp"):
            self._delete_pod(cur)              # act on the graceful deletion, not on the final one
            return
        cur_ref, old_ref = controller_of(cur), controller_of(old)
        if cur_ref != old_ref and old_ref is not None:
            ds = self._resolve(old["metadata"]["namespace"], old_ref)
            if ds is not None:
                self._enqueue(ds)
        if cur_ref is None:
            if old["metadata"].get("labels") != cur["metadata"].get("labels") or cur_ref != old_ref:
                for ds in self._selecting(cur):
                    self._enqueue(ds)
            return
        ds = self._resolve(cur["metadata"]["namespace"], cur_ref)
        if ds is None:
            return
        self._enqueue(ds)
        min_ready = ds["spec"].get("minReadySeconds") or 0
        if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(cur):
            self.queue.add_after(meta_namespace_key(ds), min_ready + 1)

    def _delete_pod(self, pod: dict) -> None:
        ds = self._resolve(pod["metadata"]["namespace"], controller_of(pod))
        if ds is not None:
            key = meta_namespace_key(ds)
            self.expectations.observe(key, delete=1)
            self.enqueue(key)

    def _add_node(self, node: dict) -> None:
        for ds in self.ds_informer.lister.list():
            if node_should_run_daemon_pod(node, ds)[0]:
                self._enqueue(ds)

    def _update_node(self, old: dict, cur: dict) -> None:
        if _should_ignore_node_update(old, cur):
            return
        for ds in self.ds_informer.lister.list():
            if node_should_run_daemon_pod(old, ds) != node_should_run_daemon_pod(cur, ds):
                self._enqueue(ds)

    # -- syncDaemonSet ---------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = key.split("/", 1)
        ds = self.ds_informer.lister.get(namespace, name)
        if ds is None:
            self.expectations.delete(key)
            return
        nodes = sorted(self.node_informer.lister.list(), key=lambda n: n["metadata"]["name"])
        if _selects_all(ds):
            self.recorder.event(ds, "Warning", "SelectingAll",
                                "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        if ds["metadata"].get("deletionTimestamp"):
            return          # its pods and revisions may be half collected: no status to trust
        cur, old = await self.construct_history(ds)
        hash_ = (cur["metadata"].get("labels") or {}).get(UNIQUE_LABEL_KEY, "")
        if not self.expectations.satisfied(key):
            await self.update_daemon_set_status(ds, nodes, hash_, update_observed_gen=False)
            return
        failure = None
        try:
            await self.update_daemon_set(ds, nodes, hash_, key, old)
        except self.RETRY_ON as error:
            failure = error
        try:
            await self.update_daemon_set_status(ds, nodes, hash_, update_observed_gen=True)
        except self.RETRY_ON:
            if failure is None:
                raise
        if failure is not None:
            raise failure

    async def update_daemon_set(self, ds: dict, nodes: list[dict], hash_: str, key: str, old: list[dict]) -> None:
        await self.manage(ds, nodes, hash_)
        if self.expectations.satisfied(key):
            strategy = (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
            if strategy == "RollingUpdate":
                await self.rolling_update(ds, nodes, hash_)
        await self.cleanup_history(ds, old)

    async def _claim(self, ds: dict, informer, info) -> list[dict]:
        """getDaemonPods / controlledHistories: ours by controllerRef and still selected, plus the
        namespace's orphans we adopt; owned objects the selector no longer matches are released."""
        selector = Selector.from_label_selector(ds["spec"].get("selector"))
        ours, strays = [], []
        for obj in informer.indexer.by_index("controller", ds["metadata"]["uid"]):
            (ours if selector.matches(obj["metadata"].get("labels")) else strays).append(obj)
        orphans = [o for o in informer.indexer.by_index(ORPHAN_INDEX, ds["metadata"]["namespace"])
                   if selector.matches(o["metadata"].get("labels"))]
        if not strays and not orphans:
            return ours
        manager = ControllerRefManager(self.client, info, ds, selector,
                                       recheck_deletion_timestamp(self.client, DAEMONSETS, ds))
        return ours + await manager.claim(strays + orphans)

    async def get_daemon_pods(self, ds: dict) -> list[dict]:
        return await self._claim(ds, self.pod_informer, PODS)

    async def nodes_to_daemon_pods(self, ds: dict, include_deleted_terminal: bool = False) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: the DaemonSet's pods by the node they are on or pinned to."""
        out: dict[str, list[dict]] = {}
        for pod in await self.get_daemon_pods(ds):
            if not include_deleted_terminal and _is_terminal(pod) and pod["metadata"].get("deletionTimestamp"):
                continue
            node = get_target_node_name(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    async def manage(self, ds: dict, nodes: list[dict], hash_: str) -> None:
        node_to_pods = await self.nodes_to_daemon_pods(ds)
        to_create, to_delete = [], []
        for node in nodes:
            create, delete = self.pods_should_be_on_node(node, node_to_pods, ds, hash_)
            to_create += create
            to_delete += delete
        to_delete += unscheduled_pods_without_node(nodes, node_to_pods)
        await self.sync_nodes(ds, to_delete, to_create, hash_)

    def pods_should_be_on_node(self, node: dict, node_to_pods: dict, ds: dict, hash_: str) -> tuple[list, list]:
        """podsShouldBeOnNode: (this node, if it needs a daemon pod; the names of its pods to delete)."""
        should_run, should_continue = node_should_run_daemon_pod(node, ds)
        name = node["metadata"]["name"]
        pods = node_to_pods.get(name)
        create, delete = [], []
        if should_run and pods is None:
            return [name], []
        if not should_continue:
            return [], [p["metadata"]["name"] for p in pods or () if not p["metadata"].get("deletionTimestamp")]
        running = []
        for pod in pods or ():
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            meta = pod["metadata"]
            if phase == "Failed":
                backoff_key = f"{ds['metadata']['uid']}/{(ds.get('status') or {}).get('observedGeneration', 0)}/{name}"
                now = self.kernel.now
                if self.failed_pods_backoff.in_backoff_since_update(backoff_key, now):
                    self.queue.add_after(meta_namespace_key(ds), self.failed_pods_backoff.get(backoff_key))
                    continue
                self.failed_pods_backoff.next(backoff_key, now)
                self.recorder.event(ds, "Warning", "FailedDaemonPod", f"Found failed daemon pod {meta['namespace']}/"
                                    f"{meta['name']} on node {name}, will try to kill it")
                delete.append(meta["name"])
            elif phase == "Succeeded":
                self.recorder.event(ds, "Normal", "SucceededDaemonPod", f"Found succeeded daemon pod "
                                    f"{meta['namespace']}/{meta['name']} on node {name}, will try to delete it")
                delete.append(meta["name"])
            else:
                running.append(pod)
        running.sort(key=pod_order)
        if not allows_surge(ds):
            # Without surge, at most one: keep the oldest. A node whose only pod is still terminating
            # gets its new pod once that one is gone.
            return create, delete + [p["metadata"]["name"] for p in running[1:]]
        if len(running) <= 1:
            if not running and should_run:
                create.append(name)
            return create, delete
        # With surge, an old and a new pod may share the node while the new one becomes available.
        oldest_new = oldest_old = None
        for pod in running:
            is_new = (pod["metadata"].get("labels") or {}).get(UNIQUE_LABEL_KEY) == hash_
            if is_new and oldest_new is None:
                oldest_new = pod
            elif not is_new and oldest_old is None:
                oldest_old = pod
            else:
                delete.append(pod["metadata"]["name"])
        if oldest_new is not None and oldest_old is not None:
            if not is_pod_ready(oldest_old) or \
                    is_pod_available(oldest_new, ds["spec"].get("minReadySeconds") or 0, self.kernel.now):
                delete.append(oldest_old["metadata"]["name"])
        return create, delete

    async def sync_nodes(self, ds: dict, to_delete: list[str], to_create: list[str], hash_: str) -> None:
        """syncNodes: set expectations, create pods for the nodes in slow-start batches, delete pods."""
        key = meta_namespace_key(ds)
        create_diff, delete_diff = min(len(to_create), BURST_REPLICAS), min(len(to_delete), BURST_REPLICAS)
        self.expectations.expect(key, create_diff, delete_diff)
        failures: list[Exception] = []
        template = create_pod_template(ds["spec"]["template"], template_generation(ds), hash_)
        pos, batch = 0, min(create_diff, 1)
        while pos < create_diff:
            before = len(failures)
            tasks = [self.kernel.spawn(self._create_pod(ds, template, to_create[i]), "createPod")
                     for i in range(pos, pos + batch)]
            for task in tasks:
                result = await task
                if isinstance(result, Exception):
                    self.expectations.observe(key, add=1)
                    failures.append(result)
            skipped = create_diff - (pos + batch)
            if len(failures) > before and skipped > 0:
                self.expectations.observe(key, add=skipped)      # the next sync tries them again
                break
            pos, batch = pos + batch, min(2 * batch, create_diff - (pos + batch))
        tasks = [self.kernel.spawn(self._delete_pod_named(ds, name), "deletePod") for name in to_delete[:delete_diff]]
        for task in tasks:
            result = await task
            if result is not None:
                self.expectations.observe(key, delete=1)
                if not errors.is_not_found(result):
                    failures.append(result)
        if failures:
            raise failures[0]

    async def _create_pod(self, ds: dict, template: dict, node_name: str):
        """RealPodControl.CreatePods for one node: the pod, or the error that refused it."""
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.pop("name", None)
        meta["generateName"] = ds["metadata"]["name"] + "-"
        meta["namespace"] = ds["metadata"]["namespace"]
        meta["ownerReferences"] = [owner_reference(ds)]
        spec = copy.deepcopy(template["spec"])
        spec["affinity"] = replace_daemon_set_pod_node_name_node_affinity(spec.get("affinity"), node_name)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        try:
            created = await self.client.create(PODS, ds["metadata"]["namespace"], pod)
        except self.RETRY_ON as error:
            if not _namespace_terminating(error):
                self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {error}")
            return error
        self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    async def _delete_pod_named(self, ds: dict, name: str):
        """RealPodControl.DeletePod: None, or the error."""
        try:
            await self.client.delete(PODS, ds["metadata"]["namespace"], name)
        except self.RETRY_ON as error:
            if not errors.is_not_found(error):
                self.recorder.event(ds, "Warning", "FailedDelete", f"Error deleting: {error}")
            return error
        self.recorder.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    # -- update.go ---------------------------------------------------------------------------------
    def updated_desired_node_counts(self, ds: dict, nodes: list[dict], node_to_pods: dict) -> tuple[int, int, int]:
        """(maxSurge, maxUnavailable, desiredNumberScheduled); every node that should run a pod gets
        an entry in ``node_to_pods``, empty if it has none."""
        desired = 0
        for node in nodes:
            if node_should_run_daemon_pod(node, ds)[0]:
                desired += 1
                node_to_pods.setdefault(node["metadata"]["name"], [])
        max_unavailable = unavailable_count(ds, desired)
        max_surge = surge_count(ds, desired)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1     # an impossible configuration: accept one unavailable
        return max_surge, max_unavailable, desired

    def find_updated_pods_on_node(self, ds: dict, pods: list[dict],
                                  hash_: str) -> tuple[Optional[dict], Optional[dict], bool]:
        """findUpdatedPodsOnNode: (new pod, old pod, ok), ignoring terminating pods; not ok with two
        of a kind, which the manage loop prunes first."""
        new = old = None
        generation = template_generation(ds)
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if is_pod_updated(pod, hash_, generation):
                if new is not None:
                    return None, None, False
                new = pod
            else:
                if old is not None:
                    return None, None, False
                old = pod
        return new, old, True

    async def rolling_update(self, ds: dict, nodes: list[dict], hash_: str) -> None:
        """rollingUpdate: which old pods to delete (no surge) or which nodes get a new pod beside the
        old one (surge), within the budget. Nodes are taken in name order (upstream: map order)."""
        node_to_pods = await self.nodes_to_daemon_pods(ds)
        max_surge, max_unavailable, desired = self.updated_desired_node_counts(ds, nodes, node_to_pods)
        now, min_ready = self.kernel.now, ds["spec"].get("minReadySeconds") or 0
        if max_surge == 0:
            # Invariant: at most maxUnavailable nodes lack an available up-to-date pod after this pass;
            # a node whose pods are all terminating counts as unavailable until its new pod is up.
            num_unavailable, replacements, candidates = 0, [], []
            for node_name in sorted(node_to_pods):
                new, old, ok = self.find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
                if not ok or (old is None) == (new is None):
                    num_unavailable += 1
                elif new is not None:
                    if not is_pod_available(new, min_ready, now):
                        num_unavailable += 1
                elif not is_pod_available(old, min_ready, now):
                    replacements.append(old["metadata"]["name"])
                    num_unavailable += 1
                elif num_unavailable < max_unavailable:
                    candidates.append(old["metadata"]["name"])
            remaining = max(0, min(max_unavailable - num_unavailable, len(candidates)))
            await self.sync_nodes(ds, replacements + candidates[:remaining], [], hash_)
            return
        # Surge: a new pod next to each old one, at most maxSurge at a time; an old pod goes once the
        # new one on its node is available.
        to_delete, should_not_run, candidates, allowed = [], [], [], []
        num_surge = num_available = 0
        node_names = {n["metadata"]["name"]: n for n in nodes}
        for node_name in sorted(node_to_pods):
            new, old, ok = self.find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
            if not ok:
                num_surge += 1
                continue
            counted = old if old is not None else new
            if counted is not None and is_pod_available(counted, min_ready, now):
                num_available += 1
            if old is None:
                continue
            node = node_names.get(node_name)
            should_run = node is not None and node_should_run_daemon_pod(node, ds)[0]
            if new is None:
                if not is_pod_available(old, min_ready, now):
                    if not should_run:
                        to_delete.append(old["metadata"]["name"])
                    else:
                        allowed.append(node_name)
                elif not should_run:
                    should_not_run.append(old["metadata"]["name"])
                elif num_surge < max_surge:
                    candidates.append(node_name)
            elif not is_pod_available(new, min_ready, now):
                num_surge += 1
            else:
                to_delete.append(old["metadata"]["name"])
        # With surge the owner expects every node covered: a pod on a node that should no longer run
        # it goes only as pods elsewhere become available.
        deletable = min(num_available - desired, len(should_not_run))
        if deletable > 0:
            to_delete += should_not_run[:deletable]
        remaining = max(0, min(max_surge - num_surge, len(candidates)))
        await self.sync_nodes(ds, to_delete, allowed + candidates[:remaining], hash_)

    async def controlled_histories(self, ds: dict) -> list[dict]:
        return await self._claim(ds, self.history_informer, CONTROLLERREVISIONS)

    async def construct_history(self, ds: dict) -> tuple[dict, list[dict]]:
        """constructHistory: (the revision of the current template, creating it if needed; the others)."""
        current, old = [], []
        for history in await self.controlled_histories(ds):
            if UNIQUE_LABEL_KEY not in (history["metadata"].get("labels") or {}):
                labelled = copy.deepcopy(history)
                labelled["metadata"].setdefault("labels", {})[UNIQUE_LABEL_KEY] = labelled["metadata"]["name"]
                history = await self.client.update(CONTROLLERREVISIONS, labelled)
            (current if match(ds, history) else old).append(history)
        revision = max((h.get("revision", 0) for h in old), default=0) + 1
        if not current:
            return await self.snapshot(ds, revision), old
        cur = await self.dedup_cur_histories(ds, current)
        if cur.get("revision", 0) < revision:
            bumped = copy.deepcopy(cur)
            bumped["revision"] = revision
            await self.client.update(CONTROLLERREVISIONS, bumped)
        return cur, old

    async def dedup_cur_histories(self, ds: dict, current: list[dict]) -> dict:
        """dedupCurHistories: keep the highest revision, relabel pods to its hash, delete the rest."""
        if len(current) == 1:
            return current[0]
        keep = current[0]
        for h in current:
            if h.get("revision", 0) >= keep.get("revision", 0):
                keep = h
        keep_hash = keep["metadata"]["labels"][UNIQUE_LABEL_KEY]
        for pod in await self.get_daemon_pods(ds):
            if (pod["metadata"].get("labels") or {}).get(UNIQUE_LABEL_KEY) != keep_hash:
                await self.client.patch(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                        {"metadata": {"labels": {UNIQUE_LABEL_KEY: keep_hash}}}, MERGE_PATCH)
        for h in current:
            if h["metadata"]["name"] != keep["metadata"]["name"]:
                await self.client.delete(CONTROLLERREVISIONS, h["metadata"]["namespace"], h["metadata"]["name"])
        return keep

    async def snapshot(self, ds: dict, revision: int) -> dict:
        """snapshot: a ControllerRevision ``<daemonset>-<hash of the template>`` for the template; a
        name taken by another template bumps status.collisionCount and fails the sync (to retry)."""
        collision_count = (ds.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(ds["spec"]["template"], collision_count)
        name = f"{ds['metadata']['name']}-{hash_}"
        namespace = ds["metadata"]["namespace"]
        labels = dict((ds["spec"]["template"].get("metadata") or {}).get("labels") or {})
        labels[UNIQUE_LABEL_KEY] = hash_
        meta = {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": [owner_reference(ds)]}
        if ds["metadata"].get("annotations"):
            meta["annotations"] = dict(ds["metadata"]["annotations"])
        history = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta,
                   "data": get_patch(ds), "revision": revision}
        try:
            return await self.client.create(CONTROLLERREVISIONS, namespace, history)
        except errors.StatusError as error:
            if error.reason != "AlreadyExists":
                raise
            existing = await self.client.get(CONTROLLERREVISIONS, namespace, name)
            if match(ds, existing):
                return existing
            fresh = await self.client.get(DAEMONSETS, namespace, ds["metadata"]["name"])
            if (fresh.get("status") or {}).get("collisionCount") != collision_count:
                raise errors.conflict("daemonsets", ds["metadata"]["name"],
                                      "found a stale collision count; will retry until it is updated") from error
            fresh.setdefault("status", {})["collisionCount"] = (collision_count or 0) + 1
            await self.client.update_status(DAEMONSETS, fresh)
            raise

    async def cleanup_history(self, ds: dict, old: list[dict]) -> None:
        """cleanupHistory: delete the oldest revisions beyond revisionHistoryLimit that no pod uses."""
        to_kill = len(old) - ds["spec"].get("revisionHistoryLimit", 10)
        if to_kill <= 0:
            return
        live = {(p["metadata"].get("labels") or {}).get(UNIQUE_LABEL_KEY)
                for pods in (await self.nodes_to_daemon_pods(ds, include_deleted_terminal=True)).values()
                for p in pods}
        for history in sorted(old, key=lambda h: h.get("revision", 0)):
            if to_kill <= 0:
                break
            if (history["metadata"].get("labels") or {}).get(UNIQUE_LABEL_KEY) in live:
                continue
            await self.client.delete(CONTROLLERREVISIONS, history["metadata"]["namespace"],
                                     history["metadata"]["name"])
            to_kill -= 1

    # -- status ----------------------------------------------------------------------------------
    async def update_daemon_set_status(self, ds: dict, nodes: list[dict], hash_: str,
                                       update_observed_gen: bool) -> None:
        node_to_pods = await self.nodes_to_daemon_pods(ds)
        desired = current = misscheduled = ready = updated = available = 0
        now, min_ready = self.kernel.now, ds["spec"].get("minReadySeconds") or 0
        generation = template_generation(ds)
        for node in nodes:
            should_run, _ = node_should_run_daemon_pod(node, ds)
            pods = node_to_pods.get(node["metadata"]["name"])
            if not should_run:
                misscheduled += 1 if pods else 0
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            pod = min(pods, key=pod_order)
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
            if is_pod_updated(pod, hash_, generation):
                updated += 1
        counts = {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                  "desiredNumberScheduled": desired, "numberReady": ready, "updatedNumberScheduled": updated,
                  "numberAvailable": available, "numberUnavailable": desired - available}
        await self.store_daemon_set_status(ds, counts, update_observed_gen)
        if min_ready > 0 and ready != available:
            self.queue.add_after(meta_namespace_key(ds), min_ready)

    async def store_daemon_set_status(self, ds: dict, counts: dict, update_observed_gen: bool) -> None:
        """storeDaemonSetStatus: write the counts unless they and observedGeneration are current; on a
        failed write, read the DaemonSet again and try once more."""
        status = ds.get("status") or {}
        generation = ds["metadata"].get("generation", 0)
        if all(status.get(f, 0) == v for f, v in counts.items()) and status.get("observedGeneration", 0) >= generation:
            return
        to_update = ds
        for attempt in range(STATUS_UPDATE_RETRIES + 1):
            to_update = copy.deepcopy(to_update)
            new = dict(to_update.get("status") or {})
            if update_observed_gen:
                new["observedGeneration"] = generation
            new.update(counts)
            for f in ("observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
                if not new.get(f):
                    new.pop(f, None)         # omitempty
            to_update["status"] = new
            try:
                await self.client.update_status(DAEMONSETS, to_update)
                return
            except errors.StatusError:
                if attempt >= STATUS_UPDATE_RETRIES:
                    raise
            to_update = await self.client.get(DAEMONSETS, ds["metadata"]["namespace"], ds["metadata"]["name"])


def unscheduled_pods_without_node(nodes: list[dict], node_to_pods: dict) -> list[str]:
    """getUnscheduledPodsWithoutNode: pending pods pinned to a node that no longer exists (no pod GC
    would ever remove them)."""
    existing = {n["metadata"]["name"] for n in nodes}
    return [p["metadata"]["name"] for node, pods in node_to_pods.items() if node not in existing
            for p in pods if not p["spec"].get("nodeName")]


def _should_ignore_node_update(old: dict, cur: dict) -> bool:
    """shouldIgnoreNodeUpdate: only heartbeats changed (the same conditions are True, the rest equal)."""
    def true_conditions(node):
        conditions = (node.get("status") or {}).get("conditions") or ()
        return sorted(c["type"] for c in conditions if c.get("status") == "True")
    if true_conditions(old) != true_conditions(cur):
        return False

    def rest(node):
        meta = {k: v for k, v in node["metadata"].items() if k != "resourceVersion"}
        status = {k: v for k, v in (node.get("status") or {}).items() if k != "conditions"}
        return meta, node.get("spec"), status
    return rest(old) == rest(cur)


def _namespace_terminating(error: Exception) -> bool:
    causes = ((getattr(error, "status", None) or {}).get("details") or {}).get("causes") or ()
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def _controller_uid(obj: dict) -> list[str]:
    ref = controller_of(obj)
    return [ref["uid"]] if ref else []


def _orphan_namespace(obj: dict) -> list[str]:
    """Objects without a controller, by namespace: the ones a DaemonSet may adopt."""
    return [] if controller_of(obj) else [obj["metadata"].get("namespace", "")]
