"""Aliyun's V3 signature (ACS3-HMAC-SHA256) against the vectors Aliyun publishes, not against itself."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from shared.aliyun import authorization, canonical_query, percent_encode, signed_rpc_request

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
DOC_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
DOC_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
    "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
    "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
)


def test_the_worked_example_of_aliyuns_v3_documentation_signs_to_its_published_value():
    # "V3版本请求体&签名机制": ECS RunInstances, POST /, empty body, fixed time and nonce.
    headers = {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": EMPTY_SHA256,
    }
    signed = authorization(
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        method="POST",
        path="/",
        query=DOC_QUERY,
        headers=headers,
        payload_sha256=EMPTY_SHA256,
    )
    assert signed == DOC_AUTHORIZATION


def test_a_signed_rpc_request_carries_the_documented_headers_and_signature():
    url, headers = signed_rpc_request(
        "https://ecs.cn-shanghai.aliyuncs.com",
        action="RunInstances",
        version="2014-05-26",
        params=DOC_QUERY,
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        now=datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC),
        nonce="3156853299f313e23d1673dc12e1703d",
    )
    assert headers["Authorization"] == DOC_AUTHORIZATION
    assert headers["x-acs-content-sha256"] == EMPTY_SHA256 and headers["host"] == "ecs.cn-shanghai.aliyuncs.com"
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "ecs.cn-shanghai.aliyuncs.com", "/")
    assert parts.query == "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"


def test_the_sdk_vector_mixed_case_repeated_headers_and_a_parameter_without_value():
    # Aliyun's own SDK helper (darabonba openapi-util, get_authorization) and its unit test's expected value.
    signed = authorization(
        access_key_id="acesskey",
        access_key_secret="secret",
        method="GET",
        path="",
        query={"test": "ok", "empty": ""},
        headers={"x-acs-test": "http", "x-acs-TEST": "https"},
        payload_sha256="55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
    )
    assert signed == (
        "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,"
        "Signature=da772425f29289d3460d5fc961455d40c5e8c6afd0888b78a910c991e6a14846"
    )


def test_query_encoding_is_rfc3986_on_utf8():
    assert percent_encode(" ~/*-+") == "%20~%2F%2A-%2B"  # the SDK's own expectation
    assert percent_encode("政务 公开") == "%E6%94%BF%E5%8A%A1%20%E5%85%AC%E5%BC%80"
    assert canonical_query({"b": "2", "A": "x y", "a": '{"code":"1"}'}) == "A=x%20y&a=%7B%22code%22%3A%221%22%7D&b=2"


def _sign(**changes: object) -> str:
    request: dict[str, object] = {
        "access_key_id": "YourAccessKeyId",
        "access_key_secret": "YourAccessKeySecret",
        "method": "POST",
        "path": "/",
        "query": DOC_QUERY,
        "headers": {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-date": "2023-10-26T10:22:32Z"},
        "payload_sha256": EMPTY_SHA256,
    }
    return authorization(**{**request, **changes})


def test_any_change_to_what_is_signed_changes_the_signature():
    reference = _sign()
    headers = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-date": "2023-10-26T10:22:32Z"}
    assert _sign(access_key_secret="another") != reference
    assert _sign(method="GET") != reference
    assert _sign(path="/other") != reference
    assert _sign(query={**DOC_QUERY, "RegionId": "cn-beijing"}) != reference
    assert _sign(headers={**headers, "x-acs-date": "2023-10-26T10:22:33Z"}) != reference
    assert _sign(payload_sha256="0" * 64) != reference
    # Only host, content-type and x-acs-* headers are signed; others may change on the way.
    assert _sign(headers={**headers, "user-agent": "gov-disclosure"}) == reference
    assert _sign(headers={**headers, "content-type": "application/json"}) != reference
