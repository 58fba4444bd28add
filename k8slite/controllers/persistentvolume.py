"""The PersistentVolume binder: bind claims to volumes, provision volumes for classes, reclaim released ones.

Mirrors kubernetes v1.31 ``pkg/controller/volume/persistentvolume``: ``pv_controller.go`` (syncClaim →
syncUnboundClaim / syncBoundClaim; syncVolume; bind = bindVolumeToClaim → updateVolumePhase(Bound) →
bindClaimToVolume → updateClaimStatus(Bound); unbindVolume; reclaimVolume and deleteVolumeOperation;
provisionClaim → provisionClaimOperationExternal; assignDefaultStorageClass;
emitEventForUnboundDelayBindingClaim), ``pv_controller_base.go`` (a volume queue and a claim queue with
one worker each; the controller's own caches, which keep the newest version it wrote or saw
(storeObjectUpdate); a resync of every claim and volume each 15 s, ``--pvclaimbinder-sync-period``;
sync errors are not retried but left to the next event or resync), ``index.go`` (findBestMatchForClaim
over volumes indexed by access modes, fewest modes first), component-helpers ``storage/volume``
(FindMatchingVolume: the volume pre-bound to the claim, else the smallest Available volume of the claim's
class, volume mode and selector; IsVolumeBoundToClaim, GetBindVolumeToClaim, CheckNodeAffinity,
IsDelayBindingMode) and ``pkg/volume/util`` GetDefaultClass.

Dynamic provisioning goes through an external provisioner, as in every cluster since CSI: this
controller writes ``volume.kubernetes.io/storage-provisioner`` on the claim and says
ExternalProvisioning; the provisioner creates a PV named ``pvc-<claim uid>`` whose claimRef points at the
claim; this controller then completes the binding. The provisioner here is ``rancher.io/local-path``
(``LocalPathProvisioner``): sig-storage-lib-external-provisioner v10 ``controller/controller.go``
(shouldProvision, provisionClaimOperation, shouldDelete, deleteVolumeOperation) around
rancher/local-path-provisioner ``provisioner.go`` (a hostPath directory
``/opt/local-path-provisioner/<pv>_<namespace>_<claim>`` pinned to the selected node). Chosen over an
invented ``k8slite.io/hostpath`` because kind and k3s install exactly this provisioner as their default
class ``standard`` (WaitForFirstConsumer, Delete): a reader sees the same PV names, events and node
affinity on a laptop cluster, and its refusal of an Immediate class ("configuration error, no node was
specified") is real behaviour worth showing.

Simplified:
- The scheduler has no VolumeBinding plugin yet, so this controller stands in for its PreBind step:
  when a pod that uses an unbound WaitForFirstConsumer claim gets a ``spec.nodeName`` (the pod is
  scheduled), the controller binds a matching Available volume whose node affinity admits that node
  (FindMatchingVolume with the node) by writing the volume's claimRef, as the scheduler's binder does;
  if none matches and the class can provision, it writes ``volume.kubernetes.io/selected-node=<nodeName>``
  on the claim. Upstream the scheduler does this before binding the pod; here the pod is already bound.
- The DefaultStorageClass admission plugin does not exist in k8slite: a claim with no class gets the
  default class from this controller at its first sync (assignDefaultStorageClass, done before matching
  so the claim matches as if admission had set the class).
- No in-tree volume plugins: a volume with reclaim policy Delete is deleted by the provisioner named in
  ``pv.kubernetes.io/provisioned-by``, by the hostPath deleter for paths under ``/tmp/``, and otherwise
  becomes Failed with upstream's message; Recycle (deprecated) fails with "No recycler plugin found for
  the volume!". No CSI migration annotations, no pv-controller, pv-protection or pvc-protection finalizers,
  no volume expansion or VolumeAttributesClass, no metrics. A StorageClass without volumeBindingMode or
  reclaimPolicy reads as Immediate and Delete (the API server does not default them yet).
- Volumes that fit a claim equally well are taken in name order (upstream: Go map order).
- The local-path provisioner runs inside kube-controller-manager as the persistent-volume-binder service
  account, creates no helper pod and no directory (there is no disk), and signs its events
  ``rancher.io/local-path_local-path-provisioner``.
"""
from __future__ import annotations

import copy
import re
from fractions import Fraction
from typing import Awaitable, Callable, Optional

from ..api import errors
from ..api.labels import Selector
from ..api.quantity import parse_quantity
from ..api.scheme import SCHEME
from ..client.events import EventRecorder
from ..client.informer import Indexer, SharedInformerFactory, meta_namespace_key
from ..client.rest import Client
from ..sim import Kernel, Timeout
from .base import Controller

PVS = SCHEME.by_resource("", "persistentvolumes")
PVCS = SCHEME.by_resource("", "persistentvolumeclaims")
PODS = SCHEME.by_resource("", "pods")
NODES = SCHEME.by_resource("", "nodes")
CLASSES = SCHEME.by_resource("storage.k8s.io", "storageclasses")

ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
POD_PVC_INDEX = "pod-pvc-index"              # common.PodPVCIndex
NOT_SUPPORTED_PROVISIONER = "kubernetes.io/no-provisioner"
RESYNC_PERIOD = 15.0                         # --pvclaimbinder-sync-period
INITIAL_BACKOFF, MAX_BACKOFF = 0.5, 122.0    # goroutinemap/exponentialbackoff: 500 ms doubling to 2m2s

ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                ("ReadWriteOncePod", "RWOP"))
# In-tree volume sources a plugin recognises but cannot delete (no Deleter in v1.31).
UNDELETABLE_SOURCES = ("local", "nfs", "iscsi", "fc", "cephfs", "flexVolume")


# -- helpers (component-helpers/storage/volume, pkg/apis/core/v1/helper) -----------------------------
def access_modes_as_string(modes) -> str:
    """GetAccessModesAsString: "RWO,ROX,RWX,RWOP" in that order, whatever order they were written in."""
    return ",".join(short for mode, short in ACCESS_MODES if mode in (modes or ()))


def access_modes_from_string(text: str) -> list[str]:
    by_short = {short: mode for mode, short in ACCESS_MODES}
    return [by_short[s] for s in text.split(",") if s in by_short]


