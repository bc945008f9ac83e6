"""The chain rule made explicit: Derivation -> sections of printable steps.

Each local factor (∂z/∂w, ∂z/∂a, ∂a/∂z, ∂L/∂a) shown here is computed by
SymPy from the local expression, so the printed derivation is SymPy's work,
not a template.  Large networks print the same way; people who want less use
``wrt`` (one parameter) or the matrix level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy
from sympy import HadamardProduct, MatAdd, MatMul, MatrixSymbol, Transpose

from .activations import S, T
from .display import (
    Applied,
    Chain,
    Elementwise,
    Formula,
    Named,
    Partial,
    Product,
    Terms,
    product,
    value,
)
from .layers.l2 import LAMBDA
from .losses import A, N, Y
from .printing import latex, text
from .steps import Section, Step
from .symbols import LOSS, LOSS_LATEX, LOSS_TEXT, Name, error
from .tensor import (
    Activate,
    LossGradient,
    LossValue,
    Op,
    Quantity,
    Slope,
    SoftmaxVJP,
    Tensor,
    Visitor,
)
from .tensor import Add as TensorAdd
from .tensor import Hadamard as TensorHadamard
from .tensor import MatMul as TensorMatMul
from .tensor import Sub as TensorSub
from .tensor import Transpose as TensorTranspose

if TYPE_CHECKING:
    from .symbolic import Symbolic as Derivation

_I, _J = sympy.symbols("i j", integer=True, positive=True)
# A gradient is also written out with the δ's above expanded while that stays
# short: at most this many paths from the unit to the loss.  Beyond, the steps
# stop at the δ form, and each δ is given on its own line.
EXPAND_PATHS = 4


_step, _section = Step, Section


# -- pieces shared by both levels ---------------------------------------------


def _applied(d: Derivation, layer: int, arg, prime: bool = False):
    act = d.network.layers[layer - 1].activation
    if act.kind == "identity":
        return sympy.Integer(1) if prime else arg
    return Applied(act.latex_symbol, act.text_symbol, arg, prime)


def identity_steps(d: Derivation) -> tuple[Step, ...]:
    """σ' for each activation used, and ∂L/∂a for the loss, each worked by SymPy."""
    steps: list[Step] = []
    seen: set[str] = set()
    for layer in d.network.layers:
        act = layer.activation
        if act.name in seen or act.kind == "identity":
            continue
        seen.add(act.name)
        if not act.elementwise:
            a, z = sympy.IndexedBase("a"), sympy.IndexedBase("z")
            steps.append(
                _step(
                    Partial(a[_I], z[_J]),
                    (Product(a[_I], sympy.KroneckerDelta(_I, _J) - a[_J]),),
                    r"softmax Jacobian, from $a_i = e^{z_i} / \sum_k e^{z_k}$",
                )
            )
            continue
        lhs = Applied(act.latex_symbol, act.text_symbol, T, prime=True)
        rhs: list = [act.derivative]
        why = "differentiated by SymPy"
        if act.derivative_of_output is not None and act.kind != "relu":
            as_output = product(act.derivative_of_output.subs(S, Applied(act.latex_symbol, act.text_symbol, T)))
            # The identity derivative == derivative_of_output(expr) is proved by the
            # tests of the activation table, not re-proved (slowly) on every print.
            in_output = act.derivative_of_output.subs(S, act.expr)
            if in_output != act.derivative:  # tanh' is already written in tanh
                rhs.append(as_output)
            why = "so with $a = " + act.latex_symbol + "(z)$ the factor is written in $a$"
        if act.kind == "relu":
            why = r"$\operatorname{ReLU}'(0)$ is taken as 0"
        if act.slope is not None:
            why = f"slope {act.slope:g} for $t \\le 0$; the derivative at 0 is taken as the slope"
        steps.append(_step(lhs, tuple(rhs), why))
    term = d.network.loss.term_derivative
    a_j, y_j = sympy.symbols("a_j y_j", real=True)
    steps.append(
        _step(
            Partial(LOSS, a_j),
            (term.subs({A: a_j, Y: y_j, N: d.network.sizes[-1]}),),
            f"differentiating the {d.network.loss.title} loss term by term",
        )
    )
    if d.softmax_cross_entropy:
        a, y, n = sympy.IndexedBase("a"), sympy.IndexedBase("y"), d.network.sizes[-1]
        steps.append(
            _step(
                error(d.network.depth).symbol("j"),
                (
                    sympy.Sum(Chain(-y[_I] / a[_I], Product(a[_I], sympy.KroneckerDelta(_I, _J) - a[_J])), (_I, 1, n)),
                    -y[_J] + a[_J] * sympy.Sum(y[_I], (_I, 1, n)),
                    a[_J] - y[_J],
                ),
                r"softmax with cross-entropy: the targets sum to 1, $\sum_i y_i = 1$",
            )
        )
    elif d.output_identity:
        act = d.network.output_activation
        a, y = sympy.IndexedBase("a"), sympy.IndexedBase("y")
        slope = act.derivative_of_output.subs(S, a[_J])
        grad = term.subs({A: a[_J], Y: y[_J], N: d.network.sizes[-1]})
        steps.append(
            _step(
                error(d.network.depth).symbol("j"),
                (Chain(Partial(LOSS, a[_J]), Partial(a[_J], sympy.IndexedBase("z")[_J])),
                 Chain(grad, product(slope)), a[_J] - y[_J]),
                f"{act.title} with {d.network.loss.title}: the factors cancel",
            )
        )
    return tuple(steps)


