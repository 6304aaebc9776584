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
