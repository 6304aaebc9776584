"""A project whose questions have different codebooks: whose codings and which codebook
(review/codings.py), and the exports that read them (tables, the joint display's themes, REFI-QDA) work
without --question and say which codebook they used."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.conftest import DEMO_CODEBOOK, REFI, read_demo_key
from tests.store.test_question_codebooks import two_questions  # noqa: F401 (a fixture)

THEMES = ("mixed-support", "negative-responses", "possibilities-of-ai", "therapeutic-risks")


@pytest.fixture
def bound(cli, two_questions, project_location):  # noqa: F811
    """Codebook ai-therapy on `answer`, other-book on `other`; ana codes both (the demo key, a note on
    one unit); a suggest run per question (fake scores: the key's themes 0.7, others 0.2)."""
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as log
    from thematic.store import ml as store
    from thematic.store.project import open_project

    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer").exit_code == 0
    assert cli("codebook", "use", two_questions, "--question", "other").exit_code == 0
    key = read_demo_key()
    with open_project(project_location) as project:
        units = corpus.list_units(project)
        first = units[0]
        log.record_many(project, [Decision.new("ana", u.id, key[u.respondent_id],
                                               note="unsure" if u is first else None) for u in units])
        for number, question in ((1, "answer"), (2, "other")):
            with project.transaction():
                run = store.insert_suggest_run(project, codebook_version=number, model="fake",
                                               parameters={}, created_at=f"2026-01-0{number}T00:00:00Z",
                                               questions=[question])
                store.insert_scores(project, run, [
                    (u.id, t, 0.7 if t in key[u.respondent_id] else 0.2, t in key[u.respondent_id])
                    for u in units if u.question_id == question for t in THEMES])
    return key


def test_whose_codings_and_which_codebook(bound, project_location):
    from thematic.review import codings as C
    from thematic.store import corpus
    from thematic.store.project import open_project

    key = bound
    with open_project(project_location) as project:
        units = corpus.list_units(project)
        books = C.books_in_view(project)
        assert [(b.name, b.version.number, b.questions) for b in books] == [
            ("ai-therapy", 1, ("answer",)), ("other-book", 2, ("other",))]
        assert [b.label() for b in books] == ["ai-therapy version 1 on answer",
                                              "other-book version 2 on other"]
        assert [b.name for b in C.books_in_view(project, "other")] == ["other-book"]

        ana = C.codings_of(project, "ana")
        assert len(ana.by_unit) == 224
        assert ana.by_unit[units[0].id].note == "unsure" and ana.notes == {units[0].id: "unsure"}
        assert all(c.uuid and c.at for c in ana.by_unit.values())
        only_other = C.codings_of(project, "ana", question="other")
        assert {u.question_id for u in units if u.id in only_other.by_unit} == {"other"}

        machine = C.codings_of(project, "machine")
        assert {q: r.id for q, r in machine.runs.items()} == {"answer": 1, "other": 2}
        for unit in units:
            assert machine.by_unit[unit.id].themes == key[unit.respondent_id]
            day = 1 if unit.question_id == "answer" else 2
            assert machine.by_unit[unit.id].at == f"2026-01-0{day}T00:00:00Z"

        named = C.view_themes(project, ana.themes(), books)
        for unit in units:
            book = "ai-therapy" if unit.question_id == "answer" else "other-book"
            assert named[unit.id] == {f"{book}/{t}" for t in key[unit.respondent_id]}
        # one codebook in view: ids as they are
        assert C.view_themes(project, ana.themes(), books[:1]) == ana.themes()
        catalogue = C.view_catalogue(books)
        assert [v.id for v in catalogue] == [f"{b}/{t}" for b in ("ai-therapy", "other-book") for t in
                                             ("negative-responses", "possibilities-of-ai", "mixed-support",
                                              "therapeutic-risks")]
        assert catalogue[0].name == "Negative responses (ai-therapy)"

        with pytest.raises(Exception, match=r"^coder 'zoe' has no decisions in this project \(coders: ana; "):
            C.check_coder(project, "zoe")


def test_export_units_names_themes_by_codebook(bound, cli, tmp_path):
    key = bound
    out = tmp_path / "units.json"
    result = cli("export", "units", "--coder", "ana", "--out", out, "--layout", "wide")
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(b["name"], b["version"], b["questions"]) for b in data["codebooks"]] == [
        ("ai-therapy", 1, ["answer"]), ("other-book", 2, ["other"])]
    assert data["codebook"]["name"] == "ai-therapy, other-book" and data["codebook"]["version"] is None
    row = next(r for r in data["rows"] if r["question_id"] == "other" and r["respondent_id"] == "R001")
    assert {c for c in data["columns"] if c.startswith("other-book/") and row[c] == 1} == {
        f"other-book/{t}" for t in key["R001"]}
    assert all(row[c] in (0, None) for c in data["columns"] if c.startswith("ai-therapy/"))
    one = tmp_path / "one.json"
    assert cli("export", "units", "--coder", "ana", "--out", one, "--question", "answer").exit_code == 0
    data = json.loads(one.read_text(encoding="utf-8"))
    assert data["codebook"]["name"] == "ai-therapy" and {t["id"] for t in data["themes"]} == set(THEMES)


