"""`flask --app wsgi intake …` commands."""

import sys

import click
from flask.cli import AppGroup

from intake import accounts, audit
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


@intake_cli.command("render-pending")
@click.pass_context
def render_pending(ctx: click.Context) -> None:
    """Render the signed PDF of every submission that has none yet (failed or interrupted).

    Each PDF is built from the stored submission alone; one that exists is never rendered
    again. Exits 1 if any still fails.
    """
    from intake import chart

    rendered = failed = 0
    for outcome in chart.render_pending():
        if outcome.document is not None:
            rendered += 1
            click.echo(f"Rendered the PDF of submission {outcome.submission_id}.")
        else:
            failed += 1
            reason = outcome.error or "see the application log"
            click.echo(f"FAILED submission {outcome.submission_id}: {reason}", err=True)
    if not rendered and not failed:
        click.echo("Every submission has its PDF; nothing to render.")
        return
    click.echo(f"{rendered} rendered, {failed} failed.")
    if failed:
        ctx.exit(1)


@intake_cli.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-hash every stored chart PDF; exit 1, naming each one whose bytes no longer match."""
    from intake import chart

    checked, mismatches = chart.verify_documents()
    for mismatch in mismatches:
        click.echo(f"MISMATCH {mismatch}", err=True)
    if mismatches:
        click.echo(
            f"{len(mismatches)} of {checked} stored documents do not match their SHA-256.",
            err=True,
        )
        ctx.exit(1)
    click.echo(f"Checked {checked} stored documents: every one matches its SHA-256.")
