"""REFI-QDA codebook exchange: export validates, GUIDs are stable, round trips lose nothing, other tools'
files import, hostile and malformed files are refused with a clear message."""

from __future__ import annotations

import re
import zipfile

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings

from tests.codebook.strategies import codebooks
from tests.conftest import DEMO_CODEBOOK, REFI
from thematic.codebook.load import load_codebook, parse_codebook
from thematic.codebook.model import Codebook, Theme
from thematic.codebook.qdc import (
    describe,
    parse_description,
    parse_qdc,
    read_qdc,
    theme_guid,
    to_qdc,
)
from thematic.errors import ThematicError

REFI = REFI
EXAMPLES = REFI / "examples"
REEXPORT = "export the codebook again from your QDA tool"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(REFI / "Codebook.xsd"))


def test_demo_export_validates_and_round_trips(schema):
    cb = load_codebook(DEMO_CODEBOOK)
    text = to_qdc(cb)
    schema.validate(text)
    assert text.startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="thematic '
    )
    result = parse_qdc(text.encode("utf-8"), "demo.qdc")
    assert result.from_thematic and result.notes == []
    assert result.codebook == cb


def test_guids_are_stable_per_theme_id():
    cb = load_codebook(DEMO_CODEBOOK)
    assert theme_guid("negative-responses") == "62f20089-6cf7-5041-9d83-eba0148c1201"
    first, second = to_qdc(cb), to_qdc(cb)
    assert first == second
    other = Codebook("other", themes=(Theme("negative-responses", "Renamed", "A new definition."),))
    assert f'guid="{theme_guid("negative-responses")}"' in to_qdc(other)
    assert len({theme_guid(i) for i in cb.ids()}) == 4


def test_description_layout():
    theme = Theme(
        "risk",
        "Risk",
        "Says it is unsafe.\n\nInclude:\nlooks like a heading",
        include=("crisis",),
        exclude=("a\nmulti-line rule",),
        examples=("Too risky.",),
        keywords=("risk", "un,safe"),
    )
    assert (
        describe(theme)
        == """Says it is unsafe.

\\Include:
looks like a heading

Include:
- crisis

Exclude:
- a
  multi-line rule

Examples:
- Too risky.

Keywords:
- risk
- un,safe

Id: risk"""
    )
    parsed = parse_description(describe(theme))
    assert parsed.id == "risk" and parsed.definition == theme.definition
    assert parsed.lists == {
        "include": ("crisis",),
        "exclude": ("a\nmulti-line rule",),
        "examples": ("Too risky.",),
        "keywords": ("risk", "un,safe"),
    }


def test_foreign_description_is_the_definition_as_written():
    text = 'Code when X.\n\\not an escape\nExample: "quoted"'
    assert parse_description(text).definition == text
    assert parse_description("Rules.\n\nInclude:\n- a\n- b").lists == {"include": ("a", "b")}
    assert parse_description("Rules.\n\nInclude:\nnot a list").definition == "Rules.\n\nInclude:\nnot a list"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codebooks())
def test_thematic_qdc_thematic_is_lossless(schema, cb):
    text = to_qdc(cb)
    schema.validate(text)
    result = parse_qdc(text.encode("utf-8"))
    assert result.from_thematic
    assert result.codebook == cb
    assert result.codebook.content_hash() == cb.content_hash()


# -- files from other tools -----------------------------------------------------------------------------
def shape(cb: Codebook) -> list[tuple]:
    return [(t.id, t.name, t.parent_id, t.colour) for t in cb.themes]


def test_taguette_real_file_does_not_validate_but_imports(schema):
    path = EXAMPLES / "taguette-real.qdc"
    assert not schema.is_valid(str(path))
    result = read_qdc(path)
    assert result.origin == "Taguette 1.5.2" and not result.from_thematic
    assert shape(result.codebook) == [
        ("interesting", "interesting", None, None),
        ("worry-about-harm", "worry about harm", None, None),
        ("training-use", "training use", None, None),
        ("role-play", "role play", "training-use", None),
        ("empathy", "empathy", None, None),
        ("cafe-naive-quotes", "Café naïve «quotes» 治疗 <&>", None, None),
    ]
    assert result.codebook.theme("empathy").definition == "empathy"
    assert result.notes == [
        "dotted names became sub-themes: role play (under training use)",
        "6 codes had no description, so each one's definition repeats its name: interesting, worry about "
        "harm, training use, role play, empathy, Café naïve «quotes» 治疗 <&> (write real definitions before "
        "coding)",
    ]
    # the YAML it becomes is a valid codebook
    assert parse_codebook(result.to_yaml("taguette-real.qdc")) == result.codebook


