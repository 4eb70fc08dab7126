"""Small self-contained SVG charts (no scripts, no external resources) for the HTML report.

Every data point is an element of class ``point`` (circles) or ``bar`` (rectangles) carrying
its values in ``data-x``/``data-y``, so a test can count what a browser rendered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 44
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")

Point = tuple[float, float]
Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """A named line or set of points."""

    name: str
    points: Sequence[Point]
    line: bool = True
    dashed: bool = False


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if v != 0 and a < 1e-2:
        return f"{v:.2g}"
    return f"{v:.3g}" if a < 10 else f"{v:,.0f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


class _Frame:
    """Maps data coordinates to the plot area."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float], y_zero: bool = True) -> None:
        x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
        y_lo = min([*ys, 0.0]) if y_zero else (min(ys) if ys else 0.0)
        y_hi = max(ys) if ys else 1.0
        self.xt = nice_ticks(x_lo, x_hi if x_hi > x_lo else x_lo + 1)
        self.yt = nice_ticks(y_lo, y_hi if y_hi > y_lo else y_lo + 1)

    def x(self, v: float) -> float:
        a, b = self.xt[0], self.xt[-1]
        return LEFT + (v - a) / (b - a) * (WIDTH - LEFT - RIGHT)

    def y(self, v: float) -> float:
        a, b = self.yt[0], self.yt[-1]
        return HEIGHT - BOTTOM - (v - a) / (b - a) * (HEIGHT - TOP - BOTTOM)


def _axes(f: _Frame, title: str, x_label: str, y_label: str, x_fmt: Fmt, y_fmt: Fmt) -> list[str]:
    out = [f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">{escape(title)}'
           "</text>"]
    base = HEIGHT - BOTTOM
    for t in f.yt:
        y = f.y(t)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   'class="grid"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{escape(y_fmt(t))}</text>")
    for t in f.xt:
        x = f.x(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" class="axis"/>')
        out.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">'
                   f"{escape(x_fmt(t))}</text>")
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" class="axis"/>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}" class="axis"/>')
    out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text transform="translate(14 {(TOP + base) / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_label)}</text>')
    return out


def _svg(chart: str, body: list[str], n_points: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" data-chart="{escape(chart)}" '
            f'data-points="{n_points}" role="img">' + "".join(body) + "</svg>")


def _legend(series: Sequence[Series]) -> list[str]:
    out = []
    for i, s in enumerate(series):
        x = LEFT + 10 + 150 * i
        out.append(f'<rect x="{x}" y="{TOP + 2}" width="10" height="10" '
                   f'fill="{COLORS[i % len(COLORS)]}"/>')
        out.append(f'<text x="{x + 14}" y="{TOP + 11}">{escape(s.name)}</text>')
    return out


def plot(chart: str, title: str, series: Sequence[Series], x_label: str, y_label: str,
         x_fmt: Fmt = _fmt, y_fmt: Fmt = _fmt, marks: Sequence[tuple[float, str]] = ()) -> str:
    """Lines and/or scatter points; ``marks`` draws labelled vertical lines at x values."""
    pts = [p for s in series for p in s.points if math.isfinite(p[0]) and math.isfinite(p[1])]
    xs = [p[0] for p in pts] + [m[0] for m in marks]
    f = _Frame(xs, [p[1] for p in pts])
    body = _axes(f, title, x_label, y_label, x_fmt, y_fmt)
    for x, label in marks:
        body.append(f'<line x1="{f.x(x):.1f}" x2="{f.x(x):.1f}" y1="{TOP}" '
                    f'y2="{HEIGHT - BOTTOM}" class="mark"/>')
        body.append(f'<text x="{f.x(x) + 4:.1f}" y="{TOP + 26}" class="mark-label">'
                    f"{escape(label)}</text>")
    n = 0
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        good = [p for p in s.points if math.isfinite(p[0]) and math.isfinite(p[1])]
        if s.line and len(good) > 1:
            path = " ".join(f"{f.x(x):.1f},{f.y(y):.1f}" for x, y in good)
            dash = ' stroke-dasharray="6 4"' if s.dashed else ""
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                        f'stroke-width="2"{dash}/>')
        for x, y in good:
            n += 1
            body.append(f'<circle class="point" cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="3.5" '
                        f'fill="{color}" data-series="{escape(s.name)}" data-x="{x:.6g}" '
                        f'data-y="{y:.6g}"><title>{escape(s.name)}: {escape(x_fmt(x))}, '
                        f"{escape(y_fmt(y))}</title></circle>")
    if len(series) > 1:
        body += _legend(series)
    return _svg(chart, body, n)


def histogram(chart: str, title: str, values: Sequence[float], bins: int, x_label: str,
              x_fmt: Fmt = _fmt, marks: Sequence[tuple[float, str]] = ()) -> str:
    """Counts of values in equal-width bins."""
    vals = [v for v in values if math.isfinite(v)]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi <= lo:
        hi = lo + max(abs(lo) * 0.1, 1e-6)
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    # A mark far beyond the data (a target 100x the costs) would squash every bar to a line.
    shown = [m for m in marks if m[0] <= hi + 2 * (hi - lo)]
    f = _Frame([lo, hi, *(m[0] for m in shown)], [float(c) for c in counts])
    body = _axes(f, title, x_label, "frames", x_fmt, lambda v: f"{v:g}")
    for i, c in enumerate(counts):
        x0, x1 = f.x(lo + i * width), f.x(lo + (i + 1) * width)
        top = f.y(c)
        body.append(f'<rect class="bar" x="{x0 + 0.5:.1f}" y="{top:.1f}" '
                    f'width="{max(x1 - x0 - 1, 0.5):.1f}" height="{f.y(0) - top:.1f}" '
                    f'fill="{COLORS[0]}" data-x="{lo + (i + 0.5) * width:.6g}" data-y="{c}">'
                    f"<title>{escape(x_fmt(lo + i * width))} to "
                    f"{escape(x_fmt(lo + (i + 1) * width))}: {c}</title></rect>")
    for x, label in shown:
        body.append(f'<line x1="{f.x(x):.1f}" x2="{f.x(x):.1f}" y1="{TOP}" '
                    f'y2="{HEIGHT - BOTTOM}" class="mark"/>')
        body.append(f'<text x="{f.x(x) + 4:.1f}" y="{TOP + 12}" class="mark-label">'
                    f"{escape(label)}</text>")
    for i, (x, label) in enumerate(m for m in marks if m not in shown):
        body.append(f'<text x="{WIDTH - RIGHT}" y="{TOP + 12 + 14 * i}" text-anchor="end" '
                    f'class="mark-label">{escape(label)} {escape(x_fmt(x))}: off the scale, '
                    "to the right</text>")
    return _svg(chart, body, bins)
