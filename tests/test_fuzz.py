"""Fuzzing the patient pages: hostile input in every field, through the forms, with CSRF on.

Hypothesis posts arbitrary text (random Unicode without surrogates, right-to-left text and
direction overrides, combining marks, emoji, control characters, NULs) and very long values
into every field of the health history and of the consent page. The fields come from
intake.questionnaire and the consent form class, never from a list kept here. Whatever comes
in: never a 500; what was typed is kept (and shown again) or refused with a message; and
every stored submission satisfies the questionnaire (testkit/record_checks.py).

INTAKE_FUZZ_EXAMPLES sets the examples per test (default 25; CI may raise it); the whole-
intake test, which signs and renders a PDF per example, runs a fifth as many.
"""

import hashlib
import json
import os
import re
from urllib.parse import urlencode, urlsplit

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField

from intake import answers as answer_rules
from intake import consents, drafts, questionnaire, signatures
from intake.clock import clinic_today
from intake.extensions import db
from intake.kiosk.forms import consent_form_for
from intake.models import Draft, PdfStatus, Submission
from intake.questionnaire import BY_ID, QUESTIONS, Audience, Kind, Question
from testkit.factories import BASE_ANSWERS, make_draft, signature_payload, typed_input
from testkit.record_checks import problems_with
from testkit.tablet_client import read_form

