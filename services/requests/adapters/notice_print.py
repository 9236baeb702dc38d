"""Printing the formal notices: Jinja2 HTML (the printable page) and the PDF WeasyPrint makes of exactly that HTML.

WeasyPrint lays the page out with Debian's pango and prints the Chinese in the Noto CJK fonts
(`fonts-noto-cjk`); the QR code is inline SVG from segno, so the HTML needs nothing from outside.
The stored HTML holds a QR code as its text in a `<qr-code>` element, drawn when the page is shown
or printed (`with_qr_codes`): encoding one takes 5–8 ms of CPU, two thirds of a submission's, and
its text is in the notice anyway (the 受理编号 and 查询码 are printed beside it).
WeasyPrint is imported on first use: a process without pango still serves every other route and
still issues notices (number and HTML), whose PDF is printed when it is first asked for.
"""

from __future__ import annotations

import html as html_lib
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "notice_templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing field is a bug, never a blank in a legal document
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as an inline SVG element (error correction M, dark modules only)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, nl=False)
    return Markup(buffer.getvalue().decode())


_QR_ELEMENT = re.compile(r"<qr-code>([^<]*)</qr-code>")


def qr_placeholder(text: str) -> Markup:
    """Where a QR code of `text` goes in a stored notice; `with_qr_codes` draws it."""
    return Markup("<qr-code>{}</qr-code>").format(text)


def with_qr_codes(html: str) -> str:
    """The notice's HTML with each `<qr-code>` drawn as inline SVG (as shown and as printed)."""
    return _QR_ELEMENT.sub(lambda m: str(qr_svg(html_lib.unescape(m.group(1)))), html)


def render_html(kind: str, context: dict[str, Any]) -> str:
    """The notice's printable HTML page (one self-contained document: inline CSS and SVG)."""
    return _environment().get_template(f"{kind}.html").render(**context)


def print_pdf(html: str) -> bytes:
    """The PDF of a notice's HTML (blocking: run it in a thread)."""
    from weasyprint import HTML

    return HTML(string=with_qr_codes(html), base_url=str(TEMPLATES)).write_pdf()
