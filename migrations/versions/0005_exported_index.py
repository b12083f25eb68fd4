"""index exported submissions by submission time for the dashboard's "Exported" filter

Whether a submission was exported is told by export_batch_id alone, so the filter is
`export_batch_id IS NOT NULL` with the clinic days asked for, newest first. The
(export_batch_id, id) index cannot serve that: in a clinic nearly every row is in some batch,
and its rows are not in time order. A partial index of submitted_at over exported rows only
serves the condition, the day range and the order in one range scan, on SQLite and PostgreSQL.

Revision ID: 0005_exported_index
Revises: 0004_chart_content
Create Date: 2026-11-26 02:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_exported_index"
down_revision = "0004_chart_content"
branch_labels = None
depends_on = None

EXPORTED = sa.text("export_batch_id IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_submission_exported_submitted_at",
        "submission",
        ["submitted_at"],
        unique=False,
        sqlite_where=EXPORTED,
        postgresql_where=EXPORTED,
    )


def downgrade():
    op.drop_index("ix_submission_exported_submitted_at", table_name="submission")
