"""Numbers sorted on disk: the same order and median as in memory."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from vision_r1_plugins.core.spill import Spill


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60))
def test_sorted_and_median_agree_with_memory(keys: list[int]) -> None:
    with Spill() as spill:
        for position, key in enumerate(keys):
            spill.add(key, position, -position)
        rows = list(spill.sorted())
        assert spill.count == len(keys)
        assert [key for key, _, _ in rows] == sorted(keys)
        # Equal keys keep the order they were added in (a stable sort), values travel with their key.
        assert [position for _, position, _ in rows] == sorted(range(len(keys)), key=keys.__getitem__)
        assert all(b == -a for _, a, b in rows)
        assert spill.median() == (float(statistics.median(keys)) if keys else 0.0)


def test_add_many_counts_what_it_added() -> None:
    with Spill() as spill:
        spill.add_many((index % 3, index, 0) for index in range(10))
        spill.add(1, 99, 0)
        assert spill.count == 11 and spill.median() == 1.0
