"""Which channels one message goes out on, given the recipient's contacts and preferences (pure).

The rules, in order:

* a non-statutory message to someone who opted out of those is not sent at all;
* a statutory notice always keeps the site inbox when the recipient has an account, whatever
  their preferences say: the law requires the notice to be served;
* any other channel is used only when the recipient has an address for it, did not disable it,
  and the deployment can carry this kind of message on it (configured, with a template);
* a statutory notice that none of those can deliver (no account, no usable e-mail, mobile or
  WeChat) goes on the post list: an officer mails a letter to the postal address;
* a statutory notice to someone without an account that does go out electronically keeps a
  letter in reserve (standby): the dispatcher puts it on the post list if every electronic
  attempt fails for good, since an e-mail bounce must not leave the notice unserved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ALL_CHANNELS = ("inbox", "email", "sms", "wechat")
ELECTRONIC = ("email", "sms", "wechat")


@dataclass(frozen=True)
class Preferences:
    """What a user chose (defaults for someone who never chose)."""

    channels: frozenset[str] = frozenset(ALL_CHANNELS)
    non_statutory_opt_out: bool = False
    wechat_openid: str | None = None


@dataclass(frozen=True)
class Planned:
    channel: str
    skipped: str | None = None  # why it is recorded but not sent (the deployment cannot carry it)
    standby: bool = False  # a letter kept in reserve in case electronic delivery fails


def plan_channels(
    channels: tuple[str, ...],
    *,
    statutory: bool,
    has_inbox: bool,
    addresses: Mapping[str, str | None],
    preferences: Preferences | None,
    unavailable: Mapping[str, str],
) -> list[Planned]:
    """The channels of one message to one recipient; `unavailable` maps channel → why this deployment cannot send it."""
    prefs = preferences or Preferences()
    if not statutory and prefs.non_statutory_opt_out:
        return []
    planned: list[Planned] = []
    for channel in channels:
        if channel == "post":
            continue
        if channel == "inbox":
            if has_inbox and (statutory or "inbox" in prefs.channels):
                planned.append(Planned("inbox"))
            continue
        if channel not in prefs.channels or not addresses.get(channel):
            continue
        planned.append(Planned(channel, unavailable.get(channel)))
    reachable = any(p.skipped is None for p in planned)
    if statutory and "post" in channels and not has_inbox:
        planned.append(Planned("post", standby=reachable))
    return planned


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MOBILE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def contacts_in(text: str | None) -> dict[str, str | None]:
    """The first e-mail address and mainland mobile number in a free-text contact (a landline is neither)."""
    text = text or ""
    email = _EMAIL.search(text)
    mobile = _MOBILE.search(text)
    return {"email": email.group(0) if email else None, "sms": "".join(mobile.groups()) if mobile else None}


def mask_address(address: str) -> str:
    """Keep the province/city/county part a reader needs to tell letters apart; hide the street and door."""
    address = address.strip()
    if not address:
        return ""
    match = re.match(r"^(.*?(?:省|自治区|市|州|盟|县|区|旗))", address)
    head = match.group(1) if match and len(match.group(1)) < len(address) else address[: max(1, len(address) // 3)]
    if len(head) > 12:
        head = head[:6]
    return head + "****"
