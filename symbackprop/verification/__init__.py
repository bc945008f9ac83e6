"""Verify a hand-derived gradient formula: correct, or wrong with a counterexample and a diagnosis.

The formula — one expression or a whole derivation of several lines — is
parsed (never evaluated as code), shape-checked, and compared with the
derivation engine's gradient at seeded random points in 40-digit arithmetic;
a symbolic proof is attempted where it is cheap.  Every entry is judged, so a
matrix answer gets partial credit; every line that names a quantity (δ⁽ˡ⁾,
∂L/∂W⁽ˡ⁾, …) is checked, so a wrong derivation points at its first wrong
line.  A wrong formula comes with the point where it fails and, when it
matches one, the name of the classic mistake.

>>> from symbackprop import models
>>> net = models.two_two_two()
>>> verify(net, "W2", "delta2 @ a1.T").correct
True
>>> v = verify(net, "W1", "(W2.T @ delta2) @ x.T")
>>> v.correct, v.diagnosis.name
(False, 'missing-derivative')
>>> verify(net, "W2[1,2]", r"\\delta^{(2)}_{1} a^{(1)}_{2}", syntax="latex").correct
True
>>> import symbackprop as sbp
>>> sbp.verify(net, "b2", "delta2").correct
True
>>> v = verify(net, "W2", "dZ2 = (A2 - Y) * A2; dW2 = dZ2 @ A1.T")
>>> v.correct, v.first_wrong_line, v.score
(False, 1, 0.0)
>>> v = verify(net, "W1", "x @ delta1.T")
>>> v.score, v.entries.summary, v.diagnosis.name
(0.5, 'right in 2 of 4 entries: W1[1,2] and W1[2,1] are wrong', 'transposed')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import options
from ..derive import Derivation
from ..errors import AnswerShapeError, DataError, ExpressionError, ShapeError, UnsupportedError
from ..limits import verify_problem
from ..spec import Network
from ..symbols import GRADIENT_STEMS, Wrt, error, gradient_name, parameter
from ..symbols import Name as Quantity
from .checking import CheckedLine, check_lines, pick, run, value_lookup
from .comparison import Comparison, compare, digits_apart
from .context import PARAMETER_GRADIENTS, NameTable, describe_quantity, names_for, split
from .equivalence import SYMBOLIC_MAX_NODES, prove
from .evaluate import Undefined, evaluate
from .latex_syntax import parse_latex
from .nodes import BinOp, Call, Entry, Name, Node, Statement, Sum, children, substitute
from .points import Point, quantity_value, sample
from .python_syntax import parse_python
from .shapes import check, describe, is_number
from .verdict import Counterexample, Entries, LineVerdict, Verdict, describe_entries, entry_label

if TYPE_CHECKING:
    from .diagnosis import Diagnosis

__all__ = ["Counterexample", "Diagnosis", "Entries", "LineVerdict", "Verdict", "parse", "verify"]


def __getattr__(name: str) -> Any:
    # The diagnoses and the textbook reference load only when a formula is wrong,
    # so a correct verdict does not pay for them.
    if name == "Diagnosis":
        from .diagnosis import Diagnosis

        return Diagnosis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

SYNTAXES = ("python", "latex")
def parse_wrt(network: Network, wrt: str) -> tuple[str, tuple[int, int] | None]:
    """``W2`` -> ("W2", None); ``W2[1,2]`` -> ("W2", (0, 1)) (given 1-based, kept 0-based).

    The entry is a cell of the parameter as a formula sees it: a 2×2 kernel of one input
    and one output channel, of shape (1, 1, 2, 2), has the entries W1[1,1] … W1[2,2].
    """
    seen = names_for(network).shapes  # a 1×1 kernel on a batch of images is a matrix too
    views = {name: shape if len(shape) <= 2 else seen[name] for name, shape in network.parameter_shapes().items() if name in seen}
    which = Wrt.read(wrt, views)
    return which.name, which.cell


def parse_statements(
    network: Network, formula: str, syntax: str = "python", layer: int | None = None
) -> tuple[Statement, ...]:
    """The lines of a formula over this network's names (raises ExpressionError).

    ``layer`` is what the LaTeX ``l`` stands for: the layer of the parameter asked about.
    """
    table = names_for(network)
    if syntax == "python":
        return parse_python(formula, table)
    if syntax == "latex":
        return parse_latex(formula, table, layer)
    raise ExpressionError(f"unknown syntax {syntax!r}; expected python or latex")


def parse(network: Network, formula: str, syntax: str = "python") -> Node:
    """The formula's answer (its last line) as a tree over this network's names."""
    return parse_statements(network, formula, syntax)[-1].expr


def verify(
    net: Network | dict,
    wrt: str,
    formula: str,
    syntax: str = "python",
    seed: int = 0,
    points: int = 8,
    symbolic: bool = True,
    budget: float = 1.0,
) -> Verdict:
    """Judge ``formula`` as ∂L/∂(wrt) for one sample of ``net``.

    ``wrt`` names a parameter (``W1``) or one entry (``W2[1,2]``, 1-based),
    which takes a scalar formula.  ``formula`` is one expression or a
    derivation whose last line is the answer.  Unreadable formulas raise
    ExpressionError, shape mistakes ShapeError (the command line exits 2 on both).
    """
    if not isinstance(net, Network):
        net = Network.from_spec(net)
    seed, budget = options.seed(seed), options.seconds(budget, "the proof's time budget")
    unsupported = net.unsupported("verify")
    if unsupported:
        raise UnsupportedError(unsupported)
    too_large = verify_problem(net.parameter_count(), net.sizes)
    if too_large:  # refused before the work, which grows with the number of parameters
        raise DataError(too_large)
    table = names_for(net)
    name, entry = _readable_wrt(net, wrt, table)
    statements = parse_statements(net, formula, syntax, layer=split(name)[1])
    _check_answer_names(statements[-1], name, wrt)
    lines = check_lines(statements, table, syntax)
    answer = lines[-1]
    _check_result_shape(net, wrt, name, entry, answer.shape, syntax, answer.tree)
    derivation = Derivation(net)
    sample_points = sample(derivation, name, count=points, seed=seed)
    label = entry_label(name, entry) if entry is not None else name

    values = [run(lines, point, table) for point in sample_points]
    comparisons = _compare_lines(lines, sample_points, values, entry)
    result = comparisons[-1]
    line_verdicts, first_wrong = _line_verdicts(net, lines, comparisons, name, entry, sample_points, values, table)
    entries = _entries(result, name, entry)
    if result.correct:
        # The proof reads the MLP's scalar symbols; other networks rest on the points.
        inlined = _inline(lines) if symbolic and net.is_mlp and _provable(lines) else None
        proved = inlined is not None and prove(inlined, derivation, name, entry, budget)
        return Verdict(
            True, label, formula, syntax, seed, len(sample_points),
            "symbolic" if proved else "numeric", result.largest, None, None,
            1.0, entries, line_verdicts, first_wrong, table.samples, bool(table.images),
        )
    wrong_index = next(k for k, c in enumerate(comparisons) if c is not None and not c.correct)
    wrong = comparisons[wrong_index]
    wrong_name = _quantity_label(lines[wrong_index], name, entry)
    failed_at = wrong.failed_point
    counter = _counterexample(
        net, wrong_name, label if wrong_index == len(lines) - 1 else wrong_name, wrong, failed_at,
        sample_points[failed_at], lines[wrong_index].statement.line,
    )
    diagnosis = line_verdicts[wrong_index].diagnosis if line_verdicts else None
    if not line_verdicts or (diagnosis is None and wrong_index < len(lines) - 1):
        # A wrong line with no diagnosis of its own (such as dA⁽¹⁾ = W⁽²⁾ δ⁽²⁾): the answer,
        # which carries its mistake, may have one.
        diagnosis = _diagnose_line(net, lines[-1], name, entry, sample_points, [v[-1] for v in values], table)
    return Verdict(
        False, label, formula, syntax, seed, len(sample_points), "numeric", result.largest, counter,
        diagnosis, result.score, entries, line_verdicts, first_wrong, table.samples, bool(table.images),
    )


# -- the lines of a derivation ------------------------------------------------------------


def _check_answer_names(answer: Statement, name: str, wrt: str) -> None:
    """The last line must be the quantity asked about when its left-hand side names one."""
    if answer.quantity is None:
        return
    which = parameter(name)
    wanted = {str(gradient_name(which))} | ({str(error(which.layer))} if which.stem == "b" else set())
    if answer.quantity not in wanted:
        raise ExpressionError(
            f"the last line is {describe_quantity(answer.quantity)}, but the question asks for "
            f"∂L/∂{wrt}; the answer comes last"
        )


def _compare_lines(
    lines: list[CheckedLine], points: list[Point], values: list[list[Any]], entry: tuple[int, int] | None
) -> list[Comparison | None]:
    """Each checked line against its truth (None for lines that are not checked)."""
    out: list[Comparison | None] = []
    last = len(lines) - 1
    for k, line in enumerate(lines):
        if k == last:
            truths = [pick(p.gradient, entry) for p in points]
            out.append(compare([pick(v[k], entry) for v in values], truths))
        elif line.statement.quantity is not None:
            truths = [quantity_value(p, line.statement.quantity) for p in points]
            out.append(compare([v[k] for v in values], truths))
        else:
            out.append(None)
    return out


def _line_verdicts(
    net: Network,
    lines: list[CheckedLine],
    comparisons: list[Comparison | None],
    name: str,
    entry: tuple[int, int] | None,
    points: list[Point],
    values: list[list[Any]],
    table: NameTable,
) -> tuple[tuple[LineVerdict, ...], int | None]:
    """One verdict per line of a derivation (none for a one-line formula) and the first wrong line."""
    if len(lines) == 1:
        wrong = comparisons[0] is not None and not comparisons[0].correct
        return (), (lines[0].statement.line if wrong else None)
    out = []
    first_wrong = None
    for k, (line, comparison) in enumerate(zip(lines, comparisons, strict=True)):
        statement = line.statement
        if comparison is None:
            out.append(LineVerdict(statement.line, statement.text, None, None))
            continue
        label = _quantity_label(line, name, entry)
        diagnosis = None
        if not comparison.correct and first_wrong is None:
            first_wrong = statement.line
            diagnosis = _diagnose_line(net, line, name if k == len(lines) - 1 else None, entry, points,
                                       [v[k] for v in values], table)
        checks = describe_quantity(statement.quantity) if statement.quantity else f"∂L/∂{name}"
        out.append(
            LineVerdict(statement.line, statement.text, checks, comparison.correct,
                        _entries(comparison, label, None), diagnosis)
        )
    return tuple(out), first_wrong


def _quantity_label(line: CheckedLine, name: str, entry: tuple[int, int] | None) -> str:
    """The name entries of a line's value are labelled with: W1 for the answer, delta2 for δ⁽²⁾…"""
    quantity = line.statement.quantity
    if quantity is None or split(quantity)[0] in PARAMETER_GRADIENTS:
        return name
    return line.statement.written or quantity


