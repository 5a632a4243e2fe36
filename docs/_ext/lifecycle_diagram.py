"""The lifecycle diagrams as pure functions: topi's edges in, layout, SVG and table rows out.

No Sphinx here, so the tests run wherever the package's own tests do; ``lifecycle`` turns these
into the ``topi-lifecycle`` directive.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from django_topi import states
from django_topi.states import Actor, Edge

# Sizes in px. Text is monospace, so a string's width is estimated from its length.
STATUS_FONT = 13
LABEL_FONT = 12
CHAR_WIDTH = 0.62  # of the font size; generous for common monospace fonts
BOX_PADDING = 14
BOX_HEIGHT = 32
ALIAS_HEIGHT = 15
PASSAGE_WIDTH = 10  # the room a long edge takes where it passes a layer
SLOT_GAP = 28
LAYER_GAP = 76
LABEL_HEIGHT = 17
MARGIN = 8
PORT_SPACING = 18  # between the ends of the arrows that leave or enter one box
TERMINAL_INSET = 3.5

Point = tuple[float, float]
#: A place in a layer: a status, or a long edge passing through (edge index, layer).
Node = str | tuple[int, int]


@dataclass(frozen=True)
class Lifecycle:
    """One graph to draw: its edges, every status it has, the terminal ones and the aliases."""

    edges: tuple[Edge, ...]
    statuses: tuple[str, ...]
    terminal: frozenset[str]
    aliases: Mapping[str, str]
    title: str


#: What ``.. topi-lifecycle:: offer`` and ``order`` draw; the order's aliases are not boxes of
#: their own but a line in the box of the status they mean.
LIFECYCLES = {
    "offer": Lifecycle(
        edges=states.OFFER_EDGES,
        statuses=tuple(states.OfferStatus.values),
        terminal=states.OFFER_TERMINAL,
        aliases=states.OFFER_STATUS_ALIASES,
        title="The lifecycle of a topi offer",
    ),
    "order": Lifecycle(
        edges=states.ORDER_EDGES,
        statuses=tuple(
            status
            for status in states.OrderStatus.values
            if status not in states.ORDER_STATUS_ALIASES
        ),
        terminal=states.ORDER_TERMINAL,
        aliases=states.ORDER_STATUS_ALIASES,
        title="The lifecycle of a topi order",
    ),
}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Rect, margin: float = 0.0) -> bool:
        """Whether the two rectangles, each grown by ``margin``, share any area."""
        return (
            self.x - margin < other.right + margin
            and other.x - margin < self.right + margin
            and self.y - margin < other.bottom + margin
            and other.y - margin < self.bottom + margin
        )

    def shifted(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.width, self.height)


@dataclass(frozen=True)
class Box:
    """A status drawn as a box; ``aliases`` are the other names topi uses for it."""

    status: str
    rect: Rect
    terminal: bool
    unreached: bool
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arrow:
    """An edge drawn as a polyline from its source box to its target box, with its label."""

    edge: Edge
    points: tuple[Point, ...]
    label: Rect


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in px from the top left of a drawing ``width`` by ``height``."""

    boxes: Mapping[str, Box]
    arrows: tuple[Arrow, ...]
    width: float
    height: float


def text_width(text: str, font_size: float) -> float:
    """The width of monospace ``text``, a little generous so it never spills out of its box."""
    return len(text) * font_size * CHAR_WIDTH


def layers(edges: Sequence[Edge], statuses: Iterable[str] = ()) -> dict[str, int]:
    """Each status's layer: the longest path to it from a status no edge enters.

    Statuses no edge touches get a layer of their own below the others. Raises ValueError on a
    cycle, which a lifecycle must not have.
    """
    names = _statuses(edges, statuses)
    incoming = dict.fromkeys(names, 0)
    for edge in edges:
        incoming[edge.target] += 1
    layer = dict.fromkeys(names, 0)
    ready = [name for name in names if incoming[name] == 0]
    placed = 0
    while ready:
        name = ready.pop(0)
        placed += 1
        for edge in edges:
            if edge.source == name:
                layer[edge.target] = max(layer[edge.target], layer[name] + 1)
                incoming[edge.target] -= 1
                if incoming[edge.target] == 0:
                    ready.append(edge.target)
    if placed < len(names):
        raise ValueError("the lifecycle has a cycle; it cannot be drawn in layers")
    connected = {status for edge in edges for status in (edge.source, edge.target)}
    below = max((layer[name] for name in connected), default=-1) + 1
    return {name: layer[name] if name in connected else below for name in names}


