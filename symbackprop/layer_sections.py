"""Printed derivations of list-form networks (conv, pooling, flatten, …): Derivation -> sections.

Two levels, read from the plan and from each layer's index rule:

* index level (``level="scalar"``): each layer's forward rule in index
  notation, SymPy's local derivative with respect to each input, and the chain
  rule Σ δ ∂out/∂θ collapsed by SymPy (:mod:`symbackprop.layers.indexed`);
* matrix level: the plan's rules with the layers' operations (W ⋆ x,
  maxpool, vec) and the shape of every factor.

MLPs keep their entry-by-entry derivation (:mod:`symbackprop.chain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from .backprop import PENALISED
from .chain import LOSS, MatrixForm, _output_error_step, elementwise_joins, factor_shapes
from .display import Applied, Chain, Formula, Named, Partial
from .layers.indexed import derivatives
from .layers.l2 import LAMBDA
from .losses import A, N, Y
from .printing import latex, text
from .steps import Section, Step
from .symbols import LOSS_LATEX, Name

if TYPE_CHECKING:
    from .symbolic import Symbolic as Derivation  # the symbolic engine is all these sections read


def _indexed(stem: str, layer: int) -> sympy.IndexedBase:
    return sympy.IndexedBase(str(Name(stem, layer)) if layer else "x")


def index_sections(d: Derivation, wrt: str | None) -> tuple[Section, ...]:
    """Forward rules, then each layer's backward rules as SymPy derived them, top layer first."""
    the_plan = d.plan
    lowest = Name.parse(wrt).layer if wrt else the_plan.lowest_trained
    forward: list[Step] = []
    for entry in the_plan.layers:
        own = entry.layer.index_derivation(entry.index)
        if own is not None:
            forward.extend(own.forward)
            if own.output is not None:
                forward.extend(_activation_steps(entry, own.output, own.indices))
            continue
        rule = entry.layer.index_rule(entry.index)
        if rule is None:
            continue
        why = f"layer {entry.index}: {entry.layer.describe()}" + (f"; {rule.note}" if rule.note else "")
        forward.append(Step(rule.output[rule.indices], (rule.expr,), why))
        forward.extend(_activation_steps(entry, rule.output, rule.indices))
    n = d.network.output_size
    term = d.network.loss.term.subs({A: sympy.Symbol("a_j"), Y: sympy.Symbol("y_j"), N: n})
    loss = sympy.Sum(term, (sympy.Symbol("j"), 1, n))
    if the_plan.penalty is not None:
        loss = Formula(r"{0} + \frac{\lambda}{2} \sum_{w} w^2", "{0} + λ/2 Σ_w w²", loss)
    forward.append(Step(LOSS, (loss,), f"{d.network.loss.name} loss" + (", plus the L2 penalty on every weight entry w" if the_plan.penalty is not None else "")))
    sections = [Section("Forward pass, in index notation", tuple(forward), _intro(d))]
    for entry in reversed(the_plan.layers[lowest - 1 :]):
        title = f"Layer {entry.index} ({entry.layer.kind}): backward, derived by SymPy"
        intro = f"$\\delta^{{({entry.index})}}$ is $\\partial {LOSS_LATEX}$ over the layer's output before its activation."
        own = entry.layer.index_derivation(entry.index)
        if own is not None:
            steps = list(own.errors) if own.errors else _error_steps(entry, own.output, own.indices, the_plan.depth)
            for name, step in own.backward:
                if (name and wrt not in (None, name)) or (not name and entry.index <= 1):
                    continue
                steps.append(step)
                if name and the_plan.penalty is not None and Name.parse(name).stem in PENALISED and step is _last(own.backward, name):
                    steps.append(_with_decay(step))
            sections.append(Section(title, tuple(steps), intro + (" " + own.note if own.note else "")))
            continue
        rule = entry.layer.index_rule(entry.index)
        if rule is None:
            continue
        delta = _indexed("delta", entry.index)
        per_sample = _per_sample(the_plan, entry) and bool(entry.parameters)
        steps = _error_steps(entry, rule.output, rule.indices, the_plan.depth)
        for derived in derivatives(rule, delta):
            is_input = derived.base.label == sympy.Symbol(str(entry.prev.name))
            if is_input and entry.index <= 1:
                continue
            if not is_input and not any(str(p.name) == str(derived.base.label) for p in entry.parameters):
                continue
            if wrt is not None and not is_input and str(derived.base.label) != wrt:
                continue
            key = "a" if is_input else str(derived.base.label).rstrip("0123456789")
            textbook = rule.textbook.get(key, "")
            if isinstance(rule.expr, sympy.Max):
                # SymPy's derivative of a max, for the window's first entry: 1 where it is the maximum.
                first, *rest = rule.expr.args
                steps.append(Step(Partial(rule.output[rule.indices], first), (sympy.diff(rule.expr, first),), "differentiated by SymPy: 1 where this entry is its window's maximum, else 0"))
                steps.append(Step(Partial(LOSS, derived.entry), (Named(r"\sum_{(i,j):\,(m,n) = \arg\max} " + latex(delta[rule.indices]), "Σ over the windows whose argmax is (m,n) of " + text(delta[rule.indices]), 1, 1),), textbook))
                continue
            steps.append(Step(Partial(rule.output[rule.indices], derived.local_entry), (derived.local,), "differentiated by SymPy ([i = j] is 1 when i = j, else 0)"))
            why = "chain rule, collapsed by SymPy: " + textbook
            if derived.bounded:
                why += "; out-of-range terms are 0"
            steps.append(Step(Partial(LOSS, derived.entry), (derived.collapsed,), why))
            if not is_input and the_plan.penalty is not None and key in PENALISED:
                steps.append(_with_decay(steps[-1], once=per_sample))
        sections.append(Section(title, tuple(steps), intro + (" " + PER_SAMPLE if per_sample else "")))
    return tuple(sections)


