"""Russian text normalization: lowercase lemmas without stop words, numbers or links.

Every other part of ``ml`` works on the output of :class:`RussianNormalizer`, so that the
app can store the normalized text once, when an idea is written, and reuse it later.

spaCy's own pymorphy3 lemmatizer needs a part-of-speech tagger; in ``spacy.blank("ru")``
there is none, and it then leaves every ambiguous word («новые», «дороги», «Стали»)
unchanged. We therefore add our own pipeline component that takes pymorphy3's most
probable normal form, cached per lowercased word form (a few hundred thousand distinct
forms at most, so a plain dict is enough and far faster than parsing again).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator

import pymorphy3
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

from ml._stopwords import STOP_WORDS

logger = logging.getLogger(__name__)

# Placeholder tokens, not secrets: S105 mistakes "*_TOKEN" names for passwords.
NUM_TOKEN = "_num_"  # noqa: S105
URL_TOKEN = "_url_"  # noqa: S105
EMAIL_TOKEN = "_email_"  # noqa: S105
#: Tokens that stand for a whole class of strings; labels and keywords skip them.
PLACEHOLDER_TOKENS: frozenset[str] = frozenset({NUM_TOKEN, URL_TOKEN, EMAIL_TOKEN})
#: A number keeps its first run of digits after the placeholder («маршрут 12» → «маршрут
#: _num_12»): for duplicates «маршрут 12» and «маршрут 45» differ, while clustering maps
#: every such token back to plain ``_num_`` (see :func:`strip_number_values`).
_NUMBER_VALUE = re.compile(r"\d{1,12}")
_NUMBER_TOKEN_WITH_VALUE = re.compile(r"\b_num_\d+")
_UNITS = [
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
]
_TEENS = ["тринадцать", "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать"]
_TENS = [
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
]
_HUNDREDS = [
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
]
#: Cardinal numerals (as lemmas) become the same token as their digits: «семь» = «7».
NUMBER_WORDS: dict[str, str] = {
    **{word: str(value) for value, word in enumerate(_UNITS, start=2)},
    **{word: str(value) for value, word in enumerate(_TEENS, start=13)},
    "девятнадцать": "19",
    **{word: str(value * 10) for value, word in enumerate(_TENS, start=2)},
    **{word: str(value * 100) for value, word in enumerate(_HUNDREDS, start=1)},
}
#: Common abbreviations written out, so «млн руб.» matches «миллионов рублей».
ABBREVIATIONS: dict[str, str] = {
    "млрд": "миллиард",
    "млн": "миллион",
    "тыс": "тысяча",
    "руб": "рубль",
    "долл": "доллар",
    "ул": "улица",
    "пр-т": "проспект",
    "р-н": "район",
    "мкр": "микрорайон",
}

#: Full spaCy pipelines that, when installed, replace the blank tokenizer + our lemmatizer.
FULL_PIPELINES: tuple[str, ...] = ("ru_core_news_lg", "ru_core_news_md", "ru_core_news_sm")

_COMPONENT_NAME = "pymorphy3_normal_form"
#: Longer "words" are noise (base64, hashes, key mashing): parsing them is pointless.
_MAX_WORD_CHARS = 40
#: Texts are cut into pieces of at most this many characters before spaCy sees them.
_CHUNK_CHARS = 20_000
#: The lemma cache is cleared when it grows past this many word forms.
_MAX_CACHE_WORDS = 500_000
#: Where pymorphy3's top analyses tie and it picks a word civic texts never mean:
#: «в парке», «парки» come out as «парка» (the jacket). Kept tiny on purpose.
LEMMA_FIXES: dict[str, str] = {"парка": "парк"}
#: Characters kept inside a lemma: letters, digits, inner hyphens («интернет-магазин»).
_NOT_WORD = re.compile(r"[^\w-]+")


def fold_yo(text: str) -> str:
    """Replace ё by е: Russian writers use both for the same word."""
    return text.replace("ё", "е").replace("Ё", "Е")


class NormalFormLemmatizer:
    """spaCy component: sets ``token.lemma_`` to pymorphy3's most probable normal form.

    The lemma is lowercased and ё-folded. Results are cached per lowercased word form.
    """

    def __init__(self, morph: pymorphy3.MorphAnalyzer | None = None) -> None:
        self._morph = morph or pymorphy3.MorphAnalyzer()
        self._cache: dict[str, str] = {}
        # Exact token text → lemma's StringStore id: skips lower() and string hashing.
        self._ids: dict[str, int] = {}

    def lemma(self, word: str) -> str:
        """Return the normal form of one word (any case); cached."""
        key = word.lower()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if len(key) > _MAX_WORD_CHARS or not any(ch.isalpha() for ch in key):
            lemma = fold_yo(key)
        else:
            try:
                lemma = fold_yo(self._morph.parse(key)[0].normal_form)
            except ValueError:  # pymorphy3 asks unicodedata for the names of letters that have none
                lemma = fold_yo(key)
            lemma = LEMMA_FIXES.get(lemma, lemma)
        if len(self._cache) >= _MAX_CACHE_WORDS:
            self._cache.clear()
        self._cache[key] = lemma
        return lemma

    def __call__(self, doc: Doc) -> Doc:
        ids = self._ids
        strings = doc.vocab.strings
        for token in doc:
            text = token.text
            lemma_id = ids.get(text)
            if lemma_id is None:
                if token.is_punct or token.is_space:
                    continue
                lemma_id = strings.add(self.lemma(text))
                if len(ids) >= _MAX_CACHE_WORDS:
                    ids.clear()
                ids[text] = lemma_id
            token.lemma = lemma_id
        return doc


@Language.factory(_COMPONENT_NAME)
def _make_normal_form_lemmatizer(nlp: Language, name: str) -> NormalFormLemmatizer:
    return NormalFormLemmatizer()


def installed_full_pipeline() -> str | None:
    """Name of an installed ``ru_core_news_*`` package, or None."""
    for name in FULL_PIPELINES:
        if spacy.util.is_package(name):
            return name
    return None


def _build_pipeline(model: str | None) -> tuple[Language, bool]:
    """Return (nlp, uses_full_pipeline)."""
    if model is None:
        model = installed_full_pipeline()
    if model is not None and model != "blank":
        logger.info("normalizer uses the spaCy pipeline %s", model)
        # The lemmatizer needs the morphologizer and attribute ruler, not parser or NER.
        nlp = spacy.load(model, exclude=["parser", "ner"])
        return nlp, True
    nlp = spacy.blank("ru")
    nlp.add_pipe(_COMPONENT_NAME)
    return nlp, False


def _chunks(text: str) -> Iterator[str]:
    """Cut a long text at whitespace into pieces spaCy handles quickly."""
    start = 0
    while len(text) - start > _CHUNK_CHARS:
        cut = text.rfind(" ", start + _CHUNK_CHARS // 2, start + _CHUNK_CHARS)
        if cut == -1:
            cut = start + _CHUNK_CHARS
        yield text[start:cut]
        start = cut
    yield text[start:]


class RussianNormalizer:
    """Turn raw Russian text into space-joined lemmas for TF-IDF, search and duplicates.

    Lowercases, folds ё into е, lemmatizes with pymorphy3's most probable normal form,
    drops punctuation, emoji and stop words, and replaces numbers by ``_num_`` followed by
    their digits (``_num_12``), writes out a few abbreviations («млн» → «миллион»), links by
    ``_url_`` and e-mail addresses by ``_email_``.

    Parameters
    ----------
    model:
        ``None`` picks an installed ``ru_core_news_*`` pipeline if there is one, otherwise
        ``spacy.blank("ru")`` with our lemmatizer; ``"blank"`` forces the latter; any other
        string is a spaCy package name to load.
    stop_words:
        Lemmas (and word forms) to drop; defaults to :data:`ml.STOP_WORDS`.
    batch_size:
        Texts per ``nlp.pipe`` batch.
    """

    def __init__(
        self,
        model: str | None = None,
        stop_words: Iterable[str] | None = None,
        batch_size: int = 1000,
    ) -> None:
        self.model = model
        self.stop_words = stop_words
        self.batch_size = batch_size
        self._nlp: Language | None = None
        self._full_pipeline = False
        self._stop: frozenset[str] = STOP_WORDS
        # Blank pipeline only: a token's output depends on its text alone, so cache it.
        self._outputs: dict[str, str | None] = {}
        self._lock = threading.Lock()

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, built on first use (loading it takes about a second)."""
        if self._nlp is None:
            with self._lock:
                if self._nlp is None:
                    if self.stop_words is not None:
                        self._stop = frozenset(fold_yo(w.lower()) for w in self.stop_words)
                    self._nlp, self._full_pipeline = _build_pipeline(self.model)
        return self._nlp

    def normalize(self, text: str) -> str:
        """Normalize one text; see the class docstring."""
        return self.normalize_many([text])[0]

    def normalize_many(self, texts: Iterable[str]) -> list[str]:
        """Normalize many texts in one pass through ``nlp.pipe`` (much faster than a loop)."""
        texts = [_as_text(text) for text in texts]
        pieces: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(texts):
            for piece in _chunks(text):
                pieces.append(piece)
                owners.append(index)
        words: list[list[str]] = [[] for _ in texts]
        for owner, doc in zip(
            owners, self.nlp.pipe(pieces, batch_size=self.batch_size), strict=True
        ):
            words[owner].extend(self._doc_words(doc))
        return [" ".join(doc_words) for doc_words in words]

    def _doc_words(self, doc: Doc) -> Iterator[str]:
        if self._full_pipeline:
            for token in doc:
                word = self._token_word(token)
                if word is not None:
                    yield word
            return
        outputs = self._outputs
        for token in doc:
            text = token.text
            if text in outputs:
                word = outputs[text]
            else:
                word = self._token_word(token)
                if len(outputs) >= _MAX_CACHE_WORDS:
                    outputs.clear()
                outputs[text] = word
            if word is not None:
                yield word

    def _token_word(self, token: Token) -> str | None:
        """What one token contributes to the normalized text (None: nothing)."""
        if token.is_punct or token.is_space:
            return None
        text = token.text
        if token.like_url:
            return URL_TOKEN
        if token.like_email:
            return EMAIL_TOKEN
        if any(ch.isdigit() for ch in text):
            value = _NUMBER_VALUE.search(text)
            return NUM_TOKEN + value.group() if value else NUM_TOKEN
        if not any(ch.isalpha() for ch in text):
            return None
        lemma = fold_yo(token.lemma_.lower()) if token.lemma_ else fold_yo(text.lower())
        if lemma in NUMBER_WORDS:
            return NUM_TOKEN + NUMBER_WORDS[lemma]
        lemma = ABBREVIATIONS.get(lemma.rstrip("."), lemma)
        lemma = _NOT_WORD.sub("", lemma).strip("-_")
        if not lemma or len(lemma) > _MAX_WORD_CHARS or lemma in self._stop:
            return None
        if fold_yo(text.lower()) in self._stop:
            return None
        return lemma


def strip_number_values(text: str) -> str:
    """Turn ``_num_12`` tokens of a normalized text into plain ``_num_``."""
    return _NUMBER_TOKEN_WITH_VALUE.sub(NUM_TOKEN, text)


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text


_default: RussianNormalizer | None = None
_default_lock = threading.Lock()


def get_normalizer() -> RussianNormalizer:
    """The process-wide shared normalizer (its word cache is shared too)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = RussianNormalizer()
    return _default


def normalize_texts(texts: Iterable[str], *, normalized: bool = False) -> list[str]:
    """Return texts normalized by the shared normalizer, or as given when ``normalized``."""
    if normalized:
        return [_as_text(text) for text in texts]
    return get_normalizer().normalize_many(texts)
