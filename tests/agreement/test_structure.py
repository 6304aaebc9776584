"""Agreement that follows the codebook's structure, checked against independent libraries:
sklearn (Cohen), statsmodels (Fleiss), the `krippendorff` package (alpha, nominal, missing data), Gwet's
AC1 formula written out here, and NLTK (Krippendorff's alpha with the MASI distance)."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance as nltk_masi
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from tests.agreement.test_table import KEY, ben, cat, code, make_coded
from tests.conftest import DEMO_CODEBOOK
from thematic.agreement.sets import masi_alpha, masi_distance
from thematic.agreement.table import agreement_table
from thematic.store import corpus

STANCE = ("negative-responses", "possibilities-of-ai", "mixed-support")


def category(themes: frozenset[str] | None):
    """The stance of a coding, written out independently of thematic: None when missing or invalid."""
    if themes is None:
        return None
    chosen = [t for t in STANCE if t in themes]
    return chosen[0] if len(chosen) == 1 else ("none" if not chosen else None)


def gwet_ac1_two(pairs: list, q: int) -> float:
    """Gwet's AC1 for two raters, missing codes (None) allowed, written out from Gwet (2014, ch. 4):
    p_a over units both coded; pi_k = mean over units with a code of the share of its codes in k;
    p_e = sum_k pi_k (1 - pi_k) / (q - 1)."""
    both = [(x, y) for x, y in pairs if x is not None and y is not None]
    p_a = sum(x == y for x, y in both) / len(both)
    coded = [[c for c in pair if c is not None] for pair in pairs]
    coded = [c for c in coded if c]
    cats = {c for row in coded for c in row}
    pi = {k: sum(row.count(k) / len(row) for row in coded) / len(coded) for k in cats}
    p_e = sum(p * (1 - p) for p in pi.values()) / (q - 1)
    return (p_a - p_e) / (1 - p_e)


def test_exclusive_group_is_one_nominal_variable(demo_project):
    table = agreement_table(make_coded(demo_project), n_boot=200, seed=1)
    (stance,) = table.groups
    units = [u for u in corpus.list_units(demo_project) if int(u.respondent_id[1:]) <= 100]
    pairs = [(category(KEY[u.respondent_id]), category(ben(u.respondent_id))) for u in units]
    # ben swaps mixed-support in on every 7th respondent: where that gives two stances, his code is
    # missing for the group
    assert stance.n_invalid == sum(y is None for _, y in pairs) > 0
    a, b = zip(*[(x, y) for x, y in pairs if x is not None and y is not None], strict=True)
    a, b = list(a), list(b)
    assert stance.n_units == len(a)
    assert stance.get("percent_agreement").estimate == pytest.approx(
        np.mean([x == y for x, y in zip(a, b, strict=True)])
    )
    assert stance.get("cohen_kappa").estimate == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    codes = {c: i for i, c in enumerate((*STANCE, "none"))}
    data = np.array([[codes[x] for x in a], [codes[y] for y in b]], dtype=float)
    assert stance.get("krippendorff_alpha").estimate == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12
    )
    assert stance.get("gwet_ac1").estimate == pytest.approx(gwet_ac1_two(pairs, q=4), abs=1e-12)
    assert stance.get("exact_match").estimate == stance.get("percent_agreement").estimate
    for e in stance.estimates:
        assert e.low <= e.estimate <= e.high
    assert stance.get("cohen_kappa").band in ("substantial", "almost perfect", "moderate")


def test_nominal_with_missing_and_invalid_codes_three_coders(demo_project):
    """cat gives two stances to every 5th respondent that has one: those codes are missing for the
    group, so Fleiss is not applicable, and alpha is the krippendorff package's with nan."""
    project = make_coded(demo_project)
    code(project, "cat", upto=100)
    table = agreement_table(project, coders=["ana", "ben", "cat"], n_boot=50)
    (stance,) = table.groups
    units = [u for u in corpus.list_units(project) if int(u.respondent_id[1:]) <= 100]
    rows = [
        [category(KEY[u.respondent_id]), category(ben(u.respondent_id)), category(cat(u.respondent_id))]
        for u in units
    ]
    invalid = sum(x is None for r in rows for x in r)
    assert sum(r[2] is None for r in rows) > 0 and stance.n_invalid == invalid
    codes = {c: i for i, c in enumerate((*STANCE, "none"))}
    data = np.array([[np.nan if x is None else codes[x] for x in r] for r in rows]).T
    assert stance.get("krippendorff_alpha").estimate == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12
    )
    assert stance.get("fleiss_kappa").not_applicable.startswith("n/a: Fleiss' kappa needs every coder")
    # the complete units alone: statsmodels' Fleiss equals ours on the same matrix
    from thematic.agreement import fleiss_kappa as ours

    complete = data.T[~np.isnan(data.T).any(axis=1)]
    table_counts, _ = aggregate_raters(complete.astype(int), n_cat=4)
    assert ours(complete) == pytest.approx(fleiss_kappa(table_counts, method="fleiss"), abs=1e-12)


