"""A step-through player for hops: a slider over the hops, the diagram so far, the state.

Mirrors nothing upstream: it is the book's way to follow a request one message at a
time. The live notebook gets an ipywidgets player (``widget``); the web book, where
widgets do not run, gets small multiples (``static_figure``); nbval gets the text of
each step (``frame``), which carries everything the pictures show.

Simplified: each step redraws the whole diagram (the last ``window`` hops up to the
current one) and sends it to the browser as a PNG, so the player runs the same under
any matplotlib backend; ``state_at`` is called afresh for every step it shows.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Sequence

from k8slite.sim.trace import Hop

from .sequence import COL_IN, FOOTER_IN, HEADER_IN, MARGIN_IN, ROW_IN, _ms, lifelines, sequence_diagram, to_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TITLE_IN = 0.3          # room above each small multiple for its title


class Player:
    """Step through ``hops`` (index 0 is the first hop). ``state_at(hop)`` returns the
    objects' state just after that hop as ``{"pods": ["web-1  Pending  node-1"], ...}``."""

    def __init__(self, hops: Iterable[Hop], state_at: Optional[Callable[[Hop], dict[str, list[str]]]] = None,
                 window: int = 30):
        self.hops = list(hops)
        if not self.hops:
            raise ValueError("a Player needs at least one hop")
        self.state_at = state_at
        self.window = window                  # hops drawn per step: the last `window` up to the current
        self.lines = lifelines(self.hops)     # fixed for every step, so lifelines never move
        self._png: dict[int, bytes] = {}      # step -> rendered diagram; figures are pure functions of the step

    def __len__(self) -> int:
        return len(self.hops)

    def _step(self, i: int) -> int:
        if not 0 <= i < len(self.hops):
            raise IndexError(f"step {i} is outside 0..{len(self.hops) - 1}")
        return i

    def frame(self, i: int) -> str:
        """The text of step ``i``: the hop's details, then the state after it."""
        h = self.hops[self._step(i)]
        cause = "no cause" if h.cause is None else f"caused by hop {h.cause}"
        if h.received is not None:
            fate = f"received {_ms(h.received)} ms"
        elif h.status == "in flight":
            fate = "still in flight"
        else:
            fate = f"lost: {h.status}"
        out = [f"step {i + 1} of {len(self.hops)}: hop {h.id} ({cause})",
               f"  {h.src} → {h.dst}  [{h.kind}]",
               f"  {h.summary}",
               f"  sent {_ms(h.sent)} ms, {fate}"]
        if self.state_at is not None:
            for kind, items in self.state_at(h).items():
                out.append(f"{kind}:")
                out.extend(f"  {item}" for item in items or ["(none)"])
        return "\n".join(out)

    def _window(self, i: int) -> tuple[list[Hop], str]:
        start = max(0, i + 1 - self.window)
        title = f"step {i + 1} of {len(self.hops)}: hop {self.hops[i].id}"
        if start:
            title += f" (from step {start + 1})"
        return self.hops[start:i + 1], title

    def figure(self, i: int, ax: Optional["Axes"] = None) -> "Figure":
        """The diagram at step ``i``: hops up to it, the current one highlighted."""
        hops, title = self._window(self._step(i))
        return sequence_diagram(hops, title=title, max_hops=self.window, ax=ax,
                                highlight=self.hops[i].id, lines=self.lines)

    def static_figure(self, steps: Sequence[int], ncols: int = 2) -> "Figure":
        """Small multiples: the diagram at each of ``steps``, in a grid ``ncols`` wide."""
        from matplotlib.figure import Figure
        steps = [self._step(i) for i in steps]
        if not steps:
            raise ValueError("static_figure needs at least one step")
        ncols = max(1, min(ncols, len(steps)))
        nrows = -(-len(steps) // ncols)
        rows = max(len(self._window(i)[0]) for i in steps)
        panel_w = MARGIN_IN + COL_IN * len(self.lines)
        panel_h = TITLE_IN + HEADER_IN + ROW_IN * rows + FOOTER_IN
        fig = Figure(figsize=(ncols * panel_w, nrows * panel_h))
        for n, i in enumerate(steps):
            r, c = divmod(n, ncols)
            ax = fig.add_axes((c / ncols, 1 - (r + 1) / nrows,
                               1 / ncols, (panel_h - TITLE_IN) / panel_h / nrows))
            self.figure(i, ax=ax)
            ax.set_ylim(rows - 0.5 + FOOTER_IN / ROW_IN, -HEADER_IN / ROW_IN)   # one row height in every panel
        return fig

    def png(self, i: int) -> bytes:
        if i not in self._png:
            self._png[i] = to_png(self.figure(i))
        return self._png[i]

    def widget(self, interval_ms: int = 900):
        """An ipywidgets box: play button and slider, the diagram, the step's text."""
        import ipywidgets as widgets
        last = len(self.hops) - 1
        play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval_ms, description="play")
        slider = widgets.IntSlider(value=0, min=0, max=last, description="step",
                                   layout=widgets.Layout(width="60%"))
        widgets.jslink((play, "value"), (slider, "value"))
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        text = widgets.HTML()

        def show(change: object = None) -> None:
            image.value = self.png(slider.value)
            text.value = f"<pre>{html.escape(self.frame(slider.value))}</pre>"

        slider.observe(show, names="value")
        show()
        return widgets.VBox([widgets.HBox([play, slider]), text, image])
