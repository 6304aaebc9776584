"""The project: one database that holds the whole state of a study, an SQLite file or PostgreSQL.

SQLite (the default): WAL journal, foreign keys on, a busy timeout, ``PRAGMA application_id`` plus a
``meta`` row that say the file is a thematic project, and ``PRAGMA user_version`` for the schema version.
PostgreSQL (``--project postgresql://USER@HOST/DB``): the ``meta`` rows ``application`` and
``schema_version`` say the same. Migrations are the numbered ``migrations/NNNN_*.sql`` files, applied in
order when a project is opened; where PostgreSQL's dialect differs, ``migrations/postgresql/NNNN_*.sql``
(same number) replaces the file for that engine. A project written by a newer thematic is refused
untouched. Engine differences live in :mod:`thematic.store.engine`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from thematic.clock import utc_now
from thematic.errors import ExitCode, ThematicError
from thematic.store.engine import BUSY_TIMEOUT_MS, PostgresEngine, SQLiteEngine, is_url  # noqa: F401

APPLICATION_ID = 0x54484D54  # "THMT"
DEFAULT_PATH = "thematic.db"


def _numbered(folder) -> list[tuple[int, str]]:
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


@cache
def migrations(engine: str = "sqlite") -> list[tuple[int, str]]:
    """The numbered migrations, read on first use (not at import: `thematic --help` never needs them).

    One numbering for both engines: for ``postgresql`` a file in ``migrations/postgresql/`` replaces the
    common file of the same number (the dialects differ in ids, blobs and triggers)."""
    folder = Path(__file__).with_name("migrations")  # a folder of the package (importlib.resources: +5 ms)
    found = _numbered(folder)
    if engine == "sqlite":
        return found
    own = dict(_numbered(folder / engine))
    stray = sorted(set(own) - {n for n, _ in found})
    if stray:
        raise RuntimeError(f"{engine} migrations {stray} have no common migration of the same number")
    return [(n, own.get(n, sql)) for n, sql in found]


def schema_version() -> int:
    """The newest schema version this thematic knows."""
    return migrations()[-1][0]


QUICK_CHECK_MAX_BYTES = 16 * 1024 * 1024  # `PRAGMA quick_check` on open up to this size (~30 ms)
_SQLITE_HEADER = b"SQLite format 3\x00"


def _connect(path: Path, *, mode: str | None = None) -> sqlite3.Connection:
    """A connection; ``mode`` "ro" (read-only) or "immutable" (a read-only folder: no -wal/-shm files)."""
    if mode is None:
        target, uri = str(path), False
    else:
        from urllib.parse import quote

        option = "mode=ro" if mode == "ro" else "immutable=1"
        target, uri = f"file:{quote(str(path.resolve()))}?{option}", True
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def damaged(path: Path, what: str) -> ThematicError:
    return ThematicError(
        f"{path} is a damaged thematic project ({what}; restore it from a backup or a copy, and run "
        "`thematic check` on the copy)",
        ExitCode.ERROR,
    )


def read_only_error(path: Path) -> ThematicError:
    return ThematicError(
        f"{path} is read-only (the file or its folder cannot be written), and this command changes the "
        "project (copy it somewhere writable, or fix the permissions; nothing was changed)"
    )


def _check_header(path: Path) -> None:
    """What the first 100 bytes say, before SQLite is asked: not a database, another application's, or
    a file shorter than its header says (truncated)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise ThematicError(
            f"cannot read {path}: {exc.strerror or exc} (check its permissions)", ExitCode.ERROR
        ) from None
    if not head:
        return  # an empty file: `init` makes it a project; open_project says so
    if not head.startswith(_SQLITE_HEADER):
        raise ThematicError(
            f"{path} is not a thematic project (it is not an SQLite database; pass --project with the right "
            "file, or run `thematic init` to make a new one)"
        )
    if len(head) < 100:
        raise damaged(path, f"the file is cut short: {len(head)} bytes, less than an SQLite header")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    valid = head[24:28] == head[92:96]  # the in-header size is valid when these counters agree
    size = path.stat().st_size
    if valid and pages and page_size * pages > size:
        expected = page_size * pages
        raise damaged(path, f"the file is cut short: {size:,} bytes where its header says {expected:,}")


