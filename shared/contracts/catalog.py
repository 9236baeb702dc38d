"""Events the catalog service publishes."""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.topics import CATALOG_AGENCIES
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
