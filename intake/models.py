"""The clinic's records: submissions, their chart documents, drafts, staff, audit and exports.

Models hold data only; services decide when to commit.
"""

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column, object_session, relationship

from intake.extensions import db
from intake.translation import N_

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zone type, so values are stored as naive UTC and made aware again
    on the way out; naive values are refused on the way in rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def one_of(table: str, column: str, vocabulary: type[StrEnum]) -> CheckConstraint:
    """A CHECK constraint that keeps a column to the values of its vocabulary."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return CheckConstraint(f"{column} IN ({values})", name=f"ck_{table}_{column}")


class SubmissionStatus(StrEnum):
    """Where a submission is in the review workflow.

    Whether it was exported is a separate fact: its export_batch_id.
    """

    SUBMITTED = "submitted"
    REVIEWED = "reviewed"

    @property
    def label(self) -> str:
        """How staff pages name it."""
        return {SubmissionStatus.SUBMITTED: "New", SubmissionStatus.REVIEWED: "Reviewed"}[self]


class PdfStatus(StrEnum):
    """Whether the signed chart PDF exists yet."""

    PENDING = "pending"
    RENDERED = "rendered"
    FAILED = "failed"


class SignatureKind(StrEnum):
    """How the consent was signed: drawn with a finger, or a typed name with intent."""

    DRAWN = "drawn"
    TYPED = "typed"


class DocumentKind(StrEnum):
    """What a chart document is: the signed intake, or a later addendum to its consent."""

    INTAKE = "intake"
    CONSENT_ADDENDUM = "consent_addendum"  # a therapist's confirmation, decline or withdrawal


class ConsentState(StrEnum):
    """Where a submission's dry-needling consent stands (after FHIR Consent's status)."""

    SIGNED = "signed"  # by the patient; no therapist has recorded the conversation yet
    CONFIRMED = "confirmed"  # discussed, questions answered, the patient agrees
    DECLINED = "declined"  # not appropriate, or the patient declined, after the discussion
    WITHDRAWN = "withdrawn"  # the patient withdrew consent later

    @property
    def label(self) -> str:
        """The words staff read."""
        return _CONSENT_STATE_LABELS[self]


_CONSENT_STATE_LABELS = {
    ConsentState.SIGNED: "Signed by patient",
    ConsentState.CONFIRMED: "Confirmed by therapist",
    ConsentState.DECLINED: "Declined",
    ConsentState.WITHDRAWN: "Withdrawn",
}


# What a therapist's decision can make the consent: every state but the patient's own.
DECISION_KINDS = (ConsentState.CONFIRMED, ConsentState.DECLINED, ConsentState.WITHDRAWN)


class DeclineReason(StrEnum):
    """Why dry needling will not go ahead, when the therapist records a decline."""

    NOT_APPROPRIATE = "not_appropriate"
    PATIENT_DECLINED = "patient_declined"

    @property
    def label(self) -> str:
        """The words the staff page and the addendum read."""
        return _DECLINE_LABELS[self]


_DECLINE_LABELS = {
    DeclineReason.NOT_APPROPRIATE: "Dry needling is not appropriate for this patient",
    DeclineReason.PATIENT_DECLINED: "The patient declined dry needling",
}


class WithdrawalChannel(StrEnum):
    """How the patient said they withdraw their consent."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    IN_WRITING = "in_writing"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The words the staff page and the addendum read."""
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    WithdrawalChannel.IN_PERSON: "In person",
    WithdrawalChannel.PHONE: "By phone",
    WithdrawalChannel.IN_WRITING: "In writing (letter, email, portal message)",
    WithdrawalChannel.OTHER: "Another way",
}


class SignerRelationship(StrEnum):
    """Who signed the consent, relative to the patient."""

    SELF = "self"
    PARENT = "parent"
    LEGAL_GUARDIAN = "legal_guardian"
    HEALTH_CARE_POA = "health_care_poa"
    LEGAL_REPRESENTATIVE = "legal_representative"

    @property
    def label(self) -> str:
        """The words staff and the chart read."""
        return RELATIONSHIP_LABELS[self]

    @classmethod
    def label_of(cls, value: str) -> str:
        """The words for a stored value; a value outside the vocabulary as it is."""
        return RELATIONSHIP_LABELS.get(value, value)


RELATIONSHIP_LABELS = {
    # Marked for the catalogue: the consent page offers them, and the patient's copy names the
    # one chosen (each translated as drawn).
    SignerRelationship.SELF: N_("Self (the patient)"),
    SignerRelationship.PARENT: N_("Parent"),
    SignerRelationship.LEGAL_GUARDIAN: N_("Legal guardian"),
    SignerRelationship.HEALTH_CARE_POA: N_("Health-care power of attorney"),
    SignerRelationship.LEGAL_REPRESENTATIVE: N_("Other legally authorised representative"),
}


