"""The online 申请表: reading the posted form, checking what the site can check, building the API's body,
and putting the requests API's own field errors back next to the fields they concern.

Input names are the API's field paths (`applicant.id_number`), so an API error names its field
directly. The site checks what it can before anything is uploaded (required fields, the ID number
and credit code check characters with the very rules the API uses, the file's size and type), so
a form with a mistake stores nothing, not even the ID proof.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.web.labels import DELIVERY_METHODS, FORMS, ORGANISATION_TYPES, PERSON_ID_TYPES
from shared.errors import Problem
from shared.filetypes import check_content
from shared.validators import is_valid_credit_code, is_valid_id_number, is_valid_mobile, normalize_mobile

PERSON, ORGANISATION = "natural_person", "organisation"
GENERAL = "application"  # errors that belong to no single field: the summary links to the form itself
CONTACT = "contact"  # "at least one way to reach you" concerns the contact fields together
FILE_FIELD = "id_proof"

# The ID proof: what an official scan or photo is, by file name extension (the browser's stated type is not trusted).
FILE_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".ofd": "application/ofd"}
FILE_ACCEPT = ",".join(FILE_TYPES)
FILE_KINDS = "PDF、JPG、PNG 或 OFD"

_PERSON_FIELDS = ("applicant.name", "applicant.work_unit", "applicant.id_type", "applicant.id_number")
_ORG_FIELDS = (
    "applicant.name",
    "applicant.organisation_type",
    "applicant.id_number",
    "applicant.legal_representative",
    "applicant.contact_person",
)
_CONTACT_FIELDS = ("applicant.mobile", "applicant.email", "applicant.postal_address", "applicant.postal_code")
_REQUEST_FIELDS = ("agency_id", "document_title", "document_number", "description", "purpose", "preferred_form", "delivery_method")
MAX_LENGTHS = {
    "applicant.name": 100,
    "applicant.work_unit": 100,
    "applicant.id_number": 40,
    "applicant.legal_representative": 50,
    "applicant.contact_person": 50,
    "applicant.email": 254,
    "applicant.postal_address": 300,
    "applicant.postal_code": 6,
    "applicant.mobile": 20,
    "document_title": 300,
    "document_number": 100,
    "description": 5000,
    "purpose": 2000,
}
# Said in Chinese when the API's own message is not (e-mail syntax errors come from a library in English).
FALLBACK = {
    "applicant.email": "电子邮箱格式不正确，例如 zhangsan@163.com",
    "applicant.mobile": "手机号码格式不正确",
    "applicant.postal_code": "邮政编码应为 6 位数字",
    "applicant.id_number": "证件号码不正确",
    "agency_id": "请选择受理机关",
    FILE_FIELD: "身份证明文件未能上传，请重新选择",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def field_order(kind: str) -> tuple[str, ...]:
    """Every field of the form, in page order (the error summary lists errors in this order)."""
    who = _PERSON_FIELDS if kind == PERSON else _ORG_FIELDS
    return ("agency_id", *who, CONTACT, *_CONTACT_FIELDS, *_REQUEST_FIELDS[1:], FILE_FIELD, GENERAL)


def in_order(errors: dict[str, str], kind: str) -> dict[str, str]:
    return {name: errors[name] for name in field_order(kind) if name in errors}


def kind_of(value: str | None) -> str | None:
    return value if value in (PERSON, ORGANISATION) else None


def text_values(form: Any, kind: str) -> dict[str, str]:
    """What the person typed, trimmed, to check and to show again (never the file)."""
    values = {name: str(form.get(name) or "").strip() for name in field_order(kind) if name not in (CONTACT, FILE_FIELD, GENERAL)}
    values["fee_waiver_requested"] = "on" if form.get("fee_waiver_requested") else ""
    values["submission_key"] = str(form.get("submission_key") or "")[:100]
    if kind == ORGANISATION:
        values["applicant.id_number"] = values["applicant.id_number"].upper()
    return values


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


async def read_upload(value: Any, max_bytes: int) -> tuple[Upload | None, str | None]:
    """The chosen ID proof, or why it cannot be sent: none chosen, too large, or not a PDF/image it claims to be."""
    filename = getattr(value, "filename", None)
    if not filename:
        return None, "请选择身份证明文件"
    data = await value.read(max_bytes + 1)
    if len(data) > max_bytes:
        return None, f"文件超过 {max_bytes // (1024 * 1024) or 1} MB 的大小上限，请压缩或缩小后重新选择"
    if not data:
        return None, "所选文件是空的，请重新选择"
    return check_upload(filename, data)


def check_upload(filename: str, data: bytes) -> tuple[Upload | None, str | None]:
    """A file of an accepted kind whose bytes are what its name says (a renamed program is refused)."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = FILE_TYPES.get(extension)
    if content_type is None:
        return None, f"只能上传 {FILE_KINDS} 格式的文件"
    try:
        check_content(content_type, data)
    except Problem:
        return None, f"文件内容不是有效的 {extension[1:].upper()} 文件，请上传 {FILE_KINDS} 格式的身份证明"
    return Upload(filename, content_type, data), None


