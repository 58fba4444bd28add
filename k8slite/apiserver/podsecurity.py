"""Pod Security Standards: the baseline and restricted checks, and the namespace labels that pick them.

Mirrors kubernetes v1.31 ``staging/src/k8s.io/pod-security-admission``: ``api/helpers.go``
(PolicyToEvaluate, ParseLevel, ParseVersion: the ``pod-security.kubernetes.io/<mode>`` and
``<mode>-version`` labels), ``policy/check_*.go`` (one function per check, with the
real forbidden reasons and details), ``policy/registry.go`` (which checks run at which
level and version: baseline checks, then restricted ones; a restricted check replaces
the baseline check of the same field) and ``admission/admission.go``
(isSignificantPodUpdate, and which resources carry a pod template). The admission
plugin that uses them is ``PodSecurity`` in ``admission.py``.

Simplified: no AppArmor, SELinux, Windows HostProcess or host-probe checks; the
pre-1.19 seccomp annotations are not checked; user namespaces never relax a check.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from ..api import errors


def _meta(obj: Optional[dict]) -> dict:
    return (obj or {}).get("metadata") or {}


def _containers(spec: dict) -> list[dict]:
    """visitContainers' order: init containers, containers, ephemeral containers."""
    return (list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
            + list(spec.get("ephemeralContainers") or []))


PSA_PREFIX = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
MODES = ("enforce", "audit", "warn")
IGNORED_POD_SUBRESOURCES = frozenset({"exec", "attach", "binding", "eviction", "log", "portforward", "proxy",
                                      "status"})
POD_SPEC_RESOURCES = frozenset({("", "replicationcontrollers"), ("", "podtemplates"), ("apps", "replicasets"),
                                ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                                ("batch", "jobs"), ("batch", "cronjobs")})
_VERSION_RE = re.compile(r"^v1\.([0-9]|[1-9][0-9]*)$")


@dataclass(frozen=True)
class LevelVersion:
    """api.LevelVersion: a level and a policy version (None: latest)."""
    level: str
    version: Optional[int] = None          # the minor version of v1.x

    def __str__(self) -> str:
        return f"{self.level}:{'latest' if self.version is None else f'v1.{self.version}'}"


def policy_to_evaluate(labels: Optional[dict]) -> tuple[dict[str, LevelVersion], list[errors.Cause]]:
    """api.PolicyToEvaluate: the namespace labels -> enforce/audit/warn, privileged:latest by default.

    A bad enforce level means restricted; a bad audit or warn level fails open to privileged.
    """
    labels = labels or {}
    policy: dict[str, LevelVersion] = {}
    causes: list[errors.Cause] = []
    for mode in MODES:
        level, version = "privileged", None
        key = PSA_PREFIX + mode
        if key in labels:
            level = labels[key]
            if level not in LEVELS:
                causes.append(errors.invalid_value(f"metadata.labels[{key}]", labels[key],
                                                   "must be one of " + ", ".join(LEVELS)))
                level = "restricted" if mode == "enforce" else "privileged"
        if key + "-version" in labels:
            text = labels[key + "-version"]
            m = _VERSION_RE.match(text) if text != "latest" else None
            if m:
                version = int(m.group(1))
            elif text != "latest":
                causes.append(errors.invalid_value(f"metadata.labels[{key}-version]", text,
                                                   'must be "latest" or "v1.x"'))
        policy[mode] = LevelVersion(level, version)
    return policy, causes


def _join_quote(items: Iterable[str]) -> str:
    items = list(items)
    return '"' + '", "'.join(items) + '"' if items else ""


def _plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _sc(c: dict) -> dict:
    return c.get("securityContext") or {}


def _windows(spec: dict) -> bool:
    return ((spec.get("os") or {}).get("name")) == "windows"


def _check_host_namespaces(meta: dict, spec: dict):
    found = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    return ("host namespaces", ", ".join(found)) if found else None


