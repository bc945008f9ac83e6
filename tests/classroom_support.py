"""A small class for the classroom tests: an assignment folder, and seeded submissions of the
kinds a teacher gets (right, a σ' left out, transposed, unreadable), each made from the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

from symbackprop.classroom.answers import toml_string

# Wrong answers, one per kind, for a question about a whole weight matrix W{l}, in Python syntax.
# "missing σ'" and "transposed" are the classic mistakes; "unreadable" is not a formula.


def wrong_formula(kind: str, wrt: str, depth: int = 2) -> str:
    """Half squared error and sigmoid layers, ``depth`` layers: the wrong answer of that kind."""
    layer = int(wrt[1])
    below = "x" if layer == 1 else f"a{layer - 1}"
    if kind == "transposed":
        return f"{below} @ delta{layer}.T"
    if kind == "missing-derivative":
        if layer == depth:
            return f"(a{layer} - y) @ {below}.T"
        return f"(W{layer + 1}.T @ delta{layer + 1}) @ {below}.T"
    if kind == "unreadable":
        return f"delta{layer} @@ {below}"
    raise ValueError(kind)


def answers_file(student: str, entries: list[tuple[int, str, str, str, object]]) -> str:
    """An answers.toml with (question, wrt, syntax, formula, value or None) entries."""
    lines = [f"student = {toml_string(student)}"]
    for number, wrt, syntax, formula, value in entries:
        lines += ["[[answer]]", f"question = {number}", f"wrt = {toml_string(wrt)}",
                  f"syntax = {toml_string(syntax)}", f"formula = {toml_string(formula)}"]
        if value is not None:
            lines.append(f"value = {value!r}")
    return "\n".join(lines) + "\n"


def key_entries(course: Path, student: str) -> list[tuple[int, str, str, str, object]]:
    """The key's answers of ``student`` as entries for :func:`answers_file`."""
    data = tomllib.loads((course / "key" / student / "answers.toml").read_text())
    return [(a["question"], a["wrt"], a["syntax"], a["formula"], a["value"]) for a in data["answer"]]


def hand_in(submissions: Path, folder: str, text: str) -> None:
    (submissions / folder).mkdir(parents=True, exist_ok=True)
    (submissions / folder / "answers.toml").write_text(text, encoding="utf-8")
