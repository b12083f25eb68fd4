"""How wrong passwords are slowed: by account and address, never a long lock of the account.

- **One account from one address**: five tries in 15 minutes, counted before the password is
  checked (so a burst sent at once is capped too) and forgotten at a success.
- **One account from anywhere**: after more than five wrong passwords in a row, each further
  try waits 1, 2, 4 … seconds, at most a minute, since the last wrong one. A guesser spread
  over many addresses gets about one try a minute; nobody is locked out for long.
- **A browser that logged in to the account before** (a signed cookie set at each login) is
  not slowed by failures elsewhere: the real user at their desk gets in during an attack.

Everything is counted by the typed email, whether or not an account has it, so the answers
do not tell which emails are accounts. The counts live in the rate-limit storage (the
database or Redis), shared by every worker.
"""

import time
from dataclasses import dataclass

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake.accounts import normalise_email
from intake.extensions import limiter

TRIES_PER_ADDRESS = 5
ADDRESS_WINDOW_SECONDS = 15 * 60
FREE_FAILURES = 5  # wrong passwords in a row with no wait after them
MAX_DELAY_SECONDS = 60
FAILURES_WINDOW_SECONDS = 24 * 3600
DEVICE_COOKIE = "intake_staff_device"
DEVICE_COOKIE_DAYS = 90


@dataclass(frozen=True)
class Refusal:
    """A try refused before its password was checked: why, and for how long."""

    outcome: str  # the audit event's outcome
    seconds: int

    @property
    def message(self) -> str:
        """What the login page says."""
        if self.outcome == TOO_MANY_HERE:
            minutes = max(1, round(self.seconds / 60))
            return (
                "Too many tries for this email from this computer. Please wait "
                f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an admin to reset "
                "the password."
            )
        return (
            "There were many wrong passwords for this email lately, so each try now waits a "
            f"little. Please try again in {self.seconds} second{'s' if self.seconds != 1 else ''}."
        )


TOO_MANY_HERE = "too_many_here"
SLOWED = "slowed"


def _storage():
    return limiter.limiter.storage  # the fallback's memory while Redis is away


def _key(kind: str, email: str, address: str = "") -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return f"{prefix}intake-login/{kind}/{normalise_email(email)}/{address}"


def _address() -> str:
    return request.remote_addr or ""


def delay_after(failures: int) -> int:
    """Seconds each try waits after this many wrong passwords in a row."""
    if failures <= FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_SECONDS)


def _here_key(email: str) -> str:
    """This address's count for the email. An admin's "lift the wait" moves every address
    of the email to a new count (the generation in the key), since addresses are not listed."""
    generation = _storage().get(_key("generation", email))
    return _key("here", email, f"{generation}/{_address()}")


def before_password(email: str) -> Refusal | None:
    """Count this try; a Refusal if it must not be checked."""
    try:
        storage, now = _storage(), time.time()
        if not is_known_device(email):
            wait_key = _key("wait", email)
            if storage.get(wait_key) > 0:
                return Refusal(SLOWED, max(1, round(storage.get_expiry(wait_key) - now)))
        here = _here_key(email)
        if storage.incr(here, ADDRESS_WINDOW_SECONDS) > TRIES_PER_ADDRESS:
            return Refusal(TOO_MANY_HERE, max(1, round(storage.get_expiry(here) - now)))
    except Exception:  # the storage is away: as Flask-Limiter does, let the login go on
        current_app.logger.warning("Login limits not counted: storage unreachable", exc_info=True)
    return None


def after_wrong_password(email: str) -> None:
    """One more wrong password in a row for this email: the next try may have to wait."""
    try:
        storage = _storage()
        failures = storage.incr(_key("failures", email), FAILURES_WINDOW_SECONDS)
        delay = delay_after(failures)
        if delay:
            wait_key = _key("wait", email)
            storage.clear(wait_key)
            storage.incr(wait_key, delay)
    except Exception:
        current_app.logger.warning("Login failure not counted: storage unreachable", exc_info=True)


def after_right_password(email: str) -> None:
    """A right password ends the run of wrong ones, here and everywhere."""
    try:
        storage = _storage()
        for key in (_here_key(email), _key("failures", email), _key("wait", email)):
            storage.clear(key)
    except Exception:
        current_app.logger.warning("Login limits not cleared: storage unreachable", exc_info=True)


def forget_failures(email: str) -> None:
    """An admin lifts the wait for an account at once, from every address."""
    storage = _storage()
    for key in (_key("failures", email), _key("wait", email)):
        storage.clear(key)
    storage.incr(_key("generation", email), FAILURES_WINDOW_SECONDS)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="intake staff device")


def is_known_device(email: str) -> bool:
    """Whether this browser logged in to the account with this email before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return False
    try:
        known = _serializer().loads(raw, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadSignature:
        return False
    return isinstance(known, str) and known == normalise_email(email)


def known_device_posting() -> bool:
    """Flask-Limiter's exemption: a login post from a browser known to the typed account."""
    return is_known_device(request.form.get("email", ""))


def remember_device(email: str) -> None:
    """Mark this browser as one the account logs in from (on the response being made)."""
    value = _serializer().dumps(normalise_email(email))

    @after_this_request
    def _set(response: Response) -> Response:
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            path="/staff/",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