class Language(StrEnum):
    """A language the patient pages and the consent are written in (the one a patient signed)."""

    ENGLISH = "en"
    SPANISH = "es"

    @property
    def label(self) -> str:
        """How staff pages name it: "Spanish"."""
        return LANGUAGE_LABELS[self]

    @property
    def own_name(self) -> str:
        """How a patient who reads it names it: "Español"."""
        return {Language.ENGLISH: "English", Language.SPANISH: "Español"}[self]


LANGUAGE_LABELS = {Language.ENGLISH: "English", Language.SPANISH: "Spanish"}


class Submission(db.Model):
    """One signed intake: identity, answers, the consent exactly as shown, signature, evidence.

    A submitted record's patient data is never updated; a correction is a new submission
    whose ``corrects_id`` points at the old one. Only workflow columns (status, review,
    export, PDF status) change afterwards.
    """

    __tablename__ = "submission"
    __table_args__ = (
        Index("ix_submission_submitted_at", "submitted_at"),
        Index("ix_submission_status_submitted_at", "status", "submitted_at"),
        Index("ix_submission_last_name_first_name", "last_name_folded", "first_name_folded"),
        # Staff search a single word against first names too ("Jane").
        Index("ix_submission_first_name_folded", "first_name_folded"),
        Index("ix_submission_date_of_birth", "date_of_birth"),
        # A batch is read in id order, a chunk at a time, by range scans of this index.
        Index("ix_submission_export_batch_id_id", "export_batch_id", "id"),
        # The dashboard's "Exported" filter: exported submissions only, by clinic day.
        Index(
            "ix_submission_exported_submitted_at",
            "submitted_at",
            sqlite_where=text("export_batch_id IS NOT NULL"),
            postgresql_where=text("export_batch_id IS NOT NULL"),
        ),
        Index("ix_submission_pdf_status", "pdf_status"),
        one_of("submission", "status", SubmissionStatus),
        one_of("submission", "pdf_status", PdfStatus),
        one_of("submission", "signature_kind", SignatureKind),
        one_of("submission", "signer_relationship", SignerRelationship),
        one_of("submission", "consent_state", ConsentState),
        one_of("submission", "language", Language),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    # Hash of the draft token it came from: a second tap on "Sign and submit" finds this row.
    draft_key: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Case- and accent-folded copies for search; set by the service that creates the row.
    first_name_folded: Mapped[str] = mapped_column(String(100))
    last_name_folded: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    # Every questionnaire answer keyed by its stable question id (identity fields included).
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Beside a stored flag code, what it matched when it was raised (a medicine named in the
    # medicine list), so the reason reads the same from this row alone. None before 0010.
    flag_notes: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=dict)

    consent_document: Mapped[str] = mapped_column(String(50))
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_snapshot: Mapped[str] = mapped_column(Text)
    consent_sha256: Mapped[str] = mapped_column(String(64))
    consent_initials: Mapped[dict[str, str]] = mapped_column(JSONType)
    consent_agreed: Mapped[bool] = mapped_column(Boolean)
    # The language of the consent as read and signed (and of the pages the patient saw).
    language: Mapped[str] = mapped_column(
        String(8), default=Language.ENGLISH, server_default=Language.ENGLISH.value
    )

    signer_name: Mapped[str] = mapped_column(String(200))
    signer_relationship: Mapped[str] = mapped_column(String(20))  # a SignerRelationship
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature_kind: Mapped[str] = mapped_column(String(10))
    # Drawn signatures: {"width": w, "height": h, "strokes": [[[x, y], ...], ...]} as validated
    # by intake.signatures, and the SVG built from it on the server.
    signature_strokes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    signature_svg: Mapped[str | None] = mapped_column(Text)
    typed_signature: Mapped[str | None] = mapped_column(String(200))
    # For a minor, the phone number of the parent or guardian who signed; None for an adult
    # patient, and for rows stored before 0011.
    guardian_phone: Mapped[str | None] = mapped_column(String(40))

    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    device_label: Mapped[str | None] = mapped_column(String(80))

    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.SUBMITTED)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    export_batch_id: Mapped[int | None] = mapped_column(ForeignKey("export_batch.id"))
    pdf_status: Mapped[str] = mapped_column(String(20), default=PdfStatus.PENDING)
    pdf_error: Mapped[str | None] = mapped_column(String(500))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    # The consent's standing, kept in step with its ConsentDecision rows (the record) by
    # intake.consent_status, so the dashboard and the CSV read it without a join.
    consent_state: Mapped[str] = mapped_column(String(20), default=ConsentState.SIGNED)
    consent_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_ends_on: Mapped[date | None] = mapped_column(Date)  # the plan of care's end

    reviewed_by: Mapped["StaffUser | None"] = relationship()
    export_batch: Mapped["ExportBatch | None"] = relationship(back_populates="submissions")
    documents: Mapped[list["ChartDocument"]] = relationship(
        back_populates="submission", order_by="ChartDocument.id"
    )

    @property
    def full_name(self) -> str:
        """First and last name as the patient wrote them."""
        return f"{self.first_name} {self.last_name}"


