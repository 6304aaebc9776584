"""`thematic run`: the machine steps in one go, from a survey file to a first coded table.

init (or reuse) the project -> import and segment -> use the codebook -> embed -> suggest -> discover
-> DIR/coded-units.csv.

Bad input changes nothing: the codebook is read and checked before the project is touched; the import
and the codebook use are one transaction; a project file this run created is removed again when they
fail. Embeddings are committed as they are made (a cache: an interrupted run keeps them), then the
suggest run and the discovery run are each stored whole.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from thematic.errors import ThematicError

CSV_NAME = "coded-units.csv"


@dataclass
class ThemeRow:
    """One line of the run's theme table."""

    id: str
    name: str
    units: int
    respondents: int
    percent_respondents: float
    exemplar: str | None
    exemplar_unit: str | None


@dataclass
class RunSummary:
    project: str
    created_project: bool
    imported: object                    # thematic.ingest.importer.ImportSummary
    codebook: str
    codebook_version: int
    embedded: object                    # thematic.ml.embed.EmbedSummary
    suggested: object                   # thematic.ml.suggest.SuggestRun
    respondents: int                    # respondents with at least one unit
    units: int
    themes: list[ThemeRow] = field(default_factory=list)
    unassigned_units: int = 0
    discovery: object | None = None     # whatever discover_project returned
    discovery_note: str | None = None
    csv_path: str | None = None

    def to_dict(self) -> dict:
        from dataclasses import asdict, is_dataclass

        def plain(value):
            if hasattr(value, "to_dict"):
                return value.to_dict()
            if is_dataclass(value):
                return asdict(value)
            return value

        return {
            "project": self.project, "created_project": self.created_project,
            "imported": plain(self.imported),
            "codebook": self.codebook, "codebook_version": self.codebook_version,
            "embedded": plain(self.embedded), "suggest_run": plain(self.suggested).get("id"),
            "respondents": self.respondents, "units": self.units,
            "themes": [asdict(t) for t in self.themes], "unassigned_units": self.unassigned_units,
            "discovery": plain(self.discovery), "discovery_note": self.discovery_note, "csv": self.csv_path,
        }


def _check_out_dir(out_dir: Path | None) -> None:
    if out_dir is None:
        return
    if out_dir.exists() and not out_dir.is_dir():
        raise ThematicError(f"--out {out_dir} is a file, not a folder (pass a folder for {CSV_NAME})")
    if not out_dir.exists() and not out_dir.parent.exists():
        raise ThematicError(f"--out {out_dir}: folder {out_dir.parent} does not exist (create it first)")


def _remove_project_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()


def run_job(project_path: str | Path, file: str | Path, options, codebook_path: str | Path, *,
            out_dir: str | Path | None = None, model=None, seed: int = 0, thresholds=None,
            progress=None) -> RunSummary:
    """Import ``file`` into the project at ``project_path`` (created if missing), code it against the
    codebook at ``codebook_path`` and write ``out_dir/coded-units.csv``; returns what each step did.

    ``options``: a :class:`thematic.ingest.importer.ImportOptions`. ``model``: None, a name or path, a
    :class:`thematic.ml.embed.ModelChoice` or a loaded model.
    """
    from thematic.codebook.load import parse_codebook, read_codebook_text
    from thematic.ingest.importer import import_file
    from thematic.ml.discover import discover_project
    from thematic.ml.embed import embed_project
    from thematic.ml.suggest import suggest
    from thematic.store.codebooks import use_codebook
    from thematic.store.engine import is_url
    from thematic.store.ml import unit_count
    from thematic.store.project import create_project

    project_path = project_path if is_url(project_path) else Path(project_path)
    out = Path(out_dir) if out_dir is not None else None
    yaml_text = read_codebook_text(codebook_path)
    codebook = parse_codebook(yaml_text, str(codebook_path))
    _check_out_dir(out)

    project, created = create_project(project_path)
    try:
        try:
            with project.transaction():
                imported = import_file(project, file, options)
                if not unit_count(project):
                    columns = ", ".join(options.text_columns) or "-"
                    raise ThematicError(f"{Path(file).name} has no answers to code (every answer in "
                                        f"{columns} is empty; check --text)")
                version = use_codebook(project, codebook, yaml_text=yaml_text)
        except BaseException:
            if created:
                project.close()
                if not is_url(project_path):
                    _remove_project_file(project_path)
            raise

        embedded = embed_project(project, model=model, progress=progress)
        suggested = suggest(project, model=model, seed=seed, thresholds=thresholds, progress=progress)

        discovery, note = None, None
        try:
            discovery = discover_project(project, model=model, progress=progress)
        except ThematicError as exc:
            note = f"discovery skipped: {exc.message}"

        respondents = suggested.respondents
        rows = [
            ThemeRow(t.id, t.name, t.units, t.respondents,
                     round(100.0 * t.respondents / respondents, 1) if respondents else 0.0,
                     (t.exemplar or {}).get("text"), (t.exemplar or {}).get("unit"))
            for t in suggested.themes
        ]
        csv_path = None
        if out is not None:
            out.mkdir(exist_ok=True)
            csv_path = str(write_coded_units(project, suggested.id, out / CSV_NAME,
                                             [t.id for t in suggested.themes]))
        return RunSummary(
            project=project.location, created_project=created, imported=imported, codebook=version.name,
            codebook_version=version.number, embedded=embedded, suggested=suggested, respondents=respondents,
            units=suggested.units, themes=rows, unassigned_units=suggested.unassigned_units,
            discovery=discovery, discovery_note=note, csv_path=csv_path,
        )
    finally:
        try:
            project.close()
        except Exception:  # already closed after a failed import
            pass


def write_coded_units(project, run_id: int, path: Path, theme_ids: list[str]) -> Path:
    """One row per unit (unit_id, respondent_id, question_id, text, then 0/1 per theme id), in unit order.

    Plain UTF-8 CSV for R, pandas or SPSS; survey text is written exactly as imported.
    """
    from thematic.outfile import write_output
    from thematic.store import corpus
    from thematic.store import ml as store

    codings = store.machine_codings(project, run_id)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["unit_id", "respondent_id", "question_id", "text", *theme_ids])
            for unit in corpus.list_units(project):
                themes = codings.get(unit.id, frozenset())
                writer.writerow([unit.id, unit.respondent_id, unit.question_id, unit.text,
                                 *(1 if t in themes else 0 for t in theme_ids)])

    # the folder is run's own: coded-units.csv is replaced on a rerun, but never the project or an input
    return write_output(path, write, project=project, force=True)
