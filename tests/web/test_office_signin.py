"""The workbench's door: officers sign in with a local account, see only the parts their roles open, and nobody else gets in.

Browser module: no async tests here (see conftest).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
from playwright.sync_api import expect

from shared.devseed import DEMO_PASSWORD
from tests.web.a11y import assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address, next_phone, seed_agency, sign_in
from tests.web.office import Officer, office_sign_in, seed_officer


def test_a_handler_signs_in_and_sees_only_the_parts_a_handler_works_in(page, site):
    agency = seed_agency(site, "某某县民政局")
    handler = seed_officer(site, "张承办", agency, ["handler"])
    as_person_from_own_address(page)
    page.goto("/office/password")
    assert "/office/signin?next=/office/password" in page.url  # the workbench's own sign-in page, with the way back
    office_sign_in(page, handler, "/office/")
    assert page.url.endswith("/office/")
    nav = page.get_by_role("navigation", name="工作台导航")
    assert nav.get_by_role("link", name="依申请公开").is_visible()
    assert nav.get_by_role("link", name="主动公开").is_visible()
    assert nav.get_by_role("link", name="监督考核").count() == 0
    assert nav.get_by_role("link", name="系统管理").count() == 0
    assert "张承办（某某县民政局）" in page.locator(".office-who").inner_text()
    assert "承办人" in page.get_by_role("main").inner_text()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/office/signin")
    assert "您已退出工作台" in page.get_by_role("main").inner_text()
    page.goto("/office/")
    assert "/office/signin" in page.url


def test_a_wrong_password_is_shown_by_the_field_and_signs_nobody_in(page, site):
    agency = seed_agency(site, "某某县民政局")
    handler = seed_officer(site, "李承办", agency, ["handler"])
    as_person_from_own_address(page)
    page.goto("/office/signin")
    page.get_by_role("button", name="登录").click()
    assert page.locator("#username-error").inner_text().endswith("请填写用户名")
    page.get_by_label("用户名").fill(handler.username)
    page.locator("#password").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#password-error")).to_contain_text("用户名、密码或动态口令错误")
    assert page.get_by_label("用户名").input_value() == handler.username  # kept; the password is not
    assert page.locator("#password").input_value() == ""
    page.goto("/office/")
    assert "/office/signin" in page.url


def test_an_officer_changes_the_password_given_by_the_admin(page, site):
    agency = seed_agency(site, "某某县民政局")
    officer = seed_officer(site, "王登记", agency, ["registrar"])
    as_person_from_own_address(page)
    office_sign_in(page, officer)
    page.goto("/office/password")
    page.get_by_label("原密码").fill(officer.password)
    page.locator("#new_password").fill("a-brand-new-password")
    page.get_by_label("再次填写新密码").fill("a-different-one-entirely")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#new_password_again-error")).to_contain_text("两次填写的新密码不一致")
    page.get_by_label("原密码").fill(officer.password)
    page.locator("#new_password").fill("a-brand-new-password")
    page.get_by_label("再次填写新密码").fill("a-brand-new-password")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url("**/office/")
    assert "密码已修改" in page.get_by_role("main").inner_text()


def test_a_citizen_cannot_enter_the_workbench(page, site):
    as_person_from_own_address(page)
    sign_in(page, site, next_phone())
    page.goto("/office/")
    assert page.get_by_role("heading", level=1).inner_text() == "仅限工作人员"
    assert re.search(r"仅供机关工作人员使用", page.get_by_role("main").inner_text())
    # In the workbench's own layout: the way on is the officers' sign-in, not the public home page.
    assert page.get_by_role("main").get_by_role("link", name="工作人员登录").count() == 1


def test_the_sign_in_page_and_the_home_page_are_accessible(page, site):
    agency = seed_agency(site, "某某县民政局")
    as_person_from_own_address(page)
    assert_accessible_in_every_mode(page, "/office/signin")
    office_sign_in(page, seed_officer(site, "赵负责", agency, ["head", "handler"]))
    assert_accessible_in_every_mode(page, "/office/")
    assert_accessible_in_every_mode(page, "/office/password")


def test_make_demo_gives_a_new_user_officers_to_try_the_workbench_with(page, site):
    env = {**os.environ, **{f"{name.upper()}_PORT": str(port) for name, port in site.ports.items()}}
    first = subprocess.run([sys.executable, "-m", "shared.devseed"], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "mz-cb" in first.stdout and "已建立" in first.stdout
    secret = re.search(r"密钥 ([A-Z2-7]+)", first.stdout).group(1)
    again = subprocess.run([sys.executable, "-m", "shared.devseed"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "已建立" not in again.stdout  # nothing added twice
    # The administrator signs in with the printed secret's current code; a handler with the password alone.
    code = subprocess.run(
        [sys.executable, "-m", "shared.devseed", "totp", secret], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    admin = httpx.post(
        f"{site.api('identity')}/password/login", json={"username": "gly", "password": DEMO_PASSWORD, "totp": code}, timeout=10
    )
    assert admin.status_code == 200 and admin.json()["account"]["roles"] == ["admin"]
    as_person_from_own_address(page)
    office_sign_in(page, Officer("", "民政局承办人", "mz-cb", "", ("handler",), DEMO_PASSWORD))
    assert "民政局承办人（某某县民政局）" in page.locator(".office-who").inner_text()
