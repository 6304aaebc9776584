"""Joint displays: themes x groups, and a subscale score by theme, from codings in the decision log."""

from __future__ import annotations

import re

import pytest

from tests.scales.conftest import insert_codings
from thematic.errors import ThematicError
from thematic.scales.joint import respondent_themes, score_by_theme, theme_by_attribute


def test_codings_roll_up_to_respondents(mini_coded):
    coded = respondent_themes(mini_coded, "ana")
    assert "A5" not in coded                            # empty answer: no unit, not coded
    assert coded["A1"] == {"possibilities"} and coded["A3"] == frozenset() and len(coded) == 9


def test_several_units_of_a_respondent_roll_up(mini_project):
    from thematic.store.corpus import insert_units, list_units

    first = next(u for u in list_units(mini_project) if u.respondent_id == "A1")
    with mini_project.transaction():           # a second unit in A1's answer, as sentence units would be
        insert_units(mini_project, [("A1.second", first.response_id, 1, 5, 9, "help", "sha")])
        for n, (unit_id, themes) in enumerate(((first.id, '["possibilities"]'), ("A1.second", '["risks"]'))):
            mini_project.execute("INSERT INTO decisions (uuid, coder, unit_id, themes, kind, at) "
                                 "VALUES (?, 'ana', ?, ?, 'code', ?)",
                                 (f"u{n}", unit_id, themes, f"2024-01-01T00:00:0{n}.000000Z"))
    assert respondent_themes(mini_project, "ana") == {"A1": {"possibilities", "risks"}}


def test_theme_by_two_groups_is_fisher(mini_coded):
    from scipy import stats

    result = theme_by_attribute(mini_coded, "group")
    assert result.coder == "ana" and result.groups == ("a", "b") and result.coded == (4, 5)
    assert (result.excluded, result.not_coded) == (0, 1)
    rows = {t.id: t for t in result.themes}
    assert list(rows) == ["negative", "possibilities", "risks"]      # no codebook: ids, sorted
    risks = rows["risks"]
    assert risks.counts == (1, 2) and risks.percents == (25.0, 40.0)
    assert (risks.total, risks.total_percent) == (3, 33.33)
    assert risks.test.test == "Fisher's exact"
    assert risks.test.p == pytest.approx(stats.fisher_exact([[1, 2], [3, 3]]).pvalue)
    assert rows["possibilities"].counts == (2, 0)
    assert result.caveat is None
    data = result.to_dict()
    assert data["themes"][2]["counts"] == {"a": 1, "b": 2}


def test_theme_by_three_groups_is_chi_square_with_caveat(coded_demo):
    from scipy import stats

    result = theme_by_attribute(coded_demo, "would_consider", coder="writer")
    assert result.groups == ("maybe", "no", "yes") and result.coded == (40, 62, 10)
    rows = {t.id: t for t in result.themes}
    risks = rows["therapeutic-risks"]
    assert risks.counts == (14, 32, 1)
    reference = stats.chi2_contingency([[14, 32, 1], [26, 30, 9]], correction=False)
    assert risks.test.test == "chi-square" and risks.test.dof == 2
    assert risks.test.statistic == pytest.approx(reference.statistic)
    assert risks.test.p == pytest.approx(reference.pvalue)
    assert rows["negative-responses"].counts == (0, 34, 0)
    assert result.caveat == (
        "expected counts below 5 for mixed-support (1 of 6 cells), negative-responses (1 of 6 cells), "
        "possibilities-of-ai (1 of 6 cells), therapeutic-risks (1 of 6 cells): their chi-square p-values are "
        "approximate (read those rows as description, or compare fewer, larger groups)")


def test_therapeutic_risks_go_with_a_lower_bond_score(coded_demo, demo_scales):
    result = score_by_theme(coded_demo, demo_scales, "bond")
    assert result.coder == "writer" and result.coded == 112 and result.no_score == 0
    risks = next(t for t in result.themes if t.id == "therapeutic-risks")
    assert risks.with_theme.n == 47 and risks.with_theme.mean < risks.without_theme.mean
    assert risks.test.effect_size < 0 and risks.p_holm < 0.05


