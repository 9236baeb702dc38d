"""我的申请: the applicant's own actions (补正, 撤回) checked before they go to the API, files passed on safely, and the
request's formal notices (通知书) listed without letting them break the page."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from services.web.backends import Backends, BackendUnavailable
from shared.filetypes import content_disposition

log = logging.getLogger(__name__)

CONFIRM = "confirm"
APPLICANT_ACTIONS = {"submit_correction", "withdraw"}


def is_id(value: str) -> bool:
    """An id as the APIs make them (UUIDs): anything else never reaches an API path."""
    return bool(re.fullmatch(r"[0-9A-Za-z-]{1,64}", value))


def may(detail: dict[str, Any], action: str) -> bool:
    """Whether the API offers this person `action` on this request now (it decides; the page only follows)."""
    return any(a.get("action") == action for a in detail.get("allowed_actions") or [])


def correction_values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in ("description", "document_title", "document_number", CONFIRM, "version")}


def check_correction(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not values.get("description"):
        errors["description"] = "请按补正通知的要求，重新描述所需政府信息"
    elif len(values["description"]) > 5000:
        errors["description"] = "不能超过 5000 个字"
    if len(values.get("document_title", "")) > 300:
        errors["document_title"] = "不能超过 300 个字"
    if len(values.get("document_number", "")) > 100:
        errors["document_number"] = "不能超过 100 个字"
    if not values.get(CONFIRM):
        errors[CONFIRM] = "请勾选确认后再提交补正"
    return errors


def correction_body(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"description": values["description"]}
    for name in ("document_title", "document_number"):
        if values.get(name):
            body[name] = values[name]
    return body


def withdraw_values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in ("reason", CONFIRM, "version")}


def check_withdraw(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    if len(values.get("reason", "")) > 2000:
        errors["reason"] = "不能超过 2000 个字"
    if not values.get(CONFIRM):
        errors[CONFIRM] = "请勾选确认后再撤回申请"
    return errors


def if_match(request_id: str, version: str) -> dict[str, str]:
    """The version the person saw: if an officer acted meanwhile, the API refuses (412) instead of acting on a stale page."""
    return {"If-Match": f'"{request_id}.{version}"'} if version.isdigit() else {}


def refusal(problem_errors: list[dict[str, Any]], detail: str, fields: set[str]) -> dict[str, str]:
    """The API's Chinese refusal: by the field it names, else at the confirmation (the step that was refused)."""
    result: dict[str, str] = {}
    for error in problem_errors:
        field = str(error.get("field") or "")
        if field in fields and re.search(r"[\u4e00-\u9fff]", str(error.get("message") or "")):
            result.setdefault(field, str(error["message"]))
    return result or {CONFIRM: detail}


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*UTF-8''([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"([^"]*)"', re.IGNORECASE)


def download_disposition(upstream: str | None, default: str = "答复文件") -> str:
    """Our own `attachment` header from the name the API gave (never its header verbatim: no injection, no inline)."""
    name = ""
    if upstream:
        if match := _FILENAME_STAR.search(upstream):
            name = unquote(match.group(1).strip())
        elif match := _FILENAME.search(upstream):
            name = match.group(1)
    return content_disposition(name or default, "download")


def answer_document_ids(detail: dict[str, Any]) -> set[str]:
    return {doc for answer in detail.get("answers") or [] for doc in answer.get("document_ids") or []}


async def notices_of(api: Backends, token: str, request_id: str) -> list[dict[str, Any]] | None:
    """The request's formal notices (通知书) the API shows this caller, or None while it cannot list them: the page
    then shows everything else and says the notices cannot be shown now, rather than failing whole."""
    try:
        return await api.get_json("requests", f"/requests/{request_id}/notices", token=token)
    except BackendUnavailable as exc:
        log.warning("notices of request %s not shown: %s", request_id, exc)
        return None
