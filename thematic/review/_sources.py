"""What review needs from the codebook and the machine, behind one small seam.

The codebook store (``thematic.store.codebooks``) and the machine suggestions (``thematic.store.ml``)
are imported lazily here, so that review, sheets and merges work in a project with no suggest run.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class Suggestions:
    """The machine's suggestions a review or a sheet shows: each unit's from the latest suggest run that
    covers its question (``thematic.store.ml.current_runs``), so a project whose questions were suggested
    in separate runs (``suggest --question A``, then ``--question B``) shows them all."""

    scores: dict[str, dict[str, tuple[float, bool]]]  # unit id -> theme id -> (score, assigned)
    run_of: dict[str, SuggestRunRecord]  # unit id -> the run its scores come from
    by_question: dict[str, SuggestRunRecord]  # question id -> its current run

    @property
    def runs(self) -> list[SuggestRunRecord]:
        """The runs the suggestions come from, oldest first."""
        return sorted({r.id: r for r in self.run_of.values()}.values(), key=lambda r: r.id)

    @property
    def run(self) -> SuggestRunRecord | None:
        """The one run every unit's suggestions come from; None when they come from several."""
        runs = self.runs
        return runs[0] if len(runs) == 1 else None

    def run_ids(self) -> dict[str, int]:
        """unit id -> the id of its run."""
        return {u: r.id for u, r in self.run_of.items()}

    def thresholds(self) -> dict[str, dict[str, float]]:
        """unit id -> theme id -> the threshold of the unit's run (:func:`thresholds`)."""
        per_run = {}
        for run in self.runs:
            mine = {u: per for u, per in self.scores.items() if self.run_of[u].id == run.id}
            per_run[run.id] = thresholds(run, mine)
        return {u: per_run[r.id] for u, r in self.run_of.items()}

    def review_order(self) -> dict[str, int]:
        """unit id -> its place in its learned run's review order (``review_order`` in the run's
        parameters: the uncoded units it is least sure of, spread out); runs without one add nothing."""
        out: dict[str, int] = {}
        for run in self.runs:
            ranked = run.parameters.get("review_order")
            if isinstance(ranked, list):
                out.update({u: k for k, u in enumerate(ranked) if u in self.run_of
                            and self.run_of[u].id == run.id})
        return out


def suggestions(project: Project, question: str | None = None) -> Suggestions | None:
    """The machine's suggestions on ``question``'s units (or every unit), each unit's from the latest run
    that covers its question; None when no run covers any of them."""
    from thematic.store.corpus import list_units
    from thematic.store.ml import current_runs

    runs = {q: r for q, r in current_runs(project).items() if question is None or q == question}
    if not runs:
        return None
    wanted: dict[int, set[str]] = {}
    for unit in list_units(project, question_id=question):
        run = runs.get(unit.question_id)
        if run is not None:
            wanted.setdefault(run.id, set()).add(unit.id)
    merged: dict[str, dict[str, tuple[float, bool]]] = {}
    run_of: dict[str, SuggestRunRecord] = {}
    for run in {r.id: r for r in runs.values()}.values():
        mine = wanted.get(run.id, set())
        for unit_id, per in scores(project, run).items():
            if unit_id in mine:
                merged[unit_id], run_of[unit_id] = per, run
    return Suggestions(merged, run_of, runs)


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
