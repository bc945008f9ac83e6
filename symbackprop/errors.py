"""Error classes: one base, one subclass per kind of user mistake.

Each subclass is also a built-in exception type (ValueError, TypeError) so
callers that do not know symbackprop can still catch it.  The message of every
error is one sentence that names the offending value and what was expected;
the command line prints it as it is and exits with status 2.
"""

from __future__ import annotations


class SymbackpropError(Exception):
    """Base class of every error that symbackprop raises on purpose."""


class SpecError(SymbackpropError, ValueError):
    """A network specification is invalid.

    ``problems`` lists every problem found, so a user fixes them all at once.

    >>> err = SpecError(["layer sizes must be at least 1, got 0", "unknown loss 'l3'"])
    >>> str(err)
    "invalid network: layer sizes must be at least 1, got 0; unknown loss 'l3'"
    """

    def __init__(self, problems: list[str] | tuple[str, ...] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = tuple(problems)
        super().__init__("invalid network: " + "; ".join(self.problems))


class ExpressionError(SymbackpropError, ValueError):
    """A formula or custom expression typed by a person cannot be read."""


class DataError(SymbackpropError, ValueError):
    """Input values (parameters, samples, files, numbers and options) cannot be used."""


class ShapeError(DataError):
    """Arrays or matrices do not have the shapes that were expected."""


class AnswerShapeError(ShapeError):
    """A verified formula's answer has another shape than the gradient it is for.

    ``given`` and ``expected`` are the two shapes, so a grader can tell a
    transposed answer from another mistake without reading the message.
    """

    def __init__(self, message: str, given: tuple[int, ...], expected: tuple[int, ...]):
        super().__init__(message)
        self.given, self.expected = tuple(given), tuple(expected)


class UnknownOptionError(DataError, TypeError):
    """A named choice or setting that does not exist: an optimizer, a format, a printer setting.

    Also a TypeError, which is what Python raises for an unknown keyword argument.
    """


class UnknownParameterError(SymbackpropError, KeyError):
    """A parameter name such as ``W4`` does not exist in the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedError(SymbackpropError, ValueError):
    """A command that does not handle this kind of network yet (verify or a worksheet of a conv net)."""
