"""Drawn signatures are checked on the server and drawn again as SVG from numbers only."""

import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import signatures
from intake.signatures import SignatureError, parse_drawn
from testkit.factories import signature_payload


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


# Real-world name shapes: (name as the signer types it, initials its bearer would write,
# initials that are clearly not theirs).
NAMES = [
    ("Jane Doe", ["JD", "j.d.", "J. D.", "jd"], ["XY", "DJ", "J", "JDX"]),
    ("Jane Ann Doe", ["JD", "JAD", "JA"], ["AD", "JX", "JDA"]),
    ("Jean-Luc Picard", ["JP", "JLP", "JL"], ["LP", "P", "JPL"]),
    ("Mary-Kate Olsen", ["MO", "MKO"], ["KO", "OM"]),
    ("Zoë O'Brien-Łukasz", ["ZO", "ZOB", "ZB", "ZL", "ZOBL", "ZOŁ", "zo"], ["Z", "OB", "ZX"]),
    ("Zoë Núñez", ["ZN", "zn"], ["NZ", "Z"]),
    ("Łukasz Wiśniewski", ["ŁW", "LW", "l.w."], ["WL", "KW"]),
    ("María José García López", ["MG", "MJGL", "ML", "MJG", "MJ"], ["JG", "GL", "M", "MX"]),
    ("José Antonio Pérez de la Cruz", ["JP", "JAPC", "JAPDLC", "JC"], ["PC", "AP"]),
    ("Ana de la Fuente", ["AF", "ADLF", "AdlF"], ["DF", "FA"]),
    ("Ludwig van Beethoven", ["LB", "LVB", "LvB"], ["VB", "BL"]),
    ("Vincent van der Berg", ["VB", "VVDB", "VvdB"], ["DB", "V"]),
    ("Mohammed bin Salman", ["MS", "MBS", "MbS"], ["BS", "SM"]),
    ("Abdullah bin Abdulaziz Al Saud", ["AS", "ABAAS", "AA"], ["BA", "SA"]),
    ("Sean O'Brien", ["SO", "SOB", "SB"], ["OB", "BS"]),
    ("Conor O\u2019Sullivan", ["CO", "COS", "CS"], ["OS"]),
    ("D'Angelo Russell", ["DR", "DAR"], ["AR", "R"]),
    ("Giovanni D'Angelo", ["GD", "GDA", "GA"], ["DA", "GX"]),
    ("Nguyễn Thị Minh Khai", ["NTMK", "NK", "NT"], ["TN", "N", "KN"]),
    ("Trần Văn Đức", ["TVĐ", "TVD", "TĐ", "TD"], ["VD", "DT"]),
    ("Minh Khai Nguyễn", ["MN", "MKN"], ["NM", "KN"]),
    ("Cher", ["C", "c."], ["CH", "X"]),
    ("Teller", ["T"], ["TE"]),
    ("王小明", ["王", "王小明", "王明", "WXM", "XMW", "wxm"], ["李", "小明"]),
    ("山田 太郎", ["山太", "山田太郎", "山", "YT", "やまだ"], ["田中", "太"]),
    ("佐々木 希", ["佐希", "佐々木希", "SN"], ["木"]),
    ("김민준", ["김", "김민준", "ㄱㅁㅈ", "KMJ", "MJK"], ["박", "민준"]),
    ("박 지성", ["박지", "박", "PJS"], ["지"]),
    ("محمد بن سلمان", ["مبس", "مس", "م", "MBS"], ["س", "بس"]),
    ("فاطمة الزهراء", ["فا", "ف", "FZ"], ["ز"]),
    ("Γιώργος Παπαδόπουλος", ["ΓΠ", "γπ", "GP"], ["ΠΓ", "ΓΧ"]),
    ("Владимир Иванов", ["ВИ", "VI"], ["ИВ"]),
    ("דוד כהן", ["דכ", "DC"], ["כד"]),
    ("สมชาย ใจดี", ["สใ", "SJ"], ["ใส"]),
    ("राहुल शर्मा", ["रश", "RS"], ["शर"]),
    ("Søren Kierkegaard", ["SK", "sk"], ["KS"]),
    ("Bjørn Ødegård", ["BØ", "BO"], ["ØB"]),
    ("Jürgen Großmann", ["JG"], ["GJ"]),
    ("İbrahim Yıldız", ["İY", "IY", "iy"], ["YI"]),
    ("Đorđe Đoković", ["ĐĐ", "DD"], ["D"]),
    ("Ægir Þórsson", ["ÆÞ", "AT", "ÆT", "at"], ["TA"]),
    (
        "Pablo Diego José Francisco de Paula Juan Nepomuceno Ruiz y Picasso",
        ["PP", "PR", "PDJFDPJNRYP"],
        ["DP", "RP"],
    ),
    ("Maria das Graças Fernandes da Silva Santos", ["MS", "MGFSS", "MDGFDSS"], ["GS"]),
    ("Hawaiʻi Kealoha", ["HK", "HIK"], ["KH"]),
    ("Anne-Marie Dupont-Aignan", ["AD", "AMDA", "AMD"], ["MD", "A"]),
    # A name in Latin letters is checked in Latin letters: another script is not a way round.
    ("jane doe", ["JD"], ["DJ", "ЖЖ", "ΧΨ", "ДД"]),
    ("JANE DOE", ["jd"], ["dj"]),
    ("Jane  Doe ", ["JD"], ["JJ"]),
    ("Mary Elizabeth St. John-Smythe", ["MS", "MESJS", "MJ"], ["SJ"]),
    ("Lê Thị Hồng Nhung", ["LTHN", "LN"], ["NL"]),
]