def test_nvivo_style(schema):
    path = EXAMPLES / "nvivo-style.qdc"
    schema.validate(str(path))
    cb = read_qdc(path, name="nvivo").codebook
    assert cb.codebook == "nvivo"
    assert shape(cb) == [
        ("concerns", "Concerns", None, "#c0392b"),
        ("loss-of-human-connection", "Loss of human connection", "concerns", "#e74c3c"),
        ("safety-risk", "Safety & risk", "concerns", None),
        ("opportunities", "Opportunities", None, "#27ae60"),
        ("ambivalence", "Ambivalence", None, None),
    ]
    assert cb.theme("safety-risk").definition == "Risk to clients: crisis, suicidality, missed cues, harm."
    assert cb.description == "Imported from nvivo-style.qdc (NVivo 14)."


def test_maxqda_style_categories_colours_and_sets(schema):
    path = EXAMPLES / "maxqda-style.qdc"
    schema.validate(str(path))
    result = read_qdc(path)
    cb = result.codebook
    assert shape(cb) == [
        ("attitudes", "Attitudes", None, "#808080"),
        ("negative", "Negative", "attitudes", "#ff0000"),
        ("positive", "Positive", "attitudes", "#00ff00"),
        ("mixed", "Mixed", "attitudes", "#ffcc00"),
        ("alliance", "Alliance", None, None),
        ("goal", "Goal", "alliance", None),
        ("task", "Task", "alliance", None),
        ("bond", "Bond", "alliance", None),
    ]
    assert cb.theme("attitudes").definition == "A category that groups Negative, Positive, Mixed."
    assert cb.theme("negative").definition == (
        'Rejects AI in therapy outright.\n\nExample: "I would never refer a client to a chatbot."'
    )
    assert cb.description == (
        "Imported from maxqda-style.qdc (MAXQDA 2022 (Release 22.7.0)).\n\nSets in the imported codebook:\n- "
        "Alliance components (goal, task, bond): The three components of the working alliance (Bordin)."
    )
    assert '2 category codes (isCodable="false") became parent themes: Attitudes, Alliance' in result.notes
    assert "1 set kept in the codebook's description (thematic has no sets)" in result.notes


def test_atlas_style_non_ascii(schema):
    path = EXAMPLES / "atlas-style.qdc"
    schema.validate(str(path))
    cb = read_qdc(path).codebook
    assert shape(cb) == [
        ("risk-crisis-handling", "Risk: crisis handling", None, "#8e44ad"),
        ("training-tool", "Training tool", None, "#2980b9"),
        ("cafe-non-ascii-naive-quotes", "Café <non-ASCII> naïve «quotes» 治疗", None, None),
    ]
    assert cb.theme("risk-crisis-handling").definition.startswith("Code when the respondent doubts")


def test_taguette_style():
    assert shape(read_qdc(EXAMPLES / "taguette-style.qdc").codebook) == [
        ("worry-about-harm", "worry about harm", None, None),
        ("training-use", "training use", None, None),
        ("role-play", "role play", "training-use", None),
        ("empathy", "empathy", None, None),
    ]


def test_codebook_from_a_project(tmp_path):
    """A .qdpx is read for its project.qde only; nothing is extracted (zip-slip.qdpx writes nowhere)."""
    cb = read_qdc(EXAMPLES / "mini-project.qdpx").codebook
    assert [t.name for t in cb.themes] == ["Therapeutic risks", "Possibilities of AI", "Mixed support"]
    before = {p for p in tmp_path.parent.rglob("*")}
    assert read_qdc(EXAMPLES / "zip-slip.qdpx").codebook.ids() == cb.ids()
    assert {p for p in tmp_path.parent.rglob("*")} == before
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("Sources/a.txt", "text")
    with pytest.raises(
        ThematicError,
        match=re.escape(
            f"{empty} is a zip file without project.qde (pass a .qdc codebook or a .qdpx project)"
        ),
    ):
        read_qdc(empty)


