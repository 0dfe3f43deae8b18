"""Stop words: spaCy's Russian list plus a few words every appeal or idea contains.

The domain list is deliberately short. Words that are generic only in one corpus are
better removed by document frequency (``max_df``) in the vectorizers than by hand here.
"""

from spacy.lang.ru.stop_words import STOP_WORDS as _SPACY_RU_STOP_WORDS

#: Politeness and request words that say nothing about what an idea is about.
DOMAIN_STOP_WORDS: frozenset[str] = frozenset(
    {
        "предлагать",
        "предложение",
        "пожалуйста",
        "просить",
        "прошу",
        "нужно",
        "надо",
        "необходимо",
        "сделать",
        "очень",
        "здравствуйте",
        "спасибо",
        "уважаемый",
        "хотеть",
        "хотеться",
        "который",
        "это",
        "также",
    }
)


def _fold(word: str) -> str:
    return word.replace("ё", "е")


#: Everything dropped by the normalizer, compared after lowercasing and ё→е folding.
STOP_WORDS: frozenset[str] = frozenset(
    _fold(word.lower()) for word in (*_SPACY_RU_STOP_WORDS, *DOMAIN_STOP_WORDS)
)
