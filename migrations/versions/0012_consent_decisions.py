"""the therapist's part of consent: roles, decisions, addenda and the consent's state

A therapist now records the consent conversation (confirmed, or declined) and a patient's
withdrawal; each is a consent_decision row, kept for good, and an addendum chart document.
Staff accounts get a role for it: "staff" becomes "front_desk", beside "therapist" and
"admin", and a name and credentials to sign with. Each submission keeps its consent's state
("signed" for every row stored before), when a therapist confirmed it and when the plan of
care ends.

Revision ID: 0012_consent_decisions
Revises: 0011_guardian_phone
Create Date: 2026-12-01 06:45:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_consent_decisions"
down_revision = "0011_guardian_phone"
branch_labels = None
depends_on = None

# Written out, not imported, so this migration keeps meaning what it meant when written.
ROLES_BEFORE = ("admin", "staff")
ROLES = ("admin", "therapist", "front_desk")
KINDS_BEFORE = ("intake",)
KINDS = ("intake", "consent_addendum")
STATES = ("signed", "confirmed", "declined", "withdrawn")
DECISIONS = ("confirmed", "declined", "withdrawn")
DECLINE_REASONS = ("not_appropriate", "patient_declined")
CHANNELS = ("in_person", "phone", "in_writing", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _roles(old: str, new: str, allowed: tuple[str, ...]) -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint("ck_staff_user_role", type_="check")
    op.execute(sa.text(f"UPDATE staff_user SET role = '{new}' WHERE role = '{old}'"))
    with op.batch_alter_table("staff_user") as batch:
        batch.create_check_constraint("ck_staff_user_role", _in("role", allowed))


def upgrade():
    _roles("staff", "front_desk", ROLES)
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("credentials", sa.String(length=80), nullable=True))

    op.create_table(
        "consent_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.Uuid(), nullable=False),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submission.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False),
        sa.Column("staff_name", sa.String(length=120), nullable=False),
        sa.Column("staff_credentials", sa.String(length=80), nullable=False),
        sa.Column("staff_email", sa.String(length=254), nullable=False),
        sa.Column("intake_sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("care_plan_ends_on", sa.Date(), nullable=True),
        sa.Column("decline_reason", sa.String(length=20), nullable=True),
        sa.Column("told_by", sa.String(length=200), nullable=True),
        sa.Column("told_to", sa.String(length=200), nullable=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told_how", sa.String(length=20), nullable=True),
        sa.CheckConstraint(_in("kind", DECISIONS), name="ck_consent_decision_kind"),
        sa.CheckConstraint(
            _in("decline_reason", DECLINE_REASONS), name="ck_consent_decision_decline_reason"
        ),
        sa.CheckConstraint(_in("told_how", CHANNELS), name="ck_consent_decision_told_how"),
        sa.UniqueConstraint("public_id", name="uq_consent_decision_public_id"),
    )
    op.create_index("ix_consent_decision_submission_id", "consent_decision", ["submission_id"])

    with op.batch_alter_table("chart_document") as batch:
        batch.drop_constraint("ck_chart_document_kind", type_="check")
        batch.create_check_constraint("ck_chart_document_kind", _in("kind", KINDS))
        batch.add_column(sa.Column("consent_decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_chart_document_consent_decision_id",
            "consent_decision",
            ["consent_decision_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            "uq_chart_document_consent_decision_id", ["consent_decision_id"]
        )

    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column(
                "consent_state", sa.String(length=20), nullable=False, server_default="signed"
            )
        )
        batch.add_column(sa.Column("consent_confirmed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("consent_ends_on", sa.Date(), nullable=True))
        batch.create_check_constraint("ck_submission_consent_state", _in("consent_state", STATES))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("ck_submission_consent_state", type_="check")
        batch.drop_column("consent_ends_on")
        batch.drop_column("consent_confirmed_at")
        batch.drop_column("consent_state")
    op.execute(sa.text("DELETE FROM chart_document WHERE kind = 'consent_addendum'"))
    with op.batch_alter_table("chart_document") as batch:
        batch.drop_constraint("uq_chart_document_consent_decision_id", type_="unique")
        batch.drop_constraint("fk_chart_document_consent_decision_id", type_="foreignkey")
        batch.drop_column("consent_decision_id")
        batch.drop_constraint("ck_chart_document_kind", type_="check")
        batch.create_check_constraint("ck_chart_document_kind", _in("kind", KINDS_BEFORE))
    op.drop_index("ix_consent_decision_submission_id", table_name="consent_decision")
    op.drop_table("consent_decision")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("credentials")
        batch.drop_column("display_name")
    _roles("front_desk", "staff", ROLES_BEFORE + ("therapist",))
    op.execute(sa.text("UPDATE staff_user SET role = 'staff' WHERE role = 'therapist'"))
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint("ck_staff_user_role", type_="check")
        batch.create_check_constraint("ck_staff_user_role", _in("role", ROLES_BEFORE))
