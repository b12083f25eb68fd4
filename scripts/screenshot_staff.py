"""The README's staff dashboard screenshot: log in and photograph today's intakes.

scripts/screenshots.py calls `screenshot_dashboard(page, base_url)` against a server that
holds demo data (`flask intake seed-demo`) and the account from `ensure_screenshot_account`.
Run on its own, this module does all of that in a temporary database:

    .venv/bin/python scripts/screenshot_staff.py [output.png]
"""

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots" / "staff-dashboard.png"
EMAIL = "frontdesk@example.org"
PASSWORD = "demo passphrase for screenshots"
VIEWPORT = {"width": 1280, "height": 860}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def ensure_screenshot_account(app) -> tuple[str, str]:
    """A staff account to log in with (created if missing); returns (email, password)."""
    from intake import accounts
    from intake.extensions import db

    with app.app_context():
        if accounts.find_by_email(EMAIL) is None:
            accounts.create_staff_user(EMAIL, PASSWORD)
            db.session.commit()
    return EMAIL, PASSWORD


def screenshot_dashboard(
    page, base_url: str, *, email: str = EMAIL, password: str = PASSWORD, path: Path = OUTPUT
) -> Path:
    """Log in through the form as staff would and save today's dashboard as a PNG."""
    page.set_viewport_size(VIEWPORT)
    page.goto(base_url.rstrip("/") + "/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Export CSV").wait_for()
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.get_by_role("button", name="Log out").click()
    return path


def main() -> None:
    """Serve demo data from a temporary database and take the screenshot."""
    import os

    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    sys.path.insert(0, str(ROOT))
    from intake import create_app, demo

    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    with tempfile.TemporaryDirectory(prefix="intake-screenshot-") as tmp:
        os.environ.update(
            INTAKE_ENV="development",
            INTAKE_DATABASE_URL=f"sqlite:///{tmp}/demo.sqlite3",
            INTAKE_SECRET_KEY="screenshot-" + "0" * 40,
            INTAKE_CLINIC_NAME="Riverside Physical Therapy",
        )
        app = create_app()
        with app.app_context():
            upgrade()
            demo.seed_demo(36, days=3, seed=7)
        ensure_screenshot_account(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page()
                screenshot_dashboard(page, f"http://127.0.0.1:{server.server_port}", path=output)
                browser.close()
        finally:
            server.shutdown()
    print(f"saved {output}")


if __name__ == "__main__":
    main()
