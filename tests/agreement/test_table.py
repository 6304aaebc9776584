"""agreement_table: agreement computed from stored decisions equals the functions called on the same
matrices directly; units, coders, levels, flags and errors."""

from __future__ import annotations

import functools
import math
import random
import re

import numpy as np
import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV, DEMO_THEMES, ben_changes, read_demo_key
from thematic.agreement import (
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from thematic.agreement.table import KAPPA_MISLEADING, RESPONSE_RULE, agreement_table
from thematic.errors import ThematicError
from thematic.review.decisions import Decision
from thematic.store import corpus
from thematic.store import decisions as store

THEMES = DEMO_THEMES


KEY = read_demo_key()


def ben(respondent_id: str) -> frozenset[str]:
    """Coder ben: the key with tests.conftest.ben_changes."""
    return ben_changes(respondent_id, KEY[respondent_id])


def cat(respondent_id: str) -> frozenset[str]:
    """Coder cat: the key, with possibilities-of-ai added on every 5th respondent."""
    themes = set(KEY[respondent_id])
    if int(respondent_id[1:]) % 5 == 0:
        themes.add("possibilities-of-ai")
    return frozenset(themes)


SCRIPTS = {"ana": lambda r: KEY[r], "ben": ben, "cat": cat}


def code(project, coder: str, script=None, *, upto: int = 120, **extra) -> None:
    """Record ``coder``'s codings of every unit of respondents R001..R{upto}, from their script."""
    script = script or SCRIPTS[coder]
    decisions = [
        Decision.new(coder, u.id, script(u.respondent_id), **extra)
        for u in corpus.list_units(project)
        if int(u.respondent_id[1:]) <= upto
    ]
    store.record_many(project, decisions)


def use_demo_codebook(project) -> None:
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    use_codebook(project, load_codebook(DEMO_CODEBOOK))


def add_machine(project, *, seed: int = 1) -> dict[str, frozenset[str]]:
    """A fake suggest run (key themes score high, with seeded noise); returns its assignments."""
    from thematic.clock import utc_now
    from thematic.store import ml
    from thematic.store.codebooks import require_current

    rng = random.Random(seed)
    assigned: dict[str, set[str]] = {}
    with project.transaction():
        run = ml.insert_suggest_run(
            project,
            codebook_version=require_current(project).number,
            model="fake",
            parameters={"threshold": 0.5},
            created_at=utc_now(),
        )
        rows = []
        for unit in corpus.list_units(project):
            assigned[unit.id] = set()
            for theme in THEMES:
                score = (0.7 if theme in KEY[unit.respondent_id] else 0.3) + rng.uniform(-0.3, 0.3)
                rows.append((unit.id, theme, score, score >= 0.5))
                if score >= 0.5:
                    assigned[unit.id].add(theme)
        ml.insert_scores(project, run, rows)
    return {u: frozenset(t) for u, t in assigned.items()}


def make_coded(project):
    """The ai-therapy codebook in use; ana codes R001-R120, ben R001-R100."""
    use_demo_codebook(project)
    code(project, "ana")
    code(project, "ben", upto=100)
    return project


@pytest.fixture
def coded(demo_project):
    """The demo corpus (response units), coded by ana and ben (:func:`make_coded`)."""
    return make_coded(demo_project)


def expected_matrix(project, codings: dict[str, dict[str, frozenset[str]]], theme: str) -> np.ndarray:
    """Built here from the scripts, not by thematic: units in file order, coded by two or more."""
    rows = []
    for unit in corpus.list_units(project):
        cells = [codings[c].get(unit.id) for c in codings]
        if sum(c is not None for c in cells) >= 2:
            rows.append([np.nan if c is None else float(theme in c) for c in cells])
    return np.array(rows)


def scripted(project, coders, upto) -> dict[str, dict[str, frozenset[str]]]:
    units = corpus.list_units(project)
    return {
        c: {u.id: SCRIPTS[c](u.respondent_id) for u in units if int(u.respondent_id[1:]) <= upto[c]}
        for c in coders
    }


AC1 = functools.partial(gwet_ac1, categories=(0, 1))


def test_agreement_from_decisions_equals_the_functions_on_the_same_matrix(coded):
    table = agreement_table(coded, n_boot=200, seed=3)
    codings = scripted(coded, ["ana", "ben"], {"ana": 120, "ben": 100})
    assert [r.theme for r in table.rows] == THEMES
    for row in table.rows:
        matrix = expected_matrix(coded, codings, row.theme)
        assert row.n_units == matrix.shape[0]
        for name, func in [
            ("percent_agreement", percent_agreement),
            ("cohen_kappa", cohen_kappa),
            ("krippendorff_alpha", krippendorff_alpha),
            ("gwet_ac1", AC1),
        ]:
            got = row.get(name)
            direct = bootstrap_ci(func, matrix, n_boot=200, seed=3)
            assert got.estimate == func(matrix) == direct.estimate
            assert (got.low, got.high, got.n_undefined) == (direct.low, direct.high, direct.n_undefined)
        assert row.prevalence == pytest.approx(np.nanmean(matrix))


def test_units_counted_and_overall_figures(coded):
    table = agreement_table(coded, n_boot=100)
    answered = {u.respondent_id for u in corpus.list_units(coded)}
    both = [r for r in answered if int(r[1:]) <= 100]
    assert table.coders == ("ana", "ben")
    assert (table.n_units, table.n_coded) == (len(both), len(answered))
    assert table.coded_by == {"ana": len(answered), "ben": len(both)}
    assert table.kappa == "cohen_kappa" and table.seed == 0 and table.n_boot == 100 and table.ci == 0.95
    exact = np.mean([KEY[r] == ben(r) for r in sorted(both)])
    assert table.exact_match.estimate == pytest.approx(exact)
    assert table.exact_match.low <= exact <= table.exact_match.high
    assert table.rule.startswith("a unit counts when at least two")
    # the demo codebook: one exclusive group (the stance) and one independent theme
    (stance,) = table.groups
    assert stance.group == "stance" and stance.categories == (
        "negative-responses",
        "possibilities-of-ai",
        "mixed-support",
        "none",
    )
    assert table.independent.themes == ("therapeutic-risks",)
    # a mean of per-theme coefficients has no interval and no band
    for e in table.independent.means:
        assert e.label.startswith("mean of per-theme ") and e.band is None and math.isnan(e.low)


def test_bands_and_the_same_seed_gives_the_same_table(coded):
    first = agreement_table(coded, n_boot=100, seed=5)
    assert first == agreement_table(coded, n_boot=100, seed=5)
    other = agreement_table(coded, n_boot=100, seed=6)
    assert first.rows[2].get("cohen_kappa").low != other.rows[2].get("cohen_kappa").low
    mixed = first.rows[2].get("krippendorff_alpha")
    assert mixed.band == (
        "reliable" if mixed.estimate >= 0.8 else "tentative" if mixed.estimate >= 0.667 else "unreliable"
    )
    assert first.rows[0].get("percent_agreement").band is None
    assert first.rows[0].get("cohen_kappa").band == "almost perfect"
    assert first.rows[0].get("gwet_ac1").band.endswith(")") and "Gwet benchmark, P=" in first.rows[0].get(
        "gwet_ac1"
    ).band


def test_labels_and_bands_come_from_the_coefficient_registry(coded):
    """One source for each fact: every label and band the table shows is the registry's
    (thematic.agreement.coefficients.FIGURES), which the coefficient modules own."""
    from thematic.agreement.bands import gwet_benchmark, krippendorff_band, landis_koch_band
    from thematic.agreement.coefficients import FIGURES

    table = agreement_table(coded, n_boot=100, seed=5)
    estimates = [e for row in table.rows for e in row.estimates]
    assert {e.coefficient for e in estimates} == {
        "percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1"}
    for e in estimates:
        assert e.label == FIGURES[e.coefficient].label
        if e.coefficient != "gwet_ac1":  # its band needs the standard error, which Estimate does not keep
            assert e.band == FIGURES[e.coefficient].reading(e.estimate)
    assert FIGURES["krippendorff_alpha"].reading(0.7) == krippendorff_band(0.7) == "tentative"
    assert FIGURES["masi_alpha"].reading(0.9) == krippendorff_band(0.9)
    kappa = landis_koch_band(0.5)
    assert FIGURES["cohen_kappa"].reading(0.5) == FIGURES["fleiss_kappa"].reading(0.5) == kappa
    band, p = gwet_benchmark(0.7, 0.05)
    assert FIGURES["gwet_ac1"].reading(0.7, 0.05) == f"{band} (Gwet benchmark, P={p:.2f})"
    assert FIGURES["gwet_ac1"].reading(0.7) == gwet_benchmark(0.7, math.nan)[0] == "undefined"
    assert FIGURES["percent_agreement"].reading(0.9) is None and FIGURES["exact_match"].reading(0.9) is None


def test_three_coders_fleiss_when_complete_else_not_applicable(coded):
    code(coded, "cat", upto=100)
    complete = agreement_table(coded, coders=["ana", "ben", "cat"], n_boot=50)
    assert complete.kappa == "fleiss_kappa" and complete.n_units == complete.coded_by["ben"]
    codings = scripted(coded, ["ana", "ben", "cat"], {"ana": 120, "ben": 100, "cat": 100})
    for row in complete.rows:
        matrix = expected_matrix(coded, codings, row.theme)
        assert not np.isnan(matrix).any()
        assert row.get("fleiss_kappa").estimate == pytest.approx(fleiss_kappa(matrix), abs=1e-12)
        assert row.get("krippendorff_alpha").estimate == krippendorff_alpha(matrix)

    code(coded, "ben", upto=110)  # now ana and ben share units cat did not code
    default = agreement_table(coded, n_boot=50)
    assert default.coders == ("ana", "ben", "cat")
    fleiss = default.rows[0].get("fleiss_kappa")
    assert math.isnan(fleiss.estimate) and fleiss.not_applicable == (
        "n/a: Fleiss' kappa needs every coder to code every counted unit "
        "(see Krippendorff's alpha and AC1, which allow missing codes)"
    )
    assert default.groups[0].get("fleiss_kappa").not_applicable == fleiss.not_applicable
    codings = scripted(coded, ["ana", "ben", "cat"], {"ana": 120, "ben": 110, "cat": 100})
    matrix = expected_matrix(coded, codings, "mixed-support")
    assert np.isnan(matrix).any()
    assert default.rows[2].get("krippendorff_alpha").estimate == krippendorff_alpha(matrix)


def test_machine_is_the_latest_suggest_run(coded):
    assigned = add_machine(coded)
    table = agreement_table(coded, coders=["ana", "machine"], n_boot=50)
    assert table.coders == ("ana", "machine")
    assert agreement_table(coded, n_boot=50).coders == ("ana", "ben")  # not by default
    codings = {"ana": scripted(coded, ["ana"], {"ana": 120})["ana"], "machine": assigned}
    for row in table.rows:
        assert row.get("cohen_kappa").estimate == cohen_kappa(expected_matrix(coded, codings, row.theme))


def test_latest_decision_counts_and_consensus_only_when_named(coded):
    unit = corpus.list_units(coded)[0]
    before = agreement_table(coded, n_boot=20)
    store.record(coded, Decision.new("ben", unit.id, {"possibilities-of-ai"}))
    after = agreement_table(coded, n_boot=20)
    assert after.rows[1].get("percent_agreement").estimate < before.rows[1].get("percent_agreement").estimate
    code(coded, "consensus", lambda r: KEY[r], upto=50)
    assert agreement_table(coded, n_boot=20).coders == ("ana", "ben")
    named = agreement_table(coded, coders=["ana", "consensus"], n_boot=20)
    assert named.n_units == named.coded_by["consensus"]
    assert named.exact_match.estimate == 1.0


def test_one_theme(coded):
    table = agreement_table(coded, theme="Mixed support", n_boot=20)
    assert [r.theme for r in table.rows] == ["mixed-support"]
    assert table.groups == () and table.independent is None and table.exact_match is None
    assert table.unknown_themes == ()
    assert table.rows[0] == agreement_table(coded, n_boot=20).rows[2]


def test_extreme_prevalence_flags_kappa(project):
    from thematic.ingest.importer import ImportOptions, import_file

    import_file(project, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    use_demo_codebook(project)
    units = corpus.list_units(project)[:40]
    rare = {units[0].id, units[1].id}
    store.record_many(
        project, [Decision.new("ana", u.id, {"mixed-support"} if u.id in rare else ()) for u in units]
    )
    store.record_many(
        project, [Decision.new("ben", u.id, {"mixed-support"} if u.id == units[0].id else ()) for u in units]
    )
    table = agreement_table(project, n_boot=50)
    mixed = table.rows[2]
    assert mixed.prevalence == pytest.approx(3 / 80) and mixed.kappa_misleading
    assert mixed.get("cohen_kappa").estimate < 0.7 < mixed.get("gwet_ac1").estimate
    assert KAPPA_MISLEADING == (
        "kappa and alpha swing with a few codes here, and AC1 and percent agreement stay high whatever the "
        "coders do; judge this theme by its positives"
    )
    # nobody applied the other themes: kappa and alpha are undefined, AC1 (both categories given) is 1
    nobody = table.rows[0]
    assert math.isnan(nobody.get("cohen_kappa").estimate) and nobody.get("cohen_kappa").band == "undefined"
    assert nobody.get("gwet_ac1").estimate == 1.0 and nobody.kappa_misleading
    assert mixed.n_positives == 2
    # therapeutic-risks (the one independent theme) has no positives: listed apart, no mean
    assert table.independent.rare == (("therapeutic-risks", 0),) and table.independent.covered == ()
    assert math.isnan(table.independent.get("mean_cohen_kappa").estimate)


def sentence_project(project, n: int = 10):
    """``n`` responses of two sentence units each, made through the store (no segmenter to load)."""
    from thematic.clock import utc_now

    with project.transaction():
        source = corpus.insert_source(
            project, name="tiny.csv", sha256="0" * 64, options="{}", imported_at=utc_now()
        )
        corpus.ensure_question(project, "answer", None)
        corpus.insert_respondents(project, [(f"R{i:03d}", {}, source) for i in range(1, n + 1)])
        for i in range(1, n + 1):
            text = "It could help. It could also harm."
            response = corpus.insert_response(project, f"R{i:03d}", "answer", text, source)
            corpus.insert_units(
                project,
                [
                    (f"R{i:03d}.a", response, 0, 0, 14, text[:14], "a" * 64),
                    (f"R{i:03d}.b", response, 1, 15, len(text), text[15:], "b" * 64),
                ],
            )
    use_demo_codebook(project)


def test_response_level_rolls_sentences_up(project):
    sentence_project(project)
    by_response: dict[int, list] = {}
    for unit in corpus.list_units(project):
        by_response.setdefault(unit.response_id, []).append(unit)
    long = [units for units in by_response.values() if len(units) >= 2][:10]
    # ana codes each response's first sentence, ben its second: no sentence is coded by both.
    store.record_many(project, [Decision.new("ana", units[0].id, {"therapeutic-risks"}) for units in long])
    store.record_many(
        project,
        [
            Decision.new("ben", units[1].id, {"therapeutic-risks"} if i % 2 else ())
            for i, units in enumerate(long)
        ],
    )
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "no unit was coded by at least two of ana and ben (agreement needs units that two coders coded; "
            "`thematic status` shows who coded how many)"
        ),
    ):
        agreement_table(project, n_boot=20)
    table = agreement_table(project, level="response", n_boot=20)
    assert table.level == "response" and table.rule == RESPONSE_RULE and table.n_units == 10
    risks = table.rows[3]
    assert risks.get("percent_agreement").estimate == 0.5
    matrix = np.array([[1.0, float(i % 2)] for i in range(10)])
    assert risks.get("gwet_ac1").estimate == gwet_ac1(matrix, categories=(0, 1))


