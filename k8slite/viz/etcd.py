"""Pictures of etcd's multi-version store: a revision timeline, one key's history, time travel.

Mirrors nothing upstream: it draws what etcd v3.5 ``server/mvcc`` keeps. The timeline
is the store's event log (``kvstore.go``: one revision per write transaction, a PUT or
DELETE event per key changed); the key history is one ``keyIndex`` (``key_index.go``):
the key's versions grouped into *generations*, each ended by a tombstone; both show
where compaction cut (``kvstore_compaction.go``). Every figure has a text twin
(``revision_timeline_table``, ``key_history_table``, ``values_at``) built from the same
data (``timeline_marks``, ``key_versions``), because nbval compares text and not images.

A source is an ``MVCCStore`` (what it still keeps) or the events of a watch (a list of
``Event`` or of ``WatchResponse``): the two draw the same picture for the same writes.

Simplified: a store lists only its live keys (``MVCCStore.keys()``), so a key that is
deleted and not yet compacted appears only when asked for by name in ``keys``. Values
are shown as text, cut to a width; a ``value`` function can summarise them instead
(say, one field of a Kubernetes object's JSON).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CREATE, UPDATE, DELETE = "create", "update", "delete"
SYMBOL = {CREATE: "C", UPDATE: "U", DELETE: "D"}
COLOR = {CREATE: "#2ca02c", UPDATE: "#1f4e79", DELETE: "#d62728"}
MARKER = {CREATE: "o", UPDATE: "o", DELETE: "X"}
LIFE_COLOR = "#c9d9ea"              # the span where a key exists
COMPACTED_COLOR = "#e6e6e6"         # revisions a read can no longer ask for
CURSOR_COLOR = "#ff9900"
LABEL_PT, SMALL_PT = 8, 7
VALUE_WIDTH = 24                    # characters of a value shown before it is cut
MAX_LABELS = 60                     # above this many marks, versions are not written on the timeline


class Mark(NamedTuple):
    """One change of one key, as a timeline draws it."""
    key: str
    revision: int                   # the write's revision (the key's mod_revision)
    type: str                       # CREATE (version 1), UPDATE or DELETE (a tombstone)
    version: int                    # 0 for a tombstone
    value: Optional[bytes]          # None for a tombstone


class Version(NamedTuple):
    """One kept version of a key (or a tombstone), and the revisions it answers for."""
    mod_revision: int
    create_revision: int            # 0 for a tombstone
    version: int                    # 0 for a tombstone
    lease: int
    value: Optional[bytes]          # None: a tombstone
    until: Optional[int]            # the next version's mod_revision; None: still current
    generation: int                 # 0, 1, ...: a tombstone ends a generation, the next put starts one


class Timeline(NamedTuple):
    keys: list                      # row order, top to bottom
    marks: list                     # Marks, by revision then key
    compact_revision: int           # 0: nothing compacted (or not known)
    revision: int                   # the newest revision the source knows (the store's, or the last event's)


# -- data -----------------------------------------------------------------------------
def _is_store(source: Any) -> bool:
    return hasattr(source, "history") and hasattr(source, "compact_revision")


def _events(source: Iterable) -> list:
    """Events from Events or WatchResponses (which carry a tuple of events each)."""
    out = []
    for item in source:
        if hasattr(item, "events"):
            out.extend(item.events)
        else:
            out.append(item)
    return out


def _mark(key: str, revision: int, kv) -> Mark:
    if kv is None:
        return Mark(key, revision, DELETE, 0, None)
    return Mark(key, revision, CREATE if kv.version == 1 else UPDATE, kv.version, kv.value)


def timeline_marks(source: Any, keys: Optional[Sequence[str]] = None,
                   compact_revision: Optional[int] = None) -> Timeline:
    """The data behind ``revision_timeline``: rows, marks, where compaction cut.

    From a store: every version it keeps of ``keys`` (default: its live keys, sorted).
    From events: every event (default keys: every key that appears, sorted).
    ``compact_revision`` overrides the store's (events carry none).
    """
    if _is_store(source):
        rows = list(keys) if keys is not None else source.keys()
        marks = [_mark(k, rev, kv) for k in rows for rev, kv in source.history(k)]
        compacted = source.compact_revision if compact_revision is None else compact_revision
        newest = source.revision
    else:
        events = _events(source)
        rows = list(keys) if keys is not None else sorted({e.kv.key for e in events})
        wanted = set(rows)
        marks = [_mark(e.kv.key, e.kv.mod_revision, e.kv if e.type == "PUT" else None)
                 for e in events if e.kv.key in wanted]
        compacted = compact_revision or 0
        newest = max((e.kv.mod_revision for e in events), default=0)
    order = {k: i for i, k in enumerate(rows)}
    marks.sort(key=lambda m: (m.revision, order[m.key]))
    return Timeline(rows, marks, compacted, max([newest] + [m.revision for m in marks]))


def key_versions(store: Any, key: str) -> list[Version]:
    """The data behind ``key_history``: every version the store keeps, with its span and generation."""
    history = store.history(key)
    out: list[Version] = []
    generation = 0
    for i, (rev, kv) in enumerate(history):
        until = history[i + 1][0] if i + 1 < len(history) else None
        if kv is None:
            out.append(Version(rev, 0, 0, 0, None, until, generation))
            generation += 1
        else:
            out.append(Version(rev, kv.create_revision, kv.version, kv.lease, kv.value, until, generation))
    return out


# -- text -------------------------------------------------------------------------------
def show_value(value: Optional[bytes], width: int = VALUE_WIDTH) -> str:
    """A value as a reader wants it: its text, cut to ``width`` with its size; a tombstone as such."""
    if value is None:
        return "(tombstone)"
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(value)} bytes>"
    if not text.isprintable():
        return f"<{len(value)} bytes>"
    if len(text) > width:
        return f"{text[:width - 1]}… ({len(value)} bytes)"
    return text


def _value_text(value: Optional[bytes], fmt: Optional[Callable[[bytes], str]]) -> str:
    if value is None or fmt is None:
        return show_value(value)
    return fmt(value)


def revision_timeline_table(source: Any, keys: Optional[Sequence[str]] = None,
                            compact_revision: Optional[int] = None) -> str:
    """The timeline as text: a row per key, a column per revision that changed a shown key.

    ``C`` a create (version 1), ``U`` an update, ``D`` a delete (tombstone), ``·`` no
    change; a ``|`` column marks the compaction (revisions to its left can no longer be read).
    """
    t = timeline_marks(source, keys, compact_revision)
    if not t.keys:
        return "(no keys)"
    revs = sorted({m.revision for m in t.marks})
    cell = {(m.key, m.revision): SYMBOL[m.type] for m in t.marks}
    columns: list[Optional[int]] = []
    for r in revs:
        if t.compact_revision and None not in columns and r >= t.compact_revision:
            columns.append(None)
        columns.append(r)
    if t.compact_revision and None not in columns:
        columns.append(None)
    width = max([len(str(r)) for r in revs] + [1]) + 2
    name_w = max(len("REVISION"), *(len(k) for k in t.keys))

    def row(label: str, cells: Iterable[str]) -> str:
        return (label.ljust(name_w) + "".join(c.rjust(width) for c in cells)).rstrip()

    lines = [row("REVISION", ("|" if c is None else str(c) for c in columns))]
    lines += [row(k, ("|" if c is None else cell.get((k, c), "·") for c in columns)) for k in t.keys]
    legend = "C create (version 1)   U update   D delete (tombstone)"
    if t.compact_revision:
        legend += f"   | compacted at {t.compact_revision}: reads below it fail"
    return "\n".join(lines + [legend])


def _span(v: Version) -> str:
    if v.until is None:
        return f"{v.mod_revision}-"
    return str(v.mod_revision) if v.until - 1 == v.mod_revision else f"{v.mod_revision}-{v.until - 1}"


def key_history_table(store: Any, key: str, value: Optional[Callable[[bytes], str]] = None) -> str:
    """Every version of ``key`` the store keeps, oldest first: the text twin of ``key_history``.

    MOD and CREATE are mod_revision and create_revision, VER the version, READ AT the
    revisions at which a read returns this version ("7-": from 7 on), VALUE the value
    (or ``value(bytes)``), and a tombstone as ``(tombstone)``.
    """
    versions = key_versions(store, key)
    if not versions:
        return f"{key}: no versions kept"
    header = ["MOD", "CREATE", "VER", "LEASE", "READ AT", "VALUE"]
    rows = []
    for v in versions:
        if v.value is None:
            rows.append([str(v.mod_revision), "-", "-", "-", _span(v), "(tombstone)"])
        else:
            rows.append([str(v.mod_revision), str(v.create_revision), str(v.version),
                         f"{v.lease:x}" if v.lease else "-", _span(v), _value_text(v.value, value)])
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    right = {0, 1, 2}

    def fmt(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    lines = [key, *(fmt(r) for r in [header] + rows)]
    if store.compact_revision:
        lines.append(f"(compacted at {store.compact_revision}: older versions are gone, except the one current then)")
    return "\n".join(lines)


def values_at(store: Any, keys: Sequence[str], revision: int, value: Optional[Callable[[bytes], str]] = None) -> str:
    """What a read at ``revision`` returns for each key: the text of one time-travel step.

    Reads through ``store.range(key, revision=...)``, so a compacted revision raises
    etcd's own error.
    """
    rows = []
    for k in keys:
        kvs = store.range(k, revision=revision).kvs
        if kvs:
            kv = kvs[0]
            rows.append((k, _value_text(kv.value, value), f"mod {kv.mod_revision}, version {kv.version}"))
        else:
            rows.append((k, "(none)", ""))
    key_w = max([len(r[0]) for r in rows] + [1])
    value_w = max([len(r[1]) for r in rows] + [1])
    lines = [f"at revision {revision}:"]
    lines += [f"  {k:<{key_w}}  {v:<{value_w}}  {note}".rstrip() for k, v, note in rows]
    return "\n".join(lines)


# -- figures ----------------------------------------------------------------------------
def _new_figure(width: float, height: float) -> "Figure":
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _compaction(ax: "Axes", compact_revision: int, left: float, top: float) -> None:
    """Grey out the revisions below the compaction and draw its line (gid "compaction")."""
    if not compact_revision:
        return
    x = compact_revision - 0.5
    if x > left:
        ax.axvspan(left, x, color=COMPACTED_COLOR, zorder=0, lw=0, gid="compacted")
    ax.axvline(x, color="#555555", ls="--", lw=1.2, zorder=1, gid="compaction")
    ax.text(x + 0.1, top, f"compacted at {compact_revision}", fontsize=SMALL_PT, color="#555555",
            ha="left", va="bottom")


def _axes_width_in(ax: "Axes", reserve_in: float) -> float:
    """The axes' width in inches, less what constrained layout will give the y labels (an estimate)."""
    return max(ax.figure.get_figwidth() * ax.get_position().width - reserve_in, 0.5)


