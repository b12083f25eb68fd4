"""A finger-drawn signature, redrawn as vector paths from its recorded stroke numbers.

The kiosk stores the strokes the signature pad produced: {"width": W, "height": H,
"strokes": [[[x, y], ...], ...]} in CSS pixels. Only finite numbers are read from them; any
stored SVG markup is ignored, so nothing but numbers formatted here reaches the PDF.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# How large the drawn signature is printed, at most (CSS px; 96 px = 1 in).
SIGNATURE_MAX_WIDTH = 336
SIGNATURE_MAX_HEIGHT = 120
# A signature pad never sends more than this; anything larger is not a signature.
MAX_SIGNATURE_POINTS = 50_000


class InvalidSignature(ValueError):
    """The stroke data is not a signature this code can redraw faithfully."""


@dataclass(frozen=True)
class DrawnSignature:
    """A finger-drawn signature as vector path data in the pad's own coordinates."""

    width: float
    height: float
    display_width: float
    display_height: float
    stroke_width: float
    paths: tuple[str, ...]  # SVG path data built here from numbers only
    dots: tuple[tuple[str, str], ...]  # single taps: (cx, cy)


def drawn_signature(data: Any) -> DrawnSignature:
    """Vector path data for a drawn signature, from its stroke numbers alone.

    Only finite numbers are read; points are clamped to the pad, so nothing but numbers the
    code formats itself ever reaches the SVG.
    """
    if not isinstance(data, Mapping):
        raise InvalidSignature("the drawn signature has no stroke data")
    width, height = _dimension(data.get("width")), _dimension(data.get("height"))
    strokes = data.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise InvalidSignature("the drawn signature has no strokes")
    paths, dots, total = [], [], 0
    for stroke in strokes:
        if not isinstance(stroke, list) or not stroke:
            raise InvalidSignature("a signature stroke is not a list of points")
        total += len(stroke)
        if total > MAX_SIGNATURE_POINTS:
            raise InvalidSignature("the drawn signature has too many points")
        points = [_point(point, width, height) for point in stroke]
        if len(points) == 1:
            dots.append(points[0])
        else:
            paths.append("M" + " L".join(f"{x} {y}" for x, y in points))
    scale = min(SIGNATURE_MAX_WIDTH / width, SIGNATURE_MAX_HEIGHT / height)
    return DrawnSignature(
        width=width,
        height=height,
        display_width=round(width * scale, 2),
        display_height=round(height * scale, 2),
        # About 1 pt on paper, whatever the pad's size.
        stroke_width=round(1.4 / scale, 2),
        paths=tuple(paths),
        dots=tuple(dots),
    )


def _dimension(value: Any) -> float:
    if not _is_number(value) or not 0 < value <= 10_000:
        raise InvalidSignature("the drawn signature has no valid size")
    return float(value)


def _point(point: Any, width: float, height: float) -> tuple[str, str]:
    if not isinstance(point, list | tuple) or len(point) < 2:
        raise InvalidSignature("a signature point is not a pair of numbers")
    x, y = point[0], point[1]
    if not (_is_number(x) and _is_number(y)):
        raise InvalidSignature("a signature point is not a pair of numbers")
    return _number(min(max(x, 0.0), width)), _number(min(max(y, 0.0), height))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: float) -> str:
    """A coordinate with two decimals at most, in plain notation (never an exponent)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