def _entries(comparison: Comparison, name: str, entry: tuple[int, int] | None) -> Entries:
    wrong = comparison.wrong_entries()
    if entry is not None:
        return Entries(comparison.score == 1, 1, () if not wrong else (entry_label(name, entry),),
                       "right" if not wrong else "wrong")
    labels = tuple(entry_label(name, where, comparison.cols) for where in wrong)
    shape = (comparison.rows, comparison.cols)
    return Entries(len(comparison.right) - len(wrong), len(comparison.right), labels,
                   describe_entries(shape, wrong, name))


def _inline(lines: list[CheckedLine]) -> Node | None:
    """The answer with the derivation's own names replaced by what their lines say; None when
    that would be too large to prove (each line may double the size of the next)."""
    defined: dict[str, Node] = {}
    sizes: dict[str, int] = {}
    for line in lines:
        size, stack = 0, [line.tree]
        while stack:
            node = stack.pop()
            size += sizes.get(node.id, 1) if isinstance(node, Name) else 1
            stack.extend(children(node))
        if size > SYMBOLIC_MAX_NODES:
            return None
        tree = substitute(line.tree, defined)
        if line.statement.target is not None:
            defined[line.statement.target], sizes[line.statement.target] = tree, size
    return tree


def _provable(lines: list[CheckedLine]) -> bool:
    """Index notation over a line's own result cannot be inlined: the proof is left to the numbers."""
    targets = {line.statement.target for line in lines[:-1]} - {None}
    return not any(
        isinstance(node, Entry) and node.name in targets for line in lines for node in _walk(line.tree)
    )


