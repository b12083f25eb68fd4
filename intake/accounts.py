"""Staff accounts: creation, password hashing (argon2id) and loading for Flask-Login."""

import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import StaffRole, StaffUser

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score 0-4; 3 is "safely unguessable: moderate protection from an offline attack".
MIN_PASSWORD_SCORE = 3
ESTIMATE_LENGTH = 100
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(ValueError):
    """A staff account request that cannot be carried out; the message is for people."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(user: StaffUser, password: str) -> bool:
    """Check a password against the stored hash without raising."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str, user_inputs: Sequence[str] = ()) -> None:
    """Refuse passwords that are too short, or that an offline estimator (zxcvbn) finds easy
    to guess: repeats, sequences, common passwords and words, the person's own email."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    # Imported here: its word lists take some 12 MB, which a worker needs only once someone
    # sets a password.
    from zxcvbn import zxcvbn

    inputs = [part for value in user_inputs if value for part in _words_of(value)]
    # The estimate's cost grows with the length; what follows 100 characters only adds.
    estimate = zxcvbn(password[:ESTIMATE_LENGTH], user_inputs=inputs)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        feedback = estimate["feedback"]
        hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
        advice = " ".join(hint for hint in hints if hint)
        raise AccountError(
            f"This password is too easy to guess. {advice} "
            "Three or four unrelated words make a strong one."
        )


def _words_of(value: str) -> list[str]:
    """An email or name and its parts, as words a guesser would try first."""
    value = value.lower()
    return [value, *re.split(r"[@.\-_+ ]+", value)]


def normalise_email(email: str) -> str:
    """Staff emails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def find_by_email(email: str) -> StaffUser | None:
    """The staff account with this email, if any."""
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    )


def create_staff_user(
    email: str,
    password: str,
    role: str = StaffRole.FRONT_DESK,
    *,
    display_name: str | None = None,
    credentials: str | None = None,
) -> StaffUser:
    """Add a staff account to the session; the caller commits."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(f"{email!r} is not an email address: {error}") from None
    if role not in set(StaffRole):
        raise AccountError(f"Unknown role {role!r}.")
    check_password_strength(password, [email])
    if find_by_email(email) is not None:
        raise AccountError(f"A staff account for {email} already exists; nothing was changed.")
    user = StaffUser(
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=_signing_text(display_name, MAX_DISPLAY_NAME, "name"),
        credentials=_signing_text(credentials, MAX_CREDENTIALS, "credentials"),
        active=True,
        failed_logins=0,
        session_token=new_session_token(),
    )
    db.session.add(user)
    return user


MAX_DISPLAY_NAME = 120  # StaffUser.display_name
MAX_CREDENTIALS = 80  # StaffUser.credentials


def set_signing_name(user: StaffUser, display_name: str | None, credentials: str | None) -> None:
    """Set the name and credentials the account signs consent addenda with."""
    user.display_name = _signing_text(display_name, MAX_DISPLAY_NAME, "name")
    user.credentials = _signing_text(credentials, MAX_CREDENTIALS, "credentials")


def _signing_text(value: str | None, limit: int, what: str) -> str | None:
    """Spaces collapsed, control characters refused, None when empty."""
    text = " ".join((value or "").split())
    if any(unicodedata.category(char)[0] == "C" for char in text):
        raise AccountError(f"The {what} may hold letters, digits and punctuation only.")
    if len(text) > limit:
        raise AccountError(f"The {what} may be at most {limit} characters long.")
    return text or None


def new_session_token() -> str:
    """A fresh value that invalidates every session of the account holding the old one."""
    return secrets.token_hex(16)


def load_user(user_id: str) -> StaffUser | None:
    """Flask-Login loader: the id carries the session token, so a changed token logs out."""
    account_id, _, token = user_id.partition(":")
    if not account_id.isdigit() or not token:
        return None
    user = db.session.get(StaffUser, int(account_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def staff_count() -> int:
    """How many staff accounts exist."""
    return db.session.scalar(select(func.count()).select_from(StaffUser))


# Logging in, and the changes made to an account afterwards. Callers start a write
# transaction (`begin_write()`) first, record the audit event and commit. Wrong passwords are
# slowed by intake.login_limits (by account and address), never by locking the account.


class LoginOutcome:
    """How a login attempt ended; also the outcome of its audit event."""

    SUCCESS = "success"
    BAD_CREDENTIALS = "bad_credentials"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginAttempt:
    """What `authenticate` found: the account (when the email matched) and the outcome."""

    user: StaffUser | None
    outcome: str

    @property
    def succeeded(self) -> bool:
        """Whether the person may be logged in."""
        return self.outcome == LoginOutcome.SUCCESS


@cache
def _decoy_hash() -> str:
    """A hash to check against when no account matches, so that case takes as long."""
    return _hasher.hash(secrets.token_hex(16))


def authenticate(email: str, password: str, now: datetime | None = None) -> LoginAttempt:
    """Check an email and password, counting the account's wrong passwords in a row.

    A password is checked in every case, so the time taken does not tell whether the email
    belongs to an account.
    """
    now = now or datetime.now(UTC)
    user = db.session.scalar(
        select(StaffUser)
        .where(func.lower(StaffUser.email) == normalise_email(email))
        .with_for_update()
    )
    if user is None:
        _verify_decoy(password)
        return LoginAttempt(None, LoginOutcome.BAD_CREDENTIALS)
    password_ok = verify_password(user, password)
    if not user.active:
        return LoginAttempt(user, LoginOutcome.INACTIVE)
    if not password_ok:
        user.failed_logins += 1
        return LoginAttempt(user, LoginOutcome.BAD_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginAttempt(user, LoginOutcome.SUCCESS)


def _verify_decoy(password: str) -> None:
    """Spend the time a real check would take."""
    try:
        _hasher.verify(_decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        pass


def end_all_sessions(user: StaffUser) -> None:
    """Log the account out everywhere: sessions carrying the old token stop working."""
    user.session_token = new_session_token()


def set_password(user: StaffUser, password: str) -> None:
    """Give the account a new password, forget its wrong ones and end its sessions."""
    check_password_strength(password, [user.email])
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user)


def unlock(user: StaffUser) -> None:
    """Forget the account's wrong passwords in a row (intake.login_limits keeps the wait)."""
    user.failed_logins = 0
    user.locked_until = None


def set_active(user: StaffUser, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    user.active = active
    if not active:
        end_all_sessions(user)


def all_staff() -> list[StaffUser]:
    """Every staff account, by email."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))
