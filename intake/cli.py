"""`flask --app wsgi intake …` commands."""

import logging
import os
import secrets
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from cryptography.hazmat.primitives import hashes
from flask.cli import AppGroup

from intake import accounts, audit, demo, two_step
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import ActorType, StaffRole

intake_cli = AppGroup("intake", help="Intake administration commands.")


@intake_cli.command("create-staff")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value.replace("_", "-") for role in StaffRole]),
    help="front-desk (the default); therapist: also records the consent conversation and "
    "withdrawals; admin: also manages staff accounts and reads the audit log.",
)
@click.option("--admin", is_flag=True, help="The same as --role admin.")
@click.option("--name", "display_name", help="The name a therapist signs with.")
@click.option("--credentials", help='A therapist\'s credentials, e.g. "PT, DPT, Cert. DN".')
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
def create_staff(
    email: str,
    role: str | None,
    admin: bool,
    display_name: str | None,
    credentials: str | None,
    password_stdin: bool,
) -> None:
    """Create a staff account for EMAIL; the password is asked for twice."""
    if admin and role not in (None, "admin"):
        raise click.UsageError("--admin and --role say different things; give one.")
    role = StaffRole.ADMIN if admin else StaffRole((role or "front-desk").replace("-", "_"))
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
    try:
        user = accounts.create_staff_user(
            email, password, role, display_name=display_name, credentials=credentials
        )
        db.session.flush()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    audit.record(
        AuditAction.STAFF_CREATE,
        target_type="staff_user",
        target_id=user.id,
        actor_type=ActorType.CLI,
        detail={"email": user.email, "role": role},
    )
    db.session.commit()
    click.echo(f"Created {role.label.lower()} account {user.email}.")


@intake_cli.command("reset-two-step")
@click.argument("email")
def reset_two_step(email: str) -> None:
    """Turn off two-step login for EMAIL (a lost phone and lost recovery codes); it sets it
    up again at its next login. Every session of the account ends."""
    begin_write()
    user = accounts.find_by_email(email)
    if user is None:
        db.session.rollback()
        raise click.ClickException(f"No staff account for {accounts.normalise_email(email)}.")
    two_step.reset(user)
    audit.record(
        AuditAction.STAFF_TWO_STEP_RESET,
        target_type="staff_user",
        target_id=user.id,
        actor_type=ActorType.CLI,
        detail={"email": user.email},
    )
    db.session.commit()
    click.echo(f"Two-step login of {user.email} is reset; it is set up again at the next login.")


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
    audit.record(
        AuditAction.DEMO_SEED, actor_type=ActorType.CLI, detail={"count": inserted, "seed": seed}
    )
    db.session.commit()
    click.echo(f"Added {inserted} fictional submissions (seed {seed}).")


@intake_cli.command("purge-drafts")
def purge_drafts() -> None:
    """Delete intakes in progress left untouched longer than INTAKE_DRAFT_MAX_AGE_SECONDS."""
    from intake import drafts

    begin_write()
    deleted = drafts.purge_expired()
    db.session.commit()
    click.echo(f"Deleted {deleted} expired draft(s).")


@intake_cli.command("render-pending")
@click.pass_context
def render_pending(ctx: click.Context) -> None:
    """Render the signed PDF of every submission that has none yet (failed or interrupted),
    and the addendum of every consent decision that has none.

    Each PDF is built from the stored submission alone; one that exists, or was stored once and
    has since been removed, is never rendered again. Exits 1 if any still fails or was removed.
    """
    from intake import chart

    rendered = failed = removed = 0
    for outcome in chart.render_pending():
        if outcome.document is not None:
            rendered += 1
            click.echo(f"Rendered the PDF of submission {outcome.submission_id}.")
        elif outcome.removed:
            removed += 1
            click.echo(f"MISSING submission {outcome.submission_id}: {outcome.error}", err=True)
        else:
            failed += 1
            reason = outcome.error or "see the application log"
            click.echo(f"FAILED submission {outcome.submission_id}: {reason}", err=True)
    from intake import consent_status

    for decision, document in consent_status.render_pending_addenda():
        about = (
            f"consent addendum {decision.public_id} of submission {decision.submission.public_id}"
        )
        if document is not None:
            rendered += 1
            click.echo(f"Rendered the {about}.")
        else:
            failed += 1
            click.echo(f"FAILED {about}: see the application log", err=True)
    if not rendered and not failed and not removed:
        click.echo("Every submission has its PDF; nothing to render.")
        return
    click.echo(f"{rendered} rendered, {failed} failed.")
    if removed:
        click.echo(
            f"{removed} signed PDF(s) stored earlier are missing and were not rendered again; "
            "a person must restore them from a backup (`flask intake verify` lists them).",
            err=True,
        )
    if failed or removed:
        ctx.exit(1)


