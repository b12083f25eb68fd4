"""A tablet over real HTTP: one patient's intake, page by page, as a browser sends it.

Used by bench/load.py and the crash tests, against Intake served by gunicorn. Standard
library only. Like a browser, a tablet keeps its own cookies, reads each page's form (its
fields and its CSRF token) and posts back every field of it: the text it typed, the radio
buttons and boxes it ticked, empty text for what it left blank, and the button it tapped.
Each request opens its own connection, as gunicorn's sync workers close it after a response.
"""

import http.client
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from intake import demo, questionnaire, signatures
from intake.questionnaire import Kind
from testkit.factories import signature_payload

SECTION_IDS = tuple(section.id for section in questionnaire.SECTIONS)
Value = str | list[str]


class FlowError(Exception):
    """A page answered something other than what the patient flow expects."""


@dataclass(frozen=True)
class Patient:
    """What one patient types and chooses on the tablet, and how they sign."""

    typed: dict[str, Value]  # by question id, as the pages post it
    signer_name: str
    initials: str
    signature: str  # signature_pad's toData() with the canvas size, as JSON text
    guardian_relationship: str | None = None  # "parent" or "legal_guardian" for a minor
    guardian_phone: str | None = None  # for a minor


def fictional_patient(rng: random.Random, today: date, note: str = "") -> Patient:
    """A realistic patient (intake.demo's answers), a minor now and then, who signs by hand.

    `note` goes into the last free-text answer, so that a test can find this patient's
    submission again.
    """
    answers = demo.fictional_answers(rng, today)
    if note:
        answers["anything_else"] = note
    born = date.fromisoformat(answers["date_of_birth"])
    minor = (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) < 18
    signer = (
        answers["emergency_contact_name"]
        if minor
        else f"{answers['first_name']} {answers['last_name']}"
    )
    return Patient(
        typed=as_typed(answers),
        signer_name=signer,
        initials=signatures.example_initials(signer) or "X",
        signature=handwriting(rng),
        guardian_relationship="parent" if minor else None,
        guardian_phone=answers["emergency_contact_phone"] if minor else None,
    )


def as_typed(answers: Mapping[str, Any]) -> dict[str, Value]:
    """Stored answers as the pages post them: strings (dates as month/day/year) and lists."""
    typed: dict[str, Value] = {}
    for question in questionnaire.QUESTIONS:
        if question.id not in answers:
            continue
        value = answers[question.id]
        if question.kind == Kind.DATE and value:
            year, month, day = value.split("-")
            value = f"{month}/{day}/{year}"
        typed[question.id] = list(value) if isinstance(value, list) else str(value)
    return typed


def handwriting(rng: random.Random, width: int = 640, height: int = 220) -> str:
    """A signature as signature_pad records it: a few looping strokes and an underline."""
    strokes = []
    x = rng.uniform(30, 60)
    for _ in range(rng.randint(2, 4)):
        points = []
        for step in range(rng.randint(15, 40)):
            x += rng.uniform(3, 9)
            y = height * 0.5 + rng.uniform(-45, 45) * ((step % 4) in (1, 2)) + rng.uniform(-6, 6)
            points.append((round(min(x, width - 5), 1), round(y, 1)))
        strokes.append(points)
        x += rng.uniform(10, 30)
    strokes.append([(50, height - 35), (width * 0.5, height - 32), (width - 60, height - 36)])
    return signature_payload(width, height, strokes)


@dataclass
class FormField:
    """One input of a form as the page shows it."""

    name: str
    type: str
    value: str
    checked: bool = False


@dataclass
class Form:
    """The first POST form of a page: where it goes, its fields and its named buttons."""

    action: str | None = None
    fields: list[FormField] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        """Every field name on the form."""
        return {f.name for f in self.fields}

    def fill(self, values: Mapping[str, Value | bool], button: tuple[str, str] | None) -> list:
        """The pairs a browser posts after the patient entered `values` and tapped `button`
        (None: the form's one unnamed submit button).

        Every value must have a field (and a choice must be one of its options) on the page.
        """
        if button is not None and button not in self.buttons:
            raise FlowError(f"the form has no button {button}")
        unused = set(values)
        pairs = []
        for item in self.fields:
            wanted = values.get(item.name)
            if item.type in ("radio", "checkbox"):
                if wanted is None:
                    chosen = item.checked
                elif isinstance(wanted, bool):
                    chosen = wanted
                else:
                    chosen = item.value in (wanted if isinstance(wanted, list) else [wanted])
                if chosen:
                    pairs.append((item.name, item.value))
                    unused.discard(item.name)
                elif isinstance(wanted, bool):
                    unused.discard(item.name)  # an unticked box is posted by leaving it out
            else:
                text = item.value if wanted is None else str(wanted)
                pairs.append((item.name, text))
                unused.discard(item.name)
        if unused:
            raise FlowError(f"the page has no field or option for {sorted(unused)}")
        if button is not None:
            pairs.append(button)
        return pairs


