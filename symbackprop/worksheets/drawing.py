"""The network picture: one layout, drawn as TikZ (LaTeX) or as SVG (HTML, Markdown).

The layout is data (units, connections, labels, which ones the exercises are
about); the two drawers only place it on a page, so the PDF and the HTML show
the same picture.  Like the published worked examples, a small network (at
most :data:`LABELLED_UP_TO` units a layer) carries the example's numbers: the
inputs beside the input units, each weight on its edge, each layer's biases
on the edges from a bias unit "1", and the targets beside the outputs.  A
wider network names only the exercises' parameters, whose numbers are in the
sheet's table of given numbers.

Labels are symbol names from :mod:`symbackprop.symbols`, printed as LaTeX in
TikZ and as text with stacked indices in SVG.

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
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from ..spec import Network
from ..symbols import LOSS, LOSS_TEXT, TARGET, parse_name, scalar_name
from ..symbols import bias as bias_name
from ..symbols import weight as weight_name

if TYPE_CHECKING:
    from .numbers import Values

# Layout units (about a centimetre): one step between layers, one between units of a layer.
LAYER_GAP = 2.8
UNIT_GAP = 1.55
LABELLED_GAP = 1.9  # more room between units when every edge carries a number
LABELLED_UP_TO = 3  # units per layer up to which every edge carries its number
LABEL_AT = 0.27  # where along an edge its number sits: near the source, one column of numbers per layer
SVG_SCALE = 62  # pixels per layout unit
HIGHLIGHT = "#c0392b"


@dataclass(frozen=True)
class Unit:
    """A circle (an input x_j, an activation a^(l)_j), a bias unit "1" (kind ``bias``) or the loss box.

    ``value`` is a number written beside the unit (an input's value, an
    output's target as ``y_j = …``); ``note`` a symbol name written above it
    (a bias asked about, on a picture without bias units).
    """

    name: str
    layer: int | None
    x: float
    y: float
    highlighted: bool = False
    note: str = ""
    kind: str = "unit"  # unit, bias or loss
    value: str = ""
    value_side: str = "left"  # left, above-right, below-right


@dataclass(frozen=True)
class Edge:
    """A connection; ``label`` names its parameter when an exercise is about it, ``value`` its number."""

    source: int
    target: int
    highlighted: bool = False
    label: str = ""
    value: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Layout:
    units: tuple[Unit, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float
    left: float = 0.0  # room needed left of x = 0 (input values)


def _number(value: float) -> str:
    return format(float(value), ".6g").replace("-", "−")


def layout(network: Network, highlight: Iterable[str] = (), values: Values | None = None) -> Layout:
    """Place every unit; ``highlight`` names the weights and biases to mark (``w2_12``, ``b1_3``).

    With ``values`` (the worked example) a small network's picture carries its numbers.
    """
    marked = set(highlight)
    sizes = network.sizes
    labelled = values is not None and max(sizes) <= LABELLED_UP_TO
    gap = LABELLED_GAP if labelled else UNIT_GAP
    tallest = max(sizes)
    units: list[Unit] = []
    index: dict[tuple[int, int], int] = {}
    centre = (tallest - 1) * gap / 2
    for layer, size in enumerate(sizes):
        top = (tallest - size) * gap / 2
        for j in range(1, size + 1):
            name = scalar_name("x", None, j) if layer == 0 else scalar_name("a", layer, j)
            bias = scalar_name("b", layer, j) if layer else ""
            y = top + (j - 1) * gap
            value, side = "", "left"
            if labelled and layer == 0:
                value = _number(values.x[j - 1])
            elif labelled and layer == len(sizes) - 1:
                value = TARGET.entry(j) + " = " + _number(values.y[j - 1])
                side = "above-right" if y <= centre else "below-right"
            index[(layer, j)] = len(units)
            note = bias if bias in marked and not (labelled and network.bias) else ""
            units.append(Unit(name, layer, layer * LAYER_GAP, y, highlighted=bias in marked, note=note,
                              value=value, value_side=side))
    edges = []
    for layer in range(1, len(sizes)):
        for j in range(1, sizes[layer] + 1):
            for k in range(1, sizes[layer - 1] + 1):
                weight = scalar_name("w", layer, j, k)
                number = _number(values.params[str(weight_name(layer))][j - 1, k - 1]) if labelled else ""
                edges.append(Edge(index[(layer - 1, k)], index[(layer, j)], weight in marked,
                                  weight if weight in marked else "", number))
    bottom = (tallest - 1) * gap
    if labelled and network.bias:
        for layer in range(1, len(sizes)):
            bias_index = len(units)
            units.append(Unit("1", None, (layer - 1) * LAYER_GAP + LAYER_GAP * 0.35, bottom + gap * 0.85,
                              kind="bias"))
            for j in range(1, sizes[layer] + 1):
                name = scalar_name("b", layer, j)
                edges.append(Edge(bias_index, index[(layer, j)], name in marked, name if name in marked else "",
                                  _number(values.params[str(bias_name(layer))][j - 1]), dashed=False))
        bottom += gap * 0.85
    loss_index = len(units)
    units.append(Unit(LOSS.name, None, len(sizes) * LAYER_GAP - LAYER_GAP / 3 + (0.5 if labelled else 0),
                      centre, kind="loss"))
    edges.extend(Edge(index[(len(sizes) - 1, j)], loss_index, dashed=True) for j in range(1, sizes[-1] + 1))
    return Layout(tuple(units), tuple(edges), width=units[-1].x, height=bottom, left=0.9 if labelled else 0.0)


def _label_point(picture: Layout, edge: Edge, at: float) -> tuple[float, float]:
    a, b = picture.units[edge.source], picture.units[edge.target]
    return a.x + at * (b.x - a.x), a.y + at * (b.y - a.y)


def _value_at(picture: Layout, edge: Edge) -> float:
    """Weights' numbers near the source (one column per layer); biases' near the unit they feed."""
    return 0.7 if picture.units[edge.source].kind == "bias" else LABEL_AT


def _name_at(picture: Layout, edge: Edge) -> float:
    """A marked parameter's name, clear of its number: past a weight's number, before a bias's."""
    if not edge.value:
        return 0.3
    return 0.2 if picture.units[edge.source].kind == "bias" else 0.6


# -- TikZ ---------------------------------------------------------------------


PAGE_CM = 15.5  # the widest a picture may be on the page, labels beside it included


def _x_scale(picture: Layout) -> float:
    """Centimetres per layout unit across: roomy for a small network, narrower so a deep one fits."""
    return min(1.3, PAGE_CM / (picture.width + picture.left + 1.8))


def tikz(picture: Layout, latex: Callable[[str], str]) -> str:
    """A ``tikzpicture``; ``latex`` turns a symbol name into LaTeX (the project's printer)."""
    lines = [
        rf"\begin{{tikzpicture}}[x={_x_scale(picture):.2f}cm, y=-1.05cm, >=stealth,",
        r"  unit/.style={circle, draw, minimum size=9mm, inner sep=0pt, fill=white},",
        r"  bias/.style={circle, draw, dashed, minimum size=6mm, inner sep=0pt, fill=white},",
        r"  marked/.style={draw=sbpred, very thick},",
        r"  number/.style={fill=white, inner sep=0.6pt, font=\scriptsize},",
        r"  loss/.style={rectangle, rounded corners, draw, minimum size=8mm, fill=white}]",
    ]
    for number, unit in enumerate(picture.units):
        style = unit.kind
        if unit.highlighted:
            style += ", marked"
        label = "1" if unit.kind == "bias" else latex(unit.name)
        lines.append(rf"\node[{style}] (u{number}) at ({unit.x:.3f}, {unit.y:.3f}) {{${label}$}};")
        if unit.note:
            lines.append(
                rf"\node[text=sbpred, above=0pt of u{number}, font=\small] {{$+\,{latex(unit.note)}$}};"
            )
        if unit.value:
            lines.append(_tikz_value(number, unit, latex))
    for edge in picture.edges:
        style = "->, dashed" if edge.dashed else "->"
        colour = "sbpred, very thick" if edge.highlighted else "gray"
        if picture.units[edge.source].kind == "bias" and not edge.highlighted:
            colour = "gray!70, densely dotted"
        parts = [rf"\draw[{style}, {colour}] (u{edge.source}) -- (u{edge.target})"]
        parts.append(";")
        lines.append("".join(parts))
    for edge in picture.edges:  # labels last, so no line crosses them
        if edge.value:
            x, y = _label_point(picture, edge, _value_at(picture, edge))
            colour = ", text=sbpred" if edge.highlighted else ""
            lines.append(rf"\node[number{colour}] at ({x:.3f}, {y:.3f}) {{${edge.value.replace('−', '-')}$}};")
        if edge.label:
            x, y = _label_point(picture, edge, _name_at(picture, edge))
            lines.append(rf"\node[number, text=sbpred, font=\small] at ({x:.3f}, {y:.3f}) {{${latex(edge.label)}$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _tikz_value(number: int, unit: Unit, latex: Callable[[str], str]) -> str:
    text = unit.value.replace("−", "-")
    if text.startswith("y"):
        name, _, rest = text.partition(" = ")
        text = f"{latex(name)} = {rest}"
    where = {"left": "left", "above-right": "above right", "below-right": "below right"}[unit.value_side]
    return rf"\node[{where}=1pt of u{number}, font=\small] {{${text}$}};"


# -- SVG ----------------------------------------------------------------------

_STEMS = {"delta": "δ"}
# Rough advance widths (in ems of the font size) to stack indices the way TeX does.
_WIDE = {"w": 0.72, "m": 0.8, "δ": 0.5, "(": 0.33, ")": 0.33, ",": 0.25, "1": 0.5}


def _width(text: str, size: float) -> float:
    return sum(_WIDE.get(char, 0.5) for char in text) * size


def svg_label(name: str, x: float, y: float, size: float = 15, fill: str = "") -> str:
    """A ``<text>`` for a symbol name centred at (x, y): the stem, the (layer) above the indices, stacked."""
    colour = f' fill="{fill}"' if fill else ""
    if name == LOSS.name:
        return f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle"{colour} font-size="{size * 1.15:.1f}">{LOSS_TEXT}</text>'
    stem, layer, indices = parse_name(name)
    stem = _STEMS.get(stem, stem)
    sep = "" if all(i < 10 for i in indices) else ","
    sub = sep.join(map(str, indices))
    sup = f"({layer})" if layer is not None else ""
    small = size * 0.7
    stem_w = _width(stem, size)
    total = stem_w + max(_width(sub, small), _width(sup, small))
    left = x - total / 2
    base = y + 5
    parts = [f'<tspan x="{left:.1f}" y="{base:.1f}" font-style="italic">{escape(stem)}</tspan>']
    scripts = left + stem_w + 0.5
    if sup:
        parts.append(f'<tspan x="{scripts:.1f}" y="{base - size * 0.42:.1f}" font-size="{small:.1f}">{sup}</tspan>')
    parts.append(f'<tspan x="{scripts:.1f}" y="{base + size * 0.3:.1f}" font-size="{small:.1f}">{sub}</tspan>')
    return f"<text{colour}>{''.join(parts)}</text>"


def svg(picture: Layout, title: str = "the network") -> str:
    """A standalone ``<svg>`` element of the layout (no scripts, no external fonts)."""
    margin = 0.75
    scale = SVG_SCALE

    def px(value: float) -> float:
        return (value + margin) * scale

    def py(value: float) -> float:
        return (value + margin) * scale

    shift = picture.left
    width = (picture.width + shift + 2 * margin + (0.9 if shift else 0)) * scale
    height = (picture.height + 2 * margin) * scale
    radius = 0.36 * scale
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="{-shift * scale:.0f} 0 {width:.0f} {height:.0f}" role="img" font-family="serif" font-size="15" '
        'style="max-width: 100%; height: auto">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="sbp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/>'
        "</marker></defs>",
    ]
    labels: list[str] = []
    for edge in picture.edges:
        a, b = picture.units[edge.source], picture.units[edge.target]
        x1, y1, x2, y2 = px(a.x), py(a.y), px(b.x), py(b.y)
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        r1 = radius * (0.6 if a.kind == "bias" else 1)
        start = (x1 + ux * r1, y1 + uy * r1)
        end = (x2 - ux * radius, y2 - uy * radius)
        colour = HIGHLIGHT if edge.highlighted else ("#bbbbbb" if a.kind == "bias" else "#999999")
        dash = ' stroke-dasharray="5,4"' if edge.dashed else (' stroke-dasharray="2,3"' if a.kind == "bias" and not edge.highlighted else "")
        thick = 2.6 if edge.highlighted else 1.1
        out.append(
            f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" y2="{end[1]:.1f}" '
            f'stroke="{colour}" stroke-width="{thick}"{dash} marker-end="url(#sbp-arrow)"/>'
        )
        fill = HIGHLIGHT if edge.highlighted else "#333333"
        if edge.value:
            lx, ly = (px(c) if i == 0 else py(c) for i, c in enumerate(_label_point(picture, edge, _value_at(picture, edge))))
            w = _width(edge.value, 12) + 6
            labels.append(
                f'<rect x="{lx - w / 2:.1f}" y="{ly - 9:.1f}" width="{w:.1f}" height="16" fill="white"/>'
                f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" font-size="12" fill="{fill}">'
                f"{escape(edge.value)}</text>"
            )
        if edge.label:
            lx, ly = (px(c) if i == 0 else py(c) for i, c in enumerate(_label_point(picture, edge, _name_at(picture, edge))))
            labels.append(
                f'<rect x="{lx - 24:.1f}" y="{ly - 13:.1f}" width="48" height="24" fill="white" opacity="0.9"/>'
                + svg_label(edge.label, lx, ly - 2, fill=HIGHLIGHT)
            )
    for unit in picture.units:
        cx, cy = px(unit.x), py(unit.y)
        colour = HIGHLIGHT if unit.highlighted else "#222222"
        thick = 2.6 if unit.highlighted else 1.3
        if unit.kind == "loss":
            out.append(
                f'<rect x="{cx - radius:.1f}" y="{cy - radius * 0.8:.1f}" width="{2 * radius:.1f}" '
                f'height="{1.6 * radius:.1f}" rx="6" fill="white" stroke="{colour}" stroke-width="{thick}"/>'
            )
            out.append(svg_label(unit.name, cx, cy))
        elif unit.kind == "bias":
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius * 0.6:.1f}" fill="white" stroke="#777777" '
                f'stroke-width="1.1" stroke-dasharray="3,2"/><text x="{cx:.1f}" y="{cy + 5:.1f}" '
                'text-anchor="middle">1</text>'
            )
        else:
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="white" '
                f'stroke="{colour}" stroke-width="{thick}"/>'
            )
            out.append(svg_label(unit.name, cx, cy))
        if unit.note:
            out.append(
                f'<text x="{cx - 8:.1f}" y="{cy - radius - 8:.1f}" text-anchor="end" fill="{HIGHLIGHT}">+</text>'
                + svg_label(unit.note, cx + 6, cy - radius - 13, fill=HIGHLIGHT)
            )
        if unit.value:
            out.append(_svg_value(unit, cx, cy, radius))
    out.extend(labels)
    out.append("</svg>")
    return "\n".join(out)


def _svg_value(unit: Unit, cx: float, cy: float, radius: float) -> str:
    if unit.value_side == "left":
        return (f'<text x="{cx - radius - 6:.1f}" y="{cy + 5:.1f}" text-anchor="end" font-size="13">'
                f"{escape(unit.value)}</text>")
    name, _, number = unit.value.partition(" = ")
    dy = -radius - 2 if unit.value_side == "above-right" else radius + 14
    x = cx + radius * 0.6
    return (svg_label(name, x + 8, cy + dy - 5, size=13)
            + f'<text x="{x + 18:.1f}" y="{cy + dy:.1f}" font-size="13">= {escape(number)}</text>')


__all__ = ["Edge", "Layout", "Unit", "layout", "svg", "svg_label", "tikz"]
