"""Where the real peers are: kubectl binaries by version, and how a test that lacks one behaves.

Locally a missing peer skips with its reason; in CI (``CI=true``) it fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GCLOUD_BIN = Path("/usr/lib/google-cloud-sdk/bin")
VERSIONS = ("1.20", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33")


def kubectl_path(version: str) -> str | None:
    if version == "1.20":
        candidate = ROOT / ".venv" / "kubectl-1.20" / "kubectl"
        return str(candidate) if candidate.exists() else None
    candidate = GCLOUD_BIN / f"kubectl.{version}"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("kubectl")
    if found:
        out = subprocess.run([found, "version", "--client"], capture_output=True, text=True).stdout
        if f"v{version}." in out:
            return found
    return None


def require(path: str | None, what: str) -> str:
    """``path``, or skip (locally) / fail (CI=true) saying what is missing."""
    if path:
        return path
    reason = f"{what} is not on this machine (`make test` fetches kubectl 1.20; the image has 1.27-1.33)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
