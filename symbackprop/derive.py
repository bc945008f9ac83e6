"""The derivation: Network -> Derivation, the symbolic gradients and how to show them.

A :class:`Derivation` is the SymPy engine of :mod:`symbackprop.symbolic` —
the plan's rules (:mod:`symbackprop.backprop`) evaluated entry by entry — with
the ways to look at it: the chain rule for one entry, the step-by-step
sections in LaTeX, Markdown or text, and the compiled numeric gradient.

>>> from symbackprop import Network
>>> d = Network.from_spec({"layers": [1, 1], "activation": "sigmoid"}).derive()
>>> d.gradient("W1")
Matrix([[a1_1*x1*(1 - a1_1)*(a1_1 - y1)]])
>>> d.gradient("W1", form="delta")
Matrix([[delta1_1*x1]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import DataError, UnknownParameterError
from .limits import scalar_derivation_problem
from .options import choose
from .steps import Section, Step
from .symbolic import FORMS, Symbolic
from .symbols import Wrt, bias
from .tensor import Quantity

__all__ = ["FORMS", "LEVELS", "Derivation", "Section", "Step"]

LEVELS = ("scalar", "matrix")


# A notebook shows the derivation entry by entry up to this many parameters.
NOTEBOOK_SCALAR_UP_TO = 30


@dataclass(frozen=True)
class Derivation(Symbolic):
    """Every gradient of a network's loss, derived by the chain rule, and its printed forms.

    Immutable: properties are computed on first use and cached, and nothing
    they return is changed afterwards.  Scalar symbols are created only when a
    scalar quantity is asked for, so the matrix-level derivation of a large
    network costs next to nothing.
    """

    # -- the chain rule for one entry ---------------------------------------------

    def chain(self, name: str, row: int, col: int = 1) -> tuple[Step, ...]:
        """The chain rule for one scalar entry (1-based), each local factor by SymPy."""
        which = self.wrt(name)
        if which.entry is not None:
            raise UnknownParameterError(f"unknown parameter {name!r}; this network has {', '.join(self.parameters())}")
        entry = (row, col) if which.kind == "W" else (row,)
        Wrt(which.parameter, entry).within(self.network.parameter_shapes())
        from .chain import parameter_chain

        return parameter_chain(self, which.kind, which.layer, row - 1, col - 1)

    # -- printing -------------------------------------------------------------

    def sections(self, wrt: str | None = None, level: str = "scalar") -> tuple[Section, ...]:
        """The derivation as printable data (see :mod:`symbackprop.printing`).

        ``wrt`` names one parameter (``W2``) or one entry of it (``W2[1,2]``,
        1-based); ``level`` is ``"scalar"`` (entry by entry) or ``"matrix"``.
        """
        choose(level, LEVELS, "level")
        if not self.network.is_mlp and wrt is not None and "[" in wrt:
            # A list-form network is derived in index notation: every entry at once.
            raise UnknownParameterError(
                f"one entry ({wrt.strip()}) is derived for MLPs only; give the parameter, "
                f"e.g. {wrt.split('[')[0].strip()}, whose derivation in index notation covers every entry"
            )
        name, entry = self._parse_wrt(wrt)
        if not self.network.is_mlp:
            from . import layer_sections

            if level == "matrix":
                return layer_sections.matrix_sections(self, name)
            return layer_sections.index_sections(self, name)
        from .chain import matrix_sections, scalar_sections

        if level == "matrix":
            return matrix_sections(self, name)
        shapes = self.network.parameter_shapes()
        entries = 1 if entry else sum(math.prod(shapes[n]) for n in ([name] if name else shapes))
        too_much = scalar_derivation_problem(entries, self.network.sizes)
        if too_much:  # refused before the work, which grows with depth and could take hours
            raise DataError(too_much)
        return scalar_sections(self, name, entry)

    def _parse_wrt(self, wrt: str | None) -> tuple[str | None, tuple[int, int] | None]:
        if wrt is None:
            return None, None
        which = self.wrt(wrt)
        if which.entry is None:
            return which.name, None
        return which.name, (which.entry[0], which.entry[1] if which.kind == "W" else 1)

    def latex(
        self, wrt: str | None = None, level: str = "scalar", standalone: bool = False, **settings: Any
    ) -> str:
        """The derivation as LaTeX: sections of ``align*`` blocks, or with ``standalone`` a document.

        The sections alone need amsmath and amssymb in the document that takes them;
        the standalone document (what ``derive --format latex`` prints) compiles with pdflatex.
        """
        from .printing import LatexWriter
        from .printing.latex import STANDALONE_WIDTH

        if standalone:  # a landscape page takes longer lines before they break
            settings = {"width": STANDALONE_WIDTH, **settings}
        writer = LatexWriter(**settings)
        sections = self.sections(wrt, level)
        return writer.document(self, sections) if standalone else writer.document_body(self, sections)

    def markdown(self, wrt: str | None = None, level: str = "scalar", **settings: Any) -> str:
        from .printing import MarkdownWriter

        return MarkdownWriter(**settings).document_body(self, self.sections(wrt, level))

    def text(self, wrt: str | None = None, level: str = "scalar", **settings: Any) -> str:
        from .printing import TextWriter

        return TextWriter(**settings).document_body(self, self.sections(wrt, level))

    @property
    def _notebook_level(self) -> str:
        # Entry by entry while that is a page or two; the matrix level beyond.
        return "scalar" if self.network.parameter_count() <= NOTEBOOK_SCALAR_UP_TO else "matrix"

    def _repr_markdown_(self) -> str:
        """What a notebook shows: the step-by-step derivation, headings and ``$$`` display math."""
        return self.markdown(level=self._notebook_level)

    def _repr_latex_(self) -> str:
        """The same steps as one ``$$ \\begin{aligned} … $$`` block, for front ends that prefer LaTeX."""
        from .printing import LatexWriter

        return LatexWriter().display(self.sections(level=self._notebook_level))

    def compile(self, **options: Any):
        """The compiled numeric gradient function (see :mod:`symbackprop.numeric`)."""
        from .numeric import compile as compile_derivation

        return compile_derivation(self, **options)

    # -- matrix level ---------------------------------------------------------

    def matrix_symbols(self, layer: int) -> dict[str, Any]:
        """MatrixSymbols W⁽ˡ⁾, b⁽ˡ⁾, z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾ and a⁽ˡ⁻¹⁾ (``prev``) of one layer."""
        return dict(self._matrix_symbol_table[layer - 1])

    @cached_property
    def _matrix_symbol_table(self) -> tuple[dict[str, Any], ...]:
        # Made once: the matrix level asks for each layer's symbols several times.
        from .chain import MatrixForm

        form = MatrixForm()
        table = []
        for entry in self.plan.layers:
            # b is printed only with a bias, but may be asked for by name.
            b = entry.b or Quantity(bias(entry.index), *entry.z.shape)
            roles = {"W": entry.W, "b": b, "z": entry.z, "a": entry.a, "delta": entry.delta, "prev": entry.prev}
            table.append({role: form(quantity) for role, quantity in roles.items()})
        return tuple(table)
