"""The therapist's part of a dry-needling consent, after the patient signed it.

A therapist records the conversation ("confirmed": discussed, questions answered, the patient
agrees; or "declined") and a later withdrawal. Each is a ConsentDecision row, kept for good,
and an addendum chart document (PDF/A, like the intake's) that names the SHA-256 of the
intake PDF it refers to; the intake PDF itself is never touched. `lapse` says when a consent
is no longer in force and the patient must sign again.
"""

from intake.consent_status.addenda import render_addendum, render_pending_addenda
from intake.consent_status.decisions import (
    ConsentError,
    confirm_consent,
    decisions_of,
    decline_consent,
    default_care_plan_end,
    withdraw_consent,
)
from intake.consent_status.lapse import lapse_reason

__all__ = [
    "ConsentError",
    "confirm_consent",
    "decisions_of",
    "decline_consent",
    "default_care_plan_end",
    "lapse_reason",
    "render_addendum",
    "render_pending_addenda",
    "withdraw_consent",
]
