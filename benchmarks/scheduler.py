"""How fast does k8slite's kube-scheduler place pods: scheduler_perf's throughput workloads.

Run on demand (not a test)::

    python benchmarks/scheduler.py --workload basic|nodeaffinity|podantiaffinity [--nodes N] [--pods M]
    python benchmarks/scheduler.py --all

It prints a table (ours against upstream's threshold per workload) and, as the last line,
``pods_per_second: X`` (with ``--all``, the basic workload's figure, after one
``pods_per_second_<workload>: X`` line each).

Mirrors kubernetes ``test/integration/scheduler_perf``: the workloads and thresholds of the
config at master (``misc/performance-config.yaml``, ``affinity/performance-config.yaml``), and in
brackets the thresholds of the first config that had any (mid-2024, the v1.31 era, when all
of it was ``config/performance-config.yaml``):

- SchedulingBasic/5000Nodes_10000Pods: 5000 nodes, 1000 init pods, 10000 measured pods of
  ``templates/pod-default.yaml``; threshold 680 pods/s (270).
- SchedulingNodeAffinity/5000Nodes_10000Pods: 5000 nodes of ``templates/node-default.yaml``
  labelled ``topology.kubernetes.io/zone=zone1`` (labelNodePrepareStrategy), 5000 init and
  10000 measured pods of ``templates/pod-with-node-affinity.yaml`` (required zone In
  [zone1, zone2]); threshold 220 (220).
- SchedulingPodAntiAffinity/5000Nodes_2000Pods: 5000 nodes, 1000 init pods in namespace
  sched-0 and 2000 measured in sched-1 of ``templates/pod-with-pod-anti-affinity.yaml``
  (label color=green, required anti-affinity to color=green in both namespaces on
  ``kubernetes.io/hostname``); threshold 60 (70).

The nodes are ``makeBaseNode``/``node-default.yaml``: capacity pods 110, cpu 4, memory 32Gi,
Ready, and the ``kubernetes.io/hostname`` label the node preparer adds; every pod
requests 100m cpu and 500Mi memory. As in scheduler_perf there are no kubelets: etcd, the
API server (ServiceAccount and Priority admission disabled, as ``mustSetupCluster`` does) and
the scheduler with its default profile and adaptive ``percentageOfNodesToScore``, without
leader election. Pods are created by 30 concurrent clients (``testutils.CreatePod``); the init
pods are all bound before the measured ones are created.

The figure is measured pods bound per wall second, from the first measured pod's create to
the scheduler's last binding of them. Upstream's ``SchedulingThroughput`` averages
one-second samples of the same count. Unlike upstream, one Python thread runs everything, so
the wall time also pays for the API server, etcd, the watch cache and the informers (Go runs
them on other cores): the table also gives the wall time inside ``schedule_one`` alone.

Python's cyclic garbage collector is tuned as in ``benchmarks/etcd.py`` (a young generation
of 100,000 allocations; ``--default-gc`` keeps Python's); ``--profile FILE`` writes a cProfile
of the measured phase and prints its top functions.
"""
from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import io
import pstats
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

from k8slite import Cluster
from k8slite.api.meta import generate_name
from k8slite.api.scheme import SCHEME
from k8slite.scheduler.scheduler import Scheduler, num_feasible_nodes_to_find
from k8slite.sim import Timeout

NODES = SCHEME.by_resource("", "nodes")
PODS = SCHEME.by_resource("", "pods")
NAMESPACES = SCHEME.by_resource("", "namespaces")
CREATORS = 30          # test/utils/runners.go CreatePod: workqueue.ParallelizeUntil(ctx, 30, ...)
POLL = 0.001           # virtual seconds between checks of the scheduler's binding count

_CONTAINER = {"image": "registry.k8s.io/pause:3.10", "name": "pause", "ports": [{"containerPort": 80}],
              "resources": {"limits": {"cpu": "100m", "memory": "500Mi"},
                            "requests": {"cpu": "100m", "memory": "500Mi"}}}
POD_DEFAULT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "pod-"},
               "spec": {"containers": [_CONTAINER]}}
