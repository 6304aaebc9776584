"""Issue 14.5: opening a project says what is wrong with it (damaged, read-only, newer, not a
project), a read-only project still reads, and `thematic check` checks everything."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid

import pytest


def _pages(path):
    conn = sqlite3.connect(path)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'responses'").fetchone()[0]
        return size, root
    finally:
        conn.close()


def test_a_truncated_project_is_called_damaged(small, cli):
    data = small.path.read_bytes()
    small.path.write_bytes(data[: len(data) // 2])
    result = cli("status")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {small.path} is a damaged thematic project (the file is cut short: {len(data) // 2:,} bytes "
        f"where its header says {len(data):,}; restore it from a backup or a copy, and run `thematic check`"
    )


def test_corrupt_pages_are_found_on_open_and_nothing_is_saved(small, cli):
    size, root = _pages(small.path)
    with small.path.open("r+b") as handle:
        handle.seek(size * (root - 1))
        handle.write(b"\xaa" * 64)  # the b-tree page header of the responses table
    before = small.path.read_bytes()
    result = cli("code", small.units[4], "--coder", "ana", "-t", "mixed-support")
    assert result.exit_code == 1
    assert "saved" not in result.stdout
    assert result.stderr.startswith(f"error: {small.path} is a damaged thematic project (")
    assert small.path.read_bytes() == before
    result = cli("check")
    assert result.exit_code == 1
    assert "PROBLEM: pages and records (PRAGMA integrity_check)" in result.stdout
    assert "problems found" in result.stdout


def test_not_a_project_another_application_and_a_newer_thematic(tmp_path, cli, small):
    text = tmp_path / "notes.db"
    text.write_text("just some notes\n")
    result = cli("status", project=text)
    assert result.stderr == (
        f"error: {text} is not a thematic project (it is not an SQLite database; pass --project with the "
        "right file, or run `thematic init` to make a new one)\n"
    )
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert "it is an SQLite database of another application" in cli("status", project=other).stderr
    newer = tmp_path / "newer.db"
    shutil.copy(small.path, newer)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = cli("status", project=newer)
    assert result.exit_code == 1
    assert "was written by a newer thematic (schema version 999;" in result.stderr


def test_meta_rows_that_disagree_with_the_file_are_damage(small, cli):
    conn = sqlite3.connect(small.path)
    conn.execute("DROP TRIGGER IF EXISTS meta_no_update")
    conn.execute("UPDATE meta SET value = 'spreadsheet' WHERE key = 'application'")
    conn.commit()
    conn.close()
    result = cli("status")
    assert result.exit_code == 1
    assert "is a damaged thematic project (its meta table names the application 'spreadsheet'" in (
        result.stderr
    )


def _read_only(folder):
    """Make ``folder`` read-only for this process: permissions when not root, else a read-only bind mount.
    Returns an undo function, or None when neither is possible here."""
    if os.geteuid() != 0:
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)

        def undo():
            folder.chmod(0o755)
            for path in folder.iterdir():
                path.chmod(0o644)

        return undo
    mount = shutil.which("mount")
    if mount is None:
        return None
    done = subprocess.run([mount, "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        return None
    done = subprocess.run([mount, "-o", "remount,bind,ro", str(folder)], capture_output=True)
    if done.returncode != 0:
        subprocess.run(["umount", str(folder)])
        return None
    return lambda: subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_project_reads_and_refuses_writes_with_one_line(small, cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(small.path, folder / "p.db")
    project = folder / "p.db"
    undo = _read_only(folder)
    if undo is None:
        pytest.skip("cannot make a read-only folder here (root without mount)")
    try:
        status = cli("status", project=project)
        assert status.exit_code == 0, status.stderr
        result = cli("code", small.units[4], "--coder", "ana", "-t", "mixed-support", project=project)
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: {project} is read-only (the file or its folder cannot be written), and this command "
            "changes the project (copy it somewhere writable, or fix the permissions; nothing was changed)\n"
        )
        out = tmp_path / "units.csv"
        assert cli("export", "units", "--coder", "ana", "--out", out, project=project).exit_code == 0
        assert cli("check", project=project).exit_code == 0
    finally:
        undo()


def test_check_reports_a_log_that_no_import_would_accept(small, cli):
    from thematic.review.decisions import Decision
    from thematic.store import decisions as store
    from thematic.store.project import open_project

    result = cli("check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ok: pages and records (PRAGMA integrity_check)",
        "ok: references between tables (PRAGMA foreign_key_check)",
        "ok: the decision log",
        f"{small.path}: no problems found",
    ]
    a = str(uuid.uuid4())
    with open_project(small.path) as project:  # written below the validator, as an old thematic could
        store.record_many(project, [Decision.new("ana", small.units[0], kind="undo", target_uuid=a, uuid=a),
                                    Decision.new("ANA", small.units[1], {"mixed-support"})])
    result = cli("check")
    assert result.exit_code == 1
    assert f"  decision {a} (coder ana, unit {small.units[0]}): the undo undoes itself" in result.stdout
    assert "coder 'ANA' is 'ana' in this project" in result.stdout or "coder 'ana' is 'ANA'" in result.stdout
