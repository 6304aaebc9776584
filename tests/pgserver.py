"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder, Unix socket only.

One server per test session, started on first use; each test gets a fresh database (CREATE DATABASE is a
file copy of a template: ~20 ms). Run as root, the server runs as the ``postgres`` system user (initdb
refuses root). Where the binaries are missing, PostgreSQL tests skip with one line saying how to install.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN to the "
                "folder holding initdb and pg_ctl)")
SUPERUSER = "postgres"


def find_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: $PG_BIN, PATH, or the Debian/Ubuntu package's folder."""
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(os.environ["PG_BIN"])
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


class Server:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="thematic-pg-"))  # short: socket paths are limited
        if self.as_root:
            shutil.chown(self.root, user="postgres")
        self.data = self.root / "data"
        self.socket = str(self.root)
        self._names = itertools.count(1)
        self._admin = None

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self, *, fsync: bool = False) -> Server:
        """Start the server; tests run without fsync (a crash loses only a throwaway server), the
        benchmark with it, as a real server runs."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = f"-k {self.socket} -c listen_addresses='' -c max_connections=200"
        options += " -c shared_buffers=128MB" if fsync else " -F -c shared_buffers=32MB"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket}"

    def admin(self):
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(host=self.socket, user=SUPERUSER, dbname="postgres",
                                          autocommit=True)
        return self._admin

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        self.admin().execute(sql)
        return name

    def drop_database(self, name: str) -> None:
        self.admin().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
