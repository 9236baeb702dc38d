"""Published annual reports: an agency freezes a finished year's tables, and only those are public."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from services.audit.service.query import local_today
from services.audit.tests.support import audit_settings, client, county_tree, received, recorder
from shared.testing import assert_problem, auth

API = "/api/v1/audit/reports"
LAST_YEAR = local_today().year - 1


@pytest.fixture
async def county(databases, topic_prefix):
    """A county of four agencies with three requests received last year by 甲局; (settings, ids, record)."""
    settings = await audit_settings(databases, topic_prefix)
    events, ids = county_tree()
    async with recorder(settings) as record:
        await record(*events, *(received(ids["a"], received_on=date(LAST_YEAR, 3, 3), due_on=date(LAST_YEAR, 3, 31)) for _ in range(3)))
        yield settings, ids, record


def three(body: dict) -> dict[str, dict[str, int]]:
    return {row["key"]: row["values"] for row in body["tables"]["three"]["rows"]}


async def test_nothing_is_public_until_an_agency_publishes_and_then_only_the_frozen_text(county) -> None:
    settings, ids, record = county
    async with client(settings) as c:
        assert (await c.get(f"{API}/published")).json() == []
        # The live tables stay with officers.
        assert (await c.get(f"{API}/annual", params={"year": LAST_YEAR, "agency_id": ids["a"]})).status_code == 401

        r = await c.post(
            f"{API}/annual/published",
            json={"year": LAST_YEAR, "agency_id": ids["county"], "subtree": True},
            headers=auth(settings, "supervisor", agency_id=ids["county"]),
        )
        assert r.status_code == 200, r.text
        published = r.json()
        assert published["title"] == f"某某县人民政府（含下级机关）{LAST_YEAR}年政府信息公开工作年度报告"
        assert three(published)["new"]["total"] == 3

        listed = (await c.get(f"{API}/published")).json()  # no token: public
        assert [(x["id"], x["year"], x["subtree"], x["agency_name"]) for x in listed] == [
            (published["id"], LAST_YEAR, True, "某某县人民政府")
        ]
        assert "tables" not in listed[0] and "published_by" not in listed[0]
        assert (await c.get(f"{API}/published", params={"year": LAST_YEAR - 1})).json() == []

        # A request recorded late changes the live tables, not the published report.
        await record(received(ids["a"], received_on=date(LAST_YEAR, 12, 30), due_on=date(LAST_YEAR + 1, 1, 28)))
        live = (
            await c.get(
                f"{API}/annual",
                params={"year": LAST_YEAR, "agency_id": ids["county"], "subtree": "true"},
                headers=auth(settings, "supervisor", agency_id=ids["county"]),
            )
        ).json()
        assert three(live)["new"]["total"] == 4
        again = (await c.get(f"{API}/published/{published['id']}")).json()
        assert three(again)["new"]["total"] == 3 and again["monthly"]["received"][2] == 3

        # Publishing again is the correction: the same report, the new numbers.
        r = await c.post(
            f"{API}/annual/published",
            json={"year": LAST_YEAR, "agency_id": ids["county"], "subtree": True},
            headers=auth(settings, "admin"),
        )
        assert r.status_code == 200 and r.json()["id"] == published["id"]
        assert three((await c.get(f"{API}/published/{published['id']}")).json())["new"]["total"] == 4
        assert len((await c.get(f"{API}/published")).json()) == 1


async def test_the_downloads_are_attachments_in_the_template_layout(county) -> None:
    settings, ids, _ = county
    async with client(settings) as c:
        r = await c.post(
            f"{API}/annual/published", json={"year": LAST_YEAR, "agency_id": ids["a"]}, headers=auth(settings, "head", agency_id=ids["a"])
        )
        report = r.json()["id"]
        html = await c.get(f"{API}/published/{report}", params={"format": "html"})
        assert html.headers["content-type"].startswith("text/html")
        assert html.headers["content-disposition"].startswith("attachment") and html.headers["x-content-type-options"] == "nosniff"
        assert f"某某县甲局{LAST_YEAR}年政府信息公开工作年度报告" in html.text
        csv = await c.get(f"{API}/published/{report}", params={"format": "csv"})
        assert csv.headers["content-disposition"].startswith("attachment") and "三、收到和处理政府信息公开申请情况" in csv.text
        xlsx = await c.get(f"{API}/published/{report}", params={"format": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[1]
        assert sheet["A1"].value == f"某某县甲局{LAST_YEAR}年政府信息公开工作年度报告"
        assert_problem(await c.get(f"{API}/published/no-such-report"), 404, "report_not_found")


@pytest.mark.parametrize(
    "role,agency,target,status,code",
    [
        ("handler", "a", "a", 403, None),  # handles requests; publishing is for the head and above
        ("applicant", None, "a", 403, None),
        ("head", "b", "a", 404, "agency_not_found"),  # a sibling's report is not theirs to publish
    ],
)
async def test_who_may_publish(county, role, agency, target, status, code) -> None:
    settings, ids, _ = county
    async with client(settings) as c:
        r = await c.post(
            f"{API}/annual/published",
            json={"year": LAST_YEAR, "agency_id": ids[target]},
            headers=auth(settings, role, agency_id=ids[agency] if agency else None),
        )
        assert_problem(r, status, code)
        assert (await c.get(f"{API}/published")).json() == []


async def test_a_year_still_running_cannot_be_published(county) -> None:
    settings, ids, _ = county
    async with client(settings) as c:
        r = await c.post(
            f"{API}/annual/published",
            json={"year": local_today().year, "agency_id": ids["a"]},
            headers=auth(settings, "head", agency_id=ids["a"]),
        )
        assert_problem(r, 409, "year_not_over")
