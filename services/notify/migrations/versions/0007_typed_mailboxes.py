"""Inbox mailboxes typed: (user, <sub>) or (role, role:<agency>:<role>), so a sub cannot name a role mailbox.

Existing rows: a recipient that reads role:<agency>:<role> on a message kind that goes to role
mailboxes becomes a role mailbox; everything else stays the user's. Where an old row cannot be
told apart (a user whose sub looks like a role mailbox, assigned work), it goes to the role, so
no user gains a role's mail by the migration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The kinds services.notify.domain.routing sends to role mailboxes (assignee messages fall back to the heads' mailbox).
ROLE_KINDS = ("extension_approval_needed", "review_needed", "assignment", "deadline_reminder")


def upgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_kind", sa.String(length=10), server_default="user", nullable=False))
    inbox = sa.table(
        "inbox_messages", sa.column("recipient_kind", sa.String), sa.column("recipient_sub", sa.String), sa.column("kind", sa.String)
    )
    op.execute(inbox.update().where(inbox.c.recipient_sub.like("role:%:%"), inbox.c.kind.in_(ROLE_KINDS)).values(recipient_kind="role"))


def downgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_column("recipient_kind")
