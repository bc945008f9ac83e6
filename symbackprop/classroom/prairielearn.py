"""PrairieLearn: one question folder per question of the assignment, graded by symbackprop.

Each folder holds ``info.json`` (PrairieLearn's question metadata), a
``question.html`` (the network, the worked example's numbers, a formula
input and, for one entry, a number input) and a ``server.py`` that
PrairieLearn calls: ``generate(data)`` draws a variant of the sheet from
PrairieLearn's own variant seed, ``grade(data)`` judges the formula with
``symbackprop.verify`` and writes its partial score and feedback.  The
server.py only names the network and the question; the work is done by
:func:`generate` and :func:`grade` here, so the course's PrairieLearn needs
symbackprop installed where it runs question code.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from ..io import write_files_unless_same
from ..spec import Network
from .judging import judge_formula
from .variants import fingerprint, reference_formula, true_value
from .wording import allowed_error, example_lines, number, tolerance_text, wrt_latex

FORMULA_WEIGHT = 3  # the formula counts three times as much as the value
TIME_LIMIT = 10.0


def question_ids(assignment: Any) -> list[tuple[str, str | None, int]]:
    """(question id, wrt or None for each sheet's own exercise, exercise number) per question."""
    if assignment.questions:
        return [(f"symbackprop-d{wrt.lower()}", wrt, n) for n, wrt in enumerate(assignment.questions, start=1)]
    count = len(assignment.variant_of(assignment.students[0])["questions"])
    return [(f"symbackprop-exercise{n}", None, n) for n in range(1, count + 1)]


def info(assignment: Any, qid: str, wrt: str | None, number_: int) -> dict[str, Any]:
    """The question's info.json."""
    net = assignment.network
    asks = f"∂L/∂{wrt}" if wrt else f"exercise {number_} of the sheet"
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"symbackprop:{fingerprint(net)}:{assignment.seed}:{qid}")),
        "title": f"Backpropagation by hand: {asks} of a {'-'.join(map(str, net.sizes))} network",
        "topic": "Backpropagation",
        "tags": ["symbackprop", "backpropagation"],
        "type": "v3",
        "gradingMethod": "Internal",
        "partialCredit": True,
        "singleVariant": False,
    }


QUESTION_HTML = """<pl-question-panel>
  <p>{{params.network}}</p>
  <p>The worked example: {{params.example}}.</p>
  <p>Derive $$ {{params.wrt_latex}} $$ for one sample, as a formula in Python syntax
  (<code>delta2 @ a1.T</code>, <code>(W2.T @ delta2) * a1 * (1 - a1)</code>) or LaTeX
  (<code>\\delta^{(2)} (a^{(1)})^T</code>); a derivation of several lines, separated by
  <code>;</code>, ends with the answer.</p>
</pl-question-panel>
<pl-string-input answers-name="formula" label="Formula:" size="70" placeholder="delta2 @ a1.T"></pl-string-input>
{{#params.has_value}}
<p>Its value at the worked example is right {{params.tolerance}}.</p>
<pl-number-input answers-name="value" label="Its value at the worked example:" rtol="0" atol="{{params.atol}}"></pl-number-input>
{{/params.has_value}}
<pl-submission-panel>
  <p>{{feedback.formula}}</p>
</pl-submission-panel>
"""

SERVER_PY = '''"""PrairieLearn question written by symbackprop: {asks}, graded by symbackprop.verify.

PrairieLearn calls generate(data) for a new variant and grade(data) for a
submission; symbackprop must be installed where PrairieLearn runs question code.
"""

NETWORK = {network}
WRT = {wrt}  # None: the exercise of each variant's own sheet
EXERCISE = {exercise}
TIME_LIMIT = {time_limit}
TOLERANCE = {tolerance}  # a value is right within this fraction of its true value


def generate(data):
    from symbackprop.classroom.prairielearn import generate as draw

    draw(data, NETWORK, WRT, EXERCISE, TOLERANCE)


def grade(data):
    from symbackprop.classroom.prairielearn import grade as judge

    judge(data, NETWORK, TIME_LIMIT)
'''


