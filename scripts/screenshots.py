"""Screenshots of Intake's pages for the README: `make screenshots` (or run this file).

Serves the app on a throwaway SQLite database, drives Debian's Chromium through the pages
with fictional data, and writes docs/screenshots/<name>.png. Each picture is one function
registered with @shot; staff-side pictures are added the same way, in the order they run.
"""

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"


@dataclass
class Shot:
    """One picture: its file name, what it shows, and how to get the page there."""

    name: str
    caption: str
    take: Callable
    viewport: dict | None = None
    full_page: bool = True


SHOTS: list[Shot] = []


@dataclass
class Run:
    """What a screenshot function works with: the browser page, the server and its app."""

    page: object
    base_url: str
    app: object


def shot(name: str, caption: str, viewport: dict | None = None, full_page: bool = True):
    """Register a function `(run: Run)` that brings the page to what the picture shows."""

    def register(take: Callable) -> Callable:
        SHOTS.append(Shot(name, caption, take, viewport, full_page))
        return take

    return register


# ---------------------------------------------------------------- the tablet (patient side)


@shot("kiosk-01-welcome", "The tablet's welcome screen")
def _welcome(run):
    page, base_url = run.page, run.base_url
    page.goto(base_url + "/")


@shot("kiosk-02-about-you", "About you, with plain-words errors next to the fields")
def _about(run):
    page, base_url = run.page, run.base_url
    from testkit.browser_flow import next_page, start

    start(page, base_url)
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Date of birth").fill("04/12/2090")
    page.get_by_label("Email (optional)").fill("jane@@example")
    next_page(page)


@shot("kiosk-03-this-visit", "This visit: where it hurts and pain on a 0\u201310 scale")
def _visit(run):
    page = run.page
    from testkit.browser_flow import answer_page, next_page
    from testkit.factories import typed_input

    answer_page(page, "about", typed_input())
    next_page(page)
    answer_page(page, "visit", typed_input())


@shot("kiosk-17-general-health", "Your general health: screening questions, one yes/no each")
def _general(run):
    page = run.page
    from testkit.browser_flow import answer_page, next_page
    from testkit.factories import typed_input

    next_page(page)
    answer_page(page, "general", typed_input({"night_pain": "yes"}))


@shot("kiosk-04-medical-history", "Medical history, a follow-up question opened by \u201cYes\u201d")
def _medical(run):
    page = run.page
    from testkit.browser_flow import answer_page, next_page
    from testkit.factories import typed_input

    next_page(page)
    typed = typed_input({"diabetes": "yes", "diabetes_controlled": "yes"})
    answer_page(page, "medical", typed)
    page.get_by_role("group", name="Cancer now, or in treatment for cancer").get_by_label(
        "Yes"
    ).check()


@shot("kiosk-05-medicines", "Medicines and allergies")
def _medicines(run):
    page = run.page
    from testkit.browser_flow import answer_page, next_page
    from testkit.factories import typed_input

    page.get_by_role("group", name="Cancer now, or in treatment for cancer").get_by_label(
        "No"
    ).check()
    next_page(page)
    answer_page(page, "medications", typed_input({"allergies": ["latex"]}))
    page.get_by_label("Tell us about your allergies").fill("Latex gloves give me a rash")


@shot("kiosk-06-needles", "Needles and devices")
def _needles(run):
    page = run.page
    from testkit.browser_flow import answer_page, next_page
    from testkit.factories import typed_input

    next_page(page)
    answer_page(page, "needling", typed_input())


@shot("kiosk-07-review", "Review your answers, each part with a way back to change it")
def _review(run):
    page = run.page
    from testkit.browser_flow import next_page

    next_page(page)


@shot("kiosk-08-consent", "The dry-needling consent: initials under each part")
def _consent(run):
    page = run.page
    from testkit.browser_flow import initial_every_clause, next_page

    next_page(page)
    initial_every_clause(page, "JD")


@shot("kiosk-09-signature", "Signing with a finger", full_page=False)
def _signature(run):
    page = run.page
    from testkit.browser import draw_with_finger

    page.get_by_label("I have read this consent").check()
    canvas = page.get_by_label("Signature", exact=True)
    draw_with_finger(page, canvas)
    page.get_by_role("button", name="Sign and submit").scroll_into_view_if_needed()


