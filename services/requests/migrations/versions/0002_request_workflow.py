"""Request workflow: requests, pauses, consultations, answers, remedies, timeline, attachments,
tracking numbers, idempotency keys, reminders and the calendar overrides.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:04:00.315147
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("announced_by", sa.String(length=128), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("query_code_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rule_set", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("applicant_sub", sa.String(length=128), nullable=True),
        sa.Column("registered_by", sa.String(length=128), nullable=True),
        sa.Column("applicant_type", sa.String(length=30), nullable=False),
        sa.Column("organisation_type", sa.String(length=30), nullable=True),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("id_type", sa.String(length=30), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("legal_representative", sa.String(length=50), nullable=True),
        sa.Column("contact_person", sa.String(length=50), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("postal_address", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("document_title", sa.String(length=300), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("preferred_form", sa.String(length=20), nullable=False),
        sa.Column("fee_waiver_requested", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("clock_start", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("assignee_sub", sa.String(length=128), nullable=True),
        sa.Column("correction_used", sa.Boolean(), nullable=False),
        sa.Column("correction_items", sa.JSON(), nullable=True),
        sa.Column("correction_requested_on", sa.Date(), nullable=True),
        sa.Column("correction_due_on", sa.Date(), nullable=True),
        sa.Column("extension_status", sa.String(length=20), nullable=True),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extension_requested_days", sa.Integer(), nullable=True),
        sa.Column("extension_requested_by", sa.String(length=128), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extension_decided_by", sa.String(length=128), nullable=True),
        sa.Column("later_due_on", sa.Date(), nullable=True),
        sa.Column("later_due_reason", sa.Text(), nullable=True),
        sa.Column("fee_amount", sa.Integer(), nullable=True),
        sa.Column("fee_method", sa.String(length=10), nullable=True),
        sa.Column("fee_notice_on", sa.Date(), nullable=True),
        sa.Column("fee_pay_by", sa.Date(), nullable=True),
        sa.Column("fee_paid_on", sa.Date(), nullable=True),
        sa.Column("outcome_category", sa.String(length=30), nullable=True),
        sa.Column("outcome_reason", sa.String(length=40), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requests")),
        sa.UniqueConstraint("agency_id", "tracking_number", name="uq_disclosure_requests_tracking"),
    )
    with op.batch_alter_table("disclosure_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_requests_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_answered_on"), ["answered_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_applicant_sub"), ["applicant_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_assignee_sub"), ["assignee_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_clock_start"), ["clock_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosure_requests_tracking_number"), ["tracking_number"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "round", "kind", "due_on", name=op.f("pk_reminders_sent")),
    )
    op.create_table(
        "tracking_sequences",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_tracking_sequences")),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("letter", sa.Text(), nullable=False),
        sa.Column("exempt_parts", sa.JSON(), nullable=True),
        sa.Column("referral", sa.JSON(), nullable=True),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("record_correction_result", sa.String(length=20), nullable=True),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=128), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("dispatched_by", sa.String(length=128), nullable=True),
        sa.Column("dispatched_on", sa.Date(), nullable=True),
        sa.Column("delivery_form", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_answers_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_request_id"), ["request_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("owner_sub", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_attachments_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_owner_sub"), ["owner_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_request_id"), ["request_id"], unique=False)

    op.create_table(
        "consultations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("party_contact", sa.String(length=300), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("reply_due_on", sa.Date(), nullable=False),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("opinion", sa.String(length=20), nullable=True),
        sa.Column("opinion_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_consultations_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultations_request_id"), ["request_id"], unique=False)

    op.create_table(
        "remedies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("case_number", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_remedies_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedies")),
    )
    with op.batch_alter_table("remedies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remedies_request_id"), ["request_id"], unique=False)

    op.create_table(
        "request_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("actor_sub", sa.String(length=128), nullable=False),
        sa.Column("actor_role", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_request_history_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_history")),
    )
    with op.batch_alter_table("request_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_history_request_id"), ["request_id"], unique=False)

    op.create_table(
        "request_pauses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("reference_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_request_pauses_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_pauses")),
    )
    with op.batch_alter_table("request_pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_pauses_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_set", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.drop_column("rule_set")

    with op.batch_alter_table("request_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_pauses_request_id"))

    op.drop_table("request_pauses")
    with op.batch_alter_table("request_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_history_request_id"))

    op.drop_table("request_history")
    with op.batch_alter_table("remedies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remedies_request_id"))

    op.drop_table("remedies")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultations_request_id"))

    op.drop_table("consultations")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_request_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_owner_sub"))

    op.drop_table("attachments")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_request_id"))

    op.drop_table("answers")
    op.drop_table("tracking_sequences")
    op.drop_table("reminders_sent")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("disclosure_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_state"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_due_on"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_clock_start"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_assignee_sub"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_applicant_sub"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_answered_on"))
        batch_op.drop_index(batch_op.f("ix_disclosure_requests_agency_id"))

    op.drop_table("disclosure_requests")
    op.drop_table("calendar_years")
    op.drop_table("calendar_overrides")
