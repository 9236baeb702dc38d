"""The shared content check and download headers (shared/filetypes.py), case by case."""

from __future__ import annotations

import pytest

from shared.errors import Problem
from shared.filetypes import check_content, content_disposition, download_headers


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "\ufeff依申请公开".encode()),  # UTF-8 with BOM
        ("text/plain", "申请内容：第一条\r\n第二条\t完".encode("gb18030")),
        ("text/plain", b"a <= b, x<y"),  # comparisons are no markup
        ("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    ],
)
def test_genuine_content_passes(content_type, data):
    check_content(content_type, data)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", b"<svg onload=alert(1)>"),
        ("text/plain", b"   <IFRAME src=x>"),
        ("text/plain", b"<?xml version='1.0'?><x/>"),
        ("text/plain", b"\x7fELF\x02\x01\x01" + bytes(60)),
        ("text/plain", "说明\x1b[31m".encode()),  # terminal escapes are no plain text
        ("application/pdf", b"MZ%PDF-1.7"),
        ("image/png", b"\xff\xd8\xff\xe0" + bytes(60)),  # a JPEG is not a PNG
    ],
)
def test_disguised_content_is_refused(content_type, data):
    with pytest.raises(Problem) as refused:
        check_content(content_type, data)
    assert refused.value.status == 415 and refused.value.code == "content_mismatch"


def test_a_disposition_never_carries_a_line_break_quote_or_raw_non_ascii():
    for name in ("答复书.pdf", 'a"; filename="evil.exe', "x\r\nSet-Cookie: s=1", "..", "", "../../etc/passwd"):
        value = content_disposition(name)
        assert value.isascii() and "\r" not in value and "\n" not in value
        assert value.startswith('attachment; filename="') and value.count('"') == 2
        assert "filename*=UTF-8''" in value
    assert content_disposition("答复书.pdf") == "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E7%AD%94%E5%A4%8D%E4%B9%A6.pdf"
    assert download_headers("a.csv")["X-Content-Type-Options"] == "nosniff"
