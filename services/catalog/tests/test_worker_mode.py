"""The catalog's `worker` process (no HTTP app) runs the Art. 26 watch on the county's own clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.catalog.adapters.orm import Agency, Document, plumbing
from services.catalog.app import build_spec
from services.catalog.settings import CatalogSettings
from shared.service import ServiceRuntime
from shared.testing import eventually, settings_for


async def test_worker_sends_publication_reminders_without_an_app(broker, databases, topic_prefix, tmp_path) -> None:
    settings = settings_for(
        CatalogSettings,
        database_url=await databases.new("catalog"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path),
        run_consumers=False,
        scheduler_interval_seconds=0.2,
    )
    runtime = ServiceRuntime(build_spec(settings))  # what `python -m services.catalog worker` builds
    await runtime.migrate()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    async with runtime.uow() as uow:
        uow.session.add(Agency(id="a1", name="青山县民政局", kind="department", credit_code="11330102MB1234567B"))
        await uow.session.flush()
        uow.session.add(
            Document(
                id="d1",
                agency_id="a1",
                index_number="11330102MB1234567B/2026-00001",
                title="临期未发布的通知",
                body="正文",
                publisher="青山县民政局",
                category_code="plan",
                keywords=[],
                made_on=today - timedelta(days=40),
                publish_due_on=today + timedelta(days=1),
                status="draft",
                author_sub="h",
                sample_bucket=0,
            )
        )
        await uow.commit()
    runtime.start_workers()
    try:

        async def reminded() -> list[dict]:
            async with runtime.sessions() as s:
                bodies = (await s.execute(select(plumbing.outbox.c.body))).scalars()
                return [json.loads(b) for b in bodies if json.loads(b)["type"] == "DocumentPublicationDue"]

        [event] = await eventually(reminded, timeout=20, message="the worker's publication watch")
        assert event["aggregate_id"] == "d1"
        async with runtime.sessions() as s:
            assert (await s.get(Document, "d1")).reminded_on == today
    finally:
        await runtime.stop()