def _fit(text: str, room_in: float, points: float) -> str:
    """``text`` cut ("…") to about ``room_in`` inches at ``points`` (DejaVu Sans averages 0.55 em a character)."""
    chars = int(room_in * 72 / (points * 0.55))
    if len(text) <= chars:
        return text
    return text[:max(chars - 1, 2)] + "…"


def _revision_axis(ax: "Axes", lo: int, hi: int) -> None:
    from matplotlib.ticker import MaxNLocator
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(hi - lo + 1, 20)))
    ax.set_xlabel("revision", fontsize=LABEL_PT)
    ax.tick_params(labelsize=SMALL_PT)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def revision_timeline(source: Any, keys: Optional[Sequence[str]] = None, compact_revision: Optional[int] = None,
                      title: Optional[str] = None, ax: Optional["Axes"] = None,
                      cursor: Optional[int] = None) -> "Figure":
    """One row per key, revision across: a marker per PUT (create or update) and DELETE.

    A pale band shows where the key exists (from a put to its delete); markers carry
    ``gid`` ``"marks-create"``, ``"marks-update"``, ``"marks-delete"`` (one artist per
    type, points in ``timeline_marks`` order); the compaction is a dashed line at
    ``compact_revision - 0.5`` with the revisions before it greyed; ``cursor`` (a
    revision) draws a line where a read would look.
    """
    t = timeline_marks(source, keys, compact_revision)
    row = {k: i for i, k in enumerate(t.keys)}
    revs = [m.revision for m in t.marks]
    lo = min(revs + ([t.compact_revision] if t.compact_revision else []) + ([cursor] if cursor else []), default=1)
    hi = max(revs + [t.revision] + ([cursor] if cursor else []), default=1)
    if ax is None:
        n = hi - lo + 1
        fig = _new_figure(min(12.0, max(6.0, 2.5 + 0.3 * n)), 1.1 + 0.45 * max(len(t.keys), 1))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _revision_axis(ax, lo, hi)
    ax.set_ylim(len(t.keys) - 0.5, -0.9)
    ax.set_yticks(range(len(t.keys)), t.keys, fontsize=LABEL_PT, family="monospace")
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=LABEL_PT + 1, loc="left")
    _compaction(ax, t.compact_revision, lo - 0.5, -0.85)

    # Where each key exists: from a put that finds it absent to the delete that ends it.
    for k in t.keys:
        start: Optional[int] = None
        for m in (m for m in t.marks if m.key == k):
            if m.type != DELETE and start is None:
                start = m.revision
            elif m.type == DELETE and start is not None:
                ax.plot([start, m.revision], [row[k]] * 2, color=LIFE_COLOR, lw=7, solid_capstyle="butt", zorder=1)
                start = None
        if start is not None:
            ax.plot([start, hi + 0.5], [row[k]] * 2, color=LIFE_COLOR, lw=7, solid_capstyle="butt", zorder=1)

    for kind in (CREATE, UPDATE, DELETE):
        mine = [m for m in t.marks if m.type == kind]
        if mine:
            ax.plot([m.revision for m in mine], [row[m.key] for m in mine], ls="none", marker=MARKER[kind],
                    ms=8 if kind == DELETE else 7, color=COLOR[kind], mec="white", mew=0.8, zorder=3,
                    gid=f"marks-{kind}", label=kind if kind != DELETE else "delete (tombstone)")
    if len(t.marks) <= MAX_LABELS:
        for m in t.marks:
            if m.type != DELETE:
                ax.text(m.revision, row[m.key] - 0.22, f"v{m.version}", fontsize=SMALL_PT - 1, ha="center",
                        va="bottom", color=COLOR[m.type], zorder=4)
    if cursor is not None:
        ax.axvline(cursor, color=CURSOR_COLOR, lw=2, zorder=2, gid="cursor")
    if t.marks:
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, fontsize=SMALL_PT, frameon=False,
                  handletextpad=0.2, borderaxespad=0.2)
    return fig


