"""Formal notices: which written notice a step produces, the law it rests on, the remedies it must state, its 文号.

Pure rules, no I/O. The article texts are those of the 2019 rules (国务院令第711号); a request
handled under the 2008 rules cites that version's Art. 24 for its time limits instead.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.requests.domain.answers import AnswerCategory

REGULATION = "《中华人民共和国政府信息公开条例》"
REGULATION_2008 = "《中华人民共和国政府信息公开条例》（2008年施行）"
FEE_MEASURES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"


class NoticeKind(StrEnum):
    receipt = "receipt"  # 登记回执（受理通知）
    correction = "correction"  # 补正告知书（第三十条）
    extension = "extension"  # 延期答复告知书（第三十三条）
    consultation = "consultation"  # 征求意见函（第三十二条、第三十四条）
    fee = "fee"  # 信息处理费缴费通知书（第四十二条，国办函〔2020〕109号）
    answer = "answer"  # 答复书（第三十六条至第四十一条）


TITLES = {
    NoticeKind.receipt: "政府信息公开申请登记回执",
    NoticeKind.correction: "政府信息公开申请补正告知书",
    NoticeKind.extension: "政府信息公开申请延期答复告知书",
    NoticeKind.consultation: "政府信息公开征求意见函",
    NoticeKind.fee: "政府信息公开信息处理费缴费通知书",
    NoticeKind.answer: "政府信息公开申请答复书",
}

# Who receives each kind: the applicant, or the consulted third party / agency (Art. 32, 34).
PARTY_KINDS = frozenset({NoticeKind.consultation})


def recipient_of(kind: NoticeKind) -> str:
    return "party" if kind in PARTY_KINDS else "applicant"


@dataclass(frozen=True)
class Provision:
    """One cited provision and its text, printed in the notice's 法律依据."""

    citation: str
    text: str


