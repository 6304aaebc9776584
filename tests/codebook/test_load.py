"""Loading and validating codebook YAML: every invalid case names the file, the line and what to do."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DEMO_CODEBOOK, REPO
from thematic.codebook.load import CodebookError, check_codebook, load_codebook, parse_codebook
from thematic.errors import ThematicError

FIXTURES = REPO / "tests" / "fixtures" / "codebooks"
HINT_DEFINITION = "write what the theme covers, so a second coder can apply it"

# (fixture, exact message after "tests/fixtures/codebooks/<fixture>:")
INVALID = [
    ("unknown-key.yaml", "5: theme 'risk': unknown key 'defintion' (did you mean 'definition'?)"),
    ("unknown-top-key.yaml", "2: unknown key 'theme' (did you mean 'themes'?)"),
    (
        "duplicate-id.yaml",
        "10: theme 'risk': id already used at line 3 (ids must be unique across the whole tree)",
    ),
    ("empty-definition.yaml", f"5: theme 'risk': definition is empty ({HINT_DEFINITION})"),
    ("missing-definition.yaml", f"3: theme 'risk': definition is missing ({HINT_DEFINITION})"),
    (
        "not-a-slug.yaml",
        "3: theme 'Negative Responses': id is not a slug (use lowercase letters, digits and single hyphens: "
        "'negative-responses')",
    ),
    (
        "nested-under-itself.yaml",
        "11: theme 'risk': the theme is nested under itself (a sub-theme needs an id of its own)",
    ),
    (
        "nested-alias.yaml",
        "3: theme 'risk': the theme is nested under itself (a sub-theme needs an id of its own)",
    ),
    (
        "unquoted-colour.yaml",
        "6: theme 'risk': colour is empty: an unquoted # starts a YAML comment (write it in "
        'quotes: colour: "#c0392b")',
    ),
    (
        "named-colour.yaml",
        "6: theme 'risk': colour 'red' is not a hex colour (write it as \"#RRGGBB\", in quotes, "
        'e.g. "#c0392b")',
    ),
    (
        "colon-in-example.yaml",
        "7: theme 'risk': item 1 of examples is a mapping, not text (put the item in quotes: it contains ': "
        "')",
    ),
    (
        "keywords-not-a-list.yaml",
        "6: theme 'risk': keywords must be a list (write one '- item' per line, or keywords: [a, b])",
    ),
    (
        "bad-indentation.yaml",
        "5: not valid YAML: the indentation does not line up (indent the keys of one theme equally)",
    ),
    (
        "no-themes.yaml",
        "3: the codebook has no themes (list them under themes:, each with id, name and definition)",
    ),
    ("duplicate-key.yaml", "5: theme 'risk': key 'name' appears twice (first at line 4; keep one)"),
    (
        "codebook-name-not-slug.yaml",
        "1: codebook name 'AI Therapy' is not a slug (use lowercase letters, digits and single hyphens: "
        "'ai-therapy')",
    ),
]


def test_every_fixture_is_covered():
    assert sorted(p.name for p in FIXTURES.glob("*.yaml")) == sorted(
        [f for f, _ in INVALID] + ["many-problems.yaml"]
    )


@pytest.mark.parametrize(("fixture", "message"), INVALID, ids=[f for f, _ in INVALID])
def test_invalid_codebook_message(fixture, message):
    path = FIXTURES / fixture
    with pytest.raises(CodebookError, match=re.escape(f"{path}:{message}")) as info:
        load_codebook(path)
    assert str(info.value) == f"{path}:{message}"
    assert len(info.value.problems) == 1
    assert isinstance(info.value, ThematicError) and info.value.exit_code == 2


def test_all_problems_are_collected_in_line_order():
    path = FIXTURES / "many-problems.yaml"
    result = check_codebook(path.read_text(), "many-problems.yaml")
    assert not result.ok and result.codebook is None
    assert [str(p) for p in result.problems] == [
        "many-problems.yaml:7: theme 'risk': unknown key 'color' (did you mean 'colour'?)",
        "many-problems.yaml:8: theme 'Access': id is not a slug (use lowercase letters, digits and single "
        "hyphens: 'access')",
        "many-problems.yaml:11: theme 'risk': id already used at line 4 (ids must be unique across the whole "
        "tree)",
        "many-problems.yaml:14: theme 'training': name is missing (give the theme a short label, e.g. name: "
        "Negative responses)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            "<text>: the file is empty (a codebook needs at least codebook: NAME and a list of themes; see "
            "docs/codebook.md for the format)",
        ),
        (
            "- a\n- b\n",
            "<text>:1: a codebook is a mapping with the keys codebook, title, description and themes (see "
            "docs/codebook.md for the format)",
        ),
        (
            "themes:\n  - {id: a, name: A, definition: d}\n",
            "<text>:1: codebook is missing (give the codebook a name: a slug such as ai-therapy)",
        ),
        (
            "codebook: x\nthemes:\n\t- id: a\n",
            "<text>:3: not valid YAML: a tab character (indent with spaces, not tabs)",
        ),
        (
            "codebook: x\nthemes:\n  - id: a\n    name: A\n    definition: it is: bad\n",
            "<text>:5: not valid YAML: a ': ' where no key can start (put text that contains ': ' in quotes)",
        ),
        (
            "codebook: x\nthemes: *a\n",
            "<text>:2: not valid YAML: an alias (*name) with no anchor (&name) (define the anchor first, or "
            "remove the alias)",
        ),
        (
            "codebook: x\n---\ncodebook: y\n",
            "<text>:2: not valid YAML: more than one YAML document (keep one codebook per file; remove the "
            "'---')",
        ),
        (
            'codebook: "x\nthemes: []\n',
            "<text>:1: not valid YAML: a quoted text that is never closed (add the closing quote)",
        ),
        (
            "codebook: x\nthemes:\n  - just text\n",
            "<text>:3: an entry is not a theme (each theme is a mapping that starts with '- id: ' and has a "
            "name and a definition)",
        ),
        (
            "codebook: x\nthemes:\n  - name: A\n    definition: d\n",
            "<text>:3: theme: id is missing (add id: a-slug, e.g. id: negative-responses)",
        ),
        (
            "codebook: x\nthemes:\n  - id: a\n    name: [A]\n    definition: d\n",
            "<text>:4: theme 'a': name must be text, not a list (write it on one line after 'name:', or as a "
            "block after 'name: >')",
        ),
        (
            "codebook: x\nthemes:\n  - id: a\n    name: |\n      two\n      lines\n    definition: d\n",
            "<text>:4: theme 'a': name must be one line (join the lines)",
        ),
        (
            'codebook: x\nthemes:\n  - id: a\n    name: A\n    definition: "bell \\a"\n',
            "<text>:5: theme 'a': definition holds the control character U+0007 (remove it)",
        ),
        (
            "codebook: x\nthemes:\n  - id: a\n    name: A\n    definition: d\n    include: [ok, '']\n",
            "<text>:6: theme 'a': item 2 of include is empty (remove it, or write it)",
        ),
        (
            "codebook: x\nthemes:\n  - id: a\n    name: A\n    definition: d\n    themes: {id: b}\n",
            "<text>:6: theme 'a': themes must be a list of themes (start each one with '- id: ')",
        ),
        (
            "codebook: x\nthemes:\n  - &t {id: a, name: A, definition: d}\n  - *t\n",
            "<text>:3: a YAML alias repeats a theme that is already in the codebook (write each theme out "
            "once, with its own id)",
        ),
    ],
)
def test_invalid_text_message(text, message):
    with pytest.raises(CodebookError) as info:
        parse_codebook(text)
    assert str(info.value) == message


def test_demo_codebook_loads():
    cb = load_codebook(DEMO_CODEBOOK)
    assert cb.codebook == "ai-therapy"
    assert cb.ids() == ["negative-responses", "possibilities-of-ai", "mixed-support", "therapeutic-risks"]
    for theme in cb.themes:
        assert (
            theme.definition and theme.include and theme.exclude and theme.examples and theme.counterexamples
        )
        assert re.fullmatch(r"#[0-9a-f]{6}", theme.colour)
        assert not theme.definition.endswith("\n")


def test_scalars_are_read_as_written_and_nulls_are_absent():
    cb = parse_codebook("""
