"""依申请公开 on the workbench: a letter registered, assigned, corrected, extended, answered, reviewed and dispatched by
the officers on their own pages, its formal notices printed from the request's page; a sibling agency sees none of it;
nobody is offered a review of their own work.

Browser module: no async tests here (see conftest).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode
from tests.web.citizen import ID_NUMBER, as_person_from_own_address, seed_agency
from tests.web.conftest import PHONE, _context
from tests.web.office import Officer, office_sign_in, seed_officer

AGENCY, SIBLING = "某某县自然资源局", "某某县水利局"


@dataclass
class World:
    agency: str
    sibling: str
    registrar: Officer
    handler: Officer
    reviewer: Officer
    head: Officer
    all_roles: Officer  # registrar, handler, reviewer and head at once: the separation of duties is then the screen's
    stranger: Officer  # the same roles in the sibling agency


def _wait_assignable(site: Any, agency: str, *officers: Officer) -> None:
    """Officers reach the requests service's directory replica through identity's events."""
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=10) as client:
        while True:
            found = client.get(f"{site.api('requests')}/assignees", headers=site.token("head", agency_id=agency)).json()
            if {o.id for o in officers} <= {o["id"] for o in found}:
                return
            assert time.monotonic() < deadline, "officers never reached the requests service"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def world(site) -> World:
    agency, sibling = seed_agency(site, AGENCY), seed_agency(site, SIBLING)
    every = ["registrar", "handler", "reviewer", "head"]
    w = World(
        agency,
        sibling,
        registrar=seed_officer(site, "王登记", agency, ["registrar"]),
        handler=seed_officer(site, "张承办", agency, ["handler"]),
        reviewer=seed_officer(site, "李审查", agency, ["reviewer"]),
        head=seed_officer(site, "赵负责", agency, ["head"]),
        all_roles=seed_officer(site, "钱全能", agency, every),
        stranger=seed_officer(site, "孙邻局", sibling, every),
    )
    _wait_assignable(site, agency, w.handler, w.all_roles)
    return w


@pytest.fixture
def as_officer(browser, site) -> Iterator[Any]:
    """Each officer in a browser of their own, signed in on the workbench's page."""
    contexts = []

    def open_as(officer: Officer, next_path: str = "/office/requests") -> Any:
        context = _context(browser, site, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        as_person_from_own_address(page)
        office_sign_in(page, officer, next_path)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _main(page: Any) -> str:
    return page.get_by_role("main").inner_text()


def _open_step(page: Any, name: str) -> None:
    """From the request page, by keyboard: focus the step's link and press Enter."""
    link = page.get_by_role("region", name="可办理的步骤").get_by_role("link", name=name, exact=True)
    link.focus()
    link.press("Enter")
    page.wait_for_url("**/steps/**")


def _submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/steps/" not in url)


def _steps(page: Any) -> list[str]:
    return page.get_by_role("region", name="可办理的步骤").get_by_role("link").all_inner_texts()


def _register_letter(page: Any, description: str) -> tuple[str, str]:
    page.goto("/office/requests")
    page.get_by_role("link", name="登记信函、传真、当面或口头申请").click()
    page.wait_for_url("**/office/requests/new")
    page.get_by_label("挂号信、EMS").check()
    assert page.get_by_label("受理机关").locator("option", has_text=SIBLING).count() == 0  # only where the registrar works
    page.get_by_label("受理机关").select_option(label=AGENCY)
    page.get_by_label("姓名").fill("周来信")
    page.get_by_label("证件号码").fill(ID_NUMBER)
    page.get_by_label("通信地址").fill("某某县人民路8号")
    page.get_by_label("邮政编码").fill("100000")
    page.get_by_label("所需信息的内容描述").fill(description)
    page.get_by_label("纸质文本").check()
    page.get_by_label("邮寄", exact=True).check()
    page.get_by_role("button", name="登记并生成受理回执").click()
    page.wait_for_url("**/receipt")
    return page.locator("#tracking-number").inner_text().strip(), page.locator("#query-code").inner_text().strip()


def test_a_letter_goes_from_registration_to_the_dispatched_answer_on_the_officers_pages(world, as_officer, site):
    registrar = as_officer(world.registrar)
    tracking, code = _register_letter(registrar, "请公开某某村2025年度土地征收补偿安置方案")
    assert len(code) >= 6 and "受理回执" in _main(registrar)
    assert registrar.get_by_role("link", name="进入申请办理页").is_visible()
    registrar.emulate_media(media="print")  # printed for the applicant: the receipt alone, codes and all
    assert registrar.locator("#query-code").is_visible() and registrar.locator("#tracking-number").is_visible()
    assert not registrar.get_by_role("navigation", name="工作台导航").is_visible()
    assert not registrar.get_by_role("link", name="进入申请办理页").is_visible()
    registrar.emulate_media(media="screen")
    # the public status lookup accepts the printed code
    status = httpx.post(f"{site.api('requests')}/public/status", json={"tracking_number": tracking, "query_code": code}, timeout=10)
    assert status.status_code == 200 and status.json()["state"] == "received"

    registrar.get_by_role("link", name="进入申请办理页").click()
    registrar.wait_for_url("**/office/requests/*")
    request_url = urlsplit(registrar.url).path
    assert "周来信" in _main(registrar) and "答复期限及计算" in _main(registrar)
    _open_step(registrar, "分办")
    registrar.get_by_label("承办人").select_option(label="张承办（承办人）")
    _submit(registrar, "分办给所选人员")
    expect(registrar.locator(".notice-box")).to_contain_text("已分办")
    assert "张承办" in registrar.locator(".request-status").inner_text()

    handler = as_officer(world.handler, "/office/requests?assignee=me")
    row = handler.get_by_role("row").filter(has_text=tracking)
    expect(row).to_contain_text("办理中")
    row.get_by_role("link", name=tracking).focus()
    handler.keyboard.press("Enter")
    handler.wait_for_url(f"**{request_url}")
    assert "保密审查通过" not in _steps(handler)
    _open_step(handler, "一次性告知补正")
    handler.get_by_label("需要补正的事项").fill("")
    _submit_stays = handler.get_by_role("button", name="发出补正通知")
    _submit_stays.click()
    expect(handler.locator("#items-error")).to_contain_text("请填写需要补正的事项")
    handler.get_by_label("需要补正的事项").fill("请写明所需方案的村组名称\n请说明所需信息的年份范围")
    _submit(handler, "发出补正通知")
    expect(handler.locator(".notice-box")).to_contain_text("待补正")
    assert "请说明所需信息的年份范围" in _main(handler)

    # The applicant answers the notice by letter; the registrar enters the correction.
    registrar.goto(request_url)
    _open_step(registrar, "登记申请人的补正")
    registrar.get_by_label("补正后的所需信息描述").fill("请公开某某村第三村民小组2025年度土地征收补偿安置方案")
    _submit(registrar, "登记补正")
    expect(registrar.locator(".notice-box")).to_contain_text("办理中")

    handler.goto(request_url)
    _open_step(handler, "申请延期答复")
    handler.get_by_label("延长的工作日数").fill("10")
    handler.get_by_label("延期理由").fill("涉及多个村组，需要调取档案核对")
    _submit(handler, "提交延期申请")
    assert "申请延期答复" not in _steps(handler)  # one extension only

    head = as_officer(world.head, request_url)
    _open_step(head, "审批延期")
    assert "涉及多个村组" in _main(head)
    head.get_by_label("同意延期", exact=True).check()
    _submit(head, "提交审批意见")
    expect(head.locator(".notice-box")).to_contain_text("已审批延期")
    assert "经批准延长10个工作日" in _main(head)

    handler.goto(request_url)
    _open_step(handler, "拟定答复")
    handler.get_by_label("答复类型和具体情形").select_option(label="予以公开：予以公开（提供或告知获取方式）")
    handler.get_by_label("答复书正文").fill("经审查，您申请的补偿安置方案予以公开，详见附件。")
    handler.get_by_label("答复文件").set_input_files(
        {"name": "方案.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}
    )
    _submit(handler, "提交保密审查")
    expect(handler.locator(".notice-box")).to_contain_text("保密审查中")
    assert "保密审查通过" not in _steps(handler) and "保密审查退回" not in _steps(handler)

    reviewer = as_officer(world.reviewer, request_url)
    _open_step(reviewer, "保密审查通过")
    assert "您申请的补偿安置方案予以公开" in _main(reviewer)
    reviewer.get_by_label("审查意见").fill("不涉密，同意公开")
    _submit(reviewer, "审查通过")
    expect(reviewer.locator(".notice-box")).to_contain_text("待送达")

    handler.goto(request_url)
    _open_step(handler, "送达答复")
    handler.get_by_label("纸质文本").check()
    _submit(handler, "登记已送达")
    expect(handler.locator(".request-status")).to_contain_text("已答复")
    timeline = handler.locator(".timeline").inner_text()
    for step in ("分办", "发出补正通知", "提交补正", "申请延期", "审批延期", "拟定答复", "保密审查通过", "送达答复"):
        assert step in timeline, step
    assert "李审查" in timeline and "赵负责" in timeline

    # Every notice the steps issued is on the request's page with its 文号 and addressee; the registrar prints the 登记回执.
    rid = request_url.rsplit("/", 1)[1]
    issued = httpx.get(f"{site.api('requests')}/requests/{rid}/notices", headers=site.token("head", agency_id=world.agency), timeout=10)
    registrar.goto(request_url)
    notices = registrar.get_by_role("region", name="通知书")
    listed = notices.inner_text()
    for title in ("登记回执", "补正告知书", "延期答复告知书", "答复书"):
        assert title in listed, title
    assert "周来信" in listed and all(n["document_number"] in listed for n in issued.json())
    receipt = next(n for n in issued.json() if n["kind"] == "receipt")
    link = notices.get_by_role("listitem").filter(has_text="登记回执").get_by_role("link", name="下载 PDF")
    with registrar.expect_download() as download:
        link.click()
    assert receipt["document_number"] in download.value.suggested_filename
    pdf = registrar.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    assert receipt["document_number"] in unquote(pdf.headers["content-disposition"]) and pdf.headers["cache-control"] == "no-store"
    registrar.set_viewport_size(PHONE)  # on a phone: the list fits, no sideways scrolling
    registrar.reload()
    assert registrar.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert link.is_visible()

    # The letters this applicant (no phone, no e-mail) must get are on the registrar's list to post.
    deadline = time.monotonic() + 30
    while True:
        registrar.goto("/office/requests/notices")
        if "周来信" in _main(registrar) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "周来信" in _main(registrar) and registrar.get_by_role("button", name="登记已邮寄").count() >= 1


def _registered_and_assigned(site: Any, world: World, assignee: Officer, description: str) -> dict[str, Any]:
    body = {
        "agency_id": world.agency,
        "channel": "in_person",
        "applicant": {
            "type": "natural_person",
            "name": "吴当面",
            "id_type": "resident_id",
            "id_number": ID_NUMBER,
            "mobile": "13900139000",
        },
        "description": description,
        "preferred_form": "electronic",
    }
    with httpx.Client(timeout=10) as client:
        created = client.post(f"{site.api('requests')}/registrations", json=body, headers=site.token("registrar", agency_id=world.agency))
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        assigned = client.post(
            f"{site.api('requests')}/requests/{rid}/assign",
            json={"assignee_sub": assignee.id},
            headers=site.token("head", agency_id=world.agency),
        )
        assert assigned.status_code == 200, assigned.text
    return assigned.json()


def test_a_sibling_agency_sees_none_of_it_and_nobody_is_offered_a_review_of_their_own_work(world, as_officer, site):
    r = _registered_and_assigned(site, world, world.all_roles, "请公开某某水库2025年度除险加固工程的招标文件")
    url = f"/office/requests/{r['id']}"

    stranger = as_officer(world.stranger)
    assert r["tracking_number"] not in _main(stranger)
    stranger.goto(f"/office/requests?q={r['tracking_number']}")
    assert "没有符合条件的申请" in _main(stranger)
    response = stranger.goto(url)
    assert response.status == 404
    assert stranger.get_by_role("heading", level=1).inner_text() == "未找到"
    assert "申请不存在或无权查看" in _main(stranger)
    assert stranger.goto(f"{url}/steps/assign").status == 404
    receipt = httpx.get(
        f"{site.api('requests')}/requests/{r['id']}/notices", headers=site.token("head", agency_id=world.agency), timeout=10
    )
    assert stranger.goto(f"{url}/notices/{receipt.json()[0]['id']}/pdf").status == 404

    own = as_officer(world.all_roles, url)
    _open_step(own, "申请延期答复")
    own.get_by_label("延长的工作日数").fill("5")
    own.get_by_label("延期理由").fill("需要向施工单位调取资料")
    _submit(own, "提交延期申请")
    assert "审批延期" not in _steps(own)  # a head, but it is their own request for more time
    _open_step(own, "拟定答复")
    own.get_by_label("答复类型和具体情形").select_option(label="无法提供：本机关不掌握相关政府信息")
    own.get_by_label("答复书正文").fill("经检索，本机关未制作或获取该信息。")
    _submit(own, "提交保密审查")
    offered = _steps(own)
    assert "保密审查通过" not in offered and "保密审查退回" not in offered  # a reviewer, but it is their own draft
    refused = own.goto(f"{url}/steps/approve_review")
    assert refused.status == 409 and "您现在不能“保密审查通过”" in _main(own)

    head = as_officer(world.head, url)
    assert "审批延期" in _steps(head)  # another officer may decide it


def test_every_workbench_page_of_requests_is_accessible(world, as_officer, site):
    r = _registered_and_assigned(site, world, world.handler, "请公开某某镇2025年度农田水利建设项目清单")
    url = f"/office/requests/{r['id']}"
    registrar = as_officer(world.registrar)
    # From 1 November, while next year's holidays are not entered, the queue says so (as the API's notice does).
    warning = httpx.get(f"{site.api('requests')}/calendar-notice", timeout=10).json()["warning"]
    banner = registrar.get_by_role("note", name="工作日历提醒")
    assert banner.count() == (1 if warning else 0)
    if warning:
        assert warning in banner.inner_text()
    for path in (
        "/office/requests",
        "/office/requests?overdue=1&state=in_progress",
        "/office/requests/new",
        "/office/requests/new?type=organisation",
        "/office/requests/notices",
        url,
        f"{url}/query-code",
        f"{url}/receipt",
    ):
        assert_accessible_in_every_mode(registrar, path)
    registrar.goto("/office/requests/new")
    registrar.get_by_role("button", name="登记并生成受理回执").click()
    expect(registrar.locator("#error-summary")).to_be_visible()
    assert_accessible(registrar, "registration with errors")
    handler = as_officer(world.handler, url)
    for action in ("request_correction", "start_consultation", "issue_fee_notice", "request_extension", "propose_answer"):
        assert_accessible_in_every_mode(handler, f"{url}/steps/{action}")
    handler.goto(f"{url}/steps/propose_answer")
    handler.get_by_role("button", name="提交保密审查").click()
    expect(handler.locator("#error-summary")).to_be_visible()
    assert_accessible(handler, "answer form with errors")
    head = as_officer(world.head, url)
    assert_accessible_in_every_mode(head, f"{url}/steps/assign")
