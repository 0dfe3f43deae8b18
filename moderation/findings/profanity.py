"""Russian obscene vocabulary (мат), seen through common disguises.

Matching is per word, on the word's start after an optional prefix, because the roots
hide inside ordinary words: «страхуйте», «себе», «учебный», «корабля», «рубля».

Disguises are read the other way round: instead of guessing one letter for each symbol of
a word (which fails when `3` may be «з» or «е»), every letter of a root pattern also
accepts each symbol that may stand for it, and `*` accepts any letter. The symbols are
read by sight (`BY_SIGHT`: digits, signs, Latin look-alikes) and, for Latin letters, by
sound (`BY_SOUND`), so «3аебал», «3бать», «@хуеть», «еб@ть», «п*здец», «xyu» and «huy» meet
their roots in one regular expression per reading, compiled once. Before matching, signs
between letters are dropped («х.у.й», «б-л-я»), letters spaced apart are joined («х у й»),
stretched letters are collapsed («хууууй») and Latin digraphs transliterated («blyad»).
Numbers with an ending («36ой», «2023г») and initials («Е.Б.») are not words in disguise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from moderation.findings.base import Finding

#: What each symbol may stand for, read by sight: digits, signs and Latin look-alikes.
BY_SIGHT: dict[str, str] = {
    "a": "а", "b": "вьб", "c": "с", "e": "е", "g": "д", "h": "н", "k": "к", "m": "м",
    "n": "пи", "o": "о", "p": "р", "r": "г", "t": "т", "u": "и", "x": "х", "y": "у",
    "0": "о", "1": "ил", "3": "зе", "4": "ча", "6": "б", "8": "в",
    "@": "ао", "$": "с", "€": "е", "!": "и", "|": "л",
}  # fmt: skip
#: What Latin letters stand for by sound (transliteration), with the same digits and signs.
BY_SOUND: dict[str, str] = {
    "a": "а", "b": "б", "c": "цск", "d": "д", "e": "еэ", "f": "ф", "g": "г", "h": "х",
    "i": "ий", "j": "йж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
    "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "х",
    "y": "йы", "z": "з",
    **{symbol: letters for symbol, letters in BY_SIGHT.items() if not symbol.isalpha()},
}  # fmt: skip
#: Words of other languages that read as a root when transliterated.
FOREIGN_WORDS = frozenset(
    {"ebay", "ebb", "ebbs", "ebbing", "ebitda", "ebola", "ebony", "ebook", "ebooks", "hue", "hues"}
)
#: A symbol that may stand for any letter.
WILDCARD = "*"

# Latin letter pairs that write one Russian sound, longest first («shch» before «sh»).
_DIGRAPHS = (
    ("shch", "щ"), ("sch", "щ"), ("kh", "х"), ("zh", "ж"), ("ch", "ч"), ("sh", "ш"),
    ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "е"), ("jo", "е"),
)  # fmt: skip

# Verb prefixes that attach to the roots. Deliberately absent: «в», «с» and «под» («вебинар»,
# «Себастьян», «подебоширить»), which the hard-sign forms «въ», «съ», «подъ» cover.
_PREFIXES = (
    "за", "на", "вы", "у", "по", "от", "отъ", "раз", "разъ", "рас", "съ", "подъ", "при",
    "пере", "недо", "до", "об", "объ", "о", "ни", "въ", "взъ", "про", "из", "изъ",
)  # fmt: skip
_PREFIX = "(?:" + "|".join(_PREFIXES) + ")?"

# Each root pattern is written in plain Cyrillic and matched at the start of a word.
_ROOTS: tuple[tuple[str, str], ...] = (
    ("хуй", rf"^{_PREFIX}ху[йеияю]"),
    ("пизд", r"^[а-я]{0,6}пизд"),
    ("еб", rf"^{_PREFIX}еб(?:а|у|л|н|и|о|ет|ыв|ну|ск|ись|ош|уч|$)"),
    ("еб", r"^(?:долбо|мудо)еб"),
    ("бляд", r"^бляд|^бля(?:ть|т)?$"),  # not «бледный», «бляха»
    ("мудак", r"^муд(?:ак|ач|ил|озвон)"),
    ("пидор", r"^пид[оа]р|^пидр"),
    ("гандон", r"^г[ао]нд[ао]н"),
    ("залупа", r"^залуп"),
    ("манда", r"^манд(?:а|у|ой|ы)$|^мандав"),
    ("шлюха", r"^шлюх"),
)

_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


def _disguisable(pattern: str, stands_for: dict[str, str]) -> str:
    """The pattern with every letter also accepting the symbols that may stand for it."""
    symbols = re.escape("".join(stands_for) + WILDCARD)
    written_as = {
        letter: re.escape("".join(s for s, ls in stands_for.items() if letter in ls) + WILDCARD)
        for letter in _LETTERS
    }
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if in_class and pattern[i + 1 : i + 2] == "-" and char in _LETTERS:
            out.append(pattern[i : i + 3] + symbols)  # a range of letters: any symbol too
            i += 3
            continue
        if char in _LETTERS:
            out.append(char + written_as[char] if in_class else f"[{char}{written_as[char]}]")
        else:
            out.append(char)
            if char == "[":
                in_class = True
            elif char == "]":
                in_class = False
        i += 1
    return "".join(out)


def _matcher(stands_for: dict[str, str]) -> re.Pattern[str]:
    """One expression for every root, so a word is read once per form and reading."""
    return re.compile(
        "|".join(
            f"(?P<r{n}>{_disguisable(pattern, stands_for)})"
            for n, (_root, pattern) in enumerate(_ROOTS)
        )
    )


# A word with Latin letters is read twice, by sight and by sound, never mixing the two in
# one word: «Hyundai» read half by sound and half by sight would start with «ху».
_BY_SIGHT = _matcher(BY_SIGHT)
_BY_SOUND = _matcher(BY_SOUND)
_ROOT_OF = {f"r{n}": root for n, (root, _pattern) in enumerate(_ROOTS)}

_CHAR = r"[0-9a-zа-яё@$€!|*]"
# A word may have up to two symbols inside it («х*у*й», «б.л.я»), but never a space.
_WORD = re.compile(rf"{_CHAR}+(?:(?:[^\w\s]|_){{1,2}}{_CHAR}+)*", re.IGNORECASE)
# Single letters spaced apart («х у й», «х. у. й.») are joined into one word.
_SPACED = re.compile(r"(?<![\w*@$])(?:[\w*@$][\s.\-_]{1,3}){2,}[\w*@$](?![\w*@$])")
_SPACING = re.compile(r"[\s.\-_]")
# At a word's edges these are punctuation («бля!», «*важно*»), not letters.
_EDGES = WILDCARD + "!|"
_INSIDE = re.compile(r"[^0-9a-zа-я@$€!|*]")
_REPEATS = re.compile(r"(.)\1+")
_NUMBER = re.compile(r"^\d\d")  # «36ой», «2023г»: a number with an ending
_LETTER = re.compile(r"[a-zа-я]")
_LATIN = re.compile(r"[a-z]")
_SIGNS = re.compile(r"[^0-9a-zа-я]")  # a sign may also be a separator: «х*у*й», «бл|ять»
MIN_LETTERS = 3  # «Е.Б.» are initials; no root is shorter than three letters
MAX_SPACED = 40  # letters of a spaced-out word that are read
ONE_LETTER_WORDS = "авикосуяж"


def _forms(word: str) -> list[str]:
    """The spellings of a word worth matching, in a fixed order: as written, without its
    signs, with Latin digraphs transliterated, and each of these unstretched."""
    letters = _INSIDE.sub("", word.lower().replace("ё", "е").replace("і", "и"))
    letters = letters.strip(_EDGES)
    if (
        len(letters) < MIN_LETTERS
        or _NUMBER.match(letters)
        or not _LETTER.search(letters)
        or letters in FOREIGN_WORDS
    ):
        return []
    forms = [letters, _SIGNS.sub("", letters)]
    if _LATIN.search(letters):
        forms += [_transliterate_digraphs(form) for form in forms]
    forms += [_REPEATS.sub(r"\1", form) for form in forms]
    return [form for form in dict.fromkeys(forms) if len(form) >= MIN_LETTERS]


def _transliterate_digraphs(form: str) -> str:
    for latin, cyrillic in _DIGRAPHS:
        form = form.replace(latin, cyrillic)
    return form


def _words(text: str) -> Iterator[list[str]]:
    """Each word as the spellings to try, in order. Letters spaced apart are one word, also
    tried without the one-letter words before it: in «ну и х у й» the «и» is a word."""
    end = 0
    for spaced in _SPACED.finditer(text):
        for word in _WORD.findall(text, end, spaced.start()):
            yield [word]
        joined = _SPACING.sub("", spaced.group(0))[:MAX_SPACED]
        words = len(joined) - len(joined.lower().lstrip(ONE_LETTER_WORDS))
        yield [joined[start:] for start in range(min(words, len(joined) - MIN_LETTERS) + 1)]
        end = spaced.end()
    for word in _WORD.findall(text, end):
        yield [word]


def _root(form: str) -> str | None:
    matchers = (_BY_SIGHT, _BY_SOUND) if _LATIN.search(form) else (_BY_SIGHT,)
    for matcher in matchers:
        match = matcher.match(form)
        if match is not None:
            return _ROOT_OF[match.lastgroup or ""]
    return None


def find_profanity(text: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for spellings in _words(text):
        for word in spellings:
            root = next(filter(None, map(_root, _forms(word))), None)
            if root is not None:
                if word.lower() not in seen:
                    seen.add(word.lower())
                    excerpt = word[0] + "•" * (len(word) - 1)
                    findings.append(Finding("profanity", root, excerpt=excerpt))
                break
    return findings
