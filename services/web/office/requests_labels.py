"""The requests API's codes as the workbench shows them: states, channels, answer types, remedies (the API's own words)."""

from __future__ import annotations

STATES = {
    "pending_receipt": "待确认收到",
    "received": "已受理，待分办",
    "awaiting_correction": "待补正",
    "in_progress": "办理中",
    "consulting": "征求意见中",
    "awaiting_fee": "待缴费",
    "under_review": "保密审查中",
    "approved": "待送达",
    "answered": "已答复",
    "closed": "已终止",
}
OPEN_STATES = tuple(s for s in STATES if s not in ("answered", "closed"))

# Channels an officer registers (Art. 29: letters, faxes, e-mail, walk-ins and oral requests written down).
CHANNELS = {
    "letter": "普通信函",
    "registered_post": "挂号信、EMS",
    "fax": "传真",
    "email": "电子邮件",
    "in_person": "当面提交",
    "oral": "口头申请（登记人员代为填写）",
}
ALL_CHANNELS = {"online": "网上申请", "wechat": "微信小程序", **CHANNELS}
# Art. 31: a letter, fax or e-mail counts as received once confirmed with the applicant; a registered letter on signing.
CONFIRMED_LATER = ("letter", "fax", "email")

ANSWER_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    "disclosed": ("予以公开", {"provided": "予以公开（提供或告知获取方式）", "already_public": "已主动公开，告知获取方式和途径"}),
    "partially_disclosed": ("部分公开", {"separated": "区分处理后部分公开"}),
    "not_disclosed": (
        "不予公开",
        {
            "state_secret": "属于国家秘密",
            "prohibited_by_law": "其他法律行政法规禁止公开",
            "security_stability": "危及“三安全一稳定”",
            "third_party_rights": "保护第三方合法权益",
            "internal_affairs": "属于三类内部事务信息",
            "process_information": "属于四类过程性信息",
            "enforcement_file": "属于行政执法案卷",
            "administrative_query": "属于行政查询事项",
        },
    ),
    "cannot_provide": (
        "无法提供",
        {
            "not_held": "本机关不掌握相关政府信息",
            "needs_creation": "没有现成信息需要另行制作",
            "unclear_after_correction": "补正后申请内容仍不明确",
        },
    ),
    "not_handled": (
        "不予处理",
        {
            "petition_complaint": "信访举报投诉类申请",
            "repeated": "重复申请",
            "publication": "要求提供公开出版物",
            "excessive": "无正当理由大量反复申请",
            "confirm_or_reissue": "要求行政机关确认或重新出具已获取信息",
        },
    ),
    # 逾期不补正 and 逾期未缴费 are reached by the workflow itself, never proposed.
    "other": ("其他处理", {"other": "其他"}),
}

CONSULTATION_KINDS = {"third_party": "第三方（第三十二条）", "inter_agency": "其他机关（第三十四条）"}
OPINIONS = {"consent": "同意公开", "objection": "不同意公开", "other": "其他意见"}
DELIVERY_FORMS = {"electronic": "电子文档", "paper": "纸质文本", "pickup": "当面领取", "inspection": "现场查阅"}
REMEDY_KINDS = {
    "complaint": "投诉、举报",
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_reconsideration": "行政诉讼（复议后起诉）",
}
REMEDY_OUTCOMES = {"pending": "尚未审结", "upheld": "维持", "corrected": "纠正（须重新答复）", "other": "其他结果"}
EXTENSION_STATUS = {"requested": "待负责人审批", "approved": "已批准", "rejected": "未批准"}
REVIEW_STATUS = {"pending": "待审查", "approved": "审查通过", "returned": "已退回"}
NOTICE_KINDS = {"request": "申请相关告知", "consultation": "征求意见函"}

# Urgency at a glance: words (and a shape), never colour alone.
URGENCY = {"overdue": "已逾期", "soon": "3个工作日内到期", "later": "未到期", "stopped": "计时暂停", "none": "—"}


def urgency(item: dict) -> str:
    """overdue / due within 3 working days / later, from the API's own status fields."""
    if item.get("state") in ("answered", "closed"):
        return "none"
    if item.get("overdue"):
        return "overdue"
    remaining = item.get("days_remaining")
    if item.get("paused"):
        return "stopped"
    if remaining is None:
        return "none"
    return "soon" if remaining <= 3 else "later"