POD_WITH_NODE_AFFINITY = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "node-affinity-"},
    "spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In",
                               "values": ["zone1", "zone2"]}]}]}}},
             "containers": [_CONTAINER]}}
POD_WITH_POD_ANTI_AFFINITY = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "anti-affinity-pod-", "labels": {"color": "green"}},
    "spec": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"color": "green"}}, "topologyKey": "kubernetes.io/hostname",
         "namespaces": ["sched-1", "sched-0"]}]}},
             "containers": [_CONTAINER]}}


@dataclass(frozen=True)
class Workload:
    """One scheduler_perf test case at its ``performance`` size, and its threshold (pods/s)."""
    key: str
    name: str
    case: str
    nodes: int
    init_pods: int
    measure_pods: int
    threshold: int                 # at master
    threshold_2024: int            # the first config with thresholds
    pod: dict
    namespaces: tuple              # (init pods', measured pods'): namespace-<op index> unless the op names one
    node_labels: dict = field(default_factory=dict)
    plugin: str = ""               # the plugin that must be in the default profile for the figure to compare


WORKLOADS = {
    "basic": Workload("basic", "SchedulingBasic", "5000Nodes_10000Pods", 5000, 1000, 10000, 680, 270,
                      POD_DEFAULT, ("namespace-1", "namespace-2")),
    "nodeaffinity": Workload("nodeaffinity", "SchedulingNodeAffinity", "5000Nodes_10000Pods", 5000, 5000, 10000,
                             220, 220, POD_WITH_NODE_AFFINITY, ("namespace-1", "namespace-2"),
                             {"topology.kubernetes.io/zone": "zone1"}, "NodeAffinity"),
    "podantiaffinity": Workload("podantiaffinity", "SchedulingPodAntiAffinity", "5000Nodes_2000Pods", 5000, 1000,
                                2000, 60, 70, POD_WITH_POD_ANTI_AFFINITY, ("sched-0", "sched-1"),
                                plugin="InterPodAffinity"),
}


@dataclass
class Result:
    workload: Workload
    nodes: int
    init_pods: int
    measure_pods: int
    bound: int = 0                 # measured pods bound
    wall: float = 0.0              # wall seconds, first measured create to last bound
    virtual: float = 0.0           # virtual seconds over the same span
    cycle: float = 0.0             # wall seconds inside schedule_one for the measured phase
    attempts: int = 0              # scheduling attempts in the measured phase
    setup: float = 0.0             # wall seconds to build the cluster, nodes and init pods
    enforced: bool = True          # the workload's plugin is in the default profile
    shared_nodes: int = 0          # podantiaffinity: nodes holding more than one color=green pod
    profile: Optional[str] = None

    @property
    def pods_per_second(self) -> float:
        return self.bound / self.wall if self.wall else 0.0


