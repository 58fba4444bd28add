"""Pictures of a rollout: desired versus actual over time, and the ReplicaSet hand-over.

Mirrors nothing upstream: it draws what ``pkg/controller/deployment`` (v1.31) does to a
Deployment's ReplicaSets and what the ReplicaSet controller and the kubelets make of it.
The data are read back from etcd after the fact: MVCC keeps every revision until
compaction, so ``rollout_samples`` replays the Deployment, its ReplicaSets and their pods
write by write and counts, after each revision that touched one of them, what was wanted
and what existed. ``rollout_table`` is the text twin of both figures (nbval compares text,
not images).

A pod counts as *existing* while it is neither terminating (``deletionTimestamp``) nor
finished, as the ReplicaSet controller counts it (``controller.FilterActivePods``); a
terminating pod is counted apart. It is *available* once it has been Ready for the
Deployment's ``minReadySeconds`` (``podutil.IsPodAvailable``, with the Ready condition's
second-precision ``lastTransitionTime``), judged at the sample's time; without a clock,
samples count the ReplicaSets' recorded ``status.availableReplicas`` instead. A pod belongs to the Deployment if its controller is a
ReplicaSet whose controller is the Deployment, as at that revision.

Simplified: times come from the trace (``revision_clock``): a revision is dated by the
first message delivered after it was written, which is within one network hop of the
write; without a trace, samples carry no time.
"""
from __future__ import annotations

import bisect
import json

from k8slite.controllers.replicaset import is_available, ready_since
from typing import TYPE_CHECKING, Callable, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
PREFIXES = {"deployments": "/registry/deployments/", "replicasets": "/registry/replicasets/",
            "pods": "/registry/pods/"}
WANTED_COLOR = "#555555"
PODS_COLOR = "#1f4e79"
READY_COLOR = "#2ca02c"
AVAILABLE_COLOR = "#8c564b"
TERMINATING_COLOR = "#d62728"
BAND_COLOR = "#e8f0e0"
SET_COLORS = ("#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#fdd0a2")      # oldest ReplicaSet first
SET_EDGES = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#a63603")
LABEL_PT = 8


class SetCount(NamedTuple):
    """One ReplicaSet of the Deployment at one revision."""
    name: str
    revision: str                   # its deployment.kubernetes.io/revision annotation ("" if none yet)
    replicas: int                   # spec.replicas: what the Deployment controller asked of it
    pods: int                       # its existing pods
    ready: int                      # of those, the Ready ones
    available: int                  # of those, the available ones (ready for minReadySeconds)
    terminating: int                # its pods with a deletionTimestamp that are still stored


class Sample(NamedTuple):
    """The Deployment's numbers just after one etcd revision."""
    revision: int
    time: Optional[float]           # virtual seconds, if a clock was given
    wanted: int                     # the Deployment's spec.replicas
    pods: int                       # existing pods of all its ReplicaSets
    ready: int                      # of those, the Ready ones
    available: int                  # of those, the available ones
    terminating: int                # pods with a deletionTimestamp that are still stored
    sets: tuple                     # SetCount per ReplicaSet, oldest first
    change: str                     # what was written at this revision, e.g. "pods/web-5f84b7585b-x2x9v"


