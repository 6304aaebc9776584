"""Copy a whole project between engines (SQLite file <-> PostgreSQL database), verified.

Every table of the source is copied row for row, parents before children (foreign keys), inside one
transaction of the destination and one snapshot of the source, so a project in use copies as one
consistent state. Afterwards both sides are read back and compared table by table: row counts and a
SHA-256 of the rows (canonical JSON, sorted, so engine order and types do not matter). The destination
must be new: a missing file, or an empty database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from thematic.errors import ThematicError
from thematic.store.engine import is_url
from thematic.store.project import Project, create_project, open_project

_BATCH = 5_000


@dataclass(frozen=True)
class CopySummary:
    source: str
    destination: str
    tables: dict[str, int]  # table -> rows
    content_hash: str  # over every table, the same on both sides

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_dict(self) -> dict:
        return {"source": self.source, "destination": self.destination, "tables": self.tables,
                "rows": self.rows, "content_hash": self.content_hash}


def tables(project: Project) -> list[str]:
    """The project's tables, each after the tables it references."""
    if project.engine.name == "sqlite":
        names = [r[0] for r in project.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        edges = {n: {r[0] for r in project.query("SELECT \"table\" FROM pragma_foreign_key_list(?)", (n,))}
                 for n in names}
    else:
        names = [r[0] for r in project.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")]
        edges = {n: set() for n in names}
        for child, parent in project.query(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
        ):
            edges[child].add(parent)
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and edges[n] - {n} <= set(ordered)]
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}")
        ordered += ready
    return ordered


def _columns(project: Project, table: str) -> list[str]:
    if project.engine.name == "sqlite":
        return [r[1] for r in project.query(f"PRAGMA table_info({table})")]
    return [r[0] for r in project.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position", (table,))]


def _canonical(value) -> str:
    if isinstance(value, bytes | memoryview):
        return "x" + bytes(value).hex()
    if isinstance(value, float):
        return "f" + repr(value)
    return json.dumps(value, ensure_ascii=False)


def table_digest(project: Project, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, sha256 of the rows as sorted canonical lines) of one table."""
    cursor = project.conn.cursor()
    cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
    lines = sorted("\x1f".join(_canonical(v) for v in row) for row in cursor)
    cursor.close()
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return len(lines), digest.hexdigest()


def content_digest(project: Project) -> tuple[dict[str, int], str]:
    """Rows per table and one SHA-256 over every table's rows (engine independent)."""
    counts, overall = {}, hashlib.sha256()
    with project.snapshot():
        for table in sorted(tables(project)):
            n, digest = table_digest(project, table, sorted(_columns(project, table)))
            counts[table] = n
            overall.update(f"{table}\x1f{n}\x1f{digest}\n".encode())
    return counts, overall.hexdigest()


def _check_destination(destination: str | Path) -> None:
    if not is_url(destination):
        path = Path(destination)
        if path.exists():
            raise ThematicError(
                f"{path} exists already (copy only into a new file; choose another name or remove it)")


def copy_project(source: str | Path, destination: str | Path) -> CopySummary:
    """Copy every row of ``source`` into a new project at ``destination``, then verify the copy."""
    _check_destination(destination)
    src = open_project(source)
    with src:
        dst, created = create_project(destination)
        try:
            with dst:
                if not created:
                    raise ThematicError(
                        f"{dst.location} is already a thematic project (copy only into a new file or an "
                        "empty database, made with `createdb`)")
                if src.schema_version != dst.schema_version:  # open_project migrated src: cannot differ
                    raise RuntimeError("source and destination schema versions differ")
                _copy_rows(src, dst)
                counts, digest = content_digest(src)
                dst_counts, dst_digest = content_digest(dst)
                if (counts, digest) != (dst_counts, dst_digest):
                    wrong = sorted(t for t in counts if counts[t] != dst_counts.get(t))
                    raise ThematicError(
                        f"the copy at {dst.location} does not match {src.location} "
                        f"(row counts differ in {', '.join(wrong) or 'no table'}; content hashes differ)")
        except BaseException:
            if created and not is_url(destination):
                for suffix in ("", "-wal", "-shm"):
                    Path(str(destination) + suffix).unlink(missing_ok=True)
            raise
    return CopySummary(src.location, dst.location, counts, digest)


def _copy_rows(src: Project, dst: Project) -> None:
    order = tables(src)
    with src.snapshot(), dst.transaction():
        for table in order:
            columns = _columns(src, table)
            if table == "meta":  # the new project already has its own rows: the source's replace them
                dst.execute("DELETE FROM meta")
            cursor = src.conn.cursor()
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            while True:
                rows = cursor.fetchmany(_BATCH) if hasattr(cursor, "fetchmany") else cursor.fetchall()
                if not rows:
                    break
                if dst.engine.name == "postgresql":
                    dst.conn.copy_rows(table, tuple(columns), (tuple(r) for r in rows))
                else:
                    dst.conn.executemany(sql, (tuple(r) for r in rows))
            cursor.close()
        if dst.engine.name == "postgresql":  # identity columns continue after the copied ids
            for table, column in dst.query(
                "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE a.attidentity <> '' AND c.relnamespace = current_schema()::regnamespace"
            ):
                dst.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)")
