"""Who may call which operation, written from each router's summary and `require(...)`: role × relation to 甲局."""

from __future__ import annotations

from dataclasses import dataclass

OFFICERS = ("registrar", "handler", "reviewer", "head", "supervisor")


@dataclass(frozen=True)
class Caller:
    """One row of the matrix: anonymous, an applicant (owner or not), an officer of own/parent/sibling agency, or admin."""

    key: str
    role: str | None  # None: anonymous
    rel: str | None = None  # own | parent | sibling for officers; owner | other for applicants


CALLERS = [
    Caller("anonymous", None),
    Caller("applicant-owner", "applicant", "owner"),
    Caller("applicant-other", "applicant", "other"),
    *[Caller(f"{r}@{rel}", r, rel) for r in OFFICERS for rel in ("own", "parent", "sibling")],
    Caller("admin", "admin"),
]


def public(c: Caller) -> bool | None:
    return True


def signed_in(c: Caller) -> bool | None:
    return c.role is not None


def admin_only(c: Caller) -> bool | None:
    return c.role == "admin"


def officers(roles=OFFICERS, scope="any", admin=True, owner=False, parent=True):
    """Officers holding `roles`; scope any (their own list), subtree (own or parent of 甲局) or own; `parent=None`: not asserted."""

    def rule(c: Caller) -> bool | None:
        if c.role == "admin":
            return admin
        if c.role == "applicant":
            return owner and c.rel == "owner"
        if c.role not in roles:
            return False
        if scope == "any" or c.rel == "own":
            return True
        if c.rel == "sibling":
            return False
        return parent if scope == "subtree" else (None if parent is None else False)

    return rule


def applicants(c: Caller) -> bool | None:
    return c.role == "applicant"


def owner_only(c: Caller) -> bool | None:
    return c.role == "applicant" and c.rel == "owner"


def unasserted(c: Caller) -> bool | None:
    """Authorisation decided by the personal-data scan instead (ID proofs: who may see the file is who may see it in full)."""
    if c.role is None:
        return False
    if c.rel in ("sibling", "other"):
        return False
    return None


DRAFTERS = ("handler", "registrar", "head")
R = "/api/v1/requests/requests/{request_id}"