# -- refused ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "billion-laughs.qdc",
            "billion-laughs.qdc: refused: it declares the XML entity 'lol', which could expand without "
            f"limit (thematic never expands entities; {REEXPORT})",
        ),
        (
            "external-entity.qdc",
            "external-entity.qdc: refused: it declares an external XML entity 'secret' that points to "
            f"file:///etc/passwd (thematic never reads external entities; {REEXPORT})",
        ),
        (
            "missing-guid.qdc",
            "missing-guid.qdc:2: code 'no guid here' has no guid attribute (every <Code> needs one; "
            f"{REEXPORT})",
        ),
        (
            "not-xml.qdc",
            "not-xml.qdc:1: not a REFI-QDA codebook: the file is not well-formed XML (syntax error) (a .qdc "
            f"is the XML codebook a QDA tool exports; {REEXPORT})",
        ),
    ],
)
def test_hostile_and_malformed_files_are_refused(fixture, message):
    with pytest.raises(ThematicError) as info:
        read_qdc(EXAMPLES / fixture)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            b"",
            "<qdc>:1: not a REFI-QDA codebook: the file is not well-formed XML (no element found) (a .qdc "
            f"is the XML codebook a QDA tool exports; {REEXPORT})",
        ),
        (
            b"<Project xmlns='urn:QDA-XML:project:1.0'/>",
            "<qdc>: the REFI-QDA project has no codebook (nothing to import)",
        ),
        (
            b"<html/>",
            f"<qdc>:1: not a REFI-QDA codebook: the document is <html>, not <CodeBook> ({REEXPORT} as .qdc)",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>",
            f"<qdc>:1: the codebook has no <Codes> element ({REEXPORT})",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes/></CodeBook>",
            "<qdc>:1: the codebook has no codes (nothing to import)",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes>\n<Code guid='A' name='a' "
            b"isCodable='true'/>\n"
            b"<Code guid='{a}' name='b' isCodable='true'/></Codes></CodeBook>",
            "<qdc>:3: code 'b' has the guid {a}, which the code at line 2 has too (every code needs its "
            f"own guid; {REEXPORT})",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes><Code guid='A' name=' ' "
            b"isCodable='true'/></Codes>"
            b"</CodeBook>",
            f"<qdc>:1: the code with guid A has no name ({REEXPORT})",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes><Code guid='A' name='a&#1;' "
            b"isCodable='true'/></Codes>"
            b"</CodeBook>",
            "<qdc>:1: not a REFI-QDA codebook: the file is not well-formed XML (reference to invalid "
            f"character number) (a .qdc is the XML codebook a QDA tool exports; {REEXPORT})",
        ),
        (
            b"<CodeBook xmlns='urn:QDA-XML:codebook:1.0'><Codes>"
            + b"<Code guid='A' name='a' isCodable='true'>" * 120
            + b"</Code>" * 120
            + b"</Codes></CodeBook>",
            f"<qdc>:1: elements are nested more than 100 deep ({REEXPORT})",
        ),
    ],
)
def test_malformed_documents(xml, message):
    with pytest.raises(ThematicError) as info:
        parse_qdc(xml)
    assert str(info.value) == message


def test_name_must_be_a_slug():
    with pytest.raises(
        ThematicError,
        match=re.escape(
            "codebook name 'My Book' is not a slug (pass --name with lowercase letters, digits and single "
            "hyphens, e.g. 'my-book')"
        ),
    ):
        read_qdc(EXAMPLES / "nvivo-style.qdc", name="My Book")


def test_import_yaml_has_a_provenance_header():
    result = read_qdc(EXAMPLES / "taguette-style.qdc", default_name="tags")
    text = result.to_yaml("taguette-style.qdc")
    assert text.startswith(
        "# Imported from taguette-style.qdc (Taguette 1.4.1) by thematic.\n# dotted names became sub-themes: "
        "role play (under training use)\n"
    )
    assert "\ncodebook: tags\n" in text
