"""统一社会信用代码 check character (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.validators import _CREDIT_WEIGHTS as WEIGHTS
from shared.validators import CREDIT_CODE_ALPHABET as ALPHABET
from shared.validators import credit_code_check_char as check_char
from shared.validators import is_valid_credit_code

# Published codes of real organisations: their check characters come from the issuing
# authority, not from our implementation.
PUBLISHED = [
    "91350100M000100Y43",  # the example code widely used for GB 32100
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "11100000000013127D",  # a central government organ (registration authority 1, category 1)
]

first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_the_alphabet_is_31_characters_without_i_o_z_s_v():
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOZSV") & set(ALPHABET)
    assert len(WEIGHTS) == 17
    # every weight is 3^i mod 31, as the standard specifies
    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert is_valid_credit_code(code)
    assert check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("91350100M000100Y4", "3"),
        ("12440300MB2C12345", "Y"),
        ("91110108MA01A2B3C", "F"),
        ("11330000002482061", "Q"),
        ("52110000500012345", "3"),
        ("00000000000000000", "0"),
    ],
)
def test_check_char_of_known_prefixes(first, expected):
    assert check_char(first) == expected
    assert is_valid_credit_code(first + expected)


@pytest.mark.parametrize("code", PUBLISHED)
def test_a_corrupted_check_character_is_invalid(code):
    for c in ALPHABET:
        if c != code[17]:
            assert not is_valid_credit_code(code[:17] + c), code[:17] + c


@pytest.mark.parametrize("code", PUBLISHED)
def test_a_single_changed_body_character_is_invalid(code):
    for i in range(17):
        for c in ALPHABET:
            if c != code[i]:
                assert not is_valid_credit_code(code[:i] + c + code[i + 1 :])


@pytest.mark.parametrize(
    "code", ["", "9", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100Y43 ", " 91350100M000100Y43", "91350100M000100Y43" * 2]
)
def test_the_wrong_length_is_invalid(code):
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_invalid_anywhere(letter):
    code = "91350100M000100Y43"
    for i in range(18):
        assert not is_valid_credit_code(code[:i] + letter + code[i + 1 :])


def test_lowercase_and_non_ascii_are_invalid():
    assert not is_valid_credit_code("91350100m000100y43")
    assert not is_valid_credit_code("91350100Ｍ000100Y43")  # full-width M
    assert not is_valid_credit_code("９1350100M000100Y43")  # full-width 9


@given(first17)
def test_appending_the_check_char_gives_a_valid_code_and_nothing_else_does(first):
    good = check_char(first)
    assert good in ALPHABET
    assert is_valid_credit_code(first + good)
    for c in ALPHABET:
        if c != good:
            assert not is_valid_credit_code(first + c)


@given(first17, st.integers(min_value=0, max_value=16), st.sampled_from(ALPHABET))
def test_any_single_substitution_in_a_valid_code_is_detected(first, position, replacement):
    code = first + check_char(first)
    tampered = code[:position] + replacement + code[position + 1 :]
    assert is_valid_credit_code(tampered) == (tampered == code)


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes_the_check(text):
    result = is_valid_credit_code(text)
    assert isinstance(result, bool)
    if result:
        assert len(text) == 18 and set(text) <= set(ALPHABET)