class ChartDocument(db.Model):
    """A rendered document of a submission. Rows are only ever added, never changed."""

    __tablename__ = "chart_document"
    __table_args__ = (one_of("chart_document", "kind", DocumentKind),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    content_type: Mapped[str] = mapped_column(String(50), default="application/pdf")
    # Deferred so that listing documents never drags their bytes along.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A consent addendum's decision; None for the intake document.
    consent_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_decision.id"), unique=True
    )

    submission: Mapped[Submission] = relationship(back_populates="documents")


class ConsentDecision(db.Model):
    """A therapist's record about a signed consent: confirmed, declined or withdrawn.

    Rows are only ever added. Each is signed by the therapist's account as it was at the
    time (name, credentials and email are copied), and becomes an addendum chart document
    that names the SHA-256 of the intake PDF it refers to.
    """

    __tablename__ = "consent_decision"
    __table_args__ = (
        CheckConstraint(
            f"kind IN ({', '.join(repr(str(kind)) for kind in DECISION_KINDS)})",
            name="ck_consent_decision_kind",
        ),
        one_of("consent_decision", "decline_reason", DeclineReason),
        one_of("consent_decision", "told_how", WithdrawalChannel),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # a ConsentState other than "signed"
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    staff_name: Mapped[str] = mapped_column(String(120))
    staff_credentials: Mapped[str] = mapped_column(String(80))
    staff_email: Mapped[str] = mapped_column(String(254))
    # The intake PDF the decision is about, by its SHA-256.
    intake_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    care_plan_ends_on: Mapped[date | None] = mapped_column(Date)  # confirmed only
    decline_reason: Mapped[str | None] = mapped_column(String(20))  # declined only
    # Withdrawn only: who told whom, when and how.
    told_by: Mapped[str | None] = mapped_column(String(200))
    told_to: Mapped[str | None] = mapped_column(String(200))
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_how: Mapped[str | None] = mapped_column(String(20))

    submission: Mapped[Submission] = relationship()
    document: Mapped[ChartDocument | None] = relationship(
        primaryjoin="ChartDocument.consent_decision_id == ConsentDecision.id", viewonly=True
    )


class Draft(db.Model):
    """An intake in progress, kept server-side; the browser holds only an opaque token."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the cookie's token, so a copy of the database cannot resume anyone's draft.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    step: Mapped[str] = mapped_column(String(30), default="about")
    device_label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Last save or keep-alive from the patient's page: the server's idle clock.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set when the tablet went back to the welcome screen with this draft still live: its
    # pages stay shut until the patient's date of birth is given (resume_failures wrong tries).
    resume_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    resume_failures: Mapped[int] = mapped_column(Integer, default=0)


class StaffRole(StrEnum):
    """What a staff account may do."""

    ADMIN = "admin"  # manages accounts, reads the audit log
    THERAPIST = "therapist"  # records the consent conversation, declines and withdrawals
    FRONT_DESK = "front_desk"

    @property
    def label(self) -> str:
        """The words staff read."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    StaffRole.ADMIN: "Admin",
    StaffRole.THERAPIST: "Therapist",
    StaffRole.FRONT_DESK: "Front desk",
}


