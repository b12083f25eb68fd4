"""Chart PDF rendering: Intake's renderer against plain WeasyPrint on the very same HTML.

    .venv/bin/python bench/pdf_render.py            # 15 rounds
    .venv/bin/python bench/pdf_render.py --short    # 3 rounds, for CI

Each round renders one full submission (every follow-up shown, long answers, Latin, Chinese
and Arabic text, a drawn signature, audit events) three times, interleaved:

  intake   intake.chart: HTML from the template, then the render process, which keeps the
           parsed stylesheet and the font configuration between renders, then the clinic's
           seal (a PAdES signature by pyHanko, in this process);
  plain    WeasyPrint in this process, given the same HTML, stylesheet file and options
           (PDF/A-3u, the same attachment), parsing and loading fonts afresh each time,
           as `HTML(string=...).write_pdf(...)` does.

  chromium Debian's Chromium, driven by Playwright, printing the same HTML (the stylesheet
           inlined) from one warm page: a browser engine's speed for the same document.

It prints the medians and the ratios intake / plain (the target is 1.15 at most) and intake /
Chromium (the aim is 1.5 at most). It also times the seal alone on the same unsealed PDF, and
the bytes it adds. The timings are for a person to read; no test asserts them.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.15
CHROMIUM_AIM = 1.5  # docs/performance.md


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="3 rounds (CI smoke run)")
    parser.add_argument("--rounds", type=int, help="number of timed rounds (default 15)")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.short else 15)

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            INTAKE_ENV="testing",
            INTAKE_SECRET_KEY="bench-" + "0" * 40,
            INTAKE_DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
            INTAKE_CLINIC_NAME="Riverside Physical Therapy",
            INTAKE_TIMEZONE="America/Chicago",
        )
        return run(rounds, Path(folder))


def run(rounds: int, folder: Path) -> int:
    import weasyprint
    from flask_migrate import upgrade

    from intake import audit, create_app
    from intake.chart.document import render_job, render_pdf
    from intake.chart.fetcher import ASSET_DIR
    from intake.chart.pdf import PDF_VARIANT, embedded_record
    from intake.chart.seal import seal_pdf
    from intake.chart.worker import renderer
    from intake.extensions import db
    from intake.models import AuditEvent, utcnow
    from testkit.factories import drawn_signature, make_submission

    app = create_app({"TESTING": True})
    app.instance_path = str(folder)  # the clinic's development key is made here, not in the tree
    with app.app_context():
        upgrade()
        submission = make_submission(
            answers=FULL_ANSWERS,
            signature_kind="drawn",
            signature_strokes=drawn_signature(),
            typed_signature=None,
        )
        for action in ("submission.create", "submission.view"):
            audit.record(action, target_type="submission", target_id=submission.public_id)
        db.session.commit()
        events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
        rendered_at = utcnow().replace(microsecond=0)

        def intake_render() -> bytes:
            return render_pdf(render_job(submission, events, rendered_at), timeout=120)

        job = render_job(submission, events, rendered_at)
        stylesheet = str(ASSET_DIR / "chart.css")

        def plain_render() -> bytes:
            # WeasyPrint's own fetcher and a stylesheet parsed each time: the plain way.
            return weasyprint.HTML(string=job.html).write_pdf(
                stylesheets=[stylesheet],
                pdf_variant=PDF_VARIANT,
                attachments=embedded_record(job),
            )

        # Chromium prints the same HTML, the stylesheet inlined (it has no fetcher of ours).
        css = Path(stylesheet).read_text()
        chromium_html = job.html.replace("</head>", f"<style>{css}</style></head>", 1)
        with _chromium_page() as page:

            def chromium_render() -> bytes:
                page.set_content(chromium_html)
                return page.pdf(format="Letter", print_background=True)

            # Warm up all three: the render process starts, imports and caches settle (and
            # outside production the clinic's development key is made, once).
            ours, theirs, chromium = intake_render(), plain_render(), chromium_render()
            unsealed = renderer.render(job, timeout=120).pdf
            intake_times, plain_times, chromium_times, seal_times = [], [], [], []
            for _ in range(rounds):
                intake_times.append(_timed(intake_render))
                plain_times.append(_timed(plain_render))
                chromium_times.append(_timed(chromium_render))
                seal_times.append(_timed(lambda: seal_pdf(unsealed)))
        added = (len(seal_pdf(unsealed)) - len(unsealed)) / 1024
        renderer.stop()

    intake_median = statistics.median(intake_times)
    plain_median = statistics.median(plain_times)
    ratio = intake_median / plain_median
    print(f"Chart PDF rendering: one full submission, {rounds} rounds, medians")
    print(f"  pages {_pages(ours)} (plain: {_pages(theirs)}), {len(ours) / 1024:.0f} KiB")
    print(f"  intake.chart (cached stylesheet and fonts, render process): {intake_median:.3f} s")
    print(f"  plain WeasyPrint, same HTML and options, in process:        {plain_median:.3f} s")
    seal_median = statistics.median(seal_times)
    seal_ms = seal_median * 1000
    print(f"  of which the clinic's seal (pyHanko, PAdES): {seal_ms:.0f} ms, {added:.1f} KiB")
    chromium_median = statistics.median(chromium_times)
    print(f"  Chromium (Debian's, warm page) printing the same HTML:       {chromium_median:.3f} s")
    print(f"    its PDF: {_pages(chromium)} pages, not PDF/A, no embedded record")
    verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
    print(f"  ratio intake / plain: {ratio:.2f} ({verdict} the {TARGET_RATIO} target)")
    versus_chromium = intake_median / chromium_median
    verdict = "within" if versus_chromium <= CHROMIUM_AIM else "ABOVE"
    print(f"  ratio intake / Chromium: {versus_chromium:.2f} ({verdict} the {CHROMIUM_AIM} aim)")
    # Lines for scripts/bench_report.py (see its docstring).
    label = f"chart PDF, {rounds} rounds"
    print(f"figure: {label}: intake.chart median = {intake_median:.3f} s")
    print(f"figure: {label}: plain WeasyPrint median = {plain_median:.3f} s")
    print(f"figure: {label}: Chromium median = {chromium_median:.3f} s")
    print(f"figure: {label}: ratio intake / plain = {ratio:.2f} (target {TARGET_RATIO})")
    print(f"figure: {label}: seal median = {seal_ms:.0f} ms")
    print(f"figure: {label}: ratio intake / Chromium = {versus_chromium:.2f} (aim {CHROMIUM_AIM})")
    return 0


@contextmanager
def _chromium_page():
    """A warm page of Debian's Chromium, as testkit.browser launches it for the tests."""
    from playwright.sync_api import sync_playwright

    from testkit.browser import launch_chromium

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _timed(render) -> float:
    start = time.perf_counter()
    render()
    return time.perf_counter() - start


