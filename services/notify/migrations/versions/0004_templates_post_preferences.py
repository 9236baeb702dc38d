"""Provider templates and post fields on notifications; recipient preferences.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.String(length=200), type_=sa.String(length=300), existing_nullable=False)
        batch_op.add_column(sa.Column("addressee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("template_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("page", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("posted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("posted_by", sa.String(length=128), nullable=True))

    op.create_table(
        "recipient_preferences",
        sa.Column("sub", sa.String(length=128), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("non_statutory_opt_out", sa.Boolean(), nullable=False),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sub", name=op.f("pk_recipient_preferences")),
    )


def downgrade() -> None:
    op.drop_table("recipient_preferences")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("posted_by")
        batch_op.drop_column("posted_on")
        batch_op.drop_column("page")
        batch_op.drop_column("params")
        batch_op.drop_column("template_id")
        batch_op.drop_column("addressee")
        batch_op.alter_column("address", existing_type=sa.String(length=300), type_=sa.String(length=200), existing_nullable=False)
