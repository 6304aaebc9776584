"""The chart and the report section's data."""

from __future__ import annotations

import re

import pytest

from tests.scales.conftest import MINI_YAML
from thematic.errors import ThematicError
from thematic.scales.describe import describe
from thematic.scales.report import closed_items


def test_likert_figure_diverges_around_the_midpoint(mini_project, mini_scales, tmp_path):
    from matplotlib.figure import Figure

    from thematic.scales.charts import likert_figure

    described = describe(mini_project, mini_scales, n_boot=0)
    fig = likert_figure(described)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["q1", "q2", "q3 (R)", "q4"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "1 Strongly disagree", "2 Disagree", "3 Neither", "4 Agree", "5 Strongly agree"]
    bars = ax.patches
    assert len(bars) == 5 * 4                  # a bar per response per item
    # q1's answered percents: 22.22, 22.22, 11.11, 22.22, 22.22 -> starts at -(44.44 + 11.11 / 2)
    assert bars[0].get_x() == pytest.approx(-50.0, abs=0.01)
    middle = bars[2 * 4]                       # response 3 of q1 (bars go response by response)
    assert middle.get_x() + middle.get_width() / 2 == pytest.approx(0.0, abs=0.01)
    path = tmp_path / "likert.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    same = likert_figure(described.to_dict(), items=["q4", "q1"], label="text")
    assert [t.get_text() for t in same.axes[0].get_yticklabels()] == ["I would use it.", "I would trust it."]


def test_likert_figure_one_panel_per_response_set_and_errors(demo_project, demo_scales):
    from thematic.scales.charts import likert_figure

    described = describe(demo_project, demo_scales, n_boot=0)
    fig = likert_figure(described)
    assert [len(ax.get_yticklabels()) for ax in fig.axes] == [12, 12]
    with pytest.raises(ThematicError, match=re.escape("item 'q9' is not among the described items")):
        likert_figure(described, items=["q9"])
    with pytest.raises(ThematicError, match=re.escape("label must be id or text (it is 'name')")):
        likert_figure(described, label="name")


def test_closed_items_without_codings(mini_project):
    section = closed_items(mini_project, MINI_YAML, by="group", theme_by="group", n_boot=0)
    assert section.crosstab is None and section.scores_by_theme == () and section.coder is None
    assert section.notes == ("no joint displays: nobody has coded yet (code some units first, or pass "
                             "--coder machine to use the machine's suggestions)",)
    assert section.described.by == "group"
    assert section.to_dict()["describe"]["scales"] == "mini"


def test_closed_items_with_codings(coded_demo, demo_scales):
    section = closed_items(coded_demo, demo_scales, theme_by="would_consider", n_boot=0)
    assert section.coder == "writer" and section.notes == ()
    assert section.crosstab.groups == ("maybe", "no", "yes")
    assert [s.subscale for s in section.scores_by_theme] == [s.id for s in demo_scales.subscales]
    data = section.to_dict()
    assert data["crosstab"]["attribute"] == "would_consider" and len(data["scores_by_theme"]) == 7
    with pytest.raises(ThematicError, match=re.escape("coder 'zoe' has no decisions in this project")):
        closed_items(coded_demo, demo_scales, coder="zoe", n_boot=0)
