"""axe-core (shipped by axe-playwright-python) against a page: WCAG 2.1 A and AA rules, zero violations."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}
MODES = ("standard", "large", "contrast")


def violations(page: Any) -> list[dict[str, Any]]:
    return _AXE.run(page, options=WCAG_21_AA).response["violations"]


def assert_accessible(page: Any, label: str = "") -> None:
    found = violations(page)
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:5])
        for v in found
    )
    assert not found, f"axe-core found {len(found)} WCAG 2.1 AA violation(s) on {label or page.url}:\n{report}"


def set_display_mode(page: Any, mode: str) -> None:
    """Switch the 适老化 display mode the way a person does: the header's buttons (kept in a cookie)."""
    names = {"standard": "标准版", "large": "大字版", "contrast": "高对比度", "large-contrast": "大字高对比度"}
    page.get_by_role("button", name=names[mode], exact=True).click()
    page.wait_for_load_state()


def assert_accessible_in_every_mode(page: Any, path: str) -> None:
    """The page at `path`, in normal, large-text and high-contrast modes: zero violations each time."""
    for mode in MODES:
        page.goto(path)
        set_display_mode(page, mode)
        page.goto(path)
        assert page.locator("html").get_attribute("class") == f"display-{mode}"
        assert_accessible(page, f"{path} [{mode}]")