def test_joint_display_themes_per_codebook(bound, project_location):
    from thematic.scales.joint import respondent_themes, theme_list
    from thematic.store.project import open_project

    key = bound
    with open_project(project_location) as project:
        coded = respondent_themes(project, "ana")
        assert coded["R001"] == {f"{b}/{t}" for b in ("ai-therapy", "other-book") for t in key["R001"]}
        themes = theme_list(project, coded)
        assert len(themes) == 8 and themes[0] == ("ai-therapy/negative-responses",
                                                  "Negative responses (ai-therapy)")
        assert respondent_themes(project, "ana", question="other")["R001"] == key["R001"]


def test_refi_export_groups_codes_per_codebook(bound, cli, tmp_path):
    from defusedxml.ElementTree import fromstring

    from thematic.export.refi import code_guid, no_theme_guid

    xmlschema = pytest.importorskip("xmlschema")
    key = bound
    out = tmp_path / "study.qdpx"
    result = cli("export", "refi", "--out", out, "--machine")
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        qde = archive.read("project.qde")
    xmlschema.XMLSchema(str(REFI / "Project-mrt2019.xsd")).validate(qde.decode("utf-8"))
    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = fromstring(qde)
    top = root.findall("q:CodeBook/q:Codes/q:Code", ns)
    assert [(c.get("name"), c.get("isCodable")) for c in top] == [
        ("ai-therapy (codebook)", "false"), ("other-book (codebook)", "false")]
    assert {c.get("guid") for c in top[1].findall("q:Code", ns)} == {
        *(code_guid("other-book", t) for t in THEMES), no_theme_guid("other-book")}  # some answers: no theme
    assert len(root.findall("q:Sets/q:Set", ns)) == 2
    description = root.find("q:Description", ns).text
    assert "(ai-therapy, version 1) on question answer" in description
    assert "(other-book, version 2) on question other" in description
    for source in root.findall("q:Sources/q:TextSource", ns):
        respondent, question = source.get("name").rstrip(")").split(" (")
        book = "ai-therapy" if question == "answer" else "other-book"
        for selection in source.findall("q:PlainTextSelection", ns):
            targets = {c.find("q:CodeRef", ns).get("targetGUID") for c in selection.findall("q:Coding", ns)}
            assert targets == ({code_guid(book, t) for t in key[respondent]} or {no_theme_guid(book)})


def test_refi_export_steps(bound, project_location, cli):
    """build_project's steps: who is exported, their codings, and which codebooks hold the codes."""
    from thematic.errors import ThematicError
    from thematic.export.refi import chosen_users, export_books, gather_coders
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as log
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        assert chosen_users(project, None, False) == ["ana"]
        assert chosen_users(project, ["ana", "machine"], False) == ["ana", "machine"]
        refusal = r"^coder 'zoe' has no decisions in this project \(coders: ana\)$"
        with pytest.raises(ThematicError, match=refusal):
            chosen_users(project, ["zoe"], False)
        ana, machine = gather_coders(project, ["ana", "machine"])
        units = corpus.list_units(project)
        assert len(ana.acts) == len(machine.acts) == 224 and ana.run_id == {}
        assert {machine.run_id[u.id] for u in units if u.question_id == "other"} == {2}
        other_unit = next(u for u in units if u.question_id == "other")
        log.record_many(project, [Decision.new("ana", other_unit.id, {"retired-theme"})])
        books = export_books(project, gather_coders(project, ["ana"]))
        assert [b.codebook.codebook for b in books] == ["ai-therapy", "other-book"]
        assert [b.questions for b in books] == [("answer",), ("other",)]
        assert "retired-theme" in books[1].codebook.ids() and "retired-theme" not in books[0].codebook.ids()


