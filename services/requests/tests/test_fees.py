"""信息处理费 (Art. 42, 国办函〔2020〕109号) as the platform's rules state them (regulation.md):
by item per calendar month — 1st–10th free, 11th–30th 100 yuan, 31st on 200 yuan;
by page, progressive — ≤30 free, 31–100 10/page, 101–200 20/page, >200 40/page;
where both apply the higher is charged, never both.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.requests.domain.fees import FeeAssessment, assess_fee, fee_by_item, fee_by_pages

ranks = st.integers(1, 200)
pages = st.integers(0, 5000)


def page_rate(page: int) -> int:
    """The rate for the `page`-th page (1-based), straight from the 109号文 table."""
    if page <= 30:
        return 0
    if page <= 100:
        return 10
    if page <= 200:
        return 20
    return 40


# -- by item -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "fee"),
    [
        (1, 0),
        (5, 0),
        (10, 0),
        (11, 100),
        (20, 100),
        (30, 100),
        (31, 200),
        (50, 200),
        (100, 200),
    ],
)
def test_the_nth_request_of_the_month_costs(rank, fee):
    assert fee_by_item(rank) == fee


def test_a_month_of_31_requests_costs_2200_in_item_fees():
    # ten free, twenty at 100, one at 200
    assert sum(fee_by_item(r) for r in range(1, 32)) == 20 * 100 + 200


@given(rank=ranks)
def test_item_fee_never_decreases_with_the_rank(rank):
    assert fee_by_item(rank) <= fee_by_item(rank + 1)
    assert fee_by_item(rank) in (0, 100, 200)


@pytest.mark.parametrize("rank", [0, -1, -30])
def test_a_rank_below_one_is_invalid(rank):
    with pytest.raises(ValueError):
        fee_by_item(rank)


# -- by page -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fee"),
    [
        (0, 0),
        (1, 0),
        (30, 0),
        (31, 10),
        (100, 700),
        (101, 720),
        (200, 2700),
        (201, 2740),
        (250, 4700),
    ],
)
def test_page_fee_is_progressive_like_tax_brackets(n, fee):
    assert fee_by_pages(n) == fee


@given(n=pages)
def test_each_extra_page_costs_the_rate_of_its_own_bracket(n):
    assert fee_by_pages(n + 1) - fee_by_pages(n) == page_rate(n + 1)


@given(n=st.integers(0, 1000))
def test_page_fee_is_the_sum_of_per_page_rates(n):
    assert fee_by_pages(n) == sum(page_rate(p) for p in range(1, n + 1))


@pytest.mark.parametrize("n", [-1, -100])
def test_a_negative_page_count_is_invalid(n):
    with pytest.raises(ValueError):
        fee_by_pages(n)


# -- assessment: the higher of the two, never both -------------------------------------------


def test_a_request_within_both_free_allowances_costs_nothing():
    a = assess_fee(10, 30)
    assert a == FeeAssessment(0, 0, "none")
    assert a.amount == 0


def test_the_item_fee_is_charged_when_it_is_higher():
    a = assess_fee(31, 40)  # 200 by item, 100 by pages
    assert (a.by_item, a.by_pages, a.method, a.amount) == (200, 100, "item", 200)


def test_the_page_fee_is_charged_when_it_is_higher():
    a = assess_fee(12, 101)  # 100 by item, 720 by pages
    assert (a.by_item, a.by_pages, a.method, a.amount) == (100, 720, "pages", 720)


def test_the_two_fees_are_never_added():
    a = assess_fee(31, 201)
    assert a.amount == 2740
    assert a.amount != a.by_item + a.by_pages


@given(rank=ranks, n=pages)
def test_the_amount_is_the_higher_of_the_two_methods(rank, n):
    a = assess_fee(rank, n)
    assert a.by_item == fee_by_item(rank)
    assert a.by_pages == fee_by_pages(n)
    assert a.amount == max(a.by_item, a.by_pages)
    if a.amount == 0:
        assert a.method == "none"
    else:
        assert a.method in ("item", "pages")
        assert a.amount == (a.by_item if a.method == "item" else a.by_pages)


@pytest.mark.parametrize(("rank", "n"), [(0, 10), (1, -1), (-5, -5)])
def test_assessment_of_invalid_inputs_is_refused(rank, n):
    with pytest.raises(ValueError):
        assess_fee(rank, n)
