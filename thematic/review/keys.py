"""Reading the coder's keys: single keypresses at a terminal, lines otherwise (scripts, tests, pipes).

Both readers yield events: ``("key", k)`` where ``k`` is one token ("1", "mixed-support", "a", "enter",
...), ``("note", text)``, and finally ``("eof", "")``.

The line protocol (stdin is not a terminal)::

    1 3          toggle themes 1 and 3 (numbers as on the screen, or theme ids; spaces or commas between)
    <empty line> save (Enter)
    1 3 .        toggle 1 and 3 and save: "." saves, so one line can hold a whole decision
    0 .          no theme applies, saved
    s            skip          f   flag          u   undo          a   accept the suggestions
    n TEXT       note for the next decision: the rest of the line; or n "TEXT" and go on after the
                 closing quote (1 n "about waiting lists" .); a lone n takes the whole next line
    q            quit (end of input quits too)

Several decisions may share a line (``1 . 2 3 . s``); tokens run left to right.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TextIO

Event = tuple[str, str]


def tokenize(line: str) -> list[Event]:
    """Split one input line into events; a trailing lone ``n`` becomes ``("note?", "")``.

    >>> tokenize("1 3 .")
    [('key', '1'), ('key', '3'), ('key', '.')]
    >>> tokenize('2 n "too short to say" .')
    [('key', '2'), ('note', 'too short to say'), ('key', '.')]
    >>> tokenize("n don't know, really")
    [('note', "don't know, really")]
    >>> tokenize("")
    [('key', 'enter')]
    """
    if not line.strip():
        return [("key", "enter")]
    events: list[Event] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and (line[i].isspace() or line[i] == ","):
            i += 1
        if i >= n:
            break
        j = i
        while j < n and not (line[j].isspace() or line[j] == ","):
            j += 1
        word = line[i:j]
        if word != "n":
            events.append(("key", word))
            i = j
            continue
        rest = line[j:].lstrip()
        if not rest:
            events.append(("note?", ""))
            break
        if rest[0] in "\"'" and rest.find(rest[0], 1) > 0:
            close = rest.find(rest[0], 1)
            events.append(("note", rest[1:close]))
            i = n - len(rest) + close + 1
            continue
        events.append(("note", rest.strip()))
        break
    return events


class LineKeys:
    """Events from lines of text (a pipe, a file, a test's StringIO)."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def events(self) -> Iterator[Event]:
        for line in self.stream:
            for kind, value in tokenize(line.rstrip("\r\n")):
                if kind == "note?":
                    following = self.stream.readline()
                    yield ("note", following.rstrip("\r\n"))
                else:
                    yield (kind, value)
        yield ("eof", "")


_SPECIAL = {"\r": "enter", "\n": "enter", "\x04": "q", "\x1b": None, "\x7f": None}


class TerminalKeys:
    """Single keypresses from a terminal (termios on Unix, msvcrt on Windows); ``n`` reads a line.

    The terminal stays in cbreak mode (keys arrive one by one, not echoed) for as long as ``events()``
    runs, so keys typed while the screen redraws are kept, not flushed; the saved mode is restored when
    the generator ends or is closed, and around the note prompt.
    """

    def __init__(self, stream: TextIO | None = None, prompt_note=None):
        self.stream = stream or sys.stdin
        self.prompt_note = prompt_note or (lambda: input("note: "))
        self._saved = None

    def events(self) -> Iterator[Event]:
        self._raw()
        try:
            while True:
                try:
                    char = self._getch()
                except KeyboardInterrupt:
                    yield ("key", "q")
                    continue
                if char == "":
                    yield ("eof", "")
                    return
                if char == "\x1b":  # an escape sequence (arrow keys...): drop it
                    self._drain()
                    continue
                if char == "\x03":
                    yield ("key", "q")
                    continue
                key = _SPECIAL.get(char, char)
                if key is None or not key.isprintable():
                    continue
                if key == "n":
                    yield ("note", self._read_note())
                    continue
                yield ("key", key)
        finally:
            self._restore()

    def _raw(self) -> None:
        if os.name == "nt":  # pragma: no cover - msvcrt reads single keys as it is
            return
        import termios
        import tty

        fd = self.stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)   # TCSANOW: keep keys typed ahead (TCSAFLUSH would drop them)

    def _restore(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def _read_note(self) -> str:
        saved = self._saved
        self._restore()
        try:
            return self.prompt_note()
        except (EOFError, KeyboardInterrupt):
            return ""
        finally:
            if saved is not None:
                self._raw()

    def _getch(self) -> str:
        if os.name == "nt":  # pragma: no cover - Windows consoles
            import msvcrt

            return msvcrt.getwch()
        fd = self.stream.fileno()
        first = os.read(fd, 1)
        if not first:
            return ""
        extra = 0 if first[0] < 0xC0 else 1 if first[0] < 0xE0 else 2 if first[0] < 0xF0 else 3
        data = first + (os.read(fd, extra) if extra else b"")
        return data.decode("utf-8", "replace")

    def _drain(self) -> None:
        """Read and drop the rest of an escape sequence (what arrow and function keys send)."""
        if os.name == "nt":  # pragma: no cover
            return
        import select

        fd = self.stream.fileno()
        while select.select([fd], [], [], 0.02)[0]:
            if not os.read(fd, 16):
                break


def reader_for(stream: TextIO, *, interactive: bool | None = None):
    """TerminalKeys when ``stream`` is a terminal (and stdout too), LineKeys otherwise."""
    if interactive is None:
        interactive = stream.isatty() and sys.stdout.isatty()
    return TerminalKeys(stream) if interactive else LineKeys(stream)
