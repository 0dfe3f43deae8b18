"""Russian obscene vocabulary (мат), seen through common disguises.

Matching is per word, on the word's start after an optional prefix, because the roots
hide inside ordinary words: «страхуйте», «себе», «учебный», «корабля», «рубля».
Before matching, a word is undisguised: Latin look-alikes and digits become Cyrillic
(«xуй», «3ае6ал»), all-Latin words are transliterated («pizdec»), symbols inserted between
letters are dropped («х*у*й», «б.л.я»), letters spaced apart are joined («х у й»), and
stretched letters are collapsed («хууууй»).
"""

from __future__ import annotations

import re

from moderation.findings.base import Finding

# Latin letters and digits that look like Cyrillic ones, for mixed-script disguises.
_LOOKALIKES = str.maketrans(
    {
        "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о",
        "p": "р", "t": "т", "x": "х", "y": "у", "u": "и", "n": "п", "r": "г",
        "0": "о", "3": "з", "6": "б", "4": "ч", "@": "а", "$": "с", "ё": "е",
    }
)  # fmt: skip

# Transliteration for words written wholly in Latin letters, longest sequences first.
_TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("kh", "х"), ("zh", "ж"), ("ch", "ч"), ("sh", "ш"),
    ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "е"), ("jo", "е"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"),
    ("c", "ц"), ("y", "й"), ("w", "в"), ("x", "кс"), ("q", "к"),
)  # fmt: skip

# Verb prefixes that attach to the roots. Deliberately absent: «в» and «с» («вебинар», «веб»,
# «Себастьян»), which the hard-sign forms «въ», «съ» cover for the real words.
_PREFIXES = (
    "за", "на", "вы", "у", "по", "от", "отъ", "раз", "разъ", "рас", "съ", "подъ", "под", "при",
    "пере", "недо", "до", "об", "объ", "о", "ни", "въ", "взъ", "про", "из", "изъ",
)  # fmt: skip
_PREFIX = "(?:" + "|".join(_PREFIXES) + ")?"

# Each pattern is matched at the start of an undisguised word.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("хуй", re.compile(rf"^{_PREFIX}ху[йеияю]")),
    ("пизд", re.compile(r"^[а-я]{0,6}пизд")),
    ("еб", re.compile(rf"^{_PREFIX}еб(?:а|у|л|н|и|о|ет|ыв|ну|ск|ись|ош|уч|$)")),
    ("еб", re.compile(r"^(?:долбо|мудо)еб")),
    ("бляд", re.compile(r"^бляд|^бля(?:ть|т)?$")),  # not «бледный», «бляха»
    ("мудак", re.compile(r"^муд(?:ак|ач|ил|озвон)")),
    ("пидор", re.compile(r"^пид[оа]р|^пидр")),
    ("гандон", re.compile(r"^г[ао]нд[ао]н")),
    ("залупа", re.compile(r"^залуп")),
    ("манда", re.compile(r"^манд(?:а|у|ой|ы)$|^мандав")),
    ("шлюха", re.compile(r"^шлюх")),
)

# A word may have up to two symbols inside it («х*у*й», «б.л.я»), but never a space.
_WORD = re.compile(r"[0-9a-zа-яё@$]+(?:(?:[^\w\s]|_){1,2}[0-9a-zа-яё@$]+)*", re.IGNORECASE)
_SPACED = re.compile(r"(?<!\w)(?:\w[ \u00a0]){2,}\w(?!\w)")
_REPEATS = re.compile(r"(.)\1+")


def _undisguise(word: str) -> set[str]:
    """The forms a disguised word may stand for."""
    lower = word.lower()
    letters = re.sub(r"[^0-9a-zа-яё@$]", "", lower)
    forms = {letters.replace("ё", "е")}
    if re.fullmatch(r"[a-z]+", letters):
        translit = letters
        for latin, cyrillic in _TRANSLIT:
            translit = translit.replace(latin, cyrillic)
        forms.add(translit)
    forms.add(letters.translate(_LOOKALIKES))
    forms |= {_REPEATS.sub(r"\1", form) for form in list(forms)}
    return {form for form in forms if form}


def _words(text: str) -> list[str]:
    # Letters spaced apart («х у й») become one word before splitting.
    joined = _SPACED.sub(lambda m: m.group(0).replace(" ", "").replace("\u00a0", ""), text)
    return _WORD.findall(joined)


def find_profanity(text: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for word in _words(text):
        for form in _undisguise(word):
            root = next((name for name, pattern in _PATTERNS if pattern.search(form)), None)
            if root is not None:
                if word.lower() not in seen:
                    seen.add(word.lower())
                    findings.append(
                        Finding("profanity", root, excerpt=word[0] + "•" * (len(word) - 1))
                    )
                break
    return findings