class Project:
    """An open project. Use :func:`open_project` or :func:`create_project`.

    ``path`` is the SQLite file (for PostgreSQL: the database name, which exports name files after);
    ``location`` is what to print (a connection string without its password)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, engine=None, *, read_only: bool = False):
        self.engine = engine if engine is not None else SQLiteEngine(path)
        self.path = path
        self.location = self.engine.location
        self.conn = conn
        self.read_only = read_only
        self._depth = 0

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: the block's writes are committed together, or rolled back on any error.

        Nested uses join the outer transaction. On SQLite ``BEGIN IMMEDIATE`` takes the write lock up
        front, so two processes writing at once wait for each other (busy timeout) instead of failing. On
        PostgreSQL writers run side by side (``READ COMMITTED``); numbering that must not race takes an
        advisory lock (:meth:`lock`), and ids come from identity columns.
        """
        with self._begin(self.engine.begin_write):
            yield self.conn

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that see one consistent state of the project while others write (exports, `agree`).

        A read transaction (SQLite) or ``REPEATABLE READ READ ONLY`` (PostgreSQL); inside a transaction
        it joins that one."""
        with self._begin(self.engine.begin_snapshot):
            yield self.conn

    def lock(self, name: str) -> None:
        """Inside a transaction: hold the named numbering lock (``import``, ``codebooks``) until it ends."""
        self.engine.lock(self.conn, name)

    @contextmanager
    def _begin(self, begin_sql: str) -> Iterator[sqlite3.Connection]:
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        if self.read_only and begin_sql == self.engine.begin_write:
            raise read_only_error(self.path)
        try:
            self.conn.execute(begin_sql)
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise read_only_error(self.path) from None
            raise
        self._depth = 1
        try:
            yield self.conn
        except BaseException as exc:
            self.conn.execute("ROLLBACK")
            refused = self.engine.refusal(exc, self.location)
            if refused is not None:
                raise refused from None
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

    def insert_rows(self, table: str, columns: tuple[str, ...], rows) -> None:
        """Insert many rows (plain INSERTs on SQLite, COPY on PostgreSQL)."""
        if self.engine.name == "postgresql":
            self.conn.copy_rows(table, columns, rows)
            return
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def insert_id(self, sql: str, params=()) -> int:
        """Run an ``INSERT ... RETURNING id`` and return the new row's id."""
        return int(self.conn.execute(sql, params).fetchone()[0])

    @property
    def schema_version(self) -> int:
        if self.engine.name == "sqlite":
            return int(self.scalar("PRAGMA user_version"))
        return int(self.meta("schema_version", "0"))

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
    except sqlite3.DatabaseError as exc:
        raise damaged(path, f"SQLite says: {exc}") from None
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


def _check_meta(path: Path, conn: sqlite3.Connection) -> None:
    """The ``meta`` rows agree with the file: the application, and the schema version it was migrated to."""
    try:
        rows = dict(
            conn.execute("SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')")
        )
    except sqlite3.DatabaseError as exc:
        raise damaged(path, f"its meta table cannot be read: {exc}") from None
    if rows.get("application", "thematic") != "thematic":
        raise damaged(path, f"its meta table names the application '{rows['application']}'")
    stored = rows.get("schema_version")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if stored is not None and stored != str(version):
        if stored.isdigit() and int(stored) > schema_version():
            raise ThematicError(
                f"{path} was written by a newer thematic (schema version {stored}; this thematic knows "
                f"up to {schema_version()}) (upgrade thematic to open it)",
                ExitCode.ERROR,
            )
        raise damaged(path, f"its meta table says schema version {stored}, the file says {version}")


def quick_check(path: Path, conn: sqlite3.Connection) -> None:
    """``PRAGMA quick_check`` (pages, records, no index cross-check): a damaged file is refused."""
    try:
        result = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, f"SQLite says: {exc}") from None
    if result != ["ok"]:
        raise damaged(path, f"PRAGMA quick_check: {'; '.join(result)}")


