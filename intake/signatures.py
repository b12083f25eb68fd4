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
import unicodedata
from typing import Any, NamedTuple

from intake.patients import fold_name, latin_name
from intake.translation import N_, gettext

MAX_PAYLOAD_CHARS = 200_000
MAX_STROKES = 80
MAX_POINTS_PER_STROKE = 2_000
MAX_POINTS = 10_000
MIN_CANVAS_SIDE = 50
MAX_CANVAS_SIDE = 4_000
# A finger may slide off the box while signing; points that far off are not from a tablet.
MAX_OFF_CANVAS = 4_000
STROKE_WIDTH = 2.2

EMPTY = N_("Please sign in the box with your finger, or choose to type your name instead.")
TOO_LITTLE = N_(
    "That looks like a tap or a dot, not a signature. Please sign your name in the box "
    "with your finger."
)
MALFORMED = N_(
    "We could not read the signature. Please tap \u201cClear signature\u201d and sign again."
)
TOO_LARGE = N_(
    "The signature has too much detail to keep. Please tap \u201cClear signature\u201d "
    "and sign again."
)


class SignatureError(ValueError):
    """A signature that cannot be accepted; the message tells the patient what to do, in the
    patient's language."""

    def __init__(self, message: str):
        super().__init__(gettext(message))


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

# Longest initials box, dots and spaces included: a Vietnamese four-part name written
# "N. T. M. K." takes 11 characters.
MAX_INITIALS_CHARS = 12


class _Letter(NamedTuple):
    """One letter of a name or of initials: as written, and as compared ("Ł" -> "l",
    "Æ" -> "ae", "김" -> its jamo), with only letters and digits kept."""

    written: str
    compared: str


def _letters_of(text: str) -> list[_Letter | None]:
    """Each character of the text as a letter, or None for a separator.

    Marks (a decomposed accent, a vowel sign) are dropped, as they belong to the letter
    before them; modifier letters such as ʻ and ʼ are apostrophes in names.
    """
    letters: list[_Letter | None] = []
    for char in text:
        if unicodedata.category(char)[0] == "M":
            continue
        compared = "".join(c for c in fold_name(latin_name(char)) if _is_letter(c))
        letters.append(_Letter(char, compared) if compared else None)
    return letters


def _is_letter(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LN" and category != "Lm"


def _script(letter: _Letter) -> str:
    """The script of a letter as Unicode names it: "LATIN", "GREEK", "CJK", "ARABIC"..."""
    return unicodedata.name(letter.compared[0], "").split(" ", 1)[0]


def _is_caseless(letter: _Letter) -> bool:
    """A letter of a script without case (Chinese, Arabic, Hangul, Thai, Devanagari...)."""
    return unicodedata.category(letter.written) == "Lo"


def _initial_letters(name: str) -> tuple[list[_Letter], int]:
    """The letters initials of this name may use, in order, and how many parts it has.

    A part is a run of letters between spaces, hyphens, apostrophes or any other separator
    ("O'Brien-Łukasz" has three: O, Brien, Łukasz); its first letter may be written. In a
    script without case every letter may be written, as such names are initialled with
    their first characters.
    """
    initials: list[_Letter] = []
    parts = 0
    starts_part = True
    for letter in _letters_of(name):
        if letter is None:
            starts_part = True
        elif starts_part or _is_caseless(letter):
            initials.append(letter)
            parts += starts_part
            starts_part = False
    return initials, parts


def initials_match(initials: str, name: str) -> bool:
    """Whether initials ("J.D.", "jd", "ZO") are ones the person with this name may write.

    The written letters, in order, must be first letters of parts of the name, starting with
    the first ("Zoë O'Brien-Łukasz": ZO, ZL, ZOBL...; "María José García López": MG,
    MJGL...), at least two of them when the name has two or more parts. Case, dots, spaces
    and accents do not count, and a letter may be written plainly (Ł as L, Æ as A). A name
    in a script without case accepts any of its characters in order, starting with the
    first. Initials written wholly in another script than the name's (a transliteration,
    which cannot be checked), or for a name with no letters to check, are accepted rather
    than refuse a patient.
    """
    written = [letter for letter in _letters_of(initials) if letter is not None]
    if not written:
        return False
    letters, parts = _initial_letters(name)
    if not letters:
        return True
    scripts = {_script(letter) for letter in letters}
    # A name in Latin letters is checked in Latin letters; only a name in another script may
    # be initialled in a transliteration this check cannot read.
    if scripts != {"LATIN"} and all(
        letter.written.isalpha() and _script(letter) not in scripts for letter in written
    ):
        return True
    caseless = any(_is_caseless(letter) for letter in letters)
    if parts >= 2 and len(written) < 2 and not caseless:
        return False
    if not _stands_for(written[0], letters[0]):
        return False
    rest = iter(letters[1:])
    return all(any(_stands_for(mine, theirs) for theirs in rest) for mine in written[1:])


def _stands_for(mine: _Letter, theirs: _Letter) -> bool:
    """Whether a written letter is the name's letter, or the first of its plain spelling
    (A for Æ, ㄱ for 김)."""
    return mine.compared in (theirs.compared, theirs.compared[0])


def example_initials(name: str) -> str | None:
    """Initials this name accepts, to show the person signing ("ZO" for "Zoë O'Brien-Łukasz"),
    or None when there is nothing to suggest (a name without letters accepts any)."""
    words = [[letter for letter in _letters_of(word) if letter] for word in name.split()]
    preferred = "".join(word[0].written for word in words[:1] + words[1:][-1:] if word)
    letters, parts = _initial_letters(name)
    ends = "".join(letter.written for letter in letters[:1] + letters[1:][-1:][: parts - 1])
    candidates = (_upper(preferred), _upper(ends), ends)
    return next((c for c in candidates if c and initials_match(c, name)), None)


def clean_initials(initials: str) -> str:
    """Initials as stored: the letters the check reads, upper case ("j. d." -> "JD")."""
    return _upper("".join(letter.written for letter in _letters_of(initials) if letter))


def _upper(text: str) -> str:
    """Upper case letter by letter, leaving a letter that would become two ("ß" -> "SS"), so
    that initials keep the letters they were checked with."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def same_name(typed: str, name: str) -> bool:
    """Whether a typed signature is the name, ignoring case, accents and extra spaces."""
    return _WORD_SPLIT.sub(" ", fold_name(typed)).strip() == _WORD_SPLIT.sub(
        " ", fold_name(name)
    ).strip() and bool(name.strip())