def validate(values: dict[str, str], kind: str, agency_ids: set[str]) -> dict[str, str]:
    """Errors by field for what the site can check itself, in page order; empty when the form may be sent."""
    errors: dict[str, str] = {}
    required = {
        "agency_id": "请选择受理机关",
        "applicant.name": "请填写姓名" if kind == PERSON else "请填写单位名称",
        "applicant.id_number": "请填写证件号码" if kind == PERSON else "请填写统一社会信用代码",
        "description": "请描述所需政府信息（名称、文号或其他特征性描述）",
        "preferred_form": "请选择指定提供方式",
    }
    if kind == PERSON:
        required["applicant.id_type"] = "请选择证件名称"
    else:
        required["applicant.organisation_type"] = "请选择组织类别"
    for name, message in required.items():
        if not values.get(name):
            errors[name] = message
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name, "")) > limit and name not in errors:
            errors[name] = f"不能超过 {limit} 个字"
    _check_choices(values, kind, agency_ids, errors)
    _check_identity(values, kind, errors)
    _check_contact(values, errors)
    return in_order(errors, kind)


def _check_choices(values: dict[str, str], kind: str, agency_ids: set[str], errors: dict[str, str]) -> None:
    choices = {
        "agency_id": agency_ids,
        "preferred_form": FORMS,
        "delivery_method": DELIVERY_METHODS,
        "applicant.id_type": PERSON_ID_TYPES if kind == PERSON else {},
        "applicant.organisation_type": ORGANISATION_TYPES,
    }
    for name, allowed in choices.items():
        value = values.get(name)
        if value and value not in allowed and name not in errors:
            errors[name] = "请从列表中选择"


def _check_identity(values: dict[str, str], kind: str, errors: dict[str, str]) -> None:
    number = values.get("applicant.id_number", "").upper()
    if not number or "applicant.id_number" in errors:
        return
    if kind == ORGANISATION and not is_valid_credit_code(number):
        errors["applicant.id_number"] = "统一社会信用代码不正确：应为 18 位，请核对（最后一位是校验码）"
    elif kind == PERSON and values.get("applicant.id_type") == "resident_id" and not is_valid_id_number(number):
        errors["applicant.id_number"] = "居民身份证号码不正确：应为 18 位，请核对出生日期和最后一位校验码"


def _check_contact(values: dict[str, str], errors: dict[str, str]) -> None:
    mobile, email = values.get("applicant.mobile", ""), values.get("applicant.email", "")
    if mobile and not is_valid_mobile(normalize_mobile(mobile)):
        errors.setdefault("applicant.mobile", "手机号码应为 11 位数字，例如 13800138000")
    if email and not _EMAIL.match(email):
        errors.setdefault("applicant.email", FALLBACK["applicant.email"])
    if values.get("applicant.postal_code") and not re.fullmatch(r"\d{6}", values["applicant.postal_code"]):
        errors.setdefault("applicant.postal_code", FALLBACK["applicant.postal_code"])
    if not (mobile or email or values.get("applicant.postal_address")):
        errors[CONTACT] = "请至少填写一种联系方式：手机号码、电子邮箱或通信地址"
    method = values.get("delivery_method")
    if method == "post" and not values.get("applicant.postal_address"):
        errors.setdefault("applicant.postal_address", "选择邮寄时须填写通信地址")
    if method == "email" and not email:
        errors.setdefault("applicant.email", "选择电子邮件时须填写电子邮箱")


def request_body(values: dict[str, str], kind: str, attachment_ids: list[str]) -> dict[str, Any]:
    """The API's RequestIn: only what was filled in (an empty optional field is left out, not sent as "")."""
    applicant: dict[str, Any] = {"type": kind}
    names = (_PERSON_FIELDS if kind == PERSON else _ORG_FIELDS) + _CONTACT_FIELDS
    for name in names:
        if values.get(name):
            applicant[name.split(".", 1)[1]] = values[name]
    if kind == ORGANISATION:
        applicant["id_type"] = "credit_code"
    body: dict[str, Any] = {name: values[name] for name in _REQUEST_FIELDS if values.get(name)}
    body.update(applicant=applicant, fee_waiver_requested=bool(values.get("fee_waiver_requested")), attachment_ids=attachment_ids)
    return body


def api_errors(errors: list[dict[str, Any]], detail: str, kind: str, *, field_names: dict[str, str] | None = None) -> dict[str, str]:
    """The API's problem `errors` by the form's fields (unknown fields and a bare detail go to the form as a whole)."""
    renamed = {"attachment_ids": FILE_FIELD, "applicant": CONTACT, "file": FILE_FIELD, **(field_names or {})}
    known = set(field_order(kind))
    result: dict[str, str] = {}
    for error in errors:
        field = str(error.get("field") or "")
        field = renamed.get(field, field)
        if field not in known:
            field = GENERAL
        message = str(error.get("message") or "")
        if not _CJK.search(message):
            message = FALLBACK.get(field, "填写的内容不正确，请核对")
        result.setdefault(field, message)
    if not result:
        result[GENERAL] = detail
    return in_order(result, kind)
