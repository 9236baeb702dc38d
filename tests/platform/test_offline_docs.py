"""`/api/v1/<service>/docs` works with no outside network: Swagger UI comes from the installed package (issue #19)."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

from shared.testing import settings_for

SERVICES = ("catalog", "requests", "notify", "audit", "identity")


@pytest.mark.parametrize("name", SERVICES)
async def test_the_docs_page_and_everything_it_loads_are_served_by_the_service_itself(name, tmp_path):
    module = importlib.import_module(f"services.{name}.app")
    settings_cls = type(module.build_spec().settings)
    settings = settings_for(settings_cls, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", bootstrap="127.0.0.1:1", prefix="t.")
    app = module.create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        page = await client.get(f"/api/v1/{name}/docs")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
        assert loaded, page.text
        outside = [u for u in loaded if u.startswith(("http:", "https:", "//"))]
        assert not outside, f"the docs page loads from outside this service: {outside}"
        for url in loaded:
            resp = await client.get(url)
            assert resp.status_code == 200, url
        assert (
            (await client.get(f"/api/v1/{name}/docs/assets/swagger-ui-bundle.js"))
            .headers["content-type"]
            .startswith(("application/javascript", "text/javascript"))
        )
