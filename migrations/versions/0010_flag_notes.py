"""a stored flag can carry a note: the medicine a patient named in the medicine list

A flag raised by words of a free-text answer (a blood thinner named in the medicine list)
stores what matched beside its code, so the staff page and a PDF rendered later from the row
read the same reason without matching again. Rows stored before have no notes (NULL).

Revision ID: 0010_flag_notes
Revises: 0009_vocabulary_checks
Create Date: 2026-12-01 01:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0010_flag_notes"
down_revision = "0009_vocabulary_checks"
branch_labels = None
depends_on = None


def upgrade():
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("flag_notes", json, nullable=True))


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("flag_notes")
