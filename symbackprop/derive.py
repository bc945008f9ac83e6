"""The derivation engine: Network -> Derivation.

The engine keeps z, a and δ as symbols and writes the chain rule as a
recursion, so the work is linear in the number of parameters:

* forward:  z⁽ˡ⁾ⱼ = Σₖ w⁽ˡ⁾ⱼₖ a⁽ˡ⁻¹⁾ₖ + b⁽ˡ⁾ⱼ,  a⁽ˡ⁾ⱼ = σ(z⁽ˡ⁾ⱼ)
* output:   δ⁽ᴸ⁾ⱼ = ∂L/∂a⁽ᴸ⁾ⱼ · σ'(z⁽ᴸ⁾ⱼ)   (softmax: Σᵢ ∂L/∂aᵢ · aᵢ(δᵢⱼ − aⱼ))
* hidden:   δ⁽ˡ⁾ⱼ = (Σᵢ w⁽ˡ⁺¹⁾ᵢⱼ δ⁽ˡ⁺¹⁾ᵢ) · σ'(z⁽ˡ⁾ⱼ)
* weights:  ∂L/∂w⁽ˡ⁾ⱼₖ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ,  ∂L/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ

Only what is nonlinear is differentiated by SymPy: the activation and the
loss term, once each on a generic symbol; z = W a + b has known derivatives.
The displayed chain for one parameter computes each local factor with
``sympy.diff`` on the local expression, so what a reader sees is SymPy's work.

>>> from symbackprop import Network
>>> d = Network.from_spec({"layers": [1, 1], "activation": "sigmoid"}).derive()
>>> d.gradient("W1")
Matrix([[a1_1*x1*(1 - a1_1)*(a1_1 - y1)]])
>>> d.gradient("W1", form="delta")
Matrix([[delta1_1*x1]])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sympy
from sympy import MatrixSymbol

from .errors import UnknownParameterError
from .symbols import NetworkSymbols, network_symbols, parse_wrt

if TYPE_CHECKING:
    from .spec import Network

FORMS = ("delta", "intermediate", "expanded")
LEVELS = ("scalar", "matrix")


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = rhs[0] = rhs[1] …`` with a reason.

    ``shapes`` (matrix level) lists the shape of each factor on the right and
    ``result_shape`` the shape of the result, so printers can annotate them.
    """

    lhs: Any
    rhs: tuple[Any, ...]
    why: str = ""
    shapes: tuple[tuple[int, int], ...] = ()
    result_shape: tuple[int, int] | None = None


@dataclass(frozen=True)
class Section:
    """A titled group of steps, with an optional sentence before them."""

    title: str
    steps: tuple[Step, ...] = ()
    intro: str = ""


