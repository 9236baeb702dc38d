"""The sample of each notice checked in as docs/notices/<kind>.png is what the code prints today.

The same request as in test_notices is taken through every notice-issuing step, with a fixed agency,
query code and dates so each PDF is the same on every run; poppler's `pdftoppm` draws its pages,
stacked into one image. The test compares them with the committed images, tolerating anti-aliasing
(a few pixels), not a changed word or layout. `NOTICE_SAMPLES_WRITE=1` rewrites the images instead,
after a change a person has looked at.
"""

from __future__ import annotations

import io
import os
import tempfile

from PIL import Image, ImageChops

from services.requests.service import intake
from services.requests.tests.conftest import _replicate
from services.requests.tests.test_notices import KINDS, People, drawn_pages, every_notice, notices_of
from shared.testing import REPO_ROOT

SAMPLES = REPO_ROOT / "docs" / "notices"
SAMPLE_AGENCY = "0190a5e1-7c3d-7d27-acdc-00000000a017"  # fixed: the 受理编号 is made from it
SAMPLE_CODE = "K7M2Q9XP"
DPI = 60
# Pixels that differ by more than this much grey, as a share of the image: more than anti-aliasing makes.
MAX_CHANGED_SHARE = 0.002


def pages_png(pdf: bytes) -> Image.Image:
    """Every page of the PDF drawn by pdftoppm, one under the other with a grey gap."""
    with tempfile.TemporaryDirectory() as tmp:
        pages = [Image.open(path).convert("RGB") for path in drawn_pages(pdf, DPI, tmp)]
    gap = 8
    sheet = Image.new("RGB", (max(p.width for p in pages), sum(p.height for p in pages) + gap * (len(pages) - 1)), (160, 160, 160))
    y = 0
    for page in pages:
        sheet.paste(page, (0, y))
        y += page.height + gap
    return sheet


def changed_share(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a.convert("L"), b.convert("L")).point(lambda v: 255 if v > 64 else 0)
    return sum(diff.histogram()[255:]) / (a.width * a.height)


async def test_the_committed_sample_of_each_notice_is_what_the_code_prints(harness, monkeypatch):
    h = harness
    await _replicate(h.app.state.runtime, SAMPLE_AGENCY, "某某县民政局", h.county)
    await h.officer("handler-1", SAMPLE_AGENCY)
    h.agency_a = SAMPLE_AGENCY
    monkeypatch.setattr(intake, "new_query_code", lambda: SAMPLE_CODE)
    p = People(h)
    rid = await every_notice(h, p)
    notices = await notices_of(h, rid, p.handler)
    assert [n["kind"] for n in notices] == KINDS
    write = os.environ.get("NOTICE_SAMPLES_WRITE") == "1"
    stale = []
    for n in notices:
        pdf = (await h.client.get(n["pdf_url"], headers=p.handler)).content
        image = pages_png(pdf)
        path = SAMPLES / f"{n['kind']}.png"
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            image.save(path, optimize=True)
            continue
        assert path.exists(), f"{path} missing: run NOTICE_SAMPLES_WRITE=1 pytest {__file__}"
        share = changed_share(image, Image.open(io.BytesIO(path.read_bytes())).convert("RGB"))
        if share > MAX_CHANGED_SHARE:
            stale.append(f"{n['kind']}: {share:.2%} of the pixels differ")
    assert not stale, f"docs/notices samples differ from what is printed now ({stale}); look, then NOTICE_SAMPLES_WRITE=1"
