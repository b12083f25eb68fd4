"""Settings read from INTAKE_* environment variables, validated once at start-up."""

import os
import re
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment, failing fast on a bad value."""
    env = os.environ if environ is None else environ
    intake_env = env.get("INTAKE_ENV", "development")
    if intake_env not in ENVIRONMENTS:
        allowed = ", ".join(ENVIRONMENTS)
        raise ConfigError(f"INTAKE_ENV must be one of {allowed}, not {intake_env!r}")
    production = intake_env == "production"

    timezone = env.get("INTAKE_TIMEZONE", "America/New_York")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"INTAKE_TIMEZONE {timezone!r} is not an IANA time zone (e.g. America/Chicago)"
        ) from None

    database_url = env.get("INTAKE_DATABASE_URL")
    if not database_url:
        Path(instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
        database_url = "sqlite:///" + str(Path(instance_path) / "intake.sqlite3")
    if not database_url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigError("INTAKE_DATABASE_URL must be a sqlite:// or postgresql:// URL")
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; SQLAlchemy's bare scheme means psycopg2.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    queue_url = env.get("INTAKE_QUEUE_URL") or (
        "immediate"
        if intake_env == "testing"
        else "sqlite:///" + str(Path(instance_path) / "queue.sqlite3")
    )
    if not queue_url.startswith(("immediate", "sqlite:///", "redis://", "rediss://", "unix://")):
        raise ConfigError("INTAKE_QUEUE_URL must be immediate, a sqlite:/// file or a redis:// URL")

    secret_key = env.get("INTAKE_SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("INTAKE_SECRET_KEY must be set when INTAKE_ENV=production")
        secret_key = _development_secret_key(Path(instance_path))
    elif len(secret_key) < 32:
        raise ConfigError("INTAKE_SECRET_KEY must be at least 32 characters long")

    signing = _signing_settings(env, production)
    allowed_hosts = _allowed_hosts(env, intake_env)

    return {
        "INTAKE_ENV": intake_env,
        # Flask answers 400 to a request for any other Host, so no link or redirect the app
        # makes can point at a host an attacker named (None: any, in tests only).
        "TRUSTED_HOSTS": allowed_hosts,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CLINIC_NAME": env.get("INTAKE_CLINIC_NAME", "Physical Therapy Clinic"),
        "CLINIC_TIMEZONE": timezone,
        # How a patient reaches the clinic: printed on the patient's copy and in its email.
        "CLINIC_PHONE": env.get("INTAKE_CLINIC_PHONE", "").strip(),
        "CLINIC_ADDRESS": env.get("INTAKE_CLINIC_ADDRESS", "").strip(),
        "CLINIC_EMAIL": _address(env, "INTAKE_CLINIC_EMAIL"),
        **_mail_settings(env),
        "MAX_CONTENT_LENGTH": _int(env, "INTAKE_MAX_REQUEST_BYTES", 1_000_000),
        "KIOSK_IDLE_WARNING_SECONDS": _int(env, "INTAKE_KIOSK_IDLE_WARNING_SECONDS", 240),
        "KIOSK_IDLE_RESET_SECONDS": _int(env, "INTAKE_KIOSK_IDLE_RESET_SECONDS", 60),
        "KIOSK_THANK_YOU_SECONDS": _int(env, "INTAKE_KIOSK_THANK_YOU_SECONDS", 20),
        "DRAFT_MAX_AGE_SECONDS": _int(env, "INTAKE_DRAFT_MAX_AGE_SECONDS", 2 * 3600),
        # Per-field limits keep a whole history under 50 KB; the largest part a draft can
        # hold is a valid drawn signature: up to 200,000 characters of strokes, about 240 KB
        # once its quotes are escaped inside the draft's JSON.
        "DRAFT_MAX_BYTES": _int(env, "INTAKE_DRAFT_MAX_BYTES", 384 * 1024),
        "STAFF_IDLE_TIMEOUT_SECONDS": _int(env, "INTAKE_STAFF_IDLE_TIMEOUT_SECONDS", 15 * 60),
        "STAFF_SESSION_MAX_SECONDS": _int(env, "INTAKE_STAFF_SESSION_MAX_SECONDS", 12 * 3600),
        # Staff without two-step login are sent to enrol after their password.
        "STAFF_REQUIRE_MFA": _yes(env, "INTAKE_STAFF_REQUIRE_MFA", default=production),
        "RATELIMIT_STORAGE_URI": _rate_limit_storage(env, intake_env, database_url),
        # Redis away: count in each worker's memory rather than refuse patients and staff.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # New intakes per client address: far above a waiting room's tablets behind one
        # address, far below what could fill the disk with drafts.
        "KIOSK_START_RATE_LIMIT": _rate_limit(
            env, "INTAKE_KIOSK_START_RATE_LIMIT", "30 per minute; 300 per hour"
        ),
        "TRUSTED_PROXIES": _int(env, "INTAKE_TRUSTED_PROXIES", 0, minimum=0),
        "CHART_RENDER_TIMEOUT_SECONDS": _int(env, "INTAKE_CHART_RENDER_TIMEOUT_SECONDS", 20),
        # Where signed PDFs wait for the consumer (intake.chart.queue).
        "QUEUE_URL": queue_url,
        # The dashboard warns when a PDF has waited longer than this.
        "PDF_PENDING_WARN_SECONDS": _int(env, "INTAKE_PDF_PENDING_WARN_SECONDS", 300),
        # Precautions this clinic grades as contraindications, for submissions signed from now.
        "CONTRAINDICATED_PRECAUTIONS": (
            ("blood_thinner",) if _yes(env, "INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION") else ()
        ),
        # Optional questions this clinic requires (some states require a referral for dry
        # needling); the tablet's pages and signing both read it.
        "REQUIRED_QUESTIONS": ("physician",) if _yes(env, "INTAKE_REQUIRE_REFERRAL") else (),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 0,
        **signing,
    }


def _signing_settings(env, production: bool) -> dict:
    """Where the clinic's signing key, certificate and trusted past certificates are.

    Production refuses to start without a key; elsewhere one is made in the instance folder
    on first use (intake.chart.clinic_certificate).
    """
    key_file = env.get("INTAKE_SIGNING_KEY_FILE") or None
    cert_file = env.get("INTAKE_SIGNING_CERT_FILE") or None
    trust_file = env.get("INTAKE_SIGNING_TRUST_FILE") or None
    if key_file is None:
        if production:
            raise ConfigError(
                "INTAKE_SIGNING_KEY_FILE must be set when INTAKE_ENV=production "
                "(see docs/deploying.md, Sealed chart documents)"
            )
        if cert_file is not None:
            raise ConfigError("INTAKE_SIGNING_CERT_FILE is set without INTAKE_SIGNING_KEY_FILE")
    else:
        pkcs12 = key_file.lower().endswith((".p12", ".pfx"))
        if not pkcs12 and cert_file is None:
            raise ConfigError("INTAKE_SIGNING_CERT_FILE must be set with a PEM signing key")
        for name, path in (
            ("INTAKE_SIGNING_KEY_FILE", key_file),
            ("INTAKE_SIGNING_CERT_FILE", cert_file),
            ("INTAKE_SIGNING_TRUST_FILE", trust_file),
        ):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"{name} {path!r} is not a readable file")
    timestamp_url = env.get("INTAKE_TIMESTAMP_URL") or None
    if timestamp_url is not None and not timestamp_url.startswith(("https://", "http://")):
        raise ConfigError("INTAKE_TIMESTAMP_URL must be an http(s):// URL")
    return {
        "SIGNING_KEY_FILE": key_file,
        "SIGNING_CERT_FILE": cert_file,
        "SIGNING_KEY_PASSPHRASE": env.get("INTAKE_SIGNING_KEY_PASSPHRASE") or None,
        "SIGNING_TRUST_FILE": trust_file,
        "TIMESTAMP_URL": timestamp_url,
    }


def _int(env, name: str, default: int, minimum: int = 1) -> int:
    """Read a whole-number setting of at least `minimum`."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def _yes(env, name: str, default: bool = False) -> bool:
    """Read an on/off setting: 1 is on, 0 is off, unset is the default."""
    raw = env.get(name) or ("1" if default else "0")
    if raw not in ("0", "1"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off), not {raw!r}")
    return raw == "1"


