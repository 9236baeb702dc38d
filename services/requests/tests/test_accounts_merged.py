"""Two identity accounts found to be one person: the merged account's requests follow the surviving one."""

from __future__ import annotations

from sqlalchemy import select

from services.requests.adapters.orm import Attachment
from services.requests.service.accounts import on_accounts_merged
from services.requests.tests.conftest import API, request_body
from shared.contracts.identity import AccountsMerged
from shared.events import Actor


async def _merge(harness, envelope) -> None:
    async with harness.app.state.runtime.uow() as uow:
        await on_accounts_merged(uow, envelope)
        await uow.commit()
    harness.app.state.verifier.expire()  # the replica's alias map would catch up within seconds


async def _mine(harness, sub: str) -> list[str]:
    resp = await harness.client.get(f"{API}/requests/mine", headers=harness.who("applicant", sub=sub))
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["items"]]


async def test_merged_accounts_requests_and_uploads_move_to_the_surviving_account_once(harness):
    mini = harness.who("applicant", sub="mini-1")
    upload = await harness.client.post(
        f"{API}/attachments",
        data={"purpose": "identity_proof"},
        headers=mini,
        files={"file": ("id.pdf", b"%PDF-1.4\n% proof\n%%EOF\n", "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    created = await harness.client.post(f"{API}/requests", json=request_body(harness.agency_a), headers=mini)
    assert created.status_code == 201, created.text
    other = await harness.client.post(
        f"{API}/requests", json=request_body(harness.agency_b), headers=harness.who("applicant", sub="someone")
    )
    assert await _mine(harness, "web-1") == []

    envelope = AccountsMerged(merged_id="mini-1", into_id="web-1").envelope(
        source="identity", aggregate_id="mini-1", actor=Actor(sub="mini-1", role="applicant")
    )
    await _merge(harness, envelope)
    await _merge(harness, envelope)  # a replay (the consumer's inbox would skip it; the move itself is idempotent too)
    assert await _mine(harness, "web-1") == [created.json()["id"]]
    # The merged account's access token, still valid for a few minutes, now acts as the survivor.
    assert await _mine(harness, "mini-1") == [created.json()["id"]]
    assert await _mine(harness, "someone") == [other.json()["id"]]
    detail = await harness.client.get(f"{API}/requests/{created.json()['id']}", headers=harness.who("applicant", sub="web-1"))
    assert detail.status_code == 200
    async with harness.app.state.runtime.sessions() as s:
        owners = set((await s.execute(select(Attachment.owner_sub))).scalars())
    assert owners == {"web-1"}


async def test_a_request_submitted_with_the_merged_accounts_token_after_the_merge_lands_with_the_survivor(harness):
    envelope = AccountsMerged(merged_id="mini-2", into_id="web-2").envelope(
        source="identity", aggregate_id="mini-2", actor=Actor(sub="mini-2", role="applicant")
    )
    await _merge(harness, envelope)
    late = await harness.client.post(f"{API}/requests", json=request_body(harness.agency_a), headers=harness.who("applicant", sub="mini-2"))
    assert late.status_code == 201, late.text
    assert await _mine(harness, "web-2") == [late.json()["id"]]
    # A survivor merged again later takes the first account's alias along.
    again = AccountsMerged(merged_id="web-2", into_id="web-3").envelope(
        source="identity", aggregate_id="web-2", actor=Actor(sub="web-2", role="applicant")
    )
    await _merge(harness, again)
    assert await _mine(harness, "mini-2") == await _mine(harness, "web-3") == [late.json()["id"]]


async def test_a_submission_right_after_the_merge_lands_with_the_survivor_before_the_alias_map_catches_up(harness):
    assert await _mine(harness, "mini-4") == []  # loads the (empty) alias map
    envelope = AccountsMerged(merged_id="mini-4", into_id="web-4").envelope(
        source="identity", aggregate_id="mini-4", actor=Actor(sub="mini-4", role="applicant")
    )
    async with harness.app.state.runtime.uow() as uow:
        await on_accounts_merged(uow, envelope)
        await uow.commit()
    # No expire(): the map is still the old one, but the write looks the alias up exactly.
    late = await harness.client.post(f"{API}/requests", json=request_body(harness.agency_a), headers=harness.who("applicant", sub="mini-4"))
    assert late.status_code == 201, late.text
    assert await _mine(harness, "web-4") == [late.json()["id"]]
