"""What the 依申请公开 browser tests share: an agency to apply to, a citizen signing in on the page, real files."""

from __future__ import annotations

import itertools
import re
import struct
import time
import zlib
from typing import Any

import httpx

from shared.validators import credit_code_check_char

DIGITS = "零一二三四五六七八九"
ID_NUMBER = "11010519491231002X"  # GB 11643's own example: a valid check character
BAD_ID_NUMBER = "110105194912310021"  # the same with a wrong check character
CREDIT_CODE = "91110105MA0000000" + credit_code_check_char("91110105MA0000000")
_addresses = itertools.count(10)
_phones = itertools.count(1)


def next_phone() -> str:
    return f"137{int(time.time()) % 10000:04d}{next(_phones):04d}"


def as_person_from_own_address(page: Any) -> str:
    """Each test is its own person behind the county's proxy: per-address limits (SMS, logins) count them apart."""
    address = f"198.51.100.{next(_addresses) % 250 + 1}"
    page.set_extra_http_headers({"X-Forwarded-For": address})
    return address


def seed_agency(site: Any, name: str = "某某县民政局") -> str:
    """An agency created in catalog by an admin, once replicated to requests (where applications go)."""
    with httpx.Client(timeout=10) as client:
        existing = [a for a in client.get(f"{site.api('requests')}/agencies").json() if a["name"] == name]
        if existing:
            return existing[0]["id"]
        resp = client.post(f"{site.api('catalog')}/agencies", json={"name": name, "kind": "department"}, headers=site.token("admin"))
        assert resp.status_code == 201, resp.text
        agency_id = resp.json()["id"]
        deadline = time.monotonic() + 30
        while agency_id not in {a["id"] for a in client.get(f"{site.api('requests')}/agencies").json()}:
            assert time.monotonic() < deadline, "the agency never reached the requests service"
            time.sleep(0.2)
    return agency_id


def answer_text_challenge(text: str) -> str:
    """The captcha's text alternative, answered as a screen-reader user would: 请计算：三加五等于几？ -> 8."""
    a, b = re.search(r"([零一二三四五六七八九])加([零一二三四五六七八九])", text).groups()
    return str(DIGITS.index(a) + DIGITS.index(b))


def sign_in(page: Any, site: Any, phone: str, next_path: str = "/my") -> None:
    """On the pages: phone and the captcha's text challenge, then the code from the development SMS outbox."""
    page.goto(f"/signin?next={next_path}")
    page.get_by_label("手机号码").fill(phone)
    page.get_by_label("验证题答案").fill(answer_text_challenge(page.locator(".captcha-text").inner_text()))
    page.get_by_role("button", name="获取短信验证码").click()
    page.wait_for_url("**/signin/code")
    page.get_by_label("短信验证码").fill(site.sms_code(phone))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/signin" not in url)  # htmx may swap the page in: wait for the address, not a load


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (signature, IHDR, IDAT, IEND): the requests service checks a file's bytes, not its name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def fill_person_form(
    page: Any,
    agency_name: str,
    *,
    id_number: str = ID_NUMBER,
    name: str = "张三",
    description: str = "请公开本县2025年度城乡居民最低生活保障资金发放情况",
    file: tuple[str, bytes] | None = ("身份证.png", png()),
) -> None:
    """The 公民 form, filled as a person does (by the labels)."""
    page.get_by_label("向哪个机关申请").select_option(label=agency_name)
    if name:
        page.get_by_label("姓名").fill(name)
    page.get_by_label("工作单位").fill("某某县第一中学")
    page.get_by_label("证件名称").select_option(label="居民身份证")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("联系电话（手机）").fill("13800138000")
    page.get_by_label("电子邮箱").fill("zhangsan@163.com")
    page.get_by_label("通信地址").fill("某某县人民路1号")
    page.get_by_label("邮政编码").fill("100000")
    page.get_by_label("文号").fill("某民发〔2025〕12号")
    if description:
        page.get_by_label("所需信息的内容描述").fill(description)
    page.get_by_label("所需信息的用途").fill("了解本村低保资金发放情况")
    page.get_by_label("电子文档").check()
    page.get_by_label("电子邮件", exact=True).check()
    if file:
        page.get_by_label("身份证明文件").set_input_files({"name": file[0], "mimeType": "image/png", "buffer": file[1]})


def submit(page: Any) -> None:
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state()


def apply_as_person(page: Any, agency_name: str, **fields: Any) -> tuple[str, str]:
    """A whole application from the type choice to the receipt; returns (受理编号, 查询码)."""
    page.goto("/apply")
    page.get_by_role("link", name="以公民身份申请").click()
    page.wait_for_url("**/apply?type=natural_person*")
    fill_person_form(page, agency_name, **fields)
    submit(page)
    page.wait_for_url("**/apply/done")
    return page.locator("#tracking-number").inner_text().strip(), page.locator("#query-code").inner_text().strip()