# One address, as a person types it into a mail client: no name part, no list.
_EMAIL_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def _address(env, name: str) -> str:
    """Read an optional email address setting ("" when unset)."""
    raw = (env.get(name) or "").strip()
    if raw and not _EMAIL_ADDRESS.fullmatch(raw):
        raise ConfigError(f"{name} must be one email address such as desk@example.org, not {raw!r}")
    return raw


def _mail_settings(env) -> dict:
    """The SMTP server that emails a patient their copy; no INTAKE_SMTP_HOST means no email."""
    host = (env.get("INTAKE_SMTP_HOST") or "").strip()
    ssl = _yes(env, "INTAKE_SMTP_SSL")
    if ssl and env.get("INTAKE_SMTP_STARTTLS") == "1":
        raise ConfigError("INTAKE_SMTP_SSL=1 and INTAKE_SMTP_STARTTLS=1: choose one")
    # STARTTLS unless told otherwise (the message carries a copy of a signed health
    # document); with SSL, TLS starts with the first byte and there is nothing to upgrade.
    starttls = not ssl and _yes_by_default(env, "INTAKE_SMTP_STARTTLS")
    user = env.get("INTAKE_SMTP_USER") or ""
    password = env.get("INTAKE_SMTP_PASSWORD") or ""
    mail_from = _address(env, "INTAKE_MAIL_FROM")
    port = _int(env, "INTAKE_SMTP_PORT", 465 if ssl else 587 if starttls else 25)
    if port > 65535:
        raise ConfigError("INTAKE_SMTP_PORT must be a TCP port (1 to 65535)")
    if host:
        if not mail_from:
            raise ConfigError("INTAKE_MAIL_FROM must be set when INTAKE_SMTP_HOST is")
        if bool(user) != bool(password):
            raise ConfigError("INTAKE_SMTP_USER and INTAKE_SMTP_PASSWORD go together")
        if user and not (ssl or starttls):
            raise ConfigError(
                "INTAKE_SMTP_USER needs INTAKE_SMTP_STARTTLS=1 or INTAKE_SMTP_SSL=1: "
                "the password would cross the network unencrypted"
            )
    email_copies = _yes_by_default(env, "INTAKE_PATIENT_COPY_EMAIL")
    return {
        "SMTP_HOST": host,
        "SMTP_PORT": port,
        "SMTP_SSL": ssl,
        "SMTP_STARTTLS": starttls,
        "SMTP_USER": user,
        "SMTP_PASSWORD": password,
        "SMTP_TIMEOUT_SECONDS": _int(env, "INTAKE_SMTP_TIMEOUT_SECONDS", 10),
        "MAIL_FROM": mail_from,
        # Offered only with a server to send through; a clinic may turn it off regardless.
        "PATIENT_COPY_EMAIL": bool(host) and email_copies,
    }


