"""The images a node can pull, and the small programs they run.

Mirrors what a registry plus containerd's image store give the kubelet: a reference
normalised to ``docker.io/library/nginx:1.14.2``, a size, and a digest. Each image's
"program" is a coroutine that writes log lines (what ``kubectl logs`` shows) and runs
until stopped, or exits with a code.

Simplified: the registry is a table; digests are derived from the reference; any
``registry.k8s.io``/``k8s.gcr.io`` image and the common Docker Hub images exist,
anything else is "not found".
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Optional

MB = 1_000_000

# Docker Hub repositories (library/ images and a few others) with their rough size.
KNOWN = {"nginx": 67 * MB, "busybox": 2 * MB, "httpd": 58 * MB, "redis": 45 * MB, "mysql": 160 * MB,
         "postgres": 150 * MB, "mongo": 250 * MB, "alpine": 3 * MB, "ubuntu": 29 * MB, "debian": 49 * MB,
         "python": 380 * MB, "node": 360 * MB, "memcached": 30 * MB, "perl": 330 * MB, "php": 180 * MB,
         "cassandra": 140 * MB, "elasticsearch": 400 * MB, "wordpress": 250 * MB, "traefik": 45 * MB,
         "vllm/vllm-openai": 4000 * MB, "tensorflow/serving": 200 * MB, "gcr.io/google-samples/gb-frontend": 130 * MB}
REGISTRY_PREFIXES = ("registry.k8s.io/", "k8s.gcr.io/", "gcr.io/", "quay.io/", "ghcr.io/")


def normalize(reference: str) -> str:
    """``docker.io/library/nginx:latest`` for ``nginx`` (containerd's reference normalisation)."""
    name, tag = reference, "latest"
    if "@" in reference:
        return reference if "/" in reference.split("@")[0] else f"docker.io/library/{reference}"
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


def repository(normalized: str) -> str:
    name = normalized.rsplit(":", 1)[0] if "@" not in normalized else normalized.split("@")[0]
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


@dataclass(frozen=True, slots=True)
class Image:
    reference: str          # normalised
    size: int
    digest: str

    @property
    def image_id(self) -> str:
        return f"{self.reference.rsplit(':', 1)[0]}@{self.digest}"


def lookup(reference: str) -> Optional[Image]:
    ref = normalize(reference)
    repo = repository(ref)
    size = KNOWN.get(repo)
    if size is None and ref.startswith(REGISTRY_PREFIXES):
        size = 20 * MB
    if size is None:
        return None
    digest = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
    return Image(ref, size, digest)


def program_for(image: Image) -> Callable:
    """The coroutine factory an image runs: ``program(ctx)`` where ctx has log() and sleep()."""
    repo = repository(image.reference)
    return PROGRAMS.get(repo, _sleeper)


async def _nginx(ctx) -> int:
    for line in ("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                 "/docker-entrypoint.sh: Configuration complete; ready for start up",
                 "nginx: [notice] start worker processes"):
        ctx.log(line)
    await ctx.forever()
    return 0


async def _sleeper(ctx) -> int:
    await ctx.forever()
    return 0


PROGRAMS = {"nginx": _nginx}