def _annotations(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName, else ""."""
    beta = _annotations(claim).get(ANN_BETA_CLASS)
    return beta if beta is not None else ((claim.get("spec") or {}).get("storageClassName") or "")


def claim_has_class(claim: dict) -> bool:
    """PersistentVolumeClaimHasClass: the claim named a class, even "" (which asks for class-less volumes)."""
    return ANN_BETA_CLASS in _annotations(claim) or (claim.get("spec") or {}).get("storageClassName") is not None


def volume_class(volume: dict) -> str:
    beta = _annotations(volume).get(ANN_BETA_CLASS)
    return beta if beta is not None else ((volume.get("spec") or {}).get("storageClassName") or "")


def storage_request(claim: dict) -> Fraction:
    raw = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    return parse_quantity(raw) if raw is not None else Fraction(0)


def volume_capacity(volume: dict) -> Fraction:
    raw = ((volume.get("spec") or {}).get("capacity") or {}).get("storage")
    return parse_quantity(raw) if raw is not None else Fraction(0)


def is_volume_bound_to_claim(volume: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: the claimRef names the claim, and its uid (if set) is the claim's."""
    ref = (volume.get("spec") or {}).get("claimRef")
    if ref is None:
        return False
    meta = claim["metadata"]
    if ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref["uid"] == meta.get("uid")


def check_volume_mode_mismatches(claim_spec: dict, volume_spec: dict) -> bool:
    """CheckVolumeModeMismatches: an unset mode is Filesystem."""
    return (claim_spec.get("volumeMode") or "Filesystem") != (volume_spec.get("volumeMode") or "Filesystem")


def check_access_modes(claim: dict, volume: dict) -> bool:
    """CheckAccessModes: the volume offers every mode the claim asks for."""
    offered = set((volume.get("spec") or {}).get("accessModes") or ())
    return all(mode in offered for mode in (claim.get("spec") or {}).get("accessModes") or ())


def _requirement_matches(req: dict, labels: dict) -> bool:
    key, op, values = req.get("key", ""), req.get("operator"), req.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and len(values) == 1:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def check_node_affinity(volume: dict, node_labels: dict) -> bool:
    """CheckNodeAffinity: the volume's required node selector terms (any term, every expression) admit
    a node with these labels. matchFields never match: the check sees labels only, as upstream's does."""
    required = (((volume.get("spec") or {}).get("nodeAffinity")) or {}).get("required")
    if not required:
        return True
    for term in required.get("nodeSelectorTerms") or ():
        exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
        if fields or not exprs:
            continue
        if all(_requirement_matches(e, node_labels) for e in exprs):
            return True
    return False


def find_matching_volume(claim: dict, volumes: list[dict], node: Optional[dict] = None,
                         excluded: Optional[dict] = None, delay_binding: bool = False) -> Optional[dict]:
    """FindMatchingVolume: the volume pre-bound to this claim (if big enough), else the smallest
    Available volume of the claim's class that fits its size, volume mode and selector.

    ``node`` is set on the scheduler's path only: the volume's node affinity must admit it and its access
    modes must cover the claim's. With ``delay_binding`` (the controller's path for a WaitForFirstConsumer
    claim) only pre-bound volumes match.
    """
    requested = storage_request(claim)
    requested_class = claim_class(claim)
    spec = claim.get("spec") or {}
    selector = Selector.from_label_selector(spec["selector"]) if spec.get("selector") is not None else None
    smallest, smallest_size = None, None
    for volume in volumes:
        name = volume["metadata"]["name"]
        if excluded and name in excluded:
            continue
        vspec = volume.get("spec") or {}
        if vspec.get("claimRef") is not None and not is_volume_bound_to_claim(volume, claim):
            continue
        size = volume_capacity(volume)
        if size < requested:
            continue
        if check_volume_mode_mismatches(spec, vspec):
            continue
        if volume["metadata"].get("deletionTimestamp"):
            continue
        affinity_ok = node is None or check_node_affinity(volume, node["metadata"].get("labels") or {})
        if is_volume_bound_to_claim(volume, claim):
            return volume if affinity_ok else None
        if node is None and delay_binding:
            continue                  # the scheduler binds unbound volumes of a delayed claim
        if (volume.get("status") or {}).get("phase") != "Available":
            continue
        if selector is not None and not selector.matches(volume["metadata"].get("labels")):
            continue
        if volume_class(volume) != requested_class or not affinity_ok:
            continue
        if node is not None and not check_access_modes(claim, volume):
            continue
        if smallest is None or smallest_size > size:
            smallest, smallest_size = volume, size
    return smallest


def get_reference(claim: dict) -> dict:
    """reference.GetReference for a claim: what a volume's claimRef holds."""
    meta = claim["metadata"]
    return {"kind": "PersistentVolumeClaim", "namespace": meta.get("namespace"), "name": meta["name"],
            "uid": meta.get("uid"), "apiVersion": "v1", "resourceVersion": meta.get("resourceVersion")}


def is_default_class(sc: dict) -> bool:
    annotations = _annotations(sc)
    return annotations.get(ANN_DEFAULT_CLASS) == "true" or annotations.get(ANN_BETA_DEFAULT_CLASS) == "true"


def get_default_class(classes: list[dict]) -> Optional[dict]:
    """GetDefaultClass: of the classes marked default, the newest; equal ages by name."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    newest = max(sc["metadata"].get("creationTimestamp", "") for sc in defaults)
    return sorted((sc for sc in defaults if sc["metadata"].get("creationTimestamp", "") == newest),
                  key=lambda sc: sc["metadata"]["name"])[0]


def binding_mode(sc: Optional[dict]) -> str:
    return (sc or {}).get("volumeBindingMode") or "Immediate"


def pod_pvc_keys(pod: dict) -> list[str]:
    """PodPVCIndexFunc: "namespace/claim" for each claim a pod's volumes use (generic ephemeral
    volumes use the claim ``<pod>-<volume>``)."""
    namespace, keys = pod["metadata"].get("namespace", ""), []
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        name = ""
        if volume.get("persistentVolumeClaim"):
            name = volume["persistentVolumeClaim"].get("claimName", "")
        elif volume.get("ephemeral"):
            name = f"{pod['metadata']['name']}-{volume.get('name', '')}"
        if name:
            keys.append(f"{namespace}/{name}")
    return keys


def is_pod_terminated(pod: dict) -> bool:
    """util.IsPodTerminated: finished, or being deleted with no container still running."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Failed", "Succeeded"):
        return True
    if not pod["metadata"].get("deletionTimestamp"):
        return False
    statuses = list(status.get("initContainerStatuses") or ()) + list(status.get("containerStatuses") or ()) + \
        list(status.get("ephemeralContainerStatuses") or ())
    return all((s.get("state") or {}).get("terminated") or (s.get("state") or {}).get("waiting") for s in statuses)


