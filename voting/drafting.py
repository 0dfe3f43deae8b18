"""Drafting polls: every field checked at once, so staff see all problems together."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.auth.models import User
from app.districts import find_district, find_okrug
from app.errors import Conflict, Invalid
from app.extensions import db
from app.text import check_text
from voting.models import Poll, PollOption, PollStatus, Question, QuestionKind, ResultsVisibility

MAX_QUESTIONS = 20
MAX_OPTIONS = 50
# Moscow with New Moscow and Zelenograd fits in this box; coordinates outside are typos.
LAT_RANGE = (55.0, 56.2)
LON_RANGE = (36.7, 38.2)


def _audience(raw: Any, errors: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    if raw in (None, "everyone"):
        return [], []
    if not isinstance(raw, dict):
        errors["audience"] = [_("Аудитория: «everyone» или {okrugs: [...], districts: [...]}.")]
        return [], []
    okrugs: list[str] = []
    districts: list[str] = []
    for value in raw.get("okrugs") or []:
        okrug = find_okrug(value) if isinstance(value, str) else None
        if okrug is None:
            errors.setdefault("audience.okrugs", []).append(
                _("Неизвестный округ: %(v)s.", v=str(value)[:40])
            )
        elif okrug.code not in okrugs:
            okrugs.append(okrug.code)
    for value in raw.get("districts") or []:
        district = find_district(value) if isinstance(value, str) else None
        if district is None:
            errors.setdefault("audience.districts", []).append(
                _("Неизвестный район: %(v)s.", v=str(value)[:40])
            )
        elif district.code not in districts:
            districts.append(district.code)
    if (
        not okrugs
        and not districts
        and "audience" not in errors
        and not any(k.startswith("audience.") for k in errors)
    ):
        errors["audience"] = [_("Укажите хотя бы один округ или район, или «everyone».")]
    return okrugs, districts


def _text(
    value: Any, field: str, errors: dict[str, list[str]], *, min_length: int, max_length: int
) -> str:
    text, problems = check_text(value, min_length=min_length, max_length=max_length, multiline=True)
    if problems:
        errors.setdefault(field, []).extend(problems)
    return text


def _number(
    value: Any, field: str, bounds: tuple[float, float], errors: dict[str, list[str]]
) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Нужно число."))
        return None
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        errors.setdefault(field, []).append(
            _("Координата вне Москвы: нужно от %(a)s до %(b)s.", a=bounds[0], b=bounds[1])
        )
        return None
    return number


def _build_questions(raw: Any, errors: dict[str, list[str]]) -> list[Question]:
    if not isinstance(raw, list) or not raw:
        errors["questions"] = [_("Добавьте хотя бы один вопрос.")]
        return []
    if len(raw) > MAX_QUESTIONS:
        errors["questions"] = [_("Не больше %(n)s вопросов.", n=MAX_QUESTIONS)]
        return []
    questions = []
    for qi, item in enumerate(raw):
        where = f"questions.{qi}"
        item = item if isinstance(item, dict) else {}
        text = _text(item.get("text"), f"{where}.text", errors, min_length=3, max_length=500)
        try:
            kind = QuestionKind(item.get("kind") or "single")
        except ValueError:
            errors[f"{where}.kind"] = [_("Тип вопроса: single, multiple или open.")]
            kind = QuestionKind.SINGLE
        options_raw = item.get("options") or []
        options = []
        if kind is QuestionKind.OPEN:
            if options_raw:
                errors[f"{where}.options"] = [_("У открытого вопроса нет вариантов.")]
        elif not isinstance(options_raw, list) or len(options_raw) < 2:
            errors[f"{where}.options"] = [_("Нужно не меньше двух вариантов ответа.")]
        elif len(options_raw) > MAX_OPTIONS:
            errors[f"{where}.options"] = [_("Не больше %(n)s вариантов.", n=MAX_OPTIONS)]
        else:
            for oi, opt in enumerate(options_raw):
                options.append(_build_option(opt, f"{where}.options.{oi}", oi, errors))
            texts = [o.text for o in options]
            if len(set(texts)) != len(texts):
                errors.setdefault(f"{where}.options", []).append(_("Варианты повторяются."))
        max_choices = 1
        if kind is QuestionKind.MULTIPLE:
            raw_max = item.get("max_choices")
            if raw_max in (None, ""):
                max_choices = max(1, len(options))
            elif (
                isinstance(raw_max, bool)
                or not isinstance(raw_max, int)
                or not (1 <= raw_max <= max(1, len(options)))
            ):
                errors[f"{where}.max_choices"] = [
                    _("Максимум выборов — от 1 до числа вариантов (%(n)s).", n=len(options))
                ]
            else:
                max_choices = raw_max
        questions.append(
            Question(position=qi, text=text, kind=kind, max_choices=max_choices, options=options)
        )
    return questions


def _build_option(raw: Any, where: str, position: int, errors: dict[str, list[str]]) -> PollOption:
    if isinstance(raw, str):
        raw = {"text": raw}
    raw = raw if isinstance(raw, dict) else {}
    text = _text(raw.get("text"), f"{where}.text", errors, min_length=1, max_length=300)
    description = ""
    if raw.get("description") not in (None, ""):
        description = _text(
            raw.get("description"), f"{where}.description", errors, min_length=1, max_length=2000
        )
    okrug_code = None
    if raw.get("okrug") not in (None, ""):
        okrug = find_okrug(raw["okrug"]) if isinstance(raw["okrug"], str) else None
        if okrug is None:
            errors[f"{where}.okrug"] = [_("Неизвестный округ.")]
        else:
            okrug_code = okrug.code
    lat = _number(raw.get("lat"), f"{where}.lat", LAT_RANGE, errors)
    lon = _number(raw.get("lon"), f"{where}.lon", LON_RANGE, errors)
    if (
        (lat is None) != (lon is None)
        and f"{where}.lat" not in errors
        and f"{where}.lon" not in errors
    ):
        errors[f"{where}.lat"] = [_("Укажите обе координаты или ни одной.")]
    return PollOption(
        position=position, text=text, description=description, okrug=okrug_code, lat=lat, lon=lon
    )


def _schedule(opens_at: Any, closes_at: Any, errors: dict[str, list[str]]) -> None:
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            errors[name] = [_("Нужны дата и время с часовым поясом.")]
    if (
        isinstance(opens_at, datetime)
        and isinstance(closes_at, datetime)
        and opens_at.tzinfo
        and closes_at.tzinfo
        and closes_at <= opens_at
    ):
        errors["closes_at"] = [_("Опрос должен закрываться позже, чем открывается.")]


def create_poll(
    author: User,
    *,
    title: Any,
    description: Any = "",
    questions: Any,
    audience: Any = "everyone",
    results: Any = "after_close",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    follow_up_of: Poll | None = None,
) -> Poll:
    """A draft poll; nothing is stored unless every field is right (all problems at once)."""
    poll = Poll(
        created_by_id=author.id,
        status=PollStatus.DRAFT,
        follow_up_of_id=follow_up_of.id if follow_up_of else None,
    )
    _apply(
        poll,
        title=title,
        description=description,
        questions=questions,
        audience=audience,
        results=results,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    db.session.add(poll)
    db.session.flush()
    return poll


def update_poll(poll: Poll, **fields: Any) -> Poll:
    """Change a draft; only the fields given change. Open and closed polls are frozen."""
    if poll.status is not PollStatus.DRAFT:
        raise Conflict(_("Изменять можно только черновик опроса."))
    current = {
        "title": poll.title,
        "description": poll.description,
        "questions": None,
        "audience": "everyone"
        if poll.is_for_everyone
        else {"okrugs": poll.audience_okrugs, "districts": poll.audience_districts},
        "results": poll.results_visibility.value,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
    }
    current.update(fields)
    _apply(poll, **current)
    db.session.flush()
    return poll


def _apply(poll: Poll, **f: Any) -> None:
    errors: dict[str, list[str]] = {}
    title = _text(f["title"], "title", errors, min_length=3, max_length=200)
    description = ""
    if f.get("description") not in (None, ""):
        description = _text(
            f["description"], "description", errors, min_length=1, max_length=10_000
        )
    questions = _build_questions(f["questions"], errors) if f["questions"] is not None else None
    okrugs, districts = _audience(f["audience"], errors)
    try:
        visibility = ResultsVisibility(f["results"] or "after_close")
    except ValueError:
        errors["results"] = [_("Результаты: live или after_close.")]
        visibility = ResultsVisibility.AFTER_CLOSE
    _schedule(f["opens_at"], f["closes_at"], errors)
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    poll.title = title
    poll.description = description
    poll.audience_okrugs = okrugs
    poll.audience_districts = districts
    poll.results_visibility = visibility
    poll.opens_at = f["opens_at"]
    poll.closes_at = f["closes_at"]
    if questions is not None:
        poll.questions = questions
