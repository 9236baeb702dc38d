"""Events the identity service publishes.

`identity.accounts` carries what other services need to know about a citizen's account
(the WeChat openid notify sends subscribe messages to; two accounts joined into one), never
a phone number. `identity.officers` carries the officer directory: who may be assigned work
and where their notices go (work contacts), replicated to requests and notify.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.topics import IDENTITY_ACCOUNTS, IDENTITY_OFFICERS
from shared.events import Event


class WechatLinked(Event):
    """A citizen's account signed in from the mini-program: its openid for subscribe messages."""

    event_type: ClassVar[str] = "WechatLinked"
    topic: ClassVar[str] = IDENTITY_ACCOUNTS
    aggregate_type: ClassVar[str] = "account"

    account_id: str
    appid: str
    openid: str


class AccountsMerged(Event):
    """Two accounts proved to be one person (the same verified phone): `merged_id` now lives on as `into_id`."""

    event_type: ClassVar[str] = "AccountsMerged"
    topic: ClassVar[str] = IDENTITY_ACCOUNTS
    aggregate_type: ClassVar[str] = "account"

    merged_id: str
    into_id: str


class OfficerMembership(BaseModel):
    """The roles an officer holds in one agency."""

    model_config = ConfigDict(frozen=True)

    agency_id: str
    roles: list[str]


class OfficerChanged(Event):
    """An officer was added to the directory or changed (name, contacts, roles, status): the whole new state."""

    event_type: ClassVar[str] = "OfficerChanged"
    topic: ClassVar[str] = IDENTITY_OFFICERS
    aggregate_type: ClassVar[str] = "officer"

    officer_id: str
    name: str
    status: str  # active | disabled
    email: str | None = None
    mobile: str | None = None
    memberships: list[OfficerMembership] = []
    # The directory entry's version: replicas keep the highest they have seen and ignore older ones.
    version: int = 0
