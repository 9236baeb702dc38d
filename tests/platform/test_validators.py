"""Resident ID numbers (GB 11643-1999), mainland mobile numbers, and masking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.validators import (
    id_number_check_char,
    is_valid_id_number,
    is_valid_mobile,
    mask_id_number,
    mask_mobile,
    normalize_mobile,
)

TODAY = date(2026, 9, 28)
SAMPLE = "11010519491231002X"  # the well-known example of GB 11643 (北京市朝阳区, born 1949-12-31)


def mod11_2(first17: str) -> str:
    """ISO 7064 MOD 11-2, written independently of the implementation: weights 2^(17-i) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "0123456789X"[(12 - total % 11) % 11]


def with_check(first17: str) -> str:
    return first17 + id_number_check_char(first17)


# -- valid numbers ------------------------------------------------------------------------------


def test_the_gb_11643_sample_number_is_valid():
    assert id_number_check_char(SAMPLE[:17]) == "X"
    assert is_valid_id_number(SAMPLE)
    assert is_valid_id_number(SAMPLE, today=TODAY)


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("11010119900307123", "3"),
        ("44030519851231567", "9"),
        ("51010420000229001", "1"),  # 29 February of a leap year
        ("65010219700101000", "X"),
        ("44052418800101001", "4"),  # the standard's second sample (born 1880), see below
    ],
)
def test_check_characters_follow_iso_7064_mod_11_2(first17, check):
    assert id_number_check_char(first17) == check == mod11_2(first17)


@pytest.mark.parametrize(
    "number",
    [
        "110101199003071233",
        "440305198512315679",
        "510104200002290011",
        "65010219700101000X",
    ],
)
def test_numbers_with_a_computed_check_character_are_valid(number):
    assert is_valid_id_number(number, today=TODAY)


def test_a_birth_date_before_1900_is_rejected_even_with_the_right_check_character():
    # GB 11643's own sample 440524188001010014 is well-formed, but the platform refuses
    # birth years before 1900 as implausible for a living applicant.
    assert id_number_check_char("44052418800101001") == "4"
    assert not is_valid_id_number("440524188001010014", today=TODAY)
    assert is_valid_id_number(with_check("44052419000101001"), today=TODAY)


# -- invalid numbers -------------------------------------------------------------------------


def test_every_wrong_check_character_is_rejected():
    for c in "0123456789X":
        if c != SAMPLE[17]:
            assert not is_valid_id_number(SAMPLE[:17] + c)


@pytest.mark.parametrize("birth", ["20000230", "19990229", "20001301", "20000100", "20000431", "19491232"])
def test_an_impossible_birth_date_is_rejected_even_with_the_right_check_character(birth):
    number = with_check("110101" + birth + "123")
    assert not is_valid_id_number(number, today=TODAY)


def test_a_birth_date_in_the_future_is_rejected():
    tomorrow = with_check("110101" + (TODAY + timedelta(days=1)).strftime("%Y%m%d") + "123")
    born_today = with_check("110101" + TODAY.strftime("%Y%m%d") + "123")
    assert not is_valid_id_number(tomorrow, today=TODAY)
    assert is_valid_id_number(born_today, today=TODAY)  # a newborn may apply through a guardian


@pytest.mark.parametrize(
    "number",
    [
        "",
        SAMPLE[:17],
        SAMPLE + "0",
        SAMPLE[:15],
        "110105491231002",  # a first-generation 15-digit number: not accepted, only the 18-character form
    ],
)
def test_a_number_of_the_wrong_length_is_rejected(number):
    assert not is_valid_id_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002Y",
        "1101051949123100AX",
        "A1010519491231002X",
        " 11010519491231002X",
        "11010519491231002X ",
        "110105-9491231002X",
    ],
)
def test_non_digits_in_the_body_or_a_bad_check_symbol_are_rejected(number):
    assert not is_valid_id_number(number)


