"""信息处理费 per 国办函〔2020〕109号 (Art. 42): free as a rule, charged only beyond reasonable volume.

By item: an applicant's requests in one calendar month, the 1st–10th free, the 11th–30th
100 yuan each, the 31st on 200 yuan each. By page (progressive, like tax brackets): up to
30 pages free, pages 31–100 10 yuan each, 101–200 20 yuan each, beyond 200 40 yuan each.
Where both apply, the higher is charged, never both. Amounts are in yuan.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_TIERS = ((30, 0), (100, 10), (200, 20), (None, 40))  # (upper page bound, yuan per page)


def fee_by_item(rank_in_month: int) -> int:
    """Fee for the applicant's `rank_in_month`-th request of the calendar month."""
    if rank_in_month < 1:
        raise ValueError("rank starts at 1")
    if rank_in_month <= 10:
        return 0
    return 100 if rank_in_month <= 30 else 200


def fee_by_pages(pages: int) -> int:
    """Progressive fee for `pages` pages of one request."""
    if pages < 0:
        raise ValueError("pages must be >= 0")
    total, lower = 0, 0
    for upper, rate in PAGE_TIERS:
        top = pages if upper is None else min(pages, upper)
        if top > lower:
            total += (top - lower) * rate
        if upper is None or pages <= upper:
            break
        lower = upper
    return total


@dataclass(frozen=True)
class FeeAssessment:
    by_item: int
    by_pages: int
    method: str  # "item" | "pages" | "none"

    @property
    def amount(self) -> int:
        return max(self.by_item, self.by_pages)


def assess_fee(rank_in_month: int, pages: int) -> FeeAssessment:
    """The fee the notice may ask for: the higher of the two methods."""
    item, page = fee_by_item(rank_in_month), fee_by_pages(pages)
    method = "none" if item == page == 0 else ("item" if item >= page else "pages")
    return FeeAssessment(item, page, method)