def _walk(tree: Node) -> list[Node]:
    """Every node of a tree."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children(node))
    return out


# -- diagnosis -----------------------------------------------------------------------


def _diagnose_line(
    net: Network,
    line: CheckedLine,
    name: str | None,
    entry: tuple[int, int] | None,
    points: list[Point],
    values: list[Any],
    table: NameTable,
) -> Diagnosis | None:
    """The classic mistake of a wrong line: the answer (``name``) or a δ, ∂L/∂W, ∂L/∂b line."""
    if any(v is None for v in values):
        return None
    if name is None:
        stem, layer = split(line.statement.quantity or "")
        if stem not in ("delta", "dA", *PARAMETER_GRADIENTS):
            return None
        name, entry = str(Quantity(GRADIENT_STEMS[stem] if stem in PARAMETER_GRADIENTS else stem, layer)), None
    index_form = any(isinstance(node, Entry | Sum) for node in _walk(line.tree))
    return diagnose(net, name, entry, points, [pick(v, entry) if entry else v for v in values], table, index_form)


def diagnose(
    net: Network,
    name: str,
    entry: tuple[int, int] | None,
    points: list[Point],
    values: list[Any],
    table: NameTable,
    index_form: bool = False,
) -> Diagnosis | None:
    """The first classic mistake whose values agree with the formula's at every point.

    ``name`` is the parameter asked about, or ``delta2`` (``dA2``) for a line that names δ⁽²⁾ (∂L/∂a⁽²⁾).
    """
    from . import reference
    from .diagnosis import catalogue

    extra = reference.functions(net)
    shapes = dict(table.shapes)
    expected = table.shapes[name]
    for candidate in catalogue(net, name, entry, index_form):
        try:
            tree = reference.quantity_tree(net, name, candidate.mutation)
            tree, shape = check(tree, shapes, "python", table.images, table.sequences, table.samples > 1)
        except (ShapeError, reference.NoFormula):
            continue
        if entry is None and shape != expected and not (is_number(shape) and is_number(expected)):
            continue
        if entry is not None and not (entry[0] < shape[0] and entry[1] < shape[1]):
            continue
        matched = True
        for point, value in zip(points, values, strict=True):
            try:
                mutated = pick(evaluate(tree, value_lookup(point, table), extra), entry)
            except Undefined:
                matched = False
                break
            if not compare([value], [mutated]).correct:
                matched = False
                break
        if matched:
            return candidate
    return None


# -- helpers -----------------------------------------------------------------


def _counterexample(
    net: Network, name: str, label: str, comparison: Comparison, index: int, point: Point, line: int
) -> Counterexample:
    """The failing point, with the entry that differs most (``label`` names a one-number value)."""
    where, got, expected = comparison.worst(index)
    value = comparison.values[index]
    differences = comparison.differences[index]
    got_text, true_text = ("", str(expected)) if got is None else digits_apart(got, expected)
    if got is None:
        true_text = digits_apart(expected, expected)[1]
    return Counterexample(
        point=index + 1,
        inputs=point.inputs(net.parameter_names()),
        entry=entry_label(name, where, comparison.cols) if comparison.rows * comparison.cols > 1 else label,
        formula_value=None if got is None else float(got),
        true_value=float(expected),
        formula_matrix=None if value is None else _to_lists(value),
        true_matrix=_to_lists(comparison.truths[index]),
        formula_text=got_text,
        true_text=true_text,
        relative_difference=float("inf") if differences is None else float(max(differences)),
        line=line,
    )


def _parameter_shape(net: Network, name: str) -> tuple[int, int]:
    """The parameter's shape as a formula sees it (a one-channel kernel is a k×k matrix)."""
    return names_for(net).shapes[name]


