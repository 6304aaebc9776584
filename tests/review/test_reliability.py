"""No work is lost: a review killed with SIGKILL keeps every decision it showed as saved; two processes
writing decisions into one project file at once both keep all of theirs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tests.conftest import REPO
from tests.review.conftest import KEY, THEMES
from thematic.store import decisions as store
from thematic.store.corpus import list_units

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and fork semantics")

SAVED = re.compile(r"^saved: (\S+) coded (.+)$")


def env():
    return {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "100"}


def start_review(path, coder="ana"):
    return subprocess.Popen(
        [sys.executable, "-m", "thematic.cli.main", "--project", str(path), "review", "--coder", coder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env(),
    )


def test_sigkill_during_a_review_loses_nothing_shown_as_saved(coded_project, project_location):
    path = project_location
    units = {u.id: u for u in list_units(coded_project)}
    order = list(units.values())
    shown_saved: dict[str, str] = {}
    for round_ in range(3):
        proc = start_review(path)
        lines: list[str] = []
        reader = threading.Thread(target=lambda p=proc, out=lines: out.extend(p.stdout), daemon=True)
        reader.start()
        # Answer for the next 40 units in one burst, then kill at a moment that depends on the round:
        # decisions are being committed while the process dies.
        burst = []
        for unit in order[:40]:
            themes = sorted(KEY[unit.respondent_id], key=THEMES.index)
            burst.append(" ".join(str(THEMES.index(t) + 1) for t in themes) or "0")
            burst.append(".")
        proc.stdin.write(" ".join(burst[:2]) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while not any(line.startswith("saved: ") for line in list(lines)) and time.monotonic() < deadline:
            time.sleep(0.01)  # the first decision is committed: the process is warm
        for i in range(2, len(burst), 2):
            proc.stdin.write(f"{burst[i]} {burst[i + 1]}\n")
        proc.stdin.flush()
        time.sleep(0.02 * (round_ + 1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        reader.join(timeout=10)
        for line in lines:
            match = SAVED.match(line.rstrip("\n"))
            if match:
                shown_saved[match.group(1)] = match.group(2)
        order = [u for u in order if u.id not in shown_saved]
    assert proc.returncode == -signal.SIGKILL
    assert shown_saved, "no decision was shown as saved before the kill"
    coded = store.current_codings(coded_project, "ana")
    for unit_id, what in shown_saved.items():
        assert unit_id in coded, f"{unit_id} was shown as saved but is not in the log"
        assert (", ".join(t for t in THEMES if t in coded[unit_id]) or "no theme") == what


WRITER = textwrap.dedent("""
    import sys, time
    from thematic.review.decisions import Decision
    from thematic.store import decisions as store
    from thematic.store.corpus import list_units
    from thematic.store.project import open_project

    path, coder, go = sys.argv[1], sys.argv[2], float(sys.argv[3])
    project = open_project(path)
    units = list_units(project)
    while time.time() < go:
        time.sleep(0.001)
    for i in range(150):
        unit = units[i % len(units)]
        store.record(project, Decision.new(coder, unit.id, ["mixed-support"] if i % 2 else []))
    print("done", flush=True)
""")


def test_two_processes_recording_at_once_lose_nothing(coded_project, project_location):
    go = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project_location), coder, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        for coder in ("ana", "ben")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert store.count(coded_project) == 300
    assert {c: len(store.decisions(coded_project, coder=c)) for c in ("ana", "ben")} == {
        "ana": 150,
        "ben": 150,
    }


def test_single_keys_at_a_real_terminal(coded_project, project_location):
    """The termios path: each key acts without Enter; n reads a note line; q quits."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "thematic.cli.main",
            "--project",
            str(project_location),
            "review",
            "--coder",
            "ana",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env(), "TERM": "xterm"},
        close_fds=True,
    )
    os.close(slave)
    seen = b""

    def wait_for(text: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        assert text in seen, seen[-2000:]

    try:
        wait_for(b"0 of 112 coded")
        for key in (b"3", b"\r"):
            os.write(master, key)
        wait_for(b"1 of 112 coded")
        os.write(master, b"n")
        wait_for(b"note: ")
        os.write(master, b"typed at a terminal\r")
        wait_for(b"note kept")
        os.write(master, b"1")
        os.write(master, b"\r")
        wait_for(b"2 of 112 coded")
        os.write(master, b"q")
        wait_for(b"quit: 2 decisions saved")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    first, second = store.decisions(coded_project)
    assert (first.themes, second.themes, second.note) == (
        {"mixed-support"},
        {"negative-responses"},
        "typed at a terminal",
    )
