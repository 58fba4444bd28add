"""Tests of k8slite/viz: lifeline order, the text table, the diagram's artists, the player."""
import subprocess
import sys

import pytest

from k8slite.sim.trace import Hop, Trace
from k8slite.viz import Player, lifelines, sequence_diagram, sequence_table
from k8slite.viz.sequence import CALL_COLOR, LOST_COLOR, REPLY_COLOR, to_png

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402


def make_trace() -> Trace:
    """A kubectl create that reaches a kubelet, with a reply, a self-hop, a lost and an in-flight hop."""
    t = Trace()

    def hop(cause, src, dst, kind, summary, sent, received=None, status="delivered"):
        h = t.record(cause, src, dst, kind, summary, sent)
        h.received, h.status = received, status
        return h

    hop(None, "kubectl", "kube-apiserver", "POST", "POST /api/v1/namespaces/default/pods", 0.0, 0.001)
    hop(1, "kube-apiserver", "etcd", "Txn", "Txn create /registry/pods/default/web-1", 0.0015, 0.0025)
    hop(2, "etcd", "kube-apiserver", "reply", "OK rev 7", 0.003, 0.004)
    hop(1, "kube-apiserver", "kubectl", "reply", "201 Created", 0.0045, 0.0055)
    hop(2, "kube-apiserver", "kube-scheduler", "WATCH", "ADDED Pod default/web-1", 0.005, 0.006)
    hop(5, "kube-scheduler", "kube-scheduler", "enqueue", "activeQ add default/web-1", 0.006, 0.006)
    hop(6, "kube-scheduler", "kube-apiserver", "POST", "POST pods/web-1/binding", 0.0125, 0.0135)
    hop(7, "kube-apiserver", "kubelet/node-2", "WATCH", "MODIFIED Pod default/web-1", 0.014, None, "partitioned")
    hop(7, "kube-apiserver", "kubelet/node-1", "WATCH", "MODIFIED Pod default/web-1", 0.014, None, "in flight")
    return t


@pytest.fixture
def trace() -> Trace:
    return make_trace()


def arrows(fig) -> dict[str, Annotation]:
    return {a.get_gid(): a for ax in fig.axes for a in ax.texts if isinstance(a, Annotation)}


def hop_at(src: str, dst: str, i: int = 1) -> Hop:
    return Hop(i, None, src, dst, "GET", "x", 0.0, 0.0, "delivered")


# -- lifelines -------------------------------------------------------------------------

@pytest.mark.parametrize("pairs, want", [
    pytest.param([("kube-scheduler", "kube-apiserver"), ("kube-apiserver", "etcd"), ("kubectl", "kube-apiserver")],
                 ["kubectl", "kube-apiserver", "etcd", "kube-scheduler"],
                 id="the control plane takes its canonical order whatever appears first"),
    pytest.param([("kube-apiserver", "kubelet/node-10"), ("kube-apiserver", "kubelet/node-2"),
                  ("kubelet/node-2", "containerd/node-2"), ("kubelet/node-10", "containerd/node-10")],
                 ["kube-apiserver", "kubelet/node-2", "kubelet/node-10", "containerd/node-2", "containerd/node-10"],
                 id="kubelets come before container runtimes, each by node number, node-10 after node-2"),
    pytest.param([("coredns", "kube-apiserver"), ("kube-proxy/node-1", "kube-apiserver"),
                  ("kube-apiserver", "kubelet/node-1"), ("aardvark", "etcd")],
                 ["kube-apiserver", "etcd", "kubelet/node-1", "coredns", "kube-proxy/node-1", "aardvark"],
                 id="components outside the canonical order follow in order of first appearance"),
    pytest.param([], [], id="no hops, no lifelines"),
])
def test_lifelines(pairs, want):
    assert lifelines(hop_at(s, d, i) for i, (s, d) in enumerate(pairs, 1)) == want


# -- the text table --------------------------------------------------------------------

def test_sequence_table_is_the_diagram_in_text(trace):
    assert sequence_table(trace.hops) == "\n".join([
        "HOP  CAUSE  SENT (ms)  FROM → TO                        SUMMARY                                  STATUS",
        "  1      -      0.000  kubectl → kube-apiserver         POST /api/v1/namespaces/default/pods",
        "  2      1      1.500  kube-apiserver → etcd            Txn create /registry/pods/default/web-1",
        "  3      2      3.000  etcd → kube-apiserver            OK rev 7",
        "  4      1      4.500  kube-apiserver → kubectl         201 Created",
        "  5      2      5.000  kube-apiserver → kube-scheduler  ADDED Pod default/web-1",
        "  6      5      6.000  kube-scheduler → kube-scheduler  activeQ add default/web-1",
        "  7      6     12.500  kube-scheduler → kube-apiserver  POST pods/web-1/binding",
        "  8      7     14.000  kube-apiserver → kubelet/node-2  MODIFIED Pod default/web-1               partitioned",
        "  9      7     14.000  kube-apiserver → kubelet/node-1  MODIFIED Pod default/web-1               in flight",
    ])


