"""Personal data that must not be published: phones, e-mails, passports, SNILS, cards.

Numbers with checksums (SNILS, bank cards) are only reported when the checksum holds, and
a bare ten-digit passport number only next to a word that names it, so prices, years and
order numbers do not raise false alarms.
"""

from __future__ import annotations

import re

from moderation.findings.base import Finding, mask

_PHONE = re.compile(
    r"(?<![\d\w])(?:\+7|8|7)[\s\-\u00a0]*\(?\d{3}\)?[\s\-\u00a0]*\d{3}[\s\-\u00a0]*\d{2}[\s\-\u00a0]*\d{2}(?!\d)"
    r"|(?<![\d\w+])\(?9\d{2}\)?[\s\-]\d{3}[\s\-]\d{2}[\s\-]\d{2}(?!\d)"
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zа-я]{2,}(?![\w])", re.IGNORECASE
)
_PASSPORT_STRICT = re.compile(r"(?<!\d)\d{2}[\s\u00a0]?\d{2}[\s\u00a0]+№?\s?\d{6}(?!\d)")
_PASSPORT_CONTEXT = re.compile(
    r"(?:паспорт|серия|серии)[^\d]{0,25}(\d{2}[\s\u00a0]?\d{2}[\s\u00a0]?(?:№|номер|n)?\s?\d{6})(?!\d)",
    re.IGNORECASE,
)
_SNILS = re.compile(r"(?<!\d)(\d{3})[\s\-]?(\d{3})[\s\-]?(\d{3})[\s\-]?(\d{2})(?!\d)")
_CARD = re.compile(r"(?<!\d)(?:\d[\s\-]?){12,18}\d(?!\d)")


def snils_is_valid(digits: str) -> bool:
    """The SNILS check number: weighted sum of the first nine digits, mod 101, 100 → 00."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = digits[:9], int(digits[9:])
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    expected = 0 if total in (100, 101) else total
    return expected == check


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_personal_data(text: str) -> list[Finding]:
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(detail: str, match: re.Match[str], group: int = 0) -> None:
        start, end = match.span(group)
        if free(start, end):
            taken.append((start, end))
            findings.append(Finding("personal_data", detail, excerpt=mask(match.group(group))))

    for match in _EMAIL.finditer(text):
        add("email", match)
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_is_valid(digits) and len(set(digits)) > 1:
            add("card", match)
    for match in _SNILS.finditer(text):
        digits = "".join(match.groups())
        if snils_is_valid(digits) and len(set(digits)) > 1:
            add("snils", match)
    for match in _PASSPORT_CONTEXT.finditer(text):
        add("passport", match, 1)
    for match in _PASSPORT_STRICT.finditer(text):
        add("passport", match)
    for match in _PHONE.finditer(text):
        add("phone", match)
    return findings