def key_history(store: Any, key: str, value: Optional[Callable[[bytes], str]] = None,
                title: Optional[str] = None, ax: Optional["Axes"] = None) -> "Figure":
    """One key's kept versions as bars over the revisions each one answers reads for.

    One row per generation (a delete ends one; the next put starts a new one with a new
    create_revision), a bar per version from its mod_revision to the next version
    (``gid`` ``"version-<mod_revision>"``), a red cross per tombstone
    (``"tombstone-<revision>"``), and the compaction line.
    """
    versions = key_versions(store, key)
    generations = max((v.generation for v in versions), default=0) + 1   # a tombstone sits on the row it ends
    revs = [v.mod_revision for v in versions]
    lo = min(revs + ([store.compact_revision] if store.compact_revision else []), default=1)
    hi = max(revs + [store.revision], default=1)
    if ax is None:
        fig = _new_figure(min(12.0, max(6.0, 2.5 + 0.45 * (hi - lo + 1))), 1.3 + 0.6 * generations)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    _revision_axis(ax, lo, hi)
    ax.set_ylim(generations - 0.45, -0.9)
    labels = []
    for g in range(generations):
        created = next((v.create_revision for v in versions if v.generation == g and v.value is not None), 0)
        labels.append(f"generation {g + 1}\ncreated at {created}" if created else f"generation {g + 1}")
    ax.set_yticks(range(generations), labels, fontsize=SMALL_PT)
    ax.tick_params(axis="y", length=0)
    ax.set_title(title or key, fontsize=LABEL_PT + 1, loc="left", family="monospace" if title is None else None)
    _compaction(ax, store.compact_revision, lo - 0.5, -0.85)
    shades = ("#1f4e79", "#4f7faf")
    # Labels alternate above and below the bars; each is cut to end before the next label on its side.
    per_rev_in = _axes_width_in(ax, reserve_in=1.3) / (hi - lo + 1)
    kept = [v for v in versions if v.value is not None]
    for i, v in enumerate(versions):
        if v.value is None:
            ax.plot([v.mod_revision], [v.generation], marker="X", ms=9, color=COLOR[DELETE], mec="white",
                    ls="none", zorder=3, gid=f"tombstone-{v.mod_revision}")
            continue
        # A revision is a cell centred on its number: the bar covers every revision that reads this version.
        end = (v.until if v.until is not None else hi + 1) - 0.5
        ax.barh(v.generation, end - (v.mod_revision - 0.5), left=v.mod_revision - 0.5, height=0.36,
                color=shades[i % 2], edgecolor="white", zorder=2, gid=f"version-{v.mod_revision}")
        k = kept.index(v)
        after = next((w.mod_revision - 0.5 for w in kept[k + 2:k + 3] if w.generation == v.generation), hi + 0.5)
        room = (after - (v.mod_revision - 0.45)) * per_rev_in
        label = _fit(f"v{v.version} {_value_text(v.value, value)}", room, SMALL_PT - 0.5)
        above = k % 2 == 0
        ax.text(v.mod_revision - 0.45, v.generation + (-0.22 if above else 0.22), label, fontsize=SMALL_PT - 0.5,
                color="#222222", ha="left", va="bottom" if above else "top", zorder=3)
    return fig


# -- a widget for the live notebook ----------------------------------------------------------
def time_travel(store: Any, keys: Sequence[str], value: Optional[Callable[[bytes], str]] = None):
    """A slider over the kept revisions: the timeline with a cursor, and what a read there returns.

    Needs ipywidgets; the web book shows ``revision_timeline`` and ``values_at`` instead.
    """
    import html

    import ipywidgets as widgets

    from .sequence import to_png
    first = max(store.compact_revision, 1)
    slider = widgets.IntSlider(value=store.revision, min=first, max=store.revision, description="revision",
                               layout=widgets.Layout(width="60%"))
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
    text = widgets.HTML()

    def show(change: object = None) -> None:
        image.value = to_png(revision_timeline(store, keys, cursor=slider.value))
        text.value = f"<pre>{html.escape(values_at(store, keys, slider.value, value))}</pre>"

    slider.observe(show, names="value")
    show()
    return widgets.VBox([slider, text, image])