def _prefix_end(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _controller_uid(obj: dict) -> Optional[str]:
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _finished(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def revision_clock(trace) -> Callable[[int], Optional[float]]:
    """revision -> virtual time: when the first message delivered at or after that revision arrived.

    Every delivered hop records the store's revision at delivery; revisions only grow with
    time, so the first delivery that saw revision ``r`` happened within one hop of its write."""
    delivered = sorted(((h.received, h.revision) for h in trace if h.received is not None), key=lambda x: x[0])
    times = [t for t, _ in delivered]
    revisions = []
    highest = 0
    for _, r in delivered:
        highest = max(highest, r)
        revisions.append(highest)

    def at(revision: int) -> Optional[float]:
        i = bisect.bisect_left(revisions, revision)
        return times[i] if i < len(times) else None
    return at


def rollout_samples(store, name: str, namespace: str = "default", since: int = 0, until: Optional[int] = None,
                    clock: Optional[Callable[[int], Optional[float]]] = None) -> list[Sample]:
    """The Deployment ``namespace/name`` as etcd held it at ``since`` and after every later revision
    (up to ``until``) that wrote it, one of its ReplicaSets, or one of their pods."""
    since = since or store.revision
    until = store.revision if until is None else until
    state: dict[str, dict] = {}
    keys = {kind: f"{prefix}{namespace}/" for kind, prefix in PREFIXES.items()}
    for prefix in keys.values():
        for kv in store.range(prefix, _prefix_end(prefix), revision=since).kvs:
            state[kv.key] = json.loads(kv.value)
    events: list = []
    for prefix in keys.values():
        watch = store.watch(prefix, _prefix_end(prefix), since + 1, events.extend)
        store.cancel_watch(watch)
    events = sorted((e for e in events if e.kv.mod_revision <= until), key=lambda e: e.kv.mod_revision)
    d_key = f"{keys['deployments']}{name}"

    def count(revision: int, change: str) -> Optional[Sample]:
        d = state.get(d_key)
        if d is None:
            return None
        uid = d["metadata"]["uid"]
        sets = [rs for k, rs in state.items() if k.startswith(keys["replicasets"]) and _controller_uid(rs) == uid]
        sets.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))
        by_uid = {rs["metadata"]["uid"]: [rs, 0, 0, 0, 0] for rs in sets}
        min_ready = d["spec"].get("minReadySeconds", 0)
        when = clock(revision) if clock else None
        for k, pod in state.items():
            if not k.startswith(keys["pods"]):
                continue
            entry = by_uid.get(_controller_uid(pod))
            if entry is None or _finished(pod):
                continue
            if pod["metadata"].get("deletionTimestamp"):
                entry[4] += 1
                continue
            entry[1] += 1
            entry[2] += _ready(pod)
            if when is not None:
                entry[3] += is_available(ready_since(pod), min_ready, when)
        counts = tuple(SetCount(rs["metadata"]["name"],
                                (rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, ""),
                                rs["spec"].get("replicas", 1), pods, ready,
                                available if when is not None else (rs.get("status") or {}).get("availableReplicas", 0),
                                terminating)
                       for rs, pods, ready, available, terminating in by_uid.values())
        return Sample(revision, when, d["spec"].get("replicas", 1),
                      sum(c.pods for c in counts), sum(c.ready for c in counts), sum(c.available for c in counts),
                      sum(c.terminating for c in counts), counts, change)

    def mine(obj: Optional[dict]) -> bool:
        d = state.get(d_key)
        if obj is None or d is None:
            return False
        if obj.get("kind") == "Deployment":
            return obj["metadata"]["name"] == name
        owner = _controller_uid(obj)
        if obj.get("kind") == "ReplicaSet":
            return owner == d["metadata"]["uid"]
        rs = next((r for k, r in state.items() if k.startswith(keys["replicasets"])
                   and r["metadata"]["uid"] == owner), None)
        return rs is not None and _controller_uid(rs) == d["metadata"]["uid"]

    samples = []
    # The state at ``since`` is dated just before the first later write (or at ``since`` if none).
    first = count(events[0].kv.mod_revision if events else since, "")
    if first is not None:
        samples.append(first._replace(revision=since))
    i = 0
    while i < len(events):
        revision, touched = events[i].kv.mod_revision, []
        while i < len(events) and events[i].kv.mod_revision == revision:
            e = events[i]
            before = state.get(e.kv.key)
            if e.type == "DELETE":
                state.pop(e.kv.key, None)
                after = None
            else:
                after = state[e.kv.key] = json.loads(e.kv.value)
            if mine(before) or mine(after):
                kind = next(k for k, p in keys.items() if e.kv.key.startswith(p))
                touched.append(f"{kind}/{e.kv.key[len(keys[kind]):]}" + (" (deleted)" if after is None else ""))
            i += 1
        if touched:
            sample = count(revision, ", ".join(touched))
            if sample is not None:
                samples.append(sample)
    return samples


def set_label(s: SetCount) -> str:
    return f"{s.name} (revision {s.revision})" if s.revision else s.name


