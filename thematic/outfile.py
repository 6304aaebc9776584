"""Every file thematic writes goes through here: the checks on the path, and an atomic write.

:func:`check_output` refuses, before any work is done,

* a folder, or a file in a folder that does not exist;
* the project file itself (or its ``-wal`` / ``-shm`` companions), and any other thematic project;
* a file that is one of the project's inputs: its bytes hash to a file imported with ``thematic import``
  (the ``sources`` table keeps the sha256 of every imported file), even under another name;
* an existing file, unless ``force`` (``--force``).

:func:`atomic_write` writes to a temporary file in the target's folder and renames it over the target
at the end, so a failed or interrupted write leaves no half file (and an older file as it was). It
refuses a thematic project as the target even when called without a project: the last line of defence.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from thematic.errors import ExitCode, ThematicError

_SQLITE_HEADER = b"SQLite format 3\x00"
_PROJECT_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _is_thematic_project(path: Path) -> bool:
    """True when ``path`` is an SQLite file whose application id says thematic (header bytes 68-71)."""
    from thematic.store.project import APPLICATION_ID

    try:
        with path.open("rb") as handle:
            head = handle.read(72)
    except OSError:
        return False
    return head.startswith(_SQLITE_HEADER) and int.from_bytes(head[68:72], "big") == APPLICATION_ID


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _imported_as(project, path: Path) -> tuple[str, str] | None:
    """(name, imported_at) of the project source whose bytes ``path`` holds, else None."""
    from thematic.store.corpus import source_hashes, source_with_hash

    try:
        hashes = source_hashes(project)
    except Exception:  # a foreign or damaged database: the other checks still hold
        return None
    if not hashes:
        return None
    digest = _sha256(path)
    if digest is None or digest not in hashes:
        return None
    return source_with_hash(project, digest)


def _check_place(out: Path, option: str) -> None:
    if out.is_dir():
        raise ThematicError(
            f"{option} {out} is a folder (pass a file name, e.g. {option} {out / 'export.csv'})"
        )
    if not out.parent.exists():
        raise ThematicError(
            f"folder {out.parent} does not exist (create it first, or choose another {option})"
        )


def check_output(
    out: str | Path, *, project=None, force: bool = False, option: str = "--out"
) -> Path:
    """Refuse ``out`` if writing it could destroy something (see the module docstring); returns it."""
    out = Path(out)
    _check_place(out, option)
    if project is not None:
        for suffix in _PROJECT_COMPANIONS:
            if _same_file(out, Path(str(project.path) + suffix)):
                raise ThematicError(
                    f"{option} {out} is this project's own file (writing there would destroy the project; "
                    "choose another file name)"
                )
    if not out.exists() and not out.is_symlink():
        return out
    if _is_thematic_project(out):
        raise ThematicError(
            f"{option} {out} is a thematic project (thematic never writes over a project; choose another "
            "file name)"
        )
    if project is not None:
        source = _imported_as(project, out)
        if source is not None:
            name, when = source
            raise ThematicError(
                f"{option} {out} holds {name}, imported into this project on {when[:10]} (thematic never "
                "writes over its input files; choose another file name)"
            )
    if not force:
        raise ThematicError(f"{out} exists already (choose another {option}, or pass --force to replace it)")
    return out


def atomic_write(out: str | Path, write: Callable[[Path], None], *, option: str = "--out") -> Path:
    """Call ``write(tmp)`` with a temporary path beside ``out``, then rename it over ``out``.

    Nothing is left behind on failure; an OSError becomes one line naming the file.
    """
    out = Path(out)
    _check_place(out, option)
    if _is_thematic_project(out):
        raise ThematicError(
            f"{option} {out} is a thematic project (thematic never writes over a project; choose another "
            "file name)"
        )
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ThematicError(
            f"could not write {out}: {exc.strerror or exc} (check the folder is writable)", ExitCode.ERROR
        ) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
    except OSError as exc:
        raise ThematicError(
            f"could not write {out}: {exc.strerror or exc} (check the folder is writable)", ExitCode.ERROR
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out


def write_output(
    out: str | Path,
    write: Callable[[Path], None],
    *,
    project=None,
    force: bool = False,
    option: str = "--out",
) -> Path:
    """:func:`check_output` then :func:`atomic_write`."""
    check_output(out, project=project, force=force, option=option)
    return atomic_write(out, write, option=option)


def write_text(
    out: str | Path, text: str, *, project=None, force: bool = False, option: str = "--out", newline=None
) -> Path:
    """Write ``text`` (UTF-8) to ``out`` through :func:`write_output`."""

    def write(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)

    return write_output(out, write, project=project, force=force, option=option)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
