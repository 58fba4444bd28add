"""The key index: every key etcd holds, sorted, for range and prefix scans.

Mirrors etcd v3.5 ``server/mvcc/index.go`` (a B-tree of keyIndex ordered by key),
with a structure that does the same job in Python: a list of sorted chunks, so an
insert moves at most one chunk's worth of references instead of the whole list.

Simplified: only keys are indexed here; each key's revisions live beside it in the
store (``mvcc.py``), not in a keyIndex with generations.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from typing import Iterator

CHUNK = 512


class SortedKeys:
    """A sorted set of strings: add, discard and ``irange(lo, hi)`` in O(log n + chunk)."""

    def __init__(self, keys=()):
        ordered = sorted(set(keys))
        self._chunks = [ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK)]
        self._maxes = [chunk[-1] for chunk in self._chunks]
        self._len = len(ordered)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for chunk in self._chunks:
            yield from chunk

    def add(self, key: str) -> None:
        """Insert ``key`` (the caller knows it is new)."""
        maxes = self._maxes
        if not maxes:
            self._chunks.append([key])
            maxes.append(key)
        else:
            i = bisect_left(maxes, key)
            if i == len(maxes):
                i -= 1
                self._chunks[i].append(key)
                maxes[i] = key
            else:
                insort(self._chunks[i], key)
            chunk = self._chunks[i]
            if len(chunk) > 2 * CHUNK:
                self._chunks[i:i + 1] = [chunk[:CHUNK], chunk[CHUNK:]]
                maxes[i:i + 1] = [chunk[CHUNK - 1], chunk[-1]]
        self._len += 1

    def discard(self, key: str) -> None:
        i = bisect_left(self._maxes, key)
        if i == len(self._maxes):
            return
        chunk = self._chunks[i]
        j = bisect_left(chunk, key)
        if j == len(chunk) or chunk[j] != key:
            return
        del chunk[j]
        self._len -= 1
        if not chunk:
            del self._chunks[i], self._maxes[i]
        else:
            self._maxes[i] = chunk[-1]

    def irange(self, lo: str, hi: str | None = None) -> Iterator[str]:
        """Keys k with lo <= k < hi (hi None: no upper bound), in order."""
        maxes, chunks = self._maxes, self._chunks
        i = bisect_left(maxes, lo)
        if i == len(maxes):
            return
        j = bisect_left(chunks[i], lo)
        while i < len(chunks):
            chunk = chunks[i]
            end = len(chunk) if hi is None or maxes[i] < hi else bisect_left(chunk, hi)
            yield from chunk[j:end] if j or end < len(chunk) else chunk
            if end < len(chunk):
                return
            i, j = i + 1, 0

    def rank(self, key: str | None) -> int:
        """How many keys sort before ``key`` (None: all of them)."""
        if key is None:
            return self._len
        i = bisect_left(self._maxes, key)
        if i == len(self._maxes):
            return self._len
        return sum(len(c) for c in self._chunks[:i]) + bisect_left(self._chunks[i], key)
