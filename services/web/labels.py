"""The requests API's codes in the words of the official 申请表 (the API gives states and answers their labels itself)."""

from __future__ import annotations

APPLICANT_TYPES = {"natural_person": "公民", "organisation": "法人或其他组织"}

# 证件名称 a citizen may choose; the credit code belongs to organisations only (the API refuses it for a person).
PERSON_ID_TYPES = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "hk_macau_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "foreign_permanent": "外国人永久居留身份证",
}
ID_TYPES = {**PERSON_ID_TYPES, "credit_code": "统一社会信用代码"}

ORGANISATION_TYPES = {
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_services": "法律服务机构",
    "other": "其他",
}

# 指定提供方式: the form the information takes.
FORMS = {"paper": "纸质文本", "electronic": "电子文档", "pickup": "当面领取", "inspection": "现场查阅"}
# 获取方式: how it reaches the applicant.
DELIVERY_METHODS = {"post": "邮寄", "email": "电子邮件", "fax": "传真", "pickup": "自行领取", "onsite": "当场阅读、抄录"}

SKIPPED_KINDS = {"weekend": "周末", "holiday": "法定节假日", "paused": "暂停计时"}


def label(table: dict[str, str], code: str | None, default: str = "") -> str:
    """The Chinese word for `code`, or the code itself when it is new to this site (never an empty cell)."""
    if not code:
        return default
    return table.get(code, code)


def due_in_words(due: dict | None, days_remaining: int | None = None, overdue: bool = False) -> list[str]:
    """How the due date was computed, sentence by sentence, from the API's `due` object (dates in Chinese)."""
    from services.web.filters import cn_date

    if not due:
        return ["收到申请后开始计算答复期限。"]
    lines = [
        f"自{cn_date(due['start'])}收到申请（当日不计）起算，按{due['rule_set']}年施行的《政府信息公开条例》"
        f"计{due['answer_days']}个工作日。"
    ]
    if due.get("extension_days"):
        lines.append(f"经批准延长{due['extension_days']}个工作日。")
    skipped = due.get("skipped_days") or []
    weekends = sum(1 for s in skipped if s.get("kind") == "weekend")
    holidays = sum(1 for s in skipped if s.get("kind") == "holiday")
    paused = sum(1 for s in skipped if s.get("kind") == "paused")
    lines.append(f"期间不计周末{weekends}天、法定节假日{holidays}天。")
    if due.get("adjusted_workdays"):
        lines.append("调休上班日计入：" + "、".join(cn_date(d) for d in due["adjusted_workdays"]) + "。")
    if paused:
        lines.append(f"征求第三方或其他机关意见、等待缴费期间{paused}个工作日不计入。")
    lines.append(f"答复期限为{cn_date(due['computed_due_on'])}。")
    if due.get("later_due_on") and due["later_due_on"] != due["computed_due_on"]:
        lines.append(f"依条例第三十五条确定的延后答复期限为{cn_date(due['later_due_on'])}。")
    if due.get("provisional"):
        lines.append("该期限为暂定：计时暂停中，或所涉年度的放假安排尚未公布。")
    if overdue:
        lines.append("已超过答复期限。")
    elif days_remaining is not None:
        lines.append(f"距答复期限还有{days_remaining}个工作日。")
    return lines