EXAMPLES = int(os.environ.get("INTAKE_FUZZ_EXAMPLES", "25"))
settings.register_profile(
    "intake-fuzz",
    max_examples=EXAMPLES,
    deadline=None,  # a request, sometimes a PDF: timing is not what is tested here
    # One app and database per test (per backend), shared by its examples on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)
FUZZ = settings.get_profile("intake-fuzz")

SECTION_IDS = [section.id for section in questionnaire.SECTIONS]
TEXT_KINDS = (Kind.TEXT, Kind.LONG_TEXT, Kind.EMAIL, Kind.PHONE, Kind.DATE)  # typed, not chosen
CONSENT_CLASS = consent_form_for(consents.current())
CONSENT_FIELDS = sorted(
    name for name in dir(CONSENT_CLASS) if isinstance(getattr(CONSENT_CLASS, name), UnboundField)
)
KEPT_SIGNING_LENGTH = 200  # what the draft keeps of a consent-page text field
FORM = "application/x-www-form-urlencoded"

# Things people and scripts really send, mixed into Hypothesis's random text.
SPECIMENS = (
    "\x00",
    "a\x00b",
    "\x07\x08\x1b[2J\x7f",
    "\r\n",
    "\r",
    "\t",
    "\x85\u2028\u2029",
    "\u202e\u2066abc\u2069\u202c",  # direction overrides and isolates
    "\u200b\u200d\ufeff",  # zero-width characters
    "e\u0301\u0301\u0301",
    "\u0301",
    "Z\u0334\u0321\u031ba\u0337l\u0338g\u0337o",
    "\U0001f469\U0001f3fd\u200d\u2695\ufe0f",  # woman health worker, medium skin tone
    "\U0001f1fa\U0001f1f8",
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "\u738b\u79c0\u82f1",  # Chinese
    "\u00df",  # casefolds to two letters
    "\ufdfa",  # NFKD makes 18 characters of it
    "\ufb03",
    "\u0130",
    "\u00b2",  # a digit to str.isdigit(), not to int()
    "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078",
    "\u0661\u0662",  # Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "\u216b",
    "\ufffd\uffff",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    '=HYPERLINK("http://example.com")',
    "' OR 1=1 --",
    "{{ 7*7 }}{% raw %}",
    "%s%n%x",
    "\\",
    " ",
    "   \u00a0\u3000",
)
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def _repeat(piece: str, length: int) -> str:
    return (piece * (length // max(len(piece), 1) + 1))[:length]


def hostile_text(max_length: int, longest: int = 30_000) -> st.SearchStrategy[str]:
    """Random and nasty text, now and then exactly at, just over or far past `max_length`."""
    lengths = sorted(
        n
        for n in {max_length - 1, max_length, max_length + 1, 2 * max_length, 10_000, 10_001}
        if 0 < n <= longest
    )
    pieces = st.lists(st.one_of(st.sampled_from(SPECIMENS), ANY_TEXT), min_size=1, max_size=5)
    seeds = st.one_of(st.sampled_from(SPECIMENS), ANY_TEXT.filter(bool))
    return st.one_of(
        ANY_TEXT,
        pieces.map("".join),
        st.sampled_from(SPECIMENS),
        st.builds(_repeat, seeds, st.sampled_from(lengths)),
    )


NEAR_VALID = {
    Kind.SCALE: ("0", "10", "11", "-1", " 5 ", "5.0", "\u00b2", "\u0663", "\uff15", "1e1"),
    Kind.DATE: (
        "04/12/1970",
        "1970-04-12",
        "4-12-1970",
        "04121970",
        "\u0660\u0664/\u0661\u0662/\u0661\u0669\u0667\u0660",
        "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078",
        "02/30/1970",
        "13/01/1970",
        "04/12/70",
        "04/12/19700",
        "0000-00-00",
        "9999-12-31",
        "99999999999999999999/1/1",
    ),
    Kind.PHONE: (
        "+1 312 555 0142",
        "(312) 555-0142 ext. 12",
        "312 555 0142 x \u00b2",
        "312 555 0142 ext \u0661\u0662",
        "+44 20 7946 0958",
        "555",
        "+" + "9" * 39,
    ),
    Kind.EMAIL: (
        "jane@example.org",
        "jane@@example",
        "\u00fc@\u4f8b\u3048.jp",
        "a@b",
        "a" * 64 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ),
}


def value_for(question: Question) -> st.SearchStrategy:
    """What may be posted for a question: near-valid answers and hostile text (a list of
    them for a multi-choice question)."""
    if question.kind == Kind.MULTI:
        item = st.one_of(st.sampled_from(question.choice_values), hostile_text(20))
        return st.lists(item, max_size=5)
    near = list(question.choice_values) + list(NEAR_VALID.get(question.kind, ()))
    if near:
        return st.one_of(st.sampled_from(near), hostile_text(question.max_length))
    return hostile_text(question.max_length)


def valid_answer(question: Question):
    """Some valid answer of each kind, for follow-ups that a test needs shown."""
    if question.kind == Kind.MULTI:
        return [next(v for v in question.choice_values if v != answer_rules.EXCLUSIVE_CHOICE)]
    if question.kind in (Kind.CHOICE, Kind.YES_NO):
        return question.choice_values[0]
    return {Kind.SCALE: 3, Kind.DATE: "2000-01-01"}.get(question.kind, "Some details")


def answers_showing(questions) -> dict:
    """BASE_ANSWERS changed just enough that these questions are shown, with every question
    shown then answered validly."""
    answers = dict(BASE_ANSWERS)
    for question in questions:
        while question.show_if:
            parent_id, values = question.show_if
            parent = BY_ID[parent_id]
            answers[parent_id] = [values[0]] if parent.kind == Kind.MULTI else values[0]
            question = parent
    for question in QUESTIONS:
        if question.id not in answers and questionnaire.is_shown(question, answers):
            answers[question.id] = valid_answer(question)
    return questionnaire.shown_answers(answers)


def pairs_for(section_id: str, typed: dict) -> list[tuple[str, str]]:
    """A section's fields as a browser posts them (text left blank is posted empty)."""
    pairs = []
    for question in questionnaire.questions_in(section_id):
        value = typed.get(question.id)
        if isinstance(value, list):
            pairs += [(question.id, item) for item in value]
        elif value is not None:
            pairs.append((question.id, value))
        elif question.kind in TEXT_KINDS:
            pairs.append((question.id, ""))
    return pairs


def csrf(client, path: str) -> str:
    """The CSRF token of the page's form, read as a browser would."""
    return dict(hidden(client, path))["csrf_token"]


def hidden(client, path: str) -> list[tuple[str, str]]:
    """The hidden inputs of the page's form (the CSRF token; the consent version shown)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    form = read_form(response.get_data(as_text=True))
    return [(f.name, f.value) for f in form.fields if f.name in ("csrf_token", "consent_sha256")]


def post(client, path: str, pairs: list) -> tuple:
    """Post the pairs url-encoded, as a browser does; the response and the body's size."""
    body = urlencode(pairs)
    return client.post(path, data=body, content_type=FORM), len(body)


def refused_page(client, response, path: str) -> str | None:
    """The page a refused post redirected back to (its problems shown), or None if the post
    went on elsewhere."""
    location = response.headers.get("Location", "")
    if response.status_code != 303 or urlsplit(location).path != path:
        return None
    page = client.get(location)
    assert page.status_code == 200, (location, page.status_code)
    return page.get_data(as_text=True)


def draft_of(token: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.token_hash == drafts.hash_token(token)))


def new_tablet(app, answers: dict):
    """A test client holding a draft with this complete health history."""
    with app.app_context():
        _, token = make_draft(answers)
    client = app.test_client()
    client.set_cookie(drafts.COOKIE_NAME, token)
    return client, token


def shown_on_reload(client, path: str) -> dict:
    """What a page shows for each of its questions when it is opened again."""
    form = read_form(client.get(path).get_data(as_text=True))
    shown: dict = {}
    for field in form.fields:
        if field.type == "checkbox":
            shown.setdefault(field.name, [])
            if field.checked:
                shown[field.name].append(field.value)
        elif field.type == "radio":
            if field.checked or field.name not in shown:
                shown[field.name] = field.value if field.checked else ""
        else:
            shown[field.name] = field.value
    return shown


def options(question: Question) -> tuple[str, ...]:
    """The values of a question's radio buttons."""
    if question.kind == Kind.SCALE:
        return tuple(str(n) for n in range(11))
    return question.choice_values


def submission_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


@FUZZ
@given(data=st.data())
def test_any_value_in_any_health_history_field_is_kept_or_refused(app, data):
    section_id = data.draw(st.sampled_from(SECTION_IDS), label="page")
    questions = questionnaire.questions_in(section_id)
    broken = data.draw(st.sets(st.sampled_from(questions), min_size=1), label="fields")
    posted = {q.id: data.draw(value_for(q), label=q.id) for q in QUESTIONS if q in broken}
    answers = answers_showing(broken)
    client, token = new_tablet(app, answers)
    path = f"/intake/{section_id}"
    typed = {**typed_input(answers), **posted}
    pairs = [("csrf_token", csrf(client, path)), *pairs_for(section_id, typed)]
    response, size = post(client, path, [*pairs, ("action", "next")])
    event(f"page answered {response.status_code}")

    if size > app.config["MAX_CONTENT_LENGTH"]:
        assert response.status_code == 413
        return
    assert response.status_code == 303, response.status_code
    # A refused page keeps what it refuses whole (cleaned), for the patient to shorten; a
    # page that went on keeps each answer to its question's limit.
    refused = urlsplit(response.headers["Location"]).path == path
    limit = answer_rules.MAX_RAW_LENGTH if refused else None
    kept = {q.id: answer_rules.keep_raw(q, typed.get(q.id, ""), limit) for q in questions}
    with app.app_context():
        assert {k: v for k, v in draft_of(token).data["input"].items() if k in kept} == kept
        today = clinic_today()
    page = refused_page(client, response, path)
    if page is not None:
        assert 'id="error-summary"' in page
    else:
        review = client.get("/intake/review")
        assert review.status_code == 200
        for question in broken:
            if questionnaire.is_shown(question, kept):
                answer = answer_rules.parse(question, kept[question.id], today=today)
                text = questionnaire.answer_text(question, answer, Audience.PATIENT)
                shown = escape(text or "Not answered")
                assert str(shown) in review.get_data(as_text=True), question.id
    # Opened again, the page shows what was typed (a choice only if it is one of the page's).
    shown = shown_on_reload(client, path)
    for question in questions:
        if question.kind in TEXT_KINDS:
            assert shown[question.id] == kept[question.id], question.id
        elif question.kind == Kind.MULTI:
            values = question.choice_values
            assert shown[question.id] == [v for v in values if v in kept[question.id]]
        else:
            expected = kept[question.id] if kept[question.id] in options(question) else ""
            assert shown[question.id] == expected, question.id


def decorated(name: str) -> st.SearchStrategy[str]:
    """The name as a person might type it, or a script disguise it: case, spacing, hyphens,
    accents and combining marks that folding takes away again."""
    marks = st.text(st.sampled_from("\u0300\u0301\u0308\u0334\u0338"), max_size=60)

    def dress(letters: list[tuple[str, str, bool]]) -> str:
        return "".join((c.upper() if up else c.lower()) + mark for c, mark, up in letters)

    letters = st.tuples(*[st.tuples(st.just(c), marks, st.booleans()) for c in name]).map(
        lambda parts: dress(list(parts))
    )
    return st.one_of(
        st.just(name),
        letters,
        st.builds(lambda gap: name.replace(" ", gap), st.sampled_from(["  ", " - ", " \u2010 "])),
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from([10**400, 1e308, -0.0, 600, 200, 50, 4000, 4001]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["width", "height", "data", "points", "x", "y"]) | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
SIGNATURE_PATHS = (
    ("width",),
    ("height",),
    ("data",),
    ("data", 0),
    ("data", 0, "points"),
    ("data", 0, "points", 0),
    ("data", 0, "points", 0, "x"),
    ("data", 1, "points", 2, "y"),
)


def _mutated_signature(path: tuple, value) -> str:
    data = json.loads(signature_payload())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data)


def signature_value() -> st.SearchStrategy[str]:
    """Hostile signature payloads: text, random JSON, a real one with one part changed."""
    return st.one_of(
        hostile_text(1000, longest=250_000),
        JSON_VALUES.map(json.dumps),
        st.builds(_mutated_signature, st.sampled_from(SIGNATURE_PATHS), JSON_VALUES),
        st.sampled_from(["[" * 5000, '{"width": 600, "height": 200, "data": []}']),
    )


def consent_value(name: str, signer: str) -> st.SearchStrategy:
    """Hostile input for one field of the consent page."""
    if name.startswith("initials_"):
        initials = "".join(word[0] for word in signer.split())
        return st.one_of(hostile_text(20, longest=1000), decorated(initials))
    if name in ("agree", "typed_intent"):
        return st.one_of(st.sampled_from(["", "y", "false", "0", "off", "\x00"]), hostile_text(5))
    if name in ("method", "guardian_relationship", "signing_for", "representative_relationship"):
        known = ["drawn", "typed", "parent", "legal_guardian", "self", "", "DRAWN"]
        known += ["representative", "health_care_poa", "legal_representative"]
        return st.one_of(st.sampled_from(known), hostile_text(20))
    if name == "signature":
        return signature_value()
    if name == "guardian_phone":  # a number, one that starts like a formula, or anything
        numbers = st.sampled_from(["+1 312 555 0142", "(312) 555-0107", "=1+2", "-312 555 0142"])
        return st.one_of(numbers, hostile_text(60, longest=1000))
    if name == "consent_sha256":  # another version's hash, or anything at all
        return st.one_of(st.just(hashlib.sha256(b"v0").hexdigest()), hostile_text(100))
    return st.one_of(hostile_text(200, longest=1000), decorated(signer))  # typed or guardian


@FUZZ
@given(data=st.data())
def test_any_value_in_any_consent_field_signs_cleanly_or_is_refused(app, data):
    minor = data.draw(st.booleans(), label="minor")
    signer = "Mary Roe" if minor else "Jane Doe"
    broken = data.draw(st.sets(st.sampled_from(CONSENT_FIELDS)), label="broken fields")
    answers = {**BASE_ANSWERS, "date_of_birth": "2015-06-01" if minor else "1970-04-12"}
    client, token = new_tablet(app, answers)
    values = {
        **{
            name: "".join(word[0] for word in signer.split())
            for name in CONSENT_FIELDS
            if name.startswith("initials_")
        },
        "agree": "y",
        "method": "drawn",
        "signature": signature_payload(),
        "typed_name": "",
        "typed_intent": "",
        "guardian_name": signer if minor else "",
        "guardian_relationship": "parent" if minor else "",
        "guardian_phone": "(312) 555-0107" if minor else "",
        "signing_for": "self",
        "representative_name": "",
        "representative_relationship": "",
    }
    for name in sorted(broken):
        values[name] = data.draw(consent_value(name, signer), label=name)
    with app.app_context():
        before = submission_count()
    shown = dict(hidden(client, "/intake/consent"))
    posted = {**shown, **values}  # a broken field replaces the page's own value
    response, size = post(client, "/intake/consent", [*posted.items(), ("action", "submit")])
    event(f"consent answered {response.status_code}")

    if size > app.config["MAX_CONTENT_LENGTH"]:
        assert response.status_code == 413
        return
    assert response.status_code == 303, response.status_code
    with app.app_context():
        stored = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        draft = draft_of(token)
        if posted["consent_sha256"] != shown["consent_sha256"]:
            # Not the version in effect: nothing signed, the page shown afresh, only who signs
            # and how kept (initials and signature belong to the text they were given to).
            assert response.status_code == 303
            assert response.headers["Location"].endswith("/intake/consent")
            assert submission_count() == before and draft is not None
            assert set(draft.data["signing"]) <= {
                "signing_for",
                "representative_name",
                "representative_relationship",
                "guardian_name",
                "guardian_relationship",
                "guardian_phone",
                "method",
            }
            return
        if response.headers["Location"].endswith("/intake/thanks"):
            assert submission_count() == before + 1 and draft is None
            assert problems_with(stored) == []
            assert stored.pdf_status == PdfStatus.RENDERED, stored.pdf_error
            return
        assert broken, "a consent with nothing wrong was refused"
        assert 'id="error-summary"' in refused_page(client, response, "/intake/consent")
        assert submission_count() == before and draft is not None
        kept = draft.data["signing"]
    for name, value in values.items():
        if name not in ("signature", "agree", "typed_intent") and name in kept:
            assert kept[name] == value.replace("\x00", "")[:KEPT_SIGNING_LENGTH], name


TEXT_QUESTIONS = [q for q in QUESTIONS if q.kind in (Kind.TEXT, Kind.LONG_TEXT)]
FOLLOW_UPS = [q for q in QUESTIONS if q.show_if]


def refused(question: Question, typed: str) -> bool:
    """Whether a text answer must be refused: blank though required, or too long (as posted,
    not as the draft keeps it)."""
    posted = answer_rules.keep_raw(question, typed, answer_rules.MAX_RAW_LENGTH)
    text = answer_rules.clean_text(posted, multiline=question.kind == Kind.LONG_TEXT)
    return (question.required and not text) or len(text) > question.max_length


def fields_with_errors(html: str) -> set[str]:
    return set(re.findall(r'class="question[^"]*has-error[^"]*" id="q-([a-z_]+)"', html))


@settings(parent=FUZZ, max_examples=max(3, EXAMPLES // 5))
@given(data=st.data())
def test_hostile_text_in_every_field_of_a_whole_intake_is_stored_as_typed(app, data):
    shown = data.draw(st.sets(st.sampled_from(FOLLOW_UPS)), label="follow-ups shown")
    answers = answers_showing(shown)
    typed = typed_input(answers)
    for question in TEXT_QUESTIONS:
        if question.id in answers:
            exact = st.builds(_repeat, st.sampled_from(SPECIMENS), st.just(question.max_length))
            text = hostile_text(question.max_length, longest=question.max_length + 20)
            typed[question.id] = data.draw(st.one_of(text, exact), label=question.id)
    client = app.test_client()
    response, _ = post(client, "/start", [("csrf_token", csrf(client, "/"))])
    assert response.status_code == 303

    for section_id in SECTION_IDS:
        path = f"/intake/{section_id}"
        if not questionnaire.section_is_shown(section_id, typed):
            # No question of the page applies (the LEFS without a painful leg): Next skips it.
            assert client.get(path).status_code == 303, section_id
            continue
        pairs = [("csrf_token", csrf(client, path)), *pairs_for(section_id, typed)]
        response, _ = post(client, path, [*pairs, ("action", "next")])
        expected = {
            q.id
            for q in questionnaire.questions_in(section_id)
            if q in TEXT_QUESTIONS and q.id in answers and refused(q, typed[q.id])
        }
        page = refused_page(client, response, path)
        if page is not None:
            event("a page refused some text")
            assert fields_with_errors(page) == expected
            for question_id in expected:  # the patient shortens or fills in what was refused
                typed[question_id] = f"Written again {question_id}"
            pairs = [("csrf_token", csrf(client, path)), *pairs_for(section_id, typed)]
            response, _ = post(client, path, [*pairs, ("action", "next")])
        else:
            assert expected == set()
        assert response.status_code == 303, (section_id, response.status_code)

    review = client.get("/intake/review")
    assert review.status_code == 200
    response, _ = post(client, "/intake/review", [("csrf_token", csrf(client, "/intake/review"))])
    assert response.headers["Location"].endswith("/intake/consent")

    clean = {
        q.id: answer_rules.clean_text(
            answer_rules.keep_raw(q, typed[q.id]), multiline=q.kind == Kind.LONG_TEXT
        )
        for q in TEXT_QUESTIONS
        if q.id in answers
    }
    signer = f"{clean['first_name']} {clean['last_name']}"
    # A name without letters to check accepts any initials.
    initials = signatures.example_initials(signer) or "X"
    with app.app_context():
        before = submission_count()
    consent = {
        **{f"initials_{c.id}": initials for c in consents.current().clauses},
        "agree": "y",
        "method": "drawn",
        "signature": signature_payload(),
    }
    pairs = [*hidden(client, "/intake/consent"), *consent.items()]
    response, _ = post(client, "/intake/consent", [*pairs, ("action", "submit")])
    event(f"consent answered {response.status_code}")
    with app.app_context():
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        stored = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert submission_count() == before + 1
        assert problems_with(stored) == []
        for question_id, text in clean.items():
            assert stored.answers[question_id] == text, question_id
        assert stored.pdf_status == PdfStatus.RENDERED, stored.pdf_error