def store_object_update(store: Indexer, obj: dict) -> bool:
    """storeObjectUpdate: keep ``obj`` unless the cache holds a newer version; the same version passes
    (a resync must reach the sync). Returns whether the object is new enough to act on."""
    old = store.get(meta_namespace_key(obj))
    if old is not None and int(old["metadata"].get("resourceVersion") or 0) > \
            int(obj["metadata"].get("resourceVersion") or 0):
        return False
    store.put(obj)
    return True


class VolumeError(Exception):
    """A volume operation failed; the message is what the event says."""


class PersistentVolumeOrderedIndex:
    """index.go persistentVolumeOrderedIndex: the controller's volume cache, indexed by access modes.

    Invariant: holds the newest version of each volume the controller has seen or written.
    """

    def __init__(self):
        self.store = Indexer({"accessmodes": lambda pv: [access_modes_as_string((pv.get("spec") or {})
                                                                                .get("accessModes"))]})

    def find_best_match_for_claim(self, claim: dict, delay_binding: bool) -> Optional[dict]:
        """findByClaim: search the groups of volumes whose modes cover the claim's, fewest modes first."""
        for modes in self.all_possible_matching_access_modes((claim.get("spec") or {}).get("accessModes") or []):
            volumes = sorted(self.store.by_index("accessmodes", modes), key=lambda v: v["metadata"]["name"])
            best = find_matching_volume(claim, volumes, None, None, delay_binding)
            if best is not None:
                return best
        return None

    def all_possible_matching_access_modes(self, requested: list[str]) -> list[str]:
        """E.g. a claim for RWO may use the groups "RWO", "RWO,ROX" and "RWO,ROX,RWX", in that order."""
        keys = [k for k in self.store.list_index_func_values("accessmodes")
                if all(mode in access_modes_from_string(k) for mode in requested)]
        return sorted(keys, key=lambda k: (len(access_modes_from_string(k)), k))


