"""The review session as a state machine (no terminal): keys, decisions, undo, resume, orders, panels."""

from __future__ import annotations

import re

import pytest

from tests.review.conftest import KEY, THEMES
from thematic.errors import ThematicError
from thematic.review.keys import LineKeys, tokenize
from thematic.review.session import ReviewSession, code_one, others_panel, plan_walk
from thematic.store import decisions as store
from thematic.store.codebooks import require_current


def session_for(project, coder="ana", **kw) -> ReviewSession:
    version = require_current(project)
    walk = plan_walk(
        project,
        version,
        question=kw.pop("question", None),
        theme=kw.pop("theme", None),
        order=kw.pop("order", "document"),
        seed=kw.pop("seed", 0),
        blind=kw.get("blind", False),
    )
    return ReviewSession(
        project,
        walk.units,
        coder=coder,
        codebook=version,
        suggestions=walk.suggestions,
        run_id=walk.run_id,
        **kw,
    )


def numbers(themes) -> list[str]:
    return [str(THEMES.index(t) + 1) for t in sorted(themes, key=THEMES.index)]


def follow_key(session: ReviewSession, n: int) -> None:
    """Code the next n units as the key says, the way a coder would: digits, or 0 for none, then Enter."""
    for _ in range(n):
        themes = KEY[session.unit.respondent_id]
        for token in numbers(themes) or ["0"]:
            session.do(token)
        session.do("enter")


def test_digits_toggle_and_enter_saves_a_committed_decision(coded_project):
    session = session_for(coded_project)
    first = session.unit
    session.do("1")
    session.do("3")
    session.do("1")
    assert session.view().themes[2].selected and not session.view().themes[0].selected
    decision = session.save()
    assert decision.themes == {"mixed-support"} and decision.kind == "code"
    assert decision.codebook_hash == require_current(coded_project).content_hash
    assert decision.suggestions is None  # no suggest run: nothing was shown
    assert session.message == f"saved: {first.id} coded mixed-support"
    assert store.current_codings(coded_project, "ana") == {first.id: frozenset({"mixed-support"})}
    assert session.unit.id != first.id and session.view().done == 1


def test_enter_with_nothing_selected_asks_for_0(coded_project):
    session = session_for(coded_project)
    session.do("enter")
    assert session.message == "nothing selected: press a theme's number, or 0 for 'no theme applies'"
    assert store.count(coded_project) == 0
    session.do("0")
    session.do("enter")
    assert store.decisions(coded_project)[0].themes == frozenset()


def test_unknown_keys_and_theme_numbers_are_explained(coded_project):
    session = session_for(coded_project)
    session.do("7")
    assert session.message == "there is no theme 7 (themes are numbered 1 to 4)"
    session.do("x")
    assert session.message == "unknown key 'x' (press ? for help)"
    session.do("Mixed-Support")  # a theme id works as a token, any case
    assert session.draft == {"mixed-support"}


def test_skip_comes_back_at_the_end_and_flag_keeps_note_and_tentative_themes(coded_project):
    session = session_for(coded_project)
    skipped = session.unit
    session.do("s")
    flagged = session.unit
    session.set_note("ask ben about this")
    session.do("4")
    session.do("f")
    kinds = [(x.kind, x.unit_id, x.themes, x.note) for x in store.decisions(coded_project)]
    assert kinds == [
        ("skip", skipped.id, frozenset(), None),
        ("flag", flagged.id, frozenset({"therapeutic-risks"}), "ask ben about this"),
    ]
    session.quit()
    again = session_for(coded_project)
    assert [u.id for u in again.queue[-2:]] == [skipped.id, flagged.id]
    assert again.unit.id not in (skipped.id, flagged.id)
    assert again.done == 0


def test_undo_names_its_target_and_goes_back(coded_project):
    session = session_for(coded_project)
    first = session.unit
    session.do("2")
    saved = session.save()
    session.do("u")
    undo = store.decisions(coded_project)[-1]
    assert undo.kind == "undo" and undo.target_uuid == saved.uuid and undo.unit_id == first.id
    assert session.unit.id == first.id and session.draft == {"possibilities-of-ai"}
    assert session.message == f"saved: undid your coding (possibilities-of-ai) of {first.id}"
    assert store.current_codings(coded_project, "ana") == {}
    session.do("4")  # (3 would be a second stance, which the demo codebook's stance group refuses)
    session.do("enter")
    assert store.current_codings(coded_project, "ana") == {
        first.id: frozenset({"therapeutic-risks", "possibilities-of-ai"})
    }


def test_undo_with_nothing_to_undo(coded_project):
    session = session_for(coded_project)
    session.do("u")
    assert session.message == "nothing to undo" and store.count(coded_project) == 0


