"""What other QDA tools need from thematic's .qdpx, and what thematic needs from theirs (issue 17).

The QualCoder file in tests/fixtures/refi-qda/qualcoder/ is QualCoder's own re-export of the interop
project (tests/export/refi_interop.py): new GUIDs everywhere, one selection per coding, notes as
selection descriptions, no <Sets>, colours moved onto QualCoder's palette. It merges back with nothing
lost, duplicated or changed.
"""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import REFI
from tests.export.refi_interop import CODERS, build_interop
from tests.export.test_refi import XSD, fresh, make_qdpx, snapshot
from thematic.export.refi import NO_THEME_NAME, code_guid, export_refi
from thematic.export.refi_import import import_refi

NS = {"q": "urn:QDA-XML:project:1.0"}
QUALCODER_EXPORT = REFI / "qualcoder" / "interop-roundtrip.qdpx"


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def interop(tmp_path):
    project = build_interop(tmp_path / "interop.db")
    yield project
    project.close()


def qde_of(path) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        return ET.fromstring(archive.read("project.qde"))


def state(project):
    """Units, codebook and every coder's standing codings and notes: what a round trip must keep."""
    from thematic.store import corpus
    from thematic.store.codebooks import current_version
    from thematic.store.decisions import current_codings, latest_notes

    return {
        "units": [
            (u.id, u.respondent_id, u.question_id, u.start, u.end, u.text) for u in corpus.list_units(project)
        ],
        "attributes": corpus.respondent_attributes(project),
        "codebook": current_version(project).content_hash,
        "codings": {c: current_codings(project, c) for c in CODERS},
        "notes": {c: latest_notes(project, c) for c in CODERS},
    }