def test_required_group_no_none_category(demo_project, tmp_path):
    from thematic.codebook.load import parse_codebook
    from thematic.store.codebooks import use_codebook

    text = DEMO_CODEBOOK.read_text(encoding="utf-8").replace(
        "    exclusive: true   # at most", "    required: true\n    exclusive: true   # at most"
    )
    project = make_coded(demo_project)
    use_codebook(project, parse_codebook(text))
    (stance,) = agreement_table(project, n_boot=20).groups
    assert stance.required and stance.categories == STANCE
    units = [u for u in corpus.list_units(project) if int(u.respondent_id[1:]) <= 100]
    no_stance = sum(category(KEY[u.respondent_id]) == "none" for u in units) + sum(
        category(ben(u.respondent_id)) == "none" for u in units
    )
    assert stance.n_missing_required == no_stance > 0


def random_sets(seed: int, n_units: int, n_coders: int, themes="abcd", empty=True, missing=0.0):
    rng = random.Random(seed)
    rows = []
    for _ in range(n_units):
        base = frozenset(t for t in themes if rng.random() < 0.35)
        row = []
        for _ in range(n_coders):
            s = set(base)
            if rng.random() < 0.3:
                s ^= {rng.choice(themes)}
            if not empty and not s:
                s = {rng.choice(themes)}
            row.append(None if rng.random() < missing else frozenset(s))
        rows.append(tuple(row))
    return rows


def nltk_alpha(rows) -> float:
    data = [(f"c{j}", f"u{i}", s) for i, row in enumerate(rows) for j, s in enumerate(row) if s is not None]
    return AnnotationTask(data=data, distance=nltk_masi).alpha()


@pytest.mark.parametrize("seed", range(5))
def test_masi_alpha_equals_nltk(seed):
    rows = random_sets(seed, 60, 2 + seed % 3, empty=False, missing=0.1 * (seed % 2))
    assert masi_alpha(rows) == pytest.approx(nltk_alpha(rows), abs=1e-12)
    for a, b in [(r[0], r[1]) for r in rows if r[0] is not None and r[1] is not None]:
        assert masi_distance(a, b) == pytest.approx(nltk_masi(a, b), abs=1e-15)


def test_masi_alpha_with_empty_sets_equals_nltk_with_empty_equal_to_empty():
    """NLTK divides by zero on two empty sets; thematic puts them at distance 0, as for any equal sets."""
    rows = random_sets(7, 80, 2, empty=True)
    assert any(frozenset() in r for r in rows)
    data = [(f"c{j}", f"u{i}", s) for i, row in enumerate(rows) for j, s in enumerate(row)]
    task = AnnotationTask(data=data, distance=lambda a, b: 0.0 if a == b else nltk_masi(a, b))
    assert masi_alpha(rows) == pytest.approx(task.alpha(), abs=1e-12)


