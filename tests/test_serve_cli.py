"""``python -m k8slite serve``: prints its URL, writes a working kubeconfig, stops cleanly on Ctrl-C."""
from __future__ import annotations

import signal
import subprocess
import sys

from kubernetes import client, config


def test_serve_answers_with_its_kubeconfig_and_stops_on_ctrl_c(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "k8slite", "serve", "--nodes", "1", "--port", "0",
                                "--kubeconfig", str(kubeconfig)], stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("k8slite API server listening on https://127.0.0.1:")
        api = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
        assert [n.metadata.name for n in api.list_node().items] == ["control-plane", "node-1"]
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0 and out.strip().endswith("stopped")
    finally:
        if process.poll() is None:
            process.kill()
