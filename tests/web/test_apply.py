"""依申请公开 in a real browser: sign in by SMS code, apply with an ID proof, the receipt, 我的申请, status lookup.

The whole system runs as `make run` starts it; the agency is created through the catalog API and
reaches the requests service over the broker, as in production.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.web.a11y import assert_accessible
from tests.web.citizen import (
    CREDIT_CODE,
    ID_NUMBER,
    answer_text_challenge,
    apply_as_person,
    as_person_from_own_address,
    fill_person_form,
    next_phone,
    png,
    seed_agency,
    sign_in,
    submit,
)

AGENCY = "某某县民政局"
SCREENSHOTS = os.environ.get("WEB_SCREENSHOTS_DIR")


@pytest.fixture(scope="module")
def agency(site) -> str:
    return seed_agency(site, AGENCY)


def _screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_a_citizen_signs_in_applies_with_an_upload_and_finds_the_request_again(page, site, agency) -> None:
    as_person_from_own_address(page)
    page.goto("/apply")
    assert "/signin" in page.url  # the form asks who is applying: sign in first, then back to the form
    phone = next_phone()
    page.get_by_label("手机号码").fill(phone)
    challenge = page.locator(".captcha-text").inner_text()
    assert "等于几" in challenge and page.locator("img.captcha-image").get_attribute("alt")
    page.get_by_label("验证题答案").fill(answer_text_challenge(challenge))
    page.get_by_role("button", name="获取短信验证码").click()
    page.wait_for_url("**/signin/code")
    page.get_by_label("短信验证码").fill(site.sms_code(phone))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/apply")

    page.get_by_role("link", name="以公民身份申请").click()
    page.wait_for_url("**/apply?type=natural_person*")
    fill_person_form(page, AGENCY)
    _screenshot(page, "apply-form.png")
    submit(page)
    page.wait_for_url("**/apply/done")
    number, code = page.locator("#tracking-number").inner_text().strip(), page.locator("#query-code").inner_text().strip()
    assert number.startswith("20") and len(code) == 8
    assert "答复期限" in page.content() and "个工作日" in page.content()
    _screenshot(page, "apply-receipt.png")

    page.get_by_role("link", name="我的申请").first.click()
    page.wait_for_url("**/my")
    row = page.locator(".my-requests li", has_text=number)
    assert "已受理" in row.inner_text() and "答复期限" in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_url("**/my/*")
    assert number in page.locator("h1").inner_text()
    assert "提交申请" in page.locator(".timeline").inner_text()
    assert "工作日" in page.locator(".due-lines").inner_text()

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="登录", exact=True).wait_for()
    page.goto("/status")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    result = page.locator("section.success").inner_text()
    assert number in result and "已受理" in result


def test_the_same_application_works_without_javascript(nojs_page, site, agency) -> None:
    page = nojs_page
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply")
    number, code = apply_as_person(page, AGENCY)
    page.goto("/my")
    assert number in page.locator(".my-requests").inner_text()
    page.get_by_role("button", name="退出登录").click()
    page.goto("/status")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    assert number in page.locator("section.success").inner_text()


def test_an_organisation_applies_with_its_credit_code(page, site, agency) -> None:
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply?type=organisation")
    page.get_by_label("向哪个机关申请").select_option(label=AGENCY)
    page.get_by_label("名称", exact=False).first.fill("某某县信息咨询有限公司")
    page.get_by_label("组织类别").select_option(label="商业企业")
    page.get_by_label("统一社会信用代码").fill(CREDIT_CODE.lower())
    page.get_by_label("法定代表人或负责人").fill("李四")
    page.get_by_label("联系人姓名").fill("王五")
    page.get_by_label("通信地址").fill("某某县建设路8号")
    page.get_by_label("所需信息的内容描述").fill("本县2025年政府采购项目清单")
    page.get_by_label("邮寄").check()
    page.get_by_label("身份证明文件").set_input_files({"name": "营业执照.png", "mimeType": "image/png", "buffer": png()})
    submit(page)
    page.wait_for_url("**/apply/done")
    assert page.locator("#query-code").inner_text().strip()


def test_a_phone_shows_the_form_without_horizontal_scrolling(phone_page, site, agency) -> None:
    as_person_from_own_address(phone_page)
    sign_in(phone_page, site, next_phone(), next_path="/apply?type=natural_person")
    for path in ("/apply?type=natural_person", "/apply?type=organisation", "/apply"):
        phone_page.goto(path)
        assert phone_page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), path
    phone_page.goto("/apply?type=natural_person")
    submit(phone_page)  # everything missing: the error summary and messages must fit too
    phone_page.locator(".error-summary").wait_for()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_accessible(phone_page, "the form with errors at 360 px")


def test_a_form_sent_twice_makes_one_request_and_both_answers_show_its_receipt(page, site, agency) -> None:
    """A double click without JavaScript posts the form twice (uploading the file twice): still one request."""
    as_person_from_own_address(page)
    sign_in(page, site, next_phone(), next_path="/apply?type=natural_person")
    hidden = {name: page.locator(f"#application input[name='{name}']").get_attribute("value") for name in ("csrf_token", "submission_key")}
    agency_id = page.get_by_label("向哪个机关申请").locator("option", has_text=AGENCY).get_attribute("value")
    form = {
        **hidden,
        "applicant.type": "natural_person",
        "agency_id": agency_id,
        "applicant.name": "张三",
        "applicant.id_type": "resident_id",
        "applicant.id_number": ID_NUMBER,
        "applicant.mobile": "13800138000",
        "description": "本县2025年度城乡低保资金发放情况",
        "preferred_form": "electronic",
        "id_proof": {"name": "身份证.png", "mimeType": "image/png", "buffer": png()},
    }
    receipts = []
    for _ in range(2):
        resp = page.request.post("/apply", multipart=form, headers={"Origin": site.url})
        assert resp.ok and resp.url.endswith("/apply/done"), resp.text()[:500]
        receipts.append(
            (
                re.search(r'id="tracking-number">([^<]+)<', resp.text()).group(1),
                re.search(r'id="query-code">([^<]+)<', resp.text()).group(1),
            )
        )
    assert receipts[0] == receipts[1]
    page.goto("/my")
    assert page.locator(".my-requests > li").count() == 1
