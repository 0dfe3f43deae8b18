"""Rules for the texts people write: sizes, letters, word length, mixed alphabets.

Text is stored exactly as written (trimmed at the ends) and escaped wherever it is shown;
these checks only refuse what cannot be a sensible title or proposal. Every message says
what to fix.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from app.errors import Invalid
from app.text import check_text

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 20, 5000
COMMENT_MIN, COMMENT_MAX = 2, 2000
#: Levels a comment thread may have (1: comments on the idea itself). Deeper threads stop
#: being readable, and without a bound a long reply chain makes every tree walk recursive.
COMMENT_MAX_DEPTH = 6
REASON_MIN, REASON_MAX = 3, 500
PROJECT_TITLE_MIN, PROJECT_TITLE_MAX = 5, 200
DESCRIPTION_MAX = 20_000
SECTION_TITLE_MIN, SECTION_TITLE_MAX = 2, 120
MAX_SECTIONS = 30
#: No Russian word is this long; longer runs are key mashing or an attempt to break layouts.
MAX_WORD = 60
LINK = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
LETTER_RUN = re.compile(r"[^\W\d_]+")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _words_problems(text: str) -> list[str]:
    problems: list[str] = []
    long_word = next(
        (w for w in text.split() if len(w) > MAX_WORD and not LINK.match(w)),
        None,
    )
    if long_word is not None:
        problems.append(
            _(
                "Слишком длинное слово (%(n)s символов): разделите его пробелами.",
                n=len(long_word),
            )
        )
    mixed = next(
        (run for run in LETTER_RUN.findall(text) if CYRILLIC.search(run) and LATIN.search(run)),
        None,
    )
    if mixed is not None:
        problems.append(
            _(
                "В слове «%(word)s» смешаны русские и латинские буквы: проверьте раскладку.",
                word=mixed[:40],
            )
        )
    return problems


def check_prose(
    value: object, *, min_length: int, max_length: int, min_letters: int, multiline: bool
) -> tuple[str, list[str]]:
    """A title, an idea or a comment: `check_text` plus letters, word length, alphabets."""
    text, problems = check_text(
        value, min_length=min_length, max_length=max_length, multiline=multiline
    )
    if not text or problems:
        return text, problems
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        return text, [_("Текст содержит недопустимые символы.")]
    if sum(ch.isalpha() for ch in text) < min_letters:
        problems.append(_("Напишите словами: нужно хотя бы %(n)s букв.", n=min_letters))
    problems.extend(_words_problems(text))
    return text, problems


def clean_idea(title: object, body: object) -> tuple[str, str]:
    """Checked title and body of an idea, or `Invalid` naming each field's problems."""
    errors: dict[str, list[str]] = {}
    title_text, problems = check_prose(
        title, min_length=TITLE_MIN, max_length=TITLE_MAX, min_letters=3, multiline=False
    )
    if problems:
        errors["title"] = problems
    body_text, problems = check_prose(
        body, min_length=BODY_MIN, max_length=BODY_MAX, min_letters=10, multiline=True
    )
    if problems:
        errors["body"] = problems
    if errors:
        raise Invalid(_("Проверьте название и текст идеи."), errors=errors)
    return title_text, body_text


def clean_field(
    name: str,
    value: object,
    *,
    min_length: int,
    max_length: int,
    min_letters: int = 1,
    multiline: bool = False,
) -> str:
    text, problems = check_prose(
        value,
        min_length=min_length,
        max_length=max_length,
        min_letters=min_letters,
        multiline=multiline,
    )
    if problems:
        raise Invalid(_("Проверьте выделенные поля."), errors={name: problems})
    return text
