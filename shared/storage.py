"""Where attachment bytes live (plumbing for every service that stores files): a local directory by default; S3-compatible stores in production."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import SecretStr
from starlette.datastructures import UploadFile

if TYPE_CHECKING:
    from aiobotocore.session import ClientCreatorContext
    from types_aiobotocore_s3 import S3Client


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def aclose(self) -> None: ...


class LocalStorage:
    """Files under one directory, written atomically (temp file + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path

    async def put(self, key: str, data: bytes) -> None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def aclose(self) -> None:
        return None


class S3Storage:
    """An S3-compatible bucket (MinIO, OSS, COS, S3) through aiobotocore: one client per process.

    A client holds a connection pool and its TLS sessions; making one per put or get paid a new
    handshake every time. It is made on first use and closed with the service (`aclose`).
    """

    def __init__(self, *, endpoint_url: str | None, bucket: str, access_key: str, secret_key: str, region: str = "us-east-1") -> None:
        from aiobotocore.session import get_session

        self.bucket = bucket
        self._session = get_session()
        self._endpoint_url = endpoint_url
        self._access_key = access_key
        self._secret_key = secret_key
        self._region = region
        self._context: ClientCreatorContext[S3Client] | None = None
        self._client: S3Client | None = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> S3Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._context = self._session.create_client(
                        "s3",
                        endpoint_url=self._endpoint_url,
                        aws_access_key_id=self._access_key,
                        aws_secret_access_key=self._secret_key,
                        region_name=self._region,
                    )
                    self._client = await self._context.__aenter__()
        return self._client

    async def put(self, key: str, data: bytes) -> None:
        await (await self._s3()).put_object(Bucket=self.bucket, Key=key, Body=data)

    async def get(self, key: str) -> bytes:
        response = await (await self._s3()).get_object(Bucket=self.bucket, Key=key)
        async with response["Body"] as stream:
            return await stream.read()

    async def aclose(self) -> None:
        context, self._context, self._client = self._context, None, None
        if context is not None:
            await context.__aexit__(None, None, None)


class StorageSettings(Protocol):
    """The storage fields of a service's settings (catalog's and requests')."""

    @property
    def storage_backend(self) -> str: ...
    @property
    def storage_dir(self) -> str: ...
    @property
    def s3_endpoint_url(self) -> str | None: ...
    @property
    def s3_bucket(self) -> str: ...
    @property
    def s3_access_key(self) -> str: ...
    @property
    def s3_secret_key(self) -> SecretStr: ...
    @property
    def s3_region(self) -> str: ...


def storage_from_settings(settings: StorageSettings) -> Storage:
    """`local` (a directory) unless S3 settings are given."""
    if settings.storage_backend == "s3":
        return S3Storage(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            region=settings.s3_region,
        )
    return LocalStorage(settings.storage_dir)


def content_key(data: bytes, attachment_id: str) -> tuple[str, str]:
    """(sha256, storage key): keys fan out by date-free hash prefix so no directory grows too large."""
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"{digest[:2]}/{digest[2:4]}/{attachment_id}"


async def read_upload(file: UploadFile, *, allowed_types: list[str], max_bytes: int) -> tuple[str, bytes]:
    """(content type, bytes) of an uploaded file, or the problem: 415 for a type not allowed or
    content that is not what it claims, 413 when too large (reading stops past the limit), 422 when empty."""
    from shared.errors import Problem
    from shared.filetypes import check_content

    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in allowed_types:
        raise Problem(415, "unsupported_media_type", f"不支持的文件类型：{content_type or '未知'}")
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        limit = f"{max_bytes // (1024 * 1024)} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
        raise Problem(413, "attachment_too_large", f"附件不得超过 {limit}")
    if not data:
        raise Problem(422, "attachment_empty", "附件为空", errors=[{"field": "file", "message": "文件为空"}])
    check_content(content_type, data)
    return content_type, data


def safe_filename(name: str | None, default: str = "附件") -> str:
    from shared.filetypes import clean_filename

    return clean_filename(name, default)