@pytest.mark.parametrize(("name", "written", "wrong"), NAMES, ids=[n for n, _, _ in NAMES])
def test_initials_people_write_are_accepted_and_others_refused(name, written, wrong):
    assert len(NAMES) >= 40
    for initials in written:
        assert signatures.initials_match(initials, name), (initials, name)
    for initials in wrong:
        assert not signatures.initials_match(initials, name), (initials, name)


@pytest.mark.parametrize(("name", "written", "wrong"), NAMES, ids=[n for n, _, _ in NAMES])
def test_the_example_shown_for_a_name_is_accepted_for_it(name, written, wrong):
    example = signatures.example_initials(name)
    assert example
    assert signatures.initials_match(example, name)


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("Zoë O'Brien-Łukasz", "ZO"),
        ("María José García López", "ML"),
        ("Anne-Marie", "AM"),
        ("Cher", "C"),
        ("王小明", "王"),
        ("محمد بن سلمان", "مس"),
        ("Łukasz Nowak", "ŁN"),
    ],
)
def test_the_example_is_first_and_last_name_as_written(name, example):
    assert signatures.example_initials(name) == example


def test_empty_initials_are_refused_whatever_the_name():
    for name in ("Jane Doe", "王小明", "!!!", ""):
        for written in ("", "  ", "..", "-"):
            assert not signatures.initials_match(written, name)


def test_a_name_with_nothing_to_check_accepts_any_initials():
    assert signatures.initials_match("AB", "???")
    assert signatures.example_initials("???") is None


NAME_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(" -'\u2019\u02bb\u02bc.\u00b7,\u2010\u00a0\u3000\u200d\u0301"),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(name=NAME_TEXT, written=NAME_TEXT)
def test_for_any_name_the_example_is_accepted_and_the_check_never_raises(name, written):
    if signatures.initials_match(written, name):
        # What is stored is accepted too (the chart and the checks read it back).
        assert signatures.initials_match(signatures.clean_initials(written), name)
    example = signatures.example_initials(name)
    if example is None:
        # Nothing to suggest only when nothing could be refused.
        assert signatures.initials_match("Q", name)
    else:
        assert signatures.initials_match(example, name)
        assert signatures.initials_match(signatures.clean_initials(example), name)
        assert len(example) <= signatures.MAX_INITIALS_CHARS


WORD = st.text(st.characters(categories=["Lu", "Ll", "Lo", "Lt", "Mn", "Nd"]), min_size=1)
SEPARATOR = st.sampled_from([" ", "-", "'", "\u2019", " de la ", "  ", "\u02bb", ". "])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORD, min_size=1, max_size=6), separators=st.lists(SEPARATOR))
def test_for_any_name_of_words_the_example_and_what_is_stored_are_accepted(words, separators):
    pieces = [words[0]]
    for index, word in enumerate(words[1:]):
        pieces += [separators[index] if index < len(separators) else " ", word]
    name = "".join(pieces)
    example = signatures.example_initials(name)
    if example is None:
        assert signatures.initials_match("Q", name)
        return
    assert signatures.initials_match(example, name)
    assert signatures.initials_match(signatures.clean_initials(example), name)
    assert signatures.initials_match(" . ".join(example.lower()), name)


def test_stored_initials_keep_the_letters_that_were_checked():
    assert signatures.clean_initials("j. d.") == "JD"
    assert signatures.clean_initials("Wß") == "Wß"
    assert signatures.initials_match(signatures.clean_initials("Wß"), "Walter ßeta")
    assert signatures.clean_initials("zo\u0308") == "ZO"


def test_typed_name_must_be_the_name():
    assert signatures.same_name("  jane   DOE ", "Jane Doe")
    assert signatures.same_name("Zoe Nunez", "Zo\u00eb N\u00fa\u00f1ez")
    assert not signatures.same_name("Jane", "Jane Doe")
    assert not signatures.same_name("", "")
