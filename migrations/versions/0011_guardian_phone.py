"""a minor's intake keeps the parent's or guardian's phone number

For a patient under 18 the parent or guardian who signs also gives a phone number, so the
clinic can reach the person who consented. Adults' rows, and rows stored before, have none
(NULL); nothing is filled in for them.

Revision ID: 0011_guardian_phone
Revises: 0010_flag_notes
Create Date: 2026-12-01 03:10:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_guardian_phone"
down_revision = "0010_flag_notes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("guardian_phone", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("guardian_phone")
