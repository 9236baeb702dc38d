"""Turns events into notifications: one row per (event, kind, recipient, channel), never two."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from services.notify.adapters.orm import InboxMessage, KnownOfficer, Notification, RecipientPreference
from services.notify.domain.delivery import Preferences, contacts_in, plan_channels
from services.notify.domain.routing import Route, routes_for
from services.notify.domain.template_params import sms_params, wechat_params
from services.notify.domain.templates import render, sms_text
from services.notify.service.officer_replica import holders, officer
from services.notify.settings import NotifySettings, WeChatTemplate
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

CHANNEL_LABELS = {"email": "电子邮件", "sms": "短信", "wechat": "微信订阅消息"}


@dataclass(frozen=True)
class FanOutConfig:
    """What the deployment can send: its external channels and the provider templates per message kind."""

    site: str
    channels: frozenset[str] = frozenset(CHANNEL_LABELS)
    sms_templates: Mapping[str, str] = field(default_factory=dict)
    wechat_templates: Mapping[str, WeChatTemplate] = field(default_factory=dict)
    attach_notices: bool = False  # the formal notice's PDF goes with its e-mail (NoticeFetcher configured)

    @classmethod
    def from_settings(cls, settings: NotifySettings, channels: frozenset[str]) -> FanOutConfig:
        return cls(settings.site_name, channels, settings.sms_templates, settings.wechat_templates, settings.attaches_notices)

    def unavailable(self, kind: str) -> dict[str, str]:
        """Channels this deployment cannot carry `kind` on, and why (recorded on the skipped row)."""
        reasons = {ch: f"本系统未配置{label}渠道" for ch, label in CHANNEL_LABELS.items() if ch not in self.channels}
        if "sms" not in reasons and kind not in self.sms_templates:
            reasons["sms"] = f"未为“{kind}”类通知配置短信模板（NOTIFY_SMS_TEMPLATES）"
        if "wechat" not in reasons and kind not in self.wechat_templates:
            reasons["wechat"] = f"未为“{kind}”类通知配置微信订阅消息模板（NOTIFY_WECHAT_TEMPLATES）"
        return reasons


@dataclass(frozen=True)
class Recipient:
    key: str  # the notification's recipient
    has_inbox: bool
    addresses: dict[str, str | None]
    user_sub: str | None = None  # whose preferences apply
    addressee: str | None = None
    mailbox_kind: str = "user"  # whose inbox "inbox" is: a user's (by sub) or a role mailbox


def _officer(o: KnownOfficer, *, has_inbox: bool) -> Recipient:
    """An officer of the directory, at the work contacts it lists."""
    return Recipient(
        o.id, has_inbox, {"inbox": o.id if has_inbox else None, "email": o.email, "sms": o.mobile}, user_sub=o.id, addressee=o.name
    )


async def _recipients(uow: UnitOfWork, route: Route, envelope: EventEnvelope) -> list[Recipient]:
    p = envelope.payload
    if route.recipient == "applicant":
        contact, sub = p.get("contact") or {}, p.get("applicant_sub")
        return [
            Recipient(
                sub or f"applicant:{p['request_id']}",
                bool(sub),
                {"inbox": sub, "email": contact.get("email"), "sms": contact.get("mobile"), "post": contact.get("address") or ""},
                user_sub=sub,
                addressee=contact.get("name"),
            )
        ]
    if route.recipient == "party":
        contact = p.get("party_contact")
        return [
            Recipient(f"party:{p['consultation_id']}", False, {**contacts_in(contact), "post": contact or ""}, addressee=p.get("party"))
        ]
    if route.recipient == "assignee" and p.get("assignee_sub"):
        known = await officer(uow, p["assignee_sub"])
        if known is not None:
            return [_officer(known, has_inbox=True)]
        return [Recipient(p["assignee_sub"], True, {"inbox": p["assignee_sub"]}, user_sub=p["assignee_sub"])]
    role = "head" if route.recipient == "assignee" else route.recipient.split(":", 1)[1]
    mailbox = f"role:{envelope.agency_id}:{role}"
    # The role's shared inbox, and each holder of the role by e-mail / SMS at their directory contacts.
    return [Recipient(mailbox, True, {"inbox": mailbox}, mailbox_kind="role")] + [
        _officer(o, has_inbox=False) for o in await holders(uow, envelope.agency_id, role)
    ]


async def _preferences(uow: UnitOfWork, sub: str | None) -> Preferences | None:
    row = await uow.session.get(RecipientPreference, sub) if sub else None
    if row is None:
        return None
    return Preferences(frozenset(row.channels), row.non_statutory_opt_out, row.wechat_openid)


def _template(channel: str, kind: str, payload: dict, config: FanOutConfig) -> tuple[str | None, dict | None, str | None]:
    if channel == "sms" and kind in config.sms_templates:
        return config.sms_templates[kind], sms_params(kind, payload), None
    if channel == "wechat" and kind in config.wechat_templates:
        tpl = config.wechat_templates[kind]
        page = tpl.page.replace("{request_id}", payload.get("request_id") or "") if tpl.page else None
        return tpl.template_id, wechat_params(kind, payload, tpl.keys), page
    return None, None, None


def _notice_email(route: Route, payload: dict, body: str, config: FanOutConfig) -> tuple[str, dict | None]:
    """The e-mail's body and attachment when its step issued a formal notice to this recipient."""
    notice = payload.get("notice")
    if not notice or route.recipient not in ("applicant", "party"):
        return body, None
    name = f"{notice['title']}（{notice['document_number']}）"
    if config.attach_notices:
        attachment = {"request_id": payload["request_id"], "notice_id": notice["notice_id"], "filename": f"{name}.pdf"}
        return f"{body}\n\n附件：{name}，本机关出具的正式文书（PDF）。", attachment
    where = "可登录本平台在“我的申请”中查看、下载" if route.recipient == "applicant" else "如需纸质文书，请与本机关联系"
    return f"{body}\n\n本机关已出具{name}，{where}。", None


