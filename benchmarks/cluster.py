"""Bring up a big cluster and a big Deployment; report wall time and peak memory.

Run on demand (not a test): ``python benchmarks/cluster.py --nodes 1000 --pods 10000``.
The last line is ``seconds_to_running: X`` (wall seconds from the Deployment's create
to every pod Running).
"""
from __future__ import annotations

import argparse
import resource
import time

from k8slite import Cluster
from k8slite.api.scheme import SCHEME


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-trace", action="store_true", help="do not record hops")
    args = parser.parse_args()

    t0 = time.perf_counter()
    cluster = Cluster.up(nodes=args.nodes, seed=args.seed, trace=not args.no_trace)
    t_up = time.perf_counter() - t0
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
                  "spec": {"replicas": args.pods, "selector": {"matchLabels": {"app": "bench"}},
                           "template": {"metadata": {"labels": {"app": "bench"}},
                                        "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9",
                                                                 "resources": {"requests": {"cpu": "10m",
                                                                                            "memory": "16Mi"}}}]}}}}

    async def create():
        return await cluster.admin.create(SCHEME.by_resource("apps", "deployments"), "default", deployment)
    t1 = time.perf_counter()
    v_start = cluster.now
    cluster.kernel.run_until_complete(create())
    registry = cluster.apiserver.registries[("", "pods")]

    def all_running() -> bool:
        cache = registry.cacher
        return len(cache) >= args.pods and sum(1 for p in cache.objects()
                                               if p.get("status", {}).get("phase") == "Running") >= args.pods
    cluster.run_until(all_running, limit=3600, step=5.0)
    t_run = time.perf_counter() - t1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [("nodes", args.nodes), ("pods", args.pods), ("wall seconds: Cluster.up", f"{t_up:.1f}"),
            ("wall seconds: deployment to all Running", f"{t_run:.1f}"),
            ("virtual seconds to all Running", f"{cluster.now - v_start:.1f}"),
            ("kernel steps", cluster.kernel.steps), ("messages", cluster.network.messages),
            ("API requests", cluster.apiserver.requests), ("pods scheduled", cluster.scheduler.scheduled),
            ("peak memory (MiB)", f"{peak:.0f}")]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"seconds_to_running: {t_run:.1f}")


if __name__ == "__main__":
    main()
