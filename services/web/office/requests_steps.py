"""Each workflow step an officer takes on a request: its form (only the statutory choices), who may take it, and the API body.

The API decides; these rules only keep a screen from offering what the API would refuse: the state
machine and the officer's roles (the API's `allowed_actions`), plus what it checks only on the
attempt — nobody reviews or approves their own work, and the handler's work is the assignee's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.web.office import requests_labels as L


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | lines | date | number | select | radio | file
    required: bool = False
    hint: str | None = None
    choices: dict[str, str] | None = None  # select/radio: value -> label (a select's may be filled per request)
    maxlength: int | None = None


@dataclass(frozen=True)
class Step:
    action: str
    title: str
    button: str
    path: str  # under /requests/{id}
    roles: frozenset[str]  # ACTION_ROLES without the applicant
    explains: str  # what the step does, shown above the button
    fields: tuple[Field, ...] = ()
    handler_work: bool = False  # the assignee's own work (another handler of the agency is not offered it)
    reviews_own: str | None = None  # the step judges someone's work: who ("answer" | "extension")


def _as_of() -> tuple[Field, ...]:
    return (
        Field("acted_on", "实际发生日期", "date", hint="纸质办理后补录时填写实际日期；当天办理的不填。"),
        Field("acted_on_reason", "补录原因", "text", hint="填写了早于今天的实际发生日期时必填，记入时间线。", maxlength=500),
    )


STEPS: dict[str, Step] = {
    s.action: s
    for s in (
        Step(
            "confirm_receipt",
            "确认收到申请",
            "确认已收到申请",
            "confirm-receipt",
            frozenset({"registrar", "handler"}),
            "普通信函、传真、电子邮件提交的申请，以与申请人确认之日为收到申请之日（第三十一条），答复期限自次日起算。",
            (Field("received_on", "确认收到的日期", "date", True),),
        ),
        Step(
            "assign",
            "分办",
            "分办给所选人员",
            "assign",
            frozenset({"head", "registrar"}),
            "将申请交给本机关或下级机关的承办人办理；承办人可见其办理队列。",
            (Field("assignee_sub", "承办人", "select", True, choices={}), Field("note", "分办说明", "textarea", maxlength=1000)),
        ),
        Step(
            "request_correction",
            "一次性告知补正",
            "发出补正通知",
            "correction-notice",
            frozenset({"handler", "registrar"}),
            "申请内容不明确的，一次性告知申请人需要补正的全部事项和合理的补正期限（第三十条）；答复期限自收到补正之日起重新计算。",
            (
                Field("items", "需要补正的事项", "lines", True, "每行一项，一次性列明全部事项（至多 30 项）。"),
                Field("period_days", "补正期限（工作日）", "number", True, "通常为 15 个工作日。"),
            ),
            handler_work=True,
        ),
        Step(
            "submit_correction",
            "登记申请人的补正",
            "登记补正",
            "correction",
            frozenset({"registrar"}),
            "申请人以信函、传真或当面提交补正的，由登记人员代为登记；答复期限自收到补正之日起重新计算。",
            (
                Field("description", "补正后的所需信息描述", "textarea", True, maxlength=5000),
                Field("document_title", "信息名称", "text", maxlength=300),
                Field("document_number", "文号", "text", maxlength=100),
            ),
        ),
        Step(
            "start_consultation",
            "征求意见",
            "发出征求意见",
            "consultations",
            frozenset({"handler"}),
            "公开可能损害第三方合法权益的，书面征求第三方意见（第三十二条）；需其他机关确认的，征求其意见（第三十四条）。"
            "征求意见期间不计入答复期限。",
            (
                Field("kind", "征求对象", "radio", True, choices=L.CONSULTATION_KINDS),
                Field("party", "第三方或机关名称", "text", True, maxlength=200),
                Field("party_contact", "联系方式或通信地址", "text", maxlength=300),
                Field("question", "征求意见的事项", "textarea", True, maxlength=5000),
                *_as_of(),
            ),
            handler_work=True,
        ),
        Step(
            "record_consultation_reply",
            "登记征求意见回复",
            "登记回复",
            "consultations/{item}/reply",
            frozenset({"handler", "registrar"}),
            "登记第三方或其他机关的书面意见；全部回复后恢复计时。",
            (
                Field("consultation", "回复的征求意见", "select", True, choices={}),
                Field("opinion", "意见", "radio", True, choices=L.OPINIONS),
                Field("opinion_text", "意见内容", "textarea", maxlength=5000),
                Field("replied_on", "回复日期", "date", True),
            ),
        ),
        Step(
            "issue_fee_notice",
            "发出收费通知",
            "发出收费通知",
            "fee-notice",
            frozenset({"handler"}),
            "申请数量、频次明显超过合理范围的，按国办函〔2020〕109号收取信息处理费：按页计（30 页以内免费，31–100 页每页 10 元，"
            "101–200 页每页 20 元，200 页以上每页 40 元）或按件计（当月第 11–30 件每件 100 元，第 31 件起每件 200 元），"
            "取较高者，由系统计算金额。缴费期间不计入答复期限。",
            (Field("pages", "拟提供信息的页数", "number", True), Field("note", "说明", "textarea", maxlength=1000), *_as_of()),
            handler_work=True,
        ),
        Step(
            "record_payment",
            "登记缴费",
            "登记已缴费",
            "payment",
            frozenset({"handler", "registrar"}),
            "登记申请人已缴纳信息处理费，恢复计时。",
            (Field("paid_on", "缴费日期", "date", True), Field("amount_yuan", "缴费金额（元）", "number", True)),
        ),
        Step(
            "request_extension",
            "申请延期答复",
            "提交延期申请",
            "extension",
            frozenset({"handler"}),
            "需要延长答复期限的，经政府信息公开工作机构负责人同意，可延长，延长期限最长不超过 20 个工作日（第三十三条），"
            "须在答复期限届满前申请，只能申请一次。",
            (
                Field("days", "延长的工作日数", "number", True, "1 至 20 个工作日（2008 年条例至多 15 个）。"),
                Field("reason", "延期理由", "textarea", True, maxlength=2000),
            ),
            handler_work=True,
        ),
        Step(
            "decide_extension",
            "审批延期",
            "提交审批意见",
            "extension/decision",
            frozenset({"head"}),
            "负责人审批承办人的延期申请；不得审批本人提出的申请。批准后答复期限相应延长并告知申请人。",
            (
                Field("approve", "审批意见", "radio", True, choices={"yes": "同意延期", "no": "不同意延期"}),
                Field("note", "意见说明", "textarea", maxlength=2000),
            ),
            reviews_own="extension",
        ),
        Step(
            "set_later_answer_date",
            "确定延后答复期限",
            "确定延后答复期限",
            "later-answer-date",
            frozenset({"head"}),
            "申请人申请公开政府信息的数量、频次明显超过合理范围的，可以确定延迟答复的合理期限并告知申请人（第三十五条）。",
            (Field("later_due_on", "延后的答复期限", "date", True), Field("reason", "理由", "textarea", True, maxlength=2000)),
        ),
        Step(
            "propose_answer",
            "拟定答复",
            "提交保密审查",
            "answer",
            frozenset({"handler"}),
            "按第三十六条选择答复类型和具体情形，写明答复书正文；部分公开的列明不予公开的部分及理由。提交后由他人进行保密审查。",
            (
                Field("category_reason", "答复类型和具体情形", "select", True, choices={}),
                Field("letter", "答复书正文", "textarea", True, maxlength=20000),
                Field("exempt_parts", "不予公开的部分及理由", "lines", hint="部分公开时必填，每行一项。"),
                Field(
                    "referral_agency",
                    "负责该信息的机关",
                    "text",
                    hint="本机关不掌握、能够确定负责机关的，填写其名称和联系方式（第三十六条第五项）。",
                    maxlength=200,
                ),
                Field("referral_contact", "该机关的联系方式", "text", maxlength=300),
                Field("files", "答复文件", "file", hint="可选多个文件（PDF、图片、Office 文档）。"),
            ),
            handler_work=True,
        ),
        Step(
            "approve_review",
            "保密审查通过",
            "审查通过",
            "review/approve",
            frozenset({"reviewer"}),
            "拟公开的信息经保密审查，不涉及国家秘密、商业秘密和个人隐私等不应公开的内容；通过后可送达申请人。",
            (Field("note", "审查意见", "textarea", maxlength=5000),),
            reviews_own="answer",
        ),
        Step(
            "return_review",
            "保密审查退回",
            "退回承办人",
            "review/return",
            frozenset({"reviewer"}),
            "答复需要修改的，写明理由退回承办人重新拟定。",
            (Field("note", "退回理由", "textarea", True, maxlength=5000),),
            reviews_own="answer",
        ),
        Step(
            "dispatch_answer",
            "送达答复",
            "登记已送达",
            "answer/dispatch",
            frozenset({"handler", "registrar"}),
            "将审查通过的答复书及文件送达申请人；申请人在网上即可查看答复和文件。",
            (
                Field("delivery_form", "提供形式", "radio", True, choices=L.DELIVERY_FORMS),
                Field("dispatched_on", "送达日期", "date", hint="当天送达的不填。"),
            ),
        ),
        Step(
            "withdraw",
            "登记撤回申请",
            "登记撤回",
            "withdraw",
            frozenset({"registrar"}),
            "申请人以书面或当面方式撤回申请的，由登记人员登记；申请即终止办理。",
            (Field("reason", "撤回原因", "textarea", maxlength=2000), *_as_of()),
        ),
        Step(
            "record_remedy",
            "登记投诉、复议或诉讼",
            "登记",
            "remedies",
            frozenset({"handler", "head", "supervisor"}),
            "申请人对答复或逾期不答复提起投诉、行政复议或行政诉讼的，登记在案（第五十一条），计入年度报告。",
            (
                Field("kind", "类别", "radio", True, choices=L.REMEDY_KINDS),
                Field("filed_on", "提起日期", "date", True),
                Field("authority", "受理机关或法院", "text", True, maxlength=200),
                Field("case_number", "案号", "text", maxlength=100),
            ),
        ),
        Step(
            "decide_remedy",
            "登记复议或诉讼结果",
            "登记结果",
            "remedies/{item}/decision",
            frozenset({"handler", "head", "supervisor"}),
            "登记复议决定或判决的结果；结果为“纠正”的，申请重新办理并重新计算答复期限。",
            (
                Field("remedy", "案件", "select", True, choices={}),
                Field("outcome", "结果", "radio", True, choices=L.REMEDY_OUTCOMES),
                Field("decided_on", "决定或判决日期", "date", True),
                Field("note", "说明", "textarea", maxlength=5000),
            ),
        ),
    )
}


@dataclass
class Officer:
    sub: str | None
    roles: frozenset[str] = field(default_factory=frozenset)


def _pending_answer(detail: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in reversed(detail.get("answers") or []) if a.get("review_status") == "pending"), None)


def _extension_requester(detail: dict[str, Any]) -> str | None:
    asked = [t for t in detail.get("timeline") or [] if t.get("action") == "request_extension"]
    return asked[-1].get("actor_sub") if asked else None


def open_consultations(detail: dict[str, Any]) -> dict[str, str]:
    return {
        c["id"]: f"{c['party']}（{L.CONSULTATION_KINDS.get(c['kind'], c['kind'])}）"
        for c in detail.get("consultations") or []
        if not c.get("replied_on")
    }


def pending_remedies(detail: dict[str, Any]) -> dict[str, str]:
    return {
        x[
            "id"
        ]: f"{L.REMEDY_KINDS.get(x['kind'], x['kind'])}：{x['authority']}{'（' + x['case_number'] + '）' if x.get('case_number') else ''}"
        for x in detail.get("remedies") or []
        if x.get("outcome") in (None, "pending")
    }


def allowed_steps(detail: dict[str, Any], officer: Officer) -> list[Step]:
    """The steps to offer this officer on this request now (see the module's docstring)."""
    offered = [a["action"] for a in detail.get("allowed_actions") or []]
    result = []
    for action in offered:
        step = STEPS.get(action)
        if step is None or not (officer.roles & step.roles):
            continue  # the applicant's own steps (their correction, their withdrawal) are theirs
        if step.reviews_own == "answer":
            pending = _pending_answer(detail)
            if pending is None or pending.get("proposed_by") == officer.sub:
                continue
        if step.reviews_own == "extension":
            extension = detail.get("extension") or {}
            if extension.get("status") != "requested" or _extension_requester(detail) == officer.sub:
                continue
        if action == "request_extension" and (detail.get("extension") or {}).get("status") in ("requested", "approved"):
            continue
        if step.handler_work and officer.roles & step.roles == {"handler"}:
            assignee = detail.get("assignee_sub")
            if assignee and assignee != officer.sub:
                continue
        if action == "record_consultation_reply" and not open_consultations(detail):
            continue
        if action == "decide_remedy" and not pending_remedies(detail):
            continue
        result.append(step)
    return result
