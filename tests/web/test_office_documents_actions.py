"""Which steps the document page offers: the step must be open in the document's state, the officer must hold a role
for it, and nobody is offered the review of what they drafted, submitted or proposed (catalog's rules, mirrored)."""

from __future__ import annotations

import pytest

from services.web.office.documents import actions_for
from services.web.session import Session


def officer(sub: str, *roles: str) -> Session:
    return Session(sub=sub, kind="officer", roles=list(roles), refresh_token="r")


def doc(status: str, steps: list[str], **fields: object) -> dict:
    return {"status": {"code": status, "name": status}, "allowed_steps": steps, "author_sub": "author", "submitted_by": None} | fields


def offered(s: Session, d: dict) -> list[str]:
    return [path for path, _ in actions_for(s, d)]


DRAFT = doc("draft", ["edit", "submit"])
IN_REVIEW = doc("in_review", ["approve", "return"], submitted_by="submitter")
PUBLISHED = doc("published", ["revise", "change_validity", "withdraw"])
PENDING = doc("published", ["approve_revision", "return_revision", "withdraw"], pending_revision={"by": "reviser"})


@pytest.mark.parametrize(
    ("who", "d", "expected"),
    [
        (officer("author", "handler"), DRAFT, ["edit", "attachments", "submit"]),
        (officer("x", "reviewer"), DRAFT, []),
        (officer("x", "supervisor"), IN_REVIEW, []),
        (officer("x", "reviewer"), IN_REVIEW, ["approve", "return"]),
        (officer("author", "handler", "reviewer"), IN_REVIEW, []),  # the drafter holding the reviewer role too
        (officer("author", "head"), IN_REVIEW, []),
        (officer("submitter", "head"), IN_REVIEW, ["return"]),  # catalog lets the submitter return, not approve
        (officer("x", "handler"), IN_REVIEW, []),
        (officer("x", "handler"), PUBLISHED, ["revise"]),
        (officer("x", "head"), PUBLISHED, ["revise", "validity", "withdraw"]),
        (officer("x", "admin"), PUBLISHED, ["revise", "validity", "withdraw"]),
        (officer("reviser", "head"), PENDING, ["withdraw"]),
        (officer("x", "reviewer"), PENDING, ["revision/approve", "revision/return"]),
        (officer("x", "head"), doc("withdrawn", []), []),
    ],
)
def test_the_page_offers_only_what_catalog_would_allow_this_officer(who, d, expected):
    assert offered(who, d) == expected