def test_refi_export_steps_without_a_codebook(tmp_path):
    from tests.conftest import DEMO_CSV
    from thematic.errors import ThematicError
    from thematic.export.refi import chosen_users, export_books
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.project import create_project

    project, _ = create_project(tmp_path / "bare.db")
    import_file(project, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    with pytest.raises(ThematicError, match=r"^the machine has no suggestions yet \(run `thematic suggest` "):
        chosen_users(project, None, True)
    [book] = export_books(project, [])
    assert (book.codebook.codebook, book.version, book.questions) == ("bare", None, None)
    project.close()


def test_report_per_codebook(bound, project_location, cli, tmp_path):
    """The report on a project with a codebook per question: the themes of both codebooks, agreement
    per codebook, the machine's runs per codebook in the audit; `report --question` keeps one."""
    from thematic.export.report import build_report
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as log
    from thematic.store.project import open_project

    key = bound
    with open_project(project_location) as project:
        units = corpus.list_units(project)
        log.record_many(project, [Decision.new("ben", u.id, key[u.respondent_id]) for u in units
                                  if u.question_id == "answer"])
        report = build_report(project, coder="machine", charts=False, n_boot=20)
        assert report.subtitle == "Codebooks ai-therapy version 1 on answer; other-book version 2 on other"
        assert len(report.themes) == 8 and report.themes[4].id == "other-book/negative-responses"
        assert [a.question for a in report.agreements] == ["answer"]
        assert report.agreement_note == (
            "no agreement computed for some codebooks: codebook other-book version 2 on other: no unit was "
            "coded by at least two of ana and ben (agreement needs units that two coders coded; `thematic "
            "status` shows who coded how many)")
        assert [(m["id"], m["codebook"], m["questions"]) for m in report.audit["machine_runs"]] == [
            (1, "ai-therapy", "answer"), (2, "other-book", "other")]
        one = build_report(project, coder="ana", question="other", charts=False, n_boot=20)
        assert one.subtitle == "Codebook other-book, version 2" and len(one.themes) == 4
    out = tmp_path / "report.md"
    result = cli("report", "--out", out, "--coder", "machine", "--n-boot", "20")
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Machine suggestions, one suggest run per codebook: run 1" in text
    assert "### Codebook" not in text  # one table: no per-codebook heading


@pytest.fixture
def one_book_two_questions(cli, tmp_path, project_location):
    """The demo survey asked three times: ai-therapy codes `answer` and `again`, other-book `third`; ana
    codes every unit with the key, ben with the key's scripted changes (tests.conftest.ben_changes)."""
    import csv

    from tests.conftest import DEMO_CSV, ben_changes
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as log
    from thematic.store.project import open_project

    survey = tmp_path / "three.csv"
    with survey.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["respondent_id", "answer", "again", "third"])
        for row in csv.DictReader(DEMO_CSV.open(encoding="utf-8")):
            out.writerow([row["respondent_id"], row["answer"], row["answer"].upper(), row["answer"].lower()])
    other = tmp_path / "other.yaml"
    text = DEMO_CODEBOOK.read_text(encoding="utf-8")
    other.write_text(text.replace("codebook: ai-therapy", "codebook: other-book"), encoding="utf-8")
    assert cli("init").exit_code == 0
    args = ["--text", "answer", "--text", "again", "--text", "third"]
    assert cli("import", survey, "--id", "respondent_id", *args).exit_code == 0
    assert cli("codebook", "use", DEMO_CODEBOOK, "--question", "answer", "--question", "again").exit_code == 0
    assert cli("codebook", "use", other, "--question", "third").exit_code == 0
    key = read_demo_key()
    with open_project(project_location) as project:
        units = corpus.list_units(project)
        log.record_many(project, [Decision.new("ana", u.id, key[u.respondent_id]) for u in units])
        ben = [Decision.new("ben", u.id, ben_changes(u.respondent_id, key[u.respondent_id])) for u in units]
        log.record_many(project, ben)


@pytest.mark.usefixtures("one_book_two_questions")
def test_report_agreement_per_codebook_is_agrees(cli, project_location, tmp_path):
    """With a codebook bound to two questions, the report's agreement is `agree`'s: one table per codebook
    over every question it codes (not one per question), with the same figures."""
    from thematic.export.report import build_report
    from thematic.store.project import open_project

    sections = json.loads(cli("agree", "--format", "json", "--n-boot", "20").stdout)
    assert [(s["codebook"], s["questions"], s["n_units"]) for s in sections] == [
        ("ai-therapy", ["answer", "again"], 224), ("other-book", ["third"], 112)]
    with open_project(project_location) as project:
        report = build_report(project, coder="ana", charts=False, n_boot=20)
    assert report.agreement_note is None
    assert [{"questions": list(t.questions), **json.loads(json.dumps(t.to_dict()))} for t in report.agreements
            ] == sections
    out = tmp_path / "report.md"
    assert cli("report", "--out", out, "--coder", "ana", "--n-boot", "20").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "### Codebook ai-therapy version 1, questions: answer, again\n" in text
    assert "Codebook ai-therapy version 1, questions answer, again. Overall figures" in text
    assert "### Codebook other-book version 2, questions: third\n" in text


def test_refi_no_theme_code_only_where_a_codebook_needs_it(bound, project_location, cli, tmp_path):
    from defusedxml.ElementTree import fromstring

    from thematic.export.refi import no_theme_guid
    from thematic.review.decisions import Decision
    from thematic.store import corpus
    from thematic.store import decisions as log
    from thematic.store.project import open_project

    with open_project(project_location) as project:
        units = corpus.list_units(project)
        log.record_many(project, [Decision.new("ben", u.id, {"mixed-support"} if u.question_id == "answer"
                                               else set()) for u in units])
    out = tmp_path / "ben.qdpx"
    assert cli("export", "refi", "--out", out, "--coder", "ben").exit_code == 0
    with zipfile.ZipFile(out) as archive:
        root = fromstring(archive.read("project.qde"))
    guids = {c.get("guid") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    assert no_theme_guid("other-book") in guids and no_theme_guid("ai-therapy") not in guids
