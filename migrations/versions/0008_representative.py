"""who may sign: submission.signer_relationship is checked, and adult representatives join it

An adult patient who cannot sign may have a legally authorised representative sign for them
(a health-care power of attorney, a court-appointed guardian, another representative the law
allows). The relationship is a small vocabulary and the database now refuses any other value.
Every row stored before holds self, parent or legal_guardian, which the check allows.

PostgreSQL gets a CHECK constraint. SQLite can add one only by rebuilding the table, and the
submission table cannot be rebuilt inside the migration's transaction while chart documents
reference it (foreign keys cannot be switched off there), so on SQLite the same rule is two
triggers, and the patients' records are never copied.

Revision ID: 0008_representative
Revises: 0007_draft_idle
Create Date: 2026-12-01 00:40:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_representative"
down_revision = "0007_draft_idle"
branch_labels = None
depends_on = None

NAME = "ck_submission_signer_relationship"
ALLOWED = ("self", "parent", "legal_guardian", "health_care_poa", "legal_representative")
CONDITION = "signer_relationship IN ({})".format(", ".join(f"'{value}'" for value in ALLOWED))
SQLITE_TRIGGERS = {
    f"{NAME}_insert": "BEFORE INSERT ON submission",
    f"{NAME}_update": "BEFORE UPDATE OF signer_relationship ON submission",
}


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger, when in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {trigger} {when} FOR EACH ROW "
                f"WHEN NOT (NEW.{CONDITION}) BEGIN "
                f"SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"
            )
        return
    op.create_check_constraint(NAME, "submission", CONDITION)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger}")
        return
    op.drop_constraint(NAME, "submission", type_="check")
