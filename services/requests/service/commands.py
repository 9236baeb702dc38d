"""Commands (validated input) of the requests service; the API uses them as request bodies."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.requests.domain.answers import AnswerCategory, is_valid_answer
from services.requests.domain.applicant import (
    ApplicantType,
    Channel,
    DeliveryMethod,
    Form,
    IdType,
    OrganisationType,
    RemedyKind,
    RemedyOutcome,
    RequestKind,
)
from shared.bounds import BoundedDate
from shared.validators import is_valid_credit_code, is_valid_id_number, is_valid_mobile, normalize_mobile

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _invalid(model: str, field: str, message: str, value: Any) -> ValidationError:
    """A cross-field check's error located at the input at fault, so the API's `errors` name that field."""
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=value)]
    )


class ApplicantIn(_Command):
    type: ApplicantType
    organisation_type: OrganisationType | None = Field(default=None, description="法人或其他组织的类别（年报分列）")
    name: Annotated[Text, Field(max_length=100, description="姓名或组织名称")]
    work_unit: Annotated[str | None, Field(default=None, max_length=100, description="工作单位（公民填写，可选）")] = None
    id_type: IdType
    id_number: Annotated[Text, Field(max_length=40, description="证件号码（居民身份证按 GB 11643 校验，统一社会信用代码按 GB 32100 校验）")]
    legal_representative: Annotated[str | None, Field(default=None, max_length=50)] = None
    contact_person: Annotated[str | None, Field(default=None, max_length=50)] = None
    mobile: str | None = Field(default=None, description="手机号码", examples=["13800138000"])
    email: EmailStr | None = None
    postal_address: Annotated[str | None, Field(default=None, max_length=300)] = None
    postal_code: Annotated[str | None, Field(default=None, pattern=r"^\d{6}$")] = None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = normalize_mobile(v)
        if not is_valid_mobile(v):
            raise ValueError("手机号码格式不正确")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type == ApplicantType.natural_person:
            if self.organisation_type is not None:
                raise _invalid("ApplicantIn", "organisation_type", "自然人不填写组织类别", self.organisation_type.value)
            if self.id_type == IdType.credit_code:
                raise _invalid("ApplicantIn", "id_type", "自然人应提供个人身份证件", self.id_type.value)
        else:
            if self.organisation_type is None:
                raise _invalid(
                    "ApplicantIn",
                    "organisation_type",
                    "法人或其他组织须选择组织类别（商业企业、科研机构、社会公益组织、法律服务机构、其他）",
                    None,
                )
            if self.id_type != IdType.credit_code:
                raise _invalid("ApplicantIn", "id_type", "法人或其他组织应提供统一社会信用代码", self.id_type.value)
        number = self.id_number.upper()
        if self.id_type == IdType.resident_id and not is_valid_id_number(number):
            raise _invalid("ApplicantIn", "id_number", "居民身份证号码格式或校验位不正确", self.id_number)
        if self.id_type == IdType.credit_code and not is_valid_credit_code(number):
            raise _invalid("ApplicantIn", "id_number", "统一社会信用代码格式或校验位不正确", self.id_number)
        self.id_number = number
        if not (self.mobile or self.email or self.postal_address):
            raise ValueError("至少提供一种联系方式（手机、电子邮件或通信地址）")
        return self


_EXAMPLE_REQUEST: dict[str, Any] = {
    "agency_id": "01a20074-5dd3-7d27-acdc-177bae475916",
    "applicant": {
        "type": "natural_person",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "mobile": "13800138000",
        "email": "zhangsan@example.com",
        "postal_address": "某某县人民路1号",
    },
    "description": "请公开本县2025年度城乡居民最低生活保障资金发放情况",
    "document_number": "某民发〔2025〕12号",
    "preferred_form": "electronic",
}


class RequestIn(_Command):
    """What an applicant asks for (政府信息公开申请表)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_EXAMPLE_REQUEST]})

    agency_id: str = Field(description="受理机关 ID")
    kind: RequestKind = RequestKind.disclosure
    applicant: ApplicantIn
    description: Annotated[Text, Field(max_length=5000, description="所需政府信息的名称、文号或便于查询的其他特征性描述")]
    document_number: Annotated[str | None, Field(default=None, max_length=100, description="文号，如 鲁政办字〔2020〕78号")] = None
    document_title: Annotated[str | None, Field(default=None, max_length=300)] = None
    purpose: Annotated[str | None, Field(default=None, max_length=2000)] = None
    preferred_form: Form = Form.electronic
    delivery_method: DeliveryMethod | None = Field(default=None, description="获取信息的方式：邮寄、电子邮件、传真、自行领取、当场阅读抄录")
    fee_waiver_requested: bool = False
    attachment_ids: list[str] = Field(default_factory=list, max_length=20, description="已上传的身份证明、佐证材料")

    @model_validator(mode="after")
    def _reachable_by_the_chosen_way(self) -> Self:
        """Post needs an address, e-mail an address to mail to: asked at intake, not discovered at dispatch."""
        if self.delivery_method == DeliveryMethod.post and not self.applicant.postal_address:
            raise _invalid("RequestIn", "applicant.postal_address", "选择邮寄时须填写通信地址", None)
        if self.delivery_method == DeliveryMethod.email and not self.applicant.email:
            raise _invalid("RequestIn", "applicant.email", "选择电子邮件时须填写电子邮箱", None)
        return self