def _check_host_ports(meta: dict, spec: dict):
    bad, ports = [], set()
    for c in _containers(spec):
        hp = [p.get("hostPort") for p in c.get("ports") or [] if p.get("hostPort")]
        if hp:
            bad.append(c.get("name", ""))
            ports.update(str(p) for p in hp)
    if not bad:
        return None
    return ("hostPort", f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)} "
                        f"{_plural('uses', 'use', len(bad))} {_plural('hostPort', 'hostPorts', len(ports))} "
                        f"{', '.join(sorted(ports))}")


def _check_privileged(meta: dict, spec: dict):
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("privileged")]
    if not bad:
        return None
    return ("privileged", f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)} must not set "
                          "securityContext.privileged=true")


def _check_proc_mount(meta: dict, spec: dict):
    bad, kinds = [], set()
    for c in _containers(spec):
        pm = _sc(c).get("procMount")
        if pm is not None and pm != "Default":
            bad.append(c.get("name", ""))
            kinds.add(pm)
    if not bad:
        return None
    return ("procMount", f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)} must not set "
                         f"securityContext.procMount to {_join_quote(sorted(kinds))}")


_SYSCTLS = {0: {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"}}
_SYSCTLS[27] = _SYSCTLS[0] | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS[29] = _SYSCTLS[27] | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                               "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}


def _check_sysctls(allowed: set):
    def check(meta: dict, spec: dict):
        bad = [s.get("name", "") for s in ((spec.get("securityContext") or {}).get("sysctls") or [])
               if s.get("name") not in allowed]
        return ("forbidden sysctls", ", ".join(bad)) if bad else None
    return check


_BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                          "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}


def _check_capabilities_baseline(meta: dict, spec: dict):
    bad, caps = [], set()
    for c in _containers(spec):
        added = [x for x in ((_sc(c).get("capabilities") or {}).get("add") or []) if x not in _BASELINE_CAPABILITIES]
        if added:
            bad.append(c.get("name", ""))
            caps.update(added)
    if not bad:
        return None
    return ("non-default capabilities", f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)} must "
                                        f"not include {_join_quote(sorted(caps))} in securityContext.capabilities.add")


def _check_host_path_volumes(meta: dict, spec: dict):
    bad = [v.get("name", "") for v in spec.get("volumes") or [] if "hostPath" in v]
    return ("hostPath volumes", f"{_plural('volume', 'volumes', len(bad))} {_join_quote(bad)}") if bad else None


def _seccomp_bad(spec: dict, require: bool):
    """Pod-level and container-level seccompProfile types outside RuntimeDefault/Localhost."""
    setters, values, implicit = [], set(), []
    pod_profile = (spec.get("securityContext") or {}).get("seccompProfile")
    pod_set = False
    if pod_profile is not None:
        if pod_profile.get("type") in ("RuntimeDefault", "Localhost"):
            pod_set = True
        else:
            setters.append("pod")
            values.add(pod_profile.get("type", ""))
    bad = []
    for c in _containers(spec):
        profile = _sc(c).get("seccompProfile")
        if profile is not None:
            if profile.get("type") not in ("RuntimeDefault", "Localhost"):
                bad.append(c.get("name", ""))
                values.add(profile.get("type", ""))
        elif require and not pod_set:
            implicit.append(c.get("name", ""))
    if bad:
        setters.append(f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)}")
    if setters:
        return ("seccompProfile", f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                                  f"{_join_quote(sorted(values))}")
    if implicit:
        return ("seccompProfile", f"pod or {_plural('container', 'containers', len(implicit))} "
                                  f"{_join_quote(implicit)} must set securityContext.seccompProfile.type to "
                                  '"RuntimeDefault" or "Localhost"')
    return None


def _check_seccomp_baseline(meta: dict, spec: dict):
    return _seccomp_bad(spec, require=False)


