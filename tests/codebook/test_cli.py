"""`thematic codebook ...` end to end, in-process."""

from __future__ import annotations

import json

import pytest
import xmlschema

from tests.conftest import DEMO_CODEBOOK, REFI, REPO
from thematic.codebook.load import load_codebook

FIXTURES = REPO / "tests" / "fixtures" / "codebooks"
EXAMPLES = REFI / "examples"
DEMO_HASH = load_codebook(DEMO_CODEBOOK).content_hash()


@pytest.fixture
def initialised(cli):
    assert cli("init").exit_code == 0
    return cli


def edited(tmp_path, name="v2.yaml"):
    """The demo codebook with one theme renamed and one definition changed."""
    text = DEMO_CODEBOOK.read_text(encoding="utf-8")
    text = text.replace("name: Negative responses", "name: Negative views")
    text = text.replace(
        "The respondent weighs benefits and limits together",
        "The respondent weighs gains and limits together",
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_ok(cli):
    result = cli("codebook", "validate", DEMO_CODEBOOK)
    assert result.exit_code == 0 and result.stderr == ""
    assert (
        result.stdout
        == f"{DEMO_CODEBOOK}: valid codebook ai-therapy (4 themes; content hash {DEMO_HASH[:12]})\n"
    )


def test_validate_lists_every_problem(cli):
    path = FIXTURES / "many-problems.yaml"
    result = cli("codebook", "validate", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}:7: theme 'risk': unknown key 'color' (did you mean 'colour'?)",
        f"error: {path}:8: theme 'Access': id is not a slug (use lowercase letters, digits and single "
        "hyphens: 'access')",
        f"error: {path}:11: theme 'risk': id already used at line 4 (ids must be unique across the whole "
        "tree)",
        f"error: {path}:14: theme 'training': name is missing (give the theme a short label, e.g. name: "
        "Negative responses)",
    ]
    result = cli("codebook", "validate", path, "--json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path} is not a valid codebook (4 problems, listed in the JSON output; fix them and "
        "validate again)\n"
    )
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["problems"][0] == {
        "line": 7,
        "message": "theme 'risk': unknown key 'color' (did you mean 'colour'?)",
    }


def test_use_needs_a_project(cli, tmp_path):
    result = cli("codebook", "use", DEMO_CODEBOOK)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no thematic project at {tmp_path / 'thematic.db'} (run `thematic init` to create one, or "
        "pass --project PATH / set THEMATIC_PROJECT)\n"
    )


def test_use_without_units_then_versions(initialised, tmp_path):
    cli = initialised
    result = cli("codebook", "use", DEMO_CODEBOOK)
    assert result.exit_code == 0
    assert result.stdout == (
        f"codebook ai-therapy is now in use: version 1 (new; 4 themes; content hash {DEMO_HASH[:12]})\n"
    )
    assert cli("codebook", "use", DEMO_CODEBOOK).stdout == (
        "codebook ai-therapy version 1 is already in use (unchanged)\n"
    )
    result = cli("codebook", "use", edited(tmp_path))
    assert result.stdout.splitlines()[1] == (
        "changes from version 1: 1 renamed, 1 changed (details: thematic codebook diff 1 2)"
    )
    result = cli("codebook", "use", DEMO_CODEBOOK)
    assert result.stdout.startswith("codebook ai-therapy is now in use: version 1 (stored before, on ")
    versions = json.loads(cli("codebook", "versions", "--json").stdout)
    assert [(v["version"], v["uses"], v["current"]) for v in versions] == [(1, 3, True), (2, 1, False)]
    table = cli("codebook", "versions")
    assert table.stdout.splitlines()[0].split() == [
        "version",
        "┃",
        "codebook",
        "┃",
        "themes",
        "┃",
        "content",
        "hash",
        "┃",
        "stored",
        "┃",
        "last",
        "used",
    ]
    assert f" 1* │ ai-therapy │      4 │ {DEMO_HASH[:12]} │" in table.stdout
    assert table.stderr == "* the current version\n"


