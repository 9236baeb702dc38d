"""What callers send to change the catalog (validated before anything is touched)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.catalog.domain.documents import Validity
from shared.bounds import BoundedDate

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _DocumentFields(_Command):
    title: Annotated[Text, Field(max_length=300, description="信息名称")]
    summary: Annotated[str | None, Field(default=None, max_length=2000, description="内容概述")] = None
    body: Annotated[str, Field(max_length=500_000, description="正文")] = ""
    doc_number: Annotated[str | None, Field(default=None, max_length=100, description="文号，如 青政办〔2026〕12号")] = None
    topic_code: Annotated[str | None, Field(default=None, max_length=40, description="主题分类代码")] = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20, description="关键词")


class DocumentIn(_DocumentFields):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "agency_id": "…",
                    "title": "青山县民政局关于调整城乡低保标准的通知",
                    "summary": "自2026年7月1日起调整城乡低保标准。",
                    "body": "各乡镇人民政府：……",
                    "doc_number": "青民〔2026〕8号",
                    "category_code": "normative_document",
                    "topic_code": "social_assistance",
                    "keywords": ["低保", "救助标准"],
                    "made_on": "2026-06-20",
                }
            ]
        },
    )

    agency_id: Annotated[Text, Field(max_length=36, description="发布机关 ID")]
    category_code: Annotated[Text, Field(max_length=40, description="信息类别代码（见 /categories）")]
    made_on: BoundedDate = Field(description="生成日期（成文日期）：20个工作日发布期限由此起算")
    publisher: Annotated[str | None, Field(default=None, max_length=100, description="发布机构；默认为发布机关名称")] = None
    interprets_id: Annotated[str | None, Field(default=None, max_length=36, description="政策解读所解读的政策文件 ID")] = None
    decision_count: int = Field(default=1, ge=1, le=1_000_000, description="行政许可/处罚/强制决定书的决定数")
    fee_amount_yuan: Decimal | None = Field(
        default=None, ge=0, le=Decimal("1e12"), max_digits=14, decimal_places=2, description="行政事业性收费金额（元）"
    )


class DocumentPatch(_Command):
    """Changes to a draft; only the fields sent change."""

    title: Annotated[Text | None, Field(default=None, max_length=300)] = None
    summary: Annotated[str | None, Field(default=None, max_length=2000)] = None
    body: Annotated[str | None, Field(default=None, max_length=500_000)] = None
    doc_number: Annotated[str | None, Field(default=None, max_length=100)] = None
    category_code: Annotated[Text | None, Field(default=None, max_length=40)] = None
    topic_code: Annotated[str | None, Field(default=None, max_length=40)] = None
    keywords: list[Keyword] | None = Field(default=None, max_length=20)
    made_on: BoundedDate | None = None
    publisher: Annotated[str | None, Field(default=None, max_length=100)] = None
    decision_count: int | None = Field(default=None, ge=1, le=1_000_000)
    fee_amount_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("1e12"), max_digits=14, decimal_places=2)


class RevisionIn(_Command):
    """A revision of a published item: its text and descriptive fields; the category, agency and
    date made stay (they decide what the annual report counted)."""

    title: Annotated[Text | None, Field(default=None, max_length=300)] = None
    summary: Annotated[str | None, Field(default=None, max_length=2000)] = None
    body: Annotated[str | None, Field(default=None, max_length=500_000)] = None
    doc_number: Annotated[str | None, Field(default=None, max_length=100)] = None
    topic_code: Annotated[str | None, Field(default=None, max_length=40)] = None
    keywords: list[Keyword] | None = Field(default=None, max_length=20)
    reason: Annotated[Text, Field(max_length=1000, description="修订原因")]


class NoteIn(_Command):
    note: Annotated[Text, Field(max_length=2000, description="理由（退回、撤回时必填）")]


class ApproveIn(_Command):
    note: Annotated[str | None, Field(default=None, max_length=2000)] = None


class ValidityIn(_Command):
    validity: Validity = Field(description="expired 失效 或 repealed 废止")
    effective_on: BoundedDate = Field(description="失效或废止的日期")
    note: Annotated[str | None, Field(default=None, max_length=2000)] = None

    @field_validator("validity")
    @classmethod
    def _not_valid(cls, v: Validity) -> Validity:
        if v == Validity.valid:
            raise ValueError("只能变更为失效（expired）或废止（repealed）")
        return v


class GuideIn(_Command):
    office: Annotated[Text, Field(max_length=100, description="政府信息公开工作机构")]
    address: Annotated[Text, Field(max_length=200, description="办公地址")]
    postcode: Annotated[str | None, Field(default=None, pattern=r"^\d{6}$", description="邮政编码")] = None
    hours: Annotated[Text, Field(max_length=200, description="办公时间")]
    phone: Annotated[Text, Field(max_length=40, pattern=r"^[0-9\-+() 转]{5,40}$", description="咨询电话")]
    fax: Annotated[str | None, Field(default=None, max_length=40, pattern=r"^[0-9\-+() ]{5,40}$")] = None
    email: Annotated[str | None, Field(default=None, max_length=120, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = None
    website: Annotated[str | None, Field(default=None, max_length=200, pattern=r"^https?://")] = None
    channels: list[str] = Field(
        min_length=1, max_length=6, description="申请渠道：online 网上、letter 信函、in_person 当面、fax 传真、email 电子邮件"
    )
    scope: Annotated[str | None, Field(default=None, max_length=20000, description="主动公开的范围、方式等补充说明")] = None

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        allowed = {"online", "letter", "in_person", "fax", "email"}
        bad = [c for c in v if c not in allowed]
        if bad:
            raise ValueError(f"未知的申请渠道：{'、'.join(bad)}")
        return list(dict.fromkeys(v))


class CategoryIn(_Command):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="代码（小写字母、数字、下划线）")]
    name: Annotated[Text, Field(max_length=60)]
    kind: str = Field(pattern="^(category|topic)$")
    parent_code: Annotated[str | None, Field(default=None, max_length=40)] = None
    report_class: str | None = Field(
        default=None,
        pattern="^(regulation|normative_document|administrative_license|administrative_penalty|"
        "administrative_coercion|administrative_fee|other)$",
    )
    sort: int = Field(default=0, ge=0, le=100000)

    @field_validator("parent_code", "report_class", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        """An empty parent (as forms send it) means a top-level category, not a parent named ""."""
        return None if isinstance(v, str) and not v.strip() else v


class AdoptIn(_Command):
    document_id: Annotated[Text, Field(max_length=36, description="已主动公开的信息 ID")]
