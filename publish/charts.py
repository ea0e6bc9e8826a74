"""The geometry of the download page's charts: what to draw where, as plain data.

publish/templates/_charts.html draws these as inline SVG; nothing here writes markup. Every
coordinate is text with at most one decimal (`coordinate`), so the same figures always give
the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from publish.formatting import format_pct

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 132, 16, 60
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

# Series: colour (>= 3:1 on white), marker and dash, so lines differ without colour too.
COLOURS = ("#1f4e8c", "#b3401a", "#1e7a3c", "#6a3d9a", "#8a6000", "#a0195a", "#00687a", "#444")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down")
DASHES = ("", "7 4", "2 3", "9 3 2 3")
BAR_COLOUR = "#1f4e8c"
_POLYGONS = {
    "triangle": ((0, -5.5), (5, 3.5), (-5, 3.5)),
    "triangle-down": ((0, 5.5), (5, -3.5), (-5, -3.5)),
    "diamond": ((0, -5.5), (5, 0), (0, 5.5), (-5, 0)),
}


def coordinate(value: float) -> str:
    """One decimal, no trailing zeros, always the same text for a value."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Frame:
    """Where the plot, its axes and its legend sit: the same for every chart."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = LEFT + PLOT_W
    top: int = TOP
    bottom: int = TOP + PLOT_H
    tick_end: int = TOP + PLOT_H + 5
    y_label_x: int = LEFT - 8
    x_label_y: int = TOP + PLOT_H + 19
    axis_title_x: int = round(LEFT + PLOT_W / 2)
    axis_title_y: int = HEIGHT - 14
    bar_label_y: int = TOP + PLOT_H + 17
    bar_year_y: int = TOP + PLOT_H + 33
    legend_x: int = LEFT + PLOT_W + 18


FRAME = Frame()


@dataclass(frozen=True)
class Tick:
    position: str
    label: str
    label_position: str = ""  # a grid line's label sits a little below the line


@dataclass(frozen=True)
class Marker:
    """A point: a circle, a square, or a polygon path, with its value as a tooltip."""

    shape: str  # circle, square or path
    x: str
    y: str
    path: str
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Series:
    name: str
    key: str  # data-reeks: the cohort year
    colour: str
    dash: str
    line: str  # the path's d; empty when no two neighbouring points are published
    markers: tuple[Marker, ...]
    legend_y: int
    legend_marker: Marker


@dataclass(frozen=True)
class YAxis:
    ticks: tuple[Tick, ...]  # position is the y of the grid line


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    y_axis: YAxis
    x_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    kind: str = "line"
    frame: Frame = FRAME


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    provisional: bool
    tooltip: str


@dataclass(frozen=True)
class BarLabel:
    x: str
    half: str
    year: str  # only under the first half-year of a year


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    y_axis: YAxis
    bars: tuple[Bar, ...]
    labels: tuple[BarLabel, ...]
    target_y: str  # the 100% line
    kind: str = "bar"
    frame: Frame = FRAME


def _y_axis(top_value: int, step: int) -> YAxis:
    ticks = []
    for value in range(0, top_value + 1, step):
        y = TOP + PLOT_H - value / top_value * PLOT_H
        ticks.append(Tick(coordinate(y), f"{value}%", coordinate(y + 4)))
    return YAxis(tuple(ticks))


def _marker(shape: str, x: float, y: float, colour: str, tooltip: str) -> Marker:
    if shape in ("circle", "square"):
        offset = 0 if shape == "circle" else 4
        return Marker(shape, coordinate(x - offset), coordinate(y - offset), "", colour, tooltip)
    path = "M" + "L".join(
        f"{coordinate(x + dx)} {coordinate(y + dy)}" for dx, dy in _POLYGONS[shape]
    )
    return Marker("path", "", "", path + "Z", colour, tooltip)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    xs: list[int],
    series: list[tuple[str, str, list[Decimal | None]]],
) -> LineChart:
    """Percentages (0-100) against months; a withheld or unpublished value breaks the line."""
    low, high = xs[0], xs[-1]

    def x_of(value: int) -> float:
        return LEFT + PLOT_W / 2 if high == low else LEFT + (value - low) / (high - low) * PLOT_W

    def y_of(value: Decimal) -> float:
        return TOP + PLOT_H - float(value) / 100 * PLOT_H

    drawn = []
    for i, (name, key, values) in enumerate(series):
        colour, shape, dash = COLOURS[i % 8], MARKERS[i % 5], DASHES[i % 4]
        steps, pen_down, markers = [], False, []
        for x_value, value in zip(xs, values, strict=True):
            if value is None:
                pen_down = False
                continue
            x, y = x_of(x_value), y_of(value)
            steps.append(f"{'L' if pen_down else 'M'}{coordinate(x)} {coordinate(y)}")
            pen_down = True
            tooltip = f"{name}, {x_value} maanden: {format_pct(value)}"
            markers.append(_marker(shape, x, y, colour, tooltip))
        legend_y = TOP + 8 + i * 22
        drawn.append(
            Series(
                name=name,
                key=key,
                colour=colour,
                dash=dash,
                line="".join(steps) if any(s.startswith("L") for s in steps) else "",
                markers=tuple(markers),
                legend_y=legend_y,
                legend_marker=_marker(shape, FRAME.legend_x + 15, legend_y, colour, name),
            )
        )
    return LineChart(
        id=chart_id,
        title=title,
        description=description,
        y_axis=_y_axis(100, 20),
        x_ticks=tuple(Tick(coordinate(x_of(x)), str(x)) for x in xs),
        series=tuple(drawn),
    )


def bar_chart(
    chart_id: str, title: str, description: str, bars: list[tuple[str, Decimal | None, bool]]
) -> BarChart:
    """Half-years as bars of realisation (%), hatched when provisional; 100% dashed."""
    highest = max((float(v) for _, v, _ in bars if v is not None), default=0.0)
    step = 20 if highest <= 140 else 50 if highest <= 350 else 100
    top_value = max(100, -(-int(highest) // step) * step)
    if top_value < highest:
        top_value += step
    band = PLOT_W / max(len(bars), 1)
    width = band * 0.7

    def y_of(value: float) -> float:
        return TOP + PLOT_H - value / top_value * PLOT_H

    drawn, labels, previous_year = [], [], None
    for i, (periode, value, provisional) in enumerate(bars):
        x_mid = LEFT + band * (i + 0.5)
        if value is not None:
            y = y_of(float(value))
            status = "voorlopig" if provisional else "definitief"
            drawn.append(
                Bar(
                    x=coordinate(x_mid - width / 2),
                    y=coordinate(y),
                    width=coordinate(width),
                    height=coordinate(TOP + PLOT_H - y),
                    provisional=provisional,
                    tooltip=f"{periode}: {format_pct(value)} ({status})",
                )
            )
        year, _, half = periode.partition("-")
        labels.append(BarLabel(coordinate(x_mid), half, year if year != previous_year else ""))
        previous_year = year
    return BarChart(
        id=chart_id,
        title=title,
        description=description,
        y_axis=_y_axis(top_value, step),
        bars=tuple(drawn),
        labels=tuple(labels),
        target_y=coordinate(y_of(100)),
    )
