"""`flask demo`: the flagship-office scenario of «Активный гражданин».

A citywide multiple-choice poll on the extra services of the flagship «Мои документы»
offices (closed, with its ledger, results and the decision taken) and a location poll per
okrug (open, live results) whose places lie inside that okrug, with thousands of votes from
demo residents of every district. Idempotent: nothing is added if the polls exist.

Demo residents are bulk-inserted with one precomputed Argon2 hash; ballots are written in
bulk with the same rows `cast_ballot` writes, so the ledger and the tally are real.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from app.auth.models import User
from app.auth.passwords import hash_password
from app.db import utcnow
from app.demo import DEMO_PASSWORD
from app.districts import list_okrugs
from app.extensions import db
from voting.ballots import ballot_rows, new_receipt
from voting.drafting import create_poll
from voting.geo import okrug_at, point_in
from voting.models import Ballot, BallotChoice, BallotText, Participation, Poll, PollStatus
from voting.services import close_poll, open_poll, record_decision
from voting.verify import receipt_hash

Progress = Callable[[float, str], None]

RESIDENTS = 3000
EMAIL = "poll-voter-{n:05d}@demo.mos"
SERVICES_TITLE = "Какие услуги добавить во флагманские офисы «Мои документы»"
LOCATION_TITLE = "Где открыть флагманский офис «Мои документы»: {okrug}"
SEED = 20161015

SERVICES = [
    ("Отделение банка", "Оплата услуг, открытие счёта, банкомат"),
    ("Нотариус", "Доверенности и заверение копий рядом с госуслугами"),
    ("Фотостудия", "Фото на паспорт и другие документы"),
    ("Мелкий ремонт", "Ремонт одежды, обуви, часов, изготовление ключей"),
    ("Копировальный центр", "Печать, сканирование, ламинирование"),
    ("Пункт выдачи заказов", "Посылки интернет-магазинов и почта"),
    ("Юридическая консультация", "Бесплатные консультации по жилью и семье"),
    ("Детская комната", "Присмотр за детьми, пока родители в очереди"),
]
SERVICE_WEIGHTS = [30, 24, 20, 16, 10, 14, 8, 6]

OPEN_ANSWERS = [
    "Кофейню или автомат с кофе в зоне ожидания",
    "Кафе, чтобы можно было перекусить в очереди",
    "Страховую компанию: ОСАГО и полис ДМС",
    "Оформление страховки для машины",
    "Туристическое агентство и визовый центр",
    "Помощь с визами и загранпаспортом для поездок",
    "Пункт приёма вторсырья и батареек",
    "Сбор батареек и старой техники на переработку",
    "Бесплатный Wi-Fi и зарядки для телефонов",
    "Розетки и зарядка для телефона в зале ожидания",
    "Справочную по городским вопросам для пожилых",
    "Помощь пенсионерам с электронными услугами",
]

# Three places per okrug near metro or town centres; each is checked against the okrug
# boundaries below and replaced by a point inside the okrug if it falls outside.
PLACES = {
    "cao": [
        ("Тверская", 55.7650, 37.6040),
        ("Китай-город", 55.7563, 37.6319),
        ("Парк культуры", 55.7353, 37.5933),
    ],
    "sao": [
        ("Речной вокзал", 55.8549, 37.4761),
        ("Войковская", 55.8186, 37.4977),
        ("Ховрино", 55.8777, 37.4877),
    ],
    "svao": [
        ("ВДНХ", 55.8208, 37.6412),
        ("Медведково", 55.8881, 37.6616),
        ("Отрадное", 55.8633, 37.6047),
    ],
    "vao": [
        ("Щёлковская", 55.8098, 37.7983),
        ("Новогиреево", 55.7519, 37.8166),
        ("Преображенская площадь", 55.7963, 37.7150),
    ],
    "yuvao": [
        ("Марьино", 55.6499, 37.7439),
        ("Выхино", 55.7158, 37.8177),
        ("Текстильщики", 55.7090, 37.7317),
    ],
    "yuao": [
        ("Царицыно", 55.6209, 37.6697),
        ("Южная", 55.6223, 37.6090),
        ("Домодедовская", 55.6106, 37.7175),
    ],
    "yuzao": [
        ("Тёплый Стан", 55.6186, 37.5059),
        ("Профсоюзная", 55.6777, 37.5628),
        ("Новые Черёмушки", 55.6700, 37.5544),
    ],
    "zao": [
        ("Кунцевская", 55.7306, 37.4464),
        ("Юго-Западная", 55.6637, 37.4830),
        ("Солнцево", 55.6492, 37.3918),
    ],
    "szao": [
        ("Тушинская", 55.8255, 37.4370),
        ("Щукинская", 55.8085, 37.4643),
        ("Строгино", 55.8038, 37.4030),
    ],
    "zelao": [
        ("Крюково", 55.9797, 37.1746),
        ("Площадь Юности", 55.9875, 37.2060),
        ("Савёлки", 55.9960, 37.2160),
    ],
    "nao": [
        ("Саларьево", 55.6227, 37.4241),
        ("Коммунарка", 55.5600, 37.4690),
        ("Московский", 55.6000, 37.3500),
    ],
    "tao": [
        ("Троицк", 55.4850, 37.3060),
        ("Вороново", 55.3300, 37.1600),
        ("Кленово", 55.3600, 37.1200),
    ],
}

DECISION = (
    "По итогам опроса во флагманских офисах «Мои документы» откроются отделения банка, "
    "нотариальные конторы и фотостудии, а в части офисов — пункты мелкого ремонта. "
    "Адреса офисов в каждом округе выбираются во втором опросе."
)


def demo_step(progress: Progress) -> None:
    if db.session.scalar(select(Poll.id).where(Poll.title == SERVICES_TITLE)) is not None:
        progress(1.0, "уже есть")
        return
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.mos"))
    staff = staff or db.session.scalar(select(User).order_by(User.id))
    progress(0.0, "жители")
    residents = ensure_residents(RESIDENTS, rng)
    db.session.commit()
    progress(0.2, "опрос об услугах")
    now = utcnow()
    services = create_poll(
        staff,
        title=SERVICES_TITLE,
        description=(
            "В 2016 году москвичи выбирали, какие услуги появятся во флагманских офисах "
            "госуслуг. Выберите до трёх."
        ),
        questions=[
            {
                "text": "Какие дополнительные услуги нужны во флагманском офисе?",
                "kind": "multiple",
                "max_choices": 3,
                "options": [{"text": t, "description": d} for t, d in SERVICES],
            },
            {"text": "Что ещё вы хотели бы видеть в офисе?", "kind": "open"},
        ],
        audience="everyone",
        results="after_close",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=3),
    )
    services.status = PollStatus.OPEN
    services.opened_at = now - timedelta(days=10)
    db.session.flush()
    multiple, open_question = services.questions
    _bulk_vote(
        services, residents, 0.8, rng, lambda: _services_answers(multiple, open_question, rng)
    )
    db.session.commit()
    progress(0.5, "итоги и реестр")
    close_poll(services, now)
    # Demo voters are fictional: the decision is recorded without telling anyone.
    record_decision(services, DECISION, staff, now=now - timedelta(days=1))
    db.session.commit()
    okrugs = list_okrugs()
    for index, okrug in enumerate(okrugs):
        progress(0.55 + 0.45 * index / len(okrugs), f"места: {okrug.abbrev}")
        poll = create_poll(
            staff,
            title=LOCATION_TITLE.format(okrug=okrug.abbrev),
            description=f"Выберите место для флагманского офиса в округе: {okrug.name}.",
            questions=[
                {
                    "text": "Где открыть флагманский офис?",
                    "kind": "single",
                    "options": _places(okrug.code, rng),
                }
            ],
            audience={"okrugs": [okrug.code]},
            results="live",
            closes_at=now + timedelta(days=12),
        )
        open_poll(poll, now - timedelta(days=2))
        question = poll.questions[0]
        weights = [5, 3, 2]
        local = [r for r in residents if r[2] == okrug.code]
        _bulk_vote(
            poll,
            local,
            0.6,
            rng,
            lambda q=question, w=weights: [
                {"question_id": q.id, "option_ids": [rng.choices(q.options, w)[0].id]}
            ],
            since=now - timedelta(days=2),
        )
        db.session.commit()
    progress(1.0, "готово")


def ensure_residents(count: int, rng: random.Random) -> list[tuple[int, str, str]]:
    """(id, district, okrug) of the demo voters, created in bulk if missing."""
    districts = [(d.code, o.code) for o in list_okrugs() for d in o.districts]
    existing = db.session.scalar(
        select(func.count(User.id)).where(User.email.like("poll-voter-%@demo.mos"))
    )
    if not existing:
        password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: Argon2 is slow by design
        now = utcnow()
        rows = []
        for n in range(count):
            district, _okrug = rng.choice(districts)
            rows.append(
                {
                    "email": EMAIL.format(n=n),
                    "password_hash": password_hash,
                    "display_name": f"Житель {n + 1}",
                    "district_code": district,
                    "created_at": now - timedelta(days=30),
                    "verified_at": now - timedelta(days=29),
                    "session_version": 1,
                }
            )
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(User), rows[start : start + 1000])
    okrug_of = dict(districts)
    users = db.session.execute(
        select(User.id, User.district_code).where(User.email.like("poll-voter-%@demo.mos"))
    ).all()
    return [(uid, code, okrug_of.get(code, "")) for uid, code in users]


def _services_answers(multiple: Any, open_question: Any, rng: random.Random) -> list[dict]:
    k = rng.choice([1, 2, 2, 3, 3, 3])
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.add(rng.choices(multiple.options, SERVICE_WEIGHTS)[0].id)
    answers: list[dict] = [{"question_id": multiple.id, "option_ids": sorted(chosen)}]
    if rng.random() < 0.25:
        answers.append({"question_id": open_question.id, "text": rng.choice(OPEN_ANSWERS)})
    return answers


def _bulk_vote(
    poll: Poll,
    residents: list[tuple[int, str, str]],
    turnout: float,
    rng: random.Random,
    answers: Callable[[], list[dict]],
    since: Any = None,
) -> None:
    """Write participations and ballots in bulk, spread over the poll's voting time."""
    start = since or poll.opened_at or utcnow()
    end = min(poll.closes_at or utcnow(), utcnow())
    span = max(60.0, (end - start).total_seconds())
    parts, ballots, choices, texts = [], [], [], []
    for user_id, _district, okrug in residents:
        if rng.random() > turnout:
            continue
        # more votes in the first days, as with a launch announcement
        at = start + timedelta(seconds=span * rng.random() ** 1.6)
        parts.append({"poll_id": poll.id, "user_id": user_id, "created_at": at})
        ballot, chosen, written = ballot_rows(
            poll.id, okrug or None, at, answers(), receipt_hash(new_receipt())
        )
        ballots.append(ballot)
        choices += chosen
        texts += written
    for model, rows in (
        (Participation, parts),
        (Ballot, ballots),
        (BallotChoice, choices),
        (BallotText, texts),
    ):
        for i in range(0, len(rows), 2000):
            db.session.execute(insert(model), rows[i : i + 2000])


def _places(code: str, rng: random.Random) -> list[dict]:
    options = []
    for number, (name, lat, lon) in enumerate(PLACES[code], start=1):
        if okrug_at(lat, lon) == code:
            options.append(
                {
                    "text": name,
                    "description": "Рядом с метро или в центре района",
                    "lat": lat,
                    "lon": lon,
                }
            )
        else:
            lat, lon = point_in(code, rng)
            options.append({"text": f"Площадка №{number}", "lat": lat, "lon": lon})
        options[-1]["okrug"] = code
    return options
