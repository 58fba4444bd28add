"""A smoke run of ``benchmarks/scheduler.py`` (scheduler_perf's workloads) at a tiny size: every
measured pod gets bound and the output ends as the benchmark promises. No timing is asserted."""
from __future__ import annotations

import importlib.util
import pathlib
import re
import sys

BENCHMARK = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "scheduler.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_scheduler", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_measured_pod_of_each_workload_is_bound_and_the_last_line_gives_pods_per_second(capsys):
    bench = load_benchmark()
    # 50 nodes: room for the anti-affinity workload's 10 init and 40 measured pods, one per node,
    # once InterPodAffinity enforces it
    results = bench.main(["--all", "--nodes", "50", "--pods", "40", "--default-gc"])
    lines = capsys.readouterr().out.splitlines()
    assert [r.workload.key for r in results] == ["basic", "nodeaffinity", "podantiaffinity"]
    for r in results:
        assert (r.nodes, r.measure_pods, r.bound) == (50, 40, 40), r.workload.key
        assert r.attempts == 40 and r.wall > 0
    assert re.fullmatch(r"pods_per_second: \d+\.\d", lines[-1])
    assert float(lines[-1].split()[-1]) == round(results[0].pods_per_second, 1)
    assert [line.split(":")[0] for line in lines[-4:-1]] == \
        ["pods_per_second_basic", "pods_per_second_nodeaffinity", "pods_per_second_podantiaffinity"]


def test_the_init_pods_scale_with_the_nodes_as_upstream_has_them_per_5000_nodes():
    bench = load_benchmark()
    result = bench.run(bench.WORKLOADS["nodeaffinity"], nodes=10, measure_pods=15)
    assert (result.init_pods, result.bound) == (10, 15)       # 5000 init pods per 5000 nodes
