"""`thematic agree` and `thematic disagreements` on the demo corpus with two scripted coders and the
machine: every format, and every error as the researcher sees it."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.agreement.test_table import KEY, add_machine, ben, code, make_coded, use_demo_codebook
from thematic.agreement.table import KAPPA_MISLEADING
from thematic.store import corpus
from thematic.store import decisions as store


@pytest.fixture
def coded(demo_project):
    return make_coded(demo_project)


def test_agree_table(cli, coded):
    result = cli("agree", "--n-boot", "200")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "agreement of ana and ben on 94 units coded by at least two of them "
        "(112 coded by any: ana 112, ben 94)",
        "codebook ai-therapy version 1; unit level; 95% bootstrap intervals from 200 resamples of units, "
        "seed 0",
    ]
    assert "  coefficient                                  value  95% CI          band" in lines
    at = lines.index("negative-responses (Negative responses): 94 units, 32 positives, prevalence 0.340")
    assert lines[at + 1 : at + 5] == [
        "  percent agreement                            1.000  [1.000, 1.000]",
        "  Cohen's kappa                                1.000  [1.000, 1.000]  almost perfect",
        "  Krippendorff's alpha                         1.000  [1.000, 1.000]  reliable",
        "  Gwet's AC1                                   1.000  [1.000, 1.000]  almost perfect "
        "(Gwet benchmark, P=1.00)",
    ]
    at = lines.index("whole coding (every theme): 94 units")
    assert lines[at + 1].startswith("  exact match of theme sets                    0.809  [")
    at = lines.index(
        "exclusive group Overall stance (at most one of negative-responses, possibilities-of-ai, "
        "mixed-support, none): one nominal variable, 85 units"
    )
    assert lines[at + 2].startswith("  Cohen's kappa                                0.935  [")
    at = lines.index("independent themes (therapeutic-risks): 94 units")
    assert lines[at + 1].startswith("  Krippendorff's alpha (MASI, theme sets)      0.887  [")
    assert lines[at + 3] == "  means over 1 of them, those with 10+ positives (no interval, no band):"
    assert lines[at + 5] == "  mean of per-theme Cohen's kappa              0.887"
    assert result.stderr == ""


def test_agree_formats_agree_with_each_other(cli, coded):
    data = json.loads(cli("agree", "--n-boot", "100", "--format", "json").stdout)
    assert data["coders"] == ["ana", "ben"] and data["n_units"] == 94 and data["seed"] == 0
    mixed = next(t for t in data["themes"] if t["theme"] == "mixed-support")
    kappa = next(e for e in mixed["estimates"] if e["coefficient"] == "cohen_kappa")

    rows = list(csv.DictReader(io.StringIO(cli("agree", "--n-boot", "100", "--format", "csv").stdout)))
    assert len(rows) == 4 * 4 + 1 + 5 + 6
    row = next(r for r in rows if r["theme"] == "mixed-support" and r["coefficient"] == "cohen_kappa")
    assert float(row["estimate"]) == kappa["estimate"] and float(row["ci_low"]) == kappa["low"]
    assert row["band"] == kappa["band"] and row["n_units"] == "94"

    md = cli("agree", "--n-boot", "100", "--format", "md").stdout
    assert (
        "| theme | n | prevalence | percent agreement | Cohen's kappa | Krippendorff's alpha | Gwet's AC1 |"
        in md
    )
    assert "| Mixed support (`mixed-support`) | 94 | 0.218 | 0.862 [" in md
    assert f"{kappa['estimate']:.3f} [{kappa['low']:.3f}, {kappa['high']:.3f}] {kappa['band']}" in md
    assert "- Exact match of the whole coding (every theme): 0.809 [" in md


def test_agree_with_the_machine_one_theme_and_response_level(cli, coded):
    add_machine(coded)
    result = cli("agree", "--coders", "ana,ben,machine", "--n-boot", "50")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "agreement of ana, ben and machine on 112 units coded by at least two of them "
        "(112 coded by any: ana 112, ben 94, machine 112)"
    )
    assert re.search(r"^  Fleiss' kappa +n/a$", result.stdout, re.M)
    assert result.stdout.rstrip().endswith(
        "n/a: Fleiss' kappa needs every coder to code every counted unit "
        "(see Krippendorff's alpha and AC1, which allow missing codes)"
    )
    result = cli("agree", "--coders", "ana,machine", "--theme", "therapeutic-risks", "--n-boot", "50")
    assert "therapeutic-risks (Therapeutic risks): 112 units" in result.stdout
    assert "whole coding" not in result.stdout and "mixed-support" not in result.stdout
    result = cli("agree", "--level", "response", "--n-boot", "50")
    assert "94 responses coded by at least two of them" in result.stdout
    assert (
        "response level: a response counts for a coder when they coded at least one of its units"
        in result.stdout
    )


def test_agree_flags_extreme_prevalence_and_warns_of_unknown_themes(cli, project):
    from tests.agreement.test_table import sentence_project
    from thematic.review.decisions import Decision

    sentence_project(project)
    units = corpus.list_units(project)
    store.record_many(
        project, [Decision.new("ana", u.id, {"mixed-support"} if i == 0 else ()) for i, u in enumerate(units)]
    )
    store.record_many(
        project, [Decision.new("ben", u.id, {"retired"} if i == 1 else ()) for i, u in enumerate(units)]
    )
    result = cli("agree", "--n-boot", "20")
    assert result.exit_code == 0
    assert f"  ! prevalence is extreme: {KAPPA_MISLEADING}" in result.stdout
    assert result.stderr == (
        "warning: codings use themes that are not in codebook version 1: retired (they are left out; "
        "`thematic codebook use` the codebook they come from to include them)\n"
    )
    md = cli("agree", "--n-boot", "20", "--format", "md").stdout
    assert f"- ! mixed-support: prevalence 0.025 is extreme; {KAPPA_MISLEADING}" in md


def test_disagreements(cli, coded):
    result = cli("disagreements", "--coders", "ana,ben")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    expected = [r for r in sorted(KEY) if int(r[1:]) <= 100 and KEY[r] != ben(r)]
    answered = {u.respondent_id for u in corpus.list_units(coded)}
    expected = [r for r in expected if r in answered]
    assert lines[0] == (
        f"ana and ben disagree on {len(expected)} of the 94 units they both coded "
        "(18 units coded by only one of them are left out)"
    )
    first = corpus.list_units(coded)[[u.respondent_id for u in corpus.list_units(coded)].index(expected[0])]
    assert lines[1:7] == [
        "",
        f"{first.id} · respondent R007 · question answer",
        "  " + " ".join(first.text.split()),
        "  ana: Negative responses",
        "  ben: Negative responses, Mixed support",
        "  differ on: Mixed support",
    ]
    data = json.loads(cli("disagreements", "--coders", "ana,ben", "--format", "json").stdout)
    assert [d["respondent_id"] for d in data["disagreements"]] == expected
    assert data["disagreements"][0]["codings"] == {
        "ana": ["negative-responses"],
        "ben": ["mixed-support", "negative-responses"],
    }
    assert data["disagreements"][0]["names"]["ben"] == ["Negative responses", "Mixed support"]
    assert (data["n_both"], data["only_one"]) == (94, 18)
    risks = json.loads(
        cli("disagreements", "--coders", "ana,ben", "--theme", "therapeutic-risks", "--format", "json").stdout
    )
    assert risks["theme"] == "therapeutic-risks"
    assert all(
        ("therapeutic-risks" in d["codings"]["ana"]) != ("therapeutic-risks" in d["codings"]["ben"])
        for d in risks["disagreements"]
    )
    result = cli("disagreements", "--coders", "ana,ben", "--theme", "therapeutic-risks")
    assert result.stdout.startswith("ana and ben disagree about Therapeutic risks on ")


def test_disagreements_show_notes_and_text_as_typed(cli, project):
    from tests.agreement.test_table import sentence_project
    from thematic.review.decisions import Decision

    sentence_project(project, 1)
    unit = corpus.list_units(project)[0]
    store.record(project, Decision.new("ana", unit.id, {"mixed-support"}, note="[b]weighs both[/b]"))
    store.record(project, Decision.new("ben", unit.id, ()))
    result = cli("disagreements", "--coders", "ben,ana")
    assert result.stdout.splitlines()[3:] == [
        "  It could help.",
        "  ben: no theme",
        "  ana: Mixed support",
        "  ana's note: [b]weighs both[/b]",
        "  differ on: Mixed support",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["agree", "--format", "xlsx"], "unknown format 'xlsx' (choose table, json, csv or md)"),
        (["agree", "--coders", "ana"], "--coders needs at least two coders (e.g. --coders ana,ben); got 1"),
        (
            ["agree", "--coders", "ana,zed"],
            "coder 'zed' has coded nothing in this project (coders with codings: ana, ben)",
        ),
        (
            ["agree", "--coders", "ana,machine"],
            "coder 'machine' has no codings (run `thematic suggest` first)",
        ),
        (["agree", "--level", "sentence"], "unknown level 'sentence' (choose unit or response)"),
        (["agree", "--ci", "95"], "--ci must be between 0 and 1, e.g. 0.95 (got 95.0)"),
        (
            ["agree", "--theme", "hope"],
            "theme 'hope' is not in the codebook (themes are: negative-responses, "
            "possibilities-of-ai, mixed-support, therapeutic-risks)",
        ),
        (
            ["disagreements", "--coders", "ana,ben", "--format", "csv"],
            "unknown format 'csv' (choose table or json)",
        ),
        (
            ["disagreements", "--coders", "ana,ben,cat"],
            "disagreements compares exactly two coders (give --coders a,b, e.g. --coders ana,ben); got 3",
        ),
        (
            ["disagreements", "--coders", "ana,ana"],
            "coder 'ana' is named twice in --coders (name each coder once)",
        ),
    ],
)
def test_errors(cli, coded, args, message):
    before = store.count(coded)
    result = cli(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert store.count(coded) == before


def test_agree_needs_a_codebook_and_two_coders(cli, demo_project):
    for args in (["agree"], ["disagreements", "--coders", "ana,ben"]):
        result = cli(*args)
        assert (result.exit_code, result.stderr) == (
            2,
            "error: no codebook in use (run `thematic codebook use FILE` first)\n",
        )
    use_demo_codebook(demo_project)
    code(demo_project, "ana", upto=5)
    result = cli("agree")
    assert (result.exit_code, result.stderr) == (
        2,
        (
            "error: agreement needs at least two coders, and only ana has coded units "
            "(have a second coder code the same units, or name them with --coders a,b)\n"
        ),
    )
    code(demo_project, "ben", upto=10)
    result = cli("agree", "--coders", "ana,ben")
    assert result.exit_code == 0
    assert result.stdout.startswith("agreement of ana and ben on 5 units")


def test_the_examples_in_the_docs_are_current(cli, coded):
    """docs/agreement.md shows `thematic agree` and `thematic disagreements` on these same scripted coders."""
    from tests.conftest import REPO

    docs = (REPO / "docs" / "agreement.md").read_text(encoding="utf-8")
    agree = cli("agree").stdout
    assert f"```\n$ thematic agree\n{agree}```\n" in docs, (
        "docs/agreement.md: rerun the `thematic agree` example"
    )
    head = "\n".join(cli("disagreements", "--coders", "ana,ben").stdout.splitlines()[:13])
    assert f"$ thematic disagreements --coders ana,ben\n{head}\n...\n" in docs


def test_agree_csv_never_writes_a_formula(cli, demo_project, tmp_path):
    """A theme name is the codebook author's text: in CSV it must open in a spreadsheet as text."""
    from thematic.review.decisions import Decision

    codebook = tmp_path / "formula.yaml"
    codebook.write_text(
        "codebook: formula\nthemes:\n"
        "  - id: sum\n    name: \"=SUM(A1:A9)\"\n    definition: Answers that add things up.\n"
        "  - id: plain\n    name: Plain\n    definition: Everything else.\n",
        encoding="utf-8",
    )
    assert cli("codebook", "use", codebook).exit_code == 0
    units = corpus.list_units(demo_project)[:20]
    for coder, every in (("ana", 2), ("ben", 3)):
        themes = [{"sum"} if i % every == 0 else {"plain"} for i in range(len(units))]
        made = [Decision.new(coder, u.id, t) for u, t in zip(units, themes, strict=True)]
        store.record_many(demo_project, made)
    rows = list(csv.DictReader(io.StringIO(cli("agree", "--n-boot", "20", "--format", "csv").stdout)))
    names = {r["theme_name"] for r in rows if r["theme"] == "sum"}
    assert names == {"'=SUM(A1:A9)"}
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())
