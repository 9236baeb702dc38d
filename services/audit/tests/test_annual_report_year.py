"""Acceptance: a scripted year of request events → the official tables 三 and 四, exactly.

The events go through the audit consumer's handler (`record_and_project`), each in its own
transaction, as the consumer applies them; the report is read through the HTTP API. The
expected tables are written out by hand below (not computed by the code under test).
Replaying every event (as a redelivery would) must not change a single number.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook

from services.audit.app import build_spec, create_app
from services.audit.domain import annual_report as ar
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings
from shared.contracts import requests as ev
from shared.contracts.catalog import AgencyRegistered
from shared.events import Actor, EventEnvelope
from shared.service import ServiceRuntime
from shared.testing import auth, running_app, settings_for

COUNTY, DEPT_A, DEPT_B, OTHER_COUNTY = "county-1", "dept-a", "dept-b", "county-2"
OFFICER = Actor(sub="officer-1", role="handler")

# column key → (applicant_type, organisation_type)
APPLICANT = {
    "NP": ("natural_person", None),
    "COM": ("organisation", "commercial"),
    "RES": ("organisation", "research"),
    "PUB": ("organisation", "public_interest"),
    "LEG": ("organisation", "legal_services"),
    "OTH": ("organisation", "other"),
}
_ids = itertools.count(1)


@dataclass
class Req:
    agency: str
    col: str
    received: date
    finished: date | None = None
    category: str | None = None
    reason: str | None = None
    closed: bool = False  # finished by RequestClosed rather than AnswerDispatched
    kind: str = "disclosure"  # or record_correction (Art. 41): not in table 三
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or f"req-{next(_ids):03d}"


def _facts(r: Req, state: str, round_: int = 1) -> dict:
    applicant_type, organisation_type = APPLICANT[r.col]
    return dict(
        request_id=r.id,
        tracking_number=f"GK{r.id}",
        agency_id=r.agency,
        state=state,
        round=round_,
        kind=r.kind,
        applicant_type=applicant_type,
        organisation_type=organisation_type,
        channel="online",
        received_on=r.received,
    )


def _wrap(event, r: Req) -> EventEnvelope:
    return event.envelope(source="requests", aggregate_id=r.id, agency_id=r.agency, actor=OFFICER)


def request_events(r: Req) -> list[EventEnvelope]:
    out = [_wrap(ev.RequestReceived(**_facts(r, "received")), r)]
    if r.finished is not None:
        if r.closed:
            out.append(_wrap(ev.RequestClosed(**_facts(r, "closed"), category=r.category, reason=r.reason, closed_on=r.finished), r))
        else:
            out.append(
                _wrap(
                    ev.AnswerDispatched(
                        **_facts(r, "answered"),
                        answer_id=f"ans-{r.id}",
                        category=r.category,
                        reason=r.reason,
                        answered_on=r.finished,
                        on_time=True,
                        working_days_taken=8,
                    ),
                    r,
                )
            )
    return out


def remedy_events(
    r: Req,
    remedy_id: str,
    kind: str,
    filed: date,
    outcome: str | None = None,
    decided: date | None = None,
    reanswer: tuple[str, str, date] | None = None,
) -> list[EventEnvelope]:
    out = [_wrap(ev.RemedyRecorded(**_facts(r, "answered"), remedy_id=remedy_id, remedy_kind=kind, filed_on=filed), r)]
    if outcome is not None:
        out.append(
            _wrap(ev.RemedyDecided(**_facts(r, "answered"), remedy_id=remedy_id, remedy_kind=kind, outcome=outcome, decided_on=decided), r)
        )
    if outcome == "corrected":
        out.append(_wrap(ev.RequestReopened(**_facts(r, "in_progress", 2), remedy_id=remedy_id), r))
        if reanswer is not None:  # the second answer (round 2): must not count again
            category, reason, on = reanswer
            out.append(
                _wrap(
                    ev.AnswerDispatched(
                        **_facts(r, "answered", 2),
                        answer_id=f"ans2-{r.id}",
                        category=category,
                        reason=reason,
                        answered_on=on,
                        on_time=True,
                        working_days_taken=5,
                    ),
                    r,
                )
            )
    return out


def agency_events() -> list[EventEnvelope]:
    agencies = [
        (COUNTY, "某某县人民政府", "government", None),
        (DEPT_A, "某某县交通运输局", "department", COUNTY),
        (DEPT_B, "某某县教育局", "department", COUNTY),
        (OTHER_COUNTY, "另一县人民政府", "government", None),
    ]
    return [
        AgencyRegistered(agency_id=a, name=n, kind=k, parent_id=p).envelope(
            source="catalog", aggregate_id=a, agency_id=a, actor=Actor.system("catalog")
        )
        for a, n, k, p in agencies
    ]


# Every answer type and sub-reason, in the template's order, one request each in department A,
# applicant columns rotating NP, COM, RES, PUB, LEG, OTH; all received and answered in 2026.
ALL_ANSWERS = [
    ("disclosed", "provided"),
    ("disclosed", "already_public"),
    ("partially_disclosed", "separated"),
    ("not_disclosed", "state_secret"),
    ("not_disclosed", "prohibited_by_law"),
    ("not_disclosed", "security_stability"),
    ("not_disclosed", "third_party_rights"),
    ("not_disclosed", "internal_affairs"),
    ("not_disclosed", "process_information"),
    ("not_disclosed", "enforcement_file"),
    ("not_disclosed", "administrative_query"),
    ("cannot_provide", "not_held"),
    ("cannot_provide", "needs_creation"),
    ("cannot_provide", "unclear_after_correction"),
    ("not_handled", "petition_complaint"),
    ("not_handled", "repeated"),
    ("not_handled", "publication"),
    ("not_handled", "excessive"),
    ("not_handled", "confirm_or_reissue"),
    ("other", "no_correction"),
    ("other", "fee_unpaid"),
    ("other", "other"),
]
ROTATION = ["NP", "COM", "RES", "PUB", "LEG", "OTH"]


def scripted_year() -> list[EventEnvelope]:
    d = date
    a = [
        Req(
            DEPT_A,
            ROTATION[i % 6],
            d(2026, 1 + i // 3, 1 + i % 3),
            d(2026, 1 + i // 3, 15 + i % 3),
            category,
            reason,
            closed=category == "other",
        )
        for i, (category, reason) in enumerate(ALL_ANSWERS)
    ]
    reopened = Req(DEPT_A, "NP", d(2026, 3, 2), d(2026, 3, 20), "disclosed", "provided")
    carried_in = Req(DEPT_A, "COM", d(2025, 12, 20), d(2026, 1, 8), "disclosed", "provided")
    done_last_year = Req(DEPT_A, "NP", d(2025, 11, 2), d(2025, 11, 20), "disclosed", "provided")
    carried_out = Req(DEPT_A, "LEG", d(2026, 12, 28))
    next_year = Req(DEPT_A, "NP", d(2027, 1, 4), d(2027, 1, 20), "disclosed", "provided")
    carried_through = Req(DEPT_A, "OTH", d(2025, 12, 30))  # received 2025, still open on 31 Dec 2026
    answered_next_year = Req(DEPT_A, "OTH", d(2026, 12, 15), d(2027, 1, 10), "cannot_provide", "not_held")
    b = [
        Req(DEPT_B, "NP", d(2026, 2, 10), d(2026, 2, 25), "disclosed", "provided"),
        Req(DEPT_B, "COM", d(2026, 3, 1), d(2026, 3, 15), "partially_disclosed", "separated"),
        Req(DEPT_B, "NP", d(2025, 12, 25), d(2026, 1, 12), "not_handled", "repeated"),
        Req(DEPT_B, "RES", d(2026, 12, 20)),
        Req(DEPT_B, "LEG", d(2026, 4, 1), d(2026, 4, 10), "not_disclosed", "third_party_rights"),
        Req(DEPT_B, "PUB", d(2026, 5, 1), d(2026, 5, 20), "other", "other", closed=True),
    ]
    county_own = Req(COUNTY, "OTH", d(2026, 6, 1), d(2026, 6, 10), "disclosed", "already_public")
    elsewhere = Req(OTHER_COUNTY, "NP", d(2026, 6, 1), d(2026, 6, 10), "disclosed", "provided")

    # Art. 41: correcting one's own records is no 政府信息公开申请; it must not appear in table 三.
    record_correction = Req(DEPT_A, "NP", d(2026, 4, 6), d(2026, 4, 20), "other", "other", kind="record_correction")
    requests = [
        *a,
        reopened,
        carried_in,
        done_last_year,
        carried_out,
        next_year,
        carried_through,
        answered_next_year,
        *b,
        county_own,
        elsewhere,
        record_correction,
    ]
    silent = Req(DEPT_B, "NP", d(2026, 7, 1), d(2026, 10, 15), "disclosed", "provided")  # overdue from 29 July
    events = agency_events() + request_events(silent)[:1]
    for r in requests:
        events += request_events(r)
    R = "reconsideration"
    LD = "litigation_direct"
    LA = "litigation_after_reconsideration"
    events += [
        # department A — 行政复议: upheld, corrected (reopened, re-answered), other, decided only in 2027 (pending)
        *remedy_events(
            reopened, "rem-01", R, d(2026, 4, 1), "corrected", d(2026, 5, 10), reanswer=("not_disclosed", "state_secret", d(2026, 6, 1))
        ),
        *remedy_events(a[3], "rem-02", R, d(2026, 5, 1), "upheld", d(2026, 6, 15)),
        *remedy_events(a[7], "rem-03", R, d(2026, 6, 1), "other", d(2026, 7, 1)),
        *remedy_events(a[11], "rem-04", R, d(2026, 11, 1), "upheld", d(2027, 1, 15)),
        # 未经复议直接起诉: upheld, corrected (reopened, still open on 31 Dec), other, pending, decided in 2027
        *remedy_events(a[4], "rem-05", LD, d(2026, 3, 20), "upheld", d(2026, 9, 1)),
        *remedy_events(a[14], "rem-06", LD, d(2026, 8, 1), "corrected", d(2026, 10, 10)),
        *remedy_events(a[15], "rem-07", LD, d(2026, 9, 1)),
        *remedy_events(a[16], "rem-08", LD, d(2026, 4, 4), "other", d(2026, 6, 6)),
        *remedy_events(a[18], "rem-15", LD, d(2026, 12, 20), "other", d(2027, 2, 1)),
        # 复议后起诉: upheld, other (decided on 31 December), corrected (re-answered), pending
        *remedy_events(a[3], "rem-09", LA, d(2026, 7, 1), "upheld", d(2026, 10, 1)),
        *remedy_events(a[7], "rem-10", LA, d(2026, 7, 20), "other", d(2026, 12, 31)),
        *remedy_events(a[10], "rem-11", LA, d(2026, 5, 5), "corrected", d(2026, 8, 8), reanswer=("disclosed", "provided", d(2026, 9, 1))),
        *remedy_events(a[12], "rem-12", LA, d(2026, 12, 1)),
        # not in table 四: a complaint; a reconsideration filed in 2025 (decided in 2026)
        *remedy_events(a[13], "rem-13", "complaint", d(2026, 2, 2), "upheld", d(2026, 3, 3)),
        *remedy_events(done_last_year, "rem-14", R, d(2025, 12, 1), "upheld", d(2026, 1, 20)),
        # department B
        *remedy_events(b[4], "rem-16", R, d(2026, 5, 1), "upheld", d(2026, 6, 1)),
        *remedy_events(b[0], "rem-17", LD, d(2026, 3, 10)),
        # another county: never in this county's tables
        *remedy_events(elsewhere, "rem-18", R, d(2026, 7, 1), "corrected", d(2026, 8, 1)),
        # department B: a 复议 against silence (逾期不答复), ordered to answer, then answered
        *silence_remedy_events(silent, "rem-19", R, d(2026, 8, 15), "corrected", d(2026, 9, 30)),
        *request_events(silent)[1:],
        # 信息处理费 (part 六): paid in 2026 in department A and B; one paid in 2025 counts in 2025
        _wrap(ev.FeePaid(**_facts(a[0], "in_progress"), amount_yuan=20, paid_on=d(2026, 1, 10)), a[0]),
        _wrap(ev.FeePaid(**_facts(b[1], "in_progress"), amount_yuan=30, paid_on=d(2026, 3, 5)), b[1]),
        _wrap(ev.FeePaid(**_facts(done_last_year, "in_progress"), amount_yuan=50, paid_on=d(2025, 11, 10)), done_last_year),
    ]
    return events


def silence_remedy_events(r: Req, remedy_id: str, kind: str, filed: date, outcome: str, decided: date) -> list[EventEnvelope]:
    """A remedy against an open request past its due date: recorded and decided while it stays open (no reopening)."""
    return [
        _wrap(
            ev.RemedyRecorded(**_facts(r, "in_progress"), remedy_id=remedy_id, remedy_kind=kind, filed_on=filed, against_silence=True), r
        ),
        _wrap(ev.RemedyDecided(**_facts(r, "in_progress"), remedy_id=remedy_id, remedy_kind=kind, outcome=outcome, decided_on=decided), r),
    ]


# -- the expected tables, by hand ------------------------------------------------------------------
#                                    NP COM RES PUB LEG OTH 总计
DEPT_A_THREE = {
    "new": [5, 4, 4, 4, 4, 4, 25],
    "carried_in": [0, 1, 0, 0, 0, 1, 2],
    "disclosed": [2, 2, 0, 0, 0, 0, 4],
    "partially_disclosed": [0, 0, 1, 0, 0, 0, 1],
    "not_disclosed": [1, 1, 1, 2, 2, 1, 8],
    "not_disclosed.state_secret": [0, 0, 0, 1, 0, 0, 1],
    "not_disclosed.prohibited_by_law": [0, 0, 0, 0, 1, 0, 1],
    "not_disclosed.security_stability": [0, 0, 0, 0, 0, 1, 1],
    "not_disclosed.third_party_rights": [1, 0, 0, 0, 0, 0, 1],
    "not_disclosed.internal_affairs": [0, 1, 0, 0, 0, 0, 1],
    "not_disclosed.process_information": [0, 0, 1, 0, 0, 0, 1],
    "not_disclosed.enforcement_file": [0, 0, 0, 1, 0, 0, 1],
    "not_disclosed.administrative_query": [0, 0, 0, 0, 1, 0, 1],
    "cannot_provide": [1, 1, 0, 0, 0, 1, 3],
    "cannot_provide.not_held": [0, 0, 0, 0, 0, 1, 1],
    "cannot_provide.needs_creation": [1, 0, 0, 0, 0, 0, 1],
    "cannot_provide.unclear_after_correction": [0, 1, 0, 0, 0, 0, 1],
    "not_handled": [1, 0, 1, 1, 1, 1, 5],
    "not_handled.petition_complaint": [0, 0, 1, 0, 0, 0, 1],
    "not_handled.repeated": [0, 0, 0, 1, 0, 0, 1],
    "not_handled.publication": [0, 0, 0, 0, 1, 0, 1],
    "not_handled.excessive": [0, 0, 0, 0, 0, 1, 1],
    "not_handled.confirm_or_reissue": [1, 0, 0, 0, 0, 0, 1],
    "other": [0, 1, 1, 1, 0, 0, 3],
    "other.no_correction": [0, 1, 0, 0, 0, 0, 1],
    "other.fee_unpaid": [0, 0, 1, 0, 0, 0, 1],
    "other.other": [0, 0, 0, 1, 0, 0, 1],
    "total": [5, 5, 4, 4, 3, 3, 24],
    "carried_out": [0, 0, 0, 0, 1, 2, 3],
}
COUNTY_THREE = {
    "new": [7, 5, 5, 5, 5, 5, 32],
    "carried_in": [1, 1, 0, 0, 0, 1, 3],
    "disclosed": [4, 2, 0, 0, 0, 1, 7],
    "partially_disclosed": [0, 1, 1, 0, 0, 0, 2],
    "not_disclosed": [1, 1, 1, 2, 3, 1, 9],
    "not_disclosed.state_secret": [0, 0, 0, 1, 0, 0, 1],
    "not_disclosed.prohibited_by_law": [0, 0, 0, 0, 1, 0, 1],
    "not_disclosed.security_stability": [0, 0, 0, 0, 0, 1, 1],
    "not_disclosed.third_party_rights": [1, 0, 0, 0, 1, 0, 2],
    "not_disclosed.internal_affairs": [0, 1, 0, 0, 0, 0, 1],
    "not_disclosed.process_information": [0, 0, 1, 0, 0, 0, 1],
    "not_disclosed.enforcement_file": [0, 0, 0, 1, 0, 0, 1],
    "not_disclosed.administrative_query": [0, 0, 0, 0, 1, 0, 1],
    "cannot_provide": [1, 1, 0, 0, 0, 1, 3],
    "cannot_provide.not_held": [0, 0, 0, 0, 0, 1, 1],
    "cannot_provide.needs_creation": [1, 0, 0, 0, 0, 0, 1],
    "cannot_provide.unclear_after_correction": [0, 1, 0, 0, 0, 0, 1],
    "not_handled": [2, 0, 1, 1, 1, 1, 6],
    "not_handled.petition_complaint": [0, 0, 1, 0, 0, 0, 1],
    "not_handled.repeated": [1, 0, 0, 1, 0, 0, 2],
    "not_handled.publication": [0, 0, 0, 0, 1, 0, 1],
    "not_handled.excessive": [0, 0, 0, 0, 0, 1, 1],
    "not_handled.confirm_or_reissue": [1, 0, 0, 0, 0, 0, 1],
    "other": [0, 1, 1, 2, 0, 0, 4],
    "other.no_correction": [0, 1, 0, 0, 0, 0, 1],
    "other.fee_unpaid": [0, 0, 1, 0, 0, 0, 1],
    "other.other": [0, 0, 0, 2, 0, 0, 2],
    "total": [8, 6, 4, 5, 4, 4, 31],
    "carried_out": [0, 0, 1, 0, 1, 2, 4],
}
#                                     维持 纠正 其他 尚未审结 总计
DEPT_A_FOUR = {
    "reconsideration": [1, 1, 1, 1, 4],
    "litigation_direct": [1, 1, 1, 2, 5],
    "litigation_after_reconsideration": [1, 1, 1, 1, 4],
}
COUNTY_FOUR = {
    "reconsideration": [2, 2, 1, 1, 6],  # with the 复议 against silence (corrected)
    "litigation_direct": [1, 1, 1, 3, 6],
    "litigation_after_reconsideration": [1, 1, 1, 1, 4],
}


def three_as_lists(body: dict) -> dict[str, list[int]]:
    assert [c["key"] for c in body["tables"]["three"]["columns"]] == ar.COLUMNS
    return {row["key"]: [row["values"][c] for c in ar.COLUMNS] for row in body["tables"]["three"]["rows"]}


def four_as_lists(body: dict) -> dict[str, list[int]]:
    keys = [c["key"] for c in body["tables"]["four"]["columns"]]
    return {row["key"]: [row["values"][c] for c in keys] for row in body["tables"]["four"]["rows"]}


# -- the test --------------------------------------------------------------------------------------


@pytest.fixture
async def audit(databases, tmp_path):
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap="127.0.0.1:1", prefix="t.", run_workers=False
    )
    runtime = ServiceRuntime(build_spec(settings))
    await runtime.migrate()
    yield settings, runtime
    await runtime.engine.dispose()


async def feed(runtime: ServiceRuntime, events: list[EventEnvelope]) -> None:
    for envelope in events:
        async with runtime.uow() as uow:
            await record_and_project(uow, envelope)
            await uow.commit()


async def fetch(client, settings, agency_id: str, subtree: bool, fmt: str = "json"):
    response = await client.get(
        "/api/v1/audit/reports/annual",
        params={"year": 2026, "agency_id": agency_id, "subtree": str(subtree).lower(), "format": fmt},
        headers=auth(settings, "supervisor", agency_id=COUNTY),
    )
    assert response.status_code == 200, response.text
    return response


async def assert_expected_tables(settings) -> None:
    async with running_app(create_app(settings)) as client:
        dept = (await fetch(client, settings, DEPT_A, False)).json()
        county = (await fetch(client, settings, COUNTY, True)).json()
    assert dept["checks"] == county["checks"] == "passed"
    assert county["agencies"] == sorted([COUNTY, DEPT_A, DEPT_B])
    assert dept["record_corrections"] == county["record_corrections"] == {"received": 1, "finished": 1}
    assert (dept["fees"], county["fees"]) == ({"payments": 1, "total_yuan": 20}, {"payments": 2, "total_yuan": 50})
    assert three_as_lists(dept) == DEPT_A_THREE
    assert four_as_lists(dept) == DEPT_A_FOUR
    assert three_as_lists(county) == COUNTY_THREE
    assert four_as_lists(county) == COUNTY_FOUR
    for body in (dept, county):  # the cross-checks, re-verified on what the API returned
        three = {row["key"]: row["values"] for row in body["tables"]["three"]["rows"]}
        assert ar.check_table_three(three) == []
        assert ar.check_table_four({row["key"]: row["values"] for row in body["tables"]["four"]["rows"]}) == []


class FakeRecord:
    """Enough of aiokafka's ConsumerRecord for `ConsumerRunner.process`."""

    def __init__(self, envelope: EventEnvelope, offset: int) -> None:
        self.topic, self.partition, self.offset = "t.requests.requests", 0, offset
        self.key, self.value, self.headers = envelope.aggregate_id.encode(), envelope.to_bytes(), []


