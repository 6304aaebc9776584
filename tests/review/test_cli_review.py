"""`thematic review` scripted through stdin, and `thematic code`."""

from __future__ import annotations

import io
import re

import pytest

from tests.review.conftest import KEY, THEMES
from thematic.store import decisions as store
from thematic.store.corpus import list_units


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


def key_script(project, respondents=None) -> str:
    lines = []
    for unit in list_units(project):
        if respondents is None or unit.respondent_id in respondents:
            themes = sorted(KEY[unit.respondent_id], key=THEMES.index)
            lines.append(" ".join(str(THEMES.index(t) + 1) for t in themes) or "0")
            lines.append(".")
    return "\n".join(lines) + "\n"


def test_scripted_review_codes_the_demo_corpus(cli, coded_project, stdin):
    stdin(key_script(coded_project).replace("\n.\n", " .\n"))  # one line per decision: "1 4 ."
    result = cli("review", "--coder", "ana")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("saved: ") == 112
    assert "nothing left to code in this walk: 112 of 112 units coded." in result.stdout
    assert result.stdout.rstrip().endswith(
        "quit: 112 decisions saved in this session; run the same command to go on where you stopped"
    )
    units = {u.id: u.respondent_id for u in list_units(coded_project)}
    codings = store.current_codings(coded_project, "ana")
    assert {units[u]: t for u, t in codings.items()} == {units[u]: KEY[units[u]] for u in units}


def test_the_documented_pipe_example(cli, coded_project, stdin):
    stdin("1\n\n2 4\n\nq\n")
    result = cli("review", "--coder", "ana")
    assert result.exit_code == 0
    first, second = list_units(coded_project)[:2]
    assert f"saved: {first.id} coded negative-responses" in result.stdout
    assert f"saved: {second.id} coded possibilities-of-ai, therapeutic-risks" in result.stdout
    assert "selected: 2 possibilities-of-ai, 4 therapeutic-risks" in result.stdout
    assert [d.themes for d in store.decisions(coded_project)] == [
        {"negative-responses"},
        {"possibilities-of-ai", "therapeutic-risks"},
    ]
    # Coming back resumes at the third unit.
    stdin("q\n")
    again = cli("review", "--coder", "ana")
    third = list_units(coded_project)[2]
    assert f"unit {third.id} ·" in again.stdout and "2 of 112 coded" in again.stdout


def test_review_screen_shows_text_as_typed_and_help(cli, coded_project, stdin, tmp_path):
    stdin("?\nq\n")
    result = cli("review", "--coder", "ana")
    assert re.search(r"\nu +undo your last decision and go back to it", result.stdout)
    tricky = tmp_path / "tricky.csv"
    tricky.write_text('id,comment\nX1,"[b]not bold[/b] [red]x[/red] [/]"\n', encoding="utf-8")
    assert cli("import", tricky, "--id", "id", "--text", "comment").exit_code == 0
    stdin("2 n [i]as typed[/i]\n\nq\n")
    result = cli("review", "--coder", "ana", "--question", "comment")
    assert "[b]not bold[/b] [red]x[/red] [/]" in result.stdout
    assert "saved: X1." in result.stdout and store.decisions(coded_project)[0].note == "[i]as typed[/i]"


def test_review_shows_the_attributes_asked_for(cli, coded_project, stdin):
    stdin("q\n")
    result = cli("review", "--coder", "ana", "--show-attr", "would_consider", "--attr", "role")
    assert result.exit_code == 0, result.stderr
    first = list_units(coded_project)[0]
    assert f"unit {first.id} ·" in result.stdout
    assert re.search(r"\nwould_consider: \w+ · role: \w+\n", result.stdout)
    assert "approach:" not in result.stdout
    result = cli("review", "--coder", "ana", "--attr", "rol")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: no respondent attribute 'rol' (--show-attr names one of: role, approach, would_consider, "
        "wai_goal_1,"
    )


