"""REFI-QDA: `export refi` writes a valid .qdpx; `import-refi` reads it back with nothing lost, and reads
other tools' projects safely."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REFI
from thematic.errors import ThematicError
from thematic.export.refi import export_refi
from thematic.export.refi_import import import_refi, normalise

XSD = REFI / "Project-mrt2019.xsd"
EXAMPLES = REFI / "examples"
CODERS = ["ana", "ben", "consensus"]


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(XSD))


def fresh(tmp_path, name="copy.db"):
    from thematic.store.project import create_project

    project, _ = create_project(tmp_path / name)
    return project


def snapshot(project):
    """Everything an import could change, for "bad input leaves the project unchanged"."""
    tables = (
        "sources",
        "respondents",
        "questions",
        "responses",
        "units",
        "codebook_versions",
        "codebook_uses",
        "decisions",
    )
    return {
        t: project.query(f"SELECT * FROM {t}") and [tuple(r) for r in project.query(f"SELECT * FROM {t}")]
        for t in tables
    }


def make_qdpx(path: Path, qde: str, files: dict[str, str | bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def test_export_is_valid_and_sources_are_lf_text_at_code_point_offsets(hostile, tmp_path, schema):
    from thematic.store.corpus import list_units

    summary = export_refi(hostile, tmp_path / "study.qdpx")
    assert summary.users == CODERS and summary.codes == 4 and summary.notes == 2
    with zipfile.ZipFile(tmp_path / "study.qdpx") as archive:
        qde = archive.read("project.qde").decode("utf-8")
        schema.validate(qde)
        sources = {n: archive.read(n) for n in archive.namelist() if n.startswith("Sources/")}
    assert len(sources) == summary.sources == hostile.scalar("SELECT COUNT(*) FROM responses")
    assert all(b"\r" not in data for data in sources.values())
    import xml.etree.ElementTree as ET

    root = ET.fromstring(qde)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    units = {u.id: u for u in list_units(hostile)}
    emoji_checked = False
    for source in root.iterfind("q:Sources/q:TextSource", ns):
        text = sources["Sources/" + source.get("plainTextPath").removeprefix("internal://")].decode("utf-8")
        for selection in source.iterfind("q:PlainTextSelection", ns):
            unit = units[selection.get("name")]
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] == unit.text
            emoji_checked |= "🙂" in unit.text
    assert emoji_checked


def test_round_trip_loses_no_unit_theme_coder_or_coding(study, tmp_path):
    from thematic.store import corpus
    from thematic.store.codebooks import current_version
    from thematic.store.decisions import coders, current_codings, decisions, latest_notes

    export_refi(study, tmp_path / "study.qdpx")
    copy = fresh(tmp_path)
    summary = import_refi(copy, tmp_path / "study.qdpx")
    assert summary.from_thematic and summary.notes == []
    assert summary.coders == CODERS and summary.decisions_new == len(
        [d for c in CODERS for d in current_codings(study, c)]
    )

    def units(p):
        return [
            (u.id, u.respondent_id, u.question_id, u.seq, u.start, u.end, u.text)
            for u in corpus.list_units(p)
        ]

    assert units(copy) == units(study)
    assert corpus.respondent_attributes(copy) == corpus.respondent_attributes(study)
    assert current_version(copy).content_hash == current_version(study).content_hash
    assert current_version(copy).codebook == current_version(study).codebook
    assert coders(copy) == coders(study) == CODERS
    for coder in CODERS:
        assert current_codings(copy, coder) == current_codings(study, coder)
        assert latest_notes(copy, coder) == latest_notes(study, coder)
        at = {d.unit_id: d.at for d in decisions(study, coder=coder)}
        assert {d.unit_id: d.at for d in decisions(copy, coder=coder)} == at
    assert copy.meta("unit") == "response"


def test_importing_again_adds_nothing(study, tmp_path):
    export_refi(study, tmp_path / "study.qdpx")
    before = study.scalar("SELECT COUNT(*) FROM decisions")
    summary = import_refi(study, tmp_path / "study.qdpx")
    assert summary.decisions_new == 0 and summary.decisions_present > 0 and summary.responses_new == 0
    assert study.scalar("SELECT COUNT(*) FROM decisions") == before
    again = import_refi(study, tmp_path / "study.qdpx")
    assert again.already_imported
    assert again.notes[0].endswith("with these options; nothing added")


def test_machine_user_is_exported_on_request_and_not_imported_as_decisions(study, tmp_path, schema):
    summary = export_refi(study, tmp_path / "m.qdpx", coders=["ana"], machine=True)
    assert summary.users == ["ana", "machine"]
    with zipfile.ZipFile(tmp_path / "m.qdpx") as archive:
        schema.validate(archive.read("project.qde").decode("utf-8"))
    copy = fresh(tmp_path)
    result = import_refi(copy, tmp_path / "m.qdpx")
    assert result.coders == ["ana"]
    assert any(
        n.startswith("left out ")
        and n.endswith(
            " codings by 'machine' (machine suggestions are not "
            "decisions; run `thematic suggest` to make them again)"
        )
        for n in result.notes
    )


def test_sentence_units_round_trip(tmp_path, schema):
    from tests.conftest import DEMO_CODEBOOK
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.review.decisions import Decision
    from thematic.store.codebooks import use_codebook
    from thematic.store.corpus import list_units
    from thematic.store.decisions import current_codings, record_many

    source = fresh(tmp_path, "sent.db")
    csv_file = tmp_path / "s.csv"
    csv_file.write_text(
        "id,answer\nA1,It helps access. But it cannot read the room.\nA2,No. Never.\n", encoding="utf-8"
    )
    import_file(source, csv_file, ImportOptions(id_column="id", text_columns=["answer"], unit="sentence"))
    use_codebook(source, load_codebook(DEMO_CODEBOOK))
    units = list_units(source)
    assert len(units) == 4
    record_many(
        source,
        [
            Decision.new("ana", units[1].id, {"therapeutic-risks"}),
            Decision.new("ana", units[0].id, {"possibilities-of-ai"}),
        ],
    )
    export_refi(source, tmp_path / "s.qdpx")
    with zipfile.ZipFile(tmp_path / "s.qdpx") as archive:
        qde = archive.read("project.qde").decode("utf-8")
    schema.validate(qde)
    assert "Units (thematic): 0-16, 17-45" in qde
    copy = fresh(tmp_path)
    import_refi(copy, tmp_path / "s.qdpx")
    assert copy.meta("unit") == "sentence"
    assert [(u.id, u.start, u.end) for u in list_units(copy)] == [(u.id, u.start, u.end) for u in units]
    assert current_codings(copy, "ana") == current_codings(source, "ana")


def test_mini_project_from_another_tool(tmp_path):
    from thematic.store.codebooks import current_version
    from thematic.store.corpus import list_units
    from thematic.store.decisions import current_codings

    project = fresh(tmp_path)
    summary = import_refi(project, EXAMPLES / "mini-project.qdpx")
    assert not summary.from_thematic
    assert (summary.sources, summary.responses_new, summary.units_new, summary.themes) == (3, 3, 3, 3)
    assert summary.coders == ["coder_a", "coder_b"] and summary.decisions_new == 6
    assert summary.notes == [
        "3 codes had no description, so each one's definition repeats its name: Therapeutic risks, "
        "Possibilities of AI, Mixed support (write real definitions before coding)",
        "3 selections did not line up with unit boundaries; each one coded every unit it overlaps",
    ]
    units = {u.respondent_id: u for u in list_units(project)}
    assert sorted(units) == ["R001", "R002", "R003"] and {u.question_id for u in units.values()} == {"text"}
    assert units["R002"].text.startswith("Useful for practice: trainees")
    a, b = current_codings(project, "coder_a"), current_codings(project, "coder_b")
    assert a[units["R001"].id] == {"therapeutic-risks"} and a[units["R003"].id] == {"mixed-support"}
    assert b[units["R003"].id] == {"possibilities-of-ai"}
    assert current_version(project).codebook.ids() == [
        "therapeutic-risks",
        "possibilities-of-ai",
        "mixed-support",
    ]
    again = import_refi(project, EXAMPLES / "mini-project.qdpx")
    assert again.already_imported


def test_zip_slip_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = fresh(tmp_path)
    before = snapshot(project)
    with pytest.raises(ThematicError) as info:
        import_refi(project, EXAMPLES / "zip-slip.qdpx")
    assert info.value.message == (
        "zip-slip.qdpx: refused: the archive holds an entry whose path could escape its folder "
        "('../../../../thematic-zip-slip-was-here.txt' and 1 more) (a .qdpx holds only project.qde and "
        "Sources/; export the project again from your QDA tool)"
    )
    assert snapshot(project) == before
    for folder in [tmp_path, *tmp_path.parents]:
        assert not (folder / "thematic-zip-slip-was-here.txt").exists()
    assert not Path("/etc/thematic-absolute-path.txt").exists()
    assert sorted(os.listdir(tmp_path)) == sorted(p for p in os.listdir(tmp_path) if p.startswith("copy.db"))


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (
            "billion-laughs.qdc",
            "x.qdpx/project.qde: refused: it has a document type declaration (<!DOCTYPE Project>), which "
            "REFI-QDA files never need (thematic reads no DTDs, so nothing in one can expand or be fetched; "
            "export the project again from your QDA tool)",
        ),
        (
            "external-entity.qdc",
            "x.qdpx/project.qde: refused: it has a document type declaration (<!DOCTYPE Project>), which "
            "REFI-QDA files never need (thematic reads no DTDs, so nothing in one can expand or be fetched; "
            "export the project again from your QDA tool)",
        ),
    ],
)
def test_xml_entity_tricks_are_refused(tmp_path, example, message):
    qde = (EXAMPLES / example).read_text(encoding="utf-8").replace("CodeBook", "Project")
    make_qdpx(tmp_path / "x.qdpx", qde)
    project = fresh(tmp_path)
    before = snapshot(project)
    with pytest.raises(ThematicError) as info:
        import_refi(project, tmp_path / "x.qdpx")
    assert info.value.message == message
    assert snapshot(project) == before


PROJECT = (
    '<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p">'
    '<Users><User guid="11111111-1111-4111-8111-111111111111" name="Jane Doe"/></Users>'
    '<CodeBook><Codes><Code guid="22222222-2222-4222-8222-222222222222" name="Risk" isCodable="true">'
    "<Description>Says it is risky.</Description></Code></Codes></CodeBook>"
    "<Sources>{sources}</Sources></Project>"
)


def source(
    name: str, body: str, selections: str = "", guid: str = "33333333-3333-4333-8333-333333333333"
) -> str:
    return f'<TextSource guid="{guid}" name="{name}" {body}{selections}</TextSource>'


def selection(start: int, end: int, guid: str = "44444444-4444-4444-8444-444444444444") -> str:
    return (
        f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}" '
        'creatingUser="11111111-1111-4111-8111-111111111111" creationDateTime="2024-03-01T10:00:00+01:00">'
        '<Coding guid="55555555-5555-4555-8555-555555555555"><CodeRef '
        'targetGUID="22222222-2222-4222-8222-222222222222"/></Coding></PlainTextSelection>'
    )


def test_crlf_text_is_normalised_and_offsets_follow(tmp_path):
    from thematic.store.corpus import list_units
    from thematic.store.decisions import current_codings, decisions

    text = "  First line.\r\nSecond line, risky.\r\n"
    start = text.index("Second")
    qde = PROJECT.format(
        sources=source(
            "P1",
            "><PlainTextContent>" + text.replace("\r", "&#13;") + "</PlainTextContent>",
            selection(start, start + 12),
        )
    )
    make_qdpx(tmp_path / "c.qdpx", qde)
    project = fresh(tmp_path)
    summary = import_refi(project, tmp_path / "c.qdpx", unit="sentence")
    assert summary.notes == [
        "user names became coder names: 'Jane Doe' -> Jane-Doe",
        "1 selection did not line up with unit boundaries; each one coded every unit it overlaps",
    ]
    units = list_units(project)
    assert [u.text for u in units] == ["First line.", "Second line, risky."]
    assert current_codings(project, "Jane-Doe") == {units[1].id: frozenset({"risk"})}
    assert decisions(project)[0].at == "2024-03-01T09:00:00.000000Z"


def test_normalise_maps_offsets():
    text, mapping = normalise("  a\r\nb\rc  ")
    assert text == "a\nb\nc"
    assert mapping[2] == 0 and mapping[5] == 2 and mapping[7] == 4 and mapping[len("  a\r\nb\rc  ")] == 5


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda p: p.write_bytes(b"not a zip"),
            "x.qdpx is not a .qdpx project (it is not a zip file; export the "
            "project again from your QDA tool)",
        ),
        (
            lambda p: make_qdpx(p, "<Project/>").unlink() or zipfile.ZipFile(p, "w").writestr("a.txt", "x"),
            "x.qdpx has no project.qde (a .qdpx holds project.qde and Sources/; export the project again "
            "from your QDA tool)",
        ),
        (
            lambda p: make_qdpx(p, "<CodeBook/>"),
            "x.qdpx: not a REFI-QDA project: project.qde holds <CodeBook>, not "
            "<Project> (export the project again from your QDA tool)",
        ),
        (
            lambda p: make_qdpx(p, "<Project"),
            "x.qdpx/project.qde:1: not a REFI-QDA project: the XML is not "
            "well-formed (unclosed token) (export the project again from your QDA "
            "tool)",
        ),
        (
            lambda p: make_qdpx(
                p, PROJECT.format(sources=source("P1", 'plainTextPath="internal://gone.txt">'))
            ),
            "x.qdpx: source 'P1' is missing from the archive (Sources/gone.txt; export the project again "
            "from your QDA tool)",
        ),
        (
            lambda p: make_qdpx(
                p, PROJECT.format(sources=source("P1", 'plainTextPath="file:///etc/passwd">'))
            ),
            "x.qdpx: source 'P1' points to a file outside the archive (file:///etc/passwd) (thematic reads "
            "only sources inside the .qdpx; export the project again from your QDA tool)",
        ),
        (
            lambda p: make_qdpx(
                p,
                PROJECT.format(
                    sources=source("P1", "><PlainTextContent>short</PlainTextContent>", selection(2, 50))
                ),
            ),
            "x.qdpx: a selection in source 'P1' runs from 2 to 50, outside its 5 characters (export the "
            "project again from your QDA tool)",
        ),
    ],
)
def test_bad_projects_are_refused_and_change_nothing(tmp_path, build, message):
    build(tmp_path / "x.qdpx")
    project = fresh(tmp_path)
    before = snapshot(project)
    with pytest.raises(ThematicError) as info:
        import_refi(project, tmp_path / "x.qdpx")
    assert info.value.message == message
    assert snapshot(project) == before


def test_a_different_answer_for_a_known_respondent_is_refused(study, tmp_path):
    qde = PROJECT.format(sources=source("R001", "><PlainTextContent>Something else</PlainTextContent>"))
    make_qdpx(tmp_path / "x.qdpx", qde)
    before = snapshot(study)
    with pytest.raises(ThematicError) as info:
        import_refi(study, tmp_path / "x.qdpx", question="answer")
    assert info.value.message == (
        "x.qdpx: source 'R001' holds an answer of respondent 'R001' to 'answer' that "
        "differs from the one already in the project (import it into a new project)"
    )
    assert snapshot(study) == before


def test_unit_kind_must_match_the_project(study, tmp_path):
    make_qdpx(
        tmp_path / "x.qdpx", PROJECT.format(sources=source("Z1", "><PlainTextContent>Hi</PlainTextContent>"))
    )
    with pytest.raises(ThematicError) as info:
        import_refi(study, tmp_path / "x.qdpx", unit="sentence")
    assert info.value.message == (
        "this project is segmented by response; x.qdpx asks for sentence units (import it into a new project)"
    )


def test_export_errors(demo_project, tmp_path):
    with pytest.raises(ThematicError) as info:
        export_refi(demo_project, tmp_path / "x.zip")
    assert (
        info.value.message == "a REFI-QDA project file ends in .qdpx, not '.zip' (pass e.g. --out study.qdpx)"
    )
    with pytest.raises(ThematicError) as info:
        export_refi(demo_project, tmp_path / "x.qdpx", coders=["zoe"])
    assert info.value.message == "coder 'zoe' has no decisions in this project (coders: nobody has coded yet)"
    with pytest.raises(ThematicError) as info:
        export_refi(fresh(tmp_path, "empty.db"), tmp_path / "x.qdpx")
    assert info.value.message == (
        "the project has no responses to export (import a survey with `thematic import` first)"
    )