@intake_cli.command("render-worker")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 8),
    help="Render jobs at once in this process (each has its own render process).",
)
def render_worker(workers: int) -> None:
    """Render signed PDFs from the render queue until stopped (SIGINT or SIGTERM).

    Run one per core on a host that renders (see docs/deploying.md). At start it queues every
    submission whose PDF is still pending, so nothing committed before a crash is left behind.
    """
    from flask import current_app

    from intake.chart import queue as render_queue
    from intake.chart.worker import renderer

    queue = render_queue.queue_of()
    if queue.huey.immediate:
        raise click.ClickException(
            "INTAKE_QUEUE_URL is immediate: PDFs render in the request, nothing waits in a queue."
        )
    # Huey's consumer says what it runs and retries; the render's own errors are logged too.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    renderer.start()
    queued = render_queue.sweep_pending(older_than=timedelta(0), retrying_too=True)
    click.echo(
        f"Rendering from {_queue_name(current_app.config['QUEUE_URL'])} with {workers} "
        f"worker(s); {queued} pending PDF(s) queued at start."
    )
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


def _queue_name(url: str) -> str:
    """The queue's address without a password."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}" if rest else url


@intake_cli.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.File("r", encoding="utf-8"),
    help="An anchor from `audit-anchor`: also prove nothing before it changed.",
)
@click.pass_context
def verify(ctx: click.Context, anchor_file) -> None:
    """Check every stored chart PDF (hash, seal, audit record) and the audit log's hash chain.

    Exits 1, naming each submission, if a PDF's bytes changed, it was replaced, its seal does
    not validate, or a PDF recorded as stored is missing; and naming each audit event where the
    chain breaks.
    """
    from intake import audit_chain, chart

    anchor = None
    if anchor_file is not None:
        try:
            anchor = audit_chain.Anchor.from_json(anchor_file.read())
        except ValueError as error:
            raise click.ClickException(f"{anchor_file.name}: {error}") from None
    length, breaks = audit_chain.verify_chain(anchor)
    db.session.rollback()
    result = chart.verify_documents(chain_breaks=len(breaks))
    checked, problems = result.checked, result.problems
    for problem in problems:
        click.echo(f"{problem.finding.upper()} {problem}", err=True)
    for chain_break in breaks:
        click.echo(f"CHAIN {chain_break}", err=True)
    if problems:
        submissions = len({problem.submission_id for problem in problems})
        click.echo(
            f"Checked {checked} stored documents: {len(problems)} problem(s) "
            f"in {submissions} submission(s).",
            err=True,
        )
    else:
        click.echo(
            f"Checked {checked} stored documents: every one matches its SHA-256 and the audit "
            "event that recorded it, every seal is the clinic's and intact, and every PDF "
            "recorded is stored."
        )
    if result.made_before_sealing:
        click.echo(
            f"{result.made_before_sealing} document(s) are unsealed, made before sealing "
            "began; their SHA-256 and the audit chain vouch for them."
        )
    if breaks:
        click.echo(
            f"The audit chain of {length} events breaks in {len(breaks)} place(s).", err=True
        )
    else:
        anchored = f", and reaches the anchor of {anchor.at}" if anchor and anchor.length else ""
        click.echo(f"The audit chain of {length} events is whole{anchored}.")
    if problems or breaks:
        ctx.exit(1)


@intake_cli.command("audit-anchor")
def audit_anchor() -> None:
    """Print the audit chain's head (count, time, hash) as JSON, to keep off the server.

    `flask intake verify --anchor FILE` later proves that no event up to it has changed.
    """
    from intake import audit_chain

    begin_write()
    audit.record(AuditAction.AUDIT_ANCHOR, actor_type=ActorType.CLI, actor_label=_cli_actor())
    db.session.commit()
    click.echo(audit_chain.head().to_json())


@intake_cli.group("signing-key")
def signing_key() -> None:
    """The clinic's key and certificate that seal every chart document."""


@signing_key.command("create")
@click.option(
    "--key-out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New file for the private key (PEM, readable by you only).",
)
@click.option(
    "--cert-out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="New file for the self-signed certificate (PEM).",
)
@click.option("--years", type=click.IntRange(1, 30), default=10, show_default=True)
def signing_key_create(key_out: Path, cert_out: Path, years: int) -> None:
    """Make a key and a self-signed certificate for a clinic with no certificate authority.

    Point INTAKE_SIGNING_KEY_FILE and INTAKE_SIGNING_CERT_FILE at them. Existing files are
    never overwritten (see docs/deploying.md for rotating a key).
    """
    from flask import current_app

    from intake.chart.clinic_certificate import create_signing_key

    for path in (key_out, cert_out):
        if path.exists():
            raise click.ClickException(f"{path} already exists; nothing was written.")
    certificate = create_signing_key(key_out, cert_out, current_app.config["CLINIC_NAME"], years)
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":")
    click.echo(f"Wrote {key_out} (mode 0600) and {cert_out}.")
    click.echo(f"Certificate SHA-256 fingerprint: {fingerprint}")
    click.echo(f"Valid until {certificate.not_valid_after_utc:%Y-%m-%d}.")


