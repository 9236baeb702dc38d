"""Document lifecycle rules (pure): which step is allowed from which state, and the Art. 26 clock.

draft ──submit──▶ in_review ──approve (reviewer ≠ author)──▶ published
  ▲                  │                                        │ revise ─▶ (pending revision) ─approve─▶ published, history kept
  └──────return──────┘                                        │ repeal / expire ─▶ published, validity 废止 / 失效
                                                              └ withdraw ─▶ withdrawn (never shown again)
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.workdays import WorkCalendar

# Art. 26: within 20 working days of the information being made or changed.
PUBLICATION_DAYS = 20


class Status(StrEnum):
    draft = "draft"
    in_review = "in_review"  # 保密审查中
    published = "published"
    withdrawn = "withdrawn"


class Validity(StrEnum):
    valid = "valid"  # 有效
    expired = "expired"  # 失效
    repealed = "repealed"  # 废止


class Step(StrEnum):
    edit = "edit"
    submit = "submit"
    approve = "approve"
    return_ = "return"
    revise = "revise"
    approve_revision = "approve_revision"
    return_revision = "return_revision"
    change_validity = "change_validity"
    withdraw = "withdraw"


STEP_LABELS = {
    Step.edit: "修改草稿",
    Step.submit: "提交保密审查",
    Step.approve: "审查通过并发布",
    Step.return_: "退回修改",
    Step.revise: "修订已发布信息",
    Step.approve_revision: "修订审查通过",
    Step.return_revision: "退回修订",
    Step.change_validity: "变更有效性（失效/废止）",
    Step.withdraw: "撤回",
}


def allowed_steps(status: str, *, pending_revision: bool, validity: str) -> list[Step]:
    if status == Status.draft:
        return [Step.edit, Step.submit]
    if status == Status.in_review:
        return [Step.approve, Step.return_]
    if status == Status.published:
        if pending_revision:
            return [Step.approve_revision, Step.return_revision, Step.withdraw]
        steps = [Step.revise, Step.withdraw]
        if validity == Validity.valid:
            steps.insert(1, Step.change_validity)
        return steps
    return []


def publication_due(calendar: WorkCalendar, made_on: date) -> date:
    """The last day to publish: 20 working days after the day it was made (that day not counted)."""
    return calendar.add_workdays(made_on, PUBLICATION_DAYS)


def index_number(credit_code: str, year: int, serial: int) -> str:
    """索引号: the agency's unified social credit code / year - serial (five digits, more when needed)."""
    return f"{credit_code}/{year}-{serial:05d}"
