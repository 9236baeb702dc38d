"""Wrong input on the application form: the Chinese message by the field and in the summary, what was typed
kept (the file must be chosen again, and the page says so), and nothing stored."""

from __future__ import annotations

import pytest

from tests.web.citizen import (
    BAD_ID_NUMBER,
    EXE,
    as_person_from_own_address,
    fill_person_form,
    next_phone,
    png,
    seed_agency,
    sign_in,
    submit,
)

AGENCY = "某某县民政局"


@pytest.fixture(scope="module")
def agency(site) -> str:
    return seed_agency(site, AGENCY)


@pytest.fixture
def citizen(nojs_page, site, agency):
    """A signed-in citizen on the form, JavaScript off (the server's messages, not the browser's)."""
    as_person_from_own_address(nojs_page)
    sign_in(nojs_page, site, next_phone(), next_path="/apply?type=natural_person")
    return nojs_page


def _assert_refused(page, field_id: str, message: str) -> None:
    assert page.title().startswith("错误：")
    assert message in page.locator(f"#{field_id}-error").inner_text()
    summary = page.locator(".error-summary")
    link = summary.get_by_role("link", name=message)
    assert link.get_attribute("href") == f"#{field_id}"
    assert page.locator(f"#{field_id}").count() == 1
    # What the person typed is still there.
    assert page.get_by_label("工作单位").input_value() == "某某县第一中学"
    assert page.get_by_label("通信地址").input_value() == "某某县人民路1号"
    assert page.get_by_label("电子文档").is_checked()


def _assert_nothing_stored(page) -> None:
    page.goto("/my")
    assert "您还没有提交过政府信息公开申请" in page.locator("main").inner_text()


def test_a_wrong_id_number_is_shown_by_the_field_and_nothing_is_stored(citizen) -> None:
    fill_person_form(citizen, AGENCY, id_number=BAD_ID_NUMBER)
    submit(citizen)
    _assert_refused(citizen, "applicant-id_number", "居民身份证号码不正确")
    assert citizen.get_by_label("证件号码").input_value() == BAD_ID_NUMBER
    assert "请重新选择" in citizen.locator("#id_proof-hint").inner_text()
    _assert_nothing_stored(citizen)


def test_a_missing_required_field_is_shown_by_the_field(citizen) -> None:
    fill_person_form(citizen, AGENCY, description="")
    submit(citizen)
    _assert_refused(citizen, "description", "请描述所需政府信息")
    assert citizen.get_by_label("证件号码").input_value() == "11010519491231002X"
    _assert_nothing_stored(citizen)


def test_a_program_renamed_png_is_refused_by_the_file_field(citizen) -> None:
    fill_person_form(citizen, AGENCY, file=("身份证.png", EXE))
    submit(citizen)
    _assert_refused(citizen, "id_proof", "文件内容不是有效的 PNG 文件")
    _assert_nothing_stored(citizen)


def test_an_oversized_upload_is_refused_by_the_file_field(citizen) -> None:
    big = png() + b"\x00" * (10 * 1024 * 1024)  # one real PNG, padded past WEB_MAX_UPLOAD_BYTES (10 MB)
    fill_person_form(citizen, AGENCY, file=("身份证.png", big))
    submit(citizen)
    _assert_refused(citizen, "id_proof", "文件超过 10 MB 的大小上限")
    _assert_nothing_stored(citizen)


def test_the_requests_api_refusal_is_put_back_by_its_field_in_chinese(citizen) -> None:
    # example.test passes the site's own shape check, but the API's e-mail validator refuses a reserved domain (in English).
    fill_person_form(citizen, AGENCY)
    citizen.get_by_label("电子邮箱").fill("zhangsan@example.test")
    submit(citizen)
    _assert_refused(citizen, "applicant-email", "电子邮箱格式不正确")
    assert citizen.get_by_label("电子邮箱").input_value() == "zhangsan@example.test"
    _assert_nothing_stored(citizen)


def test_no_way_to_reach_the_person_is_one_message_over_the_contact_fields(citizen) -> None:
    fill_person_form(citizen, AGENCY, file=("身份证.png", png()))
    for label in ("联系电话（手机）", "电子邮箱", "通信地址"):
        citizen.get_by_label(label).fill("")
    citizen.get_by_label("自行领取").check()
    submit(citizen)
    assert "请至少填写一种联系方式" in citizen.locator("#contact-error").inner_text()
    assert citizen.locator(".error-summary a[href='#contact']").count() == 1
    _assert_nothing_stored(citizen)
