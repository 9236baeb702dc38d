"""Answer types (答复类型, Art. 36–41) and their rows in the annual report's table 三."""

from __future__ import annotations

from enum import StrEnum


class AnswerCategory(StrEnum):
    disclosed = "disclosed"  # (一) 予以公开
    partially_disclosed = "partially_disclosed"  # (二) 部分公开（区分处理）
    not_disclosed = "not_disclosed"  # (三) 不予公开
    cannot_provide = "cannot_provide"  # (四) 无法提供
    not_handled = "not_handled"  # (五) 不予处理
    other = "other"  # (六) 其他处理


# Each category's sub-reasons, in the template's row order, with the template's wording.
REASONS: dict[AnswerCategory, dict[str, str]] = {
    AnswerCategory.disclosed: {
        "provided": "予以公开（提供或告知获取方式）",
        "already_public": "已主动公开，告知获取方式和途径",
    },
    AnswerCategory.partially_disclosed: {
        "separated": "区分处理后部分公开",
    },
    AnswerCategory.not_disclosed: {
        "state_secret": "属于国家秘密",
        "prohibited_by_law": "其他法律行政法规禁止公开",
        "security_stability": "危及“三安全一稳定”",
        "third_party_rights": "保护第三方合法权益",
        "internal_affairs": "属于三类内部事务信息",
        "process_information": "属于四类过程性信息",
        "enforcement_file": "属于行政执法案卷",
        "administrative_query": "属于行政查询事项",
    },
    AnswerCategory.cannot_provide: {
        "not_held": "本机关不掌握相关政府信息",
        "needs_creation": "没有现成信息需要另行制作",
        "unclear_after_correction": "补正后申请内容仍不明确",
    },
    AnswerCategory.not_handled: {
        "petition_complaint": "信访举报投诉类申请",
        "repeated": "重复申请",
        "publication": "要求提供公开出版物",
        "excessive": "无正当理由大量反复申请",
        "confirm_or_reissue": "要求行政机关确认或重新出具已获取信息",
    },
    AnswerCategory.other: {
        "no_correction": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "fee_unpaid": "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other": "其他",
    },
}

CATEGORY_LABELS = {
    AnswerCategory.disclosed: "予以公开",
    AnswerCategory.partially_disclosed: "部分公开",
    AnswerCategory.not_disclosed: "不予公开",
    AnswerCategory.cannot_provide: "无法提供",
    AnswerCategory.not_handled: "不予处理",
    AnswerCategory.other: "其他处理",
}

# Answers an officer may propose through review; the rest are reached by the workflow itself
# (a lapsed correction period, an unpaid fee, a withdrawal).
SYSTEM_ONLY = {(AnswerCategory.other, "no_correction"), (AnswerCategory.other, "fee_unpaid")}


def is_valid_answer(category: AnswerCategory, reason: str) -> bool:
    return reason in REASONS.get(category, {})


def needs_documents(category: AnswerCategory) -> bool:
    """Disclosed and partially disclosed answers deliver information (or say where it is)."""
    return category in (AnswerCategory.disclosed, AnswerCategory.partially_disclosed)