class StaffUser(db.Model):
    """A clinic employee who logs in to the staff side."""

    __tablename__ = "staff_user"
    __table_args__ = (one_of("staff_user", "role", StaffRole),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=StaffRole.FRONT_DESK)
    # As a therapist signs the consent addenda: "Dana Reyes", "PT, DPT, Cert. DN".
    display_name: Mapped[str | None] = mapped_column(String(120))
    credentials: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wrong passwords in a row, shown to admins (intake.login_limits slows the tries).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # No longer set: accounts are never locked, only slowed. Kept for rows stored before.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changed on logout, deactivation and password reset; sessions carrying an old value end.
    session_token: Mapped[str] = mapped_column(String(64))
    # Two-step login (intake.two_step): the TOTP secret encrypted with a key derived from the
    # app's secret key, when the account enrolled, and the last time step whose code was
    # accepted (a code is never accepted twice).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="staff_user", order_by="RecoveryCode.id"
    )

    @property
    def has_two_step(self) -> bool:
        """Whether the account logs in with a code after its password."""
        return self.totp_enrolled_at is not None

    @property
    def is_admin(self) -> bool:
        """Whether the account may manage staff and read the audit log."""
        return self.role == StaffRole.ADMIN

    @property
    def is_therapist(self) -> bool:
        """Whether the account may record the consent conversation and withdrawals."""
        return self.role == StaffRole.THERAPIST

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class RecoveryCode(db.Model):
    """One of an account's one-time recovery codes, kept as a keyed hash (intake.two_step)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff_user: Mapped[StaffUser] = relationship(back_populates="recovery_codes")


class RateLimitCounter(db.Model):
    """A rate limit's count in its current window, shared by every worker and host
    (intake.rate_limit_storage). Not a record: rows come and go."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # Unix time the window ends


class ActorType(StrEnum):
    """Who did something recorded in the audit log."""

    STAFF = "staff"
    KIOSK = "kiosk"
    CLI = "cli"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        """How the audit log names it."""
        return _ACTOR_LABELS[self]


_ACTOR_LABELS = {
    ActorType.STAFF: "Staff",
    ActorType.KIOSK: "Kiosk (patients)",
    ActorType.CLI: "Command line",
    ActorType.SYSTEM: "System",
}


class AuditEvent(db.Model):
    """Append-only record of who did what to which record, and how it went."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_actor_at", "actor_id", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_target", "target_type", "target_id"),
        one_of("audit_event", "actor_type", ActorType),
        UniqueConstraint("chain_seq", name="uq_audit_event_chain_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_label: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The hash chain (intake.audit_chain): the event's place in it, the hash of the event
    # before it and its own. NULL on events recorded before the chain began.
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[StaffUser | None] = relationship()


class AuditChain(db.Model):
    """The audit chain's head: one row, locked by every transaction that appends an event.

    It also says where the chain began: the events recorded before it (unchained) are counted
    here, so one deleted or added behind the app's back is still noticed.
    """

    __tablename__ = "audit_chain"
    __table_args__ = (CheckConstraint("id = 1", name="ck_audit_chain_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    unchained_events: Mapped[int] = mapped_column(Integer, nullable=False)
    unchained_last_id: Mapped[int | None] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    head_hash: Mapped[str | None] = mapped_column(String(64))  # NULL until the first event
    head_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportBatch(db.Model):
    """One CSV export of new submissions; the same file can be produced again from it."""

    __tablename__ = "export_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_label: Mapped[str | None] = mapped_column(String(254))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    columns_version: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    sha256: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[StaffUser | None] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="export_batch", order_by="Submission.id"
    )


# ---------------------------------------------------------------- what is never changed
# A signed record is kept as it was signed. These guards make the application itself refuse
# to change it, whatever code path tries; tests tamper behind its back to prove `verify`.

WORKFLOW_COLUMNS = frozenset(
    {
        "status",
        "reviewed_at",
        "reviewed_by_id",
        "export_batch_id",
        "pdf_status",
        "pdf_error",
        "consent_state",
        "consent_confirmed_at",
        "consent_ends_on",
    }
)


class RecordImmutable(RuntimeError):
    """Code tried to change or delete part of the record that is never changed."""


@event.listens_for(Submission, "before_update")
def _submission_changes_only_workflow(_mapper, _connection, submission: Submission) -> None:
    state = inspect(submission)
    changed = {
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
    }
    if changed - WORKFLOW_COLUMNS:
        columns = ", ".join(sorted(changed - WORKFLOW_COLUMNS))
        raise RecordImmutable(f"submission {submission.public_id}: {columns} may not be changed")


def _append_only(model: type, name: str) -> None:
    @event.listens_for(model, "before_update")
    def _refuse_update(_mapper, _connection, row) -> None:
        if object_session(row) is None or object_session(row).is_modified(row):
            raise RecordImmutable(f"{name} {row.id} is stored and may not be changed")

    @event.listens_for(model, "before_delete")
    def _refuse_delete(_mapper, _connection, row) -> None:
        raise RecordImmutable(f"{name} {row.id} is part of the record and may not be deleted")


@event.listens_for(Submission, "before_delete")
def _submission_is_never_deleted(_mapper, _connection, submission: Submission) -> None:
    raise RecordImmutable(f"submission {submission.public_id} may not be deleted")


_append_only(ChartDocument, "chart document")
_append_only(AuditEvent, "audit event")
_append_only(ConsentDecision, "consent decision")
