"""The command line.

``python -m k8slite demo`` prints the hops of creating a Deployment;
``python -m k8slite serve --nodes 3 --port 6443 --kubeconfig ./kubeconfig`` runs a
cluster on the wall clock and serves its API over HTTPS for the real kubectl.
"""
from __future__ import annotations

import argparse
import sys

DEMO_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""


def demo(args) -> int:
    from . import Cluster
    from .viz.sequence import sequence_table
    cluster = Cluster.up(nodes=args.nodes, seed=args.seed)
    print(f"$ kubectl get nodes\n{cluster.kubectl('get nodes')}")
    start = len(cluster.trace)
    print(f"$ kubectl apply -f nginx-deployment.yaml\n{cluster.kubectl.apply(DEMO_DEPLOYMENT)}\n")
    cluster.run(seconds=30)
    root = next(h for h in cluster.trace.hops[start:] if h.src == "kubectl" and h.kind == "POST")
    tree = cluster.trace.tree(root.id)
    if not args.all:
        tree = [h for h in tree if h.kind not in ("reply",) and "events" not in h.summary and h.dst != "etcd"
                and h.src != "etcd"]
    print(f"The hops caused by that POST ({len(cluster.trace.tree(root.id))} in all"
          f"{'' if args.all else '; replies, events and etcd traffic hidden, --all shows them'}):\n")
    print(sequence_table(tree))
    print(f"\n$ kubectl get pods -o wide\n{cluster.kubectl('get pods -o wide')}")
    return 0


def serve(args) -> int:
    import signal
    import threading
    from .serve import Server
    server = Server(nodes=args.nodes, port=args.port, kubeconfig=args.kubeconfig, speed=args.speed, seed=args.seed,
                    etcd_url=args.etcd, tls=not args.insecure)
    server.start()
    print(f"k8slite API server listening on {server.url}")
    if args.kubeconfig:
        print(f"kubeconfig written to {args.kubeconfig}: kubectl --kubeconfig {args.kubeconfig} get nodes")
    print("Ctrl-C stops it.", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):     # Ctrl-C, or kill: stop cleanly either way
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        pass
    server.stop()
    print("stopped")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m k8slite")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="print the hops of creating a Deployment, from kubectl to running containers")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--all", action="store_true", help="show every hop, replies and etcd traffic included")
    p.set_defaults(func=demo)
    p = sub.add_parser("serve", help="run a cluster on the wall clock and serve its API over HTTPS")
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--port", type=int, default=6443, help="the secure port (0: any free port)")
    p.add_argument("--kubeconfig", help="write the admin's kubeconfig here")
    p.add_argument("--speed", type=float, default=1.0, help="virtual seconds per wall second")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--etcd", help="store in a real etcd at this URL (its HTTP gateway) instead of k8slite's")
    p.add_argument("--insecure", action="store_true", help="plain HTTP without authentication (for debugging)")
    p.set_defaults(func=serve)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
