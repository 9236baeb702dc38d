"""Events the catalog service publishes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from shared.contracts.topics import CATALOG_AGENCIES, CATALOG_DOCUMENTS
from shared.events import Event


class AgencyRegistered(Event):
    """A new agency (行政机关) joined the agency tree."""

    event_type: ClassVar[str] = "AgencyRegistered"
    topic: ClassVar[str] = CATALOG_AGENCIES
    aggregate_type: ClassVar[str] = "agency"

    agency_id: str
    name: str
    kind: str
    parent_id: str | None = None
    credit_code: str | None = None


class AgencyUpdated(AgencyRegistered):
    """An agency's name, place in the tree or code changed; carries its whole new state."""

    event_type: ClassVar[str] = "AgencyUpdated"


class DocumentEvent(Event):
    """Common to catalog document events (topic `catalog.documents`)."""

    topic: ClassVar[str] = CATALOG_DOCUMENTS
    aggregate_type: ClassVar[str] = "document"

    document_id: str
    agency_id: str
    # regulation 规章 | normative_document 行政规范性文件 | administrative_license 行政许可 |
    # administrative_penalty 行政处罚 | administrative_coercion 行政强制 | administrative_fee 行政事业性收费 | other
    category: str


class DocumentPublished(DocumentEvent):
    """A document passed confidentiality review and was published (主动公开)."""

    event_type: ClassVar[str] = "DocumentPublished"

    index_number: str
    title: str
    made_on: date  # 生成日期 / 成文日期: the year it counts in (本年制发 / 本年处理决定)
    published_on: date
    published_on_time: bool | None = None  # within 20 working days of being made (Art. 26)
    decision_count: int = 1  # a published list of decisions may carry many
    fee_amount_yuan: Decimal | None = None  # 行政事业性收费 collected, for administrative_fee


class DocumentRepealed(DocumentEvent):
    """A published document stopped being in force: repealed (废止) or expired (失效)."""

    event_type: ClassVar[str] = "DocumentRepealed"

    validity: str  # repealed | expired
    effective_on: date


class DocumentWithdrawn(DocumentEvent):
    """A publication taken back (e.g. published in error): it counts nowhere."""

    event_type: ClassVar[str] = "DocumentWithdrawn"


class DocumentRevised(DocumentEvent):
    """A published document's revision passed review; the earlier text is kept as history."""

    event_type: ClassVar[str] = "DocumentRevised"

    index_number: str
    title: str
    revision: int
    revised_on: date


class DocumentPublicationDue(DocumentEvent):
    """Art. 26 reminder: an unpublished document nears (or passed) its 20-working-day deadline."""

    event_type: ClassVar[str] = "DocumentPublicationDue"

    index_number: str
    title: str
    made_on: date
    publish_due_on: date
    working_days_left: int  # negative once overdue


class DocumentStep(DocumentEvent):
    """A lifecycle step that changes no count (drafted, submitted, returned, revision proposed or returned)."""

    index_number: str
    title: str
    status: str
    note: str | None = None


class DocumentDrafted(DocumentStep):
    event_type: ClassVar[str] = "DocumentDrafted"


class DocumentSubmitted(DocumentStep):
    """Sent to confidentiality review (保密审查, Art. 17)."""

    event_type: ClassVar[str] = "DocumentSubmitted"


class DocumentReturned(DocumentStep):
    """The reviewer sent it back to the author, with reasons."""

    event_type: ClassVar[str] = "DocumentReturned"


class DocumentRevisionProposed(DocumentStep):
    event_type: ClassVar[str] = "DocumentRevisionProposed"


class DocumentRevisionReturned(DocumentStep):
    event_type: ClassVar[str] = "DocumentRevisionReturned"
