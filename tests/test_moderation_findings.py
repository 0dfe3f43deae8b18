"""Automatic findings on Russian text: profanity through disguises, personal data, spam.

Each check has positive examples and ordinary words that contain a banned substring,
which must raise no alarm.
"""

from __future__ import annotations

import csv

import pytest

from moderation.findings import check_text, find_links_and_spam, find_personal_data, find_profanity
from moderation.findings.personal_data import luhn_is_valid, snils_is_valid


@pytest.mark.parametrize(
    "text",
    [
        "В МФЦ полный хуй, а не обслуживание",
        "Очень хуёвый центр",
        "охуеть какие очереди",
        "нахуя такие правила",
        "заебали эти очереди",
        "долбоёб на входе",
        "пиздец, а не запись",
        "пиздато устроились",
        "блядь, опять закрыто",
        "бля",
        "мудак охранник",
    ],
)
def test_plain_profanity_is_found(text):
    assert [f.kind for f in find_profanity(text)] == ["profanity"]


@pytest.mark.parametrize(
    "text",
    [
        "xуй",  # Latin x
        "хyй",  # Latin y
        "3ае6али",  # digits for letters
        "х*у*й",  # symbols inserted
        "п.и.з.д.е.ц",
        "х у й",  # letters spaced apart
        "хуууууй",  # stretched letters
        "бляяяяя",
        "pizdec",  # transliterated
        "blyad",
        "ПИЗДЕЦ",  # capitals
        "Ёбаный стыд",
    ],
)
def test_disguised_profanity_is_found(text):
    assert find_profanity(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Застрахуйте своё имущество и подстрахуйте соседей",
        "Хлебать суп, купить себе хлеба, учебный центр",
        "Колебание цен, требовать, употреблять, оскорблять",
        "Сделайте это для себя и для тебя",
        "У корабля нет рубля, на поясе бляха",
        "Бледный свет, вебинар и веб-версия сайта",
        "Мудрый художник, хулиган стал хуже, похудеть",
        "Мандарин, депутатский мандат, гондола, шлюз",
        "Себастьян и Себастьяна, себестоимость услуги",
        "Учёба, небо, зебра, дебет, требование, ребёнок",
        "Охрана, страховка, ухудшение, захудалый",
    ],
)
def test_ordinary_words_raise_no_profanity(text):
    assert find_profanity(text) == []


@pytest.mark.parametrize(
    "word",
    [
        # A symbol may stand for several letters: each reading is tried.
        "@хуеть",  # @ for о
        "еб@ть",  # @ for а
        "3аебали",  # 3 for з
        "3бать",  # 3 for е
        "муда4ьё",  # 4 for ч
        "еб4л0",  # 4 for а, 0 for о
        "п1здец",  # 1 for и
        "б1ядь",  # 1 for л
        "е6ать",  # 6 for б
        "0хуеть",
        "пи3дец",
        "д0лб0ёб",
        "п!здец",
        "б|ядь",
        # A star may stand for any letter, or only separate letters.
        "п*здец",
        "х*й",
        "б**дь",
        "е*ать",
        "бл*ть",
        "х*у*й",
        # Separators, spacing, stretching, capitals, and all of them together.
        "х.у.й",
        "х-у-й",
        "х_у_й",
        "х у й",
        "х. у. й.",
        "х - у - й",
        "п и з д е ц",
        "б л я д ь",
        "хууууй",
        "пиииздец",
        "бляяядь",
        "ебааать",
        "П.1.З.Д.Е.Ц",
        "Х У Й",
        # Latin letters by sight («x», «y», «p» look like «х», «у», «р»).
        "xyu",
        "xуй",
        "хyй",
        "пидоp",
        "шлюxa",
        "г@нд0н",
        "м@нда",
        # Latin letters by sound, digraphs included.
        "huy",
        "hui",
        "nahuy",
        "nakhuy",
        "pizdec",
        "pizda",
        "blyad",
        "blyat",
        "ebat",
        "zaebal",
        "mudak",
        "pidor",
        "gandon",
        "zalupa",
        "shlyukha",
    ],
)
def test_symbols_standing_for_letters_are_seen_through(word):
    assert [f.kind for f in find_profanity(f"Ну и {word} у вас в центре")] == ["profanity"], word


