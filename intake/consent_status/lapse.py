"""When a consent is no longer in force: a new version, or the end of the plan of care."""

from datetime import date, datetime
from typing import Protocol

from intake import clock, consents
from intake.consent_status.decisions import default_care_plan_end
from intake.models import ConsentState, Submission


class ConsentStanding(Protocol):
    """What a lapse is decided from: a Submission, or a row of its columns."""

    consent_state: str
    consent_document: str
    consent_version: str
    consent_ends_on: date | None
    signed_at: datetime


def lapse_reason(
    submission: Submission | ConsentStanding,
    today: date | None = None,
    *,
    in_effect: str | None = None,
) -> str | None:
    """Why the patient must sign a new consent before dry needling, or None while in force.

    A declined or withdrawn consent is not in force anyway, and does not lapse. `in_effect` is
    the version of the submission's consent document in effect `today`, when the caller (a
    page of many submissions) has looked it up once already.
    """
    if submission.consent_state in (ConsentState.DECLINED, ConsentState.WITHDRAWN):
        return None
    today = today or clock.clinic_today()
    if in_effect is None:
        in_effect = consents.current(submission.consent_document, today).version
    if submission.consent_version != in_effect:
        return (
            f"signed on consent version {submission.consent_version}; version "
            f"{in_effect} is in effect"
        )
    if submission.consent_state == ConsentState.CONFIRMED:
        ends = submission.consent_ends_on
        if ends is not None and ends < today:
            return f"the plan of care ended on {clock.format_date(ends)}"
        return None
    signed_on = clock.local(submission.signed_at).date()
    if default_care_plan_end(signed_on) < today:
        return "signed more than 12 months ago and never confirmed"
    return None