def _terms(*terms):
    """A displayed sum, or the term itself when there is only one."""
    return terms[0] if len(terms) == 1 else Terms(*terms)


def forward_section(d: Derivation) -> Section:
    steps: list[Step] = []
    for layer in d.symbols.layers:
        act = d.network.layers[layer.index - 1].activation
        inputs = d.symbols.activations(layer.index - 1)
        for j in range(len(layer.z)):
            # written as the textbooks do: w_j1 a_1 + w_j2 a_2 + … + b_j
            terms = [Product(layer.W[j, k], inputs[k]) for k in range(len(inputs))]
            if layer.b is not None:
                terms.append(layer.b[j])
            steps.append(_step(layer.z[j], (_terms(*terms),), "" if j else f"layer {layer.index}: weighted input"))
        for j in range(len(layer.z)):
            if act.elementwise:
                rhs = _applied(d, layer.index, layer.z[j])
            else:
                exps = [sympy.exp(z_i) for z_i in layer.z]
                rhs = sympy.exp(layer.z[j]) / Terms(*exps)
            steps.append(_step(layer.a[j], (rhs,), "" if j else f"layer {layer.index}: activation {act.title}"))
    steps.append(_step(LOSS, (d.loss,), f"the {d.network.loss.title} loss"))
    sizes = "-".join(map(str, d.network.sizes))
    return _section(
        "Forward pass",
        tuple(steps),
        f"Network {sizes}, {d.network.loss.title} loss, {'with' if d.network.bias else 'without'} biases. "
        "Layer 0 is the input: $a^{(0)} = x$.",
    )


# -- scalar level -------------------------------------------------------------


