"""Text for the terminal: what an answer may hold that a terminal would obey (escape sequences, bells,
carriage returns) is shown instead. Used by every command's output (``thematic.cli.output.safe``) and by
the review screen."""

from __future__ import annotations

_CONTROL = None


def strip_controls(text: str) -> str:
    r"""``text`` with terminal control characters shown, never obeyed: an answer holding ``ESC[2J`` or
    a bell cannot clear the screen, recolour it or ring. Each control becomes one visible character, so
    offsets into the text still hold: C0 controls their Unicode pictures (ESC as ``␛``), DEL ``␡``, C1
    controls ``�``; newlines and tabs stay.

    >>> strip_controls("a\x1b[2Jb\x07c\nd\x9b")
    'a␛[2Jb␇c\nd�'
    """
    global _CONTROL
    if _CONTROL is None:
        import re

        _CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    return _CONTROL.sub(_picture, text)


def _picture(match) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "␡" if code == 0x7F else "\ufffd"