def test_independent_themes_get_masi_alpha_on_their_sets(demo_project):
    """With the demo codebook's structure removed, all four themes are independent: the overall figure
    is MASI alpha on each unit's set of themes, equal to NLTK's."""
    from thematic.codebook.load import parse_codebook
    from thematic.store.codebooks import use_codebook

    text = DEMO_CODEBOOK.read_text(encoding="utf-8")
    start, end = text.index("groups:\n"), text.index("# therapeutic-risks belongs")
    project = make_coded(demo_project)
    use_codebook(project, parse_codebook(text[:start] + text[end:]))
    table = agreement_table(project, n_boot=100)
    assert table.groups == () and len(table.independent.themes) == 4
    units = [u for u in corpus.list_units(project) if int(u.respondent_id[1:]) <= 100]
    rows = [(KEY[u.respondent_id], ben(u.respondent_id)) for u in units]
    data = [(f"c{j}", f"u{i}", s) for i, row in enumerate(rows) for j, s in enumerate(row)]
    task = AnnotationTask(data=data, distance=lambda a, b: 0.0 if a == b else nltk_masi(a, b))
    masi = table.independent.get("masi_alpha")
    assert masi.estimate == pytest.approx(task.alpha(), abs=1e-12)
    assert masi.low <= masi.estimate <= masi.high and masi.band in ("reliable", "tentative", "unreliable")
    exact = np.mean([a == b for a, b in rows])
    assert table.independent.get("exact_match").estimate == pytest.approx(exact)
    # every theme here has 10 or more positives, so the means cover all four
    assert table.independent.covered == table.independent.themes and table.independent.rare == ()
    for name in ("cohen_kappa", "gwet_ac1"):
        mean = table.independent.get(f"mean_{name}")
        assert mean.estimate == pytest.approx(np.mean([r.get(name).estimate for r in table.rows]))
        assert mean.band is None and np.isnan(mean.low)


def test_worked_example_mean_of_binary_overstates():
    """The table in docs/agreement.md: 10 units, 5 categories, one code each. The coders agree on 6
    units; the per-theme binary figures average far above the nominal ones."""
    from thematic.agreement import cohen_kappa, gwet_ac1, percent_agreement

    a = [0, 0, 0, 0, 1, 1, 2, 3, 4, 0]
    b = [0, 0, 0, 1, 1, 2, 2, 4, 3, 0]
    nominal = np.array([a, b], dtype=float).T
    binary = [np.array([[x == k, y == k] for x, y in zip(a, b, strict=True)], dtype=float) for k in range(5)]
    assert percent_agreement(nominal) == 0.6
    assert np.mean([percent_agreement(m) for m in binary]) == pytest.approx(0.84)
    assert cohen_kappa(nominal) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert round(cohen_kappa(nominal), 3) == 0.444
    # the mean of binary kappas is not even on the same side: rare categories give negative kappas
    assert round(np.mean([cohen_kappa(m) for m in binary]), 3) == 0.314
    assert round(gwet_ac1(nominal, categories=range(5)), 3) == 0.513
    assert round(np.mean([gwet_ac1(m, categories=(0, 1)) for m in binary]), 3) == 0.777


def test_group_fleiss_kappa_equals_statsmodels(demo_project):
    """Three coders who all keep the one-stance rule: the group's Fleiss' kappa is statsmodels'."""
    from tests.agreement.test_table import use_demo_codebook

    def swapped(every: int, to: str):
        def script(r: str) -> frozenset[str]:
            themes = set(KEY[r])
            if int(r[1:]) % every == 0:
                themes -= set(STANCE)
                themes.add(to)
            return frozenset(themes)

        return script

    use_demo_codebook(demo_project)
    code(demo_project, "ana", lambda r: KEY[r])
    code(demo_project, "dan", swapped(6, "possibilities-of-ai"))
    code(demo_project, "eve", swapped(9, "mixed-support"))
    table = agreement_table(demo_project, coders=["ana", "dan", "eve"], n_boot=50)
    (stance,) = table.groups
    assert table.kappa == "fleiss_kappa" and stance.n_invalid == 0
    units = corpus.list_units(demo_project)
    codes = {c: i for i, c in enumerate((*STANCE, "none"))}
    rows = [
        [
            codes[category(s(u.respondent_id))]
            for s in (lambda r: KEY[r], swapped(6, "possibilities-of-ai"), swapped(9, "mixed-support"))
        ]
        for u in units
    ]
    counts, _ = aggregate_raters(np.array(rows), n_cat=4)
    assert stance.get("fleiss_kappa").estimate == pytest.approx(
        fleiss_kappa(counts, method="fleiss"), abs=1e-12
    )
    data = np.array(rows, dtype=float).T
    assert stance.get("krippendorff_alpha").estimate == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12
    )
