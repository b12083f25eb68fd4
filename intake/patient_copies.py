"""Giving a patient their copy of the consent they signed: printed at the front desk, or emailed.

The copy is made from the stored row each time (intake.chart.patient_copy) and never stored;
each copy given is an audit event with the SHA-256 of its bytes. Nothing here changes the
submission or its chart PDF: a copy that cannot be made or sent is logged and audited, and
the record stays exactly as it was.
"""

import hashlib
import logging
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from intake import audit, mail
from intake.audit import AuditAction
from intake.chart.content import ChartDataError
from intake.chart.patient_copy import LAYOUT_VERSION, clinic_contact, render_patient_copy
from intake.chart.worker import RenderError
from intake.database import begin_write
from intake.extensions import db
from intake.models import ActorType, AuditEvent, Submission
from intake.translation import N_, gettext

logger = logging.getLogger(__name__)

TARGET_TYPE = "submission"
# The attachment's file name, in the patient's language (a name, so no spaces or slashes).
ATTACHMENT_NAME = N_("signed-consent-copy.pdf")


class CopyNotMade(Exception):
    """The copy could not be rendered from the stored row; the message holds no PHI."""


class Emailed(StrEnum):
    """How a request to email the copy ended."""

    SENT = "sent"
    FAILED = "failed"  # not sent; logged and audited, the submission untouched
    ALREADY = "already"  # the tablet asked once already for this submission
    NOT_OFFERED = "not_offered"  # no email address, or this clinic sends no email


def masked_email(address: str) -> str:
    """The address as a shared screen may show it: "m•••@example.com"."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}"


def email_offered(submission: Submission) -> bool:
    """Whether the copy can be emailed: the patient gave an address, and the clinic sends email."""
    return bool(current_app.config["PATIENT_COPY_EMAIL"] and (submission.email or "").strip())


def print_copy(submission: Submission) -> bytes:
    """The copy for the front desk to print or hand over, its giving audited; or CopyNotMade."""
    public_id = submission.public_id
    db.session.rollback()  # hold no transaction while the copy renders
    try:
        pdf = _render(public_id)
    except CopyNotMade as error:
        logger.error("The patient's copy of submission %s was not made: %s", public_id, error)
        begin_write()
        audit.record(
            AuditAction.CHART_PATIENT_COPY,
            target_type=TARGET_TYPE,
            target_id=public_id,
            outcome="failure",
            detail={"error": str(error)[:300]},
        )
        db.session.commit()
        raise
    begin_write()
    audit.record(
        AuditAction.CHART_PATIENT_COPY,
        target_type=TARGET_TYPE,
        target_id=public_id,
        detail=_copy_detail(pdf),
    )
    db.session.commit()
    return pdf


def email_copy(public_id: uuid.UUID, *, once_from: ActorType | None = None) -> Emailed:
    """Email the copy to the address the patient gave; `once_from`: at most once from that
    kind of actor (the kiosk: once per submission from the tablet)."""
    begin_write()
    submission = db.session.scalar(
        select(Submission).where(Submission.public_id == public_id).with_for_update()
    )
    if submission is None or not email_offered(submission):
        db.session.rollback()
        return Emailed.NOT_OFFERED
    if once_from is not None and _asked_before(public_id, once_from):
        db.session.rollback()
        return Emailed.ALREADY
    recipient, language = submission.email.strip(), submission.language or "en"
    # Recorded before the send, so a copy on its way is on record even if this process dies.
    _record_email(public_id, "requested", {"layout": LAYOUT_VERSION}, once_from)
    db.session.commit()

    try:
        pdf = _render(public_id)
        mail.send(_message(recipient, pdf, language))
    except (CopyNotMade, mail.MailNotSent) as error:
        logger.error("The patient's copy of submission %s was not emailed: %s", public_id, error)
        failure = str(error)
    except Exception as error:
        # Whatever else went wrong, the patient gets the calm answer and the record stays.
        logger.exception("The patient's copy of submission %s was not emailed", public_id)
        db.session.rollback()
        failure = f"unexpected error: {type(error).__name__}"
    else:
        begin_write()
        _record_email(public_id, "success", _copy_detail(pdf), once_from)
        db.session.commit()
        return Emailed.SENT
    begin_write()
    _record_email(public_id, "failure", {"error": failure[:300]}, once_from)
    db.session.commit()
    return Emailed.FAILED


def _render(public_id: uuid.UUID) -> bytes:
    submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
    try:
        return render_patient_copy(submission)
    except (ChartDataError, RenderError) as error:
        raise CopyNotMade(f"copy not rendered: {error}") from None
    finally:
        db.session.rollback()


def _message(recipient: str, pdf: bytes, language: str) -> EmailMessage:
    """The email: the clinic's name and contact, and the copy attached; no name, no health
    data; in the language the patient signed in, whoever sends it."""
    with force_locale(language):
        return _message_in_locale(recipient, pdf)


def _message_in_locale(recipient: str, pdf: bytes) -> EmailMessage:
    config = current_app.config
    clinic = clinic_contact()
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = recipient
    if clinic.email:
        message["Reply-To"] = clinic.email
    message["Subject"] = gettext("Your signed consent from %(clinic)s", clinic=clinic.name)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2])
    contact = [
        line
        for line in (
            clinic.phone and gettext("Phone: %(phone)s", phone=clinic.phone),
            clinic.email and gettext("Email: %(email)s", email=clinic.email),
            clinic.address,
        )
        if line
    ]
    message.set_content(
        "\n".join(
            [
                gettext("Hello,"),
                "",
                gettext(
                    "As you asked, the copy of the consent you signed at %(clinic)s is attached "
                    "to this email as a PDF.",
                    clinic=clinic.name,
                ),
                "",
                gettext("If you have a question, please contact us:"),
                clinic.name,
                *contact,
            ]
        )
    )
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=gettext(ATTACHMENT_NAME)
    )
    return message


def _asked_before(public_id: uuid.UUID, actor: ActorType) -> bool:
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == AuditAction.CHART_PATIENT_COPY_EMAIL,
                AuditEvent.target_type == TARGET_TYPE,
                AuditEvent.target_id == str(public_id),
                AuditEvent.actor_type == actor,
            )
            .limit(1)
        )
        is not None
    )


def _record_email(
    public_id: uuid.UUID, outcome: str, detail: dict, actor: ActorType | None
) -> None:
    # The kiosk's events say kiosk even if a staff login lingers in the tablet's browser, so
    # the once-only check finds them.
    audit.record(
        AuditAction.CHART_PATIENT_COPY_EMAIL,
        target_type=TARGET_TYPE,
        target_id=public_id,
        outcome=outcome,
        actor_type=actor,
        detail=detail,
    )


def _copy_detail(pdf: bytes) -> dict:
    """What identifies the copy given: its bytes' SHA-256 and size, and the layout it used."""
    return {"sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf), "layout": LAYOUT_VERSION}