# A layer beside batch norm works sample by sample, but its δ is that of the batch loss.
PER_SAMPLE = (
    "Batch norm couples the samples of the batch: every entry here is that of one sample $n$, "
    "and each gradient of a parameter below is summed over the samples $n = 1$ to $N$."
)
SUMMED = "; summed over the batch"  # the matrix level's reason; the index level's section says it once


def _per_sample(the_plan, entry) -> bool:
    """True for a layer that reads one sample at a time in a network whose batch norm couples them."""
    return the_plan.couples_samples and not any(
        getattr(step.rule, "per_batch", False) for step in entry.forward
    )


def _activation_steps(entry, output, index) -> list[Step]:
    """a = σ(z) entry by entry (or softmax), after a layer's forward rule for z = ``output[index]``."""
    act = entry.activation
    if act is None or entry.z is None or act.kind == "identity":
        return []
    a, z = _indexed("a", entry.index), output
    value = Applied(act.latex_symbol, act.text_symbol, z[index]) if act.elementwise else sympy.Function("softmax")(z[index])
    return [Step(a[index], (value,), f"{act.title}, entry by entry" if act.elementwise else "softmax")]


def _error_steps(entry, output, index, depth: int) -> list[Step]:
    """δ = ∂L/∂a ⊙ σ'(z), the first backward step of a layer with an elementwise activation."""
    act = entry.activation
    if act is None or entry.z is None or not act.elementwise:
        return []
    delta, a, z = _indexed("delta", entry.index), _indexed("a", entry.index), output
    source = " (from the next layer, or from the loss)" if entry.index < depth else ""
    if act.kind == "identity":
        return [Step(delta[index], (Partial(LOSS, a[index]),), "the identity's derivative is 1" + source)]
    return [
        Step(
            delta[index],
            (Chain(Partial(LOSS, a[index]), Applied(act.latex_symbol, act.text_symbol, z[index], prime=True)),),
            "the activation, entry by entry" + source,
        )
    ]


def _last(steps, name: str) -> Step:
    return [step for which, step in steps if which == name][-1]


def _with_decay(step: Step, once: bool = False) -> Step:
    """The last step of a weight's gradient again, with the L2 penalty's λw added (``once``: to
    the sum over the batch, not to each sample's term)."""
    weight = step.lhs.args[1]
    why = r"with L2: the penalty's derivative $\lambda w$ is added" + (" once, not per sample" if once else "")
    return Step(step.lhs, (step.rhs[-1] + LAMBDA * weight,), why)


def _intro(d: Derivation) -> str:
    return f"Network {d.network.describe()}. Indices are 1-based; layer 0 is the input $x$."


def matrix_sections(d: Derivation, wrt: str | None) -> tuple[Section, ...]:
    """The plan's rules, layer by layer, with the shape of every factor."""
    the_plan = d.plan
    form = MatrixForm()
    lowest = Name.parse(wrt).layer if wrt else the_plan.lowest_trained
    forward = [
        Step(form(a.target), (form(a.rule),), a.note, factor_shapes(a.rule), a.target.shape,
             elementwise_joins(a.rule))
        for entry in the_plan.layers
        for a in entry.forward
    ]
    output = the_plan.output
    term = d.network.loss.term_derivative.subs({A: sympy.Symbol("a_j"), Y: sympy.Symbol("y_j"), N: output.a.rows})
    per_unit = Named(rf"\left[{latex(term)}\right]_{{j}}", f"[{text(term)}]_j", *output.a.shape)
    backward = [
        Step(form(the_plan.loss_gradient), (per_unit,), "loss derivative per output unit", (), output.a.shape),
        _output_error_step(d, form),
    ]
    for layer in range(the_plan.depth - 1, lowest - 1, -1):
        entry, above = the_plan.layers[layer - 1], the_plan.layers[layer]
        rule = the_plan.error_rule(layer)
        why = f"back through layer {layer + 1} ({above.layer.kind})"
        backward.append(Step(form(entry.delta), (form(rule),), why, factor_shapes(rule), entry.delta.shape,
                             elementwise_joins(rule)))
    grads = []
    for entry in reversed(the_plan.layers[lowest - 1 :]):
        for g in the_plan.gradients(entry):
            if wrt in (None, str(g.target.name)):
                why = (g.equation or g.note) + (SUMMED if _per_sample(the_plan, entry) else "")
                grads.append(Step(Partial(LOSS, form(g.target)), (form(g.rule),), why, factor_shapes(g.rule),
                                  g.target.shape, elementwise_joins(g.rule)))
    return (
        Section("Forward pass (matrix form)", tuple(forward), _intro(d)),
        Section("Backward pass: the errors $\\delta^{(l)}$", tuple(backward)),
        Section("Gradients", tuple(grads)),
    )