ARTICLES: dict[str, str] = {
    "第十四条": "依法确定为国家秘密的政府信息，法律、行政法规禁止公开的政府信息，以及公开后可能危及国家安全、公共安全、经济安全、社会稳定的政府信息，不予公开。",
    "第十五条": "涉及商业秘密、个人隐私等公开会对第三方合法权益造成损害的政府信息，行政机关不得公开。但是，第三方同意公开或者行政机关认为不公开会对公共利益造成重大影响的，予以公开。",
    "第十六条": "行政机关的内部事务信息，包括人事管理、后勤管理、内部工作流程等方面的信息，可以不予公开。"
    "行政机关在履行行政管理职能过程中形成的讨论记录、过程稿、磋商信函、请示报告等过程性信息以及行政执法案卷信息，可以不予公开。"
    "法律、法规、规章规定上述信息应当公开的，从其规定。",
    "第二十九条": "公民、法人或者其他组织申请获取政府信息的，应当向行政机关的政府信息公开工作机构提出，并采用包括信件、数据电文在内的书面形式；"
    "采用书面形式确有困难的，申请人可以口头提出，由受理该申请的政府信息公开工作机构代为填写政府信息公开申请。",
    "第三十条": "政府信息公开申请内容不明确的，行政机关应当给予指导和释明，并自收到申请之日起7个工作日内一次性告知申请人作出补正，"
    "说明需要补正的事项和合理的补正期限。答复期限自行政机关收到补正的申请之日起计算。申请人无正当理由，逾期不补正的，视为放弃申请，"
    "行政机关不再处理该政府信息公开申请。",
    "第三十一条": "行政机关收到政府信息公开申请的时间，按照下列规定确定：（一）申请人当面提交政府信息公开申请的，以提交之日为收到申请之日；"
    "（二）申请人以邮寄方式提交政府信息公开申请的，以行政机关签收之日为收到申请之日；以平常信函等无需签收的邮寄方式提交政府信息公开申请的，"
    "政府信息公开工作机构应当于收到申请的当日与申请人确认，确认之日为收到申请之日；（三）申请人通过互联网渠道或者政府信息公开工作机构的传真"
    "提交政府信息公开申请的，以双方确认之日为收到申请之日。",
    "第三十二条": "依申请公开的政府信息公开会损害第三方合法权益的，行政机关应当书面征求第三方的意见。第三方应当自收到征求意见书之日起15个工作日内提出意见。"
    "第三方逾期未提出意见的，由行政机关依照本条例的规定决定是否公开。第三方不同意公开且有合理理由的，行政机关不予公开。"
    "行政机关认为不公开可能对公共利益造成重大影响的，可以决定予以公开，并将决定公开的政府信息内容和理由书面告知第三方。",
    "第三十三条": "行政机关收到政府信息公开申请，能够当场答复的，应当当场予以答复。行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复；"
    "需要延长答复期限的，应当经政府信息公开工作机构负责人同意并告知申请人，延长的期限最长不得超过20个工作日。"
    "行政机关征求第三方和其他机关意见所需时间不计算在前款规定的期限内。",
    "第三十四条": "申请公开的政府信息由两个以上行政机关共同制作的，牵头制作的行政机关收到政府信息公开申请后可以征求相关行政机关的意见，"
    "被征求意见机关应当自收到征求意见书之日起15个工作日内提出意见，逾期未提出意见的视为同意公开。",
    "第三十五条": "申请人申请公开政府信息的数量、频次明显超过合理范围，行政机关可以要求申请人说明理由。行政机关认为申请理由不合理的，告知申请人不予处理；"
    "行政机关认为申请理由合理，但是无法在本条例第三十三条规定的期限内答复申请人的，可以确定延迟答复的合理期限并告知申请人。",
    "第三十六条": "对政府信息公开申请，行政机关根据下列情况分别作出答复：（一）所申请公开信息已经主动公开的，告知申请人获取该政府信息的方式、途径；"
    "（二）所申请公开信息可以公开的，向申请人提供该政府信息，或者告知申请人获取该政府信息的方式、途径和时间；"
    "（三）行政机关依据本条例的规定决定不予公开的，告知申请人不予公开并说明理由；（四）经检索没有所申请公开信息的，告知申请人该政府信息不存在；"
    "（五）所申请公开信息不属于本行政机关负责公开的，告知申请人并说明理由；能够确定负责公开该政府信息的行政机关的，告知申请人该行政机关的名称、联系方式；"
    "（六）行政机关已就申请人提出的政府信息公开申请作出答复、申请人重复申请公开相同政府信息的，告知申请人不予重复处理；"
    "（七）所申请公开信息属于工商、不动产登记资料等信息，有关法律、行政法规对信息的获取有特别规定的，告知申请人依照有关法律、行政法规的规定办理。",
    "第三十七条": "申请公开的信息中含有不应当公开或者不属于政府信息的内容，但是能够作区分处理的，行政机关应当向申请人提供可以公开的政府信息内容，"
    "并对不予公开的内容说明理由。",
    "第三十八条": "行政机关向申请人提供的信息，应当是已制作或者获取的政府信息。除依照本条例第三十七条的规定能够作区分处理的外，"
    "需要行政机关对现有政府信息进行加工、分析的，行政机关可以不予提供。",
    "第三十九条": "申请人以政府信息公开申请的形式进行信访、投诉、举报等活动，行政机关应当告知申请人不作为政府信息公开申请处理并可以告知通过相应渠道提出。"
    "申请人提出的申请内容为要求行政机关提供政府公报、报刊、书籍等公开出版物的，行政机关可以告知获取的途径。",
    "第四十条": "行政机关依申请公开政府信息，应当根据申请人的要求及行政机关保存政府信息的实际情况，确定提供政府信息的具体形式；"
    "按照申请人要求的形式提供政府信息，可能危及政府信息载体安全或者公开成本过高的，可以通过电子数据以及其他适当形式提供，或者安排申请人查阅、抄录相关政府信息。",
    "第四十一条": "公民、法人或者其他组织有证据证明行政机关提供的与其自身相关的政府信息记录不准确的，可以要求行政机关更正。"
    "有权更正的行政机关审核属实的，应当予以更正并告知申请人；不属于本行政机关职能范围的，行政机关可以转送有权更正的行政机关处理并告知申请人，"
    "或者告知申请人向有权更正的行政机关提出。",
    "第四十二条": "行政机关依申请提供政府信息，不收取费用。但是，申请人申请公开政府信息的数量、频次明显超过合理范围的，行政机关可以收取信息处理费。"
    "行政机关收取信息处理费的具体办法由国务院价格主管部门会同国务院财政部门、全国政府信息公开工作主管部门制定。",
    "第五十一条": "公民、法人或者其他组织认为行政机关在政府信息公开工作中侵犯其合法权益的，可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，"
    "也可以依法申请行政复议或者提起行政诉讼。",
}

