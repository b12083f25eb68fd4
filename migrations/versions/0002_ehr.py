"""index submissions by (export_batch_id, id) for the chunked EHR export

A batch's rows are read in id order, a thousand at a time, starting after the last id read.
With an index on export_batch_id alone, PostgreSQL fetched and sorted the whole batch for every
chunk (36 s for 100,000 rows); with (export_batch_id, id) each chunk is one index range scan.
The composite index also serves every lookup by export_batch_id alone, so it replaces that one.

Revision ID: 0002_ehr
Revises: 0001
Create Date: 2026-11-25 20:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0002_ehr"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_export_batch_id")
        batch_op.create_index(
            "ix_submission_export_batch_id_id", ["export_batch_id", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_export_batch_id_id")
        batch_op.create_index("ix_submission_export_batch_id", ["export_batch_id"], unique=False)
