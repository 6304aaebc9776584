"""The project file: one SQLite database that holds the whole state of a study.

WAL journal, foreign keys on, a busy timeout, ``PRAGMA application_id`` plus a ``meta`` row that say
the file is a thematic project, and ``PRAGMA user_version`` for the schema version. Migrations are the
numbered ``migrations/NNNN_*.sql`` files, applied in order when a project is opened; a file written by
a newer thematic is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from thematic.clock import utc_now
from thematic.errors import ExitCode, ThematicError

APPLICATION_ID = 0x54484D54  # "THMT"
DEFAULT_PATH = "thematic.db"
BUSY_TIMEOUT_MS = 30_000


@cache
def migrations() -> list[tuple[int, str]]:
    """The numbered migrations, read on first use (not at import: `thematic --help` never needs them)."""
    from importlib import resources

    folder = resources.files("thematic.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


def schema_version() -> int:
    """The newest schema version this thematic knows."""
    return migrations()[-1][0]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Project:
    """An open project file. Use :func:`open_project` or :func:`create_project`."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self._depth = 0

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: the block's writes are committed together, or rolled back on any error.

        Nested uses join the outer transaction. ``BEGIN IMMEDIATE`` takes the write lock up front,
        so two processes writing at once wait for each other (busy timeout) instead of failing.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def schema_version(self) -> int:
        return int(self.scalar("PRAGMA user_version"))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _migrate(project: Project) -> None:
    current = project.schema_version
    if current >= schema_version():
        return
    with project.transaction() as conn:
        for number, sql in [(n, sql) for n, sql in migrations() if n > current]:
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        project.set_meta("schema_version", str(schema_version()))


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit our transaction)."""
    statements, buffer = [], []
    for line in sql.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("--")):
            continue
        buffer.append(line)
        candidate = "\n".join(buffer)
        if stripped.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buffer = []
    if "".join(buffer).strip():
        statements.append("\n".join(buffer))
    return statements


def _check_identity(path: Path, conn: sqlite3.Connection) -> None:
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError:
        raise ThematicError(
            f"{path} is not a thematic project (it is not an SQLite database; "
            "pass --project with the right file, or run `thematic init` to make a new one)"
        ) from None
    if app_id != APPLICATION_ID and not (app_id == 0 and tables == 0):
        raise ThematicError(
            f"{path} is not a thematic project (it is an SQLite database of another application; "
            "pass --project with the right file, or run `thematic init` to make a new one)"
        )
    if version > schema_version():
        raise ThematicError(
            f"{path} was written by a newer thematic (schema version {version}; this thematic knows "
            f"up to {schema_version()}) (upgrade thematic to open it)",
            ExitCode.ERROR,
        )


def open_project(path: str | Path) -> Project:
    """Open an existing project, applying any pending migrations."""
    path = Path(path)
    if not path.exists():
        raise ThematicError(
            f"no thematic project at {path} (run `thematic init` to create one, "
            "or pass --project PATH / set THEMATIC_PROJECT)"
        )
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a project file (pass --project FILE)")
    conn = _connect(path)
    try:
        _check_identity(path, conn)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise ThematicError(
                f"{path} is not a thematic project (it is an empty SQLite file; "
                "run `thematic init` to make it one)"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        project = Project(path, conn)
        _migrate(project)
        return project
    except BaseException:
        conn.close()
        raise


def create_project(path: str | Path) -> tuple[Project, bool]:
    """Create a project file (or open the one already there). Returns (project, created)."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        return open_project(path), False
    if not path.parent.exists():
        raise ThematicError(
            f"folder {path.parent} does not exist (create it first, or choose another --project)"
        )
    conn = _connect(path)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        project = Project(path, conn)
        _migrate(project)
        with project.transaction():
            project.set_meta("application", "thematic")
            project.set_meta("created_at", utc_now())
        return project, True
    except BaseException:
        conn.close()
        raise