@intake_cli.command("export-csv")
@click.option("--new", is_flag=True, help="Every submission not yet exported, as a new batch.")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="First day (clinic time) of a date-range export, which marks nothing.",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Last day of the range, included.",
)
@click.option("--batch", "batch_id", metavar="ID", help="An earlier batch again, byte for byte.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this new file (readable by you only) instead of standard output.",
)
@click.option("--excel", is_flag=True, help="Byte-order mark and CRLF line ends, for spreadsheets.")
@click.option(
    "--raw", is_flag=True, help="No formula neutralising: for machine import, never a spreadsheet."
)
def export_csv(
    new: bool,
    start: datetime | None,
    end: datetime | None,
    batch_id: str | None,
    output: Path | None,
    excel: bool,
    raw: bool,
) -> None:
    """Export submissions as CSV for the EHR; --new (the default) marks them as exported.

    The columns are described in docs/csv-columns.md. A new batch can be written again at any
    time with --batch ID (see `export-batches`).
    """
    from intake import ehr
    from intake.ehr.downloads import write_file

    if (start is None) != (end is None):
        raise click.UsageError("--from and --to go together.")
    if new + (start is not None) + (batch_id is not None) > 1:
        raise click.UsageError("Choose one of --new, --from/--to or --batch.")
    if batch_id is not None and (excel or raw):
        raise click.UsageError("A batch is always written with the options it was made with.")
    if output is not None and output.exists():
        raise click.ClickException(f"{output} already exists; nothing was exported.")
    if output is not None and not output.parent.is_dir():
        raise click.ClickException(f"{output.parent} is not a folder; nothing was exported.")
    actor = _cli_actor()
    batch = None
    try:
        if start is None and batch_id is None and output is not None:
            batch = _new_batch_into(output, actor, excel=excel, raw=raw)
            if batch is None:
                click.echo("No new submissions to export.", err=True)
                return
        else:
            if start is not None:
                chunks = ehr.stream_range(start.date(), end.date(), actor, excel=excel, raw=raw)
            elif batch_id is not None:
                batch = ehr.find_batch(batch_id)
                if batch is None:
                    raise click.ClickException(f"No export batch has the id {batch_id}.")
                chunks = ehr.stream_batch(batch, actor, allow_raw=True)
            else:
                batch = ehr.export_new(actor, excel=excel, raw=raw)
                if batch is None:
                    click.echo("No new submissions to export.", err=True)
                    return
                chunks = ehr.stream_batch(batch, actor, allow_raw=True)
            if output is None:
                for chunk in chunks:
                    click.echo(chunk, nl=False)  # bytes go to stdout unchanged
            else:
                write_file(chunks, output)
    except (ehr.ExportError, OSError) as error:
        again = f" Batch {batch.public_id} is recorded: write it with --batch." if batch else ""
        raise click.ClickException(f"{error}{again}") from None
    if batch is not None:
        where = f" to {output}" if output else ""
        click.echo(
            f"Wrote batch {batch.public_id}: {batch.row_count} submissions, "
            f"SHA-256 {batch.sha256}{where}.",
            err=True,
        )


def _new_batch_into(path: Path, actor: str, *, excel: bool, raw: bool):
    """A new batch written into a new file in one pass, as it is hashed; the file appears
    once the batch is committed. None, and no file, when there is nothing new."""
    from intake import ehr
    from intake.ehr.downloads import new_file

    batch = None
    try:
        with new_file(path) as handle:
            batch = ehr.export_new(actor, excel=excel, raw=raw, copy_to=handle)
            if batch is None:
                raise _NothingNew
    except _NothingNew:
        return None
    except OSError as error:
        if batch is None:
            raise
        # Committed, but the file could not be finished (a full disk, say): it is not left.
        raise ehr.ExportError(
            f"{error}. Batch {batch.public_id} is recorded: write it with --batch."
        ) from None
    return batch


class _NothingNew(Exception):
    """export-csv --new -o FILE found nothing to export: the new file is not kept."""


@intake_cli.command("export-batches")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
def export_batches(limit: int) -> None:
    """List recent export batches: id, when, who, rows, format and SHA-256."""
    from intake import ehr

    for batch in ehr.recent_batches(limit):
        options = batch.options
        fmt = ", ".join(name for name in ("excel", "raw") if options.get(name)) or "plain"
        click.echo(
            f"{batch.public_id}  {batch.created_at.isoformat(timespec='seconds')}  "
            f"{batch.actor_label or '-'}  {batch.row_count} rows  {fmt}  {batch.sha256}"
        )


@intake_cli.command("csv-columns")
@click.option("--check", is_flag=True, help="Fail if docs/csv-columns.md is out of date.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print it instead of writing the file.")
def csv_columns(check: bool, to_stdout: bool) -> None:
    """Write docs/csv-columns.md, the EHR export's data dictionary, from the code."""
    from flask import current_app

    from intake.ehr.dictionary import data_dictionary

    text = data_dictionary()
    path = Path(current_app.root_path).parent / "docs" / "csv-columns.md"
    if to_stdout:
        click.echo(text, nl=False)
    elif check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise click.ClickException(
                f"{path} is out of date: run `flask --app wsgi intake csv-columns`."
            )
        click.echo(f"{path} is up to date.")
    else:
        path.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {path} ({text.count(chr(10))} lines).")


def _cli_actor() -> str:
    """Who runs a command, as the audit log names them."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (e.g. in a container)
        return f"cli:uid {os.getuid()}"
