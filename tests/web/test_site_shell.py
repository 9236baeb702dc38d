"""The site's frame: every page's header, display modes, security headers, Chinese error pages."""

from __future__ import annotations

import httpx

from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode, set_display_mode


def test_home_page_has_no_wcag_violations_in_any_display_mode(page) -> None:
    assert_accessible_in_every_mode(page, "/")


def test_display_mode_is_kept_in_a_cookie_and_works_without_javascript(nojs_page) -> None:
    nojs_page.goto("/")
    set_display_mode(nojs_page, "large")
    assert nojs_page.locator("html").get_attribute("class") == "display-large"
    nojs_page.goto("/status")
    assert nojs_page.locator("html").get_attribute("class") == "display-large"


def test_large_text_mode_enlarges_text_and_line_spacing_is_at_least_1_3(page) -> None:
    page.goto("/")
    standard = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    line = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p, main li')).lineHeight)"))
    size = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p, main li')).fontSize)"))
    assert line / size >= 1.3
    set_display_mode(page, "large")
    assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= standard * 1.2


def test_keyboard_alone_reaches_the_main_content_with_a_visible_focus(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "跳到主要内容"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_every_response_carries_a_csp_without_inline_script_and_no_pop_up(site) -> None:
    resp = httpx.get(site.url + "/")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in resp.text and "onclick" not in resp.text.lower() and "window.open" not in resp.text


def test_unknown_page_is_a_chinese_404_without_a_trace(page) -> None:
    resp = page.goto("/no-such-page")
    assert resp.status == 404
    assert "页面不存在" in page.content()
    assert "Traceback" not in page.content()
    assert_accessible(page)


def test_a_post_without_the_csrf_token_is_refused(site) -> None:
    resp = httpx.post(site.url + "/display", data={"mode": "large", "next": "/"})
    assert resp.status_code == 403
    assert "页面已过期" in resp.text
    assert "display=" not in resp.headers.get("set-cookie", "")
