"""The demo's progress line fits an 80-column terminal, whatever the counts (up to 99 documents)."""

from __future__ import annotations

import pytest

from devstack.demo import progress_line


@pytest.mark.parametrize("announced", [0, 1, 50, 98, 99])
def test_the_progress_line_never_wraps_an_80_column_terminal(announced: int):
    counts = {"Submitted": 99 - announced, "Completed": announced, "Rejected": 99}
    line = progress_line(counts, announced, 99)
    assert len(line) <= 79, line
    assert line.startswith("[")
    assert f"{announced}/99 announced" in line


def test_the_bar_fills_with_announcements():
    counts = {"Submitted": 0, "Completed": 4, "Rejected": 0}
    assert progress_line(counts, 4, 8).startswith("[" + "#" * 9 + "." * 9 + "] 4/8 announced")