# The 2008 rules' time limits (Art. 24 of that version), for requests an agency handles under them.
ARTICLE_24_OF_2008 = (
    "行政机关收到政府信息公开申请，能够当场答复的，应当当场予以答复。行政机关不能当场答复的，应当自收到申请之日起15个工作日内予以答复；"
    "如需延长答复期限的，应当经政府信息公开工作机构负责人同意，并告知申请人，延长答复的期限最长不得超过15个工作日。"
    "申请公开的政府信息涉及第三方权益的，行政机关征求第三方意见所需时间不计算在本条第二款规定的期限内。"
)

FEE_RULES = (
    "行政机关依申请提供政府信息，原则上不收费；申请人申请公开政府信息的数量、频次明显超过合理范围的，可以收取信息处理费，"
    "按件或者按量计收，两种方式不得同时适用。按件计收：同一申请人一个自然月内累计申请10件以下（含）的不收费，11—30件（含）的部分每件收费100元，"
    "31件以上的部分每件收费200元。按量计收：同一政府信息公开申请中，30页以下（含）的不收费，31—100页（含）的部分每页收费10元，"
    "101—200页（含）的部分每页收费20元，201页以上的部分每页收费40元。申请人应当在收到收费通知之日起20个工作日内缴纳费用，逾期未缴纳的，"
    "视为放弃申请，行政机关不再处理该政府信息公开申请；自发出收费通知之日起至申请人缴纳费用之日止的期间，不计算在答复期限内。"
)


def provision(article: str) -> Provision:
    return Provision(f"{REGULATION}{article}", ARTICLES[article])


def time_limit_provision(rule_set: str) -> Provision:
    """The article fixing the answer period and its extension under the request's rule set."""
    if rule_set == "2008":
        return Provision(f"{REGULATION_2008}第二十四条", ARTICLE_24_OF_2008)
    return provision("第三十三条")


# Each answer's sub-reason and the articles it rests on, besides Art. 36 where it names the item.
ANSWER_ARTICLES: dict[tuple[str, str], tuple[str, ...]] = {
    (AnswerCategory.disclosed, "provided"): ("第三十六条", "第四十条"),
    (AnswerCategory.disclosed, "already_public"): ("第三十六条",),
    (AnswerCategory.partially_disclosed, "separated"): ("第三十七条", "第三十六条"),
    (AnswerCategory.not_disclosed, "state_secret"): ("第十四条", "第三十六条"),
    (AnswerCategory.not_disclosed, "prohibited_by_law"): ("第十四条", "第三十六条"),
    (AnswerCategory.not_disclosed, "security_stability"): ("第十四条", "第三十六条"),
    (AnswerCategory.not_disclosed, "third_party_rights"): ("第十五条", "第三十二条", "第三十六条"),
    (AnswerCategory.not_disclosed, "internal_affairs"): ("第十六条", "第三十六条"),
    (AnswerCategory.not_disclosed, "process_information"): ("第十六条", "第三十六条"),
    (AnswerCategory.not_disclosed, "enforcement_file"): ("第十六条", "第三十六条"),
    (AnswerCategory.not_disclosed, "administrative_query"): ("第三十六条",),
    (AnswerCategory.cannot_provide, "not_held"): ("第三十六条",),
    (AnswerCategory.cannot_provide, "needs_creation"): ("第三十八条",),
    (AnswerCategory.cannot_provide, "unclear_after_correction"): ("第三十条",),
    (AnswerCategory.not_handled, "petition_complaint"): ("第三十九条",),
    (AnswerCategory.not_handled, "repeated"): ("第三十六条",),
    (AnswerCategory.not_handled, "publication"): ("第三十九条",),
    (AnswerCategory.not_handled, "excessive"): ("第三十五条",),
    (AnswerCategory.not_handled, "confirm_or_reissue"): ("第三十九条",),
    (AnswerCategory.other, "no_correction"): ("第三十条",),
    (AnswerCategory.other, "fee_unpaid"): ("第四十二条",),
    (AnswerCategory.other, "other"): ("第三十六条",),
}


