"""import-wide: codings from other tools, as "Code 1..N" columns or one 0/1 column per code."""

from __future__ import annotations

import csv
import re

import pytest

from tests.review.conftest import KEY, THEMES
from thematic.errors import ThematicError
from thematic.review.wide import import_wide
from thematic.store import decisions as store
from thematic.store.codebooks import current_version
from thematic.store.corpus import list_units

NAMES = {
    "negative-responses": "Negative Responses",
    "possibilities-of-ai": "possibilities of ai",
    "mixed-support": "MIXED-SUPPORT",
    "therapeutic-risks": "Therapeutic risks",
}


def write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def code_columns_file(tmp_path, extra=None, name="codes.csv"):
    """Layout 1, as NVivo-style exports have it: code names (any case, id or name) in Code 1, Code 2."""
    rows = []
    for rid, themes in KEY.items():
        names = [NAMES[t] for t in sorted(themes, key=THEMES.index)]
        if extra and rid in extra:
            names.append(extra[rid])
        rows.append([rid, "free text is ignored", *(names + ["", "", ""])[:3]])
    return write(tmp_path / name, ["ID", "comment", "Code 1", "Code 2", "Code 3"], rows)


def binary_file(tmp_path):
    rows = [
        [rid, role, *(int(t in themes) for t in THEMES)]
        for (rid, themes), role in zip(KEY.items(), ["x", "y"] * 60, strict=False)
    ]
    return write(tmp_path / "binary.csv", ["ID", "note", *(NAMES[t] for t in THEMES)], rows)


def expected(project):
    return {u.id: KEY[u.respondent_id] for u in list_units(project)}


def test_code_columns_layout(coded_project, tmp_path):
    path = code_columns_file(tmp_path)
    report = import_wide(coded_project, path, coder="nvivo", id_column="ID", question="answer")
    assert report.layout == "code columns" and report.code_columns == ["Code 1", "Code 2", "Code 3"]
    assert (report.rows, report.recorded, report.no_answer, report.no_theme) == (120, 112, 8, 12)
    assert store.current_codings(coded_project, "nvivo") == expected(coded_project)
    again = import_wide(coded_project, path, coder="nvivo", id_column="ID", question="answer")
    assert (again.recorded, again.already) == (0, 112)


def test_binary_layout(coded_project, tmp_path):
    report = import_wide(
        coded_project, binary_file(tmp_path), coder="excel", id_column="ID", question="answer"
    )
    assert report.layout == "0/1 columns" and report.code_columns == [NAMES[t] for t in THEMES]
    assert store.current_codings(coded_project, "excel") == expected(coded_project)


def test_unknown_codes_are_listed_and_refused(coded_project, tmp_path):
    path = code_columns_file(tmp_path, extra={"R001": "Hope", "R002": "cost", "R003": "Hope"})
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            "codes not in the codebook: 'Hope', 'cost' (pass --add-codes to add them to a new "
            "codebook version, or "
            "rename them to theme ids or names: negative-responses, possibilities-of-ai, mixed-support, "
            "therapeutic-risks)"
        )
        + "$",
    ):
        import_wide(coded_project, path, coder="nvivo", id_column="ID", question="answer")
    assert store.count(coded_project) == 0 and current_version(coded_project).number == 1


def test_add_codes_makes_a_new_codebook_version(coded_project, tmp_path):
    path = code_columns_file(tmp_path, extra={"R001": "Hope", "R002": "cost"})
    report = import_wide(
        coded_project, path, coder="nvivo", id_column="ID", question="answer", add_codes=True
    )
    version = current_version(coded_project)
    assert report.added_themes == ["hope", "cost"] and version.number == report.codebook_version == 2
    assert version.codebook.ids() == [*THEMES, "hope", "cost"]
    assert version.codebook.theme("hope").name == "Hope"
    r001 = next(u.id for u in list_units(coded_project) if u.respondent_id == "R001")
    assert "hope" in store.current_codings(coded_project, "nvivo")[r001]
    assert {d.codebook_hash for d in store.decisions(coded_project)} == {version.content_hash}


def test_add_codes_creates_the_first_codebook(demo_project, tmp_path):
    path = binary_file(tmp_path)
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            "binary.csv holds codes 'Negative Responses', 'possibilities of ai', 'MIXED-SUPPORT', "
            "'Therapeutic "
            "risks' but this project has no codebook (pass --add-codes to make a codebook from "
            "these codes, or run "
            "`thematic codebook use FILE` first)"
        )
        + "$",
    ):
        import_wide(demo_project, path, coder="excel", id_column="ID", question="answer")
    report = import_wide(demo_project, path, coder="excel", id_column="ID", question="answer", add_codes=True)
    assert report.codebook_version == 1
    assert current_version(demo_project).codebook.ids() == [
        "negative-responses",
        "possibilities-of-ai",
        "mixed-support",
        "therapeutic-risks",
    ]
    assert store.current_codings(demo_project, "excel") == expected(demo_project)


