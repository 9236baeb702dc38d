"""The outbox and inbox tables every service's database holds, and their frozen migrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.schema import SchemaItem

from shared.db import BigIntPK, UTCDateTime


@dataclass(frozen=True)
class Plumbing:
    outbox: Table
    inbox: Table


def plumbing_tables(metadata: MetaData) -> Plumbing:
    """Declare `outbox` and `inbox` on a service's MetaData."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(249), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(120), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
    )
    Index(
        "ix_outbox_pending",
        outbox.c.key,
        outbox.c.id,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("topic", String(249), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", sa.BigInteger, nullable=False),
        Column("outcome", String(20), nullable=False),  # handled | dead_lettered
        Column("error", Text, nullable=True),
        Column("processed_at", UTCDateTime, nullable=False),
    )
    return Plumbing(outbox=outbox, inbox=inbox)


class SchemaOperations(Protocol):
    """What the frozen plumbing migrations use of Alembic's `op` (the module and `Operations` both fit)."""

    def create_table(self, table_name: str, *columns: SchemaItem, **kw: Any) -> Table: ...

    def create_index(self, index_name: str | None, table_name: str, columns: Sequence[str], **kw: Any) -> None: ...

    def drop_table(self, table_name: str, **kw: Any) -> None: ...

    def drop_index(self, index_name: str, table_name: str | None = None, **kw: Any) -> None: ...


def create_plumbing_v1(op: SchemaOperations) -> None:
    """Migration step: create outbox and inbox as of schema v1 (a frozen snapshot)."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["key", "id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )


def drop_plumbing_v1(op: SchemaOperations) -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