def answer_provisions(category: str, reason: str, *, record_correction: bool = False) -> list[Provision]:
    """The provisions an answer cites: its reason's articles (Art. 41 for a correction of records)."""
    if record_correction:
        return [provision("第四十一条")]
    return [provision(a) for a in ANSWER_ARTICLES.get((category, reason), ("第三十六条",))]


def provisions_for(kind: NoticeKind, *, rule_set: str = "2019", consultation_kind: str = "third_party") -> list[Provision]:
    """The provisions each notice kind (other than the answer) rests on."""
    if kind == NoticeKind.receipt:
        return [provision("第二十九条"), provision("第三十一条"), time_limit_provision(rule_set)]
    if kind == NoticeKind.correction:
        return [provision("第三十条")]
    if kind == NoticeKind.extension:
        return [time_limit_provision(rule_set)]
    if kind == NoticeKind.consultation:
        return [provision("第三十四条" if consultation_kind == "inter_agency" else "第三十二条")]
    if kind == NoticeKind.fee:
        return [provision("第四十二条"), Provision(FEE_MEASURES, FEE_RULES)]
    raise ValueError(f"the answer's provisions depend on its category: {kind}")


RECONSIDERATION_DAYS = 60  # 行政复议法（2023）第二十条：自知道该行政行为之日起六十日内
LITIGATION_MONTHS = 6  # 行政诉讼法第四十六条：自知道作出行政行为之日起六个月内


def remedies(kind: NoticeKind, *, reconsideration_body: str, court: str, addressed_to: str = "您") -> str:
    """The remedies and their time limits every notice states (Art. 51; 行政复议法, 行政诉讼法).

    A decision (补正, 延期, 收费, 答复) runs its time limits from its receipt; the receipt and the
    consultation letter decide nothing themselves, so they state the remedies against what the
    office does or fails to do next (逾期不答复 included), from the day it becomes known.
    """
    if kind in (NoticeKind.receipt, NoticeKind.consultation):
        trigger = "如本机关逾期未作答复，或者" if kind == NoticeKind.receipt else "如"
        since, since_court = "自知道该行政行为之日起", "自知道或者应当知道作出该行政行为之日起"
    else:
        trigger = "如"
        document = "本" + TITLES[kind].removeprefix("政府信息公开").removeprefix("申请")
        since = since_court = f"自收到{document}之日起"
    return (
        f"{trigger}{addressed_to}认为本机关在政府信息公开工作中侵犯{addressed_to}的合法权益，可以依照{REGULATION}第五十一条的规定，"
        f"向上一级行政机关或者政府信息公开工作主管部门投诉、举报；也可以{since}{RECONSIDERATION_DAYS}日内"
        f"向{reconsideration_body}申请行政复议，或者{since_court}{LITIGATION_MONTHS}个月内向{court}提起行政诉讼。"
    )


def reconsideration_body_for(agency_name: str, parent_name: str | None) -> str:
    """The 2023 行政复议法's default body: the government above a department or township; the next government up for a county."""
    return parent_name or "上一级人民政府"


DEFAULT_COURT = "有管辖权的人民法院"
DEFAULT_NUMBER_FORMAT = "{short_name}依申公〔{year}〕{serial}号"
_PLACEHOLDERS = {"short_name", "year", "serial"}


class NumberFormatError(ValueError):
    pass


def check_number_format(pattern: str) -> None:
    """A 文号 format names the year and the serial (so numbers differ), and nothing it cannot fill."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None}
    except ValueError as exc:
        raise NumberFormatError("文号格式中的花括号不成对") from exc
    if unknown := names - _PLACEHOLDERS:
        raise NumberFormatError(f"文号格式含有不支持的占位符：{'、'.join(sorted(unknown))}（可用 short_name、year、serial）")
    if not {"year", "serial"} <= names:
        raise NumberFormatError("文号格式须包含 {year} 和 {serial}，否则文号会重复")
    try:
        pattern.format(short_name="某", year=2026, serial=1)
    except (ValueError, IndexError) as exc:
        raise NumberFormatError(f"文号格式无法使用：{exc}") from exc


def document_number(pattern: str, *, short_name: str, year: int, serial: int) -> str:
    """`某民依申公〔2026〕12号`: the agency's short name, the year in 六角括号, the serial."""
    return pattern.format(short_name=short_name, year=year, serial=serial)


def chinese_date(day: date) -> str:
    """The date as official documents print it: 2026年9月28日."""
    return f"{day.year}年{day.month}月{day.day}日"
