"""A step's form on the workbench: the values as typed (written back on error), the form's own checks, and the API's body."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from services.web.office import requests_labels as L
from services.web.office.requests_steps import Step


def answer_choices() -> dict[str, str]:
    return {f"{cat}:{code}": f"{label}：{reason}" for cat, (label, reasons) in L.ANSWER_TYPES.items() for code, reason in reasons.items()}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def values_of(step: Step, form: Any) -> dict[str, str]:
    return {f.name: str(form.get(f.name) or "").strip() for f in step.fields if f.kind != "file"} | {
        "version": str(form.get("version") or "")
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def check(step: Step, values: dict[str, str], choices: dict[str, dict[str, str]], today: date) -> dict[str, str]:
    """The form's own checks (the API checks again): required fields, dates, numbers, choices."""
    errors: dict[str, str] = {}
    for f in step.fields:
        value = values.get(f.name, "")
        if f.kind == "file":
            continue
        if not value:
            if f.required:
                errors[f.name] = f"请{'选择' if f.kind in ('select', 'radio') else '填写'}{f.label}"
            continue
        if f.maxlength and len(value) > f.maxlength:
            errors[f.name] = f"{f.label}不能超过 {f.maxlength} 个字"
        elif f.kind == "date":
            if not _DATE.match(value):
                errors[f.name] = f"{f.label}格式应为 年-月-日，如 {today.isoformat()}"
            else:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    errors[f.name] = f"{f.label}不是有效日期"
        elif f.kind == "number" and not value.isdigit():
            errors[f.name] = f"{f.label}应为整数"
        elif f.kind in ("select", "radio") and value not in (choices.get(f.name) or f.choices or {}):
            errors[f.name] = f"请从列出的选项中选择{f.label}"
        elif f.kind == "lines" and len(_lines(value)) > 50:
            errors[f.name] = f"{f.label}至多 50 项"
    if "acted_on" in values and values.get("acted_on") and values["acted_on"] != today.isoformat() and not values.get("acted_on_reason"):
        errors.setdefault("acted_on_reason", "填写了早于今天的实际发生日期，请说明补录原因")
    return errors


def _opt(values: dict[str, str], *names: str) -> dict[str, Any]:
    return {n: values[n] for n in names if values.get(n)}


def body_of(step: Step, values: dict[str, str], document_ids: list[str]) -> dict[str, Any]:
    """The API's request body for the step (the field names of services/requests/service/commands.py)."""
    v, a = values, step.action
    as_of = _opt(v, "acted_on", "acted_on_reason")
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "confirm_receipt": lambda: {"received_on": v["received_on"]},
        "assign": lambda: {"assignee_sub": v["assignee_sub"], **_opt(v, "note")},
        "request_correction": lambda: {"items": _lines(v["items"]), "period_days": int(v["period_days"])},
        "submit_correction": lambda: {"description": v["description"], **_opt(v, "document_title", "document_number")},
        "start_consultation": lambda: {
            "kind": v["kind"],
            "party": v["party"],
            "question": v["question"],
            **_opt(v, "party_contact"),
            **as_of,
        },
        "record_consultation_reply": lambda: {"opinion": v["opinion"], "replied_on": v["replied_on"], **_opt(v, "opinion_text")},
        "issue_fee_notice": lambda: {"pages": int(v["pages"]), **_opt(v, "note"), **as_of},
        "record_payment": lambda: {"paid_on": v["paid_on"], "amount_yuan": int(v["amount_yuan"])},
        "request_extension": lambda: {"days": int(v["days"]), "reason": v["reason"]},
        "decide_extension": lambda: {"approve": v["approve"] == "yes", **_opt(v, "note")},
        "set_later_answer_date": lambda: {"later_due_on": v["later_due_on"], "reason": v["reason"]},
        "propose_answer": lambda: _answer_body(v, document_ids),
        "approve_review": lambda: _opt(v, "note"),
        "return_review": lambda: {"note": v["note"]},
        "dispatch_answer": lambda: {"delivery_form": v["delivery_form"], **_opt(v, "dispatched_on")},
        "withdraw": lambda: {**_opt(v, "reason"), **as_of},
        "record_remedy": lambda: {"kind": v["kind"], "filed_on": v["filed_on"], "authority": v["authority"], **_opt(v, "case_number")},
        "decide_remedy": lambda: {"outcome": v["outcome"], "decided_on": v["decided_on"], **_opt(v, "note")},
    }
    return bodies[a]()


def _answer_body(v: dict[str, str], document_ids: list[str]) -> dict[str, Any]:
    category, reason = v["category_reason"].split(":", 1)
    body: dict[str, Any] = {
        "category": category,
        "reason": reason,
        "letter": v["letter"],
        "exempt_parts": _lines(v.get("exempt_parts", "")),
    }
    if v.get("referral_agency") or v.get("referral_contact"):
        body["referral"] = {"agency_name": v.get("referral_agency", ""), "contact": v.get("referral_contact", "")}
    body["document_ids"] = document_ids
    return body


def api_path(step: Step, request_id: str, values: dict[str, str]) -> str:
    item = values.get("consultation") or values.get("remedy") or ""
    return f"/requests/{request_id}/" + step.path.replace("{item}", item)


def defaults(step: Step, detail: dict[str, Any], today: date) -> dict[str, str]:
    """What a form starts with: today's date where a date is required, the usual period, the computed fee."""
    values = {f.name: today.isoformat() for f in step.fields if f.kind == "date" and f.required}
    if step.action == "request_correction":
        values["period_days"] = "15"
    if step.action == "record_payment" and detail.get("fee"):
        values["amount_yuan"] = str(detail["fee"].get("amount_yuan") or 0)
    if step.action == "dispatch_answer":
        values["delivery_form"] = detail.get("preferred_form") or "electronic"
    if step.action == "assign" and detail.get("assignee_sub"):
        values["assignee_sub"] = detail["assignee_sub"]
    values["version"] = str(detail.get("version", ""))
    return values
