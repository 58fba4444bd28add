#!/bin/sh
# Debian's kubectl 1.20 (package kubernetes-client), unpacked into $1 without installing it:
# the machine's /usr/bin/kubectl (1.27-1.33) stays as it is. The server-mode tests run both.
# Needs apt-get and dpkg (Debian); elsewhere it says so and the 1.20 tests skip (CI=true: fail).
set -e
dest=$1
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "fetch-kubectl-1.20: no apt-get/dpkg here; the kubectl 1.20 tests will skip" >&2
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1) || {
    echo "fetch-kubectl-1.20: apt-get download kubernetes-client failed; the kubectl 1.20 tests will skip" >&2
    exit 0
}
mkdir -p "$dest"
dpkg -x "$tmp"/kubernetes-client_*.deb "$tmp/root"
cp "$tmp/root/usr/bin/kubectl" "$dest/kubectl"
"$dest/kubectl" version --client 2>/dev/null | head -1
