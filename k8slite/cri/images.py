"""The images a node can pull, and the small programs they run.

Mirrors what a registry plus containerd's image store give the kubelet: a reference
normalised to ``docker.io/library/nginx:1.14.2``, a size, and a digest; and what the image
holds for a container's ``command``/``args`` (Kubernetes' "Define a Command and Arguments for
a Container": ``command`` replaces the image's ENTRYPOINT, ``args`` its CMD): its shell and
executables (``programs.py``). A container's process writes log lines (what ``kubectl logs``
shows) and runs until stopped, or exits with a code.

Simplified: the registry is a table; digests are derived from the reference; any
``registry.k8s.io``/``k8s.gcr.io`` image and the common Docker Hub images exist,
anything else is "not found". An image run without ``command``/``args`` keeps k8slite's
default (nginx serves, every other image idles until stopped) rather than its real CMD
(``busybox`` would run ``sh`` and exit at once); ENTRYPOINT scripts are taken to exec their
arguments.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Optional

from . import programs, web

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


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What an image holds for ``command``/``args``: its ``/bin/sh``, its executables, and whether that
    list is complete (``modeled``); in other images an executable k8slite does not know is taken for
    the image's own server (``redis-server``, ``mysqld``), which runs until stopped."""
    shell: str                      # "ash" (busybox) or "dash" (Debian)
    tools: frozenset
    modeled: bool


BUSYBOX_TOOLS = frozenset(programs.UTILITIES) | {"sh", "ash", "wget"}
DEBIAN_TOOLS = frozenset(programs.UTILITIES) | {"sh", "dash", "bash"}
CONFIGS = {
    "busybox": ImageConfig("ash", BUSYBOX_TOOLS, True),
    "alpine": ImageConfig("ash", BUSYBOX_TOOLS, True),
    "ubuntu": ImageConfig("dash", DEBIAN_TOOLS, True),
    "debian": ImageConfig("dash", DEBIAN_TOOLS, True),
    "perl": ImageConfig("dash", DEBIAN_TOOLS | {"perl"}, True),
    "python": ImageConfig("dash", DEBIAN_TOOLS | {"python", "python3"}, True),
    "nginx": ImageConfig("dash", DEBIAN_TOOLS | {"nginx", "docker-entrypoint.sh"}, True),
    "hpa-example": ImageConfig("dash", DEBIAN_TOOLS | {"apache2-foreground"}, True),
}
# Working-set memory of a running container, by repository (what cAdvisor would read from the cgroup).
WORKING_SET = {"nginx": 3_500_000, "hpa-example": 11_800_000, "busybox": 400_000, "alpine": 500_000,
               "redis": 3_000_000, "perl": 2_000_000, "python": 9_000_000}


def working_set(image: "Image") -> int:
    return WORKING_SET.get(repository(image.reference).rsplit("/", 1)[-1], 1_000_000)


def config_for(image: Image) -> ImageConfig:
    repo = repository(image.reference)
    tag = image.reference.rsplit(":", 1)[-1] if "@" not in image.reference else ""
    config = CONFIGS.get(repo) or CONFIGS.get(repo.rsplit("/", 1)[-1]) or \
        ImageConfig("dash", DEBIAN_TOOLS | {"docker-entrypoint.sh"}, False)
    if "alpine" in tag and config.shell != "ash":
        config = ImageConfig("ash", (config.tools - {"dash", "bash"}) | BUSYBOX_TOOLS, config.modeled)
    return config


class ExecNotFound(Exception):
    """The container's command names no executable in the image (runc: exec: "x": not found in $PATH)."""


@dataclass(frozen=True)
class Process:
    """PID 1 of a container: the argv it runs, the executable, and whether it exits on SIGTERM (a
    program that installs no handler ignores SIGTERM as PID 1 and dies only of the SIGKILL that
    follows the grace period)."""
    argv: tuple
    tool: Callable
    config: ImageConfig
    handles_sigterm: bool

    def lookup(self, name: str) -> Optional[Callable]:
        """Find ``name`` on the image's PATH (a path resolves by its last component)."""
        return lookup_in(self.config, name)


def lookup_in(config: ImageConfig, name: str) -> Optional[Callable]:
    base = name.rsplit("/", 1)[-1]
    if base in config.tools:
        return programs.tool(base, config.shell)
    return None if config.modeled else programs.serve_forever


def process_for(image: Image, command: Optional[list] = None, args: Optional[list] = None) -> Process:
    """The process a container runs. With neither ``command`` nor ``args`` the image's default program
    (nginx serves; every other image idles until stopped); otherwise ``command + args``, or ``args``
    alone through the image's entrypoint, which execs them (``docker-entrypoint.sh "$@"``)."""
    config = config_for(image)
    repo = repository(image.reference)
    if not command and not args:
        name = repo.rsplit("/", 1)[-1]
        default = {"nginx": programs.nginx, "hpa-example": web.hpa_example}.get(name, programs.serve_forever)
        return Process((repo,), default, config, True)
    argv = tuple(command or ()) + tuple(args or ())
    tool = lookup_in(config, argv[0])
    if tool is None:
        raise ExecNotFound(argv[0])
    handles = tool in (programs.nginx, programs.serve_forever, web.hpa_example)
    return Process(argv, tool, config, handles)
