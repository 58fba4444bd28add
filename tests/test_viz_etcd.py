"""Tests of k8slite/viz/etcd.py: the data behind the timeline and key history, their text twins, the artists."""
import pytest

from k8slite.etcd import errors
from k8slite.etcd.mvcc import MVCCStore
from k8slite.etcd.server import WatchResponse
from k8slite.viz.etcd import (CREATE, DELETE, UPDATE, Mark, Version, key_history, key_history_table, key_versions,
                              revision_timeline, revision_timeline_table, show_value, timeline_marks, values_at)
from k8slite.viz.sequence import to_png

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def write_all(s: MVCCStore) -> MVCCStore:
    """colour: red(2) blue(4) green(7); size: small(3), deleted(5), large(6)."""
    s.put("colour", b"red")
    s.put("size", b"small")
    s.put("colour", b"blue")
    s.delete_range("size")
    s.put("size", b"large")
    s.put("colour", b"green")
    return s


def make_store() -> MVCCStore:
    return write_all(MVCCStore())


@pytest.fixture
def store() -> MVCCStore:
    return make_store()


STORE_MARKS = [
    Mark("colour", 2, CREATE, 1, b"red"),
    Mark("size", 3, CREATE, 1, b"small"),
    Mark("colour", 4, UPDATE, 2, b"blue"),
    Mark("size", 5, DELETE, 0, None),
    Mark("size", 6, CREATE, 1, b"large"),
    Mark("colour", 7, UPDATE, 3, b"green"),
]


def watched_events() -> list:
    """The events a watch on every key receives while write_all's writes happen."""
    s = MVCCStore()
    seen: list = []
    s.watch("", "\0", 0, seen.extend)
    write_all(s)
    return seen


# -- the data -------------------------------------------------------------------------------

def test_a_store_gives_one_mark_per_kept_version_in_revision_order(store):
    t = timeline_marks(store)
    assert t.keys == ["colour", "size"]
    assert t.marks == STORE_MARKS
    assert (t.compact_revision, t.revision) == (0, 7)


@pytest.mark.parametrize("wrap", [
    pytest.param(lambda events: events, id="a list of Events draws what the store keeps"),
    pytest.param(lambda events: [WatchResponse(1, tuple(events[:3]), 4), WatchResponse(1, tuple(events[3:]), 7)],
                 id="WatchResponses are flattened into their events"),
])
def test_a_watch_from_the_first_revision_sees_the_same_marks_as_the_store(wrap):
    t = timeline_marks(wrap(watched_events()))
    assert t.keys == ["colour", "size"]
    assert t.marks == STORE_MARKS
    assert t.revision == 7


@pytest.mark.parametrize("keys, rows, revisions", [
    pytest.param(["size"], ["size"], [3, 5, 6], id="only the keys asked for, in the order asked"),
    pytest.param(["size", "colour"], ["size", "colour"], [2, 3, 4, 5, 6, 7],
                 id="rows follow the order of keys, marks stay in revision order"),
    pytest.param(["colour", "absent"], ["colour", "absent"], [2, 4, 7], id="a key with no history is an empty row"),
])
def test_keys_choose_and_order_the_rows(store, keys, rows, revisions):
    t = timeline_marks(store, keys)
    assert t.keys == rows
    assert [m.revision for m in t.marks] == revisions


def test_a_deleted_key_appears_when_asked_for_by_name(store):
    store.delete_range("size")
    assert timeline_marks(store).keys == ["colour"]                 # only live keys by default
    assert [m.type for m in timeline_marks(store, ["size"]).marks] == [CREATE, DELETE, CREATE, DELETE]


def test_compaction_keeps_the_version_current_at_the_cut_and_drops_tombstones(store):
    store.compact(5)
    t = timeline_marks(store)
    assert t.compact_revision == 5
    # colour@4 was current at 5, so it stays; size@3 and its tombstone@5 are gone.
    assert [(m.key, m.revision) for m in t.marks] == [("colour", 4), ("size", 6), ("colour", 7)]


def test_events_carry_no_compaction_unless_told(store):
    assert timeline_marks(watched_events()).compact_revision == 0
    assert timeline_marks(watched_events(), compact_revision=5).compact_revision == 5


def test_key_versions_span_the_revisions_each_version_answers_for(store):
    assert key_versions(store, "size") == [
        Version(3, 3, 1, 0, b"small", 5, 0),
        Version(5, 0, 0, 0, None, 6, 0),
        Version(6, 6, 1, 0, b"large", None, 1),
    ]
    for v in key_versions(store, "colour"):
        for rev in range(v.mod_revision, v.until or store.revision + 1):
            assert store.range("colour", revision=rev).kvs[0].value == v.value


# -- text -----------------------------------------------------------------------------------

def test_the_timeline_table_is_the_picture_in_text(store):
    assert revision_timeline_table(store) == "\n".join([
        "REVISION  2  3  4  5  6  7",
        "colour    C  ·  U  ·  ·  U",
        "size      ·  C  ·  D  C  ·",
        "C create (version 1)   U update   D delete (tombstone)",
    ])


def test_the_timeline_table_marks_the_compaction_with_a_bar(store):
    store.compact(5)
    assert revision_timeline_table(store) == "\n".join([
        "REVISION  4  |  6  7",
        "colour    U  |  ·  U",
        "size      ·  |  C  ·",
        "C create (version 1)   U update   D delete (tombstone)   | compacted at 5: reads below it fail",
    ])


def test_a_compaction_after_every_change_puts_the_bar_last(store):
    store.put("other", b"x")          # revision 8
    store.compact(8)
    assert revision_timeline_table(store, ["colour"]).splitlines()[:2] == ["REVISION  7  |", "colour    U  |"]


