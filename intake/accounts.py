"""Staff accounts: creation, password hashing (argon2id) and loading for Flask-Login."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import StaffRole, StaffUser

MIN_PASSWORD_LENGTH = 12
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


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")


def normalise_email(email: str) -> str:
    """Staff emails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def find_by_email(email: str) -> StaffUser | None:
    """The staff account with this email, if any."""
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    )


def create_staff_user(email: str, password: str, role: str = StaffRole.STAFF) -> StaffUser:
    """Add a staff account to the session; the caller commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address.")
    if role not in StaffRole.ALL:
        raise AccountError(f"Unknown role {role!r}.")
    check_password_strength(password)
    if find_by_email(email) is not None:
        raise AccountError(f"A staff account for {email} already exists; nothing was changed.")
    user = StaffUser(
        email=email,
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
        session_token=new_session_token(),
    )
    db.session.add(user)
    return user


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
