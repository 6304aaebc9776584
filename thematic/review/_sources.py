"""What review needs from the codebook and the machine, behind one small seam.

The codebook store (``thematic.store.codebooks``) and the machine suggestions (``thematic.store.ml``)
are imported lazily here, so that review, sheets and merges work in a project with no suggest run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thematic.store.project import Project

if TYPE_CHECKING:
    from thematic.store.ml import SuggestRunRecord


def current_codebook(project: Project, question: str | None = None):
    """The current CodebookVersion (of ``question``, when given), or None."""
    from thematic.store.codebooks import current_version

    return current_version(project, question=question)


def require_codebook(project: Project, question: str | None = None, *, one_for: str | None = None):
    """The current CodebookVersion (of ``question``, when given); a ThematicError (from the codebook
    store) if there is none, or if the questions have different codebooks and none is named (``one_for``:
    what records one codebook, named in that message)."""
    from thematic.store.codebooks import require_current

    return require_current(project, question=question, one_for=one_for)


def codebook_by_hash(project: Project, content_hash: str):
    from thematic.store.codebooks import version_by_hash

    return version_by_hash(project, content_hash)


def suggest_run(project: Project, question: str | None = None) -> SuggestRunRecord | None:
    """The suggest run whose suggestions a review of ``question`` shows: the latest that covers it; with
    no question, the run that is current on every question (a ThematicError when the questions' current
    runs differ). None when no run covers them."""
    from thematic.errors import ThematicError
    from thematic.store.ml import current_runs, latest_suggest_run

    if question is not None:
        return latest_suggest_run(project, question=question)
    runs = current_runs(project)
    distinct = {run.id: run for run in runs.values()}
    if len(distinct) <= 1:
        return next(iter(distinct.values()), None)
    listing = "; ".join(f"run {run.id} on {q}" for q, run in runs.items())
    raise ThematicError(
        f"the machine's suggestions come from different suggest runs per question ({listing}); name one "
        "with --question Q"
    )


def scores(project: Project, run: SuggestRunRecord) -> dict[str, dict[str, tuple[float, bool]]]:
    """unit id -> theme id -> (score, assigned) for a suggest run."""
    from thematic.store.ml import run_scores

    return run_scores(project, run.id)


def thresholds(run: SuggestRunRecord,
               scores_by_unit: dict[str, dict[str, tuple[float, bool]]]) -> dict[str, float]:
    """Each theme's threshold in a run: from its parameters ("thresholds" per theme, or one "threshold"),
    else estimated from the scores as the lowest assigned score (or the highest, if none was assigned)."""
    given = run.parameters.get("thresholds")
    single = run.parameters.get("threshold")
    themes = {t for per_unit in scores_by_unit.values() for t in per_unit}
    result: dict[str, float] = {}
    for theme in themes:
        if isinstance(given, dict) and isinstance(given.get(theme), int | float):
            result[theme] = float(given[theme])
        elif isinstance(given, int | float):
            result[theme] = float(given)
        elif isinstance(single, int | float):
            result[theme] = float(single)
        else:
            assigned = [s for per in scores_by_unit.values() for t, (s, a) in per.items() if t == theme and a]
            every = [s for per in scores_by_unit.values() for t, (s, a) in per.items() if t == theme]
            result[theme] = min(assigned) if assigned else max(every)
    return result
