"""The Chinese segmenter's dictionary loads at start-up, before /readyz, not inside the first search (issue #18)."""

from __future__ import annotations

from services.catalog.app import create_app
from services.catalog.domain import search
from services.catalog.settings import CatalogSettings
from shared.testing import running_app, settings_for


async def test_the_dictionary_is_loaded_before_the_service_takes_its_first_request(databases, tmp_path):
    search._initialised = False  # as in a new process (jieba itself may already be loaded by earlier tests)
    settings = settings_for(
        CatalogSettings,
        database_url=await databases.new("catalog"),
        bootstrap="127.0.0.1:1",
        prefix="t.",
        run_workers=False,
        storage_dir=str(tmp_path / "files"),
    )
    app = create_app(settings)
    async with running_app(app) as client:
        assert search._initialised, "start-up must load the dictionary"
        assert (await client.get("/healthz")).status_code == 200
