"""scales describe: distributions, subscale scores and alpha, ranking, and group comparisons."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from thematic.errors import ThematicError
from thematic.scales.answers import load_answers
from thematic.scales.describe import describe


def test_item_distribution_counts_percent_and_missing(mini_project, mini_scales):
    result = describe(mini_project, mini_scales, n_boot=0)
    assert result.respondents == 10
    q1 = result.item("q1")
    assert [(c.value, c.label, c.count) for c in q1.categories] == [
        (1.0, "Strongly disagree", 2), (2.0, "Disagree", 2), (3.0, "Neither", 1), (4.0, "Agree", 2),
        (5.0, "Strongly agree", 2)]
    assert [c.percent for c in q1.categories] == [20.0, 20.0, 10.0, 20.0, 20.0]
    assert [c.valid_percent for c in q1.categories] == [22.22, 22.22, 11.11, 22.22, 22.22]
    assert (q1.n, q1.missing, q1.missing_percent) == (9, 1, 10.0)
    assert q1.mean == pytest.approx(27 / 9) and q1.median == 3.0
    assert result.item("q3").reverse and result.item("q3").subscales == ("trust",)


def test_subscale_scores_alpha_and_ranking(mini_project, mini_scales):
    pg = pytest.importorskip("pingouin")
    import pandas as pd

    result = describe(mini_project, mini_scales, n_boot=200, seed=3)
    trust, use = result.subscale("trust"), result.subscale("use")
    # trust (q3 reversed): A1 14/3, A2 4, A3 13/3, A4 3, A5 5, B1 5/3, B2 4/3, B3 2 (2 of 3), B4 1; B5 none
    assert (trust.n, trust.missing) == (9, 1)
    assert trust.mean == pytest.approx(3.0)
    assert trust.median == pytest.approx(3.0)
    assert trust.reverse_items == ("q3",) and trust.min_items == 2
    answers = load_answers(mini_project, mini_scales)
    matrix = answers.subscale_matrix(mini_scales.subscale("trust"))
    reference = pg.cronbach_alpha(pd.DataFrame(matrix), nan_policy="listwise")[0]
    assert trust.alpha.alpha == pytest.approx(reference) and trust.alpha.n == 8
    assert trust.alpha.low <= trust.alpha.alpha <= trust.alpha.high
    assert (trust.alpha.seed, trust.alpha.n_boot) == (3, 200)
    assert (use.n, use.mean) == (7, pytest.approx(22 / 7))
    assert use.alpha.alpha is None                     # one item: alpha is undefined
    assert result.ranking == (("Mini", ("use", "trust")),)
    assert (use.rank, trust.rank) == (1, 2)


def test_demo_subscales_order_goal_task_bond(demo_project, demo_scales):
    result = describe(demo_project, demo_scales, n_boot=0)
    ranking = dict(result.ranking)
    assert ranking["Working alliance (adapted)"] == ("goal", "task", "bond")
    assert set(ranking["Attitudes towards AI"]) == {"access", "general", "risks", "training"}
    for sub in result.subscales:
        assert 0.6 < sub.alpha.alpha < 0.95, sub.id
    assert sum(i.missing for i in result.items) > 0


def test_seed_is_reported_and_repeatable(mini_project, mini_scales):
    a = describe(mini_project, mini_scales, n_boot=300, seed=11).to_dict()
    b = describe(mini_project, mini_scales, n_boot=300, seed=11).to_dict()
    assert a == b and a["bootstrap"] == {"method": "percentile", "n_boot": 300, "ci": 0.95, "seed": 11}
    json.dumps(a)


def test_by_two_groups_is_mann_whitney_with_rank_biserial(mini_project, mini_scales):
    from scipy import stats

    result = describe(mini_project, mini_scales, by="group", n_boot=0)
    assert result.groups == (("a", 5), ("b", 5)) and result.excluded == 0
    trust = next(c for c in result.comparisons if c.kind == "subscale" and c.id == "trust")
    a = [14 / 3, 4, 13 / 3, 3, 5]
    b = [5 / 3, 4 / 3, 2, 1]
    reference = stats.mannwhitneyu(a, b, alternative="two-sided")
    assert trust.test.test == "Mann-Whitney U" and trust.test.statistic == reference.statistic == 20.0
    assert trust.test.p == pytest.approx(reference.pvalue)
    assert trust.test.effect_size == pytest.approx(1.0)          # every a above every b
    assert [(g.name, g.n) for g in trust.groups] == [("a", 5), ("b", 4)]
    q1 = next(c for c in result.comparisons if c.id == "q1")
    assert q1.kind == "item" and q1.p_holm >= q1.test.p


def test_by_three_groups_is_kruskal_wallis_and_matches_scipy(demo_project, demo_scales):
    from scipy import stats

    result = describe(demo_project, demo_scales, by="would_consider", n_boot=0)
    assert [g for g, _ in result.groups] == ["maybe", "no", "yes"]
    assert dict(result.groups) == {"maybe": 42, "no": 67, "yes": 11}
    answers = load_answers(demo_project, demo_scales)
    groups = [answers.attributes[r]["would_consider"] for r in answers.respondents]
    scores = answers.subscale_scores(demo_scales.subscale("bond"))
    samples = [[s for s, g in zip(scores, groups, strict=True) if g == name and not np.isnan(s)]
               for name in ("maybe", "no", "yes")]
    reference = stats.kruskal(*samples)
    bond = next(c for c in result.comparisons if c.kind == "subscale" and c.id == "bond")
    assert bond.test.test == "Kruskal-Wallis H" and bond.test.dof == 2
    assert bond.test.statistic == pytest.approx(reference.statistic)
    assert bond.test.p == pytest.approx(reference.pvalue)
    assert bond.test.effect_size == pytest.approx(reference.statistic / (sum(map(len, samples)) - 1))
    means = {g.name: g.mean for g in bond.groups}
    assert means["yes"] > means["maybe"] > means["no"]


@pytest.mark.parametrize("by, message", [
    ("rol", "attribute 'rol' is not a column of the imported data (columns: group, q1, q2, q3, q4)"),
    ("q4", None),
])
def test_by_attribute_errors(mini_project, mini_scales, by, message):
    if message is None:
        assert describe(mini_project, mini_scales, by=by, n_boot=0).excluded == 3
        return
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        describe(mini_project, mini_scales, by=by, n_boot=0)


def test_by_one_or_too_many_groups(project, mini_scales):
    from thematic.scales.answers import read_answers
    from thematic.scales.describe import describe_answers

    rows = {f"R{i}": {"q1": "1", "q2": "2", "q3": "3", "q4": "4", "site": "x", "id": f"v{i}"}
            for i in range(14)}
    answers = read_answers(rows, mini_scales)
    with pytest.raises(ThematicError, match=re.escape(
            "attribute 'site' has only 'x' among the respondents "
            "(choose an attribute with two or more groups)")):
        describe_answers(answers, by="site", n_boot=0)
    with pytest.raises(ThematicError, match=re.escape(
            "attribute 'id' has 14 different values "
            "(compare by an attribute with at most 12 groups, such as role)")):
        describe_answers(answers, by="id", n_boot=0)
    with pytest.raises(ThematicError, match=re.escape("--n-boot must be 0 or more (it is -1)")):
        describe(project, mini_scales, n_boot=-1)


def test_csv_rows_are_long_form(mini_project, mini_scales):
    rows = describe(mini_project, mini_scales, by="group", n_boot=0).csv_rows()
    assert ("item", "q1", "", "count: 1 Strongly disagree", 2) in rows
    assert ("item", "q1", "", "missing", 1) in rows
    assert ("subscale", "trust", "", "rank", 2) in rows
    assert ("subscale by group", "trust", "a", "n", 5) in rows
    assert ("bootstrap", "", "", "seed", 0) in rows