def _pages(pdf: bytes) -> int:
    import io

    import pikepdf

    return len(pikepdf.open(io.BytesIO(pdf)).pages)


FULL_ANSWERS = {
    "first_name": "José",
    "last_name": "Núñez-O'Brien",
    "address": "12 River Road\nApartment 4B\nSpringfield, IL 62701",
    "emergency_contact_name": "王秀英",
    "visit_reason": "Pain in the lower back and left hip since a fall on ice in January. " * 8,
    "pain_areas": ["lower_back", "hip", "other"],
    "pain_areas_other": "Left heel when walking",
    "better_with": "ابنتي تتحدث العربية",
    "worse_with": "Sitting for long, stairs, getting out of the car",
    "treatment_so_far": ["physical_therapy", "massage", "medication"],
    "diabetes": "yes",
    "diabetes_controlled": "no",
    "cancer": "yes",
    "cancer_details": "Breast cancer, finished chemotherapy in 2024",
    "lymphedema": "yes",
    "lymphedema_where": "Left arm",
    "recent_surgery": "yes",
    "recent_surgery_where": "Left knee arthroscopy, June",
    "medications": "Metformin 500 mg twice a day\nWarfarin 5 mg\nVitamin D",
    "anticoagulants": "yes",
    "anticoagulants_which": "Warfarin",
    "allergies": ["latex", "nickel", "medication"],
    "allergies_details": "Rash from latex gloves and nickel buttons; penicillin",
    "pregnant": "no",
    "metal_implants": "yes",
    "metal_implants_where": "Left knee",
    "prior_needling": "yes",
    "prior_needling_experience": "mixed",
    "anything_else": "我对针有点紧张。 " + "Please explain each step before you start. " * 6,
}


if __name__ == "__main__":
    sys.exit(main())
