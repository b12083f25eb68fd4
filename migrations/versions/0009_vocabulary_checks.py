"""keep each small vocabulary to its values: CHECK constraints on status, kind, role, actor

Status, PDF status, signature kind, chart document kind, staff role and audit actor type were
plain strings that any code path could set to anything. Each is now a StrEnum in
intake/models.py, and the database refuses a value outside it. The values are written out
here (not imported) so that this migration keeps meaning what it meant when it was written.
Every stored row already holds one of them (0006 retired "exported").

On SQLite each table is copied to add its constraint; env.py turns foreign-key enforcement
off around the copy and checks every foreign key afterwards.

Revision ID: 0009_vocabulary_checks
Revises: 0008_representative
Create Date: 2026-12-01 01:00:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_vocabulary_checks"
down_revision = "0008_representative"
branch_labels = None
depends_on = None

CHECKS = {
    "submission": {
        "status": ("submitted", "reviewed"),
        "pdf_status": ("pending", "rendered", "failed"),
        "signature_kind": ("drawn", "typed"),
    },
    "chart_document": {"kind": ("intake",)},
    "staff_user": {"role": ("admin", "staff")},
    "audit_event": {"actor_type": ("staff", "kiosk", "cli", "system")},
}


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(f"ck_{table}_{column}", _condition(column, values))


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