class OperationMap:
    """goroutinemap with exponential back-off: at most one running operation per name; a failed one
    may not run again until its back-off (500 ms, doubling to 2m2s) has passed."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self.running: dict[str, None] = {}
        self.backoff: dict[str, tuple[float, float]] = {}    # name -> (not before, last duration)

    def run(self, name: str, operation: Callable[[], Awaitable[None]], owner: Optional[str]) -> bool:
        if name in self.running:
            return False
        not_before, _ = self.backoff.get(name, (0.0, 0.0))
        if self.kernel.now < not_before:
            return False
        self.running[name] = None
        self.kernel.spawn(self._run(name, operation), name, owner=owner)
        return True

    async def _run(self, name: str, operation: Callable[[], Awaitable[None]]) -> None:
        try:
            await operation()
            self.backoff.pop(name, None)
        except (errors.StatusError, Timeout, VolumeError):
            _, last = self.backoff.get(name, (0.0, 0.0))
            duration = min(MAX_BACKOFF, last * 2) if last else INITIAL_BACKOFF
            self.backoff[name] = (self.kernel.now + duration, duration)
        finally:
            self.running.pop(name, None)


class PersistentVolumeController(Controller):
    """The claim side (``claimWorker``); ``volume_worker`` is the volume side. One worker each."""
    NAME = "persistentvolume-binder"
    RETRY_ON = (errors.StatusError, Timeout, VolumeError)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder,
                 resync_period: float = RESYNC_PERIOD, enable_dynamic_provisioning: bool = True):
        super().__init__(kernel, workers=1)
        self.client, self.recorder = client, recorder
        self.resync_period = resync_period
        self.enable_dynamic_provisioning = enable_dynamic_provisioning
        self.volume_worker = _VolumeWorker(self)
        self.claim_queue, self.volume_queue = self.queue, self.volume_worker.queue
        self.volumes = PersistentVolumeOrderedIndex()
        self.claims = Indexer()          # invariant: the newest version of each claim seen or written
        self.operations = OperationMap(kernel)
        self.owner: Optional[str] = None
        self.log: list[str] = []
        self.volume_informer = factory.informer(PVS)
        self.claim_informer = factory.informer(PVCS)
        self.class_informer = factory.informer(CLASSES)
        self.node_informer = factory.informer(NODES)
        self.pod_informer = factory.informer(PODS)
        if POD_PVC_INDEX not in self.pod_informer.indexer.indexers:
            self.pod_informer.indexer.add_indexer(POD_PVC_INDEX, pod_pvc_keys)
        self.volume_informer.add_event_handler(self._enqueue_volume, lambda old, new: self._enqueue_volume(new),
                                               self._enqueue_volume)
        self.claim_informer.add_event_handler(self._enqueue_claim, lambda old, new: self._enqueue_claim(new),
                                              self._enqueue_claim)
        self.pod_informer.add_event_handler(lambda pod: self._pod_scheduled(None, pod), self._pod_scheduled)
        self.provisioner = LocalPathProvisioner(kernel, client, factory, EventRecorder(
            kernel, client, LocalPathProvisioner.EVENT_COMPONENT))
        # Two recorders name events <object>.<nanoseconds + sequence>: keep their sequences apart.
        self.provisioner.recorder._seq = 1 << 20

    # -- event handlers (pv_controller_base.go enqueueWork) -------------------------------------------
    def _enqueue_volume(self, volume: dict) -> None:
        self.volume_queue.add(volume["metadata"]["name"])

    def _enqueue_claim(self, claim: dict) -> None:
        self.claim_queue.add(meta_namespace_key(claim))

    def _pod_scheduled(self, old: Optional[dict], pod: dict) -> None:
        """Not upstream (see Simplified): a pod that just got its node may be the first consumer of a
        WaitForFirstConsumer claim."""
        if not (pod.get("spec") or {}).get("nodeName"):
            return
        if old is not None and (old.get("spec") or {}).get("nodeName"):
            return
        for key in pod_pvc_keys(pod):
            self.claim_queue.add(key)

    # -- running (pv_controller_base.go Run, initializeCaches, resync, the two workers) ---------------
    def run(self, owner: str) -> None:
        self.owner = owner
        for volume in self.volume_informer.indexer.list():
            self.volumes.store.put(volume)
        for claim in self.claim_informer.indexer.list():
            self.claims.put(claim)
        super().run(owner)
        self.volume_worker.run(owner)
        self.provisioner.run(owner)
        self.kernel.spawn(self._resync(), "persistentvolume resync", cause=None, owner=owner)

    async def _resync(self) -> None:
        while True:
            await self.kernel.sleep(self.resync_period)
            for claim in self.claim_informer.indexer.list():
                self._enqueue_claim(claim)
            for volume in self.volume_informer.indexer.list():
                self._enqueue_volume(volume)

    def handle_error(self, key: str, error: Exception) -> None:
        """updateClaim/updateVolume only log a failed sync: the next event or resync tries again."""
        self.log.append(f"Could not sync {key}: {error}")

    async def sync(self, key: str) -> None:
        """claimWorker: the claim from the informer is an add/update/resync; a missing one was deleted."""
        namespace, name = key.split("/", 1)
        claim = self.claim_informer.lister.get(namespace, name)
        if claim is not None:
            if store_object_update(self.claims, claim):
                await self.sync_claim(claim)
            return
        cached = self.claims.get(key)
        if cached is not None:
            self.delete_claim(cached)

    async def sync_volume_key(self, name: str) -> None:
        """volumeWorker."""
        volume = self.volume_informer.lister.get("", name)
        if volume is not None:
            if store_object_update(self.volumes.store, volume):
                await self.sync_volume(volume)
            return
        cached = self.volumes.store.get(name)
        if cached is not None:
            self.delete_volume(cached)

    def delete_volume(self, volume: dict) -> None:
        """A deleted volume's claim syncs now, to become Lost without waiting for the resync."""
        self.volumes.store.delete(volume)
        ref = volume["spec"].get("claimRef")
        if ref is not None:
            self.claim_queue.add(f"{ref.get('namespace')}/{ref.get('name')}")

    def delete_claim(self, claim: dict) -> None:
        """A deleted claim's volume syncs now, to be Released without waiting for the resync."""
        self.claims.delete(claim)
        volume_name = (claim.get("spec") or {}).get("volumeName")
        if volume_name:
            self.volume_queue.add(volume_name)

    # -- claims ----------------------------------------------------------------------------------------
    async def sync_claim(self, claim: dict) -> None:
        if ANN_BIND_COMPLETED not in _annotations(claim):
            await self.sync_unbound_claim(claim)
        else:
            await self.sync_bound_claim(claim)

    async def sync_unbound_claim(self, claim: dict) -> None:
        if not claim_has_class(claim) and await self.assign_default_storage_class(claim):
            return                      # the update brings the claim back with its class
        volume_name = claim["spec"].get("volumeName") or ""
        if not volume_name:
            delay_binding = self.is_delay_binding_mode(claim)
            volume = self.volumes.find_best_match_for_claim(claim, delay_binding)
            if volume is not None:
                await self.bind(volume, claim)
                return
            if delay_binding and ANN_SELECTED_NODE not in _annotations(claim):
                if await self.bind_for_scheduled_pod(claim):
                    return
                self.emit_event_for_unbound_delay_binding_claim(claim)
            elif claim_class(claim):
                await self.provision_claim(claim)
                return
            else:
                self.recorder.event(claim, "Normal", "FailedBinding",
                                    "no persistent volumes available for this claim and no storage class is set")
            await self.update_claim_status(claim, "Pending", None)
            return
        volume = self.volumes.store.get(volume_name)
        if volume is None:
            await self.update_claim_status(claim, "Pending", None)      # asked for a volume that is not there
        elif volume["spec"].get("claimRef") is None:
            problem = check_volume_satisfy_claim(volume, claim)
            if problem:
                self.recorder.event(claim, "Warning", "VolumeMismatch",
                                    f'Cannot bind to requested volume "{volume_name}": {problem}')
                await self.update_claim_status(claim, "Pending", None)
            else:
                await self.bind(volume, claim)
        elif is_volume_bound_to_claim(volume, claim):
            await self.bind(volume, claim)        # finish the binding: add the claim's uid
        else:
            self.recorder.event(claim, "Warning", "FailedBinding",
                                f'volume "{volume_name}" already bound to a different claim.')
            if ANN_BOUND_BY_CONTROLLER not in _annotations(claim):
                await self.update_claim_status(claim, "Pending", None)
            else:
                ref = volume["spec"]["claimRef"]
                raise VolumeError(f'invalid binding of claim "{meta_namespace_key(claim)}" to volume '
                                  f'"{volume_name}": volume already claimed by "{ref.get("namespace")}/'
                                  f'{ref.get("name")}"')

    async def sync_bound_claim(self, claim: dict) -> None:
        volume_name = claim["spec"].get("volumeName") or ""
        if not volume_name:
            await self.update_claim_status_with_event(claim, "Lost", None, "Warning", "ClaimLost",
                                                      "Bound claim has lost reference to PersistentVolume. "
                                                      "Data on the volume is lost!")
            return
        volume = self.volumes.store.get(volume_name)
        if volume is None:
            await self.update_claim_status_with_event(claim, "Lost", None, "Warning", "ClaimLost",
                                                      "Bound claim has lost its PersistentVolume. "
                                                      "Data on the volume is lost!")
        elif volume["spec"].get("claimRef") is None or \
                volume["spec"]["claimRef"].get("uid") == claim["metadata"]["uid"]:
            await self.bind(volume, claim)        # re-bind a volume that came unbound; else a no-op
        else:
            await self.update_claim_status_with_event(claim, "Lost", None, "Warning", "ClaimMisbound",
                                                      "Two claims are bound to the same volume, this one is "
                                                      "bound incorrectly")

    def is_delay_binding_mode(self, claim: dict) -> bool:
        name = claim_class(claim)
        if not name:
            return False
        return binding_mode(self.class_informer.lister.get("", name)) == "WaitForFirstConsumer"

    def emit_event_for_unbound_delay_binding_claim(self, claim: dict) -> None:
        reason, message = "WaitForFirstConsumer", "waiting for first consumer to be created before binding"
        names = self.find_non_scheduled_pods_by_pvc(claim)
        if names:
            reason = "WaitForPodScheduled"
            message = f"waiting for pods {','.join(names)} to be scheduled" if len(names) > 1 else \
                f"waiting for pod {names[0]} to be scheduled"
        self.recorder.event(claim, "Normal", reason, message)

    def pods_using(self, claim: dict) -> list[dict]:
        pods = self.pod_informer.indexer.by_index(POD_PVC_INDEX, meta_namespace_key(claim))
        return sorted((p for p in pods if not is_pod_terminated(p)), key=lambda p: p["metadata"]["name"])

    def find_non_scheduled_pods_by_pvc(self, claim: dict) -> list[str]:
        return [p["metadata"]["name"] for p in self.pods_using(claim) if not p["spec"].get("nodeName")]

    async def bind_for_scheduled_pod(self, claim: dict) -> bool:
        """The scheduler's VolumeBinding PreBind, done here (see Simplified) once a pod using the claim is
        on a node: bind a matching volume that the node can reach, or select the node for provisioning."""
        scheduled = [p for p in self.pods_using(claim) if p["spec"].get("nodeName")]
        if not scheduled:
            return False
        node_name = scheduled[0]["spec"]["nodeName"]
        node = self.node_informer.lister.get("", node_name)
        if node is None:
            return False
        volumes = sorted(self.volumes.store.list(), key=lambda v: v["metadata"]["name"])
        volume = find_matching_volume(claim, volumes, node, None, True)
        if volume is not None:
            await self.bind_volume_to_claim(volume, claim)     # the volume's update brings the claim back
            return True
        sc = self.class_informer.lister.get("", claim_class(claim))
        if sc is None or sc.get("provisioner") == NOT_SUPPORTED_PROVISIONER:
            return False
        clone = copy.deepcopy(claim)
        clone["metadata"].setdefault("annotations", {})[ANN_SELECTED_NODE] = node_name
        store_object_update(self.claims, await self.client.update(PVCS, clone))
        return True

    async def assign_default_storage_class(self, claim: dict) -> bool:
        sc = get_default_class(self.class_informer.indexer.list())
        if sc is None:
            return False
        clone = copy.deepcopy(claim)
        clone["spec"]["storageClassName"] = sc["metadata"]["name"]
        await self.client.update(PVCS, clone)
        return True

    async def update_claim_status(self, claim: dict, phase: str, volume: Optional[dict]) -> dict:
        clone = copy.deepcopy(claim)
        status = clone.setdefault("status", {})
        old = claim.get("status") or {}
        dirty = old.get("phase") != phase
        status["phase"] = phase
        if volume is None:
            for field in ("accessModes", "capacity"):
                if status.pop(field, None) is not None:
                    dirty = True
        else:
            modes = volume["spec"].get("accessModes")
            if old.get("accessModes") != modes:
                status["accessModes"] = copy.deepcopy(modes)
                dirty = True
            if old.get("phase") != phase:       # capacity only when the claim becomes Bound
                capacity = (volume["spec"].get("capacity") or {}).get("storage")
                if capacity is None:
                    raise VolumeError(f'PersistentVolume "{volume["metadata"]["name"]}" is without a storage '
                                      f'capacity')
                have = (old.get("capacity") or {}).get("storage")
                if have is None or parse_quantity(have) != parse_quantity(capacity):
                    status["capacity"] = copy.deepcopy(volume["spec"]["capacity"])
                    dirty = True
        if not dirty:
            return claim
        updated = await self.client.update_status(PVCS, clone)
        store_object_update(self.claims, updated)
        return updated

    async def update_claim_status_with_event(self, claim: dict, phase: str, volume: Optional[dict],
                                             event_type: str, reason: str, message: str) -> dict:
        if (claim.get("status") or {}).get("phase") == phase:
            return claim
        updated = await self.update_claim_status(claim, phase, volume)
        self.recorder.event(updated, event_type, reason, message)
        return updated

    # -- binding ---------------------------------------------------------------------------------------
    async def bind(self, volume: dict, claim: dict) -> None:
        """Volume first (claimRef, then phase Bound), then the claim (volumeName, then phase Bound)."""
        volume = await self.bind_volume_to_claim(volume, claim)
        volume = await self.update_volume_phase(volume, "Bound", "")
        claim = await self.bind_claim_to_volume(claim, volume)
        await self.update_claim_status(claim, "Bound", volume)

    async def bind_volume_to_claim(self, volume: dict, claim: dict) -> dict:
        """GetBindVolumeToClaim, saved only if something changed."""
        clone, dirty = copy.deepcopy(volume), False
        ref = volume["spec"].get("claimRef") or {}
        meta = claim["metadata"]
        if (ref.get("name"), ref.get("namespace"), ref.get("uid")) != (meta["name"], meta.get("namespace"),
                                                                        meta.get("uid")):
            clone["spec"]["claimRef"] = get_reference(claim)
            dirty = True
        if not is_volume_bound_to_claim(volume, claim) and ANN_BOUND_BY_CONTROLLER not in _annotations(clone):
            clone["metadata"].setdefault("annotations", {})[ANN_BOUND_BY_CONTROLLER] = "yes"
            dirty = True
        if not dirty:
            return volume
        updated = await self.client.update(PVS, clone)
        store_object_update(self.volumes.store, updated)
        return updated

    async def bind_claim_to_volume(self, claim: dict, volume: dict) -> dict:
        clone, dirty = copy.deepcopy(claim), False
        annotations = clone["metadata"].setdefault("annotations", {})
        if claim["spec"].get("volumeName") != volume["metadata"]["name"]:
            clone["spec"]["volumeName"] = volume["metadata"]["name"]
            annotations.setdefault(ANN_BOUND_BY_CONTROLLER, "yes")
            dirty = True
        if ANN_BIND_COMPLETED not in annotations:
            annotations[ANN_BIND_COMPLETED] = "yes"
            dirty = True
        if not dirty:
            return claim
        updated = await self.client.update(PVCS, clone)
        store_object_update(self.claims, updated)
        return updated

    async def unbind_volume(self, volume: dict) -> None:
        """Roll back a binding: the controller's own claimRef goes; a user's pre-binding keeps its name."""
        clone = copy.deepcopy(volume)
        annotations = clone["metadata"].get("annotations") or {}
        if ANN_BOUND_BY_CONTROLLER in annotations:
            clone["spec"].pop("claimRef", None)
            del annotations[ANN_BOUND_BY_CONTROLLER]
            if not annotations:
                clone["metadata"].pop("annotations", None)
        else:
            clone["spec"]["claimRef"].pop("uid", None)
        updated = await self.client.update(PVS, clone)
        store_object_update(self.volumes.store, updated)
        await self.update_volume_phase(updated, "Available", "")

    # -- volumes ---------------------------------------------------------------------------------------
    async def sync_volume(self, volume: dict) -> None:
        ref = volume["spec"].get("claimRef")
        if not ref or not ref.get("uid"):
            await self.update_volume_phase(volume, "Available", "")       # unused, or pre-bound by a user
            return
        phase = (volume.get("status") or {}).get("phase")
        key = f"{ref.get('namespace')}/{ref.get('name')}"
        claim = self.claims.get(key)
        if claim is None and phase not in ("Released", "Failed"):
            # A provisioner or the scheduler may have bound the volume before this cache saw the claim.
            claim = self.claim_informer.lister.get(ref.get("namespace"), ref.get("name"))
            if claim is None:
                claim = await self._get_claim(ref)
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            claim = await self._get_claim(ref)       # the cache may be behind; ask the API server
            if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
                claim = None                         # the claim was deleted and another made with its name
        if claim is None:
            if phase not in ("Released", "Failed"):
                volume = await self.update_volume_phase(volume, "Released", "")
            await self.reclaim_volume(volume)
            return
        if not claim["spec"].get("volumeName"):
            if check_volume_mode_mismatches(claim["spec"], volume["spec"]):
                name = volume["metadata"]["name"]
                self.recorder.event(volume, "Warning", "VolumeMismatch",
                                    f'Cannot bind PersistentVolume to requested PersistentVolumeClaim '
                                    f'"{claim["metadata"]["name"]}" due to incompatible volumeMode.')
                self.recorder.event(claim, "Warning", "VolumeMismatch",
                                    f'Cannot bind PersistentVolume "{name}" to requested PersistentVolumeClaim '
                                    f'due to incompatible volumeMode.')
                return
            self.claim_queue.add(key)      # bound by a provisioner, the scheduler or a user: syncClaim finishes
        elif claim["spec"]["volumeName"] == volume["metadata"]["name"]:
            await self.update_volume_phase(volume, "Bound", "")
        elif _annotations(volume).get(ANN_DYNAMICALLY_PROVISIONED) is not None and \
                volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
            # Provisioned for this claim, which got bound elsewhere: the volume is not needed.
            if phase not in ("Released", "Failed"):
                volume = await self.update_volume_phase(volume, "Released", "")
            await self.reclaim_volume(volume)
        else:
            await self.unbind_volume(volume)   # the claim is bound to another volume

    async def _get_claim(self, ref: dict) -> Optional[dict]:
        try:
            return await self.client.get(PVCS, ref.get("namespace"), ref.get("name"))
        except errors.StatusError as error:
            if error.code == 404:
                return None
            raise

    async def update_volume_phase(self, volume: dict, phase: str, message: str) -> dict:
        if (volume.get("status") or {}).get("phase") == phase:
            return volume
        clone = copy.deepcopy(volume)
        status = clone.setdefault("status", {})
        status["phase"] = phase
        if message:
            status["message"] = message
        else:
            status.pop("message", None)
        updated = await self.client.update_status(PVS, clone)
        store_object_update(self.volumes.store, updated)
        return updated

    async def update_volume_phase_with_event(self, volume: dict, phase: str, event_type: str, reason: str,
                                             message: str) -> dict:
        if (volume.get("status") or {}).get("phase") == phase:
            return volume
        updated = await self.update_volume_phase(volume, phase, message)
        self.recorder.event(updated, event_type, reason, message)
        return updated

    # -- reclaiming --------------------------------------------------------------------------------------
    async def reclaim_volume(self, volume: dict) -> None:
        policy = volume["spec"].get("persistentVolumeReclaimPolicy")
        name, uid = volume["metadata"]["name"], volume["metadata"].get("uid")
        if policy == "Retain":
            return
        if policy == "Recycle":
            self.operations.run(f"recycle-{name}[{uid}]", lambda: self.recycle_volume_operation(volume), self.owner)
        elif policy == "Delete":
            self.operations.run(f"delete-{name}[{uid}]", lambda: self.delete_volume_operation(volume), self.owner)
        else:
            await self.update_volume_phase_with_event(volume, "Failed", "Warning", "VolumeUnknownReclaimPolicy",
                                                      "Volume has unrecognized PersistentVolumeReclaimPolicy")

    async def recycle_volume_operation(self, volume: dict) -> None:
        """Simplified: no recycler pods; recycling always fails as it does without a recycler plugin."""
        fresh = await self._get_volume(volume["metadata"]["name"])
        if fresh is None or not self.is_volume_released(fresh):
            return
        await self.update_volume_phase_with_event(fresh, "Failed", "Warning", "VolumeFailedRecycle",
                                                  "No recycler plugin found for the volume!")

    async def delete_volume_operation(self, volume: dict) -> None:
        fresh = await self._get_volume(volume["metadata"]["name"])
        if fresh is None or not self.is_volume_released(fresh):
            return
        try:
            deleted = self.do_delete_volume(fresh)
        except VolumeError as error:
            await self.update_volume_phase_with_event(fresh, "Failed", "Warning", "VolumeFailedDelete", str(error))
            raise
        if not deleted:
            return                      # an external provisioner deletes it
        try:
            await self.client.delete(PVS, "", fresh["metadata"]["name"])
        except errors.StatusError as error:
            if error.code != 404:
                self.log.append(f"Failed to delete volume {fresh['metadata']['name']} from database: {error}")

    async def _get_volume(self, name: str) -> Optional[dict]:
        try:
            return await self.client.get(PVS, "", name)
        except errors.StatusError:
            return None

    def is_volume_released(self, volume: dict) -> bool:
        """The volume's claim is gone (or is another claim by now), or is bound to another volume."""
        ref = volume["spec"].get("claimRef")
        if not ref or not ref.get("uid"):
            return False
        claim = self.claims.get(f"{ref.get('namespace')}/{ref.get('name')}")
        if claim is not None and claim["metadata"].get("uid") == ref["uid"]:
            bound_to = claim["spec"].get("volumeName")
            return bool(bound_to) and bound_to != volume["metadata"]["name"]
        return True

    def do_delete_volume(self, volume: dict) -> bool:
        """findDeletablePlugin and its Delete: True when deleted here, False when an external deleter
        owns the volume; a VolumeError when no plugin can delete it."""
        name = volume["metadata"]["name"]
        provisioned_by = _annotations(volume).get(ANN_DYNAMICALLY_PROVISIONED)
        if provisioned_by:
            if not provisioned_by.startswith("kubernetes.io/"):
                return False
            raise VolumeError(f"no volume plugin matched name: {provisioned_by}")
        spec = volume["spec"]
        if spec.get("csi"):
            return False
        if spec.get("hostPath"):
            path = spec["hostPath"].get("path", "")
            if not re.search(r"/tmp/.+", path):
                raise VolumeError(f"host_path deleter only supports /tmp/.+ but received provided {path}")
            return True
        problem = "no deletable volume plugin matched" if any(spec.get(s) for s in UNDELETABLE_SOURCES) else \
            "no volume plugin matched"
        raise VolumeError(f'error getting deleter volume plugin for volume "{name}": {problem}')

    # -- provisioning ------------------------------------------------------------------------------------
    async def provision_claim(self, claim: dict) -> None:
        if not self.enable_dynamic_provisioning:
            return
        key, uid = meta_namespace_key(claim), claim["metadata"].get("uid")
        sc, problem = self.find_provisionable_plugin(claim)
        if problem:
            self.recorder.event(claim, "Warning", "ProvisioningFailed", problem)
            return
        self.operations.run(f"provision-{key}[{uid}]",
                            lambda: self.provision_claim_operation_external(claim, sc), self.owner)

    def find_provisionable_plugin(self, claim: dict) -> tuple[Optional[dict], str]:
        """(the class, "") for an external provisioner; (class, why not) when none can provision. k8slite has
        no in-tree provisioners, so every ``kubernetes.io/`` name fails as an unknown plugin would."""
        name = claim_class(claim)
        sc = self.class_informer.lister.get("", name)
        if sc is None:
            return None, f'storageclass.storage.k8s.io "{name}" not found'
        provisioner = sc.get("provisioner", "")
        if provisioner.startswith("kubernetes.io/"):
            return sc, f"no volume plugin matched name: {provisioner}"
        return sc, ""

    async def provision_claim_operation_external(self, claim: dict, sc: dict) -> None:
        provisioner = sc.get("provisioner", "")
        try:
            claim = await self.set_claim_provisioner(claim, provisioner)
        except errors.StatusError as error:
            self.recorder.event(claim, "Warning", "ProvisioningFailed", f"Error saving claim: {error}")
            raise
        self.recorder.event(claim, "Normal", "ExternalProvisioning",
                            f"Waiting for a volume to be created either by the external provisioner "
                            f"'{provisioner}' or manually by the system administrator. If volume creation is "
                            f"delayed, please verify that the provisioner is running and correctly registered.")

    async def set_claim_provisioner(self, claim: dict, provisioner: str) -> dict:
        if _annotations(claim).get(ANN_STORAGE_PROVISIONER) == provisioner:
            return claim
        clone = copy.deepcopy(claim)
        annotations = clone["metadata"].setdefault("annotations", {})
        annotations[ANN_BETA_STORAGE_PROVISIONER] = provisioner
        annotations[ANN_STORAGE_PROVISIONER] = provisioner
        updated = await self.client.update(PVCS, clone)
        store_object_update(self.claims, updated)
        return updated


