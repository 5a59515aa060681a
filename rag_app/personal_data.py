"""What identifies a shopper, out of the text of a question before it is stored or logged: email
addresses, card-like, SSN-like and phone-like numbers, card security codes and street addresses
become a placeholder naming what was there ([email], [card], [ssn], [phone], [number], [cvv],
[address]). What the catalog team reads a question for (sizes such as 12 x 24, prices, 6-digit
SKUs, colors, rooms) is kept.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A security code after its name: "cvv 123", "CVC: 1234", "security code 123".
_CVV = re.compile(r"\b(?:cvv2?|cvc2?|csc|security\s+code)\b\W{0,3}\d{3,4}\b", re.IGNORECASE)
# Digits in groups joined by spaces, dashes, dots, slashes or parentheses, 7 digits or more in all
# (a SKU has 6, a size or a price fewer): phone, card and SSN numbers as people type them.
_DIGIT_RUN = re.compile(r"(?<![\w$])\+?\(?\d(?:[\d\s().\-/]*\d)?(?![\w])")
# A house number, one to four words, then a street type: "1234 Maple Street", "55 W. 3rd Ave".
_STREET_TYPES = (
    "street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|way|court|ct|place|pl|terrace|"
    "ter|parkway|pkwy|circle|cir|highway|hwy|trail|trl"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[A-Za-z0-9.'-]+\s+){{1,4}}(?:{_STREET_TYPES})\b\.?"
    r"(?:\s*,?\s*(?:apt|apartment|unit|suite|ste|#)\s*\.?\s*\w+)?",
    re.IGNORECASE,
)


def _number(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if digits < 7:
        return text
    if digits == 9:
        return "[ssn]"
    if 13 <= digits <= 19:
        return "[card]"
    if 7 <= digits <= 12:
        return "[phone]"
    return "[number]"


def redact(text: str) -> str:
    """`text` without what identifies a person (emails, card/SSN/phone numbers, security codes,
    street addresses), each replaced by a placeholder saying what it was."""
    text = _EMAIL.sub("[email]", text)
    text = _CVV.sub("[cvv]", text)
    text = _ADDRESS.sub("[address]", text)
    return _DIGIT_RUN.sub(_number, text)