def test_export_gives_qualcoder_what_it_reads(interop, tmp_path, schema):
    from thematic.store.decisions import latest_notes

    export_refi(interop, tmp_path / "i.qdpx")
    with zipfile.ZipFile(tmp_path / "i.qdpx") as archive:
        schema.validate(archive.read("project.qde").decode("utf-8"))
    root = qde_of(tmp_path / "i.qdpx")
    notes = root.findall("q:Notes/q:Note", NS)
    assert notes and all(n.get("creationDateTime") for n in notes)
    described = {
        (s.get("name"), s.find("q:Description", NS).text)
        for s in root.iterfind(".//q:PlainTextSelection", NS)
        if s.find("q:Description", NS) is not None
    }
    expected = {(u, n) for c in CODERS for u, n in latest_notes(interop, c).items()}
    assert described == expected and len(notes) == len(expected)
    # every source carries its respondent's attributes (QualCoder ignores a case's SourceRef)
    variables = {v.get("guid"): v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        values = {
            variables[vv.find("q:VariableRef", NS).get("targetGUID")]: vv.find("q:TextValue", NS).text
            for vv in source.iterfind("q:VariableValue", NS)
        }
        assert set(values) == {"question", "role"}
    # "no theme applies" is a coding of its own code, so it survives a tool that drops empty selections
    codes = {c.get("guid"): c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    empty = [
        s for s in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection") if not s.findall("q:Coding", NS)
    ]
    assert empty == []
    none = [g for g, n in codes.items() if n == NO_THEME_NAME]
    assert len(none) == 1
    # the codebook's title and description where a reader that ignores <Sets> looks: the project's description
    description = root.find("q:Description", NS).text
    assert description.startswith(
        "Codebook: Therapists' attitudes towards AI in therapy (ai-therapy, version 1)\n"
    )
    assert all(
        c.get("color") is None or len(c.get("color")) == 7 for c in root.iter("{urn:QDA-XML:project:1.0}Code")
    )


def test_code_guids_are_unique_per_codebook_and_theme():
    assert code_guid("survey-a", "other") != code_guid("survey-b", "other")
    assert code_guid("survey-a", "other") == code_guid("survey-a", "other")


def test_round_trip_through_thematic_keeps_everything(interop, tmp_path):
    export_refi(interop, tmp_path / "i.qdpx")
    copy = fresh(tmp_path)
    summary = import_refi(copy, tmp_path / "i.qdpx")
    assert summary.notes == [] and summary.selections_split == 0
    assert state(copy) == state(interop)


def test_qualcoder_reexport_merges_back_changing_nothing(interop, tmp_path):
    from thematic.store.decisions import decisions

    before = snapshot(interop)
    summary = import_refi(interop, QUALCODER_EXPORT)
    assert (summary.decisions_new, summary.units_new, summary.responses_new) == (0, 0, 0)
    assert summary.decisions_same == len(decisions(interop))
    assert summary.codebook_version == 1 and not summary.codebook_new
    assert interop.meta("refi_guids") is None  # the project keeps exporting its own GUIDs
    after = snapshot(interop)
    assert {t: v for t, v in after.items() if t != "sources"} == {
        t: v for t, v in before.items() if t != "sources"
    }


def test_qualcoder_reexport_into_a_new_project_loses_nothing(interop, tmp_path):
    copy = fresh(tmp_path)
    summary = import_refi(copy, QUALCODER_EXPORT)
    assert summary.coders == list(CODERS)
    got, want = state(copy), state(interop)
    assert got["units"] == want["units"]  # same unit ids: the question found by its variable's name
    assert got["codings"] == want["codings"] and got["notes"] == want["notes"]
    assert got["attributes"] == want["attributes"]
    # what QualCoder loses: the colours (snapped to its palette) and the structure (it drops REFI Sets, so
    # the demo's exclusive 'stance' group is gone); the codebook is otherwise the same
    from dataclasses import replace

    from thematic.store.codebooks import current_version

    def plain(book):
        themes = tuple(replace(t, colour=None, residual=False) for t in book.themes)
        return replace(book, themes=themes, exclusive=False, required=False, declared_groups=())

    mine, back = current_version(interop).codebook, current_version(copy).codebook
    assert [g.id for g in mine.declared_groups] == ["stance"] and back.declared_groups == ()
    assert plain(back) == plain(mine)


def test_merging_the_same_file_twice_changes_nothing(interop, tmp_path):
    export_refi(interop, tmp_path / "i.qdpx")
    copy = fresh(tmp_path)
    import_refi(copy, tmp_path / "i.qdpx")
    once = snapshot(copy)
    # the same codings under new GUIDs and a new file: a re-export by another tool
    text = zipfile.ZipFile(tmp_path / "i.qdpx").read("project.qde").decode("utf-8")
    import re
    import uuid

    sel = re.compile(r'(<PlainTextSelection guid=")([0-9a-f-]{36})')
    renamed = sel.sub(lambda m: m.group(1) + str(uuid.uuid4()), text)
    files = {
        n: zipfile.ZipFile(tmp_path / "i.qdpx").read(n)
        for n in zipfile.ZipFile(tmp_path / "i.qdpx").namelist()
    }
    files.pop("project.qde")
    make_qdpx(tmp_path / "again.qdpx", renamed, files)
    summary = import_refi(copy, tmp_path / "again.qdpx")
    assert summary.decisions_new == 0 and summary.decisions_same > 0
    twice = snapshot(copy)
    assert {t: v for t, v in twice.items() if t != "sources"} == {
        t: v for t, v in once.items() if t != "sources"
    }


SPAN = (
    '<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p">'
    '<Users><User guid="11111111-1111-4111-8111-111111111111" name="zoe"/></Users>'
    '<CodeBook><Codes><Code guid="22222222-2222-4222-8222-222222222222" name="Risk" isCodable="true">'
    "<Description>Says it is risky.</Description></Code></Codes></CodeBook>"
    '<Sources><TextSource guid="33333333-3333-4333-8333-333333333333" name="P1">'
    "<PlainTextContent>It is fine. It is risky. It is odd.</PlainTextContent>"
    '<PlainTextSelection guid="44444444-4444-4444-8444-444444444444" startPosition="6" endPosition="24" '
    'creatingUser="11111111-1111-4111-8111-111111111111"><Coding guid="55555555-5555-4555-8555-555555555555">'
    '<CodeRef targetGUID="22222222-2222-4222-8222-222222222222"/></Coding></PlainTextSelection>'
    "</TextSource></Sources></Project>"
)


def test_a_selection_spanning_units_codes_every_unit_it_overlaps(tmp_path):
    from thematic.store.corpus import list_units
    from thematic.store.decisions import current_codings, decisions

    make_qdpx(tmp_path / "span.qdpx", SPAN)
    project = fresh(tmp_path)
    summary = import_refi(project, tmp_path / "span.qdpx", unit="sentence")
    units = list_units(project)
    assert [u.text for u in units] == ["It is fine.", "It is risky.", "It is odd."]
    assert current_codings(project, "zoe") == {units[0].id: {"risk"}, units[1].id: {"risk"}}
    assert len({d.uuid for d in decisions(project)}) == 2
    assert summary.selections_split == 1
    assert summary.overlaps == [
        {
            "selection": "44444444-4444-4444-8444-444444444444",
            "coder": "zoe",
            "unit": units[0].id,
            "start": 6,
            "end": 11,
        },
        {
            "selection": "44444444-4444-4444-8444-444444444444",
            "coder": "zoe",
            "unit": units[1].id,
            "start": 12,
            "end": 24,
        },
    ]
    assert (
        "1 selection spanned several units; each coded every unit it overlaps (2 units; the exact overlaps "
        "are in the import's summary, `--json`)" in summary.notes
    )


def test_another_tools_guids_categories_sources_and_users_come_back_on_export(tmp_path):
    qde = SPAN.replace(
        '<Code guid="22222222-2222-4222-8222-222222222222" name="Risk" isCodable="true">'
        "<Description>Says it is risky.</Description></Code>",
        '<Code guid="AAAAAAAA-2222-4222-8222-222222222222" name="Concerns" isCodable="false">'
        '<Code guid="22222222-2222-4222-8222-222222222222" name="Risk" isCodable="true">'
        "<Description>Says it is risky.</Description></Code></Code>",
    )
    make_qdpx(tmp_path / "t.qdpx", qde)
    project = fresh(tmp_path)
    import_refi(project, tmp_path / "t.qdpx")
    export_refi(project, tmp_path / "back.qdpx")
    codes = {c.get("name"): c for c in qde_of(tmp_path / "back.qdpx").iter("{urn:QDA-XML:project:1.0}Code")}
    assert codes["Risk"].get("guid") == "22222222-2222-4222-8222-222222222222"
    assert codes["Concerns"].get("guid") == "AAAAAAAA-2222-4222-8222-222222222222"
    assert codes["Concerns"].get("isCodable") == "false" and codes["Risk"].get("isCodable") == "true"
    root = qde_of(tmp_path / "back.qdpx")
    assert [u.get("guid") for u in root.iterfind("q:Users/q:User", NS)] == [
        "11111111-1111-4111-8111-111111111111"
    ]
    assert [t.get("guid") for t in root.iterfind("q:Sources/q:TextSource", NS)] == [
        "33333333-3333-4333-8333-333333333333"
    ]
