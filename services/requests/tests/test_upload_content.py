"""Uploads are judged by their bytes, not by the type their sender declares; downloads are never rendered or sniffed."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from services.requests.adapters.orm import Attachment
from services.requests.tests.conftest import API
from shared.testing import assert_problem as problem

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00" + bytes(200)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def package(*members: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in members:
            z.writestr(name, "<x/>")
    return buf.getvalue()


async def upload(h, data: bytes, content_type: str, filename: str = "附件"):
    return await h.client.post(
        f"{API}/attachments",
        files={"file": (filename, data, content_type)},
        data={"purpose": "supporting"},
        headers=h.who("applicant", sub="citizen-1"),
    )


async def attachment_count(h) -> int:
    async with h.app.state.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Attachment))).scalar_one()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (EXE, XLSX),  # a program dressed as a spreadsheet
        (EXE, "application/vnd.ms-excel"),
        (EXE, "application/zip"),
        (b"<html><body><script>alert(1)</script></body></html>", "text/plain"),
        ("办理情况说明\n<script>alert(document.cookie)</script>".encode(), "text/plain"),
        (b"<!DOCTYPE html><p>hi</p>", "application/ofd"),
        (package("Doc_0/Content.xml"), "application/ofd"),  # a ZIP, but no OFD.xml at its root
        (package("[Content_Types].xml", "word/document.xml"), XLSX),  # a Word document declared as a spreadsheet
        (package("OFD.xml"), DOCX),
        (b"\x00\x01binary\xff\xfe", "text/plain"),
        (b"PDF-1.7 but no percent sign", "application/pdf"),
    ],
)
async def test_content_that_is_not_what_it_claims_is_refused(harness, data, content_type):
    h = harness
    problem(await upload(h, data, content_type), 415, "content_mismatch")
    assert await attachment_count(h) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("依申请公开：请提供2025年度预算执行情况。a < b 且 b > c".encode(), "text/plain"),
        ("依申请公开：请提供2025年度预算执行情况。".encode("gb18030"), "text/plain"),
        (package("OFD.xml", "Doc_0/Document.xml"), "application/ofd"),
        (package("[Content_Types].xml", "xl/workbook.xml"), XLSX),
        (package("[Content_Types].xml", "word/document.xml"), DOCX),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "application/vnd.ms-excel"),
    ],
)
async def test_genuine_files_of_each_type_are_accepted(harness, data, content_type):
    r = await upload(harness, data, content_type)
    assert r.status_code == 201, r.text


async def test_a_download_is_an_attachment_never_sniffed_and_its_name_cannot_inject_headers(harness):
    h = harness
    me = h.who("applicant", sub="citizen-1")
    r = await upload(h, PDF, "application/pdf", filename='身份证明\r\nSet-Cookie: a=1;".pdf')
    assert r.status_code == 201, r.text
    assert "\r" not in r.json()["filename"] and "\n" not in r.json()["filename"]
    got = await h.client.get(f"{API}/attachments/{r.json()['id']}", headers=me)
    assert got.status_code == 200
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in got.headers
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.isascii()
    assert "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%E6%98%8E" in disposition
    assert disposition.count(";") == 2  # the name's own semicolon and quote are gone
