"""What the `thematic codebook` commands do, one call each: use a file, compare, export.

The SQL lives in :mod:`thematic.store.codebooks`; this module joins it to files and formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thematic.codebook.diff import CodebookDiff, diff_codebooks
from thematic.codebook.load import parse_codebook, read_codebook_text
from thematic.codebook.model import Codebook
from thematic.errors import ThematicError
from thematic.store.codebooks import (
    CodebookUse,
    CodebookVersion,
    get_version,
    previous_version,
    record_use,
    require_current,
)
from thematic.store.project import Project

FORMATS = ("yaml", "qdc", "md")


@dataclass(frozen=True)
class UseReport:
    """What `codebook use` did, and what changed from the version that was current before."""

    use: CodebookUse
    diff: CodebookDiff | None  # None when nothing was current before, or the same version was

    @property
    def version(self) -> CodebookVersion:
        return self.use.version


def use_file(project: Project, path: str | Path, *, questions=None) -> UseReport:
    """Validate a codebook file, store it as a version (if new) and make it current (for ``questions``
    only, when given; see :mod:`thematic.store.codebooks` for the rules)."""
    text = read_codebook_text(path)
    codebook = parse_codebook(text, str(path))
    use = record_use(project, codebook, yaml_text=text, questions=questions)
    diff = None
    if use.previous is not None and use.previous.number != use.version.number:
        diff = diff_codebooks(use.previous.codebook, codebook)
    return UseReport(use, diff)


def version_or_current(
    project: Project, number: int | None, *, question: str | None = None
) -> CodebookVersion:
    return require_current(project, question=question) if number is None else get_version(project, number)


# -- comparing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    old_label: str
    new_label: str
    diff: CodebookDiff


def is_file_spec(spec: str | None) -> bool:
    return spec is not None and not spec.isdigit()


def _resolve(project: Project | None, spec: str) -> tuple[str, Codebook]:
    if spec.isdigit():
        assert project is not None
        return f"version {int(spec)}", get_version(project, int(spec)).codebook
    path = Path(spec)
    if not path.exists():
        raise ThematicError(
            f"'{spec}' is neither a version number nor a codebook file (versions are numbers, as `thematic "
            "codebook versions` lists them)"
        )
    return str(path), parse_codebook(read_codebook_text(path), str(path))


def compare(project: Project | None, old: str | None = None, new: str | None = None) -> Comparison:
    """Compare two codebooks, each a version number or a YAML file.

    No arguments: the version current before the current one, against the current one. One: that one
    against the current version. ``project`` may be None only when both are files.
    """
    if old is None:
        assert project is not None
        current = require_current(project)
        before = previous_version(project)
        if before is None:
            raise ThematicError(
                f"only one codebook version has been used in this project (version {current.number}) (pass a "
                "version or a FILE to compare it with)"
            )
        return Comparison(
            f"version {before.number}",
            f"version {current.number}",
            diff_codebooks(before.codebook, current.codebook),
        )
    old_label, old_cb = _resolve(project, old)
    if new is None:
        assert project is not None
        current = require_current(project)
        new_label, new_cb = f"version {current.number}", current.codebook
    else:
        new_label, new_cb = _resolve(project, new)
    return Comparison(old_label, new_label, diff_codebooks(old_cb, new_cb))


# -- export ---------------------------------------------------------------------------------------
def check_format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ThematicError(f"format '{fmt}' not known (use yaml, qdc or md)")
    return fmt


def export_text(codebook: Codebook, fmt: str, *, version: CodebookVersion | None = None) -> str:
    """The codebook as YAML (a stored version: the text as it was used), REFI-QDA .qdc, or markdown."""
    fmt = check_format(fmt)
    if fmt == "yaml":
        if version is not None and version.yaml_text:
            return version.yaml_text if version.yaml_text.endswith("\n") else version.yaml_text + "\n"
        return codebook.to_yaml()
    if fmt == "qdc":
        from thematic.codebook.qdc import to_qdc

        return to_qdc(codebook)
    from thematic.codebook.markdown import to_markdown

    return to_markdown(
        codebook, version=version.number if version else None, content_hash=codebook.content_hash()
    )
