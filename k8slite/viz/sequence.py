"""Sequence diagrams of hops: one lifeline per component, one arrow per message.

Mirrors nothing upstream: it is the book's picture of a request flow (UML sequence
diagram style). Every figure has a text twin, ``sequence_table``, because nbval
compares text and not images; a chapter prints the table next to the picture.

Simplified: rows are hop order, not time (virtual time is printed in the margin), so
a burst of messages within a millisecond stays readable; no activation bars.
Summaries are cut to the space between their two lifelines (monospace, so the cut
is exact on every machine).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from k8slite.sim.trace import Hop

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CANONICAL = ("kubectl", "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler")
PER_NODE = ("kubelet", "containerd")    # "kubelet/node-1": after the control plane, by node

CALL_COLOR = "#1f4e79"
REPLY_COLOR = "#5b7f9f"
IN_FLIGHT_COLOR = "#9a9a9a"
LOST_COLOR = "#d62728"
HIGHLIGHT_COLOR = "#ffe680"

# Geometry in inches: one data unit across is COL_IN, one row down is ROW_IN.
COL_IN, ROW_IN, MARGIN_IN, HEADER_IN, FOOTER_IN = 1.75, 0.3, 0.9, 0.75, 0.35
LABEL_PT, SUMMARY_PT, TIME_PT = 8, 6.5, 6.5
LOST_SHORT = 0.3                    # lifeline gaps a lost arrow stops short of its destination
MONO_EM = 0.6                       # DejaVu Sans Mono advance width, in ems


def _natural(text: str) -> tuple:
    """"node-10" after "node-9": digits compare as numbers (str at even, int at odd places)."""
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def lifelines(hops: Iterable[Hop]) -> list[str]:
    """The components the hops touch, control plane first, then node agents by node.

    Order: the CANONICAL components that appear, in that order; then
    ``kubelet/<node>`` by node name; then ``containerd/<node>``; then everything
    else in order of first appearance.
    """
    first: dict[str, int] = {}
    for hop in hops:
        for name in (hop.src, hop.dst):
            first.setdefault(name, len(first))

    def rank(name: str) -> tuple:
        if name in CANONICAL:
            return (0, CANONICAL.index(name), ())
        component, slash, node = name.partition("/")
        if slash and component in PER_NODE:
            return (1 + PER_NODE.index(component), 0, _natural(node))
        return (1 + len(PER_NODE), first[name], ())

    return sorted(first, key=rank)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def sequence_table(hops: Iterable[Hop]) -> str:
    """The hops as a fixed-width table: the text twin of ``sequence_diagram``.

    Columns: HOP, CAUSE ("-" for a root), SENT (ms), FROM → TO, SUMMARY, and STATUS
    (only when some hop was not delivered; blank for those that were).
    """
    hops = list(hops)
    if not hops:
        return "(no hops)"
    show_status = any(h.status != "delivered" for h in hops)
    header = ["HOP", "CAUSE", "SENT (ms)", "FROM → TO", "SUMMARY"] + (["STATUS"] if show_status else [])
    rows = []
    for h in hops:
        row = [str(h.id), "-" if h.cause is None else str(h.cause), _ms(h.sent), f"{h.src} → {h.dst}", h.summary]
        if show_status:
            row.append("" if h.status == "delivered" else h.status)
        rows.append(row)
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    right = {0, 1, 2}                  # numbers are right-aligned

    def fmt(row: list[str]) -> str:
        cells = [cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return "\n".join(fmt(r) for r in [header] + rows)


def _cut(text: str, chars: int, tail: str = "") -> str:
    """``text + tail`` in at most ``chars`` characters, cutting ``text`` first ("…")."""
    if len(text) + len(tail) <= chars:
        return text + tail
    if len(tail) >= chars - 1:          # no room for the text: cut the whole line instead
        return (text + tail)[: max(chars - 1, 0)] + "…"
    return text[: chars - len(tail) - 1] + "…" + tail


def _label(name: str) -> str:
    """Per-node endpoints on two lines ("kubelet\\nnode-1") so neighbours never touch."""
    return name.replace("/", "\n", 1)


def _collapse(hops: Sequence[Hop]) -> tuple[list[Hop], dict[int, str]]:
    """Drop replies whose request is drawn; the request's label gains "↩ <reply>"."""
    ids = {h.id for h in hops}
    answered: dict[int, str] = {}
    kept = []
    for h in hops:
        if h.kind == "reply" and h.cause in ids:
            answered[h.cause] = h.summary
        else:
            kept.append(h)
    return kept, answered


