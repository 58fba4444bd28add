"""Timelines: what each loop did when, one lane per component or object, with the constants that set the pace.

Mirrors nothing upstream: this is the book's picture of a controller's reaction over virtual
time (a node stops renewing its Lease; 40 s later the node lifecycle controller marks it
Unknown; 300 s after the taint its pods are evicted). A chapter collects what it saw and
hands it here as three kinds of row:

- ``Moment(time, lane, label, kind)``: one thing that happened, drawn as a tick on its lane
  with its label above; ``kind`` is ``"event"`` (a component did it), ``"input"`` (the
  reader did it: kubectl) or ``"fault"`` (the reader broke something).
- ``Bar(lane, start, end, state, label)``: a stretch of time in one state (a pod Pending,
  Running, Succeeded), coloured by state.
- ``Interval(start, end, label, lane)``: a duration to point at, usually an upstream
  constant (``--node-monitor-grace-period``), drawn as a bracket under its lane.

``timeline_table`` is the text twin of ``timeline_figure`` (nbval compares text, not
images). Long quiet stretches can be squeezed out of the time axis (``quiet_gaps``): the
axis then jumps, marked by a zig-zag and the length left out, so a story of a few busy
seconds at 20 s, 66 s and 366 s fits on one page.

Simplified: label placement is greedy (in time order, each label takes the lowest row above
its lane where it overlaps no label already placed, up to ``MAX_LEVELS`` rows); widths are
estimated from the character count, so a label may end a little before or after its estimate.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.figure import Figure

KIND_COLORS = {"event": "#1f4e79", "input": "#6a3d9a", "fault": "#c62828"}
STATE_COLORS = {
    "Pending": "#f6d776", "ContainerCreating": "#f6d776", "Running": "#8cc084", "Ready": "#2e7d32",
    "NotReady": "#e69138", "Unknown": "#e69138", "Terminating": "#b7b7b7", "Succeeded": "#6fa8dc",
    "Completed": "#6fa8dc", "Complete": "#6fa8dc", "Failed": "#c62828", "Error": "#c62828", "Active": "#8cc084",
    "Bound": "#2e7d32", "Released": "#b7b7b7", "Waiting": "#f6d776", "back-off": "#f3c5c5",
}
OTHER_STATES = ("#b4a7d6", "#a2c4c9", "#d5a6bd", "#c9c9a0", "#9fc5e8")
INTERVAL_COLOR = "#7f6000"
GAP_COLOR = "#efefef"
LABEL_PT, LANE_PT, TICK_PT = 7.5, 8.5, 8
CHAR_EM = 0.56                  # mean advance of a DejaVu Sans character, in ems (label width estimate)
MAX_LEVELS = 8                  # label rows above a lane
LEVEL_H, BAR_H = 0.26, 0.34     # lane geometry in data units: a row of labels, a bar
GAP_SHARE = 0.035               # the width a squeezed-out gap keeps, as a share of the axis
ROW_IN = 0.42                   # inches per data unit down the figure


class Moment(NamedTuple):
    time: float
    lane: str
    label: str
    kind: str = "event"          # "event", "input" or "fault": the colour of the tick and label


class Bar(NamedTuple):
    lane: str
    start: float
    end: float
    state: str                   # a key of STATE_COLORS, or any other name (a colour is picked for it)
    label: str = ""              # written on the bar when it fits


class Interval(NamedTuple):
    start: float
    end: float
    label: str                   # e.g. "40 s --node-monitor-grace-period"
    lane: Optional[str] = None   # the lane it hangs under (default: the first lane)


def state_bars(lane: str, samples: Iterable[tuple[float, Optional[str]]], until: float, label: str = "") -> list[Bar]:
    """Bars from a lane's state over time: ``samples`` are ``(time, state)`` in time order, each
    state holding until the next sample (``None``: nothing to draw, say before an object
    exists or after it is gone); the last one holds until ``until``. Repeats of a state merge."""
    out: list[Bar] = []
    current: Optional[tuple[float, str]] = None
    for t, state in samples:
        if current is not None and state == current[1]:
            continue
        if current is not None:
            out.append(Bar(lane, current[0], t, current[1], label))
        current = None if state is None else (t, state)
    if current is not None and until > current[0]:
        out.append(Bar(lane, current[0], until, current[1], label))
    return out


# -- the text twin -------------------------------------------------------------------------
def timeline_table(moments: Iterable[Moment] = (), bars: Iterable[Bar] = (), intervals: Iterable[Interval] = (),
                   precision: int = 3) -> str:
    """Every row in time order: moments (no UNTIL), bars (their state, and label), intervals
    (``↔`` and their label). At equal times moments come first, then bars, then intervals,
    each in the order given."""
    rows = []
    for n, m in enumerate(moments):
        rows.append((m.time, 0, n, f"{m.time:.{precision}f}", "", m.lane, m.label))
    for n, b in enumerate(bars):
        what = f"{b.state} ({b.label})" if b.label else b.state
        rows.append((b.start, 1, n, f"{b.start:.{precision}f}", f"{b.end:.{precision}f}", b.lane, what))
    lane0 = next(iter([m.lane for m in moments] + [b.lane for b in bars]), "")
    for n, i in enumerate(intervals):
        rows.append((i.start, 2, n, f"{i.start:.{precision}f}", f"{i.end:.{precision}f}", i.lane or lane0,
                     f"↔ {i.label}"))
    if not rows:
        return "(nothing happened)"
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    header = ("TIME (s)", "UNTIL (s)", "LANE", "WHAT")
    cells = [header] + [r[3:] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = [f"{c[0]:>{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]}".rstrip() for c in cells]
    return "\n".join(lines)


# -- squeezing quiet stretches out of the axis ---------------------------------------------
def quiet_gaps(times: Iterable[float], longer_than: float, margin: Optional[float] = None) -> list[tuple[float, float]]:
    """The stretches between consecutive ``times`` longer than ``longer_than``, each shrunk by
    ``margin`` (default a quarter of ``longer_than``) at both ends so what happens next to a
    gap stays on the page. Returns ``(start, end)`` pairs in order."""
    margin = longer_than / 4 if margin is None else margin
    ts = sorted(set(times))
    return [(a + margin, b - margin) for a, b in zip(ts, ts[1:]) if b - a > longer_than and b - a > 2 * margin]


class TimeAxis:
    """Virtual time → position on the page, piecewise linear: every gap is squeezed to the same
    small width (``GAP_SHARE`` of the axis), everything else keeps its length."""

    def __init__(self, lo: float, hi: float, gaps: Sequence[tuple[float, float]] = ()):
        if hi <= lo:
            hi = lo + 1.0
        self.lo, self.hi = lo, hi
        self.gaps = sorted((max(a, lo), min(b, hi)) for a, b in gaps if min(b, hi) > max(a, lo))
        for (_, b), (a, _) in zip(self.gaps, self.gaps[1:]):
            if a < b:
                raise ValueError("gaps overlap")
        kept = (hi - lo) - sum(b - a for a, b in self.gaps)
        n = len(self.gaps)
        # Each gap's width w satisfies n * w = GAP_SHARE * (kept + n * w).
        self.gap_width = GAP_SHARE * kept / (1 - GAP_SHARE * n) if n else 0.0

    @property
    def width(self) -> float:
        return self(self.hi)

    def __call__(self, t: float) -> float:
        x = t - self.lo
        for a, b in self.gaps:
            if t >= b:
                x -= (b - a) - self.gap_width
            elif t > a:
                x -= (t - a) * (1 - self.gap_width / (b - a))
        return x

    def segments(self) -> list[tuple[float, float]]:
        """The stretches of time drawn at full scale."""
        out, start = [], self.lo
        for a, b in self.gaps:
            out.append((start, a))
            start = b
        out.append((start, self.hi))
        return out

    def tick_label(self, t: float) -> str:
        """A tick's time with as many decimals as the finest step on the axis needs."""
        steps = [b - a for a, b in zip(self.ticks(), self.ticks()[1:])] or [1.0]
        decimals = next((d for d in range(4) if min(steps) >= 10 ** -d - 1e-9), 3)
        return f"{t:.{decimals}f}"

    def ticks(self, per_width: float = 12.0) -> list[float]:
        """Round times in each full-scale stretch, about ``per_width`` ticks across the whole axis."""
        out = []
        for a, b in self.segments():
            share = (b - a) / max(self.width, 1e-9)
            wanted = max(1.0, per_width * share)
            step = _nice_step((b - a) / wanted)
            first = -(-a // step) * step
            t = first
            while t <= b + 1e-9:
                if not out or self(t) - self(out[-1]) >= 0.045 * self.width:
                    out.append(round(t, 6))
                t += step
        return out


def _nice_step(raw: float) -> float:
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 50, 60, 100, 120, 200,
                 300, 500, 600, 1000, 1800, 3600):
        if step >= raw:
            return float(step)
    return 3600.0 * (-(-raw // 3600))


def _gap_text(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


# -- layout --------------------------------------------------------------------------------
def _lanes(moments: Sequence[Moment], bars: Sequence[Bar], intervals: Sequence[Interval],
           lanes: Optional[Sequence[str]]) -> list[str]:
    order: list[str] = list(lanes or ())
    for name in [m.lane for m in moments] + [b.lane for b in bars] + [i.lane for i in intervals if i.lane]:
        if name not in order:
            if lanes is not None:
                raise ValueError(f"lane {name!r} is not among the lanes given")
            order.append(name)
    return order


def label_extent(m: Moment, axis: TimeAxis, units_per_char: float) -> tuple[float, float]:
    """Where a moment's label lies along the axis: it starts at the tick, or ends there when it
    would run past the right edge."""
    x, width = axis(m.time), len(m.label) * units_per_char
    return (x - width, x) if x + width > axis.width else (x, x + width)


def place_labels(moments: Sequence[Moment], axis: TimeAxis, units_per_char: float) -> list[int]:
    """The label level of each moment (0 just above its lane): trying moments in time order, a
    label goes to the lowest level of its lane where it overlaps no label placed there before;
    when every level is taken, the level whose labels overlap it least."""
    levels = [0] * len(moments)
    placed: dict[str, list[list[tuple[float, float]]]] = {}
    pad = 1.5 * units_per_char
    for n in sorted(range(len(moments)), key=lambda n: (moments[n].time, n)):
        m = moments[n]
        if not m.label:
            continue                    # a bare tick takes no room
        a, b = label_extent(m, axis, units_per_char)
        rows = placed.setdefault(m.lane, [[] for _ in range(MAX_LEVELS)])

        def overlap(level: int) -> float:
            return sum(max(0.0, min(b, y) - max(a, x) + pad) for x, y in rows[level])
        level = next((lv for lv in range(MAX_LEVELS) if overlap(lv) == 0), None)
        if level is None:
            level = min(range(MAX_LEVELS), key=overlap)
        rows[level].append((a, b))
        levels[n] = level
    return levels


def _state_colors(bars: Sequence[Bar]) -> dict[str, str]:
    colors, spare = {}, iter(OTHER_STATES * 4)
    for b in bars:
        if b.state not in colors:
            colors[b.state] = STATE_COLORS.get(b.state) or next(spare)
    return colors


def timeline_figure(moments: Iterable[Moment] = (), bars: Iterable[Bar] = (), intervals: Iterable[Interval] = (),
                    *, lanes: Optional[Sequence[str]] = None, gaps: Sequence[tuple[float, float]] = (),
                    since: Optional[float] = None, until: Optional[float] = None, title: Optional[str] = None,
                    width: float = 11.0) -> "Figure":
    """One lane per component or object, top to bottom in ``lanes`` order (default: order of
    first appearance); time runs left to right, squeezed at ``gaps``.

    Artists carry gids for tests: each moment's tick ``moment-<n>`` and its label
    ``label-<n>`` (n its index in ``moments``), bars ``bar-<n>``, intervals ``interval-<n>``,
    squeezed gaps ``gap-<n>``, lane names ``lane-<name>``.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    moments, bars, intervals = list(moments), list(bars), list(intervals)
    if not moments and not bars:
        raise ValueError("nothing to draw: no moments and no bars")
    names = _lanes(moments, bars, intervals, lanes)
    times = [m.time for m in moments] + [t for b in bars for t in (b.start, b.end)] + \
        [t for i in intervals for t in (i.start, i.end)]
    lo = min(times) if since is None else since
    hi = max(times) if until is None else until
    span = max(hi - lo, 1e-9)
    lo, hi = lo - (0.02 * span if since is None else 0), hi + (0.02 * span if until is None else 0)
    axis = TimeAxis(lo, hi, gaps)

    left_in, right_in = 1.55, 0.25
    axes_w_in = width - left_in - right_in
    units_per_char = axis.width / axes_w_in * (LABEL_PT * CHAR_EM / 72)
    levels = place_labels(moments, axis, units_per_char)

    # Lane geometry (data units, y grows downwards): label rows, then the lane's line, then brackets.
    used = {name: -1 for name in names}
    for m, lv in zip(moments, levels):
        used[m.lane] = max(used[m.lane], lv)
    braced = {i.lane or names[0] for i in intervals}
    y_line, top = {}, 0.0
    for name in names:
        top += (used[name] + 1) * LEVEL_H + BAR_H / 2 + 0.08
        y_line[name] = top
        top += BAR_H / 2 + (0.42 if name in braced else 0.12)
    height_units = top + 0.1

    head_in, foot_in = (0.62 if title else 0.4), 0.75      # with a title, the legend gets a row of its own
    fig = Figure(figsize=(width, head_in + height_units * ROW_IN + foot_in))
    h_in = fig.get_figheight()
    ax = fig.add_axes((left_in / width, foot_in / h_in, axes_w_in / width, height_units * ROW_IN / h_in))
    ax.set_xlim(0, axis.width)
    ax.set_ylim(height_units, 0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])

    for n, (a, b) in enumerate(axis.gaps):
        x0, x1 = axis(a), axis(b)
        ax.add_patch(Rectangle((x0, 0), x1 - x0, height_units, fc=GAP_COLOR, ec="none", zorder=0, gid=f"gap-{n}"))
        for x in (x0, x1):
            ax.plot([x - 0.004 * axis.width, x + 0.004 * axis.width], [height_units + 0.12, height_units - 0.12],
                    color="#444444", lw=1, clip_on=False, zorder=5)
        ax.text((x0 + x1) / 2, height_units + 0.55, f"⋯ {_gap_text(b - a)} ⋯", ha="center", va="top",
                fontsize=TICK_PT - 1, color="#555555", clip_on=False)
    for name in names:
        y = y_line[name]
        ax.plot([0, axis.width], [y, y], color="#d0d0d0", lw=0.8, zorder=1)
        ax.text(-0.01 * axis.width, y, name, ha="right", va="center", fontsize=LANE_PT, gid=f"lane-{name}")

    colors = _state_colors(bars)
    for n, b in enumerate(bars):
        x0, x1 = axis(b.start), axis(max(b.end, b.start))
        ax.add_patch(Rectangle((x0, y_line[b.lane] - BAR_H / 2), max(x1 - x0, 0.002 * axis.width), BAR_H,
                               fc=colors[b.state], ec="#555555", lw=0.4, zorder=2, gid=f"bar-{n}"))
        if b.label and len(b.label) * units_per_char * 0.95 < x1 - x0:
            ax.text((x0 + x1) / 2, y_line[b.lane], b.label, ha="center", va="center", fontsize=LABEL_PT - 0.5,
                    zorder=3)

    for n, (m, lv) in enumerate(zip(moments, levels)):
        x, y = axis(m.time), y_line[m.lane]
        color = KIND_COLORS.get(m.kind, KIND_COLORS["event"])
        ax.plot([x, x], [y - BAR_H / 2, y + BAR_H / 2], color=color, lw=1.6, zorder=4, gid=f"moment-{n}",
                solid_capstyle="butt")
        y_text = y - BAR_H / 2 - 0.03 - lv * LEVEL_H
        if not m.label:
            continue
        if lv:
            ax.plot([x, x], [y - BAR_H / 2, y_text], color=color, lw=0.5, ls=":", zorder=3)
        ends_at_tick = label_extent(m, axis, units_per_char)[1] == x
        ax.text(x, y_text, m.label, ha="right" if ends_at_tick else "left", va="bottom", fontsize=LABEL_PT,
                color=color, zorder=4, gid=f"label-{n}",
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.8))

    for n, i in enumerate(intervals):
        y = y_line[i.lane or names[0]] + BAR_H / 2 + 0.12
        x0, x1 = axis(i.start), axis(i.end)
        ax.annotate("", xy=(x1, y), xytext=(x0, y), gid=f"interval-{n}", zorder=3,
                    arrowprops=dict(arrowstyle="|-|", color=INTERVAL_COLOR, lw=0.9, mutation_scale=3,
                                    shrinkA=0, shrinkB=0))
        ax.text((x0 + x1) / 2, y + 0.05, i.label, ha="center", va="top", fontsize=LABEL_PT - 0.5,
                color=INTERVAL_COLOR, style="italic", zorder=3,
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.85))

    ticks = axis.ticks()
    ax.set_xticks([axis(t) for t in ticks], [axis.tick_label(t) for t in ticks], fontsize=TICK_PT)
    ax.set_xlabel("virtual time (s)", fontsize=TICK_PT + 1, labelpad=16 if axis.gaps else 4)

    handles = [Patch(fc=c, ec="#555555", lw=0.4, label=s) for s, c in colors.items()]
    kinds = [k for k in ("event", "input", "fault") if any(m.kind == k for m in moments)]
    if len(kinds) > 1:
        from matplotlib.lines import Line2D
        names_of = {"event": "a component acted", "input": "you (kubectl)", "fault": "fault injected"}
        handles += [Line2D([], [], color=KIND_COLORS[k], lw=1.6, label=names_of[k]) for k in kinds]
    if handles:
        ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1.0, 1 - (0.3 if title else 0.02) / h_in),
                  bbox_transform=fig.transFigure, ncol=min(len(handles), 7), fontsize=LABEL_PT, frameon=False,
                  handlelength=1.2, columnspacing=1.2)
    if title:
        fig.text(0.01, 1 - 0.12 / h_in, title, ha="left", va="top", fontsize=10, fontweight="bold")
    return fig
