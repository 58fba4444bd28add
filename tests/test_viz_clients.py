"""Tests of k8slite/viz/clients.py: the cost rows' rates, the text table, and what the figure draws."""
import pytest

from k8slite.viz.clients import Cost, cost_figure, cost_table

COSTS = [
    Cost("poll", 1, 10, 20.0, 2, 20_000, 20, 2, 2, 4.25),
    Cost("inform", 1, 10, 20.0, 0, 2_000, 0, 2, 2, 0.0024),
    Cost("poll", 10, 100, 20.0, 20, 196_000, 2_000, 19, 18, 4.41),
    Cost("inform", 10, 100, 20.0, 0, 20_000, 0, 19, 19, 0.0024),
]


def test_rates_are_the_counts_over_the_measured_window():
    poll = COSTS[2]
    assert poll.requests_per_second == 1.0
    assert poll.bytes_per_second == 9_800.0
    assert poll.etcd_objects_per_second == 100.0


def test_cost_table_prints_one_right_aligned_line_per_cluster_and_mode():
    assert cost_table(COSTS).splitlines() == [
        "NODES  PODS  MODE    REQUESTS/S  KB/S  ETCD OBJECTS/S  CHANGES  NOTICED  MEAN DELAY",
        "    1    10  poll          0.10   1.0               1        2        2      4.25 s",
        "    1    10  inform        0.00   0.1               0        2        2      2.4 ms",
        "   10   100  poll          1.00   9.8             100       19       18      4.41 s",
        "   10   100  inform        0.00   1.0               0       19       19      2.4 ms",
    ]


matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_cost_figure_draws_one_line_per_mode_in_each_panel_with_the_rates_of_the_rows():
    fig = cost_figure(COSTS, title="polling vs watching")
    requests_ax, bytes_ax = fig.axes
    lines = {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}
    assert sorted(lines) == ["bytes-inform", "bytes-poll", "requests-inform", "requests-poll"]
    assert list(lines["requests-poll"].get_xdata()) == [10, 100]
    assert list(lines["requests-poll"].get_ydata()) == [0.1, 1.0]
    assert list(lines["requests-inform"].get_ydata()) == [0.0, 0.0]     # on the zero line of the symlog axis
    assert list(lines["bytes-poll"].get_ydata()) == [1_000.0, 9_800.0]
    assert requests_ax.get_yscale() == "symlog" and bytes_ax.get_yscale() == "log"
    assert requests_ax.get_xscale() == "log"
    labels = [t.get_text() for t in requests_ax.get_xticklabels()]
    assert labels == ["10 pods\n1 node", "100 pods\n10 nodes"]
    assert "9.8 KB/s" in [t.get_text() for t in bytes_ax.texts]
    assert fig._suptitle.get_text() == "polling vs watching"


def test_cost_figure_needs_measurements():
    with pytest.raises(ValueError):
        cost_figure([])