def test_sequence_table_leaves_out_status_when_everything_arrived(trace):
    assert sequence_table(trace.hops[:2]) == "\n".join([
        "HOP  CAUSE  SENT (ms)  FROM → TO                 SUMMARY",
        "  1      -      0.000  kubectl → kube-apiserver  POST /api/v1/namespaces/default/pods",
        "  2      1      1.500  kube-apiserver → etcd     Txn create /registry/pods/default/web-1",
    ])
    assert sequence_table([]) == "(no hops)"


# -- the diagram -----------------------------------------------------------------------

def test_one_arrow_per_hop_and_one_label_per_lifeline(trace):
    fig = sequence_diagram(trace.hops, title="kubectl create pod")
    assert list(arrows(fig)) == [f"hop-{i}" for i in range(1, 10)]
    (ax,) = fig.axes
    labels = [(t.get_gid(), t.get_text(), t.get_position()[0]) for t in ax.texts
              if (t.get_gid() or "").startswith("lifeline-")]
    assert labels == [
        ("lifeline-kubectl", "kubectl", 0), ("lifeline-kube-apiserver", "kube-apiserver", 1),
        ("lifeline-etcd", "etcd", 2), ("lifeline-kube-scheduler", "kube-scheduler", 3),
        ("lifeline-kubelet/node-1", "kubelet\nnode-1", 4), ("lifeline-kubelet/node-2", "kubelet\nnode-2", 5),
    ]
    texts = [t.get_text() for t in ax.texts]
    assert "kubectl create pod" in texts and "12.500 ms" in texts


def test_arrows_run_from_source_to_destination_at_their_row(trace):
    a = arrows(sequence_diagram(trace.hops))
    assert (a["hop-1"].xyann, a["hop-1"].xy) == ((0, 0), (1, 0))      # kubectl → kube-apiserver, row 0
    assert (a["hop-3"].xyann, a["hop-3"].xy) == ((2, 2), (1, 2))      # etcd → kube-apiserver, row 2
    x0, y0 = a["hop-6"].xyann                                          # a self-hop is a loop on its lifeline
    x1, y1 = a["hop-6"].xy
    assert x0 == x1 == 3 and y0 < 5 < y1


def test_lost_hops_are_red_and_stop_short_with_an_x(trace):
    fig = sequence_diagram(trace.hops)
    a = arrows(fig)
    red = to_rgba(LOST_COLOR)
    assert [gid for gid, arrow in a.items() if arrow.arrow_patch.get_edgecolor() == red] == ["hop-8"]
    assert a["hop-8"].xy[0] < 5 and a["hop-8"].arrow_patch.get_arrowstyle().__class__.__name__ == "Curve"
    (ax,) = fig.axes
    xs = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(xs) == 1 and to_rgba(xs[0].get_color()) == red
    assert (xs[0].get_xdata()[0], xs[0].get_ydata()[0]) == a["hop-8"].xy
    assert "partitioned" in [t.get_text() for t in ax.texts]


def test_replies_are_dashed_and_requests_solid(trace):
    a = arrows(sequence_diagram(trace.hops))
    dashed = {gid for gid, arrow in a.items() if arrow.arrow_patch.get_linestyle() == "--"}
    assert dashed == {"hop-3", "hop-4"}
    assert a["hop-3"].arrow_patch.get_edgecolor() == to_rgba(REPLY_COLOR)
    assert a["hop-1"].arrow_patch.get_edgecolor() == to_rgba(CALL_COLOR)


def test_collapsed_replies_join_their_request(trace):
    fig = sequence_diagram(trace.hops, collapse_replies=True)
    assert "hop-3" not in arrows(fig) and "hop-4" not in arrows(fig) and len(arrows(fig)) == 7
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("POST /api/v1/") and t.endswith("…  ↩ 201 Created") for t in texts)
    assert any(t.startswith("Txn create /") and t.endswith("  ↩ OK rev 7") for t in texts)


