"""who may sign: submission.signer_relationship is checked, and adult representatives join it

An adult patient who cannot sign may have a legally authorised representative sign for them
(a health-care power of attorney, a court-appointed guardian, another representative the law
allows). The relationship is a small vocabulary and the database now refuses any other value.
Every row stored before holds self, parent or legal_guardian, which the check allows.

On SQLite the table is copied to add the constraint; env.py turns foreign-key enforcement off
around the copy (chart documents point at submissions) and checks every foreign key after.

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


def upgrade():
    with op.batch_alter_table("submission") as batch_op:
        batch_op.create_check_constraint(NAME, CONDITION)


def downgrade():
    with op.batch_alter_table("submission") as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