def sequence_diagram(hops: Iterable[Hop], title: Optional[str] = None, max_hops: int = 80,
                     ax: Optional["Axes"] = None, collapse_replies: bool = False, *,
                     highlight: Optional[int] = None, lines: Optional[Sequence[str]] = None) -> "Figure":
    """Draw the hops as a UML-style sequence diagram and return the figure.

    One arrow per hop at row = its position in ``hops``; replies dashed, lost hops
    red and ending in an "x" partway, hops still in flight grey, self-hops as loops.
    Each arrow is an ``Annotation`` with ``gid="hop-<id>"``, each lifeline label a
    ``Text`` with ``gid="lifeline-<name>"``. ``highlight`` (a hop
    id) gets a band and a thicker arrow; ``lines`` fixes the lifelines (so a
    step-through keeps them still). Without ``ax`` a new ``Figure`` is sized to fit;
    it is not registered with pyplot, so it works headless and displays once.
    """
    hops = list(hops)
    answered: dict[int, str] = {}
    if collapse_replies:
        hops, answered = _collapse(hops)
    names = list(lines) if lines is not None else lifelines(hops)
    column = {name: i for i, name in enumerate(names)}
    missing = [n for h in hops for n in (h.src, h.dst) if n not in column]
    if missing:
        raise ValueError(f"hop endpoint {missing[0]!r} has no lifeline")
    shown, hidden = hops[:max_hops], max(len(hops) - max_hops, 0)
    rows = len(shown) + (1 if hidden else 0)

    header = HEADER_IN
    if ax is None:
        from matplotlib.figure import Figure
        header += 0.3 if title else 0.0
        fig = Figure(figsize=(MARGIN_IN + COL_IN * max(len(names), 1),
                              header + ROW_IN * max(rows, 1) + FOOTER_IN))
        ax = fig.add_axes((0, 0, 1, 1))
        if title:
            ax.text(-MARGIN_IN / COL_IN - 0.45, -header / ROW_IN + 0.3, title, fontsize=LABEL_PT + 2,
                    fontweight="bold", ha="left", va="top")
    else:
        fig = ax.figure
        if title:
            ax.set_title(title, fontsize=LABEL_PT + 1, loc="left")
    ax.set_axis_off()
    ax.set_xlim(-MARGIN_IN / COL_IN - 0.5, max(len(names), 1) - 0.5)
    ax.set_ylim(max(rows, 1) - 0.5 + FOOTER_IN / ROW_IN, -header / ROW_IN)   # row 0 at the top

    # Characters of summary that fit in one lifeline gap, from the axes' real width.
    bbox = ax.get_position()
    unit_in = fig.get_figwidth() * bbox.width / (ax.get_xlim()[1] - ax.get_xlim()[0])
    chars_per_unit = unit_in * 72 / (SUMMARY_PT * MONO_EM)

    bottom = max(rows, 1) - 0.5
    for i, name in enumerate(names):
        ax.plot([i, i], [-0.9, bottom], color="#b0b0b0", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.text(i, -1.0, _label(name), fontsize=LABEL_PT, ha="center", va="bottom", zorder=4, gid=f"lifeline-{name}",
                bbox=dict(boxstyle="round,pad=0.3", fc="#eef3f8", ec="#1f4e79", lw=0.8))

    for row, h in enumerate(shown):
        lost = h.received is None and h.status != "in flight"
        color = LOST_COLOR if lost else IN_FLIGHT_COLOR if h.received is None else \
            REPLY_COLOR if h.kind == "reply" else CALL_COLOR
        current = h.id == highlight
        if current:
            ax.axhspan(row - 0.5, row + 0.5, color=HIGHLIGHT_COLOR, zorder=0, lw=0)
        ax.text(-0.35, row, f"{_ms(h.sent)} ms", fontsize=TIME_PT, family="monospace",
                ha="right", va="center", color="#444444")
        props = dict(color=color, lw=2.2 if current else 1.1, ls="--" if h.kind == "reply" else "-",
                     arrowstyle="-" if lost else "-|>", mutation_scale=9, shrinkA=0, shrinkB=0)
        # Summaries sit on a patch of the row's background so lifelines do not strike through them.
        backing = dict(boxstyle="square,pad=0.1", fc=HIGHLIGHT_COLOR if current else "white", ec="none")
        tail = f"  ↩ {answered[h.id]}" if h.id in answered else ""   # the reply outlives the cut
        x0, x1 = column[h.src], column[h.dst]
        if x0 == x1:                        # a message to itself: a loop to the right
            ax.annotate("", xy=(x0, row + 0.25), xytext=(x0, row - 0.25), gid=f"hop-{h.id}", zorder=3,
                        arrowprops=dict(props, connectionstyle="arc,angleA=0,angleB=0,armA=14,armB=14,rad=3"))
            end = (x0, row + 0.25)
            room = len(names) - 0.5 - x0 - 0.15
            ax.text(x0 + 0.15, row, _cut(h.summary, int(room * chars_per_unit), tail), fontsize=SUMMARY_PT,
                    family="monospace", ha="left", va="center", color=color, zorder=3, bbox=backing)
        else:
            # A lost message stops short of its destination's lifeline, where it died.
            xe = x1 - (LOST_SHORT if x1 > x0 else -LOST_SHORT) if lost else x1
            ax.annotate("", xy=(xe, row), xytext=(x0, row), gid=f"hop-{h.id}", zorder=3, arrowprops=props)
            end = (xe, row)
            room = abs(xe - x0) - 0.1
            ax.text((x0 + xe) / 2, row - 0.12, _cut(h.summary, int(room * chars_per_unit), tail), fontsize=SUMMARY_PT,
                    family="monospace", ha="center", va="bottom", color=color, zorder=3, bbox=backing)
        if lost:
            ax.plot([end[0]], [end[1]], marker="x", ms=7, mew=2, color=LOST_COLOR, zorder=3)
            ax.text(end[0], row + 0.12, h.status, fontsize=SUMMARY_PT, ha="center", va="top",
                    color=LOST_COLOR, style="italic", zorder=3)
    if hidden:
        ax.text((len(names) - 1) / 2, len(shown), f"… {hidden} more hops", fontsize=LABEL_PT,
                ha="center", va="center", style="italic", color="#444444", bbox=dict(fc="white", ec="none"))
    return fig


def to_png(fig: "Figure", dpi: int = 100) -> bytes:
    """The figure as PNG bytes, identical on every run (no software or date stamps)."""
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