async def test_a_scripted_year_gives_the_hand_written_tables_and_replays_change_nothing(audit):
    settings, runtime = audit
    events = scripted_year()
    await feed(runtime, events)
    await assert_expected_tables(settings)

    # ACCEPTANCE 3: every event again, as a redelivery past the inbox would hand it to the handler …
    await feed(runtime, events)
    await assert_expected_tables(settings)
    # … and through the consumer's inbox: first time recorded there (and applied once more), then skipped.
    runner = runtime.consumers[0]
    outcomes = [await runner.process(FakeRecord(e, i)) for i, e in enumerate(events)]
    assert set(outcomes) == {"handled"}
    outcomes = [await runner.process(FakeRecord(e, i)) for i, e in enumerate(events)]
    assert set(outcomes) == {"duplicate"}
    await assert_expected_tables(settings)


async def test_xlsx_and_html_show_the_official_layout_and_the_numbers(audit):
    settings, runtime = audit
    await feed(runtime, scripted_year())
    async with running_app(create_app(settings)) as client:
        xlsx = await fetch(client, settings, COUNTY, True, "xlsx")
        html = await fetch(client, settings, COUNTY, True, "html")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    wb = load_workbook(io.BytesIO(xlsx.content))
    two, three, four = wb.worksheets
    assert two.title == "二、主动公开情况" and any(c.value == "行政规范性文件" for row in two.iter_rows() for c in row)
    assert three["A1"].value == "某某县人民政府（含下级机关）2026年政府信息公开工作年度报告"
    assert three["A2"].value == "三、收到和处理政府信息公开申请情况"
    assert three["D3"].value == "申请人情况"
    assert [three.cell(4, c).value for c in (4, 5, 10)] == ["自然人", "法人或其他组织", "总计"]
    assert [three.cell(5, c).value for c in range(5, 10)] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    assert "E4:I4" in {str(r) for r in three.merged_cells.ranges}
    rows = {}
    for r in range(6, three.max_row + 1):
        label = next(v for v in (three.cell(r, c).value for c in (3, 2, 1)) if v)
        rows[label] = [three.cell(r, c).value for c in range(4, 11)]
    assert rows["一、本年新收政府信息公开申请数量"] == [7, 5, 5, 5, 5, 5, 32]
    assert rows["二、上年结转政府信息公开申请数量"] == [1, 1, 0, 0, 0, 1, 3]
    assert rows["（一）予以公开"] == [4, 2, 0, 0, 0, 1, 7]
    assert rows["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"] == [0, 1, 1, 0, 0, 0, 2]
    assert rows["（三）不予公开"] == [1, 1, 1, 2, 3, 1, 9]
    assert rows["4.保护第三方合法权益"] == [1, 0, 0, 0, 1, 0, 2]
    assert rows["1.本机关不掌握相关政府信息"] == [0, 0, 0, 0, 0, 1, 1]
    assert rows["2.重复申请"] == [1, 0, 0, 1, 0, 0, 2]
    assert rows["3.其他"] == [0, 0, 0, 2, 0, 0, 2]
    assert rows["（七）总计"] == [8, 6, 4, 5, 4, 4, 31]
    assert rows["四、结转下年度继续办理"] == [0, 0, 1, 0, 1, 2, 4]
    assert len(rows) == len(ar.ROWS)
    results_block = [str(r) for r in three.merged_cells.ranges if r.min_col == 1 and r.max_col == 1]
    assert three.cell(8, 1).value == "三、本年度办理结果" and results_block == ["A8:A33"]

    assert four["A2"].value == "四、政府信息公开行政复议、行政诉讼情况"
    assert [four["A3"].value, four["F3"].value, four["F4"].value, four["K4"].value] == [
        "行政复议",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
    ]
    assert [four.cell(5, c).value for c in range(1, 16)] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert [four.cell(6, c).value for c in range(1, 16)] == [2, 2, 1, 1, 6, 1, 1, 1, 3, 6, 1, 1, 1, 1, 4]

    assert html.headers["content-type"].startswith("text/html")
    page = html.text
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert (
        "<link" not in page
        and "<script" not in page
        and "src=" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    for label in [
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "自然人",
        "法人或其他组织",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "总计",
        "一、本年新收政府信息公开申请数量",
        "（七）总计",
        "8.属于行政查询事项",
        "四、结转下年度继续办理",
        "行政复议",
        "未经复议直接起诉",
        "复议后起诉",
        "尚未审结",
    ]:
        assert label in page, label
    assert (
        '<td class="l" colspan="3">一、本年新收政府信息公开申请数量</td>'
        + "".join(f'<td class="n">{n}</td>' for n in [7, 5, 5, 5, 5, 5, 32])
        in page
    )
    assert "".join(f'<td class="n">{n}</td>' for n in [2, 2, 1, 1, 6, 1, 1, 1, 3, 6, 1, 1, 1, 1, 4]) in page
    assert "<svg" in page and "</svg>" in page
    assert "<h2>六、其他需要报告的事项</h2><p>本年度依据《政府信息公开信息处理费管理办法》收取信息处理费 2 笔，共计 50 元。</p>" in page
    # The chart's bars: in January the county received 3 requests (dept A's first three) and answered 5 (those
    # three plus the two carried in from 2025); in December it received 3, all still open or answered in 2027.
    assert "<title>1月收到 3 件</title>" in page
    assert "<title>1月办结 5 件</title>" in page
    assert "<title>12月收到 3 件</title>" in page
    assert "<title>12月办结 0 件</title>" in page


def test_annual_tables_refuses_an_inconsistent_table(monkeypatch):
    facts = [ar.Fact("natural_person", None, date(2026, 1, 5), date(2026, 1, 20), "disclosed", "provided")]
    assert ar.annual_tables(facts, [], 2026)["three"]["total"]["total"] == 1

    broken = ar.table_three

    def lossy(facts, year):  # a table that forgets a carried-over request: 一+二 ≠ 三+四
        table = broken(facts, year)
        table["new"]["natural_person"] += 1
        table["new"]["total"] += 1
        return table

    monkeypatch.setattr(ar, "table_three", lossy)
    with pytest.raises(ar.ReportCheckFailed) as caught:
        ar.annual_tables(facts, [], 2026)
    assert caught.value.failures == ["一+二≠三(七)+四（自然人）", "一+二≠三(七)+四（总计）"]

    table = broken(facts, 2026)
    table["not_disclosed"]["commercial"] = 1  # a subtotal without its sub-rows, and a 总计 column that ignores it
    failures = ar.check_table_three(table)
    assert any("not_disclosed" in f for f in failures)
    assert "“not_disclosed”行总计≠各类申请人之和" in failures
    assert ar.check_table_four(
        {
            "reconsideration": {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 2},
            "litigation_direct": {c: 0 for c, _ in ar.REMEDY_COLUMNS},
            "litigation_after_reconsideration": {c: 0 for c, _ in ar.REMEDY_COLUMNS},
        }
    ) == ["行政复议 总计≠各结果之和"]


def _document(doc_id: str, agency: str, category: str, made: date, *, decisions: int = 1, fee: str | None = None) -> EventEnvelope:
    from decimal import Decimal

    from shared.contracts.catalog import DocumentPublished

    event = DocumentPublished(
        document_id=doc_id,
        agency_id=agency,
        category=category,
        index_number=f"IDX-{doc_id}",
        title="文件",
        made_on=made,
        published_on=made,
        decision_count=decisions,
        fee_amount_yuan=Decimal(fee) if fee else None,
    )
    return event.envelope(source="catalog", aggregate_id=doc_id, agency_id=agency, actor=Actor.system("catalog"))


def _ended(doc_id: str, agency: str, category: str, validity: str, on: date, *, withdrawn: bool = False) -> EventEnvelope:
    from shared.contracts.catalog import DocumentRepealed, DocumentWithdrawn

    event = (
        DocumentWithdrawn(document_id=doc_id, agency_id=agency, category=category)
        if withdrawn
        else DocumentRepealed(document_id=doc_id, agency_id=agency, category=category, validity=validity, effective_on=on)
    )
    return event.envelope(source="catalog", aggregate_id=doc_id, agency_id=agency, actor=Actor.system("catalog"))


async def test_table_two_counts_rules_documents_decisions_and_fees_from_catalog_events(audit):
    settings, runtime = audit
    events = agency_events() + [
        _document("r1", DEPT_A, "regulation", date(2024, 5, 1)),  # in force, made earlier
        _document("r2", DEPT_A, "regulation", date(2026, 3, 1)),  # made 2026, in force
        _document("n1", DEPT_A, "normative_document", date(2025, 2, 1)),
        _ended("n1", DEPT_A, "normative_document", "repealed", date(2026, 6, 30)),  # repealed 2026
        _document("n2", DEPT_A, "normative_document", date(2026, 4, 1)),
        _ended("n2", DEPT_A, "normative_document", "expired", date(2026, 12, 1)),  # made 2026, expired: not repealed, not in force
        _document("n3", DEPT_B, "normative_document", date(2026, 9, 9)),
        _document("n4", DEPT_A, "normative_document", date(2026, 10, 1)),
        _ended("n4", DEPT_A, "normative_document", "repealed", date(2027, 1, 5)),  # repealed only next year: in force on 31 Dec
        _document("n5", DEPT_A, "normative_document", date(2026, 11, 1)),
        _ended("n5", DEPT_A, "normative_document", "", date(2026, 11, 2), withdrawn=True),  # withdrawn: counts nowhere
        _document("l1", DEPT_A, "administrative_license", date(2026, 1, 10), decisions=120),
        _document("l2", DEPT_A, "administrative_license", date(2025, 12, 31), decisions=7),  # last year
        _document("p1", DEPT_B, "administrative_penalty", date(2026, 2, 2), decisions=15),
        _document("c1", DEPT_A, "administrative_coercion", date(2026, 8, 8), decisions=2),
        _document("f1", DEPT_A, "administrative_fee", date(2026, 3, 31), fee="123456.78"),
        _document("f2", DEPT_B, "administrative_fee", date(2026, 9, 30), fee="10000.00"),
    ]
    await feed(runtime, events)
    await feed(runtime, events)  # a replay changes nothing
    async with running_app(create_app(settings)) as client:
        dept = (await fetch(client, settings, DEPT_A, False)).json()["tables"]["two"]
        county = (await fetch(client, settings, COUNTY, True)).json()["tables"]["two"]
    assert dept == [
        {
            "header": ["第二十条第（一）项 信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            "rows": [["规章", 1, 0, 2], ["行政规范性文件", 2, 1, 1]],
        },
        {"header": ["第二十条第（五）项 信息内容", "本年处理决定数量"], "rows": [["行政许可", 120]]},
        {"header": ["第二十条第（六）项 信息内容", "本年处理决定数量"], "rows": [["行政处罚", 0], ["行政强制", 2]]},
        {"header": ["第二十条第（八）项 信息内容", "本年收费金额（单位：万元）"], "rows": [["行政事业性收费", "12.3457"]]},
    ]
    assert county[0]["rows"] == [["规章", 1, 0, 2], ["行政规范性文件", 3, 1, 2]]
    assert county[2]["rows"] == [["行政处罚", 15], ["行政强制", 2]]
    assert county[3]["rows"] == [["行政事业性收费", "13.3457"]]
