"""A codebook per question: binding rules, refusals that store nothing, per-question agreement, and the
migration of a project written before codebooks could be bound to questions."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from tests.conftest import DEMO_CODEBOOK, DEMO_CSV, FIXTURES, read_demo_key

OLD_PROJECT = FIXTURES / "projects" / "schema1-demo.db"


def test_a_project_from_schema_1_opens_migrated_with_every_decision(tmp_path, cli):
    """tests/fixtures/projects/schema1-demo.db was written by thematic at schema version 1 (commit 805ea4a):
    the demo survey, the demo codebook of that time, ana's and ben's codings imported from wide files."""
    from thematic.store.codebooks import bindings, current_version
    from thematic.store.project import open_project, schema_version

    path = tmp_path / "old.db"
    shutil.copy(OLD_PROJECT, path)
    with open_project(path) as project:
        assert project.schema_version == schema_version() >= 2
        assert project.scalar("SELECT COUNT(*) FROM decisions") == 206
        version = current_version(project)
        assert (version.name, version.number) == ("ai-therapy", 1)
        assert version.content_hash.startswith("e3fcae7c593b")  # the hash it was stored under
        assert [(b.question, b.version_number, b.explicit) for b in bindings(project)] == [
            ("answer", 1, False)
        ]
    data = json.loads(cli("agree", "--format", "json", project=path).stdout)
    # the same per-theme figures thematic printed on this file before the migration
    kappas = {t["theme"]: t["estimates"][1]["estimate"] for t in data["themes"]}
    assert kappas["mixed-support"] == pytest.approx(0.5998690242305172, abs=1e-12)
    assert kappas["therapeutic-risks"] == pytest.approx(0.8871819491118579, abs=1e-12)
    assert data["groups"] == []  # the codebook of that time states no structure: independent themes
    assert data["codebook"] == "ai-therapy" and data["codebook_version"] == 1


@pytest.fixture
def two_questions(tmp_path, cli):
    """The demo survey with a second open question ("other"), a second codebook for it on disk."""
    rows = list(csv.DictReader(DEMO_CSV.open(encoding="utf-8")))
    survey = tmp_path / "two.csv"
    with survey.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["respondent_id", "answer", "other"])
        for row in rows:
            out.writerow([row["respondent_id"], row["answer"], row["answer"].upper()])
    other = tmp_path / "other.yaml"
    other.write_text(
        DEMO_CODEBOOK.read_text(encoding="utf-8").replace("codebook: ai-therapy", "codebook: other-book"),
        encoding="utf-8",
    )
    assert cli("init").exit_code == 0
    result = cli("import", survey, "--id", "respondent_id", "--text", "answer", "--text", "other")
    assert result.exit_code == 0, result.stderr
    return other


def versions(cli) -> int:
    return len(json.loads(cli("codebook", "versions", "--json").stdout))


def test_binding_rules_and_refusals(cli, two_questions, tmp_path):
    other = two_questions
    assert cli("codebook", "use", DEMO_CODEBOOK).exit_code == 0
    result = cli("codebook", "use", other, "--question", "nope")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: question 'nope' is not in this project (questions: answer, other)\n",
    )
    assert versions(cli) == 1
    result = cli("codebook", "use", other, "--question", "other")
    assert result.exit_code == 0 and "it codes question other" in result.stdout
    result = cli("codebook", "use", DEMO_CODEBOOK, "--question", "other")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: question 'other' is coded with codebook other-book already (one codebook per question: "
        "bind codebook ai-therapy to other questions)\n",
    )
    third = tmp_path / "third.yaml"
    third.write_text(other.read_text(encoding="utf-8").replace("other-book", "third"), encoding="utf-8")
    result = cli("codebook", "use", third)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: codebooks are bound per question in this project (ai-therapy on answer; other-book on "
        "other); say which questions codebook third codes with --question Q (one codebook per question)\n",
    )
    assert versions(cli) == 2
    status = cli("status").stdout
    assert "codebooks: answer: ai-therapy (version 1); other: other-book (version 2)" in status
    result = cli("codebook", "show")
    assert result.exit_code == 2 and result.stderr == (
        "error: this project codes its questions with different codebooks (ai-therapy version 1 on answer; "
        "other-book version 2 on other); name one with --question Q\n"
    )
    assert cli("codebook", "show", "--question", "other").stdout.startswith("codebook other-book, version 2")
    # a new version of ai-therapy, used without --question, replaces it on its questions only
    edited = tmp_path / "v2.yaml"
    edited.write_text(
        DEMO_CODEBOOK.read_text(encoding="utf-8").replace("name: Negative responses", "name: Negative views"),
        encoding="utf-8",
    )
    result = cli("codebook", "use", edited)
    assert result.exit_code == 0, result.stderr
    assert "it codes question answer" in result.stdout
    status = cli("status").stdout
    assert "codebooks: answer: ai-therapy (version 3); other: other-book (version 2)" in status


def test_agreement_and_disagreements_per_question(cli, two_questions, project_location):
    from tests.conftest import ben_changes

    other = two_questions
    cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer")
    cli("codebook", "use", other, "--question", "other")
    key = read_demo_key()
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as store
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        units = corpus.list_units(project)
        store.record_many(project, [Decision.new("ana", u.id, key[u.respondent_id]) for u in units])
        store.record_many(
            project,
            [
                Decision.new("ben", u.id, ben_changes(u.respondent_id, key[u.respondent_id]))
                for u in units
                if u.question_id == "answer"
            ],
        )
    # without --question: a section per codebook, over the questions it codes
    result = cli("agree", "--n-boot", "50")
    assert result.exit_code == 0, result.stderr
    text = result.stdout.splitlines()
    assert text[:3] == [
        "== codebook ai-therapy version 1, questions: answer ==",
        "agreement of ana and ben on 112 units coded by at least two of them (112 coded by any: ana 112, ben "
        "112)",
        "codebook ai-therapy version 1 (question answer); unit level; 95% bootstrap intervals from 50 "
        "resamples of units, seed 0",
    ]
    at = text.index("== codebook other-book version 2, questions: other ==")
    assert text[at - 1] == "" and text[at + 1] == (
        "no agreement computed: no unit was coded by at least two of ana and ben (agreement needs units that "
        "two coders coded; `thematic status` shows who coded how many)")
    sections = json.loads(cli("agree", "--format", "json", "--n-boot", "50").stdout)
    assert [(s["codebook"], s["codebook_version"], s["questions"]) for s in sections] == [
        ("ai-therapy", 1, ["answer"]), ("other-book", 2, ["other"])]
    one = json.loads(cli("agree", "--question", "answer", "--format", "json", "--n-boot", "50").stdout)
    assert sections[0] == {"questions": ["answer"], **one}  # the one-codebook object, with its questions
    assert sections[1]["problem"].startswith("no unit was coded by at least two of ana and ben")
    rows = list(csv.DictReader(io.StringIO(cli("agree", "--format", "csv", "--n-boot", "50").stdout)))
    assert {(r["codebook"], r["codebook_version"], r["questions"]) for r in rows} == {
        ("ai-therapy", "1", "answer")}
    md = cli("agree", "--format", "md", "--n-boot", "50").stdout
    assert md.startswith("## Codebook ai-therapy version 1, questions: answer\n\nAgreement of ana and ben")
    # every codebook failing for one reason is one error
    result = cli("agree", "--coders", "ana,nobody")
    assert (result.exit_code, result.stderr) == (
        2, "error: coder 'nobody' has coded nothing in this project (coders with codings: ana, ben)\n")
    result = cli("agree", "--theme", "nope")
    assert (result.exit_code, result.stderr) == (
        2, "error: theme 'nope' is not in the codebook (themes are: negative-responses, possibilities-of-ai, "
        "mixed-support, therapeutic-risks)\n")
    data = json.loads(cli("agree", "--question", "answer", "--format", "json").stdout)
    assert (data["codebook"], data["question"], data["n_units"]) == ("ai-therapy", "answer", 112)
    assert cli("agree", "--question", "other").stderr.startswith("error: no unit was coded by at least two")
    text = cli("agree", "--question", "answer").stdout
    assert "codebook ai-therapy version 1 (question answer)" in text
    listed = json.loads(
        cli("disagreements", "--coders", "ana,ben", "--question", "answer", "--format", "json").stdout
    )
    assert listed["codebook"] == "ai-therapy" and listed["question"] == "answer"
    assert all(d["question_id"] == "answer" for d in listed["disagreements"])
    every = json.loads(cli("disagreements", "--coders", "ana,ben", "--format", "json").stdout)
    assert every[0] == {"codebook": "ai-therapy", "codebook_version": 1, "questions": ["answer"], **listed}
    assert every[1] == {"codebook": "other-book", "codebook_version": 2, "questions": ["other"],
                        "n_both": 0, **{k: every[1][k] for k in every[1] if k not in (
                            "codebook", "codebook_version", "questions", "n_both")}}
    text = cli("disagreements", "--coders", "ana,ben").stdout.splitlines()
    assert text[0] == "== codebook ai-therapy version 1, questions: answer =="
    assert text[1].startswith(f"ana and ben disagree on {listed['n_disagreements']} of the 112 units")
    at = text.index("== codebook other-book version 2, questions: other ==")
    assert text[at + 1] == ("ana and ben disagree on 0 of the 0 units they both coded (112 units coded by "
                            "only one of them are left out)")


def test_one_codebook_commands_say_why_they_need_a_question(cli, two_questions, tmp_path, project_location):
    """review, reconcile and coding sheets record one codebook: with two in use they ask for --question
    in one line that says so and lists the questions with their codebooks, and store nothing."""
    cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer")
    cli("codebook", "use", two_questions, "--question", "other")
    listing = "(ai-therapy version 1 on answer; other-book version 2 on other)"
    for args, what in [
        (("review", "--coder", "ana"), "a review session"),
        (("reconcile", "--coders", "ana,ben"), "a reconcile session"),
        (("sheet", "export", "--coder", "ana", "--out", tmp_path / "s.xlsx"), "a coding sheet"),
    ]:
        result = cli(*args)
        assert (result.exit_code, result.stderr) == (
            2, f"error: {what} records one codebook, and this project codes its questions with different "
            f"codebooks {listing}; name one question with --question Q\n"), args
    assert not (tmp_path / "s.xlsx").exists()
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        assert project.scalar("SELECT COUNT(*) FROM decisions") == 0
