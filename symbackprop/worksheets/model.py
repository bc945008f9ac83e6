"""The worksheet as data: built once from a Derivation, then written in any format.

Everything a writer prints is here: words (with ``$…$`` math made by the
project's LaTeX printer) and SymPy objects (printed by the writers through
that printer).  Nothing here knows about pages, HTML or files.

The teacher's copy and the student's copy are the same sheet; the student's
has no key (:meth:`Worksheet.student_copy`), so it shows no number or formula
a student is asked to find.  ``seed`` picks the exercises' entries and the
example's numbers, and ``student`` is printed on the name line, so a class
can get one variant per student.

>>> from symbackprop.models import two_two_two
>>> sheet = build(two_two_two(), seed=3)
>>> [e.kind for e in sheet.exercises]
['output weight', 'hidden weight', 'bias', 'vectorised', 'numbers']
>>> sheet.check.passed
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..chain import identity_steps
from ..derive import Derivation
from ..display import Partial
from ..errors import DataError
from ..printing import latex
from ..printing.breaking import latex_width
from ..spec import Network
from ..steps import Step
from ..symbols import LOSS, weight
from .check import Check, check_gradients
from .drawing import Layout, layout
from .example import Example, entry, new_value
from .exercises import (
    Exercise,
    Room,
    choose_entries,
    gradient_exercise,
    numbers_exercise,
    vectorised_exercise,
)
from .framing import chain_rule, describe, equations_note, four_equations, notation
from .key import Shown, Solution, gradient_solution, numbers_solution, vectorised_solution
from .numbers import Values, choose_values

ANSWER_LINE = 30.0  # ems of a handwritten line of math (handwriting is wider than type)
# Worksheets are for networks a person can work through by hand.
MAX_UNITS = 8
MAX_PARAMETERS = 80


@dataclass(frozen=True)
class Worksheet:
    """A whole worksheet; ``solutions`` (one per exercise, same order) is empty on a student's copy."""

    title: str
    subtitle: str
    network: Network
    seed: int
    digits: int
    picture: Layout
    chain_rule: str
    equations: tuple[tuple[Step, ...], ...]  # rows of BP1–BP4
    equations_note: str
    notation: tuple[tuple[str, str], ...]  # (math, words)
    given: tuple[tuple[Step, ...], ...]  # rows of x, y, α and each layer's W, b
    forward: tuple[Step, ...]
    exercises: tuple[Exercise, ...]
    identities: tuple[Step, ...]  # the local derivatives the key uses
    values: Values
    solutions: tuple[Solution, ...]
    check: Check
    student: str = ""  # printed on the name line of a student's copy
    code: str = ""  # an assignment's sheet code, printed under the title with its QR code

    @property
    def has_solutions(self) -> bool:
        return bool(self.solutions)

    def student_copy(self, student: str = "", code: str = "") -> Worksheet:
        """The same sheet without the key, with ``student`` on the name line; ``code`` names an
        assignment's variant."""
        return replace(self, solutions=(), student=student, code=code)


def check_size(network: Network) -> None:
    too_wide = [n for n in network.sizes if n > MAX_UNITS]
    if too_wide or network.parameter_count() > MAX_PARAMETERS:
        raise DataError(
            f"a worksheet is worked by hand, so it takes networks of at most {MAX_UNITS} units per "
            f"layer and {MAX_PARAMETERS} parameters; {network.describe()} has "
            f"{max(network.sizes)} units in its widest layer and {network.parameter_count()} parameters"
        )


def room_lines(answer: Any) -> int:
    """Lines of handwriting an answer needs: the chain, its factors, then the answer as printed."""
    return 2 + math.ceil(latex_width(latex(answer)) / ANSWER_LINE)


def build(
    network: Network,
    seed: int = 0,
    solutions: bool = True,
    params: Mapping[str, Any] | str | Path | None = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    lr: float = 0.5,
    digits: int = 6,
) -> Worksheet:
    """The worksheet for ``network``; ``seed`` picks the exercises and the example's numbers."""
    if not isinstance(digits, int) or not 2 <= digits <= 15:
        raise DataError(f"digits must be a whole number from 2 to 15, got {digits!r}")
    if not isinstance(seed, int) or seed < 0:
        raise DataError(f"the seed must be a whole number of at least 0, got {seed!r}")
    check_size(network)
    d = Derivation(network)
    entries = choose_entries(network, seed)
    compiled = d.compile()
    values = choose_values(d, seed, [(name, row, col) for _, name, row, col in entries], params, x, y, lr, compiled)
    check = check_gradients(d, values, compiled)
    example = Example(d, values, digits)

    exercises: list[Exercise] = []
    keys: list[Solution] = []
    shown = Shown()
    for number, chosen in enumerate(entries, start=1):
        _, name, row, col = chosen
        ex = gradient_exercise(d, number, chosen, dict(shown.layers))
        key = gradient_solution(d, ex, shown, entry(values.grads[name], name, row, col))
        exercises.append(replace(ex, room=(Room(ex.room[0].label, lines=room_lines(key.answer)),)))
        keys.append(key)
    L = network.depth
    ex = vectorised_exercise(d, len(exercises) + 1, L, exercises[0])
    exercises.append(ex)
    keys.append(vectorised_solution(d, ex, example.gradient_steps(L), values.grads[str(weight(L))]))

    gradients = [e for e in exercises if e.asks_gradient]
    lowest = min(int(e.parameter[1:]) for e in gradients)
    rows = example.backward_rows(lowest)
    answers = example.answer_steps([e.entry for e in gradients])
    updates = example.update_steps([e.entry for e in gradients])
    room = tuple(Room(r.label, entries=len(r.values)) for r in rows)
    room += tuple(r for e in gradients for r in (Room(Partial(LOSS, e.symbol), entries=1), Room(new_value(e.symbol), entries=1)))
    ex = numbers_exercise(len(exercises) + 1, room, tuple(e.number for e in gradients), example.values.lr)
    exercises.append(ex)
    keys.append(numbers_solution(ex, tuple(r.step(digits) for r in rows), answers, updates, bool(network.l2)))

    subtitle = describe(network)
    return Worksheet(
        title="Backpropagation by hand",
        subtitle=subtitle,
        network=network,
        seed=seed,
        digits=digits,
        picture=layout(network, [e.symbol.name for e in gradients], values),
        chain_rule=chain_rule(),
        equations=four_equations(network),
        equations_note=equations_note(network),
        notation=notation(network),
        given=example.given_rows(),
        forward=example.forward_steps(),
        exercises=tuple(exercises),
        identities=identity_steps(d),
        values=values,
        solutions=tuple(keys) if solutions else (),
        check=check,
    )