def test_unknown_themes_are_listed_and_left_out(coded):
    unit = corpus.list_units(coded)[0]
    store.record(coded, Decision.new("ben", unit.id, {"retired-theme", *KEY[unit.respondent_id]}))
    table = agreement_table(coded, n_boot=20)
    assert table.unknown_themes == ("retired-theme",)
    assert [r.theme for r in table.rows] == THEMES


def test_json_ready_dict_and_long_rows(coded):
    import json

    table = agreement_table(coded, n_boot=20)
    data = json.loads(json.dumps(table.to_dict(), allow_nan=False))
    assert data["coders"] == ["ana", "ben"] and data["seed"] == 0 and len(data["themes"]) == 4
    assert data["themes"][0]["estimates"][1]["coefficient"] == "cohen_kappa"
    rows = table.to_rows()
    kinds = [r["row"] for r in rows]
    assert kinds == ["theme"] * 16 + ["overall"] + ["group"] * 5 + ["independent"] * 6
    assert rows[16]["coefficient"] == "exact_match"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"coders": ["ana"]}, "--coders needs at least two coders (e.g. --coders ana,ben); got 1"),
        ({"coders": ["ana", "ana"]}, "coder 'ana' is named twice in --coders (name each coder once)"),
        (
            {"coders": ["ana", ""]},
            "--coders has an empty name (separate names with commas, e.g. --coders ana,ben)",
        ),
        (
            {"coders": ["ana", "zed"]},
            "coder 'zed' has coded nothing in this project (coders with codings: ana, ben)",
        ),
        ({"coders": ["ana", "machine"]}, "coder 'machine' has no codings (run `thematic suggest` first)"),
        ({"level": "sentence"}, "unknown level 'sentence' (choose unit or response)"),
        ({"ci": 1.5}, "--ci must be between 0 and 1, e.g. 0.95 (got 1.5)"),
        ({"n_boot": 0}, "--n-boot must be a whole number of at least 1, e.g. 1000 (got 0)"),
        ({"seed": -1}, "--seed must be a whole number of 0 or more (got -1)"),
        (
            {"theme": "hope"},
            "theme 'hope' is not in the codebook (themes are: negative-responses, "
            "possibilities-of-ai, mixed-support, therapeutic-risks)",
        ),
    ],
)
def test_errors(coded, kwargs, message):
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        agreement_table(coded, **kwargs)


def test_errors_about_coders(demo_project):
    from thematic.store.codebooks import NO_CODEBOOK

    with pytest.raises(ThematicError, match=re.escape(NO_CODEBOOK)):
        agreement_table(demo_project)
    use_demo_codebook(demo_project)
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "agreement needs at least two coders, and nobody has coded any unit yet "
            "(have a second coder code the same units, or name them with --coders a,b)"
        ),
    ):
        agreement_table(demo_project)
    code(demo_project, "ana", upto=10)
    first = corpus.list_units(demo_project)[0]
    store.record(demo_project, Decision.new("ben", first.id, kind="skip"))
    with pytest.raises(
        ThematicError, match=re.escape("agreement needs at least two coders, and only ana has")
    ):
        agreement_table(demo_project)
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "coder 'ben' has only skipped, flagged or undone decisions in this project "
            "(coders with codings: ana)"
        ),
    ):
        agreement_table(demo_project, coders=["ana", "ben"])