def test_no_keys_no_table():
    assert revision_timeline_table(MVCCStore()) == "(no keys)"


def test_key_history_table_lists_versions_tombstones_and_generations(store):
    assert key_history_table(store, "size") == "\n".join([
        "size",
        "MOD  CREATE  VER  LEASE  READ AT  VALUE",
        "  3       3    1  -      3-4      small",
        "  5       -    -  -      5        (tombstone)",
        "  6       6    1  -      6-       large",
    ])


def test_key_history_table_shows_leases_in_hex_a_value_summary_and_the_compaction(store):
    store.lease_grant(0x1234ab, 60)
    store.put("colour", b"yellow", lease=0x1234ab)
    store.compact(6)
    assert key_history_table(store, "colour", value=lambda v: v.decode().upper()) == "\n".join([
        "colour",
        "MOD  CREATE  VER  LEASE   READ AT  VALUE",
        "  4       2    2  -       4-6      BLUE",
        "  7       2    3  -       7        GREEN",
        "  8       2    4  1234ab  8-       YELLOW",
        "(compacted at 6: older versions are gone, except the one current then)",
    ])


def test_key_history_table_of_an_unknown_key():
    assert key_history_table(MVCCStore(), "nothing") == "nothing: no versions kept"


@pytest.mark.parametrize("value, want", [
    pytest.param(b"red", "red", id="short text as it is"),
    pytest.param(b"x" * 30, "x" * 23 + "… (30 bytes)", id="long text cut to the width, with its size"),
    pytest.param(b"\xff\xfe\x00", "<3 bytes>", id="bytes that are not UTF-8 by their size"),
    pytest.param(b"k8s\x00\x0a\x09", "<6 bytes>", id="protobuf-like bytes with control characters by their size"),
    pytest.param(None, "(tombstone)", id="no value is a tombstone"),
])
def test_show_value(value, want):
    assert show_value(value) == want


def test_values_at_reads_the_past_and_fails_below_the_compaction(store):
    assert values_at(store, ["colour", "size"], 5) == "\n".join([
        "at revision 5:",
        "  colour  blue    mod 4, version 2",
        "  size    (none)",
    ])
    store.compact(5)
    with pytest.raises(errors.CompactedError, match="required revision has been compacted"):
        values_at(store, ["colour"], 4)


# -- figures -----------------------------------------------------------------------------------

def artist(fig, gid):
    found = [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]
    return found[0] if found else None


def test_timeline_markers_sit_at_each_marks_revision_and_row(store):
    fig = revision_timeline(store)
    t = timeline_marks(store)
    row = {k: i for i, k in enumerate(t.keys)}
    for kind in (CREATE, UPDATE, DELETE):
        line = artist(fig, f"marks-{kind}")
        mine = [m for m in t.marks if m.type == kind]
        assert list(line.get_xdata()) == [m.revision for m in mine]
        assert list(line.get_ydata()) == [row[m.key] for m in mine]
    assert artist(fig, "compaction") is None and artist(fig, "cursor") is None


def test_timeline_draws_the_compaction_between_the_last_lost_revision_and_the_first_kept(store):
    store.compact(5)
    fig = revision_timeline(store, cursor=6)
    assert list(artist(fig, "compaction").get_xdata()) == [4.5, 4.5]
    assert list(artist(fig, "cursor").get_xdata()) == [6, 6]
    assert artist(fig, "marks-delete") is None                    # the only tombstone was compacted


def test_key_history_bars_cover_the_revisions_each_version_answers_for(store):
    fig = key_history(store, "size")
    bar = artist(fig, "version-3")
    assert (bar.get_x(), bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2) == (2.5, 4.5, 0)
    bar = artist(fig, "version-6")
    assert (bar.get_x(), bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2) == (5.5, 7.5, 1)
    tomb = artist(fig, "tombstone-5")
    assert (list(tomb.get_xdata()), list(tomb.get_ydata())) == ([5], [0])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["generation 1\ncreated at 3",
                                                                     "generation 2\ncreated at 6"]


def test_figures_are_the_same_bytes_every_time_and_stay_out_of_pyplot(store):
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    assert to_png(revision_timeline(store)) == to_png(revision_timeline(make_store()))
    assert to_png(key_history(store, "colour")) == to_png(key_history(make_store(), "colour"))
    assert plt.get_fignums() == before


def test_an_empty_store_still_draws():
    assert revision_timeline(MVCCStore()).axes
    assert key_history(MVCCStore(), "nothing").axes


def test_time_travel_slides_over_the_kept_revisions(store):
    pytest.importorskip("ipywidgets")
    from k8slite.viz.etcd import time_travel
    store.compact(4)
    box = time_travel(store, ["colour", "size"])
    slider, text = box.children[0], box.children[1]
    assert (slider.min, slider.max, slider.value) == (4, 7, 7)
    slider.value = 5
    assert "colour  blue    mod 4, version 2" in text.value and "size    (none)" in text.value


def test_key_history_labels_are_cut_to_the_room_before_the_next_label_on_their_side():
    s = MVCCStore()
    s.put("k", b"a short one")
    s.put("k", b"x" * 200)              # a long value, and the last version: room up to the axis end
    for _ in range(3):
        s.put("other", b"y")            # move the current revision on, so the last bar is wide
    fig = key_history(s, "k", value=lambda v: v.decode())        # the whole value, uncut by show_value
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("v")]
    assert texts[0] == "v1 a short one"
    assert texts[1].startswith("v2 xxxx") and texts[1].endswith("…") and len(texts[1]) < 60
