"""The application form's 工作单位 and 获取方式 (how the applicant collects the information).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_requests") as batch:
        batch.add_column(sa.Column("work_unit", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("delivery_method", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disclosure_requests") as batch:
        batch.drop_column("delivery_method")
        batch.drop_column("work_unit")
