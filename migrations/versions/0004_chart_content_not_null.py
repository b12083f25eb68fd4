"""a chart document always has its bytes: chart_document.content NOT NULL

The model has always required the content (`Mapped[bytes]`), but wrapping the column in
`deferred()` dropped the NOT NULL from the first migration. The app never stores a document
without its bytes; a row without them can only have been made behind its back, and is reported,
never guessed at or deleted: the upgrade stops and names it.

Revision ID: 0004_chart_content
Revises: 0003_staff
Create Date: 2026-11-26 20:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_chart_content"
down_revision = "0003_staff"
branch_labels = None
depends_on = None


def upgrade():
    empty = op.get_bind().execute(
        sa.text("SELECT id FROM chart_document WHERE content IS NULL ORDER BY id")
    )
    ids = [str(row.id) for row in empty]
    if ids:
        raise RuntimeError(
            f"chart_document rows without content: {', '.join(ids)}. A signed PDF is missing; "
            "restore it from a backup before this upgrade (nothing was changed)."
        )
    with op.batch_alter_table("chart_document", schema=None) as batch_op:
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)


def downgrade():
    with op.batch_alter_table("chart_document", schema=None) as batch_op:
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)
