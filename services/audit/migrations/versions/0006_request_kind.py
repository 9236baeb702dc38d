"""The kind of each request fact (an Art. 41 correction of records is not in table 三), and the fee it paid (part 六).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=30), nullable=False, server_default="disclosure"))
        batch_op.add_column(sa.Column("fee_paid_yuan", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fee_paid_on", sa.Date(), nullable=True))
    # Facts projected before this revision: the log still has each request's events, whose payload names
    # the kind (canonical JSON: sorted keys, no spaces), so the correction-of-records requests are found there.
    op.execute(
        "UPDATE request_facts SET kind = 'record_correction' WHERE request_id IN ("
        " SELECT aggregate_id FROM audit_entries WHERE aggregate_type = 'request'"
        ' AND envelope LIKE \'%"kind":"record_correction"%\')'
    )


def downgrade() -> None:
    with op.batch_alter_table("request_facts", schema=None) as batch_op:
        batch_op.drop_column("fee_paid_on")
        batch_op.drop_column("fee_paid_yuan")
        batch_op.drop_column("kind")
