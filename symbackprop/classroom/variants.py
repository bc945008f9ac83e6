"""One variant of the sheet per student, regenerable from the class seed and the student's id.

The per-student seed is the first 31 bits of the SHA-256 digest of the text
``symbackprop-variant:<class seed>:<id>`` (big-endian); it is the worksheet
seed, so it picks the exercises' entries and the worked example's numbers.
Nothing else goes in: the same network, class seed and id give the same sheet
on any machine.

The sheet's **code** is ``<class seed>-<id>-<check>``: what regenerates the
variant (``symbackprop variant NET --code …``), with four check letters from
the SHA-256 of the network's spec, the seed, the id and the questions when the
assignment names them, so a mistyped code, or one made for another network or
other questions, is refused rather than giving a wrong sheet or answers file.

>>> variant_seed(7, "ada")
711535549
>>> from symbackprop.models import two_two_two
>>> code = variant_code(two_two_two(), 7, "ada")
>>> code
'7-ada-JHVJ'
>>> read_code(two_two_two(), code)
(7, 'ada')
>>> variant_code(two_two_two(), 7, "ada", ["W2", "W1", "b1"])
'7-ada-56TI'
>>> reference_formula("W2[1,2]"), reference_formula("W1"), reference_formula("b1[2]")
('delta2_1 * a1_2', 'delta1 @ x.T', 'delta1_2')
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DataError
from ..spec import Network
from ..symbols import Wrt, activation, error
from .roster import check_id

_CODE = re.compile(r"(\d{1,10})-(.+)-([A-Z2-7]{4})")


def variant_seed(seed: int, student: str) -> int:
    """The worksheet seed of ``student``'s variant (see the module's docstring)."""
    digest = hashlib.sha256(f"symbackprop-variant:{seed}:{student}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def fingerprint(network: Network) -> str:
    """SHA-256 of the network's spec as canonical JSON, without its name: which network a code is for."""
    spec = {key: value for key, value in network.to_spec().items() if key != "name"}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _check_letters(network: Network, seed: int, student: str, questions: Sequence[str] = ()) -> str:
    text = f"{fingerprint(network)}:{seed}:{student}" + (f":{','.join(questions)}" if questions else "")
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:4]


def variant_code(network: Network, seed: int, student: str, questions: Sequence[str] | None = None) -> str:
    """The code printed on ``student``'s sheet: ``<seed>-<id>-<check>``."""
    return f"{seed}-{student}-{_check_letters(network, seed, student, questions or ())}"


def read_code(network: Network, code: str, questions: Sequence[str] | None = None) -> tuple[int, str]:
    """(class seed, student id) of a sheet's code, once its check letters fit ``network`` and ``questions``."""
    m = _CODE.fullmatch(code.strip()) if isinstance(code, str) else None
    if not m:
        raise DataError(
            f"cannot read the sheet code {code!r:.80}; a code looks like 7-ada-JHVJ "
            "(class seed, student id, four check letters)"
        )
    seed, student, check = int(m.group(1)), check_id(m.group(2)), m.group(3)
    if _check_letters(network, seed, student, questions or ()) != check:
        asked = f"the questions {','.join(questions)}" if questions else "the sheet's own exercises"
        raise DataError(
            f"the sheet code {code.strip()!r} does not belong to the network {network.describe()}, "
            f"asked about {asked}: it is mistyped, or it was made for another network or other --questions"
        )
    return seed, student


def reference_formula(wrt: str) -> str:
    """A correct formula for ∂L/∂``wrt`` in Python syntax, with the true δ (the key's answer)."""
    which = Wrt.parse(wrt)
    delta, below = error(which.layer), activation(which.layer - 1)
    if which.entry is None:
        return str(delta) if which.kind == "b" else f"{delta} @ {below}.T"
    if which.kind == "b":
        return delta.entry(which.entry[0])
    row, col = which.entry
    return f"{delta.entry(row)} * {below.entry(col)}"


@dataclass(frozen=True)
class Question:
    """One question of a variant: ∂L/∂``wrt`` and its true ``value`` at the sheet's example.

    ``value`` is a float for one entry, a list for a bias, a list of rows for a weight matrix.
    """

    number: int
    wrt: str
    value: Any
    reference: str

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.number, "wrt": self.wrt, "value": self.value, "reference": self.reference}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        return cls(int(data["question"]), str(data["wrt"]), data["value"], str(data["reference"]))


@dataclass(frozen=True)
class Variant:
    """A student's variant: the worksheet (with its key) and the questions graded."""

    student: str
    class_seed: int
    seed: int
    code: str
    sheet: Any  # a symbackprop.worksheets.Worksheet, teacher's copy
    questions: tuple[Question, ...]

    def student_sheet(self) -> Any:
        """The student's copy: no key, the student's name, and the code that regenerates it."""
        return self.sheet.student_copy(self.student, code=self.code)


def split_questions(text: str) -> list[str]:
    """``--questions`` as a list: commas between questions, not those inside an entry's brackets.

    >>> split_questions("W2[1,2], W1,b1[2]")
    ['W2[1,2]', 'W1', 'b1[2]']
    """
    return [part.strip() for part in re.split(r",(?![^\[\]]*\])", text)]


def check_questions(network: Network, questions: Sequence[str]) -> tuple[str, ...]:
    """The ``--questions`` list read as parameters or entries of ``network`` (1-based)."""
    shapes = network.parameter_shapes()
    read = tuple(str(Wrt.read(text.strip(), shapes)) for text in questions)
    if not read:
        raise DataError("--questions names no parameter; give e.g. W2,W1,b1")
    if len(set(read)) != len(read):
        raise DataError(f"--questions names a parameter twice: {','.join(read)}")
    return read


def make_variant(
    network: Network, class_seed: int, student: str, questions: Sequence[str] | None = None
) -> Variant:
    """``student``'s sheet and questions; without ``questions``, the sheet's own exercises."""
    from ..worksheets import build

    seed = variant_seed(class_seed, check_id(student))
    sheet = build(network, seed=seed)
    asked = questions if questions else [e.wrt for e in sheet.exercises if e.wrt]
    return Variant(
        student,
        class_seed,
        seed,
        variant_code(network, class_seed, student, questions),
        sheet,
        tuple(
            Question(number, wrt, true_value(sheet.values.grads, wrt), reference_formula(wrt))
            for number, wrt in enumerate(asked, start=1)
        ),
    )


def true_value(grads: dict[str, Any], wrt: str) -> Any:
    """The gradient's value for ``wrt`` as plain floats: a number, a list, or a list of rows."""
    which = Wrt.parse(wrt)
    grad = grads[which.name]
    if which.cell is None:
        return grad.tolist()
    row, col = which.cell
    return float(grad[row, col] if grad.ndim == 2 else grad[row])
