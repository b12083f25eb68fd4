"""a submission records the language its consent was read and signed in

Every row stored before was signed in English ('en'). A CHECK keeps the column to the
languages the tablet knows.

Revision ID: 0014_language
Revises: 0013_staff_mfa
Create Date: 2026-12-01 06:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_language"
down_revision = "0013_staff_mfa"
branch_labels = None
depends_on = None

# The languages as this revision knows them, not as the code may later declare them.
LANGUAGES = ("en", "es")


def upgrade():
    values = ", ".join(f"'{code}'" for code in LANGUAGES)
    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )
        batch.create_check_constraint("ck_submission_language", f"language IN ({values})")


def downgrade():
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("ck_submission_language", type_="check")
        batch.drop_column("language")
