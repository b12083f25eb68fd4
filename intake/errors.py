"""Plain error pages in the site layout: no stack trace, no patient data."""

from flask import Flask, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from intake.translation import N_

# Marked for the catalogue: a patient page translates them as it draws them.
MESSAGES = {
    400: (N_("Something went wrong with that request"), N_("Please go back and try again.")),
    403: (N_("Not allowed"), N_("Your account cannot open this page.")),
    404: (N_("Page not found"), N_("The page you asked for does not exist.")),
    405: (N_("Not allowed"), N_("That action cannot be done on this page.")),
    413: (
        N_("That was too large to send"),
        N_(
            "Please go back, shorten what you typed or draw the signature again, and try once more."
        ),
    ),
    429: (N_("Too many attempts"), N_("Please wait a minute and try again.")),
    500: (
        N_("Something went wrong on our side"),
        N_("Nothing you entered has been shared. Please tell the front desk."),
    ),
    503: (
        N_("Intake is not available right now"),
        N_("Please tell the front desk. Nothing you entered has been shared."),
    ),
}


def register(app: Flask) -> None:
    """Route every HTTP error, and any unexpected exception, to the error page."""
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(DBAPIError, render_database_unavailable)
    app.register_error_handler(Exception, render_unexpected_error)


def render_database_unavailable(error: DBAPIError):
    """The database is down or unreachable: a calm 503, and nothing half-written is kept."""
    from flask import current_app

    from intake.extensions import db

    # Whatever the request had started is abandoned; a transaction is all or nothing.
    try:
        db.session.rollback()
    except DBAPIError:
        pass
    if error.connection_invalidated or isinstance(error, (OperationalError, InterfaceError)):
        current_app.logger.error("Database unavailable: %s", error.orig)
        return render_http_error(ServiceUnavailable(retry_after=30))
    return render_unexpected_error(error)


def render_http_error(error: HTTPException):
    """Render a known HTTP error with the clinic's wording."""
    if isinstance(error, SecurityError):
        # A Host outside INTAKE_ALLOWED_HOSTS: no URL can be built for it, and none is.
        return "This site does not answer to that host name.", 400, {"Content-Type": "text/plain"}
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, "Please go back and try again."))
    response = render_error_page(code, title, message)
    headers = error.get_response().headers
    extra = {k: v for k, v in headers.items() if k in ("Allow", "Retry-After")}
    return response, code, extra


def render_unexpected_error(error: Exception):
    """Log the exception, answer a plain 500."""
    from flask import current_app

    current_app.logger.exception("Unhandled exception", exc_info=error)
    return render_http_error(InternalServerError())


def render_error_page(code: int, title: str, message: str) -> str:
    """The error page in the layout of its side. Staff pages lead back to today's intakes. A
    patient page keeps the tablet's inactivity guard while the tablet holds a draft, so that
    what a patient typed before an error is still cleared when they walk away; the draft's
    cookie says so without asking the database, which may be what failed."""
    from intake import drafts
    from intake.kiosk.steps import kiosk_settings

    if request.path == "/staff" or request.path.startswith("/staff/"):
        return render_template("errors/error.html", code=code, title=title, message=message)
    return render_template(
        "errors/patient_error.html",
        code=code,
        title=title,
        message=message,
        draft_active=drafts.token_from(request) is not None,
        **kiosk_settings(),
    )
