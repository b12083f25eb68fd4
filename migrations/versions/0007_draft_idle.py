"""drafts can be held for the patient's date of birth before they are resumed

A draft still live when the tablet went back to the welcome screen is held: its pages stay
shut until the date of birth typed in it is given again, and a few wrong tries close it.
resume_locked says a draft is held; resume_failures counts the wrong tries, on the row, so
parallel guesses under the row lock cannot exceed the limit.

Revision ID: 0007_draft_idle
Revises: 0006_review_status
Create Date: 2026-12-01 00:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_draft_idle"
down_revision = "0006_review_status"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("draft") as batch:
        batch.add_column(
            sa.Column("resume_locked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("resume_failures", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("resume_failures")
        batch.drop_column("resume_locked")