POLICY = {
    # catalog
    "GET /healthz": public,
    "GET /readyz": public,
    "POST /api/v1/catalog/agencies": admin_only,
    "GET /api/v1/catalog/agencies": public,
    "PATCH /api/v1/catalog/agencies/{agency_id}": admin_only,
    "GET /api/v1/catalog/agencies/{agency_id}": public,
    "GET /api/v1/catalog/agencies/{agency_id}/guide": public,
    "PUT /api/v1/catalog/agencies/{agency_id}/guide": officers(("head",), "subtree"),
    "GET /api/v1/catalog/categories": public,
    "POST /api/v1/catalog/categories": admin_only,
    "POST /api/v1/catalog/documents": officers(DRAFTERS, "subtree"),
    "GET /api/v1/catalog/documents": officers(),
    "GET /api/v1/catalog/documents/overdue": officers(),
    "GET /api/v1/catalog/documents/{document_id}": officers(scope="subtree"),
    "PATCH /api/v1/catalog/documents/{document_id}": officers(DRAFTERS, "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/submit": officers(DRAFTERS, "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/approve": officers(("reviewer", "head"), "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/return": officers(("reviewer", "head"), "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/revisions": officers(DRAFTERS, "own", parent=None, admin=None),
    "GET /api/v1/catalog/documents/{document_id}/revisions": officers(scope="subtree"),
    "POST /api/v1/catalog/documents/{document_id}/revisions/approve": officers(("reviewer", "head"), "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/revisions/return": officers(("reviewer", "head"), "own", parent=None, admin=None),
    "POST /api/v1/catalog/documents/{document_id}/validity": officers(("head",), "own", parent=None),
    "POST /api/v1/catalog/documents/{document_id}/withdraw": officers(("head",), "own", parent=None),
    "POST /api/v1/catalog/documents/{document_id}/attachments": officers(DRAFTERS, "own", parent=None, admin=None),
    "GET /api/v1/catalog/public/documents": public,
    "GET /api/v1/catalog/public/documents/{document_id}": public,
    "GET /api/v1/catalog/public/documents/{document_id}/attachments/{attachment_id}": public,
    "GET /api/v1/catalog/suggestions": officers(),
    "POST /api/v1/catalog/suggestions/{suggestion_id}/adopt": officers(("head",), "own", parent=None),
    "POST /api/v1/catalog/suggestions/{suggestion_id}/dismiss": officers(("head",), "own", parent=None),
    # requests
    "POST /api/v1/requests/requests": applicants,
    "POST /api/v1/requests/registrations": officers(("registrar",), "subtree", admin=False),
    "GET /api/v1/requests/requests/mine": applicants,
    "GET /api/v1/requests/queue": officers(),
    "GET /api/v1/requests/assignees": officers(),
    f"GET {R}": officers(scope="subtree", owner=True),
    f"GET {R}/timeline": officers(scope="subtree", owner=True),
    f"POST {R}/confirm-receipt": officers(("registrar", "handler"), "subtree", admin=False),
    f"POST {R}/assign": officers(("head", "registrar"), "subtree", admin=False),
    f"POST {R}/correction-notice": officers(("handler", "registrar"), "subtree", admin=False),
    f"POST {R}/correction": officers(("registrar",), "subtree", admin=False, owner=True),
    f"POST {R}/consultations": officers(("handler",), "subtree", admin=False),
    f"POST {R}/consultations/{{item_id}}/reply": officers(("handler", "registrar"), "subtree", admin=False),
    f"POST {R}/fee-notice": officers(("handler",), "subtree", admin=False),
    f"POST {R}/payment": officers(("handler", "registrar"), "subtree", admin=False),
    f"POST {R}/extension": officers(("handler",), "subtree", admin=False),
    f"POST {R}/extension/decision": officers(("head",), "subtree", admin=False),
    f"POST {R}/later-answer-date": officers(("head",), "subtree", admin=False),
    f"POST {R}/answer": officers(("handler",), "subtree", admin=False),
    f"POST {R}/review/approve": officers(("reviewer",), "subtree", admin=False),
    f"POST {R}/review/return": officers(("reviewer",), "subtree", admin=False),
    f"POST {R}/answer/dispatch": officers(("handler", "registrar"), "subtree", admin=False),
    f"POST {R}/withdraw": officers(("registrar",), "subtree", admin=False, owner=True),
    f"POST {R}/remedies": officers(("handler", "head", "supervisor"), "subtree", admin=False),
    f"POST {R}/remedies/{{item_id}}/decision": officers(("handler", "head", "supervisor"), "subtree", admin=False),
    f"POST {R}/query-code": officers(("registrar",), "subtree", admin=False),
    f"GET {R}/notices": officers(scope="subtree", owner=True),
    f"GET {R}/notices/{{notice_id}}/pdf": officers(scope="subtree", owner=True),
    f"GET {R}/notices/{{notice_id}}/html": officers(scope="subtree", owner=True),
    "GET /api/v1/requests/agencies/{agency_id}/notice-settings": officers(scope="subtree"),
    "PUT /api/v1/requests/agencies/{agency_id}/notice-settings": admin_only,
    "POST /api/v1/requests/public/status": public,
    "POST /api/v1/requests/attachments": signed_in,
    "GET /api/v1/requests/attachments/{attachment_id}": unasserted,
    "GET /api/v1/requests/calendar/{year}": public,
    "GET /api/v1/requests/calendar-notice": public,
    "PUT /api/v1/requests/calendar/days/{day}": admin_only,
    "DELETE /api/v1/requests/calendar/days/{day}": admin_only,
    "POST /api/v1/requests/calendar/years/{year}/announce": admin_only,
    "PUT /api/v1/requests/agencies/{agency_id}/rule-set": admin_only,
    "GET /api/v1/requests/agencies": public,
    # notify
    "GET /api/v1/notify/inbox": signed_in,
    "POST /api/v1/notify/inbox/{message_id}/read": owner_only,
    "GET /api/v1/notify/deliveries": officers(scope="own", parent=None),
    "GET /api/v1/notify/webhooks": officers(("head",)),
    "POST /api/v1/notify/webhooks": officers(("head",), "own", parent=None),
    "DELETE /api/v1/notify/webhooks/{subscription_id}": officers(("head",), "own", parent=None),
    "GET /api/v1/notify/webhooks/{subscription_id}/deliveries": officers(("head",), "own", parent=None),
    "GET /api/v1/notify/preferences/me": signed_in,
    "PUT /api/v1/notify/preferences/me": signed_in,
    "GET /api/v1/notify/post": officers(("registrar", "handler", "head")),
    "POST /api/v1/notify/post/{notification_id}/posted": officers(("registrar", "handler", "head"), "subtree", admin=None),
    # audit
    "GET /api/v1/audit/entries": officers(),
    "POST /api/v1/audit/personal-data/erasures": admin_only,
    "GET /api/v1/audit/verify": officers(("supervisor",)),
    "GET /api/v1/audit/timeliness": officers(scope="subtree"),
    "GET /api/v1/audit/timeliness/overdue": officers(scope="subtree"),
    "GET /api/v1/audit/reports/annual": officers(scope="subtree"),
    "POST /api/v1/audit/reports/annual/published": officers(("head", "supervisor"), scope="subtree"),
    "GET /api/v1/audit/reports/published": public,
    "GET /api/v1/audit/reports/published/{report_id}": public,
    "GET /api/v1/audit/assessment": officers(scope="subtree"),
}


def mailing_address_allowed(c: Caller, path: str) -> bool:
    """The post list (notify) gives the postal address in full to whoever may mail the letter: the
    registrars and handlers of the sending agency and of the agencies above it, which may mark a
    letter of their subtree posted (POST /post/{id}/posted). A decision, not an oversight: an
    envelope cannot be addressed from a masked address."""
    return path.endswith("/notify/post") and c.role in ("registrar", "handler") and c.rel in ("own", "parent")


def entitled_to_pii(c: Caller) -> bool:
    """Need to know (services/requests/service/views.py): the applicant, and registrar/handler/head of the handling agency itself."""
    return (c.role == "applicant" and c.rel == "owner") or (c.role in ("registrar", "handler", "head") and c.rel == "own")
