"""The network picture: one layout, drawn as TikZ (LaTeX) or as SVG (HTML, Markdown).

The layout is data (units, connections, which ones the exercises are about);
the two drawers only place it on a page, so the PDF and the HTML show the
same picture.  Labels are symbol names from :mod:`symbackprop.symbols`, printed
as LaTeX in TikZ and as text with raised and lowered indices in SVG.

>>> from symbackprop.models import two_two_two
>>> picture = layout(two_two_two(), highlight=("w2_12",))
>>> [unit.name for unit in picture.units][:3]
['x1', 'x2', 'a1_1']
>>> [edge.label for edge in picture.edges if edge.highlighted]
['w2_12']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..spec import Network
from ..symbols import parse_name, scalar_name

# Layout units: one step between layers, one between units of a layer.
LAYER_GAP = 2.8
UNIT_GAP = 1.55
SVG_SCALE = 62  # pixels per layout unit
HIGHLIGHT = "#c0392b"


@dataclass(frozen=True)
class Unit:
    """A circle: an input x_j, an activation a^(l)_j, or the loss L (layer None)."""

    name: str
    layer: int | None
    x: float
    y: float
    highlighted: bool = False
    note: str = ""  # a symbol name written beside the unit (a bias in an exercise)


@dataclass(frozen=True)
class Edge:
    """A connection; ``label`` names its weight when an exercise is about it."""

    source: int
    target: int
    highlighted: bool = False
    label: str = ""


@dataclass(frozen=True)
class Layout:
    units: tuple[Unit, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


def layout(network: Network, highlight: Iterable[str] = ()) -> Layout:
    """Place every unit; ``highlight`` names the weights and biases to mark (``w2_12``, ``b1_3``)."""
    marked = set(highlight)
    sizes = network.sizes
    tallest = max(sizes)
    units: list[Unit] = []
    index: dict[tuple[int, int], int] = {}
    for layer, size in enumerate(sizes):
        top = (tallest - size) * UNIT_GAP / 2
        for j in range(1, size + 1):
            name = scalar_name("x", None, j) if layer == 0 else scalar_name("a", layer, j)
            bias = scalar_name("b", layer, j) if layer else ""
            index[(layer, j)] = len(units)
            units.append(
                Unit(
                    name,
                    layer,
                    layer * LAYER_GAP,
                    top + (j - 1) * UNIT_GAP,
                    highlighted=bias in marked,
                    note=bias if bias in marked else "",
                )
            )
    edges = []
    for layer in range(1, len(sizes)):
        for j in range(1, sizes[layer] + 1):
            for k in range(1, sizes[layer - 1] + 1):
                weight = scalar_name("w", layer, j, k)
                edges.append(
                    Edge(
                        index[(layer - 1, k)],
                        index[(layer, j)],
                        weight in marked,
                        weight if weight in marked else "",
                    )
                )
    loss_index = len(units)
    units.append(Unit("L", None, len(sizes) * LAYER_GAP - LAYER_GAP / 3, (tallest - 1) * UNIT_GAP / 2))
    edges.extend(Edge(index[(len(sizes) - 1, j)], loss_index) for j in range(1, sizes[-1] + 1))
    return Layout(
        tuple(units),
        tuple(edges),
        width=units[-1].x,
        height=(tallest - 1) * UNIT_GAP,
    )


# -- TikZ ---------------------------------------------------------------------


def tikz(picture: Layout, latex: Callable[[str], str]) -> str:
    """A ``tikzpicture``; ``latex`` turns a symbol name into LaTeX (the project's printer)."""
    lines = [
        r"\begin{tikzpicture}[x=1cm, y=-1cm, >=stealth,",
        r"  unit/.style={circle, draw, minimum size=9mm, inner sep=0pt, fill=white},",
        r"  marked/.style={draw=sbpred, very thick},",
        r"  loss/.style={rectangle, rounded corners, draw, minimum size=8mm, fill=white}]",
    ]
    for number, unit in enumerate(picture.units):
        style = "loss" if unit.layer is None else "unit"
        if unit.highlighted:
            style += ", marked"
        lines.append(
            rf"\node[{style}] (u{number}) at ({unit.x:.3f}, {unit.y:.3f}) {{${latex(unit.name)}$}};"
        )
        if unit.note:
            lines.append(
                rf"\node[text=sbpred, above=0pt of u{number}, font=\small] {{$+\,{latex(unit.note)}$}};"
            )
    for edge in picture.edges:
        head = "->" if picture.units[edge.target].layer is not None else "->, dashed"
        if edge.highlighted:
            lines.append(
                rf"\draw[{head}, sbpred, very thick] (u{edge.source}) -- "
                rf"node[pos=0.3, fill=white, inner sep=1pt, font=\small] "
                rf"{{${latex(edge.label)}$}} (u{edge.target});"
            )
        else:
            lines.append(rf"\draw[{head}, gray] (u{edge.source}) -- (u{edge.target});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


# -- SVG ----------------------------------------------------------------------

_STEMS = {"delta": "δ"}


def svg_label(name: str, size: float = 15) -> str:
    """SVG ``<tspan>``s for a symbol name: the stem, the (layer) raised, the indices lowered."""
    if name == "L":
        return '<tspan font-style="italic">L</tspan>'
    stem, layer, indices = parse_name(name)
    sep = "" if all(i < 10 for i in indices) else ","
    parts = [f'<tspan font-style="italic">{escape(_STEMS.get(stem, stem))}</tspan>']
    small = f'font-size="{size * 0.68:.1f}"'
    if layer is not None:
        parts.append(f'<tspan {small} dy="-6">({layer})</tspan>')
        parts.append(f'<tspan {small} dy="10">{sep.join(map(str, indices))}</tspan>')
    else:
        parts.append(f'<tspan {small} dy="4">{sep.join(map(str, indices))}</tspan>')
    return "".join(parts)


def svg(picture: Layout, title: str = "the network") -> str:
    """A standalone ``<svg>`` element of the layout (no scripts, no external fonts)."""
    margin = 0.75
    scale = SVG_SCALE

    def px(value: float) -> float:
        return (value + margin) * scale

    width = (picture.width + 2 * margin) * scale
    height = (picture.height + 2 * margin) * scale
    radius = 0.36 * scale
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="serif" font-size="15">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="sbp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/>'
        "</marker></defs>",
    ]
    for edge in picture.edges:
        a, b = picture.units[edge.source], picture.units[edge.target]
        x1, y1, x2, y2 = px(a.x), px(a.y), px(b.x), px(b.y)
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        start = (x1 + ux * radius, y1 + uy * radius)
        end = (x2 - ux * radius, y2 - uy * radius)
        colour = HIGHLIGHT if edge.highlighted else "#999999"
        dash = ' stroke-dasharray="5,4"' if b.layer is None else ""
        thick = 2.6 if edge.highlighted else 1.1
        out.append(
            f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" y2="{end[1]:.1f}" '
            f'stroke="{colour}" stroke-width="{thick}"{dash} marker-end="url(#sbp-arrow)"/>'
        )
        if edge.label:
            lx = start[0] + 0.3 * (end[0] - start[0])
            ly = start[1] + 0.3 * (end[1] - start[1])
            out.append(
                f'<rect x="{lx - 24:.1f}" y="{ly - 13:.1f}" width="48" height="22" fill="white" '
                f'opacity="0.9"/><text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" '
                f'fill="{HIGHLIGHT}">{svg_label(edge.label)}</text>'
            )
    for unit in picture.units:
        cx, cy = px(unit.x), px(unit.y)
        colour = HIGHLIGHT if unit.highlighted else "#222222"
        thick = 2.6 if unit.highlighted else 1.3
        if unit.layer is None:
            out.append(
                f'<rect x="{cx - radius:.1f}" y="{cy - radius * 0.8:.1f}" width="{2 * radius:.1f}" '
                f'height="{1.6 * radius:.1f}" rx="6" fill="white" stroke="{colour}" stroke-width="{thick}"/>'
            )
        else:
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="white" '
                f'stroke="{colour}" stroke-width="{thick}"/>'
            )
        out.append(f'<text x="{cx:.1f}" y="{cy + 5:.1f}" text-anchor="middle">{svg_label(unit.name)}</text>')
        if unit.note:
            out.append(
                f'<text x="{cx:.1f}" y="{cy - radius - 6:.1f}" text-anchor="middle" '
                f'fill="{HIGHLIGHT}">+ {svg_label(unit.note)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)
