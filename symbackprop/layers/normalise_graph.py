"""The derivation of a normalisation through its graph μ, σ², x̂, by SymPy, printed step by step.

SymPy differentiates each node of the graph, the chain rule runs through the
three paths (x̂ directly, σ² and μ), and the result is collapsed with
σ = √(σ² + ε) and x − μ = σ x̂ to the form the textbooks print; the tests
check that against the plan's rules (:mod:`~symbackprop.layers.normalise_ops`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..display import Partial
from ..steps import Step
from ..symbols import (
    Name,
    activation,
    deviation,
    error,
    mean,
    normalised,
    pre_activation,
    real_symbol,
    variance,
)

# -- the derivation through the graph μ, σ², x̂, printed step by step --------------------------


@dataclass(frozen=True)
class Graph:
    """The normalisation graph of layer ``layer`` in SymPy: its nodes, SymPy's local derivatives
    and the collapsed ∂L/∂x.

    Entries are indexed by the sum's index (``over``: n across the batch, j across the
    features) and the ``fixed`` ones (j, the feature a batch norm normalises); the set has
    ``count`` entries.  ``per_entry_scale``: γ varies over the set (layer norm).
    """

    layer: int
    over: str
    fixed: tuple[str, ...]
    count: str
    per_entry_scale: bool

    def _base(self, stem: str) -> sympy.IndexedBase:
        return Name(stem, self.layer).indexed()

    @property
    def symbols(self) -> dict[str, Any]:
        names = (self.over, self.over + "'", *self.fixed)
        k, i, *fixed = (sympy.Symbol(name, integer=True, positive=True) for name in names)

        def statistic(name: Name) -> Any:
            return name.indexed()[tuple(fixed)] if fixed else real_symbol(str(name))

        return {
            "k": k, "i": i, "fixed": tuple(fixed),
            "N": sympy.Symbol(self.count, integer=True, positive=True),
            "x": activation(self.layer - 1).indexed(),
            "xhat": normalised(self.layer).indexed(), "z": pre_activation(self.layer).indexed(),
            "delta": error(self.layer).indexed(),
            "mu": statistic(mean(self.layer)), "var": statistic(variance(self.layer)),
            "sigma": statistic(deviation(self.layer)),
            "eps": sympy.Symbol("epsilon", positive=True),
        }

    def entry(self, base: Any, at: Any) -> Any:
        return base[(at, *self.symbols["fixed"])]

    def scale(self, stem: str, at: Any) -> Any:
        """γ (or β) as the entry at ``at`` reads it: γ_j of the feature, or γ_j of the entry itself."""
        fixed = self.symbols["fixed"]
        return self._base(stem)[at] if self.per_entry_scale else self._base(stem)[fixed]

    def rules(self) -> dict[str, Any]:
        """The forward nodes: μ, σ², x̂ and z, each an expression SymPy can differentiate."""
        s = self.symbols
        k, N, x, mu = s["k"], s["N"], s["x"], s["mu"]
        xk = self.entry(x, k)
        return {
            "mu": sympy.Sum(xk, (k, 1, N)) / N,
            "var": sympy.Sum((xk - mu) ** 2, (k, 1, N)) / N,
            "xhat": (xk - mu) / sympy.sqrt(s["var"] + s["eps"]),
            "z": self.scale("gamma", k) * self.entry(s["xhat"], k) + self.scale("beta", k),
        }

    def forward_steps(self, layer: str, what: str) -> tuple[Step, ...]:
        """μ, σ², x̂ and z; ``layer`` names the layer and ``what`` the set the sums run over."""
        s, r = self.symbols, self.rules()
        k = s["k"]
        return (
            Step(s["mu"], (r["mu"],), f"{layer}: the mean over {what}"),
            Step(s["var"], (r["var"],), "the variance (biased: divided by the count)"),
            Step(self.entry(s["xhat"], k), (r["xhat"],), r"normalised; $\epsilon = 10^{-5}$ keeps the division finite"),
            Step(self.entry(s["z"], k), (r["z"],), r"scaled by $\gamma$ and shifted by $\beta$, which are learned"),
        )

    def input_gradient(self) -> dict[str, Any]:
        """Each node's local derivative (SymPy's), the chain rule through the graph, and its collapse."""
        s = self.symbols
        k, i, N, x, delta, mu, var = s["k"], s["i"], s["N"], s["x"], s["delta"], s["mu"], s["var"]
        r = self.rules()

        def upstream(at: Any) -> Any:  # ∂L/∂x̂ = γ δ, from z = γ x̂ + β
            return self.scale("gamma", at) * self.entry(delta, at)

        local = {
            "z_xhat": sympy.diff(r["z"], self.entry(s["xhat"], k)),
            "xhat_var": sympy.diff(r["xhat"], var),
            "xhat_mu": sympy.diff(r["xhat"], mu),
            "xhat_x": sympy.diff(r["xhat"], self.entry(x, k)),
            "var_x": _in_range(sympy.diff(r["var"], self.entry(x, i)).doit()),
            "var_mu": sympy.diff(r["var"], mu),
            "mu_x": _in_range(sympy.diff(r["mu"], self.entry(x, i)).doit()),
        }
        d_var = sympy.Sum(upstream(k) * local["xhat_var"], (k, 1, N))
        d_mu = sympy.Sum(upstream(k) * local["xhat_mu"], (k, 1, N))  # + ∂L/∂σ² ∂σ²/∂μ, which is 0
        chain = upstream(i) * local["xhat_x"].xreplace({k: i}) + d_var * local["var_x"] + d_mu * local["mu_x"]
        collapsed = self.hatted(chain)
        return {"local": local, "upstream": upstream(k), "d_var": d_var, "d_mu": d_mu, "chain": chain, "collapsed": collapsed}

    def hatted(self, expr: Any) -> Any:
        """``expr`` with σ² written σ² − ε (σ = √(σ² + ε)) and each x written μ + σ x̂, then expanded
        with the sums' constant factors taken out and factored: the collapsed form."""
        s = self.symbols
        positive = sympy.Symbol("sigma", positive=True)  # σ > 0, so √(σ²) = σ
        out = expr.xreplace({s["var"]: positive**2 - s["eps"]})
        out = out.replace(
            lambda node: isinstance(node, sympy.Indexed) and node.base == s["x"],
            lambda node: s["mu"] + positive * s["xhat"][node.indices],
        )
        return sympy.factor(_pull_constants(sympy.expand(out))).xreplace({positive: s["sigma"]})

    def backward_steps(self, what: str) -> tuple[Step, ...]:
        """The printed steps of ∂L/∂x through the graph; ``what`` names the set in the reasons."""
        s = self.symbols
        k, i, mu, var = s["k"], s["i"], s["mu"], s["var"]
        L = sympy.Symbol("L")
        g = self.input_gradient()
        local = g["local"]
        x_i = self.entry(s["x"], i)
        xhat_k = self.entry(s["xhat"], k)
        return (
            Step(Partial(self.entry(s["z"], k), xhat_k), (local["z_xhat"],), "differentiated by SymPy"),
            Step(Partial(L, xhat_k), (g["upstream"],), "chain rule: the error times that"),
            Step(Partial(self.entry(s["xhat"], k), var), (local["xhat_var"],), "differentiated by SymPy"),
            Step(Partial(L, var), (g["d_var"],), rf"chain rule: every $\hat{{x}}$ of {what} depends on $\sigma^2$"),
            Step(Partial(var, mu), (local["var_mu"], sympy.Integer(0)), r"differentiated by SymPy; it is 0 by the identity $\sum (x - \mu) = 0$ ($\mu$ is the mean)"),
            Step(Partial(L, mu), (g["d_mu"],), r"chain rule through $\hat{x}$ (the path through $\sigma^2$ is 0)"),
            Step(Partial(var, x_i), (local["var_x"],), "differentiated by SymPy (its Kronecker delta collapsed the sum)"),
            Step(Partial(mu, x_i), (local["mu_x"],), "differentiated by SymPy"),
            Step(Partial(L, x_i), (g["chain"],), r"chain rule through the three paths: $\hat{x}$ directly, $\sigma^2$ and $\mu$"),
            Step(Partial(L, x_i), (g["collapsed"],), r"collapsed by SymPy with the identities $\sigma = \sqrt{\sigma^2 + \epsilon}$ and $x - \mu = \sigma \hat{x}$"),
        )

    def parameter_steps(self) -> dict[str, Step]:
        """∂L/∂γ and ∂L/∂β: the chain rule over every entry z depends on, collapsed by SymPy."""
        s = self.symbols
        k, N = s["k"], s["N"]
        L = sympy.Symbol("L")
        z = self.rules()["z"]
        out = {}
        for stem in ("gamma", "beta"):
            # The entry of γ the set reads (γ_j), or a generic one (γ_j') where γ varies over the set.
            which = self.scale(stem, s["i"]) if self.per_entry_scale else self.scale(stem, k)
            chain = sympy.Sum(self.entry(s["delta"], k) * sympy.diff(z, which), (k, 1, N))
            collapsed = _in_range(chain.doit())
            if self.per_entry_scale:
                note = r"summed over the batch by the mean of the per-sample losses"
                out[stem] = Step(Partial(L, which), (chain, collapsed), "chain rule, collapsed by SymPy; " + note)
            else:
                out[stem] = Step(Partial(L, which), (chain,), "chain rule over the entries that read it, by SymPy")
        return out


def _in_range(expr: Any) -> Any:
    """Piecewise((value, i ≤ N), (0, True)) -> value: the entry lies in the set."""
    return expr.replace(lambda node: isinstance(node, sympy.Piecewise), lambda node: node.args[0][0])


def _pull_constants(expr: Any) -> Any:
    """Every factor that does not depend on a sum's index taken out of that sum."""
    return expr.replace(lambda node: isinstance(node, sympy.Sum), sympy.factor_terms)
