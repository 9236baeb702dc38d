"""系统管理 on the workbench: agencies and officers kept on the pages, a head kept to their subtree and never granting admin,
the calendar banner, and every page accessible. Browser module: no async tests here (see conftest).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address
from tests.web.office import PASSWORD, Officer, office_sign_in, seed_officer
from tests.web.office_keeping import admin_sign_in, create_agency, eventually, seed_admin, tag


@pytest.fixture(scope="module")
def tree(site) -> SimpleNamespace:
    """A county with two departments; a head and a handler in one of them."""
    t = tag()
    county = create_agency(site, f"{t}县人民政府", "county_government")
    education = create_agency(site, f"{t}县教育局", parent_id=county)
    health = create_agency(site, f"{t}县卫生健康局", parent_id=county)
    head = seed_officer(site, "孙负责", education, ["head"])
    handler = seed_officer(site, "周承办", education, ["handler"])
    return SimpleNamespace(tag=t, county=county, education=education, health=health, head=head, handler=handler)


def _officer_json(site: Any, officer_id: str) -> dict[str, Any]:
    resp = httpx.get(f"{site.api('identity')}/officers/{officer_id}", headers=site.token("admin"), timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_an_admin_creates_an_agency_and_an_officer_who_then_signs_in(page, site, tree, browser):
    admin, secret = seed_admin(site, tree.county, "钱管理")
    as_person_from_own_address(page)
    admin_sign_in(page, admin, secret, "/office/admin")
    assert page.get_by_role("heading", level=1).inner_text() == "系统管理"
    page.get_by_role("link", name="机关与指南").first.click()
    page.wait_for_url("**/office/admin/agencies")

    name = f"{tree.tag}县审计局"
    page.get_by_label("机关全称").fill(name)
    page.get_by_label("机关类型").select_option(label="政府工作部门")
    page.get_by_label("上级机关").select_option(value=tree.county)
    page.get_by_role("button", name="新增机关").click()
    page.wait_for_url("**/office/admin/agencies")
    expect(page.get_by_role("status")).to_contain_text(f"已新增机关“{name}”")
    expect(page.locator(".agency-tree")).to_contain_text(name)
    audit_id = next(a["id"] for a in httpx.get(f"{site.api('catalog')}/agencies", timeout=10).json() if a["name"] == name)

    # The officer: roles in the new agency (identity learns of it through catalog's event: the page says so until then).
    def officer_created() -> bool:
        page.goto("/office/admin/officers/new")
        page.get_by_label("姓名").fill("吴审计")
        page.locator("#agency_0").select_option(value=audit_id)
        page.locator("#roles_0-handler").check()
        page.locator("#roles_0-reviewer").check()
        page.get_by_role("button", name="新增工作人员").click()
        page.wait_for_load_state()
        if page.locator("#error-summary").count():
            refused.append(page.locator("#error-summary").inner_text())
            return False
        return True

    refused: list[str] = []
    eventually(officer_created, lambda: f"the officer is created on the page; the page said {refused[-2:]}", seconds=90)
    assert all("尚未从机关目录同步" in r for r in refused), refused  # only the wait for identity, nothing else
    expect(page.get_by_role("status")).to_contain_text("已新增工作人员“吴审计”")
    assert page.locator("#roles_0-handler").is_checked() and page.locator("#roles_0-reviewer").is_checked()
    officer_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    page.get_by_role("link", name="设置或重置本地账号密码…").click()
    username = f"wu{tree.tag}"
    page.get_by_label("登录用户名").fill(username)
    page.locator("#password").fill("short")
    page.get_by_label("再次填写初始密码").fill("short")
    page.get_by_role("button", name="保存用户名和初始密码").click()
    expect(page.locator("#error-summary")).to_contain_text("密码至少需要")  # identity's own words, by the field
    page.locator("#password").fill(PASSWORD)
    page.get_by_label("再次填写初始密码").fill(PASSWORD)
    page.get_by_role("button", name="保存用户名和初始密码").click()
    page.wait_for_url(f"**/office/admin/officers/{officer_id}")
    expect(page.get_by_role("status")).to_contain_text(f"用户名 {username}")

    # The new officer signs in (another browser) and works as a handler and reviewer of the new agency.
    context = browser.new_context(base_url=site.url, locale="zh-CN")
    try:
        other = context.new_page()
        as_person_from_own_address(other)
        office_sign_in(other, Officer(officer_id, "吴审计", username, audit_id, ("handler", "reviewer")))
        assert other.url.endswith("/office/")
        nav = other.get_by_role("navigation", name="工作台导航")
        assert nav.get_by_role("link", name="依申请公开").is_visible()
        assert nav.get_by_role("link", name="系统管理").count() == 0
        assert "承办人、审查人" in other.get_by_role("main").inner_text()
    finally:
        context.close()


def test_a_head_edits_roles_in_their_subtree_but_is_neither_offered_nor_allowed_admin(page, site, tree):
    as_person_from_own_address(page)
    office_sign_in(page, tree.head, "/office/admin")
    main = page.get_by_role("main")
    assert main.get_by_role("link", name="工作人员与角色").is_visible() and main.get_by_role("link", name="工作日历").count() == 0
    page.goto("/office/admin/officers")
    subnav = page.get_by_role("navigation", name="系统管理")
    assert subnav.get_by_role("link", name="工作人员与角色").is_visible()
    assert subnav.get_by_role("link", name="工作日历").count() == 0  # admins only
    assert subnav.get_by_role("link", name="分类").count() == 0

    listed = page.locator(".officer-table").inner_text()
    assert "周承办" in listed and "孙负责" in listed
    assert all(tree.tag + "县卫生健康局" not in o for o in page.locator("#agency_id option").all_inner_texts())  # a sibling, not theirs

    page.get_by_role("link", name="周承办").click()
    page.wait_for_url(f"**/office/admin/officers/{tree.handler.id}")
    assert page.locator("#roles_0-admin").count() == 0  # not offered
    assert page.get_by_label("系统管理员").count() == 0
    page.locator("#roles_0-reviewer").check()
    page.get_by_role("button", name="保存信息和角色").click()
    page.wait_for_url(f"**/office/admin/officers/{tree.handler.id}")
    expect(page.get_by_role("status")).to_contain_text("已保存“周承办”的信息和角色")
    assert sorted(_officer_json(site, tree.handler.id)["memberships"][0]["roles"]) == ["handler", "reviewer"]

    # A crafted form asking for admin anyway: identity refuses, the page says why, nothing changes.
    page.evaluate(
        """() => { const box = document.createElement('input'); box.type = 'checkbox'; box.name = 'roles_0';
                   box.value = 'admin'; box.checked = true; document.getElementById('form').appendChild(box); }"""
    )
    page.get_by_role("button", name="保存信息和角色").click()
    expect(page.locator("#error-summary")).to_contain_text("只有系统管理员可以授予系统管理员角色")
    expect(page.locator("#form-error")).to_contain_text("只有系统管理员可以授予系统管理员角色")
    assert "admin" not in _officer_json(site, tree.handler.id)["memberships"][0]["roles"]

    # Nor officers of a sibling agency, nor the admins' own pages.
    stranger = seed_officer(site, "郑医生", tree.health, ["handler"])
    page.goto(f"/office/admin/officers/{stranger.id}")
    assert page.get_by_role("heading", level=1).inner_text() == "未找到"
    page.goto("/office/admin/calendar")
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问"


def test_a_head_keeps_their_guide_and_disables_then_enables_an_officer_without_javascript(nojs_page, site, tree):
    page = nojs_page
    as_person_from_own_address(page)
    office_sign_in(page, tree.head, "/office/admin/agencies")
    agencies = page.locator(".agency-tree").inner_text()
    assert f"{tree.tag}县教育局" in agencies and "卫生健康局" not in agencies
    assert page.get_by_role("button", name="新增机关").count() == 0  # admins only

    page.locator(f'a[href="/office/admin/agencies/{tree.education}/guide"]').click()
    page.get_by_label("政府信息公开工作机构").fill(f"{tree.tag}县教育局办公室")
    page.get_by_label("办公地址").fill("某某县学府路8号")
    page.get_by_label("办公时间").fill("工作日 9:00-17:00")
    page.get_by_label("咨询电话").fill("0571-8811111")
    page.get_by_role("button", name="保存并发布指南").click()
    page.wait_for_url("**/office/admin/agencies")
    expect(page.get_by_role("status")).to_contain_text(f"已保存{tree.tag}县教育局的政府信息公开指南")
    page.goto(f"/agencies/{tree.education}")
    expect(page.get_by_role("main")).to_contain_text(f"{tree.tag}县教育局办公室")

    page.goto(f"/office/admin/officers/{tree.handler.id}")
    page.get_by_role("link", name="停用该工作人员…").click()
    assert page.get_by_role("heading", level=1).inner_text() == "停用工作人员“周承办”"
    page.get_by_role("button", name="确认停用周承办").click()
    page.wait_for_url(f"**/office/admin/officers/{tree.handler.id}")
    expect(page.get_by_role("status")).to_contain_text("已停用工作人员“周承办”")
    assert page.locator("#officer-status").inner_text() == "已停用"
    login = {"username": tree.handler.username, "password": PASSWORD}
    assert httpx.post(f"{site.api('identity')}/password/login", json=login, timeout=10).status_code >= 400
    page.get_by_role("link", name="重新启用该工作人员…").click()
    page.get_by_role("button", name="确认启用周承办").click()
    page.wait_for_url(f"**/office/admin/officers/{tree.handler.id}")
    assert page.locator("#officer-status").inner_text() == "在用"
    assert httpx.post(f"{site.api('identity')}/password/login", json=login, timeout=10).status_code == 200


def test_the_calendar_banner_shows_what_the_calendar_notice_says(page, site, tree):
    """The date cannot be driven in the running system (requests' `today` is the real date there), so the
    banner is checked against the API's real answer; requests' own tests drive the date (test_calendar_api.py)."""
    notice = httpx.get(f"{site.api('requests')}/calendar-notice", timeout=10).json()
    admin, secret = seed_admin(site, tree.county, "冯管理")
    as_person_from_own_address(page)
    admin_sign_in(page, admin, secret, "/office/admin")
    for path in ("/office/admin", "/office/supervision", "/office/admin/officers"):
        page.goto(path)
        banner = page.get_by_role("region", name="放假安排提醒")
        if notice["warning"]:
            expect(banner).to_contain_text(notice["warning"])
        else:
            assert banner.count() == 0
    # The calendar page: the next year's source as the API gives it, and a day entered and withdrawn (a far year).
    page.goto(f"/office/admin/calendar?year={notice['next_year']}")
    source = {"official": "国务院公布", "admin": "管理员录入", "weekends_only": "尚未公布"}[notice["source"]]
    expect(page.locator("#calendar-source")).to_contain_text(source)
    page.goto("/office/admin/calendar?year=2099")
    page.get_by_label("日期").fill("2099-03-02")
    page.get_by_label("放假（法定节假日）").check()
    page.get_by_label("说明").fill("测试假日")
    page.get_by_role("button", name="保存该日安排").click()
    page.wait_for_url("**/office/admin/calendar?year=2099")
    expect(page.get_by_role("status")).to_contain_text("已将2099年3月2日设为放假")
    expect(page.get_by_role("region", name="放假与调休（1天）")).to_contain_text("测试假日")
    page.get_by_role("button", name="撤销对2099年3月2日的更正").click()
    expect(page.get_by_role("status")).to_contain_text("已撤销对2099年3月2日的更正")
    assert httpx.get(f"{site.api('requests')}/calendar/2099", timeout=10).json()["special_days"] == []


def test_every_administration_page_is_accessible(page, site, tree):
    admin, secret = seed_admin(site, tree.county, "陈管理")
    as_person_from_own_address(page)
    admin_sign_in(page, admin, secret, "/office/admin")
    handler = tree.handler.id
    for path in (
        "/office/admin",
        "/office/admin/agencies",
        f"/office/admin/agencies/{tree.education}",
        f"/office/admin/agencies/{tree.education}/guide",
        "/office/admin/categories",
        "/office/admin/calendar",
        "/office/admin/calendar/2099/announce",
        "/office/admin/officers",
        "/office/admin/officers/new",
        f"/office/admin/officers/{handler}",
        f"/office/admin/officers/{handler}/status",
        f"/office/admin/officers/{handler}/password",
    ):
        assert_accessible_in_every_mode(page, path)
    # Forms refused, with their errors by the fields.
    page.goto("/office/admin/officers/new")
    page.get_by_role("button", name="新增工作人员").click()
    expect(page.locator("#error-summary")).to_contain_text("请填写姓名")
    assert_accessible(page, "officer form with errors")
    page.goto(f"/office/admin/agencies/{tree.health}/guide")
    page.get_by_label("办公地址").fill("")
    page.get_by_role("button", name="保存并发布指南").click()
    expect(page.locator("#error-summary")).to_contain_text("请填写办公地址")
    assert_accessible(page, "guide form with errors")
