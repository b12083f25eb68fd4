"""The tablet's name ("Front desk 1"): set once from the staff side, carried in a signed cookie.

The cookie holds the name and nothing else; each submission signed on that tablet records it
as evidence of where it was signed.
"""

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "intake_tablet"
MAX_AGE_SECONDS = 5 * 365 * 24 * 3600
MAX_LABEL_LENGTH = 80


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="intake.tablet-label")


def read_tablet_label(request: Request) -> str | None:
    """The name of the tablet making this request, if staff has named it."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        label = _serializer().loads(raw)
    except BadSignature:
        return None
    return label if isinstance(label, str) and 0 < len(label) <= MAX_LABEL_LENGTH else None


def set_tablet_label(response: Response, label: str) -> None:
    """Name this tablet: a signed, long-lived, HttpOnly cookie holding only the name."""
    label = " ".join(label.split())
    if not 0 < len(label) <= MAX_LABEL_LENGTH:
        raise ValueError(f"A tablet name has 1 to {MAX_LABEL_LENGTH} characters.")
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(label),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