def check_volume_satisfy_claim(volume: dict, claim: dict) -> str:
    """checkVolumeSatisfyClaim: why a volume the claim asked for by name cannot serve it, or ""."""
    if volume["metadata"].get("deletionTimestamp"):
        return f'the volume is marked for deletion "{volume["metadata"]["name"]}"'
    if -(-volume_capacity(volume) // 1) < -(-storage_request(claim) // 1):     # Value(): rounded up
        return "requested PV is too small"
    if volume_class(volume) != claim_class(claim):
        return "storageClassName does not match"
    if check_volume_mode_mismatches(claim["spec"], volume["spec"]):
        return "incompatible volumeMode"
    if not check_access_modes(claim, volume):
        return "incompatible accessMode"
    return ""


class _VolumeWorker(Controller):
    """The volume queue's one worker (``volumeWorker``)."""
    NAME = "persistentvolume-binder-volumes"
    RETRY_ON = PersistentVolumeController.RETRY_ON

    def __init__(self, ctrl: PersistentVolumeController):
        super().__init__(ctrl.kernel, workers=1)
        self.ctrl = ctrl

    def handle_error(self, key: str, error: Exception) -> None:
        self.ctrl.handle_error(key, error)

    async def sync(self, key: str) -> None:
        await self.ctrl.sync_volume_key(key)


# -- the external provisioner ---------------------------------------------------------------------------
class ProvisioningError(Exception):
    """Provisioning failed; ``final`` says whether to stop retrying this claim."""

    def __init__(self, message: str, final: bool = False):
        super().__init__(message)
        self.final = final


class LocalPathProvisioner(Controller):
    """sig-storage-lib-external-provisioner's ProvisionController around rancher's local-path Provision/Delete.

    Keys are ``claim/<namespace>/<name>`` and ``volume/<name>``. Invariant: a claim is provisioned at most
    once, because the PV's name is derived from the claim's uid and an existing PV is reused.
    """
    NAME = "local-path-provisioner"
    PROVISIONER = "rancher.io/local-path"
    EVENT_COMPONENT = "rancher.io/local-path_local-path-provisioner"
    BASE_PATH = "/opt/local-path-provisioner"
    FAILED_THRESHOLD = 15           # failedProvisionThreshold, failedDeleteThreshold
    RETRY_ON = (errors.StatusError, Timeout, ProvisioningError)

    def __init__(self, kernel: Kernel, client: Client, factory: SharedInformerFactory, recorder: EventRecorder):
        super().__init__(kernel, workers=4)
        self.client, self.recorder = client, recorder
        self.provisioned: dict[str, None] = {}     # PVs this provisioner created (the lib's ctrl.volumes.Add)
        self.claim_informer = factory.informer(PVCS)
        self.volume_informer = factory.informer(PVS)
        self.class_informer = factory.informer(CLASSES)
        self.node_informer = factory.informer(NODES)
        self.claim_informer.add_event_handler(
            lambda c: self.enqueue("claim/" + meta_namespace_key(c)),
            lambda old, new: self.enqueue("claim/" + meta_namespace_key(new)))
        self.volume_informer.add_event_handler(
            lambda v: self.enqueue("volume/" + v["metadata"]["name"]),
            lambda old, new: self.enqueue("volume/" + new["metadata"]["name"]))

    def handle_error(self, key: str, error: Exception) -> None:
        if isinstance(error, ProvisioningError) and error.final:
            self.queue.forget(key)
        elif self.queue.num_requeues(key) < self.FAILED_THRESHOLD:
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)    # give up until the claim or volume changes again

    async def sync(self, key: str) -> None:
        kind, _, rest = key.partition("/")
        if kind == "claim":
            namespace, name = rest.split("/", 1)
            claim = self.claim_informer.lister.get(namespace, name)
            if claim is not None and self.should_provision(claim):
                await self.provision_claim_operation(claim)
        else:
            volume = self.volume_informer.lister.get("", rest)
            if volume is not None and self.should_delete(volume):
                await self.delete_volume_operation(volume)

    def should_provision(self, claim: dict) -> bool:
        if claim["spec"].get("volumeName"):
            return False
        annotations = _annotations(claim)
        provisioner = annotations.get(ANN_STORAGE_PROVISIONER, annotations.get(ANN_BETA_STORAGE_PROVISIONER))
        if provisioner != self.PROVISIONER:
            return False
        sc = self.class_informer.lister.get("", claim_class(claim))
        if sc is None:
            return False
        if binding_mode(sc) == "WaitForFirstConsumer":
            return bool(annotations.get(ANN_SELECTED_NODE))
        return True

    async def provision_claim_operation(self, claim: dict) -> None:
        class_name = claim_class(claim)
        pv_name = "pvc-" + claim["metadata"]["uid"]
        if pv_name in self.provisioned or self.volume_informer.lister.get("", pv_name) is not None:
            return                                  # already provisioned
        if claim["spec"].get("volumeMode") == "Block":
            message = f"{self.PROVISIONER} does not support block volume provisioning"
            self.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            raise ProvisioningError(message, final=True)
        sc = self.class_informer.lister.get("", class_name)
        if sc is None or sc.get("provisioner") != self.PROVISIONER:
            return
        node = None
        node_name = _annotations(claim).get(ANN_SELECTED_NODE)
        if node_name:
            node = self.node_informer.lister.get("", node_name)
            if node is None:                        # ProvisioningReschedule: let the scheduler pick again
                self.recorder.event(claim, "Warning", "ProvisioningFailed",
                                    f'failed to provision volume with StorageClass "{class_name}": '
                                    f'nodes "{node_name}" not found')
                clone = copy.deepcopy(claim)
                del clone["metadata"]["annotations"][ANN_SELECTED_NODE]
                await self.client.update(PVCS, clone)
                raise ProvisioningError(f'nodes "{node_name}" not found', final=True)
        self.recorder.event(claim, "Normal", "Provisioning",
                            f'External provisioner is provisioning volume for claim "{meta_namespace_key(claim)}"')
        try:
            volume = self.provision(claim, sc, node, pv_name)
        except ProvisioningError as error:
            message = f'failed to provision volume with StorageClass "{class_name}": {error}'
            self.recorder.event(claim, "Warning", "ProvisioningFailed", message)
            raise ProvisioningError(message) from error
        volume["spec"]["claimRef"] = get_reference(claim)
        volume["metadata"].setdefault("annotations", {})[ANN_DYNAMICALLY_PROVISIONED] = self.PROVISIONER
        volume["spec"]["storageClassName"] = class_name
        try:
            await self.client.create(PVS, "", volume)
        except errors.StatusError as error:
            if error.code != 409 or error.reason != "AlreadyExists":
                raise
        self.provisioned[pv_name] = None
        self.recorder.event(claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}")

    def provision(self, claim: dict, sc: dict, node: Optional[dict], pv_name: str) -> dict:
        """local-path's Provision: a directory on the selected node, as a hostPath volume pinned to it."""
        spec = claim["spec"]
        if spec.get("selector") is not None:
            raise ProvisioningError("claim.Spec.Selector is not supported")
        for mode in spec.get("accessModes") or ():
            if mode not in ("ReadWriteOnce", "ReadWriteOncePod"):
                raise ProvisioningError("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) "
                                        "access modes")
        if node is None:
            raise ProvisioningError("configuration error, no node was specified")
        meta = claim["metadata"]
        path = f"{self.BASE_PATH}/{pv_name}_{meta['namespace']}_{meta['name']}"
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        return {
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name},
            "spec": {
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
                "accessModes": list(spec.get("accessModes") or ()),
                "volumeMode": "Filesystem",
                "capacity": {"storage": storage} if storage is not None else {},
                "hostPath": {"path": path, "type": "DirectoryOrCreate"},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [node["metadata"]["name"]]}]}]}},
            },
        }

    def should_delete(self, volume: dict) -> bool:
        if volume["metadata"].get("deletionTimestamp"):
            return False
        if (volume.get("status") or {}).get("phase") != "Released":
            return False
        if volume["spec"].get("persistentVolumeReclaimPolicy") != "Delete":
            return False
        return _annotations(volume).get(ANN_DYNAMICALLY_PROVISIONED) == self.PROVISIONER

    async def delete_volume_operation(self, volume: dict) -> None:
        name = volume["metadata"]["name"]
        try:
            fresh = await self.client.get(PVS, "", name)
        except errors.StatusError:
            return
        if not self.should_delete(fresh):
            return
        try:
            await self.client.delete(PVS, "", name)
        except errors.StatusError as error:
            if error.code != 404:
                raise

