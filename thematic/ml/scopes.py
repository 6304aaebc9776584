"""Which units a suggest run scores against which codebook: one run per codebook version.

A project may code its questions with different codebooks (``thematic codebook use FILE --question Q``).
A suggest run scores one codebook version, so ``thematic suggest`` makes one run per version in use, over
the units of the questions that version codes (:func:`run_scopes`); ``--question Q`` limits it to that
question. Each run records its questions (``suggest_run_questions``), and the coder ``machine`` on a unit
is the latest run that covers the unit's question (``thematic.store.ml.current_runs``).

This module only decides the scopes and runs :func:`thematic.ml.suggest.suggest` or
:func:`thematic.ml.learner.suggest_learned` once per scope; scoring lives in those modules.
"""

from __future__ import annotations

from thematic.errors import ThematicError
from thematic.review.codings import Book, books_in_view

RunScope = Book  # one codebook version and the questions whose units a run scores against it


def run_scopes(project, question: str | None = None) -> list[Book]:
    """One scope per codebook version in use, in the order of the questions (``question``: that question
    alone): the books of :func:`thematic.review.codings.books_in_view` that have questions. Raises
    ThematicError for a question not in the project, a question with no codebook, no codebook in use, or
    no question to score."""
    from thematic.ml.suggest import NO_UNITS
    from thematic.store.codebooks import require_current

    if question is not None:
        return [Book(require_current(project, question=question), (question,))]
    books = books_in_view(project)
    if not books:
        require_current(project)  # raises: no codebook in use
    books = [b for b in books if b.questions]
    if not books:
        raise ThematicError(NO_UNITS)
    return books


def scope_units(project, scope: RunScope) -> list:
    """The units of the scope's questions, in the project's order."""
    from thematic.store import corpus

    wanted = set(scope.questions)
    return [u for u in corpus.list_units(project) if u.question_id in wanted]


def single_scope(project) -> RunScope:
    """The scope of a project whose questions share one codebook (the codebook store's message when they
    do not, which names --question)."""
    from thematic.store.codebooks import require_current

    version = require_current(project)
    scopes = [s for s in run_scopes(project) if s.version.number == version.number]
    return scopes[0] if scopes else RunScope(version, ())


def _thresholds_for(scope: RunScope, thresholds, scopes: list[RunScope]):
    """The part of ``--threshold THEME=x`` that names this scope's themes (one number: for every theme)."""
    if not isinstance(thresholds, dict) or len(scopes) == 1:
        return thresholds
    ids = set(scope.version.codebook.ids())
    kept = {k: v for k, v in thresholds.items() if k == "*" or k in ids}
    return kept or None


def _check_thresholds(thresholds, scopes: list[RunScope]) -> None:
    if not isinstance(thresholds, dict) or len(scopes) == 1:
        return  # one codebook: suggest itself names the unknown theme
    every = {t for s in scopes for t in s.version.codebook.ids()}
    for theme in thresholds:
        if theme != "*" and theme not in every:
            books = ", ".join(f"{s.version.name} version {s.version.number}" for s in scopes)
            raise ThematicError(f"--threshold names theme '{theme}', which is in none of the codebooks in "
                                f"use ({books}) (list their themes with `thematic codebook show --question "
                                "Q`)")


def suggest_each(project, *, question: str | None = None, learn: bool = False, from_coder: str = "consensus",
                 model=None, thresholds=None, seed: int = 0, progress=None) -> list:
    """``thematic suggest``: one stored run per scope (:func:`run_scopes`); their summaries, in order.

    Every scope is checked before the first run is stored (themes, units, and with ``learn`` the coder's
    decisions), so bad input stores nothing."""
    from thematic.ml.suggest import run_inputs, suggest

    scopes = run_scopes(project, question)
    _check_thresholds(thresholds, scopes)
    for scope in scopes:
        try:
            _version, themes, units = run_inputs(project, seed, scope)
            if learn:
                from thematic.ml.learner import check_training

                check_training(project, [t.id for t in themes], units, from_coder=from_coder)
        except ThematicError as exc:
            if len(scopes) == 1:
                raise
            raise ThematicError(f"codebook {scope.version.name} version {scope.version.number} "
                                f"(questions {', '.join(scope.questions)}): {exc.message} (or limit suggest "
                                "to other questions with --question Q); nothing stored",
                                exc.exit_code) from None
    runs = []
    for scope in scopes:
        if learn:
            from thematic.ml.learner import suggest_learned

            runs.append(suggest_learned(project, from_coder=from_coder, model=model, seed=seed,
                                        progress=progress, scope=scope))
        else:
            runs.append(suggest(project, model=model, thresholds=_thresholds_for(scope, thresholds, scopes),
                                seed=seed, progress=progress, scope=scope))
    return runs
