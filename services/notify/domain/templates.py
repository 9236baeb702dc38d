"""Chinese message templates, one per message kind, with the content each notice must state."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, StrictUndefined

from shared.logging import mask_pii

_env = Environment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)

REMEDIES = (
    "如对本答复不服，可以自收到之日起60日内向上一级行政机关或者本级人民政府申请行政复议，"
    "或者自收到之日起6个月内依法向人民法院提起行政诉讼；也可以向上一级行政机关或政府信息公开工作主管部门投诉、举报。"
)

CATEGORY_LABELS = {
    "disclosed": "予以公开",
    "partially_disclosed": "部分公开",
    "not_disclosed": "不予公开",
    "cannot_provide": "无法提供",
    "not_handled": "不予处理",
    "other": "其他处理",
}

TEMPLATES: dict[str, tuple[str, str]] = {
    # kind: (subject, body)
    "receipt": (
        "政府信息公开申请受理回执（{{ p.tracking_number }}）",
        "{{ name }}：您的政府信息公开申请已于{{ p.received_on }}收到，受理编号 {{ p.tracking_number }}。"
        "{% if p.due_on %}我们将在{{ p.due_on }}前作出答复（法定期限，按工作日计算）。{% endif %}"
        "您可凭受理编号和查询码（网上申请的见提交成功页面，其他方式申请的见书面受理回执；遗失的可请受理机关重新发放）"
        "在{{ site }}网站查询办理进度。",
    ),
    "correction_notice": (
        "政府信息公开申请补正通知（{{ p.tracking_number }}）",
        "{{ name }}：您的申请内容需要补正，请在{{ p.correction_due_on }}前补正以下事项：\n"
        "{% for item in p['items'] %}{{ loop.index }}. {{ item }}\n{% endfor %}"
        "答复期限自我们收到补正后的申请之日起计算；无正当理由逾期不补正的，视为放弃申请（《政府信息公开条例》第三十条）。",
    ),
    "extension_notice": (
        "政府信息公开申请延期答复告知（{{ p.tracking_number }}）",
        "{{ name }}：因情况复杂，经政府信息公开工作机构负责人同意，您的申请答复期限延长{{ p.days }}个工作日，"
        "延长后的答复期限为{{ p.due_on }}（《政府信息公开条例》第三十三条）。",
    ),
    "later_answer_notice": (
        "政府信息公开申请答复期限告知（{{ p.tracking_number }}）",
        "{{ name }}：因申请数量、频次明显超过合理范围，本机关确定的答复期限为{{ p.later_due_on }}（《政府信息公开条例》第三十五条）。",
    ),
    "fee_notice": (
        "信息处理费缴费通知（{{ p.tracking_number }}）",
        "{{ name }}：依据国办函〔2020〕109号，您的申请需缴纳信息处理费{{ p.amount_yuan }}元，请于{{ p.pay_by }}前缴纳。"
        "逾期未缴纳的，本机关不再处理该申请；缴费期间不计入答复期限。",
    ),
    "answer_notice": (
        "政府信息公开申请答复（{{ p.tracking_number }}）",
        "{{ name }}：您的申请已于{{ p.answered_on }}作出答复，答复类型：{{ category }}。请登录{{ site }}查看答复书及附件。\n" + REMEDIES,
    ),
    "closure_notice": (
        "政府信息公开申请终止处理告知（{{ p.tracking_number }}）",
        "{{ name }}：您的申请已于{{ p.closed_on }}终止处理。{% if p.note %}原因：{{ p.note }}。{% endif %}\n" + REMEDIES,
    ),
    "reopen_notice": (
        "政府信息公开申请重新办理告知（{{ p.tracking_number }}）",
        "{{ name }}：根据复议或诉讼结果，我们将重新办理您的申请，新的答复期限为{{ p.due_on }}。",
    ),
    "correction_received": (
        "补正材料已收到（{{ p.tracking_number }}）",
        "{{ name }}：我们已收到您补正后的申请，答复期限自收到之日起重新计算{% if p.due_on %}，新的答复期限为{{ p.due_on }}{% endif %}。",
    ),
    "consultation_letter": (
        "{% if p.consultation_kind == 'inter_agency' %}政府信息公开征求意见函{% else %}政府信息公开征求第三方意见函{% endif %}"
        "（{{ p.tracking_number }}）",
        "{{ p.party }}：\n本机关收到一件政府信息公开申请（受理编号 {{ p.tracking_number }}）"
        "{% if information %}，申请公开的信息为：{{ information }}{% endif %}。\n"
        "{% if p.consultation_kind == 'inter_agency' %}"
        "该信息涉及贵机关，依据《政府信息公开条例》第三十四条，现书面征求贵机关意见。"
        "{% else %}"
        "公开该信息可能损害您（单位）的合法权益，依据《政府信息公开条例》第三十二条，现书面征求您的意见。"
        "{% endif %}\n"
        "{% if p.get('question') %}征求意见事项：{{ p.question }}\n{% endif %}"
        "请于{{ p.reply_due_on }}前（收到本函之日起15个工作日内）书面提出是否同意公开的意见及理由。"
        "{% if p.consultation_kind == 'inter_agency' %}逾期未提出意见的，视为同意公开。"
        "{% else %}逾期未提出意见的，由本机关依照《政府信息公开条例》的规定决定是否公开。{% endif %}",
    ),
    "assignment": ("新分办申请：{{ p.tracking_number }}", "申请 {{ p.tracking_number }} 已分办给您，答复期限 {{ p.due_on }}。"),
    "extension_approval_needed": ("延期待审批：{{ p.tracking_number }}", "承办人申请延期 {{ p.days }} 个工作日，理由：{{ p.note }}。"),
    "review_needed": ("保密审查待办：{{ p.tracking_number }}", "申请 {{ p.tracking_number }} 的拟答复已提交保密审查。"),
    "deadline_reminder": (
        "答复期限提醒：{{ p.tracking_number }}",
        "{% if p.reminder == 'overdue' %}申请 {{ p.tracking_number }} 已超过答复期限（{{ p.due_on }}）！"
        "{% elif p.reminder == 'due_today' %}申请 {{ p.tracking_number }} 今天（{{ p.due_on }}）到期。"
        "{% else %}申请 {{ p.tracking_number }} 将于 {{ p.due_on }} 到期，剩余 {{ p.days_remaining }} 个工作日。{% endif %}",
    ),
}

SMS_LIMIT = 300  # characters: long SMS are split by the carrier; keep notices short


def render(kind: str, payload: dict[str, Any], *, site: str) -> tuple[str, str]:
    """(subject, body) of a message kind, filled from the event payload."""
    subject, body = TEMPLATES[kind]
    contact = payload.get("contact") or {}
    context = {
        "p": payload,
        "name": contact.get("name", "申请人"),
        "site": site,
        "category": CATEGORY_LABELS.get(payload.get("category", ""), ""),
        # What the applicant asked for, told to a consulted party: never the applicant's own contacts.
        "information": mask_pii(payload.get("information") or ""),
    }
    return _env.from_string(subject).render(context), _env.from_string(body).render(context)


def sms_text(subject: str, body: str) -> str:
    """The SMS as the recipient reads it, for the record: subject in brackets, cut to the length limit."""
    text = f"【{subject}】{body}"
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"
