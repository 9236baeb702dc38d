"""Signing in by SMS code on the pages: identity's Chinese problems shown by the field they concern, a safe
return address, and signing out ending the session."""

from __future__ import annotations

import re

from tests.web.citizen import answer_text_challenge, as_person_from_own_address, next_phone


def _send(page, phone: str, answer: str | None = None) -> None:
    page.get_by_label("手机号码").fill(phone)
    page.get_by_label("验证题答案").fill(
        answer if answer is not None else answer_text_challenge(page.locator(".captcha-text").inner_text())
    )
    page.get_by_role("button", name="获取短信验证码").click()


def test_a_wrong_captcha_answer_and_a_wrong_code_are_shown_by_their_fields(nojs_page, site) -> None:
    page = nojs_page
    as_person_from_own_address(page)
    phone = next_phone()
    page.goto("/signin")
    first_challenge = page.locator(".captcha-text").inner_text()
    wrong = str((int(answer_text_challenge(first_challenge)) + 1) % 19)
    _send(page, phone, wrong)
    assert "图形验证码答案不正确" in page.locator("#captcha_answer-error").inner_text()
    assert page.locator(".error-summary a[href='#captcha_answer']").count() == 1
    assert page.get_by_label("手机号码").input_value() == phone  # kept; a fresh challenge to answer
    _send(page, phone)
    page.wait_for_url("**/signin/code")
    page.get_by_label("短信验证码").fill("12345")
    page.get_by_role("button", name="登录").click()
    assert "短信验证码为 6 位数字" in page.locator("#code-error").inner_text()
    real = site.sms_code(phone)
    page.get_by_label("短信验证码").fill("000000" if real != "000000" else "111111")
    page.get_by_role("button", name="登录").click()
    assert "验证码不正确，还可再试 4 次" in page.locator("#code-error").inner_text()
    page.get_by_label("短信验证码").fill(real)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my")


def test_a_second_code_within_a_minute_is_refused_with_the_wait_by_the_phone_field(nojs_page, site) -> None:
    page = nojs_page
    as_person_from_own_address(page)
    phone = next_phone()
    page.goto("/signin")
    _send(page, phone)
    page.wait_for_url("**/signin/code")
    page.goto("/signin")
    _send(page, phone)
    message = page.locator("#phone-error").inner_text()
    assert "验证码发送过于频繁" in message and re.search(r"请 \d+ (秒|分钟)后再试", message)


def test_the_return_address_stays_on_this_site_and_signing_out_ends_the_session(page, site) -> None:
    as_person_from_own_address(page)
    phone = next_phone()
    page.goto("/signin?next=https://evil.example/")
    _send(page, phone)
    page.wait_for_url("**/signin/code")
    page.get_by_label("短信验证码").fill(site.sms_code(phone))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my")
    assert page.url.startswith(site.url)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="登录", exact=True).wait_for()
    page.goto("/my")
    assert "/signin?next=/my" in page.url
