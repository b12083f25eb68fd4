"""Settings come from the environment and a bad one stops start-up with one clear line."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from intake.config import ConfigError, load_config
from tests.conftest import signing_key_for_tests

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 40


def test_defaults_use_sqlite_in_instance_folder(tmp_path):
    config = load_config(str(tmp_path), {"INTAKE_SECRET_KEY": KEY})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'intake.sqlite3'}"
    assert config["CLINIC_TIMEZONE"]
    assert config["SESSION_COOKIE_SECURE"] is False


def test_development_secret_key_is_generated_once_with_private_mode(tmp_path):
    first = load_config(str(tmp_path), {})["SECRET_KEY"]
    second = load_config(str(tmp_path), {})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="INTAKE_SECRET_KEY"):
        load_config(str(tmp_path), {"INTAKE_ENV": "production"})
    assert not (tmp_path / "secret_key").exists()


PRODUCTION = {
    "INTAKE_ENV": "production",
    "INTAKE_SECRET_KEY": KEY,
    "INTAKE_ALLOWED_HOSTS": "intake.clinic.example",
    # Production refuses to start without the clinic's signing key.
    "INTAKE_SIGNING_KEY_FILE": str(signing_key_for_tests()[0]),
    "INTAKE_SIGNING_CERT_FILE": str(signing_key_for_tests()[1]),
}


def test_production_cookies_are_secure(tmp_path):
    config = load_config(str(tmp_path), PRODUCTION)
    assert config["SESSION_COOKIE_SECURE"] is True


def test_production_requires_the_hosts_it_answers_to(tmp_path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "INTAKE_ALLOWED_HOSTS"}
    with pytest.raises(ConfigError, match="INTAKE_ALLOWED_HOSTS"):
        load_config(str(tmp_path), environ)
    environ["INTAKE_ALLOWED_HOSTS"] = " Intake.Clinic.Example, .tablets.clinic.example "
    config = load_config(str(tmp_path), environ)
    assert config["TRUSTED_HOSTS"] == ["intake.clinic.example", ".tablets.clinic.example"]


def test_development_answers_to_the_machine_itself_and_tests_to_any_host(tmp_path):
    assert load_config(str(tmp_path), {"INTAKE_SECRET_KEY": KEY})["TRUSTED_HOSTS"] == [
        "localhost",
        "127.0.0.1",
    ]
    testing = {"INTAKE_SECRET_KEY": KEY, "INTAKE_ENV": "testing"}
    assert load_config(str(tmp_path), testing)["TRUSTED_HOSTS"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTAKE_TIMEZONE", "Mars/Olympus_Mons"),
        ("INTAKE_ENV", "staging"),
        ("INTAKE_DATABASE_URL", "mysql://localhost/intake"),
        ("INTAKE_SECRET_KEY", "short"),
        ("INTAKE_DRAFT_MAX_AGE_SECONDS", "soon"),
        ("INTAKE_KIOSK_START_RATE_LIMIT", "lots per day"),
        ("INTAKE_ALLOWED_HOSTS", "https://intake.clinic.example/"),
        ("INTAKE_RATELIMIT_STORAGE_URL", "memcached://localhost"),
    ],
)
def test_bad_setting_names_itself(tmp_path, name, value):
    environ = {"INTAKE_SECRET_KEY": KEY, name: value}
    with pytest.raises(ConfigError, match=name):
        load_config(str(tmp_path), environ)


def test_postgresql_url_uses_psycopg3(tmp_path):
    environ = {"INTAKE_SECRET_KEY": KEY, "INTAKE_DATABASE_URL": "postgresql://db/intake"}
    url = load_config(str(tmp_path), environ)["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://db/intake"


def test_wsgi_start_up_fails_with_one_line_naming_the_setting(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "INTAKE_SECRET_KEY": KEY,
        "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "INTAKE_TIMEZONE": "Nowhere/Special",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "INTAKE_TIMEZONE" in lines[0]


SMTP = {"INTAKE_SECRET_KEY": KEY, "INTAKE_SMTP_HOST": "mail.example.org"}


def test_email_copies_are_off_without_an_smtp_server(tmp_path):
    config = load_config(str(tmp_path), {"INTAKE_SECRET_KEY": KEY})
    assert config["PATIENT_COPY_EMAIL"] is False and config["SMTP_HOST"] == ""


def test_an_smtp_server_uses_starttls_on_587_unless_told_otherwise(tmp_path):
    config = load_config(str(tmp_path), {**SMTP, "INTAKE_MAIL_FROM": "desk@example.org"})
    assert config["PATIENT_COPY_EMAIL"] is True
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == (587, True, False)
    ssl = load_config(
        str(tmp_path), {**SMTP, "INTAKE_MAIL_FROM": "desk@example.org", "INTAKE_SMTP_SSL": "1"}
    )
    assert (ssl["SMTP_PORT"], ssl["SMTP_STARTTLS"], ssl["SMTP_SSL"]) == (465, False, True)


def test_a_clinic_can_turn_email_copies_off(tmp_path):
    environ = {**SMTP, "INTAKE_MAIL_FROM": "desk@example.org", "INTAKE_PATIENT_COPY_EMAIL": "0"}
    assert load_config(str(tmp_path), environ)["PATIENT_COPY_EMAIL"] is False


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "INTAKE_MAIL_FROM"),
        ({"INTAKE_MAIL_FROM": "Front desk"}, "INTAKE_MAIL_FROM"),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_SMTP_PORT": "70000"}, "INTAKE_SMTP_PORT"),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_SMTP_PORT": "smtp"}, "INTAKE_SMTP_PORT"),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_SMTP_SSL": "yes"}, "INTAKE_SMTP_SSL"),
        (
            {
                "INTAKE_MAIL_FROM": "a@example.org",
                "INTAKE_SMTP_SSL": "1",
                "INTAKE_SMTP_STARTTLS": "1",
            },
            "INTAKE_SMTP_SSL",
        ),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_SMTP_USER": "desk"}, "INTAKE_SMTP_USER"),
        (
            {
                "INTAKE_MAIL_FROM": "a@example.org",
                "INTAKE_SMTP_STARTTLS": "0",
                "INTAKE_SMTP_USER": "desk",
                "INTAKE_SMTP_PASSWORD": "secret",
            },
            "unencrypted",
        ),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_CLINIC_EMAIL": "x"}, "INTAKE_CLINIC_EMAIL"),
        ({"INTAKE_MAIL_FROM": "a@example.org", "INTAKE_PATIENT_COPY_EMAIL": "on"}, "COPY_EMAIL"),
    ],
)
def test_smtp_settings_that_make_no_sense_stop_start_up(tmp_path, environ, named):
    with pytest.raises(ConfigError, match=named):
        load_config(str(tmp_path), {**SMTP, **environ})


def test_rate_limits_count_in_the_database_unless_told_otherwise(tmp_path):
    config = load_config(str(tmp_path), PRODUCTION)
    database = config["SQLALCHEMY_DATABASE_URI"]
    assert config["RATELIMIT_STORAGE_URI"] == "intake-db+" + database
    development = load_config(str(tmp_path), {"INTAKE_SECRET_KEY": KEY})
    assert development["RATELIMIT_STORAGE_URI"].startswith("intake-db+sqlite:///")
    redis = {**PRODUCTION, "INTAKE_RATELIMIT_STORAGE_URL": "redis://redis.internal:6379/0"}
    assert load_config(str(tmp_path), redis)["RATELIMIT_STORAGE_URI"].startswith("redis://")


def test_production_refuses_to_count_limits_in_each_workers_memory(tmp_path):
    environ = {**PRODUCTION, "INTAKE_RATELIMIT_STORAGE_URL": "memory://"}
    with pytest.raises(ConfigError, match="INTAKE_RATELIMIT_STORAGE_URL"):
        load_config(str(tmp_path), environ)


def test_a_web_worker_loads_the_heavy_libraries_only_once_it_needs_them(tmp_path):
    # WeasyPrint (the render process's), pyHanko (sealing), Huey and Redis's client (the
    # queue) and zxcvbn (setting a password) together take some 70 MB per process.
    script = """
import sys
from flask_migrate import upgrade
import wsgi
with wsgi.app.app_context():
    upgrade()
client = wsgi.app.test_client()
assert client.get("/").status_code == 200
assert client.get("/staff/login").status_code == 200
heavy = ("weasyprint", "pyhanko", "huey", "redis", "zxcvbn")
print(" ".join(name for name in heavy if name in sys.modules))
"""
    env = {
        "PATH": os.environ["PATH"],
        "INTAKE_ENV": "development",
        "INTAKE_SECRET_KEY": KEY,
        "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
