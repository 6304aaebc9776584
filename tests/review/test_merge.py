"""Merging coders' work: JSONL export and import are idempotent and order-independent."""

from __future__ import annotations

import json
import re

import pytest

from tests.review.conftest import KEY, ben_changes
from thematic.errors import ThematicError
from thematic.review.decisions import Decision
from thematic.review.merge import export_decisions, import_decisions
from thematic.store import decisions as store
from thematic.store.corpus import list_units


def new_copy(tmp_path, name):
    """Another copy of the project, built from the same survey file and codebook."""
    from tests.conftest import DEMO_CODEBOOK, DEMO_CSV
    from thematic.codebook.load import load_codebook
    from thematic.ingest.importer import ImportOptions, import_file
    from thematic.store.codebooks import use_codebook
    from thematic.store.project import create_project

    project, _ = create_project(tmp_path / f"{name}.db")
    import_file(project, DEMO_CSV, ImportOptions(id_column="respondent_id", text_columns=["answer"]))
    use_codebook(project, load_codebook(DEMO_CODEBOOK))
    return project


def log_of(project):
    return [d.to_dict() for d in store.decisions(project)]


@pytest.fixture
def two_coders(coded_project, tmp_path):
    """ana and ben coded blind in separate copies; each exported a file."""
    files = {}
    for coder, change in (("ana", lambda r, t: t), ("ben", ben_changes)):
        copy = new_copy(tmp_path, coder)
        units = list_units(copy)
        store.record_many(
            copy, [Decision.new(coder, u.id, change(u.respondent_id, KEY[u.respondent_id])) for u in units]
        )
        # a correction and an undo, so the files carry more than one decision per unit
        redo = Decision.new(coder, units[0].id, {"mixed-support"}, note="changed my mind")
        store.record(copy, redo)
        store.record(copy, Decision.new(coder, units[0].id, (), "undo", target_uuid=redo.uuid))
        files[coder] = tmp_path / f"{coder}.jsonl"
        assert export_decisions(copy, files[coder]) == 114
        copy.close()
    return files


def test_two_files_in_either_order_give_the_same_log(coded_project, two_coders, tmp_path):
    other = new_copy(tmp_path, "other")
    for first, second in (("ana", "ben"), ("ben", "ana")):
        project = coded_project if first == "ana" else other
        assert import_decisions(project, two_coders[first]).added == 114
        assert import_decisions(project, two_coders[second]).added == 114
    assert log_of(coded_project) == log_of(other)
    units = {u.id: u.respondent_id for u in list_units(coded_project)}
    assert store.current_codings(coded_project, "ana") == {u: KEY[r] for u, r in units.items()}
    assert store.current_codings(coded_project, "ben") == {
        u: ben_changes(r, KEY[r]) for u, r in units.items()
    }


def test_the_same_file_twice_adds_nothing(coded_project, two_coders):
    first = import_decisions(coded_project, two_coders["ana"])
    again = import_decisions(coded_project, two_coders["ana"])
    assert (first.added, first.already) == (114, 0)
    assert (again.added, again.already, again.coders) == (0, 114, {})
    assert store.count(coded_project) == 114


def test_export_round_trip_and_stdout(coded_project, two_coders, capsys, cli):
    """The core returns the log's text and writes nothing to the terminal; `decisions export --out -`
    prints it."""
    from thematic.review.merge import log_text

    import_decisions(coded_project, two_coders["ben"])
    capsys.readouterr()
    text, count = log_text(coded_project, coder="ben")
    assert count == 114 and capsys.readouterr().out == ""
    assert text.splitlines() == two_coders["ben"].read_text(encoding="utf-8").splitlines()
    result = cli("decisions", "export", "--out", "-", "--coder", "ben")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines == two_coders["ben"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["at"] for x in lines] == sorted(json.loads(x)["at"] for x in lines)


def lines_with(path, n, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[n - 1] = change(lines[n - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_bad_line_refuses_the_whole_file(coded_project, two_coders):
    path = two_coders["ana"]
    cases = [
        (
            lambda line: line[:-1],
            "ana.jsonl: line 3 is not a decision (not valid JSON (Expecting ',' delimiter); "
            "nothing was imported)",
        ),
        (
            lambda line: line.replace('"kind": "code"', '"kind": "maybe"'),
            "ana.jsonl: line 3 is not a decision ('kind' must be one of code, skip, flag, undo, not 'maybe'; "
            "nothing was imported)",
        ),
        (
            lambda line: line.replace('"coder": "ana"', '"coder": "machine"'),
            "ana.jsonl: line 3 is by coder 'machine', which is reserved for suggest runs (remove such lines; "
            "nothing was imported)",
        ),
        (
            lambda line: re.sub(r'"unit_id": "[^"]+"', '"unit_id": "R999.x"', line),
            "ana.jsonl: line 3 is for unit 'R999.x', which is not in this project (1 unit missing; "
            "import the same "
            "survey file with the same --unit first; nothing was imported)",
        ),
    ]
    original = path.read_text(encoding="utf-8")
    for change, message in cases:
        path.write_text(original, encoding="utf-8")
        lines_with(path, 3, change)
        with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
            import_decisions(coded_project, path)
        assert store.count(coded_project) == 0


def test_an_edited_decision_is_refused(coded_project, two_coders):
    path = two_coders["ana"]
    import_decisions(coded_project, path)
    lines_with(path, 2, lambda line: line.replace('"note": null', '"note": "sneaky"'))
    uuid = json.loads(path.read_text(encoding="utf-8").splitlines()[1])["uuid"]
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            f"ana.jsonl: line 2 has decision id {uuid}, which this project holds with different content (the "
            "file was edited after export; nothing was imported)"
        )
        + "$",
    ):
        import_decisions(coded_project, path)
    duplicate = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([duplicate[0], duplicate[0].replace('"note": null', '"note": "x"')]) + "\n")
    uuid = json.loads(duplicate[0])["uuid"]
    with pytest.raises(
        ThematicError,
        match="^"
        + re.escape(
            f"ana.jsonl: line 2 repeats decision {uuid} of line 1 with different content (the file "
            "was edited; "
            "nothing was imported)"
        )
        + "$",
    ):
        import_decisions(coded_project, path)


def test_decisions_cli(cli, coded_project, two_coders, tmp_path):
    result = cli("decisions", "import", two_coders["ana"])
    assert result.stdout == "added 114 decisions from ana.jsonl (ana 114); 0 already in the log\n"
    result = cli("decisions", "import", two_coders["ana"])
    assert result.stdout == "added 0 decisions from ana.jsonl; 114 already in the log\n"
    out = tmp_path / "back.jsonl"
    result = cli("decisions", "export", "--coder", "ana", "--out", out)
    assert result.stdout == f"wrote 114 decisions to {out}\n"
    assert out.read_bytes() == two_coders["ana"].read_bytes()
    result = cli("decisions", "export", "--coder", "zoe", "--out", out)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: coder 'zoe' has no decisions in this project (coders: ana)\n",
    )
    result = cli("decisions", "import", tmp_path / "nope.jsonl")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: file not found: {tmp_path / 'nope.jsonl'} (check the path)\n",
    )
    result = cli("decisions", "log", "--coder", "ana", "--limit", "2")
    assert (
        result.exit_code == 0 and "undo" in result.stdout and "showing the latest 2 of 114" in result.stderr
    )
    result = cli("decisions", "log", "--json", "--limit", "0")
    assert len(json.loads(result.stdout)) == 114