def test_non_ascii_digits_are_rejected_not_crashed_on():
    fullwidth = SAMPLE[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "X"
    assert not is_valid_id_number(fullwidth)
    assert not is_valid_id_number("²" + SAMPLE[1:])  # isdigit() but not a decimal digit: must not raise


def test_a_lowercase_x_is_rejected_so_callers_upper_case_first():
    # The function accepts the canonical upper-case form only; the applicant command upper-cases
    # the number before validating and stores it upper-cased.
    assert not is_valid_id_number(SAMPLE.lower())
    assert is_valid_id_number(SAMPLE.lower().upper())


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
regions = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
serials = st.from_regex(r"[0-9]{3}", fullmatch=True)


@given(region=regions, born=birth_dates, serial=serials)
def test_any_valid_date_with_its_computed_check_character_is_valid(region, born, serial):
    first17 = region + born.strftime("%Y%m%d") + serial
    number = first17 + id_number_check_char(first17)
    assert id_number_check_char(first17) == mod11_2(first17)
    assert is_valid_id_number(number, today=TODAY)


@given(region=regions, born=birth_dates, serial=serials, other=st.sampled_from("0123456789X"))
def test_changing_the_check_character_invalidates_the_number(region, born, serial, other):
    first17 = region + born.strftime("%Y%m%d") + serial
    assume(other != id_number_check_char(first17))
    assert not is_valid_id_number(first17 + other, today=TODAY)


@given(region=regions, born=birth_dates, serial=serials, pos=st.integers(0, 16), delta=st.integers(1, 9))
def test_a_single_changed_body_digit_is_detected(region, born, serial, pos, delta):
    first17 = region + born.strftime("%Y%m%d") + serial
    changed = first17[:pos] + str((int(first17[pos]) + delta) % 10) + first17[pos + 1 :]
    assert not is_valid_id_number(changed + id_number_check_char(first17), today=TODAY)


# -- mobile numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("86 138-0013-8000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("138\t0013\n8000", "13800138000"),
    ],
)
def test_normalize_mobile_strips_country_prefixes_spaces_and_dashes(raw, normal):
    assert normalize_mobile(raw) == normal
    assert is_valid_mobile(normalize_mobile(raw))


def test_normalize_mobile_keeps_an_11_digit_number_that_happens_to_start_with_86():
    # only a prefix followed by exactly 11 digits is a country code
    assert normalize_mobile("86123456789") == "86123456789"
    assert not is_valid_mobile(normalize_mobile("86123456789"))


@pytest.mark.parametrize("number", [f"1{d}800138000" for d in range(3, 10)])
def test_mobile_numbers_13x_to_19x_are_valid(number):
    assert is_valid_mobile(number)


@pytest.mark.parametrize(
    "number",
    [
        "12800138000",  # 12x
        "11800138000",
        "10800138000",
        "23800138000",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "+8613800138000",
        "138 0013 8000",  # not normalized
        "13800138000\n",  # trailing newline
        "13８00138000",  # full-width digit
        "",
    ],
)
def test_invalid_mobile_numbers_are_rejected(number):
    assert not is_valid_mobile(number)


@given(second=st.integers(3, 9), rest=st.from_regex(r"[0-9]{9}", fullmatch=True), prefix=st.sampled_from(["", "+86", "86", "0086"]))
def test_any_13x_to_19x_number_survives_normalization(second, rest, prefix):
    number = f"1{second}{rest}"
    assert is_valid_mobile(number)
    spaced = prefix + " " + number[:3] + "-" + number[3:7] + " " + number[7:]
    assert normalize_mobile(spaced) == number


# -- masking -----------------------------------------------------------------------------------


def test_mask_id_number_keeps_the_region_and_the_last_four():
    assert mask_id_number(SAMPLE) == "110105********002X"
    assert len(mask_id_number(SAMPLE)) == 18


def test_mask_id_number_hides_short_numbers_entirely():
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number("") == ""
    assert mask_id_number("12345678901") == "123456*8901"


def test_mask_mobile_keeps_the_first_three_and_last_four():
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("1380013800") == "**********"
    assert mask_mobile("") == ""


@given(region=regions, born=birth_dates, serial=serials)
def test_a_masked_id_number_does_not_reveal_the_birth_date(region, born, serial):
    number = with_check(region + born.strftime("%Y%m%d") + serial)
    masked = mask_id_number(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8
