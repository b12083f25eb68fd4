"""Two-step login: enrolment with a QR code made on the server, a code after the password,
recovery codes that work once, limits and audit on every code, an admin's re-enrolment path."""

import re
import time

import pyotp
import pytest
import segno
from sqlalchemy import select

from intake import accounts, two_step
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import RecoveryCode, StaffRole, StaffUser
from intake.staff import pending
from tests.conftest import signing_key_for_tests
from tests.staff_support import (
    ADMIN_EMAIL,
    STAFF_EMAIL,
    add_staff,
    audit_events,
    enrol_two_step,
    log_in,
    post_code,
    staff_user,
)
from tests.support import csrf_token


@pytest.fixture
def required(app):
    """Two-step login required, as in production."""
    app.config["STAFF_REQUIRE_MFA"] = True
    return app


def _wrong_code(secret: str) -> str:
    """A six-digit code no step near now has."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    valid = {totp.generate_otp(s) for s in range(step - 2, step + 3)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in valid)


def _logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _page_secret(html: str) -> str:
    match = re.search(r"data-secret>([A-Z2-7 ]+)<", html)
    assert match, "no key on the enrolment page"
    return match.group(1).replace(" ", "")


def test_required_two_step_sends_a_new_account_to_enrolment_after_the_password(required, client):
    staff_id = add_staff(required)
    response = log_in(client)
    assert response.status_code == 302 and response.location == "/staff/login/enrol"
    assert not _logged_in(client)  # the password alone logs nobody in

    page = client.get("/staff/login/enrol").get_data(as_text=True)
    secret = _page_secret(page)
    # The QR code is the otpauth URI of the key shown beside it, drawn as inline SVG.
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=STAFF_EMAIL, issuer_name="Riverside Physical Therapy"
    )
    assert two_step.qr_svg(uri) in page
    assert segno.make(uri, error="m").designator  # a real QR code of that URI
    assert "style=" not in two_step.qr_svg(uri)  # nothing the CSP would block
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    # The same key comes back on reload: the phone that scanned it stays right.
    assert _page_secret(client.get("/staff/login/enrol").get_data(as_text=True)) == secret

    wrong = post_code(client, _wrong_code(secret), "/staff/login/enrol")
    assert wrong.status_code == 200  # as a wrong password: the page again, with a message
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert staff_user(required, staff_id)["totp_enrolled_at"] is None

    done = post_code(client, pyotp.TOTP(secret).now(), "/staff/login/enrol")
    assert done.status_code == 200
    codes = re.findall(
        r'<li class="code">([a-z2-9]{5}-[a-z2-9]{5})</li>', done.get_data(as_text=True)
    )
    assert len(set(codes)) == 10
    assert _logged_in(client)
    row = staff_user(required, staff_id)
    assert row["totp_enrolled_at"] is not None
    # Stored encrypted under a key derived from the secret key: the database alone is not enough.
    assert secret not in row["totp_secret_encrypted"]
    with required.app_context():
        assert two_step.open_secret(row["totp_secret_encrypted"]) == secret
        required.config["SECRET_KEY"] = "another-secret-key-" + "1" * 32
        assert two_step.open_secret(row["totp_secret_encrypted"]) is None
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    logins = [(e["action"], e["outcome"]) for e in audit_events(required) if "auth." in e["action"]]
    assert logins == [
        ("auth.login", "enrol_required"),
        ("auth.two_step_enrol", "success"),
    ]


def test_an_enrolled_account_logs_in_with_the_code_of_now_once(app, client):
    staff_id = add_staff(app)
    secret = enrol_two_step(app, staff_id)
    response = log_in(client, query_string={"next": "/staff/exports"})
    assert response.status_code == 302 and response.location == "/staff/login/code"
    assert not _logged_in(client)
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page

    code = pyotp.TOTP(secret).now()
    done = post_code(client, code[:3] + " " + code[3:])  # as some apps show it
    assert done.status_code == 302 and done.location == "/staff/exports"
    assert _logged_in(client)

    # The same code again, even from another browser with the password: refused.
    other = app.test_client()
    log_in(other)
    replayed = post_code(other, code)
    assert replayed.status_code == 200
    assert "used already" in replayed.get_data(as_text=True)
    assert not _logged_in(other)
    outcomes = [e["outcome"] for e in audit_events(app, "auth.two_step_code")]
    assert outcomes == ["success", "replayed"]


def test_a_wrong_code_is_refused_and_audited(app, client):
    staff_id = add_staff(app)
    secret = enrol_two_step(app, staff_id)
    log_in(client)
    refused = post_code(client, _wrong_code(secret))
    assert refused.status_code == 200
    assert "That code is not right" in refused.get_data(as_text=True)
    assert not _logged_in(client)
    (event,) = audit_events(app, "auth.two_step_code")
    assert (event["outcome"], event["actor_id"], event["target_id"]) == (
        "wrong_code",
        staff_id,
        str(staff_id),
    )
    # The login goes on: the right code still works.
    assert post_code(client, pyotp.TOTP(secret).now()).status_code == 302


def test_a_recovery_code_works_once(app, client):
    staff_id = add_staff(app)
    with app.app_context():
        user = db.session.get(StaffUser, staff_id)
        secret = two_step.new_secret()
        codes = two_step.enrol(user, secret, pyotp.TOTP(secret).now()).recovery_codes
        db.session.commit()
    log_in(client)
    done = post_code(client, codes[3].upper(), "/staff/login/recovery")
    assert done.status_code == 302 and _logged_in(client)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})

    log_in(client)
    again = post_code(client, codes[3], "/staff/login/recovery")
    assert again.status_code == 200
    assert "used already" in again.get_data(as_text=True)
    assert not _logged_in(client)
    outcomes = [(e["outcome"], e["detail"]) for e in audit_events(app, "auth.recovery_code")]
    assert outcomes == [("success", {"left": 9}), ("replayed", {"left": 9})]


def test_code_attempts_are_limited_per_account(app):
    staff_id = add_staff(app)
    secret = enrol_two_step(app, staff_id)
    wrong = _wrong_code(secret)
    browsers = [app.test_client() for _ in range(3)]
    statuses = []
    for number in range(7):
        browser = browsers[number % 3]
        address = {"REMOTE_ADDR": f"192.0.2.{number + 1}"}
        log_in(browser, environ_base=address)
        statuses.append(post_code(browser, wrong, environ_base=address).status_code)
    # Five a minute for the account, whichever browser or address the codes come from.
    assert statuses == [200] * 5 + [429] * 2
    assert len(audit_events(app, "auth.two_step_code")) == 5


def test_the_second_step_waits_five_minutes_and_ends_with_the_sessions(app, client):
    staff_id = add_staff(app)
    secret = enrol_two_step(app, staff_id)
    log_in(client)
    with client.session_transaction() as session:
        state = session[pending.PENDING]
        session[pending.PENDING] = {**state, "at": state["at"] - pending.PENDING_SECONDS - 1}
    late = post_code(client, pyotp.TOTP(secret).now(), page="/staff/login")
    assert late.status_code == 302 and late.location == "/staff/login"
    assert not _logged_in(client)

    # An admin's "log out everywhere" (here: a password reset) between the steps ends it too.
    log_in(client)
    with app.app_context():
        db.session.get(StaffUser, staff_id).session_token = "ended"
        db.session.commit()
    ended = post_code(client, pyotp.TOTP(secret).now(), page="/staff/login")
    assert ended.location == "/staff/login"


def test_an_admin_resets_two_step_login_and_the_account_enrols_again(required, client):
    staff_id = add_staff(required)
    secret = enrol_two_step(required, staff_id)
    admin_id = add_staff(required, ADMIN_EMAIL, StaffRole.ADMIN)
    admin_secret = enrol_two_step(required, admin_id)
    log_in(client)
    post_code(client, pyotp.TOTP(secret).now())
    assert _logged_in(client)

    admin = required.test_client()
    log_in(admin, ADMIN_EMAIL)
    post_code(admin, pyotp.TOTP(admin_secret).now())
    page = admin.get("/staff/admin/accounts").get_data(as_text=True)
    assert "Reset two-step login" in page
    token = csrf_token(admin, "/staff/admin/accounts")
    admin.post(f"/staff/admin/accounts/{staff_id}/two-step/reset", data={"csrf_token": token})

    assert not _logged_in(client)  # every session of the account ended
    row = staff_user(required, staff_id)
    assert row["totp_secret_encrypted"] is None and row["totp_enrolled_at"] is None
    with required.app_context():
        assert (
            db.session.scalars(
                select(RecoveryCode).where(RecoveryCode.staff_user_id == staff_id)
            ).all()
            == []
        )
    assert log_in(client).location == "/staff/login/enrol"
    (event,) = audit_events(required, "staff.two_step_reset")
    assert event["actor_id"] == admin_id and event["target_id"] == str(staff_id)


def test_the_command_line_resets_two_step_login(app, runner):
    staff_id = add_staff(app)
    enrol_two_step(app, staff_id)
    result = runner.invoke(args=["intake", "reset-two-step", STAFF_EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert staff_user(app, staff_id)["totp_enrolled_at"] is None
    assert audit_events(app, "staff.two_step_reset")[0]["actor_type"] == "cli"
    missing = runner.invoke(args=["intake", "reset-two-step", "nobody@example.org"])
    assert missing.exit_code == 1 and "No staff account" in missing.output


def test_staff_turn_it_on_themselves_and_make_new_recovery_codes(app, client):
    staff_id = add_staff(app)
    log_in(client)  # not required here: the password logs in
    assert _logged_in(client)
    assert "Set up two-step login" in client.get("/staff/account").get_data(as_text=True)
    secret = _page_secret(client.get("/staff/account/two-step").get_data(as_text=True))
    first = post_code(client, pyotp.TOTP(secret).now(), "/staff/account/two-step")
    assert first.status_code == 200 and "Your recovery codes" in first.get_data(as_text=True)
    assert staff_user(app, staff_id)["totp_enrolled_at"] is not None
    account = client.get("/staff/account").get_data(as_text=True)
    assert "10 of your recovery codes are left" in account

    refused = post_code(
        client, _wrong_code(secret), "/staff/account/recovery-codes", "/staff/account"
    )
    assert refused.status_code == 302
    later = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: not the one used
    made = post_code(client, later, "/staff/account/recovery-codes", "/staff/account")
    assert made.status_code == 200
    new_codes = re.findall(r'<li class="code">([a-z2-9-]+)</li>', made.get_data(as_text=True))
    assert len(new_codes) == 10
    outcomes = [e["outcome"] for e in audit_events(app, "auth.recovery_codes_new")]
    assert outcomes == ["wrong_code", "success"]


def test_the_second_step_pages_need_a_password_first(app, client):
    for path in ("/staff/login/code", "/staff/login/recovery", "/staff/login/enrol"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/staff/login"


@pytest.mark.backends("sqlite")
def test_required_by_default_in_production_only(tmp_path):
    key = {"INTAKE_SECRET_KEY": "k" * 40}
    signing_key, signing_cert = signing_key_for_tests()  # production needs one
    production = {
        **key,
        "INTAKE_ENV": "production",
        "INTAKE_ALLOWED_HOSTS": "intake.example",
        "INTAKE_SIGNING_KEY_FILE": str(signing_key),
        "INTAKE_SIGNING_CERT_FILE": str(signing_cert),
    }
    assert load_config(str(tmp_path), production)["STAFF_REQUIRE_MFA"] is True
    assert (
        load_config(str(tmp_path), {**key, "INTAKE_ENV": "testing"})["STAFF_REQUIRE_MFA"] is False
    )
    assert load_config(str(tmp_path), key)["STAFF_REQUIRE_MFA"] is False
    off = {**production, "INTAKE_STAFF_REQUIRE_MFA": "0"}
    assert load_config(str(tmp_path), off)["STAFF_REQUIRE_MFA"] is False
    with pytest.raises(ConfigError, match="INTAKE_STAFF_REQUIRE_MFA"):
        load_config(str(tmp_path), {**key, "INTAKE_STAFF_REQUIRE_MFA": "yes"})


def test_a_password_reset_gives_the_real_user_fresh_code_tries(app):
    staff_id = add_staff(app)
    secret = enrol_two_step(app, staff_id)
    guesser = app.test_client()
    log_in(guesser)  # someone who has the password
    for _ in range(5):
        post_code(guesser, _wrong_code(secret))
    assert post_code(guesser, _wrong_code(secret)).status_code == 429
    with app.app_context():
        accounts.set_password(db.session.get(StaffUser, staff_id), "lantern orbit pickle fjord")
        db.session.commit()
    owner = app.test_client()
    log_in(owner, password="lantern orbit pickle fjord")
    assert post_code(owner, pyotp.TOTP(secret).now()).status_code == 302