def test_quitting_and_coming_back_resumes_where_the_coder_stopped(coded_project):
    session = session_for(coded_project)
    follow_key(session, 5)
    session.do("1")
    session.do("q")
    assert session.finished
    assert session.message == (
        "quit: 5 decisions saved in this session (the unsaved selection on screen was not "
        "saved); run the same command to go on where you stopped"
    )
    again = session_for(coded_project)
    assert again.unit.id == session.unit.id and again.done == 5 and again.view().total == 112


def test_a_whole_corpus_coded_through_the_session_matches_the_key(coded_project):
    session = session_for(coded_project)
    follow_key(session, 112)
    assert session.unit is None and session.view().done == 112
    session.do("1")
    assert session.message == "nothing left to code here (u undoes your last decision, q quits)"
    codings = store.current_codings(coded_project, "ana")
    units = {u.id: u.respondent_id for u in session.units}
    assert {units[u]: t for u, t in codings.items()} == {r: t for r, t in KEY.items() if r in units.values()}


def test_recode_walks_coded_units_with_their_coding_ready(coded_project):
    session = session_for(coded_project)
    follow_key(session, 2)
    again = session_for(coded_project, recode=True)
    first = again.unit
    assert again.draft == set(KEY[first.respondent_id]) and again.view().earlier.startswith("coded")


def test_suggestions_shown_recorded_and_accepted(suggested_project):
    session = session_for(suggested_project)
    view = session.view()
    assert view.has_suggestions and all(line.score is not None for line in view.themes)
    session.do("a")
    expected = {t.id for t in view.themes if t.suggested}
    assert session.draft == expected
    decision = session.save()
    assert decision.themes == expected
    assert decision.suggestions["assigned"] == sorted(expected) and set(
        decision.suggestions["scores"]
    ) == set(THEMES)


def test_blind_hides_suggestions_and_other_coders(suggested_project):
    unit_id = session_for(suggested_project).unit.id
    code_one(suggested_project, unit_id, coder="ben", themes=["mixed-support"])
    seeing = session_for(suggested_project, panel=others_panel(suggested_project, "ana"))
    assert seeing.view().panel == ("ben coded: mixed-support",)
    blind = session_for(suggested_project, blind=True, panel=others_panel(suggested_project, "ana"))
    view = blind.view()
    assert view.panel == () and not view.has_suggestions and all(t.score is None for t in view.themes)
    blind.do("a")
    assert blind.message == "no machine suggestions to accept (blind review)"
    blind.do("2")
    assert blind.save().suggestions is None


def test_accept_without_a_suggest_run(coded_project):
    session = session_for(coded_project)
    session.do("a")
    assert session.message == "no machine suggestions for this unit (run `thematic suggest` first)"


def test_orders(suggested_project):
    version = require_current(suggested_project)
    document = plan_walk(suggested_project, version).units
    shuffled = plan_walk(suggested_project, version, order="random", seed=3).units
    assert shuffled == plan_walk(suggested_project, version, order="random", seed=3).units
    assert shuffled != document and sorted(u.id for u in shuffled) == sorted(u.id for u in document)
    walk = plan_walk(suggested_project, version, order="uncertain")
    scores = walk.suggestions
    margins = [min(abs(s - 0.5) for s, _ in scores[u.id].values()) for u in walk.units]
    assert margins == sorted(margins)
    blind = plan_walk(suggested_project, version, order="uncertain", blind=True)
    assert blind.units == walk.units and blind.suggestions is None and blind.run_id is None
    risks = plan_walk(suggested_project, version, theme="therapeutic-risks").units
    assert risks and all(scores[u.id]["therapeutic-risks"][1] for u in risks)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"order": "alphabetical"},
            "--order must be document, uncertain or random, not 'alphabetical'",
        ),
        ({"question": "q9"}, "question 'q9' is not in this project (questions: answer)"),
        (
            {"theme": "hope"},
            "theme 'hope' is not in the codebook (themes are: negative-responses, "
            "possibilities-of-ai, mixed-support, therapeutic-risks)",
        ),
        (
            {"theme": "mixed-support", "blind": True},
            "--theme picks units by the machine's suggestions, which --blind hides (drop one of the two)",
        ),
        ({"theme": "mixed-support"}, "--theme needs machine suggestions (run `thematic suggest` first)"),
        (
            {"order": "uncertain"},
            "--order uncertain needs machine suggestions (run `thematic suggest` first, or use "
            "--order document)",
        ),
    ],
)
def test_walk_errors(coded_project, kwargs, message):
    with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
        plan_walk(coded_project, require_current(coded_project), **kwargs)