def _readable_wrt(net: Network, wrt: str, table: NameTable) -> tuple[str, tuple[int, int] | None]:
    """The parameter asked about, after checking that a formula can name it."""
    try:
        name = Wrt.parse(wrt).name
    except ValueError:
        name = None
    if name is not None and table.unseen(name):
        raise UnsupportedError(f"verify cannot judge ∂L/∂{name}: {table.unseen(name)}")
    return parse_wrt(net, wrt)


def _check_result_shape(
    net: Network, wrt: str, name: str, entry: tuple[int, int] | None, shape: tuple[int, ...], syntax: str,
    tree: Node | None = None,
) -> None:
    mark = ".T" if syntax == "python" else "^T"
    if entry is not None:
        if shape in ((), (1, 1)):
            return
        raise AnswerShapeError(
            f"the formula gives a {describe(shape)} matrix but ∂L/∂{wrt} is one number; "
            f"use scalar names such as {names_for(net).example_entry}, or --wrt {name} for the whole matrix",
            shape, (1, 1),
        )
    expected = _parameter_shape(net, name)
    if shape == expected or (shape == () and expected == (1, 1)):
        return
    if shape in ((), (1, 1)):
        raise AnswerShapeError(
            f"the formula gives one number but ∂L/∂{name} is a {expected} matrix; {_one_number_hint(tree, name, mark)}",
            shape, expected,
        )
    hint = ""
    if shape == expected[::-1]:
        hint = f"; missing {mark}?"
    elif name[0] == "W" and shape == (expected[0], 1):
        hint = f"; ∂L/∂W is a column times a row, δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾){mark}: missing {mark}?"
    raise AnswerShapeError(f"the formula gives a {shape} matrix but ∂L/∂{name} is a {expected}{hint}",
                           shape, expected)


def _one_number_hint(tree: Node | None, name: str, mark: str) -> str:
    """Why a formula for a matrix gave one number: a sum over the wrong axis, an inner product."""
    if isinstance(tree, Call) and tree.func == "colsum":
        return (
            "np.sum(…, axis=0) adds down each column, and here every vector is a column (one sample): "
            "the sum over samples, as in Ng's db, is axis=1"
        )
    if isinstance(tree, Call) and tree.func == "sum":
        return "a sum without an axis adds every entry; the sum over samples, as in Ng's db, is np.sum(…, axis=1, keepdims=True)"
    if isinstance(tree, BinOp) and tree.op == "@":
        outer = "δ @ a.T" if mark == ".T" else "δ a^T"
        return "a row times a column is one number (an inner product)" + (
            f"; ∂L/∂W is a column times a row, {outer}" if name.startswith("W") else ""
        )
    return f"for one entry use --wrt {entry_label(name, (0, 0))} with scalar names"


def _to_lists(value: Any) -> Any:
    if not hasattr(value, "rows_as_lists"):
        return float(value)
    return [[float(v) for v in row] for row in value]