def test_long_traces_stop_at_max_hops_with_a_note(trace):
    fig = sequence_diagram(trace.hops, max_hops=4)
    assert list(arrows(fig)) == ["hop-1", "hop-2", "hop-3", "hop-4"]
    assert "… 5 more hops" in [t.get_text() for t in fig.axes[0].texts]


def test_summaries_are_cut_to_the_gap_between_lifelines():
    long = Hop(1, None, "kubectl", "kube-apiserver", "GET", "GET /" + "x" * 200, 0.0, 0.001, "delivered")
    (text,) = [t.get_text() for t in sequence_diagram([long]).axes[0].texts if t.get_text().startswith("GET")]
    assert text.endswith("…") and 10 < len(text) < 60


def test_drawing_into_given_axes_returns_its_figure(trace):
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.add_subplot()
    assert sequence_diagram(trace.hops[:3], ax=ax) is fig and len(arrows(fig)) == 3


def test_png_bytes_are_identical_every_time(trace):
    fig = sequence_diagram(trace.hops, title="same")
    first = to_png(fig)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert to_png(fig) == first
    assert to_png(sequence_diagram(make_trace().hops, title="same")) == first


def test_importing_viz_needs_neither_matplotlib_nor_ipywidgets():
    code = "import sys, k8slite.viz; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the player ------------------------------------------------------------------------

def pods_at(hop: Hop) -> dict[str, list[str]]:
    pods = [] if hop.id < 2 else [f"web-1  Pending  {'node-1' if hop.id >= 7 else '<none>'}"]
    return {"pods": pods, "nodes": ["node-1  Ready", "node-2  Ready"]}


def test_frame_shows_the_hop_and_the_state_after_it(trace):
    player = Player(trace.hops, state_at=pods_at)
    assert player.frame(0) == "\n".join([
        "step 1 of 9: hop 1 (no cause)",
        "  kubectl → kube-apiserver  [POST]",
        "  POST /api/v1/namespaces/default/pods",
        "  sent 0.000 ms, received 1.000 ms",
        "pods:",
        "  (none)",
        "nodes:",
        "  node-1  Ready",
        "  node-2  Ready",
    ])
    assert player.frame(6).splitlines()[:5] == [
        "step 7 of 9: hop 7 (caused by hop 6)",
        "  kube-scheduler → kube-apiserver  [POST]",
        "  POST pods/web-1/binding",
        "  sent 12.500 ms, received 13.500 ms",
        "pods:",
    ]
    assert player.frame(6).splitlines()[5] == "  web-1  Pending  node-1"


def test_frame_says_what_became_of_undelivered_hops(trace):
    player = Player(trace.hops)
    assert player.frame(7) == "\n".join([
        "step 8 of 9: hop 8 (caused by hop 7)",
        "  kube-apiserver → kubelet/node-2  [WATCH]",
        "  MODIFIED Pod default/web-1",
        "  sent 14.000 ms, lost: partitioned",
    ])
    assert player.frame(8).splitlines()[-1] == "  sent 14.000 ms, still in flight"
    with pytest.raises(IndexError):
        player.frame(9)


def test_each_step_draws_the_hops_so_far_and_highlights_the_current(trace):
    player = Player(trace.hops)
    a = arrows(player.figure(3))
    assert list(a) == ["hop-1", "hop-2", "hop-3", "hop-4"]
    widths = {gid: arrow.arrow_patch.get_linewidth() for gid, arrow in a.items()}
    assert widths["hop-4"] > max(w for gid, w in widths.items() if gid != "hop-4")
    labels = [t.get_gid() for t in player.figure(0).axes[0].texts if (t.get_gid() or "").startswith("lifeline-")]
    assert len(labels) == 6           # every lifeline from the first step, so none moves later


def test_static_figure_is_small_multiples_of_the_given_steps(trace):
    fig = Player(trace.hops).static_figure([1, 4, 8])
    assert len(fig.axes) == 3
    assert [len([t for t in ax.texts if isinstance(t, Annotation)]) for ax in fig.axes] == [2, 5, 9]
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "step 2 of 9: hop 2", "step 5 of 9: hop 5", "step 9 of 9: hop 9"]


def test_widget_follows_the_slider(trace):
    pytest.importorskip("ipywidgets")
    box = Player(trace.hops, state_at=pods_at).widget()
    (play, slider), text, image = box.children[0].children, box.children[1], box.children[2]
    assert "step 1 of 9" in text.value and image.value[:4] == b"\x89PNG"
    slider.value = 7
    assert "step 8 of 9: hop 8" in text.value and "lost: partitioned" in text.value