def integrity_check(project: Project, limit: int) -> list[str]:
    """``PRAGMA integrity_check`` (every page, record and index) on an SQLite project: ``["ok"]``, or at
    most ``limit`` problems, or SQLite's words when it cannot read the file at all."""
    try:
        return [r[0] for r in project.execute(f"PRAGMA integrity_check({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        return [f"SQLite says: {exc}"]


def foreign_key_problems(project: Project) -> list[str]:
    """``PRAGMA foreign_key_check`` on an SQLite project: one line per row that refers to a missing row."""
    try:
        return [
            f"table {r[0]}, row {r[1]}: refers to a missing row of {r[2]}"
            for r in project.execute("PRAGMA foreign_key_check")
        ]
    except sqlite3.DatabaseError as exc:
        return [f"SQLite says: {exc}"]


def _writable(path: Path) -> tuple[bool, bool]:
    """(the file can be written, its folder can be written)."""
    return os.access(path, os.W_OK), os.access(path.parent if str(path.parent) else Path("."), os.W_OK)


def open_project(path: str | Path, *, check: bool = True) -> Project:
    """Open an existing project, applying any pending migrations.

    A project that cannot be written (the file, or its folder: WAL needs a ``-shm`` file beside it) is
    opened read-only, and any command that would change it says so. ``check``: run ``PRAGMA
    quick_check`` when the file is small enough for it to be cheap (:data:`QUICK_CHECK_MAX_BYTES`).
    """
    if is_url(path):
        return _open_postgres(str(path), create=False)[0]
    path = Path(path)
    if not path.exists():
        raise ThematicError(
            f"no thematic project at {path} (run `thematic init` to create one, "
            "or pass --project PATH / set THEMATIC_PROJECT)"
        )
    if path.is_dir():
        raise ThematicError(f"{path} is a folder, not a project file (pass --project FILE)")
    _check_header(path)
    file_ok, folder_ok = _writable(path)
    read_only = not (file_ok and folder_ok)
    if not read_only:
        conn = _connect(path)
    elif folder_ok or Path(str(path) + "-shm").exists():
        conn = _connect(path, mode="ro")
    else:
        wal = Path(str(path) + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ThematicError(
                f"{path} is read-only and its last changes are still in {wal.name} (open it once where it "
                "can be written, so that they are saved into the project file)"
            )
        conn = _connect(path, mode="immutable")
    try:
        _check_identity(path, conn)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise ThematicError(
                f"{path} is not a thematic project (it is an empty SQLite file; "
                "run `thematic init` to make it one)"
            )
        _check_meta(path, conn)
        if check and path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            quick_check(path, conn)
        if not read_only:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc):
                    raise
                read_only = True
        project = Project(path, conn, read_only=read_only)
        if project.schema_version < schema_version() and read_only:
            raise ThematicError(
                f"{path} was made by an older thematic and must be upgraded, but it is read-only (copy it "
                "somewhere writable and open it there)"
            )
        _migrate(project)
        return project
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise damaged(path, f"SQLite says: {exc}") from None
    except BaseException:
        conn.close()
        raise


def create_project(path: str | Path) -> tuple[Project, bool]:
    """Create a project file (or open the one already there). Returns (project, created)."""
    if is_url(path):
        return _open_postgres(str(path), create=True)
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
            _stamp_new(project)
        return project, True
    except BaseException:
        conn.close()
        raise


def _stamp_new(project: Project) -> None:
    """What a new project says about itself in ``meta`` (either engine): whose it is, when it was made."""
    project.set_meta("application", "thematic")
    project.set_meta("created_at", utc_now())


# -- PostgreSQL --------------------------------------------------------------------------------------------
def _postgres_version(project: Project) -> int | None:
    """The schema version of a thematic database, None for an empty one; refuses a foreign database."""
    where = project.location
    if not project.scalar("SELECT to_regclass('meta') IS NOT NULL"):
        tables = project.scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        if tables:
            raise ThematicError(
                f"{where} is not a thematic project (the database holds tables of another application; "
                "create an empty database for the project with `createdb`)"
            )
        return None
    if project.meta("application") != "thematic":
        raise ThematicError(
            f"{where} is not a thematic project (its meta table belongs to another application; "
            "create an empty database for the project with `createdb`)"
        )
    version = int(project.meta("schema_version", "0"))
    if version > schema_version():
        raise ThematicError(
            f"{where} was written by a newer thematic (schema version {version}; this thematic knows "
            f"up to {schema_version()}) (upgrade thematic to open it)",
            ExitCode.ERROR,
        )
    return version


def _open_postgres(url: str, *, create: bool) -> tuple[Project, bool]:
    engine = PostgresEngine(url)
    conn = engine.connect()
    project = Project(engine.path, conn, engine)
    try:
        version = _postgres_version(project)
        if version is None and not create:
            raise ThematicError(
                f"{project.location} is not a thematic project yet (the database is empty; run "
                "`thematic init` to make it one)"
            )
        if version is not None and version >= schema_version():
            return project, False
        with project.transaction():
            project.lock("migrate")  # two sessions opening at once: the second waits, then finds it done
            version = _postgres_version(project)
            created = version is None
            for number, sql in migrations("postgresql"):
                if number > (version or 0):
                    project.conn.execute(sql)  # no parameters: the whole file in one round trip
            project.set_meta("schema_version", str(schema_version()))
            if created:
                _stamp_new(project)
        return project, created
    except BaseException:
        conn.close()
        raise