def _check_seccomp_restricted(meta: dict, spec: dict):
    return None if _windows(spec) else _seccomp_bad(spec, require=True)


def _check_allow_privilege_escalation(meta: dict, spec: dict):
    if _windows(spec):
        return None
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return ("allowPrivilegeEscalation != false", f"{_plural('container', 'containers', len(bad))} "
                                                 f"{_join_quote(bad)} must set "
                                                 "securityContext.allowPrivilegeEscalation=false")


def _check_capabilities_restricted(meta: dict, spec: dict):
    if _windows(spec):
        return None
    missing_drop, adding, caps = [], [], set()
    for c in _containers(spec):
        capabilities = _sc(c).get("capabilities")
        if capabilities is None:
            missing_drop.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop.append(c.get("name", ""))
        added = [x for x in capabilities.get("add") or [] if x != "NET_BIND_SERVICE"]
        if added:
            adding.append(c.get("name", ""))
            caps.update(added)
    details = []
    if missing_drop:
        details.append(f"{_plural('container', 'containers', len(missing_drop))} {_join_quote(missing_drop)} must "
                       'set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{_plural('container', 'containers', len(adding))} {_join_quote(adding)} must not include "
                       f"{_join_quote(sorted(caps))} in securityContext.capabilities.add")
    return ("unrestricted capabilities", "; ".join(details)) if details else None


_RESTRICTED_VOLUME_TYPES = ("gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
                            "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume",
                            "quobyte", "azureDisk", "portworxVolume", "photonPersistentDisk", "scaleIO", "storageos",
                            "hostPath")
_ALLOWED_VOLUME_TYPES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                         "projected", "secret", "image")


def _check_restricted_volumes(meta: dict, spec: dict):
    bad, types = [], set()
    for v in spec.get("volumes") or []:
        if any(t in v for t in _ALLOWED_VOLUME_TYPES):
            continue
        bad.append(v.get("name", ""))
        types.add(next((t for t in _RESTRICTED_VOLUME_TYPES if t in v), "unknown"))
    if not bad:
        return None
    return ("restricted volume types", f"{_plural('volume', 'volumes', len(bad))} {_join_quote(bad)} "
                                       f"{_plural('uses', 'use', len(bad))} restricted volume "
                                       f"{_plural('type', 'types', len(types))} {_join_quote(sorted(types))}")


def _check_run_as_non_root(meta: dict, spec: dict):
    setters, pod_ok = [], False
    pod_value = (spec.get("securityContext") or {}).get("runAsNonRoot")
    if pod_value is not None:
        if pod_value:
            pod_ok = True
        else:
            setters.append("pod")
    explicit, implicit = [], []
    for c in _containers(spec):
        value = _sc(c).get("runAsNonRoot")
        if value is not None:
            if not value:
                explicit.append(c.get("name", ""))
        elif not pod_ok:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(f"{_plural('container', 'containers', len(explicit))} {_join_quote(explicit)}")
    if setters:
        return ("runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false")
    if implicit:
        return ("runAsNonRoot != true", f"pod or {_plural('container', 'containers', len(implicit))} "
                                        f"{_join_quote(implicit)} must set securityContext.runAsNonRoot=true")
    return None


def _check_run_as_user(meta: dict, spec: dict):
    setters = ["pod"] if (spec.get("securityContext") or {}).get("runAsUser") == 0 else []
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("runAsUser") == 0]
    if bad:
        setters.append(f"{_plural('container', 'containers', len(bad))} {_join_quote(bad)}")
    return ("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0") if setters else None