def _yes_by_default(env, name: str) -> bool:
    """Read an on/off setting that is on unless set to 0."""
    raw = env.get(name) or "1"
    if raw not in ("0", "1"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off), not {raw!r}")
    return raw == "1"


def _rate_limit_storage(env, intake_env: str, database_url: str) -> str:
    """Where rate limits count: `database` (the app's own, shared by every worker and host;
    the default), `redis://…`, or `memory://` (each process apart: tests only, never in
    production, where several workers would each let the whole limit through)."""
    from intake.rate_limit_storage import storage_uri

    default = "memory://" if intake_env == "testing" else "database"
    raw = env.get("INTAKE_RATELIMIT_STORAGE_URL") or default
    if raw == "database":
        return storage_uri(database_url)
    if raw.startswith("memory://") and intake_env == "production":
        raise ConfigError(
            "INTAKE_RATELIMIT_STORAGE_URL=memory:// counts in each worker's memory, so limits "
            "would not hold; use database (the default) or redis://"
        )
    if not raw.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError(
            f"INTAKE_RATELIMIT_STORAGE_URL must be database, redis://… or memory://, not {raw!r}"
        )
    return raw


def _rate_limit(env, name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        message = f"{name} must be a rate limit such as '30 per minute', not {raw!r}"
        raise ConfigError(message) from None
    return raw


_HOST_NAME = re.compile(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*")
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")


def _allowed_hosts(env, intake_env: str) -> list[str] | None:
    """INTAKE_ALLOWED_HOSTS: the host names this site answers to, comma-separated.

    Required in production; in development the machine's own names; in tests any host.
    """
    raw = env.get("INTAKE_ALLOWED_HOSTS", "").strip()
    if not raw:
        if intake_env == "production":
            raise ConfigError(
                "INTAKE_ALLOWED_HOSTS must be set when INTAKE_ENV=production "
                "(the site's host name, e.g. intake.clinic.example)"
            )
        return None if intake_env == "testing" else list(DEVELOPMENT_HOSTS)
    hosts = [host.strip().lower() for host in raw.split(",") if host.strip()]
    for host in hosts:
        if not _HOST_NAME.fullmatch(host):
            raise ConfigError(
                f"INTAKE_ALLOWED_HOSTS: {host!r} is not a host name (no scheme, port or path; "
                "a leading dot allows every subdomain)"
            )
    return hosts


def _development_secret_key(instance: Path) -> str:
    """Return the development key kept in the instance folder, creating it (mode 0600) once."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
