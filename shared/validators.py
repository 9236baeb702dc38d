"""Formats of Chinese identifiers and contacts: pure checks shared by every service.

- 公民身份号码 (resident ID number), GB 11643-1999: 17 digits + ISO 7064 MOD 11-2 check.
- 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters, MOD 31 check.
- Mainland mobile numbers: 11 digits starting 13–19.
"""

from __future__ import annotations

import re
from datetime import date

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only; used with fullmatch (no trailing newline)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, for its first 17."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    if len(code) != 18 or any(c not in CREDIT_CODE_ALPHABET for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def id_number_check_char(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643), for its first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_valid_id_number(number: str, *, today: date | None = None) -> bool:
    """18 characters, a real birth date not in the future, and the right check character."""
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or date.today()):
        return False
    return id_number_check_char(number[:17]) == number[17]


def normalize_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86 / 86 prefix."""
    digits = re.sub(r"[\s\-]", "", value)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def is_valid_mobile(value: str) -> bool:
    return bool(_MOBILE.fullmatch(value))


def mask_id_number(number: str) -> str:
    """110101********1234: enough for the owner to recognise, not enough to misuse."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def mask_mobile(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)
