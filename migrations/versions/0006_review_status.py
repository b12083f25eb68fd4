"""status is the review workflow only: "exported" rows become "submitted" or "reviewed"

An export used to overwrite status with "exported", so an intake nobody had reviewed left the
dashboard's New filter as soon as the front desk exported it. Review and export are two
independent facts: status now says only whether the intake was reviewed, and export_batch_id
says whether (and in which batch) it was exported. Data only; reviewed_at tells which rows
were reviewed. The downgrade marks every row in a batch "exported" again, as the old code did.

Revision ID: 0006_review_status
Revises: 0005_exported_index
Create Date: 2026-11-26 02:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_review_status"
down_revision = "0005_exported_index"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        sa.text(
            "UPDATE submission SET status = CASE WHEN reviewed_at IS NOT NULL "
            "THEN 'reviewed' ELSE 'submitted' END WHERE status = 'exported'"
        )
    )


def downgrade():
    op.execute(
        sa.text("UPDATE submission SET status = 'exported' WHERE export_batch_id IS NOT NULL")
    )
