"""`flask intake create-staff`: argon2id, password rules, no silent changes."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, StaffRole, StaffUser

PASSWORD = "a long enough passphrase"


def _staff(app):
    with app.app_context():
        return db.session.scalars(select(StaffUser)).all()


def test_create_staff_prompts_twice_and_hashes_with_argon2id(app, runner):
    result = runner.invoke(
        args=["intake", "create-staff", "Nurse@Example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created front desk account nurse@example.org" in result.output
    (user,) = _staff(app)
    assert user.email == "nurse@example.org"
    assert user.role == StaffRole.FRONT_DESK
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.actor_type) == ("staff.create", "cli")


def test_create_admin_from_stdin(app, runner):
    result = runner.invoke(
        args=["intake", "create-staff", "boss@example.org", "--admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    (user,) = _staff(app)
    assert user.role == StaffRole.ADMIN


def test_mismatched_confirmation_is_asked_again(app, runner):
    result = runner.invoke(
        args=["intake", "create-staff", "a@example.org"],
        input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()


def test_short_password_is_refused(app, runner):
    result = runner.invoke(
        args=["intake", "create-staff", "a@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert _staff(app) == []


def test_existing_email_changes_nothing(app, runner):
    args = ["intake", "create-staff", "a@example.org", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    (before,) = _staff(app)
    result = runner.invoke(
        args=[*args[:2], "A@EXAMPLE.ORG", *args[3:], "--admin"], input="another password!\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    (after,) = _staff(app)
    assert (after.password_hash, after.role) == (before.password_hash, before.role)


@pytest.mark.parametrize("email", ["a@b@example.org", "front desk@example.org", "desk@", "@x.org"])
def test_create_staff_refuses_what_is_not_an_email_address(app, runner, email):
    result = runner.invoke(
        args=["intake", "create-staff", email, "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code != 0
    assert "is not an email address" in result.output
    assert _staff(app) == []


def test_create_a_therapist_with_the_name_and_credentials_they_sign_with(app, runner):
    result = runner.invoke(
        args=[
            "intake",
            "create-staff",
            "dana@example.org",
            "--role",
            "therapist",
            "--name",
            "  Dana   Reyes ",
            "--credentials",
            "PT, DPT, Cert. DN",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created therapist account dana@example.org" in result.output
    (user,) = _staff(app)
    assert (user.role, user.display_name, user.credentials) == (
        StaffRole.THERAPIST,
        "Dana Reyes",
        "PT, DPT, Cert. DN",
    )


def test_admin_and_role_must_agree(app, runner):
    result = runner.invoke(
        args=["intake", "create-staff", "x@example.org", "--admin", "--role", "front-desk"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code != 0
    assert "--admin and --role say different things" in result.output
    assert _staff(app) == []
