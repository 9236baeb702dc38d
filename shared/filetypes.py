"""What an uploaded file really is, and how a stored file goes back out (plumbing for every service that stores files).

An upload is judged by its bytes, not by the type its sender declares: binary formats by their
signature (the `filetype` library plus the container checks it cannot make: OOXML and OFD are
ZIP packages told apart by their members), text by decoding and refusing markup a browser would run.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from urllib.parse import quote

import filetype

from shared.errors import Problem

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls (Compound File Binary)
ZIP_HEADERS = (b"PK\x03\x04", b"PK\x05\x06")
# Types no upload may be, whatever it claims: programs and pages a browser would render.
_NEVER = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/x-sharedlib",
    "application/x-shockwave-flash",
    "application/wasm",
    "text/html",
}
_MARKUP = re.compile(
    r"<\s*/?\s*(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|math|meta|link|style|img|form|a\s)|<\?xml", re.IGNORECASE
)
_SNIFF_BYTES = 4096


def _zip_members(data: bytes) -> set[str] | None:
    if not data.startswith(ZIP_HEADERS):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {name.lstrip("/") for name in z.namelist()}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    text = data.removeprefix(b"\xef\xbb\xbf")
    for encoding in ("utf-8", "gb18030"):
        try:
            decoded = text.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in decoded[:_SNIFF_BYTES]):
        return False
    # The whole head: HTML after a line of prose still runs when sniffed or opened in a browser.
    return not _MARKUP.search(decoded[:_SNIFF_BYTES])


def _matches(content_type: str, data: bytes) -> bool:
    if content_type == "application/pdf":
        return data.startswith(b"%PDF-")
    if content_type in ("image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"):
        guessed: str | None = filetype.guess_mime(data)
        return guessed == content_type
    if content_type in ("application/msword", "application/vnd.ms-excel"):
        return data.startswith(OLE2)
    if content_type == "text/plain":
        return _is_plain_text(data)
    members = _zip_members(data)
    if content_type == "application/zip":
        return members is not None
    if content_type == "application/ofd":
        return members is not None and "OFD.xml" in members
    if content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        return members is not None and "[Content_Types].xml" in members and any(m.startswith("word/") for m in members)
    if content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        return members is not None and "[Content_Types].xml" in members and any(m.startswith("xl/") for m in members)
    # A type allowed by configuration that we hold no rule for: what the library recognises must agree.
    guessed = filetype.guess_mime(data)
    return guessed is None or guessed == content_type


def check_content(content_type: str, data: bytes) -> None:
    """Refuse (415 content_mismatch) bytes that are not what `content_type` says, or are a program or page whatever they say."""
    guessed = filetype.guess_mime(data)
    if guessed in _NEVER or data.startswith(b"MZ") or data.startswith(b"\x7fELF") or not _matches(content_type, data):
        raise Problem(415, "content_mismatch", "文件内容与声明的类型不符")


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/;]")


def clean_filename(name: str | None, default: str = "附件") -> str:
    """A stored file name: no path separators, quotes, semicolons or control characters (CR/LF would split headers)."""
    cleaned = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", name or "")).strip(" .")
    return cleaned[:255] or default


def content_disposition(filename: str, default: str = "download") -> str:
    """`attachment` with an ASCII fallback and the RFC 5987 `filename*` (RFC 6266), never a header injection."""
    name = clean_filename(filename, default)
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, ext) if dot else (name, "")
    ascii_stem = re.sub(r"[^A-Za-z0-9._\- ]", "_", stem).strip()
    ascii_ext = ext if re.fullmatch(r"[A-Za-z0-9]{1,10}", ext) else ""
    if not re.search(r"[A-Za-z0-9]", ascii_stem):
        ascii_stem = default
    ascii_name = ascii_stem + ("." + ascii_ext if ascii_ext else "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_headers(filename: str, **extra: str) -> dict[str, str]:
    """Headers for every stored file sent back: downloaded, never rendered or sniffed into something else."""
    return {"Content-Disposition": content_disposition(filename), "X-Content-Type-Options": "nosniff", **extra}