def test_rows_that_do_not_map_are_each_named(coded_project, tmp_path):
    path = write(
        tmp_path / "bad.csv",
        ["ID", "Code 1"],
        [
            ["R001", "mixed-support"],
            ["R999", "mixed-support"],
            ["R001", ""],
            ["", "mixed-support"],
            [next(r for r, t in KEY.items() if r == "R020"), "mixed-support"],
        ],
    )
    with pytest.raises(ThematicError) as caught:
        import_wide(coded_project, path, coder="nvivo", id_column="ID", question="answer")
    assert str(caught.value) == (
        "bad.csv: 4 problems: row 3, column 'ID': respondent 'R999' is not in this project; row 4, "
        "column 'ID': "
        "respondent 'R001' is also on row 2; row 5, column 'ID': empty; row 6: respondent 'R020' "
        "has no answer to "
        "'answer', yet the row has codes (fix the file and import it again; nothing was recorded)"
    )


@pytest.mark.parametrize(
    "kwargs, header, message",
    [
        (
            dict(id_column="id"),
            ["ID", "Code 1"],
            "column 'id' (from --id) not found in f.csv (columns are: ID, Code 1)",
        ),
        (dict(question="q2"), ["ID", "Code 1"], "question 'q2' is not in this project (questions: answer)"),
        (
            dict(),
            ["ID", "role"],
            "found no code columns in f.csv (name them 'Code 1', 'Code 2', ... holding code "
            "names, or give one 0/1 column per code; or name them with --code-column)",
        ),
        (
            dict(code_columns=["role"]),
            ["ID", "role"],
            "codes not in the codebook: 'x' (pass --add-codes to add them to a new codebook version, or "
            "rename them to theme ids or names: negative-responses, possibilities-of-ai, mixed-support, "
            "therapeutic-risks)",
        ),
        (
            dict(coder="machine"),
            ["ID", "Code 1"],
            "coder name 'machine' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)",
        ),
    ],
)
def test_wide_errors(coded_project, tmp_path, kwargs, header, message):
    path = write(tmp_path / "f.csv", header, [["R001", "x"]])
    arguments = dict(coder="nvivo", id_column="ID", question="answer") | kwargs
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        import_wide(coded_project, path, **arguments)


def test_sentence_units_are_refused(coded_project, tmp_path):
    from thematic.store.corpus import insert_units

    unit = next(u for u in list_units(coded_project) if u.respondent_id == "R001")
    with coded_project.transaction():
        insert_units(coded_project, [("R001.extra", unit.response_id, 1, 0, 5, unit.text[:5], "x")])
    path = write(tmp_path / "f.csv", ["ID", "Code 1"], [["R001", "mixed-support"]])
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            "import-wide maps each row to a whole answer, but respondent 'R001''s answer to "
            "'answer' is split into "
            "2 units (import the survey with --unit response to use import-wide)"
        )
        + "$",
    ):
        import_wide(coded_project, path, coder="nvivo", id_column="ID", question="answer")


