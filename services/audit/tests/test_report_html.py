"""The annual report's web page comes from an autoescaped template: text stays text."""

from __future__ import annotations

from datetime import date

from services.audit.domain import annual_report as ar
from services.audit.service.query import local_today
from services.audit.service.report_render import as_html, report_title
from services.audit.tests.support import agency, audit_settings, client, received, recorder
from shared.testing import auth

API = "/api/v1/audit/reports"
LAST_YEAR = local_today().year - 1
HOSTILE = '某某县<script>alert("x")</script>&<img src=x onerror=alert(1)>局'
HOSTILE_ESCAPED = "某某县&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;img src=x onerror=alert(1)&gt;局"


def _tables() -> dict[str, object]:
    facts = [ar.Fact("natural_person", None, date(2026, 1, 5), date(2026, 1, 20), "disclosed", None)]
    return {**ar.annual_tables(facts, [], 2026), "fees": {"payments": 0, "total_yuan": 0}}


def test_an_agency_name_with_markup_is_shown_as_text_not_run():
    title = report_title(HOSTILE, 2026, subtree=True)
    page = as_html(_tables(), title, 2026, {"received": [1] + [0] * 11, "answered": [1] + [0] * 11}, generated_on="2027-01-15<b>")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert f"<title>{HOSTILE_ESCAPED}（含下级机关）2026年政府信息公开工作年度报告</title>" in page
    assert f"<h1>{HOSTILE_ESCAPED}（含下级机关）2026年政府信息公开工作年度报告</h1>" in page
    assert "生成日期 2027-01-15&lt;b&gt;。</footer>" in page
    # The rest of the page is the template's own markup, not escaped.
    assert page.startswith("<!DOCTYPE html>") and '<td class="l" colspan="3">一、本年新收政府信息公开申请数量</td>' in page
    assert 'font-family:"SimSun"' in page  # the CSS is the template's, untouched by escaping
    assert "<title>1月收到 1 件</title>" in page and "<h2>六、其他需要报告的事项</h2><p>本年度未收取信息处理费。</p>" in page


async def test_the_live_and_the_published_page_escape_an_agency_name_from_the_agency_tree(databases, topic_prefix):
    # Agency names arrive by catalog events: the audit service never trusts them as markup.
    settings = await audit_settings(databases, topic_prefix)
    hostile = agency(HOSTILE)
    agency_id = hostile.aggregate_id
    async with recorder(settings) as record:
        await record(hostile, received(agency_id, received_on=date(LAST_YEAR, 3, 3), due_on=date(LAST_YEAR, 3, 31)))
        async with client(settings) as c:
            headers = auth(settings, "head", agency_id=agency_id)
            live = await c.get(f"{API}/annual", params={"year": LAST_YEAR, "agency_id": agency_id, "format": "html"}, headers=headers)
            assert live.status_code == 200 and live.headers["content-type"].startswith("text/html")
            published = await c.post(f"{API}/annual/published", json={"year": LAST_YEAR, "agency_id": agency_id}, headers=headers)
            assert published.status_code == 200, published.text
            page = await c.get(f"{API}/published/{published.json()['id']}", params={"format": "html"})
    for text in (live.text, page.text):
        assert "<script" not in text and "<img" not in text
        assert f"<h1>{HOSTILE_ESCAPED}{LAST_YEAR}年政府信息公开工作年度报告</h1>" in text
