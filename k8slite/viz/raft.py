"""Raft pictures: a term/leader timeline per member and a matrix of every member's log.

Mirrors nothing upstream: these are the book's pictures of etcd's Raft (``k8slite/etcd/
raft.py``, after etcd v3.5 ``raft/raft.go`` and ``raft/log.go``). They draw what
``etcdctl endpoint status`` only hints at:

- ``term_timeline`` draws one row per member over virtual time, a coloured span for each
  role it held (follower, pre-candidate, candidate, leader, down) with the term written
  on it, from each member's ``EtcdServer.history``. Its text twin is ``term_table``.
- ``log_matrix`` draws one row per member and one column per log index; each cell holds
  the term of that member's entry, uncommitted entries are hollow, the commit and apply
  points are marked, and the prefix compacted into a snapshot is one grey block. Its
  text twin is ``log_table``.

Every figure has a text twin because nbval compares text and not images; the data
behind both is ``term_spans`` and ``log_rows``, which the tests check.

Simplified: roles are drawn from the moments the server noticed a change (after each
Ready), so a role held for less than a Ready is not drawn; pre-candidate and candidate
spans last milliseconds, so they are drawn at least ``MIN_SPAN`` of the time axis wide.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ROLES = ("follower", "pre-candidate", "candidate", "leader", "down")
ROLE_COLORS = {"follower": "#c9d9ea", "pre-candidate": "#ffe680", "candidate": "#f4a340",
               "leader": "#2e7d32", "down": "#d9d9d9"}
ROLE_TEXT = {"follower": "#1f2f3f", "pre-candidate": "#1f2f3f", "candidate": "#1f2f3f",
             "leader": "white", "down": "#555555"}
NO_LEADER_HATCH = "////"       # a follower that knows no leader
DOWN_HATCH = "xx"
MIN_SPAN = 0.006               # transitional roles: at least this fraction of the time axis wide
TERM_PALETTE = ("#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9f0a3", "#fde0ef", "#ccebc5")
SNAPSHOT_COLOR = "#bdbdbd"
LOG_LEGEND = "(cells: the term of each entry; * not yet committed on that member; · compacted into the snapshot)"
CELL_IN, LABEL_IN, MIN_WIDTH_IN = 0.42, 1.9, 7.4     # log matrix: inches per index, for row labels, at least
COMMIT_COLOR = "#1f4e79"
APPLIED_COLOR = "#d62728"


# -- the members ------------------------------------------------------------------------
def _servers(cluster_or_members: Any) -> list:
    """EtcdServers from an EtcdCluster, a dict name -> server, or an iterable of servers."""
    members = getattr(cluster_or_members, "members", cluster_or_members)
    if isinstance(members, dict):
        members = members.values()
    servers = list(members)
    if not servers:
        raise ValueError("no members to draw")
    return servers


def _leader_name(server, lead: int) -> str:
    return server.peers.get(lead, "") if lead else ""


# -- term timeline ----------------------------------------------------------------------
class Span(NamedTuple):
    member: str
    start: float
    end: float
    term: int
    state: str          # one of ROLES
    leader: str         # the leader this member knew ("" for none, and while down)


def term_spans(cluster_or_members: Any, since: float = 0.0, until: Optional[float] = None) -> list[Span]:
    """Each member's roles as spans, member by member, clipped to [since, until].

    A span starts at an entry of ``EtcdServer.history`` (a change of term, role or known
    leader) and ends at the next one, or at ``until`` (default: the kernel's now).
    """
    servers = _servers(cluster_or_members)
    if until is None:
        until = servers[0].kernel.now
    spans = []
    for server in servers:
        history = server.history
        for n, (start, term, state, lead) in enumerate(history):
            end = history[n + 1][0] if n + 1 < len(history) else until
            start, end = max(start, since), min(end, until)
            if end < start or (end == start and n + 1 < len(history)):
                continue
            leader = "" if state == "down" else _leader_name(server, lead)
            spans.append(Span(server.name, start, end, term, state, leader))
    return spans


def term_table(cluster_or_members: Any, since: float = 0.0, until: Optional[float] = None) -> str:
    """The spans as a fixed-width table, the text twin of ``term_timeline``."""
    spans = term_spans(cluster_or_members, since, until)
    header = ["MEMBER", "FROM (s)", "TO (s)", "ROLE", "TERM", "LEADER"]
    rows = [[s.member, f"{s.start:.3f}", f"{s.end:.3f}", s.state, str(s.term),
             "" if s.state == "down" else s.leader or "(none)"] for s in spans]
    widths = [max(len(r[c]) for r in [header] + rows) for c in range(len(header))]
    right = {1, 2, 4}
    lines, last = [], None
    for r in [header] + rows:
        if last is not None and r[0] != last and last != "MEMBER":
            lines.append("")                    # a blank line between members
        last = r[0]
        cells = [cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def term_timeline(cluster_or_members: Any, until: Optional[float] = None, *, since: float = 0.0,
                  marks: Sequence[tuple[float, str]] = (), title: Optional[str] = None,
                  ax: Optional["Axes"] = None) -> "Figure":
    """One row per member, one bar per span, coloured by role and labelled with its term.

    Leaderless followers are hatched; ``marks`` are ``(time, label)`` pairs drawn as
    dashed vertical lines (say, "crash etcd-2"). Each bar is a ``Rectangle`` with
    ``gid="span-<member>-<n>"`` (n counts that member's spans from 0).
    """
    from matplotlib.patches import Patch
    servers = _servers(cluster_or_members)
    spans = term_spans(servers, since, until)
    names = [s.name for s in servers]
    lo = since
    hi = max([s.end for s in spans] + [lo + 1e-9])
    width = hi - lo
    if ax is None:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(10, 0.55 * len(names) + 1.5))
        ax = fig.add_axes((0.1, 0.5 / (0.55 * len(names) + 1.5) + 0.12, 0.88,
                           0.55 * len(names) / (0.55 * len(names) + 1.5)))
    else:
        fig = ax.figure
    row = {name: i for i, name in enumerate(names)}
    count = {name: 0 for name in names}
    transitional = ("pre-candidate", "candidate")
    drawn = []
    for s in spans:
        drawn.append((s, count[s.member]))
        count[s.member] += 1
    # Long roles first, the short transitional ones on top of them.
    for s, n in sorted(drawn, key=lambda d: d[0].state in transitional):
        w = s.end - s.start
        if s.state in transitional:
            w = max(w, MIN_SPAN * width)
        hatch = DOWN_HATCH if s.state == "down" else NO_LEADER_HATCH if s.state == "follower" and not s.leader \
            else None
        bar = ax.barh(row[s.member], w, left=s.start, height=0.6, color=ROLE_COLORS[s.state], hatch=hatch,
                      edgecolor="#555555" if hatch else ROLE_COLORS[s.state], linewidth=0.4)[0]
        bar.set_gid(f"span-{s.member}-{n}")
        if s.end - s.start >= 0.05 * width:
            label = f"term {s.term}" if s.state != "down" else "down"
            ax.text(s.start + (s.end - s.start) / 2, row[s.member], label, ha="center", va="center", fontsize=8,
                    color=ROLE_TEXT[s.state], clip_on=True,
                    bbox=dict(boxstyle="square,pad=0.1", fc=ROLE_COLORS[s.state], ec="none") if hatch else None)
    for t, label in marks:
        ax.axvline(t, color="#444444", ls="--", lw=0.9)
        ax.text(t, -0.55, label, ha="center", va="bottom", fontsize=8, color="#444444")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.75)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("virtual time (s)")
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Patch(fc=ROLE_COLORS[r], ec="#555555" if r == "down" else ROLE_COLORS[r],
                     hatch=DOWN_HATCH if r == "down" else None, label=r) for r in ROLES]
    handles.insert(1, Patch(fc=ROLE_COLORS["follower"], ec="#555555", hatch=NO_LEADER_HATCH,
                            label="follower, no leader"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22 - 0.1 / len(names)),
              ncol=len(handles), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", pad=14)
    return fig


# -- log matrix -----------------------------------------------------------------------------
class LogRow(NamedTuple):
    member: str
    state: str                   # the Raft role, or "down"
    term: int                    # the member's current term
    compacted: int               # indexes 1..compacted are only in the snapshot
    snapshot: int                # the index of the member's latest snapshot (0: none)
    entries: tuple               # (index, term) of every entry after the compacted prefix
    committed: int
    applied: int                 # the index the member's store has applied


def log_rows(cluster_or_members: Any) -> list[LogRow]:
    """Each member's log as data: what ``log_matrix`` and ``log_table`` show."""
    rows = []
    for server in _servers(cluster_or_members):
        log = server.raft.log
        state = server.raft.state if server.up else "down"
        entries = tuple((e.index, e.term) for e in log.entries[1:])
        rows.append(LogRow(server.name, state, server.raft.term, log.offset, log.snapshot.index, entries,
                           log.committed, server.applied_index))
    return rows


def _window(rows: list[LogRow], first: Optional[int], last: Optional[int]) -> tuple[int, int]:
    top = max([r.entries[-1][0] if r.entries else r.compacted for r in rows] + [1])
    return max(first or 1, 1), max(last or top, 1)


def log_table(cluster_or_members: Any, first: Optional[int] = None, last: Optional[int] = None,
              legend: bool = True) -> str:
    """Each member's log as one line per member, the text twin of ``log_matrix``.

    A cell holds the term of the entry at that index; ``*`` marks an entry this member
    has not yet seen committed; ``·`` an index compacted into the snapshot; blank: no
    entry there. ``legend`` adds a last line saying so.
    """
    rows = log_rows(cluster_or_members)
    first, last = _window(rows, first, last)
    indexes = range(first, last + 1)
    cw = max(len(str(last)), max([len(str(t)) for r in rows for _, t in r.entries] + [1]) + 1)
    name_w = max(len("MEMBER"), *(len(r.member) for r in rows))
    role_w = max(len("ROLE"), *(len(r.state) for r in rows))
    head = (f"{'MEMBER':<{name_w}}  {'ROLE':<{role_w}}  TERM  INDEX "
            + " ".join(f"{i:>{cw}}" for i in indexes) + "  COMMIT  APPLIED  SNAPSHOT")
    lines = [head]
    for r in rows:
        terms = dict(r.entries)
        cells = []
        for i in indexes:
            if i <= r.compacted:
                cell = "·"
            elif i in terms:
                cell = f"{terms[i]}{'' if i <= r.committed else '*'}"
            else:
                cell = ""
            cells.append(cell.rjust(cw))
        lines.append(f"{r.member:<{name_w}}  {r.state:<{role_w}}  {r.term:>4}  {'':5} " + " ".join(cells)
                     + f"  {r.committed:>6}  {r.applied:>7}  {r.snapshot:>8}")
    if legend:
        lines.append(LOG_LEGEND)
    return "\n".join(line.rstrip() for line in lines)


def _term_color(term: int) -> str:
    return TERM_PALETTE[(term - 1) % len(TERM_PALETTE)] if term > 0 else "#ffffff"


def log_matrix(cluster_or_members: Any, first: Optional[int] = None, last: Optional[int] = None, *,
               title: Optional[str] = None, ax: Optional["Axes"] = None) -> "Figure":
    """Rows = members, columns = log index; each cell shows the term of that entry.

    Committed entries are filled with their term's colour, uncommitted ones hollow with
    a dashed edge; a blue bar follows each member's commit index and a red triangle
    sits under its applied index; the compacted prefix is one grey "snapshot" block.
    Cells are ``Rectangle``s with ``gid="entry-<member>-<index>"``, the block
    ``gid="snapshot-<member>"``, the markers ``gid="commit-<member>"`` and
    ``gid="applied-<member>"``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle
    rows = log_rows(cluster_or_members)
    first, last = _window(rows, first, last)
    ncols = last - first + 1
    if ax is None:                     # a fixed size per cell: one column never stretches to fill a page
        from matplotlib.figure import Figure
        axes_w, h_in = CELL_IN * (ncols + 0.4), 0.55 * len(rows) + 1.3
        w_in = max(LABEL_IN + axes_w + 0.2, MIN_WIDTH_IN)
        fig = Figure(figsize=(w_in, h_in))
        ax = fig.add_axes((LABEL_IN / w_in, 0.75 / h_in, axes_w / w_in, 1 - 1.2 / h_in))
    else:
        fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(first - 0.6, last + 0.8)
    ax.set_ylim(len(rows) - 0.35, -1.0)
    for i in range(first, last + 1):
        ax.text(i, -0.62, str(i), ha="center", va="center", fontsize=7, color="#444444")
    ax.text(first - 0.6, -0.62, "index", ha="right", va="center", fontsize=7, color="#444444")
    for y, r in enumerate(rows):
        label = f"{r.member}\n{r.state}, term {r.term}"
        ax.text(first - 0.6, y, label, ha="right", va="center", fontsize=8,
                fontweight="bold" if r.state == "leader" else "normal",
                color="#888888" if r.state == "down" else "black")
        if r.compacted >= first:
            end = min(r.compacted, last)
            block = Rectangle((first - 0.45, y - 0.3), end - first + 0.9, 0.6, fc=SNAPSHOT_COLOR, ec="#777777",
                              lw=0.6, gid=f"snapshot-{r.member}")
            ax.add_patch(block)
            text = f"compacted ≤ {r.compacted} (snapshot at {r.snapshot})" if end - first >= 4 else \
                f"≤ {r.compacted}" if end - first >= 1 else ""
            ax.text((first + end) / 2, y, text,
                    ha="center", va="center", fontsize=7, color="#333333")
        for index, term in r.entries:
            if not first <= index <= last:
                continue
            committed = index <= r.committed
            cell = Rectangle((index - 0.45, y - 0.3), 0.9, 0.6, fc=_term_color(term) if committed else "white",
                             ec="#555555" if committed else "#888888", lw=0.6, ls="-" if committed else "--",
                             gid=f"entry-{r.member}-{index}")
            ax.add_patch(cell)
            ax.text(index, y, str(term), ha="center", va="center", fontsize=8,
                    color="black" if committed else "#777777")
        if first - 1 <= r.committed <= last:
            ax.add_line(Line2D([r.committed + 0.5] * 2, [y - 0.4, y + 0.4], color=COMMIT_COLOR, lw=2.5,
                               gid=f"commit-{r.member}"))
        if first <= r.applied <= last:
            ax.add_line(Line2D([r.applied], [y + 0.4], marker="^", ms=5, color=APPLIED_COLOR, lw=0,
                               gid=f"applied-{r.member}"))
    handles = [Patch(fc=_term_color(1), ec="#555555", lw=0.6, label="committed entry (its term)"),
               Patch(fc="white", ec="#888888", ls="--", lw=0.6, label="not yet committed"),
               Patch(fc=SNAPSHOT_COLOR, ec="#777777", lw=0.6, label="compacted into snapshot"),
               Line2D([], [], color=COMMIT_COLOR, lw=2.5, label="commit index"),
               Line2D([], [], color=APPLIED_COLOR, marker="^", lw=0, label="applied")]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), bbox_transform=fig.transFigure,
              ncol=5, fontsize=7, frameon=False)
    if title:
        fig.text(0.01, 1 - 0.1 / fig.get_figheight(), title, ha="left", va="top", fontsize=10, fontweight="bold")
    return fig


def spans_of(spans: Iterable[Span], member: str) -> list[Span]:
    """The spans of one member, in order (a helper for notebooks and tests)."""
    return [s for s in spans if s.member == member]
