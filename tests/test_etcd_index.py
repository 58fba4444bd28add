"""The sorted key index against a plain sorted list."""
from __future__ import annotations

import random

from k8slite.etcd.index import CHUNK, SortedKeys


def test_the_index_agrees_with_a_sorted_list_through_inserts_and_deletes():
    rng = random.Random(3)
    index, model = SortedKeys(), set()
    for step in range(6 * CHUNK):
        key = f"/k/{rng.randrange(4 * CHUNK):05d}"
        if key in model and rng.random() < 0.3:
            index.discard(key)
            model.discard(key)
        elif key not in model:
            index.add(key)
            model.add(key)
        if step % 97 == 0:
            ordered = sorted(model)
            lo, hi = sorted(f"/k/{rng.randrange(4 * CHUNK):05d}" for _ in range(2))
            assert list(index) == ordered and len(index) == len(ordered)
            assert list(index.irange(lo, hi)) == [k for k in ordered if lo <= k < hi]
            assert list(index.irange(lo)) == [k for k in ordered if lo <= k]
            assert index.rank(hi) - index.rank(lo) == sum(1 for k in ordered if lo <= k < hi)
    assert len(index._chunks) > 1              # it did split into chunks