# The checks in registration order (check_*.go file order). Each: (id, level, overlap, versions), where
# versions is [(minimum minor version, check)], oldest first. ``overlap`` baseline checks run only at
# the baseline level: a restricted check of the same field replaces them.
CHECKS: tuple = (
    ("allowPrivilegeEscalation", "restricted", False, [(8, _check_allow_privilege_escalation)]),
    ("capabilities_baseline", "baseline", True, [(0, _check_capabilities_baseline)]),
    ("capabilities_restricted", "restricted", False, [(22, _check_capabilities_restricted)]),
    ("hostNamespaces", "baseline", False, [(0, _check_host_namespaces)]),
    ("hostPathVolumes", "baseline", True, [(0, _check_host_path_volumes)]),
    ("hostPorts", "baseline", False, [(0, _check_host_ports)]),
    ("privileged", "baseline", False, [(0, _check_privileged)]),
    ("procMount", "baseline", False, [(0, _check_proc_mount)]),
    ("restrictedVolumes", "restricted", False, [(0, _check_restricted_volumes)]),
    ("runAsNonRoot", "restricted", False, [(0, _check_run_as_non_root)]),
    ("runAsUser", "restricted", False, [(23, _check_run_as_user)]),
    ("seccompProfile_baseline", "baseline", True, [(19, _check_seccomp_baseline)]),
    ("seccompProfile_restricted", "restricted", False, [(19, _check_seccomp_restricted)]),
    ("sysctls", "baseline", False, [(0, _check_sysctls(_SYSCTLS[0])), (27, _check_sysctls(_SYSCTLS[27])),
                                    (29, _check_sysctls(_SYSCTLS[29]))]),
)


def _versioned(versions: list, version: Optional[int]) -> Optional[Callable]:
    fn = None
    for minimum, check in versions:
        if version is None or minimum <= version:
            fn = check
    return fn


def evaluate_pod(lv: LevelVersion, meta: dict, spec: dict) -> list[tuple[str, str]]:
    """checkRegistry.EvaluatePod: the (reason, detail) of every failed check, baseline ones first."""
    if lv.level == "privileged":
        return []
    groups = [[c for c in CHECKS if c[1] == "baseline" and not c[2]]]
    if lv.level == "baseline":
        groups.append([c for c in CHECKS if c[1] == "baseline" and c[2]])
    else:
        groups.append([c for c in CHECKS if c[1] == "restricted"])
    failed = []
    for group in groups:
        for _id, _level, _overlap, versions in group:
            fn = _versioned(versions, lv.version)
            result = fn(meta, spec) if fn is not None else None
            if result is not None:
                failed.append(result)
    return failed


def forbidden_detail(failed: list[tuple[str, str]]) -> str:
    """AggregateCheckResult.ForbiddenDetail: ``reason (detail), reason, ...``."""
    return ", ".join(f"{reason} ({detail})" if detail else reason for reason, detail in failed)


def pod_template(obj: dict, resource: str) -> Optional[dict]:
    spec = obj.get("spec") or {}
    if resource == "podtemplates":
        return obj.get("template")
    if resource == "cronjobs":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    return spec.get("template")


def significant_pod_update(new: dict, old: dict) -> bool:
    """isSignificantPodUpdate: only images, containers and seccomp annotations can change a verdict."""
    seccomp_pod = "seccomp.security.alpha.kubernetes.io/pod"
    new_ann, old_ann = _meta(new).get("annotations") or {}, _meta(old).get("annotations") or {}
    if new_ann.get(seccomp_pod) != old_ann.get(seccomp_pod):
        return True
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    for key in ("containers", "initContainers"):
        a, b = ns.get(key) or [], os_.get(key) or []
        if len(a) != len(b):
            return True
        for c, oc in zip(a, b):
            annotation = "container.seccomp.security.alpha.kubernetes.io/" + c.get("name", "")
            if c.get("image") != oc.get("image") or new_ann.get(annotation) != old_ann.get(annotation):
                return True
    old_ephemeral = {c.get("name"): c for c in os_.get("ephemeralContainers") or []}
    for c in ns.get("ephemeralContainers") or []:
        oc = old_ephemeral.get(c.get("name"))
        if oc is None or oc.get("image") != c.get("image"):
            return True
    return False