# Real words that hold a root, or read like one when a digit or a Latin letter is a letter.
ORDINARY_WORDS = [
    "употреблять",
    "оскорблять",
    "сабля",
    "страхуй",
    "подстрахуй",
    "застрахуйте",
    "страхуют",
    "страховка",
    "команда",
    "командир",
    "мандарин",
    "мандат",
    "мандолина",
    "хлебать",
    "хлеба",
    "хлебозавод",
    "колебаться",
    "колеблется",
    "психология",
    "психушка",
    "рубля",
    "рубль",
    "ансамбля",
    "истребляет",
    "корабля",
    "дирижабля",
    "оглобля",
    "гребля",
    "кобеля",
    "учебный",
    "учебник",
    "требовать",
    "требование",
    "себе",
    "себя",
    "тебя",
    "себестоимость",
    "небо",
    "небеса",
    "зебра",
    "дебет",
    "ребёнок",
    "стебель",
    "бляха",
    "бледный",
    "вебинар",
    "веб-версия",
    "мудрый",
    "мудрец",
    "художник",
    "хулиган",
    "хуже",
    "похудеть",
    "ухудшение",
    "захудалый",
    "охрана",
    "гондола",
    "Гондурас",
    "шлюз",
    "шлюпка",
    "скипидар",
    "спидометр",
    "подебоширить",
    "Себастьян",
    "Хабаровск",
    "Бухара",
    "хурма",
    "хутор",
]
NOT_DISGUISES = [
    "Дом 36а, квартира 36ой, д.36б, кв.36а",
    "3-ем, 6-ти, 4-ем, 1-ой, 36-я, 136-ю, 10-е",
    "В 2023г и 2024г",
    "Е. Б. Лебедев и А. С. Пушкин, и т. д. и т. п.",
    "Е.Б. Иванова",
    "т. е. б. у. автомобиль",
    "Hyundai Solaris, Huawei, Hummer и eBay",
    "Показатель EBITDA вырос",
    "*Важно*: запись по телефону.",
    "Ура!!! Хлеба!",
]


@pytest.mark.parametrize("text", ORDINARY_WORDS + NOT_DISGUISES)
def test_ordinary_words_with_the_roots_pass(text):
    assert find_profanity(text) == [], text


def test_real_appeals_raise_no_profanity(shared_data):
    with (shared_data / "kursk_appeals_category.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert [text for text in texts if find_profanity(text)] == []


def test_profanity_excerpt_is_masked():
    (finding,) = find_profanity("полный пиздец")
    assert finding.excerpt.startswith("п")
    assert "издец" not in finding.excerpt


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Звоните +7 (916) 123-45-67", "phone"),
        ("мой номер 8 916 123 45 67", "phone"),
        ("телефон 89161234567", "phone"),
        ("пишите на ivan.petrov@mail.ru", "email"),
        ("паспорт 45 10 123456 выдан", "passport"),
        ("серия 4510 номер 123456", "passport"),
        ("СНИЛС 112-233-445 95", "snils"),
        ("снилс 11223344595", "snils"),
        ("карта 4111 1111 1111 1111", "card"),
    ],
)
def test_personal_data_is_found(text, detail):
    assert detail in [f.detail for f in find_personal_data(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Госпошлина 1500 рублей, очередь с 2014 года",
        "Номер заказа 1234567890123456",  # fails the Luhn check
        "Приём с 8 до 20, окна 1-12",
        "СНИЛС 123-456-789 00",  # wrong check number
        "Площадь 120 м², 3 этажа, 45 окон",
    ],
)
def test_numbers_that_are_not_personal_data_raise_nothing(text):
    assert find_personal_data(text) == []


def test_personal_data_excerpt_hides_the_value():
    (finding,) = find_personal_data("пишите +7 916 123-45-67")
    assert "916" not in finding.excerpt
    assert finding.excerpt.endswith("67")


def test_check_numbers():
    assert snils_is_valid("11223344595")
    assert not snils_is_valid("11223344596")
    assert luhn_is_valid("4111111111111111")
    assert not luhn_is_valid("4111111111111112")


def test_links_and_spam():
    found = find_links_and_spam("Скидки! www.casino.ru, http://spam.xyz/a и t.me/x")
    assert [f.kind for f in found].count("link") == 3
    assert {f.detail for f in found if f.kind == "spam"} == {"many_links", "advertising"}


def test_one_link_is_noted_but_is_not_spam():
    found = find_links_and_spam("Запись есть на mos.ru, но она неудобная")
    assert [(f.kind, f.excerpt) for f in found] == [("link", "mos.ru")]


def test_shouting_and_repetition_are_spam():
    assert {
        f.detail for f in find_links_and_spam("ПОЧЕМУ В ЦЕНТРЕ НИКТО НЕ РАБОТАЕТ ВООБЩЕ НИКОГДА")
    } == {"shouting"}
    assert {f.detail for f in find_links_and_spam("ааааааааааааа")} == {"repetition"}


def test_an_ordinary_proposal_has_no_findings():
    text = (
        "Предлагаю сделать электронную очередь с записью через портал mos.ru/uslugi не нужна — "
        "достаточно терминала у входа. Детский уголок тоже пригодится: "
        "дети ждут с родителями по часу."
    )
    assert [f.kind for f in check_text(text)] == ["link"]
    assert check_text("Продлите часы работы МФЦ до 22:00 по будням, пожалуйста.") == []