def rollout_table(samples: Iterable[Sample], names: Optional[Sequence[str]] = None) -> str:
    """One line per sample: the text twin of ``rollout_figure`` and ``handover_figure``.

    Columns: REVISION, TIME (s, when known), WANTED, PODS, READY, AVAILABLE, TERMINATING, then per
    ReplicaSet ``spec.replicas/pods/ready`` under its name (``names`` fixes which, in order)."""
    samples = list(samples)
    if not samples:
        return "(no samples)"
    if names is None:
        names = []
        for s in samples:
            for c in s.sets:
                if c.name not in names:
                    names.append(c.name)
    timed = any(s.time is not None for s in samples)
    header = ["REVISION"] + (["TIME (s)"] if timed else []) + ["WANTED", "PODS", "READY", "AVAILABLE", "TERMINATING"] + \
        [f"{n} (WANT/PODS/READY)" for n in names]
    rows = []
    for s in samples:
        sets = {c.name: c for c in s.sets}
        row = [str(s.revision)] + ([f"{s.time:.3f}" if s.time is not None else "-"] if timed else []) + \
            [str(s.wanted), str(s.pods), str(s.ready), str(s.available), str(s.terminating)]
        row += [f"{sets[n].replicas}/{sets[n].pods}/{sets[n].ready}" if n in sets else "-" for n in names]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(r, widths)).rstrip() for r in [header] + rows)


def _xs(samples: Sequence[Sample], by: str) -> list[float]:
    if by == "revision":
        return [float(s.revision) for s in samples]
    if any(s.time is None for s in samples):
        raise ValueError("samples carry no time: pass clock=revision_clock(trace) to rollout_samples, or by='revision'")
    return [s.time for s in samples]


def _axes(ax: Optional["Axes"], size: tuple) -> tuple["Figure", "Axes"]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure
    fig = Figure(figsize=size)
    return fig, fig.add_subplot(1, 1, 1)