@dataclass(frozen=True)
class Derivation:
    """Every gradient of a network's loss, derived by the chain rule.

    Immutable: properties are computed on first use and cached, and nothing
    they return is changed afterwards.  Scalar symbols are created only when a
    scalar quantity is asked for, so the matrix-level derivation of a large
    network costs next to nothing.
    """

    network: Network

    # -- symbols and forward pass ---------------------------------------------

    @cached_property
    def symbols(self) -> NetworkSymbols:
        """Scalar symbols x, y and per-layer W, b, z, a, δ."""
        return network_symbols(self.network.sizes, self.network.bias)

    @cached_property
    def pre_activations(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ entry by entry, in the symbols of a⁽ˡ⁻¹⁾."""
        out = []
        for layer in self.symbols.layers:
            z = layer.W * self.symbols.activations(layer.index - 1)
            if layer.b is not None:
                z = z + layer.b
            out.append(sympy.ImmutableMatrix(z))
        return tuple(out)

    @cached_property
    def loss(self) -> sympy.Expr:
        """The per-sample loss in the output activations a⁽ᴸ⁾ and targets y."""
        return self.network.loss.total(self.symbols.layers[-1].a, self.symbols.y)

    @cached_property
    def loss_gradient(self) -> sympy.ImmutableMatrix:
        """∇_a L = (∂L/∂a⁽ᴸ⁾ⱼ)ⱼ, differentiated by SymPy."""
        a = self.symbols.layers[-1].a
        return sympy.ImmutableMatrix([sympy.diff(self.loss, a_j) for a_j in a])

    def activation_derivative(self, layer: int, unit: int) -> sympy.Expr:
        """σ'(z⁽ˡ⁾ⱼ) of an elementwise layer, in terms of a⁽ˡ⁾ⱼ where that form exists."""
        symbols = self.symbols.layers[layer - 1]
        act = self.network.layers[layer - 1].activation
        return act.derivative_at(symbols.z[unit], symbols.a[unit])

    # -- the δ recursion --------------------------------------------------------

    @property
    def softmax_cross_entropy(self) -> bool:
        """True when δ⁽ᴸ⁾ simplifies to a − y (softmax output with cross_entropy)."""
        return (
            self.network.output_activation.name == "softmax"
            and self.network.loss.name == "cross_entropy"
        )

    @cached_property
    def deltas(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """δ⁽ˡ⁾ for l = 1..L, each in terms of the δ⁽ˡ⁺¹⁾ symbols (shared, never inlined)."""
        L = self.network.depth
        syms = self.symbols
        out: list[sympy.ImmutableMatrix] = [None] * L  # type: ignore[list-item]
        out[L - 1] = self._output_delta()
        for layer in range(L - 1, 0, -1):
            W_next = syms.layers[layer].W
            delta_next = syms.layers[layer].delta
            entries = []
            for j in range(self.network.sizes[layer]):
                back = sympy.Add(*[W_next[i, j] * delta_next[i] for i in range(W_next.rows)])
                entries.append(back * self.activation_derivative(layer, j))
            out[layer - 1] = sympy.ImmutableMatrix(entries)
        return tuple(out)

    def _output_delta(self) -> sympy.ImmutableMatrix:
        out = self.symbols.layers[-1]
        n = len(out.a)
        if self.network.output_activation.elementwise:
            return sympy.ImmutableMatrix(
                [self.loss_gradient[j] * self.activation_derivative(self.network.depth, j) for j in range(n)]
            )
        if self.softmax_cross_entropy:
            # Σᵢ (−yᵢ/aᵢ) aᵢ(δᵢⱼ − aⱼ) = aⱼ Σᵢ yᵢ − yⱼ = aⱼ − yⱼ, as Σᵢ yᵢ = 1.
            return sympy.ImmutableMatrix([out.a[j] - self.symbols.y[j] for j in range(n)])
        return sympy.ImmutableMatrix(
            [
                sympy.Add(
                    *[
                        self.loss_gradient[i] * out.a[i] * (sympy.KroneckerDelta(i, j) - out.a[j])
                        for i in range(n)
                    ]
                )
                for j in range(n)
            ]
        )

    @cached_property
    def deltas_intermediate(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """δ⁽ˡ⁾ with the δ's above substituted: in terms of a, z, y and the weights."""
        L = self.network.depth
        out: list[sympy.ImmutableMatrix] = [None] * L  # type: ignore[list-item]
        out[L - 1] = self.deltas[L - 1]
        for layer in range(L - 1, 0, -1):
            above = dict(zip(self.symbols.layers[layer].delta, out[layer], strict=True))
            out[layer - 1] = self.deltas[layer - 1].xreplace(above)
        return tuple(out)

    @cached_property
    def forward_values(self) -> dict[sympy.Symbol, sympy.Expr]:
        """z⁽ˡ⁾ⱼ and a⁽ˡ⁾ⱼ fully expanded in x and the parameters (grows with depth)."""
        values: dict[sympy.Symbol, sympy.Expr] = {}
        previous = self.symbols.x
        for layer, z_local, spec in zip(self.symbols.layers, self.pre_activations, self.network.layers, strict=True):
            z = z_local.xreplace(dict(zip(self.symbols.activations(layer.index - 1), previous, strict=True)))
            if spec.activation.elementwise:
                a = sympy.ImmutableMatrix([spec.activation(z_j) for z_j in z])
            else:
                exps = [sympy.exp(z_j) for z_j in z]
                total = sympy.Add(*exps)
                a = sympy.ImmutableMatrix([e / total for e in exps])
            values.update(zip(layer.z, z, strict=True))
            values.update(zip(layer.a, a, strict=True))
            previous = a
        return values

    def expanded_loss(self) -> sympy.Expr:
        """The loss fully expanded in x, y and the parameters (exponential in depth)."""
        return self.loss.xreplace(self.forward_values)

    # -- gradients ----------------------------------------------------------------

    def parameters(self) -> tuple[str, ...]:
        return self.network.parameter_names()

    def _check_parameter(self, name: str) -> tuple[str, int]:
        if name not in self.parameters():
            raise UnknownParameterError(
                f"unknown parameter {name!r}; this network has {', '.join(self.parameters())}"
            )
        return name[0], int(name[1:])

    def gradient(self, name: str, form: str = "intermediate") -> sympy.Matrix:
        """∂L/∂θ as a SymPy Matrix with the shape of θ (b is a column).

        ``form`` is ``"delta"`` (δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ₖ with δ as symbols),
        ``"intermediate"`` (δ's substituted; in a, z, y and the weights) or
        ``"expanded"`` (in x, y and the parameters only).
        """
        if form not in FORMS:
            raise ValueError(f"unknown form {form!r}; expected one of {', '.join(FORMS)}")
        kind, layer = self._check_parameter(name)
        if form == "delta":
            delta = self.symbols.layers[layer - 1].delta
        else:
            delta = self.deltas_intermediate[layer - 1]
        grad = delta * self.symbols.activations(layer - 1).T if kind == "W" else delta
        if form == "expanded":
            grad = grad.xreplace(self.forward_values)
        return sympy.Matrix(grad)

    def gradients(self, form: str = "intermediate") -> dict[str, sympy.Matrix]:
        """Every gradient, keyed by parameter name."""
        return {name: self.gradient(name, form) for name in self.parameters()}

    def scalar_gradients(
        self, backend: str = "auto", as_sympy: bool = False
    ) -> dict[str, list[list[Any]]]:
        """Every scalar ∂L/∂θ in δ form, with the δ recursion, as nested lists.

        This is the bulk path for large networks: with ``backend="symengine"``
        (the default when SymEngine is installed) it builds all 235,146
        gradients of 784-256-128-10 in about a second.  The result maps each
        parameter name to rows of expressions and ``"delta<l>"`` to the δ⁽ˡ⁾
        definitions; ``as_sympy=True`` converts SymEngine entries to SymPy
        (see :func:`symbackprop.bulk.scalar_gradients`).
        """
        from .bulk import scalar_gradients

        return scalar_gradients(self.network, backend, as_sympy=as_sympy)

    # -- the chain rule for one entry ---------------------------------------------

    def chain(self, name: str, row: int, col: int = 1) -> tuple[Step, ...]:
        """The chain rule for one scalar entry (1-based), each local factor by SymPy."""
        kind, layer = self._check_parameter(name)
        shape = self.network.parameter_shapes()[name]
        if not (1 <= row <= shape[0]) or (kind == "W" and not 1 <= col <= shape[1]):
            raise UnknownParameterError(f"{name} has shape {shape}; entry ({row}, {col}) is outside it")
        from .chain import parameter_chain

        return parameter_chain(self, kind, layer, row - 1, col - 1)

    # -- printing -------------------------------------------------------------

    def sections(self, wrt: str | None = None, level: str = "scalar") -> tuple[Section, ...]:
        """The derivation as printable data (see :mod:`symbackprop.printing`).

        ``wrt`` names one parameter (``W2``) or one entry of it (``W2[1,2]``,
        1-based); ``level`` is ``"scalar"`` (entry by entry) or ``"matrix"``.
        """
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected scalar or matrix")
        name, entry = self._parse_wrt(wrt)
        from .chain import matrix_sections, scalar_sections

        if level == "matrix":
            return matrix_sections(self, name)
        return scalar_sections(self, name, entry)

    def _parse_wrt(self, wrt: str | None) -> tuple[str | None, tuple[int, int] | None]:
        if wrt is None:
            return None, None
        try:
            name, entry = parse_wrt(wrt)
        except ValueError as exc:
            raise UnknownParameterError(str(exc)) from None
        kind, _ = self._check_parameter(name)
        if entry is None:
            return name, None
        shape = self.network.parameter_shapes()[name]
        if len(entry) != len(shape) or not all(1 <= i <= n for i, n in zip(entry, shape, strict=True)):
            wanted = f"{name}[row,col]" if kind == "W" else f"{name}[row]"
            raise UnknownParameterError(
                f"{wrt!r} is outside {name}, whose shape is {shape}; give {wanted} with 1-based indices"
            )
        return name, (entry[0], entry[1] if kind == "W" else 1)

    def latex(
        self, wrt: str | None = None, level: str = "scalar", standalone: bool = False, **settings: Any
    ) -> str:
        """The derivation as LaTeX: sections of ``align*`` blocks, or with ``standalone`` a document.

        The sections alone need amsmath and amssymb in the document that takes them;
        the standalone document (what ``derive --format latex`` prints) compiles with pdflatex.
        """
        from .printing import LatexWriter

        writer = LatexWriter(**settings)
        sections = self.sections(wrt, level)
        return writer.document(self, sections) if standalone else writer.document_body(self, sections)

    def markdown(self, wrt: str | None = None, level: str = "scalar", **settings: Any) -> str:
        from .printing import MarkdownWriter

        return MarkdownWriter(**settings).document_body(self, self.sections(wrt, level))

    def text(self, wrt: str | None = None, level: str = "scalar", **settings: Any) -> str:
        from .printing import TextWriter

        return TextWriter(**settings).document_body(self, self.sections(wrt, level))

    def _repr_latex_(self) -> str:
        from .printing import LatexWriter

        return LatexWriter().equations_only(self.sections(level="matrix"))

    def compile(self, **options: Any):
        """The compiled numeric gradient function (see :mod:`symbackprop.numeric`)."""
        from .numeric import compile as compile_derivation

        return compile_derivation(self, **options)

    # -- matrix level ---------------------------------------------------------

    def matrix_symbols(self, layer: int) -> dict[str, Any]:
        """MatrixSymbols W⁽ˡ⁾, b⁽ˡ⁾, z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾ and a⁽ˡ⁻¹⁾ of one layer."""
        return dict(self._matrix_symbol_table[layer - 1])

    @cached_property
    def _matrix_symbol_table(self) -> tuple[dict[str, Any], ...]:
        # Made once: the matrix level asks for each layer's symbols several times.
        return tuple(self._make_matrix_symbols(layer) for layer in range(1, self.network.depth + 1))

    def _make_matrix_symbols(self, layer: int) -> dict[str, Any]:
        sizes = self.network.sizes
        n, m = sizes[layer], sizes[layer - 1]
        prev = MatrixSymbol("x", m, 1) if layer == 1 else MatrixSymbol(f"a{layer - 1}", m, 1)
        return {
            "W": MatrixSymbol(f"W{layer}", n, m),
            "b": MatrixSymbol(f"b{layer}", n, 1),
            "z": MatrixSymbol(f"z{layer}", n, 1),
            "a": MatrixSymbol(f"a{layer}", n, 1),
            "delta": MatrixSymbol(f"delta{layer}", n, 1),
            "prev": prev,
        }

