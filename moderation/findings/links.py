"""Links and the usual signs of spam: many links, advertising words, shouting, repetition."""

from __future__ import annotations

import re

from moderation.findings.base import Finding

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:ru|рф|com|net|org|info|su|me|io|biz|xyz|top|online|site|shop)"
    r"(?:/[^\s<>\"']*)?(?![\w])",
    re.IGNORECASE,
)
_ADVERTISING = re.compile(
    r"\b(?:скидк\w*|акци[яию]\w*|распродаж\w*|заработ\w*|доход\w* от|казино|ставк\w* на спорт|"
    r"кредит\w* без|займ\w*|промокод\w*|подпиш\w*|переходи\w*|звони\w*|"
    r"пиши\w* в (?:личку|телеграм|whatsapp))",
    re.IGNORECASE,
)
_REPEATED_CHAR = re.compile(r"(.)\1{9,}")
MANY_LINKS = 3


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 30 and sum(c.isupper() for c in letters) / len(letters) > 0.7


def _repetitive(text: str) -> bool:
    words = re.findall(r"\w+", text.lower())
    return len(words) >= 12 and len(set(words)) / len(words) < 0.3


def find_links_and_spam(text: str) -> list[Finding]:
    findings = [
        Finding("link", "url", excerpt=match.group(0)[:80]) for match in _URL.finditer(text)
    ]
    reasons = []
    if len(findings) >= MANY_LINKS:
        reasons.append("many_links")
    if _ADVERTISING.search(text) and (findings or len(_ADVERTISING.findall(text)) >= 2):
        reasons.append("advertising")
    if _shouting(text):
        reasons.append("shouting")
    if _REPEATED_CHAR.search(text) or _repetitive(text):
        reasons.append("repetition")
    findings.extend(Finding("spam", reason) for reason in reasons)
    return findings