def test_import_wide_cli(cli, coded_project, tmp_path):
    path = code_columns_file(tmp_path, extra={"R001": "Hope"})
    result = cli(
        "decisions",
        "import-wide",
        path,
        "--coder",
        "nvivo",
        "--id",
        "ID",
        "--question",
        "answer",
        "--add-codes",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("added 1 theme to a new codebook version 2: hope (give them definitions)\n")
    assert result.stdout == (
        "recorded 112 decisions for nvivo from codes.csv (code columns: Code 1, Code 2, "
        "Code 3); 12 with no theme, 8 rows without an answer left out\n"
    )


# -- the steps of an import, one by one ----------------------------------------------------------------


def _table(path):
    from thematic.ingest.readers import read_table

    return read_table(path)


def test_step_code_columns_and_codes(tmp_path):
    from thematic.review.wide import codes_in, find_code_columns, id_index

    table = _table(code_columns_file(tmp_path))
    at_id = id_index(table.columns, "ID", "codes.csv")
    found = find_code_columns(table, at_id, None, "codes.csv")
    assert found == ("code columns", ["Code 1", "Code 2", "Code 3"])
    codes = codes_in(table, "code columns", [2, 3, 4], "codes.csv")
    assert sorted(codes) == sorted(NAMES.values())
    binary = _table(binary_file(tmp_path))
    layout, chosen = find_code_columns(binary, 0, None, "binary.csv")
    assert (layout, chosen) == ("0/1 columns", [NAMES[t] for t in THEMES])   # "note" holds x and y
    assert codes_in(binary, layout, [2, 3, 4, 5], "binary.csv") == chosen
    named = [NAMES[THEMES[0]]]
    assert find_code_columns(binary, 0, named, "binary.csv") == ("0/1 columns", named)
    assert find_code_columns(table, 0, ["Code 2"], "codes.csv") == ("code columns", ["Code 2"])
    with pytest.raises(ThematicError, match=r"^column 'Code 9' \(from --code-column\) not found in b.csv"):
        find_code_columns(binary, 0, ["Code 9"], "b.csv")
    with pytest.raises(ThematicError, match=r"^binary.csv: row 2, column 'note': 'x' is not 0 or 1; row 3"):
        codes_in(binary, "0/1 columns", [1], "binary.csv")


def test_step_codes_to_themes(coded_project):
    from thematic.review.wide import theme_lookup, unknown_codes, with_added_themes

    version = current_version(coded_project)
    lookup = theme_lookup(version)
    assert {lookup[n.lower()] for n in NAMES.values()} == set(THEMES)
    assert unknown_codes(list(NAMES.values()) + ["New one"], lookup, version, "f.csv", add_codes=True) == [
        "New one"]
    with pytest.raises(ThematicError, match=r"^codes not in the codebook: 'New one' \(pass --add-codes"):
        unknown_codes(["New one"], lookup, version, "f.csv", add_codes=False)
    assert with_added_themes({"x": "y"}, version)["x"] == "y"
    assert theme_lookup(None) == {}


def test_step_rows_to_units_and_decisions(coded_project, tmp_path):
    from thematic.review.wide import raise_problems, rows_to_units, theme_lookup, wide_decisions

    rows = [["R001", "mixed-support"], ["R999", ""], ["R001", ""]]
    path = write(tmp_path / "r.csv", ["ID", "Code 1"], rows)
    rows = rows_to_units(coded_project, _table(path), "answer", 0, "code columns", [1])
    unit = next(u.id for u in list_units(coded_project) if u.respondent_id == "R001")
    assert rows.coded == [(unit, ["mixed-support"])] and rows.row_of == {unit: 2}
    assert rows.problems == [
        "row 3, column 'ID': respondent 'R999' is not in this project",
        "row 4, column 'ID': respondent 'R001' is also on row 2",
    ]
    with pytest.raises(ThematicError, match=r"^r.csv: 2 problems: row 3, column 'ID'"):
        raise_problems("r.csv", rows.problems)
    version = current_version(coded_project)
    (decision,) = wide_decisions(rows.coded, theme_lookup(version), "nvivo", version.content_hash, "d")
    assert (decision.unit_id, decision.themes, decision.kind) == (unit, {"mixed-support"}, "code")
    assert wide_decisions(rows.coded, theme_lookup(version), "nvivo", "h", "d")[0].uuid == decision.uuid


def test_a_named_column_of_code_names(coded_project, tmp_path):
    """--code-column on a column of code names (ids or names, any case; several in a cell separated by
    ';', as corpora/ai-therapy-key.csv has them) reads them as codes, as the "Code 1" columns are read; a
    named 0/1 column beside it is refused, nothing recorded."""
    rows = [[rid, "; ".join(NAMES[t] for t in sorted(themes, key=THEMES.index))]
            for rid, themes in KEY.items()]
    path = write(tmp_path / "key.csv", ["ID", "themes"], rows)
    report = import_wide(coded_project, path, coder="key", id_column="ID", question="answer",
                         code_columns=["themes"])
    assert report.layout == "code columns" and report.code_columns == ["themes"]
    standing = store.current_codings(coded_project, "key")
    units = {u.respondent_id: u.id for u in list_units(coded_project)}
    assert standing == {units[rid]: themes for rid, themes in KEY.items() if rid in units}
    assert any(len(themes) == 2 for themes in standing.values())  # "a; b" in one cell: two codes

    mixed = write(tmp_path / "mixed.csv", ["ID", "themes", "risk"], [["R001", "mixed-support", "1"]])
    with pytest.raises(ThematicError) as caught:
        import_wide(coded_project, mixed, coder="other", id_column="ID", question="answer",
                    code_columns=["themes", "risk"])
    assert str(caught.value) == (
        "--code-column names columns of code names (themes) and columns of 0/1 (risk); name columns of one "
        "kind (code names, or one 0/1 column per code)")
    assert "other" not in store.coders(coded_project)
