"""Pure rules: channel planning, contacts in free text, address masking, template values, letters."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.delivery import Planned, Preferences, contacts_in, mask_address, plan_channels
from services.notify.domain.routing import APPLICANT_CHANNELS, PARTY_CHANNELS, routes_for
from services.notify.domain.template_params import SMS_VALUE_LIMIT, sms_params, wechat_params
from services.notify.domain.templates import TEMPLATES, render

ALL_ADDRESSES = {"inbox": "citizen-1", "email": "a@example.com", "sms": "13800138000", "wechat": "oOpenid1", "post": "某县某路1号"}


def plan(statutory=True, has_inbox=True, addresses=ALL_ADDRESSES, prefs=None, unavailable=None, channels=APPLICANT_CHANNELS):
    return plan_channels(
        channels, statutory=statutory, has_inbox=has_inbox, addresses=addresses, preferences=prefs, unavailable=unavailable or {}
    )


def test_without_preferences_every_channel_with_an_address_is_used_and_no_letter_is_needed():
    assert plan() == [Planned("inbox"), Planned("email"), Planned("sms"), Planned("wechat")]


def test_a_statutory_notice_keeps_the_inbox_even_when_the_user_disabled_it():
    prefs = Preferences(channels=frozenset({"sms"}))
    assert plan(prefs=prefs) == [Planned("inbox"), Planned("sms")]


def test_a_non_statutory_message_respects_a_disabled_inbox_and_the_opt_out():
    assert plan(statutory=False, prefs=Preferences(channels=frozenset({"email"}))) == [Planned("email")]
    assert plan(statutory=False, prefs=Preferences(non_statutory_opt_out=True)) == []
    assert plan(statutory=True, prefs=Preferences(non_statutory_opt_out=True))[0] == Planned("inbox")


def test_a_recipient_without_account_email_or_mobile_gets_a_letter():
    offline = {"post": "某县某镇某村5号"}
    assert plan(has_inbox=False, addresses=offline) == [Planned("post")]
    assert plan(statutory=False, has_inbox=False, addresses=offline) == []  # only statutory notices are mailed


def test_a_letter_also_goes_when_the_only_electronic_channels_cannot_carry_the_message():
    addresses = {"sms": "13800138000", "post": "某县某路1号"}
    planned = plan(has_inbox=False, addresses=addresses, unavailable={"sms": "本系统未配置短信渠道"})
    assert planned == [Planned("sms", "本系统未配置短信渠道"), Planned("post")]
    assert plan(has_inbox=False, addresses=addresses) == [Planned("sms"), Planned("post", standby=True)]  # in reserve


@given(
    st.frozensets(st.sampled_from(["inbox", "email", "sms", "wechat"])),
    st.booleans(),
    st.booleans(),
    st.dictionaries(st.sampled_from(["email", "sms", "wechat"]), st.just("x")),
)
def test_a_statutory_notice_always_has_a_way_to_reach_the_recipient(channels, opt_out, has_inbox, unavailable):
    planned = plan(has_inbox=has_inbox, prefs=Preferences(channels=channels, non_statutory_opt_out=opt_out), unavailable=unavailable)
    assert any(p.skipped is None for p in planned)


def test_contacts_are_found_in_free_text_and_a_landline_is_neither():
    assert contacts_in("联系人：王五，手机 139-1234-5678，邮箱 wangwu@example.com") == {"email": "wangwu@example.com", "sms": "13912345678"}
    assert contacts_in("+86 13812345678") == {"email": None, "sms": "13812345678"}
    assert contacts_in("电话 0531-87654321，地址：某县某路8号") == {"email": None, "sms": None}
    assert contacts_in(None) == {"email": None, "sms": None}
    assert contacts_in("编号 913701001381234567890")["sms"] is None  # digits inside a longer number


def test_an_address_keeps_its_region_and_hides_the_street():
    assert mask_address("山东省济南市历下区某某路88号3单元") == "山东省****"
    assert mask_address("某某县城关镇幸福路1号") == "某某县****"
    assert "幸福路" not in mask_address("幸福路1号院") and mask_address("") == ""


@pytest.mark.parametrize(
    "kind", [k for k in TEMPLATES if k not in {"assignment", "extension_approval_needed", "review_needed", "deadline_reminder"}]
)
def test_every_notice_kind_has_short_sms_values_and_wechat_values_within_limits(kind):
    payload = {
        "tracking_number": "2026-MZ-00001",
        "received_on": "2026-09-28",
        "due_on": "2026-10-30",
        "correction_due_on": "2026-10-20",
        "days": 20,
        "later_due_on": "2026-12-30",
        "amount_yuan": 100,
        "pay_by": "2026-11-20",
        "answered_on": "2026-10-21",
        "category": "partially_disclosed",
        "closed_on": "2026-10-22",
        "note": "很长的说明" * 10,
        "reply_due_on": "2026-10-29",
    }
    sms = sms_params(kind, payload)
    assert sms["code"] == "2026-MZ-00001" and all(0 < len(v) <= SMS_VALUE_LIMIT for v in sms.values())
    wx = wechat_params(kind, payload)
    assert wx["character_string1"] == "2026-MZ-00001"
    assert all(len(v) <= 20 for k, v in wx.items() if k.startswith("thing")) and all(wx.values())


def test_wechat_dates_read_as_chinese_dates_and_a_missing_one_reads_pending():
    assert wechat_params("receipt", {"tracking_number": "T", "due_on": date(2026, 10, 30)})["date2"] == "2026年10月30日"
    assert wechat_params("receipt", {"tracking_number": "T", "due_on": None})["date2"] == "待定"
    assert wechat_params("fee_notice", {"tracking_number": "T", "pay_by": "2026-11-20", "amount_yuan": 300})["amount3"] == "300元"


def test_a_third_party_letter_states_the_information_the_deadline_and_what_silence_means():
    payload = {
        "tracking_number": "2026-MZ-7",
        "party": "某某商贸有限公司",
        "consultation_kind": "third_party",
        "reply_due_on": "2026-10-29",
        "question": "是否同意公开与贵公司签订的采购合同",
        "information": "2025年度办公用品采购合同（联系人手机13800138000）",
    }
    subject, body = render("consultation_letter", payload, site="某县")
    assert subject == "政府信息公开征求第三方意见函（2026-MZ-7）"
    assert body.startswith("某某商贸有限公司：") and "2025年度办公用品采购合同" in body and "2026-10-29" in body
    assert "第三十二条" in body and "逾期未提出意见的，由本机关依照《政府信息公开条例》的规定决定是否公开" in body
    assert "13800138000" not in body  # the applicant's text may hold contacts: masked before it leaves


def test_an_inter_agency_letter_says_silence_counts_as_consent():
    payload = {
        "tracking_number": "2026-MZ-8",
        "party": "某某县财政局",
        "consultation_kind": "inter_agency",
        "reply_due_on": "2026-10-29",
        "information": None,
    }
    subject, body = render("consultation_letter", payload, site="某县")
    assert subject.startswith("政府信息公开征求意见函") and "第三十四条" in body and "视为同意公开" in body


def test_consultations_of_both_kinds_route_to_a_statutory_letter_to_the_party():
    for kind in ("third_party", "inter_agency"):
        [route] = routes_for("ConsultationStarted", {"consultation_kind": kind})
        assert (route.kind, route.recipient, route.channels, route.statutory) == ("consultation_letter", "party", PARTY_CHANNELS, True)
