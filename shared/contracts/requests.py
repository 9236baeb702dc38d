"""Events the requests service publishes, one per workflow step, on `requests.requests`.

Every event carries the request's summary (`RequestFacts`): enough for the audit service
to build the annual report and timeliness statistics from events alone, and for the notify
service to address the applicant. Contact details travel only in `contact`, on the events
that lead to a notice to the applicant.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.topics import REQUESTS_REQUESTS
from shared.events import Event


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    mobile: str | None = None
    email: str | None = None
    address: str | None = None


class NoticeRef(BaseModel):
    """The formal notice a step issued (告知书, 征求意见函, 答复书): a reference, never the PDF itself.

    The PDF stays with the request; the notify service fetches it from the requests service
    (`GET /api/v1/requests/requests/{request_id}/notices/{notice_id}/pdf`) to attach it to the e-mail it sends.
    """

    model_config = ConfigDict(frozen=True)

    notice_id: str
    kind: str  # receipt | correction | extension | consultation | fee | answer
    document_number: str  # 文号, e.g. 某民依申公〔2026〕12号
    title: str


class RequestEvent(Event):
    """Common to every request event."""

    topic: ClassVar[str] = REQUESTS_REQUESTS
    aggregate_type: ClassVar[str] = "request"

    request_id: str
    tracking_number: str
    agency_id: str
    state: str
    previous_state: str | None = None
    round: int = 1
    kind: str = "disclosure"
    applicant_sub: str | None = None
    applicant_type: str
    organisation_type: str | None = None
    channel: str
    received_on: date | None = None
    due_on: date | None = None
    assignee_sub: str | None = None
    note: str | None = None
    contact: Contact | None = None
    notice: NoticeRef | None = None  # the formal notice this step issued, if any


class ProvidedDocument(BaseModel):
    """A file given to the applicant with an answer: the catalog matches files given to several
    applicants by their digest (Art. 44)."""

    model_config = ConfigDict(frozen=True)

    sha256: str
    filename: str


class RequestSubmitted(RequestEvent):
    """Submitted; may still await receipt confirmation (Art. 31)."""

    event_type: ClassVar[str] = "RequestSubmitted"


class RequestReceived(RequestEvent):
    """Receipt date fixed: the answer clock starts."""

    event_type: ClassVar[str] = "RequestReceived"


class RequestAssigned(RequestEvent):
    event_type: ClassVar[str] = "RequestAssigned"


class CorrectionRequested(RequestEvent):
    event_type: ClassVar[str] = "CorrectionRequested"

    correction_due_on: date
    items: list[str]


class CorrectionSubmitted(RequestEvent):
    """The clock restarts from received_on."""

    event_type: ClassVar[str] = "CorrectionSubmitted"


class ConsultationStarted(RequestEvent):
    event_type: ClassVar[str] = "ConsultationStarted"

    consultation_id: str
    consultation_kind: str
    party: str
    reply_due_on: date
    # party_contact, question and information (what the applicant asked for) let notify write the letter (Art. 32/34).
    party_contact: str | None = None
    question: str | None = None
    information: str | None = None
    sent_on: date | None = None  # the day the letter went out (it may be entered later)


class ConsultationReplied(RequestEvent):
    event_type: ClassVar[str] = "ConsultationReplied"

    consultation_id: str
    opinion: str
    silent: bool = False


class FeeNoticeIssued(RequestEvent):
    event_type: ClassVar[str] = "FeeNoticeIssued"

    amount_yuan: int
    method: str
    pay_by: date
    notice_on: date | None = None  # the day of the notice (it may be entered later)


class FeePaid(RequestEvent):
    event_type: ClassVar[str] = "FeePaid"

    amount_yuan: int
    # The day the office records as paid (part 六 of the annual report totals the fees by it).
    paid_on: date | None = None


class ExtensionRequested(RequestEvent):
    event_type: ClassVar[str] = "ExtensionRequested"

    days: int


class ExtensionDecided(RequestEvent):
    event_type: ClassVar[str] = "ExtensionDecided"

    approved: bool
    days: int
    decided_by: str


class LaterAnswerDateSet(RequestEvent):
    event_type: ClassVar[str] = "LaterAnswerDateSet"

    later_due_on: date


class AnswerProposed(RequestEvent):
    event_type: ClassVar[str] = "AnswerProposed"

    answer_id: str
    category: str
    reason: str


class ReviewApproved(RequestEvent):
    event_type: ClassVar[str] = "ReviewApproved"

    answer_id: str
    reviewer_sub: str


class ReviewReturned(RequestEvent):
    event_type: ClassVar[str] = "ReviewReturned"

    answer_id: str
    reviewer_sub: str


class AnswerDispatched(RequestEvent):
    event_type: ClassVar[str] = "AnswerDispatched"

    answer_id: str
    category: str
    reason: str
    answered_on: date
    on_time: bool
    working_days_taken: int
    provided: list[ProvidedDocument] = []


class RequestClosed(RequestEvent):
    event_type: ClassVar[str] = "RequestClosed"

    category: str
    reason: str
    closed_on: date


class RemedyRecorded(RequestEvent):
    event_type: ClassVar[str] = "RemedyRecorded"

    remedy_id: str
    remedy_kind: str
    filed_on: date
    # Filed against an open request past its due date (逾期不答复), not against an answer.
    against_silence: bool = False


class RemedyDecided(RequestEvent):
    event_type: ClassVar[str] = "RemedyDecided"

    remedy_id: str
    remedy_kind: str
    outcome: str
    decided_on: date | None = None


class RequestReopened(RequestEvent):
    event_type: ClassVar[str] = "RequestReopened"

    remedy_id: str


class DeadlineReminder(RequestEvent):
    event_type: ClassVar[str] = "DeadlineReminder"

    reminder: str
    days_remaining: int


ALL_REQUEST_EVENTS = [
    RequestSubmitted,
    RequestReceived,
    RequestAssigned,
    CorrectionRequested,
    CorrectionSubmitted,
    ConsultationStarted,
    ConsultationReplied,
    FeeNoticeIssued,
    FeePaid,
    ExtensionRequested,
    ExtensionDecided,
    LaterAnswerDateSet,
    AnswerProposed,
    ReviewApproved,
    ReviewReturned,
    AnswerDispatched,
    RequestClosed,
    RemedyRecorded,
    RemedyDecided,
    RequestReopened,
    DeadlineReminder,
]


class IdProofViewed(Event):
    """An officer or the applicant downloaded an applicant's identity proof: the audit log keeps who, which request and file, when.

    Not a workflow step (its own aggregate type, so projections of the request ignore it) and
    without personal data: no name, ID number or file name, only identifiers; who and when are
    the envelope's actor and occurred_at.
    """

    topic: ClassVar[str] = REQUESTS_REQUESTS
    aggregate_type: ClassVar[str] = "id_proof_access"

    request_id: str
    attachment_id: str
    agency_id: str
    viewer_sub: str
    viewer_role: str
