"""Every word a patient reads comes from the translation catalogue, and the catalogue is whole.

The pseudo-locale test draws every patient page with a catalogue in which each message is
bracketed and lengthened (⟦Ŵéļçöɱé~~~⟧): any visible text without the brackets was not
translated. What is not the catalogue's is named: the consent document (a file per language),
what the patient typed, numbers, dates (Babel's month names), the clinic's name and the
language buttons (each language named in its own words).
"""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import get_domain

from intake import consents
from intake.models import Language
from testkit.catalogues import extracted_messages, po_files, read_catalogue
from testkit.factories import make_submission, typed_input
from tests.support import csrf_token
from tests.test_kiosk import EVERY_PAGE, SECTION_IDS, fill_history, post_section, start

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|<[^>]+>")
ACCENTED = str.maketrans("aeiouyAEIOUYnNcCsSwW", "áéíóúýÁÉÍÓÚÝñÑçÇšŠŵŴ")


def pseudo(message: str) -> str:
    """Each run of words between placeholders and tags bracketed, accented and lengthened."""
    parts = PLACEHOLDER.split(message)
    kept = PLACEHOLDER.findall(message)
    out = []
    for index, part in enumerate(parts):
        if part.strip():
            out.append("⟦" + part.translate(ACCENTED) + "~" * (len(part) // 3) + "⟧")
        else:
            out.append(part)
        if index < len(kept):
            out.append(kept[index])
    return "".join(out)


@pytest.fixture
def pseudo_app(app, tmp_path):
    """The app with a pseudo catalogue standing in for Spanish."""
    source = read_catalogue(po_files()[0])
    catalogue = Catalog(locale="es")
    for message in source:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            string = tuple(pseudo(message.id[1]) for _ in range(3))
            string = (pseudo(message.id[0]), *string[1:])
        else:
            string = pseudo(message.id)
        catalogue.add(message.id, string, flags=message.flags)
    folder = tmp_path / "pseudo" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as target:
        write_mo(target, catalogue)
    babel = app.extensions["babel"]
    directories = babel.translation_directories
    babel.translation_directories = [str(tmp_path / "pseudo")]
    with app.app_context():
        domain = get_domain()
        domain.cache.clear()  # the domain is shared by every app of the process
    yield app
    babel.translation_directories = directories
    domain.cache.clear()


class VisibleText(HTMLParser):
    """The text a patient sees or hears: text nodes and the words of a few attributes, each
    with the classes of the elements around it."""

    SPOKEN = ("aria-label", "title", "placeholder", "alt")
    FOR_SCRIPTS = ("data-announce", "data-saving", "data-label-stop", "data-empty")
    FOR_SCRIPTS += ("data-signed", "data-cleared", "data-message-none", "data-message-one")
    FOR_SCRIPTS += ("data-message-many",)
    VOID = {"input", "meta", "link", "br", "img", "hr", "source", "area", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, str]] = []
        self.found: list[tuple[str, str]] = []

    def where(self) -> str:
        return " ".join(f"{tag}#{id_}.{classes}" for tag, id_, classes in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in (*self.SPOKEN, *self.FOR_SCRIPTS):
            if attributes.get(name):
                self.found.append((attributes[name], f"{self.where()} {tag}[{name}]"))
        if tag not in self.VOID:
            # A mark shown but not read out (the signature line's ×) is tagged aria-hidden.
            hidden = " aria-hidden" if attributes.get("aria-hidden") == "true" else ""
            entry = (tag, attributes.get("id") or "", (attributes.get("class") or "") + hidden)
            self.stack.append(entry)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not any(tag in ("script", "style") for tag, _, _ in self.stack):
            self.found.append((data.strip(), self.where()))


# Where the consent document's own words are drawn: its file is its translation.
CONSENT_TEXT = re.compile(r"\.(clause|risk-notes)\b.* (h2|p)#|h1#\.$|label#\.option checkbox")
# Around a value put into a message: spaces, quotes and punctuation.
STRIPPED = " \u201c\u201d:.,()·"
DATE = re.compile(r"\d{1,2} de [a-z]+ de \d{4}")


def untranslated(html: str, allowed: set[str]) -> list[tuple[str, str]]:
    """Visible text not from the catalogue, with where it is."""
    parser = VisibleText()
    parser.feed(html)
    problems = []
    for text, where in parser.found:
        # What is left once the catalogue's bracketed words are taken out: a value put into
        # a message (a number, a name, a clause heading), or text that is not translated.
        # ("{n}" is a count a script puts in.)
        text = re.sub(r"⟦[^⟧]*⟧|\{n\}", "\n", text)
        for rest in (part.strip(STRIPPED) for part in text.split("\n")):
            if rest and not known(rest, where, allowed):
                problems.append((rest, where))
    return problems


def known(text: str, where: str, allowed: set[str]) -> bool:
    """Whether text outside the catalogue's brackets is one we know is not the catalogue's."""
    if text in allowed or any(word.strip(STRIPPED) == text for word in allowed):
        return True
    if not re.search(r"[^\W\d_]", text) or DATE.fullmatch(text) or "aria-hidden" in where:
        return True  # numbers, punctuation, a date in the locale's words, a mark not read
    return bool(CONSENT_TEXT.search(where))


def allowed_words(typed: dict) -> set[str]:
    """Text that is the patient's own, the clinic's name, or a language's own name."""
    words = {"Riverside Physical Therapy", "A", *(language.own_name for language in Language)}
    for value in typed.values():
        for item in value if isinstance(value, list) else [value]:
            words.update(str(item).splitlines())
    words.add(f"{typed['first_name']} {typed['last_name']}")
    # A clause's heading is put into the messages about its initials.
    for language in Language:
        words.update(clause.heading for clause in consents.current(language=language).clauses)
    return words


def spanish(client) -> None:
    data = {"csrf_token": csrf_token(client, "/"), "language": "es", "next": "/"}
    assert client.post("/display", data=data).status_code == 303


def pages_of_a_whole_visit(client) -> dict[str, str]:
    """Every patient page as one patient meets it, in the pseudo locale."""
    pages = {"welcome": client.get("/").get_data(as_text=True)}
    start(client)
    refused = post_section(client, "about", {"first_name": "Ana", "date_of_birth": "31/12/1980"})
    pages["about, refused"] = client.get(refused.location).get_data(as_text=True)
    fill_history(client, EVERY_PAGE)
    for section_id in SECTION_IDS:
        pages[section_id] = client.get(f"/intake/{section_id}").get_data(as_text=True)
    pages["review"] = client.get("/intake/review").get_data(as_text=True)
    pages["consent"] = client.get("/intake/consent").get_data(as_text=True)
    token = csrf_token(client, "/intake/consent")
    client.post("/intake/consent", data={"csrf_token": token, "action": "submit"})
    pages["consent, refused"] = client.get("/intake/consent").get_data(as_text=True)
    pages["stop"] = client.get("/intake/stop").get_data(as_text=True)
    pages["not found"] = client.get("/intake/no-such-page").get_data(as_text=True)
    pages["resume"] = client.get("/").get_data(as_text=True)  # the draft is held
    pages["date of birth"] = client.get("/intake/resume").get_data(as_text=True)
    return pages


def test_every_visible_patient_string_comes_from_the_catalogue(pseudo_app):
    client = pseudo_app.test_client()
    spanish(client)
    pages = pages_of_a_whole_visit(client)
    typed = typed_input(EVERY_PAGE)
    allowed = allowed_words(typed)
    assert all("⟦" in html for html in pages.values())
    problems = {name: untranslated(html, allowed) for name, html in pages.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_thank_you_page_comes_from_the_catalogue(pseudo_app):
    client = pseudo_app.test_client()
    spanish(client)
    html = client.get("/intake/thanks").get_data(as_text=True)
    assert untranslated(html, allowed_words(typed_input())) == []


def test_the_consent_shown_in_the_pseudo_locale_is_the_spanish_document(pseudo_app):
    client = pseudo_app.test_client()
    spanish(client)
    start(client)
    fill_history(client)
    html = client.get("/intake/consent").get_data(as_text=True)
    assert consents.current(language="es").clauses[0].heading in html


def test_every_extracted_message_has_a_translation_that_is_not_fuzzy():
    wanted = extracted_messages()
    for po in po_files():
        catalogue = read_catalogue(po)
        translated = {}
        for message in catalogue:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else tuple(message.id)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                continue
            if all(strings):
                translated[key] = strings
        missing = {m for m in wanted if m not in translated}
        assert missing == set(), f"{po}: run `make messages` and translate: {sorted(missing)}"
        fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
        assert fuzzy == [], f"{po}: fuzzy entries must be checked and unmarked: {fuzzy}"


def test_a_translation_keeps_every_placeholder_of_its_message():
    for po in po_files():
        for message in read_catalogue(po):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            names = set(re.findall(r"%\((\w+)\)", ids[-1]))
            for string in strings:
                assert set(re.findall(r"%\((\w+)\)", string)) <= names | {"num"}, message.id
                assert names - {"num"} <= set(re.findall(r"%\((\w+)\)", string)), message.id


def test_no_message_holds_a_bare_percent_sign():
    # Jinja's gettext treats every message as a format string, even without values: a "%"
    # in a question ("50% better") would break its page. Write "percent" instead (the staff
    # pages and the CSV read the same words, untranslated, so "%%" is no answer either).
    for message in extracted_messages():
        for text in message if isinstance(message, tuple) else (message,):
            assert not re.search(r"%(?!\(\w+\)[sd])", text), text


def test_the_patient_s_copy_and_its_email_come_from_the_catalogue(pseudo_app):
    # What a patient who signed in Spanish is handed or emailed: every word around the
    # consent (its own file) and the values put in comes from the catalogue.
    from zoneinfo import ZoneInfo

    from intake.chart.patient_copy import local_time, patient_copy_html
    from intake.patient_copies import _message
    from tests.mail_support import CLINIC_ADDRESS, CLINIC_PHONE, MAIL_FROM, send_mail_through

    send_mail_through(pseudo_app, 2525)
    document = consents.current(language="es")
    with pseudo_app.app_context():
        submission = make_submission(
            answers={"first_name": "María José", "last_name": "García López"},
            consent=document,
            language="es",
        )
        html = patient_copy_html(submission)
        message = _message("maria@example.org", b"%PDF-", "es")
        signed = local_time(submission.signed_at, ZoneInfo("America/Chicago"), "es")
        patient = submission.full_name
        initials = set(submission.consent_initials.values())
    allowed = {
        *initials,
        "Riverside Physical Therapy",
        patient,
        CLINIC_PHONE,
        CLINIC_ADDRESS,
        MAIL_FROM,
        signed,
        document.title,
        document.agreement,
        *(clause.heading for clause in document.clauses),
    }
    assert "⟦" in html
    assert untranslated(html, allowed) == []
    body = message.get_body(("plain",)).get_content()
    lines = [message["Subject"], message.get_filename() or "", *body.splitlines()]
    mail = "".join(f"<p>{line}</p>" for line in lines)
    assert "⟦" in mail and untranslated(mail, allowed) == []
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename().startswith("⟦")
