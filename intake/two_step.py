"""Two-step login for staff: a TOTP code from an authenticator app after the password, or one
of ten one-time recovery codes.

What is stored, and why so:

- The TOTP secret is encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived
  from INTAKE_SECRET_KEY with HKDF. A copy of the database alone cannot make codes; the
  secret key lives in the service's environment, never in the database or its backups.
- Recovery codes are 50 random bits each (ten characters of a 32-letter alphabet), kept as
  HMAC-SHA256 under another key derived the same way. A slow password hash (argon2) exists
  for secrets people choose, which are guessable; a random 50-bit code is not, and a keyed
  hash also makes a stolen table useless without the secret key. It lets a code be found
  by its hash at once, instead of running argon2 against every stored code on each try.
- A code is accepted once: the time step of the last accepted TOTP code is kept, and an
  older or equal step is refused (checked under the account's row lock); a recovery code is
  marked used in the transaction that accepts it.

Changing INTAKE_SECRET_KEY therefore makes every enrolment unreadable: each person enrols
again (an admin resets their two-step login). Callers start a write transaction
(`begin_write()`), record the audit event and commit.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, select

from intake.accounts import end_all_sessions
from intake.extensions import db
from intake.models import RecoveryCode, StaffUser

ISSUER = "Intake"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud, typed by hand
RECOVERY_CODE_LENGTH = 10
# Codes of the step before and after the current one are accepted too: a phone's clock a
# little off, or a code typed as it changed.
VALID_WINDOW = 1


class CodeOutcome:
    """How a code was received; also the outcome of its audit event."""

    SUCCESS = "success"
    WRONG = "wrong_code"
    REPLAYED = "replayed"


def _derived_key(purpose: bytes) -> bytes:
    """32 bytes for one purpose, derived from the app's secret key."""
    secret = current_app.config["SECRET_KEY"].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key(b"intake staff totp secret")))


def new_secret() -> str:
    """A fresh TOTP secret (160 bits, base32), not yet anyone's."""
    return pyotp.random_base32(32)


def seal_secret(secret: str) -> str:
    """The secret encrypted for the database (or a session, while enrolling)."""
    return _fernet().encrypt(secret.encode()).decode()


def open_secret(sealed: str) -> str | None:
    """The secret, or None if it was sealed under another secret key (or altered)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    issuer = current_app.config.get("CLINIC_NAME") or ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element, made here (nothing leaves the server);
    plain attributes only, no style, so it stays inside the Content-Security-Policy."""
    return segno.make(uri, error="m").svg_inline(
        scale=5,
        dark="#000",
        light="#fff",
        title="QR code for your authenticator app",
        svgclass="qr-code",
        lineclass=None,
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean_code(code: str) -> str:
    return "".join(c for c in code if not c.isspace() and c != "-")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is (within the window), or None."""
    code = _clean_code(code)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.now(UTC).timestamp() if now is None else now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: StaffUser, code: str, now: float | None = None) -> str:
    """Check a code from the account's app; an accepted code is never accepted again.

    The caller holds the account's row lock (two tries of one code at once: one wins).
    """
    secret = open_secret(user.totp_secret_encrypted or "")
    step = matching_step(secret, code, now) if secret else None
    if step is None:
        return CodeOutcome.WRONG
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return CodeOutcome.REPLAYED
    user.totp_last_step = step
    return CodeOutcome.SUCCESS


def _recovery_hash(code: str) -> str:
    key = _derived_key(b"intake staff recovery code")
    normalised = _clean_code(code).lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def use_recovery_code(user: StaffUser, code: str, now: datetime | None = None) -> str:
    """Accept one of the account's unused recovery codes, once."""
    if not 6 <= len(_clean_code(code)) <= 40:
        return CodeOutcome.WRONG
    row = db.session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.staff_user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
        )
        .with_for_update()
    )
    if row is None:
        return CodeOutcome.WRONG
    if row.used_at is not None:
        return CodeOutcome.REPLAYED
    row.used_at = now or datetime.now(UTC)
    return CodeOutcome.SUCCESS


def new_recovery_codes(user: StaffUser) -> list[str]:
    """Replace the account's recovery codes with ten new ones; returns them, to show once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(staff_user_id=user.id, code_hash=_recovery_hash(raw)))
    return codes


def unused_recovery_codes(user: StaffUser) -> int:
    """How many of the account's recovery codes are left."""
    return sum(1 for code in user.recovery_codes if code.used_at is None)


@dataclass(frozen=True)
class Enrolment:
    """What enrolling showed: the recovery codes, once."""

    recovery_codes: list[str]


def enrol(user: StaffUser, secret: str, code: str, now: datetime | None = None) -> Enrolment | None:
    """Turn two-step login on with `secret` once a code from it proves the app has it.

    None if the code is wrong; the account is unchanged then.
    """
    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret_encrypted = seal_secret(secret)
    user.totp_enrolled_at = now or datetime.now(UTC)
    user.totp_last_step = step  # the code that proved it is used up
    return Enrolment(recovery_codes=new_recovery_codes(user))


def reset(user: StaffUser) -> None:
    """Turn two-step login off for an account (an admin's re-enrolment path): its secret and
    recovery codes are gone, and every session of it ends."""
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    end_all_sessions(user)
