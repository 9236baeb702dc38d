"""Applicants, channels and forms as the law and the annual report distinguish them."""

from __future__ import annotations

from enum import StrEnum


class ApplicantType(StrEnum):
    natural_person = "natural_person"  # 自然人
    organisation = "organisation"  # 法人或其他组织


class OrganisationType(StrEnum):
    commercial = "commercial"  # 商业企业
    research = "research"  # 科研机构
    public_interest = "public_interest"  # 社会公益组织
    legal_services = "legal_services"  # 法律服务机构
    other = "other"  # 其他


class IdType(StrEnum):
    resident_id = "resident_id"  # 居民身份证
    passport = "passport"  # 护照
    hk_macau_permit = "hk_macau_permit"  # 港澳居民来往内地通行证
    taiwan_permit = "taiwan_permit"  # 台湾居民来往大陆通行证
    foreign_permanent = "foreign_permanent"  # 外国人永久居留身份证
    credit_code = "credit_code"  # 统一社会信用代码（法人或其他组织）


class Channel(StrEnum):
    online = "online"  # 网上申请（门户网站）
    wechat = "wechat"  # 微信小程序
    letter = "letter"  # 普通信函
    registered_post = "registered_post"  # 挂号信、EMS
    fax = "fax"  # 传真
    email = "email"  # 电子邮件
    in_person = "in_person"  # 当面提交
    oral = "oral"  # 口头申请，由登记人员代填（第二十九条）


# Art. 31: when each channel's request counts as received.
CONFIRMED_AT_ONCE = frozenset({Channel.online, Channel.wechat, Channel.in_person, Channel.oral})
SIGNING_DATE = frozenset({Channel.registered_post})  # the day the agency signed for it
NEEDS_CONFIRMATION = frozenset({Channel.letter, Channel.fax, Channel.email})  # the day both sides confirm


class Form(StrEnum):
    electronic = "electronic"  # 电子文档
    paper = "paper"  # 纸质文本（邮寄）
    pickup = "pickup"  # 当面领取
    inspection = "inspection"  # 查阅


class DeliveryMethod(StrEnum):
    """获取信息的方式 on the application form (separate from the form the information takes)."""

    post = "post"  # 邮寄
    email = "email"  # 电子邮件
    fax = "fax"  # 传真
    pickup = "pickup"  # 自行领取
    onsite = "onsite"  # 当场阅读、抄录


class RequestKind(StrEnum):
    disclosure = "disclosure"  # 政府信息公开申请
    record_correction = "record_correction"  # 第四十一条：要求更正本人相关政府信息记录


class RemedyKind(StrEnum):
    complaint = "complaint"  # 投诉、举报
    reconsideration = "reconsideration"  # 行政复议
    litigation_direct = "litigation_direct"  # 行政诉讼（未经复议直接起诉）
    litigation_after_reconsideration = "litigation_after_reconsideration"  # 行政诉讼（复议后起诉）


class RemedyOutcome(StrEnum):
    pending = "pending"  # 尚未审结
    upheld = "upheld"  # 维持
    corrected = "corrected"  # 纠正：须重新答复
    other = "other"  # 其他结果
