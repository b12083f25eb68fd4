"""the audit log becomes a hash chain

Each audit event records its place in the chain, the hash of the event before it and its own
hash; the one-row audit_chain table holds the head, which every writer locks. Events recorded
before this migration are left as they are (unchained): the head row counts them and keeps the
last one's id, and the chain's first event follows a genesis hash made of those numbers and the
time the chain began, so deleting or adding an earlier event is still noticed. Nothing already
recorded is rewritten.

Revision ID: 0015_audit_chain
Revises: 0014_language
Create Date: 2026-12-01 06:30:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_audit_chain"
down_revision = "0014_language"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_audit_event_chain_seq", ["chain_seq"])
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unchained_events", sa.Integer(), nullable=False),
        sa.Column("unchained_last_id", sa.Integer(), nullable=True),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("head_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    connection = op.get_bind()
    count, last_id = connection.execute(sa.text("SELECT count(*), max(id) FROM audit_event")).one()
    started = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        started = started.replace(tzinfo=None)  # stored as naive UTC, as the app does
    op.bulk_insert(
        chain,
        [
            {
                "id": 1,
                "started_at": started,
                "unchained_events": count,
                "unchained_last_id": last_id,
                "length": 0,
            }
        ],
    )


def downgrade():
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint("uq_audit_event_chain_seq", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("chain_seq")
