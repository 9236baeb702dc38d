"""The values pre-approved SMS and WeChat templates are filled with, per message kind (pure).

SMS (Aliyun): every variable is a short string; Aliyun refuses values over 35 characters
(isv.PARAM_LENGTH_LIMIT) and links, so only tracking numbers, dates, amounts and short words go
in. A deployment registers its templates with these variable names, e.g. for `receipt`:
"您的政府信息公开申请${code}已于${date}收到，我们将在${due}前答复。"

WeChat subscribe messages: the data keys are typed by the template the deployment chose
(`character_string` ≤32 letters/digits/symbols, `date` a date, `thing` ≤20 characters,
`amount` a number with 元); the values are listed here in order and numbered
(character_string1, date2, thing3 …) unless the deployment names its template's keys.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.notify.domain.templates import CATEGORY_LABELS

SMS_VALUE_LIMIT = 35
WECHAT_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "amount": 16}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _cn_date(value: object) -> str:
    """WeChat's `date` format, 2026年10月30日; a missing date reads 待定 (WeChat refuses empty values)."""
    if not value:
        return "待定"
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def sms_params(kind: str, p: dict[str, Any]) -> dict[str, str]:
    """Aliyun TemplateParam for a message kind (variables: code, date, due, days, amount, result)."""
    code = _text(p.get("tracking_number"))
    values = {
        "receipt": {"code": code, "date": _text(p.get("received_on")), "due": _text(p.get("due_on"))},
        "correction_notice": {"code": code, "due": _text(p.get("correction_due_on"))},
        "correction_received": {"code": code, "due": _text(p.get("due_on"))},
        "extension_notice": {"code": code, "days": _text(p.get("days")), "due": _text(p.get("due_on"))},
        "later_answer_notice": {"code": code, "due": _text(p.get("later_due_on"))},
        "fee_notice": {"code": code, "amount": _text(p.get("amount_yuan")), "due": _text(p.get("pay_by"))},
        "answer_notice": {"code": code, "date": _text(p.get("answered_on")), "result": CATEGORY_LABELS.get(p.get("category") or "", "")},
        "closure_notice": {"code": code, "date": _text(p.get("closed_on"))},
        "reopen_notice": {"code": code, "due": _text(p.get("due_on"))},
        "consultation_letter": {"code": code, "due": _text(p.get("reply_due_on"))},
    }.get(kind, {"code": code})
    return {k: _cut(v, SMS_VALUE_LIMIT) for k, v in values.items()}


def _wechat_fields(kind: str, p: dict[str, Any]) -> list[tuple[str, str]]:
    code = ("character_string", _text(p.get("tracking_number")))
    category = CATEGORY_LABELS.get(p.get("category") or "", "")
    return {
        "receipt": [code, ("date", _cn_date(p.get("due_on"))), ("thing", "申请已受理，请留意答复")],
        "correction_notice": [code, ("date", _cn_date(p.get("correction_due_on"))), ("thing", "申请需要补正，请按期补正")],
        "correction_received": [code, ("date", _cn_date(p.get("due_on"))), ("thing", "已收到补正，答复期限重新计算")],
        "extension_notice": [code, ("date", _cn_date(p.get("due_on"))), ("thing", f"答复期限延长{_text(p.get('days'))}个工作日")],
        "later_answer_notice": [code, ("date", _cn_date(p.get("later_due_on"))), ("thing", "答复期限已另行确定")],
        "fee_notice": [
            code,
            ("date", _cn_date(p.get("pay_by"))),
            ("amount", f"{_text(p.get('amount_yuan'))}元"),
            ("thing", "请按期缴纳信息处理费"),
        ],
        "answer_notice": [code, ("date", _cn_date(p.get("answered_on"))), ("thing", f"已答复：{category}" if category else "已作出答复")],
        "closure_notice": [code, ("date", _cn_date(p.get("closed_on"))), ("thing", p.get("note") or "申请已终止处理")],
        "reopen_notice": [code, ("date", _cn_date(p.get("due_on"))), ("thing", "申请将重新办理")],
    }.get(kind, [code, ("thing", "政府信息公开申请有新进展")])


def wechat_params(kind: str, p: dict[str, Any], keys: list[str] | None = None) -> dict[str, str]:
    """Subscribe-message data for a message kind, each value cut to its key type's limit."""
    fields = _wechat_fields(kind, p)
    names = keys or [f"{t}{i}" for i, (t, _) in enumerate(fields, start=1)]
    out: dict[str, str] = {}
    for name, (kind_of_value, value) in zip(names, fields, strict=False):
        limit = WECHAT_LIMITS.get(kind_of_value)
        if kind_of_value == "character_string":
            value = value[:limit]  # letters, digits and symbols only: no ellipsis
        elif limit:
            value = _cut(value, limit)
        out[name] = value
    return out