def test_reconcile_hook_consensus_coder_with_a_panel(coded_project):
    version = require_current(coded_project)
    units = plan_walk(coded_project, version).units[:3]
    with pytest.raises(ThematicError, match="reserved for reconciled codings"):
        ReviewSession(coded_project, units, coder="consensus", codebook=version)
    session = ReviewSession(
        coded_project,
        units,
        coder="consensus",
        codebook=version,
        allow_consensus=True,
        panel=lambda unit: [f"ana coded: x on {unit.respondent_id}", "ben coded: y"],
    )
    assert session.view().panel == (f"ana coded: x on {units[0].respondent_id}", "ben coded: y")
    assert session.view().total == 3
    session.do("1")
    session.do(".")
    assert store.coders(coded_project) == ["consensus"]


def test_many_themes_collect_two_digit_numbers_at_a_terminal(demo_project):
    from thematic.codebook.model import Codebook, Theme
    from thematic.store.codebooks import use_codebook

    version = use_codebook(
        demo_project,
        Codebook("many", themes=tuple(Theme(f"t{i}", f"Theme {i}", "A theme.") for i in range(1, 13))),
    )
    units = plan_walk(demo_project, version).units
    session = ReviewSession(demo_project, units, coder="ana", codebook=version)
    session.press("1")
    assert session.pending_digits == "1" and session.draft == set()
    session.press("2")
    assert session.draft == {"t12"}
    session.press("3")  # 3 cannot start a two-digit number here: toggles at once
    assert session.draft == {"t12", "t3"}
    session.press("1")
    session.press("enter")  # Enter completes the number, and does not save yet
    assert session.draft == {"t12", "t3", "t1"} and store.count(demo_project) == 0
    session.press("enter")
    assert store.count(demo_project) == 1


def test_code_one_errors(coded_project):
    unit_id = plan_walk(coded_project, require_current(coded_project)).units[0].id
    cases = [
        (
            dict(themes=["mixed-support"], none=True),
            "--none says no theme applies, so it cannot go with --theme (give one or the other)",
        ),
        (dict(), "say what applies: --theme T (repeat for more), or --none for no theme"),
        (
            dict(themes=["hope"]),
            "theme 'hope' is not in the codebook (themes are: negative-responses, "
            "possibilities-of-ai, mixed-support, therapeutic-risks)",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(ThematicError, match=f"^{re.escape(message)}$"):
            code_one(coded_project, unit_id, coder="ana", **kwargs)
    with pytest.raises(
        ThematicError, match=re.escape("unit 'R1.x' not found (list unit ids with `thematic units`)")
    ):
        code_one(coded_project, "R1.x", coder="ana", none=True)
    assert code_one(coded_project, unit_id, coder="ana", themes=["Mixed support"]).themes == {"mixed-support"}


# -- the line protocol ----------------------------------------------------------------------------------


def test_tokenize_whole_decisions_notes_and_commas():
    assert tokenize("1,3 .") == [("key", "1"), ("key", "3"), ("key", ".")]
    assert tokenize("1 . 2 3 . s") == [
        ("key", "1"),
        ("key", "."),
        ("key", "2"),
        ("key", "3"),
        ("key", "."),
        ("key", "s"),
    ]
    assert tokenize("n 'quoted' 2") == [("note", "quoted"), ("key", "2")]
    assert tokenize('n "unclosed note') == [("note", '"unclosed note')]
    assert tokenize("3 n") == [("key", "3"), ("note?", "")]


def test_line_keys_read_a_lone_n_note_from_the_next_line():
    import io

    events = list(LineKeys(io.StringIO("2 n\nwhat they said, [b]verbatim[/b]\n\nq\n")).events())
    assert events == [
        ("key", "2"),
        ("note", "what they said, [b]verbatim[/b]"),
        ("key", "enter"),
        ("key", "q"),
        ("eof", ""),
    ]


def test_a_unit_that_is_part_of_a_response_is_marked(coded_project):
    from dataclasses import replace

    from rich.console import Console

    from thematic.review.screen import render

    session = session_for(coded_project)
    view = session.view()
    part = replace(view.unit, start=6, end=9)
    console = Console(width=100, force_terminal=False, record=True)
    console.print(render(replace(view, unit=part), terminal=False))
    text = console.export_text()
    assert f"{view.response[:6]}[[{view.response[6:9]}]]{view.response[9:20]}" in text


def test_the_codebook_structure_is_kept_at_save(coded_project):
    """The demo codebook's stance group takes one theme at most: two stances are not saved."""
    session = session_for(coded_project, coder="zoe")
    session.do("1")
    session.do("3")
    assert session.save() is None
    assert session.message == (
        "negative-responses and mixed-support are in group stance, which takes one theme at most: press a "
        "number to drop one"
    )
    session.do("1")
    assert session.save().themes == {"mixed-support"}
    unit = session.unit
    with pytest.raises(ThematicError, match=re.escape(
        "negative-responses and possibilities-of-ai are in group stance, which takes one theme at most "
        "(nothing was recorded)"
    )):
        code_one(coded_project, unit.id, coder="zoe", themes=["negative-responses", "possibilities-of-ai"])