def test_use_invalid_file_leaves_the_project_unchanged(initialised):
    result = initialised("codebook", "use", FIXTURES / "unknown-key.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {FIXTURES / 'unknown-key.yaml'}:5: theme 'risk': unknown key 'defintion' (did you mean "
        "'definition'?)\n"
    )
    assert initialised("codebook", "versions", "--json").stdout == "[]\n"
    assert initialised("codebook", "versions").stderr == (
        "no codebook versions yet (run `thematic codebook use FILE`)\n"
    )


def test_show(initialised):
    result = initialised("codebook", "show")
    assert result.exit_code == 2
    assert result.stderr == "error: no codebook in use (run `thematic codebook use FILE` first)\n"
    initialised("codebook", "use", DEMO_CODEBOOK)
    out = initialised("codebook", "show").stdout
    assert out.startswith(f"codebook ai-therapy, version 1 (content hash {DEMO_HASH[:12]})\n"
                          "Therapists' attitudes towards AI in therapy\n")
    assert "├── Negative responses  negative-responses\n" in out
    assert "│   ├── include:\n" in out and "keywords: never, unethical" in out
    data = json.loads(initialised("codebook", "show", "--json", "--version", "1").stdout)
    assert data["version"] == 1 and data["content_hash"] == DEMO_HASH
    assert [t["id"] for t in data["themes"]] == load_codebook(DEMO_CODEBOOK).ids()
    result = initialised("codebook", "show", "--version", "3")
    assert result.stderr == (
        "error: codebook version 3 not found (this project has version 1; list them with `thematic codebook "
        "versions`)\n"
    )


def test_show_escapes_markup(initialised, tmp_path):
    path = tmp_path / "markup.yaml"
    path.write_text(
        "codebook: x\nthemes:\n  - {id: a, name: '[bold]A[/]', definition: 'Uses [red] and [/]'}\n"
    )
    initialised("codebook", "use", path)
    out = initialised("codebook", "show").stdout
    assert "[bold]A[/]" in out and "Uses [red] and [/]" in out


def test_diff(initialised, tmp_path):
    initialised("codebook", "use", DEMO_CODEBOOK)
    result = initialised("codebook", "diff")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: only one codebook version has been used in this project (version 1) (pass a version or a "
        "FILE to compare it with)\n"
    )
    initialised("codebook", "use", edited(tmp_path))
    out = initialised("codebook", "diff").stdout.splitlines()
    assert out[0] == "version 1 -> version 2: 1 renamed, 1 changed"
    assert out[1] == '~ negative-responses: renamed from "Negative responses" to "Negative views"'
    assert out[2] == "~ mixed-support: definition changed"
    assert out[3] == "    The respondent weighs [-benefits-]{+gains+} and limits together in the ..."
    assert initialised("codebook", "diff", "2", "1").stdout.startswith("version 2 -> version 1: 1 renamed")
    assert initialised("codebook", "diff", "1", DEMO_CODEBOOK).stdout == (
        f"version 1 -> {DEMO_CODEBOOK}: no changes\n"
    )
    data = json.loads(initialised("codebook", "diff", "1", "--json").stdout)
    assert data["old"] == "version 1" and data["new"] == "version 2"
    assert data["renamed"] == [
        {"id": "negative-responses", "old": "Negative responses", "new": "Negative views"}
    ]
    result = initialised("codebook", "diff", "nope.yaml")
    assert result.stderr == (
        "error: 'nope.yaml' is neither a version number nor a codebook file (versions are numbers, as "
        "`thematic codebook versions` lists them)\n"
    )


