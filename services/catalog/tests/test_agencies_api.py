"""The agency endpoints through the real catalog app: database, outbox, relay and broker."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from services.catalog.adapters.orm import Agency, plumbing
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.testing import auth, eventually, running_app, settings_for
from shared.validators import is_valid_credit_code

BASE = "/api/v1/catalog/agencies"
CODE_COUNTY = "11330100002489321D"
CODE_DEPT = "11330102MB1234567B"
CODE_OTHER = "12330100470123456G"


@pytest.fixture
async def catalog(broker, databases, topic_prefix) -> Any:
    settings = settings_for(CatalogSettings, database_url=await databases.new("catalog"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    app = create_app(settings)
    async with running_app(app) as client:
        yield app, client, settings


def admin(settings) -> dict[str, str]:
    return auth(settings, "admin")


async def outbox_rows(app) -> list[Any]:
    t = plumbing.outbox
    async with app.state.runtime.sessions() as session:
        return list((await session.execute(select(t).order_by(t.c.id))).all())


async def agency_count(app) -> int:
    async with app.state.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Agency))).scalar_one()


async def create(client, settings, **body: Any):
    return await client.post(BASE, json=body, headers=admin(settings))


async def county_and_department(client, settings) -> tuple[dict, dict]:
    r = await create(client, settings, name="青山县人民政府", kind="county_government", credit_code=CODE_COUNTY)
    assert r.status_code == 201, r.text
    county = r.json()
    r = await create(client, settings, name="青山县财政局", kind="department", parent_id=county["id"], credit_code=CODE_DEPT)
    assert r.status_code == 201, r.text
    return county, r.json()


def test_fixture_codes_are_valid() -> None:
    assert all(is_valid_credit_code(c) for c in (CODE_COUNTY, CODE_DEPT, CODE_OTHER))


async def test_admin_builds_the_tree_and_anyone_reads_it(catalog) -> None:
    app, client, settings = catalog
    r = await create(client, settings, name="青山县人民政府", kind="county_government", credit_code=CODE_COUNTY)
    assert r.status_code == 201, r.text
    county = r.json()
    assert county["name"] == "青山县人民政府"
    assert county["kind"] == "county_government"
    assert county["parent_id"] is None
    assert county["credit_code"] == CODE_COUNTY
    assert county["id"] and county["created_at"]
    assert r.headers["Location"].endswith(f"{BASE}/{county['id']}")

    r = await create(client, settings, name="青山县财政局", kind="department", parent_id=county["id"])
    assert r.status_code == 201, r.text
    dept = r.json()
    assert dept["parent_id"] == county["id"]
    assert dept["credit_code"] is None
    assert r.headers["Location"].endswith(f"{BASE}/{dept['id']}")

    listed = await client.get(BASE)  # public: no token
    assert listed.status_code == 200
    assert [(a["id"], a["name"], a["parent_id"]) for a in listed.json()] == [
        (county["id"], "青山县人民政府", None),
        (dept["id"], "青山县财政局", county["id"]),
    ]

    for created in (county, dept):
        location = f"{BASE}/{created['id']}"
        one = await client.get(location)
        assert one.status_code == 200
        assert one.json() == created

    missing = await client.get(f"{BASE}/00000000-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "agency_not_found"


async def test_location_header_points_at_the_agency(catalog) -> None:
    app, client, settings = catalog
    r = await create(client, settings, name="青山县人民政府", kind="county_government")
    got = await client.get(r.headers["Location"])
    assert got.status_code == 200
    assert got.json()["id"] == r.json()["id"]


async def test_unknown_parent_is_rejected_and_nothing_stored(catalog) -> None:
    app, client, settings = catalog
    r = await create(client, settings, name="青山县财政局", kind="department", parent_id="00000000-0000-7000-8000-000000000000")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "parent_agency_not_found"
    assert problem["errors"][0]["field"] == "parent_id"
    assert (await client.get(BASE)).json() == []
    assert await agency_count(app) == 0
    assert await outbox_rows(app) == []


async def test_duplicate_name_or_credit_code_conflicts(catalog) -> None:
    app, client, settings = catalog
    county, dept = await county_and_department(client, settings)
    # Compare ids only: the relay may mark rows published meanwhile.
    before = [r.event_id for r in await outbox_rows(app)]
    assert len(before) == 2

    same_name = await create(client, settings, name="青山县财政局", kind="department", parent_id=county["id"])
    assert same_name.status_code == 409
    assert same_name.json()["code"] == "agency_exists"

    # Whitespace around the name is not a different name.
    padded = await create(client, settings, name="  青山县财政局 ", kind="department", parent_id=county["id"])
    assert padded.status_code == 409

    same_code = await create(client, settings, name="青山县教育局", kind="department", parent_id=county["id"], credit_code=CODE_DEPT)
    assert same_code.status_code == 409
    assert same_code.json()["code"] == "agency_exists"

    assert [a["id"] for a in (await client.get(BASE)).json()] == [county["id"], dept["id"]]
    assert [r.event_id for r in await outbox_rows(app)] == before


@pytest.mark.parametrize(
    "code",
    [
        "11330100002489321A",  # wrong check character
        "11330100002489321",  # 17 characters
        "11330100002489321DD",  # 19 characters
        "I1330100002489321D",  # I is not in the GB 32100 alphabet
        "",
    ],
)
async def test_invalid_credit_code_is_rejected(catalog, code: str) -> None:
    app, client, settings = catalog
    r = await create(client, settings, name="青山县人民政府", kind="county_government", credit_code=code)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == ["credit_code"]
    assert await agency_count(app) == 0
    assert await outbox_rows(app) == []


async def test_valid_credit_code_is_stored_upper_cased(catalog) -> None:
    app, client, settings = catalog
    r = await create(client, settings, name="青山县人民政府", kind="county_government", credit_code=" " + CODE_DEPT.lower() + " ")
    assert r.status_code == 201, r.text
    assert r.json()["credit_code"] == CODE_DEPT
    assert (await client.get(r.headers["Location"])).json()["credit_code"] == CODE_DEPT
    # The upper-cased form is what uniqueness is checked against.
    again = await create(client, settings, name="青山县财政局", kind="department", credit_code=CODE_DEPT)
    assert again.status_code == 409


async def test_other_invalid_bodies_are_rejected(catalog) -> None:
    app, client, settings = catalog
    for body, field in [
        ({"name": "青山县人民政府", "kind": "ministry"}, "kind"),
        ({"name": "县", "kind": "county_government"}, "name"),
        ({"kind": "county_government"}, "name"),
    ]:
        r = await client.post(BASE, json=body, headers=admin(settings))
        assert r.status_code == 422, body
        assert field in [e["field"] for e in r.json()["errors"]]
    assert await outbox_rows(app) == []


async def test_only_admins_may_create(catalog) -> None:
    app, client, settings = catalog
    anonymous = await client.post(BASE, json={"name": "青山县人民政府", "kind": "county_government"})
    assert anonymous.status_code == 401
    for headers in (auth(settings, "handler", agency_id="00000000-0000-7000-8000-000000000001"), auth(settings, "applicant")):
        forbidden = await client.post(BASE, json={"name": "青山县人民政府", "kind": "county_government"}, headers=headers)
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == "forbidden_role"
    assert await agency_count(app) == 0
    assert await outbox_rows(app) == []


async def test_each_created_agency_emits_one_event_that_the_relay_publishes(catalog) -> None:
    app, client, settings = catalog
    county, dept = await county_and_department(client, settings)
    rejected = await create(client, settings, name="青山县财政局", kind="department", parent_id=county["id"])
    assert rejected.status_code == 409
    rejected = await create(client, settings, name="青山县教育局", kind="department", parent_id="no-such-agency")
    assert rejected.status_code == 422

    topic = f"{settings.kafka_topic_prefix}catalog.agencies"
    rows = await outbox_rows(app)
    assert [(r.topic, r.key, r.event_type) for r in rows] == [
        (topic, county["id"], "AgencyRegistered"),
        (topic, dept["id"], "AgencyRegistered"),
    ]
    for row, agency in zip(rows, (county, dept), strict=False):
        envelope = json.loads(row.body)
        assert envelope["event_id"] == row.event_id
        assert envelope["type"] == "AgencyRegistered"
        assert envelope["source"] == "catalog"
        assert envelope["aggregate_type"] == "agency"
        assert envelope["aggregate_id"] == agency["id"]
        assert envelope["actor"]["sub"] == "admin-test" and envelope["actor"]["role"] == "admin"
        assert envelope["payload"] == {
            "agency_id": agency["id"],
            "name": agency["name"],
            "kind": agency["kind"],
            "parent_id": agency["parent_id"],
            "credit_code": agency["credit_code"],
        }

    async def all_published() -> bool:
        return all(r.published_at is not None for r in await outbox_rows(app))

    await eventually(all_published, message="outbox rows marked published")
    assert len(await outbox_rows(app)) == 2

    # And the events really are on the broker, keyed by agency id.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"{topic}.probe",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen: dict[str, dict] = {}

        async def both_seen() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for m in messages:
                    seen[m.key.decode()] = json.loads(m.value)
            return len(seen) >= 2

        await eventually(both_seen, message="AgencyRegistered events on the broker")
    finally:
        await consumer.stop()
    assert set(seen) == {county["id"], dept["id"]}
    assert {e["event_id"] for e in seen.values()} == {r.event_id for r in rows}


async def test_concurrent_duplicates_yield_one_agency_and_conflicts(catalog) -> None:
    """Racing registrations of one name: one wins, the rest get 409 (not 500), one event."""
    app, client, settings = catalog
    responses = await asyncio.gather(*[create(client, settings, name="青山县人民政府", kind="county_government") for _ in range(6)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"agency_exists"}
    assert await agency_count(app) == 1
    assert len(await outbox_rows(app)) == 1
