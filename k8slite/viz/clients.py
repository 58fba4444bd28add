"""What a client costs the API server: polling versus watching, as a table and a picture.

Mirrors nothing upstream: this is the book's picture of why client-go's informers list
once and then watch (``tools/cache/reflector.go``) instead of listing again and again.
A chapter measures each client mode on clusters of growing size and hands the numbers
here as ``Cost`` rows; ``cost_table`` is the text twin of ``cost_figure`` (nbval compares
text, not images).

Simplified: the rows are whatever the chapter measured; nothing here runs a cluster.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional, Sequence

if TYPE_CHECKING:  # matplotlib is a book dependency, imported only when drawing
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MODE_COLORS = {"poll": "#c62828", "inform": "#1f4e79"}
MODE_MARKERS = {"poll": "s", "inform": "o"}
OTHER_COLOR = "#555555"


class Cost(NamedTuple):
    """What one client mode cost on one cluster, over ``seconds`` of virtual time."""
    mode: str            # "poll" (list every period) or "inform" (list once, then watch)
    nodes: int           # node agents, one client each
    pods: int            # pods in the cluster
    seconds: float       # length of the measured window
    requests: int        # requests the agents sent the API server in the window
    bytes: int           # bytes of JSON the API server sent the agents (answers and watch events)
    etcd_objects: int    # objects the API server read from etcd to answer the agents
    changes: int         # pod changes made in the window
    seen: int            # changes the agents noticed
    delay: float         # mean seconds from a change to an agent noticing it

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def bytes_per_second(self) -> float:
        return self.bytes / self.seconds

    @property
    def etcd_objects_per_second(self) -> float:
        return self.etcd_objects / self.seconds


def _delay(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cost_table(costs: Iterable[Cost]) -> str:
    """One line per (cluster, mode): the rates the figure draws, and what the agents noticed.
    Columns are padded to the widest entry; numbers are right-aligned; no trailing spaces."""
    header = ["NODES", "PODS", "MODE", "REQUESTS/S", "KB/S", "ETCD OBJECTS/S", "CHANGES", "NOTICED", "MEAN DELAY"]
    rows = [[str(c.nodes), str(c.pods), c.mode, f"{c.requests_per_second:.2f}", f"{c.bytes_per_second / 1000:.1f}",
             f"{c.etcd_objects_per_second:.0f}", str(c.changes), str(c.seen), _delay(c.delay)] for c in costs]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    left = {2}

    def fmt(row: list[str]) -> str:
        return "  ".join(cell.ljust(w) if i in left else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
    return "\n".join(fmt(r) for r in [header] + rows)


def _series(costs: Sequence[Cost]) -> dict[str, list[Cost]]:
    """Rows by mode, in the order modes first appear, each sorted by cluster size."""
    out: dict[str, list[Cost]] = {}
    for c in costs:
        out.setdefault(c.mode, []).append(c)
    return {mode: sorted(rows, key=lambda c: (c.pods, c.nodes)) for mode, rows in out.items()}


def _rate(value: float, unit: str) -> str:
    if unit == "B/s":
        for limit, scale, name in ((1e6, 1e6, "MB/s"), (1e3, 1e3, "KB/s")):
            if value >= limit:
                return f"{value / scale:.3g} {name}"
        return f"{value:.3g} B/s"
    return f"{value:.3g}"


def _size(pods: float, nodes: dict[int, int]) -> str:
    n = nodes.get(int(round(pods)))
    return f"{pods:g} pods\n{n} node{'' if n == 1 else 's'}"


def cost_figure(costs: Sequence[Cost], title: Optional[str] = None) -> "Figure":
    """Two panels against cluster size (pods, log scale): requests per second (symmetric log,
    so a mode that sent nothing sits on the zero line) and bytes per second (log). One line per
    mode, each point labelled with its value. Lines carry ``gid="<panel>-<mode>"`` with panel
    ``requests`` or ``bytes``; their data are the rates of ``Cost``."""
    costs = list(costs)
    if not costs:
        raise ValueError("no measurements to draw")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter

    fig = Figure(figsize=(11, 4.2))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    series = _series(costs)
    sizes = sorted({c.pods for c in costs})
    nodes = {c.pods: c.nodes for c in costs}
    panels = ((left, "requests", "requests per second to the API server",
               lambda c: c.requests_per_second, ""),
              (right, "bytes", "bytes per second from the API server",
               lambda c: c.bytes_per_second, "B/s"))
    for ax, panel, ylabel, value, unit in panels:
        for mode, rows in series.items():
            xs, ys = [c.pods for c in rows], [value(c) for c in rows]
            color = MODE_COLORS.get(mode, OTHER_COLOR)
            line = ax.plot(xs, ys, marker=MODE_MARKERS.get(mode, "^"), color=color, lw=1.8, ms=6, label=mode)[0]
            line.set_gid(f"{panel}-{mode}")
            for x, y in zip(xs, ys):
                ax.annotate(_rate(y, unit), (x, y), textcoords="offset points", xytext=(0, 7), ha="center",
                            fontsize=8, color=color)
        ax.set_xscale("log")
        if panel == "requests":
            ax.set_yscale("symlog", linthresh=0.01, linscale=0.3)
        else:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _size(x, nodes)))
        ax.set_xlim(sizes[0] / 2, sizes[-1] * 2)
        top = max(value(c) for c in costs)
        if panel == "requests":
            ax.set_ylim(-0.002, top * 4 if top > 0 else 1)
        else:
            positive = [value(c) for c in costs if value(c) > 0] or [1.0]
            ax.set_ylim(min(positive) / 3, top * 4)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(True, which="major", color="#e3e3e3", lw=0.7)
        ax.tick_params(labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    if title:
        fig.suptitle(title, x=0.02, ha="left", fontsize=11, fontweight="bold")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.86 if title else 0.95, wspace=0.25)
    return fig
