"""Signatures: the strokes drawn with signature_pad, checked and turned into SVG on the server.

The tablet posts signature_pad's ``toData()`` with the canvas size in CSS pixels:
``{"width": W, "height": H, "data": [{"points": [{"x": .., "y": .., ...}, ...], ...}, ...]}``.
Nothing in it is trusted: the shape, the numbers, the size and the amount of ink are checked,
and what is stored is a plain normalised copy,
``{"width": W, "height": H, "strokes": [[[x, y], ...], ...]}`` (0.1 px), from which the SVG is
built here, so no markup from the browser ever reaches a page or the chart PDF.
"""

import json
import math
import re
from typing import Any

from intake.patients import fold_name

MAX_PAYLOAD_CHARS = 200_000
MAX_STROKES = 80
MAX_POINTS_PER_STROKE = 2_000
MAX_POINTS = 10_000
MIN_CANVAS_SIDE = 50
MAX_CANVAS_SIDE = 4_000
# A finger may slide off the box while signing; points that far off are not from a tablet.
MAX_OFF_CANVAS = 4_000
STROKE_WIDTH = 2.2

EMPTY = "Please sign in the box with your finger, or choose to type your name instead."
TOO_LITTLE = (
    "That looks like a tap or a dot, not a signature. Please sign your name in the box "
    "with your finger."
)
MALFORMED = (
    "We could not read the signature. Please tap \u201cClear signature\u201d and sign again."
)
TOO_LARGE = (
    "The signature has too much detail to keep. Please tap \u201cClear signature\u201d "
    "and sign again."
)


class SignatureError(ValueError):
    """A signature that cannot be accepted; the message tells the patient what to do."""


def parse_drawn(payload: str) -> dict[str, Any]:
    """Check a posted signature_pad payload (JSON text) and return its normalised strokes."""
    if not payload or not payload.strip():
        raise SignatureError(EMPTY)
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise SignatureError(TOO_LARGE)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise SignatureError(MALFORMED) from None
    return normalise(data)


def normalise(data: Any) -> dict[str, Any]:
    """Check signature_pad's data (already decoded) and return the normalised strokes."""
    if not isinstance(data, dict):
        raise SignatureError(MALFORMED)
    width = _number(data.get("width"))
    height = _number(data.get("height"))
    if not (MIN_CANVAS_SIDE <= width <= MAX_CANVAS_SIDE):
        raise SignatureError(MALFORMED)
    if not (MIN_CANVAS_SIDE <= height <= MAX_CANVAS_SIDE):
        raise SignatureError(MALFORMED)
    groups = data.get("data")
    if not isinstance(groups, list):
        raise SignatureError(MALFORMED)
    if len(groups) > MAX_STROKES:
        raise SignatureError(TOO_LARGE)

    strokes: list[list[list[float]]] = []
    total = 0
    for group in groups:
        points = group.get("points") if isinstance(group, dict) else None
        if not isinstance(points, list):
            raise SignatureError(MALFORMED)
        total += len(points)
        if len(points) > MAX_POINTS_PER_STROKE or total > MAX_POINTS:
            raise SignatureError(TOO_LARGE)
        strokes.extend(_visible_pieces(points, width, height))

    if not strokes:
        raise SignatureError(EMPTY)
    normalised = {"width": _round(width), "height": _round(height), "strokes": strokes}
    if not has_enough_ink(normalised):
        raise SignatureError(TOO_LITTLE)
    return normalised


def _number(value: Any) -> float:
    """A finite JSON number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SignatureError(MALFORMED)
    return float(value)


def _round(value: float) -> float:
    return round(value, 1)


def _visible_pieces(points: list, width: float, height: float) -> list[list[list[float]]]:
    """One stroke's points, rounded, split where the finger left the box (as the canvas
    clips them), with repeated points dropped."""
    pieces: list[list[list[float]]] = []
    current: list[list[float]] = []
    for point in points:
        if not isinstance(point, dict):
            raise SignatureError(MALFORMED)
        x, y = _number(point.get("x")), _number(point.get("y"))
        if not (-MAX_OFF_CANVAS <= x <= width + MAX_OFF_CANVAS) or not (
            -MAX_OFF_CANVAS <= y <= height + MAX_OFF_CANVAS
        ):
            raise SignatureError(MALFORMED)
        if 0 <= x <= width and 0 <= y <= height:
            rounded = [_round(x), _round(y)]
            if not current or current[-1] != rounded:
                current.append(rounded)
        elif current:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    return pieces


def has_enough_ink(strokes: dict[str, Any]) -> bool:
    """Whether the strokes are more than a tap or a dot: a path long and wide enough."""
    width = strokes["width"]
    length = 0.0
    xs: list[float] = []
    ys: list[float] = []
    for stroke in strokes["strokes"]:
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
            length += math.hypot(x1 - x0, y1 - y0)
        xs.extend(x for x, _ in stroke)
        ys.extend(y for _, y in stroke)
    if not xs:
        return False
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    return length >= max(40.0, 0.08 * width) and extent >= max(25.0, 0.05 * width)


def to_svg(strokes: dict[str, Any]) -> str:
    """A standalone SVG of normalised strokes, built only from numbers."""
    width, height = _fmt(strokes["width"]), _fmt(strokes["height"])
    paths: list[str] = []
    dots: list[str] = []
    for stroke in strokes["strokes"]:
        if len(stroke) == 1:
            x, y = stroke[0]
            dots.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(STROKE_WIDTH / 2)}"/>')
        else:
            (x, y), rest = stroke[0], stroke[1:]
            segment = f"M{_fmt(x)} {_fmt(y)}" + "".join(f"L{_fmt(a)} {_fmt(b)}" for a, b in rest)
            paths.append(segment)
    body = ""
    if paths:
        body += (
            f'<path d="{"".join(paths)}" fill="none" stroke="#000" '
            f'stroke-width="{_fmt(STROKE_WIDTH)}" stroke-linecap="round" '
            'stroke-linejoin="round"/>'
        )
    if dots:
        body += f'<g fill="#000">{"".join(dots)}</g>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{body}</svg>'
    )


def _fmt(value: float) -> str:
    """A number as SVG wants it: 12, 12.5 (never 12.0, never exponent notation)."""
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


_WORD_SPLIT = re.compile(r"[\s\-\u2010-\u2015]+")


def _letters(text: str) -> str:
    return "".join(c for c in fold_name(text) if c.isalnum())


def initials_for(name: str) -> set[str]:
    """The initials a person with this name may write: first and last, or every part."""
    words = [_letters(word) for word in _WORD_SPLIT.split(name)]
    firsts = [word[0] for word in words if word]
    if not firsts:
        return set()
    return {firsts[0] + firsts[-1] if len(firsts) > 1 else firsts[0], "".join(firsts)}


def initials_match(initials: str, name: str) -> bool:
    """Whether initials ("J.D.", "jd") belong to the name, ignoring case, dots and accents."""
    written = _letters(initials)
    return bool(written) and written in initials_for(name)


def clean_initials(initials: str) -> str:
    """Initials as stored: letters only, upper case ("j. d." -> "JD")."""
    return "".join(c for c in initials if c.isalnum()).upper()


def same_name(typed: str, name: str) -> bool:
    """Whether a typed signature is the name, ignoring case, accents and extra spaces."""
    return _WORD_SPLIT.sub(" ", fold_name(typed)).strip() == _WORD_SPLIT.sub(
        " ", fold_name(name)
    ).strip() and bool(name.strip())
