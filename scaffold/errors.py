"""The one error tree of scaffold; the CLI maps it to exit codes in one place."""

from __future__ import annotations


class ScaffoldError(Exception):
    """A problem the user can fix; its message is one line, shown as is.

    ``field`` names the answer at fault when one is, so a form can point at it.
    """

    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple[object, ...]:
        # Renders for `scaffold serve` run in worker processes; keep the field on the way back.
        return (_rebuild, (type(self), str(self), self.field))


def _rebuild(cls: type[ScaffoldError], message: str, field: str | None) -> ScaffoldError:
    return cls(message, field=field)


class UsageError(ScaffoldError):
    """The command line itself is wrong (unknown answer key, malformed --data)."""

    exit_code = 2


class InvalidAnswerError(ScaffoldError):
    """An answer is not acceptable: bad name, unknown or unsupported combination."""


class DestinationError(ScaffoldError):
    """The destination cannot be written without losing something."""


class TemplateError(ScaffoldError):
    """The template source cannot be found or rendered."""


class ConfigError(ScaffoldError):
    """The org config cannot be read, or forbids what was asked."""


class UpdateError(ScaffoldError):
    """The project cannot be updated, checked or compared as it stands."""


class MissingExtraError(ScaffoldError):
    """A command needs an optional extra that is not installed."""
