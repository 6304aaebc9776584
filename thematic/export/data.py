"""What every export starts from: one coder's current codings, with units, respondents and themes.

The coder is a human coder in the decision log, ``consensus`` (reconciled codings) or ``machine`` (the
latest suggest run's assignments). A coding is a coder's latest standing ``code`` decision on a unit
(DESIGN.md, "Decisions: the log"); a unit the coder has not coded has no coding (``themes`` is None),
which is not the same as "coded, no theme applies" (an empty set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thematic.errors import ThematicError
from thematic.store.corpus import Unit, check_question
from thematic.store.project import Project

if TYPE_CHECKING:
    from thematic.store.ml import SuggestRunRecord

MACHINE = "machine"
CONSENSUS = "consensus"


@dataclass(frozen=True)
class ThemeInfo:
    """A theme as exports show it. ``in_codebook`` is False for a theme id that was coded under an
    earlier codebook version and is not in the current one (its name is then its id)."""

    id: str
    name: str
    definition: str = ""
    colour: str | None = None
    parent_id: str | None = None
    in_codebook: bool = True


@dataclass(frozen=True)
class CodedUnit:
    unit: Unit
    attributes: dict
    themes: frozenset[str] | None  # None: not coded by this coder
    decided_at: str | None
    scores: dict[str, float] = field(default_factory=dict)  # machine scores (latest run), theme -> score


@dataclass
class Coded:
    """One coder's codings of every unit (of one question, or all), ready to export."""

    coder: str
    question: str | None
    themes: list[ThemeInfo]
    units: list[CodedUnit]
    attribute_names: list[str]
    codebook_name: str | None
    codebook_title: str | None
    codebook_version: int | None
    codebook_hash: str | None
    suggest_run: SuggestRunRecord | None

    def theme(self, theme_id: str) -> ThemeInfo:
        return next(t for t in self.themes if t.id == theme_id)

    @property
    def coded(self) -> list[CodedUnit]:
        return [u for u in self.units if u.themes is not None]


def check_coder(project: Project, coder: str) -> str:
    """``coder`` if it has codings to export; a ThematicError that lists the coders otherwise."""
    from thematic.store.decisions import coders
    from thematic.store.ml import latest_suggest_run

    if coder == MACHINE:
        if latest_suggest_run(project) is None:
            raise ThematicError(
                "the machine has no suggestions yet (run `thematic suggest` first, or choose "
                "a coder with --coder NAME)"
            )
        return coder
    known = coders(project)
    if coder not in known:
        listed = ", ".join(known) if known else "nobody has coded yet"
        raise ThematicError(
            f"coder '{coder}' has no decisions in this project (coders: {listed}; "
            "or --coder machine for the machine's suggestions)"
        )
    return coder


def default_coder(project: Project) -> str:
    """``consensus`` when there is one, else the only human coder, else ``machine`` when a suggest run
    exists; a ThematicError when the choice is not clear."""
    from thematic.store.decisions import coders
    from thematic.store.ml import latest_suggest_run

    known = coders(project)
    if CONSENSUS in known:
        return CONSENSUS
    if len(known) == 1:
        return known[0]
    if len(known) > 1:
        raise ThematicError(
            f"several coders have coded: {', '.join(known)} (choose one with --coder NAME, "
            "or reconcile them into consensus first)"
        )
    if latest_suggest_run(project) is not None:
        return MACHINE
    raise ThematicError(
        "nobody has coded yet and there are no machine suggestions (code some units, or run "
        "`thematic suggest`, first)"
    )


def theme_infos(
    project: Project, coded_ids: set[str], question: str | None = None
) -> tuple[list[ThemeInfo], object]:
    """Themes of the current codebook (of ``question``, when given; in its order), then any coded theme
    it lacks; and the version."""
    from thematic.store.codebooks import current_version

    version = current_version(project, question=question)
    themes: list[ThemeInfo] = []
    if version is not None:
        themes = [
            ThemeInfo(t.id, t.name, t.definition, t.colour, t.parent_id) for t in version.codebook.themes
        ]
    known = {t.id for t in themes}
    themes += [ThemeInfo(t, t, in_codebook=False) for t in sorted(coded_ids - known)]
    return themes, version


def attribute_names(attributes: dict[str, dict]) -> list[str]:
    """Attribute names in the order they first appear."""
    names: dict[str, None] = {}
    for attrs in attributes.values():
        for key in attrs:
            names.setdefault(key, None)
    return list(names)


def load_coded(project: Project, coder: str, *, question: str | None = None) -> Coded:
    """Gather ``coder``'s codings (see the module docstring) of every unit, or of one question's."""
    from thematic.review.decisions import effective
    from thematic.store.corpus import list_units, respondent_attributes
    from thematic.store.decisions import current_codings, decisions
    from thematic.store.ml import latest_suggest_run, run_scores

    check_question(project, question)
    check_coder(project, coder)
    codings = current_codings(project, coder, question=question)
    run = latest_suggest_run(project)
    if coder == MACHINE:
        at = {unit_id: run.created_at for unit_id in codings}
    else:
        at = {
            d.unit_id: d.at
            for d in effective(decisions(project, coder=coder, question=question))
            if d.kind == "code"
        }
    scores: dict[str, dict[str, float]] = {}
    if run is not None:
        scores = {u: {t: s for t, (s, _) in per.items()} for u, per in run_scores(project, run.id).items()}
    attributes = respondent_attributes(project)
    units = [
        CodedUnit(
            u,
            attributes.get(u.respondent_id, {}),
            codings.get(u.id),
            at.get(u.id) if u.id in codings else None,
            scores.get(u.id, {}),
        )
        for u in list_units(project, question_id=question)
    ]
    themes, version = theme_infos(project, {t for ts in codings.values() for t in ts}, question)
    return Coded(
        coder=coder,
        question=question,
        themes=themes,
        units=units,
        attribute_names=attribute_names(attributes),
        codebook_name=version.codebook.codebook if version else None,
        codebook_title=version.codebook.title if version else None,
        codebook_version=version.number if version else None,
        codebook_hash=version.content_hash if version else None,
        suggest_run=run,
    )
