"""Every response carries the security headers; nothing but static files may be cached."""

import pytest

from intake.security import CONTENT_SECURITY_POLICY

# Headers do not depend on the database backend.
pytestmark = pytest.mark.backends("sqlite")


def test_page_headers(client):
    response = client.get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert headers["Referrer-Policy"] == "same-origin"  # nothing to other sites
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in development


def test_error_pages_have_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://intake.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/intake.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_templates_have_no_inline_script_or_style():
    """A CSP without 'unsafe-inline' would block them, so none may exist."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for path in root.rglob("*.html"):
        if path.parts[-2] == "chart":
            continue  # rendered by WeasyPrint, never served to a browser
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"<style\b", html), path
        assert not re.search(r'\sstyle\s*=\s*"', html), path


def test_trusted_proxy_makes_https_visible(app):
    from intake import security

    app.config["TRUSTED_PROXIES"] = 1
    security.register(app)
    response = app.test_client().get(
        "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert "Strict-Transport-Security" in response.headers


def test_untrusted_forwarded_headers_are_ignored(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_a_host_not_allowed_is_refused_not_reflected(app, client):
    """A Host header naming another site must never end up in a link or a redirect."""
    app.config["TRUSTED_HOSTS"] = ["intake.clinic.example"]
    refused = client.get("/staff/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "evil.example" not in refused.headers.get("Location", "")
    assert "evil.example" not in refused.get_data(as_text=True)
    allowed = client.get("/staff/", headers={"Host": "intake.clinic.example"})
    assert allowed.status_code == 302
    assert allowed.location.startswith("/staff/login")
