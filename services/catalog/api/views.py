"""How documents look to the public and to officers."""

from __future__ import annotations

from typing import Any

from services.catalog.adapters.orm import Document, DocumentAttachment
from services.catalog.domain.documents import allowed_steps

VALIDITY_LABELS = {"valid": "有效", "expired": "失效", "repealed": "废止"}
STATUS_LABELS = {"draft": "草稿", "in_review": "保密审查中", "published": "已发布", "withdrawn": "已撤回"}


def public_view(d: Any, names: dict[str, str], agencies: dict[str, str]) -> dict[str, Any]:
    """The catalog entry a county site shows (works on ORM rows and search result rows)."""
    return {
        "id": d.id,
        "index_number": d.index_number,
        "title": d.title,
        "summary": d.summary,
        "publisher": d.publisher,
        "agency_id": d.agency_id,
        "agency_name": agencies.get(d.agency_id),
        "doc_number": d.doc_number,
        "category": {"code": d.category_code, "name": names.get(d.category_code)},
        "topic": {"code": d.topic_code, "name": names.get(d.topic_code)} if d.topic_code else None,
        "keywords": list(d.keywords or []),
        "made_on": d.made_on,
        "published_on": d.published_on,
        "validity": {"code": d.validity, "name": VALIDITY_LABELS[d.validity], "changed_on": d.validity_changed_on},
        "interprets_id": d.interprets_id,
    }


def attachment_view(a: DocumentAttachment) -> dict[str, Any]:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}


def officer_view(d: Document, names: dict[str, str], agencies: dict[str, str], attachments: list[DocumentAttachment]) -> dict[str, Any]:
    view = public_view(d, names, agencies)
    view.update(
        {
            "status": {"code": d.status, "name": STATUS_LABELS[d.status]},
            "body": d.body,
            "publish_due_on": d.publish_due_on,
            "published_on_time": d.published_on_time,
            "decision_count": d.decision_count,
            "fee_amount_yuan": str(d.fee_amount_yuan) if d.fee_amount_yuan is not None else None,
            "author_sub": d.author_sub,
            "submitted_by": d.submitted_by,
            "reviewed_by": d.reviewed_by,
            "review_note": d.review_note,
            "revision": d.revision,
            "pending_revision": d.pending_revision,
            "withdrawn_reason": d.withdrawn_reason,
            "version": d.version,
            "allowed_steps": [
                s.value for s in allowed_steps(d.status, pending_revision=d.pending_revision is not None, validity=d.validity)
            ],
            "attachments": [attachment_view(a) for a in attachments],
        }
    )
    return view
