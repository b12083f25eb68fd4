"""Drawn signatures are checked on the server and drawn again as SVG from numbers only."""

import json
import xml.etree.ElementTree as ET

import pytest

from intake import signatures
from intake.signatures import SignatureError, parse_drawn
from tests.factories import signature_payload


def refused(payload) -> str:
    with pytest.raises(SignatureError) as caught:
        parse_drawn(payload if isinstance(payload, str) else json.dumps(payload))
    return str(caught.value)


def test_a_real_signature_is_normalised():
    strokes = parse_drawn(signature_payload(width=600.04, height=200))
    assert set(strokes) == {"width", "height", "strokes"}
    assert strokes["width"] == 600.0 and strokes["height"] == 200.0
    assert len(strokes["strokes"]) == 2
    assert strokes["strokes"][1] == [[60.0, 160.0], [300.0, 165.0], [520.0, 158.0]]
    assert all(len(point) == 2 for stroke in strokes["strokes"] for point in stroke)


def test_coordinates_are_rounded_to_a_tenth_and_repeats_dropped():
    payload = signature_payload(strokes=[[(10.04, 10.06), (10.0, 10.1), (200.123, 150.987)]])
    assert parse_drawn(payload)["strokes"] == [[[10.0, 10.1], [200.1, 151.0]]]


def test_empty_signature_is_refused():
    assert refused("") == signatures.EMPTY
    assert refused({"width": 600, "height": 200, "data": []}) == signatures.EMPTY


def test_a_single_tap_is_refused():
    assert refused(signature_payload(strokes=[[(300, 100)]])) == signatures.TOO_LITTLE


def test_a_few_dots_and_a_tiny_scratch_are_refused():
    dots = [[(100, 100)], [(110, 104)], [(120, 100)]]
    assert refused(signature_payload(strokes=dots)) == signatures.TOO_LITTLE
    scratch = [[(100, 100), (104, 102), (108, 100)]]
    assert refused(signature_payload(strokes=scratch)) == signatures.TOO_LITTLE


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2, 3]",
        '"a string"',
        "NaN",
        {"width": 600, "height": 200},
        {"width": "600", "height": 200, "data": []},
        {"width": True, "height": 200, "data": []},
        {"width": 10, "height": 200, "data": []},
        {"width": 600, "height": 200, "data": {"points": []}},
        {"width": 600, "height": 200, "data": [{"no": "points"}]},
        {"width": 600, "height": 200, "data": [{"points": [[1, 2]]}]},
        {"width": 600, "height": 200, "data": [{"points": [{"x": "1", "y": 2}]}]},
        {"width": 600, "height": 200, "data": [{"points": [{"x": 1e9, "y": 2}]}]},
        '{"width": 600, "height": 200, "data": [{"points": [{"x": NaN, "y": 2}]}]}',
        '{"width": Infinity, "height": 200, "data": []}',
    ],
)
def test_malformed_stroke_data_is_refused(payload):
    assert refused(payload) == signatures.MALFORMED


def test_oversized_payloads_are_refused():
    assert refused("x" * (signatures.MAX_PAYLOAD_CHARS + 1)) == signatures.TOO_LARGE
    many_points = [[(50 + (i % 500), 50 + (i % 100)) for i in range(2_001)]]
    assert refused(signature_payload(strokes=many_points)) == signatures.TOO_LARGE
    many_strokes = [[(10 + i, 10), (10 + i, 60)] for i in range(signatures.MAX_STROKES + 1)]
    assert refused(signature_payload(strokes=many_strokes)) == signatures.TOO_LARGE


def test_points_off_the_box_split_the_stroke_as_the_canvas_clips_it():
    stroke = [(100, 100), (300, 100), (300, 260), (320, 400), (400, 150), (500, 150)]
    strokes = parse_drawn(signature_payload(height=200, strokes=[stroke]))["strokes"]
    assert strokes == [[[100.0, 100.0], [300.0, 100.0]], [[400.0, 150.0], [500.0, 150.0]]]


def test_svg_is_built_from_numbers_only():
    strokes = parse_drawn(signature_payload(strokes=[[(20, 20), (220, 120)], [(300, 50)]]))
    svg = signatures.to_svg(strokes)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.attrib["viewBox"] == "0 0 600 200"
    assert root.find(f"{ns}path").attrib["d"] == "M20 20L220 120"
    circle = root.find(f"{ns}g/{ns}circle")
    assert (circle.attrib["cx"], circle.attrib["cy"]) == ("300", "50")


@pytest.mark.parametrize(
    ("initials", "name", "match"),
    [
        ("JD", "Jane Doe", True),
        ("j.d.", "Jane Doe", True),
        ("JAD", "Jane Ann Doe", True),
        ("JD", "Jane Ann Doe", True),
        ("JA", "Jane Ann Doe", False),
        ("JLP", "Jean-Luc Picard", True),
        ("ZN", "Zo\u00eb N\u00fa\u00f1ez", True),
        ("\u0141W", "\u0141ukasz Wi\u015bniewski", True),
        ("XY", "Jane Doe", False),
        ("", "Jane Doe", False),
        ("\u738b", "\u738b\u5c0f\u660e", True),
    ],
)
def test_initials_must_match_the_name(initials, name, match):
    assert signatures.initials_match(initials, name) is match


def test_typed_name_must_be_the_name():
    assert signatures.same_name("  jane   DOE ", "Jane Doe")
    assert signatures.same_name("Zoe Nunez", "Zo\u00eb N\u00fa\u00f1ez")
    assert not signatures.same_name("Jane", "Jane Doe")
    assert not signatures.same_name("", "")