def test_blind_review_shows_no_attributes_unless_asked(cli, coded_project, stdin):
    stdin("q\n")
    seeing = cli("review", "--coder", "ana")
    assert re.search(r"\nrole: \w+ · approach: ", seeing.stdout)
    stdin("?\nq\n")                                   # not even on the help screen, which shows them all
    blind = cli("review", "--coder", "ben", "--blind")
    assert blind.exit_code == 0, blind.stderr
    assert "role:" not in blind.stdout and "approach:" not in blind.stdout
    stdin("q\n")
    asked = cli("review", "--coder", "ben", "--blind", "--show-attr", "approach")
    assert re.search(r"\napproach: \w+\n", asked.stdout) and "role:" not in asked.stdout


def test_review_with_suggestions_and_blind(cli, suggested_project, stdin):
    stdin("a .\nq\n")
    result = cli("review", "--coder", "ana", "--order", "uncertain")
    assert "machine" in result.stdout and "suggested" in result.stdout
    stdin("q\n")
    blind = cli("review", "--coder", "ben", "--blind")
    assert "blind" in blind.stdout and "suggested" not in blind.stdout and "ana coded" not in blind.stdout
    stdin("q\n")
    seeing = cli("review", "--coder", "ben", "--order", "uncertain")
    assert "ana coded: " in seeing.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("--coder", "machine"),
            "error: coder name 'machine' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)\n",
        ),
        (
            ("--coder", "consensus"),
            "error: coder name 'consensus' is reserved for reconciled codings "
            "(use `thematic reconcile`, or choose your own name, e.g. --coder ana)\n",
        ),
        (
            ("--coder", "ana", "--order", "uncertain"),
            "error: --order uncertain needs machine suggestions "
            "(run `thematic suggest` first, or use --order document)\n",
        ),
    ],
)
def test_review_errors(cli, coded_project, stdin, args, message):
    stdin("")
    result = cli("review", *args)
    assert (result.exit_code, result.stderr, result.stdout) == (2, message, "")
    assert store.count(coded_project) == 0


def test_review_needs_a_codebook(cli, demo_project, stdin):
    stdin("")
    result = cli("review", "--coder", "ana")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: no codebook in use (run `thematic codebook use FILE` first)\n",
    )


def test_code_one_decision(cli, coded_project):
    unit = list_units(coded_project)[3]
    result = cli(
        "code",
        unit.id,
        "--coder",
        "ana",
        "--theme",
        "negative-responses",
        "-t",
        "Therapeutic risks",
        "--note",
        "silence [b]",
    )
    assert result.exit_code == 0
    assert result.stdout == f"saved: ana coded {unit.id} negative-responses, therapeutic-risks\n"
    result = cli("code", unit.id, "--coder", "ana", "--none", "--json")
    assert '"themes": []' in result.stdout
    assert store.current_codings(coded_project, "ana") == {unit.id: frozenset()}
    assert store.decisions(coded_project)[0].note == "silence [b]"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("--coder", "ana"),
            "error: say what applies: --theme T (repeat for more), or --none for no theme\n",
        ),
        (
            ("--coder", "ana", "--none", "-t", "mixed-support"),
            "error: --none says no theme applies, so it cannot go with --theme (give one or the other)\n",
        ),
        (
            ("--coder", "ana", "-t", "hope"),
            "error: theme 'hope' is not in the codebook (themes are: negative-responses, "
            "possibilities-of-ai, mixed-support, therapeutic-risks)\n",
        ),
        (
            ("--coder", "machine", "--none"),
            "error: coder name 'machine' is reserved for the machine's suggestions "
            "(choose your own name, e.g. --coder ana)\n",
        ),
    ],
)
def test_code_errors(cli, coded_project, args, message):
    unit = list_units(coded_project)[0]
    result = cli("code", unit.id, *args)
    assert (result.exit_code, result.stderr) == (2, message)
    assert store.count(coded_project) == 0


def test_code_unknown_unit(cli, coded_project):
    result = cli("code", "R001.nothere", "--coder", "ana", "--none")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: unit 'R001.nothere' not found (list unit ids with `thematic units`)\n",
    )
