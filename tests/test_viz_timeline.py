"""Tests of k8slite/viz/timeline.py: the rows, their text twin, the squeezed time axis, label placement, and
what the figure draws from them."""
import pytest

from k8slite.viz.timeline import (GAP_SHARE, Bar, Interval, Moment, TimeAxis, label_extent, place_labels,
                                  quiet_gaps, state_bars, timeline_table)

NODE_STORY = [
    Moment(31.0, "kubelet/node-2", "renew Lease"),
    Moment(33.0, "kubelet/node-2", "kubelet crashes", "fault"),
    Moment(76.1, "node lifecycle", "Ready True → Unknown"),
    Moment(381.1, "taint eviction", "delete 2 pods"),
]


def test_the_table_lists_moments_bars_and_intervals_in_time_order():
    bars = [Bar("pod a", 20.0, 76.1, "Running", "web-a"), Bar("pod a", 76.1, 381.1, "NotReady")]
    intervals = [Interval(81.1, 381.1, "300 s tolerationSeconds", "taint eviction"), Interval(36.1, 76.1, "40 s grace")]
    assert timeline_table(NODE_STORY, bars, intervals).splitlines() == [
        "TIME (s)  UNTIL (s)  LANE            WHAT",
        "  20.000     76.100  pod a           Running (web-a)",
        "  31.000             kubelet/node-2  renew Lease",
        "  33.000             kubelet/node-2  kubelet crashes",
        "  36.100     76.100  kubelet/node-2  ↔ 40 s grace",         # no lane: the first lane
        "  76.100             node lifecycle  Ready True → Unknown",
        "  76.100    381.100  pod a           NotReady",             # at a tie, moments before bars
        "  81.100    381.100  taint eviction  ↔ 300 s tolerationSeconds",
        " 381.100             taint eviction  delete 2 pods",
    ]


def test_the_table_rounds_to_the_precision_asked_and_says_when_there_is_nothing():
    assert timeline_table([Moment(1.26, "a", "x")], precision=1).splitlines()[1] == "     1.3             a     x"
    assert timeline_table() == "(nothing happened)"


@pytest.mark.parametrize("samples, until, expected", [
    ([(0.0, "Pending"), (1.0, "Running"), (2.0, "Running"), (5.0, "Succeeded")], 9.0,
     [("Pending", 0.0, 1.0), ("Running", 1.0, 5.0), ("Succeeded", 5.0, 9.0)]),
    ([(0.0, "Running"), (4.0, None)], 9.0, [("Running", 0.0, 4.0)]),
    ([(0.0, None), (2.0, "Pending")], 9.0, [("Pending", 2.0, 9.0)]),
    ([(3.0, "Running")], 3.0, []),
], ids=["a repeated state merges into one bar", "None ends the last bar (the object is gone)",
        "nothing is drawn before the object exists", "a state that starts at until draws nothing"])
def test_state_bars(samples, until, expected):
    bars = state_bars("pod x", samples, until, "x")
    assert [(b.state, b.start, b.end) for b in bars] == expected
    assert all(b.lane == "pod x" and b.label == "x" for b in bars)


def test_quiet_gaps_are_the_long_silences_shrunk_by_the_margin():
    assert quiet_gaps([0, 1, 2, 50, 51, 52, 60], 20) == [(7.0, 45.0)]
    assert quiet_gaps([0, 10, 300], 30, margin=5) == [(15.0, 295.0)]
    assert quiet_gaps([0, 10], 30) == []


def test_a_squeezed_gap_keeps_a_fixed_share_of_the_axis_and_the_rest_keeps_its_length():
    axis = TimeAxis(0.0, 100.0, [(20.0, 80.0)])
    assert axis(10.0) == 10.0                               # before the gap: unchanged
    assert axis(80.0) - axis(20.0) == pytest.approx(axis.gap_width)
    assert axis(90.0) - axis(80.0) == pytest.approx(10.0)   # after it: lengths kept
    assert axis.gap_width / axis.width == pytest.approx(GAP_SHARE)
    assert axis(50.0) == pytest.approx(20.0 + axis.gap_width / 2)    # linear inside
    assert axis.segments() == [(0.0, 20.0), (80.0, 100.0)]
    with pytest.raises(ValueError):
        TimeAxis(0.0, 100.0, [(10.0, 50.0), (40.0, 60.0)])