@shot(
    "kiosk-10-signature-landscape", "The same signature after turning the tablet", full_page=False
)
def _landscape(run):
    page = run.page
    from testkit.browser import LARGE_LANDSCAPE

    page.set_viewport_size(LARGE_LANDSCAPE)
    page.get_by_role("button", name="Sign and submit").scroll_into_view_if_needed()


@shot("kiosk-11-thank-you", "Thank you: no answers shown, back to welcome by itself")
def _thanks(run):
    page = run.page
    from testkit.browser import PORTRAIT

    page.set_viewport_size(PORTRAIT)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()


@shot(
    "kiosk-18-email-copy",
    "Thank you, with \u201cEmail me a copy\u201d: the address masked, the patient chooses",
)
def _email_copy(run):
    # As a clinic with a mail server would be set up; nothing is sent for the picture.
    run.app.config.update(
        SMTP_HOST="127.0.0.1", MAIL_FROM="frontdesk@example.org", PATIENT_COPY_EMAIL=True
    )
    run.page.reload()


@shot("kiosk-12-typed-signature", "A typed signature, for people who cannot draw", full_page=False)
def _typed(run):
    page, base_url = run.page, run.base_url
    from testkit.browser_flow import fill_history, next_page, start

    start(page, base_url)
    fill_history(page, {"first_name": "Zo\u00eb", "last_name": "N\u00fa\u00f1ez"})
    next_page(page)
    page.get_by_role("group", name="How would you like to sign?").get_by_label(
        "Type my name"
    ).check()
    page.get_by_label("Type your full name").fill("Zo\u00eb N\u00fa\u00f1ez")
    page.get_by_label("I intend this typed name as my signature.").check()
    page.get_by_role("button", name="Sign and submit").scroll_into_view_if_needed()


@shot(
    "kiosk-13-still-there",
    "After a few idle minutes: a warning, then the form is cleared",
    full_page=False,
)
def _idle(run):
    page = run.page
    run.app.config["KIOSK_IDLE_WARNING_SECONDS"] = 2
    page.reload()
    page.get_by_role("dialog", name="Are you still there?").wait_for(timeout=10_000)


@shot(
    "kiosk-14-continue",
    "Back at the welcome screen, a form reopens only with its date of birth",
    full_page=False,
)
def _continue(run):
    page = run.page
    run.app.config["KIOSK_IDLE_WARNING_SECONDS"] = 600
    page.goto(run.base_url + "/")
    page.get_by_role("link", name="Continue where I left off").click()
    page.get_by_label("Date of birth").fill("04/12/1970")  # as typed in the form


@shot(
    "kiosk-15-representative",
    "An adult patient's legally authorised representative signs, with their own initials",
    full_page=False,
)
def _representative(run):
    page = run.page
    run.app.config["KIOSK_IDLE_WARNING_SECONDS"] = 600
    with page.expect_navigation():
        page.get_by_role("button", name="Continue", exact=True).click()  # the date of birth
    page.wait_for_url("**/intake/consent")
    page.get_by_role("group", name="Who is signing?").get_by_label(
        "legally authorised representative"
    ).check()
    page.get_by_label("Representative\u2019s full name").fill("Ana Lima")
    page.get_by_role("group", name="What allows you to sign for the patient?").get_by_label(
        "Health-care power of attorney"
    ).check()
    page.evaluate("window.scrollTo(0, 0)")


@shot(
    "kiosk-16-consent-problems",
    "Each problem names its part of the consent and links to its box",
    full_page=False,
)
def _consent_problems(run):
    page = run.page
    from testkit.browser_flow import initial_every_clause

    initial_every_clause(page, "ZN")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()
    page.evaluate("window.scrollTo(0, 0)")


# ---------------------------------------------------------------- Spanish and larger text

SPANISH_PATIENT = {"first_name": "María José", "last_name": "García López"}


@shot("kiosk-18-es-welcome", "La pantalla de bienvenida en español: English / Español, A A")
def _spanish_welcome(run):
    page = run.page
    page.context.clear_cookies()  # a new patient: the last one's form is closed
    page.goto(run.base_url + "/")
    page.get_by_role("button", name="Español").click()
    page.get_by_role("heading", name="Bienvenido").wait_for()