class RegistrationIn(RequestIn):
    """A request registered by an officer (letter, fax, e-mail, walk-in or oral)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{**_EXAMPLE_REQUEST, "channel": "registered_post", "received_on": "2026-09-28"}]},
    )

    channel: Channel
    received_on: BoundedDate | None = Field(default=None, description="挂号信签收日、当面提交日；普通信函、传真、电子邮件待确认后填写")
    applicant_sub: str | None = Field(default=None, description="申请人已注册时的账号，便于其在线查看")


class ConfirmReceiptIn(_Command):
    received_on: BoundedDate = Field(description="与申请人确认收到的日期（第三十一条）")


class AssignIn(_Command):
    assignee_sub: Annotated[Text, Field(max_length=128)]
    note: Annotated[str | None, Field(default=None, max_length=1000)] = None


class CorrectionNoticeIn(_Command):
    items: list[Annotated[Text, Field(max_length=500)]] = Field(min_length=1, max_length=30, description="一次性告知需要补正的全部事项")
    period_days: int = Field(default=15, ge=1, le=60, description="补正的合理期限（工作日）")


class CorrectionIn(_Command):
    description: Annotated[Text, Field(max_length=5000)]
    document_number: Annotated[str | None, Field(default=None, max_length=100)] = None
    document_title: Annotated[str | None, Field(default=None, max_length=300)] = None
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)


class _AsOf(_Command):
    """An act the office performed on paper before entering it: its real date, and why it is entered late."""

    acted_on: BoundedDate | None = Field(default=None, description="实际发生日期（补录时填写；不得晚于今天，不得早于上一步）")
    acted_on_reason: Annotated[
        str | None, Field(default=None, max_length=500, description="补录原因（填写了早于今天的实际发生日期时必填，记入时间线）")
    ] = None


class ConsultationIn(_AsOf):
    kind: str = Field(
        pattern="^(third_party|inter_agency)$", description="third_party 第三方（第三十二条）；inter_agency 其他机关（第三十四条）"
    )
    party: Annotated[Text, Field(max_length=200)]
    party_contact: Annotated[str | None, Field(default=None, max_length=300)] = None
    question: Annotated[Text, Field(max_length=5000)]


class ConsultationReplyIn(_Command):
    opinion: str = Field(pattern="^(consent|objection|other)$", description="同意公开、不同意公开或其他意见")
    opinion_text: Annotated[str | None, Field(default=None, max_length=5000)] = None
    replied_on: BoundedDate


class FeeNoticeIn(_AsOf):
    pages: int = Field(ge=0, le=1_000_000, description="拟提供信息的页数")
    note: Annotated[str | None, Field(default=None, max_length=1000)] = None


class PaymentIn(_Command):
    paid_on: BoundedDate
    amount_yuan: int = Field(ge=0)


class ExtensionIn(_Command):
    days: int = Field(ge=1, le=20, description="延长的工作日数（2019 年条例至多 20 日；2008 年条例至多 15 日）")
    reason: Annotated[Text, Field(max_length=2000)]


class ExtensionDecisionIn(_Command):
    approve: bool
    note: Annotated[str | None, Field(default=None, max_length=2000)] = None


class LaterAnswerDateIn(_Command):
    later_due_on: BoundedDate
    reason: Annotated[Text, Field(max_length=2000, description="第三十五条：申请数量、频次明显超过合理范围")]


class ReferralIn(_Command):
    agency_name: Annotated[Text, Field(max_length=200)]
    contact: Annotated[Text, Field(max_length=300)]


class AnswerIn(_Command):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "category": "partially_disclosed",
                    "reason": "separated",
                    "letter": "经审查，您申请的信息部分公开，详见附件。",
                    "exempt_parts": ["第三部分涉及第三方个人隐私，依据第十五条不予公开"],
                    "document_ids": [],
                },
                {
                    "category": "cannot_provide",
                    "reason": "not_held",
                    "letter": "经检索，本机关未制作或获取该信息。",
                    "referral": {"agency_name": "某某县财政局", "contact": "0551-12345678"},
                },
            ]
        },
    )

    category: AnswerCategory
    reason: Annotated[Text, Field(max_length=40)]
    letter: Annotated[Text, Field(max_length=20000, description="答复书正文")]
    exempt_parts: list[Annotated[Text, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=50, description="部分公开时不予公开的部分及理由"
    )
    referral: ReferralIn | None = Field(default=None, description="非本机关信息：能够确定的负责机关及联系方式（第三十六条第五项）")
    document_ids: list[str] = Field(default_factory=list, max_length=50)
    record_correction_result: str | None = Field(default=None, pattern="^(corrected|refused|referred)$")

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if not is_valid_answer(self.category, self.reason):
            raise ValueError("答复类型与具体情形不匹配")
        if self.category == AnswerCategory.partially_disclosed and not self.exempt_parts:
            raise ValueError("部分公开须列明不予公开的部分及理由")
        return self


class ReviewIn(_Command):
    note: Annotated[str | None, Field(default=None, max_length=5000)] = None


class ReturnIn(_Command):
    note: Annotated[Text, Field(max_length=5000, description="退回理由")]


class DispatchIn(_Command):
    delivery_form: Form = Form.electronic
    dispatched_on: BoundedDate | None = None


class WithdrawIn(_AsOf):
    reason: Annotated[str | None, Field(default=None, max_length=2000)] = None


class RemedyIn(_Command):
    kind: RemedyKind
    filed_on: BoundedDate
    authority: Annotated[Text, Field(max_length=200, description="受理投诉、复议的机关或法院")]
    case_number: Annotated[str | None, Field(default=None, max_length=100)] = None


class RemedyDecisionIn(_Command):
    outcome: RemedyOutcome
    decided_on: BoundedDate
    note: Annotated[str | None, Field(default=None, max_length=5000)] = None


class ReissueQueryCodeIn(_Command):
    """Why the code is reissued (kept in the timeline for officers)."""

    reason: str | None = Field(default=None, max_length=200, description="原因，如“申请人遗失受理回执”")
