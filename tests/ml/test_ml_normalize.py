"""Russian normalization: morphology, ё/е, placeholders, stop words and hostile input."""

from __future__ import annotations

import time

import pytest

from ml import NUM_TOKEN, URL_TOKEN, NormalFormLemmatizer, RussianNormalizer, get_normalizer
from ml._normalize import installed_full_pipeline, strip_number_values


@pytest.fixture(scope="module")
def normalizer() -> RussianNormalizer:
    return RussianNormalizer(model="blank")


def test_word_forms_share_one_lemma(normalizer: RussianNormalizer) -> None:
    assert normalizer.normalize_many(["очередь", "очереди", "очередями"]) == ["очередь"] * 3


def test_ambiguous_words_are_lemmatized_not_left_as_is(normalizer: RussianNormalizer) -> None:
    # The blank pipeline's own pymorphy3 lemmatizer leaves these unchanged (STYLE.md).
    assert normalizer.normalize("новые дороги детские") == "новый дорога детский"


def test_component_lowercases_and_picks_most_probable_normal_form(
    normalizer: RussianNormalizer,
) -> None:
    doc = normalizer.nlp("Стали Очередями")
    assert [token.lemma_ for token in doc] == ["стать", "очередь"]
    assert normalizer.nlp.pipe_names == ["pymorphy3_normal_form"]


def test_park_is_not_a_parka(normalizer: RussianNormalizer) -> None:
    assert normalizer.normalize("парк в парке, парки") == "парк парк парк"


def test_yo_and_ye_are_the_same(normalizer: RussianNormalizer) -> None:
    assert normalizer.normalize("ёлка") == normalizer.normalize("елка") == "елка"
    assert normalizer.normalize("ЁЛКИ") == "елка"


def test_numbers_links_punctuation_and_stop_words(normalizer: RussianNormalizer) -> None:
    text = "Предлагаю, пожалуйста, сделать 5 парковок!!! Подробности: https://example.ru/x?a=1"
    assert normalizer.normalize(text) == f"{NUM_TOKEN}5 парковка подробность {URL_TOKEN}"


def test_number_words_and_abbreviations(normalizer: RussianNormalizer) -> None:
    assert normalizer.normalize("семь домов и 7 домов") == "_num_7 дом _num_7 дом"
    assert normalizer.normalize("3 млн руб. на ул. Ленина") == "_num_3 миллион рубль улица ленин"
    assert strip_number_values("маршрут _num_12 _num_ дом") == "маршрут _num_ _num_ дом"


def test_custom_stop_words(normalizer: RussianNormalizer) -> None:
    custom = RussianNormalizer(model="blank", stop_words=["парк"])
    assert custom.normalize("новый парк") == "новый"
    assert normalizer.normalize("новый парк") == "новый парк"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("   \n\t ", ""),
        ("😀🎉👍", ""),
        ("!!! ... ???", ""),
        ("Hello world", "hello world"),
        ("Wi-Fi во дворе", "wi fi двор"),
        ("x" * 5000, ""),
    ],
)
def test_hostile_and_empty_input(normalizer: RussianNormalizer, text: str, expected: str) -> None:
    assert normalizer.normalize(text) == expected


def test_none_is_empty_and_other_types_are_refused(normalizer: RussianNormalizer) -> None:
    assert normalizer.normalize_many([None]) == [""]  # type: ignore[list-item]
    with pytest.raises(TypeError, match="expected str"):
        normalizer.normalize_many([42])  # type: ignore[list-item]


def test_long_text_is_processed_whole_and_quickly(normalizer: RussianNormalizer) -> None:
    text = "Очереди в поликлинике 😀 queue. " * 3500  # about 110,000 characters
    started = time.perf_counter()
    result = normalizer.normalize(text)
    assert time.perf_counter() - started < 5
    assert result.split().count("очередь") == 3500


def test_naughty_strings_do_not_crash(normalizer: RussianNormalizer, shared_data) -> None:
    import json

    strings = json.loads((shared_data / "naughty_strings.json").read_text(encoding="utf-8"))
    results = normalizer.normalize_many(strings)
    assert len(results) == len(strings)
    assert all(isinstance(result, str) for result in results)


def test_shared_instance_and_no_full_pipeline_here() -> None:
    assert get_normalizer() is get_normalizer()
    if installed_full_pipeline() is None:
        assert get_normalizer().nlp.pipe_names == ["pymorphy3_normal_form"]


def test_lemma_cache_is_used() -> None:
    lemmatizer = NormalFormLemmatizer()
    assert lemmatizer.lemma("Очередями") == "очередь"
    assert lemmatizer._cache == {"очередями": "очередь"}
    assert lemmatizer.lemma("ОЧЕРЕДЯМИ") == "очередь"
    assert len(lemmatizer._cache) == 1


def test_an_installed_full_pipeline_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    loaded: list[str] = []

    def fake_load(name: str, exclude: list[str]) -> spacy.language.Language:
        loaded.append(name)
        nlp = spacy.blank("ru")
        nlp.add_pipe("pymorphy3_normal_form")  # stands in for the model's own lemmatizer
        return nlp

    monkeypatch.setattr(spacy.util, "is_package", lambda name: name == "ru_core_news_sm")
    monkeypatch.setattr(spacy, "load", fake_load)
    assert installed_full_pipeline() == "ru_core_news_sm"
    normalizer = RussianNormalizer()
    assert normalizer.normalize("Очереди в поликлиниках") == "очередь поликлиника"
    assert loaded == ["ru_core_news_sm"]
    assert normalizer._full_pipeline is True
    assert RussianNormalizer(model="blank").normalize("Очереди") == "очередь"
