"""The OAuth 2.0 token endpoint for the platform's other services (client credentials grant only)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Header, Response
from pydantic import BaseModel, Field

from services.identity.api.deps import Keys, Settings
from services.identity.service.service_tokens import GRANT_TYPE, authenticate_client, invalid_client, issue_service_token
from shared.errors import PROBLEM_JSON, Problem

router = APIRouter(tags=["服务令牌"])


class ServiceTokenOut(BaseModel):
    access_token: str = Field(description="服务令牌（RS256，角色 service，sub 为 service:<客户端标识>）")
    token_type: str = "Bearer"
    expires_in: int = Field(description="服务令牌有效秒数；没有刷新令牌，到期后重新换取")


def _basic_credentials(authorization: str) -> tuple[str, tuple[str, str]]:
    """client_secret_basic: the client id and the two readings of the secret.

    RFC 6749 §2.3.1 form-urlencodes id and secret before joining them with a colon and base64, but
    common HTTP clients (httpx.BasicAuth, requests) send them as they are; a secret with `+` or `%`
    reads differently in the two, so both readings are tried. Client ids have neither.
    """
    try:
        decoded = base64.b64decode(authorization.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_client() from None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise invalid_client()
    return unquote_plus(client_id), (unquote_plus(client_secret), client_secret)


_PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


@router.post(
    "/oauth/token",
    summary="以客户端凭证换取短期服务令牌（本平台的其他服务（client_credentials））",
    description=(
        "OAuth 2.0 客户端凭证授权（RFC 6749 §4.4）。请求体为 application/x-www-form-urlencoded，"
        "`grant_type=client_credentials`；客户端以 HTTP Basic（client_secret_basic）或表单字段 "
        "`client_id`、`client_secret`（client_secret_post）认证，二者择一。客户端及其密钥由 IDENTITY_SERVICE_CLIENTS 配置。"
    ),
    responses={
        400: {"description": "缺少 grant_type（invalid_request）或授权类型不受支持（unsupported_grant_type）", **_PROBLEM},
        401: {"description": "客户端认证失败（invalid_client）", **_PROBLEM},
    },
)
async def token(
    response: Response,
    keys: Keys,
    settings: Settings,
    grant_type: Annotated[str | None, Form(description="必须为 client_credentials")] = None,
    client_id: Annotated[str | None, Form(description="客户端标识（client_secret_post；用 HTTP Basic 时不填）")] = None,
    client_secret: Annotated[str | None, Form(description="客户端密钥（client_secret_post；用 HTTP Basic 时不填）")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ServiceTokenOut:
    scheme, _, credentials = (authorization or "").partition(" ")
    readings: tuple[str | None, ...] = (client_secret,)
    if scheme.lower() == "basic":
        if client_secret is not None:
            raise Problem(400, "invalid_request", "客户端只能使用一种认证方式（HTTP Basic 或表单中的 client_secret）")
        basic_id, readings = _basic_credentials(credentials)
        if client_id is not None and client_id != basic_id:
            raise invalid_client()
        client_id = basic_id
    authenticated = authenticate_client(settings, client_id, *readings)
    if not grant_type:
        raise Problem(400, "invalid_request", "缺少参数 grant_type")
    if grant_type != GRANT_TYPE:
        raise Problem(400, "unsupported_grant_type", f"不支持的授权类型：仅支持 {GRANT_TYPE}")
    issued = issue_service_token(keys, settings, authenticated)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return ServiceTokenOut(access_token=issued.access_token, expires_in=issued.expires_in)
