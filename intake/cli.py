"""`flask --app wsgi intake …` commands."""

import secrets
import sys

import click
from flask.cli import AppGroup

from intake import accounts, audit, demo
from intake.database import begin_write
from intake.extensions import db
from intake.models import StaffRole

intake_cli = AppGroup("intake", help="Intake administration commands.")


@intake_cli.command("create-staff")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage staff accounts and read the audit log.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
def create_staff(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a staff account for EMAIL; the password is asked for twice."""
    begin_write()
    if accounts.find_by_email(email) is not None:
        db.session.rollback()
        raise click.ClickException(
            f"A staff account for {accounts.normalise_email(email)} already exists; "
            "nothing was changed."
        )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    role = StaffRole.ADMIN if admin else StaffRole.STAFF
    try:
        user = accounts.create_staff_user(email, password, role)
        db.session.flush()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    audit.record(
        "staff.create",
        target_type="staff_user",
        target_id=user.id,
        actor_type="cli",
        detail={"email": user.email, "role": role},
    )
    db.session.commit()
    click.echo(f"Created {role} account {user.email}.")


@intake_cli.command("staff-count", hidden=True)
def staff_count() -> None:
    """Print how many staff accounts exist (used by `make run`)."""
    click.echo(accounts.staff_count())


@intake_cli.command("seed-demo")
@click.argument("count", type=click.IntRange(min=1, max=1_000_000))
@click.option("--days", default=30, show_default=True, help="Spread over this many past days.")
@click.option("--seed", type=int, help="Random seed, for reproducible data.")
def seed_demo(count: int, days: int, seed: int | None) -> None:
    """Fill the database with COUNT realistic fictional submissions (never in production)."""
    from flask import current_app

    if current_app.config["INTAKE_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run with INTAKE_ENV=production.")
    seed = secrets.randbelow(2**31) if seed is None else seed
    inserted = demo.seed_demo(count, days=days, seed=seed)
    audit.record("demo.seed", actor_type="cli", detail={"count": inserted, "seed": seed})
    db.session.commit()
    click.echo(f"Added {inserted} fictional submissions (seed {seed}).")
