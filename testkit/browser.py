"""Driving the real app in Debian's Chromium: a live server in a thread, a tablet, a finger.

Shared by the browser tests (tests/browser/) and scripts/screenshots.py.
"""

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("INTAKE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# A 10-inch tablet held upright, touch only, retina screen.
TABLET = {
    "viewport": {"width": 768, "height": 1024},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-US",
    "timezone_id": "America/Chicago",
}
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
LARGE_LANDSCAPE = {"width": 1366, "height": 1024}


def chromium_available() -> bool:
    """Whether Chromium and Playwright for Python are both here."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return shutil.which(CHROMIUM) is not None


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing phoning home."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def serve(app, ssl_context: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve the app from a thread on a free port of 127.0.0.1; yields its base URL.

    With `ssl_context` (certificate and key files) it is served over HTTPS, as in production.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# A signature in the box's own proportions (0..1): a looped name and an underline.
SIGNATURE_STROKES = [
    [(0.08 + 0.02 * i, 0.55 - 0.25 * ((i % 4) in (1, 2))) for i in range(20)],
    [(0.52, 0.35), (0.56, 0.6), (0.6, 0.35), (0.64, 0.6), (0.7, 0.4), (0.78, 0.55)],
    [(0.1, 0.78), (0.45, 0.8), (0.85, 0.76)],
]


def draw_with_finger(page, locator, strokes=SIGNATURE_STROKES) -> None:
    """Draw strokes on an element with touch events, as a finger on the tablet does."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    session = page.context.new_cdp_session(page)
    try:
        for stroke in strokes:
            points = [
                {"x": box["x"] + fx * box["width"], "y": box["y"] + fy * box["height"]}
                for fx, fy in stroke
            ]
            session.send(
                "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]}
            )
            for point in points[1:]:
                page.wait_for_timeout(18)  # signature_pad samples about every 16 ms
                session.send(
                    "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]}
                )
            session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        session.detach()


def tap_with_finger(page, locator) -> None:
    """A single touch on an element (a tap, not a signature)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def ink_pixels(page, selector: str = "#signature-canvas") -> int:
    """How many pixels of the canvas have ink on them."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const context = canvas.getContext("2d");
            const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
            return inked;
        }""",
        selector,
    )


def signature_field(page) -> dict | None:
    """What the hidden signature field would post."""
    value = page.locator("#signature").input_value()
    return json.loads(value) if value else None


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of these impacts on the current page (needs AXE_JS injected)."""
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, { resultTypes: ["violations"] });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )
    return [violation for violation in violations if violation["impact"] in impacts]


def layout_problems(page) -> list[str]:
    """Tablet rules: no horizontal scroll, touch targets of 44 px, body text of 18 px."""
    return page.evaluate(
        """() => {
            const problems = [];
            const root = document.documentElement;
            if (root.scrollWidth > window.innerWidth) {
                problems.push(`horizontal scroll: ${root.scrollWidth} > ${window.innerWidth}`);
            }
            const describe = el => `${el.tagName} "${el.textContent.trim().slice(0, 30)}"`;
            const visible = el => el.getClientRects().length > 0
                && getComputedStyle(el).visibility !== "hidden";
            const targets = "button, a.button, .option, .error-summary a, "
                + "input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea";
            for (const el of document.querySelectorAll(targets)) {
                if (!visible(el) || el.closest("dialog:not([open])")) continue;
                const r = el.getBoundingClientRect();
                if (r.width < 44 || r.height < 44) {
                    const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
                    problems.push(`small target ${describe(el)} ${size}`);
                }
            }
            const text = "p, li, dt, dd, label, legend, input, textarea, button, a";
            for (const el of document.querySelectorAll(text)) {
                if (!visible(el) || el.closest(".visually-hidden")) continue;
                const size = parseFloat(getComputedStyle(el).fontSize);
                if (size < 18) {
                    problems.push(`small text ${size}px in ${describe(el)}`);
                }
            }
            return problems;
        }"""
    )


def check_tablet_page(page, name: str, sizes=(PORTRAIT, LANDSCAPE)) -> None:
    """axe-core finds nothing serious or critical, and the layout holds at each size (upright
    and on its side by default); the page is left upright."""
    assert axe_violations(page) == [], name
    for size in sizes:
        page.set_viewport_size(size)
        assert layout_problems(page) == [], (name, size)
    page.set_viewport_size(PORTRAIT)


def self_signed_certificate(folder: Path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 (Debian's openssl); returns (cert, key) paths."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def staff_page(browser, base_url: str, email: str, password: str):
    """A desktop browser profile (downloads on) logged in to the staff side; its page."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(base_url + "/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/staff/")
    return page
