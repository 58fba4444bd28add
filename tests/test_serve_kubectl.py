"""Server mode driven by the real kubectl: 1.20 (Debian's) and 1.27-1.33 (the machine image's).

Each version works in its own namespace of one server, through the commands a user
types, and checks kubectl's real output.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from k8slite.serve import Server

from realpeers import VERSIONS, kubectl_path, require

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: IMAGE
        ports: [{containerPort: 80}]
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {colour: blue}\n"
SERVICE = ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
           "spec: {selector: {app: web}, ports: [{port: 80, targetPort: 80}]}\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("kubectl")
    with Server(nodes=2, port=0, kubeconfig=str(home / "kubeconfig")) as s:
        yield s, home


class Kubectl:
    def __init__(self, binary: str, home: Path, namespace: str):
        self.binary, self.home, self.namespace = binary, home, namespace
        self.env = dict(os.environ, HOME=str(home / f"home-{namespace}"), KUBECONFIG=str(home / "kubeconfig"))

    def __call__(self, *args: str, ok: bool = True, stdin: str | None = None) -> str:
        result = subprocess.run([self.binary, "-n", self.namespace, *args], input=stdin, capture_output=True,
                                text=True, env=self.env, timeout=120)
        out = result.stdout + result.stderr
        if ok:
            assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{out}"
        else:
            assert result.returncode != 0, f"kubectl {' '.join(args)} should have failed:\n{out}"
        return out

    def until(self, predicate, *args: str, wall: float = 60.0) -> str:
        deadline = time.monotonic() + wall
        while True:
            out = self(*args)
            if predicate(out) or time.monotonic() > deadline:
                return out
            time.sleep(0.3)


def namespace_for(version: str) -> str:
    return "v" + version.replace(".", "-")


@pytest.mark.parametrize("version", VERSIONS)
def test_the_basics_work_with_every_kubectl(server, version):
    binary = require(kubectl_path(version), f"kubectl {version}")
    s, home = server
    kubectl = Kubectl(binary, home, namespace_for(version) + "-basics")
    version_out = kubectl("version")
    assert "Server Version:" in version_out and "v1.31.0-k8slite" in version_out
    nodes = kubectl("get", "nodes")
    assert nodes.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[:2] for line in nodes.splitlines()[1:]] == [
        ["control-plane", "Ready"], ["node-1", "Ready"], ["node-2", "Ready"]]
    kubectl("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {kubectl.namespace}}}\n")
    manifest = home / f"{kubectl.namespace}.yaml"
    manifest.write_text(CONFIGMAP)
    assert kubectl("apply", "-f", str(manifest)).strip() == "configmap/settings created"
    assert kubectl("apply", "-f", str(manifest)).strip() == "configmap/settings unchanged"
    assert kubectl("get", "configmap", "settings", "-o", "jsonpath={.data.colour}") == "blue"
    out = kubectl("delete", "configmap", "settings")
    assert out.strip() == 'configmap "settings" deleted'


@pytest.mark.parametrize("version", ["1.33", "1.27", "1.20"])
def test_a_user_session_with_real_output(server, version, tmp_path):
    binary = require(kubectl_path(version), f"kubectl {version}")
    s, home = server
    kubectl = Kubectl(binary, home, namespace_for(version))
    kubectl("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {kubectl.namespace}}}\n")
    deployment = tmp_path / "deployment.yaml"
    deployment.write_text(DEPLOYMENT.replace("IMAGE", "nginx:1.14.2"))
    (tmp_path / "service.yaml").write_text(SERVICE)

    assert kubectl("apply", "-f", str(deployment)).strip() == "deployment.apps/web created"
    assert kubectl("apply", "-f", str(deployment)).strip() == "deployment.apps/web unchanged"
    assert kubectl("create", "-f", str(tmp_path / "service.yaml")).strip() == "service/web created"
    exists = kubectl("create", "-f", str(tmp_path / "service.yaml"), ok=False)
    assert 'services "web" already exists' in exists and "AlreadyExists" in exists
    assert 'deployment "web" successfully rolled out' in kubectl("rollout", "status", "deployment/web",
                                                                 "--timeout=60s")

    pods = kubectl("get", "pods", "-o", "wide").splitlines()
    assert pods[0].split()[:6] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP"]
    assert len(pods) == 3 and all(p.split()[1:3] == ["1/1", "Running"] for p in pods[1:])
    names = kubectl("get", "pods", "-o", "name").split()
    assert len(names) == 2 and all(n.startswith("pod/web-") for n in names)
    assert "app=web" in kubectl("get", "pods", "--show-labels")
    assert any(line.split()[0] == kubectl.namespace and line.split()[1].startswith("web-")
               for line in kubectl("get", "pods", "-A").splitlines())
    assert "kind: Pod" in kubectl("get", names[0], "-o", "yaml")
    assert '"kind": "Pod"' in kubectl("get", names[0], "-o", "json")
    assert kubectl("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}") == "2"
    every = kubectl("get", "all")
    for part in ("pod/web-", "service/web", "deployment.apps/web", "replicaset.apps/web-"):
        assert part in every
    assert kubectl("get", "deployments").splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE",
                                                                      "AGE"]
    assert "ScalingReplicaSet" in kubectl("get", "events")

    described = kubectl("describe", "deployment", "web")
    assert "Replicas:               2 desired | 2 updated | 2 total | 2 available" in described
    assert any(line.split() == ["Status:", "Running"] for line in kubectl("describe", names[0]).splitlines())
    assert "Non-terminated Pods:" in kubectl("describe", "node", "node-1")
    assert "nginx" in kubectl("logs", names[0])

    assert kubectl("scale", "deployment/web", "--replicas=3").strip() == "deployment.apps/web scaled"
    kubectl.until(lambda out: out.strip() == "3", "get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}")
    deployment.write_text(DEPLOYMENT.replace("IMAGE", "nginx:1.25").replace("replicas: 2", "replicas: 3"))
    assert kubectl("apply", "-f", str(deployment)).strip() == "deployment.apps/web configured"
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    history = kubectl("rollout", "history", "deployment/web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    assert kubectl("rollout", "undo", "deployment/web").strip() == "deployment.apps/web rolled back"
    kubectl.until(lambda out: out == "nginx:1.14.2", "get", "deployment", "web", "-o",
                  "jsonpath={.spec.template.spec.containers[0].image}")

    assert kubectl("label", "deployment", "web", "tier=front").strip() == "deployment.apps/web labeled"
    # kubectl 1.26-1.27 print "annotate", later ones "annotated" (kubernetes/kubernetes#116427)
    assert kubectl("annotate", "deployment", "web", "owner=book").strip() in ("deployment.apps/web annotated",
                                                                             "deployment.apps/web annotate")
    assert kubectl("get", "deployment", "web", "-o", "jsonpath={.metadata.labels.tier}") == "front"

    deleted = kubectl("delete", "service", "web")
    assert deleted.strip() == 'service "web" deleted'
    assert kubectl("delete", "deployment", "web").strip() == 'deployment.apps "web" deleted'


def test_node_commands_and_permissions_with_the_newest_kubectl(server):
    binary = require(kubectl_path("1.33"), "kubectl 1.33")
    s, home = server
    kubectl = Kubectl(binary, home, "default")
    assert kubectl("taint", "nodes", "node-2", "dedicated=book:NoSchedule").strip() == "node/node-2 tainted"
    assert kubectl("taint", "nodes", "node-2", "dedicated=book:NoSchedule-").strip() == "node/node-2 untainted"
    assert kubectl("cordon", "node-2").strip() == "node/node-2 cordoned"
    assert "SchedulingDisabled" in kubectl("get", "node", "node-2")
    assert kubectl("uncordon", "node-2").strip() == "node/node-2 uncordoned"
    assert kubectl("auth", "can-i", "create", "pods").strip() == "yes"
    assert "*.*" in kubectl("auth", "can-i", "--list")
    assert "kubernetes-admin" in kubectl("auth", "whoami")
    token = kubectl("create", "token", "default").strip()
    assert token.count(".") == 2                                   # a signed JWT
    denied = kubectl("--token", token, "--client-certificate=", "--client-key=", "get", "pods", ok=False)
    assert ('User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" '
            'in the namespace "default"') in denied
    drained = kubectl("drain", "node-2", "--ignore-daemonsets", "--force")
    assert "node/node-2 cordoned" in drained and "node/node-2 drained" in drained
    assert kubectl("uncordon", "node-2").strip() == "node/node-2 uncordoned"
    resources = kubectl("api-resources")
    assert resources.splitlines()[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert any(line.split()[:2] == ["deployments", "deploy"] for line in resources.splitlines())