def write_questions(assignment: Any, output: Path, force: bool = False, tolerance: float = 0.005) -> list[Path]:
    """One PrairieLearn question folder per question, inside ``output`` (a course's questions/)."""
    files = []
    for qid, wrt, exercise in question_ids(assignment):
        server = SERVER_PY.format(
            asks=f"∂L/∂{wrt}" if wrt else f"exercise {exercise} of each sheet",
            network=repr(assignment.network.to_spec()), wrt=repr(wrt),
            exercise=exercise, time_limit=TIME_LIMIT, tolerance=repr(tolerance),
        )
        info_json = json.dumps(info(assignment, qid, wrt, exercise), indent=2, ensure_ascii=False) + "\n"
        files += [(output / qid / "info.json", info_json), (output / qid / "question.html", QUESTION_HTML),
                  (output / qid / "server.py", server)]
    output.mkdir(exist_ok=True)
    for path, _ in files:
        path.parent.mkdir(exist_ok=True)
    write_files_unless_same(files, force=force)
    return [path for path, _ in files]


# -- what server.py calls --------------------------------------------------------------------


def _seed(value: Any) -> int:
    """PrairieLearn's variant seed (a number, or text) as a worksheet seed."""
    try:
        return int(value) % (1 << 31)
    except (TypeError, ValueError):
        return int.from_bytes(str(value).encode()[:4].ljust(4, b"\0"), "big") >> 1


def generate(data: dict[str, Any], spec: dict[str, Any], wrt: str | None, exercise: int,
             tolerance: float = 0.005) -> None:
    """Fill ``data["params"]`` and ``data["correct_answers"]`` for a new variant.

    A value is right within ``tolerance`` of the true value, as ``symbackprop
    grade`` judges it: ``params["atol"]``, which question.html gives ``pl-number-input``.
    """
    from ..worksheets import build

    network = Network.from_spec(spec)
    sheet = build(network, seed=_seed(data.get("variant_seed")))
    asked = wrt or [e.wrt for e in sheet.exercises if e.wrt][exercise - 1]
    value = true_value(sheet.values.grads, asked)
    example = {"example": {"x": list(sheet.values.x), "y": list(sheet.values.y),
                           "params": {k: v.tolist() for k, v in sheet.values.params.items()}}}
    params = data.setdefault("params", {})
    params.update(
        wrt=asked,
        wrt_latex=wrt_latex(asked),
        network=f"A {network.describe()} network (layers {'-'.join(map(str, network.sizes))}).",
        example=", ".join(f"${name} = {text}$" for name, text in example_lines(example)),
        has_value=not isinstance(value, list),
        tolerance=tolerance_text(asked, tolerance),
        atol=number(allowed_error(value, tolerance)),
    )
    correct = data.setdefault("correct_answers", {})
    correct["formula"] = reference_formula(asked)
    if not isinstance(value, list):
        correct["value"] = float(number(value))


def grade(data: dict[str, Any], spec: dict[str, Any], time_limit: float = TIME_LIMIT) -> None:
    """Judge the submitted formula; set its partial score and feedback, and the question's score.

    The elements have graded first: ``pl-number-input`` the value (kept as it
    is), ``pl-string-input`` the formula by comparing text, which is replaced here.
    """
    network = Network.from_spec(spec)
    formula = str(data.get("submitted_answers", {}).get("formula") or "").strip()
    if formula:
        syntax = "latex" if "\\" in formula else "python"
        result = judge_formula(network, data["params"]["wrt"], syntax, formula, time_limit)
        score, feedback = result.score, " ".join(result.sentences)
    else:
        score, feedback = 0.0, "You gave no formula."
    scores = data.setdefault("partial_scores", {})
    scores["formula"] = {"score": score, "weight": FORMULA_WEIGHT, "feedback": feedback}
    data.setdefault("feedback", {})["formula"] = feedback
    total = sum(part.get("weight", 1) for part in scores.values())
    data["score"] = sum(part.get("score", 0) * part.get("weight", 1) for part in scores.values()) / total