def _finish(ax: "Axes", fig: "Figure", title: Optional[str], xlabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel("pods", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e3e3e3", lw=0.7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, loc="left", fontweight="bold")
    ax.legend(fontsize=7.5, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.subplots_adjust(left=0.07, right=0.74, bottom=0.14, top=0.9)


def rollout_figure(samples: Sequence[Sample], max_surge: Optional[int] = None,
                   max_unavailable: Optional[int] = None, by: str = "time", title: Optional[str] = None,
                   marks: Sequence[tuple] = (), ax: Optional["Axes"] = None) -> "Figure":
    """Desired versus actual: pods wanted, existing, ready, available and terminating after each
    sample, as steps; with ``max_surge`` and ``max_unavailable``, the band a rolling update must
    keep to (most pods above, fewest available below). ``marks`` are ``(x, label)`` pairs drawn
    as labelled vertical lines (what was done when)."""
    samples = list(samples)
    if not samples:
        raise ValueError("rollout_figure needs at least one sample")
    fig, ax = _axes(ax, (10, 4))
    xs = _xs(samples, by)
    if max_surge is not None and max_unavailable is not None:
        ax.fill_between(xs, [s.wanted - max_unavailable for s in samples], [s.wanted + max_surge for s in samples],
                        step="post", color=BAND_COLOR, lw=0, gid="band",
                        label=f"rolling-update band: wanted − {max_unavailable} … wanted + {max_surge}")
    for field, color, style, width, label in (("wanted", WANTED_COLOR, "--", 1.6, "wanted (spec.replicas)"),
                                              ("pods", PODS_COLOR, "-", 2.6, "pods existing"),
                                              ("ready", READY_COLOR, "-", 1.6, "pods ready"),
                                              ("available", AVAILABLE_COLOR, "-.", 1.6, "pods available"),
                                              ("terminating", TERMINATING_COLOR, ":", 1.4, "pods terminating")):
        ax.step(xs, [getattr(s, field) for s in samples], where="post", color=color, ls=style, lw=width,
                label=label, gid=field)
    top = max(max(s.pods, s.ready, s.terminating, s.wanted + (max_surge or 0)) for s in samples)
    ax.set_ylim(-0.3, top + 1.5)
    for n, (x, label) in enumerate(marks):
        ax.axvline(x, color="#888888", lw=0.8, ls=(0, (2, 2)), gid=f"mark-{n}")
        ax.text(x, top + 1.4, f" {label}", fontsize=7.5, ha="left", va="top", color="#333333", rotation=0)
    _finish(ax, fig, title, "virtual time (s)" if by == "time" else "etcd revision")
    return fig


def handover_figure(samples: Sequence[Sample], max_surge: Optional[int] = None,
                    max_unavailable: Optional[int] = None, by: str = "revision",
                    title: Optional[str] = None) -> "Figure":
    """The ReplicaSet hand-over, in two panels over the same axis.

    Above, what the Deployment controller asked: each ReplicaSet's ``spec.replicas`` (dashed) and
    the pods it has (solid). Below, what existed: each ReplicaSet's pods stacked, ready solid and
    not yet ready hatched, against the bounds ``wanted + max_surge`` (most pods) and
    ``wanted - max_unavailable`` (fewest ready)."""
    samples = list(samples)
    if not samples:
        raise ValueError("handover_figure needs at least one sample")
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10, 6.4))
    asked, stacked = fig.subplots(2, 1, sharex=True)
    xs = _xs(samples, by)
    names: list[str] = []
    labels: dict[str, str] = {}
    for s in samples:
        for c in s.sets:
            if c.name not in names:
                names.append(c.name)
            labels[c.name] = set_label(c)
    base = [0.0] * len(samples)
    for i, n in enumerate(names):
        fill, edge = SET_COLORS[i % len(SET_COLORS)], SET_EDGES[i % len(SET_EDGES)]
        counts = [next((c for c in s.sets if c.name == n), None) for s in samples]
        ready = [c.ready if c else 0 for c in counts]
        pods = [c.pods if c else 0 for c in counts]
        asked.step(xs, [c.replicas if c else 0 for c in counts], where="post", color=edge, ls="--", lw=1.5,
                   gid=f"replicas-{n}", label=f"{labels[n]}: spec.replicas")
        asked.step(xs, pods, where="post", color=edge, lw=1.2, alpha=0.8, gid=f"pods-{n}",
                   label=f"{labels[n]}: pods")
        top_ready = [b + r for b, r in zip(base, ready)]
        top_pods = [b + p for b, p in zip(base, pods)]
        stacked.fill_between(xs, base, top_ready, step="post", color=fill, lw=0, gid=f"ready-{n}",
                             label=f"{labels[n]}: ready")
        stacked.fill_between(xs, top_ready, top_pods, step="post", facecolor="white", edgecolor=edge,
                             hatch="////", lw=0, gid=f"starting-{n}", label=f"{labels[n]}: not ready yet")
        base = top_pods
    if max_surge is not None:
        stacked.step(xs, [s.wanted + max_surge for s in samples], where="post", color=TERMINATING_COLOR, lw=1.4,
                     gid="most-pods", label=f"most pods: wanted + maxSurge = {samples[0].wanted + max_surge}")
    if max_unavailable is not None:
        stacked.step(xs, [s.wanted - max_unavailable for s in samples], where="post", color=READY_COLOR, lw=1.4,
                     ls="-.", gid="fewest-ready",
                     label=f"fewest ready: wanted − maxUnavailable = {samples[0].wanted - max_unavailable}")
    top = max(max(s.pods for s in samples), max(s.wanted for s in samples) + (max_surge or 0))
    for ax, heading in ((asked, "what the Deployment controller asked, per ReplicaSet"),
                        (stacked, "what existed: pods stacked by ReplicaSet")):
        ax.set_ylim(0, top + 1.5)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylabel("pods", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(True, color="#e3e3e3", lw=0.7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(heading, fontsize=9, loc="left")
        ax.legend(fontsize=7.5, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    stacked.set_xlabel("etcd revision" if by == "revision" else "virtual time (s)", fontsize=9)
    if title:
        fig.suptitle(title, x=0.02, ha="left", fontsize=11, fontweight="bold")
    fig.subplots_adjust(left=0.07, right=0.70, bottom=0.09, top=0.9 if title else 0.95, hspace=0.28)
    return fig