codebook: x
title:
themes:
  - id: a
    name: 2024
    definition: >
      Folded
      text.
    keywords: [no, on, ~x, 1.5]
    include:
    colour: "#ABC"
""")
    theme = cb.theme("a")
    assert cb.title is None
    assert theme.name == "2024"
    assert theme.definition == "Folded text."
    assert theme.keywords == ("no", "on", "~x", "1.5")
    assert theme.include == ()
    assert theme.colour == "#aabbcc"


def test_nested_themes_are_flattened_parents_first():
    cb = parse_codebook("""
codebook: x
themes:
  - id: a
    name: A
    definition: d
    themes:
      - id: a1
        name: A1
        definition: d
        themes:
          - {id: a1x, name: A1x, definition: d}
      - {id: a2, name: A2, definition: d}
  - {id: b, name: B, definition: d}
""")
    assert [(t.id, t.parent_id) for t in cb.themes] == [
        ("a", None),
        ("a1", "a"),
        ("a1x", "a1"),
        ("a2", "a"),
        ("b", None),
    ]
    assert cb.depth("a1x") == 2


def test_alias_bomb_is_cheap():
    """Aliases that repeat a theme many times are refused at the first repeat, never expanded."""
    lines = ["codebook: x", "themes:", "  - &t0 {id: a, name: A, definition: d}"]
    lines += [
        f"  - &t{n} {{id: b{n}, name: B, definition: d, themes: [{', '.join(['*t' + str(n - 1)] * 10)}]}}"
        for n in range(1, 12)
    ]
    result = check_codebook("\n".join(lines) + "\n")
    assert not result.ok and len(result.problems) < 200


def test_file_errors(tmp_path):
    with pytest.raises(
        ThematicError, match=re.escape(f"codebook file {tmp_path / 'nope.yaml'} not found (check the path)")
    ):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(
        ThematicError, match=re.escape(f"{tmp_path} is a folder, not a codebook file (pass the .yaml file)")
    ):
        load_codebook(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("codebook: café".encode("latin-1"))
    with pytest.raises(
        ThematicError,
        match=re.escape(f"{latin} is not UTF-8 text (byte 13 cannot be read; save the codebook as UTF-8)"),
    ):
        load_codebook(latin)
    qdc = tmp_path / "book.qdc"
    qdc.write_text('<?xml version="1.0"?><CodeBook/>')
    with pytest.raises(
        ThematicError,
        match=re.escape(
            f"{qdc} is a REFI-QDA codebook, not YAML (convert it first: thematic codebook import {qdc} --out "
            "FILE.yaml)"
        ),
    ):
        load_codebook(qdc)


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfcodebook: x\r\nthemes:\r\n  - {id: a, name: A, definition: d}\r\n")
    assert load_codebook(path).ids() == ["a"]
