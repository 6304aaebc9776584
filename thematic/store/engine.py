"""The two engines a project can live in: an SQLite file (the default) or a PostgreSQL database.

Everything engine-specific sits here: how to connect, how a write transaction starts (``BEGIN
IMMEDIATE`` on SQLite; ``READ COMMITTED`` plus advisory locks where numbering needs them on PostgreSQL),
consistent read snapshots, where the schema version is kept, and which migration SQL applies. The store
modules write SQL once, with ``?`` placeholders; on PostgreSQL the connection wrapper below rewrites them
to psycopg's ``%s``. Nothing above ``thematic.store`` knows which engine a project uses.

A project named ``postgresql://USER@HOST/DB`` (or ``postgres://``) is a PostgreSQL database opened with
psycopg 3; anything else is a path to an SQLite file.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from thematic.errors import ThematicError

URL_PREFIXES = ("postgresql://", "postgres://")
BUSY_TIMEOUT_MS = 30_000
# Advisory lock keys: (application id, lock number). The application id is "THMT" as an int4.
_LOCK_SPACE = 0x54484D54
_LOCKS = {"migrate": 1, "import": 2, "codebooks": 3}


def is_url(target: str | Path) -> bool:
    """True for a PostgreSQL connection string (``postgresql://...``), False for a file path."""
    return isinstance(target, str) and target.lower().startswith(URL_PREFIXES)


def redact(url: str) -> str:
    """A connection string fit to print: the password (in the user part or as ``password=``) removed.

    >>> redact("postgresql://ana:s3cret@db.example.org:5432/study?sslmode=require&password=x")
    'postgresql://ana@db.example.org:5432/study?sslmode=require'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() != "password"], safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# -- SQLite ------------------------------------------------------------------------------------------------
class SQLiteEngine:
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    begin_snapshot = "BEGIN"  # deferred: the first read fixes the snapshot (WAL)

    def __init__(self, path: Path):
        self.path = Path(path)
        self.location = str(self.path)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def lock(self, conn, name: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already holds the file's one write lock."""

    def is_retryable(self, exc: BaseException) -> bool:
        if not isinstance(exc, sqlite3.OperationalError):
            return False
        text = str(exc).lower()
        return "locked" in text or "busy" in text

    def in_transaction(self, conn) -> bool:
        return conn.in_transaction

    def refusal(self, exc: BaseException, location: str) -> ThematicError | None:
        return None


# -- PostgreSQL --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (a literal ``%`` doubled). Store SQL never has ``?`` in a
    string literal."""
    return sql.replace("%", "%%").replace("?", "%s")


class Row(tuple):
    """A result row that, like ``sqlite3.Row``, is a tuple that can also be indexed by column name."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor):
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


class PgCursor:
    """A psycopg cursor that takes ``?`` placeholders, like an sqlite3 cursor."""

    row_factory = None  # accepted and ignored: rows are always plain tuples

    def __init__(self, cursor):
        self._cur = cursor

    def execute(self, sql: str, params=()) -> PgCursor:
        if params:
            self._cur.execute(_pg_sql(sql), tuple(params))
        else:
            self._cur.execute(sql)
        return self

    def executemany(self, sql: str, rows) -> PgCursor:
        self._cur.executemany(_pg_sql(sql), rows)
        return self

    def fetchone(self):
        return self._cur.fetchone()

    def fetchall(self):
        return self._cur.fetchall()

    def fetchmany(self, size: int):
        return self._cur.fetchmany(size)

    def __iter__(self):
        return iter(self._cur)

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def close(self) -> None:
        self._cur.close()


class PgConnection:
    """A psycopg connection (autocommit; transactions are begun explicitly) with sqlite3's call shapes."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, params=()) -> PgCursor:
        return PgCursor(self.raw.cursor()).execute(sql, params)

    def executemany(self, sql: str, rows) -> PgCursor:
        return PgCursor(self.raw.cursor()).executemany(sql, rows)

    def cursor(self) -> PgCursor:
        return PgCursor(self.raw.cursor())

    def copy_rows(self, table: str, columns: tuple[str, ...], rows) -> None:
        with self.raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


class PostgresEngine:
    name = "postgresql"
    begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED"
    begin_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str):
        self.url = url
        self.location = redact(url)
        try:
            from psycopg.conninfo import conninfo_to_dict

            dbname = conninfo_to_dict(url).get("dbname") or ""
        except Exception:  # psycopg missing or a malformed string: connect() says which
            dbname = ""
        # Exports and reports name their files after the project: the database name here.
        self.path = PurePosixPath(str(dbname) or "thematic")

    def connect(self) -> PgConnection:
        try:
            import psycopg
        except ImportError:
            raise ThematicError(
                f"cannot open {self.location}: PostgreSQL projects need psycopg 3 "
                "(pip install 'psycopg[binary]')"
            ) from None
        try:
            raw = psycopg.connect(self.url, autocommit=True, application_name="thematic",
                                  row_factory=_row_factory)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise ThematicError(
                f"could not connect to {self.location}: {reason.replace(self.url, self.location)} "
                "(check the server, user and database name; create the database with `createdb`)"
            ) from None
        return PgConnection(raw)

    def lock(self, conn: PgConnection, name: str) -> None:
        """Serialise one kind of numbering between sessions until this transaction ends."""
        conn.execute("SELECT pg_advisory_xact_lock(?, ?)", (_LOCK_SPACE, _LOCKS[name]))

    def is_retryable(self, exc: BaseException) -> bool:
        try:
            from psycopg import errors
        except ImportError:
            return False
        return isinstance(exc, errors.DeadlockDetected | errors.SerializationFailure)

    def in_transaction(self, conn) -> bool:
        return conn.in_transaction

    def refusal(self, exc: BaseException, location: str) -> ThematicError | None:
        """A user's missing privilege as one clear line (the transaction has been rolled back)."""
        try:
            from psycopg import errors
        except ImportError:
            return None
        if isinstance(exc, errors.InsufficientPrivilege):
            reason = str(exc).strip().splitlines()[0]
            return ThematicError(f"{location} refused this: {reason} (nothing was changed; your role may "
                                 "only read, or read and record decisions: ask the project's lead)")
        return None


def engine_for(target: str | Path):
    """The engine a ``--project`` value names."""
    if is_url(target):
        return PostgresEngine(str(target))
    return SQLiteEngine(Path(target))


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception types either engine raises for a refused statement (constraint, trigger, lock)."""
    found: list[type[BaseException]] = [sqlite3.DatabaseError]
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(found)