def _node(name: str, labels: dict) -> dict:
    """``makeBaseNode`` / ``node-default.yaml``, with the hostname label the node preparer adds."""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {**labels, "kubernetes.io/hostname": name}},
            "spec": {},
            "status": {"capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}], "phase": "Running"}}


def _create_all(cluster: Cluster, info, namespace: str, bodies: list) -> None:
    """Create ``bodies`` through the admin client with CREATORS concurrent workers; drive the
    kernel until every create has been answered."""
    kernel, admin = cluster.kernel, cluster.admin
    items = iter(bodies)

    async def worker() -> None:
        for body in items:
            await admin.create(info, namespace, body)
    tasks = [kernel.spawn(worker(), "createPods", cause=None) for _ in range(min(CREATORS, len(bodies)))]
    for task in tasks:
        kernel.run_until_complete(task)


def _wait_bound(cluster: Cluster, scheduler: Scheduler, target: int, limit: float) -> bool:
    """Drive the kernel until the scheduler has bound ``target`` pods (or ``limit`` virtual seconds pass)."""
    kernel = cluster.kernel

    async def poll() -> None:
        while scheduler.scheduled < target:
            await kernel.sleep(POLL)
    try:
        kernel.run_until_complete(poll(), limit=limit)
        return True
    except Timeout:
        return False


def run(workload: Workload, nodes: Optional[int] = None, measure_pods: Optional[int] = None,
        init_pods: Optional[int] = None, seed: int = 1, trace: bool = False, limit: float = 3600.0,
        profile: Optional[str] = None) -> Result:
    """One workload on a fresh cluster; sizes default to the upstream performance case (init pods
    scale with ``nodes``)."""
    nodes = workload.nodes if nodes is None else nodes
    measure_pods = workload.measure_pods if measure_pods is None else measure_pods
    if init_pods is None:
        init_pods = max(1, workload.init_pods * nodes // workload.nodes)
    result = Result(workload, nodes, init_pods, measure_pods)
    t0 = time.perf_counter()
    cluster = Cluster(seed=seed, trace=trace)
    cluster.add_etcd()
    apiserver = cluster.add_apiserver()
    apiserver.admission.disable("ServiceAccount", "Priority")    # mustSetupCluster's --disable-admission-plugins
    cluster.run(seconds=1)
    scheduler = Scheduler(cluster.kernel, cluster.network, leader_elect=False)
    scheduler.start()
    cluster.scheduler = scheduler
    cluster.components[scheduler.name] = scheduler
    result.enforced = not workload.plugin or any(
        getattr(p, "NAME", "") == workload.plugin for p in scheduler.profile.filters)

    rng = cluster.kernel.rng
    node_bodies = [_node(generate_name("scheduler-perf-", rng), workload.node_labels) for _ in range(nodes)]
    _create_all(cluster, NODES, "", node_bodies)
    _create_all(cluster, NAMESPACES, "", [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                                          for ns in workload.namespaces])
    init_ns, measure_ns = workload.namespaces
    _create_all(cluster, PODS, init_ns, [copy.deepcopy(workload.pod) for _ in range(init_pods)])
    if not _wait_bound(cluster, scheduler, init_pods, limit):
        raise RuntimeError(f"only {scheduler.scheduled} of {init_pods} init pods were bound")
    result.setup = time.perf_counter() - t0

    bodies = [copy.deepcopy(workload.pod) for _ in range(measure_pods)]
    cycle = [0.0]
    schedule_one = scheduler.schedule_one

    def timed_schedule_one(qinfo) -> None:
        start = time.perf_counter()
        schedule_one(qinfo)
        cycle[0] += time.perf_counter() - start
    scheduler.schedule_one = timed_schedule_one     # instance attribute: the loop calls self.schedule_one
    attempts0, bound0, v0 = scheduler.attempts, scheduler.scheduled, cluster.now
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    # the creators and the scheduler interleave on the kernel, as upstream's run concurrently
    creators = iter(bodies)

    async def worker() -> None:
        for body in creators:
            await cluster.admin.create(PODS, measure_ns, body)
    for _ in range(min(CREATORS, measure_pods)):
        cluster.kernel.spawn(worker(), "createPods", cause=None)
    _wait_bound(cluster, scheduler, bound0 + measure_pods, limit)
    result.wall = time.perf_counter() - start
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
        result.profile = profile
    result.virtual = cluster.now - v0
    result.bound = scheduler.scheduled - bound0
    result.attempts = scheduler.attempts - attempts0
    result.cycle = cycle[0]
    scheduler.schedule_one = schedule_one
    if workload.key == "podantiaffinity":
        per_node: dict[str, int] = {}
        for pod in cluster.objects("pods"):
            if (pod["metadata"].get("labels") or {}).get("color") == "green" and pod["spec"].get("nodeName"):
                per_node[pod["spec"]["nodeName"]] = per_node.get(pod["spec"]["nodeName"], 0) + 1
        result.shared_nodes = sum(1 for n in per_node.values() if n > 1)
    return result


def table(results: list[Result]) -> list[str]:
    """One column per workload: what ran, how fast, against upstream."""
    def fmt(x: float) -> str:
        return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"
    rows: list[tuple[str, list[str]]] = [
        ("upstream test", [r.workload.name for r in results]),
        ("upstream workload", [r.workload.case for r in results]),
        ("upstream nodes / init / measured pods",
         [f"{r.workload.nodes} / {r.workload.init_pods} / {r.workload.measure_pods}" for r in results]),
        ("our nodes / init / measured pods", [f"{r.nodes} / {r.init_pods} / {r.measure_pods}" for r in results]),
        ("nodes to find (adaptive %)", [str(num_feasible_nodes_to_find(0, r.nodes)) for r in results]),
        ("wall seconds: setup", [f"{r.setup:.1f}" for r in results]),
        ("wall seconds: measured pods", [f"{r.wall:.2f}" for r in results]),
        ("virtual seconds: measured pods", [f"{r.virtual:.2f}" for r in results]),
        ("measured pods bound", [f"{r.bound}/{r.measure_pods}" for r in results]),
        ("scheduling attempts", [str(r.attempts) for r in results]),
        ("wall seconds in schedule_one", [f"{r.cycle:.2f} ({100 * r.cycle / r.wall:.0f}%)" if r.wall else "-"
                                          for r in results]),
        ("pods/s if only schedule_one ran", [fmt(r.bound / r.cycle) if r.cycle else "-" for r in results]),
        ("pods/s (ours, wall)", [fmt(r.pods_per_second) for r in results]),
        ("upstream threshold pods/s (mid-2024)", [f"{r.workload.threshold} ({r.workload.threshold_2024})"
                                               for r in results]),
        ("ours / threshold", [f"{r.pods_per_second / r.workload.threshold:.2f}" for r in results]),
    ]
    if any(r.workload.key == "podantiaffinity" for r in results):
        rows.append(("nodes with >1 color=green pod",
                     [str(r.shared_nodes) if r.workload.key == "podantiaffinity" else "-" for r in results]))
    width = max(len(name) for name, _ in rows)
    cols = [max(len(r.workload.key), *(len(v[i]) for _, v in rows)) for i, r in enumerate(results)]
    lines = [f"{'':<{width}}  " + "  ".join(f"{r.workload.key:>{c}}" for r, c in zip(results, cols))]
    for name, values in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{v:>{c}}" for v, c in zip(values, cols)))
    for r in results:
        if not r.enforced:
            lines.append(f"note: {r.workload.key}: the {r.workload.plugin} plugin is not in the default profile yet, "
                         f"so the pods' required anti-affinity is not enforced and the figure is not comparable")
        if r.workload.key == "podantiaffinity" and r.init_pods + r.measure_pods > r.nodes:
            lines.append(f"note: {r.workload.key}: {r.init_pods + r.measure_pods} pods on {r.nodes} nodes: with the "
                         f"anti-affinity enforced, at most one per node can be bound")
        if r.bound < r.measure_pods:
            lines.append(f"note: {r.workload.key}: only {r.bound} of {r.measure_pods} measured pods were bound")
    return lines


def print_profile(path: str, top: int = 30) -> None:
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(out.getvalue(), file=sys.stderr)


def main(argv: Optional[list] = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="basic")
    parser.add_argument("--all", action="store_true", help="run the three workloads, side by side")
    parser.add_argument("--nodes", type=int, help="nodes (default: upstream's 5000)")
    parser.add_argument("--pods", type=int, help="measured pods (default: upstream's for the workload)")
    parser.add_argument("--init-pods", type=int, help="init pods (default: upstream's, scaled with --nodes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trace", action="store_true", help="record hops (scheduler_perf traces nothing)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured phase into FILE (per workload)")
    parser.add_argument("--default-gc", action="store_true", help="keep Python's default GC thresholds")
    args = parser.parse_args(argv)
    if not args.default_gc:
        gc.set_threshold(100_000, 50, 100)
    keys = ["basic", "nodeaffinity", "podantiaffinity"] if args.all else [args.workload]
    results = []
    for key in keys:
        profile = None
        if args.profile:
            profile = args.profile if len(keys) == 1 else f"{args.profile}.{key}"
        results.append(run(WORKLOADS[key], args.nodes, args.pods, args.init_pods, args.seed, args.trace,
                           profile=profile))
        if profile:
            print_profile(profile)
    print(f"gc thresholds: {gc.get_threshold()}")
    for line in table(results):
        print(line)
    if len(results) > 1:
        for r in results:
            print(f"pods_per_second_{r.workload.key}: {r.pods_per_second:.1f}")
    print(f"pods_per_second: {results[0].pods_per_second:.1f}")
    return results


if __name__ == "__main__":
    main()
