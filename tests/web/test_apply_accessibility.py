"""axe-core on every 依申请公开 page, in normal, large-text and high-contrast modes: zero WCAG 2.1 AA violations,
including the pages only a form's answer shows (errors, the receipt, a status result)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.web.a11y import MODES, assert_accessible, assert_accessible_in_every_mode, set_display_mode
from tests.web.citizen import (
    answer_text_challenge,
    apply_as_person,
    as_person_from_own_address,
    fill_person_form,
    next_phone,
    seed_agency,
    submit,
)

AGENCY = "某某县民政局"


@pytest.fixture(scope="module")
def agency(site) -> str:
    return seed_agency(site, AGENCY)


def _in_every_mode(page, label: str, reach: Callable[[], None]) -> None:
    """A page reached by a form (not by its address): set the mode, reach it, check it; for each mode."""
    for mode in MODES:
        page.goto("/status")
        set_display_mode(page, mode)
        reach()
        assert page.locator("html").get_attribute("class") == f"display-{mode}"
        assert_accessible(page, f"{label} [{mode}]")


def test_every_page_of_the_application_is_accessible_in_every_mode(page, site, agency) -> None:
    as_person_from_own_address(page)
    assert_accessible_in_every_mode(page, "/signin")
    assert_accessible_in_every_mode(page, "/status")

    def wrong_status() -> None:
        page.goto("/status")
        page.get_by_label("受理编号").fill("2026-000000-00001")
        page.get_by_label("查询码").fill("WRONG234")
        page.get_by_role("button", name="查询").click()
        page.locator(".error-summary").wait_for()

    _in_every_mode(page, "/status with an error", wrong_status)

    phone = next_phone()
    page.goto("/signin?next=/apply")
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取短信验证码").click()  # no answer: the sign-in page with its errors
    page.locator(".error-summary").wait_for()
    assert_accessible(page, "/signin with errors")
    page.get_by_label("验证题答案").fill(answer_text_challenge(page.locator(".captcha-text").inner_text()))
    page.get_by_role("button", name="获取短信验证码").click()
    page.wait_for_url("**/signin/code")
    assert_accessible_in_every_mode(page, "/signin/code")
    page.get_by_label("短信验证码").fill("000000")
    page.get_by_role("button", name="登录").click()
    page.locator(".error-summary").wait_for()
    assert_accessible(page, "/signin/code with a wrong code")
    page.get_by_label("短信验证码").fill(site.sms_code(phone))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/apply")

    assert_accessible_in_every_mode(page, "/my")  # empty
    for path in ("/apply", "/apply?type=natural_person", "/apply?type=organisation"):
        assert_accessible_in_every_mode(page, path)

    def form_with_errors() -> None:
        page.goto("/apply?type=natural_person")
        fill_person_form(page, AGENCY, id_number="110105194912310021", description="")
        submit(page)
        page.locator(".error-summary").wait_for()

    _in_every_mode(page, "the form with errors", form_with_errors)

    numbers: list[tuple[str, str]] = []
    _in_every_mode(page, "/apply/done", lambda: numbers.append(apply_as_person(page, AGENCY)))

    def status_result() -> None:
        page.goto("/status")
        page.get_by_label("受理编号").fill(numbers[0][0])
        page.get_by_label("查询码").fill(numbers[0][1])
        page.get_by_role("button", name="查询").click()
        page.locator("section.success").wait_for()

    _in_every_mode(page, "/status with a result", status_result)

    assert_accessible_in_every_mode(page, "/my")
    page.goto("/my")
    page.locator(".my-requests li", has_text=numbers[0][0]).get_by_role("link").click()
    page.wait_for_url("**/my/*")
    rid = page.url.rsplit("/", 1)[1]
    assert_accessible_in_every_mode(page, f"/my/{rid}")
    assert_accessible_in_every_mode(page, f"/my/{rid}/withdraw")

    def withdraw_unconfirmed() -> None:
        page.goto(f"/my/{rid}/withdraw")
        page.get_by_role("button", name="确认撤回").click()
        page.locator(".error-summary").wait_for()

    _in_every_mode(page, "withdrawal without confirmation", withdraw_unconfirmed)

    resp = httpx.post(
        f"{site.api('requests')}/requests/{rid}/correction-notice",
        json={"items": ["请写明所需信息的年度"]},
        headers=site.token("handler", agency_id=agency),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert_accessible_in_every_mode(page, f"/my/{rid}")
    assert_accessible_in_every_mode(page, f"/my/{rid}/correction")
    assert_accessible_in_every_mode(page, "/inbox")
