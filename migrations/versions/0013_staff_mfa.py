"""two-step login for staff: a TOTP secret per account, one-time recovery codes; rate-limit
counters shared by every worker

Each staff account may hold a TOTP secret (encrypted with a key derived from the app's
secret key, so a copy of the database alone does not give it away), when it enrolled, and
the last time step whose code was accepted, so a code is never accepted twice. Recovery
codes are a table of their own, each a keyed hash with the time it was used. Accounts
stored before have none: they enrol at their next login where two-step login is required.

rate_limit_counter holds the login and Start limits' counts in the database, so workers and
hosts count together without Redis (intake.rate_limit_storage). Its rows come and go.

Revision ID: 0013_staff_mfa
Revises: 0012_consent_decisions
Create Date: 2026-12-01 06:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_staff_mfa"
down_revision = "0012_consent_decisions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("totp_secret_encrypted", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("totp_enrolled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("recovery_code") as batch:
        batch.create_index("ix_recovery_code_staff_user_id", ["staff_user_id"], unique=False)
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade():
    op.drop_table("rate_limit_counter")
    op.drop_table("recovery_code")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enrolled_at")
        batch.drop_column("totp_secret_encrypted")
