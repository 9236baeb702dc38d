"""Attachment storage adapters: a local directory, and an S3-compatible bucket over the real S3 protocol."""

from __future__ import annotations

import asyncio
import os

import pytest
from moto.server import ThreadedMotoServer

from shared.storage import LocalStorage, S3Storage, content_key
from shared.testing import free_port


async def test_local_storage_round_trips_and_refuses_keys_outside_its_root(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    digest, key = content_key(b"%PDF-1.7 test", "a1")
    await storage.put(key, b"%PDF-1.7 test")
    assert await storage.get(key) == b"%PDF-1.7 test"
    assert key.startswith(digest[:2] + "/")
    with pytest.raises(ValueError):
        await storage.put("../escape", b"x")


@pytest.fixture
def s3_server():
    """moto's S3 server: an HTTP server speaking the S3 API (signatures, buckets, objects)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    yield f"http://127.0.0.1:{port}"
    server.stop()


async def test_s3_storage_round_trips_through_an_s3_protocol_server(s3_server):
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3", endpoint_url=s3_server, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    ) as client:
        await client.create_bucket(Bucket="attachments")
    storage = S3Storage(endpoint_url=s3_server, bucket="attachments", access_key="k", secret_key="s")
    data = "政府信息公开申请表".encode() * 1000
    _, key = content_key(data, "b2")
    await storage.put(key, data)
    assert await storage.get(key) == data
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="NoSuchKey"):
        await storage.get("missing/key")
    await storage.aclose()


async def test_s3_storage_makes_one_client_for_many_calls_and_closes_it(s3_server):
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3", endpoint_url=s3_server, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    ) as client:
        await client.create_bucket(Bucket="pooled")
    storage = S3Storage(endpoint_url=s3_server, bucket="pooled", access_key="k", secret_key="s")
    made = []
    create = storage._session.create_client
    storage._session.create_client = lambda *a, **kw: made.append(a) or create(*a, **kw)
    await asyncio.gather(*(storage.put(f"k{i}", b"x" * i) for i in range(1, 9)))
    assert [await storage.get(f"k{i}") for i in range(1, 9)] == [b"x" * i for i in range(1, 9)]
    assert len(made) == 1  # one client (and its connection pool) for every call, concurrent ones included
    await storage.aclose()
    assert storage._client is None
    assert await storage.get("k3") == b"xxx" and len(made) == 2  # usable again after closing: a new client