def test_score_by_theme_matches_scipy(mini_coded, mini_scales):
    from scipy import stats

    result = score_by_theme(mini_coded, mini_scales, "trust")
    assert (result.coded, result.no_score, result.low, result.high) == (8, 1, 1.0, 5.0)
    risks = next(t for t in result.themes if t.id == "risks")
    with_, without = [3, 5 / 3, 1], [14 / 3, 4, 13 / 3, 4 / 3, 2]
    reference = stats.mannwhitneyu(with_, without, alternative="two-sided")
    assert (risks.with_theme.n, risks.without_theme.n) == (3, 5)
    assert risks.test.statistic == reference.statistic and risks.test.p == pytest.approx(reference.pvalue)
    assert risks.test.effect_size == pytest.approx(2 * reference.statistic / 15 - 1)
    assert result.csv_rows()[2][0] == "risks"
    message = "subscale 'bond' is not in mini.yaml (subscales are: trust, use)"
    with pytest.raises(ThematicError, match=re.escape(message)):
        score_by_theme(mini_coded, mini_scales, "bond")


def test_theme_names_come_from_the_current_codebook(mini_coded):
    from thematic.codebook.model import Codebook, Theme
    from thematic.store.codebooks import use_codebook

    ids = [t.id for t in theme_by_attribute(mini_coded, "group").themes]
    assert ids == ["negative", "possibilities", "risks"]                   # no codebook in use: ids, sorted
    codebook = Codebook("t", themes=(Theme("risks", "Therapeutic risks", "d"), Theme("other", "Other", "d")))
    use_codebook(mini_coded, codebook)
    result = theme_by_attribute(mini_coded, "group")
    assert [(t.id, t.name) for t in result.themes] == [
        ("risks", "Therapeutic risks"), ("other", "Other"), ("negative", "negative"),
        ("possibilities", "possibilities")]
    other = result.themes[1]
    assert other.counts == (0, 0) and other.test.test is None and other.p_holm is None


def test_coder_choice(mini_project):
    message = ("nobody has coded yet (code some units first, or pass --coder machine to use the machine's "
               "suggestions)")
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        theme_by_attribute(mini_project, "group")
    insert_codings(mini_project, "ana", {"A1": ["x"]})
    insert_codings(mini_project, "ben", {"A1": ["y"]})
    with pytest.raises(ThematicError, match=re.escape(
            "several coders have coded: ana, ben (choose one with --coder NAME, or reconcile them into "
            "consensus first)")):
        theme_by_attribute(mini_project, "group")
    assert theme_by_attribute(mini_project, "group", coder="ben").themes[0].id == "y"
    with pytest.raises(ThematicError, match=re.escape(
            "coder 'zoe' has no decisions in this project (coders: ana, ben; or --coder machine for the "
            "machine's suggestions)")):
        theme_by_attribute(mini_project, "group", coder="zoe")
    insert_codings(mini_project, "consensus", {"A1": ["z"], "B1": ["z"]})
    result = theme_by_attribute(mini_project, "group")
    assert result.coder == "consensus" and result.coded == (1, 1)


def test_coder_with_no_codings_and_machine_without_run(mini_project):
    with mini_project.transaction():
        unit = mini_project.scalar("SELECT id FROM units LIMIT 1")
        mini_project.execute("INSERT INTO decisions (uuid, coder, unit_id, themes, kind, at) VALUES "
                             "('s1', 'ana', ?, '[]', 'skip', '2024-01-01T00:00:00.000000Z')", (unit,))
    with pytest.raises(ThematicError, match=re.escape(
            "coder 'ana' has coded no units yet (code some units first, or choose another coder with "
            "--coder NAME)")):
        theme_by_attribute(mini_project, "group")
    with pytest.raises(ThematicError, match=re.escape(
            "the machine has no suggestions yet (run `thematic suggest` first, or choose a human coder with "
            "--coder NAME)")):
        theme_by_attribute(mini_project, "group", coder="machine")


def test_bad_attribute_and_question(mini_coded):
    with pytest.raises(ThematicError, match=re.escape("attribute 'role' is not a column of the imported")):
        theme_by_attribute(mini_coded, "role")
    unknown = "question 'q9' is not in this project (questions: answer)"
    with pytest.raises(ThematicError, match=re.escape(unknown)):
        theme_by_attribute(mini_coded, "group", question="q9")
    assert theme_by_attribute(mini_coded, "group", question="answer").coded == (4, 5)