def test_diff_of_two_files_needs_no_project(cli, tmp_path):
    result = cli("codebook", "diff", DEMO_CODEBOOK, edited(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{DEMO_CODEBOOK} -> {tmp_path / 'v2.yaml'}: 1 renamed, 1 changed"


def test_export_formats(initialised, tmp_path):
    initialised("codebook", "use", DEMO_CODEBOOK)
    assert initialised("codebook", "export").stdout == DEMO_CODEBOOK.read_text(encoding="utf-8")
    md = initialised("codebook", "export", "--format", "md").stdout
    assert md.startswith("# Therapists' attitudes towards AI in therapy\n")
    assert f"Codebook `ai-therapy`, version 1 (sha256 `{DEMO_HASH[:12]}`), 4 themes." in md
    assert "| Theme | Definition | Include | Exclude | Example |" in md
    assert md.count("\n| **") == 4
    out = tmp_path / "ai-therapy.qdc"
    result = initialised("codebook", "export", "--format", "qdc", "--out", out)
    assert result.exit_code == 0 and result.stderr == f"wrote {out}\n"
    xmlschema.XMLSchema(str(REFI / "Codebook.xsd")).validate(str(out))
    result = initialised("codebook", "export", "--format", "qdc", "--out", out)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {out} exists already (pass --force to overwrite it, or choose another --out)\n"
    )
    assert initialised("codebook", "export", "-f", "qdc", "-o", out, "--force").exit_code == 0


def test_export_a_file_without_a_project(cli, tmp_path):
    result = cli("codebook", "export", DEMO_CODEBOOK, "--format", "yaml")
    assert result.exit_code == 0 and result.stdout == load_codebook(DEMO_CODEBOOK).to_yaml()
    assert cli("codebook", "export", DEMO_CODEBOOK, "--format", "pdf").stderr == (
        "error: format 'pdf' not known (use yaml, qdc or md)\n"
    )
    assert cli("codebook", "export", DEMO_CODEBOOK, "--version", "1").stderr == (
        "error: pass either a FILE or --version, not both (--version picks a version stored in the project)\n"
    )
    assert cli("codebook", "export", "2").stderr == (
        "error: codebook file 2 not found (to export version 2, pass --version 2)\n"
    )


def test_export_qdc_import_round_trip(cli, tmp_path):
    qdc = tmp_path / "demo.qdc"
    cli("codebook", "export", DEMO_CODEBOOK, "--format", "qdc", "--out", qdc)
    out = tmp_path / "back.yaml"
    result = cli("codebook", "import", qdc, "--out", out)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == (
        f"wrote {out}: codebook ai-therapy, 4 themes (a thematic export, read back exactly); check it with "
        f"`thematic codebook validate {out}`\n"
    )
    assert load_codebook(out) == load_codebook(DEMO_CODEBOOK)


@pytest.mark.parametrize(
    "fixture",
    [
        "taguette-real.qdc",
        "taguette-style.qdc",
        "nvivo-style.qdc",
        "maxqda-style.qdc",
        "atlas-style.qdc",
        "mini-project.qdpx",
    ],
)
def test_import_other_tools_then_use(initialised, tmp_path, fixture):
    out = tmp_path / "imported-book.yaml"
    result = initialised("codebook", "import", EXAMPLES / fixture, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: codebook imported-book, ")
    assert all(line.startswith("warning: ") for line in result.stderr.splitlines())
    assert initialised("codebook", "validate", out).exit_code == 0
    assert initialised("codebook", "use", out).exit_code == 0


def test_import_to_stdout_and_refusals(cli, tmp_path):
    result = cli("codebook", "import", EXAMPLES / "nvivo-style.qdc", "--name", "nvivo")
    assert result.exit_code == 0 and "\ncodebook: nvivo\n" in result.stdout
    assert result.stderr == (
        "warning: 1 code had no description, so each one's definition repeats its name: Ambivalence (write "
        "real definitions before coding)\n"
    )
    result = cli("codebook", "import", EXAMPLES / "billion-laughs.qdc", "--out", tmp_path / "x.yaml")
    assert result.exit_code == 2 and not (tmp_path / "x.yaml").exists()
    assert result.stderr == (
        "error: billion-laughs.qdc: refused: it declares the XML entity 'lol', which could expand without "
        "limit (thematic never expands entities; export the codebook again from your QDA tool)\n"
    )
    result = cli("codebook", "import", EXAMPLES / "external-entity.qdc")
    assert result.exit_code == 2 and "passwd" not in result.stdout and "root:" not in result.stderr
    existing = tmp_path / "taken.yaml"
    existing.write_text("keep me")
    result = cli("codebook", "import", EXAMPLES / "nvivo-style.qdc", "--out", existing)
    assert result.exit_code == 2 and existing.read_text() == "keep me"
    result = cli("codebook", "import", tmp_path / "missing.qdc")
    assert result.stderr == f"error: file {tmp_path / 'missing.qdc'} not found (check the path)\n"