def unreached(edges: Sequence[Edge], statuses: Iterable[str]) -> list[str]:
    """The statuses no edge enters or leaves."""
    connected = {status for edge in edges for status in (edge.source, edge.target)}
    return [status for status in statuses if status not in connected]


def layout(
    edges: Sequence[Edge],
    statuses: Iterable[str] = (),
    terminal: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> Layout:
    """Place the statuses in layers from top to bottom and route each edge between them.

    An edge that spans several layers passes each one in a narrow slot of its own, so no line
    runs through a box; layers are ordered to reduce crossings (barycentre sweeps).
    """
    edges = tuple(edges)
    names = _statuses(edges, statuses)
    layer_of = layers(edges, names)
    terminal_names = frozenset(terminal)
    disconnected = set(unreached(edges, names))
    alias_names: dict[str, list[str]] = {}
    for reported, meant in (aliases or {}).items():
        alias_names.setdefault(meant, []).append(reported)

    chains: list[list[Node]] = []
    for index, edge in enumerate(edges):
        start, end = layer_of[edge.source], layer_of[edge.target]
        passages: list[Node] = [(index, layer) for layer in range(start + 1, end)]
        chains.append([edge.source, *passages, edge.target])
    rows: list[list[Node]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for name in names:
        rows[layer_of[name]].append(name)
    for chain in chains:
        for node in chain[1:-1]:
            assert isinstance(node, tuple)
            rows[node[1]].append(node)
    segments = [(a, b) for chain in chains for a, b in pairwise(chain)]
    rows = _order(rows, segments)

    height = BOX_HEIGHT + (ALIAS_HEIGHT if alias_names else 0)  # the tallest box
    widths: dict[Node, float] = {}
    for row in rows:
        for node in row:
            if isinstance(node, str):
                text = max([node, *_alias_line(alias_names.get(node, []))], key=len)
                widths[node] = text_width(text, STATUS_FONT) + 2 * BOX_PADDING
            else:
                widths[node] = PASSAGE_WIDTH
    centre = _positions(rows, segments, widths)
    top: dict[Node, float] = {}
    row_top = 0.0
    for index, row in enumerate(rows):
        if index:
            # Statuses no edge touches sit close under the graph, not a layer away.
            row_top += height + (SLOT_GAP if disconnected.issuperset(row) else LAYER_GAP)
        top.update(dict.fromkeys(row, row_top))

    boxes = {
        name: Box(
            status=name,
            rect=Rect(
                centre[name] - widths[name] / 2,
                top[name],
                widths[name],
                BOX_HEIGHT + (ALIAS_HEIGHT if name in alias_names else 0),
            ),
            terminal=name in terminal_names,
            unreached=name in disconnected,
            aliases=tuple(alias_names.get(name, [])),
        )
        for name in names
    }
    routes = _routes(chains, boxes, centre, top, height)
    labels = _labels(edges, routes, [box.rect for box in boxes.values()])

    everything = [box.rect for box in boxes.values()] + labels
    points = [point for route in routes for point in route]
    left = min([rect.x for rect in everything] + [x for x, _ in points])
    right = max([rect.right for rect in everything] + [x for x, _ in points])
    bottom = max([rect.bottom for rect in everything] + [y for _, y in points])
    dx, dy = MARGIN - left, MARGIN
    return Layout(
        boxes={
            name: Box(
                box.status, box.rect.shifted(dx, dy), box.terminal, box.unreached, box.aliases
            )
            for name, box in boxes.items()
        },
        arrows=tuple(
            Arrow(edge, tuple((x + dx, y + dy) for x, y in route), label.shifted(dx, dy))
            for edge, route, label in zip(edges, routes, labels, strict=True)
        ),
        width=math.ceil(right - left + 2 * MARGIN),
        height=math.ceil(bottom + 2 * MARGIN),
    )


def render_svg(drawing: Layout, name: str, title: str) -> str:
    """The layout as an inline SVG element; colours follow the page's text and background."""
    marker = f"topi-lifecycle-{name}-arrow"
    background = "fill: var(--color-background-primary, #fff)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topi-lifecycle" width="{drawing.width}"'
        f' height="{drawing.height}" viewBox="0 0 {drawing.width} {drawing.height}" role="img"'
        f' aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
        ' markerHeight="8" orient="auto"><path d="M0,1 L10,5 L0,9 z" fill="currentColor"/>'
        "</marker></defs>",
        '<g fill="none" stroke="currentColor" stroke-width="1.3" stroke-linejoin="round">',
    ]
    for arrow in drawing.arrows:
        points = " ".join(f"{_px(x)},{_px(y)}" for x, y in arrow.points)
        parts.append(
            f'<polyline points="{points}" marker-end="url(#{marker})"'
            f' data-edge="{html.escape(arrow.edge.source)} {html.escape(arrow.edge.target)}"/>'
        )
    parts.append("</g>")
    parts.append(
        f'<g font-family="monospace" font-size="{LABEL_FONT}" fill="currentColor"'
        ' text-anchor="middle">'
    )
    for arrow in drawing.arrows:
        label = arrow.label
        baseline = label.y + label.height / 2 + LABEL_FONT * 0.35
        parts.append(
            f'<g class="transition"><rect x="{_px(label.x)}" y="{_px(label.y)}"'
            f' width="{_px(label.width)}" height="{_px(label.height)}" rx="3"'
            f' style="{background}"/><text x="{_px(label.x + label.width / 2)}"'
            f' y="{_px(baseline)}">{html.escape(arrow.edge.transition)}</text></g>'
        )
    parts.append("</g>")
    parts.append(
        f'<g font-family="monospace" font-size="{STATUS_FONT}" text-anchor="middle"'
        ' stroke="currentColor" stroke-width="1.3">'
    )
    for box in drawing.boxes.values():
        parts.append(_box_svg(box, background))
    parts.append("</g></svg>")
    return "\n".join(parts)


def diagram_svg(
    edges: Sequence[Edge],
    statuses: Iterable[str],
    name: str,
    title: str,
    terminal: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Lay out and render a lifecycle in one call."""
    return render_svg(layout(edges, statuses, terminal, aliases), name, title)


def plain_text(edges: Iterable[Edge]) -> str:
    """The diagram for builders without SVG: one ``source --transition--> target`` a line."""
    return "\n".join(f"{edge.source} --{edge.transition}--> {edge.target}" for edge in edges)


def table_rows(edges: Iterable[Edge]) -> list[tuple[str, str, str, str, str]]:
    """One row per edge: source, target, transition, who moves it, note."""
    return [
        (edge.source, edge.target, edge.transition, str(Actor(edge.actor).label), edge.note)
        for edge in edges
    ]


# -- layout helpers ----------------------------------------------------------------------------


def _statuses(edges: Iterable[Edge], statuses: Iterable[str]) -> list[str]:
    named = [*statuses, *(status for edge in edges for status in (edge.source, edge.target))]
    return list(dict.fromkeys(named))


def _alias_line(aliases: Sequence[str]) -> list[str]:
    return [f"also {', '.join(aliases)}"] if aliases else []


def _order(rows: list[list[Node]], segments: list[tuple[Node, Node]]) -> list[list[Node]]:
    above: dict[Node, list[Node]] = {}
    below: dict[Node, list[Node]] = {}
    for a, b in segments:
        below.setdefault(a, []).append(b)
        above.setdefault(b, []).append(a)
    current = [list(row) for row in rows]
    best, fewest = [list(row) for row in current], _crossings(current, segments)
    for sweep in range(8):
        downward = sweep % 2 == 0
        indices = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        for index in indices:
            neighbour_row = current[index - 1] if downward else current[index + 1]
            position = {node: place for place, node in enumerate(neighbour_row)}
            linked = above if downward else below
            row = current[index]
            weight = {}
            for place, node in enumerate(row):
                places = [position[other] for other in linked.get(node, [])]
                weight[node] = sum(places) / len(places) if places else float(place)
            row.sort(key=weight.__getitem__)
        crossings = _crossings(current, segments)
        if crossings < fewest:
            best, fewest = [list(row) for row in current], crossings
    return best


def _crossings(rows: list[list[Node]], segments: list[tuple[Node, Node]]) -> int:
    layer = {node: index for index, row in enumerate(rows) for node in row}
    place = {node: index for row in rows for index, node in enumerate(row)}
    return sum(
        1
        for i, (a1, b1) in enumerate(segments)
        for a2, b2 in segments[i + 1 :]
        if layer[a1] == layer[a2] and (place[a1] - place[a2]) * (place[b1] - place[b2]) < 0
    )


def _positions(
    rows: list[list[Node]], segments: list[tuple[Node, Node]], widths: Mapping[Node, float]
) -> dict[Node, float]:
    """Horizontal centres: each node pulled towards its neighbours, never closer than a gap."""
    neighbours: dict[Node, list[Node]] = {}
    for a, b in segments:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    centre: dict[Node, float] = {}
    for row in rows:
        _pack(row, dict.fromkeys(row, 0.0), widths, centre)
    for _sweep in range(6):
        for row in [*rows, *reversed(rows)]:
            wanted = {}
            for node in row:
                linked = [centre[other] for other in neighbours.get(node, [])]
                wanted[node] = sum(linked) / len(linked) if linked else centre[node]
            _pack(row, wanted, widths, centre)
    linked_rows = [row for row in rows if any(node in neighbours for node in row)]
    if linked_rows:
        left = min(centre[node] - widths[node] / 2 for row in linked_rows for node in row)
        right = max(centre[node] + widths[node] / 2 for row in linked_rows for node in row)
        for row in rows:
            if row not in linked_rows:
                _pack(row, dict.fromkeys(row, (left + right) / 2), widths, centre)
    return centre


def _pack(
    row: list[Node],
    wanted: Mapping[Node, float],
    widths: Mapping[Node, float],
    centre: dict[Node, float],
) -> None:
    placed: list[float] = []
    for index, node in enumerate(row):
        x = wanted[node]
        if index:
            previous = row[index - 1]
            x = max(x, placed[-1] + (widths[previous] + widths[node]) / 2 + SLOT_GAP)
        placed.append(x)
    shift = sum(wanted[node] - x for node, x in zip(row, placed, strict=True)) / max(len(row), 1)
    for node, x in zip(row, placed, strict=True):
        centre[node] = x + shift


def _routes(
    chains: list[list[Node]],
    boxes: Mapping[str, Box],
    centre: Mapping[Node, float],
    top: Mapping[Node, float],
    height: float,
) -> list[list[Point]]:
    """Polylines: out of the source's bottom, through each passage, into the target's top."""
    leaving: dict[str, list[int]] = {}
    entering: dict[str, list[int]] = {}
    for index, chain in enumerate(chains):
        leaving.setdefault(str(chain[0]), []).append(index)
        entering.setdefault(str(chain[-1]), []).append(index)
    for indices in leaving.values():
        indices.sort(key=lambda index: centre[chains[index][1]])
    for indices in entering.values():
        indices.sort(key=lambda index: centre[chains[index][-2]])

    def port(name: str, index: int, ports: dict[str, list[int]]) -> float:
        rect = boxes[name].rect
        order = ports[name]
        usable = min(rect.width - 2 * BOX_PADDING, PORT_SPACING * (len(order) - 1))
        if len(order) == 1:
            return rect.x + rect.width / 2
        return rect.x + (rect.width - usable) / 2 + usable * order.index(index) / (len(order) - 1)

    routes = []
    for index, chain in enumerate(chains):
        source, target = str(chain[0]), str(chain[-1])
        points: list[Point] = [(port(source, index, leaving), boxes[source].rect.bottom)]
        for node in chain[1:-1]:
            points += [(centre[node], top[node]), (centre[node], top[node] + height)]
        points.append((port(target, index, entering), boxes[target].rect.y))
        routes.append(points)
    return routes


def _labels(edges: Sequence[Edge], routes: list[list[Point]], boxes: list[Rect]) -> list[Rect]:
    """Place each transition name on its edge where it covers no box, no label and few lines."""
    lines = [(index, a, b) for index, route in enumerate(routes) for a, b in pairwise(route)]
    placed: list[Rect] = []
    for index, (edge, route) in enumerate(zip(edges, routes, strict=True)):
        width = text_width(edge.transition, LABEL_FONT) + 8
        best: tuple[float, Rect] | None = None
        for number, (a, b) in enumerate(pairwise(route)):
            for rank, t in enumerate((0.5, 0.35, 0.65, 0.2, 0.8)):
                x = a[0] + (b[0] - a[0]) * t
                y = a[1] + (b[1] - a[1]) * t
                rect = Rect(x - width / 2, y - LABEL_HEIGHT / 2, width, LABEL_HEIGHT)
                score = 1000.0 * sum(rect.overlaps(other, 2) for other in [*boxes, *placed])
                score += 10.0 * sum(_crosses(rect, p, q) for other, p, q in lines if other != index)
                score += number + rank * 0.1
                if best is None or score < best[0]:
                    best = (score, rect)
        assert best is not None
        placed.append(best[1])
    return placed


def _crosses(rect: Rect, a: Point, b: Point) -> bool:
    """Whether the segment a-b passes through the inside of the rectangle (Liang-Barsky)."""
    (x, y), (dx, dy) = a, (b[0] - a[0], b[1] - a[1])
    enter, leave = 0.0, 1.0
    for p, q in ((-dx, x - rect.x), (dx, rect.right - x), (-dy, y - rect.y), (dy, rect.bottom - y)):
        if p == 0:
            if q <= 0:
                return False
        elif p < 0:
            enter = max(enter, q / p)
        else:
            leave = min(leave, q / p)
    return enter < leave


def _box_svg(box: Box, background: str) -> str:
    rect = box.rect
    dash = ' stroke-dasharray="5 3"' if box.unreached else ""
    shapes = [
        f'<rect x="{_px(rect.x)}" y="{_px(rect.y)}" width="{_px(rect.width)}"'
        f' height="{_px(rect.height)}" rx="6" style="{background}"{dash}/>'
    ]
    if box.terminal:
        inset = TERMINAL_INSET
        shapes.append(
            f'<rect x="{_px(rect.x + inset)}" y="{_px(rect.y + inset)}"'
            f' width="{_px(rect.width - 2 * inset)}" height="{_px(rect.height - 2 * inset)}"'
            f' rx="4" fill="none"{dash}/>'
        )
    middle = rect.x + rect.width / 2
    text_height = rect.height - (ALIAS_HEIGHT if box.aliases else 0)
    name_y = rect.y + text_height / 2 + STATUS_FONT * 0.35
    shapes.append(
        f'<text x="{_px(middle)}" y="{_px(name_y)}" stroke="none" fill="currentColor">'
        f"{html.escape(box.status)}</text>"
    )
    for line in _alias_line(box.aliases):
        shapes.append(
            f'<text x="{_px(middle)}" y="{_px(name_y + ALIAS_HEIGHT - 1)}" stroke="none"'
            f' fill="currentColor" font-size="{LABEL_FONT - 1}" font-style="italic">'
            f"{html.escape(line)}</text>"
        )
    return f'<g class="status" data-status="{html.escape(box.status)}">' + "".join(shapes) + "</g>"


def _px(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