def _local(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """A local partial derivative, computed by SymPy.

    A sum is differentiated term by term, and only the terms that contain the
    symbol: z = Σₖ wⱼₖ aₖ + bⱼ has one such term, which keeps the derivation
    linear in the width instead of quadratic.
    """
    if isinstance(expr, sympy.Add):
        return sympy.Add(*[sympy.diff(term, symbol) for term in expr.args if term.has(symbol)])
    return sympy.diff(expr, symbol)


def delta_steps(d: Derivation, layer: int, units: tuple[int, ...] | None = None) -> tuple[Step, ...]:
    """δ⁽ˡ⁾ⱼ = ∂L/∂z⁽ˡ⁾ⱼ for every unit j of one layer (or the 0-based ``units``)."""
    L = d.network.depth
    syms = d.symbols.layers[layer - 1]
    act = d.network.layers[layer - 1].activation
    delta = d.deltas[layer - 1]
    steps: list[Step] = []
    for j in range(len(syms.z)) if units is None else units:
        z_j, a_j = syms.z[j], syms.a[j]
        if layer == L and act.elementwise:
            dL_da = d.loss_gradient[j]
            da_dz = d.activation_derivative(layer, j)
            steps.append(
                _step(
                    Partial(LOSS, z_j),
                    (Chain(Partial(LOSS, a_j), Partial(a_j, z_j)), Chain(dL_da, da_dz),
                     a_j - d.symbols.y[j] if d.output_identity else delta[j]),
                    f"$z_j$ reaches ${LOSS_LATEX}$ only through $a_j$"
                    + ("; the factors cancel to $a_j - y_j$" if d.output_identity else ""),
                )
            )
        elif layer == L:
            n = len(syms.z)
            terms = [Chain(Partial(LOSS, syms.a[i]), Partial(syms.a[i], z_j)) for i in range(n)]
            values = [
                Chain(d.loss_gradient[i], syms.a[i] * (sympy.KroneckerDelta(i, j) - syms.a[j]))
                for i in range(n)
            ]
            why = "softmax couples every output to $z_j$"
            if d.softmax_cross_entropy:
                why += r"; the targets sum to 1, $\sum_i y_i = 1$"
            steps.append(_step(Partial(LOSS, z_j), (_terms(*terms), _terms(*values), delta[j]), why))
        else:
            above = d.symbols.layers[layer]
            z_next = d.pre_activations[layer]
            terms = [Chain(Partial(LOSS, above.z[i]), Partial(above.z[i], a_j)) for i in range(len(above.z))]
            values = [Chain(above.delta[i], _local(z_next[i], a_j)) for i in range(len(above.z))]
            steps.append(
                _step(
                    Partial(LOSS, z_j),
                    (
                        Chain(_terms(*terms), Partial(a_j, z_j)),
                        Chain(_terms(*values), d.activation_derivative(layer, j)),
                        delta[j],
                    ),
                    f"$a_j$ feeds every unit of layer {layer + 1}",
                )
            )
        last = steps[-1]
        rhs = last.rhs
        if value(rhs[-2]) == rhs[-1]:
            rhs = rhs[:-1]  # the product written out again adds nothing
        steps[-1] = _step(syms.delta[j], (last.lhs, *rhs), last.why)
    return tuple(steps)


def paths(d: Derivation, layer: int) -> int:
    """How many terms δ⁽ˡ⁾ⱼ has with every δ above it written out (one per path to the loss)."""
    if layer == d.network.depth:
        elementwise = d.network.output_activation.elementwise
        return 1 if elementwise or d.output_identity else d.network.sizes[-1]
    return d.network.sizes[layer + 1] * paths(d, layer + 1)


def _chain(*factors):
    """A displayed product in the order given, leaving out factors equal to 1."""
    kept = [f for f in factors if f != 1]
    if not kept:
        return sympy.Integer(1)
    return kept[0] if len(kept) == 1 else Chain(*kept)


def expanded_delta(d: Derivation, layer: int, unit: int):
    """δ⁽ˡ⁾ⱼ (0-based ``unit``) in chain order with the δ's above written out.

    As a person writes it: the loss's derivative first, then each σ' on the way
    back, each weight after the δ it multiplies — ((a − y)·σ'·w + …)·σ' — not
    SymPy's sorted factors.
    """
    L = d.network.depth
    syms = d.symbols.layers[layer - 1]
    if layer == L:
        if d.output_identity:
            return syms.a[unit] - d.symbols.y[unit]
        if d.network.output_activation.elementwise:
            return _chain(d.loss_gradient[unit], d.activation_derivative(L, unit))
        return _terms(*[
            _chain(d.loss_gradient[i], syms.a[i] * (sympy.KroneckerDelta(i, unit) - syms.a[unit]))
            for i in range(len(syms.a))
        ])
    z_next = d.pre_activations[layer]
    terms = [
        _chain(expanded_delta(d, layer + 1, i), _local(z_next[i], syms.a[unit])) for i in range(len(z_next))
    ]
    return _chain(_terms(*terms), d.activation_derivative(layer, unit))


def gradient_in_chain_order(d: Derivation, kind: str, layer: int, row: int, col: int):
    """∂L/∂θ with the δ's expanded, in chain order (δ, then σ', then the input); None when too long."""
    if paths(d, layer) > EXPAND_PATHS:
        return None
    syms = d.symbols.layers[layer - 1]
    theta = syms.W[row, col] if kind == "W" else syms.b[row]
    return _chain(expanded_delta(d, layer, row), _local(d.pre_activations[layer - 1][row], theta))


def parameter_chain(d: Derivation, kind: str, layer: int, row: int, col: int) -> tuple[Step, ...]:
    """The steps for one scalar ∂L/∂w⁽ˡ⁾ⱼₖ or ∂L/∂b⁽ˡ⁾ⱼ (0-based row, col)."""
    syms = d.symbols.layers[layer - 1]
    z_j = syms.z[row]
    theta = syms.W[row, col] if kind == "W" else syms.b[row]
    local = _local(d.pre_activations[layer - 1][row], theta)
    result = Chain(syms.delta[row], local) if local != 1 else syms.delta[row]
    rhs = [Chain(Partial(LOSS, z_j), Partial(z_j, theta)), result]
    expanded = gradient_in_chain_order(d, kind, layer, row, col)
    if expanded is not None:
        rhs.append(expanded)
    if kind == "W":
        why = rf"$w_{{jk}}$ enters ${LOSS_LATEX}$ only through $z_j$, and $\partial z_j / \partial w_{{jk}} = a_k$"
    else:
        why = rf"$b_j$ enters ${LOSS_LATEX}$ only through $z_j$, and $\partial z_j / \partial b_j = 1$"
    if kind == "W" and d.plan.penalty is not None:
        # L2 adds (λ/2) w² to the loss: its derivative λw joins every form of the data term.
        rhs = [Terms(form, LAMBDA * theta) for form in rhs]
        why += r"; with L2, $\partial (\lambda/2) w^2 / \partial w = \lambda w$ is added"
    return (_step(Partial(LOSS, theta), tuple(rhs), why),)


def scalar_sections(
    d: Derivation, wrt: str | None, entry: tuple[int, int] | None = None
) -> tuple[Section, ...]:
    """Forward pass, derivatives used, the δ's needed and the gradients asked for.

    ``entry`` (1-based row, col) narrows ``wrt`` to one scalar.
    """
    L = d.network.depth
    lowest = Name.parse(wrt).layer if wrt else 1
    sections = [forward_section(d), _section("Derivatives used", identity_steps(d))]
    for layer in range(L, lowest - 1, -1):
        sections.append(
            _section(
                f"Errors of layer {layer}: "
                f"$\\delta^{{({layer})}} = \\partial {LOSS_LATEX} / \\partial z^{{({layer})}}$",
                delta_steps(d, layer, (entry[0] - 1,) if entry and layer == lowest else None),
            )
        )
    for layer in range(L, lowest - 1, -1):
        names = [n for n in map(Name.parse, d.parameters()) if n.layer == layer and wrt in (None, str(n))]
        steps: list[Step] = []
        for name in names:
            shape = d.network.parameter_shapes()[str(name)]
            if entry is not None:
                steps.extend(parameter_chain(d, name.stem, layer, entry[0] - 1, entry[1] - 1))
                continue
            for row in range(shape[0]):
                for col in range(shape[1] if len(shape) == 2 else 1):
                    steps.extend(parameter_chain(d, name.stem, layer, row, col))
        if steps:
            sections.append(_section(f"Gradients of layer {layer}", tuple(steps)))
    return tuple(sections)


# -- matrix level -------------------------------------------------------------


class MatrixForm(Visitor):
    """The plan's rules as SymPy matrix expressions, built unevaluated for printing.

    The operators would canonicalise, which costs more than all the rest at
    large depth, and the factors are already in printing order.
    """

    def _visit_Quantity(self, node: Quantity) -> MatrixSymbol:
        if not node.is_matrix:  # an image or a kernel: shown by its name alone
            return sympy.Symbol(str(node.name))
        return MatrixSymbol(str(node.name), *node.shape)

    def _visit_Op(self, node: Op):
        return node.display([self(arg) for arg in node.args])

    def _visit_Transpose(self, node: TensorTranspose) -> Transpose:
        return Transpose(self(node.arg))

    def _visit_MatMul(self, node: TensorMatMul) -> MatMul:
        return MatMul(self(node.left), self(node.right))

    def _visit_Add(self, node: TensorAdd) -> MatAdd:
        left, right = self(node.left), self(node.right)
        if not _matrices(left, right) or isinstance(node.right, Op):
            return Formula("{0} + {1}", "{0} + {1}", left, right)  # in the plan's order
        return MatAdd(left, right)

    def _visit_Sub(self, node: TensorSub):
        return self(node.left) - self(node.right)

    def _visit_Hadamard(self, node: TensorHadamard) -> HadamardProduct:
        left, right = self(node.left), self(node.right)
        if not _matrices(left, right):
            return Formula(r"{0} \odot {1}", "{0} ⊙ {1}", left, right)
        return HadamardProduct(left, right)

    def _visit_Activate(self, node: Activate):
        act = node.activation
        if act.kind == "identity":
            return self(node.arg)
        return Elementwise(act.latex_symbol, act.text_symbol, self(node.arg))

    def _visit_Slope(self, node: Slope) -> Elementwise:
        act = node.activation
        return Elementwise(act.latex_symbol, act.text_symbol, self(node.z), prime=True)

    def _visit_LossValue(self, node: LossValue) -> Named:
        return Named(latex(LOSS), text(LOSS), *node.shape)

    def _visit_LossGradient(self, node: LossGradient) -> Named:
        a = node.a.name
        return Named(rf"\nabla_{{{a.latex}}} {LOSS_LATEX}", f"∇_{a.text}{LOSS_TEXT}", *node.shape)

    def _visit_SoftmaxVJP(self, node: SoftmaxVJP) -> MatMul:
        n = node.a.shape[0]
        jacobian = Named(r"J_{\operatorname{softmax}}", "J_softmax", n, n)
        return MatMul(Transpose(jacobian), self(node.upstream))


def _matrices(*forms) -> bool:
    """True when every form is a SymPy matrix expression of two axes (SymPy's operators apply)."""
    return all(isinstance(f, sympy.MatrixExpr) and not isinstance(f.args[2] if isinstance(f, Elementwise) else None, sympy.Symbol) for f in forms)


def factor_shapes(rule: Tensor) -> tuple[tuple[int, int], ...]:
    """The shape of each factor of a rule, in printing order, for the shape notes.

    A sum shows the factors of its first term (z = W a + b: W and a).
    """
    if isinstance(rule, TensorMatMul | TensorHadamard):
        return factor_shapes(rule.left) + factor_shapes(rule.right)
    if isinstance(rule, TensorAdd):
        return factor_shapes(rule.left)
    if isinstance(rule, SoftmaxVJP):
        n = rule.a.shape[0]
        return ((n, n), *factor_shapes(rule.upstream))
    if isinstance(rule, Op):
        return rule.operand_shapes()
    return (rule.shape,)


def elementwise_joins(rule: Tensor) -> tuple[int, ...]:
    """Which factors of :func:`factor_shapes` are joined to the one before by ⊙, not by a matrix product."""
    if isinstance(rule, TensorMatMul | TensorHadamard):
        left = elementwise_joins(rule.left)
        offset = len(factor_shapes(rule.left))
        right = tuple(offset + i for i in elementwise_joins(rule.right))
        return left + ((offset,) if isinstance(rule, TensorHadamard) else ()) + right
    if isinstance(rule, TensorAdd):
        return elementwise_joins(rule.left)
    if isinstance(rule, SoftmaxVJP):
        return tuple(1 + i for i in elementwise_joins(rule.upstream))
    if isinstance(rule, Op):
        return rule.elementwise_operands
    return ()


def _shapes(rule: Tensor, result: tuple[int, int]) -> dict:
    return {"shapes": factor_shapes(rule), "elementwise": elementwise_joins(rule), "result_shape": result}


def _output_error_step(d: Derivation, form: MatrixForm) -> Step:
    """BP1, as the chain rule gives it, and the a − y it simplifies to where it does."""
    the_plan = d.plan
    out = the_plan.output
    rule, shortcut = the_plan.output_error.rule, the_plan.output_error.identity
    rhs = (form(rule),) if shortcut is None else (form(rule), form(shortcut))
    if isinstance(rule, SoftmaxVJP):
        why = "BP1 with the softmax Jacobian $J = \\operatorname{diag}(a) - a a^{\\top}$"
        if shortcut is not None:
            why += "; with cross-entropy it is $a - y$"
    elif rule == the_plan.loss_gradient:
        # σ' = 1: the Hadamard product with a vector of ones is left out.
        why = "BP1: output error, the identity's derivative is 1"
    else:
        why = "BP1: output error"
        if shortcut is not None:
            why += f"; with a {d.network.output_activation.title} output and {d.network.loss.title} it is $a - y$"
    return _step(form(out.delta), rhs, why, **_shapes(rule, out.delta.shape))


def matrix_sections(d: Derivation, wrt: str | None) -> tuple[Section, ...]:
    """The four backpropagation equations per layer, with the shape of every factor."""
    the_plan = d.plan
    form = MatrixForm()
    lowest = Name.parse(wrt).layer if wrt else 1
    forward: list[Step] = []
    for entry in the_plan.layers:
        weighted, activated = entry.forward
        forward.append(
            _step(form(entry.z), (form(weighted.rule),), f"layer {entry.index}", **_shapes(weighted.rule, entry.z.shape))
        )
        act = entry.activation
        why = f"{act.title}, entry by entry" if act.elementwise else "softmax"
        forward.append(_step(form(entry.a), (form(activated.rule),), why, (), entry.a.shape))
    output = the_plan.output
    term = d.network.loss.term_derivative.subs({A: sympy.Symbol("a_j"), Y: sympy.Symbol("y_j"), N: output.a.rows})
    per_unit = Named(rf"\left[{latex(term)}\right]_{{j}}", f"[{text(term)}]_j", *output.a.shape)
    backward = [
        _step(form(the_plan.loss_gradient), (per_unit,), "loss derivative per output unit", (), output.a.shape),
        _output_error_step(d, form),
    ]
    for layer in range(the_plan.depth - 1, lowest - 1, -1):
        entry, rule = the_plan.layers[layer - 1], the_plan.error_rule(layer)
        backward.append(
            _step(
                form(entry.delta),
                (form(rule),),
                "BP2: error moves back through the transposed weights",
                **_shapes(rule, entry.delta.shape),
            )
        )
    grads: list[Step] = []
    for entry in reversed(the_plan.layers[lowest - 1 :]):
        # BP3 before BP4, in the textbooks' order.
        for gradient in sorted(the_plan.gradients(entry), key=lambda g: g.equation):
            if wrt in (None, str(gradient.target.name)):
                grads.append(
                    _step(
                        Partial(LOSS, form(gradient.target)),
                        (form(gradient.rule),),
                        gradient.equation,
                        **_shapes(gradient.rule, gradient.target.shape),
                    )
                )
    return (
        _section("Forward pass (matrix form)", tuple(forward)),
        _section(
            f"Backward pass: the errors $\\delta^{{(l)}} = \\partial {LOSS_LATEX} / \\partial z^{{(l)}}$",
            tuple(backward),
        ),
        _section("Gradients", tuple(grads)),
    )
