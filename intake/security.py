"""Security headers on every response, and no caching of anything that may hold patient data."""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: every script and stylesheet is a file of the app's own.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "interest-cohort",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    """Add the headers in an after-request hook (small enough not to need a library).

    Behind a TLS reverse proxy, INTAKE_TRUSTED_PROXIES says how many hops to trust for the
    client address and scheme, so rate limits, audit IPs, HSTS and Secure cookies see the truth.
    """
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set the headers every response carries; patient-data responses are never stored."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # Never a Referer to another site; to this one it must go: on HTTPS, Flask-WTF refuses a
    # form post without a same-site Referer (WTF_CSRF_SSL_STRICT), and `no-referrer` would
    # make every post fail.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Pages, PDFs and CSV files may hold PHI: no browser or proxy may keep a copy, and
        # Back after the thank-you page must ask the server again.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
        headers.pop("Expires", None)
    return response
