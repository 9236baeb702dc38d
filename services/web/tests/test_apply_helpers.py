"""The 依申请公开 pages' pure helpers: the form's checks and body, the API's errors by field, sign-in problems,
the applicant's actions, safe download headers and the due date in words."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile

from services.web import applyform as f
from services.web import filters, labels, signin
from services.web import myrequests as my
from services.web.backends import ApiProblem, Backends
from services.web.downloads import private_download
from services.web.settings import WebSettings
from shared.validators import credit_code_check_char

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 32
CREDIT = "91110105MA0000000" + credit_code_check_char("91110105MA0000000")
AGENCY = "agency-1"


def person(**changes: str) -> dict[str, str]:
    values = {
        "agency_id": AGENCY,
        "applicant.name": "张三",
        "applicant.id_type": "resident_id",
        "applicant.id_number": "11010519491231002X",
        "applicant.mobile": "13800138000",
        "description": "某事项",
        "preferred_form": "electronic",
    }
    return {**values, **changes}


def organisation(**changes: str) -> dict[str, str]:
    values = {
        "agency_id": AGENCY,
        "applicant.name": "某公司",
        "applicant.organisation_type": "commercial",
        "applicant.id_number": CREDIT,
        "applicant.postal_address": "某路1号",
        "description": "某事项",
        "preferred_form": "paper",
    }
    return {**values, **changes}


def test_a_complete_form_passes_and_becomes_the_apis_body_without_empty_fields() -> None:
    values = person(**{"applicant.email": "", "document_number": "某发〔2025〕1号", "fee_waiver_requested": "on"})
    assert f.validate(values, f.PERSON, {AGENCY}) == {}
    body = f.request_body(values, f.PERSON, ["att-1"])
    assert body["applicant"] == {
        "type": "natural_person",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "mobile": "13800138000",
    }
    assert body["document_number"] == "某发〔2025〕1号" and body["fee_waiver_requested"] is True and body["attachment_ids"] == ["att-1"]
    assert "purpose" not in body and "delivery_method" not in body


def test_an_organisation_sends_its_credit_code_as_the_id() -> None:
    values = organisation()
    assert f.validate(values, f.ORGANISATION, {AGENCY}) == {}
    applicant = f.request_body(values, f.ORGANISATION, [])["applicant"]
    assert applicant["id_type"] == "credit_code" and applicant["id_number"] == CREDIT and applicant["organisation_type"] == "commercial"


def test_wrong_check_characters_are_caught_before_anything_is_uploaded() -> None:
    assert (
        "居民身份证号码不正确"
        in f.validate(person(**{"applicant.id_number": "110105194912310021"}), f.PERSON, {AGENCY})["applicant.id_number"]
    )
    assert (
        "统一社会信用代码不正确"
        in f.validate(
            organisation(**{"applicant.id_number": CREDIT[:-1] + "0" if CREDIT[-1] != "0" else CREDIT[:-1] + "1"}), f.ORGANISATION, {AGENCY}
        )["applicant.id_number"]
    )
    # A passport number has no check character to verify.
    assert f.validate(person(**{"applicant.id_type": "passport", "applicant.id_number": "E12345678"}), f.PERSON, {AGENCY}) == {}


def test_missing_fields_are_listed_in_page_order_with_chinese_messages() -> None:
    errors = f.validate({"preferred_form": "electronic"}, f.PERSON, {AGENCY})
    assert list(errors) == ["agency_id", "applicant.name", "applicant.id_type", "applicant.id_number", "contact", "description"]
    assert errors["contact"].startswith("请至少填写一种联系方式")


def test_the_chosen_way_of_delivery_needs_its_address() -> None:
    errors = f.validate(person(delivery_method="post"), f.PERSON, {AGENCY})
    assert errors == {"applicant.postal_address": "选择邮寄时须填写通信地址"}
    assert f.validate(person(delivery_method="email"), f.PERSON, {AGENCY}) == {"applicant.email": "选择电子邮件时须填写电子邮箱"}


def test_choices_outside_the_lists_and_bad_formats_are_refused() -> None:
    errors = f.validate(
        person(agency_id="elsewhere", preferred_form="telepathy", **{"applicant.mobile": "123", "applicant.postal_code": "12"}),
        f.PERSON,
        {AGENCY},
    )
    assert errors["agency_id"] == errors["preferred_form"] == "请从列表中选择"
    assert "11 位" in errors["applicant.mobile"] and "6 位" in errors["applicant.postal_code"]


def test_the_apis_field_errors_land_on_the_forms_fields_in_chinese() -> None:
    api = [
        {"field": "applicant.email", "message": "value is not a valid email address: reserved name", "type": "value_error"},
        {"field": "applicant", "message": "至少提供一种联系方式（手机、电子邮件或通信地址）"},
        {"field": "attachment_ids", "message": "无效的附件：x"},
        {"field": "kind", "message": "取值无效"},
    ]
    errors = f.api_errors(api, "提交的数据未通过校验", f.PERSON)
    assert errors == {
        "contact": "至少提供一种联系方式（手机、电子邮件或通信地址）",
        "applicant.email": f.FALLBACK["applicant.email"],
        "id_proof": "无效的附件：x",
        "application": "取值无效",
    }
    assert f.api_errors([], "受理机关不存在", f.PERSON) == {"application": "受理机关不存在"}


def test_uploads_are_judged_by_their_bytes_and_size() -> None:
    upload, error = f.check_upload("证件.PNG", PNG)
    assert error is None and upload.content_type == "image/png"
    assert f.check_upload("证件.png", b"MZ\x90\x00" + b"\x00" * 64)[1].startswith("文件内容不是有效的 PNG 文件")
    assert f.check_upload("setup.exe", PNG)[1] == "只能上传 PDF、JPG、PNG 或 OFD 格式的文件"
    assert f.check_upload("scan.pdf", b"%PDF-1.7\n%%EOF\n")[1] is None

    def read(name: str, data: bytes, limit: int):
        return asyncio.run(f.read_upload(UploadFile(io.BytesIO(data), filename=name), limit))

    assert read("a.png", PNG + b"\x00" * 2 * 1024 * 1024, 1024 * 1024)[1].startswith("文件超过 1 MB 的大小上限")
    assert read("a.png", b"", 1024)[1] == "所选文件是空的，请重新选择"
    assert asyncio.run(f.read_upload("", 1024))[1] == "请选择身份证明文件"


def test_identity_problems_go_next_to_their_fields() -> None:
    assert signin.problem_by_field(ApiProblem(400, "captcha_wrong", "图形验证码答案不正确"), "phone") == {
        "captcha_answer": "图形验证码答案不正确"
    }
    assert signin.problem_by_field(ApiProblem(429, "sms_rate_limited", "验证码发送过于频繁，请 40 秒后再试"), "captcha_answer") == {
        "phone": "验证码发送过于频繁，请 40 秒后再试"
    }
    assert signin.problem_by_field(ApiProblem(400, "sms_code_invalid", "验证码不正确"), "code") == {"code": "验证码不正确"}
    assert signin.problem_by_field(
        ApiProblem(422, "validation_failed", "未通过校验", [{"field": "phone", "message": "请输入 11 位中国大陆手机号码"}]),
        "captcha_answer",
    ) == {"phone": "请输入 11 位中国大陆手机号码"}
    assert signin.check_phone_form("", "") == {"phone": "请填写手机号码", "captcha_answer": "请填写验证题的答案"}
    assert signin.check_phone_form("+86 138-0013-8000", "12") == {}
    assert signin.check_code("12a456") == {"code": "短信验证码为 6 位数字"}


def test_the_applicants_actions_need_a_confirmation_and_send_the_version_they_saw() -> None:
    assert my.check_withdraw({"reason": ""}) == {"confirm": "请勾选确认后再撤回申请"}
    assert my.check_withdraw({"confirm": "on"}) == {}
    assert set(my.check_correction({"description": ""})) == {"description", "confirm"}
    assert my.correction_body({"description": "新的描述", "document_title": "", "document_number": "某发1号"}) == {
        "description": "新的描述",
        "document_number": "某发1号",
    }
    assert my.if_match("r-1", "3") == {"If-Match": '"r-1.3"'} and my.if_match("r-1", "") == {}
    assert my.refusal([], "申请已被他人修改，请刷新后重试", {"reason"}) == {"confirm": "申请已被他人修改，请刷新后重试"}
    assert my.refusal([{"field": "description", "message": "长度不足"}], "x", {"description"}) == {"description": "长度不足"}
    assert my.is_id("0192f3a4-5dd3-7d27-acdc-177bae475916") and not my.is_id("..") and not my.is_id("申请") and not my.is_id("a" * 65)
    assert my.may({"allowed_actions": [{"action": "withdraw", "label": "撤回申请"}]}, "withdraw")
    assert not my.may({"allowed_actions": []}, "submit_correction")


def test_downloads_get_our_own_attachment_header_whatever_the_api_sent() -> None:
    sent = "attachment; filename=\"_.pdf\"; filename*=UTF-8''%E7%AD%94%E5%A4%8D%E4%B9%A6.pdf"
    assert my.download_disposition(sent) == "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E7%AD%94%E5%A4%8D%E4%B9%A6.pdf"
    hostile = "inline; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1.html"
    header = my.download_disposition(hostile)
    assert header.startswith("attachment;") and "\r" not in header and "\n" not in header
    assert my.download_disposition(None).startswith("attachment;")


def _backends(handler) -> Backends:
    return Backends(WebSettings(), transport=httpx.MockTransport(handler))


def test_a_private_download_is_asked_on_the_persons_token_and_sent_as_our_own_attachment() -> None:
    seen: list[httpx.Request] = []
    sent = "inline; filename*=UTF-8''%E7%AD%94%E5%A4%8D%E4%B9%A6%EF%BC%88%E6%9F%90%E6%B0%916%E5%8F%B7%EF%BC%89.pdf"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/n-2/pdf"):
            return httpx.Response(404, json={"code": "notice_not_found", "detail": "通知书不存在或无权查看"})
        return httpx.Response(200, content=b"%PDF-1.7 x", headers={"content-type": "application/pdf; x=1", "content-disposition": sent})

    api = _backends(handler)
    resp = asyncio.run(private_download(api, "requests", "/requests/r-1/notices/n-1/pdf", "tok", "通知书.pdf"))
    assert seen[0].headers["authorization"] == "Bearer tok" and seen[0].url.path == "/api/v1/requests/requests/r-1/notices/n-1/pdf"
    assert resp.body == b"%PDF-1.7 x" and resp.media_type == "application/pdf"
    assert (
        resp.headers["content-disposition"].startswith("attachment;")
        and "%E6%9F%90%E6%B0%916%E5%8F%B7" in resp.headers["content-disposition"]
    )
    assert resp.headers["x-content-type-options"] == "nosniff" and resp.headers["cache-control"] == "no-store"
    with pytest.raises(ApiProblem) as refused:  # the API's 404 (not this person's notice) becomes the site's 404 page
        asyncio.run(private_download(api, "requests", "/requests/r-1/notices/n-2/pdf", "tok", "通知书.pdf"))
    assert refused.value.status == 404


def test_the_notices_list_is_none_while_the_service_fails_so_the_page_still_shows() -> None:
    listed = [{"id": "n-1", "title": "登记回执", "document_number": "某民依申公〔2026〕1号"}]
    ok = _backends(lambda request: httpx.Response(200, json=listed))
    assert asyncio.run(my.notices_of(ok, "tok", "r-1")) == listed
    failing = _backends(lambda request: httpx.Response(503, json={"detail": "维护中"}))
    assert asyncio.run(my.notices_of(failing, "tok", "r-1")) is None
    unreachable = _backends(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    assert asyncio.run(my.notices_of(unreachable, "tok", "r-1")) is None


def test_the_notices_section_lists_each_notice_with_its_pdf_or_says_it_cannot_be_shown_now() -> None:
    env = Environment(loader=FileSystemLoader(Path(f.__file__).parent / "templates"), autoescape=select_autoescape())
    filters.install(env)
    section = env.get_template("_notices.html").make_module().notice_section
    letter = {
        "id": "n-3",
        "kind": "consultation",
        "title": "政府信息公开征求意见函",
        "document_number": "某民依申公〔2026〕3号",
        "issued_on": "2026-03-02",
        "recipient": "party",
        "addressee": "某某建设有限公司<b>",
    }
    office = str(section([letter], "/office/requests/r-1", show_addressee=True))
    assert '<h2 id="notices-title">通知书</h2>' in office and "某民依申公〔2026〕3号" in office and "2026年3月2日" in office
    assert "某某建设有限公司&lt;b&gt;（被征求意见方）" in office and 'href="/office/requests/r-1/notices/n-3/pdf"' in office
    assert "下载 PDF" in office and "被征求意见方" not in str(section([letter], "/my/r-1"))
    assert str(section([], "/my/r-1")).strip() == ""  # none issued: no section
    assert "通知书暂时无法显示" in str(section(None, "/my/r-1"))  # the service failed: the rest of the page still shows


def test_the_due_date_is_explained_in_words() -> None:
    due = {
        "start": "2026-03-02",
        "rule_set": "2019",
        "answer_days": 20,
        "extension_days": 0,
        "computed_due_on": "2026-03-30",
        "later_due_on": None,
        "skipped_days": [{"day": "2026-03-07", "kind": "weekend"}, {"day": "2026-03-08", "kind": "weekend"}],
        "adjusted_workdays": [],
        "provisional": False,
    }
    lines = labels.due_in_words(due, days_remaining=12)
    assert lines[0] == "自2026年3月2日收到申请（当日不计）起算，按2019年施行的《政府信息公开条例》计20个工作日。"
    assert (
        "期间不计周末2天、法定节假日0天。" in lines and "答复期限为2026年3月30日。" in lines and lines[-1] == "距答复期限还有12个工作日。"
    )
    assert labels.due_in_words({**due, "extension_days": 20}, overdue=True)[1] == "经批准延长20个工作日。"
    assert labels.due_in_words(None) == ["收到申请后开始计算答复期限。"]
