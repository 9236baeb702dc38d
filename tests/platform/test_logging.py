"""Personal data never reaches the logs: `mask_pii` and the JSON formatter."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from shared.context import correlation_id
from shared.logging import JsonFormatter, MaskingFormatter, mask_pii

ID_NUMBER = "110101199003071234"
ID_NUMBER_X = "11010519491231002X"
MOBILE = "13812345678"
EMAIL = "zhang.san@example.gov.cn"


# -- mask_pii ---------------------------------------------------------------------------------


def test_an_18_digit_id_number_is_masked_keeping_region_and_tail():
    masked = mask_pii(f"申请人身份证号{ID_NUMBER}，请核对")
    assert ID_NUMBER not in masked
    assert "19900307" not in masked  # the birth date is the sensitive part
    assert masked == "申请人身份证号110101********1234，请核对"


@pytest.mark.parametrize("id_number", [ID_NUMBER_X, ID_NUMBER_X.lower()])
def test_an_id_number_ending_in_x_is_masked(id_number):
    masked = mask_pii(f"id={id_number}")
    assert id_number not in masked
    assert masked == f"id=110105********{id_number[-4:]}"


def test_an_id_number_alone_is_masked():
    assert mask_pii(ID_NUMBER) == "110101********1234"


@pytest.mark.parametrize(
    "text, expected",
    [
        (MOBILE, "138****5678"),
        (f"联系电话：{MOBILE}。", "联系电话：138****5678。"),
        (f"tel:{MOBILE}", "tel:138****5678"),
        (f"+86 {MOBILE}", "+86 138****5678"),
        (f"+86{MOBILE}", "+86138****5678"),
        ("19912345678", "199****5678"),
    ],
)
def test_an_11_digit_mobile_number_is_masked(text, expected):
    masked = mask_pii(text)
    assert MOBILE not in masked
    assert masked == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (EMAIL, "z***@example.gov.cn"),
        (f"回复至 {EMAIL} 即可", "回复至 z***@example.gov.cn 即可"),
        ("a.b+tag@mail.example.com", "a***@mail.example.com"),
    ],
)
def test_an_email_address_is_masked(text, expected):
    masked = mask_pii(text)
    assert masked == expected
    assert "zhang.san" not in masked


def test_several_kinds_of_personal_data_in_one_message_are_all_masked():
    text = f"申请人 {ID_NUMBER} 手机 {MOBILE} 邮箱 {EMAIL}"
    masked = mask_pii(text)
    for secret in (ID_NUMBER, MOBILE, "zhang.san"):
        assert secret not in masked
    assert masked == "申请人 110101********1234 手机 138****5678 邮箱 z***@example.gov.cn"


@pytest.mark.parametrize(
    "text",
    [
        "验证码 123456",
        "2024年度政府信息公开工作年度报告",
        "受理编号 2024-000123",
        "订单 12345678901234567890",  # 20 digits: neither an ID number nor a mobile
        "12345678901",  # 11 digits not starting 1[3-9]
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "1101011990030712345",  # 19 digits
        "11010119900307123",  # 17 digits
        "agency-0193a7c2-8f1e-7abc-9def-0123456789ab",
        "HTTP/1.1 200 OK in 13.5 ms",
        "统一社会信用代码 91350100M000100Y43",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert mask_pii(text) == text


def test_masking_is_idempotent():
    once = mask_pii(f"{ID_NUMBER} {MOBILE} {EMAIL}")
    assert mask_pii(once) == once


# -- formatters -------------------------------------------------------------------------------


def record(msg: str, *args: object, exc_info=None, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("gov.test", logging.INFO, __file__, 1, msg, args, exc_info)
    for k, v in extra.items():
        setattr(rec, k, v)
    return rec


def test_json_formatter_writes_one_valid_json_object_with_the_masked_message():
    line = JsonFormatter("requests").format(record("申请人 %s 提交了申请，手机 %s", ID_NUMBER, MOBILE))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "申请人 110101********1234 提交了申请，手机 138****5678"
    assert entry["service"] == "requests"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "gov.test"
    assert entry["ts"].endswith("+00:00")
    assert ID_NUMBER not in line and MOBILE not in line
    assert "申请人" in line  # Chinese is written as is, not \\u-escaped


def test_json_formatter_carries_the_current_correlation_id():
    fmt = JsonFormatter("catalog")
    assert json.loads(fmt.format(record("无关联")))["correlation_id"] is None
    token = correlation_id.set("req-42")
    try:
        entry = json.loads(fmt.format(record("有关联")))
    finally:
        correlation_id.reset(token)
    assert entry["correlation_id"] == "req-42"


def test_json_formatter_prefers_a_correlation_id_on_the_record():
    token = correlation_id.set("from-context")
    try:
        entry = json.loads(JsonFormatter("audit").format(record("事件", correlation_id="from-event")))
    finally:
        correlation_id.reset(token)
    assert entry["correlation_id"] == "from-event"


def test_json_formatter_keeps_the_known_extra_fields():
    entry = json.loads(
        JsonFormatter("catalog").format(
            record("GET /x 200", method="GET", path="/x", status=200, duration_ms=1.5, topic="catalog.agencies", unrelated="dropped")
        )
    )
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"], entry["topic"]) == (
        "GET",
        "/x",
        200,
        1.5,
        "catalog.agencies",
    )
    assert "unrelated" not in entry


def test_json_formatter_masks_exception_text():
    try:
        raise ValueError(f"无法处理申请人 {ID_NUMBER} / {EMAIL} / {MOBILE}")
    except ValueError:
        rec = record("处理失败", exc_info=sys.exc_info())
    line = JsonFormatter("requests").format(rec)
    entry = json.loads(line)
    assert "ValueError" in entry["exc"]
    assert "Traceback" in entry["exc"]
    assert "110101********1234" in entry["exc"]
    for secret in (ID_NUMBER, "zhang.san", MOBILE):
        assert secret not in line


def test_json_formatter_through_a_real_logger_masks_and_tags():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("notify"))
    logger = logging.getLogger("gov.test.real")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    token = correlation_id.set("cid-real")
    try:
        logger.info("短信已发送至 %s", MOBILE)
        try:
            {}["missing"]
        except KeyError:
            logger.exception("发送邮件到 %s 失败", EMAIL)
    finally:
        correlation_id.reset(token)
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["msg"] == "短信已发送至 138****5678"
    assert first["correlation_id"] == second["correlation_id"] == "cid-real"
    assert second["level"] == "ERROR"
    assert second["msg"] == "发送邮件到 z***@example.gov.cn 失败"
    assert "KeyError" in second["exc"]


def test_plain_text_formatter_masks_too_and_prefixes_the_correlation_id():
    fmt = MaskingFormatter("%(levelname)s %(message)s")
    token = correlation_id.set("abcdef0123456789")
    try:
        line = fmt.format(record("手机 %s", MOBILE))
    finally:
        correlation_id.reset(token)
    assert line == "[abcdef01] INFO 手机 138****5678"


def test_configuring_logging_keeps_other_handlers_and_replaces_only_its_own():
    """Issue #19: configure_logging replaced every root handler, so pytest's log capture saw nothing."""
    import logging

    from shared.logging import configure_logging

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    foreign = logging.Handler()
    try:
        root.addHandler(foreign)
        configure_logging("catalog", "INFO", as_json=False)
        configure_logging("requests", "INFO", as_json=True)
        ours = [h for h in root.handlers if getattr(h, "_gov_disclosure", False)]
        assert foreign in root.handlers and len(ours) == 1
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