class _FormReader(HTMLParser):
    """Reads the first form with method="post" of a page, past the header's language and text
    size buttons (their own form, `display-form`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form: Form | None = None
        self._open = False
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if (
            tag == "form"
            and self.form is None
            and attributes.get("method", "").lower() == "post"
            and attributes.get("id") != "display-form"
        ):
            self.form = Form(action=attributes.get("action") or None)
            self._open = True
        elif not self._open or "name" not in attributes:
            return
        elif tag == "input":
            self.form.fields.append(
                FormField(
                    attributes["name"],
                    attributes.get("type", "text").lower(),
                    attributes.get("value", ""),
                    "checked" in attributes,
                )
            )
        elif tag == "textarea":
            self._textarea = FormField(attributes["name"], "textarea", "")
        elif tag == "button" and attributes.get("type", "submit") == "submit":
            self.form.buttons.append((attributes["name"], attributes.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # As in a browser, one newline right after <textarea> is not part of the text.
            text = self._textarea.value
            self._textarea.value = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.form.fields.append(self._textarea)
            self._textarea = None
        elif tag == "form":
            self._open = False


def read_form(html: str) -> Form:
    """The page's first POST form, or FlowError if it has none."""
    reader = _FormReader()
    reader.feed(html)
    if reader.form is None:
        raise FlowError("the page has no form")
    return reader.form


@dataclass(frozen=True)
class Reply:
    """What the server answered to one request."""

    status: int
    location: str | None
    body: str


# Called after every request: (step name, seconds from sending to the last byte, status).
Timer = Callable[[str, float, int], None]


class Tablet:
    """One tablet's browser: its cookies, and the pages of the intake over HTTP."""

    def __init__(self, base_url: str, *, timeout: float = 120, on_request: Timer | None = None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {"User-Agent": "Intake load test (tablet)"}
        self.on_request = on_request

    def request(self, method: str, path: str, pairs: list | None = None, step: str = "") -> Reply:
        """Send one request with this tablet's cookies; keep the cookies it sets."""
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if pairs is not None:
            body = urlencode(pairs).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        if self.on_request is not None:
            self.on_request(step or f"{method} {path}", elapsed, response.status)
        location = response.headers.get("Location")
        return Reply(response.status, location and urlsplit(location).path, content.decode())

    def _keep_cookie(self, header: str) -> None:
        try:
            cookie = SimpleCookie(header)
        except CookieError:
            return
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def page(self, path: str) -> Form:
        """GET a page that must answer 200; its form."""
        reply = self.request("GET", path, step=f"GET {path}")
        expect(reply, 200, path)
        return read_form(reply.body)

    def submit(
        self,
        path: str,
        form: Form,
        values: Mapping[str, Value | bool],
        button: tuple[str, str] | None,
        then: str | None,
    ) -> Reply:
        """Post `form` filled in with `values`; it must redirect (303) to `then` (anywhere,
        when None)."""
        target = form.action or path
        reply = self.request("POST", target, form.fill(values, button), step=f"POST {target}")
        expect(reply, 303, target, then)
        return reply

    def complete_intake(self, patient: Patient, sign: Callable | None = None) -> None:
        """Welcome, Start, every page of the health history, review, consent, thank you.

        `sign`, if given, replaces the last step: it is called with (tablet, consent form,
        values) and must leave the tablet on the thank-you page.
        """
        welcome = self.page("/")
        path = self.submit("/", welcome, {}, None, then="/intake/about").location
        # Each page's Next leads to the following page that applies to this patient (the
        # LEFS only for a painful leg): followed as a browser would, never going back.
        ahead = [f"/intake/{section_id}" for section_id in SECTION_IDS]
        while path != "/intake/review":
            form = self.page(path)
            names = form.names()
            values = {k: v for k, v in patient.typed.items() if k in names}
            ahead = ahead[ahead.index(path) + 1 :]
            reply = self.submit(path, form, values, ("action", "next"), then=None)
            if reply.location not in (*ahead, "/intake/review"):
                raise FlowError(f"{path}: Next led to {reply.location}, not a page further on")
            path = reply.location
        review = self.page("/intake/review")
        self.submit("/intake/review", review, {}, ("action", "next"), then="/intake/consent")
        consent = self.page("/intake/consent")
        values = self.signing_values(patient, consent)
        if sign is not None:
            sign(self, consent, values)
        else:
            self.submit(
                "/intake/consent", consent, values, ("action", "submit"), then="/intake/thanks"
            )
        expect(self.request("GET", "/intake/thanks", step="GET /intake/thanks"), 200, "thanks")

    @staticmethod
    def signing_values(patient: Patient, consent: Form) -> dict[str, Value | bool]:
        """Initials in every box, the agreement ticked, the drawn signature (and the
        guardian's name, relationship and phone for a minor)."""
        values: dict[str, Value | bool] = {
            name: patient.initials for name in consent.names() if name.startswith("initials_")
        }
        values.update(agree=True, method="drawn", signature=patient.signature)
        if patient.guardian_relationship:
            values.update(
                guardian_name=patient.signer_name,
                guardian_relationship=patient.guardian_relationship,
                guardian_phone=patient.guardian_phone or "",
            )
        return values


def expect(reply: Reply, status: int, what: str, location: str | None = None) -> None:
    """Raise FlowError unless the reply has this status (and, for a redirect, location)."""
    if reply.status != status or (location is not None and reply.location != location):
        where = f" to {reply.location}" if reply.location else ""
        messages = re.findall(
            r'class="field-error"[^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]*)', reply.body
        )
        detail = "; ".join(messages) or " ".join(reply.body.split())[:200]
        raise FlowError(f"{what}: expected {status}, got {reply.status}{where}: {detail}")
