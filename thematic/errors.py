"""The one exception the core raises, and the exit codes the CLI turns it into."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    BAD_INPUT = 2
    CTRL_C = 130


class ThematicError(Exception):
    """A problem a researcher can act on.

    The message says what is wrong and, in brackets, what to do:
    ``column 'answr' not found (columns are: id, role, answer)``.
    """

    def __init__(self, message: str, exit_code: int = ExitCode.BAD_INPUT):
        super().__init__(message)
        self.message = message
        self.exit_code = int(exit_code)

    def __str__(self) -> str:
        return self.message


def or_list(choices) -> str:
    """``a, b or c``: choices as a sentence says them.

    >>> or_list(["table", "json", "csv"])
    'table, json or csv'
    """
    choices = [str(c) for c in choices]
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def check_choice(value: str, choices, option: str) -> str:
    """``value`` if it is one of ``choices``; else the one message every option of its kind gives.

    >>> check_choice("tall", ("long", "wide"), "--layout")
    Traceback (most recent call last):
    ...
    thematic.errors.ThematicError: --layout must be long or wide, not 'tall'
    """
    if value not in choices:
        raise ThematicError(f"{option} must be {or_list(choices)}, not '{value}'")
    return value