async def fan_out(uow: UnitOfWork, envelope: EventEnvelope, *, site: str | None = None, config: FanOutConfig | None = None) -> int:
    """Create this event's notifications; the inbox ones are delivered at once, letters listed to post, the rest queued."""
    config = config or FanOutConfig(site or "")
    payload, created = envelope.payload, 0
    for route in routes_for(envelope.type, payload):
        subject, body = render(route.kind, payload, site=config.site)
        for recipient in await _recipients(uow, route, envelope):
            prefs = await _preferences(uow, recipient.user_sub)
            addresses = {**recipient.addresses, "wechat": prefs.wechat_openid if prefs else None}
            for planned in plan_channels(
                route.channels,
                statutory=route.statutory,
                has_inbox=recipient.has_inbox,
                addresses=addresses,
                preferences=prefs,
                unavailable=config.unavailable(route.kind),
            ):
                channel = planned.channel
                exists = await uow.session.execute(
                    select(Notification.id).where(
                        Notification.event_id == envelope.event_id,
                        Notification.kind == route.kind,
                        Notification.recipient == recipient.key,
                        Notification.channel == channel,
                    )
                )
                if exists.first():
                    continue
                template_id, params, page = _template(channel, route.kind, payload, config)
                text, attachment = _notice_email(route, payload, body, config) if channel == "email" else (body, None)
                notification = Notification(
                    event_id=envelope.event_id,
                    event_type=envelope.type,
                    kind=route.kind,
                    statutory=route.statutory,
                    request_id=payload.get("request_id"),
                    agency_id=envelope.agency_id,
                    recipient=recipient.key,
                    channel=channel,
                    address=addresses.get(channel) or "",
                    addressee=recipient.addressee,
                    subject=subject,
                    body=sms_text(subject, body) if channel == "sms" else text,
                    template_id=template_id,
                    params=params,
                    page=page,
                    attachment=attachment,
                    status="pending",
                    attempts=0,
                )
                if planned.skipped:
                    notification.status, notification.last_error = "skipped", planned.skipped
                elif channel == "post":
                    # An officer mails it and records the tracking number; in reserve while e-mail or SMS may still deliver.
                    notification.status = "standby" if planned.standby else "to_post"
                elif channel == "inbox":
                    uow.session.add(
                        InboxMessage(
                            recipient_kind=recipient.mailbox_kind,
                            recipient_sub=recipient.key,
                            kind=route.kind,
                            subject=subject,
                            body=body,
                            source_event_id=envelope.event_id,
                        )
                    )
                    notification.status, notification.attempts, notification.sent_at = "sent", 1, utcnow()
                uow.session.add(notification)
                created += 1
    return created