@shot("kiosk-19-es-about-you", "Sobre usted: errors and the date hint in Spanish")
def _spanish_about(run):
    page = run.page
    from testkit.browser_flow import in_language, next_page

    es = in_language("es")
    page.get_by_role("button", name=es("Start")).click()
    page.wait_for_url("**/intake/about")
    page.get_by_label(es("First name"), exact=True).fill(SPANISH_PATIENT["first_name"])
    page.get_by_label(es("Last name"), exact=True).fill(SPANISH_PATIENT["last_name"])
    page.get_by_label(es("Date of birth"), exact=True).fill("23/04/1981")
    next_page(page, es)


@shot("kiosk-20-es-consent", "El consentimiento en español, initialled MG")
def _spanish_consent(run):
    page = run.page
    from testkit.browser_flow import fill_history, in_language, next_page

    es = in_language("es")
    fill_history(page, SPANISH_PATIENT, translate=es)
    next_page(page, es)
    page.wait_for_url("**/intake/consent")
    page.locator("input[name^=initials_]").first.fill("MG")


@shot(
    "kiosk-21-large-text",
    "Text at 200 %: the pain scales wrap, nothing is cut off",
    full_page=False,
)
def _large_text(run):
    page = run.page
    from testkit.browser_flow import in_language

    es = in_language("es")
    for _ in range(2):
        with page.expect_navigation():
            page.get_by_role("button", name=es("Larger text")).click()
    page.goto(run.base_url + "/intake/visit")
    page.locator(".kind-scale").first.scroll_into_view_if_needed()


@shot("kiosk-22-large-text-english", "English at 200 %", full_page=False)
def _large_text_english(run):
    page = run.page
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    page.evaluate("window.scrollTo(0, 0)")


# ---------------------------------------------------------------- the staff side

STAFF_EMAIL = "frontdesk@example.org"
STAFF_PASSWORD = "demo passphrase for screenshots"
DESKTOP = {"width": 1280, "height": 860}


@shot("staff-dashboard", "Today's intakes, red flags then dry-needling flags", DESKTOP, False)
def _dashboard(run):
    from intake import accounts, chart, demo
    from intake.extensions import db

    with run.app.app_context():
        demo.seed_demo(14, days=2, seed=7)
        for _ in chart.render_pending():  # the signed PDFs, as the tablet would have made them
            pass
        accounts.create_staff_user(STAFF_EMAIL, STAFF_PASSWORD)
        db.session.commit()
    page = run.page
    page.goto(run.base_url + "/staff/login")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Export CSV").wait_for()


@shot("staff-submission", "One intake: red flags, flags, answers, signature, PDF", DESKTOP)
def _submission(run):
    page = run.page
    page.locator("table.intakes tbody a").first.click()
    page.get_by_role("link", name="Download PDF").wait_for()


@shot("staff-exports", "Export CSV for the EHR: new submissions, earlier batches, a range", DESKTOP)
def _exports(run):
    page = run.page
    page.goto(run.base_url + "/staff/exports")


# ---------------------------------------------------------------- running them


def _app(database: Path):
    """The app on a fresh, migrated SQLite database."""
    from flask_migrate import upgrade

    from intake import create_app

    os.environ.update(
        INTAKE_ENV="testing",
        INTAKE_SECRET_KEY="screenshots-" + "x" * 32,
        INTAKE_DATABASE_URL=f"sqlite:///{database}",
        INTAKE_CLINIC_NAME="Riverside Physical Therapy",
        INTAKE_TIMEZONE="America/Chicago",
        INTAKE_KIOSK_IDLE_WARNING_SECONDS="600",
        INTAKE_KIOSK_IDLE_RESET_SECONDS="60",
    )
    app = create_app()
    with app.app_context():
        upgrade()
    return app


def main() -> int:
    """Take every registered screenshot, in order, in one browser session."""
    from playwright.sync_api import sync_playwright

    from testkit.browser import TABLET, chromium_available, launch_chromium, serve

    if not chromium_available():
        print("Chromium or Playwright is missing: run `make system-deps` first.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp) / "intake.sqlite3")
        with serve(app) as base_url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(**{**TABLET, "device_scale_factor": 1})
            context.set_default_timeout(15_000)
            page = context.new_page()
            run = Run(page=page, base_url=base_url, app=app)
            for item in SHOTS:
                if item.viewport:
                    page.set_viewport_size(item.viewport)
                item.take(run)
                page.wait_for_load_state("networkidle")
                path = OUT / f"{item.name}.png"
                page.screenshot(path=str(path), full_page=item.full_page, animations="disabled")
                print(f"{path.relative_to(ROOT)}  {item.caption}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
