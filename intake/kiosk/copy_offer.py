"""The thank-you page's offer to email the patient their copy: for this tablet's last
submission only, for a short while, once.

The offer lives in the signed session cookie as the submission's public id (no PHI) and an
expiry; the welcome screen and "Start" drop it, so the next patient never sees it. The server
also refuses a second email from the kiosk for the same submission (intake.patient_copies).
"""

import time
import uuid
from dataclasses import dataclass

from flask import current_app, session
from sqlalchemy import select

from intake.extensions import db
from intake.models import Submission
from intake.patient_copies import email_offered, masked_email

OFFER = "patient_copy_offer"
# After the thank-you screen would have returned to the welcome screen, a little longer for a
# tap made in its last seconds.
GRACE_SECONDS = 30


@dataclass(frozen=True)
class CopyOffer:
    """What the thank-you page may show: the masked address, never the patient's name."""

    public_id: uuid.UUID
    masked_email: str


def remember(submission: Submission) -> None:
    """Offer the copy of this just-signed submission on the thank-you page."""
    until = time.time() + current_app.config["KIOSK_THANK_YOU_SECONDS"] + GRACE_SECONDS
    session[OFFER] = {"submission": str(submission.public_id), "until": until}


def forget() -> uuid.UUID | None:
    """Drop the offer; the submission it was for, if it was still open."""
    return _open(session.pop(OFFER, None))


def end() -> bool:
    """Drop any offer, open or expired: whether a finished form had left one."""
    return session.pop(OFFER, None) is not None


def current() -> CopyOffer | None:
    """The open offer, if its submission can be emailed; None otherwise."""
    public_id = _open(session.get(OFFER))
    if public_id is None:
        return None
    submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
    offer = None
    if submission is not None and email_offered(submission):
        offer = CopyOffer(public_id, masked_email(submission.email.strip()))
    db.session.rollback()
    return offer


def _open(offer: object) -> uuid.UUID | None:
    """The submission of an offer that has not expired."""
    if not isinstance(offer, dict) or not isinstance(offer.get("until"), float | int):
        return None
    if offer["until"] < time.time():
        return None
    try:
        return uuid.UUID(str(offer.get("submission")))
    except ValueError:
        return None