def test_ticks_are_round_times_outside_the_gaps_with_the_decimals_they_need():
    axis = TimeAxis(14.0, 395.0, [(99.0, 383.0)])
    assert axis.ticks() == [20, 30, 40, 50, 60, 70, 80, 90, 390]
    assert [axis.tick_label(t) for t in axis.ticks()[:2]] == ["20", "30"]
    fine = TimeAxis(401.231, 401.249)
    assert fine.ticks()[:2] == [401.232, 401.234] and fine.tick_label(401.24) == "401.240"


def test_overlapping_labels_climb_a_level_and_distant_ones_stay_on_the_lane():
    axis = TimeAxis(0.0, 100.0)
    per_char = 1.0                                          # a 10-character label is 10 s wide
    moments = [Moment(10.0, "a", "0123456789"), Moment(12.0, "a", "0123456789"), Moment(14.0, "a", "x"),
               Moment(50.0, "a", "0123456789"), Moment(12.0, "b", "0123456789"), Moment(13.0, "a", "")]
    assert place_labels(moments, axis, per_char) == [0, 1, 2, 0, 0, 0]


def test_a_label_that_would_run_off_the_right_edge_ends_at_its_tick():
    axis = TimeAxis(0.0, 100.0)
    assert label_extent(Moment(95.0, "a", "0123456789"), axis, 1.0) == (85.0, 95.0)
    assert label_extent(Moment(5.0, "a", "0123456789"), axis, 1.0) == (5.0, 15.0)
    # A right-aligned label collides with a left-aligned one it overlaps.
    assert place_labels([Moment(80.0, "a", "0123456789"), Moment(95.0, "a", "0123456789")], axis, 1.0) == [0, 1]


matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def _by_gid(fig):
    found = {}
    for ax in fig.axes:
        for artist in ax.get_children():
            gid = artist.get_gid()
            if gid:
                found[gid] = artist
    return found


def test_the_figure_draws_each_row_with_its_gid_and_lanes_in_order():
    from k8slite.viz.timeline import timeline_figure
    bars = [Bar("pod a", 20.0, 76.1, "Running"), Bar("pod a", 76.1, 381.1, "NotReady")]
    intervals = [Interval(81.1, 381.1, "300 s tolerationSeconds", "taint eviction")]
    lanes = ["kubelet/node-2", "node lifecycle", "taint eviction", "pod a"]
    fig = timeline_figure(NODE_STORY, bars, intervals, lanes=lanes, gaps=[(90.0, 370.0)], title="node-2")
    gids = _by_gid(fig)
    for gid in ["moment-0", "moment-3", "label-1", "bar-0", "bar-1", "interval-0", "gap-0"] + \
            [f"lane-{name}" for name in lanes]:
        assert gid in gids, gid
    ys = [gids[f"lane-{name}"].get_position()[1] for name in lanes]
    assert ys == sorted(ys)                                 # top to bottom in the order given
    assert gids["label-1"].get_text() == "kubelet crashes"
    assert gids["label-1"].get_color() != gids["label-0"].get_color()    # a fault is drawn in its own colour
    running, not_ready = gids["bar-0"], gids["bar-1"]
    assert running.get_facecolor() != not_ready.get_facecolor()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["Running", "NotReady"] and "fault injected" in legend


def test_the_figure_needs_rows_and_refuses_a_lane_it_was_not_given():
    from k8slite.viz.timeline import timeline_figure
    with pytest.raises(ValueError):
        timeline_figure()
    with pytest.raises(ValueError):
        timeline_figure(NODE_STORY, lanes=["kubelet/node-2"])
