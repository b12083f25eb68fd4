"""index first names for the staff search

Revision ID: 0003_staff
Revises: 0002_ehr
Create Date: 2026-11-25 20:00:00

A one-word search ("Jane") matches first names as well as last names; the composite
(last_name_folded, first_name_folded) index cannot serve a first-name-only condition.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_staff"
down_revision = "0002_ehr"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_first_name_folded", ["first_name_folded"], unique=False
        )


def downgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_first_name_folded")
