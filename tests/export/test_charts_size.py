"""A by-attribute chart stays a readable size however many groups the attribute has (issue 17)."""

from __future__ import annotations

import struct

from thematic.export.charts import MAX_GROUPS, group_chart
from thematic.export.report import GroupPrevalence


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def table(n_groups: int) -> GroupPrevalence:
    groups = tuple(f"slot {g:03d}" for g in range(n_groups))
    rows = [
        (f"t{i}", f"Theme {i}", tuple((g % 5, float((g * 7 + i) % 100)) for g in range(n_groups)))
        for i in range(4)
    ]
    return GroupPrevalence("slot", groups, tuple(10 + g % 13 for g in range(n_groups)), tuple(rows), 0)


def test_many_groups_draw_only_the_largest():
    few, many = group_chart(None, table(MAX_GROUPS)), group_chart(None, table(300))
    assert png_size(many) == png_size(few)
    assert png_size(many)[1] < 2000
